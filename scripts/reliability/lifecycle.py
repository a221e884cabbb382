#!/usr/bin/env python3
"""Campaign 6: the board's life (issue 15). Every event crossed with every phase, on the real
bootloader in stickemu; each case must end in a documented outcome: the NEW app, the OLD app,
or the bootloader waiting for a stick (only when flash holds no valid image). Never a fault, a
hang, an app start from flash holding neither image, or a stick ignored when it should be read.

Events: NRST pin, brown-out, power cut, unplug, unplug + replug 1 s later, button press
(200 ms), app update request, IWDG expiry. Phases: waiting (no app, no stick yet), USB
enumeration, pass 1, erase, programming, verify, seal, handover (a clean OLD -> NEW update
traced for the instants), and the OLD app running for 3 s and for 2 h of virtual time (stick
plugged at 1 s). A power cut, an unplug or a brown-out is followed by a power-up with the
stick: it must install the NEW app (recovery).

  lifecycle.py [--quick] [--suite NAME] [--jobs N]   (--quick: the sample make test runs)
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

APP_BYTES = 40960
HOURS_MS = 2 * 3600 * 1000
SETTLE_MS = 40000  # forced window (30 s) + an install, after the event
EVENTS = ["NRST", "brown-out", "power cut", "unplug", "replug", "button", "app request", "IWDG"]
BOOT_PHASES = ["enumeration", "pass 1", "erase", "programming", "verify", "seal", "handover"]
PHASES = ["waiting"] + BOOT_PHASES + ["app 3 s", "app 2 h"]
QUICK = [("NRST", "app 3 s"), ("IWDG", "app 3 s"), ("NRST", "pass 1"), ("brown-out", "erase"),
         ("power cut", "programming"), ("unplug", "programming"), ("replug", "pass 1"),
         ("IWDG", "pass 1"), ("button", "waiting"), ("app request", "app 3 s"),
         ("NRST", "seal"), ("IWDG", "erase")]


def timeline(text):
    """Instants (ms) of a traced clean update."""
    def times(pattern):
        return [float(m.group(1)) for m in re.finditer(r"^\[\s*([0-9.]+) ms\] " + pattern, text, re.M)]
    progs = times(r"flash: program")
    t = {
        "vbus": times("VBUS on")[0],
        "read1": times(r"scsi: lun0 READ\(10\)")[0],
        "erase": times("flash: erase")[0],
        "prog": progs[0],
        "verify": progs[-10],  # the last application word; the trailer is the last 9
        "seal": progs[-9],
        "sealed": progs[-1],
        "entry": times("app entry")[0],
    }
    return {
        "enumeration": (t["vbus"] + t["read1"]) / 2,
        "pass 1": (t["read1"] + t["erase"]) / 2,
        "erase": t["erase"] + 100,
        "programming": t["prog"] + 50,
        "verify": t["verify"] + 0.002,
        "seal": t["seal"] + 0.005,
        "handover": (t["sealed"] + t["entry"]) / 2,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--suite")
    ap.add_argument("--jobs", type=int)
    args = ap.parse_args()
    if args.jobs:
        common.JOBS = args.jobs
    work = common.Work("lifecycle" + ("-quick" if args.quick else ""))
    rep = common.Reporter(args.suite)
    images = {}
    for name, seed, version in (("old", 61, "1.0.0"), ("new", 62, "2.0.0")):
        raw = work.path(f"{name}.raw")
        common.padded_app(raw, APP_BYTES, seed)
        images[name] = common.pack(raw, work.path(f"{name}.bin"), version)
    common.make_stick(work.path("new.img"), {"IMAGE.BIN": work.path("new.bin")})
    requesters = {}
    for tag, app in (("app 3 s", "app-request1s.bin"), ("app 2 h", "app-request2h.bin")):
        requesters[tag] = common.pack(os.path.join(common.BUILD, app), work.path(f"req-{tag[4:].replace(' ', '')}.bin"), "1.0.0")
    blank = work.path("blank.bin")
    common.fresh_flash(blank, work.bootloader)

    def install(path, image_path):
        common.fresh_flash(path, work.bootloader)
        common.emu("--flash", path, "--load", hex(common.APP_BASE), image_path, "--run-ms", 0)

    base = work.path("base.bin")
    install(base, work.path("old.bin"))
    for tag in requesters:
        install(work.path(f"base-req-{tag[4:].replace(' ', '')}.bin"), work.path(f"req-{tag[4:].replace(' ', '')}.bin"))
    clean = common.emu("--flash", work.scratch("clean", base), "--stick", work.path("new.img"),
                       "--trace", "flash,scsi", "--stop-after-app-ms", 100)
    if not clean.text or clean["state"] != "app":
        sys.exit("setup: the clean update failed\n" + clean.text[-2000:])
    instants = timeline(clean.text)
    stick = ["--stick", work.path("new.img")]

    def outcome(flash, r, old_image):
        data = common.read_flash(flash)
        if r["state"] == "fault":
            return "FAULT"
        if r["state"] == "app":
            if common.holds(data, images["new"]):
                return "new app"
            if common.holds(data, old_image):
                return "old app"
            return "UNKNOWN APP"
        if r["state"] == "bootloader":
            valid = common.holds(data, images["new"]) or common.holds(data, old_image)
            return "HANG (valid app waiting)" if valid else "waiting"
        return r["state"]

    def one(case):
        event, phase = case
        tag = f"{event}-{phase}".replace(" ", "_")
        old_image = requesters.get(phase, images["old"]) if event == "app request" else images["old"]
        if phase == "waiting":
            flash = work.scratch(tag, blank)
            t, plug = 1000.0, ["--plug-at-ms", 3000]
        elif phase.startswith("app"):
            src = work.path(f"base-req-{phase[4:].replace(' ', '')}.bin") if event == "app request" else base
            flash = work.scratch(tag, src)
            t = 3000.0 if phase == "app 3 s" else float(HOURS_MS)
            plug = ["--plug-at-ms", 1000]
        else:
            flash = work.scratch(tag, base)
            t, plug = instants[phase], ["--plug-at-ms", 0]  # explicit: replug adds a plug event
        if event == "app request" and not phase.startswith("app"):
            return case, "n/a", "", ""
        if event == "app request":
            t = 1300.0 if phase == "app 3 s" else HOURS_MS + 300.0  # the requester's own time
        ev = {
            "NRST": ["--reset-at-ms", t],
            "brown-out": ["--brownout-at-ms", t],
            "power cut": ["--cut-at-ms", t],
            "unplug": ["--unplug-at-ms", t],
            "replug": ["--unplug-at-ms", t, "--plug-at-ms", t + 1000],
            "button": ["--button-press-ms", f"{t}:{t + 200}"],
            "app request": [],
            "IWDG": ["--iwdg-reset-at-ms", t],
        }[event]
        if phase == "waiting" and event in ("unplug", "replug"):
            ev = ["--plug-at-ms", 1000, "--unplug-at-ms", 1100] + (
                ["--plug-at-ms", 3000] if event == "replug" else [])
            plug = []
        stop = ["--stop-after-app-ms", 1000] if phase in BOOT_PHASES else []
        r = common.emu("--flash", flash, *stick, *plug, *ev, *stop, "--run-ms", int(t + SETTLE_MS))
        got = outcome(flash, r, old_image) if r["state"] != "cut" else "cut"
        # Allowed outcomes (docs/reliability.md, section 6).
        if event == "power cut":
            allowed = {"cut"}
        elif event == "unplug":
            allowed = {"old app", "waiting", "new app"} if phase != "waiting" else {"waiting"}
        elif event == "replug" and phase in ("enumeration", "pass 1"):
            allowed = {"old app", "new app"}  # the session failed with the old app intact
        elif event == "replug" and phase.startswith("app"):
            allowed = {"old app"}  # the app owns the port; nothing resets
        elif event == "IWDG" and phase in ("enumeration", "pass 1"):
            allowed = {"old app"}  # a watchdog reset during a session: straight to the app
        else:
            allowed = {"new app"}
        detail = f"t={t:.3f} ms: {got}"
        ok = got in allowed
        # Recovery: a power-up with the stick must install the NEW app.
        if event in ("power cut", "unplug", "brown-out") or got == "waiting":
            r2 = common.emu("--flash", flash, *stick, "--stop-after-app-ms", 500, "--run-ms", 60000)
            rec = outcome(flash, r2, old_image)
            detail += f"; power-up with the stick: {rec}"
            ok = ok and rec == "new app"
            got = f"{got}, then {rec}"
        return case, got, "ok" if ok else "FAIL", detail

    cases = QUICK if args.quick else [(e, p) for p in PHASES for e in EVENTS]
    results = common.pmap(one, cases, progress=10)
    rows = {}
    bad = 0
    for (event, phase), got, verdict, detail in results:
        if verdict == "":
            rows[(event, phase)] = "n/a"
            continue
        rep.check(f"{event} during {phase}: {got}", verdict == "ok", detail)
        rows[(event, phase)] = got if verdict == "ok" else f"**FAIL: {got}**"
        bad += verdict != "ok"
    print()
    print(f"Phase instants from a traced clean update (ms): "
          + ", ".join(f"{p} {instants[p]:.3f}" for p in BOOT_PHASES) + ".")
    print()
    phases = [p for p in PHASES if any((e, p) in rows for e in EVENTS)]
    print(common.table(["event"] + phases,
                       [[e] + [rows.get((e, p), "") for p in phases] for e in EVENTS
                        if any((e, p) in rows for p in phases)]))
    print()
    print(f"{len([r for r in results if r[2]])} cases, {bad} failed.")
    sys.exit(rep.finish())


if __name__ == "__main__":
    main()
