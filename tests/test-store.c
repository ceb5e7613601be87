/*
 * Tests for store/lm_store: creating and migrating databases (from an empty
 * file, from a real version-1 database, and from schema 9 with FTS5, which
 * schema 13 drops after saying so, and from schema 13, whose mentions and
 * pairs schema 14 converts in one transaction), refusing files it must not
 * touch (garbage, newer schema, foreign SQLite databases), the put
 * semantics (inserted / replaced / unchanged / older, with cascades checked
 * through a second raw sqlite3 connection), round trips of every field,
 * the ingest log, the read-side iterators, the plans of exports and
 * concept watches (through the pmid and concept indexes, with a real
 * corpus's statistics), integrity checks, lock
 * contention, and a throughput figure (printed, not asserted).
 * LONG-FILE: one test file per module; every migration and put rule is a
 * short case sharing the raw-connection helpers at the top.
 */
#include "../store/lm_store.h"
#include "../store/lm_store_concept_watch.h"
#include "../store/lm_store_export.h"
#include "../store/lm_store_internal.h"
#include "lm_test_store.h"

#include <sqlite3.h>

#include <time.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

/* First column of the first row as text (copied to buf); "" when none. */
static const char *raw_text(sqlite3 *db, const char *sql, char *buf, size_t n)
{
    sqlite3_stmt *st = NULL;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

static lm_store *open_or_die(const char *path)
{
    lm_store *s = NULL;
    lm_error err = {0};
    if (lm_store_open(&s, path, NULL, &err) != LM_OK) {
        fprintf(stderr, "open %s: %s\n", path, err.msg);
        exit(2);
    }
    return s;
}

static void make_article(lm_article *a, int64_t pmid, int version, const char *abstract)
{
    lm_article_init(a);
    a->pmid = pmid;
    a->version = version;
    a->title = strdup("Aspirin and the heart");
    a->abstract = abstract ? strdup(abstract) : NULL;
    a->journal = strdup("Lancet");
    a->year = 2001;
    a->language = strdup("eng");
    lm_article_add_mesh(a, "D001241", "Aspirin", 1);
    lm_article_add_mesh(a, "D006801", "Humans", 0);
    lm_article_add_pubtype(a, "D016428", "Journal Article");
}

static int file_bytes(const char *path, char *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    *len = fread(buf, 1, cap, f);
    fclose(f);
    return 1;
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* ---- opening and migrations --------------------------------------------- */

static void test_open_create_reopen(void)
{
    char p[512];
    db_path(p, sizeof p, "create.db");
    LM_CHECK(lm_store_schema_version() >= 3);
    LM_CHECK(lm_store_migration_sql(1) != NULL);
    LM_CHECK(lm_store_migration_sql(lm_store_schema_version()) != NULL);
    LM_CHECK(lm_store_migration_sql(0) == NULL);
    LM_CHECK(lm_store_migration_sql(lm_store_schema_version() + 1) == NULL);

    lm_store *s = NULL;
    lm_error err = {0};
    LM_CHECK_INT(lm_store_open(&s, p, NULL, &err), LM_OK);
    lm_store_close(s);

    sqlite3 *db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "SELECT version FROM schema_version"), lm_store_schema_version());
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM schema_version"), 1);
    char buf[64];
    LM_CHECK_STR(raw_text(db, "PRAGMA journal_mode", buf, sizeof buf), "wal");
    /* SQLite's own schema cookie moves with every DDL statement: an
     * unchanged cookie proves that reopening migrated nothing. */
    long long cookie = raw_int(db, "PRAGMA schema_version");
    sqlite3_close(db);

    LM_CHECK_INT(lm_store_open(&s, p, NULL, &err), LM_OK);
    lm_store_close(s);
    db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "PRAGMA schema_version"), cookie);
    LM_CHECK_INT(raw_int(db, "SELECT version FROM schema_version"), lm_store_schema_version());
    sqlite3_close(db);

    /* A missing directory is an I/O error, not a crash. */
    LM_CHECK_INT(lm_store_open(&s, "/nonexistent-dir/x/y.db", NULL, &err), LM_ERR_IO);
    LM_CHECK(s == NULL);
    LM_CHECK(strstr(err.msg, "/nonexistent-dir/x/y.db") != NULL);
}

static void test_wal_while_open(void)
{
    char p[512];
    db_path(p, sizeof p, "wal.db");
    lm_store *s = open_or_die(p);
    lm_article a;
    make_article(&a, 1, 1, "x");
    lm_error err = {0};
    LM_CHECK_INT(lm_store_put_article(s, &a, "t", NULL, &err), LM_OK);
    lm_article_free(&a);
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", p);
    LM_CHECK(exists(wal));
    sqlite3 *db = raw_open(p);
    char buf[64];
    LM_CHECK_STR(raw_text(db, "PRAGMA journal_mode", buf, sizeof buf), "wal");
    /* A second connection can read while the store is open. */
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM articles"), 1);
    sqlite3_close(db);
    lm_store_close(s);
}

static void test_migrate_from_empty_file(void)
{
    char p[512];
    db_path(p, sizeof p, "empty.db");
    FILE *f = fopen(p, "wb");
    LM_CHECK(f != NULL);
    if (f)
        fclose(f);
    lm_store *s = NULL;
    lm_error err = {0};
    LM_CHECK_INT(lm_store_open(&s, p, NULL, &err), LM_OK);
    lm_store_close(s);
    sqlite3 *db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "SELECT version FROM schema_version"), lm_store_schema_version());
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                             "('articles','mesh_headings','publication_types','ingest_log',"
                             "'deleted_pmids','sentences','mentions','abbreviations')"),
                 8);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                             "name IN ('articles_year','ingest_log_source',"
                             "'pairs_chemical','mentions_concept')"),
                 4);
    sqlite3_close(db);
}

static void test_migrate_v1_to_v2(void)
{
    char p[512];
    db_path(p, sizeof p, "v1.db");
    lm_error err = {0};
    LM_CHECK_INT(lm_store_migrate_path(p, 1, &err), LM_OK);
    LM_CHECK_INT(lm_store_migrate_path(p, 99, &err), LM_ERR_USAGE);

    sqlite3 *db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "SELECT version FROM schema_version"), 1);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'sentences'"), 0);
    /* Data written by a version-1 litmine must survive the upgrade. */
    LM_CHECK_INT(raw_exec(db, "INSERT INTO articles (pmid, version, title, content_hash,"
                              " ingested_at) VALUES (42, 1, 'Old title', 7,"
                              " '2020-01-01T00:00:00Z');"
                              "INSERT INTO mesh_headings VALUES (42, 0, 'D1', 'One', 1);"),
                 SQLITE_OK);
    sqlite3_close(db);

    /* Opening read-only must not migrate. */
    lm_store *s = NULL;
    lm_store_options ro = {.readonly = 1};
    LM_CHECK_INT(lm_store_open(&s, p, &ro, &err), LM_ERR_USAGE);
    LM_CHECK(strstr(err.msg, "older") != NULL);

    LM_CHECK_INT(lm_store_open(&s, p, NULL, &err), LM_OK);
    lm_article a;
    lm_article_init(&a);
    char *ingested = NULL;
    LM_CHECK_INT(lm_store_get_article(s, 42, &a, NULL, &ingested, &err), LM_OK);
    LM_CHECK_STR(a.title, "Old title");
    LM_CHECK(a.abstract == NULL);
    LM_CHECK_INT(a.n_mesh, 1);
    LM_CHECK_STR(ingested, "2020-01-01T00:00:00Z");
    free(ingested);
    lm_article_free(&a);
    lm_store_close(s);

    db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "SELECT version FROM schema_version"), lm_store_schema_version());
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                             "('sentences','mentions','abbreviations')"),
                 3);
    sqlite3_close(db);

    /* migrate_path never goes backwards. */
    LM_CHECK_INT(lm_store_migrate_path(p, 1, &err), LM_OK);
    db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "SELECT version FROM schema_version"), lm_store_schema_version());
    sqlite3_close(db);
}

static void count_notice(void *ctx, const char *msg)
{
    int *n = ctx;
    if (strstr(msg, "search_fts") && strstr(msg, "no article"))
        ++*n;
    else if (strstr(msg, "compact layout") && strstr(msg, "nothing is removed"))
        ++*n;
    else
        *n += 100;
}

/* Schema 13 drops the FTS5 copy (the lexical index is the one full-text
 * index): it says so first, keeps every article and the queue, and its
 * new triggers work without FTS5. */
/* A new database at schema version, in p, opened raw. */
static sqlite3 *raw_at_version(char *p, size_t cap, const char *name, int version)
{
    db_path(p, cap, name);
    lm_error err = {0};
    LM_CHECK_INT(lm_store_migrate_path(p, version, &err), LM_OK);
    return raw_open(p);
}

static void test_migrate_drops_fts5(void)
{
    char p[512];
    lm_error err = {0};
    sqlite3 *db = raw_at_version(p, sizeof p, "v9.db", 9);
    LM_CHECK_INT(raw_exec(db, "INSERT INTO articles (pmid, version, title, abstract,"
                              " content_hash, ingested_at) VALUES (7, 1, 'Olaparib', 'PARP.',"
                              " 1, '2020-01-01T00:00:00Z'), (8, 1, 'Two', 'B.', 2,"
                              " '2020-01-01T00:00:00Z');"
                              "INSERT INTO search_fts (rowid, title, abstract)"
                              " SELECT pmid, title, abstract FROM articles;"
                              "INSERT INTO search_indexed SELECT pmid FROM articles;"
                              "DELETE FROM search_pending;"),
                 SQLITE_OK);
    sqlite3_close(db);
    int notices = 0;
    lm_store_options o = {.on_notice = count_notice, .notice_ctx = &notices};
    lm_store *s = NULL;
    LM_CHECK_INT(lm_store_open(&s, p, &o, &err), LM_OK);
    LM_CHECK_INT(notices, 2);   /* 13 drops FTS5, 14 converts the annotations */
    lm_store_close(s);
    db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'search_fts%'"),
                 0);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM articles"), 2);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM search_indexed"), 2);
    /* The new triggers: a changed text is queued again, a deletion leaves
     * no indexed row behind, a new article is queued. */
    LM_CHECK_INT(raw_exec(db, "UPDATE articles SET title = 'Niraparib' WHERE pmid = 7;"
                              "DELETE FROM articles WHERE pmid = 8;"
                              "INSERT INTO articles (pmid, version, title, content_hash,"
                              " ingested_at) VALUES (9, 1, 'New', 3, '2021-01-01T00:00:00Z');"),
                 SQLITE_OK);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM search_indexed"), 0);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) * 100 + sum(pmid) FROM search_pending"), 216);
    sqlite3_close(db);
    /* A fresh database has nothing to remove: no notice. */
    notices = 0;
    db_path(p, sizeof p, "fresh10.db");
    unlink(p);
    LM_CHECK_INT(lm_store_open(&s, p, &o, &err), LM_OK);
    LM_CHECK_INT(notices, 0);
    lm_store_close(s);
}

/* Every mention and pair as one text, read through the columns readers
 * use (the tables of schema 13, the views of schema 14). */
static void annotations_text(sqlite3 *db, char *out, size_t cap)
{
    static const char sql[] =
        "SELECT group_concat(r, '|') FROM ("
        " SELECT * FROM (SELECT 'm' || pmid || ',' || start || ',' || \"end\" || ',' || text"
        "  || ',' || type || ',' || coalesce(concept_id, 'NULL') || ',' ||"
        "  coalesce(sentence, 'NULL') || ',' || coalesce(score, 'NULL') AS r FROM mentions"
        "  ORDER BY pmid, id)"
        " UNION ALL SELECT * FROM (SELECT 'p' || pmid || ',' || chemical_id || ','"
        "  || coalesce(chemical_text, 'NULL') || ',' || disease_id || ',' ||"
        "  coalesce(disease_text, 'NULL') || ',' || relation || ',' || score || ',' ||"
        "  coalesce(sentence, 'NULL') || ',' || coalesce(evidence_start, 'NULL') || ','"
        "  || coalesce(evidence_end, 'NULL') FROM pairs ORDER BY pmid, chemical_id, disease_id))";
    raw_text(db, sql, out, cap);
}

/* Schema 14 stores mentions and pairs with integer names and without the
 * mention text the article already holds; readers see the same rows. */
static void test_migrate_compacts_annotations(void)
{
    char p[512];
    lm_error err = {0};
    sqlite3 *db = raw_at_version(p, sizeof p, "v13.db", 13);
    /* Offsets are code points: "β" is one, two bytes. */
    LM_CHECK_INT(raw_exec(db, "INSERT INTO articles (pmid, version, title, abstract,"
                              " content_hash, ingested_at) VALUES"
                              " (7, 1, 'β-blockers and asthma', 'Propranolol worsens asthma.', 1,"
                              " '2020-01-01T00:00:00Z'), (8, 1, '', 'Cisplatin nephrotoxicity.', 2,"
                              " '2020-01-01T00:00:00Z');"
                              "INSERT INTO mentions (pmid, start, \"end\", text, type, concept_id,"
                              " sentence, score) VALUES"
                              " (7, 0, 10, 'β-blockers', 'Chemical', 'MESH:D000319', 0, 0.9),"
                              " (7, 15, 21, 'asthma', 'Disease', 'MESH:D001249', 0, 0.75),"
                              " (7, 22, 33, 'Propranolol', 'Chemical', 'MESH:D011433', 1, 0.5),"
                              " (7, 22, 33, 'propranolol', 'Chemical', NULL, NULL, NULL),"
                              " (8, 1, 10, 'Cisplatin', 'Drug', '-', 0, 0.25);"
                              "INSERT INTO pairs VALUES"
                              " (7, 'MESH:D011433', 'Propranolol', 'MESH:D001249', 'asthma',"
                              "  'induces', 0.8, 1, 22, 49),"
                              " (7, 'MESH:D000319', NULL, 'MESH:D001249', NULL, 'cooccurs', 0.1,"
                              "  NULL, NULL, NULL),"
                              " (8, 'MESH:D002945', 'Cisplatin', 'MESH:D007674', 'nephrotoxicity',"
                              "  'associated', 0.6, 0, 0, 25);"),
                 SQLITE_OK);
    char before[4096], after[4096];
    annotations_text(db, before, sizeof before);
    LM_CHECK(strstr(before, "β-blockers") != NULL && strstr(before, "p8,MESH:D002945") != NULL);

    /* A conversion that fails midway (a table in the way of the new
     * layout) changes nothing; once the obstacle goes, it completes. */
    LM_CHECK_INT(raw_exec(db, "CREATE TABLE pairs_data (x)"), SQLITE_OK);
    lm_store *s = NULL;
    LM_CHECK(lm_store_open(&s, p, NULL, &err) != LM_OK);
    LM_CHECK(strstr(err.msg, "schema version 14") != NULL);
    LM_CHECK_INT(raw_int(db, "SELECT version FROM schema_version"), 13);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN"
                             " ('names', 'mentions_data')"), 0);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
                             " name IN ('mentions', 'pairs')"), 2);
    annotations_text(db, after, sizeof after);
    LM_CHECK_STR(after, before);
    LM_CHECK_INT(raw_exec(db, "DROP TABLE pairs_data"), SQLITE_OK);

    int notices = 0;
    lm_store_options o = {.on_notice = count_notice, .notice_ctx = &notices};
    LM_CHECK_INT(lm_store_open(&s, p, &o, &err), LM_OK);
    LM_CHECK_INT(notices, 1);
    LM_CHECK_INT(raw_int(db, "SELECT version FROM schema_version"), lm_store_schema_version());
    annotations_text(db, after, sizeof after);
    LM_CHECK_STR(after, before);
    /* Text equal to the article's at the offsets is not stored; the
     * lower-case variant and the text of no article position are. */
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM mentions_data WHERE text IS NULL"), 4);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM mentions_data WHERE text = 'propranolol'"), 1);
    LM_CHECK_INT(raw_int(db, "SELECT typeof(concept) = 'integer' AND typeof(type) = 'integer'"
                             " FROM mentions_data WHERE pmid = 7 AND id = 1"), 1);
    /* A mention's id is its position in its article, in the old order. */
    LM_CHECK_INT(raw_int(db, "SELECT group_concat(id) = '1,2,3,4,1' FROM"
                             " (SELECT id FROM mentions_data ORDER BY pmid, id)"), 1);
    LM_CHECK_INT(raw_int(db, "SELECT text IS NOT NULL FROM mentions_data WHERE pmid = 7"
                             " AND id = 4"), 1);
    LM_CHECK_INT(raw_int(db, "SELECT id FROM names WHERE name = 'Chemical'"), 1);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'view'"
                             " AND name IN ('mentions', 'pairs')"), 2);
    /* Rows written afterwards, through the views: a replaced pair keeps the
     * names' ids (an outer OR REPLACE never renumbers one), a new concept
     * gets one. */
    long long chem = raw_int(db, "SELECT id FROM names WHERE name = 'MESH:D011433'");
    LM_CHECK_INT(raw_exec(db, "INSERT OR REPLACE INTO pairs (pmid, chemical_id, disease_id,"
                              " relation, score) VALUES (7, 'MESH:D011433', 'MESH:D001249',"
                              " 'treats', 0.3);"
                              "INSERT INTO mentions (pmid, start, \"end\", text, type, concept_id)"
                              " VALUES (8, 11, 25, 'nephrotoxicity', 'Disease', 'MESH:D007674'),"
                              " (8, 0, 3, 'new', 'Gene', 'NCBIGene:1');"),
                 SQLITE_OK);
    LM_CHECK_INT(raw_int(db, "SELECT id FROM names WHERE name = 'MESH:D011433'"), chem);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM pairs WHERE pmid = 7"), 2);
    LM_CHECK_INT(raw_int(db, "SELECT score * 10 FROM pairs WHERE relation = 'treats'"), 3);
    char buf[64];
    LM_CHECK_STR(raw_text(db, "SELECT text FROM mentions WHERE concept_id = 'MESH:D007674'", buf,
                          sizeof buf), "nephrotoxicity");
    LM_CHECK_INT(raw_int(db, "SELECT text IS NULL FROM mentions_data WHERE start = 11"), 1);
    LM_CHECK_STR(raw_text(db, "SELECT text FROM mentions WHERE type = 'Gene'", buf, sizeof buf),
                 "new");
    /* Replacing an article removes its stored rows (the cascade). */
    LM_CHECK_INT(raw_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM articles WHERE pmid = 8"),
                 SQLITE_OK);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM mentions_data WHERE pmid = 8")
                 + raw_int(db, "SELECT count(*) FROM pairs_data WHERE pmid = 8"), 0);
    LM_CHECK_INT(lm_store_check(s, &err), LM_OK);
    lm_store_close(s);
    sqlite3_close(db);
}

/* A conversion killed at any moment (kill -9 of the process converting)
 * leaves either schema 13 untouched or schema 14 complete, with the same
 * rows either way; a later open finishes it. */
static void test_migrate_14_killed(void)
{
    char p[512];
    sqlite3 *db = raw_at_version(p, sizeof p, "kill13.db", 13);
    /* Enough rows that converting takes a while (tens of milliseconds). */
    LM_CHECK_INT(raw_exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                              " WHERE i < 3000) INSERT INTO articles (pmid, version, title,"
                              " abstract, content_hash, ingested_at) SELECT i, 1,"
                              " 'Aspirin in stroke ' || i, 'Aspirin reduced stroke.', i,"
                              " '2020-01-01T00:00:00Z' FROM n;"
                              "INSERT INTO mentions (pmid, start, \"end\", text, type, concept_id,"
                              " score) SELECT pmid, 0, 7, 'Aspirin', 'Chemical', 'MESH:D001241', 0.5"
                              " FROM articles;"
                              "INSERT INTO mentions (pmid, start, \"end\", text, type, concept_id,"
                              " score) SELECT pmid, 11, 17, 'stroke', 'Disease', 'C' || (pmid % 97),"
                              " 0.5 FROM articles;"
                              "INSERT INTO pairs (pmid, chemical_id, disease_id, relation, score)"
                              " SELECT pmid, 'MESH:D001241', 'C' || (pmid % 97), 'treats', 0.5"
                              " FROM articles;"),
                 SQLITE_OK);
    long long want = raw_int(db, "SELECT count(*) * 7 + sum(pmid) FROM mentions")
                     + raw_int(db, "SELECT count(*) FROM pairs");
    sqlite3_close(db);
    int converted = 0, interrupted = 0;
    for (int round = 0; round < 40 && !converted; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            lm_store *s = NULL;
            lm_error e = {0};
            _exit(lm_store_open(&s, p, NULL, &e) == LM_OK ? 0 : 1);
        }
        usleep((useconds_t)(round * 2000));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        db = raw_open(p);
        long long v = raw_int(db, "SELECT version FROM schema_version");
        LM_CHECK(v >= 13 && v <= lm_store_schema_version());
        LM_CHECK_INT(raw_int(db, "SELECT count(*) * 7 + sum(pmid) FROM mentions")
                     + raw_int(db, "SELECT count(*) FROM pairs"), want);
        char ok[16];
        LM_CHECK_STR(raw_text(db, "PRAGMA integrity_check", ok, sizeof ok), "ok");
        converted = v >= 14;
        interrupted += v == 13 && WIFSIGNALED(status);
        sqlite3_close(db);
    }
    LM_CHECK(interrupted > 0);   /* some kill came before the conversion committed */
    lm_store *s = open_or_die(p);
    db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "SELECT version FROM schema_version"), lm_store_schema_version());
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM mentions_data WHERE text IS NULL"), 6000);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM pairs WHERE chemical_id = 'MESH:D001241'"),
                 3000);
    sqlite3_close(db);
    lm_store_close(s);
}

static lm_status count_mention(void *ctx, const lm_mention_row *r)
{
    (void)r;
    ++*(int *)ctx;
    return LM_OK;
}

static lm_status count_hit(void *ctx, const lm_concept_hit *h)
{
    (void)h;
    ++*(int *)ctx;
    return LM_OK;
}

static lm_status count_pair(void *ctx, const lm_pair_row *r)
{
    (void)r;
    ++*(int *)ctx;
    return LM_OK;
}

/* The query plan of the connection's prepared statement whose SQL holds
 * marker, one line per step. */
static void plan_of(sqlite3 *db, const char *marker, char *out, size_t cap)
{
    out[0] = '\0';
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st)) {
        const char *sql = sqlite3_sql(st);
        if (!sql || !strstr(sql, marker))
            continue;
        char *q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
        sqlite3_stmt *e = NULL;
        if (q && sqlite3_prepare_v2(db, q, -1, &e, NULL) == SQLITE_OK)
            while (sqlite3_step(e) == SQLITE_ROW) {
                size_t n = strlen(out);
                snprintf(out + n, cap - n, "%s\n", (const char *)sqlite3_column_text(e, 3));
            }
        sqlite3_finalize(e);
        sqlite3_free(q);
        return;
    }
}

/* `export mentions|pairs --pmid` reads the article's rows through the
 * pmid index, not by scanning every row ("?6 IS NULL OR" cannot use an
 * index). */
static void test_export_by_pmid_uses_index(void)
{
    char p[512];
    db_path(p, sizeof p, "bypmid.db");
    unlink(p);
    lm_store *s = open_or_die(p);
    lm_error err = {0};
    lm_article a;
    make_article(&a, 42, 1, "Cisplatin nephrotoxicity.");
    LM_CHECK_INT(lm_store_put_article(s, &a, "f", NULL, &err), LM_OK);
    lm_article_free(&a);
    sqlite3 *db = lm_store_sqlite(s);
    LM_CHECK_INT(raw_exec(db, "INSERT INTO mentions (pmid, start, \"end\", text, type,"
                              " concept_id) VALUES (42, 22, 31, 'Cisplatin', 'Chemical', 'C1');"
                              "INSERT INTO pairs (pmid, chemical_id, disease_id, relation, score)"
                              " VALUES (42, 'C1', 'D1', 'induces', 0.5);"),
                 SQLITE_OK);
    lm_export_filter f = {0};
    f.pmid = 42;
    int n = 0;
    LM_CHECK_INT(lm_store_export_mentions(s, &f, count_mention, &n, &err), LM_OK);
    LM_CHECK_INT(lm_store_export_pairs(s, &f, count_pair, &n, &err), LM_OK);
    LM_CHECK_INT(n, 2);
    char plan[4096];
    plan_of(db, "FROM mentions m JOIN articles a ON a.pmid = m.pmid WHERE m.pmid IN", plan,
            sizeof plan);
    LM_CHECK(strstr(plan, "SEARCH m USING PRIMARY KEY (pmid=?)") != NULL);
    LM_CHECK(strstr(plan, "SCAN m") == NULL);
    plan_of(db, "FROM pairs p JOIN articles a ON a.pmid = p.pmid WHERE p.pmid IN", plan,
            sizeof plan);
    LM_CHECK(strstr(plan, "SEARCH p USING PRIMARY KEY (pmid=?)") != NULL);
    LM_CHECK(strstr(plan, "SCAN p") == NULL);
    /* A concept's pairs: both concept indexes, no scan. */
    f.pmid = 0;
    f.concept = "C1";
    n = 0;
    LM_CHECK_INT(lm_store_export_pairs(s, &f, count_pair, &n, &err), LM_OK);
    LM_CHECK_INT(n, 1);
    lm_store_close(s);
}

typedef struct pair_list {
    int n;
    char rows[16][64];
} pair_list;

static lm_status list_pair(void *ctx, const lm_pair_row *r)
{
    pair_list *l = ctx;
    if (l->n < 16)
        snprintf(l->rows[l->n], sizeof l->rows[0], "%lld %s %s %.2f", (long long)r->pmid,
                 r->chemical_id, r->disease_id, r->score);
    l->n++;
    return LM_OK;
}

/* 1 when some line of plan starts with "SCAN <alias>" (a scan of a
 * table's rows, not of a subquery's). */
static int scans(const char *plan, const char *alias)
{
    char want[32];
    snprintf(want, sizeof want, "SCAN %s", alias);
    for (const char *line = plan; *line;) {
        const char *p = line;
        while (*p == ' ' || *p == '|' || *p == '-' || *p == '`')
            p++;
        if (strncmp(p, want, strlen(want)) == 0 &&
            (p[strlen(want)] == ' ' || p[strlen(want)] == '\n'))
            return 1;
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    return 0;
}

/* A concept's mentions and pairs, in an export and in a concept watch's
 * report, read through the concept indexes even once ANALYZE has written
 * statistics of a real corpus, with which "chemical = X OR disease = X"
 * was planned as a scan of every pair (serve's concept page, 20,000
 * abstracts).  The pairs come as two halves, as chemical and as disease:
 * the answer is the OR's, in the same order, a pair of the concept with
 * itself once. */
static void test_concept_exports_use_indexes(void)
{
    char p[512];
    db_path(p, sizeof p, "byconcept.db");
    unlink(p);
    lm_store *s = open_or_die(p);
    lm_error err = {0};
    for (int64_t pmid = 1; pmid <= 4; pmid++) {
        lm_article a;
        make_article(&a, pmid, 1, "Cisplatin nephrotoxicity.");
        LM_CHECK_INT(lm_store_put_article(s, &a, "f", NULL, &err), LM_OK);
        lm_article_free(&a);
    }
    sqlite3 *db = lm_store_sqlite(s);
    LM_CHECK_INT(raw_exec(db, "INSERT INTO mentions (pmid, start, \"end\", text, type,"
                              " concept_id) VALUES (1, 22, 31, 'Cisplatin', 'Chemical', 'X'),"
                              " (2, 22, 31, 'Cisplatin', 'Chemical', 'Y'),"
                              " (3, 22, 31, 'Cisplatin', 'Chemical', 'X');"
                              "INSERT INTO pairs (pmid, chemical_id, disease_id, relation, score)"
                              " VALUES (1, 'X', 'D1', 'induces', 0.5), (1, 'C2', 'X', 'induces', 0.9),"
                              " (2, 'C3', 'D3', 'induces', 0.7), (3, 'X', 'X', 'induces', 0.6),"
                              " (4, 'C4', 'X', 'induces', 0.4), (4, 'X', 'D5', 'cooccurs', 0.3);"),
                 SQLITE_OK);
    lm_store_close(s);
    /* The statistics of 20,000 abstracts (as ANALYZE wrote them there). */
    db = raw_open(p);
    LM_CHECK_INT(raw_exec(db, "ANALYZE; DELETE FROM sqlite_stat1"
                              " WHERE tbl IN ('pairs_data', 'mentions_data', 'names', 'articles');"
                              "INSERT INTO sqlite_stat1 VALUES"
                              " ('pairs_data', 'pairs_score', '28255 4 4'),"
                              " ('pairs_data', 'pairs_disease', '85917 34'),"
                              " ('pairs_data', 'pairs_chemical', '85917 36'),"
                              " ('pairs_data', 'pairs_data', '85917 10 4 1'),"
                              " ('mentions_data', 'mentions_concept', '412000 25'),"
                              " ('mentions_data', 'mentions_data', '412000 21 1'),"
                              " ('names', 'sqlite_autoindex_names_1', '24000 1'),"
                              " ('articles', NULL, '20000');"),
                 SQLITE_OK);
    sqlite3_close(db);
    s = open_or_die(p);   /* loads those statistics */
    db = lm_store_sqlite(s);

    lm_export_filter f = {0};
    f.concept = "X";
    int n = 0;
    LM_CHECK_INT(lm_store_export_mentions(s, &f, count_mention, &n, &err), LM_OK);
    LM_CHECK_INT(n, 2);
    char plan[4096];
    plan_of(db, "WHERE m.concept_id = ?2 AND", plan, sizeof plan);
    LM_CHECK(strstr(plan, "INDEX mentions_concept (concept=?)") != NULL);
    LM_CHECK(!scans(plan, "m") && !scans(plan, "a"));

    pair_list l;
    memset(&l, 0, sizeof l);
    LM_CHECK_INT(lm_store_export_pairs(s, &f, list_pair, &l, &err), LM_OK);
    LM_CHECK_INT(l.n, 4);
    LM_CHECK_STR(l.rows[0], "1 C2 X 0.90");
    LM_CHECK_STR(l.rows[1], "1 X D1 0.50");
    LM_CHECK_STR(l.rows[2], "3 X X 0.60");
    LM_CHECK_STR(l.rows[3], "4 C4 X 0.40");
    f.all_candidates = 1;   /* the co-occurrence too */
    memset(&l, 0, sizeof l);
    LM_CHECK_INT(lm_store_export_pairs(s, &f, list_pair, &l, &err), LM_OK);
    LM_CHECK_INT(l.n, 5);
    LM_CHECK_STR(l.rows[3], "4 C4 X 0.40");
    LM_CHECK_STR(l.rows[4], "4 X D5 0.30");
    plan_of(db, "p.chemical <> p.disease AND (?7", plan, sizeof plan);
    LM_CHECK(strstr(plan, "INDEX pairs_chemical (chemical=?)") != NULL);
    LM_CHECK(strstr(plan, "INDEX pairs_disease (disease=?)") != NULL);
    LM_CHECK(!scans(plan, "p") && !scans(plan, "a"));

    /* A concept watch's report: the same two halves, and its articles
     * through the mentions' concept index. */
    LM_CHECK_INT(lm_store_concept_watch_add(s, "x", "X", NULL, NULL, &err), LM_OK);
    lm_concept_watch w = {.name = "x", .concept_id = "X"};
    memset(&l, 0, sizeof l);
    LM_CHECK_INT(lm_store_concept_watch_pairs(s, &w, "9999-12-31", list_pair, &l, &err), LM_OK);
    LM_CHECK_INT(l.n, 4);
    LM_CHECK_STR(l.rows[0], "1 C2 X 0.90");
    LM_CHECK_STR(l.rows[3], "4 C4 X 0.40");
    plan_of(db, "p.chemical <> p.disease AND (?2", plan, sizeof plan);
    LM_CHECK(strstr(plan, "INDEX pairs_chemical (chemical=?)") != NULL);
    LM_CHECK(strstr(plan, "INDEX pairs_disease (disease=?)") != NULL);
    LM_CHECK(!scans(plan, "p") && !scans(plan, "a"));
    LM_CHECK_INT(lm_store_concept_watch_articles(s, &w, "9999-12-31", count_hit, &n, &err),
                 LM_OK);
    plan_of(db, "FROM mentions m JOIN articles a ON a.pmid = m.pmid WHERE m.concept_id = ?1",
            plan, sizeof plan);
    LM_CHECK(strstr(plan, "INDEX mentions_concept (concept=?)") != NULL);
    LM_CHECK(!scans(plan, "m") && !scans(plan, "a"));
    lm_store_close(s);
}

static void test_newer_schema_refused(void)
{
    char p[512];
    db_path(p, sizeof p, "newer.db");
    lm_store_close(open_or_die(p));
    sqlite3 *db = raw_open(p);
    raw_exec(db, "UPDATE schema_version SET version = 99");
    sqlite3_close(db);

    lm_store *s = NULL;
    lm_error err = {0};
    LM_CHECK_INT(lm_store_open(&s, p, NULL, &err), LM_ERR_USAGE);
    LM_CHECK(s == NULL);
    char want[128];
    snprintf(want, sizeof want,
             "database schema version 99 is newer than this litmine (%d); upgrade litmine",
             lm_store_schema_version());
    LM_CHECK_STR(err.msg, want);
    lm_store_options ro = {.readonly = 1};
    LM_CHECK_INT(lm_store_open(&s, p, &ro, &err), LM_ERR_USAGE);
    LM_CHECK(strstr(err.msg, "newer") != NULL);
    db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "SELECT version FROM schema_version"), 99);
    sqlite3_close(db);
}

static void test_garbage_file_untouched(void)
{
    static const char *names[] = {"garbage-long.db", "garbage-short.db"};
    for (int k = 0; k < 2; k++) {
        char p[512];
        db_path(p, sizeof p, names[k]);
        char want[4096];
        size_t want_len = 0;
        if (k == 0)
            for (int i = 0; i < 40; i++)
                want_len += (size_t)snprintf(want + want_len, sizeof want - want_len,
                                             "line %02d: this is not a database at all\n", i);
        else
            want_len = (size_t)snprintf(want, sizeof want, "hello\n");
        FILE *f = fopen(p, "wb");
        LM_CHECK(f != NULL);
        if (!f)
            return;
        fwrite(want, 1, want_len, f);
        fclose(f);

        lm_store *s = NULL;
        lm_error err = {0};
        LM_CHECK_INT(lm_store_open(&s, p, NULL, &err), LM_ERR_DB);
        LM_CHECK(s == NULL);
        LM_CHECK(strstr(err.msg, "not a SQLite database") != NULL);
        lm_store_options ro = {.readonly = 1};
        LM_CHECK_INT(lm_store_open(&s, p, &ro, &err), LM_ERR_DB);
        LM_CHECK_INT(lm_store_migrate_path(p, 2, &err), LM_ERR_DB);

        char got[4096];
        size_t got_len = 0;
        LM_CHECK(file_bytes(p, got, sizeof got, &got_len));
        LM_CHECK_INT(got_len, want_len);
        LM_CHECK(memcmp(got, want, want_len) == 0);
        char side[600];
        snprintf(side, sizeof side, "%s-wal", p);
        LM_CHECK(!exists(side));
        snprintf(side, sizeof side, "%s-journal", p);
        LM_CHECK(!exists(side));
    }
}

static void test_foreign_sqlite_db(void)
{
    char p[512];
    db_path(p, sizeof p, "foreign.db");
    sqlite3 *db = raw_open(p);
    raw_exec(db, "CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)");
    sqlite3_close(db);
    lm_store *s = NULL;
    lm_error err = {0};
    LM_CHECK_INT(lm_store_open(&s, p, NULL, &err), LM_ERR_FORMAT);
    LM_CHECK(strstr(err.msg, "not a litmine database") != NULL);
    db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM sqlite_master"), 1);
    sqlite3_close(db);
}

static void test_readonly(void)
{
    char p[512];
    lm_store *s = NULL;
    lm_error err = {0};
    lm_store_options ro = {.readonly = 1};
    db_path(p, sizeof p, "ro-missing.db");
    LM_CHECK_INT(lm_store_open(&s, p, &ro, &err), LM_ERR_NOTFOUND);
    LM_CHECK(!exists(p));

    db_path(p, sizeof p, "ro-empty.db");
    FILE *f = fopen(p, "wb");
    if (f)
        fclose(f);
    LM_CHECK_INT(lm_store_open(&s, p, &ro, &err), LM_ERR_NOTFOUND);
    LM_CHECK(strstr(err.msg, "no litmine schema") != NULL);

    db_path(p, sizeof p, "ro.db");
    s = open_or_die(p);
    lm_article a;
    make_article(&a, 5, 1, "abc");
    LM_CHECK_INT(lm_store_put_article(s, &a, "f", NULL, &err), LM_OK);
    lm_store_close(s);

    LM_CHECK_INT(lm_store_open(&s, p, &ro, &err), LM_OK);
    lm_article b;
    lm_article_init(&b);
    LM_CHECK_INT(lm_store_get_article(s, 5, &b, NULL, NULL, &err), LM_OK);
    LM_CHECK_STR(b.abstract, "abc");
    LM_CHECK_INT(lm_store_put_article(s, &a, "f", NULL, &err), LM_ERR_USAGE);
    LM_CHECK_INT(lm_store_begin(s, &err), LM_ERR_USAGE);
    LM_CHECK_INT(lm_store_ingest_start(s, "x", "file", 1, NULL, &err), LM_ERR_USAGE);
    LM_CHECK_INT(lm_store_check(s, &err), LM_OK);
    lm_store_close(s);
    lm_article_free(&a);
    lm_article_free(&b);
}

/* ---- articles ------------------------------------------------------------ */

static void test_put_semantics(void)
{
    char p[512];
    db_path(p, sizeof p, "put.db");
    lm_store *s = open_or_die(p);
    sqlite3 *db = raw_open(p);
    lm_error err = {0};
    lm_put_result r = LM_PUT_OLDER;
    lm_article a;

    make_article(&a, 100, 1, "First abstract.");
    LM_CHECK_INT(lm_store_begin(s, &err), LM_OK);
    LM_CHECK_INT(lm_store_begin(s, &err), LM_ERR_USAGE);
    LM_CHECK_INT(lm_store_put_article(s, &a, "file1.xml", &r, &err), LM_OK);
    LM_CHECK_INT(r, LM_PUT_INSERTED);
    LM_CHECK_INT(lm_store_commit(s, &err), LM_OK);
    LM_CHECK_INT(lm_store_commit(s, &err), LM_ERR_USAGE);
    LM_CHECK_INT(lm_store_rollback(s, &err), LM_OK);   /* no-op */
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM mesh_headings WHERE pmid = 100"), 2);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM publication_types WHERE pmid = 100"), 1);

    /* Same content again: nothing written, not even ingested_at. */
    raw_exec(db, "UPDATE articles SET ingested_at = 'sentinel' WHERE pmid = 100");
    long long changes_before = raw_int(db, "PRAGMA data_version");
    LM_CHECK_INT(lm_store_put_article(s, &a, "file1.xml", &r, &err), LM_OK);
    LM_CHECK_INT(r, LM_PUT_UNCHANGED);
    char buf[128];
    LM_CHECK_STR(raw_text(db, "SELECT ingested_at FROM articles WHERE pmid = 100", buf,
                          sizeof buf), "sentinel");
    /* data_version changes when another connection commits. */
    LM_CHECK_INT(raw_int(db, "PRAGMA data_version"), changes_before);

    /* A mention derived from the old text must go when the text changes. */
    LM_CHECK_INT(raw_exec(db, "PRAGMA foreign_keys = ON;"
                              "INSERT INTO mentions (pmid, start, \"end\", text, type)"
                              " VALUES (100, 0, 7, 'Aspirin', 'Chemical');"
                              "INSERT INTO sentences VALUES (100, 0, 0, 21);"
                              "INSERT INTO abbreviations VALUES (100, 'ASA', 'aspirin', 1, 4);"),
                 SQLITE_OK);
    free(a.abstract);
    a.abstract = strdup("Second abstract.");
    lm_article_add_mesh(&a, "D002318", "Cardiovascular Diseases", 0);
    LM_CHECK_INT(lm_store_put_article(s, &a, "file2.xml", &r, &err), LM_OK);
    LM_CHECK_INT(r, LM_PUT_REPLACED);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM mentions"), 0);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM sentences"), 0);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM abbreviations"), 0);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM mesh_headings WHERE pmid = 100"), 3);
    LM_CHECK_STR(raw_text(db, "SELECT source FROM articles WHERE pmid = 100", buf, sizeof buf),
                 "file2.xml");

    /* A MeSH-only change is a change too. */
    a.mesh[0].major_topic = 0;
    LM_CHECK_INT(lm_store_put_article(s, &a, "file3.xml", &r, &err), LM_OK);
    LM_CHECK_INT(r, LM_PUT_REPLACED);
    LM_CHECK_INT(raw_int(db, "SELECT major_topic FROM mesh_headings WHERE pmid = 100 AND"
                             " position = 0"), 0);

    /* A newer version replaces even with identical content. */
    a.version = 2;
    LM_CHECK_INT(lm_store_put_article(s, &a, "file4.xml", &r, &err), LM_OK);
    LM_CHECK_INT(r, LM_PUT_REPLACED);
    LM_CHECK_INT(raw_int(db, "SELECT version FROM articles WHERE pmid = 100"), 2);

    /* An older version is ignored. */
    a.version = 1;
    free(a.title);
    a.title = strdup("Stale title");
    LM_CHECK_INT(lm_store_put_article(s, &a, "old.xml", &r, &err), LM_OK);
    LM_CHECK_INT(r, LM_PUT_OLDER);
    LM_CHECK_STR(raw_text(db, "SELECT title FROM articles WHERE pmid = 100", buf, sizeof buf),
                 "Aspirin and the heart");
    LM_CHECK_STR(raw_text(db, "SELECT source FROM articles WHERE pmid = 100", buf, sizeof buf),
                 "file4.xml");

    /* A batch that is rolled back leaves nothing behind. */
    lm_article b;
    make_article(&b, 101, 1, "Rolled back.");
    LM_CHECK_INT(lm_store_begin(s, &err), LM_OK);
    LM_CHECK_INT(lm_store_put_article(s, &b, "x", &r, &err), LM_OK);
    LM_CHECK_INT(lm_store_rollback(s, &err), LM_OK);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM articles WHERE pmid = 101"), 0);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM mesh_headings WHERE pmid = 101"), 0);

    /* Closing with an open batch rolls it back too. */
    LM_CHECK_INT(lm_store_begin(s, &err), LM_OK);
    LM_CHECK_INT(lm_store_put_article(s, &b, "x", &r, &err), LM_OK);
    lm_store_close(s);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM articles WHERE pmid = 101"), 0);

    lm_article_free(&a);
    lm_article_free(&b);
    sqlite3_close(db);
}

/* A digest of every user-visible row, to compare whole databases. */
static long long content_digest(sqlite3 *db)
{
    static const char *q[] = {
        "SELECT * FROM articles ORDER BY pmid",
        "SELECT * FROM mesh_headings ORDER BY pmid, position",
        "SELECT * FROM publication_types ORDER BY pmid, position",
        "SELECT * FROM deleted_pmids ORDER BY pmid",
    };
    unsigned long long h = 1469598103934665603ULL;
    for (size_t k = 0; k < sizeof q / sizeof q[0]; k++) {
        sqlite3_stmt *st = NULL;
        sqlite3_prepare_v2(db, q[k], -1, &st, NULL);
        while (sqlite3_step(st) == SQLITE_ROW)
            for (int i = 0; i < sqlite3_column_count(st); i++) {
                const unsigned char *t = sqlite3_column_text(st, i);
                for (; t && *t; t++)
                    h = (h ^ *t) * 1099511628211ULL;
                h = (h ^ 0xff) * 1099511628211ULL;
            }
        sqlite3_finalize(st);
    }
    return (long long)h;
}

static void test_reingest_is_idempotent(void)
{
    char p[512];
    db_path(p, sizeof p, "idem.db");
    lm_store *s = open_or_die(p);
    lm_error err = {0};
    lm_put_result r;
    /* Stored before; the "update file" below deletes it. */
    lm_article gone;
    make_article(&gone, 9000, 1, "deleted by the update");
    LM_CHECK_INT(lm_store_put_article(s, &gone, "baseline.xml", &r, &err), LM_OK);
    lm_article_free(&gone);
    for (int round = 0; round < 2; round++) {
        LM_CHECK_INT(lm_store_begin(s, &err), LM_OK);
        for (int i = 1; i <= 50; i++) {
            lm_article a;
            make_article(&a, i, 1, i % 5 ? "An abstract." : NULL);
            a.year = i % 7 ? 1990 + i : 0;
            LM_CHECK_INT(lm_store_put_article(s, &a, "batch.xml", &r, &err), LM_OK);
            if (round == 1 && r != LM_PUT_UNCHANGED)
                LM_CHECK_INT(r, LM_PUT_UNCHANGED);
            lm_article_free(&a);
        }
        int deleted = -1;
        LM_CHECK_INT(lm_store_delete_article_from(s, 9000, "batch.xml", &deleted, &err), LM_OK);
        LM_CHECK_INT(deleted, round == 0);
        LM_CHECK_INT(lm_store_delete_article_from(s, 9999, "batch.xml", NULL, &err), LM_OK);
        LM_CHECK_INT(lm_store_commit(s, &err), LM_OK);
        static long long first;
        sqlite3 *db = raw_open(p);
        long long d = content_digest(db);
        sqlite3_close(db);
        if (round == 0)
            first = d;
        else
            LM_CHECK(d == first);
        if (round == 0)
            sleep(1);   /* so that any rewritten timestamp would differ */
    }
    lm_store_close(s);
}

static void test_put_failure(void)
{
    char p[512];
    db_path(p, sizeof p, "atomic.db");
    lm_store *s = open_or_die(p);
    sqlite3 *db = raw_open(p);
    raw_exec(db, "CREATE TRIGGER boom BEFORE INSERT ON publication_types"
                 " WHEN NEW.pmid = 77 BEGIN SELECT RAISE(ABORT, 'boom'); END");
    lm_error err = {0};
    lm_put_result r;
    lm_article a, b;
    make_article(&a, 77, 1, "fails");
    make_article(&b, 78, 1, "works");

    /* Inside a batch the error names the article; rolling the batch back
     * (as documented) leaves nothing of it. */
    LM_CHECK_INT(lm_store_begin(s, &err), LM_OK);
    LM_CHECK_INT(lm_store_put_article(s, &b, "f", &r, &err), LM_OK);
    LM_CHECK_INT(lm_store_put_article(s, &a, "f", &r, &err), LM_ERR_DB);
    LM_CHECK_STR(err.msg, "inserting publication type of article 77: boom");
    LM_CHECK_INT(lm_store_rollback(s, &err), LM_OK);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM articles"), 0);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM mesh_headings"), 0);

    /* Outside a batch the put is all-or-nothing by itself, and no
     * transaction is left open. */
    LM_CHECK_INT(lm_store_put_article(s, &a, "f", &r, &err), LM_ERR_DB);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM articles WHERE pmid = 77"), 0);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM mesh_headings WHERE pmid = 77"), 0);
    LM_CHECK_INT(lm_store_put_article(s, &b, "f", &r, &err), LM_OK);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM articles WHERE pmid = 78"), 1);
    LM_CHECK_INT(lm_store_begin(s, &err), LM_OK);
    LM_CHECK_INT(lm_store_commit(s, &err), LM_OK);

    lm_article_free(&a);
    lm_article_free(&b);
    sqlite3_close(db);
    lm_store_close(s);
}

static void test_delete(void)
{
    char p[512];
    db_path(p, sizeof p, "delete.db");
    lm_store *s = open_or_die(p);
    sqlite3 *db = raw_open(p);
    lm_error err = {0};
    lm_article a;
    make_article(&a, 200, 1, "to be deleted");
    LM_CHECK_INT(lm_store_put_article(s, &a, "f", NULL, &err), LM_OK);
    raw_exec(db, "PRAGMA foreign_keys = ON; INSERT INTO mentions (pmid, start, \"end\", text,"
                 " type) VALUES (200, 0, 3, 'abc', 'Disease')");

    int deleted = -1;
    LM_CHECK_INT(lm_store_delete_article_from(s, 200, "upd.xml", &deleted, &err), LM_OK);
    LM_CHECK_INT(deleted, 1);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM articles"), 0);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM mesh_headings"), 0);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM publication_types"), 0);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM mentions"), 0);
    char buf[64];
    LM_CHECK_STR(raw_text(db, "SELECT source FROM deleted_pmids WHERE pmid = 200", buf,
                          sizeof buf), "upd.xml");
    LM_CHECK_INT(raw_int(db, "SELECT length(deleted_at) FROM deleted_pmids WHERE pmid = 200"),
                 20);

    deleted = -1;
    LM_CHECK_INT(lm_store_delete_article(s, 200, &deleted, &err), LM_OK);
    LM_CHECK_INT(deleted, 0);
    /* The second, no-op deletion keeps the first record. */
    LM_CHECK_STR(raw_text(db, "SELECT source FROM deleted_pmids WHERE pmid = 200", buf,
                          sizeof buf), "upd.xml");
    LM_CHECK_INT(lm_store_delete_article(s, 201, NULL, &err), LM_OK);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM deleted_pmids"), 2);

    /* put_article does not consult deleted_pmids. */
    lm_put_result r;
    LM_CHECK_INT(lm_store_put_article(s, &a, "f", &r, &err), LM_OK);
    LM_CHECK_INT(r, LM_PUT_INSERTED);
    lm_article b;
    lm_article_init(&b);
    LM_CHECK_INT(lm_store_get_article(s, 201, &b, NULL, NULL, &err), LM_ERR_NOTFOUND);
    LM_CHECK(strstr(err.msg, "201") != NULL);
    lm_article_free(&a);
    sqlite3_close(db);
    lm_store_close(s);
}

static void test_get_round_trip(void)
{
    char p[512];
    db_path(p, sizeof p, "roundtrip.db");
    lm_store *s = open_or_die(p);
    lm_error err = {0};
    lm_article a;
    lm_article_init(&a);
    a.pmid = 9007199254740993LL;   /* beyond double precision */
    a.version = 3;
    a.is_book = 1;
    a.title = strdup("β-Amyloid in Müller glia: 日本語 and 🧬");
    a.abstract = strdup("BACKGROUND: ≥50% of «cases». METHODS: naïve café; \"quotes\" 'single'");
    a.journal = strdup("Ærztliche Zeitschrift");
    a.year = 1875;
    a.doi = strdup("10.1000/xyz-ü");
    a.language = strdup("ger");
    a.date_revised = strdup("2023-02-28");
    lm_article_add_mesh(&a, "D000001", "Calcimycin", 0);
    lm_article_add_mesh(&a, "D017628", "Microglia — Ω", 1);
    lm_article_add_mesh(&a, "D000002", "Temefos", 0);
    lm_article_add_pubtype(&a, NULL, "Historical Article");
    lm_article_add_pubtype(&a, "D016428", "Journal Article");
    lm_put_result r;
    LM_CHECK_INT(lm_store_put_article(s, &a, "eutils:amyloid", &r, &err), LM_OK);

    lm_article b;
    lm_article_init(&b);
    b.title = strdup("to be freed by get");
    char *source = NULL, *ingested = NULL;
    LM_CHECK_INT(lm_store_get_article(s, a.pmid, &b, &source, &ingested, &err), LM_OK);
    LM_CHECK(b.pmid == a.pmid);
    LM_CHECK_INT(b.version, 3);
    LM_CHECK_INT(b.is_book, 1);
    LM_CHECK_STR(b.title, a.title);
    LM_CHECK_STR(b.abstract, a.abstract);
    LM_CHECK_STR(b.journal, a.journal);
    LM_CHECK_INT(b.year, 1875);
    LM_CHECK_STR(b.doi, a.doi);
    LM_CHECK_STR(b.language, "ger");
    LM_CHECK_STR(b.date_revised, "2023-02-28");
    LM_CHECK_INT(b.n_mesh, 3);
    if (b.n_mesh == 3) {
        for (int i = 0; i < 3; i++) {
            LM_CHECK_STR(b.mesh[i].ui, a.mesh[i].ui);
            LM_CHECK_STR(b.mesh[i].name, a.mesh[i].name);
            LM_CHECK_INT(b.mesh[i].major_topic, a.mesh[i].major_topic);
        }
    }
    LM_CHECK_INT(b.n_pubtypes, 2);
    if (b.n_pubtypes == 2) {
        LM_CHECK(b.pubtypes[0].ui == NULL);
        LM_CHECK_STR(b.pubtypes[0].name, "Historical Article");
        LM_CHECK_STR(b.pubtypes[1].ui, "D016428");
    }
    LM_CHECK_STR(source, "eutils:amyloid");
    LM_CHECK(ingested && strlen(ingested) == 20 && ingested[4] == '-' && ingested[10] == 'T' &&
             ingested[19] == 'Z');
    free(source);
    free(ingested);

    /* What was read back stores as UNCHANGED: the hash sees equal content. */
    LM_CHECK_INT(lm_store_put_article(s, &b, "other", &r, &err), LM_OK);
    LM_CHECK_INT(r, LM_PUT_UNCHANGED);

    /* Absent fields: NULL in, NULL (or 0) out. */
    lm_article c;
    lm_article_init(&c);
    c.pmid = 1;
    LM_CHECK_INT(lm_store_put_article(s, &c, NULL, &r, &err), LM_OK);
    LM_CHECK_INT(lm_store_get_article(s, 1, &b, &source, NULL, &err), LM_OK);
    LM_CHECK(b.title == NULL && b.abstract == NULL && b.journal == NULL && b.doi == NULL &&
             b.language == NULL && b.date_revised == NULL && source == NULL);
    LM_CHECK_INT(b.year, 0);
    LM_CHECK_INT(b.version, 1);
    LM_CHECK_INT(b.n_mesh + b.n_pubtypes, 0);
    sqlite3 *db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM articles WHERE pmid = 1 AND title = ''"
                             " AND abstract = '' AND year IS NULL"), 1);
    sqlite3_close(db);
    /* '' and NULL title are the same stored content. */
    c.title = strdup("");
    LM_CHECK_INT(lm_store_put_article(s, &c, NULL, &r, &err), LM_OK);
    LM_CHECK_INT(r, LM_PUT_UNCHANGED);

    lm_article_free(&a);
    lm_article_free(&b);
    lm_article_free(&c);
    lm_store_close(s);
}

/* ---- ingest log ---------------------------------------------------------- */

struct ingest_seen {
    int n;
    long long ids[8];
    char status[8][16];
    char md5[8][40];
    char xxh128[8][40];
    long long inserted[8];
    char error[8][64];
};

static lm_status collect_ingest(void *ctx, const lm_ingest_row *r)
{
    struct ingest_seen *c = ctx;
    if (c->n < 8) {
        c->ids[c->n] = r->id;
        snprintf(c->status[c->n], sizeof c->status[0], "%s", r->status);
        snprintf(c->md5[c->n], sizeof c->md5[0], "%s", r->md5 ? r->md5 : "-");
        snprintf(c->xxh128[c->n], sizeof c->xxh128[0], "%s", r->xxh128 ? r->xxh128 : "-");
        snprintf(c->error[c->n], sizeof c->error[0], "%s", r->error_text ? r->error_text : "-");
        c->inserted[c->n] = r->counts.inserted;
    }
    c->n++;
    return LM_OK;
}

static void test_ingest_log(void)
{
    char p[512];
    db_path(p, sizeof p, "ingest.db");
    lm_store *s = open_or_die(p);
    lm_error err = {0};
    /* Upper case in, lower case stored. */
    const lm_file_digest digest = {"FEDCBA9876543210fedcba9876543210",
                                   "0123456789abcdef0123456789ABCDEF"};
    int64_t id1 = 0, id2 = 0, id3 = 0;
    int found = -1;
    lm_file_digest got;

    LM_CHECK_INT(lm_store_ingest_start(s, "pubmed25n0001.xml.gz", "file", 1000, &id1, &err),
                 LM_OK);
    LM_CHECK(id1 > 0);
    /* A running (e.g. crashed) ingest is not a completed one. */
    LM_CHECK_INT(lm_store_ingest_lookup(s, "pubmed25n0001.xml.gz", 1000, &found, &got, &err),
                 LM_OK);
    LM_CHECK_INT(found, 0);
    lm_ingest_counts c = {.articles = 30, .inserted = 25, .replaced = 2, .unchanged = 1,
                          .older = 1, .deleted = 4, .failed = 1};
    LM_CHECK_INT(lm_store_ingest_finish(s, id1, "done", &c, &digest, NULL, &err), LM_OK);
    LM_CHECK_INT(lm_store_ingest_lookup(s, "pubmed25n0001.xml.gz", 1000, &found, &got, &err),
                 LM_OK);
    LM_CHECK_INT(found, 1);
    LM_CHECK_STR(got.xxh128, "fedcba9876543210fedcba9876543210");
    LM_CHECK_STR(got.md5, "0123456789abcdef0123456789abcdef");
    LM_CHECK_INT(lm_store_ingest_lookup(s, "pubmed25n0001.xml.gz", 999, &found, &got, &err),
                 LM_OK);
    LM_CHECK_INT(found, 0);
    LM_CHECK_INT(lm_store_ingest_lookup(s, "other.xml", 1000, &found, NULL, &err), LM_OK);
    LM_CHECK_INT(found, 0);

    /* A plain file logs only XXH3-128, a row from before the switch only an
     * MD5: either is found.  A row with no checksum has nothing to match. */
    int64_t idp = 0, ido = 0, idn = 0;
    const lm_file_digest plain = {"00112233445566778899aabbccddeeff", ""};
    LM_CHECK_INT(lm_store_ingest_start(s, "plain.xml", "file", 77, &idp, &err), LM_OK);
    LM_CHECK_INT(lm_store_ingest_finish(s, idp, "done", NULL, &plain, NULL, &err), LM_OK);
    LM_CHECK_INT(lm_store_ingest_lookup(s, "plain.xml", 77, &found, &got, &err), LM_OK);
    LM_CHECK_INT(found, 1);
    LM_CHECK_STR(got.xxh128, plain.xxh128);
    LM_CHECK_STR(got.md5, "");
    const lm_file_digest old = {"", "ffeeddccbbaa99887766554433221100"};
    LM_CHECK_INT(lm_store_ingest_start(s, "old.xml", "file", 5, &ido, &err), LM_OK);
    LM_CHECK_INT(lm_store_ingest_finish(s, ido, "done", NULL, &old, NULL, &err), LM_OK);
    LM_CHECK_INT(lm_store_ingest_lookup(s, "old.xml", 5, &found, &got, &err), LM_OK);
    LM_CHECK_INT(found, 1);
    LM_CHECK_STR(got.xxh128, "");
    LM_CHECK_STR(got.md5, old.md5);
    LM_CHECK_INT(lm_store_ingest_start(s, "none.xml", "file", 6, &idn, &err), LM_OK);
    LM_CHECK_INT(lm_store_ingest_finish(s, idn, "done", NULL, NULL, NULL, &err), LM_OK);
    LM_CHECK_INT(lm_store_ingest_lookup(s, "none.xml", 6, &found, &got, &err), LM_OK);
    LM_CHECK_INT(found, 0);

    LM_CHECK_INT(lm_store_ingest_start(s, "-", "stdin", -1, &id2, &err), LM_OK);
    LM_CHECK_INT(lm_store_ingest_finish(s, id2, "failed", NULL, NULL, "XML parse error line 3",
                                        &err), LM_OK);
    LM_CHECK_INT(lm_store_ingest_start(s, "eutils:aspirin", "eutils", -1, &id3, &err), LM_OK);
    LM_CHECK(id1 < id2 && id2 < id3);

    /* Argument checking. */
    LM_CHECK_INT(lm_store_ingest_start(s, "x", "ftp", 1, NULL, &err), LM_ERR_USAGE);
    LM_CHECK_INT(lm_store_ingest_finish(s, id3, "running", NULL, NULL, NULL, &err),
                 LM_ERR_USAGE);
    const lm_file_digest bad = {"not-a-checksum", ""};
    LM_CHECK_INT(lm_store_ingest_finish(s, id3, "done", NULL, &bad, NULL, &err),
                 LM_ERR_USAGE);
    const lm_file_digest bad_md5 = {"", "0123456789abcdef0123456789abcdeg"};
    LM_CHECK_INT(lm_store_ingest_finish(s, id3, "done", NULL, &bad_md5, NULL, &err),
                 LM_ERR_USAGE);
    LM_CHECK_INT(lm_store_ingest_finish(s, 12345, "done", NULL, NULL, NULL, &err),
                 LM_ERR_NOTFOUND);

    /* Inside an open transaction the row shares the transaction's fate. */
    int64_t id4 = 0;
    LM_CHECK_INT(lm_store_begin(s, &err), LM_OK);
    LM_CHECK_INT(lm_store_ingest_start(s, "rolled", "sync", 5, &id4, &err), LM_OK);
    LM_CHECK_INT(lm_store_rollback(s, &err), LM_OK);

    struct ingest_seen seen = {0};
    LM_CHECK_INT(lm_store_list_ingests(s, 0, collect_ingest, &seen, &err), LM_OK);
    LM_CHECK_INT(seen.n, 6);
    LM_CHECK_INT(seen.ids[0], id3);
    LM_CHECK_STR(seen.status[0], "running");
    LM_CHECK_INT(seen.ids[1], id2);
    LM_CHECK_STR(seen.status[1], "failed");
    LM_CHECK_STR(seen.error[1], "XML parse error line 3");
    LM_CHECK_INT(seen.ids[2], idn);
    LM_CHECK_INT(seen.ids[3], ido);
    LM_CHECK_INT(seen.ids[4], idp);
    LM_CHECK_STR(seen.md5[4], "-");
    LM_CHECK_STR(seen.xxh128[4], plain.xxh128);
    LM_CHECK_INT(seen.ids[5], id1);
    LM_CHECK_STR(seen.status[5], "done");
    LM_CHECK_STR(seen.md5[5], "0123456789abcdef0123456789abcdef");
    LM_CHECK_STR(seen.xxh128[5], "fedcba9876543210fedcba9876543210");
    LM_CHECK_INT(seen.inserted[5], 25);

    struct ingest_seen two = {0};
    LM_CHECK_INT(lm_store_list_ingests(s, 2, collect_ingest, &two, &err), LM_OK);
    LM_CHECK_INT(two.n, 2);
    LM_CHECK_INT(two.ids[0], id3);
    lm_store_close(s);

    sqlite3 *db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "SELECT deleted + older + failed FROM ingest_log WHERE id = 1"), 6);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM ingest_log WHERE size_bytes IS NULL"), 2);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM ingest_log WHERE finished_at >= started_at"),
                 5);
    sqlite3_close(db);
}

/* ---- read side ----------------------------------------------------------- */

struct counts_seen {
    int n;
    char names[16][32];
    long long rows[16];
};

static lm_status collect_count(void *ctx, const lm_table_count *c)
{
    struct counts_seen *cs = ctx;
    if (cs->n < 16) {
        snprintf(cs->names[cs->n], sizeof cs->names[0], "%s", c->table);
        cs->rows[cs->n] = c->rows;
    }
    cs->n++;
    return LM_OK;
}

static void test_count_tables(void)
{
    char p[512];
    db_path(p, sizeof p, "count.db");
    lm_store *s = open_or_die(p);
    lm_error err = {0};
    for (int i = 1; i <= 3; i++) {
        lm_article a;
        make_article(&a, i, 1, "x");
        lm_store_put_article(s, &a, "f", NULL, &err);
        lm_article_free(&a);
    }
    lm_store_delete_article(s, 2, NULL, &err);
    lm_store_ingest_start(s, "f", "file", 10, NULL, &err);
    sqlite3 *db = raw_open(p);
    raw_exec(db, "INSERT INTO sentences VALUES (1, 0, 0, 5), (1, 1, 6, 9);");
    sqlite3_close(db);

    struct counts_seen cs = {0};
    LM_CHECK_INT(lm_store_count_tables(s, collect_count, &cs, &err), LM_OK);
    static const char *names[] = {"articles", "mesh_headings", "publication_types",
                                  "sentences", "mentions", "abbreviations", "ingest_log",
                                  "deleted_pmids"};
    static const long long rows[] = {2, 4, 2, 2, 0, 0, 1, 1};
    LM_CHECK(cs.n >= 9);   /* later migrations add tables */
    for (int i = 0; i < 8 && i < cs.n; i++) {
        LM_CHECK_STR(cs.names[i], names[i]);
        LM_CHECK_INT(cs.rows[i], rows[i]);
    }
    lm_store_close(s);
}

struct each_seen {
    int n;
    long long pmids[16];
    int stop_after;
    int titles_ok;
};

static lm_status collect_article(void *ctx, const lm_article *a)
{
    struct each_seen *e = ctx;
    if (e->n < 16)
        e->pmids[e->n] = a->pmid;
    if (a->title && strcmp(a->title, "Aspirin and the heart") == 0 && a->n_mesh == 0 &&
        a->year == 2001)
        e->titles_ok++;
    e->n++;
    return e->stop_after && e->n >= e->stop_after ? LM_ERR_ABORTED : LM_OK;
}

static void test_each_article(void)
{
    char p[512];
    db_path(p, sizeof p, "each.db");
    lm_store *s = open_or_die(p);
    lm_error err = {0};
    static const int64_t order[] = {500, 3, 77, 1000000, 12};
    LM_CHECK_INT(lm_store_begin(s, &err), LM_OK);
    for (size_t i = 0; i < 5; i++) {
        lm_article a;
        make_article(&a, order[i], 1, "x");
        LM_CHECK_INT(lm_store_put_article(s, &a, "f", NULL, &err), LM_OK);
        lm_article_free(&a);
    }
    LM_CHECK_INT(lm_store_commit(s, &err), LM_OK);

    struct each_seen e = {0};
    LM_CHECK_INT(lm_store_each_article(s, collect_article, &e, &err), LM_OK);
    LM_CHECK_INT(e.n, 5);
    static const long long want[] = {3, 12, 77, 500, 1000000};
    for (int i = 0; i < 5; i++)
        LM_CHECK_INT(e.pmids[i], want[i]);
    LM_CHECK_INT(e.titles_ok, 5);

    struct each_seen stop = {.stop_after = 2};
    LM_CHECK_INT(lm_store_each_article(s, collect_article, &stop, &err), LM_ERR_ABORTED);
    LM_CHECK_INT(stop.n, 2);
    /* The statement was reset: a new iteration starts from the beginning. */
    struct each_seen again = {0};
    LM_CHECK_INT(lm_store_each_article(s, collect_article, &again, &err), LM_OK);
    LM_CHECK_INT(again.n, 5);
    lm_store_close(s);
}

static void test_check(void)
{
    char p[512];
    db_path(p, sizeof p, "check.db");
    lm_store *s = open_or_die(p);
    lm_error err = {0};
    lm_article a;
    make_article(&a, 1, 1, "x");
    lm_store_put_article(s, &a, "f", NULL, &err);
    lm_article_free(&a);
    LM_CHECK_INT(lm_store_check(s, &err), LM_OK);

    /* An orphan written with foreign keys off must be found. */
    sqlite3 *db = raw_open(p);
    raw_exec(db, "PRAGMA foreign_keys = OFF; INSERT INTO mentions (pmid, start, \"end\", text,"
                 " type) VALUES (404, 0, 1, 'a', 'Chemical');");
    sqlite3_close(db);
    LM_CHECK_INT(lm_store_check(s, &err), LM_ERR_DB);
    LM_CHECK(strstr(err.msg, "mentions") != NULL && strstr(err.msg, "articles") != NULL);
    lm_store_close(s);
}

static void test_busy(void)
{
    char p[512];
    db_path(p, sizeof p, "busy.db");
    lm_store_close(open_or_die(p));

    sqlite3 *other = raw_open(p);
    LM_CHECK_INT(raw_exec(other, "BEGIN IMMEDIATE; INSERT INTO deleted_pmids VALUES "
                                 "(1, 'x', NULL);"), SQLITE_OK);

    lm_store *s = NULL;
    lm_error err = {0};
    lm_store_options o = {.busy_timeout_ms = 100};
    /* Opening a migrated database needs no write lock. */
    LM_CHECK_INT(lm_store_open(&s, p, &o, &err), LM_OK);
    if (!s) {
        sqlite3_close(other);
        return;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    LM_CHECK_INT(lm_store_begin(s, &err), LM_ERR_BUSY);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    LM_CHECK_STR(err.msg, "starting a transaction: database is locked by another process");
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    LM_CHECK(waited >= 0.05);   /* the busy timeout was honoured */

    lm_article a;
    make_article(&a, 1, 1, "x");
    LM_CHECK_INT(lm_store_put_article(s, &a, "f", NULL, &err), LM_ERR_BUSY);
    LM_CHECK_INT(lm_store_ingest_start(s, "f", "file", 1, NULL, &err), LM_ERR_BUSY);
    /* Reads still work in WAL mode while another process writes. */
    struct counts_seen cs = {0};
    LM_CHECK_INT(lm_store_count_tables(s, collect_count, &cs, &err), LM_OK);

    raw_exec(other, "COMMIT");
    LM_CHECK_INT(lm_store_begin(s, &err), LM_OK);
    LM_CHECK_INT(lm_store_put_article(s, &a, "f", NULL, &err), LM_OK);
    LM_CHECK_INT(lm_store_commit(s, &err), LM_OK);
    lm_article_free(&a);
    lm_store_close(s);
    sqlite3_close(other);

    /* A fresh database that another process holds locked cannot be
     * migrated: busy, not an obscure failure. */
    char q[512];
    db_path(q, sizeof q, "busy-fresh.db");
    other = raw_open(q);
    raw_exec(other, "PRAGMA journal_mode = WAL; BEGIN IMMEDIATE;"
                    " CREATE TABLE schema_version (id INTEGER PRIMARY KEY, version INTEGER);");
    LM_CHECK_INT(lm_store_open(&s, q, &o, &err), LM_ERR_BUSY);
    raw_exec(other, "ROLLBACK");
    sqlite3_close(other);
}

static void test_memory_db(void)
{
    lm_store *s = NULL;
    lm_error err = {0};
    LM_CHECK_INT(lm_store_open(&s, ":memory:", NULL, &err), LM_OK);
    lm_article a;
    make_article(&a, 9, 1, "x");
    lm_put_result r;
    LM_CHECK_INT(lm_store_put_article(s, &a, "f", &r, &err), LM_OK);
    LM_CHECK_INT(r, LM_PUT_INSERTED);
    lm_article_free(&a);
    lm_store_close(s);
}

/* ---- throughput (printed only) ------------------------------------------- */

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_throughput(void)
{
    char p[512];
    db_path(p, sizeof p, "perf.db");
    lm_store *s = open_or_die(p);
    lm_error err = {0};
    enum { N = 20000, BATCH = 5000 };

    lm_article a;
    lm_article_init(&a);
    char abstract[1100];
    for (size_t i = 0; i + 1 < sizeof abstract; i++)
        abstract[i] = "abcdefghij klmnopqrstuvwxyz. "[i % 29];
    abstract[sizeof abstract - 1] = '\0';
    a.title = strdup("A study of throughput in biomedical literature databases");
    a.abstract = strdup(abstract);
    a.journal = strdup("Journal of Benchmarks");
    a.language = strdup("eng");
    a.date_revised = strdup("2024-01-01");
    a.doi = strdup("10.1234/bench");
    static const char *mesh[][2] = {
        {"D006801", "Humans"}, {"D008297", "Male"}, {"D005260", "Female"},
        {"D000328", "Adult"}, {"D008875", "Middle Aged"}, {"D000368", "Aged"},
        {"D001241", "Aspirin"}, {"D002318", "Cardiovascular Diseases"},
        {"D016032", "Randomized Controlled Trials as Topic"}, {"D011379", "Prognosis"}};
    for (int i = 0; i < 10; i++)
        lm_article_add_mesh(&a, mesh[i][0], mesh[i][1], i == 6);
    lm_article_add_pubtype(&a, "D016428", "Journal Article");
    lm_article_add_pubtype(&a, "D016449", "Randomized Controlled Trial");

    int ok = 1;
    lm_put_result r;
    for (int round = 0; round < 2; round++) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 0; i < N && ok; i++) {
            if (i % BATCH == 0)
                ok &= lm_store_begin(s, &err) == LM_OK;
            a.pmid = 10000000 + i;
            a.year = 1950 + i % 75;
            ok &= lm_store_put_article(s, &a, "bench.xml", &r, &err) == LM_OK;
            ok &= r == (round == 0 ? LM_PUT_INSERTED : LM_PUT_UNCHANGED);
            if (i % BATCH == BATCH - 1)
                ok &= lm_store_commit(s, &err) == LM_OK;
        }
        double dt = seconds_since(&t0);
        fprintf(stderr, "  throughput: %d articles (%s), batches of %d: %.2f s, %.0f "
                        "articles/s\n", N, round == 0 ? "new" : "unchanged re-put", BATCH, dt,
                N / dt);
    }
    if (!ok)
        fprintf(stderr, "  throughput run failed: %s\n", err.msg);
    LM_CHECK(ok);
    struct counts_seen cs = {0};
    LM_CHECK_INT(lm_store_count_tables(s, collect_count, &cs, &err), LM_OK);
    LM_CHECK_INT(cs.rows[0], N);
    LM_CHECK_INT(cs.rows[1], N * 10);
    lm_article_free(&a);
    lm_store_close(s);
    db_path(p, sizeof p, "perf.db");   /* removes the ~30 MB file */
}

int main(void)
{
    LM_RUN(test_open_create_reopen);
    LM_RUN(test_wal_while_open);
    LM_RUN(test_migrate_from_empty_file);
    LM_RUN(test_migrate_v1_to_v2);
    LM_RUN(test_migrate_drops_fts5);
    LM_RUN(test_migrate_compacts_annotations);
    LM_RUN(test_migrate_14_killed);
    LM_RUN(test_export_by_pmid_uses_index);
    LM_RUN(test_concept_exports_use_indexes);
    LM_RUN(test_newer_schema_refused);
    LM_RUN(test_garbage_file_untouched);
    LM_RUN(test_foreign_sqlite_db);
    LM_RUN(test_readonly);
    LM_RUN(test_put_semantics);
    LM_RUN(test_reingest_is_idempotent);
    LM_RUN(test_put_failure);
    LM_RUN(test_delete);
    LM_RUN(test_get_round_trip);
    LM_RUN(test_ingest_log);
    LM_RUN(test_count_tables);
    LM_RUN(test_each_article);
    LM_RUN(test_check);
    LM_RUN(test_busy);
    LM_RUN(test_memory_db);
    LM_RUN(test_throughput);
    return LM_DONE();
}
