/*
 * lm_reprocess: rerunning NLP stages over stored articles, e.g. after a
 * model update, without refetching — the workflow behind `litmine
 * reprocess`.
 *
 * Only what is recomputed is replaced: each stage owns some of an
 * article's derived rows (sentences; mentions and abbreviations; pairs;
 * its vector) and a rerun rewrites those of the stages it runs, never the
 * others.  A stage that reads what a rerun stage replaces is rerun too
 * when it has stored output, since that was computed from the old rows
 * (ner reads the sentences, pairs read the mentions): asking for ner also
 * reruns pairs.  What a rerun stage reads from a stage that is not rerun
 * comes from the store, so pairs alone classifies the stored mentions.
 * The stages and what they replace are announced before anything is
 * written.
 *
 * The scan reads through a second, read-only connection (a snapshot, also
 * for the stored inputs) while the engine's writer thread owns the other;
 * an article a stage fails on keeps all its stored rows.  Nothing here
 * prints: the announcement and the progress go through the callbacks.
 */
#ifndef LM_REPROCESS_H
#define LM_REPROCESS_H

#include "../store/lm_store.h"
#include "../util/lm_cancel.h"
#include "../util/lm_config.h"

typedef struct lm_reprocess_options {
    const char *stages;       /* the stages asked for, comma-separated (see lm_stage_known) */
    const char *since;        /* only articles ingested on or after ("YYYY-MM-DD"); NULL: all */
    const lm_config *cfg;     /* where the stages find their models */
    int threads;              /* workers; <= 0 → online CPUs */
    int batch_size;           /* articles per transaction; <= 0 → 1000 */
    const lm_cancel *cancel;  /* stops the scan after the articles in flight; may be NULL */
    /* Each line of the announcement, before anything is written. */
    void (*on_notice)(void *ctx, const char *line);
    /* Per article a stage failed on (with its PMID), from the writer thread. */
    void (*on_warning)(void *ctx, const char *msg);
    /* Every 1000 articles submitted, and once with done set at the end. */
    void (*on_progress)(void *ctx, int64_t submitted, int64_t total, int done);
    void *ctx;                /* for all three; any callback may be NULL */
} lm_reprocess_options;

typedef struct lm_reprocess_result {
    int setup;                /* it failed loading the stages' models */
    int ran;                  /* the engine ran: counts and seconds are set */
    int64_t total;            /* articles to reprocess */
    lm_ingest_counts counts;
    double seconds;
} lm_reprocess_result;

/* Reruns the stages over the articles of store (written by the engine)
 * read through reader (read-only, on the same database).  LM_ERR_USAGE
 * for an unknown stage or none ("" or "none"), LM_ERR_INTERRUPTED when
 * cancelled (what was committed stays). */
lm_status lm_reprocess_run(lm_store *store, lm_store *reader, const lm_reprocess_options *opts,
                           lm_reprocess_result *out, lm_error *err);

#endif
