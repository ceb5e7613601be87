/*
 * lm_le: little-endian 32-bit integers in byte buffers, the layout of every
 * litmine model file and vector BLOB, whatever the host's byte order.  Floats
 * travel as their IEEE-754 bit patterns (lm_f32_bits), so a stored float
 * reads back bit for bit.
 */
#ifndef LM_LE_H
#define LM_LE_H

#include <stdint.h>
#include <string.h>

static inline void lm_le32_put(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static inline uint32_t lm_le32_get(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The bits of f as an integer, and back: memcpy, the defined way to
 * reinterpret (a union or pointer cast is not, in C11 with strict aliasing). */
static inline uint32_t lm_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float lm_f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

#endif
