/*
 * Word clusters for the NER features, learned from unlabeled abstracts.
 *
 * Rare biomedical words are where a tagger trained on a few hundred
 * abstracts is weakest; a cluster id lets "nifedipine" borrow what was
 * learned about "verapamil".  Brown clustering is the classic choice, but a
 * spectral method is simpler and fast here: each word is described by its
 * neighbours (positions -2, -1, +1, +2 among the 3000 most frequent words),
 * counts become positive PMI (context distribution smoothed with exponent
 * 0.75), a randomized SVD (range finder with two power iterations; the only
 * dense factorizations are of L x L Gram matrices, done by Jacobi rotations)
 * reduces them to 100 dimensions, and spherical k-means at three
 * granularities (K, K/4, K/16) gives the ids.  Words are keyed like the
 * feature extractor keys them (ner_word_key: lower case, digits -> 0).
 */
#include "../../util/lm_rand.h"
#include "../../util/lm_sort.h"
#include "../lm_ner_impl.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VOCAB 150000
#define N_CONTEXT 3000

typedef struct csr {
    size_t rows, cols;
    size_t *ptr;
    uint32_t *col;
    float *val;
} csr;

static void csr_free(csr *a)
{
    free(a->ptr);
    free(a->col);
    free(a->val);
}

/* Y (rows x L) = A X (cols x L) */
static void csr_mul(const csr *a, const float *x, float *y, int L)
{
    memset(y, 0, a->rows * (size_t)L * sizeof *y);
    for (size_t i = 0; i < a->rows; i++) {
        float *yi = y + i * (size_t)L;
        for (size_t k = a->ptr[i]; k < a->ptr[i + 1]; k++) {
            const float *xj = x + (size_t)a->col[k] * (size_t)L;
            float v = a->val[k];
            for (int l = 0; l < L; l++)
                yi[l] += v * xj[l];
        }
    }
}

/* Z (cols x L) = A^T Y (rows x L) */
static void csr_mul_t(const csr *a, const float *y, float *z, int L)
{
    memset(z, 0, a->cols * (size_t)L * sizeof *z);
    for (size_t i = 0; i < a->rows; i++) {
        const float *yi = y + i * (size_t)L;
        for (size_t k = a->ptr[i]; k < a->ptr[i + 1]; k++) {
            float *zj = z + (size_t)a->col[k] * (size_t)L;
            float v = a->val[k];
            for (int l = 0; l < L; l++)
                zj[l] += v * yi[l];
        }
    }
}

/* Eigen-decomposition of the symmetric n x n matrix a (destroyed) by cyclic
 * Jacobi rotations: eigenvalues to w, eigenvectors to the columns of v. */
static void jacobi_eigen(double *a, int n, double *w, double *v)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            v[i * n + j] = i == j;
    for (int sweep = 0; sweep < 60; sweep++) {
        double off = 0;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++)
                off += a[p * n + q] * a[p * n + q];
        if (off < 1e-22)
            break;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                if (fabs(apq) < 1e-300)
                    continue;
                double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++) {
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) {
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < n; k++) {
                    double vkp = v[k * n + p], vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
    }
    for (int i = 0; i < n; i++)
        w[i] = a[i * n + i];
}

/* Gram matrix G = Y^T Y (L x L, double) of Y (n x L). */
static void gram(const float *y, size_t n, int L, double *g)
{
    float *gf = malloc((size_t)L * (size_t)L * sizeof *gf);
    if (!gf) {
        memset(g, 0, (size_t)L * (size_t)L * sizeof *g);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L, L, (int)n, 1.0f, y, L, y, L, 0.0f,
                gf, L);
    for (int i = 0; i < L * L; i++)
        g[i] = gf[i];
    free(gf);
}

/* Y <- Y W diag(1/sqrt(lambda)) : orthonormal columns spanning Y. */
static int orthonormalize(float *y, size_t n, int L)
{
    double *g = malloc((size_t)L * L * sizeof *g), *v = malloc((size_t)L * L * sizeof *v);
    double *w = malloc((size_t)L * sizeof *w);
    float *t = malloc((size_t)L * L * sizeof *t), *y2 = malloc(n * (size_t)L * sizeof *y2);
    if (!g || !v || !w || !t || !y2) {
        free(g), free(v), free(w), free(t), free(y2);
        return -1;
    }
    gram(y, n, L, g);
    jacobi_eigen(g, L, w, v);
    double wmax = 0;
    for (int i = 0; i < L; i++)
        if (w[i] > wmax)
            wmax = w[i];
    for (int i = 0; i < L; i++)
        for (int j = 0; j < L; j++)
            t[i * L + j] = w[j] > wmax * 1e-10 ? (float)(v[i * L + j] / sqrt(w[j])) : 0.0f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, L, L, 1.0f, y, L, t, L, 0.0f,
                y2, L);
    memcpy(y, y2, n * (size_t)L * sizeof *y);
    free(g), free(v), free(w), free(t), free(y2);
    return 0;
}

/* Spherical k-means over unit rows of x (n x d); assignments to out. */
static int kmeans(const float *x, size_t n, int d, int K, int iters, uint64_t seed,
                  uint16_t *out)
{
    const size_t B = 4096;
    float *c = malloc((size_t)K * d * sizeof *c), *s = malloc(B * (size_t)K * sizeof *s);
    double *acc = malloc((size_t)K * d * sizeof *acc);
    int *asg = malloc(n * sizeof *asg);
    if (!c || !s || !acc || !asg) {
        free(c), free(s), free(acc), free(asg);
        return -1;
    }
    /* start from K distinct rows spread over the frequency ranking */
    uint64_t rs = seed | 1;
    for (int k = 0; k < K; k++) {
        size_t r = (size_t)(lm_rand_next(&rs) % n);
        memcpy(c + (size_t)k * d, x + r * (size_t)d, (size_t)d * sizeof *c);
    }
    for (size_t i = 0; i < n; i++)
        asg[i] = -1;
    for (int it = 0; it < iters; it++) {
        size_t changed = 0;
        for (size_t b0 = 0; b0 < n; b0 += B) {
            size_t nb = n - b0 < B ? n - b0 : B;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, K, d, 1.0f,
                        x + b0 * (size_t)d, d, c, d, 0.0f, s, K);
            for (size_t i = 0; i < nb; i++) {
                const float *si = s + i * (size_t)K;
                int best = 0;
                for (int k = 1; k < K; k++)
                    if (si[k] > si[best])
                        best = k;
                if (asg[b0 + i] != best) {
                    asg[b0 + i] = best;
                    changed++;
                }
            }
        }
        memset(acc, 0, (size_t)K * d * sizeof *acc);
        for (size_t i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                acc[(size_t)asg[i] * d + j] += x[i * (size_t)d + j];
        for (int k = 0; k < K; k++) {
            double nn = 0;
            for (int j = 0; j < d; j++)
                nn += acc[(size_t)k * d + j] * acc[(size_t)k * d + j];
            if (nn <= 0) {                            /* empty: reseed */
                size_t r = (size_t)(lm_rand_next(&rs) % n);
                memcpy(c + (size_t)k * d, x + r * (size_t)d, (size_t)d * sizeof *c);
                continue;
            }
            nn = 1 / sqrt(nn);
            for (int j = 0; j < d; j++)
                c[(size_t)k * d + j] = (float)(acc[(size_t)k * d + j] * nn);
        }
        if (changed < n / 1000)
            break;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = (uint16_t)(asg[i] + 1);
    free(c), free(s), free(acc), free(asg);
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct wc {
    uint64_t key;
    uint64_t count;
} wc;

static int cmp_wc(const void *a, const void *b)
{
    const wc *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

lm_status ner_clusters_learn(lm_ner_model *m, const char *text, size_t len, int k_fine,
                             int min_count, int dim, unsigned seed, lm_error *err)
{
    const int DIM = dim, RANK = dim + 28;
    const uint64_t MIN_COUNT = (uint64_t)(min_count > 0 ? min_count : 3);
    lm_spans sp;
    lm_spans_init(&sp);
    lm_status st = lm_token_split(text, len, &sp, err);
    if (st != LM_OK)
        return st;
    size_t nt = sp.n;
    int32_t *tid = malloc((nt + 1) * sizeof *tid);
    uint64_t *keys = malloc((nt + 1) * sizeof *keys);
    ner_map vocab;
    ner_map_init(&vocab);
    wc *words = NULL;
    uint64_t *pairs = NULL;
    csr A = {0};
    float *Y = NULL, *Z = NULL, *X = NULL;
    uint16_t *cl[NER_NCLUS] = {0};
    if (!tid || !keys) {
        st = lm_error_set(err, LM_ERR_NOMEM, "clusters: out of memory");
        goto done;
    }
    for (size_t i = 0; i < nt; i++) {
        keys[i] = ner_key(ner_word_key(text + sp.v[i].start, sp.v[i].end - sp.v[i].start));
        const uint64_t *v = ner_map_get(&vocab, keys[i]);
        if (ner_map_put(&vocab, keys[i], v ? *v + 1 : 1, 0) != LM_OK) {
            st = lm_error_set(err, LM_ERR_NOMEM, "clusters: out of memory");
            goto done;
        }
    }
    size_t nw = 0;
    words = malloc((vocab.n + 1) * sizeof *words);
    if (!words) {
        st = lm_error_set(err, LM_ERR_NOMEM, "clusters: out of memory");
        goto done;
    }
    for (size_t i = 0; i <= vocab.mask; i++)
        if (vocab.keys[i])
            words[nw++] = (wc){vocab.keys[i], vocab.vals[i]};
    lm_qsort(words, nw, sizeof *words, cmp_wc);
    size_t V = 0;
    while (V < nw && V < MAX_VOCAB && words[V].count >= MIN_COUNT)
        V++;
    size_t C = nw < N_CONTEXT ? nw : N_CONTEXT;
    if (V < 64 || C < 16) {
        st = lm_error_set(err, LM_ERR_USAGE, "clusters: too little text (%zu words)", V);
        goto done;
    }
    for (size_t r = 0; r < nw; r++)
        ner_map_put(&vocab, words[r].key, r, 0);
    for (size_t i = 0; i < nt; i++) {
        uint64_t r = *ner_map_get(&vocab, keys[i]);
        tid[i] = r < V ? (int32_t)r : -1;
    }
    /* co-occurrence pairs; contexts do not cross line breaks (documents) */
    pairs = malloc(4 * nt * sizeof *pairs + 8);
    if (!pairs) {
        st = lm_error_set(err, LM_ERR_NOMEM, "clusters: out of memory");
        goto done;
    }
    size_t np = 0;
    for (size_t i = 0; i < nt; i++) {
        if (tid[i] < 0)
            continue;
        static const int offs[4] = {-2, -1, 1, 2};
        for (int o = 0; o < 4; o++) {
            long j = (long)i + offs[o];
            if (j < 0 || (size_t)j >= nt || tid[j] < 0 || (size_t)tid[j] >= C)
                continue;
            size_t lo = offs[o] < 0 ? (size_t)j : i, hi = offs[o] < 0 ? i : (size_t)j;
            if (memchr(text + sp.v[lo].end, '\n', sp.v[hi].start - sp.v[lo].end))
                continue;
            pairs[np++] = (uint64_t)tid[i] << 32 | (uint64_t)((size_t)o * C + (size_t)tid[j]);
        }
    }
    lm_qsort(pairs, np, sizeof *pairs, cmp_u64);
    A.rows = V;
    A.cols = 4 * C;
    A.ptr = calloc(V + 1, sizeof *A.ptr);
    A.col = malloc((np + 1) * sizeof *A.col);
    A.val = malloc((np + 1) * sizeof *A.val);
    double *rowsum = calloc(V, sizeof *rowsum), *colsum = calloc(A.cols, sizeof *colsum);
    if (!A.ptr || !A.col || !A.val || !rowsum || !colsum) {
        free(rowsum), free(colsum);
        st = lm_error_set(err, LM_ERR_NOMEM, "clusters: out of memory");
        goto done;
    }
    size_t nnz = 0;
    for (size_t i = 0; i < np;) {
        size_t j = i;
        while (j < np && pairs[j] == pairs[i])
            j++;
        size_t r = (size_t)(pairs[i] >> 32);
        uint32_t c = (uint32_t)pairs[i];
        A.col[nnz] = c;
        A.val[nnz] = (float)(j - i);
        A.ptr[r + 1]++;
        rowsum[r] += (double)(j - i);
        colsum[c] += (double)(j - i);
        nnz++;
        i = j;
    }
    for (size_t r = 0; r < V; r++)
        A.ptr[r + 1] += A.ptr[r];
    free(pairs);
    pairs = NULL;
    double total = 0, ctot = 0;
    for (size_t r = 0; r < V; r++)
        total += rowsum[r];
    for (size_t c = 0; c < A.cols; c++)
        ctot += pow(colsum[c], 0.75);
    for (size_t r = 0; r < V; r++)
        for (size_t k = A.ptr[r]; k < A.ptr[r + 1]; k++) {
            double pc = pow(colsum[A.col[k]], 0.75) / ctot;
            double pmi = log((A.val[k] / total) / ((rowsum[r] / total) * pc));
            A.val[k] = pmi > 0 ? (float)pmi : 0.0f;
        }
    free(rowsum);
    free(colsum);

    /* randomized range finder with power iterations */
    const int L = RANK;
    Y = malloc(V * (size_t)L * sizeof *Y);
    Z = malloc(A.cols * (size_t)L * sizeof *Z);
    X = malloc(V * (size_t)DIM * sizeof *X);
    if (!Y || !Z || !X) {
        st = lm_error_set(err, LM_ERR_NOMEM, "clusters: out of memory");
        goto done;
    }
    uint64_t rs = 0x5DEECE66DULL ^ seed;
    for (size_t i = 0; i < A.cols * (size_t)L; i++)
        Z[i] = lm_rand_gauss(&rs);
    csr_mul(&A, Z, Y, L);
    for (int q = 0; q < 2; q++) {
        if (orthonormalize(Y, V, L)) {
            st = lm_error_set(err, LM_ERR_NOMEM, "clusters: out of memory");
            goto done;
        }
        csr_mul_t(&A, Y, Z, L);
        if (orthonormalize(Z, A.cols, L)) {
            st = lm_error_set(err, LM_ERR_NOMEM, "clusters: out of memory");
            goto done;
        }
        csr_mul(&A, Z, Y, L);
    }
    if (orthonormalize(Y, V, L)) {
        st = lm_error_set(err, LM_ERR_NOMEM, "clusters: out of memory");
        goto done;
    }
    /* B^T = A^T Q; eigen of B B^T gives the rotation to singular vectors */
    csr_mul_t(&A, Y, Z, L);
    {
        double *g = malloc((size_t)L * L * sizeof *g), *v = malloc((size_t)L * L * sizeof *v);
        double *w = malloc((size_t)L * sizeof *w);
        float *t = malloc((size_t)L * DIM * sizeof *t);
        int *ord = malloc((size_t)L * sizeof *ord);
        if (!g || !v || !w || !t || !ord) {
            free(g), free(v), free(w), free(t), free(ord);
            st = lm_error_set(err, LM_ERR_NOMEM, "clusters: out of memory");
            goto done;
        }
        gram(Z, A.cols, L, g);
        jacobi_eigen(g, L, w, v);
        for (int i = 0; i < L; i++)
            ord[i] = i;
        for (int i = 0; i < L; i++)            /* selection sort, descending */
            for (int j = i + 1; j < L; j++)
                if (w[ord[j]] > w[ord[i]]) {
                    int x = ord[i];
                    ord[i] = ord[j];
                    ord[j] = x;
                }
        /* X = Q W[:, top] diag(sigma^0.5), sigma = sqrt(lambda) */
        for (int i = 0; i < L; i++)
            for (int j = 0; j < DIM; j++) {
                double lam = w[ord[j]] > 0 ? w[ord[j]] : 0;
                t[i * DIM + j] = (float)(v[i * L + ord[j]] * pow(lam, 0.25));
            }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)V, DIM, L, 1.0f, Y, L, t,
                    DIM, 0.0f, X, DIM);
        free(g), free(v), free(w), free(t), free(ord);
    }
    for (size_t i = 0; i < V; i++) {
        double nn = 0;
        for (int j = 0; j < DIM; j++)
            nn += (double)X[i * DIM + j] * X[i * DIM + j];
        nn = nn > 0 ? 1 / sqrt(nn) : 0;
        for (int j = 0; j < DIM; j++)
            X[i * DIM + j] = (float)(X[i * DIM + j] * nn);
    }
    int ks[NER_NCLUS] = {k_fine, k_fine / 4, k_fine / 16};
    for (int g = 0; g < NER_NCLUS; g++) {
        if (ks[g] < 2)
            ks[g] = 2;
        if ((size_t)ks[g] > V / 2)
            ks[g] = (int)(V / 2);
        cl[g] = malloc(V * sizeof *cl[g]);
        if (!cl[g] || kmeans(X, V, DIM, ks[g], 25, seed + 7u * (unsigned)g, cl[g])) {
            st = lm_error_set(err, LM_ERR_NOMEM, "clusters: out of memory");
            goto done;
        }
    }
    ner_map_free(&m->clusters);
    for (size_t i = 0; i < V; i++) {
        uint64_t v = 0;
        for (int g = 0; g < NER_NCLUS; g++)
            v |= (uint64_t)cl[g][i] << (16 * g);
        if (ner_map_put(&m->clusters, words[i].key, v, 0) != LM_OK) {
            st = lm_error_set(err, LM_ERR_NOMEM, "clusters: out of memory");
            goto done;
        }
    }
done:
    for (int g = 0; g < NER_NCLUS; g++)
        free(cl[g]);
    free(Y);
    free(Z);
    free(X);
    csr_free(&A);
    free(pairs);
    free(words);
    ner_map_free(&vocab);
    free(tid);
    free(keys);
    lm_spans_free(&sp);
    return st;
}

/* Cache format: "LMCLUS1\n", u64 count, then (u64 key, u64 value) pairs in
 * native byte order — a local build artefact, never shipped. */
lm_status ner_clusters_save(const lm_ner_model *m, const char *path, lm_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    uint64_t n = m->clusters.n;
    int ok = fwrite("LMCLUS1\n", 1, 8, f) == 8 && fwrite(&n, sizeof n, 1, f) == 1;
    for (size_t i = 0; ok && m->clusters.keys && i <= m->clusters.mask; i++)
        if (m->clusters.keys[i])
            ok = fwrite(&m->clusters.keys[i], 8, 1, f) == 1
                 && fwrite(&m->clusters.vals[i], 8, 1, f) == 1;
    if (fclose(f) != 0 || !ok)
        return lm_error_set(err, LM_ERR_IO, "%s: write failed", path);
    return LM_OK;
}

lm_status ner_clusters_load(lm_ner_model *m, const char *path, lm_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    char magic[8];
    uint64_t n = 0;
    lm_status st = LM_OK;
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "LMCLUS1\n", 8) != 0
        || fread(&n, sizeof n, 1, f) != 1 || n > (1u << 24))
        st = lm_error_set(err, LM_ERR_FORMAT, "%s: not a cluster cache", path);
    ner_map_free(&m->clusters);
    for (uint64_t i = 0; st == LM_OK && i < n; i++) {
        uint64_t k, v;
        if (fread(&k, 8, 1, f) != 1 || fread(&v, 8, 1, f) != 1 || !k)
            st = lm_error_set(err, LM_ERR_CORRUPT, "%s: truncated", path);
        else if (ner_map_put(&m->clusters, k, v, 0) != LM_OK)
            st = lm_error_set(err, LM_ERR_NOMEM, "%s: out of memory", path);
    }
    fclose(f);
    if (st != LM_OK)
        ner_map_free(&m->clusters);
    return st;
}
