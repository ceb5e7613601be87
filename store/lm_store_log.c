/*
 * Ingest-log queries beyond the core ones in lm_store.c.
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
    sqlite3_bind_text(st, 1, source_name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return lm_store_fail(s, rc, err, "reading the ingest log");
    *found = rc == SQLITE_ROW;
    return LM_OK;
}
