/*
 * lm_search: finding articles for an analysed query.
 *
 * Three signals, combined by default:
 *   lexical  BM25F over title + abstract from litmine's own inverted index
 *            (lm_lexindex: Porter stems, per-field length normalisation
 *            and weights, tunable k1, a weight per query term — phrases
 *            and expansions count less than the words typed; phrases are
 *            scored on the best candidates);
 *   dense    inner product between the query's embedding and every stored
 *            article vector of the current model (lm_vectors);
 *   concepts entities recognised in the query boost articles whose stored
 *            mentions carry the same concept id.
 * Hybrid scoring is a weighted sum of the lexical score scaled by the
 * best lexical score of the query and the dense cosine, over the union of
 * both candidate lists, every candidate scored on both signals; the
 * weights were tuned on SciFact dev.
 *
 * Search ranks; it does not read language.  The query arrives analysed
 * (util/lm_qterms.h: terms, concepts, embedding) from the query analyzer
 * in nlp/ (nlp/lm_query.h), and what search needs of text analysis later
 * — a word's weight for feedback, splitting a hit into sentences, a
 * concept's display name — comes through lm_search_text_ops, which the
 * analyzer supplies.  This folder never loads a lexicon or a model and
 * never tags text; its SQL stays in store/.  pipeline/lm_search_session.h
 * puts analyzer and searcher together for callers that start from text.
 *
 * Index maintenance.  Inserting an article only queues its PMID
 * (search_pending, a trigger); lm_search_refresh_text tokenizes the queue
 * into the lexical index (embedding the articles is pipeline/lm_index.h's).
 * Replacing or deleting an indexed article marks its postings dead at once
 * (triggers), so search never returns an article that is gone.  The
 * lexical index is the one full-text index: FTS5 went in schema 13.
 *
 * A searcher loads the dense index once (the vector file) and answers
 * many queries; it uses the store's connection, so one thread at a time.
 */
#ifndef LM_SEARCH_H
#define LM_SEARCH_H

#include "../../util/lm_doc.h"
#include "../../util/lm_qterms.h"
#include "../lm_store.h"
#include "lm_vectors.h"

#include <stddef.h>
#include <stdint.h>

/* ---- index maintenance -------------------------------------------------- */

typedef struct lm_search_refresh_stats {
    int64_t fts_added;        /* articles added to full text (the lexical index) */
    int64_t lex_added;        /* articles written to the lexical index */
    int64_t pending_dropped;  /* queued PMIDs whose article was gone */
    int64_t embedded;         /* vectors written */
    int64_t model_id;         /* model used (0: none yet) */
    double fts_seconds, embed_seconds;
} lm_search_refresh_stats;

typedef struct lm_search_refresh_options {
    int skip_vectors;         /* full text only (pipeline/lm_index.h) */
    lm_vec_format format;     /* vector encoding, when format_set */
    int batch;                /* articles per transaction; 0 = 5000 */
    /* Progress after each batch; may be NULL. */
    void (*progress)(void *ctx, const char *phase, int64_t done, int64_t total);
    void *progress_ctx;
    int format_set;           /* 0: LM_VEC_DEFAULT (int8) whatever format holds */
    /* Vector bytes embedded between compactions into the vector file
     * (store/search/lm_vec_cache.h); 0 = 4 MB. */
    size_t compact_bytes;
} lm_search_refresh_options;

/* Tokenizes the queued articles into FTS5 and the lexical index, adding
 * to stats' text counts, then merges small segments.  Runs its own
 * transactions (must not be called inside one). */
lm_status lm_search_refresh_text(lm_store *s, const lm_search_refresh_options *opts,
                                 lm_search_refresh_stats *stats, lm_error *err);

/* Articles without a vector of model model_id. */
lm_status lm_search_count_missing(lm_store *s, int64_t model_id, int64_t *n, lm_error *err);

/* Drops and rebuilds the whole lexical index from articles; runs its own
 * transactions. */
lm_status lm_search_rebuild_fts(lm_store *s, lm_error *err);

typedef struct lm_search_info {
    int64_t articles;
    int64_t fts_indexed;
    int64_t fts_pending;
    int64_t lex_docs, lex_segments, lex_dead, lex_terms;   /* lexical index */
    int has_model;
    lm_vec_model_info model;  /* the current model when has_model */
    int64_t missing_vectors;  /* articles without a vector of it */
} lm_search_info;

lm_status lm_search_get_info(lm_store *s, lm_search_info *out, lm_error *err);
/* Articles queued for the full-text index: what a query warns about.  A
 * count of the (small) queue only; lm_search_get_info counts everything. */
lm_status lm_search_count_pending(lm_store *s, int64_t *n, lm_error *err);

/* Checks that every article is either indexed or pending, that no
 * indexed article is gone, and every posting list of the lexical index
 * (lm_lexindex_check).  LM_ERR_DB otherwise. */
lm_status lm_search_check(lm_store *s, lm_error *err);

/* ---- querying ----------------------------------------------------------- */

typedef enum lm_search_mode {
    LM_SEARCH_HYBRID = 0,
    LM_SEARCH_LEXICAL,
    LM_SEARCH_DENSE
} lm_search_mode;

/* "hybrid", "lexical", "dense"; parse returns -1 when unknown. */
const char *lm_search_mode_name(lm_search_mode m);
int lm_search_mode_parse(const char *name);

/* Ranking parameters; lm_search_params_default() gives the tuned values. */
typedef struct lm_search_params {
    float k1, b_title, b_abstract, w_title, w_abstract;   /* BM25F */
    int phrases;              /* add adjacent query word pairs as phrases */
    float phrase_weight;
    int lex_candidates;       /* lexical hits fused (default 1000) */
    int phrase_depth;         /* lexical hits rescored with phrase evidence */
    int dense_candidates;     /* dense hits fused (default 200) */
    float dense_weight;       /* hybrid: weight of the dense cosine */
    float concept_weight;     /* boost per query concept an article mentions */
    int prf_docs;             /* pseudo-relevance feedback: top documents */
    int prf_terms;            /* terms added */
    float prf_weight;         /* their weight relative to typed words */
    int synonyms;             /* expand query concepts with lexicon names */
    float synonym_weight;
    int dense_prf_docs;       /* query vector += mean vector of the top
                                 lexical hits (Rocchio in embedding space) */
    float dense_prf_weight;
} lm_search_params;

void lm_search_params_default(lm_search_params *p);

typedef struct lm_search_options {
    lm_search_mode mode;
    int k;                    /* results wanted; 0 = 10 */
    int since_year;           /* 0 = any year */
    unsigned types;           /* bit (1 << lm_ent_type): only articles that
                                 mention such an entity; 0 = no filter */
    const lm_search_params *params;   /* NULL = defaults */
} lm_search_options;

/* What search asks of text analysis once the query is analysed; the
 * query analyzer supplies these (lm_query_analyzer_text_ops), and any
 * member may be NULL. */
typedef struct lm_search_text_ops {
    void *ctx;
    /* The weight of a word in normal form (the embedding model's idf; 0
     * when unknown).  NULL: every word weighs 1 and pseudo-relevance
     * feedback is off. */
    float (*word_weight)(void *ctx, const char *norm, size_t len);
    /* Sentence byte spans of text[0..len) into out (emptied first), for an
     * article stored without sentences.  NULL: the text is one sentence. */
    lm_status (*split_sentences)(void *ctx, const char *text, size_t len, lm_spans *out,
                                 lm_error *err);
    /* A concept's display name, NULL when unknown. */
    const char *(*concept_name)(void *ctx, const char *id);
} lm_search_text_ops;

typedef struct lm_searcher_config {
    int no_vectors;           /* do not load the dense index */
    const char *kind;         /* embedding kind the vectors must come from; NULL: any */
} lm_searcher_config;

typedef struct lm_searcher lm_searcher;

/* Loads the current embedding model's vectors (when there is one); ops
 * (copied; may be NULL) serve feedback and explanations. */
lm_status lm_searcher_open(lm_store *s, const lm_searcher_config *cfg,
                           const lm_search_text_ops *ops, lm_searcher **out, lm_error *err);
void lm_searcher_close(lm_searcher *srch);
/* Sets the text operations after opening (the analyzer is often made
 * from what the searcher loaded). */
void lm_searcher_set_text_ops(lm_searcher *srch, const lm_search_text_ops *ops);
/* The bytes of the embedding model the vectors were made with, as stored
 * (NULL and 0 without vectors), for the query analyzer to load; valid
 * until lm_searcher_drop_model or close. */
const void *lm_searcher_model(const lm_searcher *srch, size_t *len);
/* Releases those bytes (100 MB at 100k features on the heap). */
void lm_searcher_drop_model(lm_searcher *srch);
/* 1 when those bytes are mapped from the vector file, verified on
 * open and valid until close (drop_model leaves them be): they can be
 * used in place (lm_embed_model_map). */
int lm_searcher_model_mapped(const lm_searcher *srch);
/* Waits for the vector file's check, which runs in the background after
 * the open (lm_vec_cache_wait): LM_OK at once without vectors; a damaged
 * file is the error naming `litmine index build`, every later call the
 * same.  lm_searcher_query waits by itself unless the mode asked for is
 * lexical (which reads no vector). */
lm_status lm_searcher_wait(lm_searcher *srch, lm_error *err);
/* Whether a dense index is loaded (dense and hybrid need one; without it
 * hybrid falls back to lexical). */
int lm_searcher_has_vectors(const lm_searcher *srch);
size_t lm_searcher_vectors(const lm_searcher *srch);

typedef struct lm_search_hit {
    int64_t pmid;
    double score;             /* the ranking score (mode-dependent scale) */
    double lexical;           /* BM25F score, 0 when no term matched */
    double dense;             /* cosine, 0 without vectors */
    int concepts;             /* query concepts the article mentions */
    int lex_rank, dense_rank; /* 1-based ranks in each list, 0 = absent */
} lm_search_hit;

typedef struct lm_search_results {
    lm_search_hit *hits;
    size_t n, cap;
    lm_qterms terms;          /* the query's terms, feedback terms added */
    lm_qconcept *concepts;    /* the query's concepts (a copy) */
    size_t n_concepts, cap_concepts;
    char *fts_query;          /* the query's terms as an FTS5-style expression
                                 (shown by `query --json`) */
    double embed_ms, lexical_ms, dense_ms, total_ms;
    lm_search_mode mode_used; /* hybrid without vectors runs lexical */
} lm_search_results;

void lm_search_results_init(lm_search_results *r);
void lm_search_results_free(lm_search_results *r);

/* Ranks the articles for an analysed query.  Dense and hybrid use
 * q->vector, which must have the dimension of the loaded vectors; without
 * vectors (or without q->vector) hybrid runs lexical and dense fails. */
lm_status lm_searcher_query(lm_searcher *srch, const lm_query_analysis *q,
                            const lm_search_options *opts, lm_search_results *out,
                            lm_error *err);


/* ---- explaining a hit ----------------------------------------------------- */

typedef struct lm_search_span {
    uint32_t start, end;      /* bytes into the sentence */
} lm_search_span;

typedef struct lm_search_pair {
    char *chemical, *disease, *relation;
    double score;
} lm_search_pair;

typedef struct lm_search_explanation {
    int64_t pmid;
    int year;                 /* 0 unknown */
    char *title;
    char *journal;
    char *sentence;           /* the best-matching sentence */
    lm_search_span *marks;    /* query words and concepts in it */
    size_t n_marks;
    lm_search_pair *pairs;    /* drug-disease pairs of the article */
    size_t n_pairs;
} lm_search_explanation;

void lm_search_explanation_free(lm_search_explanation *e);
/* Loads what `litmine query` prints for one hit: title, year, the sentence
 * with the most query evidence (stored sentence spans, else split on the
 * fly), where the query's words and concepts occur in it, and the
 * article's chemical-disease pairs when a pairs table exists. */
lm_status lm_searcher_explain(lm_searcher *srch, const lm_search_results *r, size_t hit,
                              lm_search_explanation *out, lm_error *err);

#endif
