/*
 * `litmine ingest FILE...` — PubMed XML files (.xml, .xml.gz, - for stdin)
 * into the store, through the configured NLP stages.  Each file is its own
 * ingest-log entry; a bad file is reported and the remaining files are
 * still ingested, so one corrupt update file cannot hold back a nightly
 * run.  Exit status: 0 all good, 3 some input was bad (a bad file, or bad
 * articles in a good one: everything readable is stored), 4 database
 * trouble (disk full included: no index refresh follows), 130
 * interrupted.
 */
#include "../util/lm_clock.h"
#include "../pipeline/lm_engine.h"
#include "../pipeline/lm_ingest.h"
#include "lm_signal.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char usage[] =
    "usage: litmine ingest [--batch-size N] [--threads N] [--stages LIST] [--force] FILE...\n"
    "\n"
    "Stores the articles of PubMed XML files (.xml, .xml.gz, or - for stdin):\n"
    "NLM baseline/update files and E-utilities EFetch responses, and runs the\n"
    "NLP stages on them.  DeleteCitation entries of update files delete those\n"
    "PMIDs.\n"
    "\n"
    "  --batch-size N  articles per transaction (default: [store] batch_size, 1000)\n"
    "  --threads N     pipeline worker threads (default: [pipeline] threads, all CPUs)\n"
    "  --stages LIST   comma-separated stages, or none (default: [pipeline] stages,\n"
    "                  " LM_DEFAULT_STAGES ")\n"
    "  --force         ingest files even if the same bytes were ingested before\n"
    "  --no-index      leave the search index to `litmine index refresh`\n"
    "  --fifo-timeout S  seconds a named pipe may wait for its writer (default 30)\n";

typedef struct progress {
    const lm_cli *cli;
    const char *file;     /* printable (lm_cli_printable) */
    double started;
    int64_t file_bytes;   /* for the ETA; -1 for stdin */
    int shown;
} progress;

static void show_progress(void *ctx, const lm_pubmed_stats *s)
{
    progress *p = ctx;
    double secs = lm_now_seconds() - p->started;
    double mb = (double)s->bytes_xml / 1e6;
    uint64_t n = s->articles + s->book_articles;
    if (p->cli->stderr_is_tty) {
        /* The ETA compares raw bytes read (compressed for .gz) with the
         * file's size, so it holds for gzip input too. */
        char eta[32] = "";
        if (p->file_bytes > 0 && s->bytes_in > 0 && secs > 1)
            snprintf(eta, sizeof eta, ", ETA %.0f s",
                     secs * (double)(p->file_bytes - (int64_t)s->bytes_in) / (double)s->bytes_in);
        fprintf(stderr, "\r%s: %" PRIu64 " articles, %.1f MB, %.1f MB/s, %.0f articles/s%s   ",
                p->file, n, mb, secs > 0 ? mb / secs : 0.0, secs > 0 ? (double)n / secs : 0.0, eta);
        p->shown = 1;
    } else {
        fprintf(stderr, "litmine: %s: %" PRIu64 " articles, %.1f MB\n", p->file, n, mb);
    }
}

static void report_file(const lm_cli *cli, const char *path, const lm_ingest_result *r)
{
    if (cli->quiet || !(cli->verbose || cli->stderr_is_tty))
        return;
    char shown[1024];
    path = lm_cli_printable(path, shown, sizeof shown);
    if (r->skipped) {
        fprintf(stderr, "%s: already ingested (use --force to ingest again)\n", path);
        return;
    }
    const lm_ingest_counts *c = &r->counts;
    double mb = (double)r->parse.bytes_xml / 1e6;
    fprintf(stderr,
            "%s: %" PRId64 " articles (%" PRId64 " new, %" PRId64 " replaced, %" PRId64
            " unchanged, %" PRId64 " older version ignored, %" PRId64
            " failed a stage), %" PRId64 " rejected as bad input, %" PRId64
            " deleted, %.1f MB in %.2f s (%.1f MB/s)\n",
            path, c->articles, c->inserted, c->replaced, c->unchanged, c->older, c->failed,
            c->rejected, c->deleted, mb, r->seconds, r->seconds > 0 ? mb / r->seconds : 0.0);
}

/* With --verbose: where the time went, for tuning the stage chain. */
static void report_timing(const lm_cli *cli, const lm_stage_chain *chain,
                          const lm_engine_timing *t)
{
    if (!cli->verbose)
        return;
    double total = t->write_seconds;
    for (int i = 0; i < chain->n; i++)
        total += t->stage_seconds[i];
    if (total <= 0)
        return;
    fprintf(stderr, "litmine: time per stage (all workers):");
    for (int i = 0; i < chain->n; i++)
        fprintf(stderr, " %s %.2f s (%.0f%%),", chain->ops[i]->name, t->stage_seconds[i],
                100.0 * t->stage_seconds[i] / total);
    fprintf(stderr, " store %.2f s (%.0f%%)\n", t->write_seconds,
            100.0 * t->write_seconds / total);
}

int lm_cmd_ingest(lm_cli *cli, int argc, char **argv)
{
    lm_cli_pipeline pipe;
    int rc = lm_cli_pipeline_defaults(cli, &pipe);
    if (rc != LM_EXIT_OK)
        return rc;
    static const struct option options[] = {
        {"batch-size", required_argument, NULL, 'b'},
        {"force", no_argument, NULL, 'f'},
        {"threads", required_argument, NULL, 't'},
        {"stages", required_argument, NULL, 's'},
        {"no-index", no_argument, NULL, 'I'},
        {"fifo-timeout", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int force = 0, refresh_index = 1;
    long fifo_timeout = LM_PUBMED_FIFO_WAIT_MS / 1000;
    lm_cli_optscan scan;
    opterr = 0;
    int c;
    while ((c = lm_cli_getopt_pipeline(cli, &scan, argc, argv, "h", options, &pipe, &rc)) != -1) {
        switch (c) {
        case 'f': force = 1; break;
        case 'I': refresh_index = 0; break;
        case 'F':
            if (!lm_cli_parse_long(cli, "--fifo-timeout", optarg, 1, 86400, &fifo_timeout))
                return LM_EXIT_USAGE;
            break;
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        default:
            lm_cli_bad_option(cli, "ingest", &scan, argc, argv);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (rc != LM_EXIT_OK)
        return rc;
    if (optind >= argc) {
        lm_cli_error(cli, "ingest: no input files");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }

    lm_stage_chain chain;
    lm_store *store;
    rc = lm_cli_pipeline_open(cli, &pipe, &chain, &store);
    if (rc != LM_EXIT_OK)
        return rc;
    lm_signal_install();

    lm_engine_timing timing;
    memset(&timing, 0, sizeof timing);
    for (int i = optind; i < argc; i++) {
        const char *path = argv[i];
        struct stat sb;
        char shown[1024];
        progress prog = {cli, lm_cli_printable(path, shown, sizeof shown), lm_now_seconds(),
                         strcmp(path, "-") != 0 && stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1,
                         0};
        lm_ingest_options opts = {.batch_size = (int)pipe.batch_size,
                                  .force = force,
                                  .threads = (int)pipe.threads,
                                  .chain = &chain,
                                  .on_warning = lm_cli_print_warning,
                                  .warning_ctx = cli,
                                  .cancel = lm_signal_token(),
                                  .timing = &timing,
                                  .progress_ctx = &prog,
                                  .fifo_wait_ms = (int)fifo_timeout * 1000};
        if (!cli->quiet && (cli->stderr_is_tty || cli->verbose))
            opts.progress = show_progress;
        lm_ingest_result result;
        lm_error err;
        lm_status st = lm_ingest_file(store, path, &opts, &result, &err);
        if (prog.shown)
            fputs("\r\033[K", stderr);
        report_file(cli, path, &result);
        if (result.counts.rejected > 0 && rc == LM_EXIT_OK)
            rc = LM_EXIT_DATA;   /* bad articles: reported, the rest stored */
        if (st == LM_OK)
            continue;
        lm_cli_error(cli, "%s", err.msg);
        if (st == LM_ERR_INTERRUPTED) {
            rc = LM_EXIT_INTERRUPTED;
            break;
        }
        if (result.store_failed) {
            rc = lm_cli_exit_for(st);
            break;
        }
        /* Bad input: keep going with the other files. */
        rc = LM_EXIT_DATA;
    }
    report_timing(cli, &chain, &timing);
    /* Whatever was stored (even before a bad file) becomes searchable. */
    if (refresh_index && rc != LM_EXIT_DB && rc != LM_EXIT_INTERRUPTED) {
        int irc = lm_cli_refresh_index(cli, store);
        if (rc == LM_EXIT_OK)
            rc = irc;
    }
    lm_store_close(store);
    lm_stage_chain_free(&chain);
    return rc;
}
