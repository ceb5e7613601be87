/*
 * Tests for nlp/lm_sentence: edge-case fixtures with exact expected
 * sentences (abbreviations, initials, species, decimals, p-values,
 * brackets, labels, newlines, lowercase gene names), plus the structural
 * invariant that sentences are trimmed, ordered, and cover every
 * non-whitespace byte.
 */
#include "lm_test.h"

#include "../nlp/lm_sentence.h"
#include "../util/lm_buf.h"

/* Sentences of s joined with " || ". */
static char *sents(const char *s)
{
    lm_spans sp;
    lm_error err;
    lm_buf b;
    lm_spans_init(&sp);
    lm_buf_init(&b);
    if (lm_sentence_split(s, strlen(s), &sp, &err) != LM_OK)
        lm_buf_append_str(&b, "ERROR");
    for (size_t i = 0; i < sp.n; i++) {
        if (i)
            lm_buf_append_str(&b, " || ");
        lm_buf_append(&b, s + sp.v[i].start, sp.v[i].end - sp.v[i].start);
    }
    lm_spans_free(&sp);
    if (!b.data)
        lm_buf_append(&b, "", 0);
    return lm_buf_take(&b);
}

#define CHECK_SENTS(in, want)     \
    do {                          \
        char *got_ = sents(in);   \
        LM_CHECK_STR(got_, want); \
        free(got_);               \
    } while (0)

static void test_basic(void)
{
    CHECK_SENTS("One. Two! Three? Four", "One. || Two! || Three? || Four");
    CHECK_SENTS("  Leading and trailing space.  ", "Leading and trailing space.");
    CHECK_SENTS("", "");
    CHECK_SENTS(" \n\t ", "");
    CHECK_SENTS("No terminator at all", "No terminator at all");
    CHECK_SENTS("It rose. 12 patients died.", "It rose. || 12 patients died.");
    CHECK_SENTS("Ends with quote.\" Next one.", "Ends with quote.\" || Next one.");
    CHECK_SENTS("Really?! Yes.", "Really?! || Yes.");
    CHECK_SENTS("Wait... What?", "Wait... || What?");
    CHECK_SENTS("lowercase after. period stays", "lowercase after. period stays");
}

static void test_abbreviations(void)
{
    CHECK_SENTS("As shown by Smith et al. The effect was large.",
                "As shown by Smith et al. The effect was large.");
    CHECK_SENTS("Smith et al. (2005) found it. Then more.",
                "Smith et al. (2005) found it. || Then more.");
    CHECK_SENTS("Drugs, e.g. Aspirin, help. I.e. Some do.",
                "Drugs, e.g. Aspirin, help. || I.e. Some do.");
    CHECK_SENTS("See Fig. 2 and Figs. 3-4. Done.", "See Fig. 2 and Figs. 3-4. || Done.");
    CHECK_SENTS("Drug vs. Placebo was tested.", "Drug vs. Placebo was tested.");
    CHECK_SENTS("It took approx. 5 min. Later it stopped.",
                "It took approx. 5 min. || Later it stopped.");
    CHECK_SENTS("Dated ca. 1900. Candida spp. Were found. Cf. Ref. 3 and Eq. 2.",
                "Dated ca. 1900. || Candida spp. Were found. || Cf. Ref. 3 and Eq. 2.");
    CHECK_SENTS("Dr. Jones saw No. 5 today.", "Dr. Jones saw No. 5 today.");
    CHECK_SENTS("It was not. No. The answer is no.", "It was not. || No. || The answer is no.");
    /* acronyms in capitals are not abbreviations */
    CHECK_SENTS("Risk of ED. Higher T helps. Seen in MS. New data.",
                "Risk of ED. || Higher T helps. || Seen in MS. || New data.");
    CHECK_SENTS("Levels of NO. Nitric oxide rose.", "Levels of NO. || Nitric oxide rose.");
}

static void test_initials_species(void)
{
    CHECK_SENTS("Work by J. R. Smith showed it.", "Work by J. R. Smith showed it.");
    CHECK_SENTS("Growth of E. coli and S. aureus was slow. Both died.",
                "Growth of E. coli and S. aureus was slow. || Both died.");
    CHECK_SENTS("Samples from the U.S. Were tested.", "Samples from the U.S. Were tested.");
}

static void test_numbers(void)
{
    CHECK_SENTS("The dose was 0.05 mg. It worked.", "The dose was 0.05 mg. || It worked.");
    CHECK_SENTS("Significant (p < 0.05). Next.", "Significant (p < 0.05). || Next.");
    CHECK_SENTS("Significant, p = .03. Next.", "Significant, p = .03. || Next.");
    CHECK_SENTS("Weight 70.5 kg. Height 1.80 m.", "Weight 70.5 kg. || Height 1.80 m.");
    CHECK_SENTS("Between 1.2 and 3.4. The rest.", "Between 1.2 and 3.4. || The rest.");
}

static void test_brackets(void)
{
    CHECK_SENTS("It rose (see the note. Data not shown) and fell. Next.",
                "It rose (see the note. Data not shown) and fell. || Next.");
    CHECK_SENTS("Results [see Methods. Table 1] were good. Next.",
                "Results [see Methods. Table 1] were good. || Next.");
    CHECK_SENTS("It rose (data not shown.) Then it fell.",
                "It rose (data not shown.) || Then it fell.");
    /* an unclosed bracket does not swallow the rest of the text */
    CHECK_SENTS("An open ( bracket. Then text. More text.",
                "An open ( bracket. || Then text. || More text.");
    CHECK_SENTS("Nested (a (b. C) d. E) end. Next.", "Nested (a (b. C) d. E) end. || Next.");
}

static void test_labels_newlines(void)
{
    CHECK_SENTS("BACKGROUND: We studied mice. METHODS: Mice were fed. RESULTS: They grew.",
                "BACKGROUND: We studied mice. || METHODS: Mice were fed. || RESULTS: They grew.");
    /* a label ends the previous section even without a period */
    CHECK_SENTS("OBJECTIVE: To test drugs METHODS AND RESULTS: In 30 subjects it worked",
                "OBJECTIVE: To test drugs || METHODS AND RESULTS: In 30 subjects it worked");
    CHECK_SENTS("CONCLUSIONS/SIGNIFICANCE: Good. AIM: To see.",
                "CONCLUSIONS/SIGNIFICANCE: Good. || AIM: To see.");
    /* acronyms followed by a colon mid-sentence are not labels */
    CHECK_SENTS("Barriers protect the CNS: the blood-brain barrier is one.",
                "Barriers protect the CNS: the blood-brain barrier is one.");
    CHECK_SENTS("Registered at URL: http://x.org now.", "Registered at URL: http://x.org now.");
    CHECK_SENTS("A title line\nThe abstract starts here. It ends.",
                "A title line || The abstract starts here. || It ends.");
    CHECK_SENTS("Windows line\r\nends too", "Windows line || ends too");
    CHECK_SENTS("x\n\n\ny", "x || y");
}

static void test_lowercase_starts(void)
{
    CHECK_SENTS("It binds DNA. p53 then accumulates.", "It binds DNA. || p53 then accumulates.");
    CHECK_SENTS("It was low. mRNA levels rose.", "It was low. || mRNA levels rose.");
    CHECK_SENTS("In C. elegans. daf-16 mutations suppress it.",
                "In C. elegans. || daf-16 mutations suppress it.");
    CHECK_SENTS("Levels fell. \xCE\xB1-Synuclein rose.", "Levels fell. || \xCE\xB1-Synuclein rose.");
    CHECK_SENTS("It was stable. \xC2\xA9 2016 Wiley.", "It was stable. || \xC2\xA9 2016 Wiley.");
}

/* Sentences are trimmed, ordered, non-overlapping and cover all
 * non-whitespace bytes. */
static void check_cover(const char *s)
{
    size_t n = strlen(s);
    lm_spans sp;
    lm_error err;
    lm_spans_init(&sp);
    LM_CHECK_INT(lm_sentence_split(s, n, &sp, &err), LM_OK);
    size_t bad = 0, prev = 0;
    for (size_t i = 0; i < sp.n; i++) {
        size_t a = sp.v[i].start, b = sp.v[i].end;
        if (a >= b || a < prev || b > n || strchr(" \t\r\n", s[a]) || strchr(" \t\r\n", s[b - 1]))
            bad++;
        for (size_t k = prev; k < a && k < n; k++)
            bad += strchr(" \t\r\n", s[k]) == NULL;
        prev = b;
    }
    for (size_t k = prev; k < n; k++)
        bad += strchr(" \t\r\n", s[k]) == NULL;
    LM_CHECK_INT(bad, 0);
    lm_spans_free(&sp);
}

static void test_cover(void)
{
    check_cover("BACKGROUND: A (b. C) d. E. coli grew. \n  METHODS: x! y? z... (unclosed. ok.");
    check_cover("....  ?? !! (( )) ]] \"\" . a . B . 1 . ");
    check_cover("single");
    /* reusing the output array replaces its contents */
    lm_spans sp;
    lm_error err;
    lm_spans_init(&sp);
    LM_CHECK_INT(lm_sentence_split("Aa. Bb. Cc.", 11, &sp, &err), LM_OK);
    LM_CHECK_INT(sp.n, 3);
    LM_CHECK_INT(lm_sentence_split("A.", 2, &sp, &err), LM_OK);
    LM_CHECK_INT(sp.n, 1);
    lm_spans_free(&sp);
}

int main(void)
{
    LM_RUN(test_basic);
    LM_RUN(test_abbreviations);
    LM_RUN(test_initials_species);
    LM_RUN(test_numbers);
    LM_RUN(test_brackets);
    LM_RUN(test_labels_newlines);
    LM_RUN(test_lowercase_starts);
    LM_RUN(test_cover);
    return LM_DONE();
}
