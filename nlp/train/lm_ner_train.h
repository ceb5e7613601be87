/*
 * lm_ner_train: training the NER taggers of lm_ner.h.
 *
 * Taggers are linear-chain CRFs (L2-regularized, L-BFGS) over the hashed
 * features of lm_ner_feat.c; averaged perceptrons are the fast option.  A
 * recipe names the stack of taggers a model file holds and the corpus each
 * is trained on; a tagger that feeds a later one trained on the same corpus
 * is also trained k times on k-1 folds (jackknife) so that the later tagger
 * learns from realistic, held-out upstream output rather than from an
 * upstream that has memorised its training data.  Independent training runs
 * (folds, taggers of unrelated corpora) run on a small thread pool, longest
 * first.
 *
 * Recipes over ../shared/data:
 *   "main"  Chemical + Disease from BC5CDR (two stages), Gene from BioRED
 *           (two stages) with a BC2GM gene tagger stacked under it: BC2GM's
 *           guidelines differ (longer spans), so its output is a feature,
 *           not an answer                                 -> models/ner.bin
 *   "ncbi"  Disease from NCBI-disease (two stages)        -> models/ner-ncbi.bin
 * Library code does not print: progress and the dev report go through the
 * log callback.
 */
#ifndef LM_NER_TRAIN_H
#define LM_NER_TRAIN_H

#include "../lm_ner.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lm_ner_train_opts {
    const char *data_dir;      /* the corpora (the CLI's --data); required by recipes */
    const char *recipe;        /* "main" (default) or "ncbi" */
    int final;                 /* also train on the dev sets (no dev report) */
    int threads;               /* 0 = number of online CPUs, at most 8 */
    int epochs;                /* perceptron epochs, 0 = default (12) */
    int bits;                  /* 0 = default table size (log2 rows) */
    int folds;                 /* jackknife folds, 0 = default (5) */
    int stages;                /* 1 = no stacked second stage, 0 = default (2) */
    uint32_t feat_off;         /* NER_F_* groups to switch off (ablation) */
    const char *cluster_cache; /* cache file for word clusters, or NULL */
    int n_clusters_fine;       /* 0 = default (1024) */
    int cluster_min_count;     /* 0 = default (3) */
    int cluster_dim;           /* 0 = default (100) */
    int perceptron;            /* averaged perceptrons instead of CRFs: ~10x
                                  faster to train, ~0.5 F1 lower */
    int crf_iter;              /* L-BFGS iterations, 0 = default (100) */
    double crf_c2;             /* L2 strength, 0 = default (1.0) */
    unsigned seed;
    /* When set (recipe main), the out-of-fold mentions of the BC5CDR
     * training documents by the last Chemical/Disease tagger (the one whose
     * tags the model outputs; each document tagged by the fold model that
     * did not see it) are written there as PubTator: what the pair
     * classifier meets end to end, without the documents' own annotations
     * (ids "-1", the whole text as the title). */
    const char *jackknife_out;
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
} lm_ner_train_opts;

void lm_ner_train_opts_init(lm_ner_train_opts *o);

/* One dev-set figure: strict mention match (exact start, end, type). */
typedef struct lm_ner_score {
    char corpus[32];
    lm_ent_type type;
    long tp, fp, fn;
    double p, r, f;
} lm_ner_score;

typedef struct lm_ner_report {
    lm_ner_score s[16];
    int n;
    double seconds;
} lm_ner_report;

/* Trains the recipe's model from opts->data_dir; fills report (when not
 * NULL) with dev figures unless opts->final. */
lm_status lm_ner_train_recipe(const lm_ner_train_opts *opts, lm_ner_model **out,
                              lm_ner_report *report, lm_error *err);

/* A document with gold mentions given in bytes, for training from memory
 * (tests, custom corpora). */
typedef struct lm_ner_gold {
    uint32_t start, end;       /* bytes */
    lm_ent_type type;
} lm_ner_gold;

typedef struct lm_ner_train_doc {
    const char *text;
    size_t len;
    const lm_ner_gold *gold;
    size_t n_gold;
} lm_ner_train_doc;

/* Trains a single-stage tagger for the types present in the gold
 * mentions; no clusters, no lexicons. */
lm_status lm_ner_train_docs(const lm_ner_train_doc *docs, size_t n_docs,
                            const lm_ner_train_opts *opts, lm_ner_model **out, lm_error *err);

/* Strict mention-level comparison, adding to tp/fp/fn: gold and predicted
 * spans (any offsets, as long as both use the same) of one type. */
void lm_ner_score_add(lm_ner_score *s, const uint32_t *gold, size_t n_gold,
                      const uint32_t *pred, size_t n_pred);
void lm_ner_score_finish(lm_ner_score *s);

#endif
