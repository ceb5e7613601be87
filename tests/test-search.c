/*
 * Tests for store/lm_search and the query side of nlp/lm_query: safe FTS5
 * expressions from hostile input, full-text index consistency through
 * inserts, replacements and deletions (deferred and immediate modes),
 * retrieval metrics on a hand-computed example, an end-to-end hybrid
 * search with explanations, `index build` storing its model without
 * leaving a copy in free pages, and (outside sanitizer builds, with
 * ../shared/data and LITMINE_SLOW_TESTS=1) the SciFact dev floor.
 */
#include "../nlp/eval/lm_metrics.h"
#include "../store/search/lm_fts.h"
#include "../pipeline/lm_index.h"
#include "../pipeline/lm_search_session.h"
#include "../pipeline/lm_stage.h"
#include "../store/search/lm_search.h"
#include "../store/search/lm_vec_cache.h"
#include "../store/lm_store_internal.h"
#include "lm_test_store.h"
#include "../util/lm_doc.h"
#include "../util/lm_qterms.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(lm_store *s, int64_t pmid, int version, int year, const char *title,
                const char *abstract)
{
    lm_article a;
    lm_article_init(&a);
    a.pmid = pmid;
    a.version = version;
    a.year = year;
    a.title = (char *)title;
    a.abstract = (char *)abstract;
    lm_error err = {0};
    lm_put_result r;
    LM_CHECK(lm_store_put_article(s, &a, "test", &r, &err) == LM_OK);
}

/* PMIDs of a lexical search, or -1 on error. */
static long search(lm_search_session *srch, const char *text, int64_t *out, size_t max)
{
    lm_search_results r;
    lm_search_results_init(&r);
    lm_search_options o = {LM_SEARCH_LEXICAL, (int)max, 0, 0, NULL};
    lm_error err = {0};
    long n = -1;
    if (lm_search_session_query(srch, text, &o, &r, &err) == LM_OK) {
        n = (long)r.n;
        for (size_t i = 0; i < r.n; i++)
            out[i] = r.hits[i].pmid;
    } else {
        fprintf(stderr, "  query \"%s\": %s\n", text, err.msg);
    }
    lm_search_results_free(&r);
    return n;
}

static void test_fts_expr(void)
{
    lm_qterms q;
    lm_qterms_init(&q);
    lm_buf b;
    lm_buf_init(&b);
    lm_error err = {0};
    LM_CHECK(lm_qterms_parse("BRCA1 and the \"repair\"", NULL, &q, &err) == LM_OK);
    LM_CHECK(lm_fts_expr(&q, &b, &err) == LM_OK);
    LM_CHECK_STR(lm_buf_cstr(&b), "\"brca1\" OR \"repair\"");
    lm_qterms_options po = {0, 1, 0.25f};
    LM_CHECK(lm_qterms_parse("DNA repair, BRCA1", &po, &q, &err) == LM_OK);
    LM_CHECK(lm_fts_expr(&q, &b, &err) == LM_OK);
    LM_CHECK_STR(lm_buf_cstr(&b), "\"dna\" OR \"repair\" OR \"dna repair\" OR \"brca1\" OR "
                                  "\"repair brca1\"");
    LM_CHECK(q.n == 5 && fabsf(q.v[2].weight - 0.25f) < 1e-6f && q.v[2].kind == LM_QTERM_PHRASE);
    /* Only stopwords: kept rather than an empty query. */
    LM_CHECK(lm_qterms_parse("to be or not", NULL, &q, &err) == LM_OK && q.n == 4);
    LM_CHECK(lm_qterms_parse("\"-:*()", NULL, &q, &err) == LM_OK && q.n == 0);
    LM_CHECK(lm_fts_expr(&q, &b, &err) == LM_OK && b.len == 0);
    lm_buf_reset(&b);
    LM_CHECK(lm_fts_quote(&b, "a\"b", 3) == LM_OK);
    LM_CHECK_STR(lm_buf_cstr(&b), "\"a\"\"b\"");
    lm_buf_free(&b);
    lm_qterms_free(&q);

    /* Hostile input never reaches FTS5 as syntax. */
    lm_store *s = lm_test_open_store("safe.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    put(s, 1, 1, 2020, "NEAR and OR in titles", "AND NOT: p53* (mdm2) \"quoted\" - minus");
    lm_search_refresh_options ro = {.skip_vectors = 1};
    LM_CHECK(lm_index_refresh(s, &ro, NULL, NULL) == LM_OK);
    lm_search_session *srch = NULL;
    lm_error e2 = {0};
    LM_CHECK(lm_search_session_open(s, NULL, &srch, &e2) == LM_OK);
    const char *hostile[] = {
        "\"unbalanced", "a\"b\"c", "-p53", "p53-", "title:p53", "p53*", "*", "NEAR(p53 mdm2)",
        "NEAR", "(mdm2", "mdm2)", "AND", "OR OR", "NOT p53", "p53 AND NOT", "^p53", "{title}: x",
        "+ - : * ( ) \" ' ;", "'; DROP TABLE articles; --", "", "   ", "\xff\xfe broken utf8",
        "α-synuclein β2"};
    int64_t ids[8];
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
        LM_CHECK(search(srch, hostile[i], ids, 8) >= 0);
    LM_CHECK(search(srch, "NOT p53", ids, 8) == 1 && ids[0] == 1);
    LM_CHECK(search(srch, "mdm2)", ids, 8) == 1);
    LM_CHECK(search(srch, "absent words only", ids, 8) == 0);
    lm_search_session_close(srch);
    lm_error e3 = {0};
    LM_CHECK(lm_search_check(s, &e3) == LM_OK);
    lm_store_close(s);
}

static void test_fts_consistency(void)
{
    lm_store *s = lm_test_open_store("def.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_error err = {0};
    put(s, 10, 1, 2019, "Olaparib in ovarian cancer", "PARP inhibition and BRCA1.");
    put(s, 11, 1, 2020, "Metformin and glucose", "Diabetes outcomes.");
    put(s, 12, 1, 2021, "Statins", "Cholesterol lowering.");
    lm_search_info info;
    LM_CHECK(lm_search_get_info(s, &info, &err) == LM_OK);
    LM_CHECK_INT(info.articles, 3);
    /* The lexical index waits for a refresh. */
    LM_CHECK_INT(info.fts_pending, 3);
    LM_CHECK_INT(info.fts_indexed, 0);
    LM_CHECK(lm_search_check(s, &err) == LM_OK);
    lm_search_refresh_stats rs;
    lm_search_refresh_options ro = {.skip_vectors = 1, .batch = 2};
    LM_CHECK(lm_index_refresh(s, &ro, &rs, &err) == LM_OK);
    LM_CHECK_INT(rs.fts_added, 3);
    LM_CHECK_INT(rs.lex_added, 3);
    LM_CHECK(lm_search_check(s, &err) == LM_OK);

    lm_search_session *srch = NULL;
    LM_CHECK(lm_search_session_open(s, NULL, &srch, &err) == LM_OK);
    int64_t ids[8];
    LM_CHECK(search(srch, "olaparib", ids, 8) == 1 && ids[0] == 10);

    /* A new version replaces the text: the old words stop matching at
     * once, the new ones after the refresh. */
    put(s, 10, 2, 2019, "Niraparib in ovarian cancer", "PARP inhibition.");
    LM_CHECK(search(srch, "olaparib", ids, 8) == 0);
    LM_CHECK(lm_search_check(s, &err) == LM_OK);
    LM_CHECK(lm_index_refresh(s, &ro, &rs, &err) == LM_OK);
    LM_CHECK(search(srch, "niraparib", ids, 8) == 1 && ids[0] == 10);
    LM_CHECK(lm_search_check(s, &err) == LM_OK);

    /* Deleting an indexed article, and one deleted before it was indexed. */
    int deleted = 0;
    LM_CHECK(lm_store_delete_article(s, 11, &deleted, &err) == LM_OK && deleted);
    LM_CHECK(search(srch, "metformin", ids, 8) == 0);
    put(s, 13, 1, 2022, "Aspirin", "Platelets.");
    LM_CHECK(lm_store_delete_article(s, 13, &deleted, &err) == LM_OK && deleted);
    LM_CHECK(lm_search_check(s, &err) == LM_OK);
    LM_CHECK(lm_index_refresh(s, &ro, &rs, &err) == LM_OK);
    LM_CHECK_INT(rs.pending_dropped, 1);
    LM_CHECK(search(srch, "aspirin", ids, 8) == 0);
    LM_CHECK(lm_search_get_info(s, &info, &err) == LM_OK);
    LM_CHECK(info.articles == 2 && info.fts_indexed == 2 && info.fts_pending == 0);
    LM_CHECK(lm_search_check(s, &err) == LM_OK);
    /* A full rebuild agrees. */
    LM_CHECK(lm_search_rebuild_fts(s, &err) == LM_OK);
    LM_CHECK(lm_search_check(s, &err) == LM_OK);
    LM_CHECK(search(srch, "statins", ids, 8) == 1 && ids[0] == 12);
    lm_search_session_close(srch);
    lm_store_close(s);
}


static void test_metrics(void)
{
    /* Ranking d1 d2 d3 d4; relevant d2, d4, d9 (grade 1).
     * DCG@10 = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677 = 1.061606
     * IDCG@10 = 1 + 1/log2(3) + 1/log2(4) = 2.130930
     * nDCG@10 = 0.498190; Recall@100 = 2/3; MRR@10 = 1/2. */
    int64_t ranked[] = {1, 2, 3, 4};
    lm_qrel rel[] = {{2, 1}, {4, 1}, {9, 1}};
    LM_CHECK(fabs(lm_metric_ndcg(ranked, 4, rel, 3, 10) - 0.498190) < 1e-6);
    LM_CHECK(fabs(lm_metric_recall(ranked, 4, rel, 3, 100) - 2.0 / 3.0) < 1e-12);
    LM_CHECK(fabs(lm_metric_mrr(ranked, 4, rel, 3, 10) - 0.5) < 1e-12);
    /* Cut-offs: within the top 1 nothing is relevant. */
    LM_CHECK(lm_metric_ndcg(ranked, 4, rel, 3, 1) == 0.0);
    LM_CHECK(lm_metric_mrr(ranked, 4, rel, 3, 1) == 0.0);
    LM_CHECK(fabs(lm_metric_recall(ranked, 4, rel, 3, 2) - 1.0 / 3.0) < 1e-12);
    /* Graded: d1 grade 2, d3 grade 1, ranking d3 d1.
     * DCG = 1 + 2/log2(3) = 2.261860; IDCG = 2 + 1/log2(3) = 2.630930. */
    int64_t r2[] = {3, 1};
    lm_qrel g2[] = {{1, 2}, {3, 1}};
    LM_CHECK(fabs(lm_metric_ndcg(r2, 2, g2, 2, 10) - 2.261860 / 2.630930) < 1e-6);
    /* Perfect ranking and nothing relevant. */
    int64_t r3[] = {2, 4, 9};
    LM_CHECK(fabs(lm_metric_ndcg(r3, 3, rel, 3, 10) - 1.0) < 1e-12);
    lm_qrel none[] = {{5, 0}};
    LM_CHECK(lm_metric_ndcg(r3, 3, none, 1, 10) == 0.0 && lm_metric_recall(r3, 3, none, 1, 10) == 0);
    /* Equal grades each count once per qrel: d1, d3, d5 grade 2, d2, d4
     * grade 1; ranking d2 d1 d7.  At k = 2 the ideal ordering is two of
     * the grade-2 documents: DCG = 1 + 2/log2(3) = 2.261860, IDCG = 2 +
     * 2/log2(3) = 3.261860, nDCG = 0.693426 (0.860 if the tie counted
     * once).  At k = 4: IDCG = 2 + 2/log2(3) + 2/log2(4) + 1/log2(5) =
     * 4.692536, nDCG = 0.482012. */
    int64_t r4[] = {2, 1, 7};
    lm_qrel g4[] = {{1, 2}, {2, 1}, {3, 2}, {4, 1}, {5, 2}};
    LM_CHECK(fabs(lm_metric_ndcg(r4, 3, g4, 5, 2) - 0.693426) < 1e-6);
    LM_CHECK(fabs(lm_metric_ndcg(r4, 3, g4, 5, 4) - 0.482012) < 1e-6);
    /* k beyond the qrels, a grade 0 among them: d1 grade 3, d2 grade 0,
     * d3 grade 1; ranking d3 d5 d1.  DCG = 1 + 3/log2(4) = 2.5, IDCG =
     * 3 + 1/log2(3) = 3.630930, nDCG = 0.688529. */
    int64_t r5[] = {3, 5, 1};
    lm_qrel g5[] = {{1, 3}, {2, 0}, {3, 1}};
    LM_CHECK(fabs(lm_metric_ndcg(r5, 3, g5, 3, 10) - 0.688529) < 1e-6);
    LM_CHECK(fabs(lm_metric_ndcg(r5, 3, g5, 3, SIZE_MAX) - 0.688529) < 1e-6);
    LM_CHECK(lm_metric_ndcg(r5, 3, g5, 0, 10) == 0.0 && lm_metric_ndcg(r5, 3, g5, 3, 0) == 0.0);
}

#define NDCG_MAX_QRELS 12
#define NDCG_MAX_UNKNOWN 6

static uint64_t ndcg_rand(uint64_t *state)
{
    /* xorshift64*: the same sets on every run and platform */
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1DULL;
}

static int cmp_grade_desc(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x < y) - (x > y);
}

/* nDCG as the definition reads it, the ideal ordering by sorting a copy
 * of the positive grades: lm_metric_ndcg finds it by selection, which
 * must add the same terms in the same order. */
static double ndcg_by_sort(const int64_t *ranked, size_t n_ranked, const lm_qrel *qrels,
                           size_t n_qrels, size_t k)
{
    double dcg = 0;
    for (size_t i = 0; i < n_ranked && i < k; i++)
        for (size_t j = 0; j < n_qrels; j++)
            if (qrels[j].doc == ranked[i]) {
                if (qrels[j].grade > 0)
                    dcg += qrels[j].grade / log2((double)i + 2.0);
                break;
            }
    int grades[NDCG_MAX_QRELS];
    size_t n = 0;
    for (size_t j = 0; j < n_qrels; j++)
        if (qrels[j].grade > 0)
            grades[n++] = qrels[j].grade;
    qsort(grades, n, sizeof *grades, cmp_grade_desc);
    double idcg = 0;
    for (size_t i = 0; i < n && i < k; i++)
        idcg += grades[i] / log2((double)i + 2.0);
    return idcg > 0 ? dcg / idcg : 0;
}

/* Equal to the last bit, not within a tolerance: a benchmark's figures
 * must not move when the ideal DCG's method does. */
static void test_ndcg_matches_sort(void)
{
    static const size_t ks[] = {1, 3, 10, SIZE_MAX};
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    int differ = 0, positive = 0;
    for (int set = 0; set < 400; set++) {
        lm_qrel qrels[NDCG_MAX_QRELS];
        int64_t pool[NDCG_MAX_QRELS + NDCG_MAX_UNKNOWN];
        size_t n_qrels = (size_t)(ndcg_rand(&seed) % (NDCG_MAX_QRELS + 1)), n_pool = 0;
        for (size_t i = 0; i < n_qrels; i++) {
            /* five grades over up to twelve qrels: most sets repeat some */
            qrels[i] = (lm_qrel){100 + (int64_t)i, (int)(ndcg_rand(&seed) % 5)};
            pool[n_pool++] = qrels[i].doc;
        }
        size_t n_unknown = (size_t)(ndcg_rand(&seed) % (NDCG_MAX_UNKNOWN + 1));
        for (size_t i = 0; i < n_unknown; i++)
            pool[n_pool++] = 1000 + (int64_t)i;
        for (size_t i = n_pool; i > 1; i--) {
            size_t j = (size_t)(ndcg_rand(&seed) % i);
            int64_t t = pool[i - 1];
            pool[i - 1] = pool[j];
            pool[j] = t;
        }
        size_t n_ranked = (size_t)(ndcg_rand(&seed) % (n_pool + 1));
        for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
            double got = lm_metric_ndcg(pool, n_ranked, qrels, n_qrels, ks[ki]);
            double want = ndcg_by_sort(pool, n_ranked, qrels, n_qrels, ks[ki]);
            positive += want > 0;
            if (got != want && ++differ <= 5)
                fprintf(stderr, "  set %d, k %zu: nDCG %.17g, by sorting %.17g\n", set, ks[ki],
                        got, want);
        }
    }
    LM_CHECK_INT(differ, 0);
    /* most comparisons must be of a ranking that found something */
    LM_CHECK(positive > 800);
}

static const char *topics[][2] = {
    {"Insulin resistance in type 2 diabetes",
     "Insulin signalling and glucose uptake are impaired in diabetes. Metformin lowers glucose."},
    {"Glucose control with metformin",
     "Metformin improves glycemic control in diabetes. Insulin doses fell."},
    {"Chemotherapy for metastatic breast cancer",
     "Tumor response to chemotherapy was measured. Breast cancer metastasis shrank."},
    {"Radiotherapy of lung carcinoma",
     "Carcinoma of the lung responded to radiotherapy. Tumor growth slowed."},
};

static void test_hybrid_end_to_end(void)
{
    lm_store *s = lm_test_open_store("hybrid.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    for (int i = 0; i < 40; i++)
        put(s, 100 + i, 1, 2000 + i % 20, topics[i % 4][0], topics[i % 4][1]);
    lm_error err = {0};
    lm_index_build_options bo;
    memset(&bo, 0, sizeof bo);
    bo.fit.dim = 4;
    bo.refresh.format = LM_VEC_I8;
    lm_index_build_stats bs;
    LM_CHECK(lm_index_build(s, &bo, &bs, &err) == LM_OK);
    LM_CHECK(bs.model_id > 0 && bs.dim == 4 && bs.fit_docs == 40);
    LM_CHECK_INT(bs.refresh.embedded, 40);
    LM_CHECK_INT(bs.refresh.fts_added, 40);
    lm_search_info info;
    LM_CHECK(lm_search_get_info(s, &info, &err) == LM_OK);
    LM_CHECK(info.has_model && info.model.n_vectors == 40 && info.missing_vectors == 0);

    /* The embed stage gets the current model from the store it is
     * attached to (it opens no database itself): idle before, the model's
     * vectors after. */
    {
        lm_config *cfg = NULL;
        lm_stage_chain chain = {0};
        LM_CHECK(lm_config_init(&cfg, &err) == LM_OK);
        LM_CHECK(cfg && lm_stage_chain_init(&chain, "embed", cfg, &err) == LM_OK && chain.n == 1);
        void *scratch = NULL;
        LM_CHECK(chain.n == 1 && chain.ops[0]->scratch_init(chain.state[0], &scratch, &err) == LM_OK);
        char title[] = "Metformin and insulin in diabetes", abstract[] = "Glucose fell.";
        lm_article a;
        memset(&a, 0, sizeof a);
        a.pmid = 300;
        a.title = title;
        a.abstract = abstract;
        lm_doc d;
        lm_doc_init(&d);
        if (scratch) {
            LM_CHECK(chain.ops[0]->process(chain.state[0], scratch, &a, &d, &err) == LM_OK);
            LM_CHECK(d.vector == NULL);
            LM_CHECK(lm_stage_chain_attach(&chain, s, &err) == LM_OK);
            LM_CHECK(chain.ops[0]->process(chain.state[0], scratch, &a, &d, &err) == LM_OK);
            LM_CHECK(d.vector != NULL && d.vector_dim == 4 && d.vector_model == bs.model_id);
            chain.ops[0]->scratch_free(scratch);
        }
        lm_doc_free(&d);
        lm_stage_chain_free(&chain);
        lm_config_free(cfg);
    }

    /* New articles get vectors of the current model at refresh. */
    put(s, 200, 1, 2023, "Metformin and insulin in diabetes", "Glucose fell.");
    lm_search_refresh_stats rs;
    LM_CHECK(lm_index_refresh(s, NULL, &rs, &err) == LM_OK);
    LM_CHECK(rs.embedded == 1 && rs.fts_added == 1 && rs.model_id == bs.model_id);

    /* A second build replaces the model; the old one's vectors go. */
    lm_index_build_stats bs2;
    LM_CHECK(lm_index_build(s, &bo, &bs2, &err) == LM_OK);
    LM_CHECK(bs2.model_id > bs.model_id);
    int64_t n_old = -1;
    LM_CHECK(lm_vec_count(s, bs.model_id, &n_old, &err) == LM_OK && n_old == 0);

    lm_search_session *srch = NULL;
    LM_CHECK(lm_search_session_open(s, NULL, &srch, &err) == LM_OK);
    if (!srch) {
        lm_store_close(s);
        return;
    }
    LM_CHECK(lm_search_session_has_vectors(srch) && lm_search_session_vectors(srch) == 41);
    lm_search_results r;
    lm_search_results_init(&r);
    lm_search_options od0 = {LM_SEARCH_DENSE, 3, 0, 0, NULL};
    for (int mode = LM_SEARCH_HYBRID; mode <= LM_SEARCH_DENSE; mode++) {
        lm_search_options o = {(lm_search_mode)mode, 5, 0, 0, NULL};
        LM_CHECK(lm_search_session_query(srch, "glycemic control with metformin", &o, &r, &err) ==
                 LM_OK);
        LM_CHECK_INT(r.n, 5);
        int ok = r.n == 5;
        for (size_t i = 0; i < r.n; i++)   /* topics 0 and 1, and 200 */
            ok &= r.hits[i].pmid == 200 || (r.hits[i].pmid - 100) % 4 <= 1;
        if (!ok)
            for (size_t i = 0; i < r.n; i++)
                fprintf(stderr, "  mode %d hit %lld %.3f\n", mode, (long long)r.hits[i].pmid,
                        r.hits[i].score);
        LM_CHECK(ok);
        LM_CHECK(r.mode_used == (lm_search_mode)mode);
    }
    /* Words in over half of the articles are not features: such a query
     * embeds as zero and has no dense neighbours. */
    LM_CHECK(lm_search_session_query(srch, "diabetes", &od0, &r, &err) == LM_OK && r.n == 0);
    /* Dense finds the topic without a shared word. */
    lm_search_options od = {LM_SEARCH_DENSE, 3, 0, 0, NULL};
    LM_CHECK(lm_search_session_query(srch, "carcinoma radiotherapy", &od, &r, &err) == LM_OK);
    LM_CHECK(r.n == 3 && (r.hits[0].pmid - 100) % 4 >= 2);
    /* --since */
    lm_search_options os = {LM_SEARCH_HYBRID, 50, 2015, 0, NULL};
    LM_CHECK(lm_search_session_query(srch, "chemotherapy tumor", &os, &r, &err) == LM_OK);
    int since_ok = r.n > 0;
    for (size_t i = 0; i < r.n; i++)
        since_ok &= r.hits[i].pmid == 200 || (r.hits[i].pmid - 100) % 20 >= 15;
    LM_CHECK(since_ok);
    /* --type needs mentions: none stored, so nothing qualifies. */
    lm_search_options ot = {LM_SEARCH_HYBRID, 5, 0, 1u << 1, NULL};
    LM_CHECK(lm_search_session_query(srch, "chemotherapy", &ot, &r, &err) == LM_OK && r.n == 0);

    /* Explanation: the best sentence, with the query words marked. */
    lm_search_options oe = {LM_SEARCH_LEXICAL, 1, 0, 0, NULL};
    LM_CHECK(lm_search_session_query(srch, "tumor chemotherapy response", &oe, &r, &err) == LM_OK);
    lm_search_explanation e;
    LM_CHECK(r.n == 1 && lm_search_session_explain(srch, &r, 0, &e, &err) == LM_OK);
    if (r.n == 1) {
        LM_CHECK_STR(e.sentence, "Tumor response to chemotherapy was measured.");
        LM_CHECK_STR(e.title, "Chemotherapy for metastatic breast cancer");
        LM_CHECK_INT(e.n_marks, 3);
        LM_CHECK(e.n_marks == 3 && e.marks[0].start == 0 && e.marks[0].end == 5 &&
                 e.marks[1].start == 6 && e.marks[2].start == 18 && e.marks[2].end == 30);
        LM_CHECK(e.year >= 2000 && e.n_pairs == 0);
        lm_search_explanation_free(&e);
    }
    LM_CHECK(lm_search_session_explain(srch, &r, 5, &e, &err) == LM_ERR_USAGE);

    /* A damaged row in the vector file (a byte of row 3's int8 vector;
     * off_data: the file header's, store/search/lm_vec_cache_impl.h): the
     * session opens (its rows are checked in the background), a query
     * asked for in lexical mode reads no vector and answers, one in
     * hybrid mode and lm_search_session_check (what serve calls at
     * startup) are the error naming the recovery. */
    lm_search_session_close(srch);
    srch = NULL;
    char *vpath = NULL;
    LM_CHECK(lm_vec_cache_path(s, &vpath, NULL) == LM_OK);
    FILE *f = vpath ? fopen(vpath, "r+b") : NULL;
    uint64_t off_data = 0;
    int c = EOF;
    if (f && fseek(f, 88, SEEK_SET) == 0 && fread(&off_data, sizeof off_data, 1, f) == 1 &&
        off_data >= 256 && fseek(f, (long)(off_data + 3 * 4 + 1), SEEK_SET) == 0)
        c = fgetc(f);
    LM_CHECK(c != EOF && fseek(f, -1, SEEK_CUR) == 0 && fputc(c ^ 0x5a, f) != EOF);
    if (f)
        fclose(f);
    free(vpath);
    LM_CHECK(lm_search_session_open(s, NULL, &srch, &err) == LM_OK);
    if (srch) {
        LM_CHECK(lm_search_session_query(srch, "tumor chemotherapy response", &oe, &r, &err) ==
                 LM_OK);
        LM_CHECK_INT(r.n, 1);
        lm_search_options oh = {LM_SEARCH_HYBRID, 5, 0, 0, NULL};
        for (int k = 0; k < 2; k++) {
            memset(&err, 0, sizeof err);
            lm_status st = k ? lm_search_session_check(srch, &err)
                             : lm_search_session_query(srch, "glycemic control with metformin",
                                                       &oh, &r, &err);
            LM_CHECK_INT(st, LM_ERR_DB);
            LM_CHECK(strstr(err.msg, "missing or damaged") &&
                     strstr(err.msg, "litmine index build"));
        }
    }
    lm_search_results_free(&r);
    lm_search_session_close(srch);
    lm_store_close(s);
}

/* Stores an "Aspirin" mention for the articles 1..n that has() picks,
 * refreshes the index, opens a searcher without vectors and sets q to the
 * word "aspirin" with its concept. */
static lm_searcher *aspirin_searcher(lm_store *s, int (*has)(int pmid), int n,
                                     lm_query_analysis *q)
{
    lm_error err = {0};
    LM_CHECK(lm_store_begin(s, &err) == LM_OK);
    for (int i = 1; i <= n; i++) {
        if (!has(i))
            continue;
        lm_doc d;
        lm_doc_init(&d);
        LM_CHECK(lm_doc_add_mention(&d, 0, 7, LM_ENT_CHEMICAL, "Aspirin", "MESH:D001241", 0, 1.0f,
                                    &err) == LM_OK);
        LM_CHECK(lm_store_put_doc(s, i, &d, LM_DOC_MENTIONS, &err) == LM_OK);
        lm_doc_free(&d);
    }
    LM_CHECK(lm_store_commit(s, &err) == LM_OK);
    lm_search_refresh_stats rs;
    LM_CHECK(lm_index_refresh(s, NULL, &rs, &err) == LM_OK);
    lm_searcher_config sc = {1, NULL};
    lm_searcher *srch = NULL;
    LM_CHECK(lm_searcher_open(s, &sc, NULL, &srch, &err) == LM_OK);
    lm_query_analysis_init(q);
    LM_CHECK(lm_qterms_add(&q->terms, "aspirin", 7, LM_QTERM_WORD, 1.0f, 0, NULL, &err) == LM_OK);
    LM_CHECK(lm_qconcepts_add(&q->concepts, "MESH:D001241", "Aspirin", LM_ENT_CHEMICAL, 0, 7,
                              &err) == LM_OK);
    return srch;
}

static int every_third(int pmid)
{
    return pmid % 3 == 0;
}

/* 6-10 (just below 1-5 lexically) and some of the far ones, 17, 24, ... */
static int close_or_far(int pmid)
{
    return (pmid >= 6 && pmid <= 10) || (pmid > 10 && pmid % 7 == 3);
}

/* The concept boost counts, per candidate, the query concepts its stored
 * mentions carry, whichever way it looks them up: the concept's article
 * list while it is short against the candidates, one probe per candidate
 * once it is longer (a common concept at 1M abstracts).  30 articles say
 * "aspirin"; every third mentions the concept. */
static void test_concept_counts_both_ways(void)
{
    lm_store *s = lm_test_open_store("concepts.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_error err = {0};
    /* the concept's articles say it twice: the best lexical candidates */
    for (int i = 1; i <= 30; i++)
        put(s, i, 1, 2020, "Aspirin in headache",
            i % 3 == 0 ? "Aspirin was given, then aspirin again." : "Aspirin was given.");
    lm_query_analysis q;
    lm_searcher *srch = aspirin_searcher(s, every_third, 30, &q);
    /* 30 candidates read the 10 articles as a list; 2 (k = 2) allow at
     * most 9 before the switch to probes. */
    int candidates[2] = {1000, 2};
    for (int w = 0; srch && w < 2; w++) {
        lm_search_params p;
        lm_search_params_default(&p);
        p.lex_candidates = candidates[w];
        lm_search_options o = {LM_SEARCH_LEXICAL, w == 0 ? 30 : 2, 0, 0, &p};
        lm_search_results r;
        lm_search_results_init(&r);
        LM_CHECK(lm_searcher_query(srch, &q, &o, &r, &err) == LM_OK);
        LM_CHECK(r.n > 0);
        int right = 1, boosted = 0;
        for (size_t i = 0; i < r.n; i++) {
            right &= r.hits[i].concepts == (r.hits[i].pmid % 3 == 0);
            boosted += r.hits[i].concepts;
        }
        LM_CHECK(right);
        LM_CHECK_INT(r.n, w == 0 ? 30 : 2);
        LM_CHECK_INT(boosted, w == 0 ? 10 : 2);
        /* the boost puts the articles with the concept first */
        LM_CHECK(r.hits[0].pmid % 3 == 0);
        lm_search_results_free(&r);
    }
    lm_query_analysis_free(&q);
    lm_searcher_close(srch);
    lm_store_close(s);
}

/* Candidates that cannot reach the top k even with the whole concept
 * boost are not looked up; the top k is the one of counting every
 * candidate: articles 6-10 carry the concept and rank just below 1-5
 * lexically, so the boost lifts them first; 11-40 are far below. */
static void test_concept_skip_keeps_top(void)
{
    lm_store *s = lm_test_open_store("concepts-top.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_error err = {0};
    char text[512];
    for (int i = 1; i <= 40; i++) {
        if (i <= 5)
            snprintf(text, sizeof text, "Aspirin given.");
        else if (i <= 10)
            snprintf(text, sizeof text, "Aspirin was given.");
        else
            snprintf(text, sizeof text, "Aspirin was one of many drugs given to %d patients in a"
                     " long trial of headache, migraine, fever, pain, sleep and mood over"
                     " several years in many hospitals of several countries.", i);
        put(s, i, 1, 2020, "Headache", text);
    }
    lm_query_analysis q;
    lm_searcher *srch = aspirin_searcher(s, close_or_far, 40, &q);
    /* k = 40: every candidate counted (the reference); k = 3 and 7: the
     * far ones skipped, and the same first hits. */
    lm_search_results all, top;
    lm_search_results_init(&all);
    lm_search_results_init(&top);
    lm_search_options o = {LM_SEARCH_LEXICAL, 40, 0, 0, NULL};
    LM_CHECK(srch && lm_searcher_query(srch, &q, &o, &all, &err) == LM_OK);
    LM_CHECK_INT(all.n, 40);
    LM_CHECK(all.n > 0 && all.hits[0].pmid >= 6 && all.hits[0].pmid <= 10 &&
             all.hits[0].concepts == 1);
    static const int ks[] = {3, 7};
    for (size_t w = 0; srch && w < 2; w++) {
        o.k = ks[w];
        LM_CHECK(lm_searcher_query(srch, &q, &o, &top, &err) == LM_OK);
        LM_CHECK_INT(top.n, ks[w]);
        for (size_t i = 0; i < top.n && i < all.n; i++)
            LM_CHECK(top.hits[i].pmid == all.hits[i].pmid &&
                     top.hits[i].score == all.hits[i].score &&
                     top.hits[i].concepts == all.hits[i].concepts);
    }
    lm_search_results_free(&all);
    lm_search_results_free(&top);
    lm_query_analysis_free(&q);
    lm_searcher_close(srch);
    lm_store_close(s);
}

/* The SciFact dev floor runs the real binary on the real benchmark; too
 * slow under sanitizers, so it runs in `make bench` and here only when
 * asked (LITMINE_SLOW_TESTS=1) in an optimised build. */
static long long sql_int(lm_store *s, const char *sql)
{
    return raw_int(lm_store_sqlite(s), sql);
}

/* `index build` stores the LSA model's bytes once, in the vector file,
 * written there in the commit that makes the model current: never into
 * the database and freed again (a model's worth of free pages). */
static void test_build_frees_no_model_copy(void)
{
    lm_store *s = lm_test_open_store("build-free.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    char abstract[512];
    for (int i = 1; i <= 400; i++) {
        lm_test_wordy_abstract(abstract, sizeof abstract, i, 3000);
        put(s, i, 1, 2000, "A title", abstract);
    }
    lm_error err = {0};
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s), "VACUUM", NULL, NULL, NULL) == SQLITE_OK);
    LM_CHECK(sql_int(s, "PRAGMA freelist_count") == 0);
    lm_index_build_options bo;
    memset(&bo, 0, sizeof bo);
    bo.fit.dim = 16;
    lm_index_build_stats bs;
    for (int round = 0; round < 2; round++) {
        LM_CHECK(lm_index_build(s, &bo, &bs, &err) == LM_OK);
        /* its bytes went straight into the vector file (stored once) */
        long long model =
            sql_int(s, "SELECT data_len FROM embed_models WHERE state = 'ready'"
                       " AND data IS NULL AND data_xxh64 IS NOT NULL");
        long long page = sql_int(s, "PRAGMA page_size");
        long long free_bytes = sql_int(s, "PRAGMA freelist_count") * page;
        /* 3,000 words x 16 dimensions of float: ~200 KB, 50 pages. */
        LM_CHECK(model > 32 * page);
        if (free_bytes >= model / 4)
            fprintf(stderr, "  round %d: %lld free bytes, model %lld bytes\n", round,
                    free_bytes, model);
        LM_CHECK(free_bytes < model / 4);
        LM_CHECK(sql_int(s, "SELECT count(*) FROM vectors WHERE length(vec) > 0") == 0);
    }
    lm_search_session *srch = NULL;
    LM_CHECK(lm_search_session_open(s, NULL, &srch, &err) == LM_OK);
    LM_CHECK(srch && lm_search_session_has_vectors(srch) &&
             lm_search_session_vectors(srch) == 400);
    lm_search_session_close(srch);

    /* Compacting as it embeds (here after every batch of 50): the model
     * being built has a file of its own, so the current one stays
     * searchable; at the end one file, every row in it, and the pages
     * the emptied rows freed were reused (at most a step's left free). */
    bo.refresh.batch = 50;
    bo.refresh.compact_bytes = 1;
    LM_CHECK(lm_index_build(s, &bo, &bs, &err) == LM_OK);
    LM_CHECK(sql_int(s, "SELECT count(*) FROM vectors WHERE length(vec) > 0") == 0);
    LM_CHECK(sql_int(s, "SELECT count(*) FROM vectors") == 400);
    LM_CHECK(sql_int(s, "SELECT count(*) FROM vector_files") == 1);
    char build_file[600];
    snprintf(build_file, sizeof build_file, "%s.vectors.m%lld",
             sqlite3_db_filename(lm_store_sqlite(s), "main"), (long long)bs.model_id);
    LM_CHECK(access(build_file, F_OK) != 0);
    LM_CHECK(lm_search_check(s, &err) == LM_OK);
    srch = NULL;
    LM_CHECK(lm_search_session_open(s, NULL, &srch, &err) == LM_OK);
    LM_CHECK(srch && lm_search_session_vectors(srch) == 400);
    lm_search_session_close(srch);
    lm_store_close(s);
}

static void test_scifact_floor(void)
{
#if defined(__SANITIZE_ADDRESS__)
    LM_SKIP("SciFact floor: sanitizer build (runs in make bench)");
#else
    const char *data = lm_test_shared_data();
    if (!data)
        LM_SKIP("../shared/data not present");
    if (!getenv("LITMINE_SLOW_TESTS"))
        LM_SKIP("SciFact floor: set LITMINE_SLOW_TESTS=1 (runs in make bench)");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "LITMINE_CONFIG= ./litmine eval search --corpus %s/scifact/corpus.jsonl.gz"
             " --queries %s/scifact/queries.dev.jsonl --qrels %s/scifact/qrels.dev.tsv",
             data, data, data);
    FILE *p = popen(cmd, "r");
    LM_CHECK(p != NULL);
    if (!p)
        return;
    char line[256];
    double ndcg = -1;
    while (fgets(line, sizeof line, p))
        if (strncmp(line, "nDCG@10 ", 8) == 0)
            ndcg = strtod(line + 8, NULL);
    pclose(p);
    fprintf(stderr, "  SciFact dev nDCG@10 %.4f\n", ndcg);
    LM_CHECK(ndcg >= 0.715);
#endif
}

int main(void)
{
    LM_RUN(test_fts_expr);
    LM_RUN(test_fts_consistency);
    LM_RUN(test_metrics);
    LM_RUN(test_ndcg_matches_sort);
    LM_RUN(test_hybrid_end_to_end);
    LM_RUN(test_concept_counts_both_ways);
    LM_RUN(test_concept_skip_keeps_top);
    LM_RUN(test_build_frees_no_model_copy);
    LM_RUN(test_scifact_floor);
    return LM_DONE();
}
