/*
 * `litmine stats` — row counts per table and the most recent ingests, for a
 * quick look at what a database holds; with --sizes, where its bytes go
 * (store/lm_store_sizes.h).  Opens the store read-only so it can run while
 * a nightly job writes (WAL allows concurrent readers).
 */
#include "../store/lm_store_sizes.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
    "usage: litmine stats [--last N] [--sizes]\n"
    "\n"
    "Prints row counts per table and the last N ingests (default 10).\n"
    "  --sizes   bytes on disk per table and index, side files, and bytes per\n"
    "            abstract beyond its text\n";

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

typedef struct size_ctx {
    int64_t articles;
} size_ctx;

static double per_abstract(int64_t bytes, int64_t articles)
{
    return articles > 0 ? (double)bytes / (double)articles : 0.0;
}

static lm_status print_size(void *ctx, const lm_size_row *r)
{
    const size_ctx *c = ctx;
    char name[256];
    lm_cli_printable(r->name, name, sizeof name);
    printf("  %-30s %-6s %14" PRId64 " %14" PRId64 " %14" PRId64 " %12.1f\n", name,
           r->is_index ? "index" : "table", r->bytes, r->payload, r->unused,
           per_abstract(r->bytes, c->articles));
    return LM_OK;
}

static lm_status print_sizes(const lm_cli *cli, lm_store *store, lm_error *err)
{
    char shown[1024];
    lm_cli_printable(cli->db_path, shown, sizeof shown);
    lm_store_totals t;
    lm_status st = lm_store_size_totals(store, &t, err);
    if (st != LM_OK)
        return st;
    size_ctx c = {t.articles};
    printf("sizes (bytes on disk; per abstract = bytes / %" PRId64 " articles):\n", t.articles);
    printf("  %-30s %-6s %14s %14s %14s %12s\n", "b-tree", "kind", "bytes", "payload", "unused",
           "per abstract");
    int exact = 0;
    st = lm_store_each_size(store, &exact, print_size, &c, err);
    if (st != LM_OK)
        return st;
    if (!exact)
        printf("  (this SQLite has no dbstat table: only the totals below)\n");
    int64_t all = t.file_bytes + t.wal_bytes + t.vectors_bytes;
    printf("files:\n");
    printf("  %-37s %14" PRId64 " (%" PRId64 " pages of %" PRId64 " bytes, %" PRId64
           " free) %12.1f\n",
           shown, t.file_bytes, t.pages, t.page_size, t.free_pages,
           per_abstract(t.file_bytes, t.articles));
    printf("  %-37s %14" PRId64 " %12.1f\n", "write-ahead log (-wal)", t.wal_bytes,
           per_abstract(t.wal_bytes, t.articles));
    printf("  %-37s %14" PRId64 " %12.1f\n", "vector file (.vectors)", t.vectors_bytes,
           per_abstract(t.vectors_bytes, t.articles));
    if (t.vector_stale > 0)
        printf("    of its %" PRId64 " rows, %" PRId64 " stale (%" PRId64
               " bytes): revised or deleted since written, until the refresh rewrites it\n",
               t.vector_rows, t.vector_stale, t.vector_stale_bytes);
    printf("  %-37s %14" PRId64 " %12.1f\n", "all", all, per_abstract(all, t.articles));
    printf("text (titles and abstracts, UTF-8): %" PRId64 " bytes, %.1f per abstract\n",
           t.text_bytes, per_abstract(t.text_bytes, t.articles));
    printf("bytes per abstract beyond its text: %.1f\n",
           per_abstract(all - t.text_bytes, t.articles));
    return LM_OK;
}

int lm_cmd_stats(lm_cli *cli, int argc, char **argv)
{
    static const struct option options[] = {{"last", required_argument, NULL, 'n'},
                                            {"sizes", no_argument, NULL, 's'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    long last = 10;
    int sizes = 0;
    lm_cli_optscan scan;
    opterr = 0;
    int c;
    while ((c = lm_cli_getopt(&scan, argc, argv, "h", options, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        case 's': sizes = 1; break;
        case 'n':
            last = strtol(optarg, &end, 10);
            if (*end || end == optarg || last < 0 || last > 100000) {
                lm_cli_error(cli, "--last: expected 0..100000, got \"%s\"", optarg);
                return LM_EXIT_USAGE;
            }
            break;
        default:
            lm_cli_bad_option(cli, "stats", &scan, argc, argv);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
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
    if (st == LM_OK && sizes)
        st = print_sizes(cli, store, &err);
    if (st == LM_OK && last > 0) {
        printf("last ingests:\n");
        st = lm_store_list_ingests(store, (int)last, print_ingest, NULL, &err);
    }
    if (st != LM_OK)
        lm_cli_error(cli, "%s", err.msg);
    lm_store_close(store);
    return lm_cli_exit_for(st);
}
