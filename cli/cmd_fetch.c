/*
 * `litmine fetch` — PubMed records from NCBI E-utilities into the store:
 *
 *   litmine fetch --query Q [--mindate D] [--maxdate D] [--datetype T]
 *                 [--reldate N] [--max N]
 *   litmine fetch --pmids 1,2,3 | --pmid-file FILE
 *   litmine fetch --watches
 *
 * --watches runs every saved search over the days since its last complete
 * window (pipeline/lm_watch_run.h); the fetches themselves are
 * pipeline/lm_fetch_job.h's.  This file parses options and prints.
 */
#include "../fetch/lm_eutils.h"
#include "../pipeline/lm_fetch_job.h"
#include "lm_signal.h"
#include "../util/lm_buf.h"
#include "lm_cli.h"
#include "lm_cli_progress.h"
#include "lm_commands.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: litmine fetch --query QUERY [--mindate D] [--maxdate D] [--datetype edat|pdat|mdat]\n"
    "                     [--reldate N] [--max N] [options]\n"
    "       litmine fetch --pmids ID,ID,... | --pmid-file FILE [options]\n"
    "       litmine fetch --watches [options]\n"
    "\n"
    "Searches PubMed with E-utilities (ESearch, then EFetch in batches from the\n"
    "history server) and stores every matching article.  Dates are YYYY, YYYY/MM\n"
    "or YYYY/MM/DD.  Results beyond ESearch's 10,000-record window are fetched by\n"
    "splitting the date range.\n"
    "\n"
    "  --query QUERY     PubMed query, e.g. \"BRCA1[tiab] AND DNA repair\"\n"
    "  --mindate D, --maxdate D, --datetype T   date window (default datetype edat)\n"
    "  --reldate N       only the last N days\n"
    "  --max N           stop after N records\n"
    "  --pmids LIST      comma-separated PMIDs;  --pmid-file FILE: one PMID per line\n"
    "  --watches         run every saved search (see `litmine watch`)\n"
    "  --batch-size N    EFetch records per request (default [eutils] batch_size, 500)\n"
    "  --threads N, --stages LIST   pipeline settings, as for `litmine ingest`\n"
    "\n"
    "Settings in [eutils]: base_url, email, tool, api_key (or $NCBI_API_KEY),\n"
    "max_rps, timeout_s, max_tries, deadline_s, max_response_mb, batch_size.\n";

typedef struct fetch_args {
    const char *query;
    lm_eutils_dates dates;
    long max;
    const char *pmids;
    const char *pmid_file;
    int watches;
    long efetch_batch;
} fetch_args;

/* Parses "1,2, 3" or a file of one PMID per line ('#' comments allowed). */
static int parse_pmids(const lm_cli *cli, const char *text, const char *name, int64_t **out,
                       size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    const char *p = text;
    int line = 1;
    while (*p) {
        if (*p == '#') {
            while (*p && *p != '\n')
                p++;
            continue;
        }
        if (*p == '\n')
            line++;
        if (isspace((unsigned char)*p) || *p == ',') {
            p++;
            continue;
        }
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (errno || end == p || v <= 0 || (*end && !isspace((unsigned char)*end) && *end != ',')) {
            lm_cli_error(cli, "%s:%d: not a PMID: \"%.20s\"", name, line, p);
            free(*out);
            return 0;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *grown = realloc(*out, cap * sizeof *grown);
            if (!grown) {
                lm_cli_error(cli, "out of memory");
                free(*out);
                return 0;
            }
            *out = grown;
        }
        (*out)[(*n)++] = v;
        p = end;
    }
    if (*n == 0) {
        lm_cli_error(cli, "%s: no PMIDs", name);
        return 0;
    }
    return 1;
}

static char *read_file(const lm_cli *cli, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        lm_cli_error(cli, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    lm_buf b;
    lm_buf_init(&b);
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (lm_buf_append(&b, chunk, got) != LM_OK)
            break;
    int failed = ferror(f) || got > 0;
    if (f != stdin)
        fclose(f);
    if (failed) {
        lm_cli_error(cli, "cannot read %s", path);
        lm_buf_free(&b);
        return NULL;
    }
    return lm_buf_take(&b);
}

static int run_watches(lm_cli *cli, lm_store *store, lm_eutils *client,
                       const lm_fetch_job_options *jopts)
{
    lm_error err;
    long first_days;
    if (lm_config_get_int(cli->config, "eutils", "watch_first_days", 30, 1, 36500, &first_days,
                          &err) != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        return LM_EXIT_USAGE;
    }
    lm_watch_run_options o = {.job = *jopts,
                              .first_days = (int)first_days,
                              .on_start = lm_cli_on_watch_start,
                              .on_done = lm_cli_on_watch_done,
                              .ctx = cli};
    lm_watch_run_result res;
    lm_status st = lm_watch_run_all(store, client, &o, &res, &err);
    if (st != LM_OK && st != LM_ERR_INTERRUPTED && !res.store_failed)
        lm_cli_error(cli, "%s", err.msg);   /* the watches could not be listed */
    if (res.watches == 0 && st == LM_OK && !cli->quiet)
        fprintf(stderr, "litmine: no watches (add one with `litmine watch add`)\n");
    return lm_cli_watch_exit(st, &res);
}

static int parse_args(lm_cli *cli, int argc, char **argv, fetch_args *a, lm_cli_pipeline *pipe)
{
    static const struct option options[] = {
        {"query", required_argument, NULL, 'q'},   {"mindate", required_argument, NULL, 'm'},
        {"maxdate", required_argument, NULL, 'M'}, {"datetype", required_argument, NULL, 'd'},
        {"reldate", required_argument, NULL, 'r'}, {"max", required_argument, NULL, 'n'},
        {"pmids", required_argument, NULL, 'p'},   {"pmid-file", required_argument, NULL, 'P'},
        {"watches", no_argument, NULL, 'w'},       {"batch-size", required_argument, NULL, 'b'},
        {"threads", required_argument, NULL, 't'}, {"stages", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    lm_error err;
    long reldate = 0;
    lm_cli_optscan scan;
    opterr = 0;
    int c;
    while ((c = lm_cli_getopt(&scan, argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'q': a->query = optarg; break;
        case 'm': a->dates.mindate = optarg; break;
        case 'M': a->dates.maxdate = optarg; break;
        case 'd':
            if (lm_eutils_datetype_parse(optarg, &a->dates.datetype, &err) != LM_OK) {
                lm_cli_error(cli, "--datetype: %s", err.msg);
                return LM_EXIT_USAGE;
            }
            break;
        case 'r':
            if (!lm_cli_parse_long(cli, "--reldate", optarg, 1, 100000, &reldate))
                return LM_EXIT_USAGE;
            a->dates.reldate = (int)reldate;
            break;
        case 'n':
            if (!lm_cli_parse_long(cli, "--max", optarg, 1, 100000000, &a->max))
                return LM_EXIT_USAGE;
            break;
        case 'p': a->pmids = optarg; break;
        case 'P': a->pmid_file = optarg; break;
        case 'w': a->watches = 1; break;
        case 'b':
            if (!lm_cli_parse_long(cli, "--batch-size", optarg, 1, LM_EUTILS_MAX_BATCH,
                                   &a->efetch_batch))
                return LM_EXIT_USAGE;
            break;
        case 't':
            if (!lm_cli_parse_long(cli, "--threads", optarg, 1, 64, &pipe->threads))
                return LM_EXIT_USAGE;
            break;
        case 's': pipe->stages = optarg; break;
        case 'h': fputs(usage, stdout); return -1;
        default:
            lm_cli_bad_option(cli, "fetch", &scan, argc, argv);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        lm_cli_error(cli, "fetch: unexpected argument '%s' (quote the query)", argv[optind]);
        return LM_EXIT_USAGE;
    }
    int modes = !!a->query + !!(a->pmids || a->pmid_file) + a->watches;
    if (modes != 1 || (a->pmids && a->pmid_file)) {
        lm_cli_error(cli, "fetch: give exactly one of --query, --pmids, --pmid-file, --watches");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    if (!a->query && (a->dates.mindate || a->dates.maxdate || a->dates.reldate || a->max)) {
        lm_cli_error(cli, "fetch: date and --max options only apply to --query");
        return LM_EXIT_USAGE;
    }
    if (a->dates.reldate && (a->dates.mindate || a->dates.maxdate)) {
        lm_cli_error(cli, "fetch: --reldate excludes --mindate/--maxdate");
        return LM_EXIT_USAGE;
    }
    return LM_EXIT_OK;
}

int lm_cmd_fetch(lm_cli *cli, int argc, char **argv)
{
    lm_cli_pipeline pipe;
    int rc = lm_cli_pipeline_defaults(cli, &pipe);
    if (rc != LM_EXIT_OK)
        return rc;
    fetch_args a;
    memset(&a, 0, sizeof a);
    rc = parse_args(cli, argc, argv, &a, &pipe);
    if (rc != LM_EXIT_OK)
        return rc < 0 ? LM_EXIT_OK : rc;

    lm_error err;
    int64_t *pmids = NULL;
    size_t n_pmids = 0;
    if (a.pmids && !parse_pmids(cli, a.pmids, "--pmids", &pmids, &n_pmids))
        return LM_EXIT_USAGE;
    if (a.pmid_file) {
        char *text = read_file(cli, a.pmid_file);
        int ok = text && parse_pmids(cli, text, a.pmid_file, &pmids, &n_pmids);
        free(text);
        if (!ok)
            return LM_EXIT_USAGE;
    }

    lm_eutils_config ecfg;
    if (lm_eutils_config_from(&ecfg, cli->config, &err) != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        free(pmids);
        return LM_EXIT_USAGE;
    }
    if (a.efetch_batch)
        ecfg.batch_size = a.efetch_batch;
    ecfg.cancel = lm_signal_token();
    lm_eutils *client;
    if (lm_eutils_init(&client, &ecfg, &err) != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        free(pmids);
        return LM_EXIT_USAGE;
    }
    lm_stage_chain chain;
    lm_store *store = NULL;
    rc = lm_cli_pipeline_open(cli, &pipe, &chain, &store);
    if (rc != LM_EXIT_OK) {
        lm_eutils_free(client);
        free(pmids);
        return rc;
    }
    lm_signal_install();

    lm_fetch_job_options jopts = {(int)pipe.threads, (int)pipe.batch_size, &chain,
                                  lm_cli_print_warning, cli, lm_cli_on_batch, cli,
                                  lm_signal_token()};
    if (a.watches) {
        rc = run_watches(cli, store, client, &jopts);
    } else {
        lm_fetch_job_result res;
        lm_status st = a.query ? lm_fetch_job_query(store, client, a.query, &a.dates, a.max,
                                                    NULL, &jopts, &res, &err)
                               : lm_fetch_job_ids(store, client, pmids, n_pmids, &jopts, &res,
                                                  &err);
        lm_cli_report_fetch(cli, a.query ? "fetch" : "fetch by PMID", &res);
        free(res.warnings);
        if (res.counts.rejected > 0)
            rc = LM_EXIT_DATA;   /* each reported; the rest is stored */
        if (st != LM_OK) {
            lm_cli_error(cli, "%s", err.msg);
            rc = st == LM_ERR_INTERRUPTED ? LM_EXIT_INTERRUPTED
                 : res.store_failed       ? lm_cli_exit_for(st)
                 : st == LM_ERR_USAGE     ? LM_EXIT_USAGE
                                          : LM_EXIT_FAILURE;
        }
    }
    if (rc != LM_EXIT_DB && rc != LM_EXIT_INTERRUPTED) {
        int irc = lm_cli_refresh_index(cli, store);
        if (rc == LM_EXIT_OK)
            rc = irc;
    }
    lm_store_close(store);
    lm_stage_chain_free(&chain);
    lm_eutils_free(client);
    free(pmids);
    return rc;
}
