/* Errors, numbers, files and the STM32 CRC for stickimg. */
#include "stickimg.h"

#include "crc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <windows.h>
/* rename() on Windows fails when the target exists; MoveFileEx replaces it. */
static int replace_file(const char *from, const char *to)
{
    if (MoveFileExA(from, to, MOVEFILE_REPLACE_EXISTING))
        return 0;
    errno = GetLastError() == ERROR_ACCESS_DENIED ? EACCES : EIO;
    return -1;
}
/* Output to "-" is the file's bytes: no LF -> CRLF translation on stdout. */
static void stdout_binary(void)
{
    fflush(stdout);
    _setmode(_fileno(stdout), _O_BINARY);
}
#else
#define replace_file rename
static void stdout_binary(void)
{
}
#endif

static char error_text[512];

int set_error(const char *fmt, ...)
{
    /* Through a copy: callers often prefix the previous error ("%s: %s", path, last_error()). */
    char text[sizeof error_text];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    memcpy(error_text, text, sizeof text);
    return -1;
}

const char *last_error(void)
{
    return error_text;
}

void warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("stickimg: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int report_failure(const char *what)
{
    if (what)
        fprintf(stderr, "stickimg: %s: %s\n", what, error_text);
    else
        fprintf(stderr, "stickimg: %s\n", error_text);
    return EXIT_FAILED;
}

int parse_u32(const char *text, const char *what, uint32_t *out)
{
    char *end;
    errno = 0;
    if (!text || !*text || *text == '-')
        return set_error("%s: expected a number, got '%s'", what, text ? text : "");
    unsigned long long v = strtoull(text, &end, 0);
    if (errno || *end || v > 0xFFFFFFFFull)
        return set_error("%s: '%s' is not a 32-bit number (use 0x for hex)", what, text);
    *out = (uint32_t)v;
    return 0;
}

int parse_version(const char *text, uint32_t *out)
{
    unsigned long part[3];
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        char *end;
        if (*p < '0' || *p > '9')
            break;
        errno = 0;
        part[i] = strtoul(p, &end, 10);
        if (errno || part[i] > (i == 2 ? 0xFFFFul : 0xFFul))
            return set_error("--version: '%s': major and minor are 0-255, patch 0-65535", text);
        p = end;
        if (i < 2 && *p++ != '.')
            break;
        if (i == 2 && *p == '\0') {
            *out = (uint32_t)(part[0] << 24 | part[1] << 16 | part[2]);
            return 0;
        }
    }
    return set_error("--version: '%s' is not MAJOR.MINOR.PATCH (e.g. 1.2.3)", text);
}

void format_version(uint32_t version, char out[24])
{
    snprintf(out, 24, "%u.%u.%u", (unsigned)(version >> 24), (unsigned)(version >> 16 & 0xFF),
             (unsigned)(version & 0xFFFF));
}

uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t stm32_crc(const uint8_t *data, size_t length)
{
    crc_reset();
    for (size_t i = 0; i + 4 <= length; i += 4) {
        uint32_t word = get_le32(data + i);
        crc_feed_words(&word, 1);
    }
    return crc_value();
}

int has_extension(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n > e && strcasecmp(path + n - e, ext) == 0;
}

/* Inputs larger than this are no firmware image. */
#define MAX_INPUT_BYTES (256u << 20)

int read_file(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return set_error("%s: cannot open: %s", path, strerror(errno));
    size_t capacity = 1 << 16, used = 0;
    uint8_t *buf = malloc(capacity);
    for (;;) {
        if (!buf) {
            fclose(f);
            return set_error("%s: out of memory", path);
        }
        used += fread(buf + used, 1, capacity - used, f);
        if (used < capacity)
            break;
        if (capacity >= MAX_INPUT_BYTES) {
            free(buf);
            fclose(f);
            return set_error("%s: larger than %u MB, not a firmware file", path,
                             MAX_INPUT_BYTES >> 20);
        }
        capacity *= 2;
        uint8_t *bigger = realloc(buf, capacity);
        if (!bigger)
            free(buf);
        buf = bigger;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return set_error("%s: read error", path);
    }
    *data = buf;
    *size = used;
    return 0;
}

static int finish_output(const char *path, const char *tmp, FILE *f, int ok)
{
    if (f == stdout)
        return fflush(stdout) == 0 && ok ? 0 : set_error("stdout: write error");
    if (fclose(f) != 0)
        ok = 0;
    if (ok && replace_file(tmp, path) == 0)
        return 0;
    int err = errno;
    remove(tmp);
    return set_error("%s: cannot write: %s", path, strerror(err ? err : EIO));
}

static FILE *open_output(const char *path, char *tmp, size_t tmp_size)
{
    if (strcmp(path, "-") == 0) {
        stdout_binary();
        return stdout;
    }
    snprintf(tmp, tmp_size, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        set_error("%s: cannot create: %s", path, strerror(errno));
    return f;
}

int write_file(const char *path, const uint8_t *data, size_t size)
{
    char tmp[4096];
    FILE *f = open_output(path, tmp, sizeof tmp);
    if (!f)
        return -1;
    int ok = fwrite(data, 1, size, f) == size;
    return finish_output(path, tmp, f, ok);
}

int write_hex_file(const char *path, const struct memimage *m)
{
    char tmp[4096];
    FILE *f = open_output(path, tmp, sizeof tmp);
    if (!f)
        return -1;
    int ok = ihex_write(f, m) == 0 && !ferror(f);
    return finish_output(path, tmp, f, ok);
}
