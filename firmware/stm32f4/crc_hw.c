/* core/crc.h on the STM32 CRC unit: 4 AHB cycles a word. */
#include "crc.h"

#include "regs.h"

void crc_reset(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_CRCEN;
    (void)RCC_AHB1ENR;
    CRC_CR = 1u; /* RESET: DR = 0xFFFFFFFF */
}

void crc_feed_words(const uint32_t *words, uint32_t count)
{
    while (count--)
        CRC_DR = *words++;
}

uint32_t crc_value(void)
{
    return CRC_DR;
}
