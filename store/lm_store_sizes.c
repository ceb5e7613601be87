/*
 * Database sizes (lm_store_sizes.h).  dbstat's aggregate mode sums each
 * b-tree's pages in one pass over the file; the text bytes take one scan
 * of articles.
 */
#include "lm_store_sizes.h"
#include "lm_store_internal.h"
#include "search/lm_vec_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

lm_status lm_store_each_size(lm_store *s, int *exact,
                             lm_status (*cb)(void *ctx, const lm_size_row *r), void *ctx,
                             lm_error *err)
{
    sqlite3_stmt *q;
    *exact = 0;
    int rc = sqlite3_prepare_v2(
        lm_store_sqlite(s),
        "SELECT d.name, coalesce(m.tbl_name, d.name), coalesce(m.type = 'index', 0),"
        " d.pageno, d.pgsize, d.payload, d.unused"
        " FROM dbstat AS d LEFT JOIN sqlite_master AS m ON m.name = d.name"
        " WHERE d.aggregate = 1 ORDER BY d.pgsize DESC, d.name",
        -1, &q, NULL);
    if (rc != SQLITE_OK)
        return LM_OK;   /* no dbstat in this SQLite */
    *exact = 1;
    lm_status st = LM_OK;
    while (st == LM_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        lm_size_row r = {(const char *)sqlite3_column_text(q, 0),
                         (const char *)sqlite3_column_text(q, 1),
                         sqlite3_column_int(q, 2),
                         sqlite3_column_int64(q, 3),
                         sqlite3_column_int64(q, 4),
                         sqlite3_column_int64(q, 5),
                         sqlite3_column_int64(q, 6)};
        st = cb(ctx, &r);
    }
    if (st == LM_OK && rc != SQLITE_DONE)
        st = lm_store_fail(s, rc, err, "measuring tables");
    sqlite3_finalize(q);
    return st;
}

static int64_t file_size(const char *path)
{
    struct stat sb;
    return path && stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

/* The bytes a file takes on disk: the vector file keeps spare slots for
 * the next appends as a hole (store/search/lm_vec_cache.c), which its
 * length counts and its blocks do not. */
static int64_t file_disk_size(const char *path)
{
    struct stat sb;
    if (!path || stat(path, &sb) != 0)
        return 0;
    int64_t used = (int64_t)sb.st_blocks * 512;
    return used < (int64_t)sb.st_size ? used : (int64_t)sb.st_size;
}

static lm_status pragma_int(lm_store *s, const char *sql, int64_t *out, lm_error *err)
{
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(lm_store_sqlite(s), sql, -1, &q, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(q, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_OK || rc == SQLITE_DONE ? LM_OK : lm_store_fail(s, rc, err, "%s", sql);
}

lm_status lm_store_size_totals(lm_store *s, lm_store_totals *out, lm_error *err)
{
    memset(out, 0, sizeof *out);
    lm_status st = pragma_int(s, "PRAGMA page_size", &out->page_size, err);
    if (st == LM_OK)
        st = pragma_int(s, "PRAGMA page_count", &out->pages, err);
    if (st == LM_OK)
        st = pragma_int(s, "PRAGMA freelist_count", &out->free_pages, err);
    if (st == LM_OK)
        st = pragma_int(s, "SELECT count(*) FROM articles", &out->articles, err);
    if (st == LM_OK)
        st = pragma_int(s,
                        "SELECT coalesce(sum(length(CAST(title AS BLOB))"
                        " + length(CAST(abstract AS BLOB))), 0) FROM articles",
                        &out->text_bytes, err);
    if (st != LM_OK)
        return st;
    const char *path = sqlite3_db_filename(lm_store_sqlite(s), "main");
    if (path && path[0]) {
        out->file_bytes = file_size(path);
        size_t n = strlen(path);
        char *wal = malloc(n + sizeof "-wal");
        if (!wal)
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        memcpy(wal, path, n);
        memcpy(wal + n, "-wal", sizeof "-wal");
        out->wal_bytes = file_size(wal);
        free(wal);
    }
    char *vectors = NULL;
    if ((st = lm_vec_cache_path(s, &vectors, err)) != LM_OK)
        return st;
    out->vectors_bytes = file_disk_size(vectors);
    free(vectors);
    size_t row_bytes = 0;
    st = lm_vec_cache_rows(s, &out->vector_rows, &out->vector_stale, &row_bytes, err);
    out->vector_stale_bytes = out->vector_stale * (int64_t)row_bytes;
    return st;
}
