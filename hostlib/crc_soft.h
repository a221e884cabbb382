#ifndef HOSTLIB_CRC_SOFT_H
#define HOSTLIB_CRC_SOFT_H
#include <stdint.h>
/* One STM32 CRC step: the register after feeding one 32-bit word. Stateless. */
uint32_t crc_step(uint32_t crc, uint32_t word);
#endif
