/*
 * lm_vec_compact: writing the vector file (see lm_vec_cache.c for its
 * format and the states a crash may leave).  A refresh either appends the
 * new rows in place — the common case, whose cost is that of the rows
 * added — or rewrites the file through "<file>.next"; both write and sync
 * before the one transaction that makes the database count what they
 * wrote, and nothing the database counts is ever overwritten.
 */
#include "lm_vec_cache_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

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
    if (v && *v && atoi(v) == step)
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
 * reading the rows back with pread through a bounded buffer.  A rewrite
 * reads the old rows through the old file's mapping, and drops each
 * stretch of its pages once copied (lm_vc_merge_run's release): its RSS
 * stays that of the columns' mapping, not of the two files' rows. */

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
    int io_errno;            /* a failed write's errno, or 0 */
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
    if (w->buf_len && pwrite_all(w->fd, w->buf, w->buf_len, w->buf_off) != 0 && !w->io_errno)
        w->io_errno = errno ? errno : EIO;
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

/* Allocates the disk blocks of the PMID, year and scale slots
 * [first, first + count): they are written through a shared mapping,
 * where a full disk would raise SIGBUS instead of an error (the slots of
 * an append are a hole until then).  0, or -1 with errno set. */
static int reserve_columns(int fd, const file_header *h, uint64_t first, uint64_t count)
{
    const struct {
        uint64_t off;
        size_t size;
    } col[3] = {{h->off_pmids, sizeof(int64_t)},
                {h->off_years, sizeof(int16_t)},
                {h->off_scales, sizeof(float)}};
    for (int c = 0; count && c < (h->quantized ? 3 : 2); c++) {
        if (lm_vc_test_fault("fallocate")) {
            errno = ENOSPC;
            return -1;
        }
        int rc = posix_fallocate(fd, (off_t)(col[c].off + first * col[c].size),
                                 (off_t)(count * col[c].size));
        if (rc != 0) {
            errno = rc;
            return -1;
        }
    }
    return 0;
}

/* Writes the merger's rows into slots [first, first + count) of the open
 * file fd laid out as h, with their years, and syncs them (crash_step:
 * the crash point between the write and the sync); *rows_xxh: the
 * checksum of the rows as written (read back with pread: none of the
 * vectors is mapped).  Slots before first are not written: a reader maps
 * them meanwhile. */
static lm_status fill_rows(lm_store *s, int fd, const file_header *h, uint64_t first,
                           uint64_t count, merger *m, int crash_step, uint64_t *rows_xxh,
                           lm_error *err)
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
    /* The PMID, year and scale columns, written through it (the spare
     * slots are never touched: they stay a hole); the vectors are written
     * and read back with pwrite and pread, never mapped. */
    size_t map_len = (size_t)h->off_data;
    if (!w.buf)
        return lm_error_nomem(err, "writing the vector file");
    /* A failing step says which, with its own errno (read where it
     * failed: later calls may set errno again). */
    const char *failed = NULL;
    int e = 0;
    if (reserve_columns(fd, h, first, count) != 0)
        failed = "reserving the space of its new rows", e = errno;
    if (!failed) {
        void *mp = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        w.map = mp == MAP_FAILED ? NULL : mp;
        if (!w.map)
            failed = "mapping it", e = errno;
    }
    lm_status ls = LM_OK;
    if (!failed) {
        m->emit = write_emit;
        m->ctx = &w;
        ls = lm_vc_merge_run(s, h->model_id, m);
        flush_rows(&w);
        if (lm_vc_test_fault("short") && w.row > first)
            w.row--, errno = ENOENT;
        if (ls == LM_OK && w.io_errno)
            failed = "writing its rows", e = w.io_errno;
        else if (ls == LM_OK && w.row != w.h.n)
            /* the rows were counted in the same read transaction: only a
             * database changed under it gets here */
            ls = lm_error_set(err, LM_ERR_DB,
                              "writing the vector file: %llu rows written of the %llu counted "
                              "(the vectors changed while they were read); nothing was committed, "
                              "run `litmine index refresh` again",
                              (unsigned long long)(w.row - first), (unsigned long long)count);
    }
    /* The PMIDs and scales written are in the page cache (a shared
     * mapping writes there): dropping this process's pages of them keeps
     * them out of its RSS (12 bytes a row: ~430 MB at 36M abstracts)
     * while the years are looked up. */
    if (!failed && ls == LM_OK)
        madvise(w.map, map_len, MADV_DONTNEED);
    if (!failed && ls == LM_OK && count) {
        lm_vec_matrix years = {.dim = (int)h->dim, .n = (size_t)count,
                               .pmids = (int64_t *)(void *)(w.map + h->off_pmids) + first,
                               .years = (int16_t *)(void *)(w.map + h->off_years) + first};
        ls = lm_vec_matrix_load_years(&years, s, err);
    }
    if (!failed && ls == LM_OK) {
        crash_point(crash_step);
        if (msync(w.map, map_len, MS_SYNC) != 0 || fsync(fd) != 0)
            failed = "syncing it", e = errno;
    }
    if (!failed && ls == LM_OK)
        ls = lm_vc_rows_xxh64_read(fd, h, first, count, rows_xxh, err);
    if (w.map)
        munmap(w.map, map_len);
    free(w.buf);
    if (failed && ls == LM_OK)
        ls = lm_error_set(err, LM_ERR_IO, "writing the vector file failed (%s): %s", failed,
                          strerror(e ? e : EIO));
    return ls;
}

/* Writes the merged rows and the model to path (created or truncated),
 * with room for cap rows, fsynced.  The header goes last: a crash leaves
 * a file no header names. */
static lm_status write_file(lm_store *s, const char *path, const lm_vec_model_info *info,
                            int64_t file_id, merger *m, uint64_t n, uint64_t cap,
                            const void *model, size_t model_len, uint64_t *rows_xxh,
                            lm_error *err)
{
    file_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, 8);
    h.version = FORMAT_VERSION;
    h.byte_order = BYTE_ORDER_MARK;
    h.sizes = lm_vc_type_sizes();
    h.dim = (uint32_t)info->dim;
    h.quantized = (uint32_t)m->quantized;
    h.model_id = info->id;
    h.file_id = file_id;
    h.n = n;
    h.cap = cap;
    h.model_len = model_len;
    h.model_xxh64 = XXH3_64bits(model, model_len);
    snprintf(h.created_at, sizeof h.created_at, "%s", info->created_at);
    lm_vc_layout(&h);
    /* A fresh inode, never a truncated one: a reader holding a stale
     * snapshot may have mapped a .next left by an earlier run, and
     * truncating it under that mapping would fault the reader. */
    if (unlink(path) != 0 && errno != ENOENT)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    lm_status ls = LM_OK;
    int ok = ftruncate(fd, (off_t)h.file_len) == 0;
    if (ok) {
        ls = fill_rows(s, fd, &h, 0, n, m, 0, rows_xxh, err);
        ok = ls == LM_OK;
    }
    for (uint64_t off = 0; ok && off < model_len; off += STREAM_CHUNK) {
        size_t k = model_len - off < STREAM_CHUNK ? (size_t)(model_len - off) : STREAM_CHUNK;
        ok = pwrite_all(fd, (const unsigned char *)model + off, k, h.off_model + off) == 0;
    }
    ok = ok && fsync(fd) == 0;
    if (ok) {
        h.crc = lm_vc_header_crc(&h);
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
 * while *fd is open; *fd -1 when another process holds it or the lock
 * file cannot be made (then no compaction runs: the directory is not
 * writable).  No memory for its name is an error, not a lock held
 * elsewhere: the compaction would be skipped without a word. */
static lm_status lock_compaction(const char *path, int *fd, lm_error *err)
{
    *fd = -1;
    char *p = lm_vc_with_suffix(path, ".lock");
    if (!p)
        return lm_error_nomem(err, "locking the vector file");
    int f = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    free(p);
    if (f >= 0 && flock(f, LOCK_EX | LOCK_NB) != 0) {
        close(f);
        f = -1;
    }
    *fd = f;
    return LM_OK;
}

/* A .next left by a stopped compaction: renamed over the file when the
 * database names it (its commit happened), else removed. */
static lm_status finish_next(lm_store *s, const char *path, lm_error *err)
{
    char *next = lm_vc_next_path(path);
    if (!next)
        return lm_error_nomem(err, "naming the vector file's rewrite");
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
    if (got == (ssize_t)sizeof head && lm_vc_read_header(head, sizeof head, &h))
        ls = lm_vc_read_file_rec(s, h.model_id, &r, err);
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

/* The commit of a compaction: the rows now in the file (the full rows
 * after PMID after: all of them for a rewrite, the new ones for an
 * append) emptied, their void marks cleared, the model's bytes moved out,
 * the checksums of the rows written (chunks: a rewrite's replace the old
 * file's) recorded, the new file named; nothing when any vector moved
 * since the file was written (0 in *done). */
static lm_status commit_compaction(lm_store *s, const lm_vec_model_info *info, int64_t gen,
                                   const file_rec *old, int64_t after, int64_t file_id,
                                   uint64_t n,
                                   int model_moved, size_t model_len, uint64_t model_xxh,
                                   int model_in_file, const lm_vec_activation *act,
                                   const row_chunk *chunks, size_t n_chunks, int *done,
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
        ls = lm_vc_read_file_rec(s, info->id, &now, err);
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
                        " WHERE model_id = ?1 AND length(vec) > 0 AND pmid > ?2",
                        info->id, after, 0, err);
    if (ls == LM_OK && same)
        ls = exec_bound(s,
                        "DELETE FROM vectors INDEXED BY vectors_full"
                        " WHERE model_id = ?1 AND length(vec) > 0 AND pmid > ?2",
                        info->id, after, 0, err);
    if (ls == LM_OK && same)
        ls = exec_bound(s,
                        "INSERT INTO vectors (model_id, pmid, format, vec)"
                        " SELECT ?1, pmid, format, x'' FROM temp.vec_moved ORDER BY pmid",
                        info->id, 0, 0, err);
    if (ls == LM_OK && same)
        ls = exec_bound(s, "DELETE FROM temp.vec_moved", 0, 0, 0, err);
    if (ls == LM_OK && same)
        ls = exec_bound(s, "DELETE FROM vector_file_gone WHERE model_id = ?1 AND pmid > ?2",
                        info->id, after, 0, err);
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
    if (ls == LM_OK && same && after == INT64_MIN)
        ls = exec_bound(s, "DELETE FROM vector_file_chunks WHERE model_id = ?1", info->id, 0, 0,
                        err);
    for (size_t i = 0; ls == LM_OK && same && i < n_chunks; i++) {
        sqlite3_stmt *st;
        rc = sqlite3_prepare_v2(db,
                                "INSERT OR REPLACE INTO vector_file_chunks"
                                " (model_id, file_id, first_row, n_rows, xxh64)"
                                " VALUES (?1, ?2, ?3, ?4, ?5)",
                                -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, info->id);
            sqlite3_bind_int64(st, 2, file_id);
            sqlite3_bind_int64(st, 3, (int64_t)chunks[i].first);
            sqlite3_bind_int64(st, 4, (int64_t)chunks[i].n);
            sqlite3_bind_int64(st, 5, (int64_t)chunks[i].xxh);
            rc = sqlite3_step(st);
            sqlite3_finalize(st);
        }
        if (rc != SQLITE_DONE)
            ls = lm_store_fail(s, rc, err, "recording the vector file's checksums");
    }
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
 * after every row of the file, and revised or deleted some of the file's
 * rows.  The new rows go into the file's spare slots in place (after the
 * rows the database counts), are synced, and one commit empties their rows
 * and records the new count: the cost is that of the new rows, not of the
 * corpus.  The revised and deleted rows stay in the file, shadowed: the
 * revision's full row and the void marks stay in the database, and
 * readers patch them into their copy of the mapping (lm_vec_cache.c).  A
 * crash before the commit leaves bytes past the count, ignored by readers
 * and overwritten by the next append; the file keeps its id and length,
 * so a reader's mapping stays valid while rows are appended behind its
 * count.  The file is rewritten instead when its shadowed rows pass
 * STALE_REWRITE_PERCENT of its rows or SHADOW_ROWS_MAX (a reader's cost
 * at open), or for a full row of a new article that sorts before the
 * file's last row (a reader could not patch it in), a new model, a full
 * file or a version 4 file. */

/* Full rows at or before last (the file's last PMID) with no row in the
 * file: new articles out of PMID order.  Reads the full rows' PMIDs only
 * (an index range as small as the rows written since the last rewrite). */
static lm_status count_out_of_order(lm_store *s, int64_t model_id, const lm_vec_matrix *f,
                                    int64_t last, uint64_t *n, lm_error *err)
{
    *n = 0;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(lm_store_sqlite(s),
                                "SELECT pmid FROM vectors INDEXED BY vectors_full"
                                " WHERE model_id = ?1 AND length(vec) > 0 AND pmid <= ?2",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return lm_store_fail(s, rc, err, "compacting the vectors");
    sqlite3_bind_int64(st, 1, model_id);
    sqlite3_bind_int64(st, 2, last);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (lm_vec_matrix_find(f, sqlite3_column_int64(st, 0)) < 0)
            ++*n;
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? LM_OK : lm_store_fail(s, rc, err, "compacting the vectors");
}

/* Appends the full rows after the file's last PMID to file (mapped as
 * old, of record r) when the file may be kept: *keep = 1, and *k rows
 * written and synced (possibly none: only shadowed rows were written),
 * *rows_xxh their checksum.
 * *keep = 0: rewrite instead. */
static lm_status append_rows(lm_store *s, const char *file, const lm_vec_cache *old,
                             const file_rec *r, const int64_t *gone, size_t n_gone, merger *m,
                             int *keep, uint64_t *k, uint64_t *rows_xxh, lm_error *err)
{
    *keep = 0;
    *k = 0;
    const lm_vec_matrix *f = &old->mat;
    int64_t last = f->n > 0 ? f->pmids[f->n - 1] : INT64_MIN;
    file_header h;
    if (!lm_vc_read_header(old->map, old->map_len, &h) || h.version != FORMAT_VERSION)
        return LM_OK;
    uint64_t stale = lm_vc_count_stale(f, gone, n_gone), out_of_order = 0;
    if (stale * 100 > (uint64_t)r->n * STALE_REWRITE_PERCENT || stale > SHADOW_ROWS_MAX)
        return LM_OK;
    lm_status ls = count_out_of_order(s, old->info.id, f, last, &out_of_order, err);
    if (ls != LM_OK || out_of_order > 0)
        return ls;
    uint64_t new_rows = 0;
    m->file = NULL;   /* the full rows alone, the new ones */
    m->after = last;
    m->emit = count_emit;
    m->ctx = &new_rows;
    ls = lm_vc_merge_run(s, old->info.id, m);
    if (ls != LM_OK || (uint64_t)r->n + new_rows > h.cap)
        return ls;
    *keep = 1;
    if (new_rows == 0)
        return LM_OK;
    int fd = open(file, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", file, strerror(errno));
    ls = fill_rows(s, fd, &h, (uint64_t)r->n, new_rows, m, 4, rows_xxh, err);
    close(fd);
    if (ls == LM_OK)
        *k = new_rows;
    return ls;
}

/* Compacts model_id (0: the current model of kind, NULL: any): see the
 * file comment.  act: the model becomes current in the same commit, its
 * bytes (act->data) written into the file when large. */
static lm_status compact(lm_store *s, int64_t model_id, const char *kind,
                         const lm_vec_activation *act, int *nothing, lm_error *err)
{
    *nothing = 1;
    char *path = NULL;
    lm_status ps = lm_vec_cache_path(s, &path, err);
    if (ps != LM_OK)
        return ps;
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
    int lock = -1;
    lm_status ls = lock_compaction(path, &lock, err);
    if (ls != LM_OK || lock < 0) {
        free(path);
        return ls;
    }
    /* The current model's file is "<database>.vectors"; a model being
     * built has its own until it becomes current. */
    int to_base = act || !model_id;
    if (!to_base) {
        lm_vec_model_info cur;
        int have = 0;
        ls = lm_vec_model_current_info(s, &cur, &have, err);
        to_base = have && cur.id == model_id;
    }
    char *build = ls == LM_OK && model_id ? lm_vc_build_path(path, model_id) : NULL;
    const char *target = to_base ? path : build;
    if (ls == LM_OK && !target)
        ls = lm_error_nomem(err, "naming the model's build file");
    if (ls == LM_OK)
        ls = finish_next(s, target, err);
    char *next = ls == LM_OK ? lm_vc_next_path(target) : NULL;
    if (ls == LM_OK && !next)
        ls = lm_error_nomem(err, "naming the vector file's rewrite");
    int began = ls == LM_OK && lm_vc_begin_read(db);
    lm_vec_cache old;
    memset(&old, 0, sizeof old);
    lm_vec_matrix_init(&old.mat);
    int64_t gen = 0, n_full = 0, *gone = NULL, file_id = 0;
    size_t n_gone = 0, model_len = 0;
    void *db_model = NULL;
    const void *model = NULL;
    int found = 0, work = 0, model_moved = 0;
    file_rec r = {0};
    uint64_t n = 0, appended = 0, rows_xxh = 0;
    row_chunk chunks[2];        /* the rows written; a file from before schema 19: its old rows */
    size_t n_chunks = 0;
    int keep = 0;               /* the file stays: appended to, or shadowed rows only */
    int64_t kept_last = 0;      /* its last PMID before the append */
    char *mapped = NULL;
    merger m;
    memset(&m, 0, sizeof m);
    if (began && model_id) {
        ls = lm_vc_model_by_id(s, model_id, &old.info, &found, err);
        if (ls == LM_OK && found)
            ls = lm_vec_generation(s, model_id, &gen, err);
    } else if (began) {
        ls = lm_vc_current_model(s, kind, &old.info, &gen, &found, err);
    }
    if (ls == LM_OK && found)
        ls = lm_vc_read_file_rec(s, old.info.id, &r, err);
    /* Named before anything is committed: once the rewrite is, no memory
     * for this name could only leave the old build file on disk. */
    char *old_build = NULL;
    if (ls == LM_OK && found && to_base && !(old_build = lm_vc_build_path(path, old.info.id)))
        ls = lm_error_nomem(err, "naming the vector file's build file");
    int unchecked = 0;
    if (ls == LM_OK && found && r.found)
        /* Not verified yet: an append reads none of the old rows (it
         * writes past n and records the checksum of what it wrote, a chunk
         * of its own), so it leaves them unread and their pages out of
         * this process; a rewrite copies them, and verifies them first
         * (lm_vec_cache_wait below). */
        ls = lm_vc_map_named(s, path, &old.info, &r, LM_VC_CHECK_LATER, &old, &mapped, &unchecked,
                             err);
    if (ls == LM_OK && found)
        ls = lm_vc_count_full(s, old.info.id, &n_full, err);
    if (ls == LM_OK && found)
        ls = lm_vc_load_gone(s, old.info.id, &gone, &n_gone, err);
    if (ls == LM_OK && found && !act)
        ls = lm_vc_model_in_db(s, old.info.id, &db_model, &model_len, err);
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
            ls = lm_vc_merger_init(&m, r.found ? &old.mat : NULL, gone, n_gone, quantized,
                             old.info.dim, err);
        if (ls == LM_OK && r.found && !act && !model_moved && mapped && strcmp(mapped, target) == 0)
            ls = append_rows(s, target, &old, &r, gone, n_gone, &m, &keep, &appended, &rows_xxh,
                             err);
        /* A file written before schema 19 has no checksums of its rows:
         * the first refresh that keeps it (appending, or leaving shadow
         * rows) records them, from the rows as they are now: one pass,
         * once. */
        if (ls == LM_OK && keep && unchecked && r.n > 0) {
            file_header h;
            if (lm_vc_read_header(old.map, old.map_len, &h)) {
                uint64_t x = 0;
                int fd = open(mapped, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                    ls = lm_error_set(err, LM_ERR_IO, "%s: %s", mapped, strerror(errno));
                else
                    ls = lm_vc_rows_xxh64_read(fd, &h, 0, (uint64_t)r.n, &x, err);
                if (fd >= 0)
                    close(fd);
                if (ls == LM_OK)
                    chunks[n_chunks++] = (row_chunk){0, (uint64_t)r.n, x};
            }
        }
        if (ls == LM_OK && keep && appended)
            chunks[n_chunks++] = (row_chunk){(uint64_t)r.n, appended, rows_xxh};
        if (keep)
            kept_last = old.mat.n > 0 ? old.mat.pmids[old.mat.n - 1] : INT64_MIN;
        m.file = r.found ? &old.mat : NULL;
        /* The old file's mapping here is lm_vc_map_named's, read-only and
         * never patched (patch_mapping is a reader's): the rewrite's
         * passes drop its pages behind them. */
        m.release = m.file && old.map && !old.mat_owned;
        m.after = INT64_MIN;
        m.emit = count_emit;
        m.ctx = &n;
        if (ls == LM_OK && !keep && !lm_vc_verify_unmapped(old.verify))
            ls = lm_error_nomem(err, "checking the vector file");
        if (ls == LM_OK && !keep)
            ls = lm_vec_cache_wait(&old, err);
        if (ls == LM_OK && !keep)
            ls = lm_vc_merge_run(s, old.info.id, &m);
        do
            sqlite3_randomness(sizeof file_id, &file_id);
        while (file_id == 0 || file_id == r.file_id);
        /* Room for CAP_FACTOR times the rows: the ingests that follow
         * append (the rewrites are a geometric series: each row is
         * rewritten a bounded number of times on average). */
        uint64_t cap = n * CAP_FACTOR > n + MIN_SPARE ? n * CAP_FACTOR : n + MIN_SPARE;
        if (ls == LM_OK && !keep)
            ls = write_file(s, next, &old.info, file_id, &m, n, cap, model, model_len, &rows_xxh,
                            err);
        if (ls == LM_OK && !keep && n > 0)
            chunks[n_chunks++] = (row_chunk){0, n, rows_xxh};
        if (keep) {
            file_id = r.file_id;
            n = (uint64_t)r.n + appended;
        }
    }
    uint64_t model_xxh = model_moved ? XXH3_64bits(model, model_len) : 0;
    int model_in_file = model_len > 0;
    free(db_model);
    lm_vc_merger_free(&m);
    free(gone);
    lm_vec_model_info info = old.info;
    lm_vec_cache_close(&old);
    if (began)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    free(mapped);
    if (ls == LM_OK && keep && (appended || n_chunks > 0)) {
        crash_point(5);
        int done = 0;
        ls = commit_compaction(s, &info, gen, &r, kept_last, file_id, n, 0, 0, 0,
                               r.model_in_file, NULL, chunks, n_chunks, &done, err);
        *nothing = !(ls == LM_OK && done);
        if (!*nothing)
            crash_point(6);
    } else if (ls == LM_OK && work && !keep) {
        crash_point(1);
        int done = 0;
        /* This commit must reach the disk before the rename: with the
         * store's synchronous = NORMAL a power loss could drop it from the
         * WAL after the old file is gone, leaving the database naming a
         * file that no longer exists.  One WAL fsync per rewrite. */
        sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
        ls = commit_compaction(s, &info, gen, &r, INT64_MIN, file_id, n, model_moved, model_len,
                               model_xxh, model_in_file, act, chunks, n_chunks, &done, err);
        sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
        if (ls == LM_OK && done) {
            *nothing = 0;
            crash_point(2);
            if (rename(next, target) != 0)
                ls = lm_error_set(err, LM_ERR_IO, "renaming %s: %s", next, strerror(errno));
            else
                fsync_dir_of(target);
            crash_point(3);
            /* A model now current leaves its build file behind. */
            if (old_build)
                unlink(old_build);
        } else {
            unlink(next);   /* a vector moved meanwhile: the next refresh compacts */
        }
    } else if (work && !keep) {
        unlink(next);
    }
    close(lock);   /* releases the lock */
    free(old_build);
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
