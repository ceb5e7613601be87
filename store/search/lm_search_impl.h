/*
 * What the files of the search subsystem share: their statement slots
 * (one range of the store's statement cache, LM_STORE_SLOT_SEARCH) and
 * the small SQL helpers around them.  Not for use outside store/search/.
 */
#ifndef LM_SEARCH_IMPL_H
#define LM_SEARCH_IMPL_H

#include "../../util/lm_buf.h"
#include "../lm_store_internal.h"
#include "lm_lexindex.h"
#include "lm_search.h"
#include "lm_vec_cache.h"

enum {
    SL_PENDING_BOUND = LM_STORE_SLOT_SEARCH,
    SL_PENDING_DROPPED,
    SL_INDEXED_ADD,
    SL_PENDING_DELETE,
    SL_COUNT_ARTICLES,
    SL_COUNT_INDEXED,
    SL_COUNT_PENDING,
    SL_MENTION_TYPE,
    SL_CONCEPT_DOCS,
    SL_CONCEPT_PROBE,
    SL_ARTICLE_TEXT,
    SL_SENTENCES,
    SL_CONCEPT_SPANS,
    SL_PAIRS,
    SL_MISSING_COUNT,
    SL_LEX_PENDING,
    SL_YEAR,
    SL_CONCEPT_ID
};

struct lm_searcher {
    lm_store *s;
    lm_search_text_ops ops;
    lm_vec_cache vc;          /* current model's bytes and its vectors (mat) */
    float *scores;            /* mat.n floats for lm_vec_search */
    float *qvec;              /* the query vector, moved by dense feedback */
    lm_buf fts;
    lm_lexindex_reader *lexindex;
};

/* A count from a slot's statement with up to one int64 parameter. */
static inline lm_status lm_search_count(lm_store *s, int slot, const char *sql, int64_t p1,
                                        int64_t *out, lm_error *err)
{
    return lm_store_query_int(s, slot, sql, p1, out, "counting search index rows", err);
}

/* The article text statement: title, abstract, year, journal of ?1. */
#define LM_SEARCH_ARTICLE_SQL "SELECT title, abstract, year, journal FROM articles WHERE pmid = ?1"

#endif
