/*
 * `litmine watch add|list|remove` — saved PubMed searches that
 * `litmine fetch --watches` (and the nightly `litmine run`) bring up to
 * date.
 */
#include "lm_cli.h"
#include "lm_commands.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: litmine watch add NAME --query QUERY [--datetype edat|pdat|mdat] [--since YYYY/MM/DD]\n"
    "       litmine watch list\n"
    "       litmine watch remove NAME\n"
    "\n"
    "A watch is a saved PubMed search.  `litmine fetch --watches` fetches, for each\n"
    "watch, the records of the days since its last complete run (on the first run:\n"
    "from --since, else the last [eutils] watch_first_days days, default 30) up to\n"
    "yesterday.\n";

static lm_status print_watch(void *ctx, const lm_watch *w)
{
    (void)ctx;
    printf("%s\t%s\tdatetype=%s\tdone_through=%s\tlast_run=%s %s (%" PRId64 " articles)%s%s\n",
           w->name, w->query, w->datetype, w->done_through ? w->done_through : "-",
           w->last_run_at ? w->last_run_at : "never", w->last_status ? w->last_status : "",
           w->last_count, w->last_error ? "\terror=" : "", w->last_error ? w->last_error : "");
    return LM_OK;
}

static int watch_add(lm_cli *cli, int argc, char **argv)
{
    static const struct option options[] = {{"query", required_argument, NULL, 'q'},
                                            {"datetype", required_argument, NULL, 'd'},
                                            {"since", required_argument, NULL, 's'},
                                            {NULL, 0, NULL, 0}};
    const char *query = NULL, *datetype = "edat", *since = NULL;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'q': query = optarg; break;
        case 'd': datetype = optarg; break;
        case 's': since = optarg; break;
        default:
            lm_cli_error(cli, "watch add: unknown or incomplete option '%s'", argv[optind - 1]);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !query) {
        lm_cli_error(cli, "watch add: expected NAME and --query QUERY");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    lm_store *store;
    int rc = lm_cli_open_store(cli, 0, &store);
    if (rc != LM_EXIT_OK)
        return rc;
    lm_error err;
    lm_status st = lm_store_watch_add(store, argv[optind], query, datetype, since, &err);
    if (st != LM_OK)
        lm_cli_error(cli, "%s", err.msg);
    lm_store_close(store);
    return lm_cli_exit_for(st);
}

int lm_cmd_watch(lm_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? LM_EXIT_USAGE : LM_EXIT_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "add") == 0)
        return watch_add(cli, argc - 1, argv + 1);
    if (strcmp(sub, "list") == 0 || strcmp(sub, "remove") == 0) {
        int is_list = sub[0] == 'l';
        if (argc != (is_list ? 2 : 3)) {
            lm_cli_error(cli, "watch %s: %s", sub, is_list ? "takes no arguments" : "expected NAME");
            return LM_EXIT_USAGE;
        }
        lm_store *store;
        int rc = lm_cli_open_store(cli, is_list, &store);
        if (rc != LM_EXIT_OK)
            return rc;
        lm_error err;
        lm_status st = is_list ? lm_store_watch_each(store, print_watch, NULL, &err)
                               : lm_store_watch_remove(store, argv[2], &err);
        if (st != LM_OK)
            lm_cli_error(cli, "%s", err.msg);
        lm_store_close(store);
        return lm_cli_exit_for(st);
    }
    lm_cli_error(cli, "watch: unknown subcommand '%s'", sub);
    fputs(usage, stderr);
    return LM_EXIT_USAGE;
}
