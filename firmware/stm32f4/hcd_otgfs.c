/* usb/hcd.h on the STM32F4 OTG_FS core (RM0090 ch. 34): host mode, slave (FIFO) mode, polled.
 * Every transfer runs on host channel 0, reprogrammed per stage: the bootloader talks to one
 * device, one transfer at a time. Register facts: shared/reference/usb-host.md.
 *
 * IN transfers program PKTCNT for up to 256 packets and re-enable the channel after each full
 * packet is popped, so a READ(10) streams without a software round trip per packet; received
 * words go straight into the caller's buffer. OUT transfers move one packet per channel run:
 * the core drops FIFO data on a NAK or error, so a retry simply rewrites the packet (and the
 * only OUT data we send are SETUPs and 31-byte CBWs). The data toggle comes back from HCTSIZ.
 * NAK: halt, then re-enable until the per-call timeout. TXERR/DTERR/FRMOR: up to 3 retries
 * without progress. STALL and babble end the transfer. Every wait is bounded by plat_ms(). */
#include <string.h>

#include "board.h"
#include "hcd.h"
#include "platform.h"
#include "regs.h"

#define OTG(offset) REG32(OTG_FS_BASE + (offset))
#define GAHBCFG     OTG(0x008)
#define GUSBCFG     OTG(0x00C)
#define GRSTCTL     OTG(0x010)
#define GINTSTS     OTG(0x014)
#define GRXSTSP     OTG(0x020)
#define GRXFSIZ     OTG(0x024)
#define HNPTXFSIZ   OTG(0x028)
#define HNPTXSTS    OTG(0x02C)
#define GCCFG       OTG(0x038)
#define HPTXFSIZ    OTG(0x100)
#define HCFG        OTG(0x400)
#define HFIR        OTG(0x404)
#define HPRT        OTG(0x440)
#define HCCHAR      OTG(0x500) /* channel 0 */
#define HCINT       OTG(0x508)
#define HCTSIZ      OTG(0x510)
#define PCGCCTL     OTG(0xE00)
#define FIFO0       OTG(0x1000)

#define GUSBCFG_PHYSEL    (1u << 6)
#define GUSBCFG_FHMOD     (1u << 29)
#define GRSTCTL_CSRST     (1u << 0)
#define GRSTCTL_FLUSH_ALL ((1u << 4) | (1u << 5) | (0x10u << 6)) /* RX + all TX FIFOs */
#define GRSTCTL_AHBIDL    (1u << 31)
#define GINTSTS_CMOD      (1u << 0)
#define GINTSTS_RXFLVL    (1u << 4)
#define GCCFG_PWRDWN      (1u << 16)
#define GCCFG_NOVBUSSENS  (1u << 21)
#define HPRT_PCSTS        (1u << 0)
#define HPRT_PENA         (1u << 2)
#define HPRT_W1C          0x2Eu /* PCDET, PENA (writing 1 disables!), PENCHNG, POCCHNG */
#define HPRT_PRST         (1u << 8)
#define HPRT_PPWR         (1u << 12)
#define HPRT_SPEED_FULL   (1u << 17)
#define HPRT_SPEED_MASK   (3u << 17)
#define HCCHAR_EPDIR      (1u << 15)
#define HCCHAR_BULK       (2u << 18)
#define HCCHAR_MC1        (1u << 20)
#define HCCHAR_CHDIS      (1u << 30)
#define HCCHAR_CHENA      (1u << 31)
#define HCINT_XFRC        (1u << 0)
#define HCINT_CHH         (1u << 1)
#define HCINT_STALL       (1u << 3)
#define HCINT_NAK         (1u << 4)
#define HCINT_TXERR       (1u << 7)
#define HCINT_BBERR       (1u << 8)
#define HCINT_FRMOR       (1u << 9)
#define HCINT_DTERR       (1u << 10)
#define HCTSIZ_PKTCNT     (0x3FFu << 19)
#define PID_DATA0         0u
#define PID_DATA1         2u
#define PID_SETUP         3u
#define PKTSTS_IN_DATA    2u

#define CONTROL_TIMEOUT_MS 1000u
#define IN_PACKETS_PER_RUN 256u /* PKTCNT is 10 bits; 256 keeps XFRSIZ aligned */

/* State of the transfer in progress, shared by the RX FIFO reader and the halt wait. */
static struct {
    uint8_t *dst;    /* next byte of the caller's buffer */
    uint32_t room;   /* bytes still free there */
    uint32_t got;    /* bytes the device sent */
    uint32_t hcchar; /* channel setup without CHENA */
    uint8_t halting;
} xfer;

/* Waits until (reg & mask) == want; 0 on success, 1 on timeout. */
static int wait_bits(volatile uint32_t *reg, uint32_t mask, uint32_t want, uint32_t ms)
{
    uint32_t start = plat_ms();
    while ((*reg & mask) != want) {
        if (plat_ms() - start > ms)
            return 1;
    }
    return 0;
}

static void hprt_write(uint32_t set, uint32_t clear)
{
    HPRT = (HPRT & ~(HPRT_W1C | clear)) | set;
}

static void vbus(int on)
{
    int high = on ^ BOARD_VBUS_ACTIVE_LOW;
    GPIO_BSRR(BOARD_VBUS_PORT) = 1u << (BOARD_VBUS_PIN + (high ? 0 : 16));
}

static void flush_fifos(void)
{
    GRSTCTL = GRSTCTL_FLUSH_ALL;
    wait_bits(&GRSTCTL, GRSTCTL_FLUSH_ALL, 0, 2);
}

int hcd_init(void)
{
    RCC_AHB1ENR |= (1u << 0) | (1u << BOARD_VBUS_PORT);
    (void)RCC_AHB1ENR;
    vbus(0);
    GPIO_MODER(BOARD_VBUS_PORT) = (GPIO_MODER(BOARD_VBUS_PORT) & ~(3u << (2 * BOARD_VBUS_PIN))) |
                                  (1u << (2 * BOARD_VBUS_PIN));
    /* PA11 (DM), PA12 (DP): alternate function 10, very high speed. */
    GPIO_MODER(0) = (GPIO_MODER(0) & ~(0xFu << 22)) | (0xAu << 22);
    GPIO_OSPEEDR(0) |= 0xFu << 22;
    GPIO_AFRH(0) = (GPIO_AFRH(0) & ~(0xFFu << 12)) | (0xAAu << 12);

    RCC_AHB2ENR |= RCC_AHB2ENR_OTGFSEN;
    (void)RCC_AHB2ENR;
    GAHBCFG = 0;
    GUSBCFG |= GUSBCFG_PHYSEL;
    if (wait_bits(&GRSTCTL, GRSTCTL_AHBIDL, GRSTCTL_AHBIDL, 10))
        return HCD_TIMEOUT;
    GRSTCTL = GRSTCTL_CSRST;
    if (wait_bits(&GRSTCTL, GRSTCTL_CSRST, 0, 10))
        return HCD_TIMEOUT;
    plat_delay_us(3);
    GCCFG = GCCFG_PWRDWN | GCCFG_NOVBUSSENS;
    GUSBCFG |= GUSBCFG_FHMOD;
    plat_delay_ms(50); /* forced host mode takes effect after >= 25 ms */
    if (wait_bits(&GINTSTS, GINTSTS_CMOD, GINTSTS_CMOD, 50))
        return HCD_TIMEOUT;
    PCGCCTL = 0;
    HCFG = 1; /* FSLSPCS: 48 MHz PHY clock, full speed */
    GRXFSIZ = 0x80;
    HNPTXFSIZ = (0x60u << 16) | 0x80u;
    HPTXFSIZ = (0x40u << 16) | 0xE0u;
    flush_fifos();
    HCINT = ~0u;
    GINTSTS = ~0u;
    hprt_write(HPRT_PPWR, 0);
    vbus(1);
    return HCD_OK;
}

int hcd_is_connected(void)
{
    return HPRT & HPRT_PCSTS;
}

int hcd_wait_connect(uint32_t timeout_ms)
{
    if (wait_bits(&HPRT, HPRT_PCSTS, HPRT_PCSTS, timeout_ms))
        return HCD_TIMEOUT;
    plat_delay_ms(150); /* debounce: contacts settle within 100 ms (USB 2.0 7.1.7.3) */
    return hcd_is_connected() ? HCD_OK : HCD_DISCONNECTED;
}

int hcd_port_reset(void)
{
    hprt_write(HPRT_PRST, 0);
    plat_delay_ms(50); /* TDRSTR: root port reset >= 50 ms */
    hprt_write(0, HPRT_PRST);
    if (wait_bits(&HPRT, HPRT_PENA, HPRT_PENA, 100))
        return hcd_is_connected() ? HCD_XACT_ERROR : HCD_DISCONNECTED;
    /* Low speed has no bulk endpoints, so it cannot be a mass-storage device. */
    if ((HPRT & HPRT_SPEED_MASK) != HPRT_SPEED_FULL)
        return HCD_XACT_ERROR;
    HFIR = 48000;      /* 1 ms frames at the 48 MHz PHY clock */
    plat_delay_ms(20); /* reset recovery, >= 10 ms */
    return HCD_OK;
}

void hcd_shutdown(void)
{
    vbus(0);
    hprt_write(0, HPRT_PPWR);
    GCCFG = 0;
    RCC_AHB2ENR &= ~RCC_AHB2ENR_OTGFSEN;
}

/* Pops one RX FIFO entry. IN data goes straight into the caller's buffer; bytes past its end
 * are drained and counted, so the caller sees the overrun. */
static void rx_pop(void)
{
    uint32_t status = GRXSTSP;
    uint32_t count = (status >> 4) & 0x7FF;
    if (((status >> 17) & 0xF) != PKTSTS_IN_DATA)
        return;
    xfer.got += count;
    for (uint32_t i = 0; i < count; i += 4) {
        uint32_t word = FIFO0;
        if (xfer.room >= 4) {
            memcpy(xfer.dst, &word, 4); /* one unaligned-capable STR */
            xfer.dst += 4;
            xfer.room -= 4;
        } else {
            for (; xfer.room; xfer.room--, word >>= 8)
                *xfer.dst++ = (uint8_t)word;
        }
    }
    /* A full packet with more to come: ask for the next one right away. */
    if (count == (xfer.hcchar & 0x7FF) && (HCTSIZ & HCTSIZ_PKTCNT) && !xfer.halting)
        HCCHAR = xfer.hcchar | HCCHAR_CHENA;
}

/* Disables the channel and waits for CHH, still draining the RX FIFO (IN channels report the
 * halt through it). Bounded: the CHH of a just-enabled channel can go missing. */
static void channel_halt(void)
{
    if (HCCHAR & HCCHAR_CHENA) {
        xfer.halting = 1;
        HCCHAR = xfer.hcchar | HCCHAR_CHENA | HCCHAR_CHDIS;
        uint32_t start = plat_ms();
        while (!(HCINT & HCINT_CHH) && plat_ms() - start < 3) {
            if (GINTSTS & GINTSTS_RXFLVL)
                rx_pop();
        }
        xfer.halting = 0;
    }
    HCINT = ~0u;
}

/* Writes one OUT packet into the non-periodic TX FIFO once there is room for it. */
static void tx_packet(const uint8_t *src, uint32_t len)
{
    uint32_t start = plat_ms();
    while (((HNPTXSTS & 0xFFFF) < (len + 3) / 4 || !(HNPTXSTS & 0xFF0000u)) &&
           plat_ms() - start < 2) {
    }
    for (uint32_t i = 0; i < len; i += 4) {
        uint32_t word = 0;
        for (uint32_t k = 0; k < 4 && i + k < len; k++)
            word |= (uint32_t)src[i + k] << (8 * k);
        FIFO0 = word;
    }
}

/* One channel run: an IN transfer of up to IN_PACKETS_PER_RUN packets, or one OUT packet.
 * *pid is the DATA PID to start with and receives the next one. */
static int channel_run(uint32_t hcchar, uint32_t *pid, uint8_t *buf, uint32_t len,
                       uint32_t timeout_ms)
{
    uint32_t mps = hcchar & 0x7FF;
    int in = (hcchar & HCCHAR_EPDIR) != 0;
    uint32_t packets = len ? (len + mps - 1) / mps : 1;
    uint32_t tsiz = (in ? packets * mps : len) | (packets << 19) | (*pid << 29);
    uint32_t start = plat_ms();
    uint32_t errors = 0, got_at_error = 0;
    int result;

    xfer.dst = buf;
    xfer.room = len;
    xfer.got = 0;
    xfer.hcchar = hcchar;
    HCINT = ~0u;
    HCTSIZ = tsiz;
    for (;;) {
        HCCHAR = hcchar | HCCHAR_CHENA;
        if (!in)
            tx_packet(buf, len);
        uint32_t flags;
        do {
            if (GINTSTS & GINTSTS_RXFLVL)
                rx_pop();
            flags = HCINT & (HCINT_XFRC | HCINT_STALL | HCINT_NAK | HCINT_TXERR | HCINT_BBERR |
                             HCINT_FRMOR | HCINT_DTERR);
            result = HCD_DISCONNECTED;
            if (!hcd_is_connected())
                goto done;
            result = HCD_TIMEOUT;
            if (plat_ms() - start > timeout_ms)
                goto done;
        } while (!flags);
        if (flags & HCINT_XFRC) {
            result = HCD_OK;
            if (!in)
                xfer.got = len;
            else if (xfer.got > len)
                result = HCD_XACT_ERROR; /* the device sent more than we asked for */
            goto done;
        }
        result = HCD_STALL;
        if (flags & HCINT_STALL)
            goto done;
        /* NAK or a transaction error: halt, then resume. IN continues from what HCTSIZ says
         * is left; OUT rewrites its packet (the core dropped the FIFO data). */
        channel_halt();
        if (xfer.got != got_at_error) {
            errors = 0; /* progress since the last error: only consecutive errors count */
            got_at_error = xfer.got;
        }
        result = HCD_XACT_ERROR;
        if ((flags & HCINT_BBERR) || ((flags & ~HCINT_NAK) && ++errors > 3))
            goto done;
        if (!in)
            HCTSIZ = tsiz;
    }
done:
    channel_halt();
    if (result == HCD_TIMEOUT || result == HCD_DISCONNECTED)
        flush_fifos(); /* drop whatever a dead transfer left behind */
    *pid = (HCTSIZ >> 29) & 3;
    return result;
}

/* A transfer of any length: IN in runs of up to IN_PACKETS_PER_RUN packets, OUT a packet at a
 * time. A short IN packet ends it. */
static int transfer(uint32_t hcchar, uint32_t *pid, uint8_t *buf, uint32_t len, uint32_t *actual,
                    uint32_t timeout_ms)
{
    uint32_t mps = hcchar & 0x7FF;
    uint32_t step = (hcchar & HCCHAR_EPDIR) ? IN_PACKETS_PER_RUN * mps : mps;
    uint32_t done = 0;
    int result;
    do {
        uint32_t chunk = len - done < step ? len - done : step;
        result = channel_run(hcchar, pid, buf + done, chunk, timeout_ms);
        done += xfer.got < chunk ? xfer.got : chunk;
        if (result != HCD_OK || xfer.got < chunk)
            break;
    } while (done < len);
    *actual = done;
    return result;
}

static uint32_t channel_setup(uint8_t dev_addr, uint8_t ep, uint16_t mps, uint32_t type)
{
    return mps | ((uint32_t)(ep & 0x0F) << 11) | ((ep & 0x80u) ? HCCHAR_EPDIR : 0) | type |
           HCCHAR_MC1 | ((uint32_t)dev_addr << 22);
}

int hcd_control(uint8_t dev_addr, uint8_t ep0_mps, const struct usb_setup *setup, void *data,
                uint16_t *actual)
{
    /* struct usb_setup is laid out as the 8 wire bytes on a little-endian core. */
    _Static_assert(sizeof(struct usb_setup) == 8, "SETUP packet layout");
    uint32_t hcchar = channel_setup(dev_addr, 0, ep0_mps, 0);
    uint32_t pid = PID_SETUP, moved = 0;
    int data_in = setup->bmRequestType & 0x80;
    int result = transfer(hcchar, &pid, (uint8_t *)setup, 8, &moved, CONTROL_TIMEOUT_MS);
    moved = 0;
    if (result == HCD_OK && setup->wLength) {
        pid = PID_DATA1;
        result = transfer(hcchar | (data_in ? HCCHAR_EPDIR : 0), &pid, data, setup->wLength, &moved,
                          CONTROL_TIMEOUT_MS);
    }
    *actual = (uint16_t)moved;
    if (result == HCD_OK) {
        /* Status stage: a zero-length DATA1 packet the other way. */
        pid = PID_DATA1;
        result = transfer(hcchar | (data_in ? 0 : HCCHAR_EPDIR), &pid, NULL, 0, &moved,
                          CONTROL_TIMEOUT_MS);
    }
    return result;
}

int hcd_bulk(uint8_t dev_addr, uint8_t ep, uint16_t mps, uint8_t *toggle, void *buf, uint32_t len,
             uint32_t *actual, uint32_t timeout_ms)
{
    uint32_t pid = *toggle ? PID_DATA1 : PID_DATA0;
    int result =
        transfer(channel_setup(dev_addr, ep, mps, HCCHAR_BULK), &pid, buf, len, actual, timeout_ms);
    *toggle = pid == PID_DATA1;
    return result;
}
