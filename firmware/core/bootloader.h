#ifndef CORE_BOOTLOADER_H
#define CORE_BOOTLOADER_H

#include <stdint.h>

/* Waits for a stick and runs update sessions. Returns when the application should start:
 * after an install or an up-to-date check, or (with a valid app) when the probe window
 * (PROBE_MS, or FORCED_WAIT_MS when forced) closes. Never returns without a valid app.
 * app_valid: installed_image() at boot; app_version: that image's trailer app_version (the
 * update report's old version; ignored when app_valid is 0), so no session checks the
 * installed image's CRC twice. */
void bootloader_run(int app_valid, uint32_t app_version, int forced);

#endif
