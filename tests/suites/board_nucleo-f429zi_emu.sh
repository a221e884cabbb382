#!/usr/bin/env bash
# nucleo-f429zi in stickemu: the common board suite (tests/board_suite.sh).
BOARD=nucleo-f429zi
BOARD_RED=red
BIG_IMAGE=1
. "$(dirname "$0")/../board_suite.sh"
