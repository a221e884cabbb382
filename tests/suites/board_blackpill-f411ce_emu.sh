#!/usr/bin/env bash
# blackpill-f411ce in stickemu: the common board suite (tests/board_suite.sh).
BOARD=blackpill-f411ce
BOARD_RED=led
NO_CCM=1
WRONG_BOARD=f4discovery
WRONG_CHECK=clock
. "$(dirname "$0")/../board_suite.sh"
