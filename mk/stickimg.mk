# stickimg, the host image tool (tools/stickimg), and the tests of the image format.
# It compiles firmware/core/image.c itself, with the software CRC (hostlib/crc_soft.c), so the
# checks are the bootloader's own code; signatures are checked with firmware/crypto and made
# with libcrypto (keygen, sign, pack --key). tools/stickimg/libcrypto.c holds everything that
# needs libcrypto (with encrypt.c, AES for encrypted images); builds without it (Windows, and build/stickimg-nolibcrypto, the same code
# for Linux, which tests run natively) link tools/stickimg/no_libcrypto.c instead.

STICKIMG_CRYPTO_SRCS := tools/stickimg/libcrypto.c tools/stickimg/encrypt.c
STICKIMG_COMMON_SRCS := $(filter-out $(STICKIMG_CRYPTO_SRCS) tools/stickimg/no_libcrypto.c,\
	$(wildcard tools/stickimg/*.c)) firmware/core/image.c hostlib/crc_soft.c \
	firmware/crypto/sha256.c firmware/crypto/p256.c
STICKIMG_SRCS := $(STICKIMG_COMMON_SRCS) $(STICKIMG_CRYPTO_SRCS)
STICKIMG_NOCRYPTO_SRCS := $(STICKIMG_COMMON_SRCS) tools/stickimg/no_libcrypto.c
STICKIMG_INC := -Itools/stickimg -Ifirmware -Ifirmware/core -Ifirmware/crypto -Ihostlib
# STICKBOOT_VERSION: the VERSION file (Makefile).
STICKIMG_VERSION_DEF := -DSTICKBOOT_VERSION='"$(STICKBOOT_VERSION)"'
STICKIMG_HDRS := $(wildcard tools/stickimg/*.h) firmware/core/image.h firmware/core/crc.h \
	hostlib/crc_soft.h $(wildcard firmware/boards/*.h) $(wildcard firmware/crypto/*.h)

$(BUILD)/stickimg: $(STICKIMG_SRCS) $(STICKIMG_HDRS) $(BUILD)/version.txt
	@mkdir -p $(@D)
	$(call say,HOSTCC,$@)$(HOST_CC) $(HOST_CFLAGS) $(STICKIMG_INC) $(STICKIMG_VERSION_DEF) $(STICKIMG_SRCS) -lcrypto -o $@

# The code the Windows build runs, as a Linux program (with ASan and UBSan: tests run it).
$(BUILD)/stickimg-nolibcrypto: $(STICKIMG_NOCRYPTO_SRCS) $(STICKIMG_HDRS) $(BUILD)/version.txt
	@mkdir -p $(@D)
	$(call say,HOSTCC,$@)$(HOST_CC) $(HOST_CFLAGS) $(SAN_FLAGS) $(STICKIMG_INC) $(STICKIMG_VERSION_DEF) \
		$(STICKIMG_NOCRYPTO_SRCS) -o $@

# Rewritten only when the version changes, so a new version rebuilds what prints it.
$(BUILD)/version.txt: FORCE
	@mkdir -p $(@D)
	@echo '$(STICKBOOT_VERSION)' | cmp -s - $@ || echo '$(STICKBOOT_VERSION)' > $@
TEST_DEPS += $(BUILD)/stickimg-nolibcrypto

# The example app packed for the stick.
$(BUILD)/image.bin: $(BUILD)/stickimg $(BUILD)/blink.bin
	$(call say,PACK,$@)$(BUILD)/stickimg pack $(BUILD)/blink.bin -o $@ --version 1.0.0 --board f4discovery $(if $(Q),-q)

ALL_TARGETS += $(BUILD)/stickimg $(BUILD)/image.bin

$(eval $(call host_test,test_image,tests/unit/test_image.c firmware/core/image.c hostlib/crc_soft.c))

stickimg_comma := ,
STICKIMG_LIB_SRCS := $(filter-out tools/stickimg/main.c tools/stickimg/cmd_%.c,$(STICKIMG_SRCS))
$(eval $(call host_test,test_stickimg,tests/unit/test_stickimg.c $(STICKIMG_LIB_SRCS),-Itools/stickimg \
	-Wl$(stickimg_comma)--no-as-needed -lcrypto))

# libFuzzer targets for the Intel HEX and ELF readers; `make fuzz` runs each for FUZZ_SECONDS,
# starting from the example app.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_READER_SRCS := tools/stickimg/mem.c tools/stickimg/ihex.c tools/stickimg/elf.c \
	tools/stickimg/util.c hostlib/crc_soft.c
$(BUILD)/fuzz/fuzz_hex $(BUILD)/fuzz/fuzz_elf: $(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_READER_SRCS) $(STICKIMG_HDRS)
	@mkdir -p $(@D)
	$(call say,FUZZCC,$@)$(FUZZ_CC) -g -O1 -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Itools/stickimg -Ifirmware -Ifirmware/core -Ihostlib $< $(FUZZ_READER_SRCS) -o $@
TEST_DEPS += $(BUILD)/fuzz/fuzz_hex $(BUILD)/fuzz/fuzz_elf

fuzz: fuzz-stickimg
fuzz-stickimg: $(BUILD)/fuzz/fuzz_hex $(BUILD)/fuzz/fuzz_elf $(BUILD)/blink.elf
	@mkdir -p $(BUILD)/fuzz/hex-corpus $(BUILD)/fuzz/elf-corpus $(BUILD)/fuzz/stickimg-artifacts
	$(ARM_OBJCOPY) -O ihex $(BUILD)/blink.elf $(BUILD)/fuzz/hex-corpus/blink.hex
	cp $(BUILD)/blink.elf $(BUILD)/fuzz/elf-corpus/blink.elf
	$(BUILD)/fuzz/fuzz_hex -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/stickimg-artifacts/ $(BUILD)/fuzz/hex-corpus
	$(BUILD)/fuzz/fuzz_elf -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/stickimg-artifacts/ $(BUILD)/fuzz/elf-corpus
.PHONY: fuzz-stickimg

# Corpus of real-looking applications linked for 0x08004000 and 0x08008000 (CubeMX-style
# startup and vector table, big constant tables before or after the code, -O0/-Os/-O2): the
# wrong-base check must accept each for its own base and refuse it for the other
# (tests/suites/stickimg_wrongbase.sh, docs/image-format.md).
CORPUS := $(BUILD)/corpus
$(CORPUS)/manifest.txt: tests/tools/mkcorpus.py
	@rm -rf $(CORPUS)
	$(call say,GEN,$@)python3 tests/tools/mkcorpus.py $(CORPUS)
TEST_DEPS += $(CORPUS)/manifest.txt
$(eval $(call host_test,test_image_base,tests/unit/test_image_base.c firmware/core/image.c hostlib/crc_soft.c))
