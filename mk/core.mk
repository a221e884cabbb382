# Host unit tests of firmware/core against RAM flash and memory files.
CORE_TEST_DEFS := -DBOARD_HEADER='"boards/f4discovery.h"'
$(eval $(call host_test,test_update,tests/unit/test_update.c firmware/core/update.c firmware/core/image.c \
	firmware/stm32f4/flash_map.c hostlib/flash_ram.c hostlib/crc_soft.c tests/fakes/fake_platform.c,\
	$(CORE_TEST_DEFS) -Ifirmware/boards -Itests/fakes))
# The update report's line: report.c's formatting (its write goes through fs.c).
$(eval $(call host_test,test_report,tests/unit/test_report.c firmware/core/report.c firmware/fs/fs.c,\
	$(CORE_TEST_DEFS)))
