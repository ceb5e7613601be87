/*
 * Tests for the document-level post-processing of NER mentions
 * (nlp/lm_ner_post.c): given a document and the taggers' mentions, the
 * pass must type abbreviations like their long forms, drop abbreviations
 * whose long form carries no mention, tag recurrences of a mention's words
 * (whole tokens, never over a mention of the same type), leave genes
 * alone, give what it adds the score of what it copied, and do nothing for
 * models trained without it.  Before those steps it repairs single
 * mentions: enzymes and macromolecules are no chemicals, drug development codes are, salt
 * names join their chemical, a bracketed word after a chemical is its
 * abbreviation, brackets balance, a chemical in a bracket after a word is
 * its argument, and Disease mentions grow to the MeSH disease name around them,
 * to an anatomy name before them and to adjectives coordinated with theirs.
 */
#include "../nlp/lm_ner_impl.h"
#include "../nlp/lm_sentence.h"
#include "lm_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Mentions given as "word/Type" over the first occurrence of each word in
 * text, run through the pass of a model emitting the first n_types of
 * Chemical, Disease with the gazetteer gaz ("lexicon:entry" strings, NULL
 * or NULL-terminated); the result is described the same way. */
static void post_with(unsigned flags, int n_types, const char *const *gaz, const char *text,
                      const char *const *in, size_t n_in, char *buf, size_t cap)
{
    buf[0] = '\0';
    lm_error err;
    lm_ner_model *m = NULL;
    lm_ner_scratch *s = NULL;
    lm_spans tok, sen, gtok;
    lm_spans_init(&tok);
    lm_spans_init(&sen);
    lm_spans_init(&gtok);
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
    static const lm_ent_type types[] = {LM_ENT_CHEMICAL, LM_ENT_DISEASE};
    if (ner_tagger_add(m, "t", types + 2 - n_types, n_types, 8, 8, &err) != LM_OK) {
        snprintf(buf, cap, "tagger: %s", err.msg);
        goto done;
    }
    m->tg[0].emit = 1;
    for (size_t i = 0; gaz && gaz[i]; i++) {
        const char *colon = strchr(gaz[i], ':');
        int lex = 0;
        while (lex < m->n_lex && strncmp(m->lex_name[lex], gaz[i], (size_t)(colon - gaz[i])))
            lex++;
        if (lex == m->n_lex)
            snprintf(m->lex_name[m->n_lex++], sizeof m->lex_name[0], "%.*s",
                     (int)(colon - gaz[i]), gaz[i]);
        if (ner_gaz_add(m, lex, colon + 1, strlen(colon + 1), &gtok, &err) != LM_OK) {
            snprintf(buf, cap, "gazetteer: %s", err.msg);
            goto done;
        }
    }
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
    /* the definitions the pass found itself, for normalisation */
    for (size_t i = 0; i < out.abbrevs.n && off < cap; i++) {
        const lm_abbrev *a = &out.abbrevs.v[i];
        int k = snprintf(buf + off, cap - off, " [%.*s=%.*s]",
                         (int)(a->short_end - a->short_start), text + a->short_start,
                         (int)(a->long_end - a->long_start), text + a->long_start);
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
    lm_spans_free(&gtok);
    lm_ner_scratch_free(s);
    lm_ner_model_free(m);
}

static void post(unsigned flags, const char *text, const char *const *in, size_t n_in,
                 char *buf, size_t cap)
{
    post_with(flags, 2, NULL, text, in, n_in, buf, cap);
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

/* BC5CDR annotates no enzyme as a chemical; the abbreviation of one goes
 * with it. */
static void test_enzyme_not_chemical(void)
{
    char buf[512];
    const char *text = "Urinary N-acetyl-beta-D-glucosaminidase (NAG) rose after cisplatin. "
                       "NAG and Na-K-ATPases fell; a Schiff base formed.";
    const char *in[] = {"N-acetyl-beta-D-glucosaminidase/Chemical", "NAG/Chemical",
                        "cisplatin/Chemical", "Na-K-ATPases/Chemical", "Schiff base/Chemical"};
    post(ON, text, in, 5, buf, sizeof buf);
    LM_CHECK_STR(buf, "cisplatin/Chemical Schiff base/Chemical");
}

/* Nor a macromolecule; the abbreviation of one goes with it. */
static void test_macromolecule_not_chemical(void)
{
    char buf[512];
    const char *text = "Parathyroid hormone (PTH) and c-fos mRNA rose; PTH and dopamine "
                       "receptors fell, unlike dopamine and hormonal salts.";
    const char *in[] = {"Parathyroid hormone/Chemical", "PTH/Chemical", "c-fos mRNA/Chemical",
                        "dopamine receptors/Chemical", "dopamine/Chemical",
                        "hormonal salts/Chemical"};
    post(ON, text, in, 6, buf, sizeof buf);
    LM_CHECK_STR(buf, "dopamine/Chemical dopamine/Chemical hormonal salts/Chemical");
}

static void test_development_codes(void)
{
    char buf[512];
    const char *text = "KF17837, A-86929 and CB 3717 were given; MIM 208900, D2267, "
                       "HSP70, A1234, SKF-82958X and BRCA12345-like were not.";
    post(ON, text, NULL, 0, buf, sizeof buf);
    LM_CHECK_STR(buf, "KF17837/Chemical A-86929/Chemical CB 3717/Chemical (score 0.95)");
    /* not over a mention, and not by a model without chemicals */
    const char *in[] = {"CB 3717 polyglutamates/Disease"};
    post(ON, "Then CB 3717 polyglutamates formed.", in, 1, buf, sizeof buf);
    LM_CHECK_STR(buf, "CB 3717 polyglutamates/Disease");
    post_with(ON, 1, NULL, text, NULL, 0, buf, sizeof buf);
    LM_CHECK_STR(buf, "");
    /* a mixed-case prefix before digits, a hyphen and 4-5 digits; numbers
     * written with a thousands separator */
    const char *text2 = "Ro15-1788, Ro 40-5967, SR 48,968, GYKI-41 099 and L-365,260 were "
                        "given; AVAQ 594-597, Ro15-178, Abbott-53693, AT 250 mg, SR 48,9680, "
                        "FOXP3-3279 and Table 1-2345x were not.";
    post(ON, text2, NULL, 0, buf, sizeof buf);
    LM_CHECK_STR(buf, "Ro15-1788/Chemical Ro 40-5967/Chemical SR 48,968/Chemical "
                      "GYKI-41 099/Chemical L-365,260/Chemical (score 0.95)");
}

/* Repairs of single Chemical mentions, one case a row: a salt name after
 * a chemical joins its mention, "sulfate" does not (as often outside
 * BC5CDR's mentions as inside); a bracketed word after a chemical is its
 * abbreviation even when its letters do not spell the long form, and its
 * uses follow, unless it is one letter, a sequence variant or the bracket
 * touches the word before; a chemical filling a bracket that touches the word before it is
 * that word's argument, even inside a gene's name, not when a word
 * follows the bracket or a space separates it; none of these takes a word
 * another mention holds. */
static void test_chemical_repairs(void)
{
    static const struct {
        const char *text, *in[4], *want;
    } cases[] = {
        {"Bupropion HCl, fluphenazine enanthate and morphine sulfate. "
         "Then haloperidol.\nHydrochloride was not.",
         {"Bupropion/Chemical", "fluphenazine/Chemical", "morphine/Chemical",
          "haloperidol/Chemical"},
         "Bupropion HCl/Chemical fluphenazine enanthate/Chemical morphine/Chemical "
         "haloperidol/Chemical"},
        {"Ammonium acetate (NH4Ac) and doxorubicin (A) were given, and "
         "gamma-aminobutyric acid(XY2) and Trp (R1306W). NH4Ac had no effect in a rat.",
         {"Ammonium acetate/Chemical", "doxorubicin/Chemical",
          "gamma-aminobutyric acid/Chemical", "Trp/Chemical"},
         "Ammonium acetate/Chemical NH4Ac/Chemical doxorubicin/Chemical "
         "gamma-aminobutyric acid/Chemical Trp/Chemical NH4Ac/Chemical"
         " [NH4Ac=Ammonium acetate]"},
        {"Both poly(ADP-ribose) polymerase and GABA(NaCl)R and saline (KCl) rose.",
         {"ADP-ribose/Chemical", "ADP-ribose) polymerase/Gene", "NaCl/Chemical",
          "KCl/Chemical"},
         "poly(ADP-ribose)/Chemical ADP-ribose) polymerase/Gene NaCl/Chemical KCl/Chemical"},
        {"Bupropion HCl was given.", {"Bupropion/Chemical", "HCl/Disease"},
         "Bupropion/Chemical HCl/Disease"},
        {"Ammonium acetate (NH4Ac) was given.", {"Ammonium acetate/Chemical", "NH4Ac/Disease"},
         "Ammonium acetate/Chemical NH4Ac/Disease"},
    };
    char buf[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = 0;
        while (n < 4 && cases[i].in[n])
            n++;
        post(ON, cases[i].text, cases[i].in, n, buf, sizeof buf);
        LM_CHECK_STR(buf, cases[i].want);
    }
}

static void test_brackets_balanced(void)
{
    char buf[512];
    const char *text = "Both (2R,4R)-4-aminopyrrolidine and SKF (6-chloro-benzazepine) "
                       "and valproate (VPA ) were given.";
    const char *in[] = {"2R,4R)-4-aminopyrrolidine/Chemical", "SKF (6-chloro-benzazepine/Chemical",
                        "valproate (VPA/Chemical"};
    post(ON, text, in, 3, buf, sizeof buf);
    /* the bracket must touch the mention */
    LM_CHECK_STR(buf, "(2R,4R)-4-aminopyrrolidine/Chemical SKF (6-chloro-benzazepine)/Chemical "
                      "valproate (VPA/Chemical");
}

static const char *const mesh[] = {
    "mesh-C:migraine with aura", "mesh-C:malignant hyperthermia",
    "mesh-C:cardiomyopathy, congestive", "mesh-C:lithium toxicity",
    "mesh-A:coronary artery", "mesh-A:sphincter of oddi", "mesh-A:liver", NULL};

static void test_mesh_disease_bounds(void)
{
    char buf[512];
    const char *text = "Migraine with aura and malignant hyperthermia; cardiomyopathy, "
                       "congestive; lithium toxicity.";
    const char *in[] = {"Migraine/Disease", "aura/Disease", "hyperthermia/Disease",
                        "cardiomyopathy/Disease", "lithium/Chemical", "toxicity/Disease"};
    post_with(ON, 2, mesh, text, in, 6, buf, sizeof buf);
    /* two mentions inside a name become one; never across a comma or a
     * mention of another type */
    LM_CHECK_STR(buf, "Migraine with aura/Disease malignant hyperthermia/Disease "
                      "cardiomyopathy/Disease lithium/Chemical toxicity/Disease");
}

static void test_anatomy_modifier(void)
{
    char buf[512];
    const char *text = "Coronary artery spasm, sphincter of Oddi dysfunction, liver "
                       "necrosis and severe pain.";
    const char *in[] = {"spasm/Disease", "dysfunction/Disease", "liver/Chemical",
                        "necrosis/Disease", "pain/Disease"};
    post_with(ON, 2, mesh, text, in, 5, buf, sizeof buf);
    LM_CHECK_STR(buf, "Coronary artery spasm/Disease sphincter of Oddi dysfunction/Disease "
                      "liver/Chemical necrosis/Disease pain/Disease");
}

static void test_coordinated_adjectives(void)
{
    char buf[512];
    const char *text = "Acute and chronic pain, haematological, renal and hepatic toxicity, "
                       "rats and renal failure, and acute or fever.";
    const char *in[] = {"chronic pain/Disease", "hepatic toxicity/Disease",
                        "renal failure/Disease", "fever/Disease"};
    post(ON, text, in, 4, buf, sizeof buf);
    LM_CHECK_STR(buf, "Acute and chronic pain/Disease haematological, renal and hepatic "
                      "toxicity/Disease renal failure/Disease fever/Disease");
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
    LM_RUN(test_enzyme_not_chemical);
    LM_RUN(test_macromolecule_not_chemical);
    LM_RUN(test_development_codes);
    LM_RUN(test_chemical_repairs);
    LM_RUN(test_brackets_balanced);
    LM_RUN(test_mesh_disease_bounds);
    LM_RUN(test_anatomy_modifier);
    LM_RUN(test_coordinated_adjectives);
    LM_RUN(test_off_without_flag);
    return LM_DONE();
}
