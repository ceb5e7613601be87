/*
 * lm_store_serve: the reads `litmine serve` makes beyond the export ones —
 * a concept's profile (counts, articles per year, names found in the
 * corpus, co-mentioned concepts, its pairs), the pairs table with the
 * filters of its page, the facets of a search result, the scans the
 * server's in-memory concept index is built from, and a read snapshot so
 * that one page never sees half an ingest batch.
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
#include "../util/lm_buf.h"

/* Starts a read transaction (BEGIN; the snapshot is taken by the first
 * read) so that everything read until lm_store_read_end comes from one
 * committed state; works on a read-only connection. */
lm_status lm_store_read_begin(lm_store *s, lm_error *err);
/* Ends it (COMMIT); a no-op without one. */
void lm_store_read_end(lm_store *s);
/* SQLite's data_version of this connection: it changes when another
 * connection commits, which is how a server notices an ingest or an index
 * build finishing. */
lm_status lm_store_data_version(lm_store *s, int64_t *version, lm_error *err);
/* Sets up a read-only connection of a long-running server with several:
 * the file is memory-mapped (up to SQLite's 2 GB build limit), so the
 * connections share the OS page cache instead of each filling its own
 * 64 MiB cache with copies of the same pages; 8 MiB of cache remain for
 * what mapping does not cover (the WAL). */
lm_status lm_store_serve_tune(lm_store *s, lm_error *err);

/* ---- an article ------------------------------------------------------- */

/* One article's mentions in (start, end, type) order and its pairs
 * (relations only) by score, through the per-article indexes: what
 * lm_store_export_mentions/pairs give with f->pmid set, without their
 * optional filters, which make SQLite scan every row. */
lm_status lm_store_article_mentions(lm_store *s, int64_t pmid,
                                    lm_status (*cb)(void *ctx, const lm_mention_row *r),
                                    void *ctx, lm_error *err);
lm_status lm_store_article_pairs(lm_store *s, int64_t pmid,
                                 lm_status (*cb)(void *ctx, const lm_pair_row *r), void *ctx,
                                 lm_error *err);

/* ---- a concept -------------------------------------------------------- */

typedef struct lm_concept_summary {
    char type[32];            /* the type it is most often mentioned as */
    int64_t mentions, articles;
    int64_t pairs;            /* pairs (relations only) it takes part in */
} lm_concept_summary;

/* LM_ERR_NOTFOUND when no mention carries the id. */
lm_status lm_store_concept_summary(lm_store *s, const char *id, lm_concept_summary *out,
                                   lm_error *err);
/* The pairs (relations only) the concept takes part in: lm_concept_summary's
 * pairs alone. */
lm_status lm_store_concept_pair_count(lm_store *s, const char *id, int64_t *n, lm_error *err);
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
/* SQLite's plan for lm_store_concept_pairs, as lm_store_pairs_query_plan. */
lm_status lm_store_concept_pairs_plan(lm_store *s, lm_buf *out, lm_error *err);

/* ---- the pairs table -------------------------------------------------- */

typedef struct lm_pairs_query {
    const char *chemical;     /* a concept id (has a ':'), else a mention text
                                 (case-insensitive); NULL or "": any */
    const char *disease;
    const char *relation;     /* induces, treats, associated, cooccurs; NULL: relations */
    double min_score;         /* 0: any */
    int year_from, year_to;   /* publication years; 0: open */
    int by_year;              /* order: 0 score (best first), 1 oldest first,
                                 -1 newest first (then score) */
    int64_t offset, limit;    /* limit <= 0: all rows */
} lm_pairs_query;

typedef struct lm_pairs_query_row {
    lm_pair_row pair;
    int year;                 /* 0 unknown */
    const char *title;
} lm_pairs_query_row;

/* Rows in q->by_year's order, ties by score, then PMID.  The statement is put together
 * from fixed pieces for the filters given (values always bound), so that
 * SQLite can use the chemical and disease indexes. */
lm_status lm_store_pairs_query(lm_store *s, const lm_pairs_query *q,
                               lm_status (*cb)(void *ctx, const lm_pairs_query_row *r),
                               void *ctx, lm_error *err);
/* How many rows the query has without offset and limit. */
lm_status lm_store_pairs_query_count(lm_store *s, const lm_pairs_query *q, int64_t *n,
                                     lm_error *err);
/* SQLite's plan for the rows (count 0) or the count (count 1) of the
 * query, one line a step ("SCAN p USING INDEX pairs_score", ...), into
 * out: what tests check the indexes against. */
lm_status lm_store_pairs_query_plan(lm_store *s, const lm_pairs_query *q, int count,
                                    lm_buf *out, lm_error *err);

/* ---- the server's concept index ------------------------------------------ */

/* Every article's PMID and publication year (0 unknown), in PMID order. */
lm_status lm_store_article_years(lm_store *s,
                                 lm_status (*cb)(void *ctx, int64_t pmid, int year), void *ctx,
                                 lm_error *err);

typedef struct lm_grounded_row {
    int64_t pmid;
    const char *concept_id, *type, *text;   /* type and text "" when NULL */
} lm_grounded_row;

/* Every grounded mention (a concept id other than '' and '-'), in storage
 * order: one pass over the table, from which the server counts concepts,
 * their names, their articles and each article's concepts. */
lm_status lm_store_grounded_mentions(lm_store *s,
                                     lm_status (*cb)(void *ctx, const lm_grounded_row *r),
                                     void *ctx, lm_error *err);

/* Title + " " + abstract of one article (the text mention offsets count
 * in) into text, replacing it; *title_bytes receives the title's length.
 * LM_ERR_NOTFOUND when it is not stored. */
lm_status lm_store_article_text(lm_store *s, int64_t pmid, lm_buf *text, size_t *title_bytes,
                                lm_error *err);

/* ---- search facets ------------------------------------------------------ */

typedef struct lm_facet_row {
    int64_t pmid;
    int year;                 /* 0 unknown */
    const char *concept_id;   /* NULL on the article's own row */
    const char *type, *text;  /* the concept's type and one mention text */
} lm_facet_row;

/* For each of the n articles: one row with its year (concept_id NULL),
 * then one per distinct concept it mentions.  Two statements for any n
 * (the PMIDs go in as one JSON array), so a page's facets cost two
 * queries, not two per hit.  PMIDs not stored yield no row. */
lm_status lm_store_facets(lm_store *s, const int64_t *pmids, size_t n,
                          lm_status (*cb)(void *ctx, const lm_facet_row *r), void *ctx,
                          lm_error *err);

#endif
