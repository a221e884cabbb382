# stickemu: the emulator (emu/*.c on libunicorn). Until the OTG_FS/stick model exists
# (emu/otg.c), the core links emu/stub/otg_none.c.
EMU_CFLAGS := $(HOST_CFLAGS) $(shell pkg-config --cflags unicorn 2>/dev/null)
EMU_LIBS := $(or $(shell pkg-config --libs unicorn 2>/dev/null),-lunicorn) -lm
EMU_SRCS = $(wildcard emu/*.c) $(if $(wildcard emu/otg.c),,emu/stub/otg_none.c)
EMU_HDRS = $(wildcard emu/*.h)
EMU_OBJS = $(patsubst %.c,$(BUILD)/obj-host/%.o,$(EMU_SRCS))
# The models without the CPU and the command line, for unit tests.
EMU_MODEL_SRCS = $(filter-out emu/main.c emu/cpu.c,$(EMU_SRCS))

$(BUILD)/obj-host/emu/%.o: emu/%.c $(EMU_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(EMU_CFLAGS) -c $< -o $@

$(BUILD)/stickemu: $(EMU_OBJS)
	$(HOST_CC) $(EMU_CFLAGS) $(EMU_OBJS) $(EMU_LIBS) -o $@

ALL_TARGETS += $(BUILD)/stickemu

# Test firmwares for model tests: tests/emu-fw/*.c, each a bare Cortex-M4 program at 0x08000000.
EMU_FW_SRCS := $(wildcard tests/emu-fw/*.c)
EMU_FW_BINS := $(patsubst tests/emu-fw/%.c,$(BUILD)/emu-fw/%.elf,$(EMU_FW_SRCS))
$(BUILD)/emu-fw/%.elf: tests/emu-fw/%.c tests/emu-fw/emufw.h tests/emu-fw/emufw.ld
	@mkdir -p $(@D)
	$(ARM_CC) $(ARM_CFLAGS) $(ARM_LDFLAGS) -T tests/emu-fw/emufw.ld $< -lgcc -o $@ > /dev/null
TEST_DEPS += $(EMU_FW_BINS)
# The USB host test firmware is one source in two modes (interrupt, polled).
$(BUILD)/emu-fw/usbhost_irq.elf $(BUILD)/emu-fw/usbhost_polled.elf: tests/emu-fw/usbhost.h

EMU_UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_emu_*.c))
$(foreach t,$(EMU_UNIT_TESTS),$(eval $(call host_test,$(t),tests/unit/$(t).c $(EMU_MODEL_SRCS),-Iemu)))
