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

FW_CONFIGS += "secure|SECURE=1"
