#!/usr/bin/env bash
# blackpill-f401cc in stickemu: the common board suite (tests/board_suite.sh).
BOARD=blackpill-f401cc
BOARD_RED=led
NO_CCM=1
WRONG_BOARD=blackpill-f411ce
WRONG_CHECK=sram
. "$(dirname "$0")/../board_suite.sh"
