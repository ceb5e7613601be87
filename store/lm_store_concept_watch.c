/*
 * Concept watches (lm_store_concept_watch.h).  A watch remembers the
 * ingested_at of the newest article its last report covered; a report
 * lists the articles stored after that mark, up to the newest article
 * stored before the second the report began: ingested_at counts seconds,
 * so an article stored in that second, or while the report is written,
 * is left for the next report instead of being missed or told twice.
 */
#include "lm_store_concept_watch.h"
#include "lm_store_internal.h"

#include <stdio.h>
#include <string.h>

enum {
    SLOT_ADD = LM_STORE_SLOT_CWATCH,
    SLOT_TAKEN,
    SLOT_REMOVE,
    SLOT_EACH,
    SLOT_MARK,
    SLOT_NEWEST,
    SLOT_ARTICLES,
    SLOT_PAIRS
};

static int valid_id(const char *id)
{
    return id && *id && strlen(id) <= 128 && !strpbrk(id, " \t\r\n");
}

lm_status lm_store_newest_ingest(lm_store *s, char out[32], lm_error *err)
{
    /* Only seconds that are over: an article stored later in the current
     * second gets the same ingested_at and would fall behind the mark. */
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_NEWEST, "SELECT max(ingested_at) FROM articles WHERE ingested_at < ?1", err);
    if (!st)
        return err->code;
    int rc = lm_bind_step(st, sqlite3_bind_text(st, 1, lm_store_now(s), -1, SQLITE_TRANSIENT));
    const char *v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    snprintf(out, 32, "%s", v ? v : "");
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return lm_store_fail(s, rc, err, "reading the newest ingest");
    return LM_OK;
}

lm_status lm_store_concept_watch_add(lm_store *s, const char *name, const char *concept_id,
                                     const char *pair_with, const char *relation,
                                     lm_error *err)
{
    if (!lm_store_watch_name_ok(name))
        return lm_error_set(err, LM_ERR_USAGE,
                            "watch name \"%s\": use 1-64 letters, digits, '-', '_' or '.'",
                            name ? name : "");
    if (!valid_id(concept_id) || (pair_with && !valid_id(pair_with)))
        return lm_error_set(err, LM_ERR_USAGE, "watch %s: a concept id is a word such as "
                            "MESH:D003920", name);
    if (relation && strcmp(relation, "induces") && strcmp(relation, "treats") &&
        strcmp(relation, "associated") && strcmp(relation, "cooccurs"))
        return lm_error_set(err, LM_ERR_USAGE, "watch %s: --relation must be induces, treats, "
                            "associated or cooccurs, got \"%s\"", name, relation);
    if (relation && !pair_with)
        return lm_error_set(err, LM_ERR_USAGE, "watch %s: --relation needs --pair-with", name);
    int64_t taken = 0;
    lm_status ls = LM_OK;
    sqlite3_stmt *st = lm_store_stmt(s, SLOT_TAKEN,
                                     "SELECT (SELECT count(*) FROM watches WHERE name = ?1) +"
                                     " (SELECT count(*) FROM concept_watches WHERE name = ?1)",
                                     err);
    if (ls == LM_OK && !st)
        ls = err->code;
    if (ls == LM_OK) {
        int rc = lm_bind_step(st, sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC));
        taken = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW)
            ls = lm_store_fail(s, rc, err, "looking up watch %s", name);
    }
    if (ls != LM_OK)
        return ls;
    if (taken)
        return lm_error_set(err, LM_ERR_USAGE, "a watch named %s exists already", name);
    char newest[32];
    ls = lm_store_newest_ingest(s, newest, err);
    if (ls != LM_OK)
        return ls;
    st = lm_store_stmt(s, SLOT_ADD,
                       "INSERT INTO concept_watches (name, concept_id, pair_with, relation,"
                       " created_at, reported_through) VALUES (?1, ?2, ?3, ?4, ?5, nullif(?6, ''))",
                       err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    lm_bind_text(st, 1, name, &brc);
    lm_bind_text(st, 2, concept_id, &brc);
    lm_bind_text(st, 3, pair_with, &brc);
    lm_bind_text(st, 4, relation, &brc);
    lm_bind_text_copy(st, 5, lm_store_now(s), &brc);
    lm_bind_text(st, 6, newest, &brc);
    int rc = lm_bind_step(st, brc);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return lm_store_fail(s, rc, err, "adding watch %s", name);
    return LM_OK;
}

lm_status lm_store_concept_watch_remove(lm_store *s, const char *name, int *found, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SLOT_REMOVE, "DELETE FROM concept_watches WHERE name = ?1",
                                     err);
    if (!st)
        return err->code;
    int rc = lm_bind_step(st, sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return lm_store_fail(s, rc, err, "removing watch %s", name);
    *found = sqlite3_changes(lm_store_sqlite(s)) > 0;
    return LM_OK;
}

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

lm_status lm_store_concept_watch_each(lm_store *s,
                                      lm_status (*cb)(void *ctx, const lm_concept_watch *w),
                                      void *ctx, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_EACH,
        "SELECT name, concept_id, pair_with, relation, created_at, reported_through,"
        " last_report_at, last_articles, last_pairs FROM concept_watches ORDER BY name",
        err);
    if (!st)
        return err->code;
    int rc;
    lm_status ls = LM_OK;
    while (ls == LM_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        lm_concept_watch w = {col(st, 0), col(st, 1), col(st, 2), col(st, 3), col(st, 4),
                              col(st, 5), col(st, 6), sqlite3_column_int64(st, 7),
                              sqlite3_column_int64(st, 8)};
        ls = cb(ctx, &w);
    }
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "reading concept watches");
    sqlite3_reset(st);
    return ls;
}

lm_status lm_store_concept_watch_mark(lm_store *s, const char *name, const char *through,
                                      int64_t articles, int64_t pairs, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_MARK,
        "UPDATE concept_watches SET reported_through = coalesce(nullif(?2, ''), reported_through),"
        " last_report_at = ?3, last_articles = ?4, last_pairs = ?5 WHERE name = ?1",
        err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    lm_bind_text(st, 1, name, &brc);
    lm_bind_text(st, 2, through, &brc);
    lm_bind_text_copy(st, 3, lm_store_now(s), &brc);
    lm_bind_int64(st, 4, articles, &brc);
    lm_bind_int64(st, 5, pairs, &brc);
    int rc = lm_bind_step(st, brc);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return lm_store_fail(s, rc, err, "recording the report of watch %s", name);
    return LM_OK;
}

/* ?1 concept, ?2 after (NULL: from the start), ?3 through. */
#define WINDOW " (?2 IS NULL OR a.ingested_at > ?2) AND a.ingested_at <= ?3"

static int bind_window(sqlite3_stmt *st, const lm_concept_watch *w, const char *through)
{
    int brc = SQLITE_OK;
    lm_bind_text(st, 1, w->concept_id, &brc);
    lm_bind_text(st, 2, w->reported_through, &brc);
    lm_bind_text(st, 3, through, &brc);
    return brc;
}

#define ARTICLES_SQL                                                                    \
    "SELECT a.pmid, a.title, a.journal, a.year, a.ingested_at, count(*)"                  \
    " FROM mentions m JOIN articles a ON a.pmid = m.pmid"                                 \
    " WHERE m.concept_id = ?1 AND" WINDOW                                                 \
    " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM mentions o WHERE o.pmid = a.pmid"          \
    "      AND o.concept_id = ?4))"                                                       \
    " GROUP BY a.pmid ORDER BY a.pmid"

/* The concept's pairs as a chemical, then as a disease (its pairs with
 * itself in the first half only): each half reads through its concept
 * index, which "chemical = X OR disease = X" stops doing once ANALYZE's
 * statistics make a scan of every pair look cheaper.  Ordered by the
 * result's pmid and score. */
#define PAIRS_HALF(pick)                                                                \
    "SELECT " LM_STORE_PAIR_COLUMNS " FROM pairs p JOIN articles a ON a.pmid = p.pmid"     \
    " WHERE " pick " AND" WINDOW                                                          \
    " AND (?4 IS NULL OR p.chemical_id = ?4 OR p.disease_id = ?4)"                        \
    " AND (?5 IS NULL AND p.relation <> 'cooccurs' OR p.relation = ?5)"
#define PAIRS_SQL                                                                       \
    PAIRS_HALF("p.chemical = (SELECT id FROM names WHERE name = ?1)")                     \
    " UNION ALL "                                                                         \
    PAIRS_HALF("p.disease = (SELECT id FROM names WHERE name = ?1)"                       \
               " AND p.chemical <> p.disease")                                            \
    " ORDER BY 1, 7 DESC"

lm_status lm_store_concept_watch_articles(lm_store *s, const lm_concept_watch *w,
                                          const char *through,
                                          lm_status (*cb)(void *ctx, const lm_concept_hit *h),
                                          void *ctx, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SLOT_ARTICLES, ARTICLES_SQL, err);
    if (!st)
        return err->code;
    int brc = bind_window(st, w, through);
    lm_bind_text(st, 4, w->pair_with, &brc);
    int rc;
    lm_status ls = LM_OK;
    while (ls == LM_OK && (rc = lm_bind_step(st, brc)) == SQLITE_ROW) {
        brc = SQLITE_OK;
        lm_concept_hit h = {sqlite3_column_int64(st, 0), col(st, 1), col(st, 2), col(st, 4),
                            sqlite3_column_int(st, 3), sqlite3_column_int64(st, 5)};
        ls = cb(ctx, &h);
    }
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "reading the articles of watch %s", w->name);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ls;
}

lm_status lm_store_concept_watch_pairs(lm_store *s, const lm_concept_watch *w,
                                       const char *through,
                                       lm_status (*cb)(void *ctx, const lm_pair_row *r),
                                       void *ctx, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SLOT_PAIRS, PAIRS_SQL, err);
    if (!st)
        return err->code;
    int brc = bind_window(st, w, through);
    lm_bind_text(st, 4, w->pair_with, &brc);
    lm_bind_text(st, 5, w->relation, &brc);
    int rc;
    lm_status ls = LM_OK;
    while (ls == LM_OK && (rc = lm_bind_step(st, brc)) == SQLITE_ROW) {
        brc = SQLITE_OK;
        lm_pair_row r;
        lm_store_pair_row(st, 0, &r);
        ls = cb(ctx, &r);
    }
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "reading the pairs of watch %s", w->name);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ls;
}
