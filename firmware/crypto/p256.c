/* ECDSA P-256 verification (FIPS 186-4 section 6.4, SEC 1 section 4.1.4), small first, then
 * fast where a cycle profile showed the time going (docs/performance.md).
 *
 * Numbers are 8 little-endian 32-bit limbs. One Montgomery multiplication (R = 2^256) serves
 * both moduli, the field prime p and the group order n; field elements stay in Montgomery form.
 * On the Cortex-M4 its inner step is UMAAL (a 32 x 32 + 32 + 32 bit multiply-accumulate in one
 * cycle), about 1,050 cycles a product on stickemu's m4 model. A P-256-specific (Solinas) reduction
 * would be faster for p but needs its own code beside the Montgomery one that n needs anyway.
 * Points use homogeneous projective coordinates and the complete addition formula for a = -3
 * (Renes, Costello, Batina 2015, algorithm 4): one formula adds, doubles and handles the point
 * at infinity (0 : 1 : 0), so there are no special cases. It runs as a list of field steps
 * interpreted by a small loop, which is smaller than 43 inline calls. u1*G + u2*Q is one
 * double-and-add loop over both scalars with a G + Q table (Shamir's trick). There is one
 * inversion per modulus, a Fermat exponentiation (a^(m-2)): no extra code beyond the
 * multiplication. */
#include "p256.h"

#include <string.h>

#define LIMBS 8

struct modulus {
    uint32_t limb[LIMBS];
    uint32_t minus_inverse; /* -limb^-1 mod 2^32, for Montgomery reduction */
};

/* p = 2^256 - 2^224 + 2^192 + 2^96 - 1 */
static const struct modulus field_p = {
    {0xffffffff, 0xffffffff, 0xffffffff, 0x00000000, 0x00000000, 0x00000000, 0x00000001,
     0xffffffff},
    0x00000001,
};

static const struct modulus order_n = {
    {0xfc632551, 0xf3b9cac2, 0xa7179e84, 0xbce6faad, 0xffffffff, 0xffffffff, 0x00000000,
     0xffffffff},
    0xee00bc4f,
};

/* b, then the base point G = (x, y) (FIPS 186-4 D.1.2.3), in the order of registers B, GX,
 * GY below and already in Montgomery form (times 2^256 mod p), which saves converting them by
 * 256 doublings each at every verification. */
static const uint32_t curve_constants[3][LIMBS] = {
    {0x29c4bddf, 0xd89cdf62, 0x78843090, 0xacf005cd, 0xf7212ed6, 0xe5a220ab, 0x04874834,
     0xdc30061d},
    {0x18a9143c, 0x79e730d4, 0x5fedb601, 0x75ba95fc, 0x77622510, 0x79fb732b, 0xa53755c6,
     0x18905f76},
    {0xce95560a, 0xddf25357, 0xba19e45c, 0x8b4ab8e4, 0xdd21f325, 0xd2e88688, 0x25885d85,
     0x8571ff18},
};

/* Each limb takes four shifts of 8: its old contents are shifted out, so out needs no init. */
static void load_be(uint32_t out[LIMBS], const uint8_t *in)
{
    for (unsigned i = 0; i < 32; i++)
        out[7 - i / 4] = out[7 - i / 4] << 8 | in[i];
}

static int is_zero(const uint32_t *a)
{
    uint32_t any = 0;
    for (int i = 0; i < LIMBS; i++)
        any |= a[i];
    return any == 0;
}

/* (hi : lo) = a * b + lo + hi, which cannot overflow 64 bits. The Cortex-M4 does it in one
 * cycle: UMAAL (ARMv7-M ARM A7.7.187, DSP extension); GCC does not emit it from C. */
static inline void mul_add_add(uint32_t *lo, uint32_t *hi, uint32_t a, uint32_t b)
{
#if defined(__ARM_FEATURE_DSP)
    __asm__("umaal %0, %1, %2, %3" : "+r"(*lo), "+r"(*hi) : "r"(a), "r"(b));
#else
    uint64_t x = (uint64_t)a * b + *lo + *hi;
    *lo = (uint32_t)x;
    *hi = (uint32_t)(x >> 32);
#endif
}

/* r = a + (b ^ flip) + carry, limb by limb; returns the carry out. With flip = ~0 and carry
 * = 1 this is a - b (two's complement), and the carry out is 1 when there was no borrow. */
/* Word copy: the C library's memcpy is a byte loop. r may be a. */
static void copy_limbs(uint32_t *r, const uint32_t *a, int words)
{
    for (int i = 0; i < words; i++)
        r[i] = a[i];
}

static uint32_t add_limbs_carry(uint32_t *r, const uint32_t *a, const uint32_t *b, uint32_t flip,
                                uint32_t carry)
{
    for (int i = 0; i < LIMBS; i++) {
        uint32_t x = a[i];
        mul_add_add(&x, &carry, 1, b[i] ^ flip);
        r[i] = x;
    }
    return carry;
}

static uint32_t add_limbs(uint32_t *r, const uint32_t *a, const uint32_t *b)
{
    return add_limbs_carry(r, a, b, 0, 0);
}

/* r = a - b; returns the borrow (1 when a < b). */
static uint32_t sub_limbs(uint32_t *r, const uint32_t *a, const uint32_t *b)
{
    return !add_limbs_carry(r, a, b, ~0u, 1);
}

/* a < m */
static int is_below(const uint32_t *a, const uint32_t *m)
{
    uint32_t scratch[LIMBS];
    return sub_limbs(scratch, a, m);
}

static void reduce_once(uint32_t *r, const uint32_t *t, uint32_t carry, const struct modulus *m)
{
    uint32_t diff[LIMBS];
    const uint32_t *result = t;
    /* A top limb below m's means r < m: no subtraction. Both moduli have top limb 2^32 - 1,
     * so this skips nearly every Montgomery product and half of the sums. */
    if ((carry || t[LIMBS - 1] >= m->limb[LIMBS - 1]) && (!sub_limbs(diff, t, m->limb) || carry))
        result = diff;
    if (result != r)
        copy_limbs(r, result, LIMBS);
}

/* The three field steps share one signature so a table can dispatch them. Each takes inputs
 * below m (mont_mul: one of them may be any 256-bit value) and returns r < m; r may alias. */
typedef void field_step(uint32_t *r, const uint32_t *a, const uint32_t *b, const struct modulus *m);

static void mod_add(uint32_t *r, const uint32_t *a, const uint32_t *b, const struct modulus *m)
{
    reduce_once(r, r, add_limbs(r, a, b), m);
}

static void mod_sub(uint32_t *r, const uint32_t *a, const uint32_t *b, const struct modulus *m)
{
    if (sub_limbs(r, a, b))
        add_limbs(r, r, m->limb);
}

/* Read as the running total before the first row of mont_mul: zero, and never written. */
static uint32_t no_total[LIMBS + 1];

/* r = a * b / 2^256 mod m: Montgomery multiplication by coarsely integrated operand scanning
 * (Koc, Acar, Kaliski, "Analyzing and comparing Montgomery multiplication algorithms", IEEE
 * Micro 1996). Row i adds a * b[i] and q * m, q chosen so that the low word becomes zero, and
 * drops that word; the total stays below 2m, one word more than m. A row reads the total one
 * word ahead of where it writes it, so t is updated in place. GCC's induction-variable pass
 * would turn the indexed loads into pointers that it spills at -Os: 12 % more cycles on the m4
 * model (8.29 M against 7.39 M for one verification), same size. */
__attribute__((optimize("no-ivopts"))) static void
mont_mul(uint32_t *r, const uint32_t *a, const uint32_t *b, const struct modulus *m)
{
    uint32_t t[LIMBS + 1];
    const uint32_t *total = no_total;
    for (int i = 0; i < LIMBS; i++, total = t) {
        uint32_t x = total[0], x_carry = 0, y_carry = 0;
        mul_add_add(&x, &x_carry, a[0], b[i]);
        uint32_t q = x * m->minus_inverse;
        mul_add_add(&x, &y_carry, q, m->limb[0]); /* x becomes 0 */
        for (int j = 1; j < LIMBS; j++) {
            x = total[j];
            mul_add_add(&x, &x_carry, a[j], b[i]);
            mul_add_add(&x, &y_carry, q, m->limb[j]);
            t[j - 1] = x;
        }
        mul_add_add(&x_carry, &y_carry, 1, total[LIMBS]);
        t[LIMBS - 1] = x_carry;
        t[LIMBS] = y_carry;
    }
    reduce_once(r, t, t[LIMBS], m);
}

/* a * 2^256 mod m by 256 doublings, a < m: cheaper in code than a table of 2^512 mod m. */
static void to_montgomery(uint32_t *a, const struct modulus *m)
{
    for (int i = 0; i < 256; i++)
        mod_add(a, a, a, m);
}

/* r = a^(m-2) in Montgomery form = a^-1 for prime m. The top bit of m-2 is set, so the result
 * starts at a; m's low limb is above 2, so m-2 differs from m only there. */
static void mod_inverse(uint32_t *r, const uint32_t *a, const struct modulus *m)
{
    uint32_t x[LIMBS];
    copy_limbs(x, a, LIMBS);
    for (int i = 254; i >= 0; i--) {
        uint32_t exponent_limb = m->limb[i / 32] - (i < 32 ? 2 : 0);
        mont_mul(x, x, x, m);
        if (exponent_limb >> (i % 32) & 1)
            mont_mul(x, x, a, m);
    }
    copy_limbs(r, x, LIMBS);
}

/* Registers: those of the field-step programs (three points, five temporaries, b; 4-bit
 * numbers), then G, Q and G + Q. Everything from B on is in Montgomery form once set up. */
enum {
    X1,
    Y1,
    Z1,
    X2,
    Y2,
    Z2,
    X3,
    Y3,
    Z3,
    T0,
    T1,
    T2,
    T3,
    T4,
    B,
    GX,
    GY,
    GZ,
    QX,
    QY,
    QZ,
    GQX,
    GQY,
    GQZ,
    REGISTERS
};
enum { MUL, ADD, SUB };
#define STEP(op, r, a, b) (uint16_t)((op) << 12 | (r) << 8 | (a) << 4 | (b))

static field_step *const step_functions[] = {mont_mul, mod_add, mod_sub};

/* (X3 : Y3 : Z3) = (X1 : Y1 : Z1) + (X2 : Y2 : Z2), complete for every pair of points. */
static const uint16_t point_add[] = {
    STEP(MUL, T0, X1, X2), STEP(MUL, T1, Y1, Y2), STEP(MUL, T2, Z1, Z2), STEP(ADD, T3, X1, Y1),
    STEP(ADD, T4, X2, Y2), STEP(MUL, T3, T3, T4), STEP(ADD, T4, T0, T1), STEP(SUB, T3, T3, T4),
    STEP(ADD, T4, Y1, Z1), STEP(ADD, X3, Y2, Z2), STEP(MUL, T4, T4, X3), STEP(ADD, X3, T1, T2),
    STEP(SUB, T4, T4, X3), STEP(ADD, X3, X1, Z1), STEP(ADD, Y3, X2, Z2), STEP(MUL, X3, X3, Y3),
    STEP(ADD, Y3, T0, T2), STEP(SUB, Y3, X3, Y3), STEP(MUL, Z3, B, T2),  STEP(SUB, X3, Y3, Z3),
    STEP(ADD, Z3, X3, X3), STEP(ADD, X3, X3, Z3), STEP(SUB, Z3, T1, X3), STEP(ADD, X3, T1, X3),
    STEP(MUL, Y3, B, Y3),  STEP(ADD, T1, T2, T2), STEP(ADD, T2, T1, T2), STEP(SUB, Y3, Y3, T2),
    STEP(SUB, Y3, Y3, T0), STEP(ADD, T1, Y3, Y3), STEP(ADD, Y3, T1, Y3), STEP(ADD, T1, T0, T0),
    STEP(ADD, T0, T1, T0), STEP(SUB, T0, T0, T2), STEP(MUL, T1, T4, Y3), STEP(MUL, T2, T0, Y3),
    STEP(MUL, Y3, X3, Z3), STEP(ADD, Y3, Y3, T2), STEP(MUL, X3, T3, X3), STEP(SUB, X3, X3, T1),
    STEP(MUL, Z3, T4, Z3), STEP(MUL, T1, T3, T0), STEP(ADD, Z3, Z3, T1),
};

/* T0 = X1^3 - 3 X1 + b and T1 = Y1^2: equal when (X1, Y1) is on the curve. */
static const uint16_t curve_equation[] = {
    STEP(MUL, T0, X1, X1), STEP(MUL, T0, T0, X1), STEP(SUB, T0, T0, X1), STEP(SUB, T0, T0, X1),
    STEP(SUB, T0, T0, X1), STEP(ADD, T0, T0, B),  STEP(MUL, T1, Y1, Y1),
};

/* Runs a program; then point 3 becomes point 1, the accumulator of the scalar loop. */
static void run(uint32_t reg[REGISTERS][LIMBS], const uint16_t *steps, int count)
{
    for (int i = 0; i < count; i++) {
        unsigned s = steps[i];
        step_functions[s >> 12](reg[s >> 8 & 15], reg[s >> 4 & 15], reg[s & 15], &field_p);
    }
    copy_limbs(reg[X1], reg[X3], 3 * LIMBS);
}

int p256_ecdsa_verify(const uint8_t pub[64], const uint8_t hash[32], const uint8_t sig[64])
{
    uint32_t reg[REGISTERS][LIMBS] = {{0}};
    uint32_t r[LIMBS], s[LIMBS], e[LIMBS], u[2][LIMBS];

    load_be(r, sig);
    load_be(s, sig + 32);
    if (is_zero(r) || is_zero(s) || !is_below(r, order_n.limb) || !is_below(s, order_n.limb))
        return 0;
    load_be(reg[QX], pub);
    load_be(reg[QY], pub + 32);
    if (!is_below(reg[QX], field_p.limb) || !is_below(reg[QY], field_p.limb))
        return 0;
    memcpy(reg[B], curve_constants, sizeof(curve_constants));
    reg[GZ][0] = reg[QZ][0] = 1;
    for (int i = GZ; i < GQX; i++)
        to_montgomery(reg[i], &field_p);

    /* Q on the curve; (0, 0), the usual encoding of infinity, is not (b != 0). */
    copy_limbs(reg[X1], reg[QX], 2 * LIMBS);
    run(reg, curve_equation, sizeof(curve_equation) / sizeof(curve_equation[0]));
    if (memcmp(reg[T0], reg[T1], sizeof(reg[0])) != 0)
        return 0;

    /* w = s^-1 (Montgomery form); then u1 = e w, u2 = r w come out plain and reduced, also
     * when e >= n. */
    to_montgomery(s, &order_n);
    mod_inverse(s, s, &order_n);
    load_be(e, hash);
    mont_mul(u[0], e, s, &order_n);
    mont_mul(u[1], r, s, &order_n);

    /* G + Q, for Shamir's trick (Guide to Elliptic Curve Cryptography, Hankerson, Menezes,
     * Vanstone, algorithm 3.48 with w = 1): one addition per bit where either scalar has a 1,
     * 3/4 of the bits instead of 1/2 + 1/2. */
    copy_limbs(reg[X1], reg[GX], 6 * LIMBS);
    run(reg, point_add, sizeof(point_add) / sizeof(point_add[0]));
    copy_limbs(reg[GQX], reg[X1], 3 * LIMBS);

    /* (X1 : Y1 : Z1) = u1 G + u2 Q, starting from infinity (0 : 1 : 0) */
    memset(reg, 0, 3 * sizeof(reg[0]));
    reg[Y1][0] = 1;
    for (int i = 255; i >= 0; i--) {
        /* double (add the accumulator to itself), then add G, Q or G + Q for the two bits */
        unsigned bits = (u[0][i / 32] >> (i % 32) & 1) | (u[1][i / 32] >> (i % 32) & 1) << 1;
        for (unsigned k = 0; k < 2; k++) {
            if (k == 0 || bits) {
                copy_limbs(reg[X2], reg[k ? GX + 3 * bits - 3 : X1], 3 * LIMBS);
                run(reg, point_add, sizeof(point_add) / sizeof(point_add[0]));
            }
        }
    }
    if (is_zero(reg[Z1]))
        return 0;

    /* x = X / Z, out of Montgomery form (times 1), then mod n: x < p < 2n. */
    mod_inverse(reg[Z1], reg[Z1], &field_p);
    mont_mul(reg[X1], reg[X1], reg[Z1], &field_p);
    memset(reg[T0], 0, sizeof(reg[0]));
    reg[T0][0] = 1;
    mont_mul(reg[X1], reg[X1], reg[T0], &field_p);
    reduce_once(reg[X1], reg[X1], 0, &order_n);
    return memcmp(reg[X1], r, sizeof(r)) == 0;
}
