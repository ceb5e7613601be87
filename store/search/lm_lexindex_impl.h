/*
 * lm_lexindex_impl: what the two halves of the lexical index share — the
 * posting list encoding, the set of dead postings, statement slots.  The
 * writer, merges and checks live in lm_lexindex.c, ranking in
 * lm_lexindex_search.c.  Not for use outside store/.
 */
#ifndef LM_LEXINDEX_IMPL_H
#define LM_LEXINDEX_IMPL_H

#include "lm_lexindex.h"
#include "../lm_store_internal.h"

#include <stdint.h>

enum {
    SL_SEG_ADD = LM_STORE_SLOT_LEXINDEX,
    SL_SEG_STATS,
    SL_DOC_DELETE,
    SL_DOC_ADD,
    SL_POSTING_ADD,
    SL_TERM_DF,
    SL_TERM_POSTINGS,
    SL_COLLECTION,
    SL_DEAD_ALL,
    SL_TEXT,
    SL_SEGMENTS
};

/* ---- varints ------------------------------------------------------------ */

/* Reads one varint; returns the position after it, or NULL when the
 * bytes end first or the value would not fit.  One- and two-byte values
 * (nearly all: gaps, counts, lengths) take the short path. */
static inline const unsigned char *get_varint(const unsigned char *p,
                                              const unsigned char *end, uint64_t *v)
{
    if (end - p >= 2) {
        if (!(p[0] & 0x80)) {
            *v = p[0];
            return p + 1;
        }
        if (!(p[1] & 0x80)) {
            *v = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
            return p + 2;
        }
    }
    uint64_t x = 0;
    for (int shift = 0; p < end && shift < 64; shift += 7) {
        unsigned char c = *p++;
        if (shift == 63 && c > 1)
            return NULL;   /* a tenth byte holds one bit at most */
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return p;
        }
    }
    return NULL;
}

typedef struct posting {
    int64_t pmid;
    uint32_t tf_title, tf_abstract, len_title, len_abstract;
} posting;

/* Decodes the posting after out (out->pmid == INT64_MIN before the first).
 * 1 on success, 0 at the end, -1 on malformed bytes. */
static inline int next_posting(const unsigned char **pp, const unsigned char *end, posting *out)
{
    if (*pp >= end)
        return 0;
    uint64_t v[5];
    const unsigned char *p = *pp;
    for (int i = 0; i < 5; i++) {
        p = get_varint(p, end, &v[i]);
        if (!p || v[i] > (i == 0 ? (uint64_t)INT64_MAX : (uint64_t)UINT32_MAX))
            return -1;
    }
    if (out->pmid != INT64_MIN && (v[0] == 0 || v[0] > (uint64_t)(INT64_MAX - out->pmid)))
        return -1;   /* PMIDs strictly increase, and fit */
    out->pmid = out->pmid == INT64_MIN ? (int64_t)v[0] : out->pmid + (int64_t)v[0];
    out->tf_title = (uint32_t)v[1];
    out->tf_abstract = (uint32_t)v[2];
    out->len_title = (uint32_t)v[3];
    out->len_abstract = (uint32_t)v[4];
    *pp = p;
    return 1;
}

static inline uint64_t hash_bytes(const char *s, size_t n)
{
    return lm_query_hash(s, n, 0x9e3779b97f4a7c15ULL);
}

static inline lm_status nomem(lm_error *err)
{
    return lm_error_set(err, LM_ERR_NOMEM, "lexical index: out of memory");
}

static inline lm_status stmt_err(lm_error *err)
{
    return err && err->code != LM_OK ? err->code : LM_ERR_DB;
}

/* ---- dead postings ------------------------------------------------------- */

typedef struct dead_key {
    int64_t segment, pmid;
} dead_key;

typedef struct dead_set {
    dead_key *v;              /* open addressing; pmid == INT64_MIN is empty */
    size_t cap, n;
} dead_set;

static inline size_t dead_hash(int64_t seg, int64_t pmid, size_t mask)
{
    uint64_t h = (uint64_t)pmid * 0x9e3779b97f4a7c15ULL ^ (uint64_t)seg * 0xc2b2ae3d27d4eb4fULL;
    return (size_t)(h ^ (h >> 29)) & mask;
}

static inline int dead_has(const dead_set *d, int64_t seg, int64_t pmid)
{
    if (d->n == 0)
        return 0;
    size_t mask = d->cap - 1;
    for (size_t h = dead_hash(seg, pmid, mask); d->v[h].pmid != INT64_MIN; h = (h + 1) & mask)
        if (d->v[h].pmid == pmid && d->v[h].segment == seg)
            return 1;
    return 0;
}

/* Loads every (segment, PMID) of lex_dead into d (emptied first). */
lm_status lm_lexindex_dead_load(lm_store *s, dead_set *d, lm_error *err);

#endif
