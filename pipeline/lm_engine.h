/*
 * lm_engine: the threaded pipeline — reader → workers → one writer.
 *
 * The caller (the reader: XML parser, E-utilities client, or a scan of
 * stored articles) submits articles in order.  A fixed pool of worker
 * threads runs the stage chain on each; a single writer thread owns the
 * store and writes results in submission order, committing every
 * batch_size articles.  Writing in submission order is what makes the
 * database identical for any thread count.
 *
 * Backpressure: at most LM_ENGINE_IN_FLIGHT articles are between submit and
 * write at any time; submit blocks beyond that, so memory stays bounded
 * whatever the input size.
 *
 * While an engine runs, its writer thread is the only user of the store.
 * An article the store refuses as it is (a value over SQLite's length
 * limit) is reported, counted as rejected and skipped; any other store
 * error is fatal: the open batch is rolled back and the counts are those
 * of the last commit.
 */
#ifndef LM_ENGINE_H
#define LM_ENGINE_H

#include "../store/lm_store.h"
#include "lm_stage.h"

#define LM_ENGINE_IN_FLIGHT 512

typedef struct lm_engine lm_engine;

typedef struct lm_engine_options {
    int threads;                    /* workers; <= 0 → online CPUs */
    int batch_size;                 /* articles per transaction; <= 0 → 1000 */
    const lm_stage_chain *chain;    /* may be empty or NULL: store articles only */
    const char *source;             /* recorded with each article */
    /* Receives one line per article a stage failed on (with its PMID);
     * called from the writer thread.  May be NULL. */
    void (*on_warning)(void *ctx, const char *msg);
    void *warning_ctx;
    /* When set, lm_engine_finish() adds the time spent in each stage
     * (summed over workers, seconds) and in the writer. */
    struct lm_engine_timing *timing;
} lm_engine_options;

typedef struct lm_engine_timing {
    double stage_seconds[LM_STAGE_MAX];
    double write_seconds;
} lm_engine_timing;

lm_status lm_engine_start(lm_engine **out, lm_store *store, const lm_engine_options *opts,
                          lm_error *err);

/* Hands an article to the pipeline; the engine takes ownership of its
 * contents (the caller's struct is re-initialised). */
lm_status lm_engine_submit(lm_engine *e, lm_article *article, lm_error *err);
/* Annotates an article already stored (reprocessing after a model
 * update): the chain starts from stored (may be NULL; moved in), which
 * holds the stored parts its stages read but do not produce, and the
 * parts in replace (enum lm_doc_part) are written over the stored ones;
 * every other derived row stays as it is.  An article a stage fails on
 * keeps all its stored rows. */
lm_status lm_engine_submit_reprocess(lm_engine *e, lm_article *article, lm_doc *stored,
                                     unsigned replace, lm_error *err);
lm_status lm_engine_submit_delete(lm_engine *e, int64_t pmid, lm_error *err);

/* Runs fn on the writer thread, in submission order and inside the same
 * transaction as the articles around it — e.g. to record a watch's
 * progress atomically with the batch it describes.  ctx must stay valid
 * until a later lm_engine_flush() or lm_engine_finish() returns.  An error
 * from fn is fatal for the engine. */
lm_status lm_engine_submit_call(lm_engine *e,
                                lm_status (*fn)(void *ctx, lm_store *s, lm_error *err),
                                void *ctx, lm_error *err);

/* Waits until everything submitted is written and committed. */
lm_status lm_engine_flush(lm_engine *e, lm_error *err);

/* Counts so far (safe to call from the submitting thread). */
void lm_engine_counts(lm_engine *e, lm_ingest_counts *out);

/* Flushes (unless abandon is set: then the open batch is still committed
 * but queued work is dropped), stops the threads and frees the engine.
 * Returns the first fatal error, if any. */
lm_status lm_engine_finish(lm_engine *e, int abandon, lm_ingest_counts *counts,
                           lm_error *err);

#endif
