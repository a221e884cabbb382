/* Instruction counts and stack use of the Thumb build of firmware/crypto, run in unicorn
 * (Cortex-M4): ECDSA verify and SHA-256 of a 256 KB image. At about one instruction per cycle
 * (the model the budget uses; the lead's stickemu measures it for real) the sum must fit in
 * 500 ms at 168 MHz. The target is built by mk/crypto.mk, which also force-includes the header
 * with its entry points (COST_VERIFY, COST_SHA256, COST_RETURN). The Thumb build also has code
 * paths of its own (UMAAL, unaligned word loads), so OpenSSL's signatures and an unaligned hash
 * are checked there too. */
#define OPENSSL_SUPPRESS_DEPRECATED /* the EC_KEY API is the shortest way to raw keys */
#include "p256.h"
#include "sha256.h"

#include "harness.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#define HARNESS_SUITE "test_crypto_cost"

#define FLASH_BASE    0x08000000u
#define FLASH_SIZE    0x00100000u
#define RAM_BASE      0x20000000u
#define RAM_SIZE      0x00020000u
#define IMAGE_SIZE    (256u * 1024)
#define IMAGE_ADDRESS (FLASH_BASE + 0x40000u) /* the data hashed, as if read from the stick */
#define ARGS_ADDRESS  RAM_BASE                /* pub, hash, sig, digest for the calls */
#define STACK_FILL    0xa5

static uint64_t instructions;

static void count_instruction(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
    (void)uc, (void)address, (void)size, (void)user;
    instructions++;
}

struct run {
    uint32_t result;
    uint64_t instructions;
    uint32_t stack_bytes;
    int ok;
};

/* Calls entry(a0, a1, a2) on a fresh stack at the top of RAM. */
static struct run call(uc_engine *uc, uint32_t entry, uint32_t a0, uint32_t a1, uint32_t a2)
{
    struct run r = {0};
    static uint8_t ram[RAM_SIZE];
    uint8_t args[256];
    uc_mem_read(uc, ARGS_ADDRESS, args, sizeof(args));
    memset(ram, STACK_FILL, sizeof(ram));
    memcpy(ram, args, sizeof(args));
    uc_mem_write(uc, RAM_BASE, ram, sizeof(ram));
    uint32_t sp = RAM_BASE + RAM_SIZE, lr = COST_RETURN | 1;
    uc_reg_write(uc, UC_ARM_REG_SP, &sp);
    uc_reg_write(uc, UC_ARM_REG_LR, &lr);
    uc_reg_write(uc, UC_ARM_REG_R0, &a0);
    uc_reg_write(uc, UC_ARM_REG_R1, &a1);
    uc_reg_write(uc, UC_ARM_REG_R2, &a2);
    instructions = 0;
    uc_err err = uc_emu_start(uc, entry | 1, COST_RETURN, 0, 0);
    if (err != UC_ERR_OK) {
        uint32_t pc;
        uc_reg_read(uc, UC_ARM_REG_PC, &pc);
        printf("  emulation stopped: %s at pc 0x%08x\n", uc_strerror(err), pc);
        return r;
    }
    uc_reg_read(uc, UC_ARM_REG_R0, &r.result);
    r.instructions = instructions;
    uc_mem_read(uc, RAM_BASE, ram, sizeof(ram));
    uint32_t low = sizeof(args);
    while (low < sizeof(ram) && ram[low] == STACK_FILL)
        low++;
    r.stack_bytes = RAM_SIZE - low;
    r.ok = 1;
    return r;
}

/* counted: hook every instruction (slow); the correctness runs go without. */
static uc_engine *machine(int counted)
{
    uc_engine *uc;
    if (uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &uc) != UC_ERR_OK)
        return NULL;
    uc_ctl_set_cpu_model(uc, UC_CPU_ARM_CORTEX_M4);
    uc_mem_map(uc, FLASH_BASE, FLASH_SIZE, UC_PROT_READ | UC_PROT_EXEC);
    uc_mem_map(uc, RAM_BASE, RAM_SIZE, UC_PROT_READ | UC_PROT_WRITE);

    FILE *f = fopen(COST_IMAGE, "rb");
    static uint8_t code[IMAGE_ADDRESS - FLASH_BASE];
    size_t n = f ? fread(code, 1, sizeof(code), f) : 0;
    if (f)
        fclose(f);
    if (n == 0 || n == sizeof(code)) {
        printf("  cannot load %s\n", COST_IMAGE);
        uc_close(uc);
        return NULL;
    }
    uc_mem_write(uc, FLASH_BASE, code, n);
    uc_hook hook;
    if (counted)
        uc_hook_add(uc, &hook, UC_HOOK_CODE, count_instruction, NULL, 1, 0);
    return uc;
}

static uint64_t verify_instructions, sha_instructions;

/* Wycheproof ecdsa_secp256r1_sha256_p1363 tcId 1: message "123400", a valid signature. */
static const char *const vector_pub =
    "2927b10512bae3eddcfe467828128bad2903269919f7086069c8c4df6c7328"
    "38c7787964eaac00e5921fb1498a60f4606766b3d9685001558d1a974e"
    "7341513e";
static const char *const vector_sig = "2ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c"
                                      "2e184cd60b855d442f5b3c7b11eb6c4e0ae7525fe710fab9aa7c77a67f79"
                                      "e6fadd76";

static void from_hex(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

static void verify_cost(void)
{
    uc_engine *uc = machine(1);
    CHECK(uc != NULL);
    if (!uc)
        return;
    uint8_t args[160];
    struct sha256 ctx;
    from_hex(vector_pub, args, 64);
    sha256_init(&ctx);
    sha256_update(&ctx, "123400", 6);
    sha256_final(&ctx, args + 64);
    from_hex(vector_sig, args + 96, 64);
    uc_mem_write(uc, ARGS_ADDRESS, args, sizeof(args));
    struct run good = call(uc, COST_VERIFY, ARGS_ADDRESS, ARGS_ADDRESS + 64, ARGS_ADDRESS + 96);
    args[64] ^= 1; /* another hash: must fail, at the same cost */
    uc_mem_write(uc, ARGS_ADDRESS, args, sizeof(args));
    struct run bad = call(uc, COST_VERIFY, ARGS_ADDRESS, ARGS_ADDRESS + 64, ARGS_ADDRESS + 96);
    uc_close(uc);
    CHECK(good.ok && bad.ok);
    CHECK_EQ(good.result, 1);
    CHECK_EQ(bad.result, 0);
    verify_instructions = good.instructions;
    printf("  p256_ecdsa_verify: %llu Thumb instructions (%.1f ms at 168 MHz, 1 per cycle), "
           "stack %u bytes\n",
           (unsigned long long)good.instructions, good.instructions / 168e3, good.stack_bytes);
    CHECK(good.instructions < 40000000);
    CHECK(good.stack_bytes < 2048);
}

static void sha256_cost(void)
{
    uc_engine *uc = machine(1);
    CHECK(uc != NULL);
    if (!uc)
        return;
    static uint8_t image[IMAGE_SIZE];
    for (uint32_t i = 0; i < IMAGE_SIZE; i++)
        image[i] = (uint8_t)(i * 2654435761u >> 24);
    uc_mem_write(uc, IMAGE_ADDRESS, image, IMAGE_SIZE);
    struct run r = call(uc, COST_SHA256, IMAGE_ADDRESS, IMAGE_SIZE, ARGS_ADDRESS);
    uint8_t arm_digest[32], host_digest[32];
    uc_mem_read(uc, ARGS_ADDRESS, arm_digest, 32);
    uc_close(uc);
    struct sha256 ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, image, IMAGE_SIZE);
    sha256_final(&ctx, host_digest);
    CHECK(r.ok);
    CHECK(memcmp(arm_digest, host_digest, 32) == 0);
    sha_instructions = r.instructions;
    printf("  sha256 of 256 KB: %llu Thumb instructions (%.1f ms at 168 MHz), stack %u bytes\n",
           (unsigned long long)r.instructions, r.instructions / 168e3, r.stack_bytes);
}

/* The Thumb build has its own code paths (UMAAL in p256.c, unaligned LDR + REV in sha256.c):
 * OpenSSL's signatures must verify there too, n - s as well, and a flipped bit must not. */
static void thumb_agrees_with_openssl(void)
{
    uc_engine *uc = machine(0);
    CHECK(uc != NULL);
    if (!uc)
        return;
    int cases = 0, agree = 0;
    for (int k = 0; k < 4; k++) {
        EC_KEY *key = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
        uint8_t args[160], encoded[65];
        CHECK(EC_KEY_generate_key(key) == 1);
        CHECK(EC_POINT_point2oct(EC_KEY_get0_group(key), EC_KEY_get0_public_key(key),
                                 POINT_CONVERSION_UNCOMPRESSED, encoded, sizeof(encoded),
                                 NULL) == sizeof(encoded));
        memcpy(args, encoded + 1, 64);
        RAND_bytes(args + 64, 32);
        if (k == 1)
            memset(args + 64, 0xff, 16); /* a hash >= n */
        ECDSA_SIG *sig = ECDSA_do_sign(args + 64, 32, key);
        const BIGNUM *r, *s;
        ECDSA_SIG_get0(sig, &r, &s);
        BN_bn2binpad(r, args + 96, 32);
        BN_bn2binpad(s, args + 128, 32);
        for (int c = 0; c < 3; c++) {
            if (c == 1) { /* s -> n - s: also valid */
                BIGNUM *n = BN_new(), *ns = BN_new();
                EC_GROUP_get_order(EC_KEY_get0_group(key), n, NULL);
                BN_sub(ns, n, s);
                BN_bn2binpad(ns, args + 128, 32);
                BN_free(n);
                BN_free(ns);
            }
            if (c == 2)
                args[96 + k * 5] ^= 0x10;
            uc_mem_write(uc, ARGS_ADDRESS, args, sizeof(args));
            struct run run =
                call(uc, COST_VERIFY, ARGS_ADDRESS, ARGS_ADDRESS + 64, ARGS_ADDRESS + 96);
            cases++;
            agree += run.ok && run.result == (c < 2) &&
                     (uint32_t)p256_ecdsa_verify(args, args + 64, args + 96) == run.result;
        }
        ECDSA_SIG_free(sig);
        EC_KEY_free(key);
    }
    uc_close(uc);
    printf("  %d Thumb verifications, %d as expected\n", cases, agree);
    CHECK_EQ(agree, cases);
}

/* Whole blocks hashed in place from an odd address, after a partial one. */
static void thumb_sha256_unaligned(void)
{
    uc_engine *uc = machine(0);
    CHECK(uc != NULL);
    if (!uc)
        return;
    uint8_t data[1000], arm_digest[32], host_digest[32];
    for (uint32_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    uc_mem_write(uc, IMAGE_ADDRESS + 1, data, sizeof data);
    struct run r = call(uc, COST_SHA256, IMAGE_ADDRESS + 1, sizeof data, ARGS_ADDRESS);
    uc_mem_read(uc, ARGS_ADDRESS, arm_digest, 32);
    uc_close(uc);
    struct sha256 ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, data, sizeof data);
    sha256_final(&ctx, host_digest);
    CHECK(r.ok);
    CHECK(memcmp(arm_digest, host_digest, 32) == 0);
}

static void signed_image_check_fits_500_ms(void)
{
    uint64_t total = verify_instructions + sha_instructions;
    printf("  verify + sha256(256 KB): %llu instructions = %.1f ms at 168 MHz, 1 per cycle\n",
           (unsigned long long)total, total / 168e3);
    CHECK(verify_instructions > 0 && sha_instructions > 0);
    CHECK(total <= 500ull * 168000);
}

int main(void)
{
    RUN_TEST(verify_cost);
    RUN_TEST(sha256_cost);
    RUN_TEST(signed_image_check_fits_500_ms);
    RUN_TEST(thumb_agrees_with_openssl);
    RUN_TEST(thumb_sha256_unaligned);
    return HARNESS_EXIT();
}
