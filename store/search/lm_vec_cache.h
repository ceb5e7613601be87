/*
 * lm_vec_cache: the vector file "<database>.vectors", the one copy of the
 * current embedding model's compacted vectors and of its (large) model
 * bytes, memory-mapped by readers.
 *
 * Every `litmine query` is a new process, and reading the model (100 MB
 * at 100,000 features) and 100,000 vectors out of SQLite takes two
 * seconds there — far more than the search.  The file holds both, laid
 * out as the searcher uses them, so a process maps it and starts at once;
 * the page cache shares it between processes.
 *
 * The database keeps one row per vector: an empty one for a vector in the
 * file, a full one for a vector written since the last compaction, and
 * vector_files names the current file (lm_vec_cache.c explains the
 * crash-safe compaction).  A reader maps the file the database names and
 * applies the few full rows and void marks to its private copy of the
 * mapping (or, for rows not yet appended, merges them into memory); a
 * missing or damaged file is an error naming the recovery, never a
 * smaller index.
 */
#ifndef LM_VEC_CACHE_H
#define LM_VEC_CACHE_H

#include "../lm_store.h"
#include "lm_vectors.h"

#include <stddef.h>

typedef struct lm_vec_cache {
    lm_vec_model_info info;   /* the current model */
    const void *model;        /* its bytes (lm_embed_model_load) */
    size_t model_len;
    lm_vec_matrix mat;        /* its vectors, PMID order, with years */
    int from_file;            /* 1: the vector file is mapped */
    int mat_owned;            /* 1: mat is a heap matrix (full rows merged in);
                               * 0 with a file: the mapping, shadow rows patched
                               * into its private pages (mat.n_dead masked) */
    uint32_t file_version;    /* the mapped file's format (5: rows append in place) */
    uint64_t file_cap;        /* its row slots */
    struct lm_vc_verify *verify;   /* the check of its rows and model, when it runs
                                    * in the background (lm_vec_cache_open_async) */
    /* owned: the mapping, or heap copies */
    void *map;
    size_t map_len;
    void *model_heap;
} lm_vec_cache;

/* The cache file of a database, "<database>.vectors", in *path (the
 * caller frees it); LM_OK with *path NULL for an in-memory database, which
 * has no file.  Out of memory is an error of its own, never a NULL path:
 * that would read as "no vector file". */
lm_status lm_vec_cache_path(lm_store *s, char **path, lm_error *err);

/* Opens the current model and its vectors; *found = 0 (and nothing to
 * close) when the store has no model, or kind (NULL: any) is not its
 * kind.  path NULL: lm_vec_cache_path.  Never writes. */
lm_status lm_vec_cache_open(lm_store *s, const char *path, const char *kind, lm_vec_cache *out,
                            int *found, lm_error *err);
/* lm_vec_cache_open, except that the checksums of the mapped file's rows
 * (one pass over them: ~40 ms at 1M abstracts) are verified on a thread
 * of its own while the caller goes on (parsing the model, running the
 * lexical side of a query); the model's is verified before it returns (a
 * damaged model is this call's error), as the caller parses it at once.
 * Until lm_vec_cache_wait returns LM_OK the matrix may hold damaged
 * bytes: safe to read (every index stays in bounds) but they must not
 * reach a result. */
lm_status lm_vec_cache_open_async(lm_store *s, const char *path, const char *kind,
                                  lm_vec_cache *out, int *found, lm_error *err);
/* Waits for the background check (none: LM_OK at once); a damaged file is
 * lm_vec_cache_open's error, naming `litmine index build`.  Every later
 * call returns the same. */
lm_status lm_vec_cache_wait(lm_vec_cache *c, lm_error *err);
/* Releases the model bytes once they are parsed (a heap copy is 100 MB at
 * 100k features; a mapped one costs nothing but is released too). */
void lm_vec_cache_drop_model(lm_vec_cache *c);
void lm_vec_cache_close(lm_vec_cache *c);
/* Compacts: moves the full rows of kind's current model (and its large
 * model bytes) into a new vector file, when any are waiting; does
 * nothing inside a caller's transaction or on a read-only store.  Memory
 * stays bounded by the model, whatever the number of vectors. */
lm_status lm_vec_cache_refresh(lm_store *s, const char *kind, lm_error *err);

/* Compacts model_id, current or still being built (`index build`
 * compacts as it embeds, so the pages the moved rows free are reused by
 * the next batches instead of being left free in the file). */
lm_status lm_vec_cache_compact_model(lm_store *s, int64_t model_id, lm_error *err);

/* Makes model_id current (lm_vec_model_activate_with_data) in the commit
 * of a compaction that writes its bytes (data, len) into the vector file,
 * so they are never written into the database and freed again; small
 * models, and a store without a file, keep them in the row. */
typedef struct lm_vec_activation {
    const void *data;
    size_t len;
} lm_vec_activation;
lm_status lm_vec_cache_activate(lm_store *s, int64_t model_id, const void *data, size_t len,
                                lm_error *err);

/* Checks that the current model's vector file is the one the database
 * names, undamaged, and that every vector the database lists can be read
 * (`litmine index check`). */
lm_status lm_vec_cache_check(lm_store *s, lm_error *err);

/* The current vector file's rows and how many of them are stale (a
 * revision or deletion since it was written shadows them until the
 * refresh rewrites it), with the bytes a row takes; all 0 without a
 * file. */
lm_status lm_vec_cache_rows(lm_store *s, int64_t *rows, int64_t *stale, size_t *row_bytes,
                            lm_error *err);

/* A copy of model id's bytes from its vector file (the caller frees). */
lm_status lm_vec_cache_model_copy(lm_store *s, int64_t model_id, void **data, size_t *len,
                                  lm_error *err);
/* The vector of pmid in model id's vector file. */
lm_status lm_vec_cache_row(lm_store *s, int64_t model_id, int64_t pmid, float *out, int dim,
                           lm_error *err);

#endif
