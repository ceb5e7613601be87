/*
 * `litmine stats` — row counts per table and the most recent ingests, for a
 * quick look at what a database holds.  Opens the store read-only so it
 * can run while a nightly job writes (WAL allows concurrent readers).
 */
#include "lm_cli.h"
#include "lm_commands.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
    "usage: litmine stats [--last N]\n"
    "\n"
    "Prints row counts per table and the last N ingests (default 10).\n";

static lm_status print_count(void *ctx, const lm_table_count *c)
{
    (void)ctx;
    printf("  %-20s %12" PRId64 "\n", c->table, c->rows);
    return LM_OK;
}

/* Sources are file names and error texts quote them: printed escaped. */
static lm_status print_ingest(void *ctx, const lm_ingest_row *r)
{
    (void)ctx;
    char source[1024], error[4096];
    printf("  %-5" PRId64 " %-12s %-20s %-24s %8" PRId64 " articles  %6" PRId64
           " new  %6" PRId64 " replaced  %5" PRId64 " deleted  %5" PRId64 " rejected  %s\n",
           r->id, r->status, r->started_at ? r->started_at : "-",
           lm_cli_printable(r->source, source, sizeof source), r->counts.articles,
           r->counts.inserted, r->counts.replaced, r->counts.deleted, r->counts.rejected,
           lm_cli_printable(r->error_text ? r->error_text : "", error, sizeof error));
    return LM_OK;
}

int lm_cmd_stats(lm_cli *cli, int argc, char **argv)
{
    static const struct option options[] = {{"last", required_argument, NULL, 'n'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    long last = 10;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return LM_EXIT_OK;
        }
        if (c == 'n') {
            char *end;
            last = strtol(optarg, &end, 10);
            if (*end || end == optarg || last < 0 || last > 100000) {
                lm_cli_error(cli, "--last: expected 0..100000, got \"%s\"", optarg);
                return LM_EXIT_USAGE;
            }
            continue;
        }
        lm_cli_error(cli, "stats: unknown or incomplete option '%s'", argv[optind - 1]);
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    if (optind < argc) {
        lm_cli_error(cli, "stats: unexpected argument '%s'", argv[optind]);
        return LM_EXIT_USAGE;
    }
    lm_store *store;
    int open_rc = lm_cli_open_store(cli, 1, &store);
    if (open_rc != LM_EXIT_OK)
        return open_rc;
    lm_status st;
    lm_error err;
    char shown[1024];
    printf("database: %s (schema version %d)\n", lm_cli_printable(cli->db_path, shown, sizeof shown),
           lm_store_schema_version());
    printf("tables:\n");
    st = lm_store_count_tables(store, print_count, NULL, &err);
    if (st == LM_OK && last > 0) {
        printf("last ingests:\n");
        st = lm_store_list_ingests(store, (int)last, print_ingest, NULL, &err);
    }
    if (st != LM_OK)
        lm_cli_error(cli, "%s", err.msg);
    lm_store_close(store);
    return lm_cli_exit_for(st);
}
