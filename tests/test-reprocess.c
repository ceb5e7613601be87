/*
 * Tests for pipeline/lm_reprocess, in C without the binary: the
 * announcement comes before the run and says what is replaced and kept;
 * a rerun writes the parts of its stages and leaves the others; a stage
 * whose stored output reads what is replaced joins (with the committed
 * models, skipped when they are absent); a bad stage list, none, and a
 * cancelled run.  tests/test-reprocess.sh checks the rows of every table
 * through the binary.
 */
#include "../pipeline/lm_reprocess.h"
#include "lm_test.h"
#include "lm_test_store.h"

#include <sqlite3.h>

#define N_ARTICLES 12

static char work_db[512];

typedef struct seen {
    char lines[4][600];
    int n_lines;
    int progress_done;
    int64_t last_total;
} seen;

static void on_notice(void *ctx, const char *line)
{
    seen *s = ctx;
    if (s->n_lines < 4)
        snprintf(s->lines[s->n_lines], sizeof s->lines[0], "%s", line);
    s->n_lines++;
}

static void on_progress(void *ctx, int64_t submitted, int64_t total, int done)
{
    seen *s = ctx;
    s->progress_done += done;
    s->last_total = total;
    LM_CHECK(submitted <= total);
}

static int count_rows(const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3 *db;
    sqlite3_stmt *st;
    int n = -1;
    sqlite3_open(work_db, &db);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* A fresh database of N_ARTICLES stored articles, no derived rows. */
static void make_db(const char *name, lm_store **store, lm_store **reader)
{
    snprintf(work_db, sizeof work_db, "%s/%s", lm_test_tmpdir(), name);
    *store = lm_test_open_store(name);
    lm_error err = {0};
    LM_CHECK(*store && lm_store_begin(*store, &err) == LM_OK);
    for (int i = 0; *store && i < N_ARTICLES; i++) {
        char title[96];
        snprintf(title, sizeof title, "Aspirin in patient group %d.", i);
        lm_article a;
        lm_article_init(&a);
        a.pmid = 1000 + i;
        a.version = 1;
        a.title = title;
        a.abstract = "Aspirin reduced pain. Headache resolved in two days.";
        lm_put_result res;
        LM_CHECK(lm_store_put_article(*store, &a, "test", &res, &err) == LM_OK);
    }
    LM_CHECK(*store && lm_store_commit(*store, &err) == LM_OK);
    lm_store_options ro = {.readonly = 1};
    LM_CHECK(lm_store_open(reader, work_db, &ro, &err) == LM_OK);
}

static void options(lm_reprocess_options *o, const lm_config *cfg, const char *stages, seen *s)
{
    memset(o, 0, sizeof *o);
    memset(s, 0, sizeof *s);
    o->stages = stages;
    o->cfg = cfg;
    o->threads = 2;
    o->on_notice = on_notice;
    o->on_progress = on_progress;
    o->ctx = s;
}

static void test_sentences_and_embed(void)
{
    lm_config *cfg = NULL;
    lm_error err = {0};
    LM_CHECK(lm_config_init(&cfg, &err) == LM_OK);
    lm_store *store = NULL, *reader = NULL;
    make_db("rp-sentences.db", &store, &reader);
    if (!store || !reader)
        return;
    LM_CHECK_INT(count_rows("sentences"), 0);
    lm_reprocess_options o;
    seen s;
    options(&o, cfg, "embed,sentences", &s);
    lm_reprocess_result res;
    lm_status st = lm_reprocess_run(store, reader, &o, &res, &err);
    if (st != LM_OK)
        fprintf(stderr, "    %s\n", err.msg);
    LM_CHECK_INT(st, LM_OK);
    LM_CHECK(res.ran && !res.setup);
    LM_CHECK_INT(res.total, N_ARTICLES);
    LM_CHECK_INT(res.counts.articles, N_ARTICLES);
    LM_CHECK_INT(res.counts.failed, 0);
    LM_CHECK_INT(s.n_lines, 2);
    LM_CHECK_STR(s.lines[0], "running sentences and embed over 12 articles: replaces their "
                             "sentences and vectors; keeps their mentions, abbreviations and "
                             "pairs");
    LM_CHECK(strstr(s.lines[1], "no embedding model yet") != NULL);
    LM_CHECK_INT(s.progress_done, 1);
    LM_CHECK_INT(s.last_total, N_ARTICLES);
    /* Three sentences an article (the title, two in the abstract); no vector without a model; nothing else. */
    LM_CHECK_INT(count_rows("sentences"), 3 * N_ARTICLES);
    LM_CHECK_INT(count_rows("vectors"), 0);
    LM_CHECK_INT(count_rows("mentions"), 0);

    /* Again: the same rows, replaced rather than added. */
    options(&o, cfg, "sentences", &s);
    LM_CHECK_INT(lm_reprocess_run(store, reader, &o, &res, &err), LM_OK);
    LM_CHECK_INT(count_rows("sentences"), 3 * N_ARTICLES);
    LM_CHECK_INT(s.n_lines, 1);
    lm_store_close(reader);
    lm_store_close(store);
    lm_config_free(cfg);
}

static void test_bad_lists_and_cancel(void)
{
    lm_config *cfg = NULL;
    lm_error err = {0};
    LM_CHECK(lm_config_init(&cfg, &err) == LM_OK);
    lm_store *store = NULL, *reader = NULL;
    make_db("rp-bad.db", &store, &reader);
    if (!store || !reader)
        return;
    lm_reprocess_options o;
    seen s;
    lm_reprocess_result res;
    options(&o, cfg, "sentences,bogus", &s);
    LM_CHECK_INT(lm_reprocess_run(store, reader, &o, &res, &err), LM_ERR_USAGE);
    LM_CHECK(strstr(err.msg, "bogus") != NULL);
    LM_CHECK(!res.ran && !res.setup);
    options(&o, cfg, "none", &s);
    LM_CHECK_INT(lm_reprocess_run(store, reader, &o, &res, &err), LM_ERR_USAGE);
    LM_CHECK_STR(err.msg, "no stages to run");
    LM_CHECK_INT(s.n_lines, 0);

    /* Cancelled before the first article: announced, nothing written. */
    lm_cancel cancel = {0};
    lm_cancel_request(&cancel);
    options(&o, cfg, "sentences", &s);
    o.cancel = &cancel;
    LM_CHECK_INT(lm_reprocess_run(store, reader, &o, &res, &err), LM_ERR_INTERRUPTED);
    LM_CHECK_INT(s.n_lines, 1);
    LM_CHECK_INT(count_rows("sentences"), 0);
    lm_store_close(reader);
    lm_store_close(store);
    lm_config_free(cfg);
}

/* ner over articles with stored pairs brings pairs along. */
static void test_stale_output_joins(void)
{
    struct stat st;
    if (stat("models/ner.bin", &st) != 0 || stat("models/pairs.bin", &st) != 0)
        LM_SKIP("models/ner.bin or models/pairs.bin missing (make train)");
    lm_config *cfg = NULL;
    lm_error err = {0};
    LM_CHECK(lm_config_init(&cfg, &err) == LM_OK);
    LM_CHECK(lm_config_set(cfg, "models", "dir", "models", &err) == LM_OK);
    lm_store *store = NULL, *reader = NULL;
    make_db("rp-ner.db", &store, &reader);
    if (!store || !reader)
        return;
    lm_reprocess_options o;
    seen s;
    lm_reprocess_result res;
    options(&o, cfg, "ner", &s);
    LM_CHECK_INT(lm_reprocess_run(store, reader, &o, &res, &err), LM_OK);
    /* Nothing stored is computed from mentions yet: ner runs alone. */
    LM_CHECK_INT(s.n_lines, 1);
    int mentions = count_rows("mentions");
    LM_CHECK(mentions >= N_ARTICLES);
    options(&o, cfg, "pairs", &s);
    LM_CHECK_INT(lm_reprocess_run(store, reader, &o, &res, &err), LM_OK);
    LM_CHECK_INT(count_rows("mentions"), mentions);
    options(&o, cfg, "ner", &s);
    LM_CHECK_INT(lm_reprocess_run(store, reader, &o, &res, &err), LM_OK);
    LM_CHECK_INT(s.n_lines, 2);
    LM_CHECK_STR(s.lines[1], "pairs runs too: its stored output is computed from what is "
                             "replaced");
    LM_CHECK_INT(count_rows("mentions"), mentions);

    /* A model that does not load fails in setup, before any announcement. */
    LM_CHECK(lm_config_set(cfg, "models", "dir", "no-such-models", &err) == LM_OK);
    options(&o, cfg, "ner", &s);
    LM_CHECK(lm_reprocess_run(store, reader, &o, &res, &err) != LM_OK);
    LM_CHECK(res.setup && !res.ran);
    LM_CHECK_INT(s.n_lines, 0);
    lm_store_close(reader);
    lm_store_close(store);
    lm_config_free(cfg);
}

int main(void)
{
    LM_RUN(test_sentences_and_embed);
    LM_RUN(test_bad_lists_and_cancel);
    LM_RUN(test_stale_output_joins);
    return LM_DONE();
}
