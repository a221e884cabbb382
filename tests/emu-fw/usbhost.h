/* An interrupt-driven USB host for stickemu, written the way ST's HAL HCD drives the OTG_FS
 * core (RM0090 34.17.4, slave mode): every channel event is handled in the OTG_FS interrupt
 * (IRQ 67), every transfer ends with a halt requested in two steps (HCCHAR |= CHDIS, then
 * HCCHAR |= CHENA, as HAL's USB_HC_Halt does), also after an OUT XFRC when the core has already
 * disabled the channel, and the result is taken on CHH. It enumerates the stick, reads every
 * block with READ(10) and prints the CRC-32 of the medium on USART2.
 *
 * USBHOST_POLLED 1: the same handler is called from the wait loops instead of through the NVIC
 * (for an emulator without exception delivery). Included by usbhost_irq.c and
 * usbhost_polled.c. */
#ifndef USBHOST_H
#define USBHOST_H

#define EMUFW_OWN_VECTORS
#include "emufw.h"

#define RCC_PLLCFGR  REG(0x40023804u)
#define RCC_AHB2ENR  REG(0x40023834u)
#define GPIOA_OSPEED REG(0x40020008u)
#define GPIOA_AFRH   REG(0x40020024u)
#define GPIOC_MODER  REG(0x40020800u)
#define GPIOC_BSRR   REG(0x40020818u)
#define NVIC_ISER2   REG(0xE000E108u)

#define OTG(o)      REG(0x50000000u + (o))
#define GAHBCFG     OTG(0x008)
#define GUSBCFG     OTG(0x00C)
#define GRSTCTL     OTG(0x010)
#define GINTSTS     OTG(0x014)
#define GINTMSK     OTG(0x018)
#define GRXSTSP     OTG(0x020)
#define GRXFSIZ     OTG(0x024)
#define HNPTXFSIZ   OTG(0x028)
#define HNPTXSTS    OTG(0x02C)
#define GCCFG       OTG(0x038)
#define HPTXFSIZ    OTG(0x100)
#define HCFG        OTG(0x400)
#define HFIR        OTG(0x404)
#define HAINT       OTG(0x414)
#define HAINTMSK    OTG(0x418)
#define HPRT        OTG(0x440)
#define HCCHAR(n)   OTG(0x500 + 0x20 * (n))
#define HCINT(n)    OTG(0x508 + 0x20 * (n))
#define HCINTMSK(n) OTG(0x50C + 0x20 * (n))
#define HCTSIZ(n)   OTG(0x510 + 0x20 * (n))
#define FIFO(n)     OTG(0x1000 * ((n) + 1))

/* GINTSTS / GINTMSK */
#define RXFLVL  (1u << 4)
#define HPRTINT (1u << 24)
#define HCINTS  (1u << 25)
#define DISCINT (1u << 29)
/* HPRT */
#define PCSTS   (1u << 0)
#define PCDET   (1u << 1)
#define PENA    (1u << 2)
#define PENCHNG (1u << 3)
#define POCCHNG (1u << 5)
#define PRST    (1u << 8)
#define PPWR    (1u << 12)
/* HCCHAR, HCINT */
#define EPDIR       (1u << 15)
#define BULK        (2u << 18)
#define CHDIS       (1u << 30)
#define CHENA       (1u << 31)
#define XFRC        (1u << 0)
#define CHH         (1u << 1)
#define STALL       (1u << 3)
#define NAK         (1u << 4)
#define ACK         (1u << 5)
#define ERRS        ((1u << 7) | (1u << 8) | (1u << 9) | (1u << 10)) /* TXERR BBERR FRMOR DTERR */
#define PKTCNT_MASK (0x3FFu << 19)

enum { PID_DATA0 = 0, PID_DATA1 = 2, PID_SETUP = 3 };
enum { URB_IDLE, URB_DONE, URB_NAK, URB_STALL, URB_ERROR, URB_TIMEOUT };
enum { CH_CTRL = 0, CH_IN = 1, CH_OUT = 2, NCH = 3 };

#define HZ 16000000u /* SYSCLK stays on HSI; the PLL only makes the 48 MHz USB clock */

struct channel {
    uint8_t *buf;
    uint32_t room, count;   /* IN: bytes free in buf, bytes received */
    volatile uint8_t ended; /* why the transfer stopped; becomes the result on CHH */
    volatile uint8_t urb;
};

static struct channel ch[NCH];
static volatile uint32_t irq_count, isr_runs, port_connected, port_enabled;

static uint32_t ms_since(uint32_t start)
{
    return (DWT_CYCCNT - start) / (HZ / 1000u);
}

static void delay_ms(uint32_t ms)
{
    uint32_t start = DWT_CYCCNT;
    while (ms_since(start) < ms) {
    }
}

/* HAL's two-step halt: CHDIS alone (latched on an idle channel), then CHENA. Only with a free
 * request-queue slot (RM0090 34.17.4 "Halting a channel"); the slots are never all in use here
 * (one request per channel at most), so no wait. */
static void halt(unsigned n)
{
    HCCHAR(n) |= CHDIS;
    HCCHAR(n) |= CHENA;
}

static void rx_packet(void)
{
    uint32_t st = GRXSTSP;
    unsigned n = st & 0xFu, bcnt = (st >> 4) & 0x7FFu, pktsts = (st >> 17) & 0xFu;
    if (pktsts != 2 || n >= NCH)
        return; /* IN complete, toggle error, halted: the flags come in HCINT */
    struct channel *c = &ch[n];
    for (unsigned i = 0; i < bcnt; i += 4) {
        uint32_t w = FIFO(0);
        for (unsigned k = 0; k < 4 && i + k < bcnt; k++, w >>= 8)
            if (c->room) {
                *c->buf++ = (uint8_t)w;
                c->room--;
            }
    }
    c->count += bcnt;
    /* More packets to come: one IN request per CHENA write (RM0090 34.17.4, bulk IN step 2). */
    if (bcnt == (HCCHAR(n) & 0x7FFu) && (HCTSIZ(n) & PKTCNT_MASK))
        HCCHAR(n) = (HCCHAR(n) & ~CHDIS) | CHENA;
}

static void channel_event(unsigned n)
{
    struct channel *c = &ch[n];
    uint32_t s = HCINT(n) & HCINTMSK(n);
    uint8_t why = 0;
    if (s & XFRC)
        why = URB_DONE;
    else if (s & STALL)
        why = URB_STALL;
    else if (s & NAK)
        why = URB_NAK;
    else if (s & ERRS)
        why = URB_ERROR;
    HCINT(n) = s & (XFRC | STALL | NAK | ERRS | ACK);
    if (why) {
        c->ended = why;
        halt(n); /* also after an OUT XFRC: CHH follows, as HAL expects */
    }
    if (s & CHH) {
        HCINT(n) = CHH;
        c->urb = c->ended ? c->ended : URB_ERROR;
    }
}

static void port_event(void)
{
    uint32_t p = HPRT;
    if (p & PCDET)
        port_connected = 1;
    if ((p & PENCHNG) && (p & PENA))
        port_enabled = 1;
    HPRT = (p & ~(PENA | PCDET | PENCHNG | POCCHNG)) | (p & (PCDET | PENCHNG | POCCHNG));
}

/* The OTG_FS interrupt: everything pending, then return (the line is level-sensitive). */
static void otg_isr(void)
{
    isr_runs++;
    for (int guard = 0; guard < 64; guard++) {
        uint32_t s = GINTSTS & GINTMSK;
        if (!s)
            break;
        if (s & RXFLVL)
            rx_packet();
        else if (s & HCINTS) {
            uint32_t a = HAINT;
            for (unsigned n = 0; n < NCH; n++)
                if (a & (1u << n))
                    channel_event(n);
        } else if (s & HPRTINT)
            port_event();
        else if (s & DISCINT) {
            GINTSTS = DISCINT;
            port_connected = port_enabled = 0;
        }
    }
}

void OTG_FS_IRQHandler(void);
void OTG_FS_IRQHandler(void)
{
    irq_count++;
    otg_isr();
}

/* Vector table: reset and the OTG_FS global interrupt (position 16 + 67, RM0090 table 61). */
__attribute__((section(".isr_vector"), used)) static const void *const vectors[16 + 68] = {
    [0] = &_estack,
    [1] = Reset_Handler,
    [16 + 67] = OTG_FS_IRQHandler,
};

/* Waits for the result, or for cond (no channel) when c is NULL. */
static int wait_event(struct channel *c, volatile uint32_t *flag, uint32_t ms)
{
    uint32_t start = DWT_CYCCNT;
    for (;;) {
        if (c ? c->urb != URB_IDLE : *flag != 0)
            return c ? c->urb : URB_DONE;
        if (ms_since(start) > ms)
            return URB_TIMEOUT;
#if USBHOST_POLLED
        otg_isr();
#endif
    }
}

/* One transfer on channel n, NAKs retried for up to 1 s; OUT: one packet (<= MPS). *pid is
 * the DATA PID before and after. */
static int transfer(unsigned n, uint32_t hcchar, unsigned *pid, void *buf, uint32_t len,
                    uint32_t *got)
{
    unsigned mps = hcchar & 0x7FFu, in = (hcchar & EPDIR) != 0;
    uint32_t start = DWT_CYCCNT, done = 0;
    for (;;) {
        struct channel *c = &ch[n];
        uint32_t left = len - done, pkts = in ? (left + mps - 1) / mps : 1;
        if (!pkts)
            pkts = 1;
        c->buf = (uint8_t *)buf + done;
        c->room = left;
        c->count = 0;
        c->ended = 0;
        c->urb = URB_IDLE;
        HCTSIZ(n) = (in ? pkts * mps : left) | pkts << 19 | (uint32_t)*pid << 29;
        HCCHAR(n) = hcchar | CHENA;
        if (!in)
            for (uint32_t i = 0; i < left; i += 4) {
                uint32_t w = 0;
                for (unsigned k = 0; k < 4 && i + k < left; k++)
                    w |= (uint32_t)((const uint8_t *)buf)[done + i + k] << (8 * k);
                FIFO(n) = w;
            }
        int r = wait_event(c, 0, 200);
        *pid = (HCTSIZ(n) >> 29) & 3u;
        done += in ? c->count : (r == URB_DONE ? left : 0);
        if (r == URB_NAK && ms_since(start) < 1000)
            continue;
        if (got)
            *got = done;
        return r == URB_DONE ? 0 : r;
    }
}

static uint32_t ctrl_hcchar(unsigned addr, unsigned mps)
{
    return mps | (uint32_t)addr << 22;
}

static int control(unsigned addr, unsigned mps, const uint8_t setup[8], void *data, uint32_t *got)
{
    uint32_t hc = ctrl_hcchar(addr, mps);
    unsigned pid = PID_SETUP, len = setup[6] | setup[7] << 8, in = setup[0] & 0x80;
    int r = transfer(CH_CTRL, hc, &pid, (void *)setup, 8, 0);
    if (!r && len) {
        pid = PID_DATA1;
        r = transfer(CH_CTRL, hc | EPDIR, &pid, data, len, got);
    }
    if (!r) {
        pid = PID_DATA1;
        r = transfer(CH_CTRL, in && len ? hc : hc | EPDIR, &pid, 0, 0, 0);
    }
    return r;
}

/* The compiler turns array initialisers into memset calls; there is no C library here. */
void *memset(void *dst, int c, __SIZE_TYPE__ n);
void *memset(void *dst, int c, __SIZE_TYPE__ n)
{
    volatile uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

/* CRC-32 (IEEE, reflected, as zlib's crc32), by table: the CPU runs at 16 MHz. */
static uint32_t crc_table[256];

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c >> 1 ^ (0xEDB88320u & -(c & 1u));
        crc_table[i] = c;
    }
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, uint32_t n)
{
    while (n--)
        crc = crc >> 8 ^ crc_table[(crc ^ *p++) & 0xFFu];
    return crc;
}

static void print_num(const char *name, uint32_t v)
{
    uart_puts(name);
    uart_hex(v);
    uart_putc('\n');
}

static uint8_t buf[16384];
static unsigned in_pid, out_pid, bulk_in, bulk_out, bulk_mps;
static uint32_t tag;

/* Bulk-Only command with an IN data phase (or none). 0 on a good CSW. */
static int scsi_in(const uint8_t *cdb, unsigned cdb_len, uint8_t *data, uint32_t len)
{
    uint8_t cbw[31] = {0x55, 0x53, 0x42, 0x43};
    tag++;
    for (int i = 0; i < 4; i++) {
        cbw[4 + i] = (uint8_t)(tag >> (8 * i));
        cbw[8 + i] = (uint8_t)(len >> (8 * i));
    }
    cbw[12] = 0x80;
    cbw[14] = (uint8_t)cdb_len;
    for (unsigned i = 0; i < cdb_len; i++)
        cbw[15 + i] = cdb[i];
    uint32_t out_hc = bulk_mps | bulk_out << 11 | BULK | 1u << 22;
    uint32_t in_hc = bulk_mps | bulk_in << 11 | EPDIR | BULK | 1u << 22;
    uint32_t got = 0;
    if (transfer(CH_OUT, out_hc, &out_pid, cbw, 31, 0))
        return 1;
    if (len && (transfer(CH_IN, in_hc, &in_pid, data, len, &got) || got != len))
        return 2;
    uint8_t csw[16];
    if (transfer(CH_IN, in_hc, &in_pid, csw, 13, &got) || got != 13)
        return 3;
    uint32_t sig = csw[0] | csw[1] << 8 | csw[2] << 16 | (uint32_t)csw[3] << 24;
    uint32_t ctag = csw[4] | csw[5] << 8 | csw[6] << 16 | (uint32_t)csw[7] << 24;
    return sig != 0x53425355u || ctag != tag || csw[12] != 0 ? 4 : 0;
}

static void fail(const char *what, uint32_t code)
{
    uart_puts("usbhost: FAILED ");
    uart_puts(what);
    uart_putc(' ');
    uart_hex(code);
    uart_putc('\n');
    uart_flush();
    for (;;) {
    }
}

static void clock_and_pins(void)
{
    DEMCR |= 1u << 24;
    DWT_CTRL |= 1u;
    RCC_CR |= 1u << 16; /* HSEON */
    uint32_t start = DWT_CYCCNT;
    while (!(RCC_CR & (1u << 17)))
        if (ms_since(start) > 100)
            fail("HSE", RCC_CR);
    /* 8 MHz / 8 * 192 = 192 MHz VCO; /4 = 48 MHz for USB; /2 = 96 MHz unused. */
    RCC_PLLCFGR = 8u | 192u << 6 | 0u << 16 | 1u << 22 | 4u << 24;
    RCC_CR |= 1u << 24;
    start = DWT_CYCCNT;
    while (!(RCC_CR & (1u << 25)))
        if (ms_since(start) > 10)
            fail("PLL", RCC_CR);
    RCC_AHB1ENR |= 1u | 1u << 2;
    (void)RCC_AHB1ENR;
    GPIOC_BSRR = 1u;                                          /* PC0 high: VBUS off */
    GPIOC_MODER = (GPIOC_MODER & ~3u) | 1u;                   /* PC0 output */
    GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 22)) | 0xAu << 22; /* PA11/12 AF10 */
    GPIOA_OSPEED |= 0xFu << 22;
    GPIOA_AFRH = (GPIOA_AFRH & ~(0xFFu << 12)) | 0xAAu << 12;
    RCC_AHB2ENR |= 1u << 7; /* OTGFSEN */
    (void)RCC_AHB2ENR;
}

static void core_init(void)
{
    uint32_t start = DWT_CYCCNT;
    while (!(GRSTCTL & (1u << 31)))
        if (ms_since(start) > 10)
            fail("AHBIDL", GRSTCTL);
    GRSTCTL = 1u;
    while (GRSTCTL & 1u)
        if (ms_since(start) > 20)
            fail("CSRST", GRSTCTL);
    GCCFG = 1u << 16 | 1u << 21;   /* PWRDWN, NOVBUSSENS */
    GUSBCFG |= 1u << 6 | 1u << 29; /* PHYSEL, FHMOD */
    start = DWT_CYCCNT;
    while (!(GINTSTS & 1u))
        if (ms_since(start) > 100)
            fail("CMOD", GINTSTS);
    HCFG = 1u;
    GRXFSIZ = 0x80u;
    HNPTXFSIZ = 0x60u << 16 | 0x80u;
    HPTXFSIZ = 0x40u << 16 | 0xE0u;
    GRSTCTL = 1u << 5 | 0x10u << 6;
    while (GRSTCTL & (1u << 5))
        if (ms_since(start) > 200)
            fail("TXFFLSH", GRSTCTL);
    GRSTCTL = 1u << 4;
    while (GRSTCTL & (1u << 4))
        if (ms_since(start) > 200)
            fail("RXFFLSH", GRSTCTL);
    for (unsigned n = 0; n < NCH; n++) {
        HCINT(n) = ~0u;
        HCINTMSK(n) = XFRC | CHH | STALL | NAK | ERRS;
    }
    HAINTMSK = (1u << NCH) - 1u;
    GINTSTS = ~0u;
    GINTMSK = RXFLVL | HPRTINT | HCINTS | DISCINT;
    GAHBCFG = 1u; /* GINT */
#if !USBHOST_POLLED
    NVIC_ISER2 = 1u << (67 - 64);
    __asm volatile("cpsie i" ::: "memory");
#endif
    HPRT = PPWR;
    GPIOC_BSRR = 1u << 16; /* PC0 low: VBUS on (STMPS2141 EN is active low) */
}

int main(void)
{
    uart_init();
    uart_puts(USBHOST_POLLED ? "usbhost: polled\n" : "usbhost: interrupt\n");
    clock_and_pins();
    core_init();
    if (wait_event(0, &port_connected, 1000) != URB_DONE) {
        if (!USBHOST_POLLED && !irq_count && (GINTSTS & GINTMSK))
            fail("OTG_FS interrupt not delivered", GINTSTS);
        fail("connect", HPRT);
    }
    delay_ms(100);
    HPRT = PPWR | PRST;
    delay_ms(15);
    HPRT = PPWR;
    if (wait_event(0, &port_enabled, 100) != URB_DONE)
        fail("port enable", HPRT);
    HFIR = 48000u;
    delay_ms(20);

    static const uint8_t get_dev8[8] = {0x80, 6, 0, 1, 0, 0, 8, 0};
    static const uint8_t set_addr[8] = {0x00, 5, 1, 0, 0, 0, 0, 0};
    static const uint8_t get_cfg[8] = {0x80, 6, 0, 2, 0, 0, 64, 0};
    static const uint8_t set_cfg[8] = {0x00, 9, 1, 0, 0, 0, 0, 0};
    uint32_t got = 0;
    int r = control(0, 8, get_dev8, buf, &got);
    if (r || got != 8 || buf[1] != 1)
        fail("GET_DESCRIPTOR(device)", (uint32_t)r);
    unsigned mps0 = buf[7];
    if ((r = control(0, mps0, set_addr, 0, 0)))
        fail("SET_ADDRESS", (uint32_t)r);
    delay_ms(5);
    if ((r = control(1, mps0, get_cfg, buf, &got)) || got < 9 || got > 64)
        fail("GET_DESCRIPTOR(configuration)", (uint32_t)r);
    int msc = 0;
    for (uint32_t i = 0; i + 2 <= got && buf[i] >= 2; i += buf[i]) {
        const uint8_t *d = buf + i;
        if (d[1] == 4 && i + 9 <= got)
            msc = d[5] == 8 && d[6] == 6 && d[7] == 0x50;
        if (msc && d[1] == 5 && i + 7 <= got && (d[3] & 3) == 2) {
            bulk_mps = d[4] | d[5] << 8;
            if (d[2] & 0x80)
                bulk_in = d[2] & 0xFu;
            else
                bulk_out = d[2] & 0xFu;
        }
    }
    if (!bulk_in || !bulk_out || !bulk_mps || bulk_mps > 64)
        fail("no Bulk-Only interface", got);
    if ((r = control(1, mps0, set_cfg, 0, 0)))
        fail("SET_CONFIGURATION", (uint32_t)r);
    print_num("usbhost: configured, bulk mps ", bulk_mps);

    static const uint8_t tur[6] = {0};
    for (int i = 0; i < 50 && scsi_in(tur, 6, 0, 0); i++)
        delay_ms(20);
    static const uint8_t cap[10] = {0x25};
    if ((r = scsi_in(cap, 10, buf, 8)))
        fail("READ CAPACITY(10)", (uint32_t)r);
    uint32_t last = (uint32_t)buf[0] << 24 | buf[1] << 16 | buf[2] << 8 | buf[3];
    uint32_t bsize = (uint32_t)buf[4] << 24 | buf[5] << 16 | buf[6] << 8 | buf[7];
    if (bsize != 512)
        fail("block size", bsize);
    uint32_t blocks = last + 1, crc = ~0u;
    crc32_init();
    for (uint32_t lba = 0; lba < blocks;) {
        uint32_t n = blocks - lba < sizeof buf / 512 ? blocks - lba : sizeof buf / 512;
        uint8_t cdb[10] = {0x28,
                           0,
                           (uint8_t)(lba >> 24),
                           (uint8_t)(lba >> 16),
                           (uint8_t)(lba >> 8),
                           (uint8_t)lba,
                           0,
                           0,
                           (uint8_t)n,
                           0};
        if ((r = scsi_in(cdb, 10, buf, n * 512)))
            fail("READ(10)", lba);
        crc = crc32_update(crc, buf, n * 512);
        lba += n;
    }
    print_num("usbhost: blocks ", blocks);
    print_num("usbhost: crc32 ", ~crc);
    print_num("usbhost: interrupts ", irq_count);
    print_num("usbhost: handler runs ", isr_runs);
    uart_puts("usbhost: done\n");
    uart_flush();
    for (;;) {
    }
}

#endif
