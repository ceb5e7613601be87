/*
 * Tests for nlp/lm_embed (the built-in LSA embedding) and the word
 * analysis it shares with search (nlp/lm_query): words, stopwords,
 * stemming, fitting on a two-topic corpus with known structure, model
 * save/load round trip and corruption, error paths.
 */
#include "../nlp/lm_embed.h"
#include "../util/lm_words.h"
#include "lm_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_words(void)
{
    lm_words w;
    lm_words_init(&w);
    lm_error err = {0};
    const char *t = "TNF-α and IL-6 (Müller's µM) x";
    LM_CHECK(lm_words_split(t, strlen(t), &w, &err) == LM_OK);
    const char *want[] = {"tnf", "alpha", "and", "il", "6", "muller", "s", "mum", "x"};
    LM_CHECK_INT(w.n, 9);
    for (size_t i = 0; i < w.n && i < 9; i++)
        LM_CHECK_STR(w.v[i].norm, want[i]);
    /* Spans point back into the input. */
    LM_CHECK(w.n > 1 && w.v[1].start == 4 && w.v[1].end == 6);
    LM_CHECK(lm_words_split("", 0, &w, &err) == LM_OK && w.n == 0);
    lm_words_free(&w);

    LM_CHECK(lm_words_is_stopword("the", 3));
    LM_CHECK(lm_words_is_stopword("a", 1));
    LM_CHECK(lm_words_is_stopword("yours", 5));
    LM_CHECK(!lm_words_is_stopword("brca1", 5));
    LM_CHECK(!lm_words_is_stopword("th", 2));

    char out[64];
    lm_words_stem("studies", 7, out, sizeof out);
    LM_CHECK_STR(out, "studi");
    lm_words_stem("study", 5, out, sizeof out);
    LM_CHECK_STR(out, "studi");
    lm_words_stem("activation", 10, out, sizeof out);
    char act[64];
    lm_words_stem("activated", 9, act, sizeof act);
    LM_CHECK_STR(out, act);
    lm_words_stem("cells", 5, out, sizeof out);
    LM_CHECK_STR(out, "cell");
    lm_words_stem("brca1", 5, out, sizeof out);
    LM_CHECK_STR(out, "brca1");
}

static const char *topic_a[] = {"insulin", "glucose", "diabetes", "pancreatic", "glycemic",
                                "beta", "islet", "obesity"};
static const char *topic_b[] = {"tumor", "chemotherapy", "cancer", "metastasis", "oncology",
                                "carcinoma", "radiotherapy", "lymphoma"};

/* A document of 12 words of one topic, chosen deterministically. */
static void make_doc(char *buf, size_t cap, int topic, int seed)
{
    const char **w = topic ? topic_b : topic_a;
    buf[0] = '\0';
    size_t n = 0;
    for (int i = 0; i < 12; i++) {
        int r = (seed / 2 * 5 + i * 3) % 8;   /* i * 3 visits every word */
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? " the " : "", w[r]);
    }
}

static float dot(const float *a, const float *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return (float)s;
}

static void test_fit_and_embed(void)
{
    lm_embed_fit_options o;
    memset(&o, 0, sizeof o);
    /* Two topics: two dimensions separate them (words of a topic then share
     * a direction even when two texts share no word). */
    o.dim = 2;
    lm_embed_fitter *f = NULL;
    lm_error err = {0};
    LM_CHECK(lm_embed_fitter_init(&f, &o, &err) == LM_OK);
    char doc[512];
    for (int i = 0; i < 60; i++) {
        make_doc(doc, sizeof doc, i % 2, i);
        LM_CHECK(lm_embed_fitter_add(f, doc, strlen(doc), &err) == LM_OK);
    }
    lm_embed_model *m = NULL;
    LM_CHECK(lm_embed_fitter_finish(f, &m, &err) == LM_OK);
    lm_embed_fitter_free(f);
    if (!m)
        return;
    int dim = lm_embed_model_dim(m);
    LM_CHECK_INT(dim, 2);
    /* 16 topic words; "the" between them is a stopword, so no pairs. */
    LM_CHECK_INT(lm_embed_model_vocab(m), 16);
    LM_CHECK_INT(lm_embed_model_docs(m), 60);
    LM_CHECK(lm_embed_word_idf(m, "insulin", 7) > 0);
    LM_CHECK(lm_embed_word_idf(m, "zebrafish", 9) == 0);

    lm_embed_scratch *s = NULL;
    LM_CHECK(lm_embed_scratch_init(&s, &err) == LM_OK);
    float a1[8], a2[8], b1[8], z[8];
    const char *qa1 = "insulin and glucose in diabetes";
    const char *qa2 = "islet beta cells and obesity";
    const char *qb1 = "chemotherapy for metastatic carcinoma";
    LM_CHECK(lm_embed_text(m, s, qa1, strlen(qa1), a1, &err) == LM_OK);
    LM_CHECK(lm_embed_text(m, s, qa2, strlen(qa2), a2, &err) == LM_OK);
    LM_CHECK(lm_embed_text(m, s, qb1, strlen(qb1), b1, &err) == LM_OK);
    LM_CHECK(fabsf(dot(a1, a1, dim) - 1.0f) < 1e-4f);
    /* Same topic, no shared word: closer than the other topic. */
    fprintf(stderr, "  same topic %.3f, other topic %.3f\n", dot(a1, a2, dim), dot(a1, b1, dim));
    LM_CHECK(dot(a1, a2, dim) > dot(a1, b1, dim) + 0.5f);
    LM_CHECK(lm_embed_text(m, s, "xyzzy plugh", 11, z, &err) == LM_OK);
    LM_CHECK(dot(z, z, dim) == 0.0f);
    float art[8];
    LM_CHECK(lm_embed_article(m, s, "insulin and glucose", "in diabetes", art, &err) == LM_OK);
    LM_CHECK(fabsf(dot(art, a1, dim) - 1.0f) < 1e-4f);

    /* Save, load, same embedding; params describe it. */
    lm_buf blob, params;
    lm_buf_init(&blob);
    lm_buf_init(&params);
    LM_CHECK(lm_embed_model_save(m, &blob, &err) == LM_OK);
    LM_CHECK(lm_embed_model_params(m, &params, &err) == LM_OK);
    LM_CHECK(strstr(lm_buf_cstr(&params), "\"kind\":\"lsa\"") != NULL);
    lm_embed_model *m2 = NULL;
    LM_CHECK(lm_embed_model_load(blob.data, blob.len, &m2, &err) == LM_OK);
    if (m2) {
        float c[8];
        LM_CHECK(lm_embed_text(m2, s, qa1, strlen(qa1), c, &err) == LM_OK);
        LM_CHECK(memcmp(c, a1, (size_t)dim * sizeof *c) == 0);
        lm_embed_model_free(m2);
    }
    /* Mapped in place (aligned or not: unaligned bytes are copied), the
     * model embeds exactly as loaded; the mapped projection is the
     * caller's bytes, so freeing the model leaves them alone. */
    for (size_t shift = 0; shift < 2; shift++) {
        unsigned char *copy = malloc(blob.len + 8);
        LM_CHECK(copy != NULL);
        if (!copy)
            break;
        memcpy(copy + shift, blob.data, blob.len);
        LM_CHECK(lm_embed_model_map(copy + shift, blob.len, &m2, &err) == LM_OK);
        if (m2) {
            float c[8];
            LM_CHECK(lm_embed_text(m2, s, qa1, strlen(qa1), c, &err) == LM_OK);
            LM_CHECK(memcmp(c, a1, (size_t)dim * sizeof *c) == 0);
            lm_embed_model_free(m2);
            m2 = NULL;
        }
        LM_CHECK(memcmp(copy + shift, blob.data, blob.len) == 0);
        free(copy);
    }
    /* Any flipped byte, a truncation or a foreign file is caught. */
    blob.data[blob.len / 2] ^= 0x40;
    LM_CHECK(lm_embed_model_load(blob.data, blob.len, &m2, &err) == LM_ERR_CORRUPT);
    blob.data[blob.len / 2] ^= 0x40;
    LM_CHECK(lm_embed_model_load(blob.data, blob.len - 1, &m2, &err) == LM_ERR_CORRUPT);
    LM_CHECK(lm_embed_model_load("not a model at all, really no", 29, &m2, &err) ==
             LM_ERR_CORRUPT);
    lm_buf_free(&blob);
    lm_buf_free(&params);
    lm_embed_scratch_free(s);
    lm_embed_model_free(m);
}

static void test_fit_errors(void)
{
    lm_embed_fitter *f = NULL;
    lm_error err = {0};
    lm_embed_model *m = NULL;
    LM_CHECK(lm_embed_fitter_init(&f, NULL, &err) == LM_OK);
    LM_CHECK(lm_embed_fitter_add(f, "only one", 8, &err) == LM_OK);
    LM_CHECK(lm_embed_fitter_finish(f, &m, &err) == LM_ERR_USAGE && !m);
    /* Two documents sharing no word: nothing passes min_df = 2. */
    LM_CHECK(lm_embed_fitter_add(f, "different words", 15, &err) == LM_OK);
    LM_CHECK(lm_embed_fitter_finish(f, &m, &err) == LM_ERR_USAGE && !m);
    lm_embed_fitter_free(f);
}

typedef struct feats {
    uint64_t v[16];
    size_t n;
} feats;

static void collect(void *ctx, uint64_t f)
{
    feats *fs = ctx;
    if (fs->n < 16)
        fs->v[fs->n++] = f;
}

static void test_features(void)
{
    lm_embed_scratch *s = NULL;
    lm_error err = {0};
    LM_CHECK(lm_embed_scratch_init(&s, &err) == LM_OK);
    feats a = {{0}, 0}, b = {{0}, 0};
    /* Stopwords break adjacency: two words, no pair; stems agree. */
    LM_CHECK(lm_embed_features("Cells of the cell", 17, 1, s, collect, &a, &err) == LM_OK);
    LM_CHECK_INT(a.n, 2);
    LM_CHECK(a.v[0] == a.v[1]);
    /* Adjacent content words add a pair; without bigrams they do not. */
    LM_CHECK(lm_embed_features("tumor cells", 11, 1, s, collect, &b, &err) == LM_OK);
    LM_CHECK_INT(b.n, 3);
    LM_CHECK(b.v[1] == a.v[0]);
    b.n = 0;
    LM_CHECK(lm_embed_features("tumor cells", 11, 0, s, collect, &b, &err) == LM_OK);
    LM_CHECK_INT(b.n, 2);
    lm_embed_scratch_free(s);
}

int main(void)
{
    LM_RUN(test_words);
    LM_RUN(test_fit_and_embed);
    LM_RUN(test_fit_errors);
    LM_RUN(test_features);
    return LM_DONE();
}
