/*
 * Tests for store/lm_vec_cache: the first open reads the store and writes
 * the file, the next maps it with the same contents; any change to the
 * model's vectors, a damaged or foreign file, or an unwritable place falls
 * back to the store and still gives the right data.
 */
#include "../store/lm_store_internal.h"
#include "../store/search/lm_vec_cache.h"
#include "lm_test_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* A store with a current model of dim 4 and vectors for PMIDs 1..3, in
 * format f. */
static lm_store *model_store_as(const char *name, lm_vec_format f, int64_t *model_id)
{
    lm_store *s = lm_test_open_store(name);
    if (!s)
        return NULL;
    lm_error err = {0};
    for (int p = 1; p <= 3; p++)
        put_article(s, p, 2000 + p);
    LM_CHECK(lm_vec_model_add(s, "test", 4, "model-bytes", 11, 3, 0.1, "{}", model_id, &err) ==
             LM_OK);
    for (int p = 1; p <= 3; p++) {
        float v[4] = {(float)p, 0.5f, -1.0f, 0.25f * (float)p};
        LM_CHECK(lm_vec_put(s, *model_id, p, f, v, 4, &err) == LM_OK);
    }
    LM_CHECK(lm_vec_model_activate(s, *model_id, &err) == LM_OK);
    return s;
}

static lm_store *model_store(const char *name, int64_t *model_id)
{
    return model_store_as(name, LM_VEC_F32, model_id);
}

static void check_contents(const lm_vec_cache *c, float first_of_2)
{
    LM_CHECK(c->model_len == 11 && memcmp(c->model, "model-bytes", 11) == 0);
    LM_CHECK_INT(c->mat.n, 3);
    LM_CHECK_INT(c->mat.dim, 4);
    if (c->mat.n != 3)
        return;
    LM_CHECK(c->mat.pmids[0] == 1 && c->mat.pmids[2] == 3);
    LM_CHECK(c->mat.years[0] == 2001 && c->mat.years[2] == 2003);
    LM_CHECK(c->mat.data[4] == first_of_2 && c->mat.data[11] == 0.75f);
}

static void test_write_then_map(void)
{
    int64_t id = 0;
    lm_store *s = model_store("vc.db", &id);
    LM_CHECK(s != NULL);
    if (!s)
        return;
    char *path = lm_vec_cache_path(s);
    LM_CHECK(path && strstr(path, "vc.db.vectors"));
    unlink(path);
    lm_vec_cache c;
    lm_error err = {0};
    int found = 0;
    LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && found);
    LM_CHECK(!c.from_file && c.info.id == id);
    check_contents(&c, 2.0f);
    lm_vec_cache_close(&c);
    LM_CHECK(access(path, R_OK) == 0);

    LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && found);
    LM_CHECK(c.from_file);
    check_contents(&c, 2.0f);
    lm_vec_cache_close(&c);

    /* A changed vector moves the generation: the file is stale. */
    float v[4] = {9.0f, 0.5f, -1.0f, 0.5f};
    LM_CHECK(lm_vec_put(s, id, 2, LM_VEC_F32, v, 4, &err) == LM_OK);
    LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && found);
    LM_CHECK(!c.from_file);
    check_contents(&c, 9.0f);
    lm_vec_cache_close(&c);
    LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && c.from_file);
    check_contents(&c, 9.0f);
    lm_vec_cache_close(&c);

    /* A deleted article takes its vector with it. */
    int deleted = 0;
    LM_CHECK(lm_store_delete_article(s, 3, &deleted, &err) == LM_OK && deleted);
    LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && !c.from_file);
    LM_CHECK_INT(c.mat.n, 2);
    lm_vec_cache_close(&c);
    free(path);
    lm_store_close(s);
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

/* int8 vectors (the default) stay int8 in memory and in the file: the
 * matrix holds the stored bytes and scales, not a re-rounding of them. */
static void test_int8_vectors_stay_int8(void)
{
    int64_t id = 0;
    lm_store *s = model_store_as("vc8.db", LM_VEC_I8, &id);
    LM_CHECK(s != NULL);
    if (!s)
        return;
    char *path = lm_vec_cache_path(s);
    unlink(path);
    lm_vec_cache c;
    lm_error err = {0};
    int found = 0;
    for (int round = 0; round < 2; round++) {
        LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && found);
        LM_CHECK(c.from_file == round);
        LM_CHECK(c.mat.data == NULL && c.mat.q8 != NULL && c.mat.n == 3);
        if (c.mat.q8 && c.mat.n == 3) {
            check_int8_row(&c.mat);
            float q[4] = {1, 0, 0, 0};
            LM_CHECK(fabsf(lm_vec_matrix_dot(&c.mat, 1, q) - 2.0f) < 2.0f / 254);
            LM_CHECK(c.mat.years[2] == 2003);
        }
        lm_vec_cache_close(&c);
    }
    /* The file is a quarter of float32's: 3 x 4 bytes of int8, not 3 x 16. */
    FILE *fp = fopen(path, "rb");
    long len = -1;
    if (fp && fseek(fp, 0, SEEK_END) == 0)
        len = ftell(fp);
    if (fp)
        fclose(fp);
    LM_CHECK(len > 0 && len < 256 + 3 * 8 + 64 + 3 * 2 + 64 + 3 * 4 + 64 + 3 * 4 + 11 + 1);
    free(path);
    lm_store_close(s);
}

/* lm_vec_cache_refresh (the end of `index build` and of each ingest's
 * refresh) writes the file from the store, row by row, without opening
 * the matrix: the next open maps exactly the stored vectors, years
 * included, int8 kept as stored; a current file is left alone. */
static void test_refresh_streams_the_file(void)
{
    int64_t id = 0;
    lm_store *s = model_store_as("vcr.db", LM_VEC_I8, &id);
    LM_CHECK(s != NULL);
    if (!s)
        return;
    char *path = lm_vec_cache_path(s);
    unlink(path);
    lm_error err = {0};
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    struct stat before;
    LM_CHECK(stat(path, &before) == 0);
    lm_vec_cache c;
    int found = 0;
    LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && found);
    LM_CHECK(c.from_file && c.mat.q8 != NULL && c.mat.n == 3);
    if (c.from_file && c.mat.q8 && c.mat.n == 3) {
        check_int8_row(&c.mat);
        LM_CHECK(c.mat.years[2] == 2003);
    }
    lm_vec_cache_close(&c);
    /* Nothing changed: the refresh keeps the file (same inode). */
    LM_CHECK(lm_vec_cache_refresh(s, NULL, &err) == LM_OK);
    struct stat after;
    LM_CHECK(stat(path, &after) == 0 && after.st_ino == before.st_ino);
    free(path);
    lm_store_close(s);
}

/* model_store() whose cache file was just written from the store; *path
 * receives the file's name (the caller frees it). */
static lm_store *store_with_cache(const char *name, int64_t *id, char **path)
{
    lm_store *s = model_store(name, id);
    LM_CHECK(s != NULL);
    if (!s)
        return NULL;
    *path = lm_vec_cache_path(s);
    unlink(*path);
    lm_vec_cache c;
    lm_error err = {0};
    int found = 0;
    LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && !c.from_file);
    lm_vec_cache_close(&c);
    return s;
}

static void test_damaged_foreign_unwritable(void)
{
    int64_t id = 0;
    char *path = NULL;
    lm_store *s = store_with_cache("vc2.db", &id, &path);
    if (!s)
        return;
    lm_vec_cache c;
    lm_error err = {0};
    int found = 0;

    /* A flipped header byte, then a cut file: both read from the store. */
    FILE *f = fopen(path, "r+b");
    LM_CHECK(f != NULL);
    if (f) {
        fseek(f, 40, SEEK_SET);
        fputc(0x5a, f);
        fclose(f);
    }
    LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && !c.from_file);
    check_contents(&c, 2.0f);
    lm_vec_cache_close(&c);
    LM_CHECK(truncate(path, 300) == 0);
    LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && !c.from_file);
    check_contents(&c, 2.0f);
    lm_vec_cache_close(&c);

    /* Another database's file for the same model id never matches. */
    int64_t id3 = 0;
    lm_store *other = model_store("vc3.db", &id3);
    LM_CHECK(other != NULL && id3 == id);
    if (other) {
        LM_CHECK(lm_vec_cache_open(other, path, NULL, &c, &found, &err) == LM_OK && !c.from_file);
        lm_vec_cache_close(&c);
        lm_store_close(other);
    }

    /* Nowhere to write: still works, every time from the store. */
    const char *nowhere = "/nonexistent-litmine-dir/x.vectors";
    for (int i = 0; i < 2; i++) {
        LM_CHECK(lm_vec_cache_open(s, nowhere, NULL, &c, &found, &err) == LM_OK && !c.from_file);
        check_contents(&c, 2.0f);
        lm_vec_cache_close(&c);
    }
    /* Another kind than asked for: nothing found. */
    LM_CHECK(lm_vec_cache_open(s, NULL, "lsa", &c, &found, &err) == LM_OK && !found);

    /* Inside the caller's transaction nothing is written: it may roll back. */
    unlink(path);
    LM_CHECK(lm_store_begin(s, &err) == LM_OK);
    LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && found);
    check_contents(&c, 2.0f);
    lm_vec_cache_close(&c);
    LM_CHECK(lm_store_rollback(s, &err) == LM_OK);
    LM_CHECK(access(path, F_OK) != 0);

    /* A new current model: the old file is not its. */
    LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && !c.from_file);
    lm_vec_cache_close(&c);
    int64_t id2 = 0;
    LM_CHECK(lm_vec_model_add(s, "test", 4, "other-model", 11, 3, 0.1, "{}", &id2, &err) ==
             LM_OK);
    float v[4] = {1, 1, 1, 1};
    LM_CHECK(lm_vec_put(s, id2, 1, LM_VEC_F32, v, 4, &err) == LM_OK);
    LM_CHECK(lm_vec_model_activate(s, id2, &err) == LM_OK);
    LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && found);
    LM_CHECK(!c.from_file && c.info.id == id2 && c.mat.n == 1);
    LM_CHECK(c.model_len == 11 && memcmp(c.model, "other-model", 11) == 0);
    lm_vec_cache_drop_model(&c);
    LM_CHECK(c.model == NULL && c.mat.n == 1);
    lm_vec_cache_close(&c);
    free(path);
    lm_store_close(s);

    /* No model: nothing found, nothing to close. */
    lm_store *empty = lm_test_open_store("vc4.db");
    LM_CHECK(empty != NULL);
    if (empty) {
        LM_CHECK(lm_vec_cache_open(empty, NULL, NULL, &c, &found, &err) == LM_OK && !found);
        lm_store_close(empty);
    }
}

/* Flips one byte at offset `from_end` bytes before the end of path. */
static void flip_byte(const char *path, long from_end)
{
    FILE *f = fopen(path, "r+b");
    LM_CHECK(f != NULL);
    if (!f)
        return;
    fseek(f, -from_end, SEEK_END);
    int c = fgetc(f);
    fseek(f, -from_end, SEEK_END);
    fputc(c ^ 0x5a, f);
    fclose(f);
}

/* A byte damaged in the payload (the model, then a vector) behind an
 * intact header: the data comes from the store and the file is written
 * again, so the next open maps a good one. */
static void test_damaged_payload_is_rewritten(void)
{
    int64_t id = 0;
    char *path = NULL;
    lm_store *s = store_with_cache("vc5.db", &id, &path);
    if (!s)
        return;
    lm_vec_cache c;
    lm_error err = {0};
    int found = 0;
    /* The model's bytes end the file; the vectors come just before. */
    long offsets[] = {3, 11 + 4};
    for (size_t i = 0; i < 2; i++) {
        flip_byte(path, offsets[i]);
        LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && found);
        LM_CHECK(!c.from_file);
        check_contents(&c, 2.0f);
        lm_vec_cache_close(&c);
        LM_CHECK(lm_vec_cache_open(s, NULL, NULL, &c, &found, &err) == LM_OK && c.from_file);
        check_contents(&c, 2.0f);
        lm_vec_cache_close(&c);
    }
    free(path);
    lm_store_close(s);
}

/* A vector with a NaN or an infinity is refused on the way in, and one
 * already stored (a damaged row) is left out on the way out. */
static void test_nonfinite_vectors(void)
{
    int64_t id = 0;
    lm_store *s = model_store("vc6.db", &id);
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

int main(void)
{
    LM_RUN(test_write_then_map);
    LM_RUN(test_int8_vectors_stay_int8);
    LM_RUN(test_refresh_streams_the_file);
    LM_RUN(test_damaged_foreign_unwritable);
    LM_RUN(test_damaged_payload_is_rewritten);
    LM_RUN(test_nonfinite_vectors);
    return LM_DONE();
}
