/* GPIO ports A-I (RM0090 section 8) and what the board wires to them (emu/boards.c): LEDs, the
 * user button and the VBUS switch. */
#include <string.h>

#include "log.h"
#include "machine.h"

/* RM0090 8.4: reset values; GPIOA and GPIOB start with the debug pins configured. */
static void gpio_port_reset(struct machine *m, int port)
{
    struct gpio_port zero = {0};
    struct gpio_port *g = &m->gpio[port];
    *g = zero;
    if (port == 0) {
        g->moder = 0xA8000000u;
        g->ospeedr = 0x0C000000u;
        g->pupdr = 0x64000000u;
    } else if (port == 1) {
        g->moder = 0x00000280u;
        g->ospeedr = 0x000000C0u;
        g->pupdr = 0x00000100u;
    }
}

void gpio_reset(struct machine *m)
{
    for (int port = 0; port < 9; port++)
        gpio_port_reset(m, port);
    gpio_update_outputs(m);
}

static unsigned pin_mode(const struct gpio_port *g, int pin)
{
    return (g->moder >> (2 * pin)) & 3u;
}

/* 1 if the pin drives high, 0 if it drives low, -1 if it does not drive. */
static int pin_drive(const struct machine *m, int port, int pin)
{
    const struct gpio_port *g = &m->gpio[port];
    if (pin_mode(g, pin) != 1)
        return -1;
    int high = (g->odr >> pin) & 1u;
    int open_drain = (g->otyper >> pin) & 1u;
    if (high && open_drain)
        return -1;
    return high;
}

static int button_level(const struct machine *m, int port, int pin, int *driven)
{
    const struct board *b = m->board;
    *driven = 0;
    if (b->button.port == port && b->button.pin == pin) {
        if (m->button_pressed) {
            *driven = 1;
            return b->button_active_high;
        }
        /* Released: the board's resistor holds the released level, unless there is none. */
        *driven = !b->button_floating;
        return !b->button_active_high;
    }
    return 0;
}

uint32_t gpio_idr(const struct machine *m, int port)
{
    const struct gpio_port *g = &m->gpio[port];
    uint32_t v = 0;
    for (int pin = 0; pin < 16; pin++) {
        unsigned mode = pin_mode(g, pin);
        int level;
        if (mode == 3)
            continue; /* analog: the Schmitt trigger is off, reads 0 */
        int drive = pin_drive(m, port, pin);
        int external_driven;
        int external = button_level(m, port, pin, &external_driven);
        if (drive >= 0)
            level = drive;
        else if (external_driven)
            level = external;
        else {
            unsigned pupd = (g->pupdr >> (2 * pin)) & 3u;
            level = pupd == 1; /* pull-up 1; pull-down or floating: 0 */
        }
        v |= (uint32_t)level << pin;
    }
    return v;
}

void gpio_update_outputs(struct machine *m)
{
    const struct board *b = m->board;
    uint64_t now = machine_now_ns(m);
    unsigned leds = 0;
    for (int i = 0; i < 4; i++)
        if (b->led[i].port >= 0 &&
            pin_drive(m, b->led[i].port, b->led[i].pin) == (b->led_active_low ? 0 : 1))
            leds |= 1u << i;
    for (int i = 0; i < 4; i++) {
        if (((leds ^ m->led_state) >> i) & 1u)
            emu_log(now, "LED %s %s", b->led_name[i], (leds >> i) & 1u ? "on" : "off");
    }
    m->led_state = leds;
    unsigned vbus = 1; /* no switch: VBUS is the board's 5 V rail, on with the power */
    if (b->vbus.port >= 0) {
        int drive = pin_drive(m, b->vbus.port, b->vbus.pin);
        vbus = b->vbus_active_low ? drive == 0 : drive == 1;
    }
    if (vbus != m->vbus_state) {
        m->vbus_state = vbus;
        emu_log(now, "VBUS %s", vbus ? "on" : "off");
        otg_set_vbus(m->otg, (int)vbus, now);
    }
}

uint32_t gpio_read(struct machine *m, int port, uint32_t off)
{
    const struct gpio_port *g = &m->gpio[port];
    switch (off) {
    case 0x00:
        return g->moder;
    case 0x04:
        return g->otyper;
    case 0x08:
        return g->ospeedr;
    case 0x0C:
        return g->pupdr;
    case 0x10:
        return gpio_idr(m, port);
    case 0x14:
        return g->odr;
    case 0x18:
        return 0; /* BSRR is write-only */
    case 0x1C:
        return g->lckr;
    case 0x20:
        return g->afrl;
    case 0x24:
        return g->afrh;
    default:
        return 0;
    }
}

void gpio_write(struct machine *m, int port, uint32_t off, uint32_t v)
{
    struct gpio_port *g = &m->gpio[port];
    switch (off) {
    case 0x00:
        g->moder = v;
        break;
    case 0x04:
        g->otyper = v & 0xFFFFu;
        break;
    case 0x08:
        g->ospeedr = v;
        break;
    case 0x0C:
        g->pupdr = v;
        break;
    case 0x14:
        g->odr = v & 0xFFFFu;
        break;
    case 0x18: /* set wins over reset */
        g->odr = (g->odr & ~(v >> 16)) | (v & 0xFFFFu);
        break;
    case 0x1C:
        g->lckr = v & 0x1FFFFu;
        break;
    case 0x20:
        g->afrl = v;
        break;
    case 0x24:
        g->afrh = v;
        break;
    default:
        return;
    }
    if (m->trace & TRACE_GPIO)
        emu_log(machine_now_ns(m), "gpio: GPIO%c+0x%02x = 0x%08x", 'A' + port, off, v);
    gpio_update_outputs(m);
    bus_pins_changed(m);
}

static int gpio_op_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                        uint32_t *value)
{
    (void)size;
    *value = gpio_read(m, p->unit, off);
    return 0;
}

static int gpio_op_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                         uint32_t value)
{
    (void)size;
    gpio_write(m, p->unit, off, value);
    return 0;
}

static void gpio_op_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    gpio_port_reset(m, p->unit);
    /* A chip reset resets every port: the board sees the pins once, after the chip's last one
     * (GPIOI on the F407, GPIOH on the F411). */
    const struct chip *c = m->board->chip;
    int last = p + 1 == c->periphs + c->nperiphs || p[1].ops != &gpio_ops;
    if (kind == PERIPH_RCC || last) {
        gpio_update_outputs(m);
        bus_pins_changed(m);
    }
}

static unsigned gpio_reg_flags(const struct periph *p, uint32_t off)
{
    (void)p;
    return off == 0x18 ? REG_NO_MERGE : 0; /* BSRR is write-only */
}

const struct periph_ops gpio_ops = {
    .read = gpio_op_read,
    .write = gpio_op_write,
    .reset = gpio_op_reset,
    .reg_flags = gpio_reg_flags,
};
