# fs/: FAT12/16/32 + exFAT over MBR/GPT. Unit tests over disk images made by real tools, and a
# libFuzzer target (clang). `make fuzz` runs it for FUZZ_SECONDS.
FS_IMAGES := $(BUILD)/fs-images/manifest.txt
FS_SEEDS := $(BUILD)/fs-images/seeds
$(FS_IMAGES): tests/tools/mkimages.sh tests/tools/mkexfat-file.py
	$(call say,GEN,$@)tests/tools/mkimages.sh $(if $(Q),>/dev/null)
TEST_DEPS += $(FS_IMAGES)

$(eval $(call host_test,test_fs,tests/unit/test_fs.c tests/fakes/fake_blockdev.c firmware/fs/fs.c))

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_FS := $(BUILD)/fuzz/fuzz_fs
$(FUZZ_FS): tests/fuzz/fuzz_fs.c firmware/fs/fs.c $(wildcard firmware/fs/*.h firmware/core/*.h)
	@mkdir -p $(@D)
	$(call say,FUZZCC,$@)$(FUZZ_CC) -g -O1 -std=c11 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -Ifirmware/core -Ifirmware/fs tests/fuzz/fuzz_fs.c firmware/fs/fs.c -o $@
TEST_DEPS += $(FUZZ_FS)

# fuzz-fs: FUZZ_SECONDS of fuzzing from the image seeds; the corpus grows in build/fuzz/fs-corpus.
fuzz: fuzz-fs
fuzz-fs: $(FUZZ_FS) $(FS_IMAGES)
	@mkdir -p $(BUILD)/fuzz/fs-corpus $(BUILD)/fuzz/fs-artifacts
	$(FUZZ_FS) -max_total_time=$(FUZZ_SECONDS) -max_len=200000 -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/fs-artifacts/ $(BUILD)/fuzz/fs-corpus $(FS_SEEDS)
.PHONY: fuzz-fs
