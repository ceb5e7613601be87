/*
 * SHA-256, written from FIPS 180-4 (sections 4.1.2, 5.3.3 and 6.2).
 *
 * The message schedule is kept as a rolling 16-word window instead of the
 * full 64 words, and the eight working variables are renamed by shifting
 * them each round; compilers turn the round loop into register moves.
 * A plain C implementation hashes some 200-400 MB/s on current CPUs: a
 * BERT-base weights file takes one to two seconds, next to minutes of
 * download.
 */
#include "lm_sha256.h"

#include <string.h>

/* First 32 bits of the fractional parts of the cube roots of the first 64
 * primes (FIPS 180-4 section 4.2.2). */
static const uint32_t sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u,
    0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
    0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu,
    0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
    0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u,
    0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u,
    0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
    0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

static uint32_t rotr(uint32_t x, int n)
{
    return x >> n | x << (32 - n);
}

static void sha256_compress(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[16];
    for (int i = 0; i < 16; i++)   /* big-endian words */
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    uint32_t e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int t = 0; t < 64; t++) {
        uint32_t wt;
        if (t < 16) {
            wt = w[t];
        } else {
            /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], in a
             * window indexed mod 16. */
            uint32_t w2 = w[(t - 2) & 15], w15 = w[(t - 15) & 15];
            uint32_t s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3);
            uint32_t s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10);
            wt = w[t & 15] = s1 + w[(t - 7) & 15] + s0 + w[t & 15];
        }
        uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                      sha256_k[t] + wt;
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

void lm_sha256_init(lm_sha256 *s)
{
    /* First 32 bits of the fractional parts of the square roots of the
     * first 8 primes (section 5.3.3). */
    static const uint32_t iv[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                   0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    memcpy(s->h, iv, sizeof iv);
    s->length = 0;
    s->block_len = 0;
}

void lm_sha256_update(lm_sha256 *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    s->length += len;
    while (len > 0) {
        if (s->block_len == 0 && len >= 64) {
            sha256_compress(s->h, p);   /* whole blocks straight from input */
            p += 64;
            len -= 64;
            continue;
        }
        size_t room = 64 - s->block_len, n = len < room ? len : room;
        memcpy(s->block + s->block_len, p, n);
        s->block_len += n;
        p += n;
        len -= n;
        if (s->block_len == 64) {
            sha256_compress(s->h, s->block);
            s->block_len = 0;
        }
    }
}

void lm_sha256_final(lm_sha256 *s, unsigned char digest[32])
{
    uint64_t bits = s->length * 8;
    /* 0x80, zeros to 56 mod 64, then the bit length big-endian. */
    unsigned char tail[72];
    size_t n = (s->block_len < 56 ? 56 : 120) - s->block_len;
    memset(tail, 0, sizeof tail);
    tail[0] = 0x80;
    for (int i = 0; i < 8; i++)
        tail[n + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
    lm_sha256_update(s, tail, n + 8);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (unsigned char)(s->h[i] >> 24);
        digest[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
        digest[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
        digest[4 * i + 3] = (unsigned char)s->h[i];
    }
}

void lm_sha256_final_hex(lm_sha256 *s, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char d[32];
    lm_sha256_final(s, d);
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
}
