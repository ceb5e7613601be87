/*
 * Schwartz & Hearst abbreviation detection.
 *
 * Per sentence (lm_sentence), every balanced parenthesis is a candidate.
 * If its content (or its part before ", ", "; ", ": " or a number, as in
 * "(DEN: 10 mg/kg)") is a plausible short form (2-10 characters, at most
 * two words, first character alphanumeric, some letter) the long form is
 * searched in the words before the '('; otherwise, if the content is
 * longer, the word before the '(' is tried as the short form and the
 * content as the long form.  The long-form candidate is limited to
 * min(|SF| + 5, 2 |SF|) words.  A one-letter short form ("testosterone
 * (T)") is accepted only as the initial of the one word before it.
 *
 * The long form is found by the paper's backwards match: walk the short
 * form from its last character to its first, and for each alphanumeric
 * character find the nearest matching character further left in the long
 * form (case-insensitively); the first short-form character must match at
 * the start of a word.  The long form then starts at the beginning of the
 * word holding that last match.  Matching is on bytes, so a non-ASCII
 * letter matches only itself, and bytes >= 0x80 count as alphanumeric.
 */
#include "../util/lm_sort.h"
#include "lm_abbrev.h"

#include "lm_sentence.h"
#include "lm_token.h"

#include <stdlib.h>
#include <string.h>

void lm_abbrevs_init(lm_abbrevs *a)
{
    memset(a, 0, sizeof *a);
}

void lm_abbrevs_free(lm_abbrevs *a)
{
    free(a->v);
    lm_abbrevs_init(a);
}

void lm_abbrev_uses_init(lm_abbrev_uses *u)
{
    memset(u, 0, sizeof *u);
}

void lm_abbrev_uses_free(lm_abbrev_uses *u)
{
    free(u->v);
    lm_abbrev_uses_init(u);
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int is_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Trims whitespace off [*a, *b). */
static void trim(const char *t, size_t *a, size_t *b)
{
    while (*a < *b && is_space((unsigned char)t[*a]))
        (*a)++;
    while (*b > *a && is_space((unsigned char)t[*b - 1]))
        (*b)--;
}

static size_t count_words(const char *t, size_t a, size_t b)
{
    size_t n = 0;
    int in = 0;
    for (size_t i = a; i < b; i++) {
        int sp = is_space((unsigned char)t[i]);
        if (!sp && !in)
            n++;
        in = !sp;
    }
    return n;
}

/* Number of characters (not bytes) in t[a..b). */
static size_t count_chars(const char *t, size_t a, size_t b)
{
    size_t n = 0;
    for (size_t i = a; i < b; i++)
        n += ((unsigned char)t[i] & 0xC0) != 0x80;
    return n;
}

static int word_is_ci(const char *t, size_t a, size_t b, const char *w)
{
    size_t n = strlen(w);
    if (b - a != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)t[a + i]) != (unsigned char)w[i])
            return 0;
    return 1;
}

/* Short-form rules of the paper, plus rejection of the parenthetical
 * remarks that pass them but are never abbreviations: statistics
 * ("p < 0.05", "n = 12") and references ("Fig. 1", "Table 2"). */
static int valid_short_form(const char *t, size_t a, size_t b)
{
    size_t nc = count_chars(t, a, b);
    if (nc < 2 || nc > 10 || !is_alnum((unsigned char)t[a]))
        return 0;
    if (count_words(t, a, b) > 2)
        return 0;
    int letter = 0;
    for (size_t i = a; i < b; i++) {
        unsigned char c = (unsigned char)t[i];
        letter |= is_letter(c);
        if (c == '=' || c == '<' || c == '>' || c == '(' || c == ')' || c == '[' || c == ']')
            return 0;
    }
    if (!letter)
        return 0;
    size_t w = a;
    while (w < b && is_alnum((unsigned char)t[w]))
        w++;
    static const char *const refs[] = {"fig", "figs", "figure", "figures", "table", "tables",
                                       "ref", "refs", "see", "eq", "supplementary"};
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
        if (word_is_ci(t, a, w, refs[i]))
            return 0;
    return 1;
}

/* Backwards match of short form t[sa..sb) in candidate t[la..lb).  On
 * success stores where the long form starts and returns 1. */
static int best_long_form(const char *t, size_t sa, size_t sb, size_t la, size_t lb, size_t *start)
{
    size_t s = sb, l = lb;   /* one past the next position to examine */
    while (s > sa) {
        unsigned char c = lower((unsigned char)t[s - 1]);
        if (!is_alnum(c)) {
            s--;
            continue;
        }
        int first = (s - 1 == sa);
        for (;;) {
            if (l == la)
                return 0;
            unsigned char d = lower((unsigned char)t[l - 1]);
            /* the short form's first character must begin a word */
            if (d == c && (!first || l - 1 == la || !is_alnum((unsigned char)t[l - 2])))
                break;
            l--;
        }
        l--;   /* t[l] matched */
        s--;
    }
    while (l > la && !is_space((unsigned char)t[l - 1]))
        l--;
    *start = l;
    return 1;
}

int lm_abbrev_initials_match(const char *text, size_t short_start, size_t short_end,
                             size_t long_start, size_t long_end)
{
    size_t start;
    if (short_end <= short_start || long_end <= long_start || !is_alnum((unsigned char)text[short_start]))
        return 0;
    size_t sc = count_chars(text, short_start, short_end);
    size_t max_words = sc + 5 < 2 * sc ? sc + 5 : 2 * sc;
    return long_end - long_start > short_end - short_start &&
           count_words(text, long_start, long_end) <= max_words &&
           best_long_form(text, short_start, short_end, long_start, long_end, &start) &&
           start == long_start;
}

/* Final checks of the paper on a found pair. */
static int accept_pair(const char *t, size_t sa, size_t sb, size_t la, size_t lb)
{
    size_t sn = sb - sa, ln = lb - la;
    size_t sc = count_chars(t, sa, sb);
    size_t max_words = sc + 5 < 2 * sc ? sc + 5 : 2 * sc;
    if (ln <= sn || count_words(t, la, lb) > max_words)
        return 0;
    /* the long form must not contain the short form as a word or end in it */
    for (size_t i = la; i + sn <= lb; i++) {
        if (memcmp(t + i, t + sa, sn) != 0)
            continue;
        if (i + sn == lb)
            return 0;
        if ((i == la || is_space((unsigned char)t[i - 1])) && is_space((unsigned char)t[i + sn]))
            return 0;
    }
    return 1;
}

static lm_status push_pair(lm_abbrevs *out, size_t sa, size_t sb, size_t la, size_t lb,
                           lm_error *err)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? 2 * out->cap : 16;
        lm_abbrev *v = realloc(out->v, cap * sizeof *v);
        if (!v)
            return lm_error_set(err, LM_ERR_NOMEM, "abbreviations: out of memory");
        out->v = v;
        out->cap = cap;
    }
    lm_abbrev *p = &out->v[out->n++];
    p->short_start = (uint32_t)sa;
    p->short_end = (uint32_t)sb;
    p->long_start = (uint32_t)la;
    p->long_end = (uint32_t)lb;
    return LM_OK;
}

/* Start of the last `words` whitespace-separated words of t[a..b). */
static size_t last_words(const char *t, size_t a, size_t b, size_t words)
{
    size_t i = b, n = 0;
    while (i > a) {
        while (i > a && is_space((unsigned char)t[i - 1]))
            i--;
        if (i == a || n == words)
            break;
        while (i > a && !is_space((unsigned char)t[i - 1]))
            i--;
        n++;
    }
    while (i < b && is_space((unsigned char)t[i]))
        i++;
    return i;
}

/* One parenthetical t[open] .. t[close] inside a sentence starting at s0. */
static lm_status try_paren(const char *t, size_t s0, size_t open, size_t close, lm_abbrevs *out,
                           lm_error *err)
{
    size_t ia = open + 1, ib = close;
    trim(t, &ia, &ib);
    if (ia >= ib)
        return LM_OK;
    /* "(SF, remark)", "(SF; remark)", "(SF: 10 mg/kg)": the short form is
     * the first part; "(SF 100 mg/kg)": the word before a number */
    size_t sa = ia, sb = ib;
    for (size_t i = ia; i + 1 < ib; i++)
        if ((t[i] == ',' || t[i] == ';' || t[i] == ':') && t[i + 1] == ' ') {
            sb = i;
            break;
        }
    if (sb == ib) {
        size_t w = ia;
        while (w < ib && !is_space((unsigned char)t[w]))
            w++;
        if (w + 1 < ib && t[w + 1] >= '0' && t[w + 1] <= '9')
            sb = w;
    }
    trim(t, &sa, &sb);
    size_t lb = open;
    trim(t, &s0, &lb);
    if (sb == sa + 1 && t[sa] >= 'A' && t[sa] <= 'Z') {
        /* "testosterone (T)": a one-letter short form only for the single
         * word before it, which it must begin */
        size_t wa = lb;
        while (wa > s0 && !is_space((unsigned char)t[wa - 1]))
            wa--;
        int word = lb - wa >= 4;
        for (size_t i = wa; i < lb && word; i++)
            word = is_letter((unsigned char)t[i]) || t[i] == '-';
        if (word && lower((unsigned char)t[wa]) == lower((unsigned char)t[sa]))
            return push_pair(out, sa, sb, wa, lb, err);
        return LM_OK;
    }
    if (sa < sb && valid_short_form(t, sa, sb)) {
        size_t sc = count_chars(t, sa, sb);
        size_t max_words = sc + 5 < 2 * sc ? sc + 5 : 2 * sc;
        size_t la = last_words(t, s0, lb, max_words);
        size_t start;
        if (la < lb && best_long_form(t, sa, sb, la, lb, &start) && accept_pair(t, sa, sb, start, lb))
            return push_pair(out, sa, sb, start, lb, err);
        return LM_OK;
    }
    /* "SF (long form)": the word before the parenthesis is the short form */
    if (lb <= s0)
        return LM_OK;
    size_t wa = lb;
    while (wa > s0 && !is_space((unsigned char)t[wa - 1]))
        wa--;
    if (!valid_short_form(t, wa, lb) || count_chars(t, ia, ib) <= count_chars(t, wa, lb))
        return LM_OK;
    size_t start;
    if (best_long_form(t, wa, lb, ia, ib, &start) && accept_pair(t, wa, lb, start, ib))
        return push_pair(out, wa, lb, start, ib, err);
    return LM_OK;
}

lm_status lm_abbrev_detect(const char *text, size_t len, lm_abbrevs *out, lm_error *err)
{
    out->n = 0;
    lm_spans sents;
    lm_spans_init(&sents);
    lm_status st = lm_sentence_split(text, len, &sents, err);
    for (size_t k = 0; st == LM_OK && k < sents.n; k++) {
        size_t s0 = sents.v[k].start, s1 = sents.v[k].end;
        for (size_t i = s0; st == LM_OK && i < s1; i++) {
            if (text[i] != '(')
                continue;
            size_t depth = 0, j = i;
            for (; j < s1; j++) {
                if (text[j] == '(')
                    depth++;
                else if (text[j] == ')' && --depth == 0)
                    break;
            }
            if (j >= s1)
                continue;   /* unbalanced: not a candidate */
            st = try_paren(text, s0, i, j, out, err);
        }
    }
    lm_spans_free(&sents);
    return st;
}

/* Where a definition sits in text order: its bracket, which holds the
 * later of its two forms. */
static uint32_t bracket_start(const lm_abbrev *p)
{
    return p->short_start > p->long_start ? p->short_start : p->long_start;
}

lm_status lm_abbrev_add(lm_abbrevs *a, uint32_t short_start, uint32_t short_end,
                        uint32_t long_start, uint32_t long_end, lm_error *err)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].short_start == short_start && a->v[i].short_end == short_end)
            return LM_OK;
    lm_status st = push_pair(a, short_start, short_end, long_start, long_end, err);
    if (st != LM_OK)
        return st;
    lm_abbrev x = a->v[a->n - 1];
    size_t i = a->n - 1;
    for (; i > 0 && bracket_start(&a->v[i - 1]) > bracket_start(&x); i--)
        a->v[i] = a->v[i - 1];
    a->v[i] = x;
    return LM_OK;
}

/* Whether the n bytes at w name a sequence variant: a capital, two or more
 * digits and a capital ("R1306W", "G20210A"; no BC5CDR train Chemical
 * mention has this shape). */
static int names_substitution(const char *w, size_t n)
{
    if (n < 4 || w[0] < 'A' || w[0] > 'Z' || w[n - 1] < 'A' || w[n - 1] > 'Z')
        return 0;
    for (size_t k = 1; k + 1 < n; k++)
        if (w[k] < '0' || w[k] > '9')
            return 0;
    return 1;
}

int lm_abbrev_bracketed_word(const char *w, size_t n)
{
    int cap = 0;
    for (size_t k = 0; k < n; k++)
        cap |= w[k] >= 'A' && w[k] <= 'Z';
    return cap && n >= 2 && n <= 10 && !names_substitution(w, n);
}

lm_status lm_abbrev_add_bracketed(const char *text, size_t len, uint32_t long_start,
                                  uint32_t long_end, lm_abbrevs *a, lm_error *err)
{
    size_t s = (size_t)long_end + 2, e = s;
    if (long_end <= long_start || s >= len || text[long_end] != ' ' || text[long_end + 1] != '(')
        return LM_OK;
    while (e < len && e - s <= 10 && text[e] != ')' && !is_space((unsigned char)text[e]) &&
           text[e] != '(')
        e++;
    if (e >= len || text[e] != ')' || !lm_abbrev_bracketed_word(text + s, e - s))
        return LM_OK;
    /* one token between the brackets, as the tagger reads them: "(NH4Ac)",
     * not "(NH4-Ac)" */
    lm_spans toks;
    lm_spans_init(&toks);
    lm_status st = lm_token_split(text + s - 1, e - s + 2, &toks, err);
    size_t n_toks = toks.n;
    lm_spans_free(&toks);
    if (st != LM_OK || n_toks != 3)
        return st;
    return lm_abbrev_add(a, (uint32_t)s, (uint32_t)e, long_start, long_end, err);
}

lm_status lm_abbrevs_copy(lm_abbrevs *dst, const lm_abbrevs *src, lm_error *err)
{
    dst->n = 0;
    for (size_t i = 0; i < src->n; i++) {
        const lm_abbrev *p = &src->v[i];
        lm_status st = push_pair(dst, p->short_start, p->short_end, p->long_start, p->long_end,
                                 err);
        if (st != LM_OK)
            return st;
    }
    return LM_OK;
}

static int cmp_use(const void *a, const void *b)
{
    const lm_abbrev_use *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end < y->end ? 1 : x->end > y->end ? -1 : 0;
}

lm_status lm_abbrev_find_uses(const char *text, size_t len, const lm_abbrevs *pairs,
                              lm_abbrev_uses *out, lm_error *err)
{
    out->n = 0;
    if (pairs->n == 0)
        return LM_OK;
    lm_spans toks;
    lm_spans_init(&toks);
    unsigned char *starts = calloc(len + 1, 1), *ends = calloc(len + 1, 1);
    lm_status st = LM_OK;
    if (!starts || !ends) {
        st = lm_error_set(err, LM_ERR_NOMEM, "abbreviation uses: out of memory");
        goto done;
    }
    st = lm_token_split(text, len, &toks, err);
    if (st != LM_OK)
        goto done;
    for (size_t i = 0; i < toks.n; i++) {
        starts[toks.v[i].start] = 1;
        ends[toks.v[i].end] = 1;
    }
    for (size_t p = 0; p < pairs->n; p++) {
        const lm_abbrev *a = &pairs->v[p];
        const char *sf = text + a->short_start;
        size_t sn = a->short_end - a->short_start;
        if (sn == 0 || a->short_end > len || a->long_end > len)
            continue;
        size_t from = a->short_end > a->long_end ? a->short_end : a->long_end;
        if (from < len && text[from] == ')')
            from++;
        /* stop at a redefinition of the same short form */
        size_t until = len;
        for (size_t q = p + 1; q < pairs->n; q++)
            if (pairs->v[q].short_end - pairs->v[q].short_start == sn
                && memcmp(text + pairs->v[q].short_start, sf, sn) == 0) {
                until = pairs->v[q].short_start < pairs->v[q].long_start
                            ? pairs->v[q].short_start : pairs->v[q].long_start;
                break;
            }
        for (size_t i = from; i + sn <= until; i++) {
            if (text[i] != sf[0] || !starts[i] || !ends[i + sn] || memcmp(text + i, sf, sn) != 0)
                continue;
            if (out->n == out->cap) {
                size_t cap = out->cap ? 2 * out->cap : 16;
                lm_abbrev_use *v = realloc(out->v, cap * sizeof *v);
                if (!v) {
                    st = lm_error_set(err, LM_ERR_NOMEM, "abbreviation uses: out of memory");
                    goto done;
                }
                out->v = v;
                out->cap = cap;
            }
            out->v[out->n].start = (uint32_t)i;
            out->v[out->n].end = (uint32_t)(i + sn);
            out->v[out->n].pair = (uint32_t)p;
            out->n++;
        }
    }
    if (out->n)   /* lm_qsort(NULL, 0, ...) is undefined behaviour */
        lm_qsort(out->v, out->n, sizeof *out->v, cmp_use);
done:
    free(starts);
    free(ends);
    lm_spans_free(&toks);
    return st;
}
