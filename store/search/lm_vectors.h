/*
 * lm_vectors: embedding models and document vectors in the store, and
 * brute-force inner-product search over them.
 *
 * The store keeps every embedding model it has fitted in embed_models (id,
 * kind, dim, state, the model bytes) and one vector per (model, article) in
 * vectors, as a BLOB in one of three encodings: float32, float16, or int8
 * with a per-vector float32 scale.  Nothing here knows what made a vector:
 * any dimension from any embedder is stored and searched the same way, so
 * a transformer encoder can plug in later beside the built-in LSA model.
 *
 * Search loads all vectors of one model once per process into a contiguous
 * row-major float32 matrix (lm_vec_matrix) and scores a query with one
 * OpenBLAS sgemv (many queries: one sgemm), keeping the best k with a
 * min-heap.  At 256 dimensions a million vectors is a 1 GiB matrix and one
 * scan; that is fast enough on one core for the sizes litmine targets, and
 * exact, so no approximate index needs tuning or rebuilding.
 */
#ifndef LM_VECTORS_H
#define LM_VECTORS_H

#include "../lm_store.h"

#include <stddef.h>
#include <stdint.h>

/* ---- encodings ---------------------------------------------------------- */

typedef enum lm_vec_format {
    LM_VEC_F32 = 0,
    LM_VEC_F16 = 1,
    LM_VEC_I8 = 2    /* float32 scale, then dim int8 values: v[i] = scale * q[i] */
} lm_vec_format;

/* What the store writes unless told otherwise: int8 loses 0.00x nDCG@10 on
 * SciFact dev against float32 at a quarter of the bytes (docs/search.md). */
#define LM_VEC_DEFAULT LM_VEC_I8

/* "f32", "f16", "i8"; parse returns -1 for anything else. */
const char *lm_vec_format_name(lm_vec_format f);
int lm_vec_format_parse(const char *name);

/* Bytes of an encoded vector. */
size_t lm_vec_encoded_size(lm_vec_format f, int dim);
/* Encodes v[0..dim) into out (lm_vec_encoded_size bytes), little-endian
 * whatever the host. */
void lm_vec_encode(lm_vec_format f, const float *v, int dim, unsigned char *out);
/* Decodes; LM_ERR_DB (a damaged database) when len does not match dim. */
lm_status lm_vec_decode(lm_vec_format f, const unsigned char *blob, size_t len, int dim,
                        float *out, lm_error *err);

/* ---- models ------------------------------------------------------------- */

typedef struct lm_vec_model_info {
    int64_t id;
    char kind[32];          /* e.g. "lsa" */
    int dim;
    char state[16];         /* "building", "ready", "retired" */
    char created_at[32];
    int64_t n_docs;         /* articles the model was fitted on */
    double fit_seconds;
    int64_t n_vectors;      /* vectors stored for it (filled by _list/_get) */
    size_t data_bytes;
} lm_vec_model_info;

/* Adds a model in state 'building'; *id receives its id. */
lm_status lm_vec_model_add(lm_store *s, const char *kind, int dim, const void *data,
                           size_t len, int64_t n_docs, double fit_seconds,
                           const char *params, int64_t *id, lm_error *err);
/* Marks id 'ready' and every older ready model 'retired' (their vectors
 * are deleted: the current model is the only one queries use). */
lm_status lm_vec_model_activate(lm_store *s, int64_t id, lm_error *err);
/* The same, storing the model's bytes (data, len) as it becomes current:
 * a model added without them (data NULL) while its vectors are written
 * is never rewritten.  SQLite rewrites a whole row when one of its
 * columns changes size, so flipping the state of a row holding the 100 MB
 * LSA model used to leave its old copy behind as free pages. */
lm_status lm_vec_model_activate_with_data(lm_store *s, int64_t id, const void *data, size_t len,
                                          lm_error *err);
/* Deletes a model and its vectors. */
lm_status lm_vec_model_delete(lm_store *s, int64_t id, lm_error *err);
/* Deletes the models left 'building' (with their vectors) by a build
 * that was killed: the next build starts from a clean slate. */
lm_status lm_vec_model_drop_unfinished(lm_store *s, lm_error *err);
/* The newest 'ready' model: *found = 0 when there is none.  data/len (may
 * be NULL) receive a heap copy of the model bytes the caller frees. */
lm_status lm_vec_model_current(lm_store *s, lm_vec_model_info *info, void **data,
                               size_t *len, int *found, lm_error *err);
/* The newest 'ready' model's row without its bytes and without counting
 * its vectors (n_vectors 0): what a process starting a search needs, in
 * constant time whatever the number of vectors. */
lm_status lm_vec_model_current_info(lm_store *s, lm_vec_model_info *info, int *found,
                                    lm_error *err);
/* Every model, newest first. */
lm_status lm_vec_model_list(lm_store *s,
                            lm_status (*cb)(void *ctx, const lm_vec_model_info *m),
                            void *ctx, lm_error *err);

/* ---- vectors ------------------------------------------------------------ */

/* 1 when every component of v[0..dim) is finite (no NaN, no infinity). */
int lm_vec_all_finite(const float *v, int dim);

/* Stores (replacing) the vector of pmid made by model_id; a vector with a
 * non-finite value is refused (LM_ERR_FORMAT): it would score NaN. */
lm_status lm_vec_put(lm_store *s, int64_t model_id, int64_t pmid, lm_vec_format f,
                     const float *v, int dim, lm_error *err);
/* Reads it back decoded; LM_ERR_NOTFOUND when absent. */
lm_status lm_vec_get(lm_store *s, int64_t model_id, int64_t pmid, float *out, int dim,
                     lm_error *err);
/* Up to limit articles with PMID > after_pmid and no vector of model_id
 * yet, in PMID order (limit <= 0: all); the strings are borrowed for the
 * call.  The callback must not use the store: collect a batch, write it,
 * then ask for the next one after its last PMID. */
lm_status lm_vec_each_missing(lm_store *s, int64_t model_id, int64_t after_pmid, int limit,
                              lm_status (*cb)(void *ctx, int64_t pmid, const char *title,
                                              const char *abstract),
                              void *ctx, lm_error *err);
lm_status lm_vec_count(lm_store *s, int64_t model_id, int64_t *n, lm_error *err);
/* A number that changes whenever a vector of model_id is inserted,
 * updated or deleted (0 before its first vector). */
lm_status lm_vec_generation(lm_store *s, int64_t model_id, int64_t *gen, lm_error *err);

/* ---- the in-memory matrix and search -------------------------------------- */

/* A matrix holds float32 rows (data) or, quantized, int8 rows with one
 * scale each (q8, scales; data NULL): row r is scales[r] * q8[r * dim ..].
 * int8 is a quarter of the memory and of the bytes a scan reads, and ranks
 * like float32 (docs/search.md has the measured nDCG). */
typedef struct lm_vec_matrix {
    int dim;
    size_t n;          /* rows */
    size_t cap;
    float *data;       /* n x dim, row-major; NULL when quantized */
    int8_t *q8;        /* n x dim, row-major, when quantized */
    float *scales;     /* n, when quantized */
    int64_t *pmids;    /* row -> pmid, ascending when loaded from the store */
    int16_t *years;    /* row -> publication year (0 unknown), when loaded */
    size_t n_dead;     /* rows whose year is LM_VEC_YEAR_DEAD: masked */
} lm_vec_matrix;

/* The year of a masked row: a row of the mapped vector file whose article
 * was deleted since the file was written (lm_vec_cache.c).  Searches skip
 * it and lm_vec_matrix_find does not see it, so a masked row ranks as if
 * the file had been rewritten without it; the live rows are n - n_dead. */
#define LM_VEC_YEAR_DEAD INT16_MIN

/* One stored vector of a model, as lm_vec_each_stored reads it: the
 * stored bytes, their float decoding, and whether every component is
 * finite (a damaged row is left out of every matrix). */
typedef struct lm_vec_stored {
    int64_t pmid;
    lm_vec_format format;
    const unsigned char *blob;
    size_t len;
    const float *decoded;   /* dim floats */
    int finite;
} lm_vec_stored;

/* Calls cb for each stored vector of model_id in PMID order, one row in
 * memory at a time (the vector file is written this way, whatever the
 * corpus size). */
lm_status lm_vec_each_stored(lm_store *s, int64_t model_id, int dim,
                             lm_status (*cb)(void *ctx, const lm_vec_stored *r), void *ctx,
                             lm_error *err);
/* Fills m's years from the articles' publication years (by PMID). */
lm_status lm_vec_matrix_load_years(lm_vec_matrix *m, lm_store *s, lm_error *err);
void lm_vec_matrix_init(lm_vec_matrix *m);
/* An empty matrix that quantizes the rows pushed into it to int8. */
void lm_vec_matrix_init_quantized(lm_vec_matrix *m);
void lm_vec_matrix_free(lm_vec_matrix *m);
/* Appends one row (years may be 0), quantized when the matrix is. */
lm_status lm_vec_matrix_push(lm_vec_matrix *m, int64_t pmid, int year, const float *v,
                             int dim, lm_error *err);
/* The inner product of row with q (dim floats). */
float lm_vec_matrix_dot(const lm_vec_matrix *m, size_t row, const float *q);
/* y += alpha * row (dim floats). */
void lm_vec_matrix_axpy(const lm_vec_matrix *m, size_t row, float alpha, float *y);
/* Loads every vector of model_id (with the article's year); a stored
 * vector with a non-finite value is left out.  The matrix is quantized
 * when the model's first stored vector is int8 (the default format), and
 * float32 otherwise. */
lm_status lm_vec_matrix_load(lm_store *s, int64_t model_id, int dim, lm_vec_matrix *out,
                             lm_error *err);
/* Row index of pmid (binary search; rows must be in PMID order), or -1
 * (also for a masked row). */
long lm_vec_matrix_find(const lm_vec_matrix *m, int64_t pmid);

typedef struct lm_vec_hit {
    int64_t pmid;
    float score;
    size_t row;
} lm_vec_hit;

/* The k rows with the largest inner product with q (dim floats), best
 * first; *n_out = min(k, rows).  min_year > 0 keeps rows whose year is at
 * least min_year.  scratch (may be NULL) is m->n floats reused between
 * calls to avoid an allocation per query. */
lm_status lm_vec_search(const lm_vec_matrix *m, const float *q, size_t k, int min_year,
                        float *scratch, lm_vec_hit *out, size_t *n_out, lm_error *err);
/* nq queries at once (nq x dim, row-major) with one sgemm: out is nq x k,
 * n_out[i] the hits of query i.  For evaluation and batch jobs. */
lm_status lm_vec_search_batch(const lm_vec_matrix *m, const float *q, size_t nq, size_t k,
                              lm_vec_hit *out, size_t *n_out, lm_error *err);

/* Stops OpenBLAS's thread pool, for a process that answers one query.
 * The pool's threads start with the library (before main) and spin in
 * sched_yield for 2^28 cycles (~0.1 s) before they sleep, whether or not
 * a BLAS call ever comes: a `litmine query` lives about that long, and
 * its own scan threads and the vector file's check want those cycles.
 * Its BLAS calls on one vector are level-1 (never threaded); an int8
 * file is scanned by our own code, but an f32 file's scan is one
 * cblas_sgemv over the whole matrix, which OpenBLAS runs threaded: the
 * pool then starts again for it (as after a fork), so only the idle spin
 * before that call is saved and the answers do not change.  The hook is
 * OpenBLAS's blas_thread_shutdown_, exported but not declared in its
 * headers: looked up weakly, a BLAS without it makes this a no-op. */
void lm_vec_blas_pool_stop(void);

/* The k largest of scores[0..n) as (index, score), best first; ties by
 * lower index.  The heap used by the searches; exposed for tests. */
size_t lm_vec_topk(const float *scores, size_t n, size_t k, lm_vec_hit *out);

#endif
