/* Minimal STM32F4 register map of our own (RM0090). Only what stickboot touches. */
#ifndef STM32F4_REGS_H
#define STM32F4_REGS_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* Memory */
#define FLASH_BASE_ADDR 0x08000000u
#define SRAM_BASE_ADDR  0x20000000u

/* RCC */
#define RCC_BASE     0x40023800u
#define RCC_CR       REG32(RCC_BASE + 0x00)
#define RCC_PLLCFGR  REG32(RCC_BASE + 0x04)
#define RCC_CFGR     REG32(RCC_BASE + 0x08)
#define RCC_CIR      REG32(RCC_BASE + 0x0C)
#define RCC_AHB1RSTR REG32(RCC_BASE + 0x10)
#define RCC_AHB2RSTR REG32(RCC_BASE + 0x14)
#define RCC_APB1RSTR REG32(RCC_BASE + 0x20)
#define RCC_APB2RSTR REG32(RCC_BASE + 0x24)
#define RCC_AHB1ENR  REG32(RCC_BASE + 0x30)
#define RCC_AHB2ENR  REG32(RCC_BASE + 0x34)
#define RCC_APB1ENR  REG32(RCC_BASE + 0x40)
#define RCC_APB2ENR  REG32(RCC_BASE + 0x44)
#define RCC_CSR      REG32(RCC_BASE + 0x74)

#define RCC_CR_HSION         (1u << 0)
#define RCC_CR_HSIRDY        (1u << 1)
#define RCC_CR_HSEON         (1u << 16)
#define RCC_CR_HSERDY        (1u << 17)
#define RCC_CR_HSEBYP        (1u << 18)
#define RCC_CR_PLLON         (1u << 24)
#define RCC_CR_PLLRDY        (1u << 25)
#define RCC_PLLCFGR_SRC_HSE  (1u << 22)
#define RCC_CFGR_SW_PLL      2u
#define RCC_CFGR_SWS_MASK    (3u << 2)
#define RCC_CFGR_SWS_PLL     (2u << 2)
#define RCC_CFGR_PPRE1_DIV4  (5u << 10)
#define RCC_CFGR_PPRE2_DIV2  (4u << 13)
#define RCC_AHB1ENR_CRCEN    (1u << 12)
#define RCC_AHB2ENR_OTGFSEN  (1u << 7)
#define RCC_APB1ENR_USART2EN (1u << 17)
#define RCC_APB1ENR_PWREN    (1u << 28)
#define RCC_CSR_RMVF         (1u << 24)
#define RCC_CSR_IWDGRSTF     (1u << 29)

/* OTG_HS clock enable, and its ULPI clock in Sleep mode (reset value 1) */
#define RCC_AHB1LPENR               REG32(RCC_BASE + 0x50)
#define RCC_AHB1ENR_OTGHSEN         (1u << 29)
#define RCC_AHB1LPENR_OTGHSULPILPEN (1u << 30)

/* PWR */
#define PWR_BASE   0x40007000u
#define PWR_CR     REG32(PWR_BASE + 0x00)
#define PWR_CR_VOS (1u << 14) /* F407 scale 1; boards give BOARD_PWR_VOS */

/* FLASH interface */
#define FLASH_R_BASE       0x40023C00u
#define FLASH_ACR          REG32(FLASH_R_BASE + 0x00)
#define FLASH_KEYR         REG32(FLASH_R_BASE + 0x04)
#define FLASH_OPTKEYR      REG32(FLASH_R_BASE + 0x08)
#define FLASH_SR           REG32(FLASH_R_BASE + 0x0C)
#define FLASH_CR           REG32(FLASH_R_BASE + 0x10)
#define FLASH_OPTCR        REG32(FLASH_R_BASE + 0x14)
#define FLASH_ACR_PRFTEN   (1u << 8)
#define FLASH_ACR_ICEN     (1u << 9)
#define FLASH_ACR_DCEN     (1u << 10)
#define FLASH_ACR_ICRST    (1u << 11)
#define FLASH_ACR_DCRST    (1u << 12)
#define FLASH_KEY1         0x45670123u
#define FLASH_KEY2         0xCDEF89ABu
#define FLASH_CR_PG        (1u << 0)
#define FLASH_CR_SER       (1u << 1)
#define FLASH_CR_SNB_SHIFT 3
#define FLASH_CR_PSIZE_X32 (2u << 8)
#define FLASH_CR_STRT      (1u << 16)
#define FLASH_CR_LOCK      (1u << 31)
#define FLASH_SR_EOP       (1u << 0)
#define FLASH_SR_OPERR     (1u << 1)
#define FLASH_SR_WRPERR    (1u << 4)
#define FLASH_SR_PGAERR    (1u << 5)
#define FLASH_SR_PGPERR    (1u << 6)
#define FLASH_SR_PGSERR    (1u << 7)
#define FLASH_SR_BSY       (1u << 16)
#define FLASH_SR_ERRORS                                                                            \
    (FLASH_SR_OPERR | FLASH_SR_WRPERR | FLASH_SR_PGAERR | FLASH_SR_PGPERR | FLASH_SR_PGSERR)

/* Option bytes (RM0090 3.6, FLASH_OPTCR) */
#define FLASH_OPTKEY1       0x08192A3Bu
#define FLASH_OPTKEY2       0x4C5D6E7Fu
#define FLASH_OPTCR_OPTLOCK (1u << 0)
#define FLASH_OPTCR_OPTSTRT (1u << 1)
#define FLASH_OPTCR_NWRP0   (1u << 16)

/* GPIO: port n at 0x40020000 + 0x400 n */
#define GPIO_BASE(port)    (0x40020000u + 0x400u * (port))
#define GPIO_MODER(port)   REG32(GPIO_BASE(port) + 0x00)
#define GPIO_OTYPER(port)  REG32(GPIO_BASE(port) + 0x04)
#define GPIO_OSPEEDR(port) REG32(GPIO_BASE(port) + 0x08)
#define GPIO_PUPDR(port)   REG32(GPIO_BASE(port) + 0x0C)
#define GPIO_IDR(port)     REG32(GPIO_BASE(port) + 0x10)
#define GPIO_ODR(port)     REG32(GPIO_BASE(port) + 0x14)
#define GPIO_BSRR(port)    REG32(GPIO_BASE(port) + 0x18)
#define GPIO_AFRL(port)    REG32(GPIO_BASE(port) + 0x20)
#define GPIO_AFRH(port)    REG32(GPIO_BASE(port) + 0x24)

/* CRC unit */
#define CRC_BASE 0x40023000u
#define CRC_DR   REG32(CRC_BASE + 0x00)
#define CRC_CR   REG32(CRC_BASE + 0x08)

/* DMA2 stream 0 (RM0090 10.5): memory-to-memory is DMA2 only (10.3.6) */
#define RCC_AHB1ENR_DMA2EN (1u << 22)
#define DMA2_BASE          0x40026400u
#define DMA2_LISR          REG32(DMA2_BASE + 0x00)
#define DMA2_LIFCR         REG32(DMA2_BASE + 0x08)
#define DMA2_S0CR          REG32(DMA2_BASE + 0x10)
#define DMA2_S0NDTR        REG32(DMA2_BASE + 0x14)
#define DMA2_S0PAR         REG32(DMA2_BASE + 0x18)
#define DMA2_S0M0AR        REG32(DMA2_BASE + 0x1C)
#define DMA2_S0FCR         REG32(DMA2_BASE + 0x24)
#define DMA_SxCR_EN        (1u << 0)
#define DMA_SxCR_M2M       (2u << 6)
#define DMA_SxCR_PINC      (1u << 9)
#define DMA_SxCR_WORDS     ((2u << 11) | (2u << 13)) /* PSIZE = MSIZE = 32 bits */
#define DMA_SxCR_PBURST4   (1u << 21)
#define DMA_SxFCR_FULL     (3u | (1u << 2)) /* FTH full FIFO, DMDIS (no direct mode) */
#define DMA_LISR_S0_TEIF   (1u << 3)
#define DMA_LISR_S0_TCIF   (1u << 5)
#define DMA_LIFCR_S0_ALL   0x3Du

/* IWDG */
#define IWDG_BASE 0x40003000u
#define IWDG_KR   REG32(IWDG_BASE + 0x00)
#define IWDG_PR   REG32(IWDG_BASE + 0x04)
#define IWDG_SR   REG32(IWDG_BASE + 0x0C)

/* USART2 */
#define USART2_BASE 0x40004400u
#define USART2_SR   REG32(USART2_BASE + 0x00)
#define USART2_DR   REG32(USART2_BASE + 0x04)
#define USART2_BRR  REG32(USART2_BASE + 0x08)
#define USART2_CR1  REG32(USART2_BASE + 0x0C)

/* Cortex-M4 system */
#define SCB_VTOR           REG32(0xE000ED08u)
#define SCB_AIRCR          REG32(0xE000ED0Cu)
#define SCB_AIRCR_RESET    (0x05FA0000u | (1u << 2))
#define SYST_CSR           REG32(0xE000E010u)
#define SYST_RVR           REG32(0xE000E014u)
#define SYST_CVR           REG32(0xE000E018u)
#define SYST_CSR_ENABLE    (1u << 0)
#define SYST_CSR_CLKSOURCE (1u << 2)  /* processor clock */
#define SYST_CSR_COUNTFLAG (1u << 16) /* clears on read (PM0214 4.5.1) */
#define DEMCR              REG32(0xE000EDFCu)
#define DEMCR_TRCENA       (1u << 24)
#define DWT_CTRL           REG32(0xE0001000u)
#define DWT_CYCCNT         REG32(0xE0001004u)

/* OTG_FS and OTG_HS cores (host mode); details in hcd_otgfs.c */
#define OTG_FS_BASE 0x50000000u
#define OTG_HS_BASE 0x40040000u

#endif
