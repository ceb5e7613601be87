/*
 * lm_nightly: the nightly job — what `litmine run` and systemd's
 * litmine.service run:
 *
 *   1. the saved E-utilities watches (lm_watch_run.h), then the search
 *      index refresh when the step stored anything it could;
 *   2. NLM's bulk files (lm_sync.h), then the index refresh when files
 *      arrived;
 *   3. database maintenance (PRAGMA optimize, WAL checkpoint) and the
 *      totals of every ingest this run logged.
 *
 * The NLP stages run inside steps 1 and 2, as articles arrive; each step
 * builds its stage chain and clients from the configuration it is given
 * (before_step may hand a reloaded one).  A cancellation (steps->cancel)
 * ends the run after the work in flight is committed.  Each step's status
 * is in the summary; nothing here prints.  The caller holds the run lock.
 */
#ifndef LM_NIGHTLY_H
#define LM_NIGHTLY_H

#include "lm_sync.h"
#include "lm_watch_run.h"

typedef struct lm_nightly_steps {
    int watches;              /* step 1 */
    int sync_baseline;        /* step 2 over baseline/ */
    int sync_updates;         /* step 2 over updatefiles/ */
    const char *db_path;      /* where the default spool goes (beside it) */
    /* Before each step ("watches", "sync"): the configuration to run it
     * with, e.g. reloaded after SIGHUP; NULL keeps the current one.  May be
     * NULL. */
    const lm_config *(*before_step)(void *ctx, const char *step);
    const lm_cancel *cancel;  /* polled by fetches, downloads and ingests; may be NULL */
    /* Progress, as the watch and sync workflows report it; any may be NULL. */
    void (*on_warning)(void *ctx, const char *msg);
    void (*on_batch)(void *ctx, const lm_eutils_batch *b);
    void (*on_watch_start)(void *ctx, const lm_watch_outcome *o);
    void (*on_watch_done)(void *ctx, const lm_watch_outcome *o);
    void (*on_download)(void *ctx, const char *url);
    void (*on_ingested)(void *ctx, const char *name, const lm_ingest_result *res);
    void *ctx;
} lm_nightly_steps;

/* One step's end: st with its message; `setup` when it failed before any
 * work (a bad setting, a model that does not load). */
typedef struct lm_nightly_step_status {
    int ran;
    lm_status st;
    int setup;
    char msg[LM_ERROR_MSG_MAX];
    lm_status index_st;       /* the index refresh after the step */
    char index_msg[LM_ERROR_MSG_MAX];
} lm_nightly_step_status;

typedef struct lm_nightly_summary {
    lm_nightly_step_status watches, sync;
    lm_watch_run_result watch_result;
    lm_sync_result sync_result;
    lm_status maintain_st;
    char maintain_msg[LM_ERROR_MSG_MAX];
    int64_t runs;             /* ingests logged by this run (files, fetches) */
    lm_ingest_counts counts;  /* their totals */
    double seconds;
    int stopped;              /* cancelled */
} lm_nightly_summary;

/* Runs the steps over store with cfg.  Returns LM_OK when the run could
 * go through its steps (each step's own status is in out), an error when
 * the store could not be read at the start. */
lm_status lm_nightly_run(lm_store *store, const lm_config *cfg, const lm_nightly_steps *steps,
                         lm_nightly_summary *out, lm_error *err);

#endif
