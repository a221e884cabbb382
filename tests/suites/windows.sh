#!/usr/bin/env bash
# The Windows build of stickimg under wine, as part of make test (tests/windows/run.sh: the
# stickimg suites against build/windows/stickimg.exe, and the Windows-only cases). Without
# wine or mingw-w64 every suite is one SKIP line.
cd "$(dirname "$0")/../.."
WINDOWS_TEST_LINES=1 exec tests/windows/run.sh
