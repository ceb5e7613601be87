/*
 * Tests for store/lm_vectors: BLOB encodings, storing vectors of several
 * dimensions, model versioning, top-k against a naive sort, and the
 * sgemv/sgemm searches against plain dot products.
 */
#include "../store/search/lm_vectors.h"
#include "lm_test_store.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 88172645463325252ULL;

static float frand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 11) % 2000001) / 1000000.0f - 1.0f;
}

static void test_encodings(void)
{
    const int dims[] = {1, 3, 64, 300};
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
        int dim = dims[d];
        float *v = malloc((size_t)dim * sizeof *v), *w = malloc((size_t)dim * sizeof *w);
        unsigned char *blob = malloc(lm_vec_encoded_size(LM_VEC_F32, dim) + 8);
        for (int i = 0; i < dim; i++)
            v[i] = frand() * (i % 7 == 0 ? 100.0f : 1.0f);
        for (int f = LM_VEC_F32; f <= LM_VEC_I8; f++) {
            size_t n = lm_vec_encoded_size((lm_vec_format)f, dim);
            LM_CHECK_INT(n, f == LM_VEC_F32 ? 4 * dim : f == LM_VEC_F16 ? 2 * dim : 4 + dim);
            lm_vec_encode((lm_vec_format)f, v, dim, blob);
            lm_error err = {0};
            LM_CHECK(lm_vec_decode((lm_vec_format)f, blob, n, dim, w, &err) == LM_OK);
            float amax = 0, worst = 0;
            for (int i = 0; i < dim; i++) {
                amax = fabsf(v[i]) > amax ? fabsf(v[i]) : amax;
                float e = fabsf(v[i] - w[i]);
                if (f == LM_VEC_F16)
                    e /= fabsf(v[i]) > 1e-3f ? fabsf(v[i]) : 1.0f;
                worst = e > worst ? e : worst;
            }
            if (f == LM_VEC_F32)
                LM_CHECK(worst == 0.0f);
            else if (f == LM_VEC_F16)
                LM_CHECK(worst < 1e-3f);
            else
                LM_CHECK(worst <= amax / 127.0f * 0.5f + 1e-6f);
            /* A blob of the wrong length is corrupt, not silently read. */
            LM_CHECK(lm_vec_decode((lm_vec_format)f, blob, n - 1, dim, w, &err) ==
                     LM_ERR_DB);
        }
        free(v);
        free(w);
        free(blob);
    }
    /* Exact little-endian layout of one float32 and one half. */
    unsigned char b[4];
    float one = 1.0f;
    lm_vec_encode(LM_VEC_F32, &one, 1, b);
    LM_CHECK(b[0] == 0 && b[1] == 0 && b[2] == 0x80 && b[3] == 0x3f);
    lm_vec_encode(LM_VEC_F16, &one, 1, b);
    LM_CHECK(b[0] == 0x00 && b[1] == 0x3c);
    LM_CHECK(lm_vec_format_parse("i8") == LM_VEC_I8 && lm_vec_format_parse("x") == -1);
}

static int cmp_desc(const void *a, const void *b)
{
    const lm_vec_hit *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return (x->row > y->row) - (x->row < y->row);
}

static void test_topk(void)
{
    size_t n = 1000;
    float *s = malloc(n * sizeof *s);
    lm_vec_hit *naive = malloc(n * sizeof *naive), *got = malloc(2 * n * sizeof *got);
    for (size_t i = 0; i < n; i++) {
        s[i] = (float)((int)(frand() * 50)) / 10.0f;   /* many ties */
        naive[i] = (lm_vec_hit){0, s[i], i};
    }
    qsort(naive, n, sizeof *naive, cmp_desc);
    const size_t ks[] = {0, 1, 7, 100, 1000, 2000};
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        size_t m = lm_vec_topk(s, n, ks[t], got);
        LM_CHECK_INT(m, ks[t] < n ? ks[t] : n);
        int same = 1;
        for (size_t i = 0; i < m; i++)
            same &= got[i].row == naive[i].row && got[i].score == naive[i].score;
        LM_CHECK(same);
    }
    free(s);
    free(naive);
    free(got);
}

static void test_search_matrix(void)
{
    int dim = 17;
    size_t n = 500;
    lm_vec_matrix m;
    lm_vec_matrix_init(&m);
    lm_error err = {0};
    float v[17];
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < dim; j++)
            v[j] = frand();
        LM_CHECK(lm_vec_matrix_push(&m, (int64_t)(1000 + 3 * i), (int)(1990 + i % 30), v, dim,
                                    &err) == LM_OK);
    }
    LM_CHECK(lm_vec_matrix_push(&m, 1, 2000, v, 5, &err) == LM_ERR_USAGE);
    LM_CHECK_INT(lm_vec_matrix_find(&m, 1000 + 3 * 42), 42);
    LM_CHECK_INT(lm_vec_matrix_find(&m, 1001), -1);
    float q[3][17];
    for (int a = 0; a < 3; a++)
        for (int j = 0; j < dim; j++)
            q[a][j] = frand();
    float *scores = malloc(n * sizeof *scores);
    lm_vec_hit naive[500], got[3 * 10];
    size_t nh = 0, nb[3];
    LM_CHECK(lm_vec_search_batch(&m, &q[0][0], 3, 10, got, nb, &err) == LM_OK);
    for (int a = 0; a < 3; a++) {
        for (size_t i = 0; i < n; i++) {
            double d = 0;
            for (int j = 0; j < dim; j++)
                d += (double)q[a][j] * m.data[i * (size_t)dim + j];
            naive[i] = (lm_vec_hit){m.pmids[i], (float)d, i};
        }
        qsort(naive, n, sizeof *naive, cmp_desc);
        lm_vec_hit one[10];
        LM_CHECK(lm_vec_search(&m, q[a], 10, 0, scores, one, &nh, &err) == LM_OK);
        LM_CHECK_INT(nh, 10);
        LM_CHECK_INT(nb[a], 10);
        int same = 1;
        for (size_t i = 0; i < 10; i++)
            same &= one[i].pmid == naive[i].pmid && fabsf(one[i].score - naive[i].score) < 1e-4f &&
                    got[a * 10 + i].pmid == naive[i].pmid;
        LM_CHECK(same);
    }
    /* Year filter: only rows from 2015 on. */
    lm_vec_hit f[20];
    LM_CHECK(lm_vec_search(&m, q[0], 20, 2015, NULL, f, &nh, &err) == LM_OK);
    int ok = nh == 20;
    for (size_t i = 0; i < nh; i++)
        ok &= m.years[f[i].row] >= 2015;
    LM_CHECK(ok);
    free(scores);
    lm_vec_matrix_free(&m);
}

/* A quantized matrix scores each row within the int8 rounding bound of the
 * float32 score (|q| . |v - dequantized| <= sum|q_i| * scale / 2), and its
 * search, batch search and axpy agree with its own dot products. */
static void test_quantized_matrix(void)
{
    int dim = 33;
    size_t n = 300;
    lm_vec_matrix f, q8;
    lm_vec_matrix_init(&f);
    lm_vec_matrix_init_quantized(&q8);
    lm_error err = {0};
    float v[33], q[33];
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < dim; j++)
            v[j] = frand();
        LM_CHECK(lm_vec_matrix_push(&f, (int64_t)(10 + i), 2000, v, dim, &err) == LM_OK);
        LM_CHECK(lm_vec_matrix_push(&q8, (int64_t)(10 + i), 2000, v, dim, &err) == LM_OK);
    }
    LM_CHECK(q8.data == NULL && q8.q8 != NULL && q8.scales != NULL);
    double qabs = 0;
    for (int j = 0; j < dim; j++) {
        q[j] = frand();
        qabs += fabs(q[j]);
    }
    /* The query is rounded too (int16, |q| <= 2047): its share of the
     * error is at most sum |v_i| * qmax / 4094. */
    double qmax = 0;
    for (int j = 0; j < dim; j++)
        qmax = fmax(qmax, fabs(q[j]));
    int within = 1;
    for (size_t i = 0; i < n; i++) {
        float exact = lm_vec_matrix_dot(&f, i, q), approx = lm_vec_matrix_dot(&q8, i, q);
        double vabs = 0;
        for (int j = 0; j < dim; j++)
            vabs += fabs(f.data[i * (size_t)dim + (size_t)j]);
        within &= fabs((double)exact - approx) <=
                  qabs * q8.scales[i] / 2 + vabs * qmax / 4094 + 1e-5;
    }
    LM_CHECK(within);
    lm_vec_hit one[10], batch[10];
    size_t nh = 0, nb = 0;
    LM_CHECK(lm_vec_search(&q8, q, 10, 0, NULL, one, &nh, &err) == LM_OK);
    LM_CHECK(lm_vec_search_batch(&q8, q, 1, 10, batch, &nb, &err) == LM_OK);
    LM_CHECK_INT(nh, 10);
    LM_CHECK_INT(nb, 10);
    /* search scores a row exactly as lm_vec_matrix_dot; batch search
     * decodes the rows to float (no query rounding): within its bound. */
    int same = 1;
    for (size_t i = 0; i < 10 && i < nh && i < nb; i++)
        same &= one[i].score == lm_vec_matrix_dot(&q8, one[i].row, q) &&
                (i == 0 || one[i].score <= one[i - 1].score) &&
                fabsf(batch[i].score - lm_vec_matrix_dot(&q8, batch[i].row, q)) < 0.01f;
    LM_CHECK(same);
    float y[33] = {0};
    lm_vec_matrix_axpy(&q8, 7, 2.0f, y);
    double d = 0;
    for (int j = 0; j < dim; j++)
        d += (double)y[j] * q[j];
    LM_CHECK(fabs(d - 2.0 * lm_vec_matrix_dot(&q8, 7, q)) < 0.02);
    lm_vec_matrix_free(&f);
    lm_vec_matrix_free(&q8);
    lm_vec_matrix_free(&q8);   /* freeing twice is harmless: free resets it */
}

static void put_article(lm_store *s, int64_t pmid, int year, const char *title)
{
    lm_article a;
    lm_article_init(&a);
    a.pmid = pmid;
    a.version = 1;
    a.year = year;
    a.title = (char *)title;
    a.abstract = (char *)"An abstract.";
    lm_error err = {0};
    lm_put_result r;
    LM_CHECK(lm_store_put_article(s, &a, "test", &r, &err) == LM_OK);
}

static void test_store_roundtrip_and_versions(void)
{
    lm_store *s = lm_test_open_store("vec.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_error err = {0};
    put_article(s, 11, 2001, "one");
    put_article(s, 12, 2002, "two");
    put_article(s, 13, 0, "three");
    int found = 1;
    lm_vec_model_info info;
    LM_CHECK(lm_vec_model_current(s, &info, NULL, NULL, &found, &err) == LM_OK && !found);

    const int dims[] = {2, 8, 384, 1024};
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
        int dim = dims[d];
        int64_t id = 0;
        LM_CHECK(lm_vec_model_add(s, "test", dim, "xyz", 3, 3, 0.5, "{}", &id, &err) == LM_OK);
        float *v = malloc((size_t)dim * sizeof *v), *w = malloc((size_t)dim * sizeof *w);
        for (int i = 0; i < dim; i++)
            v[i] = frand();
        for (int f = LM_VEC_F32; f <= LM_VEC_I8; f++) {
            LM_CHECK(lm_vec_put(s, id, 11 + f, (lm_vec_format)f, v, dim, &err) == LM_OK);
            LM_CHECK(lm_vec_get(s, id, 11 + f, w, dim, &err) == LM_OK);
            float worst = 0;
            for (int i = 0; i < dim; i++)
                worst = fabsf(v[i] - w[i]) > worst ? fabsf(v[i] - w[i]) : worst;
            LM_CHECK(worst < (f == LM_VEC_F32 ? 1e-9f : 0.01f));
        }
        LM_CHECK(lm_vec_get(s, id, 99, w, dim, &err) == LM_ERR_NOTFOUND);
        LM_CHECK(lm_vec_get(s, id, 11, w, dim + 1, &err) == LM_ERR_DB);
        /* Activating makes it current and drops older models' vectors. */
        LM_CHECK(lm_vec_model_activate(s, id, &err) == LM_OK);
        void *data = NULL;
        size_t len = 0;
        LM_CHECK(lm_vec_model_current(s, &info, &data, &len, &found, &err) == LM_OK && found);
        LM_CHECK_INT(info.id, id);
        LM_CHECK_INT(info.dim, dim);
        LM_CHECK_INT(info.n_vectors, 3);
        LM_CHECK(len == 3 && data && memcmp(data, "xyz", 3) == 0);
        free(data);
        lm_vec_matrix m;
        lm_vec_matrix_init(&m);
        LM_CHECK(lm_vec_matrix_load(s, id, dim, &m, &err) == LM_OK);
        LM_CHECK_INT(m.n, 3);
        LM_CHECK(m.n == 3 && m.pmids[0] == 11 && m.years[1] == 2002 && m.years[2] == 0);
        lm_vec_matrix_free(&m);
        free(v);
        free(w);
    }
    int64_t total = 0, n = 0;
    /* Only the newest model keeps vectors; older ones are 'retired'. */
    LM_CHECK(lm_vec_count(s, info.id, &n, &err) == LM_OK);
    LM_CHECK_INT(n, 3);
    for (int64_t id = 1; id < info.id; id++) {
        LM_CHECK(lm_vec_count(s, id, &total, &err) == LM_OK);
        LM_CHECK_INT(total, 0);
    }
    /* Deleting an article deletes its vectors (ON DELETE CASCADE). */
    int deleted = 0;
    LM_CHECK(lm_store_delete_article(s, 12, &deleted, &err) == LM_OK && deleted);
    LM_CHECK(lm_vec_count(s, info.id, &n, &err) == LM_OK);
    LM_CHECK_INT(n, 2);
    /* Deleting the model deletes the rest. */
    LM_CHECK(lm_vec_model_delete(s, info.id, &err) == LM_OK);
    LM_CHECK(lm_vec_count(s, info.id, &n, &err) == LM_OK);
    LM_CHECK_INT(n, 0);
    LM_CHECK(lm_vec_model_add(s, "", 0, NULL, 0, 0, 0, NULL, NULL, &err) == LM_ERR_USAGE);
    lm_store_close(s);
}

/* A matrix large enough to be scanned on several threads ranks exactly as
 * one pass over the rows in order would: each row's score is
 * lm_vec_matrix_dot's, ties (many here: few distinct rows) go to the lower
 * row, and the year filter holds, as does the mask of deleted rows.  The
 * reference is lm_vec_topk over the rows' own dot products. */
static void test_search_threads_agree(void)
{
    int dim = 8;
    size_t n = 600000;   /* > 4 x 131072 rows: every scan thread there is */
    lm_vec_matrix m;
    lm_vec_matrix_init_quantized(&m);
    lm_error err = {0};
    float v[8], q[8] = {0.5f, -0.25f, 1.0f, 0.125f, -0.5f, 0.75f, 0.25f, -1.0f};
    int pushed = 1;
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < dim; j++)
            v[j] = (float)((int)((i * 7 + (size_t)j * 13) % 11) - 5);
        pushed &= lm_vec_matrix_push(&m, (int64_t)(1000 + i), 1990 + (int)(i % 40), v, dim,
                                     &err) == LM_OK;
    }
    LM_CHECK(pushed);
    size_t k = 300;
    float *scores = malloc(n * sizeof *scores);
    lm_vec_hit *want = malloc(k * sizeof *want), *got = malloc(k * sizeof *got);
    LM_CHECK(scores && want && got);
    for (int pass = 0; pass < 3; pass++) {
        int filtered = pass == 1, min_year = filtered ? 2020 : 0;
        if (pass == 2)   /* a third of the rows masked (deleted from a mapped file) */
            for (size_t i = 0; i < n; i += 3, m.n_dead++)
                m.years[i] = LM_VEC_YEAR_DEAD;
        for (size_t i = 0; i < n; i++)
            scores[i] = m.years[i] != LM_VEC_YEAR_DEAD && (!filtered || m.years[i] >= min_year)
                            ? lm_vec_matrix_dot(&m, i, q)
                            : -INFINITY;
        size_t nw = lm_vec_topk(scores, n, k, want);
        size_t ng = 0;
        LM_CHECK(lm_vec_search(&m, q, k, min_year, NULL, got, &ng, &err) == LM_OK);
        LM_CHECK_INT(ng, nw);
        int same = 1;
        for (size_t i = 0; i < k && i < ng && i < nw; i++)
            same &= got[i].row == want[i].row && got[i].score == want[i].score &&
                    got[i].pmid == (int64_t)(1000 + got[i].row);
        LM_CHECK(same);
    }
    LM_CHECK_INT(lm_vec_matrix_find(&m, 1000), -1);   /* row 0: masked */
    LM_CHECK_INT(lm_vec_matrix_find(&m, 1001), 1);
    free(scores);
    free(want);
    free(got);
    lm_vec_matrix_free(&m);
}

int main(void)
{
    LM_RUN(test_encodings);
    LM_RUN(test_topk);
    LM_RUN(test_search_matrix);
    LM_RUN(test_quantized_matrix);
    LM_RUN(test_search_threads_agree);
    LM_RUN(test_store_roundtrip_and_versions);
    return LM_DONE();
}
