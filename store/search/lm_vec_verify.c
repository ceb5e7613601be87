/*
 * lm_vec_verify: the check of a mapped vector file's rows and model (the
 * format is described in lm_vec_cache.c; lm_vec_cache_impl.h is what the
 * files share).
 *
 * An open verifies the model's checksum and the chunks that tile rows
 * [0, n): one pass over ~370 MB at 1M abstracts, ~40 ms, which a CLI
 * query paid before doing anything else.  lm_vec_cache_open_async runs
 * the pass over the rows on a thread of its own while the caller parses
 * the model (checked before the open returns: a parser fed damaged bytes
 * would report its own error, not the file's) and runs the lexical side
 * of the query; the searcher waits for it before it uses a vector
 * (lm_vec_cache_wait), so a damaged file is still an error and never a
 * result.
 *
 * The reader patches shadow rows into its private copy of the mapping
 * (lm_vec_cache.c's patch_mapping) before the check starts; the file itself never changes under
 * the mapping (an append writes past n, a rewrite makes a new file), so
 * the check reads the rows it patched from the file (pread) and every
 * other byte from the mapping: the checksums are those of the file as
 * written, exactly what a check before the patches computed.
 *
 * A check run before the open returns (LM_VC_CHECK_NOW: `index check`, a
 * row read, and a rewrite's check of the rows it copies) reads the file
 * with pread, VERIFY_BLOCK bytes at a time (lm_vc_verify_unmapped): its
 * RSS stays bounded whatever the file's size.
 */
#include "lm_vec_cache_impl.h"

#include "../../util/lm_buf.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

struct lm_vc_verify {
    int fd;                       /* the mapped file, for the patched rows */
    const unsigned char *base;    /* the mapping */
    file_header h;
    uint64_t n;
    row_chunk *chunks;
    size_t n_chunks;
    uint64_t *patched;            /* rows this process wrote, ascending after start */
    size_t n_patched, cap_patched;
    unsigned char *row;           /* one patched row's bytes of one column */
    unsigned char *buf;           /* VERIFY_BLOCK bytes: read, not mapped */
    int unmapped;                 /* read with pread into buf (lm_vc_verify_unmapped) */
    char *path;                   /* for the error */
    int64_t model_id;
    int model_checked;            /* the open checked the model already */
    int io_errno;                 /* a read failed with this errno (0: none) */
    pthread_t tid;
    int started, joined;
    lm_status status;             /* the background check's outcome, */
    lm_error err;                 /* and its message */
    atomic_int stop;              /* lm_vec_cache_close: give up */
};

/* Bytes fed to the hash between two looks at stop. */
#define VERIFY_BLOCK ((size_t)4 << 20)

void lm_vc_verify_free(lm_vc_verify *v)
{
    if (!v)
        return;
    if (v->started && !v->joined) {
        atomic_store(&v->stop, 1);
        pthread_join(v->tid, NULL);
    }
    if (v->fd >= 0)
        close(v->fd);
    free(v->chunks);
    free(v->patched);
    free(v->row);
    free(v->buf);
    free(v->path);
    free(v);
}

/* Reads len bytes of the file at off into buf; 0 when it cannot: a read
 * error (v->io_errno says which: the disk, not the file's content) or the
 * file ending early (damaged).  LITMINE_TEST_VEC_FAULT=pread: the read
 * fails with EIO. */
static int read_at(lm_vc_verify *v, unsigned char *buf, size_t len, uint64_t off)
{
    for (size_t got = 0; got < len;) {
        ssize_t r = lm_vc_test_fault("pread") ? (errno = EIO, -1)
                                              : pread(v->fd, buf + got, len - got,
                                                      (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            v->io_errno = errno;
        if (r <= 0)
            return 0;
        got += (size_t)r;
    }
    return 1;
}

/* Feeds bytes [at, at + len) of the mapping to st, a block at a time; 0
 * when told to stop or a read fails. */
static int feed_mapped(lm_vc_verify *v, XXH3_state_t *st, uint64_t at, uint64_t len)
{
    while (len > 0) {
        if (atomic_load_explicit(&v->stop, memory_order_relaxed))
            return 0;
        size_t k = len < VERIFY_BLOCK ? (size_t)len : VERIFY_BLOCK;
        if (v->unmapped) {
            if (!read_at(v, v->buf, k, at))
                return 0;
            XXH3_64bits_update(st, v->buf, k);
        } else {
            XXH3_64bits_update(st, v->base + at, k);
        }
        at += k;
        len -= k;
    }
    return 1;
}

/* Feeds rows [first, first + count) of the column at off (elem bytes a
 * row) to st: the rows this process patched as the file holds them. */
static int feed_column(lm_vc_verify *v, XXH3_state_t *st, uint64_t off, size_t elem,
                       uint64_t first, uint64_t count)
{
    uint64_t end = first + count, at = first;
    size_t lo = 0, hi = v->n_patched;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->patched[mid] < first)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; at < end; i++) {
        uint64_t stop = i < v->n_patched && v->patched[i] < end ? v->patched[i] : end;
        if (!feed_mapped(v, st, off + at * elem, (stop - at) * elem))
            return 0;
        at = stop;
        if (at == end)
            break;
        if (!read_at(v, v->row, elem, off + at * elem))
            return 0;
        XXH3_64bits_update(st, v->row, elem);
        at++;
    }
    return 1;
}

/* lm_vc_rows_xxh64 of rows [first, first + count), as the file holds them. */
static int chunk_xxh64(lm_vc_verify *v, XXH3_state_t *st, uint64_t first, uint64_t count,
                       uint64_t *out)
{
    const file_header *h = &v->h;
    size_t d = (size_t)h->dim * (h->quantized ? 1 : sizeof(float));
    uint64_t x = 0;
    XXH3_64bits_reset(st);
    int ok = feed_column(v, st, h->off_pmids, sizeof(int64_t), first, count);
    x = XXH3_64bits_digest(st);
    XXH3_64bits_reset_withSeed(st, x);
    ok = ok && feed_column(v, st, h->off_years, sizeof(int16_t), first, count);
    x = XXH3_64bits_digest(st);
    if (h->quantized) {
        XXH3_64bits_reset_withSeed(st, x);
        ok = ok && feed_column(v, st, h->off_scales, sizeof(float), first, count);
        x = XXH3_64bits_digest(st);
    }
    XXH3_64bits_reset_withSeed(st, x);
    ok = ok && feed_column(v, st, h->off_data, d, first, count);
    *out = XXH3_64bits_digest(st);
    return ok;
}

/* lm_vc_rows_xxh64 of rows [first, first + count) of the file open as fd,
 * read with pread through one VERIFY_BLOCK buffer: a writer records the
 * checksum of the rows it wrote without mapping them (reading them back
 * through a mapping would leave every row resident: the file's size in
 * RSS).  A failed read or a file ending early is LM_ERR_IO. */
lm_status lm_vc_rows_xxh64_read(int fd, const file_header *h, uint64_t first, uint64_t count,
                                uint64_t *out, lm_error *err)
{
    lm_vc_verify v;
    memset(&v, 0, sizeof v);
    v.fd = fd;
    v.h = *h;
    v.n = first + count;
    v.unmapped = 1;
    atomic_init(&v.stop, 0);
    v.buf = malloc(VERIFY_BLOCK);
    XXH3_state_t *st = lm_vc_test_fault("xxh3-state") ? NULL : XXH3_createState();
    lm_status ls = LM_OK;
    if (!v.buf || !st)
        ls = lm_error_nomem(err, "writing the vector file");
    else if (!chunk_xxh64(&v, st, first, count, out))
        ls = lm_error_set(err, LM_ERR_IO, "reading back the vector file's new rows: %s",
                          v.io_errno ? strerror(v.io_errno) : "the file ends early");
    if (st)
        XXH3_freeState(st);
    free(v.buf);
    return ls;
}

/* The model's checksum (unless the open checked it), and the chunks tile
 * rows [0, n) in order, each with its checksum (none recorded: the rows
 * are not checked, a file from before schema 19). */
lm_status lm_vc_verify_run(lm_vc_verify *v, lm_error *err)
{
    XXH3_state_t *st = lm_vc_test_fault("xxh3-state") ? NULL : XXH3_createState();
    if (!st)
        return lm_error_nomem(err, "checking the vector file");
    int ok = 1;
    if (!v->model_checked) {
        XXH3_64bits_reset(st);
        ok = feed_mapped(v, st, v->h.off_model, v->h.model_len) &&
             XXH3_64bits_digest(st) == v->h.model_xxh64;
    }
    uint64_t at = 0;
    for (size_t i = 0; ok && i < v->n_chunks; i++) {
        uint64_t x = 0;
        ok = v->chunks[i].first == at && v->chunks[i].n <= v->n - at &&
             chunk_xxh64(v, st, v->chunks[i].first, v->chunks[i].n, &x) &&
             x == v->chunks[i].xxh;
        at += v->chunks[i].n;
    }
    ok = ok && (v->n_chunks == 0 || at == v->n);
    XXH3_freeState(st);
    if (ok)
        return LM_OK;
    if (v->io_errno)
        return lm_error_set(err, LM_ERR_IO, "%s: reading the vector file: %s", v->path,
                            strerror(v->io_errno));
    return lm_vc_missing_file(NULL, v->path, v->model_id, err);
}

static void *verify_thread(void *arg)
{
    lm_vc_verify *v = arg;
    v->status = lm_vc_verify_run(v, &v->err);
    return NULL;
}

/* The check reads the file with pread through a bounded buffer instead
 * of the mapping: for a caller that does not otherwise need every row
 * resident (`index check`, a rewrite's check before it copies), the
 * file's pages stay in the page cache and out of the process's RSS.  A
 * reader's background check keeps reading the mapping: the search then
 * finds the pages it scans already mapped. */
int lm_vc_verify_unmapped(lm_vc_verify *v)
{
    if (!v)
        return 1;
    if (!v->buf)
        v->buf = malloc(VERIFY_BLOCK);
    v->unmapped = v->buf != NULL;
    return v->unmapped;
}

/* Records that this process is about to write row (patch_mapping). */
lm_status lm_vc_verify_note(lm_vc_verify *v, uint64_t row, lm_error *err)
{
    if (!v)
        return LM_OK;
    if (lm_vec_grow((void **)&v->patched, &v->cap_patched, v->n_patched + 1,
                    sizeof *v->patched) != LM_OK)
        return lm_error_set(err, LM_ERR_NOMEM, "vector file: out of memory");
    v->patched[v->n_patched++] = row;
    return LM_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Starts c's check once its mapping is patched (runs it here when no
 * thread can be started). */
void lm_vc_verify_start(lm_vec_cache *c)
{
    lm_vc_verify *v = c->verify;
    if (!v || v->started || v->joined)
        return;
    if (v->n_patched > 1) {
        qsort(v->patched, v->n_patched, sizeof *v->patched, cmp_u64);
        size_t w = 1;
        for (size_t i = 1; i < v->n_patched; i++)
            if (v->patched[i] != v->patched[w - 1])
                v->patched[w++] = v->patched[i];
        v->n_patched = w;
    }
    v->started = pthread_create(&v->tid, NULL, verify_thread, v) == 0;
    if (!v->started) {
        v->status = lm_vc_verify_run(v, &v->err);
        v->joined = 1;
    }
}

lm_status lm_vec_cache_wait(lm_vec_cache *c, lm_error *err)
{
    lm_vc_verify *v = c->verify;
    if (!v)
        return LM_OK;
    lm_vc_verify_start(c);
    if (!v->joined) {
        pthread_join(v->tid, NULL);
        v->joined = 1;
    }
    if (v->status != LM_OK && err)
        *err = v->err;
    return v->status;
}

/* A check of the file mapped at base (its header h, rows [0, n), still
 * open as fd: taken unless NULL is returned), to run later. */
lm_vc_verify *lm_vc_verify_new(int fd, const unsigned char *base, const file_header *h,
                                uint64_t n, const row_chunk *chunks, size_t n_chunks,
                                const char *path, int64_t model_id, int model_checked)
{
    lm_vc_verify *v = lm_vc_test_fault("verify-nomem") ? NULL : calloc(1, sizeof *v);
    size_t d = (size_t)h->dim * (h->quantized ? 1 : sizeof(float));
    if (v) {
        v->fd = fd;
        v->base = base;
        v->h = *h;
        v->n = n;
        v->model_id = model_id;
        v->model_checked = model_checked;
        v->chunks = malloc((n_chunks ? n_chunks : 1) * sizeof *chunks);
        v->row = malloc(d > sizeof(int64_t) ? d : sizeof(int64_t));
        v->path = strdup(path ? path : "(no file)");
        atomic_init(&v->stop, 0);
    }
    if (!v || !v->chunks || !v->row || !v->path) {
        if (v)
            v->fd = -1;
        lm_vc_verify_free(v);
        return NULL;
    }
    if (n_chunks)
        memcpy(v->chunks, chunks, n_chunks * sizeof *chunks);
    v->n_chunks = n_chunks;
    return v;
}
