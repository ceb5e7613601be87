/*
 * lm_bf16: the encoder's reduced-precision matrix product, C (+)= A W^T
 * with W's entries and A's rounded to bfloat16 and the products summed in
 * f32, on x86-64 CPUs with AVX512_BF16 (VDPBF16PS: 32 bf16 multiply-adds
 * into 16 f32 lanes per instruction, about twice the f32 FMA rate).
 *
 * W (n x k, row-major as a PyTorch Linear's weight) is packed once, at
 * model load, into the micro-kernel's layout: panels of NR = 32 output
 * columns, each a run of k/2 pairs of 32 columns x 2 consecutive k (one
 * 64-byte vector per pair), zero-padded at the right (n) and at the end
 * (odd k).  A (m x k, f32) is rounded and packed per call, 12 rows at
 * a time, into a scratch buffer of fixed size that the caller
 * owns (one per thread), so nothing is allocated per call.
 *
 * Rounding is to nearest even; inputs below the normal range count as
 * zero (what VCVTNE2PS2BF16 does).  Each row of C depends only on that row
 * of A and the products are summed in a fixed order, so results do not
 * depend on m, on how rows are batched, or on the thread count.  Error:
 * each product carries at most about 2^-7 of its magnitude (two
 * roundings of 2^-8), so |C - exact| <= ~2^-7 sum_k |a_k w_k| plus the
 * f32 summation error; tests/test-bf16.c checks that bound.
 *
 * Call lm_bf16_supported() before lm_bf16_gemm: it executes AVX-512
 * instructions (packing W is portable C).
 */
#ifndef LM_BF16_H
#define LM_BF16_H

#include "../../util/lm_error.h"

#include <stddef.h>
#include <stdint.h>

/* Scratch for lm_bf16_gemm, in 32-bit words (96 KB): one 12-row panel
 * of A, up to 4096 values of k. */
#define LM_BF16_SCRATCH_WORDS ((size_t)12 * 2048)

typedef struct lm_bf16_weights {
    uint16_t *panels;   /* ceil(n / 32) panels of kp/2 pairs x 32 x 2 */
    int n, k, kp;       /* kp: k rounded up to even */
} lm_bf16_weights;

/* Whether this CPU (and operating system) runs the kernels. */
int lm_bf16_supported(void);

/* Packs w (n x k f32, row stride k) into out. */
lm_status lm_bf16_pack(lm_bf16_weights *out, const float *w, int n, int k, lm_error *err);
void lm_bf16_weights_free(lm_bf16_weights *w);
size_t lm_bf16_weights_bytes(const lm_bf16_weights *w);

/* C (m x w->n, row stride ldc) = A W^T, or C += A W^T when accumulate;
 * A is m x w->k with row stride lda.  scratch: LM_BF16_SCRATCH_WORDS,
 * 64-byte aligned. */
void lm_bf16_gemm(int m, const float *a, int lda, const lm_bf16_weights *w, float *c, int ldc,
                  int accumulate, uint32_t *scratch);

#endif
