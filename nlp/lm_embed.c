/*
 * lm_embed: LSA by randomized SVD of a TF-IDF matrix (see lm_embed.h).
 *
 * Fitting keeps each document as a list of (feature hash, count) pairs and
 * a document-frequency table, then builds the CSR matrix of the kept
 * vocabulary once.  The randomized SVD (lm_rsvd) only ever multiplies the
 * sparse matrix (or its transpose) by a tall dense block, so its cost is a
 * few passes of nnz * (dim + oversample) multiply-adds plus QR of n x l
 * blocks; the exact eigen-decomposition is of an l x l Gram matrix.
 */
#include "../util/lm_le.h"
#include "../util/lm_sort.h"
#include "lm_embed.h"
#include "lm_rsvd.h"

#include "../util/lm_map.h"

#include "../util/lm_words.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAGIC "LMEMBED1"
#define FORMAT_VERSION 1u
#define FLAG_BIGRAMS 1u
#define HASH_SEED_WORD 0x6c6d5f776f7264ULL   /* "lm_word" */
#define HASH_SEED_PAIR 0x6c6d5f70616972ULL   /* "lm_pair" */

/* ---- features ----------------------------------------------------------- */

struct lm_embed_scratch {
    lm_words words;
    lm_map counts;        /* feature -> count in the current text */
    uint64_t *feat;       /* distinct features of the current text */
    uint32_t *tf;
    size_t n_feat, cap_feat;
    float *w;             /* weights of the current text's known features */
    uint32_t *idx;
};

lm_status lm_embed_scratch_init(lm_embed_scratch **out, lm_error *err)
{
    lm_embed_scratch *s = calloc(1, sizeof *s);
    if (s)
        lm_map_init(&s->counts);
    if (!s || lm_map_reserve(&s->counts, 512) != LM_OK) {
        free(s);
        return lm_error_set(err, LM_ERR_NOMEM, "embedding: out of memory");
    }
    lm_words_init(&s->words);
    *out = s;
    return LM_OK;
}

void lm_embed_scratch_free(lm_embed_scratch *s)
{
    if (!s)
        return;
    lm_words_free(&s->words);
    lm_map_free(&s->counts);
    free(s->feat);
    free(s->tf);
    free(s->w);
    free(s->idx);
    free(s);
}

/* A word worth a feature: not a stopword, not a bare number, 2+ bytes. */
static int content_word(const lm_word *w)
{
    return w->len >= 2 && w->has_alpha && !lm_words_is_stopword(w->norm, w->len);
}

lm_status lm_embed_features(const char *text, size_t len, int bigrams, lm_embed_scratch *s,
                            void (*cb)(void *ctx, uint64_t feature), void *ctx,
                            lm_error *err)
{
    lm_status st = lm_words_split(text, len, &s->words, err);
    if (st != LM_OK)
        return st;
    uint64_t prev = 0;
    int have_prev = 0;
    for (size_t i = 0; i < s->words.n; i++) {
        const lm_word *w = &s->words.v[i];
        if (!content_word(w)) {
            have_prev = 0;
            continue;
        }
        char stem[LM_WORD_MAX + 1];
        size_t sl = lm_words_stem(w->norm, w->len, stem, sizeof stem);
        uint64_t h = lm_words_hash(stem, sl, HASH_SEED_WORD);
        cb(ctx, h);
        if (bigrams && have_prev)
            cb(ctx, lm_words_hash((const char *)&h, sizeof h, HASH_SEED_PAIR ^ prev));
        prev = h;
        have_prev = 1;
    }
    return LM_OK;
}

typedef struct count_ctx {
    lm_embed_scratch *s;
    int failed;
} count_ctx;

static void count_feature(void *ctx, uint64_t f)
{
    count_ctx *c = ctx;
    uint64_t *v = lm_map_upsert(&c->s->counts, lm_map_key(f), NULL);
    if (!v) {
        c->failed = 1;
        return;
    }
    (*v)++;
}

/* Fills s->feat/s->tf with the distinct features of text and their counts. */
static lm_status text_counts(lm_embed_scratch *s, const char *text, size_t len, int bigrams,
                             lm_error *err)
{
    /* The map grows to the largest text seen (a few thousand slots), so
     * clearing it whole per text is cheap. */
    if (s->counts.n)
        lm_map_clear(&s->counts);
    s->n_feat = 0;
    count_ctx c = {s, 0};
    lm_status st = lm_embed_features(text, len, bigrams, s, count_feature, &c, err);
    if (st != LM_OK)
        return st;
    if (c.failed)
        return lm_error_set(err, LM_ERR_NOMEM, "embedding: out of memory");
    if (s->counts.n > s->cap_feat) {
        size_t nc = s->counts.n * 2;
        uint64_t *f = realloc(s->feat, nc * sizeof *f);
        if (f)
            s->feat = f;
        uint32_t *t = f ? realloc(s->tf, nc * sizeof *t) : NULL;
        if (t)
            s->tf = t;
        float *w = t ? realloc(s->w, nc * sizeof *w) : NULL;
        if (w)
            s->w = w;
        uint32_t *ix = w ? realloc(s->idx, nc * sizeof *ix) : NULL;
        if (ix)
            s->idx = ix;
        if (!ix)
            return lm_error_set(err, LM_ERR_NOMEM, "embedding: out of memory");
        s->cap_feat = nc;
    }
    for (size_t i = 0; i < s->counts.cap; i++)
        if (s->counts.keys[i]) {
            s->feat[s->n_feat] = s->counts.keys[i];
            s->tf[s->n_feat] = (uint32_t)s->counts.vals[i];
            s->n_feat++;
        }
    return LM_OK;
}

/* ---- the model ---------------------------------------------------------- */

struct lm_embed_model {
    int dim;
    uint32_t flags;
    size_t n;            /* vocabulary size */
    int64_t n_docs;
    double sigma_exp;
    int min_df;
    double max_df;
    uint64_t *keys;      /* feature hash per vocabulary entry */
    float *idf;
    float *proj;         /* n x dim */
    int proj_mapped;     /* proj points into the caller's bytes */
    lm_map index;        /* feature hash -> vocabulary entry */
};

void lm_embed_model_free(lm_embed_model *m)
{
    if (!m)
        return;
    free(m->keys);
    free(m->idf);
    if (!m->proj_mapped)
        free(m->proj);
    lm_map_free(&m->index);
    free(m);
}

int lm_embed_model_dim(const lm_embed_model *m)
{
    return m->dim;
}

size_t lm_embed_model_vocab(const lm_embed_model *m)
{
    return m->n;
}

int64_t lm_embed_model_docs(const lm_embed_model *m)
{
    return m->n_docs;
}

static lm_status build_index(lm_embed_model *m, lm_error *err)
{
    lm_map_init(&m->index);
    if (lm_map_reserve(&m->index, m->n + 1) != LM_OK)
        return lm_error_set(err, LM_ERR_NOMEM, "embedding model: out of memory");
    for (size_t i = 0; i < m->n; i++)
        if (lm_map_put(&m->index, lm_map_key(m->keys[i]), i) != LM_OK)
            return lm_error_set(err, LM_ERR_NOMEM, "embedding model: out of memory");
    return LM_OK;
}

lm_status lm_embed_model_params(const lm_embed_model *m, lm_buf *out, lm_error *err)
{
    lm_status st = lm_buf_printf(out,
                                 "{\"kind\":\"%s\",\"dim\":%d,\"vocab\":%zu,\"docs\":%lld,"
                                 "\"bigrams\":%s,\"min_df\":%d,\"max_df\":%g,"
                                 "\"sigma_exp\":%g}",
                                 LM_EMBED_KIND, m->dim, m->n, (long long)m->n_docs,
                                 (m->flags & FLAG_BIGRAMS) ? "true" : "false", m->min_df,
                                 m->max_df, m->sigma_exp);
    return st == LM_OK ? LM_OK : lm_error_set(err, st, "describing the model: out of memory");
}

float lm_embed_word_idf(const lm_embed_model *m, const char *norm, size_t len)
{
    char stem[LM_WORD_MAX + 1];
    size_t sl = lm_words_stem(norm, len, stem, sizeof stem);
    const uint64_t *ix = lm_map_get(&m->index, lm_map_key(lm_words_hash(stem, sl, HASH_SEED_WORD)));
    return ix ? m->idf[*ix] : 0.0f;
}

/* ---- embedding ---------------------------------------------------------- */

lm_status lm_embed_text(const lm_embed_model *m, lm_embed_scratch *s, const char *text,
                        size_t len, float *out, lm_error *err)
{
    memset(out, 0, (size_t)m->dim * sizeof *out);
    lm_status st = text_counts(s, text ? text : "", text ? len : 0,
                               (m->flags & FLAG_BIGRAMS) != 0, err);
    if (st != LM_OK)
        return st;
    size_t k = 0;
    double norm = 0;
    for (size_t i = 0; i < s->n_feat; i++) {
        const uint64_t *ix = lm_map_get(&m->index, lm_map_key(s->feat[i]));
        if (!ix)
            continue;
        float w = (1.0f + logf((float)s->tf[i])) * m->idf[*ix];
        s->w[k] = w;
        s->idx[k] = *ix;
        norm += (double)w * w;
        k++;
    }
    if (k == 0)
        return LM_OK;
    float inv = (float)(1.0 / sqrt(norm));
    for (size_t i = 0; i < k; i++)
        cblas_saxpy(m->dim, s->w[i] * inv, m->proj + (size_t)s->idx[i] * m->dim, 1, out, 1);
    float n2 = cblas_snrm2(m->dim, out, 1);
    if (n2 > 0)
        cblas_sscal(m->dim, 1.0f / n2, out, 1);
    return LM_OK;
}

lm_status lm_embed_article(const lm_embed_model *m, lm_embed_scratch *s, const char *title,
                           const char *abstract, float *out, lm_error *err)
{
    lm_buf b;
    lm_buf_init(&b);
    lm_status st = lm_buf_append_str(&b, title ? title : "");
    if (st == LM_OK)
        st = lm_buf_append_char(&b, ' ');
    if (st == LM_OK)
        st = lm_buf_append_str(&b, abstract ? abstract : "");
    if (st != LM_OK)
        st = lm_error_set(err, st, "embedding: out of memory");
    else
        st = lm_embed_text(m, s, lm_buf_cstr(&b), b.len, out, err);
    lm_buf_free(&b);
    return st;
}

/* ---- serialisation ------------------------------------------------------ */

static lm_status put_u32(lm_buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return lm_buf_append(b, (const char *)x, 4);
}

static lm_status put_u64(lm_buf *b, uint64_t v)
{
    lm_status st = put_u32(b, (uint32_t)v);
    return st == LM_OK ? put_u32(b, (uint32_t)(v >> 32)) : st;
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)lm_le32_get(p) | (uint64_t)lm_le32_get(p + 4) << 32;
}

static lm_status put_f32s(lm_buf *b, const float *v, size_t n)
{
    lm_status st = lm_buf_reserve(b, 4 * n);
    for (size_t i = 0; st == LM_OK && i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        st = put_u32(b, u);
    }
    return st;
}

static void get_f32s(const unsigned char *p, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u = lm_le32_get(p + 4 * i);
        memcpy(&v[i], &u, 4);
    }
}

#define HEADER_BYTES (8 + 4 * 5 + 8 + 8 + 8)

lm_status lm_embed_model_save(const lm_embed_model *m, lm_buf *out, lm_error *err)
{
    size_t start = out->len;
    uint64_t se, md;
    memcpy(&se, &m->sigma_exp, 8);
    memcpy(&md, &m->max_df, 8);
    lm_status st = lm_buf_append(out, MAGIC, 8);
    if (st == LM_OK)
        st = put_u32(out, FORMAT_VERSION);
    if (st == LM_OK)
        st = put_u32(out, (uint32_t)m->dim);
    if (st == LM_OK)
        st = put_u32(out, (uint32_t)m->n);
    if (st == LM_OK)
        st = put_u32(out, m->flags);
    if (st == LM_OK)
        st = put_u32(out, (uint32_t)m->min_df);
    if (st == LM_OK)
        st = put_u64(out, (uint64_t)m->n_docs);
    if (st == LM_OK)
        st = put_u64(out, se);
    if (st == LM_OK)
        st = put_u64(out, md);
    if (st == LM_OK)
        st = lm_buf_reserve(out, m->n * (12 + 4 * (size_t)m->dim) + 4);
    for (size_t i = 0; st == LM_OK && i < m->n; i++)
        st = put_u64(out, m->keys[i]);
    if (st == LM_OK)
        st = put_f32s(out, m->idf, m->n);
    if (st == LM_OK)
        st = put_f32s(out, m->proj, m->n * (size_t)m->dim);
    if (st == LM_OK) {
        uLong crc = crc32(0L, (const Bytef *)out->data + start, (uInt)(out->len - start));
        st = put_u32(out, (uint32_t)crc);
    }
    if (st != LM_OK)
        return lm_error_set(err, st, "saving the embedding model: out of memory");
    return LM_OK;
}

/* Little-endian host: the stored floats are the host's. */
static int host_little_endian(void)
{
    uint32_t x = 1;
    unsigned char c;
    memcpy(&c, &x, 1);
    return c == 1;
}

static lm_status model_read(const void *data, size_t len, int mapped, lm_embed_model **out,
                            lm_error *err)
{
    *out = NULL;
    const unsigned char *p = data;
    if (!p || len < HEADER_BYTES + 4 || memcmp(p, MAGIC, 8) != 0)
        return lm_error_set(err, LM_ERR_CORRUPT, "not a litmine embedding model");
    if (lm_le32_get(p + 8) != FORMAT_VERSION)
        return lm_error_set(err, LM_ERR_CORRUPT, "embedding model format %u is not supported",
                            lm_le32_get(p + 8));
    uint32_t dim = lm_le32_get(p + 12), n = lm_le32_get(p + 16);
    if (dim == 0 || dim > 65536 ||
        (uint64_t)n * (12 + 4 * (uint64_t)dim) + HEADER_BYTES + 4 != (uint64_t)len)
        return lm_error_set(err, LM_ERR_CORRUPT, "embedding model: sizes do not match");
    const unsigned char *proj_bytes = p + HEADER_BYTES + 12 * (size_t)n;
    /* In place only where the bytes are this host's floats, aligned. */
    mapped = mapped && host_little_endian() && ((uintptr_t)proj_bytes % sizeof(float)) == 0;
    if (!mapped) {
        uLong crc = crc32(0L, (const Bytef *)p, (uInt)(len - 4));
        if ((uint32_t)crc != lm_le32_get(p + len - 4))
            return lm_error_set(err, LM_ERR_CORRUPT, "embedding model: checksum mismatch");
    }
    lm_embed_model *m = calloc(1, sizeof *m);
    if (!m)
        return lm_error_set(err, LM_ERR_NOMEM, "loading the embedding model: out of memory");
    m->dim = (int)dim;
    m->n = n;
    m->flags = lm_le32_get(p + 20);
    m->min_df = (int)lm_le32_get(p + 24);
    m->n_docs = (int64_t)get_u64(p + 28);
    uint64_t se = get_u64(p + 36), md = get_u64(p + 44);
    memcpy(&m->sigma_exp, &se, 8);
    memcpy(&m->max_df, &md, 8);
    m->keys = malloc((n ? n : 1) * sizeof *m->keys);
    m->idf = malloc((n ? n : 1) * sizeof *m->idf);
    if (mapped) {
        m->proj = (float *)(uintptr_t)proj_bytes;
        m->proj_mapped = 1;
    } else {
        m->proj = malloc(((size_t)n * dim + 1) * sizeof *m->proj);
    }
    if (!m->keys || !m->idf || !m->proj) {
        lm_embed_model_free(m);
        return lm_error_set(err, LM_ERR_NOMEM, "loading the embedding model: out of memory");
    }
    const unsigned char *q = p + HEADER_BYTES;
    for (size_t i = 0; i < n; i++)
        m->keys[i] = get_u64(q + 8 * i);
    q += 8 * (size_t)n;
    get_f32s(q, m->idf, n);
    q += 4 * (size_t)n;
    if (!mapped)
        get_f32s(q, m->proj, (size_t)n * dim);
    lm_status st = build_index(m, err);
    if (st != LM_OK) {
        lm_embed_model_free(m);
        return st;
    }
    *out = m;
    return LM_OK;
}

lm_status lm_embed_model_load(const void *data, size_t len, lm_embed_model **out,
                              lm_error *err)
{
    return model_read(data, len, 0, out, err);
}

lm_status lm_embed_model_map(const void *data, size_t len, lm_embed_model **out,
                             lm_error *err)
{
    return model_read(data, len, 1, out, err);
}

/* ---- fitting ------------------------------------------------------------ */

struct lm_embed_fitter {
    lm_embed_fit_options o;
    lm_embed_scratch *s;
    lm_map df;
    size_t n_docs;
    size_t *doc_off;      /* n_docs + 1 offsets into feat/tf */
    size_t cap_docs;
    uint64_t *feat;
    uint16_t *tf;
    size_t n_pairs, cap_pairs;
};

lm_status lm_embed_fitter_init(lm_embed_fitter **out, const lm_embed_fit_options *opts,
                               lm_error *err)
{
    lm_embed_fitter *f = calloc(1, sizeof *f);
    if (!f)
        return lm_error_set(err, LM_ERR_NOMEM, "embedding fit: out of memory");
    if (opts)
        f->o = *opts;
    if (f->o.dim <= 0)
        f->o.dim = LM_EMBED_DEFAULT_DIM;
    if (f->o.max_vocab <= 0)
        f->o.max_vocab = 100000;
    if (f->o.min_df <= 0)
        f->o.min_df = 2;
    if (f->o.max_df <= 0 || f->o.max_df > 1)
        f->o.max_df = 0.5;
    if (f->o.power_iters <= 0)
        f->o.power_iters = 3;
    if (f->o.oversample <= 0)
        f->o.oversample = 16;
    if (!f->o.seed)
        f->o.seed = 0x9e3779b97f4a7c15ULL;
    lm_status st = lm_embed_scratch_init(&f->s, err);
    if (st == LM_OK && lm_map_reserve(&f->df, 1 << 16) != LM_OK)
        st = lm_error_set(err, LM_ERR_NOMEM, "embedding fit: out of memory");
    if (st != LM_OK) {
        lm_embed_fitter_free(f);
        return st;
    }
    *out = f;
    return LM_OK;
}

void lm_embed_fitter_free(lm_embed_fitter *f)
{
    if (!f)
        return;
    lm_embed_scratch_free(f->s);
    lm_map_free(&f->df);
    free(f->doc_off);
    free(f->feat);
    free(f->tf);
    free(f);
}

size_t lm_embed_fitter_count(const lm_embed_fitter *f)
{
    return f->n_docs;
}

lm_status lm_embed_fitter_add(lm_embed_fitter *f, const char *text, size_t len, lm_error *err)
{
    lm_status st = text_counts(f->s, text ? text : "", text ? len : 0, !f->o.no_bigrams, err);
    if (st != LM_OK)
        return st;
    lm_embed_scratch *s = f->s;
    if (f->n_docs + 2 > f->cap_docs) {
        size_t nc = f->cap_docs ? 2 * f->cap_docs : 1024;
        size_t *d = realloc(f->doc_off, nc * sizeof *d);
        if (!d)
            return lm_error_set(err, LM_ERR_NOMEM, "embedding fit: out of memory");
        f->doc_off = d;
        f->cap_docs = nc;
        if (f->n_docs == 0)
            f->doc_off[0] = 0;
    }
    if (f->n_pairs + s->n_feat > f->cap_pairs) {
        size_t nc = f->cap_pairs ? 2 * f->cap_pairs : 65536;
        while (nc < f->n_pairs + s->n_feat)
            nc *= 2;
        uint64_t *ft = realloc(f->feat, nc * sizeof *ft);
        if (ft)
            f->feat = ft;
        uint16_t *t = ft ? realloc(f->tf, nc * sizeof *t) : NULL;
        if (t)
            f->tf = t;
        if (!t)
            return lm_error_set(err, LM_ERR_NOMEM, "embedding fit: out of memory");
        f->cap_pairs = nc;
    }
    for (size_t i = 0; i < s->n_feat; i++) {
        uint64_t *d = lm_map_upsert(&f->df, lm_map_key(s->feat[i]), NULL);
        if (!d)
            return lm_error_set(err, LM_ERR_NOMEM, "embedding fit: out of memory");
        (*d)++;
        f->feat[f->n_pairs] = s->feat[i];
        f->tf[f->n_pairs] = (uint16_t)(s->tf[i] > 65535 ? 65535 : s->tf[i]);
        f->n_pairs++;
    }
    f->doc_off[++f->n_docs] = f->n_pairs;
    return LM_OK;
}

typedef struct vocab_entry {
    uint64_t key;
    uint32_t df;
} vocab_entry;

static int cmp_vocab(const void *a, const void *b)
{
    const vocab_entry *x = a, *y = b;
    if (x->df != y->df)
        return x->df < y->df ? 1 : -1;
    return (x->key > y->key) - (x->key < y->key);
}

/* Builds the TF-IDF matrix of the kept vocabulary. */
static lm_status build_matrix(lm_embed_fitter *f, lm_embed_model *m, lm_csr *a, lm_error *err)
{
    memset(a, 0, sizeof *a);
    a->rows = f->n_docs;
    a->cols = m->n;
    size_t nnz = 0;
    for (size_t p = 0; p < f->n_pairs; p++)
        if (lm_map_get(&m->index, lm_map_key(f->feat[p])))
            nnz++;
    a->ptr = malloc((a->rows + 1) * sizeof *a->ptr);
    a->col = malloc((nnz ? nnz : 1) * sizeof *a->col);
    a->val = malloc((nnz ? nnz : 1) * sizeof *a->val);
    if (!a->ptr || !a->col || !a->val)
        return lm_error_set(err, LM_ERR_NOMEM, "embedding fit: out of memory");
    size_t k = 0;
    for (size_t d = 0; d < f->n_docs; d++) {
        a->ptr[d] = k;
        double norm = 0;
        for (size_t p = f->doc_off[d]; p < f->doc_off[d + 1]; p++) {
            const uint64_t *ix = lm_map_get(&m->index, lm_map_key(f->feat[p]));
            if (!ix)
                continue;
            float v = (1.0f + logf((float)f->tf[p])) * m->idf[*ix];
            a->col[k] = *ix;
            a->val[k] = v;
            norm += (double)v * v;
            k++;
        }
        if (norm > 0)
            for (size_t p = a->ptr[d]; p < k; p++)
                a->val[p] = (float)(a->val[p] / sqrt(norm));
    }
    a->ptr[f->n_docs] = k;
    return LM_OK;
}

static lm_status choose_vocab(lm_embed_fitter *f, lm_embed_model *m, lm_error *err)
{
    size_t n_cand = 0;
    double max_df = f->o.max_df * (double)f->n_docs;
    vocab_entry *cand = malloc((f->df.n ? f->df.n : 1) * sizeof *cand);
    if (!cand)
        return lm_error_set(err, LM_ERR_NOMEM, "embedding fit: out of memory");
    for (size_t i = 0; i < f->df.cap; i++) {
        uint32_t df = (uint32_t)f->df.vals[i];
        if (f->df.keys[i] && df >= (uint32_t)f->o.min_df && (double)df <= max_df)
            cand[n_cand++] = (vocab_entry){f->df.keys[i], df};
    }
    lm_qsort(cand, n_cand, sizeof *cand, cmp_vocab);
    if (n_cand > (size_t)f->o.max_vocab)
        n_cand = (size_t)f->o.max_vocab;
    if (n_cand < 2) {
        free(cand);
        return lm_error_set(err, LM_ERR_USAGE,
                            "embedding fit: too few words occur in %d or more of the %zu "
                            "documents", f->o.min_df, f->n_docs);
    }
    m->n = n_cand;
    m->keys = malloc(n_cand * sizeof *m->keys);
    m->idf = malloc(n_cand * sizeof *m->idf);
    if (!m->keys || !m->idf) {
        free(cand);
        return lm_error_set(err, LM_ERR_NOMEM, "embedding fit: out of memory");
    }
    for (size_t i = 0; i < n_cand; i++) {
        m->keys[i] = cand[i].key;
        m->idf[i] = (float)(log((1.0 + (double)f->n_docs) / (1.0 + cand[i].df)) + 1.0);
    }
    free(cand);
    return build_index(m, err);
}

/* Randomized SVD of a: fills m->proj (cols x m->dim) = Z U_k
 * diag(sigma^(e-1)), so that a document's TF-IDF row times proj is its
 * left singular coordinates scaled by sigma^e. */
static lm_status fit_projection(const lm_embed_fitter *f, lm_embed_model *m, const lm_csr *a,
                                lm_error *err)
{
    size_t rows = a->rows, cols = a->cols;
    size_t lim = rows < cols ? rows : cols;
    int k = m->dim;
    if ((size_t)k > lim)
        k = (int)lim;
    int l = k + f->o.oversample;
    if ((size_t)l > lim)
        l = (int)lim;
    /* Rounded down to a multiple of 8 (the oversampling absorbs it) so the
     * sparse products run without a scalar tail. */
    if (l > k + 8 && l % 8)
        l -= l % 8;
    m->dim = k;
    lm_rsvd r;
    lm_status st = lm_rsvd_run(a, l, f->o.power_iters, f->o.seed, &r, err);
    float *t = st == LM_OK ? malloc((size_t)l * k * sizeof *t) : NULL;
    if (st == LM_OK && !t)
        st = lm_error_nomem(err, "fitting the embedding");
    if (st != LM_OK) {
        lm_rsvd_free(&r);
        return lm_error_wrap(err, "embedding fit");
    }
    /* Eigenvalues ascend: the top k are the last k.  T = U_k
     * diag(sigma^(e-1)), then P = Z T. */
    for (int c = 0; c < k; c++) {
        int src = l - 1 - c;
        double lam = r.vals[src] > 1e-20 ? r.vals[src] : 1e-20;
        double sigma = sqrt(lam);
        double scale = pow(sigma, m->sigma_exp - 1.0);
        for (int row = 0; row < l; row++)
            t[(size_t)row * k + c] = (float)(r.vecs[(size_t)src * l + row] * scale);
    }
    m->proj = malloc(cols * (size_t)k * sizeof *m->proj);
    if (!m->proj)
        st = lm_error_set(err, LM_ERR_NOMEM, "embedding fit: out of memory");
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)cols, k, l, 1.0f, r.z, l,
                    t, k, 0.0f, m->proj, k);
    free(t);
    lm_rsvd_free(&r);
    return st;
}

lm_status lm_embed_fitter_finish(lm_embed_fitter *f, lm_embed_model **out, lm_error *err)
{
    *out = NULL;
    if (f->n_docs < 2)
        return lm_error_set(err, LM_ERR_USAGE,
                            "embedding fit: need at least 2 documents (have %zu)", f->n_docs);
    lm_embed_model *m = calloc(1, sizeof *m);
    if (!m)
        return lm_error_set(err, LM_ERR_NOMEM, "embedding fit: out of memory");
    m->dim = f->o.dim;
    m->flags = f->o.no_bigrams ? 0 : FLAG_BIGRAMS;
    m->n_docs = (int64_t)f->n_docs;
    m->sigma_exp = f->o.sigma_exp;
    m->min_df = f->o.min_df;
    m->max_df = f->o.max_df;
    lm_csr a;
    memset(&a, 0, sizeof a);
    lm_status st = choose_vocab(f, m, err);
    if (st == LM_OK)
        st = build_matrix(f, m, &a, err);
    if (st == LM_OK)
        st = fit_projection(f, m, &a, err);
    lm_csr_free(&a);
    if (st != LM_OK) {
        lm_embed_model_free(m);
        return st;
    }
    *out = m;
    return LM_OK;
}
