#!/usr/bin/env python3
"""Campaign 5: the hardware watchdog (stickemu --iwdg: the IWDG runs from every reset with its
reset values, as with the WDG_SW=0 option byte).

The bootloader stretches the IWDG to /32 at boot (firmware/stm32f4/main.c): 4.1 s at the
nominal LSI (32 kHz), 2.79 s at the fastest (47 kHz), longer than the worst-case 128 KB erase
(2 s at x32) during which the CPU stalls and cannot refresh. Scenarios: a 960 KB update over an
installed 960 KB image (11 sector erases), a first install, slow and hostile sticks, a stick
that never becomes ready, a rejected file with its error display, the wait for a stick, and a
power cut during a 128 KB erase followed by recovery. None may see a watchdog reset.

  watchdog.py [--quick] [--suite NAME]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

BIG = 983040 - 36  # application bytes of a 960 KB image (trailer included: 960 KB)


def main():
    args, work, rep = common.campaign("watchdog", __doc__)
    images = {}
    for name, seed, version in (("old", 51, "1.0.0"), ("new", 52, "2.0.0")):
        raw = work.path(f"{name}.raw")
        common.padded_app(raw, BIG, seed)
        images[name] = common.pack(raw, work.path(f"{name}.bin"), version)
        common.make_stick(work.path(f"{name}.img"), {"IMAGE.BIN": work.path(f"{name}.bin")})
    bad = bytearray(images["new"])
    bad[1000] ^= 1
    with open(work.path("bad.bin"), "wb") as f:
        f.write(bad)
    common.make_stick(work.path("bad.img"), {"IMAGE.BIN": work.path("bad.bin")})
    blank = work.path("blank.bin")
    common.fresh_flash(blank, work.bootloader)
    base = work.path("base.bin")
    common.fresh_flash(base, work.bootloader)
    r = common.emu("--flash", base, "--stick", work.path("old.img"), "--stop-after-app-ms", 10)
    if not common.holds(common.read_flash(base), images["old"]):
        sys.exit("setup: old image not installed")

    def profile(text):
        p = os.path.join(work.tmp, f"p{abs(hash(text)) % 10**8}.prof")
        with open(p, "w") as f:
            f.write("\n".join(text.split()) + "\n")
        return ["--profile", p]

    stick = lambda name: ["--stick", work.path(f"{name}.img")]  # noqa: E731
    # (name, start flash, emulator args, expected: new/old/waiting)
    cases = [
        ("960 KB update over a 960 KB image (11 erases)", base, stick("new"), "new"),
        ("960 KB first install (blank flash)", blank, stick("new"), "new"),
        ("update through txerr_every=50 read_latency_us=2000", base,
         stick("new") + profile("txerr_every=50 read_latency_us=2000"), "new"),
        ("update through not_ready_count=30 (3 s of TEST UNIT READY)", base,
         stick("new") + profile("not_ready_count=30"), "new"),
        ("stick never ready (not_ready_count=150): given up at 10 s", base,
         stick("new") + profile("not_ready_count=150"), "old"),
        ("hostile: stall_all=1", base, stick("new") + profile("stall_all=1"), "old"),
        ("hostile: garbage_descriptors=2", base, stick("new") + profile("garbage_descriptors=2"), "old"),
        ("hostile: disconnect_after_bytes=1000", base,
         stick("new") + profile("disconnect_after_bytes=1000"), "old"),
        ("bad CRC: rejected, 9 red blinks, old app", base, stick("bad"), "old"),
        ("no stick, no app: waiting for 60 s", blank, ["--run-ms", 60000], "waiting"),
    ]
    if args.quick:
        cases = [c for i, c in enumerate(cases) if i in (0, 4, 8)]

    def one(case):
        name, start, extra, expect = case
        flash = work.scratch(f"w{abs(hash(name)) % 10**8}", start)
        r = common.emu("--flash", flash, "--iwdg", "--stop-after-app-ms", 20, "--run-ms", 120000, *extra)
        data = common.read_flash(flash)
        os.remove(flash)
        if r.state == "app":
            outcome = "new" if common.holds(data, images["new"]) else \
                "old" if common.holds(data, images["old"]) else "CORRUPT"
        else:
            outcome = "waiting" if r.state == "bootloader" else r.state
        ok = outcome == expect and r["iwdg_resets"] == "0"
        return [name, outcome, r["iwdg_resets"], r["erases"], f"{r.num('t_ms') / 1000:.1f}",
                "pass" if ok else f"FAIL (expected {expect})"]

    rows = common.pmap(one, cases)
    # A power cut during the erase of a 128 KB sector, then recovery, all under the watchdog.
    if not args.quick:
        flash = work.scratch("cut", base)
        common.emu("--flash", flash, "--iwdg", *stick("new"), "--cut-at-ms", 3000)
        r = common.emu("--flash", flash, "--iwdg", *stick("new"), "--stop-after-app-ms", 20, "--run-ms", 120000)
        ok = r.state == "app" and common.holds(common.read_flash(flash), images["new"]) and r["iwdg_resets"] == "0"
        rows.append(["power cut at 3 s (128 KB erase), then recovery", "new" if ok else r.state,
                     r["iwdg_resets"], r["erases"], f"{r.num('t_ms') / 1000:.1f}", "pass" if ok else "FAIL"])
    for row in rows:
        rep.check(f"--iwdg: {row[0]}: {row[1]}, {row[2]} watchdog resets", row[5] == "pass", row[5])
    print("stickemu --iwdg (IWDG from every reset: /4, reload 0xFFF = 512 ms at 32 kHz; the "
          "bootloader sets /32 = 4.1 s):\n")
    print(common.table(["scenario", "outcome", "IWDG resets", "erases", "virtual s", "result"], rows))
    print()
    sys.exit(rep.finish())


if __name__ == "__main__":
    main()
