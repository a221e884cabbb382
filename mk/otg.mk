# OTG_FS host-mode model and USB stick model of stickemu: unit tests. The model's sources
# (emu/otg.c, emu/stick.c, emu/scsi.c) are compiled into build/stickemu by mk/emu.mk.
OTG_MODEL_SRCS := emu/otg.c emu/stick.c emu/scsi.c
OTG_TEST_DEPS := $(OTG_MODEL_SRCS) $(wildcard emu/otg.h emu/stick.h emu/scsi.h emu/log.h tests/unit/test_otg_host.h)

$(eval $(call host_test,test_otg,tests/unit/test_otg.c $(OTG_MODEL_SRCS),))
$(BUILD)/tests/test_otg.t: $(OTG_TEST_DEPS)
$(eval $(call host_test,test_stick,tests/unit/test_stick.c $(OTG_MODEL_SRCS),))
$(BUILD)/tests/test_stick.t: $(OTG_TEST_DEPS)
