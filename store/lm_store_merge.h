/*
 * lm_store_merge: combining shard databases into one (`litmine merge`).
 *
 * A cluster ingests groups of PubMed files into separate shard databases
 * in parallel; merging them in file order must give what one sequential
 * ingest of the same files gives.  Each table of the schema has one merge
 * policy, listed once in lm_store_merge.c: a table without one makes the
 * merge refuse to run (and a unit test fail), so a new table cannot be
 * forgotten silently.
 *
 * Why versions can be applied per article.  Within a shard, the stored
 * row of a PMID is the outcome of its file sequence: present means the
 * last event was an accepted version (a DeleteCitation before it emptied
 * the slot, and deleted_pmids remembers it); absent but in deleted_pmids
 * means a DeleteCitation came last.  The store keeps the highest version
 * seen (ties replaced unless identical), so applying a shard's final row
 * onto the target with the same rule as lm_store_put_article gives the
 * same row as replaying the shard's files onto the target one by one.
 *
 * Both handles belong to the caller; shards are opened read-only.  The
 * merge itself runs inside the caller's transaction on the target, so a
 * crash or an error leaves the target as it was.
 */
#ifndef LM_STORE_MERGE_H
#define LM_STORE_MERGE_H

#include "lm_store.h"

#include <stddef.h>

typedef enum lm_merge_policy {
    LM_MERGE_ARTICLE,       /* articles: the version rule decides, per PMID */
    LM_MERGE_WITH_ARTICLE,  /* rows of one article (a pmid column): copied with it */
    LM_MERGE_DELETIONS,     /* deleted_pmids: applied to the target before the articles */
    LM_MERGE_APPEND,        /* ingest_log: the shard's rows are added */
    LM_MERGE_SAME,          /* must agree between shard and target (checked) */
    LM_MERGE_REBUILT,       /* derived from articles: the target's triggers and the
                               next index refresh rebuild it; the shard's is ignored */
    LM_MERGE_ENCODED,       /* stored form of a view listed above: merged through the view */
    LM_MERGE_TARGET         /* the target's own settings; the shard's are not merged */
} lm_merge_policy;

typedef struct lm_merge_table {
    const char *table;
    lm_merge_policy policy;
} lm_merge_table;

/* The policy of every table, in merge order; *n receives the count. */
const lm_merge_table *lm_store_merge_tables(size_t *n);

/* Calls cb for each table of s's schema that has no merge policy
 * (virtual tables' shadow tables count as their virtual table). */
lm_status lm_store_merge_unhandled(lm_store *s, lm_status (*cb)(void *ctx, const char *table),
                                   void *ctx, lm_error *err);

/* LM_ERR_USAGE, naming both, unless a and b record the same stage models
 * (table stage_models). */
lm_status lm_store_merge_same_models(lm_store *a, const char *a_name, lm_store *b,
                                     const char *b_name, lm_error *err);

/* Everything that decides whether shard can go into target, before any
 * write: no table without a policy, and every embedding model the shard's
 * vectors use present in target, identical.  LM_ERR_USAGE with a message
 * naming the shard otherwise. */
lm_status lm_store_merge_check(lm_store *target, lm_store *shard, const char *shard_name,
                               lm_error *err);

typedef struct lm_merge_counts {
    /* The shard's articles as an ingest counts them: articles in the
     * shard; inserted (PMIDs new to the target); replaced (stored articles
     * replaced by the shard's version); unchanged (same version, same
     * content: the stored row stays); older (the target holds a higher
     * version: the shard's is ignored); deleted (stored articles removed by
     * the shard's DeleteCitations).  failed and rejected stay 0: a shard
     * holds articles its ingest processed and stored already. */
    lm_ingest_counts ingest;
    int64_t log_rows;    /* ingest-log rows added */
    int64_t skipped;     /* shards skipped: every file they hold is in the target's
                            ingest log already (as ingest skips such files) */
} lm_merge_counts;

/* Applies shard onto target, unless every file in the shard's ingest log
 * is in the target's with the same name, size and checksum (merged
 * before: c->skipped is then 1); must run inside lm_store_begin/commit on the
 * target.  Counts are added to *c.  On error roll the transaction back. */
lm_status lm_store_merge_shard(lm_store *target, lm_store *shard, const char *shard_name,
                               lm_merge_counts *c, lm_error *err);

#endif
