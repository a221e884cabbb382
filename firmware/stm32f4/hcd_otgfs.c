/* usb/hcd.h on the STM32F4 OTG_FS core (RM0090 ch. 34), or on the OTG_HS core with its
 * embedded full-speed PHY (ch. 35) when the board header sets BOARD_USB_OTG_HS: one driver, the
 * cores differ here only in base address, RCC enable, pins and PHY selection (docs/porting.md).
 * Host mode, slave (FIFO) mode, polled.
 * Every transfer runs on host channel 0, reprogrammed per stage: the bootloader talks to one
 * device, one transfer at a time. Register facts: RM0090 34.16-34.17, with Linux dwc2 and ST's
 * HAL for what the manual leaves out (docs/emulator-otg.md lists them).
 *
 * IN transfers program PKTCNT for up to 512 packets and re-enable the channel after each full
 * packet is popped, so a READ(10) streams without a software round trip per packet; received
 * words go straight into the caller's buffer. OUT transfers move one packet per channel run:
 * the core drops FIFO data on a NAK or error, so a retry simply rewrites the packet (and the
 * only OUT data we send are SETUPs and 31-byte CBWs). The data toggle comes back from HCTSIZ.
 * An OUT/SETUP channel that completed is already disabled by the core (no halt, no CHH); an IN
 * channel, or an OUT one that ended otherwise, is halted. NAK: halt, then re-enable until the
 * per-call timeout. TXERR/DTERR/FRMOR, or a CHH we did not ask for: up to 3 retries without
 * progress. STALL and babble end the transfer. A halt that never completes restarts the core.
 * Every wait is bounded by plat_ms(). */
#include <string.h>

#include "board.h"
#include "clock.h"
#include "hcd.h"
#include "platform.h"
#include "ramfunc.h"
#include "regs.h"

/* The core behind the board's host port: base, clock enable, DM/DP pins (DP = DM + 1) and
 * their alternate function (RM0090 2.3 table 1, 7.3.10-7.3.11; DS8626/DS9405 table 9/12). */
#if BOARD_USB_OTG_HS
#define OTG_BASE   OTG_HS_BASE
#define OTG_ENR    RCC_AHB1ENR
#define OTG_EN     RCC_AHB1ENR_OTGHSEN
#define OTG_PORT   1u /* PB14 DM, PB15 DP */
#define OTG_DM     14u
#define OTG_PIN_AF 12u /* OTG_HS_FS */
#else
#define OTG_BASE   OTG_FS_BASE
#define OTG_ENR    RCC_AHB2ENR
#define OTG_EN     RCC_AHB2ENR_OTGFSEN
#define OTG_PORT   0u /* PA11 DM, PA12 DP */
#define OTG_DM     11u
#define OTG_PIN_AF 10u
#endif
#define OTG_PINS_2B (0xFu << (2u * OTG_DM))         /* two 2-bit fields: MODER, OSPEEDR */
#define OTG_PINS_4B (0xFFu << (4u * (OTG_DM - 8u))) /* two 4-bit fields: AFRH */
#if BOARD_VBUS_SWITCH
#define VBUS_PORT_BIT (1u << BOARD_VBUS_PORT)
#else
#define VBUS_PORT_BIT 0u
#endif
#define OTG(offset) REG32(OTG_BASE + (offset))
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
#define GRSTCTL_RXFFLSH   (1u << 4)
#define GRSTCTL_TXFFLSH   (1u << 5)
#define GRSTCTL_TXF_ALL   (0x10u << 6) /* TXFNUM: every TX FIFO */
#define GRSTCTL_AHBIDL    (1u << 31)
#define GINTSTS_CMOD      (1u << 0)
#define GINTSTS_SOF       (1u << 3)
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
#define HNPTXSTS_NPTQXSAV (0xFFu << 16)
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

/* Every channel event that ends a wait. */
#define HCINT_EVENTS                                                                               \
    (HCINT_XFRC | HCINT_CHH | HCINT_STALL | HCINT_NAK | HCINT_TXERR | HCINT_BBERR | HCINT_FRMOR |  \
     HCINT_DTERR)

#define IN_PACKETS_PER_RUN 512u /* 32 KB: a 64-sector READ(10) in one run (PKTCNT is 10 bits) */
/* After this many NAKs in a row (about 3 ms at full speed) the device is asked once per frame,
 * as an EHCI controller throttles a NAKing endpoint (EHCI 1.0 4.9, NAK count reload): short
 * waits keep full speed, long ones stop costing a CPU that re-arms the channel per NAK. */
#define NAK_FAST 400u

/* State of the transfer in progress, shared by the RX FIFO reader and the halt wait. */
static struct {
    uint8_t *dst;    /* next byte of the caller's buffer */
    uint32_t room;   /* bytes still free there */
    uint32_t got;    /* bytes the device sent */
    uint32_t hcchar; /* channel setup without CHENA */
    uint8_t halting;
} xfer;

/* Waits until (reg & mask) == want; 0 on success, 1 on timeout (after ms + 1 ms). The inner
 * loop reads only SYST_CSR and the register, so an emulator can skip it exactly. */
static int wait_bits(volatile uint32_t *reg, uint32_t mask, uint32_t want, uint32_t ms)
{
    uint32_t tick, diff;
    systick_ms_start();
    do {
        do {
            tick = SYST_CSR & SYST_CSR_COUNTFLAG;
            diff = (*reg & mask) ^ want;
        } while (((tick << 15) | ((diff - 1u) & ~diff)) >> 31 == 0);
    } while (diff && ms--);
    SYST_CSR = 0;
    return diff != 0;
}

static void hprt_write(uint32_t set, uint32_t clear)
{
    HPRT = (HPRT & ~(HPRT_W1C | clear)) | set;
}

/* Boards without a switch (BOARD_VBUS_SWITCH 0) feed VBUS from their 5 V rail. */
static void vbus(int on)
{
#if BOARD_VBUS_SWITCH
    int high = on ^ BOARD_VBUS_ACTIVE_LOW;
    GPIO_BSRR(BOARD_VBUS_PORT) = 1u << (BOARD_VBUS_PIN + (high ? 0 : 16));
#else
    (void)on;
#endif
}

/* Once the AHB side is idle, TX then RX, waiting only for each flush bit: TXFNUM keeps what
 * was written (ST's HAL USB_FlushTxFifo/USB_FlushRxFifo, Linux dwc2_flush_tx_fifo). */
static void flush_fifos(void)
{
    wait_bits(&GRSTCTL, GRSTCTL_AHBIDL, GRSTCTL_AHBIDL, 2);
    GRSTCTL = GRSTCTL_TXFFLSH | GRSTCTL_TXF_ALL;
    wait_bits(&GRSTCTL, GRSTCTL_TXFFLSH, 0, 2);
    GRSTCTL = GRSTCTL_RXFFLSH;
    wait_bits(&GRSTCTL, GRSTCTL_RXFFLSH, 0, 2);
}

/* Core soft reset and host set-up up to port power (RM0090 34.17.1 and 34.17.2). */
static int core_start(void)
{
    GAHBCFG = 0;
#if BOARD_USB_OTG_HS && !defined(STICKBOOT_TEST_PHYSEL_AFTER_RESET) /* emulator test hook */
    /* The HS core resets to the ULPI PHY: select the embedded full-speed PHY first, the soft
     * reset below then starts the core on it (RM0090 35.12.2 OTG_HS_GUSBCFG.PHYSEL; ST's HAL
     * USB_CoreInit and Linux dwc2_fs_phy_init select, then reset). On OTG_FS PHYSEL is
     * read-only 1. */
    GUSBCFG |= GUSBCFG_PHYSEL;
#endif
    if (wait_bits(&GRSTCTL, GRSTCTL_AHBIDL, GRSTCTL_AHBIDL, 10))
        return HCD_TIMEOUT;
    GRSTCTL = GRSTCTL_CSRST;
    if (wait_bits(&GRSTCTL, GRSTCTL_CSRST, 0, 10))
        return HCD_TIMEOUT;
    plat_delay_us(3);
#ifdef BOARD_OTG_GCCFG_VBDEN
    /* F446 (RM0390): bit 21 is VBDEN and enables VBUS sensing; a host leaves it clear. */
    GCCFG = GCCFG_PWRDWN;
#else
    GCCFG = GCCFG_PWRDWN | GCCFG_NOVBUSSENS; /* F405/407: bit 21 disables VBUS sensing */
#endif
    GUSBCFG |= GUSBCFG_PHYSEL | GUSBCFG_FHMOD; /* full-speed transceiver, forced host */
    plat_delay_ms(50);                         /* forced host mode takes effect after >= 25 ms */
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
    return HCD_OK;
}

int hcd_init(void)
{
    RCC_AHB1ENR |= (1u << OTG_PORT) | VBUS_PORT_BIT;
    (void)RCC_AHB1ENR;
    vbus(0);
    /* HSI is +-1 % at 25 C (DS8626) against USB's +-0.25 % (USB 2.0 7.1.11): without the
     * crystal, no USB (docs/troubleshooting.md, error 13). */
    if (!(RCC_PLLCFGR & RCC_PLLCFGR_SRC_HSE))
        return HCD_NO_CLOCK;
#if BOARD_VBUS_SWITCH
    GPIO_MODER(BOARD_VBUS_PORT) = (GPIO_MODER(BOARD_VBUS_PORT) & ~(3u << (2 * BOARD_VBUS_PIN))) |
                                  (1u << (2 * BOARD_VBUS_PIN));
#endif
    /* DM, DP: alternate function, very high speed. */
    GPIO_MODER(OTG_PORT) = (GPIO_MODER(OTG_PORT) & ~OTG_PINS_2B) | (0xAu << (2u * OTG_DM));
    GPIO_OSPEEDR(OTG_PORT) |= OTG_PINS_2B;
    GPIO_AFRH(OTG_PORT) =
        (GPIO_AFRH(OTG_PORT) & ~OTG_PINS_4B) | (OTG_PIN_AF * 0x11u << (4u * (OTG_DM - 8u)));
#if BOARD_USB_OTG_HS
    /* With the embedded PHY the ULPI clock must stay off in Sleep mode (RM0090 RCC_AHB1LPENR
     * OTGHSULPILPEN, reset value 1; docs/porting.md "OTG_HS"). */
    RCC_AHB1LPENR &= ~RCC_AHB1LPENR_OTGHSULPILPEN;
#endif
    OTG_ENR |= OTG_EN;
    (void)OTG_ENR;
    int result = core_start();
    if (result == HCD_OK)
        vbus(1);
    return result;
}

/* A channel whose halt never completed may still own the bus: start the core again instead of
 * reusing it. VBUS stays on, so the device sees a port reset and answers at address 0. */
static void core_restart(void)
{
    if (core_start() == HCD_OK && !wait_bits(&HPRT, HPRT_PCSTS, HPRT_PCSTS, 200))
        hcd_port_reset();
}

RAMFUNC int hcd_is_connected(void)
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
    OTG_ENR &= ~OTG_EN;
}

/* Pops one RX FIFO entry. IN data goes straight into the caller's buffer; bytes past its end
 * are drained and counted, so the caller sees the overrun. */
RAMFUNC static void rx_pop(void)
{
    uint32_t status = GRXSTSP;
    uint32_t left = (status >> 4) & 0x7FF;
    if (((status >> 17) & 0xF) != PKTSTS_IN_DATA)
        return;
    /* A full packet with more to come: ask for the next one (RM0090: one IN request per CHENA
     * write) before draining this one, so its IN token goes out while we copy; the 128-word RX
     * FIFO holds both packets. PKTCNT no longer counts this packet once its status is popped
     * (TinyUSB's slave-mode host re-arms on the ACK that this pop raises, from PKTCNT too). */
    if (left == (xfer.hcchar & 0x7FF) && (HCTSIZ & HCTSIZ_PKTCNT) && !xfer.halting)
        HCCHAR = xfer.hcchar | HCCHAR_CHENA;
    xfer.got += left;
    while (left) {
        uint32_t word = FIFO0;
        uint32_t n = left < 4 ? left : 4;
        left -= n;
        if (n > xfer.room)
            n = xfer.room; /* drained but not kept: the caller sees got > room */
        memcpy(xfer.dst, &word, n);
        xfer.dst += n;
        xfer.room -= n;
    }
}

/* Disables the channel if it is still enabled and waits for CHH, draining the RX FIFO (IN
 * channels report the halt through it). A completed OUT/SETUP channel reads CHENA = 0: the
 * core disabled it (Linux dwc2, slave mode) and sends no CHH. The disable request needs a free
 * request-queue slot (RM0090 34.17.4 "Halting a channel"), which an IN request frees once its
 * packet fits the RX FIFO. 1 when CHH did not come in time. */
RAMFUNC static int channel_halt(void)
{
    if (!(HCCHAR & HCCHAR_CHENA))
        return 0;
    xfer.halting = 1;
    uint32_t start = plat_ms(), requested = 0;
    int stuck = 0;
#ifdef STICKBOOT_TEST_LOSE_HALT /* emulator test of the restart: the Nth halt never comes */
    static unsigned halts;
    requested = ++halts == STICKBOOT_TEST_LOSE_HALT;
#endif
    while (!(HCINT & HCINT_CHH)) {
        if (plat_ms() - start >= 3) {
            stuck = 1;
            break;
        }
        if (!requested && (HNPTXSTS & HNPTXSTS_NPTQXSAV)) {
            HCCHAR = xfer.hcchar | HCCHAR_CHENA | HCCHAR_CHDIS;
            requested = 1;
        }
        if (GINTSTS & GINTSTS_RXFLVL)
            rx_pop();
    }
    xfer.halting = 0;
    return stuck;
}

/* Writes one OUT packet (at most 64 bytes) into the non-periodic TX FIFO. No space check:
 * one packet at a time, started only after the previous one completed or was halted (which
 * empties the 96-word FIFO and the request queue). */
RAMFUNC static void tx_packet(const uint8_t *src, uint32_t len)
{
    for (uint32_t i = 0; i < len; i += 4) {
        uint32_t word = 0;
        memcpy(&word, src + i, len - i < 4 ? len - i : 4);
        FIFO0 = word;
    }
}

/* Software events next to the HCINT bits. */
#define EVENT_GONE    (1u << 16)
#define EVENT_TIMEOUT (1u << 17)

/* A transfer of any length on channel 0, in runs: IN runs of up to IN_PACKETS_PER_RUN
 * packets (the core re-armed after every full packet), OUT runs of one packet. A NAK or an
 * error halts the channel; the next run starts from what the device accepted, with the DATA
 * PID the core reports in HCTSIZ (an OUT packet is simply written again). A short IN packet
 * ends the transfer. */
RAMFUNC static int transfer(uint32_t hcchar, uint32_t *pid, uint8_t *buf, uint32_t len,
                            uint32_t *actual, uint32_t timeout_ms)
{
    uint32_t start = plat_ms(); /* the timeout bounds this stage */
    uint32_t mps = hcchar & 0x7FF;
    uint32_t in = hcchar & HCCHAR_EPDIR;
    uint32_t done = 0, errors = 0, naks = 0;
    int result;
    for (;;) {
        /* A channel armed on an empty port may never halt (docs/emulator-otg.md), and a stuck
         * halt costs a core restart: look before each run, after the NAK throttle's wait too. */
        result = HCD_DISCONNECTED;
        if (!hcd_is_connected())
            break;
        uint32_t run = len - done;
        uint32_t most = in ? IN_PACKETS_PER_RUN * mps : mps;
        if (run > most)
            run = most;
        uint32_t packets = run ? (run + mps - 1) / mps : 1;
        xfer.dst = buf + done;
        xfer.room = run;
        xfer.got = 0;
        xfer.hcchar = hcchar;
        HCINT = ~0u;
        HCTSIZ = (in ? packets * mps : run) | (packets << 19) | (*pid << 29);
        HCCHAR = hcchar | HCCHAR_CHENA;
        if (!in)
            tx_packet(buf + done, run);
        uint32_t events;
        systick_ms_start();
        do {
            /* One loop block reading two registers and the 1 ms flag: idle until the core
             * reports something or a millisecond passes (an emulator skips it exactly). A
             * disconnect is seen at the next tick at the latest. */
            uint32_t tick, pending;
            do {
                tick = SYST_CSR & SYST_CSR_COUNTFLAG;
                pending = (GINTSTS & GINTSTS_RXFLVL) | (HCINT & HCINT_EVENTS);
            } while (!(tick | pending));
            if (GINTSTS & GINTSTS_RXFLVL)
                rx_pop();
            /* CHH here was not asked for (the core stopped the channel): an error. */
            events = HCINT & HCINT_EVENTS;
            if (!hcd_is_connected())
                events = EVENT_GONE;
            else if (plat_ms() - start >= timeout_ms)
                events |= EVENT_TIMEOUT;
        } while (!events);
        if (channel_halt()) {
            core_restart();
            result = HCD_XACT_ERROR;
            break;
        }
        *pid = (HCTSIZ >> 29) & 3;
        uint32_t got = in ? xfer.got : (events & HCINT_XFRC) ? run : 0;
        done += got < run ? got : run;
        if (got || events == HCINT_NAK)
            errors = 0; /* a NAK or data: the bus works, only errors in a row count */
        if (got)
            naks = 0;
        else if (events == HCINT_NAK && ++naks > NAK_FAST) {
            GINTSTS = GINTSTS_SOF; /* rc_w1: wait for the next start of frame */
            wait_bits(&GINTSTS, GINTSTS_SOF, GINTSTS_SOF, 1);
        }
        result = HCD_OK;
        if (events & HCINT_XFRC) {
            if (got > run)
                result = HCD_XACT_ERROR; /* the device sent more than we asked for */
            else if (done < len && got == run)
                continue;
            break;
        }
        result = HCD_STALL;
        if (events & HCINT_STALL)
            break;
        result = HCD_DISCONNECTED;
        if (events & EVENT_GONE)
            break;
        result = HCD_TIMEOUT;
        if (events & EVENT_TIMEOUT)
            break;
        result = HCD_XACT_ERROR;
        if ((events & HCINT_BBERR) || ((events & ~HCINT_NAK) && ++errors > 3))
            break;
    }
    if (result == HCD_TIMEOUT || result == HCD_DISCONNECTED)
        flush_fifos(); /* drop whatever a dead transfer left behind */
    *actual = done;
    return result;
}

RAMFUNC static uint32_t channel_setup(uint8_t dev_addr, uint8_t ep, uint16_t mps, uint32_t type)
{
    return mps | ((uint32_t)(ep & 0x0F) << 11) | ((ep & 0x80u) ? HCCHAR_EPDIR : 0) | type |
           HCCHAR_MC1 | ((uint32_t)dev_addr << 22);
}

int hcd_control(uint8_t dev_addr, uint8_t ep0_mps, const struct usb_setup *setup, void *data,
                uint16_t *actual, uint32_t timeout_ms)
{
    /* struct usb_setup is laid out as the 8 wire bytes on a little-endian core. */
    _Static_assert(sizeof(struct usb_setup) == 8, "SETUP packet layout");
    uint32_t hcchar = channel_setup(dev_addr, 0, ep0_mps, 0);
    uint32_t pid = PID_SETUP, moved = 0;
    int data_in = setup->bmRequestType & 0x80;
    /* Each stage gets timeout_ms of its own (USB 2.0 9.2.6.4 times the stages apart). */
    int result = transfer(hcchar, &pid, (uint8_t *)setup, 8, &moved, timeout_ms);
    moved = 0;
    if (result == HCD_OK && setup->wLength) {
        pid = PID_DATA1;
        result = transfer(hcchar | (data_in ? HCCHAR_EPDIR : 0), &pid, data, setup->wLength, &moved,
                          timeout_ms);
    }
    *actual = (uint16_t)moved;
    if (result == HCD_OK) {
        /* Status stage: a zero-length DATA1 packet the other way. */
        pid = PID_DATA1;
        result = transfer(hcchar | (data_in ? 0 : HCCHAR_EPDIR), &pid, NULL, 0, &moved, timeout_ms);
    }
    return result;
}

RAMFUNC int hcd_bulk(uint8_t dev_addr, uint8_t ep, uint16_t mps, uint8_t *toggle, void *buf,
                     uint32_t len, uint32_t *actual, uint32_t timeout_ms)
{
    uint32_t pid = *toggle ? PID_DATA1 : PID_DATA0;
    int result =
        transfer(channel_setup(dev_addr, ep, mps, HCCHAR_BULK), &pid, buf, len, actual, timeout_ms);
    *toggle = pid == PID_DATA1;
    return result;
}
