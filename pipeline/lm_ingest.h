/*
 * lm_ingest: moves articles from a PubMed XML source into the store.
 *
 * One source (file or stdin) becomes one ingest-log row.  The parser is
 * the pipeline's reader: each article goes through lm_engine (the stage
 * chain on worker threads, one writer thread) and is written in
 * transactions of batch_size articles, so a crash or Ctrl-C
 * loses at most the open batch and a rerun resumes: articles already
 * stored compare equal and are skipped without a write.  A file whose name,
 * size and checksum (util/lm_digest.h) match a completed ingest is skipped
 * entirely unless forced.
 */
#ifndef LM_INGEST_H
#define LM_INGEST_H

#include "../fetch/lm_pubmed.h"
#include "../store/lm_store.h"
#include "lm_stage.h"

typedef struct lm_ingest_options {
    int batch_size;            /* articles per transaction; <= 0 → 1000 */
    int force;                 /* re-ingest files already in the log */
    const char *kind;          /* ingest-log kind: NULL → "file" ("stdin" for -) */
    int threads;               /* pipeline workers; <= 0 → online CPUs */
    const lm_stage_chain *chain;  /* NLP stages to run; NULL → store only */
    /* Per failed or rejected article (a stage failed; the parser or the
     * store refused it), with its PMID. */
    void (*on_warning)(void *ctx, const char *msg);
    void *warning_ctx;
    const lm_cancel *cancel;   /* stops the read after the batch in flight; may be NULL */
    struct lm_engine_timing *timing;   /* stage times are added here; may be NULL */
    /* Called every few MB with parser stats; may be NULL. */
    lm_pubmed_progress_fn progress;
    void *progress_ctx;
    /* How long a named pipe may wait for its writer; <= 0 →
     * LM_PUBMED_FIFO_WAIT_MS. */
    int fifo_wait_ms;
} lm_ingest_options;

typedef struct lm_ingest_result {
    int skipped;               /* already ingested: nothing done */
    int store_failed;          /* the error came from the database, not the input */
    lm_ingest_counts counts;
    lm_pubmed_stats parse;
    double seconds;
} lm_ingest_result;

/* Ingests path ("-" = stdin).  Bad articles the parser or the store
 * refuses are skipped, reported through on_warning and counted in
 * counts.rejected; the rest of the file goes on and the result is LM_OK.
 * On a parse error the articles before the
 * fault are committed, the log row is marked 'failed', and the parse error
 * is returned.  On a stop signal the open batch is committed, the row is
 * marked 'interrupted' and LM_ERR_INTERRUPTED returned. */
lm_status lm_ingest_file(lm_store *store, const char *path,
                         const lm_ingest_options *opts, lm_ingest_result *result,
                         lm_error *err);

#endif
