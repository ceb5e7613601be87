/*
 * tests/test-store-serve: the reads behind `litmine serve`
 * (store/lm_store_serve.c) on a hand-built database whose answers are
 * known: three articles (2018, 2018, 2020) mentioning acetaminophen and
 * hepatotoxicity, with pairs of each relation kind.
 */
#include "../store/lm_store_serve.h"
#include "lm_test_store.h"

#include <string.h>

#define APAP "MESH:D000082"
#define HEPA "MESH:D056486"
#define ETOH "MESH:D000431"

static lm_store *build(void)
{
    lm_store *s = lm_test_open_store("serve.db");
    if (!s)
        return NULL;
    lm_error err = {0};
    static const struct {
        int64_t pmid;
        int year;
        const char *title;
    } arts[] = {{101, 2018, "Acetaminophen hepatotoxicity"},
                {102, 2018, "Ethanol and acetaminophen hepatotoxicity"},
                {103, 2020, "Acetaminophen hepatotoxicity again"}};
    lm_status st = lm_store_begin(s, &err);
    for (size_t i = 0; i < 3 && st == LM_OK; i++) {
        lm_article a;
        lm_article_init(&a);
        a.pmid = arts[i].pmid;
        a.version = 1;
        a.year = arts[i].year;
        a.title = strdup(arts[i].title);
        a.abstract = strdup("Text.");
        st = lm_store_put_article(s, &a, "test", NULL, &err);
        lm_article_free(&a);
        lm_doc d;
        lm_doc_init(&d);
        if (st == LM_OK)
            st = lm_doc_set_text(&d, arts[i].title, "Text.", &err);
        int eth = arts[i].pmid == 102;
        int apap_at = eth ? 12 : 0;
        if (eth && st == LM_OK)
            st = lm_doc_add_mention(&d, 0, 7, LM_ENT_CHEMICAL, "Ethanol", ETOH, 0, 1, &err);
        if (st == LM_OK)
            st = lm_doc_add_mention(&d, apap_at, apap_at + 13, LM_ENT_CHEMICAL,
                                    arts[i].pmid == 103 ? "acetaminophen" : "Acetaminophen",
                                    APAP, 0, 1, &err);
        if (st == LM_OK)
            st = lm_doc_add_mention(&d, apap_at + 14, apap_at + 28, LM_ENT_DISEASE,
                                    "hepatotoxicity", HEPA, 0, 1, &err);
        if (st == LM_OK)
            st = lm_doc_add_pair(&d, APAP, "Acetaminophen", HEPA, "hepatotoxicity", "induces",
                                 0.5f + 0.1f * (float)i, 0, 0, apap_at + 28, &err);
        if (eth && st == LM_OK)
            st = lm_doc_add_pair(&d, ETOH, "Ethanol", HEPA, "hepatotoxicity", "cooccurs", 0.1f,
                                 0, 0, 40, &err);
        if (st == LM_OK)
            st = lm_store_put_doc(s, arts[i].pmid, &d, LM_DOC_MENTIONS | LM_DOC_PAIRS, &err);
        lm_doc_free(&d);
    }
    if (st == LM_OK)
        st = lm_store_commit(s, &err);
    if (st != LM_OK) {
        fprintf(stderr, "build: %s\n", err.msg);
        lm_store_close(s);
        return NULL;
    }
    return s;
}

typedef struct collected {
    int years[8];
    int64_t counts[8];
    int n;
    char text[8][64];
} collected;

static lm_status on_year(void *ctx, int year, int64_t n)
{
    collected *c = ctx;
    c->years[c->n] = year;
    c->counts[c->n++] = n;
    return LM_OK;
}

static lm_status on_name(void *ctx, const char *text, int64_t n)
{
    collected *c = ctx;
    snprintf(c->text[c->n], sizeof c->text[0], "%s", text);
    c->counts[c->n++] = n;
    return LM_OK;
}

static lm_status on_comention(void *ctx, const lm_comention_row *r)
{
    collected *c = ctx;
    snprintf(c->text[c->n], sizeof c->text[0], "%s", r->concept_id);
    c->counts[c->n++] = r->articles;
    return LM_OK;
}

static lm_status on_pair_count(void *ctx, const lm_pair_count_row *r)
{
    collected *c = ctx;
    snprintf(c->text[c->n], sizeof c->text[0], "%s>%s", r->chemical_id, r->relation);
    c->years[c->n] = r->first_year;
    c->counts[c->n++] = r->articles;
    return LM_OK;
}

static void test_concept(void)
{
    lm_store *s = build();
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_error err = {0};
    lm_concept_summary sum;
    LM_CHECK_INT(lm_store_concept_summary(s, HEPA, &sum, &err), LM_OK);
    LM_CHECK_STR(sum.type, "Disease");
    LM_CHECK_INT(sum.articles, 3);
    LM_CHECK_INT(sum.mentions, 3);
    LM_CHECK_INT(sum.pairs, 3);   /* the co-occurrence is not a relation */
    LM_CHECK_INT(lm_store_concept_summary(s, "MESH:D999999", &sum, &err), LM_ERR_NOTFOUND);

    collected c = {0};
    LM_CHECK_INT(lm_store_concept_years(s, APAP, on_year, &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 2);
    LM_CHECK_INT(c.years[0], 2018);
    LM_CHECK_INT(c.counts[0], 2);
    LM_CHECK_INT(c.years[1], 2020);
    LM_CHECK_INT(c.counts[1], 1);

    memset(&c, 0, sizeof c);
    LM_CHECK_INT(lm_store_concept_names(s, APAP, 5, on_name, &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 1);   /* case folded together */
    LM_CHECK_INT(c.counts[0], 3);

    memset(&c, 0, sizeof c);
    LM_CHECK_INT(lm_store_concept_comentions(s, APAP, 5, on_comention, &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 2);
    LM_CHECK_STR(c.text[0], HEPA);
    LM_CHECK_INT(c.counts[0], 3);
    LM_CHECK_STR(c.text[1], ETOH);
    LM_CHECK_INT(c.counts[1], 1);

    memset(&c, 0, sizeof c);
    LM_CHECK_INT(lm_store_concept_pairs(s, HEPA, 5, on_pair_count, &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 1);
    LM_CHECK_STR(c.text[0], APAP ">induces");
    LM_CHECK_INT(c.counts[0], 3);
    LM_CHECK_INT(c.years[0], 2018);
    lm_store_close(s);
}

static lm_status on_pair(void *ctx, const lm_pairs_query_row *r)
{
    collected *c = ctx;
    snprintf(c->text[c->n], sizeof c->text[0], "%lld:%s", (long long)r->pair.pmid,
             r->pair.evidence ? r->pair.evidence : "-");
    c->years[c->n++] = r->year;
    return LM_OK;
}

static void test_pairs_query(void)
{
    lm_store *s = build();
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_error err = {0};
    lm_pairs_query q;
    memset(&q, 0, sizeof q);
    int64_t n = 0;
    LM_CHECK_INT(lm_store_pairs_query_count(s, &q, &n, &err), LM_OK);
    LM_CHECK_INT(n, 3);   /* relations only */
    collected c = {0};
    LM_CHECK_INT(lm_store_pairs_query(s, &q, on_pair, &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 3);
    LM_CHECK_STR(c.text[0], "103:Acetaminophen hepatotoxicity");   /* best score first */

    q.relation = "cooccurs";
    LM_CHECK_INT(lm_store_pairs_query_count(s, &q, &n, &err), LM_OK);
    LM_CHECK_INT(n, 1);
    q.disease = HEPA;   /* an id: the indexed column */
    LM_CHECK_INT(lm_store_pairs_query_count(s, &q, &n, &err), LM_OK);
    LM_CHECK_INT(n, 1);
    q.relation = NULL;
    q.disease = "HEPATOTOXICITY";   /* a text, any case */
    LM_CHECK_INT(lm_store_pairs_query_count(s, &q, &n, &err), LM_OK);
    LM_CHECK_INT(n, 3);
    q.disease = "MESH:D000000";
    LM_CHECK_INT(lm_store_pairs_query_count(s, &q, &n, &err), LM_OK);
    LM_CHECK_INT(n, 0);
    q.disease = NULL;
    q.relation = NULL;
    q.chemical = "acetaminophen";   /* mention text, any case */
    q.year_from = 2019;
    memset(&c, 0, sizeof c);
    LM_CHECK_INT(lm_store_pairs_query(s, &q, on_pair, &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 1);
    LM_CHECK_INT(c.years[0], 2020);
    q.year_from = 0;
    q.year_to = 2018;
    q.min_score = 0.55;
    q.chemical = APAP;
    memset(&c, 0, sizeof c);
    LM_CHECK_INT(lm_store_pairs_query(s, &q, on_pair, &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 1);
    LM_CHECK_STR(c.text[0], "102:Ethanol and acetaminophen hepatotoxicity");
    memset(&q, 0, sizeof q);
    q.by_year = -1;   /* newest first */
    memset(&c, 0, sizeof c);
    LM_CHECK_INT(lm_store_pairs_query(s, &q, on_pair, &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 3);
    LM_CHECK(c.years[0] == 2020 && c.years[2] == 2018);
    q.by_year = 1;    /* oldest first, ties by score */
    memset(&c, 0, sizeof c);
    LM_CHECK_INT(lm_store_pairs_query(s, &q, on_pair, &c, &err), LM_OK);
    LM_CHECK(c.years[0] == 2018 && c.years[2] == 2020);
    LM_CHECK(strncmp(c.text[0], "102:", 4) == 0);
    memset(&q, 0, sizeof q);
    q.offset = 1;
    q.limit = 1;
    memset(&c, 0, sizeof c);
    LM_CHECK_INT(lm_store_pairs_query(s, &q, on_pair, &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 1);
    LM_CHECK(strncmp(c.text[0], "102:", 4) == 0);
    lm_store_close(s);
}

/* The pairs page reads its rows through pairs_score in score order, for
 * every relation filter, and counts without the articles table; filters
 * on a concept still use its index; so do a concept's pairs. */
static void test_pairs_plan(void)
{
    lm_store *s = build();
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_error err = {0};
    lm_buf plan;
    lm_buf_init(&plan);
    lm_pairs_query q;
    memset(&q, 0, sizeof q);
    q.limit = 50;
    static const char *const relations[] = {NULL, "induces", "treats"};
    for (size_t i = 0; i < 3; i++) {
        q.relation = relations[i];
        /* In score order: at most ties are sorted, never every row. */
        LM_CHECK_INT(lm_store_pairs_query_plan(s, &q, 0, &plan, &err), LM_OK);
        LM_CHECK(strstr(lm_buf_cstr(&plan), "INDEX pairs_score") != NULL);
        LM_CHECK(strstr(lm_buf_cstr(&plan), "TEMP B-TREE FOR ORDER BY") == NULL);
        /* Counted from the index alone, without the articles. */
        LM_CHECK_INT(lm_store_pairs_query_plan(s, &q, 1, &plan, &err), LM_OK);
        LM_CHECK(strstr(lm_buf_cstr(&plan), "COVERING INDEX pairs_score") != NULL);
        LM_CHECK(strstr(lm_buf_cstr(&plan), "SEARCH a") == NULL);
    }
    q.relation = NULL;
    q.min_score = 0.5;
    LM_CHECK_INT(lm_store_pairs_query_plan(s, &q, 0, &plan, &err), LM_OK);
    LM_CHECK(strstr(lm_buf_cstr(&plan), "INDEX pairs_score (score>?)") != NULL);
    q.min_score = 0;
    q.disease = HEPA;
    LM_CHECK_INT(lm_store_pairs_query_plan(s, &q, 0, &plan, &err), LM_OK);
    LM_CHECK(strstr(lm_buf_cstr(&plan), "USING INDEX pairs_disease") != NULL);
    q.disease = NULL;
    q.year_from = 2019;
    LM_CHECK_INT(lm_store_pairs_query_plan(s, &q, 1, &plan, &err), LM_OK);
    LM_CHECK(strstr(lm_buf_cstr(&plan), "SEARCH a") != NULL);   /* years need the join */
    lm_store_close(s);

    /* A concept's pairs read through the two indexes, never by a scan of
     * every pair: with the statistics of a real corpus (20,000 abstracts,
     * 86,000 pairs, as ANALYZE wrote them), an OR of the two columns was
     * planned as a scan (70 ms a concept page at 20k). */
    char path[512];
    snprintf(path, sizeof path, "%s/serve.db", lm_test_tmpdir());
    sqlite3 *db = raw_open(path);
    LM_CHECK(db != NULL);
    if (db)
        LM_CHECK_INT(raw_exec(db, "ANALYZE; DELETE FROM sqlite_stat1 WHERE tbl = 'pairs_data';"
                                  "INSERT INTO sqlite_stat1 VALUES"
                                  " ('pairs_data', 'pairs_score', '28255 4 4'),"
                                  " ('pairs_data', 'pairs_disease', '85917 34'),"
                                  " ('pairs_data', 'pairs_chemical', '85917 36'),"
                                  " ('pairs_data', 'pairs_data', '85917 10 4 1')"),
                     SQLITE_OK);
    sqlite3_close(db);
    s = lm_test_open_store("serve.db");   /* loads those statistics */
    LM_CHECK(s != NULL);
    if (s) {
        LM_CHECK_INT(lm_store_concept_pairs_plan(s, &plan, &err), LM_OK);
        LM_CHECK(strstr(lm_buf_cstr(&plan), "INDEX pairs_chemical (chemical=?)") != NULL);
        LM_CHECK(strstr(lm_buf_cstr(&plan), "INDEX pairs_disease (disease=?)") != NULL);
        /* (a scan of the two halves' rows is fine, of the table is not) */
        LM_CHECK(strstr(lm_buf_cstr(&plan), "SCAN p USING") == NULL);
        collected c;   /* and the same answer as test_concept's */
        memset(&c, 0, sizeof c);
        LM_CHECK_INT(lm_store_concept_pairs(s, HEPA, 5, on_pair_count, &c, &err), LM_OK);
        LM_CHECK_INT(c.n, 1);
    }
    lm_buf_free(&plan);
    lm_store_close(s);
}

/* The migration that adds pairs_score (found by its SQL, so the test
 * holds whatever number it gets) indexes the pairs already stored. */
static void test_pairs_score_migration(void)
{
    int v = 0;
    for (int i = 1; i <= lm_store_schema_version() && !v; i++)
        if (strstr(lm_store_migration_sql(i), "pairs_score"))
            v = i;
    LM_CHECK(v > 5);   /* after the pairs table */
    if (!v)
        return;
    char p[512];
    db_path(p, sizeof p, "before-score.db");
    lm_error err = {0};
    LM_CHECK_INT(lm_store_migrate_path(p, v - 1, &err), LM_OK);
    sqlite3 *db = raw_open(p);
    LM_CHECK_INT(raw_exec(db, "INSERT INTO articles (pmid, version, title, content_hash,"
                              " ingested_at) VALUES (7, 1, 'T', 1, '2020-01-01T00:00:00Z');"
                              "INSERT INTO pairs (pmid, chemical_id, disease_id, relation, score)"
                              " VALUES (7, 'C:1', 'D:1', 'induces', 0.9),"
                              " (7, 'C:2', 'D:1', 'cooccurs', 0.1);"),
                 SQLITE_OK);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'pairs_score'"), 0);
    sqlite3_close(db);
    lm_store *s = NULL;
    LM_CHECK_INT(lm_store_open(&s, p, NULL, &err), LM_OK);
    lm_store_close(s);
    db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'pairs_score'"), 1);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM pairs_data INDEXED BY pairs_score"
                             " WHERE relation <> 4"),
                 1);
    LM_CHECK_INT(raw_int(db, "SELECT id FROM names WHERE name = 'cooccurs'"), 4);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM pairs"), 2);
    sqlite3_close(db);
}

static lm_status on_mention(void *ctx, const lm_mention_row *r)
{
    collected *c = ctx;
    snprintf(c->text[c->n], sizeof c->text[0], "%d-%d %s", r->start, r->end, r->text);
    c->n++;
    return LM_OK;
}

static lm_status on_article_pair(void *ctx, const lm_pair_row *r)
{
    collected *c = ctx;
    snprintf(c->text[c->n++], sizeof c->text[0], "%s %s", r->chemical_id, r->evidence);
    return LM_OK;
}

static void test_article(void)
{
    lm_store *s = build();
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_error err = {0};
    collected c = {0};
    LM_CHECK_INT(lm_store_article_mentions(s, 102, on_mention, &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 3);
    LM_CHECK_STR(c.text[0], "0-7 Ethanol");
    LM_CHECK_STR(c.text[2], "26-40 hepatotoxicity");
    memset(&c, 0, sizeof c);
    LM_CHECK_INT(lm_store_article_pairs(s, 102, on_article_pair, &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 1);   /* not the co-occurrence */
    LM_CHECK_STR(c.text[0], APAP " Ethanol and acetaminophen hepatotoxicity");
    memset(&c, 0, sizeof c);
    LM_CHECK_INT(lm_store_article_mentions(s, 999, on_mention, &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 0);
    lm_store_close(s);
}

static lm_status on_facet(void *ctx, const lm_facet_row *r)
{
    collected *c = ctx;
    if (r->concept_id)
        snprintf(c->text[c->n++], sizeof c->text[0], "%lld %s", (long long)r->pmid,
                 r->concept_id);
    else
        c->years[0] += r->year;
    return LM_OK;
}

static void test_facets_and_snapshot(void)
{
    lm_store *s = build();
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_error err = {0};
    collected c = {0};
    int64_t pmids[] = {102, 999, 103};
    LM_CHECK_INT(lm_store_facets(s, pmids, 3, on_facet, &c, &err), LM_OK);
    LM_CHECK_INT(c.years[0], 2018 + 2020);   /* 999 is not stored */
    LM_CHECK_INT(c.n, 5);                    /* 3 concepts of 102, 2 of 103 */
    memset(&c, 0, sizeof c);
    LM_CHECK_INT(lm_store_facets(s, pmids, 0, on_facet, &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 0);

    /* A reader inside lm_store_read_begin keeps its snapshot while another
     * connection commits, and sees the commit after lm_store_read_end. */
    char path[512];
    snprintf(path, sizeof path, "%s/serve.db", lm_test_tmpdir());
    lm_store *r = NULL;
    lm_store_options ro = {.readonly = 1};
    LM_CHECK_INT(lm_store_open(&r, path, &ro, &err), LM_OK);
    if (!r) {
        lm_store_close(s);
        return;
    }
    lm_pairs_query q;
    memset(&q, 0, sizeof q);
    int64_t before = 0, during = 0, after = 0;
    LM_CHECK_INT(lm_store_read_begin(r, &err), LM_OK);
    LM_CHECK_INT(lm_store_pairs_query_count(r, &q, &before, &err), LM_OK);
    int deleted = 0;
    LM_CHECK_INT(lm_store_delete_article(s, 103, &deleted, &err), LM_OK);
    LM_CHECK_INT(deleted, 1);
    LM_CHECK_INT(lm_store_pairs_query_count(r, &q, &during, &err), LM_OK);
    lm_store_read_end(r);
    LM_CHECK_INT(lm_store_pairs_query_count(r, &q, &after, &err), LM_OK);
    LM_CHECK_INT(before, 3);
    LM_CHECK_INT(during, 3);
    LM_CHECK_INT(after, 2);
    lm_store_read_end(r);   /* without a transaction: a no-op */
    lm_store_close(r);
    lm_store_close(s);
}

int main(void)
{
    LM_RUN(test_article);
    LM_RUN(test_concept);
    LM_RUN(test_pairs_query);
    LM_RUN(test_pairs_plan);
    LM_RUN(test_pairs_score_migration);
    LM_RUN(test_facets_and_snapshot);
    return LM_DONE();
}
