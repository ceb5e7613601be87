/*
 * Merging a shard database into a target (lm_store_merge.h).
 *
 * The table list below is the one place that says what a merge does with
 * each table.  Rows travel between the two connections through generic
 * statements built from the table's own column list (PRAGMA table_info),
 * so a column added to a table by a later migration is merged without
 * touching this file; only a new table needs a line in the list.  A
 * rowid alias other than pmid (mentions.id, ingest_log.id) is left for
 * the target to assign, and rows are read in rowid order so that an
 * article's rows keep their relative order.  Mentions and pairs travel
 * through their views (decoded on the shard, encoded again on the
 * target: the two databases number concept names differently).
 *
 * Rows derived from articles (the lexical index and its queue, the
 * vector generations) are not copied: the target's triggers queue every
 * inserted article for indexing and record every deletion, exactly as
 * an ingest would.  Only full vector rows travel: a shard's compacted
 * vectors live in its own vector file, and the target embeds those
 * articles again at its next refresh or `index build` (vectors are a
 * function of the article and the model, so the result is the same).
 */
#include "lm_store_merge.h"
#include "lm_store_internal.h"

#include "../util/lm_buf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

static const lm_merge_table merge_tables[] = {
    {"schema_version", LM_MERGE_SAME},     /* both opened at this build's version */
    {"stage_models", LM_MERGE_SAME},       /* lm_store_merge_same_models */
    {"embed_models", LM_MERGE_SAME},       /* the models the shard's vectors use */
    {"deleted_pmids", LM_MERGE_DELETIONS},
    {"articles", LM_MERGE_ARTICLE},
    {"mesh_headings", LM_MERGE_WITH_ARTICLE},
    {"publication_types", LM_MERGE_WITH_ARTICLE},
    {"sentences", LM_MERGE_WITH_ARTICLE},
    {"mentions", LM_MERGE_WITH_ARTICLE},
    {"abbreviations", LM_MERGE_WITH_ARTICLE},
    {"pairs", LM_MERGE_WITH_ARTICLE},
    {"vectors", LM_MERGE_WITH_ARTICLE},
    {"authors", LM_MERGE_WITH_ARTICLE},
    {"author_affiliations", LM_MERGE_WITH_ARTICLE},
    {"keywords", LM_MERGE_WITH_ARTICLE},
    {"grants", LM_MERGE_WITH_ARTICLE},
    {"article_references", LM_MERGE_WITH_ARTICLE},
    {"mesh_qualifiers", LM_MERGE_WITH_ARTICLE},
    {"chemicals", LM_MERGE_WITH_ARTICLE},
    {"names", LM_MERGE_ENCODED},           /* the target's own, extended by the views */
    {"mentions_data", LM_MERGE_ENCODED},   /* merged through the view mentions */
    {"pairs_data", LM_MERGE_ENCODED},      /* merged through the view pairs */
    {"ingest_log", LM_MERGE_APPEND},
    {"watches", LM_MERGE_TARGET},
    {"concept_watches", LM_MERGE_TARGET},
    {"search_indexed", LM_MERGE_REBUILT},
    {"search_pending", LM_MERGE_REBUILT},
    {"lex_segments", LM_MERGE_REBUILT},
    {"lex_postings", LM_MERGE_REBUILT},
    {"lex_docs", LM_MERGE_REBUILT},
    {"lex_dead", LM_MERGE_REBUILT},
    {"vector_generations", LM_MERGE_REBUILT},
    {"vector_files", LM_MERGE_REBUILT},       /* the target's own vector file */
    {"vector_file_gone", LM_MERGE_REBUILT},
    {"vector_file_chunks", LM_MERGE_REBUILT},
};
#define N_MERGE_TABLES (sizeof merge_tables / sizeof merge_tables[0])

const lm_merge_table *lm_store_merge_tables(size_t *n)
{
    *n = N_MERGE_TABLES;
    return merge_tables;
}

static const lm_merge_table *policy_of(const char *table)
{
    for (size_t i = 0; i < N_MERGE_TABLES; i++)
        if (strcmp(merge_tables[i].table, table) == 0)
            return &merge_tables[i];
    return NULL;
}

lm_status lm_store_merge_unhandled(lm_store *s, lm_status (*cb)(void *ctx, const char *table),
                                   void *ctx, lm_error *err)
{
    /* A shadow table of a virtual table is named "<vtab>_<suffix>". */
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(
        lm_store_sqlite(s),
        "SELECT t.name FROM sqlite_master t WHERE t.type = 'table'"
        " AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        " AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.type = 'table'"
        "  AND v.sql LIKE 'CREATE VIRTUAL TABLE%' AND t.name LIKE v.name || '\\_%' ESCAPE '\\')"
        " ORDER BY t.name",
        -1, &q, NULL);
    if (rc != SQLITE_OK)
        return lm_store_fail(s, rc, err, "listing tables");
    lm_status st = LM_OK;
    while (st == LM_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        if (name && !policy_of(name))
            st = cb(ctx, name);
    }
    if (st == LM_OK && rc != SQLITE_DONE)
        st = lm_store_fail(s, rc, err, "listing tables");
    sqlite3_finalize(q);
    return st;
}

/* ---- comparing what made the rows ------------------------------------- */

/* The stage_models rows as "stage model" lines, sorted. */
static lm_status model_list(lm_store *s, lm_buf *out, lm_error *err)
{
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(lm_store_sqlite(s),
                                "SELECT stage, model FROM stage_models ORDER BY stage, model",
                                -1, &q, NULL);
    if (rc != SQLITE_OK)
        return lm_store_fail(s, rc, err, "reading stage models");
    lm_status st = LM_OK;
    while (st == LM_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
        st = lm_buf_printf(out, "%s%s %s", out->len ? "; " : "",
                           (const char *)sqlite3_column_text(q, 0),
                           (const char *)sqlite3_column_text(q, 1));
    if (st != LM_OK)
        st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    else if (rc != SQLITE_DONE)
        st = lm_store_fail(s, rc, err, "reading stage models");
    sqlite3_finalize(q);
    return st;
}

lm_status lm_store_merge_same_models(lm_store *a, const char *a_name, lm_store *b,
                                     const char *b_name, lm_error *err)
{
    lm_buf la, lb;
    lm_buf_init(&la);
    lm_buf_init(&lb);
    lm_status st = model_list(a, &la, err);
    if (st == LM_OK)
        st = model_list(b, &lb, err);
    if (st == LM_OK && strcmp(lm_buf_cstr(&la), lm_buf_cstr(&lb)) != 0)
        st = lm_error_set(err, LM_ERR_USAGE,
                          "%s and %s were annotated by different models (%s: %s; %s: %s); "
                          "ingest every shard with the same litmine models",
                          a_name, b_name, a_name, la.len ? lm_buf_cstr(&la) : "none", b_name,
                          lb.len ? lm_buf_cstr(&lb) : "none");
    lm_buf_free(&la);
    lm_buf_free(&lb);
    return st;
}

typedef struct refusal {
    const char *db_name;
    lm_error *err;
} refusal;

static lm_status refuse_unhandled(void *ctx, const char *table)
{
    refusal *r = ctx;
    return lm_error_set(r->err, LM_ERR_USAGE, "%s has a table this litmine cannot merge (%s)",
                        r->db_name, table);
}

/* Reads embedding model id's kind, dim, created_at and data from s. */
static int read_embed_model(lm_store *s, int64_t id, sqlite3_stmt **q)
{
    int rc = sqlite3_prepare_v2(lm_store_sqlite(s),
                                "SELECT kind, dim, created_at, data, data_xxh64 FROM embed_models"
                                " WHERE id = ?1",
                                -1, q, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(*q, 1, id);
    return rc == SQLITE_OK ? sqlite3_step(*q) : rc;
}

static int same_column(sqlite3_stmt *a, sqlite3_stmt *b, int i)
{
    int na = sqlite3_column_bytes(a, i), nb = sqlite3_column_bytes(b, i);
    const void *va = sqlite3_column_blob(a, i), *vb = sqlite3_column_blob(b, i);
    return sqlite3_column_type(a, i) == sqlite3_column_type(b, i) && na == nb &&
           (na == 0 || memcmp(va, vb, (size_t)na) == 0);
}

/* The checksum of a model's bytes, in the database or moved into its
 * vector file (data_xxh64). */
static uint64_t model_checksum(sqlite3_stmt *q)
{
    if (sqlite3_column_type(q, 3) == SQLITE_NULL)
        return (uint64_t)sqlite3_column_int64(q, 4);
    return XXH3_64bits(sqlite3_column_blob(q, 3), (size_t)sqlite3_column_bytes(q, 3));
}

/* Every embedding model the shard's vectors use must exist in the target
 * with the same kind, dimension, creation time and weights: a vector is
 * only comparable with vectors of its own model. */
static lm_status check_embed_models(lm_store *target, lm_store *shard, const char *shard_name,
                                    lm_error *err)
{
    sqlite3_stmt *ids;
    int rc = sqlite3_prepare_v2(lm_store_sqlite(shard),
                                "SELECT DISTINCT model_id FROM vectors WHERE length(vec) > 0"
                                " ORDER BY model_id",
                                -1,
                                &ids, NULL);
    if (rc != SQLITE_OK)
        return lm_store_fail(shard, rc, err, "%s: reading vectors", shard_name);
    lm_status st = LM_OK;
    while (st == LM_OK && (rc = sqlite3_step(ids)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(ids, 0);
        sqlite3_stmt *qs = NULL, *qt = NULL;
        int rs = read_embed_model(shard, id, &qs);
        int rt = read_embed_model(target, id, &qt);
        if (rs != SQLITE_ROW && rs != SQLITE_DONE)
            st = lm_store_fail(shard, rs, err, "%s: reading embedding model %lld", shard_name,
                               (long long)id);
        else if (rt != SQLITE_ROW && rt != SQLITE_DONE)
            st = lm_store_fail(target, rt, err, "reading embedding model %lld", (long long)id);
        else if (rs != SQLITE_ROW || rt != SQLITE_ROW || !same_column(qs, qt, 0) ||
                 !same_column(qs, qt, 1) || !same_column(qs, qt, 2) ||
                 model_checksum(qs) != model_checksum(qt))
            st = lm_error_set(err, LM_ERR_USAGE,
                              "%s holds vectors of embedding model %lld, which the target "
                              "does not have (or has another one under that id); ingest "
                              "shards without an embedding model and run `litmine index "
                              "build` after the merge",
                              shard_name, (long long)id);
        sqlite3_finalize(qs);
        sqlite3_finalize(qt);
    }
    if (st == LM_OK && rc != SQLITE_DONE)
        st = lm_store_fail(shard, rc, err, "%s: reading vectors", shard_name);
    sqlite3_finalize(ids);
    return st;
}

lm_status lm_store_merge_check(lm_store *target, lm_store *shard, const char *shard_name,
                               lm_error *err)
{
    refusal of_shard = {shard_name, err}, of_target = {"the target", err};
    lm_status st = lm_store_merge_unhandled(shard, refuse_unhandled, &of_shard, err);
    if (st == LM_OK)
        st = lm_store_merge_unhandled(target, refuse_unhandled, &of_target, err);
    if (st == LM_OK)
        st = check_embed_models(target, shard, shard_name, err);
    return st;
}

/* ---- copying rows ----------------------------------------------------- */

/* Runs w with its first n parameters bound to the current row of from's
 * first n columns; returns the step's result code (SQLITE_DONE, SQLITE_ROW)
 * or the failed bind's.  w is reset afterwards. */
static int step_with_row(sqlite3_stmt *w, sqlite3_stmt *from, int n)
{
    sqlite3_reset(w);
    int rc = SQLITE_OK;
    for (int i = 0; rc == SQLITE_OK && i < n; i++)
        rc = sqlite3_bind_value(w, i + 1, sqlite3_column_value(from, i));
    if (rc == SQLITE_OK)
        rc = sqlite3_step(w);
    sqlite3_reset(w);
    return rc;
}

/* A table's rows from the shard into the target, all of them or those of
 * one PMID. */
typedef struct copier {
    sqlite3_stmt *read;    /* on the shard */
    sqlite3_stmt *write;   /* on the target */
    int n_cols;
} copier;

static void copier_free(copier *c)
{
    sqlite3_finalize(c->read);
    sqlite3_finalize(c->write);
    memset(c, 0, sizeof *c);
}

/* Builds the column list of table (as the target has it: the schema
 * versions are equal) without its rowid alias unless that is pmid, and
 * says how to read its rows in insertion order (*order: NULL when the
 * order is the primary key's).  A view (mentions, pairs: schema 14
 * stores them encoded) is read and written through its decoded columns,
 * its INSTEAD OF INSERT trigger encoding them with the target's own
 * names; its id column plays the rowid alias. */
static lm_status table_columns(lm_store *target, const char *table, lm_buf *cols, int *n,
                               const char **order, lm_error *err)
{
    sqlite3 *db = lm_store_sqlite(target);
    sqlite3_stmt *q;
    lm_status st = LM_OK;
    int has_rowid = 1, is_view = 0;
    *n = 0;
    *order = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT sql LIKE '%WITHOUT ROWID%', type = 'view' FROM sqlite_master"
                                " WHERE type IN ('table', 'view') AND name = ?1",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            has_rowid = !sqlite3_column_int(q, 0);
            is_view = sqlite3_column_int(q, 1);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_ERROR;
        }
        sqlite3_finalize(q);
    }
    if (is_view)
        has_rowid = 0;
    else if (has_rowid)
        *order = "rowid";
    /* The rowid alias: the one INTEGER primary-key column of a rowid
     * table. */
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db,
                                "SELECT name, type, pk, (SELECT count(*) FROM pragma_table_info(?1)"
                                " WHERE pk > 0) FROM pragma_table_info(?1) ORDER BY cid",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
        while (st == LM_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(q, 0);
            const char *type = (const char *)sqlite3_column_text(q, 1);
            int alias = has_rowid && sqlite3_column_int(q, 2) == 1 &&
                        sqlite3_column_int(q, 3) == 1 && type && strcasecmp(type, "INTEGER") == 0;
            if (is_view && strcmp(name, "id") == 0) {
                *order = "id";
                continue;
            }
            if (alias && strcmp(name, "pmid") != 0)
                continue;
            st = lm_buf_printf(cols, "%s\"%s\"", *n ? ", " : "", name);
            ++*n;
        }
        if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
        sqlite3_finalize(q);
    }
    if (st != LM_OK)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    if (rc != SQLITE_OK)
        return lm_store_fail(target, rc, err, "reading the columns of %s", table);
    if (*n == 0)
        return lm_error_set(err, LM_ERR_DB, "table %s has no columns", table);
    return LM_OK;
}

/* by_pmid: read the rows of one PMID (bound at each run); or_ignore:
 * rows the target already has stay. */
static lm_status copier_init(copier *c, lm_store *target, lm_store *shard, const char *table,
                             int by_pmid, int or_ignore, lm_error *err)
{
    memset(c, 0, sizeof *c);
    lm_buf cols, sql;
    lm_buf_init(&cols);
    lm_buf_init(&sql);
    const char *order;
    lm_status st = table_columns(target, table, &cols, &c->n_cols, &order, err);
    if (st == LM_OK) {
        st = lm_buf_printf(&sql, "SELECT %s FROM \"%s\"%s%s%s%s", lm_buf_cstr(&cols), table,
                           by_pmid ? " WHERE pmid = ?1" : "",
                           by_pmid && strcmp(table, "vectors") == 0 ? " AND length(vec) > 0" : "",
                           order ? " ORDER BY " : "", order ? order : "");
        int rc = st == LM_OK ? sqlite3_prepare_v2(lm_store_sqlite(shard), lm_buf_cstr(&sql), -1,
                                                  &c->read, NULL)
                             : SQLITE_NOMEM;
        if (rc != SQLITE_OK)
            st = lm_store_fail(shard, rc, err, "reading %s", table);
    }
    if (st == LM_OK) {
        lm_buf_reset(&sql);
        st = lm_buf_printf(&sql, "INSERT%s INTO \"%s\" (%s) VALUES (", or_ignore ? " OR IGNORE" : "",
                           table, lm_buf_cstr(&cols));
        for (int i = 0; st == LM_OK && i < c->n_cols; i++)
            st = lm_buf_printf(&sql, "%s?%d", i ? ", " : "", i + 1);
        if (st == LM_OK)
            st = lm_buf_append_str(&sql, ")");
        int rc = st == LM_OK ? sqlite3_prepare_v2(lm_store_sqlite(target), lm_buf_cstr(&sql), -1,
                                                  &c->write, NULL)
                             : SQLITE_NOMEM;
        if (rc != SQLITE_OK)
            st = lm_store_fail(target, rc, err, "writing %s", table);
    }
    lm_buf_free(&cols);
    lm_buf_free(&sql);
    if (st != LM_OK)
        copier_free(c);
    return st;
}

/* Copies the rows (of pmid when the copier reads by PMID); *rows (may be
 * NULL) receives how many. */
static lm_status copier_run(copier *c, lm_store *target, lm_store *shard, const char *table,
                            int64_t pmid, int64_t *rows, lm_error *err)
{
    sqlite3_reset(c->read);
    if (sqlite3_bind_parameter_count(c->read) > 0)
        sqlite3_bind_int64(c->read, 1, pmid);
    int rc;
    int64_t n = 0;
    while ((rc = sqlite3_step(c->read)) == SQLITE_ROW) {
        int wrc = step_with_row(c->write, c->read, c->n_cols);
        if (wrc != SQLITE_DONE) {
            sqlite3_reset(c->read);
            return lm_store_fail(target, wrc, err, "merging %s (article %lld)", table,
                                 (long long)pmid);
        }
        n++;
    }
    sqlite3_reset(c->read);
    if (rc != SQLITE_DONE)
        return lm_store_fail(shard, rc, err, "reading %s", table);
    if (rows)
        *rows = n;
    return LM_OK;
}

/* ---- the merge -------------------------------------------------------- */

typedef struct merge_run {
    lm_store *target, *shard;
    const char *shard_name;
    copier article;
    copier with_article[N_MERGE_TABLES];
    const char *with_article_name[N_MERGE_TABLES];
    size_t n_with_article;
    sqlite3_stmt *meta;         /* target: version, content_hash of a PMID */
    sqlite3_stmt *remove;       /* target: delete an article (and, by cascade, its rows) */
    sqlite3_stmt *deletion_replace, *deletion_keep;
    lm_ingest_counts *c;        /* the shard's article counts */
} merge_run;

static void merge_run_free(merge_run *m)
{
    copier_free(&m->article);
    for (size_t i = 0; i < m->n_with_article; i++)
        copier_free(&m->with_article[i]);
    sqlite3_finalize(m->meta);
    sqlite3_finalize(m->remove);
    sqlite3_finalize(m->deletion_replace);
    sqlite3_finalize(m->deletion_keep);
}

static lm_status prepare_target(merge_run *m, sqlite3_stmt **st, const char *sql, lm_error *err)
{
    int rc = sqlite3_prepare_v2(lm_store_sqlite(m->target), sql, -1, st, NULL);
    return rc == SQLITE_OK ? LM_OK : lm_store_fail(m->target, rc, err, "preparing the merge");
}

static lm_status merge_run_init(merge_run *m, lm_error *err)
{
    lm_status st = copier_init(&m->article, m->target, m->shard, "articles", 1, 0, err);
    for (size_t i = 0; st == LM_OK && i < N_MERGE_TABLES; i++) {
        if (merge_tables[i].policy != LM_MERGE_WITH_ARTICLE)
            continue;
        st = copier_init(&m->with_article[m->n_with_article], m->target, m->shard,
                         merge_tables[i].table, 1, 0, err);
        if (st == LM_OK)
            m->with_article_name[m->n_with_article++] = merge_tables[i].table;
    }
    if (st == LM_OK)
        st = prepare_target(m, &m->meta,
                            "SELECT version, content_hash FROM articles WHERE pmid = ?1", err);
    if (st == LM_OK)
        st = prepare_target(m, &m->remove, "DELETE FROM articles WHERE pmid = ?1", err);
    if (st == LM_OK)
        st = prepare_target(m, &m->deletion_replace,
                            "INSERT OR REPLACE INTO deleted_pmids (pmid, deleted_at, source)"
                            " VALUES (?1, ?2, ?3)",
                            err);
    if (st == LM_OK)
        st = prepare_target(m, &m->deletion_keep,
                            "INSERT OR IGNORE INTO deleted_pmids (pmid, deleted_at, source)"
                            " VALUES (?1, ?2, ?3)",
                            err);
    return st;
}

/* *found = 1 and the stored version and hash when the target holds pmid. */
static lm_status target_meta(merge_run *m, int64_t pmid, int *found, int64_t *version,
                             int64_t *hash, lm_error *err)
{
    sqlite3_reset(m->meta);
    sqlite3_bind_int64(m->meta, 1, pmid);
    int rc = sqlite3_step(m->meta);
    *found = rc == SQLITE_ROW;
    if (*found) {
        *version = sqlite3_column_int64(m->meta, 0);
        *hash = sqlite3_column_int64(m->meta, 1);
    }
    sqlite3_reset(m->meta);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return lm_store_fail(m->target, rc, err, "reading article %lld", (long long)pmid);
    return LM_OK;
}

static lm_status remove_article(merge_run *m, int64_t pmid, lm_error *err)
{
    sqlite3_reset(m->remove);
    sqlite3_bind_int64(m->remove, 1, pmid);
    int rc = sqlite3_step(m->remove);
    sqlite3_reset(m->remove);
    return rc == SQLITE_DONE ? LM_OK
                             : lm_store_fail(m->target, rc, err, "removing article %lld",
                                             (long long)pmid);
}

/* Prepares sql on the shard (what names it in an error). */
static lm_status shard_query(merge_run *m, const char *sql, const char *what, sqlite3_stmt **q,
                             lm_error *err)
{
    int rc = sqlite3_prepare_v2(lm_store_sqlite(m->shard), sql, -1, q, NULL);
    return rc == SQLITE_OK ? LM_OK
                           : lm_store_fail(m->shard, rc, err, "%s: reading %s", m->shard_name,
                                           what);
}

/* The shard's DeleteCitations, applied as the ingest that recorded them
 * did (lm_store_delete_article_from): a deletion that removed an article
 * replaces the record, one of an absent PMID keeps the first. */
static lm_status merge_deletions(merge_run *m, lm_error *err)
{
    sqlite3_stmt *q;
    lm_status st = shard_query(
        m, "SELECT pmid, deleted_at, source FROM deleted_pmids ORDER BY pmid", "deletions", &q,
        err);
    if (st != LM_OK)
        return st;
    int rc;
    while (st == LM_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t pmid = sqlite3_column_int64(q, 0), version, hash;
        int found;
        st = target_meta(m, pmid, &found, &version, &hash, err);
        if (st == LM_OK && found) {
            st = remove_article(m, pmid, err);
            m->c->deleted++;
        }
        if (st != LM_OK)
            break;
        int wrc = step_with_row(found ? m->deletion_replace : m->deletion_keep, q, 3);
        if (wrc != SQLITE_DONE)
            st = lm_store_fail(m->target, wrc, err, "recording the deletion of %lld",
                               (long long)pmid);
    }
    if (st == LM_OK && rc != SQLITE_DONE)
        st = lm_store_fail(m->shard, rc, err, "%s: reading deletions", m->shard_name);
    sqlite3_finalize(q);
    return st;
}

/* The version rule of lm_store_put_article, applied to the shard's row. */
static lm_status merge_articles(merge_run *m, lm_error *err)
{
    sqlite3_stmt *q;
    lm_status st = shard_query(
        m, "SELECT pmid, version, content_hash FROM articles ORDER BY pmid", "articles", &q, err);
    if (st != LM_OK)
        return st;
    int rc;
    while (st == LM_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t pmid = sqlite3_column_int64(q, 0);
        int64_t version = sqlite3_column_int64(q, 1), hash = sqlite3_column_int64(q, 2);
        int64_t old_version = 0, old_hash = 0;
        int found;
        m->c->articles++;
        st = target_meta(m, pmid, &found, &old_version, &old_hash, err);
        if (st != LM_OK)
            break;
        if (found && version < old_version) {
            m->c->older++;
            continue;
        }
        if (found && version == old_version && hash == old_hash) {
            m->c->unchanged++;
            continue;
        }
        if (found) {
            st = remove_article(m, pmid, err);
            m->c->replaced++;
        } else {
            m->c->inserted++;
        }
        if (st == LM_OK)
            st = copier_run(&m->article, m->target, m->shard, "articles", pmid, NULL, err);
        for (size_t i = 0; st == LM_OK && i < m->n_with_article; i++)
            st = copier_run(&m->with_article[i], m->target, m->shard, m->with_article_name[i],
                            pmid, NULL, err);
    }
    if (st == LM_OK && rc != SQLITE_DONE)
        st = lm_store_fail(m->shard, rc, err, "%s: reading articles", m->shard_name);
    sqlite3_finalize(q);
    return st;
}

/* Rows of a whole table: the ingest log (appended) and the stage models
 * (a target without annotations takes the shard's). */
static lm_status copy_table(merge_run *m, const char *table, int or_ignore, int64_t *rows,
                            lm_error *err)
{
    copier c;
    lm_status st = copier_init(&c, m->target, m->shard, table, 0, or_ignore, err);
    if (st == LM_OK)
        st = copier_run(&c, m->target, m->shard, table, 0, rows, err);
    copier_free(&c);
    return st;
}

/* *merged = 1 when the shard logged completed files and the target logged
 * every one of them (same name, size and checksum) as completed. */
static lm_status merged_before(lm_store *target, lm_store *shard, const char *shard_name,
                               int *merged, lm_error *err)
{
    sqlite3_stmt *q, *t;
    *merged = 0;
    int rc = sqlite3_prepare_v2(lm_store_sqlite(shard),
                                "SELECT source, size_bytes, xxh128, md5 FROM ingest_log"
                                " WHERE status = 'done'",
                                -1, &q, NULL);
    if (rc != SQLITE_OK)
        return lm_store_fail(shard, rc, err, "%s: reading the ingest log", shard_name);
    rc = sqlite3_prepare_v2(lm_store_sqlite(target),
                            "SELECT 1 FROM ingest_log WHERE status = 'done' AND source = ?1"
                            " AND size_bytes IS ?2 AND xxh128 IS ?3 AND md5 IS ?4",
                            -1, &t, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(q);
        return lm_store_fail(target, rc, err, "reading the ingest log");
    }
    int files = 0, found = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        files++;
        int trc = step_with_row(t, q, 4);
        if (trc == SQLITE_ROW) {
            found++;
        } else if (trc != SQLITE_DONE) {
            rc = trc;
            break;
        }
    }
    lm_status st = LM_OK;
    if (rc != SQLITE_DONE)
        st = lm_store_fail(target, rc, err, "%s: comparing ingest logs", shard_name);
    sqlite3_finalize(q);
    sqlite3_finalize(t);
    *merged = st == LM_OK && files > 0 && found == files;
    return st;
}

lm_status lm_store_merge_shard(lm_store *target, lm_store *shard, const char *shard_name,
                               lm_merge_counts *c, lm_error *err)
{
    int merged = 0;
    lm_status mst = merged_before(target, shard, shard_name, &merged, err);
    if (mst != LM_OK || merged) {
        c->skipped += merged;
        return mst;
    }
    merge_run m;
    memset(&m, 0, sizeof m);
    m.target = target;
    m.shard = shard;
    m.shard_name = shard_name;
    m.c = &c->ingest;
    lm_status st = merge_run_init(&m, err);
    for (size_t i = 0; st == LM_OK && i < N_MERGE_TABLES; i++) {
        int64_t rows = 0;
        switch (merge_tables[i].policy) {
        case LM_MERGE_DELETIONS: st = merge_deletions(&m, err); break;
        case LM_MERGE_ARTICLE: st = merge_articles(&m, err); break;
        case LM_MERGE_APPEND:
            st = copy_table(&m, merge_tables[i].table, 0, &rows, err);
            c->log_rows += rows;
            break;
        case LM_MERGE_SAME:
            if (strcmp(merge_tables[i].table, "stage_models") == 0)
                st = copy_table(&m, merge_tables[i].table, 1, NULL, err);
            break;
        case LM_MERGE_WITH_ARTICLE:   /* with their article */
        case LM_MERGE_REBUILT:
        case LM_MERGE_ENCODED:
        case LM_MERGE_TARGET: break;
        }
    }
    merge_run_free(&m);
    return st;
}
