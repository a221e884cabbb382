/* Stand-in for the OTG_FS host core model until emu/otg.c exists: a core with no device.
 * Registers read 0 and writes are ignored; asking for a stick is an error. */
#include <stdio.h>

#include "../otg.h"

struct otg_model {
    int unused;
};

static struct otg_model the_model;

struct otg_model *otg_create(const char *disk_path, const char *profile_path, char *err,
                             size_t err_len)
{
    if (disk_path || profile_path) {
        snprintf(err, err_len, "this stickemu was built without the USB stick model");
        return NULL;
    }
    return &the_model;
}

void otg_destroy(struct otg_model *m)
{
    (void)m;
}

void otg_power_on(struct otg_model *m, uint64_t now_ns)
{
    (void)m;
    (void)now_ns;
}

void otg_core_reset(struct otg_model *m, uint64_t now_ns)
{
    (void)m;
    (void)now_ns;
}

void otg_set_vbus(struct otg_model *m, int on, uint64_t now_ns)
{
    (void)m;
    (void)on;
    (void)now_ns;
}

void otg_set_plugged(struct otg_model *m, int plugged, uint64_t now_ns)
{
    (void)m;
    (void)plugged;
    (void)now_ns;
}

void otg_set_clocked(struct otg_model *m, int clocked)
{
    (void)m;
    (void)clocked;
}

uint32_t otg_read(struct otg_model *m, uint32_t offset, unsigned size, uint64_t now_ns)
{
    (void)m;
    (void)offset;
    (void)size;
    (void)now_ns;
    return 0;
}

void otg_write(struct otg_model *m, uint32_t offset, uint32_t value, unsigned size, uint64_t now_ns)
{
    (void)m;
    (void)offset;
    (void)value;
    (void)size;
    (void)now_ns;
}

void otg_advance(struct otg_model *m, uint64_t now_ns)
{
    (void)m;
    (void)now_ns;
}

uint64_t otg_next_event_ns(const struct otg_model *m)
{
    (void)m;
    return UINT64_MAX;
}

void otg_set_trace(struct otg_model *m, unsigned flags)
{
    (void)m;
    (void)flags;
}

void otg_get_stats(const struct otg_model *m, struct otg_stats *out)
{
    (void)m;
    *out = (struct otg_stats){0};
}
