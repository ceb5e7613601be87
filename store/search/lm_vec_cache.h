/*
 * lm_vec_cache: the current embedding model and its vector matrix, read
 * from a cache file beside the database and memory-mapped.
 *
 * Every `litmine query` is a new process, and reading the model (100 MB
 * at 100,000 features) and 100,000 vectors of 1 KB out of SQLite takes two
 * seconds there — far more than the search.  The cache file holds both,
 * laid out as the searcher uses them, so a process maps it and starts at
 * once; the page cache shares it between processes.
 *
 * The file is only a copy.  Its header names the model (id, creation time,
 * dimension) and the vectors' generation, a counter that triggers move on
 * every insert, update or delete of a vector of that model (by random
 * steps from a random start, so that another database's file, or one left
 * before a backup was restored, never matches).  When any
 * of these differ, or the file is damaged or missing, the data is read from
 * the store and the file rewritten (a temporary file renamed over it; when
 * the directory is not writable, the process simply does without).
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
    int from_file;            /* 1: mapped from the cache file */
    /* owned: the mapping, or heap copies */
    void *map;
    size_t map_len;
    void *model_heap;
} lm_vec_cache;

/* The cache file of a database: "<database>.vectors" (NULL for an
 * in-memory database).  The caller frees it. */
char *lm_vec_cache_path(lm_store *s);

/* Opens the current model and its vectors; *found = 0 (and nothing to
 * close) when the store has no model, or kind (NULL: any) is not its
 * kind.  path NULL: lm_vec_cache_path.  The file is written only when the
 * call is not inside a transaction of the caller. */
lm_status lm_vec_cache_open(lm_store *s, const char *path, const char *kind, lm_vec_cache *out,
                            int *found, lm_error *err);
/* Releases the model bytes once they are parsed (a heap copy is 100 MB at
 * 100k features; a mapped one costs nothing but is released too). */
void lm_vec_cache_drop_model(lm_vec_cache *c);
void lm_vec_cache_close(lm_vec_cache *c);
/* Rewrites the cache file when the vectors of kind's current model
 * changed, so that the next `litmine query` maps it even if its user
 * cannot write there.  The file is written from the store row by row:
 * memory stays bounded by the model, whatever the number of vectors. */
lm_status lm_vec_cache_refresh(lm_store *s, const char *kind, lm_error *err);

#endif
