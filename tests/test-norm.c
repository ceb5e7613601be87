/*
 * Tests of normalization in a document as `eval norm` measures it: gold
 * spans through lm_pairs_renormalize, which hands them to the ner stage's
 * normalization (lm_pairs_doc_add_ner) with the abbreviation definitions
 * the tagger would give, and that normalization on the tagger's own
 * mentions.  Known answers on hand-made abstracts and a hand-made
 * lexicon: each case fails without the rule it names.
 */
#include "../nlp/lm_lexicon.h"
#include "../nlp/lm_pairs.h"
#include "../nlp/lm_pubtator.h"
#include "lm_test.h"

#include <stdlib.h>
#include <string.h>

static lm_lexicon *small_lexicon(void)
{
    static const char *const names[][2] = {
        {"MESH:D007545", "isoproterenol"},
        {"MESH:D006852", "hydrochlorothiazide"},
        {"MESH:D011453", "prostaglandin"},
        {"MESH:D015232", "prostaglandin e2"},
        {"MESH:D010400", "pg"},   /* penicillin G's abbreviation */
        {"MESH:D000001", "isph"},
    };
    lm_lexicon_builder *b = NULL;
    lm_lexicon *lex = NULL;
    lm_error err;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    for (size_t i = 0; b && i < sizeof names / sizeof names[0]; i++)
        LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_CHEMICAL, names[i][0], names[i][1],
                                        strlen(names[i][1]), 0, LM_LEX_SCORE_NAME, 1,
                                        &err) == LM_OK);
    if (b) {
        LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
        lm_lexicon_builder_free(b);
    }
    return lex;
}

/* A one-sentence title-less document with Chemical mentions at the first
 * occurrence of each of words[] (from the position after the previous). */
static void make_doc(lm_pt_doc *d, const char *abstract, const char *const *words, size_t n)
{
    lm_pt_doc_init(d);
    d->pmid = strdup("1");
    d->title = strdup("");
    d->abstract = strdup(abstract);
    size_t tl = strlen(abstract) + 2;
    d->text = malloc(tl);
    snprintf(d->text, tl, " %s", abstract);
    d->mentions = calloc(n, sizeof *d->mentions);
    const char *from = d->text;
    for (size_t i = 0; i < n; i++) {
        const char *at = strstr(from, words[i]);
        LM_CHECK(at != NULL);
        if (!at)
            break;
        lm_pt_mention *m = &d->mentions[d->n_mentions++];
        m->start = (int)(at - d->text);
        m->end = m->start + (int)strlen(words[i]);
        m->text = strdup(words[i]);
        m->type = strdup("Chemical");
        m->id = strdup("-1");
        from = at + strlen(words[i]);
    }
}

/* The id normalization gives the k-th gold mention. */
static const char *id_of(const lm_pt_doc *norm, const lm_pt_doc *gold, size_t k)
{
    for (size_t i = 0; i < norm->n_mentions; i++)
        if (norm->mentions[i].start == gold->mentions[k].start &&
            norm->mentions[i].end == gold->mentions[k].end)
            return norm->mentions[i].id;
    return "(none)";
}

/* A bracketed word after a chemical is its short form, as the tagger
 * reads it, though its letters do not match the long form's: ISPH is
 * isoproterenol here, not what the lexicon says of "ISPH" alone. */
static void test_bracketed_short_form(void)
{
    lm_lexicon *lex = small_lexicon();
    if (!lex)
        return;
    static const char *const words[] = {"isoproterenol", "ISPH", "ISPH", "hydrochlorothiazide",
                                        "HCTC", "HCTC"};
    lm_pt_doc gold, norm;
    make_doc(&gold,
             "Rats given isoproterenol (ISPH) developed lesions. After ISPH, treatment with "
             "hydrochlorothiazide (HCTC) followed; HCTC lowered pressure.",
             words, 6);
    lm_error err;
    LM_CHECK(lm_pairs_renormalize(&gold, lex, NULL, &norm, &err) == LM_OK);
    for (size_t k = 0; k < 3; k++)
        LM_CHECK_STR(id_of(&norm, &gold, k), "MESH:D007545");
    for (size_t k = 3; k < 6; k++)
        LM_CHECK_STR(id_of(&norm, &gold, k), "MESH:D006852");
    lm_pt_doc_free(&norm);
    lm_pt_doc_free(&gold);
    lm_lexicon_free(lex);
}

/* A mention spelling its abbreviation out inside it, "prostaglandin (PG)
 * E2": the later uses of PG are prostaglandin, not penicillin G. */
static void test_definition_inside_mention(void)
{
    lm_lexicon *lex = small_lexicon();
    if (!lex)
        return;
    static const char *const words[] = {"prostaglandin (PG) E2", "PG"};
    lm_pt_doc gold, norm;
    make_doc(&gold, "Instilled prostaglandin (PG) E2 facilitated micturition, so the PG acted.",
             words, 2);
    lm_error err;
    LM_CHECK(lm_pairs_renormalize(&gold, lex, NULL, &norm, &err) == LM_OK);
    LM_CHECK_STR(id_of(&norm, &gold, 0), "MESH:D015232");
    LM_CHECK_STR(id_of(&norm, &gold, 1), "MESH:D011453");
    lm_pt_doc_free(&norm);
    lm_pt_doc_free(&gold);
    lm_lexicon_free(lex);
}

/* A definition spelled out inside a Disease mention names its site, agent
 * or gene, not a disease: "gastrointestinal (GI) tolerability" and
 * "hepatitis B virus (HBV) infection" leave the later GI and HBV untagged,
 * as BC5CDR annotates them (the tagger's path, lm_pairs_doc_add_ner). */
static void test_definition_inside_disease(void)
{
    const char *text = "Good gastrointestinal (GI) tolerability and hepatitis B virus (HBV) "
                       "infection were seen. GI events and HBV loads fell.";
    lm_doc doc;
    lm_doc_init(&doc);
    lm_error err;
    LM_CHECK(lm_doc_set_text(&doc, text, NULL, &err) == LM_OK);
    doc.text_len = strlen(text);
    lm_ner_mentions ner;
    lm_ner_mentions_init(&ner);
    lm_ner_mention items[] = {{5, 39, LM_ENT_DISEASE, 0.9f}, {44, 77, LM_ENT_DISEASE, 0.9f}};
    LM_CHECK(strncmp(text + 5, "gastrointestinal (GI) tolerability", 34) == 0);
    LM_CHECK(strncmp(text + 44, "hepatitis B virus (HBV) infection", 33) == 0);
    ner.v = items;
    ner.n = ner.cap = 2;
    LM_CHECK(lm_pairs_doc_add_ner(&doc, &ner, NULL, "MESH:", &err) == LM_OK);
    LM_CHECK_INT(doc.n_mentions, 2);
    for (size_t i = 0; i < doc.n_mentions; i++)
        LM_CHECK(doc.mentions[i].end - doc.mentions[i].start > 3);
    lm_doc_free(&doc);
}

int main(void)
{
    LM_RUN(test_bracketed_short_form);
    LM_RUN(test_definition_inside_mention);
    LM_RUN(test_definition_inside_disease);
    return LM_DONE();
}
