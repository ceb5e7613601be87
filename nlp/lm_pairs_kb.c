/*
 * The pair classifier's knowledge prior: which (chemical, disease) pairs
 * the training corpus (BC5CDR) relates as CID, and how often.
 *
 * BioCreative V's best CID systems leaned on a curated database (CTD).
 * litmine has none, but its training abstracts are one: a pair the
 * annotators related in other abstracts is far more often related again
 * (on BC5CDR dev, 66% of the candidate pairs seen as CID in a training
 * abstract are gold, against 19% of all candidates).  The table counts,
 * per pair, the training documents where it is a CID pair and those where
 * both concepts are annotated; per concept, the documents naming it and
 * those where it takes part in a CID pair ("this disease is often an
 * adverse effect").  The model file carries the table, so ingest and
 * `eval cid` read the same counts the classifier learned from.
 *
 * Training documents must not see their own contribution, or the feature
 * would just repeat the label: a lookup takes the gold document to leave
 * out (the training document itself, whose twins — the same abstract with
 * lexicon ids or as tagged — share its PMID and hence its gold document),
 * and subtracts what that document added.  What a training document sees
 * is then what a new abstract sees: the counts of all the other ones.
 *
 * Ids are stored without the "MESH:" prefix (BC5CDR writes "D008012",
 * the pipeline "MESH:D008012"); composite ids count as each part; text:
 * keys and ids of other vocabularies never match.  The table is immutable
 * once built and sorted, so lookups (binary search) are thread-safe.
 */
#include "../util/lm_buf.h"
#include "../util/lm_le.h"
#include "../util/lm_sort.h"
#include "lm_pairs_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct kb_pair {
    uint32_t chem, dis;                /* offsets into the string blob */
    uint32_t n_cid, n_co;
} kb_pair;

typedef struct kb_concept {
    uint32_t id;                       /* offset into the string blob */
    uint32_t type;                     /* LM_ENT_CHEMICAL / LM_ENT_DISEASE */
    uint32_t n_cid, n_docs;
} kb_concept;

struct pairs_kb {
    uint32_t n_docs;
    kb_pair *pairs;                    /* sorted by (chem, dis) strings */
    size_t n_pairs;
    kb_concept *concepts;              /* sorted by (type, id) */
    size_t n_concepts;
    char *blob;                        /* NUL-terminated ids */
    size_t blob_len;
};

void pairs_kb_free(pairs_kb *kb)
{
    if (!kb)
        return;
    free(kb->pairs);
    free(kb->concepts);
    free(kb->blob);
    free(kb);
}

/* ---- what one gold document says --------------------------------------- */

/* A mention's type as the pair classifier reads the corpus
 * (lm_pairs_doc_from_pubtator): Chemical or Disease under any of the
 * corpora's labels, else -1. */
static int pt_type(const char *t)
{
    lm_ent_type e = lm_ent_type_parse(t);
    return e == LM_ENT_CHEMICAL || e == LM_ENT_DISEASE ? (int)e : -1;
}

/* Does id (bare, or with "MESH:") equal one part of the composite list,
 * split as everywhere else (lm_id_next_part)? */
static int id_in_list(const char *list, const char *id)
{
    id = lm_id_bare_mesh(id);
    size_t n = strlen(id);
    for (const char *p = list; *p;) {
        const char *q, *e;
        p = lm_id_next_part(p, &q, &e);
        if ((size_t)(e - q) >= 5)   /* a shorter part cannot hold the prefix */
            q = lm_id_bare_mesh(q);
        if ((size_t)(e - q) == n && strncmp(q, id, n) == 0)
            return 1;
    }
    return 0;
}

static int is_cid(const lm_pt_relation *r)
{
    return r->type && strcmp(r->type, "CID") == 0 && r->id1 && r->id2;
}

/* Is concept id of type named in d (a mention, or a side of a CID pair)? */
static int doc_names(const lm_pt_doc *d, int type, const char *id)
{
    for (size_t i = 0; i < d->n_mentions; i++)
        if (d->mentions[i].id && pt_type(d->mentions[i].type) == type &&
            id_in_list(d->mentions[i].id, id))
            return 1;
    for (size_t r = 0; r < d->n_relations; r++)
        if (is_cid(&d->relations[r]) &&
            id_in_list(type == LM_ENT_CHEMICAL ? d->relations[r].id1 : d->relations[r].id2, id))
            return 1;
    return 0;
}

/* Does d relate id (of type) in a CID pair; with other, with that one? */
static int doc_relates(const lm_pt_doc *d, int type, const char *id, const char *other)
{
    for (size_t r = 0; r < d->n_relations; r++) {
        const lm_pt_relation *rel = &d->relations[r];
        if (!is_cid(rel))
            continue;
        const char *mine = type == LM_ENT_CHEMICAL ? rel->id1 : rel->id2;
        const char *theirs = type == LM_ENT_CHEMICAL ? rel->id2 : rel->id1;
        if (id_in_list(mine, id) && (!other || id_in_list(theirs, other)))
            return 1;
    }
    return 0;
}

/* ---- building ----------------------------------------------------------- */

/* A record's type: a concept's entity type, or a pair, which sorts after
 * every concept. */
enum { KB_PAIR = LM_ENT_COUNT };

typedef struct kb_rec {
    const char *a, *b;                 /* pair: chem, dis; concept: id, NULL */
    uint32_t type, doc, cid;
} kb_rec;

static int cmp_rec(const void *x, const void *y)
{
    const kb_rec *p = x, *q = y;
    if (p->type != q->type)
        return p->type < q->type ? -1 : 1;
    int c = strcmp(p->a, q->a);
    if (c)
        return c;
    c = strcmp(p->b ? p->b : "", q->b ? q->b : "");
    if (c)
        return c;
    return p->doc < q->doc ? -1 : p->doc > q->doc;
}

typedef struct kb_builder {
    kb_rec *v;
    size_t n, cap;
    char **ids;                        /* every split id, owned */
    size_t n_ids, cap_ids;
} kb_builder;

/* Sets *id to the builder's copy of an id without its "MESH:", or NULL for
 * no concept ("", "-1"); -1 when memory runs out, which must not pass for
 * "no concept": the table would be built short and saved with the model. */
static int builder_id(kb_builder *b, const char *p, size_t n, const char **id)
{
    *id = NULL;
    if (n >= 5) {   /* a shorter part cannot hold the prefix */
        const char *bare = lm_id_bare_mesh(p);
        n -= (size_t)(bare - p);
        p = bare;
    }
    if (n == 0 || (n == 2 && p[0] == '-' && p[1] == '1'))
        return 0;
    if (lm_vec_grow((void **)&b->ids, &b->cap_ids, b->n_ids + 1, sizeof *b->ids) != LM_OK)
        return -1;
    char *s = malloc(n + 1);
    if (!s)
        return -1;
    memcpy(s, p, n);
    s[n] = '\0';
    b->ids[b->n_ids++] = s;
    *id = s;
    return 0;
}

static int builder_add(kb_builder *b, kb_rec r)
{
    if (lm_vec_grow((void **)&b->v, &b->cap, b->n + 1, sizeof *b->v) != LM_OK)
        return -1;
    b->v[b->n++] = r;
    return 0;
}

/* A concept record for each part of a (composite) id column. */
static int builder_ids(kb_builder *b, const char *column, int type, uint32_t doc)
{
    for (const char *p = column; *p;) {
        const char *a, *e, *id;
        p = lm_id_next_part(p, &a, &e);
        if (builder_id(b, a, (size_t)(e - a), &id) != 0)
            return -1;
        if (id && builder_add(b, (kb_rec){id, NULL, (uint32_t)type, doc, 0}) != 0)
            return -1;
    }
    return 0;
}

/* Records of one document: every concept it names, every (chemical,
 * disease) pair of them, with whether it is a CID pair. */
static int builder_doc(kb_builder *b, const lm_pt_doc *d, uint32_t doc)
{
    size_t first = b->n;
    for (size_t i = 0; i < d->n_mentions; i++) {
        int t = pt_type(d->mentions[i].type);
        if (t < 0 || !d->mentions[i].id)
            continue;
        if (builder_ids(b, d->mentions[i].id, t, doc) != 0)
            return -1;
    }
    for (size_t r = 0; r < d->n_relations; r++) {
        const lm_pt_relation *rel = &d->relations[r];
        if (is_cid(rel) && (builder_ids(b, rel->id1, LM_ENT_CHEMICAL, doc) != 0 ||
                            builder_ids(b, rel->id2, LM_ENT_DISEASE, doc) != 0))
            return -1;
    }
    size_t last = b->n;
    for (size_t i = first; i < last; i++) {
        if (b->v[i].type != LM_ENT_CHEMICAL)
            continue;
        for (size_t j = first; j < last; j++) {
            if (b->v[j].type != LM_ENT_DISEASE)
                continue;
            uint32_t cid = (uint32_t)doc_relates(d, LM_ENT_CHEMICAL, b->v[i].a, b->v[j].a);
            if (builder_add(b, (kb_rec){b->v[i].a, b->v[j].a, KB_PAIR, doc, cid}) != 0)
                return -1;
        }
    }
    for (size_t i = first; i < last; i++)
        b->v[i].cid = (uint32_t)doc_relates(d, (int)b->v[i].type, b->v[i].a, NULL);
    return 0;
}

static void builder_free(kb_builder *b)
{
    for (size_t i = 0; i < b->n_ids; i++)
        free(b->ids[i]);
    free(b->ids);
    free(b->v);
}

/* Appends s to the blob and sets *off to its offset. */
static int blob_add(pairs_kb *kb, size_t *cap, const char *s, uint32_t *off)
{
    size_t n = strlen(s) + 1;
    if (kb->blob_len + n > 0xffffffffu ||
        lm_vec_grow((void **)&kb->blob, cap, kb->blob_len + n, 1) != LM_OK)
        return -1;
    memcpy(kb->blob + kb->blob_len, s, n);
    *off = (uint32_t)kb->blob_len;
    kb->blob_len += n;
    return 0;
}

lm_status pairs_kb_build(const lm_pt_corpus *c, pairs_kb **out, lm_error *err)
{
    *out = NULL;
    kb_builder b = {0};
    pairs_kb *kb = calloc(1, sizeof *kb);
    int bad = !kb;
    for (size_t d = 0; !bad && d < c->n_docs; d++)
        bad = builder_doc(&b, &c->docs[d], (uint32_t)d) != 0;
    if (!bad) {
        kb->n_docs = (uint32_t)c->n_docs;
        lm_qsort(b.v, b.n, sizeof *b.v, cmp_rec);
    }
    size_t cap_blob = 0, cap_pairs = 0, cap_concepts = 0;
    for (size_t i = 0; !bad && i < b.n;) {
        /* one group per key; within it, one count per document */
        size_t j = i;
        uint32_t docs = 0, cids = 0;
        while (j < b.n && b.v[j].type == b.v[i].type && strcmp(b.v[j].a, b.v[i].a) == 0 &&
               strcmp(b.v[j].b ? b.v[j].b : "", b.v[i].b ? b.v[i].b : "") == 0) {
            uint32_t cid = 0;
            size_t k = j;
            while (k < b.n && b.v[k].doc == b.v[j].doc && b.v[k].type == b.v[j].type &&
                   strcmp(b.v[k].a, b.v[j].a) == 0 &&
                   strcmp(b.v[k].b ? b.v[k].b : "", b.v[j].b ? b.v[j].b : "") == 0)
                cid |= b.v[k++].cid;
            docs++;
            cids += cid;
            j = k;
        }
        const kb_rec *r = &b.v[i];
        if (r->type == KB_PAIR) {
            kb_pair p = {0, 0, cids, docs};
            bad = blob_add(kb, &cap_blob, r->a, &p.chem) != 0 ||
                  blob_add(kb, &cap_blob, r->b, &p.dis) != 0 ||
                  lm_vec_grow((void **)&kb->pairs, &cap_pairs, kb->n_pairs + 1,
                              sizeof *kb->pairs) != LM_OK;
            if (!bad)
                kb->pairs[kb->n_pairs++] = p;
        } else {
            kb_concept k = {0, r->type, cids, docs};
            bad = blob_add(kb, &cap_blob, r->a, &k.id) != 0 ||
                  lm_vec_grow((void **)&kb->concepts, &cap_concepts, kb->n_concepts + 1,
                              sizeof *kb->concepts) != LM_OK;
            if (!bad)
                kb->concepts[kb->n_concepts++] = k;
        }
        i = j;
    }
    builder_free(&b);
    if (bad) {
        pairs_kb_free(kb);
        return lm_error_set(err, LM_ERR_NOMEM, "pairs: out of memory");
    }
    *out = kb;
    return LM_OK;
}

/* ---- lookups ------------------------------------------------------------ */

static int cmp_pair_key(const pairs_kb *kb, const kb_pair *p, const char *chem, const char *dis)
{
    int c = strcmp(kb->blob + p->chem, chem);
    return c ? c : strcmp(kb->blob + p->dis, dis);
}

/* Index of the first pair whose (chem, dis) is not below the key. */
static size_t pair_lower(const pairs_kb *kb, const char *chem, const char *dis)
{
    size_t lo = 0, hi = kb->n_pairs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_pair_key(kb, &kb->pairs[mid], chem, dis) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const kb_concept *find_concept(const pairs_kb *kb, int type, const char *id)
{
    size_t lo = 0, hi = kb->n_concepts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const kb_concept *k = &kb->concepts[mid];
        int c = k->type != (uint32_t)type ? (k->type < (uint32_t)type ? -1 : 1)
                                          : strcmp(kb->blob + k->id, id);
        if (c == 0)
            return k;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static uint32_t minus(uint32_t n, int k)
{
    return k && n ? n - 1 : n;
}

static void concept_counts(const pairs_kb *kb, int type, const char *id, const lm_pt_doc *skip,
                           uint32_t *n_cid, uint32_t *n_docs)
{
    const kb_concept *k = find_concept(kb, type, id);
    *n_cid = *n_docs = 0;
    if (!k)
        return;
    *n_docs = minus(k->n_docs, skip && doc_names(skip, type, id));
    *n_cid = minus(k->n_cid, skip && doc_relates(skip, type, id, NULL));
}

void pairs_kb_lookup(const pairs_kb *kb, const char *chem, const char *dis, const lm_pt_doc *skip,
                     const lm_lexicon *lex, const char *dis_trees, pairs_kb_counts *out)
{
    memset(out, 0, sizeof *out);
    if (!kb)
        return;
    chem = lm_id_bare_mesh(chem);
    dis = lm_id_bare_mesh(dis);
    concept_counts(kb, LM_ENT_CHEMICAL, chem, skip, &out->chem_cid, &out->chem_docs);
    concept_counts(kb, LM_ENT_DISEASE, dis, skip, &out->dis_cid, &out->dis_docs);
    size_t i = pair_lower(kb, chem, "");
    for (; i < kb->n_pairs && strcmp(kb->blob + kb->pairs[i].chem, chem) == 0; i++) {
        const kb_pair *p = &kb->pairs[i];
        const char *d = kb->blob + p->dis;
        int same = strcmp(d, dis) == 0;
        uint32_t cid = minus(p->n_cid, skip && doc_relates(skip, LM_ENT_CHEMICAL, chem, d));
        if (same) {
            out->pair_cid = cid;
            out->pair_co = minus(p->n_co, skip && doc_names(skip, LM_ENT_CHEMICAL, chem) &&
                                              doc_names(skip, LM_ENT_DISEASE, d));
            continue;
        }
        /* the chemical related to a broader or narrower disease */
        if (!cid || !lex || !dis_trees || !dis_trees[0])
            continue;
        char q[64];
        if ((size_t)snprintf(q, sizeof q, "MESH:%s", d) >= sizeof q)
            continue;
        lm_lexicon_concept lc;
        if (!lm_lexicon_get_concept(lex, q, &lc) || !lc.trees || !lc.trees[0])
            continue;
        if (pairs_tree_above(lc.trees, dis_trees))
            out->cid_broader += cid;
        if (pairs_tree_above(dis_trees, lc.trees))
            out->cid_narrower += cid;
    }
}

/* ---- model file section -------------------------------------------------- */

/* Layout (little-endian u32): n_docs, n_pairs, n_concepts, blob length;
 * the blob; per pair chem, dis, n_cid, n_co; per concept id, type, n_cid,
 * n_docs. */
size_t pairs_kb_size(const pairs_kb *kb)
{
    return 16 + kb->blob_len + 16 * kb->n_pairs + 16 * kb->n_concepts;
}

void pairs_kb_write(const pairs_kb *kb, unsigned char *p)
{
    lm_le32_put(p, kb->n_docs);
    lm_le32_put(p + 4, (uint32_t)kb->n_pairs);
    lm_le32_put(p + 8, (uint32_t)kb->n_concepts);
    lm_le32_put(p + 12, (uint32_t)kb->blob_len);
    p += 16;
    if (kb->blob_len) /* a table of no ids has no blob: memcpy from NULL is undefined */
        memcpy(p, kb->blob, kb->blob_len);
    p += kb->blob_len;
    for (size_t i = 0; i < kb->n_pairs; i++, p += 16) {
        lm_le32_put(p, kb->pairs[i].chem);
        lm_le32_put(p + 4, kb->pairs[i].dis);
        lm_le32_put(p + 8, kb->pairs[i].n_cid);
        lm_le32_put(p + 12, kb->pairs[i].n_co);
    }
    for (size_t i = 0; i < kb->n_concepts; i++, p += 16) {
        lm_le32_put(p, kb->concepts[i].id);
        lm_le32_put(p + 4, kb->concepts[i].type);
        lm_le32_put(p + 8, kb->concepts[i].n_cid);
        lm_le32_put(p + 12, kb->concepts[i].n_docs);
    }
}

/* An offset must start a string of the blob (the blob ends with NUL). */
static int good_off(const pairs_kb *kb, uint32_t off)
{
    return off < kb->blob_len && (off == 0 || kb->blob[off - 1] == '\0');
}

lm_status pairs_kb_read(const unsigned char *p, size_t len, size_t *used, pairs_kb **out,
                        lm_error *err)
{
    *out = NULL;
    if (len < 16)
        return lm_error_set(err, LM_ERR_CORRUPT, "pairs: truncated knowledge table");
    uint32_t n_docs = lm_le32_get(p), n_pairs = lm_le32_get(p + 4);
    uint32_t n_concepts = lm_le32_get(p + 8), blob_len = lm_le32_get(p + 12);
    if (blob_len > len - 16 || (len - 16 - blob_len) / 16 < (uint64_t)n_pairs + n_concepts ||
        (blob_len && p[16 + blob_len - 1] != '\0'))
        return lm_error_set(err, LM_ERR_CORRUPT, "pairs: bad knowledge table");
    pairs_kb *kb = calloc(1, sizeof *kb);
    if (!kb)
        return lm_error_set(err, LM_ERR_NOMEM, "pairs: out of memory");
    kb->n_docs = n_docs;
    kb->blob_len = blob_len;
    kb->blob = malloc(blob_len + 1);
    kb->pairs = malloc(((size_t)n_pairs + 1) * sizeof *kb->pairs);
    kb->concepts = malloc(((size_t)n_concepts + 1) * sizeof *kb->concepts);
    if (!kb->blob || !kb->pairs || !kb->concepts) {
        pairs_kb_free(kb);
        return lm_error_set(err, LM_ERR_NOMEM, "pairs: out of memory");
    }
    memcpy(kb->blob, p + 16, blob_len);
    const unsigned char *q = p + 16 + blob_len;
    int ok = 1;
    for (uint32_t i = 0; ok && i < n_pairs; i++, q += 16) {
        kb_pair *e = &kb->pairs[kb->n_pairs++];
        *e = (kb_pair){lm_le32_get(q), lm_le32_get(q + 4), lm_le32_get(q + 8),
                       lm_le32_get(q + 12)};
        ok = ok && good_off(kb, e->chem) && good_off(kb, e->dis) && e->n_cid <= e->n_co &&
             (i == 0 || cmp_pair_key(kb, e - 1, kb->blob + e->chem, kb->blob + e->dis) < 0);
    }
    for (uint32_t i = 0; ok && i < n_concepts; i++, q += 16) {
        kb_concept *e = &kb->concepts[kb->n_concepts++];
        *e = (kb_concept){lm_le32_get(q), lm_le32_get(q + 4), lm_le32_get(q + 8),
                          lm_le32_get(q + 12)};
        ok = good_off(kb, e->id) && (e->type == LM_ENT_CHEMICAL || e->type == LM_ENT_DISEASE) &&
             e->n_cid <= e->n_docs &&
             (i == 0 || e[-1].type < e->type ||
              (e[-1].type == e->type && strcmp(kb->blob + e[-1].id, kb->blob + e->id) < 0));
    }
    if (!ok) {
        pairs_kb_free(kb);
        return lm_error_set(err, LM_ERR_CORRUPT, "pairs: bad knowledge table");
    }
    *used = (size_t)(q - p);
    *out = kb;
    return LM_OK;
}

uint32_t pairs_kb_docs(const pairs_kb *kb)
{
    return kb ? kb->n_docs : 0;
}

size_t pairs_kb_pairs(const pairs_kb *kb)
{
    return kb ? kb->n_pairs : 0;
}
