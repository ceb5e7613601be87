/*
 * Export queries.  Each filter is a bound parameter that disables itself
 * when NULL ("?1 IS NULL OR ..."), so one prepared statement per entity
 * serves every combination of filters.  Such a term can never choose an
 * index, though, so a filter that should pick the rows through one has a
 * statement of its own: mentions and pairs of given PMIDs (--pmid,
 * --pmids) are read through the pmid index instead of scanning every
 * row, and the mentions and pairs of a concept (--concept) through the
 * concept indexes.  A concept's pairs are two halves, as a chemical and
 * as a disease, joined by UNION ALL: "chemical = X OR disease = X" can use
 * both indexes, but once ANALYZE has written statistics the planner may
 * prefer a scan of every pair (as it did for serve's concept page).
 */
#include "lm_store_export.h"
#include "lm_store_internal.h"
#include "search/lm_lexindex.h"

#include <stdlib.h>

#include "../util/lm_buf.h"

enum {
    SLOT_MENTIONS = LM_STORE_SLOT_EXPORT,
    SLOT_PAIRS,
    SLOT_CONCEPTS,
    SLOT_ARTICLES,
    SLOT_MENTIONS_OF_PMIDS,
    SLOT_PAIRS_OF_PMIDS,
    SLOT_MENTIONS_OF_CONCEPT,
    SLOT_PAIRS_OF_CONCEPT
};

/* The rows of the PMIDs in ?6 (the JSON array bind_filter builds). */
#define OF_PMIDS(alias) " " alias ".pmid IN (SELECT value FROM json_each(?6)) AND"

static int by_pmids(const lm_export_filter *f)
{
    return f->pmid > 0 || f->pmids;
}

/* Shared WHERE terms over an article alias "a"; parameters ?3 (since),
 * ?5 (1: only the PMIDs of temp.export_match), ?6 (a JSON array of PMIDs)
 * and ?8 / ?9 (publication years). */
#define ARTICLE_FILTERS                                                          \
    " AND (?3 IS NULL OR a.ingested_at >= ?3)"                                    \
    " AND (?5 IS NULL OR a.pmid IN (SELECT pmid FROM temp.export_match))"         \
    " AND (?6 IS NULL OR a.pmid IN (SELECT value FROM json_each(?6)))"            \
    " AND (?8 IS NULL OR a.year >= ?8) AND (?9 IS NULL OR a.year <= ?9)"

/* The statement of slot, after filling temp.export_match with the
 * articles holding every word of f->words (a TEMP table: read-only
 * connections may write it).  The table exists before any statement
 * naming it is prepared. */
static sqlite3_stmt *export_stmt(lm_store *s, int slot, const char *sql,
                                 const lm_export_filter *f, lm_error *err)
{
    sqlite3 *db = lm_store_sqlite(s);
    int64_t *pmids = NULL;
    size_t n = 0;
    lm_status ls = LM_OK;
    if (f->words) {
        lm_lexindex_reader *r = NULL;
        ls = lm_lexindex_reader_init(&r, err);
        if (ls == LM_OK)
            ls = lm_lexindex_match_all(r, s, f->words, &pmids, &n, err);
        lm_lexindex_reader_free(r);
        if (ls != LM_OK)
            return NULL;
    }
    int rc = sqlite3_exec(db,
                          "CREATE TEMP TABLE IF NOT EXISTS export_match"
                          " (pmid INTEGER PRIMARY KEY);"
                          "DELETE FROM temp.export_match;",
                          NULL, NULL, NULL);
    sqlite3_stmt *ins = NULL;
    if (rc == SQLITE_OK && n > 0)
        rc = sqlite3_prepare_v2(db, "INSERT INTO temp.export_match (pmid) VALUES (?1)", -1,
                                &ins, NULL);
    for (size_t i = 0; rc == SQLITE_OK && ins && i < n; i++) {
        sqlite3_bind_int64(ins, 1, pmids[i]);
        rc = sqlite3_step(ins);
        rc = rc == SQLITE_DONE ? sqlite3_reset(ins) : rc;
    }
    sqlite3_finalize(ins);
    free(pmids);
    if (rc != SQLITE_OK) {
        lm_store_fail(s, rc, err, "preparing the export's article filter");
        return NULL;
    }
    return lm_store_stmt(s, slot, sql, err);
}

/* Returns the first failed bind's code, or SQLITE_OK. */
static int bind_filter(sqlite3_stmt *st, const lm_export_filter *f)
{
    int brc = SQLITE_OK;
    if (f->type)
        lm_bind_text_copy(st, 1, f->type, &brc);
    if (f->concept)
        lm_bind_text_copy(st, 2, f->concept, &brc);
    if (f->since)
        lm_bind_text_copy(st, 3, f->since, &brc);
    if (f->has_min_score)
        lm_bind_double(st, 4, f->min_score, &brc);
    if (f->words)
        lm_bind_int(st, 5, 1, &brc);
    /* The PMIDs travel as one JSON array, whatever their number. */
    if (f->pmid > 0 || f->pmids) {
        lm_buf json;
        lm_buf_init(&json);
        int ok = lm_buf_append_str(&json, "[") == LM_OK;
        if (f->pmid > 0)
            ok = ok && lm_buf_printf(&json, "%lld", (long long)f->pmid) == LM_OK;
        for (size_t i = 0; ok && f->pmids && i < f->n_pmids; i++)
            ok = lm_buf_printf(&json, "%s%lld", i || f->pmid > 0 ? "," : "",
                               (long long)f->pmids[i]) == LM_OK;
        ok = ok && lm_buf_append_str(&json, "]") == LM_OK;
        if (!ok && brc == SQLITE_OK)
            brc = SQLITE_NOMEM;
        lm_bind_text_copy(st, 6, lm_buf_cstr(&json), &brc);
        lm_buf_free(&json);
    }
    /* only the pairs statement uses ?7 */
    if (f->all_candidates)
        lm_bind_int(st, 7, 1, &brc);
    if (f->year_from)
        lm_bind_int(st, 8, f->year_from, &brc);
    if (f->year_to)
        lm_bind_int(st, 9, f->year_to, &brc);
    return brc;
}

/* Binds the filter, then steps st to the end, calling row(st) for each row. */
static lm_status each_row(lm_store *s, sqlite3_stmt *st, const lm_export_filter *f,
                          const char *what,
                          lm_status (*row)(sqlite3_stmt *st, void *ctx), void *ctx,
                          lm_error *err)
{
    return lm_store_each_row(s, st, bind_filter(st, f), what, row, ctx, err);
}

/* A statement of an export and the slot it is cached in. */
typedef struct export_query {
    int slot;
    const char *sql;
} export_query;

static lm_status each_row_of(lm_store *s, const lm_export_filter *f, export_query q,
                             const char *what,
                             lm_status (*row)(sqlite3_stmt *st, void *ctx), void *ctx,
                             lm_error *err)
{
    sqlite3_stmt *st = export_stmt(s, q.slot, q.sql, f, err);
    if (!st)
        return err->code;
    return each_row(s, st, f, what, row, ctx, err);
}

typedef struct mention_cb {
    lm_status (*cb)(void *ctx, const lm_mention_row *r);
    void *ctx;
} mention_cb;

void lm_store_mention_row(sqlite3_stmt *st, lm_mention_row *out)
{
    lm_mention_row r = {sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1),
                        sqlite3_column_int(st, 2),   lm_col_text(st, 3),
                        lm_col_text(st, 4),          lm_col_text(st, 5),
                        lm_col_int_or(st, 6, -1),    sqlite3_column_double(st, 7)};
    *out = r;
}

static lm_status mention_row(sqlite3_stmt *st, void *ctx)
{
    mention_cb *m = ctx;
    lm_mention_row r;
    lm_store_mention_row(st, &r);
    return m->cb(m->ctx, &r);
}

/* The mentions of f: of its PMIDs (the pmid index), of its concept (the
 * concept index), or all of them. */
static export_query mentions_query(const lm_export_filter *f)
{
#define MENTIONS_SQL(pick)                                                             \
    "SELECT " LM_STORE_MENTION_COLUMNS " FROM mentions m JOIN articles a ON a.pmid = m.pmid" \
    " WHERE" pick " (?1 IS NULL OR m.type = ?1) AND (?2 IS NULL OR m.concept_id = ?2)"      \
    " AND (?4 IS NULL OR m.score >= ?4)" ARTICLE_FILTERS                                  \
    " ORDER BY m.pmid, m.start, m.\"end\", m.type"
    if (by_pmids(f))
        return (export_query){SLOT_MENTIONS_OF_PMIDS, MENTIONS_SQL(OF_PMIDS("m"))};
    if (f->concept)
        return (export_query){SLOT_MENTIONS_OF_CONCEPT, MENTIONS_SQL(" m.concept_id = ?2 AND")};
    return (export_query){SLOT_MENTIONS, MENTIONS_SQL("")};
#undef MENTIONS_SQL
}

lm_status lm_store_export_mentions(lm_store *s, const lm_export_filter *f,
                                   lm_status (*cb)(void *ctx, const lm_mention_row *r),
                                   void *ctx, lm_error *err)
{
    mention_cb m = {cb, ctx};
    return each_row_of(s, f, mentions_query(f), "mentions", mention_row, &m, err);
}

typedef struct pair_cb {
    lm_status (*cb)(void *ctx, const lm_pair_row *r);
    void *ctx;
} pair_cb;

void lm_store_pair_row(sqlite3_stmt *st, int first, lm_pair_row *out)
{
    int i = first;
    lm_pair_row r = {sqlite3_column_int64(st, i),      lm_col_text(st, i + 1),
                     lm_col_text(st, i + 2),           lm_col_text(st, i + 3),
                     lm_col_text(st, i + 4),           lm_col_text(st, i + 5),
                     sqlite3_column_double(st, i + 6), lm_col_int_or(st, i + 7, -1),
                     lm_col_int_or(st, i + 8, -1),     lm_col_text(st, i + 9)};
    *out = r;
}

static lm_status pair_row(sqlite3_stmt *st, void *ctx)
{
    pair_cb *p = ctx;
    lm_pair_row r;
    lm_store_pair_row(st, 0, &r);
    return p->cb(p->ctx, &r);
}

/* The pairs of f: of its PMIDs (the pmid index), of its concept (as a
 * chemical through one index, then as a disease through the other, the
 * pairs of the concept with itself in the first half only), or all. */
static export_query pairs_query(const lm_export_filter *f)
{
    /* substr() counts characters, which is exactly the code-point
     * convention of the stored offsets. */
#define PAIRS_SELECT(pick)                                                               \
    "SELECT " LM_STORE_PAIR_COLUMNS " FROM pairs p JOIN articles a ON a.pmid = p.pmid"     \
    " WHERE" pick " (?7 IS NOT NULL OR p.relation <> 'cooccurs')"                         \
    " AND (?4 IS NULL OR p.score >= ?4)" ARTICLE_FILTERS
#define OF_CONCEPT " (?2 IS NULL OR p.chemical = (SELECT id FROM names WHERE name = ?2)"     \
    "  OR p.disease = (SELECT id FROM names WHERE name = ?2)) AND"
    if (by_pmids(f))
        return (export_query){SLOT_PAIRS_OF_PMIDS,
                              PAIRS_SELECT(OF_PMIDS("p") OF_CONCEPT)
                              " ORDER BY p.pmid, p.score DESC, p.chemical_id, p.disease_id"};
    if (f->concept)
        /* Compound: ordered by result columns (pmid, score, chemical_id,
         * disease_id). */
        return (export_query){
            SLOT_PAIRS_OF_CONCEPT,
            PAIRS_SELECT(" p.chemical = (SELECT id FROM names WHERE name = ?2) AND")
            " UNION ALL "
            PAIRS_SELECT(" p.disease = (SELECT id FROM names WHERE name = ?2)"
                         " AND p.chemical <> p.disease AND")
            " ORDER BY 1, 7 DESC, 2, 4"};
    return (export_query){SLOT_PAIRS, PAIRS_SELECT("")
                          " ORDER BY p.pmid, p.score DESC, p.chemical_id, p.disease_id"};
#undef OF_CONCEPT
#undef PAIRS_SELECT
}

lm_status lm_store_export_pairs(lm_store *s, const lm_export_filter *f,
                                lm_status (*cb)(void *ctx, const lm_pair_row *r), void *ctx,
                                lm_error *err)
{
    pair_cb p = {cb, ctx};
    return each_row_of(s, f, pairs_query(f), "pairs", pair_row, &p, err);
}

typedef struct concept_cb {
    lm_status (*cb)(void *ctx, const lm_concept_row *r);
    void *ctx;
} concept_cb;

static lm_status concept_row(sqlite3_stmt *st, void *ctx)
{
    concept_cb *c = ctx;
    lm_concept_row r = {lm_col_text(st, 0),           lm_col_text(st, 1),   lm_col_text(st, 2),
                        sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4),
                        lm_col_int_or(st, 5, 0),           lm_col_int_or(st, 6, 0)};
    return c->cb(c->ctx, &r);
}

lm_status lm_store_export_concepts(lm_store *s, const lm_export_filter *f,
                                   lm_status (*cb)(void *ctx, const lm_concept_row *r),
                                   void *ctx, lm_error *err)
{
    /* The name is the most frequent mention text of the concept (ties:
     * the alphabetically first), picked in a correlated subquery. */
    sqlite3_stmt *st = export_stmt(
        s, SLOT_CONCEPTS,
        "WITH sel AS (SELECT m.concept_id, m.type, m.text, m.pmid, a.year"
        "  FROM mentions m JOIN articles a ON a.pmid = m.pmid"
        "  WHERE m.concept_id IS NOT NULL AND (?1 IS NULL OR m.type = ?1)"
        "  AND (?2 IS NULL OR m.concept_id = ?2) AND (?4 IS NULL OR m.score >= ?4)"
        ARTICLE_FILTERS ")"
        " SELECT concept_id, type,"
        "  (SELECT text FROM sel s2 WHERE s2.concept_id = sel.concept_id AND s2.type = sel.type"
        "   GROUP BY text ORDER BY count(*) DESC, text LIMIT 1),"
        "  count(*), count(DISTINCT pmid), min(year), max(year)"
        " FROM sel GROUP BY concept_id, type ORDER BY count(*) DESC, concept_id, type",
        f, err);
    if (!st)
        return err->code;
    concept_cb c = {cb, ctx};
    return each_row(s, st, f, "concepts", concept_row, &c, err);
}

typedef struct article_cb {
    lm_status (*cb)(void *ctx, const lm_article *a);
    void *ctx;
} article_cb;

static lm_status article_row(sqlite3_stmt *st, void *ctx)
{
    article_cb *c = ctx;
    lm_article a;
    lm_store_article_head(st, &a);
    a.journal = (char *)lm_col_text(st, 4);
    a.year = lm_col_int_or(st, 5, 0);
    a.doi = (char *)lm_col_text(st, 6);
    a.language = (char *)lm_col_text(st, 7);
    a.date_revised = (char *)lm_col_text(st, 8);
    a.is_book = sqlite3_column_int(st, 9);
    return c->cb(c->ctx, &a);
}

lm_status lm_store_export_articles(lm_store *s, const lm_export_filter *f,
                                   lm_status (*cb)(void *ctx, const lm_article *a), void *ctx,
                                   lm_error *err)
{
    sqlite3_stmt *st = export_stmt(
        s, SLOT_ARTICLES,
        "SELECT a.pmid, a.version, a.title, a.abstract, a.journal, a.year, a.doi, a.language,"
        " a.date_revised, a.is_book FROM articles a"
        " WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM mentions m"
        "  WHERE m.pmid = a.pmid AND m.type = ?1))"
        " AND (?2 IS NULL OR EXISTS (SELECT 1 FROM mentions m"
        "  WHERE m.pmid = a.pmid AND m.concept_id = ?2))" ARTICLE_FILTERS " ORDER BY a.pmid",
        f, err);
    if (!st)
        return err->code;
    article_cb c = {cb, ctx};
    return each_row(s, st, f, "articles", article_row, &c, err);
}
