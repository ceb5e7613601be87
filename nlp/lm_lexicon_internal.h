/*
 * lm_lexicon_internal: what the lexicon's files share — lm_lexicon.c (the
 * arrays, the file, the key search), lm_lexicon_builder.c,
 * lm_lexicon_mention.c and its rules in lm_lexicon_chemical.c and
 * lm_lexicon_disease.c.  Not a public interface: callers outside
 * nlp/lm_lexicon*.c use lm_lexicon.h.
 *
 * A key index ("ki") is a position in the sorted key array, -1 for none;
 * every rewrite of mention lookup returns one, and
 * lm_lexicon_matches_of_form turns it into matches.  The small byte and
 * word helpers are static inline, each file that reads words compiling
 * them with its own code (lm_lexicon_join_words excepted: see there).
 */
#ifndef LM_LEXICON_INTERNAL_H
#define LM_LEXICON_INTERNAL_H

#include "../util/lm_mapcache.h"
#include "lm_lexicon.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* ---- the built lexicon (lm_lexicon.c) ---- */

typedef struct lex_concept {
    uint32_t id_off, name_off, types, classes, xref_off, trees_off;
} lex_concept;

typedef struct lex_entry {
    uint32_t concept;
    uint32_t count;
    uint16_t score;   /* dictionary score in thousandths; 0 = none */
    uint8_t type;
    uint8_t flags;
} lex_entry;

struct lm_lexicon {
    lm_mapcache *mapped;   /* the cache the arrays point into, or NULL */
    char *strings;
    uint32_t strings_len;
    uint32_t n_concepts, n_keys, n_entries;
    lex_concept *concepts;
    uint32_t *key_off;     /* n_keys */
    uint32_t *first;       /* n_keys + 1 */
    lex_entry *entries;
};

/* ---- ASCII classes (the normal form, the chemical rules) ---- */

static inline int is_lower_ascii(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}

static inline int is_alpha_ascii(unsigned char c)
{
    return is_lower_ascii(c) || (c >= 'A' && c <= 'Z');
}

static inline int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline int is_alnum_ascii(unsigned char c)
{
    return is_alpha_ascii(c) || is_digit((char)c);
}

/* ---- key search (lm_lexicon.c) ---- */

/* Key index of the exact normal form key, -1 if none. */
long lm_lexicon_find_key(const lm_lexicon *lex, const char *key);
/* Does entry e satisfy the type and namespace filters? */
int lm_lexicon_entry_ok(const lm_lexicon *lex, const lex_entry *e, lm_ent_type want,
                        const char *ns);
/* Key index of the first form of key (exact, then singular/plural) that has
 * an entry of the wanted type; variant: 0 exact, 1 another form. */
long lm_lexicon_find_form(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                          const char *key, size_t n, int *variant);
/* The entries of key index ki that pass the type/namespace filter, as
 * matches of the given variant (0 exact, 1 another form, 2 a rewrite, 3 a
 * misspelling). */
size_t lm_lexicon_matches_of_form(const lm_lexicon *lex, long ki, lm_ent_type type,
                                  const char *ns, int variant, lm_lexicon_match *out,
                                  size_t max);

/* ---- the words of a mention (lm_lexicon_mention.c and its rules) ---- */

#define MW_MAX 24

typedef struct mwords {
    const char *s[MW_MAX];
    size_t n[MW_MAX];
    size_t count;
} mwords;

static inline int word_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(w, lit, n) == 0;
}

static inline int word_in_list(const char *w, size_t n, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (word_is(w, n, list[i]))
            return 1;
    return 0;
}

/* Splits text into words at spaces and commas.  Returns 0 when the text
 * has too many words. */
static inline int split_words(const char *text, size_t len, mwords *w)
{
    w->count = 0;
    size_t i = 0;
    while (i < len) {
        if (text[i] == ' ' || text[i] == ',' || text[i] == '\t') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && text[j] != ' ' && text[j] != ',' && text[j] != '\t')
            j++;
        if (w->count == MW_MAX)
            return 0;
        w->s[w->count] = text + i;
        w->n[w->count] = j - i;
        w->count++;
        i = j;
    }
    return 1;
}

static inline void mw_drop(mwords *w, size_t i)
{
    memmove(w->s + i, w->s + i + 1, (w->count - i - 1) * sizeof w->s[0]);
    memmove(w->n + i, w->n + i + 1, (w->count - i - 1) * sizeof w->n[0]);
    w->count--;
}

/* Writes the words of w space-separated, word rep replaced by rep_with
 * (none when rep >= count).  A function, not inline: inlined where rep is
 * past the words, GCC's -Wnonnull sees the strlen(rep_with) of a NULL
 * rep_with that never runs. */
size_t lm_lexicon_join_words(const mwords *w, size_t rep, const char *rep_with,
                             char *out, size_t cap);

static inline long find_text(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                             const char *text, size_t len)
{
    char key[LM_LEXICON_KEY_MAX];
    size_t n = lm_lexicon_normalize(text, len, key, sizeof key);
    int variant;
    return n ? lm_lexicon_find_form(lex, type, ns, key, n, &variant) : -1;
}

/* Appends src[a..b) to dst (as far as it has room). */
static inline void mw_append(mwords *dst, const mwords *src, size_t a, size_t b)
{
    for (size_t i = a; i < b && dst->count < MW_MAX; i++) {
        dst->s[dst->count] = src->s[i];
        dst->n[dst->count++] = src->n[i];
    }
}

/* ---- chemical rewrites (lm_lexicon_chemical.c) ---- */

extern const char *const lm_lexicon_metal_words[];
size_t lm_lexicon_locant_prefix(const char *s, size_t n);
size_t lm_lexicon_isomer_prefix(const char *s, size_t n);
size_t lm_lexicon_label_prefix(const char *s, size_t n);
long lm_lexicon_find_formula(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                             const char *text, size_t len);
long lm_lexicon_find_metal_salt(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                                const mwords *w, mwords *bare);
long lm_lexicon_find_reordered(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                               const char *text, size_t len);
long lm_lexicon_find_inner_plural(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                                  const mwords *w);
long lm_lexicon_find_substituents_sorted(const lm_lexicon *lex, lm_ent_type type,
                                         const char *ns, const char *text, size_t len);
long lm_lexicon_find_agent_noun(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                                const mwords *w);

/* ---- disease rewordings (lm_lexicon_disease.c) ---- */

extern const char *const lm_lexicon_harm_words[];
long lm_lexicon_find_disease_words(const lm_lexicon *lex, const char *ns, const mwords *w);
long lm_lexicon_find_disease_reworded(const lm_lexicon *lex, const char *ns, const mwords *w);

#endif
