/*
 * Scans over stored articles for re-running NLP stages (`litmine
 * reprocess`).  The scan runs on its own read-only connection while the
 * pipeline's writer updates annotations on another: WAL gives the scan a
 * stable snapshot, so rows it has not reached yet cannot shift under it.
 */
#include "lm_store_internal.h"

enum { SLOT_EACH_SINCE = LM_STORE_SLOT_SCAN, SLOT_COUNT_SINCE };

/* ingested_at is 'YYYY-MM-DDTHH:MM:SSZ': a plain date compares correctly
 * against it as text ('2026-01-05' < '2026-01-05T...'). */
#define SINCE_CLAUSE " WHERE ?1 IS NULL OR ingested_at >= ?1"

lm_status lm_store_each_article_since(lm_store *s, const char *since,
                                      lm_status (*cb)(void *ctx, const lm_article *a),
                                      void *ctx, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_EACH_SINCE,
        "SELECT pmid, version, title, abstract FROM articles" SINCE_CLAUSE " ORDER BY pmid", err);
    if (!st)
        return err->code;
    if (since)
        sqlite3_bind_text(st, 1, since, -1, SQLITE_TRANSIENT);
    int rc;
    lm_status cs = LM_OK;
    while (cs == LM_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* Borrowed column buffers, valid until the next step. */
        const char *title = (const char *)sqlite3_column_text(st, 2);
        const char *abstract = (const char *)sqlite3_column_text(st, 3);
        lm_article a;
        lm_article_init(&a);
        a.pmid = sqlite3_column_int64(st, 0);
        a.version = sqlite3_column_int(st, 1);
        a.title = title && title[0] ? (char *)title : NULL;
        a.abstract = abstract && abstract[0] ? (char *)abstract : NULL;
        cs = cb(ctx, &a);
    }
    if (cs == LM_OK && rc != SQLITE_DONE)
        cs = lm_store_fail(s, rc, err, "reading articles");
    sqlite3_reset(st);
    return cs;
}

lm_status lm_store_count_articles_since(lm_store *s, const char *since, int64_t *n,
                                        lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SLOT_COUNT_SINCE,
                                     "SELECT count(*) FROM articles" SINCE_CLAUSE, err);
    if (!st)
        return err->code;
    if (since)
        sqlite3_bind_text(st, 1, since, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return lm_store_fail(s, rc, err, "counting articles");
    return LM_OK;
}
