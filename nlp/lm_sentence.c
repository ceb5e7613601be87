/*
 * Sentence splitting for biomedical abstracts.
 *
 * One left-to-right scan over bytes.  Candidate ends are runs of '.', '!'
 * and '?' followed by optional closing brackets/quotes and whitespace; each
 * candidate is then judged by what precedes it (an abbreviation or an
 * initial vetoes it) and by what follows it (the next word has to look like
 * a sentence start: uppercase, digit, opening bracket or quote, or a
 * lowercase-initial gene/RNA name such as p53, mRNA, miR-21 that visibly
 * carries an uppercase letter or digit).  Brackets suppress splitting only
 * when they are closed on the same line: a stray "(" must not swallow the
 * rest of an abstract, so matched pairs are found in a first pass and
 * recorded in a per-byte mask.  Newlines always end a sentence, and an
 * all-caps label followed by a colon ("BACKGROUND:", "METHODS AND
 * RESULTS:") starts one, since litmine writes structured abstracts that way.
 */
#include "lm_sentence.h"

#include "../util/lm_utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_lower(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_open(unsigned char c)
{
    return c == '(' || c == '[' || c == '{';
}

static int closer_of(unsigned char c)
{
    return c == '(' ? ')' : c == '[' ? ']' : '}';
}

/* Marks bytes strictly inside a bracket pair closed on the same line.
 * Returns NULL on allocation failure. */
static unsigned char *bracket_mask(const char *text, size_t len)
{
    unsigned char *mask = calloc(len + 1, 1);
    int32_t *diff = calloc(len + 2, sizeof *diff);
    size_t *stack = NULL;
    size_t depth = 0, cap = 0;
    if (!mask || !diff)
        goto fail;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n' || c == '\r') {
            depth = 0;
        } else if (is_open(c)) {
            if (depth == cap) {
                size_t ncap = cap ? 2 * cap : 16;
                size_t *s = realloc(stack, ncap * sizeof *s);
                if (!s)
                    goto fail;
                stack = s;
                cap = ncap;
            }
            stack[depth++] = i;
        } else if (c == ')' || c == ']' || c == '}') {
            /* pop to the nearest opener of the same kind; a mismatched
             * closer is ignored */
            size_t k = depth;
            while (k > 0 && closer_of((unsigned char)text[stack[k - 1]]) != c)
                k--;
            if (k > 0) {
                diff[stack[k - 1] + 1]++;
                diff[i]--;
                depth = k - 1;
            }
        }
    }
    int32_t run = 0;
    for (size_t i = 0; i <= len; i++) {
        run += diff[i];
        mask[i] = run > 0;
    }
    free(diff);
    free(stack);
    return mask;
fail:
    free(mask);
    free(diff);
    free(stack);
    return NULL;
}

/* Words after which a period is not a sentence end (lowercase, without
 * the final period). */
static const char *const abbrevs[] = {
    "al", "e.g", "i.e", "eg", "ie", "fig", "figs", "vs", "approx", "ca", "sp", "spp",
    "cf", "dr", "eq", "eqs", "ref", "refs", "mr", "mrs", "ms", "prof", "st", "vol",
    "resp", "viz", "var", "ssp", "subsp", "nov", "cv", "jr", "sr", "suppl", "ed", "eds",
    "pp",
};

/* Case-insensitive match, except that an all-capitals word of two or more
 * letters never matches: ED, MS, NO, CA are acronyms, not abbreviations. */
static int word_is(const char *w, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (k != n)
        return 0;
    if (n >= 2) {
        size_t caps = 0;
        for (size_t i = 0; i < n; i++)
            caps += is_upper((unsigned char)w[i]) || w[i] == '.';
        if (caps == n)
            return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (is_upper(c))
            c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)lit[i])
            return 0;
    }
    return 1;
}

/* The word ending at the period t: from the previous whitespace, without
 * leading brackets or quotes. */
static void word_before(const char *text, size_t start, size_t t, size_t *ws, size_t *wn)
{
    size_t b = t;
    while (b > start && !is_space((unsigned char)text[b - 1]))
        b--;
    while (b < t && strchr("([{\"'", text[b]))
        b++;
    *ws = b;
    *wn = t - b;
}

/* Does the period at t end an abbreviation or an initial? */
static int period_vetoed(const char *text, size_t start, size_t t, unsigned char next)
{
    size_t ws, wn;
    word_before(text, start, t, &ws, &wn);
    if (wn == 0)
        return 0;
    const char *w = text + ws;
    for (size_t i = 0; i < sizeof abbrevs / sizeof abbrevs[0]; i++)
        if (word_is(w, wn, abbrevs[i]))
            return 1;
    /* "No. 5", "Aug. 31", "p. 561" -- but "... or no. The" */
    static const char *const before_number[] = {"no", "nos", "p", "jan", "feb", "mar", "apr",
                                                "jun", "jul", "aug", "sep", "sept", "oct",
                                                "nov", "dec"};
    if (is_digit(next))
        for (size_t i = 0; i < sizeof before_number / sizeof before_number[0]; i++)
            if (word_is(w, wn, before_number[i]))
                return 1;
    /* a single capital: initials ("J. Smith"), genus abbreviations */
    if (wn == 1 && is_upper((unsigned char)w[0]))
        return 1;
    /* dotted initialisms such as "U.S" or "a.m": letters split by periods */
    if (wn >= 3 && memchr(w, '.', wn)) {
        int ok = 1;
        for (size_t i = 0; i < wn && ok; i++)
            ok = (i % 2 == 0) ? (is_upper((unsigned char)w[i]) || is_lower((unsigned char)w[i]))
                              : w[i] == '.';
        if (ok)
            return 1;
    }
    return 0;
}

/* Does text[k..] look like the first word of a sentence? */
static int starts_sentence(const char *text, size_t len, size_t k)
{
    unsigned char c = (unsigned char)text[k];
    if (is_upper(c) || is_digit(c))
        return 1;
    if (c == '(' || c == '[' || c == '"' || c == '\'')
        return 1;
    if (is_lower(c)) {
        /* gene/RNA names start sentences in lowercase: p53, mRNA, miR-21,
         * circRNA.  Plain lowercase words never do. */
        for (size_t i = k + 1; i < len; i++) {
            unsigned char d = (unsigned char)text[i];
            if (is_upper(d) || is_digit(d))
                return 1;
            /* C. elegans / yeast genes: daf-16, c-Maf */
            if (d == '-' && i + 1 < len
                && (is_digit((unsigned char)text[i + 1]) || is_upper((unsigned char)text[i + 1])))
                return 1;
            if (!is_lower(d))
                break;
        }
        return 0;
    }
    if (c >= 0x80) {
        uint32_t cp;
        if (lm_utf8_decode(text + k, len - k, &cp) == 0)
            return 0;
        if (cp >= 0x391 && cp <= 0x3C9)               /* Greek: α-synuclein */
            return 1;
        if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x100 && cp <= 0x17F && cp % 2 == 0))
            return 1;                                 /* accented capitals */
        if (cp == 0x201C || cp == 0x2018)             /* “ ‘ */
            return 1;
        if (cp == 0xA9)                               /* © 2016 Publisher */
            return 1;
    }
    return 0;
}

/* Structured-abstract label at i: uppercase words, then ':' and a section
 * that starts like a sentence ("RESULTS: Twelve", "AIM: To").  Returns the
 * offset just past the colon, or 0.  Requiring the capital after the colon
 * keeps acronyms used mid-sentence ("the CNS: the blood-brain barrier")
 * from starting sentences. */
static size_t label_at(const char *text, size_t len, size_t i)
{
    size_t letters = 0, first = 0, j = i;
    int in_first = 1;
    while (j < len) {
        unsigned char c = (unsigned char)text[j];
        if (is_upper(c)) {
            letters++;
            if (in_first)
                first++;
            j++;
        } else if ((c == ' ' || c == '/' || c == '&' || c == '-') && j + 1 < len && j > i
                   && is_upper((unsigned char)text[j - 1])
                   && (is_upper((unsigned char)text[j + 1]) || text[j + 1] == ' ')) {
            in_first = 0;
            j++;
        } else {
            break;
        }
    }
    if (j >= len || text[j] != ':' || letters < 3 || first < 2)
        return 0;
    size_t k = j + 1;
    if (k < len && !is_space((unsigned char)text[k]))
        return 0;
    while (k < len && is_space((unsigned char)text[k]))
        k++;
    if (k < len && !is_upper((unsigned char)text[k]) && !is_digit((unsigned char)text[k])
        && text[k] != '(' && text[k] != '[')
        return 0;
    return j + 1;
}

static int is_term(unsigned char c)
{
    return c == '.' || c == '!' || c == '?';
}

static int is_close(const char *text, size_t len, size_t j, size_t *n)
{
    unsigned char c = (unsigned char)text[j];
    *n = 1;
    if (c == ')' || c == ']' || c == '}' || c == '"' || c == '\'')
        return 1;
    /* ’ ” */
    if (c == 0xE2 && j + 2 < len && (unsigned char)text[j + 1] == 0x80
        && ((unsigned char)text[j + 2] == 0x99 || (unsigned char)text[j + 2] == 0x9D)) {
        *n = 3;
        return 1;
    }
    return 0;
}

lm_status lm_sentence_split(const char *text, size_t len, lm_spans *out, lm_error *err)
{
    out->n = 0;
    if (len > UINT32_MAX)
        return lm_error_set(err, LM_ERR_USAGE, "sentence split: text too long (%zu bytes)", len);
    if (len == 0)
        return LM_OK;
    unsigned char *inside = bracket_mask(text, len);
    if (!inside)
        return lm_error_set(err, LM_ERR_NOMEM, "sentence split: out of memory");
    size_t start = SIZE_MAX;   /* first byte of the open sentence */
    size_t end = 0;            /* one past its last non-space byte */
    size_t label_end = 0;
    size_t i = 0;
    lm_status st = LM_OK;
#define EMIT(e)                                                               \
    do {                                                                      \
        if (start != SIZE_MAX) {                                              \
            if (lm_spans_push(out, (uint32_t)start, (uint32_t)(e)) != LM_OK) { \
                st = lm_error_set(err, LM_ERR_NOMEM, "sentence split: out of memory"); \
                goto done;                                                    \
            }                                                                 \
            start = SIZE_MAX;                                                 \
        }                                                                     \
    } while (0)
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n' || c == '\r') {
            EMIT(end);
            i++;
            continue;
        }
        if (is_space(c)) {
            i++;
            continue;
        }
        if (i >= label_end && is_upper(c) && (i == 0 || is_space((unsigned char)text[i - 1]))
            && !inside[i]) {
            size_t l = label_at(text, len, i);
            if (l) {
                EMIT(end);
                label_end = l;   /* the label's own words start nothing */
            }
        }
        if (start == SIZE_MAX)
            start = i;
        end = i + 1;
        if (!is_term(c)) {
            i++;
            continue;
        }
        size_t j = i + 1, n;
        while (j < len && is_term((unsigned char)text[j]))
            j++;
        size_t run = j - i;
        while (j < len && is_close(text, len, j, &n))
            j += n;
        if (j < len && !is_space((unsigned char)text[j])) {
            i = j;          /* "0.05", "e.g.," : no break here */
            end = j;
            continue;
        }
        size_t k = j;
        while (k < len && is_space((unsigned char)text[k]) && text[k] != '\n' && text[k] != '\r')
            k++;
        int split;
        if (inside[i] && (j >= len || inside[j]))
            split = 0;      /* still within a bracket pair */
        else if (k >= len || text[k] == '\n' || text[k] == '\r')
            split = 1;
        else if (c == '.' && run == 1 && period_vetoed(text, start, i, (unsigned char)text[k]))
            split = 0;
        else
            split = starts_sentence(text, len, k);
        end = j;
        if (split)
            EMIT(j);
        i = j;
    }
    EMIT(end);
#undef EMIT
done:
    free(inside);
    return st;
}
