#!/usr/bin/env python3
"""Campaign 4: every libFuzzer target (clang, ASan + UBSan) for a fixed time, two at a time.

Targets: fs mount/open/read (fuzz_fs), USB descriptors + CSW/SCSI handling (fuzz_usb), the
trailer codec and update pass 1/2 over a RAM flash (fuzz_trailer), stickimg's Intel HEX and ELF
readers (fuzz_hex, fuzz_elf). Corpora grow in build/fuzz/<target>-corpus (shared with
`make fuzz`); crashes land in build/reliability/fuzz/.

  fuzz.py [--seconds S] [--targets a,b] [--quick] [--suite NAME]
  (default seconds: $FUZZ_SECONDS or 300; --quick: 10 s each in a scratch corpus)
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

B = common.BUILD
TARGETS = {
    "trailer": ("fuzz_trailer", 4096, [f"{B}/fuzz/trailer-seed"]),
    "fs": ("fuzz_fs", 200000, [f"{B}/fs-images/seeds"]),
    "usb": ("fuzz_usb", 4096, [f"{B}/fuzz/usb-seed"]),
    "hex": ("fuzz_hex", 65536, [f"{B}/fuzz/hex-seed"]),
    "elf": ("fuzz_elf", 65536, [f"{B}/fuzz/elf-seed"]),
}


def seeds():
    """The example app as HEX and ELF seeds (the others come from make rules)."""
    os.makedirs(f"{B}/fuzz/hex-seed", exist_ok=True)
    os.makedirs(f"{B}/fuzz/elf-seed", exist_ok=True)
    subprocess.run(["arm-none-eabi-objcopy", "-O", "ihex", f"{B}/blink.elf", f"{B}/fuzz/hex-seed/blink.hex"],
                   check=True)
    shutil.copyfile(f"{B}/blink.elf", f"{B}/fuzz/elf-seed/blink.elf")


def run(name, seconds, quick):
    binary, max_len, seed_dirs = TARGETS[name]
    out = os.path.join(B, "reliability", "fuzz" + ("-quick" if quick else ""))
    corpus = os.path.join(out, f"{name}-corpus") if quick else f"{B}/fuzz/{name}-corpus"
    artifacts = os.path.join(out, f"{name}-artifacts")
    if quick:
        shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(artifacts, ignore_errors=True)
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    cmd = [f"{B}/fuzz/{binary}", f"-max_total_time={seconds}", f"-max_len={max_len}",
           "-print_final_stats=1", "-timeout=25", f"-artifact_prefix={artifacts}/", corpus,
           *[d for d in seed_dirs if os.path.isdir(d)]]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=seconds * 3 + 120)
    log = proc.stdout.decode("utf-8", "replace")
    with open(os.path.join(out, f"{name}.log"), "w") as f:
        f.write(log)

    def stat(key):
        m = re.search(rf"^stat::{key}:\s*(\d+)", log, re.M)
        return int(m.group(1)) if m else 0

    findings = os.listdir(artifacts)
    summary = [ln for ln in log.splitlines() if re.search(r"ERROR|SUMMARY|deadly|Test unit written", ln)]
    return name, seconds, stat("number_of_executed_units"), stat("average_exec_per_sec"), \
        len(os.listdir(corpus)), proc.returncode, findings, summary[:6]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int)
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--suite")
    ap.add_argument("--jobs", type=int)
    args = ap.parse_args()
    seconds = args.seconds or (10 if args.quick else int(os.environ.get("FUZZ_SECONDS", "300")))
    names = args.targets.split(",")
    seeds()
    rep = common.Reporter(args.suite)
    results = common.pmap(lambda n: run(n, seconds, args.quick), names, jobs=args.jobs or common.JOBS)
    rows = []
    for name, secs, execs, rate, corpus, rc, findings, summary in results:
        ok = rc == 0 and not findings and execs > 0
        rows.append([f"`{TARGETS[name][0]}`", secs, execs, rate, corpus, len(findings) if rc == 0 else
                     f"{len(findings)} (exit {rc})"])
        rep.check(f"{TARGETS[name][0]} {secs} s: {execs} executions, no finding", ok,
                  "\n".join(summary) or f"exit {rc}, artifacts {findings}")
    print(f"libFuzzer, -fsanitize=fuzzer,address,undefined, {seconds} s per target, "
          f"{args.jobs or common.JOBS} at a time:\n")
    print(common.table(["target", "seconds", "executions", "exec/s", "corpus files", "findings"], rows))
    print()
    sys.exit(rep.finish())


if __name__ == "__main__":
    main()
