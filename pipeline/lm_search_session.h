/*
 * lm_search_session: search from text — the query analyzer (nlp/lm_query)
 * and the searcher (store/search/lm_search) put together, as `litmine
 * query`, `eval search` and the benchmarks use them.
 *
 * Opening loads the lexicon for the analyzer (its tagger loads on the
 * first query that needs it, both mapped from their caches: see
 * nlp/lm_query.h) and the vector file for the searcher, then hands the embedding model the vectors were
 * made with to the analyzer, so a query is embedded by the same model as
 * the articles.  When the vectors are a transformer encoder's, that is the
 * configured encoder ([embed] model) if it is the one they were made with,
 * or the encoder their record names when none is configured.  When the
 * configured encoder is not the one the vectors were made with (the model
 * changed, and `litmine index build` has not re-embedded yet), the session
 * still opens, lexical search works, and a query that needs vectors fails
 * with a message saying so: vectors of two models are never compared.  A query is analysed (terms, concepts, vector) and ranked;
 * an explanation reads the hit back with the analyzer's sentence splitter
 * and concept names.  One thread at a time (the store's connection).
 */
#ifndef LM_SEARCH_SESSION_H
#define LM_SEARCH_SESSION_H

#include "../nlp/lm_query.h"
#include "../store/search/lm_search.h"
#include "../util/lm_config.h"

typedef struct lm_search_session_config {
    const char *lexicon_path; /* NULL = none */
    const char *ner_path;     /* NULL = none */
    int no_vectors;           /* do not load the dense index */
    int one_query;            /* the process answers one query and exits: OpenBLAS's
                               * thread pool is stopped (lm_vec_blas_pool_stop) */
    const char *encoder_dir;  /* [embed] model: the encoder queries must use */
    const char *encoder_pooling;
} lm_search_session_config;

/* Fills cfg from [models] in the config file: lexicon and NER model when
 * their files exist (paths point into the buffers or cfg's strings), and
 * the encoder from [embed] model and pooling. */
void lm_search_session_config_default(lm_search_session_config *out, const lm_config *cfg,
                                      char *lex_buf, size_t lex_cap, char *ner_buf,
                                      size_t ner_cap);

typedef struct lm_search_session lm_search_session;

lm_status lm_search_session_open(lm_store *s, const lm_search_session_config *cfg,
                                 lm_search_session **out, lm_error *err);
void lm_search_session_close(lm_search_session *ss);
/* Waits for the check of the vector file that runs in the background
 * after the open (lm_searcher_wait): a damaged file is the error naming
 * `litmine index build`.  A query that needs vectors waits by itself; a
 * server calls this at startup, to refuse a damaged file there. */
lm_status lm_search_session_check(lm_search_session *ss, lm_error *err);
/* Whether a dense index is loaded (see lm_searcher_has_vectors). */
int lm_search_session_has_vectors(const lm_search_session *ss);
size_t lm_search_session_vectors(const lm_search_session *ss);

/* Analyses text with opts' parameters (phrases, synonyms) and ranks it. */
lm_status lm_search_session_query(lm_search_session *ss, const char *text,
                                  const lm_search_options *opts, lm_search_results *out,
                                  lm_error *err);
/* lm_searcher_explain for hit number hit of r. */
lm_status lm_search_session_explain(lm_search_session *ss, const lm_search_results *r,
                                    size_t hit, lm_search_explanation *out, lm_error *err);

#endif
