/*
 * `litmine train ner`: retrains an NER model from the corpora in
 * ../shared/data (see nlp/lm_ner_train.h for the recipes) and prints the
 * dev-set figures.  Progress goes to stderr, the report to stdout.
 */
#include "lm_cli.h"
#include "lm_commands.h"

#include "../nlp/lm_ner.h"
#include "../nlp/train/lm_ner_train.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: litmine train ner [--recipe main|ncbi] [--out FILE] [--data DIR] [--final]\n"
            "                         [--threads N] [--iter N] [--c2 X] [--perceptron]\n"
            "                         [--epochs N] [--bits N] [--folds N] [--stages 1|2]\n"
            "                         [--no GROUP,...] [--cluster-cache FILE] [--clusters K]\n"
            "                         [--cluster-min N] [--cluster-dim N] [--seed N]\n"
            "                         [--jackknife-out FILE]\n"
            "\n"
            "Trains a named-entity tagger from the annotated corpora and prints strict\n"
            "mention-level precision/recall/F1 on the dev sets (trained on train only).\n"
            "\n"
            "  --recipe NAME        main: Chemical+Disease (BC5CDR) and Gene (BioRED, BC2GM)\n"
            "                       -> ner.bin;  ncbi: Disease (NCBI-disease) -> ner-ncbi.bin\n"
            "  --out FILE           model file (default: MODEL_DIR/ner.bin or ner-ncbi.bin)\n"
            "  --data DIR           corpora (default: ../shared/data)\n"
            "  --final              also train on the dev sets (no dev figures): shipped models\n"
            "  --threads N          training threads (default: all CPUs)\n"
            "  --iter N             CRF L-BFGS iterations (default 100)\n"
            "  --c2 X               CRF L2 strength (default 1.0)\n"
            "  --perceptron         averaged perceptrons instead of CRFs (~10x faster)\n"
            "  --epochs N           perceptron epochs (default 12)\n"
            "  --bits N             log2 rows of the shared feature table (default 18)\n"
            "  --folds N            jackknife folds for stacked taggers (default 5)\n"
            "  --stages 1|2         2 (default) adds the document-level second stage\n"
            "  --no GROUP,...       switch feature groups off: ngram, cluster, gaz, ctx2,\n"
            "                       doc, abbr, ctxsuf\n"
            "  --cluster-cache FILE reuse word clusters from FILE (written when absent)\n"
            "  --clusters K         finest word-cluster count (default 1024)\n"
            "  --cluster-min N      words seen fewer times get no cluster (default 3)\n"
            "  --cluster-dim N      SVD dimensions behind the clusters (default 100)\n"
            "  --seed N             random seed\n"
            "  --jackknife-out FILE write the Chemical/Disease tagger's out-of-fold mentions\n"
            "                       of the BC5CDR training documents (recipe main) as\n"
            "                       PubTator, for train pairs --ner-twins\n");
}

static void log_cb(void *ctx, const char *msg)
{
    const lm_cli *cli = ctx;
    if (!cli->quiet)
        fprintf(stderr, "litmine train: %s\n", msg);
}

static int parse_groups(const char *s, uint32_t *off)
{
    static const struct {
        const char *name;
        uint32_t bit;
    } g[] = {{"ngram", 1u << 0}, {"cluster", 1u << 1}, {"gaz", 1u << 2}, {"ctx2", 1u << 3},
             {"doc", 1u << 4}, {"abbr", 1u << 5}, {"ctxsuf", 1u << 7}};
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        int found = 0;
        for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
            if (strlen(g[i].name) == n && strncmp(g[i].name, s, n) == 0) {
                *off |= g[i].bit;
                found = 1;
            }
        if (!found)
            return -1;
        s += n + (comma ? 1 : 0);
    }
    return 0;
}

int lm_cmd_train_ner(lm_cli *cli, int argc, char **argv)
{
    lm_ner_train_opts o;
    lm_ner_train_opts_init(&o);
    o.data_dir = LM_CLI_DEFAULT_DATA;
    const char *out = NULL;
    static const struct option options[] = {
        {"recipe", required_argument, NULL, 'R'},      {"out", required_argument, NULL, 'o'},
        {"data", required_argument, NULL, 'D'},        {"final", no_argument, NULL, 'F'},
        {"threads", required_argument, NULL, 't'},     {"iter", required_argument, NULL, 'i'},
        {"c2", required_argument, NULL, '2'},          {"perceptron", no_argument, NULL, 'P'},
        {"epochs", required_argument, NULL, 'e'},      {"bits", required_argument, NULL, 'b'},
        {"folds", required_argument, NULL, 'f'},       {"stages", required_argument, NULL, 'S'},
        {"no", required_argument, NULL, 'N'},          {"seed", required_argument, NULL, 's'},
        {"clusters", required_argument, NULL, 'k'},    {"cluster-min", required_argument, NULL, 'm'},
        {"cluster-dim", required_argument, NULL, 'd'},
        {"cluster-cache", required_argument, NULL, 'C'},
        {"jackknife-out", required_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    lm_cli_optscan scan;
    opterr = 0;
    optind = 1;
    int c, idx = -1;
    while ((c = lm_cli_getopt(&scan, argc, argv, "h", options, &idx)) != -1) {
        long n;
        /* the integer options' ranges */
        long lo = c == 'b' ? 10 : c == 's' ? 0 : 1;
        long hi = c == 'b' ? 24 : c == 'S' ? 2 : c == 'k' ? 8192 : c == 's' ? INT_MAX : 1000;
        switch (c) {
        case 'h': usage(stdout); return LM_EXIT_OK;
        case 'F': o.final = 1; break;
        case 'P': o.perceptron = 1; break;
        case 'R': o.recipe = optarg; break;
        case 'o': out = optarg; break;
        case 'D': o.data_dir = optarg; break;
        case 'C': o.cluster_cache = optarg; break;
        case 'J': o.jackknife_out = optarg; break;
        case '2': {
            char *end;
            o.crf_c2 = strtod(optarg, &end);
            if (end == optarg || *end || o.crf_c2 <= 0) {
                lm_cli_error(cli, "train ner: bad --c2 '%s'", optarg);
                return LM_EXIT_USAGE;
            }
            break;
        }
        case 'i':
            if (!lm_cli_to_long(optarg, 1, 100000, &n)) {
                lm_cli_error(cli, "train ner: bad --iter '%s'", optarg);
                return LM_EXIT_USAGE;
            }
            o.crf_iter = (int)n;
            break;
        case 'N':
            if (parse_groups(optarg, &o.feat_off)) {
                lm_cli_error(cli, "train ner: unknown feature group in '%s'", optarg);
                return LM_EXIT_USAGE;
            }
            break;
        case 't': case 'e': case 'b': case 'f': case 'S': case 'k': case 'm': case 'd': case 's':
            /* only long options reach here: getopt set idx */
            if (!lm_cli_option_long(cli, "train ner", options[idx].name, optarg, lo, hi, &n))
                return LM_EXIT_USAGE;
            if (c == 't')
                o.threads = (int)n;
            else if (c == 'e')
                o.epochs = (int)n;
            else if (c == 'b')
                o.bits = (int)n;
            else if (c == 'f')
                o.folds = (int)n;
            else if (c == 'S')
                o.stages = (int)n;
            else if (c == 'k')
                o.n_clusters_fine = (int)n;
            else if (c == 'm')
                o.cluster_min_count = (int)n;
            else if (c == 'd')
                o.cluster_dim = (int)n;
            else
                o.seed = (unsigned)n;
            break;
        default:
            lm_cli_bad_option(cli, "train ner", &scan, argc, argv);
            usage(stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        lm_cli_error(cli, "train ner: unexpected argument '%s'", argv[optind]);
        usage(stderr);
        return LM_EXIT_USAGE;
    }
    if (strcmp(o.recipe, "main") != 0 && strcmp(o.recipe, "ncbi") != 0) {
        lm_cli_error(cli, "train ner: unknown recipe '%s' (main, ncbi)", o.recipe);
        return LM_EXIT_USAGE;
    }
    if (o.jackknife_out && strcmp(o.recipe, "main") != 0) {
        lm_cli_error(cli, "train ner: --jackknife-out needs --recipe main (the BC5CDR tagger)");
        return LM_EXIT_USAGE;
    }
    struct stat st;
    if (stat(o.data_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        lm_cli_error(cli,
                     "train ner: corpus directory %s not found; training needs the shared "
                     "corpora (BC5CDR, NCBI-disease, BioRED, BC2GM, lexicons), pass --data DIR",
                     o.data_dir);
        return LM_EXIT_FAILURE;
    }
    char outbuf[4096];
    if (!out) {
        const char *dir = lm_config_get(cli->config, "models", "dir");
        if (!dir)
            dir = lm_ner_default_model_dir();
        snprintf(outbuf, sizeof outbuf, "%s/%s", dir,
                 strcmp(o.recipe, "ncbi") == 0 ? "ner-ncbi.bin" : LM_NER_DEFAULT_MODEL);
        out = outbuf;
    }
    o.log = log_cb;
    o.log_ctx = cli;
    lm_ner_model *m = NULL;
    lm_ner_report rep;
    lm_error err;
    lm_status s = lm_ner_train_recipe(&o, &m, &rep, &err);
    if (s == LM_OK)
        s = lm_ner_model_save(m, out, &err);
    lm_ner_model_free(m);
    if (s != LM_OK) {
        lm_cli_error(cli, "train ner: %s", err.msg);
        return lm_cli_exit_for(s);
    }
    if (stat(out, &st) == 0 && !cli->quiet)
        fprintf(stderr, "litmine train: wrote %s (%.1f MB) in %.0f s\n", out,
                (double)st.st_size / 1e6, rep.seconds);
    if (rep.n) {
        printf("%-14s %-9s %6s %6s %6s %7s %6s %6s\n", "dev set", "type", "P", "R", "F1", "TP",
               "FP", "FN");
        for (int i = 0; i < rep.n; i++)
            printf("%-14s %-9s %6.4f %6.4f %6.4f %7ld %6ld %6ld\n", rep.s[i].corpus,
                   lm_ent_type_name(rep.s[i].type), rep.s[i].p, rep.s[i].r, rep.s[i].f,
                   rep.s[i].tp, rep.s[i].fp, rep.s[i].fn);
    }
    return LM_EXIT_OK;
}
