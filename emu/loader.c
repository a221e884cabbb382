/* --load: raw binaries at an address, ELF32 program headers and Intel HEX records, written
 * into flash the way a programmer does it (erase the touched sectors, then write). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

struct staging {
    struct flash_model *f;
    uint8_t *data;
    uint8_t *written;
    char *err;
    size_t err_len;
};

static int put(struct staging *s, uint32_t addr, const uint8_t *bytes, size_t n)
{
    uint32_t off;
    if (addr >= FLASH_BASE && addr - FLASH_BASE < s->f->size)
        off = addr - FLASH_BASE;
    else if (addr < s->f->size)
        off = addr; /* boot alias */
    else {
        snprintf(s->err, s->err_len, "data at 0x%08x is outside the %u KB flash", addr,
                 s->f->size / 1024);
        return -1;
    }
    if (n > s->f->size - off) {
        snprintf(s->err, s->err_len, "data at 0x%08x (%zu bytes) runs past the end of flash", addr,
                 n);
        return -1;
    }
    memcpy(s->data + off, bytes, n);
    memset(s->written + off, 1, n);
    return 0;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static int load_elf(struct staging *s, const uint8_t *buf, size_t len)
{
    if (len < 52 || buf[4] != 1 || buf[5] != 1) {
        snprintf(s->err, s->err_len, "not a little-endian ELF32 file");
        return -1;
    }
    if (le16(buf + 18) != 40) {
        snprintf(s->err, s->err_len, "ELF file is not for ARM");
        return -1;
    }
    uint32_t phoff = le32(buf + 28);
    uint16_t phentsize = le16(buf + 42), phnum = le16(buf + 44);
    if (phentsize < 32 || phoff > len || (uint64_t)phnum * phentsize > len - phoff) {
        snprintf(s->err, s->err_len, "bad ELF program header table");
        return -1;
    }
    int loaded = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = buf + phoff + (size_t)i * phentsize;
        uint32_t type = le32(ph), offset = le32(ph + 4), paddr = le32(ph + 12);
        uint32_t filesz = le32(ph + 16);
        if (type != 1 || filesz == 0)
            continue;
        if (offset > len || filesz > len - offset) {
            snprintf(s->err, s->err_len, "ELF segment %u outside the file", i);
            return -1;
        }
        if (put(s, paddr, buf + offset, filesz) != 0)
            return -1;
        loaded++;
    }
    if (!loaded) {
        snprintf(s->err, s->err_len, "ELF file has no loadable segment");
        return -1;
    }
    return 0;
}

static int hex_byte(const char *p, uint8_t *out)
{
    unsigned v = 0;
    for (int i = 0; i < 2; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = (uint8_t)v;
    return 0;
}

static int load_hex(struct staging *s, const char *text, size_t len)
{
    uint32_t base = 0;
    size_t pos = 0;
    unsigned line = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        line++;
        size_t n = end - pos;
        while (n > 0 && (text[pos + n - 1] == '\r' || text[pos + n - 1] == ' '))
            n--;
        const char *p = text + pos;
        pos = end + 1;
        if (n == 0)
            continue;
        uint8_t rec[260];
        if (p[0] != ':' || n < 11 || (n - 1) % 2 || (n - 1) / 2 > sizeof rec) {
            snprintf(s->err, s->err_len, "Intel HEX line %u: malformed", line);
            return -1;
        }
        size_t count = (n - 1) / 2;
        uint8_t sum = 0;
        for (size_t i = 0; i < count; i++) {
            if (hex_byte(p + 1 + 2 * i, &rec[i]) != 0) {
                snprintf(s->err, s->err_len, "Intel HEX line %u: bad digit", line);
                return -1;
            }
            sum = (uint8_t)(sum + rec[i]);
        }
        if (sum != 0 || rec[0] + 5u != count) {
            snprintf(s->err, s->err_len, "Intel HEX line %u: bad length or checksum", line);
            return -1;
        }
        uint32_t addr = (uint32_t)rec[1] << 8 | rec[2];
        switch (rec[3]) {
        case 0:
            if (put(s, base + addr, rec + 4, rec[0]) != 0)
                return -1;
            break;
        case 1:
            return 0;
        case 2:
            base = ((uint32_t)rec[4] << 8 | rec[5]) << 4;
            break;
        case 4:
            base = ((uint32_t)rec[4] << 8 | rec[5]) << 16;
            break;
        case 3:
        case 5:
            break;
        default:
            snprintf(s->err, s->err_len, "Intel HEX line %u: record type %u", line, rec[3]);
            return -1;
        }
    }
    snprintf(s->err, s->err_len, "Intel HEX file without an end-of-file record");
    return -1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

uint8_t *read_stream(FILE *fp, size_t max, size_t *len)
{
    size_t cap = 4096, n = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *bigger = cap < max ? realloc(buf, cap * 2) : NULL;
            if (!bigger) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    *len = n;
    return buf;
}

int load_file(struct flash_model *f, const char *path, int has_addr, uint32_t addr, char *err,
              size_t err_len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, err_len, "%s: cannot open", path);
        return -1;
    }
    size_t len = 0;
    uint8_t *buf = read_stream(fp, 64u << 20, &len);
    fclose(fp);
    struct staging s = {f, malloc(f->size), calloc(f->size, 1), err, err_len};
    int rc = -1;
    if (!buf || !s.data || !s.written) {
        snprintf(err, err_len, "%s: too big or out of memory", path);
    } else if (len >= 4 && memcmp(buf,
                                  "\x7f"
                                  "ELF",
                                  4) == 0) {
        rc = load_elf(&s, buf, len);
    } else if (ends_with(path, ".hex") || ends_with(path, ".ihex") ||
               (len > 0 && buf[0] == ':' && !has_addr)) {
        rc = load_hex(&s, (const char *)buf, len);
    } else if (!has_addr) {
        snprintf(err, err_len, "%s: a raw binary needs an address (--load ADDR FILE)", path);
    } else if (len == 0) {
        snprintf(err, err_len, "%s: empty file", path);
    } else {
        rc = put(&s, addr, buf, len);
    }
    if (rc != 0 && err[0] && strncmp(err, path, strlen(path)) != 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s: %s", path, err);
        snprintf(err, err_len, "%s", msg);
    }
    if (rc == 0) {
        for (int sec = 0; sec < f->nsectors; sec++) {
            uint32_t lo = f->sector_off[sec], hi = f->sector_off[sec + 1];
            if (!memchr(s.written + lo, 1, hi - lo))
                continue;
            memset(f->mem + lo, 0xFF, hi - lo);
            /* A real programmer must lift nWRP first (docs/self-protection.md); the harness
             * writes anyway and says so. The option bytes stay as they are. */
            if (sec < 12 && !((f->opt_nwrp >> sec) & 1u)) /* bank 2: OPTCR1, not modeled */
                fprintf(stderr,
                        "stickemu: note: --load into write-protected sector %d (nWRP%d = 0): "
                        "written as after removing the protection; the option bytes keep it\n",
                        sec, sec);
        }
        for (uint32_t i = 0; i < f->size; i++)
            if (s.written[i])
                f->mem[i] = s.data[i];
    }
    free(buf);
    free(s.data);
    free(s.written);
    return rc;
}
