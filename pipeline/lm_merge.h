/*
 * lm_merge: the `litmine merge` workflow — shard databases, each written
 * by the full NLP chain over a group of PubMed files (one cluster job per
 * group), combined into one database in file order.
 *
 * Everything that could make the result differ from one sequential
 * ingest of the same files is refused before anything is written: a
 * shard of another schema version (opened read-only, so never upgraded
 * behind the user's back), annotations made by other models than the
 * target's (or, for a target without articles, the first shard's), and
 * vectors of an embedding model the target lacks.  Then all shards are
 * applied in one transaction on the target (store/lm_store_merge.h): a
 * crash, a kill -9 or an error leaves the target as it was.  Before the
 * commit the caller is told what will be replaced and deleted.
 */
#ifndef LM_MERGE_H
#define LM_MERGE_H

#include "../store/lm_store_merge.h"
#include "../util/lm_cancel.h"

typedef struct lm_merge_options {
    int dry_run;   /* do everything, then roll back */
    /* After each shard is applied, with its counts; may be NULL. */
    void (*on_shard)(void *ctx, int index, int n, const char *name, const lm_merge_counts *c);
    /* Once every shard is applied, before the commit (or the dry run's
     * rollback), with the totals; may be NULL. */
    void (*before_commit)(void *ctx, const lm_merge_counts *total);
    void *ctx;
    const lm_cancel *cancel; /* polled between shards; may be NULL */
} lm_merge_options;

/* Merges shards[0..n) (paths, in file order) into target (open for
 * writing, outside a transaction).  LM_ERR_USAGE when a shard is refused
 * (the message names it and why), LM_ERR_INTERRUPTED on a stop signal
 * (nothing written), or the store's error; the target is unchanged
 * unless LM_OK is returned. */
lm_status lm_merge_shards(lm_store *target, const char *target_path, const char *const *shards,
                          int n, const lm_merge_options *opts, lm_merge_counts *total,
                          lm_error *err);

#endif
