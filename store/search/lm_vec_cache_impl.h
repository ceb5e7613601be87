/*
 * What the files of the vector file share (not for use outside
 * store/search/): lm_vec_cache.c holds the file's format, its mapping and
 * the readers' merge of the rows written since; lm_vec_compact.c writes
 * files (rewrites and in-place appends) and commits them; lm_vec_verify.c
 * checks a mapped file's rows and model.  The format, the
 * crash states and the rules both must agree on are described at the top
 * of lm_vec_cache.c.
 */
#ifndef LM_VEC_CACHE_IMPL_H
#define LM_VEC_CACHE_IMPL_H

#include "../lm_store_internal.h"
#include "lm_vec_cache.h"

#include <stddef.h>
#include <stdint.h>

#define MAGIC "LMVECCH1"
/* 2: payload checksum; 3: int8 vectors; 4: the one copy; 5: slots for
 * appended rows (cap), the model's own checksum instead of the payload's */
#define FORMAT_VERSION 5u
#define FORMAT_VERSION_V4 4u
/* Models at least this large move into the file (an LSA model: ~100 MB). */
#define MODEL_IN_FILE_MIN ((size_t)65536)
#define BYTE_ORDER_MARK 0x01020304u
#define HEADER_BYTES 256
/* A rewritten file has room for this many times its rows (at least
 * MIN_SPARE more): the slots past the rows are a hole in the file (no
 * disk used) that the next ingests append into. */
#define CAP_FACTOR 2
#define MIN_SPARE ((uint64_t)4096)
/* A refresh leaves revised and deleted articles' file rows in place,
 * shadowed (a full row or a void mark in the database; readers patch
 * their copy of the mapping), until they are this percentage of the
 * file's rows: then it rewrites the file.  PubMed's nightly files are
 * mostly revisions, so rewriting on each would cost the whole file
 * (~10 GB at 36M abstracts) a night; at 10% a file is rewritten about
 * every 10% of the corpus revised, and a reader's patches stay small. */
#define STALE_REWRITE_PERCENT 10
/* ... and at most this many rows, whatever the file's size: every query
 * process reads the shadow rows from SQLite and patches them into its
 * copy of the mapping at open, ~5 us a row (measured at 100k abstracts:
 * +0.035 s CPU for 8,000 rows, +0.014 s for 2,000; bench/README.md), so
 * 10% of 1M rows would add ~0.5 s to a CLI query's start (target
 * < 150 ms) and 10% of 36M far more.  2048 rows keep it near 10 ms; the
 * price is a rewrite about every 2048 revisions and deletions once the
 * file passes ~20,000 rows (at PubMed's scale, about every night) until
 * the shadow rows live in the file itself, where readers map them. */
#define SHADOW_ROWS_MAX ((uint64_t)2048)

typedef struct file_header {
    char magic[8];
    uint32_t version, byte_order, sizes;   /* sizes: float, int64, int16 */
    uint32_t dim;
    uint32_t quantized;   /* 1: int8 rows with scales */
    int64_t model_id, file_id;   /* file_id: vector_files.file_id */
    uint64_t n, model_len;       /* n: rows when written (vector_files.n counts) */
    uint64_t off_pmids, off_years, off_scales, off_data, off_model, file_len;
    char created_at[32];
    uint64_t payload_xxh64;   /* version 4 only: XXH3-64 of [HEADER_BYTES, file_len) */
    uint64_t cap;             /* row slots in the file */
    uint64_t model_xxh64;     /* XXH3-64 of the model's bytes */
    uint32_t crc;
} file_header;

/* A version 4 file (schema 16 and 17): no spare slots, one checksum over
 * the whole payload.  Read as is; the next compaction rewrites it. */
typedef struct file_header_v4 {
    char magic[8];
    uint32_t version, byte_order, sizes;
    uint32_t dim;
    uint32_t quantized;
    int64_t model_id, file_id;
    uint64_t n, model_len;
    uint64_t off_pmids, off_years, off_scales, off_data, off_model, file_len;
    char created_at[32];
    uint64_t payload_xxh64;
    uint32_t crc;
} file_header_v4;

_Static_assert(sizeof(file_header) <= HEADER_BYTES, "cache header too large");

typedef struct file_rec {
    int found;
    int64_t file_id, n;
    int model_in_file;
} file_rec;

/* A checksum of rows [first, first + n) of a file (vector_file_chunks). */
typedef struct row_chunk {
    uint64_t first, n, xxh;
} row_chunk;

/* Fault injection for the tests: in the test builds (the sanitizer builds
 * define LM_CRASH_POINTS, as for LITMINE_TEST_COMPACT_KILL) 1 when
 * LITMINE_TEST_VEC_FAULT names this fault: "fallocate" (the append's
 * space reservation fails, ENOSPC: a full disk), "mprotect" (the kernel
 * refuses to make a reader's mapping writable), "short" (fill_rows
 * writes one row fewer than it counted, errno left at an unrelated
 * value), "pread" (a check's read of the file fails with EIO), "verify-nomem"
 * (no memory for a check), "xxh3-state" (no memory for its hash state).
 * Always 0 in a release build. */
#ifdef LM_CRASH_POINTS
#include <stdlib.h>
#include <string.h>
static inline int lm_vc_test_fault(const char *name)
{
    const char *v = getenv("LITMINE_TEST_VEC_FAULT");
    return v && strcmp(v, name) == 0;
}
#else
static inline int lm_vc_test_fault(const char *name)
{
    (void)name;
    return 0;
}
#endif

/* A check of a mapped file's rows and model (lm_vec_verify.c). */
typedef struct lm_vc_verify lm_vc_verify;

/* A check of the file mapped at base (header h, rows [0, n) tiled by
 * chunks; fd: the file, open, taken), to run later; NULL when out of
 * memory (fd then left to the caller).  path: the file named in the
 * error.  model_checked: the caller verified the model's checksum (the
 * check then covers the rows alone). */
lm_vc_verify *lm_vc_verify_new(int fd, const unsigned char *base, const file_header *h,
                               uint64_t n, const row_chunk *chunks, size_t n_chunks,
                               const char *path, int64_t model_id, int model_checked);
/* Makes v read the file with pread through a bounded buffer rather than
 * the mapping (its pages stay out of this process); 0 when out of
 * memory.  v may be NULL. */
int lm_vc_verify_unmapped(lm_vc_verify *v);
/* Runs the check here: LM_OK when the model and every chunk are intact;
 * a damaged file is lm_vc_missing_file's error (LM_ERR_DB), a failed read
 * LM_ERR_IO with its errno, no memory LM_ERR_NOMEM. */
lm_status lm_vc_verify_run(lm_vc_verify *v, lm_error *err);
/* Records that the reader is about to write row of its private mapping
 * (v NULL: nothing to record). */
lm_status lm_vc_verify_note(lm_vc_verify *v, uint64_t row, lm_error *err);
/* Starts c's check on a thread once its mapping is patched (runs it here
 * when no thread can start). */
void lm_vc_verify_start(lm_vec_cache *c);
/* Stops (if running) and frees a check. */
void lm_vc_verify_free(lm_vc_verify *v);

typedef lm_status (*emit_fn)(void *ctx, int64_t pmid, float scale, const void *bytes);

typedef struct merger {
    const lm_vec_matrix *file;   /* NULL: none */
    const int64_t *gone;
    size_t n_gone, i, g;
    int quantized, dim;
    int64_t after;               /* full rows at or before this PMID are skipped */
    lm_vec_matrix one;           /* quantizes a float row for an int8 target */
    float *row;                  /* decodes an int8 file row for a float target */
    emit_fn emit;
    void *ctx;
    lm_error *err;
    /* 1: file's arrays are a read-only mapping nobody writes (a writer's
     * map of the old file, never patched): the pages of the rows copied
     * are dropped from this process as the merge goes (MADV_DONTNEED;
     * they are read again from the file if touched), so a rewrite's RSS
     * does not grow with the file.  Never for a patched or heap matrix:
     * a patched private page would revert to the file's bytes, a heap
     * one to zeros. */
    int release;
    size_t released;             /* file rows whose pages are dropped */
} merger;

uint32_t lm_vc_type_sizes(void);

uint32_t lm_vc_header_crc(const file_header *h);

/* The layout for cap row slots of dim floats and a model of model_len
 * bytes. */
void lm_vc_layout(file_header *h);

/* The header at the start of map (len bytes) in the current form; 0 when
 * it is neither a version 5 nor a version 4 header with a good CRC. */
int lm_vc_read_header(const unsigned char *map, size_t len, file_header *h);

/* The checksum of rows [first, first + count) of a file (laid out as h)
 * that vector_file_chunks records: the XXH3-64 of their PMIDs, seeding
 * that of their years, seeding that of their scales (int8 files), seeding
 * that of their vectors.  The seeds chain the columns, so a writer cannot
 * hash the rows as it writes them (the vectors' seed is known only once
 * every year is): lm_vc_rows_xxh64_read (lm_vec_verify.c) reads them back
 * with pread, into a bounded buffer, from the file open as fd; LM_ERR_IO
 * when a read fails, LM_ERR_NOMEM without memory. */
lm_status lm_vc_rows_xxh64_read(int fd, const file_header *h, uint64_t first, uint64_t count,
                                uint64_t *out, lm_error *err);

/* Maps the file the database names (record r: the header's model and file
 * ids say which, its rows' checksums in vector_file_chunks are verified):
 * path, path.next (a compaction committed and was stopped before its
 * rename), or the same two of the model's build path (a model made
 * current without a compaction).  A file that is missing, foreign or
 * damaged is lm_vc_missing_file's error.  *unchecked (may be NULL): 1
 * when the database records no checksum of its rows (a file written
 * before schema 19).  check: when the rows and the model are verified. */
enum lm_vc_check {
    LM_VC_CHECK_NOW,      /* before it returns */
    LM_VC_CHECK_LATER,    /* a version 5 file: the model and the rows on a
                           * thread started by lm_vc_verify_start, or never
                           * (the writer's append reads neither) */
    LM_VC_CHECK_ROWS_LATER, /* the model before it returns (the reader parses it
                           * at once), the rows as LATER, once the reader has
                           * patched its copy (lm_vec_cache_open_async) */
    LM_VC_CHECK_HEADER,   /* the header alone (its CRC, ids and layout): for a
                           * count that reads a few PMIDs, never for vectors */
    LM_VC_CHECK_MODEL     /* the header and the model's checksum, no row: for
                           * a copy of the model (a version 4 file: its whole
                           * payload, as NOW) */
};
lm_status lm_vc_map_named(lm_store *s, const char *path, const lm_vec_model_info *info,
                          const file_rec *r, enum lm_vc_check check, lm_vec_cache *out,
                          char **mapped, int *unchecked, lm_error *err);

lm_status lm_vc_read_file_rec(lm_store *s, int64_t model_id, file_rec *r, lm_error *err);

/* The file's rows that no longer count, ascending. */
lm_status lm_vc_load_gone(lm_store *s, int64_t model_id, int64_t **out, size_t *n,
                          lm_error *err);

/* The file's rows (f) that a void mark (gone, n_gone) hits. */
uint64_t lm_vc_count_stale(const lm_vec_matrix *f, const int64_t *gone, size_t n_gone);

lm_status lm_vc_count_full(lm_store *s, int64_t model_id, int64_t *n, lm_error *err);

/* Model id's description, current or not; *found = 0 when there is none. */
lm_status lm_vc_model_by_id(lm_store *s, int64_t id, lm_vec_model_info *info, int *found,
                            lm_error *err);

lm_status lm_vc_missing_file(lm_store *s, const char *path, int64_t model_id, lm_error *err);

lm_status lm_vc_merge_run(lm_store *s, int64_t model_id, merger *m);

lm_status lm_vc_merger_init(merger *m, const lm_vec_matrix *file, const int64_t *gone,
                            size_t n_gone, int quantized, int dim, lm_error *err);

void lm_vc_merger_free(merger *m);

/* The current model's description (of kind, NULL: any) and its vectors'
 * generation; *found = 0 when there is none. */
lm_status lm_vc_current_model(lm_store *s, const char *kind, lm_vec_model_info *info,
                              int64_t *generation, int *found, lm_error *err);

/* BEGIN unless the caller's transaction is open: 1 when begun. */
int lm_vc_begin_read(sqlite3 *db);

/* The model's bytes, when the database holds them (a heap copy). */
lm_status lm_vc_model_in_db(lm_store *s, int64_t id, void **data, size_t *len, lm_error *err);

/* path followed by suffix, malloc'd (NULL when out of memory). */
char *lm_vc_with_suffix(const char *path, const char *suffix);
/* "<path>.next": a rewrite's file until it is renamed over path. */
char *lm_vc_next_path(const char *path);
/* The file of a model that is not current (being built): "<file>.m<id>". */
char *lm_vc_build_path(const char *path, int64_t model_id);

#endif
