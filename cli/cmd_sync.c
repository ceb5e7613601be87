/*
 * `litmine sync [--baseline] [--updates]` — keeps a local PubMed mirror
 * current from NLM's bulk files: options, the HTTP client and the stage
 * chain from the configuration, then pipeline/lm_sync.h does the work,
 * and the search index is refreshed when files arrived.
 */
#include "../fetch/lm_http.h"
#include "lm_signal.h"
#include "../util/lm_buf.h"
#include "lm_cli.h"
#include "lm_cli_progress.h"
#include "lm_commands.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_SYNC_URL LM_SYNC_DEFAULT_URL

static const char usage[] =
    "usage: litmine sync [--baseline] [--updates] [--spool DIR] [--keep] [options]\n"
    "\n"
    "Downloads NLM's PubMed bulk files that are not ingested yet (baseline/ and\n"
    "updatefiles/ under [sync] base_url, default " DEFAULT_SYNC_URL "),\n"
    "verifies each against its .md5 and ingests them in numeric order.  Without\n"
    "--baseline or --updates, both.\n"
    "\n"
    "  --spool DIR     download directory (default [sync] spool_dir, else\n"
    "                  litmine-spool beside the database)\n"
    "  --keep          keep downloaded files after ingesting them\n"
    "  --threads N, --stages LIST, --batch-size N   as for `litmine ingest`\n";

int lm_cmd_sync(lm_cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"baseline", no_argument, NULL, 'B'},      {"updates", no_argument, NULL, 'U'},
        {"spool", required_argument, NULL, 'S'},   {"keep", no_argument, NULL, 'k'},
        {"threads", required_argument, NULL, 't'}, {"stages", required_argument, NULL, 's'},
        {"batch-size", required_argument, NULL, 'b'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    lm_cli_pipeline pipe;
    int rc = lm_cli_pipeline_defaults(cli, &pipe);
    if (rc != LM_EXIT_OK)
        return rc;
    int baseline = 0, updates = 0, keep = 0;
    const char *spool_flag = NULL;
    lm_cli_optscan scan;
    opterr = 0;
    int c;
    while ((c = lm_cli_getopt_pipeline(cli, &scan, argc, argv, "h", options, &pipe, &rc)) != -1) {
        switch (c) {
        case 'B': baseline = 1; break;
        case 'U': updates = 1; break;
        case 'S': spool_flag = optarg; break;
        case 'k': keep = 1; break;
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        default:
            lm_cli_bad_option(cli, "sync", &scan, argc, argv);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (rc != LM_EXIT_OK)
        return rc;
    if (optind < argc) {
        lm_cli_error(cli, "sync: unexpected argument '%s'", argv[optind]);
        return LM_EXIT_USAGE;
    }
    if (!baseline && !updates)
        baseline = updates = 1;

    lm_buf spool;
    lm_buf_init(&spool);
    lm_error err;
    lm_http_config hcfg;
    lm_status cst = lm_sync_http_config(cli->config, &hcfg, &err);
    if (cst != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        return LM_EXIT_USAGE;
    }
    if (lm_sync_spool(cli->config, cli->db_path, spool_flag, &spool, &err) != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        lm_buf_free(&spool);
        return LM_EXIT_FAILURE;
    }
    hcfg.cancel = lm_signal_token();
    lm_http *http;
    if (lm_http_init(&http, &hcfg, &err) != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        lm_buf_free(&spool);
        return LM_EXIT_FAILURE;
    }
    lm_stage_chain chain;
    lm_store *store = NULL;
    rc = lm_cli_pipeline_open(cli, &pipe, &chain, &store);
    if (rc != LM_EXIT_OK) {
        lm_http_free(http);
        lm_buf_free(&spool);
        return rc;
    }
    lm_signal_install();
    lm_sync_options so = {
        .base_url = lm_config_get_or(cli->config, "sync", "base_url", DEFAULT_SYNC_URL),
        .baseline = baseline,
        .updates = updates,
        .spool = lm_buf_cstr(&spool),
        .keep = keep,
        .ingest = {.batch_size = (int)pipe.batch_size,
                   .threads = (int)pipe.threads,
                   .chain = &chain,
                   .on_warning = lm_cli_print_warning,
                   .warning_ctx = cli,
                   .cancel = lm_signal_token()},
        .on_download = lm_cli_on_download,
        .on_ingested = lm_cli_on_file_ingested,
        .ctx = cli,
    };
    lm_sync_result res;
    lm_status st = lm_sync_run(store, http, &so, &res, &err);
    if (st != LM_OK)
        lm_cli_error(cli, "%s", err.msg);
    rc = lm_cli_sync_exit(st, &res);
    if (!cli->quiet && (cli->verbose || cli->stderr_is_tty))
        fprintf(stderr, "sync: %" PRId64 " new files ingested\n", res.files_done);
    if (res.rejected && rc == LM_EXIT_OK)
        rc = LM_EXIT_DATA;   /* reported article by article; the rest is stored */
    if (res.files_done && rc != LM_EXIT_DB && rc != LM_EXIT_INTERRUPTED) {
        int irc = lm_cli_refresh_index(cli, store);
        if (rc == LM_EXIT_OK)
            rc = irc;
    }
    lm_store_close(store);
    lm_stage_chain_free(&chain);
    lm_http_free(http);
    lm_buf_free(&spool);
    return rc;
}
