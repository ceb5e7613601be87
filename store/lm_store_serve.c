/*
 * The reads behind `litmine serve` (see lm_store_serve.h).  Filters are
 * bound parameters that disable themselves when NULL, as in the export
 * queries, so each page has one cached statement whatever its filters.
 * Relations exclude the bare co-occurrence candidates ('cooccurs') unless
 * asked for by name: those are what the pairs stage rejected.
 */
#include "lm_store_serve.h"
#include "lm_store_internal.h"

#include "../util/lm_buf.h"

#include <stdio.h>
#include <string.h>

enum {
    SLOT_SUMMARY = LM_STORE_SLOT_SERVE,
    SLOT_SUMMARY_PAIRS,
    SLOT_YEARS,
    SLOT_NAMES,
    SLOT_COMENTIONS,
    SLOT_CONCEPT_PAIRS,
    SLOT_YEAR,
    SLOT_CONCEPTS,
    SLOT_ARTICLE_YEARS,
    SLOT_GROUNDED,
    SLOT_ARTICLE_TEXT,
    SLOT_DATA_VERSION,
    SLOT_ARTICLE_MENTIONS,
    SLOT_ARTICLE_PAIRS
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

lm_status lm_store_data_version(lm_store *s, int64_t *version, lm_error *err)
{
    return lm_store_query_int(s, SLOT_DATA_VERSION, "PRAGMA data_version", 0, version,
                              "reading the data version", err);
}

lm_status lm_store_serve_tune(lm_store *s, lm_error *err)
{
    int rc = sqlite3_exec(lm_store_sqlite(s),
                          "PRAGMA mmap_size = 2147418112; PRAGMA cache_size = -8192;", NULL,
                          NULL, NULL);
    return rc == SQLITE_OK ? LM_OK : lm_store_fail(s, rc, err, "configuring a reader");
}

/* ---- an article ----------------------------------------------------------- */

typedef struct mention_cb {
    lm_status (*cb)(void *ctx, const lm_mention_row *r);
    void *ctx;
} mention_cb;

static lm_status mention_row(sqlite3_stmt *st, void *ctx)
{
    mention_cb *m = ctx;
    lm_mention_row r;
    lm_store_mention_row(st, &r);
    return m->cb(m->ctx, &r);
}

lm_status lm_store_article_mentions(lm_store *s, int64_t pmid,
                                    lm_status (*cb)(void *ctx, const lm_mention_row *r),
                                    void *ctx, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_ARTICLE_MENTIONS,
        "SELECT " LM_STORE_MENTION_COLUMNS " FROM mentions m WHERE m.pmid = ?1"
        " ORDER BY m.start, m.\"end\", m.type",
        err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    lm_bind_int64(st, 1, pmid, &brc);
    mention_cb m = {cb, ctx};
    return lm_store_each_row(s, st, brc, "mentions", mention_row, &m, err);
}

typedef struct pair_cb {
    lm_status (*cb)(void *ctx, const lm_pair_row *r);
    void *ctx;
} pair_cb;

static lm_status pair_row(sqlite3_stmt *st, void *ctx)
{
    pair_cb *p = ctx;
    lm_pair_row r;
    lm_store_pair_row(st, 0, &r);
    return p->cb(p->ctx, &r);
}

lm_status lm_store_article_pairs(lm_store *s, int64_t pmid,
                                 lm_status (*cb)(void *ctx, const lm_pair_row *r), void *ctx,
                                 lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_ARTICLE_PAIRS,
        "SELECT " LM_STORE_PAIR_COLUMNS " FROM pairs p JOIN articles a ON a.pmid = p.pmid"
        " WHERE p.pmid = ?1 AND p.relation <> 'cooccurs'"
        " ORDER BY p.score DESC, p.chemical_id, p.disease_id",
        err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    lm_bind_int64(st, 1, pmid, &brc);
    pair_cb p = {cb, ctx};
    return lm_store_each_row(s, st, brc, "pairs", pair_row, &p, err);
}

/* ---- a concept ------------------------------------------------------------ */

/* The one-row concept statements: the concept id bound as ?1, one step;
 * the caller reads the row, then resets. */
static int step_concept(sqlite3_stmt *st, const char *id)
{
    int brc = SQLITE_OK;
    lm_bind_text(st, 1, id, &brc);
    return lm_bind_step(st, brc);
}

static void reset_concept(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

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
    int rc = step_concept(st, id);
    if (rc == SQLITE_ROW) {
        const char *type = lm_col_text(st, 0);
        snprintf(out->type, sizeof out->type, "%s", type ? type : "");
        out->mentions = sqlite3_column_int64(st, 1);
        out->articles = sqlite3_column_int64(st, 2);
    }
    reset_concept(st);
    if (rc != SQLITE_ROW)
        return lm_store_fail(s, rc, err, "reading concept %s", id);
    if (out->mentions == 0)
        return lm_error_set(err, LM_ERR_NOTFOUND, "no article mentions concept %s", id);
    return lm_store_concept_pair_count(s, id, &out->pairs, err);
}

lm_status lm_store_concept_pair_count(lm_store *s, const char *id, int64_t *n, lm_error *err)
{
    *n = 0;
    sqlite3_stmt *st = lm_store_stmt(s, SLOT_SUMMARY_PAIRS,
                                     "SELECT (SELECT count(*) FROM pairs WHERE chemical_id = ?1"
                                     "        AND relation <> 'cooccurs')"
                                     " + (SELECT count(*) FROM pairs WHERE disease_id = ?1"
                                     "    AND chemical_id <> ?1 AND relation <> 'cooccurs')",
                                     err);
    if (!st)
        return err->code;
    int rc = step_concept(st, id);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    reset_concept(st);
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

/* Two indexed halves, as chemical and as disease (a pair naming the
 * concept twice is in the first only): with an OR, SQLite scans every pair
 * through the view. */
#define CONCEPT_PAIRS_SQL                                                                  \
    "SELECT p.chemical_id, min(p.chemical_text), p.disease_id, min(p.disease_text),"       \
    " p.relation, count(*) n, max(p.score), min(a.year)"                                   \
    " FROM (SELECT pmid, chemical_id, chemical_text, disease_id, disease_text, relation,"  \
    "        score FROM pairs WHERE chemical = (SELECT id FROM names WHERE name = ?1)"     \
    "        AND relation <> 'cooccurs'"                                                   \
    "       UNION ALL"                                                                     \
    "       SELECT pmid, chemical_id, chemical_text, disease_id, disease_text, relation,"  \
    "        score FROM pairs WHERE disease = (SELECT id FROM names WHERE name = ?1)"      \
    "        AND chemical_id <> ?1 AND relation <> 'cooccurs') p"                          \
    " JOIN articles a ON a.pmid = p.pmid"                                                  \
    " GROUP BY p.chemical_id, p.disease_id, p.relation"                                    \
    " ORDER BY n DESC, max(p.score) DESC, p.chemical_id, p.disease_id LIMIT ?2"

lm_status lm_store_concept_pairs(lm_store *s, const char *id, int limit,
                                 lm_status (*cb)(void *ctx, const lm_pair_count_row *r),
                                 void *ctx, lm_error *err)
{
    pair_count_cb p = {cb, ctx};
    return concept_rows(s, SLOT_CONCEPT_PAIRS, CONCEPT_PAIRS_SQL, id, limit, "concept pairs",
                        pair_count_row, &p, err);
}

/* ---- the pairs table ------------------------------------------------------ */

/* The FROM and WHERE of a pairs query, its values in binding order.  A
 * value with a ':' is a concept id (indexed), else a mention text. */
typedef struct pairs_sql {
    lm_buf sql;
    const char *text[4];
    size_t n_text;
    double min_score;
    int year_from, year_to;
} pairs_sql;

static lm_status pairs_where(const lm_pairs_query *q, int with_articles, pairs_sql *ps)
{
    lm_buf *b = &ps->sql;
    /* Every pair has its article (a foreign key with cascades), so only
     * the year filters need the join.  A count reads the stored table
     * alone, names turned into ids first; a page reads the view, which
     * decodes the names of its 50 rows. */
    int count = !with_articles;
    with_articles |= q->year_from > 0 || q->year_to > 0;
    const char *from = count ? " FROM pairs_data p" : " FROM pairs p";
    lm_status st = lm_buf_printf(b, "%s%s", from,
                                 with_articles ? " JOIN articles a ON a.pmid = p.pmid WHERE "
                                               : " WHERE ");
    const char *rel = q->relation && q->relation[0] ? q->relation : NULL;
    const char *rel_col = count ? "p.relation" : "p.relation_code";
    /* Said in the words of pairs_score's condition, so SQLite reads the
     * relations from it in score order; a named relation is also said to
     * be no co-occurrence for the same reason. */
    int cooccurs = rel && strcmp(rel, "cooccurs") == 0;
    if (st == LM_OK)
        st = lm_buf_printf(b, "%s %s " LM_STORE_NAME_COOCCURS, rel_col, cooccurs ? "=" : "<>");
    if (st == LM_OK && rel && !cooccurs) {
        st = lm_buf_printf(b, " AND %s = (SELECT id FROM names WHERE name = ?)", rel_col);
        ps->text[ps->n_text++] = rel;
    }
    static const char *const col[2][2] = {
        {"p.chemical_text = ? COLLATE NOCASE", "p.chemical = (SELECT id FROM names WHERE name = ?)"},
        {"p.disease_text = ? COLLATE NOCASE", "p.disease = (SELECT id FROM names WHERE name = ?)"}};
    const char *val[2] = {q->chemical, q->disease};
    for (int i = 0; i < 2 && st == LM_OK; i++) {
        if (!val[i] || !val[i][0])
            continue;
        st = lm_buf_printf(b, " AND %s", col[i][strchr(val[i], ':') != NULL]);
        ps->text[ps->n_text++] = val[i];
    }
    if (st == LM_OK && q->min_score > 0)
        st = lm_buf_append_str(b, " AND p.score >= ?");
    if (st == LM_OK && q->year_from > 0)
        st = lm_buf_append_str(b, " AND a.year >= ?");
    if (st == LM_OK && q->year_to > 0)
        st = lm_buf_append_str(b, " AND a.year <= ?");
    ps->min_score = q->min_score;
    ps->year_from = q->year_from;
    ps->year_to = q->year_to;
    return st;
}

/* Prepares SELECT head + the query's FROM/WHERE + tail and binds its
 * values; *next receives the next parameter number.  NULL on failure. */
static sqlite3_stmt *pairs_prepare(lm_store *s, const lm_pairs_query *q, const char *head,
                                   int with_articles, const char *tail, int *next,
                                   lm_error *err)
{
    pairs_sql ps;
    memset(&ps, 0, sizeof ps);
    lm_buf_init(&ps.sql);
    lm_status ls = lm_buf_append_str(&ps.sql, head);
    if (ls == LM_OK)
        ls = pairs_where(q, with_articles, &ps);
    if (ls == LM_OK)
        ls = lm_buf_append_str(&ps.sql, tail);
    if (ls != LM_OK) {
        lm_buf_free(&ps.sql);
        lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(lm_store_sqlite(s), lm_buf_cstr(&ps.sql), -1, &st, NULL);
    lm_buf_free(&ps.sql);
    if (rc != SQLITE_OK) {
        lm_store_fail(s, rc, err, "preparing the pairs query");
        return NULL;
    }
    int i = 1, brc = SQLITE_OK;
    for (size_t k = 0; k < ps.n_text; k++)
        lm_bind_text(st, i++, ps.text[k], &brc);
    if (ps.min_score > 0)
        lm_bind_double(st, i++, ps.min_score, &brc);
    if (ps.year_from > 0)
        lm_bind_int(st, i++, ps.year_from, &brc);
    if (ps.year_to > 0)
        lm_bind_int(st, i++, ps.year_to, &brc);
    if (brc != SQLITE_OK) {
        lm_store_fail(s, brc, err, "binding the pairs query");
        sqlite3_finalize(st);
        return NULL;
    }
    *next = i;
    return st;
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

#define PAIRS_HEAD "SELECT " LM_STORE_PAIR_COLUMNS ", a.year, a.title"

static const char *pairs_order(const lm_pairs_query *q)
{
    static const char *const order[3] = {
        " ORDER BY a.year IS NULL, a.year DESC, p.score DESC, p.pmid, p.chemical_id, p.disease_id"
        " LIMIT ? OFFSET ?",
        " ORDER BY p.score DESC, p.pmid, p.chemical_id, p.disease_id LIMIT ? OFFSET ?",
        " ORDER BY a.year IS NULL, a.year, p.score DESC, p.pmid, p.chemical_id, p.disease_id"
        " LIMIT ? OFFSET ?"};
    return order[q->by_year < 0 ? 0 : q->by_year > 0 ? 2 : 1];
}

lm_status lm_store_pairs_query(lm_store *s, const lm_pairs_query *q,
                               lm_status (*cb)(void *ctx, const lm_pairs_query_row *r),
                               void *ctx, lm_error *err)
{
    int i;
    sqlite3_stmt *st = pairs_prepare(s, q, PAIRS_HEAD, 1, pairs_order(q), &i, err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    lm_bind_int64(st, i, q->limit > 0 ? q->limit : -1, &brc);
    lm_bind_int64(st, i + 1, q->offset > 0 ? q->offset : 0, &brc);
    pairs_query_cb p = {cb, ctx};
    lm_status ls = lm_store_each_row(s, st, brc, "pairs", pairs_query_row, &p, err);
    sqlite3_finalize(st);
    return ls;
}

lm_status lm_store_pairs_query_count(lm_store *s, const lm_pairs_query *q, int64_t *n,
                                     lm_error *err)
{
    *n = 0;
    int i;
    sqlite3_stmt *st = pairs_prepare(s, q, "SELECT count(*)", 0, "", &i, err);
    if (!st)
        return err->code;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? LM_OK : lm_store_fail(s, rc, err, "counting pairs");
}

/* Steps an EXPLAIN QUERY PLAN statement into out, one line a step, and
 * finalizes it. */
static lm_status plan_rows(lm_store *s, sqlite3_stmt *st, int brc, lm_buf *out,
                           const char *what, lm_error *err)
{
    int rc = SQLITE_DONE;
    lm_status ls = LM_OK;
    while (ls == LM_OK && (rc = lm_bind_step(st, brc)) == SQLITE_ROW) {
        const char *detail = lm_col_text(st, 3);
        if (lm_buf_printf(out, "%s\n", detail ? detail : "") != LM_OK)
            ls = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "%s", what);
    sqlite3_finalize(st);
    return ls;
}

lm_status lm_store_pairs_query_plan(lm_store *s, const lm_pairs_query *q, int count,
                                    lm_buf *out, lm_error *err)
{
    int i;
    lm_buf_reset(out);
    sqlite3_stmt *st =
        count ? pairs_prepare(s, q, "EXPLAIN QUERY PLAN SELECT count(*)", 0, "", &i, err)
              : pairs_prepare(s, q, "EXPLAIN QUERY PLAN " PAIRS_HEAD, 1, pairs_order(q), &i,
                              err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    if (!count) {
        lm_bind_int64(st, i, q->limit > 0 ? q->limit : -1, &brc);
        lm_bind_int64(st, i + 1, q->offset > 0 ? q->offset : 0, &brc);
    }
    return plan_rows(s, st, brc, out, "explaining the pairs query", err);
}

lm_status lm_store_concept_pairs_plan(lm_store *s, lm_buf *out, lm_error *err)
{
    lm_buf_reset(out);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(lm_store_sqlite(s), "EXPLAIN QUERY PLAN " CONCEPT_PAIRS_SQL, -1,
                                &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return lm_store_fail(s, rc, err, "explaining the concept pairs query");
    }
    int brc = SQLITE_OK;
    lm_bind_text(st, 1, "MESH:D000001", &brc);
    lm_bind_int(st, 2, 15, &brc);
    return plan_rows(s, st, brc, out, "explaining the concept pairs query", err);
}

/* ---- the server's concept index ------------------------------------------ */

typedef struct year_row_cb {
    lm_status (*cb)(void *ctx, int64_t pmid, int year);
    void *ctx;
} year_row_cb;

static lm_status article_year_row(sqlite3_stmt *st, void *ctx)
{
    year_row_cb *y = ctx;
    return y->cb(y->ctx, sqlite3_column_int64(st, 0), lm_col_int_or(st, 1, 0));
}

lm_status lm_store_article_years(lm_store *s,
                                 lm_status (*cb)(void *ctx, int64_t pmid, int year), void *ctx,
                                 lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SLOT_ARTICLE_YEARS,
                                     "SELECT pmid, year FROM articles ORDER BY pmid", err);
    if (!st)
        return err->code;
    year_row_cb y = {cb, ctx};
    return lm_store_each_row(s, st, SQLITE_OK, "article years", article_year_row, &y, err);
}

typedef struct grounded_cb {
    lm_status (*cb)(void *ctx, const lm_grounded_row *r);
    void *ctx;
} grounded_cb;

static lm_status grounded_row(sqlite3_stmt *st, void *ctx)
{
    grounded_cb *g = ctx;
    const char *type = lm_col_text(st, 2), *text = lm_col_text(st, 3);
    lm_grounded_row r = {sqlite3_column_int64(st, 0), lm_col_text(st, 1), type ? type : "",
                         text ? text : ""};
    return g->cb(g->ctx, &r);
}

lm_status lm_store_grounded_mentions(lm_store *s,
                                     lm_status (*cb)(void *ctx, const lm_grounded_row *r),
                                     void *ctx, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_GROUNDED,
        "SELECT pmid, concept_id, type, text FROM mentions"
        " WHERE concept_id IS NOT NULL AND concept_id NOT IN ('', '-')",
        err);
    if (!st)
        return err->code;
    grounded_cb g = {cb, ctx};
    return lm_store_each_row(s, st, SQLITE_OK, "mentions", grounded_row, &g, err);
}

lm_status lm_store_article_text(lm_store *s, int64_t pmid, lm_buf *text, size_t *title_bytes,
                                lm_error *err)
{
    lm_buf_reset(text);
    *title_bytes = 0;
    sqlite3_stmt *st = lm_store_stmt(s, SLOT_ARTICLE_TEXT,
                                     "SELECT title, abstract FROM articles WHERE pmid = ?1", err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    lm_bind_int64(st, 1, pmid, &brc);
    int rc = lm_bind_step(st, brc);
    lm_status ls = LM_OK;
    if (rc == SQLITE_ROW) {
        const char *title = lm_col_text(st, 0), *abstract = lm_col_text(st, 1);
        *title_bytes = title ? strlen(title) : 0;
        if (lm_buf_append_str(text, title ? title : "") != LM_OK ||
            lm_buf_append_char(text, ' ') != LM_OK ||
            lm_buf_append_str(text, abstract ? abstract : "") != LM_OK)
            ls = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    } else if (rc == SQLITE_DONE) {
        ls = lm_error_set(err, LM_ERR_NOTFOUND, "article %lld is not in the database",
                          (long long)pmid);
    } else {
        ls = lm_store_fail(s, rc, err, "reading article %lld", (long long)pmid);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ls;
}

/* ---- search facets --------------------------------------------------------- */

typedef struct facet_cb {
    lm_status (*cb)(void *ctx, const lm_facet_row *r);
    void *ctx;
} facet_cb;

static lm_status facet_row(sqlite3_stmt *st, void *ctx)
{
    facet_cb *f = ctx;
    lm_facet_row r = {sqlite3_column_int64(st, 0), lm_col_int_or(st, 1, 0), lm_col_text(st, 2),
                      lm_col_text(st, 3), lm_col_text(st, 4)};
    return f->cb(f->ctx, &r);
}

lm_status lm_store_facets(lm_store *s, const int64_t *pmids, size_t n,
                          lm_status (*cb)(void *ctx, const lm_facet_row *r), void *ctx,
                          lm_error *err)
{
    lm_buf list;
    lm_buf_init(&list);
    lm_status ls = lm_buf_append_char(&list, '[');
    for (size_t i = 0; i < n && ls == LM_OK; i++)
        ls = lm_buf_printf(&list, "%s%lld", i ? "," : "", (long long)pmids[i]);
    if (ls == LM_OK)
        ls = lm_buf_append_char(&list, ']');
    if (ls != LM_OK) {
        lm_buf_free(&list);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    static const char *const sql[2] = {
        "SELECT pmid, year, NULL, NULL, NULL FROM articles"
        " WHERE pmid IN (SELECT value FROM json_each(?1))",
        "SELECT pmid, NULL, concept_id, type, min(text) FROM mentions"
        " WHERE pmid IN (SELECT value FROM json_each(?1))"
        " AND concept_id IS NOT NULL AND concept_id NOT IN ('', '-')"
        " GROUP BY pmid, concept_id, type"};
    facet_cb f = {cb, ctx};
    for (int k = 0; k < 2 && ls == LM_OK; k++) {
        sqlite3_stmt *st = lm_store_stmt(s, k ? SLOT_CONCEPTS : SLOT_YEAR, sql[k], err);
        if (!st) {
            ls = err->code;
            break;
        }
        int brc = SQLITE_OK;
        lm_bind_text(st, 1, lm_buf_cstr(&list), &brc);
        ls = lm_store_each_row(s, st, brc, "facets", facet_row, &f, err);
    }
    lm_buf_free(&list);
    return ls;
}
