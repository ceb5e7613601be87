/*
 * lm_store_concept_watch: concept watches — standing questions about what
 * litmine mines ("tell me about every new article on MESH:D003920", "...
 * where metformin is found to treat it") that each nightly run answers
 * for the articles it stored (pipeline/lm_watch_concept.h writes the
 * reports).  Names share the namespace of the saved searches (watches).
 */
#ifndef LM_STORE_CONCEPT_WATCH_H
#define LM_STORE_CONCEPT_WATCH_H

#include "lm_store.h"
#include "lm_store_export.h"

typedef struct lm_concept_watch {
    const char *name;
    const char *concept_id;       /* "MESH:D003920" */
    const char *pair_with;        /* NULL: any article mentioning the concept */
    const char *relation;         /* NULL: any relation (not mere co-occurrence) */
    const char *created_at;
    const char *reported_through; /* ingested_at of the newest article reported */
    const char *last_report_at;   /* NULL: never reported */
    int64_t last_articles, last_pairs;
} lm_concept_watch;

/* LM_ERR_USAGE when the name is taken (by either kind of watch) or an
 * argument is invalid.  The watch reports what is stored from now on. */
lm_status lm_store_concept_watch_add(lm_store *s, const char *name, const char *concept_id,
                                     const char *pair_with, const char *relation,
                                     lm_error *err);
/* *found = 1 when a concept watch of that name existed (and is gone). */
lm_status lm_store_concept_watch_remove(lm_store *s, const char *name, int *found,
                                        lm_error *err);
/* Every concept watch in name order; strings valid during the callback. */
lm_status lm_store_concept_watch_each(lm_store *s,
                                      lm_status (*cb)(void *ctx, const lm_concept_watch *w),
                                      void *ctx, lm_error *err);
/* Records a report: the new reported_through mark and its counts. */
lm_status lm_store_concept_watch_mark(lm_store *s, const char *name, const char *through,
                                      int64_t articles, int64_t pairs, lm_error *err);
/* The newest ingested_at in the database before the current second ("" when
 * there is none). */
lm_status lm_store_newest_ingest(lm_store *s, char out[32], lm_error *err);

/* What a report lists: the articles ingested after `after` and up to
 * `through` that mention the concept (with their mention count), and
 * their pairs that match the watch.  Articles in PMID order. */
typedef struct lm_concept_hit {
    int64_t pmid;
    const char *title, *journal, *ingested_at;
    int year;                     /* 0 when unknown */
    int64_t mentions;
} lm_concept_hit;

lm_status lm_store_concept_watch_articles(lm_store *s, const lm_concept_watch *w,
                                          const char *through,
                                          lm_status (*cb)(void *ctx, const lm_concept_hit *h),
                                          void *ctx, lm_error *err);
lm_status lm_store_concept_watch_pairs(lm_store *s, const lm_concept_watch *w,
                                       const char *through,
                                       lm_status (*cb)(void *ctx, const lm_pair_row *r),
                                       void *ctx, lm_error *err);

#endif
