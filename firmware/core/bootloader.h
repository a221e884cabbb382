#ifndef CORE_BOOTLOADER_H
#define CORE_BOOTLOADER_H

/* Waits for a stick and runs update sessions. Returns when the application should start:
 * after an install or an up-to-date check, or (with a valid app) when the probe window
 * (PROBE_MS, or FORCED_WAIT_MS when forced) closes. Never returns without a valid app. */
void bootloader_run(int app_valid, int forced);

#endif
