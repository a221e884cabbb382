#!/usr/bin/env bash
# The repository stands alone: no file points outside it.
cd "$(dirname "$0")/../.."
. tests/lib.sh
if git rev-parse --git-dir >/dev/null 2>&1; then
    hits=$(git grep -n -e 'shared/' -e 'reference/[a-z-]*\.md' -- . ':!tests/suites/standalone.sh' || true)
    if [ -z "$hits" ]; then pass "no file points at data outside the repository"; else
        fail "no file points at data outside the repository" "$hits"; fi
else
    skip "no file points at data outside the repository" "not a git checkout"
fi
