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

# Encrypted images: ENCRYPT=1 (with SECURE=1) compiles in the AES device key of $(AES_KEY)
# (keys/dev-aes.key unless given: 32 hex digits, made by `stickimg keygen --aes`) as
# $(FW_OUT)/gen/device_key.h, rewritten only when it changes.
AES_KEY ?= keys/dev-aes.key
ifeq ($(ENCRYPT),1)
DEVICE_KEY_H := $(FW_OUT)/gen/device_key.h
$(DEVICE_KEY_H): FORCE
	@mkdir -p $(@D)
	@hex=$$(tr -d ' \n\r' < '$(AES_KEY)' 2>/dev/null); \
	echo "$$hex" | grep -Eq '^[0-9a-fA-F]{32}$$' || { echo "ENCRYPT=1: '$(AES_KEY)' is not a 32-hex-digit AES key (AES_KEY=file; stickimg keygen --aes)" >&2; exit 1; }; \
	printf '/* generated from %s */\nstatic const unsigned char device_key[16] = {%s};\n' '$(AES_KEY)' \
		"$$(echo "$$hex" | sed 's/../0x&,/g')" > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@
$(FW_OBJS): $(DEVICE_KEY_H)
endif
FW_CONFIGS += "secure-encrypt|SECURE=1 ENCRYPT=1"

# core/update.c as a SECURE=1 host build, with the development key compiled in; the test signs
# with stickimg's signing code (tools/stickimg/sign.c) and libcrypto.
SECURE_TEST_GEN := $(BUILD)/tests/secure-gen
SECURE_TOOL_SRCS := $(filter-out tools/stickimg/main.c tools/stickimg/cmd_%.c tools/stickimg/no_libcrypto.c,$(wildcard tools/stickimg/*.c)) \
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

# core/decrypt.c + core/update.c as a SECURE=1 ENCRYPT=1 host build with the repository's keys.
ENCRYPT_TEST_GEN := $(BUILD)/tests/encrypt-gen
$(ENCRYPT_TEST_GEN)/device_key.h: keys/dev-aes.key
	@mkdir -p $(@D)
	$(call say,GEN,$@)printf 'static const unsigned char device_key[16] = {%s};\n' \
		"$$(tr -d ' \n\r' < $< | sed 's/../0x&,/g')" > $@
$(BUILD)/tests/test_update_encrypt.t: $(SECURE_TEST_GEN)/signing_key.h $(ENCRYPT_TEST_GEN)/device_key.h
$(eval $(call host_test,test_update_encrypt,tests/unit/test_update_encrypt.c firmware/core/update.c \
	firmware/core/decrypt.c firmware/crypto/aes.c firmware/stm32f4/flash_map.c hostlib/flash_ram.c \
	tests/fakes/fake_platform.c $(SECURE_TOOL_SRCS),\
	-DBOARD_HEADER='"boards/f4discovery.h"' -DSECURE=1 -DENCRYPT=1 -I$(SECURE_TEST_GEN) \
	-I$(ENCRYPT_TEST_GEN) -Ifirmware/boards -Itests/fakes -Itools/stickimg \
	-Wl$(secure_comma)--no-as-needed -lcrypto))
