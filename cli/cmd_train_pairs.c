/*
 * `litmine train pairs`: trains the chemical–disease pair classifier
 * (nlp/lm_pairs.h) from ../shared/data and prints its development-set
 * figures with gold entities, next to the co-occurrence baselines computed
 * by the same candidate generator.
 *
 * Corpora: BC5CDR train (CID = "induces"), BioRED train for the "treats"
 * and "associated" heads (unless --no-biored); thresholds are tuned on the
 * BC5CDR and BioRED dev sets.  Progress goes to stderr, the report to
 * stdout.
 */
#include "lm_cli.h"

#include "../nlp/lm_pairs.h"
#include "../nlp/lm_pubtator.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lm_cmd_train_pairs(lm_cli *cli, int argc, char **argv);

static void usage(FILE *out)
{
    fprintf(out,
            "usage: litmine train pairs [--data DIR] [--out FILE] [--no-biored]\n"
            "                           [--biored-induces] [--no-stack] [--epochs N]\n"
            "                           [--bits N]\n"
            "                           [--l2 X] [--lr X] [--seed N] [--runs N]\n"
            "\n"
            "Trains the chemical-disease relation classifier on BC5CDR train (CID =\n"
            "induces) and BioRED train (treats, associated), tunes thresholds on the dev\n"
            "sets and prints BC5CDR dev CID precision/recall/F1 with gold entities, with\n"
            "the co-occurrence baselines.\n"
            "\n"
            "  --data DIR         corpora directory (default ../shared/data)\n"
            "  --out FILE         model file (default models/%s)\n"
            "  --no-biored        BC5CDR only (no treats/associated heads)\n"
            "  --biored-induces   also train induces on BioRED Positive_Correlation\n"
            "  --no-stack         no second stage (document-level rescoring of induces)\n"
            "  --epochs N         passes over the data (default 15)\n"
            "  --runs N           average the weights of N shuffled runs (default 5)\n"
            "  --bits N           feature hash table size 2^N (default 20)\n"
            "  --l2 X, --lr X     regularisation and AdaGrad step\n",
            LM_PAIRS_DEFAULT_MODEL);
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0))
        return -1;
    *out = v;
    return 0;
}

static void log_line(void *ctx, const char *line)
{
    const lm_cli *cli = ctx;
    if (!cli->quiet)
        fprintf(stderr, "%s\n", line);
}

static void print_row(const char *name, long tp, long fp, long fn)
{
    double p = tp + fp ? (double)tp / (double)(tp + fp) : 0;
    double r = tp + fn ? (double)tp / (double)(tp + fn) : 0;
    double f = p + r > 0 ? 2 * p * r / (p + r) : 0;
    printf("%-34s %6.4f %6.4f %6.4f %6ld %6ld %6ld\n", name, p, r, f, tp, fp, fn);
}

static int load(const lm_cli *cli, const char *dir, const char *file, lm_pt_corpus *c)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    lm_error err;
    lm_status st = lm_pubtator_load(path, c, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "train pairs: %s", err.msg);
        return lm_cli_exit_for(st);
    }
    return LM_EXIT_OK;
}

int lm_cmd_train_pairs(lm_cli *cli, int argc, char **argv)
{
    lm_pairs_train_opts o;
    lm_pairs_train_opts_default(&o);
    const char *data = "../shared/data", *out = NULL;
    int biored = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return LM_EXIT_OK;
        } else if (strcmp(a, "--no-biored") == 0) {
            biored = 0;
        } else if (strcmp(a, "--biored-induces") == 0) {
            o.biored_induces = 1;
        } else if (strcmp(a, "--no-stack") == 0) {
            o.stack = 0;
        } else if (!v) {
            lm_cli_error(cli, "train pairs: unknown or incomplete option '%s'", a);
            usage(stderr);
            return LM_EXIT_USAGE;
        } else if (strcmp(a, "--data") == 0) {
            data = v, i++;
        } else if (strcmp(a, "--out") == 0) {
            out = v, i++;
        } else if (strcmp(a, "--epochs") == 0 || strcmp(a, "--bits") == 0 ||
                   strcmp(a, "--seed") == 0 || strcmp(a, "--runs") == 0) {
            long lo = strcmp(a, "--bits") == 0 ? 10 : strcmp(a, "--seed") == 0 ? 0 : 1;
            long hi = strcmp(a, "--bits") == 0 ? 24 : strcmp(a, "--seed") == 0 ? INT_MAX : 1000;
            if (!lm_cli_to_long(v, lo, hi, &n)) {
                lm_cli_error(cli, "train pairs: %s wants an integer in [%ld, %ld], got '%s'", a,
                             lo, hi, v);
                return LM_EXIT_USAGE;
            }
            if (strcmp(a, "--epochs") == 0)
                o.epochs = (int)n;
            else if (strcmp(a, "--runs") == 0)
                o.runs = (int)n;
            else if (strcmp(a, "--bits") == 0)
                o.hash_bits = (unsigned)n;
            else
                o.seed = (unsigned)n;
            i++;
        } else if (strcmp(a, "--l2") == 0 || strcmp(a, "--lr") == 0) {
            double x;
            if (parse_double(v, &x)) {
                lm_cli_error(cli, "train pairs: %s wants a non-negative number, got '%s'", a, v);
                return LM_EXIT_USAGE;
            }
            if (strcmp(a, "--l2") == 0)
                o.l2 = x;
            else
                o.learning_rate = x;
            i++;
        } else {
            lm_cli_error(cli, "train pairs: unknown option '%s'", a);
            usage(stderr);
            return LM_EXIT_USAGE;
        }
    }
    o.log = log_line;
    o.log_ctx = cli;

    lm_pt_corpus cid_tr = {0}, cid_dev = {0}, bio_tr = {0}, bio_dev = {0};
    int rc = load(cli, data, "bc5cdr/CDR_TrainingSet.PubTator.txt", &cid_tr);
    if (rc == LM_EXIT_OK)
        rc = load(cli, data, "bc5cdr/CDR_DevelopmentSet.PubTator.txt", &cid_dev);
    if (rc == LM_EXIT_OK && biored)
        rc = load(cli, data, "biored/Train.PubTator", &bio_tr);
    if (rc == LM_EXIT_OK && biored)
        rc = load(cli, data, "biored/Dev.PubTator", &bio_dev);

    lm_pairs_model *m = NULL;
    lm_error err;
    lm_buf path;
    lm_buf_init(&path);
    if (rc == LM_EXIT_OK) {
        lm_pairs_train_data d = {&cid_tr, &cid_dev, biored ? &bio_tr : NULL,
                                 biored ? &bio_dev : NULL};
        lm_status st = lm_pairs_train(&d, &o, &m, &err);
        if (st == LM_OK && !out)
            st = lm_pairs_default_path(cli->config, &path, &err);
        if (st == LM_OK)
            st = lm_pairs_model_save(m, out ? out : lm_buf_cstr(&path), &err);
        if (st == LM_OK)
            log_line(cli, out ? out : lm_buf_cstr(&path));
        long tp = 0, fp = 0, fn = 0;
        if (st == LM_OK) {
            printf("BC5CDR dev, CID, gold entities       P      R      F1     TP     FP     FN\n");
            st = lm_pairs_eval_gold(m, &cid_dev, NULL, &tp, &fp, &fn, &err);
        }
        if (st == LM_OK) {
            print_row("pair classifier", tp, fp, fn);
            lm_pairs_eval_opts eo = {-1.0f, 1, 0};
            st = lm_pairs_eval_gold(NULL, &cid_dev, &eo, &tp, &fp, &fn, &err);
        }
        if (st == LM_OK) {
            print_row("co-occurrence (document)", tp, fp, fn);
            lm_pairs_eval_opts eo = {-1.0f, 1, 1};
            st = lm_pairs_eval_gold(NULL, &cid_dev, &eo, &tp, &fp, &fn, &err);
        }
        if (st == LM_OK)
            print_row("co-occurrence (same sentence)", tp, fp, fn);
        if (st != LM_OK) {
            lm_cli_error(cli, "train pairs: %s", err.msg);
            rc = lm_cli_exit_for(st);
        }
    }
    lm_buf_free(&path);
    lm_pairs_model_free(m);
    lm_pt_corpus_free(&cid_tr);
    lm_pt_corpus_free(&cid_dev);
    lm_pt_corpus_free(&bio_tr);
    lm_pt_corpus_free(&bio_dev);
    return rc;
}
