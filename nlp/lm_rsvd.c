/*
 * The randomized SVD (see lm_rsvd.h).
 *
 * LAPACK comes from OpenBLAS through the reference Fortran interface
 * (<lapack.h>): litmine links libopenblas, which exports sgeqrf_, sorgqr_
 * and dsyevd_, but not the LAPACKE C wrappers.
 */
#include "lm_rsvd.h"

#include "../util/lm_rand.h"

#include <cblas.h>
#include <lapack.h>
#include <stdlib.h>
#include <string.h>

void lm_csr_free(lm_csr *a)
{
    free(a->ptr);
    free(a->col);
    free(a->val);
    memset(a, 0, sizeof *a);
}

/* dst[0..l) += v * src[0..l).  Eight independent lanes per step let the
 * compiler's straight-line (SLP) vectoriser use SIMD at the -O2 the
 * project builds with; a plain loop stays scalar. */
static void axpy8(float *restrict dst, const float *restrict src, float v, int l)
{
    int c = 0;
    for (; c + 8 <= l; c += 8) {
        dst[c] += v * src[c];
        dst[c + 1] += v * src[c + 1];
        dst[c + 2] += v * src[c + 2];
        dst[c + 3] += v * src[c + 3];
        dst[c + 4] += v * src[c + 4];
        dst[c + 5] += v * src[c + 5];
        dst[c + 6] += v * src[c + 6];
        dst[c + 7] += v * src[c + 7];
    }
    for (; c < l; c++)
        dst[c] += v * src[c];
}

/* Y (rows x l) = A X, X is cols x l. */
static void csr_mul(const lm_csr *a, const float *x, int l, float *y)
{
    for (size_t i = 0; i < a->rows; i++) {
        float *yr = y + i * (size_t)l;
        memset(yr, 0, (size_t)l * sizeof *yr);
        for (size_t p = a->ptr[i]; p < a->ptr[i + 1]; p++)
            axpy8(yr, x + (size_t)a->col[p] * l, a->val[p], l);
    }
}

/* Z (cols x l) = A^T Y, Y is rows x l. */
static void csr_mul_t(const lm_csr *a, const float *y, int l, float *z)
{
    memset(z, 0, a->cols * (size_t)l * sizeof *z);
    for (size_t i = 0; i < a->rows; i++) {
        const float *yr = y + i * (size_t)l;
        for (size_t p = a->ptr[i]; p < a->ptr[i + 1]; p++)
            axpy8(z + (size_t)a->col[p] * l, yr, a->val[p], l);
    }
}

/* Replaces the rows x l row-major block y by an orthonormal basis of its
 * column space (Householder QR).  tmp holds rows * l floats. */
static int orthonormalize(float *y, size_t rows, int l, float *tmp)
{
    for (size_t i = 0; i < rows; i++)
        for (int c = 0; c < l; c++)
            tmp[(size_t)c * rows + i] = y[i * (size_t)l + c];
    lapack_int m = (lapack_int)rows, n = l, info = 0, lwork = -1;
    float *tau = malloc((size_t)l * sizeof *tau), wq = 0;
    if (!tau)
        return -1;
    LAPACK_sgeqrf(&m, &n, tmp, &m, tau, &wq, &lwork, &info);
    lwork = (lapack_int)wq + 1;
    float wq2 = 0;
    lapack_int lw2 = -1;
    LAPACK_sorgqr(&m, &n, &n, tmp, &m, tau, &wq2, &lw2, &info);
    if ((lapack_int)wq2 + 1 > lwork)
        lwork = (lapack_int)wq2 + 1;
    float *work = malloc((size_t)lwork * sizeof *work);
    if (!work) {
        free(tau);
        return -1;
    }
    LAPACK_sgeqrf(&m, &n, tmp, &m, tau, work, &lwork, &info);
    if (info == 0)
        LAPACK_sorgqr(&m, &n, &n, tmp, &m, tau, work, &lwork, &info);
    free(work);
    free(tau);
    if (info != 0)
        return -1;
    for (size_t i = 0; i < rows; i++)
        for (int c = 0; c < l; c++)
            y[i * (size_t)l + c] = tmp[(size_t)c * rows + i];
    return 0;
}

void lm_rsvd_free(lm_rsvd *r)
{
    free(r->q);
    free(r->z);
    free(r->vecs);
    free(r->vals);
    memset(r, 0, sizeof *r);
}

lm_status lm_rsvd_run(const lm_csr *a, int l, int power_iters, uint64_t seed, lm_rsvd *out,
                      lm_error *err)
{
    memset(out, 0, sizeof *out);
    size_t rows = a->rows, cols = a->cols;
    size_t big = rows > cols ? rows : cols;
    out->rows = rows;
    out->cols = cols;
    out->l = l;
    float *omega = malloc(cols * (size_t)l * sizeof *omega);
    float *y = malloc(rows * (size_t)l * sizeof *y);
    float *z = malloc(cols * (size_t)l * sizeof *z);
    float *tmp = malloc(big * (size_t)l * sizeof *tmp);
    float *g = malloc((size_t)l * l * sizeof *g);
    double *gd = malloc((size_t)l * l * sizeof *gd), *ev = malloc((size_t)l * sizeof *ev);
    lm_status st = LM_OK;
    if (!omega || !y || !z || !tmp || !g || !gd || !ev) {
        st = lm_error_nomem(err, "in the randomized SVD");
        goto done;
    }
    for (size_t i = 0; i < cols * (size_t)l; i++)
        omega[i] = lm_rand_gauss(&seed);
    csr_mul(a, omega, l, y);
    if (orthonormalize(y, rows, l, tmp) != 0)
        goto lapack_fail;
    for (int it = 0; it < power_iters; it++) {
        csr_mul_t(a, y, l, z);
        if (orthonormalize(z, cols, l, tmp) != 0)
            goto lapack_fail;
        csr_mul(a, z, l, y);
        if (orthonormalize(y, rows, l, tmp) != 0)
            goto lapack_fail;
    }
    /* Z = A^T Q (cols x l); its Gram Z^T Z = U S^2 U^T. */
    csr_mul_t(a, y, l, z);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, l, l, (int)cols, 1.0f, z, l, z, l,
                0.0f, g, l);
    for (size_t i = 0; i < (size_t)l * l; i++)
        gd[i] = g[i];
    {
        lapack_int n = l, info = 0, lwork = -1, liwork = -1, iwq = 0;
        double wq = 0;
        char jobz = 'V', uplo = 'U';
        LAPACK_dsyevd(&jobz, &uplo, &n, gd, &n, ev, &wq, &lwork, &iwq, &liwork, &info);
        lwork = (lapack_int)wq + 1;
        liwork = iwq + 1;
        double *work = malloc((size_t)lwork * sizeof *work);
        lapack_int *iwork = malloc((size_t)liwork * sizeof *iwork);
        if (!work || !iwork) {
            free(work);
            free(iwork);
            st = lm_error_nomem(err, "in the randomized SVD");
            goto done;
        }
        LAPACK_dsyevd(&jobz, &uplo, &n, gd, &n, ev, work, &lwork, iwork, &liwork, &info);
        free(work);
        free(iwork);
        if (info != 0)
            goto lapack_fail;
    }
    out->q = y;
    out->z = z;
    out->vecs = gd;
    out->vals = ev;
    y = z = NULL;
    gd = ev = NULL;
    goto done;
lapack_fail:
    st = lm_error_set(err, LM_ERR_USAGE, "randomized SVD: LAPACK failed (degenerate data?)");
done:
    free(omega);
    free(y);
    free(z);
    free(tmp);
    free(g);
    free(gd);
    free(ev);
    return st;
}
