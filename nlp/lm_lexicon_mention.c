/*
 * Mention lookup: what a tagged mention the lexicon does not know as
 * written is read as.  Mention lookup (lm_lexicon_lookup_mention) adds
 * word-level rewrites on top of the key search, for text known to be one
 * tagged mention; lm_lexicon_lookup_composite reads a mention that names
 * several concepts ("ovarian and breast carcinoma") as its parts.
 *
 * Every rewrite is one more key search (lm_lexicon.c) for a rewritten
 * text, tried only when the text as written is unknown, the first known
 * form winning: a rule never changes what a name the lexicon knows
 * means.  find_rewrite below says the order: the chemical rewrites
 * (salt and class words here, the rest in lm_lexicon_chemical.c), the
 * disease rewordings of lm_lexicon_disease.c, then this file's last
 * guesses, for whole mentions only (a part of a composite is never
 * guessed at): a disease's name cut short, a misspelling one edit away
 * (variant 3).  Each rule says in its comment the names it is for;
 * docs/nlp.md (Concepts) says on which corpus they were found.
 */
#include "../util/lm_buf.h"
#include "lm_lexicon_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- mention lookup: word-level rewrites ---- */

/* Writes the words of w space-separated, word rep replaced by rep_with
 * (none when rep >= count). */
size_t lm_lexicon_join_words(const mwords *w, size_t rep, const char *rep_with,
                             char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < w->count; i++) {
        const char *s = i == rep ? rep_with : w->s[i];
        size_t n = i == rep ? strlen(rep_with) : w->n[i];
        if (o + n + 2 > cap)
            return 0;
        if (o)
            out[o++] = ' ';
        memcpy(out + o, s, n);
        o += n;
    }
    out[o] = '\0';
    return o;
}

/* The salts a drug is sold as that the tagger joins to its mention
 * (lm_lexicon_is_salt_word). */
static const char *const salt_names[] = {
    "hcl", "hydrochloride", "dihydrochloride", "hydrobromide", "maleate", "mesylate",
    "besylate", "citrate", "fumarate", "tartrate", "enanthate", "decanoate", "gluconate",
    NULL};

int lm_lexicon_is_salt_word(const char *w, size_t n)
{
    for (size_t i = 0; salt_names[i]; i++)
        if (strlen(salt_names[i]) == n && strncasecmp(w, salt_names[i], n) == 0)
            return 1;
    return 0;
}

/* Words dropped from a chemical's name when the rest is known, besides
 * salt_names: other salt and formulation words ("netilmicin sulfate" is
 * annotated as netilmicin), which the tagger does not join to a mention
 * as they stand outside one as often as inside. */
static const char *const salt_words[] = {
    "sulfate", "sulphate", "sodium", "potassium", "succinate", "bromide", "acetate",
    "phosphate", "nitrate", "calcium", "magnesium", "disodium", "monohydrate", "dihydrate",
    "trihydrate", "anhydrous", "salt", "salts", "base", "injection", "tablets", "oral",
    "intravenous", "iv", "radiolabeled", "radiolabelled", NULL};

/* A class of chemicals is named "... drugs" as often as "... agents", the
 * word MeSH uses ("beta-adrenergic blocking drugs"). */
static const char *const class_words[][2] = {
    {"drugs", "agents"}, {"drug", "agent"}, {"medications", "agents"}, {"medication", "agent"},
};

/* Index of the first key not sorted before key (n_keys if none). */
static size_t key_lower_bound(const lm_lexicon *lex, const char *key)
{
    size_t a = 0, b = lex->n_keys;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (strcmp(lex->strings + lex->key_off[m], key) < 0)
            a = m + 1;
        else
            b = m;
    }
    return a;
}

/* The concept of the first entry of key index ki that passes the filter,
 * -1 when none does. */
static long typed_concept(const lm_lexicon *lex, long ki, lm_ent_type type, const char *ns)
{
    for (uint32_t e = lex->first[ki]; e < lex->first[ki + 1]; e++)
        if (lm_lexicon_entry_ok(lex, &lex->entries[e], type, ns))
            return (long)lex->entries[e].concept;
    return -1;
}

/* The byte after key[0..p) in the first key that begins with key[0..p)
 * and sorts at or after key[0..p) from (the prefix followed by from; from
 * 0: the prefix alone), as an unsigned char; -1 when no key does.  Keys
 * sort by strcmp, so the bytes that follow a prefix come in increasing
 * order: walking them costs one lookup per byte that some key has there,
 * not one per byte that could be put there. */
static int next_byte_after(const lm_lexicon *lex, const char *key, size_t p, int from)
{
    char pre[LM_LEXICON_KEY_MAX + 2];
    if (from > 0xff)
        return -1;
    memcpy(pre, key, p);
    pre[p] = (char)from;
    pre[p + 1] = '\0';
    for (size_t k = key_lower_bound(lex, pre); k < lex->n_keys; k++) {
        const char *c = lex->strings + lex->key_off[k];
        if (strncmp(c, key, p) != 0)
            return -1;
        if (c[p] != '\0')
            return (unsigned char)c[p];
        /* the prefix itself, sorted first: the next key */
    }
    return -1;
}

/* Misspellings ("amphotercin", "tobramycn", "5 flourouracil", "fluorthyl"):
 * the key index of a known name one edit away (a letter deleted, inserted,
 * replaced, or two swapped).  Every such name is looked up, not only those
 * sorted next to the text (the neighbours of "fluorthyl" are hundreds of
 * "fluor..." names; "flurothyl" is not among them).  Only for normal forms
 * of 8 to LM_MISSPELLING_MAX bytes (the misspellings found in BC5CDR dev
 * are short names; a long mention is the costliest to search, for
 * nothing) with the first three kept, and no edit on or next to a digit
 * ("5-HT1A receptor" is not the 5-HT2A or 5-HT1B one), nor a digit put
 * at the end ("1,25-dihydroxyvitamin D" is the family, not calcitriol's
 * "1,25-dihydroxyvitamin D3").  -1 when there is none, or names of
 * several concepts. */
#define LM_MISSPELLING_MAX 40
static long find_misspelling(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                             const char *text, size_t len)
{
    char key[LM_LEXICON_KEY_MAX], v[LM_LEXICON_KEY_MAX + 1];
    size_t n = lm_lexicon_normalize(text, len, key, sizeof key);
    if (n < 8 || n > LM_MISSPELLING_MAX || n + 1 >= sizeof v)
        return -1;
    /* A name edited at p shares key[0..p): no edit after the longest
     * prefix key shares with a known name (with one of the names sorted
     * next to it) can make a known name. */
    size_t at = key_lower_bound(lex, key), shared = 0;
    for (size_t k = at > 0 ? at - 1 : 0; k <= at && k < lex->n_keys; k++) {
        const char *c = lex->strings + lex->key_off[k];
        size_t l = 0;
        while (l < n && c[l] == key[l])
            l++;
        shared = l > shared ? l : shared;
    }
    long found = -1, found_c = -1;
    /* edit 0: deletion at p, 1: swap of p and p+1, 2: c in place of
     * key[p], 3: c inserted before p */
    for (int edit = 0; edit < 4; edit++)
        for (size_t p = 3; p <= n && p <= shared; p++) {
            /* the bytes edited and their neighbours: no digit */
            size_t lo = p - 1, hi = edit == 3 ? p : edit == 1 ? p + 2 : p + 1;
            if ((edit < 3 && p == n) || (edit == 1 && (p + 1 == n || key[p] == key[p + 1])))
                continue;
            int digit = 0;
            for (size_t k = lo; k <= hi && k < n; k++)
                digit |= is_digit(key[k]);
            if (digit)
                continue;
            /* the byte put in: a letter or digit that some name has
             * after key[0..p) ("antithrombin deficiency" is
             * "antithrombin 3 deficiency") */
            for (int b = edit >= 2 ? next_byte_after(lex, key, p, 0) : 0; b >= 0;
                 b = edit >= 2 ? next_byte_after(lex, key, p, b + 1) : -1) {
                char c = (char)b;
                if (edit >= 2 && !(is_lower_ascii((unsigned char)c) || is_digit(c)))
                    continue;
                if (edit == 3 && p == n && is_digit(c))
                    continue;
                memcpy(v, key, n + 1);
                if (edit == 0)
                    memmove(v + p, v + p + 1, n - p);
                else if (edit == 1) {
                    v[p] = key[p + 1];
                    v[p + 1] = key[p];
                } else if (edit == 2) {
                    if (c == key[p])
                        continue;
                    v[p] = c;
                } else {
                    memmove(v + p + 1, v + p, n - p + 1);
                    v[p] = c;
                }
                long ki = lm_lexicon_find_key(lex, v);
                long con = ki >= 0 ? typed_concept(lex, ki, type, ns) : -1;
                if (con < 0 || ki == found)
                    continue;
                if (found >= 0 && con != found_c)
                    return -1;   /* names of two concepts one edit away: no guess */
                if (found < 0) {
                    found = ki;
                    found_c = con;
                }
            }
        }
    return found;
}

/* Damerau (optimal string alignment) distance of a and b, or cap + 1 when
 * it is more than cap. */
static int osa_distance(const char *a, size_t na, const char *b, size_t nb, int cap)
{
    if ((na > nb ? na - nb : nb - na) > (size_t)cap || nb > LM_LEXICON_KEY_MAX)
        return cap + 1;
    int rows[3][LM_LEXICON_KEY_MAX + 1];
    int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= nb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = (int)i;
        int best = cur[0];
        for (size_t j = 1; j <= nb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            int d = sub < del ? sub : del;
            d = d < ins ? d : ins;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
            best = d < best ? d : best;
        }
        if (best > cap)
            return cap + 1;
        int *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[nb] <= cap ? prev[nb] : cap + 1;
}

int lm_lexicon_has_near_name(const lm_lexicon *lex, const char *id, const char *text,
                             size_t len)
{
    char key[LM_LEXICON_KEY_MAX];
    size_t n = lm_lexicon_normalize(text, len, key, sizeof key);
    if (!lex || n < 12)
        return 0;
    size_t a = key_lower_bound(lex, key);
    size_t lo = a > 16 ? a - 16 : 0, hi = a + 16 < lex->n_keys ? a + 16 : lex->n_keys;
    for (size_t k = lo; k < hi; k++) {
        const char *c = lex->strings + lex->key_off[k];
        if (strncmp(c, key, 3) != 0 || osa_distance(key, n, c, strlen(c), 2) > 2)
            continue;
        for (uint32_t e = lex->first[k]; e < lex->first[k + 1]; e++)
            if (strcmp(lex->strings + lex->concepts[lex->entries[e].concept].id_off, id) == 0)
                return 1;
    }
    return 0;
}

/* A name cut short of how the vocabulary files it: "steatosis" (MeSH:
 * "steatosis, liver", "steatosis of liver"), "reye" (Reye syndrome),
 * "blind" (blindness), "startle" (startle reaction).  The key index of the
 * first known name that begins with key (a normal form of n bytes), when every
 * such name of the wanted type is one concept and the text is at least
 * half of the first; only for normal forms of 5 or more letters, and -1
 * when the names beginning so are too many to look through. */
static long find_name_start(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                            const char *key, size_t n)
{
    if (n < 5)
        return -1;
    size_t a = key_lower_bound(lex, key);
    long found = -1;
    uint32_t concept = 0;
    for (size_t k = a; k < lex->n_keys && strncmp(lex->strings + lex->key_off[k], key, n) == 0;
         k++) {
        if (k - a == 256)
            return -1;
        for (uint32_t e = lex->first[k]; e < lex->first[k + 1]; e++) {
            if (!lm_lexicon_entry_ok(lex, &lex->entries[e], type, ns))
                continue;
            if (found >= 0 && lex->entries[e].concept != concept)
                return -1;
            if (found < 0) {
                /* the text must be most of the name: "retinal" is not
                 * "retinal diseases" */
                if (2 * n < strlen(lex->strings + lex->key_off[k]))
                    return -1;
                found = (long)k;
                concept = lex->entries[e].concept;
            }
        }
    }
    return found;
}

/* Key index of the first rewrite of text that the lexicon knows, -1 if
 * none.  Chemicals: salt, formulation and radiolabel words dropped, a
 * formula, a class's "drugs" as "agents", then a leading locant, isomer
 * prefix or radiolabel, a leading metal, another word order, a plural
 * on an earlier word, substituents in alphabetical order, an action's
 * noun as its agents'.  Diseases: lm_lexicon_find_disease_words (synonyms, the head
 * word's noun form, leading modifiers, harm to an organ), then
 * lm_lexicon_find_disease_reworded, then a name cut short.  Both: at last a
 * misspelling one edit away (variant 3), for a chemical also of its name
 * without salt words. */
static long find_rewrite(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                         const char *text, size_t len, int whole, int *variant)
{
    mwords w;
    char buf[LM_LEXICON_KEY_MAX];
    *variant = 2;
    if (!split_words(text, len, &w) || w.count == 0)
        return -1;
    long ki;
    size_t n;
    mwords bare = {.count = 0};   /* a chemical's name without salt words */
    if (type == LM_ENT_CHEMICAL) {
        mwords k = {.count = 0};
        for (size_t i = 0; i < w.count; i++)
            if (!(lm_lexicon_is_salt_word(w.s[i], w.n[i]) ||
                  word_in_list(w.s[i], w.n[i], salt_words)) ||
                (i == 0 && word_in_list(w.s[i], w.n[i], lm_lexicon_metal_words))) {
                k.s[k.count] = w.s[i];
                k.n[k.count++] = w.n[i];
            }
        if (k.count && k.count < w.count) {
            bare = k;
            if ((n = lm_lexicon_join_words(&k, SIZE_MAX, NULL, buf, sizeof buf)) &&
                (ki = find_text(lex, type, ns, buf, n)) >= 0)
                return ki;
        }
        if (w.count == 1 && (ki = lm_lexicon_find_formula(lex, type, ns, text, len)) >= 0)
            return ki;
        size_t last = w.count - 1;
        for (size_t c = 0; c < sizeof class_words / sizeof class_words[0] && w.count > 1; c++)
            if (word_is(w.s[last], w.n[last], class_words[c][0]) &&
                (n = lm_lexicon_join_words(&w, last, class_words[c][1], buf, sizeof buf)) &&
                (ki = find_text(lex, type, ns, buf, n)) >= 0)
                return ki;
        /* on the text, not its first word: words split at commas
         * ("0,0'-diisopropyl phosphorofluoridate") */
        size_t lp = lm_lexicon_locant_prefix(text, len);
        if (!lp)
            lp = lm_lexicon_isomer_prefix(text, len);
        if (!lp)
            lp = lm_lexicon_label_prefix(text, len);
        if (lp && (ki = find_text(lex, type, ns, text + lp, len - lp)) >= 0)
            return ki;
        if ((ki = lm_lexicon_find_metal_salt(lex, type, ns, &w, &bare)) >= 0)
            return ki;
        if ((ki = lm_lexicon_find_reordered(lex, type, ns, text, len)) >= 0)
            return ki;
        if ((ki = lm_lexicon_find_inner_plural(lex, type, ns, &w)) >= 0)
            return ki;
        if ((ki = lm_lexicon_find_substituents_sorted(lex, type, ns, text, len)) >= 0)
            return ki;
        if ((ki = lm_lexicon_find_agent_noun(lex, type, ns, &w)) >= 0)
            return ki;
    }
    /* Only chemicals and diseases: a gene's name is not rewritten. */
    if (type != LM_ENT_DISEASE && type != LM_ENT_CHEMICAL)
        return -1;
    if (type == LM_ENT_DISEASE && (ki = lm_lexicon_find_disease_words(lex, ns, &w)) >= 0)
        return ki;
    if (type == LM_ENT_DISEASE && (ki = lm_lexicon_find_disease_reworded(lex, ns, &w)) >= 0)
        return ki;
    if (whole && type == LM_ENT_DISEASE) {
        char key[LM_LEXICON_KEY_MAX];
        size_t kn = lm_lexicon_normalize(text, len, key, sizeof key);
        if ((ki = find_name_start(lex, type, ns, key, kn)) >= 0)
            return ki;
    }
    *variant = 3;
    if (!whole)
        return -1;   /* a part is never read as a misspelling: not searched */
    ki = find_misspelling(lex, type, ns, text, len);
    if (ki < 0 && bare.count && (n = lm_lexicon_join_words(&bare, SIZE_MAX, NULL, buf, sizeof buf)))
        ki = find_misspelling(lex, type, ns, buf, n);   /* "sodium thiopenthal" */
    return ki;
}

/* A mention that spells its own abbreviation out inside it
 * ("gastrointestinal (GI) toxicity", "hepatitis B virus (HBV) infection",
 * "prostaglandin (PG) E2"): the length of text with the first
 * parenthesis after a word removed, when it holds one short word (at most
 * 10 bytes, no space) and text goes on after it; 0 otherwise. */
static size_t without_inner_abbrev(const char *text, size_t len, char *out, size_t cap)
{
    const char *open = memchr(text, '(', len);
    if (!open || open == text || open[-1] != ' ')
        return 0;
    size_t a = (size_t)(open - text), b = a + 1;
    while (b < len && text[b] != ')' && text[b] != ' ' && text[b] != '(')
        b++;
    if (b >= len || text[b] != ')' || b - a - 1 == 0 || b - a - 1 > 10 || b + 1 >= len ||
        len >= cap)
        return 0;
    size_t n = a - 1;   /* the space before '(' goes; the text after ')' keeps its own */
    memcpy(out, text, n);
    memcpy(out + n, text + b + 1, len - b - 1);
    n += len - b - 1;
    out[n] = '\0';
    return n;
}

/* whole: text is a whole mention, not a part of one (the last guesses,
 * a name cut short and a misspelling, are kept for whole mentions). */
static size_t lookup_mention(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                             const char *text, size_t len, int whole, lm_lexicon_match *out,
                             size_t max)
{
    size_t got = lm_lexicon_lookup_ns(lex, type, ns, text, len, out, max);
    if (got || !lex || max == 0)
        return got;
    if (ns && !*ns)
        ns = NULL;
    char bare[LM_LEXICON_KEY_MAX];
    size_t bn = without_inner_abbrev(text, len, bare, sizeof bare);
    if (bn)
        return lookup_mention(lex, type, ns, bare, bn, whole, out, max);
    int variant;
    long ki = find_rewrite(lex, type, ns, text, len, whole, &variant);
    if (ki < 0 || (!whole && variant == 3))
        return 0;
    return lm_lexicon_matches_of_form(lex, ki, type, ns, variant, out, max);
}

size_t lm_lexicon_lookup_mention(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                                 const char *text, size_t len, lm_lexicon_match *out,
                                 size_t max)
{
    return lookup_mention(lex, type, ns, text, len, 1, out, max);
}

/* ---- mentions naming several concepts ---- */

/* Appends the id of the words of part (as lm_lexicon_lookup_mention reads
 * them) to ids unless it is there already; 0 when they are unknown, or
 * when memory runs out, which also sets *nomem: the readings below give
 * up then rather than settle for fewer parts. */
static int add_part_id(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                       const mwords *part, lm_buf *ids, int *nomem)
{
    char buf[LM_LEXICON_KEY_MAX];
    size_t n = lm_lexicon_join_words(part, SIZE_MAX, NULL, buf, sizeof buf);
    lm_lexicon_match m;
    if (!n || !lookup_mention(lex, type, ns, buf, n, 0, &m, 1))
        return 0;
    size_t il = strlen(m.id);
    for (const char *p = lm_buf_cstr(ids); *p;) {
        size_t pl = strcspn(p, "|");
        if (pl == il && memcmp(p, m.id, il) == 0)
            return 1;
        p += pl + (p[pl] == '|');
    }
    if ((!ids->len || lm_buf_append_char(ids, '|') == LM_OK) &&
        lm_buf_append(ids, m.id, il) == LM_OK)
        return 1;
    *nomem = 1;
    return 0;
}

/* add_part_id of w[a..b) followed by tail[ta..tb) */
static int add_run_id(const lm_lexicon *lex, lm_ent_type type, const char *ns, const mwords *w,
                      size_t a, size_t b, const mwords *tail, size_t ta, size_t tb, lm_buf *ids,
                      int *nomem)
{
    mwords part = {.count = 0};
    mw_append(&part, w, a, b);
    if (tail)
        mw_append(&part, tail, ta, tb);
    return add_part_id(lex, type, ns, &part, ids, nomem);
}

static int is_conjunction(const char *w, size_t n)
{
    return word_is(w, n, "and") || word_is(w, n, "or") || word_is(w, n, "and/or") ||
           word_is(w, n, "&");
}

/* Coordinated names, "A[, B] and C": each conjunct alone ("myoclonic,
 * atonic and absence seizures" no; "renal or cardiovascular disorders"
 * no), a head shared from the right ("ovarian and breast carcinoma" =
 * ovarian carcinoma, breast carcinoma) or a modifier shared from the left
 * ("ventricular tachycardia and fibrillation", "cleft lip and palate"). */
static int coordinated_ids(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                           const char *text, size_t len, lm_buf *ids, int *nomem)
{
    mwords w;
    if (!split_words(text, len, &w) || w.count < 3)
        return 0;
    size_t c = 0;
    while (c < w.count && !is_conjunction(w.s[c], w.n[c]))
        c++;
    if (c == 0 || c + 1 >= w.count)
        return 0;
    /* conjuncts: runs of words ended by a comma before c, the run before
     * c, and the words after c */
    size_t cut[MW_MAX + 1], nc = 0;
    cut[nc++] = 0;
    for (size_t i = 0; i + 1 < c; i++) {
        const char *after = w.s[i] + w.n[i];
        if (after < text + len && *after == ',')
            cut[nc++] = i + 1;
    }
    cut[nc] = c;   /* conjunct k is w[cut[k] .. cut[k+1]), k < nc */
    size_t rn = w.count - c - 1, last_n = cut[nc] - cut[nc - 1];
    for (int how = 0; how < 3; how++) {
        lm_buf_reset(ids);
        int ok = 1;
        if (how == 0) {
            for (size_t k = 0; k < nc && ok; k++)
                ok = add_run_id(lex, type, ns, &w, cut[k], cut[k + 1], NULL, 0, 0, ids, nomem);
            ok = ok && add_run_id(lex, type, ns, &w, c + 1, w.count, NULL, 0, 0, ids, nomem);
        } else if (how == 1) {
            /* the last conjunct's head, after as many words as the others have */
            if (rn <= last_n)
                continue;
            size_t h = c + 1 + last_n;
            for (size_t k = 0; k < nc && ok; k++)
                ok = add_run_id(lex, type, ns, &w, cut[k], cut[k + 1], &w, h, w.count, ids, nomem);
            ok = ok && add_run_id(lex, type, ns, &w, c + 1, w.count, NULL, 0, 0, ids, nomem);
        } else {
            /* the first conjunct's modifiers before each of the others */
            if (cut[1] - cut[0] < 2)
                continue;
            ok = add_run_id(lex, type, ns, &w, cut[0], cut[1], NULL, 0, 0, ids, nomem);
            for (size_t k = 1; k <= nc && ok; k++) {
                size_t a = k < nc ? cut[k] : c + 1, b = k < nc ? cut[k + 1] : w.count;
                ok = add_run_id(lex, type, ns, &w, 0, cut[1] - 1, &w, a, b, ids, nomem);
            }
        }
        if (ok)
            return 1;
        if (*nomem)
            break;
    }
    lm_buf_reset(ids);
    return 0;
}

/* Two diseases written side by side, "myxedema coma", "postoperative
 * delirium", "eosinophilic myocarditis" (the first often an adjective):
 * both parts known, the second not a word for harm in general. */
static int juxtaposed_ids(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                          const char *text, size_t len, lm_buf *ids, int *nomem)
{
    mwords w;
    if (!split_words(text, len, &w) || w.count < 2 || w.count > 3)
        return 0;
    static const char *const kind_words[] = {"syndrome", "syndromes", "disease", "diseases",
                                             "illness", "condition", "conditions", NULL};
    for (size_t k = 1; k < w.count && !*nomem; k++) {
        if (k + 1 == w.count && (word_in_list(w.s[k], w.n[k], lm_lexicon_harm_words) ||
                                 word_in_list(w.s[k], w.n[k], kind_words)))
            continue;
        lm_buf_reset(ids);
        if (add_run_id(lex, type, ns, &w, 0, k, NULL, 0, 0, ids, nomem) &&
            add_run_id(lex, type, ns, &w, k, w.count, NULL, 0, 0, ids, nomem) &&
            strchr(lm_buf_cstr(ids), '|'))
            return 1;
    }
    lm_buf_reset(ids);
    return 0;
}

/* Two diseases fused into one word by a combining vowel, "choreoathetosis"
 * (chorea and athetosis), "choreoathetoid": one word, cut after an 'o'
 * into a first part of 4 or more letters that is a disease with an ending
 * put back (-a, -ia, -y, -e, or as it is) and a second of 6 or more that
 * is one as it is read alone. */
static int fused_ids(const lm_lexicon *lex, lm_ent_type type, const char *ns, const char *text,
                     size_t len, lm_buf *ids, int *nomem)
{
    if (len >= LM_LEXICON_KEY_MAX || memchr(text, ' ', len) || memchr(text, '-', len))
        return 0;
    static const char *const endings[] = {"a", "ia", "y", "e", ""};
    char first[LM_LEXICON_KEY_MAX + 4];
    for (size_t i = 4; i + 7 <= len && !*nomem; i++) {
        if (text[i] != 'o')
            continue;
        mwords second = {.count = 1};
        second.s[0] = text + i + 1;
        second.n[0] = len - i - 1;
        for (size_t e = 0; e < sizeof endings / sizeof endings[0]; e++) {
            int fn = snprintf(first, sizeof first, "%.*s%s", (int)i, text, endings[e]);
            mwords head = {.count = 1};
            head.s[0] = first;
            head.n[0] = (size_t)fn;
            lm_buf_reset(ids);
            if (add_part_id(lex, type, ns, &head, ids, nomem) &&
                add_part_id(lex, type, ns, &second, ids, nomem) && strchr(lm_buf_cstr(ids), '|'))
                return 1;
        }
    }
    lm_buf_reset(ids);
    return 0;
}

int lm_lexicon_lookup_composite(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                                const char *text, size_t len, lm_buf *ids)
{
    lm_buf_reset(ids);
    if (!lex || type != LM_ENT_DISEASE)
        return 0;
    if (ns && !*ns)
        ns = NULL;
    int nomem = 0;
    int found = coordinated_ids(lex, type, ns, text, len, ids, &nomem) ||
                (!nomem && juxtaposed_ids(lex, type, ns, text, len, ids, &nomem)) ||
                (!nomem && fused_ids(lex, type, ns, text, len, ids, &nomem));
    if (nomem) {
        lm_buf_reset(ids);
        return -1;
    }
    return found;
}
