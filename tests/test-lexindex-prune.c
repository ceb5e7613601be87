/*
 * Tests for the pruned ranking of store/lm_lexindex (MaxScore, see
 * lm_lexindex_search.c): on a generated index of several segments with
 * replaced, deleted and not yet re-indexed articles, and many articles
 * of identical text (tied scores), every query gives the same hits, in
 * the same order, with bit-identical scores, pruned and exhaustive —
 * with and without phrase evidence, for depths from 1 to more than the
 * matches, for absent words, words repeated, stopwords only — and the
 * pruned walk does score fewer articles.
 */
#include "../store/search/lm_lexindex.h"
#include "../pipeline/lm_index.h"
#include "lm_test_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A vocabulary where the first words are far more frequent than the
 * last (a Zipf-like draw: the minimum of two uniform picks, squared). */
static const char *const vocab[] = {
    "cell",     "protein",  "patient",  "cancer",    "gene",     "expression", "study",
    "tumor",    "receptor", "kinase",   "mutation",  "therapy",  "signal",     "pathway",
    "mouse",    "liver",    "insulin",  "vitamin",   "deficien", "homocystein", "blood",
    "level",    "increase", "neuron",   "synapse",   "olaparib", "parp",       "brca1",
    "ovarian",  "screening", "aspirin", "ibuprofen", "fever",    "pain",       "zebrafish",
    "microbiome", "clostridium", "urease", "pylori", "alizarin"};
#define N_VOCAB (sizeof vocab / sizeof vocab[0])

static const char *draw_word(void)
{
    size_t a = (size_t)(next_rand() % N_VOCAB), b = (size_t)(next_rand() % N_VOCAB);
    size_t m = a < b ? a : b;
    return vocab[(m * m) / N_VOCAB];
}

static void make_text(char *buf, size_t cap, int words)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < words && len + 16 < cap; i++) {
        const char *w = next_rand() % 5 == 0 ? "the" : draw_word();
        int k = snprintf(buf + len, cap - len, "%s%s", i ? " " : "", w);
        if (k < 0 || (size_t)k >= cap - len)
            break;
        len += (size_t)k;
    }
}

static void put(lm_store *s, int64_t pmid, int version, const char *title, const char *abstract)
{
    lm_article a;
    lm_article_init(&a);
    a.pmid = pmid;
    a.version = version;
    a.year = 2000;
    a.title = (char *)title;
    a.abstract = (char *)abstract;
    lm_error err = {0};
    lm_put_result r;
    LM_CHECK(lm_store_put_article(s, &a, "test", &r, &err) == LM_OK);
}

static void refresh(lm_store *s, int batch)
{
    lm_search_refresh_options o = {0};
    o.skip_vectors = 1;
    o.batch = batch;
    lm_error err = {0};
    LM_CHECK(lm_index_refresh(s, &o, NULL, &err) == LM_OK);
}

static const lm_lexindex_params params = {1.2f, 0.75f, 0.6f, 1.5f, 1.0f, 20};

typedef struct answer {
    lm_lexindex_hit *v;
    size_t n;
    size_t scored;
} answer;

/* The hits of text (phrases of adjacent words when phrases is set) at
 * depth limit, copied; exhaustive selects the walk. */
static int search(lm_lexindex_reader *r, lm_store *s, const char *text, int phrases, size_t limit,
                  int exhaustive, answer *out)
{
    lm_qterms q;
    lm_qterms_init(&q);
    lm_qterms_options qo = {0, phrases, 0.5f};
    lm_error err = {0};
    int ok = 0;
    out->v = NULL;
    out->n = 0;
    lm_lexindex_reader_set_exhaustive(r, exhaustive);
    if (lm_qterms_parse(text, &qo, &q, &err) == LM_OK) {
        const lm_lexindex_hit *hits = NULL;
        size_t n = 0;
        if (lm_lexindex_search(r, s, &params, &q, limit, NULL, NULL, &hits, &n, &err) == LM_OK) {
            out->v = malloc((n ? n : 1) * sizeof *out->v);
            if (out->v) {
                if (n)
                    memcpy(out->v, hits, n * sizeof *hits);
                out->n = n;
                out->scored = lm_lexindex_reader_scored(r);
                ok = 1;
            }
        }
    }
    if (!ok)
        fprintf(stderr, "search '%s': %s\n", text, err.msg);
    lm_qterms_free(&q);
    return ok;
}

/* Pruned and exhaustive answers are the same, scores to the bit; returns
 * 1 when the pruned walk scored fewer articles. */
static int check_same(lm_lexindex_reader *r, lm_store *s, const char *text, int phrases,
                      size_t limit)
{
    answer full, fast;
    LM_CHECK(search(r, s, text, phrases, limit, 1, &full));
    LM_CHECK(search(r, s, text, phrases, limit, 0, &fast));
    int same = full.n == fast.n;
    for (size_t i = 0; same && i < full.n; i++)
        same = full.v[i].pmid == fast.v[i].pmid &&
               memcmp(&full.v[i].score, &fast.v[i].score, sizeof full.v[i].score) == 0;
    if (!same)
        fprintf(stderr, "query '%s' (phrases %d, limit %zu): %zu hits exhaustive, %zu pruned\n",
                text, phrases, limit, full.n, fast.n);
    LM_CHECK(same);
    int fewer = fast.scored < full.scored;
    free(full.v);
    free(fast.v);
    return fewer;
}

static void test_pruned_equals_exhaustive(void)
{
    lm_store *s = lm_test_open_store("lex-prune.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    char title[256], abstract[2048];
    int64_t pmid = 1;
    /* Twelve refreshes of 50 articles: several segments (refreshes merge
     * beyond LM_LEXINDEX_MAX_SEGMENTS). */
    for (int batch = 0; batch < 12; batch++) {
        for (int i = 0; i < 50; i++, pmid++) {
            if (pmid % 7 == 0) {   /* ties: the same text under many PMIDs */
                put(s, pmid, 1, "Vitamin deficiency", "vitamin blood tiedword homocystein increase");
                continue;
            }
            make_text(title, sizeof title, 3 + (int)(next_rand() % 8));
            make_text(abstract, sizeof abstract, 20 + (int)(next_rand() % 160));
            put(s, pmid, 1, title, abstract);
        }
        refresh(s, 50);
    }
    /* Dead postings: replaced articles (some re-indexed, some not yet)
     * and deleted ones. */
    lm_error err = {0};
    for (int64_t p = 3; p < pmid; p += 11) {
        make_text(abstract, sizeof abstract, 40);
        put(s, p, 2, "Replaced cancer therapy", abstract);
    }
    refresh(s, 50);
    for (int64_t p = 5; p < pmid; p += 13) {
        int deleted = 0;
        LM_CHECK(lm_store_delete_article(s, p, &deleted, &err) == LM_OK && deleted);
    }
    for (int64_t p = 9; p < pmid; p += 17)
        put(s, p, 3, "Pending version", "vitamin parp kinase");
    lm_lexindex_info info;
    LM_CHECK(lm_lexindex_get_info(s, &info, &err) == LM_OK);
    LM_CHECK(info.segments >= 2 && info.dead > 0);

    lm_lexindex_reader *r = NULL;
    LM_CHECK(lm_lexindex_reader_init(&r, &err) == LM_OK);
    static const char *const queries[] = {
        "A deficiency of vitamin B12 increases blood levels of homocysteine",
        "cell protein patient cancer gene expression study tumor receptor kinase",
        "olaparib parp brca1 ovarian cancer screening",
        "vitamin vitamin vitamin blood",
        "tiedword vitamin",
        "tiedword",
        "cell",
        "zebrafish microbiome clostridium",
        "aspirin absentwordxyz ibuprofen",
        "absentwordxyz",
        "the of and",
        "cancer therapy mutation signal pathway liver insulin neuron synapse pain fever",
    };
    static const size_t limits[] = {1, 3, 10, 37, 100, 5000};
    int pruned_some = 0;
    for (size_t qi = 0; qi < sizeof queries / sizeof queries[0]; qi++)
        for (int phrases = 0; phrases <= 1; phrases++)
            for (size_t li = 0; li < sizeof limits / sizeof limits[0]; li++)
                pruned_some |= check_same(r, s, queries[qi], phrases, limits[li]);
    LM_CHECK(pruned_some);

    /* Edge cases of the answers themselves. */
    answer a;
    LM_CHECK(search(r, s, "absentwordxyz", 0, 10, 0, &a) && a.n == 0);
    free(a.v);
    LM_CHECK(search(r, s, "the of and", 0, 10, 0, &a) && a.n == 10);
    free(a.v);
    LM_CHECK(search(r, s, "zebrafish", 0, 5000, 0, &a) && a.n > 0 && a.n < 5000);
    for (size_t i = 1; i < a.n; i++)   /* best first, ties by lower PMID */
        LM_CHECK(a.v[i - 1].score > a.v[i].score ||
                 (a.v[i - 1].score == a.v[i].score && a.v[i - 1].pmid < a.v[i].pmid));
    free(a.v);
    /* The tied articles: equal scores, PMIDs in order, none deleted. */
    LM_CHECK(search(r, s, "tiedword", 0, 5, 0, &a) && a.n == 5);
    for (size_t i = 0; i < a.n; i++) {
        LM_CHECK(a.v[i].score == a.v[0].score && a.v[i].pmid % 7 == 0 && a.v[i].pmid % 13 != 5);
        if (i)
            LM_CHECK(a.v[i - 1].pmid < a.v[i].pmid);
    }
    free(a.v);
    lm_lexindex_reader_free(r);
    lm_store_close(s);
}

int main(void)
{
    LM_RUN(test_pruned_equals_exhaustive);
    return LM_DONE();
}
