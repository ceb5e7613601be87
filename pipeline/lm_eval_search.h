/*
 * lm_eval_search: retrieval quality on a BEIR-format benchmark — the
 * harness behind `litmine eval search` and the SciFact figures.
 *
 * A benchmark is a corpus (JSON lines with _id, title and text; gzip or
 * not), queries (JSON lines with _id and text) and judgements (TSV: query
 * id, document id, grade; an optional header line).  Opening ingests the
 * corpus into a store — a temporary one removed at close, or a kept work
 * database reused when it already holds the corpus — and indexes it the
 * way `litmine index build` does, so the figures come from the path a user
 * runs: the same index, the same search session, the same ranking.  Each
 * run then sends every judged query through one mode and averages the
 * metrics of nlp/eval/lm_metrics.
 *
 * BEIR ids are strings; numeric ones (PMIDs, as in SciFact) become the
 * articles' PMIDs as they are, others get numbers above 10^12 in order of
 * appearance (the corpus is read again to rebuild that map when a work
 * database is reused).  Nothing here prints.
 */
#ifndef LM_EVAL_SEARCH_H
#define LM_EVAL_SEARCH_H

#include "lm_index.h"
#include "lm_search_session.h"

typedef struct lm_eval_search_options {
    const char *corpus, *queries, *qrels;   /* the benchmark's three files */
    const char *work_db;      /* kept, and reused when it holds articles; NULL: temporary */
    const char *tmp_dir;      /* where the temporary store goes; NULL: /tmp */
    int lexical_only;         /* full text only: no embedding model is fitted */
    lm_embed_fit_options fit; /* the embedding fit (dim 0: the default) */
    lm_vec_format format;     /* how the vectors are stored */
    const char *encoder_dir;  /* a transformer encoder embeds instead of LSA; NULL: LSA */
    const char *encoder_pooling;   /* its pooling (NULL: the model's own) */
    lm_search_session_config session;   /* the query analyzer's lexicon and NER model */
} lm_eval_search_options;

/* What opening did before the first query. */
typedef struct lm_eval_search_prep {
    size_t docs;              /* corpus lines ingested (0: a reused work database) */
    double seconds;           /* ingest and indexing */
    int built;                /* an embedding model was fitted: see build */
    lm_index_build_stats build;
} lm_eval_search_prep;

typedef struct lm_eval_search lm_eval_search;

/* Opens (or creates) the store, ingests and indexes the corpus when the
 * store is new or has no embedding model, reads the queries and their
 * judgements, and opens a search session.  On failure nothing is left
 * open and a temporary store is removed.  LM_ERR_IO for a file that cannot
 * be read, LM_ERR_PARSE (with file:line) for a line that is not BEIR. */
lm_status lm_eval_search_open(const lm_eval_search_options *opts, lm_eval_search **out,
                              lm_eval_search_prep *prep, lm_error *err);
/* Closes the session and the store; removes a temporary store. */
void lm_eval_search_close(lm_eval_search *ev);

/* Means over the judged queries (those with at least one judgement). */
typedef struct lm_eval_search_scores {
    size_t judged;
    double ndcg10, recall100, mrr10;
    double latency_ms_median; /* per query, analysis and ranking */
} lm_eval_search_scores;

/* Called after each judged query with its nDCG@10 (mode names as
 * lm_search_mode_name). */
typedef void (*lm_eval_search_query_fn)(void *ctx, const char *mode, const char *query_id,
                                        const char *text, double ndcg10);

/* Runs every judged query through mode (an lm_search_mode) with params (NULL: the defaults) and scores the
 * top 100.  on_query may be NULL. */
lm_status lm_eval_search_run(lm_eval_search *ev, int mode, const lm_search_params *params,
                             lm_eval_search_query_fn on_query, void *ctx,
                             lm_eval_search_scores *out, lm_error *err);

#endif
