/*
 * Search index maintenance: the queue of new articles tokenized into the
 * lexical index, full rebuilds, counts and the consistency check
 * (see lm_search.h).  Embedding the articles is pipeline/lm_index.c's.
 */
#include "lm_search_impl.h"

#include "../../util/lm_clock.h"
#include "lm_lexindex.h"
#include "lm_vec_cache.h"

#include <string.h>

/* Articles without a vector of model ?1.  Counted from two indexes
 * (every vector's article exists: foreign key with cascade): a NOT EXISTS
 * scan would read every article row, text included, at each refresh. */
#define MISSING_VECTORS_SQL                                                                    \
    "SELECT (SELECT count(*) FROM articles)"                                                  \
    " - (SELECT count(*) FROM vectors INDEXED BY vectors_pmid WHERE model_id = ?1)"

/* Runs a statement of a slot that returns nothing, with up to one int64
 * parameter (bound when nparam > 0). */
static lm_status exec_slot(lm_store *s, int slot, const char *sql, int nparam, int64_t p1,
                           const char *what, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, slot, sql, err);
    if (!st)
        return lm_store_stmt_err(err);
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

/* ---- full-text maintenance ------------------------------------------------ */

/* Tokenizes the queued articles up to bound into the lexical index (one
 * segment), inside the caller's transaction.
 *
 * The queue drives both joins with articles (CROSS JOIN fixes SQLite's loop
 * order): "a.pmid = p.pmid AND p.pmid <= ?1" also lets the planner range
 * over articles.pmid <= ?1 and probe the queue for each article, and with
 * ANALYZE's statistics for articles but none for a then-empty queue it
 * did, reading every stored article up to the bound at each batch of a
 * refresh, the whole corpus for new PMIDs: 95% of a 20,000-abstract
 * refresh at 1M abstracts (1.9M page reads per batch of 5,000). */
static lm_status refresh_lexindex(lm_store *s, lm_lexindex_writer *w, int64_t bound,
                                  int64_t *added, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SL_LEX_PENDING,
                                     "SELECT a.pmid, a.title, a.abstract FROM search_pending p"
                                     " CROSS JOIN articles a ON a.pmid = p.pmid"
                                     " WHERE p.pmid <= ?1 ORDER BY p.pmid",
                                     err);
    if (!st)
        return lm_store_stmt_err(err);
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

lm_status lm_search_refresh_text(lm_store *s, const lm_search_refresh_options *opts,
                                 lm_search_refresh_stats *stats, lm_error *err)
{
    lm_search_refresh_options defaults = {0};
    const lm_search_refresh_options *o = opts ? opts : &defaults;
    double t0 = lm_now_seconds();
    int batch = o->batch > 0 ? o->batch : 5000;
    int64_t total = 0, done = 0;
    int unmerged = 0;
    lm_lexindex_writer *w = NULL;
    lm_status ls = lm_lexindex_writer_init(&w, err);
    if (ls == LM_OK)
        ls = lm_search_count(s, SL_COUNT_PENDING, "SELECT count(*) FROM search_pending", 0, &total,
                             err);
    while (ls == LM_OK) {
        /* The batch ends at the batch-th pending PMID (or the last). */
        sqlite3_stmt *st = lm_store_stmt(
            s, SL_PENDING_BOUND,
            "SELECT max(pmid) FROM (SELECT pmid FROM search_pending ORDER BY pmid LIMIT ?1)",
            err);
        if (!st) {
            ls = lm_store_stmt_err(err);
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
        ls = lm_search_count(s, SL_PENDING_DROPPED,
                             "SELECT count(*) FROM search_pending p WHERE p.pmid <= ?1 AND"
                             " NOT EXISTS (SELECT 1 FROM articles a WHERE a.pmid = p.pmid)",
                             bound, &dropped, err);
        if (ls == LM_OK)
            ls = refresh_lexindex(s, w, bound, &lex_added, err);
        if (ls == LM_OK)
            ls = exec_slot(s, SL_INDEXED_ADD,
                           "INSERT OR IGNORE INTO search_indexed (pmid) SELECT p.pmid"
                           " FROM search_pending p CROSS JOIN articles a ON a.pmid = p.pmid"
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
        stats->fts_added += lex_added;
        stats->lex_added += lex_added;
        stats->pending_dropped += dropped;
        done += batch_rows;
        if (o->progress)
            o->progress(o->progress_ctx, "fts", done, total);
        /* Merging once at the end turns a refresh's batches into one
         * segment in one rewrite (merging as each class fills would
         * rewrite them in steps, ~20% more at 1M abstracts); a long
         * refresh (the first million) merges every F^2 batches so that
         * queries meanwhile read at most that many more segments. */
        if (++unmerged >= LM_LEXINDEX_MERGE_FACTOR * LM_LEXINDEX_MERGE_FACTOR) {
            ls = lm_lexindex_merge(s, 0, NULL, err);
            if (ls != LM_OK)
                break;
            unmerged = 0;
        }
    }
    lm_lexindex_writer_free(w);
    /* Also when nothing was queued: deletions alone may have left a
     * segment a fifth dead. */
    if (ls == LM_OK)
        ls = lm_lexindex_merge(s, 0, NULL, err);
    stats->fts_seconds += lm_now_seconds() - t0;
    return ls;
}

lm_status lm_search_count_missing(lm_store *s, int64_t model_id, int64_t *n, lm_error *err)
{
    return lm_search_count(s, SL_MISSING_COUNT, MISSING_VECTORS_SQL, model_id, n, err);
}

lm_status lm_search_rebuild_fts(lm_store *s, lm_error *err)
{
    sqlite3 *db = lm_store_sqlite(s);
    lm_status ls = lm_store_begin(s, err);
    if (ls != LM_OK)
        return ls;
    int rc = sqlite3_exec(db,
                          "DELETE FROM search_indexed;",
                          NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        ls = lm_store_fail(s, rc, err, "rebuilding the search index");
    /* The lexical index is rebuilt by a refresh of every article (the
     * reset queues them all). */
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
        ls = lm_search_refresh_text(s, &o, &stats, err);
    if (ls == LM_OK)
        ls = lm_lexindex_merge(s, 1, NULL, err);
    return ls;
}

lm_status lm_search_get_info(lm_store *s, lm_search_info *out, lm_error *err)
{
    memset(out, 0, sizeof *out);
    lm_status ls = lm_search_count(s, SL_COUNT_ARTICLES, "SELECT count(*) FROM articles", 0,
                                   &out->articles, err);
    if (ls == LM_OK)
        ls = lm_search_count(s, SL_COUNT_INDEXED, "SELECT count(*) FROM search_indexed", 0,
                             &out->fts_indexed, err);
    if (ls == LM_OK)
        ls = lm_search_count(s, SL_COUNT_PENDING, "SELECT count(*) FROM search_pending", 0,
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
        ls = lm_search_count(s, SL_MISSING_COUNT,
                             MISSING_VECTORS_SQL,
                             out->model.id, &out->missing_vectors, err);
    return ls;
}

lm_status lm_search_count_pending(lm_store *s, int64_t *n, lm_error *err)
{
    return lm_search_count(s, SL_COUNT_PENDING, "SELECT count(*) FROM search_pending", 0, n,
                           err);
}

lm_status lm_search_check(lm_store *s, lm_error *err)
{
    sqlite3 *db = lm_store_sqlite(s);
    /* Without pending rows every article must be indexed. */
    int64_t pending = 0, indexed = 0, articles = 0, stray = 0;
    lm_status ls = lm_search_count(s, SL_COUNT_PENDING, "SELECT count(*) FROM search_pending", 0,
                                   &pending, err);
    if (ls == LM_OK)
        ls = lm_search_count(s, SL_COUNT_INDEXED, "SELECT count(*) FROM search_indexed", 0,
                             &indexed, err);
    if (ls == LM_OK)
        ls = lm_search_count(s, SL_COUNT_ARTICLES, "SELECT count(*) FROM articles", 0, &articles,
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
        return lm_error_set(err, LM_ERR_DB,
                            "search index: %lld indexed article(s) no longer exist",
                            (long long)stray);
    if (pending == 0 && indexed != articles)
        return lm_error_set(err, LM_ERR_DB,
                            "search index holds %lld of %lld articles with nothing pending",
                            (long long)indexed, (long long)articles);
    ls = lm_lexindex_check(s, err);
    return ls == LM_OK ? lm_vec_cache_check(s, err) : ls;
}
