# stickimg, the host image tool (tools/stickimg), and the tests of the image format.
# It compiles firmware/core/image.c itself, with the software CRC (hostlib/crc_soft.c), so the
# checks are the bootloader's own code.

STICKIMG_SRCS := $(wildcard tools/stickimg/*.c) firmware/core/image.c hostlib/crc_soft.c
STICKIMG_HDRS := $(wildcard tools/stickimg/*.h) firmware/core/image.h firmware/core/crc.h \
	hostlib/crc_soft.h $(wildcard firmware/boards/*.h)

$(BUILD)/stickimg: $(STICKIMG_SRCS) $(STICKIMG_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -Itools/stickimg -Ifirmware -Ifirmware/core -Ihostlib \
		$(STICKIMG_SRCS) -o $@

# The example app packed for the stick.
$(BUILD)/image.bin: $(BUILD)/stickimg $(BUILD)/blink.bin
	$(BUILD)/stickimg pack $(BUILD)/blink.bin -o $@ --version 1.0.0 --board f4discovery

ALL_TARGETS += $(BUILD)/stickimg $(BUILD)/image.bin

$(eval $(call host_test,test_image,tests/unit/test_image.c firmware/core/image.c hostlib/crc_soft.c))

STICKIMG_LIB_SRCS := $(filter-out tools/stickimg/main.c tools/stickimg/cmd_%.c,$(STICKIMG_SRCS))
$(eval $(call host_test,test_stickimg,tests/unit/test_stickimg.c $(STICKIMG_LIB_SRCS),-Itools/stickimg))
