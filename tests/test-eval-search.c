/*
 * Tests for pipeline/lm_eval_search, in C without the binary: a BEIR set
 * of five documents whose lexical ranking is known, so every metric has an
 * exact expected value — one query found first (all metrics 1), one whose
 * second relevant document shares no word with it (Recall@100 1/2, nDCG@10
 * 1/(1 + 1/log2 3)), one judged only on a document the corpus lacks (0).
 * Also: string and numeric ids, a work database reused, the temporary
 * store removed, and the errors for a missing file and a bad line.
 */
#include "../pipeline/lm_eval_search.h"
#include "lm_test.h"

#include <math.h>

static char corpus[600], queries[600], qrels[600];

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void make_set(void)
{
    const char *dir = lm_test_tmpdir();
    snprintf(corpus, sizeof corpus, "%s/corpus.jsonl", dir);
    snprintf(queries, sizeof queries, "%s/queries.jsonl", dir);
    snprintf(qrels, sizeof qrels, "%s/qrels.tsv", dir);
    put(corpus,
        "{\"_id\": \"d1\", \"title\": \"BRCA1 and DNA repair\", \"text\": \"BRCA1 promotes "
        "homologous recombination repair of DNA breaks.\"}\n"
        "{\"_id\": \"d2\", \"title\": \"Malaria drugs\", \"text\": \"Artemisinin clears "
        "Plasmodium parasites quickly.\"}\n"
        "\n"
        "{\"_id\": 31415, \"title\": \"Asthma steroids\", \"text\": \"Inhaled corticosteroids "
        "reduce asthma attacks in children.\"}\n"
        "{\"_id\": \"d4\", \"title\": \"Metformin\", \"text\": \"Metformin lowers glucose in "
        "type 2 diabetes.\"}\n"
        "{\"_id\": \"d5\", \"title\": \"Quinine\", \"text\": \"Quinine bark extracts.\"}\n");
    put(queries, "{\"_id\": \"q1\", \"text\": \"BRCA1 homologous recombination\"}\n"
                 "{\"_id\": \"q2\", \"text\": \"artemisinin plasmodium\"}\n"
                 "{\"_id\": \"q3\", \"text\": \"inhaled corticosteroids asthma\"}\n"
                 "{\"_id\": \"q4\", \"text\": \"metformin\"}\n"
                 "{\"_id\": \"q5\", \"text\": \"never judged\"}\n");
    put(qrels, "query-id\tcorpus-id\tscore\n"
               "q1\td1\t1\n"
               "q2\td2\t1\nq2\td5\t1\n"
               "q3\t31415\t2\n"
               "q4\tmissing-doc\t1\n"
               "q9\td1\t1\n");
}

static void options(lm_eval_search_options *o)
{
    memset(o, 0, sizeof *o);
    o->corpus = corpus;
    o->queries = queries;
    o->qrels = qrels;
    o->tmp_dir = lm_test_tmpdir();
    o->lexical_only = 1;
}

static int near(double got, double want)
{
    return fabs(got - want) < 1e-9;
}

static int n_details;
static void count_query(void *ctx, const char *mode, const char *id, const char *text,
                        double ndcg10)
{
    (void)text;
    (void)ndcg10;
    n_details++;
    LM_CHECK(ctx == &n_details);
    LM_CHECK(strcmp(mode, "lexical") == 0 || strcmp(mode, "fts5") == 0);
    LM_CHECK(strcmp(id, "q5") != 0);
}

/* Means over q1 (1, 1, 1), q2 (1/(1 + 1/log2 3), 1/2, 1), q3 (1, 1, 1)
 * and q4 (0, 0, 0). */
static void check_scores(const lm_eval_search_scores *s)
{
    double q2_ndcg = 1.0 / (1.0 + 1.0 / log2(3.0));
    LM_CHECK_INT(s->judged, 4);
    LM_CHECK(near(s->ndcg10, (2.0 + q2_ndcg) / 4.0));
    LM_CHECK(near(s->recall100, 2.5 / 4.0));
    LM_CHECK(near(s->mrr10, 3.0 / 4.0));
    LM_CHECK(s->latency_ms_median >= 0);
}

static void test_known_metrics(void)
{
    make_set();
    lm_eval_search_options o;
    options(&o);
    lm_eval_search *ev = NULL;
    lm_eval_search_prep prep;
    lm_error err = {0};
    lm_status st = lm_eval_search_open(&o, &ev, &prep, &err);
    if (st != LM_OK)
        fprintf(stderr, "    %s\n", err.msg);
    LM_CHECK_INT(st, LM_OK);
    if (st != LM_OK)
        return;
    LM_CHECK_INT(prep.docs, 5);
    LM_CHECK(!prep.built);
    lm_eval_search_scores s;
    n_details = 0;
    LM_CHECK_INT(lm_eval_search_run(ev, LM_SEARCH_LEXICAL, NULL, count_query, &n_details, &s,
                                    &err), LM_OK);
    check_scores(&s);
    LM_CHECK_INT(n_details, 4);
    lm_eval_search_close(ev);

    /* The temporary store is gone: only the three input files remain. */
    DIR *d = opendir(lm_test_tmpdir());
    int entries = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        entries += e->d_name[0] != '.';
    if (d)
        closedir(d);
    LM_CHECK_INT(entries, 3);
}

static void test_work_db_reused(void)
{
    make_set();
    char db[700];
    snprintf(db, sizeof db, "%s/work.db", lm_test_tmpdir());
    lm_eval_search_options o;
    options(&o);
    o.work_db = db;
    lm_error err = {0};
    lm_eval_search_prep prep;
    lm_eval_search_scores s;
    for (int round = 0; round < 2; round++) {
        lm_eval_search *ev = NULL;
        LM_CHECK_INT(lm_eval_search_open(&o, &ev, &prep, &err), LM_OK);
        if (!ev)
            return;
        /* The second time the corpus is not ingested again, but string
         * ids still map to the PMIDs the first run gave them. */
        LM_CHECK_INT(prep.docs, round == 0 ? 5 : 0);
        LM_CHECK_INT(lm_eval_search_run(ev, LM_SEARCH_LEXICAL, NULL, NULL, NULL, &s, &err),
                     LM_OK);
        check_scores(&s);
        lm_eval_search_close(ev);
    }
    struct stat stt;
    LM_CHECK(stat(db, &stt) == 0);
    remove(db);
}

static void test_errors(void)
{
    make_set();
    lm_eval_search_options o;
    options(&o);
    char missing[700], bad[700];
    snprintf(missing, sizeof missing, "%s/missing.jsonl", lm_test_tmpdir());
    o.corpus = missing;
    lm_eval_search *ev = NULL;
    lm_eval_search_prep prep;
    lm_error err = {0};
    LM_CHECK_INT(lm_eval_search_open(&o, &ev, &prep, &err), LM_ERR_IO);
    LM_CHECK(ev == NULL);
    LM_CHECK(strstr(err.msg, "missing.jsonl") != NULL);

    snprintf(bad, sizeof bad, "%s/bad.jsonl", lm_test_tmpdir());
    put(bad, "{\"_id\": \"q1\", \"text\": \"fine\"}\n[1, 2]\n");
    options(&o);
    o.queries = bad;
    LM_CHECK_INT(lm_eval_search_open(&o, &ev, &prep, &err), LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, "bad.jsonl:2: not a BEIR query line") != NULL);

    put(bad, "query-id\tcorpus-id\tscore\nq1\td1\tone\n");
    options(&o);
    o.qrels = bad;
    LM_CHECK_INT(lm_eval_search_open(&o, &ev, &prep, &err), LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, "bad.jsonl:2: bad relevance grade") != NULL);
    remove(bad);
}

int main(void)
{
    LM_RUN(test_known_metrics);
    LM_RUN(test_work_db_reused);
    LM_RUN(test_errors);
    return LM_DONE();
}
