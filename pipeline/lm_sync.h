/*
 * lm_sync: keeping a local PubMed mirror current from NLM's bulk files —
 * the workflow behind `litmine sync` and the nightly run's sync step.
 *
 * For each directory asked for (baseline/, then updatefiles/ under the
 * base URL) the files are listed, and every pubmedYYnNNNN.xml.gz not yet
 * in the ingest log is downloaded into the spool (verified against its
 * .md5, renamed into place only when complete), ingested in numeric order
 * through the stage chain, and removed from the spool unless kept.  Order
 * matters — update files replace versions and delete citations — so the
 * first file that fails stops the sync; the next run starts again from it.
 * Nothing here prints: progress goes through the callbacks, the failure
 * through err and the result's `failed` step.
 */
#ifndef LM_SYNC_H
#define LM_SYNC_H

#include "../fetch/lm_http.h"
#include "../util/lm_buf.h"
#include "../util/lm_config.h"
#include "lm_ingest.h"

#define LM_SYNC_DEFAULT_URL "https://ftp.ncbi.nlm.nih.gov/pubmed/"

typedef struct lm_sync_options {
    const char *base_url;     /* holds baseline/ and updatefiles/ */
    int baseline, updates;    /* directories to sync (at least one) */
    const char *spool;        /* download directory, which must exist */
    int keep;                 /* keep downloaded files after ingesting them */
    lm_ingest_options ingest; /* chain, threads, batch size, warnings; kind "sync" */
    /* Called before a file is downloaded, and after it is ingested; may be NULL. */
    void (*on_download)(void *ctx, const char *url);
    void (*on_ingested)(void *ctx, const char *name, const lm_ingest_result *res);
    void *ctx;
} lm_sync_options;

/* The step a sync stopped at. */
typedef enum lm_sync_step {
    LM_SYNC_DONE = 0,
    LM_SYNC_LIST,             /* listing a directory (network) */
    LM_SYNC_LOG,              /* reading the ingest log (database) */
    LM_SYNC_DOWNLOAD,         /* downloading or verifying a file */
    LM_SYNC_INGEST            /* ingesting it (res.store_failed: the database) */
} lm_sync_step;

typedef struct lm_sync_result {
    int64_t files_done;       /* files ingested by this run */
    int64_t rejected;         /* bad articles skipped in them */
    lm_sync_step failed;      /* where it stopped; LM_SYNC_DONE on success */
    int store_failed;         /* LM_SYNC_INGEST: the error came from the database */
} lm_sync_result;

/* Syncs the directories in order.  Stops at the first failure, with err
 * saying which URL or file (LM_ERR_INTERRUPTED when http's stop hook or the
 * ingest asked to stop). */
lm_status lm_sync_run(lm_store *store, lm_http *http, const lm_sync_options *opts,
                      lm_sync_result *out, lm_error *err);

/* The HTTP settings of a sync from [sync] max_tries, deadline_s and
 * max_file_mb (a bulk file is ~50 MB; the bounds stop a broken or hostile
 * mirror from filling the disk or holding the nightly run for hours).
 * LM_ERR_USAGE for a bad value. */
lm_status lm_sync_http_config(const lm_config *cfg, lm_http_config *out, lm_error *err);

/* The spool directory into out: flag, else [sync] spool_dir, else
 * litmine-spool beside the database at db_path; created when missing. */
lm_status lm_sync_spool(const lm_config *cfg, const char *db_path, const char *flag, lm_buf *out,
                        lm_error *err);

#endif
