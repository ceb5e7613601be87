/*
 * Tests for store/lm_store_merge: every table of the schema has a merge
 * policy (a new table without one fails here, and makes the merge refuse
 * to run), the policy list names no table the schema lacks, and the
 * version rule per PMID: a new PMID is inserted, a higher version replaces
 * the stored one with its derived rows, a lower one is ignored, an
 * identical one is left alone, a shard's DeleteCitation removes the stored
 * article, and a shard that deleted then re-added a PMID wins whatever
 * the target's version.  Vectors stored once: only a shard's full rows
 * travel (its compacted vectors are in its own vector file; the target
 * embeds those articles again), and a model whose bytes moved into a
 * vector file is recognised by its checksum.  The end-to-end equality with a sequential ingest
 * is tests/test-merge.sh's.
 */
#include "../store/lm_store_merge.h"
#include "../store/lm_store_internal.h"
#include "../store/search/lm_vec_cache.h"
#include "lm_test_store.h"

#include <sqlite3.h>
#include <string.h>

static lm_status collect(void *ctx, const char *table)
{
    char *list = ctx;
    size_t n = strlen(list);
    snprintf(list + n, 512 - n, "%s ", table);
    return LM_OK;
}

static void test_every_table_has_a_policy(void)
{
    lm_store *s = lm_test_open_store("policy.db");
    LM_CHECK(s != NULL);
    if (!s)
        return;
    char unhandled[512] = "";
    lm_error err = {0};
    LM_CHECK(lm_store_merge_unhandled(s, collect, unhandled, &err) == LM_OK);
    if (unhandled[0])
        fprintf(stderr, "  tables without a merge policy (store/lm_store_merge.c): %s\n",
                unhandled);
    LM_CHECK_STR(unhandled, "");

    /* A table added later is caught. */
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s), "CREATE TABLE new_things (x)", NULL, NULL,
                          NULL) == SQLITE_OK);
    LM_CHECK(lm_store_merge_unhandled(s, collect, unhandled, &err) == LM_OK);
    LM_CHECK_STR(unhandled, "new_things ");

    /* No stale entries: each listed table exists. */
    size_t n;
    const lm_merge_table *t = lm_store_merge_tables(&n);
    LM_CHECK(n > 10);
    for (size_t i = 0; i < n; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE name = '%s'",
                 t[i].table);
        sqlite3_stmt *q;
        LM_CHECK(sqlite3_prepare_v2(lm_store_sqlite(s), sql, -1, &q, NULL) == SQLITE_OK);
        LM_CHECK(sqlite3_step(q) == SQLITE_ROW);
        if (sqlite3_column_int(q, 0) != 1)
            fprintf(stderr, "  merge policy for a table the schema lacks: %s\n", t[i].table);
        LM_CHECK_INT(sqlite3_column_int(q, 0), 1);
        sqlite3_finalize(q);
    }
    lm_store_close(s);
}

static void put(lm_store *s, int64_t pmid, int version, const char *abstract)
{
    lm_article a;
    lm_article_init(&a);
    a.pmid = pmid;
    a.version = version;
    a.title = strdup("Cisplatin nephrotoxicity");
    a.abstract = strdup(abstract);
    lm_put_result r;
    lm_error err = {0};
    LM_CHECK(lm_store_put_article(s, &a, "file.xml", &r, &err) == LM_OK);
    lm_article_free(&a);
    /* A derived row, to see it travel with its article. */
    lm_doc doc;
    lm_doc_init(&doc);
    LM_CHECK(lm_doc_add_sentence(&doc, 0, (int32_t)strlen(abstract), &err) == LM_OK);
    LM_CHECK(lm_store_begin(s, &err) == LM_OK);
    LM_CHECK(lm_store_put_doc(s, pmid, &doc, LM_DOC_SENTENCES, &err) == LM_OK);
    LM_CHECK(lm_store_commit(s, &err) == LM_OK);
    lm_doc_free(&doc);
}

static const char *abstract_of(lm_store *s, int64_t pmid, char *buf, size_t n)
{
    lm_article a;
    lm_article_init(&a);
    lm_error err = {0};
    buf[0] = '\0';
    if (lm_store_get_article(s, pmid, &a, NULL, NULL, &err) == LM_OK)
        snprintf(buf, n, "v%d %s", a.version, a.abstract ? a.abstract : "");
    else
        snprintf(buf, n, "absent");
    lm_article_free(&a);
    return buf;
}

static void test_version_rule(void)
{
    lm_store *target = lm_test_open_store("target.db");
    lm_store *shard = lm_test_open_store("shard.db");
    LM_CHECK(target && shard);
    if (!target || !shard)
        return;
    lm_error err = {0};
    put(target, 1, 2, "target v2");
    put(target, 2, 1, "target v1");
    put(target, 3, 1, "same");
    put(target, 4, 1, "to be deleted");
    put(target, 5, 3, "target v3");
    put(shard, 1, 1, "shard v1");        /* older: ignored */
    put(shard, 2, 2, "shard v2");        /* newer: replaces */
    put(shard, 3, 1, "same");            /* identical: unchanged */
    put(shard, 4, 1, "gone");
    LM_CHECK(lm_store_delete_article_from(shard, 4, "upd.xml", NULL, &err) == LM_OK);
    LM_CHECK(lm_store_delete_article_from(shard, 5, "upd.xml", NULL, &err) == LM_OK);
    put(shard, 5, 1, "re-added v1");     /* after its deletion: wins over v3 */
    put(shard, 6, 1, "new");
    lm_store_close(shard);

    char path[512];
    snprintf(path, sizeof path, "%s/shard.db", lm_test_tmpdir());
    lm_store_options ro = {.readonly = 1};
    LM_CHECK(lm_store_open(&shard, path, &ro, &err) == LM_OK);
    LM_CHECK(lm_store_merge_check(target, shard, "shard.db", &err) == LM_OK);
    lm_merge_counts c;
    memset(&c, 0, sizeof c);
    LM_CHECK(lm_store_begin(target, &err) == LM_OK);
    LM_CHECK(lm_store_merge_shard(target, shard, "shard.db", &c, &err) == LM_OK);
    LM_CHECK(lm_store_commit(target, &err) == LM_OK);
    LM_CHECK_INT(c.ingest.articles, 5);
    LM_CHECK_INT(c.ingest.inserted, 2);   /* 5 (after its deletion) and 6 */
    LM_CHECK_INT(c.ingest.replaced, 1);
    LM_CHECK_INT(c.ingest.unchanged, 1);
    LM_CHECK_INT(c.ingest.older, 1);
    LM_CHECK_INT(c.ingest.deleted, 2);    /* 4, and 5 before it came back */

    char buf[128];
    LM_CHECK_STR(abstract_of(target, 1, buf, sizeof buf), "v2 target v2");
    LM_CHECK_STR(abstract_of(target, 2, buf, sizeof buf), "v2 shard v2");
    LM_CHECK_STR(abstract_of(target, 3, buf, sizeof buf), "v1 same");
    LM_CHECK_STR(abstract_of(target, 4, buf, sizeof buf), "absent");
    LM_CHECK_STR(abstract_of(target, 5, buf, sizeof buf), "v1 re-added v1");
    LM_CHECK_STR(abstract_of(target, 6, buf, sizeof buf), "v1 new");
    /* Derived rows went with their article: one sentence each, spanning
     * the abstract the target now holds. */
    sqlite3_stmt *q;
    LM_CHECK(sqlite3_prepare_v2(lm_store_sqlite(target),
                                "SELECT count(*), sum(s.\"end\" = length(a.abstract))"
                                " FROM sentences s JOIN articles a USING (pmid)",
                                -1, &q, NULL) == SQLITE_OK);
    LM_CHECK(sqlite3_step(q) == SQLITE_ROW);
    LM_CHECK_INT(sqlite3_column_int(q, 0), 5);
    LM_CHECK_INT(sqlite3_column_int(q, 1), 5);
    sqlite3_finalize(q);
    lm_store_close(shard);
    lm_store_close(target);
}

static int64_t count_of(lm_store *s, const char *sql)
{
    return raw_int(lm_store_sqlite(s), sql);
}

/* The same embedding model (id 1, 70 KB of bytes) in both databases. */
static void add_model(lm_store *s)
{
    unsigned char *m = calloc(70000, 1);
    lm_error err = {0};
    int64_t id = 0;
    LM_CHECK(m && lm_vec_model_add(s, "lsa", 2, m, 70000, 1, 0.0, "{}", &id, &err) == LM_OK);
    LM_CHECK_INT(id, 1);
    LM_CHECK(sqlite3_exec(lm_store_sqlite(s),
                          "UPDATE embed_models SET created_at = '2026-01-01T00:00:00Z'", NULL,
                          NULL, NULL) == SQLITE_OK);
    LM_CHECK(lm_vec_model_activate(s, id, &err) == LM_OK);
    free(m);
}

static void test_vectors_stored_once(void)
{
    lm_store *target = lm_test_open_store("vtarget.db");
    lm_store *shard = lm_test_open_store("vshard.db");
    LM_CHECK(target && shard);
    if (!target || !shard)
        return;
    lm_error err = {0};
    add_model(target);
    add_model(shard);
    float v[2] = {1.0f, 0.5f};
    put(shard, 10, 1, "compacted");
    LM_CHECK(lm_vec_put(shard, 1, 10, LM_VEC_I8, v, 2, &err) == LM_OK);
    LM_CHECK(lm_vec_cache_refresh(shard, NULL, &err) == LM_OK);   /* 10 into the file */
    LM_CHECK_INT(count_of(shard, "SELECT count(*) FROM embed_models WHERE data IS NULL"), 1);
    put(shard, 11, 1, "full row");
    LM_CHECK(lm_vec_put(shard, 1, 11, LM_VEC_I8, v, 2, &err) == LM_OK);
    lm_store_close(shard);
    char path[512];
    snprintf(path, sizeof path, "%s/vshard.db", lm_test_tmpdir());
    lm_store_options ro = {.readonly = 1};
    LM_CHECK(lm_store_open(&shard, path, &ro, &err) == LM_OK);
    /* the shard's model is in its file, the target's in its row: equal */
    LM_CHECK(lm_store_merge_check(target, shard, "vshard.db", &err) == LM_OK);
    lm_merge_counts c;
    memset(&c, 0, sizeof c);
    LM_CHECK(lm_store_begin(target, &err) == LM_OK);
    LM_CHECK(lm_store_merge_shard(target, shard, "vshard.db", &c, &err) == LM_OK);
    LM_CHECK(lm_store_commit(target, &err) == LM_OK);
    LM_CHECK_INT(count_of(target, "SELECT count(*) FROM articles"), 2);
    LM_CHECK_INT(count_of(target, "SELECT count(*) FROM vectors"), 1);
    LM_CHECK_INT(count_of(target, "SELECT pmid FROM vectors WHERE length(vec) > 0"), 11);
    lm_store_close(shard);

    /* Another model under the same id (other bytes) is refused. */
    lm_store *other = lm_test_open_store("vother.db");
    LM_CHECK(other != NULL);
    if (other) {
        add_model(other);
        put(other, 12, 1, "other model");
        LM_CHECK(lm_vec_put(other, 1, 12, LM_VEC_I8, v, 2, &err) == LM_OK);
        LM_CHECK(sqlite3_exec(lm_store_sqlite(other),
                              "UPDATE embed_models SET data = zeroblob(70001)", NULL, NULL,
                              NULL) == SQLITE_OK);
        LM_CHECK_INT(lm_store_merge_check(target, other, "vother.db", &err), LM_ERR_USAGE);
        lm_store_close(other);
    }
    lm_store_close(target);
}

int main(void)
{
    LM_RUN(test_every_table_has_a_policy);
    LM_RUN(test_version_rule);
    LM_RUN(test_vectors_stored_once);
    return LM_DONE();
}
