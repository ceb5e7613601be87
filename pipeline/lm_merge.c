/*
 * Merging shard databases (lm_merge.h).  Shards stay open read-only for
 * the whole merge: first every check, then one transaction that applies
 * them in order, so a refusal is found before the target changes and an
 * interruption rolls everything back.
 */
#include "lm_merge.h"


#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static void close_all(lm_store **stores, int n)
{
    for (int i = 0; i < n; i++)
        lm_store_close(stores[i]);
    free(stores);
}

/* Opens every shard read-only and runs every check. */
static lm_status open_and_check(lm_store *target, const char *target_path,
                                const char *const *shards, int n, lm_store **stores,
                                lm_error *err)
{
    lm_store_options ro = {.readonly = 1};
    for (int i = 0; i < n; i++) {
        if (same_file(shards[i], target_path))
            return lm_error_set(err, LM_ERR_USAGE, "%s is the merge target itself", shards[i]);
        lm_status st = lm_store_open(&stores[i], shards[i], &ro, err);
        if (st != LM_OK) {
            lm_error_wrap(err, "shard %s (shards must come from this litmine's ingest)",
                          shards[i]);
            return st == LM_ERR_NOTFOUND || st == LM_ERR_FORMAT ? LM_ERR_USAGE : st;
        }
    }
    /* The models that made the target's rows, or the first shard's when
     * the target has none yet. */
    int64_t stored = 0;
    lm_status st = lm_store_count_articles_since(target, NULL, &stored, err);
    lm_store *ref = stored > 0 ? target : stores[0];
    const char *ref_name = stored > 0 ? "the target" : shards[0];
    for (int i = 0; st == LM_OK && i < n; i++) {
        if (stores[i] != ref)
            st = lm_store_merge_same_models(ref, ref_name, stores[i], shards[i], err);
        if (st == LM_OK)
            st = lm_store_merge_check(target, stores[i], shards[i], err);
    }
    return st;
}

lm_status lm_merge_shards(lm_store *target, const char *target_path, const char *const *shards,
                          int n, const lm_merge_options *opts, lm_merge_counts *total,
                          lm_error *err)
{
    memset(total, 0, sizeof *total);
    if (n <= 0)
        return lm_error_set(err, LM_ERR_USAGE, "no shards to merge");
    lm_store **stores = calloc((size_t)n, sizeof *stores);
    if (!stores)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_status st = open_and_check(target, target_path, shards, n, stores, err);
    if (st == LM_OK)
        st = lm_store_begin(target, err);
    if (st != LM_OK) {
        close_all(stores, n);
        return st;
    }
    for (int i = 0; st == LM_OK && i < n; i++) {
        lm_merge_counts c;
        memset(&c, 0, sizeof c);
        st = lm_store_merge_shard(target, stores[i], shards[i], &c, err);
        if (st == LM_OK && lm_cancel_requested(opts->cancel))
            st = lm_error_set(err, LM_ERR_INTERRUPTED,
                              "interrupted by signal: nothing was merged");
        if (st == LM_OK) {
            lm_ingest_counts_add(&total->ingest, &c.ingest);
            total->log_rows += c.log_rows;
            total->skipped += c.skipped;
            if (opts->on_shard)
                opts->on_shard(opts->ctx, i, n, shards[i], &c);
        }
    }
    if (st == LM_OK && opts->before_commit)
        opts->before_commit(opts->ctx, total);
    if (st == LM_OK && !opts->dry_run) {
        st = lm_store_commit(target, err);
    } else {
        lm_error rb_err;
        lm_store_rollback(target, &rb_err);
    }
    close_all(stores, n);
    return st;
}
