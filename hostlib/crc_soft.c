/* Software model of the STM32 CRC unit (core/crc.h) for host builds: CRC-32 poly 0x04C11DB7,
 * init 0xFFFFFFFF, each 32-bit word shifted in MSB first, no reflection, no final XOR. */
#include "crc.h"

static uint32_t crc_register = 0xFFFFFFFFu;

uint32_t crc_step(uint32_t crc, uint32_t word)
{
    crc ^= word;
    for (int bit = 0; bit < 32; bit++)
        crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    return crc;
}

void crc_reset(void)
{
    crc_register = 0xFFFFFFFFu;
}

void crc_feed_words(const uint32_t *words, uint32_t count)
{
    while (count--)
        crc_register = crc_step(crc_register, *words++);
}

uint32_t crc_value(void)
{
    return crc_register;
}
