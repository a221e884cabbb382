# stickimg for Windows x86-64 (issue 21): cross-built with Debian's mingw-w64, one static .exe
# that imports only DLLs every Windows has. It is the no-libcrypto build (tools/stickimg/
# no_libcrypto.c): keygen, sign and pack --key say they are unavailable; digest and
# attach-signature sign with a key kept elsewhere. make test runs the stickimg suites against
# it under wine (tests/suites/windows.sh -> tests/windows/run.sh), about 35-60 s; `make
# test-windows` runs only those. Without mingw-w64 the .exe is not part of test-build and the
# wine tests report SKIP.
WIN_CC ?= x86_64-w64-mingw32-gcc
WIN_OBJDUMP ?= x86_64-w64-mingw32-objdump
WIN_OUT := $(BUILD)/windows
WIN_CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -D__USE_MINGW_ANSI_STDIO=1 -static
# DLLs the .exe may import: parts of Windows itself.
WIN_SYSTEM_DLLS := kernel32.dll msvcrt.dll

$(WIN_OUT)/stickimg.exe: $(STICKIMG_NOCRYPTO_SRCS) $(STICKIMG_HDRS) $(BUILD)/version.txt
	@mkdir -p $(@D)
	$(call say,WINCC,$@)$(WIN_CC) $(WIN_CFLAGS) $(STICKIMG_INC) $(STICKIMG_VERSION_DEF) \
		$(STICKIMG_NOCRYPTO_SRCS) -o $@.tmp
	$(Q)other=$$($(WIN_OBJDUMP) -p $@.tmp | sed -n 's/^\tDLL Name: //p' | tr 'A-Z' 'a-z' | \
		grep -vxF $(addprefix -e ,$(WIN_SYSTEM_DLLS))); \
		if [ -n "$$other" ]; then echo "$@ imports non-system DLLs: $$other" >&2; rm -f $@.tmp; exit 1; fi
	$(Q)mv -f $@.tmp $@

windows: $(WIN_OUT)/stickimg.exe
ifneq ($(shell command -v $(WIN_CC) 2>/dev/null),)
TEST_DEPS += $(WIN_OUT)/stickimg.exe
endif

test-windows: deps
	@$(MAKE) --no-print-directory all-targets build/stickimg-nolibcrypto windows
	@tests/windows/run.sh

.PHONY: windows test-windows

# The release folder dist/stickboot-VERSION/ (scripts/dist.sh; DIST_DIR=dir elsewhere): every
# make size configuration's bootloader, stickimg for Linux and Windows x86-64, the docs,
# SHA256SUMS.
DIST_DIR ?= dist
dist: deps
	@$(MAKE) --no-print-directory all-targets windows
	@for c in $(FW_CONFIGS); do $(MAKE) -s --no-print-directory firmware $${c#*|} || exit 1; done
	@DIST_DIR='$(DIST_DIR)' scripts/dist.sh $(FW_CONFIGS)
.PHONY: dist
