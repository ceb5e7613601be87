/*
 * lm_search: finding articles for a few words or a claim.
 *
 * Three signals, combined by default:
 *   lexical  BM25F over title + abstract from litmine's own inverted index
 *            (lm_lexindex: Porter stems, per-field length normalisation
 *            and weights, tunable k1, a weight per query term — phrases
 *            and expansions count less than the words typed; phrases are
 *            scored on the best candidates);
 *   dense    inner product between the query's embedding and every stored
 *            article vector of the current model (lm_vectors);
 *   concepts entities recognised in the query (lexicon, plus the NER
 *            model when present) boost articles whose stored mentions
 *            carry the same concept id.
 * Hybrid scoring is a weighted sum of the lexical score scaled by the
 * best lexical score of the query and the dense cosine, over the union of
 * both candidate lists, every candidate scored on both signals; the
 * weights were tuned on SciFact dev (see README).
 *
 * Index maintenance.  Inserting an article only queues its PMID
 * (search_pending, a trigger); lm_search_refresh tokenizes the queue into
 * FTS5 and the lexical index and embeds articles that have no vector of
 * the current model.  Replacing or deleting an indexed article removes it
 * from both indexes at once (triggers), so search never returns an
 * article that is gone.
 *
 * A searcher loads everything a query needs once (vector matrix, embedding
 * model, lexicon, NER model) and answers many queries; it uses the store's
 * connection, so one thread at a time.
 */
#ifndef LM_SEARCH_H
#define LM_SEARCH_H

#include "../../nlp/lm_embed.h"
#include "../../nlp/lm_query.h"
#include "../../util/lm_config.h"
#include "../lm_store.h"
#include "lm_vectors.h"

#include <stddef.h>
#include <stdint.h>

/* ---- index maintenance -------------------------------------------------- */

typedef struct lm_search_refresh_stats {
    int64_t fts_added;        /* articles tokenized into FTS5 */
    int64_t lex_added;        /* articles written to the lexical index */
    int64_t pending_dropped;  /* queued PMIDs whose article was gone */
    int64_t embedded;         /* vectors written */
    int64_t model_id;         /* model used (0: none yet) */
    double fts_seconds, embed_seconds;
} lm_search_refresh_stats;

typedef struct lm_search_refresh_options {
    int skip_vectors;         /* FTS only */
    lm_vec_format format;     /* vector encoding; default LM_VEC_F32 */
    int batch;                /* articles per transaction; 0 = 5000 */
    /* Progress after each batch; may be NULL. */
    void (*progress)(void *ctx, const char *phase, int64_t done, int64_t total);
    void *progress_ctx;
} lm_search_refresh_options;

/* Brings FTS5, the lexical index and the vectors of the current model up
 * to date.  Runs its
 * own transactions (must not be called inside one). */
lm_status lm_search_refresh(lm_store *s, const lm_search_refresh_options *opts,
                            lm_search_refresh_stats *stats, lm_error *err);

typedef struct lm_search_build_options {
    lm_embed_fit_options fit;
    size_t max_fit_docs;      /* sample at most this many articles; 0 = 200000 */
    lm_search_refresh_options refresh;
} lm_search_build_options;

typedef struct lm_search_build_stats {
    int64_t model_id;
    int64_t fit_docs;
    size_t vocab;
    int dim;
    double read_seconds, fit_seconds;
    lm_search_refresh_stats refresh;
} lm_search_build_stats;

/* Fits a new embedding model on (a sample of) the stored articles, stores
 * it, embeds every article with it, then makes it current and drops the
 * old model's vectors — queries keep working on the old model meanwhile.
 * Also refreshes FTS5. */
lm_status lm_search_build(lm_store *s, const lm_search_build_options *opts,
                          lm_search_build_stats *stats, lm_error *err);

/* Drops and rebuilds the whole search index (FTS5 and the lexical index)
 * from articles; runs its own transactions. */
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

/* Checks that FTS5 holds exactly the indexed articles with their current
 * text (FTS5 integrity-check against the content table) and that every
 * article is either indexed or pending.  LM_ERR_CORRUPT otherwise. */
lm_status lm_search_check(lm_store *s, lm_error *err);

/* How inserts reach FTS5.  DEFERRED (the default): queued, tokenized by
 * lm_search_refresh.  IMMEDIATE: tokenized by the insert trigger inside
 * the writer's transaction (measured slower for bulk ingest; see bench). */
typedef enum lm_fts_mode { LM_FTS_DEFERRED = 0, LM_FTS_IMMEDIATE = 1 } lm_fts_mode;
lm_status lm_search_set_fts_mode(lm_store *s, lm_fts_mode mode, lm_error *err);

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

typedef struct lm_searcher_config {
    const char *lexicon_path; /* NULL = none */
    const char *ner_path;     /* NULL = none */
    int no_vectors;           /* do not load the dense index */
} lm_searcher_config;

/* Fills cfg from [models] in the config file: lexicon and NER model when
 * their files exist (paths point into cfg's strings or static ones). */
void lm_searcher_config_default(lm_searcher_config *out, const lm_config *cfg,
                                char *lex_buf, size_t lex_cap, char *ner_buf,
                                size_t ner_cap);

typedef struct lm_searcher lm_searcher;

/* Loads the current embedding model and its vectors (when there is one),
 * the lexicon and the NER model. */
lm_status lm_searcher_open(lm_store *s, const lm_searcher_config *cfg, lm_searcher **out,
                           lm_error *err);
void lm_searcher_close(lm_searcher *srch);
/* Whether a dense index is loaded (dense and hybrid need one; without it
 * hybrid falls back to lexical). */
int lm_searcher_has_vectors(const lm_searcher *srch);
size_t lm_searcher_vectors(const lm_searcher *srch);

/* A concept recognised in the query. */
typedef struct lm_search_concept {
    char *id;                 /* "MESH:D001943" */
    char *name;               /* display name from the lexicon */
    int type;                 /* lm_ent_type */
    uint32_t start, end;      /* byte span in the query text */
} lm_search_concept;

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
    lm_qterms terms;          /* the analysed query (incl. expansions) */
    lm_search_concept *concepts;
    size_t n_concepts, cap_concepts;
    char *fts_query;          /* the FTS5 expression that ran */
    double embed_ms, lexical_ms, dense_ms, total_ms;
    lm_search_mode mode_used; /* hybrid without vectors runs lexical */
} lm_search_results;

void lm_search_results_init(lm_search_results *r);
void lm_search_results_free(lm_search_results *r);

lm_status lm_searcher_query(lm_searcher *srch, const char *text, const lm_search_options *opts,
                            lm_search_results *out, lm_error *err);

/* The reference ranking the tuned one is compared with: FTS5's built-in
 * bm25() (k1 1.2, b 0.75, equal column weights) over every word of the
 * text, quoted and ORed.  Writes up to k PMIDs, best first. */
lm_status lm_search_fts_baseline(lm_store *s, const char *text, size_t k, int64_t *pmids,
                                 size_t *n, lm_error *err);

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
