/*
 * lm_lexindex: litmine's own inverted index, used to rank articles for the
 * lexical side of search (store/lm_search.c).
 *
 * FTS5 finds matching rows quickly but ranks them through its auxiliary
 * function API, which decodes position lists and looks up the document
 * size of every matching row: ~3 us per match, 300 ms for a query whose
 * words are common once 100,000 abstracts are stored.  Ranking needs less:
 * for each query word, the articles holding it with per-field term
 * frequencies and field lengths.  Stored as one compact BLOB per word and
 * segment and summed in a hash table, that costs ~10 ns per posting.
 *
 * Words are those of lm_words_split (shared with query parsing and the
 * embedder) reduced by Porter's stemmer, so a query word meets exactly the
 * document words it should.  Positions are not stored: phrase evidence is
 * computed from the text of the best candidates only.
 *
 * Segments keep refreshes cheap: each refresh batch writes one (varint
 * postings: PMID gap, title and abstract term frequencies and lengths);
 * an article replaced or deleted is marked dead by triggers at once, so it
 * is never returned, and its postings go when its segment is merged.
 * Refreshes merge by size class, as Lucene's log merge policy does:
 * segments of fewer than LM_LEXINDEX_FLOOR_DOCS * F articles form class 0,
 * class L >= 1 holds those of FLOOR * F^L up to FLOOR * F^(L+1), and
 * whenever a class holds F segments they are merged into one (of the next
 * class up), F = LM_LEXINDEX_MERGE_FACTOR.  Merging F segments of class
 * L >= 1 makes one of class L + 1 or more, so an article is rewritten
 * once per class it rises through, 1 + floor(log_F(N / FLOOR)) times in
 * all when refreshes bring whole batches (smaller ones add a few rewrites
 * of class 0 segments, under FLOOR * F articles), and at most F - 1
 * segments stay per class: (F - 1) * (1 + floor(log_F(N / FLOOR)))
 * segments for N articles — 15 at 1M articles, 25 at 36M (F 6, FLOOR
 * 5,000), the rows a query word reads at most (plus, during a refresh,
 * the up to F^2 segments it wrote since its last merge:
 * lm_search_refresh_text merges at its end and every F^2 batches).  A
 * segment more than a fifth dead is rewritten whatever its size;
 * `index build` merges all into one.  A full rebuild empties the index and refills it from the
 * refresh queue, so an interrupted one simply resumes at the next
 * refresh.
 *
 * The writer side runs inside the caller's transaction; merges run their
 * own.  The reader uses the store's connection (one thread at a time) and
 * reads in one transaction, so a concurrent refresh is seen whole or not
 * at all.
 */
#ifndef LM_LEXINDEX_H
#define LM_LEXINDEX_H

#include "../../util/lm_qterms.h"
#include "../../util/lm_error.h"
#include "../lm_store.h"

#include <stddef.h>
#include <stdint.h>

/* The tiered merge policy (see above): F segments of one size class are
 * merged into one; class 0 is every segment under FLOOR * F articles
 * (FLOOR is the refresh batch, lm_search_refresh_text's default). */
#define LM_LEXINDEX_MERGE_FACTOR 6
#define LM_LEXINDEX_FLOOR_DOCS 5000

/* ---- writing ------------------------------------------------------------ */

typedef struct lm_lexindex_writer lm_lexindex_writer;

lm_status lm_lexindex_writer_init(lm_lexindex_writer **out, lm_error *err);
void lm_lexindex_writer_free(lm_lexindex_writer *w);
/* Tokenizes one article into the pending segment.  PMIDs must increase
 * from one call to the next (LM_ERR_USAGE otherwise).  After any error
 * the writer holds a partial article: free it, do not flush it. */
lm_status lm_lexindex_writer_add(lm_lexindex_writer *w, int64_t pmid, const char *title,
                                 const char *abstract, lm_error *err);
/* Writes the added articles as one new segment, inside the caller's
 * transaction, and empties w.  An article indexed before loses its old
 * postings (they are marked dead).  Nothing is written when w is empty. */
lm_status lm_lexindex_writer_flush(lm_lexindex_writer *w, lm_store *s, lm_error *err);

/* With all set, merges every segment into one (`index build`); without,
 * applies the tiered policy with the default factor and floor, one merge
 * (one transaction) at a time until no size class is full.  Dead postings
 * are dropped, and a segment more than a fifth dead is rewritten too,
 * whatever its size.  *merged (may be NULL) gets the number of segments
 * rewritten. */
lm_status lm_lexindex_merge(lm_store *s, int all, int *merged, lm_error *err);
/* The merge deletes the rows it has rewritten every reclaim_bytes of
 * merged postings, so that their pages are reused by the rest of the
 * merge instead of being left free in the file (lm_lexindex_merge uses
 * LM_LEXINDEX_RECLAIM_BYTES; tests use less on small indexes). */
#define LM_LEXINDEX_RECLAIM_BYTES ((size_t)1 << 20)
lm_status lm_lexindex_merge_reclaiming(lm_store *s, int all, size_t reclaim_bytes, int *merged,
                                       lm_error *err);

/* The tiered policy with its knobs (tests use small floors). */
typedef struct lm_lexindex_tiers {
    int factor;               /* segments of one class merged at once, >= 2 */
    int64_t floor_docs;       /* class 0: under floor_docs * factor articles */
    size_t reclaim_bytes;
} lm_lexindex_tiers;

typedef struct lm_lexindex_merge_stats {
    int64_t merges;           /* merge transactions */
    int64_t segments;         /* segments rewritten */
    int64_t docs;             /* live articles rewritten (their postings) */
} lm_lexindex_merge_stats;

/* Merges by t until no class is full and no segment is a fifth dead;
 * stats (may be NULL) are added to. */
lm_status lm_lexindex_merge_tiered(lm_store *s, const lm_lexindex_tiers *t,
                                   lm_lexindex_merge_stats *stats, lm_error *err);

/* Empties the index and queues every article for the next refresh
 * (inside the caller's transaction). */
lm_status lm_lexindex_reset(lm_store *s, lm_error *err);

typedef struct lm_lexindex_info {
    int64_t segments, docs, dead, terms;
} lm_lexindex_info;

lm_status lm_lexindex_get_info(lm_store *s, lm_lexindex_info *out, lm_error *err);

/* Decodes every posting list: ordered PMIDs, live postings of each
 * segment match lex_docs, every indexed article exists.  LM_ERR_DB
 * with the first problem found. */
lm_status lm_lexindex_check(lm_store *s, lm_error *err);

/* ---- ranking ------------------------------------------------------------ */

typedef struct lm_lexindex_params {
    float k1, b_title, b_abstract, w_title, w_abstract;
    size_t phrase_depth;      /* candidates rescored with phrase evidence */
} lm_lexindex_params;

typedef struct lm_lexindex_hit {
    int64_t pmid;
    double score;
} lm_lexindex_hit;

/* 1 keeps the article, 0 drops it, < 0 is an error (already in err). */
typedef int (*lm_lexindex_filter)(void *ctx, int64_t pmid, lm_error *err);

typedef struct lm_lexindex_reader lm_lexindex_reader;

lm_status lm_lexindex_reader_init(lm_lexindex_reader **out, lm_error *err);
void lm_lexindex_reader_free(lm_lexindex_reader *r);
/* With on, searches without a filter score every article instead of
 * pruning those that cannot rank (the answers are the same: tests
 * compare the two). */
void lm_lexindex_reader_set_exhaustive(lm_lexindex_reader *r, int on);
/* How many articles the last search scored in full (pruned ones not). */
size_t lm_lexindex_reader_scored(const lm_lexindex_reader *r);

/* BM25F over title and abstract for the terms of q, each weighted by its
 * weight; one-word terms from the index, terms of several words (phrases,
 * expansions) as adjacent words in the text of the phrase_depth best
 * candidates.  Terms whose words stem alike count once (the larger
 * weight).  Fills at most limit hits, best first (ties: lower PMID);
 * keep, when not NULL, filters them.  The hits stay valid until the next
 * search with r. */
lm_status lm_lexindex_search(lm_lexindex_reader *r, lm_store *s, const lm_lexindex_params *p,
                             const lm_qterms *q, size_t limit, lm_lexindex_filter keep,
                             void *keep_ctx, const lm_lexindex_hit **hits, size_t *n,
                             lm_error *err);

/* The articles whose title or abstract holds every word of text (each
 * matched by its stem, as ranking matches it), in PMID order: *pmids is
 * a heap array the caller frees (NULL when *n is 0).  LM_ERR_USAGE when
 * text has no word.  For `export --query`; reads in one transaction. */
lm_status lm_lexindex_match_all(lm_lexindex_reader *r, lm_store *s, const char *text,
                                int64_t **pmids, size_t *n, lm_error *err);

#endif
