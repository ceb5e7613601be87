/*
 * Tests for nlp/lm_abbrev: the classic Schwartz & Hearst examples with
 * exact long-form spans, the reversed `SF (long form)` pattern, negative
 * parentheticals (statistics, figure references, plain remarks), several
 * definitions per text, and whole-token propagation of short forms.
 */
#include "lm_test.h"

#include "../nlp/lm_abbrev.h"
#include "../nlp/lm_pubtator.h"
#include "../util/lm_buf.h"
#include "../util/lm_utf8.h"

/* Pairs of s as "SF=LF" joined with " | ". */
static char *pairs(const char *s)
{
    lm_abbrevs a;
    lm_error err;
    lm_buf b;
    lm_abbrevs_init(&a);
    lm_buf_init(&b);
    if (lm_abbrev_detect(s, strlen(s), &a, &err) != LM_OK)
        lm_buf_append_str(&b, "ERROR");
    for (size_t i = 0; i < a.n; i++) {
        if (i)
            lm_buf_append_str(&b, " | ");
        lm_buf_append(&b, s + a.v[i].short_start, a.v[i].short_end - a.v[i].short_start);
        lm_buf_append_char(&b, '=');
        lm_buf_append(&b, s + a.v[i].long_start, a.v[i].long_end - a.v[i].long_start);
    }
    lm_abbrevs_free(&a);
    if (!b.data)
        lm_buf_append(&b, "", 0);
    return lm_buf_take(&b);
}

#define CHECK_PAIRS(in, want)     \
    do {                          \
        char *got_ = pairs(in);   \
        LM_CHECK_STR(got_, want); \
        free(got_);               \
    } while (0)

static void test_classic(void)
{
    CHECK_PAIRS("Levels of heat shock protein (HSP) rose.", "HSP=heat shock protein");
    CHECK_PAIRS("We measured tumor necrosis factor alpha (TNF-alpha) in serum.",
                "TNF-alpha=tumor necrosis factor alpha");
    CHECK_PAIRS("Patients received 5-fluorouracil (5-FU) weekly.", "5-FU=5-fluorouracil");
    CHECK_PAIRS("in patients with obstructive sleep apnea (OSA).", "OSA=obstructive sleep apnea");
    /* the first letter must start a word: not "ynthase" */
    CHECK_PAIRS("Nitric oxide synthase (NOS) is induced.", "NOS=Nitric oxide synthase");
    /* "(SF, remark)" */
    CHECK_PAIRS("Using magnetic resonance imaging (MRI, 3 T) we saw it.",
                "MRI=magnetic resonance imaging");
    /* Greek letters match themselves */
    CHECK_PAIRS("Tumor necrosis factor-\xCE\xB1 (TNF-\xCE\xB1) was high.",
                "TNF-\xCE\xB1=Tumor necrosis factor-\xCE\xB1");
}

/* Short forms followed by a remark or a dose, and one-letter short forms
 * only as the initial of the single word before them. */
static void test_remarks_and_letters(void)
{
    CHECK_PAIRS("Rats received diethylnitrosamine (DEN: 10 mg/kg/day).", "DEN=diethylnitrosamine");
    CHECK_PAIRS("Rats received diethylnitrosamine (DEN; 10 mg/kg/day).", "DEN=diethylnitrosamine");
    CHECK_PAIRS("Pups got parachlorophenylalanine (PCPA 100 mg/kg) daily.",
                "PCPA=parachlorophenylalanine");
    CHECK_PAIRS("Serum testosterone (T) fell.", "T=testosterone");
    /* not the initial, not one word, or a list marker: nothing */
    CHECK_PAIRS("Serum potassium (K) fell.", "");
    CHECK_PAIRS("Serum free testosterone level (T) fell.", "");
    CHECK_PAIRS("Two groups were compared (A) and (B).", "");
    CHECK_PAIRS("The dose was adjusted (a) twice.", "");
}

static void test_reversed(void)
{
    CHECK_PAIRS("Serum TNF (tumor necrosis factor) was high.", "TNF=tumor necrosis factor");
    CHECK_PAIRS("We used 5-FU (5-fluorouracil) here.", "5-FU=5-fluorouracil");
}

static void test_negative(void)
{
    CHECK_PAIRS("The difference was significant (p < 0.05).", "");
    CHECK_PAIRS("Twelve mice were used (n = 12).", "");
    CHECK_PAIRS("The protein was expressed (Fig. 1).", "");
    CHECK_PAIRS("Shown in the overview (Table 2).", "");
    CHECK_PAIRS("This was the case (data not shown) in all.", "");
    CHECK_PAIRS("Weight increased (12%) over time.", "");
    CHECK_PAIRS("Observed in mice (1998).", "");
    /* letters absent from the preceding words */
    CHECK_PAIRS("A novel compound (XQZ) was found.", "");
    /* unbalanced parenthesis */
    CHECK_PAIRS("Heat shock protein (HSP was high.", "");
    /* the long form may not reach into the previous sentence */
    CHECK_PAIRS("Heat shock rose. Protein (HSP) fell.", "");
}

static void test_multiple(void)
{
    const char *s = "Chronic obstructive pulmonary disease (COPD) and heat shock protein (HSP) "
                    "were studied. Serum interleukin-6 (IL-6) rose.";
    CHECK_PAIRS(s, "COPD=Chronic obstructive pulmonary disease | HSP=heat shock protein | "
                   "IL-6=interleukin-6");
    lm_abbrevs a;
    lm_error err;
    lm_abbrevs_init(&a);
    LM_CHECK_INT(lm_abbrev_detect(s, strlen(s), &a, &err), LM_OK);
    LM_CHECK_INT(a.n, 3);
    if (a.n == 3) {
        LM_CHECK_INT(a.v[0].long_start, 0);
        LM_CHECK_INT(a.v[0].long_end, 37);
        LM_CHECK_INT(a.v[0].short_start, 39);
        LM_CHECK_INT(a.v[0].short_end, 43);
    }
    /* reuse replaces */
    LM_CHECK_INT(lm_abbrev_detect("No pairs here.", 14, &a, &err), LM_OK);
    LM_CHECK_INT(a.n, 0);
    lm_abbrevs_free(&a);
}

static void test_uses(void)
{
    const char *s = "Heat shock protein (HSP) levels rose. HSP binds HSP70, HSPs and HSP-1. "
                    "The HSP. Later, heat stress protein (HSP) was redefined; HSP again.";
    lm_abbrevs a;
    lm_abbrev_uses u;
    lm_error err;
    lm_abbrevs_init(&a);
    lm_abbrev_uses_init(&u);
    LM_CHECK_INT(lm_abbrev_detect(s, strlen(s), &a, &err), LM_OK);
    LM_CHECK_INT(a.n, 2);
    LM_CHECK_INT(lm_abbrev_find_uses(s, strlen(s), &a, &u, &err), LM_OK);
    /* "HSP binds", "HSP-1", "The HSP." for the first pair; "HSP again" for
     * the second; never HSP70 / HSPs or the definitions themselves */
    LM_CHECK_INT(u.n, 4);
    const char *want[] = {"HSP binds", "HSP-1", "HSP.", "HSP again"};
    size_t want_pair[] = {0, 0, 0, 1};
    for (size_t i = 0; i < u.n && i < 4; i++) {
        LM_CHECK(strncmp(s + u.v[i].start, want[i], strlen(want[i])) == 0);
        LM_CHECK_INT(u.v[i].end - u.v[i].start, 3);
        LM_CHECK_INT(u.v[i].pair, want_pair[i]);
    }
    for (size_t i = 1; i < u.n; i++)
        LM_CHECK(u.v[i - 1].start < u.v[i].start);
    lm_abbrevs_free(&a);
    LM_CHECK_INT(lm_abbrev_find_uses(s, strlen(s), &a, &u, &err), LM_OK);
    LM_CHECK_INT(u.n, 0);
    lm_abbrev_uses_free(&u);
}

/* A definition found by another rule joins the detector's list in text
 * order, so that later uses of it are found; one at an already defined
 * short form's span changes nothing. */
static void test_add(void)
{
    const char *s = "Heat shock protein (HSP) and ammonium acetate (NH4Ac) and "
                    "interleukin-6 (IL-6). NH4Ac and HSP and IL-6.";
    lm_abbrevs a, c;
    lm_abbrev_uses u;
    lm_error err;
    lm_abbrevs_init(&a);
    lm_abbrevs_init(&c);
    lm_abbrev_uses_init(&u);
    LM_CHECK_INT(lm_abbrev_detect(s, strlen(s), &a, &err), LM_OK);
    LM_CHECK_INT(a.n, 2);   /* the letters of NH4Ac are not those of its long form */
    uint32_t ss = (uint32_t)(strstr(s, "NH4Ac") - s), ls = (uint32_t)(strstr(s, "ammonium") - s);
    LM_CHECK_INT(lm_abbrev_add(&a, ss, ss + 5, ls, ls + 16, &err), LM_OK);
    LM_CHECK_INT(lm_abbrev_add(&a, ss, ss + 5, ls + 9, ls + 16, &err), LM_OK);
    LM_CHECK_INT(a.n, 3);
    if (a.n == 3) {
        LM_CHECK_INT(a.v[1].short_start, ss);
        LM_CHECK_INT(a.v[1].long_start, ls);   /* the first definition stays */
        LM_CHECK(a.v[0].short_start < ss && a.v[2].short_start > ss);
    }
    LM_CHECK_INT(lm_abbrev_find_uses(s, strlen(s), &a, &u, &err), LM_OK);
    LM_CHECK_INT(u.n, 3);
    if (u.n == 3)
        LM_CHECK_INT(u.v[0].pair, 1);   /* "NH4Ac and" */
    LM_CHECK_INT(lm_abbrevs_copy(&c, &a, &err), LM_OK);
    LM_CHECK_INT(c.n, 3);
    LM_CHECK(c.n == 3 && memcmp(c.v, a.v, 3 * sizeof *a.v) == 0);
    lm_abbrev_uses_free(&u);
    lm_abbrevs_free(&a);
    lm_abbrevs_free(&c);
}

/* The tagger's bracketed word after a chemical, for gold spans: a word
 * with a capital, 2-10 bytes, right after " (" and closed by ")"; not a
 * sequence variant, not two words, not without a capital. */
static void test_add_bracketed(void)
{
    const char *s = "isoproterenol (ISPH) and Trp (R1306W) and urea (in blood) and "
                    "water (aq) and hydrochlorothiazide (HCTC).";
    lm_abbrevs a;
    lm_error err;
    lm_abbrevs_init(&a);
    static const char *const longs[] = {"isoproterenol", "Trp", "urea", "water",
                                        "hydrochlorothiazide"};
    for (size_t i = 0; i < 5; i++) {
        uint32_t ls = (uint32_t)(strstr(s, longs[i]) - s);
        LM_CHECK_INT(lm_abbrev_add_bracketed(s, strlen(s), ls, ls + (uint32_t)strlen(longs[i]),
                                             &a, &err),
                     LM_OK);
    }
    LM_CHECK_INT(a.n, 2);
    if (a.n == 2) {
        LM_CHECK_INT(a.v[0].short_start, (uint32_t)(strstr(s, "ISPH") - s));
        LM_CHECK_INT(a.v[0].short_end, (uint32_t)(strstr(s, "ISPH") - s) + 4);
        LM_CHECK_INT(a.v[0].long_start, 0);
        LM_CHECK_INT(a.v[1].short_start, (uint32_t)(strstr(s, "HCTC") - s));
    }
    /* one token between the brackets, as the tagger reads them */
    const char *t = "ammonium acetate (NH4-Ac) and ammonium acetate (NH4Ac)";
    LM_CHECK_INT(lm_abbrev_add_bracketed(t, strlen(t), 0, 16, &a, &err), LM_OK);
    LM_CHECK_INT(a.n, 2);
    uint32_t second = (uint32_t)(strstr(t, "and ") - t) + 4;
    LM_CHECK_INT(lm_abbrev_add_bracketed(t, strlen(t), second, second + 16, &a, &err), LM_OK);
    LM_CHECK_INT(a.n, 3);
    lm_abbrevs_free(&a);
    lm_abbrevs_init(&a);
    /* at the end of the text, or without its bracket closed: none */
    LM_CHECK_INT(lm_abbrev_add_bracketed("urea (BUN", 9, 0, 4, &a, &err), LM_OK);
    LM_CHECK_INT(lm_abbrev_add_bracketed("urea", 4, 0, 4, &a, &err), LM_OK);
    LM_CHECK_INT(a.n, 0);
    lm_abbrevs_free(&a);
}

/* The bracketed word's test the tagger and the gold-span path share. */
static void test_bracketed_word(void)
{
    static const struct {
        const char *w;
        int ok;
    } cases[] = {
        {"ISPH", 1}, {"NH4Ac", 1}, {"HCTC", 1}, {"5-HT", 1}, {"A", 0},   {"aq", 0},
        {"R1306W", 0}, {"G20210A", 0}, {"RW", 1}, {"R1W", 1}, {"ABCDEFGHIJ", 1},
        {"ABCDEFGHIJK", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        LM_CHECK_INT(lm_abbrev_bracketed_word(cases[i].w, strlen(cases[i].w)), cases[i].ok);
}

/* A short form used without a definition, matched against a candidate
 * long form elsewhere in the text. */
static void test_initials_match(void)
{
    const char *s = "acute liver failure; ALF; acute renal failure; AVRT; atrioventricular "
                    "reentrant tachycardia; A";
#define AT(str) (size_t)(strstr(s, str) - s)
#define SPAN(str) AT(str), AT(str) + strlen(str)
    LM_CHECK(lm_abbrev_initials_match(s, SPAN("ALF"), SPAN("acute liver failure")));
    /* the first letter must begin the long form, every letter be found */
    LM_CHECK(!lm_abbrev_initials_match(s, SPAN("ALF"), AT("liver"), AT("liver") + 13));
    LM_CHECK(lm_abbrev_initials_match(s, SPAN("ALF"), SPAN("acute renal failure")));
    LM_CHECK(lm_abbrev_initials_match(s, SPAN("AVRT"),
                                      SPAN("atrioventricular reentrant tachycardia")));
    LM_CHECK(!lm_abbrev_initials_match(s, SPAN("AVRT"), SPAN("acute liver failure")));
    /* a long form no longer than the short form, or of too many words */
    LM_CHECK(!lm_abbrev_initials_match(s, SPAN("ALF"), SPAN("ALF")));
    LM_CHECK(!lm_abbrev_initials_match(s, AT("A"), AT("A") + 1, 0, strlen(s)));
#undef SPAN
#undef AT
}

/* On BC5CDR train: when a detected long form is exactly an annotated
 * mention, the short form should be annotated too, with the same type. */
static void test_bc5cdr(void)
{
    const char *data = lm_test_shared_data();
    if (!data)
        LM_SKIP("../shared/data absent");
    char path[1024];
    lm_pt_corpus c;
    lm_error err;
    snprintf(path, sizeof path, "%s/bc5cdr/CDR_TrainingSet.PubTator.txt", data);
    LM_CHECK_INT(lm_pubtator_load(path, &c, &err), LM_OK);
    lm_abbrevs a;
    lm_utf8_map m;
    lm_abbrevs_init(&a);
    lm_utf8_map_init(&m);
    size_t found = 0, long_is_mention = 0, short_agrees = 0;
    for (size_t d = 0; d < c.n_docs; d++) {
        const lm_pt_doc *doc = &c.docs[d];
        size_t n = strlen(doc->text);
        if (lm_abbrev_detect(doc->text, n, &a, &err) != LM_OK
            || lm_utf8_map_build(&m, doc->text, n, &err) != LM_OK)
            break;
        found += a.n;
        for (size_t i = 0; i < a.n; i++) {
            int ls = (int)lm_utf8_map_to_cp(&m, a.v[i].long_start);
            int le = (int)lm_utf8_map_to_cp(&m, a.v[i].long_end);
            int ss = (int)lm_utf8_map_to_cp(&m, a.v[i].short_start);
            int se = (int)lm_utf8_map_to_cp(&m, a.v[i].short_end);
            const char *type = NULL;
            for (size_t k = 0; k < doc->n_mentions && !type; k++)
                if (doc->mentions[k].start == ls && doc->mentions[k].end == le)
                    type = doc->mentions[k].type;
            if (!type)
                continue;
            long_is_mention++;
            for (size_t k = 0; k < doc->n_mentions; k++)
                if (doc->mentions[k].start == ss && doc->mentions[k].end == se
                    && !strcmp(doc->mentions[k].type, type)) {
                    short_agrees++;
                    break;
                }
        }
    }
    double agree = long_is_mention ? (double)short_agrees / (double)long_is_mention : 0;
    fprintf(stderr, "  BC5CDR train: %zu pairs, %zu long forms are mentions, "
                    "short form annotated alike in %.1f%%\n",
            found, long_is_mention, 100 * agree);
    LM_CHECK(found > 300);
    LM_CHECK(long_is_mention > 100);
    LM_CHECK(agree >= 0.9);
    lm_abbrevs_free(&a);
    lm_utf8_map_free(&m);
    lm_pt_corpus_free(&c);
}

int main(void)
{
    LM_RUN(test_classic);
    LM_RUN(test_reversed);
    LM_RUN(test_remarks_and_letters);
    LM_RUN(test_negative);
    LM_RUN(test_multiple);
    LM_RUN(test_uses);
    LM_RUN(test_add);
    LM_RUN(test_add_bracketed);
    LM_RUN(test_bracketed_word);
    LM_RUN(test_initials_match);
    LM_RUN(test_bc5cdr);
    return LM_DONE();
}
