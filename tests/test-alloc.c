/*
 * Allocation-failure tests, in curl's manner: each operation runs once per
 * allocation it makes, with that allocation failing (tests/lm_test_alloc.h
 * wraps malloc and friends at link time), first with only that one failing
 * and then with every later one failing too.  Each run must either succeed
 * with the output of a run where nothing failed, or return LM_ERR_NOMEM
 * with a message; the walk ends with the first run that makes fewer
 * allocations than the index armed, which must succeed.  Everything must
 * be freed either way: LeakSanitizer checks after each operation's walk
 * and again at exit.
 *
 * Covered: lm_buf and its helpers, lm_json parsing, lm_map, lm_config
 * parsing, the PubMed parser on the fixtures, sentence and token
 * splitting, abbreviation detection and use finding, the lexicon (build,
 * lookup, save and load), NER tagging with a tiny model, PubTator
 * loading, lm_doc, and the store (open in memory, put and read back
 * articles and a doc).  Only litmine's own allocations fail; those made
 * inside libxml2, SQLite and libc are not counted (see lm_test_alloc.h).
 */
#include "lm_test_alloc.h"
#include "lm_test.h"

#include "../fetch/lm_eutils.h"
#include "../fetch/lm_pubmed.h"
#include "../nlp/lm_abbrev.h"
#include "../nlp/lm_lexicon.h"
#include "../nlp/lm_ner.h"
#include "../nlp/lm_pubtator.h"
#include "../nlp/lm_sentence.h"
#include "../nlp/lm_token.h"
#include "../nlp/train/lm_ner_train.h"
#include "../store/lm_store.h"
#include "../store/search/lm_fts.h"
#include "../store/search/lm_lexindex.h"
#include "../store/search/lm_search.h"
#include "../util/lm_buf.h"
#include "../util/lm_config.h"
#include "../util/lm_doc.h"
#include "../util/lm_json.h"
#include "../util/lm_map.h"
#include "../util/lm_qterms.h"
#include "../util/lm_mapcache.h"

#include <stdarg.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LM_ALLOC_HAVE_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define LM_ALLOC_HAVE_LSAN 1
#endif
#ifdef LM_ALLOC_HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

/* No operation here makes nearly this many allocations: a walk that gets
 * this far is not ending. */
#define MAX_ALLOCATIONS 20000
#define SUMMARY_MAX 4096
/* Problems printed per walk; the rest are only counted. */
#define REPORT_MAX 5

/* An operation under test: does its work, frees everything, and on
 * success describes its result in summary (without allocating, so that
 * the description itself cannot fail). */
typedef lm_status (*alloc_op)(char *summary, size_t cap, lm_error *err);

/* Appends printf-style text to the NUL-terminated summary. */
static void summary_add(char *summary, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void summary_add(char *summary, size_t cap, const char *fmt, ...)
{
    size_t used = strlen(summary);
    if (used + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(summary + used, cap - used, fmt, ap);
    va_end(ap);
}

static const char *mode_name(lm_alloc_fail_mode mode)
{
    return mode == LM_ALLOC_FAIL_ONCE ? "once" : "from";
}

/* What a run with nothing failing gave, which every run must give unless
 * it fails with LM_ERR_NOMEM. */
typedef struct alloc_expect {
    lm_status status;
    char msg[LM_ERROR_MSG_MAX];
    char summary[SUMMARY_MAX];
} alloc_expect;

/* Runs op with allocation 0, 1, 2, ... failing in the given mode; returns
 * the number of allocation points walked, or -1 when the walk did not end.
 * Problems are printed (the first REPORT_MAX) and counted in *problems. */
static long walk_mode(const char *name, alloc_op op, lm_alloc_fail_mode mode,
                      const alloc_expect *want, int *problems)
{
    static char got[SUMMARY_MAX];
    for (long n = 0; n < MAX_ALLOCATIONS; n++) {
        lm_error err;
        memset(&err, 0, sizeof err);
        got[0] = '\0';
        lm_alloc_arm(n, mode);
        lm_status st = op(got, sizeof got, &err);
        long injected = lm_alloc_injected_count();
        lm_alloc_disarm();
        const char *why = NULL;
        if (st == want->status && (st == LM_OK || strcmp(err.msg, want->msg) == 0)) {
            if (strcmp(got, want->summary) != 0)
                why = "gave a different result";
        } else if (injected == 0) {
            why = "gave another answer with nothing failing";
        } else if (st != LM_ERR_NOMEM) {
            why = "failed with another status or message than LM_ERR_NOMEM or the clean run's";
        } else if (err.code != st) {
            why = "returned a status its lm_error does not carry";
        } else if (err.msg[0] == '\0') {
            why = "failed without a message";
        }
        if (why && ++*problems <= REPORT_MAX) {
            fprintf(stderr, "  %s, allocation %ld failing (%s): %s: %s \"%s\"\n", name, n,
                    mode_name(mode), why, lm_status_str(st), err.msg);
            fprintf(stderr, "    got:  %.300s\n    want: %s \"%s\" %.300s\n", got,
                    lm_status_str(want->status), want->msg, want->summary);
        }
        if (injected == 0)
            return n;
    }
    return -1;
}

/* The whole walk of one operation in both modes, then a leak check.  The
 * operation must end with want_status when nothing fails (an error, for
 * the operations on bad input). */
static void walk_expecting(const char *name, alloc_op op, lm_status want_status)
{
    static alloc_expect want;
    lm_error err;
    memset(&err, 0, sizeof err);
    memset(&want, 0, sizeof want);
    lm_alloc_disarm();
    want.status = op(want.summary, sizeof want.summary, &err);
    memcpy(want.msg, err.msg, sizeof want.msg);
    if (want.status != want_status)
        fprintf(stderr, "  %s: %s \"%s\"\n", name, lm_status_str(want.status), err.msg);
    LM_CHECK_INT(want.status, want_status);
    LM_CHECK(want_status == LM_OK ? want.summary[0] != '\0' : want.msg[0] != '\0');
    if (want.status != want_status)
        return;
    int problems = 0;
    long once = walk_mode(name, op, LM_ALLOC_FAIL_ONCE, &want, &problems);
    long from = walk_mode(name, op, LM_ALLOC_FAIL_FROM, &want, &problems);
    fprintf(stderr, "  %s: %ld allocation points (failing one), %ld (failing all from one)\n",
            name, once, from);
    LM_CHECK(once > 0);
    LM_CHECK(from > 0);
    LM_CHECK_INT(problems, 0);
#ifdef LM_ALLOC_HAVE_LSAN
    LM_CHECK_INT(__lsan_do_recoverable_leak_check(), 0);
#endif
}

static void walk(const char *name, alloc_op op)
{
    walk_expecting(name, op, LM_OK);
}

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
        summary_add(summary, cap, "%zu %.20s|%s|%s|%s|%d", strlen(taken), taken,
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

static const char json_text[] =
    "{\"model_type\": \"bert\", \"hidden_size\": 768, \"layers\": [1, 2.5, -3e2, true, null],"
    " \"labels\": {\"O\": 0, \"B-Chemical\": 1, \"I-Chemical\": 2, \"B-Disease\": 3},"
    " \"name\": \"TNF \\u03b1 \\\"quoted\\\" \\ud83d\\ude00\", \"nested\": [[[{\"deep\": []}]]],"
    " \"empty\": {}, \"big\": 9007199254740993}";

static lm_status op_json(char *summary, size_t cap, lm_error *err)
{
    lm_json *doc = NULL;
    lm_status st = lm_json_parse(&doc, json_text, sizeof json_text - 1, NULL, "t.json", err);
    if (st != LM_OK)
        return st;
    const lm_json_value *root = lm_json_root(doc);
    const lm_json_value *labels = lm_json_get(root, "labels");
    int64_t big = 0;
    lm_json_int64(lm_json_get(root, "big"), &big);
    summary_add(summary, cap, "%zu %s %lld %zu %zu %s %lld %s", lm_json_count(root),
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
        summary_add(summary, cap, "%zu %llu %llu", m.n, (unsigned long long)sum,
                    (unsigned long long)(v ? *v : 0));
    } else if (err->code == LM_OK) {
        lm_error_nomem(err, "growing an lm_map");
    }
    lm_map_free(&m);
    return st;
}

static const char config_text[] =
    "# litmine configuration\n"
    "[store]\n"
    "path = /var/lib/litmine/litmine.db\n"
    "\n"
    "[eutils]\n"
    "email = someone@example.org   ; contact\n"
    "api_key = \"  spaced key  \"\n"
    "emial = typo@example.org\n"
    "[pipeline]\n"
    "threads = 3\n"
    "stages = sentences,ner,pairs\n";

static void count_unknown(void *ctx, const char *file, int line, const char *section,
                          const char *key)
{
    char *summary = ctx;
    summary_add(summary, SUMMARY_MAX, " unknown %s:%d [%s] %s", file, line, section, key);
}

static lm_status op_config(char *summary, size_t cap, lm_error *err)
{
    lm_config *cfg = NULL;
    lm_status st = lm_config_init(&cfg, err);
    if (st != LM_OK)
        return st;
    long threads = 0;
    if ((st = lm_config_load_string(cfg, "t.conf", config_text, err)) == LM_OK &&
        (st = lm_config_set(cfg, "pipeline", "threads", "5", err)) == LM_OK &&
        (st = lm_config_set(cfg, "serve", "port", "8080", err)) == LM_OK &&
        (st = lm_config_get_int(cfg, "pipeline", "threads", 1, 1, 64, &threads, err)) == LM_OK) {
        summary_add(summary, cap, "%s|%s|%s|%ld|%s|%s", lm_config_get(cfg, "store", "path"),
                    lm_config_get(cfg, "eutils", "email"), lm_config_get(cfg, "eutils", "api_key"),
                    threads, lm_config_get_or(cfg, "pipeline", "stages", "?"),
                    lm_config_get_or(cfg, "serve", "port", "?"));
        static const char *const known[] = {"store.path", "eutils.email", "eutils.api_key",
                                            "pipeline.threads", "pipeline.stages", NULL};
        lm_config_each_unknown(cfg, known, count_unknown, summary);
    }
    lm_config_free(cfg);
    return st;
}

/* ---- fetch ---------------------------------------------------------------- */

typedef struct pubmed_summary {
    char *summary;
    size_t cap;
} pubmed_summary;

static lm_status summarize_article(void *ctx, lm_article *a, lm_error *err)
{
    (void)err;
    pubmed_summary *ps = ctx;
    summary_add(ps->summary, ps->cap, "%lld.%d t%zu a%zu m%zu p%zu au%zu k%zu r%zu c%zu %s;",
                (long long)a->pmid, a->version, a->title ? strlen(a->title) : 0,
                a->abstract ? strlen(a->abstract) : 0, a->n_mesh, a->n_pubtypes, a->n_authors,
                a->n_keywords, a->n_references, a->n_chemicals, a->journal ? a->journal : "-");
    return LM_OK;
}

static lm_status summarize_deletion(void *ctx, int64_t pmid, lm_error *err)
{
    (void)err;
    pubmed_summary *ps = ctx;
    summary_add(ps->summary, ps->cap, "del %lld;", (long long)pmid);
    return LM_OK;
}

static lm_status parse_pubmed_fixture(const char *file, char *summary, size_t cap,
                                      lm_error *err)
{
    char path[256];
    snprintf(path, sizeof path, "tests/fixtures/pubmed/%s", file);
    pubmed_summary ps = {summary, cap};
    lm_pubmed_handler h = {summarize_article, summarize_deletion, &ps, NULL};
    lm_pubmed_stats stats;
    lm_status st = lm_pubmed_parse_file(path, &h, NULL, NULL, &stats, NULL, err);
    if (st == LM_OK)
        summary_add(summary, cap, " stats %llu %llu %llu %llu",
                    (unsigned long long)stats.articles, (unsigned long long)stats.book_articles,
                    (unsigned long long)stats.deletions, (unsigned long long)stats.rejected);
    return st;
}

static lm_status op_pubmed_articles(char *summary, size_t cap, lm_error *err)
{
    return parse_pubmed_fixture("articles.xml", summary, cap, err);
}

static lm_status op_pubmed_biblio(char *summary, size_t cap, lm_error *err)
{
    return parse_pubmed_fixture("biblio.xml", summary, cap, err);
}

static lm_status op_pubmed_book(char *summary, size_t cap, lm_error *err)
{
    return parse_pubmed_fixture("book.xml", summary, cap, err);
}

static lm_status op_pubmed_update(char *summary, size_t cap, lm_error *err)
{
    return parse_pubmed_fixture("update.xml", summary, cap, err);
}

/* ---- nlp ----------------------------------------------------------------- */

static const char abstract_text[] =
    "BACKGROUND: Heat shock protein (HSP) levels rise after cisplatin (CDDP) exposure, "
    "e.g. in rats. Tumor necrosis factor alpha (TNF-alpha) and HSP-70 were measured. "
    "METHODS: Fig. 2 shows HSP and CDDP doses (p = .03) vs. controls. "
    "RESULTS: Acute kidney injury (AKI) occurred in 12 of 40 (30%) rats! "
    "CONCLUSIONS: AKI after CDDP is common; HSPs and HSP70 are markers.";

static void summarize_spans(char *summary, size_t cap, const char *what, const lm_spans *s)
{
    summary_add(summary, cap, "%s %zu:", what, s->n);
    for (size_t i = 0; i < s->n; i++)
        summary_add(summary, cap, " %u-%u", s->v[i].start, s->v[i].end);
    summary_add(summary, cap, ";");
}

static lm_status op_split(char *summary, size_t cap, lm_error *err)
{
    lm_spans sentences, tokens;
    lm_spans_init(&sentences);
    lm_spans_init(&tokens);
    lm_status st = lm_sentence_split(abstract_text, sizeof abstract_text - 1, &sentences, err);
    if (st == LM_OK)
        st = lm_token_split(abstract_text, sizeof abstract_text - 1, &tokens, err);
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
    const size_t len = sizeof abstract_text - 1;
    lm_abbrevs found, copy;
    lm_abbrev_uses uses;
    lm_abbrevs_init(&found);
    lm_abbrevs_init(&copy);
    lm_abbrev_uses_init(&uses);
    lm_status st = lm_abbrev_detect(abstract_text, len, &found, err);
    if (st == LM_OK)
        st = lm_abbrevs_copy(&copy, &found, err);
    /* "cisplatin (CDDP)" by the tagger's bracketed-word rule. */
    const char *cisplatin = strstr(abstract_text, "cisplatin");
    if (st == LM_OK)
        st = lm_abbrev_add_bracketed(abstract_text, len, (uint32_t)(cisplatin - abstract_text),
                                     (uint32_t)(cisplatin - abstract_text + 9), &copy, err);
    if (st == LM_OK)
        st = lm_abbrev_find_uses(abstract_text, len, &copy, &uses, err);
    if (st == LM_OK) {
        for (size_t i = 0; i < copy.n; i++)
            summary_add(summary, cap, "%.*s=%.*s;", (int)(copy.v[i].short_end - copy.v[i].short_start),
                        abstract_text + copy.v[i].short_start,
                        (int)(copy.v[i].long_end - copy.v[i].long_start),
                        abstract_text + copy.v[i].long_start);
        for (size_t i = 0; i < uses.n; i++)
            summary_add(summary, cap, " %u-%u/%u", uses.v[i].start, uses.v[i].end, uses.v[i].pair);
        summary_add(summary, cap, " (%zu detected)", found.n);
    }
    lm_abbrev_uses_free(&uses);
    lm_abbrevs_free(&copy);
    lm_abbrevs_free(&found);
    return st;
}

static const struct {
    lm_ent_type type;
    const char *id, *name;
    unsigned flags;
    double score;
} lexicon_names[] = {
    {LM_ENT_CHEMICAL, "MESH:D002945", "Cisplatin", LM_LEX_PREFERRED, LM_LEX_SCORE_NAME},
    {LM_ENT_CHEMICAL, "MESH:D002945", "cis-diamminedichloroplatinum", LM_LEX_SYNONYM,
     LM_LEX_SCORE_TERM},
    {LM_ENT_CHEMICAL, "MESH:D003000", "Clonidine", LM_LEX_PREFERRED, LM_LEX_SCORE_NAME},
    {LM_ENT_DISEASE, "MESH:D058186", "Acute Kidney Injury", LM_LEX_PREFERRED, LM_LEX_SCORE_NAME},
    {LM_ENT_DISEASE, "MESH:D007022", "Hypotension", LM_LEX_PREFERRED, LM_LEX_SCORE_NAME},
    {LM_ENT_DISEASE, "MESH:D007022", "low blood pressure", LM_LEX_SYNONYM, LM_LEX_SCORE_TERM},
    {LM_ENT_GENE, "NCBIGene:7124", "TNF", LM_LEX_SYMBOL, LM_LEX_SCORE_SYMBOL},
    {LM_ENT_GENE, "NCBIGene:7124", "tumor necrosis factor alpha", LM_LEX_SYNONYM,
     LM_LEX_SCORE_FULLNAME},
};

static lm_status build_lexicon(lm_lexicon **out, lm_error *err)
{
    lm_lexicon_builder *b = NULL;
    lm_status st = lm_lexicon_builder_init(&b, err);
    if (st != LM_OK)
        return st;
    for (size_t i = 0; i < sizeof lexicon_names / sizeof lexicon_names[0] && st == LM_OK; i++)
        st = lm_lexicon_builder_add(b, lexicon_names[i].type, lexicon_names[i].id,
                                    lexicon_names[i].name, strlen(lexicon_names[i].name),
                                    lexicon_names[i].flags, lexicon_names[i].score, 1, err);
    if (st == LM_OK)
        st = lm_lexicon_builder_set_classes(b, "MESH:D007022", LM_MESH_DISEASE, "C14.907.514", err);
    if (st == LM_OK)
        st = lm_lexicon_builder_set_name(b, "NCBIGene:7124", "TNF (tumor necrosis factor)", err);
    if (st == LM_OK)
        st = lm_lexicon_builder_finish(b, out, err);
    lm_lexicon_builder_free(b);
    return st;
}

static void summarize_lookups(char *summary, size_t cap, const lm_lexicon *lex)
{
    static const char *const mentions[] = {"cisplatin", "Hypotensions", "Low blood-pressure",
                                           "TNF-alpha", "acute kidney injuries", "aspirin"};
    for (size_t i = 0; i < sizeof mentions / sizeof mentions[0]; i++) {
        lm_lexicon_match m;
        if (lm_lexicon_lookup(lex, LM_ENT_ANY, mentions[i], strlen(mentions[i]), &m))
            summary_add(summary, cap, "%s=%s/%s/%d;", mentions[i], m.id, m.name, m.variant);
        else
            summary_add(summary, cap, "%s=-;", mentions[i]);
    }
}

static lm_status op_lexicon_build(char *summary, size_t cap, lm_error *err)
{
    lm_lexicon *lex = NULL;
    lm_status st = build_lexicon(&lex, err);
    if (st != LM_OK)
        return st;
    summarize_lookups(summary, cap, lex);
    lm_lexicon_free(lex);
    return LM_OK;
}

#define LEX_FIX "tests/fixtures/lexicon/"
static char pubtator_path[512];
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

/* Every importer on the fixtures of tests/fixtures/lexicon, then the
 * DrugBank concepts merged into MeSH ones. */
static lm_status op_lexicon_import(char *summary, size_t cap, lm_error *err)
{
    lm_lexicon_builder *b = NULL;
    lm_status st = lm_lexicon_builder_init(&b, err);
    if (st != LM_OK)
        return st;
    lm_lexicon_import_stats stats[5];
    memset(stats, 0, sizeof stats);
    size_t merged = 0;
    lm_lexicon *lex = NULL;
    if ((st = lm_lexicon_import_mesh(b, LEX_FIX "desc_sample.xml", &stats[0], err)) == LM_OK &&
        (st = lm_lexicon_import_mesh(b, LEX_FIX "supp_sample.xml", &stats[1], err)) == LM_OK &&
        (st = lm_lexicon_import_gene_info(b, LEX_FIX "human_genes_sample.tsv", 9606, 1, &stats[2],
                                          err)) == LM_OK &&
        (st = lm_lexicon_import_drugbank(b, LEX_FIX "drugbank_sample.csv", &stats[3], err)) ==
            LM_OK &&
        (st = lm_lexicon_import_pubtator(b, pubtator_path, &stats[4], err)) == LM_OK &&
        (st = lm_lexicon_builder_merge_xrefs(b, LM_ENT_CHEMICAL, "DRUGBANK:", "MESH:", &merged,
                                             err)) == LM_OK &&
        (st = lm_lexicon_builder_finish(b, &lex, err)) == LM_OK) {
        for (size_t i = 0; i < 5; i++)
            summary_add(summary, cap, "%zu/%zu/%zu ", stats[i].records, stats[i].names,
                        stats[i].skipped);
        summary_add(summary, cap, "merged %zu;", merged);
        summarize_lookups(summary, cap, lex);
    }
    lm_lexicon_free(lex);
    lm_lexicon_builder_free(b);
    return st;
}

/* A model loaded with the map cache off (inflated and parsed from its
 * file), or with its cache removed first (so the load writes one). */
static lm_status load_lexicon_without_cache(char *summary, size_t cap, lm_error *err)
{
    setenv("LITMINE_MODEL_CACHE", "off", 1);
    lm_status st = op_lexicon_load(summary, cap, err);
    lm_test_private_model_cache();
    return st;
}

static char lexicon_cache_path[600];

static lm_status load_lexicon_writing_cache(char *summary, size_t cap, lm_error *err)
{
    unlink(lexicon_cache_path);
    return op_lexicon_load(summary, cap, err);
}

static lm_status op_lexicon_save(char *summary, size_t cap, lm_error *err)
{
    lm_lexicon *lex = NULL;
    lm_status st = build_lexicon(&lex, err);
    if (st != LM_OK)
        return st;
    char path[600];
    snprintf(path, sizeof path, "%s.saved", lexicon_path);
    st = lm_lexicon_save(lex, path, err);
    lm_lexicon_free(lex);
    if (st == LM_OK)
        summary_add(summary, cap, "saved");
    return st;
}

/* A tagger trained on ten sentences (as tests/test-ner.c does); trained
 * with nothing failing, then walked while tagging. */
static const char *const ner_train_text[] = {
    "Naloxone reverses the hypotension induced by clonidine.",
    "Clonidine caused hypotension in rats treated with naloxone.",
    "Patients with epilepsy received carbamazepine daily.",
    "Carbamazepine reduced seizures in patients with epilepsy.",
    "Diazepam did not prevent hypotension or seizures.",
    "Lithium toxicity presented as tremor and ataxia.",
};
static const char *const ner_chemicals[] = {"Naloxone", "naloxone", "clonidine", "Clonidine",
                                            "carbamazepine", "Carbamazepine", "Diazepam",
                                            "Lithium"};
static const char *const ner_diseases[] = {"hypotension", "epilepsy", "seizures", "toxicity",
                                           "tremor", "ataxia"};
#define N_NER_TRAIN (sizeof ner_train_text / sizeof ner_train_text[0])
#define NER_GOLD_MAX 8

static size_t gold_of(const char *text, const char *const *words, size_t n_words,
                      lm_ent_type type, lm_ner_gold *gold, size_t n)
{
    for (size_t i = 0; i < n_words; i++) {
        const char *at = strstr(text, words[i]);
        if (at && n < NER_GOLD_MAX) {
            gold[n].start = (uint32_t)(at - text);
            gold[n].end = (uint32_t)(at - text + strlen(words[i]));
            gold[n].type = type;
            n++;
        }
    }
    return n;
}

static lm_ner_model *ner_model;

static lm_status train_ner_model(lm_error *err)
{
    static lm_ner_gold gold[N_NER_TRAIN][NER_GOLD_MAX];
    lm_ner_train_doc docs[N_NER_TRAIN];
    for (size_t i = 0; i < N_NER_TRAIN; i++) {
        size_t n = gold_of(ner_train_text[i], ner_chemicals,
                           sizeof ner_chemicals / sizeof ner_chemicals[0], LM_ENT_CHEMICAL,
                           gold[i], 0);
        n = gold_of(ner_train_text[i], ner_diseases, sizeof ner_diseases / sizeof ner_diseases[0],
                    LM_ENT_DISEASE, gold[i], n);
        docs[i].text = ner_train_text[i];
        docs[i].len = strlen(ner_train_text[i]);
        docs[i].gold = gold[i];
        docs[i].n_gold = n;
    }
    lm_ner_train_opts o;
    lm_ner_train_opts_init(&o);
    o.epochs = 5;
    o.bits = 12;
    return lm_ner_train_docs(docs, N_NER_TRAIN, &o, &ner_model, err);
}

static lm_status op_ner_tag(char *summary, size_t cap, lm_error *err)
{
    static const char text[] =
        "Clonidine-induced hypotension (CIH) was reversed by naloxone. CIH recurred; "
        "carbamazepine reduced seizures.";
    lm_ner_scratch *scratch = NULL;
    lm_status st = lm_ner_scratch_init(&scratch, err);
    if (st != LM_OK)
        return st;
    lm_ner_mentions out;
    lm_ner_mentions_init(&out);
    st = lm_ner_tag(ner_model, scratch, text, sizeof text - 1, &out, err);
    if (st == LM_OK) {
        for (size_t i = 0; i < out.n; i++)
            summary_add(summary, cap, "%u-%u/%s ", out.v[i].start, out.v[i].end,
                        lm_ent_type_name(out.v[i].type));
        summary_add(summary, cap, "abbrevs %zu", out.abbrevs.n);
    }
    lm_ner_mentions_free(&out);
    lm_ner_scratch_free(scratch);
    return st;
}

static const char pubtator_text[] =
    "100|t|Clonidine-induced hypotension\n"
    "100|a|Naloxone reverses it. Tremor was rare.\n"
    "100\t0\t9\tClonidine\tChemical\tD003000\n"
    "100\t18\t29\thypotension\tDisease\tD007022\n"
    "100\t30\t38\tNaloxone\tChemical\tD009270\n"
    "100\tCID\tD003000\tD007022\n"
    "\n"
    "200|t|Lithium toxicity\n"
    "200|a|Tremor and ataxia.\n"
    "200\t0\t7\tLithium\tChemical\tD008094\n"
    "200\t8\t16\ttoxicity\tDisease\tD064420\n"
    "\n";

static lm_status op_pubtator(char *summary, size_t cap, lm_error *err)
{
    lm_pt_corpus corpus;
    memset(&corpus, 0, sizeof corpus);
    lm_status st = lm_pubtator_load(pubtator_path, &corpus, err);
    if (st != LM_OK)
        return st;
    for (size_t i = 0; i < corpus.n_docs; i++) {
        const lm_pt_doc *d = &corpus.docs[i];
        summary_add(summary, cap, "%s|%s|%s|%zu|%zu;", d->pmid, d->title, d->abstract,
                    d->n_mentions, d->n_relations);
    }
    lm_pt_corpus_free(&corpus);
    return LM_OK;
}

/* ---- lm_doc and the store ----------------------------------------------------- */

static lm_status fill_doc(lm_doc *d, lm_error *err)
{
    lm_status st = lm_doc_set_text(d, "Clonidine-induced hypotension.",
                                   "Naloxone (NLX) reverses it.", err);
    if (st == LM_OK)
        st = lm_doc_add_sentence(d, 0, 30, err);
    if (st == LM_OK)
        st = lm_doc_add_sentence(d, 31, 58, err);
    if (st == LM_OK)
        st = lm_doc_add_mention(d, 18, 29, LM_ENT_DISEASE, "hypotension", "MESH:D007022", 0,
                                0.9f, err);
    if (st == LM_OK)
        st = lm_doc_add_mention(d, 0, 9, LM_ENT_CHEMICAL, "Clonidine", "MESH:D003000", 0,
                                0.8f, err);
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

static lm_status op_doc(char *summary, size_t cap, lm_error *err)
{
    lm_doc d;
    lm_doc_init(&d);
    lm_status st = fill_doc(&d, err);
    if (st == LM_OK) {
        summary_add(summary, cap, "%s|%zu %zu %zu %zu|", d.text, d.n_sentences, d.n_mentions,
                    d.n_abbrevs, d.n_pairs);
        for (size_t i = 0; i < d.n_mentions; i++)
            summary_add(summary, cap, "%s ", d.mentions[i].text);
    }
    lm_doc_free(&d);
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

static lm_status store_work(lm_store *s, char *summary, size_t cap, lm_error *err)
{
    lm_status st = LM_OK;
    for (size_t i = 0; i < n_store_articles && st == LM_OK; i++) {
        lm_put_result put;
        st = lm_store_put_article(s, &store_articles[i], "biblio.xml", &put, err);
        if (st == LM_OK)
            summary_add(summary, cap, "put %d;", (int)put);
    }
    if (st != LM_OK || n_store_articles == 0)
        return st;
    lm_doc d;
    lm_doc_init(&d);
    int64_t pmid = store_articles[0].pmid;
    if ((st = fill_doc(&d, err)) == LM_OK && (st = lm_store_begin(s, err)) == LM_OK) {
        st = lm_store_put_doc(s, pmid, &d, LM_DOC_SENTENCES | LM_DOC_MENTIONS | LM_DOC_PAIRS,
                              err);
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
        summary_add(summary, cap, "doc %u %zu %zu %zu;", found, back.n_sentences,
                    back.n_mentions, back.n_pairs);
    lm_doc_free(&back);
    lm_article a;
    lm_article_init(&a);
    char *source = NULL, *ingested_at = NULL;
    if (st == LM_OK &&
        (st = lm_store_get_article(s, pmid, &a, &source, &ingested_at, err)) == LM_OK)
        summary_add(summary, cap, "%lld %s %s m%zu au%zu r%zu c%zu", (long long)a.pmid, a.title,
                    source, a.n_mesh, a.n_authors, a.n_references, a.n_chemicals);
    free(source);
    free(ingested_at);
    lm_article_free(&a);
    return st;
}

static lm_status op_store(char *summary, size_t cap, lm_error *err)
{
    lm_store *s = NULL;
    lm_status st = lm_store_open(&s, ":memory:", NULL, err);
    if (st != LM_OK)
        return st;
    st = store_work(s, summary, cap, err);
    lm_store_close(s);
    return st;
}

/* ---- more of fetch: chunks, bad input, E-utilities answers ------------------ */

static lm_status op_pubmed_malformed(char *summary, size_t cap, lm_error *err)
{
    return parse_pubmed_fixture("malformed.xml", summary, cap, err);
}

/* articles.xml fed to the push parser 61 bytes at a time. */
static char *articles_xml;
static size_t articles_xml_len;

static lm_status op_pubmed_chunks(char *summary, size_t cap, lm_error *err)
{
    pubmed_summary ps = {summary, cap};
    lm_pubmed_handler h = {summarize_article, summarize_deletion, &ps, NULL};
    lm_pubmed_parser *p = NULL;
    lm_status st = lm_pubmed_parser_init(&p, "articles.xml", &h, err);
    if (st != LM_OK)
        return st;
    for (size_t at = 0; at < articles_xml_len && st == LM_OK; at += 61) {
        size_t n = articles_xml_len - at < 61 ? articles_xml_len - at : 61;
        st = lm_pubmed_parser_feed(p, articles_xml + at, n, err);
    }
    if (st == LM_OK)
        st = lm_pubmed_parser_finish(p, err);
    if (st == LM_OK)
        summary_add(summary, cap, " %llu", (unsigned long long)lm_pubmed_parser_stats(p)->articles);
    lm_pubmed_parser_free(p);
    return st;
}

static lm_status op_eutils_fetch(char *summary, size_t cap, lm_error *err)
{
    pubmed_summary ps = {summary, cap};
    lm_pubmed_handler h = {summarize_article, summarize_deletion, &ps, NULL};
    return lm_eutils_parse_fetch(articles_xml, articles_xml_len, &h, err);
}

static const char esearch_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
    "<!DOCTYPE eSearchResult PUBLIC \"-//NLM//DTD esearch 20060628//EN\" "
    "\"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd\">\n"
    "<eSearchResult><Count>1234</Count><RetMax>3</RetMax><RetStart>20</RetStart>"
    "<QueryKey>1</QueryKey><WebEnv>MCID_0123456789abcdef</WebEnv>"
    "<IdList><Id>39000003</Id><Id>39000002</Id><Id>39000001</Id></IdList>"
    "<TranslationSet/><QueryTranslation>\"cisplatin\"[MeSH Terms] OR cisplatin[All Fields]"
    "</QueryTranslation>"
    "<ErrorList><PhraseNotFound>abcxyz</PhraseNotFound></ErrorList>"
    "<WarningList><OutputMessage>No items found.</OutputMessage></WarningList>"
    "</eSearchResult>\n";

static lm_status op_eutils_search(char *summary, size_t cap, lm_error *err)
{
    lm_eutils_search_result r;
    lm_eutils_search_result_init(&r);
    lm_status st = lm_eutils_parse_search(esearch_xml, sizeof esearch_xml - 1, &r, err);
    if (st == LM_OK) {
        summary_add(summary, cap, "%lld %lld %s %s %s|%s|", (long long)r.count,
                    (long long)r.retstart, r.webenv ? r.webenv : "-",
                    r.query_key ? r.query_key : "-",
                    r.query_translation ? r.query_translation : "-",
                    r.warnings ? r.warnings : "-");
        for (size_t i = 0; i < r.n_ids; i++)
            summary_add(summary, cap, " %lld", (long long)r.ids[i]);
    }
    lm_eutils_search_result_free(&r);
    return st;
}

static lm_status op_eutils_search_error(char *summary, size_t cap, lm_error *err)
{
    (void)summary;
    (void)cap;
    static const char error_xml[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
        "<eSearchResult><ERROR>Invalid query: database is busy</ERROR></eSearchResult>\n";
    lm_eutils_search_result r;
    lm_eutils_search_result_init(&r);
    lm_status st = lm_eutils_parse_search(error_xml, sizeof error_xml - 1, &r, err);
    lm_eutils_search_result_free(&r);
    return st;
}

/* ---- more of nlp and the store ------------------------------------------- */

static char ner_model_path[512];

static lm_status op_ner_save(char *summary, size_t cap, lm_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s.saved", ner_model_path);
    lm_status st = lm_ner_model_save(ner_model, path, err);
    if (st == LM_OK)
        summary_add(summary, cap, "saved");
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
        summary_add(summary, cap, "%s", description);
    else
        lm_error_set(err, st, "describing the model");
    lm_ner_model_free(m);
    return st;
}

static char ner_cache_path[600];

static lm_status load_ner_without_cache(char *summary, size_t cap, lm_error *err)
{
    setenv("LITMINE_MODEL_CACHE", "off", 1);
    lm_status st = op_ner_load(summary, cap, err);
    lm_test_private_model_cache();
    return st;
}

static lm_status load_ner_writing_cache(char *summary, size_t cap, lm_error *err)
{
    unlink(ner_cache_path);
    return op_ner_load(summary, cap, err);
}

static lm_status op_qterms(char *summary, size_t cap, lm_error *err)
{
    lm_qterms q, copy;
    lm_qterms_init(&q);
    lm_qterms_init(&copy);
    lm_qterms_options o = {0, 1, 0.3f};
    lm_buf expr;
    lm_buf_init(&expr);
    lm_status st = lm_qterms_parse("Cisplatin-induced acute kidney injury in the \"children\"",
                                   &o, &q, err);
    if (st == LM_OK)
        st = lm_qterms_add(&q, "cis-diamminedichloroplatinum", 28, LM_QTERM_SYNONYM, 0.5f, 0,
                           NULL, err);
    if (st == LM_OK)
        st = lm_qterms_copy(&copy, &q, err);
    if (st == LM_OK)
        st = lm_fts_expr(&copy, &expr, err);
    if (st == LM_OK) {
        for (size_t i = 0; i < copy.n; i++)
            summary_add(summary, cap, "%s/%d/%.2f ", copy.v[i].text, (int)copy.v[i].kind,
                        copy.v[i].weight);
        summary_add(summary, cap, "| %s", lm_buf_cstr(&expr));
    }
    lm_buf_free(&expr);
    lm_qterms_free(&copy);
    lm_qterms_free(&q);
    return st;
}

static lm_status put_all_articles(lm_store *s, char *summary, size_t cap, lm_error *err)
{
    lm_status st = LM_OK;
    for (size_t i = 0; i < n_store_articles && st == LM_OK; i++) {
        lm_put_result put;
        st = lm_store_put_article(s, &store_articles[i], "biblio.xml", &put, err);
        if (st == LM_OK)
            summary_add(summary, cap, "put %d;", (int)put);
    }
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
    summary_add(summary, cap, "refresh %lld %lld;", (long long)stats.fts_added,
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
            summary_add(summary, cap, " %lld:%.6f", (long long)hits[i].pmid, hits[i].score);
        st = lm_lexindex_match_all(r, s, "cisplatin", &all, &n_all, err);
    }
    if (st == LM_OK) {
        summary_add(summary, cap, "; all");
        for (size_t i = 0; i < n_all; i++)
            summary_add(summary, cap, " %lld", (long long)all[i]);
    }
    free(all);
    lm_qterms_free(&q);
    lm_lexindex_reader_free(r);
    return st;
}

static lm_status op_search(char *summary, size_t cap, lm_error *err)
{
    lm_store *s = NULL;
    lm_status st = lm_store_open(&s, ":memory:", NULL, err);
    if (st != LM_OK)
        return st;
    if ((st = put_all_articles(s, summary, cap, err)) == LM_OK)
        st = search_store(s, summary, cap, err);
    lm_store_close(s);
    return st;
}

/* A database file in WAL mode: put, delete, reopen read-only, read. */
static lm_status op_store_file(char *summary, size_t cap, lm_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/alloc-store.db", lm_test_tmpdir());
    static const char *const sides[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char side[600];
        snprintf(side, sizeof side, "%s%s", path, sides[i]);
        unlink(side);
    }
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
    summary_add(summary, cap, "deleted %d;", deleted);
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
        summary_add(summary, cap, "%lld %s au%zu k%zu g%zu", (long long)a.pmid, a.journal,
                    a.n_authors, a.n_keywords, a.n_grants);
    lm_article_free(&a);
    lm_store_close(s);
    return st;
}

/* ---- the tests ------------------------------------------------------------- */

static void test_util(void)
{
    walk("lm_buf", op_buf);
    walk("lm_json_parse", op_json);
    walk("lm_map", op_map);
    walk("lm_config", op_config);
    walk("lm_qterms and lm_fts_expr", op_qterms);
}

static void test_fetch(void)
{
    walk("lm_pubmed articles.xml", op_pubmed_articles);
    walk("lm_pubmed biblio.xml", op_pubmed_biblio);
    walk("lm_pubmed book.xml", op_pubmed_book);
    walk("lm_pubmed update.xml", op_pubmed_update);
    walk_expecting("lm_pubmed malformed.xml", op_pubmed_malformed, LM_ERR_PARSE);
    FILE *f = fopen("tests/fixtures/pubmed/articles.xml", "rb");
    static char xml[64 * 1024];
    articles_xml_len = f ? fread(xml, 1, sizeof xml, f) : 0;
    if (f)
        fclose(f);
    articles_xml = xml;
    LM_CHECK(articles_xml_len > 0 && articles_xml_len < sizeof xml);
    walk("lm_pubmed_parser_feed in chunks", op_pubmed_chunks);
    walk("lm_eutils_parse_fetch", op_eutils_fetch);
    walk("lm_eutils_parse_search", op_eutils_search);
    walk_expecting("lm_eutils_parse_search <ERROR>", op_eutils_search_error, LM_ERR_NET);
}

static void test_text(void)
{
    walk("lm_sentence_split and lm_token_split", op_split);
    walk("lm_abbrev", op_abbrev);
    walk("lm_pubtator_load", op_pubtator);
    walk("lm_doc", op_doc);
}

static void test_lexicon(void)
{
    snprintf(lexicon_path, sizeof lexicon_path, "%s/alloc.lexicon", lm_test_tmpdir());
    lm_lexicon *lex = NULL;
    lm_error err;
    LM_CHECK_INT(build_lexicon(&lex, &err), LM_OK);
    if (!lex)
        return;
    LM_CHECK_INT(lm_lexicon_save(lex, lexicon_path, &err), LM_OK);
    lm_lexicon_free(lex);
    walk("lm_lexicon build and lookup", op_lexicon_build);
    walk("lm_lexicon_save", op_lexicon_save);
    walk("lm_lexicon_load", op_lexicon_load);
    walk("lm_lexicon_load without a cache", load_lexicon_without_cache);
    lm_buf cache;
    lm_buf_init(&cache);
    LM_CHECK_INT(lm_mapcache_path(lexicon_path, &cache), 0);
    snprintf(lexicon_cache_path, sizeof lexicon_cache_path, "%s", lm_buf_cstr(&cache));
    lm_buf_free(&cache);
    walk("lm_lexicon_load writing its cache", load_lexicon_writing_cache);
    walk("lm_lexicon importers", op_lexicon_import);
}

static void test_ner(void)
{
    lm_error err;
    LM_CHECK_INT(train_ner_model(&err), LM_OK);
    if (!ner_model)
        return;
    snprintf(ner_model_path, sizeof ner_model_path, "%s/alloc.ner", lm_test_tmpdir());
    LM_CHECK_INT(lm_ner_model_save(ner_model, ner_model_path, &err), LM_OK);
    walk("lm_ner_tag", op_ner_tag);
    walk("lm_ner_model_save", op_ner_save);
    walk("lm_ner_model_load", op_ner_load);
    walk("lm_ner_model_load without a cache", load_ner_without_cache);
    lm_buf cache;
    lm_buf_init(&cache);
    LM_CHECK_INT(lm_mapcache_path(ner_model_path, &cache), 0);
    snprintf(ner_cache_path, sizeof ner_cache_path, "%s", lm_buf_cstr(&cache));
    lm_buf_free(&cache);
    walk("lm_ner_model_load writing its cache", load_ner_writing_cache);
    lm_ner_model_free(ner_model);
    ner_model = NULL;
}

static void test_store(void)
{
    lm_error err;
    lm_pubmed_handler h = {keep_article, NULL, NULL, NULL};
    LM_CHECK_INT(lm_pubmed_parse_file("tests/fixtures/pubmed/biblio.xml", &h, NULL, NULL, NULL,
                                      NULL, &err),
                 LM_OK);
    LM_CHECK_INT(lm_pubmed_parse_file("tests/fixtures/pubmed/articles.xml", &h, NULL, NULL, NULL,
                                      NULL, &err),
                 LM_OK);
    LM_CHECK(n_store_articles > 1);
    walk("lm_store in memory", op_store);
    walk("lm_store on a file, then read-only", op_store_file);
    walk("lm_search_refresh_text and lm_lexindex_search", op_search);
    for (size_t i = 0; i < n_store_articles; i++)
        lm_article_free(&store_articles[i]);
    n_store_articles = 0;
}

/* The mechanism itself: the Nth allocation fails, in each mode. */
static void test_injection(void)
{
    lm_alloc_arm(1, LM_ALLOC_FAIL_ONCE);
    void *a = malloc(8), *b = malloc(8), *c = calloc(1, 8);
    char *d = strdup("x");
    long injected = lm_alloc_injected_count();
    lm_alloc_disarm();
    LM_CHECK(a && !b && c && d);
    LM_CHECK_INT(injected, 1);
    free(a);
    free(c);
    free(d);
    lm_alloc_arm(1, LM_ALLOC_FAIL_FROM);
    a = malloc(8);
    b = realloc(NULL, 8);
    d = strndup("xy", 1);
    injected = lm_alloc_injected_count();
    lm_alloc_disarm();
    LM_CHECK(a && !b && !d);
    LM_CHECK_INT(injected, 2);
    LM_CHECK_INT(lm_alloc_count(), 3);
    free(a);
}

int main(void)
{
    FILE *f;
    snprintf(pubtator_path, sizeof pubtator_path, "%s/alloc.pubtator", lm_test_tmpdir());
    if (!(f = fopen(pubtator_path, "w")) || fputs(pubtator_text, f) < 0 || fclose(f) != 0) {
        perror(pubtator_path);
        return 2;
    }
    lm_test_private_model_cache();
    LM_RUN(test_injection);
    LM_RUN(test_util);
    LM_RUN(test_fetch);
    LM_RUN(test_text);
    LM_RUN(test_lexicon);
    LM_RUN(test_ner);
    LM_RUN(test_store);
    return LM_DONE();
}
