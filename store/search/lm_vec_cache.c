/*
 * lm_vec_cache: the vector file, the one copy of an embedding model's
 * compacted vectors and of its bytes (see lm_vec_cache.h).
 *
 * LONG-FILE: the file's format, its reader and its compaction share the
 * header checks and the crash states they must agree on; to split
 * (format and reader vs compaction) once the layout has settled.
 *
 * File layout, native byte order (a byte-order mark and the type sizes are
 * checked: the file is per machine, never exchanged):
 *
 *   header  (HEADER_BYTES, CRC-32 over everything before its crc field,
 *            and the XXH3-64 of everything after the header)
 *   pmids   n x int64, ascending
 *   years   n x int16
 *   scales  n x float                    (int8 files only, 64-byte aligned)
 *   vectors n x dim x float, or n x dim x int8 with the scales,
 *           row-major                    (64-byte aligned)
 *   model   model_len bytes              (64-byte aligned; used in place)
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
 * Compaction (lm_vec_cache_refresh, at the end of an ingest's refresh and
 * of `index build`) writes "<file>.next" from the old file and the full
 * rows, row by row (memory stays bounded by one row), fsyncs it, and
 * then in one write transaction checks that no vector moved meanwhile
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
#include "lm_vec_cache.h"
#include "../lm_store_internal.h"

#include "../../util/lm_file.h"
#include "../../util/lm_le.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

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

static uint32_t type_sizes(void)
{
    return (uint32_t)(sizeof(float) | sizeof(int64_t) << 8 | sizeof(int16_t) << 16);
}

static uint64_t align64(uint64_t x)
{
    return (x + 63) & ~(uint64_t)63;
}

static uint32_t header_crc(const file_header *h)
{
    return (uint32_t)crc32(0L, (const Bytef *)h, (uInt)offsetof(file_header, crc));
}

/* The layout for cap row slots of dim floats and a model of model_len
 * bytes. */
static void layout(file_header *h)
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
static int read_header(const unsigned char *map, size_t len, file_header *h)
{
    memset(h, 0, sizeof *h);
    if (len < HEADER_BYTES)
        return 0;
    memcpy(h, map, sizeof *h);
    if (memcmp(h->magic, MAGIC, 8) != 0)
        return 0;
    if (h->version == FORMAT_VERSION)
        return h->crc == header_crc(h);
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
static char *with_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), k = strlen(suffix);
    char *p = malloc(n + k + 1);
    if (p) {
        memcpy(p, path, n);
        memcpy(p + n, suffix, k + 1);
    }
    return p;
}

char *lm_vec_cache_path(lm_store *s)
{
    const char *db = sqlite3_db_filename(lm_store_sqlite(s), "main");
    if (!db || !*db)
        return NULL;
    return with_suffix(db, ".vectors");
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
    if (c->map)
        munmap(c->map, c->map_len);
    free(c->model_heap);
    memset(c, 0, sizeof *c);
}

static char *next_path(const char *path)
{
    return with_suffix(path, ".next");
}

/* Maps path when it is the file file_id of this model, with its first
 * n rows (the database's count) as the matrix; 0 otherwise (missing,
 * foreign, damaged).  Slots past n are ignored: an append a crash stopped
 * before its commit, or one committing now (the file's length never
 * changes, so a reader's mapping stays whole while rows are appended). */
static int map_file(const char *path, const lm_vec_model_info *info, int64_t file_id,
                    uint64_t n, lm_vec_cache *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size >= HEADER_BYTES)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return 0;
    file_header h;
    int ok = read_header(map, (size_t)st.st_size, &h);
    file_header want = h;
    layout(&want);
    ok = ok && want.off_pmids == h.off_pmids && want.off_years == h.off_years &&
         want.off_scales == h.off_scales && h.quantized <= 1 &&
         h.byte_order == BYTE_ORDER_MARK && h.sizes == type_sizes() &&
         h.model_id == info->id && h.dim == (uint32_t)info->dim && h.file_id == file_id &&
         strncmp(h.created_at, info->created_at, sizeof h.created_at) == 0 &&
         h.cap < ((uint64_t)1 << 40) && h.model_len < ((uint64_t)1 << 40) && n <= h.cap &&
         want.off_data == h.off_data && want.off_model == h.off_model &&
         want.file_len == h.file_len && h.file_len == (uint64_t)st.st_size;
    unsigned char *base = map;
    /* Version 4 checked its whole payload; version 5 checks the model
     * only (the rows are appended in place and are the database's to
     * count), so an open reads no row it does not search. */
    if (ok && h.version == FORMAT_VERSION_V4)
        ok = n == h.n && XXH3_64bits(base + HEADER_BYTES, (size_t)h.file_len - HEADER_BYTES) ==
                             h.payload_xxh64;
    else if (ok)
        ok = XXH3_64bits(base + h.off_model, (size_t)h.model_len) == h.model_xxh64;
    if (!ok) {
        munmap(map, (size_t)st.st_size);
        return 0;
    }
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
    return 1;
}

/* The file of a model that is not current (being built): "<file>.m<id>",
 * so that compacting it as it is embedded leaves the current model's
 * file alone. */
static char *build_path(const char *path, int64_t model_id)
{
    size_t n = strlen(path) + 32;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s.m%lld", path, (long long)model_id);
    return p;
}

/* Maps the file the database names (the header's model and file ids say
 * which): path, path.next (a compaction committed and was stopped before
 * its rename), or the same two of the model's build path (a model made
 * current without a compaction). */
static int map_named(const char *path, const lm_vec_model_info *info, int64_t file_id,
                     uint64_t n, lm_vec_cache *out, char **mapped)
{
    char *build = build_path(path, info->id);
    const char *bases[2] = {path, build};
    int ok = 0;
    for (int i = 0; i < 2 && !ok && bases[i]; i++) {
        ok = map_file(bases[i], info, file_id, n, out);
        if (ok && mapped)
            *mapped = strdup(bases[i]);
        char *next = ok ? NULL : next_path(bases[i]);
        ok = ok || (next && map_file(next, info, file_id, n, out));
        free(next);
    }
    free(build);
    return ok;
}

/* ---- the database's side ---------------------------------------------- */

typedef struct file_rec {
    int found;
    int64_t file_id, n;
    int model_in_file;
} file_rec;

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

static lm_status read_file_rec(lm_store *s, int64_t model_id, file_rec *r, lm_error *err)
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

/* The file's rows that no longer count, ascending. */
static lm_status load_gone(lm_store *s, int64_t model_id, int64_t **out, size_t *n,
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
        if (*n == cap) {
            size_t nc = cap ? 2 * cap : 256;
            int64_t *v = realloc(*out, nc * sizeof *v);
            if (!v) {
                ls = lm_error_set(err, LM_ERR_NOMEM, "reading the vector file: out of memory");
                break;
            }
            *out = v;
            cap = nc;
        }
        (*out)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "reading the vector file's void rows");
    sqlite3_finalize(st);
    return ls;
}

static lm_status count_full(lm_store *s, int64_t model_id, int64_t *n, lm_error *err)
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
static lm_status model_by_id(lm_store *s, int64_t id, lm_vec_model_info *info, int *found,
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

static lm_status missing_file(lm_store *s, const char *path, int64_t model_id, lm_error *err)
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

typedef lm_status (*emit_fn)(void *ctx, int64_t pmid, float scale, const void *bytes);

typedef struct merger {
    const lm_vec_matrix *file;   /* NULL: none */
    const int64_t *gone;
    size_t n_gone, i, g;
    int quantized, dim;
    lm_vec_matrix one;           /* quantizes a float row for an int8 target */
    float *row;                  /* decodes an int8 file row for a float target */
    emit_fn emit;
    void *ctx;
    lm_error *err;
} merger;

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

/* Emits the file's rows before limit; a row at limit is replaced. */
static lm_status emit_file_until(merger *m, int64_t limit)
{
    lm_status ls = LM_OK;
    while (ls == LM_OK && m->file && m->i < m->file->n && m->file->pmids[m->i] < limit) {
        if (!is_gone(m, m->file->pmids[m->i]))
            ls = emit_file_row(m, m->i);
        m->i++;
    }
    if (m->file && m->i < m->file->n && m->file->pmids[m->i] == limit)
        m->i++;
    return ls;
}

static lm_status merge_full_row(void *ctx, const lm_vec_stored *r)
{
    merger *m = ctx;
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

static lm_status merge_run(lm_store *s, int64_t model_id, merger *m)
{
    m->i = m->g = 0;
    lm_status ls = lm_vec_each_stored(s, model_id, m->dim, merge_full_row, m, m->err);
    return ls == LM_OK ? emit_file_until(m, INT64_MAX) : ls;
}

static lm_status merger_init(merger *m, const lm_vec_matrix *file, const int64_t *gone,
                             size_t n_gone, int quantized, int dim, lm_error *err)
{
    memset(m, 0, sizeof *m);
    m->file = file;
    m->gone = gone;
    m->n_gone = n_gone;
    m->quantized = quantized;
    m->dim = dim;
    m->err = err;
    lm_vec_matrix_init_quantized(&m->one);
    m->row = malloc((size_t)dim * sizeof *m->row);
    return m->row ? LM_OK : lm_error_set(err, LM_ERR_NOMEM, "vector file: out of memory");
}

static void merger_free(merger *m)
{
    lm_vec_matrix_free(&m->one);
    free(m->row);
}

/* The first full row's format decides a new file's encoding
 * (lm_vec_matrix_load's rule). */
static lm_status first_format(void *ctx, const lm_vec_stored *r)
{
    *(int *)ctx = (int)r->format;
    return LM_ERR_ABORTED;
}

static lm_status count_emit(void *ctx, int64_t pmid, float scale, const void *bytes)
{
    (void)pmid, (void)scale, (void)bytes;
    ++*(uint64_t *)ctx;
    return LM_OK;
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

/* ---- crash tests ------------------------------------------------------
 * In the test builds (sanitizer builds define LM_CRASH_POINTS; a release
 * binary has no such hook), LITMINE_TEST_COMPACT_KILL=N kills the process
 * (SIGKILL, as kill -9) at step N of a compaction: 1 after .next is
 * written, 2 after the database commit, 3 after the rename; of an append:
 * 4 after the rows are written (not synced), 5 after they are synced
 * (not committed), 6 after the commit. */
static void crash_point(int step)
{
#ifdef LM_CRASH_POINTS
    const char *v = getenv("LITMINE_TEST_COMPACT_KILL");
    if (v && atoi(v) == step)
        kill(getpid(), SIGKILL);
#else
    (void)step;
#endif
}

/* ---- writing a file, streamed ----------------------------------------
 *
 * Written row by row, never from a matrix in memory (at 36M abstracts the
 * vectors alone are ~10 GB): a first pass counts the rows (the layout
 * depends on it), the second writes each where the layout puts it.
 * PMIDs, years and int8 scales — 14 bytes a row — go through a mapping of
 * the new file (the years are filled by PMID lookups); the vector rows and
 * the model through a small buffer, and the checksum is computed by
 * reading the payload back in chunks. */

#define STREAM_CHUNK ((size_t)1 << 20)

typedef struct stream_writer {
    file_header h;
    int fd;
    unsigned char *map;      /* header, PMIDs, years and scales, read-write */
    size_t row;              /* rows written */
    size_t row_bytes;
    unsigned char *buf;      /* vector rows waiting to be written */
    size_t buf_len;
    uint64_t buf_off;        /* where buf's first byte goes */
    int io_failed;
    lm_error *err;
} stream_writer;

static int pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
    const unsigned char *b = p;
    while (n > 0) {
        ssize_t w = pwrite(fd, b, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

static void flush_rows(stream_writer *w)
{
    if (w->buf_len && pwrite_all(w->fd, w->buf, w->buf_len, w->buf_off) != 0)
        w->io_failed = 1;
    w->buf_off += w->buf_len;
    w->buf_len = 0;
}

static lm_status write_emit(void *ctx, int64_t pmid, float scale, const void *bytes)
{
    stream_writer *w = ctx;
    if (w->row >= w->h.n)   /* cannot happen inside one read transaction */
        return lm_error_set(w->err, LM_ERR_DB, "vectors changed while being compacted");
    size_t i = w->row++;
    ((int64_t *)(void *)(w->map + w->h.off_pmids))[i] = pmid;
    if (w->h.quantized)
        ((float *)(void *)(w->map + w->h.off_scales))[i] = scale;
    if (w->buf_len + w->row_bytes > STREAM_CHUNK)
        flush_rows(w);
    memcpy(w->buf + w->buf_len, bytes, w->row_bytes);
    w->buf_len += w->row_bytes;
    return LM_OK;
}

/* Writes the merger's rows into slots [first, first + count) of the open
 * file fd laid out as h, with their years, and syncs them (crash_step:
 * the crash point between the write and the sync).  Slots before first
 * are not written: a reader maps them meanwhile. */
static lm_status fill_rows(lm_store *s, int fd, const file_header *h, uint64_t first,
                           uint64_t count, merger *m, int crash_step, lm_error *err)
{
    stream_writer w;
    memset(&w, 0, sizeof w);
    w.err = err;
    w.h = *h;
    w.h.n = first + count;
    w.fd = fd;
    w.row = (size_t)first;
    w.row_bytes = (size_t)h->dim * (h->quantized ? 1 : sizeof(float));
    w.buf = malloc(STREAM_CHUNK);
    w.buf_off = h->off_data + first * w.row_bytes;
    size_t map_len = (size_t)h->off_data;
    lm_status ls = LM_OK;
    int ok = w.buf != NULL;
    if (ok) {
        void *mp = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        w.map = mp == MAP_FAILED ? NULL : mp;
        ok = w.map != NULL;
    }
    if (ok) {
        m->emit = write_emit;
        m->ctx = &w;
        ls = merge_run(s, h->model_id, m);
        flush_rows(&w);
        ok = ls == LM_OK && !w.io_failed && w.row == w.h.n;
    }
    if (ok && count) {
        lm_vec_matrix years = {.dim = (int)h->dim, .n = (size_t)count,
                               .pmids = (int64_t *)(void *)(w.map + h->off_pmids) + first,
                               .years = (int16_t *)(void *)(w.map + h->off_years) + first};
        ls = lm_vec_matrix_load_years(&years, s, err);
        ok = ls == LM_OK;
    }
    if (ok)
        crash_point(crash_step);
    ok = ok && msync(w.map, map_len, MS_SYNC) == 0 && fsync(fd) == 0;
    if (w.map)
        munmap(w.map, map_len);
    free(w.buf);
    if (!ok && ls == LM_OK)
        ls = lm_error_set(err, LM_ERR_IO, "writing the vector file failed: %s",
                          errno ? strerror(errno) : "short write");
    return ls;
}

/* Writes the merged rows and the model to path (created or truncated),
 * with room for cap rows, fsynced.  The header goes last: a crash leaves
 * a file no header names. */
static lm_status write_file(lm_store *s, const char *path, const lm_vec_model_info *info,
                            int64_t file_id, merger *m, uint64_t n, uint64_t cap,
                            const void *model, size_t model_len, lm_error *err)
{
    file_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, 8);
    h.version = FORMAT_VERSION;
    h.byte_order = BYTE_ORDER_MARK;
    h.sizes = type_sizes();
    h.dim = (uint32_t)info->dim;
    h.quantized = (uint32_t)m->quantized;
    h.model_id = info->id;
    h.file_id = file_id;
    h.n = n;
    h.cap = cap;
    h.model_len = model_len;
    h.model_xxh64 = XXH3_64bits(model, model_len);
    snprintf(h.created_at, sizeof h.created_at, "%s", info->created_at);
    layout(&h);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    lm_status ls = LM_OK;
    int ok = ftruncate(fd, (off_t)h.file_len) == 0;
    if (ok) {
        ls = fill_rows(s, fd, &h, 0, n, m, 0, err);
        ok = ls == LM_OK;
    }
    for (uint64_t off = 0; ok && off < model_len; off += STREAM_CHUNK) {
        size_t k = model_len - off < STREAM_CHUNK ? (size_t)(model_len - off) : STREAM_CHUNK;
        ok = pwrite_all(fd, (const unsigned char *)model + off, k, h.off_model + off) == 0;
    }
    ok = ok && fsync(fd) == 0;
    if (ok) {
        h.crc = header_crc(&h);
        unsigned char head[HEADER_BYTES];
        memset(head, 0, sizeof head);
        memcpy(head, &h, sizeof h);
        ok = pwrite_all(fd, head, sizeof head, 0) == 0 && fsync(fd) == 0;
    }
    close(fd);
    if (!ok) {
        unlink(path);
        if (ls == LM_OK)
            ls = lm_error_set(err, LM_ERR_IO, "%s: writing the vector file failed", path);
    }
    return ls;
}

static void fsync_dir_of(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return;
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

/* An exclusive lock on "<file>.lock" (created once, never removed), held
 * while the descriptor is open; -1 when another process holds it or the
 * lock file cannot be made (then no compaction runs: the directory is
 * not writable). */
static int lock_compaction(const char *path)
{
    char *p = with_suffix(path, ".lock");
    if (!p)
        return -1;
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    free(p);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* A .next left by a stopped compaction: renamed over the file when the
 * database names it (its commit happened), else removed. */
static lm_status finish_next(lm_store *s, const char *path, lm_error *err)
{
    char *next = next_path(path);
    if (!next)
        return lm_error_set(err, LM_ERR_NOMEM, "vector file: out of memory");
    int fd = open(next, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        free(next);
        return LM_OK;
    }
    unsigned char head[HEADER_BYTES];
    ssize_t got = pread(fd, head, sizeof head, 0);
    close(fd);
    file_header h;
    file_rec r = {0};
    lm_status ls = LM_OK;
    if (got == (ssize_t)sizeof head && read_header(head, sizeof head, &h))
        ls = read_file_rec(s, h.model_id, &r, err);
    if (ls == LM_OK) {
        if (r.found && r.file_id == h.file_id) {
            if (rename(next, path) != 0)
                ls = lm_error_set(err, LM_ERR_IO, "renaming %s: %s", next, strerror(errno));
            else
                fsync_dir_of(path);
        } else {
            unlink(next);
        }
    }
    free(next);
    return ls;
}

/* ---- reading ----------------------------------------------------------- */

/* The current model's description (of kind, NULL: any) and its vectors'
 * generation; *found = 0 when there is none. */
static lm_status current_model(lm_store *s, const char *kind, lm_vec_model_info *info,
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
static int begin_read(sqlite3 *db)
{
    return sqlite3_get_autocommit(db) && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

/* The model's bytes, when the database holds them (a heap copy). */
static lm_status model_in_db(lm_store *s, int64_t id, void **data, size_t *len, lm_error *err)
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

/* Fills out from the store's state inside the caller's read transaction. */
static lm_status open_current(lm_store *s, const char *path, lm_vec_cache *out, lm_error *err)
{
    file_rec r;
    lm_status ls = read_file_rec(s, out->info.id, &r, err);
    if (ls != LM_OK)
        return ls;
    if (!r.found) {   /* never compacted: every vector is a full row */
        void *data = NULL;
        size_t len = 0;
        ls = model_in_db(s, out->info.id, &data, &len, err);
        out->model_heap = data;
        out->model = data;
        out->model_len = len;
        if (ls == LM_OK)
            ls = lm_vec_matrix_load(s, out->info.id, out->info.dim, &out->mat, err);
        out->mat_owned = 1;
        return ls;
    }
    if (!path || !map_named(path, &out->info, r.file_id, (uint64_t)r.n, out, NULL))
        return missing_file(s, path, out->info.id, err);
    if (!r.model_in_file) {
        void *data = NULL;
        size_t len = 0;
        ls = model_in_db(s, out->info.id, &data, &len, err);
        out->model_heap = data;
        out->model = data;
        out->model_len = len;
    }
    int64_t n_full = 0;
    int64_t *gone = NULL;
    size_t n_gone = 0;
    if (ls == LM_OK)
        ls = count_full(s, out->info.id, &n_full, err);
    if (ls == LM_OK)
        ls = load_gone(s, out->info.id, &gone, &n_gone, err);
    /* Rows written since the last compaction: the file's rows and theirs
     * merged into memory (the next compaction makes the mapping whole
     * again). */
    if (ls == LM_OK && (n_full > 0 || n_gone > 0)) {
        lm_vec_matrix file = out->mat, merged;
        int quantized = file.q8 != NULL;
        if (quantized)
            lm_vec_matrix_init_quantized(&merged);
        else
            lm_vec_matrix_init(&merged);
        merged.dim = out->info.dim;
        merger m;
        ls = merger_init(&m, &file, gone, n_gone, quantized, out->info.dim, err);
        heap_builder b = {&merged, m.row, out->info.dim, quantized, err};
        m.emit = heap_emit;
        m.ctx = &b;
        if (ls == LM_OK)
            ls = merge_run(s, out->info.id, &m);
        if (ls == LM_OK)
            ls = lm_vec_matrix_load_years(&merged, s, err);
        merger_free(&m);
        if (ls == LM_OK) {
            out->mat = merged;
            out->mat_owned = 1;
        } else {
            lm_vec_matrix_free(&merged);
        }
    }
    free(gone);
    return ls;
}

lm_status lm_vec_cache_open(lm_store *s, const char *path, const char *kind, lm_vec_cache *out,
                            int *found, lm_error *err)
{
    memset(out, 0, sizeof *out);
    lm_vec_matrix_init(&out->mat);
    *found = 0;
    char *own_path = path ? NULL : lm_vec_cache_path(s);
    if (!path)
        path = own_path;
    sqlite3 *db = lm_store_sqlite(s);
    /* One read transaction: the file's record and the rows agree. */
    int began = begin_read(db);
    int64_t generation = 0;
    lm_status ls = current_model(s, kind, &out->info, &generation, found, err);
    if (ls == LM_OK && *found)
        ls = open_current(s, path, out, err);
    /* A compaction that committed and renamed its file between this read
     * transaction's start and the open: a new snapshot names the new file. */
    for (int retry = 0; retry < 3 && began && ls == LM_ERR_DB && *found; retry++) {
        lm_vec_cache_close(out);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        began = begin_read(db);
        ls = current_model(s, kind, &out->info, &generation, found, err);
        if (ls == LM_OK && *found)
            ls = open_current(s, path, out, err);
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

/* Maps model id's current file (inside the caller's transaction). */
static lm_status map_model_file(lm_store *s, int64_t model_id, lm_vec_cache *c, file_rec *r,
                                lm_error *err)
{
    memset(c, 0, sizeof *c);
    int found = 0;
    lm_status ls = model_by_id(s, model_id, &c->info, &found, err);
    if (ls == LM_OK)
        ls = read_file_rec(s, model_id, r, err);
    if (ls != LM_OK)
        return ls;
    char *path = lm_vec_cache_path(s);
    if (!found || !r->found || !path || !map_named(path, &c->info, r->file_id, (uint64_t)r->n, c, NULL))
        ls = missing_file(s, path, model_id, err);
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
    lm_status ls = map_model_file(s, model_id, &c, &r, err);
    if (ls == LM_OK && !c.model)
        ls = missing_file(s, NULL, model_id, err);
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
    lm_status ls = map_model_file(s, model_id, &c, &r, err);
    long row = ls == LM_OK ? lm_vec_matrix_find(&c.mat, pmid) : -1;
    if (ls == LM_OK && (row < 0 || dim != c.mat.dim))
        ls = missing_file(s, NULL, model_id, err);
    for (int i = 0; ls == LM_OK && i < dim; i++)
        out[i] = c.mat.q8 ? c.mat.scales[row] * (float)c.mat.q8[(size_t)row * (size_t)dim + (size_t)i]
                          : c.mat.data[(size_t)row * (size_t)dim + (size_t)i];
    lm_vec_cache_close(&c);
    return ls;
}

/* ---- compaction -------------------------------------------------------- */

static lm_status exec_bound(lm_store *s, const char *sql, int64_t a, int64_t b, int64_t c,
                            lm_error *err)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(lm_store_sqlite(s), sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return lm_store_fail(s, rc, err, "compacting the vectors");
    int np = sqlite3_bind_parameter_count(st);
    if (np >= 1)
        sqlite3_bind_int64(st, 1, a);
    if (np >= 2)
        sqlite3_bind_int64(st, 2, b);
    if (np >= 3)
        sqlite3_bind_int64(st, 3, c);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? LM_OK
                                                 : lm_store_fail(s, rc, err, "compacting the vectors");
}

/* The commit of a compaction: the rows now in the file emptied, the void
 * marks cleared, the model's bytes moved out, the new file named; nothing
 * when any vector moved since the file was written (0 in *done). */
static lm_status commit_compaction(lm_store *s, const lm_vec_model_info *info, int64_t gen,
                                   const file_rec *old, int64_t file_id, uint64_t n,
                                   int model_moved, size_t model_len, uint64_t model_xxh,
                                   int model_in_file, const lm_vec_activation *act, int *done,
                                   lm_error *err)
{
    *done = 0;
    sqlite3 *db = lm_store_sqlite(s);
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return lm_store_fail(s, rc, err, "compacting the vectors");
    int64_t now_gen = 0;
    file_rec now;
    lm_status ls = lm_vec_generation(s, info->id, &now_gen, err);
    if (ls == LM_OK)
        ls = read_file_rec(s, info->id, &now, err);
    int same = ls == LM_OK && now_gen == gen && now.found == old->found &&
               now.file_id == old->file_id;
    /* The moved rows are deleted and inserted again empty, in PMID order,
     * rather than updated in place: an update leaves every page holding
     * a few 10-byte rows where 14 vectors were (the table would keep its
     * size), a delete frees the pages, and the ordered inserts pack the
     * empty rows into few. */
    if (ls == LM_OK && same)
        ls = exec_bound(s,
                        "CREATE TEMP TABLE IF NOT EXISTS vec_moved"
                        " (pmid INTEGER PRIMARY KEY, format INTEGER NOT NULL)",
                        0, 0, 0, err);
    if (ls == LM_OK && same)
        ls = exec_bound(s, "DELETE FROM temp.vec_moved", 0, 0, 0, err);
    if (ls == LM_OK && same)
        ls = exec_bound(s,
                        "INSERT INTO temp.vec_moved (pmid, format)"
                        " SELECT pmid, format FROM vectors INDEXED BY vectors_full"
                        " WHERE model_id = ?1 AND length(vec) > 0",
                        info->id, 0, 0, err);
    if (ls == LM_OK && same)
        ls = exec_bound(s,
                        "DELETE FROM vectors INDEXED BY vectors_full"
                        " WHERE model_id = ?1 AND length(vec) > 0",
                        info->id, 0, 0, err);
    if (ls == LM_OK && same)
        ls = exec_bound(s,
                        "INSERT INTO vectors (model_id, pmid, format, vec)"
                        " SELECT ?1, pmid, format, x'' FROM temp.vec_moved ORDER BY pmid",
                        info->id, 0, 0, err);
    if (ls == LM_OK && same)
        ls = exec_bound(s, "DELETE FROM temp.vec_moved", 0, 0, 0, err);
    if (ls == LM_OK && same)
        ls = exec_bound(s, "DELETE FROM vector_file_gone WHERE model_id = ?1", info->id, 0, 0,
                        err);
    /* A model becoming current does so in this transaction, with its
     * bytes in the file (or, when small, in its row). */
    if (ls == LM_OK && same && act)
        ls = model_moved ? lm_vec_model_activate(s, info->id, err)
                         : lm_vec_model_activate_with_data(s, info->id, act->data, act->len, err);
    if (ls == LM_OK && same && model_moved)
        ls = exec_bound(s,
                        "UPDATE embed_models SET data = NULL, data_len = ?2, data_xxh64 = ?3"
                        " WHERE id = ?1",
                        info->id, (int64_t)model_len, (int64_t)model_xxh, err);
    if (ls == LM_OK && same) {
        sqlite3_stmt *st;
        rc = sqlite3_prepare_v2(db,
                                "INSERT OR REPLACE INTO vector_files"
                                " (model_id, file_id, n, model_in_file, written_at)"
                                " VALUES (?1, ?2, ?3, ?4, ?5)",
                                -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, info->id);
            sqlite3_bind_int64(st, 2, file_id);
            sqlite3_bind_int64(st, 3, (int64_t)n);
            sqlite3_bind_int(st, 4, model_in_file);
            sqlite3_bind_text(st, 5, lm_store_now(s), -1, SQLITE_TRANSIENT);
            rc = sqlite3_step(st);
            sqlite3_finalize(st);
        }
        if (rc != SQLITE_DONE)
            ls = lm_store_fail(s, rc, err, "recording the vector file");
    }
    if (ls == LM_OK && same) {
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            ls = lm_store_fail(s, rc, err, "compacting the vectors");
        *done = ls == LM_OK;
    }
    if (ls != LM_OK || !same)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return ls;
}

/* ---- appending --------------------------------------------------------
 *
 * The common refresh: an ingest embedded new articles, whose PMIDs sort
 * after every row of the file, and voided none of its rows.  Their rows go
 * into the file's spare slots in place (after the rows the database
 * counts), are synced, and one commit empties their rows and records the
 * new count: the cost is that of the new rows, not of the corpus.  A crash
 * before the commit leaves bytes past the count, ignored by readers and
 * overwritten by the next append; the file keeps its id and length, so a
 * reader's mapping stays valid while rows are appended behind its count.
 * Anything else (a void row, a row out of PMID order, a new model, a full
 * file, a version 4 file) rewrites the file. */

typedef struct append_scan {
    uint64_t n;
    int64_t first_pmid;
} append_scan;

static lm_status scan_emit(void *ctx, int64_t pmid, float scale, const void *bytes)
{
    (void)scale, (void)bytes;
    append_scan *a = ctx;
    if (a->n++ == 0)
        a->first_pmid = pmid;
    return LM_OK;
}

/* Appends the full rows to file (mapped as old, of record r) when they
 * may be: *k rows written and synced (0: rewrite instead).  gone: the void
 * marks, which the triggers also set for new PMIDs (a mark masks a file
 * row only if there is one); a mark on a row of the file rewrites it. */
static lm_status append_rows(lm_store *s, const char *file, const lm_vec_cache *old,
                             const file_rec *r, const int64_t *gone, size_t n_gone, merger *m,
                             uint64_t *k, lm_error *err)
{
    *k = 0;
    for (size_t i = 0; i < n_gone; i++)
        if (lm_vec_matrix_find(&old->mat, gone[i]) >= 0)
            return LM_OK;
    append_scan a = {0, 0};
    m->file = NULL;   /* the full rows alone */
    m->emit = scan_emit;
    m->ctx = &a;
    lm_status ls = merge_run(s, old->info.id, m);
    const lm_vec_matrix *f = &old->mat;
    file_header h;
    if (ls != LM_OK || a.n == 0 || !read_header(old->map, old->map_len, &h) ||
        h.version != FORMAT_VERSION || (uint64_t)r->n + a.n > h.cap ||
        (f->n > 0 && a.first_pmid <= f->pmids[f->n - 1]))
        return ls;
    int fd = open(file, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", file, strerror(errno));
    ls = fill_rows(s, fd, &h, (uint64_t)r->n, a.n, m, 4, err);
    close(fd);
    if (ls == LM_OK)
        *k = a.n;
    return ls;
}

/* Compacts model_id (0: the current model of kind, NULL: any): see the
 * file comment.  act: the model becomes current in the same commit, its
 * bytes (act->data) written into the file when large. */
static lm_status compact(lm_store *s, int64_t model_id, const char *kind,
                         const lm_vec_activation *act, int *nothing, lm_error *err)
{
    *nothing = 1;
    char *path = lm_vec_cache_path(s);
    if (!path || lm_store_is_readonly(s)) {   /* an in-memory database has no file */
        free(path);
        return LM_OK;
    }
    sqlite3 *db = lm_store_sqlite(s);
    /* Inside the caller's transaction the rows may yet roll back: only a
     * committed state is compacted. */
    if (!sqlite3_get_autocommit(db)) {
        free(path);
        return LM_OK;
    }
    /* One compaction at a time writes .next: another one running (a
     * second ingest) is left to finish, and the next refresh compacts. */
    int lock = lock_compaction(path);
    if (lock < 0) {
        free(path);
        return LM_OK;
    }
    /* The current model's file is "<database>.vectors"; a model being
     * built has its own until it becomes current. */
    int to_base = act || !model_id;
    lm_status ls = LM_OK;
    if (!to_base) {
        lm_vec_model_info cur;
        int have = 0;
        ls = lm_vec_model_current_info(s, &cur, &have, err);
        to_base = have && cur.id == model_id;
    }
    char *build = ls == LM_OK && model_id ? build_path(path, model_id) : NULL;
    const char *target = to_base ? path : build;
    if (ls == LM_OK && !target)
        ls = lm_error_set(err, LM_ERR_NOMEM, "vector file: out of memory");
    if (ls == LM_OK)
        ls = finish_next(s, target, err);
    char *next = ls == LM_OK ? next_path(target) : NULL;
    int began = ls == LM_OK && next && begin_read(db);
    lm_vec_cache old;
    memset(&old, 0, sizeof old);
    lm_vec_matrix_init(&old.mat);
    int64_t gen = 0, n_full = 0, *gone = NULL, file_id = 0;
    size_t n_gone = 0, model_len = 0;
    void *db_model = NULL;
    const void *model = NULL;
    int found = 0, work = 0, model_moved = 0;
    file_rec r = {0};
    uint64_t n = 0, appended = 0;
    char *mapped = NULL;
    merger m;
    memset(&m, 0, sizeof m);
    if (began && model_id) {
        ls = model_by_id(s, model_id, &old.info, &found, err);
        if (ls == LM_OK && found)
            ls = lm_vec_generation(s, model_id, &gen, err);
    } else if (began) {
        ls = current_model(s, kind, &old.info, &gen, &found, err);
    }
    if (ls == LM_OK && found)
        ls = read_file_rec(s, old.info.id, &r, err);
    if (ls == LM_OK && found && r.found && !map_named(path, &old.info, r.file_id, (uint64_t)r.n, &old,
                                                  &mapped))
        ls = missing_file(s, path, old.info.id, err);
    if (ls == LM_OK && found)
        ls = count_full(s, old.info.id, &n_full, err);
    if (ls == LM_OK && found)
        ls = load_gone(s, old.info.id, &gone, &n_gone, err);
    if (ls == LM_OK && found && !act)
        ls = model_in_db(s, old.info.id, &db_model, &model_len, err);
    if (ls == LM_OK && found) {
        if (act) {
            model_moved = act->len >= MODEL_IN_FILE_MIN;
            model = act->data;
            model_len = model_moved ? act->len : 0;
        } else {
            model_moved = db_model && model_len >= MODEL_IN_FILE_MIN;
            if (model_moved)
                model = db_model;
            else if (r.found && r.model_in_file)
                model = old.model, model_len = old.model_len;
            else
                model_len = 0;
        }
        work = act || !r.found || n_full > 0 || n_gone > 0 || model_moved;
    }
    if (ls == LM_OK && work) {
        int fmt = -1;
        int quantized;
        if (r.found) {
            quantized = old.mat.q8 != NULL;
        } else {
            lm_status fs = lm_vec_each_stored(s, old.info.id, old.info.dim, first_format, &fmt, err);
            if (fs != LM_OK && fs != LM_ERR_ABORTED)
                ls = fs;
            quantized = fmt < 0 || fmt == LM_VEC_I8;
        }
        if (ls == LM_OK)
            ls = merger_init(&m, r.found ? &old.mat : NULL, gone, n_gone, quantized,
                             old.info.dim, err);
        if (ls == LM_OK && r.found && !act && !model_moved && mapped && strcmp(mapped, target) == 0)
            ls = append_rows(s, target, &old, &r, gone, n_gone, &m, &appended, err);
        m.file = r.found ? &old.mat : NULL;
        m.emit = count_emit;
        m.ctx = &n;
        if (ls == LM_OK && !appended)
            ls = merge_run(s, old.info.id, &m);
        do
            sqlite3_randomness(sizeof file_id, &file_id);
        while (file_id == 0 || file_id == r.file_id);
        /* Room for CAP_FACTOR times the rows: the ingests that follow
         * append (the rewrites are a geometric series: each row is
         * rewritten a bounded number of times on average). */
        uint64_t cap = n * CAP_FACTOR > n + MIN_SPARE ? n * CAP_FACTOR : n + MIN_SPARE;
        if (ls == LM_OK && !appended)
            ls = write_file(s, next, &old.info, file_id, &m, n, cap, model, model_len, err);
        if (appended) {
            file_id = r.file_id;
            n = (uint64_t)r.n + appended;
        }
    }
    uint64_t model_xxh = model_moved ? XXH3_64bits(model, model_len) : 0;
    int model_in_file = model_len > 0;
    free(db_model);
    merger_free(&m);
    free(gone);
    lm_vec_model_info info = old.info;
    lm_vec_cache_close(&old);
    if (began)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    free(mapped);
    if (ls == LM_OK && appended) {
        crash_point(5);
        int done = 0;
        ls = commit_compaction(s, &info, gen, &r, file_id, n, 0, 0, 0, r.model_in_file, NULL,
                               &done, err);
        *nothing = !(ls == LM_OK && done);
        if (!*nothing)
            crash_point(6);
    } else if (ls == LM_OK && work) {
        crash_point(1);
        int done = 0;
        ls = commit_compaction(s, &info, gen, &r, file_id, n, model_moved, model_len,
                               model_xxh, model_in_file, act, &done, err);
        if (ls == LM_OK && done) {
            *nothing = 0;
            crash_point(2);
            if (rename(next, target) != 0)
                ls = lm_error_set(err, LM_ERR_IO, "renaming %s: %s", next, strerror(errno));
            else
                fsync_dir_of(target);
            crash_point(3);
            /* A model now current leaves its build file behind. */
            char *old_build = to_base ? build_path(path, info.id) : NULL;
            if (old_build)
                unlink(old_build);
            free(old_build);
        } else {
            unlink(next);   /* a vector moved meanwhile: the next refresh compacts */
        }
    } else if (work) {
        unlink(next);
    }
    close(lock);   /* releases the lock */
    free(next);
    free(build);
    free(path);
    return ls;
}

lm_status lm_vec_cache_refresh(lm_store *s, const char *kind, lm_error *err)
{
    int nothing;
    return compact(s, 0, kind, NULL, &nothing, err);
}

lm_status lm_vec_cache_compact_model(lm_store *s, int64_t model_id, lm_error *err)
{
    int nothing;
    return compact(s, model_id, NULL, NULL, &nothing, err);
}

lm_status lm_vec_cache_activate(lm_store *s, int64_t model_id, const void *data, size_t len,
                                lm_error *err)
{
    lm_vec_activation act = {data, len};
    int nothing = 1;
    lm_status ls = compact(s, model_id, NULL, &act, &nothing, err);
    if (ls != LM_OK || !nothing)
        return ls;
    /* No file (an in-memory database) or a vector moved meanwhile: the
     * model becomes current with its bytes in its row, and the next
     * compaction moves them. */
    ls = lm_store_begin(s, err);
    if (ls == LM_OK)
        ls = lm_vec_model_activate_with_data(s, model_id, data, len, err);
    if (ls == LM_OK)
        ls = lm_store_commit(s, err);
    if (ls != LM_OK)
        lm_store_rollback(s, NULL);
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
    if (ls == LM_OK && (int64_t)c.mat.n != c.info.n_vectors)
        ls = lm_error_set(err, LM_ERR_DB,
                          "vectors: the database lists %lld vectors of model %lld, %zu are "
                          "readable; run `litmine index build` to fit and embed again",
                          (long long)c.info.n_vectors, (long long)c.info.id, c.mat.n);
    lm_vec_cache_close(&c);
    return ls;
}
