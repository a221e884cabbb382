# Reliability campaigns (issue 8): power cuts, stick fault matrix, hostile files, fuzzing,
# watchdog. Each campaign is one script in scripts/reliability/ that prints a table;
# `make reliability` runs them all in full, keeps each table in build/reliability/<name>.md
# (with its exit status in <name>.rc) and rewrites docs/reliability.md from them.
# `make test` runs sampled subsets (tests/suites/reliability_*.sh).
RELIABILITY_JOBS ?= 2
RELIABILITY_FUZZ_SECONDS ?= 300
REL_OUT := $(BUILD)/reliability
REL_CAMPAIGNS := power_cuts fault_matrix hostile_files fuzz watchdog lifecycle rollback

# libFuzzer target for the trailer codec and update pass 1 (core/update.c over a RAM flash).
FUZZ_TRAILER := $(BUILD)/fuzz/fuzz_trailer
$(FUZZ_TRAILER): tests/fuzz/fuzz_trailer.c firmware/core/update.c firmware/core/image.c \
		firmware/stm32f4/flash_map.c hostlib/flash_ram.c hostlib/crc_soft.c \
		tests/fakes/fake_platform.c $(wildcard firmware/core/*.h hostlib/*.h)
	@mkdir -p $(@D)
	$(call say,FUZZCC,$@)$(FUZZ_CC) -g -O1 -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-DBOARD_HEADER='"boards/f4discovery.h"' $(HOST_INC) -Itests/fakes \
		$(filter %.c,$^) -o $@
TEST_DEPS += $(FUZZ_TRAILER)

# Seeds: byte 0 is the target's control byte (tests/fuzz/fuzz_trailer.c), then a file.
TRAILER_SEED := $(BUILD)/fuzz/trailer-seed
$(TRAILER_SEED)/packed: $(BUILD)/image.bin $(BUILD)/blink.bin
	@mkdir -p $(@D)
	$(call say,GEN,$(TRAILER_SEED))(printf '\000'; cat $(BUILD)/image.bin) > $(TRAILER_SEED)/packed
	$(Q)(printf '\010'; cat $(BUILD)/image.bin) > $(TRAILER_SEED)/packed-changed-in-pass2
	$(Q)(printf '\160'; cat $(BUILD)/blink.bin) > $(TRAILER_SEED)/raw
	$(Q)(printf '\006'; head -c 600 $(BUILD)/blink.bin) > $(TRAILER_SEED)/fixed-up
TEST_DEPS += $(TRAILER_SEED)/packed

fuzz: fuzz-trailer
fuzz-trailer: $(FUZZ_TRAILER) $(TRAILER_SEED)/packed
	@mkdir -p $(BUILD)/fuzz/trailer-corpus $(BUILD)/fuzz/trailer-artifacts
	$(FUZZ_TRAILER) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/trailer-artifacts/ $(BUILD)/fuzz/trailer-corpus $(TRAILER_SEED)
.PHONY: fuzz-trailer

REL_TARGETS := $(addprefix reliability-,$(REL_CAMPAIGNS))
reliability-power_cuts reliability-fault_matrix reliability-hostile_files reliability-watchdog: all-targets
reliability-lifecycle: all-targets app-tests
# The SECURE=1 rollback floor under power cuts: tests/suites/rollback_emu.sh with a cut at every
# 25th flash operation of the update (both cut modes), as a table.
reliability-rollback: all-targets
	@mkdir -p $(REL_OUT)
	@echo "== rollback"
	@start=$$(date +%s); ROLLBACK_STRIDE=25 bash tests/suites/rollback_emu.sh | \
		sed 's/^\(PASS\|FAIL\) rollback_emu:/| \1 | /; s/$$/ |/' | \
		{ echo '| result | check |'; echo '|---|---|'; cat; } > $(REL_OUT)/rollback.md; \
		! grep -q '| FAIL' $(REL_OUT)/rollback.md; echo $$? > $(REL_OUT)/rollback.rc; \
		echo $$(( $$(date +%s) - start )) > $(REL_OUT)/rollback.time; cat $(REL_OUT)/rollback.md
reliability-fuzz: $(FUZZ_TRAILER) $(TRAILER_SEED)/packed $(BUILD)/fuzz/fuzz_fs $(BUILD)/fuzz/fuzz_usb $(BUILD)/fuzz/fuzz_hex \
	$(BUILD)/fuzz/fuzz_elf $(BUILD)/fuzz/usb-seed/reader.bin $(FS_IMAGES) $(BUILD)/blink.elf
# One campaign: its table in $(REL_OUT)/NAME.md, its exit status in NAME.rc, its wall time in
# NAME.time. A failing campaign does not stop the others; `reliability` fails at the end.
$(filter-out reliability-rollback,$(REL_TARGETS)): reliability-%:
	@mkdir -p $(REL_OUT)
	@echo "== $*"
	@start=$$(date +%s); RELIABILITY_JOBS=$(RELIABILITY_JOBS) FUZZ_SECONDS=$(RELIABILITY_FUZZ_SECONDS) \
		python3 scripts/reliability/$*.py > $(REL_OUT)/$*.md; echo $$? > $(REL_OUT)/$*.rc; \
		echo $$(( $$(date +%s) - start )) > $(REL_OUT)/$*.time; cat $(REL_OUT)/$*.md
.PHONY: $(REL_TARGETS)

reliability:
	@$(MAKE) --no-print-directory $(REL_TARGETS)
	python3 scripts/reliability/report.py $(REL_CAMPAIGNS)
