/*
 * lm_vec_cache: the mapped copy of the current model and its vectors (see
 * lm_vec_cache.h).
 *
 * File layout, native byte order (a byte-order mark and the type sizes are
 * checked: the file is a per-machine cache, never exchanged):
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
 * The vectors keep the matrix's encoding: int8 (the default) is the
 * store's own bytes, never re-rounded, and a quarter of float32's size.
 *
 * The data read from the store and the generation it is compared with come
 * from one read transaction, so a writer committing meanwhile can only
 * make the file look stale, never make a stale file look fresh.  The
 * payload's checksum is verified on every open (XXH3 reads the 200 MB of
 * 100,000 vectors and their model in about 20 ms): a flipped byte in the
 * vectors or the model makes the file damaged like a bad header, so the
 * data comes from SQLite and the file is written again, and a damaged
 * model in the file can never make every query fail.
 *
 * The file stays a copy, and the vectors and the LSA model are therefore
 * stored twice (issue [4/7] asked for once; not done yet): SQLite keeps
 * them because every write to them — an ingest's refresh embedding a
 * few new articles, a deletion, a model switch — is then one transaction
 * with the articles it belongs to, crash-safe and resumable, and a
 * missing or damaged file costs one rewrite.  Making the mapped file the
 * one copy means appending and deleting rows in it under its own
 * journal; at 1M abstracts the second copy costs about 270 bytes of
 * vector and 104 bytes of model per abstract (bench/README.md).
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

#define MAGIC "LMVECCH1"
#define FORMAT_VERSION 3u   /* 2: payload checksum; 3: int8 vectors */
#define BYTE_ORDER_MARK 0x01020304u
#define HEADER_BYTES 256

typedef struct file_header {
    char magic[8];
    uint32_t version, byte_order, sizes;   /* sizes: float, int64, int16 */
    uint32_t dim;
    uint32_t quantized;   /* 1: int8 rows with scales */
    int64_t model_id, generation;
    uint64_t n, model_len;
    uint64_t off_pmids, off_years, off_scales, off_data, off_model, file_len;
    char created_at[32];
    uint64_t payload_xxh64;   /* XXH3-64 of bytes [HEADER_BYTES, file_len) */
    uint32_t crc;
} file_header;

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

/* The layout for n rows of dim floats and a model of model_len bytes. */
static void layout(file_header *h)
{
    h->off_pmids = HEADER_BYTES;
    h->off_years = h->off_pmids + h->n * sizeof(int64_t);
    h->off_scales = align64(h->off_years + h->n * sizeof(int16_t));
    h->off_data = h->quantized ? align64(h->off_scales + h->n * sizeof(float)) : h->off_scales;
    /* The model is 64-byte aligned too: its float arrays are used in
     * place (lm_embed_model_map). */
    h->off_model =
        align64(h->off_data + h->n * (uint64_t)h->dim * (h->quantized ? 1 : sizeof(float)));
    h->file_len = h->off_model + h->model_len;
}

char *lm_vec_cache_path(lm_store *s)
{
    const char *db = sqlite3_db_filename(lm_store_sqlite(s), "main");
    if (!db || !*db)
        return NULL;
    size_t n = strlen(db);
    char *p = malloc(n + sizeof ".vectors");
    if (p) {
        memcpy(p, db, n);
        memcpy(p + n, ".vectors", sizeof ".vectors");
    }
    return p;
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
    if (c->map) {
        munmap(c->map, c->map_len);
        lm_vec_matrix_init(&c->mat);   /* its arrays were in the mapping */
    } else {
        lm_vec_matrix_free(&c->mat);
    }
    free(c->model_heap);
    memset(c, 0, sizeof *c);
}

/* Maps path when it holds exactly this model and generation; 0 otherwise
 * (missing, stale, damaged: all mean "read the store"). */
static int map_file(const char *path, const lm_vec_model_info *info, int64_t generation,
                    lm_vec_cache *out)
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
    memcpy(&h, map, sizeof h);
    file_header want = h;
    layout(&want);
    int ok = memcmp(h.magic, MAGIC, 8) == 0 && h.version == FORMAT_VERSION &&
             want.off_pmids == h.off_pmids && want.off_years == h.off_years &&
             want.off_scales == h.off_scales && h.quantized <= 1 &&
             h.byte_order == BYTE_ORDER_MARK && h.sizes == type_sizes() &&
             h.crc == header_crc(&h) && h.model_id == info->id && h.dim == (uint32_t)info->dim &&
             h.generation == generation &&
             strncmp(h.created_at, info->created_at, sizeof h.created_at) == 0 &&
             h.n < ((uint64_t)1 << 40) && h.model_len < ((uint64_t)1 << 40) &&
             want.off_data == h.off_data && want.off_model == h.off_model &&
             want.file_len == h.file_len && h.file_len == (uint64_t)st.st_size;
    unsigned char *base = map;
    if (ok && XXH3_64bits(base + HEADER_BYTES, (size_t)h.file_len - HEADER_BYTES) !=
                  h.payload_xxh64)
        ok = 0;
    if (!ok) {
        munmap(map, (size_t)st.st_size);
        return 0;
    }
    out->map = map;
    out->map_len = (size_t)st.st_size;
    out->mat.dim = (int)h.dim;
    out->mat.n = (size_t)h.n;
    out->mat.cap = 0;
    out->mat.pmids = (int64_t *)(void *)(base + h.off_pmids);
    out->mat.years = (int16_t *)(void *)(base + h.off_years);
    if (h.quantized) {
        out->mat.scales = (float *)(void *)(base + h.off_scales);
        out->mat.q8 = (int8_t *)(void *)(base + h.off_data);
    } else {
        out->mat.data = (float *)(void *)(base + h.off_data);
    }
    out->model = base + h.off_model;
    out->model_len = (size_t)h.model_len;
    out->from_file = 1;
    return 1;
}

/* ---- writing the file, streamed from the store ------------------------
 *
 * The file is written from the store row by row, never from a matrix in
 * memory (at 36M abstracts the vectors alone are ~10 GB): a first pass
 * over the stored vectors counts the rows (the layout depends on it), the
 * second writes each row where the layout puts it.  PMIDs, years and int8
 * scales — 14 bytes a row — are written through a mapping of the
 * temporary file (the years are filled by PMID lookups); the vector rows
 * and the model go out through a small buffer, and the checksum is
 * computed by reading the payload back in chunks. */

#define STREAM_CHUNK ((size_t)1 << 20)

typedef struct stream_writer {
    file_header h;
    int fd;
    unsigned char *map;      /* the temporary file, mapped read-write */
    size_t row;              /* rows written */
    int dim, first_format;   /* first_format: -1 until the first row */
    lm_vec_matrix one;       /* quantizes a float row for an int8 file */
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

static lm_status count_row(void *ctx, const lm_vec_stored *r)
{
    stream_writer *w = ctx;
    if (w->first_format < 0)
        w->first_format = (int)r->format;   /* lm_vec_matrix_load's rule */
    w->h.n += r->finite != 0;
    return LM_OK;
}

static lm_status write_row(void *ctx, const lm_vec_stored *r)
{
    stream_writer *w = ctx;
    if (!r->finite)
        return LM_OK;
    if (w->row >= w->h.n)   /* cannot happen inside one read transaction */
        return lm_error_set(w->err, LM_ERR_DB, "vectors changed while being cached");
    size_t i = w->row++;
    ((int64_t *)(void *)(w->map + w->h.off_pmids))[i] = r->pmid;
    size_t row_bytes = (size_t)w->dim * (w->h.quantized ? 1 : sizeof(float));
    const void *bytes = r->decoded;
    if (w->h.quantized) {
        float scale;
        if (r->format == LM_VEC_I8) {   /* kept as stored, never re-rounded */
            scale = lm_f32_from_bits(lm_le32_get(r->blob));
            bytes = r->blob + 4;
        } else {
            w->one.n = 0;
            lm_status ls = lm_vec_matrix_push(&w->one, r->pmid, 0, r->decoded, w->dim, w->err);
            if (ls != LM_OK)
                return ls;
            scale = w->one.scales[0];
            bytes = w->one.q8;
        }
        ((float *)(void *)(w->map + w->h.off_scales))[i] = scale;
    }
    if (w->buf_len + row_bytes > STREAM_CHUNK)
        flush_rows(w);
    memcpy(w->buf + w->buf_len, bytes, row_bytes);
    w->buf_len += row_bytes;
    return LM_OK;
}

/* The XXH3-64 of the file's bytes [from, to), read back in chunks. */
static int hash_back(int fd, unsigned char *buf, uint64_t from, uint64_t to, uint64_t *out)
{
    XXH3_state_t *xs = XXH3_createState();
    if (!xs)
        return -1;
    XXH3_64bits_reset(xs);
    int bad = 0;
    for (uint64_t off = from; off < to && !bad;) {
        size_t n = to - off < STREAM_CHUNK ? (size_t)(to - off) : STREAM_CHUNK;
        ssize_t r = pread(fd, buf, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            bad = 1;
            break;
        }
        XXH3_64bits_update(xs, buf, (size_t)r);
        off += (uint64_t)r;
    }
    *out = XXH3_64bits_digest(xs);
    XXH3_freeState(xs);
    return bad ? -1 : 0;
}

/* Writes the cache file of model info (its bytes: model, model_len) at
 * generation from the store.  Best effort: *written = 0 when the file
 * could not be written (an unwritable directory is only a slower start);
 * an error is returned only for a failure of the store itself. */
static lm_status stream_file(lm_store *s, const char *path, const lm_vec_model_info *info,
                             int64_t generation, const void *model, size_t model_len,
                             int *written, lm_error *err)
{
    *written = 0;
    stream_writer w;
    memset(&w, 0, sizeof w);
    w.dim = info->dim;
    w.first_format = -1;
    w.err = err;
    lm_status ls = lm_vec_each_stored(s, info->id, info->dim, count_row, &w, err);
    if (ls != LM_OK)
        return ls;
    file_header *h = &w.h;
    memcpy(h->magic, MAGIC, 8);
    h->version = FORMAT_VERSION;
    h->byte_order = BYTE_ORDER_MARK;
    h->sizes = type_sizes();
    h->dim = (uint32_t)info->dim;
    h->quantized = w.first_format == LM_VEC_I8;
    h->model_id = info->id;
    h->generation = generation;
    h->model_len = model_len;
    snprintf(h->created_at, sizeof h->created_at, "%s", info->created_at);
    layout(h);
    lm_vec_matrix_init_quantized(&w.one);

    lm_file_atomic a;
    lm_error ignored;
    if (lm_file_atomic_begin(&a, path, &ignored) != LM_OK)
        return LM_OK;
    /* lm_file_atomic's stream is write-only; mapping and reading back
     * need a read-write descriptor of the same temporary file. */
    w.fd = open(a.tmp, O_RDWR | O_CLOEXEC);
    w.buf = malloc(STREAM_CHUNK);
    w.buf_off = h->off_data;
    int ok = w.fd >= 0 && w.buf && ftruncate(w.fd, (off_t)h->file_len) == 0;
    /* The mapping covers the header, PMIDs, years and scales only. */
    size_t map_len = (size_t)h->off_data;
    if (ok) {
        void *m = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, w.fd, 0);
        w.map = m == MAP_FAILED ? NULL : m;
        ok = w.map != NULL;
    }
    if (ok) {
        ls = lm_vec_each_stored(s, info->id, info->dim, write_row, &w, err);
        flush_rows(&w);
        ok = ls == LM_OK && !w.io_failed && w.row == h->n;
    }
    if (ok) {
        lm_vec_matrix years = {.dim = info->dim, .n = (size_t)h->n,
                               .pmids = (int64_t *)(void *)(w.map + h->off_pmids),
                               .years = (int16_t *)(void *)(w.map + h->off_years)};
        ls = lm_vec_matrix_load_years(&years, s, err);
        ok = ls == LM_OK;
    }
    for (uint64_t off = 0; ok && off < model_len; off += STREAM_CHUNK) {
        size_t n = model_len - off < STREAM_CHUNK ? (size_t)(model_len - off) : STREAM_CHUNK;
        ok = pwrite_all(w.fd, (const unsigned char *)model + off, n, h->off_model + off) == 0;
    }
    /* The payload as it is on disk (mapped pages included: one page cache). */
    ok = ok && msync(w.map, map_len, MS_SYNC) == 0 &&
         hash_back(w.fd, w.buf, HEADER_BYTES, h->file_len, &h->payload_xxh64) == 0;
    if (ok) {
        h->crc = header_crc(h);
        memset(w.map, 0, HEADER_BYTES);
        memcpy(w.map, h, sizeof *h);
        ok = msync(w.map, map_len, MS_SYNC) == 0;
    }
    if (w.map)
        munmap(w.map, map_len);
    if (w.fd >= 0)
        close(w.fd);
    free(w.buf);
    lm_vec_matrix_free(&w.one);
    /* A temporary file renamed over the cache when complete and on disk:
     * a crash never leaves a valid header over unwritten pages. */
    if (ok && lm_file_atomic_commit(&a, &ignored) == LM_OK)
        *written = 1;
    else if (!ok)
        lm_file_atomic_abort(&a);
    return ls;
}

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
    /* One read transaction: the generation and the data agree. */
    int began = begin_read(db);
    int64_t generation = 0;
    lm_status ls = current_model(s, kind, &out->info, &generation, found, err);
    if (ls == LM_OK && *found && !(path && map_file(path, &out->info, generation, out))) {
        void *data = NULL;
        size_t len = 0;
        ls = lm_vec_model_current(s, &out->info, &data, &len, found, err);
        out->model_heap = data;
        out->model = data;
        out->model_len = len;
        if (ls == LM_OK && *found)
            ls = lm_vec_matrix_load(s, out->info.id, out->info.dim, &out->mat, err);
        /* Inside the caller's transaction the data may yet roll back:
         * only a committed state is worth a file. */
        int written;
        if (ls == LM_OK && *found && path && began)
            ls = stream_file(s, path, &out->info, generation, data, len, &written, err);
    }
    if (began)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    free(own_path);
    if (ls != LM_OK || !*found)
        lm_vec_cache_close(out);
    return ls;
}

lm_status lm_vec_cache_refresh(lm_store *s, const char *kind, lm_error *err)
{
    char *path = lm_vec_cache_path(s);
    if (!path)
        return LM_OK;   /* an in-memory database has no file */
    sqlite3 *db = lm_store_sqlite(s);
    int began = begin_read(db);
    lm_vec_cache c;
    memset(&c, 0, sizeof c);
    lm_vec_matrix_init(&c.mat);
    int64_t generation = 0;
    int found = 0;
    lm_status ls = current_model(s, kind, &c.info, &generation, &found, err);
    /* Written from the store row by row: the vectors are never all in
     * memory, whatever the corpus size. */
    if (ls == LM_OK && found && began && !map_file(path, &c.info, generation, &c)) {
        void *data = NULL;
        size_t len = 0;
        int written;
        ls = lm_vec_model_current(s, &c.info, &data, &len, &found, err);
        if (ls == LM_OK && found)
            ls = stream_file(s, path, &c.info, generation, data, len, &written, err);
        free(data);
    }
    if (began)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    lm_vec_cache_close(&c);
    free(path);
    return ls;
}
