/*
 * Tests for nlp/lm_token: known tokenizations of the biomedical cases the
 * design targets, structural invariants (offsets reproduce the text, no
 * overlap, only whitespace skipped), non-ASCII classification, and, with
 * ../shared/data, the share of BC5CDR mention boundaries that fall on token
 * boundaries plus a throughput figure.
 */
#include "lm_test.h"

#include "../nlp/lm_pubtator.h"
#include "../nlp/lm_token.h"
#include "../util/lm_buf.h"
#include "../util/lm_utf8.h"

#include <stdint.h>
#include <time.h>

/* Tokens of s joined with '|'. */
static char *toks(const char *s)
{
    lm_spans sp;
    lm_error err;
    lm_buf b;
    lm_spans_init(&sp);
    lm_buf_init(&b);
    if (lm_token_split(s, strlen(s), &sp, &err) != LM_OK)
        lm_buf_append_str(&b, "ERROR");
    for (size_t i = 0; i < sp.n; i++) {
        if (i)
            lm_buf_append_char(&b, '|');
        lm_buf_append(&b, s + sp.v[i].start, sp.v[i].end - sp.v[i].start);
    }
    lm_spans_free(&sp);
    if (!b.data)
        lm_buf_append(&b, "", 0);
    return lm_buf_take(&b);
}

#define CHECK_TOKS(in, want)      \
    do {                          \
        char *got_ = toks(in);    \
        LM_CHECK_STR(got_, want); \
        free(got_);               \
    } while (0)

static void test_known(void)
{
    CHECK_TOKS("IL2 p53 CD4", "IL2|p53|CD4");
    CHECK_TOKS("IL-2", "IL|-|2");
    CHECK_TOKS("5-fluorouracil", "5|-|fluorouracil");
    CHECK_TOKS("Ca2+", "Ca2|+");
    CHECK_TOKS("(+)-", "(|+|)|-");
    CHECK_TOKS("p < 0.05", "p|<|0.05");
    CHECK_TOKS("1,000 rats", "1,000|rats");
    CHECK_TOKS("cocaine-induced", "cocaine|-|induced");
    CHECK_TOKS("HIV/AIDS", "HIV|/|AIDS");
    CHECK_TOKS("[3H]dopamine;", "[|3H|]|dopamine|;");
    CHECK_TOKS("50% of", "50|%|of");
    CHECK_TOKS("\"quoted\" 'x'", "\"|quoted|\"|'|x|'");
    CHECK_TOKS("end. Next", "end|.|Next");
    CHECK_TOKS("was 5. The", "was|5|.|The");
    CHECK_TOKS("1,2-dichloro", "1|,|2|-|dichloro");
    CHECK_TOKS("1,0000", "1|,|0000");
    CHECK_TOKS("1,000,000", "1,000,000");
    CHECK_TOKS("3.5.1", "3.5.1");
    CHECK_TOKS("2,3", "2|,|3");
    CHECK_TOKS("a:b", "a|:|b");
    CHECK_TOKS("", "");
    CHECK_TOKS("   \t\n ", "");
    CHECK_TOKS("x", "x");
}

static void test_unicode(void)
{
    CHECK_TOKS("TNF-\xCE\xB1", "TNF|-|\xCE\xB1");                  /* TNF-α */
    CHECK_TOKS("\xCE\xB2" "2-microglobulin", "\xCE\xB2" "2|-|microglobulin");
    CHECK_TOKS("10 \xC2\xB5M", "10|\xC2\xB5M");                    /* µ is a letter */
    CHECK_TOKS("5\xE2\x80\x93" "10 mg", "5|\xE2\x80\x93|10|mg");    /* en dash */
    CHECK_TOKS("Alzheimer\xE2\x80\x99s", "Alzheimer|\xE2\x80\x99|s");
    CHECK_TOKS("1.2\xC2\xB1" "0.3", "1.2|\xC2\xB1|0.3");            /* ± */
    CHECK_TOKS("\xE2\x89\xA5" "65", "\xE2\x89\xA5|65");             /* ≥ */
    CHECK_TOKS("3\xC3\x97" "daily", "3|\xC3\x97|daily");            /* × */
    CHECK_TOKS("Sj\xC3\xB6gren", "Sj\xC3\xB6gren");                /* ö */
    CHECK_TOKS("a\xC2\xA0" "b", "a|b");                            /* NBSP separates */
    CHECK_TOKS("a\xE2\x80\x89" "b", "a|b");                        /* thin space */
    CHECK_TOKS("Ca\xC2\xB2\xE2\x81\xBA", "Ca\xC2\xB2|\xE2\x81\xBA"); /* Ca²⁺ */
    CHECK_TOKS("ab\xFF" "cd", "ab|\xFF|cd");                       /* invalid byte */
    CHECK_TOKS("x\xCE", "x|\xCE");                                 /* truncated */
}

/* Every token reproduces its text, tokens are ordered and disjoint, and
 * everything between tokens is whitespace. */
static void check_invariants(const char *s, size_t n)
{
    lm_spans sp;
    lm_error err;
    lm_spans_init(&sp);
    LM_CHECK_INT(lm_token_split(s, n, &sp, &err), LM_OK);
    size_t bad = 0;
    uint32_t prev = 0;
    for (size_t i = 0; i < sp.n; i++) {
        const lm_span *t = &sp.v[i];
        if (t->start >= t->end || t->start < prev || t->end > n)
            bad++;
        for (uint32_t k = prev; k < t->start && k < n; k++) {
            unsigned char c = (unsigned char)s[k];
            /* ASCII whitespace/control, or bytes of a Unicode space */
            if (c > ' ' && c != 127 && c < 0x80)
                bad++;
        }
        prev = t->end;
    }
    for (size_t k = prev; k < n; k++)
        if ((unsigned char)s[k] > ' ' && (unsigned char)s[k] < 0x7F)
            bad++;
    LM_CHECK_INT(bad, 0);
    lm_spans_free(&sp);
}

static void test_invariants(void)
{
    const char s[] = "Naloxone (0.1 mg/kg, i.v.) reversed TNF-\xCE\xB1\xE2\x80\x93induced "
                     "hypotension [p<0.05]; 1,000 rats.\n\tEnd ";
    check_invariants(s, sizeof s - 1);
    /* every byte value, to make sure nothing is lost or overlapped */
    char all[512];
    for (int i = 0; i < 512; i++)
        all[i] = (char)(i * 37 + 11);
    check_invariants(all, sizeof all);
    lm_spans sp;
    lm_error err;
    lm_spans_init(&sp);
    LM_CHECK_INT(lm_token_split(all, sizeof all, &sp, &err), LM_OK);
    /* a reused spans array is replaced, not appended to */
    LM_CHECK_INT(lm_token_split("a b", 3, &sp, &err), LM_OK);
    LM_CHECK_INT(sp.n, 2);
    lm_spans_free(&sp);
}

static int load_bc5cdr(lm_pt_corpus *c)
{
    const char *data = lm_test_shared_data();
    char path[1024];
    lm_error err;
    if (!data)
        return 0;
    snprintf(path, sizeof path, "%s/bc5cdr/CDR_TrainingSet.PubTator.txt", data);
    return lm_pubtator_load(path, c, &err) == LM_OK;
}

/* Share of mention starts/ends that coincide with a token start/end. */
static void test_mention_boundaries(void)
{
    lm_pt_corpus c;
    if (!load_bc5cdr(&c))
        LM_SKIP("../shared/data absent");
    lm_spans sp;
    lm_utf8_map m;
    lm_error err;
    lm_spans_init(&sp);
    lm_utf8_map_init(&m);
    size_t total = 0, hit = 0;
    unsigned char *is_start = NULL, *is_end = NULL;
    for (size_t i = 0; i < c.n_docs; i++) {
        const lm_pt_doc *d = &c.docs[i];
        size_t n = strlen(d->text);
        LM_CHECK_INT(lm_token_split(d->text, n, &sp, &err), LM_OK);
        LM_CHECK_INT(lm_utf8_map_build(&m, d->text, n, &err), LM_OK);
        free(is_start);
        free(is_end);
        is_start = calloc(n + 1, 1);
        is_end = calloc(n + 1, 1);
        if (!is_start || !is_end)
            break;
        for (size_t k = 0; k < sp.n; k++) {
            is_start[sp.v[k].start] = 1;
            is_end[sp.v[k].end] = 1;
        }
        for (size_t k = 0; k < d->n_mentions; k++) {
            size_t bs = lm_utf8_map_to_byte(&m, (size_t)d->mentions[k].start);
            size_t be = lm_utf8_map_to_byte(&m, (size_t)d->mentions[k].end);
            total += 2;
            hit += bs <= n && is_start[bs];
            hit += be <= n && is_end[be];
        }
    }
    free(is_start);
    free(is_end);
    double pct = total ? 100.0 * (double)hit / (double)total : 0;
    fprintf(stderr, "  BC5CDR train: %zu of %zu mention boundaries on token boundaries (%.2f%%)\n",
            hit, total, pct);
    LM_CHECK(total == 2 * 9385);
    LM_CHECK(pct >= 98.0);
    lm_spans_free(&sp);
    lm_utf8_map_free(&m);
    lm_pt_corpus_free(&c);
}

static void test_speed(void)
{
    lm_pt_corpus c;
    if (!load_bc5cdr(&c))
        LM_SKIP("../shared/data absent");
    lm_spans sp;
    lm_error err;
    lm_spans_init(&sp);
    size_t tokens = 0, bytes = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int rep = 0; rep < 5; rep++)
        for (size_t i = 0; i < c.n_docs; i++) {
            size_t n = strlen(c.docs[i].text);
            lm_token_split(c.docs[i].text, n, &sp, &err);
            tokens += sp.n;
            bytes += n;
        }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    /* a figure only: sanitizer builds are several times slower */
    fprintf(stderr, "  tokenized %zu tokens (%zu bytes) in %.3f s: %.1f M tokens/s\n", tokens,
            bytes, s, s > 0 ? (double)tokens / s / 1e6 : 0.0);
    LM_CHECK(tokens > 0);
    lm_spans_free(&sp);
    lm_pt_corpus_free(&c);
}

int main(void)
{
    LM_RUN(test_known);
    LM_RUN(test_unicode);
    LM_RUN(test_invariants);
    LM_RUN(test_mention_boundaries);
    LM_RUN(test_speed);
    return LM_DONE();
}
