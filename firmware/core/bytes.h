/* Little- and big-endian fields in byte buffers (BPBs, CBWs/CSWs, trailers), at any
 * alignment. On little-endian machines (the target, and every host we build on) a field is
 * one unaligned load or store; shifts keep the code correct elsewhere. */
#ifndef CORE_BYTES_H
#define CORE_BYTES_H

#include <stdint.h>

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline uint32_t get_le16(const uint8_t *p)
{
    uint16_t v;
    __builtin_memcpy(&v, p, 2); /* inlined even with -ffreestanding */
    return v;
}

static inline uint32_t get_le32(const uint8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
    __builtin_memcpy(p, &v, 4);
}
#else
static inline uint32_t get_le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
#endif

static inline uint32_t get_be32(const uint8_t *p)
{
    return __builtin_bswap32(get_le32(p));
}

#endif
