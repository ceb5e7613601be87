/*
 * lm_words: words, stopwords, stemming, Greek letters and hashing.
 *
 * The word splitter is deliberately simpler than nlp/lm_token: search and
 * the embedding model want comparable units on both sides (query and
 * document), not linguistically exact tokens, and they run over every
 * abstract at several thousand documents per second per core.  It mirrors
 * what SQLite's unicode61 tokenizer does (runs of letters and digits) so a
 * word of ours is a token to FTS5, except that Greek letters are spelled
 * out, which the biomedical literature does interchangeably.
 */
#include "lm_words.h"

#include "lm_utf8.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void lm_words_init(lm_words *w)
{
    memset(w, 0, sizeof *w);
}

void lm_words_free(lm_words *w)
{
    free(w->v);
    lm_words_init(w);
}

static const char *const greek_names[] = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi",
    "rho", "sigma", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"};

/* Spelled-out name of a Greek letter (either case), or NULL. */
static const char *greek_name(uint32_t cp)
{
    if (cp >= 0x3b1 && cp <= 0x3c9)
        return greek_names[cp - 0x3b1];
    if (cp >= 0x391 && cp <= 0x3a9 && cp != 0x3a2)
        return greek_names[cp - 0x391];
    if (cp == 0xb5)   /* micro sign, as in µM */
        return "mu";
    return NULL;
}

/* Letters and digits of the scripts abstracts use; everything non-ASCII
 * that is not obviously punctuation or a symbol counts as a letter. */
static int is_word_cp(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    if (cp == 0xb5)
        return 1;
    if (cp < 0xc0 || cp == 0xd7 || cp == 0xf7)
        return 0;
    if (cp >= 0x2000 && cp <= 0x2bff)   /* punctuation, arrows, math operators */
        return 0;
    if (cp >= 0x3000 && cp <= 0x303f)
        return 0;
    if (cp == 0xfeff || cp == LM_UTF8_REPLACEMENT)
        return 0;
    return 1;
}

/* Accent folding for the Latin-1 and Latin Extended-A letters that occur
 * in author-written abstracts (é -> e), as unicode61's remove_diacritics. */
static char fold_latin(uint32_t cp)
{
    static const char l1[] = "aaaaaaaceeeeiiiidnooooo/ouuuuyty"; /* U+00E0..U+00FF */
    if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
        cp += 0x20;
    if (cp >= 0xe0 && cp <= 0xff && cp != 0xf7 && cp != 0xe6 && cp != 0xf0 && cp != 0xfe &&
        cp != 0xdf)
        return l1[cp - 0xe0];
    if (cp >= 0x100 && cp <= 0x17f) {
        static const char ea[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiijjjjkkk"
                                 "llllllllllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuu"
                                 "wwyyyzzzzzzs";
        size_t i = cp - 0x100;
        if (i < sizeof ea - 1)
            return ea[i];
    }
    return 0;
}

static lm_status words_push(lm_words *w, lm_error *err)
{
    if (w->n == w->cap) {
        size_t nc = w->cap ? 2 * w->cap : 64;
        lm_word *nv = realloc(w->v, nc * sizeof *nv);
        if (!nv)
            return lm_error_set(err, LM_ERR_NOMEM, "splitting words: out of memory");
        w->v = nv;
        w->cap = nc;
    }
    memset(&w->v[w->n], 0, sizeof w->v[w->n]);
    return LM_OK;
}

static void word_add(lm_word *wd, const char *s, size_t n)
{
    for (size_t i = 0; i < n && wd->len < LM_WORD_MAX; i++)
        wd->norm[wd->len++] = s[i];
    wd->norm[wd->len] = '\0';
}

lm_status lm_words_split(const char *text, size_t len, lm_words *w, lm_error *err)
{
    w->n = 0;
    size_t i = 0;
    lm_word *cur = NULL;
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        uint32_t cp;
        size_t n;
        if (c < 0x80) {
            cp = c;
            n = 1;
        } else {
            n = lm_utf8_decode(text + i, len - i, &cp);
            if (n == 0) {
                cp = LM_UTF8_REPLACEMENT;
                n = 1;
            }
        }
        if (!is_word_cp(cp)) {
            cur = NULL;
            i += n;
            continue;
        }
        if (!cur) {
            lm_status st = words_push(w, err);
            if (st != LM_OK)
                return st;
            cur = &w->v[w->n++];
            cur->start = (uint32_t)i;
        }
        cur->end = (uint32_t)(i + n);
        if (cp < 0x80) {
            char ch = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
            word_add(cur, &ch, 1);
            if (ch >= '0' && ch <= '9')
                cur->has_digit = 1;
            else
                cur->has_alpha = 1;
        } else {
            const char *g = greek_name(cp);
            char f = g ? 0 : fold_latin(cp);
            if (g)
                word_add(cur, g, strlen(g));
            else if (f)
                word_add(cur, &f, 1);
            else
                word_add(cur, text + i, n);
            cur->has_alpha = 1;
        }
        i += n;
    }
    return LM_OK;
}

/* ---- stopwords ---------------------------------------------------------- */

static const char *const stopwords[] = {
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
    "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between",
    "both", "but", "by", "can", "could", "did", "do", "does", "doing", "done", "down",
    "during", "each", "either", "et", "etc", "few", "for", "from", "further", "had", "has",
    "have", "having", "he", "her", "here", "hers", "him", "his", "how", "however", "i",
    "if", "in", "into", "is", "it", "its", "itself", "just", "may", "me", "might", "more",
    "most", "much", "must", "my", "no", "nor", "not", "of", "off", "on", "once", "only",
    "or", "other", "our", "ours", "out", "over", "own", "same", "she", "should", "so",
    "some", "such", "than", "that", "the", "their", "theirs", "them", "then", "there",
    "these", "they", "this", "those", "through", "thus", "to", "too", "under", "until",
    "up", "upon", "us", "very", "via", "was", "we", "were", "what", "when", "where",
    "whether", "which", "while", "who", "whom", "whose", "why", "will", "with", "within",
    "without", "would", "yet", "you", "your", "yours"};

int lm_words_is_stopword(const char *norm, size_t len)
{
    size_t lo = 0, hi = sizeof stopwords / sizeof stopwords[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *s = stopwords[mid];
        size_t sl = strlen(s);
        int c = strncmp(s, norm, sl < len ? sl : len);
        if (c == 0)
            c = sl < len ? -1 : sl > len ? 1 : 0;
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* ---- stemming ----------------------------------------------------------- */

static int is_vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

static int ends(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && memcmp(s + n - k, suf, k) == 0;
}

static int has_vowel(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_vowel(s[i]))
            return 1;
    return 0;
}

/* Copies norm into out (cut to cap - 1 bytes) and says whether it is a
 * plain lowercase word a stemmer may touch: words with digits or
 * non-ASCII letters are identifiers and stay whole. */
static int stem_prepare(const char *norm, size_t len, char *out, size_t cap, size_t *n)
{
    *n = len < cap - 1 ? len : cap - 1;
    memcpy(out, norm, *n);
    out[*n] = '\0';
    for (size_t i = 0; i < *n; i++)
        if (!(out[i] >= 'a' && out[i] <= 'z'))
            return 0;
    return 1;
}

size_t lm_words_stem(const char *norm, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    if (cap == 0 || !stem_prepare(norm, len, out, cap, &n) || n <= 3)
        return n;
    if (ends(out, n, "sses"))
        n -= 2;
    else if (ends(out, n, "ies") && n > 4)
        n -= 2, out[n - 1] = 'i';
    else if (out[n - 1] == 's' && !ends(out, n, "ss") && !ends(out, n, "us") &&
             !ends(out, n, "is") && n > 4)
        n -= 1;
    if (ends(out, n, "ied") && n > 4)
        n -= 2, out[n - 1] = 'i';
    else if ((ends(out, n, "ing") && n >= 6 && has_vowel(out, n - 3)) ||
             (ends(out, n, "ed") && n >= 5 && has_vowel(out, n - 2))) {
        n -= out[n - 1] == 'g' ? 3 : 2;
        if (n >= 2 && out[n - 1] == out[n - 2] && !is_vowel(out[n - 1]) && out[n - 1] != 'l' &&
            out[n - 1] != 's' && out[n - 1] != 'z')
            n--;
    }
    if (ends(out, n, "ational") && n > 8)
        n -= 4;   /* -> "at" */
    else if (ends(out, n, "tion") && n > 6)
        n -= 3;   /* activation -> activat */
    else if (ends(out, n, "ly") && n > 5)
        n -= 2;
    if (n > 4 && out[n - 1] == 'e')
        n--;
    if (n > 3 && out[n - 1] == 'y')
        out[n - 1] = 'i';
    out[n] = '\0';
    return n;
}

/* ---- Porter's stemmer ---------------------------------------------------- */

/* The word being stemmed: w[0..n), written from M. F. Porter's 1980
 * description ("An algorithm for suffix stripping"), with its two
 * later amendments (-bli -> -ble, -logi -> -log). */
typedef struct pword {
    char *w;
    size_t n;
} pword;

/* Porter's consonant: not a vowel, and y only after a vowel. */
static int p_cons(const pword *p, size_t i)
{
    switch (p->w[i]) {
    case 'a': case 'e': case 'i': case 'o': case 'u': return 0;
    case 'y': return i == 0 ? 1 : !p_cons(p, i - 1);
    default: return 1;
    }
}

/* m: the number of vowel-consonant sequences in w[0..j). */
static int p_measure(const pword *p, size_t j)
{
    int m = 0;
    size_t i = 0;
    while (i < j && p_cons(p, i))
        i++;
    while (i < j) {
        while (i < j && !p_cons(p, i))
            i++;
        if (i >= j)
            break;
        while (i < j && p_cons(p, i))
            i++;
        m++;
    }
    return m;
}

static int p_has_vowel(const pword *p, size_t j)
{
    for (size_t i = 0; i < j; i++)
        if (!p_cons(p, i))
            return 1;
    return 0;
}

/* w[0..j) ends in a double consonant. */
static int p_double(const pword *p, size_t j)
{
    return j >= 2 && p->w[j - 1] == p->w[j - 2] && p_cons(p, j - 1);
}

/* w[0..j) ends consonant-vowel-consonant, the last not w, x or y. */
static int p_cvc(const pword *p, size_t j)
{
    if (j < 3 || !p_cons(p, j - 1) || p_cons(p, j - 2) || !p_cons(p, j - 3))
        return 0;
    char c = p->w[j - 1];
    return c != 'w' && c != 'x' && c != 'y';
}

static int p_ends(const pword *p, const char *suf, size_t *stem)
{
    size_t k = strlen(suf);
    /* The last letter first: it rules out nearly every suffix. */
    if (p->n < k || p->w[p->n - 1] != suf[k - 1] || memcmp(p->w + p->n - k, suf, k) != 0)
        return 0;
    *stem = p->n - k;
    return 1;
}

/* Replaces the suffix after stem with rep. */
static void p_set(pword *p, size_t stem, const char *rep)
{
    size_t k = strlen(rep);
    memcpy(p->w + stem, rep, k);
    p->n = stem + k;
}

typedef struct p_rule {
    const char *suffix, *replacement;
} p_rule;

/* The first rule whose suffix matches applies when the stem's measure
 * exceeds min_m; later rules are not tried either way. */
static void p_rules(pword *p, const p_rule *rules, size_t n, int min_m)
{
    for (size_t i = 0; i < n; i++) {
        size_t stem;
        if (p_ends(p, rules[i].suffix, &stem)) {
            if (p_measure(p, stem) > min_m)
                p_set(p, stem, rules[i].replacement);
            return;
        }
    }
}

static void p_step1(pword *p)
{
    size_t stem;
    if (p_ends(p, "sses", &stem) || p_ends(p, "ies", &stem))
        p->n -= 2;
    else if (!p_ends(p, "ss", &stem) && p_ends(p, "s", &stem))
        p->n -= 1;
    int cut = 0;
    if (p_ends(p, "eed", &stem)) {
        if (p_measure(p, stem) > 0)
            p->n -= 1;
    } else if (p_ends(p, "ed", &stem) && p_has_vowel(p, stem)) {
        p->n = stem, cut = 1;
    } else if (p_ends(p, "ing", &stem) && p_has_vowel(p, stem)) {
        p->n = stem, cut = 1;
    }
    if (cut) {
        if (p_ends(p, "at", &stem) || p_ends(p, "bl", &stem) || p_ends(p, "iz", &stem)) {
            p->w[p->n++] = 'e';
        } else if (p_double(p, p->n)) {
            char c = p->w[p->n - 1];
            if (c != 'l' && c != 's' && c != 'z')
                p->n--;
        } else if (p_measure(p, p->n) == 1 && p_cvc(p, p->n)) {
            p->w[p->n++] = 'e';
        }
    }
    if (p_ends(p, "y", &stem) && p_has_vowel(p, stem))
        p->w[p->n - 1] = 'i';
}

static const p_rule p_step2[] = {
    {"ational", "ate"}, {"tional", "tion"}, {"enci", "ence"},   {"anci", "ance"},
    {"izer", "ize"},    {"bli", "ble"},     {"alli", "al"},     {"entli", "ent"},
    {"eli", "e"},       {"ousli", "ous"},   {"ization", "ize"}, {"ation", "ate"},
    {"ator", "ate"},    {"alism", "al"},    {"iveness", "ive"}, {"fulness", "ful"},
    {"ousness", "ous"}, {"aliti", "al"},    {"iviti", "ive"},   {"biliti", "ble"},
    {"logi", "log"},
};

static const p_rule p_step3[] = {
    {"icate", "ic"}, {"ative", ""}, {"alize", "al"}, {"iciti", "ic"},
    {"ical", "ic"},  {"ful", ""},   {"ness", ""},
};

static void p_step4(pword *p)
{
    static const char *const suffixes[] = {
        "al",  "ance", "ence", "er",  "ic",  "able", "ible", "ant", "ement", "ment",
        "ent", "ion",  "ou",   "ism", "ate", "iti",  "ous",  "ive", "ize",
    };
    /* Longest match first, as Porter's table is ordered by the letter
     * before last; "ement" before "ment" before "ent" matters. */
    size_t best = 0, best_stem = 0;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t stem, k = strlen(suffixes[i]);
        if (k > best && p_ends(p, suffixes[i], &stem)) {
            if (strcmp(suffixes[i], "ion") == 0 &&
                !(stem > 0 && (p->w[stem - 1] == 's' || p->w[stem - 1] == 't')))
                continue;
            best = k;
            best_stem = stem;
        }
    }
    if (best && p_measure(p, best_stem) > 1)
        p->n = best_stem;
}

static void p_step5(pword *p)
{
    size_t stem;
    if (p_ends(p, "e", &stem)) {
        int m = p_measure(p, stem);
        if (m > 1 || (m == 1 && !p_cvc(p, stem)))
            p->n = stem;
    }
    if (p->n > 1 && p->w[p->n - 1] == 'l' && p_double(p, p->n) && p_measure(p, p->n) > 1)
        p->n--;
}

size_t lm_words_porter(const char *norm, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    if (cap == 0 || !stem_prepare(norm, len, out, cap, &n) || n <= 2)
        return n;
    /* Steps only shorten the word or grow it by one letter after cutting
     * at least two, so out never overflows. */
    pword p = {out, n};
    p_step1(&p);
    p_rules(&p, p_step2, sizeof p_step2 / sizeof p_step2[0], 0);
    p_rules(&p, p_step3, sizeof p_step3 / sizeof p_step3[0], 0);
    p_step4(&p);
    p_step5(&p);
    out[p.n] = '\0';
    return p.n;
}

uint64_t lm_words_hash(const char *s, size_t len, uint64_t seed)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 31;
    h *= 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

/* ---- Greek letters ------------------------------------------------------ */

/* The Greek letter a spelled-out name stands for ("alpha" -> "α"), as
 * UTF-8 in out[3]; 0 when norm is no such name. */
int lm_words_greek_symbol(const char *norm, size_t len, char out[3])
{
    for (size_t i = 0; i < sizeof greek_names / sizeof greek_names[0]; i++) {
        uint32_t cp = 0x3b1 + (uint32_t)i;
        if (cp == 0x3c2)   /* final sigma: "sigma" is σ */
            continue;
        if (strlen(greek_names[i]) == len && memcmp(greek_names[i], norm, len) == 0) {
            out[0] = (char)(0xc0 | (cp >> 6));
            out[1] = (char)(0x80 | (cp & 0x3f));
            out[2] = '\0';
            return 1;
        }
    }
    return 0;
}
