#!/usr/bin/env python3
"""Campaign 1: power cut at every flash operation of an update, and at random instants.

Part "ops": an update from an OLD 40 KB image to a NEW one (both the example app padded with
pseudo-random bytes, packed by stickimg; 3 sectors to erase, ~10,300 words to program). For every
N from 1 to the total number of flash operations of a clean run and for both cut modes, power is
cut during operation N (stickemu --cut-after-flash-ops N-1), then:
  (a) power-up without the stick: `app` with the OLD image byte-exact (only if the cut came
      before the first erase did anything) or `bootloader`; an app start from anything else is
      LOST;
  (b) power-up with the stick: the NEW app runs and flash holds the NEW file byte-exact.
Part "instants": the same checks after cuts at random instants (--cut-at-ms, fixed seed) of a
512 KB update, plus instants inside the seal (trailer programming) and the handover.

Variants (--variant) run the same cuts over the other paths of the bootloader:
  plain      the default build, the new image as IMAGE.BIN;
  multi      the default build, a stick for many boards: the new image as 0407D15C.BIN next
             to another board's IMAGE.BIN and an empty STICKBOOT.LOG (the report is written
             after the update, to a private copy of the stick);
  encrypted  the SECURE=1 ENCRYPT=1 build and signed, encrypted images.

  power_cuts.py [--quick] [--part ops|instants|all] [--variant V] [--suite NAME] [--jobs N]
"""
import argparse
import os
import random
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

OPS_APP_BYTES = 41296      # + 36-byte trailer = 41,332 bytes: sectors 1-3
BIG_APP_BYTES = 524252     # + trailer = 512 KB exactly: sectors 1-8
RANDOM_INSTANTS = 300
SEAL_INSTANTS = 20
HANDOVER_INSTANTS = 20


VARIANT = "plain"
ENCRYPTED_BOOTLOADER = os.path.join(common.BUILD, "f4discovery-secure-encrypt", "stickboot.bin")


def stick_files(work, tag, name):
    """The files of a stick that carries image NAME, as the variant lays them out."""
    image = work.path(f"{tag}-{name}.bin")
    if VARIANT != "multi":
        return {"IMAGE.BIN": image}
    other = work.path("other-board.bin")
    if not os.path.exists(other):
        raw = work.path("other-board.raw")
        common.padded_app(raw, 8192, 77)
        common.pack(raw, other, "9.0.0", "--board", "nucleo-f446ze")
    log = work.path("STICKBOOT.LOG")
    if not os.path.exists(log):
        subprocess.run([common.STICKIMG, "report-file", "-o", log, "--size", "4096"], check=True)
    return {"IMAGE.BIN": other, "0407D15C.BIN": image, "STICKBOOT.LOG": log}


def pack_args(encrypt=True):
    if VARIANT == "encrypted":
        key = ("--key", os.path.join(common.ROOT, "keys", "dev-key.pem"))
        return key + (("--encrypt", os.path.join(common.ROOT, "keys", "dev-aes.key")) if encrypt else ())
    return ()


def prepare(work, tag, app_bytes):
    """Old and new images and sticks, and a flash file with the old image installed."""
    images = {}
    for name, seed, version in (("old", 1, "1.0.0"), ("new", 2, "2.0.0")):
        raw = work.path(f"{tag}-{name}.raw")
        common.padded_app(raw, app_bytes, seed + app_bytes)
        images[name] = common.pack(raw, work.path(f"{tag}-{name}.bin"), version, *pack_args())
        if VARIANT == "encrypted":
            # Flash holds the plaintext: compare the application part (its length is word 7).
            plain = common.pack(raw, work.path(f"{tag}-{name}-plain.bin"), version,
                                *pack_args(encrypt=False))
            images[name] = plain[:struct.unpack_from("<I", plain, 28)[0]]
        common.make_stick(work.path(f"{tag}-{name}.img"), stick_files(work, tag, name))
    base = work.path(f"{tag}-base.bin")
    common.fresh_flash(base, work.bootloader)
    r = common.emu("--flash", base, "--stick", work.path(f"{tag}-old.img"), "--stop-after-app-ms", 10)
    if r.state != "app" or not common.holds(common.read_flash(base), images["old"]):
        sys.exit(f"setup: the old image did not install ({r.state})")
    return images, base


def after_cut(work, flash, images, tag, expect_nostick):
    """The two power-ups after a cut. expect_nostick: set of acceptable no-stick outcomes.
    Returns (nostick outcome, recovered, lost, error or None)."""
    stick = work.path(f"{tag}-new.img")
    r = common.emu("--flash", flash, "--run-ms", 1200, "--stop-after-app-ms", 20)
    data = common.read_flash(flash)
    if r.state == "app":
        if common.holds(data, images["old"]):
            nostick = "old"
        elif common.holds(data, images["new"]):
            nostick = "new"
        else:
            nostick = "LOST"
    else:
        nostick = r.state
    lost = nostick == "LOST"
    error = None
    if nostick not in expect_nostick:
        error = f"no stick: {nostick}, expected {'/'.join(sorted(expect_nostick))}"
    if r["flash_ops"] != "0":
        error = f"no stick: {r['flash_ops']} flash operations"
    r2 = common.emu("--flash", flash, "--stick", stick, "--stop-after-app-ms", 20, "--run-ms", 30000)
    recovered = r2.state == "app" and common.holds(common.read_flash(flash), images["new"])
    if not recovered and error is None:
        error = f"with stick: state={r2.state}, new image {'not ' if r2.state == 'app' else ''}in flash"
    return nostick, recovered, lost, error


def part_ops(work, rep, quick):
    images, base = prepare(work, "ops", OPS_APP_BYTES)
    clean = common.emu("--flash", work.scratch("clean", base), "--stick", work.path("ops-new.img"),
                       "--stop-after-app-ms", 20, "--trace", "flash")
    total = int(clean["flash_ops"])
    kinds = ["erase" if "flash: erase sector" in ln else "program"
             for ln in clean.text.splitlines() if "flash: erase sector" in ln or "flash: program" in ln]
    # A secure build raises the rollback floor (two words in sector 0) before the first erase.
    if clean.state != "app" or len(kinds) != total or "erase" not in kinds[:3]:
        sys.exit(f"clean run: state={clean.state} flash_ops={total} traced={len(kinds)}")
    erases = kinds.count("erase")
    first_erase = kinds.index("erase") + 1
    if quick:
        rng = random.Random(8)
        picks = set(range(1, erases + 3)) | set(range(total - 10, total + 1))
        picks |= {erases + 8192 + d for d in (0, 1)}  # the second 32 KB chunk begins
        picks |= set(rng.sample(range(1, total + 1), 8))
        if VARIANT != "plain":  # make test samples the other paths more thinly
            picks = set(range(1, first_erase + 2)) | {total - 9, total - 1, total}
            picks |= set(rng.sample(range(first_erase + 2, total - 9), 3))
        points = sorted(picks)
    else:
        points = list(range(1, total + 1))
    cases = [(n, mode) for mode in ("clean", "undefined") for n in points]

    def one(case):
        n, mode = case
        flash = work.scratch(f"ops-{mode}-{n}", base)
        r = common.emu("--flash", flash, "--stick", work.path("ops-new.img"),
                       "--cut-after-flash-ops", n - 1, "--cut-mode", mode)
        if r.state != "cut" or r["flash_ops"] != str(n - 1):
            os.remove(flash)
            return n, mode, "-", False, False, f"cut run: state={r.state} flash_ops={r['flash_ops']}"
        # Only a cut before the first erase, or a clean cut of it, leaves the old image whole;
        # after a floor write the secure build refuses it (the floor outlives the cut).
        whole = n < first_erase or (n == first_erase and mode == "clean")
        expect = ({"old"} if first_erase == 1 else {"old", "bootloader"}) if whole else {"bootloader"}
        out = after_cut(work, flash, images, "ops", expect)
        os.remove(flash)
        return (n, mode) + out

    results = common.pmap(one, cases, progress=None if quick else 500)
    if VARIANT == "plain":  # the harness's own check needs the plain 36-byte trailer
        self_check(work, base, images, erases, rep)
    rows = []
    for mode in ("clean", "undefined"):
        res = [x for x in results if x[1] == mode]
        errors = [x for x in res if x[5]]
        rows.append([mode, len(res), sum(x[2] == "old" for x in res),
                     sum(x[2] == "bootloader" for x in res), sum(x[3] for x in res),
                     sum(x[4] for x in res), len(errors)])
        for x in errors[:20]:
            rep.failures.append(f"cut at op {x[0]} ({mode}): {x[5]}")
        rep.check(f"cut at {len(res)} flash operations ({mode}): none lost, all recovered",
                  not errors and all(x[3] for x in res),
                  "; ".join(f"op {x[0]}: {x[5]}" for x in errors[:5]))
    print(f"Update {len(images['old'])} -> {len(images['new'])} bytes (3 sectors erased), "
          f"{total} flash operations ({erases} erases, {total - erases} word programs); "
          f"{'sampled' if quick else 'every'} operation cut:\n")
    print(common.table(["cut mode", "cut points tried", "no stick: old app", "no stick: bootloader",
                        "with stick: recovered", "lost", "other failures"], rows))
    print()
    return rows


def self_check(work, base, images, erases, rep):
    """The harness must be able to fail: a half-programmed image given a trailer that matches
    what is in flash (what a bootloader sealing too early would leave) must count as LOST."""
    flash = work.scratch("self-check", base)
    common.emu("--flash", flash, "--stick", work.path("ops-new.img"), "--cut-after-flash-ops",
               erases + 5000, "--cut-mode", "clean")
    data = bytearray(common.read_flash(flash))
    length = len(images["new"]) - 36
    app = bytes(data[common.APP_OFFSET:common.APP_OFFSET + length])
    t = bytearray(struct.pack("<IHHIIIIII", 0x31544253, 1, 36, length, common.APP_BASE,
                              common.stm32_crc(app), 0x02000000, 0x0407D15C, 0))
    t += struct.pack("<I", common.stm32_crc(bytes(t)))
    data[common.APP_OFFSET + length:common.APP_OFFSET + length + 36] = t
    with open(flash, "wb") as f:
        f.write(data)
    nostick = after_cut(work, flash, images, "ops", {"bootloader"})[0]
    os.remove(flash)
    rep.check("harness self-check: a half-written image sealed too early counts as LOST",
              nostick == "LOST", f"classified as {nostick}")


def part_instants(work, rep, quick):
    images, base = prepare(work, "big", BIG_APP_BYTES)
    clean = common.emu("--flash", work.scratch("clean", base), "--stick", work.path("big-new.img"),
                       "--stop-after-app-ms", 20, "--trace", "flash")
    if clean.state != "app":
        sys.exit(f"clean 512 KB run: {clean.state}")
    erase_start = clean.first("flash: erase sector")
    programs = clean.events("flash: program")
    trailer_words = 9
    seal_start = programs[-trailer_words]
    seal_end = programs[-1] + 0.016  # the last word takes 16 us
    reset_at = clean.first("reset: software")
    app_entry = clean.num("app_entry_ms")
    rng = random.Random(512)
    n_random, n_seal, n_hand = (1, 2, 1) if quick else (RANDOM_INSTANTS, SEAL_INSTANTS, HANDOVER_INSTANTS)
    instants = [("random", round(rng.uniform(0, app_entry + 5), 3)) for _ in range(n_random)]
    instants += [("seal", round(rng.uniform(seal_start - 0.01, seal_end), 3)) for _ in range(n_seal)]
    instants += [("handover", round(rng.uniform(seal_end, app_entry + 0.01), 3)) for _ in range(n_hand)]
    if quick:
        instants += [("random", round(rng.uniform(erase_start, seal_start), 3))]
        instants += [("random", round(rng.uniform(0, erase_start), 3))]
        instants += [("handover", round(reset_at, 3))]
    margin = 0.002

    def expected(t):
        if t < erase_start - margin:
            return {"old"}
        if t <= erase_start + margin:
            return {"old", "bootloader"}
        if t < seal_end - margin:
            return {"bootloader"}
        if t <= seal_end + margin:
            return {"bootloader", "new"}
        return {"new"}

    def one(item):
        where, t = item
        flash = work.scratch(f"t-{t}", base)
        r = common.emu("--flash", flash, "--stick", work.path("big-new.img"), "--cut-at-ms", t,
                       "--stop-after-app-ms", 20)
        if r.state not in ("cut", "app"):
            os.remove(flash)
            return where, t, "-", False, False, f"cut run: state={r.state}"
        out = after_cut(work, flash, images, "big", expected(t))
        os.remove(flash)
        return (where, t) + out

    results = common.pmap(one, instants, progress=None if quick else 50)
    rows = []
    for where in ("random", "seal", "handover"):
        res = [x for x in results if x[0] == where]
        errors = [x for x in res if x[5]]
        rows.append([where, len(res), sum(x[2] == "old" for x in res), sum(x[2] == "bootloader" for x in res),
                     sum(x[2] == "new" for x in res), sum(x[3] for x in res), sum(x[4] for x in res),
                     len(errors)])
        for x in errors[:20]:
            rep.failures.append(f"cut at {x[1]} ms ({where}): {x[5]}")
        rep.check(f"cut at {len(res)} instants ({where}) of a 512 KB update: none lost, all recovered",
                  not errors and all(x[3] for x in res),
                  "; ".join(f"{x[1]} ms: {x[5]}" for x in errors[:5]))
    print(f"512 KB update (8 sectors erased, {len(programs)} word programs): first erase at "
          f"{erase_start:.3f} ms, seal {seal_start:.3f}-{seal_end:.3f} ms, reset {reset_at:.3f} ms, "
          f"app entry {app_entry:.3f} ms; cuts at instants (seed 512):\n")
    print(common.table(["instants", "tried", "no stick: old app", "no stick: bootloader",
                        "no stick: new app", "with stick: recovered", "lost", "other failures"], rows))
    print()
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="sampled subset (make test)")
    ap.add_argument("--part", choices=("ops", "instants", "all"), default="all")
    ap.add_argument("--suite", help="print PASS/FAIL lines for tests/run.sh under this name")
    ap.add_argument("--jobs", type=int)
    ap.add_argument("--variant", choices=("plain", "multi", "encrypted"), default="plain")
    args = ap.parse_args()
    if args.jobs:
        common.JOBS = args.jobs
    global VARIANT
    VARIANT = args.variant
    suffix = ("" if VARIANT == "plain" else "-" + VARIANT) + ("-quick" if args.quick else "")
    work = common.Work("power_cuts" + suffix,
                       ENCRYPTED_BOOTLOADER if VARIANT == "encrypted" else None)
    rep = common.Reporter(args.suite)
    if args.part in ("ops", "all"):
        part_ops(work, rep, args.quick)
    if args.part in ("instants", "all"):
        part_instants(work, rep, args.quick)
    sys.exit(rep.finish())


if __name__ == "__main__":
    main()
