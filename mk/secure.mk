# Signed updates: SECURE=1 builds compile in the public key of $(KEY) (keys/dev-key.pem unless
# given), as $(FW_OUT)/gen/signing_key.h made by `stickimg pubkey --c-header`. The header is
# rewritten only when its contents change, so switching KEY rebuilds and nothing else does.
ifeq ($(SECURE),1)
SIGNING_KEY_H := $(FW_OUT)/gen/signing_key.h
$(SIGNING_KEY_H): FORCE | $(BUILD)/stickimg
	@mkdir -p $(@D)
	@test -f '$(KEY)' || { echo "SECURE=1: no key file '$(KEY)' (KEY=path.pem; see keys/README.md)" >&2; exit 1; }
	@$(BUILD)/stickimg pubkey '$(KEY)' --c-header -o $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@
$(FW_OBJS): $(SIGNING_KEY_H)
FW_INC += -I$(FW_OUT)/gen
endif

FW_CONFIGS += "secure|SECURE=1" $(foreach b,$(filter-out f4discovery,$(BOARDS)),"$(b)-secure|BOARD=$(b) SECURE=1")

# core/update.c as a SECURE=1 host build, with the development key compiled in; the test signs
# with stickimg's signing code (tools/stickimg/sign.c) and libcrypto.
SECURE_TEST_GEN := $(BUILD)/tests/secure-gen
SECURE_TOOL_SRCS := $(filter-out tools/stickimg/main.c tools/stickimg/cmd_%.c,$(wildcard tools/stickimg/*.c)) \
	firmware/core/image.c hostlib/crc_soft.c firmware/crypto/sha256.c firmware/crypto/p256.c
secure_comma := ,
$(SECURE_TEST_GEN)/signing_key.h: keys/dev-key.pem $(BUILD)/stickimg
	@mkdir -p $(@D)
	$(call say,GEN,$@)$(BUILD)/stickimg pubkey $< --c-header -o $@
$(BUILD)/tests/test_update_secure.t: $(SECURE_TEST_GEN)/signing_key.h $(STICKIMG_BOARDS_H)
$(eval $(call host_test,test_update_secure,tests/unit/test_update_secure.c firmware/core/update.c \
	firmware/stm32f4/flash_map.c hostlib/flash_ram.c tests/fakes/fake_platform.c $(SECURE_TOOL_SRCS),\
	-DBOARD_HEADER='"boards/f4discovery.h"' -DSECURE=1 -I$(SECURE_TEST_GEN) -Ifirmware/boards \
	-Itests/fakes -Itools/stickimg -Wl$(secure_comma)--no-as-needed -lcrypto))
