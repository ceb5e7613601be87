/*
 * The pipeline engine.
 *
 * Design: every submitted article gets a sequence number and a slot in a
 * ring of LM_ENGINE_IN_FLIGHT items.  Workers claim sequence numbers in
 * order (next_work) but may finish out of order; the writer consumes
 * strictly in order (next_write), waiting for the slot it needs to be done.
 * The ring doubles as the bound on memory: submit waits while the ring is
 * full.  One mutex guards all shared fields — the work per article (NLP)
 * is milliseconds, the critical sections are a few instructions, so finer
 * locking would buy nothing measurable.
 *
 * The writer opens a transaction lazily at the first write and commits
 * every batch_size articles, on flush, and at the end.  If the store fails
 * (disk full, locked past the timeout) the error is kept as "fatal": the
 * writer stops writing but keeps draining the ring so that submitters and
 * workers never block forever, and every later call returns the error.
 */
#include "../util/lm_clock.h"
#include "lm_engine.h"

#include "../store/search/lm_vectors.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RING LM_ENGINE_IN_FLIGHT
#define MAX_THREADS 64
/* Items that need no stage are ready at submit.  Waking the writer for
 * each of them made one core ping-pong between the parser and the writer,
 * two context switches per article; the writer now wakes once this many
 * are waiting (or on flush, finish, or a worker finishing the item it
 * waits for).  Less than RING, so a full ring always wakes it.  A reader
 * that stalls with fewer pending (a slow pipe, the network) must not hold
 * them back, so the writer also looks every WRITER_WAKE_MS. */
#define WRITER_WAKE_BATCH 64
#define WRITER_WAKE_MS 50
_Static_assert(WRITER_WAKE_BATCH < RING, "a full ring must wake the writer");

typedef enum item_kind { ITEM_ARTICLE, ITEM_REPROCESS, ITEM_DELETE, ITEM_CALL } item_kind;

typedef struct item {
    item_kind kind;
    int done;
    int failed;
    int64_t pmid;
    unsigned replace;     /* doc parts written over the stored ones */
    lm_article article;
    lm_doc doc;
    lm_status (*call)(void *ctx, lm_store *s, lm_error *err);
    void *call_ctx;
    char warning[LM_ERROR_MSG_MAX + 64];
} item;

typedef struct worker {
    struct lm_engine *engine;
    pthread_t thread;
    void *scratch[LM_STAGE_MAX];
    double stage_seconds[LM_STAGE_MAX];   /* this worker's, read after join */
} worker;

struct lm_engine {
    lm_store *store;
    lm_engine_options opts;
    lm_stage_chain empty_chain;
    const lm_stage_chain *chain;

    pthread_mutex_t mu;
    pthread_cond_t can_submit;    /* ring has room, or fatal */
    pthread_cond_t work_ready;    /* next_work < next_seq, or stopping */
    pthread_cond_t result_ready;  /* slot next_write is done, or flush/stop */
    pthread_cond_t flushed;       /* committed_seq advanced */

    item *slots[RING];
    uint64_t next_seq;            /* next number submit hands out */
    uint64_t next_work;           /* next number a worker claims */
    uint64_t next_write;          /* next number the writer writes */
    uint64_t flush_target;        /* writer commits once next_write reaches it */
    uint64_t committed_seq;       /* every seq below is committed */
    int stopping;
    int abandon;
    /* Who sleeps on which condition: a signal nobody waits for still costs
     * a futex call per article, which dominated store-only ingestion. */
    int idle_workers;
    int writer_waiting;
    int submitter_waiting;

    lm_status fatal;
    lm_error fatal_err;
    lm_ingest_counts counts;          /* published copy, under mu */
    lm_ingest_counts writer_counts;   /* the writer's own, lock-free */
    lm_ingest_counts committed_counts; /* writer_counts at the last commit */
    int in_transaction;
    int in_batch;
    double write_seconds;         /* writer thread only */

    worker *workers;
    int n_workers;
    pthread_t writer;
    int writer_started;
};

static void item_free(item *it)
{
    lm_article_free(&it->article);
    lm_doc_free(&it->doc);
    free(it);
}

/* ---- workers ---------------------------------------------------------- */

static void run_stages(worker *w, item *it)
{
    const lm_stage_chain *chain = w->engine->chain;
    lm_error err;
    int failed = -1;
    lm_status st = lm_stage_chain_run(chain, w->scratch, &it->article, &it->doc,
                                      w->stage_seconds, &failed, &err);
    if (st != LM_OK && failed >= 0)
        snprintf(it->warning, sizeof it->warning, "PMID %lld: stage %s: %s",
                 (long long)it->article.pmid, chain->ops[failed]->name, err.msg);
    if (st != LM_OK) {
        if (!it->warning[0])
            snprintf(it->warning, sizeof it->warning, "PMID %lld: %s",
                     (long long)it->article.pmid, err.msg);
        it->failed = 1;
        /* Partial annotations would look complete in the store: drop them
         * and let `litmine reprocess` retry the article later. */
        lm_doc_free(&it->doc);
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    lm_engine *e = w->engine;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        for (;;) {
            /* Items that need no stage (deletions, calls, a store-only
             * chain) were marked done at submit: step over them — the
             * writer may even have written and freed them already. */
            if (e->next_work < e->next_write)
                e->next_work = e->next_write;
            while (e->next_work < e->next_seq && e->slots[e->next_work % RING]->done)
                e->next_work++;
            if (e->next_work < e->next_seq || e->stopping || e->abandon)
                break;
            e->idle_workers++;
            pthread_cond_wait(&e->work_ready, &e->mu);
            e->idle_workers--;
        }
        if (e->abandon || (e->stopping && e->next_work == e->next_seq)) {
            pthread_mutex_unlock(&e->mu);
            return NULL;
        }
        uint64_t seq = e->next_work++;
        item *it = e->slots[seq % RING];
        pthread_mutex_unlock(&e->mu);

        run_stages(w, it);

        pthread_mutex_lock(&e->mu);
        it->done = 1;
        if (seq == e->next_write && e->writer_waiting)
            pthread_cond_signal(&e->result_ready);
        pthread_mutex_unlock(&e->mu);
    }
}

/* ---- writer ----------------------------------------------------------- */

static lm_status commit_open(lm_engine *e, lm_error *err)
{
    if (!e->in_transaction)
        return LM_OK;
    e->in_transaction = 0;
    e->in_batch = 0;
    lm_status st = lm_store_commit(e->store, err);
    if (st == LM_OK)
        e->committed_counts = e->writer_counts;
    return st;
}

/* An article the store refused as it is (a value over SQLite's length
 * limit) is bad input, not a database failure: it is reported and
 * counted, nothing of it was written, and the batch goes on. */
static void reject_article(lm_engine *e, const item *it, const lm_error *why)
{
    e->writer_counts.rejected++;
    if (e->opts.on_warning) {
        char msg[LM_ERROR_MSG_MAX + 64];
        snprintf(msg, sizeof msg, "PMID %lld not stored: %s", (long long)it->article.pmid,
                 why->msg);
        e->opts.on_warning(e->opts.warning_ctx, msg);
    }
}

static lm_status write_item(lm_engine *e, item *it, lm_error *err)
{
    lm_status st = LM_OK;
    if (!e->in_transaction) {
        st = lm_store_begin(e->store, err);
        if (st != LM_OK)
            return st;
        e->in_transaction = 1;
    }
    int write_doc = 0;
    switch (it->kind) {
    case ITEM_DELETE: {
        int deleted = 0;
        st = lm_store_delete_article(e->store, it->pmid, &deleted, err);
        e->writer_counts.deleted += deleted;
        break;
    }
    case ITEM_ARTICLE: {
        lm_put_result r;
        st = lm_store_put_article(e->store, &it->article, e->opts.source, &r, err);
        if (st == LM_ERR_FORMAT) {
            reject_article(e, it, err);
            return LM_OK;
        }
        if (st != LM_OK)
            break;
        e->writer_counts.articles++;
        switch (r) {
        case LM_PUT_INSERTED: e->writer_counts.inserted++; write_doc = 1; break;
        case LM_PUT_REPLACED: e->writer_counts.replaced++; write_doc = 1; break;
        case LM_PUT_UNCHANGED: e->writer_counts.unchanged++; break;
        case LM_PUT_OLDER: e->writer_counts.older++; break;
        }
        break;
    }
    case ITEM_REPROCESS:
        e->writer_counts.articles++;
        write_doc = 1;
        break;
    case ITEM_CALL:
        return it->call(it->call_ctx, e->store, err);
    }
    unsigned rows = it->replace & ~(unsigned)LM_DOC_VECTOR;
    if (st == LM_OK && write_doc && rows && e->chain->n > 0 && !it->failed)
        st = lm_store_put_doc(e->store, it->article.pmid, &it->doc, rows, err);
    if (st == LM_OK && write_doc && it->doc.vector && (it->replace & LM_DOC_VECTOR) &&
        !it->failed)
        st = lm_vec_put(e->store, it->doc.vector_model, it->article.pmid, LM_VEC_DEFAULT,
                        it->doc.vector, it->doc.vector_dim, err);
    if (st == LM_OK && it->failed) {
        e->writer_counts.failed++;
        if (e->opts.on_warning)
            e->opts.on_warning(e->opts.warning_ctx, it->warning);
    }
    if (st == LM_OK && ++e->in_batch >= e->opts.batch_size)
        st = commit_open(e, err);
    return st;
}

/* Records the first fatal store error; later items are drained unwritten. */
static void set_fatal(lm_engine *e, const lm_error *err)
{
    if (e->fatal != LM_OK)
        return;
    e->fatal = err->code;
    e->fatal_err = *err;
    /* What the rollback undoes was never stored: count only what is. */
    e->writer_counts = e->committed_counts;
    lm_error ignored;
    if (e->in_transaction)
        lm_store_rollback(e->store, &ignored);
    e->in_transaction = 0;
    pthread_cond_broadcast(&e->can_submit);
    pthread_cond_broadcast(&e->flushed);
}

static void *writer_main(void *arg)
{
    lm_engine *e = arg;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        item *it = e->slots[e->next_write % RING];
        int ready = e->next_write < e->next_seq && it && it->done;
        if (!ready) {
            int drained = e->next_write == e->next_seq;
            if ((drained && (e->flush_target > e->committed_seq || e->stopping)) ||
                e->abandon) {
                /* Everything asked for is written: make it durable. */
                pthread_mutex_unlock(&e->mu);
                lm_error err;
                lm_status st = e->fatal == LM_OK ? commit_open(e, &err) : LM_OK;
                pthread_mutex_lock(&e->mu);
                if (st != LM_OK)
                    set_fatal(e, &err);
                e->committed_seq = e->next_write;
                pthread_cond_broadcast(&e->flushed);
                if (e->stopping || e->abandon)
                    break;
                continue;
            }
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_nsec += WRITER_WAKE_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            e->writer_waiting = 1;
            pthread_cond_timedwait(&e->result_ready, &e->mu, &until);
            e->writer_waiting = 0;
            continue;
        }
        pthread_mutex_unlock(&e->mu);
        if (e->fatal == LM_OK) {
            lm_error err;
            double t0 = lm_now_seconds();
            lm_status wst = write_item(e, it, &err);
            e->write_seconds += lm_now_seconds() - t0;
            if (wst != LM_OK) {
                pthread_mutex_lock(&e->mu);
                set_fatal(e, &err);
                pthread_mutex_unlock(&e->mu);
            }
        }
        /* Detach the item and publish the counts under the lock; free it
         * after: a worker stepping over done items reads slots[] from
         * next_write on, so it must never see a freed item there. */
        pthread_mutex_lock(&e->mu);
        e->slots[e->next_write % RING] = NULL;
        e->next_write++;
        e->counts = e->writer_counts;
        if (e->submitter_waiting)
            pthread_cond_broadcast(&e->can_submit);
        pthread_mutex_unlock(&e->mu);
        item_free(it);
        pthread_mutex_lock(&e->mu);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

/* ---- public API ------------------------------------------------------- */

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

static void free_workers(lm_engine *e)
{
    for (int i = 0; i < e->n_workers; i++)
        for (int s = 0; s < e->chain->n; s++)
            if (e->workers[i].scratch[s])
                e->chain->ops[s]->scratch_free(e->workers[i].scratch[s]);
    free(e->workers);
}

lm_status lm_engine_start(lm_engine **out, lm_store *store, const lm_engine_options *opts,
                          lm_error *err)
{
    lm_engine *e = calloc(1, sizeof *e);
    if (!e)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    e->store = store;
    e->opts = *opts;
    if (e->opts.batch_size <= 0)
        e->opts.batch_size = 1000;
    e->n_workers = opts->threads > 0 ? (opts->threads > MAX_THREADS ? MAX_THREADS : opts->threads)
                                     : online_cpus();
    e->chain = opts->chain ? opts->chain : &e->empty_chain;
    /* Before any row: a database records every model that wrote to it. */
    for (int s = 0; s < e->chain->n; s++) {
        if (!e->chain->model[s][0])
            continue;
        lm_status st = lm_store_note_stage_model(store, e->chain->ops[s]->name,
                                                 e->chain->model[s], err);
        if (st != LM_OK) {
            free(e);
            return st;
        }
    }
    e->workers = calloc((size_t)e->n_workers, sizeof *e->workers);
    if (!e->workers) {
        free(e);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < e->n_workers; i++) {
        e->workers[i].engine = e;
        for (int s = 0; s < e->chain->n; s++) {
            lm_status st = e->chain->ops[s]->scratch_init(e->chain->state[s],
                                                          &e->workers[i].scratch[s], err);
            if (st != LM_OK) {
                free_workers(e);
                free(e);
                return st;
            }
        }
    }
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->can_submit, NULL);
    pthread_cond_init(&e->work_ready, NULL);
    pthread_condattr_t monotonic;
    pthread_condattr_init(&monotonic);
    pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
    pthread_cond_init(&e->result_ready, &monotonic);
    pthread_condattr_destroy(&monotonic);
    pthread_cond_init(&e->flushed, NULL);

    int started = 0;
    for (; started < e->n_workers; started++)
        if (pthread_create(&e->workers[started].thread, NULL, worker_main, &e->workers[started]))
            break;
    if (started == e->n_workers && pthread_create(&e->writer, NULL, writer_main, e) == 0)
        e->writer_started = 1;
    if (!e->writer_started) {
        pthread_mutex_lock(&e->mu);
        e->abandon = 1;
        pthread_cond_broadcast(&e->work_ready);
        pthread_mutex_unlock(&e->mu);
        for (int i = 0; i < started; i++)
            pthread_join(e->workers[i].thread, NULL);
        free_workers(e);
        free(e);
        return lm_error_set(err, LM_ERR_NOMEM, "cannot start pipeline threads");
    }
    *out = e;
    return LM_OK;
}

static lm_status submit(lm_engine *e, item *it, lm_error *err)
{
    /* Nothing for the workers to do: the writer can take it as is. */
    it->done = !((it->kind == ITEM_ARTICLE || it->kind == ITEM_REPROCESS) && e->chain->n > 0);
    pthread_mutex_lock(&e->mu);
    while (e->next_seq - e->next_write >= RING && e->fatal == LM_OK) {
        e->submitter_waiting++;
        pthread_cond_wait(&e->can_submit, &e->mu);
        e->submitter_waiting--;
    }
    if (e->fatal != LM_OK) {
        *err = e->fatal_err;
        lm_status st = e->fatal;
        pthread_mutex_unlock(&e->mu);
        item_free(it);
        return st;
    }
    e->slots[e->next_seq % RING] = it;
    e->next_seq++;
    if (!it->done && e->idle_workers)
        pthread_cond_signal(&e->work_ready);
    if (e->writer_waiting && e->slots[e->next_write % RING]->done &&
        e->next_seq - e->next_write >= WRITER_WAKE_BATCH)
        pthread_cond_signal(&e->result_ready);
    pthread_mutex_unlock(&e->mu);
    return LM_OK;
}

static item *new_item(item_kind kind, lm_error *err)
{
    item *it = calloc(1, sizeof *it);
    if (!it) {
        lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    it->kind = kind;
    lm_article_init(&it->article);
    lm_doc_init(&it->doc);
    return it;
}

static lm_status submit_article(lm_engine *e, item_kind kind, lm_article *a, lm_doc *stored,
                                unsigned replace, lm_error *err)
{
    item *it = new_item(kind, err);
    if (!it) {
        lm_article_free(a);
        if (stored)
            lm_doc_free(stored);
        return LM_ERR_NOMEM;
    }
    it->article = *a;   /* move: the item owns the strings now */
    it->pmid = a->pmid;
    it->replace = replace;
    lm_article_init(a);
    if (stored) {
        it->doc = *stored;
        lm_doc_init(stored);
    }
    return submit(e, it, err);
}

lm_status lm_engine_submit(lm_engine *e, lm_article *article, lm_error *err)
{
    /* A new or replaced article has no derived rows left (they go with
     * the old row): it gets all the chain produces. */
    return submit_article(e, ITEM_ARTICLE, article, NULL, LM_DOC_ALL, err);
}

lm_status lm_engine_submit_reprocess(lm_engine *e, lm_article *article, lm_doc *stored,
                                     unsigned replace, lm_error *err)
{
    return submit_article(e, ITEM_REPROCESS, article, stored, replace, err);
}

lm_status lm_engine_submit_delete(lm_engine *e, int64_t pmid, lm_error *err)
{
    item *it = new_item(ITEM_DELETE, err);
    if (!it)
        return LM_ERR_NOMEM;
    it->pmid = pmid;
    return submit(e, it, err);
}

lm_status lm_engine_submit_call(lm_engine *e,
                                lm_status (*fn)(void *ctx, lm_store *s, lm_error *err),
                                void *ctx, lm_error *err)
{
    item *it = new_item(ITEM_CALL, err);
    if (!it)
        return LM_ERR_NOMEM;
    it->call = fn;
    it->call_ctx = ctx;
    return submit(e, it, err);
}

lm_status lm_engine_flush(lm_engine *e, lm_error *err)
{
    pthread_mutex_lock(&e->mu);
    uint64_t target = e->next_seq;
    if (target > e->flush_target)
        e->flush_target = target;
    pthread_cond_signal(&e->result_ready);
    while (e->committed_seq < target && e->fatal == LM_OK)
        pthread_cond_wait(&e->flushed, &e->mu);
    lm_status st = e->fatal;
    if (st != LM_OK)
        *err = e->fatal_err;
    pthread_mutex_unlock(&e->mu);
    return st;
}

void lm_engine_counts(lm_engine *e, lm_ingest_counts *out)
{
    pthread_mutex_lock(&e->mu);
    *out = e->counts;
    pthread_mutex_unlock(&e->mu);
}

lm_status lm_engine_finish(lm_engine *e, int abandon, lm_ingest_counts *counts,
                           lm_error *err)
{
    pthread_mutex_lock(&e->mu);
    e->stopping = 1;
    if (abandon)
        e->abandon = 1;
    pthread_cond_broadcast(&e->work_ready);
    pthread_cond_broadcast(&e->result_ready);
    pthread_mutex_unlock(&e->mu);
    for (int i = 0; i < e->n_workers; i++)
        pthread_join(e->workers[i].thread, NULL);
    pthread_mutex_lock(&e->mu);
    pthread_cond_broadcast(&e->result_ready);
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->writer, NULL);

    /* Abandoned items never reached the writer. */
    for (uint64_t s = e->next_write; s < e->next_seq; s++)
        if (e->slots[s % RING])
            item_free(e->slots[s % RING]);
    lm_status st = e->fatal;
    if (st != LM_OK)
        *err = e->fatal_err;
    if (counts)
        *counts = e->writer_counts;   /* the writer has exited */
    if (e->opts.timing) {
        for (int i = 0; i < e->n_workers; i++)
            for (int s = 0; s < e->chain->n; s++)
                e->opts.timing->stage_seconds[s] += e->workers[i].stage_seconds[s];
        e->opts.timing->write_seconds += e->write_seconds;
    }
    free_workers(e);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->can_submit);
    pthread_cond_destroy(&e->work_ready);
    pthread_cond_destroy(&e->result_ready);
    pthread_cond_destroy(&e->flushed);
    free(e);
    return st;
}
