# stickboot.mk: make the USB-stick file (IMAGE.BIN) from your application's ELF with stickimg.
#
# Set before the include:
#   STICKBOOT_ELF            your linked application (required), e.g. build/app.elf
# Optional:
#   STICKIMG                 the stickimg program (default: stickimg on the PATH)
#   STICKBOOT_IMAGE          the file to write (default: IMAGE.BIN next to the ELF)
#   STICKBOOT_BOARD          f4discovery or nucleo-f446ze (default: f4discovery)
#   STICKBOOT_APP_BASE       the bootloader's APP_BASE (default: 0x08004000)
#   STICKBOOT_VERSION        your version, X.Y.Z (default: 0.0.0)
#   STICKBOOT_SREC_CRC_ADDR  only if the bootloader was built with SREC_CRC_ADDR=...
# Then make the image part of your build:
#   all: $(STICKBOOT_IMAGE)
# or build it on its own with `make stickboot-image`.

STICKIMG ?= stickimg
STICKBOOT_IMAGE ?= $(dir $(STICKBOOT_ELF))IMAGE.BIN
STICKBOOT_BOARD ?= f4discovery
STICKBOOT_APP_BASE ?= 0x08004000
STICKBOOT_VERSION ?= 0.0.0
STICKBOOT_SREC_CRC_ADDR ?=

ifeq ($(strip $(STICKBOOT_ELF)),)
$(error stickboot.mk: set STICKBOOT_ELF to your application's .elf before the include)
endif

$(STICKBOOT_IMAGE): $(STICKBOOT_ELF)
	$(STICKIMG) pack $< -o $@ --board $(STICKBOOT_BOARD) --app-base $(STICKBOOT_APP_BASE) \
		--version $(STICKBOOT_VERSION) \
		$(if $(STICKBOOT_SREC_CRC_ADDR),--srec-crc-addr $(STICKBOOT_SREC_CRC_ADDR))

stickboot-image: $(STICKBOOT_IMAGE)
.PHONY: stickboot-image
