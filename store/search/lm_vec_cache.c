/*
 * lm_vec_cache: the vector file, the one copy of an embedding model's
 * compacted vectors and of its bytes (see lm_vec_cache.h).
 *
 * This file holds the format, its mapping and the readers' merge;
 * lm_vec_compact.c writes files (rewrites and appends) and commits them;
 * lm_vec_verify.c checks a mapped file's rows and model (in the background
 * for a query); lm_vec_cache_impl.h is what they share.
 *
 * File layout, native byte order (a byte-order mark and the type sizes are
 * checked: the file is per machine, never exchanged):
 *
 *   header  (HEADER_BYTES, CRC-32 over everything before its crc field,
 *            and the XXH3-64 of the model's bytes)
 *   pmids   cap x int64, ascending
 *   years   cap x int16
 *   scales  cap x float                  (int8 files only, 64-byte aligned)
 *   vectors cap x dim x float, or cap x dim x int8 with the scales,
 *           row-major                    (64-byte aligned)
 *   model   model_len bytes              (64-byte aligned; used in place)
 *
 * Of the cap slots of each column, the first vector_files.n are rows (the
 * database's count, in the same read transaction as the rest, is the
 * truth); the others are spare, a hole in the file until the rows of an
 * append fill them (lm_vec_compact.c).  The rows are checksummed by
 * chunk: each write of rows (a rewrite's [0, n), an append's [n, n + k))
 * records the XXH3-64 of the rows it wrote in vector_file_chunks, in the
 * transaction that commits the count, and a reader's open verifies the
 * chunks that tile [0, n) (one pass over the rows, which a query reads
 * anyway; `index check` reads them with pread, not through the mapping);
 * the writer's refresh verifies none when it appends (its own chunk) or
 * has nothing to write, and all before a rewrite copies them; a copy of
 * the model verifies the model alone (LM_VC_CHECK_MODEL): an ingest's RSS
 * stays flat with the file's size.  The spare slots are never read.  A file whose database records no chunk
 * (written before schema 19) is read unchecked until the next refresh
 * records them: a rewrite's own, or (lm_vec_compact.c) the existing rows'
 * chunk recorded by the first refresh that keeps the file.  A version 4
 * file (cap = n, an XXH3 over the whole payload) is still read, and
 * rewritten by the next compaction.
 *
 * Stored once.  A vectors row with an empty vec means "in the file"; rows
 * with bytes were written since the last compaction; vector_file_gone
 * (filled by triggers) lists the file's rows that a deletion or a newer
 * full row made void.  vector_files names the current file by a random
 * file_id that is also in its header: a reader maps the file only when
 * the ids agree, and reads the few full rows and void marks in the same
 * read transaction, so what it sees is exactly what the database says.
 * A missing or damaged file is an error naming the recovery (`litmine
 * index build` fits and embeds again), never a silently smaller index.
 *
 * Append (lm_vec_cache_refresh when the new rows' PMIDs all sort after
 * the file's and its void rows are at most STALE_REWRITE_PERCENT of its
 * rows and at most SHADOW_ROWS_MAX): the rows after the file's last PMID
 * go into the spare slots after n and are synced; then one transaction
 * (as below) empties those rows, clears their void marks and records
 * n + k with the checksum of rows [n, n + k).  A crash before that
 * commit leaves bytes past n that nobody reads (and no checksum) and the
 * next append overwrites; the file keeps its id and length, so readers mapping it
 * meanwhile are unaffected.  Revised rows (full rows of PMIDs in the
 * file) and void marks stay in the database: readers patch them into
 * their private copy of the mapping (patch_mapping), until a refresh
 * finds too many and rewrites the file.
 *
 * Compaction (lm_vec_cache_refresh otherwise, and `index build`) writes
 * "<file>.next" from the old file and the full rows, row by row (memory
 * stays bounded by one row), fsyncs it, and then in one write
 * transaction checks that no vector moved meanwhile
 * (the vector generation of migration 7), empties the moved rows, clears
 * the void marks, moves the model's bytes out of the database and records
 * the new file_id; only then is .next renamed over the file.  A crash
 * before the commit leaves a .next the database does not name (deleted on
 * the next compaction); after it, a .next the database names, which
 * readers map in place and the next compaction renames: both states are
 * consistent, and a rerun resumes.  The moved rows are deleted and
 * inserted again empty (an update in place would leave their pages nearly
 * empty but allocated).  One compaction runs at a time ("<file>.lock").
 * A model being built (`index build` compacts as it embeds, so that the
 * emptied rows' pages are reused by the next batches) has its own file,
 * "<file>.m<id>", until the compaction that makes it current writes
 * "<file>": the current model's file is never touched by a build.
 *
 * The LSA model (100 MB at 100k features) moves into the file at the same
 * commit, so the query path maps it (about 80 ms CLI start at 200k
 * abstracts) and the database keeps its length and checksum.  Models
 * smaller than MODEL_IN_FILE_MIN (an encoder's record) stay in the
 * database: losing the file then loses no model.
 */
#include "lm_vec_cache_impl.h"

#include "../../util/lm_buf.h"
#include "../../util/lm_le.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

uint32_t lm_vc_type_sizes(void)
{
    return (uint32_t)(sizeof(float) | sizeof(int64_t) << 8 | sizeof(int16_t) << 16);
}

static uint64_t align64(uint64_t x)
{
    return (x + 63) & ~(uint64_t)63;
}

uint32_t lm_vc_header_crc(const file_header *h)
{
    return (uint32_t)crc32(0L, (const Bytef *)h, (uInt)offsetof(file_header, crc));
}

/* The layout for cap row slots of dim floats and a model of model_len
 * bytes. */
void lm_vc_layout(file_header *h)
{
    h->off_pmids = HEADER_BYTES;
    h->off_years = h->off_pmids + h->cap * sizeof(int64_t);
    h->off_scales = align64(h->off_years + h->cap * sizeof(int16_t));
    h->off_data = h->quantized ? align64(h->off_scales + h->cap * sizeof(float)) : h->off_scales;
    /* The model is 64-byte aligned too: its float arrays are used in
     * place (lm_embed_model_map). */
    h->off_model =
        align64(h->off_data + h->cap * (uint64_t)h->dim * (h->quantized ? 1 : sizeof(float)));
    h->file_len = h->off_model + h->model_len;
}

/* The header at the start of map (len bytes) in the current form; 0 when
 * it is neither a version 5 nor a version 4 header with a good CRC. */
int lm_vc_read_header(const unsigned char *map, size_t len, file_header *h)
{
    memset(h, 0, sizeof *h);
    if (len < HEADER_BYTES)
        return 0;
    memcpy(h, map, sizeof *h);
    if (memcmp(h->magic, MAGIC, 8) != 0)
        return 0;
    if (h->version == FORMAT_VERSION)
        return h->crc == lm_vc_header_crc(h);
    file_header_v4 o;
    memcpy(&o, map, sizeof o);
    if (o.version != FORMAT_VERSION_V4 ||
        o.crc != (uint32_t)crc32(0L, (const Bytef *)&o, (uInt)offsetof(file_header_v4, crc)))
        return 0;
    memset(h, 0, sizeof *h);
    memcpy(h, &o, offsetof(file_header_v4, crc));
    h->cap = o.n;
    return 1;
}

/* path followed by suffix, malloc'd (NULL when out of memory). */
char *lm_vc_with_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), k = strlen(suffix);
    char *p = malloc(n + k + 1);
    if (p) {
        memcpy(p, path, n);
        memcpy(p + n, suffix, k + 1);
    }
    return p;
}

lm_status lm_vec_cache_path(lm_store *s, char **path, lm_error *err)
{
    const char *db = sqlite3_db_filename(lm_store_sqlite(s), "main");
    *path = NULL;
    if (!db || !*db)
        return LM_OK;
    *path = lm_vc_with_suffix(db, ".vectors");
    return *path ? LM_OK : lm_error_nomem(err, "naming the vector file");
}

void lm_vec_cache_drop_model(lm_vec_cache *c)
{
    free(c->model_heap);
    c->model_heap = NULL;
    c->model = NULL;
    c->model_len = 0;
}

void lm_vec_cache_close(lm_vec_cache *c)
{
    if (!c)
        return;
    if (c->map && !c->mat_owned)
        lm_vec_matrix_init(&c->mat);   /* its arrays were in the mapping */
    else
        lm_vec_matrix_free(&c->mat);
    lm_vc_verify_free(c->verify);   /* before the mapping it reads goes */
    if (c->map)
        munmap(c->map, c->map_len);
    free(c->model_heap);
    memset(c, 0, sizeof *c);
}

char *lm_vc_next_path(const char *path)
{
    return lm_vc_with_suffix(path, ".next");
}

/* Maps path when it is the file file_id of this model, with its first
 * n rows (the database's count, checked against chunks) as the matrix.
 * LM_ERR_DB (err untouched) when path is not that file: missing, foreign
 * or damaged, for the caller to try the next place or name the recovery;
 * a failure that says nothing about the file (no memory, a read or map
 * error other than a missing file) is its own error in err.  check: when
 * the rows and the model are checked (a version 4 file: now, unless only
 * its header is).  Slots past n are ignored: an append a crash stopped
 * before its commit, or one committing now (the file's length never
 * changes, so a reader's mapping stays whole while rows are appended). */
static lm_status map_file(const char *path, const lm_vec_model_info *info, int64_t file_id,
                          uint64_t n, const row_chunk *chunks, size_t n_chunks,
                          enum lm_vc_check check, const char *named, lm_vec_cache *out,
                          lm_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR
                   ? LM_ERR_DB
                   : lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    void *map = MAP_FAILED;
    lm_status ls = LM_ERR_DB;
    if (fstat(fd, &st) != 0) {
        ls = lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    } else if (st.st_size >= HEADER_BYTES) {
        /* MAP_NORESERVE: patch_mapping makes the rows writable, and
         * without it the kernel would charge the whole region against the
         * commit limit (and RLIMIT_DATA) although only patched pages are
         * ever copied. */
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
        if (map == MAP_FAILED)
            ls = errno == ENOMEM ? lm_error_nomem(err, "mapping the vector file")
                                 : lm_error_set(err, LM_ERR_IO, "%s: mapping: %s", path,
                                                strerror(errno));
    }
    if (map == MAP_FAILED) {
        close(fd);
        return ls;
    }
    file_header h;
    int ok = lm_vc_read_header(map, (size_t)st.st_size, &h);
    file_header want = h;
    lm_vc_layout(&want);
    ok = ok && want.off_pmids == h.off_pmids && want.off_years == h.off_years &&
         want.off_scales == h.off_scales && h.quantized <= 1 &&
         h.byte_order == BYTE_ORDER_MARK && h.sizes == lm_vc_type_sizes() &&
         h.model_id == info->id && h.dim == (uint32_t)info->dim && h.file_id == file_id &&
         strncmp(h.created_at, info->created_at, sizeof h.created_at) == 0 &&
         h.cap < ((uint64_t)1 << 40) && h.model_len < ((uint64_t)1 << 40) && n <= h.cap &&
         want.off_data == h.off_data && want.off_model == h.off_model &&
         want.file_len == h.file_len && h.file_len == (uint64_t)st.st_size;
    unsigned char *base = map;
    /* Version 4 checked its whole payload; version 5 checks the model and
     * the database's chunks of rows [0, n): the spare slots past n (an
     * append a crash stopped, or one committing now) are never read.  A
     * reader's model is checked before the open returns even when its rows
     * are checked later (ROWS_LATER): it parses the model at once, and a
     * parser fed damaged bytes reports them as its own error ("not a
     * litmine embedding model"), not as the file's (~100 MB at most,
     * against the rows' 370 MB at 1M abstracts). */
    lm_vc_verify *v = NULL;
    ls = LM_OK;
    if (check == LM_VC_CHECK_HEADER) {
        /* the header's CRC, ids and layout (above) */
    } else if (ok && h.version == FORMAT_VERSION_V4) {
        ok = n == h.n && XXH3_64bits(base + HEADER_BYTES, (size_t)h.file_len - HEADER_BYTES) ==
                             h.payload_xxh64;
    } else if (ok && (check == LM_VC_CHECK_MODEL || check == LM_VC_CHECK_ROWS_LATER)) {
        ok = XXH3_64bits(base + h.off_model, (size_t)h.model_len) == h.model_xxh64;
    }
    if (ok && h.version != FORMAT_VERSION_V4 &&
        check != LM_VC_CHECK_HEADER && check != LM_VC_CHECK_MODEL) {
        v = lm_vc_verify_new(fd, base, &h, n, chunks, n_chunks, named, info->id,
                             check == LM_VC_CHECK_ROWS_LATER);
        if (!v) {
            ls = lm_error_nomem(err, "checking the vector file");
        } else {
            fd = -1;
            if (check == LM_VC_CHECK_NOW) {
                ls = lm_vc_verify_unmapped(v) ? lm_vc_verify_run(v, err)
                                              : lm_error_nomem(err, "checking the vector file");
                lm_vc_verify_free(v);
                v = NULL;
            }
        }
    }
    if (fd >= 0)
        close(fd);
    if (ls == LM_OK && !ok)
        ls = LM_ERR_DB;
    if (ls != LM_OK) {
        lm_vc_verify_free(v);
        munmap(map, (size_t)st.st_size);
        return ls;
    }
    out->verify = v;
    out->map = map;
    out->map_len = (size_t)st.st_size;
    out->mat.dim = (int)h.dim;
    out->mat.n = (size_t)n;
    out->mat.cap = 0;
    out->mat.pmids = (int64_t *)(void *)(base + h.off_pmids);
    out->mat.years = (int16_t *)(void *)(base + h.off_years);
    if (h.quantized) {
        out->mat.scales = (float *)(void *)(base + h.off_scales);
        out->mat.q8 = (int8_t *)(void *)(base + h.off_data);
    } else {
        out->mat.data = (float *)(void *)(base + h.off_data);
    }
    out->model = h.model_len ? base + h.off_model : NULL;
    out->model_len = (size_t)h.model_len;
    out->from_file = 1;
    out->file_version = h.version;
    out->file_cap = h.cap;
    return LM_OK;
}

/* Undoes map_file's success on out; the caller's info stays. */
static void unmap_file(lm_vec_cache *out)
{
    lm_vc_verify_free(out->verify);   /* before the mapping it reads goes */
    munmap(out->map, out->map_len);
    lm_vec_matrix_init(&out->mat);    /* its arrays were in the mapping */
    out->verify = NULL;
    out->map = NULL;
    out->map_len = 0;
    out->model = NULL;
    out->model_len = 0;
    out->from_file = 0;
    out->file_version = 0;
    out->file_cap = 0;
}

/* The file of a model that is not current (being built): "<file>.m<id>",
 * so that compacting it as it is embedded leaves the current model's
 * file alone. */
char *lm_vc_build_path(const char *path, int64_t model_id)
{
    size_t n = strlen(path) + 32;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s.m%lld", path, (long long)model_id);
    return p;
}

static lm_status load_chunks(lm_store *s, int64_t model_id, int64_t file_id,
                             row_chunk **out, size_t *n, lm_error *err);

/* Maps the file the database names (see lm_vec_cache_impl.h). */
lm_status lm_vc_map_named(lm_store *s, const char *path, const lm_vec_model_info *info,
                          const file_rec *r, enum lm_vc_check check, lm_vec_cache *out,
                          char **mapped, int *unchecked, lm_error *err)
{
    row_chunk *chunks = NULL;
    size_t n_chunks = 0;
    lm_status ls = load_chunks(s, info->id, r->file_id, &chunks, &n_chunks, err);
    if (ls != LM_OK)
        return ls;
    if (unchecked)
        *unchecked = n_chunks == 0 && r->n > 0;
    /* Without the build path or the mapped name, no memory must be this
     * call's error: a missing build path would read as a missing file (the
     * recovery it names is a full `index build`), and a missing name as a
     * file elsewhere (a rewrite instead of an append). */
    char *build = NULL;
    if (path && !(build = lm_vc_build_path(path, info->id))) {
        free(chunks);
        return lm_error_nomem(err, "opening the vector file");
    }
    const char *bases[2] = {path, build};
    ls = LM_ERR_DB;
    for (int i = 0; i < 2 && ls == LM_ERR_DB && bases[i]; i++) {
        ls = map_file(bases[i], info, r->file_id, (uint64_t)r->n, chunks, n_chunks, check, path,
                      out, err);
        if (ls == LM_OK && mapped && !(*mapped = strdup(bases[i]))) {
            unmap_file(out);
            ls = lm_error_nomem(err, "opening the vector file");
        }
        if (ls != LM_ERR_DB)
            break;
        char *next = lm_vc_next_path(bases[i]);
        ls = next ? map_file(next, info, r->file_id, (uint64_t)r->n, chunks, n_chunks, check,
                             path, out, err)
                  : lm_error_nomem(err, "opening the vector file");
        free(next);
    }
    free(build);
    free(chunks);
    return ls == LM_ERR_DB ? lm_vc_missing_file(s, path, info->id, err) : ls;
}

/* ---- the database's side ---------------------------------------------- */

static lm_status prepare(lm_store *s, const char *sql, sqlite3_stmt **st, lm_error *err)
{
    int rc = sqlite3_prepare_v2(lm_store_sqlite(s), sql, -1, st, NULL);
    return rc == SQLITE_OK ? LM_OK : lm_store_fail(s, rc, err, "reading the vector file's record");
}

/* prepare, with ?1 bound to id: every statement here is keyed by one
 * model (or article) id. */
static lm_status prepare_id(lm_store *s, const char *sql, int64_t id, sqlite3_stmt **st,
                            lm_error *err)
{
    lm_status ls = prepare(s, sql, st, err);
    if (ls == LM_OK)
        sqlite3_bind_int64(*st, 1, id);
    return ls;
}

lm_status lm_vc_read_file_rec(lm_store *s, int64_t model_id, file_rec *r, lm_error *err)
{
    memset(r, 0, sizeof *r);
    sqlite3_stmt *st;
    lm_status ls = prepare_id(s, "SELECT file_id, n, model_in_file FROM vector_files"
                                 " WHERE model_id = ?1",
                              model_id, &st, err);
    if (ls != LM_OK)
        return ls;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        r->found = 1;
        r->file_id = sqlite3_column_int64(st, 0);
        r->n = sqlite3_column_int64(st, 1);
        r->model_in_file = sqlite3_column_int(st, 2);
    } else if (rc != SQLITE_DONE) {
        ls = lm_store_fail(s, rc, err, "reading the vector file's record");
    }
    sqlite3_finalize(st);
    return ls;
}

/* The checksums of file file_id's rows, in row order. */
static lm_status load_chunks(lm_store *s, int64_t model_id, int64_t file_id,
                             row_chunk **out, size_t *n, lm_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    lm_status ls = prepare_id(s, "SELECT first_row, n_rows, xxh64 FROM vector_file_chunks"
                                 " WHERE model_id = ?1 AND file_id = ?2 ORDER BY first_row",
                              model_id, &st, err);
    if (ls != LM_OK)
        return ls;
    sqlite3_bind_int64(st, 2, file_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (lm_vec_grow((void **)out, &cap, *n + 1, sizeof **out) != LM_OK) {
            ls = lm_error_set(err, LM_ERR_NOMEM, "reading the vector file: out of memory");
            break;
        }
        (*out)[(*n)++] = (row_chunk){(uint64_t)sqlite3_column_int64(st, 0),
                                     (uint64_t)sqlite3_column_int64(st, 1),
                                     (uint64_t)sqlite3_column_int64(st, 2)};
    }
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "reading the vector file's checksums");
    sqlite3_finalize(st);
    return ls;
}

/* The file's rows that no longer count, ascending. */
lm_status lm_vc_load_gone(lm_store *s, int64_t model_id, int64_t **out, size_t *n,
                          lm_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    lm_status ls = prepare_id(s, "SELECT pmid FROM vector_file_gone WHERE model_id = ?1"
                                 " ORDER BY pmid",
                              model_id, &st, err);
    if (ls != LM_OK)
        return ls;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (lm_vec_grow((void **)out, &cap, *n + 1, sizeof **out) != LM_OK) {
            ls = lm_error_set(err, LM_ERR_NOMEM, "reading the vector file: out of memory");
            break;
        }
        (*out)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "reading the vector file's void rows");
    sqlite3_finalize(st);
    return ls;
}

/* The file's rows that no longer count: void marks on its rows (a
 * revision's full row sets one too; marks of new PMIDs not yet appended
 * hit none).  The marks are few (they are what the refresh's threshold
 * bounds) and already in memory. */
uint64_t lm_vc_count_stale(const lm_vec_matrix *f, const int64_t *gone, size_t n_gone)
{
    uint64_t k = 0;
    for (size_t i = 0; i < n_gone; i++)
        k += lm_vec_matrix_find(f, gone[i]) >= 0;
    return k;
}

lm_status lm_vc_count_full(lm_store *s, int64_t model_id, int64_t *n, lm_error *err)
{
    sqlite3_stmt *st;
    lm_status ls = prepare_id(s, "SELECT count(*) FROM vectors INDEXED BY vectors_full"
                                 " WHERE model_id = ?1 AND length(vec) > 0",
                              model_id, &st, err);
    if (ls != LM_OK)
        return ls;
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (rc != SQLITE_ROW)
        ls = lm_store_fail(s, rc, err, "counting vectors");
    sqlite3_finalize(st);
    return ls;
}

/* Model id's description, current or not; *found = 0 when there is none. */
lm_status lm_vc_model_by_id(lm_store *s, int64_t id, lm_vec_model_info *info, int *found,
                            lm_error *err)
{
    memset(info, 0, sizeof *info);
    *found = 0;
    sqlite3_stmt *st;
    lm_status ls = prepare_id(s, "SELECT kind, dim, created_at FROM embed_models WHERE id = ?1",
                              id, &st, err);
    if (ls != LM_OK)
        return ls;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        info->id = id;
        snprintf(info->kind, sizeof info->kind, "%s",
                 (const char *)sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
        info->dim = sqlite3_column_int(st, 1);
        snprintf(info->created_at, sizeof info->created_at, "%s",
                 (const char *)sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
        *found = 1;
    } else if (rc != SQLITE_DONE) {
        ls = lm_store_fail(s, rc, err, "reading an embedding model");
    }
    sqlite3_finalize(st);
    return ls;
}

lm_status lm_vc_missing_file(lm_store *s, const char *path, int64_t model_id, lm_error *err)
{
    (void)s;
    return lm_error_set(err, LM_ERR_DB,
                        "%s: the vector file of embedding model %lld is missing or damaged "
                        "(it holds the only copy of that model's vectors); run `litmine index "
                        "build` to fit and embed again",
                        path ? path : "(no file)", (long long)model_id);
}

/* ---- the merged rows: the old file's that still count, and the full ----
 *
 * Both in PMID order; a full row replaces a file row of the same PMID, a
 * void mark drops one.  Rows are emitted in the target's encoding: int8
 * rows keep their bytes, never re-rounded. */

static int is_gone(merger *m, int64_t pmid)
{
    while (m->g < m->n_gone && m->gone[m->g] < pmid)
        m->g++;
    return m->g < m->n_gone && m->gone[m->g] == pmid;
}

static lm_status emit_file_row(merger *m, size_t i)
{
    const lm_vec_matrix *f = m->file;
    size_t d = (size_t)m->dim;
    if (f->q8 && m->quantized)
        return m->emit(m->ctx, f->pmids[i], f->scales[i], f->q8 + i * d);
    if (!f->q8 && !m->quantized)
        return m->emit(m->ctx, f->pmids[i], 0, f->data + i * d);
    if (f->q8) {   /* int8 file, float target */
        for (size_t c = 0; c < d; c++)
            m->row[c] = f->scales[i] * (float)f->q8[i * d + c];
        return m->emit(m->ctx, f->pmids[i], 0, m->row);
    }
    m->one.n = 0;
    lm_status ls = lm_vec_matrix_push(&m->one, f->pmids[i], 0, f->data + i * d, m->dim, m->err);
    return ls == LM_OK ? m->emit(m->ctx, f->pmids[i], m->one.scales[0], m->one.q8) : ls;
}

/* File rows copied between two drops of their pages (m->release). */
#define RELEASE_ROWS ((size_t)1 << 14)

/* Drops the pages of file rows [m->released, m->i) from this process's
 * mapping (m->release): each column's whole pages from the one holding
 * row m->released (its rows before were read already) to the one holding
 * row m->i (excluded: rows not read yet).  Advice only: a failure leaves
 * the pages resident, nothing else. */
static void release_rows(merger *m)
{
    const lm_vec_matrix *f = m->file;
    size_t d = (size_t)m->dim;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    const struct {
        const void *base;
        size_t elem;
    } col[3] = {{f->pmids, sizeof(int64_t)},
                {f->scales, sizeof(float)},
                {f->q8 ? (const void *)f->q8 : (const void *)f->data,
                 f->q8 ? d : d * sizeof(float)}};
    for (int c = 0; c < 3; c++) {
        if (!col[c].base)
            continue;
        uintptr_t a = ((uintptr_t)col[c].base + m->released * col[c].elem) & ~(page - 1);
        uintptr_t b = ((uintptr_t)col[c].base + m->i * col[c].elem) & ~(page - 1);
        if (b > a)
            madvise((void *)a, b - a, MADV_DONTNEED);
    }
    m->released = m->i;
}

/* Emits the file's rows before limit; a row at limit is replaced. */
static lm_status emit_file_until(merger *m, int64_t limit)
{
    lm_status ls = LM_OK;
    while (ls == LM_OK && m->file && m->i < m->file->n && m->file->pmids[m->i] < limit) {
        if (!is_gone(m, m->file->pmids[m->i]))
            ls = emit_file_row(m, m->i);
        m->i++;
        if (m->release && (m->i - m->released >= RELEASE_ROWS || m->i == m->file->n))
            release_rows(m);
    }
    if (m->file && m->i < m->file->n && m->file->pmids[m->i] == limit)
        m->i++;
    return ls;
}

static lm_status merge_full_row(void *ctx, const lm_vec_stored *r)
{
    merger *m = ctx;
    if (r->pmid <= m->after)
        return LM_OK;
    lm_status ls = emit_file_until(m, r->pmid);
    /* A NaN or infinity would score as one in every search: such a
     * vector (a damaged row) is left out, as if missing. */
    if (ls != LM_OK || !r->finite)
        return ls;
    if (!m->quantized)
        return m->emit(m->ctx, r->pmid, 0, r->decoded);
    if (r->format == LM_VEC_I8)
        return m->emit(m->ctx, r->pmid, lm_f32_from_bits(lm_le32_get(r->blob)), r->blob + 4);
    m->one.n = 0;
    ls = lm_vec_matrix_push(&m->one, r->pmid, 0, r->decoded, m->dim, m->err);
    return ls == LM_OK ? m->emit(m->ctx, r->pmid, m->one.scales[0], m->one.q8) : ls;
}

lm_status lm_vc_merge_run(lm_store *s, int64_t model_id, merger *m)
{
    m->i = m->g = m->released = 0;
    lm_status ls = lm_vec_each_stored(s, model_id, m->dim, merge_full_row, m, m->err);
    return ls == LM_OK ? emit_file_until(m, INT64_MAX) : ls;
}

lm_status lm_vc_merger_init(merger *m, const lm_vec_matrix *file, const int64_t *gone,
                            size_t n_gone, int quantized, int dim, lm_error *err)
{
    memset(m, 0, sizeof *m);
    m->file = file;
    m->gone = gone;
    m->n_gone = n_gone;
    m->quantized = quantized;
    m->dim = dim;
    m->after = INT64_MIN;
    m->err = err;
    lm_vec_matrix_init_quantized(&m->one);
    m->row = malloc((size_t)dim * sizeof *m->row);
    return m->row ? LM_OK : lm_error_set(err, LM_ERR_NOMEM, "vector file: out of memory");
}

void lm_vc_merger_free(merger *m)
{
    lm_vec_matrix_free(&m->one);
    free(m->row);
}

/* ---- the merged rows in memory, for a reader ------------------------- */

typedef struct heap_builder {
    lm_vec_matrix *out;
    float *row;
    int dim, quantized;
    lm_error *err;
} heap_builder;

static lm_status heap_emit(void *ctx, int64_t pmid, float scale, const void *bytes)
{
    heap_builder *b = ctx;
    size_t d = (size_t)b->dim;
    if (!b->quantized)
        return lm_vec_matrix_push(b->out, pmid, 0, bytes, b->dim, b->err);
    const int8_t *q = bytes;
    for (size_t c = 0; c < d; c++)
        b->row[c] = scale * (float)q[c];
    lm_status ls = lm_vec_matrix_push(b->out, pmid, 0, b->row, b->dim, b->err);
    if (ls == LM_OK) {   /* kept as stored, not re-rounded */
        b->out->scales[b->out->n - 1] = scale;
        memcpy(b->out->q8 + (b->out->n - 1) * d, q, d);
    }
    return ls;
}

/* ---- reading ----------------------------------------------------------- */

/* The current model's description (of kind, NULL: any) and its vectors'
 * generation; *found = 0 when there is none. */
lm_status lm_vc_current_model(lm_store *s, const char *kind, lm_vec_model_info *info,
                              int64_t *generation, int *found, lm_error *err)
{
    lm_status ls = lm_vec_model_current_info(s, info, found, err);
    if (ls == LM_OK && *found && kind && strcmp(info->kind, kind) != 0)
        *found = 0;
    if (ls == LM_OK && *found)
        ls = lm_vec_generation(s, info->id, generation, err);
    return ls;
}

/* BEGIN unless the caller's transaction is open: 1 when begun. */
int lm_vc_begin_read(sqlite3 *db)
{
    return sqlite3_get_autocommit(db) && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

/* The model's bytes, when the database holds them (a heap copy). */
lm_status lm_vc_model_in_db(lm_store *s, int64_t id, void **data, size_t *len, lm_error *err)
{
    *data = NULL;
    *len = 0;
    sqlite3_stmt *st;
    lm_status ls = prepare_id(s, "SELECT data FROM embed_models WHERE id = ?1 AND data IS NOT NULL",
                              id, &st, err);
    if (ls != LM_OK)
        return ls;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        *data = malloc(n ? n : 1);
        if (!*data)
            ls = lm_error_set(err, LM_ERR_NOMEM, "loading the embedding model: out of memory");
        else if (n)
            memcpy(*data, sqlite3_column_blob(st, 0), n);
        *len = n;
    } else if (rc != SQLITE_DONE) {
        ls = lm_store_fail(s, rc, err, "reading the embedding model");
    }
    sqlite3_finalize(st);
    return ls;
}

/* ---- shadow rows, for a reader ----------------------------------------
 *
 * A refresh leaves a revised article's new vector as a full row and a
 * deleted article's file row under a void mark, without rewriting the file
 * (lm_vec_compact.c: until they are STALE_REWRITE_PERCENT of its rows or
 * SHADOW_ROWS_MAX, which bounds what this costs each reader at open).  A
 * reader applies them to its own copy of the mapping (MAP_PRIVATE: the
 * pages it writes are copied, the file is never written): a void row is
 * masked (LM_VEC_YEAR_DEAD), a full row replaces its file row in place,
 * bytes and year.  The matrix then ranks exactly as a rewritten file's,
 * at the cost of the shadow rows rather than of a copy of the corpus. */

typedef struct patcher {
    lm_vec_matrix *mat;
    lm_vc_verify *verify;   /* told of every row written, or NULL */
    int64_t *pmids;      /* the patched rows' PMIDs, ascending */
    size_t n, cap;
    int foreign;         /* a full row with no file row: merge instead */
    lm_error *err;
} patcher;

/* Makes the rows' years, scales and vectors (from the years column to the
 * end of row n's vector) of c's private mapping writable, in one call:
 * per-row calls would split the mapping into a region per patched page,
 * and a process may hold only ~65,000 (vm.max_map_count).  Only the pages
 * written are copied. */
static int rows_writable(const lm_vec_cache *c)
{
    const lm_vec_matrix *m = &c->mat;
    size_t d = (size_t)m->dim;
    const unsigned char *end = m->q8 ? (const unsigned char *)(m->q8 + m->n * d)
                                     : (const unsigned char *)(m->data + m->n * d);
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)m->years & ~(uintptr_t)(page - 1);
    if (lm_vc_test_fault("mprotect"))
        return 0;
    return mprotect((void *)a, (uintptr_t)end - a, PROT_READ | PROT_WRITE) == 0;
}

static lm_status patch_emit(void *ctx, int64_t pmid, float scale, const void *bytes)
{
    patcher *p = ctx;
    lm_vec_matrix *m = p->mat;
    size_t lo = 0, hi = m->n;
    while (lo < hi) {   /* lm_vec_matrix_find sees no masked row */
        size_t mid = lo + (hi - lo) / 2;
        if (m->pmids[mid] < pmid)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= m->n || m->pmids[lo] != pmid) {
        p->foreign = 1;
        return LM_ERR_ABORTED;
    }
    lm_status ls = lm_vc_verify_note(p->verify, lo, p->err);
    if (ls != LM_OK)
        return ls;
    size_t d = (size_t)m->dim, row_bytes = m->q8 ? d : d * sizeof(float);
    void *dst = m->q8 ? (void *)(m->q8 + lo * d) : (void *)(m->data + lo * d);
    memcpy(dst, bytes, row_bytes);
    if (m->q8)
        m->scales[lo] = scale;
    if (m->years[lo] == LM_VEC_YEAR_DEAD)
        m->n_dead--;
    m->years[lo] = 0;   /* its year is read below */
    if (p->n == p->cap) {
        size_t nc = p->cap ? 2 * p->cap : 64;
        int64_t *v = realloc(p->pmids, nc * sizeof *v);
        if (!v)
            return lm_error_set(p->err, LM_ERR_NOMEM, "vector file: out of memory");
        p->pmids = v;
        p->cap = nc;
    }
    p->pmids[p->n++] = pmid;
    return LM_OK;
}

/* The publication years of the patched rows (by PMID: the articles table
 * is not scanned). */
static lm_status patch_years(lm_store *s, lm_vec_matrix *m, const int64_t *pmids, size_t n,
                             lm_error *err)
{
    sqlite3_stmt *st;
    lm_status ls = prepare(s, "SELECT year FROM articles WHERE pmid = ?1", &st, err);
    for (size_t i = 0; ls == LM_OK && i < n; i++) {
        sqlite3_bind_int64(st, 1, pmids[i]);
        int rc = sqlite3_step(st);
        int year = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            ls = lm_store_fail(s, rc, err, "loading publication years");
        long row = lm_vec_matrix_find(m, pmids[i]);
        if (row >= 0)
            m->years[row] = (int16_t)(year > 0 && year < 32768 ? year : 0);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return ls;
}

/* Applies the void marks and full rows to out's mapping; *done = 0 when a
 * full row has no file row (a new article not yet appended): the caller
 * merges instead (the mapping's patched rows are then all replaced or
 * masked by the merge, as they would be unpatched). */
static lm_status patch_mapping(lm_store *s, lm_vec_cache *out, const int64_t *gone,
                               size_t n_gone, int *done, lm_error *err)
{
    *done = 0;
    lm_vec_matrix *m = &out->mat;
    /* A mapping the kernel will not make writable (a memory limit) is
     * left as it is: the caller merges into memory instead. */
    if (!rows_writable(out))
        return LM_OK;
    lm_status ls = LM_OK;
    for (size_t i = 0; ls == LM_OK && i < n_gone; i++) {
        long row = lm_vec_matrix_find(m, gone[i]);
        if (row < 0)
            continue;
        ls = lm_vc_verify_note(out->verify, (uint64_t)row, err);
        if (ls != LM_OK)
            break;
        m->years[row] = LM_VEC_YEAR_DEAD;
        m->n_dead++;
    }
    merger mg;
    patcher p = {m, out->verify, NULL, 0, 0, 0, err};
    if (ls == LM_OK)
        ls = lm_vc_merger_init(&mg, NULL, NULL, 0, m->q8 != NULL, m->dim, err);
    else
        memset(&mg, 0, sizeof mg);
    mg.emit = patch_emit;
    mg.ctx = &p;
    if (ls == LM_OK)
        ls = lm_vc_merge_run(s, out->info.id, &mg);
    if (ls == LM_ERR_ABORTED && p.foreign)
        ls = LM_OK;
    else if (ls == LM_OK)
        ls = patch_years(s, m, p.pmids, p.n, err);
    *done = ls == LM_OK && !p.foreign;
    lm_vc_merger_free(&mg);
    free(p.pmids);
    return ls;
}

/* Fills out from the store's state inside the caller's read transaction;
 * check: when the rows and the model are verified (LM_VC_CHECK_ROWS_LATER:
 * the rows on a thread started once the mapping is patched). */
static lm_status open_current(lm_store *s, const char *path, enum lm_vc_check check,
                              lm_vec_cache *out, lm_error *err)
{
    file_rec r;
    lm_status ls = lm_vc_read_file_rec(s, out->info.id, &r, err);
    if (ls != LM_OK)
        return ls;
    if (!r.found) {   /* never compacted: every vector is a full row */
        void *data = NULL;
        size_t len = 0;
        ls = lm_vc_model_in_db(s, out->info.id, &data, &len, err);
        out->model_heap = data;
        out->model = data;
        out->model_len = len;
        if (ls == LM_OK)
            ls = lm_vec_matrix_load(s, out->info.id, out->info.dim, &out->mat, err);
        out->mat_owned = 1;
        return ls;
    }
    ls = lm_vc_map_named(s, path, &out->info, &r, check, out, NULL, NULL, err);
    if (ls != LM_OK)
        return ls;
    if (!r.model_in_file) {
        void *data = NULL;
        size_t len = 0;
        ls = lm_vc_model_in_db(s, out->info.id, &data, &len, err);
        out->model_heap = data;
        out->model = data;
        out->model_len = len;
    }
    int64_t n_full = 0;
    int64_t *gone = NULL;
    size_t n_gone = 0;
    if (ls == LM_OK)
        ls = lm_vc_count_full(s, out->info.id, &n_full, err);
    if (ls == LM_OK)
        ls = lm_vc_load_gone(s, out->info.id, &gone, &n_gone, err);
    /* Rows written since the last compaction: revisions and deletions of
     * the file's rows patch this process's copy of the mapping; new rows
     * (not yet appended) are merged with the file's into memory. */
    int patched = 0;
    if (ls == LM_OK && (n_full > 0 || n_gone > 0))
        ls = patch_mapping(s, out, gone, n_gone, &patched, err);
    if (ls == LM_OK && (n_full > 0 || n_gone > 0) && !patched) {
        lm_vec_matrix file = out->mat, merged;
        int quantized = file.q8 != NULL;
        if (quantized)
            lm_vec_matrix_init_quantized(&merged);
        else
            lm_vec_matrix_init(&merged);
        merged.dim = out->info.dim;
        merger m;
        ls = lm_vc_merger_init(&m, &file, gone, n_gone, quantized, out->info.dim, err);
        heap_builder b = {&merged, m.row, out->info.dim, quantized, err};
        m.emit = heap_emit;
        m.ctx = &b;
        if (ls == LM_OK)
            ls = lm_vc_merge_run(s, out->info.id, &m);
        if (ls == LM_OK)
            ls = lm_vec_matrix_load_years(&merged, s, err);
        lm_vc_merger_free(&m);
        if (ls == LM_OK) {
            out->mat = merged;
            out->mat_owned = 1;
        } else {
            lm_vec_matrix_free(&merged);
        }
    }
    free(gone);
    if (ls == LM_OK)
        lm_vc_verify_start(out);
    return ls;
}

static lm_status open_cache(lm_store *s, const char *path, const char *kind,
                            enum lm_vc_check check, lm_vec_cache *out, int *found, lm_error *err)
{
    memset(out, 0, sizeof *out);
    lm_vec_matrix_init(&out->mat);
    *found = 0;
    char *own_path = NULL;
    if (!path) {
        lm_status ps = lm_vec_cache_path(s, &own_path, err);
        if (ps != LM_OK)
            return ps;
        path = own_path;
    }
    sqlite3 *db = lm_store_sqlite(s);
    /* One read transaction: the file's record and the rows agree. */
    int began = lm_vc_begin_read(db);
    int64_t generation = 0;
    lm_status ls = lm_vc_current_model(s, kind, &out->info, &generation, found, err);
    if (ls == LM_OK && *found)
        ls = open_current(s, path, check, out, err);
    /* A compaction that committed and renamed its file between this read
     * transaction's start and the open: a new snapshot names the new file. */
    for (int retry = 0; retry < 3 && began && ls == LM_ERR_DB && *found; retry++) {
        lm_vec_cache_close(out);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        began = lm_vc_begin_read(db);
        ls = lm_vc_current_model(s, kind, &out->info, &generation, found, err);
        if (ls == LM_OK && *found)
            ls = open_current(s, path, check, out, err);
    }
    if (began)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    free(own_path);
    if (ls != LM_OK || !*found) {
        lm_vec_cache_close(out);
        *found = ls == LM_OK ? 0 : *found;
    }
    return ls;
}

lm_status lm_vec_cache_open(lm_store *s, const char *path, const char *kind, lm_vec_cache *out,
                            int *found, lm_error *err)
{
    return open_cache(s, path, kind, LM_VC_CHECK_NOW, out, found, err);
}

lm_status lm_vec_cache_open_async(lm_store *s, const char *path, const char *kind,
                                  lm_vec_cache *out, int *found, lm_error *err)
{
    return open_cache(s, path, kind, LM_VC_CHECK_ROWS_LATER, out, found, err);
}

/* Maps model id's current file (inside the caller's transaction). */
static lm_status map_model_file(lm_store *s, int64_t model_id, enum lm_vc_check check,
                                lm_vec_cache *c, file_rec *r, lm_error *err)
{
    memset(c, 0, sizeof *c);
    int found = 0;
    lm_status ls = lm_vc_model_by_id(s, model_id, &c->info, &found, err);
    if (ls == LM_OK)
        ls = lm_vc_read_file_rec(s, model_id, r, err);
    if (ls != LM_OK)
        return ls;
    char *path = NULL;
    ls = lm_vec_cache_path(s, &path, err);
    if (ls != LM_OK)
        return ls;
    if (!found || !r->found)
        ls = lm_vc_missing_file(s, path, model_id, err);
    else
        ls = lm_vc_map_named(s, path, &c->info, r, check, c, NULL, NULL, err);
    free(path);
    return ls;
}

lm_status lm_vec_cache_model_copy(lm_store *s, int64_t model_id, void **data, size_t *len,
                                  lm_error *err)
{
    *data = NULL;
    *len = 0;
    lm_vec_cache c;
    file_rec r;
    /* The model alone is verified and read: the rows' pages stay out of
     * this process (an ingest loads the encoder this way, and a pass over
     * the rows made its RSS the file's size: ~10 GB at 36M abstracts). */
    lm_status ls = map_model_file(s, model_id, LM_VC_CHECK_MODEL, &c, &r, err);
    if (ls == LM_OK && !c.model)
        ls = lm_vc_missing_file(s, NULL, model_id, err);
    if (ls == LM_OK) {
        *data = malloc(c.model_len);
        if (!*data)
            ls = lm_error_set(err, LM_ERR_NOMEM, "loading the embedding model: out of memory");
        else
            memcpy(*data, c.model, c.model_len);
        *len = ls == LM_OK ? c.model_len : 0;
    }
    lm_vec_cache_close(&c);
    return ls;
}

lm_status lm_vec_cache_row(lm_store *s, int64_t model_id, int64_t pmid, float *out, int dim,
                           lm_error *err)
{
    lm_vec_cache c;
    file_rec r;
    lm_status ls = map_model_file(s, model_id, LM_VC_CHECK_NOW, &c, &r, err);
    long row = ls == LM_OK ? lm_vec_matrix_find(&c.mat, pmid) : -1;
    if (ls == LM_OK && (row < 0 || dim != c.mat.dim))
        ls = lm_vc_missing_file(s, NULL, model_id, err);
    for (int i = 0; ls == LM_OK && i < dim; i++)
        out[i] = c.mat.q8 ? c.mat.scales[row] * (float)c.mat.q8[(size_t)row * (size_t)dim + (size_t)i]
                          : c.mat.data[(size_t)row * (size_t)dim + (size_t)i];
    lm_vec_cache_close(&c);
    return ls;
}

lm_status lm_vec_cache_rows(lm_store *s, int64_t *rows, int64_t *stale, size_t *row_bytes,
                            lm_error *err)
{
    *rows = *stale = 0;
    *row_bytes = 0;
    lm_vec_model_info info;
    int found = 0;
    sqlite3 *db = lm_store_sqlite(s);
    int began = lm_vc_begin_read(db);
    lm_status ls = lm_vec_model_current_info(s, &info, &found, err);
    file_rec r = {0};
    if (ls == LM_OK && found)
        ls = lm_vc_read_file_rec(s, info.id, &r, err);
    lm_vec_cache c;
    memset(&c, 0, sizeof c);
    int64_t *gone = NULL;
    size_t n_gone = 0;
    /* The header and the database say it all: the file's rows (n) and the
     * void marks that hit one of them (a binary search each over the
     * PMIDs).  No checksum is verified: that would be a pass over the
     * whole file (~10 GB at 36M abstracts) for two counts; `index check`
     * verifies.  A missing or foreign file counts nothing here; no memory
     * is an error, not zero rows. */
    int mapped = 0;
    if (ls == LM_OK && found && r.found) {
        lm_error map_err = {0};
        lm_status ms = map_model_file(s, info.id, LM_VC_CHECK_HEADER, &c, &r, &map_err);
        mapped = ms == LM_OK;
        if (ms == LM_ERR_NOMEM) {
            if (err)
                *err = map_err;
            ls = ms;
        }
    }
    if (mapped)
        ls = lm_vc_load_gone(s, info.id, &gone, &n_gone, err);
    if (ls == LM_OK && mapped) {
        *rows = (int64_t)c.mat.n;
        *stale = (int64_t)lm_vc_count_stale(&c.mat, gone, n_gone);
        *row_bytes = (size_t)c.mat.dim * (c.mat.q8 ? 1 : sizeof(float)) + sizeof(int64_t) +
                     sizeof(int16_t) + (c.mat.q8 ? sizeof(float) : 0);
    }
    free(gone);
    lm_vec_cache_close(&c);
    if (began)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return ls;
}

lm_status lm_vec_cache_check(lm_store *s, lm_error *err)
{
    lm_vec_cache c;
    int found = 0;
    lm_status ls = lm_vec_cache_open(s, NULL, NULL, &c, &found, err);
    if (ls != LM_OK || !found)
        return ls;
    /* (counted here only: a query's open does not scan the index) */
    ls = lm_vec_count(s, c.info.id, &c.info.n_vectors, err);
    /* Every row is readable: an empty one from the file, a full one as
     * stored (a non-finite vector, left out of searches, counts as
     * unreadable here too). */
    size_t live = c.mat.n - c.mat.n_dead;
    if (ls == LM_OK && (int64_t)live != c.info.n_vectors)
        ls = lm_error_set(err, LM_ERR_DB,
                          "vectors: the database lists %lld vectors of model %lld, %zu are "
                          "readable; run `litmine index build` to fit and embed again",
                          (long long)c.info.n_vectors, (long long)c.info.id, live);
    lm_vec_cache_close(&c);
    return ls;
}
