/*
 * lm_search: index maintenance (FTS5 and the lexical index), hybrid fusion,
 * concept boosts and hit explanations (see lm_search.h).
 *
 * Lexical ranking runs on litmine's own inverted index (lm_lexindex), not
 * on FTS5: FTS5 ranks through its auxiliary-function API at ~3 us per
 * matching row, 300 ms for a query of common words over 100,000
 * abstracts, where the lexical index needs ~20 ms.  BM25F parameters are
 * tuned per field and each query term carries its own weight, so that
 * phrase, synonym and feedback terms add evidence without drowning the
 * words the user typed.  FTS5 stays for `export --query` and as the plain
 * baseline that `eval search` reports.
 *
 * Fusion: the lexical score divided by the query's best lexical score
 * (so it lies in [0, 1] whatever the query length) plus dense_weight times
 * the cosine.  Every candidate gets both signals: a lexical candidate's
 * cosine is read from the in-memory matrix, a dense-only candidate has
 * lexical 0.  A plain reciprocal-rank fusion was measured worse (a weak
 * dense list then moves documents as much as a strong lexical one).
 */
#include "../../util/lm_sort.h"
#include "lm_lexindex.h"
#include "lm_search.h"
#include "../lm_store_internal.h"
#include "lm_vec_cache.h"

#include "../../nlp/lm_lexicon.h"
#include "../../nlp/lm_ner.h"
#include "../../nlp/lm_sentence.h"
#include "../../util/lm_utf8.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum {
    SL_PENDING_BOUND = LM_STORE_SLOT_SEARCH,
    SL_PENDING_DROPPED,
    SL_FTS_ADD,
    SL_INDEXED_ADD,
    SL_PENDING_DELETE,
    SL_COUNT_ARTICLES,
    SL_COUNT_INDEXED,
    SL_COUNT_PENDING,
    SL_MENTION_TYPE,
    SL_CONCEPT_DOCS,
    SL_ARTICLE_TEXT,
    SL_SENTENCES,
    SL_CONCEPT_SPANS,
    SL_PAIRS,
    SL_MISSING_COUNT,
    SL_BASELINE,
    SL_LEX_PENDING,
    SL_YEAR
};

/* Articles without a vector of model ?1.  Counted from two indexes
 * (every vector's article exists: foreign key with cascade): a NOT EXISTS
 * scan would read every article row, text included, at each refresh. */
#define MISSING_VECTORS_SQL                                                                    \
    "SELECT (SELECT count(*) FROM articles)"                                                  \
    " - (SELECT count(*) FROM vectors INDEXED BY vectors_pmid WHERE model_id = ?1)"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static lm_status stmt_err(lm_error *err)
{
    return err && err->code != LM_OK ? err->code : LM_ERR_DB;
}

/* Runs a statement of a slot that returns nothing, with up to one int64
 * parameter (bound when nparam > 0). */
static lm_status exec_slot(lm_store *s, int slot, const char *sql, int nparam, int64_t p1,
                           const char *what, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, slot, sql, err);
    if (!st)
        return stmt_err(err);
    int brc = SQLITE_OK;
    if (nparam > 0)
        lm_bind_int64(st, 1, p1, &brc);
    int rc = lm_bind_step(st, brc);
    lm_status ls = LM_OK;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        ls = lm_store_fail(s, rc, err, "%s", what);
    sqlite3_reset(st);
    return ls;
}

static lm_status query_count(lm_store *s, int slot, const char *sql, int64_t p1, int64_t *out,
                             lm_error *err)
{
    return lm_store_query_int(s, slot, sql, p1, out, "counting search index rows", err);
}

/* ---- FTS maintenance ----------------------------------------------------- */

/* Tokenizes the queued articles up to bound into the lexical index (one
 * segment), inside the caller's transaction. */
static lm_status refresh_lexindex(lm_store *s, lm_lexindex_writer *w, int64_t bound,
                                  int64_t *added, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SL_LEX_PENDING,
                                     "SELECT a.pmid, a.title, a.abstract FROM search_pending p"
                                     " JOIN articles a ON a.pmid = p.pmid WHERE p.pmid <= ?1"
                                     " ORDER BY p.pmid",
                                     err);
    if (!st)
        return stmt_err(err);
    int brc = SQLITE_OK;
    lm_bind_int64(st, 1, bound, &brc);
    int rc;
    lm_status ls = LM_OK;
    while (ls == LM_OK && (rc = lm_bind_step(st, brc)) == SQLITE_ROW) {
        ls = lm_lexindex_writer_add(w, sqlite3_column_int64(st, 0),
                                    (const char *)sqlite3_column_text(st, 1),
                                    (const char *)sqlite3_column_text(st, 2), err);
        if (ls == LM_OK)
            ++*added;
    }
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "reading the search queue");
    sqlite3_reset(st);
    if (ls == LM_OK)
        ls = lm_lexindex_writer_flush(w, s, err);
    return ls;
}

static lm_status refresh_fts(lm_store *s, const lm_search_refresh_options *o,
                             lm_search_refresh_stats *stats, lm_error *err)
{
    double t0 = now_s();
    int batch = o->batch > 0 ? o->batch : 5000;
    int64_t total = 0, done = 0;
    lm_lexindex_writer *w = NULL;
    lm_status ls = lm_lexindex_writer_init(&w, err);
    if (ls == LM_OK)
        ls = query_count(s, SL_COUNT_PENDING, "SELECT count(*) FROM search_pending", 0, &total,
                         err);
    while (ls == LM_OK) {
        /* The batch ends at the batch-th pending PMID (or the last). */
        sqlite3_stmt *st = lm_store_stmt(
            s, SL_PENDING_BOUND,
            "SELECT max(pmid) FROM (SELECT pmid FROM search_pending ORDER BY pmid LIMIT ?1)",
            err);
        if (!st) {
            ls = stmt_err(err);
            break;
        }
        int brc = SQLITE_OK;
        lm_bind_int(st, 1, batch, &brc);
        int rc = lm_bind_step(st, brc);
        int empty = rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_NULL;
        int64_t bound = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        if (rc != SQLITE_ROW)
            ls = lm_store_fail(s, rc, err, "reading the search queue");
        sqlite3_reset(st);
        if (ls != LM_OK || empty)
            break;
        ls = lm_store_begin(s, err);
        if (ls != LM_OK)
            break;
        int64_t dropped = 0, lex_added = 0;
        ls = query_count(s, SL_PENDING_DROPPED,
                         "SELECT count(*) FROM search_pending p WHERE p.pmid <= ?1 AND"
                         " NOT EXISTS (SELECT 1 FROM articles a WHERE a.pmid = p.pmid)",
                         bound, &dropped, err);
        if (ls == LM_OK)
            ls = exec_slot(s, SL_FTS_ADD,
                           "INSERT INTO search_fts (rowid, title, abstract)"
                           " SELECT a.pmid, a.title, a.abstract FROM search_pending p"
                           " JOIN articles a ON a.pmid = p.pmid WHERE p.pmid <= ?1 AND"
                           " NOT EXISTS (SELECT 1 FROM search_indexed i WHERE i.pmid = p.pmid)",
                           1, bound, "adding articles to the search index", err);
        int64_t added = ls == LM_OK ? sqlite3_changes(lm_store_sqlite(s)) : 0;
        if (ls == LM_OK)
            ls = refresh_lexindex(s, w, bound, &lex_added, err);
        if (ls == LM_OK)
            ls = exec_slot(s, SL_INDEXED_ADD,
                           "INSERT OR IGNORE INTO search_indexed (pmid) SELECT p.pmid"
                           " FROM search_pending p JOIN articles a ON a.pmid = p.pmid"
                           " WHERE p.pmid <= ?1",
                           1, bound, "recording indexed articles", err);
        if (ls == LM_OK)
            ls = exec_slot(s, SL_PENDING_DELETE, "DELETE FROM search_pending WHERE pmid <= ?1",
                           1, bound, "emptying the search queue", err);
        int64_t batch_rows = ls == LM_OK ? sqlite3_changes(lm_store_sqlite(s)) : 0;
        if (ls == LM_OK)
            ls = lm_store_commit(s, err);
        if (ls != LM_OK) {
            lm_store_rollback(s, NULL);
            break;
        }
        stats->fts_added += added;
        stats->lex_added += lex_added;
        stats->pending_dropped += dropped;
        done += batch_rows;
        if (o->progress)
            o->progress(o->progress_ctx, "fts", done, total);
    }
    lm_lexindex_writer_free(w);
    /* One merge at the end rewrites less than one per batch. */
    if (ls == LM_OK)
        ls = lm_lexindex_merge(s, LM_LEXINDEX_MAX_SEGMENTS, NULL, err);
    stats->fts_seconds += now_s() - t0;
    return ls;
}

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
    double t0 = now_s();
    int dim = lm_embed_model_dim(m);
    embed_batch b = {m, NULL, NULL, NULL, 0, (size_t)(o->batch > 0 ? o->batch : 5000),
                     {0}, err};
    lm_buf_init(&b.text);
    int64_t total = 0;
    lm_status ls = query_count(s, SL_MISSING_COUNT,
                               MISSING_VECTORS_SQL,
                               model_id, &total, err);
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
            ls = lm_vec_put(s, model_id, b.pmids[i], o->format, b.vecs + i * (size_t)dim, dim,
                            err);
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
    stats->embed_seconds += now_s() - t0;
    return ls;
}

/* Rewrites the vector cache file when the vectors changed, so that the
 * next `litmine query` maps it even if its user cannot write there. */
static lm_status refresh_vector_cache(lm_store *s, lm_error *err)
{
    lm_vec_cache c;
    int found = 0;
    lm_status ls = lm_vec_cache_open(s, NULL, LM_EMBED_KIND, &c, &found, err);
    if (ls == LM_OK && found)
        lm_vec_cache_close(&c);
    return ls;
}

lm_status lm_search_refresh(lm_store *s, const lm_search_refresh_options *opts,
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
    lm_status ls = refresh_fts(s, &o, stats, err);
    if (ls != LM_OK || o.skip_vectors)
        return ls;
    lm_vec_model_info info;
    void *data = NULL;
    size_t len = 0;
    int found = 0;
    int64_t missing = 0;
    ls = lm_vec_model_current(s, &info, NULL, NULL, &found, err);
    /* Another embedder's vectors are refreshed by that embedder. */
    if (ls != LM_OK || !found || strcmp(info.kind, LM_EMBED_KIND) != 0)
        return ls == LM_OK ? refresh_vector_cache(s, err) : ls;
    stats->model_id = info.id;
    /* The model can be 100 MB: read it only when some vector is missing. */
    ls = query_count(s, SL_MISSING_COUNT, MISSING_VECTORS_SQL, info.id, &missing, err);
    if (ls != LM_OK || missing <= 0)
        return ls == LM_OK ? refresh_vector_cache(s, err) : ls;
    ls = lm_vec_model_current(s, &info, &data, &len, &found, err);
    lm_embed_model *m = NULL;
    if (ls == LM_OK)
        ls = lm_embed_model_load(data, len, &m, err);
    free(data);
    if (ls == LM_OK)
        ls = refresh_vectors(s, m, info.id, &o, stats, err);
    lm_embed_model_free(m);
    return ls == LM_OK ? refresh_vector_cache(s, err) : ls;
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

lm_status lm_search_build(lm_store *s, const lm_search_build_options *opts,
                          lm_search_build_stats *stats, lm_error *err)
{
    lm_search_build_options o;
    memset(&o, 0, sizeof o);
    if (opts)
        o = *opts;
    lm_search_build_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (lm_store_is_readonly(s))
        return lm_error_set(err, LM_ERR_USAGE, "database was opened read-only");
    size_t max_docs = o.max_fit_docs ? o.max_fit_docs : 200000;
    int64_t n_articles = 0;
    lm_status ls = query_count(s, SL_COUNT_ARTICLES, "SELECT count(*) FROM articles", 0,
                               &n_articles, err);
    if (ls != LM_OK)
        return ls;
    if (n_articles < 2)
        return lm_error_set(err, LM_ERR_USAGE,
                            "the database holds %lld article(s); an embedding model needs "
                            "at least 2 (ingest some first)", (long long)n_articles);
    /* What a killed build left: a model that never became current. */
    ls = lm_vec_model_drop_unfinished(s, err);
    if (ls != LM_OK)
        return ls;
    double t0 = now_s();
    fit_ctx c = {NULL, {0}, 0, 0, 1, err};
    c.stride = (size_t)n_articles > max_docs ? ((size_t)n_articles + max_docs - 1) / max_docs : 1;
    lm_buf_init(&c.text);
    ls = lm_embed_fitter_init(&c.f, &o.fit, err);
    if (ls == LM_OK)
        ls = lm_store_each_article(s, fit_one, &c, err);
    double t1 = now_s();
    lm_embed_model *m = NULL;
    if (ls == LM_OK)
        ls = lm_embed_fitter_finish(c.f, &m, err);
    double t2 = now_s();
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
        ls = refresh_fts(s, &o.refresh, &stats->refresh, err);
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

lm_status lm_search_rebuild_fts(lm_store *s, lm_error *err)
{
    sqlite3 *db = lm_store_sqlite(s);
    lm_status ls = lm_store_begin(s, err);
    if (ls != LM_OK)
        return ls;
    int rc = sqlite3_exec(db,
                          "INSERT INTO search_fts (search_fts) VALUES ('rebuild');"
                          "DELETE FROM search_indexed;"
                          "INSERT INTO search_indexed (pmid) SELECT pmid FROM articles;"
                          "DELETE FROM search_pending;",
                          NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        ls = lm_store_fail(s, rc, err, "rebuilding the search index");
    /* The lexical index is rebuilt by a refresh of every article (FTS5
     * skips them: they are indexed). */
    if (ls == LM_OK)
        ls = lm_lexindex_reset(s, err);
    if (ls != LM_OK) {
        lm_store_rollback(s, NULL);
        return ls;
    }
    ls = lm_store_commit(s, err);
    lm_search_refresh_options o = {0};
    lm_search_refresh_stats stats = {0};
    if (ls == LM_OK)
        ls = refresh_fts(s, &o, &stats, err);
    if (ls == LM_OK)
        ls = lm_lexindex_merge(s, 1, NULL, err);
    return ls;
}

lm_status lm_search_get_info(lm_store *s, lm_search_info *out, lm_error *err)
{
    memset(out, 0, sizeof *out);
    lm_status ls = query_count(s, SL_COUNT_ARTICLES, "SELECT count(*) FROM articles", 0,
                               &out->articles, err);
    if (ls == LM_OK)
        ls = query_count(s, SL_COUNT_INDEXED, "SELECT count(*) FROM search_indexed", 0,
                         &out->fts_indexed, err);
    if (ls == LM_OK)
        ls = query_count(s, SL_COUNT_PENDING, "SELECT count(*) FROM search_pending", 0,
                         &out->fts_pending, err);
    lm_lexindex_info li;
    if (ls == LM_OK)
        ls = lm_lexindex_get_info(s, &li, err);
    if (ls == LM_OK) {
        out->lex_docs = li.docs;
        out->lex_segments = li.segments;
        out->lex_dead = li.dead;
        out->lex_terms = li.terms;
    }
    int found = 0;
    if (ls == LM_OK)
        ls = lm_vec_model_current(s, &out->model, NULL, NULL, &found, err);
    out->has_model = found;
    if (ls == LM_OK && found)
        ls = query_count(s, SL_MISSING_COUNT,
                         MISSING_VECTORS_SQL,
                         out->model.id, &out->missing_vectors, err);
    return ls;
}

lm_status lm_search_check(lm_store *s, lm_error *err)
{
    sqlite3 *db = lm_store_sqlite(s);
    /* rank = 1 also compares the index with the content table, which
     * only holds when nothing is pending; without pending rows every
     * article must be indexed. */
    int64_t pending = 0, indexed = 0, articles = 0, stray = 0;
    lm_status ls = query_count(s, SL_COUNT_PENDING, "SELECT count(*) FROM search_pending", 0,
                               &pending, err);
    if (ls == LM_OK)
        ls = query_count(s, SL_COUNT_INDEXED, "SELECT count(*) FROM search_indexed", 0,
                         &indexed, err);
    if (ls == LM_OK)
        ls = query_count(s, SL_COUNT_ARTICLES, "SELECT count(*) FROM articles", 0, &articles,
                         err);
    if (ls != LM_OK)
        return ls;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT count(*) FROM search_indexed i WHERE NOT EXISTS"
                                " (SELECT 1 FROM articles a WHERE a.pmid = i.pmid)",
                                -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stray = sqlite3_column_int64(st, 0), rc = SQLITE_OK;
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return lm_store_fail(s, rc, err, "checking the search index");
    if (stray)
        return lm_error_set(err, LM_ERR_CORRUPT,
                            "search index: %lld indexed article(s) no longer exist",
                            (long long)stray);
    if (pending == 0 && indexed != articles)
        return lm_error_set(err, LM_ERR_CORRUPT,
                            "search index holds %lld of %lld articles with nothing pending",
                            (long long)indexed, (long long)articles);
    const char *sql = pending == 0
                          ? "INSERT INTO search_fts (search_fts, rank) VALUES"
                            " ('integrity-check', 1)"
                          : "INSERT INTO search_fts (search_fts) VALUES ('integrity-check')";
    rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return lm_error_set(err, LM_ERR_CORRUPT, "search index integrity check failed: %s",
                            sqlite3_errmsg(db));
    return lm_lexindex_check(s, err);
}

lm_status lm_search_set_fts_mode(lm_store *s, lm_fts_mode mode, lm_error *err)
{
    const char *sql =
        mode == LM_FTS_IMMEDIATE
            ? "DROP TRIGGER IF EXISTS search_articles_ai;"
              "CREATE TRIGGER search_articles_ai AFTER INSERT ON articles BEGIN"
              " INSERT INTO search_fts (rowid, title, abstract)"
              " VALUES (NEW.pmid, NEW.title, NEW.abstract);"
              " INSERT OR IGNORE INTO search_indexed (pmid) VALUES (NEW.pmid);"
              " INSERT OR IGNORE INTO search_pending (pmid) VALUES (NEW.pmid);"
              " END;"
            : "DROP TRIGGER IF EXISTS search_articles_ai;"
              "CREATE TRIGGER search_articles_ai AFTER INSERT ON articles BEGIN"
              " INSERT OR IGNORE INTO search_pending (pmid) VALUES (NEW.pmid);"
              " END;";
    int rc = sqlite3_exec(lm_store_sqlite(s), sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return lm_store_fail(s, rc, err, "switching FTS maintenance mode");
    return LM_OK;
}

/* ---- parameters and names -------------------------------------------------- */

const char *lm_search_mode_name(lm_search_mode m)
{
    switch (m) {
    case LM_SEARCH_HYBRID: return "hybrid";
    case LM_SEARCH_LEXICAL: return "lexical";
    case LM_SEARCH_DENSE: return "dense";
    }
    return "?";
}

int lm_search_mode_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "hybrid") == 0)
        return LM_SEARCH_HYBRID;
    if (strcmp(name, "lexical") == 0)
        return LM_SEARCH_LEXICAL;
    if (strcmp(name, "dense") == 0)
        return LM_SEARCH_DENSE;
    return -1;
}

void lm_search_params_default(lm_search_params *p)
{
    memset(p, 0, sizeof *p);
    p->k1 = 1.5f;
    p->b_title = 0.75f;
    p->b_abstract = 0.75f;
    p->w_title = 1.0f;
    p->w_abstract = 1.0f;
    p->phrases = 1;
    p->phrase_weight = 0.5f;
    p->lex_candidates = 1000;
    p->phrase_depth = 100;
    p->dense_candidates = 200;
    p->dense_weight = 0.35f;
    p->concept_weight = 0.1f;
    p->prf_docs = 0;
    p->prf_terms = 0;
    p->prf_weight = 0.3f;
    p->synonyms = 0;
    p->synonym_weight = 0.5f;
    p->dense_prf_docs = 1;
    p->dense_prf_weight = 1.0f;
}

/* ---- the searcher ------------------------------------------------------------- */

struct lm_searcher {
    lm_store *s;
    lm_embed_model *model;
    lm_embed_scratch *scratch;
    int64_t model_id;
    lm_vec_cache vc;          /* current model and its vectors (mat) */
    float *scores;            /* mat.n floats for lm_vec_search */
    float *qvec;
    lm_lexicon *lex;
    lm_ner_model *ner;
    lm_ner_scratch *ner_scratch;
    lm_ner_mentions ments;
    lm_buf fts;
    lm_lexindex_reader *lexindex;
};

static int file_exists(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void lm_searcher_config_default(lm_searcher_config *out, const lm_config *cfg, char *lex_buf,
                                size_t lex_cap, char *ner_buf, size_t ner_cap)
{
    memset(out, 0, sizeof *out);
    const char *dir = lm_config_get_or(cfg, "models", "dir", lm_ner_default_model_dir());
    const char *lex = lm_config_get(cfg, "models", "lexicon");
    const char *ner = lm_config_get(cfg, "models", "ner");
    snprintf(lex_buf, lex_cap, "%s", lex ? lex : "");
    if (!lex)
        snprintf(lex_buf, lex_cap, "%s/lexicon.bin", dir);
    snprintf(ner_buf, ner_cap, "%s", ner ? ner : "");
    if (!ner)
        snprintf(ner_buf, ner_cap, "%s/%s", dir, LM_NER_DEFAULT_MODEL);
    out->lexicon_path = file_exists(lex_buf) ? lex_buf : NULL;
    out->ner_path = file_exists(ner_buf) ? ner_buf : NULL;
}

void lm_searcher_close(lm_searcher *srch)
{
    if (!srch)
        return;
    lm_embed_model_free(srch->model);
    lm_embed_scratch_free(srch->scratch);
    lm_vec_cache_close(&srch->vc);
    free(srch->scores);
    free(srch->qvec);
    lm_lexicon_free(srch->lex);
    lm_ner_model_free(srch->ner);
    lm_ner_scratch_free(srch->ner_scratch);
    lm_ner_mentions_free(&srch->ments);
    lm_buf_free(&srch->fts);
    lm_lexindex_reader_free(srch->lexindex);
    free(srch);
}

lm_status lm_searcher_open(lm_store *s, const lm_searcher_config *cfg, lm_searcher **out,
                           lm_error *err)
{
    *out = NULL;
    lm_searcher_config c = {0};
    if (cfg)
        c = *cfg;
    lm_searcher *srch = calloc(1, sizeof *srch);
    if (!srch)
        return lm_error_set(err, LM_ERR_NOMEM, "opening the search index: out of memory");
    srch->s = s;
    lm_ner_mentions_init(&srch->ments);
    lm_buf_init(&srch->fts);
    lm_status ls = lm_lexindex_reader_init(&srch->lexindex, err);
    if (ls == LM_OK && !c.no_vectors) {
        int found = 0;
        ls = lm_vec_cache_open(s, NULL, LM_EMBED_KIND, &srch->vc, &found, err);
        if (ls == LM_OK && found) {
            ls = lm_embed_model_load(srch->vc.model, srch->vc.model_len, &srch->model, err);
            lm_vec_cache_drop_model(&srch->vc);
            if (ls == LM_OK)
                ls = lm_embed_scratch_init(&srch->scratch, err);
            srch->model_id = srch->vc.info.id;
            if (ls == LM_OK) {
                srch->scores = malloc((srch->vc.mat.n + 1) * sizeof *srch->scores);
                srch->qvec = malloc((size_t)srch->vc.info.dim * sizeof *srch->qvec);
                if (!srch->scores || !srch->qvec)
                    ls = lm_error_set(err, LM_ERR_NOMEM, "loading vectors: out of memory");
            }
        }
    }
    if (ls == LM_OK && c.lexicon_path)
        ls = lm_lexicon_load(c.lexicon_path, &srch->lex, err);
    if (ls == LM_OK && c.ner_path) {
        ls = lm_ner_model_load(c.ner_path, &srch->ner, err);
        if (ls == LM_OK)
            ls = lm_ner_scratch_init(&srch->ner_scratch, err);
    }
    if (ls != LM_OK) {
        lm_searcher_close(srch);
        return ls;
    }
    *out = srch;
    return LM_OK;
}

int lm_searcher_has_vectors(const lm_searcher *srch)
{
    return srch->model && srch->vc.mat.n > 0;
}

size_t lm_searcher_vectors(const lm_searcher *srch)
{
    return srch->vc.mat.n;
}

void lm_search_results_init(lm_search_results *r)
{
    memset(r, 0, sizeof *r);
    lm_qterms_init(&r->terms);
}

static void clear_concepts(lm_search_results *r)
{
    for (size_t i = 0; i < r->n_concepts; i++) {
        free(r->concepts[i].id);
        free(r->concepts[i].name);
    }
    r->n_concepts = 0;
}

void lm_search_results_free(lm_search_results *r)
{
    clear_concepts(r);
    free(r->concepts);
    free(r->hits);
    free(r->fts_query);
    lm_qterms_free(&r->terms);
    memset(r, 0, sizeof *r);
}

/* ---- query analysis ------------------------------------------------------------ */

static lm_status add_concept(lm_search_results *r, const char *id, const char *name, int type,
                             uint32_t start, uint32_t end, lm_error *err)
{
    for (size_t i = 0; i < r->n_concepts; i++)
        if (strcmp(r->concepts[i].id, id) == 0)
            return LM_OK;
    if (r->n_concepts == r->cap_concepts) {
        size_t nc = r->cap_concepts ? 2 * r->cap_concepts : 8;
        lm_search_concept *nv = realloc(r->concepts, nc * sizeof *nv);
        if (!nv)
            return lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
        r->concepts = nv;
        r->cap_concepts = nc;
    }
    lm_search_concept *c = &r->concepts[r->n_concepts];
    c->id = strdup(id);
    c->name = strdup(name ? name : "");
    c->type = type;
    c->start = start;
    c->end = end;
    if (!c->id || !c->name) {
        free(c->id);
        free(c->name);
        return lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
    }
    r->n_concepts++;
    return LM_OK;
}

/* Longest lexicon name starting at query word i (at most 6 words; a single
 * word only when it looks like a name: 4+ letters or an identifier with
 * digits, and not a stopword; no name starts or ends with a stopword).
 * Returns its length in words, 0 when none. */
static size_t lexicon_name_at(const lm_searcher *srch, const char *text, const lm_words *w,
                              size_t i, lm_lexicon_match *out)
{
    for (size_t n = w->n - i < 6 ? w->n - i : 6; n >= 1; n--) {
        const lm_word *a = &w->v[i], *z = &w->v[i + n - 1];
        if (n == 1 && (lm_query_is_stopword(a->norm, a->len) || (a->len < 4 && !a->has_digit)))
            continue;
        if (lm_query_is_stopword(a->norm, a->len) || lm_query_is_stopword(z->norm, z->len))
            continue;
        if (lm_lexicon_lookup(srch->lex, LM_ENT_ANY, text + a->start, z->end - a->start, out) &&
            out->score >= 0.8)
            return n;
    }
    return 0;
}

/* Queries of at most this many words are also read against the lexicon. */
#define SHORT_QUERY_WORDS 6

/* Concepts of the query.  Names are compared in the lexicon's normal form,
 * so case, possessives and hyphens do not matter ("Parkinson's disease",
 * "parkinson-disease").  The tagger's mentions come first, normalised as
 * the pipeline does; in a short query the lexicon's longest names are
 * read too, and win over a tagged mention they contain ("Parkinson
 * disease" over a tagged "Parkinson") — a few words often lack the context
 * the tagger needs.  Without a tagger the lexicon alone is read. */
static lm_status find_concepts(lm_searcher *srch, const char *text, lm_search_results *r,
                               lm_error *err)
{
    clear_concepts(r);
    if (!srch->lex)
        return LM_OK;
    size_t len = strlen(text);
    lm_status st = LM_OK;
    if (srch->ner) {
        st = lm_ner_tag(srch->ner, srch->ner_scratch, text, len, &srch->ments, err);
        for (size_t i = 0; st == LM_OK && i < srch->ments.n; i++) {
            const lm_ner_mention *m = &srch->ments.v[i];
            lm_lexicon_match match;
            if (lm_lexicon_lookup_mention(srch->lex, m->type, NULL, text + m->start,
                                          m->end - m->start, &match, 1))
                st = add_concept(r, match.id, match.name, (int)m->type, m->start, m->end, err);
        }
    }
    const lm_words *w = &r->terms.words;
    size_t content = 0;
    for (size_t i = 0; i < w->n; i++)
        content += !lm_query_is_stopword(w->v[i].norm, w->v[i].len);
    if (st != LM_OK || (srch->ner && content > SHORT_QUERY_WORDS))
        return st;
    for (size_t i = 0; st == LM_OK && i < w->n;) {
        lm_lexicon_match bm;
        size_t n = lexicon_name_at(srch, text, w, i, &bm);
        if (!n) {
            i++;
            continue;
        }
        uint32_t s0 = w->v[i].start, s1 = w->v[i + n - 1].end;
        /* a tagged concept overlapping the name: kept when the name does not
         * contain it, else replaced */
        int keep_tagged = 0;
        for (size_t k = 0; k < r->n_concepts; k++) {
            const lm_search_concept *c = &r->concepts[k];
            if (c->start < s1 && s0 < c->end)
                keep_tagged |= !(s0 <= c->start && c->end <= s1 && s1 - s0 > c->end - c->start);
        }
        if (!keep_tagged) {
            for (size_t k = 0; k < r->n_concepts;) {
                lm_search_concept *c = &r->concepts[k];
                if (c->start < s1 && s0 < c->end) {
                    free(c->id);
                    free(c->name);
                    memmove(c, c + 1, (r->n_concepts - k - 1) * sizeof *c);
                    r->n_concepts--;
                } else {
                    k++;
                }
            }
            st = add_concept(r, bm.id, bm.name, bm.type, s0, s1, err);
        }
        i += n;
    }
    return st;
}

/* ---- candidates ------------------------------------------------------------------ */

typedef struct cand {
    int64_t pmid;
    double lex, dense, score;
    int lex_rank, dense_rank, concepts;
} cand;

typedef struct cands {
    cand *v;
    size_t n, cap;
} cands;

static lm_status cands_push(cands *c, int64_t pmid, lm_error *err)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 256;
        cand *nv = realloc(c->v, nc * sizeof *nv);
        if (!nv)
            return lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
        c->v = nv;
        c->cap = nc;
    }
    memset(&c->v[c->n], 0, sizeof c->v[c->n]);
    c->v[c->n++].pmid = pmid;
    return LM_OK;
}

static int cmp_cand_pmid(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    return (x->pmid > y->pmid) - (x->pmid < y->pmid);
}

static int cmp_cand_score(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return (x->pmid > y->pmid) - (x->pmid < y->pmid);
}

typedef struct since_ctx {
    lm_store *s;
    int since;
} since_ctx;

static int keep_since(void *ctx, int64_t pmid, lm_error *err)
{
    since_ctx *c = ctx;
    sqlite3_stmt *st = lm_store_stmt(c->s, SL_YEAR, "SELECT year FROM articles WHERE pmid = ?1",
                                     err);
    if (!st)
        return -1;
    int brc = SQLITE_OK;
    lm_bind_int64(st, 1, pmid, &brc);
    int rc = lm_bind_step(st, brc);
    int keep = rc == SQLITE_ROW && sqlite3_column_int(st, 0) >= c->since;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        lm_store_fail(c->s, rc, err, "reading publication years");
        return -1;
    }
    return keep;
}

/* The lexical candidates: (pmid, BM25F) best first, from the lexical
 * index (the FTS5 expression is kept for display only). */
static lm_status run_lexical(lm_searcher *srch, const lm_search_params *p, const lm_qterms *q,
                             int since, int limit, cands *out, lm_error *err)
{
    out->n = 0;
    if (q->n == 0)
        return LM_OK;
    lm_status st = lm_query_fts_expr(q, &srch->fts, err);
    if (st != LM_OK)
        return st;
    lm_lexindex_params lp = {p->k1,         p->b_title,    p->b_abstract,
                             p->w_title,    p->w_abstract, (size_t)p->phrase_depth};
    since_ctx sc = {srch->s, since};
    const lm_lexindex_hit *hits = NULL;
    size_t n = 0;
    st = lm_lexindex_search(srch->lexindex, srch->s, &lp, q, (size_t)limit,
                            since > 0 ? keep_since : NULL, &sc, &hits, &n, err);
    for (size_t i = 0; st == LM_OK && i < n; i++) {
        st = cands_push(out, hits[i].pmid, err);
        if (st == LM_OK) {
            out->v[out->n - 1].lex = hits[i].score;
            out->v[out->n - 1].lex_rank = (int)out->n;
        }
    }
    return st;
}

/* Pseudo-relevance feedback: the words that weigh most (tf * idf, idf
 * from the embedding model's vocabulary) in the top documents join the
 * query with a lower weight. */
typedef struct prf_term {
    char norm[LM_QUERY_WORD_MAX + 1];
    char stem[LM_QUERY_WORD_MAX + 1];
    double w;
} prf_term;

static int cmp_prf(const void *a, const void *b)
{
    const prf_term *x = a, *y = b;
    if (x->w != y->w)
        return x->w < y->w ? 1 : -1;
    return strcmp(x->stem, y->stem);
}

static lm_status add_feedback(lm_searcher *srch, const lm_search_params *p, const cands *lex,
                              lm_qterms *q, lm_error *err)
{
    if (!srch->model || p->prf_docs <= 0 || p->prf_terms <= 0 || lex->n == 0)
        return LM_OK;
    prf_term *terms = NULL;
    size_t n = 0, cap = 0;
    lm_words words;
    lm_words_init(&words);
    lm_status st = LM_OK;
    size_t ndocs = lex->n < (size_t)p->prf_docs ? lex->n : (size_t)p->prf_docs;
    for (size_t d = 0; st == LM_OK && d < ndocs; d++) {
        sqlite3_stmt *a = lm_store_stmt(srch->s, SL_ARTICLE_TEXT,
                                        "SELECT title, abstract, year, journal FROM articles"
                                        " WHERE pmid = ?1",
                                        err);
        if (!a)
            st = stmt_err(err);
        if (st != LM_OK)
            break;
        int brc = SQLITE_OK;
        lm_bind_int64(a, 1, lex->v[d].pmid, &brc);
        if (lm_bind_step(a, brc) == SQLITE_ROW) {
            lm_buf t;
            lm_buf_init(&t);
            const char *ti = (const char *)sqlite3_column_text(a, 0);
            const char *ab = (const char *)sqlite3_column_text(a, 1);
            if (lm_buf_append_str(&t, ti ? ti : "") != LM_OK || lm_buf_append_char(&t, ' ') ||
                lm_buf_append_str(&t, ab ? ab : ""))
                st = lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
            if (st == LM_OK)
                st = lm_words_split(lm_buf_cstr(&t), t.len, &words, err);
            lm_buf_free(&t);
            double doc_w = lex->v[d].lex / (lex->v[0].lex > 0 ? lex->v[0].lex : 1);
            for (size_t i = 0; st == LM_OK && i < words.n; i++) {
                const lm_word *w = &words.v[i];
                if (w->len < 3 || !w->has_alpha || lm_query_is_stopword(w->norm, w->len))
                    continue;
                char stem[LM_QUERY_WORD_MAX + 1];
                lm_query_stem(w->norm, w->len, stem, sizeof stem);
                size_t j = 0;
                while (j < n && strcmp(terms[j].stem, stem) != 0)
                    j++;
                if (j == n) {
                    if (n == cap) {
                        size_t nc = cap ? 2 * cap : 256;
                        prf_term *nv = realloc(terms, nc * sizeof *nv);
                        if (!nv) {
                            st = lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
                            break;
                        }
                        terms = nv;
                        cap = nc;
                    }
                    memcpy(terms[n].norm, w->norm, (size_t)w->len + 1);
                    memcpy(terms[n].stem, stem, strlen(stem) + 1);
                    terms[n].w = 0;
                    n++;
                }
                terms[j].w += doc_w;
            }
        }
        sqlite3_reset(a);
    }
    for (size_t j = 0; j < n; j++)
        terms[j].w *= lm_embed_word_idf(srch->model, terms[j].norm, strlen(terms[j].norm));
    if (n > 0)
        lm_qsort(terms, n, sizeof *terms, cmp_prf);
    size_t added = 0;
    double top = n ? terms[0].w : 1;
    for (size_t j = 0; st == LM_OK && j < n && added < (size_t)p->prf_terms; j++) {
        int known = 0;
        for (size_t k = 0; k < q->n; k++) {
            char qs[LM_QUERY_WORD_MAX + 1];
            lm_query_stem(q->v[k].text, strlen(q->v[k].text), qs, sizeof qs);
            if (strcmp(qs, terms[j].stem) == 0)
                known = 1;
        }
        if (known || terms[j].w <= 0)
            continue;
        st = lm_qterms_add(q, terms[j].norm, strlen(terms[j].norm), LM_QTERM_SYNONYM,
                           (float)(p->prf_weight * terms[j].w / top), -1, NULL, err);
        added++;
    }
    free(terms);
    lm_words_free(&words);
    return st;
}

static int has_type(lm_searcher *srch, int64_t pmid, unsigned types, lm_error *err)
{
    for (int t = LM_ENT_CHEMICAL; t < LM_ENT_COUNT; t++) {
        if (!(types & (1u << t)))
            continue;
        sqlite3_stmt *st = lm_store_stmt(srch->s, SL_MENTION_TYPE,
                                         "SELECT 1 FROM mentions WHERE pmid = ?1 AND type = ?2"
                                         " LIMIT 1",
                                         err);
        if (!st)
            return -1;
        int brc = SQLITE_OK;
        lm_bind_int64(st, 1, pmid, &brc);
        lm_bind_text(st, 2, lm_ent_type_name((lm_ent_type)t), &brc);
        int rc = lm_bind_step(st, brc);
        sqlite3_reset(st);
        if (rc == SQLITE_ROW)
            return 1;
        if (rc != SQLITE_DONE) {
            lm_store_fail(srch->s, rc, err, "filtering by entity type");
            return -1;
        }
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Counts, per candidate, the query concepts its mentions carry. */
static lm_status count_concepts(lm_searcher *srch, const lm_search_results *r, unsigned types,
                                cands *c, lm_error *err)
{
    lm_status st = LM_OK;
    int64_t *docs = NULL;
    size_t n = 0, cap = 0;
    for (size_t k = 0; st == LM_OK && k < r->n_concepts; k++) {
        if (types && !(types & (1u << r->concepts[k].type)))
            continue;
        sqlite3_stmt *q = lm_store_stmt(srch->s, SL_CONCEPT_DOCS,
                                        "SELECT DISTINCT pmid FROM mentions WHERE concept_id = ?1",
                                        err);
        if (!q)
            return stmt_err(err);
        int brc = SQLITE_OK;
        lm_bind_text(q, 1, r->concepts[k].id, &brc);
        n = 0;
        int rc;
        while ((rc = lm_bind_step(q, brc)) == SQLITE_ROW) {
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 256;
                int64_t *nv = realloc(docs, nc * sizeof *nv);
                if (!nv) {
                    st = lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
                    break;
                }
                docs = nv;
                cap = nc;
            }
            docs[n++] = sqlite3_column_int64(q, 0);
        }
        if (st == LM_OK && rc != SQLITE_DONE)
            st = lm_store_fail(srch->s, rc, err, "looking up concept mentions");
        sqlite3_reset(q);
        if (n > 0)
            lm_qsort(docs, n, sizeof *docs, cmp_i64);
        for (size_t i = 0; st == LM_OK && i < c->n; i++)
            if (n && bsearch(&c->v[i].pmid, docs, n, sizeof *docs, cmp_i64))
                c->v[i].concepts++;
    }
    free(docs);
    return st;
}

static double ms_since(double t0)
{
    return (now_s() - t0) * 1000.0;
}

lm_status lm_searcher_query(lm_searcher *srch, const char *text, const lm_search_options *opts,
                            lm_search_results *out, lm_error *err)
{
    double t_start = now_s();
    lm_search_options o = {0};
    if (opts)
        o = *opts;
    lm_search_params p;
    if (o.params)
        p = *o.params;
    else
        lm_search_params_default(&p);
    size_t k = o.k > 0 ? (size_t)o.k : 10;
    out->n = 0;
    free(out->fts_query);
    out->fts_query = NULL;
    out->embed_ms = out->lexical_ms = out->dense_ms = 0;
    if (!text)
        text = "";
    lm_search_mode mode = o.mode;
    if (mode != LM_SEARCH_LEXICAL && !lm_searcher_has_vectors(srch)) {
        if (mode == LM_SEARCH_DENSE)
            return lm_error_set(err, LM_ERR_USAGE,
                                "no vectors: run `litmine index build` first");
        mode = LM_SEARCH_LEXICAL;
    }
    out->mode_used = mode;

    lm_query_options qo = {0, p.phrases, p.phrase_weight};
    lm_status st = lm_query_parse(text, &qo, &out->terms, err);
    if (st == LM_OK)
        st = find_concepts(srch, text, out, err);
    for (size_t i = 0; st == LM_OK && p.synonyms && i < out->n_concepts; i++) {
        lm_words nw;
        lm_words_init(&nw);
        const char *name = out->concepts[i].name;
        st = lm_words_split(name, strlen(name), &nw, err);
        lm_buf phrase;
        lm_buf_init(&phrase);
        for (size_t j = 0; st == LM_OK && j < nw.n; j++)
            if (lm_buf_printf(&phrase, "%s%s", j ? " " : "", nw.v[j].norm) != LM_OK)
                st = lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
        if (st == LM_OK && phrase.len)
            st = lm_qterms_add(&out->terms, lm_buf_cstr(&phrase), phrase.len, LM_QTERM_SYNONYM,
                               p.synonym_weight, -1, NULL, err);
        lm_buf_free(&phrase);
        lm_words_free(&nw);
    }
    if (st != LM_OK)
        return st;

    cands lex = {0}, dense = {0}, all = {0};
    double t0 = now_s();
    int want_lex = mode != LM_SEARCH_DENSE;
    int lex_limit = p.lex_candidates > 0 ? p.lex_candidates : 1000;
    if ((size_t)lex_limit < k)
        lex_limit = (int)k;
    if (want_lex) {
        st = run_lexical(srch, &p, &out->terms, o.since_year, lex_limit, &lex, err);
        if (st == LM_OK && p.prf_docs > 0 && p.prf_terms > 0 && lex.n > 0) {
            size_t before = out->terms.n;
            st = add_feedback(srch, &p, &lex, &out->terms, err);
            if (st == LM_OK && out->terms.n > before)
                st = run_lexical(srch, &p, &out->terms, o.since_year, lex_limit, &lex, err);
        }
    }
    out->lexical_ms = ms_since(t0);
    if (st == LM_OK && want_lex) {
        out->fts_query = strdup(lm_buf_cstr(&srch->fts));
        if (!out->fts_query)
            st = lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
    }

    int use_dense = mode != LM_SEARCH_LEXICAL;
    if (st == LM_OK && use_dense) {
        t0 = now_s();
        st = lm_embed_text(srch->model, srch->scratch, text, strlen(text), srch->qvec, err);
        out->embed_ms = ms_since(t0);
        if (st == LM_OK && p.dense_prf_docs > 0 && lex.n > 0) {
            /* The top lexical hits pull the query vector toward their
             * neighbourhood, where the dense signal is most reliable. */
            size_t m = lex.n < (size_t)p.dense_prf_docs ? lex.n : (size_t)p.dense_prf_docs;
            int dim = srch->vc.mat.dim;
            for (size_t i = 0; i < m; i++) {
                long row = lm_vec_matrix_find(&srch->vc.mat, lex.v[i].pmid);
                if (row >= 0)
                    cblas_saxpy(dim, p.dense_prf_weight / (float)m,
                                srch->vc.mat.data + (size_t)row * dim, 1, srch->qvec, 1);
            }
            float nrm = cblas_snrm2(dim, srch->qvec, 1);
            if (nrm > 0)
                cblas_sscal(dim, 1.0f / nrm, srch->qvec, 1);
        }
        t0 = now_s();
        size_t dk = p.dense_candidates > 0 ? (size_t)p.dense_candidates : 200;
        if (mode == LM_SEARCH_DENSE && dk < k)
            dk = k;
        lm_vec_hit *vh = st == LM_OK ? malloc(dk * sizeof *vh) : NULL;
        size_t nh = 0;
        if (st == LM_OK && !vh)
            st = lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
        /* A query with no known feature embeds as zero: it has no
         * neighbours, rather than every article tied at 0. */
        if (st == LM_OK && cblas_snrm2(srch->vc.mat.dim, srch->qvec, 1) > 0)
            st = lm_vec_search(&srch->vc.mat, srch->qvec, dk, o.since_year, srch->scores, vh, &nh,
                               err);
        for (size_t i = 0; st == LM_OK && i < nh; i++) {
            st = cands_push(&dense, vh[i].pmid, err);
            if (st == LM_OK) {
                dense.v[dense.n - 1].dense = vh[i].score;
                dense.v[dense.n - 1].dense_rank = (int)i + 1;
            }
        }
        free(vh);
        out->dense_ms = ms_since(t0);
    }

    /* Union by PMID; every candidate gets both scores. */
    for (size_t i = 0; st == LM_OK && i < lex.n + dense.n; i++) {
        const cand *src = i < lex.n ? &lex.v[i] : &dense.v[i - lex.n];
        st = cands_push(&all, src->pmid, err);
        if (st == LM_OK)
            all.v[all.n - 1] = *src;
    }
    if (st == LM_OK && all.n > 0) {
        lm_qsort(all.v, all.n, sizeof *all.v, cmp_cand_pmid);
        size_t w = 0;
        for (size_t i = 0; i < all.n; i++) {
            if (w > 0 && all.v[w - 1].pmid == all.v[i].pmid) {
                cand *d = &all.v[w - 1];
                if (all.v[i].lex_rank) {
                    d->lex = all.v[i].lex;
                    d->lex_rank = all.v[i].lex_rank;
                }
                if (all.v[i].dense_rank) {
                    d->dense = all.v[i].dense;
                    d->dense_rank = all.v[i].dense_rank;
                }
            } else {
                all.v[w++] = all.v[i];
            }
        }
        all.n = w;
    }
    if (st == LM_OK && use_dense)
        for (size_t i = 0; i < all.n; i++) {
            if (all.v[i].dense_rank)
                continue;
            long row = lm_vec_matrix_find(&srch->vc.mat, all.v[i].pmid);
            float d = row < 0 ? 0.0f
                              : cblas_sdot(srch->vc.mat.dim, srch->qvec, 1,
                                           srch->vc.mat.data + (size_t)row * srch->vc.mat.dim,
                                           1);
            all.v[i].dense = isfinite(d) ? d : 0.0f;   /* never a NaN score */
        }
    if (st == LM_OK && out->n_concepts)
        st = count_concepts(srch, out, o.types, &all, err);
    if (st == LM_OK) {
        double best = 0;
        for (size_t i = 0; i < all.n; i++)
            if (all.v[i].lex > best)
                best = all.v[i].lex;
        for (size_t i = 0; i < all.n; i++) {
            cand *c = &all.v[i];
            double nc = out->n_concepts ? (double)c->concepts / (double)out->n_concepts : 0;
            double l = best > 0 ? c->lex / best : 0;
            switch (mode) {
            case LM_SEARCH_LEXICAL: c->score = l + p.concept_weight * nc; break;
            case LM_SEARCH_DENSE: c->score = c->dense + p.concept_weight * nc; break;
            case LM_SEARCH_HYBRID:
                c->score = l + p.dense_weight * c->dense + p.concept_weight * nc;
                break;
            }
        }
        if (all.n > 0)
            lm_qsort(all.v, all.n, sizeof *all.v, cmp_cand_score);
    }
    for (size_t i = 0; st == LM_OK && i < all.n && out->n < k; i++) {
        if (o.types) {
            int h = has_type(srch, all.v[i].pmid, o.types, err);
            if (h < 0)
                st = stmt_err(err);
            if (h <= 0)
                continue;
        }
        if (out->n == out->cap) {
            size_t nc = out->cap ? 2 * out->cap : 16;
            lm_search_hit *nv = realloc(out->hits, nc * sizeof *nv);
            if (!nv) {
                st = lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
                break;
            }
            out->hits = nv;
            out->cap = nc;
        }
        const cand *c = &all.v[i];
        out->hits[out->n++] = (lm_search_hit){c->pmid,     c->score,    c->lex, c->dense,
                                              c->concepts, c->lex_rank, c->dense_rank};
    }
    free(lex.v);
    free(dense.v);
    free(all.v);
    out->total_ms = ms_since(t_start);
    return st;
}

lm_status lm_search_fts_baseline(lm_store *s, const char *text, size_t k, int64_t *pmids,
                                 size_t *n, lm_error *err)
{
    *n = 0;
    lm_qterms q;
    lm_qterms_init(&q);
    lm_query_options qo = {1, 0, 0};
    lm_buf expr;
    lm_buf_init(&expr);
    lm_status st = lm_query_parse(text, &qo, &q, err);
    if (st == LM_OK)
        st = lm_query_fts_expr(&q, &expr, err);
    sqlite3_stmt *stmt = NULL;
    if (st == LM_OK && q.n > 0) {
        stmt = lm_store_stmt(s, SL_BASELINE,
                             "SELECT rowid FROM search_fts WHERE search_fts MATCH ?1"
                             " ORDER BY bm25(search_fts) LIMIT ?2",
                             err);
        if (!stmt)
            st = stmt_err(err);
    }
    if (stmt) {
        int brc = SQLITE_OK;
        lm_bind_text(stmt, 1, lm_buf_cstr(&expr), &brc);
        lm_bind_int64(stmt, 2, (int64_t)k, &brc);
        int rc;
        while ((rc = lm_bind_step(stmt, brc)) == SQLITE_ROW && *n < k)
            pmids[(*n)++] = sqlite3_column_int64(stmt, 0);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            st = lm_store_fail(s, rc, err, "searching the full-text index");
        sqlite3_reset(stmt);
    }
    lm_buf_free(&expr);
    lm_qterms_free(&q);
    return st;
}

/* ---- explanations ---------------------------------------------------------------- */

void lm_search_explanation_free(lm_search_explanation *e)
{
    free(e->title);
    free(e->journal);
    free(e->sentence);
    free(e->marks);
    for (size_t i = 0; i < e->n_pairs; i++) {
        free(e->pairs[i].chemical);
        free(e->pairs[i].disease);
        free(e->pairs[i].relation);
    }
    free(e->pairs);
    memset(e, 0, sizeof *e);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *dup_col(sqlite3_stmt *st, int i)
{
    const char *v = (const char *)sqlite3_column_text(st, i);
    return v ? strdup(v) : NULL;
}

/* A concept's display name from the lexicon, else the text of its mention
 * (a concept without an id, or no lexicon loaded). */
static char *concept_name(const lm_searcher *srch, sqlite3_stmt *st, int id_col, int text_col)
{
    lm_lexicon_concept c;
    const char *id = (const char *)sqlite3_column_text(st, id_col);
    if (srch->lex && id && lm_lexicon_get_concept(srch->lex, id, &c) && c.name[0])
        return strdup(c.name);
    return dup_col(st, text_col);
}

/* The article's relations, as the pairs stage decided them (candidates it
 * left as mere co-occurrences are not shown). */
static lm_status load_pairs(lm_searcher *srch, int64_t pmid, lm_search_explanation *e)
{
    lm_error err;
    sqlite3_stmt *st = lm_store_stmt(srch->s, SL_PAIRS,
                                     "SELECT chemical_id, chemical_text, disease_id, disease_text,"
                                     " relation, score FROM pairs WHERE pmid = ?1"
                                     " AND relation <> 'cooccurs' ORDER BY score DESC LIMIT 5",
                                     &err);
    if (!st)
        return err.code;
    int brc = SQLITE_OK;
    lm_bind_int64(st, 1, pmid, &brc);
    while (lm_bind_step(st, brc) == SQLITE_ROW) {
        lm_search_pair *nv = realloc(e->pairs, (e->n_pairs + 1) * sizeof *nv);
        if (!nv)
            break;
        e->pairs = nv;
        lm_search_pair *pr = &e->pairs[e->n_pairs++];
        pr->chemical = concept_name(srch, st, 0, 1);
        pr->disease = concept_name(srch, st, 2, 3);
        pr->relation = dup_col(st, 4);
        pr->score = sqlite3_column_double(st, 5);
    }
    sqlite3_reset(st);
    return LM_OK;
}

typedef struct mark_list {
    lm_search_span *v;
    size_t n, cap;
} mark_list;

static int mark_push(mark_list *m, uint32_t a, uint32_t b)
{
    if (m->n == m->cap) {
        size_t nc = m->cap ? 2 * m->cap : 16;
        lm_search_span *nv = realloc(m->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        m->v = nv;
        m->cap = nc;
    }
    m->v[m->n++] = (lm_search_span){a, b};
    return 0;
}

static int cmp_span(const void *a, const void *b)
{
    const lm_search_span *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->end < y->end) - (x->end > y->end);
}

lm_status lm_searcher_explain(lm_searcher *srch, const lm_search_results *r, size_t hit,
                              lm_search_explanation *e, lm_error *err)
{
    memset(e, 0, sizeof *e);
    if (hit >= r->n)
        return lm_error_set(err, LM_ERR_USAGE, "no hit %zu", hit);
    int64_t pmid = r->hits[hit].pmid;
    e->pmid = pmid;
    sqlite3_stmt *a = lm_store_stmt(srch->s, SL_ARTICLE_TEXT,
                                    "SELECT title, abstract, year, journal FROM articles"
                                    " WHERE pmid = ?1",
                                    err);
    if (!a)
        return stmt_err(err);
    int brc = SQLITE_OK;
    lm_bind_int64(a, 1, pmid, &brc);
    int rc = lm_bind_step(a, brc);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(a);
        return rc == SQLITE_DONE
                   ? lm_error_set(err, LM_ERR_NOTFOUND, "article %lld is gone", (long long)pmid)
                   : lm_store_fail(srch->s, rc, err, "reading article %lld", (long long)pmid);
    }
    lm_buf text;
    lm_buf_init(&text);
    const char *ti = (const char *)sqlite3_column_text(a, 0);
    const char *ab = (const char *)sqlite3_column_text(a, 1);
    size_t title_len = ti ? strlen(ti) : 0;
    lm_status st = LM_OK;
    if (lm_buf_append_str(&text, ti ? ti : "") != LM_OK || lm_buf_append_char(&text, ' ') ||
        lm_buf_append_str(&text, ab ? ab : ""))
        st = lm_error_set(err, LM_ERR_NOMEM, "explaining a hit: out of memory");
    e->title = ti ? strdup(ti) : strdup("");
    e->year = sqlite3_column_int(a, 2);
    e->journal = dup_col(a, 3);
    sqlite3_reset(a);
    if (st == LM_OK && !e->title)
        st = lm_error_set(err, LM_ERR_NOMEM, "explaining a hit: out of memory");

    /* Sentence spans: stored (code points) or split now (bytes). */
    lm_spans sents;
    lm_spans_init(&sents);
    lm_utf8_map map;
    lm_utf8_map_init(&map);
    if (st == LM_OK)
        st = lm_utf8_map_build(&map, lm_buf_cstr(&text), text.len, err);
    if (st == LM_OK) {
        sqlite3_stmt *q = lm_store_stmt(srch->s, SL_SENTENCES,
                                        "SELECT start, \"end\" FROM sentences WHERE pmid = ?1"
                                        " ORDER BY idx",
                                        err);
        if (!q)
            st = stmt_err(err);
        else {
            brc = sqlite3_bind_int64(q, 1, pmid);
            while (st == LM_OK && lm_bind_step(q, brc) == SQLITE_ROW) {
                size_t b0 = lm_utf8_map_to_byte(&map, (size_t)sqlite3_column_int(q, 0));
                size_t b1 = lm_utf8_map_to_byte(&map, (size_t)sqlite3_column_int(q, 1));
                if (b0 != SIZE_MAX && b1 != SIZE_MAX && b0 < b1 && b1 <= text.len)
                    st = lm_spans_push(&sents, (uint32_t)b0, (uint32_t)b1);
            }
            sqlite3_reset(q);
        }
    }
    if (st == LM_OK && sents.n == 0) {
        /* Titles often lack a final period: split the title and the
         * abstract separately so the first sentence does not swallow it. */
        lm_spans abs_sents;
        lm_spans_init(&abs_sents);
        if (title_len > 0)
            st = lm_spans_push(&sents, 0, (uint32_t)title_len);
        if (st == LM_OK && text.len > title_len + 1)
            st = lm_sentence_split(text.data + title_len + 1, text.len - title_len - 1,
                                   &abs_sents, err);
        for (size_t i = 0; st == LM_OK && i < abs_sents.n; i++)
            st = lm_spans_push(&sents, abs_sents.v[i].start + (uint32_t)title_len + 1,
                               abs_sents.v[i].end + (uint32_t)title_len + 1);
        lm_spans_free(&abs_sents);
    }

    /* Concept mention spans (bytes) of the query's concepts. */
    mark_list cm = {0};
    for (size_t k = 0; st == LM_OK && k < r->n_concepts; k++) {
        sqlite3_stmt *q = lm_store_stmt(srch->s, SL_CONCEPT_SPANS,
                                        "SELECT start, \"end\" FROM mentions WHERE pmid = ?1"
                                        " AND concept_id = ?2",
                                        err);
        if (!q) {
            st = stmt_err(err);
            break;
        }
        brc = SQLITE_OK;
        lm_bind_int64(q, 1, pmid, &brc);
        lm_bind_text(q, 2, r->concepts[k].id, &brc);
        while (lm_bind_step(q, brc) == SQLITE_ROW) {
            size_t b0 = lm_utf8_map_to_byte(&map, (size_t)sqlite3_column_int(q, 0));
            size_t b1 = lm_utf8_map_to_byte(&map, (size_t)sqlite3_column_int(q, 1));
            if (b0 != SIZE_MAX && b1 != SIZE_MAX && b0 < b1 && mark_push(&cm, (uint32_t)b0,
                                                                       (uint32_t)b1) != 0)
                st = lm_error_set(err, LM_ERR_NOMEM, "explaining a hit: out of memory");
        }
        sqlite3_reset(q);
    }

    /* Query stems (words typed and expansions). */
    size_t nq = r->terms.n;
    char(*qstems)[LM_QUERY_WORD_MAX + 1] = calloc(nq ? nq : 1, sizeof *qstems);
    float *qw = calloc(nq ? nq : 1, sizeof *qw);
    if (st == LM_OK && (!qstems || !qw))
        st = lm_error_set(err, LM_ERR_NOMEM, "explaining a hit: out of memory");
    size_t nqs = 0;
    for (size_t i = 0; st == LM_OK && i < nq; i++) {
        if (r->terms.v[i].kind == LM_QTERM_PHRASE || strchr(r->terms.v[i].text, ' '))
            continue;
        lm_query_stem(r->terms.v[i].text, strlen(r->terms.v[i].text), qstems[nqs],
                      sizeof qstems[nqs]);
        float idf = srch->model ? lm_embed_word_idf(srch->model, r->terms.v[i].text,
                                                    strlen(r->terms.v[i].text))
                                : 1.0f;
        qw[nqs++] = r->terms.v[i].weight * (idf > 0 ? idf : 1.0f);
    }

    /* Best sentence: most distinct query stems (weighted) and concepts;
     * the title only when no abstract sentence matches. */
    lm_words words;
    lm_words_init(&words);
    double best = -1;
    size_t best_i = 0;
    unsigned char *seen = calloc(nqs ? nqs : 1, 1);
    if (st == LM_OK && !seen)
        st = lm_error_set(err, LM_ERR_NOMEM, "explaining a hit: out of memory");
    for (size_t si = 0; st == LM_OK && si < sents.n; si++) {
        uint32_t s0 = sents.v[si].start, s1 = sents.v[si].end;
        st = lm_words_split(text.data + s0, s1 - s0, &words, err);
        memset(seen, 0, nqs ? nqs : 1);
        double sc = 0;
        for (size_t wi = 0; st == LM_OK && wi < words.n; wi++) {
            char stem[LM_QUERY_WORD_MAX + 1];
            lm_query_stem(words.v[wi].norm, words.v[wi].len, stem, sizeof stem);
            for (size_t q = 0; q < nqs; q++)
                if (!seen[q] && strcmp(stem, qstems[q]) == 0) {
                    seen[q] = 1;
                    sc += qw[q];
                }
        }
        for (size_t c = 0; c < cm.n; c++)
            if (cm.v[c].start >= s0 && cm.v[c].end <= s1)
                sc += 1.0;
        if (s1 <= title_len && sents.n > 1)
            sc *= 0.5;   /* the title is printed anyway */
        if (sc > best) {
            best = sc;
            best_i = si;
        }
    }
    if (st == LM_OK && sents.n > 0) {
        uint32_t s0 = sents.v[best_i].start, s1 = sents.v[best_i].end;
        e->sentence = dup_n(text.data + s0, s1 - s0);
        if (!e->sentence)
            st = lm_error_set(err, LM_ERR_NOMEM, "explaining a hit: out of memory");
        mark_list ml = {0};
        if (st == LM_OK)
            st = lm_words_split(e->sentence, s1 - s0, &words, err);
        for (size_t wi = 0; st == LM_OK && wi < words.n; wi++) {
            char stem[LM_QUERY_WORD_MAX + 1];
            lm_query_stem(words.v[wi].norm, words.v[wi].len, stem, sizeof stem);
            for (size_t q = 0; q < nqs; q++)
                if (strcmp(stem, qstems[q]) == 0) {
                    if (mark_push(&ml, words.v[wi].start, words.v[wi].end) != 0)
                        st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
                    break;
                }
        }
        for (size_t c = 0; st == LM_OK && c < cm.n; c++)
            if (cm.v[c].start >= s0 && cm.v[c].end <= s1 &&
                mark_push(&ml, cm.v[c].start - s0, cm.v[c].end - s0) != 0)
                st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        /* Sorted and merged, so a printer can walk them once. */
        if (ml.n > 0)
            lm_qsort(ml.v, ml.n, sizeof *ml.v, cmp_span);
        size_t w = 0;
        for (size_t i = 0; i < ml.n; i++) {
            if (w && ml.v[i].start <= ml.v[w - 1].end) {
                if (ml.v[i].end > ml.v[w - 1].end)
                    ml.v[w - 1].end = ml.v[i].end;
            } else {
                ml.v[w++] = ml.v[i];
            }
        }
        e->marks = ml.v;
        e->n_marks = w;
    }
    if (st == LM_OK)
        st = load_pairs(srch, pmid, e);
    free(seen);
    free(qstems);
    free(qw);
    free(cm.v);
    lm_words_free(&words);
    lm_spans_free(&sents);
    lm_utf8_map_free(&map);
    lm_buf_free(&text);
    if (st != LM_OK)
        lm_search_explanation_free(e);
    return st;
}
