#!/usr/bin/env bash
# stm32f429i-disc1 in stickemu: the common board suite (tests/board_suite.sh).
BOARD=stm32f429i-disc1
BOARD_RED=red
HS_PORT=1
. "$(dirname "$0")/../board_suite.sh"
