#!/usr/bin/env python3
"""Campaign 2: the stick fault matrix on the real bootloader in stickemu.

An OLD 40 KB image is installed; the stick holds a NEW one. Every stickemu profile key alone
(a non-default value), every pair of the fault keys, issue 4's combinations, the hostile devices,
and stick removal during mount, pass 1, pass 2 and verify. The outcome must be one of: new app
running, old app running, bootloader waiting; never a fault, never an app start from flash that
holds neither image byte-exact, never past the time bounds. A quirk the stack must handle
(issue 4) must end with the new app. After "bootloader waiting", a power-up with a well-behaved
stick must install the new image.

  fault_matrix.py [--quick] [--suite NAME] [--jobs N]
"""
import argparse
import itertools
import os
import random
import sys

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

APP_BYTES = 41296
GIVE_UP_MS = 15000     # issue 4: a device that cannot be made to work is given up within 15 s
NEW_BOUND_MS = 30000   # an update through a quirky stick ends within this (virtual time)
RUN_MS = 45000

NEW, OLD, WAIT = "new", "old", "waiting"

# Every profile key alone, with a non-default value, and the outcome it must have.
SINGLES = [
    ("vid=0x1234", NEW), ("pid=0x4321", NEW),
    ("ep0_mps=8", NEW), ("ep0_mps=16", NEW), ("ep0_mps=32", NEW),
    ("bulk_mps=8", NEW), ("bulk_mps=16", NEW), ("bulk_mps=32", NEW),
    ("luns=2", NEW), ("luns=16", NEW),
    ("lun.0=empty", OLD), ("lun.0=cdrom", OLD),
    ("block_size=4096", NEW), ("block_size=2048", NEW), ("block_size=1000", OLD),
    ("connect_delay_ms=100", NEW),
    ("connect_delay_ms=1000", OLD),  # seen after the PROBE_MS window: the old app starts
    ("not_ready_count=30", NEW), ("unit_attention=1", NEW),
    ("get_max_lun=stall", NEW), ("get_max_lun=zlp", NEW), ("get_max_lun=255", NEW),
    ("get_max_lun=3", NEW),
    ("max_sectors=8", NEW), ("read_latency_us=2000", NEW), ("csw_latency_us=2000", NEW),
    ("nak_every=3", NEW), ("stall_csw_once=3", NEW), ("zlp_before_csw=1", NEW),
    ("bad_csw_signature_once=6", NEW), ("wrong_tag_once=6", NEW), ("bad_residue=1", NEW),
    ("skip_data_phase_once=4", NEW), ("capacity_off_by_one=1", NEW), ("inquiry_needs_36=1", NEW),
    ("txerr_every=50", NEW), ("babble_once=10", NEW),
    ("disconnect_after_bytes=30000", OLD),
    ("garbage_descriptors=1", OLD), ("garbage_descriptors=2", OLD), ("stall_all=1", OLD),
    ("extra_descriptors=1", NEW), ("extra_descriptors=2", NEW), ("strings=0", NEW),
    # issues 15 and 16
    ("block_size=8192", OLD), ("block_size=65536", OLD),
    ("read_capacity=0xFFFFFFFF00000200", NEW),  # the stick is unpartitioned
    ("read_capacity=0x0000000000000200", OLD), ("read_capacity=0x0001000000000208", OLD),
    ("not_ready_ms=2000", NEW), ("last_sector_bug=8", NEW), ("hang_above_sectors=16", NEW),
    ("composite=cdc", NEW), ("composite=hid", NEW), ("composite=cdc+hid", NEW),
    ("msc_alt_setting=1", NEW), ("config_padding=700", NEW), ("config_tail=2000", NEW),
    ("vbus_off_min_ms=300", NEW), ("warm_reset_hang=1", NEW), ("deaf_after_reset_ms=150", NEW),
    ("second_image_after_reads=5 second_read_latency_us=3000", NEW),
    ("luns=2 lun.0.image=@nofile.img", NEW),  # a card without the file in LUN 0
    ("luns=2 lun.0.read_capacity=0xFFFFFFFF00000200", NEW),
]

# Fault keys for the pairs; True: a quirk the stack handles (a pair of those must end "new").
FAULTS = [
    ("nak_every=3", True), ("stall_csw_once=3", True), ("zlp_before_csw=1", True),
    ("bad_csw_signature_once=6", True), ("wrong_tag_once=7", True), ("bad_residue=1", True),
    ("skip_data_phase_once=4", True), ("capacity_off_by_one=1", True), ("txerr_every=50", True),
    ("babble_once=10", True), ("read_latency_us=2000", True), ("csw_latency_us=1000", True),
    ("not_ready_count=30", True), ("unit_attention=1", True), ("max_sectors=8", True),
    ("inquiry_needs_36=1", True), ("get_max_lun=stall", True), ("not_ready_ms=2000", True),
    ("last_sector_bug=8", True), ("composite=cdc+hid", True), ("msc_alt_setting=1", True),
    ("disconnect_after_bytes=30000", False),
]

COMBOS = [  # issue 4
    ("ep0_mps=8 not_ready_count=30", NEW), ("luns=2 lun.0=empty lun.1=disk", NEW),
    ("luns=2 lun.0=cdrom lun.1=disk", NEW), ("max_sectors=8 nak_every=3", NEW),
    ("txerr_every=50 read_latency_us=2000", NEW),
    ("composite=cdc+hid msc_alt_setting=1 config_padding=300 txerr_every=50", NEW),
    ("luns=3 lun.0=empty lun.1.image=@nofile.img not_ready_ms=1500", NEW),
]
HOSTILE = [  # issue 4: must be given up within 15 s, then the old app boots
    ("garbage_descriptors=1", OLD), ("garbage_descriptors=2", OLD), ("stall_all=1", OLD),
    ("disconnect_after_bytes=1000", OLD),
]


def stick_for(work, profile):
    """The stick image for a profile: 2 KB and 4 KB media get a FAT with that sector size
    (FAT16: mtools cannot write FAT32 with such sectors), made by main()."""
    for kv in profile.split():
        if kv in ("block_size=2048", "block_size=4096"):
            return work.path(f"new-{kv.split('=')[1]}.img")
    return work.path("new.img")


def classify(r, flash, images):
    if r.state == "app":
        data = common.read_flash(flash)
        if common.holds(data, images["new"]):
            return NEW
        if common.holds(data, images["old"]):
            return OLD
        return "CORRUPT"
    if r.state == "bootloader":
        return WAIT
    return r.state.upper()


def run_case(work, base, images, case):
    """case: (group, name, profile text, expected outcomes, extra emulator args)."""
    group, name, profile, expect, extra = case
    tag = f"{group}-{abs(hash(name)) % 10**8}"
    flash = work.scratch(tag, base)
    args = ["--flash", flash, "--stick", stick_for(work, profile), "--stop-after-app-ms", 20,
            "--run-ms", RUN_MS, *extra]
    if profile.strip():
        prof = os.path.join(work.tmp, tag + ".prof")
        with open(prof, "w") as f:  # @name: an image of the campaign's work directory
            f.write("\n".join(profile.replace("@", work.path("")).split()) + "\n")
        args += ["--profile", prof]
    r = common.emu(*args)
    outcome = classify(r, flash, images)
    problems = []
    if outcome not in expect:
        problems.append(f"outcome {outcome}, expected {'/'.join(sorted(expect))}")
    entry = r.num("app_entry_ms")
    red = r.first("LED red on")
    if outcome == NEW and entry > NEW_BOUND_MS:
        problems.append(f"new app only at {entry} ms")
    if outcome == OLD and red is not None:
        if red > GIVE_UP_MS:
            problems.append(f"gave up at {red} ms (> {GIVE_UP_MS})")
        blinks = r.red_blinks_before_app()
        if entry > red + blinks * 400 + 800 + 100:
            problems.append(f"old app at {entry} ms, {blinks} red blinks from {red} ms")
    if outcome == WAIT:
        last_red = max(r.events("LED red on") or [0])
        if not [t for t in r.events("LED blue on") if t > last_red]:
            problems.append("bootloader not back in the waiting loop (no blue blink)")
        # The next power-up with a well-behaved stick must install the new image.
        r2 = common.emu("--flash", flash, "--stick", work.path("new.img"), "--stop-after-app-ms", 20)
        if classify(r2, flash, images) != NEW:
            problems.append(f"recovery with a good stick: {classify(r2, flash, images)}")
    os.remove(flash)
    code = r.red_blinks_before_app() if red is not None else 0
    when = entry if entry >= 0 else r.num("t_ms")
    return group, name, outcome, when, code, "; ".join(problems)


def removal_cases(work, base, quick):
    """Unplug instants in each phase, from a traced clean run."""
    r = common.emu("--flash", work.scratch("trace", base), "--stick", work.path("new.img"),
                   "--stop-after-app-ms", 20, "--trace", "usb,flash")
    connect = r.first("device connected")
    first_erase = r.first("flash: erase sector")
    programs = r.events("flash: program")
    bulk_in = r.events("BULK IN dev 1 ep 1: done")
    big_reads = [t for t in r.events("BULK IN dev 1 ep 1: done, 32768") if t < first_erase]
    pass1_start = big_reads[0] - 28  # the first 32 KB READ(10) of the file
    pass1_end = max(t for t in bulk_in if t < first_erase)  # the CSW of its last READ(10)
    last_app, first_trailer = programs[-10] + 0.016, programs[-9]
    # The file's last read: pass 2 reads ahead of the programs (core/update.c), and the update
    # report reads the stick again after the trailer.
    pass2_end = max(t for t in bulk_in if t < first_trailer)
    # After pass 1's last read the update goes on without the stick until pass 2 reads it;
    # after pass 2's last read it needs the stick no more.
    phases = [("mount", connect + 1, pass1_start - 2, {OLD}),
              ("pass 1", pass1_start, pass1_end - 0.01, {OLD}),
              ("pass 2", first_erase + 0.01, pass2_end - 0.01, {WAIT}),
              ("pass 2, last chunk read", pass2_end + 0.01, last_app - 0.02, {NEW}),
              ("verify", last_app + 0.001, first_trailer - 0.001, {NEW})]
    rng = random.Random(4)
    cases = []
    for phase, lo, hi, expect in phases:
        count = (1 if phase.startswith('pass 2,') else 2) if quick else 8
        for i in range(count):
            t = round(lo + (hi - lo) * (i + rng.random()) / count, 3)
            cases.append(("removal", f"unplug at {t} ms ({phase})", "", expect, ["--unplug-at-ms", t]))
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="sampled subset (make test)")
    ap.add_argument("--suite")
    ap.add_argument("--jobs", type=int)
    args = ap.parse_args()
    if args.jobs:
        common.JOBS = args.jobs
    work = common.Work("fault_matrix" + ("-quick" if args.quick else ""))
    rep = common.Reporter(args.suite)
    images = {}
    for name, seed, version in (("old", 21, "1.0.0"), ("new", 22, "2.0.0")):
        raw = work.path(f"{name}.raw")
        common.padded_app(raw, APP_BYTES, seed)
        images[name] = common.pack(raw, work.path(f"{name}.bin"), version)
        common.make_stick(work.path(f"{name}.img"), {"IMAGE.BIN": work.path(f"{name}.bin")})
    common.make_stick(work.path("nofile.img"), {}, size_mb=16, fat=16)  # a card without the file
    for size in (2048, 4096):
        common.make_stick(work.path(f"new-{size}.img"), {"IMAGE.BIN": work.path("new.bin")},
                          fat=16, sector=size)
    base = work.path("base.bin")
    common.fresh_flash(base, work.bootloader)
    common.emu("--flash", base, "--stick", work.path("old.img"), "--stop-after-app-ms", 10)
    if not common.holds(common.read_flash(base), images["old"]):
        sys.exit("setup: old image not installed")

    cases = [("single", kv, kv, {e}, []) for kv, e in SINGLES]
    cases += [("combo", p, p, {e}, []) for p, e in COMBOS]
    cases += [("hostile", p, p, {e}, []) for p, e in HOSTILE]
    pairs = list(itertools.combinations(FAULTS, 2))
    if args.quick:
        pairs = random.Random(2).sample(pairs, 12)
    for (a, ha), (b, hb) in pairs:
        # A pair with a device that drops off may end with the old app, or waiting when the
        # drop comes in pass 2; never anything else.
        cases.append(("pair", f"{a} {b}", f"{a} {b}", {NEW} if ha and hb else {OLD, WAIT, NEW}, []))
    cases += removal_cases(work, base, args.quick)

    results = common.pmap(lambda c: run_case(work, base, images, c), cases,
                          progress=None if args.quick else 50)

    print("Every case: OLD 40 KB image installed, NEW one on the stick (FAT32); outcome after one "
          "power-up (stickemu --run-ms 45000).\n")
    detail = [r for r in results if r[0] != "pair"]
    print(common.table(["group", "case", "outcome", "app entry / end (ms)", "red blinks", "problem"],
                       [[g, f"`{n}`", o, f"{w:.0f}", c, p or "-"] for g, n, o, w, c, p in detail]))
    print()
    rows = []
    for group in ("single", "combo", "hostile", "pair", "removal"):
        res = [r for r in results if r[0] == group]
        bad = [r for r in res if r[5]]
        rows.append([group, len(res), sum(r[2] == NEW for r in res), sum(r[2] == OLD for r in res),
                     sum(r[2] == WAIT for r in res), len(res) - len(bad), len(bad),
                     f"{max(r[3] for r in res) / 1000:.1f}"])
        rep.check(f"{group}: {len(res)} cases, every outcome allowed and in bounds", not bad,
                  "\n".join(f"{r[1]}: {r[5]}" for r in bad[:10]))
    print(common.table(["group", "tried", "new app", "old app", "bootloader waiting", "passed",
                        "failed", "latest app start or end of run (s)"], rows))
    pair_bad = [r for r in results if r[0] == "pair" and r[5]]
    if pair_bad:
        print("\nFailing pairs:\n")
        print(common.table(["pair", "outcome", "problem"], [[f"`{r[1]}`", r[2], r[5]] for r in pair_bad]))
    sys.exit(rep.finish())


if __name__ == "__main__":
    main()
