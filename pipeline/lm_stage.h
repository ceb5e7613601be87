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

#include "../util/lm_article.h"
#include "../util/lm_doc.h"
#include "../util/lm_config.h"

struct lm_store;

typedef struct lm_stage_ops {
    const char *name;
    lm_status (*init)(void **state, const lm_config *cfg, lm_error *err);
    void (*free)(void *state);
    lm_status (*scratch_init)(const void *state, void **scratch, lm_error *err);
    void (*scratch_free)(void *scratch);
    lm_status (*process)(const void *state, void *scratch, const lm_article *article,
                         lm_doc *doc, lm_error *err);
    unsigned produces;   /* the lm_doc parts it adds (enum lm_doc_part) */
    unsigned needs;      /* the parts it reads, from an earlier stage or the store */
    /* Reads what the stage needs from the database the chain will write
     * to (embed: the current embedding model), before any article; NULL
     * when the stage needs nothing from it.  A stage never attached
     * works without (embed stays idle). */
    lm_status (*attach)(void *state, struct lm_store *store, lm_error *err);
} lm_stage_ops;

#define LM_STAGE_MAX 8

/* The chain ingest runs when [pipeline] stages is not set. */
#define LM_DEFAULT_STAGES "sentences,ner,pairs,embed"

/* Room for a stage's model identity: the digests of its model files. */
#define LM_STAGE_MODEL_LEN 160

typedef struct lm_stage_chain {
    const lm_stage_ops *ops[LM_STAGE_MAX];
    void *state[LM_STAGE_MAX];
    /* What made stage i's output, e.g. "ner <xxh128> lexicon <xxh128>";
     * "" when the stage's output depends on nothing of its own (embed
     * uses the database's embedding model).  The engine records it in
     * the store, and `litmine merge` refuses shards whose models differ. */
    char model[LM_STAGE_MAX][LM_STAGE_MODEL_LEN];
    int n;
} lm_stage_chain;

/* Builds the chain named by a comma-separated list ("sentences,ner"),
 * loading each stage's model.  An empty list gives an empty chain. */
lm_status lm_stage_chain_init(lm_stage_chain *chain, const char *names,
                              const lm_config *cfg, lm_error *err);
/* The same for a rerun over stored articles: what a stage reads and no
 * earlier stage of the chain produces comes from the store, so "pairs"
 * may run without "ner". */
lm_status lm_stage_chain_init_rerun(lm_stage_chain *chain, const char *names,
                                    const lm_config *cfg, lm_error *err);
void lm_stage_chain_free(lm_stage_chain *chain);
/* Gives every stage of the chain the store it will run against (see
 * lm_stage_ops.attach), on the caller's thread before the run: stages get
 * the database through this argument, never by opening one themselves. */
lm_status lm_stage_chain_attach(lm_stage_chain *chain, struct lm_store *store, lm_error *err);

/* Names of all stages this build knows, comma-separated, in chain order. */
const char *lm_stage_known(void);

/* Longest text (title + " " + abstract, bytes) the stages see at once;
 * longer ones are processed in windows (pipeline/lm_chain_run.c). */
#define LM_STAGE_WINDOW (64u * 1024)

/* Runs the chain over one article: sets doc's text, runs each stage in
 * order with its scratch[i], a text over LM_STAGE_WINDOW in windows, so
 * the memory and time a stage takes stay bounded whatever the article.
 * doc may hold stored inputs (reprocess) and receives the results; bit i
 * of doc->stages_done is set when stage i ran.  seconds (may be NULL)
 * gets each stage's time added; on failure *failed_stage (may be NULL) is
 * the stage that failed. */
lm_status lm_stage_chain_run(const lm_stage_chain *chain, void *const *scratch,
                             const lm_article *a, lm_doc *doc, double *seconds,
                             int *failed_stage, lm_error *err);

/* The doc parts the chain's stages produce. */
unsigned lm_stage_chain_produces(const lm_stage_chain *chain);
/* The parts some stage of the chain reads that no earlier stage of it
 * produces: a rerun over stored articles loads them from the store. */
unsigned lm_stage_chain_inputs(const lm_stage_chain *chain);

/* For a rerun over stored articles (`litmine reprocess`): the stages of
 * names plus every stage that reads what one of them produces and has
 * output in the store (stored, a set of doc parts), since that output was
 * computed from what is being replaced (ner reads sentences, pairs read
 * mentions and sentences).  Writes the list in chain order to out (a
 * buffer of cap bytes) and, when added is not NULL, the added stages to
 * added (same size).  LM_ERR_USAGE for an unknown name. */
lm_status lm_stage_rerun_list(const char *names, unsigned stored, char *out, char *added,
                              size_t cap, lm_error *err);

#endif
