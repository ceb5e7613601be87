/*
 * lm_query: the query analyzer — what a search query says, before anything
 * is ranked.
 *
 * Text becomes an lm_query_analysis (util/lm_qterms.h), which the search
 * subsystem (store/search/lm_search.h) ranks without reading language:
 *   terms     the words typed (stopwords dropped unless nothing else is
 *             left), optionally the phrases of adjacent words, and the
 *             names of recognised concepts as weighted synonyms;
 *   concepts  the tagger's mentions in the query normalised with the
 *             lexicon as the ner stage does, and, in a short query, the
 *             lexicon's longest names over its words (a few words often
 *             lack the context the tagger needs);
 *   vector    the query's embedding by the model the stored vectors were
 *             made with, when one is given: the built-in LSA model, or a
 *             transformer encoder (lm_embed_encoder).
 * The analyzer also answers what search asks of text later (a word's
 * weight for feedback, a hit's sentences, a concept's display name): see
 * lm_query_text_ops.
 *
 * Opening loads the lexicon; the tagger is loaded by the first query that
 * needs it — a short query spelled entirely in lexicon names does not (see
 * find_concepts in lm_query.c), so `litmine query "BRCA1 repair"` never
 * maps the tagger.  Both load through their mappable caches
 * (util/lm_mapcache.h).
 *
 * An analyzer holds loaded models and per-query scratch: one thread at a
 * time.
 */
#ifndef LM_QUERY_H
#define LM_QUERY_H

#include "../util/lm_config.h"
#include "../util/lm_doc.h"
#include "../util/lm_error.h"
#include "../util/lm_qterms.h"
#include "lm_embed_encoder.h"

#include <stddef.h>

typedef struct lm_query_analyzer_config {
    const char *lexicon_path; /* NULL = none: no concepts */
    const char *ner_path;     /* NULL = none: the lexicon alone finds concepts */
} lm_query_analyzer_config;

/* Fills cfg from [models] in the config file: the lexicon and the NER
 * model when their files exist (paths point into the buffers or cfg). */
void lm_query_analyzer_config_default(lm_query_analyzer_config *out, const lm_config *cfg,
                                      char *lex_buf, size_t lex_cap, char *ner_buf,
                                      size_t ner_cap);

typedef struct lm_query_analyzer lm_query_analyzer;

lm_status lm_query_analyzer_open(const lm_query_analyzer_config *cfg, lm_query_analyzer **out,
                                 lm_error *err);
void lm_query_analyzer_close(lm_query_analyzer *a);
/* Loads the embedding model queries are embedded with, from its stored
 * bytes (lm_searcher_model).  Until then queries have no vector. */
lm_status lm_query_analyzer_set_embedding(lm_query_analyzer *a, const void *model, size_t len,
                                          lm_error *err);
/* The same from bytes mapped and already verified that outlive the
 * analyzer (lm_searcher_model_mapped): used in place, not copied. */
lm_status lm_query_analyzer_map_embedding(lm_query_analyzer *a, const void *model, size_t len,
                                          lm_error *err);
/* Or a transformer encoder ([embed] model = DIR); the analyzer takes
 * ownership of enc (freed at close, or here on failure). */
lm_status lm_query_analyzer_set_encoder(lm_query_analyzer *a, lm_embed_encoder *enc,
                                        lm_error *err);
int lm_query_analyzer_has_embedding(const lm_query_analyzer *a);
/* Whether the tagger has been loaded: it is loaded by the first query that
 * needs it (see lm_query_analyze), not at open. */
int lm_query_analyzer_tagger_loaded(const lm_query_analyzer *a);

typedef struct lm_query_analyze_options {
    int phrases;              /* add adjacent word pairs as phrases */
    float phrase_weight;      /* their weight (0.3 when 0) */
    int synonyms;             /* add concepts' names as synonyms */
    float synonym_weight;
    int embed;                /* compute the vector (needs an embedding model) */
} lm_query_analyze_options;

/* Analyses text into out (whose previous contents are replaced). */
lm_status lm_query_analyze(lm_query_analyzer *a, const char *text,
                           const lm_query_analyze_options *opts, lm_query_analysis *out,
                           lm_error *err);

/* The text operations search asks of the analyzer, in the shape of
 * lm_search_text_ops (ctx is the analyzer):
 *   word_weight      the embedding model's idf of a word in normal form
 *                    (0 unknown); only meaningful with an LSA model
 *   split_sentences  lm_sentence_split
 *   concept_name     the lexicon's display name of a concept id, or NULL */
float lm_query_word_weight(void *analyzer, const char *norm, size_t len);
lm_status lm_query_split_sentences(void *analyzer, const char *text, size_t len,
                                   lm_spans *out, lm_error *err);
const char *lm_query_concept_name(void *analyzer, const char *id);

#endif
