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
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (lm_cli_is_help(a)) {
            usage(stdout);
            return LM_EXIT_OK;
        } else if (strcmp(a, "--final") == 0) {
            o.final = 1;
        } else if (strcmp(a, "--perceptron") == 0) {
            o.perceptron = 1;
        } else if (!v) {
            lm_cli_error(cli, "train ner: unknown or incomplete option '%s'", a);
            usage(stderr);
            return LM_EXIT_USAGE;
        } else if (strcmp(a, "--recipe") == 0) {
            o.recipe = v, i++;
        } else if (strcmp(a, "--out") == 0) {
            out = v, i++;
        } else if (strcmp(a, "--data") == 0) {
            o.data_dir = v, i++;
        } else if (strcmp(a, "--c2") == 0) {
            char *end;
            o.crf_c2 = strtod(v, &end);
            if (*end || o.crf_c2 <= 0) {
                lm_cli_error(cli, "train ner: bad --c2 '%s'", v);
                return LM_EXIT_USAGE;
            }
            i++;
        } else if (strcmp(a, "--iter") == 0) {
            if (!lm_cli_to_long(v, 1, 100000, &n)) {
                lm_cli_error(cli, "train ner: bad --iter '%s'", v);
                return LM_EXIT_USAGE;
            }
            o.crf_iter = (int)n;
            i++;
        } else if (strcmp(a, "--cluster-cache") == 0) {
            o.cluster_cache = v, i++;
        } else if (strcmp(a, "--jackknife-out") == 0) {
            o.jackknife_out = v, i++;
        } else if (strcmp(a, "--no") == 0) {
            if (parse_groups(v, &o.feat_off)) {
                lm_cli_error(cli, "train ner: unknown feature group in '%s'", v);
                return LM_EXIT_USAGE;
            }
            i++;
        } else if (strcmp(a, "--threads") == 0 || strcmp(a, "--epochs") == 0
                   || strcmp(a, "--bits") == 0 || strcmp(a, "--folds") == 0
                   || strcmp(a, "--stages") == 0 || strcmp(a, "--seed") == 0
                   || strcmp(a, "--clusters") == 0 || strcmp(a, "--cluster-min") == 0
                   || strcmp(a, "--cluster-dim") == 0) {
            long lo = strcmp(a, "--bits") == 0 ? 10 : strcmp(a, "--seed") == 0 ? 0 : 1;
            long hi = strcmp(a, "--bits") == 0 ? 24 : strcmp(a, "--stages") == 0 ? 2
                      : strcmp(a, "--clusters") == 0 ? 8192 : strcmp(a, "--seed") == 0 ? INT_MAX
                      : 1000;
            if (!lm_cli_to_long(v, lo, hi, &n)) {
                lm_cli_error(cli, "train ner: %s wants an integer in [%ld, %ld], got '%s'", a, lo,
                             hi, v);
                return LM_EXIT_USAGE;
            }
            if (a[2] == 't')
                o.threads = (int)n;
            else if (a[2] == 'e')
                o.epochs = (int)n;
            else if (a[2] == 'b')
                o.bits = (int)n;
            else if (a[2] == 'f')
                o.folds = (int)n;
            else if (a[3] == 't')
                o.stages = (int)n;
            else if (strcmp(a, "--cluster-min") == 0)
                o.cluster_min_count = (int)n;
            else if (strcmp(a, "--cluster-dim") == 0)
                o.cluster_dim = (int)n;
            else if (a[2] == 'c')
                o.n_clusters_fine = (int)n;
            else
                o.seed = (unsigned)n;
            i++;
        } else {
            lm_cli_error(cli, "train ner: unknown option '%s'", a);
            usage(stderr);
            return LM_EXIT_USAGE;
        }
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
