/*
 * Tests for nlp/lm_rsvd, the randomized SVD the embedding and the word
 * clusters share: on a sparse matrix with known singular values (a
 * permuted diagonal) the top eigenvalues of Z^T Z are the squared
 * singular values, Q has orthonormal columns, the same seed gives the
 * same result, and an empty matrix fails cleanly.
 */
#include "../nlp/lm_rsvd.h"
#include "lm_test.h"

#include <math.h>

/* rows x cols with entry (i, (7 i) mod cols) = s_i: singular values s. */
static void permuted_diagonal(lm_csr *a, size_t rows, size_t cols, const float *s)
{
    a->rows = rows;
    a->cols = cols;
    a->ptr = calloc(rows + 1, sizeof *a->ptr);
    a->col = malloc(rows * sizeof *a->col);
    a->val = malloc(rows * sizeof *a->val);
    for (size_t i = 0; i < rows; i++) {
        a->ptr[i + 1] = i + 1;
        a->col[i] = (uint32_t)((7 * i) % cols);
        a->val[i] = s[i];
    }
}

static void test_known_spectrum(void)
{
    enum { R = 40, C = 41, L = 12 };   /* 7 and 41 coprime: distinct columns */
    float s[R];
    for (int i = 0; i < R; i++)
        s[i] = (float)(R - i);          /* 40, 39, ..., 1 */
    lm_csr a = {0};
    permuted_diagonal(&a, R, C, s);
    lm_rsvd r;
    lm_error err;
    LM_CHECK(lm_rsvd_run(&a, L, 4, 42, &r, &err) == LM_OK);
    LM_CHECK(r.l == L && r.rows == R && r.cols == C);
    /* the largest eigenvalues are the top singular values squared */
    for (int j = 0; j < 4; j++)
        LM_CHECK(fabs(sqrt(r.vals[L - 1 - j]) - s[j]) < 0.05 * s[j]);
    for (int j = 1; j < L; j++)
        LM_CHECK(r.vals[j] >= r.vals[j - 1]);
    /* Q^T Q = I */
    double worst = 0;
    for (int p = 0; p < L; p++)
        for (int q = 0; q < L; q++) {
            double d = 0;
            for (int i = 0; i < R; i++)
                d += (double)r.q[i * L + p] * r.q[i * L + q];
            double e = fabs(d - (p == q));
            worst = e > worst ? e : worst;
        }
    LM_CHECK(worst < 1e-4);
    /* deterministic for a seed */
    lm_rsvd r2;
    LM_CHECK(lm_rsvd_run(&a, L, 4, 42, &r2, &err) == LM_OK);
    LM_CHECK(memcmp(r.z, r2.z, (size_t)C * L * sizeof *r.z) == 0);
    lm_rsvd_free(&r2);
    lm_rsvd_free(&r);
    lm_csr_free(&a);
}

static void test_degenerate(void)
{
    lm_csr a = {0};
    a.rows = 3;
    a.cols = 3;
    a.ptr = calloc(4, sizeof *a.ptr);   /* all zeros */
    a.col = malloc(1);
    a.val = malloc(1);
    lm_rsvd r;
    lm_error err;
    lm_status st = lm_rsvd_run(&a, 2, 1, 1, &r, &err);
    /* an all-zero matrix either factors to zeros or is refused cleanly */
    LM_CHECK(st == LM_OK || st == LM_ERR_USAGE);
    if (st == LM_OK)
        LM_CHECK(fabs(r.vals[1]) < 1e-6);
    lm_rsvd_free(&r);
    lm_csr_free(&a);
}

int main(void)
{
    LM_RUN(test_known_spectrum);
    LM_RUN(test_degenerate);
    return LM_DONE();
}
