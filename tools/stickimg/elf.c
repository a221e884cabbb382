/* A small ELF reader: only what arm-none-eabi-ld produces matters here (ELF32, little endian,
 * EM_ARM, executable). It takes what `objcopy -O binary` would: every allocated section that
 * has file contents, at its load address (LMA), which comes from the PT_LOAD segment holding
 * the section (so initialised .data lands in flash, not at its RAM address). Every offset and
 * size is checked against the file before use. */
#include "stickimg.h"

#define EM_ARM     40
#define ET_EXEC    2
#define PT_LOAD    1
#define SHT_NOBITS 8
#define SHF_ALLOC  0x2
#define PHDR_SIZE  32
#define SHDR_SIZE  40

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static const char *machine_name(uint16_t machine)
{
    switch (machine) {
    case 3:
        return "x86";
    case 8:
        return "MIPS";
    case 62:
        return "x86-64";
    case 183:
        return "AArch64";
    case 243:
        return "RISC-V";
    default:
        return "another architecture";
    }
}

/* 1 when [offset, offset+length) lies inside a file of size bytes. */
static int inside(uint64_t offset, uint64_t length, size_t size)
{
    return offset <= size && length <= size - offset;
}

int elf_parse(const uint8_t *buf, size_t size, struct memimage *m)
{
    if (size < 52 || buf[0] != 0x7F || buf[1] != 'E' || buf[2] != 'L' || buf[3] != 'F')
        return set_error("not an ELF file");
    if (buf[4] != 1)
        return set_error("%s ELF: not a 32-bit ARM Cortex-M executable",
                         buf[4] == 2 ? "64-bit" : "unknown-class");
    if (buf[5] != 1)
        return set_error("big-endian ELF: not an ARM Cortex-M executable");
    uint16_t machine = le16(buf + 18);
    if (machine != EM_ARM)
        return set_error("ELF for %s (machine %u), not ARM", machine_name(machine), machine);
    if (le16(buf + 16) != ET_EXEC)
        return set_error("ELF is not an executable (type %u); link it first", le16(buf + 16));
    uint32_t phoff = get_le32(buf + 28), shoff = get_le32(buf + 32);
    uint16_t phentsize = le16(buf + 42), phnum = le16(buf + 44);
    uint16_t shentsize = le16(buf + 46), shnum = le16(buf + 48);
    if (phnum && (phentsize != PHDR_SIZE || !inside(phoff, (uint64_t)phnum * PHDR_SIZE, size)))
        return set_error("ELF program headers lie outside the file");
    if (shnum && (shentsize != SHDR_SIZE || !inside(shoff, (uint64_t)shnum * SHDR_SIZE, size)))
        return set_error("ELF section headers lie outside the file");

    for (uint16_t i = 0; i < shnum; i++) {
        const uint8_t *sh = buf + shoff + (size_t)i * SHDR_SIZE;
        uint32_t type = get_le32(sh + 4), flags = get_le32(sh + 8), addr = get_le32(sh + 12);
        uint32_t offset = get_le32(sh + 16), length = get_le32(sh + 20);
        if (!(flags & SHF_ALLOC) || type == SHT_NOBITS || length == 0)
            continue;
        if (!inside(offset, length, size))
            return set_error("ELF section %u lies outside the file", i);
        uint32_t load = addr;
        for (uint16_t j = 0; j < phnum; j++) {
            const uint8_t *ph = buf + phoff + (size_t)j * PHDR_SIZE;
            uint32_t p_offset = get_le32(ph + 4), p_filesz = get_le32(ph + 16);
            if (get_le32(ph) == PT_LOAD && offset >= p_offset &&
                (uint64_t)offset + length <= (uint64_t)p_offset + p_filesz) {
                load = get_le32(ph + 12) + (offset - p_offset);
                break;
            }
        }
        if (mem_add(m, load, buf + offset, length))
            return set_error("ELF section %u: %s", i, last_error());
    }
    if (shnum == 0) { /* no section table (stripped hard): the loadable segments */
        for (uint16_t j = 0; j < phnum; j++) {
            const uint8_t *ph = buf + phoff + (size_t)j * PHDR_SIZE;
            uint32_t p_offset = get_le32(ph + 4), p_filesz = get_le32(ph + 16);
            if (get_le32(ph) != PT_LOAD || p_filesz == 0)
                continue;
            if (!inside(p_offset, p_filesz, size))
                return set_error("ELF segment %u lies outside the file", j);
            if (mem_add(m, get_le32(ph + 12), buf + p_offset, p_filesz))
                return set_error("ELF segment %u: %s", j, last_error());
        }
    }
    if (mem_empty(m))
        return set_error("ELF has no loadable data");
    return 0;
}
