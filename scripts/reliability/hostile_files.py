#!/usr/bin/env python3
"""Campaign 3: hostile files and file systems on the real bootloader in stickemu.

An OLD image is installed; the stick (FAT32 made by mkfs.fat, then patched) holds a damaged
NEW one: cluster loops, out-of-range and free clusters in the chain, huge sizes, zeroed BPB
fields, an endless root directory, a trailer with each field wrong in turn (trailer CRC
recomputed, so that only that field is wrong), and images whose CRCs pass but whose vector
table is bad. Each must be rejected before any flash operation (flash_ops=0, the old image
byte-exact, the old app boots), within a bound, showing the expected error code (red blinks,
firmware/core/status.h). Fields that do not make a file invalid are listed with what they do.

  hostile_files.py [--quick] [--suite NAME] [--name FILE]
(--quick: the same cases; the campaign is small. --name: the damaged file's name on the stick,
IMAGE.BIN by default; 0407D15C.BIN runs every case on the Discovery's own file of a stick for
many boards, which the bootloader looks for first.)
"""
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

APP_BYTES = 41296
BOUND_MS = 10000  # rejected and the old app started within this (virtual time)
NO_FS, NO_FILE, FS_CORRUPT, TOO_BIG, IMAGE = 5, 6, 7, 8, 9
FILE_NAME = "IMAGE.BIN"


class Fat32:
    """Just enough of a FAT32 image to patch it."""

    def __init__(self, data):
        self.d = data
        self.bps, = struct.unpack_from("<H", data, 11)
        self.spc = data[13]
        self.reserved, = struct.unpack_from("<H", data, 14)
        self.nfats = data[16]
        self.fatsz, = struct.unpack_from("<I", data, 36)
        self.root, = struct.unpack_from("<I", data, 44)
        total, = struct.unpack_from("<I", data, 32)
        self.data_start = self.reserved + self.nfats * self.fatsz
        self.clusters = (total - self.data_start) // self.spc

    def cluster_offset(self, c):
        return (self.data_start + (c - 2) * self.spc) * self.bps

    def fat(self, c):
        return struct.unpack_from("<I", self.d, self.reserved * self.bps + 4 * c)[0] & 0x0FFFFFFF

    def set_fat(self, c, value):
        for i in range(self.nfats):
            struct.pack_into("<I", self.d, (self.reserved + i * self.fatsz) * self.bps + 4 * c, value)

    def entry(self):
        stem, _, ext = FILE_NAME.partition(".")
        name = (stem.ljust(8) + ext.ljust(3)).encode()
        base = self.cluster_offset(self.root)
        for off in range(base, base + self.spc * self.bps, 32):
            if self.d[off:off + 11] == name:
                return off
        raise ValueError("no entry")

    def chain(self, first):
        out = [first]
        while self.fat(out[-1]) < 0x0FFFFFF8:
            out.append(self.fat(out[-1]))
        return out


def fs_patches():
    """(name, expected codes, patch(fat)) for the file system cases."""
    def first_cluster(f):
        e = f.entry()
        return struct.unpack_from("<H", f.d, e + 20)[0] << 16 | struct.unpack_from("<H", f.d, e + 26)[0]

    def chain_set(k, value_fn):
        def patch(f):
            ch = f.chain(first_cluster(f))
            f.set_fat(ch[k(len(ch))], value_fn(f, ch))
        return patch

    def size(v):
        return lambda f: struct.pack_into("<I", f.d, f.entry() + 28, v)

    def bpb(offset, fmt):
        return lambda f: struct.pack_into(fmt, f.d, offset, 0)

    def first(v):
        def patch(f):
            e = f.entry()
            struct.pack_into("<H", f.d, e + 20, v(f) >> 16)
            struct.pack_into("<H", f.d, e + 26, v(f) & 0xFFFF)
        return patch

    def endless_root(f):
        # The root directory is one cluster that links to itself, full of entries that are
        # neither free nor the end: a reader that trusts the chain never stops.
        base = f.cluster_offset(f.root)
        for off in range(base, base + f.spc * f.bps, 32):
            f.d[off:off + 32] = b"JUNK%04X" % ((off - base) // 32) + b"TXT" + b"\x20" + bytes(20)
        f.set_fat(f.root, f.root)

    def root_out_of_range(f):
        struct.pack_into("<I", f.d, 44, f.clusters + 100)

    return [
        ("cluster loop: chain goes back to its first cluster", {FS_CORRUPT, IMAGE},
         chain_set(lambda n: n // 2, lambda f, ch: ch[0])),
        ("cluster loop: a cluster points to itself", {FS_CORRUPT, IMAGE},
         chain_set(lambda n: n // 2, lambda f, ch: ch[len(ch) // 2])),
        ("out-of-range cluster in the chain", {FS_CORRUPT},
         chain_set(lambda n: n // 2, lambda f, ch: f.clusters + 50)),
        ("free cluster (0) in the chain", {FS_CORRUPT}, chain_set(lambda n: n // 2, lambda f, ch: 0)),
        ("reserved cluster (1) in the chain", {FS_CORRUPT}, chain_set(lambda n: n // 2, lambda f, ch: 1)),
        ("bad-cluster mark in the chain", {FS_CORRUPT},
         chain_set(lambda n: n // 2, lambda f, ch: 0x0FFFFFF7)),
        ("chain ends before the size", {FS_CORRUPT},
         chain_set(lambda n: n // 2, lambda f, ch: 0x0FFFFFFF)),
        ("first cluster 0 with a non-zero size", {FS_CORRUPT}, first(lambda f: 0)),
        ("first cluster beyond the volume", {FS_CORRUPT}, first(lambda f: f.clusters + 1000)),
        ("size 0xFFFFFFFF", {TOO_BIG}, size(0xFFFFFFFF)),
        ("size 2 GB", {TOO_BIG}, size(0x80000000)),
        ("size just above the application region", {TOO_BIG}, size(1024 * 1024 - 16 * 1024 + 4)),
        ("size larger than the chain", {FS_CORRUPT, IMAGE}, size(APP_BYTES + 36 + 20000)),
        ("size 0", {IMAGE}, size(0)),
        ("size 31 (shorter than a vector table)", {IMAGE}, size(31)),
        ("BPB: bytes per sector 0", {NO_FS}, bpb(11, "<H")),
        ("BPB: sectors per cluster 0", {NO_FS}, bpb(13, "<B")),
        ("BPB: reserved sectors 0", {NO_FS}, bpb(14, "<H")),
        ("BPB: number of FATs 0", {NO_FS}, bpb(16, "<B")),
        ("BPB: total sectors 0", {NO_FS}, bpb(32, "<I")),
        ("BPB: FAT size 0", {NO_FS}, bpb(36, "<I")),
        ("BPB: root cluster 0", {NO_FS}, bpb(44, "<I")),
        ("BPB: jump byte 0", {NO_FS}, bpb(0, "<B")),
        ("BPB: root cluster beyond the volume", {NO_FS}, root_out_of_range),
        ("endless root directory (self-linked, no end entry)", {NO_FILE, FS_CORRUPT}, endless_root),
    ]


def trailer_cases(new):
    """(name, expected codes or 'installs', file bytes): one trailer field wrong at a time, the
    trailer CRC recomputed; then the trailer CRC itself."""
    length = struct.unpack_from("<I", new, 28)[0]
    app, trailer = bytes(new[:length]), bytearray(new[length:])

    def with_field(offset, value, fix_crc=True):
        t = bytearray(trailer)
        struct.pack_into("<I", t, offset, value)
        if fix_crc:
            struct.pack_into("<I", t, len(t) - 4, common.stm32_crc(bytes(t[:-4])))
        return app + bytes(t)

    get = lambda off: struct.unpack_from("<I", trailer, off)[0]  # noqa: E731
    cases = [
        ("trailer magic", {IMAGE}, with_field(0, 0x32544253)),
        ("trailer format 2", {IMAGE}, with_field(4, 2 | 36 << 16)),
        ("trailer size field 100 (36 present)", {IMAGE}, with_field(4, 1 | 100 << 16)),
        ("trailer app_length L+4", {IMAGE}, with_field(8, length + 4)),
        ("trailer app_length L-4", {IMAGE}, with_field(8, length - 4)),
        ("trailer load_address 0x08008000", {IMAGE}, with_field(12, 0x08008000)),
        ("trailer app_crc off by one bit", {IMAGE}, with_field(16, get(16) ^ 1)),
        ("trailer board_id nucleo-f446ze", {IMAGE}, with_field(24, 0x0446E144)),
        ("trailer flags: unknown bit 2", {IMAGE}, with_field(28, 4)),
        ("trailer flags: signed, 36-byte trailer", {IMAGE}, with_field(28, 1)),
        ("trailer CRC wrong", {IMAGE}, with_field(32, get(32) ^ 0x80000000, fix_crc=False)),
        ("trailer missing (file cut at L)", {IMAGE}, app),
        ("trailer 4 bytes short", {IMAGE}, new[:-4]),
        ("4 bytes after the trailer", {IMAGE}, new + b"\0\0\0\0"),
        ("word 7 (L) points past the file", {IMAGE},
         app[:28] + struct.pack("<I", length + 400) + app[32:] + bytes(trailer)),
        ("app_version 0 (does not matter: installs)", "installs", with_field(20, 0)),
        ("flags: raw bit set (does not matter: installs)", "installs", with_field(28, 2)),
    ]
    return cases


def vector_cases(raw):
    """Images whose CRCs are right but whose vector table is bad (packed here, since stickimg
    refuses to pack them)."""
    base = common.APP_BASE

    def packed(sp, reset):
        body = bytearray(raw)
        body += b"\xff" * (-len(body) % 4)
        struct.pack_into("<III", body, 0, sp, reset, struct.unpack_from("<I", body, 8)[0])
        struct.pack_into("<I", body, 28, len(body))
        t = bytearray(struct.pack("<IHHIIIIII", 0x31544253, 1, 36, len(body), base,
                                  common.stm32_crc(bytes(body)), 0x02000000, 0x0407D15C, 0))
        t += struct.pack("<I", common.stm32_crc(bytes(t)))
        return bytes(body) + bytes(t)

    good_sp, good_reset = struct.unpack_from("<II", raw, 0)
    end = base + len(raw)
    return [
        ("vectors: SP 0x30000000 (not SRAM)", {IMAGE}, packed(0x30000000, good_reset)),
        ("vectors: SP 0x20000000 (SRAM start: nothing below it)", {IMAGE}, packed(0x20000000, good_reset)),
        ("vectors: SP unaligned", {IMAGE}, packed(0x2001FFFE, good_reset)),
        ("vectors: SP 0x10010000 (CCM, not SRAM)", {IMAGE}, packed(0x10010000, good_reset)),
        ("vectors: SP 0xFFFFFFFF", {IMAGE}, packed(0xFFFFFFFF, good_reset)),
        ("vectors: reset without the Thumb bit", {IMAGE}, packed(good_sp, good_reset & ~1)),
        ("vectors: reset in the bootloader (0x08000101)", {IMAGE}, packed(good_sp, 0x08000101)),
        ("vectors: reset just past the image", {IMAGE}, packed(good_sp, (end + 3 & ~3) + 1)),
        ("vectors: reset in SRAM", {IMAGE}, packed(good_sp, 0x20000101)),
        ("vectors: reset 0xFFFFFFFF", {IMAGE}, packed(good_sp, 0xFFFFFFFF)),
    ]


def main():
    global FILE_NAME
    args, work, rep = common.campaign(
        "hostile_files", __doc__, lambda ap: ap.add_argument("--name", default="IMAGE.BIN"),
        lambda a: "" if a.name.upper() == "IMAGE.BIN" else "-" + a.name.upper().partition(".")[0])
    FILE_NAME = args.name.upper()
    images = common.old_new_images(work, APP_BYTES, 31, 32)
    common.make_stick(work.path("old.img"), {FILE_NAME: work.path("old.bin")})
    common.make_stick(work.path("new.img"), {FILE_NAME: work.path("new.bin")})
    base = work.path("base.bin")
    common.fresh_flash(base, work.bootloader)
    common.emu("--flash", base, "--stick", work.path("old.img"), "--stop-after-app-ms", 10)
    if not common.holds(common.read_flash(base), images["old"]):
        sys.exit("setup: old image not installed")
    with open(work.path("new.raw"), "rb") as f:
        new_raw = f.read()

    cases = [("file system", n, e, ("fs", p)) for n, e, p in fs_patches()]
    cases += [("trailer", n, e, ("file", b)) for n, e, b in trailer_cases(images["new"])]
    cases += [("vector table", n, e, ("file", b)) for n, e, b in vector_cases(new_raw)]

    def one(case):
        group, name, expect, (kind, what) = case
        tag = f"h{abs(hash(name)) % 10**8}"
        img = os.path.join(work.tmp, tag + ".img")
        if kind == "fs":
            subprocess.run(["cp", "--sparse=always", work.path("new.img"), img], check=True)
            with open(img, "r+b") as f:
                head = bytearray(f.read(8 * 1024 * 1024))  # BPB, FATs and the first clusters
                what(Fat32(head))
                f.seek(0)
                f.write(head)
        else:
            src = os.path.join(work.tmp, tag + ".bin")
            with open(src, "wb") as f:
                f.write(what)
            common.make_stick(img, {FILE_NAME: src})
            os.remove(src)
        flash = work.scratch(tag, base)
        r = common.emu("--flash", flash, "--stick", img, "--stop-after-app-ms", 20, "--run-ms", 30000)
        data = common.read_flash(flash)
        os.remove(img)
        os.remove(flash)
        blinks = r.red_blinks_before_app()
        entry = r.num("app_entry_ms")
        if expect == "installs":
            ok = r.state == "app" and data[common.APP_OFFSET:common.APP_OFFSET + len(what)] == what
            return group, name, "installs", r["flash_ops"], blinks, entry, \
                "" if ok else f"state={r.state} blinks={blinks}, not installed"
        problems = []
        if r.state != "app" or not common.holds(data, images["old"]):
            problems.append(f"state={r.state}, old image {'intact' if common.holds(data, images['old']) else 'DAMAGED'}")
        if r["flash_ops"] != "0":
            problems.append(f"flash_ops={r['flash_ops']}")
        if blinks not in expect:
            problems.append(f"error code {blinks}, expected {'/'.join(map(str, sorted(expect)))}")
        if not 0 < entry <= BOUND_MS:
            problems.append(f"old app at {entry} ms")
        return group, name, "/".join(map(str, sorted(expect))), r["flash_ops"], blinks, entry, "; ".join(problems)

    results = common.pmap(one, cases)
    print("OLD 40 KB image installed; the stick (FAT32, mkfs.fat + patches) holds a damaged NEW "
          "image. Expected: rejected before any flash operation, old app boots, error code = red "
          "blinks (firmware/core/status.h).\n")
    print(common.table(["group", "case", "expected code", "flash ops", "red blinks", "old app at (ms)",
                        "result"],
                       [[g, n, e, o, b, f"{t:.0f}", p or "pass"] for g, n, e, o, b, t, p in results]))
    print()
    rows = []
    for group in ("file system", "trailer", "vector table"):
        res = [r for r in results if r[0] == group]
        bad = [r for r in res if r[6]]
        rows.append([group, len(res), len(res) - len(bad), len(bad), f"{max(r[5] for r in res):.0f}"])
        rep.check(f"{group}: {len(res)} hostile cases rejected before any flash operation with their "
                  f"error code", not bad, "\n".join(f"{r[1]}: {r[6]}" for r in bad[:10]))
    print(common.table(["group", "tried", "passed", "failed", "latest app start (ms)"], rows))
    sys.exit(rep.finish())


if __name__ == "__main__":
    main()
