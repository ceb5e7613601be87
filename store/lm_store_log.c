/*
 * Ingest-log queries beyond the core ones in lm_store.c, and the record
 * of which stage models wrote the annotations.
 */
#include "lm_store_internal.h"

enum { SLOT_DONE = LM_STORE_SLOT_LOG };

lm_status lm_store_ingest_done(lm_store *s, const char *source_name, int *found,
                               lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_DONE, "SELECT 1 FROM ingest_log WHERE source = ?1 AND status = 'done' LIMIT 1",
        err);
    if (!st)
        return err->code;
    int rc = SQLITE_OK;
    lm_bind_text_copy(st, 1, source_name, &rc);
    rc = lm_bind_step(st, rc);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return lm_store_fail(s, rc, err, "reading the ingest log");
    *found = rc == SQLITE_ROW;
    return LM_OK;
}

enum { SLOT_TOTALS = LM_STORE_SLOT_LOG + 1, SLOT_LAST_ID };

lm_status lm_store_ingest_last_id(lm_store *s, int64_t *id, lm_error *err)
{
    sqlite3_stmt *st =
        lm_store_stmt(s, SLOT_LAST_ID, "SELECT coalesce(max(id), 0) FROM ingest_log", err);
    if (!st)
        return err->code;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return lm_store_fail(s, rc, err, "reading the ingest log");
    return LM_OK;
}

lm_status lm_store_ingest_totals_after(lm_store *s, int64_t after_id, lm_ingest_counts *out,
                                       int64_t *runs, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_TOTALS,
        "SELECT count(*), total(articles), total(inserted), total(replaced), total(unchanged),"
        " total(older), total(deleted), total(failed), total(rejected) FROM ingest_log"
        " WHERE id > ?1",
        err);
    if (!st)
        return err->code;
    int rc = lm_bind_step(st, sqlite3_bind_int64(st, 1, after_id));
    if (rc == SQLITE_ROW) {
        *runs = sqlite3_column_int64(st, 0);
        out->articles = sqlite3_column_int64(st, 1);
        out->inserted = sqlite3_column_int64(st, 2);
        out->replaced = sqlite3_column_int64(st, 3);
        out->unchanged = sqlite3_column_int64(st, 4);
        out->older = sqlite3_column_int64(st, 5);
        out->deleted = sqlite3_column_int64(st, 6);
        out->failed = sqlite3_column_int64(st, 7);
        out->rejected = sqlite3_column_int64(st, 8);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return lm_store_fail(s, rc, err, "reading the ingest log");
    return LM_OK;
}

lm_status lm_store_maintain(lm_store *s, lm_error *err)
{
    int rc = sqlite3_exec(lm_store_sqlite(s), "PRAGMA optimize", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return lm_store_fail(s, rc, err, "optimizing the database");
    rc = sqlite3_wal_checkpoint_v2(lm_store_sqlite(s), NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
                                   NULL);
    /* Busy means a reader holds the log; the next run will checkpoint. */
    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
        return lm_store_fail(s, rc, err, "checkpointing the write-ahead log");
    return LM_OK;
}

enum { SLOT_STAGE_MODEL = LM_STORE_SLOT_LOG + 3 };

lm_status lm_store_note_stage_model(lm_store *s, const char *stage, const char *model,
                                    lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_STAGE_MODEL,
        "INSERT OR IGNORE INTO stage_models (stage, model, first_used) VALUES (?1, ?2, ?3)", err);
    if (!st)
        return err->code;
    int rc = SQLITE_OK;
    lm_bind_text(st, 1, stage, &rc);
    lm_bind_text(st, 2, model, &rc);
    lm_bind_text(st, 3, lm_store_now(s), &rc);
    rc = lm_bind_step(st, rc);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return lm_store_fail(s, rc, err, "recording the %s stage's model", stage);
    return LM_OK;
}
