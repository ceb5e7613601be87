/*
 * `litmine index build|refresh|info|check` — the search index.
 *
 *   build    fits a new embedding model on the stored articles (a sample
 *            of at most --max-fit-docs), embeds every article with it and
 *            makes it current; queries keep using the previous model until
 *            the new one is complete.  With [embed] model = DIR, embeds
 *            every article with that transformer encoder instead (resuming
 *            an interrupted build of it).  Also brings the full-text index up
 *            to date.  Run it once after the first ingest, then whenever
 *            the collection has changed a lot (nightly is cheap enough).
 *   refresh  indexes what was ingested since (full text) and embeds new
 *            articles with the current model; ingest and the nightly run
 *            call it.
 *   info     what the index holds.
 *   check    verifies the full-text index against the articles.
 */
#include "../nlp/lm_embed_encoder.h"
#include "../pipeline/lm_index.h"
#include "../pipeline/lm_search_session.h"
#include "lm_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lm_cmd_index(lm_cli *cli, int argc, char **argv);

static const char usage[] =
    "usage: litmine index build [--dim N] [--max-fit-docs N] [--threads N]\n"
    "                           [--vec-format f32|f16|i8]\n"
    "       litmine index refresh [--vec-format f32|f16|i8]\n"
    "       litmine index info\n"
    "       litmine index check\n"
    "\n"
    "  build    fit the embedding model on the stored articles (LSA, --dim\n"
    "           dimensions, default 256), embed every article, make it current;\n"
    "           with [embed] model = DIR in the configuration, embed every article\n"
    "           with that transformer encoder instead (--threads N: workers,\n"
    "           default one per CPU); an interrupted build resumes;\n"
    "           also indexes new articles for full-text search\n"
    "  refresh  index new articles for full-text search and embed those without\n"
    "           a vector of the current model (ingest runs it automatically)\n"
    "  info     articles, indexed/pending counts, current model\n"
    "  check    verify the full-text index against the stored articles\n"
    "\n"
    "  --vec-format  vector encoding: i8 (default: int8 with a per-vector scale),\n"
    "                f16 or f32\n";

static void progress(void *ctx, const char *phase, int64_t done, int64_t total)
{
    const lm_cli *cli = ctx;
    if (cli->quiet || !(cli->verbose || cli->stderr_is_tty))
        return;
    fprintf(stderr, "\r%s: %lld/%lld%s", strcmp(phase, "fts") == 0 ? "full-text" : "embed",
            (long long)done, (long long)total, done >= total ? "\n" : "");
}

/* The encoder the current vectors were made with. */
static void print_encoder(lm_store *store)
{
    lm_vec_model_info m;
    void *rec = NULL;
    size_t len = 0;
    int found = 0;
    lm_error err;
    char what[600];
    if (lm_vec_model_current(store, &m, &rec, &len, &found, &err) == LM_OK && found) {
        lm_embed_encoder_describe(rec, len, what, sizeof what);
        printf("encoder              %s\n", what);
    }
    free(rec);
}

int lm_cmd_index(lm_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? LM_EXIT_USAGE : LM_EXIT_OK;
    }
    const char *sub = argv[1];
    int is_build = strcmp(sub, "build") == 0, is_refresh = strcmp(sub, "refresh") == 0;
    int is_info = strcmp(sub, "info") == 0, is_check = strcmp(sub, "check") == 0;
    if (!is_build && !is_refresh && !is_info && !is_check) {
        lm_cli_error(cli, "index: unknown subcommand '%s'", sub);
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    long dim = 0, max_docs = 0, threads = 0;
    lm_vec_format format = LM_VEC_DEFAULT;
    /* Each subcommand accepts only its own options. */
    static const struct option build_options[] = {{"dim", required_argument, NULL, 'd'},
                                                  {"threads", required_argument, NULL, 't'},
                                                  {"max-fit-docs", required_argument, NULL, 'm'},
                                                  {"vec-format", required_argument, NULL, 'v'},
                                                  {"help", no_argument, NULL, 'h'},
                                                  {NULL, 0, NULL, 0}};
    static const struct option refresh_options[] = {{"vec-format", required_argument, NULL, 'v'},
                                                    {"help", no_argument, NULL, 'h'},
                                                    {NULL, 0, NULL, 0}};
    static const struct option other_options[] = {{"help", no_argument, NULL, 'h'},
                                                  {NULL, 0, NULL, 0}};
    const struct option *options = is_build     ? build_options
                                   : is_refresh ? refresh_options
                                                : other_options;
    char cmd[32];
    snprintf(cmd, sizeof cmd, "index %s", sub);
    lm_cli_optscan scan;
    opterr = 0;
    optind = 1;
    int c;
    /* argv + 1: getopt starts after the subcommand, as after a command */
    while ((c = lm_cli_getopt(&scan, argc - 1, argv + 1, "h", options, NULL)) != -1) {
        int ok = 1;
        switch (c) {
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        case 'd': ok = lm_cli_parse_long(cli, "--dim", optarg, 2, 4096, &dim); break;
        case 't': ok = lm_cli_parse_long(cli, "--threads", optarg, 1, 1024, &threads); break;
        case 'm':
            ok = lm_cli_parse_long(cli, "--max-fit-docs", optarg, 2, 100000000, &max_docs);
            break;
        case 'v': {
            int f = lm_vec_format_parse(optarg);
            if (f < 0) {
                lm_cli_error(cli, "--vec-format: expected f32, f16 or i8, got \"%s\"", optarg);
                ok = 0;
            }
            format = (lm_vec_format)(f < 0 ? 0 : f);
            break;
        }
        default:
            lm_cli_bad_option(cli, cmd, &scan, argc - 1, argv + 1);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
        if (!ok)
            return LM_EXIT_USAGE;
    }
    if (optind + 1 < argc) {
        lm_cli_error(cli, "%s: unexpected argument '%s'", cmd, argv[optind + 1]);
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    lm_store *store = NULL;
    int rc = lm_cli_open_store(cli, is_info, &store);
    if (rc != LM_EXIT_OK)
        return rc;
    lm_error err = {0};
    lm_status st = LM_OK;
    if (is_build) {
        lm_index_build_options o;
        memset(&o, 0, sizeof o);
        o.fit.dim = (int)dim;
        o.max_fit_docs = (size_t)max_docs;
        o.refresh.format = format;
        o.refresh.format_set = 1;
        o.refresh.progress = progress;
        o.refresh.progress_ctx = cli;
        o.encoder_dir = lm_config_get(cli->config, "embed", "model");
        o.encoder_pooling = lm_config_get(cli->config, "embed", "pooling");
        o.encoder_precision = lm_config_get(cli->config, "embed", "precision");
        o.threads = (int)threads;
        lm_index_build_stats bs;
        st = lm_index_build(store, &o, &bs, &err);
        if (st == LM_OK && !cli->quiet && bs.encoder)
            fprintf(stderr,
                    "model %lld: encoder %s, %d dimensions%s; %lld vectors in %.1f s; %lld "
                    "articles added to full text in %.1f s\n",
                    (long long)bs.model_id, o.encoder_dir, bs.dim,
                    bs.unchanged ? " (already current: new articles only)"
                    : bs.resumed ? " (an interrupted build resumed)" : "",
                    (long long)bs.refresh.embedded, bs.refresh.embed_seconds,
                    (long long)bs.refresh.fts_added, bs.refresh.fts_seconds);
        else if (st == LM_OK && !cli->quiet)
            fprintf(stderr,
                    "model %lld: %s, %d dimensions, %zu features, fitted on %lld articles "
                    "in %.1f s (reading %.1f s); %lld vectors in %.1f s; %lld articles "
                    "added to full text in %.1f s\n",
                    (long long)bs.model_id, LM_EMBED_KIND, bs.dim, bs.vocab,
                    (long long)bs.fit_docs, bs.fit_seconds, bs.read_seconds,
                    (long long)bs.refresh.embedded, bs.refresh.embed_seconds,
                    (long long)bs.refresh.fts_added, bs.refresh.fts_seconds);
    } else if (is_refresh) {
        lm_search_refresh_options o = {0};
        o.format = format;
        o.format_set = 1;
        o.progress = progress;
        o.progress_ctx = cli;
        lm_search_refresh_stats rs;
        st = lm_index_refresh(store, &o, &rs, &err);
        if (st == LM_OK)
            lm_cli_info(cli,
                        "full text: %lld added, lexical index: %lld added (%.2f s);"
                        " vectors: %lld embedded (%.2f s)",
                        (long long)rs.fts_added, (long long)rs.lex_added, rs.fts_seconds,
                        (long long)rs.embedded, rs.embed_seconds);
    } else if (is_info) {
        lm_search_info info;
        st = lm_search_get_info(store, &info, &err);
        if (st == LM_OK) {
            printf("articles             %lld\n", (long long)info.articles);
            printf("full-text indexed    %lld\n", (long long)info.fts_indexed);
            printf("full-text pending    %lld\n", (long long)info.fts_pending);
            printf("lexical index        %lld articles, %lld stems, %lld segment(s),"
                   " %lld dead article postings\n",
                   (long long)info.lex_docs, (long long)info.lex_terms,
                   (long long)info.lex_segments, (long long)info.lex_dead);
            if (info.has_model) {
                printf("model                %lld (%s, %d dimensions, created %s)\n",
                       (long long)info.model.id, info.model.kind, info.model.dim,
                       info.model.created_at);
                if (strcmp(info.model.kind, LM_EMBED_ENCODER_KIND) == 0)
                    print_encoder(store);
                else
                    printf("model fitted on      %lld articles in %.1f s\n",
                           (long long)info.model.n_docs, info.model.fit_seconds);
                printf("vectors              %lld\n", (long long)info.model.n_vectors);
                printf("vectors missing      %lld\n", (long long)info.missing_vectors);
            } else {
                printf("model                none (run `litmine index build`)\n");
            }
        }
    } else {
        st = lm_search_check(store, &err);
        if (st == LM_OK)
            puts("search index: ok");
    }
    if (st != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        rc = lm_cli_exit_for(st);
    }
    lm_store_close(store);
    return rc;
}
