/*
 * lm_watch_run: every saved watch fetched over the days it has not seen —
 * the workflow behind `litmine fetch --watches` and the nightly run's
 * first step.
 *
 * A watch runs over the days since its last complete window (done_through),
 * else from its `since` day, else over the last first_days days, up to
 * yesterday in US Eastern time (NCBI's clock): a day is only fetched once
 * it is over, so a window, once stored, never gains records and the marker
 * can safely move past it (lm_fetch_job moves it, in the transaction of
 * the window's last articles).  Each run is recorded on the watch (done,
 * failed, interrupted).  A watch that fails does not stop the others,
 * unless the database failed or a stop was asked for.  Nothing here
 * prints: each watch's outcome goes to a callback.
 */
#ifndef LM_WATCH_RUN_H
#define LM_WATCH_RUN_H

#include "../util/lm_date.h"
#include "lm_fetch_job.h"

/* US Eastern standard time (UTC-5), NCBI's clock for dates; during
 * daylight time this lags by an hour, which only delays a day's fetch,
 * never cuts it short. */
#define LM_WATCH_UTC_OFFSET (-5L * 3600)

typedef struct lm_watch_outcome {
    const char *name;
    char mindate[LM_DATE_TEXT], maxdate[LM_DATE_TEXT];  /* the window, YYYY/MM/DD */
    int up_to_date;           /* nothing to fetch: done_through is yesterday */
    const char *done_through; /* the marker before this run; NULL: none */
    lm_status status;         /* LM_OK, or why the watch failed (err) */
    const lm_error *err;
    const lm_fetch_job_result *res;   /* NULL when nothing was fetched */
} lm_watch_outcome;

typedef struct lm_watch_run_options {
    lm_fetch_job_options job; /* threads, chain, batch size, callbacks */
    int first_days;           /* window of a watch without marker or since; <= 0: 30 */
    int64_t today;            /* day number (lm_date) taken as today; 0: now in US Eastern */
    /* Called when a watch's window is known (before fetching), and with
     * its outcome; may be NULL. */
    void (*on_start)(void *ctx, const lm_watch_outcome *o);
    void (*on_done)(void *ctx, const lm_watch_outcome *o);
    void *ctx;
} lm_watch_run_options;

typedef struct lm_watch_run_result {
    size_t watches;           /* saved watches */
    size_t ran, up_to_date, failed;
    int store_failed;         /* a watch stopped on a database error */
    int interrupted;          /* a stop was asked for */
    lm_ingest_counts counts;  /* all watches together */
} lm_watch_run_result;

/* Runs every saved watch in name order.  Returns an error only when the
 * watches cannot be listed, the database failed or the run was
 * interrupted (the failing watch's outcome said so first); a watch that
 * failed otherwise counts in out->failed. */
lm_status lm_watch_run_all(lm_store *store, lm_eutils *client, const lm_watch_run_options *opts,
                           lm_watch_run_result *out, lm_error *err);

#endif
