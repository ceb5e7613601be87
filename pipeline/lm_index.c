/*
 * Index maintenance with embeddings (see lm_index.h).  Embedding is done
 * in batches of articles read from the store, each batch's vectors written
 * in one transaction, so an interrupted refresh resumes where it stopped
 * and a refresh of 100,000 articles never holds more than a batch.
 *
 * Two embedders: the built-in LSA model, fitted here and stored whole, and
 * a transformer encoder ([embed] model = DIR), stored as a record naming
 * its directory and content id (nlp/lm_embed_encoder.h).  An encoder build
 * embeds into a model left 'building' until every article has its vector;
 * a killed build is resumed by the next build with the same encoder, whose
 * committed batches are kept — re-embedding is the expensive part.
 */
#include "lm_index.h"

#include "../nlp/lm_embed_encoder.h"
#include "../store/lm_store_embed.h"
#include "../store/search/lm_lexindex.h"
#include "../store/search/lm_vec_cache.h"
#include "../util/lm_buf.h"
#include "../util/lm_clock.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Articles per transaction when an encoder embeds (a few seconds of work
 * on BERT-base: a kill loses little). */
#define ENCODER_BATCH 256
#define MAX_WORKERS 64

/* One of the two embedders, with its scratch.  An encoder splits each
 * batch between workers, each with its own workspace and single-threaded
 * OpenBLAS: on BERT-base shapes that scales better than OpenBLAS's own
 * threads inside each product (bench/README.md), and a text's vector does
 * not depend on which worker made it. */
typedef struct embedder {
    const lm_embed_model *lsa;
    lm_embed_scratch *scratch;
    const lm_embed_encoder *enc;
    int workers;
    lm_encoder_ws *ws[MAX_WORKERS];
    int dim;
} embedder;

/* One worker's share of a batch. */
typedef struct embed_job {
    const lm_embed_encoder *enc;
    lm_encoder_ws *ws;
    const char *const *texts;
    const size_t *lens;
    size_t n;
    float *out;
    lm_status st;
    lm_error err;
} embed_job;

static void *embed_job_run(void *arg)
{
    embed_job *j = arg;
    j->st = lm_embed_encoder_texts(j->enc, j->ws, j->texts, j->lens, j->n, j->out, &j->err);
    return NULL;
}

/* Embeds n texts with the encoder, split between the workers by text
 * length so each gets about the same number of bytes. */
static lm_status encoder_embed(embedder *e, const char **texts, const size_t *lens, size_t n,
                               float *vecs, lm_error *err)
{
    int w = e->workers < 1 ? 1 : e->workers;
    if ((size_t)w > n)
        w = (int)n;
    if (w <= 1)
        return lm_embed_encoder_texts(e->enc, e->ws[0], texts, lens, n, vecs, err);
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += lens[i] + 1;
    embed_job jobs[MAX_WORKERS];
    pthread_t tids[MAX_WORKERS];
    int started[MAX_WORKERS] = {0};
    size_t from = 0, acc = 0;
    for (int k = 0; k < w; k++) {
        size_t to = from;
        size_t goal = total * (size_t)(k + 1) / (size_t)w;
        while (to < n && (k == w - 1 || acc + lens[to] + 1 <= goal || to == from)) {
            acc += lens[to] + 1;
            to++;
        }
        jobs[k] = (embed_job){e->enc, e->ws[k], texts + from, lens + from, to - from,
                              vecs + from * (size_t)e->dim, LM_OK, {0}};
        from = to;
    }
    for (int k = 0; k < w; k++) {
        if (jobs[k].n == 0)
            continue;
        started[k] = pthread_create(&tids[k], NULL, embed_job_run, &jobs[k]) == 0;
        if (!started[k])
            embed_job_run(&jobs[k]);   /* no thread: do it here */
    }
    lm_status st = LM_OK;
    for (int k = 0; k < w; k++) {
        if (started[k])
            pthread_join(tids[k], NULL);
        if (st == LM_OK && jobs[k].st != LM_OK) {
            st = jobs[k].st;
            if (err)
                *err = jobs[k].err;
        }
    }
    return st;
}

typedef struct embed_batch {
    int64_t *pmids;
    size_t *offs;             /* text i is texts[offs[i] .. offs[i + 1]) */
    size_t n, cap;
    lm_buf texts;
    lm_error *err;
} embed_batch;

static lm_status collect_one(void *ctx, int64_t pmid, const char *title, const char *abstract)
{
    embed_batch *b = ctx;
    if (b->n >= b->cap)
        return LM_ERR_ABORTED;
    lm_status st = lm_embed_encoder_article_text(title, abstract, &b->texts, b->err);
    if (st != LM_OK)
        return st;
    b->pmids[b->n++] = pmid;
    b->offs[b->n] = b->texts.len;
    return LM_OK;
}

/* Embeds the batch's texts into vecs (n x dim), then drops the articles
 * whose vector is not finite (a damaged model): they stay without one
 * rather than scoring NaN. */
static lm_status embed_batch_run(embedder *e, embed_batch *b, float *vecs, const char **texts,
                                 size_t *lens, lm_error *err)
{
    lm_status st = LM_OK;
    for (size_t i = 0; i < b->n; i++) {
        texts[i] = b->texts.data + b->offs[i];
        lens[i] = b->offs[i + 1] - b->offs[i];
    }
    if (e->enc) {
        st = encoder_embed(e, texts, lens, b->n, vecs, err);
    } else {
        for (size_t i = 0; st == LM_OK && i < b->n; i++)
            st = lm_embed_text(e->lsa, e->scratch, texts[i], lens[i], vecs + i * (size_t)e->dim,
                               err);
    }
    size_t kept = 0;
    for (size_t i = 0; st == LM_OK && i < b->n; i++) {
        if (!lm_vec_all_finite(vecs + i * (size_t)e->dim, e->dim))
            continue;
        if (kept != i)
            memcpy(vecs + kept * (size_t)e->dim, vecs + i * (size_t)e->dim,
                   (size_t)e->dim * sizeof *vecs);
        b->pmids[kept++] = b->pmids[i];
    }
    return st;
}

#define COMPACT_BYTES ((size_t)4 << 20)

/* Embeds every article without a vector of model_id. */
static lm_status refresh_vectors(lm_store *s, embedder *e, int64_t model_id,
                                 const lm_search_refresh_options *o,
                                 lm_search_refresh_stats *stats, lm_error *err)
{
    double t0 = lm_now_seconds();
    int dim = e->dim;
    lm_vec_format format = o->format_set ? o->format : LM_VEC_DEFAULT;
    size_t cap = (size_t)(o->batch > 0 ? o->batch : e->enc ? ENCODER_BATCH : 5000);
    embed_batch b = {NULL, NULL, 0, cap, {0}, err};
    lm_buf_init(&b.texts);
    int64_t total = 0;
    lm_status ls = lm_search_count_missing(s, model_id, &total, err);
    if (ls == LM_OK && total > 0 && !e->enc)
        ls = lm_embed_scratch_init(&e->scratch, err);
    for (int k = 0; ls == LM_OK && total > 0 && e->enc && k < (e->workers > 0 ? e->workers : 1);
         k++)
        ls = lm_encoder_ws_init(&e->ws[k], lm_embed_encoder_model(e->enc), err);
    float *vecs = malloc(cap * (size_t)dim * sizeof *vecs);
    const char **texts = malloc(cap * sizeof *texts);
    size_t *lens = malloc(cap * sizeof *lens);
    b.pmids = malloc(cap * sizeof *b.pmids);
    b.offs = malloc((cap + 1) * sizeof *b.offs);
    if (ls == LM_OK && (!vecs || !texts || !lens || !b.pmids || !b.offs))
        ls = lm_error_set(err, LM_ERR_NOMEM, "embedding: out of memory");
    int64_t after = 0, done = 0;
    /* Full rows move into the vector file every COMPACT_BYTES (or an
     * eighth of what is embedded, whichever is more): the pages they free
     * are taken by the next batches, so a build leaves at most that much
     * free in the database (its last step), and writes the file about
     * eight times its size in all. */
    size_t row_bytes = lm_vec_encoded_size(format, dim), pending = 0;
    size_t step = o->compact_bytes ? o->compact_bytes : COMPACT_BYTES;
    while (ls == LM_OK && total > 0) {
        b.n = 0;
        b.offs[0] = 0;
        lm_buf_reset(&b.texts);
        ls = lm_vec_each_missing(s, model_id, after, (int)b.cap, collect_one, &b, err);
        if (ls != LM_OK || b.n == 0)
            break;
        after = b.pmids[b.n - 1];
        size_t read = b.n;
        ls = embed_batch_run(e, &b, vecs, texts, lens, err);
        if (ls == LM_OK)
            ls = lm_store_begin(s, err);
        for (size_t i = 0; ls == LM_OK && i < b.n; i++)
            ls = lm_vec_put(s, model_id, b.pmids[i], format, vecs + i * (size_t)dim, dim,
                            err);
        if (ls == LM_OK)
            ls = lm_store_commit(s, err);
        if (ls != LM_OK) {
            lm_store_rollback(s, NULL);
            break;
        }
        done += (int64_t)read;
        stats->embedded += (int64_t)b.n;
        pending += b.n * row_bytes;
        if (pending >= step && pending >= (size_t)stats->embedded * row_bytes / 8) {
            ls = lm_vec_cache_compact_model(s, model_id, err);
            pending = 0;
        }
        if (o->progress)
            o->progress(o->progress_ctx, "embed", done, total);
    }
    lm_embed_scratch_free(e->scratch);
    e->scratch = NULL;
    for (int k = 0; k < MAX_WORKERS; k++) {
        lm_encoder_ws_free(e->ws[k]);
        e->ws[k] = NULL;
    }
    free(vecs);
    free(texts);
    free(lens);
    free(b.pmids);
    free(b.offs);
    lm_buf_free(&b.texts);
    stats->embed_seconds += lm_now_seconds() - t0;
    return ls;
}

/* Workers for an encoder: threads, else one per online CPU (an index
 * build or refresh runs alone); OpenBLAS then runs single-threaded in
 * each. */
static int encoder_workers(int threads)
{
    long n = threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > MAX_WORKERS)
        n = MAX_WORKERS;
    lm_encoder_set_blas_threads(1);
    return (int)n;
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
    if (ls != LM_OK)
        return ls;
    int is_lsa = found && strcmp(info.kind, LM_EMBED_KIND) == 0;
    int is_encoder = found && strcmp(info.kind, LM_EMBED_ENCODER_KIND) == 0;
    const char *kind = found ? info.kind : LM_EMBED_KIND;
    /* Another embedder's vectors are refreshed by that embedder. */
    if (!is_lsa && !is_encoder)
        return lm_vec_cache_refresh(s, kind, err);
    stats->model_id = info.id;
    /* The model can be 100 MB: read it only when some vector is missing. */
    ls = lm_search_count_missing(s, info.id, &missing, err);
    if (ls != LM_OK || missing <= 0)
        return ls == LM_OK ? lm_vec_cache_refresh(s, kind, err) : ls;
    ls = lm_vec_model_current(s, &info, &data, &len, &found, err);
    embedder e = {0};
    lm_embed_model *m = NULL;
    lm_embed_encoder *enc = NULL;
    if (ls == LM_OK && is_lsa) {
        ls = lm_embed_model_load(data, len, &m, err);
        e.lsa = m;
        e.dim = m ? lm_embed_model_dim(m) : 0;
    } else if (ls == LM_OK) {
        ls = lm_embed_encoder_open_record(&enc, data, len, err);
        e.enc = enc;
        e.dim = enc ? lm_embed_encoder_dim(enc) : 0;
        e.workers = encoder_workers(0);
    }
    free(data);
    if (ls == LM_OK)
        ls = refresh_vectors(s, &e, info.id, &o, stats, err);
    lm_embed_model_free(m);
    lm_embed_encoder_free(enc);
    return ls == LM_OK ? lm_vec_cache_refresh(s, kind, err) : ls;
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

/* Makes model id, with the bytes stored in its row, current (the older
 * one's vectors go), in one transaction. */
static lm_status activate(lm_store *s, int64_t id, lm_error *err)
{
    lm_status ls = lm_store_begin(s, err);
    if (ls == LM_OK)
        ls = lm_vec_model_activate(s, id, err);
    if (ls == LM_OK)
        ls = lm_store_commit(s, err);
    if (ls != LM_OK)
        lm_store_rollback(s, NULL);
    return ls;
}

/* The unfinished models a killed build left, to resume or drop. */
typedef struct id_list {
    int64_t ids[64];
    size_t n;
} id_list;

static lm_status collect_unfinished(void *ctx, const lm_vec_model_info *m)
{
    id_list *l = ctx;
    if (strcmp(m->state, "building") == 0 && l->n < sizeof l->ids / sizeof l->ids[0])
        l->ids[l->n++] = m->id;
    return LM_OK;
}

/* The model to embed into: the current one when it is this encoder
 * already (*current = 1), else an unfinished build of this encoder, else
 * a new 'building' model.  Unfinished models of anything else go. */
static lm_status encoder_target(lm_store *s, lm_embed_encoder *enc, int64_t *id, int *current,
                                int *resumed, lm_error *err)
{
    *id = 0;
    *current = *resumed = 0;
    lm_vec_model_info cur;
    void *data = NULL;
    size_t len = 0;
    int found = 0, same = 0;
    lm_status ls = lm_vec_model_current(s, &cur, &data, &len, &found, err);
    if (ls == LM_OK && found && strcmp(cur.kind, LM_EMBED_ENCODER_KIND) == 0)
        ls = lm_embed_encoder_matches(enc, data, len, &same, err);
    free(data);
    if (ls == LM_OK && same) {
        *id = cur.id;
        *current = 1;
    }
    id_list l = {{0}, 0};
    if (ls == LM_OK)
        ls = lm_vec_model_list(s, collect_unfinished, &l, err);
    for (size_t i = 0; ls == LM_OK && i < l.n; i++) {
        same = 0;
        ls = lm_store_embed_model_data(s, l.ids[i], &data, &len, err);
        if (ls == LM_OK && !*id) {
            /* Any damaged or foreign record is simply not resumed. */
            lm_error ignored;
            if (lm_embed_encoder_matches(enc, data, len, &same, &ignored) != LM_OK)
                same = 0;
        }
        free(data);
        data = NULL;
        if (ls == LM_OK && same) {
            *id = l.ids[i];
            *resumed = 1;
        } else if (ls == LM_OK) {
            ls = lm_vec_model_delete(s, l.ids[i], err);
        }
    }
    if (ls == LM_OK && !*id) {
        lm_buf rec;
        lm_buf_init(&rec);
        ls = lm_embed_encoder_record(enc, &rec, err);
        if (ls == LM_OK)
            ls = lm_vec_model_add(s, LM_EMBED_ENCODER_KIND, lm_embed_encoder_dim(enc), rec.data,
                                  rec.len, 0, 0.0, lm_buf_cstr(&rec), id, err);
        lm_buf_free(&rec);
    }
    return ls;
}

/* index build with [embed] model = DIR: every article through the
 * encoder, into a model that becomes current when complete. */
static lm_status build_encoder(lm_store *s, const lm_index_build_options *o,
                               lm_index_build_stats *stats, lm_error *err)
{
    lm_embed_encoder *enc = NULL;
    lm_status ls = lm_embed_encoder_open_as(&enc, o->encoder_dir, o->encoder_pooling,
                                            o->encoder_precision, err);
    if (ls != LM_OK)
        return lm_error_wrap(err, "[embed] model");
    stats->encoder = 1;
    stats->dim = lm_embed_encoder_dim(enc);
    int64_t id = 0;
    int current = 0;
    double t0 = lm_now_seconds();
    ls = encoder_target(s, enc, &id, &current, &stats->resumed, err);
    stats->read_seconds = lm_now_seconds() - t0;
    stats->unchanged = current;
    stats->model_id = id;
    lm_search_refresh_options ro = o->refresh;
    if (ls == LM_OK)
        ls = lm_search_refresh_text(s, &ro, &stats->refresh, err);
    if (ls == LM_OK)
        ls = lm_lexindex_merge(s, 1, NULL, err);
    embedder e = {NULL, NULL, enc, encoder_workers(o->threads), {NULL}, stats->dim};
    if (ls == LM_OK)
        ls = refresh_vectors(s, &e, id, &ro, &stats->refresh, err);
    /* A failed build keeps its model 'building' with the batches it
     * committed: the next build resumes it. */
    if (ls == LM_OK && !current)
        ls = activate(s, id, err);
    stats->refresh.model_id = id;
    lm_embed_encoder_free(enc);
    return ls == LM_OK ? lm_vec_cache_refresh(s, LM_EMBED_ENCODER_KIND, err) : ls;
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
    if (o.encoder_dir && *o.encoder_dir)
        return build_encoder(s, &o, stats, err);
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
    lm_buf_init(&params);
    if (ls == LM_OK)
        ls = lm_embed_model_params(m, &params, err);
    int64_t id = 0;
    /* The bytes are stored when the model becomes current (below): the
     * row is then written once, and the vectors are embedded meanwhile
     * without the 100 MB serialized copy in memory.  A build killed before
     * leaves a 'building' row without them, dropped by the next build. */
    if (ls == LM_OK)
        ls = lm_vec_model_add(s, LM_EMBED_KIND, lm_embed_model_dim(m), NULL, 0,
                              stats->fit_docs, stats->fit_seconds, lm_buf_cstr(&params), &id,
                              err);
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
    embedder e = {m, NULL, NULL, 0, {NULL}, m ? lm_embed_model_dim(m) : 0};
    if (ls == LM_OK)
        ls = refresh_vectors(s, &e, id, &o.refresh, &stats->refresh, err);
    lm_buf_init(&blob);
    if (ls == LM_OK)
        ls = lm_embed_model_save(m, &blob, err);
    if (ls == LM_OK) {
        ls = lm_vec_cache_activate(s, id, blob.data, blob.len, err);
        stats->refresh.model_id = id;
    }
    lm_buf_free(&blob);
    if (ls != LM_OK && id) {
        lm_error ignored;
        lm_vec_model_delete(s, id, &ignored);   /* a half-built model is useless */
    }
    lm_embed_model_free(m);
    /* A build writes hundreds of MB through the write-ahead log; left there,
     * every later read-only `query` process would scan it (measured ~100 ms
     * per call at 50k abstracts), so the build ends with a checkpoint. */
    if (ls == LM_OK)
        ls = lm_store_maintain(s, err);
    return ls;
}
