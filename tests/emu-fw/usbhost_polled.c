/* The USB host test firmware with its OTG_FS interrupt handler called from the wait loops. */
#define USBHOST_POLLED 1
#include "usbhost.h"
