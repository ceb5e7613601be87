/*
 * lm_store_sizes: where a database's bytes go (`litmine stats --sizes`).
 *
 * Per table and index from SQLite's dbstat virtual table (Debian builds
 * SQLite with SQLITE_ENABLE_DBSTAT_VTAB): bytes of the pages each b-tree
 * holds, of which payload (the rows' bytes) and unused space.  A SQLite
 * without dbstat gives only the whole file's page counts.  The totals add
 * the files beside the database (the write-ahead log and the vector file
 * "<database>.vectors") and the bytes of the text itself (titles and
 * abstracts, UTF-8), so that what an abstract costs beyond its text can be
 * told.
 */
#ifndef LM_STORE_SIZES_H
#define LM_STORE_SIZES_H

#include "lm_store.h"

typedef struct lm_size_row {
    const char *name;    /* table or index */
    const char *table;   /* the table it belongs to */
    int is_index;
    int64_t pages;
    int64_t bytes;       /* pages * page size */
    int64_t payload;     /* bytes of the records stored */
    int64_t unused;      /* bytes of the pages that hold nothing */
} lm_size_row;

/* Every table and index, largest first; *exact = 0 (and no callback) when
 * this SQLite has no dbstat. */
lm_status lm_store_each_size(lm_store *s, int *exact,
                             lm_status (*cb)(void *ctx, const lm_size_row *r), void *ctx,
                             lm_error *err);

typedef struct lm_store_totals {
    int64_t page_size;
    int64_t pages;
    int64_t free_pages;
    int64_t file_bytes;      /* the database file */
    int64_t wal_bytes;       /* <database>-wal, 0 when absent */
    int64_t vectors_bytes;   /* <database>.vectors on disk (not its hole), 0 when absent */
    int64_t vector_rows;     /* its rows, and of them the stale ones (shadowed by the */
    int64_t vector_stale;    /* database's newer rows and void marks until a rewrite) */
    int64_t vector_stale_bytes;
    int64_t articles;
    int64_t text_bytes;      /* UTF-8 bytes of every title and abstract */
} lm_store_totals;

lm_status lm_store_size_totals(lm_store *s, lm_store_totals *out, lm_error *err);

#endif
