/*
 * Tests for nlp/lm_embed_encoder (an encoder as the embedder: its stored
 * record, and how a record is matched against a model directory) and for
 * the encoder path of pipeline/lm_index (index build with [embed] model:
 * vectors of the model's dimension under a model of kind "encoder", equal
 * to embedding each article alone; a killed build resumed with its
 * committed vectors kept; a changed model re-embeds and retires the old
 * vectors; an unchanged one only fills gaps), on the fixture models.
 */
#include "../nlp/lm_embed_encoder.h"
#include "../pipeline/lm_index.h"
#include "../store/lm_store_embed.h"
#include "lm_test_store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <utime.h>

#define ST "tests/fixtures/encoder/bert-st-bf16"
#define CLS "tests/fixtures/encoder/bert-cased-cls"

/* A copy (real files) of a fixture directory in the scratch directory. */
static const char *copy_fixture(const char *src, const char *tag)
{
    static char dir[512];
    char cmd[1400];
    snprintf(dir, sizeof dir, "%s/%s", lm_test_tmpdir(), tag);
    snprintf(cmd, sizeof cmd, "cp -R '%s' '%s'", src, dir);
    return system(cmd) == 0 ? dir : NULL;
}

static void test_record(void)
{
    lm_embed_encoder *e = NULL, *cls = NULL, *back = NULL;
    lm_error err = {0};
    LM_CHECK(lm_embed_encoder_open(&e, ST, NULL, &err) == LM_OK);
    if (!e)
        return;
    LM_CHECK(lm_embed_encoder_dim(e) == 32);
    LM_CHECK_STR(lm_embed_encoder_pooling(e), "mean");
    LM_CHECK(lm_embed_encoder_dir(e)[0] == '/');
    lm_buf rec;
    lm_buf_init(&rec);
    LM_CHECK(lm_embed_encoder_record(e, &rec, &err) == LM_OK);
    LM_CHECK(strstr(lm_buf_cstr(&rec), "\"content_id\"") != NULL);
    int same = 0;
    LM_CHECK(lm_embed_encoder_matches(e, rec.data, rec.len, &same, &err) == LM_OK && same);
    /* Another pooling makes other vectors. */
    LM_CHECK(lm_embed_encoder_open(&cls, ST, "cls", &err) == LM_OK);
    LM_CHECK(lm_embed_encoder_matches(cls, rec.data, rec.len, &same, &err) == LM_OK && !same);
    LM_CHECK(lm_embed_encoder_open_record(&back, rec.data, rec.len, &err) == LM_OK);
    LM_CHECK(back && lm_embed_encoder_dim(back) == 32);
    char what[600];
    lm_embed_encoder_describe(rec.data, rec.len, what, sizeof what);
    LM_CHECK(strstr(what, "bert-st-bf16 (content id ") != NULL);
    LM_CHECK(strstr(what, "mean pooling, 32 dimensions") != NULL);
    lm_embed_encoder_describe("{}", 2, what, sizeof what);
    LM_CHECK_STR(what, "an unreadable encoder record");
    LM_CHECK(lm_embed_encoder_matches(e, "nope", 4, &same, &err) == LM_ERR_CORRUPT);
    lm_embed_encoder *bad = NULL;
    LM_CHECK(lm_embed_encoder_open(&bad, ST, "max", &err) == LM_ERR_USAGE && !bad);
    /* Vectors are unit length. */
    const char *texts[] = {"BRCA1 and DNA repair", "statins after myocardial infarction"};
    size_t lens[] = {strlen(texts[0]), strlen(texts[1])};
    lm_encoder_ws *ws = NULL;
    float v[64];
    LM_CHECK(lm_encoder_ws_init(&ws, lm_embed_encoder_model(e), &err) == LM_OK);
    LM_CHECK(lm_embed_encoder_texts(e, ws, texts, lens, 2, v, &err) == LM_OK);
    for (int i = 0; i < 2; i++) {
        double ss = 0;
        for (int j = 0; j < 32; j++)
            ss += (double)v[i * 32 + j] * v[i * 32 + j];
        LM_CHECK(fabs(ss - 1.0) < 1e-5);
    }
    lm_encoder_ws_free(ws);
    lm_buf_free(&rec);
    lm_embed_encoder_free(e);
    lm_embed_encoder_free(cls);
    lm_embed_encoder_free(back);
}

/* Touched files are checked by content; changed files are a new model. */
static void test_changed_directory(void)
{
    const char *dir = copy_fixture(ST, "st-copy");
    LM_CHECK(dir != NULL);
    if (!dir)
        return;
    lm_embed_encoder *e = NULL, *again = NULL, *back = NULL;
    lm_error err = {0};
    LM_CHECK(lm_embed_encoder_open(&e, dir, NULL, &err) == LM_OK);
    lm_buf rec;
    lm_buf_init(&rec);
    LM_CHECK(lm_embed_encoder_record(e, &rec, &err) == LM_OK);
    char path[700];
    snprintf(path, sizeof path, "%s/config.json", dir);
    struct utimbuf t = {1000000000, 1000000000};
    LM_CHECK(utime(path, &t) == 0);
    int same = 0;
    LM_CHECK(lm_embed_encoder_open(&again, dir, NULL, &err) == LM_OK);
    LM_CHECK(lm_embed_encoder_matches(again, rec.data, rec.len, &same, &err) == LM_OK && same);
    lm_embed_encoder_free(again);
    again = NULL;
    FILE *f = fopen(path, "a");
    LM_CHECK(f != NULL);
    if (f) {
        fputs("\n", f);
        fclose(f);
    }
    LM_CHECK(lm_embed_encoder_open(&again, dir, NULL, &err) == LM_OK);
    LM_CHECK(lm_embed_encoder_matches(again, rec.data, rec.len, &same, &err) == LM_OK && !same);
    LM_CHECK(lm_embed_encoder_open_record(&back, rec.data, rec.len, &err) == LM_ERR_USAGE);
    LM_CHECK(strstr(err.msg, "no longer holds the model") != NULL);
    LM_CHECK(back == NULL);
    lm_buf_free(&rec);
    lm_embed_encoder_free(e);
    lm_embed_encoder_free(again);
}

static const char *const titles[] = {"BRCA1 and DNA repair", "Statins after infarction",
                                     "Artemisinin resistant malaria", "Asthma in children",
                                     "Metformin and glucose"};
static const char *const abstracts[] = {
    "Homologous recombination depends on BRCA1.", "Statins lowered mortality.",
    "Kelch13 mutations delayed clearance.", "Budesonide reduced exacerbations.",
    "Metformin lowered HbA1c in type 2 diabetes."};

static lm_store *corpus(const char *name)
{
    lm_store *s = lm_test_open_store(name);
    lm_error err = {0};
    for (int i = 0; s && i < 5; i++) {
        lm_article a;
        lm_article_init(&a);
        a.pmid = 100 + i;
        a.version = 1;
        a.year = 2020;
        a.title = (char *)titles[i];
        a.abstract = (char *)abstracts[i];
        lm_put_result r;
        LM_CHECK(lm_store_put_article(s, &a, "test", &r, &err) == LM_OK);
    }
    return s;
}

static int64_t build(lm_store *s, const char *dir, lm_index_build_stats *bs)
{
    lm_index_build_options o;
    memset(&o, 0, sizeof o);
    o.encoder_dir = dir;
    o.threads = 2;
    /* float32 vectors, so that they can be compared exactly with the
     * encoder's own output (the default int8 rounds them) */
    o.refresh.format = LM_VEC_F32;
    o.refresh.format_set = 1;
    lm_error err = {0};
    lm_status st = lm_index_build(s, &o, bs, &err);
    if (st != LM_OK)
        fprintf(stderr, "  build: %s\n", err.msg);
    LM_CHECK(st == LM_OK);
    return bs->model_id;
}

static void test_index_build(void)
{
    lm_store *s = corpus("build.db");
    if (!s)
        return;
    lm_error err = {0};
    lm_index_build_stats bs;
    int64_t id = build(s, ST, &bs);
    LM_CHECK(bs.encoder && !bs.resumed && !bs.unchanged && bs.dim == 32);
    LM_CHECK(bs.refresh.embedded == 5);
    lm_vec_model_info info;
    int found = 0;
    LM_CHECK(lm_vec_model_current(s, &info, NULL, NULL, &found, &err) == LM_OK && found);
    LM_CHECK(info.id == id && info.dim == 32);
    LM_CHECK_STR(info.kind, LM_EMBED_ENCODER_KIND);
    /* Each vector is the article embedded alone: batching changes nothing. */
    lm_embed_encoder *e = NULL;
    lm_encoder_ws *ws = NULL;
    LM_CHECK(lm_embed_encoder_open(&e, ST, NULL, &err) == LM_OK);
    LM_CHECK(lm_encoder_ws_init(&ws, lm_embed_encoder_model(e), &err) == LM_OK);
    for (int i = 0; i < 5; i++) {
        lm_buf t;
        lm_buf_init(&t);
        LM_CHECK(lm_embed_encoder_article_text(titles[i], abstracts[i], &t, &err) == LM_OK);
        const char *text = lm_buf_cstr(&t);
        float want[32], got[32];
        LM_CHECK(lm_embed_encoder_texts(e, ws, &text, &t.len, 1, want, &err) == LM_OK);
        LM_CHECK(lm_vec_get(s, id, 100 + i, got, 32, &err) == LM_OK);
        float worst = 0;
        for (int j = 0; j < 32; j++)
            worst = fmaxf(worst, fabsf(want[j] - got[j]));
        LM_CHECK(worst < 1e-5f);
        lm_buf_free(&t);
    }
    lm_encoder_ws_free(ws);
    lm_embed_encoder_free(e);
    /* The same encoder again: nothing to redo. */
    LM_CHECK(build(s, ST, &bs) == id);
    LM_CHECK(bs.unchanged && bs.refresh.embedded == 0);
    /* Another model: everything re-embedded, the old vectors retired. */
    int64_t id2 = build(s, CLS, &bs);
    LM_CHECK(id2 != id && bs.dim == 20 && bs.refresh.embedded == 5);
    int64_t n = -1;
    LM_CHECK(lm_vec_count(s, id, &n, &err) == LM_OK && n == 0);
    LM_CHECK(lm_vec_count(s, id2, &n, &err) == LM_OK && n == 5);
    LM_CHECK(lm_vec_model_current(s, &info, NULL, NULL, &found, &err) == LM_OK && found);
    LM_CHECK(info.id == id2 && info.dim == 20);
    lm_store_close(s);
}

/* What a build killed after its first batch leaves: a 'building' model
 * with some vectors.  The next build keeps them and does the rest; a
 * leftover of another encoder is dropped. */
static void test_resume(void)
{
    lm_store *s = corpus("resume.db");
    if (!s)
        return;
    lm_error err = {0};
    lm_embed_encoder *e = NULL, *other = NULL;
    LM_CHECK(lm_embed_encoder_open(&e, ST, NULL, &err) == LM_OK);
    LM_CHECK(lm_embed_encoder_open(&other, CLS, NULL, &err) == LM_OK);
    if (!e || !other)
        return;
    lm_buf rec, rec2;
    lm_buf_init(&rec);
    lm_buf_init(&rec2);
    LM_CHECK(lm_embed_encoder_record(e, &rec, &err) == LM_OK);
    LM_CHECK(lm_embed_encoder_record(other, &rec2, &err) == LM_OK);
    int64_t killed = 0, foreign = 0;
    LM_CHECK(lm_vec_model_add(s, LM_EMBED_ENCODER_KIND, 20, rec2.data, rec2.len, 0, 0, "{}",
                              &foreign, &err) == LM_OK);
    LM_CHECK(lm_vec_model_add(s, LM_EMBED_ENCODER_KIND, 32, rec.data, rec.len, 0, 0, "{}",
                              &killed, &err) == LM_OK);
    float marker[32] = {0};
    marker[0] = 1.0f;   /* not what the model computes: shows the row was kept */
    LM_CHECK(lm_vec_put(s, killed, 101, LM_VEC_F32, marker, 32, &err) == LM_OK);
    void *data = NULL;
    size_t len = 0;
    LM_CHECK(lm_store_embed_model_data(s, killed, &data, &len, &err) == LM_OK);
    LM_CHECK(len == rec.len && data && memcmp(data, rec.data, len) == 0);
    free(data);
    LM_CHECK(lm_store_embed_model_data(s, 999, &data, &len, &err) == LM_ERR_NOTFOUND);
    lm_index_build_stats bs;
    LM_CHECK(build(s, ST, &bs) == killed);
    LM_CHECK(bs.resumed && bs.refresh.embedded == 4);
    float got[32];
    LM_CHECK(lm_vec_get(s, killed, 101, got, 32, &err) == LM_OK && got[0] == 1.0f);
    LM_CHECK(lm_store_embed_model_data(s, foreign, &data, &len, &err) == LM_ERR_NOTFOUND);
    lm_buf_free(&rec);
    lm_buf_free(&rec2);
    lm_embed_encoder_free(e);
    lm_embed_encoder_free(other);
    lm_store_close(s);
}

int main(void)
{
    LM_RUN(test_record);
    LM_RUN(test_changed_directory);
    LM_RUN(test_index_build);
    LM_RUN(test_resume);
    return LM_DONE();
}
