#!/usr/bin/env bash
# blackpill-f411ce in stickemu: the common board suite (tests/board_suite.sh).
BOARD=blackpill-f411ce
BOARD_RED=led
NO_CCM=1
. "$(dirname "$0")/../board_suite.sh"
