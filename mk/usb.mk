# USB host stack: unit tests of usb/ against the fake HCD (tests/fakes/fake_hcd.c).
USB_TEST_SRCS := firmware/usb/usb_host.c firmware/usb/msc.c tests/fakes/fake_hcd.c \
	tests/fakes/fake_platform.c
USB_TEST_FLAGS := -Itests/fakes

$(eval $(call host_test,test_usb_enum,tests/unit/test_usb_enum.c $(USB_TEST_SRCS),$(USB_TEST_FLAGS)))
$(eval $(call host_test,test_usb_msc,tests/unit/test_usb_msc.c $(USB_TEST_SRCS),$(USB_TEST_FLAGS)))
