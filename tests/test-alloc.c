/*
 * Allocation-failure tests, in curl's manner: each operation runs once per
 * allocation it makes, with that allocation failing (tests/lm_test_alloc.h
 * wraps malloc and friends at link time and walks the operation), first
 * with only that one failing and then with every later one failing too.
 * Each run must give what a run with nothing failing gave, or return
 * LM_ERR_NOMEM with a message, and free everything (LeakSanitizer checks
 * after each operation and at exit).
 *
 * Covered, on the fixtures: util (lm_buf, lm_map, JSON and configuration
 * files, good and bad, query terms); fetch (the PubMed parser on whole
 * files and in chunks, E-utilities ESearch and EFetch answers, an NCBI
 * error); nlp (sentences, tokens, abbreviations, PubTator, every lexicon
 * importer with lookups, save and load of the lexicon and of an NER model
 * trained here, with and without the map cache, the pair classifier of
 * models/pairs.bin on gold mentions, a composite and a coordinated one
 * among them); store (articles, a doc, the full-text index and what
 * exports and the server read, in memory; a WAL database file reopened
 * read-only; the vector file's walks are in test-alloc-vectors.c);
 * pipeline (the sentences,ner,pairs stage chain, tagging and normalising
 * included, built from a configuration and run on five articles; where
 * sync spools its files).
 * Only litmine's own allocations fail: libxml2's, SQLite's, zlib's and
 * libc's internal ones are not counted.
 */
#include "lm_test_alloc.h"
#include "lm_test_store.h"

#include "../fetch/lm_eutils.h"
#include "../fetch/lm_pubmed.h"
#include "../nlp/lm_abbrev.h"
#include "../nlp/lm_lexicon.h"
#include "../nlp/lm_ner.h"
#include "../nlp/lm_pairs.h"
#include "../nlp/lm_pubtator.h"
#include "../nlp/lm_sentence.h"
#include "../nlp/lm_token.h"
#include "../nlp/train/lm_ner_train.h"
#include "../pipeline/lm_stage.h"
#include "../pipeline/lm_sync.h"
#include "../store/lm_store.h"
#include "../store/lm_store_export.h"
#include "../store/lm_store_serve.h"
#include "../store/search/lm_fts.h"
#include "../store/search/lm_lexindex.h"
#include "../store/search/lm_search.h"
#include "../util/lm_buf.h"
#include "../util/lm_config.h"
#include "../util/lm_doc.h"
#include "../util/lm_json.h"
#include "../util/lm_map.h"
#include "../util/lm_qterms.h"

#define PUBMED_FIX "tests/fixtures/pubmed/"
#define PUBTATOR_FIX "tests/fixtures/cid/"
#define LEX_FIX "tests/fixtures/lexicon/"
#define ALLOC_FIX "tests/fixtures/alloc/"

/* A fixture read whole with nothing failing, for the operations that take
 * text in memory; empty (and a failed check) when it cannot be read. */
typedef struct fixture {
    char text[16 * 1024];
    size_t len;
} fixture;

static void read_fixture(fixture *f, const char *path)
{
    FILE *in = fopen(path, "rb");
    f->len = in ? fread(f->text, 1, sizeof f->text - 1, in) : 0;
    LM_CHECK(in && f->len > 0 && feof(in));
    if (in)
        fclose(in);
    f->text[f->len] = '\0';
}

static fixture articles_xml, esearch_xml, esearch_error_xml, abstract_text;

/* ---- util ---------------------------------------------------------------- */

static lm_status op_buf(char *summary, size_t cap, lm_error *err)
{
    lm_buf b;
    lm_buf_init(&b);
    lm_status st = LM_OK;
    for (int i = 0; i < 40 && st == LM_OK; i++)
        st = lm_buf_append_str(&b, "hypotension ");
    if (st == LM_OK)
        st = lm_buf_printf(&b, "[%d:%s]", 42, "clonidine");
    if (st == LM_OK)
        st = lm_buf_append_char(&b, '.');
    int *v = NULL;
    size_t vcap = 0;
    for (size_t i = 0; i < 100 && st == LM_OK; i++) {
        st = lm_vec_grow((void **)&v, &vcap, i + 1, sizeof *v);
        if (st == LM_OK)
            v[i] = (int)i;
    }
    char *copy = NULL, *opt = NULL, *taken = NULL;
    int failed = 0;
    if (st == LM_OK && !(copy = lm_strndup("naloxone reverses", 8)))
        st = LM_ERR_NOMEM;
    if (st == LM_OK && (opt = lm_strdup_opt("lithium", &failed), failed))
        st = LM_ERR_NOMEM;
    if (st == LM_OK && !(taken = lm_buf_take(&b)))
        st = LM_ERR_NOMEM;
    if (st == LM_OK)
        lm_alloc_summary(summary, cap, "%zu %.20s|%s|%s|%s|%d", strlen(taken), taken,
                         taken + strlen(taken) - 16, copy, opt, v[99]);
    else
        lm_error_nomem(err, "in the lm_buf helpers");
    free(taken);
    free(opt);
    free(copy);
    free(v);
    lm_buf_free(&b);
    return st;
}

static lm_status op_json(char *summary, size_t cap, lm_error *err)
{
    lm_json *doc = NULL;
    lm_status st = lm_json_parse_file(&doc, ALLOC_FIX "model.json", NULL, err);
    if (st != LM_OK)
        return st;
    const lm_json_value *root = lm_json_root(doc);
    const lm_json_value *labels = lm_json_get(root, "labels");
    int64_t big = 0;
    lm_json_int64(lm_json_get(root, "big"), &big);
    lm_alloc_summary(summary, cap, "%zu %s %lld %zu %zu %s %lld %s", lm_json_count(root),
                     lm_json_get_str(root, "model_type", "?"),
                     (long long)lm_json_get_int(root, "hidden_size", -1),
                     lm_json_count(lm_json_get(root, "layers")), lm_json_count(labels),
                     lm_json_key(lm_json_at(labels, 3), NULL), (long long)big,
                     lm_json_get_str(root, "name", "?"));
    lm_json_free(doc);
    return LM_OK;
}

static lm_status op_map(char *summary, size_t cap, lm_error *err)
{
    lm_map m;
    lm_map_init(&m);
    lm_status st = lm_map_reserve(&m, 20);
    for (uint64_t k = 1; k <= 300 && st == LM_OK; k++)
        st = lm_map_put(&m, k * 7919, k);
    for (uint64_t k = 1; k <= 300 && st == LM_OK; k += 3) {
        uint64_t *v = lm_map_upsert(&m, lm_map_key(k * 7919 % 1000), NULL);
        if (!v)
            st = lm_error_nomem(err, "upserting into an lm_map");
        else
            *v += 1;
    }
    if (st == LM_OK) {
        uint64_t sum = 0;
        for (size_t i = 0; i < m.cap; i++)
            if (m.keys[i])
                sum += m.vals[i];
        const uint64_t *v = lm_map_get(&m, 7919 * 5);
        lm_alloc_summary(summary, cap, "%zu %llu %llu", m.n, (unsigned long long)sum,
                         (unsigned long long)(v ? *v : 0));
    } else if (err->code == LM_OK) {
        lm_error_nomem(err, "growing an lm_map");
    }
    lm_map_free(&m);
    return st;
}

static void count_unknown(void *ctx, const char *file, int line, const char *section,
                          const char *key)
{
    char *summary = ctx;
    lm_alloc_summary(summary, LM_ALLOC_SUMMARY_MAX, " unknown %s:%d [%s] %s", file, line, section,
                     key);
}

static lm_status op_config(char *summary, size_t cap, lm_error *err)
{
    lm_config *cfg = NULL;
    lm_status st = lm_config_init(&cfg, err);
    if (st != LM_OK)
        return st;
    long threads = 0;
    if ((st = lm_config_load(cfg, ALLOC_FIX "litmine.conf", err)) == LM_OK &&
        (st = lm_config_set(cfg, "pipeline", "threads", "5", err)) == LM_OK &&
        (st = lm_config_set(cfg, "serve", "port", "8080", err)) == LM_OK &&
        (st = lm_config_get_int(cfg, "pipeline", "threads", 1, 1, 64, &threads, err)) == LM_OK) {
        lm_alloc_summary(summary, cap, "%s|%s|%s|%ld|%s|%s", lm_config_get(cfg, "store", "path"),
                         lm_config_get(cfg, "eutils", "email"),
                         lm_config_get(cfg, "eutils", "api_key"), threads,
                         lm_config_get_or(cfg, "pipeline", "stages", "?"),
                         lm_config_get_or(cfg, "serve", "port", "?"));
        static const char *const known[] = {"store.path", "eutils.email", "eutils.api_key",
                                            "pipeline.threads", "pipeline.stages", NULL};
        lm_config_each_unknown(cfg, known, count_unknown, summary);
    }
    lm_config_free(cfg);
    return st;
}

/* Bad input, which must end in the clean run's error (or out of memory):
 * a configuration line without "=", then JSON with a duplicate key. */
static lm_status op_bad_files(char *summary, size_t cap, lm_error *err)
{
    lm_config *cfg = NULL;
    lm_status st = lm_config_init(&cfg, err);
    if (st == LM_OK)
        st = lm_config_load(cfg, "tests/fixtures/cli/bad.conf", err);
    lm_config_free(cfg);
    if (st != LM_ERR_PARSE)
        return st == LM_OK ? lm_error_set(err, LM_ERR_USAGE, "bad.conf loaded") : st;
    lm_alloc_summary(summary, cap, "%s", err->msg);
    lm_json *doc = NULL;
    st = lm_json_parse_file(&doc, ALLOC_FIX "dup-key.json", NULL, err);
    lm_json_free(doc);
    return st;
}

static lm_status op_qterms(char *summary, size_t cap, lm_error *err)
{
    lm_qterms q, copy;
    lm_qterms_init(&q);
    lm_qterms_init(&copy);
    lm_qterms_options o = {0, 1, 0.3f};
    lm_buf expr;
    lm_buf_init(&expr);
    lm_status st =
        lm_qterms_parse("Cisplatin-induced acute kidney injury in the \"children\"", &o, &q, err);
    if (st == LM_OK)
        st = lm_qterms_add(&q, "cis-diamminedichloroplatinum", 28, LM_QTERM_SYNONYM, 0.5f, 0, NULL,
                           err);
    if (st == LM_OK)
        st = lm_qterms_copy(&copy, &q, err);
    if (st == LM_OK)
        st = lm_fts_expr(&copy, &expr, err);
    if (st == LM_OK) {
        for (size_t i = 0; i < copy.n; i++)
            lm_alloc_summary(summary, cap, "%s/%d/%.2f ", copy.v[i].text, (int)copy.v[i].kind,
                             copy.v[i].weight);
        lm_alloc_summary(summary, cap, "| %s", lm_buf_cstr(&expr));
    }
    lm_buf_free(&expr);
    lm_qterms_free(&copy);
    lm_qterms_free(&q);
    return st;
}

/* ---- fetch ---------------------------------------------------------------- */

typedef struct summary_sink {
    char *summary;
    size_t cap;
} summary_sink;

static lm_status summarize_article(void *ctx, lm_article *a, lm_error *err)
{
    (void)err;
    summary_sink *ps = ctx;
    lm_alloc_summary(ps->summary, ps->cap, "%lld.%d t%zu a%zu m%zu p%zu au%zu k%zu r%zu c%zu %s;",
                     (long long)a->pmid, a->version, a->title ? strlen(a->title) : 0,
                     a->abstract ? strlen(a->abstract) : 0, a->n_mesh, a->n_pubtypes, a->n_authors,
                     a->n_keywords, a->n_references, a->n_chemicals, a->journal ? a->journal : "-");
    return LM_OK;
}

static lm_status summarize_deletion(void *ctx, int64_t pmid, lm_error *err)
{
    (void)err;
    summary_sink *ps = ctx;
    lm_alloc_summary(ps->summary, ps->cap, "del %lld;", (long long)pmid);
    return LM_OK;
}

/* The fixture op_pubmed_file parses (PUBMED_FIX). */
static const char *pubmed_file;

static lm_status op_pubmed_file(char *summary, size_t cap, lm_error *err)
{
    char path[256];
    snprintf(path, sizeof path, PUBMED_FIX "%s", pubmed_file);
    summary_sink ps = {summary, cap};
    lm_pubmed_handler h = {summarize_article, summarize_deletion, &ps, NULL};
    lm_pubmed_stats stats;
    lm_status st = lm_pubmed_parse_file(path, &h, NULL, NULL, &stats, NULL, err);
    if (st == LM_OK)
        lm_alloc_summary(summary, cap, " stats %llu %llu %llu %llu",
                         (unsigned long long)stats.articles,
                         (unsigned long long)stats.book_articles,
                         (unsigned long long)stats.deletions, (unsigned long long)stats.rejected);
    return st;
}

/* articles.xml fed to the push parser 61 bytes at a time. */
static lm_status op_pubmed_chunks(char *summary, size_t cap, lm_error *err)
{
    summary_sink ps = {summary, cap};
    lm_pubmed_handler h = {summarize_article, summarize_deletion, &ps, NULL};
    lm_pubmed_parser *p = NULL;
    lm_status st = lm_pubmed_parser_init(&p, "articles.xml", &h, err);
    if (st != LM_OK)
        return st;
    for (size_t at = 0; at < articles_xml.len && st == LM_OK; at += 61) {
        size_t n = articles_xml.len - at < 61 ? articles_xml.len - at : 61;
        st = lm_pubmed_parser_feed(p, articles_xml.text + at, n, err);
    }
    if (st == LM_OK)
        st = lm_pubmed_parser_finish(p, err);
    if (st == LM_OK)
        lm_alloc_summary(summary, cap, " %llu",
                         (unsigned long long)lm_pubmed_parser_stats(p)->articles);
    lm_pubmed_parser_free(p);
    return st;
}

static lm_status op_eutils_fetch(char *summary, size_t cap, lm_error *err)
{
    summary_sink ps = {summary, cap};
    lm_pubmed_handler h = {summarize_article, summarize_deletion, &ps, NULL};
    return lm_eutils_parse_fetch(articles_xml.text, articles_xml.len, &h, err);
}

static lm_status op_eutils_search(char *summary, size_t cap, lm_error *err)
{
    lm_eutils_search_result r;
    lm_eutils_search_result_init(&r);
    lm_status st = lm_eutils_parse_search(esearch_xml.text, esearch_xml.len, &r, err);
    if (st == LM_OK) {
        lm_alloc_summary(
            summary, cap, "%lld %lld %s %s %s|%s|", (long long)r.count, (long long)r.retstart,
            r.webenv ? r.webenv : "-", r.query_key ? r.query_key : "-",
            r.query_translation ? r.query_translation : "-", r.warnings ? r.warnings : "-");
        for (size_t i = 0; i < r.n_ids; i++)
            lm_alloc_summary(summary, cap, " %lld", (long long)r.ids[i]);
    }
    lm_eutils_search_result_free(&r);
    return st;
}

static lm_status op_eutils_search_error(char *summary, size_t cap, lm_error *err)
{
    (void)summary;
    (void)cap;
    lm_eutils_search_result r;
    lm_eutils_search_result_init(&r);
    lm_status st = lm_eutils_parse_search(esearch_error_xml.text, esearch_error_xml.len, &r, err);
    lm_eutils_search_result_free(&r);
    return st;
}

/* ---- nlp ----------------------------------------------------------------- */

static void summarize_spans(char *summary, size_t cap, const char *what, const lm_spans *s)
{
    lm_alloc_summary(summary, cap, "%s %zu:", what, s->n);
    for (size_t i = 0; i < s->n; i++)
        lm_alloc_summary(summary, cap, " %u-%u", s->v[i].start, s->v[i].end);
    lm_alloc_summary(summary, cap, ";");
}

static lm_status op_split(char *summary, size_t cap, lm_error *err)
{
    lm_spans sentences, tokens;
    lm_spans_init(&sentences);
    lm_spans_init(&tokens);
    lm_status st = lm_sentence_split(abstract_text.text, abstract_text.len, &sentences, err);
    if (st == LM_OK)
        st = lm_token_split(abstract_text.text, abstract_text.len, &tokens, err);
    if (st == LM_OK) {
        summarize_spans(summary, cap, "sentences", &sentences);
        summarize_spans(summary, cap, "tokens", &tokens);
    }
    lm_spans_free(&tokens);
    lm_spans_free(&sentences);
    return st;
}

static lm_status op_abbrev(char *summary, size_t cap, lm_error *err)
{
    const char *text = abstract_text.text;
    const size_t len = abstract_text.len;
    lm_abbrevs found, copy;
    lm_abbrev_uses uses;
    lm_abbrevs_init(&found);
    lm_abbrevs_init(&copy);
    lm_abbrev_uses_init(&uses);
    lm_status st = lm_abbrev_detect(text, len, &found, err);
    if (st == LM_OK)
        st = lm_abbrevs_copy(&copy, &found, err);
    /* "cisplatin (CDDP)" by the tagger's bracketed-word rule. */
    const char *cisplatin = strstr(text, "cisplatin");
    if (st == LM_OK)
        st = lm_abbrev_add_bracketed(text, len, (uint32_t)(cisplatin - text),
                                     (uint32_t)(cisplatin - text + 9), &copy, err);
    if (st == LM_OK)
        st = lm_abbrev_find_uses(text, len, &copy, &uses, err);
    if (st == LM_OK) {
        for (size_t i = 0; i < copy.n; i++)
            lm_alloc_summary(summary, cap, "%.*s=%.*s;",
                             (int)(copy.v[i].short_end - copy.v[i].short_start),
                             text + copy.v[i].short_start,
                             (int)(copy.v[i].long_end - copy.v[i].long_start),
                             text + copy.v[i].long_start);
        for (size_t i = 0; i < uses.n; i++)
            lm_alloc_summary(summary, cap, " %u-%u/%u", uses.v[i].start, uses.v[i].end,
                             uses.v[i].pair);
        lm_alloc_summary(summary, cap, " (%zu detected)", found.n);
    }
    lm_abbrev_uses_free(&uses);
    lm_abbrevs_free(&copy);
    lm_abbrevs_free(&found);
    return st;
}

static lm_status op_pubtator(char *summary, size_t cap, lm_error *err)
{
    lm_pt_corpus corpus;
    memset(&corpus, 0, sizeof corpus);
    lm_status st = lm_pubtator_load(PUBTATOR_FIX "small.pubtator", &corpus, err);
    if (st != LM_OK)
        return st;
    for (size_t i = 0; i < corpus.n_docs; i++) {
        const lm_pt_doc *d = &corpus.docs[i];
        lm_alloc_summary(summary, cap, "%s|%s|%s|%zu|%zu;", d->pmid, d->title, d->abstract,
                         d->n_mentions, d->n_relations);
    }
    lm_pt_corpus_free(&corpus);
    return LM_OK;
}

/* ---- the lexicon --------------------------------------------------------- */

static void summarize_lookups(char *summary, size_t cap, const lm_lexicon *lex)
{
    static const char *const mentions[] = {"type 2 diabetes mellitus", "Tylenol", "BRCA1",
                                           "hemorrhagic cystitis", "TNF-alpha", "aspirin",
                                           "depressive disorders", "no such concept"};
    for (size_t i = 0; i < sizeof mentions / sizeof mentions[0]; i++) {
        lm_lexicon_match m;
        if (lm_lexicon_lookup(lex, LM_ENT_ANY, mentions[i], strlen(mentions[i]), &m))
            lm_alloc_summary(summary, cap, "%s=%s/%s/%d;", mentions[i], m.id, m.name, m.variant);
        else
            lm_alloc_summary(summary, cap, "%s=-;", mentions[i]);
    }
}

static char lexicon_path[512];

static lm_status op_lexicon_load(char *summary, size_t cap, lm_error *err)
{
    lm_lexicon *lex = NULL;
    lm_status st = lm_lexicon_load(lexicon_path, &lex, err);
    if (st != LM_OK)
        return st;
    summarize_lookups(summary, cap, lex);
    lm_lexicon_free(lex);
    return LM_OK;
}

/* The lexicon of every importer on the fixtures of tests/fixtures/lexicon
 * and a PubTator corpus, with the DrugBank concepts merged into MeSH ones;
 * summary (may be NULL) gets what each import read. */
static lm_status build_lexicon(lm_lexicon **out, char *summary, size_t cap, lm_error *err)
{
    lm_lexicon_builder *b = NULL;
    lm_status st = lm_lexicon_builder_init(&b, err);
    if (st != LM_OK)
        return st;
    lm_lexicon_import_stats stats[5];
    memset(stats, 0, sizeof stats);
    size_t merged = 0;
    if ((st = lm_lexicon_import_mesh(b, LEX_FIX "desc_sample.xml", &stats[0], err)) == LM_OK &&
        (st = lm_lexicon_import_mesh(b, LEX_FIX "supp_sample.xml", &stats[1], err)) == LM_OK &&
        (st = lm_lexicon_import_gene_info(b, LEX_FIX "human_genes_sample.tsv", 9606, 1, &stats[2],
                                          err)) == LM_OK &&
        (st = lm_lexicon_import_drugbank(b, LEX_FIX "drugbank_sample.csv", &stats[3], err)) ==
            LM_OK &&
        (st = lm_lexicon_import_pubtator(b, PUBTATOR_FIX "composite.pubtator", &stats[4], err)) ==
            LM_OK &&
        (st = lm_lexicon_builder_merge_xrefs(b, LM_ENT_CHEMICAL, "DRUGBANK:", "MESH:", &merged,
                                             err)) == LM_OK &&
        (st = lm_lexicon_builder_finish(b, out, err)) == LM_OK && summary) {
        for (size_t i = 0; i < 5; i++)
            lm_alloc_summary(summary, cap, "%zu/%zu/%zu ", stats[i].records, stats[i].names,
                             stats[i].skipped);
        lm_alloc_summary(summary, cap, "merged %zu;", merged);
    }
    lm_lexicon_builder_free(b);
    return st;
}

static lm_status op_lexicon_build(char *summary, size_t cap, lm_error *err)
{
    lm_lexicon *lex = NULL;
    lm_status st = build_lexicon(&lex, summary, cap, err);
    if (st == LM_OK)
        summarize_lookups(summary, cap, lex);
    lm_lexicon_free(lex);
    return st;
}

static lm_status op_lexicon_save(char *summary, size_t cap, lm_error *err)
{
    lm_lexicon *lex = NULL;
    lm_status st = build_lexicon(&lex, NULL, 0, err);
    if (st != LM_OK)
        return st;
    char path[600];
    snprintf(path, sizeof path, "%s.saved", lexicon_path);
    st = lm_lexicon_save(lex, path, err);
    lm_lexicon_free(lex);
    if (st == LM_OK)
        lm_alloc_summary(summary, cap, "saved");
    return st;
}

/* ---- NER ------------------------------------------------------------------ */

/* A tagger trained on the abstracts of small.pubtator (ASCII, so its
 * code-point offsets are byte offsets) with nothing failing; saved and
 * loaded here, it tags in the stage chain below. */
#define NER_TRAIN_DOCS 8
#define NER_GOLD_MAX 16
static lm_ner_model *ner_model;

static lm_status train_ner_model(lm_error *err)
{
    static lm_ner_gold gold[NER_TRAIN_DOCS][NER_GOLD_MAX];
    lm_ner_train_doc docs[NER_TRAIN_DOCS];
    lm_pt_corpus c = {0};
    lm_status st = lm_pubtator_load(PUBTATOR_FIX "small.pubtator", &c, err);
    size_t n_docs = 0;
    for (; st == LM_OK && n_docs < c.n_docs && n_docs < NER_TRAIN_DOCS; n_docs++) {
        const lm_pt_doc *d = &c.docs[n_docs];
        size_t n = 0;
        for (size_t m = 0; m < d->n_mentions && n < NER_GOLD_MAX; m++) {
            lm_ent_type t = lm_ent_type_parse(d->mentions[m].type);
            if (t != LM_ENT_NONE)
                gold[n_docs][n++] = (lm_ner_gold){(uint32_t)d->mentions[m].start,
                                                  (uint32_t)d->mentions[m].end, t};
        }
        docs[n_docs] = (lm_ner_train_doc){d->text, strlen(d->text), gold[n_docs], n};
    }
    lm_ner_train_opts o;
    lm_ner_train_opts_init(&o);
    o.epochs = 5;
    o.bits = 12;
    if (st == LM_OK)
        st = lm_ner_train_docs(docs, n_docs, &o, &ner_model, err);
    lm_pt_corpus_free(&c);
    return st;
}

static char ner_model_path[512];

static lm_status op_ner_save(char *summary, size_t cap, lm_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s.saved", ner_model_path);
    lm_status st = lm_ner_model_save(ner_model, path, err);
    if (st == LM_OK)
        lm_alloc_summary(summary, cap, "saved");
    return st;
}

static lm_status op_ner_load(char *summary, size_t cap, lm_error *err)
{
    lm_ner_model *m = NULL;
    lm_status st = lm_ner_model_load(ner_model_path, &m, err);
    if (st != LM_OK)
        return st;
    char description[512];
    st = lm_ner_model_describe(m, description, sizeof description);
    if (st == LM_OK)
        lm_alloc_summary(summary, cap, "%s", description);
    else
        lm_error_set(err, st, "describing the model");
    lm_ner_model_free(m);
    return st;
}

/* ---- pairs ---------------------------------------------------------------- */

/* The pair stage on a PubTator document with a composite id and a
 * coordinated mention ("hemorrhagic cystitis and depressive disorder",
 * which the lexicon reads as its parts): its gold mentions as a doc, and
 * as tagger output normalised with the lexicon built above, the committed
 * pair classifier over the candidates, and the document renormalised as
 * training sees it. */
static lm_pairs_model *pairs_model;
static lm_lexicon *pairs_lexicon;
static lm_pt_corpus pairs_corpus;

static lm_status classify_pairs(const lm_pt_doc *gold, char *summary, size_t cap, lm_error *err)
{
    lm_doc gold_doc, tagged;
    lm_doc_init(&gold_doc);
    lm_doc_init(&tagged);
    lm_ner_mentions ner;
    lm_ner_mentions_init(&ner);
    lm_pairs_scratch *scratch = NULL;
    lm_pairs_result result;
    lm_pairs_result_init(&result);
    lm_status st;
    if ((st = lm_pairs_doc_from_pubtator(gold, &gold_doc, err)) == LM_OK &&
        (st = lm_doc_set_text(&tagged, gold->title, gold->abstract, err)) == LM_OK &&
        (st = lm_pairs_gold_as_ner(gold, &tagged, 0, &ner, err)) == LM_OK &&
        (st = lm_pairs_doc_add_ner(&tagged, &ner, pairs_lexicon, "MESH:", err)) == LM_OK &&
        (st = lm_pairs_scratch_init(&scratch, err)) == LM_OK &&
        (st = lm_pairs_extract_all(pairs_model, scratch, &gold_doc, &result, err)) == LM_OK) {
        for (size_t i = 0; i < tagged.n_mentions; i++)
            lm_alloc_summary(summary, cap, "%s=%s ", tagged.mentions[i].text,
                             tagged.mentions[i].concept_id ? tagged.mentions[i].concept_id : "-");
        for (size_t i = 0; i < result.n; i++)
            lm_alloc_summary(summary, cap, "| %s %s %s %.4f", result.v[i].chem_id,
                             result.v[i].dis_id, lm_pair_label_name(result.v[i].label),
                             result.v[i].score);
    }
    lm_pairs_result_free(&result);
    lm_pairs_scratch_free(scratch);
    lm_ner_mentions_free(&ner);
    lm_doc_free(&tagged);
    lm_doc_free(&gold_doc);
    return st;
}

static lm_status op_pairs(char *summary, size_t cap, lm_error *err)
{
    const lm_pt_doc *gold = &pairs_corpus.docs[0];
    lm_status st = classify_pairs(gold, summary, cap, err);
    if (st != LM_OK)
        return st;
    lm_pt_doc renormalized;
    lm_pt_doc_init(&renormalized);
    st = lm_pairs_renormalize(gold, pairs_lexicon, "MESH:", &renormalized, err);
    if (st == LM_OK)
        for (size_t i = 0; i < renormalized.n_mentions; i++)
            lm_alloc_summary(summary, cap, "; %s %s", renormalized.mentions[i].text,
                             renormalized.mentions[i].id ? renormalized.mentions[i].id : "-");
    lm_pt_doc_free(&renormalized);
    return st;
}

/* ---- lm_doc and the store ----------------------------------------------------- */

static lm_status fill_doc(lm_doc *d, lm_error *err)
{
    lm_status st =
        lm_doc_set_text(d, "Clonidine-induced hypotension.", "Naloxone (NLX) reverses it.", err);
    if (st == LM_OK)
        st = lm_doc_add_sentence(d, 0, 30, err);
    if (st == LM_OK)
        st = lm_doc_add_sentence(d, 31, 58, err);
    if (st == LM_OK)
        st = lm_doc_add_mention(d, 18, 29, LM_ENT_DISEASE, "hypotension", "MESH:D007022", 0, 0.9f,
                                err);
    if (st == LM_OK)
        st =
            lm_doc_add_mention(d, 0, 9, LM_ENT_CHEMICAL, "Clonidine", "MESH:D003000", 0, 0.8f, err);
    if (st == LM_OK)
        st = lm_doc_add_mention(d, 31, 39, LM_ENT_CHEMICAL, "Naloxone", NULL, 1, 0.7f, err);
    if (st == LM_OK)
        st = lm_doc_add_abbrev(d, "NLX", "Naloxone", 41, 44, err);
    if (st == LM_OK)
        st = lm_doc_add_pair(d, "MESH:D003000", "Clonidine", "MESH:D007022", "hypotension",
                             "induces", 0.75f, 0, 0, 30, err);
    if (st == LM_OK)
        lm_doc_sort_mentions(d);
    return st;
}

/* The articles of biblio.xml and articles.xml, parsed with nothing failing, for the store. */
#define STORE_ARTICLES_MAX 8
static lm_article store_articles[STORE_ARTICLES_MAX];
static size_t n_store_articles;

static lm_status keep_article(void *ctx, lm_article *a, lm_error *err)
{
    (void)ctx;
    if (n_store_articles == STORE_ARTICLES_MAX)
        return lm_error_set(err, LM_ERR_USAGE, "more than %d articles", STORE_ARTICLES_MAX);
    store_articles[n_store_articles++] = *a;
    lm_article_init(a);
    return LM_OK;
}

static lm_status put_all_articles(lm_store *s, char *summary, size_t cap, lm_error *err)
{
    lm_status st = LM_OK;
    for (size_t i = 0; i < n_store_articles && st == LM_OK; i++) {
        lm_put_result put;
        st = lm_store_put_article(s, &store_articles[i], "biblio.xml", &put, err);
        if (st == LM_OK)
            lm_alloc_summary(summary, cap, "put %d;", (int)put);
    }
    return st;
}

/* Puts the articles and a doc of the first, and reads both back. */
static lm_status store_work(lm_store *s, char *summary, size_t cap, lm_error *err)
{
    lm_status st = put_all_articles(s, summary, cap, err);
    if (st != LM_OK || n_store_articles == 0)
        return st;
    lm_doc d;
    lm_doc_init(&d);
    int64_t pmid = store_articles[0].pmid;
    if ((st = fill_doc(&d, err)) == LM_OK && (st = lm_store_begin(s, err)) == LM_OK) {
        st = lm_store_put_doc(s, pmid, &d, LM_DOC_SENTENCES | LM_DOC_MENTIONS | LM_DOC_PAIRS, err);
        lm_error ignored;
        if (st == LM_OK)
            st = lm_store_commit(s, err);
        else
            lm_store_rollback(s, &ignored);
    }
    lm_doc_free(&d);
    lm_doc back;
    lm_doc_init(&back);
    unsigned found = 0;
    if (st == LM_OK &&
        (st = lm_store_get_doc(s, pmid, LM_DOC_SENTENCES | LM_DOC_MENTIONS | LM_DOC_PAIRS, &back,
                               &found, err)) == LM_OK)
        lm_alloc_summary(summary, cap, "doc %u %zu %zu %zu;", found, back.n_sentences,
                         back.n_mentions, back.n_pairs);
    lm_doc_free(&back);
    lm_article a;
    lm_article_init(&a);
    char *source = NULL, *ingested_at = NULL;
    if (st == LM_OK &&
        (st = lm_store_get_article(s, pmid, &a, &source, &ingested_at, err)) == LM_OK)
        lm_alloc_summary(summary, cap, "%lld %s %s m%zu au%zu r%zu c%zu", (long long)a.pmid,
                         a.title, source, a.n_mesh, a.n_authors, a.n_references, a.n_chemicals);
    free(source);
    free(ingested_at);
    lm_article_free(&a);
    return st;
}

static const lm_lexindex_params lexindex_params = {1.2f, 0.75f, 0.75f, 1.0f, 1.0f, 100};

static lm_status search_store(lm_store *s, char *summary, size_t cap, lm_error *err)
{
    lm_search_refresh_options o;
    memset(&o, 0, sizeof o);
    o.skip_vectors = 1;
    o.batch = 2;
    lm_search_refresh_stats stats;
    memset(&stats, 0, sizeof stats);
    lm_status st = lm_search_refresh_text(s, &o, &stats, err);
    if (st != LM_OK)
        return st;
    lm_alloc_summary(summary, cap, "refresh %lld %lld;", (long long)stats.fts_added,
                     (long long)stats.lex_added);
    lm_lexindex_reader *r = NULL;
    lm_qterms q;
    lm_qterms_init(&q);
    lm_qterms_options qo = {0, 1, 0.3f};
    const lm_lexindex_hit *hits = NULL;
    size_t n = 0;
    int64_t *all = NULL;
    size_t n_all = 0;
    if ((st = lm_lexindex_reader_init(&r, err)) == LM_OK &&
        (st = lm_qterms_parse("cisplatin kidney injury", &qo, &q, err)) == LM_OK &&
        (st = lm_lexindex_search(r, s, &lexindex_params, &q, 10, NULL, NULL, &hits, &n, err)) ==
            LM_OK) {
        for (size_t i = 0; i < n; i++)
            lm_alloc_summary(summary, cap, " %lld:%.6f", (long long)hits[i].pmid, hits[i].score);
        st = lm_lexindex_match_all(r, s, "cisplatin", &all, &n_all, err);
    }
    if (st == LM_OK) {
        lm_alloc_summary(summary, cap, "; all");
        for (size_t i = 0; i < n_all; i++)
            lm_alloc_summary(summary, cap, " %lld", (long long)all[i]);
    }
    free(all);
    lm_qterms_free(&q);
    lm_lexindex_reader_free(r);
    return st;
}

/* What `litmine export` and `litmine serve` read from the store. */
static lm_status summarize_mention(void *ctx, const lm_mention_row *r)
{
    summary_sink *out = ctx;
    lm_alloc_summary(out->summary, out->cap, " m%lld:%d-%d:%s:%s", (long long)r->pmid, r->start,
                     r->end, r->type, r->concept_id ? r->concept_id : "-");
    return LM_OK;
}

static lm_status summarize_exported(void *ctx, const lm_article *a)
{
    summary_sink *out = ctx;
    lm_alloc_summary(out->summary, out->cap, " a%lld", (long long)a->pmid);
    return LM_OK;
}

static lm_status read_store(lm_store *s, char *summary, size_t cap, lm_error *err)
{
    summary_sink out = {summary, cap};
    lm_export_filter all, words;
    memset(&all, 0, sizeof all);
    memset(&words, 0, sizeof words);
    words.words = "cisplatin children";
    int64_t pmid = store_articles[0].pmid;
    lm_concept_summary concept;
    lm_buf text;
    lm_buf_init(&text);
    size_t title_bytes = 0;
    lm_status st;
    if ((st = lm_store_export_mentions(s, &all, summarize_mention, &out, err)) == LM_OK &&
        (st = lm_store_export_articles(s, &words, summarize_exported, &out, err)) == LM_OK &&
        (st = lm_store_article_mentions(s, pmid, summarize_mention, &out, err)) == LM_OK &&
        (st = lm_store_concept_summary(s, "MESH:D007022", &concept, err)) == LM_OK &&
        (st = lm_store_article_text(s, pmid, &text, &title_bytes, err)) == LM_OK)
        lm_alloc_summary(summary, cap, "; %s %lld %lld; %zu %s", concept.type,
                         (long long)concept.mentions, (long long)concept.articles, title_bytes,
                         lm_buf_cstr(&text));
    lm_buf_free(&text);
    return st;
}

/* A store in memory: articles and a doc put and read back, the full-text
 * index refreshed and searched, and what exports and the server read. */
static lm_status op_store(char *summary, size_t cap, lm_error *err)
{
    lm_store *s = NULL;
    lm_status st = lm_store_open(&s, ":memory:", NULL, err);
    if (st != LM_OK)
        return st;
    if ((st = store_work(s, summary, cap, err)) == LM_OK &&
        (st = search_store(s, summary, cap, err)) == LM_OK)
        st = read_store(s, summary, cap, err);
    lm_store_close(s);
    return st;
}

/* A database file in WAL mode: put, delete, reopen read-only, read. */
static lm_status op_store_file(char *summary, size_t cap, lm_error *err)
{
    char path[512];
    db_path(path, sizeof path, "alloc-store.db");
    lm_store *s = NULL;
    lm_status st = lm_store_open(&s, path, NULL, err);
    if (st != LM_OK)
        return st;
    int deleted = 0;
    if ((st = put_all_articles(s, summary, cap, err)) == LM_OK && n_store_articles > 1)
        st = lm_store_delete_article_from(s, store_articles[1].pmid, "update.xml", &deleted, err);
    lm_store_close(s);
    if (st != LM_OK)
        return st;
    lm_alloc_summary(summary, cap, "deleted %d;", deleted);
    lm_store_options ro;
    memset(&ro, 0, sizeof ro);
    ro.readonly = 1;
    s = NULL;
    if ((st = lm_store_open(&s, path, &ro, err)) != LM_OK)
        return st;
    lm_article a;
    lm_article_init(&a);
    st = lm_store_get_article(s, store_articles[0].pmid, &a, NULL, NULL, err);
    if (st == LM_OK)
        lm_alloc_summary(summary, cap, "%lld %s au%zu k%zu g%zu", (long long)a.pmid, a.journal,
                         a.n_authors, a.n_keywords, a.n_grants);
    lm_article_free(&a);
    lm_store_close(s);
    return st;
}

/* ---- the stage chain ---------------------------------------------------------
 *
 * What ingest runs on every article, on this thread: the chain built from
 * the configuration (the lexicon and NER model written above, the
 * committed pair model), a scratch per stage, each article run through. */
static lm_config *chain_config;

/* Building the chain loads three models: walked on its own, since each
 * run costs the pair model's 16 MB; the articles then go through one
 * chain built with nothing failing. */
static lm_status op_chain_init(char *summary, size_t cap, lm_error *err)
{
    lm_stage_chain chain;
    lm_status st = lm_stage_chain_init(&chain, "sentences,ner,pairs", chain_config, err);
    if (st != LM_OK)
        return st;
    for (int i = 0; i < chain.n; i++)
        lm_alloc_summary(summary, cap, "%s: %s; ", chain.ops[i]->name, chain.model[i]);
    lm_stage_chain_free(&chain);
    return LM_OK;
}

static lm_stage_chain built_chain;

static lm_status op_chain_run(char *summary, size_t cap, lm_error *err)
{
    const lm_stage_chain *c = &built_chain;
    void *scratch[LM_STAGE_MAX] = {0};
    lm_status st = LM_OK;
    for (int i = 0; i < c->n && st == LM_OK; i++)
        if (c->ops[i]->scratch_init)
            st = c->ops[i]->scratch_init(c->state[i], &scratch[i], err);
    for (size_t i = 0; i < n_store_articles && st == LM_OK; i++) {
        lm_doc d;
        lm_doc_init(&d);
        st = lm_stage_chain_run(c, scratch, &store_articles[i], &d, NULL, NULL, err);
        if (st == LM_OK)
            lm_alloc_summary(summary, cap, "%lld: %zu %zu %zu %zu %x;",
                             (long long)store_articles[i].pmid, d.n_sentences, d.n_mentions,
                             d.n_abbrevs, d.n_pairs, d.stages_done);
        lm_doc_free(&d);
    }
    for (int i = 0; i < c->n; i++)
        if (scratch[i])
            c->ops[i]->scratch_free(scratch[i]);
    return st;
}

/* Where `litmine sync` spools bulk files: beside the database. */
static lm_status op_sync_spool(char *summary, size_t cap, lm_error *err)
{
    char db[512];
    snprintf(db, sizeof db, "%s/sync.db", lm_test_tmpdir());
    lm_buf spool;
    lm_buf_init(&spool);
    lm_status st = lm_sync_spool(chain_config, db, NULL, &spool, err);
    if (st == LM_OK)
        lm_alloc_summary(summary, cap, "%s", lm_buf_cstr(&spool));
    lm_buf_free(&spool);
    return st;
}

/* ---- the tests ------------------------------------------------------------- */

static void test_util(void)
{
    lm_alloc_walk("lm_buf", op_buf);
    lm_alloc_walk("lm_json_parse", op_json);
    lm_alloc_walk("lm_map", op_map);
    lm_alloc_walk("lm_config", op_config);
    lm_alloc_walk("lm_qterms and lm_fts_expr", op_qterms);
    lm_alloc_walk_expecting("lm_config_load and lm_json_parse_file on bad files", op_bad_files,
                            LM_ERR_PARSE);
}

static void test_fetch(void)
{
    static const struct {
        const char *file;
        lm_status status;
    } files[] = {{"articles.xml", LM_OK},
                 {"biblio.xml", LM_OK},
                 {"book.xml", LM_OK},
                 {"update.xml", LM_OK},
                 {"malformed.xml", LM_ERR_PARSE}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "lm_pubmed_parse_file %s", files[i].file);
        pubmed_file = files[i].file;
        lm_alloc_walk_expecting(name, op_pubmed_file, files[i].status);
    }
    read_fixture(&articles_xml, PUBMED_FIX "articles.xml");
    read_fixture(&esearch_xml, ALLOC_FIX "esearch.xml");
    read_fixture(&esearch_error_xml, "tests/fixtures/eutils/esearch_error.xml");
    lm_alloc_walk("lm_pubmed_parser_feed in chunks", op_pubmed_chunks);
    lm_alloc_walk("lm_eutils_parse_fetch", op_eutils_fetch);
    lm_alloc_walk("lm_eutils_parse_search", op_eutils_search);
    lm_alloc_walk_expecting("lm_eutils_parse_search <ERROR>", op_eutils_search_error, LM_ERR_NET);
}

static void test_text(void)
{
    read_fixture(&abstract_text, ALLOC_FIX "abstract.txt");
    lm_alloc_walk("lm_sentence_split and lm_token_split", op_split);
    lm_alloc_walk("lm_abbrev", op_abbrev);
    lm_alloc_walk("lm_pubtator_load", op_pubtator);
}

static void test_lexicon(void)
{
    snprintf(lexicon_path, sizeof lexicon_path, "%s/alloc.lexicon", lm_test_tmpdir());
    lm_lexicon *lex = NULL;
    lm_error err;
    LM_CHECK_INT(build_lexicon(&lex, NULL, 0, &err), LM_OK);
    if (!lex)
        return;
    LM_CHECK_INT(lm_lexicon_save(lex, lexicon_path, &err), LM_OK);
    lm_lexicon_free(lex);
    lm_alloc_walk("lm_lexicon importers, build and lookup", op_lexicon_build);
    lm_alloc_walk("lm_lexicon_save", op_lexicon_save);
    lm_alloc_walk_model_loads("lm_lexicon_load", op_lexicon_load, lexicon_path);
}

static void test_ner(void)
{
    lm_error err;
    LM_CHECK_INT(train_ner_model(&err), LM_OK);
    if (!ner_model)
        return;
    snprintf(ner_model_path, sizeof ner_model_path, "%s/alloc.ner", lm_test_tmpdir());
    LM_CHECK_INT(lm_ner_model_save(ner_model, ner_model_path, &err), LM_OK);
    lm_alloc_walk("lm_ner_model_save", op_ner_save);
    lm_alloc_walk_model_loads("lm_ner_model_load", op_ner_load, ner_model_path);
    lm_ner_model_free(ner_model);
    ner_model = NULL;
}

static void test_store(void)
{
    lm_alloc_walk("lm_store in memory: put, index, search, export, serve reads", op_store);
    lm_alloc_walk("lm_store on a file, then read-only", op_store_file);
}

static void test_chain(void)
{
    lm_error err;
    LM_CHECK_INT(lm_config_init(&chain_config, &err), LM_OK);
    LM_CHECK_INT(lm_config_set(chain_config, "models", "ner", ner_model_path, &err), LM_OK);
    LM_CHECK_INT(lm_config_set(chain_config, "models", "lexicon", lexicon_path, &err), LM_OK);
    LM_CHECK_INT(lm_config_set(chain_config, "models", "pairs", "models/pairs.bin", &err), LM_OK);
    lm_alloc_walk("lm_stage_chain_init sentences,ner,pairs", op_chain_init);
    LM_CHECK_INT(lm_stage_chain_init(&built_chain, "sentences,ner,pairs", chain_config, &err),
                 LM_OK);
    lm_alloc_walk("lm_stage_chain_run on five articles", op_chain_run);
    lm_stage_chain_free(&built_chain);
    lm_alloc_walk("lm_sync_spool", op_sync_spool);
    lm_config_free(chain_config);
}

static void test_pairs(void)
{
    lm_error err;
    LM_CHECK_INT(lm_pairs_model_load("models/pairs.bin", &pairs_model, &err), LM_OK);
    LM_CHECK_INT(build_lexicon(&pairs_lexicon, NULL, 0, &err), LM_OK);
    LM_CHECK_INT(lm_pubtator_load(ALLOC_FIX "coordinated.pubtator", &pairs_corpus, &err), LM_OK);
    if (pairs_model && pairs_lexicon && pairs_corpus.n_docs > 0)
        lm_alloc_walk("lm_pairs", op_pairs);
    lm_pt_corpus_free(&pairs_corpus);
    lm_lexicon_free(pairs_lexicon);
    lm_pairs_model_free(pairs_model);
}

/* The mechanism itself: the Nth allocation fails, in each mode.  Called
 * through volatile pointers, which compilers cannot see through: clang
 * drops a malloc whose block is only checked and freed. */
static void *(*volatile call_malloc)(size_t) = malloc;
static void *(*volatile call_calloc)(size_t, size_t) = calloc;
static void *(*volatile call_realloc)(void *, size_t) = realloc;
static char *(*volatile call_strdup)(const char *) = strdup;
static char *(*volatile call_strndup)(const char *, size_t) = strndup;
static void *(*volatile call_aligned_alloc)(size_t, size_t) = aligned_alloc;

static void test_injection(void)
{
    lm_alloc_arm(1, LM_ALLOC_FAIL_ONCE);
    void *a = call_malloc(8), *b = call_malloc(8), *c = call_calloc(1, 8);
    char *d = call_strdup("x");
    long injected = lm_alloc_injected_count();
    lm_alloc_disarm();
    LM_CHECK(a && !b && c && d);
    LM_CHECK_INT(injected, 1);
    free(a);
    free(c);
    free(d);
    lm_alloc_arm(1, LM_ALLOC_FAIL_FROM);
    a = call_aligned_alloc(64, 64);
    b = call_realloc(NULL, 8);
    d = call_strndup("xy", 1);
    injected = lm_alloc_injected_count();
    lm_alloc_disarm();
    LM_CHECK(a && !b && !d);
    LM_CHECK_INT(injected, 2);
    LM_CHECK_INT(lm_alloc_count(), 3);
    free(a);
}

int main(void)
{
    lm_test_private_model_cache();
    /* The articles the store and the chain get, parsed with nothing failing. */
    lm_error err;
    lm_pubmed_handler h = {keep_article, NULL, NULL, NULL};
    if (lm_pubmed_parse_file(PUBMED_FIX "biblio.xml", &h, NULL, NULL, NULL, NULL, &err) != LM_OK ||
        lm_pubmed_parse_file(PUBMED_FIX "articles.xml", &h, NULL, NULL, NULL, NULL, &err) != LM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    /* And an abstract the NER model was trained on, so that the chain has
     * mentions and pairs to find. */
    lm_pt_corpus c = {0};
    if (lm_pubtator_load(PUBTATOR_FIX "small.pubtator", &c, &err) != LM_OK || c.n_docs == 0 ||
        n_store_articles == STORE_ARTICLES_MAX) {
        fprintf(stderr, "small.pubtator: %s\n", err.msg);
        return 2;
    }
    lm_article *trained = &store_articles[n_store_articles++];
    lm_article_init(trained);
    trained->pmid = atoll(c.docs[0].pmid);
    trained->title = strdup(c.docs[0].title);
    trained->abstract = strdup(c.docs[0].abstract);
    lm_pt_corpus_free(&c);
    LM_RUN(test_injection);
    LM_RUN(test_util);
    LM_RUN(test_fetch);
    LM_RUN(test_text);
    LM_RUN(test_lexicon);
    LM_RUN(test_ner);
    LM_RUN(test_pairs);
    LM_RUN(test_store);
    LM_RUN(test_chain);
    for (size_t i = 0; i < n_store_articles; i++)
        lm_article_free(&store_articles[i]);
    return LM_DONE();
}
