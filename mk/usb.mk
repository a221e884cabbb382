# USB host stack: unit tests of usb/ against the fake HCD (tests/fakes/fake_hcd.c).
USB_TEST_SRCS := firmware/usb/usb_host.c firmware/usb/msc.c tests/fakes/fake_hcd.c \
	tests/fakes/fake_platform.c
USB_TEST_FLAGS := -Itests/fakes

$(eval $(call host_test,test_usb_enum,tests/unit/test_usb_enum.c $(USB_TEST_SRCS),$(USB_TEST_FLAGS)))
$(eval $(call host_test,test_usb_msc,tests/unit/test_usb_msc.c $(USB_TEST_SRCS),$(USB_TEST_FLAGS)))

# libFuzzer target: the whole usb/ stack against a device scripted by the fuzz input.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_USB := $(BUILD)/fuzz/fuzz_usb
$(FUZZ_USB): tests/fuzz/fuzz_usb.c firmware/usb/usb_host.c firmware/usb/msc.c \
		$(wildcard firmware/usb/*.h firmware/core/*.h)
	@mkdir -p $(@D)
	$(call say,FUZZCC,$@)$(FUZZ_CC) -g -O1 -std=c11 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -Ifirmware/core -Ifirmware/usb tests/fuzz/fuzz_usb.c \
		firmware/usb/usb_host.c firmware/usb/msc.c -o $@
TEST_DEPS += $(FUZZ_USB)

fuzz: fuzz-usb
fuzz-usb: $(FUZZ_USB)
	@mkdir -p $(BUILD)/fuzz/usb-corpus $(BUILD)/fuzz/usb-artifacts
	$(FUZZ_USB) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/usb-artifacts/ $(BUILD)/fuzz/usb-corpus $(BUILD)/fuzz/usb-seed
.PHONY: fuzz-usb

# Seed for fuzz-usb: the script of a well-behaved two-LUN card reader.
$(BUILD)/fuzz/usb-seed/reader.bin: tests/fuzz/fuzz_usb.c
	@mkdir -p $(@D)
	$(call say,GEN,$@)$(HOST_CC) $(HOST_CFLAGS) -DFUZZ_USB_SEED -Ifirmware/core -Ifirmware/usb $< -o $(BUILD)/fuzz/fuzz_usb_seed
	$(Q)$(BUILD)/fuzz/fuzz_usb_seed > $@
fuzz-usb: $(BUILD)/fuzz/usb-seed/reader.bin
TEST_DEPS += $(BUILD)/fuzz/usb-seed/reader.bin
