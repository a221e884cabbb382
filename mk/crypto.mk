# Crypto (firmware/crypto: SHA-256, ECDSA P-256 verify) host tests. The Wycheproof vectors come
# from the project's shared test data beside the repository; the converter turns them into text
# the C test reads.
WYCHEPROOF_DIR ?= ../shared/testdata/wycheproof
CRYPTO_SRCS := firmware/crypto/sha256.c firmware/crypto/p256.c

$(BUILD)/crypto/wycheproof_p1363.txt: $(WYCHEPROOF_DIR)/ecdsa_secp256r1_sha256_p1363_test.json tests/tools/wycheproof2txt.py
	@mkdir -p $(@D)
	python3 tests/tools/wycheproof2txt.py p1363 $< $@
$(BUILD)/crypto/wycheproof_der.txt: $(WYCHEPROOF_DIR)/ecdsa_secp256r1_sha256_test.json tests/tools/wycheproof2txt.py
	@mkdir -p $(@D)
	python3 tests/tools/wycheproof2txt.py der $< $@

$(eval $(call host_test,test_crypto_sha256,tests/unit/test_crypto_sha256.c firmware/crypto/sha256.c))
$(eval $(call host_test,test_crypto_p256,tests/unit/test_crypto_p256.c $(CRYPTO_SRCS)))
$(eval $(call host_test,test_crypto_wycheproof,tests/unit/test_crypto_wycheproof.c $(CRYPTO_SRCS)))
# Without the shared data the test program fails with a clear message instead of make failing.
ifneq ($(wildcard $(WYCHEPROOF_DIR)/ecdsa_secp256r1_sha256_test.json),)
TEST_DEPS += $(BUILD)/crypto/wycheproof_p1363.txt $(BUILD)/crypto/wycheproof_der.txt
endif
