/*
 * `litmine eval ner|cid|bc2gm|norm` — score predictions against gold
 * corpora with the official rules implemented in nlp/lm_eval.
 *
 *   ner    mention-level strict P/R/F1 per type, then document-level
 *          concept-id P/R/F1 (the BioCreative V CDR "mention" and "id"
 *          evaluations)
 *   cid    document-level relation pairs (BioCreative V CID); without --pred
 *          from litmine's own pipeline: the ingest stages run on each gold
 *          document (or, with --via-ingest, the documents are ingested as
 *          PubMed XML into a temporary database and the exported pairs
 *          scored), so the figure is the decision `export pairs` ships;
 *          --gold-entities and --gold-spans cut the chain short so that the
 *          end-to-end loss can be split between NER, normalization and the
 *          pair classifier
 *   bc2gm  BioCreative II gene mention with ALTGENE alternatives
 *   norm   normalization accuracy: the id the ner stage's normalization gives
 *          every gold Chemical and Disease span, in its document (so that
 *          abbreviations defined there count), against the gold id; the
 *          mentions with MeSH descriptor ids alone also on their own rows
 *          when supplementary ids are among the gold
 *
 * Each mode obtains its predictions through one function, so that a mode
 * which runs litmine's own pipeline when --pred is absent only has to fill
 * in that function (see predict_relations).
 */
#include "../fetch/lm_pubmed.h"
#include "../nlp/eval/lm_bioc.h"
#include "../nlp/eval/lm_eval.h"
#include "../nlp/lm_lexicon.h"
#include "../nlp/lm_ner.h"
#include "../nlp/lm_pairs.h"
#include "../pipeline/lm_ingest.h"
#include "../pipeline/lm_stage.h"
#include "../store/lm_store_export.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: litmine eval ner   --gold GOLD.PubTator --pred PRED.PubTator [--types T,...]\n"
    "       litmine eval cid   --gold GOLD.PubTator --pred PRED.PubTator [--relation R]\n"
    "                          [--unordered] [--newer-mesh]\n"
    "       litmine eval cid   --gold GOLD.PubTator [--via-ingest [--keep-db FILE] |\n"
    "                          --gold-entities | --gold-spans] [--ner-model FILE|DIR]\n"
    "                          [--lexicon FILE] [--pairs-model FILE] [--save-pred FILE]\n"
    "                          [--newer-mesh]\n"
    "       litmine eval bc2gm --gold GENE.eval [--alt ALTGENE.eval] --pred PRED.eval\n"
    "       litmine eval norm  --gold GOLD.PubTator [--lexicon FILE | --train CORPUS]...\n"
    "                          [--types T,...] [--namespace NS] [--newer-mesh]\n"
    "       litmine eval search --corpus C.jsonl[.gz] --queries Q.jsonl --qrels Q.tsv [--mode M]\n"
    "\n"
    "Scores predictions with the official BioCreative rules:\n"
    "  ner    strict mention spans (pmid, start, end, type) per type and micro-averaged,\n"
    "         then document-level concept ids (composites split, -1 ignored)\n"
    "  cid    document-level relation pairs (pmid, id1, id2) of type R (default CID;\n"
    "         'all' for every type); --unordered for symmetric relations.  Without\n"
    "         --pred litmine predicts them: the ingest pipeline's stages on the gold\n"
    "         text (pairs labelled induces), or --via-ingest: the documents ingested\n"
    "         as PubMed XML into a temporary database (--keep-db FILE: into FILE,\n"
    "         kept) and its exported pairs (the same figure), or the classifier\n"
    "         alone on the gold mentions\n"
    "         (--gold-entities), or on the gold spans normalised (--gold-spans: no\n"
    "         NER errors); --save-pred writes the predictions (mentions, relations)\n"
    "  bc2gm  gene mentions in BC2GM offsets, alternatives from ALTGENE count as hits\n"
    "  norm   fraction of gold mentions whose id (normalised as the pipeline does,\n"
    "         abbreviations of the document included) equals the gold id; the\n"
    "         lexicon is FILE, or built in memory from\n"
    "         the annotations of the --train corpora (repeatable), or the default\n"
    "         models/lexicon.bin; --namespace MESH: only accepts ids of that namespace;\n"
    "         when some gold ids are MeSH supplementary records, the mentions with\n"
    "         descriptor ids alone are scored again on their own rows\n"
    "  --newer-mesh (cid, norm): a MeSH descriptor newer than the gold's edition\n"
    "         (created from 2016 on) given to a gold mention counts as its gold id\n"
    "         in that document: what the MeSH edition gap costs, at most\n"
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
    int via_ingest;                      /* ... ingest into a temporary database */
    const char *keep_db;                 /* ... or into this one, kept */
    const char *pairs_model, *ner_model;
    const char *save_pred;               /* cid: predicted mentions + relations out (the
                                          * mentions are kept for --newer-mesh too) */
    int newer_mesh;                      /* cid, norm: lm_eval_map_newer_mesh */
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

/* The usage error of a mode run without the files it needs. */
static int missing(const lm_cli *cli, const char *mode, const char *what)
{
    lm_cli_error(cli, "eval %s: %s", mode, what);
    fputs(usage, stderr);
    return LM_EXIT_USAGE;
}

/* The exit status for st, after saying why it failed ("eval MODE: " first
 * when mode is not NULL). */
static int finish(const lm_cli *cli, const char *mode, lm_status st, const lm_error *err)
{
    if (st == LM_OK)
        return LM_EXIT_OK;
    if (mode)
        lm_cli_error(cli, "eval %s: %s", mode, err->msg);
    else
        lm_cli_error(cli, "%s", err->msg);
    return lm_cli_exit_for(st);
}

static int load_corpus(const lm_cli *cli, const char *path, lm_pt_corpus *c)
{
    lm_error err;
    lm_status st = lm_corpus_load(path, c, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        return lm_cli_exit_for(st);
    }
    return LM_EXIT_OK;
}

static int eval_ner(const lm_cli *cli, const eval_args *a)
{
    if (!a->gold || !a->pred)
        return missing(cli, "ner", "--gold and --pred are required");
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
        rc = finish(cli, NULL, st, &err);
    }
    lm_eval_report_free(&rep);
    lm_pt_corpus_free(&gold);
    lm_pt_corpus_free(&pred);
    return rc;
}

static int get_lexicon(const lm_cli *cli, const eval_args *a, lm_lexicon **lex);

/* A copy of an id column without the "MESH:" prefix of each of its parts
 * ("MESH:D006470|MESH:D003556" -> "D006470|D003556"), as the gold writes
 * ids; NULL when memory runs out. */
static char *unqualified_ids(const char *id)
{
    char *out = malloc(strlen(id) + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (const char *p = id; *p;) {
        p = lm_id_bare_mesh(p);
        while (*p && *p != '|')
            out[n++] = *p++;
        if (*p == '|')
            out[n++] = *p++;
    }
    out[n] = '\0';
    return out;
}

/* Copies the text and the chemical/disease mentions litmine used (with
 * their unqualified ids) into pd, so that --save-pred shows where an
 * end-to-end pair was lost: a missed mention or a wrong or missing id.
 * The mentions index doc's text, which the PubMed parser gave back with
 * whitespace runs collapsed: they are re-pointed at the gold text, which
 * the saved file and every scorer index. */
static lm_status copy_mentions(const lm_doc *doc, const lm_pt_doc *g, lm_pt_doc *pd, lm_error *err)
{
    pd->title = strdup(g->title ? g->title : "");
    pd->abstract = strdup(g->abstract ? g->abstract : "");
    pd->mentions = calloc(doc->n_mentions ? doc->n_mentions : 1, sizeof *pd->mentions);
    if (!pd->title || !pd->abstract || !pd->mentions)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < doc->n_mentions; i++) {
        const lm_doc_mention *m = &doc->mentions[i];
        if (m->type != LM_ENT_CHEMICAL && m->type != LM_ENT_DISEASE)
            continue;
        lm_pt_mention *o = &pd->mentions[pd->n_mentions++];
        o->start = m->start;
        o->end = m->end;
        o->text = strdup(m->text ? m->text : "");
        o->type = strdup(lm_ent_type_name(m->type));
        o->id = unqualified_ids(m->concept_id ? m->concept_id : "-1");
        if (!o->text || !o->type || !o->id)
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    return lm_pubtator_map_offsets(g->text ? g->text : "", doc->text ? doc->text : "",
                                   pd->mentions, pd->n_mentions, err);
}

/* The configuration the pipeline's stages read their models from: the
 * user's [models] (and [ner] model) settings with --ner-model (a CRF file,
 * or a transformer directory), --lexicon and --pairs-model over them. */
static int stage_config(const lm_cli *cli, const eval_args *a, lm_config **out)
{
    static const char *const keys[3] = {"ner", "lexicon", "pairs"};
    const char *flags[3] = {a->ner_model, a->lexicon, a->pairs_model};
    lm_error err;
    lm_status st = lm_config_init(out, &err);
    if (st == LM_OK)
        st = lm_config_set(*out, "models", "dir",
                           lm_config_get_or(cli->config, "models", "dir",
                                            lm_ner_default_model_dir()),
                           &err);
    /* A transformer tagger: --ner-model DIR, or [ner] model when no
     * --ner-model is given. */
    struct stat sb;
    const char *encoder = a->ner_model ? NULL : lm_config_get(cli->config, "ner", "model");
    if (a->ner_model && stat(a->ner_model, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        encoder = a->ner_model;
        flags[0] = NULL;
    }
    if (st == LM_OK && encoder)
        st = lm_config_set(*out, "ner", "model", encoder, &err);
    const char *agg = lm_config_get(cli->config, "ner", "aggregation");
    if (st == LM_OK && encoder && agg)
        st = lm_config_set(*out, "ner", "aggregation", agg, &err);
    for (int i = 0; i < 3 && st == LM_OK; i++) {
        const char *v = flags[i] ? flags[i] : lm_config_get(cli->config, "models", keys[i]);
        if (v)
            st = lm_config_set(*out, "models", keys[i], v, &err);
    }
    if (st != LM_OK) {
        lm_cli_error(cli, "eval cid: %s", err.msg);
        lm_config_free(*out);
        *out = NULL;
        return lm_cli_exit_for(st);
    }
    return LM_EXIT_OK;
}

/* The chain a user's ingest runs, without embeddings. */
#define CID_STAGES "sentences,ner,pairs"

static int load_chain(const lm_cli *cli, const eval_args *a, lm_stage_chain *chain)
{
    lm_config *cfg = NULL;
    int rc = stage_config(cli, a, &cfg);
    if (rc != LM_EXIT_OK)
        return rc;
    lm_error err;
    lm_status st = lm_stage_chain_init(chain, CID_STAGES, cfg, &err);
    lm_config_free(cfg);
    return finish(cli, "cid", st, &err);
}

/* A predicted pair labelled induces becomes a relation line of pd. */
static lm_status add_cid(lm_pt_doc *pd, const char *rel_type, const char *relation,
                         const char *chem, const char *dis, lm_error *err)
{
    if (!relation || strcmp(relation, "induces") != 0 || !chem || !dis)
        return LM_OK;
    return lm_pairs_add_relation(pd, rel_type, chem, dis, err);
}

static const char *cid_label(const eval_args *a)
{
    return a->relation && strcmp(a->relation, "all") != 0 ? a->relation : "CID";
}

/* out gets one document per gold document, with its PMID. */
static lm_status init_pred(const lm_pt_corpus *gold, lm_pt_corpus *out, lm_error *err)
{
    out->docs = calloc(gold->n_docs ? gold->n_docs : 1, sizeof *out->docs);
    if (!out->docs)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    for (size_t d = 0; d < gold->n_docs; d++) {
        lm_pt_doc *pd = &out->docs[out->n_docs++];
        lm_pt_doc_init(pd);
        pd->pmid = strdup(gold->docs[d].pmid ? gold->docs[d].pmid : "");
        if (!pd->pmid)
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    return LM_OK;
}

typedef struct pmid_index {
    int64_t pmid;
    size_t doc;
} pmid_index;

static int cmp_pmid_index(const void *x, const void *y)
{
    const pmid_index *a = x, *b = y;
    return a->pmid < b->pmid ? -1 : a->pmid > b->pmid;
}

/* The gold documents by PMID. */
static lm_status index_pmids(const lm_pt_corpus *gold, pmid_index **out, lm_error *err)
{
    pmid_index *index = calloc(gold->n_docs ? gold->n_docs : 1, sizeof *index);
    if (!index)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    for (size_t d = 0; d < gold->n_docs; d++)
        index[d] = (pmid_index){gold->docs[d].pmid ? strtoll(gold->docs[d].pmid, NULL, 10) : 0,
                                d};
    if (gold->n_docs > 1)
        qsort(index, gold->n_docs, sizeof *index, cmp_pmid_index);
    *out = index;
    return LM_OK;
}

typedef struct ingest_pred {
    const eval_args *a;
    const lm_pt_corpus *gold;
    lm_pt_corpus *out;
    pmid_index *index;
    size_t n;
    lm_error *err;
    /* predict_pipeline only: the stages and their scratch */
    const lm_stage_chain *chain;
    void **scratch;
    lm_doc doc;
} ingest_pred;

static size_t pred_index(const ingest_pred *ip, int64_t pmid)
{
    pmid_index key = {pmid, 0};
    const pmid_index *hit = bsearch(&key, ip->index, ip->n, sizeof key, cmp_pmid_index);
    return hit ? hit->doc : SIZE_MAX;
}

static lm_pt_doc *pred_doc(const ingest_pred *ip, int64_t pmid)
{
    size_t d = pred_index(ip, pmid);
    return d == SIZE_MAX ? NULL : &ip->out->docs[d];
}

/* One article from the parser: the stages, as an ingest worker runs them. */
static lm_status pipeline_article(void *ctx, lm_article *art, lm_error *err)
{
    ingest_pred *ip = ctx;
    size_t d = pred_index(ip, art->pmid);
    if (d == SIZE_MAX)
        return LM_OK;
    lm_doc_free(&ip->doc);
    lm_status st = lm_doc_set_text(&ip->doc, art->title, art->abstract, err);
    for (int i = 0; st == LM_OK && i < ip->chain->n; i++)
        st = ip->chain->ops[i]->process(ip->chain->state[i], ip->scratch[i], art, &ip->doc,
                                        err);
    if (st == LM_OK && (ip->a->save_pred || ip->a->newer_mesh))
        st = copy_mentions(&ip->doc, &ip->gold->docs[d], &ip->out->docs[d], err);
    for (size_t i = 0; st == LM_OK && i < ip->doc.n_pairs; i++)
        st = add_cid(&ip->out->docs[d], cid_label(ip->a), ip->doc.pairs[i].relation,
                     ip->doc.pairs[i].chem_id, ip->doc.pairs[i].dis_id, err);
    return st;
}

/* End to end, as ingest does it: the gold documents are written as PubMed
 * XML and read back by the PubMed parser (so the stages see the text an
 * ingest gives them), the pipeline's sentences, ner and pairs stages
 * (their code, models and thresholds) run on each article, and the pairs
 * they label induces are the predictions. */
static int predict_pipeline(const lm_cli *cli, const eval_args *a, const lm_pt_corpus *gold,
                            lm_pt_corpus *out)
{
    lm_stage_chain chain;
    int rc = load_chain(cli, a, &chain);
    if (rc != LM_EXIT_OK)
        return rc;
    lm_error err;
    void *scratch[LM_STAGE_MAX] = {0};
    ingest_pred ip = {a, gold, out, NULL, gold->n_docs, &err, &chain, scratch, {0}};
    lm_doc_init(&ip.doc);
    lm_status st = init_pred(gold, out, &err);
    if (st == LM_OK)
        st = index_pmids(gold, &ip.index, &err);
    for (int i = 0; st == LM_OK && i < chain.n; i++)
        st = chain.ops[i]->scratch_init(chain.state[i], &scratch[i], &err);
    char *xml = NULL;
    size_t xml_len = 0;
    FILE *mem = st == LM_OK ? open_memstream(&xml, &xml_len) : NULL;
    if (st == LM_OK && !mem)
        st = lm_error_set(&err, LM_ERR_NOMEM, "out of memory");
    if (mem) {
        st = lm_pubtator_write_pubmed(mem, gold, &err);
        if (fclose(mem) != 0 && st == LM_OK)
            st = lm_error_set(&err, LM_ERR_NOMEM, "out of memory");
    }
    lm_pubmed_parser *parser = NULL;
    lm_pubmed_handler h = {.on_article = pipeline_article, .ctx = &ip};
    if (st == LM_OK)
        st = lm_pubmed_parser_init(&parser, "eval corpus", &h, &err);
    if (st == LM_OK)
        st = lm_pubmed_parser_feed(parser, xml, xml_len, &err);
    if (st == LM_OK)
        st = lm_pubmed_parser_finish(parser, &err);
    lm_pubmed_parser_free(parser);
    free(xml);
    free(ip.index);
    lm_doc_free(&ip.doc);
    for (int i = 0; i < chain.n; i++)
        if (scratch[i])
            chain.ops[i]->scratch_free(scratch[i]);
    lm_stage_chain_free(&chain);
    return finish(cli, "cid", st, &err);
}

static lm_status ingested_pair(void *ctx, const lm_pair_row *r)
{
    const ingest_pred *ip = ctx;
    lm_pt_doc *pd = pred_doc(ip, r->pmid);
    return pd ? add_cid(pd, cid_label(ip->a), r->relation, r->chemical_id, r->disease_id,
                        ip->err)
              : LM_OK;
}

static lm_status ingested_mention(void *ctx, const lm_mention_row *r)
{
    const ingest_pred *ip = ctx;
    lm_pt_doc *pd = pred_doc(ip, r->pmid);
    if (!pd || (strcmp(r->type, "Chemical") != 0 && strcmp(r->type, "Disease") != 0))
        return LM_OK;
    lm_pt_mention *v = realloc(pd->mentions, (pd->n_mentions + 1) * sizeof *v);
    if (!v)
        return lm_error_set(ip->err, LM_ERR_NOMEM, "out of memory");
    pd->mentions = v;
    lm_pt_mention m = {r->start, r->end, strdup(r->text), strdup(r->type),
                       unqualified_ids(r->concept_id ? r->concept_id : "-1")};
    pd->mentions[pd->n_mentions++] = m;
    if (!m.text || !m.type || !m.id)
        return lm_error_set(ip->err, LM_ERR_NOMEM, "out of memory");
    return LM_OK;
}

/* Copies the gold titles and abstracts into the predictions (--save-pred
 * shows the text the mentions point into). */
static lm_status copy_text(const lm_pt_corpus *gold, lm_pt_corpus *out, lm_error *err)
{
    for (size_t d = 0; d < gold->n_docs; d++) {
        out->docs[d].title = strdup(gold->docs[d].title ? gold->docs[d].title : "");
        out->docs[d].abstract = strdup(gold->docs[d].abstract ? gold->docs[d].abstract : "");
        if (!out->docs[d].title || !out->docs[d].abstract)
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    return LM_OK;
}

/* The exported mentions index the text the database holds (the PubMed
 * parser's, whitespace runs collapsed): re-pointed at the gold text. */
static lm_status repoint_ingested(lm_store *store, const lm_pt_corpus *gold, lm_pt_corpus *out,
                                  lm_error *err)
{
    lm_article art;
    lm_article_init(&art);
    lm_doc doc;
    lm_doc_init(&doc);
    lm_status st = LM_OK;
    for (size_t d = 0; st == LM_OK && d < out->n_docs; d++) {
        lm_pt_doc *pd = &out->docs[d];
        if (!pd->n_mentions)
            continue;
        st = lm_store_get_article(store, strtoll(pd->pmid, NULL, 10), &art, NULL, NULL, err);
        if (st == LM_OK)
            st = lm_doc_set_text(&doc, art.title, art.abstract, err);
        if (st == LM_OK)
            st = lm_pubtator_map_offsets(gold->docs[d].text ? gold->docs[d].text : "", doc.text,
                                         pd->mentions, pd->n_mentions, err);
    }
    lm_doc_free(&doc);
    lm_article_free(&art);
    return st;
}

/* --via-ingest: as a user meets it.  The gold documents are written as
 * PubMed XML into a temporary directory, ingested into a new database there
 * (or into --keep-db FILE, which stays for `litmine export`) through the
 * real pipeline (lm_ingest_file, worker threads and all), and the pairs
 * `litmine export pairs` would print are the predictions. */
static int predict_via_ingest(const lm_cli *cli, const eval_args *a, const lm_pt_corpus *gold,
                              lm_pt_corpus *out)
{
    char dir[] = "/tmp/litmine-eval-XXXXXX";
    if (!mkdtemp(dir)) {
        lm_cli_error(cli, "eval cid: temporary directory: %s", strerror(errno));
        return LM_EXIT_FAILURE;
    }
    char xml[sizeof dir + 32], tmp_db[sizeof dir + 32];
    snprintf(xml, sizeof xml, "%s/corpus.xml", dir);
    snprintf(tmp_db, sizeof tmp_db, "%s/eval.db", dir);
    const char *db = a->keep_db ? a->keep_db : tmp_db;
    lm_error err;
    pmid_index *index = NULL;
    lm_status st = init_pred(gold, out, &err);
    if (st == LM_OK)
        st = index_pmids(gold, &index, &err);
    if (st == LM_OK) {
        FILE *f = fopen(xml, "w");
        if (!f) {
            st = lm_error_set(&err, LM_ERR_IO, "%s: %s", xml, strerror(errno));
        } else {
            st = lm_pubtator_write_pubmed(f, gold, &err);
            if (fclose(f) != 0 && st == LM_OK)
                st = lm_error_set(&err, LM_ERR_IO, "%s: write failed", xml);
        }
    }
    int rc = st == LM_OK ? LM_EXIT_OK : LM_EXIT_FAILURE;
    if (rc != LM_EXIT_OK)
        lm_cli_error(cli, "eval cid: %s", err.msg);
    lm_stage_chain chain;
    int have_chain = 0;
    if (rc == LM_EXIT_OK && (rc = load_chain(cli, a, &chain)) == LM_EXIT_OK)
        have_chain = 1;
    lm_store *store = NULL;
    if (rc == LM_EXIT_OK && a->keep_db && access(a->keep_db, F_OK) == 0) {
        lm_cli_error(cli, "eval cid: --keep-db %s exists: give a new file", a->keep_db);
        rc = LM_EXIT_USAGE;
    }
    if (rc == LM_EXIT_OK && (st = lm_store_open(&store, db, NULL, &err)) != LM_OK) {
        lm_cli_error(cli, "eval cid: %s", err.msg);
        rc = lm_cli_exit_for(st);
    }
    if (rc == LM_EXIT_OK) {
        lm_ingest_options opts = {.chain = &chain,
                                  .on_warning = lm_cli_print_warning,
                                  .warning_ctx = (void *)cli};
        lm_ingest_result res;
        st = lm_ingest_file(store, xml, &opts, &res, &err);
        if (st == LM_OK && res.counts.failed)
            st = lm_error_set(&err, LM_ERR_FORMAT, "%lld articles failed in the pipeline",
                              (long long)res.counts.failed);
        ingest_pred ip = {a, gold, out, index, gold->n_docs, &err, NULL, NULL, {0}};
        lm_export_filter f;
        memset(&f, 0, sizeof f);
        if (st == LM_OK)
            st = lm_store_export_pairs(store, &f, ingested_pair, &ip, &err);
        /* the mentions: for --save-pred, and for --newer-mesh, which reads
         * the ids of the mentions overlapping the gold ones */
        int with_mentions = a->save_pred || a->newer_mesh;
        if (st == LM_OK && with_mentions)
            st = copy_text(gold, out, &err);
        if (st == LM_OK && with_mentions)
            st = lm_store_export_mentions(store, &f, ingested_mention, &ip, &err);
        if (st == LM_OK && with_mentions)
            st = repoint_ingested(store, gold, out, &err);
        if (st != LM_OK) {
            lm_cli_error(cli, "eval cid: %s", err.msg);
            rc = lm_cli_exit_for(st);
        }
    }
    lm_store_close(store);
    if (have_chain)
        lm_stage_chain_free(&chain);
    free(index);
    /* the database, its WAL and the XML: nothing else was written there */
    static const char *const files[] = {"corpus.xml", "eval.db", "eval.db-wal", "eval.db-shm",
                                        "eval.db.lock"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[sizeof dir + 32];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
    return rc;
}

/* --gold-entities and --gold-spans cut the chain short, to split the end
 * to end loss: the pair classifier's decision on the gold mentions with
 * their ids, or on the gold spans normalised as the ner stage does it. */
static int predict_from_gold(const lm_cli *cli, const eval_args *a, const lm_pt_corpus *gold,
                             lm_pt_corpus *out)
{
    lm_error err;
    lm_status st = LM_OK;
    lm_buf path;
    lm_buf_init(&path);
    lm_pairs_model *pm = NULL;
    lm_lexicon *lex = NULL;
    int rc = LM_EXIT_OK;
    const char *pairs = a->pairs_model ? a->pairs_model
                                       : lm_config_get(cli->config, "models", "pairs");
    if (!pairs)
        st = lm_pairs_default_path(cli->config, &path, &err);
    if (st == LM_OK)
        st = lm_pairs_model_load(pairs ? pairs : lm_buf_cstr(&path), &pm, &err);
    lm_buf_free(&path);
    if (st != LM_OK) {
        lm_cli_error(cli, "eval cid: %s (train one with `litmine train pairs`)", err.msg);
        rc = lm_cli_exit_for(st);
    }
    /* the lexicon normalises the gold spans, and gives the classifier the
     * concepts' MeSH trees as the pipeline does */
    if (rc == LM_EXIT_OK)
        rc = get_lexicon(cli, a, &lex);
    if (rc == LM_EXIT_OK)
        lm_pairs_model_use_lexicon(pm, lex);
    lm_pairs_scratch *ps = NULL;
    if (rc == LM_EXIT_OK && (st = lm_pairs_scratch_init(&ps, &err)) == LM_OK)
        st = init_pred(gold, out, &err);
    lm_doc doc;
    lm_doc_init(&doc);
    lm_pairs_result res;
    lm_pairs_result_init(&res);
    lm_ner_mentions mentions;
    lm_ner_mentions_init(&mentions);
    for (size_t d = 0; rc == LM_EXIT_OK && st == LM_OK && d < gold->n_docs; d++) {
        const lm_pt_doc *g = &gold->docs[d];
        lm_pt_doc *pd = &out->docs[d];
        if (a->gold_entities) {
            st = lm_pairs_doc_from_pubtator(g, &doc, &err);
        } else {
            lm_pt_doc text_only = *g;   /* shallow: only its text is read */
            text_only.n_mentions = 0;
            text_only.n_relations = 0;
            st = lm_pairs_doc_from_pubtator(&text_only, &doc, &err);
            if (st == LM_OK)
                st = lm_pairs_gold_as_ner(g, &doc, 1, &mentions, &err);
            if (st == LM_OK)
                st = lm_pairs_doc_add_ner(&doc, &mentions, lex, NULL, &err);
        }
        if (st == LM_OK && (a->save_pred || a->newer_mesh))
            st = copy_mentions(&doc, g, pd, &err);
        if (st == LM_OK)
            st = lm_pairs_extract(pm, ps, &doc, &res, &err);
        if (st == LM_OK)
            st = lm_pairs_result_to_pubtator(&res, LM_PAIR_INDUCES, cid_label(a), pd, &err);
    }
    if (rc == LM_EXIT_OK && st != LM_OK) {
        lm_cli_error(cli, "eval cid: %s", err.msg);
        rc = lm_cli_exit_for(st);
    }
    lm_ner_mentions_free(&mentions);
    lm_pairs_result_free(&res);
    lm_doc_free(&doc);
    lm_pairs_scratch_free(ps);
    lm_lexicon_free(lex);
    lm_pairs_model_free(pm);
    return rc;
}

static int predict_relations(const lm_cli *cli, const eval_args *a, const lm_pt_corpus *gold,
                             lm_pt_corpus *out)
{
    if (a->gold_entities || a->gold_spans)
        return predict_from_gold(cli, a, gold, out);
    if (a->via_ingest)
        return predict_via_ingest(cli, a, gold, out);
    return predict_pipeline(cli, a, gold, out);
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
    return finish(cli, "cid", st, &err);
}

static int eval_cid(const lm_cli *cli, const eval_args *a)
{
    if (!a->gold)
        return missing(cli, "cid", "--gold is required");
    lm_pt_corpus gold = {0}, pred = {0};
    int rc = load_corpus(cli, a->gold, &gold);
    if (rc == LM_EXIT_OK)
        rc = a->pred ? load_corpus(cli, a->pred, &pred) : predict_relations(cli, a, &gold, &pred);
    if (rc == LM_EXIT_OK && a->save_pred && !a->pred)
        rc = save_corpus(cli, a->save_pred, &pred);
    size_t newer = 0;
    if (rc == LM_EXIT_OK && a->newer_mesh) {
        lm_error err;
        rc = finish(cli, NULL, lm_eval_map_newer_mesh(&gold, &pred, &newer, &err), &err);
    }
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
        if (st == LM_OK)
            lm_eval_report_print(stdout, "relations (doc-level)", &rep);
        if (st == LM_OK && a->newer_mesh)
            printf("newer MeSH descriptors read as the gold's ids (document, id): %zu\n", newer);
        rc = finish(cli, NULL, st, &err);
        lm_eval_report_free(&rep);
    }
    lm_pt_corpus_free(&gold);
    lm_pt_corpus_free(&pred);
    return rc;
}

static int eval_bc2gm(const lm_cli *cli, const eval_args *a)
{
    if (!a->gold || !a->pred)
        return missing(cli, "bc2gm", "--gold and --pred are required");
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

/* Are all the parts of a canonical id column MeSH descriptor ids
 * ("D" and digits)?  Supplementary concept ids ("C" and digits) need
 * NLM's supp file, which a lexicon may lack. */
static int descriptor_ids(const char *ids)
{
    for (const char *p = ids; *p;) {
        if (*p != 'D' || !isdigit((unsigned char)p[1]))
            return 0;
        p++;
        while (isdigit((unsigned char)*p))
            p++;
        if (*p == '|')
            p++;
        else if (*p)
            return 0;
    }
    return *ids != 0;
}

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
        const char *file = a->lexicon ? a->lexicon : lm_config_get(cli->config, "models", "lexicon");
        st = file ? LM_OK : lm_lexicon_default_path(cli->config, &path, &err);
        if (st == LM_OK)
            st = lm_lexicon_load(file ? file : lm_buf_cstr(&path), lex, &err);
        lm_buf_free(&path);
    }
    return finish(cli, NULL, st, &err);
}

static int eval_norm(const lm_cli *cli, const eval_args *a)
{
    if (!a->gold)
        return missing(cli, "norm", "--gold is required");
    lm_lexicon *lex = NULL;
    lm_pt_corpus gold = {0};
    int rc = get_lexicon(cli, a, &lex);
    if (rc == LM_EXIT_OK)
        rc = load_corpus(cli, a->gold, &gold);
    if (rc != LM_EXIT_OK) {
        lm_lexicon_free(lex);
        return rc;
    }
    norm_row rows[3] = {{0}}, desc[3] = {{0}};
    long newer = 0;   /* --newer-mesh: ids counted right as the gold's */
    lm_buf want, got;
    lm_buf_init(&want);
    lm_buf_init(&got);
    lm_pt_doc norm;
    lm_pt_doc_init(&norm);
    lm_error err;
    lm_status st = LM_OK;
    for (size_t d = 0; st == LM_OK && d < gold.n_docs; d++) {
        const lm_pt_doc *doc = &gold.docs[d];
        /* chemicals and diseases as the ner stage normalises them: in
         * their document, abbreviations taking their long forms' ids */
        lm_pt_doc_free(&norm);
        st = lm_pairs_renormalize(doc, lex, a->ns, &norm, &err);
        for (size_t m = 0; st == LM_OK && m < doc->n_mentions; m++) {
            const lm_pt_mention *mn = &doc->mentions[m];
            lm_ent_type t = lm_ent_type_from_label(mn->type);
            if (t == LM_ENT_ANY)
                continue;
            if (a->n_types) {
                int ok = 0;
                for (size_t k = 0; k < a->n_types; k++)
                    ok |= lm_ent_type_from_label(a->types[k]) == t;
                if (!ok)
                    continue;
            }
            canonical_ids(mn->id, &want);
            if (want.len == 0)
                continue;   /* -1: no concept to find */
            int ti = t - LM_ENT_CHEMICAL;
            norm_row *r = &rows[ti];
            norm_row *dr = ti < 2 && descriptor_ids(lm_buf_cstr(&want)) ? &desc[ti] : NULL;
            r->n++;
            if (dr)
                dr->n++;
            const char *id = NULL;
            lm_lexicon_match match;
            if (t == LM_ENT_GENE) {
                /* genes: the stage's plain lookup */
                if (lm_lexicon_lookup_ns(lex, t, a->ns, mn->text, strlen(mn->text), &match, 1))
                    id = match.id;
            } else {
                for (size_t k = 0; k < norm.n_mentions && !id; k++)
                    if (norm.mentions[k].start == mn->start && norm.mentions[k].end == mn->end &&
                        lm_ent_type_from_label(norm.mentions[k].type) == t &&
                        strcmp(norm.mentions[k].id, "-1") != 0)
                        id = norm.mentions[k].id;
            }
            if (!id) {
                r->missing++;
                if (dr)
                    dr->missing++;
                if (a->details)
                    printf("INFO\tMISS\t%s\t%s\t%s\t%s\n", doc->pmid, mn->type, mn->text,
                           lm_buf_cstr(&want));
                continue;
            }
            canonical_ids(id, &got);
            int ok = strcmp(lm_buf_cstr(&got), lm_buf_cstr(&want)) == 0;
            if (!ok && a->newer_mesh &&
                lm_eval_newer_mesh_reads_as(lm_buf_cstr(&got), lm_buf_cstr(&want))) {
                ok = 1;
                newer++;
            }
            r->correct += ok;
            if (dr)
                dr->correct += ok;
            if (a->details && !ok)
                printf("INFO\tWRONG\t%s\t%s\t%s\t%s\t%s\n", doc->pmid, mn->type, mn->text,
                       lm_buf_cstr(&want), lm_buf_cstr(&got));
        }
    }
    lm_pt_doc_free(&norm);
    if (st != LM_OK) {
        lm_cli_error(cli, "eval norm: %s", err.msg);
        lm_buf_free(&want);
        lm_buf_free(&got);
        lm_lexicon_free(lex);
        lm_pt_corpus_free(&gold);
        return lm_cli_exit_for(st);
    }
    printf("%-22s %7s %7s %7s %9s\n", "normalization", "gold", "correct", "no-id", "accuracy");
    norm_row all = {0};
    for (int i = 0; i < 3; i++) {
        if (!rows[i].n)
            continue;
        printf("%-22s %7ld %7ld %7ld %9.4f\n",
               lm_ent_type_name((lm_ent_type)(LM_ENT_CHEMICAL + i)), rows[i].n,
               rows[i].correct, rows[i].missing, (double)rows[i].correct / (double)rows[i].n);
        all.n += rows[i].n;
        all.correct += rows[i].correct;
        all.missing += rows[i].missing;
    }
    printf("%-22s %7ld %7ld %7ld %9.4f\n", "ALL", all.n, all.correct, all.missing,
           all.n ? (double)all.correct / (double)all.n : 0.0);
    /* the gold mentions with MeSH descriptor ids alone, when others (MeSH
     * supplementary records) are among them: what a lexicon without the
     * supp file can reach */
    for (int i = 0; i < 2; i++)
        if (desc[i].n && desc[i].n < rows[i].n) {
            char name[32];
            snprintf(name, sizeof name, "%s, descriptors", lm_ent_type_name((lm_ent_type)(LM_ENT_CHEMICAL + i)));
            printf("%-22s %7ld %7ld %7ld %9.4f\n", name, desc[i].n, desc[i].correct,
                   desc[i].missing, (double)desc[i].correct / (double)desc[i].n);
        }
    if (a->newer_mesh)
        printf("gold mentions right through a newer MeSH descriptor: %ld\n", newer);
    lm_buf_free(&want);
    lm_buf_free(&got);
    lm_lexicon_free(lex);
    lm_pt_corpus_free(&gold);
    return LM_EXIT_OK;
}

int lm_cmd_eval(lm_cli *cli, int argc, char **argv)
{
    if (argc >= 2 && lm_cli_is_help(argv[1])) {
        fputs(usage, stdout);
        return LM_EXIT_OK;
    }
    if (argc < 2) {
        lm_cli_error(cli, "eval: which evaluation? (ner, cid, bc2gm, norm, search)");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    const char *mode = argv[1];
    static const struct option options[] = {
        {"gold", required_argument, NULL, 'g'},   {"pred", required_argument, NULL, 'p'},
        {"alt", required_argument, NULL, 'a'},    {"types", required_argument, NULL, 't'},
        {"relation", required_argument, NULL, 'r'}, {"unordered", no_argument, NULL, 'u'},
        {"lexicon", required_argument, NULL, 'l'}, {"train", required_argument, NULL, 'T'},
        {"details", no_argument, NULL, 'd'},      {"namespace", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {"gold-entities", no_argument, NULL, 'G'}, {"pairs-model", required_argument, NULL, 'P'},
        {"ner-model", required_argument, NULL, 'N'}, {"save-pred", required_argument, NULL, 'S'},
        {"gold-spans", no_argument, NULL, 'W'},   {"via-ingest", no_argument, NULL, 'V'},
        {"keep-db", required_argument, NULL, 'K'}, {"newer-mesh", no_argument, NULL, 'M'},
        {NULL, 0, NULL, 0}};
    eval_args a;
    memset(&a, 0, sizeof a);
    lm_cli_optscan scan;
    opterr = 0;
    optind = 1;
    int c, rc = LM_EXIT_OK;
    while (rc == LM_EXIT_OK &&
           (c = lm_cli_getopt(&scan, argc - 1, argv + 1, "h", options, NULL)) != -1) {
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
        case 'V': a.via_ingest = 1; break;
        case 'K': a.keep_db = optarg; break;
        case 'M': a.newer_mesh = 1; break;
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
            lm_cli_bad_option(cli, "eval", &scan, argc - 1, argv + 1);
            fputs(usage, stderr);
            rc = LM_EXIT_USAGE;
        }
    }
    if (rc == LM_EXIT_OK && optind + 1 < argc) {
        lm_cli_error(cli, "eval: unexpected argument '%s'", argv[optind + 1]);
        fputs(usage, stderr);
        rc = LM_EXIT_USAGE;
    }
    if (rc == LM_EXIT_OK && a.newer_mesh && strcmp(mode, "cid") != 0 &&
        strcmp(mode, "norm") != 0) {
        lm_cli_error(cli, "eval: --newer-mesh is for cid and norm");
        rc = LM_EXIT_USAGE;
    }
    if (rc == LM_EXIT_OK && a.keep_db && !a.via_ingest) {
        lm_cli_error(cli, "eval: --keep-db is for --via-ingest");
        rc = LM_EXIT_USAGE;
    }
    if (rc == LM_EXIT_OK && (a.gold_spans + a.gold_entities + a.via_ingest > 1 ||
                             ((a.save_pred || a.via_ingest) && a.pred))) {
        lm_cli_error(cli, "eval: %s",
                     a.gold_spans + a.gold_entities + a.via_ingest > 1
                         ? "--via-ingest, --gold-spans and --gold-entities exclude each other"
                         : "--save-pred and --via-ingest are litmine's predictions: not with "
                           "--pred");
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
