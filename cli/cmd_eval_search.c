/*
 * `litmine eval search` — retrieval quality on a BEIR-format benchmark.
 *
 *   litmine eval search --corpus corpus.jsonl[.gz] --queries queries.jsonl
 *                       --qrels qrels.tsv [--mode hybrid|lexical|dense|all]
 *
 * The corpus is ingested into a temporary store (or --work-db FILE, kept
 * and reused when it already holds the corpus), indexed and embedded as
 * `litmine index build` would, then every judged query runs and the
 * standard metrics are printed as `NAME VALUE` lines.  --mode all reports
 * every mode, each line prefixed with the mode's name.
 * --set NAME=VALUE overrides one ranking parameter (for tuning on dev
 * data; see lm_search_params).
 */
#include "../pipeline/lm_eval_search.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: litmine eval search --corpus CORPUS.jsonl[.gz] --queries QUERIES.jsonl\n"
    "                           --qrels QRELS.tsv [--mode hybrid|lexical|dense|all]\n"
    "                           [--work-db FILE] [--dim N] [--vec-format f32|f16|i8]\n"
    "                           [--set NAME=VALUE]... [--details]\n"
    "\n"
    "Ingests a BEIR corpus into a temporary store, builds the search index and\n"
    "embedding model, runs every judged query and prints nDCG@10, Recall@100,\n"
    "MRR@10 and latency_ms_median (one NAME VALUE line each).  --mode all prints\n"
    "them for lexical, dense and hybrid (prefixed).\n"
    "--set tunes a ranking parameter: k1, b_title, b_abstract, w_title,\n"
    "w_abstract, phrases, phrase_weight, dense_weight, concept_weight, prf_docs,\n"
    "prf_terms, prf_weight, synonyms, synonym_weight, lex_candidates, phrase_depth,\n"
    "dense_candidates; or a fit option: sigma_exp, min_df, max_vocab, bigrams.\n";

static void print_scores(const char *prefix, const lm_eval_search_scores *s)
{
    printf("%snDCG@10 %.4f\n", prefix, s->ndcg10);
    printf("%sRecall@100 %.4f\n", prefix, s->recall100);
    printf("%sMRR@10 %.4f\n", prefix, s->mrr10);
    printf("%slatency_ms_median %.3f\n", prefix, s->latency_ms_median);
}

/* --details: one INFO line per judged query. */
static void print_query(void *ctx, const char *mode, const char *query_id, const char *text,
                        double ndcg10)
{
    (void)ctx;
    printf("INFO\t%s\t%s\t%.4f\t%s\n", mode, query_id, ndcg10, text);
}

/* Applies NAME=VALUE to the ranking parameters or fit options. */
static int set_param(const char *kv, lm_search_params *p, lm_embed_fit_options *fit)
{
    const char *eq = strchr(kv, '=');
    if (!eq)
        return -1;
    char name[64];
    size_t n = (size_t)(eq - kv);
    if (n >= sizeof name)
        return -1;
    memcpy(name, kv, n);
    name[n] = '\0';
    char *end;
    double v = strtod(eq + 1, &end);
    if (end == eq + 1 || *end)
        return -1;
    struct {
        const char *name;
        float *f;
        int *i;
    } const table[] = {
        {"k1", &p->k1, NULL},
        {"b_title", &p->b_title, NULL},
        {"b_abstract", &p->b_abstract, NULL},
        {"w_title", &p->w_title, NULL},
        {"w_abstract", &p->w_abstract, NULL},
        {"phrases", NULL, &p->phrases},
        {"phrase_weight", &p->phrase_weight, NULL},
        {"lex_candidates", NULL, &p->lex_candidates},
        {"phrase_depth", NULL, &p->phrase_depth},
        {"dense_candidates", NULL, &p->dense_candidates},
        {"dense_weight", &p->dense_weight, NULL},
        {"concept_weight", &p->concept_weight, NULL},
        {"prf_docs", NULL, &p->prf_docs},
        {"prf_terms", NULL, &p->prf_terms},
        {"prf_weight", &p->prf_weight, NULL},
        {"synonyms", NULL, &p->synonyms},
        {"synonym_weight", &p->synonym_weight, NULL},
        {"dense_prf_docs", NULL, &p->dense_prf_docs},
        {"dense_prf_weight", &p->dense_prf_weight, NULL},
        {"min_df", NULL, &fit->min_df},
        {"max_vocab", NULL, &fit->max_vocab},
        {"power_iters", NULL, &fit->power_iters},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(name, table[i].name) == 0) {
            if (table[i].f)
                *table[i].f = (float)v;
            else
                *table[i].i = (int)v;
            return 0;
        }
    if (strcmp(name, "sigma_exp") == 0) {
        fit->sigma_exp = v;
        return 0;
    }
    if (strcmp(name, "bigrams") == 0) {
        fit->no_bigrams = v == 0;
        return 0;
    }
    if (strcmp(name, "max_df") == 0) {
        fit->max_df = v;
        return 0;
    }
    return -1;
}

int lm_cmd_eval_search(lm_cli *cli, int argc, char **argv)
{
    const char *corpus = NULL, *queries = NULL, *qrels = NULL, *work_db = NULL;
    const char *mode_name = "hybrid";
    int details = 0, dim = 0;
    lm_vec_format format = LM_VEC_DEFAULT;
    lm_search_params params;
    lm_search_params_default(&params);
    lm_embed_fit_options fit;
    memset(&fit, 0, sizeof fit);
    static const struct option options[] = {{"corpus", required_argument, NULL, 'c'},
                                            {"queries", required_argument, NULL, 'q'},
                                            {"qrels", required_argument, NULL, 'r'},
                                            {"mode", required_argument, NULL, 'm'},
                                            {"work-db", required_argument, NULL, 'w'},
                                            {"dim", required_argument, NULL, 'd'},
                                            {"vec-format", required_argument, NULL, 'v'},
                                            {"set", required_argument, NULL, 's'},
                                            {"details", no_argument, NULL, 'D'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    lm_cli_optscan scan;
    opterr = 0;
    optind = 1;
    int c;
    long d;
    while ((c = lm_cli_getopt(&scan, argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        case 'D': details = 1; break;
        case 'c': corpus = optarg; break;
        case 'q': queries = optarg; break;
        case 'r': qrels = optarg; break;
        case 'm': mode_name = optarg; break;
        case 'w': work_db = optarg; break;
        case 'd':
            if (!lm_cli_option_long(cli, "eval search", "dim", optarg, 2, 4096, &d))
                return LM_EXIT_USAGE;
            dim = (int)d;
            break;
        case 'v': {
            int f = lm_vec_format_parse(optarg);
            if (f < 0) {
                lm_cli_error(cli, "eval search: --vec-format must be f32, f16 or i8");
                return LM_EXIT_USAGE;
            }
            format = (lm_vec_format)f;
            break;
        }
        case 's':
            if (set_param(optarg, &params, &fit) != 0) {
                lm_cli_error(cli, "eval search: bad --set %s", optarg);
                return LM_EXIT_USAGE;
            }
            break;
        default:
            lm_cli_bad_option(cli, "eval search", &scan, argc, argv);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        lm_cli_error(cli, "eval search: unexpected argument '%s'", argv[optind]);
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    int all = strcmp(mode_name, "all") == 0;
    int mode = all ? LM_SEARCH_HYBRID : lm_search_mode_parse(mode_name);
    if (!corpus || !queries || !qrels || mode < 0) {
        lm_cli_error(cli, "eval search: %s", mode < 0 ? "--mode must be hybrid, lexical, "
                                                        "dense or all"
                                                      : "--corpus, --queries and --qrels "
                                                        "are required");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    fit.dim = dim;

    lm_eval_search_options eo;
    memset(&eo, 0, sizeof eo);
    eo.corpus = corpus;
    eo.queries = queries;
    eo.qrels = qrels;
    eo.work_db = work_db;
    eo.tmp_dir = getenv("TMPDIR");
    eo.lexical_only = !all && mode == LM_SEARCH_LEXICAL;
    eo.fit = fit;
    eo.format = format;
    /* [embed] model: the transformer encoder is what is scored. */
    eo.encoder_dir = lm_config_get(cli->config, "embed", "model");
    eo.encoder_pooling = lm_config_get(cli->config, "embed", "pooling");
    char lexp[1024], nerp[1024];
    lm_search_session_config_default(&eo.session, cli->config, lexp, sizeof lexp, nerp,
                                     sizeof nerp);
    lm_eval_search *ev = NULL;
    lm_eval_search_prep prep;
    lm_error err = {0};
    lm_status st = lm_eval_search_open(&eo, &ev, &prep, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        return lm_cli_exit_for(st);
    }
    if (prep.built && prep.build.encoder)
        lm_cli_info(cli, "model %lld: encoder %s, %d dims; embedded %lld in %.2f s",
                    (long long)prep.build.model_id, eo.encoder_dir, prep.build.dim,
                    (long long)prep.build.refresh.embedded, prep.build.refresh.embed_seconds);
    else if (prep.built)
        lm_cli_info(cli, "model %lld: %d dims, %zu features, fitted on %lld docs in %.2f s; "
                    "embedded %lld in %.2f s", (long long)prep.build.model_id, prep.build.dim,
                    prep.build.vocab, (long long)prep.build.fit_docs, prep.build.fit_seconds,
                    (long long)prep.build.refresh.embedded, prep.build.refresh.embed_seconds);
    lm_cli_info(cli, "indexed %zu documents in %.2f s", prep.docs, prep.seconds);
    static const int every[] = {LM_SEARCH_LEXICAL, LM_SEARCH_DENSE, LM_SEARCH_HYBRID};
    const int *modes = all ? every : &mode;
    size_t n_modes = all ? sizeof every / sizeof every[0] : 1;
    for (size_t i = 0; st == LM_OK && i < n_modes; i++) {
        lm_eval_search_scores s;
        st = lm_eval_search_run(ev, modes[i], &params, details ? print_query : NULL, NULL, &s,
                                &err);
        char prefix[32] = "";
        if (all)
            snprintf(prefix, sizeof prefix, "%s.", lm_search_mode_name(modes[i]));
        if (st == LM_OK)
            print_scores(prefix, &s);
    }
    if (st != LM_OK)
        lm_cli_error(cli, "%s", err.msg);
    lm_eval_search_close(ev);
    return lm_cli_exit_for(st);
}
