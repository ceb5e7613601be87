/*
 * lm_stage: the interface every NLP stage implements to run in the
 * pipeline, and the configured chain of them.
 *
 * A stage loads its model once (init), shares it read-only among all
 * workers, and gets a private scratch area per worker thread so that
 * process() needs no locks.  process() reads the article and adds its
 * results to the doc; it must be a pure function of (model, article, doc
 * so far) so that output is identical for any thread count.
 */
#ifndef LM_STAGE_H
#define LM_STAGE_H

#include "../fetch/lm_article.h"
#include "../nlp/lm_doc.h"
#include "../util/lm_config.h"

typedef struct lm_stage_ops {
    const char *name;
    lm_status (*init)(void **state, const lm_config *cfg, lm_error *err);
    void (*free)(void *state);
    lm_status (*scratch_init)(const void *state, void **scratch, lm_error *err);
    void (*scratch_free)(void *scratch);
    lm_status (*process)(const void *state, void *scratch, const lm_article *article,
                         lm_doc *doc, lm_error *err);
} lm_stage_ops;

#define LM_STAGE_MAX 8

/* The chain ingest runs when [pipeline] stages is not set. */
#define LM_DEFAULT_STAGES "sentences,ner,pairs,embed"

typedef struct lm_stage_chain {
    const lm_stage_ops *ops[LM_STAGE_MAX];
    void *state[LM_STAGE_MAX];
    int n;
} lm_stage_chain;

/* Builds the chain named by a comma-separated list ("sentences,ner"),
 * loading each stage's model.  An empty list gives an empty chain. */
lm_status lm_stage_chain_init(lm_stage_chain *chain, const char *names,
                              const lm_config *cfg, lm_error *err);
void lm_stage_chain_free(lm_stage_chain *chain);

/* Names of all stages this build knows, comma-separated, in chain order. */
const char *lm_stage_known(void);

#endif
