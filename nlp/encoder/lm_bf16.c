/*
 * The bf16 matrix product (see lm_bf16.h for layout and accuracy).
 *
 * Blocking: k is taken whole up to KC = 4096 (cut into blocks beyond).
 * Each 12-row panel of A is rounded and packed (at most 96 KB, in L2),
 * then the micro-kernel runs it against every 32-column panel of W in
 * turn, W streaming sequentially from L2/L3 (128 bytes per 24 VDPBF16PS:
 * the hardware prefetcher keeps up).  On the Zen 4 this was tuned on,
 * that order ran at ~205 GFLOP/s against 150-165 for the classic Goto
 * blocking (KC = 256, MC = 192, W's slice held in L1), because each C tile
 * is loaded and stored once rather than once per k block and the
 * kernel's fixed costs spread over the whole k.  The micro-kernel holds a
 * 12 x 32 tile of C in 24 of the 32 ZMM registers; per k pair it loads two
 * vectors of W and broadcasts each row's pair of A, 24 VDPBF16PS for 14
 * loads.  Tiles at the edges are computed whole (A's padding rows are
 * zeros, W's padding columns too) and stored under masks, so every row
 * takes the same instructions whatever its position: results do not
 * depend on m.
 *
 * Only this file's kernels carry target("avx512f,avx512bf16"); the rest of
 * the build stays x86-64 baseline, and lm_bf16_supported() says whether
 * they may be called.
 */
#include "lm_bf16.h"

#include "../../util/lm_cpu.h"

#include <stdlib.h>
#include <string.h>

#define MR 12
#define NR 32
#define KC 4096

_Static_assert(KC % 32 == 0, "k blocks are whole 32-value chunks");
_Static_assert((size_t)MR * KC / 2 == LM_BF16_SCRATCH_WORDS, "scratch holds one A panel");

int lm_bf16_supported(void)
{
    return lm_cpu_has_avx512bf16();
}

/* f32 -> bf16 bits as VCVTNE2PS2BF16 rounds: to nearest even, inputs
 * below the normal range as zero, NaN kept quiet. */
static uint16_t to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7F800000u) == 0)
        return (uint16_t)((u >> 16) & 0x8000u);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u)
        return (uint16_t)((u >> 16) | 0x40u);
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

lm_status lm_bf16_pack(lm_bf16_weights *out, const float *w, int n, int k, lm_error *err)
{
    memset(out, 0, sizeof *out);
    int kp = k + (k & 1), panels = (n + NR - 1) / NR;
    size_t count = (size_t)panels * (size_t)kp * NR;
    /* 64-byte aligned: the kernel loads one vector per pair */
    uint16_t *p = aligned_alloc(64, (count * sizeof *p + 63) / 64 * 64);
    if (!p)
        return lm_error_nomem(err, "packing bf16 weights");
    memset(p, 0, count * sizeof *p);
    for (int col = 0; col < n; col++) {
        const float *row = w + (size_t)col * (size_t)k;
        uint16_t *dst = p + (size_t)(col / NR) * (size_t)kp * NR + (size_t)(col % NR) * 2;
        for (int i = 0; i < k; i++)
            dst[(size_t)(i / 2) * NR * 2 + (size_t)(i & 1)] = to_bf16(row[i]);
    }
    *out = (lm_bf16_weights){p, n, k, kp};
    return LM_OK;
}

void lm_bf16_weights_free(lm_bf16_weights *w)
{
    free(w->panels);
    memset(w, 0, sizeof *w);
}

size_t lm_bf16_weights_bytes(const lm_bf16_weights *w)
{
    return (size_t)((w->n + NR - 1) / NR) * (size_t)w->kp * NR * sizeof *w->panels;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bf16")))

static TARGET inline __mmask16 lane_mask(int n)
{
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

/* rows (<= MR) rows of A, kc columns (valid up to kvalid, the rest
 * zero), into one MR-row panel of kc/2 pairs: dst[pair][row]; rows past
 * the end are zeros. */
static TARGET void pack_a(const float *a, int lda, int rows, int kc, int kvalid, uint32_t *dst)
{
    int pairs = kc / 2;
    for (int r = 0; r < MR; r++) {
        uint32_t *col = dst + r;
        const float *src = a + (size_t)r * (size_t)lda;
        for (int kk = 0; kk < kc; kk += 32) {
            __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
            if (r < rows) {
                lo = _mm512_maskz_loadu_ps(lane_mask(kvalid - kk), src + kk);
                hi = _mm512_maskz_loadu_ps(lane_mask(kvalid - kk - 16), src + kk + 16);
            }
            /* 32 bf16 in k order: word q is the pair (kk + 2q, kk + 2q + 1) */
            uint32_t words[16] __attribute__((aligned(64)));
            _mm512_store_si512(words, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
            int q_end = pairs - kk / 2 < 16 ? pairs - kk / 2 : 16;
            uint32_t *d = col + (size_t)(kk / 2) * MR;
            for (int q = 0; q < q_end; q++)
                d[(size_t)q * MR] = words[q];
        }
    }
}

/* C tile (rows x cols, at most MR x NR) (+)= A panel x W panel slice. */
static TARGET void kernel(int pairs, const uint32_t *a, const uint16_t *b, float *c, size_t ldc,
                          int rows, int cols, int accumulate)
{
    __m512 c0[MR], c1[MR];
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++)
        c0[i] = c1[i] = _mm512_setzero_ps();
    for (int p = 0; p < pairs; p++, a += MR, b += 2 * NR) {
        __m512bh b0 = (__m512bh)_mm512_load_si512(b), b1 = (__m512bh)_mm512_load_si512(b + NR);
#pragma GCC unroll 12
        for (int i = 0; i < MR; i++) {
            __m512bh ai = (__m512bh)_mm512_set1_epi32((int)a[i]);
            c0[i] = _mm512_dpbf16_ps(c0[i], ai, b0);
            c1[i] = _mm512_dpbf16_ps(c1[i], ai, b1);
        }
    }
    __mmask16 m0 = lane_mask(cols), m1 = lane_mask(cols - 16);
    for (int i = 0; i < rows; i++) {
        float *ci = c + (size_t)i * ldc;
        __m512 v0 = c0[i], v1 = c1[i];
        if (accumulate) {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, ci));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, ci + 16));
        }
        _mm512_mask_storeu_ps(ci, m0, v0);
        _mm512_mask_storeu_ps(ci + 16, m1, v1);
    }
}

void lm_bf16_gemm(int m, const float *a, int lda, const lm_bf16_weights *w, float *c, int ldc,
                  int accumulate, uint32_t *scratch)
{
    int panels = (w->n + NR - 1) / NR;
    for (int pc = 0; pc < w->kp; pc += KC) {
        int kc = w->kp - pc < KC ? w->kp - pc : KC;
        int acc = accumulate || pc > 0;
        for (int ic = 0; ic < m; ic += MR) {
            int rows = m - ic < MR ? m - ic : MR;
            pack_a(a + (size_t)ic * (size_t)lda + pc, lda, rows, kc, w->k - pc, scratch);
            for (int j = 0; j < panels; j++) {
                const uint16_t *bp = w->panels + ((size_t)j * (size_t)w->kp + (size_t)pc) * NR;
                int cols = w->n - j * NR < NR ? w->n - j * NR : NR;
                kernel(kc / 2, scratch, bp, c + (size_t)ic * (size_t)ldc + (size_t)j * NR,
                       (size_t)ldc, rows, cols, acc);
            }
        }
    }
}

#else

void lm_bf16_gemm(int m, const float *a, int lda, const lm_bf16_weights *w, float *c, int ldc,
                  int accumulate, uint32_t *scratch)
{
    /* unreachable: lm_bf16_supported() is 0 off x86-64 */
    (void)m, (void)a, (void)lda, (void)w, (void)c, (void)ldc, (void)accumulate, (void)scratch;
    abort();
}

#endif
