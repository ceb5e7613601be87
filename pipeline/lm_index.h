/*
 * lm_index: keeping the search index whole — full text and embeddings —
 * as `litmine index build|refresh` and the end of every ingest need it.
 *
 * A workflow over the store's search subsystem (store/search/) and the
 * built-in embedder (nlp/lm_embed): the store tokenizes queued articles
 * into its text indexes; this module reads the current embedding model,
 * embeds the articles that lack a vector of it and stores the vectors, or
 * fits a new model.  Both run their own transactions.
 */
#ifndef LM_INDEX_H
#define LM_INDEX_H

#include "../nlp/lm_embed.h"
#include "../store/search/lm_search.h"

/* Brings FTS5, the lexical index and the vectors of the current model up
 * to date, then compacts the vector file. */
lm_status lm_index_refresh(lm_store *s, const lm_search_refresh_options *opts,
                           lm_search_refresh_stats *stats, lm_error *err);

/* The LSA fit's default sample: fitting holds the sampled documents' TF-IDF
 * rows and randomized-SVD blocks of (documents + features) x 272 floats,
 * about 0.85 GB peak at 100,000 (1.4 GB at 200,000); embedding then
 * streams every article in batches of 5,000, so peak memory no longer
 * grows with the corpus. */
#define LM_INDEX_DEFAULT_FIT_DOCS 100000

typedef struct lm_index_build_options {
    lm_embed_fit_options fit;
    size_t max_fit_docs;      /* sample at most this many articles; 0 = the default */
    lm_search_refresh_options refresh;
    /* A transformer encoder ([embed] model, pooling) instead of fitting
     * LSA; NULL or "": LSA. */
    const char *encoder_dir;
    const char *encoder_pooling;
    const char *encoder_precision;   /* [embed] precision: NULL, "f32" or "bf16" */
    int threads;              /* encoder workers; 0: one per online CPU */
} lm_index_build_options;

typedef struct lm_index_build_stats {
    int64_t model_id;
    int64_t fit_docs;
    size_t vocab;
    int dim;
    double read_seconds, fit_seconds;
    int encoder;              /* 1: an encoder's vectors (no fit) */
    int resumed;              /* an interrupted build of it was resumed */
    int unchanged;            /* it was current already: only missing vectors */
    lm_search_refresh_stats refresh;
} lm_index_build_stats;

/* Fits a new embedding model on (a sample of) the stored articles, stores
 * it, embeds every article with it, then makes it current and drops the
 * old model's vectors — queries keep working on the old model meanwhile.
 * Also refreshes the text indexes and leaves the lexical index in one
 * segment.
 *
 * With encoder_dir: no fit; every article is embedded by that encoder in
 * batches committed one by one into a model that becomes current when
 * all are done.  An interrupted build is resumed by the next build with
 * the same encoder; a build when that encoder is current already only
 * embeds the articles that lack a vector. */
lm_status lm_index_build(lm_store *s, const lm_index_build_options *opts,
                         lm_index_build_stats *stats, lm_error *err);

#endif
