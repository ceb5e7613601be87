/*
 * `litmine reprocess [--stages LIST] [--since DATE]` — reruns NLP stages
 * over stored articles (pipeline/lm_reprocess.h says what a rerun
 * replaces and why).  Parses the options, opens the database twice (the
 * engine's writer and the scan's read-only snapshot), runs the workflow
 * and prints its announcement, a progress bar on a terminal and the
 * summary.
 */
#include "../pipeline/lm_reprocess.h"
#include "../util/lm_clock.h"
#include "lm_signal.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: litmine reprocess [--stages LIST] [--ingested-since DATE] [--threads N]\n"
    "\n"
    "Runs NLP stages again over stored articles (all, or those ingested on or\n"
    "after DATE: YYYY-MM-DD or YYYY/MM/DD; --since is the same) and replaces what\n"
    "they compute, and nothing else: sentences\n"
    "(sentences), mentions and abbreviations (ner), pairs (pairs), vectors\n"
    "(embed).  Stages whose stored output is computed from what is replaced run\n"
    "too (ner after sentences, pairs after ner); what a stage reads from a stage\n"
    "not rerun is taken from the database.  The stages and what they replace\n"
    "are listed on stderr before it starts.  Default stages: [pipeline] stages,\n"
    "else " LM_DEFAULT_STAGES ".\n";

typedef struct progress_ctx {
    const lm_cli *cli;
    double started;
} progress_ctx;

static void show_progress(void *ctx, int64_t submitted, int64_t total, int final)
{
    const progress_ctx *p = ctx;
    if (p->cli->quiet || !p->cli->stderr_is_tty)
        return;
    double secs = lm_now_seconds() - p->started;
    double rate = secs > 0 ? (double)submitted / secs : 0;
    double eta = rate > 0 ? (double)(total - submitted) / rate : 0;
    int width = 30, filled = total ? (int)(width * submitted / total) : width;
    fprintf(stderr, "\r[%.*s%*s] %" PRId64 "/%" PRId64 "  %.0f articles/s  ETA %.0f s ", filled,
            "##############################", width - filled, "", submitted, total, rate, eta);
    if (final)
        fputs("\r\033[K", stderr);
}

static void print_notice(void *ctx, const char *line)
{
    lm_cli_notice(((const progress_ctx *)ctx)->cli, "reprocess: %s", line);
}

static void print_warning(void *ctx, const char *msg)
{
    lm_cli_print_warning((void *)((const progress_ctx *)ctx)->cli, msg);
}

int lm_cmd_reprocess(lm_cli *cli, int argc, char **argv)
{
    static const struct option options[] = {{"stages", required_argument, NULL, 's'},
                                            {"since", required_argument, NULL, 'S'},
                                            {"ingested-since", required_argument, NULL, 'S'},
                                            {"threads", required_argument, NULL, 't'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    lm_cli_pipeline pipe;
    int rc = lm_cli_pipeline_defaults(cli, &pipe);
    if (rc != LM_EXIT_OK)
        return rc;
    const char *since = NULL;
    char since_buf[11];
    lm_cli_optscan scan;
    opterr = 0;
    int c;
    while ((c = lm_cli_getopt(&scan, argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 's': pipe.stages = optarg; break;
        case 'S':
            if (!lm_cli_parse_date(cli, "--ingested-since", optarg, '-', since_buf))
                return LM_EXIT_USAGE;
            since = since_buf;
            break;
        case 't':
            if (!lm_cli_parse_long(cli, "--threads", optarg, 1, 64, &pipe.threads))
                return LM_EXIT_USAGE;
            break;
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        default:
            lm_cli_bad_option(cli, "reprocess", &scan, argc, argv);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        lm_cli_error(cli, "reprocess: unexpected argument '%s'", argv[optind]);
        return LM_EXIT_USAGE;
    }
    char list[128], added[128];
    lm_error err;
    const char *names = pipe.stages && strcmp(pipe.stages, "none") != 0 ? pipe.stages : "";
    if (lm_stage_rerun_list(names, 0, list, added, sizeof list, &err) != LM_OK) {
        lm_cli_error(cli, "reprocess: %s", err.msg);
        return LM_EXIT_USAGE;
    }
    if (!list[0]) {
        lm_cli_error(cli, "reprocess: no stages to run");
        return LM_EXIT_USAGE;
    }
    lm_store *store = NULL, *reader = NULL;
    rc = lm_cli_open_store(cli, 0, &store);
    if (rc == LM_EXIT_OK) {
        rc = lm_cli_open_store(cli, 1, &reader);
        if (rc != LM_EXIT_OK)
            lm_store_close(store);
    }
    if (rc != LM_EXIT_OK)
        return rc;
    lm_signal_install();
    progress_ctx pc = {cli, lm_now_seconds()};
    lm_reprocess_options ro = {.stages = names,
                               .since = since,
                               .cfg = cli->config,
                               .threads = (int)pipe.threads,
                               .batch_size = (int)pipe.batch_size,
                               .cancel = lm_signal_token(),
                               .on_notice = print_notice,
                               .on_warning = print_warning,
                               .on_progress = show_progress,
                               .ctx = &pc};
    lm_reprocess_result res;
    lm_status st = lm_reprocess_run(store, reader, &ro, &res, &err);
    if (res.ran && !cli->quiet && (cli->verbose || cli->stderr_is_tty))
        fprintf(stderr, "reprocess: %" PRId64 " articles, %" PRId64 " failed a stage, %.1f s\n",
                res.counts.articles, res.counts.failed, lm_now_seconds() - pc.started);
    if (st != LM_OK)
        lm_cli_error(cli, "reprocess: %s", err.msg);
    lm_store_close(reader);
    lm_store_close(store);
    /* A model that does not load is a failure, not a database error. */
    return res.setup && st != LM_ERR_USAGE ? LM_EXIT_FAILURE : lm_cli_exit_for(st);
}
