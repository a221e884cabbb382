# Helpers for test scripts: print PASS/FAIL/SKIP lines that tests/run.sh counts.
pass() { echo "PASS $(basename "$0" .sh):$1"; }
fail() {
    echo "FAIL $(basename "$0" .sh):$1"
    [ $# -gt 1 ] && printf '  %s\n' "$2" | head -n 20
    return 0
}
skip() { echo "SKIP $(basename "$0" .sh):$1${2:+ ($2)}"; }
# check NAME CMD...: PASS when CMD exits 0.
check() {
    local name=$1
    shift
    local out
    if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}
