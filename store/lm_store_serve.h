/*
 * lm_store_serve: the reads `litmine serve` makes beyond the export ones —
 * a concept's profile (counts, articles per year, names found in the
 * corpus, co-mentioned concepts, its pairs), the pairs table with the
 * filters of its page, the facets of a search result, the autocomplete
 * list, and a read snapshot so that one page never sees half an ingest
 * batch.
 *
 * Like the export reads, every function streams rows to a callback (valid
 * during the call) from a prepared statement cached on the connection, so
 * a server thread that owns one read-only connection pays for parsing SQL
 * once.
 */
#ifndef LM_STORE_SERVE_H
#define LM_STORE_SERVE_H

#include "lm_store.h"
#include "lm_store_export.h"

/* Starts a read transaction (BEGIN; the snapshot is taken by the first
 * read) so that everything read until lm_store_read_end comes from one
 * committed state; works on a read-only connection. */
lm_status lm_store_read_begin(lm_store *s, lm_error *err);
/* Ends it (COMMIT); a no-op without one. */
void lm_store_read_end(lm_store *s);

/* ---- a concept -------------------------------------------------------- */

typedef struct lm_concept_summary {
    char type[32];            /* the type it is most often mentioned as */
    int64_t mentions, articles;
    int64_t pairs;            /* pairs (relations only) it takes part in */
} lm_concept_summary;

/* LM_ERR_NOTFOUND when no mention carries the id. */
lm_status lm_store_concept_summary(lm_store *s, const char *id, lm_concept_summary *out,
                                   lm_error *err);
/* Articles mentioning the concept per publication year (year 0: unknown),
 * in year order. */
lm_status lm_store_concept_years(lm_store *s, const char *id,
                                 lm_status (*cb)(void *ctx, int year, int64_t articles),
                                 void *ctx, lm_error *err);
/* The texts it is mentioned by, most frequent first (case folded by
 * SQLite's NOCASE: ASCII only). */
lm_status lm_store_concept_names(lm_store *s, const char *id, int limit,
                                 lm_status (*cb)(void *ctx, const char *text, int64_t n),
                                 void *ctx, lm_error *err);

typedef struct lm_comention_row {
    const char *concept_id, *type;
    const char *text;         /* one of its mention texts */
    int64_t articles;         /* articles mentioning both */
} lm_comention_row;

/* Concepts mentioned in the same articles, most shared articles first. */
lm_status lm_store_concept_comentions(lm_store *s, const char *id, int limit,
                                      lm_status (*cb)(void *ctx, const lm_comention_row *r),
                                      void *ctx, lm_error *err);

typedef struct lm_pair_count_row {
    const char *chemical_id, *chemical_text, *disease_id, *disease_text, *relation;
    int64_t articles;
    double max_score;
    int first_year;           /* 0 unknown */
} lm_pair_count_row;

/* The pairs (relations only) the concept takes part in, as chemical or as
 * disease, grouped by (chemical, disease, relation), most articles first. */
lm_status lm_store_concept_pairs(lm_store *s, const char *id, int limit,
                                 lm_status (*cb)(void *ctx, const lm_pair_count_row *r),
                                 void *ctx, lm_error *err);

/* ---- the pairs table -------------------------------------------------- */

typedef struct lm_pairs_query {
    const char *chemical;     /* concept id, or mention text (case-insensitive); NULL any */
    const char *disease;
    const char *relation;     /* induces, treats, associated, cooccurs; NULL: relations */
    double min_score;         /* 0: any */
    int year_from, year_to;   /* publication years; 0: open */
    int64_t offset, limit;    /* limit <= 0: all rows */
} lm_pairs_query;

typedef struct lm_pairs_query_row {
    lm_pair_row pair;
    int year;                 /* 0 unknown */
    const char *title;
} lm_pairs_query_row;

/* Rows by score descending, then PMID. */
lm_status lm_store_pairs_query(lm_store *s, const lm_pairs_query *q,
                               lm_status (*cb)(void *ctx, const lm_pairs_query_row *r),
                               void *ctx, lm_error *err);
/* How many rows the query has without offset and limit. */
lm_status lm_store_pairs_query_count(lm_store *s, const lm_pairs_query *q, int64_t *n,
                                     lm_error *err);

/* ---- search facets ------------------------------------------------------ */

/* One article's publication year (0 unknown, LM_ERR_NOTFOUND when absent)
 * and, when cb is given, its distinct concepts with one mention text
 * each. */
lm_status lm_store_article_facets(lm_store *s, int64_t pmid, int *year,
                                  lm_status (*cb)(void *ctx, const char *concept_id,
                                                  const char *type, const char *text),
                                  void *ctx, lm_error *err);

#endif
