"""Shared helpers of the reliability campaigns (scripts/reliability/*.py).

Every campaign runs the real bootloader binary in stickemu, one emulator process per power-up,
two at a time by default (RELIABILITY_JOBS), and prints a table. Flash files are consecutive
power cycles: a campaign copies a prepared flash file, runs the cut, then the power-ups that
follow it on the same file.
"""
import argparse
import concurrent.futures
import os
import random
import shutil
import struct
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build")
EMU = os.path.join(BUILD, "stickemu")
STICKIMG = os.path.join(BUILD, "stickimg")
APP_BASE = 0x08004000
APP_OFFSET = APP_BASE - 0x08000000
JOBS = int(os.environ.get("RELIABILITY_JOBS", "2"))


class Result:
    """One stickemu run: the result line as a dict, and the timeline."""

    def __init__(self, args, text, wall):
        self.args = args
        self.text = text
        self.wall = wall
        self.keys = {}
        for line in text.splitlines():
            if line.startswith("result:"):
                for item in line.split()[1:]:
                    if "=" in item:
                        k, v = item.split("=", 1)
                        self.keys[k] = v

    def __getitem__(self, key):
        return self.keys.get(key, "")

    def num(self, key, default=-1.0):
        try:
            return float(self.keys[key])
        except (KeyError, ValueError):
            return default

    @property
    def state(self):
        return self.keys.get("state", "none")

    def events(self, needle):
        """Times (ms) of timeline lines containing needle."""
        out = []
        for line in self.text.splitlines():
            if line.startswith("[") and needle in line:
                out.append(float(line[1:line.index("ms]")]))
        return out

    def first(self, needle):
        ev = self.events(needle)
        return ev[0] if ev else None

    def red_blinks_before_app(self):
        n = 0
        for line in self.text.splitlines():
            if "app entry" in line:
                break
            if "LED red on" in line:
                n += 1
        return n


def emu(*args, timeout=600):
    start = time.monotonic()
    proc = subprocess.run([EMU, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout)
    return Result(args, proc.stdout.decode("utf-8", "replace"), time.monotonic() - start)


def campaign(name, doc, more_options=None, variant=None):
    """The options every campaign takes (--quick, --suite, --jobs), plus those more_options(ap)
    adds: (args, Work, Reporter). variant(args): a suffix for the work directory, or ""."""
    global JOBS
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--suite")
    ap.add_argument("--jobs", type=int)
    if more_options:
        more_options(ap)
    args = ap.parse_args()
    if args.jobs:
        JOBS = args.jobs
    suffix = variant(args) if variant else ""
    return args, Work(name + suffix + ("-quick" if args.quick else "")), Reporter(args.suite)


def old_new_images(work, app_bytes, seed_old, seed_new):
    """Packed OLD (1.0.0) and NEW (2.0.0) images of app_bytes pseudo-random application bytes."""
    images = {}
    for name, seed, version in (("old", seed_old, "1.0.0"), ("new", seed_new, "2.0.0")):
        raw = work.path(f"{name}.raw")
        padded_app(raw, app_bytes, seed)
        images[name] = pack(raw, work.path(f"{name}.bin"), version)
    return images


def random_bytes(n, seed):
    return random.Random(seed).randbytes(n)


def pack(raw_path, out_path, version, *extra):
    subprocess.run([STICKIMG, "pack", raw_path, "-o", out_path, "--version", version, "-q", *extra],
                   check=True)
    with open(out_path, "rb") as f:
        return f.read()


def padded_app(path, total_bytes, seed):
    """The example app followed by pseudo-random bytes: total_bytes of application part."""
    with open(os.path.join(BUILD, "blink.bin"), "rb") as f:
        app = f.read()
    with open(path, "wb") as f:
        f.write(app + random_bytes(total_bytes - len(app), seed))


def make_stick(img, files, size_mb=64, fat=32, sector=512):
    """A FAT stick image (no partition table) holding {name: source path}."""
    if os.path.exists(img):
        os.remove(img)
    with open(img, "wb") as f:
        f.truncate(size_mb * 1024 * 1024)
    subprocess.run(["mkfs.fat", "-F", str(fat), "-S", str(sector), img], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    for name, src in files.items():
        subprocess.run(["mcopy", "-i", img, src, "::" + name], check=True, env=env)


def fresh_flash(path, bootloader):
    if os.path.exists(path):
        os.remove(path)
    emu("--flash", path, "--load", "0x08000000", bootloader, "--run-ms", 0)


def read_flash(path):
    with open(path, "rb") as f:
        return f.read()


def holds(flash, image):
    """Flash (a --flash file's bytes) holds image byte-exact at APP_BASE."""
    return flash[APP_OFFSET:APP_OFFSET + len(image)] == image


def _crc_table():
    table = []
    for byte in range(256):
        c = byte << 24
        for _ in range(8):
            c = ((c << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if c & 0x80000000 else (c << 1) & 0xFFFFFFFF
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def stm32_crc(data):
    """STM32 CRC unit over little-endian words, MSB first (docs/image-format.md)."""
    crc = 0xFFFFFFFF
    for (word,) in struct.iter_unpack("<I", data[:len(data) // 4 * 4]):
        for shift in (24, 16, 8, 0):
            crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC_TABLE[(crc >> 24) ^ ((word >> shift) & 0xFF)]
    return crc


def pmap(fn, items, jobs=None, progress=None):
    """fn over items, jobs at a time (each fn runs emulator processes); results in order."""
    items = list(items)
    results = [None] * len(items)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs or JOBS) as pool:
        futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        done = 0
        for fut in concurrent.futures.as_completed(futures):
            results[futures[fut]] = fut.result()
            done += 1
            if progress and (done % progress == 0 or done == len(items)):
                print(f"  ... {done}/{len(items)}", file=sys.stderr, flush=True)
    return results


def table(headers, rows):
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


class Work:
    """A campaign's directory under build/reliability/, with its own copy of the bootloader so
    that a rebuild during a long campaign does not change what is tested."""

    def __init__(self, name, bootloader=None):
        self.dir = os.path.join(BUILD, "reliability", name)
        self.tmp = os.path.join(self.dir, "tmp")
        shutil.rmtree(self.tmp, ignore_errors=True)
        os.makedirs(self.tmp, exist_ok=True)
        self.bootloader = self.path("stickboot.bin")
        # Copies of what is tested: others may rebuild build/ while a campaign runs.
        global EMU
        for src, dst in ((bootloader or os.path.join(BUILD, "stickboot.bin"), self.bootloader),
                         (os.path.join(BUILD, "stickemu"), self.path("stickemu"))):
            for _ in range(60):
                if os.access(src, os.X_OK):
                    shutil.copy2(src, dst)
                    break
                time.sleep(1)
        EMU = self.path("stickemu")

    def path(self, name):
        return os.path.join(self.dir, name)

    def scratch(self, tag, base):
        """A private copy of flash file base for one case."""
        p = os.path.join(self.tmp, f"{tag}.bin")
        shutil.copyfile(base, p)
        return p


class Reporter:
    """PASS/FAIL lines for tests/run.sh (with --suite NAME) and a list of failures."""

    def __init__(self, suite=None):
        self.suite = suite
        self.failures = []

    def check(self, name, ok, detail=""):
        if not ok:
            self.failures.append(f"{name}: {detail}")
        if self.suite:
            print(f"{'PASS' if ok else 'FAIL'} {self.suite}:{name}")
            if not ok and detail:
                print("  " + detail.replace("\n", "\n  ")[:2000])
        sys.stdout.flush()

    def finish(self):
        if self.failures:
            print(f"\n{len(self.failures)} failure(s):")
            for f in self.failures[:50]:
                print("  " + f)
        return 1 if self.failures else 0


def make_hostile_gpt_stick(img, size_mb=64, entries=128, junk_root=True, chain_clusters=1):
    """Issue 15's hostile stick: a GPT whose `entries` basic-data entries all name one FAT32
    volume (mkfs.fat, 512-byte clusters) whose root directory is full of deleted entries (no
    end marker, no IMAGE.BIN). chain_clusters=1: the root cluster chains to itself;
    N > 1: N clusters, none adjacent to the next, the last chained back to the first."""
    start = 2048
    vol = img + ".vol"
    if os.path.exists(vol):
        os.remove(vol)
    with open(vol, "wb") as f:
        f.truncate((size_mb - 2) * 1024 * 1024)
    subprocess.run(["mkfs.fat", "-F", "32", "-s", "1", "-S", "512", vol], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(vol, "rb") as f:
        v = bytearray(f.read())
    os.remove(vol)
    reserved, = struct.unpack_from("<H", v, 14)
    nfats = v[16]
    fatsz, root = struct.unpack_from("<I", v, 36)[0], struct.unpack_from("<I", v, 44)[0]
    data = reserved + nfats * fatsz
    if junk_root:
        chain = [root] + [root + 2 * k for k in range(1, chain_clusters)]
        for n, c in enumerate(chain):
            off = (data + c - 2) * 512
            for k in range(off, off + 512, 32):
                v[k:k + 32] = b"\xe5" + b"A" * 31
            for i in range(nfats):
                struct.pack_into("<I", v, (reserved + i * fatsz) * 512 + 4 * c,
                                 chain[(n + 1) % len(chain)])
    disk = bytearray(start * 512) + v + bytearray(34 * 512)
    disk[446 + 4] = 0xEE
    struct.pack_into("<I", disk, 446 + 8, 1)
    struct.pack_into("<I", disk, 446 + 12, len(disk) // 512 - 1)
    disk[510:512] = b"\x55\xaa"
    basic_data = bytes.fromhex("a2a0d0ebe5b9334487c068b6b72699c7")
    last = start + len(v) // 512 - 1
    for i in range(entries):
        e = 1024 + 128 * i
        disk[e:e + 16] = basic_data
        struct.pack_into("<QQ", disk, e + 32, start, last)
    h = 512
    disk[h:h + 8] = b"EFI PART"
    struct.pack_into("<IIII", disk, h + 8, 0x10000, 92, 0, 0)
    struct.pack_into("<QQQQ", disk, h + 24, 1, len(disk) // 512 - 1, 34, start - 1)
    struct.pack_into("<QII", disk, h + 72, 2, 128, 128)
    with open(img, "wb") as f:
        f.write(disk)
