/*
 * Tests for nlp/lm_ner_encoder: the mapping of a fine-tune's entity labels
 * to litmine's types, and tagging with the token-classification fixtures
 * (tests/fixtures/encoder/): mentions are the encoder's, typed, trimmed
 * and sorted; a model with other label spellings gives the same mentions;
 * models without a token head or without a mappable type are refused.
 */
#include "../nlp/lm_ner_encoder.h"
#include "lm_test.h"

#include <stdlib.h>
#include <string.h>

static void test_label_types(void)
{
    static const struct {
        const char *label;
        lm_ent_type type;
    } cases[] = {
        {"B-Chemical", LM_ENT_CHEMICAL},
        {"I-Chemical", LM_ENT_CHEMICAL},
        {"B-chem", LM_ENT_CHEMICAL},
        {"b-Chem", LM_ENT_CHEMICAL},
        {"U-Drug", LM_ENT_CHEMICAL},
        {"B-ChemicalEntity", LM_ENT_CHEMICAL},
        {"S-Simple_chemical", LM_ENT_CHEMICAL},
        {"Chemical", LM_ENT_CHEMICAL},
        {"B-DISEASE", LM_ENT_DISEASE},
        {"I-Disease", LM_ENT_DISEASE},
        {"L-SpecificDisease", LM_ENT_DISEASE},
        {"B-DiseaseOrPhenotypicFeature", LM_ENT_DISEASE},
        {"E-disease", LM_ENT_DISEASE},
        {"B_Disease", LM_ENT_DISEASE},
        {"B-Gene_or_gene_product", LM_ENT_GENE},
        {"I-GENE", LM_ENT_GENE},
        {"B-GeneOrGeneProduct", LM_ENT_GENE},
        {"B-protein", LM_ENT_GENE},
        {"I-GENE-N", LM_ENT_GENE},
        {"B-Species", LM_ENT_NONE},
        {"B-CellLine", LM_ENT_NONE},
        {"B-Cell_type", LM_ENT_NONE},
        {"B-Variant", LM_ENT_NONE},
        {"O", LM_ENT_NONE},
        {"", LM_ENT_NONE},
        {"B-", LM_ENT_NONE},
        {"LABEL_1", LM_ENT_NONE},
        {"B-chemicalchemicalchemicalchemicalchemicalchemicalchemicalchemicalchemical",
         LM_ENT_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lm_ent_type got = lm_ner_encoder_label_type(cases[i].label);
        if (got != cases[i].type)
            fprintf(stderr, "  label %s: got %d, want %d\n", cases[i].label, got, cases[i].type);
        LM_CHECK(got == cases[i].type);
    }
    LM_CHECK(lm_ner_encoder_label_type(NULL) == LM_ENT_NONE);
}

static const char text[] =
    "Naloxone reverses the antihypertensive effect of clonidine in rats with "
    "cisplatin-induced nephrotoxicity.  Metformin lowered HbA1c in type 2 diabetes.";

static void tag_with(const char *dir, lm_ner_mentions *out)
{
    lm_ner_encoder *m = NULL;
    lm_ner_encoder_scratch *s = NULL;
    lm_error err = {0};
    LM_CHECK(lm_ner_encoder_open(&m, dir, NULL, NULL, &err) == LM_OK);
    if (!m) {
        fprintf(stderr, "  %s: %s\n", dir, err.msg);
        return;
    }
    LM_CHECK(lm_ner_encoder_types(m) ==
             (LM_ENT_BIT(LM_ENT_CHEMICAL) | LM_ENT_BIT(LM_ENT_DISEASE)));
    LM_CHECK(lm_ner_encoder_scratch_init(m, &s, &err) == LM_OK);
    LM_CHECK(lm_ner_encoder_tag(m, s, text, strlen(text), out, &err) == LM_OK);
    lm_ner_encoder_scratch_free(s);
    lm_ner_encoder_free(m);
}

static void check_mentions(const lm_ner_mentions *ms)
{
    LM_CHECK(ms->n > 0);
    for (size_t i = 0; i < ms->n; i++) {
        const lm_ner_mention *x = &ms->v[i];
        LM_CHECK(x->start < x->end && x->end <= strlen(text));
        LM_CHECK(x->type == LM_ENT_CHEMICAL || x->type == LM_ENT_DISEASE);
        LM_CHECK(text[x->start] != ' ' && text[x->end - 1] != ' ');
        LM_CHECK(x->score > 0 && x->score <= 1);
        if (i)
            LM_CHECK(ms->v[i - 1].end <= x->start);
    }
}

static void test_tag_fixtures(void)
{
    const char *dirs[] = {"tests/fixtures/encoder/bert-uncased-ner",
                          "tests/fixtures/encoder/roberta-ner-f16"};
    for (size_t d = 0; d < 2; d++) {
        lm_ner_mentions ms;
        lm_ner_mentions_init(&ms);
        tag_with(dirs[d], &ms);
        check_mentions(&ms);
        lm_ner_mentions_free(&ms);
    }
}

/* A copy of the bert-uncased-ner fixture (cp -R) whose config.json has
 * every `from[i]` replaced by `to[i]`. */
static const char *relabelled(const char *tag, const char *const *from, const char *const *to,
                              size_t n)
{
    static char dir[512];
    static char cfg[65536], out[70000];
    char cmd[1200], path[700];
    snprintf(dir, sizeof dir, "%s/%s", lm_test_tmpdir(), tag);
    snprintf(cmd, sizeof cmd, "cp -R tests/fixtures/encoder/bert-uncased-ner '%s'", dir);
    if (system(cmd) != 0)
        return NULL;
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "r");
    size_t len = f ? fread(cfg, 1, sizeof cfg - 1, f) : 0;
    if (f)
        fclose(f);
    cfg[len] = '\0';
    size_t o = 0;
    for (const char *p = cfg; *p && o + 64 < sizeof out;) {
        size_t i = 0;
        while (i < n && strncmp(p, from[i], strlen(from[i])) != 0)
            i++;
        if (i < n) {
            o += (size_t)snprintf(out + o, sizeof out - o, "%s", to[i]);
            p += strlen(from[i]);
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(out, f);
    fclose(f);
    return dir;
}

/* The same weights under the spellings other fine-tunes use give the
 * same mentions. */
static void test_label_variants(void)
{
    lm_ner_mentions a, b;
    lm_ner_mentions_init(&a);
    lm_ner_mentions_init(&b);
    tag_with("tests/fixtures/encoder/bert-uncased-ner", &a);
    static const char *const from[] = {"B-Chemical", "I-Chemical", "B-Disease", "I-Disease"};
    static const char *const to[] = {"b-chem", "I-chem", "B-DISEASE", "I-DISEASE"};
    const char *dir = relabelled("variants", from, to, 4);
    LM_CHECK(dir != NULL);
    if (dir)
        tag_with(dir, &b);
    LM_CHECK(a.n == b.n && a.n > 0);
    for (size_t i = 0; i < a.n && i < b.n; i++)
        LM_CHECK(a.v[i].start == b.v[i].start && a.v[i].end == b.v[i].end &&
                 a.v[i].type == b.v[i].type);
    lm_ner_mentions_free(&a);
    lm_ner_mentions_free(&b);
}

static void test_refusals(void)
{
    lm_ner_encoder *m = NULL;
    lm_error err = {0};
    LM_CHECK(lm_ner_encoder_open(&m, "tests/fixtures/encoder/bert-st-bf16", NULL, NULL, &err) ==
             LM_ERR_USAGE);
    LM_CHECK(strstr(err.msg, "not a token-classification model") != NULL);
    LM_CHECK(m == NULL);
    static const char *const from[] = {"Chemical", "Disease"};
    static const char *const to[] = {"Species", "CellLine"};
    const char *dir = relabelled("species", from, to, 2);
    LM_CHECK(dir != NULL);
    LM_CHECK(lm_ner_encoder_open(&m, dir, NULL, NULL, &err) == LM_ERR_USAGE);
    LM_CHECK(strstr(err.msg, "none of the model's entity types") != NULL);
    LM_CHECK(lm_ner_encoder_open(&m, "tests/fixtures/encoder/bert-uncased-ner", "max", NULL, &err) ==
             LM_ERR_USAGE);
    LM_CHECK(lm_ner_encoder_open(&m, "tests/fixtures/encoder/bert-uncased-ner", "simple", NULL, &err) ==
             LM_OK);
    lm_ner_encoder_free(m);
}

int main(void)
{
    LM_RUN(test_label_types);
    LM_RUN(test_tag_fixtures);
    LM_RUN(test_label_variants);
    LM_RUN(test_refusals);
    return LM_DONE();
}
