/*
 * lm_fetch_job: E-utilities results into the store through the pipeline.
 *
 * The E-utilities client (fetch/lm_eutils) is the pipeline's reader here:
 * it delivers each EFetch batch only when the whole response parsed
 * cleanly, and after each batch this job flushes the engine, so every
 * committed transaction holds whole batches.  For a watch, the batch that
 * completes a date slice also moves the watch's done_through marker, in the
 * same transaction as its articles; a run that dies resumes from there.
 */
#ifndef LM_FETCH_JOB_H
#define LM_FETCH_JOB_H

#include "../fetch/lm_eutils.h"
#include "../store/lm_store.h"
#include "lm_stage.h"

typedef struct lm_fetch_job_options {
    int threads;                      /* pipeline workers; <= 0 → online CPUs */
    int batch_size;                   /* articles per transaction (upper bound) */
    const lm_stage_chain *chain;      /* NULL → store only */
    void (*on_warning)(void *ctx, const char *msg);
    void *warning_ctx;
    /* Called after each committed EFetch batch; may be NULL. */
    void (*on_batch)(void *ctx, const lm_eutils_batch *batch);
    void *batch_ctx;
    const lm_cancel *cancel;          /* checked after each committed batch; may be NULL */
} lm_fetch_job_options;

typedef struct lm_fetch_job_result {
    lm_ingest_counts counts;
    int64_t matched;          /* records the query matched / IDs requested */
    int64_t missing;          /* requested PMIDs PubMed did not return */
    char *warnings;           /* from NCBI (e.g. PhraseNotFound); free() it */
    int store_failed;         /* the error came from the database */
} lm_fetch_job_result;

/* Fetches every record of query within dates (max_records 0 = all).  When
 * watch_name is set, its done_through moves to each completed slice's last
 * day and finally to dates->maxdate. */
lm_status lm_fetch_job_query(lm_store *store, lm_eutils *client, const char *query,
                             const lm_eutils_dates *dates, int64_t max_records,
                             const char *watch_name, const lm_fetch_job_options *opts,
                             lm_fetch_job_result *result, lm_error *err);

lm_status lm_fetch_job_ids(lm_store *store, lm_eutils *client, const int64_t *pmids,
                           size_t n, const lm_fetch_job_options *opts,
                           lm_fetch_job_result *result, lm_error *err);

#endif
