/*
 * Tests for the document-level post-processing of NER mentions
 * (nlp/lm_ner_post.c): given a document and the taggers' mentions, the
 * pass must type abbreviations like their long forms, drop abbreviations
 * whose long form carries no mention, tag recurrences of a mention's words
 * (whole tokens, never over a mention of the same type), leave genes
 * alone, give what it adds the score of what it copied, and do nothing for
 * models trained without it.
 */
#include "../nlp/lm_ner_impl.h"
#include "../nlp/lm_sentence.h"
#include "lm_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Mentions given as "word/Type" over the first occurrence of each word in
 * text, run through the pass; the result is described the same way. */
static void post(unsigned flags, const char *text, const char *const *in, size_t n_in,
                 char *buf, size_t cap)
{
    buf[0] = '\0';
    lm_error err;
    lm_ner_model *m = NULL;
    lm_ner_scratch *s = NULL;
    lm_spans tok, sen;
    lm_spans_init(&tok);
    lm_spans_init(&sen);
    lm_ner_mentions out;
    lm_ner_mentions_init(&out);
    size_t len = strlen(text);
    uint32_t sent[16];
    size_t ns = 0;
    if (ner_model_new(&m, &err) != LM_OK || lm_ner_scratch_init(&s, &err) != LM_OK
        || lm_token_split(text, len, &tok, &err) != LM_OK
        || lm_sentence_split(text, len, &sen, &err) != LM_OK) {
        snprintf(buf, cap, "setup failed");
        goto done;
    }
    m->feat_flags = flags;
    for (size_t i = 0, t = 0; i < sen.n && ns < 16; i++) {
        while (t < tok.n && tok.v[t].start < sen.v[i].start)
            t++;
        sent[ns++] = (uint32_t)t;
    }
    if (ner_doc_prepare(m, s, text, len, tok.v, tok.n, sent, ns, &err) != LM_OK) {
        snprintf(buf, cap, "prepare: %s", err.msg);
        goto done;
    }
    for (size_t i = 0; i < n_in; i++) {
        const char *slash = strrchr(in[i], '/');
        char word[64];
        snprintf(word, sizeof word, "%.*s", (int)(slash - in[i]), in[i]);
        const char *p = strstr(text, word);
        if (!p || out.n == 8)
            continue;
        if (!out.v) {
            out.v = calloc(8, sizeof *out.v);
            out.cap = out.v ? 8 : 0;
        }
        if (!out.v)
            break;
        out.v[out.n].start = (uint32_t)(p - text);
        out.v[out.n].end = (uint32_t)(p - text + strlen(word));
        out.v[out.n].type = lm_ent_type_parse(slash + 1);
        out.v[out.n].score = 0.9f;
        out.n++;
    }
    /* the pass expects mentions sorted by start, as lm_ner_tag gives them */
    for (size_t i = 1; i < out.n; i++)
        for (size_t j = i; j > 0 && out.v[j].start < out.v[j - 1].start; j--) {
            lm_ner_mention x = out.v[j];
            out.v[j] = out.v[j - 1];
            out.v[j - 1] = x;
        }
    if (ner_doc_post(m, s, &out, &err) != LM_OK) {
        snprintf(buf, cap, "post: %s", err.msg);
        goto done;
    }
    size_t off = 0;
    for (size_t i = 0; i < out.n && off < cap; i++) {
        int k = snprintf(buf + off, cap - off, "%s%.*s/%s", i ? " " : "",
                         (int)(out.v[i].end - out.v[i].start), text + out.v[i].start,
                         lm_ent_type_name(out.v[i].type));
        if (k < 0)
            break;
        off += (size_t)k;
    }
    /* a mention copied from another carries its score */
    for (size_t i = 0; i < out.n && off < cap; i++)
        if (fabsf(out.v[i].score - 0.9f) > 1e-4f) {
            snprintf(buf + off, cap - off, " (score %.2f)", (double)out.v[i].score);
            break;
        }
done:
    lm_ner_mentions_free(&out);
    lm_spans_free(&tok);
    lm_spans_free(&sen);
    lm_ner_scratch_free(s);
    lm_ner_model_free(m);
}

#define ON (NER_F_ABBR | NER_F_POST)

static void test_abbreviation_takes_long_form_type(void)
{
    char buf[512];
    const char *text = "Acute renal failure (ARF) followed cisplatin. ARF resolved.";
    const char *in[] = {"Acute renal failure/Disease", "cisplatin/Chemical"};
    post(ON, text, in, 2, buf, sizeof buf);
    LM_CHECK_STR(buf, "Acute renal failure/Disease ARF/Disease cisplatin/Chemical ARF/Disease");
}

static void test_abbreviation_without_long_form_dropped(void)
{
    char buf[512];
    const char *text = "Two contrast media (CM) were compared in patients with asthma.";
    const char *in[] = {"CM/Disease", "asthma/Disease"};
    post(ON, text, in, 2, buf, sizeof buf);
    LM_CHECK_STR(buf, "asthma/Disease");
    /* A use before the definition goes too, and is not copied back. */
    const char *text2 = "CM were given. Two contrast media (CM) were compared. CM helped.";
    const char *in2[] = {"CM/Disease"};
    post(ON, text2, in2, 1, buf, sizeof buf);
    LM_CHECK_STR(buf, "");
}

/* A disease's words that begin a gene's name name the gene. */
static void test_disease_inside_gene_name(void)
{
    char buf[512];
    const char *text = "Certolizumab, a tumour necrosis factor inhibitor, eased the tumour.";
    const char *in[] = {"tumour necrosis factor inhibitor/Gene", "tumour necrosis/Disease",
                        "Certolizumab/Chemical"};
    post(ON, text, in, 3, buf, sizeof buf);
    LM_CHECK_STR(buf, "Certolizumab/Chemical tumour necrosis factor inhibitor/Gene");
    /* the same span as a gene, or a disease the gene does not begin with,
     * stays */
    const char *text2 = "Insulin resistance and insulin receptor variants in diabetes.";
    const char *in2[] = {"Insulin resistance/Disease", "Insulin resistance/Gene",
                         "diabetes/Disease"};
    post(ON, text2, in2, 3, buf, sizeof buf);
    LM_CHECK_STR(buf, "Insulin resistance/Disease Insulin resistance/Gene diabetes/Disease");
}

static void test_unicode_separators(void)
{
    char buf[512];
    /* An en dash or a no-break space separates words like '-' and ' '. */
    const char *text = "Cocaine toxicity. Then cocaine\xe2\x80\x93" "induced and "
                       "cocaine\xc2\xa0" "again.";
    const char *in[] = {"Cocaine/Chemical"};
    post(ON, text, in, 1, buf, sizeof buf);
    LM_CHECK_STR(buf, "Cocaine/Chemical cocaine/Chemical cocaine/Chemical");
}

static void test_recurrences(void)
{
    char buf[512];
    /* lower-case match, whole words only, not inside a longer mention */
    const char *text = "Seizures followed. Later seizures and seizuresX recurred, "
                       "unlike febrile seizures.";
    const char *in[] = {"Seizures/Disease", "febrile seizures/Disease"};
    post(ON, text, in, 2, buf, sizeof buf);
    LM_CHECK_STR(buf, "Seizures/Disease seizures/Disease febrile seizures/Disease");
    /* a Chemical span is no obstacle to a Disease one, genes are untouched */
    const char *text2 = "TNF rose. Lithium toxicity: TNF and lithium toxicity again.";
    const char *in2[] = {"TNF/Gene", "Lithium toxicity/Disease", "Lithium/Chemical"};
    post(ON, text2, in2, 3, buf, sizeof buf);
    LM_CHECK_STR(buf, "TNF/Gene Lithium/Chemical Lithium toxicity/Disease lithium/Chemical "
                      "lithium toxicity/Disease");
}

static void test_off_without_flag(void)
{
    char buf[512];
    const char *text = "Acute renal failure (ARF) followed. ARF resolved.";
    const char *in[] = {"Acute renal failure/Disease"};
    post(NER_F_ABBR, text, in, 1, buf, sizeof buf);
    LM_CHECK_STR(buf, "Acute renal failure/Disease");
    post(ON, "", in, 0, buf, sizeof buf);
    LM_CHECK_STR(buf, "");
}

int main(void)
{
    LM_RUN(test_abbreviation_takes_long_form_type);
    LM_RUN(test_abbreviation_without_long_form_dropped);
    LM_RUN(test_recurrences);
    LM_RUN(test_unicode_separators);
    LM_RUN(test_disease_inside_gene_name);
    LM_RUN(test_off_without_flag);
    return LM_DONE();
}
