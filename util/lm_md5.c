/*
 * MD5 message digest, written from RFC 1321.
 *
 * The digest identifies files (NLM's published .md5 sums) and is computed
 * while a file streams through the parser, so it must not be the slower
 * half of that pipeline: the 64 steps are written as four short loops of
 * four explicit steps (register roles rotate every step), which compilers
 * unroll into straight-line code.  Input is buffered into 64-byte blocks so
 * callers may feed any split of the data and get the same digest.
 */
#include "lm_md5.h"

#include <string.h>

/* T[i] = floor(|sin(i + 1)| * 2^32), RFC 1321 section 3.4. */
static const uint32_t md5_t[64] = {
    0xd76aa478u, 0xe8c7b756u, 0x242070dbu, 0xc1bdceeeu,
    0xf57c0fafu, 0x4787c62au, 0xa8304613u, 0xfd469501u,
    0x698098d8u, 0x8b44f7afu, 0xffff5bb1u, 0x895cd7beu,
    0x6b901122u, 0xfd987193u, 0xa679438eu, 0x49b40821u,
    0xf61e2562u, 0xc040b340u, 0x265e5a51u, 0xe9b6c7aau,
    0xd62f105du, 0x02441453u, 0xd8a1e681u, 0xe7d3fbc8u,
    0x21e1cde6u, 0xc33707d6u, 0xf4d50d87u, 0x455a14edu,
    0xa9e3e905u, 0xfcefa3f8u, 0x676f02d9u, 0x8d2a4c8au,
    0xfffa3942u, 0x8771f681u, 0x6d9d6122u, 0xfde5380cu,
    0xa4beea44u, 0x4bdecfa9u, 0xf6bb4b60u, 0xbebfbc70u,
    0x289b7ec6u, 0xeaa127fau, 0xd4ef3085u, 0x04881d05u,
    0xd9d4d039u, 0xe6db99e5u, 0x1fa27cf8u, 0xc4ac5665u,
    0xf4292244u, 0x432aff97u, 0xab9423a7u, 0xfc93a039u,
    0x655b59c3u, 0x8f0ccc92u, 0xffeff47du, 0x85845dd1u,
    0x6fa87e4fu, 0xfe2ce6e0u, 0xa3014314u, 0x4e0811a1u,
    0xf7537e82u, 0xbd3af235u, 0x2ad7d2bbu, 0xeb86d391u,
};

/* The four auxiliary functions of RFC 1321 section 3.4, F and G in the
 * equivalent forms that need one operation fewer. */
#define MD5_F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MD5_G(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define MD5_H(x, y, z) ((x) ^ (y) ^ (z))
#define MD5_I(x, y, z) ((y) ^ ((x) | ~(z)))

/* a = b + ((a + f(b, c, d) + X[k] + T[i]) <<< s) */
#define MD5_STEP(f, a, b, c, d, x, t, s)                                       \
    do {                                                                      \
        (a) += f((b), (c), (d)) + (x) + (t);                                  \
        (a) = ((a) << (s) | (a) >> (32 - (s))) + (b);                         \
    } while (0)

static void md5_block(uint32_t state[4], const unsigned char *p)
{
    uint32_t m[16];
    /* MD5 reads words little-endian regardless of the host. */
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
               (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;

    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    /* Each round is 16 steps; the registers rotate roles every step, so
     * four steps form one repeating unit.  Word order per round: k = i,
     * 5i + 1, 3i + 5 and 7i (mod 16). */
    for (int i = 0; i < 16; i += 4) {
        MD5_STEP(MD5_F, a, b, c, d, m[i], md5_t[i], 7);
        MD5_STEP(MD5_F, d, a, b, c, m[i + 1], md5_t[i + 1], 12);
        MD5_STEP(MD5_F, c, d, a, b, m[i + 2], md5_t[i + 2], 17);
        MD5_STEP(MD5_F, b, c, d, a, m[i + 3], md5_t[i + 3], 22);
    }
    for (int i = 0; i < 16; i += 4) {
        MD5_STEP(MD5_G, a, b, c, d, m[(5 * i + 1) & 15], md5_t[16 + i], 5);
        MD5_STEP(MD5_G, d, a, b, c, m[(5 * i + 6) & 15], md5_t[17 + i], 9);
        MD5_STEP(MD5_G, c, d, a, b, m[(5 * i + 11) & 15], md5_t[18 + i], 14);
        MD5_STEP(MD5_G, b, c, d, a, m[(5 * i + 16) & 15], md5_t[19 + i], 20);
    }
    for (int i = 0; i < 16; i += 4) {
        MD5_STEP(MD5_H, a, b, c, d, m[(3 * i + 5) & 15], md5_t[32 + i], 4);
        MD5_STEP(MD5_H, d, a, b, c, m[(3 * i + 8) & 15], md5_t[33 + i], 11);
        MD5_STEP(MD5_H, c, d, a, b, m[(3 * i + 11) & 15], md5_t[34 + i], 16);
        MD5_STEP(MD5_H, b, c, d, a, m[(3 * i + 14) & 15], md5_t[35 + i], 23);
    }
    for (int i = 0; i < 16; i += 4) {
        MD5_STEP(MD5_I, a, b, c, d, m[(7 * i) & 15], md5_t[48 + i], 6);
        MD5_STEP(MD5_I, d, a, b, c, m[(7 * i + 7) & 15], md5_t[49 + i], 10);
        MD5_STEP(MD5_I, c, d, a, b, m[(7 * i + 14) & 15], md5_t[50 + i], 15);
        MD5_STEP(MD5_I, b, c, d, a, m[(7 * i + 21) & 15], md5_t[51 + i], 21);
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
}

void lm_md5_init(lm_md5 *m)
{
    m->state[0] = 0x67452301u;
    m->state[1] = 0xefcdab89u;
    m->state[2] = 0x98badcfeu;
    m->state[3] = 0x10325476u;
    m->length = 0;
    m->block_len = 0;
}

void lm_md5_update(lm_md5 *m, const void *data, size_t len)
{
    const unsigned char *p = data;
    m->length += len;
    if (m->block_len) {
        size_t take = 64 - m->block_len;
        if (take > len)
            take = len;
        memcpy(m->block + m->block_len, p, take);
        m->block_len += take;
        p += take;
        len -= take;
        if (m->block_len < 64)
            return;
        md5_block(m->state, m->block);
        m->block_len = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        md5_block(m->state, p);
    if (len) {
        memcpy(m->block, p, len);
        m->block_len = len;
    }
}

void lm_md5_final(lm_md5 *m, unsigned char digest[16])
{
    uint64_t bits = m->length * 8;
    /* Pad with 0x80 then zeros up to 56 mod 64, then the bit length. */
    unsigned char pad[72] = {0x80};
    size_t pad_len = (m->block_len < 56 ? 56 : 120) - m->block_len;
    for (int i = 0; i < 8; i++)
        pad[pad_len + (size_t)i] = (unsigned char)(bits >> (8 * i));
    uint64_t keep = m->length;
    lm_md5_update(m, pad, pad_len + 8);
    m->length = keep;
    for (int i = 0; i < 4; i++) {
        digest[4 * i] = (unsigned char)m->state[i];
        digest[4 * i + 1] = (unsigned char)(m->state[i] >> 8);
        digest[4 * i + 2] = (unsigned char)(m->state[i] >> 16);
        digest[4 * i + 3] = (unsigned char)(m->state[i] >> 24);
    }
}

void lm_md5_final_hex(lm_md5 *m, char hex[33])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char digest[16];
    lm_md5_final(m, digest);
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[32] = '\0';
}
