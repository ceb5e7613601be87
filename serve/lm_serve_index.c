/*
 * The server's concept index: what the search facets, the concept page and
 * the autocomplete list count, held in memory so that a page counts over
 * arrays instead of grouping mention rows in SQL.
 *
 * It is built from two scans inside one read transaction (every article's
 * year; every grounded mention) and is then read-only: each article's
 * distinct concepts and each concept's articles as sorted integer lists
 * (CSR: an offset array into one flat array), the concepts sorted by (id,
 * type) with their mention counts, most frequent text and, per id, the
 * texts it is written as.  At 100,000 abstracts (1.65 M mentions) that is
 * about 10 MB, built in a second or two.
 *
 * Interning.  Concepts and (concept, text) pairs are numbered through an
 * lm_map keyed by an XXH3 hash of the string; a slot whose string differs
 * (a collision) moves to the next hash in a fixed sequence, so equal
 * strings always meet and different ones never merge.
 *
 * Freshness is lm_serve.c's: a new index is built when the database
 * changed and swapped in whole, so a page counts over one committed state.
 */
#include "../util/lm_map.h"
#include "../util/lm_sort.h"
#include "lm_serve_impl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#define MAX_SYNONYMS 12

/* ---- building --------------------------------------------------------- */

typedef struct text_entry {
    uint32_t concept;            /* build-time concept number */
    char *text;
    int64_t n;
} text_entry;

typedef struct build {
    lm_serve_index *ix;
    size_t cap_articles;
    lm_map concept_of;           /* hash -> 1 + build-time concept number */
    size_t cap_concepts;
    lm_map text_of;              /* hash -> 1 + text entry number */
    text_entry *texts;
    size_t n_texts, cap_texts;
    uint64_t *pairs;             /* article << 32 | build-time concept */
    size_t n_pairs, cap_pairs;
    int64_t last_pmid;
    size_t last_article;         /* SIZE_MAX: not stored */
} build;

static uint64_t next_hash(uint64_t h)
{
    return h * 0x9E3779B97F4A7C15ULL + 1;
}

static lm_status keep_year(void *ctx, int64_t pmid, int year)
{
    build *b = ctx;
    lm_serve_index *ix = b->ix;
    if (lm_vec_grow((void **)&ix->pmids, &b->cap_articles, ix->n_articles + 1,
                    sizeof *ix->pmids) != LM_OK)
        return LM_ERR_NOMEM;
    size_t cap = b->cap_articles;
    int16_t *y = realloc(ix->years, cap * sizeof *y);
    if (!y)
        return LM_ERR_NOMEM;
    ix->years = y;
    ix->pmids[ix->n_articles] = pmid;
    ix->years[ix->n_articles] = (int16_t)(year > 0 && year < 32768 ? year : 0);
    ix->n_articles++;
    return LM_OK;
}

static size_t find_article(const lm_serve_index *ix, int64_t pmid)
{
    size_t lo = 0, hi = ix->n_articles;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->pmids[mid] < pmid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ix->n_articles && ix->pmids[lo] == pmid ? lo : SIZE_MAX;
}

/* The build-time number of (id, type), added when new; UINT32_MAX when out
 * of memory. */
static uint32_t intern_concept(build *b, const char *id, const char *type)
{
    lm_serve_index *ix = b->ix;
    size_t il = strlen(id), tl = strlen(type);
    uint64_t h = XXH3_64bits_withSeed(type, tl, XXH3_64bits(id, il));
    for (;; h = next_hash(h)) {
        int added = 0;
        uint64_t *slot = lm_map_upsert(&b->concept_of, lm_map_key(h), &added);
        if (!slot)
            return UINT32_MAX;
        if (!added) {
            const lm_serve_concept *c = &ix->concepts[*slot - 1];
            if (strcmp(c->id, id) == 0 && strcmp(c->type, type) == 0)
                return (uint32_t)(*slot - 1);
            continue;
        }
        if (lm_vec_grow((void **)&ix->concepts, &b->cap_concepts, ix->n_concepts + 1,
                        sizeof *ix->concepts) != LM_OK)
            return UINT32_MAX;
        lm_serve_concept *c = &ix->concepts[ix->n_concepts];
        memset(c, 0, sizeof *c);
        c->id = strdup(id);
        c->type = strdup(type);
        *slot = ++ix->n_concepts;
        return c->id && c->type ? (uint32_t)(ix->n_concepts - 1) : UINT32_MAX;
    }
}

static lm_status count_text(build *b, uint32_t concept, const char *text)
{
    size_t tl = strlen(text);
    for (uint64_t h = XXH3_64bits_withSeed(text, tl, concept);; h = next_hash(h)) {
        int added = 0;
        uint64_t *slot = lm_map_upsert(&b->text_of, lm_map_key(h), &added);
        if (!slot)
            return LM_ERR_NOMEM;
        if (!added) {
            text_entry *t = &b->texts[*slot - 1];
            if (t->concept != concept || strcmp(t->text, text) != 0)
                continue;
            t->n++;
            return LM_OK;
        }
        if (lm_vec_grow((void **)&b->texts, &b->cap_texts, b->n_texts + 1, sizeof *b->texts) !=
            LM_OK)
            return LM_ERR_NOMEM;
        text_entry *t = &b->texts[b->n_texts];
        t->concept = concept;
        t->n = 1;
        t->text = strdup(text);
        *slot = ++b->n_texts;
        return t->text ? LM_OK : LM_ERR_NOMEM;
    }
}

static lm_status keep_mention(void *ctx, const lm_grounded_row *r)
{
    build *b = ctx;
    if (r->pmid != b->last_pmid) {
        b->last_pmid = r->pmid;
        b->last_article = find_article(b->ix, r->pmid);
    }
    if (b->last_article == SIZE_MAX)
        return LM_OK;
    uint32_t c = intern_concept(b, r->concept_id, r->type);
    if (c == UINT32_MAX || count_text(b, c, r->text) != LM_OK)
        return LM_ERR_NOMEM;
    b->ix->concepts[c].mentions++;
    if (lm_vec_grow((void **)&b->pairs, &b->cap_pairs, b->n_pairs + 1, sizeof *b->pairs) != LM_OK)
        return LM_ERR_NOMEM;
    b->pairs[b->n_pairs++] = (uint64_t)b->last_article << 32 | c;
    return LM_OK;
}

static int cmp_concept(const void *a, const void *b)
{
    const lm_serve_concept *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : strcmp(x->type, y->type);
}

/* Sorts the concepts by (id, type) and renumbers pairs and texts. */
static lm_status sort_concepts(build *b)
{
    lm_serve_index *ix = b->ix;
    size_t n = ix->n_concepts;
    /* Sort (concept, old number) together: the old number rides in the
     * articles field, unused until the lists are built. */
    for (size_t i = 0; i < n; i++)
        ix->concepts[i].articles = (uint32_t)i;
    if (n)
        lm_qsort(ix->concepts, n, sizeof *ix->concepts, cmp_concept);
    uint32_t *new_of = malloc((n ? n : 1) * sizeof *new_of);
    if (!new_of)
        return LM_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        new_of[ix->concepts[i].articles] = (uint32_t)i;
    for (size_t i = 0; i < b->n_pairs; i++)
        b->pairs[i] = (b->pairs[i] >> 32) << 32 | new_of[(uint32_t)b->pairs[i]];
    for (size_t i = 0; i < b->n_texts; i++)
        b->texts[i].concept = new_of[b->texts[i].concept];
    free(new_of);
    return LM_OK;
}

/* Each article's distinct concepts (counting sort by article, then a sort
 * of each short list) and each concept's articles. */
static lm_status build_lists(build *b)
{
    lm_serve_index *ix = b->ix;
    size_t na = ix->n_articles, nc = ix->n_concepts;
    ix->article_at = calloc(na + 1, sizeof *ix->article_at);
    uint32_t *flat = malloc((b->n_pairs ? b->n_pairs : 1) * sizeof *flat);
    if (!ix->article_at || !flat) {
        free(flat);
        return LM_ERR_NOMEM;
    }
    for (size_t i = 0; i < b->n_pairs; i++)
        ix->article_at[(b->pairs[i] >> 32) + 1]++;
    for (size_t a = 0; a < na; a++)
        ix->article_at[a + 1] += ix->article_at[a];
    uint32_t *fill = malloc((na ? na : 1) * sizeof *fill);
    if (!fill) {
        free(flat);
        return LM_ERR_NOMEM;
    }
    memcpy(fill, ix->article_at, na * sizeof *fill);
    for (size_t i = 0; i < b->n_pairs; i++)
        flat[fill[b->pairs[i] >> 32]++] = (uint32_t)b->pairs[i];
    free(fill);
    free(b->pairs);
    b->pairs = NULL;
    /* Sort and deduplicate in place, compacting as we go. */
    uint32_t w = 0;
    for (size_t a = 0; a < na; a++) {
        uint32_t from = ix->article_at[a], to = ix->article_at[a + 1];
        if (to > from)
            lm_qsort(flat + from, to - from, sizeof *flat, lm_serve_cmp_u32);
        ix->article_at[a] = w;
        for (uint32_t i = from; i < to; i++)
            if (i == from || flat[i] != flat[i - 1])
                flat[w++] = flat[i];
    }
    ix->article_at[na] = w;
    ix->article_concepts = realloc(flat, (w ? w : 1) * sizeof *flat);
    if (!ix->article_concepts) {
        ix->article_concepts = flat;
        return LM_ERR_NOMEM;
    }
    ix->concept_articles = malloc((w ? w : 1) * sizeof *ix->concept_articles);
    uint32_t *at = calloc(nc + 1, sizeof *at);
    if (!ix->concept_articles || !at) {
        free(at);
        return LM_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < w; i++)
        at[ix->article_concepts[i] + 1]++;
    for (size_t c = 0; c < nc; c++) {
        ix->concepts[c].n_articles = at[c + 1];
        at[c + 1] += at[c];
        ix->concepts[c].articles = at[c];
    }
    for (size_t a = 0; a < na; a++)
        for (uint32_t i = ix->article_at[a]; i < ix->article_at[a + 1]; i++)
            ix->concept_articles[at[ix->article_concepts[i]]++] = (uint32_t)a;
    free(at);
    return LM_OK;
}

/* A text with its concept's id, in the order synonyms are folded: by id,
 * then case-folded (ASCII, like SQLite's NOCASE), then byte order. */
typedef struct text_ref {
    const char *id;
    const text_entry *t;
} text_ref;

static int cmp_text_ref(const void *a, const void *b)
{
    const text_ref *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (!c)
        c = strcasecmp(x->t->text, y->t->text);
    return c ? c : strcmp(x->t->text, y->t->text);
}

static int cmp_synonym(const void *a, const void *b)
{
    const lm_serve_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->text, y->text);
}

/* Each concept's most frequent text (ties: first in byte order), and for
 * the first concept of each id the texts the id is written as, folded by
 * case, most frequent first. */
static lm_status name_concepts(build *b)
{
    lm_serve_index *ix = b->ix;
    uint32_t *best = malloc((ix->n_concepts ? ix->n_concepts : 1) * sizeof *best);
    text_ref *order = malloc((b->n_texts ? b->n_texts : 1) * sizeof *order);
    if (!best || !order) {
        free(best);
        free(order);
        return LM_ERR_NOMEM;
    }
    for (size_t c = 0; c < ix->n_concepts; c++)
        best[c] = UINT32_MAX;
    for (size_t i = 0; i < b->n_texts; i++) {
        const text_entry *t = &b->texts[i];
        uint32_t *at = &best[t->concept];
        if (*at == UINT32_MAX || t->n > b->texts[*at].n ||
            (t->n == b->texts[*at].n && strcmp(t->text, b->texts[*at].text) < 0))
            *at = (uint32_t)i;
        order[i] = (text_ref){ix->concepts[t->concept].id, t};
    }
    lm_status st = LM_OK;
    for (size_t c = 0; c < ix->n_concepts && st == LM_OK; c++)
        if (!(ix->concepts[c].name = strdup(best[c] == UINT32_MAX ? "" : b->texts[best[c]].text)))
            st = LM_ERR_NOMEM;
    free(best);
    if (st == LM_OK && b->n_texts)
        lm_qsort(order, b->n_texts, sizeof *order, cmp_text_ref);
    lm_serve_count syn[64];
    for (size_t i = 0; i < b->n_texts && st == LM_OK;) {
        const char *id = order[i].id;
        size_t first = ix->n_concepts, n = 0, j = i;
        while (j < b->n_texts && strcmp(order[j].id, id) == 0) {
            /* A case-folded run: its first text is the smallest. */
            const text_entry *t = order[j].t;
            lm_serve_count cand = {NULL, NULL, t->text, 0, 0};
            for (; j < b->n_texts; j++) {
                const text_entry *u = order[j].t;
                if (strcmp(order[j].id, id) != 0 || strcasecmp(u->text, t->text) != 0)
                    break;
                cand.n += u->n;
                if (u->concept < first)
                    first = u->concept;
            }
            /* Keep the best 64 (plenty for the 12 shown). */
            if (n < sizeof syn / sizeof syn[0]) {
                syn[n++] = cand;
            } else {
                size_t worst = 0;
                for (size_t k = 1; k < n; k++)
                    if (cmp_synonym(&syn[k], &syn[worst]) > 0)
                        worst = k;
                if (cmp_synonym(&cand, &syn[worst]) < 0)
                    syn[worst] = cand;
            }
        }
        lm_qsort(syn, n, sizeof syn[0], cmp_synonym);
        if (n > MAX_SYNONYMS)
            n = MAX_SYNONYMS;
        lm_serve_concept *c = &ix->concepts[first];
        if (!(c->synonyms = calloc(n ? n : 1, sizeof *c->synonyms)))
            st = LM_ERR_NOMEM;
        for (size_t k = 0; k < n && st == LM_OK; k++) {
            c->synonyms[k].n = syn[k].n;
            c->n_synonyms = k + 1;
            if (!(c->synonyms[k].text = strdup(syn[k].text)))
                st = LM_ERR_NOMEM;
        }
        i = j;
    }
    free(order);
    return st;
}

/* An autocomplete entry for concept c under name (its id and type are
 * the concept's, borrowed). */
static lm_status add_name(lm_serve_index *ix, size_t *cap, const char *name,
                          const lm_serve_concept *c)
{
    if (lm_vec_grow((void **)&ix->complete, cap, ix->n_complete + 1, sizeof *ix->complete) !=
        LM_OK)
        return LM_ERR_NOMEM;
    lm_serve_name *e = &ix->complete[ix->n_complete];
    e->name = strdup(name);
    e->key = strdup(name);
    e->id = c->id;
    e->type = c->type;
    e->mentions = c->mentions;
    ix->n_complete++;
    if (!e->name || !e->key)
        return LM_ERR_NOMEM;
    for (char *p = e->key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return LM_OK;
}

static int cmp_name(const void *a, const void *b)
{
    const lm_serve_name *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->id, y->id);
}

/* The autocomplete list: each concept under the lexicon's name and, when
 * it differs, the text it is most often written as. */
static lm_status build_complete(lm_serve_index *ix, const lm_lexicon *names)
{
    size_t cap = 0;
    lm_status st = LM_OK;
    for (size_t i = 0; i < ix->n_concepts && st == LM_OK; i++) {
        const lm_serve_concept *c = &ix->concepts[i];
        const char *text = c->name[0] ? c->name : c->id;
        lm_lexicon_concept lc;
        const char *known =
            names && lm_lexicon_get_concept(names, c->id, &lc) && lc.name[0] ? lc.name : NULL;
        st = add_name(ix, &cap, known ? known : text, c);
        if (st == LM_OK && known && strcasecmp(known, text) != 0)
            st = add_name(ix, &cap, text, c);
    }
    if (st == LM_OK && ix->n_complete)
        lm_qsort(ix->complete, ix->n_complete, sizeof *ix->complete, cmp_name);
    return st;
}

void lm_serve_index_free(lm_serve_index *ix)
{
    if (!ix)
        return;
    for (size_t i = 0; i < ix->n_concepts; i++) {
        lm_serve_concept *c = &ix->concepts[i];
        free(c->id);
        free(c->type);
        free(c->name);
        for (size_t k = 0; k < c->n_synonyms; k++)
            free(c->synonyms[k].text);
        free(c->synonyms);
    }
    free(ix->concepts);
    for (size_t i = 0; i < ix->n_complete; i++) {
        free(ix->complete[i].key);
        free(ix->complete[i].name);
    }
    free(ix->complete);
    free(ix->pmids);
    free(ix->years);
    free(ix->article_at);
    free(ix->article_concepts);
    free(ix->concept_articles);
    free(ix);
}

lm_status lm_serve_index_build(const lm_lexicon *names, lm_store *s, lm_serve_index **out,
                               lm_error *err)
{
    *out = NULL;
    build b;
    memset(&b, 0, sizeof b);
    b.last_pmid = -1;
    lm_map_init(&b.concept_of);
    lm_map_init(&b.text_of);
    b.ix = calloc(1, sizeof *b.ix);
    if (!b.ix)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_status st = lm_store_article_years(s, keep_year, &b, err);
    if (st == LM_OK)
        st = lm_store_grounded_mentions(s, keep_mention, &b, err);
    lm_map_free(&b.concept_of);
    lm_map_free(&b.text_of);
    if (st == LM_OK)
        st = sort_concepts(&b);
    if (st == LM_OK)
        st = build_lists(&b);
    if (st == LM_OK)
        st = name_concepts(&b);
    if (st == LM_OK)
        st = build_complete(b.ix, names);
    for (size_t i = 0; i < b.n_texts; i++)
        free(b.texts[i].text);
    free(b.texts);
    free(b.pairs);
    if (st == LM_ERR_NOMEM)
        lm_error_set(err, st, "building the concept index: out of memory");
    if (st != LM_OK) {
        lm_serve_index_free(b.ix);
        return st;
    }
    *out = b.ix;
    return LM_OK;
}

/* ---- reading ---------------------------------------------------------- */

size_t lm_serve_index_article(const lm_serve_index *ix, int64_t pmid)
{
    return find_article(ix, pmid);
}

size_t lm_serve_index_concept(const lm_serve_index *ix, const char *id, size_t *n)
{
    size_t lo = 0, hi = ix->n_concepts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->concepts[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < ix->n_concepts && strcmp(ix->concepts[end].id, id) == 0)
        end++;
    *n = end - lo;
    return lo;
}
