/*
 * lm_store: litmine's SQLite database — the user's data.
 *
 * Owns the schema, its forward migrations and every SQL statement in the
 * program (nothing outside store/ writes SQL).  A store handle wraps one
 * sqlite3 connection and its prepared statements; it is used by one thread
 * at a time (the pipeline's writer thread).  The database runs in WAL mode
 * with foreign keys on, so that derived rows (MeSH headings, publication
 * types, and later sentences, mentions, pairs, vectors) disappear with their
 * article, and an interrupted run leaves the last committed batch intact.
 *
 * Writes happen inside explicit transactions opened with lm_store_begin();
 * the caller decides the batch size.
 */
#ifndef LM_STORE_H
#define LM_STORE_H

#include "../util/lm_article.h"
#include "../util/lm_doc.h"
#include "../util/lm_digest.h"
#include "../util/lm_error.h"

#include <stdint.h>

typedef struct lm_store lm_store;

/* Current schema version written by this build's migrations. */
int lm_store_schema_version(void);

/* The SQL script of migration step `version` (1 .. lm_store_schema_version()),
 * which takes a database from version-1 to version; NULL otherwise.  For
 * tests and `litmine db schema`-style introspection. */
const char *lm_store_migration_sql(int version);

/* Creates or migrates the database at path up to target_version (<= the
 * current version) and closes it; a newer database is refused as by
 * lm_store_open.  Lets tests build databases of older schema versions. */
lm_status lm_store_migrate_path(const char *path, int target_version, lm_error *err);

typedef struct lm_store_options {
    int readonly;            /* open without creating or migrating */
    int busy_timeout_ms;     /* how long to wait for another writer; 0 = 5000 */
    /* Called before a migration that removes something (a derived table)
     * with a sentence saying what; may be NULL. */
    void (*on_notice)(void *ctx, const char *msg);
    void *notice_ctx;
} lm_store_options;

/* Opens (creating if needed) and migrates the database at path.  A file
 * that is not a SQLite database, or whose schema is newer than this build
 * understands, is reported as LM_ERR_DB / LM_ERR_USAGE, untouched.
 * A SQLite database holding other tables but no litmine schema is
 * LM_ERR_FORMAT.  Read-only: a missing file or a database with no schema
 * is LM_ERR_NOTFOUND, an older schema LM_ERR_USAGE (nothing is migrated).
 * Another process holding the lock past the busy timeout: LM_ERR_BUSY.
 * ":memory:" works (without WAL), which tests may find handy. */
lm_status lm_store_open(lm_store **out, const char *path,
                        const lm_store_options *opts, lm_error *err);
void lm_store_close(lm_store *s);
/* Whether the store was opened read-only. */
int lm_store_is_readonly(const lm_store *s);

/* begin takes the write lock at once (BEGIN IMMEDIATE), so waiting for
 * another writer happens there; a second begin is LM_ERR_USAGE.  rollback
 * without an open transaction is a no-op.  Closing the store with a
 * transaction open rolls it back. */
lm_status lm_store_begin(lm_store *s, lm_error *err);
lm_status lm_store_commit(lm_store *s, lm_error *err);
lm_status lm_store_rollback(lm_store *s, lm_error *err);

/* What lm_store_put_article did. */
typedef enum lm_put_result {
    LM_PUT_INSERTED,   /* new PMID */
    LM_PUT_REPLACED,   /* same or higher version with different content */
    LM_PUT_UNCHANGED,  /* same version, identical content: nothing written */
    LM_PUT_OLDER       /* lower version than stored: ignored */
} lm_put_result;

/* Inserts or replaces an article with its MeSH headings and publication
 * types.  Replacing deletes the old row first so that every derived row
 * goes with it (ON DELETE CASCADE).  source names where it came from
 * (file name or "eutils:<query>").  Outside a batch the put runs in its
 * own transaction and is all-or-nothing.  Inside a batch a failed put may
 * have written part of the article: roll the batch back (the errors that
 * can strike midway — I/O, disk full, out of memory — end a batch anyway;
 * per-article savepoints cost more than the whole insert).  NULL
 * title/abstract are stored as '' and year 0 as NULL.  An article with a
 * value over SQLite's length limit is refused before anything is written
 * (LM_ERR_FORMAT): the stored version, if any, stays, and the batch may
 * go on. */
lm_status lm_store_put_article(lm_store *s, const lm_article *a, const char *source,
                               lm_put_result *result, lm_error *err);

/* Deletes a PMID and everything derived from it; *deleted (may be NULL) is
 * set to 1 when a row existed. */
lm_status lm_store_delete_article(lm_store *s, int64_t pmid, int *deleted,
                                  lm_error *err);
/* The same, recording source (may be NULL) in deleted_pmids.  Every call
 * records the PMID there; a repeat for an absent PMID keeps the first
 * record, so re-ingesting an update file changes nothing. */
lm_status lm_store_delete_article_from(lm_store *s, int64_t pmid, const char *source,
                                       int *deleted, lm_error *err);

/* Replaces the given parts (enum lm_doc_part: sentences; mentions with
 * abbreviations; pairs) of one article's derived rows with doc's and
 * leaves the others as they are (the vector is lm_vec_put's).  Must run
 * inside lm_store_begin/commit; the article row must exist. */
lm_status lm_store_put_doc(lm_store *s, int64_t pmid, const lm_doc *doc, unsigned parts,
                           lm_error *err);

/* Loads the stored parts (LM_DOC_SENTENCES, LM_DOC_MENTIONS: mentions
 * only, without abbreviations; LM_DOC_PAIRS: every pair, co-occurrences
 * included, best first) of one article into doc, which must not
 * hold them yet: the inputs a rerun stage reads from stages that are not
 * rerun (store/lm_store_scan.c).  *found receives the parts that had at
 * least one row. */
lm_status lm_store_get_doc(lm_store *s, int64_t pmid, unsigned parts, lm_doc *doc,
                           unsigned *found, lm_error *err);
/* The doc parts some article ingested at or after since (NULL: any) has
 * rows of. */
lm_status lm_store_stored_parts(lm_store *s, const char *since, unsigned *parts, lm_error *err);

/* Loads one article with its MeSH headings and publication types into a
 * (caller-initialised) article, which is freed first.  LM_ERR_NOTFOUND
 * when absent.  source and ingested_at (may be NULL) receive heap strings
 * the caller frees.  An empty stored title/abstract reads back as NULL. */
lm_status lm_store_get_article(lm_store *s, int64_t pmid, lm_article *out,
                               char **source, char **ingested_at, lm_error *err);

/* ---- ingest log ---------------------------------------------------------
 * One row per ingested file or query.  A file is "already ingested" when a
 * completed row has the same checksum (the MD5 of the raw file bytes). */
typedef struct lm_ingest_counts {
    int64_t articles;     /* articles seen in the source */
    int64_t inserted;
    int64_t replaced;
    int64_t unchanged;
    int64_t older;
    int64_t deleted;      /* PMIDs deleted by DeleteCitation */
    int64_t failed;       /* articles a stage could not process */
    int64_t rejected;     /* bad articles not stored: invalid PMID, a field over
                             the parser's cap, a value the database refuses */
} lm_ingest_counts;

/* Adds c's counts to *to (runs of several files, watches or shards). */
static inline void lm_ingest_counts_add(lm_ingest_counts *to, const lm_ingest_counts *c)
{
    to->articles += c->articles;
    to->inserted += c->inserted;
    to->replaced += c->replaced;
    to->unchanged += c->unchanged;
    to->older += c->older;
    to->deleted += c->deleted;
    to->failed += c->failed;
    to->rejected += c->rejected;
}

/* Looks for a completed ingest of a source with this name and size that
 * logged a checksum; when one exists *found = 1 and *logged (may be NULL)
 * receives its digests (an older row may have only an MD5). */
lm_status lm_store_ingest_lookup(lm_store *s, const char *source_name,
                                 int64_t size_bytes, int *found, lm_file_digest *logged,
                                 lm_error *err);
/* Starts a log row with status 'running'; *id receives its rowid.  Call it
 * before lm_store_begin(): it then runs in its own transaction, so a
 * crashed run leaves a visible 'running' row.  Called inside an open
 * transaction the row joins that transaction (and its rollback).
 * kind: "file", "stdin", "eutils" or "sync"; size_bytes < 0 = unknown. */
lm_status lm_store_ingest_start(lm_store *s, const char *source_name,
                                const char *kind, int64_t size_bytes,
                                int64_t *id, lm_error *err);
/* Sets the final status ('done', 'failed', 'interrupted'), counts (NULL
 * keeps the stored ones), checksums (NULL or "" fields keep the stored
 * ones) and error text (may be NULL).  LM_ERR_NOTFOUND for an unknown id. */
lm_status lm_store_ingest_finish(lm_store *s, int64_t id, const char *status,
                                 const lm_ingest_counts *counts,
                                 const lm_file_digest *digest, const char *error_text,
                                 lm_error *err);

/* *found = 1 when a completed ingest of a source with this name exists
 * (store/lm_store_log.c).  `sync` uses it to skip files before
 * downloading them. */
lm_status lm_store_ingest_done(lm_store *s, const char *source_name, int *found,
                               lm_error *err);

/* The id of the newest ingest-log row (0 when empty): a run notes it at
 * its start and sums the rows after it at the end. */
lm_status lm_store_ingest_last_id(lm_store *s, int64_t *id, lm_error *err);
/* Sums of the ingest-log rows with an id above after_id; *runs receives
 * their number. */
lm_status lm_store_ingest_totals_after(lm_store *s, int64_t after_id, lm_ingest_counts *out,
                                       int64_t *runs, lm_error *err);
/* Records that the stage's model (its identity: digests of its files)
 * writes rows to this database (table stage_models); a repeat is a no-op
 * (store/lm_store_log.c).  `litmine merge` compares these records. */
lm_status lm_store_note_stage_model(lm_store *s, const char *stage, const char *model,
                                    lm_error *err);
/* Housekeeping after a nightly run: PRAGMA optimize and a WAL checkpoint
 * that truncates the log file. */
lm_status lm_store_maintain(lm_store *s, lm_error *err);

/* ---- read side ----------------------------------------------------------
 * Streaming iteration: the callback sees each row, valid during the call;
 * returning non-LM_OK stops and is returned. */
typedef struct lm_table_count {
    const char *table;
    int64_t rows;
} lm_table_count;

typedef struct lm_ingest_row {
    int64_t id;
    const char *source;
    const char *kind;
    const char *status;
    const char *md5;          /* NULL unless a gzip file or an old row */
    const char *xxh128;
    const char *started_at;
    const char *finished_at;
    lm_ingest_counts counts;
    const char *error_text;
} lm_ingest_row;

lm_status lm_store_count_tables(lm_store *s,
                                lm_status (*cb)(void *ctx, const lm_table_count *c),
                                void *ctx, lm_error *err);
/* Newest first; limit <= 0 lists all. */
lm_status lm_store_list_ingests(lm_store *s, int limit,
                                lm_status (*cb)(void *ctx, const lm_ingest_row *r),
                                void *ctx, lm_error *err);
/* All articles in PMID order, without MeSH/pubtypes (export path).  The
 * article's strings are borrowed from SQLite: do not free or keep them.
 * The callback may call other lm_store functions except this one. */
lm_status lm_store_each_article(lm_store *s,
                                lm_status (*cb)(void *ctx, const lm_article *a),
                                void *ctx, lm_error *err);

/* ---- watches (saved E-utilities searches, store/lm_store_watch.c) -------
 * Dates are "YYYY/MM/DD".  done_through is the last day whose whole window
 * is stored; a watch's next run starts the day after it. */
typedef struct lm_watch {
    const char *name;
    const char *query;
    const char *datetype;      /* edat, pdat or mdat */
    const char *since;         /* first day of the first window; NULL: default */
    const char *done_through;  /* NULL until a window completed */
    const char *created_at;
    const char *last_run_at;
    const char *last_status;   /* done, failed, interrupted; NULL: never run */
    int64_t last_count;
    const char *last_error;
} lm_watch;

/* LM_ERR_USAGE when the name exists or an argument is invalid. */
lm_status lm_store_watch_add(lm_store *s, const char *name, const char *query,
                             const char *datetype, const char *since, lm_error *err);
/* LM_ERR_NOTFOUND when there is no such watch. */
lm_status lm_store_watch_remove(lm_store *s, const char *name, lm_error *err);
/* Every watch in name order; strings valid during the callback. */
lm_status lm_store_watch_each(lm_store *s, lm_status (*cb)(void *ctx, const lm_watch *w),
                              void *ctx, lm_error *err);
/* Moves done_through forward (never backward). */
lm_status lm_store_watch_set_done(lm_store *s, const char *name, const char *done_through,
                                  lm_error *err);
lm_status lm_store_watch_record_run(lm_store *s, const char *name, const char *status,
                                    int64_t count, const char *error_text, lm_error *err);

/* Articles ingested at or after since ("YYYY-MM-DD" or a full timestamp;
 * NULL: all), in PMID order, title and abstract only (what the NLP stages
 * read).  store/lm_store_scan.c. */
lm_status lm_store_each_article_since(lm_store *s, const char *since,
                                      lm_status (*cb)(void *ctx, const lm_article *a),
                                      void *ctx, lm_error *err);
/* Number of articles lm_store_each_article_since would visit. */
lm_status lm_store_count_articles_since(lm_store *s, const char *since, int64_t *n,
                                        lm_error *err);

/* PRAGMA integrity_check + foreign_key_check; LM_ERR_DB on failure. */
lm_status lm_store_check(lm_store *s, lm_error *err);

#endif
