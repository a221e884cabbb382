#!/usr/bin/env python3
"""Builds a corpus of real-looking STM32F407 applications as raw .bin files, for the wrong-base
check (docs/image-format.md, "Raw images linked for another base").

Each application is what STM32CubeMX + GCC produce: an assembler startup with the full F407
vector table (98 words, every IRQ a weak alias of Default_Handler unless defined), a
stm32f4xx_it.c with the Cortex-M fault handlers and a few IRQ handlers that call into driver
code through handles, a main loop with callbacks, newlib's __libc_init_array, and constant
tables (sine, font, CRC, text, high-entropy bytes like a compressed asset). Variants:
  base     0x08004000, 0x08008000
  size     small (no tables) or large (tables of 24, 40 or 120 KB)
  layout   code-first (CubeMX linker script: .isr_vector, .text, .rodata, ...) or
           tables-first (the big tables in a section placed before .text)
  opt      -O0, -Os, -O2 (CubeIDE Debug and Release, and what Make/CMake projects use)
Usage: mkcorpus.py OUTDIR; writes OUTDIR/<name>.bin and OUTDIR/manifest.txt ("name base").
"""
import os
import random
import subprocess
import sys
import zlib

IRQS = """WWDG PVD TAMP_STAMP RTC_WKUP FLASH RCC EXTI0 EXTI1 EXTI2 EXTI3 EXTI4 DMA1_Stream0
DMA1_Stream1 DMA1_Stream2 DMA1_Stream3 DMA1_Stream4 DMA1_Stream5 DMA1_Stream6 ADC CAN1_TX
CAN1_RX0 CAN1_RX1 CAN1_SCE EXTI9_5 TIM1_BRK_TIM9 TIM1_UP_TIM10 TIM1_TRG_COM_TIM11 TIM1_CC TIM2
TIM3 TIM4 I2C1_EV I2C1_ER I2C2_EV I2C2_ER SPI1 SPI2 USART1 USART2 USART3 EXTI15_10 RTC_Alarm
OTG_FS_WKUP TIM8_BRK_TIM12 TIM8_UP_TIM13 TIM8_TRG_COM_TIM14 TIM8_CC DMA1_Stream7 FSMC SDIO TIM5
SPI3 UART4 UART5 TIM6_DAC TIM7 DMA2_Stream0 DMA2_Stream1 DMA2_Stream2 DMA2_Stream3 DMA2_Stream4
ETH ETH_WKUP CAN2_TX CAN2_RX0 CAN2_RX1 CAN2_SCE OTG_FS DMA2_Stream5 DMA2_Stream6 DMA2_Stream7
USART6 I2C3_EV I2C3_ER OTG_HS_EP1_OUT OTG_HS_EP1_IN OTG_HS_WKUP OTG_HS DCMI CRYP HASH_RNG
FPU""".split()
assert len(IRQS) == 82  # RM0090 table 61: IRQ 0 (WWDG) .. 81 (FPU)
SYSTEM = ["Reset_Handler", "NMI_Handler", "HardFault_Handler", "MemManage_Handler",
          "BusFault_Handler", "UsageFault_Handler", "0", "0", "0", "0", "SVC_Handler",
          "DebugMon_Handler", "0", "PendSV_Handler", "SysTick_Handler"]


def startup():
    names = SYSTEM + [n + "_IRQHandler" for n in IRQS]
    out = ["  .syntax unified", "  .cpu cortex-m4", "  .fpu softvfp", "  .thumb",
           "  .global g_pfnVectors", "  .global Default_Handler",
           "  .word _sidata", "  .word _sdata", "  .word _edata", "  .word _sbss", "  .word _ebss",
           "  .section .text.Reset_Handler", "  .weak Reset_Handler",
           "  .type Reset_Handler, %function", "Reset_Handler:", "  ldr sp, =_estack",
           "  ldr r0, =_sdata", "  ldr r1, =_edata", "  ldr r2, =_sidata", "  movs r3, #0",
           "  b LoopCopyDataInit", "CopyDataInit:", "  ldr r4, [r2, r3]", "  str r4, [r0, r3]",
           "  adds r3, r3, #4", "LoopCopyDataInit:", "  adds r4, r0, r3", "  cmp r4, r1",
           "  bcc CopyDataInit", "  ldr r2, =_sbss", "  ldr r4, =_ebss", "  movs r3, #0",
           "  b LoopFillZerobss", "FillZerobss:", "  str  r3, [r2]", "  adds r2, r2, #4",
           "LoopFillZerobss:", "  cmp r2, r4", "  bcc FillZerobss", "  bl SystemInit",
           "  bl __libc_init_array", "  bl main", "  bx lr", "  .size Reset_Handler, .-Reset_Handler",
           "  .section .text.Default_Handler,\"ax\",%progbits", "Default_Handler:",
           "Infinite_Loop:", "  b Infinite_Loop", "  .size Default_Handler, .-Default_Handler",
           "  .section .isr_vector,\"a\",%progbits", "  .type g_pfnVectors, %object",
           "g_pfnVectors:", "  .word _estack"]
    out += ["  .word " + n for n in names]
    out.append("  .size g_pfnVectors, .-g_pfnVectors")
    for n in names[1:]:
        if n != "0":
            out += ["  .weak " + n, "  .thumb_set " + n + ",Default_Handler"]
    return "\n".join(out) + "\n"


IT_C = r"""
#include <stdint.h>
struct handle { volatile uint32_t *sr, *dr; uint32_t count; void (*done)(struct handle *); };
extern struct handle huart2, htim2, hdma_rx;
void HAL_IncTick(void);
void HAL_UART_IRQHandler(struct handle *h);
void HAL_TIM_IRQHandler(struct handle *h);
void HAL_DMA_IRQHandler(struct handle *h);
void HAL_GPIO_EXTI_IRQHandler(uint16_t pin);
void NMI_Handler(void) { while (1) { } }
void HardFault_Handler(void) { while (1) { } }
void MemManage_Handler(void) { while (1) { } }
void BusFault_Handler(void) { while (1) { } }
void UsageFault_Handler(void) { while (1) { } }
void SVC_Handler(void) { }
void DebugMon_Handler(void) { }
void PendSV_Handler(void) { }
void SysTick_Handler(void) { HAL_IncTick(); }
void USART2_IRQHandler(void) { HAL_UART_IRQHandler(&huart2); }
void TIM2_IRQHandler(void) { HAL_TIM_IRQHandler(&htim2); }
void DMA1_Stream5_IRQHandler(void) { HAL_DMA_IRQHandler(&hdma_rx); }
void EXTI0_IRQHandler(void) { HAL_GPIO_EXTI_IRQHandler(1); }
"""

MAIN_C = r"""
#include <stdint.h>
#include <string.h>
struct handle { volatile uint32_t *sr, *dr; uint32_t count; void (*done)(struct handle *); };
extern const uint32_t table_words(void);
extern uint32_t driver_run(uint32_t x);
static volatile uint32_t ticks;
static uint32_t sink;
static void uart_done(struct handle *h) { sink += h->count; }
static void tim_done(struct handle *h) { sink ^= h->count * 3u; }
static void dma_done(struct handle *h) { sink -= h->count; }
struct handle huart2 = {(volatile uint32_t *)0x40004400u, (volatile uint32_t *)0x40004404u, 0, uart_done};
struct handle htim2 = {(volatile uint32_t *)0x40000010u, (volatile uint32_t *)0x40000024u, 0, tim_done};
struct handle hdma_rx = {(volatile uint32_t *)0x40026088u, (volatile uint32_t *)0x40026090u, 0, dma_done};
void HAL_IncTick(void) { ticks++; }
static void irq_common(struct handle *h)
{
    uint32_t sr = *h->sr;
    if (sr & 0x20u) {
        h->count++;
        *h->dr = sr >> 8;
        if (h->done)
            h->done(h);
    }
}
void HAL_UART_IRQHandler(struct handle *h) { irq_common(h); }
void HAL_TIM_IRQHandler(struct handle *h) { *h->sr = 0; irq_common(h); }
void HAL_DMA_IRQHandler(struct handle *h) { irq_common(h); *h->sr = 0x3Du; }
void HAL_GPIO_EXTI_IRQHandler(uint16_t pin) { *(volatile uint32_t *)0x40013C14u = pin; sink++; }
void SystemInit(void) { *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; }
static const char *const messages[] = {"boot", "ready", "error", "busy"};
static void (*const actions[])(struct handle *) = {uart_done, tim_done, dma_done};
int main(void)
{
    uint32_t state = 0;
    for (;;) {
        state = (state * 1103515245u + 12345u) >> 3;
        actions[state % 3u](&huart2);
        sink += (uint32_t)strlen(messages[state & 3u]) + table_words() + driver_run(state);
        if (ticks > 1000u)
            break;
    }
    return (int)sink;
}
"""

LD = """
ENTRY(Reset_Handler)
_estack = ORIGIN(RAM) + LENGTH(RAM);
MEMORY
{
  RAM (xrw) : ORIGIN = 0x20000000, LENGTH = 128K
  FLASH (rx) : ORIGIN = %(base)s, LENGTH = 1024K - (%(base)s - 0x08000000)
}
SECTIONS
{
  .isr_vector : { . = ALIGN(4); KEEP(*(.isr_vector)) . = ALIGN(4); } >FLASH
  %(tables_first)s
  .text : { . = ALIGN(4); *(.text) *(.text*) *(.glue_7) *(.glue_7t) *(.eh_frame)
            KEEP (*(.init)) KEEP (*(.fini)) . = ALIGN(4); _etext = .; } >FLASH
  .rodata : { . = ALIGN(4); *(.rodata) *(.rodata*) . = ALIGN(4); } >FLASH
  .ARM.extab : { *(.ARM.extab* .gnu.linkonce.armextab.*) } >FLASH
  .ARM : { __exidx_start = .; *(.ARM.exidx*) __exidx_end = .; } >FLASH
  .preinit_array : { PROVIDE_HIDDEN (__preinit_array_start = .); KEEP (*(.preinit_array*))
                     PROVIDE_HIDDEN (__preinit_array_end = .); } >FLASH
  .init_array : { PROVIDE_HIDDEN (__init_array_start = .); KEEP (*(SORT(.init_array.*)))
                  KEEP (*(.init_array*)) PROVIDE_HIDDEN (__init_array_end = .); } >FLASH
  .fini_array : { PROVIDE_HIDDEN (__fini_array_start = .); KEEP (*(SORT(.fini_array.*)))
                  KEEP (*(.fini_array*)) PROVIDE_HIDDEN (__fini_array_end = .); } >FLASH
  _sidata = LOADADDR(.data);
  .data : { . = ALIGN(4); _sdata = .; *(.data) *(.data*) . = ALIGN(4); _edata = .; } >RAM AT> FLASH
  .bss : { _sbss = .; *(.bss) *(.bss*) *(COMMON) . = ALIGN(4); _ebss = .; } >RAM
  /DISCARD/ : { libc.a ( * ) libm.a ( * ) libgcc.a ( * ) }
  .ARM.attributes 0 : { *(.ARM.attributes) }
}
"""
TABLES_FIRST = ".tables : { . = ALIGN(4); KEEP(*(.rodata.big*)) . = ALIGN(4); } >FLASH"


def tables_c(kb, seed):
    """C source of about kb KB of constant tables of several kinds."""
    rnd = random.Random(seed)
    parts, names = [], []
    total, i = 0, 0
    kinds = ["sine", "font", "entropy", "crc", "text"]
    while total < kb * 1024:
        kind = kinds[i % len(kinds)]
        n = min(4096, kb * 1024 - total)
        name = "t%d_%s" % (i, kind)
        if kind == "sine":
            import math
            vals = [int(32767 * math.sin(2 * math.pi * k / (n // 2))) for k in range(n // 2)]
            body = "const int16_t %s[] = {%s};" % (name, ",".join(map(str, vals)))
        elif kind == "font":
            vals = [rnd.choice([0, 0x18, 0x3C, 0x66, 0x7E, 0xC3, 0xFF, 0x81]) for _ in range(n)]
            body = "const uint8_t %s[] = {%s};" % (name, ",".join(map(str, vals)))
        elif kind == "entropy":
            vals = [rnd.getrandbits(8) for _ in range(n)]
            body = "const uint8_t %s[] = {%s};" % (name, ",".join(map(str, vals)))
        elif kind == "crc":
            vals = []
            for k in range(n // 4):
                c = k & 0xFF
                for _ in range(8):
                    c = (c >> 1) ^ (0xEDB88320 if c & 1 else 0)
                vals.append(c ^ (k >> 8))
            body = "const uint32_t %s[] = {%s};" % (name, ",".join("0x%08Xu" % v for v in vals))
        else:
            words = "the quick brown fox jumps over the lazy dog sensor reading error ok".split()
            text = " ".join(rnd.choice(words) for _ in range(n // 5))[: n - 1]
            body = 'const char %s[] = "%s";' % (name, text)
        attr = '__attribute__((section(".rodata.big%d"), used)) ' % i
        parts.append(attr + body)
        names.append(name)
        total += n
        i += 1
    # A volatile index: the tables are read at run time, not folded away by the compiler.
    sums = " + ".join("(uint32_t)%s[idx + %d]" % (nm, i) for i, nm in enumerate(names))
    return ("#include <stdint.h>\nstatic volatile unsigned idx = 1;\n" + "\n".join(parts) +
            "\nconst uint32_t table_words(void) { return %s; }\n" % (sums or "0"))


def driver_c(functions, seed):
    """C source of about 100 bytes of code per function, like a vendor driver library: loops,
    switches, register accesses, calls to each other; all reachable from driver_run()."""
    rnd = random.Random(seed)
    out = ["#include <stdint.h>", "static volatile uint32_t reg[64];"]
    for i in range(functions):
        a, b, c = rnd.randrange(64), rnd.randrange(1, 31), rnd.randrange(1 << 16)
        callee = "drv%d(x ^ %du)" % (i - 1, c) if i and rnd.random() < 0.3 else "x"
        out.append("""uint32_t drv%d(uint32_t x)
{
    uint32_t acc = %du;
    for (uint32_t k = 0; k < (x & 7u) + 1u; k++) {
        switch ((x + k) %% 5u) {
        case 0: acc += reg[%d] << %d; break;
        case 1: acc ^= reg[(x + k) & 63u] * %du; break;
        case 2: reg[%d] = acc >> %d; break;
        case 3: acc = (acc << 3) | (acc >> 29); break;
        default: acc -= %s; break;
        }
    }
    return acc;
}""" % (i, c, a, b, c | 1, a, b, callee))
    out.append("uint32_t (*const drv_table[])(uint32_t) = {%s};" %
               ", ".join("drv%d" % i for i in range(functions)))
    out.append("uint32_t driver_run(uint32_t x) { return drv_table[x %% %du](x); }" % functions)
    return "\n".join(out) + "\n"


def build(out, name, base, kb, layout, opt, code_functions=0):
    src = os.path.join(out, "src", name)
    os.makedirs(src, exist_ok=True)
    files = {"startup_stm32f407xx.s": startup(), "stm32f4xx_it.c": IT_C, "main.c": MAIN_C,
             "tables.c": tables_c(kb, zlib.crc32(name.encode())) if kb else
             "#include <stdint.h>\nconst uint32_t table_words(void) { return 7; }\n",
             "drivers.c": driver_c(code_functions, zlib.crc32(name.encode())) if code_functions
             else "#include <stdint.h>\nuint32_t driver_run(uint32_t x) { return x; }\n",
             "app.ld": LD % {"base": base,
                             "tables_first": TABLES_FIRST if layout == "tables-first" else ""}}
    for fname, text in files.items():
        with open(os.path.join(src, fname), "w") as f:
            f.write(text)
    elf = os.path.join(src, name + ".elf")
    # Object order as CubeIDE lists them: Core/Src (main, it, tables), Core/Startup, Drivers;
    # with a large driver library the handlers also come after it.
    objects = ["main.c", "stm32f4xx_it.c", "tables.c", "startup_stm32f407xx.s", "drivers.c"]
    if code_functions:
        objects = ["drivers.c"] + objects[:-1]
    cmd = ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft", opt,
           "-ffunction-sections", "-fdata-sections", "-Wall", "--specs=nano.specs",
           "--specs=nosys.specs", "-Wl,--gc-sections", "-T",
           os.path.join(src, "app.ld")] + [os.path.join(src, f) for f in objects] + ["-o", elf]
    subprocess.run(cmd, check=True)
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", elf,
                    os.path.join(out, name + ".bin")], check=True)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    manifest = []
    for base in ("0x08004000", "0x08008000"):
        for opt in ("-O0", "-Os", "-O2"):
            variants = [(0, "code-first")] + [(kb, layout) for kb in (24, 40, 120)
                                              for layout in ("code-first", "tables-first")]
            for kb, layout in variants:
                name = "app%s-%s-%dk-%s" % (base[-4:], opt[1:], kb, layout)
                build(out, name, base, kb, layout, opt)
                manifest.append("%s %s" % (name, base))
            # A large driver library (about 20 KB of code) before the handlers, with and
            # without big tables.
            for kb, layout in [(0, "code-first"), (40, "code-first"), (40, "tables-first")]:
                name = "app%s-%s-%dk-%s-drivers" % (base[-4:], opt[1:], kb, layout)
                build(out, name, base, kb, layout, opt, code_functions=200)
                manifest.append("%s %s" % (name, base))
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")


if __name__ == "__main__":
    main()
