/*
 * `litmine eval ner|cid|bc2gm|norm` — score predictions against gold
 * corpora with the official rules implemented in nlp/lm_eval.
 *
 *   ner    mention-level strict P/R/F1 per type, then document-level
 *          concept-id P/R/F1 (the BioCreative V CDR "mention" and "id"
 *          evaluations)
 *   cid    document-level relation pairs (BioCreative V CID); without --pred
 *          from litmine's chain, which --gold-entities and --gold-spans cut
 *          short so that the end-to-end loss can be split between NER,
 *          normalization and the pair classifier
 *   bc2gm  BioCreative II gene mention with ALTGENE alternatives
 *   norm   normalization accuracy: the lexicon's id for every gold mention
 *          (given gold spans and types, looked up as the pipeline does with
 *          lm_lexicon_lookup_mention) against the gold id
 *
 * Each mode obtains its predictions through one function, so that a mode
 * which runs litmine's own pipeline when --pred is absent only has to fill
 * in that function (see predict_relations).
 */
#include "../nlp/lm_eval.h"
#include "../nlp/lm_lexicon.h"
#include "../nlp/lm_ner.h"
#include "../nlp/lm_pairs.h"
#include "../util/lm_utf8.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: litmine eval ner   --gold GOLD.PubTator --pred PRED.PubTator [--types T,...]\n"
    "       litmine eval cid   --gold GOLD.PubTator --pred PRED.PubTator [--relation R]\n"
    "                          [--unordered]\n"
    "       litmine eval cid   --gold GOLD.PubTator [--gold-entities] [--pairs-model FILE]\n"
    "                          [--gold-spans] [--ner-model FILE] [--lexicon FILE]\n"
    "                          [--save-pred FILE]\n"
    "       litmine eval bc2gm --gold GENE.eval [--alt ALTGENE.eval] --pred PRED.eval\n"
    "       litmine eval norm  --gold GOLD.PubTator [--lexicon FILE | --train CORPUS]...\n"
    "                          [--types T,...] [--namespace NS]\n"
    "       litmine eval search --corpus C.jsonl[.gz] --queries Q.jsonl --qrels Q.tsv [--mode M]\n"
    "\n"
    "Scores predictions with the official BioCreative rules:\n"
    "  ner    strict mention spans (pmid, start, end, type) per type and micro-averaged,\n"
    "         then document-level concept ids (composites split, -1 ignored)\n"
    "  cid    document-level relation pairs (pmid, id1, id2) of type R (default CID;\n"
    "         'all' for every type); --unordered for symmetric relations.  Without\n"
    "         --pred litmine predicts them: NER + lexicon + pair classifier on the gold\n"
    "         text, or the classifier alone on the gold mentions (--gold-entities),\n"
    "         or lexicon + classifier on the gold spans (--gold-spans: no NER errors);\n"
    "         --save-pred writes those predictions (mentions with ids, relations)\n"
    "  bc2gm  gene mentions in BC2GM offsets, alternatives from ALTGENE count as hits\n"
    "  norm   fraction of gold mentions whose lexicon id (looked up as the pipeline\n"
    "         does) equals the gold id; the lexicon is FILE, or built in memory from\n"
    "         the annotations of the --train corpora (repeatable), or the default\n"
    "         models/lexicon.bin; --namespace MESH: only accepts ids of that namespace\n"
    "\n"
    "Types: Chemical, Disease, Gene (corpus names such as SpecificDisease or\n"
    "GeneOrGeneProduct are mapped).  --details prints one INFO line per item.\n";

typedef struct eval_args {
    const char *gold, *pred, *alt, *lexicon, *ns;
    const char *train[8];
    int n_train;
    const char *types[16];
    size_t n_types;
    char *types_buf;
    const char *relation;
    int unordered;
    int details;
    int gold_entities;                   /* cid without --pred: gold mentions */
    int gold_spans;                      /* ... gold spans, lexicon ids */
    const char *pairs_model, *ner_model;
    const char *save_pred;               /* cid: predicted mentions + relations out */
} eval_args;

static int split_types(const lm_cli *cli, eval_args *a, const char *list)
{
    free(a->types_buf);
    a->types_buf = strdup(list);
    a->n_types = 0;
    if (!a->types_buf)
        return -1;
    char *p = a->types_buf;
    while (*p) {
        char *q = p + strcspn(p, ",");
        int last = *q == '\0';
        *q = '\0';
        if (*p) {
            if (a->n_types == sizeof a->types / sizeof a->types[0]) {
                lm_cli_error(cli, "eval: too many --types");
                return -1;
            }
            a->types[a->n_types++] = p;
        }
        if (last)
            break;
        p = q + 1;
    }
    return 0;
}

static void print_item(void *ctx, lm_eval_outcome o, const char *item)
{
    printf("INFO\t%s\t%s\t%s\n", lm_eval_outcome_str(o), (const char *)ctx, item);
}

static int load_corpus(const lm_cli *cli, const char *path, lm_pt_corpus *c)
{
    lm_error err;
    lm_status st = lm_pubtator_load(path, c, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        return lm_cli_exit_for(st);
    }
    return LM_EXIT_OK;
}

static int eval_ner(const lm_cli *cli, const eval_args *a)
{
    if (!a->gold || !a->pred) {
        lm_cli_error(cli, "eval ner: --gold and --pred are required");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    lm_pt_corpus gold = {0}, pred = {0};
    int rc = load_corpus(cli, a->gold, &gold);
    if (rc == LM_EXIT_OK)
        rc = load_corpus(cli, a->pred, &pred);
    lm_eval_report rep;
    lm_eval_report_init(&rep);
    lm_eval_opts o = {0};
    if (a->n_types) {
        o.labels = a->types;
        o.n_labels = a->n_types;
    }
    lm_error err;
    if (rc == LM_EXIT_OK) {
        o.trace = a->details ? print_item : NULL;
        o.trace_ctx = (void *)"mention";
        lm_status st = lm_eval_mentions(&gold, &pred, &o, &rep, &err);
        if (st == LM_OK)
            lm_eval_report_print(stdout, "mentions (strict)", &rep);
        if (st == LM_OK) {
            printf("\n");
            o.trace_ctx = (void *)"id";
            st = lm_eval_concepts(&gold, &pred, &o, &rep, &err);
        }
        if (st == LM_OK)
            lm_eval_report_print(stdout, "concepts (doc-level)", &rep);
        if (st != LM_OK) {
            lm_cli_error(cli, "%s", err.msg);
            rc = lm_cli_exit_for(st);
        }
    }
    lm_eval_report_free(&rep);
    lm_pt_corpus_free(&gold);
    lm_pt_corpus_free(&pred);
    return rc;
}

static int get_lexicon(const lm_cli *cli, const eval_args *a, lm_lexicon **lex);

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Copies the text and the chemical/disease mentions litmine used (with
 * their unqualified ids) into pd, so that --save-pred shows where an
 * end-to-end pair was lost: a missed mention or a wrong or missing id. */
static lm_status copy_mentions(const lm_doc *doc, const lm_pt_doc *g, lm_pt_doc *pd, lm_error *err)
{
    pd->title = dup_or_null(g->title ? g->title : "");
    pd->abstract = dup_or_null(g->abstract ? g->abstract : "");
    pd->mentions = calloc(doc->n_mentions ? doc->n_mentions : 1, sizeof *pd->mentions);
    if (!pd->title || !pd->abstract || !pd->mentions)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < doc->n_mentions; i++) {
        const lm_doc_mention *m = &doc->mentions[i];
        if (m->type != LM_ENT_CHEMICAL && m->type != LM_ENT_DISEASE)
            continue;
        const char *id = m->concept_id;
        if (id && strncmp(id, "MESH:", 5) == 0)
            id += 5;
        lm_pt_mention *o = &pd->mentions[pd->n_mentions++];
        o->start = m->start;
        o->end = m->end;
        o->text = dup_or_null(m->text ? m->text : "");
        o->type = dup_or_null(m->type == LM_ENT_CHEMICAL ? "Chemical" : "Disease");
        o->id = dup_or_null(id ? id : "-1");
        if (!o->text || !o->type || !o->id)
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    return LM_OK;
}

/* The gold Chemical and Disease spans of g as tagger output (byte offsets
 * into doc->text), for --gold-spans. */
static lm_status gold_as_ner(const lm_pt_doc *g, const lm_doc *doc, lm_ner_mentions *out,
                             lm_error *err)
{
    lm_utf8_map map;
    lm_utf8_map_init(&map);
    lm_status st = lm_utf8_map_build(&map, doc->text, doc->text_len, err);
    out->n = 0;
    for (size_t i = 0; st == LM_OK && i < g->n_mentions; i++) {
        const lm_pt_mention *m = &g->mentions[i];
        lm_lex_type t = lm_lex_type_from_name(m->type);
        if ((t != LM_LEX_CHEMICAL && t != LM_LEX_DISEASE) || m->start < 0 || m->end <= m->start)
            continue;
        size_t b0 = lm_utf8_map_to_byte(&map, (size_t)m->start);
        size_t b1 = lm_utf8_map_to_byte(&map, (size_t)m->end);
        if (b0 == SIZE_MAX || b1 == SIZE_MAX || b1 <= b0)
            continue;
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 64;
            lm_ner_mention *v = realloc(out->v, cap * sizeof *v);
            if (!v) {
                st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
                break;
            }
            out->v = v;
            out->cap = cap;
        }
        out->v[out->n++] = (lm_ner_mention){(uint32_t)b0, (uint32_t)b1,
                                            t == LM_LEX_CHEMICAL ? LM_ENT_CHEMICAL
                                                                 : LM_ENT_DISEASE,
                                            1.0f};
    }
    lm_utf8_map_free(&map);
    return st;
}

/* Relation predictions when --pred is absent: litmine's own chain over the
 * gold documents' text.  With --gold-entities the pair classifier sees the
 * gold mentions and ids (the classifier's own figure); otherwise the NER
 * model tags the text, the lexicon (MeSH ids only, as BC5CDR scores them)
 * normalises the mentions with abbreviation propagation, then pairs are
 * classified. */
static int predict_relations(const lm_cli *cli, const eval_args *a, const lm_pt_corpus *gold,
                             lm_pt_corpus *out)
{
    lm_error err;
    lm_status st = LM_OK;
    lm_buf path;
    lm_buf_init(&path);
    lm_pairs_model *pm = NULL;
    lm_ner_model *ner = NULL;
    lm_lexicon *lex = NULL;
    int rc = LM_EXIT_OK;
    if (!a->pairs_model)
        st = lm_pairs_default_path(cli->config, &path, &err);
    if (st == LM_OK)
        st = lm_pairs_model_load(a->pairs_model ? a->pairs_model : lm_buf_cstr(&path), &pm, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "eval cid: %s (train one with `litmine train pairs`)", err.msg);
        rc = lm_cli_exit_for(st);
    }
    if (rc == LM_EXIT_OK && !a->gold_entities && a->gold_spans) {
        rc = get_lexicon(cli, a, &lex);
    } else if (rc == LM_EXIT_OK && !a->gold_entities) {
        const char *ner_path = a->ner_model;
        if (!ner_path) {
            const char *dir = lm_config_get(cli->config, "models", "dir");
            lm_buf_reset(&path);
            lm_buf_printf(&path, "%s/%s", dir ? dir : lm_ner_default_model_dir(),
                          LM_NER_DEFAULT_MODEL);
            ner_path = lm_buf_cstr(&path);
        }
        if (access(ner_path, R_OK) != 0) {
            lm_cli_error(cli,
                         "eval cid: no NER model at %s: end-to-end evaluation needs one "
                         "(`litmine train ner`, or --ner-model FILE); --gold-entities scores "
                         "the pair classifier on the gold mentions",
                         ner_path);
            rc = LM_EXIT_FAILURE;
        } else if ((st = lm_ner_model_load(ner_path, &ner, &err)) != LM_OK) {
            lm_cli_error(cli, "eval cid: %s", err.msg);
            rc = lm_cli_exit_for(st);
        } else {
            rc = get_lexicon(cli, a, &lex);
        }
    }
    lm_buf_free(&path);
    lm_pairs_scratch *ps = NULL;
    lm_ner_scratch *ns = NULL;
    if (rc == LM_EXIT_OK) {
        st = lm_pairs_scratch_init(&ps, &err);
        if (st == LM_OK && ner)
            st = lm_ner_scratch_init(&ns, &err);
        out->docs = st == LM_OK ? calloc(gold->n_docs ? gold->n_docs : 1, sizeof *out->docs)
                                : NULL;
        if (st == LM_OK && !out->docs)
            st = lm_error_set(&err, LM_ERR_NOMEM, "out of memory");
    }
    lm_doc doc;
    lm_doc_init(&doc);
    lm_pairs_result res;
    lm_pairs_result_init(&res);
    lm_ner_mentions mentions;
    lm_ner_mentions_init(&mentions);
    for (size_t d = 0; rc == LM_EXIT_OK && st == LM_OK && d < gold->n_docs; d++) {
        const lm_pt_doc *g = &gold->docs[d];
        lm_pt_doc *pd = &out->docs[out->n_docs++];
        lm_pt_doc_init(pd);
        pd->pmid = strdup(g->pmid ? g->pmid : "");
        if (!pd->pmid) {
            st = lm_error_set(&err, LM_ERR_NOMEM, "out of memory");
            break;
        }
        if (a->gold_entities) {
            st = lm_pairs_doc_from_pubtator(g, &doc, &err);
        } else {
            lm_pt_doc text_only = *g;   /* shallow: only its text is read */
            text_only.n_mentions = 0;
            text_only.n_relations = 0;
            st = lm_pairs_doc_from_pubtator(&text_only, &doc, &err);
            if (st == LM_OK)
                st = a->gold_spans ? gold_as_ner(g, &doc, &mentions, &err)
                                   : lm_ner_tag(ner, ns, doc.text, doc.text_len, &mentions, &err);
            if (st == LM_OK)
                st = lm_pairs_doc_add_ner(&doc, &mentions, lex, "MESH:", &err);
        }
        if (st == LM_OK && a->save_pred)
            st = copy_mentions(&doc, g, pd, &err);
        if (st == LM_OK)
            st = lm_pairs_extract(pm, ps, &doc, &res, &err);
        if (st == LM_OK)
            st = lm_pairs_result_to_pubtator(&res, LM_PAIR_INDUCES,
                                             a->relation && strcmp(a->relation, "all") != 0
                                                 ? a->relation
                                                 : "CID",
                                             pd, &err);
    }
    if (rc == LM_EXIT_OK && st != LM_OK) {
        lm_cli_error(cli, "eval cid: %s", err.msg);
        rc = lm_cli_exit_for(st);
    }
    lm_ner_mentions_free(&mentions);
    lm_pairs_result_free(&res);
    lm_doc_free(&doc);
    lm_ner_scratch_free(ns);
    lm_pairs_scratch_free(ps);
    lm_lexicon_free(lex);
    lm_ner_model_free(ner);
    lm_pairs_model_free(pm);
    return rc;
}

static int save_corpus(const lm_cli *cli, const char *path, const lm_pt_corpus *c)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        lm_cli_error(cli, "eval cid: %s: %s", path, strerror(errno));
        return LM_EXIT_FAILURE;
    }
    lm_error err;
    lm_status st = LM_OK;
    for (size_t d = 0; d < c->n_docs && st == LM_OK; d++)
        st = lm_pubtator_write(f, &c->docs[d], &err);
    if (fclose(f) != 0 && st == LM_OK)
        st = lm_error_set(&err, LM_ERR_IO, "%s: write failed", path);
    if (st != LM_OK) {
        lm_cli_error(cli, "eval cid: %s", err.msg);
        return lm_cli_exit_for(st);
    }
    return LM_EXIT_OK;
}

static int eval_cid(const lm_cli *cli, const eval_args *a)
{
    if (!a->gold) {
        lm_cli_error(cli, "eval cid: --gold is required");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    lm_pt_corpus gold = {0}, pred = {0};
    int rc = load_corpus(cli, a->gold, &gold);
    if (rc == LM_EXIT_OK)
        rc = a->pred ? load_corpus(cli, a->pred, &pred) : predict_relations(cli, a, &gold, &pred);
    if (rc == LM_EXIT_OK && a->save_pred && !a->pred)
        rc = save_corpus(cli, a->save_pred, &pred);
    if (rc == LM_EXIT_OK) {
        const char *rel = a->relation ? a->relation : "CID";
        const char *labels[1] = {rel};
        lm_eval_opts o = {0};
        if (strcmp(rel, "all") != 0) {
            o.labels = labels;
            o.n_labels = 1;
        }
        o.unordered_pairs = a->unordered;
        o.trace = a->details ? print_item : NULL;
        o.trace_ctx = (void *)"relation";
        lm_eval_report rep;
        lm_eval_report_init(&rep);
        lm_error err;
        lm_status st = lm_eval_relations(&gold, &pred, &o, &rep, &err);
        if (st == LM_OK) {
            lm_eval_report_print(stdout, "relations (doc-level)", &rep);
        } else {
            lm_cli_error(cli, "%s", err.msg);
            rc = lm_cli_exit_for(st);
        }
        lm_eval_report_free(&rep);
    }
    lm_pt_corpus_free(&gold);
    lm_pt_corpus_free(&pred);
    return rc;
}

static int eval_bc2gm(const lm_cli *cli, const eval_args *a)
{
    if (!a->gold || !a->pred) {
        lm_cli_error(cli, "eval bc2gm: --gold and --pred are required");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    lm_eval_gm_set gene, alt, pred;
    lm_eval_gm_set_init(&gene);
    lm_eval_gm_set_init(&alt);
    lm_eval_gm_set_init(&pred);
    lm_error err;
    lm_status st = lm_eval_gm_load(a->gold, &gene, &err);
    if (st == LM_OK && a->alt)
        st = lm_eval_gm_load(a->alt, &alt, &err);
    if (st == LM_OK)
        st = lm_eval_gm_load(a->pred, &pred, &err);
    lm_eval_row row = {0};
    if (st == LM_OK) {
        lm_eval_opts o = {0};
        o.trace = a->details ? print_item : NULL;
        o.trace_ctx = (void *)"gene";
        st = lm_eval_gm_score(&gene, a->alt ? &alt : NULL, &pred, &o, &row, &err);
    }
    int rc = LM_EXIT_OK;
    if (st == LM_OK) {
        lm_eval_report rep = {&row, 1, row};
        lm_eval_report_print(stdout, "gene mentions", &rep);
    } else {
        lm_cli_error(cli, "%s", err.msg);
        rc = lm_cli_exit_for(st);
    }
    free(row.label);
    lm_eval_gm_set_free(&gene);
    lm_eval_gm_set_free(&alt);
    lm_eval_gm_set_free(&pred);
    return rc;
}

/* ---- normalization accuracy ---- */

static void add_part(void *ctx, const char *part, size_t len)
{
    lm_buf *b = ctx;
    if (b->len)
        lm_buf_append_char(b, '|');
    lm_buf_append(b, part, len);
}

/* Canonical comparison form of an id column: prefixes stripped, parts in
 * written order (gold composites list parts in mention order, and so do
 * the lexicon's, which come from the same annotations). */
static void canonical_ids(const char *id, lm_buf *out)
{
    lm_buf_reset(out);
    lm_eval_split_ids(id, add_part, out);
}

typedef struct norm_row {
    long n, correct, missing;
} norm_row;

static int get_lexicon(const lm_cli *cli, const eval_args *a, lm_lexicon **lex)
{
    lm_error err;
    lm_status st;
    if (a->n_train) {
        lm_lexicon_builder *b = NULL;
        st = lm_lexicon_builder_init(&b, &err);
        for (int i = 0; i < a->n_train && st == LM_OK; i++)
            st = lm_lexicon_import_pubtator(b, a->train[i], NULL, &err);
        if (st == LM_OK && a->lexicon) {
            lm_lexicon *base;
            st = lm_lexicon_load(a->lexicon, &base, &err);
            if (st == LM_OK) {
                st = lm_lexicon_builder_add_lexicon(b, base, &err);
                lm_lexicon_free(base);
            }
        }
        if (st == LM_OK)
            st = lm_lexicon_builder_finish(b, lex, &err);
        if (b)
            lm_lexicon_builder_free(b);
    } else {
        lm_buf path;
        lm_buf_init(&path);
        st = a->lexicon ? LM_OK : lm_lexicon_default_path(cli->config, &path, &err);
        if (st == LM_OK)
            st = lm_lexicon_load(a->lexicon ? a->lexicon : lm_buf_cstr(&path), lex, &err);
        lm_buf_free(&path);
    }
    if (st != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        return lm_cli_exit_for(st);
    }
    return LM_EXIT_OK;
}

static int eval_norm(const lm_cli *cli, const eval_args *a)
{
    if (!a->gold) {
        lm_cli_error(cli, "eval norm: --gold is required");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    lm_lexicon *lex = NULL;
    lm_pt_corpus gold = {0};
    int rc = get_lexicon(cli, a, &lex);
    if (rc == LM_EXIT_OK)
        rc = load_corpus(cli, a->gold, &gold);
    if (rc != LM_EXIT_OK) {
        lm_lexicon_free(lex);
        return rc;
    }
    static const lm_lex_type types[3] = {LM_LEX_CHEMICAL, LM_LEX_DISEASE, LM_LEX_GENE};
    norm_row rows[3] = {{0}};
    lm_buf want, got;
    lm_buf_init(&want);
    lm_buf_init(&got);
    for (size_t d = 0; d < gold.n_docs; d++) {
        const lm_pt_doc *doc = &gold.docs[d];
        for (size_t m = 0; m < doc->n_mentions; m++) {
            const lm_pt_mention *mn = &doc->mentions[m];
            lm_lex_type t = lm_lex_type_from_name(mn->type);
            if (t == LM_LEX_ANY)
                continue;
            if (a->n_types) {
                int ok = 0;
                for (size_t k = 0; k < a->n_types; k++)
                    ok |= lm_lex_type_from_name(a->types[k]) == t;
                if (!ok)
                    continue;
            }
            canonical_ids(mn->id, &want);
            if (want.len == 0)
                continue;   /* -1: no concept to find */
            norm_row *r = &rows[t == LM_LEX_CHEMICAL ? 0 : t == LM_LEX_DISEASE ? 1 : 2];
            r->n++;
            lm_lexicon_match match;
            if (!lm_lexicon_lookup_mention(lex, t, a->ns, mn->text, strlen(mn->text), &match,
                                           1)) {
                r->missing++;
                if (a->details)
                    printf("INFO\tMISS\t%s\t%s\t%s\t%s\n", doc->pmid, mn->type, mn->text,
                           lm_buf_cstr(&want));
                continue;
            }
            canonical_ids(match.id, &got);
            int ok = strcmp(lm_buf_cstr(&got), lm_buf_cstr(&want)) == 0;
            r->correct += ok;
            if (a->details && !ok)
                printf("INFO\tWRONG\t%s\t%s\t%s\t%s\t%s\n", doc->pmid, mn->type, mn->text,
                       lm_buf_cstr(&want), lm_buf_cstr(&got));
        }
    }
    printf("%-22s %7s %7s %7s %9s\n", "normalization", "gold", "correct", "no-id", "accuracy");
    norm_row all = {0};
    for (int i = 0; i < 3; i++) {
        if (!rows[i].n)
            continue;
        printf("%-22s %7ld %7ld %7ld %9.4f\n", lm_lex_type_name(types[i]), rows[i].n,
               rows[i].correct, rows[i].missing, (double)rows[i].correct / (double)rows[i].n);
        all.n += rows[i].n;
        all.correct += rows[i].correct;
        all.missing += rows[i].missing;
    }
    printf("%-22s %7ld %7ld %7ld %9.4f\n", "ALL", all.n, all.correct, all.missing,
           all.n ? (double)all.correct / (double)all.n : 0.0);
    lm_buf_free(&want);
    lm_buf_free(&got);
    lm_lexicon_free(lex);
    lm_pt_corpus_free(&gold);
    return LM_EXIT_OK;
}

int lm_cmd_eval(lm_cli *cli, int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return LM_EXIT_OK;
    }
    if (argc < 2) {
        lm_cli_error(cli, "eval: which evaluation? (ner, cid, bc2gm, norm, search)");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    const char *mode = argv[1];
    if (strcmp(mode, "search") == 0)
        return lm_cmd_eval_search(cli, argc - 1, argv + 1);
    static const struct option options[] = {
        {"gold", required_argument, NULL, 'g'},   {"pred", required_argument, NULL, 'p'},
        {"alt", required_argument, NULL, 'a'},    {"types", required_argument, NULL, 't'},
        {"relation", required_argument, NULL, 'r'}, {"unordered", no_argument, NULL, 'u'},
        {"lexicon", required_argument, NULL, 'l'}, {"train", required_argument, NULL, 'T'},
        {"details", no_argument, NULL, 'd'},      {"namespace", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {"gold-entities", no_argument, NULL, 'G'}, {"pairs-model", required_argument, NULL, 'P'},
        {"ner-model", required_argument, NULL, 'N'}, {"save-pred", required_argument, NULL, 'S'},
        {"gold-spans", no_argument, NULL, 'W'},
        {NULL, 0, NULL, 0}};
    eval_args a;
    memset(&a, 0, sizeof a);
    opterr = 0;
    optind = 1;
    int c, rc = LM_EXIT_OK;
    while (rc == LM_EXIT_OK &&
           (c = getopt_long(argc - 1, argv + 1, "+h", options, NULL)) != -1) {
        switch (c) {
        case 'g': a.gold = optarg; break;
        case 'p': a.pred = optarg; break;
        case 'a': a.alt = optarg; break;
        case 'r': a.relation = optarg; break;
        case 'u': a.unordered = 1; break;
        case 'l': a.lexicon = optarg; break;
        case 'd': a.details = 1; break;
        case 'n': a.ns = optarg; break;
        case 'G': a.gold_entities = 1; break;
        case 'P': a.pairs_model = optarg; break;
        case 'N': a.ner_model = optarg; break;
        case 'S': a.save_pred = optarg; break;
        case 'W': a.gold_spans = 1; break;
        case 'T':
            if (a.n_train == (int)(sizeof a.train / sizeof a.train[0])) {
                lm_cli_error(cli, "eval: too many --train corpora");
                rc = LM_EXIT_USAGE;
            } else {
                a.train[a.n_train++] = optarg;
            }
            break;
        case 't':
            if (split_types(cli, &a, optarg) != 0)
                rc = LM_EXIT_USAGE;
            for (size_t i = 0; rc == LM_EXIT_OK && i < a.n_types; i++)
                if (!lm_eval_canonical_type(a.types[i])) {
                    lm_cli_error(cli, "eval: unknown type '%s' (Chemical, Disease, Gene)",
                                 a.types[i]);
                    rc = LM_EXIT_USAGE;
                }
            break;
        case 'h': fputs(usage, stdout); free(a.types_buf); return LM_EXIT_OK;
        default:
            lm_cli_error(cli, "eval: unknown or incomplete option '%s'", argv[optind]);
            fputs(usage, stderr);
            rc = LM_EXIT_USAGE;
        }
    }
    if (rc == LM_EXIT_OK && optind + 1 < argc) {
        lm_cli_error(cli, "eval: unexpected argument '%s'", argv[optind + 1]);
        fputs(usage, stderr);
        rc = LM_EXIT_USAGE;
    }
    if (rc == LM_EXIT_OK && ((a.gold_spans && a.gold_entities) || (a.save_pred && a.pred))) {
        lm_cli_error(cli, "eval: %s",
                     a.gold_spans && a.gold_entities
                         ? "--gold-spans and --gold-entities exclude each other"
                         : "--save-pred writes litmine's predictions: not with --pred");
        rc = LM_EXIT_USAGE;
    }
    if (rc == LM_EXIT_OK) {
        if (strcmp(mode, "ner") == 0)
            rc = eval_ner(cli, &a);
        else if (strcmp(mode, "cid") == 0)
            rc = eval_cid(cli, &a);
        else if (strcmp(mode, "bc2gm") == 0)
            rc = eval_bc2gm(cli, &a);
        else if (strcmp(mode, "norm") == 0)
            rc = eval_norm(cli, &a);
        else {
            lm_cli_error(cli, "eval: unknown evaluation '%s' (ner, cid, bc2gm, norm)", mode);
            fputs(usage, stderr);
            rc = LM_EXIT_USAGE;
        }
    }
    free(a.types_buf);
    return rc;
}
