/*
 * lm_rsvd: the randomized SVD of a sparse matrix (Halko, Martinsson and
 * Tropp 2011), shared by the LSA embedding (lm_embed) and the NER word
 * clusters (nlp/train/lm_ner_cluster.c).
 *
 * A range finder: Y = A Omega for a Gaussian Omega of l columns, then
 * power iterations Y <- A (A^T Y) with a QR orthonormalisation (LAPACK)
 * after each product, so that a spectrum that decays slowly still gives
 * the top singular directions; then the small l x l problem: with Q = the
 * orthonormal Y and Z = A^T Q, the eigen-decomposition of Z^T Z = U S^2
 * U^T.  Callers turn that into what they need: the right side Z U (the
 * embedding's projection of features) or the left side Q U (the clusters'
 * word vectors), each with its own power of S.
 *
 * Deterministic for a given seed (util/lm_rand), single-threaded apart
 * from OpenBLAS; memory is (rows + cols) x l floats and a copy.
 */
#ifndef LM_RSVD_H
#define LM_RSVD_H

#include "../util/lm_error.h"

#include <stddef.h>
#include <stdint.h>

/* A sparse matrix in compressed rows. */
typedef struct lm_csr {
    size_t rows, cols;
    size_t *ptr;              /* rows + 1 */
    uint32_t *col;
    float *val;
} lm_csr;

void lm_csr_free(lm_csr *a);

typedef struct lm_rsvd {
    size_t rows, cols;
    int l;                    /* basis columns (rank + oversampling) */
    float *q;                 /* rows x l, row-major: Q, orthonormal columns */
    float *z;                 /* cols x l, row-major: Z = A^T Q */
    double *vecs;             /* l x l, column-major: eigenvector j of Z^T Z in
                                 column j (vecs + j * l) */
    double *vals;             /* l eigenvalues (singular values squared), ascending */
} lm_rsvd;

/* Runs the range finder with l columns and power_iters iterations from
 * the Gaussian stream of seed.  LM_ERR_NOMEM, or LM_ERR_USAGE when LAPACK
 * fails (degenerate data).  out is freed by lm_rsvd_free in every case. */
lm_status lm_rsvd_run(const lm_csr *a, int l, int power_iters, uint64_t seed, lm_rsvd *out,
                      lm_error *err);
void lm_rsvd_free(lm_rsvd *r);

#endif
