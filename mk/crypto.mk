# Crypto (firmware/crypto: SHA-256, ECDSA P-256 verify) host tests. The Wycheproof vectors
# (github.com/C2SP/wycheproof: ecdsa_secp256r1_sha256_test.json and ..._p1363_test.json) are not
# part of the repository: give WYCHEPROOF_DIR=dir, or keep them in a directory
# <sibling>/testdata/wycheproof beside the repository (CI does). Without them the test reports
# SKIP; the converter turns them into text the C test reads.
WYCHEPROOF_DIR ?= $(firstword $(patsubst %/,%,$(dir $(wildcard ../*/testdata/wycheproof/ecdsa_secp256r1_sha256_test.json))))
WYCHEPROOF_FOUND := $(if $(wildcard $(WYCHEPROOF_DIR)/ecdsa_secp256r1_sha256_test.json),1,0)
CRYPTO_SRCS := firmware/crypto/sha256.c firmware/crypto/p256.c

$(BUILD)/crypto/wycheproof_p1363.txt: $(WYCHEPROOF_DIR)/ecdsa_secp256r1_sha256_p1363_test.json tests/tools/wycheproof2txt.py
	@mkdir -p $(@D)
	$(call say,GEN,$@)python3 tests/tools/wycheproof2txt.py p1363 $< $@
$(BUILD)/crypto/wycheproof_der.txt: $(WYCHEPROOF_DIR)/ecdsa_secp256r1_sha256_test.json tests/tools/wycheproof2txt.py
	@mkdir -p $(@D)
	$(call say,GEN,$@)python3 tests/tools/wycheproof2txt.py der $< $@

$(eval $(call host_test,test_crypto_sha256,tests/unit/test_crypto_sha256.c firmware/crypto/sha256.c))
$(eval $(call host_test,test_crypto_p256,tests/unit/test_crypto_p256.c $(CRYPTO_SRCS)))
$(eval $(call host_test,test_crypto_wycheproof,tests/unit/test_crypto_wycheproof.c $(CRYPTO_SRCS),\
	-DWYCHEPROOF_FOUND=$(WYCHEPROOF_FOUND)))
# Whether the vectors were found is compiled in: found, the test needs the converted files;
# absent, it reports SKIP. Finding or losing them rebuilds the test.
$(BUILD)/crypto/wycheproof.found: FORCE
	@mkdir -p $(@D)
	@echo $(WYCHEPROOF_FOUND) | cmp -s - $@ || echo $(WYCHEPROOF_FOUND) > $@
$(BUILD)/tests/test_crypto_wycheproof.t: $(BUILD)/crypto/wycheproof.found
ifeq ($(WYCHEPROOF_FOUND),1)
TEST_DEPS += $(BUILD)/crypto/wycheproof_p1363.txt $(BUILD)/crypto/wycheproof_der.txt
endif

# Cost on the target: the Thumb build (firmware flags, firmware libc) run in unicorn by a host
# test that counts instructions and stack. The entry points' addresses go to a generated header.
COST_OUT := $(BUILD)/crypto/cost
crypto_comma := ,
$(COST_OUT)/target.elf: tests/unit/test_crypto_cost_target.c $(CRYPTO_SRCS) firmware/stm32f4/libc.c $(wildcard firmware/crypto/*.h)
	@mkdir -p $(@D)
	$(call say,CC,$@)$(ARM_CC) $(ARM_CFLAGS) -Ifirmware/crypto -nostdlib -Wl,--gc-sections -Wl,-Ttext=0x08000000 \
		-Wl,-e,cost_verify -Wl,-u,cost_sha256 -Wl,-u,cost_return \
		tests/unit/test_crypto_cost_target.c $(CRYPTO_SRCS) firmware/stm32f4/libc.c -lgcc -o $@
$(COST_OUT)/target.bin: $(COST_OUT)/target.elf
	$(call say,OBJCOPY,$@)$(ARM_OBJCOPY) -O binary $< $@
$(COST_OUT)/symbols.h: $(COST_OUT)/target.elf
	$(call say,GEN,$@)arm-none-eabi-nm $< | awk '$$3 ~ /^cost_/ { printf "#define %s 0x%su\n", toupper($$3), $$1 }' > $@
$(BUILD)/tests/test_crypto_cost.t: $(COST_OUT)/target.bin $(COST_OUT)/symbols.h
$(eval $(call host_test,test_crypto_cost,tests/unit/test_crypto_cost.c $(CRYPTO_SRCS),\
	-include $(COST_OUT)/symbols.h -DCOST_IMAGE='"$(COST_OUT)/target.bin"' -Wl$(crypto_comma)--no-as-needed -lunicorn -lcrypto))

# p256.c's field arithmetic against OpenSSL's BIGNUM (the test includes p256.c).
$(eval $(call host_test,test_crypto_p256_field,tests/unit/test_crypto_p256_field.c,\
	-Wl$(crypto_comma)--no-as-needed -lcrypto))
$(BUILD)/tests/test_crypto_p256_field.t: firmware/crypto/p256.c

# Differential test against OpenSSL's libcrypto.
$(eval $(call host_test,test_crypto_openssl,tests/unit/test_crypto_openssl.c $(CRYPTO_SRCS),\
	-Wl$(crypto_comma)--no-as-needed -lcrypto))

# AES-128, CTR and key unwrap (ENCRYPT=1): known answers and libcrypto (issue 19).
$(eval $(call host_test,test_crypto_aes,tests/unit/test_crypto_aes.c firmware/crypto/aes.c,\
	-Wl$(crypto_comma)--no-as-needed -lcrypto))
