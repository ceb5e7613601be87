/*
 * Saved searches ("watches") for nightly E-utilities runs.
 *
 * The only state a watch carries between runs is done_through, the last
 * day whose window is completely stored.  The fetch job updates it through
 * the pipeline writer in the same transaction as the articles of the batch
 * that completed the window, so the marker can never run ahead of the data.
 */
#include "lm_store_internal.h"

#include <string.h>

enum {
    SLOT_ADD = LM_STORE_SLOT_WATCH,
    SLOT_REMOVE,
    SLOT_EACH,
    SLOT_SET_DONE,
    SLOT_RECORD_RUN
};

static int valid_date(const char *d)
{
    /* YYYY/MM/DD */
    if (!d || strlen(d) != 10 || d[4] != '/' || d[7] != '/')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return 0;
    int month = (d[5] - '0') * 10 + (d[6] - '0'), day = (d[8] - '0') * 10 + (d[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

int lm_store_watch_name_ok(const char *n)
{
    if (!n || !*n || strlen(n) > 64)
        return 0;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
              *n == '-' || *n == '_' || *n == '.'))
            return 0;
    return 1;
}

static const char *text_or_null(sqlite3_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st, col);
}

lm_status lm_store_watch_add(lm_store *s, const char *name, const char *query,
                             const char *datetype, const char *since, lm_error *err)
{
    if (!lm_store_watch_name_ok(name))
        return lm_error_set(err, LM_ERR_USAGE,
                            "watch name \"%s\": use 1-64 letters, digits, '-', '_' or '.'",
                            name ? name : "");
    if (!query || !*query)
        return lm_error_set(err, LM_ERR_USAGE, "watch %s: empty query", name);
    if (!datetype)
        datetype = "edat";
    if (strcmp(datetype, "edat") && strcmp(datetype, "pdat") && strcmp(datetype, "mdat"))
        return lm_error_set(err, LM_ERR_USAGE, "watch %s: datetype must be edat, pdat or mdat",
                            name);
    if (since && !valid_date(since))
        return lm_error_set(err, LM_ERR_USAGE, "watch %s: --since must be YYYY/MM/DD, got \"%s\"",
                            name, since);
    if (lm_store_is_readonly(s))
        return lm_error_set(err, LM_ERR_USAGE, "database was opened read-only");
    sqlite3_stmt *st = lm_store_stmt(s, SLOT_ADD,
                                     "INSERT INTO watches (name, query, datetype, since, created_at)"
                                     " VALUES (?1, ?2, ?3, ?4, ?5)",
                                     err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    lm_bind_text_copy(st, 1, name, &brc);
    lm_bind_text_copy(st, 2, query, &brc);
    lm_bind_text_copy(st, 3, datetype, &brc);
    if (since)
        lm_bind_text_copy(st, 4, since, &brc);
    lm_bind_text_copy(st, 5, lm_store_now(s), &brc);
    int rc = lm_bind_step(st, brc);
    sqlite3_reset(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return lm_error_set(err, LM_ERR_USAGE, "a watch named %s exists already", name);
    if (rc != SQLITE_DONE)
        return lm_store_fail(s, rc, err, "adding watch %s", name);
    return LM_OK;
}

lm_status lm_store_watch_remove(lm_store *s, const char *name, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SLOT_REMOVE, "DELETE FROM watches WHERE name = ?1", err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    lm_bind_text_copy(st, 1, name, &brc);
    int rc = lm_bind_step(st, brc);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return lm_store_fail(s, rc, err, "removing watch %s", name);
    if (sqlite3_changes(lm_store_sqlite(s)) == 0)
        return lm_error_set(err, LM_ERR_NOTFOUND, "no watch named %s", name);
    return LM_OK;
}

lm_status lm_store_watch_each(lm_store *s, lm_status (*cb)(void *ctx, const lm_watch *w),
                              void *ctx, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_EACH,
        "SELECT name, query, datetype, since, done_through, created_at, last_run_at,"
        " last_status, last_count, last_error FROM watches ORDER BY name",
        err);
    if (!st)
        return err->code;
    int rc;
    lm_status cs = LM_OK;
    while (cs == LM_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        lm_watch w = {text_or_null(st, 0), text_or_null(st, 1), text_or_null(st, 2),
                      text_or_null(st, 3), text_or_null(st, 4), text_or_null(st, 5),
                      text_or_null(st, 6), text_or_null(st, 7), sqlite3_column_int64(st, 8),
                      text_or_null(st, 9)};
        cs = cb(ctx, &w);
    }
    if (cs == LM_OK && rc != SQLITE_DONE)
        cs = lm_store_fail(s, rc, err, "listing watches");
    sqlite3_reset(st);
    return cs;
}

lm_status lm_store_watch_set_done(lm_store *s, const char *name, const char *done_through,
                                  lm_error *err)
{
    if (!valid_date(done_through))
        return lm_error_set(err, LM_ERR_USAGE, "watch %s: invalid date \"%s\"", name,
                            done_through ? done_through : "");
    /* Dates in YYYY/MM/DD compare correctly as text. */
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_SET_DONE,
        "UPDATE watches SET done_through = ?2 WHERE name = ?1"
        " AND (done_through IS NULL OR done_through < ?2)",
        err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    lm_bind_text_copy(st, 1, name, &brc);
    lm_bind_text_copy(st, 2, done_through, &brc);
    int rc = lm_bind_step(st, brc);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return lm_store_fail(s, rc, err, "updating watch %s", name);
    return LM_OK;
}

lm_status lm_store_watch_record_run(lm_store *s, const char *name, const char *status,
                                    int64_t count, const char *error_text, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_RECORD_RUN,
        "UPDATE watches SET last_run_at = ?2, last_status = ?3, last_count = ?4,"
        " last_error = ?5 WHERE name = ?1",
        err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    lm_bind_text_copy(st, 1, name, &brc);
    lm_bind_text_copy(st, 2, lm_store_now(s), &brc);
    lm_bind_text_copy(st, 3, status, &brc);
    lm_bind_int64(st, 4, count, &brc);
    if (error_text)
        lm_bind_text_copy(st, 5, error_text, &brc);
    int rc = lm_bind_step(st, brc);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return lm_store_fail(s, rc, err, "updating watch %s", name);
    return LM_OK;
}
