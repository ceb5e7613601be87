/*
 * Progress lines and exit statuses of the fetch, watch and sync workflows
 * (see lm_cli_progress.h).  Progress goes to stderr on a terminal or with
 * --verbose; outcomes that matter (NCBI's warnings, failures) always.
 */
#include "lm_cli_progress.h"

#include <inttypes.h>
#include <stdio.h>

void lm_cli_on_batch(void *ctx, const lm_eutils_batch *b)
{
    const lm_cli *cli = ctx;
    if (cli->quiet || !(cli->verbose || cli->stderr_is_tty))
        return;
    fprintf(stderr, "%sfetched %" PRId64 " of %" PRId64 " records%s", cli->stderr_is_tty ? "\r" : "",
            b->delivered, b->expected, cli->stderr_is_tty ? "   " : "\n");
}

void lm_cli_report_fetch(const lm_cli *cli, const char *what, const lm_fetch_job_result *r)
{
    if (cli->stderr_is_tty && !cli->quiet)
        fputs("\r\033[K", stderr);
    if (r->warnings && !cli->quiet)
        lm_cli_notice(cli, "NCBI: %s", r->warnings);
    if (cli->quiet || !(cli->verbose || cli->stderr_is_tty))
        return;
    const lm_ingest_counts *c = &r->counts;
    fprintf(stderr,
            "%s: %" PRId64 " matched, %" PRId64 " stored (%" PRId64 " new, %" PRId64
            " replaced, %" PRId64 " unchanged)%s\n",
            what, r->matched, c->articles, c->inserted, c->replaced, c->unchanged,
            r->missing ? ", some PMIDs not found" : "");
}

void lm_cli_on_watch_start(void *ctx, const lm_watch_outcome *o)
{
    lm_cli_info(ctx, "watch %s: %s to %s", o->name, o->mindate, o->maxdate);
}

void lm_cli_on_watch_done(void *ctx, const lm_watch_outcome *o)
{
    const lm_cli *cli = ctx;
    if (o->res) {
        char what[128];
        snprintf(what, sizeof what, "watch %s (%s to %s)", o->name, o->mindate, o->maxdate);
        lm_cli_report_fetch(cli, what, o->res);
    }
    if (o->status != LM_OK)
        lm_cli_error(cli, "watch %s: %s", o->name, o->err->msg);
    else if (o->up_to_date)
        lm_cli_info(cli, "watch %s: up to date through %s", o->name, o->done_through);
}

void lm_cli_on_download(void *ctx, const char *url)
{
    lm_cli_info(ctx, "downloading %s", url);
}

void lm_cli_on_file_ingested(void *ctx, const char *name, const lm_ingest_result *res)
{
    const lm_cli *cli = ctx;
    char shown[512];
    if (!cli->quiet && (cli->verbose || cli->stderr_is_tty))
        fprintf(stderr,
                "%s: %" PRId64 " articles (%" PRId64 " new, %" PRId64 " replaced), %" PRId64
                " deleted\n",
                lm_cli_printable(name, shown, sizeof shown), res->counts.articles,
                res->counts.inserted, res->counts.replaced, res->counts.deleted);
}

int lm_cli_watch_exit(lm_status st, const lm_watch_run_result *r)
{
    if (st == LM_OK)
        return r->failed ? LM_EXIT_FAILURE : LM_EXIT_OK;
    if (st == LM_ERR_INTERRUPTED)
        return LM_EXIT_INTERRUPTED;
    return r->store_failed ? lm_cli_exit_for(st) : LM_EXIT_DB;   /* else: listing them */
}

int lm_cli_sync_exit(lm_status st, const lm_sync_result *r)
{
    if (st == LM_OK)
        return LM_EXIT_OK;
    if (st == LM_ERR_INTERRUPTED)
        return LM_EXIT_INTERRUPTED;
    switch (r->failed) {
    case LM_SYNC_LOG: return LM_EXIT_DB;
    case LM_SYNC_INGEST: return r->store_failed ? lm_cli_exit_for(st) : LM_EXIT_DATA;
    default: return LM_EXIT_FAILURE;
    }
}
