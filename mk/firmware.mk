# Firmware: the bootloader for one configuration, and the example app.
# A configuration is BOARD plus options; the default one goes to build/, the others to
# build/<board>-<config>/ (see FW_CONFIGS and fw_outdir).

ARM_CC := arm-none-eabi-gcc
ARM_OBJCOPY := arm-none-eabi-objcopy
ARM_SIZE := arm-none-eabi-size
ARM_CFLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=soft -std=c11 -Os -g -Wall -Wextra -Werror \
	-ffreestanding -ffunction-sections -fdata-sections -fno-common -fno-builtin-printf
ARM_LDFLAGS := -nostdlib -nostartfiles -Wl,--gc-sections -Wl,--print-memory-usage

# Link-time optimisation shrinks the default build by ~4 %. LTO=0 keeps every function in its
# own object, so the map file attributes bytes to modules (make bench uses it for that).
LTO ?= 1
FW_LTO := $(if $(filter 1,$(LTO)),-flto)
# Code-size flags, kept as measured one by one on the default / SECURE=1 / SECURE=1 ENCRYPT=1
# builds: together 296 / 296 / 332 bytes off plain -Os, with the same modeled boot time and USB
# throughput (commit message: the table of what was tried). The crypto keeps plain -Os: its
# loops are the signature check's time. FW_SIZE_CFLAGS= builds without them.
FW_SIZE_CFLAGS ?= -fno-expensive-optimizations -fno-thread-jumps -fno-ssa-phiopt -fno-schedule-insns2
FW_HOT_SRCS := firmware/crypto/%
# -fno-move-loop-invariants too, except on the boot path (the .bss clear and the CRC loop run at
# 16 MHz) and the USB FIFO copy and pass 2 (hcd_otgfs.c, update.c): -24 / -24 / -12 bytes,
# modeled PROBE_MS=0 boot, USB read rate and 256 KB update time unchanged (commit message).
FW_NOBOOT_CFLAGS ?= -fno-move-loop-invariants
FW_BOOT_SRCS := firmware/stm32f4/startup.c firmware/stm32f4/main.c firmware/stm32f4/clock.c \
	firmware/stm32f4/crc_hw.c firmware/stm32f4/hcd_otgfs.c firmware/core/update.c
# Enumeration, the session and the report run once per stick, off the boot and read paths:
# without loop store motion, if-conversion, code hoisting and sibling calls there (-168 bytes;
# usb_enumerate alone -144).
FW_COLD_CFLAGS ?= -fno-tree-loop-im -fno-if-conversion -fno-code-hoisting -fno-optimize-sibling-calls
FW_COLD_SRCS := firmware/usb/usb_host.c firmware/core/bootloader.c firmware/core/report.c
fw_size_cflags = $(if $(filter $(FW_HOT_SRCS),$(1)),,$(FW_SIZE_CFLAGS) \
	$(if $(filter $(FW_BOOT_SRCS),$(1)),,$(FW_NOBOOT_CFLAGS)) \
	$(if $(filter $(FW_COLD_SRCS),$(1)),$(FW_COLD_CFLAGS)))

FW_DIRS := firmware/core firmware/usb firmware/fs firmware/stm32f4
FW_SRCS = $(foreach d,$(FW_DIRS),$(wildcard $(d)/*.c)) $(if $(filter 1,$(SECURE)),$(wildcard firmware/crypto/*.c))
FW_HDRS = $(wildcard firmware/*/*.h)

# Directory of the current configuration.
fw_config = $(strip $(if $(filter-out 0x08004000,$(APP_BASE)),app$(subst 0x0800,,$(APP_BASE)))\
	$(if $(filter-out 300,$(PROBE_MS)),probe$(PROBE_MS)) $(if $(filter 1,$(LOG)),log)\
	$(if $(filter 0,$(RAW_IMAGES)),noraw) $(if $(filter 0,$(BOARD_FILES)),noboardfiles) $(if $(SREC_CRC_ADDR),srec) $(if $(filter 1,$(SECURE)),secure) $(if $(filter 1,$(ENCRYPT)),encrypt)\
	$(if $(filter 0,$(PROTECT_BOOT)),noprotect) $(if $(filter 0,$(REPORT_LOG)),noreport) \
	$(if $(filter 0,$(LTO)),nolto))
FW_CONFIG := $(subst $(eval) ,-,$(fw_config))
FW_OUT := $(if $(and $(filter f4discovery,$(BOARD)),$(if $(FW_CONFIG),,default)),$(BUILD),$(BUILD)/$(BOARD)-$(or $(FW_CONFIG),default))

FW_DEFS := -DBOARD_HEADER='"boards/$(BOARD).h"' -DAPP_BASE=$(APP_BASE) -DPROBE_MS=$(PROBE_MS) \
	-DLOG=$(LOG) -DRAW_IMAGES=$(RAW_IMAGES) -DSECURE=$(SECURE) -DBOARD_FILES=$(BOARD_FILES) \
	-DPROTECT_BOOT=$(PROTECT_BOOT) $(if $(REPORT_LOG),-DREPORT_LOG=$(REPORT_LOG)) -DENCRYPT=$(ENCRYPT) \
	$(if $(SREC_CRC_ADDR),-DSREC_CRC_ADDR=$(SREC_CRC_ADDR)) -DSTICKBOOT_VERSION='"$(STICKBOOT_VERSION)"' \
	$(FW_EXTRA_DEFS)
FW_INC := -Ifirmware -Ifirmware/boards -Ifirmware/core -Ifirmware/stm32f4 -Ifirmware/usb -Ifirmware/fs -Ifirmware/crypto $(FW_EXTRA_INC)

# Changing options rebuilds: the flags are recorded per output directory.
$(FW_OUT)/fw.flags: FORCE
	@mkdir -p $(@D)
	@echo '$(ARM_CFLAGS) $(FW_SIZE_CFLAGS) $(FW_NOBOOT_CFLAGS) $(FW_COLD_CFLAGS) $(FW_LTO) $(FW_DEFS) $(FW_INC) $(FW_SRCS)' | cmp -s - $@ || echo '$(ARM_CFLAGS) $(FW_SIZE_CFLAGS) $(FW_NOBOOT_CFLAGS) $(FW_COLD_CFLAGS) $(FW_LTO) $(FW_DEFS) $(FW_INC) $(FW_SRCS)' > $@
FORCE:

# Objects keep the source path, so map-file sections name their module.
FW_OBJS = $(patsubst %.c,$(FW_OUT)/obj/%.o,$(FW_SRCS))
$(FW_OUT)/obj/%.o: %.c $(FW_HDRS) $(FW_OUT)/fw.flags mk/firmware.mk $(FW_EXTRA_DEPS)
	@mkdir -p $(@D)
	$(call say,CC,$@)$(ARM_CC) $(ARM_CFLAGS) $(call fw_size_cflags,$<) $(FW_LTO) $(FW_DEFS) $(FW_INC) -c $< -o $@

# The linker script with the board's SRAM size (C's "u" suffixes dropped for ld).
LD_CPP = $(ARM_CC) -E -P -x c $(1) -include firmware/boards/$(BOARD).h $(2) | sed -E 's/\b(0x[0-9A-Fa-f]+|[0-9]+)u\b/\1/g'
$(FW_OUT)/stickboot.ld: firmware/stm32f4/stickboot.ld firmware/boards/$(BOARD).h $(FW_OUT)/fw.flags
	$(call say,CPP,$@)$(call LD_CPP,,$<) > $@
$(FW_OUT)/stickboot.elf: $(FW_OBJS) $(FW_OUT)/stickboot.ld
	$(call say,LD,$@)$(ARM_CC) $(ARM_CFLAGS) $(FW_LTO) $(ARM_LDFLAGS) -T $(FW_OUT)/stickboot.ld \
		-Wl,-Map=$(FW_OUT)/stickboot.map $(FW_OBJS) -lgcc -o $@ > $(FW_OUT)/link.log || { cat $(FW_OUT)/link.log; exit 1; }
$(FW_OUT)/stickboot.bin: $(FW_OUT)/stickboot.elf
	$(call say,OBJCOPY,$@)$(ARM_OBJCOPY) -O binary $< $@
$(FW_OUT)/stickboot.hex: $(FW_OUT)/stickboot.elf
	$(call say,OBJCOPY,$@)$(ARM_OBJCOPY) -O ihex $< $@

firmware: $(FW_OUT)/stickboot.elf $(FW_OUT)/stickboot.bin $(FW_OUT)/stickboot.hex
.PHONY: firmware FORCE

# Example app: build/blink.{elf,bin} for the default board and APP_BASE.
APP_OUT := $(if $(filter $(BUILD),$(FW_OUT)),$(BUILD),$(FW_OUT))
$(APP_OUT)/app.ld: app/app.ld.in $(FW_OUT)/fw.flags
	@mkdir -p $(@D)
	$(call say,CPP,$@)$(call LD_CPP,-DAPP_BASE=$(APP_BASE),$<) > $@
APP_CFLAGS = $(ARM_CFLAGS) $(ARM_LDFLAGS) -Iapp -Ifirmware -Ifirmware/boards \
	-DBOARD_HEADER='"boards/$(BOARD).h"' -DSTICKBOOT_APP_BASE=$(APP_BASE) \
	-DSTICKBOOT_SLOT_ADDR='(0x20000000u + BOARD_SRAM_SIZE - 16u)'
$(APP_OUT)/blink.elf: app/startup.c app/blink.c $(wildcard app/*.h) $(APP_OUT)/app.ld
	$(call say,CC,$@)$(ARM_CC) $(APP_CFLAGS) -T $(APP_OUT)/app.ld -Wl,-Map=$(APP_OUT)/blink.map \
		app/startup.c app/blink.c -lgcc -o $@ > /dev/null
# Test variant: requests an update as soon as it starts (emulator scenarios).
$(APP_OUT)/requester.elf: app/startup.c app/blink.c $(wildcard app/*.h) $(APP_OUT)/app.ld
	$(call say,CC,$@)$(ARM_CC) $(APP_CFLAGS) -DREQUEST_UPDATE_AT_START -T $(APP_OUT)/app.ld \
		app/startup.c app/blink.c -lgcc -o $@ > /dev/null
# Lifecycle test variants (tests/suites/lifecycle_emu.sh, scripts/reliability/lifecycle.py):
# reset after 1 s, request an update after 1 s / 200 s / 2 h of uptime, let the IWDG bite.
APP_TEST_reset1s := -DTEST_AFTER_MS=1000
APP_TEST_request1s := -DTEST_AFTER_MS=1000 -DTEST_REQUEST
APP_TEST_request200s := -DTEST_AFTER_MS=200000 -DTEST_REQUEST
APP_TEST_request2h := -DTEST_AFTER_MS=7200000 -DTEST_REQUEST
APP_TEST_iwdg := -DTEST_IWDG
# Self-protection (tests/suites/protect_emu.sh): erase sector 0, mass erase, at start.
APP_TEST_erase0 := -DTEST_FLASH_CR=0x2u
APP_TEST_masserase := -DTEST_FLASH_CR=0x4u
APP_TESTS := reset1s request1s request200s request2h iwdg erase0 masserase
$(APP_OUT)/app-%.elf: app/startup.c app/blink.c $(wildcard app/*.h) $(APP_OUT)/app.ld
	$(ARM_CC) $(APP_CFLAGS) $(APP_TEST_$*) -T $(APP_OUT)/app.ld app/startup.c app/blink.c -lgcc -o $@ > /dev/null
app-tests: $(patsubst %,$(APP_OUT)/app-%.bin,$(APP_TESTS))
.PHONY: app-tests
$(APP_OUT)/%.bin: $(APP_OUT)/%.elf
	$(call say,OBJCOPY,$@)$(ARM_OBJCOPY) -O binary $< $@
app: $(APP_OUT)/blink.elf $(APP_OUT)/blink.bin
.PHONY: app

ALL_TARGETS += firmware app

# Every configuration that `make size` and `make bench` report: "label|make variables".
# Every board is a header in firmware/boards/ (board.h selects one); each is listed with its
# default and secure builds, the default board with every configuration.
BOARDS := $(filter-out board,$(basename $(notdir $(wildcard firmware/boards/*.h))))
FW_CONFIGS := "default|" "log|LOG=1" "noraw|RAW_IMAGES=0" "srec|SREC_CRC_ADDR=0x080FFFFC" \
	"app8000|APP_BASE=0x08008000" "probe0|PROBE_MS=0" "noprotect|PROTECT_BOOT=0" \
	"noreport|REPORT_LOG=0" "noboardfiles|BOARD_FILES=0" \
	$(foreach b,$(filter-out f4discovery,$(BOARDS)),"$(b)|BOARD=$(b)") \
	$(FW_CONFIGS_EXTRA)

# Every configuration of every board (`make size-boards`): the default build's options on each
# board, SREC_CRC_ADDR at the board's last flash word.
board_flash_end = $(shell printf '0x%08X' $$((0x08000000 + $$(sed -n 's/^\#define BOARD_FLASH_SIZE *(\([0-9]*\)u \* 1024u).*/\1/p' firmware/boards/$(1).h) * 1024)))
board_configs = "$(1)|BOARD=$(1)" "$(1)-log|BOARD=$(1) LOG=1" "$(1)-noraw|BOARD=$(1) RAW_IMAGES=0" \
	"$(1)-srec|BOARD=$(1) SREC_CRC_ADDR=$(shell printf '0x%08X' $$(($(call board_flash_end,$(1)) - 4)))" \
	"$(1)-app8000|BOARD=$(1) APP_BASE=0x08008000" "$(1)-probe0|BOARD=$(1) PROBE_MS=0" \
	"$(1)-noprotect|BOARD=$(1) PROTECT_BOOT=0" "$(1)-noreport|BOARD=$(1) REPORT_LOG=0" \
	"$(1)-noboardfiles|BOARD=$(1) BOARD_FILES=0" "$(1)-secure|BOARD=$(1) SECURE=1" \
	"$(1)-secure-encrypt|BOARD=$(1) SECURE=1 ENCRYPT=1" "$(1)-log-secure|BOARD=$(1) LOG=1 SECURE=1"
size-boards:
	@mkdir -p $(BUILD)
	@scripts/size-report.sh $(foreach b,$(BOARDS),$(call board_configs,$(b))) | tee $(BUILD)/size-boards.txt
.PHONY: size-boards

# The table, then every size figure in README.md and docs/*.md rewritten from it
# (scripts/doc-figures.py; tests/suites/docs_figures.sh fails when one disagrees).
size:
	@mkdir -p $(BUILD)
	@scripts/size-report.sh $(FW_CONFIGS) | tee $(BUILD)/size.txt
	@scripts/doc-figures.py write $(BUILD)/size.txt
.PHONY: size

# The table of boards in docs/porting.md, from the board headers and stickemu's board list
# (tests/suites/boards_table.sh fails when it is stale).
boards-table: $(BUILD)/stickemu
	@scripts/boards-table.py write
	@scripts/boards-table.py
.PHONY: boards-table

print-fw-out:
	@echo $(FW_OUT)
.PHONY: print-fw-out

print-board:
	@echo $(BOARD)
.PHONY: print-board

print-fw-configs:
	@echo '$(FW_CONFIGS)'
.PHONY: print-fw-configs

# flash_map.c on a single-bank 256 KB, single-bank 1 MB and dual-bank 2 MB board.
$(foreach b,blackpill-f401cc f4discovery nucleo-f429zi,$(eval $(call host_test,test_flash_map_$(b),\
	tests/unit/test_flash_map.c firmware/stm32f4/flash_map.c,-DBOARD_HEADER='"boards/$(b).h"')))
