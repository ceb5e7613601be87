/*
 * Allocation-failure tests of the vector file (store/search/lm_vec_cache.c,
 * lm_vec_compact.c), beside tests/test-alloc.c and test-alloc-pipeline.c
 * (tests/lm_test_alloc.h has the wrappers and the walk): a reader opening
 * a model's file, refreshes that rewrite it and append to it, and the
 * sizes `stats --sizes` reports, each run
 * once per allocation they make with that allocation failing, alone and
 * with every later one.  A run must give the clean run's result or
 * LM_ERR_NOMEM with a message, and leak nothing.
 */
#include "lm_test_alloc.h"
#include "lm_test_store.h"

#include "../store/lm_store.h"
#include "../store/lm_store_internal.h"
#include "../store/lm_store_sizes.h"
#include "../store/search/lm_vec_cache.h"
#include "../store/search/lm_vectors.h"

/* A database whose current model was made current without a compaction,
 * so that its file is still the build file "<db>.vectors.m<id>": a reader
 * maps it from there; a refresh with a new row rewrites it as
 * "<db>.vectors"; the next one appends its row in place.  A failure in
 * finding those names that read as "no such file" would make the first
 * open an error naming `index build` and the append a rewrite (a new file
 * id): both seen here. */
#define VEC_MODEL_LEN 80000   /* over the 64 KB from which the model moves into the file */

static char vec_seed[512];
static int64_t vec_model_id;

static void vec_of(int64_t pmid, float *v)
{
    v[0] = (float)pmid;
    v[1] = 0.5f;
    v[2] = -1.0f;
    v[3] = 0.25f * (float)pmid;
}

/* A missing source is an error too: a missing seed would open as a new,
 * empty database, and a missing build file would walk a reader that finds
 * no file. */
static lm_status copy_file(const char *from, const char *to, lm_error *err)
{
    return lm_test_copy_file(from, to) == 0
               ? LM_OK
               : lm_error_set(err, LM_ERR_IO, "copying %s to %s: %s", from, to, strerror(errno));
}

static void vec_side(char *buf, size_t n, const char *db, const char *suffix)
{
    snprintf(buf, n, "%s%s", db, suffix);
}

static lm_status vec_open_summary(lm_store *s, const char *what, char *summary, size_t cap,
                                  lm_error *err)
{
    lm_vec_cache c;
    int found = 0;
    lm_status st = lm_vec_cache_open(s, NULL, NULL, &c, &found, err);
    if (st != LM_OK)
        return st;
    lm_alloc_summary(summary, cap, "%s: %d %d %zu %zu;", what, found, c.from_file, c.model_len,
                     c.mat.n);
    for (size_t i = 0; found && i < c.mat.n; i++)
        lm_alloc_summary(summary, cap, " %lld:%g", (long long)c.mat.pmids[i],
                         (double)c.mat.data[i * 4 + 3]);
    lm_vec_cache_close(&c);
    return LM_OK;
}

static long long vec_file_id(lm_store *s)
{
    return raw_int(lm_store_sqlite(s), "SELECT file_id FROM vector_files");
}

static lm_status op_vec_cache(char *summary, size_t cap, lm_error *err)
{
    char db[512], from[600], to[600];
    db_path(db, sizeof db, "alloc-vec.db");
    const char *gone[] = {".vectors", ".vectors.next", ".vectors.lock"};
    for (size_t i = 0; i < sizeof gone / sizeof *gone; i++) {
        vec_side(to, sizeof to, db, gone[i]);
        unlink(to);
    }
    char build[64];
    snprintf(build, sizeof build, ".vectors.m%lld", (long long)vec_model_id);
    lm_status st = copy_file(vec_seed, db, err);
    vec_side(from, sizeof from, vec_seed, build);
    vec_side(to, sizeof to, db, build);
    if (st == LM_OK)
        st = copy_file(from, to, err);
    lm_store *s = NULL;
    if (st == LM_OK)
        st = lm_store_open(&s, db, NULL, err);
    if (st != LM_OK)
        return st;
    long long file_ids[3] = {vec_file_id(s), 0, 0};
    st = vec_open_summary(s, "build file", summary, cap, err);
    for (int64_t p = 4; p <= 5 && st == LM_OK; p++) {
        float v[4];
        vec_of(p, v);
        if ((st = lm_vec_put(s, vec_model_id, p, LM_VEC_F32, v, 4, err)) == LM_OK &&
            (st = lm_vec_cache_refresh(s, NULL, err)) == LM_OK)
            file_ids[p - 3] = vec_file_id(s);
    }
    if (st == LM_OK) {
        /* the rewrite made the model's file "<db>.vectors": its build file goes */
        lm_alloc_summary(summary, cap, " rewritten %d, appended in place %d, build file left %d;",
                         file_ids[1] != file_ids[0], file_ids[2] == file_ids[1],
                         access(to, F_OK) == 0);
        st = vec_open_summary(s, "file", summary, cap, err);
    }
    lm_store_totals sizes;
    if (st == LM_OK && (st = lm_store_size_totals(s, &sizes, err)) == LM_OK)
        lm_alloc_summary(summary, cap, " sizes: vectors on disk %d, rows %lld;",
                         sizes.vectors_bytes > 0, (long long)sizes.vector_rows);
    lm_store_close(s);
    return st;
}

/* The seed: articles 1..5, a model with the vectors of 1..3 compacted
 * while it was being built, then made current. */
static int make_vec_seed(void)
{
    db_path(vec_seed, sizeof vec_seed, "alloc-vec-seed.db");
    char side[600];
    vec_side(side, sizeof side, vec_seed, ".vectors");
    unlink(side);
    lm_error err;
    lm_store *s = NULL;
    if (lm_store_open(&s, vec_seed, NULL, &err) != LM_OK)
        return 0;
    lm_status st = LM_OK;
    for (int64_t p = 1; p <= 5 && st == LM_OK; p++) {
        lm_article a;
        lm_article_init(&a);
        a.pmid = p;
        a.version = 1;
        a.year = 2000 + (int)p;
        a.title = (char *)"title";
        a.abstract = (char *)"abstract";
        lm_put_result r;
        st = lm_store_put_article(s, &a, "test", &r, &err);
    }
    static unsigned char model[VEC_MODEL_LEN];
    for (size_t i = 0; i < sizeof model; i++)
        model[i] = (unsigned char)(i * 7);
    if (st == LM_OK)
        st = lm_vec_model_add(s, "test", 4, model, sizeof model, 3, 0.1, "{}", &vec_model_id,
                              &err);
    for (int64_t p = 1; p <= 3 && st == LM_OK; p++) {
        float v[4];
        vec_of(p, v);
        st = lm_vec_put(s, vec_model_id, p, LM_VEC_F32, v, 4, &err);
    }
    if (st == LM_OK)
        st = lm_vec_cache_compact_model(s, vec_model_id, &err);
    if (st == LM_OK)
        st = lm_vec_model_activate(s, vec_model_id, &err);
    lm_store_close(s);
    if (st != LM_OK)
        fprintf(stderr, "vector seed: %s\n", err.msg);
    return st == LM_OK;
}

static void test_vector_file(void)
{
    LM_CHECK(make_vec_seed());
    if (!vec_model_id)
        return;
    /* The walk holds every failed run to the clean one; the clean one is
     * held to what the refreshes must do. */
    static char summary[LM_ALLOC_SUMMARY_MAX];
    summary[0] = '\0';
    lm_error err = {0};
    lm_alloc_disarm();
    LM_CHECK_INT(op_vec_cache(summary, sizeof summary, &err), LM_OK);
    LM_CHECK(strstr(summary, "rewritten 1, appended in place 1, build file left 0") != NULL);
    LM_CHECK(strstr(summary, "rows 5") != NULL);
    lm_alloc_walk("lm_vec_cache: open from the build file, rewrite, append, open", op_vec_cache);
}

int main(void)
{
    LM_RUN(test_vector_file);
    return LM_DONE();
}
