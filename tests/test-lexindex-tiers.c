/*
 * Tests for the lexical index's tiered merge policy (store/search/
 * lm_lexindex.c): many refreshes of many small segments, written and
 * merged through the real writer and merge on a test database, must
 * rewrite each article a number of times logarithmic in the corpus (the
 * policy it replaced rewrote a quarter of the corpus at every refresh),
 * keep the segment count within (F - 1) * (1 + floor(log_F(N / floor))),
 * answer queries exactly as one fully merged segment does (no dead
 * postings: the collection statistics are the same sums), and still
 * rewrite a segment more than a fifth dead.
 */
#include "../store/search/lm_lexindex.h"
#include "../store/search/lm_search.h"
#include "../store/lm_store_internal.h"
#include "lm_test_store.h"

#include <stdlib.h>
#include <string.h>

enum { REFRESHES = 60, SEGS_PER_REFRESH = 20, DOCS_PER_SEG = 2, FACTOR = 6, FLOOR = 2 };

static uint64_t rng = 0x2545f4914f6cdd1dULL;

/* Knuth's MMIX generator: the high bits are the random ones. */
static uint64_t next_rand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng >> 33;
}

/* Words w0..w299, the first far more frequent; 4 to 60 of them. */
static void make_text(char *buf, size_t cap)
{
    size_t len = 0;
    int words = 4 + (int)(next_rand() % 57);
    buf[0] = '\0';
    for (int i = 0; i < words && len + 16 < cap; i++) {
        unsigned a = (unsigned)(next_rand() % 300), b = (unsigned)(next_rand() % 300);
        unsigned m = a < b ? a : b;
        len += (size_t)snprintf(buf + len, cap - len, "%sw%u", i ? " " : "", m * m / 300);
    }
}

static void put(lm_store *s, int64_t pmid, const char *title, const char *abstract)
{
    lm_article a;
    lm_article_init(&a);
    a.pmid = pmid;
    a.version = 1;
    a.year = 2020;
    a.title = (char *)title;
    a.abstract = (char *)abstract;
    lm_error err = {0};
    lm_put_result r;
    LM_CHECK(lm_store_put_article(s, &a, "test", &r, &err) == LM_OK);
}

/* Size classes for n articles: 1 + the largest L with floor * F^L <= n. */
static int64_t classes(int64_t n)
{
    int64_t c = 1, size = FLOOR * FACTOR;
    while (size <= n) {
        size *= FACTOR;
        c++;
    }
    return c;
}

/* One refresh: SEGS_PER_REFRESH segments of new articles, each flushed in
 * its own transaction as lm_search_refresh_text does, then the merge. */
static void one_refresh(lm_store *s, lm_lexindex_writer *w, int64_t *pmid,
                        const lm_lexindex_tiers *t, lm_lexindex_merge_stats *stats)
{
    char title[DOCS_PER_SEG][128], abstract[DOCS_PER_SEG][1024];
    lm_error err = {0};
    for (int g = 0; g < SEGS_PER_REFRESH; g++) {
        int64_t first = *pmid;
        for (int d = 0; d < DOCS_PER_SEG; d++) {
            make_text(title[d], 64);
            make_text(abstract[d], sizeof abstract[d]);
            put(s, (*pmid)++, title[d], abstract[d]);
        }
        LM_CHECK(lm_store_begin(s, &err) == LM_OK);
        for (int d = 0; d < DOCS_PER_SEG; d++)
            LM_CHECK(lm_lexindex_writer_add(w, first + d, title[d], abstract[d], &err) == LM_OK);
        LM_CHECK(lm_lexindex_writer_flush(w, s, &err) == LM_OK);
        LM_CHECK(lm_store_commit(s, &err) == LM_OK);
    }
    LM_CHECK(lm_lexindex_merge_tiered(s, t, stats, &err) == LM_OK);
}

typedef struct answers {
    int64_t pmid[8][20];
    double score[8][20];
    long n[8];
} answers;

static const char *const queries[8] = {
    "w0", "w1 w2", "w5 w17 w40", "w120 w250", "w299", "w3 w3 w90", "w60 w61 w62 w63", "absent",
};

static void run_queries(lm_store *s, answers *out)
{
    static const lm_lexindex_params params = {1.2f, 0.75f, 0.6f, 1.5f, 1.0f, 20};
    lm_lexindex_reader *r = NULL;
    lm_error err = {0};
    LM_CHECK(lm_lexindex_reader_init(&r, &err) == LM_OK);
    memset(out, 0, sizeof *out);
    for (int q = 0; r && q < 8; q++) {
        lm_qterms qt;
        lm_qterms_init(&qt);
        lm_qterms_options qo = {0, 1, 0.5f};
        const lm_lexindex_hit *hits = NULL;
        size_t n = 0;
        LM_CHECK(lm_qterms_parse(queries[q], &qo, &qt, &err) == LM_OK);
        LM_CHECK(lm_lexindex_search(r, s, &params, &qt, 20, NULL, NULL, &hits, &n, &err) ==
                 LM_OK);
        out->n[q] = (long)n;
        for (size_t i = 0; i < n; i++) {
            out->pmid[q][i] = hits[i].pmid;
            out->score[q][i] = hits[i].score;
        }
        lm_qterms_free(&qt);
    }
    lm_lexindex_reader_free(r);
}

static long long count(lm_store *s, const char *sql)
{
    return raw_int(lm_store_sqlite(s), sql);
}

static void test_tiered_refreshes(void)
{
    lm_store *s = lm_test_open_store("lex-tiers.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_lexindex_writer *w = NULL;
    lm_error err = {0};
    LM_CHECK(lm_lexindex_writer_init(&w, &err) == LM_OK);
    lm_lexindex_tiers t = {FACTOR, FLOOR, 4096};
    lm_lexindex_merge_stats stats = {0};
    int64_t pmid = 1, max_segments = 0;
    for (int i = 0; w && i < REFRESHES; i++) {
        one_refresh(s, w, &pmid, &t, &stats);
        int64_t n = pmid - 1, segs = count(s, "SELECT count(*) FROM lex_segments");
        /* (b) at most F - 1 segments per size class */
        LM_CHECK(segs <= (FACTOR - 1) * classes(n));
        /* (a) each article rewritten at most once per class it can rise
         * through; the old policy had rewritten ~N/8 per article by now. */
        LM_CHECK(stats.docs <= n * classes(n));
        if (segs > max_segments)
            max_segments = segs;
    }
    int64_t n = pmid - 1;
    fprintf(stderr, "  %lld articles in %d segments of %d: %lld merges rewrote each article %.2f times on"
           " average (bound %lld), at most %lld segments (bound %lld)\n",
           (long long)n, REFRESHES * SEGS_PER_REFRESH, DOCS_PER_SEG, (long long)stats.merges,
           (double)stats.docs / (double)n, (long long)classes(n), (long long)max_segments,
           (long long)((FACTOR - 1) * classes(n)));
    LM_CHECK(stats.merges > 0 && stats.docs > n);
    LM_CHECK(lm_lexindex_check(s, &err) == LM_OK);
    LM_CHECK(count(s, "SELECT count(*) FROM lex_docs") == n);

    /* (d) deletions: a quarter of the largest segment gone makes it more
     * than a fifth dead, and the next merge rewrites it; a tenth of
     * another does not. */
    long long big = count(s, "SELECT id FROM lex_segments ORDER BY n_docs DESC, id LIMIT 1");
    long long other = count(s, "SELECT id FROM lex_segments ORDER BY n_docs DESC, id"
                               " LIMIT 1 OFFSET 1");
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT n_docs FROM lex_segments WHERE id = %lld", big);
    long long big_docs = count(s, sql);
    snprintf(sql, sizeof sql, "SELECT n_docs FROM lex_segments WHERE id = %lld", other);
    long long other_docs = count(s, sql);
    LM_CHECK(big_docs >= 8 && other_docs >= 10);
    for (int k = 0; k < 2; k++) {
        long long seg = k == 0 ? big : other, want = k == 0 ? big_docs / 4 + 1 : other_docs / 10;
        for (long long j = 0; j < want; j++) {
            snprintf(sql, sizeof sql,
                     "SELECT pmid FROM lex_docs WHERE segment = %lld ORDER BY pmid LIMIT 1",
                     seg);
            int deleted = 0;
            LM_CHECK(lm_store_delete_article(s, count(s, sql), &deleted, &err) == LM_OK &&
                     deleted);
        }
    }
    snprintf(sql, sizeof sql, "SELECT count(*) FROM lex_dead WHERE segment = %lld", big);
    LM_CHECK(count(s, sql) == big_docs / 4 + 1);
    lm_lexindex_merge_stats dstats = {0};
    LM_CHECK(lm_lexindex_merge_tiered(s, &t, &dstats, &err) == LM_OK);
    LM_CHECK(dstats.merges == 1 && dstats.segments == 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM lex_segments WHERE id = %lld", big);
    LM_CHECK(count(s, sql) == 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM lex_dead WHERE segment = %lld", other);
    LM_CHECK(count(s, sql) == other_docs / 10);
    LM_CHECK(lm_lexindex_check(s, &err) == LM_OK);

    /* (c) once no dead postings are left (more deletions take `other`
     * past a fifth), the answers of the tiered layout are those of one
     * fully merged segment, scores to the bit: the collection statistics
     * are the same sums. */
    int deleted = 0;
    while (count(s, "SELECT count(*) FROM lex_dead") > 0) {
        snprintf(sql, sizeof sql,
                 "SELECT pmid FROM lex_docs WHERE segment = %lld ORDER BY pmid LIMIT 1", other);
        LM_CHECK(lm_store_delete_article(s, count(s, sql), &deleted, &err) == LM_OK && deleted);
        LM_CHECK(lm_lexindex_merge_tiered(s, &t, NULL, &err) == LM_OK);
    }
    LM_CHECK(count(s, "SELECT count(*) FROM lex_segments") >= 2);
    answers tiered, merged;
    run_queries(s, &tiered);
    int nmerged = 0;
    LM_CHECK(lm_lexindex_merge(s, 1, &nmerged, &err) == LM_OK && nmerged >= 2);
    LM_CHECK(count(s, "SELECT count(*) FROM lex_segments") == 1);
    run_queries(s, &merged);
    int some = 0;
    for (int q = 0; q < 8; q++) {
        LM_CHECK(tiered.n[q] == merged.n[q]);
        some += tiered.n[q] > 0;
        for (long i = 0; i < tiered.n[q] && i < merged.n[q]; i++) {
            LM_CHECK(tiered.pmid[q][i] == merged.pmid[q][i]);
            LM_CHECK(memcmp(&tiered.score[q][i], &merged.score[q][i], sizeof(double)) == 0);
        }
    }
    LM_CHECK(some >= 6);
    lm_lexindex_writer_free(w);
    lm_store_close(s);
}

/* The refresh itself (lm_search_refresh_text): its batches are merged at
 * its end, and every F^2 batches of a long one, so a query meanwhile
 * reads at most F^2 segments more than the bound. */
static void count_segments(void *ctx, const char *phase, int64_t done, int64_t total)
{
    (void)phase;
    (void)done;
    (void)total;
    lm_store *s = ((void **)ctx)[0];
    long long *max = ((void **)ctx)[1];
    long long n = count(s, "SELECT count(*) FROM lex_segments");
    if (n > *max)
        *max = n;
}

static void test_refresh_merges(void)
{
    lm_store *s = lm_test_open_store("lex-tier-refresh.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    char title[128], abstract[1024];
    for (int64_t p = 1; p <= 100; p++) {
        make_text(title, 64);
        make_text(abstract, sizeof abstract);
        put(s, p, title, abstract);
    }
    long long max = 0;
    void *ctx[2] = {s, &max};
    lm_search_refresh_options o = {0};
    o.skip_vectors = 1;
    o.batch = 1;
    o.progress = count_segments;
    o.progress_ctx = ctx;
    lm_search_refresh_stats st = {0};
    lm_error err = {0};
    LM_CHECK(lm_search_refresh_text(s, &o, &st, &err) == LM_OK && st.lex_added == 100);
    int f2 = LM_LEXINDEX_MERGE_FACTOR * LM_LEXINDEX_MERGE_FACTOR;
    LM_CHECK(max >= f2 && max <= f2 + LM_LEXINDEX_MERGE_FACTOR - 1);
    /* 100 articles are all of class 0: merged into one at the end. */
    LM_CHECK(count(s, "SELECT count(*) FROM lex_segments") == 1);
    LM_CHECK(lm_lexindex_check(s, &err) == LM_OK);
    lm_store_close(s);
}

/* Bad knobs are usage errors; the default entry point is the tiered
 * policy (nothing to do on an empty index). */
static void test_tier_knobs(void)
{
    lm_store *s = lm_test_open_store("lex-tier-knobs.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_error err = {0};
    lm_lexindex_tiers bad = {1, 5, 4096};
    LM_CHECK(lm_lexindex_merge_tiered(s, &bad, NULL, &err) == LM_ERR_USAGE);
    bad = (lm_lexindex_tiers){4, 0, 4096};
    LM_CHECK(lm_lexindex_merge_tiered(s, &bad, NULL, &err) == LM_ERR_USAGE);
    int merged = -1;
    LM_CHECK(lm_lexindex_merge(s, 0, &merged, &err) == LM_OK && merged == 0);
    lm_store_close(s);
}

int main(void)
{
    LM_RUN(test_tiered_refreshes);
    LM_RUN(test_refresh_merges);
    LM_RUN(test_tier_knobs);
    return LM_DONE();
}
