/*
 * `litmine reprocess [--stages LIST] [--since DATE]` — reruns NLP stages
 * over stored articles, e.g. after a model update, without refetching.
 * The stored annotations of each article are replaced as a whole.
 */
#include "../util/lm_clock.h"
#include "../pipeline/lm_engine.h"
#include "../pipeline/lm_signal.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: litmine reprocess [--stages LIST] [--since YYYY-MM-DD] [--threads N]\n"
    "\n"
    "Runs the NLP stages again over stored articles (all, or those ingested on\n"
    "or after --since) and replaces their sentences, mentions and other\n"
    "annotations.  Default stages: [pipeline] stages, else " LM_DEFAULT_STAGES ".\n";

typedef struct scan_ctx {
    const lm_cli *cli;
    lm_engine *engine;
    int64_t total;
    int64_t submitted;
    double started;
} scan_ctx;

static void show_progress(scan_ctx *c, int final)
{
    if (c->cli->quiet || !c->cli->stderr_is_tty)
        return;
    double secs = lm_now_seconds() - c->started;
    double rate = secs > 0 ? (double)c->submitted / secs : 0;
    double eta = rate > 0 ? (double)(c->total - c->submitted) / rate : 0;
    int width = 30, filled = c->total ? (int)(width * c->submitted / c->total) : width;
    fprintf(stderr, "\r[%.*s%*s] %" PRId64 "/%" PRId64 "  %.0f articles/s  ETA %.0f s ", filled,
            "##############################", width - filled, "", c->submitted, c->total, rate,
            eta);
    if (final)
        fputs("\r\033[K", stderr);
}

static lm_status submit_article(void *ctx, const lm_article *a)
{
    scan_ctx *c = ctx;
    lm_error err;
    if (lm_signal_stop_requested())
        return LM_ERR_INTERRUPTED;
    lm_article copy;
    lm_article_init(&copy);
    copy.pmid = a->pmid;
    copy.version = a->version;
    copy.title = a->title ? strdup(a->title) : NULL;
    copy.abstract = a->abstract ? strdup(a->abstract) : NULL;
    if ((a->title && !copy.title) || (a->abstract && !copy.abstract)) {
        lm_article_free(&copy);
        return LM_ERR_NOMEM;
    }
    lm_status st = lm_engine_submit_reprocess(c->engine, &copy, &err);
    if (++c->submitted % 1000 == 0)
        show_progress(c, 0);
    return st;
}

int lm_cmd_reprocess(lm_cli *cli, int argc, char **argv)
{
    static const struct option options[] = {{"stages", required_argument, NULL, 's'},
                                            {"since", required_argument, NULL, 'S'},
                                            {"threads", required_argument, NULL, 't'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    lm_cli_pipeline pipe;
    int rc = lm_cli_pipeline_defaults(cli, &pipe);
    if (rc != LM_EXIT_OK)
        return rc;
    const char *since = NULL;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 's': pipe.stages = optarg; break;
        case 'S': since = optarg; break;
        case 't':
            if (!lm_cli_parse_long(cli, "--threads", optarg, 1, 64, &pipe.threads))
                return LM_EXIT_USAGE;
            break;
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        default:
            lm_cli_error(cli, "reprocess: unknown or incomplete option '%s'", argv[optind - 1]);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        lm_cli_error(cli, "reprocess: unexpected argument '%s'", argv[optind]);
        return LM_EXIT_USAGE;
    }
    if (since && (strlen(since) < 10 || since[4] != '-' || since[7] != '-')) {
        lm_cli_error(cli, "--since: expected YYYY-MM-DD, got \"%s\"", since);
        return LM_EXIT_USAGE;
    }
    lm_stage_chain chain;
    rc = lm_cli_pipeline_load(cli, &pipe, &chain);
    if (rc != LM_EXIT_OK)
        return rc;
    if (chain.n == 0) {
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
    if (rc != LM_EXIT_OK) {
        lm_stage_chain_free(&chain);
        return rc;
    }
    lm_signal_install();

    lm_error err;
    scan_ctx sc = {cli, NULL, 0, 0, lm_now_seconds()};
    lm_status st = lm_store_count_articles_since(reader, since, &sc.total, &err);
    lm_engine_options eopts = {.threads = (int)pipe.threads,
                               .batch_size = (int)pipe.batch_size,
                               .chain = &chain,
                               .source = "reprocess",
                               .on_warning = lm_cli_print_warning,
                               .warning_ctx = cli};
    if (st == LM_OK)
        st = lm_engine_start(&sc.engine, store, &eopts, &err);
    if (st == LM_OK) {
        st = lm_store_each_article_since(reader, since, submit_article, &sc, &err);
        if (st == LM_ERR_INTERRUPTED)
            lm_error_set(&err, LM_ERR_INTERRUPTED, "interrupted by signal");
        else if (st == LM_ERR_NOMEM)
            lm_error_set(&err, LM_ERR_NOMEM, "out of memory");
        lm_ingest_counts counts;
        lm_error ferr;
        lm_status fst = lm_engine_finish(sc.engine, 0, &counts, &ferr);
        if (fst != LM_OK && (st == LM_OK || st == LM_ERR_INTERRUPTED)) {
            st = fst;
            err = ferr;
        }
        show_progress(&sc, 1);
        if (!cli->quiet && (cli->verbose || cli->stderr_is_tty))
            fprintf(stderr, "reprocess: %" PRId64 " articles, %" PRId64 " failed a stage, %.1f s\n",
                    counts.articles, counts.failed, lm_now_seconds() - sc.started);
    }
    if (st != LM_OK)
        lm_cli_error(cli, "reprocess: %s", err.msg);
    lm_store_close(reader);
    lm_store_close(store);
    lm_stage_chain_free(&chain);
    return lm_cli_exit_for(st);
}
