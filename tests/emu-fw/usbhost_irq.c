/* The USB host test firmware with the OTG_FS interrupt delivered through the NVIC. */
#define USBHOST_POLLED 0
#include "usbhost.h"
