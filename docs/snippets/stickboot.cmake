# stickboot.cmake: make the USB-stick file (IMAGE.BIN) after every build of an executable.
#
#   include(path/to/stickboot.cmake)
#   stickboot_image(my_app                 # your add_executable() target
#       BOARD f4discovery                  # or nucleo-f446ze (default: f4discovery)
#       APP_BASE 0x08004000                # the bootloader's APP_BASE (default: 0x08004000)
#       VERSION 1.2.3                      # default: 0.0.0
#       SREC_CRC_ADDR 0x080FFFFC           # only if the bootloader was built with it
#       OUTPUT ${CMAKE_BINARY_DIR}/IMAGE.BIN)  # default: IMAGE.BIN next to the executable
#
# STICKIMG is the stickimg program: cmake -DSTICKIMG=/path/to/stickimg (default: the PATH).

set(STICKIMG stickimg CACHE FILEPATH "stickimg, the stickboot image tool")

function(stickboot_image target)
    cmake_parse_arguments(SB "" "BOARD;APP_BASE;VERSION;SREC_CRC_ADDR;OUTPUT" "" ${ARGN})
    if(NOT SB_BOARD)
        set(SB_BOARD f4discovery)
    endif()
    if(NOT SB_APP_BASE)
        set(SB_APP_BASE 0x08004000)
    endif()
    if(NOT SB_VERSION)
        set(SB_VERSION 0.0.0)
    endif()
    if(NOT SB_OUTPUT)
        set(SB_OUTPUT $<TARGET_FILE_DIR:${target}>/IMAGE.BIN)
    endif()
    set(srec_option)
    if(SB_SREC_CRC_ADDR)
        set(srec_option --srec-crc-addr ${SB_SREC_CRC_ADDR})
    endif()
    add_custom_command(TARGET ${target} POST_BUILD
        COMMAND ${STICKIMG} pack $<TARGET_FILE:${target}> -o ${SB_OUTPUT}
                --board ${SB_BOARD} --app-base ${SB_APP_BASE} --version ${SB_VERSION}
                ${srec_option}
        COMMENT "stickimg pack: ${target} -> IMAGE.BIN"
        VERBATIM)
endfunction()
