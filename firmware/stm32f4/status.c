/* What the user sees: LED patterns per phase (table in the README) and, with LOG=1, a UART
 * log on USART2 (PA2, 115200 8N1). Also the watchdog refresh. */
#include "board.h"
#include "clock.h"
#include "config.h"
#include "image.h"
#include "led.h"
#include "platform.h"
#include "regs.h"

#define LED(name)      (1u << BOARD_LED_##name)
#define ERROR_BLINK_MS 200u
#define ERROR_PAUSE_MS 800u

__attribute__((noinline)) void plat_watchdog_kick(void)
{
    IWDG_KR = 0xAAAAu; /* reload; does not start a stopped watchdog */
}

#if LOG
static void log_char(char c)
{
    uint32_t start = plat_ms();
    while (!(USART2_SR & (1u << 7))) { /* TXE */
        if (plat_ms() - start > 2u)
            return;
    }
    USART2_DR = (uint8_t)c;
}

static void log_text(const char *text)
{
    while (*text)
        log_char(*text++);
}

static void log_number(unsigned n)
{
    char digits[10];
    int count = 0;
    do {
        digits[count++] = (char)('0' + n % 10u);
        n /= 10u;
    } while (n);
    while (count)
        log_char(digits[--count]);
}

static void log_hex(uint32_t n)
{
    log_text("0x");
    for (int shift = 28; shift >= 0; shift -= 4)
        log_char("0123456789ABCDEF"[(n >> shift) & 0xFu]);
}

/* After an error line: why the image was refused (image_why), once. */
static void log_why(void)
{
    if (image_why.result == IMAGE_OK)
        return;
    log_text("stickboot: why: ");
    log_text(image_result_name(image_why.result));
    if (image_why.found || image_why.expected) {
        log_text(": ");
        log_hex(image_why.found);
        log_text(", expected ");
        log_hex(image_why.expected);
    }
    log_text("\r\n");
    image_why_clear();
}

static void log_init(void)
{
    static int ready;
    if (ready)
        return;
    ready = 1;
    RCC_AHB1ENR |= 1u << BOARD_UART_TX_PORT;
    RCC_APB1ENR |= RCC_APB1ENR_USART2EN;
    (void)RCC_APB1ENR;
    unsigned shift = 2u * BOARD_UART_TX_PIN;
    GPIO_MODER(BOARD_UART_TX_PORT) =
        (GPIO_MODER(BOARD_UART_TX_PORT) & ~(3u << shift)) | (2u << shift);
    GPIO_AFRL(BOARD_UART_TX_PORT) |= 7u << (4u * BOARD_UART_TX_PIN); /* AF7 */
    USART2_BRR = (sysclk_hz / 4u + 115200u / 2u) / 115200u;          /* APB1 = SYSCLK / 4 */
    USART2_CR1 = (1u << 13) | (1u << 3);                             /* UE, TE */
}

static const char *const phase_names[] = {"waiting", "reading ", "writing ", "done", "error "};
#endif

void plat_show(enum plat_phase phase, unsigned arg)
{
    static unsigned blink;
#if LOG
    static unsigned last_phase = 0xFFu, last_arg;
    log_init();
    if (last_phase == 0xFFu) /* the first line after a reset: which build this is */
        log_text("stickboot " STICKBOOT_VERSION "\r\n");
    /* One line per phase change, and per 10 % of progress. */
    if (phase != last_phase || (phase <= PHASE_WRITING && arg / 10u != last_arg / 10u)) {
        log_text("stickboot: ");
        log_text(phase_names[phase]);
        if (phase == PHASE_READING || phase == PHASE_WRITING || phase == PHASE_ERROR)
            log_number(arg);
        log_text(phase == PHASE_READING || phase == PHASE_WRITING ? "%\r\n" : "\r\n");
        if (phase == PHASE_ERROR)
            log_why();
    }
    last_phase = phase;
    last_arg = arg;
#endif
    /* LEDs lit per phase; PHASE_WAITING blinks blue, toggled on every call (every 250 ms). */
    static const uint16_t phase_leds[] = {LED(BLUE), LED(ORANGE), LED(ORANGE) | LED(BLUE),
                                          LED(GREEN)};
    if (phase != PHASE_ERROR) {
        led_show(phase != PHASE_WAITING || ++blink & 1u ? phase_leds[phase] : 0);
        return;
    }
    /* Red blinks arg times, then a pause. */
    for (unsigned i = 0; i < arg; i++) {
        led_show(LED(RED));
        plat_delay_ms(ERROR_BLINK_MS);
        led_show(0);
        plat_delay_ms(ERROR_BLINK_MS);
        plat_watchdog_kick();
    }
    plat_delay_ms(ERROR_PAUSE_MS);
}
