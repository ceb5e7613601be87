/*
 * Index maintenance with embeddings (see lm_index.h).  Embedding is done
 * in batches of articles read from the store, each batch's vectors written
 * in one transaction, so an interrupted refresh resumes where it stopped
 * and a refresh of 100,000 articles never holds more than a batch.
 */
#include "lm_index.h"

#include "../store/search/lm_lexindex.h"
#include "../store/search/lm_vec_cache.h"
#include "../util/lm_buf.h"
#include "../util/lm_clock.h"

#include <stdlib.h>
#include <string.h>

typedef struct embed_batch {
    const lm_embed_model *m;
    lm_embed_scratch *scratch;
    float *vecs;              /* batch x dim */
    int64_t *pmids;
    size_t n, cap;
    lm_buf text;
    lm_error *err;
} embed_batch;

static lm_status embed_one(void *ctx, int64_t pmid, const char *title, const char *abstract)
{
    embed_batch *b = ctx;
    if (b->n >= b->cap)
        return LM_ERR_ABORTED;
    lm_buf_reset(&b->text);
    if (lm_buf_append_str(&b->text, title ? title : "") != LM_OK ||
        lm_buf_append_char(&b->text, ' ') != LM_OK ||
        lm_buf_append_str(&b->text, abstract ? abstract : "") != LM_OK)
        return lm_error_set(b->err, LM_ERR_NOMEM, "embedding: out of memory");
    int dim = lm_embed_model_dim(b->m);
    float *v = b->vecs + b->n * (size_t)dim;
    lm_status st = lm_embed_text(b->m, b->scratch, lm_buf_cstr(&b->text), b->text.len, v,
                                 b->err);
    /* A non-finite vector (a damaged model) is not stored: the article
     * stays without one rather than scoring NaN. */
    if (st == LM_OK && lm_vec_all_finite(v, dim))
        b->pmids[b->n++] = pmid;
    return st;
}

/* Embeds every article without a vector of model_id. */
static lm_status refresh_vectors(lm_store *s, const lm_embed_model *m, int64_t model_id,
                                 const lm_search_refresh_options *o,
                                 lm_search_refresh_stats *stats, lm_error *err)
{
    double t0 = lm_now_seconds();
    int dim = lm_embed_model_dim(m);
    lm_vec_format format = o->format_set ? o->format : LM_VEC_DEFAULT;
    embed_batch b = {m, NULL, NULL, NULL, 0, (size_t)(o->batch > 0 ? o->batch : 5000),
                     {0}, err};
    lm_buf_init(&b.text);
    int64_t total = 0;
    lm_status ls = lm_search_count_missing(s, model_id, &total, err);
    if (ls == LM_OK)
        ls = lm_embed_scratch_init(&b.scratch, err);
    b.vecs = malloc(b.cap * (size_t)dim * sizeof *b.vecs);
    b.pmids = malloc(b.cap * sizeof *b.pmids);
    if (ls == LM_OK && (!b.vecs || !b.pmids))
        ls = lm_error_set(err, LM_ERR_NOMEM, "embedding: out of memory");
    int64_t after = 0, done = 0;
    while (ls == LM_OK && total > 0) {
        b.n = 0;
        ls = lm_vec_each_missing(s, model_id, after, (int)b.cap, embed_one, &b, err);
        if (ls != LM_OK || b.n == 0)
            break;
        ls = lm_store_begin(s, err);
        for (size_t i = 0; ls == LM_OK && i < b.n; i++)
            ls = lm_vec_put(s, model_id, b.pmids[i], format, b.vecs + i * (size_t)dim, dim, err);
        if (ls == LM_OK)
            ls = lm_store_commit(s, err);
        if (ls != LM_OK) {
            lm_store_rollback(s, NULL);
            break;
        }
        after = b.pmids[b.n - 1];
        done += (int64_t)b.n;
        stats->embedded += (int64_t)b.n;
        if (o->progress)
            o->progress(o->progress_ctx, "embed", done, total);
    }
    lm_embed_scratch_free(b.scratch);
    free(b.vecs);
    free(b.pmids);
    lm_buf_free(&b.text);
    stats->embed_seconds += lm_now_seconds() - t0;
    return ls;
}

lm_status lm_index_refresh(lm_store *s, const lm_search_refresh_options *opts,
                           lm_search_refresh_stats *stats, lm_error *err)
{
    lm_search_refresh_options o = {0};
    if (opts)
        o = *opts;
    lm_search_refresh_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (lm_store_is_readonly(s))
        return lm_error_set(err, LM_ERR_USAGE, "database was opened read-only");
    lm_status ls = lm_search_refresh_text(s, &o, stats, err);
    if (ls != LM_OK || o.skip_vectors)
        return ls;
    lm_vec_model_info info;
    void *data = NULL;
    size_t len = 0;
    int found = 0;
    int64_t missing = 0;
    ls = lm_vec_model_current_info(s, &info, &found, err);
    /* Another embedder's vectors are refreshed by that embedder. */
    if (ls != LM_OK || !found || strcmp(info.kind, LM_EMBED_KIND) != 0)
        return ls == LM_OK ? lm_vec_cache_refresh(s, LM_EMBED_KIND, err) : ls;
    stats->model_id = info.id;
    /* The model can be 100 MB: read it only when some vector is missing. */
    ls = lm_search_count_missing(s, info.id, &missing, err);
    if (ls != LM_OK || missing <= 0)
        return ls == LM_OK ? lm_vec_cache_refresh(s, LM_EMBED_KIND, err) : ls;
    ls = lm_vec_model_current(s, &info, &data, &len, &found, err);
    lm_embed_model *m = NULL;
    if (ls == LM_OK)
        ls = lm_embed_model_load(data, len, &m, err);
    free(data);
    if (ls == LM_OK)
        ls = refresh_vectors(s, m, info.id, &o, stats, err);
    lm_embed_model_free(m);
    return ls == LM_OK ? lm_vec_cache_refresh(s, LM_EMBED_KIND, err) : ls;
}

typedef struct fit_ctx {
    lm_embed_fitter *f;
    lm_buf text;
    int64_t last;
    size_t seen;
    size_t stride;            /* keep every stride-th article */
    lm_error *err;
} fit_ctx;

static lm_status fit_one(void *ctx, const lm_article *a)
{
    fit_ctx *c = ctx;
    c->last = a->pmid;
    if (c->seen++ % c->stride != 0)
        return LM_OK;
    lm_buf_reset(&c->text);
    if (lm_buf_append_str(&c->text, a->title ? a->title : "") != LM_OK ||
        lm_buf_append_char(&c->text, ' ') != LM_OK ||
        lm_buf_append_str(&c->text, a->abstract ? a->abstract : "") != LM_OK)
        return lm_error_set(c->err, LM_ERR_NOMEM, "fitting: out of memory");
    return lm_embed_fitter_add(c->f, lm_buf_cstr(&c->text), c->text.len, c->err);
}

lm_status lm_index_build(lm_store *s, const lm_index_build_options *opts,
                         lm_index_build_stats *stats, lm_error *err)
{
    lm_index_build_options o;
    memset(&o, 0, sizeof o);
    if (opts)
        o = *opts;
    lm_index_build_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (lm_store_is_readonly(s))
        return lm_error_set(err, LM_ERR_USAGE, "database was opened read-only");
    size_t max_docs = o.max_fit_docs ? o.max_fit_docs : LM_INDEX_DEFAULT_FIT_DOCS;
    lm_search_info info;
    lm_status ls = lm_search_get_info(s, &info, err);
    if (ls != LM_OK)
        return ls;
    int64_t n_articles = info.articles;
    if (n_articles < 2)
        return lm_error_set(err, LM_ERR_USAGE,
                            "the database holds %lld article(s); an embedding model needs "
                            "at least 2 (ingest some first)", (long long)n_articles);
    /* What a killed build left: a model that never became current. */
    ls = lm_vec_model_drop_unfinished(s, err);
    if (ls != LM_OK)
        return ls;
    double t0 = lm_now_seconds();
    fit_ctx c = {NULL, {0}, 0, 0, 1, err};
    c.stride = (size_t)n_articles > max_docs ? ((size_t)n_articles + max_docs - 1) / max_docs : 1;
    lm_buf_init(&c.text);
    ls = lm_embed_fitter_init(&c.f, &o.fit, err);
    if (ls == LM_OK)
        ls = lm_store_each_article(s, fit_one, &c, err);
    double t1 = lm_now_seconds();
    lm_embed_model *m = NULL;
    if (ls == LM_OK)
        ls = lm_embed_fitter_finish(c.f, &m, err);
    double t2 = lm_now_seconds();
    stats->fit_docs = c.f ? (int64_t)lm_embed_fitter_count(c.f) : 0;
    lm_embed_fitter_free(c.f);
    lm_buf_free(&c.text);
    stats->read_seconds = t1 - t0;
    stats->fit_seconds = t2 - t1;
    lm_buf blob, params;
    lm_buf_init(&blob);
    lm_buf_init(&params);
    if (ls == LM_OK)
        ls = lm_embed_model_save(m, &blob, err);
    if (ls == LM_OK)
        ls = lm_embed_model_params(m, &params, err);
    int64_t id = 0;
    if (ls == LM_OK)
        ls = lm_vec_model_add(s, LM_EMBED_KIND, lm_embed_model_dim(m), blob.data, blob.len,
                              stats->fit_docs, stats->fit_seconds, lm_buf_cstr(&params), &id,
                              err);
    lm_buf_free(&blob);
    lm_buf_free(&params);
    if (ls == LM_OK) {
        stats->model_id = id;
        stats->dim = lm_embed_model_dim(m);
        stats->vocab = lm_embed_model_vocab(m);
        ls = lm_search_refresh_text(s, &o.refresh, &stats->refresh, err);
    }
    /* A build is the time to leave the lexical index in one segment. */
    if (ls == LM_OK)
        ls = lm_lexindex_merge(s, 1, NULL, err);
    if (ls == LM_OK)
        ls = refresh_vectors(s, m, id, &o.refresh, &stats->refresh, err);
    if (ls == LM_OK) {
        ls = lm_store_begin(s, err);
        if (ls == LM_OK)
            ls = lm_vec_model_activate(s, id, err);
        if (ls == LM_OK)
            ls = lm_store_commit(s, err);
        if (ls != LM_OK)
            lm_store_rollback(s, NULL);
        stats->refresh.model_id = id;
    } else if (id) {
        lm_error ignored;
        lm_vec_model_delete(s, id, &ignored);   /* a half-built model is useless */
    }
    lm_embed_model_free(m);
    return ls;
}
