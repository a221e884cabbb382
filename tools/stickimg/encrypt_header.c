/* The part of encrypted images that needs no libcrypto (encrypt.c needs it): recognising one,
 * so info works in every build, the Windows one included. */
#include "encrypt.h"

#include <string.h>

int image_is_encrypted(const uint8_t *data, size_t size)
{
    return size >= ENCRYPT_HEADER_SIZE && memcmp(data, "SBE1", 4) == 0;
}
