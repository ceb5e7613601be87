/*
 * lm_store_export: streaming reads of the NLP results for exports —
 * mentions, concepts (aggregated per concept) and chemical–disease pairs,
 * with the filters `litmine export` offers.  Rows are handed to a callback
 * one at a time (valid during the call), straight from a SQLite cursor, so
 * any number of rows streams in constant memory.
 */
#ifndef LM_STORE_EXPORT_H
#define LM_STORE_EXPORT_H

#include "lm_store.h"

typedef struct lm_export_filter {
    const char *type;         /* mentions/concepts of this type (Chemical, ...) */
    const char *concept;      /* this concept id (pairs: as chemical or disease) */
    const char *since;        /* articles ingested on or after, "YYYY-MM-DD" */
    const char *words;        /* articles whose title or abstract holds every
                                 word, as the lexical index matches words
                                 (lm_lexindex_match_all); LM_ERR_USAGE when
                                 it holds no word */
    double min_score;         /* rows scoring below are skipped */
    int has_min_score;
    int64_t pmid;             /* this article only (0: all) */
    const int64_t *pmids;     /* with pmid: only these articles (NULL: all; */
    size_t n_pmids;           /*   an empty list matches none) */
    int year_from, year_to;   /* publication years, inclusive (0: open) */
    int all_candidates;       /* pairs: also the candidates only co-occurring
                                 (relation "cooccurs"), left out by default */
} lm_export_filter;

typedef struct lm_mention_row {
    int64_t pmid;
    int start, end;           /* code points into title + " " + abstract */
    const char *text, *type, *concept_id;   /* concept_id may be NULL */
    int sentence;             /* -1 when unknown */
    double score;
} lm_mention_row;

typedef struct lm_pair_row {
    int64_t pmid;
    const char *chemical_id, *chemical_text, *disease_id, *disease_text, *relation;
    double score;
    int evidence_start, evidence_end;   /* -1 when no evidence sentence */
    const char *evidence;               /* NULL when none */
} lm_pair_row;

typedef struct lm_concept_row {
    const char *concept_id, *type;
    const char *name;         /* its most frequent mention text */
    int64_t mentions, articles;
    int first_year, last_year;   /* 0 when unknown */
} lm_concept_row;

/* Mentions in (pmid, start) order. */
lm_status lm_store_export_mentions(lm_store *s, const lm_export_filter *f,
                                   lm_status (*cb)(void *ctx, const lm_mention_row *r),
                                   void *ctx, lm_error *err);
/* Pairs in (pmid, score descending) order; type unused.  Relations only
 * (induces, treats, associated) unless f->all_candidates. */
lm_status lm_store_export_pairs(lm_store *s, const lm_export_filter *f,
                                lm_status (*cb)(void *ctx, const lm_pair_row *r), void *ctx,
                                lm_error *err);
/* One row per (concept id, type) with an id, most mentioned first. */
lm_status lm_store_export_concepts(lm_store *s, const lm_export_filter *f,
                                   lm_status (*cb)(void *ctx, const lm_concept_row *r),
                                   void *ctx, lm_error *err);
/* Articles (pmid order) passing the since / year / pmid / words
 * filters, and with a mention of the type / concept when those are set
 * (min_score unused).  The callback may load the article's other rows
 * (lm_store_get_article, lm_store_get_doc). */
lm_status lm_store_export_articles(lm_store *s, const lm_export_filter *f,
                                   lm_status (*cb)(void *ctx, const lm_article *a), void *ctx,
                                   lm_error *err);

#endif
