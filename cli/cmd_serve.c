/*
 * `litmine serve [--listen ADDR:PORT] [--threads N] [--timeout S]` — the
 * read-only web pages and JSON API (serve/).  This file only parses the
 * options and prints where the server listens; lm_serve_run() does the
 * rest and returns after SIGTERM or SIGINT.
 */
#include "../serve/lm_serve.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: litmine serve [--listen ADDR:PORT] [--threads N] [--timeout SECONDS]\n"
    "\n"
    "Serves the database read-only over HTTP: search, article, concept and pairs\n"
    "pages, their JSON API (/api/...) and PubTator3-compatible endpoints.\n"
    "  --listen A:P   address and port (default 127.0.0.1:8080, loopback only;\n"
    "                 port 0 picks a free one; [::1]:8080 for IPv6)\n"
    "  --threads N    server threads and database connections (default 4)\n"
    "  --timeout S    drop idle or slow clients after S seconds (default 15)\n"
    "Stops cleanly on SIGTERM or Ctrl-C.  See docs/serve.md.\n";

static void ready(void *ctx, const char *url)
{
    const lm_cli *cli = ctx;
    if (!cli->quiet)
        fprintf(stderr, "litmine serve: listening on %s\n", url);
    fflush(stderr);
}

int lm_cmd_serve(lm_cli *cli, int argc, char **argv)
{
    lm_serve_options o;
    memset(&o, 0, sizeof o);
    o.listen = lm_config_get_or(cli->config, "serve", "listen", "127.0.0.1:8080");
    long threads = 4, timeout = 15;
    const char *cfg_threads = lm_config_get(cli->config, "serve", "threads");
    if (cfg_threads && !lm_cli_to_long(cfg_threads, 1, 64, &threads)) {
        lm_cli_error(cli, "serve: [serve] threads = %s: expected 1 to 64", cfg_threads);
        return LM_EXIT_USAGE;
    }
    static const struct option options[] = {{"listen", required_argument, NULL, 'l'},
                                            {"threads", required_argument, NULL, 't'},
                                            {"timeout", required_argument, NULL, 'T'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    lm_cli_optscan scan;
    opterr = 0;
    int c;
    while ((c = lm_cli_getopt(&scan, argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        case 'l': o.listen = optarg; break;
        case 't':
            if (!lm_cli_parse_long(cli, "--threads", optarg, 1, 64, &threads))
                return LM_EXIT_USAGE;
            break;
        case 'T':
            if (!lm_cli_parse_long(cli, "--timeout", optarg, 1, 3600, &timeout))
                return LM_EXIT_USAGE;
            break;
        default:
            lm_cli_bad_option(cli, "serve", &scan, argc, argv);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        lm_cli_error(cli, "serve: unexpected argument '%s'", argv[optind]);
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    o.db_path = cli->db_path;
    o.threads = (int)threads;
    o.timeout_seconds = (int)timeout;
    o.config = cli->config;
    o.on_ready = ready;
    o.ctx = cli;
    lm_error err = {0};
    lm_status st = lm_serve_run(&o, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "serve: %s", err.msg);
        return lm_cli_exit_for(st);
    }
    return LM_EXIT_OK;
}
