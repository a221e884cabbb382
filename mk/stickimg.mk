# stickimg, the host image tool (tools/stickimg), and the tests of the image format.
$(eval $(call host_test,test_image,tests/unit/test_image.c firmware/core/image.c hostlib/crc_soft.c))
