/*
 * `litmine merge SHARD.db... --into DB` — combines shard databases (one
 * per group of PubMed files, written by a cluster's jobs) into DB, in the
 * order given, as one sequential ingest of the same files would have
 * stored them (pipeline/lm_merge.h).  Prints what each shard brings and,
 * before committing, what will be replaced and deleted; --dry-run stops
 * there.  Then brings the search index up to date, as ingest does.
 * Exit status: 0 merged, 2 a shard was refused (nothing written), 4
 * database trouble, 130 interrupted (nothing written).
 */
#include "../pipeline/lm_merge.h"
#include "lm_signal.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

static const char usage[] =
    "usage: litmine merge [--dry-run] [--no-index] SHARD.db... --into DB\n"
    "\n"
    "Merges shard databases, in the order given (the order of the PubMed files\n"
    "they hold), into DB (created when missing): newer article versions replace\n"
    "older ones and DeleteCitations delete, exactly as one ingest of all the\n"
    "files would.  All or nothing: an error or a crash leaves DB as it was.\n"
    "Shards must come from the same litmine and models as DB.\n"
    "\n"
    "  --into DB     the database to merge into (required)\n"
    "  --dry-run     say what the merge would do, then leave DB unchanged\n"
    "  --no-index    leave the search index to `litmine index refresh`\n";

typedef struct merge_report {
    const lm_cli *cli;
    int dry_run;
} merge_report;

static void print_shard(void *ctx, int index, int n, const char *name, const lm_merge_counts *c)
{
    (void)ctx;
    char shown[1024];
    if (c->skipped) {
        printf("shard %d/%d %s: already merged (every file it holds is in the target's "
               "ingest log), skipped\n",
               index + 1, n, lm_cli_printable(name, shown, sizeof shown));
        fflush(stdout);
        return;
    }
    printf("shard %d/%d %s: %" PRId64 " articles (%" PRId64 " new, %" PRId64 " replacing a stored "
           "version, %" PRId64 " unchanged, %" PRId64 " older version ignored), %" PRId64
           " deleted, %" PRId64 " ingest-log rows\n",
           index + 1, n, lm_cli_printable(name, shown, sizeof shown), c->ingest.articles,
           c->ingest.inserted, c->ingest.replaced, c->ingest.unchanged, c->ingest.older,
           c->ingest.deleted, c->log_rows);
    fflush(stdout);
}

static void print_total(void *ctx, const lm_merge_counts *t)
{
    const merge_report *r = ctx;
    printf("%s %" PRId64 " new articles; %" PRId64 " stored articles %s replaced by newer "
           "versions (with their mentions, pairs and vectors); %" PRId64 " %s deleted\n",
           r->dry_run ? "would merge:" : "merging:", t->ingest.inserted, t->ingest.replaced,
           r->dry_run ? "would be" : "are", t->ingest.deleted, r->dry_run ? "would be" : "are");
    if (r->dry_run)
        printf("dry run: nothing written\n");
    fflush(stdout);
}

int lm_cmd_merge(lm_cli *cli, int argc, char **argv)
{
    static const struct option options[] = {{"into", required_argument, NULL, 'i'},
                                            {"dry-run", no_argument, NULL, 'n'},
                                            {"no-index", no_argument, NULL, 'I'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *into = NULL;
    int dry_run = 0, refresh_index = 1;
    lm_cli_optscan scan;
    opterr = 0;
    int c;
    /* Permuting: --into may come after the shards. */
    while ((c = lm_cli_getopt(&scan, argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'i': into = optarg; break;
        case 'n': dry_run = 1; break;
        case 'I': refresh_index = 0; break;
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        default:
            lm_cli_bad_option(cli, "merge", &scan, argc, argv);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (!into || optind >= argc) {
        lm_cli_error(cli, into ? "merge: no shard databases given" : "merge: --into DB is required");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }

    lm_cli target_cli = *cli;
    target_cli.db_path = into;
    lm_store *store;
    int rc = lm_cli_open_store(&target_cli, 0, &store);
    if (rc != LM_EXIT_OK)
        return rc;
    lm_signal_install();
    merge_report report = {cli, dry_run};
    lm_merge_options opts = {.dry_run = dry_run,
                             .on_shard = print_shard,
                             .before_commit = print_total,
                             .ctx = &report,
                             .cancel = lm_signal_token()};
    lm_merge_counts total;
    lm_error err;
    lm_status st = lm_merge_shards(store, into, (const char *const *)(argv + optind),
                                   argc - optind, &opts, &total, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "merge: %s", err.msg);
        rc = lm_cli_exit_for(st);
    } else if (!dry_run && refresh_index) {
        rc = lm_cli_refresh_index(&target_cli, store);
    }
    lm_store_close(store);
    return rc;
}
