/*
 * lm_watch_concept: the reports of the concept watches
 * (store/lm_store_concept_watch.h), written after each nightly run — the
 * alert neither PubTator3 nor EDirect gives: "these articles stored
 * tonight mention your concept, and here is what litmine found about it".
 *
 * For each watch with something new, two files go to the report
 * directory, each written atomically (a reader never sees half a report):
 *
 *   <dir>/<watch>-<YYYYMMDDTHHMMSSZ>.csv   one row per article and matching pair
 *   <dir>/<watch>-<YYYYMMDDTHHMMSSZ>.json  the same as one object
 *
 * (columns and keys: docs/usage.md, "Concept watches").  The watch's mark
 * moves only after its files are in place, so a crash re-reports rather
 * than skips.  The caller gets one summary per watch, for the journal.
 */
#ifndef LM_WATCH_CONCEPT_H
#define LM_WATCH_CONCEPT_H

#include "../store/lm_store.h"

typedef struct lm_concept_report {
    const char *name;
    const char *concept_id, *pair_with, *relation;
    int64_t articles, pairs;
    const char *csv_path, *json_path;   /* NULL when there was nothing new */
} lm_concept_report;

/* Reports every concept watch into dir (created when missing).  on_report
 * (may be NULL) sees each watch's summary.  Needs a writable store. */
lm_status lm_concept_watches_report(lm_store *s, const char *dir,
                                    void (*on_report)(void *ctx, const lm_concept_report *r),
                                    void *ctx, lm_error *err);

#endif
