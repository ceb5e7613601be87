/*
 * Fetch jobs.  Both entry points share run_job(): open an ingest-log row,
 * start the engine, let the E-utilities client drive it, finish the log.
 */
#include "lm_fetch_job.h"

#include "../util/lm_buf.h"
#include "lm_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
    lm_engine *engine;
    const lm_fetch_job_options *opts;
    const char *watch_name;
    char done_through[16];      /* the marker the pending call will write */
    int engine_failed;
    int64_t rejected;           /* bad articles the parser skipped */
} job;

static void on_reject(void *ctx, const char *msg)
{
    job *j = ctx;
    j->rejected++;
    if (j->opts->on_warning)
        j->opts->on_warning(j->opts->warning_ctx, msg);
}

static lm_status on_article(void *ctx, lm_article *a, lm_error *err)
{
    job *j = ctx;
    lm_status st = lm_engine_submit(j->engine, a, err);   /* moves it */
    if (st != LM_OK)
        j->engine_failed = 1;
    return st;
}

static lm_status write_watch_marker(void *ctx, lm_store *s, lm_error *err)
{
    job *j = ctx;
    return lm_store_watch_set_done(s, j->watch_name, j->done_through, err);
}

/* Commits the batch; for a watch, the marker goes in the same commit. */
static lm_status commit_batch(job *j, const char *done_through, lm_error *err)
{
    lm_status st = LM_OK;
    if (j->watch_name && done_through) {
        snprintf(j->done_through, sizeof j->done_through, "%s", done_through);
        st = lm_engine_submit_call(j->engine, write_watch_marker, j, err);
    }
    if (st == LM_OK)
        st = lm_engine_flush(j->engine, err);
    if (st != LM_OK)
        j->engine_failed = 1;
    return st;
}

static lm_status on_batch(void *ctx, const lm_eutils_batch *b, lm_error *err)
{
    job *j = ctx;
    lm_status st = commit_batch(j, b->slice_done ? b->slice_maxdate : NULL, err);
    if (st == LM_OK && j->opts->on_batch)
        j->opts->on_batch(j->opts->batch_ctx, b);
    if (st == LM_OK && lm_cancel_requested(j->opts->cancel))
        st = lm_error_set(err, LM_ERR_INTERRUPTED, "interrupted by signal");
    return st;
}

typedef struct job_target {
    const char *query;               /* NULL → ids */
    const lm_eutils_dates *dates;
    int64_t max_records;
    const int64_t *pmids;
    size_t n_pmids;
} job_target;

static lm_status run_job(lm_store *store, lm_eutils *client, const job_target *t,
                         const char *watch_name, const lm_fetch_job_options *opts,
                         lm_fetch_job_result *result, lm_error *err)
{
    memset(result, 0, sizeof *result);
    lm_buf source;
    lm_buf_init(&source);
    lm_status st = t->query ? lm_buf_printf(&source, "eutils:%.200s", t->query)
                            : lm_buf_printf(&source, "eutils:%zu PMIDs", t->n_pmids);
    /* An empty source would be logged, and stored with every article. */
    if (st != LM_OK) {
        lm_buf_free(&source);
        return lm_error_nomem(err, "naming the fetch in the ingest log");
    }
    int64_t log_id;
    st = lm_store_ingest_start(store, lm_buf_cstr(&source), "eutils", -1, &log_id, err);
    if (st != LM_OK) {
        result->store_failed = 1;
        lm_buf_free(&source);
        return st;
    }

    job j = {NULL, opts, watch_name, "", 0, 0};
    lm_engine_options eopts = {.threads = opts->threads,
                               .batch_size = opts->batch_size,
                               .chain = opts->chain,
                               .source = lm_buf_cstr(&source),
                               .on_warning = opts->on_warning,
                               .warning_ctx = opts->warning_ctx};
    st = lm_engine_start(&j.engine, store, &eopts, err);
    if (st == LM_OK) {
        lm_pubmed_handler handler = {on_article, NULL, &j, on_reject};
        lm_eutils_fetch_opts fopts = {t->max_records, 0, on_batch, &j};
        lm_eutils_fetch_result fres;
        memset(&fres, 0, sizeof fres);
        if (t->query)
            st = lm_eutils_fetch_query(client, t->query, t->dates, &fopts, &handler, &fres, err);
        else
            st = lm_eutils_fetch_ids(client, t->pmids, t->n_pmids, &fopts, &handler, &fres, err);
        /* The whole window is stored: the watch is done through its end. */
        if (st == LM_OK && watch_name && t->dates && t->dates->maxdate)
            st = commit_batch(&j, t->dates->maxdate, err);
        result->matched = fres.count;
        result->missing = fres.missing;
        result->warnings = fres.warnings;
        fres.warnings = NULL;
        lm_eutils_fetch_result_free(&fres);
        lm_error finish_err;
        lm_status fst = lm_engine_finish(j.engine, 0, &result->counts, &finish_err);
        result->counts.rejected += j.rejected;
        if (fst != LM_OK) {
            j.engine_failed = 1;
            if (st == LM_OK) {
                *err = finish_err;
                st = fst;
            }
        }
    }
    if (j.engine_failed || !j.engine)
        result->store_failed = 1;

    const char *status = st == LM_OK ? "done"
                         : st == LM_ERR_INTERRUPTED ? "interrupted" : "failed";
    lm_error log_err;
    lm_status log_st = lm_store_ingest_finish(store, log_id, status, &result->counts, NULL,
                                              st == LM_OK ? NULL : err->msg, &log_err);
    if (st == LM_OK && log_st != LM_OK) {
        *err = log_err;
        st = log_st;
        result->store_failed = 1;
    }
    lm_buf_free(&source);
    return st;
}

lm_status lm_fetch_job_query(lm_store *store, lm_eutils *client, const char *query,
                             const lm_eutils_dates *dates, int64_t max_records,
                             const char *watch_name, const lm_fetch_job_options *opts,
                             lm_fetch_job_result *result, lm_error *err)
{
    job_target t = {query, dates, max_records, NULL, 0};
    return run_job(store, client, &t, watch_name, opts, result, err);
}

lm_status lm_fetch_job_ids(lm_store *store, lm_eutils *client, const int64_t *pmids,
                           size_t n, const lm_fetch_job_options *opts,
                           lm_fetch_job_result *result, lm_error *err)
{
    job_target t = {NULL, NULL, 0, pmids, n};
    return run_job(store, client, &t, NULL, opts, result, err);
}
