/*
 * lm_cli_progress: how the CLI prints the fetch, watch and sync workflows
 * (pipeline/) as they run, and the exit status their results mean — shared
 * by `fetch`, `sync` and `run`, which report the same steps the same way.
 * Every callback takes the lm_cli as ctx.
 */
#ifndef LM_CLI_PROGRESS_H
#define LM_CLI_PROGRESS_H

#include "../pipeline/lm_sync.h"
#include "../pipeline/lm_watch_run.h"
#include "lm_cli.h"

/* "fetched N of M records" on a terminal or with --verbose. */
void lm_cli_on_batch(void *ctx, const lm_eutils_batch *b);
/* NCBI's warnings, then "WHAT: N matched, N stored (...)". */
void lm_cli_report_fetch(const lm_cli *cli, const char *what, const lm_fetch_job_result *r);
void lm_cli_on_watch_start(void *ctx, const lm_watch_outcome *o);
void lm_cli_on_watch_done(void *ctx, const lm_watch_outcome *o);
void lm_cli_on_download(void *ctx, const char *url);
void lm_cli_on_file_ingested(void *ctx, const char *name, const lm_ingest_result *res);

/* Exit statuses: a failed watch is 1 (the others ran), a stop 130, a
 * database failure 4; a sync stopped at a bad file 1, at bad input 3. */
int lm_cli_watch_exit(lm_status st, const lm_watch_run_result *r);
int lm_cli_sync_exit(lm_status st, const lm_sync_result *r);

#endif
