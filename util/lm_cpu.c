/*
 * CPU features by CPUID (see lm_cpu.h).  Cheap enough to ask each time:
 * callers ask once per model load.
 */
#include "lm_cpu.h"

#include <stdint.h>
#include <stdlib.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

int lm_cpu_has_avx512bf16(void)
{
    const char *off = getenv("LITMINE_CPU_NO_AVX512BF16");
    if (off && *off)
        return 0;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)))   /* OSXSAVE */
        return 0;
    /* XCR0: SSE, AVX, opmask, ZMM0-15 upper halves, ZMM16-31 */
    if ((xgetbv0() & 0xE6) != 0xE6)
        return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 16)))   /* AVX512F */
        return 0;
    if (a < 1)
        return 0;   /* no sub-leaf 1 */
    __get_cpuid_count(7, 1, &a, &b, &c, &d);
    return (a >> 5) & 1;   /* AVX512_BF16 */
}

#else

int lm_cpu_has_avx512bf16(void)
{
    return 0;
}

#endif
