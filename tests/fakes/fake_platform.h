#ifndef TESTS_FAKE_PLATFORM_H
#define TESTS_FAKE_PLATFORM_H
#include "platform.h"
extern uint32_t fake_ms;
extern unsigned fake_watchdog_kicks;
extern enum plat_phase fake_last_phase;
extern unsigned fake_last_arg;
extern unsigned fake_error_shows;
#endif
