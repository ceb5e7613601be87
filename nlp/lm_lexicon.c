/*
 * Lexicon core: name normalization, the builder, the binary file and
 * lookup.  (The importers live in lm_lexicon_import.c.)
 *
 * LONG-FILE: frozen while issue 12's NLP work is open; to split
 * (normalisation, builder, file format, lookup) after it merges.
 *
 * Representation.  A built lexicon is four flat arrays: concepts (id, name,
 * types), a sorted array of normalised names (keys), for each key a run of
 * entries (concept, type, flags, score, count) ordered best first, and one
 * string blob.  Lookup is a binary search over the keys — no hash table to
 * rebuild at load time, so loading is reading + inflating + validating the
 * file, and the structure is naturally read-only and thread-safe.
 *
 * The builder collects raw entries (normalised key, concept, source) and
 * resolves them at finish: duplicates merge (best score, union of flags,
 * summed counts), then the ambiguity rules apply per (name, type) group:
 * corpus names keep only their most frequent id, and a gene name that is
 * somebody's official symbol drops the genes for which it is only a synonym.
 * Before finish, a bridge may copy one vocabulary's names onto another's ids
 * through the names they share (DrugBank synonyms onto MeSH ids).
 *
 * Mention lookup (lm_lexicon_lookup_mention) adds word-level rewrites on
 * top of the key search, for text known to be one tagged mention.
 *
 * Loading maps a cache of the file when there is one (util/lm_mapcache.h,
 * lm_lexicon_load): the four arrays and the strings as they are in
 * memory, so a mapped lexicon only sets its pointers.
 *
 * File.  40-byte header — magic "LMLEX\0\r\n", version, flags, raw and
 * stored payload sizes, CRC-32 of the stored payload and of the header —
 * then the zlib-deflated payload.  All integers little-endian.  Every
 * offset and index is validated at load so a file that passes the checksum
 * but was written by a buggy tool still cannot make lookups read out of
 * bounds.
 */
#include "../util/lm_buf.h"
#include "../util/lm_le.h"
#include "../util/lm_sort.h"
#include "../util/lm_file.h"
#include "../util/lm_mapcache.h"
#include "lm_lexicon.h"

#include "../util/lm_utf8.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

/* ---- normalization ---- */

static const char *const greek[25] = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
    "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "sigma",
    "tau", "upsilon", "phi", "chi", "psi", "omega"};

/* ASCII spelling of U+00C0..U+00FF ("" = separator). */
static const char *const latin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y"};

/* British -> American spellings, applied inside a token.  Every target is
 * shorter than its source so the rewrite happens in place. */
static const struct {
    const char *from, *to;
    size_t flen, tlen;
} spelling[] = {
#define SP(a, b) {a, b, sizeof a - 1, sizeof b - 1}
    SP("tumour", "tumor"),
    SP("behaviour", "behavior"),
    SP("colour", "color"),
    SP("aemia", "emia"),
    SP("haem", "hem"),
    SP("oedem", "edem"),
    SP("oesophag", "esophag"),
    SP("ischaem", "ischem"),
    SP("oea", "ea"),
    SP("oestr", "estr"),
    SP("foet", "fet"),
    SP("paediatr", "pediatr"),
    SP("anaesth", "anesth"),
    SP("sulph", "sulf"),
    SP("orthopaed", "orthoped"),
    SP("gynaec", "gynec"),
    SP("leucocyt", "leukocyt"),
    SP("aluminium", "aluminum"),
    SP("caesium", "cesium"),
    SP("aetiol", "etiol"),
#undef SP
};

static const struct {
    const char *roman, *digit;
} romans[] = {
    {"ii", "2"}, {"iii", "3"}, {"iv", "4"}, {"vi", "6"}, {"vii", "7"}, {"viii", "8"}, {"ix", "9"},
};

typedef struct normw {
    char *out;
    size_t cap, n;
    int overflow;
    size_t tok;          /* start of the current token in out */
    char prev[12];       /* previous token, for "type I" */
} normw;

static void nw_put(normw *w, const char *s, size_t n)
{
    if (w->n + n + 1 > w->cap) {
        w->overflow = 1;
        return;
    }
    memcpy(w->out + w->n, s, n);
    w->n += n;
}

static void nw_end_token(normw *w)
{
    char *t = w->out + w->tok;
    size_t n = w->n - w->tok;
    if (n == 0)
        return;
    /* spelling variants */
    size_t r = 0, o = 0;
    while (r < n) {
        size_t k = 0;
        for (; k < sizeof spelling / sizeof spelling[0]; k++) {
            size_t fl = spelling[k].flen;
            if (fl <= n - r && t[r] == spelling[k].from[0] &&
                memcmp(t + r, spelling[k].from, fl) == 0)
                break;
        }
        if (k < sizeof spelling / sizeof spelling[0]) {
            memmove(t + o, spelling[k].to, spelling[k].tlen);
            o += spelling[k].tlen;
            r += spelling[k].flen;
        } else {
            t[o++] = t[r++];
        }
    }
    n = o;
    /* Roman numerals standing alone */
    int roman = 0;
    for (size_t k = 0; k < sizeof romans / sizeof romans[0] && !roman; k++) {
        if (strlen(romans[k].roman) == n && memcmp(t, romans[k].roman, n) == 0) {
            t[0] = romans[k].digit[0];
            n = 1;
            roman = 1;
        }
    }
    if (!roman && n == 1 && t[0] == 'i') {
        static const char *const before_one[] = {"type", "class", "grade", "stage", "phase",
                                                 "factor", "complex"};
        for (size_t k = 0; k < sizeof before_one / sizeof before_one[0]; k++)
            if (strcmp(w->prev, before_one[k]) == 0)
                t[0] = '1';
    }
    if (n < sizeof w->prev) {
        memcpy(w->prev, t, n);
        w->prev[n] = '\0';
    } else {
        w->prev[0] = '\0';
    }
    w->n = w->tok + n;
    w->tok = w->n;
}

static int is_lower_ascii(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}

static int is_alpha_ascii(unsigned char c)
{
    return is_lower_ascii(c) || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum_ascii(unsigned char c)
{
    return is_alpha_ascii(c) || is_digit((char)c);
}

size_t lm_lexicon_normalize(const char *text, size_t len, char *out, size_t cap)
{
    if (!out || cap == 0)
        return 0;
    normw w = {out, cap, 0, 0, 0, ""};
    size_t i = 0;
    while (i < len && !w.overflow) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x80) {
            if (is_alnum_ascii(c)) {
                char l = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
                nw_put(&w, &l, 1);
            } else if (c == '\'' && i + 1 < len && (text[i + 1] == 's' || text[i + 1] == 'S') &&
                       (i + 2 == len || !is_alnum_ascii((unsigned char)text[i + 2]))) {
                nw_end_token(&w);
                i += 2;   /* possessive 's */
                continue;
            } else {
                nw_end_token(&w);
            }
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = lm_utf8_decode(text + i, len - i, &cp);
        if (n == 0) {   /* invalid byte: a separator */
            nw_end_token(&w);
            i++;
            continue;
        }
        if (cp >= 0x3B1 && cp <= 0x3C9) {
            nw_put(&w, greek[cp - 0x3B1], strlen(greek[cp - 0x3B1]));
        } else if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) {
            nw_put(&w, greek[cp - 0x391], strlen(greek[cp - 0x391]));
        } else if (cp == 0xB5) {
            nw_put(&w, "mu", 2);
        } else if (cp >= 0xC0 && cp <= 0xFF && latin1[cp - 0xC0][0]) {
            nw_put(&w, latin1[cp - 0xC0], strlen(latin1[cp - 0xC0]));
        } else if ((cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||
                   (cp >= 0x2000 && cp <= 0x206F) || cp == 0x2212) {
            /* apostrophes ’ and ′ before a possessive s */
            if ((cp == 0x2019 || cp == 0x2032) && i + n < len &&
                (text[i + n] == 's' || text[i + n] == 'S') &&
                (i + n + 1 == len || !is_alnum_ascii((unsigned char)text[i + n + 1]))) {
                nw_end_token(&w);
                i += n + 1;
                continue;
            }
            nw_end_token(&w);
        } else {
            nw_put(&w, text + i, n);   /* other scripts: kept as they are */
        }
        i += n;
    }
    if (!w.overflow)
        nw_end_token(&w);
    if (w.overflow || w.n < 2) {
        out[0] = '\0';
        return 0;
    }
    out[w.n] = '\0';
    return w.n;
}

/* ---- ids ---- */

static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int lm_lexicon_qualify_id(lm_ent_type type, const char *id, lm_buf *out)
{
    lm_buf_reset(out);
    if (!id)
        return -1;
    int parts = 0;
    const char *p = id;
    while (*p) {
        const char *a, *b;
        p = lm_id_next_part(p, &a, &b);
        size_t n = (size_t)(b - a);
        if (n == 0 || (n == 2 && a[0] == '-' && a[1] == '1'))
            continue;
        if (parts && lm_buf_append_char(out, '|') != LM_OK)
            return -1;
        lm_status st;
        if (n > 5 && strncasecmp(a, "MESH:", 5) == 0)
            st = lm_buf_printf(out, "MESH:%.*s", (int)(n - 5), a + 5);
        else if (n > 9 && strncasecmp(a, "NCBIGene:", 9) == 0)
            st = lm_buf_printf(out, "NCBIGene:%.*s", (int)(n - 9), a + 9);
        else if (memchr(a, ':', n))
            st = lm_buf_append(out, a, n);
        else if (type == LM_ENT_GENE && all_digits(a, n))
            st = lm_buf_printf(out, "NCBIGene:%.*s", (int)n, a);
        else if ((a[0] == 'D' || a[0] == 'C') && all_digits(a + 1, n - 1))
            st = lm_buf_printf(out, "MESH:%.*s", (int)n, a);
        else
            st = lm_buf_append(out, a, n);
        if (st != LM_OK)
            return -1;
        parts++;
    }
    return parts ? 0 : -1;
}

/* ---- the built lexicon ---- */

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

void lm_lexicon_free(lm_lexicon *lex)
{
    if (!lex)
        return;
    if (lex->mapped) {
        lm_mapcache_close(lex->mapped);
        free(lex->mapped);
        free(lex);
        return;
    }
    free(lex->strings);
    free(lex->concepts);
    free(lex->key_off);
    free(lex->first);
    free(lex->entries);
    free(lex);
}

void lm_lexicon_get_info(const lm_lexicon *lex, lm_lexicon_info *out)
{
    out->n_concepts = lex->n_concepts;
    out->n_names = lex->n_keys;
    out->n_entries = lex->n_entries;
}

static double entry_score(const lex_entry *e)
{
    if (e->flags & LM_LEX_CORPUS)
        return LM_LEX_SCORE_CORPUS;
    return e->score / 1000.0;
}

/* ---- builder ---- */

typedef struct b_concept {
    char *id;
    char *name;               /* shown name: preferred, else best of names */
    int name_preferred;       /* name is owned (a vocabulary's name) */
    unsigned classes;         /* MeSH tree classes, 0 unknown */
    char *trees;              /* MeSH tree numbers, '|'-joined, NULL if none */
    char *xref;               /* '|'-joined merged ids, NULL if none */
    struct b_name *names;     /* other names with their annotation counts */
    size_t n_names, cap_names;
    unsigned types;
} b_concept;

typedef struct b_name {
    char *text;
    unsigned long count;
    int abbrev;               /* looks like a short form: "ALL", "5-FU" */
} b_name;

/* Abstracts repeat a short form far more often than its long form, so the
 * most annotated spelling is often "ALL" for acute lymphoblastic
 * leukemia: spellings whose letters are mostly capitals are shown only
 * when there is nothing else. */
static int looks_abbreviated(const char *s, size_t n)
{
    size_t letters = 0, upper = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            letters++;
        if (c >= 'A' && c <= 'Z')
            upper++;
    }
    return letters > 0 && upper >= 2 && 2 * upper >= letters;
}

typedef struct b_entry {
    char *key;
    uint32_t concept;
    uint32_t count;
    uint16_t score;
    uint8_t type;
    uint8_t flags;
} b_entry;

struct lm_lexicon_builder {
    b_concept *concepts;
    size_t n_concepts, cap_concepts;
    uint32_t *slots;   /* open addressing: concept index + 1, 0 = empty */
    size_t n_slots;
    b_entry *entries;
    size_t n_entries, cap_entries;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

lm_status lm_lexicon_builder_init(lm_lexicon_builder **out, lm_error *err)
{
    lm_lexicon_builder *b = calloc(1, sizeof *b);
    if (b) {
        b->n_slots = 1024;
        b->slots = calloc(b->n_slots, sizeof *b->slots);
    }
    if (!b || !b->slots) {
        free(b);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    *out = b;
    return LM_OK;
}

void lm_lexicon_builder_free(lm_lexicon_builder *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n_concepts; i++) {
        b_concept *c = &b->concepts[i];
        free(c->id);
        free(c->xref);
        free(c->trees);
        if (c->name_preferred)
            free(c->name);
        for (size_t j = 0; j < c->n_names; j++)
            free(c->names[j].text);
        free(c->names);
    }
    free(b->concepts);
    free(b->slots);
    for (size_t i = 0; i < b->n_entries; i++)
        free(b->entries[i].key);
    free(b->entries);
    free(b);
}

/* Slot of id: its concept's slot, or the empty slot where it would go. */
static size_t find_slot(const lm_lexicon_builder *b, const char *id)
{
    size_t mask = b->n_slots - 1;
    size_t i = (size_t)hash_str(id) & mask;
    while (b->slots[i] && strcmp(b->concepts[b->slots[i] - 1].id, id) != 0)
        i = (i + 1) & mask;
    return i;
}

static int grow_slots(lm_lexicon_builder *b)
{
    size_t n = b->n_slots * 2;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s)
        return -1;
    free(b->slots);
    b->slots = s;
    b->n_slots = n;
    for (size_t c = 0; c < b->n_concepts; c++)
        b->slots[find_slot(b, b->concepts[c].id)] = (uint32_t)(c + 1);
    return 0;
}

unsigned lm_lexicon_builder_concept_types(const lm_lexicon_builder *b, const char *id)
{
    size_t i = find_slot(b, id);
    return b->slots[i] ? b->concepts[b->slots[i] - 1].types : 0;
}

static char *dup_n(const char *s, size_t n)
{
    return lm_strndup(s, n);
}

/* Index of concept id, created when new; -1 on out-of-memory. */
static long intern_concept(lm_lexicon_builder *b, const char *id, const char *name,
                           size_t name_len, int preferred, unsigned count, unsigned type)
{
    size_t i = find_slot(b, id);
    b_concept *c;
    if (b->slots[i]) {
        c = &b->concepts[b->slots[i] - 1];
    } else {
        if (b->n_concepts >= UINT32_MAX - 1)
            return -1;
        if ((b->n_concepts + 1) * 2 > b->n_slots) {
            if (grow_slots(b) != 0)
                return -1;
            i = find_slot(b, id);
        }
        if (b->n_concepts == b->cap_concepts) {
            size_t cap = b->cap_concepts ? b->cap_concepts * 2 : 1024;
            b_concept *v = realloc(b->concepts, cap * sizeof *v);
            if (!v)
                return -1;
            b->concepts = v;
            b->cap_concepts = cap;
        }
        c = &b->concepts[b->n_concepts];
        memset(c, 0, sizeof *c);
        c->id = dup_n(id, strlen(id));
        if (!c->id)
            return -1;
        b->slots[i] = (uint32_t)(++b->n_concepts);
    }
    c->types |= type;
    if (name && name_len && preferred && !c->name_preferred) {
        char *n = dup_n(name, name_len);
        if (!n)
            return -1;
        c->name = n;   /* the old one, if any, was borrowed from names */
        c->name_preferred = 1;
    } else if (name && name_len && !preferred && !c->name_preferred) {
        /* Counted per spelling: the most annotated one is shown, not
         * whichever came first ("obesity", not "childhood-onset obesity"). */
        size_t j = 0;
        while (j < c->n_names &&
               !(strncmp(c->names[j].text, name, name_len) == 0 && !c->names[j].text[name_len]))
            j++;
        if (j == c->n_names) {
            if (c->n_names == c->cap_names) {
                size_t cap = c->cap_names ? 2 * c->cap_names : 2;
                b_name *v = realloc(c->names, cap * sizeof *v);
                if (!v)
                    return -1;
                c->names = v;
                c->cap_names = cap;
            }
            c->names[j].text = dup_n(name, name_len);
            if (!c->names[j].text)
                return -1;
            c->names[j].count = 0;
            c->names[j].abbrev = looks_abbreviated(name, name_len);
            c->n_names++;
        }
        c->names[j].count += count ? count : 1;
        unsigned long best = 0;
        int best_abbrev = 1;
        for (size_t k = 0; k < c->n_names; k++) {
            const b_name *x = &c->names[k];
            if ((best_abbrev && !x->abbrev) || (x->abbrev == best_abbrev && x->count > best)) {
                best = x->count;
                best_abbrev = x->abbrev;
                c->name = x->text;   /* borrowed from names */
            }
        }
    }
    return (long)(c - b->concepts);
}

lm_status lm_lexicon_builder_set_classes(lm_lexicon_builder *b, const char *id,
                                         unsigned classes, const char *trees, lm_error *err)
{
    long c = intern_concept(b, id, NULL, 0, 0, 0, 0);
    char *t = c >= 0 && trees && trees[0] ? dup_n(trees, strlen(trees)) : NULL;
    if (c < 0 || (trees && trees[0] && !t))
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    b->concepts[c].classes |= classes;
    if (t) {
        free(b->concepts[c].trees);
        b->concepts[c].trees = t;
    }
    return LM_OK;
}

lm_status lm_lexicon_builder_set_name(lm_lexicon_builder *b, const char *id, const char *name,
                                      lm_error *err)
{
    long ci = intern_concept(b, id, NULL, 0, 0, 0, 0);
    char *n = ci < 0 ? NULL : dup_n(name, strlen(name));
    if (!n)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    b_concept *c = &b->concepts[ci];
    if (c->name_preferred)
        free(c->name);
    c->name = n;
    c->name_preferred = 1;
    return LM_OK;
}

static lm_status add_key(lm_lexicon_builder *b, lm_ent_type type, const char *key, size_t klen,
                         uint32_t concept, unsigned flags, double score, unsigned count,
                         lm_error *err)
{
    if (lm_vec_grow((void **)&b->entries, &b->cap_entries, b->n_entries + 1,
                    sizeof *b->entries) != LM_OK)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    b_entry *e = &b->entries[b->n_entries];
    e->key = dup_n(key, klen);
    if (!e->key)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    e->concept = concept;
    e->count = count;
    e->flags = (uint8_t)flags;
    e->type = (uint8_t)type;
    if (score < 0)
        score = 0;
    if (score > 1)
        score = 1;
    /* corpus entries carry no dictionary score of their own */
    e->score = flags == LM_LEX_CORPUS ? 0 : (uint16_t)(score * 1000.0 + 0.5);
    b->n_entries++;
    return LM_OK;
}

lm_status lm_lexicon_builder_add(lm_lexicon_builder *b, lm_ent_type type, const char *id,
                                 const char *name, size_t name_len, unsigned flags,
                                 double score, unsigned count, lm_error *err)
{
    if (type != LM_ENT_CHEMICAL && type != LM_ENT_DISEASE && type != LM_ENT_GENE)
        return lm_error_set(err, LM_ERR_USAGE, "lexicon entry needs one entity type");
    if (!id || !*id)
        return lm_error_set(err, LM_ERR_USAGE, "lexicon entry without concept id");
    char key[LM_LEXICON_KEY_MAX];
    size_t klen = lm_lexicon_normalize(name, name_len, key, sizeof key);
    if (klen == 0)
        return LM_OK;
    long c = intern_concept(b, id, name, name_len, (flags & LM_LEX_PREFERRED) != 0, count,
                            LM_ENT_BIT(type));
    if (c < 0)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    return add_key(b, type, key, klen, (uint32_t)c, flags, score, count, err);
}

/* Appends the '|'-separated ids of x to c's cross-references, skipping
 * those it has; -1 on out-of-memory. */
static int add_xref(b_concept *c, const char *x)
{
    for (const char *p = x; *p;) {
        size_t n = strcspn(p, "|");
        int have = 0;
        for (const char *q = c->xref; q && *q && !have;) {
            size_t m = strcspn(q, "|");
            have = m == n && strncmp(p, q, n) == 0;
            q += m + (q[m] == '|');
        }
        if (n && !have) {
            size_t old = c->xref ? strlen(c->xref) : 0;
            char *v = realloc(c->xref, old + n + 2);
            if (!v)
                return -1;
            if (old)
                v[old++] = '|';
            memcpy(v + old, p, n);
            v[old + n] = '\0';
            c->xref = v;
        }
        p += n + (p[n] == '|');
    }
    return 0;
}

lm_status lm_lexicon_builder_add_lexicon(lm_lexicon_builder *b, const lm_lexicon *lex,
                                         lm_error *err)
{
    long *map = malloc((lex->n_concepts ? lex->n_concepts : 1) * sizeof *map);
    if (!map)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    for (uint32_t c = 0; c < lex->n_concepts; c++) {
        const char *name = lex->strings + lex->concepts[c].name_off;
        map[c] = intern_concept(b, lex->strings + lex->concepts[c].id_off, name, strlen(name),
                                1, 0, lex->concepts[c].types);
        if (map[c] < 0 ||
            add_xref(&b->concepts[map[c]], lex->strings + lex->concepts[c].xref_off) != 0) {
            free(map);
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        }
        b_concept *bc = &b->concepts[map[c]];
        bc->classes |= lex->concepts[c].classes;
        const char *trees = lex->strings + lex->concepts[c].trees_off;
        if (trees[0] && !bc->trees && !(bc->trees = dup_n(trees, strlen(trees)))) {
            free(map);
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        }
    }
    lm_status st = LM_OK;
    for (uint32_t k = 0; k < lex->n_keys && st == LM_OK; k++) {
        const char *key = lex->strings + lex->key_off[k];
        for (uint32_t e = lex->first[k]; e < lex->first[k + 1] && st == LM_OK; e++) {
            const lex_entry *x = &lex->entries[e];
            st = add_key(b, (lm_ent_type)x->type, key, strlen(key), (uint32_t)map[x->concept],
                         x->flags, x->score / 1000.0, x->count, err);
            if (st == LM_OK)
                b->entries[b->n_entries - 1].score = x->score;   /* keep exact */
        }
    }
    free(map);
    return st;
}

static int cmp_bentry(const void *pa, const void *pb)
{
    const b_entry *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    if (c)
        return c;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    return a->concept < b->concept ? -1 : a->concept > b->concept;
}

/* Shortest name that may link two vocabularies other than as a preferred
 * name: "cp", "tg" mean too many things. */
#define LINK_MIN_KEY 5

static int has_ns(const char *id, const char *ns)
{
    return strncmp(id, ns, strlen(ns)) == 0;
}

/* A vote for a link: the target concept + 1, 0 none, UINT32_MAX a tie. */
static void vote(uint32_t *slot, uint32_t target)
{
    uint32_t want = target + 1;
    *slot = *slot == 0 || *slot == want ? want : UINT32_MAX;
}

lm_status lm_lexicon_builder_merge_xrefs(lm_lexicon_builder *b, lm_ent_type type,
                                         const char *from_ns, const char *to_ns, size_t *merged,
                                         lm_error *err)
{
    size_t n = b->n_entries, nc = b->n_concepts;
    if (merged)
        *merged = 0;
    b_entry *ents = malloc((n ? n : 1) * sizeof *ents);
    /* per concept, three levels of evidence: preferred name, corpus, synonym */
    uint32_t *lv = calloc(3 * (nc ? nc : 1), sizeof *lv);
    if (!ents || !lv) {
        free(ents);
        free(lv);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    if (n)
        memcpy(ents, b->entries, n * sizeof *ents);
    if (n > 1)
        lm_qsort(ents, n, sizeof *ents, cmp_bentry);
    for (size_t g = 0; g < n;) {
        size_t h = g;
        while (h < n && strcmp(ents[h].key, ents[g].key) == 0 && ents[h].type == ents[g].type)
            h++;
        if (ents[g].type != (uint8_t)type) {
            g = h;
            continue;
        }
        int long_key = strlen(ents[g].key) >= LINK_MIN_KEY;
        /* the name's dictionary concept in to_ns (exactly one, else none)
         * and its most annotated corpus concept in to_ns */
        uint32_t dict = UINT32_MAX, corpus = UINT32_MAX, corpus_count = 0;
        int n_dict = 0;
        for (size_t i = g; i < h; i++) {
            uint32_t c = ents[i].concept;
            if (!has_ns(b->concepts[c].id, to_ns))
                continue;
            /* a group's entries are sorted by concept: count distinct ones */
            if ((ents[i].flags & (LM_LEX_PREFERRED | LM_LEX_SYNONYM)) && c != dict) {
                n_dict++;
                dict = c;
            }
            if (ents[i].flags & LM_LEX_CORPUS) {
                /* duplicates of one concept are adjacent: sum their counts */
                uint32_t cnt = 0;
                for (size_t j = i; j < h && ents[j].concept == c; j++)
                    if (ents[j].flags & LM_LEX_CORPUS)
                        cnt += ents[j].count;
                if (corpus == UINT32_MAX || cnt > corpus_count) {
                    corpus = c;
                    corpus_count = cnt;
                }
            }
        }
        for (size_t i = g; i < h; i++) {
            uint32_t f = ents[i].concept;
            if (!has_ns(b->concepts[f].id, from_ns))
                continue;
            if (n_dict == 1 && (ents[i].flags & LM_LEX_PREFERRED))
                vote(&lv[3 * f], dict);
            if (long_key && corpus != UINT32_MAX)
                vote(&lv[3 * f + 1], corpus);
            if (long_key && n_dict == 1)
                vote(&lv[3 * f + 2], dict);
            else if (long_key && n_dict > 1)
                lv[3 * f + 2] = UINT32_MAX;
        }
        g = h;
    }
    free(ents);
    /* the link of each concept: the first level with one clear target */
    lm_status st = LM_OK;
    for (size_t f = 0; f < nc && st == LM_OK; f++) {
        uint32_t t = 0;
        for (int k = 0; k < 3 && !t; k++)
            if (lv[3 * f + k] && lv[3 * f + k] != UINT32_MAX)
                t = lv[3 * f + k];
        lv[3 * f] = t;   /* level 0 now holds the decision */
        if (!t)
            continue;
        b_concept *to = &b->concepts[t - 1], *from = &b->concepts[f];
        if (add_xref(to, from->id) != 0) {
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
            break;
        }
        if (!to->name_preferred && from->name_preferred && from->name &&
            lm_lexicon_builder_set_name(b, to->id, from->name, err) != LM_OK)
            st = LM_ERR_NOMEM;
        if (merged)
            (*merged)++;
    }
    for (size_t i = 0; i < b->n_entries && st == LM_OK; i++) {
        b_entry *e = &b->entries[i];
        uint32_t t = lv[3 * e->concept];
        if (!t)
            continue;
        e->concept = t - 1;
        if (e->flags & LM_LEX_PREFERRED)
            e->flags = (uint8_t)((e->flags & ~LM_LEX_PREFERRED) | LM_LEX_SYNONYM);
    }
    free(lv);
    return st;
}

/* Orders ids "naturally": shorter first, so NCBIGene:9 < NCBIGene:10. */
static int cmp_id(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

/* Ranks entries within one name's run, best first.  The order needs the
 * concept ids, which qsort's comparator cannot reach without global state,
 * so runs (a handful of entries) are insertion-sorted with this. */
static int rank_before(const lm_lexicon_builder *b, const b_entry *x, const b_entry *y)
{
    /* A gene the corpora annotate but the vocabulary does not name (another
     * species' gene: gene_info is imported for humans unless asked) does
     * not outrank one it names: "HER2" is human ERBB2, not the mouse Her2
     * of one training annotation. */
    if (x->type == LM_ENT_GENE && y->type == LM_ENT_GENE) {
        int vx = b->concepts[x->concept].name_preferred, vy = b->concepts[y->concept].name_preferred;
        if (vx != vy)
            return vx;
    }
    double sx = x->flags & LM_LEX_CORPUS ? LM_LEX_SCORE_CORPUS : x->score / 1000.0;
    double sy = y->flags & LM_LEX_CORPUS ? LM_LEX_SCORE_CORPUS : y->score / 1000.0;
    if (sx != sy)
        return sx > sy;
    unsigned px = x->flags & (LM_LEX_SYMBOL | LM_LEX_PREFERRED);
    unsigned py = y->flags & (LM_LEX_SYMBOL | LM_LEX_PREFERRED);
    if ((px != 0) != (py != 0))
        return px != 0;
    if (x->count != y->count)
        return x->count > y->count;
    return cmp_id(b->concepts[x->concept].id, b->concepts[y->concept].id) < 0;
}

typedef struct blob {
    char *data;
    size_t len, cap;
} blob;

/* Appends s with its NUL; returns its offset or -1. */
static long blob_add(blob *bl, const char *s)
{
    size_t n = strlen(s) + 1;
    if (bl->len + n > UINT32_MAX)
        return -1;
    if (bl->len + n > bl->cap) {
        size_t cap = bl->cap ? bl->cap : 65536;
        while (cap < bl->len + n)
            cap *= 2;
        char *d = realloc(bl->data, cap);
        if (!d)
            return -1;
        bl->data = d;
        bl->cap = cap;
    }
    memcpy(bl->data + bl->len, s, n);
    bl->len += n;
    return (long)(bl->len - n);
}

/* Type gating: may concept c name a mention of this type? */
static int type_allowed(const b_concept *c, unsigned type)
{
    if (type == LM_ENT_GENE)
        return 1;
    if (strncmp(c->id, "NCBIGene:", 9) == 0)
        return 0;
    if (!c->classes)
        return 1;   /* not a MeSH id, or MeSH not imported: nothing to check */
    return (c->classes &
            (type == LM_ENT_DISEASE ? LM_MESH_DISEASE_CLASSES : LM_MESH_CHEMICAL_CLASSES)) != 0;
}

typedef struct id_ref {
    const char *id;
    uint32_t concept;
} id_ref;

static int cmp_id_ref(const void *a, const void *b)
{
    return strcmp(((const id_ref *)a)->id, ((const id_ref *)b)->id);
}

/* A MeSH descriptor's heading: its preferred name, under a MESH: id. */
static int mesh_heading(const lm_lexicon_builder *b, const b_entry *e)
{
    return (e->flags & LM_LEX_PREFERRED) && e->score >= LM_LEX_SCORE_NAME * 1000 - 0.5 &&
           strncmp(b->concepts[e->concept].id, "MESH:", 5) == 0;
}

lm_status lm_lexicon_builder_finish(lm_lexicon_builder *b, lm_lexicon **out, lm_error *err)
{
    lm_status st = LM_OK;
    blob bl = {0};
    lm_lexicon *lex = calloc(1, sizeof *lex);
    b_entry *ents = NULL;
    if (!lex)
        goto nomem;
    /* Work on a copy of the entry headers: finish must not disturb b. */
    size_t n = b->n_entries;
    ents = malloc((n ? n : 1) * sizeof *ents);
    if (!ents)
        goto nomem;
    if (n)
        memcpy(ents, b->entries, n * sizeof *ents);
    if (n > 1)
        lm_qsort(ents, n, sizeof *ents, cmp_bentry);

    /* merge duplicates (same key, type, concept) */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && cmp_bentry(&ents[m - 1], &ents[i]) == 0) {
            b_entry *d = &ents[m - 1];
            if (ents[i].score > d->score)
                d->score = ents[i].score;
            d->flags |= ents[i].flags;
            d->count = d->count > UINT32_MAX - ents[i].count ? UINT32_MAX
                                                              : d->count + ents[i].count;
        } else {
            ents[m++] = ents[i];
        }
    }
    n = m;

    /* ambiguity rules per (key, type) group */
    for (size_t g = 0; g < n;) {
        size_t h = g;
        while (h < n && strcmp(ents[h].key, ents[g].key) == 0 && ents[h].type == ents[g].type)
            h++;
        size_t best = SIZE_MAX, heading = SIZE_MAX;
        int symbol = 0;
        unsigned long corpus = 0;
        for (size_t i = g; i < h; i++) {
            if (!type_allowed(&b->concepts[ents[i].concept], ents[i].type))
                continue;
            if (ents[i].flags & LM_LEX_CORPUS)
                corpus += ents[i].count;
            if (mesh_heading(b, &ents[i]))
                heading = i;
            if ((ents[i].flags & LM_LEX_CORPUS) &&
                (best == SIZE_MAX || ents[i].count > ents[best].count ||
                 (ents[i].count == ents[best].count &&
                  cmp_id(b->concepts[ents[i].concept].id, b->concepts[ents[best].concept].id) <
                      0)))
                best = i;
            if (ents[i].flags & LM_LEX_SYMBOL)
                symbol = 1;
        }
        /* One annotation (count 1, or one of the main corpus's weight) is
         * one annotator's reading, not a convention: a
         * disease name that is exactly another concept's MeSH heading
         * keeps the heading's concept ("hepatitis C" is hepatitis C, not
         * the chronic form one training abstract meant), unless the corpus
         * concept has the name from a vocabulary too or is no MeSH concept
         * (NCBI-disease's OMIM ids name what MeSH lumps).  Not for chemicals:
         * there a lone corpus id is mostly the supplementary record of a
         * drug MeSH has since made a descriptor (BC5CDR's "olanzapine" is
         * C076029; MeSH 2021's heading is D000077152), the id the corpora
         * are scored with. */
        if (best != SIZE_MAX && heading != SIZE_MAX && ents[heading].concept != ents[best].concept &&
            (corpus == 1 || corpus == LM_LEX_MAIN_CORPUS_WEIGHT) &&
            ents[best].flags == LM_LEX_CORPUS &&
            ents[best].type == LM_ENT_DISEASE &&
            strncmp(b->concepts[ents[best].concept].id, "MESH:", 5) == 0) {
            ents[best].key = NULL;
            best = SIZE_MAX;
        }
        for (size_t i = g; i < h; i++) {
            b_entry *e = &ents[i];
            if (!e->key)
                continue;
            if ((e->flags & LM_LEX_CORPUS) && i != best)
                e->flags &= (uint8_t)~LM_LEX_CORPUS;
            int dead = e->flags == 0 && e->score == 0;   /* a corpus runner-up only */
            if (e->type == LM_ENT_GENE && symbol && !(e->flags & (LM_LEX_SYMBOL | LM_LEX_CORPUS)))
                dead = 1;
            if (!type_allowed(&b->concepts[e->concept], e->type))
                dead = 1;
            if (dead)
                e->key = NULL;   /* marks removal; the string belongs to b */
        }
        g = h;
    }
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (ents[i].key)
            ents[m++] = ents[i];
    n = m;
    if (n > UINT32_MAX - 1)
        goto nomem;

    /* rank each key's run best first (runs are short: insertion sort) */
    for (size_t g = 0; g < n;) {
        size_t h = g;
        while (h < n && strcmp(ents[h].key, ents[g].key) == 0)
            h++;
        for (size_t i = g + 1; i < h; i++) {
            b_entry x = ents[i];
            size_t j = i;
            while (j > g && rank_before(b, &x, &ents[j - 1])) {
                ents[j] = ents[j - 1];
                j--;
            }
            ents[j] = x;
        }
        g = h;
    }

    /* concepts still referenced, renumbered densely in id order (which
     * lm_lexicon_get_concept searches), with the types their entries have */
    uint32_t *remap = malloc((b->n_concepts ? b->n_concepts : 1) * sizeof *remap);
    unsigned *types = calloc(b->n_concepts ? b->n_concepts : 1, sizeof *types);
    id_ref *order = malloc((b->n_concepts ? b->n_concepts : 1) * sizeof *order);
    if (!remap || !types || !order) {
        free(remap);
        free(types);
        free(order);
        goto nomem;
    }
    for (size_t i = 0; i < n; i++)
        types[ents[i].concept] |= LM_ENT_BIT(ents[i].type);
    size_t nc = 0;
    for (size_t c = 0; c < b->n_concepts; c++) {
        remap[c] = UINT32_MAX;
        if (types[c])
            order[nc++] = (id_ref){b->concepts[c].id, (uint32_t)c};
    }
    if (nc > 1)
        lm_qsort(order, nc, sizeof *order, cmp_id_ref);
    for (size_t i = 0; i < nc; i++)
        remap[order[i].concept] = (uint32_t)i;
    free(order);
    lex->concepts = malloc((nc ? nc : 1) * sizeof *lex->concepts);
    lex->entries = malloc((n ? n : 1) * sizeof *lex->entries);
    size_t nk = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(ents[i].key, ents[i - 1].key) != 0)
            nk++;
    lex->key_off = malloc((nk ? nk : 1) * sizeof *lex->key_off);
    lex->first = malloc((nk + 1) * sizeof *lex->first);
    if (!lex->concepts || !lex->entries || !lex->key_off || !lex->first ||
        blob_add(&bl, "") < 0) {   /* offset 0 = empty string */
        free(remap);
        free(types);
        goto nomem;
    }
    for (size_t c = 0; c < b->n_concepts; c++) {
        if (remap[c] == UINT32_MAX)
            continue;
        lex_concept *lc = &lex->concepts[remap[c]];
        const b_concept *bc = &b->concepts[c];
        long io = blob_add(&bl, bc->id);
        long no = bc->name ? blob_add(&bl, bc->name) : 0;
        long xo = bc->xref ? blob_add(&bl, bc->xref) : 0;
        long to = bc->trees ? blob_add(&bl, bc->trees) : 0;
        if (io < 0 || no < 0 || xo < 0 || to < 0) {
            free(remap);
            free(types);
            goto nomem;
        }
        lc->id_off = (uint32_t)io;
        lc->name_off = (uint32_t)no;
        lc->xref_off = (uint32_t)xo;
        lc->trees_off = (uint32_t)to;
        lc->types = types[c];
        lc->classes = bc->classes;
    }
    free(types);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(ents[i].key, ents[i - 1].key) != 0) {
            long ko = blob_add(&bl, ents[i].key);
            if (ko < 0) {
                free(remap);
                goto nomem;
            }
            lex->key_off[k] = (uint32_t)ko;
            lex->first[k] = (uint32_t)i;
            k++;
        }
        lex_entry *e = &lex->entries[i];
        e->concept = remap[ents[i].concept];
        e->count = ents[i].count;
        e->score = ents[i].score;
        e->type = ents[i].type;
        e->flags = ents[i].flags;
    }
    lex->first[nk] = (uint32_t)n;
    free(remap);
    lex->n_concepts = (uint32_t)nc;
    lex->n_keys = (uint32_t)nk;
    lex->n_entries = (uint32_t)n;
    lex->strings = bl.data;
    lex->strings_len = (uint32_t)bl.len;
    free(ents);
    *out = lex;
    return LM_OK;
nomem:
    st = lm_error_set(err, LM_ERR_NOMEM, "out of memory building the lexicon");
    free(ents);
    free(bl.data);
    lm_lexicon_free(lex);
    return st;
}

/* ---- file ---- */

#define LEX_MAGIC "LMLEX\0\r\n"
#define LEX_VERSION 2u
#define LEX_HEADER 40u
#define LEX_FLAG_DEFLATE 1u

static void put64(unsigned char *p, uint64_t v)
{
    lm_le32_put(p, (uint32_t)v);
    lm_le32_put(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)lm_le32_get(p) | (uint64_t)lm_le32_get(p + 4) << 32;
}

/* Payload: counts, concepts, key offsets, key firsts, entries, strings. */
static size_t payload_size(const lm_lexicon *lex)
{
    return 16 + (size_t)lex->n_concepts * 24 + (size_t)lex->n_keys * 4 +
           ((size_t)lex->n_keys + 1) * 4 + (size_t)lex->n_entries * 12 + lex->strings_len;
}
/* The file keeps entity types as the bits 1 Chemical, 2 Disease, 4 Gene
 * (concept type sets, and one bit per entry); in memory they are
 * lm_ent_type values and LM_ENT_BIT masks. */
static unsigned file_types(unsigned mask)
{
    return mask >> 1;
}

static unsigned mem_types(unsigned bits)
{
    return bits << 1;
}

static uint8_t entry_type(unsigned bit)
{
    return (uint8_t)(bit == 1 ? LM_ENT_CHEMICAL : bit == 2 ? LM_ENT_DISEASE
                     : bit == 4 ? LM_ENT_GENE : LM_ENT_NONE);
}


static void payload_write(const lm_lexicon *lex, unsigned char *p)
{
    lm_le32_put(p, lex->n_concepts);
    lm_le32_put(p + 4, lex->n_keys);
    lm_le32_put(p + 8, lex->n_entries);
    lm_le32_put(p + 12, lex->strings_len);
    p += 16;
    for (uint32_t i = 0; i < lex->n_concepts; i++, p += 24) {
        lm_le32_put(p, lex->concepts[i].id_off);
        lm_le32_put(p + 4, lex->concepts[i].name_off);
        lm_le32_put(p + 8, file_types(lex->concepts[i].types));
        lm_le32_put(p + 12, lex->concepts[i].classes);
        lm_le32_put(p + 16, lex->concepts[i].xref_off);
        lm_le32_put(p + 20, lex->concepts[i].trees_off);
    }
    for (uint32_t i = 0; i < lex->n_keys; i++, p += 4)
        lm_le32_put(p, lex->key_off[i]);
    for (uint32_t i = 0; i <= lex->n_keys; i++, p += 4)
        lm_le32_put(p, lex->first[i]);
    for (uint32_t i = 0; i < lex->n_entries; i++, p += 12) {
        const lex_entry *e = &lex->entries[i];
        lm_le32_put(p, e->concept);
        lm_le32_put(p + 4, e->count);
        p[8] = (unsigned char)(e->score & 0xFF);
        p[9] = (unsigned char)(e->score >> 8);
        p[10] = (unsigned char)file_types(LM_ENT_BIT(e->type));
        p[11] = e->flags;
    }
    if (lex->strings_len)
        memcpy(p, lex->strings, lex->strings_len);
}

lm_status lm_lexicon_save(const lm_lexicon *lex, const char *path, lm_error *err)
{
    size_t raw_len = payload_size(lex);
    unsigned char *raw = malloc(raw_len);
    uLongf zlen = compressBound((uLong)raw_len);
    unsigned char *z = malloc(LEX_HEADER + zlen);
    if (!raw || !z) {
        free(raw);
        free(z);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory saving the lexicon");
    }
    payload_write(lex, raw);
    int zr = compress2(z + LEX_HEADER, &zlen, raw, (uLong)raw_len, Z_DEFAULT_COMPRESSION);
    free(raw);
    if (zr != Z_OK) {
        free(z);
        return lm_error_set(err, LM_ERR_NOMEM, "zlib compress failed (%d)", zr);
    }
    memcpy(z, LEX_MAGIC, 8);
    lm_le32_put(z + 8, LEX_VERSION);
    lm_le32_put(z + 12, LEX_FLAG_DEFLATE);
    put64(z + 16, raw_len);
    put64(z + 24, zlen);
    lm_le32_put(z + 32, (uint32_t)crc32(0L, z + LEX_HEADER, (uInt)zlen));
    lm_le32_put(z + 36, (uint32_t)crc32(0L, z, 36));

    lm_status st = lm_file_write_atomic(path, z, LEX_HEADER + (size_t)zlen, err);
    free(z);
    return st;
}

static lm_status corrupt(lm_error *err, const char *path, const char *what)
{
    return lm_error_set(err, LM_ERR_CORRUPT, "%s: corrupt lexicon file (%s)", path, what);
}

/* Checks every index of a decoded payload. */
static const char *validate(const lm_lexicon *lex)
{
    if (lex->strings_len == 0 || lex->strings[lex->strings_len - 1] != '\0')
        return "string table";
    for (uint32_t i = 0; i < lex->n_concepts; i++) {
        if (lex->concepts[i].id_off >= lex->strings_len ||
            lex->concepts[i].name_off >= lex->strings_len ||
            lex->concepts[i].xref_off >= lex->strings_len ||
            lex->concepts[i].trees_off >= lex->strings_len)
            return "concept table";
        if (i && strcmp(lex->strings + lex->concepts[i - 1].id_off,
                        lex->strings + lex->concepts[i].id_off) >= 0)
            return "concept order";
    }
    if (lex->first[0] != 0 || lex->first[lex->n_keys] != lex->n_entries)
        return "key table";
    for (uint32_t i = 0; i < lex->n_keys; i++) {
        if (lex->key_off[i] >= lex->strings_len || lex->first[i] >= lex->first[i + 1])
            return "key table";
        if (i && strcmp(lex->strings + lex->key_off[i - 1], lex->strings + lex->key_off[i]) >= 0)
            return "key order";
    }
    for (uint32_t i = 0; i < lex->n_entries; i++) {
        const lex_entry *e = &lex->entries[i];
        if (e->concept >= lex->n_concepts || e->score > 1000 ||
            (e->type != LM_ENT_CHEMICAL && e->type != LM_ENT_DISEASE && e->type != LM_ENT_GENE))
            return "entry table";
    }
    return NULL;
}

static lm_status load_file(const char *path, lm_lexicon **out, lm_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    unsigned char h[LEX_HEADER];
    size_t got = fread(h, 1, sizeof h, f);
    if (got != sizeof h) {
        int e = ferror(f);
        fclose(f);
        return e ? lm_error_set(err, LM_ERR_IO, "%s: read error", path)
                 : corrupt(err, path, "truncated header");
    }
    if (memcmp(h, LEX_MAGIC, 8) != 0) {
        fclose(f);
        return corrupt(err, path, "not a litmine lexicon");
    }
    if (lm_le32_get(h + 36) != (uint32_t)crc32(0L, h, 36)) {
        fclose(f);
        return corrupt(err, path, "header checksum");
    }
    if (lm_le32_get(h + 8) != LEX_VERSION) {
        fclose(f);
        return lm_error_set(err, LM_ERR_CORRUPT, "%s: lexicon version %u, this build reads %u",
                            path, (unsigned)lm_le32_get(h + 8), LEX_VERSION);
    }
    uint64_t raw_len = get64(h + 16), zlen = get64(h + 24);
    if (lm_le32_get(h + 12) != LEX_FLAG_DEFLATE || raw_len < 16 || raw_len > ((uint64_t)1 << 32) ||
        zlen > ((uint64_t)1 << 32)) {
        fclose(f);
        return corrupt(err, path, "header fields");
    }
    unsigned char *z = malloc(zlen ? (size_t)zlen : 1);
    unsigned char *raw = malloc((size_t)raw_len);
    if (!z || !raw) {
        fclose(f);
        free(z);
        free(raw);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory loading %s", path);
    }
    got = fread(z, 1, (size_t)zlen, f);
    int extra = getc(f) != EOF;
    int rerr = ferror(f);
    fclose(f);
    lm_status st = LM_OK;
    lm_lexicon *lex = NULL;
    const char *why = NULL;
    uLongf rl = (uLongf)raw_len;
    if (rerr)
        st = lm_error_set(err, LM_ERR_IO, "%s: read error", path);
    else if (got != zlen || extra)
        why = "wrong length";
    else if (lm_le32_get(h + 32) != (uint32_t)crc32(0L, z, (uInt)zlen))
        why = "payload checksum";
    else if (uncompress(raw, &rl, z, (uLong)zlen) != Z_OK || rl != raw_len)
        why = "deflate stream";
    free(z);
    if (st != LM_OK || why)
        goto fail;

    lex = calloc(1, sizeof *lex);
    if (!lex)
        goto nomem;
    const unsigned char *p = raw;
    lex->n_concepts = lm_le32_get(p);
    lex->n_keys = lm_le32_get(p + 4);
    lex->n_entries = lm_le32_get(p + 8);
    lex->strings_len = lm_le32_get(p + 12);
    if (lex->n_keys == UINT32_MAX || payload_size(lex) != raw_len) {
        why = "table sizes";
        goto fail;
    }
    p += 16;
    lex->concepts = malloc((lex->n_concepts ? lex->n_concepts : 1) * sizeof *lex->concepts);
    lex->key_off = malloc((lex->n_keys ? lex->n_keys : 1) * sizeof *lex->key_off);
    lex->first = malloc(((size_t)lex->n_keys + 1) * sizeof *lex->first);
    lex->entries = malloc((lex->n_entries ? lex->n_entries : 1) * sizeof *lex->entries);
    lex->strings = malloc(lex->strings_len ? lex->strings_len : 1);
    if (!lex->concepts || !lex->key_off || !lex->first || !lex->entries || !lex->strings)
        goto nomem;
    for (uint32_t i = 0; i < lex->n_concepts; i++, p += 24) {
        lex->concepts[i].id_off = lm_le32_get(p);
        lex->concepts[i].name_off = lm_le32_get(p + 4);
        lex->concepts[i].types = mem_types(lm_le32_get(p + 8));
        lex->concepts[i].classes = lm_le32_get(p + 12);
        lex->concepts[i].xref_off = lm_le32_get(p + 16);
        lex->concepts[i].trees_off = lm_le32_get(p + 20);
    }
    for (uint32_t i = 0; i < lex->n_keys; i++, p += 4)
        lex->key_off[i] = lm_le32_get(p);
    for (uint32_t i = 0; i <= lex->n_keys; i++, p += 4)
        lex->first[i] = lm_le32_get(p);
    for (uint32_t i = 0; i < lex->n_entries; i++, p += 12) {
        lex_entry *e = &lex->entries[i];
        e->concept = lm_le32_get(p);
        e->count = lm_le32_get(p + 4);
        e->score = (uint16_t)(p[8] | p[9] << 8);
        e->type = entry_type(p[10]);
        e->flags = p[11];
    }
    if (lex->strings_len)
        memcpy(lex->strings, p, lex->strings_len);
    why = validate(lex);
    if (why)
        goto fail;
    free(raw);
    *out = lex;
    return LM_OK;
nomem:
    st = lm_error_set(err, LM_ERR_NOMEM, "out of memory loading %s", path);
fail:
    if (why)
        st = corrupt(err, path, why);
    free(raw);
    lm_lexicon_free(lex);
    return st;
}

/* The mapped cache (util/lm_mapcache.h): the loaded arrays as they are in
 * memory — a header of counts and struct sizes, then concepts, key
 * offsets, key firsts, entries and strings, each section aligned — so a
 * mapped lexicon's pointers are set, not filled.  Bump on any change to
 * the sections or to lex_concept / lex_entry. */
#define LEX_MAP_LAYOUT 1u

static size_t map_sections(const uint32_t *h, size_t sizes[6])
{
    sizes[0] = 8 * sizeof(uint32_t);
    sizes[1] = (size_t)h[0] * sizeof(lex_concept);
    sizes[2] = (size_t)h[1] * sizeof(uint32_t);
    sizes[3] = ((size_t)h[1] + 1) * sizeof(uint32_t);
    sizes[4] = (size_t)h[2] * sizeof(lex_entry);
    sizes[5] = h[3];
    size_t total = 0;
    for (int i = 0; i < 6; i++)
        total += lm_mapcache_padded(sizes[i]);
    return total;
}

/* Points a lexicon into a verified cache; NULL when its sections do not
 * add up (a cache of another build). */
static lm_lexicon *lex_from_cache(lm_mapcache *c)
{
    uint32_t h[8];
    if (c->len < sizeof h)
        return NULL;
    memcpy(h, c->payload, sizeof h);
    size_t sizes[6];
    if (h[4] != sizeof(lex_concept) || h[5] != sizeof(lex_entry) || h[1] == UINT32_MAX ||
        map_sections(h, sizes) != c->len || h[3] == 0)
        return NULL;
    lm_lexicon *lex = calloc(1, sizeof *lex);
    if (!lex)
        return NULL;
    const unsigned char *p = c->payload;
    const void *sec[6];
    for (int i = 0; i < 6; i++) {
        sec[i] = p;
        p += lm_mapcache_padded(sizes[i]);
    }
    lex->n_concepts = h[0];
    lex->n_keys = h[1];
    lex->n_entries = h[2];
    lex->strings_len = h[3];
    /* read-only mapping: a stray write faults instead of corrupting */
    lex->concepts = (lex_concept *)(uintptr_t)sec[1];
    lex->key_off = (uint32_t *)(uintptr_t)sec[2];
    lex->first = (uint32_t *)(uintptr_t)sec[3];
    lex->entries = (lex_entry *)(uintptr_t)sec[4];
    lex->strings = (char *)(uintptr_t)sec[5];
    return lex;
}

/* Writes the cache after a miss; best effort (the next process retries). */
static void lex_to_cache(const lm_lexicon *lex, const lm_mapcache *c)
{
    lm_error err;
    lm_mapcache_writer *w = NULL;
    uint32_t h[8] = {lex->n_concepts, lex->n_keys, lex->n_entries, lex->strings_len,
                     sizeof(lex_concept), sizeof(lex_entry), 0, 0};
    if (lm_mapcache_begin(c, &w, &err) != LM_OK)
        return;
    if (lm_mapcache_add(w, h, sizeof h, &err) != LM_OK ||
        lm_mapcache_add(w, lex->concepts, (size_t)lex->n_concepts * sizeof(lex_concept),
                        &err) != LM_OK ||
        lm_mapcache_add(w, lex->key_off, (size_t)lex->n_keys * sizeof(uint32_t), &err) != LM_OK ||
        lm_mapcache_add(w, lex->first, ((size_t)lex->n_keys + 1) * sizeof(uint32_t), &err) !=
            LM_OK ||
        lm_mapcache_add(w, lex->entries, (size_t)lex->n_entries * sizeof(lex_entry), &err) !=
            LM_OK ||
        lm_mapcache_add(w, lex->strings, lex->strings_len, &err) != LM_OK) {
        lm_mapcache_abort(w);
        return;
    }
    (void)lm_mapcache_commit(w, &err);
}

lm_status lm_lexicon_load(const char *path, lm_lexicon **out, lm_error *err)
{
    *out = NULL;
    lm_mapcache *c = calloc(1, sizeof *c);
    if (!c)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory loading %s", path);
    if (lm_mapcache_open(c, path, "lexicon", LEX_MAP_LAYOUT)) {
        lm_lexicon *lex = lex_from_cache(c);
        if (lex) {
            lex->mapped = c;
            *out = lex;
            return LM_OK;
        }
        lm_file_map_close(&c->map);
    }
    lm_status st = load_file(path, out, err);
    if (st == LM_OK)
        lex_to_cache(*out, c);
    lm_mapcache_close(c);
    free(c);
    return st;
}

int lm_lexicon_is_mapped(const lm_lexicon *lex)
{
    return lex && lex->mapped;
}

lm_status lm_lexicon_default_path(const lm_config *cfg, lm_buf *out, lm_error *err)
{
    const char *dir = cfg ? lm_config_get_or(cfg, "models", "dir", "models") : "models";
    lm_buf_reset(out);
    if (lm_buf_printf(out, "%s/lexicon.bin", *dir ? dir : ".") != LM_OK)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    return LM_OK;
}

/* ---- lookup ---- */

int lm_lexicon_get_concept(const lm_lexicon *lex, const char *id, lm_lexicon_concept *out)
{
    size_t a = 0, b = lex && id ? lex->n_concepts : 0;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        const lex_concept *c = &lex->concepts[m];
        int cmp = strcmp(lex->strings + c->id_off, id);
        if (cmp == 0) {
            out->id = lex->strings + c->id_off;
            out->name = lex->strings + c->name_off;
            out->xref = lex->strings + c->xref_off;
            out->trees = lex->strings + c->trees_off;
            out->types = c->types;
            out->classes = c->classes;
            return 1;
        }
        if (cmp < 0)
            a = m + 1;
        else
            b = m;
    }
    return 0;
}

static long find_key(const lm_lexicon *lex, const char *key)
{
    size_t a = 0, b = lex->n_keys;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        int c = strcmp(lex->strings + lex->key_off[m], key);
        if (c == 0)
            return (long)m;
        if (c < 0)
            a = m + 1;
        else
            b = m;
    }
    return -1;
}

/* Does entry e satisfy the type and namespace filters? */
static int entry_ok(const lm_lexicon *lex, const lex_entry *e, lm_ent_type want, const char *ns)
{
    if (want != LM_ENT_ANY && (unsigned)want != e->type)
        return 0;
    return !ns || strncmp(lex->strings + lex->concepts[e->concept].id_off, ns, strlen(ns)) == 0;
}

/* Does key index ki have an entry of the wanted type whose concept is a
 * MeSH one (for want_mesh) or any (else)? */
static int form_has(const lm_lexicon *lex, long ki, lm_ent_type type, const char *ns,
                    int want_mesh)
{
    for (uint32_t e = lex->first[ki]; e < lex->first[ki + 1]; e++)
        if (entry_ok(lex, &lex->entries[e], type, ns) &&
            (!want_mesh ||
             strncmp(lex->strings + lex->concepts[lex->entries[e].concept].id_off, "MESH:", 5) ==
                 0))
            return 1;
    return 0;
}

/* Key index of the first form of key (exact, then singular/plural
 * variants of the last word) that has an entry of the wanted type.
 * MeSH files an ion or a class of salts under its plural ("Nitrites",
 * "Chlorides") while DrugBank has a drug for the singular ("Nitrite"): a
 * chemical whose exact form names only concepts without a MeSH id takes
 * the MeSH concept of a singular/plural form when there is one, so that
 * "nitrite" and "nitrites" are one concept. */
static long find_form(const lm_lexicon *lex, lm_ent_type type, const char *ns, const char *key,
                      size_t n, int *variant)
{
    char v[LM_LEXICON_KEY_MAX + 4];
    long exact = -1;
    for (int form = 0; form < 6; form++) {
        const char *k = v;
        if (form == 0) {
            k = key;
        } else if (form == 1 && n > 4 && strcmp(key + n - 3, "ies") == 0) {
            snprintf(v, sizeof v, "%.*sy", (int)(n - 3), key);
        } else if (form == 2 && n > 4 && strcmp(key + n - 2, "es") == 0) {
            snprintf(v, sizeof v, "%.*s", (int)(n - 2), key);
        } else if (form == 3 && n > 3 && key[n - 1] == 's' && key[n - 2] != 's' &&
                   key[n - 2] != 'u' && key[n - 2] != 'i') {
            snprintf(v, sizeof v, "%.*s", (int)(n - 1), key);
        } else if (form == 4 && n > 2 && key[n - 1] == 'y') {
            snprintf(v, sizeof v, "%.*sies", (int)(n - 1), key);
        } else if (form == 5 && n > 2 && key[n - 1] != 's') {
            snprintf(v, sizeof v, "%ss", key);
        } else {
            continue;
        }
        long ki = find_key(lex, k);
        if (ki < 0)
            continue;
        if (exact >= 0) {
            if (form_has(lex, ki, type, ns, 1)) {
                *variant = 1;
                return ki;
            }
            continue;
        }
        if (!form_has(lex, ki, type, ns, 0))
            continue;
        *variant = form != 0;
        if (form != 0 || type != LM_ENT_CHEMICAL || form_has(lex, ki, type, ns, 1))
            return ki;
        exact = ki;
    }
    if (exact >= 0)
        *variant = 0;
    return exact;
}

static void fill_match(const lm_lexicon *lex, const lex_entry *e, int variant, int n_cand,
                       lm_lexicon_match *out)
{
    const lex_concept *c = &lex->concepts[e->concept];
    out->id = lex->strings + c->id_off;
    out->name = lex->strings + c->name_off;
    out->xref = lex->strings + c->xref_off;
    out->classes = c->classes;
    out->type = (lm_ent_type)e->type;
    out->score = entry_score(e) * (variant == 0 ? 1.0 : variant == 3 ? 0.8 : 0.9);
    out->flags = e->flags;
    out->count = e->count;
    out->n_candidates = n_cand;
    out->variant = variant;
}

/* The entries of form ki that pass the type/namespace filter; each
 * match counts the candidates of its own type, its ambiguity. */
static size_t matches_of_form(const lm_lexicon *lex, long ki, lm_ent_type type, const char *ns,
                              int variant, lm_lexicon_match *out, size_t max)
{
    size_t got = 0;
    for (uint32_t e = lex->first[ki]; e < lex->first[ki + 1] && got < max; e++) {
        const lex_entry *x = &lex->entries[e];
        if (!entry_ok(lex, x, type, ns))
            continue;
        int cand = 0;
        for (uint32_t f = lex->first[ki]; f < lex->first[ki + 1]; f++)
            cand += entry_ok(lex, &lex->entries[f], (lm_ent_type)x->type, ns);
        fill_match(lex, x, variant, cand, &out[got++]);
    }
    return got;
}

size_t lm_lexicon_lookup_ns(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                            const char *text, size_t len, lm_lexicon_match *out, size_t max)
{
    char key[LM_LEXICON_KEY_MAX];
    size_t n = lm_lexicon_normalize(text, len, key, sizeof key);
    if (n == 0 || !lex)
        return 0;
    if (ns && !*ns)
        ns = NULL;
    int variant = 0;
    long ki = find_form(lex, type, ns, key, n, &variant);
    if (ki < 0)
        return 0;
    return matches_of_form(lex, ki, type, ns, variant, out, max);
}

size_t lm_lexicon_lookup_all(const lm_lexicon *lex, lm_ent_type type, const char *text,
                             size_t len, lm_lexicon_match *out, size_t max)
{
    return lm_lexicon_lookup_ns(lex, type, NULL, text, len, out, max);
}

int lm_lexicon_lookup(const lm_lexicon *lex, lm_ent_type type, const char *text, size_t len,
                      lm_lexicon_match *out)
{
    return lm_lexicon_lookup_ns(lex, type, NULL, text, len, out, 1) == 1;
}

/* ---- mention lookup: word-level rewrites ---- */

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

/* Metal words among them are dropped only after the drug's name:
 * "warfarin sodium" is warfarin, "sodium fluoride" is its own compound. */
static const char *const metal_words[] = {"sodium", "potassium", "calcium", "magnesium",
                                          "disodium", NULL};

/* One-word synonyms (mostly organ adjectives and nouns) swapped in a
 * disease name; each pair is tried both ways. */
static const char *const word_syn[][2] = {
    {"cardiac", "heart"},     {"myocardial", "cardiac"}, {"myocardial", "heart"},
    {"renal", "kidney"},      {"hepatic", "liver"},      {"muscular", "muscle"},
    {"neuronal", "neuron"},   {"pulmonary", "lung"},     {"gastric", "stomach"},
    {"cerebral", "brain"},    {"ocular", "eye"},         {"visual", "vision"},
    {"auditory", "hearing"},  {"cutaneous", "skin"},
    {"dermal", "skin"},       {"bone", "osseous"},       {"vascular", "vessel"},
    {"tumors", "neoplasms"},  {"tumor", "neoplasm"},     {"cancer", "neoplasm"},
    {"tumours", "neoplasms"}, {"tumour", "neoplasm"},
    {"cancers", "neoplasms"}, {"carcinoma", "cancer"},   {"seizure", "convulsion"},
    {"seizures", "convulsions"}, {"bleeding", "hemorrhage"}, {"haemorrhage", "bleeding"},
    {"vein", "venous"},       {"adenocarcinoma", "cancer"}, {"adenocarcinomas", "cancers"},
    {"dysrhythmia", "arrhythmia"}, {"dysrhythmias", "arrhythmias"}, {"intraocular", "ocular"},
    {"tachyarrhythmia", "tachycardia"}, {"tachyarrhythmias", "tachycardias"},
};

#define MW_MAX 24

typedef struct mwords {
    const char *s[MW_MAX];
    size_t n[MW_MAX];
    size_t count;
} mwords;

static int word_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(w, lit, n) == 0;
}

static int word_in_list(const char *w, size_t n, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (word_is(w, n, list[i]))
            return 1;
    return 0;
}

/* Splits text into words at spaces and commas.  Returns 0 when the text
 * has too many words. */
static int split_words(const char *text, size_t len, mwords *w)
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

static void mw_drop(mwords *w, size_t i)
{
    memmove(w->s + i, w->s + i + 1, (w->count - i - 1) * sizeof w->s[0]);
    memmove(w->n + i, w->n + i + 1, (w->count - i - 1) * sizeof w->n[0]);
    w->count--;
}

/* Writes the words of w space-separated, word rep replaced by rep_with
 * (none when rep >= count). */
static size_t join_words(const mwords *w, size_t rep, const char *rep_with, char *out,
                         size_t cap)
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

static long find_text(const lm_lexicon *lex, lm_ent_type type, const char *ns, const char *text,
                      size_t len)
{
    char key[LM_LEXICON_KEY_MAX];
    size_t n = lm_lexicon_normalize(text, len, key, sizeof key);
    int variant;
    return n ? find_form(lex, type, ns, key, n, &variant) : -1;
}

/* A disease named by an adjective or a patient noun is found under its
 * noun: (ending, replacement) for the last word, first known one wins
 * ("dyskinetic" -> dyskinesia, "parkinsonian" -> parkinsonism,
 * "cataleptic" -> catalepsy, "edematous" -> edema, "migraineurs" ->
 * migraine). */
static const char *const head_morph[][2] = {
    {"etic", "esia"}, {"ic", "ia"},   {"ic", "y"},       {"ic", "e"},    {"ian", "ism"},
    {"otic", "osis"},
    {"ptic", "psy"}, {"atous", "a"},  {"al", ""},        {"ful", ""},    {"oid", "osis"},
    {"ive", "ion"},  {"urs", ""},     {"ics", "ia"},     {"al", "e"},    {"al", "a"},
    {"ptiform", "psy"}, {"iform", "a"}, {"iform", "is"},
};

/* Modifiers of extent, course and severity that a vocabulary leaves out
 * of most names ("bilateral optic neuropathy" is optic neuropathy). */
static const char *const disease_modifiers[] = {
    "acute",     "chronic",    "severe",     "mild",       "moderate",    "bilateral",
    "unilateral", "progressive", "transient", "recurrent",  "persistent",  "marked",
    "significant", "fatal",     "possible",   "clinical",   "overt",       "subclinical",
    "drug-induced", "generalized", "focal",   "diffuse",    "experimental", "reversible",
    "irreversible", "sudden",   "isolated",   "prolonged",  "posttransplant", "post-transplant",
    "idiopathic", "canine",     "murine",     "feline",     "porcine",     "bovine",
    "equine",    "rat",         "mouse",
    NULL};

/* Sites and settings a vocabulary leaves out of a disease's name when
 * it has no name for the disease there ("brainstem seizures",
 * "cerebral venous thrombosis", "postoperative convulsive seizures"). */
static const char *const disease_settings[] = {
    "peripheral", "cerebral", "brainstem", "muscular", "postoperative", "post-operative",
    "perioperative", "spontaneous", "extensive", NULL};

/* A disease described as harm to an organ or system ("retinal toxicity",
 * "hepatic impairment", "cranial nerve dysfunction") is annotated as that
 * organ's diseases: the words naming the harm, and the organ's noun as
 * MeSH files its diseases ("<organ> diseases" / "<organ> disorders"). */
static const char *const harm_words[] = {
    "toxicity",     "damage",       "injury",      "injuries",    "dysfunction",
    "dysfunctions", "impairment",   "impairments", "complication", "complications",
    "abnormality",  "abnormalities", "disorder",   "disorders",   "disturbance",
    "disturbances", "lesion",       "lesions",     "deficit",     "deficits",
    "alteration",   "alterations",  "problems",    "insult",      "defects",
    "involvement",  "illness",      "suppression", "disease",    "diseases",   "toxicities",
    "toxicosis",    "retardation",  "aes",         NULL};   /* AEs: adverse events */

/* Toxicity to an organ is the vocabularies' single word for it when there
 * is one ("hepatic toxicity" is hepatotoxicity, drug-induced liver injury,
 * not liver diseases; "cardiac toxicity" cardiotoxicity): the organ words
 * and the combining form before "toxicity". */
static const char *const organ_combining[][2] = {
    {"hepatic", "hepato"},      {"liver", "hepato"},         {"renal", "nephro"},
    {"kidney", "nephro"},       {"cardiac", "cardio"},       {"heart", "cardio"},
    {"myocardial", "cardio"},   {"neural", "neuro"},         {"neurologic", "neuro"},
    {"neurological", "neuro"},  {"nerve", "neuro"},          {"auditory", "oto"},
    {"ear", "oto"},             {"hematologic", "hemato"},   {"hematological", "hemato"},
    {"haematologic", "hemato"}, {"haematological", "hemato"}, {"blood", "hemato"},
    {"muscle", "myo"},          {"muscular", "myo"},         {"skeletal muscle", "myo"},
};

static const char *const organ_nouns[][2] = {
    {"hepatic", "liver"},          {"renal", "kidney"},
    {"cardiac", "heart"},          {"pulmonary", "lung"},
    {"cerebral", "brain"},         {"gastric", "stomach"},
    {"neurological", "nervous system"}, {"neurologic", "nervous system"},
    {"neural", "nervous system"},  {"haematological", "hematologic"},
    {"hematological", "hematologic"}, {"haematologic", "hematologic"},
    {"auditory", "hearing"},       {"visual", "vision"},
    {"ocular", "eye"},             {"cerebellum", "cerebellar"},
    {"cord", "spinal cord"},       {"bladder", "urinary bladder"},
    {"cutaneous", "skin"},         {"dermal", "skin"},
    {"muscular", "muscular"},      {"skeletal", "bone"},
    {"thyroidal", "thyroid"},      {"pancreatic", "pancreatic"},
    {"valvular heart", "heart valve"}, {"intracranial vascular", "cerebrovascular"},
    {"valvular", "heart valve"},   {"glomerular", "kidney"},
    {"tubular", "kidney"},         {"marrow", "bone marrow"},
    {"urothelial", "urinary bladder"}, {"cognitive", "cognition"},
    {"gi", "gastrointestinal"},    {"venous", "vascular"},
};

static long find_organ_harm(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                            const mwords *w)
{
    if (w->count < 2 || !word_in_list(w->s[w->count - 1], w->n[w->count - 1], harm_words))
        return -1;
    mwords organ = *w;
    organ.count--;
    char phrase[LM_LEXICON_KEY_MAX], buf[LM_LEXICON_KEY_MAX + 16];
    size_t pn = join_words(&organ, SIZE_MAX, NULL, phrase, sizeof phrase);
    if (!pn)
        return -1;
    const char *harm = w->s[w->count - 1];
    size_t hn = w->n[w->count - 1];
    if (word_is(harm, hn, "toxicity") || word_is(harm, hn, "toxicities"))
        for (size_t k = 0; k < sizeof organ_combining / sizeof organ_combining[0]; k++)
            if (strcasecmp(phrase, organ_combining[k][0]) == 0) {
                int n = snprintf(buf, sizeof buf, "%stoxicity", organ_combining[k][1]);
                long ki = n > 0 && (size_t)n < sizeof buf
                              ? find_text(lex, type, ns, buf, (size_t)n)
                              : -1;
                if (ki >= 0)
                    return ki;
                break;
            }
    static const char *const kinds[] = {" diseases", " disorders"};
    for (int pass = 0; pass < 2; pass++) {
        const char *o = phrase;
        if (pass == 1) {
            o = NULL;
            for (size_t k = 0; k < sizeof organ_nouns / sizeof organ_nouns[0] && !o; k++)
                if (strcasecmp(phrase, organ_nouns[k][0]) == 0)
                    o = organ_nouns[k][1];
            if (!o)
                break;
        }
        for (size_t k = 0; k < 2; k++) {
            int n = snprintf(buf, sizeof buf, "%s%s", o, kinds[k]);
            long ki = n > 0 && (size_t)n < sizeof buf ? find_text(lex, type, ns, buf, (size_t)n)
                                                       : -1;
            if (ki >= 0)
                return ki;
        }
    }
    return -1;
}

/* Key index of text with its last word rewritten by head_morph, -1 if none
 * is known. */
static long find_head_morph(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                            const mwords *w)
{
    char word[LM_LEXICON_KEY_MAX], buf[LM_LEXICON_KEY_MAX];
    size_t last = w->count - 1, wn = w->n[last];
    for (size_t k = 0; k < sizeof head_morph / sizeof head_morph[0]; k++) {
        size_t fl = strlen(head_morph[k][0]), tl = strlen(head_morph[k][1]);
        if (wn < fl + 3 || wn - fl + tl >= sizeof word ||
            strncasecmp(w->s[last] + wn - fl, head_morph[k][0], fl) != 0)
            continue;
        memcpy(word, w->s[last], wn - fl);
        memcpy(word + wn - fl, head_morph[k][1], tl + 1);
        size_t n = join_words(w, last, word, buf, sizeof buf);
        long ki = n ? find_text(lex, type, ns, buf, n) : -1;
        if (ki >= 0)
            return ki;
    }
    return -1;
}

/* "5-hydroxyindoleacetic acid" is filed as hydroxyindoleacetic acid:
 * length of a leading locant ("5-", "3',5'-", "2,4-"), 0 if none.  Only
 * before a name spelled out, a letter then three lowercase ones: before
 * an abbreviation the locants are part of what it abbreviates ("5,7-DHT"
 * is 5,7-dihydroxytryptamine, "DHT" dihydrotestosterone; "3,4-DHPG" the
 * glycol, "DHPG" the glycine). */
static size_t locant_prefix(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (is_digit(s[i]) || s[i] == '\'' || s[i] == ','))
        i++;
    if (!(i > 0 && is_digit(s[0]) && i + 1 < n && s[i] == '-'))
        return 0;
    const unsigned char *r = (const unsigned char *)s + i + 1;
    if (n - i - 1 < 4 || !is_alpha_ascii(r[0]) || !is_lower_ascii(r[1]) ||
        !is_lower_ascii(r[2]) || !is_lower_ascii(r[3]))
        return 0;
    return i + 1;
}

/* An isomer's Greek prefix ("alpha-benzene hexachloride" is filed as
 * benzene hexachloride, hexachlorocyclohexane): its length with the
 * hyphen, 0 if none. */
static size_t isomer_prefix(const char *s, size_t n)
{
    static const char *const isomers[] = {"alpha-", "beta-", "gamma-", "delta-", NULL};
    for (size_t k = 0; isomers[k]; k++) {
        size_t l = strlen(isomers[k]);
        if (n > l + 2 && strncasecmp(s, isomers[k], l) == 0)
            return l;
    }
    return 0;
}

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
        if (entry_ok(lex, &lex->entries[e], type, ns))
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
                long ki = find_key(lex, v);
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
            if (!entry_ok(lex, &lex->entries[e], type, ns))
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

/* Chemical elements by symbol, for mentions written as a symbol, an ion
 * or a simple formula ("K", "Ca2+", "CaCl(2)", "CO2"), which no vocabulary
 * lists; anion: the name of the element as the second part of a binary
 * compound ("chloride"), NULL when it does not take that place. */
static const struct {
    const char *sym, *name, *anion;
} elements[] = {
    {"H", "hydrogen", "hydride"},  {"Li", "lithium", NULL},    {"B", "boron", NULL},
    {"C", "carbon", "carbide"},    {"N", "nitrogen", "nitride"}, {"O", "oxygen", "oxide"},
    {"F", "fluorine", "fluoride"}, {"Na", "sodium", NULL},     {"Mg", "magnesium", NULL},
    {"Al", "aluminum", NULL},      {"Si", "silicon", NULL},    {"P", "phosphorus", "phosphide"},
    {"S", "sulfur", "sulfide"},    {"Cl", "chlorine", "chloride"}, {"K", "potassium", NULL},
    {"Ca", "calcium", NULL},       {"Cr", "chromium", NULL},   {"Mn", "manganese", NULL},
    {"Fe", "iron", NULL},          {"Co", "cobalt", NULL},     {"Ni", "nickel", NULL},
    {"Cu", "copper", NULL},        {"Zn", "zinc", NULL},       {"As", "arsenic", NULL},
    {"Se", "selenium", "selenide"}, {"Br", "bromine", "bromide"}, {"Sr", "strontium", NULL},
    {"Ag", "silver", NULL},        {"Cd", "cadmium", NULL},    {"Sn", "tin", NULL},
    {"I", "iodine", "iodide"},     {"Cs", "cesium", NULL},     {"Ba", "barium", NULL},
    {"Gd", "gadolinium", NULL},    {"Pt", "platinum", NULL},   {"Au", "gold", NULL},
    {"Hg", "mercury", NULL},       {"Tl", "thallium", NULL},   {"Pb", "lead", NULL},
    {"Bi", "bismuth", NULL},
};

/* Formulas whose names are not built from their parts. */
static const char *const formula_names[][2] = {
    {"H2O", "water"}, {"H2O2", "hydrogen peroxide"}, {"O2", "oxygen"},
    {"N2O", "nitrous oxide"}, {"NO", "nitric oxide"}, {"O3", "ozone"},
    {"O2-", "superoxides"}, {"O2(-)", "superoxides"}, {"O2.-", "superoxides"},
};

/* Reads an element symbol at s (case-sensitive) and a count after it
 * ("2", "(2)"); returns the bytes read, 0 when none. */
static size_t read_element(const char *s, size_t n, int *el, int *count)
{
    size_t best = 0;
    for (size_t k = 0; k < sizeof elements / sizeof elements[0]; k++) {
        size_t l = strlen(elements[k].sym);
        if (l <= n && l > best && memcmp(s, elements[k].sym, l) == 0 &&
            !(l == 1 && n > 1 && s[1] >= 'a' && s[1] <= 'z')) {
            best = l;
            *el = (int)k;
        }
    }
    if (!best)
        return 0;
    size_t i = best, open = i < n && s[i] == '(';
    size_t d = i + open;
    *count = 0;
    while (d < n && s[d] >= '0' && s[d] <= '9' && *count < 100)
        *count = *count * 10 + (s[d++] - '0');
    if (d > i + open && (!open || (d < n && s[d] == ')')))
        i = d + open;
    else
        *count = 1;
    return i;
}

/* The lexicon's entry for a symbol, ion or binary formula: "K", "Ca2+",
 * "Ca(2+)" -> the element; "CaCl2", "CaCl(2)" -> "calcium chloride";
 * "CO2", "CCl4" -> "carbon dioxide", "carbon tetrachloride"; a few
 * formulas by their names ("H2O").  A lone one-letter symbol counts only
 * for potassium ("K"): "C", "P" or "T" alone are abbreviations. */
static long find_formula(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                         const char *text, size_t len)
{
    for (size_t k = 0; k < sizeof formula_names / sizeof formula_names[0]; k++)
        if (strlen(formula_names[k][0]) == len && memcmp(text, formula_names[k][0], len) == 0)
            return find_text(lex, type, ns, formula_names[k][1], strlen(formula_names[k][1]));
    /* a charge: "(2+)", "(+)", "2+", "+" */
    if (len >= 3 && text[len - 1] == ')' && (text[len - 2] == '+' || text[len - 2] == '-')) {
        size_t k = len - 2;
        while (k > 0 && text[k - 1] >= '0' && text[k - 1] <= '9')
            k--;
        if (k > 0 && text[k - 1] == '(')
            len = k - 1;
    } else if (len >= 2 && (text[len - 1] == '+' || text[len - 1] == '-')) {
        len--;
        while (len > 1 && text[len - 1] >= '0' && text[len - 1] <= '9')
            len--;
    }
    if (!len || len > 12)
        return -1;
    int e1, c1, e2 = -1, c2 = 0;
    size_t a = read_element(text, len, &e1, &c1);
    if (!a)
        return -1;
    size_t b = a < len ? read_element(text + a, len - a, &e2, &c2) : 0;
    if (a + b != len || (!b && c1 != 1) || (b && (c1 != 1 || !elements[e2].anion)))
        return -1;
    if (!b) {
        if (strlen(elements[e1].sym) == 1 && strcmp(elements[e1].sym, "K") != 0)
            return -1;
        return find_text(lex, type, ns, elements[e1].name, strlen(elements[e1].name));
    }
    static const char *const mult[] = {"", "", "di", "tri", "tetra", "penta", "hexa"};
    char buf[64];
    for (int prefixed = 0; prefixed < 2; prefixed++) {
        if (prefixed && (c2 < 2 || c2 > 6))
            break;
        int n = snprintf(buf, sizeof buf, "%s %s%s", elements[e1].name,
                         prefixed ? mult[c2] : "", elements[e2].anion);
        long ki = n > 0 && (size_t)n < sizeof buf ? find_text(lex, type, ns, buf, (size_t)n) : -1;
        if (ki >= 0)
            return ki;
    }
    return -1;
}

/* Two words MeSH writes as one ("coronary artery spasm" is coronary
 * vasospasm); each pair swapped one way. */
static const char *const pair_syn[][3] = {
    {"artery", "spasm", "vasospasm"},
    {"arterial", "spasm", "vasospasm"},
    {"vessel", "spasm", "vasospasm"},
};

static long find_pair_syn(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                          const mwords *w)
{
    char buf[LM_LEXICON_KEY_MAX];
    for (size_t i = 0; i + 1 < w->count; i++)
        for (size_t s = 0; s < sizeof pair_syn / sizeof pair_syn[0]; s++) {
            if (!word_is(w->s[i], w->n[i], pair_syn[s][0]) ||
                !word_is(w->s[i + 1], w->n[i + 1], pair_syn[s][1]))
                continue;
            mwords re = *w;
            mw_drop(&re, i + 1);
            size_t n = join_words(&re, i, pair_syn[s][2], buf, sizeof buf);
            long ki = n ? find_text(lex, type, ns, buf, n) : -1;
            if (ki >= 0)
                return ki;
        }
    return -1;
}

/* Two adjectives joined by a hyphen say the same in either order
 * ("clonic-tonic convulsions" are tonic-clonic ones): each word of two
 * alphabetic halves of 4 or more letters swapped. */
static long find_hyphen_swap(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                             const mwords *w)
{
    char word[LM_LEXICON_KEY_MAX], buf[LM_LEXICON_KEY_MAX];
    for (size_t i = 0; i < w->count; i++) {
        const char *h = memchr(w->s[i], '-', w->n[i]);
        if (!h || w->n[i] >= sizeof word)
            continue;
        size_t a = (size_t)(h - w->s[i]), b = w->n[i] - a - 1;
        if (a < 4 || b < 4)
            continue;
        int alpha = 1;
        for (size_t k = 0; k < w->n[i] && alpha; k++)
            alpha = k == a || (w->s[i][k] >= 'a' && w->s[i][k] <= 'z') ||
                    (w->s[i][k] >= 'A' && w->s[i][k] <= 'Z');
        if (!alpha)
            continue;
        memcpy(word, h + 1, b);
        word[b] = '-';
        memcpy(word + b + 1, w->s[i], a);
        word[w->n[i]] = '\0';
        size_t n = join_words(w, i, word, buf, sizeof buf);
        long ki = n ? find_text(lex, type, ns, buf, n) : -1;
        if (ki >= 0)
            return ki;
    }
    return -1;
}

/* The disease rewrites of one word sequence, first known one wins: the
 * words as they are, one organ word swapped for its synonym, the head
 * word's noun form, leading modifiers of course or severity dropped (with
 * the noun form again), harm to an organ read as the organ's diseases. */
static long find_disease_words(const lm_lexicon *lex, const char *ns, const mwords *w)
{
    const lm_ent_type type = LM_ENT_DISEASE;
    char buf[LM_LEXICON_KEY_MAX];
    long ki;
    size_t n;
    if (w->count == 0)
        return -1;
    if ((n = join_words(w, SIZE_MAX, NULL, buf, sizeof buf)) &&
        (ki = find_text(lex, type, ns, buf, n)) >= 0)
        return ki;
    for (size_t i = 0; i < w->count; i++)
        for (size_t s = 0; s < sizeof word_syn / sizeof word_syn[0]; s++)
            for (int dir = 0; dir < 2; dir++)
                if (word_is(w->s[i], w->n[i], word_syn[s][dir]) &&
                    (n = join_words(w, i, word_syn[s][!dir], buf, sizeof buf)) &&
                    (ki = find_text(lex, type, ns, buf, n)) >= 0)
                    return ki;
    if ((ki = find_pair_syn(lex, type, ns, w)) >= 0)
        return ki;
    if ((ki = find_hyphen_swap(lex, type, ns, w)) >= 0)
        return ki;
    if ((ki = find_head_morph(lex, type, ns, w)) >= 0)
        return ki;
    mwords rest = *w;
    while (rest.count > 1 && word_in_list(rest.s[0], rest.n[0], disease_modifiers)) {
        memmove(rest.s, rest.s + 1, (rest.count - 1) * sizeof rest.s[0]);
        memmove(rest.n, rest.n + 1, (rest.count - 1) * sizeof rest.n[0]);
        rest.count--;
        if ((n = join_words(&rest, SIZE_MAX, NULL, buf, sizeof buf)) &&
            (ki = find_text(lex, type, ns, buf, n)) >= 0)
            return ki;
        if ((ki = find_head_morph(lex, type, ns, &rest)) >= 0)
            return ki;
    }
    if ((ki = find_organ_harm(lex, type, ns, &rest)) >= 0)
        return ki;
    /* where or when a known disease arose, said before it: read last,
     * after the organ's own diseases ("peripheral nervous system damage"
     * is a disease of that system, "peripheral edema" is edema) */
    while (rest.count > 1 && word_in_list(rest.s[0], rest.n[0], disease_settings)) {
        mw_drop(&rest, 0);
        if ((n = join_words(&rest, SIZE_MAX, NULL, buf, sizeof buf)) &&
            (ki = find_text(lex, type, ns, buf, n)) >= 0)
            return ki;
    }
    return -1;
}

/* Words that only say a disease shows itself ("tic-like symptoms",
 * "syncopal attacks", "epileptiform activity"): dropped from the end. */
static const char *const showing_words[] = {
    "symptoms", "symptom", "episodes", "episode", "attacks", "attack", "events",
    "activity", "behavior", "behaviour", "behaviors", "signs", "manifestations", "lesions",
    "lesion", NULL};

/* Words around a named infection ("hepatitis B virus infection",
 * "infected with hepatitis C virus", "HIV disease" = HIV infections). */
static const char *const infection_words[] = {"infection", "infections", "infected", "virus",
                                              "with", "by", NULL};

/* Prepositions after the head of a disease phrase written head first
 * ("cancer of the breast", "injury to the kidney"). */
static const char *const head_preps[] = {"of", "to", "in", "within", "at", NULL};
static const char *const articles[] = {"the", "a", "an", NULL};

/* Appends src[a..b) to dst (as far as it has room). */
static void mw_append(mwords *dst, const mwords *src, size_t a, size_t b)
{
    for (size_t i = a; i < b && dst->count < MW_MAX; i++) {
        dst->s[dst->count] = src->s[i];
        dst->n[dst->count++] = src->n[i];
    }
}

/* Disease names reworded the way MeSH words them, each form through
 * find_disease_words: a head written first turned around ("prolongation
 * of the QT interval" = "QT interval prolongation"), an organ's lost
 * function as its insufficiency or impairment ("decreased renal
 * function"), a type written first ("type B hepatitis"), a raised pressure
 * as hypertension, words showing the disease dropped ("tic-like symptoms"
 * = tics), a named infection read
 * without the words around it ("chronic infection with hepatitis C virus"
 * = chronic hepatitis C), a leading cause dropped ("swallowing-induced",
 * "transplant-associated") and "X disease" as "X infections" (for
 * viruses: "adenovirus disease"). */
static long find_disease_reworded(const lm_lexicon *lex, const char *ns, const mwords *w)
{
    long ki;
    /* a change in a disease named before it: "increase in tardive
     * dyskinesia" is tardive dyskinesia */
    static const char *const change_words[] = {"increase", "increases", "worsening",
                                               "exacerbation", "aggravation", NULL};
    if (w->count > 2 && word_in_list(w->s[0], w->n[0], change_words) &&
        (word_is(w->s[1], w->n[1], "in") || word_is(w->s[1], w->n[1], "of"))) {
        mwords rest = {.count = 0};
        mw_append(&rest, w, 2, w->count);
        if ((ki = find_disease_words(lex, ns, &rest)) >= 0)
            return ki;
    }
    /* head first: "H [of|to|in] [the] M..." -> "M... H" */
    for (size_t p = 1; p + 1 < w->count; p++) {
        if (!word_in_list(w->s[p], w->n[p], head_preps))
            continue;
        mwords inv = {.count = 0};
        size_t m = p + 1;
        if (m + 1 < w->count && word_in_list(w->s[m], w->n[m], articles))
            m++;
        for (size_t i = m; i < w->count; i++) {
            inv.s[inv.count] = w->s[i];
            inv.n[inv.count++] = w->n[i];
        }
        for (size_t i = 0; i < p; i++) {
            inv.s[inv.count] = w->s[i];
            inv.n[inv.count++] = w->n[i];
        }
        if ((ki = find_disease_words(lex, ns, &inv)) >= 0)
            return ki;
        break;
    }
    /* an organ's function lost: "decreased renal function", "loss of
     * kidney function" -> renal insufficiency, else the organ's diseases
     * ("impaired cognitive functions" -> cognition disorders) */
    size_t fl = w->count - 1;
    if (w->count >= 3 && w->n[fl] >= 8 && strncasecmp(w->s[fl], "function", 8) == 0) {
        static const char *const loss_words[] = {
            "decreased", "reduced", "impaired", "reduction", "decrease", "decline", "declines",
            "loss",      "failure", "of",       "in",        "deteriorated", "poor",
            "impairment", "impairments", NULL};
        size_t a = 0;
        while (a < fl && word_in_list(w->s[a], w->n[a], loss_words))
            a++;
        if (a > 0 && a < fl) {
            static const char *const lost[] = {"insufficiency", "impairment"};
            for (size_t k = 0; k < 2; k++) {
                mwords organ = {.count = 0};
                mw_append(&organ, w, a, fl);
                organ.s[organ.count] = lost[k];
                organ.n[organ.count++] = strlen(lost[k]);
                if ((ki = find_disease_words(lex, ns, &organ)) >= 0)
                    return ki;
            }
        }
    }
    /* "type B hepatitis" -> "hepatitis B", "hepatitis type B" */
    if (w->count >= 3 && word_is(w->s[0], w->n[0], "type") && w->n[1] <= 3) {
        for (int keep_type = 0; keep_type < 2; keep_type++) {
            mwords re = {.count = 0};
            mw_append(&re, w, 2, w->count);
            mw_append(&re, w, keep_type ? 0 : 1, 2);
            if ((ki = find_disease_words(lex, ns, &re)) >= 0)
                return ki;
        }
    }
    /* a pressure raised: "elevated intraocular pressure" -> ocular
     * hypertension, "rise in resting blood pressure" -> hypertension */
    if (w->count >= 2 && word_is(w->s[w->count - 1], w->n[w->count - 1], "pressure")) {
        static const char *const raised[] = {"elevated", "increased", "raised", "high",
                                             "rise", "increase", "in", "of", NULL};
        static const char *const plain[] = {"blood", "arterial", "resting", "systemic", NULL};
        size_t a = 0;
        while (a + 1 < w->count && word_in_list(w->s[a], w->n[a], raised))
            a++;
        if (a > 0) {
            static const char *const hyper = "hypertension";
            mwords re = {.count = 0};
            for (size_t i = a; i + 1 < w->count; i++)
                if (!word_in_list(w->s[i], w->n[i], plain))
                    mw_append(&re, w, i, i + 1);
            re.s[re.count] = hyper;
            re.n[re.count++] = strlen(hyper);
            if ((ki = find_disease_words(lex, ns, &re)) >= 0)
                return ki;
        }
    }
    /* showing words */
    mwords core = *w;
    while (core.count > 1 && word_in_list(core.s[core.count - 1], core.n[core.count - 1],
                                          showing_words))
        core.count--;
    size_t last = core.count - 1;
    if (core.n[last] > 7 && strncasecmp(core.s[last] + core.n[last] - 5, "-like", 5) == 0)
        core.n[last] -= 5;
    if ((core.count < w->count || core.n[last] < w->n[last]) &&
        (ki = find_disease_words(lex, ns, &core)) >= 0)
        return ki;
    /* a cause written into the name: "swallowing-induced ...",
     * "transplant-associated ..." */
    static const char *const cause_suffixes[] = {"-induced", "-associated", "-related",
                                                 "-mediated", NULL};
    for (size_t k = 0; cause_suffixes[k] && w->count > 1; k++) {
        size_t sl = strlen(cause_suffixes[k]);
        if (w->n[0] > sl + 2 && strncasecmp(w->s[0] + w->n[0] - sl, cause_suffixes[k], sl) == 0) {
            mwords rest = *w;
            mw_drop(&rest, 0);
            if ((ki = find_disease_words(lex, ns, &rest)) >= 0)
                return ki;
            break;
        }
    }
    /* a drug written before the disease it causes: "corticosteroid
     * glaucoma", "adrenaline arrhythmia" (a word the lexicon knows as a
     * chemical and not as a disease) */
    if (w->count > 1 && find_text(lex, LM_ENT_CHEMICAL, NULL, w->s[0], w->n[0]) >= 0 &&
        find_text(lex, LM_ENT_DISEASE, NULL, w->s[0], w->n[0]) < 0) {
        mwords rest = *w;
        mw_drop(&rest, 0);
        if ((ki = find_disease_words(lex, ns, &rest)) >= 0)
            return ki;
    }
    /* infections */
    int infection = 0;
    for (size_t i = 0; i < w->count; i++)
        infection |= word_is(w->s[i], w->n[i], "infection") ||
                     word_is(w->s[i], w->n[i], "infections") ||
                     word_is(w->s[i], w->n[i], "infected");
    if (infection) {
        mwords named = *w;
        for (size_t i = named.count; i-- > 0;)
            if (word_in_list(named.s[i], named.n[i], infection_words) && named.count > 1)
                mw_drop(&named, i);
        if (named.count < w->count && (ki = find_disease_words(lex, ns, &named)) >= 0)
            return ki;
    }
    if (w->count > 1 && word_is(w->s[w->count - 1], w->n[w->count - 1], "disease")) {
        char buf[LM_LEXICON_KEY_MAX];
        size_t n = join_words(w, w->count - 1, "infections", buf, sizeof buf);
        if (n && (ki = find_text(lex, LM_ENT_DISEASE, ns, buf, n)) >= 0)
            return ki;
    }
    return -1;
}

/* Radioisotopes a label names before a compound: symbol and name. */
static const char *const isotopes[][2] = {
    {"3H", "tritium"},      {"11C", "carbon-11"},    {"14C", "carbon-14"},
    {"13C", "carbon-13"},   {"15N", "nitrogen-15"},  {"18F", "fluorine-18"},
    {"32P", "phosphorus-32"}, {"35S", "sulfur-35"},  {"45Ca", "calcium-45"},
    {"51Cr", "chromium-51"}, {"67Ga", "gallium-67"}, {"68Ga", "gallium-68"},
    {"75Se", "selenium-75"}, {"86Rb", "rubidium-86"}, {"99mTc", "technetium-99m"},
    {"111In", "indium-111"}, {"123I", "iodine-123"}, {"125I", "iodine-125"},
    {"131I", "iodine-131"}, {"201Tl", "thallium-201"},
};

/* A radiolabel before a compound's name ("[3H]dopamine",
 * "125I-albumin", "iodine-125-metaiodobenzylguanidine"): its length with
 * the hyphen after it, 0 if none.  Unbracketed, tritium's "3H-" is left
 * alone: it is also a ring's indicated hydrogen ("3H-indole"). */
static size_t label_prefix(const char *s, size_t n)
{
    for (size_t k = 0; k < sizeof isotopes / sizeof isotopes[0]; k++) {
        size_t sl = strlen(isotopes[k][0]), nl = strlen(isotopes[k][1]), l = 0;
        if (n > sl + 2 && s[0] == '[' && memcmp(s + 1, isotopes[k][0], sl) == 0 &&
            s[sl + 1] == ']')
            l = sl + 2;
        else if (n > sl + 1 && k > 0 && memcmp(s, isotopes[k][0], sl) == 0 && s[sl] == '-')
            l = sl;
        else if (n > nl + 1 && strncasecmp(s, isotopes[k][1], nl) == 0 && s[nl] == '-')
            l = nl;
        if (!l)
            continue;
        if (l < n && s[l] == '-')
            l++;
        return l < n ? l : 0;
    }
    return 0;
}

/* Anions a metal forms its own compound with ("sodium fluoride",
 * "potassium nitrate"): the metal stays before them. */
static int inorganic_anion(const char *w, size_t n)
{
    static const char *const anions[] = {"nitrate", "sulfate", "sulphate", "phosphate",
                                         "carbonate", "bicarbonate", "chlorate", "perchlorate",
                                         "bromate", "iodate", "silicate", "borate", "acetate",
                                         "citrate", "lactate", "oxalate", "salicylate", NULL};
    return (n > 3 && (strncasecmp(w + n - 3, "ide", 3) == 0 ||
                      strncasecmp(w + n - 3, "ite", 3) == 0)) ||
           word_in_list(w, n, anions);
}

/* A drug's salt named metal first, "sodium thiopental", "disodium
 * edetate" (MeSH: thiopental, edetic acid): the name without the metal,
 * unless what follows is an inorganic anion.  bare receives the words
 * left when it has none yet (for a misspelling of them). */
static long find_metal_salt(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                            const mwords *w, mwords *bare)
{
    if (w->count < 2 || !word_in_list(w->s[0], w->n[0], metal_words) ||
        inorganic_anion(w->s[w->count - 1], w->n[w->count - 1]))
        return -1;
    mwords rest = *w;
    mw_drop(&rest, 0);
    if (!bare->count)
        *bare = rest;
    char buf[LM_LEXICON_KEY_MAX];
    size_t n = join_words(&rest, SIZE_MAX, NULL, buf, sizeof buf);
    return n ? find_text(lex, type, ns, buf, n) : -1;
}

/* Key index of the first order of w's words (other than their own when
 * skip_own: it was looked up already) that the lexicon knows, -1 if none. */
static long find_permuted(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                          const mwords *w, int skip_own)
{
    size_t k = w->count, idx[4], total = 1;
    if (k < 2 || k > 4)
        return -1;
    for (size_t d = 0; d < k; d++)
        total *= k;
    char buf[LM_LEXICON_KEY_MAX];
    for (size_t code = 0; code < total; code++) {
        size_t c = code;
        unsigned used = 0;
        int ok = 1, own = 1;
        for (size_t d = 0; d < k && ok; d++) {
            idx[d] = c % k;
            c /= k;
            ok = !(used & (1u << idx[d]));
            used |= 1u << idx[d];
            own &= idx[d] == d;
        }
        if (!ok || (own && skip_own))
            continue;
        mwords p = {.count = k};
        for (size_t d = 0; d < k; d++) {
            p.s[d] = w->s[idx[d]];
            p.n[d] = w->n[idx[d]];
        }
        size_t n = join_words(&p, SIZE_MAX, NULL, buf, sizeof buf);
        long ki = n ? find_text(lex, type, ns, buf, n) : -1;
        if (ki >= 0)
            return ki;
    }
    return -1;
}

/* A chemical class or compound named in another word order than the
 * vocabulary's: "alpha2-adrenergic receptor agonist" (MeSH: adrenergic
 * alpha-2 receptor agonists), "cyclic adenosine 3',5'-monophosphate"
 * (adenosine cyclic 3',5'-monophosphate).  Words are split at spaces and
 * at a hyphen between two words that begin with letters and have two or
 * more bytes (a locant or a one-letter "N-" stays with its word); every
 * other order of 2 to 4 words is tried, the first known one wins.  Then,
 * for a class of blocking agents, the words without "blocking" in any
 * order: MeSH names the kinds of neuromuscular blockers "neuromuscular
 * nondepolarizing agents" and "neuromuscular depolarizing agents"
 * ("nondepolarizing neuromuscular blocking agents"). */
static long find_reordered(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                           const char *text, size_t len)
{
    mwords w = {.count = 0};
    size_t i = 0;
    while (i < len) {
        if (text[i] == ' ') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && text[j] != ' ') {
            if (text[j] == '-' && j - i >= 2 && is_alpha_ascii((unsigned char)text[i]) &&
                j + 2 < len && is_alpha_ascii((unsigned char)text[j + 1]) && text[j + 2] != ' ' &&
                text[j + 2] != '-')
                break;
            j++;
        }
        if (w.count == 4)
            return -1;
        w.s[w.count] = text + i;
        w.n[w.count++] = j - i;
        i = j + (j < len && text[j] == '-');
    }
    long ki = find_permuted(lex, type, ns, &w, 1);
    if (ki >= 0 || w.count < 3)
        return ki;
    size_t last = w.count - 1;
    if (!word_is(w.s[last], w.n[last], "agents") && !word_is(w.s[last], w.n[last], "agent"))
        return -1;
    for (size_t k = 0; k < last; k++)
        if (word_is(w.s[k], w.n[k], "blocking")) {
            mwords rest = w;
            mw_drop(&rest, k);
            return find_permuted(lex, type, ns, &rest, 0);
        }
    return -1;
}

/* A plural MeSH puts on a word other than the last ("prostaglandin E":
 * prostaglandins E): each earlier word of 4 or more letters with an "s"
 * added, or taken off. */
static long find_inner_plural(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                              const mwords *w)
{
    char word[LM_LEXICON_KEY_MAX], buf[LM_LEXICON_KEY_MAX];
    for (size_t i = 0; i + 1 < w->count; i++) {
        size_t wn = w->n[i];
        if (wn < 4 || wn + 2 > sizeof word)
            continue;
        int alpha = 1;
        for (size_t k = 0; k < wn && alpha; k++)
            alpha = is_alpha_ascii((unsigned char)w->s[i][k]);
        if (!alpha)
            continue;
        memcpy(word, w->s[i], wn);
        if (word[wn - 1] == 's' && word[wn - 2] != 's')
            word[wn - 1] = '\0';
        else if (word[wn - 1] != 's')
            memcpy(word + wn, "s", 2);
        else
            continue;
        size_t n = join_words(w, i, word, buf, sizeof buf);
        long ki = n ? find_text(lex, type, ns, buf, n) : -1;
        if (ki >= 0)
            return ki;
    }
    return -1;
}

/* Substituent prefixes of a compound's name, which IUPAC writes in
 * alphabetical order (find_substituents_sorted). */
static const char *const substituents[] = {
    "acetyl", "amino", "benzyl", "bromo", "butyl", "carboxy", "chloro", "cyano", "ethoxy",
    "ethyl", "fluoro", "formyl", "hydroxy", "iodo", "methoxy", "methyl", "nitro", "nitroso",
    "oxo", "phenyl", "propyl", NULL};

/* The substituent of the list that w begins with (the longest), its
 * length; 0 if none. */
static size_t substituent_at(const char *w, size_t n)
{
    size_t best = 0;
    for (size_t k = 0; substituents[k]; k++) {
        size_t l = strlen(substituents[k]);
        if (l <= n && l > best && strncasecmp(w, substituents[k], l) == 0)
            best = l;
    }
    return best;
}

/* A compound named with its substituents out of alphabetical order,
 * "N-nitroso-N-methylurea" (MeSH: N-methyl-N-nitrosourea): a name of the
 * form locant-substituent-...-locant-substituent+parent, locants of one
 * to three bytes, rewritten with the (locant, substituent) pairs sorted by
 * substituent. */
static long find_substituents_sorted(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                                     const char *text, size_t len)
{
    struct {
        const char *loc, *sub;
        size_t ln, sn;
    } part[6], t;
    size_t np = 0, i = 0;
    const char *parent = NULL;
    size_t parent_n = 0;
    while (i < len) {
        const char *h = memchr(text + i, '-', len - i);
        if (!h || (size_t)(h - text) - i > 3 || (size_t)(h - text) - i == 0 || np == 6)
            return -1;
        part[np].loc = text + i;
        part[np].ln = (size_t)(h - text) - i;
        i = (size_t)(h - text) + 1;
        const char *e = memchr(text + i, '-', len - i);
        size_t wn = e ? (size_t)(e - text) - i : len - i;
        size_t sl = substituent_at(text + i, wn);
        if (!sl)
            return -1;
        part[np].sub = text + i;
        part[np].sn = e ? wn : sl;
        np++;
        if (!e) {
            parent = text + i + sl;
            parent_n = wn - sl;
            break;
        }
        i += wn + 1;
    }
    if (np < 2 || parent_n < 3)
        return -1;
    int moved = 0;
    for (size_t a = 1; a < np; a++)
        for (size_t b = a; b > 0; b--) {
            size_t m = part[b - 1].sn < part[b].sn ? part[b - 1].sn : part[b].sn;
            int c = strncasecmp(part[b - 1].sub, part[b].sub, m);
            if (c < 0 || (c == 0 && part[b - 1].sn <= part[b].sn))
                break;
            t = part[b - 1];
            part[b - 1] = part[b];
            part[b] = t;
            moved = 1;
        }
    if (!moved)
        return -1;
    char buf[LM_LEXICON_KEY_MAX];
    size_t o = 0;
    for (size_t k = 0; k < np; k++) {
        if (o + part[k].ln + part[k].sn + 3 > sizeof buf)
            return -1;
        memcpy(buf + o, part[k].loc, part[k].ln);
        o += part[k].ln;
        buf[o++] = '-';
        memcpy(buf + o, part[k].sub, part[k].sn);
        o += part[k].sn;
        if (k + 1 < np)
            buf[o++] = '-';
    }
    if (o + parent_n + 1 > sizeof buf)
        return -1;
    memcpy(buf + o, parent, parent_n);
    o += parent_n;
    return find_text(lex, type, ns, buf, o);
}

/* A chemical named by what it does, "oral contraception" (MeSH: oral
 * contraceptives), "sedation": the last word's "-ion" read as "-ives",
 * then "-ive". */
static long find_agent_noun(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                            const mwords *w)
{
    size_t last = w->count - 1, wn = w->n[last];
    char word[LM_LEXICON_KEY_MAX], buf[LM_LEXICON_KEY_MAX];
    if (wn < 6 || wn + 2 >= sizeof word || strncasecmp(w->s[last] + wn - 3, "ion", 3) != 0)
        return -1;
    static const char *const endings[] = {"ives", "ive"};
    for (size_t k = 0; k < 2; k++) {
        snprintf(word, sizeof word, "%.*s%s", (int)(wn - 3), w->s[last], endings[k]);
        size_t n = join_words(w, last, word, buf, sizeof buf);
        long ki = n ? find_text(lex, type, ns, buf, n) : -1;
        if (ki >= 0)
            return ki;
    }
    return -1;
}

/* Key index of the first rewrite of text that the lexicon knows, -1 if
 * none.  Chemicals: salt, formulation and radiolabel words dropped, a
 * formula, a class's "drugs" as "agents", then a leading locant, isomer
 * prefix or radiolabel, a leading metal, another word order, a plural
 * on an earlier word, substituents in alphabetical order, an action's
 * noun as its agents'.  Diseases: find_disease_words (synonyms, the head
 * word's noun form, leading modifiers, harm to an organ), then
 * find_disease_reworded, then a name cut short.  Both: at last a
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
                (i == 0 && word_in_list(w.s[i], w.n[i], metal_words))) {
                k.s[k.count] = w.s[i];
                k.n[k.count++] = w.n[i];
            }
        if (k.count && k.count < w.count) {
            bare = k;
            if ((n = join_words(&k, SIZE_MAX, NULL, buf, sizeof buf)) &&
                (ki = find_text(lex, type, ns, buf, n)) >= 0)
                return ki;
        }
        if (w.count == 1 && (ki = find_formula(lex, type, ns, text, len)) >= 0)
            return ki;
        size_t last = w.count - 1;
        for (size_t c = 0; c < sizeof class_words / sizeof class_words[0] && w.count > 1; c++)
            if (word_is(w.s[last], w.n[last], class_words[c][0]) &&
                (n = join_words(&w, last, class_words[c][1], buf, sizeof buf)) &&
                (ki = find_text(lex, type, ns, buf, n)) >= 0)
                return ki;
        /* on the text, not its first word: words split at commas
         * ("0,0'-diisopropyl phosphorofluoridate") */
        size_t lp = locant_prefix(text, len);
        if (!lp)
            lp = isomer_prefix(text, len);
        if (!lp)
            lp = label_prefix(text, len);
        if (lp && (ki = find_text(lex, type, ns, text + lp, len - lp)) >= 0)
            return ki;
        if ((ki = find_metal_salt(lex, type, ns, &w, &bare)) >= 0)
            return ki;
        if ((ki = find_reordered(lex, type, ns, text, len)) >= 0)
            return ki;
        if ((ki = find_inner_plural(lex, type, ns, &w)) >= 0)
            return ki;
        if ((ki = find_substituents_sorted(lex, type, ns, text, len)) >= 0)
            return ki;
        if ((ki = find_agent_noun(lex, type, ns, &w)) >= 0)
            return ki;
    }
    /* Only chemicals and diseases: a gene's name is not rewritten. */
    if (type != LM_ENT_DISEASE && type != LM_ENT_CHEMICAL)
        return -1;
    if (type == LM_ENT_DISEASE && (ki = find_disease_words(lex, ns, &w)) >= 0)
        return ki;
    if (type == LM_ENT_DISEASE && (ki = find_disease_reworded(lex, ns, &w)) >= 0)
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
    if (ki < 0 && bare.count && (n = join_words(&bare, SIZE_MAX, NULL, buf, sizeof buf)))
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
    return matches_of_form(lex, ki, type, ns, variant, out, max);
}

size_t lm_lexicon_lookup_mention(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                                 const char *text, size_t len, lm_lexicon_match *out,
                                 size_t max)
{
    return lookup_mention(lex, type, ns, text, len, 1, out, max);
}

/* ---- mentions naming several concepts ---- */

/* Appends the id of the words of part (as lm_lexicon_lookup_mention reads
 * them) to ids unless it is there already; 0 when they are unknown. */
static int add_part_id(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                       const mwords *part, lm_buf *ids)
{
    char buf[LM_LEXICON_KEY_MAX];
    size_t n = join_words(part, SIZE_MAX, NULL, buf, sizeof buf);
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
    return (!ids->len || lm_buf_append_char(ids, '|') == LM_OK) &&
           lm_buf_append(ids, m.id, il) == LM_OK;
}

/* add_part_id of w[a..b) followed by tail[ta..tb) */
static int add_run_id(const lm_lexicon *lex, lm_ent_type type, const char *ns, const mwords *w,
                      size_t a, size_t b, const mwords *tail, size_t ta, size_t tb, lm_buf *ids)
{
    mwords part = {.count = 0};
    mw_append(&part, w, a, b);
    if (tail)
        mw_append(&part, tail, ta, tb);
    return add_part_id(lex, type, ns, &part, ids);
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
                           const char *text, size_t len, lm_buf *ids)
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
                ok = add_run_id(lex, type, ns, &w, cut[k], cut[k + 1], NULL, 0, 0, ids);
            ok = ok && add_run_id(lex, type, ns, &w, c + 1, w.count, NULL, 0, 0, ids);
        } else if (how == 1) {
            /* the last conjunct's head, after as many words as the others have */
            if (rn <= last_n)
                continue;
            size_t h = c + 1 + last_n;
            for (size_t k = 0; k < nc && ok; k++)
                ok = add_run_id(lex, type, ns, &w, cut[k], cut[k + 1], &w, h, w.count, ids);
            ok = ok && add_run_id(lex, type, ns, &w, c + 1, w.count, NULL, 0, 0, ids);
        } else {
            /* the first conjunct's modifiers before each of the others */
            if (cut[1] - cut[0] < 2)
                continue;
            ok = add_run_id(lex, type, ns, &w, cut[0], cut[1], NULL, 0, 0, ids);
            for (size_t k = 1; k <= nc && ok; k++) {
                size_t a = k < nc ? cut[k] : c + 1, b = k < nc ? cut[k + 1] : w.count;
                ok = add_run_id(lex, type, ns, &w, 0, cut[1] - 1, &w, a, b, ids);
            }
        }
        if (ok)
            return 1;
    }
    lm_buf_reset(ids);
    return 0;
}

/* Two diseases written side by side, "myxedema coma", "postoperative
 * delirium", "eosinophilic myocarditis" (the first often an adjective):
 * both parts known, the second not a word for harm in general. */
static int juxtaposed_ids(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                          const char *text, size_t len, lm_buf *ids)
{
    mwords w;
    if (!split_words(text, len, &w) || w.count < 2 || w.count > 3)
        return 0;
    static const char *const kind_words[] = {"syndrome", "syndromes", "disease", "diseases",
                                             "illness", "condition", "conditions", NULL};
    for (size_t k = 1; k < w.count; k++) {
        if (k + 1 == w.count && (word_in_list(w.s[k], w.n[k], harm_words) ||
                                 word_in_list(w.s[k], w.n[k], kind_words)))
            continue;
        lm_buf_reset(ids);
        if (add_run_id(lex, type, ns, &w, 0, k, NULL, 0, 0, ids) &&
            add_run_id(lex, type, ns, &w, k, w.count, NULL, 0, 0, ids) &&
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
                     size_t len, lm_buf *ids)
{
    if (len >= LM_LEXICON_KEY_MAX || memchr(text, ' ', len) || memchr(text, '-', len))
        return 0;
    static const char *const endings[] = {"a", "ia", "y", "e", ""};
    char first[LM_LEXICON_KEY_MAX + 4];
    for (size_t i = 4; i + 7 <= len; i++) {
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
            if (add_part_id(lex, type, ns, &head, ids) &&
                add_part_id(lex, type, ns, &second, ids) && strchr(lm_buf_cstr(ids), '|'))
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
    return coordinated_ids(lex, type, ns, text, len, ids) ||
           juxtaposed_ids(lex, type, ns, text, len, ids) || fused_ids(lex, type, ns, text, len, ids);
}
