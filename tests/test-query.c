/*
 * Tests for nlp/lm_query's model loading: the analyzer opens with the
 * lexicon only and loads the tagger on the first query that needs it — a
 * short query spelled entirely in lexicon names never does — and a
 * tagger file that cannot be loaded fails only the queries that need it,
 * with the file named.  Uses the committed models (models/).
 */
#include "../nlp/lm_query.h"
#include "lm_test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LEXICON "models/lexicon.bin"
#define TAGGER "models/ner.bin"

/* Analyzes text; returns the concept ids joined by ' ' into buf, or the
 * error message prefixed with "error: ". */
static lm_status analyze(lm_query_analyzer *an, const char *text, char *buf, size_t cap)
{
    lm_query_analysis q;
    lm_query_analysis_init(&q);
    lm_error err = {0};
    lm_query_analyze_options o = {0};
    lm_status st = lm_query_analyze(an, text, &o, &q, &err);
    buf[0] = '\0';
    if (st != LM_OK) {
        snprintf(buf, cap, "error: %s", err.msg);
    } else {
        size_t off = 0;
        for (size_t i = 0; i < q.concepts.n && off < cap; i++)
            off += (size_t)snprintf(buf + off, cap - off, "%s%s", i ? " " : "",
                                    q.concepts.v[i].id);
    }
    lm_query_analysis_free(&q);
    return st;
}

static lm_query_analyzer *open_analyzer(const char *ner)
{
    lm_query_analyzer_config c = {LEXICON, ner};
    lm_query_analyzer *an = NULL;
    lm_error err = {0};
    LM_CHECK(lm_query_analyzer_open(&c, &an, &err) == LM_OK);
    return an;
}

static void test_lazy_tagger(void)
{
    if (access(LEXICON, R_OK) != 0 || access(TAGGER, R_OK) != 0)
        LM_SKIP("no committed models");
    lm_query_analyzer *an = open_analyzer(TAGGER);
    if (!an)
        return;
    char got[512];
    LM_CHECK_INT(lm_query_analyzer_tagger_loaded(an), 0);
    /* every content word inside a lexicon name: the lexicon alone */
    LM_CHECK(analyze(an, "breast cancer", got, sizeof got) == LM_OK);
    LM_CHECK_STR(got, "MESH:D001943");
    LM_CHECK(analyze(an, "the Breast Cancers and cisplatin", got, sizeof got) == LM_OK);
    LM_CHECK_STR(got, "MESH:D001943 MESH:D002945");
    LM_CHECK_INT(lm_query_analyzer_tagger_loaded(an), 0);
    /* a word no name covers: the tagger is loaded, and reads the query */
    LM_CHECK(analyze(an, "cisplatin induced nephrotoxicity in rats", got, sizeof got) == LM_OK);
    LM_CHECK(strstr(got, "MESH:D002945") != NULL);
    LM_CHECK_INT(lm_query_analyzer_tagger_loaded(an), 1);
    lm_query_analyzer_close(an);

    /* a long claim needs the tagger whatever the lexicon knows */
    an = open_analyzer(TAGGER);
    if (!an)
        return;
    LM_CHECK(analyze(an, "Cisplatin causes nephrotoxicity and hearing loss in children treated "
                         "for cancer",
                     got, sizeof got) == LM_OK);
    LM_CHECK(strstr(got, "MESH:D002945") != NULL);
    LM_CHECK_INT(lm_query_analyzer_tagger_loaded(an), 1);
    lm_query_analyzer_close(an);
}

static void test_bad_tagger(void)
{
    if (access(LEXICON, R_OK) != 0)
        LM_SKIP("no committed lexicon");
    char bad[512];
    snprintf(bad, sizeof bad, "%s/ner.bin", lm_test_tmpdir());
    FILE *f = fopen(bad, "wb");
    if (f) {
        fputs("LMNER\0\0\0 truncated", f);
        fclose(f);
    }
    lm_query_analyzer *an = open_analyzer(bad);
    if (!an)
        return;
    char got[512];
    /* queries that need no tagger work */
    LM_CHECK(analyze(an, "breast cancer", got, sizeof got) == LM_OK);
    LM_CHECK_STR(got, "MESH:D001943");
    /* one that needs it fails, naming the file, and again the next time */
    for (int i = 0; i < 2; i++) {
        LM_CHECK(analyze(an, "cisplatin induced nephrotoxicity in rats", got, sizeof got) !=
                 LM_OK);
        LM_CHECK(strstr(got, bad) != NULL);
        LM_CHECK_INT(lm_query_analyzer_tagger_loaded(an), 0);
    }
    lm_query_analyzer_close(an);
}

int main(void)
{
    lm_test_private_model_cache();
    LM_RUN(test_lazy_tagger);
    LM_RUN(test_bad_tagger);
    return LM_DONE();
}
