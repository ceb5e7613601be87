/*
 * `litmine train pairs`: trains the chemical–disease pair classifier
 * (nlp/lm_pairs.h) from ../shared/data and prints its development-set
 * figures with gold entities, next to the co-occurrence baselines computed
 * by the same candidate generator.
 *
 * Corpora: BC5CDR train (CID = "induces"), BioRED train for the "treats"
 * and "associated" heads (unless --no-biored); calibration and thresholds
 * come from out-of-fold scores of the training documents, so the dev sets
 * are only measured (with --final they are trained on too, and nothing is
 * measured).  Progress goes to stderr, the report to stdout.
 *
 * End to end the classifier meets concepts the lexicon left without an id
 * (the normal case for drugs no training corpus annotates: no MeSH file is
 * shipped), so unless --no-lexicon-ids the BC5CDR training documents are
 * also fed as the lexicon sees them: each fold of 5 is normalised by a
 * lexicon built as `litmine lexicon build` does from everything but that
 * fold (and the dev sets' documents).  That raised end-to-end dev F1 by
 * about one point (0.431 -> 0.442; +0.5 to +1.2 at equal thresholds, over
 * three seeds) at an unchanged gold-entity F1.
 */
#include "lm_cli.h"
#include "lm_commands.h"
#include "../nlp/eval/lm_bioc.h"

#include "../nlp/lm_lexicon.h"
#include "../nlp/lm_pairs.h"
#include "../nlp/lm_pubtator.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: litmine train pairs [--data DIR] [--out FILE] [--final] [--no-biored]\n"
            "                           [--biored-induces] [--no-stack] [--no-lexicon-ids]\n"
            "                           [--ner-twins FILE]\n"
            "                           [--epochs N] [--bits N]\n"
            "                           [--l2 X] [--lr X] [--seed N] [--runs N]\n"
            "\n"
            "Trains the chemical-disease relation classifier on BC5CDR train (CID =\n"
            "induces) and BioRED train (treats, associated), calibrates each head and\n"
            "sets its threshold on out-of-fold training scores, and prints BC5CDR dev CID\n"
            "precision/recall/F1 with gold entities, with the co-occurrence baselines.\n"
            "\n"
            "  --data DIR         corpora directory (default ../shared/data)\n"
            "  --out FILE         model file (default models/%s)\n"
            "  --final            also train on the dev sets (the shipped model; no dev\n"
            "                     figures)\n"
            "  --no-biored        BC5CDR only (no treats/associated heads)\n"
            "  --biored-induces   also train induces on BioRED Positive_Correlation\n"
            "  --no-stack         no second stage (document-level rescoring of induces)\n"
            "  --no-lexicon-ids   train induces on the gold ids only, not also on the ids\n"
            "                     a held-out lexicon gives the training spans\n"
            "  --ner-twins FILE   also train induces on the training documents' mentions\n"
            "                     as a tagger that did not see them found them (FILE from\n"
            "                     train ner --jackknife-out), and calibrate it on those\n"

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
    lm_status st = lm_corpus_load(path, c, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "train pairs: %s", err.msg);
        return lm_cli_exit_for(st);
    }
    return LM_EXIT_OK;
}

/* Moves every document of from to the end of to (from is left empty);
 * -1 on out-of-memory. */
static int append_corpus(lm_pt_corpus *to, lm_pt_corpus *from)
{
    lm_pt_doc *v = realloc(to->docs, (to->n_docs + from->n_docs + 1) * sizeof *v);
    if (!v)
        return -1;
    memcpy(v + to->n_docs, from->docs, from->n_docs * sizeof *v);
    to->docs = v;
    to->n_docs += from->n_docs;
    from->n_docs = 0;
    return 0;
}

#define LEXICON_FOLDS 5

/* The documents of c outside fold `fold` (-1: none left out) and not in any
 * skip corpus, as a shallow corpus: c keeps owning them. */
static lm_status select_docs(const lm_pt_corpus *c, int fold, const lm_pt_corpus *const *skip,
                             size_t n_skip, lm_pt_corpus *out, lm_error *err)
{
    out->n_docs = 0;
    out->docs = calloc(c->n_docs ? c->n_docs : 1, sizeof *out->docs);
    if (!out->docs)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    for (size_t d = 0; d < c->n_docs; d++) {
        if (fold >= 0 && (int)(d % LEXICON_FOLDS) == fold)
            continue;
        int held_out = 0;
        for (size_t k = 0; k < n_skip && !held_out; k++)
            for (size_t e = 0; skip[k] && e < skip[k]->n_docs && !held_out; e++)
                held_out = c->docs[d].pmid && skip[k]->docs[e].pmid &&
                           strcmp(c->docs[d].pmid, skip[k]->docs[e].pmid) == 0;
        if (!held_out)
            out->docs[out->n_docs++] = c->docs[d];
    }
    return LM_OK;
}

/* The lexicon `litmine lexicon build` makes (without genes), from BC5CDR
 * train without fold `fold` and the other corpora without the dev sets'
 * documents.  BioRED re-annotates 41 BC5CDR training abstracts, which
 * stay in every fold's lexicon: leaving them out with their fold was
 * measured (end-to-end dev CID F1 0.443 -> 0.432) and not kept; the
 * shipped lexicon holds them too. */
static lm_status fold_lexicon(const char *data, const lm_pt_corpus *cid_tr, int fold,
                              const lm_pt_corpus *ncbi_tr, const lm_pt_corpus *bio_tr,
                              const lm_pt_corpus *const *dev, size_t n_dev, lm_lexicon **out,
                              lm_error *err)
{
    lm_lexicon_builder *b = NULL;
    lm_status st = lm_lexicon_builder_init(&b, err);
    const lm_pt_corpus *src[3] = {cid_tr, ncbi_tr, bio_tr};
    for (int i = 0; i < 3 && st == LM_OK; i++) {
        lm_pt_corpus part = {0};
        st = select_docs(src[i], i == 0 ? fold : -1, dev, n_dev, &part, err);
        if (st == LM_OK)
            st = lm_lexicon_import_corpus_weighted(
                b, &part, i == 0 ? LM_LEX_MAIN_CORPUS_WEIGHT : 1, NULL, err);
        free(part.docs);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/lexicons/mesh", data);
    if (st == LM_OK)
        st = lm_lexicon_import_mesh_dir(b, path, err);
    snprintf(path, sizeof path, "%s/lexicons/drugbank_vocabulary.csv", data);
    if (st == LM_OK)
        st = lm_lexicon_import_drugbank(b, path, NULL, err);
    if (st == LM_OK)
        st = lm_lexicon_builder_merge_xrefs(b, LM_ENT_CHEMICAL, "DRUGBANK:", "MESH:", NULL, err);
    if (st == LM_OK)
        st = lm_lexicon_builder_finish(b, out, err);
    lm_lexicon_builder_free(b);
    return st;
}

/* The MeSH tree numbers of the pair classifier's features: a lexicon of
 * the MeSH files under DATA/lexicons/mesh (empty without them).  The
 * pipeline reads the same trees from its lexicon. */
static lm_status mesh_trees(const char *data, lm_lexicon **out, lm_error *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/lexicons/mesh", data);
    lm_lexicon_builder *b = NULL;
    lm_status st = lm_lexicon_builder_init(&b, err);
    if (st == LM_OK)
        st = lm_lexicon_import_mesh_dir(b, dir, err);
    if (st == LM_OK)
        st = lm_lexicon_builder_finish(b, out, err);
    lm_lexicon_builder_free(b);
    return st;
}

static lm_status corpus_alloc(lm_pt_corpus *c, size_t n, lm_error *err)
{
    c->docs = calloc(n ? n : 1, sizeof *c->docs);
    if (!c->docs)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    c->n_docs = n;
    for (size_t d = 0; d < n; d++)
        lm_pt_doc_init(&c->docs[d]);
    return LM_OK;
}

/* The document of c with that PMID, NULL if none. */
static const lm_pt_doc *find_doc(const lm_pt_corpus *c, const char *pmid)
{
    for (size_t d = 0; c && pmid && d < c->n_docs; d++)
        if (c->docs[d].pmid && strcmp(c->docs[d].pmid, pmid) == 0)
            return &c->docs[d];
    return NULL;
}

/* cid_tr's documents, each fold normalised by a lexicon built without it;
 * with tagged (may be NULL: the tagger's out-of-fold mentions of the same
 * documents, by PMID), also the tagged mentions so normalised, with the
 * gold text and relations (out_ner). */
static lm_status lexicon_ids(const char *data, const lm_pt_corpus *cid_tr,
                             const lm_pt_corpus *ncbi_tr, const lm_pt_corpus *bio_tr,
                             const lm_pt_corpus *const *dev, size_t n_dev,
                             const lm_pt_corpus *tagged, lm_pt_corpus *out,
                             lm_pt_corpus *out_ner, lm_error *err)
{
    lm_status st = corpus_alloc(out, cid_tr->n_docs, err);
    if (st == LM_OK && tagged)
        st = corpus_alloc(out_ner, cid_tr->n_docs, err);
    for (int f = 0; f < LEXICON_FOLDS && st == LM_OK; f++) {
        lm_lexicon *lex = NULL;
        st = fold_lexicon(data, cid_tr, f, ncbi_tr, bio_tr, dev, n_dev, &lex, err);
        for (size_t d = (size_t)f; st == LM_OK && d < cid_tr->n_docs; d += LEXICON_FOLDS) {
            const lm_pt_doc *gold = &cid_tr->docs[d];
            st = lm_pairs_renormalize(gold, lex, NULL, &out->docs[d], err);
            if (st != LM_OK || !tagged)
                continue;
            /* the tagger's training left out the documents another corpus's
             * dev set holds: their twins stay empty (no candidate, no gold) */
            const lm_pt_doc *t = find_doc(tagged, gold->pmid);
            lm_pt_doc twin = *gold;   /* shallow: the gold text, the tagger's mentions */
            twin.mentions = t ? t->mentions : NULL;
            twin.n_mentions = t ? t->n_mentions : 0;
            twin.n_relations = t ? twin.n_relations : 0;
            st = lm_pairs_renormalize(&twin, lex, NULL, &out_ner->docs[d], err);
        }
        lm_lexicon_free(lex);
    }
    return st;
}

int lm_cmd_train_pairs(lm_cli *cli, int argc, char **argv)
{
    lm_pairs_train_opts o;
    lm_pairs_train_opts_default(&o);
    const char *data = LM_CLI_DEFAULT_DATA, *out = NULL;
    int biored = 1, lex_ids = 1, final = 0;
    const char *ner_twins = NULL;
    static const struct option options[] = {
        {"data", required_argument, NULL, 'D'},       {"out", required_argument, NULL, 'o'},
        {"final", no_argument, NULL, 'F'},            {"no-biored", no_argument, NULL, 'B'},
        {"biored-induces", no_argument, NULL, 'I'},   {"no-stack", no_argument, NULL, 'S'},
        {"no-lexicon-ids", no_argument, NULL, 'L'},   {"ner-twins", required_argument, NULL, 'T'},
        {"epochs", required_argument, NULL, 'e'},     {"bits", required_argument, NULL, 'b'},
        {"seed", required_argument, NULL, 's'},       {"runs", required_argument, NULL, 'r'},
        {"l2", required_argument, NULL, '2'},         {"lr", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
    lm_cli_optscan scan;
    opterr = 0;
    optind = 1;
    int c, idx = -1;
    while ((c = lm_cli_getopt(&scan, argc, argv, "h", options, &idx)) != -1) {
        const char *flag = idx >= 0 ? options[idx].name : "";
        long n, lo = c == 'b' ? 10 : c == 's' ? 0 : 1;
        long hi = c == 'b' ? 24 : c == 's' ? INT_MAX : 1000;
        double x;
        idx = -1;
        switch (c) {
        case 'h': usage(stdout); return LM_EXIT_OK;
        case 'D': data = optarg; break;
        case 'o': out = optarg; break;
        case 'F': final = 1; break;
        case 'B': biored = 0; break;
        case 'I': o.biored_induces = 1; break;
        case 'S': o.stack = 0; break;
        case 'L': lex_ids = 0; break;
        case 'T': ner_twins = optarg; break;
        case 'e': case 'b': case 's': case 'r':
            if (!lm_cli_option_long(cli, "train pairs", flag, optarg, lo, hi, &n))
                return LM_EXIT_USAGE;
            if (c == 'e')
                o.epochs = (int)n;
            else if (c == 'r')
                o.runs = (int)n;
            else if (c == 'b')
                o.hash_bits = (unsigned)n;
            else
                o.seed = (unsigned)n;
            break;
        case '2': case 'l':
            if (parse_double(optarg, &x)) {
                lm_cli_error(cli, "train pairs: --%s wants a non-negative number, got '%s'",
                             flag, optarg);
                return LM_EXIT_USAGE;
            }
            if (c == '2')
                o.l2 = x;
            else
                o.learning_rate = x;
            break;
        default:
            lm_cli_bad_option(cli, "train pairs", &scan, argc, argv);
            usage(stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        lm_cli_error(cli, "train pairs: unexpected argument '%s'", argv[optind]);
        usage(stderr);
        return LM_EXIT_USAGE;
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
    /* --final: the dev sets join the training sets and nothing is held out */
    if (rc == LM_EXIT_OK && final &&
        (append_corpus(&cid_tr, &cid_dev) != 0 || append_corpus(&bio_tr, &bio_dev) != 0)) {
        lm_cli_error(cli, "train pairs: out of memory");
        rc = LM_EXIT_FAILURE;
    }
    lm_pt_corpus cid_lex = {0}, cid_ner = {0}, tagged = {0};
    if (rc == LM_EXIT_OK && ner_twins && !lex_ids) {
        lm_cli_error(cli, "train pairs: --ner-twins needs the lexicon ids (no --no-lexicon-ids)");
        rc = LM_EXIT_USAGE;
    }
    if (rc == LM_EXIT_OK && ner_twins) {
        lm_error err;
        lm_status st = lm_pubtator_load(ner_twins, &tagged, &err);
        if (st != LM_OK) {
            lm_cli_error(cli, "train pairs: %s", err.msg);
            rc = lm_cli_exit_for(st);
        }
    }
    if (rc == LM_EXIT_OK && lex_ids) {
        lm_pt_corpus ncbi_tr = {0}, ncbi_dev = {0}, bio_tr2 = {0}, bio_dev2 = {0};
        rc = load(cli, data, "ncbi_disease/NCBItrainset_corpus.txt", &ncbi_tr);
        if (rc == LM_EXIT_OK)
            rc = load(cli, data, "ncbi_disease/NCBIdevelopset_corpus.txt", &ncbi_dev);
        if (rc == LM_EXIT_OK && !biored)
            rc = load(cli, data, "biored/Train.PubTator", &bio_tr2);
        if (rc == LM_EXIT_OK && !biored)
            rc = load(cli, data, "biored/Dev.PubTator", &bio_dev2);
        if (rc == LM_EXIT_OK && final)
            rc = append_corpus(&ncbi_tr, &ncbi_dev) == 0 ? LM_EXIT_OK : LM_EXIT_FAILURE;
        if (rc == LM_EXIT_OK) {
            const lm_pt_corpus *dev[3] = {&cid_dev, &ncbi_dev, biored ? &bio_dev : &bio_dev2};
            lm_error err;
            log_line(cli, "pairs: normalising the training spans with held-out lexicons");
            lm_status st = lexicon_ids(data, &cid_tr, &ncbi_tr, biored ? &bio_tr : &bio_tr2,
                                       dev, final ? 0 : 3, ner_twins ? &tagged : NULL, &cid_lex,
                                       &cid_ner, &err);
            if (st != LM_OK) {
                lm_cli_error(cli, "train pairs: %s", err.msg);
                rc = lm_cli_exit_for(st);
            }
        }
        lm_pt_corpus_free(&ncbi_tr);
        lm_pt_corpus_free(&ncbi_dev);
        lm_pt_corpus_free(&bio_tr2);
        lm_pt_corpus_free(&bio_dev2);
    }

    lm_pairs_model *m = NULL;
    lm_error err;
    lm_buf path;
    lm_buf_init(&path);
    lm_lexicon *trees = NULL;
    if (rc == LM_EXIT_OK) {
        lm_status st = mesh_trees(data, &trees, &err);
        if (st != LM_OK) {
            lm_cli_error(cli, "train pairs: %s", err.msg);
            rc = lm_cli_exit_for(st);
        }
    }
    if (rc == LM_EXIT_OK) {
        lm_pairs_train_data d = {&cid_tr, biored ? &bio_tr : NULL, final ? NULL : &cid_dev,
                                 lex_ids ? &cid_lex : NULL, trees, ner_twins ? &cid_ner : NULL};
        lm_status st = lm_pairs_train(&d, &o, &m, &err);
        if (st == LM_OK)
            lm_pairs_model_use_lexicon(m, trees);
        if (st == LM_OK && !out)
            st = lm_pairs_default_path(cli->config, &path, &err);
        if (st == LM_OK)
            st = lm_pairs_model_save(m, out ? out : lm_buf_cstr(&path), &err);
        if (st == LM_OK)
            log_line(cli, out ? out : lm_buf_cstr(&path));
        long tp = 0, fp = 0, fn = 0;
        if (st == LM_OK && final) {
            lm_pairs_model_free(m);
            m = NULL;
        } else if (st == LM_OK) {
            printf("BC5CDR dev, CID, gold entities       P      R      F1     TP     FP     FN\n");
            st = lm_pairs_eval_gold(m, &cid_dev, NULL, &tp, &fp, &fn, &err);
        }
        if (st == LM_OK && !final) {
            print_row("pair classifier", tp, fp, fn);
            lm_pairs_eval_opts eo = {-1.0f, 1, 0};
            st = lm_pairs_eval_gold(NULL, &cid_dev, &eo, &tp, &fp, &fn, &err);
        }
        if (st == LM_OK && !final) {
            print_row("co-occurrence (document)", tp, fp, fn);
            lm_pairs_eval_opts eo = {-1.0f, 1, 1};
            st = lm_pairs_eval_gold(NULL, &cid_dev, &eo, &tp, &fp, &fn, &err);
        }
        if (st == LM_OK && !final)
            print_row("co-occurrence (same sentence)", tp, fp, fn);
        if (st != LM_OK) {
            lm_cli_error(cli, "train pairs: %s", err.msg);
            rc = lm_cli_exit_for(st);
        }
    }
    lm_buf_free(&path);
    lm_pairs_model_free(m);
    lm_lexicon_free(trees);
    lm_pt_corpus_free(&cid_lex);
    lm_pt_corpus_free(&cid_ner);
    lm_pt_corpus_free(&tagged);
    lm_pt_corpus_free(&cid_tr);
    lm_pt_corpus_free(&cid_dev);
    lm_pt_corpus_free(&bio_tr);
    lm_pt_corpus_free(&bio_dev);
    return rc;
}
