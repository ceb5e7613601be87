/* Tests for pipeline/lm_engine and pipeline/lm_stages: ordering and
 * determinism for any thread count, stage failures, deletions, reprocess,
 * backpressure with more articles than the in-flight ring, and a fatal
 * store error that must not hang the reader. */
#include "../pipeline/lm_engine.h"
#include "../store/lm_store_internal.h"
#include "../util/lm_buf.h"
#include "lm_test.h"

#include <sqlite3.h>
#include <unistd.h>

/* A stage that records a mention over the first word of the title and
 * fails on PMIDs divisible by 97. */
static lm_status fake_init(void **state, const lm_config *cfg, lm_error *err)
{
    (void)cfg;
    (void)err;
    *state = NULL;
    return LM_OK;
}
static void fake_free(void *state) { (void)state; }
static lm_status fake_scratch_init(const void *state, void **scratch, lm_error *err)
{
    (void)state;
    (void)err;
    *scratch = NULL;
    return LM_OK;
}
static void fake_scratch_free(void *scratch) { (void)scratch; }
static lm_status fake_process(const void *state, void *scratch, const lm_article *a,
                              lm_doc *doc, lm_error *err)
{
    (void)state;
    (void)scratch;
    if (a->pmid % 97 == 0)
        return lm_error_set(err, LM_ERR_PARSE, "cannot handle this one");
    int32_t end = (int32_t)strcspn(doc->text, " ");
    char word[64];
    snprintf(word, sizeof word, "%.*s", end, doc->text);
    lm_status st = lm_doc_add_sentence(doc, 0, (int32_t)doc->text_len, err);
    if (st == LM_OK)
        st = lm_doc_add_mention(doc, 0, end, 1, word, "MESH:D000001", 0,
                                (float)(a->pmid % 10) / 10.0f, err);
    return st;
}
static const lm_stage_ops fake_stage = {"fake",
                                        fake_init,
                                        fake_free,
                                        fake_scratch_init,
                                        fake_scratch_free,
                                        fake_process,
                                        LM_DOC_SENTENCES | LM_DOC_MENTIONS,
                                        0,
                                        NULL};

static void make_article(lm_article *a, int64_t pmid)
{
    char title[64], abstract[128];
    lm_article_init(a);
    a->pmid = pmid;
    snprintf(title, sizeof title, "Word%lld about things", (long long)pmid);
    snprintf(abstract, sizeof abstract, "Abstract of %lld.", (long long)pmid);
    a->title = strdup(title);
    a->abstract = strdup(abstract);
    lm_article_add_mesh(a, "D006801", "Humans", 0);
}

static void open_db(const char *name, lm_store **store)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", lm_test_tmpdir(), name);
    lm_error err;
    LM_CHECK(lm_store_open(store, path, NULL, &err) == LM_OK);
}

/* Ingests n articles (deleting a few) with the given thread count and
 * returns a dump of the resulting rows. */
static char *run_with_threads(int threads, int n, const char *name)
{
    lm_store *store;
    open_db(name, &store);
    lm_stage_chain chain = {.ops = {&fake_stage}, .n = 1};
    lm_engine_options opts = {.threads = threads, .batch_size = 50, .chain = &chain, .source = "test"};
    lm_engine *e;
    lm_error err;
    LM_CHECK(lm_engine_start(&e, store, &opts, &err) == LM_OK);
    for (int i = 1; i <= n; i++) {
        lm_article a;
        make_article(&a, 1000 + i);
        LM_CHECK(lm_engine_submit(e, &a, &err) == LM_OK);
        if (i % 250 == 0)
            LM_CHECK(lm_engine_submit_delete(e, 1000 + i - 1, &err) == LM_OK);
    }
    lm_ingest_counts counts;
    LM_CHECK(lm_engine_finish(e, 0, &counts, &err) == LM_OK);
    LM_CHECK_INT(counts.articles, n);
    LM_CHECK_INT(counts.inserted, n);
    LM_CHECK_INT(counts.deleted, n / 250);
    int failing = 0;
    for (int i = 1; i <= n; i++)
        failing += (1000 + i) % 97 == 0;
    LM_CHECK_INT(counts.failed, failing);
    lm_store_close(store);

    char path[512];
    snprintf(path, sizeof path, "%s/%s", lm_test_tmpdir(), name);
    sqlite3 *db;
    sqlite3_open(path, &db);
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db,
                       "SELECT 'a', pmid, title, '' FROM articles UNION ALL "
                       "SELECT 'm', pmid, id || ':' || start || ':' || end || ':' || text, "
                       "score FROM mentions UNION ALL "
                       "SELECT 's', pmid, idx, end FROM sentences ORDER BY 1, 2, 3",
                       -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW)
        fprintf(f, "%s|%s|%s|%s\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
                sqlite3_column_text(st, 2), sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
    sqlite3_close(db);
    fclose(f);
    return mem;
}

static void test_identical_for_any_thread_count(void)
{
    /* More articles than the in-flight ring, so submit must block and
     * resume (backpressure) in every configuration. */
    int n = LM_ENGINE_IN_FLIGHT * 3 + 17;
    char *one = run_with_threads(1, n, "t1.db");
    char *two = run_with_threads(2, n, "t2.db");
    char *eight = run_with_threads(8, n, "t8.db");
    LM_CHECK(one && strlen(one) > 1000);
    LM_CHECK_STR(one, two);
    LM_CHECK_STR(one, eight);
    LM_CHECK(strstr(one, "a|1194|") != NULL);      /* 1194 = 97 * 12 + 30: stored... */
    LM_CHECK(strstr(one, "m|1164|") == NULL);      /* 1164 = 97 * 12: no mentions */
    LM_CHECK(strstr(one, "a|1249|") == NULL);      /* deleted */
    free(one);
    free(two);
    free(eight);
}

/* Rows a second connection sees: what is committed. */
static int committed_rows(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", lm_test_tmpdir(), name);
    sqlite3 *db;
    int rows = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM articles", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            rows = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return rows;
}

static void test_flush_commits(void)
{
    lm_store *store;
    open_db("flush.db", &store);
    lm_engine_options opts = {.threads = 2, .batch_size = 1000000, .source = "test"};
    lm_engine *e;
    lm_error err;
    LM_CHECK(lm_engine_start(&e, store, &opts, &err) == LM_OK);
    for (int i = 0; i < 10; i++) {
        lm_article a;
        make_article(&a, 500 + i);
        lm_engine_submit(e, &a, &err);
    }
    LM_CHECK(lm_engine_flush(e, &err) == LM_OK);
    /* A second connection sees the flushed rows: they are committed. */
    LM_CHECK_INT(committed_rows("flush.db"), 10);
    lm_ingest_counts c;
    lm_engine_counts(e, &c);
    LM_CHECK_INT(c.inserted, 10);
    LM_CHECK(lm_engine_finish(e, 0, NULL, &err) == LM_OK);
    lm_store_close(store);
}

/* A reader that stalls (a slow pipe, the network) after fewer articles
 * than the writer's wake-up batch: with a batch size of 1 they must still
 * be committed while it waits, not when it resumes. */
static void test_stalled_reader_still_commits(void)
{
    lm_store *store;
    open_db("stall.db", &store);
    lm_engine_options opts = {.threads = 1, .batch_size = 1, .source = "test"};
    lm_engine *e;
    lm_error err;
    LM_CHECK(lm_engine_start(&e, store, &opts, &err) == LM_OK);
    usleep(100000);   /* let the writer go idle, as while a parser starts */
    for (int i = 0; i < 10; i++) {
        lm_article a;
        make_article(&a, 700 + i);
        LM_CHECK(lm_engine_submit(e, &a, &err) == LM_OK);
    }
    /* Bounded wait for a condition, not a timing assertion: 10 s is 200
     * times the writer's wake-up period. */
    int rows = 0;
    for (int waited = 0; waited < 1000 && (rows = committed_rows("stall.db")) < 10; waited++)
        usleep(10000);
    LM_CHECK_INT(rows, 10);
    LM_CHECK(lm_engine_finish(e, 0, NULL, &err) == LM_OK);
    lm_store_close(store);
}

static void test_reprocess_rewrites_derived_rows(void)
{
    lm_store *store;
    open_db("re.db", &store);
    lm_engine_options plain = {.threads = 1, .batch_size = 10, .source = "test"};
    lm_engine *e;
    lm_error err;
    lm_engine_start(&e, store, &plain, &err);
    lm_article a;
    make_article(&a, 4242);
    lm_engine_submit(e, &a, &err);
    LM_CHECK(lm_engine_finish(e, 0, NULL, &err) == LM_OK);

    lm_stage_chain chain = {.ops = {&fake_stage}, .n = 1};
    lm_engine_options staged = {.threads = 2, .batch_size = 10, .chain = &chain, .source = "test"};
    LM_CHECK(lm_engine_start(&e, store, &staged, &err) == LM_OK);
    for (int round = 0; round < 2; round++) {
        lm_article stored;
        lm_article_init(&stored);
        LM_CHECK(lm_store_get_article(store, 4242, &stored, NULL, NULL, &err) == LM_OK);
        LM_CHECK(lm_engine_submit_reprocess(e, &stored, NULL, LM_DOC_ALL, &err) == LM_OK);
        LM_CHECK(lm_engine_flush(e, &err) == LM_OK);
    }
    lm_ingest_counts c;
    LM_CHECK(lm_engine_finish(e, 0, &c, &err) == LM_OK);
    LM_CHECK_INT(c.articles, 2);
    LM_CHECK_INT(c.inserted, 0);
    lm_store_close(store);

    char path[512];
    snprintf(path, sizeof path, "%s/re.db", lm_test_tmpdir());
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT count(*), max(text) FROM mentions WHERE pmid=4242", -1, &st,
                       NULL);
    LM_CHECK(sqlite3_step(st) == SQLITE_ROW);
    LM_CHECK_INT(sqlite3_column_int(st, 0), 1);   /* replaced, not duplicated */
    LM_CHECK_STR((const char *)sqlite3_column_text(st, 1), "Word4242");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_fatal_store_error_does_not_hang(void)
{
    lm_store *store;
    open_db("fatal.db", &store);
    /* Another connection holds the write lock: the writer's first
     * transaction fails after the (short) busy timeout. */
    lm_store_close(store);
    char path[512];
    snprintf(path, sizeof path, "%s/fatal.db", lm_test_tmpdir());
    lm_store_options so = {.busy_timeout_ms = 50};
    lm_error err;
    LM_CHECK(lm_store_open(&store, path, &so, &err) == LM_OK);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

    lm_engine_options opts = {.threads = 2, .batch_size = 10, .source = "test"};
    lm_engine *e;
    LM_CHECK(lm_engine_start(&e, store, &opts, &err) == LM_OK);
    lm_status st = LM_OK;
    int submitted = 0;
    for (int i = 0; i < LM_ENGINE_IN_FLIGHT * 2 && st == LM_OK; i++, submitted++) {
        lm_article a;
        make_article(&a, 9000 + i);
        st = lm_engine_submit(e, &a, &err);
    }
    lm_ingest_counts counts;
    lm_status fst = lm_engine_finish(e, 0, &counts, &err);
    LM_CHECK(fst == LM_ERR_BUSY || fst == LM_ERR_DB);
    /* Nothing was committed, so nothing is counted as stored. */
    LM_CHECK_INT(counts.inserted, 0);
    LM_CHECK_INT(counts.articles, 0);
    LM_CHECK(strlen(err.msg) > 0);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    lm_store_close(store);
}

/* Rows of one table for one PMID, counted on a separate connection. */
static int count_rows(const char *name, const char *table, int64_t pmid)
{
    char path[512], sql[128];
    snprintf(path, sizeof path, "%s/%s", lm_test_tmpdir(), name);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE pmid = %lld", table,
             (long long)pmid);
    sqlite3 *db;
    sqlite3_stmt *st;
    int n = -1;
    sqlite3_open(path, &db);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void count_warning(void *ctx, const char *msg)
{
    (void)msg;
    ++*(int *)ctx;
}

static lm_status fail_call(void *ctx, lm_store *s, lm_error *err)
{
    (void)ctx;
    (void)s;
    return lm_error_set(err, LM_ERR_DB, "the call failed");
}

/* After a fatal error the open batch is rolled back: the counts say what
 * was committed, not what was written and undone. */
static void test_counts_after_fatal_error_are_committed_ones(void)
{
    lm_store *store;
    open_db("fatal-counts.db", &store);
    lm_error err;
    lm_engine_options opts = {.threads = 1, .batch_size = 3, .source = "t"};
    lm_engine *e;
    LM_CHECK(lm_engine_start(&e, store, &opts, &err) == LM_OK);
    for (int i = 1; i <= 5; i++) {
        lm_article a;
        make_article(&a, 8000 + i);
        LM_CHECK(lm_engine_submit(e, &a, &err) == LM_OK);
    }
    LM_CHECK(lm_engine_submit_call(e, fail_call, NULL, &err) == LM_OK);
    lm_ingest_counts c;
    LM_CHECK(lm_engine_finish(e, 0, &c, &err) == LM_ERR_DB);
    LM_CHECK_INT(c.inserted, 3);
    LM_CHECK_INT(c.articles, 3);
    lm_store_close(store);
    LM_CHECK_INT(count_rows("fatal-counts.db", "articles", 8003), 1);
    LM_CHECK_INT(count_rows("fatal-counts.db", "articles", 8004), 0);
}

/* A rerun writes only the parts it is given: here the mentions, while
 * the stored sentences and pairs stay. */
static void test_reprocess_replaces_only_its_parts(void)
{
    lm_store *store;
    open_db("parts.db", &store);
    lm_error err;
    lm_stage_chain chain = {.ops = {&fake_stage}, .n = 1};
    lm_engine_options opts = {.threads = 1, .batch_size = 10, .chain = &chain, .source = "t"};
    lm_engine *e;
    LM_CHECK(lm_engine_start(&e, store, &opts, &err) == LM_OK);
    lm_article a;
    make_article(&a, 5151);
    LM_CHECK(lm_engine_submit(e, &a, &err) == LM_OK);
    LM_CHECK(lm_engine_finish(e, 0, NULL, &err) == LM_OK);
    lm_doc pairs;
    lm_doc_init(&pairs);
    LM_CHECK(lm_doc_add_pair(&pairs, "MESH:D1", "x", "MESH:D2", "y", "induces", 0.9f, 0, 0, 5,
                             &err) == LM_OK);
    LM_CHECK(lm_store_begin(store, &err) == LM_OK);
    LM_CHECK(lm_store_put_doc(store, 5151, &pairs, LM_DOC_PAIRS, &err) == LM_OK);
    LM_CHECK(lm_store_commit(store, &err) == LM_OK);
    lm_doc_free(&pairs);
    LM_CHECK_INT(count_rows("parts.db", "sentences", 5151), 1);
    LM_CHECK_INT(count_rows("parts.db", "mentions", 5151), 1);
    LM_CHECK_INT(count_rows("parts.db", "pairs", 5151), 1);

    /* The stored sentence comes in as input; the stage adds one more,
     * which is not written: only mentions are replaced. */
    LM_CHECK(lm_engine_start(&e, store, &opts, &err) == LM_OK);
    lm_doc stored;
    lm_doc_init(&stored);
    unsigned found = 0;
    LM_CHECK(lm_store_get_doc(store, 5151, LM_DOC_SENTENCES | LM_DOC_MENTIONS, &stored, &found,
                              &err) == LM_OK);
    LM_CHECK_INT(found, LM_DOC_SENTENCES | LM_DOC_MENTIONS);
    LM_CHECK_INT(stored.n_sentences, 1);
    LM_CHECK(stored.n_mentions == 1 && stored.mentions[0].concept_id &&
             strcmp(stored.mentions[0].concept_id, "MESH:D000001") == 0);
    lm_doc_free(&stored);
    LM_CHECK(lm_store_get_doc(store, 5151, LM_DOC_SENTENCES, &stored, &found, &err) == LM_OK);
    LM_CHECK(lm_store_get_article(store, 5151, &a, NULL, NULL, &err) == LM_OK);
    LM_CHECK(lm_engine_submit_reprocess(e, &a, &stored, LM_DOC_MENTIONS, &err) == LM_OK);
    lm_ingest_counts c;
    LM_CHECK(lm_engine_finish(e, 0, &c, &err) == LM_OK);
    LM_CHECK_INT(c.articles, 1);
    LM_CHECK_INT(count_rows("parts.db", "sentences", 5151), 1);
    LM_CHECK_INT(count_rows("parts.db", "mentions", 5151), 1);
    LM_CHECK_INT(count_rows("parts.db", "pairs", 5151), 1);
    lm_store_close(store);
}

/* An article with a value over SQLite's length limit is bad input: it is
 * reported and counted, nothing of it is written, and the articles around
 * it in the same batch are stored. */
static void test_oversized_article_is_rejected(void)
{
    lm_store *store;
    open_db("toobig.db", &store);
    sqlite3_limit(lm_store_sqlite(store), SQLITE_LIMIT_LENGTH, 4096);
    lm_error err;
    int warnings = 0;
    lm_engine_options opts = {.threads = 1,
                              .batch_size = 100,
                              .source = "t",
                              .on_warning = count_warning,
                              .warning_ctx = &warnings};
    lm_engine *e;
    LM_CHECK(lm_engine_start(&e, store, &opts, &err) == LM_OK);
    lm_article v1;
    make_article(&v1, 7004);
    LM_CHECK(lm_engine_submit(e, &v1, &err) == LM_OK);
    for (int i = 1; i <= 4; i++) {
        lm_article a;
        make_article(&a, 7000 + i);
        a.version = 2;   /* 7004: a new version of the article above */
        if (i == 2 || i == 4) {
            free(a.abstract);
            a.abstract = malloc(10000);
            memset(a.abstract, 'x', 9999);
            a.abstract[9999] = '\0';
        }
        LM_CHECK(lm_engine_submit(e, &a, &err) == LM_OK);
    }
    lm_ingest_counts c;
    LM_CHECK(lm_engine_finish(e, 0, &c, &err) == LM_OK);
    LM_CHECK_INT(c.inserted, 3);
    LM_CHECK_INT(c.rejected, 2);
    LM_CHECK_INT(warnings, 2);
    lm_store_close(store);
    LM_CHECK_INT(count_rows("toobig.db", "articles", 7001), 1);
    LM_CHECK_INT(count_rows("toobig.db", "articles", 7002), 0);
    LM_CHECK_INT(count_rows("toobig.db", "mesh_headings", 7002), 0);
    LM_CHECK_INT(count_rows("toobig.db", "articles", 7003), 1);
    /* The refused new version left the stored one whole. */
    LM_CHECK_INT(count_rows("toobig.db", "articles", 7004), 1);
    LM_CHECK_INT(count_rows("toobig.db", "mesh_headings", 7004), 1);
}

/* Adds one pair per document, scored by where its text starts. */
static lm_status pair_process(const void *state, void *scratch, const lm_article *a,
                              lm_doc *doc, lm_error *err)
{
    (void)state;
    (void)scratch;
    float score = a->title ? 0.1f : 0.5f;
    return lm_doc_add_pair(doc, "MESH:C", "c", "MESH:D", "d", "induces", score, 0, 0, 1, err);
}
static const lm_stage_ops pair_stage = {"pair",          fake_init,        fake_free,
                                        fake_scratch_init, fake_scratch_free, pair_process,
                                        LM_DOC_PAIRS,      LM_DOC_MENTIONS,  NULL};

/* A text over LM_STAGE_WINDOW goes through the stages window by window;
 * the results land where they belong in the whole text. */
static void test_long_text_in_windows(void)
{
    lm_buf abs;
    lm_buf_init(&abs);
    for (int i = 0; abs.len < 3 * LM_STAGE_WINDOW; i++)
        lm_buf_printf(&abs, "Word%d is here. ", i);
    lm_article a;
    lm_article_init(&a);
    a.pmid = 1;
    a.title = strdup("Title words");
    a.abstract = lm_buf_take(&abs);
    lm_stage_chain chain = {.ops = {&fake_stage, &pair_stage}, .n = 2};
    void *scratch[2] = {NULL, NULL};
    lm_doc doc;
    lm_doc_init(&doc);
    lm_error err;
    int failed = -1;
    double seconds[2] = {0, 0};
    LM_CHECK(lm_stage_chain_run(&chain, scratch, &a, &doc, seconds, &failed, &err) == LM_OK);
    LM_CHECK(doc.n_sentences >= 4 && doc.n_sentences <= 7);
    LM_CHECK_INT(doc.n_mentions, doc.n_sentences);
    LM_CHECK_INT(doc.stages_done, 3);
    /* Windows tile the text; each mention is the first word of its own
     * window, at the right offsets; the title opens the first. */
    LM_CHECK_INT(doc.sentences[0].start, 0);
    LM_CHECK(doc.n_mentions > 0 && strcmp(doc.mentions[0].text, "Title") == 0);
    for (size_t i = 0; i < doc.n_sentences; i++) {
        const lm_doc_mention *m = &doc.mentions[i];
        LM_CHECK(strncmp(doc.text + m->start, m->text, strlen(m->text)) == 0);
        LM_CHECK_INT(m->sentence, (long long)i);
        LM_CHECK(doc.sentences[i].end - doc.sentences[i].start <= (int32_t)LM_STAGE_WINDOW + 1);
        if (i > 0) {
            LM_CHECK(doc.sentences[i].start >= doc.sentences[i - 1].end);
            /* Cut after a sentence: each later window starts with a word. */
            LM_CHECK(strncmp(doc.text + m->start, "Word", 4) == 0);
        }
    }
    LM_CHECK((size_t)doc.sentences[doc.n_sentences - 1].end >= doc.text_len - 2);
    /* One pair for the article: the best-scored of the windows. */
    LM_CHECK_INT(doc.n_pairs, 1);
    LM_CHECK(doc.n_pairs == 1 && doc.pairs[0].score == 0.5f);
    lm_doc_free(&doc);

    /* Short texts are processed whole, as before windows existed. */
    free(a.abstract);
    a.abstract = strdup("Short one.");
    LM_CHECK(lm_stage_chain_run(&chain, scratch, &a, &doc, NULL, NULL, &err) == LM_OK);
    LM_CHECK_INT(doc.n_sentences, 1);
    LM_CHECK(doc.n_pairs == 1 && doc.pairs[0].score == 0.1f);
    lm_doc_free(&doc);
    lm_article_free(&a);
}

static void test_unknown_stage_rejected(void)
{
    lm_config *cfg;
    lm_error err;
    lm_config_init(&cfg, &err);
    lm_stage_chain chain;
    LM_CHECK(lm_stage_chain_init(&chain, "sentences,bogus", cfg, &err) == LM_ERR_USAGE);
    LM_CHECK(strstr(err.msg, "bogus") != NULL);
    LM_CHECK(lm_stage_chain_init(&chain, "sentences,sentences", cfg, &err) == LM_ERR_USAGE);
    LM_CHECK(lm_stage_chain_init(&chain, "", cfg, &err) == LM_OK && chain.n == 0);
    LM_CHECK(lm_stage_chain_init(&chain, "sentences", cfg, &err) == LM_OK && chain.n == 1);
    lm_stage_chain_free(&chain);
    lm_config_set(cfg, "models", "dir", "/nonexistent", &err);
    LM_CHECK(lm_stage_chain_init(&chain, "ner", cfg, &err) != LM_OK);
    LM_CHECK(strstr(err.msg, "/nonexistent") != NULL);
    lm_config_free(cfg);
}

int main(void)
{
    LM_RUN(test_identical_for_any_thread_count);
    LM_RUN(test_flush_commits);
    LM_RUN(test_stalled_reader_still_commits);
    LM_RUN(test_reprocess_rewrites_derived_rows);
    LM_RUN(test_fatal_store_error_does_not_hang);
    LM_RUN(test_counts_after_fatal_error_are_committed_ones);
    LM_RUN(test_reprocess_replaces_only_its_parts);
    LM_RUN(test_oversized_article_is_rejected);
    LM_RUN(test_long_text_in_windows);
    LM_RUN(test_unknown_stage_rejected);
    return LM_DONE();
}
