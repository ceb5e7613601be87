/*
 * Tests for nlp/encoder/lm_bf16 (the AVX512_BF16 matrix product) against
 * a double-precision reference on shapes that cut every block and tile
 * unevenly: m and n not multiples of the 12 x 32 tile, k odd and beyond
 * the 4096-value k block (one and two cuts), one row, one column.  The bound is the one
 * lm_bf16.h states: each product rounded twice to bf16 (2^-8 relative
 * each) and summed in f32, so
 *   |C - exact| <= (2^-7 + 2^-16 + k 2^-24) sum_k |a_k w_k|  (+ |C0| 2^-23
 * when accumulating onto C0).  Also: C += mode, the same row giving the
 * same bits whatever m and its position, and bit-exact packing of values
 * bf16 holds exactly.  Skipped (with a message) on CPUs without
 * AVX512_BF16.
 */
#include "../nlp/encoder/lm_bf16.h"
#include "lm_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static float urand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (float)((rng * 0x2545F4914F6CDD1DULL) >> 40) / (float)(1 << 24) * 2.0f - 1.0f;
}

/* LM_SKIP returns from the test itself: a macro, not a helper function. */
#define SKIP_WITHOUT_CPU()                                                                      \
    do {                                                                                        \
        if (!lm_bf16_supported())                                                               \
            LM_SKIP("this CPU has no AVX512_BF16 (or LITMINE_CPU_NO_AVX512BF16 is set)");       \
    } while (0)

static uint32_t *scratch_new(void)
{
    return aligned_alloc(64, LM_BF16_SCRATCH_WORDS * sizeof(uint32_t));
}

/* Packs w (n x k) into *pw and computes c (m x n) = a (m x k) W^T;
 * returns the scratch buffer, for more products. */
static uint32_t *packed_product(lm_bf16_weights *pw, const float *w, int n, int k, int m,
                                const float *a, float *c)
{
    lm_error err;
    LM_CHECK(lm_bf16_pack(pw, w, n, k, &err) == LM_OK);
    uint32_t *scratch = scratch_new();
    lm_bf16_gemm(m, a, k, pw, c, n, 0, scratch);
    return scratch;
}

/* Worst ratio of |got - exact| to the stated bound over C (m x n). */
static double check_shape(int m, int n, int k, int accumulate)
{
    int lda = k + 3, ldc = n + 5;   /* strides wider than the rows */
    float *a = malloc((size_t)m * (size_t)lda * sizeof *a);
    float *w = malloc((size_t)n * (size_t)k * sizeof *w);
    float *c = malloc((size_t)m * (size_t)ldc * sizeof *c);
    float *c0 = malloc((size_t)m * (size_t)ldc * sizeof *c0);
    for (size_t i = 0; i < (size_t)m * (size_t)lda; i++)
        a[i] = urand() * 3.0f;
    for (size_t i = 0; i < (size_t)n * (size_t)k; i++)
        w[i] = urand() * 0.05f;
    for (size_t i = 0; i < (size_t)m * (size_t)ldc; i++)
        c0[i] = c[i] = urand();
    lm_bf16_weights pw;
    lm_error err;
    LM_CHECK(lm_bf16_pack(&pw, w, n, k, &err) == LM_OK);
    uint32_t *scratch = scratch_new();
    lm_bf16_gemm(m, a, lda, &pw, c, ldc, accumulate, scratch);
    double worst = 0;
    double rel = ldexp(1, -7) + ldexp(1, -16) + k * ldexp(1, -24);
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            double exact = 0, mag = 0;
            for (int q = 0; q < k; q++) {
                double p = (double)a[(size_t)i * (size_t)lda + (size_t)q] *
                           (double)w[(size_t)j * (size_t)k + (size_t)q];
                exact += p;
                mag += fabs(p);
            }
            double base = accumulate ? c0[(size_t)i * (size_t)ldc + (size_t)j] : 0.0;
            double got = c[(size_t)i * (size_t)ldc + (size_t)j];
            double bound = rel * mag + fabs(base) * ldexp(1, -23) + 1e-30;
            double r = fabs(got - (exact + base)) / bound;
            if (!(r <= worst))
                worst = isnan(r) ? INFINITY : r;
        }
        /* the padding between rows is never written */
        for (int j = n; j < ldc; j++)
            LM_CHECK(c[(size_t)i * (size_t)ldc + (size_t)j] == c0[(size_t)i * (size_t)ldc + (size_t)j]);
    }
    lm_bf16_weights_free(&pw);
    free(scratch);
    free(a);
    free(w);
    free(c);
    free(c0);
    return worst;
}

static void test_odd_shapes(void)
{
    SKIP_WITHOUT_CPU();
    static const int shapes[][3] = {
        {1, 1, 1},    {1, 33, 7},   {13, 31, 5},   {12, 32, 256}, {11, 65, 257},
        {193, 47, 513}, {200, 100, 99}, {25, 96, 768}, {7, 17, 1001}, {13, 33, 4099},
        {3, 40, 8193},
    };
    double worst = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int acc = 0; acc < 2; acc++) {
            double r = check_shape(shapes[s][0], shapes[s][1], shapes[s][2], acc);
            if (r > 1.0)
                fprintf(stderr, "    %d x %d x %d (%s): error %.2f x the bound\n", shapes[s][0],
                        shapes[s][1], shapes[s][2], acc ? "C +=" : "C =", r);
            LM_CHECK(r <= 1.0);
            worst = r > worst ? r : worst;
        }
    fprintf(stderr, "  worst error: %.3f of the bf16 bound\n", worst);
}

/* Values bf16 holds exactly (small integers times powers of two) give
 * the exact product: the packing puts every element where the kernel
 * expects it. */
static void test_exact_values(void)
{
    SKIP_WITHOUT_CPU();
    int m = 29, n = 45, k = 37;
    float *a = malloc((size_t)m * k * sizeof *a), *w = malloc((size_t)n * k * sizeof *w);
    float *c = malloc((size_t)m * n * sizeof *c);
    for (int i = 0; i < m * k; i++)
        a[i] = (float)((i * 7) % 11 - 5);
    for (int i = 0; i < n * k; i++)
        w[i] = (float)((i * 5) % 9 - 4) * 0.25f;
    lm_bf16_weights pw;
    uint32_t *scratch = packed_product(&pw, w, n, k, m, a, c);
    int bad = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float exact = 0;
            for (int q = 0; q < k; q++)
                exact += a[i * k + q] * w[j * k + q];
            bad += c[i * n + j] != exact;
        }
    LM_CHECK_INT(bad, 0);
    LM_CHECK_INT(pw.kp, 38);
    lm_bf16_weights_free(&pw);
    free(scratch);
    free(a);
    free(w);
    free(c);
}

/* A row's result does not depend on how many rows come with it or where
 * it sits (batching, thread count). */
static void test_rows_independent(void)
{
    SKIP_WITHOUT_CPU();
    int m = 211, n = 70, k = 300;
    float *a = malloc((size_t)m * k * sizeof *a), *w = malloc((size_t)n * k * sizeof *w);
    float *all = malloc((size_t)m * n * sizeof *all), *one = malloc((size_t)n * sizeof *one);
    for (int i = 0; i < m * k; i++)
        a[i] = urand();
    for (int i = 0; i < n * k; i++)
        w[i] = urand();
    lm_bf16_weights pw;
    uint32_t *scratch = packed_product(&pw, w, n, k, m, a, all);
    int bad = 0;
    for (int i = 0; i < m; i += 17) {
        lm_bf16_gemm(1, a + (size_t)i * k, k, &pw, one, n, 0, scratch);
        bad += memcmp(one, all + (size_t)i * n, (size_t)n * sizeof *one) != 0;
    }
    LM_CHECK_INT(bad, 0);
    lm_bf16_weights_free(&pw);
    free(scratch);
    free(a);
    free(w);
    free(all);
    free(one);
}

int main(void)
{
    LM_RUN(test_odd_shapes);
    LM_RUN(test_exact_values);
    LM_RUN(test_rows_independent);
    return LM_DONE();
}
