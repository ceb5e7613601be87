/*
 * lm_store_internal: what store/ modules other than lm_store.c (watches,
 * search, vectors) need from the core — the connection, error wording,
 * the clock, and a cache of prepared statements.
 *
 * Each module owns its SQL text and a fixed range of statement slots below;
 * the core prepares a slot's statement on first use, keeps it for the life
 * of the connection and finalizes it at close.  Not for use outside store/.
 */
#ifndef LM_STORE_INTERNAL_H
#define LM_STORE_INTERNAL_H

#include "lm_store.h"

#include <sqlite3.h>

enum {
    LM_STORE_SLOT_WATCH = 0,     /* 8 slots: lm_store_watch.c */
    LM_STORE_SLOT_LOG = 8,       /* 4 slots: lm_store_log.c */
    LM_STORE_SLOT_SCAN = 12,     /* 4 slots: lm_store_scan.c */
    LM_STORE_SLOT_SEARCH = 16,   /* 32 slots: search */
    LM_STORE_SLOT_VECTOR = 48,   /* 16 slots: vectors */
    LM_STORE_SLOT_EXPORT = 64,   /* 8 slots: lm_store_export.c */
    LM_STORE_SLOT_LEXINDEX = 72, /* 16 slots: lm_lexindex.c */
    LM_STORE_SLOT_DOC = 88,      /* 4 slots: lm_store_scan.c (stored pairs) */
    LM_STORE_SLOT_BIBLIO = 92,   /* 16 slots: lm_store_biblio.c */
    LM_STORE_SLOT_CWATCH = 108,  /* 8 slots: lm_store_concept_watch.c */
    LM_STORE_SLOT_SERVE = 116,   /* 16 slots: lm_store_serve.c */
    LM_STORE_SLOTS = 132
};

sqlite3 *lm_store_sqlite(lm_store *s);
/* Runs the slot's query, whose ?1 is the PMID, and calls row(st, ctx) for
 * each result row until one fails; what names the rows in an error
 * (lm_store_scan.c). */
lm_status lm_store_each_row_of(lm_store *s, int slot, const char *sql, int64_t pmid,
                               lm_status (*row)(sqlite3_stmt *st, void *ctx), void *ctx,
                               const char *what, lm_error *err);
/* A watch name: 1-64 letters, digits, '-', '_' or '.' (lm_store_watch.c). */
int lm_store_watch_name_ok(const char *name);
/* The bibliographic lists of an article (authors with affiliations,
 * keywords, grants, references, MeSH qualifiers, chemicals; migration 11),
 * written with the article row and read back with it
 * (store/lm_store_biblio.c). */
lm_status lm_store_biblio_put(lm_store *s, const lm_article *a, lm_error *err);
lm_status lm_store_biblio_get(lm_store *s, int64_t pmid, lm_article *out, lm_error *err);
int lm_store_is_readonly(const lm_store *s);
/* The prepared statement of a slot, reset and unbound; NULL on failure
 * (err says why). */
sqlite3_stmt *lm_store_stmt(lm_store *s, int slot, const char *sql, lm_error *err);
/* Runs the slot's statement, which yields one integer (a count), with
 * ?1 bound to p1 when it has a parameter; *out = 0 without a row. */
lm_status lm_store_query_int(lm_store *s, int slot, const char *sql, int64_t p1, int64_t *out,
                             const char *what, lm_error *err);
/* Maps a SQLite result code to an lm_status with "<what>: <sqlite message>"
 * (busy → LM_ERR_BUSY, full → LM_ERR_DB "disk full", corrupt or not a
 * database → LM_ERR_DB, too big → LM_ERR_FORMAT). */
lm_status lm_store_fail(lm_store *s, int rc, lm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Checked binds.  Each binds only while *rc is SQLITE_OK and leaves its
 * result there, so a run of binds keeps the first failure (SQLITE_TOOBIG
 * for a value over SQLite's length limit, SQLITE_NOMEM, SQLITE_RANGE)
 * and lm_bind_step() reports it instead of running the statement with
 * that parameter left NULL.  Text binds take NULL as SQL NULL and do not
 * copy: the caller's string outlives the step. */
/* The status of a failed lm_store_stmt (its error is in err). */
static inline lm_status lm_store_stmt_err(lm_error *err)
{
    return err && err->code != LM_OK ? err->code : LM_ERR_DB;
}

static inline void lm_bind_int64(sqlite3_stmt *st, int i, int64_t v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_int64(st, i, v);
}

static inline void lm_bind_int(sqlite3_stmt *st, int i, int v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_int(st, i, v);
}

static inline void lm_bind_double(sqlite3_stmt *st, int i, double v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_double(st, i, v);
}

static inline void lm_bind_null(sqlite3_stmt *st, int i, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_null(st, i);
}

static inline void lm_bind_text(sqlite3_stmt *st, int i, const char *v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* The same, with a copy: for a string that dies before the step. */
static inline void lm_bind_text_copy(sqlite3_stmt *st, int i, const char *v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static inline void lm_bind_blob(sqlite3_stmt *st, int i, const void *v, size_t n, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_blob64(st, i, v, (sqlite3_uint64)n, SQLITE_STATIC);
}

/* Steps st when every bind succeeded; else returns the bind's code. */
static inline int lm_bind_step(sqlite3_stmt *st, int rc)
{
    return rc == SQLITE_OK ? sqlite3_step(st) : rc;
}

/* Column readers for row callbacks: text (NULL stays NULL), and an
 * integer that may be NULL. */
static inline const char *lm_col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static inline int lm_col_int_or(sqlite3_stmt *st, int i, int fallback)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? fallback : sqlite3_column_int(st, i);
}

/* The columns every article row starts with (pmid, version, title,
 * abstract) as an lm_article that borrows the row's buffers, valid until
 * the next step (the casts only drop const); empty text reads as absent. */
static inline void lm_store_article_head(sqlite3_stmt *st, lm_article *a)
{
    const char *title = lm_col_text(st, 2), *abstract = lm_col_text(st, 3);
    lm_article_init(a);
    a->pmid = sqlite3_column_int64(st, 0);
    a->version = sqlite3_column_int(st, 1);
    a->title = title && title[0] ? (char *)title : NULL;
    a->abstract = abstract && abstract[0] ? (char *)abstract : NULL;
}

/* Steps st (its binds done, brc their status as lm_bind_* left it),
 * calling row(st, ctx) for each row until one returns non-LM_OK, then
 * resets st and clears its bindings (cached statements bind afresh on
 * the next call).  A SQLite error is reported as "reading <what>". */
static inline lm_status lm_store_each_row(lm_store *s, sqlite3_stmt *st, int brc,
                                          const char *what,
                                          lm_status (*row)(sqlite3_stmt *st, void *ctx),
                                          void *ctx, lm_error *err)
{
    int rc;
    lm_status cs = LM_OK;
    while (cs == LM_OK && (rc = lm_bind_step(st, brc)) == SQLITE_ROW)
        cs = row(st, ctx);
    if (cs == LM_OK && rc != SQLITE_DONE)
        cs = lm_store_fail(s, rc, err, "reading %s", what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return cs;
}

/* The id of the relation name 'cooccurs' in `names`, fixed by migration 14
 * so that the partial index pairs_score (migration 15) and the queries that
 * use it can name it as a constant (SQL text, pasted into statements). */
#define LM_STORE_NAME_COOCCURS "4"

/* The columns of an lm_pair_row (store/lm_store_export.h) over pairs "p"
 * joined with articles "a", in its field order; the evidence sentence is
 * cut with substr(), which counts characters: the code-point convention
 * of the stored offsets.  lm_store_pair_row reads them back from column
 * `first` on. */
#define LM_STORE_PAIR_COLUMNS                                                      \
    "p.pmid, p.chemical_id, p.chemical_text, p.disease_id, p.disease_text,"        \
    " p.relation, p.score, p.evidence_start, p.evidence_end,"                      \
    " CASE WHEN p.evidence_start IS NULL THEN NULL ELSE"                           \
    "  substr(a.title || ' ' || a.abstract, p.evidence_start + 1,"                 \
    "         p.evidence_end - p.evidence_start) END"

struct lm_pair_row;
void lm_store_pair_row(sqlite3_stmt *st, int first, struct lm_pair_row *out);

/* The columns of an lm_mention_row over mentions "m", in its field
 * order, and their reader (store/lm_store_export.c). */
#define LM_STORE_MENTION_COLUMNS                                                   \
    "m.pmid, m.start, m.\"end\", m.text, m.type, m.concept_id, m.sentence,"      \
    " coalesce(m.score, 0)"

struct lm_mention_row;
void lm_store_mention_row(sqlite3_stmt *st, struct lm_mention_row *out);

/* Current UTC time as 'YYYY-MM-DDTHH:MM:SSZ'. */
const char *lm_store_now(lm_store *s);

#endif
