/*
 * `litmine serve [--listen ADDR:PORT] [--threads N] [--timeout S]` — the
 * read-only web pages and JSON API (serve/).  This file only parses the
 * options and prints where the server listens; lm_serve_run() does the
 * rest and returns after SIGTERM or SIGINT.
 */
#include "../serve/lm_serve.h"
#include "lm_cli.h"
#include "lm_commands.h"

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
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return LM_EXIT_OK;
        } else if (strcmp(a, "--listen") == 0 && v) {
            o.listen = v;
            i++;
        } else if (strcmp(a, "--threads") == 0 && v) {
            bad = !lm_cli_to_long(v, 1, 64, &threads);
            i++;
        } else if (strcmp(a, "--timeout") == 0 && v) {
            bad = !lm_cli_to_long(v, 1, 3600, &timeout);
            i++;
        } else {
            lm_cli_error(cli, "serve: unknown or incomplete option '%s'", a);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
        if (bad) {
            lm_cli_error(cli, "serve: bad value '%s' for %s", v, a);
            return LM_EXIT_USAGE;
        }
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
