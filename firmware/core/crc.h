/* STM32 CRC unit algorithm: CRC-32 poly 0x04C11DB7, init 0xFFFFFFFF, 32-bit words fed
 * MSB first, no reflection, no final XOR. Hardware unit on target, software on host. */
#ifndef CORE_CRC_H
#define CORE_CRC_H

#include <stdint.h>

void crc_reset(void);
void crc_feed_words(const uint32_t *words, uint32_t count);
uint32_t crc_value(void);

#endif
