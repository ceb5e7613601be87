/*
 * Tests for store/lm_lexindex (and Porter's stemmer in nlp/lm_query):
 * BM25F scores against a hand computation, stems shared by index and
 * query, replaced and deleted articles never returned, merges that keep
 * the answers, drop dead postings and reuse the pages they free, phrase
 * rescoring, filters, damaged posting lists reported as corruption, and
 * the pruned ranking equal to the exhaustive one.
 */
#include "../store/search/lm_lexindex.h"
#include "../pipeline/lm_index.h"
#include "../pipeline/lm_search_session.h"
#include "../store/search/lm_search.h"
#include "../store/lm_store_internal.h"
#include "lm_test_store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void put(lm_store *s, int64_t pmid, int version, const char *title, const char *abstract)
{
    lm_article a;
    lm_article_init(&a);
    a.pmid = pmid;
    a.version = version;
    a.year = 2000 + (int)pmid;
    a.title = (char *)title;
    a.abstract = (char *)abstract;
    lm_error err = {0};
    lm_put_result r;
    LM_CHECK(lm_store_put_article(s, &a, "test", &r, &err) == LM_OK);
}

static void refresh(lm_store *s, int batch)
{
    lm_search_refresh_options o = {0};
    o.skip_vectors = 1;
    o.batch = batch;
    lm_error err = {0};
    LM_CHECK(lm_index_refresh(s, &o, NULL, &err) == LM_OK);
}

static const lm_lexindex_params params = {1.2f, 0.75f, 0.75f, 1.0f, 1.0f, 100};

/* Searches text (phrases of adjacent words when phrases is set); fills
 * pmids/scores, returns the hit count or -1 on error (err kept). */
static long run(lm_lexindex_reader *r, lm_store *s, const char *text, int phrases,
                lm_lexindex_filter keep, int64_t *pmids, double *scores, size_t max,
                lm_error *err)
{
    lm_qterms q;
    lm_qterms_init(&q);
    lm_qterms_options qo = {0, phrases, 0.5f};
    long out = -1;
    if (lm_qterms_parse(text, &qo, &q, err) == LM_OK) {
        const lm_lexindex_hit *hits = NULL;
        size_t n = 0;
        if (lm_lexindex_search(r, s, &params, &q, max, keep, NULL, &hits, &n, err) == LM_OK) {
            for (size_t i = 0; i < n; i++) {
                if (pmids)
                    pmids[i] = hits[i].pmid;
                if (scores)
                    scores[i] = hits[i].score;
            }
            out = (long)n;
        }
    }
    lm_qterms_free(&q);
    return out;
}

static void test_porter(void)
{
    static const char *const cases[][2] = {
        {"caresses", "caress"}, {"ponies", "poni"},       {"agreed", "agre"},
        {"hopping", "hop"},     {"filing", "file"},       {"happy", "happi"},
        {"relational", "relat"}, {"conditional", "condit"}, {"digitizer", "digit"},
        {"callousness", "callous"}, {"triplicate", "triplic"}, {"revival", "reviv"},
        {"adjustment", "adjust"}, {"adoption", "adopt"},  {"controll", "control"},
        {"generalizations", "gener"}, {"activation", "activ"}, {"activity", "activ"},
        {"il6", "il6"},         {"as", "as"},             {"\xc3\xa9tudes", "\xc3\xa9tudes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[LM_WORD_MAX + 1];
        size_t n = lm_words_porter(cases[i][0], strlen(cases[i][0]), out, sizeof out);
        LM_CHECK_STR(out, cases[i][1]);
        LM_CHECK(n == strlen(cases[i][1]));
    }
    char small[4];
    LM_CHECK(lm_words_porter("activation", 10, small, sizeof small) == 3);
    LM_CHECK(small[0] == 'a' && small[3] == '\0');
}

static double bm25_by_hand(double tf_t, double len_t, double avg_t, double tf_a, double len_a,
                           double avg_a, double df, double n_docs)
{
    double idf = log(1.0 + (n_docs - df + 0.5) / (df + 0.5));
    double t = tf_t / (0.25 + 0.75 * len_t / avg_t) + tf_a / (0.25 + 0.75 * len_a / avg_a);
    double k1 = (double)1.2f;   /* the parameter is a float */
    return idf * t * (k1 + 1) / (t + k1);
}

static void test_scores_by_hand(void)
{
    lm_store *s = lm_test_open_store("lex-scores.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    put(s, 1, 1, "Aspirin trial", "aspirin reduces pain");
    put(s, 2, 1, "Pain", "ibuprofen and pain and fever");
    put(s, 3, 1, "Other", "nothing here");
    refresh(s, 0);
    lm_lexindex_reader *r = NULL;
    lm_error err = {0};
    LM_CHECK(lm_lexindex_reader_init(&r, &err) == LM_OK);
    int64_t ids[8];
    double sc[8];
    double avg_t = 4.0 / 3, avg_a = 10.0 / 3;
    LM_CHECK(run(r, s, "aspirin", 0, NULL, ids, sc, 8, &err) == 1);
    LM_CHECK(ids[0] == 1);
    LM_CHECK(fabs(sc[0] - bm25_by_hand(1, 2, avg_t, 1, 3, avg_a, 1, 3)) < 1e-9);
    /* Both fields of article 2 hold "pain", one field of article 1. */
    LM_CHECK(run(r, s, "pain", 0, NULL, ids, sc, 8, &err) == 2);
    LM_CHECK(ids[0] == 2 && ids[1] == 1);
    LM_CHECK(fabs(sc[0] - bm25_by_hand(1, 1, avg_t, 1, 5, avg_a, 2, 3)) < 1e-9);
    LM_CHECK(fabs(sc[1] - bm25_by_hand(0, 2, avg_t, 1, 3, avg_a, 2, 3)) < 1e-9);
    /* Two words add up; limit keeps the best. */
    LM_CHECK(run(r, s, "aspirin pain", 0, NULL, ids, sc, 1, &err) == 1 && ids[0] == 1);
    /* Stems meet: "trials" finds "trial", "reduced" finds "reduces". */
    LM_CHECK(run(r, s, "trials reduced", 0, NULL, ids, sc, 8, &err) == 1 && ids[0] == 1);
    LM_CHECK(run(r, s, "unknownword", 0, NULL, ids, sc, 8, &err) == 0);
    LM_CHECK(lm_lexindex_check(s, &err) == LM_OK);
    /* A word's document frequency comes from the index alone (schema 17):
     * reading it from the lex_postings row read the whole posting list. */
    char plan[512] = "";
    sqlite3 *db = lm_store_sqlite(s);
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st)) {
        const char *sql = sqlite3_sql(st);
        if (!sql || !strstr(sql, "sum(df)"))
            continue;
        char *q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
        sqlite3_stmt *e = NULL;
        if (q && sqlite3_prepare_v2(db, q, -1, &e, NULL) == SQLITE_OK)
            while (sqlite3_step(e) == SQLITE_ROW) {
                size_t n = strlen(plan);
                snprintf(plan + n, sizeof plan - n, "%s\n",
                         (const char *)sqlite3_column_text(e, 3));
            }
        sqlite3_finalize(e);
        sqlite3_free(q);
    }
    LM_CHECK(strstr(plan, "USING COVERING INDEX lex_postings_term") != NULL);
    if (!strstr(plan, "COVERING"))
        fprintf(stderr, "  the df plan: %s", plan);
    lm_lexindex_reader_free(r);
    lm_store_close(s);
}

static void test_replace_delete_merge(void)
{
    lm_store *s = lm_test_open_store("lex-merge.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    const char *words[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"};
    char title[64], abstract[128];
    for (int i = 1; i <= 12; i++) {
        snprintf(title, sizeof title, "common %s", words[i % 6]);
        snprintf(abstract, sizeof abstract, "marker%d common text about %s", i, words[i % 6]);
        put(s, i, 1, title, abstract);
    }
    /* One article per batch: merges keep the segment count bounded. */
    refresh(s, 1);
    lm_lexindex_info info;
    lm_error err = {0};
    LM_CHECK(lm_lexindex_get_info(s, &info, &err) == LM_OK);
    LM_CHECK(info.docs == 12 && info.segments >= 1 &&
             info.segments <= LM_LEXINDEX_MERGE_FACTOR - 1);
    lm_lexindex_reader *r = NULL;
    LM_CHECK(lm_lexindex_reader_init(&r, &err) == LM_OK);
    int64_t ids[16];
    LM_CHECK(run(r, s, "common", 0, NULL, ids, NULL, 16, &err) == 12);

    /* A new version: its old words stop matching at once, the new ones
     * after the refresh. */
    put(s, 5, 2, "Replaced", "entirely different words");
    LM_CHECK(run(r, s, "marker5", 0, NULL, ids, NULL, 16, &err) == 0);
    LM_CHECK(run(r, s, "entirely", 0, NULL, ids, NULL, 16, &err) == 0);
    refresh(s, 0);
    LM_CHECK(run(r, s, "entirely", 0, NULL, ids, NULL, 16, &err) == 1 && ids[0] == 5);
    LM_CHECK(run(r, s, "common", 0, NULL, ids, NULL, 16, &err) == 11);
    int deleted = 0;
    LM_CHECK(lm_store_delete_article(s, 7, &deleted, &err) == LM_OK && deleted);
    LM_CHECK(run(r, s, "marker7", 0, NULL, ids, NULL, 16, &err) == 0);
    LM_CHECK(run(r, s, "common", 0, NULL, ids, NULL, 16, &err) == 10);
    LM_CHECK(lm_lexindex_get_info(s, &info, &err) == LM_OK && info.dead >= 2);
    LM_CHECK(lm_lexindex_check(s, &err) == LM_OK);
    int64_t before[16];
    long nb = run(r, s, "gamma marker3 text", 0, NULL, before, NULL, 16, &err);
    LM_CHECK(nb > 0);

    /* A full merge drops the dead postings and keeps the answers. */
    int merged = 0;
    LM_CHECK(lm_lexindex_merge(s, 1, &merged, &err) == LM_OK && merged >= 2);
    LM_CHECK(lm_lexindex_get_info(s, &info, &err) == LM_OK);
    LM_CHECK(info.segments == 1 && info.dead == 0 && info.docs == 11);
    LM_CHECK(run(r, s, "gamma marker3 text", 0, NULL, ids, NULL, 16, &err) == nb);
    LM_CHECK(ids[0] == before[0]);
    LM_CHECK(run(r, s, "common", 0, NULL, ids, NULL, 16, &err) == 10);
    LM_CHECK(run(r, s, "marker7", 0, NULL, ids, NULL, 16, &err) == 0);
    LM_CHECK(lm_lexindex_check(s, &err) == LM_OK);
    /* Nothing to merge: a no-op. */
    LM_CHECK(lm_lexindex_merge(s, 1, &merged, &err) == LM_OK && merged == 0);
    lm_lexindex_reader_free(r);
    lm_store_close(s);
}

static long long free_pages(lm_store *s)
{
    return raw_int(lm_store_sqlite(s), "PRAGMA freelist_count");
}

/* A store of n articles of 40 words drawn from a few thousand, indexed by
 * four refreshes (four segments: fewer than a size class merges). */
static lm_store *wordy_store(const char *name, int n)
{
    lm_store *s = lm_test_open_store(name);
    LM_CHECK(s != NULL);
    if (!s)
        return NULL;
    char abstract[512];
    for (int i = 1; i <= n; i++) {
        lm_test_wordy_abstract(abstract, sizeof abstract, i, 4000);
        put(s, i, 1, "wordy title", abstract);
        if (i % (n / 4) == 0)
            refresh(s, 0);
    }
    refresh(s, 0);
    return s;
}

/* A full merge rewrites the whole index in one transaction: deleting what
 * it has rewritten as it goes lets the rest of the merge reuse those
 * pages, so the file is not left with an index's worth of free pages.
 * The same merge without reclaiming (an unbounded step) shows the test
 * can tell the difference. */
static void test_merge_reuses_pages(void)
{
    lm_store *a = wordy_store("lex-free-a.db", 1000);
    lm_store *b = wordy_store("lex-free-b.db", 1000);
    if (!a || !b) {
        lm_store_close(a);
        lm_store_close(b);
        return;
    }
    lm_error err = {0};
    /* No free pages before: only the merge's are counted. */
    LM_CHECK(sqlite3_exec(lm_store_sqlite(a), "VACUUM", NULL, NULL, NULL) == SQLITE_OK);
    LM_CHECK(sqlite3_exec(lm_store_sqlite(b), "VACUUM", NULL, NULL, NULL) == SQLITE_OK);
    long long a0 = free_pages(a), b0 = free_pages(b);
    LM_CHECK(a0 == 0 && b0 == 0);
    int merged = 0;
    LM_CHECK(lm_lexindex_merge_reclaiming(a, 1, SIZE_MAX, &merged, &err) == LM_OK &&
             merged >= 2);
    LM_CHECK(lm_lexindex_merge_reclaiming(b, 1, 8192, &merged, &err) == LM_OK && merged >= 2);
    long long a1 = free_pages(a), b1 = free_pages(b);
    /* 40,000 postings of 4,000 terms: ~70 pages of 4 KB left free by the
     * unbounded merge, about a reclaim step's worth (8 here) otherwise. */
    LM_CHECK(a1 - a0 >= 40);
    LM_CHECK(b1 - b0 <= 16);
    lm_lexindex_info ia, ib;
    LM_CHECK(lm_lexindex_get_info(a, &ia, &err) == LM_OK &&
             lm_lexindex_get_info(b, &ib, &err) == LM_OK);
    LM_CHECK(ia.segments == 1 && ib.segments == 1 && ia.docs == 1000 && ib.docs == 1000);
    LM_CHECK(lm_lexindex_check(b, &err) == LM_OK);
    /* The same answers, term by term. */
    lm_lexindex_reader *r = NULL;
    LM_CHECK(lm_lexindex_reader_init(&r, &err) == LM_OK);
    static const char *const probes[] = {"qaaa", "qmcb", "qzzc", "qbfd", "wordy"};
    for (size_t i = 0; r && i < sizeof probes / sizeof probes[0]; i++) {
        int64_t ids_a[64], ids_b[64];
        long na = run(r, a, probes[i], 0, NULL, ids_a, NULL, 64, &err);
        long nb = run(r, b, probes[i], 0, NULL, ids_b, NULL, 64, &err);
        LM_CHECK(na >= 0 && na == nb);
        LM_CHECK(na <= 0 || memcmp(ids_a, ids_b, (size_t)na * sizeof ids_a[0]) == 0);
    }
    lm_lexindex_reader_free(r);
    lm_store_close(a);
    lm_store_close(b);
}

static int drop_first(void *ctx, int64_t pmid, lm_error *err)
{
    (void)ctx;
    (void)err;
    return pmid != 1;
}

static void test_phrases_and_filter(void)
{
    lm_store *s = lm_test_open_store("lex-phrase.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    /* The same words; only article 2 has them adjacent. */
    put(s, 1, 1, "Cancer of the breast", "breast tissue and cancer risk");
    put(s, 2, 1, "Breast cancer", "tissue and risk");
    refresh(s, 0);
    lm_lexindex_reader *r = NULL;
    lm_error err = {0};
    LM_CHECK(lm_lexindex_reader_init(&r, &err) == LM_OK);
    int64_t ids[4];
    double sc[4], sc_phrase[4];
    LM_CHECK(run(r, s, "breast cancer", 0, NULL, ids, sc, 4, &err) == 2);
    LM_CHECK(ids[0] == 1);   /* more occurrences without the phrase */
    LM_CHECK(run(r, s, "breast cancer", 1, NULL, ids, sc_phrase, 4, &err) == 2);
    LM_CHECK(ids[0] == 2);
    LM_CHECK(run(r, s, "breast cancer", 1, drop_first, ids, NULL, 4, &err) == 1 && ids[0] == 2);
    lm_lexindex_reader_free(r);
    lm_store_close(s);
}

static void test_errors(void)
{
    lm_error err = {0};
    lm_lexindex_writer *w = NULL;
    LM_CHECK(lm_lexindex_writer_init(&w, &err) == LM_OK);
    LM_CHECK(lm_lexindex_writer_add(w, 10, "a", "b", &err) == LM_OK);
    LM_CHECK(lm_lexindex_writer_add(w, 10, "a", "b", &err) == LM_ERR_USAGE);
    LM_CHECK(strstr(err.msg, "out of order") != NULL);
    lm_lexindex_writer_free(w);

    lm_store *s = lm_test_open_store("lex-corrupt.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    put(s, 1, 1, "Statins", "statins lower cholesterol");
    put(s, 2, 1, "Statins again", "statins and more statins");
    refresh(s, 0);
    /* A posting list cut short, as a damaged page would leave it. */
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s),
                          "UPDATE lex_postings SET data = x'02ff' WHERE term = 'statin'", NULL,
                          NULL, NULL) == SQLITE_OK);
    lm_lexindex_reader *r = NULL;
    LM_CHECK(lm_lexindex_reader_init(&r, &err) == LM_OK);
    LM_CHECK(run(r, s, "statins", 0, NULL, NULL, NULL, 4, &err) == -1);
    LM_CHECK(err.code == LM_ERR_DB && strstr(err.msg, "malformed") != NULL);
    LM_CHECK(lm_lexindex_check(s, &err) == LM_ERR_DB);
    /* A gap that would overflow a PMID is damage too, not arithmetic. */
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s),
                          "UPDATE lex_postings SET data = x'feffffffffffffff7f0101010101"
                          "0a01010101' WHERE term = 'statin'",
                          NULL, NULL, NULL) == SQLITE_OK);
    LM_CHECK(lm_lexindex_check(s, &err) == LM_ERR_DB);
    /* An article missing with nothing queued. */
    LM_CHECK(lm_search_rebuild_fts(s, &err) == LM_OK);
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s), "DELETE FROM lex_docs WHERE pmid = 1", NULL, NULL,
                          NULL) == SQLITE_OK);
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s), "DELETE FROM lex_dead", NULL, NULL, NULL) ==
             SQLITE_OK);
    LM_CHECK(lm_lexindex_check(s, &err) != LM_OK);
    /* Rebuilding the search index repairs it. */
    LM_CHECK(lm_search_rebuild_fts(s, &err) == LM_OK);
    LM_CHECK(lm_lexindex_check(s, &err) == LM_OK);
    int64_t ids[4];
    LM_CHECK(run(r, s, "statins", 0, NULL, ids, NULL, 4, &err) == 2 && ids[0] == 2);
    lm_lexindex_reader_free(r);
    lm_store_close(s);
}

/* A refresh committed by another connection while a search runs (from
 * inside the search, between its statements) must be seen whole or not at
 * all: without one read snapshot, the old dead set meets the new segment
 * and the replaced article comes back twice. */
static lm_store *race_writer;
static int race_fired;

static int race_hook(unsigned type, void *ctx, void *p, void *x)
{
    (void)type;
    (void)ctx;
    (void)x;
    const char *sql = sqlite3_sql((sqlite3_stmt *)p);
    if (race_fired || !sql || !strstr(sql, "FROM lex_segments"))
        return 0;
    race_fired = 1;
    put(race_writer, 1, 2, "Aspirin again", "aspirin new version");
    refresh(race_writer, 0);
    return 0;
}

static void test_concurrent_refresh(void)
{
    race_writer = lm_test_open_store("lex-race.db");
    LM_CHECK(race_writer != NULL);
    if (!race_writer)
        return;
    /* Ten articles: one replaced leaves its segment a tenth dead, so it
     * is not rewritten and the dead posting stays to be skipped. */
    for (int i = 1; i <= 10; i++)
        put(race_writer, i, 1, "Aspirin", "aspirin trial");
    refresh(race_writer, 0);
    lm_store *reader = lm_test_open_store("lex-race.db");
    LM_CHECK(reader != NULL);
    if (!reader) {
        lm_store_close(race_writer);
        return;
    }
    race_fired = 0;
    sqlite3_trace_v2(lm_store_sqlite(reader), SQLITE_TRACE_STMT, race_hook, NULL);
    lm_lexindex_reader *r = NULL;
    lm_error err = {0};
    LM_CHECK(lm_lexindex_reader_init(&r, &err) == LM_OK);
    int64_t ids[16];
    for (int pass = 0; pass < 2; pass++) {
        long n = run(r, reader, "aspirin", 0, NULL, ids, NULL, 16, &err);
        LM_CHECK(pass == 1 || race_fired);
        LM_CHECK_INT(n, 10);
        for (long i = 0; i < n; i++)
            for (long j = i + 1; j < n; j++)
                LM_CHECK(ids[i] != ids[j]);
    }
    sqlite3_trace_v2(lm_store_sqlite(reader), 0, NULL, NULL);
    lm_lexindex_reader_free(r);
    lm_store_close(reader);
    lm_store_close(race_writer);
}

/* A large segment whose articles are replaced one by one is rewritten once
 * a fifth of it is dead, so dead postings do not pile up forever. */
static void test_dead_share_rewrite(void)
{
    lm_store *s = lm_test_open_store("lex-dead.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    char text[64];
    for (int i = 1; i <= 10; i++) {
        snprintf(text, sizeof text, "word%d shared", i);
        put(s, i, 1, "Title", text);
    }
    refresh(s, 0);
    lm_lexindex_info info;
    lm_error err = {0};
    for (int i = 1; i <= 3; i++) {
        snprintf(text, sizeof text, "replaced%d shared", i);
        put(s, i, 2, "Title", text);
        refresh(s, 0);
        LM_CHECK(lm_lexindex_get_info(s, &info, &err) == LM_OK);
        /* 1 and 2 of 10 dead are kept; the third crosses a fifth. */
        LM_CHECK_INT(info.dead, i < 3 ? i : 0);
    }
    LM_CHECK(lm_lexindex_check(s, &err) == LM_OK);
    lm_lexindex_reader *r = NULL;
    LM_CHECK(lm_lexindex_reader_init(&r, &err) == LM_OK);
    int64_t ids[16];
    LM_CHECK(run(r, s, "shared", 0, NULL, ids, NULL, 16, &err) == 10);
    LM_CHECK(run(r, s, "word2", 0, NULL, ids, NULL, 16, &err) == 0);
    LM_CHECK(run(r, s, "replaced2", 0, NULL, ids, NULL, 16, &err) == 1 && ids[0] == 2);
    lm_lexindex_reader_free(r);
    lm_store_close(s);
}

/* Every word, as `export --query` asks: stems match, every word must
 * occur, a replaced text stops matching at once (dead postings) and a
 * deleted article is never returned; text without a word is a usage
 * error. */
static void test_match_all(void)
{
    lm_store *s = lm_test_open_store("lexall.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    put(s, 3, 1, "Olaparib in ovarian cancers", "PARP inhibition.");
    put(s, 5, 1, "Ovarian cancer screening", "Ultrasound.");
    put(s, 9, 1, "Breast cancer", "Olaparib and PARP.");
    refresh(s, 2);
    lm_lexindex_reader *r = NULL;
    lm_error err = {0};
    LM_CHECK(lm_lexindex_reader_init(&r, &err) == LM_OK);
    int64_t *p = NULL;
    size_t n = 0;
    LM_CHECK(lm_lexindex_match_all(r, s, "ovarian cancer", &p, &n, &err) == LM_OK);
    LM_CHECK(n == 2 && p && p[0] == 3 && p[1] == 5);
    free(p);
    LM_CHECK(lm_lexindex_match_all(r, s, "PARP olaparib", &p, &n, &err) == LM_OK);
    LM_CHECK(n == 2 && p && p[0] == 3 && p[1] == 9);
    free(p);
    LM_CHECK(lm_lexindex_match_all(r, s, "olaparib absentword", &p, &n, &err) == LM_OK);
    LM_CHECK(n == 0 && p == NULL);
    put(s, 3, 2, "Niraparib", "Other text.");
    int deleted = 0;
    LM_CHECK(lm_store_delete_article(s, 9, &deleted, &err) == LM_OK && deleted);
    LM_CHECK(lm_lexindex_match_all(r, s, "olaparib", &p, &n, &err) == LM_OK);
    LM_CHECK(n == 0);
    free(p);
    LM_CHECK(lm_lexindex_match_all(r, s, " -:* ", &p, &n, &err) == LM_ERR_USAGE);
    lm_lexindex_reader_free(r);
    lm_store_close(s);
}

/* ---- pruning ------------------------------------------------------------ */

/* The pruned ranking (MaxScore, see lm_lexindex_search.c) against the
 * exhaustive one on a generated index of several segments with replaced,
 * deleted and not yet re-indexed articles, and many articles of identical
 * text (tied scores): every query gives the same hits, in the same order,
 * with bit-identical scores — with and without phrase evidence, for depths
 * from 1 to more than the matches, for absent words, words repeated,
 * stopwords only — and the pruned walk does score fewer articles. */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A vocabulary where the first words are far more frequent than the
 * last (a Zipf-like draw: the minimum of two uniform picks, squared). */
static const char *const vocab[] = {
    "cell",     "protein",  "patient",  "cancer",    "gene",     "expression", "study",
    "tumor",    "receptor", "kinase",   "mutation",  "therapy",  "signal",     "pathway",
    "mouse",    "liver",    "insulin",  "vitamin",   "deficien", "homocystein", "blood",
    "level",    "increase", "neuron",   "synapse",   "olaparib", "parp",       "brca1",
    "ovarian",  "screening", "aspirin", "ibuprofen", "fever",    "pain",       "zebrafish",
    "microbiome", "clostridium", "urease", "pylori", "alizarin"};
#define N_VOCAB (sizeof vocab / sizeof vocab[0])

static const char *draw_word(void)
{
    size_t a = (size_t)(next_rand() % N_VOCAB), b = (size_t)(next_rand() % N_VOCAB);
    size_t m = a < b ? a : b;
    return vocab[(m * m) / N_VOCAB];
}

static void make_text(char *buf, size_t cap, int words)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < words && len + 16 < cap; i++) {
        const char *w = next_rand() % 5 == 0 ? "the" : draw_word();
        int k = snprintf(buf + len, cap - len, "%s%s", i ? " " : "", w);
        if (k < 0 || (size_t)k >= cap - len)
            break;
        len += (size_t)k;
    }
}

/* Pruning: field weights and norms that differ, a shallow phrase pass. */
static const lm_lexindex_params prune_params = {1.2f, 0.75f, 0.6f, 1.5f, 1.0f, 20};

typedef struct answer {
    lm_lexindex_hit *v;
    size_t n;
    size_t scored;
} answer;

/* The hits of text (phrases of adjacent words when phrases is set) at
 * depth limit, copied; exhaustive selects the walk. */
static int search(lm_lexindex_reader *r, lm_store *s, const char *text, int phrases, size_t limit,
                  int exhaustive, answer *out)
{
    lm_qterms q;
    lm_qterms_init(&q);
    lm_qterms_options qo = {0, phrases, 0.5f};
    lm_error err = {0};
    int ok = 0;
    out->v = NULL;
    out->n = 0;
    lm_lexindex_reader_set_exhaustive(r, exhaustive);
    if (lm_qterms_parse(text, &qo, &q, &err) == LM_OK) {
        const lm_lexindex_hit *hits = NULL;
        size_t n = 0;
        if (lm_lexindex_search(r, s, &prune_params, &q, limit, NULL, NULL, &hits, &n, &err) == LM_OK) {
            out->v = malloc((n ? n : 1) * sizeof *out->v);
            if (out->v) {
                if (n)
                    memcpy(out->v, hits, n * sizeof *hits);
                out->n = n;
                out->scored = lm_lexindex_reader_scored(r);
                ok = 1;
            }
        }
    }
    if (!ok)
        fprintf(stderr, "search '%s': %s\n", text, err.msg);
    lm_qterms_free(&q);
    return ok;
}

/* Pruned and exhaustive answers are the same, scores to the bit; returns
 * 1 when the pruned walk scored fewer articles. */
static int check_same(lm_lexindex_reader *r, lm_store *s, const char *text, int phrases,
                      size_t limit)
{
    answer full, fast;
    LM_CHECK(search(r, s, text, phrases, limit, 1, &full));
    LM_CHECK(search(r, s, text, phrases, limit, 0, &fast));
    int same = full.n == fast.n;
    for (size_t i = 0; same && i < full.n; i++)
        same = full.v[i].pmid == fast.v[i].pmid &&
               memcmp(&full.v[i].score, &fast.v[i].score, sizeof full.v[i].score) == 0;
    if (!same)
        fprintf(stderr, "query '%s' (phrases %d, limit %zu): %zu hits exhaustive, %zu pruned\n",
                text, phrases, limit, full.n, fast.n);
    LM_CHECK(same);
    int fewer = fast.scored < full.scored;
    free(full.v);
    free(fast.v);
    return fewer;
}

/* Pruned and exhaustive answers of text with its first term's weight set
 * to weight (a negative weight makes that term's bound negative: the
 * pruning's rounding margin must stay on the safe side). */
static void check_same_weighted(lm_lexindex_reader *r, lm_store *s, const char *text,
                                float weight, size_t limit)
{
    lm_qterms q;
    lm_qterms_init(&q);
    lm_qterms_options qo = {0, 0, 0.5f};
    lm_error err = {0};
    LM_CHECK(lm_qterms_parse(text, &qo, &q, &err) == LM_OK && q.n > 1);
    if (q.n > 1)
        q.v[0].weight = weight;
    lm_lexindex_hit *got[2] = {NULL, NULL};
    size_t n[2] = {0, 0};
    for (int exhaustive = 0; exhaustive <= 1; exhaustive++) {
        const lm_lexindex_hit *hits = NULL;
        lm_lexindex_reader_set_exhaustive(r, exhaustive);
        LM_CHECK(lm_lexindex_search(r, s, &prune_params, &q, limit, NULL, NULL, &hits,
                                    &n[exhaustive], &err) == LM_OK);
        got[exhaustive] = malloc((n[exhaustive] ? n[exhaustive] : 1) * sizeof *hits);
        if (got[exhaustive] && n[exhaustive])
            memcpy(got[exhaustive], hits, n[exhaustive] * sizeof *hits);
    }
    int same = got[0] && got[1] && n[0] == n[1];
    for (size_t i = 0; same && i < n[0]; i++)
        same = got[0][i].pmid == got[1][i].pmid &&
               memcmp(&got[0][i].score, &got[1][i].score, sizeof got[0][i].score) == 0;
    if (!same)
        fprintf(stderr, "query '%s' (first weight %g, limit %zu): %zu pruned, %zu exhaustive\n",
                text, weight, limit, n[0], n[1]);
    LM_CHECK(same);
    free(got[0]);
    free(got[1]);
    lm_qterms_free(&q);
}

static void test_pruned_equals_exhaustive(void)
{
    lm_store *s = lm_test_open_store("lex-prune.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    char title[256], abstract[2048];
    int64_t pmid = 1;
    /* Twelve refreshes of 50 articles: several segments (refreshes merge
     * by size class). */
    for (int batch = 0; batch < 12; batch++) {
        for (int i = 0; i < 50; i++, pmid++) {
            if (pmid % 7 == 0) {   /* ties: the same text under many PMIDs */
                put(s, pmid, 1, "Vitamin deficiency", "vitamin blood tiedword homocystein increase");
                continue;
            }
            make_text(title, sizeof title, 3 + (int)(next_rand() % 8));
            make_text(abstract, sizeof abstract, 20 + (int)(next_rand() % 160));
            put(s, pmid, 1, title, abstract);
        }
        refresh(s, 50);
    }
    /* Dead postings: replaced articles (some re-indexed, some not yet)
     * and deleted ones. */
    lm_error err = {0};
    for (int64_t p = 3; p < pmid; p += 11) {
        make_text(abstract, sizeof abstract, 40);
        put(s, p, 2, "Replaced cancer therapy", abstract);
    }
    refresh(s, 50);
    for (int64_t p = 5; p < pmid; p += 13) {
        int deleted = 0;
        LM_CHECK(lm_store_delete_article(s, p, &deleted, &err) == LM_OK && deleted);
    }
    for (int64_t p = 9; p < pmid; p += 17)
        put(s, p, 3, "Pending version", "vitamin parp kinase");
    lm_lexindex_info info;
    LM_CHECK(lm_lexindex_get_info(s, &info, &err) == LM_OK);
    LM_CHECK(info.segments >= 2 && info.dead > 0);

    lm_lexindex_reader *r = NULL;
    LM_CHECK(lm_lexindex_reader_init(&r, &err) == LM_OK);
    static const char *const queries[] = {
        "A deficiency of vitamin B12 increases blood levels of homocysteine",
        "cell protein patient cancer gene expression study tumor receptor kinase",
        "olaparib parp brca1 ovarian cancer screening",
        "vitamin vitamin vitamin blood",
        "tiedword vitamin",
        "tiedword",
        "cell",
        "zebrafish microbiome clostridium",
        "aspirin absentwordxyz ibuprofen",
        "absentwordxyz",
        "the of and",
        "cancer therapy mutation signal pathway liver insulin neuron synapse pain fever",
    };
    static const size_t limits[] = {1, 3, 10, 37, 100, 5000};
    int pruned_some = 0;
    for (size_t qi = 0; qi < sizeof queries / sizeof queries[0]; qi++)
        for (int phrases = 0; phrases <= 1; phrases++)
            for (size_t li = 0; li < sizeof limits / sizeof limits[0]; li++)
                pruned_some |= check_same(r, s, queries[qi], phrases, limits[li]);
    LM_CHECK(pruned_some);
    /* A negative term weight (`eval search --set synonym_weight=-1`). */
    for (size_t li = 0; li < sizeof limits / sizeof limits[0]; li++) {
        check_same_weighted(r, s, "cancer therapy vitamin blood", -1.0f, limits[li]);
        check_same_weighted(r, s, "tiedword vitamin", -0.5f, limits[li]);
    }

    /* Edge cases of the answers themselves. */
    answer a;
    LM_CHECK(search(r, s, "absentwordxyz", 0, 10, 0, &a) && a.n == 0);
    free(a.v);
    LM_CHECK(search(r, s, "the of and", 0, 10, 0, &a) && a.n == 10);
    free(a.v);
    LM_CHECK(search(r, s, "zebrafish", 0, 5000, 0, &a) && a.n > 0 && a.n < 5000);
    for (size_t i = 1; i < a.n; i++)   /* best first, ties by lower PMID */
        LM_CHECK(a.v[i - 1].score > a.v[i].score ||
                 (a.v[i - 1].score == a.v[i].score && a.v[i - 1].pmid < a.v[i].pmid));
    free(a.v);
    /* The tied articles: equal scores, PMIDs in order, none deleted. */
    LM_CHECK(search(r, s, "tiedword", 0, 5, 0, &a) && a.n == 5);
    for (size_t i = 0; i < a.n; i++) {
        LM_CHECK(a.v[i].score == a.v[0].score && a.v[i].pmid % 7 == 0 && a.v[i].pmid % 13 != 5);
        if (i)
            LM_CHECK(a.v[i - 1].pmid < a.v[i].pmid);
    }
    free(a.v);
    lm_lexindex_reader_free(r);
    lm_store_close(s);
}

/* VM steps of the refresh's statements that read the queue, summed while
 * queue_steps_on is set (each statement's counter is reset as it ends). */
static long queue_steps;
static int queue_steps_on;

static int queue_steps_hook(unsigned type, void *ctx, void *p, void *x)
{
    (void)type, (void)ctx, (void)x;
    const char *sql = sqlite3_sql(p);
    int steps = sqlite3_stmt_status(p, SQLITE_STMTSTATUS_VM_STEP, 1);
    if (queue_steps_on && sql && strstr(sql, "FROM search_pending p"))
        queue_steps += steps;
    return 0;
}

/* A refresh reads the queued articles, not every stored one: with
 * ANALYZE's statistics taken while the queue was empty (as the nightly
 * PRAGMA optimize leaves them), SQLite would otherwise range over
 * articles.pmid <= bound and probe the queue for each of them, the
 * whole corpus at every batch. */
static void test_refresh_reads_only_the_queue(void)
{
    lm_store *s = lm_test_open_store("lex-queue.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    for (int i = 1; i <= 3000; i++)
        put(s, i, 1, "Aspirin", "aspirin trial in stroke");
    refresh(s, 0);
    sqlite3 *db = lm_store_sqlite(s);
    LM_CHECK_INT(sqlite3_exec(db, "ANALYZE", NULL, NULL, NULL), SQLITE_OK);
    for (int i = 3001; i <= 3003; i++)
        put(s, i, 1, "Cisplatin", "cisplatin nephrotoxicity");
    /* The counters count from each statement's preparation. */
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st))
        sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 1);
    sqlite3_trace_v2(db, SQLITE_TRACE_PROFILE, queue_steps_hook, NULL);
    queue_steps = 0;
    queue_steps_on = 1;
    refresh(s, 0);
    queue_steps_on = 0;
    sqlite3_trace_v2(db, 0, NULL, NULL);
    /* Three articles take a few dozen steps per statement; 3,000 take
     * tens of thousands. */
    LM_CHECK(queue_steps > 0);
    LM_CHECK(queue_steps < 1000);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM lex_docs"), 3003);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM search_pending"), 0);
    lm_store_close(s);
}

int main(void)
{
    LM_RUN(test_porter);
    LM_RUN(test_scores_by_hand);
    LM_RUN(test_replace_delete_merge);
    LM_RUN(test_merge_reuses_pages);
    LM_RUN(test_phrases_and_filter);
    LM_RUN(test_errors);
    LM_RUN(test_concurrent_refresh);
    LM_RUN(test_dead_share_rewrite);
    LM_RUN(test_match_all);
    LM_RUN(test_pruned_equals_exhaustive);
    LM_RUN(test_refresh_reads_only_the_queue);
    return LM_DONE();
}
