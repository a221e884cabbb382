/* Startup of the Cube-style test application, shaped like ST's startup_stm32f407xx.s and
 * system_stm32f4xx.c: a vector table with every STM32F407 interrupt (RM0090 table 61), weak
 * handlers, SystemInit() that enables the FPU (CPACR) and points VTOR at this table. */
#include <stdint.h>

#include "cubeapp.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void Reset_Handler(void);

/* Unexpected exceptions stop here (a Cube project's Default_Handler is an infinite loop). */
void Default_Handler(void)
{
    for (;;) {
    }
}

#define WEAK __attribute__((weak, alias("Default_Handler")))
void NMI_Handler(void) WEAK;
void HardFault_Handler(void) WEAK;
void MemManage_Handler(void) WEAK;
void BusFault_Handler(void) WEAK;
void UsageFault_Handler(void) WEAK;
void SVC_Handler(void) WEAK;
void DebugMon_Handler(void) WEAK;
void PendSV_Handler(void) WEAK;
void SysTick_Handler(void) WEAK;
void TIM2_IRQHandler(void) WEAK;
void USART2_IRQHandler(void) WEAK;

#define D   Default_Handler
#define D5  D, D, D, D, D
#define D10 D5, D5
/* Word 7 is reserved by ARMv7-M; stickimg stores the image length there. */
__attribute__((section(".isr_vector"), used)) const void *const g_pfnVectors[16 + 82] = {
    &_estack,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0,
    0,
    0,
    0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
    D10,
    D10,
    D5,
    D,
    D,
    D,               /* IRQ 0-27: WWDG ... TIM1_CC */
    TIM2_IRQHandler, /* IRQ 28 */
    D5,
    D,
    D,
    D,
    D,                 /* IRQ 29-37: TIM3 ... USART1 */
    USART2_IRQHandler, /* IRQ 38 */
    D10,
    D10,
    D10,
    D10,
    D,
    D,
    D, /* IRQ 39-81: USART3 ... FPU */
};

/* system_stm32f4xx.c: FPU full access (PM0214 4.6.1), vector table at this image. */
void SystemInit(void)
{
    SCB_CPACR |= 0xFu << 20;
#ifdef CUBEAPP_VTOR_BUG
    SCB_VTOR = 0x08000000u; /* FLASH_BASE | VECT_TAB_OFFSET: the bootloader's table */
#else
    SCB_VTOR = VECT_TAB_BASE; /* USER_VECT_TAB_ADDRESS */
#endif
}

void Reset_Handler(void)
{
    SystemInit();
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;)
        *dst++ = *src++;
    for (uint32_t *dst = &_sbss; dst < &_ebss;)
        *dst++ = 0;
    main();
    for (;;) {
    }
}
