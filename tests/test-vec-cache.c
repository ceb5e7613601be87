/*
 * Tests for store/lm_vec_cache: vectors and the LSA model stored once.
 * Before the first compaction every vector is a full row and readers
 * load them from the store; a compaction moves them (and a large model)
 * into the vector file and empties the rows; rows written afterwards are
 * merged in by readers until the next compaction.  A missing or damaged
 * file is an error naming the recovery.  A compaction killed (SIGKILL) at
 * each of its steps leaves the database and the file consistent, and the
 * next compaction resumes.  New PMIDs are appended to the file in place
 * (each step of the append killed too).  Revised and deleted rows stay in
 * the file, shadowed, until they pass STALE_REWRITE_PERCENT of its rows
 * or SHADOW_ROWS_MAX, and readers answer as from a rewritten file.  A schema-15 database with
 * both copies migrates forward.  The rows' chunk checksums catch a damaged
 * row; the spare slots are never read.
 *
 * LONG-FILE: one module's tests sharing its fixtures (stores, files
 * damaged by offset, killed compactions).
 */
#include "../store/lm_store_internal.h"
#include "../store/search/lm_vec_cache.h"
#include "../store/search/lm_vec_cache_impl.h"
#include "lm_test_store.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

/* The store's vector file name; every store here is a file. */
static char *cache_path_of(lm_store *s)
{
    char *path = NULL;
    LM_CHECK(lm_vec_cache_path(s, &path, NULL) == LM_OK && path);
    return path;
}

static void put_article(lm_store *s, int64_t pmid, int year)
{
    lm_article a;
    lm_article_init(&a);
    a.pmid = pmid;
    a.version = 1;
    a.year = year;
    a.title = (char *)"title";
    a.abstract = (char *)"abstract";
    lm_error err = {0};
    lm_put_result r;
    LM_CHECK(lm_store_put_article(s, &a, "test", &r, &err) == LM_OK);
}

/* Row 1 of model_store_as's int8 matrix holds the stored bytes and
 * scale of (2, 0.5, -1, 0.5), not a re-rounding of them. */
static void check_int8_row(const lm_vec_matrix *m)
{
    float v[4] = {2.0f, 0.5f, -1.0f, 0.5f};
    unsigned char blob[8];
    lm_vec_encode(LM_VEC_I8, v, 4, blob);
    float scale;
    memcpy(&scale, blob, 4);   /* little-endian host, as the build machine */
    LM_CHECK(memcmp(m->q8 + 4, blob + 4, 4) == 0 && m->scales[1] == scale);
}

/* A model of model_len bytes (byte i = i * 7): small ones stay in the
 * database, large ones (>= 64 KB) move into the file. */
static unsigned char *model_bytes(size_t len)
{
    unsigned char *m = malloc(len);
    for (size_t i = 0; m && i < len; i++)
        m[i] = (unsigned char)(i * 7);
    return m;
}

/* A store with a current model of dim 4 and vectors for PMIDs 1..3, in
 * format f; the vector of p is (p, 0.5, -1, p / 4). */
static lm_store *model_store_as(const char *name, lm_vec_format f, size_t model_len,
                                int64_t *model_id)
{
    char path[512];
    db_path(path, sizeof path, name);
    char side[600];
    snprintf(side, sizeof side, "%s.vectors", path);
    unlink(side);
    snprintf(side, sizeof side, "%s.vectors.next", path);
    unlink(side);
    lm_store *s = lm_test_open_store(name);
    if (!s)
        return NULL;
    lm_error err = {0};
    for (int p = 1; p <= 3; p++)
        put_article(s, p, 2000 + p);
    unsigned char *m = model_bytes(model_len);
    LM_CHECK(lm_vec_model_add(s, "test", 4, m, model_len, 3, 0.1, "{}", model_id, &err) ==
             LM_OK);
    free(m);
    for (int p = 1; p <= 3; p++) {
        float v[4] = {(float)p, 0.5f, -1.0f, 0.25f * (float)p};
        LM_CHECK(lm_vec_put(s, *model_id, p, f, v, 4, &err) == LM_OK);
    }
    LM_CHECK(lm_vec_model_activate(s, *model_id, &err) == LM_OK);
    return s;
}

/* model_store_as, compacted once: its rows 1..3 in the vector file. */
static lm_store *compacted_store(const char *name, lm_vec_format f, int64_t *model_id)
{
    lm_store *s = model_store_as(name, f, 80000, model_id);
    LM_CHECK(s != NULL);
    lm_error err = {0};
    if (s)
        LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    return s;
}

static int64_t sql_int(lm_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(lm_store_sqlite(s), sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The first component of each row, in PMID order, as decoded floats. */
static void check_rows(const lm_vec_cache *c, const int64_t *pmids, const float *first, size_t n)
{
    LM_CHECK_INT(c->mat.n, n);
    if (c->mat.n != n)
        return;
    for (size_t i = 0; i < n; i++) {
        LM_CHECK_INT(c->mat.pmids[i], pmids[i]);
        float x = c->mat.q8 ? c->mat.scales[i] * (float)c->mat.q8[i * 4] : c->mat.data[i * 4];
        LM_CHECK(fabsf(x - first[i]) < 0.05f);
        LM_CHECK_INT(c->mat.years[i], 2000 + pmids[i]);
    }
}

static void check_model(const lm_vec_cache *c, size_t len)
{
    unsigned char *m = model_bytes(len);
    LM_CHECK(c->model_len == len && c->model && memcmp(c->model, m, len) == 0);
    free(m);
}

static void open_ok(lm_store *s, lm_vec_cache *c)
{
    lm_error err = {0};
    int found = 0;
    lm_status st = lm_vec_cache_open(s, NULL, NULL, c, &found, &err);
    LM_CHECK(st == LM_OK && found);
    if (st != LM_OK)
        fprintf(stderr, "open: %s\n", err.msg);
}

/* Stored once: after a compaction the rows are empty, the model's bytes
 * are out of the database, the file is mapped whole; rows written since
 * are merged in by readers and moved by the next compaction. */
static void test_stored_once(void)
{
    int64_t id = 0;
    size_t mlen = 100000;
    lm_store *s = model_store_as("vc.db", LM_VEC_I8, mlen, &id);
    LM_CHECK(s != NULL);
    if (!s)
        return;
    char *path = cache_path_of(s);
    lm_vec_cache c;
    lm_error err = {0};
    int64_t p123[] = {1, 2, 3};
    float f123[] = {1, 2, 3};
    /* Never compacted: from the store, and opening writes nothing. */
    open_ok(s, &c);
    LM_CHECK(!c.from_file);
    check_rows(&c, p123, f123, 3);
    check_model(&c, mlen);
    lm_vec_cache_close(&c);
    LM_CHECK(access(path, F_OK) != 0);

    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK(access(path, R_OK) == 0);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vectors WHERE length(vec) > 0"), 0);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vectors"), 3);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM embed_models WHERE data IS NULL"
                            " AND data_len = 100000 AND data_xxh64 IS NOT NULL"), 1);
    LM_CHECK_INT(sql_int(s, "SELECT model_in_file FROM vector_files"), 1);
    open_ok(s, &c);
    LM_CHECK(c.from_file && !c.mat_owned && c.model_heap == NULL);
    check_rows(&c, p123, f123, 3);
    check_model(&c, mlen);
    LM_CHECK(lm_vec_cache_check(s, &err) == LM_OK);
    check_int8_row(&c.mat);
    lm_vec_cache_close(&c);
    /* The model and a vector read through the store come from the file. */
    void *data = NULL;
    size_t len = 0;
    int found = 0;
    lm_vec_model_info info;
    LM_CHECK(lm_vec_model_current(s, &info, &data, &len, &found, &err) == LM_OK && found);
    unsigned char *want = model_bytes(mlen);
    LM_CHECK(len == mlen && data && memcmp(data, want, mlen) == 0);
    LM_CHECK_INT(info.data_bytes, mlen);
    free(want);
    free(data);
    float v[4];
    LM_CHECK(lm_vec_get(s, id, 2, v, 4, &err) == LM_OK && fabsf(v[0] - 2.0f) < 0.05f);

    /* Nothing changed: the file stays (same inode). */
    struct stat before, after;
    LM_CHECK(stat(path, &before) == 0);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK(stat(path, &after) == 0 && after.st_ino == before.st_ino);

    /* A replaced vector, a deleted article and a new one: merged in. */
    float v2[4] = {9.0f, 0.5f, -1.0f, 0.5f};
    LM_CHECK(lm_vec_put(s, id, 2, LM_VEC_I8, v2, 4, &err) == LM_OK);
    int deleted = 0;
    LM_CHECK(lm_store_delete_article(s, 3, &deleted, &err) == LM_OK && deleted);
    put_article(s, 4, 2004);
    float v4[4] = {4.0f, 0.5f, -1.0f, 1.0f};
    LM_CHECK(lm_vec_put(s, id, 4, LM_VEC_I8, v4, 4, &err) == LM_OK);
    int64_t p124[] = {1, 2, 4};
    float f194[] = {1, 9, 4};
    open_ok(s, &c);
    LM_CHECK(c.from_file && c.mat_owned);
    check_rows(&c, p124, f194, 3);
    check_model(&c, mlen);
    lm_vec_cache_close(&c);
    LM_CHECK(lm_vec_get(s, id, 2, v, 4, &err) == LM_OK && fabsf(v[0] - 9.0f) < 0.1f);

    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vectors WHERE length(vec) > 0"), 0);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 0);
    LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), 3);
    open_ok(s, &c);
    LM_CHECK(c.from_file && !c.mat_owned);
    check_rows(&c, p124, f194, 3);
    check_model(&c, mlen);
    lm_vec_cache_close(&c);
    LM_CHECK(lm_vec_cache_check(s, &err) == LM_OK);
    /* An empty row the file does not hold: index check reports it. */
    put_article(s, 5, 2005);
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s),
                          "INSERT INTO vectors (model_id, pmid, format, vec)"
                          " SELECT id, 5, 2, x'' FROM embed_models",
                          NULL, NULL, NULL) == SQLITE_OK);
    LM_CHECK_INT(lm_vec_cache_check(s, &err), LM_ERR_DB);
    LM_CHECK(strstr(err.msg, "4 vectors") && strstr(err.msg, "3 are readable"));
    free(path);
    lm_store_close(s);
}

/* A model under 64 KB (an encoder's record) stays in the database. */
static void test_small_model_stays(void)
{
    int64_t id = 0;
    lm_store *s = model_store_as("vcs.db", LM_VEC_F32, 11, &id);
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_error err = {0};
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT length(data) FROM embed_models"), 11);
    LM_CHECK_INT(sql_int(s, "SELECT model_in_file FROM vector_files"), 0);
    lm_vec_cache c;
    open_ok(s, &c);
    int64_t p123[] = {1, 2, 3};
    float f123[] = {1, 2, 3};
    LM_CHECK(c.from_file && c.mat.data != NULL);   /* float32 stays float32 */
    check_rows(&c, p123, f123, 3);
    check_model(&c, 11);
    LM_CHECK(c.model_heap != NULL);
    lm_vec_cache_close(&c);
    lm_store_close(s);
}

static void flip_byte(const char *path, long from_end)
{
    FILE *f = fopen(path, "r+b");
    LM_CHECK(f != NULL);
    if (!f)
        return;
    LM_CHECK(fseek(f, -from_end, SEEK_END) == 0);
    int ch = fgetc(f);
    LM_CHECK(fseek(f, -from_end, SEEK_END) == 0);
    fputc(ch ^ 0x40, f);
    fclose(f);
}

/* model_too: the model is damaged (or the file missing or foreign), so a
 * copy of the model fails too; with the rows alone damaged the model is
 * still read (it verifies the model's checksum, not the rows'). */
static void expect_recovery_error(lm_store *s, int model_too)
{
    lm_vec_cache c;
    lm_error err = {0};
    int found = 0;
    LM_CHECK_INT(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err), LM_ERR_DB);
    LM_CHECK(strstr(err.msg, "missing or damaged") && strstr(err.msg, "litmine index build"));
    void *data = NULL;
    size_t len = 0;
    lm_vec_model_info info;
    if (model_too) {
        LM_CHECK_INT(lm_vec_model_current(s, &info, &data, &len, &found, &err), LM_ERR_DB);
        LM_CHECK(data == NULL);
    } else {
        LM_CHECK(lm_vec_model_current(s, &info, &data, &len, &found, &err) == LM_OK && found);
        LM_CHECK(data != NULL && len > 0);
        free(data);
    }
}

/* A damaged, missing or foreign file is an error naming the recovery,
 * never a smaller index; activating a new model (what `index build`
 * does) recovers. */
static void test_missing_damaged_foreign(void)
{
    int64_t id = 0;
    lm_store *s = model_store_as("vcd.db", LM_VEC_I8, 70000, &id);
    LM_CHECK(s != NULL);
    if (!s)
        return;
    char *path = cache_path_of(s);
    lm_error err = {0};
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    flip_byte(path, 5);   /* in the model */
    expect_recovery_error(s, 1);
    LM_CHECK_INT(lm_vec_cache_check(s, &err), LM_ERR_DB);
    /* a refresh with nothing to write reads neither the model nor a row */
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    flip_byte(path, 5);
    lm_vec_cache c;
    open_ok(s, &c);
    lm_vec_cache_close(&c);

    /* Another database's file (same model id) is foreign. */
    int64_t id2 = 0;
    lm_store *other = model_store_as("vcd2.db", LM_VEC_I8, 70000, &id2);
    LM_CHECK(other != NULL);
    if (other) {
        LM_CHECK(lm_vec_cache_refresh(other, NULL, &err) == LM_OK);
        char *opath = cache_path_of(other);
        LM_CHECK(rename(opath, path) == 0);
        expect_recovery_error(s, 1);
        free(opath);
        lm_store_close(other);
    }
    unlink(path);
    expect_recovery_error(s, 1);

    /* Recovery: a new model embeds every article again. */
    int64_t id3 = 0;
    LM_CHECK(lm_vec_model_add(s, "test", 4, "m", 1, 3, 0.1, "{}", &id3, &err) == LM_OK);
    for (int p = 1; p <= 3; p++) {
        float v[4] = {(float)p, 0.5f, -1.0f, 0.25f * (float)p};
        LM_CHECK(lm_vec_put(s, id3, p, LM_VEC_I8, v, 4, &err) == LM_OK);
    }
    LM_CHECK(lm_vec_model_activate(s, id3, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vectors"), 3);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_files"), 0);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 0);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    open_ok(s, &c);
    int64_t p123[] = {1, 2, 3};
    float f123[] = {1, 2, 3};
    LM_CHECK(c.from_file);
    check_rows(&c, p123, f123, 3);
    lm_vec_cache_close(&c);
    free(path);
    lm_store_close(s);
}

/* A refresh of the database at dbpath in a child process, killed
 * (SIGKILL) at crash point step. */
static void refresh_killed_at(const char *dbpath, int step)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        char v[16];
        snprintf(v, sizeof v, "%d", step);
        setenv("LITMINE_TEST_COMPACT_KILL", v, 1);
        lm_store *cs = NULL;
        lm_error cerr = {0};
        if (lm_store_open(&cs, dbpath, NULL, &cerr) == LM_OK)
            lm_vec_cache_refresh(cs, NULL, &cerr);
        _exit(0);
    }
    int status = 0;
    LM_CHECK(waitpid(pid, &status, 0) == pid);
    LM_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* A compaction killed (SIGKILL) after writing .next, after its commit
 * and after its rename: the database and the file stay consistent (a
 * reader sees every vector), and the next compaction resumes. */
/* Kill -9 at each step: 1-3 of a rewrite (a revised vector of PMID 2
 * voids its file row), 4-6 of an append (a new PMID 4 after the file's
 * rows): written not synced, synced not committed, committed.  Readers
 * see the same rows before any repair, and the next refresh resumes. */
static void test_crash_at_each_step(void)
{
#ifndef LM_CRASH_POINTS
    LM_SKIP("a build without crash points (the sanitizer builds have them)");
#endif
    for (int step = 1; step <= 6; step++) {
        int append = step >= 4;
        int64_t id = 0;
        char name[32];
        snprintf(name, sizeof name, "vck%d.db", step);
        lm_store *s = compacted_store(name, LM_VEC_I8, &id);
        if (!s)
            return;
        lm_error err = {0};
        int64_t file_id = sql_int(s, "SELECT file_id FROM vector_files");
        put_article(s, 4, 2004);
        float v4[4] = {4.0f, 0.5f, -1.0f, 1.0f};
        float v2[4] = {-2.0f, 0.5f, -1.0f, 1.0f};
        if (append)
            LM_CHECK(lm_vec_put(s, id, 4, LM_VEC_I8, v4, 4, &err) == LM_OK);
        else
            LM_CHECK(lm_vec_put(s, id, 2, LM_VEC_I8, v2, 4, &err) == LM_OK);
        char *path = cache_path_of(s);
        char *dbpath = strdup(sqlite3_db_filename(lm_store_sqlite(s), "main"));
        lm_store_close(s);
        refresh_killed_at(dbpath, step);
        s = NULL;
        LM_CHECK(lm_store_open(&s, dbpath, NULL, &err) == LM_OK);
        int64_t p1234[] = {1, 2, 3, 4}, p123[] = {1, 2, 3};
        float f1234[] = {1, 2, 3, 4}, f1m23[] = {1, -2, 3};
        const int64_t *pm = append ? p1234 : p123;
        const float *fv = append ? f1234 : f1m23;
        size_t n = append ? 4 : 3;
        /* the append keeps the file: its count is the database's */
        if (append)
            LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), step == 6 ? 4 : 3);
        lm_vec_cache c;
        open_ok(s, &c);   /* consistent before any repair */
        check_rows(&c, pm, fv, n);
        check_model(&c, 80000);
        lm_vec_cache_close(&c);
        LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
        char next[700];
        snprintf(next, sizeof next, "%s.next", path);
        LM_CHECK(access(next, F_OK) != 0);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vectors WHERE length(vec) > 0"), 0);
        LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), (int64_t)n);
        if (append)
            LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);
        open_ok(s, &c);
        LM_CHECK(c.from_file && !c.mat_owned);
        check_rows(&c, pm, fv, n);
        check_model(&c, 80000);
        lm_vec_cache_close(&c);
        free(path);
        free(dbpath);
        lm_store_close(s);
    }
}

/* New PMIDs after the file's rows are appended in place: the file keeps
 * its id and length, a reader that mapped it before keeps its rows, a new
 * reader maps the longer count; a void row (a revised vector) or a row out
 * of PMID order rewrites the file under a new id.  The answers are those
 * of a file written from scratch. */
static void test_append_in_place(void)
{
    int64_t id = 0;
    lm_store *s = compacted_store("vcappend.db", LM_VEC_F32, &id);
    if (!s)
        return;
    lm_error err = {0};
    int64_t file_id = sql_int(s, "SELECT file_id FROM vector_files");
    char *path = cache_path_of(s);
    struct stat before, after;
    LM_CHECK(stat(path, &before) == 0);
    lm_vec_cache reader;
    open_ok(s, &reader);
    LM_CHECK(reader.file_version == 5 && reader.file_cap >= 3 + 4096);
    for (int p = 4; p <= 6; p++) {
        put_article(s, p, 2000 + p);
        float v[4] = {(float)p, 0.5f, -1.0f, 0.25f * (float)p};
        LM_CHECK(lm_vec_put(s, id, p, LM_VEC_F32, v, 4, &err) == LM_OK);
    }
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);
    LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), 6);
    LM_CHECK(stat(path, &after) == 0 && after.st_size == before.st_size &&
             after.st_ino == before.st_ino);
    int64_t p123[] = {1, 2, 3}, p1_6[] = {1, 2, 3, 4, 5, 6}, p1_5[] = {1, 3, 4, 5, 6};
    float f123[] = {1, 2, 3}, f1_6[] = {1, 2, 3, 4, 5, 6}, f1_5[] = {1, 3, 4, 5, 6};
    check_rows(&reader, p123, f123, 3);   /* the earlier reader, unchanged */
    lm_vec_cache_close(&reader);
    lm_vec_cache c;
    open_ok(s, &c);
    LM_CHECK(c.from_file && !c.mat_owned);
    check_rows(&c, p1_6, f1_6, 6);
    check_model(&c, 80000);
    /* the same ranking as the rows searched from a matrix built in memory */
    lm_vec_matrix fresh;
    lm_vec_matrix_init(&fresh);
    for (int p = 1; p <= 6; p++) {
        float v[4] = {(float)p, 0.5f, -1.0f, 0.25f * (float)p};
        LM_CHECK(lm_vec_matrix_push(&fresh, p, 0, v, 4, &err) == LM_OK);
    }
    float q[4] = {0.1f, 1.0f, 0.0f, -0.5f};
    lm_vec_hit h1[6], h2[6];
    size_t n1 = 0, n2 = 0;
    LM_CHECK(lm_vec_search(&c.mat, q, 6, 0, NULL, h1, &n1, &err) == LM_OK);
    LM_CHECK(lm_vec_search(&fresh, q, 6, 0, NULL, h2, &n2, &err) == LM_OK);
    LM_CHECK_INT(n1, 6);
    LM_CHECK_INT(n2, 6);
    for (size_t i = 0; i < n1 && i < n2; i++)
        LM_CHECK(h1[i].pmid == h2[i].pmid && h1[i].score == h2[i].score);
    lm_vec_matrix_free(&fresh);
    lm_vec_cache_close(&c);
    /* a deleted article voids a file row: rewritten under a new id */
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s), "DELETE FROM vectors WHERE pmid = 2", NULL, NULL,
                          NULL) == SQLITE_OK);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    int64_t rewritten = sql_int(s, "SELECT file_id FROM vector_files");
    LM_CHECK(rewritten != file_id);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 0);
    open_ok(s, &c);
    LM_CHECK(c.from_file && !c.mat_owned);
    check_rows(&c, p1_5, f1_5, 5);
    lm_vec_cache_close(&c);
    /* a row out of PMID order (an older article embedded late): rewritten */
    float v0[4] = {2.0f, 0.5f, -1.0f, 0.5f};
    LM_CHECK(lm_vec_put(s, id, 2, LM_VEC_F32, v0, 4, &err) == LM_OK);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK(sql_int(s, "SELECT file_id FROM vector_files") != rewritten);
    open_ok(s, &c);
    check_rows(&c, p1_6, f1_6, 6);
    lm_vec_cache_close(&c);
    free(path);
    lm_store_close(s);
}

/* Queries while appending: a child process ingests 40 more vectors, one
 * refresh (one append) each, while this one opens the vectors again and
 * again; every open sees whole rows 1..n in order with their values, and
 * the last sees all of them from the file. */
static void test_read_while_appending(void)
{
    int64_t id = 0;
    lm_store *s = compacted_store("vcreaders.db", LM_VEC_F32, &id);
    if (!s)
        return;
    lm_error err = {0};
    int64_t file_id = sql_int(s, "SELECT file_id FROM vector_files");
    char *dbpath = strdup(sqlite3_db_filename(lm_store_sqlite(s), "main"));
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        lm_store *ws = NULL;
        lm_error werr = {0};
        int bad = lm_store_open(&ws, dbpath, NULL, &werr) != LM_OK;
        for (int p = 4; p <= 43 && !bad; p++) {
            lm_article a;
            lm_article_init(&a);
            a.pmid = p;
            a.version = 1;
            a.year = 2000 + p;
            a.title = (char *)"title";
            a.abstract = (char *)"abstract";
            lm_put_result r;
            float v[4] = {(float)p, 0.5f, -1.0f, 0.25f * (float)p};
            bad = lm_store_put_article(ws, &a, "test", &r, &werr) != LM_OK ||
                  lm_vec_put(ws, id, p, LM_VEC_F32, v, 4, &werr) != LM_OK ||
                  lm_vec_cache_refresh(ws, NULL, &werr) != LM_OK;
        }
        lm_store_close(ws);
        _exit(bad);
    }
    int status = 0, opens = 0, bad_rows = 0;
    size_t last_n = 0;
    for (;;) {
        int done = waitpid(pid, &status, WNOHANG) == pid;
        lm_vec_cache c;
        int found = 0;
        if (lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && found) {
            opens++;
            bad_rows += c.mat.n < 3 || c.mat.n > 43;
            for (size_t i = 0; i < c.mat.n; i++)
                bad_rows += c.mat.pmids[i] != (int64_t)i + 1 ||
                            c.mat.data[i * 4] != (float)(i + 1) ||
                            c.mat.years[i] != 2001 + (int)i;
            last_n = c.mat.n;
            lm_vec_cache_close(&c);
        } else {
            bad_rows++;
        }
        if (done)
            break;
    }
    LM_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    LM_CHECK(opens > 1);
    LM_CHECK_INT(bad_rows, 0);
    LM_CHECK_INT(last_n, 43);
    LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vectors WHERE length(vec) > 0"), 0);
    free(dbpath);
    lm_store_close(s);
}

/* Writes path as a format 4 file (schema 16 and 17: no spare slots, an
 * XXH3 over the whole payload) holding c's float rows and model, named
 * file_id. */
static void write_v4_file(const char *path, const lm_vec_cache *c, int64_t file_id)
{
    file_header_v4 h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, 8);
    h.version = 4;
    h.byte_order = BYTE_ORDER_MARK;
    h.sizes = lm_vc_type_sizes();
    h.dim = (uint32_t)c->info.dim;
    h.model_id = c->info.id;
    h.file_id = file_id;
    h.n = c->mat.n;
    h.model_len = c->model_len;
    h.off_pmids = HEADER_BYTES;
    h.off_years = h.off_pmids + h.n * 8;
    h.off_scales = (h.off_years + h.n * 2 + 63) & ~(uint64_t)63;
    h.off_data = h.off_scales;
    h.off_model = (h.off_data + h.n * h.dim * 4 + 63) & ~(uint64_t)63;
    h.file_len = h.off_model + h.model_len;
    snprintf(h.created_at, sizeof h.created_at, "%s", c->info.created_at);
    unsigned char *b = calloc(1, (size_t)h.file_len);
    if (!b)
        return;
    memcpy(b + h.off_pmids, c->mat.pmids, h.n * 8);
    memcpy(b + h.off_years, c->mat.years, h.n * 2);
    memcpy(b + h.off_data, c->mat.data, h.n * h.dim * 4);
    memcpy(b + h.off_model, c->model, h.model_len);
    h.payload_xxh64 = XXH3_64bits(b + HEADER_BYTES, (size_t)h.file_len - HEADER_BYTES);
    h.crc = (uint32_t)crc32(0L, (const Bytef *)&h, (uInt)offsetof(file_header_v4, crc));
    memcpy(b, &h, sizeof h);
    FILE *f = fopen(path, "wb");
    LM_CHECK(f && fwrite(b, 1, (size_t)h.file_len, f) == (size_t)h.file_len);
    if (f)
        fclose(f);
    free(b);
}

/* A schema-17 database with a format 4 vector file migrates to 18, reads
 * the file as it is, rewrites it as format 5 at the next refresh, and
 * appends to it at the one after. */
static void test_schema17_format4_file(void)
{
    int64_t id = 0;
    lm_store *s = compacted_store("vcv4.db", LM_VEC_F32, &id);
    if (!s)
        return;
    lm_error err = {0};
    int64_t file_id = sql_int(s, "SELECT file_id FROM vector_files");
    char *path = cache_path_of(s);
    char *dbpath = strdup(sqlite3_db_filename(lm_store_sqlite(s), "main"));
    lm_vec_cache c;
    open_ok(s, &c);
    write_v4_file(path, &c, file_id);
    lm_vec_cache_close(&c);
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s),
                          "DROP TABLE vector_file_chunks; UPDATE schema_version SET version = 17",
                          NULL, NULL, NULL) == SQLITE_OK);
    lm_store_close(s);
    s = NULL;
    LM_CHECK(lm_store_open(&s, dbpath, NULL, &err) == LM_OK);
    if (!s)
        return;
    LM_CHECK_INT(sql_int(s, "SELECT version FROM schema_version"), lm_store_schema_version());
    int64_t p123[] = {1, 2, 3}, p1234[] = {1, 2, 3, 4}, p1_5[] = {1, 2, 3, 4, 5};
    float f123[] = {1, 2, 3}, f1234[] = {1, 2, 3, 4}, f1_5[] = {1, 2, 3, 4, 5};
    open_ok(s, &c);
    LM_CHECK(c.from_file && !c.mat_owned && c.file_version == 4);
    check_rows(&c, p123, f123, 3);
    check_model(&c, 80000);
    lm_vec_cache_close(&c);
    for (int p = 4; p <= 5; p++) {
        put_article(s, p, 2000 + p);
        float v[4] = {(float)p, 0.5f, -1.0f, 0.25f * (float)p};
        LM_CHECK(lm_vec_put(s, id, p, LM_VEC_F32, v, 4, &err) == LM_OK);
        LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
        int64_t now = sql_int(s, "SELECT file_id FROM vector_files");
        if (p == 4)   /* a format 4 file has no room: rewritten */
            LM_CHECK(now != file_id);
        else          /* then appended to */
            LM_CHECK_INT(now, file_id);
        file_id = now;
        open_ok(s, &c);
        LM_CHECK(c.from_file && !c.mat_owned && c.file_version == 5);
        check_rows(&c, p == 4 ? p1234 : p1_5, p == 4 ? f1234 : f1_5, (size_t)p);
        check_model(&c, 80000);
        lm_vec_cache_close(&c);
    }
    free(path);
    free(dbpath);
    lm_store_close(s);
}

/* A model being built is compacted into a file of its own: the current
 * model's file stays whole and searchable; when the new model becomes
 * current (lm_vec_cache_activate) its bytes go straight into the file,
 * never into its row, and its build file goes. */
static void test_build_file_then_activate(void)
{
    int64_t id = 0;
    lm_store *s = model_store_as("vcb.db", LM_VEC_I8, 90000, &id);
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_error err = {0};
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    int64_t id2 = 0;
    LM_CHECK(lm_vec_model_add(s, "test", 4, NULL, 0, 3, 0.1, "{}", &id2, &err) == LM_OK);
    for (int p = 1; p <= 2; p++) {
        float v[4] = {10.0f * (float)p, 0.5f, -1.0f, 0.0f};
        LM_CHECK(lm_vec_put(s, id2, p, LM_VEC_I8, v, 4, &err) == LM_OK);
    }
    LM_CHECK(lm_vec_cache_compact_model(s, id2, &err) == LM_OK);
    char *path = cache_path_of(s);
    char build[700];
    snprintf(build, sizeof build, "%s.m%lld", path, (long long)id2);
    LM_CHECK(access(build, R_OK) == 0);
    lm_vec_cache c;
    int64_t p123[] = {1, 2, 3};
    float f123[] = {1, 2, 3};
    open_ok(s, &c);   /* still the current model's, from its own file */
    LM_CHECK(c.from_file && c.info.id == id);
    check_rows(&c, p123, f123, 3);
    lm_vec_cache_close(&c);
    float v3[4] = {30.0f, 0.5f, -1.0f, 0.0f};
    LM_CHECK(lm_vec_put(s, id2, 3, LM_VEC_I8, v3, 4, &err) == LM_OK);
    unsigned char *m = model_bytes(90000);
    LM_CHECK(lm_vec_cache_activate(s, id2, m, 90000, &err) == LM_OK);
    free(m);
    LM_CHECK(access(build, F_OK) != 0);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vectors"), 3);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vectors WHERE length(vec) > 0"), 0);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM embed_models WHERE state = 'ready'"
                            " AND data IS NULL AND data_len = 90000"), 1);
    open_ok(s, &c);
    float f102030[] = {10, 20, 30};
    LM_CHECK(c.from_file && !c.mat_owned && c.info.id == id2);
    check_rows(&c, p123, f102030, 3);
    check_model(&c, 90000);
    lm_vec_cache_close(&c);
    free(path);
    lm_store_close(s);
}

/* A schema-15 database holds every vector and the model in SQLite (and
 * possibly an old-format copy in the file): it migrates forward, reads
 * from the store until its first compaction, then stores them once. */
static void test_schema15_migrates(void)
{
    char p[512];
    db_path(p, sizeof p, "vc15.db");
    char side[600];
    snprintf(side, sizeof side, "%s.vectors", p);
    FILE *old = fopen(side, "wb");   /* a format-3 file: never read again */
    if (old) {
        fputs("LMVECCH1 an old cache file", old);
        fclose(old);
    }
    lm_error err = {0};
    LM_CHECK_INT(lm_store_migrate_path(p, 15, &err), LM_OK);
    sqlite3 *db = raw_open(p);
    LM_CHECK_INT(raw_exec(db, "INSERT INTO articles (pmid, version, title, abstract, year,"
                              " content_hash, source, ingested_at) VALUES"
                              " (1, 1, 't', 'a', 2001, 1, 'old', '2020-01-01T00:00:00Z'),"
                              " (2, 1, 't', 'a', 2002, 2, 'old', '2020-01-01T00:00:00Z')"), 0);
    LM_CHECK_INT(raw_exec(db, "INSERT INTO embed_models (id, kind, dim, state, created_at, data)"
                              " VALUES (5, 'test', 4, 'ready', '2020-01-01T00:00:00Z',"
                              " zeroblob(70000))"), 0);
    /* f32 vectors (1, 0, 0, 0) and (2, 0, 0, 0), little-endian */
    LM_CHECK_INT(raw_exec(db, "INSERT INTO vectors (model_id, pmid, format, vec) VALUES"
                              " (5, 1, 0, x'0000803f000000000000000000000000'),"
                              " (5, 2, 0, x'00000040000000000000000000000000')"), 0);
    sqlite3_close(db);
    lm_store *s = NULL;
    LM_CHECK(lm_store_open(&s, p, NULL, &err) == LM_OK);
    if (!s)
        return;
    LM_CHECK_INT(sql_int(s, "SELECT version FROM schema_version"), lm_store_schema_version());
    lm_vec_cache c;
    open_ok(s, &c);
    LM_CHECK(!c.from_file && c.mat.n == 2 && c.model_len == 70000);
    lm_vec_cache_close(&c);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vectors WHERE length(vec) = 0"), 2);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM embed_models WHERE data IS NULL"), 1);
    open_ok(s, &c);
    LM_CHECK(c.from_file && c.mat.n == 2 && c.model_len == 70000 && c.mat.data);
    if (c.mat.data && c.mat.n == 2)
        LM_CHECK(c.mat.data[0] == 1.0f && c.mat.data[4] == 2.0f && c.mat.years[1] == 2002);
    lm_vec_cache_close(&c);
    lm_store_close(s);
}

/* A vector with a NaN or an infinity is refused on the way in, and one
 * already stored (a damaged row) is left out on the way out. */
static void test_nonfinite_vectors(void)
{
    int64_t id = 0;
    lm_store *s = model_store_as("vc6.db", LM_VEC_F32, 11, &id);
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_error err = {0};
    float bad[4] = {1.0f, NAN, 0.0f, 0.0f};
    LM_CHECK_INT(lm_vec_put(s, id, 2, LM_VEC_F32, bad, 4, &err), LM_ERR_FORMAT);
    bad[1] = INFINITY;
    LM_CHECK_INT(lm_vec_put(s, id, 2, LM_VEC_F32, bad, 4, &err), LM_ERR_FORMAT);
    /* float32 NaN written into the stored blob of PMID 2, second value. */
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s),
                          "UPDATE vectors SET vec = substr(vec, 1, 4) || x'0000c07f' ||"
                          " substr(vec, 9) WHERE pmid = 2",
                          NULL, NULL, NULL) == SQLITE_OK);
    lm_vec_matrix m;
    lm_vec_matrix_init(&m);
    LM_CHECK(lm_vec_matrix_load(s, id, 4, &m, &err) == LM_OK);
    LM_CHECK_INT(m.n, 2);
    LM_CHECK(m.n == 2 && m.pmids[0] == 1 && m.pmids[1] == 3);
    float q[4] = {1, 1, 1, 1};
    lm_vec_hit hits[3];
    size_t n = 0;
    LM_CHECK(lm_vec_search(&m, q, 3, 0, NULL, hits, &n, &err) == LM_OK);
    LM_CHECK_INT(n, 2);
    lm_vec_matrix_free(&m);
    lm_store_close(s);
}

/* ---- shadowed rows: revisions and deletions without a rewrite ---------- */

/* A store whose file holds PMIDs 1..n (float32, years 2000 + p), the
 * vector of p being vec_of(p, 0). */
static void vec_of(int64_t p, int rev, float *v)
{
    v[0] = (float)(p % 7) - 3.0f + (float)rev * 2.5f;
    v[1] = 0.5f * (float)(p % 3);
    v[2] = -1.0f + 0.1f * (float)p;
    v[3] = (float)rev - 0.25f * (float)(p % 5);
}

static lm_store *shadow_store(const char *name, int n, int64_t *id)
{
    lm_store *s = compacted_store(name, LM_VEC_F32, id);
    if (!s)
        return NULL;
    lm_error err = {0};
    for (int p = 1; p <= n; p++) {
        if (p > 3)
            put_article(s, p, 2000 + p);
        float v[4];
        vec_of(p, 0, v);
        LM_CHECK(lm_vec_put(s, *id, p, LM_VEC_F32, v, 4, &err) == LM_OK);
    }
    /* the revisions of 1..3 void rows of a 3-row file: rewritten whole */
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), n);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vectors WHERE length(vec) > 0"), 0);
    return s;
}

/* The answers of c for the articles alive (alive[p] = revision + 1, 0:
 * deleted), against a matrix built in memory from the expected vectors:
 * the same PMIDs, scores and order, every row, with and without a year
 * filter; find() sees no deleted PMID. */
static void check_like_fresh(const lm_vec_cache *c, const int *alive, int n)
{
    lm_error err = {0};
    lm_vec_matrix fresh;
    lm_vec_matrix_init(&fresh);
    for (int p = 1; p <= n; p++) {
        if (!alive[p])
            continue;
        float v[4];
        vec_of(p, alive[p] - 1, v);
        LM_CHECK(lm_vec_matrix_push(&fresh, p, 2000 + p + (alive[p] - 1) * 100, v, 4, &err) ==
                 LM_OK);
    }
    LM_CHECK_INT(c->mat.n - c->mat.n_dead, fresh.n);
    float q[4] = {0.3f, 1.0f, 0.2f, -0.5f};
    lm_vec_hit h1[64], h2[64];
    for (int y = 0; y <= 1; y++) {
        int min_year = y ? 2015 : 0;
        size_t n1 = 0, n2 = 0;
        LM_CHECK(lm_vec_search(&c->mat, q, 64, min_year, NULL, h1, &n1, &err) == LM_OK);
        LM_CHECK(lm_vec_search(&fresh, q, 64, min_year, NULL, h2, &n2, &err) == LM_OK);
        LM_CHECK_INT(n1, n2);
        for (size_t i = 0; i < n1 && i < n2; i++)
            LM_CHECK(h1[i].pmid == h2[i].pmid && h1[i].score == h2[i].score);
        size_t nb1 = 0, nb2 = 0;
        LM_CHECK(lm_vec_search_batch(&c->mat, q, 1, 64, h1, &nb1, &err) == LM_OK);
        LM_CHECK(lm_vec_search_batch(&fresh, q, 1, 64, h2, &nb2, &err) == LM_OK);
        LM_CHECK_INT(nb1, nb2);
        for (size_t i = 0; i < nb1 && i < nb2; i++)
            LM_CHECK(h1[i].pmid == h2[i].pmid);
    }
    for (int p = 1; p <= n; p++) {
        long row = lm_vec_matrix_find(&c->mat, p);
        LM_CHECK(alive[p] ? row >= 0 : row < 0);
        if (row >= 0)
            LM_CHECK_INT(c->mat.years[row], 2000 + p + (alive[p] - 1) * 100);
    }
    lm_vec_matrix_free(&fresh);
}

static void revise(lm_store *s, int64_t id, int64_t p, int rev)
{
    lm_error err = {0};
    lm_article a;
    lm_article_init(&a);
    a.pmid = p;
    a.version = 1;
    a.year = 2000 + (int)p + rev * 100;
    char text[32];
    snprintf(text, sizeof text, "abstract, revision %d", rev);
    a.title = (char *)"title";
    a.abstract = text;
    lm_put_result r;
    LM_CHECK(lm_store_put_article(s, &a, "test", &r, &err) == LM_OK);
    float v[4];
    vec_of(p, rev, v);
    LM_CHECK(lm_vec_put(s, id, p, LM_VEC_F32, v, 4, &err) == LM_OK);
}

static void delete_article(lm_store *s, int64_t p)
{
    lm_error err = {0};
    int deleted = 0;
    LM_CHECK(lm_store_delete_article(s, p, &deleted, &err) == LM_OK && deleted);
}

/* Revised and deleted articles of the file leave it as it is (same id,
 * inode and length) while its stale rows stay under STALE_REWRITE_PERCENT:
 * the revision's full row and the void marks stay in the database, new
 * PMIDs are still appended, readers patch their copy of the mapping and
 * answer as a file written from scratch; a reader opened before keeps its
 * answers.  Past the threshold the file is rewritten and the shadow rows
 * cleared. */
static void test_shadow_rows(void)
{
    int64_t id = 0;
    const int n = 40;
    lm_store *s = shadow_store("vcshadow.db", n, &id);
    if (!s)
        return;
    lm_error err = {0};
    int alive[64];
    for (int p = 0; p < 64; p++)
        alive[p] = p >= 1 && p <= n;
    char *path = cache_path_of(s);
    int64_t file_id = sql_int(s, "SELECT file_id FROM vector_files");
    struct stat before, after;
    LM_CHECK(stat(path, &before) == 0);
    lm_vec_cache early;
    open_ok(s, &early);
    check_like_fresh(&early, alive, n);

    revise(s, id, 5, 1);
    delete_article(s, 7);
    put_article(s, 41, 2041);
    float v41[4];
    vec_of(41, 0, v41);
    LM_CHECK(lm_vec_put(s, id, 41, LM_VEC_F32, v41, 4, &err) == LM_OK);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    /* kept, 41 appended, the shadow rows left in the database */
    LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);
    LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), 41);
    LM_CHECK(stat(path, &after) == 0 && after.st_ino == before.st_ino &&
             after.st_size == before.st_size);
    LM_CHECK_INT(sql_int(s, "SELECT group_concat(pmid) FROM vectors WHERE length(vec) > 0"), 5);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 2);
    check_like_fresh(&early, alive, n);   /* the earlier reader, unchanged */
    lm_vec_cache_close(&early);
    alive[5] = 2;
    alive[7] = 0;
    alive[41] = 1;
    lm_vec_cache c;
    open_ok(s, &c);
    LM_CHECK(c.from_file && !c.mat_owned);
    LM_CHECK_INT(c.mat.n_dead, 1);
    check_like_fresh(&c, alive, 41);
    lm_vec_cache_close(&c);
    LM_CHECK(lm_vec_cache_check(s, &err) == LM_OK);
    int64_t rows = 0, stale = 0;
    size_t row_bytes = 0;
    LM_CHECK(lm_vec_cache_rows(s, &rows, &stale, &row_bytes, &err) == LM_OK);
    LM_CHECK(rows == 41 && stale == 2 && row_bytes == 4 * sizeof(float) + 8 + 2);
    float v[4];
    float want[4];
    vec_of(5, 1, want);
    LM_CHECK(lm_vec_get(s, id, 5, v, 4, &err) == LM_OK && v[0] == want[0]);
    LM_CHECK_INT(lm_vec_get(s, id, 7, v, 4, &err), LM_ERR_NOTFOUND);

    /* nothing new: nothing written */
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);

    /* a revision of a revised row, a revision of the appended row: 4 of
     * 41 rows stale (9.8%), kept */
    revise(s, id, 5, 2);
    revise(s, id, 41, 1);
    revise(s, id, 12, 1);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 4);
    alive[5] = 3;
    alive[41] = 2;
    alive[12] = 2;
    open_ok(s, &c);
    LM_CHECK(c.from_file && !c.mat_owned);
    check_like_fresh(&c, alive, 41);
    lm_vec_cache_close(&c);

    /* a reader open while the threshold is crossed keeps its answers */
    open_ok(s, &early);
    delete_article(s, 20);   /* 5 of 41: rewritten, shadow rows cleared */
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK(sql_int(s, "SELECT file_id FROM vector_files") != file_id);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 0);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vectors WHERE length(vec) > 0"), 0);
    LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), 39);
    check_like_fresh(&early, alive, 41);
    lm_vec_cache_close(&early);
    alive[20] = 0;
    open_ok(s, &c);
    LM_CHECK(c.from_file && !c.mat_owned);
    LM_CHECK_INT(c.mat.n_dead, 0);
    check_like_fresh(&c, alive, 41);
    lm_vec_cache_close(&c);
    LM_CHECK(lm_vec_cache_check(s, &err) == LM_OK);
    LM_CHECK(lm_vec_cache_rows(s, &rows, &stale, &row_bytes, &err) == LM_OK);
    LM_CHECK(rows == 39 && stale == 0);
    free(path);
    lm_store_close(s);
}

/* Revisions in one transaction: the store's autocommit per row would
 * sync tens of thousands of times. */
static void revise_range(lm_store *s, int64_t id, int64_t from, int64_t to)
{
    lm_error err = {0};
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s), "BEGIN", NULL, NULL, NULL) == SQLITE_OK);
    for (int64_t p = from; p <= to; p++) {
        float v[4];
        vec_of(p, 1, v);
        LM_CHECK(lm_vec_put(s, id, p, LM_VEC_F32, v, 4, &err) == LM_OK);
    }
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s), "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
}

/* SHADOW_ROWS_MAX bounds the shadow rows whatever the file's size: in a
 * file of 10 * SHADOW_ROWS_MAX + 40 rows (so that 10% is not reached
 * first), SHADOW_ROWS_MAX revised rows are kept shadowed, one more
 * rewrites the file and clears them; readers answer the revisions. */
static void test_shadow_rows_capped(void)
{
    const int64_t n = 10 * (int64_t)SHADOW_ROWS_MAX + 40;
    int64_t id = 0;
    lm_store *s = compacted_store("vccap.db", LM_VEC_F32, &id);
    if (!s)
        return;
    lm_error err = {0};
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s), "BEGIN", NULL, NULL, NULL) == SQLITE_OK);
    for (int64_t p = 1; p <= n; p++) {
        if (p > 3)
            put_article(s, p, 2000);
        float v[4];
        vec_of(p, 0, v);
        LM_CHECK(lm_vec_put(s, id, p, LM_VEC_F32, v, 4, &err) == LM_OK);
    }
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s), "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), n);
    int64_t file_id = sql_int(s, "SELECT file_id FROM vector_files");

    revise_range(s, id, 1, (int64_t)SHADOW_ROWS_MAX);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), (int64_t)SHADOW_ROWS_MAX);

    revise_range(s, id, (int64_t)SHADOW_ROWS_MAX + 1, (int64_t)SHADOW_ROWS_MAX + 1);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK(sql_int(s, "SELECT file_id FROM vector_files") != file_id);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 0);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vectors WHERE length(vec) > 0"), 0);
    LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), n);
    lm_vec_cache c;
    open_ok(s, &c);
    LM_CHECK(c.from_file && !c.mat_owned);
    LM_CHECK_INT(c.mat.n, n);
    for (int64_t p = 1; p <= n; p += 997) {
        long row = lm_vec_matrix_find(&c.mat, p);
        LM_CHECK(row >= 0);
        float want[4];
        vec_of(p, p <= (int64_t)SHADOW_ROWS_MAX + 1, want);
        if (row >= 0)
            LM_CHECK(c.mat.data[(size_t)row * 4] == want[0] &&
                     c.mat.data[(size_t)row * 4 + 3] == want[3]);
    }
    lm_vec_cache_close(&c);
    LM_CHECK(lm_vec_cache_check(s, &err) == LM_OK);
    lm_store_close(s);
}

/* Kill -9 at each step of an append that leaves a revision and a
 * deletion shadowed (4: rows written, 5: synced, 6: committed): readers
 * answer the same before any repair, and the rerun appends once, keeps
 * the file and the shadow rows. */
static void test_shadow_crash(void)
{
#ifndef LM_CRASH_POINTS
    LM_SKIP("a build without crash points (the sanitizer builds have them)");
#endif
    for (int step = 4; step <= 6; step++) {
        int64_t id = 0;
        char name[32];
        snprintf(name, sizeof name, "vcshk%d.db", step);
        lm_store *s = shadow_store(name, 30, &id);
        if (!s)
            return;
        int64_t file_id = sql_int(s, "SELECT file_id FROM vector_files");
        revise(s, id, 9, 1);
        delete_article(s, 4);
        put_article(s, 31, 2031);
        lm_error err = {0};
        float v[4];
        vec_of(31, 0, v);
        LM_CHECK(lm_vec_put(s, id, 31, LM_VEC_F32, v, 4, &err) == LM_OK);
        char *dbpath = strdup(sqlite3_db_filename(lm_store_sqlite(s), "main"));
        lm_store_close(s);
        refresh_killed_at(dbpath, step);
        s = NULL;
        LM_CHECK(lm_store_open(&s, dbpath, NULL, &err) == LM_OK);
        int alive[64] = {0};
        for (int p = 1; p <= 31; p++)
            alive[p] = 1;
        alive[9] = 2;
        alive[4] = 0;
        LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), step == 6 ? 31 : 30);
        lm_vec_cache c;
        open_ok(s, &c);
        check_like_fresh(&c, alive, 31);
        lm_vec_cache_close(&c);
        LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
        LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);
        LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), 31);
        LM_CHECK_INT(sql_int(s, "SELECT group_concat(pmid) FROM vectors WHERE length(vec) > 0"),
                     9);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 2);
        open_ok(s, &c);
        LM_CHECK(c.from_file && !c.mat_owned);
        check_like_fresh(&c, alive, 31);
        lm_vec_cache_close(&c);
        LM_CHECK(lm_vec_cache_check(s, &err) == LM_OK);
        free(dbpath);
        lm_store_close(s);
    }
}


/* Flips a byte at offset off of the file at path. */
static void flip_at(const char *path, uint64_t off)
{
    FILE *f = fopen(path, "r+b");
    LM_CHECK(f != NULL);
    if (!f)
        return;
    LM_CHECK(fseek(f, (long)off, SEEK_SET) == 0);
    int ch = fgetc(f);
    LM_CHECK(fseek(f, (long)off, SEEK_SET) == 0);
    fputc(ch ^ 0x40, f);
    fclose(f);
}

static file_header read_file_header(const char *path)
{
    file_header h;
    memset(&h, 0, sizeof h);
    FILE *f = fopen(path, "rb");
    LM_CHECK(f != NULL);
    if (f) {
        LM_CHECK(fread(&h, sizeof h, 1, f) == 1);
        fclose(f);
    }
    return h;
}

static void append_pmid(lm_store *s, int64_t id, int p)
{
    lm_error err = {0};
    put_article(s, p, 2000 + p);
    float v[4] = {(float)p, 0.5f, -1.0f, 0.25f * (float)p};
    LM_CHECK(lm_vec_put(s, id, p, LM_VEC_F32, v, 4, &err) == LM_OK);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
}

/* The rows are checksummed by chunk (vector_file_chunks): a damaged byte
 * in any counted row, rewritten or appended, is the recovery error for a
 * query and a refresh; the spare slots past the count are never read. A
 * database from schema 18 (a file with no checksums) is read as before,
 * and the next refresh that keeps the file (appending, or with only void
 * marks or shadow rows to leave) records checksums of every row. */
static void test_row_checksums(void)
{
    int64_t id = 0;
    lm_store *s = compacted_store("vcsum.db", LM_VEC_F32, &id);
    if (!s)
        return;
    lm_error err = {0};
    char *path = cache_path_of(s);
    char *dbpath = strdup(sqlite3_db_filename(lm_store_sqlite(s), "main"));
    int64_t file_id = sql_int(s, "SELECT file_id FROM vector_files");
    for (int p = 4; p <= 6; p++)
        append_pmid(s, id, p);
    LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_chunks"), 4);   /* 0+3, 3, 4, 5 */
    LM_CHECK_INT(sql_int(s, "SELECT sum(n_rows) FROM vector_file_chunks"), 6);
    file_header h = read_file_header(path);
    uint64_t row = 4 * sizeof(float);
    int64_t p1_6[] = {1, 2, 3, 4, 5, 6};
    float f1_6[] = {1, 2, 3, 4, 5, 6};
    /* A vector byte of an appended row, a PMID of a rewritten one, a year. */
    uint64_t damaged[] = {h.off_data + 4 * row + 1, h.off_pmids, h.off_years + 2 * sizeof(int16_t)};
    for (size_t i = 0; i < sizeof damaged / sizeof damaged[0]; i++) {
        flip_at(path, damaged[i]);
        expect_recovery_error(s, 0);
        LM_CHECK_INT(lm_vec_cache_check(s, &err), LM_ERR_DB);
        /* the writer's refresh reads no old row (nothing to write here) */
        LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
        flip_at(path, damaged[i]);
    }
    /* The spare slots: bytes past the count are ignored. */
    flip_at(path, h.off_data + 6 * row + 1);
    flip_at(path, h.off_pmids + 7 * sizeof(int64_t));
    lm_vec_cache c;
    open_ok(s, &c);
    check_rows(&c, p1_6, f1_6, 6);
    lm_vec_cache_close(&c);

    /* Schema 18: no table, no checksums; read unchecked, then the next
     * append records them all. */
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s),
                          "DROP TABLE vector_file_chunks;"
                          " UPDATE schema_version SET version = 18",
                          NULL, NULL, NULL) == SQLITE_OK);
    lm_store_close(s);
    s = NULL;
    LM_CHECK(lm_store_open(&s, dbpath, NULL, &err) == LM_OK);
    if (s) {
        LM_CHECK_INT(sql_int(s, "SELECT version FROM schema_version"), lm_store_schema_version());
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_chunks"), 0);
        open_ok(s, &c);
        check_rows(&c, p1_6, f1_6, 6);
        lm_vec_cache_close(&c);
        /* a refresh that appends nothing (an article embedded, then
         * deleted: a void mark past the file's rows) records them too,
         * the file kept */
        put_article(s, 8, 2008);
        float v8[4] = {8, 0.5f, -1.0f, 2.0f};
        LM_CHECK(lm_vec_put(s, id, 8, LM_VEC_F32, v8, 4, &err) == LM_OK);
        delete_article(s, 8);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 1);
        LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
        LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);
        LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), 6);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_chunks"), 1);   /* 0+6 */
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 0);
        flip_at(path, h.off_data + 1 * row);
        expect_recovery_error(s, 0);
        flip_at(path, h.off_data + 1 * row);
        open_ok(s, &c);
        check_rows(&c, p1_6, f1_6, 6);
        lm_vec_cache_close(&c);
        append_pmid(s, id, 7);
        LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_chunks"), 2);   /* 0+6, 6 */
        flip_at(path, h.off_data + 2 * row);
        expect_recovery_error(s, 0);
        flip_at(path, h.off_data + 2 * row);
        int64_t p1_7[] = {1, 2, 3, 4, 5, 6, 7};
        float f1_7[] = {1, 2, 3, 4, 5, 6, 7};
        open_ok(s, &c);
        check_rows(&c, p1_7, f1_7, 7);
        lm_vec_cache_close(&c);
        /* A rewrite replaces the file's checksums by one chunk. */
        float v[4] = {3.0f, 0.5f, -1.0f, 0.75f};
        LM_CHECK(lm_vec_put(s, id, 3, LM_VEC_F32, v, 4, &err) == LM_OK);
        LM_CHECK(sqlite3_exec(lm_store_sqlite(s), "DELETE FROM vectors WHERE pmid = 6", NULL,
                              NULL, NULL) == SQLITE_OK);
        LM_CHECK(lm_vec_cache_compact_model(s, id, &err) == LM_OK);
        LM_CHECK(sql_int(s, "SELECT file_id FROM vector_files") != file_id);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_chunks"), 1);
        LM_CHECK_INT(sql_int(s, "SELECT n_rows FROM vector_file_chunks"),
                     sql_int(s, "SELECT n FROM vector_files"));
        lm_store_close(s);
    }
    free(path);
    free(dbpath);
}

/* The writer's append reads none of the file's old rows (an ingest's RSS
 * stays flat with the corpus): a damaged old row leaves appends working,
 * the file kept, while a query and `index check` still fail on it; a
 * rewrite copies the rows, so it verifies them first and fails too. */
static void test_append_reads_no_old_row(void)
{
    int64_t id = 0;
    lm_store *s = compacted_store("vcapp.db", LM_VEC_F32, &id);
    if (!s)
        return;
    lm_error err = {0};
    char *path = cache_path_of(s);
    int64_t file_id = sql_int(s, "SELECT file_id FROM vector_files");
    append_pmid(s, id, 4);
    file_header h = read_file_header(path);
    uint64_t row = 4 * sizeof(float);
    flip_at(path, h.off_data + 1 * row + 1);   /* PMID 2's vector, of the first chunk */
    append_pmid(s, id, 5);                     /* checks the refresh is LM_OK */
    append_pmid(s, id, 6);
    LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);
    LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), 6);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_chunks"), 4);
    expect_recovery_error(s, 0);
    LM_CHECK_INT(lm_vec_cache_check(s, &err), LM_ERR_DB);
    revise(s, id, 3, 1);   /* 1 stale row of 6: over STALE_REWRITE_PERCENT, a rewrite */
    LM_CHECK_INT(lm_vec_cache_refresh(s, NULL, &err), LM_ERR_DB);
    LM_CHECK(strstr(err.msg, "litmine index build") != NULL);
    LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);
    flip_at(path, h.off_data + 1 * row + 1);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK(sql_int(s, "SELECT file_id FROM vector_files") != file_id);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_chunks"), 1);
    LM_CHECK(lm_vec_cache_check(s, &err) == LM_OK);
    lm_vec_cache c;
    open_ok(s, &c);
    LM_CHECK_INT(c.mat.n, 6);
    lm_vec_cache_close(&c);
    lm_store_close(s);
    free(path);
}

/* shadow_store (n rows) with PMID 5 revised and 7 deleted after it, kept
 * by the refresh as shadow rows; alive (64 entries) as check_like_fresh
 * wants it. */
static lm_store *shadowed_store(const char *name, int n, int64_t *id, int *alive)
{
    lm_store *s = shadow_store(name, n, id);
    if (!s)
        return NULL;
    lm_error err = {0};
    revise(s, *id, 5, 1);
    delete_article(s, 7);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 2);
    for (int p = 0; p < 64; p++)
        alive[p] = p >= 1 && p <= n;
    alive[5] = 2;
    alive[7] = 0;
    return s;
}

/* lm_vec_cache_open_async: the rows are checked on a thread after the
 * shadow rows are patched into this process's copy, the model before the
 * open returns; wait gives the same answer as lm_vec_cache_open: intact,
 * the same matrix; a damaged byte anywhere in the counted rows (a patched
 * row's bytes are read from the file), the recovery error, every call; in
 * the model, the open's own error.  A
 * cache closed without waiting stops the check.  lm_vec_cache_rows (the
 * counts of `stats --sizes`) reads no row: it counts a damaged file, which
 * `index check` reports. */
static void test_background_check(void)
{
    int64_t id = 0;
    const int n = 40;
    int alive[64];
    lm_store *s = shadowed_store("vcbg.db", n, &id, alive);
    if (!s)
        return;
    lm_error err = {0};
    char *path = cache_path_of(s);
    file_header h = read_file_header(path);
    lm_vec_cache c;
    int found = 0;
    LM_CHECK(lm_vec_cache_open_async(s, NULL, NULL, &c, &found, &err) == LM_OK && found);
    LM_CHECK(c.verify != NULL && !c.mat_owned);
    LM_CHECK(lm_vec_cache_wait(&c, &err) == LM_OK);
    LM_CHECK(lm_vec_cache_wait(&c, &err) == LM_OK);
    check_like_fresh(&c, alive, n);
    lm_vec_cache_close(&c);
    LM_CHECK(lm_vec_cache_open_async(s, NULL, NULL, &c, &found, &err) == LM_OK && found);
    lm_vec_cache_close(&c);   /* never waited for */

    size_t row = 4 * sizeof(float);
    /* row 4 is PMID 5's (revised: patched), row 6 PMID 7's (masked), row
     * 20 untouched; a year of the masked row; the model's last byte */
    uint64_t damaged[] = {h.off_data + 4 * row + 2, h.off_data + 6 * row, h.off_data + 20 * row + 1,
                          h.off_years + 6 * sizeof(int16_t), h.off_model + h.model_len - 1};
    for (size_t i = 0; i < sizeof damaged / sizeof damaged[0]; i++) {
        flip_at(path, damaged[i]);
        found = 0;
        lm_status st = lm_vec_cache_open_async(s, NULL, NULL, &c, &found, &err);
        if (damaged[i] >= h.off_model) {
            /* the model is checked before the open returns: the caller
             * parses it at once */
            LM_CHECK_INT(st, LM_ERR_DB);
            LM_CHECK(strstr(err.msg, "missing or damaged") &&
                     strstr(err.msg, "litmine index build"));
        } else {
            LM_CHECK(st == LM_OK && found);
        }
        for (int k = 0; st == LM_OK && k < 2; k++) {
            memset(&err, 0, sizeof err);
            LM_CHECK_INT(lm_vec_cache_wait(&c, &err), LM_ERR_DB);
            LM_CHECK(strstr(err.msg, "missing or damaged") &&
                     strstr(err.msg, "litmine index build"));
        }
        lm_vec_cache_close(&c);
        expect_recovery_error(s, damaged[i] >= h.off_model);
        LM_CHECK_INT(lm_vec_cache_check(s, &err), LM_ERR_DB);
        /* `stats --sizes` counts from the database and the header alone */
        int64_t rows = 0, stale = 0;
        size_t row_bytes = 0;
        LM_CHECK(lm_vec_cache_rows(s, &rows, &stale, &row_bytes, &err) == LM_OK);
        LM_CHECK(rows == n && stale == 2 && row_bytes == 4 * sizeof(float) + 8 + 2);
        flip_at(path, damaged[i]);
    }
    LM_CHECK(lm_vec_cache_open_async(s, NULL, NULL, &c, &found, &err) == LM_OK && found);
    LM_CHECK(lm_vec_cache_wait(&c, &err) == LM_OK);
    lm_vec_cache_close(&c);
    free(path);
    lm_store_close(s);
}

static unsigned char *read_all(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *b = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        b = n > 0 ? malloc((size_t)n) : NULL;
        if (b && fseek(f, 0, SEEK_SET) == 0 && fread(b, 1, (size_t)n, f) == (size_t)n)
            *len = (size_t)n;
    }
    fclose(f);
    return b;
}

/* The paths a real machine rarely takes, forced (LITMINE_TEST_VEC_FAULT,
 * test builds only): a full disk when an append reserves its rows' space
 * is an error saying so, with the database and the file as they were; a
 * mapping the kernel will not make writable falls back to the merge in
 * memory, with the same answers; a short row count is its own error, not
 * an unrelated errno's text. */
static void test_fault_paths(void)
{
#ifndef LM_CRASH_POINTS
    LM_SKIP("a build without fault points (the sanitizer builds have them)");
#endif
    int64_t id = 0;
    lm_store *s = compacted_store("vcfault.db", LM_VEC_F32, &id);
    if (!s)
        return;
    lm_error err = {0};
    char *path = cache_path_of(s);
    int64_t file_id = sql_int(s, "SELECT file_id FROM vector_files");
    put_article(s, 4, 2004);
    float v4[4] = {4, 0.5f, -1.0f, 1.0f};
    LM_CHECK(lm_vec_put(s, id, 4, LM_VEC_F32, v4, 4, &err) == LM_OK);
    size_t len0 = 0, len1 = 0;
    unsigned char *before = read_all(path, &len0);
    const char *faults[] = {"fallocate", "short"};
    for (int i = 0; i < 2; i++) {
        setenv("LITMINE_TEST_VEC_FAULT", faults[i], 1);
        memset(&err, 0, sizeof err);
        lm_status st = lm_vec_cache_refresh(s, NULL, &err);
        unsetenv("LITMINE_TEST_VEC_FAULT");
        if (i == 0) {
            LM_CHECK_INT(st, LM_ERR_IO);
            LM_CHECK(strstr(err.msg, "reserving") && strstr(err.msg, strerror(ENOSPC)));
        } else {
            LM_CHECK_INT(st, LM_ERR_DB);
            LM_CHECK(strstr(err.msg, "2 rows written of the 1 counted") == NULL &&
                     strstr(err.msg, "0 rows written of the 1 counted") != NULL &&
                     strstr(err.msg, strerror(ENOENT)) == NULL);
        }
        /* the full disk: not a byte written; the short count: the spare
         * slot it wrote is past the count (never read), the rest as it was */
        unsigned char *after = read_all(path, &len1);
        LM_CHECK(before && after && len0 == len1 &&
                 memcmp(before, after, i == 0 ? len0 : HEADER_BYTES) == 0);
        free(after);
        LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);
        LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), 3);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vectors WHERE length(vec) > 0"), 1);
        LM_CHECK_INT(sql_int(s, "SELECT sum(n_rows) FROM vector_file_chunks"), 3);
        int64_t p1_4[] = {1, 2, 3, 4};
        float f1_4[] = {1, 2, 3, 4};
        lm_vec_cache c;
        open_ok(s, &c);
        check_rows(&c, p1_4, f1_4, 4);
        lm_vec_cache_close(&c);
    }
    free(before);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), 4);
    LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);
    lm_store_close(s);
    free(path);

    /* shadow rows, and a kernel that refuses the writable mapping */
    const int n = 30;
    int alive[64];
    s = shadowed_store("vcfaultm.db", n, &id, alive);
    if (!s)
        return;
    for (int refused = 0; refused <= 1; refused++) {
        if (refused)
            setenv("LITMINE_TEST_VEC_FAULT", "mprotect", 1);
        for (int async = 0; async <= 1; async++) {
            lm_vec_cache c;
            int found = 0;
            lm_status st = async ? lm_vec_cache_open_async(s, NULL, NULL, &c, &found, &err)
                                 : lm_vec_cache_open(s, NULL, NULL, &c, &found, &err);
            LM_CHECK(st == LM_OK && found);
            LM_CHECK(lm_vec_cache_wait(&c, &err) == LM_OK);
            LM_CHECK_INT(c.mat_owned, refused);
            check_like_fresh(&c, alive, n);
            lm_vec_cache_close(&c);
        }
        unsetenv("LITMINE_TEST_VEC_FAULT");
    }
    lm_store_close(s);
}

/* A check of the vector file that cannot run is its own error, not a
 * damaged file: no memory (LITMINE_TEST_VEC_FAULT=verify-nomem, or
 * xxh3-state for the background check's hash state) is LM_ERR_NOMEM, a
 * failed read (pread: EIO) LM_ERR_IO with its errno, neither naming
 * `litmine index build`; the file opens again once they are gone. */
static void test_check_errors_not_damage(void)
{
#ifndef LM_CRASH_POINTS
    LM_SKIP("a build without fault points (the sanitizer builds have them)");
#endif
    int64_t id = 0;
    lm_store *s = compacted_store("vcerr.db", LM_VEC_F32, &id);
    if (!s)
        return;
    struct {
        const char *fault;
        int async;
        lm_status want;
    } cases[] = {
        {"verify-nomem", 0, LM_ERR_NOMEM}, {"verify-nomem", 1, LM_ERR_NOMEM},
        {"pread", 0, LM_ERR_IO},           {"xxh3-state", 1, LM_ERR_NOMEM},
        {"xxh3-state", 0, LM_ERR_NOMEM},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lm_error err = {0};
        lm_vec_cache c;
        int found = 0;
        setenv("LITMINE_TEST_VEC_FAULT", cases[i].fault, 1);
        lm_status st = cases[i].async ? lm_vec_cache_open_async(s, NULL, NULL, &c, &found, &err)
                                      : lm_vec_cache_open(s, NULL, NULL, &c, &found, &err);
        if (st == LM_OK)
            st = lm_vec_cache_wait(&c, &err);
        unsetenv("LITMINE_TEST_VEC_FAULT");
        if (st != cases[i].want)
            fprintf(stderr, "fault %s (async %d): %d %s\n", cases[i].fault, cases[i].async,
                    (int)st, err.msg);
        LM_CHECK_INT(st, cases[i].want);
        LM_CHECK(strstr(err.msg, "index build") == NULL);
        if (cases[i].want == LM_ERR_IO)
            LM_CHECK(strstr(err.msg, strerror(EIO)) != NULL);
        lm_vec_cache_close(&c);
    }
    lm_error err = {0};
    LM_CHECK(lm_vec_cache_check(s, &err) == LM_OK);
    lm_store_close(s);
}

/* A model deleted outright (an interrupted build dropped, a build that
 * failed) takes its vector file's record, void marks and row checksums
 * with it; the other model's stay. */
static void test_model_delete_forgets_file(void)
{
    int64_t id = 0;
    lm_store *s = shadow_store("vcdel.db", 20, &id);
    if (!s)
        return;
    lm_error err = {0};
    revise(s, id, 5, 1);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    int64_t id2 = 0;
    unsigned char *m = model_bytes(1000);
    LM_CHECK(lm_vec_model_add(s, "test", 4, m, 1000, 10, 0.1, "{}", &id2, &err) == LM_OK);
    free(m);
    float v[4] = {1, 2, 3, 4};
    for (int p = 1; p <= 3; p++)
        LM_CHECK(lm_vec_put(s, id2, p, LM_VEC_F32, v, 4, &err) == LM_OK);
    LM_CHECK(lm_vec_cache_compact_model(s, id2, &err) == LM_OK);
    char q[160];
    snprintf(q, sizeof q, "SELECT count(*) FROM vector_file_chunks WHERE model_id = %lld",
             (long long)id2);
    LM_CHECK_INT(sql_int(s, q), 1);
    LM_CHECK(lm_vec_model_drop_unfinished(s, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, q), 0);
    snprintf(q, sizeof q, "SELECT count(*) FROM vector_file_chunks WHERE model_id = %lld",
             (long long)id);
    LM_CHECK(sql_int(s, q) > 0);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 1);
    LM_CHECK(lm_vec_model_delete(s, id, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_chunks"), 0);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 0);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_files"), 0);
    lm_store_close(s);
}

/* A model's delete and its vector file's cleanup are one step: the
 * cleanup failing (LITMINE_TEST_VEC_FAULT=orphans) keeps the model with
 * its file record, void marks and checksums, still readable; once it is
 * deleted, a new model given the same id (embed_models.id is reused after
 * the highest goes) sees every one of its rows. */
static void test_model_delete_one_step(void)
{
#ifndef LM_CRASH_POINTS
    LM_SKIP("a build without fault points (the sanitizer builds have them)");
#endif
    int64_t id = 0;
    lm_store *s = shadow_store("vcdel1.db", 20, &id);
    if (!s)
        return;
    lm_error err = {0};
    revise(s, id, 5, 1);
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 1);
    int64_t n_chunks = sql_int(s, "SELECT count(*) FROM vector_file_chunks");
    LM_CHECK(n_chunks > 0);
    for (int building = 0; building <= 1; building++) {
        if (building)
            sqlite3_exec(lm_store_sqlite(s), "UPDATE embed_models SET state = 'building'", NULL,
                         NULL, NULL);
        setenv("LITMINE_TEST_VEC_FAULT", "orphans", 1);
        lm_status st = building ? lm_vec_model_drop_unfinished(s, &err)
                                : lm_vec_model_delete(s, id, &err);
        unsetenv("LITMINE_TEST_VEC_FAULT");
        LM_CHECK_INT(st, LM_ERR_DB);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM embed_models"), 1);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_files"), 1);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 1);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_chunks"), n_chunks);
        LM_CHECK(sqlite3_get_autocommit(lm_store_sqlite(s)));
    }
    sqlite3_exec(lm_store_sqlite(s), "UPDATE embed_models SET state = 'ready'", NULL, NULL,
                 NULL);
    lm_vec_cache c;
    open_ok(s, &c);
    LM_CHECK_INT(c.mat.n - c.mat.n_dead, 20);
    lm_vec_cache_close(&c);

    LM_CHECK(lm_vec_model_delete(s, id, &err) == LM_OK);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_gone"), 0);
    LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_chunks"), 0);
    int64_t id2 = 0;
    unsigned char *m = model_bytes(80000);
    LM_CHECK(lm_vec_model_add(s, "test", 4, m, 80000, 20, 0.1, "{}", &id2, &err) == LM_OK);
    free(m);
    LM_CHECK_INT(id2, id);
    int64_t pmids[20];
    float first[20];
    for (int p = 1; p <= 20; p++) {
        float v[4];
        vec_of(p, 3, v);
        pmids[p - 1] = p;
        first[p - 1] = v[0];
        LM_CHECK(lm_vec_put(s, id2, p, LM_VEC_F32, v, 4, &err) == LM_OK);
    }
    LM_CHECK(lm_vec_model_activate(s, id2, &err) == LM_OK);
    for (int compacted = 0; compacted <= 1; compacted++) {
        if (compacted)
            LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
        open_ok(s, &c);
        LM_CHECK_INT(c.mat.n_dead, 0);
        LM_CHECK_INT(c.mat.n, 20);
        for (size_t i = 0; i < c.mat.n && i < 20; i++) {
            LM_CHECK_INT(c.mat.pmids[i], pmids[i]);
            LM_CHECK(fabsf(c.mat.data[i * 4] - first[i]) < 1e-6f);
        }
        lm_vec_cache_close(&c);
    }
    lm_store_close(s);
}

/* The Rss (kB) of this process's mapping that starts at base, from
 * /proc/self/smaps; -1 when it cannot be read. */
static long mapping_rss_kb(const void *base)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return -1;
    char line[512];
    long rss = -1;
    int in = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
            in = lo == (unsigned long)(uintptr_t)base;
        else if (in && sscanf(line, "Rss: %ld kB", &rss) == 1)
            break;
    }
    fclose(f);
    return rss;
}

typedef struct merged_rows {
    int64_t n, bad;
} merged_rows;

static lm_status check_emit(void *ctx, int64_t pmid, float scale, const void *bytes)
{
    (void)scale;
    merged_rows *m = ctx;
    float v[4];
    vec_of(pmid, 0, v);
    m->bad += pmid != m->n + 1 || memcmp(v, bytes, sizeof v) != 0;
    m->n++;
    return LM_OK;
}

/* A rewrite reads the old file's rows through its mapping, and drops
 * their pages behind the copy (merger.release): after a merge over a file
 * whose every row was resident, only the pages at the columns' ends stay
 * in this process, against the file's rows before; the rows read again
 * after the drop are the file's, the rows merged in PMID order and intact. */
static void test_merge_releases_pages(void)
{
    const int n = 6000;   /* 94 kB of PMIDs and vectors: 24 pages */
    int64_t id = 0;
    lm_store *s = shadow_store("vcrel.db", n, &id);
    if (!s)
        return;
    lm_error err = {0};
    char *path = cache_path_of(s);
    lm_vec_model_info info;
    int64_t gen = 0;
    int found = 0;
    file_rec r = {0};
    LM_CHECK(lm_vc_current_model(s, NULL, &info, &gen, &found, &err) == LM_OK && found);
    LM_CHECK(lm_vc_read_file_rec(s, info.id, &r, &err) == LM_OK && r.found && r.n == n);
    lm_vec_cache c;
    memset(&c, 0, sizeof c);
    LM_CHECK(lm_vc_map_named(s, path, &info, &r, LM_VC_CHECK_HEADER, &c, NULL, NULL, &err) ==
             LM_OK);
    if (!c.map) {
        lm_store_close(s);
        free(path);
        return;
    }
    float sum = 0;
    for (int i = 0; i < n; i++)
        sum += (float)c.mat.pmids[i] + c.mat.data[i * 4];
    LM_CHECK(sum != 0);
    long before = mapping_rss_kb(c.map);
    merger m;
    LM_CHECK(lm_vc_merger_init(&m, &c.mat, NULL, 0, 0, 4, &err) == LM_OK);
    merged_rows got = {0, 0};
    m.emit = check_emit;
    m.ctx = &got;
    m.release = 1;
    LM_CHECK(lm_vc_merge_run(s, info.id, &m) == LM_OK);
    long after = mapping_rss_kb(c.map);
    LM_CHECK_INT(got.n, n);
    LM_CHECK_INT(got.bad, 0);
    if (before < 0) {
        fprintf(stderr, "# no /proc/self/smaps: the pages' residency not checked\n");
    } else {
        /* every page of the rows' PMIDs and vectors but each column's
         * last (the kernel's fault-around maps other pages of the file:
         * the years, the model; the merge never reads them) */
        LM_CHECK(before >= (long)n * (8 + 16) / 1024);
        LM_CHECK(after >= 0 && before - after >= (long)n * (8 + 16) / 1024 - 8);
    }
    /* a second pass (a rewrite counts, then writes) reads them again */
    got.n = got.bad = 0;
    LM_CHECK(lm_vc_merge_run(s, info.id, &m) == LM_OK);
    LM_CHECK_INT(got.n, n);
    LM_CHECK_INT(got.bad, 0);
    lm_vc_merger_free(&m);
    lm_vec_cache_close(&c);
    lm_store_close(s);
    free(path);
}

/* The checksum vector_file_chunks records for rows [first, first + n) of
 * the file at path, computed here from its bytes (the definition in
 * lm_vec_cache_impl.h: the columns chained by their seeds). */
static uint64_t file_rows_xxh(const char *path, uint64_t first, uint64_t n)
{
    size_t len = 0;
    unsigned char *b = read_all(path, &len);
    file_header h = read_file_header(path);
    LM_CHECK(b != NULL && len == h.file_len);
    if (!b || len != h.file_len) {
        free(b);
        return 0;
    }
    size_t d = (size_t)h.dim * (h.quantized ? 1 : sizeof(float));
    uint64_t x = XXH3_64bits(b + h.off_pmids + first * 8, n * 8);
    x = XXH3_64bits_withSeed(b + h.off_years + first * 2, n * 2, x);
    if (h.quantized)
        x = XXH3_64bits_withSeed(b + h.off_scales + first * 4, n * 4, x);
    x = XXH3_64bits_withSeed(b + h.off_data + first * d, n * d, x);
    free(b);
    return x;
}

static void check_chunks_recomputed(lm_store *s, const char *path)
{
    sqlite3_stmt *st = NULL;
    LM_CHECK(sqlite3_prepare_v2(lm_store_sqlite(s),
                                "SELECT first_row, n_rows, xxh64 FROM vector_file_chunks"
                                " ORDER BY first_row",
                                -1, &st, NULL) == SQLITE_OK);
    int rows = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        uint64_t x = file_rows_xxh(path, (uint64_t)sqlite3_column_int64(st, 0),
                                   (uint64_t)sqlite3_column_int64(st, 1));
        LM_CHECK(x == (uint64_t)sqlite3_column_int64(st, 2));
        rows++;
    }
    sqlite3_finalize(st);
    LM_CHECK(rows > 0);
}

/* A writer reads the rows it wrote back with pread to record their
 * checksum (none is mapped): the checksums recorded by a first write, an
 * append and a rewrite, in both encodings, equal the file's bytes hashed
 * here; a read back that fails (LITMINE_TEST_VEC_FAULT=pread: EIO) is
 * LM_ERR_IO with its errno, and commits nothing: no file for a first
 * write (no .next left), the count and chunks as they were for an
 * append; the next refresh writes them. */
static void test_written_rows_read_back(void)
{
    for (int q = 0; q <= 1; q++) {
        int64_t id = 0;
        lm_store *s = model_store_as(q ? "vcrbq.db" : "vcrb.db", q ? LM_VEC_I8 : LM_VEC_F32,
                                     80000, &id);
        if (!s)
            return;
        lm_error err = {0};
        char *path = cache_path_of(s);
        char *next = lm_vc_next_path(path);
#ifdef LM_CRASH_POINTS
        setenv("LITMINE_TEST_VEC_FAULT", "pread", 1);
        lm_status st = lm_vec_cache_refresh(s, NULL, &err);
        unsetenv("LITMINE_TEST_VEC_FAULT");
        LM_CHECK_INT(st, LM_ERR_IO);
        LM_CHECK(strstr(err.msg, "reading back") && strstr(err.msg, strerror(EIO)));
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_files"), 0);
        LM_CHECK(access(next, F_OK) != 0 && access(path, F_OK) != 0);
#endif
        LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
        LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), 3);
        check_chunks_recomputed(s, path);
        put_article(s, 4, 2004);
        float v4[4] = {4, 0.5f, -1.0f, 1.0f};
        LM_CHECK(lm_vec_put(s, id, 4, q ? LM_VEC_I8 : LM_VEC_F32, v4, 4, &err) == LM_OK);
#ifdef LM_CRASH_POINTS
        setenv("LITMINE_TEST_VEC_FAULT", "pread", 1);
        memset(&err, 0, sizeof err);
        st = lm_vec_cache_refresh(s, NULL, &err);
        unsetenv("LITMINE_TEST_VEC_FAULT");
        LM_CHECK_INT(st, LM_ERR_IO);
        LM_CHECK(strstr(err.msg, "reading back") && strstr(err.msg, strerror(EIO)));
        LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), 3);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_chunks"), 1);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vectors WHERE length(vec) > 0"), 1);
#endif
        int64_t file_id = sql_int(s, "SELECT file_id FROM vector_files");
        LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
        LM_CHECK_INT(sql_int(s, "SELECT file_id FROM vector_files"), file_id);   /* appended */
        LM_CHECK_INT(sql_int(s, "SELECT n FROM vector_files"), 4);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_chunks"), 2);
        check_chunks_recomputed(s, path);
        revise(s, id, 2, 1);   /* 1 stale row of 4: a rewrite */
        LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
        LM_CHECK(sql_int(s, "SELECT file_id FROM vector_files") != file_id);
        LM_CHECK_INT(sql_int(s, "SELECT count(*) FROM vector_file_chunks"), 1);
        check_chunks_recomputed(s, path);
        LM_CHECK(lm_vec_cache_check(s, &err) == LM_OK);
        lm_store_close(s);
        free(next);
        free(path);
    }
}

int main(void)
{
    LM_RUN(test_stored_once);
    LM_RUN(test_small_model_stays);
    LM_RUN(test_missing_damaged_foreign);
    LM_RUN(test_append_reads_no_old_row);
    LM_RUN(test_crash_at_each_step);
    LM_RUN(test_append_in_place);
    LM_RUN(test_read_while_appending);
    LM_RUN(test_schema17_format4_file);
    LM_RUN(test_build_file_then_activate);
    LM_RUN(test_schema15_migrates);
    LM_RUN(test_nonfinite_vectors);
    LM_RUN(test_shadow_rows);
    LM_RUN(test_shadow_rows_capped);
    LM_RUN(test_shadow_crash);
    LM_RUN(test_row_checksums);
    LM_RUN(test_background_check);
    LM_RUN(test_fault_paths);
    LM_RUN(test_check_errors_not_damage);
    LM_RUN(test_model_delete_forgets_file);
    LM_RUN(test_model_delete_one_step);
    LM_RUN(test_merge_releases_pages);
    LM_RUN(test_written_rows_read_back);
    return LM_DONE();
}
