/*
 * Tests for lm_ner: a tiny model trained from inline sentences must tag
 * them (known answer), survive a save/load round trip unchanged, be shared
 * by threads, and every kind of damaged model file must be refused with
 * the right status.  With ../shared/data and the committed models present,
 * the dev-set F1 of each shipped model must stay above a floor a little
 * below what was measured, so a regression fails here.
 */
#include "../nlp/lm_ner.h"
#include "../nlp/train/lm_ner_train.h"
#include "../nlp/lm_pubtator.h"
#include "../util/lm_mapcache.h"
#include "../util/lm_utf8.h"
#include "lm_test.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* ---- a tiny corpus ---- */

static const char *const tiny_text[] = {
    "Naloxone reverses the hypotension induced by clonidine.",
    "Clonidine caused hypotension in rats treated with naloxone.",
    "Patients with epilepsy received carbamazepine daily.",
    "Carbamazepine reduced seizures in patients with epilepsy.",
    "Cocaine-induced seizures were treated with diazepam.",
    "Diazepam did not prevent hypotension or seizures.",
    "Lithium toxicity presented as tremor and ataxia.",
    "Tremor was reported after lithium and haloperidol.",
    "Haloperidol induced catalepsy in mice.",
    "The mice developed catalepsy and tremor after haloperidol.",
};

/* Gold mentions by string: every occurrence of these words is a mention. */
static const struct {
    const char *word;
    lm_ent_type type;
} tiny_lex[] = {
    {"Naloxone", LM_ENT_CHEMICAL}, {"naloxone", LM_ENT_CHEMICAL},
    {"clonidine", LM_ENT_CHEMICAL}, {"Clonidine", LM_ENT_CHEMICAL},
    {"carbamazepine", LM_ENT_CHEMICAL}, {"Carbamazepine", LM_ENT_CHEMICAL},
    {"Cocaine", LM_ENT_CHEMICAL}, {"diazepam", LM_ENT_CHEMICAL},
    {"Diazepam", LM_ENT_CHEMICAL}, {"Lithium", LM_ENT_CHEMICAL},
    {"lithium", LM_ENT_CHEMICAL}, {"haloperidol", LM_ENT_CHEMICAL},
    {"Haloperidol", LM_ENT_CHEMICAL}, {"hypotension", LM_ENT_DISEASE},
    {"epilepsy", LM_ENT_DISEASE}, {"seizures", LM_ENT_DISEASE},
    {"toxicity", LM_ENT_DISEASE}, {"tremor", LM_ENT_DISEASE},
    {"Tremor", LM_ENT_DISEASE}, {"ataxia", LM_ENT_DISEASE},
    {"catalepsy", LM_ENT_DISEASE},
};

#define N_TINY (sizeof tiny_text / sizeof tiny_text[0])

static int is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Gold mentions of text from tiny_lex (whole words only). */
static size_t tiny_gold(const char *text, lm_ner_gold *g, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof tiny_lex / sizeof tiny_lex[0]; i++) {
        const char *w = tiny_lex[i].word;
        size_t wl = strlen(w);
        for (const char *p = strstr(text, w); p; p = strstr(p + 1, w)) {
            if ((p > text && is_word_char(p[-1])) || is_word_char(p[wl]))
                continue;
            if (n < cap) {
                g[n].start = (uint32_t)(p - text);
                g[n].end = (uint32_t)(p - text + wl);
                g[n].type = tiny_lex[i].type;
                n++;
            }
        }
    }
    return n;
}

static lm_ner_model *tiny_model;

static lm_ner_model *train_tiny(void)
{
    static lm_ner_gold gold[N_TINY][16];
    lm_ner_train_doc docs[N_TINY];
    for (size_t i = 0; i < N_TINY; i++) {
        docs[i].text = tiny_text[i];
        docs[i].len = strlen(tiny_text[i]);
        docs[i].gold = gold[i];
        docs[i].n_gold = tiny_gold(tiny_text[i], gold[i], 16);
    }
    lm_ner_train_opts o;
    lm_ner_train_opts_init(&o);
    o.epochs = 10;
    o.bits = 14;
    lm_ner_model *m = NULL;
    lm_error err;
    if (lm_ner_train_docs(docs, N_TINY, &o, &m, &err) != LM_OK) {
        fprintf(stderr, "  train: %s\n", err.msg);
        return NULL;
    }
    return m;
}

/* "start-end:Type" list of mentions, for compact comparisons. */
static void describe(const char *text, const lm_ner_mentions *m, char *buf, size_t cap)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < m->n && off < cap; i++) {
        int k = snprintf(buf + off, cap - off, "%s%.*s/%s", i ? " " : "",
                         (int)(m->v[i].end - m->v[i].start), text + m->v[i].start,
                         lm_ent_type_name(m->v[i].type));
        if (k < 0)
            break;
        off += (size_t)k;
    }
}

static void tag_describe(const lm_ner_model *m, const char *text, char *buf, size_t cap)
{
    lm_ner_scratch *s;
    lm_ner_mentions out;
    lm_ner_mentions_init(&out);
    lm_error err;
    buf[0] = '\0';
    if (lm_ner_scratch_init(&s, &err) != LM_OK)
        return;
    if (lm_ner_tag(m, s, text, strlen(text), &out, &err) == LM_OK)
        describe(text, &out, buf, cap);
    else
        snprintf(buf, cap, "error: %s", err.msg);
    lm_ner_mentions_free(&out);
    lm_ner_scratch_free(s);
}

static void test_type_names(void)
{
    LM_CHECK_STR(lm_ent_type_name(LM_ENT_CHEMICAL), "Chemical");
    LM_CHECK_STR(lm_ent_type_name(LM_ENT_DISEASE), "Disease");
    LM_CHECK_STR(lm_ent_type_name(LM_ENT_GENE), "Gene");
    LM_CHECK_INT(lm_ent_type_parse("GeneOrGeneProduct"), LM_ENT_GENE);
    LM_CHECK_INT(lm_ent_type_parse("DiseaseOrPhenotypicFeature"), LM_ENT_DISEASE);
    LM_CHECK_INT(lm_ent_type_parse("ChemicalEntity"), LM_ENT_CHEMICAL);
    LM_CHECK_INT(lm_ent_type_parse("Modifier"), LM_ENT_DISEASE);
    LM_CHECK_INT(lm_ent_type_parse("SequenceVariant"), LM_ENT_NONE);
    LM_CHECK_INT(lm_ent_type_parse(NULL), LM_ENT_NONE);
}

static void test_tiny_known_answer(void)
{
    tiny_model = train_tiny();
    LM_CHECK(tiny_model != NULL);
    if (!tiny_model)
        return;
    LM_CHECK(lm_ner_model_types(tiny_model)
             == ((1u << LM_ENT_CHEMICAL) | (1u << LM_ENT_DISEASE)));
    char buf[1024];
    tag_describe(tiny_model, tiny_text[0], buf, sizeof buf);
    LM_CHECK_STR(buf, "Naloxone/Chemical hypotension/Disease clonidine/Chemical");
    /* BC5CDR convention: only the drug of "X-induced" is a mention */
    tag_describe(tiny_model, tiny_text[4], buf, sizeof buf);
    LM_CHECK_STR(buf, "Cocaine/Chemical seizures/Disease diazepam/Chemical");
    /* known words in a sentence never seen, two documents in one call */
    tag_describe(tiny_model, "Haloperidol and naloxone caused tremor.", buf, sizeof buf);
    LM_CHECK_STR(buf, "Haloperidol/Chemical naloxone/Chemical tremor/Disease");
    /* nothing to find */
    tag_describe(tiny_model, "", buf, sizeof buf);
    LM_CHECK_STR(buf, "");
    tag_describe(tiny_model, "   \n\t ", buf, sizeof buf);
    LM_CHECK_STR(buf, "");
}

static void test_scores_and_offsets(void)
{
    if (!tiny_model)
        LM_SKIP("no tiny model");
    lm_ner_scratch *s;
    lm_ner_mentions out;
    lm_ner_mentions_init(&out);
    lm_error err;
    LM_CHECK(lm_ner_scratch_init(&s, &err) == LM_OK);
    const char *text = "Clonidine caused hypotension.";
    LM_CHECK(lm_ner_tag(tiny_model, s, text, strlen(text), &out, &err) == LM_OK);
    LM_CHECK_INT(out.n, 2);
    if (out.n == 2) {
        LM_CHECK_INT(out.v[0].start, 0);
        LM_CHECK_INT(out.v[0].end, 9);
        LM_CHECK_INT(out.v[1].start, 17);
        LM_CHECK_INT(out.v[1].end, 28);
        for (size_t i = 0; i < out.n; i++)
            LM_CHECK(out.v[i].score > 0.5f && out.v[i].score <= 1.0f);
    }
    /* pre-tokenized entry point gives the same answer */
    lm_spans toks;
    lm_spans_init(&toks);
    LM_CHECK(lm_token_split(text, strlen(text), &toks, &err) == LM_OK);
    uint32_t sent0 = 0;
    lm_ner_mentions out2;
    lm_ner_mentions_init(&out2);
    LM_CHECK(lm_ner_tag_tokens(tiny_model, s, text, strlen(text), toks.v, toks.n, &sent0, 1,
                               &out2, &err) == LM_OK);
    LM_CHECK_INT(out2.n, out.n);
    for (size_t i = 0; i < out.n && i < out2.n; i++)
        LM_CHECK(out.v[i].start == out2.v[i].start && out.v[i].end == out2.v[i].end
                 && out.v[i].type == out2.v[i].type);
    /* the tagger hands on the definitions it read the text with, fresh
     * for each document */
    const char *defs = "Clonidine hydrochloride (CH) caused hypotension; CH is safe.";
    LM_CHECK(lm_ner_tag(tiny_model, s, defs, strlen(defs), &out, &err) == LM_OK);
    LM_CHECK_INT(out.has_abbrevs, 1);
    LM_CHECK_INT(out.abbrevs.n, 1);
    if (out.abbrevs.n == 1) {
        LM_CHECK_INT(out.abbrevs.v[0].short_start, 25);
        LM_CHECK_INT(out.abbrevs.v[0].long_start, 0);
        LM_CHECK_INT(out.abbrevs.v[0].long_end, 23);
    }
    LM_CHECK(lm_ner_tag(tiny_model, s, text, strlen(text), &out, &err) == LM_OK);
    LM_CHECK_INT(out.abbrevs.n, 0);
    lm_spans_free(&toks);
    lm_ner_mentions_free(&out);
    lm_ner_mentions_free(&out2);
    lm_ner_scratch_free(s);
}

static char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 512, "%s/%s", lm_test_tmpdir(), name);
    return p;
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static int copy_file(const char *from, const char *to, long limit, long flip_at)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    if (!a || !b) {
        if (a)
            fclose(a);
        if (b)
            fclose(b);
        return -1;
    }
    long i = 0;
    int c;
    while ((c = fgetc(a)) != EOF && (limit < 0 || i < limit)) {
        if (i == flip_at)
            c ^= 0x5A;
        fputc(c, b);
        i++;
    }
    fclose(a);
    return fclose(b);
}

/* Tags texts with m and with the tiny model: identical, mapped or not. */
static void check_same_tags(const lm_ner_model *m)
{
    const char *texts[] = {tiny_text[1], tiny_text[6], "Lithium and cocaine caused ataxia.",
                           "No entities here at all."};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char a[1024], b[1024];
        tag_describe(tiny_model, texts[i], a, sizeof a);
        tag_describe(m, texts[i], b, sizeof b);
        LM_CHECK_STR(b, a);
    }
}

static void test_roundtrip(void)
{
    if (!tiny_model)
        LM_SKIP("no tiny model");
    lm_error err;
    const char *path = tmp_path("tiny.bin");
    LM_CHECK(lm_ner_model_save(tiny_model, path, &err) == LM_OK);
    lm_ner_model *m2 = NULL;
    LM_CHECK(lm_ner_model_load(path, &m2, &err) == LM_OK);
    if (!m2)
        return;
    check_same_tags(m2);
    /* saving the loaded model reproduces the file byte for byte */
    const char *path2 = tmp_path("tiny2.bin");
    LM_CHECK(lm_ner_model_save(m2, path2, &err) == LM_OK);
    LM_CHECK(file_size(path) == file_size(path2));
    FILE *f1 = fopen(path, "rb"), *f2 = fopen(path2, "rb");
    int same = f1 && f2;
    for (int c1, c2; same && ((c1 = fgetc(f1)) != EOF || !feof(f2));) {
        c2 = fgetc(f2);
        if (c1 != c2)
            same = 0;
        if (c1 == EOF)
            break;
    }
    if (f1)
        fclose(f1);
    if (f2)
        fclose(f2);
    LM_CHECK(same);
    lm_ner_model_free(m2);
}

static void test_damaged_files(void)
{
    if (!tiny_model)
        LM_SKIP("no tiny model");
    lm_error err;
    const char *good = tmp_path("good.bin"), *bad = tmp_path("bad.bin");
    LM_CHECK(lm_ner_model_save(tiny_model, good, &err) == LM_OK);
    long size = file_size(good);
    LM_CHECK(size > 100);
    lm_ner_model *m = NULL;

    /* one flipped payload byte: checksum mismatch */
    LM_CHECK(copy_file(good, bad, -1, size / 2) == 0);
    LM_CHECK_INT(lm_ner_model_load(bad, &m, &err), LM_ERR_CORRUPT);
    LM_CHECK(strstr(err.msg, "checksum mismatch") != NULL);
    LM_CHECK(strstr(err.msg, bad) != NULL);
    LM_CHECK(m == NULL);

    /* the stored checksum itself damaged */
    LM_CHECK(copy_file(good, bad, -1, 33) == 0);
    LM_CHECK_INT(lm_ner_model_load(bad, &m, &err), LM_ERR_CORRUPT);

    /* truncated payload, truncated header */
    LM_CHECK(copy_file(good, bad, size - 10, -1) == 0);
    LM_CHECK_INT(lm_ner_model_load(bad, &m, &err), LM_ERR_CORRUPT);
    LM_CHECK(strstr(err.msg, "truncated") != NULL);
    LM_CHECK(copy_file(good, bad, 20, -1) == 0);
    LM_CHECK_INT(lm_ner_model_load(bad, &m, &err), LM_ERR_CORRUPT);

    /* trailing garbage */
    LM_CHECK(copy_file(good, bad, -1, -1) == 0);
    FILE *f = fopen(bad, "ab");
    if (f) {
        fputs("junk", f);
        fclose(f);
    }
    LM_CHECK_INT(lm_ner_model_load(bad, &m, &err), LM_ERR_CORRUPT);

    /* wrong magic, wrong version */
    f = fopen(bad, "wb");
    if (f) {
        fputs("PK\003\004 this is a zip file, not a model at all ..........", f);
        fclose(f);
    }
    LM_CHECK_INT(lm_ner_model_load(bad, &m, &err), LM_ERR_FORMAT);
    LM_CHECK(strstr(err.msg, "not a litmine NER model") != NULL);
    LM_CHECK(copy_file(good, bad, -1, 8) == 0);
    LM_CHECK_INT(lm_ner_model_load(bad, &m, &err), LM_ERR_FORMAT);

    /* missing file */
    LM_CHECK_INT(lm_ner_model_load(tmp_path("nope.bin"), &m, &err), LM_ERR_IO);
    LM_CHECK(m == NULL);
}

/* ---- the mapped cache ---- */

/* Loads path; returns whether the model came mapped from its cache (-1
 * when loading failed). */
static int load_mapped(const char *path)
{
    lm_ner_model *m = NULL;
    lm_error err;
    if (lm_ner_model_load(path, &m, &err) != LM_OK)
        return -1;
    check_same_tags(m);
    int mapped = lm_ner_model_is_mapped(m);
    lm_ner_model_free(m);
    return mapped;
}

static void test_mapped_cache(void)
{
    if (!tiny_model)
        LM_SKIP("no tiny model");
    lm_error err;
    char path[512], again[512], moved[512];
    snprintf(path, sizeof path, "%s", tmp_path("cached.bin"));
    snprintf(again, sizeof again, "%s", tmp_path("cached-again.bin"));
    snprintf(moved, sizeof moved, "%s", tmp_path("cached.bin.new"));
    LM_CHECK(lm_ner_model_save(tiny_model, path, &err) == LM_OK);
    lm_buf cache;
    lm_buf_init(&cache);
    LM_CHECK(lm_mapcache_path(path, &cache) == 0);
    const char *cp = lm_buf_cstr(&cache);
    LM_CHECK(strstr(cp, "/model-cache/cached.bin-") != NULL);

    /* the first load reads the file and writes the cache; later loads map it */
    LM_CHECK_INT(load_mapped(path), 0);
    LM_CHECK(file_size(cp) > file_size(path));
    LM_CHECK_INT(load_mapped(path), 1);
    LM_CHECK_INT(load_mapped(path), 1);

    /* a mapped model saves to the very same file */
    lm_ner_model *m = NULL;
    LM_CHECK(lm_ner_model_load(path, &m, &err) == LM_OK);
    if (m) {
        LM_CHECK(lm_ner_model_save(m, again, &err) == LM_OK);
        LM_CHECK(file_size(again) == file_size(path));
        lm_ner_model_free(m);
    }

    /* a damaged or truncated cache is a miss: the file is loaded (same
     * tags) and the cache rewritten */
    long size = file_size(cp);
    lm_test_flip_byte(cp, size - 3);
    LM_CHECK_INT(load_mapped(path), 0);
    LM_CHECK_INT(load_mapped(path), 1);
    lm_test_flip_byte(cp, 20);   /* the header */
    LM_CHECK_INT(load_mapped(path), 0);
    LM_CHECK_INT(load_mapped(path), 1);
    LM_CHECK(truncate(cp, size / 2) == 0);
    LM_CHECK_INT(load_mapped(path), 0);
    LM_CHECK_INT(load_mapped(path), 1);
    LM_CHECK(truncate(cp, 0) == 0);
    LM_CHECK_INT(load_mapped(path), 0);

    /* the model file replaced by a damaged one: the cache of the old file
     * is not used, the damage is reported */
    long msize = file_size(path);
    LM_CHECK(copy_file(path, moved, -1, msize / 2) == 0);
    LM_CHECK(rename(moved, path) == 0);
    LM_CHECK_INT(load_mapped(path), -1);
    LM_CHECK(lm_ner_model_load(path, &m, &err) == LM_ERR_CORRUPT);
    LM_CHECK(strstr(err.msg, "checksum mismatch") != NULL);
    LM_CHECK(copy_file(again, moved, msize - 5, -1) == 0);
    LM_CHECK(rename(moved, path) == 0);
    LM_CHECK(lm_ner_model_load(path, &m, &err) == LM_ERR_CORRUPT);
    LM_CHECK(strstr(err.msg, "truncated") != NULL);

    /* a cache whose model file is gone is removed when another is written */
    LM_CHECK(remove(path) == 0);
    LM_CHECK(load_mapped(again) == 0);
    LM_CHECK(access(cp, F_OK) != 0);
    LM_CHECK_INT(load_mapped(again), 1);

    /* caching off */
    const char *saved = getenv("LITMINE_MODEL_CACHE");
    char keep[512];
    snprintf(keep, sizeof keep, "%s", saved ? saved : "");
    setenv("LITMINE_MODEL_CACHE", "off", 1);
    LM_CHECK_INT(load_mapped(again), 0);
    LM_CHECK(lm_mapcache_path(again, &cache) == -1);
    setenv("LITMINE_MODEL_CACHE", keep, 1);
    lm_buf_free(&cache);
}

/* The committed tagger tags the same mapped from its cache as loaded from
 * its file, on the dev abstracts when ../shared/data is there. */
static void test_committed_mapped(void)
{
    const char *path = "models/" LM_NER_DEFAULT_MODEL;
    if (access(path, F_OK) != 0)
        LM_SKIP("models/ner.bin not found (make train)");
    lm_error err;
    char keep[512];
    snprintf(keep, sizeof keep, "%s", getenv("LITMINE_MODEL_CACHE"));
    lm_ner_model *file = NULL, *mapped = NULL;
    setenv("LITMINE_MODEL_CACHE", "off", 1);
    LM_CHECK(lm_ner_model_load(path, &file, &err) == LM_OK);
    setenv("LITMINE_MODEL_CACHE", keep, 1);
    for (int i = 0; i < 2 && !lm_ner_model_is_mapped(mapped); i++) {
        lm_ner_model_free(mapped);
        mapped = NULL;
        LM_CHECK(lm_ner_model_load(path, &mapped, &err) == LM_OK);
    }
    LM_CHECK(lm_ner_model_is_mapped(mapped));
    LM_CHECK(!lm_ner_model_is_mapped(file));
    if (!file || !mapped) {
        lm_ner_model_free(file);
        lm_ner_model_free(mapped);
        return;
    }
    size_t compared = 0;
    for (size_t i = 0; i < N_TINY; i++, compared++) {
        char a[1024], b[1024];
        tag_describe(file, tiny_text[i], a, sizeof a);
        tag_describe(mapped, tiny_text[i], b, sizeof b);
        LM_CHECK_STR(b, a);
    }
    if (lm_test_shared_data()) {
        char corpus[1024];
        snprintf(corpus, sizeof corpus, "%s/bc5cdr/CDR_DevelopmentSet.PubTator.txt",
                 lm_test_shared_data());
        lm_pt_corpus c;
        LM_CHECK(lm_pubtator_load(corpus, &c, &err) == LM_OK);
        for (size_t d = 0; d < c.n_docs && d < (SANITIZED ? 40 : 500); d++, compared++) {
            static char a[65536], b[65536];
            tag_describe(file, c.docs[d].text, a, sizeof a);
            tag_describe(mapped, c.docs[d].text, b, sizeof b);
            LM_CHECK(strcmp(a, b) == 0);
        }
        lm_pt_corpus_free(&c);
    }
    fprintf(stderr, "  %zu texts tagged alike by the loaded and the mapped model\n", compared);
    lm_ner_model_free(file);
    lm_ner_model_free(mapped);
}

/* ---- threads share one model ---- */

typedef struct thread_arg {
    const lm_ner_model *m;
    char out[N_TINY][512];
} thread_arg;

static void *thread_main(void *p)
{
    thread_arg *a = p;
    for (int rep = 0; rep < 20; rep++)
        for (size_t i = 0; i < N_TINY; i++)
            tag_describe(a->m, tiny_text[i], a->out[i], sizeof a->out[i]);
    return NULL;
}

static void test_threads(void)
{
    if (!tiny_model)
        LM_SKIP("no tiny model");
    static thread_arg args[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        args[i].m = tiny_model;
        LM_CHECK(pthread_create(&th[i], NULL, thread_main, &args[i]) == 0);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    for (size_t k = 0; k < N_TINY; k++) {
        char want[512];
        tag_describe(tiny_model, tiny_text[k], want, sizeof want);
        for (int i = 0; i < 3; i++)
            LM_CHECK_STR(args[i].out[k], want);
    }
}

static void test_default_dir(void)
{
    /* tests run from the repository root, which has models/ */
    const char *d = lm_ner_default_model_dir();
    LM_CHECK(d != NULL);
    if (access("models", F_OK) == 0)
        LM_CHECK_STR(d, "./models");
}

/* ---- the shipped models on the dev sets ---- */

typedef struct dev_case {
    const char *model;
    const char *corpus;
    lm_ent_type type;
    double floor;
} dev_case;

static void check_dev(const dev_case *c, size_t max_docs)
{
    const char *data = lm_test_shared_data();
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", data, c->corpus);
    lm_error err;
    lm_ner_model *m = NULL;
    if (lm_ner_model_load(c->model, &m, &err) != LM_OK) {
        fprintf(stderr, "  %s\n", err.msg);
        LM_CHECK(0);
        return;
    }
    lm_pt_corpus pc;
    LM_CHECK(lm_pubtator_load(path, &pc, &err) == LM_OK);
    lm_ner_scratch *s;
    LM_CHECK(lm_ner_scratch_init(&s, &err) == LM_OK);
    lm_ner_mentions out;
    lm_ner_mentions_init(&out);
    lm_ner_score sc;
    memset(&sc, 0, sizeof sc);
    size_t n = pc.n_docs < max_docs ? pc.n_docs : max_docs;
    for (size_t i = 0; i < n; i++) {
        const lm_pt_doc *d = &pc.docs[i];
        size_t len = strlen(d->text);
        uint32_t g[2 * 512], p[2 * 512];
        size_t ng = 0, np = 0;
        for (size_t k = 0; k < d->n_mentions && ng < 512; k++) {
            if (lm_ent_type_parse(d->mentions[k].type) != c->type)
                continue;
            g[2 * ng] = (uint32_t)lm_utf8_cp_to_byte(d->text, len, (size_t)d->mentions[k].start);
            g[2 * ng + 1] = (uint32_t)lm_utf8_cp_to_byte(d->text, len, (size_t)d->mentions[k].end);
            ng++;
        }
        LM_CHECK(lm_ner_tag(m, s, d->text, len, &out, &err) == LM_OK);
        for (size_t k = 0; k < out.n && np < 512; k++)
            if (out.v[k].type == c->type) {
                p[2 * np] = out.v[k].start;
                p[2 * np + 1] = out.v[k].end;
                np++;
            }
        lm_ner_score_add(&sc, g, ng, p, np);
    }
    lm_ner_score_finish(&sc);
    fprintf(stderr, "  %s %s on %zu docs of %s: P %.4f R %.4f F1 %.4f (floor %.2f)\n",
            c->model, lm_ent_type_name(c->type), n, c->corpus, sc.p, sc.r, sc.f, c->floor);
    LM_CHECK(sc.f >= c->floor);
    lm_ner_mentions_free(&out);
    lm_ner_scratch_free(s);
    lm_pt_corpus_free(&pc);
    lm_ner_model_free(m);
}

static void test_dev_sets(void)
{
    if (!lm_test_shared_data())
        LM_SKIP("../shared/data not found");
    if (access("models/" LM_NER_DEFAULT_MODEL, F_OK) != 0)
        LM_SKIP("models/ner.bin not found (make train)");
    /* The shipped models are trained on train+dev, so these floors guard
     * against regressions (a broken feature, a format bug), not measure
     * generalisation; `litmine train ner` reports held-out dev figures. */
    static const dev_case cases[] = {
        {"models/ner.bin", "bc5cdr/CDR_DevelopmentSet.PubTator.txt", LM_ENT_CHEMICAL, 0.97},
        {"models/ner.bin", "bc5cdr/CDR_DevelopmentSet.PubTator.txt", LM_ENT_DISEASE, 0.97},
        {"models/ner.bin", "biored/Dev.PubTator", LM_ENT_GENE, 0.96},
        {"models/ner-ncbi.bin", "ncbi_disease/NCBIdevelopset_corpus.txt", LM_ENT_DISEASE, 0.97},
    };
    size_t max_docs = SANITIZED ? 60 : 100000;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (access(cases[i].model, F_OK) != 0) {
            fprintf(stderr, "  %s missing\n", cases[i].model);
            LM_CHECK(0);
            continue;
        }
        check_dev(&cases[i], max_docs);
    }
}

int main(void)
{
    lm_test_private_model_cache();
    LM_RUN(test_type_names);
    LM_RUN(test_tiny_known_answer);
    LM_RUN(test_scores_and_offsets);
    LM_RUN(test_roundtrip);
    LM_RUN(test_damaged_files);
    LM_RUN(test_mapped_cache);
    LM_RUN(test_committed_mapped);
    LM_RUN(test_threads);
    LM_RUN(test_default_dir);
    LM_RUN(test_dev_sets);
    lm_ner_model_free(tiny_model);
    return LM_DONE();
}
