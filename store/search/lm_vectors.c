/*
 * lm_vectors: embedding models, vector BLOBs and exact inner-product search.
 *
 * Encodings are written byte by byte in little-endian order so a database
 * moves between hosts.  int8 quantises each vector with its own scale
 * (max |v| / 127): vectors of unit length lose about 0.4% of their norm to
 * rounding, and ranking by inner product is then almost unchanged, at a
 * quarter of the bytes to read when the matrix is loaded.
 *
 * Top-k uses a binary min-heap of the k best so far: the root is the worst
 * kept hit, each score is compared once with it, so a scan of n scores
 * costs n + (hits that enter) * log k.
 */
#include "../../util/lm_le.h"
#include "lm_vectors.h"
#include "../lm_store_internal.h"
#include "lm_vec_cache.h"
#include "lm_vec_cache_impl.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    SL_MODEL_ADD = LM_STORE_SLOT_VECTOR,
    SL_MODEL_READY,
    SL_MODEL_RETIRE,
    SL_MODEL_DELETE,
    SL_MODEL_CURRENT,
    SL_MODEL_LIST,
    SL_VEC_PUT,
    SL_VEC_GET,
    SL_VEC_MISSING,
    SL_VEC_COUNT,
    SL_VEC_LOAD,
    SL_VEC_YEARS,
    SL_VEC_GENERATION,
    SL_MODEL_CURRENT_INFO,
    SL_VEC_DROP_RETIRED
};

/* ---- encodings ---------------------------------------------------------- */

const char *lm_vec_format_name(lm_vec_format f)
{
    switch (f) {
    case LM_VEC_F32: return "f32";
    case LM_VEC_F16: return "f16";
    case LM_VEC_I8: return "i8";
    }
    return "?";
}

int lm_vec_format_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "f32") == 0 || strcmp(name, "float32") == 0)
        return LM_VEC_F32;
    if (strcmp(name, "f16") == 0 || strcmp(name, "float16") == 0)
        return LM_VEC_F16;
    if (strcmp(name, "i8") == 0 || strcmp(name, "int8") == 0)
        return LM_VEC_I8;
    return -1;
}

size_t lm_vec_encoded_size(lm_vec_format f, int dim)
{
    size_t d = dim > 0 ? (size_t)dim : 0;
    switch (f) {
    case LM_VEC_F32: return 4 * d;
    case LM_VEC_F16: return 2 * d;
    case LM_VEC_I8: return 4 + d;
    }
    return 0;
}

/* IEEE half precision, round to nearest even; overflow saturates to inf,
 * tiny values become subnormals or zero. */
static uint16_t f32_to_f16(float f)
{
    uint32_t x = lm_f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u)   /* inf or nan */
        return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0));
    if (ax >= 0x477ff000u)   /* rounds above the largest half */
        return (uint16_t)(sign | 0x7c00u);
    if (ax < 0x38800000u) {  /* below the smallest normal half: subnormal */
        if (ax < 0x33000000u)
            return sign;
        uint32_t mant = (ax & 0x7fffffu) | 0x800000u;
        int shift = 126 - (int)(ax >> 23);   /* 14..24 */
        uint32_t h = mant >> (shift);
        uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((ax >> 13) - (112u << 10));
    uint32_t rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
        h++;
    return (uint16_t)(sign | h);
}

static float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    if (exp == 0) {
        float v = (float)mant * (1.0f / 16777216.0f);   /* mant * 2^-24 */
        return sign ? -v : v;
    }
    if (exp == 31)
        return lm_f32_from_bits(sign | 0x7f800000u | (mant << 13));
    return lm_f32_from_bits(sign | ((exp + 112u) << 23) | (mant << 13));
}

/* q = round(v / scale) with scale = max |v| / 127; returns the scale. */
static float quantize_i8(const float *v, int dim, int8_t *q)
{
    float amax = 0;
    for (int i = 0; i < dim; i++)
        if (fabsf(v[i]) > amax)
            amax = fabsf(v[i]);
    float scale = amax > 0 ? amax / 127.0f : 1.0f;
    for (int i = 0; i < dim; i++) {
        long x = lrintf(v[i] / scale);
        q[i] = (int8_t)(x > 127 ? 127 : x < -127 ? -127 : x);
    }
    return scale;
}

void lm_vec_encode(lm_vec_format f, const float *v, int dim, unsigned char *out)
{
    switch (f) {
    case LM_VEC_F32:
        for (int i = 0; i < dim; i++)
            lm_le32_put(out + 4 * i, lm_f32_bits(v[i]));
        break;
    case LM_VEC_F16:
        for (int i = 0; i < dim; i++) {
            uint16_t h = f32_to_f16(v[i]);
            out[2 * i] = (unsigned char)h;
            out[2 * i + 1] = (unsigned char)(h >> 8);
        }
        break;
    case LM_VEC_I8:
        lm_le32_put(out, lm_f32_bits(quantize_i8(v, dim, (int8_t *)(void *)(out + 4))));
        break;
    }
}

lm_status lm_vec_decode(lm_vec_format f, const unsigned char *blob, size_t len, int dim,
                        float *out, lm_error *err)
{
    if (dim <= 0 || len != lm_vec_encoded_size(f, dim) || (len && !blob))
        return lm_error_set(err, LM_ERR_DB,
                            "vector of %zu bytes does not hold %d %s values", len, dim,
                            lm_vec_format_name(f));
    switch (f) {
    case LM_VEC_F32:
        for (int i = 0; i < dim; i++)
            out[i] = lm_f32_from_bits(lm_le32_get(blob + 4 * i));
        break;
    case LM_VEC_F16:
        for (int i = 0; i < dim; i++)
            out[i] = f16_to_f32((uint16_t)(blob[2 * i] | blob[2 * i + 1] << 8));
        break;
    case LM_VEC_I8: {
        float scale = lm_f32_from_bits(lm_le32_get(blob));
        for (int i = 0; i < dim; i++)
            out[i] = scale * (float)(int8_t)blob[4 + i];
        break;
    }
    }
    return LM_OK;
}

/* ---- models ------------------------------------------------------------- */

static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
    snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

lm_status lm_vec_model_add(lm_store *s, const char *kind, int dim, const void *data,
                           size_t len, int64_t n_docs, double fit_seconds,
                           const char *params, int64_t *id, lm_error *err)
{
    if (!kind || dim <= 0)
        return lm_error_set(err, LM_ERR_USAGE, "embedding model needs a kind and a dimension");
    sqlite3_stmt *st = lm_store_stmt(
        s, SL_MODEL_ADD,
        "INSERT INTO embed_models (kind, dim, state, created_at, n_docs, fit_seconds, params,"
        " data) VALUES (?1, ?2, 'building', ?3, ?4, ?5, ?6, ?7)",
        err);
    if (!st)
        return err ? err->code : LM_ERR_DB;
    int brc = SQLITE_OK;
    lm_bind_text(st, 1, kind, &brc);
    lm_bind_int(st, 2, dim, &brc);
    lm_bind_text_copy(st, 3, lm_store_now(s), &brc);
    lm_bind_int64(st, 4, n_docs, &brc);
    lm_bind_double(st, 5, fit_seconds, &brc);
    if (params)
        lm_bind_text(st, 6, params, &brc);
    if (data)
        lm_bind_blob(st, 7, data, len, &brc);
    int rc = lm_bind_step(st, brc);
    lm_status ls = LM_OK;
    if (rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "storing the %s embedding model", kind);
    else if (id)
        *id = sqlite3_last_insert_rowid(lm_store_sqlite(s));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ls;
}

static lm_status run_id(lm_store *s, int slot, const char *sql, int64_t id, const char *what,
                        lm_error *err)
{
    /* slot < 0: a statement run too rarely to keep prepared */
    sqlite3_stmt *st = NULL;
    if (slot >= 0)
        st = lm_store_stmt(s, slot, sql, err);
    else if (sqlite3_prepare_v2(lm_store_sqlite(s), sql, -1, &st, NULL) != SQLITE_OK)
        return lm_store_fail(s, sqlite3_errcode(lm_store_sqlite(s)), err, "%s", what);
    if (!st)
        return err ? err->code : LM_ERR_DB;
    int brc = SQLITE_OK;
    lm_bind_int64(st, 1, id, &brc);
    int rc = lm_bind_step(st, brc);
    lm_status ls = LM_OK;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        ls = lm_store_fail(s, rc, err, "%s", what);
    if (slot < 0) {
        sqlite3_finalize(st);
        return ls;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ls;
}

lm_status lm_vec_model_activate(lm_store *s, int64_t id, lm_error *err)
{
    return lm_vec_model_activate_with_data(s, id, NULL, 0, err);
}

lm_status lm_vec_model_activate_with_data(lm_store *s, int64_t id, const void *data, size_t len,
                                          lm_error *err)
{
    lm_status ls = run_id(s, SL_MODEL_RETIRE,
                          "UPDATE embed_models SET state = 'retired', data = NULL"
                          " WHERE id <> ?1 AND state = 'ready'",
                          id, "retiring old embedding models", err);
    /* The retired models' files are forgotten first: their rows then go
     * without a mark each in vector_file_gone. */
    if (ls == LM_OK)
        ls = run_id(s, -1,
                    "DELETE FROM vector_files WHERE model_id IN"
                    " (SELECT id FROM embed_models WHERE state = 'retired' AND id <> ?1)",
                    id, "forgetting the vector files of retired models", err);
    if (ls == LM_OK)
        ls = run_id(s, -1,
                    "DELETE FROM vector_file_gone WHERE model_id <> ?1",
                    id, "forgetting the vector files of retired models", err);
    if (ls == LM_OK)
        ls = run_id(s, -1,
                    "DELETE FROM vector_file_chunks WHERE model_id IN"
                    " (SELECT id FROM embed_models WHERE state = 'retired' AND id <> ?1)",
                    id, "forgetting the vector files of retired models", err);
    if (ls == LM_OK)
        ls = run_id(s, SL_VEC_DROP_RETIRED,
                    "DELETE FROM vectors WHERE model_id IN"
                    " (SELECT id FROM embed_models WHERE state = 'retired' AND id <> ?1)",
                    id, "deleting vectors of retired models", err);
    if (ls != LM_OK)
        return ls;
    /* Written after the old model's bytes were freed, in the same
     * transaction: the new ones take their pages. */
    sqlite3_stmt *st = lm_store_stmt(s, SL_MODEL_READY,
                                     "UPDATE embed_models SET state = 'ready',"
                                     " data = coalesce(?2, data) WHERE id = ?1",
                                     err);
    if (!st)
        return err ? err->code : LM_ERR_DB;
    int brc = SQLITE_OK;
    lm_bind_int64(st, 1, id, &brc);
    if (data)
        lm_bind_blob(st, 2, data, len, &brc);
    int rc = lm_bind_step(st, brc);
    if (rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "activating the embedding model");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ls;
}

/* The vector-file rows of models that no longer exist: vector_files
 * goes with its model (ON DELETE CASCADE), its void marks and row
 * checksums have no key to cascade on.  LITMINE_TEST_VEC_FAULT=orphans:
 * this delete fails. */
static lm_status drop_orphan_file_rows(lm_store *s, lm_error *err)
{
    int rc = sqlite3_exec(lm_store_sqlite(s),
                          lm_vc_test_fault("orphans")
                              ? "DELETE FROM no_such_table"
                              : "DELETE FROM vector_file_chunks"
                                " WHERE model_id NOT IN (SELECT id FROM embed_models);"
                                "DELETE FROM vector_file_gone"
                                " WHERE model_id NOT IN (SELECT id FROM embed_models);",
                          NULL, NULL, NULL);
    return rc == SQLITE_OK ? LM_OK
                           : lm_store_fail(s, rc, err, "forgetting a deleted model's vector file");
}

/* Ends the savepoint of a model's delete (drop_models): kept when ls is
 * LM_OK, else undone. */
static lm_status end_model_delete(lm_store *s, lm_status ls, lm_error *err)
{
    sqlite3 *db = lm_store_sqlite(s);
    int rc = ls == LM_OK ? sqlite3_exec(db, "RELEASE vec_model_delete", NULL, NULL, NULL)
                         : SQLITE_ERROR;
    if (rc != SQLITE_OK) {
        if (ls == LM_OK)
            ls = lm_store_fail(s, rc, err, "deleting an embedding model");
        sqlite3_exec(db, "ROLLBACK TO vec_model_delete; RELEASE vec_model_delete", NULL, NULL,
                     NULL);
    }
    return ls;
}

/* Deletes models (model id, or every model being built when id is 0)
 * with their vector files' void marks and row checksums, in one
 * savepoint: embed_models.id is reused once the highest model is gone, so
 * marks left by a cleanup that failed after the delete committed would
 * hide the rows of the next model given that id. */
static lm_status drop_models(lm_store *s, int64_t id, lm_error *err)
{
    int rc = sqlite3_exec(lm_store_sqlite(s), "SAVEPOINT vec_model_delete", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return lm_store_fail(s, rc, err, "deleting an embedding model");
    lm_status ls;
    if (id) {
        ls = run_id(s, SL_MODEL_DELETE, "DELETE FROM embed_models WHERE id = ?1", id,
                    "deleting an embedding model", err);
    } else {
        rc = sqlite3_exec(lm_store_sqlite(s), "DELETE FROM embed_models WHERE state = 'building'",
                          NULL, NULL, NULL);
        ls = rc == SQLITE_OK ? LM_OK
                             : lm_store_fail(s, rc, err, "removing an interrupted model build");
    }
    if (ls == LM_OK)
        ls = drop_orphan_file_rows(s, err);
    return end_model_delete(s, ls, err);
}

lm_status lm_vec_model_delete(lm_store *s, int64_t id, lm_error *err)
{
    return drop_models(s, id, err);
}

lm_status lm_vec_model_drop_unfinished(lm_store *s, lm_error *err)
{
    return drop_models(s, 0, err);
}

static void read_info(sqlite3_stmt *st, lm_vec_model_info *m)
{
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    copy_text(m->kind, sizeof m->kind, sqlite3_column_text(st, 1));
    m->dim = sqlite3_column_int(st, 2);
    copy_text(m->state, sizeof m->state, sqlite3_column_text(st, 3));
    copy_text(m->created_at, sizeof m->created_at, sqlite3_column_text(st, 4));
    m->n_docs = sqlite3_column_int64(st, 5);
    m->fit_seconds = sqlite3_column_double(st, 6);
    m->data_bytes = (size_t)sqlite3_column_int64(st, 7);
}

/* A model whose bytes moved into the vector file keeps their length. */
#define MODEL_COLS \
    "id, kind, dim, state, created_at, n_docs, fit_seconds, coalesce(length(data), data_len)"

static lm_status model_current(lm_store *s, lm_vec_model_info *info, void **data, size_t *len,
                               int *found, int count, lm_error *err);

lm_status lm_vec_model_current(lm_store *s, lm_vec_model_info *info, void **data, size_t *len,
                               int *found, lm_error *err)
{
    return model_current(s, info, data, len, found, 1, err);
}

lm_status lm_vec_model_current_info(lm_store *s, lm_vec_model_info *info, int *found,
                                    lm_error *err)
{
    return model_current(s, info, NULL, NULL, found, 0, err);
}

static lm_status model_current(lm_store *s, lm_vec_model_info *info, void **data, size_t *len,
                               int *found, int count, lm_error *err)
{
    *found = 0;
    if (data)
        *data = NULL;
    if (len)
        *len = 0;
    /* Without data the blob (100 MB at 100k features) is left unread:
     * producing a row reads every column it names, overflow pages too. */
    sqlite3_stmt *st =
        data ? lm_store_stmt(s, SL_MODEL_CURRENT,
                             "SELECT " MODEL_COLS ", data FROM embed_models"
                             " WHERE state = 'ready' ORDER BY id DESC LIMIT 1",
                             err)
             : lm_store_stmt(s, SL_MODEL_CURRENT_INFO,
                             "SELECT " MODEL_COLS " FROM embed_models"
                             " WHERE state = 'ready' ORDER BY id DESC LIMIT 1",
                             err);
    if (!st)
        return err ? err->code : LM_ERR_DB;
    int rc = sqlite3_step(st);
    lm_status ls = LM_OK;
    if (rc == SQLITE_ROW) {
        lm_vec_model_info m;
        read_info(st, &m);
        if (data) {
            const void *b = sqlite3_column_blob(st, 8);
            size_t n = (size_t)sqlite3_column_bytes(st, 8);
            if (n) {
                *data = malloc(n);
                if (!*data)
                    ls = lm_error_set(err, LM_ERR_NOMEM, "loading the embedding model: "
                                      "out of memory");
                else
                    memcpy(*data, b, n);
            }
            if (len && ls == LM_OK)
                *len = n;
        }
        /* Bytes moved into the vector file are read from there. */
        if (data && !*data && m.data_bytes > 0 && ls == LM_OK) {
            sqlite3_reset(st);
            ls = lm_vec_cache_model_copy(s, m.id, data, len, err);
        }
        if (info)
            *info = m;
        *found = ls == LM_OK;
    } else if (rc != SQLITE_DONE) {
        ls = lm_store_fail(s, rc, err, "reading the current embedding model");
    }
    sqlite3_reset(st);
    if (ls == LM_OK && *found && info && count)
        ls = lm_vec_count(s, info->id, &info->n_vectors, err);
    return ls;
}

lm_status lm_vec_model_list(lm_store *s,
                            lm_status (*cb)(void *ctx, const lm_vec_model_info *m), void *ctx,
                            lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SL_MODEL_LIST,
                                     "SELECT " MODEL_COLS ", (SELECT count(*) FROM vectors v"
                                     " WHERE v.model_id = m.id) FROM embed_models m"
                                     " ORDER BY id DESC",
                                     err);
    if (!st)
        return err ? err->code : LM_ERR_DB;
    /* Collected first: the callback may use the store. */
    lm_vec_model_info *v = NULL;
    size_t n = 0, cap = 0;
    int rc;
    lm_status ls = LM_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 8;
            lm_vec_model_info *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                ls = lm_error_set(err, LM_ERR_NOMEM, "listing models: out of memory");
                break;
            }
            v = nv;
            cap = nc;
        }
        read_info(st, &v[n]);
        v[n].n_vectors = sqlite3_column_int64(st, 8);
        n++;
    }
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "listing embedding models");
    sqlite3_reset(st);
    for (size_t i = 0; ls == LM_OK && i < n; i++)
        ls = cb(ctx, &v[i]);
    free(v);
    return ls;
}

/* ---- vectors ------------------------------------------------------------ */

int lm_vec_all_finite(const float *v, int dim)
{
    for (int i = 0; i < dim; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

lm_status lm_vec_put(lm_store *s, int64_t model_id, int64_t pmid, lm_vec_format f,
                     const float *v, int dim, lm_error *err)
{
    if (dim <= 0 || dim > 65536)
        return lm_error_set(err, LM_ERR_USAGE, "vector dimension %d out of range", dim);
    if (!lm_vec_all_finite(v, dim))
        return lm_error_set(err, LM_ERR_FORMAT, "the vector of article %lld has non-finite "
                            "values", (long long)pmid);
    unsigned char stackbuf[4096];
    size_t n = lm_vec_encoded_size(f, dim);
    unsigned char *buf = n <= sizeof stackbuf ? stackbuf : malloc(n);
    if (!buf)
        return lm_error_set(err, LM_ERR_NOMEM, "storing a vector: out of memory");
    lm_vec_encode(f, v, dim, buf);
    sqlite3_stmt *st = lm_store_stmt(s, SL_VEC_PUT,
                                     "INSERT OR REPLACE INTO vectors (model_id, pmid, format, vec)"
                                     " VALUES (?1, ?2, ?3, ?4)",
                                     err);
    lm_status ls = LM_OK;
    if (!st) {
        ls = err ? err->code : LM_ERR_DB;
    } else {
        int brc = SQLITE_OK;
        lm_bind_int64(st, 1, model_id, &brc);
        lm_bind_int64(st, 2, pmid, &brc);
        lm_bind_int(st, 3, (int)f, &brc);
        lm_bind_blob(st, 4, buf, n, &brc);
        int rc = lm_bind_step(st, brc);
        if (rc != SQLITE_DONE)
            ls = lm_store_fail(s, rc, err, "storing the vector of article %lld",
                               (long long)pmid);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    if (buf != stackbuf)
        free(buf);
    return ls;
}

lm_status lm_vec_get(lm_store *s, int64_t model_id, int64_t pmid, float *out, int dim,
                     lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SL_VEC_GET, "SELECT format, vec FROM vectors WHERE model_id = ?1 AND pmid = ?2", err);
    if (!st)
        return err ? err->code : LM_ERR_DB;
    int brc = SQLITE_OK;
    lm_bind_int64(st, 1, model_id, &brc);
    lm_bind_int64(st, 2, pmid, &brc);
    int rc = lm_bind_step(st, brc);
    lm_status ls;
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == 0) {
        sqlite3_reset(st);   /* an empty vec: the vector is in the vector file */
        ls = lm_vec_cache_row(s, model_id, pmid, out, dim, err);
    } else if (rc == SQLITE_ROW)
        ls = lm_vec_decode((lm_vec_format)sqlite3_column_int(st, 0), sqlite3_column_blob(st, 1),
                           (size_t)sqlite3_column_bytes(st, 1), dim, out, err);
    else if (rc == SQLITE_DONE)
        ls = lm_error_set(err, LM_ERR_NOTFOUND, "article %lld has no vector of model %lld",
                          (long long)pmid, (long long)model_id);
    else
        ls = lm_store_fail(s, rc, err, "reading a vector");
    sqlite3_reset(st);
    return ls;
}

lm_status lm_vec_each_missing(lm_store *s, int64_t model_id, int64_t after_pmid, int limit,
                              lm_status (*cb)(void *ctx, int64_t pmid, const char *title,
                                              const char *abstract),
                              void *ctx, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SL_VEC_MISSING,
        "SELECT a.pmid, a.title, a.abstract FROM articles a WHERE a.pmid > ?2 AND NOT EXISTS"
        " (SELECT 1 FROM vectors v WHERE v.model_id = ?1 AND v.pmid = a.pmid)"
        " ORDER BY a.pmid LIMIT ?3",
        err);
    if (!st)
        return err ? err->code : LM_ERR_DB;
    int brc = SQLITE_OK;
    lm_bind_int64(st, 1, model_id, &brc);
    lm_bind_int64(st, 2, after_pmid, &brc);
    lm_bind_int(st, 3, limit > 0 ? limit : -1, &brc);
    int rc;
    lm_status ls = LM_OK;
    while (ls == LM_OK && (rc = lm_bind_step(st, brc)) == SQLITE_ROW)
        ls = cb(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                (const char *)sqlite3_column_text(st, 2));
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "listing articles without vectors");
    sqlite3_reset(st);
    return ls;
}

lm_status lm_vec_count(lm_store *s, int64_t model_id, int64_t *n, lm_error *err)
{
    /* the small index, not the table's 1 KB rows */
    return lm_store_query_int(s, SL_VEC_COUNT,
                              "SELECT count(*) FROM vectors INDEXED BY vectors_pmid"
                              " WHERE model_id = ?1",
                              model_id, n, "counting vectors", err);
}

/* ---- matrix ------------------------------------------------------------- */

void lm_vec_matrix_init(lm_vec_matrix *m)
{
    memset(m, 0, sizeof *m);
}

/* Marks an empty matrix quantized until its first reserve allocates q8. */
static const float quantized_mark;

void lm_vec_matrix_init_quantized(lm_vec_matrix *m)
{
    memset(m, 0, sizeof *m);
    m->scales = (float *)&quantized_mark;
}

static int is_quantized(const lm_vec_matrix *m)
{
    return m->q8 || m->scales;
}

void lm_vec_matrix_free(lm_vec_matrix *m)
{
    free(m->data);
    free(m->q8);
    if (m->scales != &quantized_mark)
        free(m->scales);
    free(m->pmids);
    free(m->years);
    lm_vec_matrix_init(m);
}

static lm_status matrix_reserve(lm_vec_matrix *m, size_t rows, lm_error *err)
{
    if (rows <= m->cap)
        return LM_OK;
    size_t nc = m->cap ? m->cap : 1024;
    while (nc < rows)
        nc *= 2;
    int ok = 1;
    if (is_quantized(m)) {
        int8_t *q = realloc(m->q8, nc * (size_t)m->dim);
        if (q)
            m->q8 = q;
        float *sc = q ? realloc(m->scales == &quantized_mark ? NULL : m->scales,
                                nc * sizeof *sc)
                      : NULL;
        if (sc)
            m->scales = sc;
        ok = sc != NULL;
    } else {
        float *d = realloc(m->data, nc * (size_t)m->dim * sizeof *d);
        if (d)
            m->data = d;
        ok = d != NULL;
    }
    int64_t *p = ok ? realloc(m->pmids, nc * sizeof *p) : NULL;
    if (p)
        m->pmids = p;
    int16_t *y = p ? realloc(m->years, nc * sizeof *y) : NULL;
    if (y)
        m->years = y;
    if (!y)
        return lm_error_set(err, LM_ERR_NOMEM, "vector matrix of %zu rows: out of memory", nc);
    m->cap = nc;
    return LM_OK;
}

lm_status lm_vec_matrix_push(lm_vec_matrix *m, int64_t pmid, int year, const float *v, int dim,
                             lm_error *err)
{
    if (m->n == 0 && m->dim == 0)
        m->dim = dim;
    if (dim != m->dim || dim <= 0)
        return lm_error_set(err, LM_ERR_USAGE, "vector of dimension %d in a matrix of %d", dim,
                            m->dim);
    lm_status ls = matrix_reserve(m, m->n + 1, err);
    if (ls != LM_OK)
        return ls;
    if (is_quantized(m))
        m->scales[m->n] = quantize_i8(v, dim, m->q8 + m->n * (size_t)dim);
    else
        memcpy(m->data + m->n * (size_t)dim, v, (size_t)dim * sizeof *v);
    m->pmids[m->n] = pmid;
    m->years[m->n] = (int16_t)(year > 0 && year < 32768 ? year : 0);
    m->n++;
    return LM_OK;
}

/* Scoring an int8 row: the query is rounded to int16 with |q| <= 2047
 * (an error of 1/4094 of its largest component, a tenth of the rows' own
 * rounding), so a row's score is one integer dot product — widened
 * multiply-adds (pmaddwd) the compiler vectorizes, about 4x the speed of
 * converting every int8 to float.  127 * 2047 * 8192 < 2^31: no overflow
 * up to Q16_MAX_DIM dimensions; larger vectors are scored in float. */
#define Q16_MAX_DIM 8192
#define Q16_LEVELS 2047.0f

static float quantize_query(const float *q, int dim, int16_t *q16)
{
    float amax = 0;
    for (int i = 0; i < dim; i++)
        if (fabsf(q[i]) > amax)
            amax = fabsf(q[i]);
    float qs = amax > 0 && isfinite(amax) ? amax / Q16_LEVELS : 1.0f;
    for (int i = 0; i < dim; i++) {
        long x = isfinite(q[i]) ? lrintf(q[i] / qs) : 0;
        q16[i] = (int16_t)(x > 2047 ? 2047 : x < -2047 ? -2047 : x);
    }
    return qs;
}

static int32_t dot_q8_q16(const int8_t *x, const int16_t *q, int dim)
{
    int32_t s = 0;
    for (int i = 0; i < dim; i++)
        s += (int32_t)q[i] * (int32_t)x[i];
    return s;
}

static float dot_q8_float(const int8_t *x, const float *q, int dim)
{
    float s = 0;
    for (int i = 0; i < dim; i++)
        s += q[i] * (float)x[i];
    return s;
}

float lm_vec_matrix_dot(const lm_vec_matrix *m, size_t row, const float *q)
{
    if (!is_quantized(m))
        return cblas_sdot(m->dim, m->data + row * (size_t)m->dim, 1, q, 1);
    const int8_t *x = m->q8 + row * (size_t)m->dim;
    if (m->dim > Q16_MAX_DIM)
        return m->scales[row] * dot_q8_float(x, q, m->dim);
    /* As lm_vec_search scores it, so both agree to the last bit. */
    int16_t q16[Q16_MAX_DIM];
    float qs = quantize_query(q, m->dim, q16);
    return m->scales[row] * qs * (float)dot_q8_q16(x, q16, m->dim);
}

/* Publication years by PMID, from the covering index articles_year: a
 * join would read every article row, and the year lies after the
 * abstract, usually on an overflow page (~15x slower at 100k articles). */
lm_status lm_vec_matrix_load_years(lm_vec_matrix *m, lm_store *s, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SL_VEC_YEARS,
                                     "SELECT pmid, year FROM articles INDEXED BY articles_year"
                                     " WHERE year IS NOT NULL",
                                     err);
    if (!st)
        return err ? err->code : LM_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long row = lm_vec_matrix_find(m, sqlite3_column_int64(st, 0));
        int year = sqlite3_column_int(st, 1);
        if (row >= 0)
            m->years[row] = (int16_t)(year > 0 && year < 32768 ? year : 0);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? LM_OK : lm_store_fail(s, rc, err, "loading publication years");
}

lm_status lm_vec_generation(lm_store *s, int64_t model_id, int64_t *gen, lm_error *err)
{
    return lm_store_query_int(s, SL_VEC_GENERATION,
                              "SELECT generation FROM vector_generations WHERE model_id = ?1",
                              model_id, gen, "reading the vectors' generation", err);
}

void lm_vec_matrix_axpy(const lm_vec_matrix *m, size_t row, float alpha, float *y)
{
    if (!is_quantized(m)) {
        cblas_saxpy(m->dim, alpha, m->data + row * (size_t)m->dim, 1, y, 1);
        return;
    }
    const int8_t *x = m->q8 + row * (size_t)m->dim;
    float a = alpha * m->scales[row];
    for (int i = 0; i < m->dim; i++)
        y[i] += a * (float)x[i];
}

lm_status lm_vec_each_stored(lm_store *s, int64_t model_id, int dim,
                             lm_status (*cb)(void *ctx, const lm_vec_stored *r), void *ctx,
                             lm_error *err)
{
    float *row = malloc((size_t)(dim > 0 ? dim : 1) * sizeof *row);
    if (!row)
        return lm_error_set(err, LM_ERR_NOMEM, "loading vectors: out of memory");
    sqlite3_stmt *st = lm_store_stmt(s, SL_VEC_LOAD,
                                     "SELECT pmid, format, vec FROM vectors INDEXED BY vectors_full"
                                     " WHERE model_id = ?1 AND length(vec) > 0 ORDER BY pmid",
                                     err);
    if (!st) {
        free(row);
        return err ? err->code : LM_ERR_DB;
    }
    int brc = SQLITE_OK;
    lm_bind_int64(st, 1, model_id, &brc);
    int rc;
    lm_status ls = LM_OK;
    while (ls == LM_OK && (rc = lm_bind_step(st, brc)) == SQLITE_ROW) {
        lm_vec_stored r = {sqlite3_column_int64(st, 0), (lm_vec_format)sqlite3_column_int(st, 1),
                           sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), row,
                           0};
        ls = lm_vec_decode(r.format, r.blob, r.len, dim, row, err);
        if (ls != LM_OK) {
            lm_error_wrap(err, "vector of article %lld", (long long)r.pmid);
            break;
        }
        /* A NaN or infinity would score as one in every search: such a
         * vector (a damaged row) is left out, as if missing. */
        r.finite = lm_vec_all_finite(row, dim);
        ls = cb(ctx, &r);
    }
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "loading vectors");
    sqlite3_reset(st);
    free(row);
    return ls;
}

typedef struct matrix_loader {
    lm_vec_matrix *out;
    int dim;
    int64_t count;
    lm_error *err;
} matrix_loader;

static lm_status load_row(void *ctx, const lm_vec_stored *r)
{
    matrix_loader *l = ctx;
    lm_vec_matrix *out = l->out;
    lm_status ls = LM_OK;
    if (out->n == 0 && out->cap == 0) {
        if (r->format == LM_VEC_I8)
            lm_vec_matrix_init_quantized(out);
        out->dim = l->dim;
        ls = matrix_reserve(out, (size_t)l->count + 1, l->err);
        if (ls != LM_OK)
            return ls;
    }
    if (!r->finite)
        return LM_OK;
    ls = lm_vec_matrix_push(out, r->pmid, 0, r->decoded, l->dim, l->err);
    /* An int8 row is kept as stored, not re-rounded from its decoding. */
    if (ls == LM_OK && r->format == LM_VEC_I8 && out->q8) {
        out->scales[out->n - 1] = lm_f32_from_bits(lm_le32_get(r->blob));
        memcpy(out->q8 + (out->n - 1) * (size_t)l->dim, r->blob + 4, (size_t)l->dim);
    }
    return ls;
}

lm_status lm_vec_matrix_load(lm_store *s, int64_t model_id, int dim, lm_vec_matrix *out,
                             lm_error *err)
{
    lm_vec_matrix_free(out);
    out->dim = dim;
    matrix_loader l = {out, dim, 0, err};
    lm_status ls = lm_vec_count(s, model_id, &l.count, err);
    if (ls == LM_OK)
        ls = lm_vec_each_stored(s, model_id, dim, load_row, &l, err);
    if (ls == LM_OK)
        ls = lm_vec_matrix_load_years(out, s, err);
    if (ls != LM_OK)
        lm_vec_matrix_free(out);
    return ls;
}

long lm_vec_matrix_find(const lm_vec_matrix *m, int64_t pmid)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->pmids[mid] < pmid)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= m->n || m->pmids[lo] != pmid || (m->years && m->years[lo] == LM_VEC_YEAR_DEAD))
        return -1;
    return (long)lo;
}

/* ---- top-k -------------------------------------------------------------- */

/* a is worse than b: lower score, or equal score and later index. */
static int worse(const lm_vec_hit *a, const lm_vec_hit *b)
{
    return a->score < b->score || (a->score == b->score && a->row > b->row);
}

static void sift_down(lm_vec_hit *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && worse(&h[l], &h[w]))
            w = l;
        if (r < n && worse(&h[r], &h[w]))
            w = r;
        if (w == i)
            return;
        lm_vec_hit t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

static void sift_up(lm_vec_hit *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!worse(&h[i], &h[p]))
            return;
        lm_vec_hit t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

/* Heap of the best k seen; pops into best-first order at the end. */
typedef struct topk {
    lm_vec_hit *h;
    size_t n, k;
} topk;

static void topk_offer(topk *t, size_t row, float score)
{
    if (t->k == 0 || !isfinite(score))   /* NaN or infinity never ranks */
        return;
    lm_vec_hit c = {0, score, row};
    if (t->n < t->k) {
        t->h[t->n] = c;
        sift_up(t->h, t->n++);
    } else if (worse(&t->h[0], &c)) {
        t->h[0] = c;
        sift_down(t->h, t->n, 0);
    }
}

static size_t topk_finish(topk *t)
{
    size_t n = t->n;
    /* Heap sort in place: repeatedly move the worst to the end. */
    for (size_t end = n; end > 1; end--) {
        lm_vec_hit tmp = t->h[0];
        t->h[0] = t->h[end - 1];
        t->h[end - 1] = tmp;
        sift_down(t->h, end - 1, 0);
    }
    return n;
}

size_t lm_vec_topk(const float *scores, size_t n, size_t k, lm_vec_hit *out)
{
    topk t = {out, 0, k};
    for (size_t i = 0; i < n; i++)
        topk_offer(&t, i, scores[i]);
    size_t got = topk_finish(&t);
    for (size_t i = 0; i < got; i++)
        out[i].pmid = (int64_t)out[i].row;
    return got;
}

/* ---- the int8 scan, on several cores ----------------------------------
 *
 * At 1M abstracts the scan reads 256 MB and takes ~17 ms on one core, more
 * than half of a query's time; it is bound by memory bandwidth more than
 * by arithmetic, and a second core's loads nearly halve it.  Each thread
 * scores a contiguous range of rows into its own part of scores[], every
 * row exactly as one thread would, so the ranking is the same for any
 * thread count.  Small matrices stay on the calling thread: starting a
 * thread costs more than scanning them. */

#define SCAN_ROWS_PER_THREAD 131072
#define SCAN_MAX_THREADS 4

/* Offers rows [from, to) of scores to t, those of min_year or later when
 * min_year > 0. */
static void offer_rows(topk *t, const lm_vec_matrix *m, const float *scores, size_t from,
                       size_t to, int min_year)
{
    for (size_t i = from; i < to; i++) {
        if (m->n_dead && m->years[i] == LM_VEC_YEAR_DEAD)
            continue;
        if (min_year <= 0 || (m->years && m->years[i] >= min_year))
            topk_offer(t, i, scores[i]);
    }
}

typedef struct scan_part {
    const lm_vec_matrix *m;
    const int16_t *q16;
    float qs;
    size_t from, to;
    int min_year;
    float *scores;
    topk best;                /* this range's best rows */
} scan_part;

static void scan_rows(scan_part *p)
{
    const lm_vec_matrix *m = p->m;
    for (size_t i = p->from; i < p->to; i++)
        p->scores[i] = m->scales[i] * p->qs *
                       (float)dot_q8_q16(m->q8 + i * (size_t)m->dim, p->q16, m->dim);
    offer_rows(&p->best, m, p->scores, p->from, p->to, p->min_year);
}

static void *scan_thread(void *arg)
{
    scan_rows(arg);
    return NULL;
}

/* Scores every row of the int8 matrix m against q and leaves the best k
 * (min_year as lm_vec_search) in *t.  worse() is a total order (score,
 * then row), so the best of each range's best is the best of all. */
static lm_status search_q8(const lm_vec_matrix *m, const float *q, int min_year, float *scores,
                           topk *t, lm_error *err)
{
    int16_t q16[Q16_MAX_DIM];
    float qs = quantize_query(q, m->dim, q16);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t threads = m->n / SCAN_ROWS_PER_THREAD;
    if (threads > (size_t)(cpus > 0 ? cpus : 1))
        threads = (size_t)(cpus > 0 ? cpus : 1);
    if (threads > SCAN_MAX_THREADS)
        threads = SCAN_MAX_THREADS;
    if (threads <= 1) {
        scan_part one = {m, q16, qs, 0, m->n, min_year, scores, *t};
        scan_rows(&one);
        *t = one.best;
        return LM_OK;
    }
    lm_vec_hit *bufs = malloc(threads * t->k * sizeof *bufs);
    if (!bufs)
        return lm_error_set(err, LM_ERR_NOMEM, "vector search: out of memory");
    scan_part parts[SCAN_MAX_THREADS];
    pthread_t tids[SCAN_MAX_THREADS];
    int started[SCAN_MAX_THREADS] = {0};
    size_t per = (m->n + threads - 1) / threads;
    for (size_t i = 0; i < threads; i++) {
        size_t from = i * per < m->n ? i * per : m->n;
        size_t to = from + per < m->n ? from + per : m->n;
        parts[i] = (scan_part){m, q16, qs, from, to, min_year, scores,
                               (topk){bufs + i * t->k, 0, t->k}};
    }
    /* Part 0 runs here; a part whose thread cannot start runs here too. */
    for (size_t i = 1; i < threads; i++)
        started[i] = pthread_create(&tids[i], NULL, scan_thread, &parts[i]) == 0;
    scan_rows(&parts[0]);
    for (size_t i = 1; i < threads; i++) {
        if (started[i])
            pthread_join(tids[i], NULL);
        else
            scan_rows(&parts[i]);
    }
    for (size_t i = 0; i < threads; i++)
        for (size_t j = 0; j < parts[i].best.n; j++)
            topk_offer(t, parts[i].best.h[j].row, parts[i].best.h[j].score);
    free(bufs);
    return LM_OK;
}

lm_status lm_vec_search(const lm_vec_matrix *m, const float *q, size_t k, int min_year,
                        float *scratch, lm_vec_hit *out, size_t *n_out, lm_error *err)
{
    *n_out = 0;
    if (m->n == 0 || k == 0)
        return LM_OK;
    float *scores = scratch ? scratch : malloc(m->n * sizeof *scores);
    if (!scores)
        return lm_error_set(err, LM_ERR_NOMEM, "vector search: out of memory");
    topk t = {out, 0, k};
    lm_status st = LM_OK;
    if (m->data) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (blasint)m->n, m->dim, 1.0f, m->data, m->dim,
                    q, 1, 0.0f, scores, 1);
        offer_rows(&t, m, scores, 0, m->n, min_year);
    } else if (m->dim > Q16_MAX_DIM) {
        for (size_t i = 0; i < m->n; i++)
            scores[i] = m->scales[i] * dot_q8_float(m->q8 + i * (size_t)m->dim, q, m->dim);
        offer_rows(&t, m, scores, 0, m->n, min_year);
    } else {
        st = search_q8(m, q, min_year, scores, &t, err);
    }
    *n_out = st == LM_OK ? topk_finish(&t) : 0;
    for (size_t i = 0; i < *n_out; i++)
        out[i].pmid = m->pmids[out[i].row];
    if (!scratch)
        free(scores);
    return st;
}

/* OpenBLAS (pthreads build): stops the server threads; its exec_blas
 * starts them again on demand. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

void lm_vec_blas_pool_stop(void)
{
    if (blas_thread_shutdown_)
        blas_thread_shutdown_();
}

lm_status lm_vec_search_batch(const lm_vec_matrix *m, const float *q, size_t nq, size_t k,
                              lm_vec_hit *out, size_t *n_out, lm_error *err)
{
    for (size_t i = 0; i < nq; i++)
        n_out[i] = 0;
    if (m->n == 0 || nq == 0 || k == 0)
        return LM_OK;
    /* Blocks of rows keep the score buffer small for large matrices. */
    size_t block = 65536;
    if (block > m->n)
        block = m->n;
    float *scores = malloc(block * nq * sizeof *scores);
    topk *tk = calloc(nq, sizeof *tk);
    /* A quantized matrix is decoded a block at a time for the sgemm. */
    float *decoded = m->data ? NULL : malloc(block * (size_t)m->dim * sizeof *decoded);
    if (!scores || !tk || (!m->data && !decoded)) {
        free(decoded);
        free(scores);
        free(tk);
        return lm_error_set(err, LM_ERR_NOMEM, "batch vector search: out of memory");
    }
    for (size_t i = 0; i < nq; i++)
        tk[i] = (topk){out + i * k, 0, k};
    for (size_t r0 = 0; r0 < m->n; r0 += block) {
        size_t nb = m->n - r0 < block ? m->n - r0 : block;
        const float *rows = m->data ? m->data + r0 * (size_t)m->dim : decoded;
        if (!m->data) {
            for (size_t j = 0; j < nb; j++)
                for (int c = 0; c < m->dim; c++)
                    decoded[j * (size_t)m->dim + (size_t)c] =
                        m->scales[r0 + j] * (float)m->q8[(r0 + j) * (size_t)m->dim + (size_t)c];
        }
        /* scores (nq x nb) = Q (nq x dim) * M_block^T */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)nq, (blasint)nb, m->dim,
                    1.0f, q, m->dim, rows, m->dim, 0.0f, scores, (blasint)nb);
        for (size_t i = 0; i < nq; i++)
            for (size_t j = 0; j < nb; j++)
                if (!m->n_dead || m->years[r0 + j] != LM_VEC_YEAR_DEAD)
                    topk_offer(&tk[i], r0 + j, scores[i * nb + j]);
    }
    for (size_t i = 0; i < nq; i++) {
        n_out[i] = topk_finish(&tk[i]);
        for (size_t j = 0; j < n_out[i]; j++)
            out[i * k + j].pmid = m->pmids[out[i * k + j].row];
    }
    free(decoded);
    free(scores);
    free(tk);
    return LM_OK;
}
