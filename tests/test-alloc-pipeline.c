/*
 * Allocation-failure tests, continued (tests/test-alloc.c has the first
 * part; tests/lm_test_alloc.h the wrappers and the walk): the query
 * analyser, `litmine merge`, the search session and ingest, each run once per
 * allocation it makes with that allocation failing, alone and with every
 * later one.  A run must give the clean run's result or LM_ERR_NOMEM with
 * a message, and leak nothing.
 *
 * The query analyser (nlp/lm_query.c) with the committed lexicon and
 * tagger (models/, mapped from the private model cache): opened, queries
 * analysed (one read by the lexicon alone, one that loads the tagger,
 * phrases and synonyms on), and an LSA embedding model fitted here with
 * nothing failing, copied and mapped, then queries embedded by an
 * analyser that outlives the failed runs.
 *
 * lm_merge_shards (pipeline/lm_merge.c) of two shards into a copy of a
 * target: lm_merge.h promises the target unchanged unless LM_OK is
 * returned.  Each failed run must leave every table's row count and the
 * articles' versions as they were (read through a second connection, as
 * another process would), and a rerun with nothing failing must then
 * give what the clean run gave; a dry run never changes the target.
 *
 * The search session (pipeline/lm_search_session.c) on a database file
 * with a lexical index and pairs: opened without vectors, two lexical
 * queries and a hybrid one (which falls back to lexical) ranked, their
 * first hits explained, one of them an article stored without sentences
 * (the explanation splits its text and names a concept by its mention);
 * then the two lexical explanations again with SQLite interrupted at each
 * virtual-machine step in turn (a progress handler): a read cut short
 * must be an error, not an explanation with fewer rows.  The dense path
 * is not walked: opening a vector file starts its check on a thread of
 * its own (store/search/lm_vec_verify.c), whose allocations interleave
 * with the caller's.
 *
 * The ingest engine (pipeline/lm_ingest.c, lm_engine.c) with one worker,
 * store only, into a new database: a failed run must not leave its log
 * row 'running', and a rerun must store what the clean run stored.  The
 * parser runs on this thread and the writer on its own; with no stage an
 * article is ready at once and the writer is woken for 64 of them or at
 * the end of the file (or after 50 ms, far more than three articles
 * take), so allocation N is the same allocation in every run (checked:
 * two clean runs make as many allocations, and repeated walks failed the
 * same way at every index, also with two other walks running).  With a
 * stage chain (even "sentences" alone) the worker tags article k while
 * the parser reads article k+1: repeated walks failed differently at a
 * dozen of 117 indexes, so the chain is left to tests/test-alloc.c,
 * which walks it on this thread.  (An allocation failing in a stage is no
 * error of the ingest anyway: the article is stored without annotations,
 * counted failed, and `litmine reprocess` retries it, as lm_ingest.h
 * says of any stage failure.)
 */
#include "lm_test_alloc.h"
#include "lm_test_store.h"

#include "../nlp/lm_embed.h"
#include "../nlp/lm_query.h"
#include "../pipeline/lm_ingest.h"
#include "../pipeline/lm_merge.h"
#include "../pipeline/lm_search_session.h"
#include "../pipeline/lm_stage.h"
#include "../store/lm_store_internal.h"
#include "../store/search/lm_search.h"

#define PUBMED_FIX "tests/fixtures/pubmed/"
#define LEXICON "models/lexicon.bin"
#define TAGGER "models/ner.bin"

/* ---- the query analyser ---------------------------------------------------- */

static void summarize_analysis(char *summary, size_t cap, const lm_query_analysis *q)
{
    for (size_t i = 0; i < q->terms.n; i++)
        lm_alloc_summary(summary, cap, "%s/%d/%.2f ", q->terms.v[i].text, (int)q->terms.v[i].kind,
                         q->terms.v[i].weight);
    for (size_t i = 0; i < q->concepts.n; i++)
        lm_alloc_summary(summary, cap, "[%s %s %d %u-%u]", q->concepts.v[i].id,
                         q->concepts.v[i].name, q->concepts.v[i].type, q->concepts.v[i].start,
                         q->concepts.v[i].end);
    lm_alloc_summary(summary, cap, " dim %d", q->dim);
    for (int i = 0; i < q->dim && i < 4; i++)
        lm_alloc_summary(summary, cap, " %.6f", q->vector[i]);
    lm_alloc_summary(summary, cap, ";");
}

/* The first is read by the lexicon alone, so the tagger loads at the
 * second: its load is walked after a query has run. */
static const char *const queries[] = {
    "breast cancer",
    "Parkinson's disease BRCA1 repair",
    "Cisplatin causes nephrotoxicity and hearing loss in children treated for cancer",
    "the of and",
    "",
};
#define N_QUERIES (sizeof queries / sizeof queries[0])

/* Analyses every query into one analysis, reused from query to query as
 * the search session does. */
static lm_status analyze_all(lm_query_analyzer *an, int embed, char *summary, size_t cap,
                             lm_error *err)
{
    lm_query_analysis q;
    lm_query_analysis_init(&q);
    lm_query_analyze_options o = {1, 0.3f, 1, 0.5f, embed};
    lm_status st = LM_OK;
    for (size_t i = 0; i < N_QUERIES && st == LM_OK; i++) {
        if ((st = lm_query_analyze(an, queries[i], &o, &q, err)) == LM_OK) {
            summarize_analysis(summary, cap, &q);
            lm_alloc_summary(summary, cap, " tagger %d\n", lm_query_analyzer_tagger_loaded(an));
        }
    }
    lm_query_analysis_free(&q);
    return st;
}

/* An analyser of the committed lexicon, with the tagger or without. */
static lm_status open_analyzer(const char *tagger, lm_query_analyzer **out, lm_error *err)
{
    lm_query_analyzer_config c = {LEXICON, tagger};
    return lm_query_analyzer_open(&c, out, err);
}

/* Opened, every query analysed, the text operations search asks for,
 * closed: what `litmine query` does with the models before ranking. */
static lm_status op_query_open(char *summary, size_t cap, lm_error *err)
{
    lm_query_analyzer *an = NULL;
    lm_status st = open_analyzer(TAGGER, &an, err);
    if (st != LM_OK)
        return st;
    lm_spans sentences;
    lm_spans_init(&sentences);
    static const char text[] = "Cisplatin is nephrotoxic. Hearing loss follows.";
    if ((st = analyze_all(an, 0, summary, cap, err)) == LM_OK &&
        (st = lm_query_split_sentences(an, text, strlen(text), &sentences, err)) == LM_OK) {
        const char *name = lm_query_concept_name(an, "MESH:D002945");
        lm_alloc_summary(summary, cap, "%s %zu %.1f", name ? name : "-", sentences.n,
                         lm_query_word_weight(an, "cisplatin", 9));
    }
    lm_spans_free(&sentences);
    lm_query_analyzer_close(an);
    return st;
}

/* An LSA model fitted by fit_lsa with nothing failing, in the form the
 * store keeps; and an analyser with the tagger loaded and that model set,
 * which op_query_shared reuses after each failed run. */
static lm_buf lsa_model;
static lm_query_analyzer *shared_analyzer;

/* Without a tagger, so the lexicon alone reads every query. */
static lm_status op_query_embedding(char *summary, size_t cap, lm_error *err)
{
    lm_query_analyzer *an = NULL;
    lm_status st = open_analyzer(NULL, &an, err);
    if (st != LM_OK)
        return st;
    if ((st = lm_query_analyzer_set_embedding(an, lsa_model.data, lsa_model.len, err)) == LM_OK &&
        (st = analyze_all(an, 1, summary, cap, err)) == LM_OK &&
        (st = lm_query_analyzer_map_embedding(an, lsa_model.data, lsa_model.len, err)) == LM_OK)
        st = analyze_all(an, 1, summary, cap, err);
    if (st == LM_OK)
        lm_alloc_summary(summary, cap, "has %d", lm_query_analyzer_has_embedding(an));
    lm_query_analyzer_close(an);
    return st;
}

static lm_status op_query_shared(char *summary, size_t cap, lm_error *err)
{
    return analyze_all(shared_analyzer, 1, summary, cap, err);
}

/* ---- fixture databases ------------------------------------------------------ */

/* A database (removed first) holding what `litmine ingest` stores of the
 * given fixtures, store only, and for each article a doc with a sentence,
 * a mention and a pair, as the NLP stages would leave.  Article `bare`
 * (0: none) gets no sentence and its pair's disease an id no lexicon
 * names, as an article stored before the sentence stage ran would: a hit
 * on it is explained by splitting its text then, and the disease shown
 * by the text of its mention. */
static lm_status make_db(const char *name, const char *const *files, int64_t bare, lm_error *err)
{
    char path[512];
    db_path(path, sizeof path, name);
    lm_store *s = NULL;
    lm_status st = lm_store_open(&s, path, NULL, err);
    for (size_t i = 0; st == LM_OK && files[i]; i++) {
        char file[256];
        snprintf(file, sizeof file, PUBMED_FIX "%s", files[i]);
        lm_ingest_options o;
        memset(&o, 0, sizeof o);
        o.threads = 1;
        lm_ingest_result r;
        st = lm_ingest_file(s, file, &o, &r, err);
    }
    sqlite3_stmt *q = NULL;
    if (st == LM_OK && sqlite3_prepare_v2(lm_store_sqlite(s),
                                          "SELECT pmid, length(title) FROM articles", -1, &q,
                                          NULL) != SQLITE_OK)
        st = lm_error_set(err, LM_ERR_DB, "listing %s", name);
    if (st == LM_OK)
        st = lm_store_begin(s, err);
    while (st == LM_OK && sqlite3_step(q) == SQLITE_ROW) {
        int64_t pmid = sqlite3_column_int64(q, 0);
        int32_t end = sqlite3_column_int(q, 1);
        lm_doc d;
        lm_doc_init(&d);
        int with_sentences = pmid != bare;
        if ((!with_sentences || (st = lm_doc_add_sentence(&d, 0, end, err)) == LM_OK) &&
            (st = lm_doc_add_mention(&d, 0, end > 4 ? 4 : end, LM_ENT_CHEMICAL, "word",
                                     "MESH:D002945", 0, 0.9f, err)) == LM_OK &&
            (st = lm_doc_add_pair(&d, "MESH:D002945", "word",
                                  with_sentences ? "MESH:D007674" : "TEST:unnamed", "kidney",
                                  "induces", 0.75f, 0, 0, end, err)) == LM_OK)
            st = lm_store_put_doc(s, pmid, &d,
                                  (with_sentences ? LM_DOC_SENTENCES : 0) | LM_DOC_MENTIONS |
                                      LM_DOC_PAIRS,
                                  err);
        lm_doc_free(&d);
    }
    sqlite3_finalize(q);
    lm_error ignored;
    if (st == LM_OK)
        st = lm_store_commit(s, err);
    else if (s)
        lm_store_rollback(s, &ignored);
    lm_store_close(s);
    return st;
}

/* ---- litmine merge ------------------------------------------------------------ */

/* Adds to database name an old version of an article of update.xml and
 * one of the PMIDs its DeleteCitation removes, so that a shard holding
 * update.xml replaces the one and deletes the other. */
static lm_status add_doomed_articles(const char *name, lm_error *err)
{
    char path[512];
    lm_test_scratch_path(path, sizeof path, name);
    lm_store *s = NULL;
    lm_status st = lm_store_open(&s, path, NULL, err);
    static const int64_t pmids[] = {32000001, 34567890};
    for (size_t i = 0; st == LM_OK && i < 2; i++) {
        lm_article a;
        lm_article_init(&a);
        a.pmid = pmids[i];
        a.version = 1;
        a.title = strdup("An old record.");
        lm_put_result put;
        st = a.title ? lm_store_put_article(s, &a, "old.xml", &put, err)
                     : lm_error_nomem(err, "in the test");
        lm_article_free(&a);
    }
    lm_store_close(s);
    return st;
}

#define FINGERPRINT_MAX 2048

/* What a merge may change, read through a connection of its own: each
 * table's rows and each article's version. */
static void fingerprint_except(const char *path, const char *skip, char *out, size_t cap)
{
    out[0] = '\0';
    sqlite3 *db = raw_open(path);
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(db,
                       "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                       "name NOT LIKE 'sqlite_%' ORDER BY name",
                       -1, &q, NULL);
    while (q && sqlite3_step(q) == SQLITE_ROW) {
        char sql[300];
        const char *table = (const char *)sqlite3_column_text(q, 0);
        if (skip && strcmp(table, skip) == 0)
            continue;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", table);
        lm_alloc_summary(out, cap, "%s %lld,", table, raw_int(db, sql));
    }
    sqlite3_finalize(q);
    lm_alloc_summary(out, cap, " versions %lld",
                     raw_int(db, "SELECT total(pmid * 10 + version) FROM articles"));
    sqlite3_close(db);
}

static void fingerprint(const char *path, char *out, size_t cap)
{
    fingerprint_except(path, NULL, out, cap);
}

/* Copies a closed database file (its WAL checkpointed away at close),
 * without allocating: removes the copy's stale WAL and shared memory. */
static int copy_db(const char *from, const char *to)
{
    char side[600];
    snprintf(side, sizeof side, "%s-wal", to);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", to);
    unlink(side);
    return lm_test_copy_file(from, to) == 0;
}

static char merge_template[512], merge_target[512], merge_shard[2][512];
static char merged_fingerprint[FINGERPRINT_MAX];
static int merge_dry_run;

/* Where the merge's progress callbacks write; summary NULL: nowhere. */
typedef struct merge_sink {
    char *summary;
    size_t cap;
} merge_sink;

static void summarize_counts(merge_sink *sink, const char *what, const lm_merge_counts *c)
{
    if (!sink->summary)
        return;
    const lm_ingest_counts *i = &c->ingest;
    lm_alloc_summary(sink->summary, sink->cap,
                     "%s: %lld %lld %lld %lld %lld %lld log %lld skip %lld; ", what,
                     (long long)i->articles, (long long)i->inserted, (long long)i->replaced,
                     (long long)i->unchanged, (long long)i->older, (long long)i->deleted,
                     (long long)c->log_rows, (long long)c->skipped);
}

static void summarize_shard(void *ctx, int index, int n, const char *name,
                            const lm_merge_counts *c)
{
    (void)index;
    (void)n;
    summarize_counts(ctx, strrchr(name, '/') ? strrchr(name, '/') + 1 : name, c);
}

static void summarize_total(void *ctx, const lm_merge_counts *c)
{
    summarize_counts(ctx, "total", c);
}

/* Merges the shards into a fresh copy of the template; on a failure the
 * target must be as it was, and a rerun must complete it. */
static lm_status op_merge(char *summary, size_t cap, lm_error *err)
{
    if (!copy_db(merge_template, merge_target))
        return lm_error_set(err, LM_ERR_IO, "copying %s", merge_template);
    static char before[FINGERPRINT_MAX], after[FINGERPRINT_MAX];
    fingerprint(merge_target, before, sizeof before);
    lm_store *target = NULL;
    lm_status st = lm_store_open(&target, merge_target, NULL, err);
    if (st != LM_OK)
        return st;
    const char *const shards[] = {merge_shard[0], merge_shard[1]};
    merge_sink sink = {summary, cap};
    lm_merge_options o = {merge_dry_run, summarize_shard, summarize_total, &sink, NULL};
    lm_merge_counts total;
    st = lm_merge_shards(target, merge_target, shards, 2, &o, &total, err);
    fingerprint(merge_target, after, sizeof after);
    if (st == LM_OK) {
        lm_alloc_summary(summary, cap, " | %s", after);
        if (merge_dry_run && strcmp(before, after) != 0)
            st = lm_error_set(err, LM_ERR_DB, "a dry run changed the target: %s", after);
        lm_store_close(target);
        return st;
    }
    if (strcmp(before, after) != 0) {
        lm_store_close(target);
        return lm_error_set(err, LM_ERR_DB, "a failed merge changed the target: %s", after);
    }
    /* The rerun a user makes after the failure, on the same handle. */
    lm_error first = *err;
    lm_alloc_disarm();
    sink.summary = NULL;
    lm_status again = lm_merge_shards(target, merge_target, shards, 2, &o, &total, err);
    lm_store_close(target);
    fingerprint(merge_target, after, sizeof after);
    if (again != LM_OK)
        return lm_error_wrap(err, "rerun after a failed merge");
    if (strcmp(after, merge_dry_run ? before : merged_fingerprint) != 0)
        return lm_error_set(err, LM_ERR_DB, "a rerun after a failed merge gave %s", after);
    *err = first;
    return st;
}

/* ---- the search session ---------------------------------------------------------- */

static lm_store *search_store;

#define BARE_PMID 39000001   /* biblio.xml's article, which both the first queries find */

static lm_status explain_first(lm_search_session *ss, const lm_search_results *r, char *summary,
                               size_t cap, lm_error *err)
{
    if (r->n == 0)
        return LM_OK;
    lm_search_explanation e;
    memset(&e, 0, sizeof e);
    lm_status st = lm_search_session_explain(ss, r, 0, &e, err);
    if (st == LM_OK) {
        lm_alloc_summary(summary, cap, " explained %lld %d %s|%s|%s", (long long)e.pmid, e.year,
                         e.title ? e.title : "-", e.journal ? e.journal : "-",
                         e.sentence ? e.sentence : "-");
        for (size_t i = 0; i < e.n_marks; i++)
            lm_alloc_summary(summary, cap, " %u-%u", e.marks[i].start, e.marks[i].end);
        for (size_t i = 0; i < e.n_pairs; i++)
            lm_alloc_summary(summary, cap, " %s/%s/%s", e.pairs[i].chemical, e.pairs[i].disease,
                             e.pairs[i].relation);
    }
    lm_search_explanation_free(&e);
    return st;
}

/* The first five hits of text in mode, with nothing explained yet. */
static lm_status query_five(lm_search_session *ss, const char *text, lm_search_mode mode,
                            lm_search_results *r, lm_error *err)
{
    lm_search_options o;
    memset(&o, 0, sizeof o);
    o.mode = mode;
    o.k = 5;
    return lm_search_session_query(ss, text, &o, r, err);
}

static lm_status search_one(lm_search_session *ss, const char *text, lm_search_mode mode,
                            char *summary, size_t cap, lm_error *err)
{
    lm_search_results r;
    lm_search_results_init(&r);
    lm_status st = query_five(ss, text, mode, &r, err);
    if (st == LM_OK) {
        lm_alloc_summary(summary, cap, "%s [%s] %d:", text, r.fts_query ? r.fts_query : "-",
                         (int)r.mode_used);
        for (size_t i = 0; i < r.n; i++)
            lm_alloc_summary(summary, cap, " %lld:%.6f/%d", (long long)r.hits[i].pmid,
                             r.hits[i].score, r.hits[i].concepts);
        for (size_t i = 0; i < r.n_concepts; i++)
            lm_alloc_summary(summary, cap, " %s", r.concepts[i].id);
        st = explain_first(ss, &r, summary, cap, err);
        lm_alloc_summary(summary, cap, ";\n");
    }
    lm_search_results_free(&r);
    return st;
}

/* What `litmine query` does on a database without vectors.  The first two
 * queries find only BARE_PMID, stored without sentences; the third an
 * article stored with them. */
static lm_status open_session(lm_search_session **ss, lm_error *err)
{
    lm_search_session_config c;
    memset(&c, 0, sizeof c);
    c.lexicon_path = LEXICON;
    c.ner_path = TAGGER;
    c.no_vectors = 1;
    *ss = NULL;
    return lm_search_session_open(search_store, &c, ss, err);
}

static lm_status op_search_session(char *summary, size_t cap, lm_error *err)
{
    lm_search_session *ss = NULL;
    lm_status st = open_session(&ss, err);
    if (st != LM_OK)
        return st;
    if ((st = lm_search_session_check(ss, err)) == LM_OK &&
        (st = search_one(ss, "cisplatin kidney injury", LM_SEARCH_LEXICAL, summary, cap, err)) ==
            LM_OK &&
        (st = search_one(ss, "Parkinson's disease in children", LM_SEARCH_HYBRID, summary, cap,
                         err)) == LM_OK &&
        (st = search_one(ss, "BRCA1 expression", LM_SEARCH_LEXICAL, summary, cap, err)) == LM_OK)
        lm_alloc_summary(summary, cap, "vectors %d %zu", lm_search_session_has_vectors(ss),
                         lm_search_session_vectors(ss));
    lm_search_session_close(ss);
    return st;
}

/* Every SQLite read an explanation makes must end in SQLITE_DONE before
 * its rows count as all there are: interrupted at its Nth virtual-machine
 * step (a progress handler, for N = 1, 2, ... until nothing is left to
 * interrupt), an explanation is the clean one or an error with a message,
 * never a shorter one, and the session answers the next question. */
static long explain_steps_left = -1;   /* -1: not armed */

static int interrupt_explain(void *ctx)
{
    (void)ctx;
    return explain_steps_left >= 0 && explain_steps_left-- == 0;
}

static int explain_interrupted(lm_search_session *ss, const char *text, long budget,
                               char *summary, size_t cap, lm_error *err, lm_status *st)
{
    lm_search_results r;
    lm_search_results_init(&r);
    *st = query_five(ss, text, LM_SEARCH_LEXICAL, &r, err);
    explain_steps_left = budget;
    if (*st == LM_OK)
        *st = explain_first(ss, &r, summary, cap, err);
    int fired = explain_steps_left < 0;
    explain_steps_left = -1;
    lm_search_results_free(&r);
    return fired;
}

static void walk_interrupted_explains(void)
{
    lm_search_session *ss = NULL;
    lm_error err;
    LM_CHECK_INT(open_session(&ss, &err), LM_OK);
    if (!ss)
        return;
    sqlite3_progress_handler(lm_store_sqlite(search_store), 1, interrupt_explain, NULL);
    /* BARE_PMID (no stored sentences: the split fallback), then an article
     * read with its sentences */
    static const char *const explained[] = {"cisplatin kidney injury", "BRCA1 expression"};
    int problems = 0;
    long runs = 0;
    for (size_t qi = 0; qi < sizeof explained / sizeof *explained; qi++) {
        char clean[4096] = "", got[4096];
        lm_status st;
        explain_interrupted(ss, explained[qi], -1, clean, sizeof clean, &err, &st);
        LM_CHECK_INT(st, LM_OK);
        LM_CHECK(strstr(clean, "explained") != NULL);
        for (long budget = 0;; budget++, runs++) {
            got[0] = '\0';
            err.msg[0] = '\0';
            int fired = explain_interrupted(ss, explained[qi], budget, got, sizeof got, &err, &st);
            if (st == LM_OK ? strcmp(got, clean) != 0 : err.msg[0] == '\0') {
                if (++problems <= 3)
                    fprintf(stderr, "  %s, step %ld interrupted: %s\n    got:  %s\n    want: %s\n",
                            explained[qi], budget,
                            st == LM_OK ? "a different result" : "no message", got, clean);
            }
            if (!fired || budget > 200000)
                break;
        }
    }
    sqlite3_progress_handler(lm_store_sqlite(search_store), 0, NULL, NULL);
    fprintf(stderr, "  explanations interrupted at each step: %ld runs\n", runs);
    LM_CHECK_INT(problems, 0);
    LM_CHECK(runs > 10);
    lm_search_session_close(ss);
}

/* ---- the tests -------------------------------------------------------------------- */

static int have_models(void)
{
    return access(LEXICON, R_OK) == 0 && access(TAGGER, R_OK) == 0;
}

/* A few made-up titles sharing words with the queries, fitted into an
 * LSA model of 4 dimensions. */
static lm_status fit_lsa(lm_error *err)
{
    static const char *const texts[] = {
        "Cisplatin nephrotoxicity in children: kidney injury after cisplatin treatment",
        "Cisplatin and hearing loss: ototoxicity in children treated for cancer",
        "BRCA1 and DNA repair in breast cancer cells",
        "Parkinson's disease and DNA repair: BRCA1 in neurons",
        "Kidney injury markers in children with cancer",
        "Hearing loss after treatment of breast cancer",
    };
    lm_embed_fit_options o;
    memset(&o, 0, sizeof o);
    o.dim = 4;
    o.min_df = 1;
    o.max_df = 1.0;
    lm_embed_fitter *f = NULL;
    lm_embed_model *m = NULL;
    lm_status st = lm_embed_fitter_init(&f, &o, err);
    for (size_t i = 0; st == LM_OK && i < sizeof texts / sizeof texts[0]; i++)
        st = lm_embed_fitter_add(f, texts[i], strlen(texts[i]), err);
    if (st == LM_OK)
        st = lm_embed_fitter_finish(f, &m, err);
    if (st == LM_OK)
        st = lm_embed_model_save(m, &lsa_model, err);
    lm_embed_model_free(m);
    lm_embed_fitter_free(f);
    return st;
}

static void test_query(void)
{
    if (!have_models())
        LM_SKIP("no committed models");
    lm_alloc_walk("lm_query_analyzer_open and lm_query_analyze", op_query_open);
    lm_error err;
    lm_buf_init(&lsa_model);
    LM_CHECK_INT(fit_lsa(&err), LM_OK);
    if (lsa_model.len == 0)
        return;
    lm_alloc_walk("lm_query_analyzer_set_embedding, map_embedding, analyze", op_query_embedding);
    LM_CHECK_INT(open_analyzer(TAGGER, &shared_analyzer, &err), LM_OK);
    if (shared_analyzer)
        LM_CHECK_INT(lm_query_analyzer_set_embedding(shared_analyzer, lsa_model.data,
                                                     lsa_model.len, &err),
                     LM_OK);
    /* Its tagger loaded first, so that every run starts alike. */
    static char summary[LM_ALLOC_SUMMARY_MAX];
    if (shared_analyzer)
        LM_CHECK_INT(analyze_all(shared_analyzer, 0, summary, sizeof summary, &err), LM_OK);
    if (shared_analyzer)
        lm_alloc_walk("lm_query_analyze on a reused analyzer", op_query_shared);
    lm_query_analyzer_close(shared_analyzer);
    lm_buf_free(&lsa_model);
}

static void test_merge(void)
{
    static const char *const target_files[] = {"biblio.xml", NULL};
    static const char *const shard1_files[] = {"articles.xml", NULL};
    static const char *const shard2_files[] = {"update.xml", "book.xml", "articles.xml", NULL};
    lm_error err;
    LM_CHECK_INT(make_db("merge-template.db", target_files, 0, &err), LM_OK);
    LM_CHECK_INT(add_doomed_articles("merge-template.db", &err), LM_OK);
    LM_CHECK_INT(make_db("shard-1.db", shard1_files, 0, &err), LM_OK);
    LM_CHECK_INT(make_db("shard-2.db", shard2_files, 0, &err), LM_OK);
    lm_test_scratch_path(merge_template, sizeof merge_template, "merge-template.db");
    lm_test_scratch_path(merge_shard[0], sizeof merge_shard[0], "shard-1.db");
    lm_test_scratch_path(merge_shard[1], sizeof merge_shard[1], "shard-2.db");
    db_path(merge_target, sizeof merge_target, "merge-target.db");
    /* What the merge gives with nothing failing, for the reruns. */
    static char summary[LM_ALLOC_SUMMARY_MAX];
    summary[0] = '\0';
    LM_CHECK_INT(op_merge(summary, sizeof summary, &err), LM_OK);
    fingerprint(merge_target, merged_fingerprint, sizeof merged_fingerprint);
    lm_alloc_walk("lm_merge_shards of two shards", op_merge);
    merge_dry_run = 1;
    lm_alloc_walk("lm_merge_shards --dry-run", op_merge);
    merge_dry_run = 0;
}

static void test_search_session(void)
{
    if (!have_models())
        LM_SKIP("no committed models");
    static const char *const files[] = {"articles.xml", "biblio.xml", NULL};
    lm_error err;
    LM_CHECK_INT(make_db("search.db", files, BARE_PMID, &err), LM_OK);
    char path[512];
    lm_test_scratch_path(path, sizeof path, "search.db");
    LM_CHECK_INT(lm_store_open(&search_store, path, NULL, &err), LM_OK);
    if (!search_store)
        return;
    lm_search_refresh_options o;
    memset(&o, 0, sizeof o);
    o.skip_vectors = 1;
    lm_search_refresh_stats stats;
    LM_CHECK_INT(lm_search_refresh_text(search_store, &o, &stats, &err), LM_OK);
    lm_alloc_walk("lm_search_session_open, query, explain (lexical)", op_search_session);
    walk_interrupted_explains();
    lm_store_close(search_store);
}

/* ---- the ingest engine, one worker --------------------------------------------- */

static char ingest_db[512];
static char ingested_fingerprint[FINGERPRINT_MAX];

static lm_status ingest_once(lm_ingest_result *r, lm_error *err)
{
    lm_store *s = NULL;
    lm_status st = lm_store_open(&s, ingest_db, NULL, err);
    if (st != LM_OK)
        return st;
    lm_ingest_options o;
    memset(&o, 0, sizeof o);
    o.threads = 1;
    o.batch_size = 2;
    st = lm_ingest_file(s, PUBMED_FIX "articles.xml", &o, r, err);
    lm_store_close(s);
    return st;
}

/* `litmine ingest --threads 1` of a file into a new database, store only.
 * After a failure the log must not show the run as still running, and a
 * rerun must store what the clean run stored (the failed run's log row
 * aside). */
static lm_status op_ingest(char *summary, size_t cap, lm_error *err)
{
    db_path(ingest_db, sizeof ingest_db, "engine.db");
    lm_ingest_result r;
    memset(&r, 0, sizeof r);
    lm_status st = ingest_once(&r, err);
    static char after[FINGERPRINT_MAX];
    if (st == LM_OK) {
        fingerprint(ingest_db, after, sizeof after);
        const lm_ingest_counts *c = &r.counts;
        lm_alloc_summary(summary, cap, "%d %lld %lld %lld %lld %lld | %s", r.skipped,
                         (long long)c->articles, (long long)c->inserted, (long long)c->deleted,
                         (long long)c->failed, (long long)c->rejected, after);
        return st;
    }
    lm_error first = *err;
    lm_alloc_disarm();
    sqlite3 *db = raw_open(ingest_db);
    long long running = raw_int(db, "SELECT count(*) FROM ingest_log WHERE status = 'running'");
    sqlite3_close(db);
    /* -999: no log table, the open failed before creating it */
    if (running > 0)
        return lm_error_set(err, LM_ERR_DB, "a failed ingest left its log row running");
    if (ingest_once(&r, err) != LM_OK)
        return lm_error_wrap(err, "rerun after a failed ingest");
    fingerprint_except(ingest_db, "ingest_log", after, sizeof after);
    if (strcmp(after, ingested_fingerprint) != 0)
        return lm_error_set(err, LM_ERR_DB, "a rerun after a failed ingest gave %s", after);
    *err = first;
    return st;
}

static void test_ingest(void)
{
    /* The walk needs each index to name the same allocation from run to
     * run; see the opening comment for why the stage chain is left out. */
    static char summary[LM_ALLOC_SUMMARY_MAX];
    lm_error err;
    long counts[2];
    for (int i = 0; i < 2; i++) {
        lm_alloc_arm(-1, LM_ALLOC_FAIL_ONCE);
        summary[0] = '\0';
        LM_CHECK_INT(op_ingest(summary, sizeof summary, &err), LM_OK);
        counts[i] = lm_alloc_count();
    }
    LM_CHECK_INT(counts[0], counts[1]);
    fingerprint_except(ingest_db, "ingest_log", ingested_fingerprint,
                       sizeof ingested_fingerprint);
    lm_alloc_walk("lm_ingest_file, one worker, store only", op_ingest);
}

int main(void)
{
    lm_test_private_model_cache();
    LM_RUN(test_query);
    LM_RUN(test_merge);
    LM_RUN(test_search_session);
    LM_RUN(test_ingest);
    return LM_DONE();
}
