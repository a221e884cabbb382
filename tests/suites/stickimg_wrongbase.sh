#!/usr/bin/env bash
# Raw images linked for another base (issue 17 item 2; docs/image-format.md, "Raw images linked
# for another base"). The corpus (tests/tools/mkcorpus.py) holds real-looking applications for
# 0x08004000 and 0x08008000; every one must be accepted for its own base and refused for the
# other, by stickimg pack (firmware/core/image.c, the bootloader's own check) and by the real
# bootloader in stickemu.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
S=build/stickimg
make -s --no-print-directory firmware app build/stickimg build/stickemu build/corpus/manifest.txt >/dev/null 2>&1
make -s --no-print-directory firmware app APP_BASE=0x08008000 >/dev/null 2>&1

# ---- stickimg over the corpus, plus the example app for both bases
list=$d/list.txt
cp build/corpus/manifest.txt "$list"
echo "blink-4000 0x08004000 build/blink.bin" >>"$list"
echo "blink-8000 0x08008000 build/f4discovery-app8000/blink.bin" >>"$list"
total=0 accepted_ok=0 refused_ok=0 wrong=""
while read -r name linked file; do
    file=${file:-build/corpus/$name.bin}
    for base in 0x08004000 0x08008000; do
        total=$((total + 1))
        if $S pack "$file" -o "$d/p.bin" --app-base $base -q 2>"$d/err"; then got=accepted; else got=refused; fi
        if [ $base = "$linked" ]; then
            [ $got = accepted ] && accepted_ok=$((accepted_ok + 1)) || wrong+="$name for $base: falsely refused: $(cat "$d/err")"$'\n'
        else
            [ $got = refused ] && refused_ok=$((refused_ok + 1)) || wrong+="$name for $base: not caught"$'\n'
        fi
    done
done <"$list"
apps=$(wc -l <"$list")
echo "corpus: $apps applications, $total checks: $accepted_ok accepted for their own base, $refused_ok refused for the other"
check "corpus ($apps applications): none falsely refused, every wrong base caught" test -z "$wrong"
[ -n "$wrong" ] && printf '%s' "$wrong" | head -20
large=$(while read -r n _; do stat -c %s build/corpus/$n.bin; done <build/corpus/manifest.txt | awk '$1 > 23552' | wc -l)
check "corpus has large applications (> 23 KB) for both bases" \
    test "$(awk '$2 == "0x08008000"' build/corpus/manifest.txt | while read -r n _; do stat -c %s build/corpus/$n.bin; done | awk '$1 > 23552' | wc -l)" -ge 10
# The figures docs/image-format.md gives are this run's.
doc() { sed -n "s/.*<!-- corpus:$1 -->\([0-9]*\)<!-- \/corpus -->.*/\1/p" docs/image-format.md; }
check "docs/image-format.md corpus figures are this run's ($(wc -l <build/corpus/manifest.txt) apps, $large large, $accepted_ok accepted, $refused_ok refused)" \
    test "$(doc apps)-$(doc large)-$(doc accepted)-$(doc refused)" = "$(wc -l <build/corpus/manifest.txt)-$large-$accepted_ok-$refused_ok"

# ---- the messages
big8=build/corpus/app8000-Os-24k-code-first.bin
out=$($S pack $big8 -o "$d/p.bin" 2>&1)
check "pack: wrong base names the base and the linker script ($out)" \
    grep -q 'linked for 0x08008000, not for APP_BASE 0x08004000.*FLASH ORIGIN = 0x08004000.*--app-base 0x08008000' <<<"$out"
small8=build/corpus/app8000-Os-0k-code-first.bin
out=$($S pack $small8 -o "$d/p.bin" 2>&1)
check "pack: a reset vector outside says outside, and the base ($out)" \
    grep -q 'reset vector 0x0800[0-9A-F]* points outside the application.*linked for 0x08008000' <<<"$out"

# verify: a packed image whose trailer says 0x08004000 but whose code is linked for 0x08008000
# (what stickimg packed before this check existed)
python3 - "$big8" "$d/old-pack.bin" <<'PY'
import struct, sys
def crc(data):
    c = 0xFFFFFFFF
    for (w,) in struct.iter_unpack("<I", data):
        c ^= w
        for _ in range(32):
            c = ((c << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if c & 0x80000000 else (c << 1) & 0xFFFFFFFF
    return c
app = bytearray(open(sys.argv[1], "rb").read())
app += b"\xff" * (-len(app) % 4)
struct.pack_into("<I", app, 28, len(app))
t = struct.pack("<IHHIIIIII", 0x31544253, 1, 36, len(app), 0x08004000, crc(bytes(app)), 0, 0x0407D15C, 0)
open(sys.argv[2], "wb").write(bytes(app) + t + struct.pack("<I", crc(t)))
PY
out=$($S verify "$d/old-pack.bin" 2>&1)
check "verify: a packed image linked for another base is refused ($out)" \
    grep -q 'linked for another base: linked for 0x08008000' <<<"$out"

# ---- the real bootloader (APP_BASE 0x08004000) in stickemu, with an application installed
build/stickimg pack build/blink.bin -o "$d/old.bin" --version 1.0.0 -q
make_fat_stick "$d/old.img" 64 32 "$d/old.bin"
fresh_flash "$d/base.bin"
"$EMU" --flash "$d/base.bin" --stick "$d/old.img" --stop-after-app-ms 100 >/dev/null 2>&1
for app in app8000-Os-24k-code-first app8000-O2-40k-tables-first-drivers; do
    make_fat_stick "$d/wrong.img" 64 32 build/corpus/$app.bin
    cp "$d/base.bin" "$d/run.bin"
    out=$("$EMU" --flash "$d/run.bin" --stick "$d/wrong.img" --stop-after-app-ms 200 --run-ms 12000 2>&1)
    check "bootloader: raw $app.bin (linked for 0x08008000) refused before any erase, old app runs" \
        test "$(result_key "$out" flash_ops)-$(result_key "$out" state)" = 0-app -a \
        "$(sed -n '/app entry/q;p' <<<"$out" | grep -c 'LED red on')" = 9
done
for app in app4000-Os-24k-code-first app4000-O2-40k-tables-first-drivers; do
    make_fat_stick "$d/right.img" 64 32 build/corpus/$app.bin
    cp "$d/base.bin" "$d/run.bin"
    out=$("$EMU" --flash "$d/run.bin" --stick "$d/right.img" --stop-after-app-ms 200 --run-ms 12000 2>&1)
    check "bootloader: raw $app.bin (linked for 0x08004000) installed and started" \
        test "$(result_key "$out" state)" = app -a "$(result_key "$out" erases)" != 0
done
