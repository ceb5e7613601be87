/*
 * Scans over stored articles for re-running NLP stages (`litmine
 * reprocess`).  The scan runs on its own read-only connection while the
 * pipeline's writer updates annotations on another: WAL gives the scan a
 * stable snapshot, so rows it has not reached yet cannot shift under it.
 * The same snapshot gives the stored annotations a rerun stage reads
 * (lm_store_get_doc): they come from stages that are not rerun, so the
 * writer never changes them meanwhile.
 */
#include "lm_store_internal.h"


#include <stdio.h>
#include <string.h>

enum { SLOT_EACH_SINCE = LM_STORE_SLOT_SCAN, SLOT_COUNT_SINCE, SLOT_SENTENCES, SLOT_MENTIONS };
enum { SLOT_PAIRS = LM_STORE_SLOT_DOC };

/* ingested_at is 'YYYY-MM-DDTHH:MM:SSZ': a plain date compares correctly
 * against it as text ('2026-01-05' < '2026-01-05T...'). */
#define SINCE_CLAUSE " WHERE ?1 IS NULL OR ingested_at >= ?1"

lm_status lm_store_each_article_since(lm_store *s, const char *since,
                                      lm_status (*cb)(void *ctx, const lm_article *a),
                                      void *ctx, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SLOT_EACH_SINCE,
        "SELECT pmid, version, title, abstract FROM articles" SINCE_CLAUSE " ORDER BY pmid", err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    if (since)
        lm_bind_text_copy(st, 1, since, &brc);
    int rc;
    lm_status cs = LM_OK;
    while (cs == LM_OK && (rc = lm_bind_step(st, brc)) == SQLITE_ROW) {
        lm_article a;
        lm_store_article_head(st, &a);
        cs = cb(ctx, &a);
    }
    if (cs == LM_OK && rc != SQLITE_DONE)
        cs = lm_store_fail(s, rc, err, "reading articles");
    sqlite3_reset(st);
    return cs;
}

lm_status lm_store_count_articles_since(lm_store *s, const char *since, int64_t *n,
                                        lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SLOT_COUNT_SINCE,
                                     "SELECT count(*) FROM articles" SINCE_CLAUSE, err);
    if (!st)
        return err->code;
    int brc = SQLITE_OK;
    if (since)
        lm_bind_text_copy(st, 1, since, &brc);
    int rc = lm_bind_step(st, brc);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return lm_store_fail(s, rc, err, "counting articles");
    return LM_OK;
}

/* Adds one row of a stored part to the doc (ctx), with the doc's error. */
typedef struct doc_ctx {
    lm_doc *doc;
    lm_error *err;
} doc_ctx;

static lm_status add_sentence_row(sqlite3_stmt *st, void *ctx)
{
    doc_ctx *c = ctx;
    return lm_doc_add_sentence(c->doc, sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
                               c->err);
}

static lm_status add_mention_row(sqlite3_stmt *st, void *ctx)
{
    doc_ctx *c = ctx;
    return lm_doc_add_mention(c->doc, sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
                              lm_ent_type_parse((const char *)sqlite3_column_text(st, 2)),
                              (const char *)sqlite3_column_text(st, 3),
                              (const char *)sqlite3_column_text(st, 4), sqlite3_column_int(st, 5),
                              (float)sqlite3_column_double(st, 6), c->err);
}

/* lm_doc_pair keeps its relation as a static string. */
static const char *static_relation(const char *r)
{
    static const char *const known[] = {"induces", "treats", "associated", "cooccurs"};
    for (size_t i = 0; r && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(r, known[i]) == 0)
            return known[i];
    return "associated";
}

static lm_status add_pair_row(sqlite3_stmt *st, void *ctx)
{
    doc_ctx *c = ctx;
    int has_ev = sqlite3_column_type(st, 7) != SQLITE_NULL;
    return lm_doc_add_pair(c->doc, (const char *)sqlite3_column_text(st, 0),
                           (const char *)sqlite3_column_text(st, 1),
                           (const char *)sqlite3_column_text(st, 2),
                           (const char *)sqlite3_column_text(st, 3),
                           static_relation((const char *)sqlite3_column_text(st, 4)),
                           (float)sqlite3_column_double(st, 5),
                           sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 6),
                           has_ev ? sqlite3_column_int(st, 7) : -1,
                           has_ev ? sqlite3_column_int(st, 8) : -1, c->err);
}

lm_status lm_store_each_row_of(lm_store *s, int slot, const char *sql, int64_t pmid,
                               lm_status (*row)(sqlite3_stmt *st, void *ctx), void *ctx,
                               const char *what, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, slot, sql, err);
    if (!st)
        return err->code;
    int rc = lm_bind_step(st, sqlite3_bind_int64(st, 1, pmid));
    lm_status ls = LM_OK;
    for (; ls == LM_OK && rc == SQLITE_ROW; rc = sqlite3_step(st))
        ls = row(st, ctx);
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "reading the %s of article %lld", what, (long long)pmid);
    sqlite3_reset(st);
    return ls;
}

lm_status lm_store_get_doc(lm_store *s, int64_t pmid, unsigned parts, lm_doc *doc,
                           unsigned *found, lm_error *err)
{
    lm_status ls = LM_OK;
    doc_ctx c = {doc, err};
    *found = 0;
    if (parts & LM_DOC_SENTENCES) {
        ls = lm_store_each_row_of(s, SLOT_SENTENCES,
                       "SELECT start, \"end\" FROM sentences WHERE pmid = ?1 ORDER BY idx", pmid,
                       add_sentence_row, &c, "sentences", err);
        if (doc->n_sentences)
            *found |= LM_DOC_SENTENCES;
    }
    if (ls == LM_OK && (parts & LM_DOC_MENTIONS)) {
        ls = lm_store_each_row_of(s, SLOT_MENTIONS,
                       "SELECT start, \"end\", type, text, concept_id, coalesce(sentence, -1),"
                       " coalesce(score, 0) FROM mentions WHERE pmid = ?1 ORDER BY id",
                       pmid, add_mention_row, &c, "mentions", err);
        if (doc->n_mentions)
            *found |= LM_DOC_MENTIONS;
    }
    if (ls == LM_OK && (parts & LM_DOC_PAIRS)) {
        ls = lm_store_each_row_of(s, SLOT_PAIRS,
                       "SELECT chemical_id, chemical_text, disease_id, disease_text, relation,"
                       " score, sentence, evidence_start, evidence_end FROM pairs"
                       " WHERE pmid = ?1 ORDER BY score DESC, chemical_id, disease_id",
                       pmid, add_pair_row, &c, "pairs", err);
        if (doc->n_pairs)
            *found |= LM_DOC_PAIRS;
    }
    return ls;
}

lm_status lm_store_stored_parts(lm_store *s, const char *since, unsigned *parts, lm_error *err)
{
    static const struct {
        unsigned part;
        const char *table;
    } tables[] = {{LM_DOC_SENTENCES, "sentences"},
                  {LM_DOC_MENTIONS, "mentions"},
                  {LM_DOC_PAIRS, "pairs"},
                  {LM_DOC_VECTOR, "vectors"}};
    *parts = 0;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT EXISTS (SELECT 1 FROM %s d JOIN articles a ON a.pmid = d.pmid"
                 " WHERE ?1 IS NULL OR a.ingested_at >= ?1)",
                 tables[i].table);
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(lm_store_sqlite(s), sql, -1, &st, NULL);
        if (rc == SQLITE_OK && since)
            lm_bind_text(st, 1, since, &rc);
        rc = lm_bind_step(st, rc);
        if (rc == SQLITE_ROW && sqlite3_column_int(st, 0))
            *parts |= tables[i].part;
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW)
            return lm_store_fail(s, rc, err, "looking for stored %s", tables[i].table);
    }
    return LM_OK;
}
