#!/usr/bin/env python3
"""Write a file into an exFAT volume made by mkfs.exfat, without mounting it.

No Debian tool writes into an exFAT image offline, so this test helper does what a driver
would: allocate clusters in the allocation bitmap, write the data, write the FAT chain (unless
the file is contiguous and marked NoFatChain) and append a file entry set (0x85 file, 0xC0
stream extension, 0xC1 names) with its name hash and set checksum to the root directory (or to
a new subdirectory). `fsck.exfat -n` must accept the result; the test suite checks that.

usage: mkexfat-file.py IMAGE SRC [--offset BYTES] [--name NAME] [--layout contiguous|chain|fragmented]
                       [--deleted-first] [--as-directory] [--subdir NAME] [--valid-length N]
"""
import argparse
import struct
import sys

TIMESTAMP = ((2024 - 1980) << 25) | (1 << 21) | (1 << 16)  # 2024-01-01 00:00:00


def name_hash(name):
    h = 0
    for ch in name.upper().encode("utf-16-le"):
        h = (((h & 1) << 15) + (h >> 1) + ch) & 0xFFFF
    return h


def set_checksum(entries):
    s = 0
    for i, b in enumerate(entries):
        if i in (2, 3):
            continue
        s = (((s & 1) << 15) + (s >> 1) + b) & 0xFFFF
    return s


class Volume:
    def __init__(self, img, offset):
        self.img, self.offset = img, offset
        boot = self.read(0, 512)
        if boot[3:11] != b"EXFAT   ":
            sys.exit("not an exFAT boot sector")
        (self.fat_off, self.fat_len, self.heap_off, self.clusters, self.root) = struct.unpack_from(
            "<IIIII", boot, 80)
        self.sector = 1 << boot[108]
        self.cluster = self.sector << boot[109]
        self.bitmap_cluster = self.bitmap_len = None
        for pos, e in self.dir_entries(self.root):
            if e[0] == 0x81:
                self.bitmap_cluster, self.bitmap_len = struct.unpack_from("<IQ", e, 20)
        if self.bitmap_cluster is None:
            sys.exit("no allocation bitmap in the root directory")
        self.bitmap = bytearray(self.read(self.cluster_pos(self.bitmap_cluster), self.bitmap_len))

    def read(self, pos, n):
        self.img.seek(self.offset + pos)
        return self.img.read(n)

    def write(self, pos, data):
        self.img.seek(self.offset + pos)
        self.img.write(data)

    def cluster_pos(self, c):
        return self.heap_off * self.sector + (c - 2) * self.cluster

    def fat_get(self, c):
        return struct.unpack("<I", self.read(self.fat_off * self.sector + 4 * c, 4))[0]

    def fat_set(self, c, v):
        self.write(self.fat_off * self.sector + 4 * c, struct.pack("<I", v))

    def chain(self, first):
        c, out = first, []
        while 2 <= c <= self.clusters + 1 and len(out) <= self.clusters:
            out.append(c)
            c = self.fat_get(c)
        return out

    def dir_entries(self, first, contiguous_len=None):
        clusters = ([first + i for i in range(contiguous_len)] if contiguous_len
                    else self.chain(first))
        for c in clusters:
            base = self.cluster_pos(c)
            data = self.read(base, self.cluster)
            for i in range(0, self.cluster, 32):
                yield base + i, data[i:i + 32]

    def free(self, c):
        i = c - 2
        return not self.bitmap[i // 8] & (1 << (i % 8))

    def allocate(self, count, layout):
        got, c = [], 2
        if layout == "fragmented":
            while len(got) < count and c <= self.clusters + 1:
                if self.free(c):
                    got.append(c)
                    c += 1  # leave the next one free: every run is one cluster long
                c += 1
        else:
            run = []
            while len(run) < count and c <= self.clusters + 1:
                run = run + [c] if self.free(c) else []
                c += 1
            got = run
        if len(got) < count:
            sys.exit("volume full")
        for c in got:
            i = c - 2
            self.bitmap[i // 8] |= 1 << (i % 8)
        return got

    def finish(self):
        self.write(self.cluster_pos(self.bitmap_cluster), bytes(self.bitmap))

    def add_entry_set(self, dir_first, dir_contiguous_len, entries):
        need = len(entries) // 32
        run = []
        for pos, e in self.dir_entries(dir_first, dir_contiguous_len):
            run = run + [pos] if e[0] == 0 else []
            if len(run) == need:
                break
        if len(run) < need:
            sys.exit("directory full")
        for i, pos in enumerate(run):
            self.write(pos, entries[32 * i:32 * i + 32])


def entry_set(name, attributes, flags, first, length, valid, deleted=False):
    units = name.encode("utf-16-le")
    names = [units[i:i + 30].ljust(30, b"\0") for i in range(0, len(units), 30)]
    file_entry = bytearray(32)
    file_entry[0] = 0x85
    file_entry[1] = 1 + len(names)
    struct.pack_into("<HHIII", file_entry, 4, attributes, 0, TIMESTAMP, TIMESTAMP, TIMESTAMP)
    stream = bytearray(32)
    stream[0] = 0xC0
    stream[1] = flags
    stream[3] = len(name)
    struct.pack_into("<H", stream, 4, name_hash(name))
    struct.pack_into("<Q", stream, 8, valid)
    struct.pack_into("<IQ", stream, 20, first, length)
    out = file_entry + stream
    for n in names:
        out += bytes([0xC1, 0]) + n
    struct.pack_into("<H", out, 2, set_checksum(out))
    if deleted:
        for i in range(0, len(out), 32):
            out[i] &= 0x7F
    return bytes(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("image")
    ap.add_argument("src")
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--name", default="IMAGE.BIN")
    ap.add_argument("--layout", choices=["contiguous", "chain", "fragmented"], default="contiguous")
    ap.add_argument("--deleted-first", action="store_true")
    ap.add_argument("--as-directory", action="store_true")
    ap.add_argument("--subdir")
    ap.add_argument("--valid-length", type=int)
    a = ap.parse_args()
    data = open(a.src, "rb").read()
    with open(a.image, "r+b") as img:
        v = Volume(img, a.offset)
        dir_first, dir_len = v.root, None
        if a.subdir or a.as_directory:
            (c,) = v.allocate(1, "contiguous")
            v.write(v.cluster_pos(c), bytes(v.cluster))
            v.add_entry_set(v.root, None, entry_set(a.subdir or a.name, 0x10, 3, c, v.cluster,
                                                    v.cluster))
            if a.as_directory:
                v.finish()
                return
            dir_first, dir_len = c, 1
        if a.deleted_first:
            v.add_entry_set(dir_first, dir_len, entry_set(a.name, 0x20, 1, 0, 0, 0, deleted=True))
        count = (len(data) + v.cluster - 1) // v.cluster
        clusters = v.allocate(count, a.layout) if data else []
        for i, c in enumerate(clusters):
            v.write(v.cluster_pos(c), data[i * v.cluster:(i + 1) * v.cluster])
        if a.layout != "contiguous":
            for c, nxt in zip(clusters, clusters[1:] + [0xFFFFFFFF]):
                v.fat_set(c, nxt)
        flags = (1 if data else 0) | (2 if a.layout == "contiguous" and data else 0)
        valid = len(data) if a.valid_length is None else a.valid_length
        v.add_entry_set(dir_first, dir_len, entry_set(a.name, 0x20, flags,
                                                      clusters[0] if data else 0, len(data), valid))
        v.finish()


if __name__ == "__main__":
    main()
