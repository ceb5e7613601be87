/*
 * The embedding-model table as embedders read it (see lm_store_embed.h).
 * Called once per index build: the statement is prepared per call rather
 * than taking a slot in the connection's cache.
 */
#include "lm_store_embed.h"

#include "lm_store_internal.h"

#include <stdlib.h>
#include <string.h>

lm_status lm_store_embed_model_data(lm_store *s, int64_t id, void **data, size_t *len,
                                    lm_error *err)
{
    *data = NULL;
    *len = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(lm_store_sqlite(s), "SELECT data FROM embed_models WHERE id = ?1",
                                -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 1, id);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return lm_store_fail(s, rc, err, "reading embedding model %lld", (long long)id);
    }
    rc = sqlite3_step(st);
    lm_status ls = LM_OK;
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        const void *b = sqlite3_column_blob(st, 0);
        if (n && b) {
            *data = malloc(n);
            if (!*data)
                ls = lm_error_nomem(err, "reading an embedding model");
            else {
                memcpy(*data, b, n);
                *len = n;
            }
        }
    } else if (rc == SQLITE_DONE) {
        ls = lm_error_set(err, LM_ERR_NOTFOUND, "no embedding model %lld", (long long)id);
    } else {
        ls = lm_store_fail(s, rc, err, "reading embedding model %lld", (long long)id);
    }
    sqlite3_finalize(st);
    return ls;
}
