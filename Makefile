# stickboot: one Makefile at the root, output under build/. Fragments in mk/ add the parts
# (firmware configurations, stickimg, stickemu, tests); each fragment appends to the lists below.
#   make            bootloader (BOARD=f4discovery), example app, host tools
#   make test       install missing Debian packages, build, run every test
#   make demo       the end-to-end update in the emulator
#   make size       size and headroom of every build configuration (size-boards: every board)
#   make boards-table  the generated table of boards in docs/porting.md
#   make bench      measured sizes and modeled times -> docs/performance.md
#   make bench-sizes  only its size sections (per configuration, per feature): builds, no emulator
#   make fuzz       long fuzzing runs (FUZZ_SECONDS=...)
#   make flash      OpenOCD + ST-LINK; make flash-stlink: st-flash

BOARD ?= f4discovery
APP_BASE ?= 0x08004000
PROBE_MS ?= 300
LOG ?= 0
RAW_IMAGES ?= 1
BOARD_FILES ?= 1
SREC_CRC_ADDR ?=
SECURE ?= 0
PROTECT_BOOT ?= 1
REPORT_LOG ?= # default 1; 0 in LOG=1 SECURE=1 builds (firmware/core/config.h)
ENCRYPT ?= 0
KEY ?= keys/dev-key.pem

BUILD := build
# The release version, from one place: the VERSION file (a release bumps it and tags
# v$(STICKBOOT_VERSION)). stickimg --version, the LOG=1 bootloader's first line and make dist.
STICKBOOT_VERSION := $(shell cat VERSION)

# Build output: one short line per target ("  CC      file"), as Kbuild prints it; V=1 prints
# every command in full instead. $(call say,TAG,TARGET) starts a recipe's first command line,
# $(Q) each further one.
V ?= 0
ifeq ($(V),1)
Q :=
say :=
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
Q := @
say := @
else
Q := @
say = @printf '  %-8s %s\n' '$(1)' '$(2)';
endif
HOST_CC ?= gcc
HOST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -D_DEFAULT_SOURCE
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Filled in by the fragments.
ALL_TARGETS :=
TEST_DEPS :=
CLEAN_EXTRA :=

.PHONY: all test demo bench bench-sizes size fuzz clean flash flash-stlink deps reliability
all: all-targets

HOST_INC := -Ifirmware -Ifirmware/boards -Ifirmware/core -Ifirmware/usb -Ifirmware/fs -Ifirmware/crypto -Ihostlib -Itests -I$(BUILD)/gen

# $(call host_test,NAME,SOURCES[,EXTRA FLAGS]): build/tests/NAME.t, a unit-test program built
# with ASan + UBSan that tests/run.sh runs.
define host_test
$(BUILD)/tests/$(1).t: $(2) $(wildcard tests/*.h hostlib/*.h firmware/*/*.h)
	@mkdir -p $$(@D)
	$$(call say,HOSTCC,$$@)$$(HOST_CC) $$(HOST_CFLAGS) $$(SAN_FLAGS) $$(HOST_INC) $(3) $(2) -o $$@
TEST_DEPS += $(BUILD)/tests/$(1).t
endef

include mk/firmware.mk
include $(sort $(filter-out mk/firmware.mk,$(wildcard mk/*.mk)))

all-targets: $(ALL_TARGETS)

deps:
	@scripts/install-deps.sh

test: deps
	@$(MAKE) --no-print-directory test-build
	@tests/run.sh

test-build: $(ALL_TARGETS) $(TEST_DEPS)

clean:
	rm -rf $(BUILD) $(CLEAN_EXTRA)

# Flash the bootloader of the selected board and configuration (BOARD=, LOG=, ...).
# The OpenOCD configuration is the board header's BOARD_OPENOCD_CFG.
OPENOCD_CFG = $(shell sed -n 's/^\#define BOARD_OPENOCD_CFG *"\([^"]*\)".*/\1/p' firmware/boards/$(BOARD).h)
flash: firmware
	openocd -f $(OPENOCD_CFG) -c "program $(FW_OUT)/stickboot.elf verify reset exit"

flash-stlink: firmware
	st-flash --reset write $(FW_OUT)/stickboot.bin 0x08000000

demo: deps
	@$(MAKE) --no-print-directory all-targets
	@scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all-targets
	@scripts/bench.py

bench-sizes:
	@scripts/bench.py --sizes
