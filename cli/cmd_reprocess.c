/*
 * `litmine reprocess [--stages LIST] [--since DATE]` — reruns NLP stages
 * over stored articles, e.g. after a model update, without refetching.
 *
 * Only what is recomputed is replaced: each stage owns some of an
 * article's derived rows (sentences; mentions and abbreviations; pairs;
 * its vector) and a rerun rewrites those of the stages it runs, never the
 * others.  A stage that reads what a rerun stage replaces is rerun too
 * when it has stored output, since that was computed from the old rows
 * (ner reads the sentences, pairs read the mentions): `--stages ner` also
 * reruns pairs.
 * What a rerun stage reads from a stage that is not rerun comes from the
 * store, so `--stages pairs` classifies the stored mentions.  The list of
 * stages and of what they replace is printed before anything starts.
 */
#include "../util/lm_clock.h"
#include "../pipeline/lm_engine.h"
#include "../store/search/lm_vectors.h"
#include "lm_signal.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: litmine reprocess [--stages LIST] [--ingested-since DATE] [--threads N]\n"
    "\n"
    "Runs NLP stages again over stored articles (all, or those ingested on or\n"
    "after DATE: YYYY-MM-DD or YYYY/MM/DD; --since is the same) and replaces what\n"
    "they compute, and nothing else: sentences\n"
    "(sentences), mentions and abbreviations (ner), pairs (pairs), vectors\n"
    "(embed).  Stages whose stored output is computed from what is replaced run\n"
    "too (ner after sentences, pairs after ner); what a stage reads from a stage\n"
    "not rerun is taken from the database.  The stages and what they replace\n"
    "are listed on stderr before it starts.  Default stages: [pipeline] stages,\n"
    "else " LM_DEFAULT_STAGES ".\n";

typedef struct scan_ctx {
    const lm_cli *cli;
    lm_engine *engine;
    lm_store *reader;     /* the scan's snapshot, also for stored inputs */
    unsigned produces;    /* doc parts the chain recomputes */
    unsigned inputs;      /* parts it reads from the store */
    lm_error *err;        /* why the callback stopped the scan */
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
    lm_error *err = c->err;
    if (lm_cancel_requested(lm_signal_token()))
        return lm_error_set(err, LM_ERR_INTERRUPTED, "interrupted by signal");
    lm_doc stored;
    lm_doc_init(&stored);
    unsigned found = 0, replace = c->produces;
    if (c->inputs) {
        lm_status st = lm_store_get_doc(c->reader, a->pmid, c->inputs, &stored, &found, err);
        if (st != LM_OK) {
            lm_doc_free(&stored);
            return st;
        }
    }
    /* Without stored sentences ner splits the text itself and numbers its
     * mentions' sentences by that split: keep it with them (nothing
     * stored is replaced). */
    if ((c->inputs & LM_DOC_SENTENCES) && !(found & LM_DOC_SENTENCES))
        replace |= LM_DOC_SENTENCES;
    lm_article copy;
    lm_article_init(&copy);
    copy.pmid = a->pmid;
    copy.version = a->version;
    copy.title = a->title ? strdup(a->title) : NULL;
    copy.abstract = a->abstract ? strdup(a->abstract) : NULL;
    if ((a->title && !copy.title) || (a->abstract && !copy.abstract)) {
        lm_article_free(&copy);
        lm_doc_free(&stored);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    lm_status st = lm_engine_submit_reprocess(c->engine, &copy, &stored, replace, err);
    if (++c->submitted % 1000 == 0)
        show_progress(c, 0);
    return st;
}

/* Joins words as "a, b and c" into out (cap bytes). */
static void join_words(const char *const *words, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ",
                 words[i]);
    }
}

/* "mentions, abbreviations and pairs" for a set of doc parts. */
static void describe_parts(unsigned parts, char *out, size_t cap)
{
    const char *words[5];
    size_t n = 0;
    if (parts & LM_DOC_SENTENCES)
        words[n++] = "sentences";
    if (parts & LM_DOC_MENTIONS) {
        words[n++] = "mentions";
        words[n++] = "abbreviations";
    }
    if (parts & LM_DOC_PAIRS)
        words[n++] = "pairs";
    if (parts & LM_DOC_VECTOR)
        words[n++] = "vectors";
    join_words(words, n, out, cap);
}

/* "ner and pairs" for "ner,pairs" (stage names have no spaces). */
static void describe_list(const char *list, char *out, size_t cap)
{
    char copy[128];
    const char *words[LM_STAGE_MAX];
    size_t n = 0;
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save = NULL, *w = strtok_r(copy, ",", &save); w && n < LM_STAGE_MAX;
         w = strtok_r(NULL, ",", &save))
        words[n++] = w;
    join_words(words, n, out, cap);
}

/* Says, before anything is written, what the rerun replaces and keeps. */
static void announce(const lm_cli *cli, lm_store *reader, const char *list, const char *added,
                     unsigned produces, int64_t total)
{
    char stages[128], replaced[128], kept[128];
    describe_list(list, stages, sizeof stages);
    describe_parts(produces, replaced, sizeof replaced);
    describe_parts(LM_DOC_ALL & ~produces, kept, sizeof kept);
    lm_cli_notice(cli, "reprocess: running %s over %" PRId64 " articles: replaces their %s%s%s",
                  stages, total, replaced, kept[0] ? "; keeps their " : "", kept);
    if (added[0]) {
        describe_list(added, stages, sizeof stages);
        lm_cli_notice(cli, "reprocess: %s %s too: %s stored output is computed from what is "
                      "replaced", stages, strchr(added, ',') ? "run" : "runs",
                      strchr(added, ',') ? "their" : "its");
    }
    if (produces & LM_DOC_VECTOR) {
        lm_vec_model_info info;
        int found = 0;
        lm_error err;
        if (lm_vec_model_current(reader, &info, NULL, NULL, &found, &err) == LM_OK && !found)
            lm_cli_notice(cli, "reprocess: no embedding model yet (`litmine index build` fits "
                          "one): embed leaves the vectors as they are");
    }
}

int lm_cmd_reprocess(lm_cli *cli, int argc, char **argv)
{
    static const struct option options[] = {{"stages", required_argument, NULL, 's'},
                                            {"since", required_argument, NULL, 'S'},
                                            {"ingested-since", required_argument, NULL, 'S'},
                                            {"threads", required_argument, NULL, 't'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    lm_cli_pipeline pipe;
    int rc = lm_cli_pipeline_defaults(cli, &pipe);
    if (rc != LM_EXIT_OK)
        return rc;
    const char *since = NULL;
    char since_buf[11];
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 's': pipe.stages = optarg; break;
        case 'S':
            if (!lm_cli_parse_date(cli, "--ingested-since", optarg, '-', since_buf))
                return LM_EXIT_USAGE;
            since = since_buf;
            break;
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
    char list[128], added[128];
    lm_error err;
    const char *names = pipe.stages && strcmp(pipe.stages, "none") != 0 ? pipe.stages : "";
    if (lm_stage_rerun_list(names, 0, list, NULL, sizeof list, &err) != LM_OK) {
        lm_cli_error(cli, "reprocess: %s", err.msg);
        return LM_EXIT_USAGE;
    }
    if (!list[0]) {
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
    if (rc != LM_EXIT_OK)
        return rc;
    /* Stages that read what is replaced join only where they have stored
     * output that would go stale. */
    unsigned stored = 0;
    lm_status cst = lm_store_stored_parts(reader, since, &stored, &err);
    rc = lm_cli_exit_for(cst);
    if (cst == LM_OK) {
        cst = lm_stage_rerun_list(names, stored, list, added, sizeof list, &err);
        rc = cst == LM_OK ? LM_EXIT_OK : LM_EXIT_USAGE;
    }
    lm_stage_chain chain = {0};
    if (cst == LM_OK) {
        cst = lm_stage_chain_init_rerun(&chain, list, cli->config, &err);
        if (cst == LM_OK && (cst = lm_stage_chain_attach(&chain, store, &err)) != LM_OK)
            lm_stage_chain_free(&chain);
        rc = cst == LM_OK ? LM_EXIT_OK : cst == LM_ERR_USAGE ? LM_EXIT_USAGE : LM_EXIT_FAILURE;
    }
    if (cst != LM_OK) {
        lm_cli_error(cli, "reprocess: %s", err.msg);
        lm_store_close(reader);
        lm_store_close(store);
        return rc;
    }
    lm_signal_install();

    scan_ctx sc = {cli,
                   NULL,
                   reader,
                   lm_stage_chain_produces(&chain),
                   lm_stage_chain_inputs(&chain),
                   &err,
                   0,
                   0,
                   lm_now_seconds()};
    lm_status st = lm_store_count_articles_since(reader, since, &sc.total, &err);
    if (st == LM_OK)
        announce(cli, reader, list, added, sc.produces, sc.total);
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
