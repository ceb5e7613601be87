/*
 * `litmine watch add|list|remove|report` — the two kinds of watch:
 *
 *   saved searches   watch add NAME --query Q: PubMed searches that `litmine
 *                    fetch --watches` (and the nightly `litmine run`) bring
 *                    up to date;
 *   concept watches  watch add [NAME] --concept ID [--pair-with ID
 *                    [--relation R]]: after each nightly run, a report of the
 *                    new articles mentioning the concept and the pairs found
 *                    (pipeline/lm_watch_concept.h), CSV and JSON in the
 *                    report directory and one summary line in the journal.
 *
 * Every subcommand answers --help with its usage and exit status 0, before
 * touching the database.
 */
#include "../pipeline/lm_watch_concept.h"
#include "../store/lm_store_concept_watch.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: litmine watch add NAME --query QUERY [--datetype edat|pdat|mdat] [--since DATE]\n"
    "       litmine watch add [NAME] --concept ID [--pair-with ID [--relation R]]\n"
    "       litmine watch list\n"
    "       litmine watch remove NAME\n"
    "       litmine watch report [--dir DIR]\n"
    "\n"
    "A saved search (--query) is a PubMed search: `litmine fetch --watches` fetches,\n"
    "for each, the records of the days since its last complete run (on the first\n"
    "run: from --since DATE, YYYY-MM-DD or YYYY/MM/DD, else the last [eutils]\n"
    "watch_first_days days, default 30) up to yesterday.\n"
    "\n"
    "A concept watch (--concept, e.g. MESH:D003920) reports, after each `litmine\n"
    "run`, the articles stored since its last report that mention the concept\n"
    "(with --pair-with: both concepts) and the pairs found in them (with\n"
    "--relation: only induces, treats, associated or cooccurs), as CSV and JSON\n"
    "files in the report directory ([watch] report_dir, default: reports/ beside\n"
    "the database) and one summary line each in the journal.  NAME defaults to\n"
    "the concept id(s).  `watch report` writes the reports now.\n";

static const char *report_dir(const lm_cli *cli, char *buf, size_t cap)
{
    const char *dir = lm_config_get(cli->config, "watch", "report_dir");
    if (dir && *dir)
        return dir;
    const char *slash = strrchr(cli->db_path, '/');
    if (!slash)
        return "reports";
    snprintf(buf, cap, "%.*s/reports", (int)(slash - cli->db_path), cli->db_path);
    return buf;
}

static void print_report(void *ctx, const lm_concept_report *r)
{
    const lm_cli *cli = ctx;
    if (r->csv_path)
        lm_cli_notice(cli, "watch %s (%s%s%s): %" PRId64 " new articles, %" PRId64
                      " pairs -> %s", r->name, r->concept_id, r->pair_with ? " + " : "",
                      r->pair_with ? r->pair_with : "", r->articles, r->pairs, r->csv_path);
    else
        lm_cli_notice(cli, "watch %s (%s%s%s): nothing new", r->name, r->concept_id,
                      r->pair_with ? " + " : "", r->pair_with ? r->pair_with : "");
}

int lm_cli_report_concept_watches(const lm_cli *cli, lm_store *store, const char *dir)
{
    char buf[4096];
    lm_error err;
    lm_status st = lm_concept_watches_report(store, dir ? dir : report_dir(cli, buf, sizeof buf),
                                             print_report, (void *)cli, &err);
    if (st != LM_OK)
        lm_cli_error(cli, "concept watches: %s", err.msg);
    return lm_cli_exit_for(st);
}

static lm_status print_watch(void *ctx, const lm_watch *w)
{
    (void)ctx;
    printf("%s\t%s\tdatetype=%s\tdone_through=%s\tlast_run=%s %s (%" PRId64 " articles)%s%s\n",
           w->name, w->query, w->datetype, w->done_through ? w->done_through : "-",
           w->last_run_at ? w->last_run_at : "never", w->last_status ? w->last_status : "",
           w->last_count, w->last_error ? "\terror=" : "", w->last_error ? w->last_error : "");
    return LM_OK;
}

static lm_status print_concept_watch(void *ctx, const lm_concept_watch *w)
{
    (void)ctx;
    printf("%s\tconcept=%s", w->name, w->concept_id);
    if (w->pair_with)
        printf("\tpair_with=%s", w->pair_with);
    if (w->relation)
        printf("\trelation=%s", w->relation);
    printf("\treported_through=%s\tlast_report=%s (%" PRId64 " articles, %" PRId64 " pairs)\n",
           w->reported_through ? w->reported_through : "-",
           w->last_report_at ? w->last_report_at : "never", w->last_articles, w->last_pairs);
    return LM_OK;
}

/* "MESH:D003920" -> "MESH-D003920": watch names take no ':'. */
static void default_name(char *out, size_t cap, const char *concept, const char *pair_with)
{
    snprintf(out, cap, "%s%s%s", concept, pair_with ? "+" : "", pair_with ? pair_with : "");
    for (char *p = out; *p; p++)
        if (*p == ':' || *p == '+')
            *p = *p == ':' ? '-' : '_';
}

static int watch_add(lm_cli *cli, int argc, char **argv)
{
    enum { O_CONCEPT = 256, O_PAIR, O_REL };
    static const struct option options[] = {{"query", required_argument, NULL, 'q'},
                                            {"datetype", required_argument, NULL, 'd'},
                                            {"since", required_argument, NULL, 's'},
                                            {"concept", required_argument, NULL, O_CONCEPT},
                                            {"pair-with", required_argument, NULL, O_PAIR},
                                            {"relation", required_argument, NULL, O_REL},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *query = NULL, *datetype = "edat", *concept = NULL, *pair_with = NULL,
               *relation = NULL;
    char since[11] = "";
    lm_cli_optscan scan;
    opterr = 0;
    int c;
    while ((c = lm_cli_getopt(&scan, argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'q': query = optarg; break;
        case 'd': datetype = optarg; break;
        case 's':
            if (!lm_cli_parse_date(cli, "--since", optarg, '/', since))
                return LM_EXIT_USAGE;
            break;
        case O_CONCEPT: concept = optarg; break;
        case O_PAIR: pair_with = optarg; break;
        case O_REL: relation = optarg; break;
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        default:
            lm_cli_bad_option(cli, "watch add", &scan, argc, argv);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if ((query != NULL) == (concept != NULL) || optind < argc - 1 ||
        (query && optind != argc - 1)) {
        lm_cli_error(cli, "watch add: expected NAME --query QUERY, or [NAME] --concept ID");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    if (query && (pair_with || relation)) {
        lm_cli_error(cli, "watch add: --pair-with and --relation are for --concept watches");
        return LM_EXIT_USAGE;
    }
    if (concept && since[0]) {
        lm_cli_error(cli, "watch add: --since is for --query watches (a concept watch reports "
                          "what is stored from now on; `export --concept` gives the rest)");
        return LM_EXIT_USAGE;
    }
    char name[256];
    if (optind < argc)
        snprintf(name, sizeof name, "%s", argv[optind]);
    else
        default_name(name, sizeof name, concept, pair_with);
    lm_store *store;
    int rc = lm_cli_open_store(cli, 0, &store);
    if (rc != LM_EXIT_OK)
        return rc;
    lm_error err;
    lm_status st = query ? lm_store_watch_add(store, name, query, datetype,
                                              since[0] ? since : NULL, &err)
                         : lm_store_concept_watch_add(store, name, concept, pair_with, relation,
                                                      &err);
    if (st != LM_OK)
        lm_cli_error(cli, "%s", err.msg);
    else if (concept)
        lm_cli_notice(cli, "watch %s: reports the articles stored from now on", name);
    lm_store_close(store);
    return lm_cli_exit_for(st);
}

static int wants_help(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
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
    int is_list = strcmp(sub, "list") == 0, is_remove = strcmp(sub, "remove") == 0,
        is_report = strcmp(sub, "report") == 0;
    if (!is_list && !is_remove && !is_report) {
        lm_cli_error(cli, "watch: unknown subcommand '%s'", sub);
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    if (wants_help(argc, argv)) {
        fputs(usage, stdout);
        return LM_EXIT_OK;
    }
    const char *dir = NULL;
    if (is_report && argc == 4 && strcmp(argv[2], "--dir") == 0)
        dir = argv[3];
    else if (is_report && argc != 2) {
        lm_cli_error(cli, "watch report: expected at most --dir DIR");
        return LM_EXIT_USAGE;
    }
    if ((is_list && argc != 2) || (is_remove && (argc != 3 || argv[2][0] == '-'))) {
        lm_cli_error(cli, "watch %s: %s", sub, is_list ? "takes no arguments" : "expected NAME");
        return LM_EXIT_USAGE;
    }
    lm_store *store;
    int rc = lm_cli_open_store(cli, is_list, &store);
    if (rc != LM_EXIT_OK)
        return rc;
    lm_error err;
    lm_status st = LM_OK;
    if (is_report) {
        rc = lm_cli_report_concept_watches(cli, store, dir);
        lm_store_close(store);
        return rc;
    }
    if (is_list) {
        st = lm_store_watch_each(store, print_watch, NULL, &err);
        if (st == LM_OK)
            st = lm_store_concept_watch_each(store, print_concept_watch, NULL, &err);
    } else {
        int found = 0;
        st = lm_store_concept_watch_remove(store, argv[2], &found, &err);
        if (st == LM_OK && !found)
            st = lm_store_watch_remove(store, argv[2], &err);
    }
    if (st != LM_OK)
        lm_cli_error(cli, "%s", err.msg);
    lm_store_close(store);
    return lm_cli_exit_for(st);
}
