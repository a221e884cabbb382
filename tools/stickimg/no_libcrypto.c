/* Keys for builds without OpenSSL's libcrypto (the Windows build): public keys come from
 * keyfile.c; making keys and signing with a private key are not available, and say so. The
 * way to sign there: stickimg digest, any signer, stickimg attach-signature. */
#include "encrypt.h"
#include "sign.h"
#include "stickimg.h"

#include <stdlib.h>

int signing_unavailable(const char *command)
{
    fprintf(stderr,
            "stickimg %s: not available in this build (made without OpenSSL's libcrypto, as on "
            "Windows). Sign with any signer instead: stickimg digest IMAGE -o DIGEST, sign "
            "DIGEST (openssl pkeyutl, an HSM, a cloud KMS), then stickimg attach-signature "
            "IMAGE SIG --key PUBLIC.pem (docs/image-format.md)\n",
            command);
    return 1;
}

int key_generate(const char *path)
{
    (void)path;
    return set_error("keygen: not available in this build (no libcrypto)");
}

int image_sign(uint8_t *image, struct image_trailer *t, const char *key_path)
{
    (void)image, (void)t, (void)key_path;
    return set_error("sign: not available in this build (no libcrypto)");
}

int key_load_public(const char *path, uint8_t pub[64])
{
    uint8_t *data;
    size_t size;
    if (read_file(path, &data, &size))
        return -1;
    int r = keyfile_public(path, data, size, pub);
    free(data);
    return r;
}

int key_public_pem(const char *path, char *out, size_t out_size)
{
    uint8_t pub[64];
    return key_load_public(path, pub) ? -1 : keyfile_public_pem(pub, out, out_size);
}

/* Encrypted images (encrypt.c) need AES from libcrypto; keygen --aes and pack --encrypt stop at
 * signing_unavailable before they get here. */
int aes_key_read(const char *path, uint8_t key[16])
{
    (void)path, (void)key;
    return set_error("AES keys: not available in this build (no libcrypto)");
}

int aes_key_generate(const char *path)
{
    (void)path;
    return set_error("keygen --aes: not available in this build (no libcrypto)");
}

int image_encrypt(const uint8_t *image, uint32_t size, uint32_t app_length, const char *key_path,
                  uint8_t **out, uint32_t *out_size)
{
    (void)image, (void)size, (void)app_length, (void)key_path, (void)out, (void)out_size;
    return set_error("pack --encrypt: not available in this build (no libcrypto)");
}
