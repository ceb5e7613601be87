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
 */
#include "lm_vec_cache.h"
#include "../lm_store_internal.h"

#include "../../util/lm_file.h"

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

static int put(FILE *f, const void *p, size_t n)
{
    return n && fwrite(p, 1, n, f) != n ? -1 : 0;
}

/* Best effort: a cache that cannot be written is only a slower start. */
static void write_file(const char *path, const lm_vec_cache *c, int64_t generation)
{
    file_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, 8);
    h.version = FORMAT_VERSION;
    h.byte_order = BYTE_ORDER_MARK;
    h.sizes = type_sizes();
    h.dim = (uint32_t)c->mat.dim;
    h.quantized = c->mat.q8 != NULL;
    h.model_id = c->info.id;
    h.generation = generation;
    h.n = c->mat.n;
    h.model_len = c->model_len;
    snprintf(h.created_at, sizeof h.created_at, "%s", c->info.created_at);
    layout(&h);
    static const char zeros[HEADER_BYTES];
    uint64_t pos = h.off_years + h.n * sizeof(int16_t);
    uint64_t pos2 = h.off_scales + (h.quantized ? h.n * sizeof(float) : 0);
    const void *rows = h.quantized ? (const void *)c->mat.q8 : (const void *)c->mat.data;
    size_t row_bytes = c->mat.n * (size_t)c->mat.dim * (h.quantized ? 1 : sizeof(float));
    size_t scale_bytes = h.quantized ? c->mat.n * sizeof(float) : 0;
    /* The payload exactly as written below, hashed from memory. */
    XXH3_state_t *xs = XXH3_createState();
    if (!xs)
        return;
    XXH3_64bits_reset(xs);
    XXH3_64bits_update(xs, c->mat.pmids, c->mat.n * sizeof(int64_t));
    XXH3_64bits_update(xs, c->mat.years, c->mat.n * sizeof(int16_t));
    XXH3_64bits_update(xs, zeros, (size_t)(h.off_scales - pos));
    XXH3_64bits_update(xs, c->mat.scales, scale_bytes);
    XXH3_64bits_update(xs, zeros, (size_t)(h.off_data - pos2));
    XXH3_64bits_update(xs, rows, row_bytes);
    XXH3_64bits_update(xs, zeros, (size_t)(h.off_model - h.off_data - row_bytes));
    XXH3_64bits_update(xs, c->model, c->model_len);
    h.payload_xxh64 = XXH3_64bits_digest(xs);
    XXH3_freeState(xs);
    h.crc = header_crc(&h);

    /* A temporary file renamed over the cache when complete and on disk:
     * a crash never leaves a valid header over unwritten pages. */
    lm_file_atomic a;
    lm_error ignored;
    if (lm_file_atomic_begin(&a, path, &ignored) != LM_OK)
        return;
    unsigned char head[HEADER_BYTES];
    memset(head, 0, sizeof head);
    memcpy(head, &h, sizeof h);
    int bad = put(a.f, head, sizeof head) ||
              put(a.f, c->mat.pmids, c->mat.n * sizeof(int64_t)) ||
              put(a.f, c->mat.years, c->mat.n * sizeof(int16_t)) ||
              put(a.f, zeros, (size_t)(h.off_scales - pos)) ||
              put(a.f, c->mat.scales, scale_bytes) ||
              put(a.f, zeros, (size_t)(h.off_data - pos2)) ||
              put(a.f, rows, row_bytes) ||
              put(a.f, zeros, (size_t)(h.off_model - h.off_data - row_bytes)) ||
              put(a.f, c->model, c->model_len);
    if (bad)
        lm_file_atomic_abort(&a);
    else
        lm_file_atomic_commit(&a, &ignored);
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
    int began = sqlite3_get_autocommit(db) && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) ==
                                                   SQLITE_OK;
    int64_t generation = 0;
    lm_status ls = lm_vec_model_current_info(s, &out->info, found, err);
    if (ls == LM_OK && *found && kind && strcmp(out->info.kind, kind) != 0)
        *found = 0;
    if (ls == LM_OK && *found)
        ls = lm_vec_generation(s, out->info.id, &generation, err);
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
        if (ls == LM_OK && *found && path && began)
            write_file(path, out, generation);
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
    lm_vec_cache c;
    int found = 0;
    lm_status ls = lm_vec_cache_open(s, NULL, kind, &c, &found, err);
    if (ls == LM_OK && found)
        lm_vec_cache_close(&c);
    return ls;
}
