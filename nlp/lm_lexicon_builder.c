/*
 * Lexicon builder: names and ids in, a built lexicon (lm_lexicon_internal.h,
 * described in lm_lexicon.c) out.  The importers (nlp/train/
 * lm_lexicon_import.c) and `lexicon build` feed it; lm_lexicon.c saves
 * what it finishes.
 *
 * The builder collects raw entries (normalised key, concept, source) and
 * resolves them at finish: duplicates merge (best score, union of flags,
 * summed counts), then the ambiguity rules apply per (name, type) group:
 * corpus names keep only their most frequent id, and a gene name that is
 * somebody's official symbol drops the genes for which it is only a synonym.
 * Before finish, a bridge may copy one vocabulary's names onto another's ids
 * through the names they share (DrugBank synonyms onto MeSH ids).
 *
 * Concepts are interned by id in an open-addressing table of indexes into
 * one growing array; finish works on a copy of the entry headers and
 * leaves the builder as it was.
 */
#include "../util/lm_buf.h"
#include "../util/lm_sort.h"
#include "lm_lexicon_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
