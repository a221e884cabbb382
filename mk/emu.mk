# stickemu: the emulator (emu/*.c on libunicorn). Until the OTG_FS/stick model exists
# (emu/otg.c), the core links emu/stub/otg_none.c.
EMU_CFLAGS := $(HOST_CFLAGS) $(shell pkg-config --cflags unicorn 2>/dev/null)
EMU_LIBS := $(or $(shell pkg-config --libs unicorn 2>/dev/null),-lunicorn) -lm
EMU_SRCS = $(wildcard emu/*.c) $(if $(wildcard emu/otg.c),,emu/stub/otg_none.c)
EMU_HDRS = $(wildcard emu/*.h)
EMU_OBJS = $(patsubst %.c,$(BUILD)/obj-host/%.o,$(EMU_SRCS))
# The models without the CPU and the command line, for unit tests.
EMU_MODEL_SRCS = $(filter-out emu/main.c emu/cpu.c emu/exception.c,$(EMU_SRCS))

$(BUILD)/obj-host/emu/%.o: emu/%.c $(EMU_HDRS)
	@mkdir -p $(@D)
	$(call say,HOSTCC,$@)$(HOST_CC) $(EMU_CFLAGS) -c $< -o $@

$(BUILD)/stickemu: $(EMU_OBJS)
	$(call say,HOSTLD,$@)$(HOST_CC) $(EMU_CFLAGS) $(EMU_OBJS) $(EMU_LIBS) -o $@

ALL_TARGETS += $(BUILD)/stickemu

# Test firmwares for model tests: tests/emu-fw/*.c, each a bare Cortex-M4 program at 0x08000000.
EMU_FW_SRCS := $(wildcard tests/emu-fw/*.c)
EMU_FW_BINS := $(patsubst tests/emu-fw/%.c,$(BUILD)/emu-fw/%.elf,$(EMU_FW_SRCS))
$(BUILD)/emu-fw/%.elf: tests/emu-fw/%.c tests/emu-fw/emufw.h tests/emu-fw/emufw.ld
	@mkdir -p $(@D)
	$(call say,CC,$@)$(ARM_CC) $(ARM_CFLAGS) $(ARM_LDFLAGS) -T tests/emu-fw/emufw.ld $< -lgcc -o $@ > /dev/null
TEST_DEPS += $(EMU_FW_BINS)
# The USB host test firmware is one source in two modes (interrupt, polled).
$(BUILD)/emu-fw/usbhost_irq.elf $(BUILD)/emu-fw/usbhost_polled.elf: tests/emu-fw/usbhost.h

EMU_UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_emu_*.c))
$(foreach t,$(EMU_UNIT_TESTS),$(eval $(call host_test,$(t),tests/unit/$(t).c $(EMU_MODEL_SRCS),-Iemu)))

# The exception test firmware loads and stores S0-S15 (FPU instructions, soft-float calls).
$(BUILD)/emu-fw/exc.elf: ARM_CFLAGS += -mfloat-abi=softfp -mfpu=fpv4-sp-d16

# The Cube-style test application (tests/emu-fw/cubeapp/): at APP_BASE 0x08004000, hard-float
# ABI with the FPU, its own vector table. The -basic variant needs no TIM2, USART2 interrupt or
# bit-band model.
CUBEAPP_SRCS := $(wildcard tests/emu-fw/cubeapp/*.c)
CUBEAPP_DEPS := $(CUBEAPP_SRCS) tests/emu-fw/cubeapp/cubeapp.h tests/emu-fw/cubeapp/cubeapp.ld
CUBEAPP_CFLAGS = $(filter-out -mfloat-abi=soft,$(ARM_CFLAGS)) -mfloat-abi=hard -mfpu=fpv4-sp-d16
$(BUILD)/emu-fw/cubeapp.elf: $(CUBEAPP_DEPS)
	@mkdir -p $(@D)
	$(ARM_CC) $(CUBEAPP_CFLAGS) $(ARM_LDFLAGS) -T tests/emu-fw/cubeapp/cubeapp.ld $(CUBEAPP_SRCS) \
		-lgcc -o $@ > /dev/null
# Variants: basic (no TIM2, USART2 interrupt or bit-band), vtorbug (basic, and SystemInit()
# points VTOR at 0x08000000 as a CubeMX project does without USER_VECT_TAB_ADDRESS).
CUBEAPP_FLAGS_basic := -DCUBEAPP_BASIC
CUBEAPP_FLAGS_vtorbug := -DCUBEAPP_BASIC -DCUBEAPP_VTOR_BUG
$(BUILD)/emu-fw/cubeapp-%.elf: $(CUBEAPP_DEPS)
	@mkdir -p $(@D)
	$(ARM_CC) $(CUBEAPP_CFLAGS) $(CUBEAPP_FLAGS_$*) $(ARM_LDFLAGS) -T tests/emu-fw/cubeapp/cubeapp.ld \
		$(CUBEAPP_SRCS) -lgcc -o $@ > /dev/null
$(BUILD)/emu-fw/cubeapp%.bin: $(BUILD)/emu-fw/cubeapp%.elf
	$(ARM_OBJCOPY) -O binary $< $@
TEST_DEPS += $(BUILD)/emu-fw/cubeapp.bin $(BUILD)/emu-fw/cubeapp-basic.bin \
	$(BUILD)/emu-fw/cubeapp-vtorbug.bin
# The DMA test application (tests/emu-fw/dmaapp/, tests/suites/dma_hostile_emu.sh): at APP_BASE,
# with the Cube-style application's memory layout.
$(BUILD)/emu-fw/dmaapp.elf: tests/emu-fw/dmaapp/main.c tests/emu-fw/emufw.h tests/emu-fw/cubeapp/cubeapp.ld
	@mkdir -p $(@D)
	$(call say,CC,$@)$(ARM_CC) $(ARM_CFLAGS) $(ARM_LDFLAGS) -T tests/emu-fw/cubeapp/cubeapp.ld $< -lgcc -o $@ > /dev/null
$(BUILD)/emu-fw/dmaapp.bin: $(BUILD)/emu-fw/dmaapp.elf
	$(ARM_OBJCOPY) -O binary $< $@
TEST_DEPS += $(BUILD)/emu-fw/dmaapp.bin
