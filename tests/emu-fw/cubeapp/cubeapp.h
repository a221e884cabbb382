/* Registers of the Cube-style test application (RM0090, PM0214), CMSIS-like names. */
#ifndef CUBEAPP_H
#define CUBEAPP_H

#include <stdint.h>

#define REG(addr)     (*(volatile uint32_t *)(addr))
#define VECT_TAB_BASE 0x08004000u

#define RCC_CR       REG(0x40023800u)
#define RCC_CR_BYTE2 (*(volatile uint8_t *)0x40023802u) /* HAL's __HAL_RCC_HSE_CONFIG */
#define RCC_PLLCFGR  REG(0x40023804u)
#define RCC_CFGR     REG(0x40023808u)
#define RCC_AHB1ENR  REG(0x40023830u)
#define RCC_APB1ENR  REG(0x40023840u)
/* Bit-band alias of RCC_CR.PLLON (bit 24): 0x42000000 + 0x23800 * 32 + 24 * 4 (RM0090 2.3.3,
 * HAL's RCC_CR_PLLON_BB). */
#define RCC_CR_PLLON_BB REG(0x42470060u)
#define PWR_CR          REG(0x40007000u)
#define FLASH_ACR       REG(0x40023C00u)
#define GPIOA_MODER     REG(0x40020000u)
#define GPIOA_AFRL      REG(0x40020020u)
#define GPIOD_MODER     REG(0x40020C00u)
#define GPIOD_ODR       REG(0x40020C14u)
#define GPIOD_BSRR      REG(0x40020C18u)
#define USART2_SR       REG(0x40004400u)
#define USART2_DR       REG(0x40004404u)
#define USART2_BRR      REG(0x40004408u)
#define USART2_CR1      REG(0x4000440Cu)
#define TIM2_CR1        REG(0x40000000u)
#define TIM2_DIER       REG(0x4000000Cu)
#define TIM2_SR         REG(0x40000010u)
#define TIM2_EGR        REG(0x40000014u)
#define TIM2_PSC        REG(0x40000028u)
#define TIM2_ARR        REG(0x4000002Cu)
#define SYST_CSR        REG(0xE000E010u)
#define SYST_RVR        REG(0xE000E014u)
#define SYST_CVR        REG(0xE000E018u)
#define NVIC_ISER(n)    REG(0xE000E100u + 4u * (n))
#define NVIC_IPR(n)     (*(volatile uint8_t *)(0xE000E400u + (n)))
#define SCB_VTOR        REG(0xE000ED08u)
#define SCB_AIRCR       REG(0xE000ED0Cu)
#define SCB_SHPR3       REG(0xE000ED20u)
#define SCB_CPACR       REG(0xE000ED88u)

#define TIM2_IRQn   28
#define USART2_IRQn 38

#endif
