/*
 * The reads behind `litmine serve` (see lm_store_serve.h).  Filters are
 * bound parameters that disable themselves when NULL, as in the export
 * queries, so each page has one cached statement whatever its filters.
 * Relations exclude the bare co-occurrence candidates ('cooccurs') unless
 * asked for by name: those are what the pairs stage rejected.
 */
#include "lm_store_serve.h"
#include "lm_store_internal.h"

#include <stdio.h>
#include <string.h>

enum {
    SLOT_SUMMARY = LM_STORE_SLOT_SERVE,
    SLOT_SUMMARY_PAIRS,
    SLOT_YEARS,
    SLOT_NAMES,
    SLOT_COMENTIONS,
    SLOT_CONCEPT_PAIRS,
    SLOT_PAIRS,
    SLOT_PAIRS_COUNT,
    SLOT_YEAR,
    SLOT_CONCEPTS
};

/* Runs the slot's statement for one concept id (?1) and a row limit (?2,
 * unless limit < 0): what every concept reader below does. */
static lm_status concept_rows(lm_store *s, int slot, const char *sql, const char *id, int limit,
                              const char *what, lm_status (*row)(sqlite3_stmt *st, void *ctx),
                              void *ctx, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, slot, sql, err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    lm_bind_text(st, 1, id, &brc);
    if (limit >= 0)
        lm_bind_int(st, 2, limit, &brc);
    return lm_store_each_row(s, st, brc, what, row, ctx, err);
}

lm_status lm_store_read_begin(lm_store *s, lm_error *err)
{
    int rc = sqlite3_exec(lm_store_sqlite(s), "BEGIN", NULL, NULL, NULL);
    return rc == SQLITE_OK ? LM_OK : lm_store_fail(s, rc, err, "starting a read");
}

void lm_store_read_end(lm_store *s)
{
    sqlite3 *db = lm_store_sqlite(s);
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}

/* ---- a concept ------------------------------------------------------------ */

lm_status lm_store_concept_summary(lm_store *s, const char *id, lm_concept_summary *out,
                                   lm_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_SUMMARY,
        "SELECT (SELECT type FROM mentions WHERE concept_id = ?1"
        "        GROUP BY type ORDER BY count(*) DESC, type LIMIT 1),"
        " count(*), count(DISTINCT pmid) FROM mentions WHERE concept_id = ?1",
        err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    lm_bind_text(st, 1, id, &brc);
    int rc = lm_bind_step(st, brc);
    if (rc == SQLITE_ROW) {
        const char *type = lm_col_text(st, 0);
        snprintf(out->type, sizeof out->type, "%s", type ? type : "");
        out->mentions = sqlite3_column_int64(st, 1);
        out->articles = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW)
        return lm_store_fail(s, rc, err, "reading concept %s", id);
    if (out->mentions == 0)
        return lm_error_set(err, LM_ERR_NOTFOUND, "no article mentions concept %s", id);
    st = lm_store_stmt(s, SLOT_SUMMARY_PAIRS,
                       "SELECT (SELECT count(*) FROM pairs WHERE chemical_id = ?1"
                       "        AND relation <> 'cooccurs')"
                       " + (SELECT count(*) FROM pairs WHERE disease_id = ?1"
                       "    AND chemical_id <> ?1 AND relation <> 'cooccurs')",
                       err);
    if (!st)
        return err->code;
    brc = SQLITE_OK;
    lm_bind_text(st, 1, id, &brc);
    rc = lm_bind_step(st, brc);
    if (rc == SQLITE_ROW)
        out->pairs = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW ? LM_OK : lm_store_fail(s, rc, err, "reading concept %s", id);
}

typedef struct year_cb {
    lm_status (*cb)(void *ctx, int year, int64_t articles);
    void *ctx;
} year_cb;

static lm_status year_row(sqlite3_stmt *st, void *ctx)
{
    year_cb *y = ctx;
    return y->cb(y->ctx, lm_col_int_or(st, 0, 0), sqlite3_column_int64(st, 1));
}

lm_status lm_store_concept_years(lm_store *s, const char *id,
                                 lm_status (*cb)(void *ctx, int year, int64_t articles),
                                 void *ctx, lm_error *err)
{
    year_cb y = {cb, ctx};
    return concept_rows(s, SLOT_YEARS,
                        "SELECT coalesce(a.year, 0) y, count(*) FROM articles a"
                        " WHERE a.pmid IN (SELECT pmid FROM mentions WHERE concept_id = ?1)"
                        " GROUP BY y ORDER BY y",
                        id, -1, "articles per year", year_row, &y, err);
}

typedef struct name_cb {
    lm_status (*cb)(void *ctx, const char *text, int64_t n);
    void *ctx;
} name_cb;

static lm_status name_row(sqlite3_stmt *st, void *ctx)
{
    name_cb *n = ctx;
    return n->cb(n->ctx, lm_col_text(st, 0), sqlite3_column_int64(st, 1));
}

lm_status lm_store_concept_names(lm_store *s, const char *id, int limit,
                                 lm_status (*cb)(void *ctx, const char *text, int64_t n),
                                 void *ctx, lm_error *err)
{
    name_cb n = {cb, ctx};
    return concept_rows(s, SLOT_NAMES,
                        "SELECT min(text), count(*) n FROM mentions WHERE concept_id = ?1"
                        " GROUP BY text COLLATE NOCASE ORDER BY n DESC, 1 LIMIT ?2",
                        id, limit, "concept names", name_row, &n, err);
}

typedef struct comention_cb {
    lm_status (*cb)(void *ctx, const lm_comention_row *r);
    void *ctx;
} comention_cb;

static lm_status comention_row(sqlite3_stmt *st, void *ctx)
{
    comention_cb *c = ctx;
    lm_comention_row r = {lm_col_text(st, 0), lm_col_text(st, 1), lm_col_text(st, 2),
                          sqlite3_column_int64(st, 3)};
    return c->cb(c->ctx, &r);
}

lm_status lm_store_concept_comentions(lm_store *s, const char *id, int limit,
                                      lm_status (*cb)(void *ctx, const lm_comention_row *r),
                                      void *ctx, lm_error *err)
{
    comention_cb c = {cb, ctx};
    return concept_rows(s, SLOT_COMENTIONS,
                        "SELECT concept_id, type, min(text), count(DISTINCT pmid) n FROM mentions"
                        " WHERE pmid IN (SELECT pmid FROM mentions WHERE concept_id = ?1)"
                        " AND concept_id IS NOT NULL AND concept_id NOT IN ('', '-', ?1)"
                        " GROUP BY concept_id, type ORDER BY n DESC, concept_id LIMIT ?2",
                        id, limit, "co-mentioned concepts", comention_row, &c, err);
}

typedef struct pair_count_cb {
    lm_status (*cb)(void *ctx, const lm_pair_count_row *r);
    void *ctx;
} pair_count_cb;

static lm_status pair_count_row(sqlite3_stmt *st, void *ctx)
{
    pair_count_cb *p = ctx;
    lm_pair_count_row r = {lm_col_text(st, 0),
                           lm_col_text(st, 1),
                           lm_col_text(st, 2),
                           lm_col_text(st, 3),
                           lm_col_text(st, 4),
                           sqlite3_column_int64(st, 5),
                           sqlite3_column_double(st, 6),
                           lm_col_int_or(st, 7, 0)};
    return p->cb(p->ctx, &r);
}

lm_status lm_store_concept_pairs(lm_store *s, const char *id, int limit,
                                 lm_status (*cb)(void *ctx, const lm_pair_count_row *r),
                                 void *ctx, lm_error *err)
{
    pair_count_cb p = {cb, ctx};
    return concept_rows(
        s, SLOT_CONCEPT_PAIRS,
        "SELECT p.chemical_id, min(p.chemical_text), p.disease_id, min(p.disease_text),"
        " p.relation, count(*) n, max(p.score), min(a.year)"
        " FROM pairs p JOIN articles a ON a.pmid = p.pmid"
        " WHERE (p.chemical_id = ?1 OR p.disease_id = ?1) AND p.relation <> 'cooccurs'"
        " GROUP BY p.chemical_id, p.disease_id, p.relation"
        " ORDER BY n DESC, max(p.score) DESC, p.chemical_id, p.disease_id LIMIT ?2",
        id, limit, "concept pairs", pair_count_row, &p, err);
}

/* ---- the pairs table ------------------------------------------------------ */

/* ?1 chemical, ?2 disease, ?3 relation, ?4 min score, ?5 first year, ?6
 * last year.  A concept id or text matches either column; the text
 * comparison is NOCASE. */
#define PAIRS_WHERE                                                                       \
    " WHERE (?1 IS NULL OR p.chemical_id = ?1 OR p.chemical_text = ?1 COLLATE NOCASE)"    \
    " AND (?2 IS NULL OR p.disease_id = ?2 OR p.disease_text = ?2 COLLATE NOCASE)"        \
    " AND (CASE WHEN ?3 IS NULL THEN p.relation <> 'cooccurs' ELSE p.relation = ?3 END)" \
    " AND (?4 IS NULL OR p.score >= ?4)"                                                  \
    " AND (?5 IS NULL OR a.year >= ?5) AND (?6 IS NULL OR a.year <= ?6)"

static int bind_pairs_query(sqlite3_stmt *st, const lm_pairs_query *q)
{
    int brc = SQLITE_OK;
    lm_bind_text(st, 1, q->chemical && q->chemical[0] ? q->chemical : NULL, &brc);
    lm_bind_text(st, 2, q->disease && q->disease[0] ? q->disease : NULL, &brc);
    lm_bind_text(st, 3, q->relation && q->relation[0] ? q->relation : NULL, &brc);
    if (q->min_score > 0)
        lm_bind_double(st, 4, q->min_score, &brc);
    if (q->year_from > 0)
        lm_bind_int(st, 5, q->year_from, &brc);
    if (q->year_to > 0)
        lm_bind_int(st, 6, q->year_to, &brc);
    return brc;
}

typedef struct pairs_query_cb {
    lm_status (*cb)(void *ctx, const lm_pairs_query_row *r);
    void *ctx;
} pairs_query_cb;

static lm_status pairs_query_row(sqlite3_stmt *st, void *ctx)
{
    pairs_query_cb *p = ctx;
    lm_pairs_query_row r;
    lm_store_pair_row(st, 0, &r.pair);
    r.year = lm_col_int_or(st, 10, 0);
    r.title = lm_col_text(st, 11);
    return p->cb(p->ctx, &r);
}

lm_status lm_store_pairs_query(lm_store *s, const lm_pairs_query *q,
                               lm_status (*cb)(void *ctx, const lm_pairs_query_row *r),
                               void *ctx, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_PAIRS,
        "SELECT " LM_STORE_PAIR_COLUMNS ", a.year, a.title"
        " FROM pairs p JOIN articles a ON a.pmid = p.pmid" PAIRS_WHERE
        " ORDER BY p.score DESC, p.pmid, p.chemical_id, p.disease_id LIMIT ?7 OFFSET ?8",
        err);
    if (!st)
        return err->code;
    int brc = bind_pairs_query(st, q);
    lm_bind_int64(st, 7, q->limit > 0 ? q->limit : -1, &brc);
    lm_bind_int64(st, 8, q->offset > 0 ? q->offset : 0, &brc);
    pairs_query_cb p = {cb, ctx};
    return lm_store_each_row(s, st, brc, "pairs", pairs_query_row, &p, err);
}

lm_status lm_store_pairs_query_count(lm_store *s, const lm_pairs_query *q, int64_t *n,
                                     lm_error *err)
{
    *n = 0;
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_PAIRS_COUNT, "SELECT count(*) FROM pairs p JOIN articles a ON a.pmid = p.pmid"
        PAIRS_WHERE, err);
    if (!st)
        return err->code;
    int rc = lm_bind_step(st, bind_pairs_query(st, q));
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW ? LM_OK : lm_store_fail(s, rc, err, "counting pairs");
}

/* ---- search facets --------------------------------------------------------- */

typedef struct concept_cb {
    lm_status (*cb)(void *ctx, const char *concept_id, const char *type, const char *text);
    void *ctx;
} concept_cb;

static lm_status concept_row(sqlite3_stmt *st, void *ctx)
{
    concept_cb *c = ctx;
    return c->cb(c->ctx, lm_col_text(st, 0), lm_col_text(st, 1), lm_col_text(st, 2));
}

lm_status lm_store_article_facets(lm_store *s, int64_t pmid, int *year,
                                  lm_status (*cb)(void *ctx, const char *concept_id,
                                                  const char *type, const char *text),
                                  void *ctx, lm_error *err)
{
    *year = 0;
    sqlite3_stmt *st =
        lm_store_stmt(s, SLOT_YEAR, "SELECT coalesce(year, 0) FROM articles WHERE pmid = ?1", err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    lm_bind_int64(st, 1, pmid, &brc);
    int rc = lm_bind_step(st, brc);
    if (rc == SQLITE_ROW)
        *year = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE)
        return lm_error_set(err, LM_ERR_NOTFOUND, "no article with PMID %lld", (long long)pmid);
    if (rc != SQLITE_ROW)
        return lm_store_fail(s, rc, err, "reading article %lld", (long long)pmid);
    if (!cb)
        return LM_OK;
    st = lm_store_stmt(s, SLOT_CONCEPTS,
                       "SELECT concept_id, type, min(text) FROM mentions WHERE pmid = ?1"
                       " AND concept_id IS NOT NULL AND concept_id NOT IN ('', '-')"
                       " GROUP BY concept_id, type",
                       err);
    if (!st)
        return err->code;
    brc = SQLITE_OK;
    lm_bind_int64(st, 1, pmid, &brc);
    concept_cb c = {cb, ctx};
    return lm_store_each_row(s, st, brc, "article concepts", concept_row, &c, err);
}
