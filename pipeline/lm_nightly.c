/*
 * The nightly job (see lm_nightly.h): each step sets up what it needs
 * from the configuration, runs its workflow, and refreshes the search
 * index; maintenance and the run's totals close it.
 */
#include "lm_nightly.h"

#include "../util/lm_clock.h"
#include "lm_index.h"

#include <stdio.h>
#include <string.h>

/* The stage chain of [pipeline] stages attached to store, and the
 * settings of [pipeline] threads and [store] batch_size. */
static lm_status load_chain(const lm_config *cfg, lm_store *store, lm_stage_chain *chain,
                            int *threads, int *batch, lm_error *err)
{
    long t, b;
    lm_status st = lm_config_get_int(cfg, "pipeline", "threads", 0, 0, 64, &t, err);
    if (st == LM_OK)
        st = lm_config_get_int(cfg, "store", "batch_size", 1000, 1, 1000000, &b, err);
    if (st != LM_OK)
        return st;
    *threads = (int)t;
    *batch = (int)b;
    const char *stages = lm_config_get_or(cfg, "pipeline", "stages", LM_DEFAULT_STAGES);
    st = lm_stage_chain_init(chain, strcmp(stages, "none") != 0 ? stages : "", cfg, err);
    if (st == LM_OK) {
        st = lm_stage_chain_attach(chain, store, err);
        if (st != LM_OK)
            lm_stage_chain_free(chain);
    }
    return st;
}

static void fail(lm_nightly_step_status *s, lm_status st, int setup, const lm_error *err)
{
    s->st = st;
    s->setup = setup;
    snprintf(s->msg, sizeof s->msg, "%s", err->msg);
}

static void refresh_index(lm_store *store, lm_nightly_step_status *s)
{
    lm_error err;
    lm_search_refresh_stats stats;
    s->index_st = lm_index_refresh(store, NULL, &stats, &err);
    if (s->index_st != LM_OK)
        snprintf(s->index_msg, sizeof s->index_msg, "%s", err.msg);
}

static void run_watches(lm_store *store, const lm_config *cfg, const lm_nightly_steps *p,
                        lm_nightly_summary *out)
{
    lm_nightly_step_status *s = &out->watches;
    s->ran = 1;
    lm_error err;
    lm_eutils_config ecfg;
    lm_eutils *client = NULL;
    lm_stage_chain chain = {0};
    long first_days = 0;
    int threads = 0, batch = 0;
    lm_status st = lm_eutils_config_from(&ecfg, cfg, &err);
    if (st == LM_OK)
        st = lm_config_get_int(cfg, "eutils", "watch_first_days", 30, 1, 36500, &first_days,
                               &err);
    if (st == LM_OK) {
        ecfg.cancel = p->cancel;
        st = lm_eutils_init(&client, &ecfg, &err);
    }
    if (st == LM_OK)
        st = load_chain(cfg, store, &chain, &threads, &batch, &err);
    if (st != LM_OK) {
        fail(s, st, 1, &err);
        goto done;
    }
    lm_watch_run_options o = {
        .job = {threads, batch, &chain, p->on_warning, p->ctx, p->on_batch, p->ctx, p->cancel},
        .first_days = (int)first_days,
        .on_start = p->on_watch_start,
        .on_done = p->on_watch_done,
        .ctx = p->ctx,
    };
    st = lm_watch_run_all(store, client, &o, &out->watch_result, &err);
    if (st != LM_OK)
        fail(s, st, 0, &err);
    /* Not after a stop or a database failure, nor when the watches could
     * not even be listed. */
    if (st != LM_ERR_INTERRUPTED && !out->watch_result.store_failed &&
        !(st != LM_OK && out->watch_result.ran == 0 && out->watch_result.failed == 0))
        refresh_index(store, s);
done:
    lm_stage_chain_free(&chain);
    lm_eutils_free(client);
}

static void run_sync(lm_store *store, const lm_config *cfg, const lm_nightly_steps *p,
                     lm_nightly_summary *out)
{
    lm_nightly_step_status *s = &out->sync;
    s->ran = 1;
    lm_error err;
    lm_http_config hcfg;
    lm_http *http = NULL;
    lm_stage_chain chain = {0};
    int threads = 0, batch = 0;
    lm_buf spool;
    lm_buf_init(&spool);
    lm_status st = lm_sync_http_config(cfg, &hcfg, &err);
    if (st == LM_OK)
        st = lm_sync_spool(cfg, p->db_path ? p->db_path : "", NULL, &spool, &err);
    if (st == LM_OK) {
        hcfg.cancel = p->cancel;
        st = lm_http_init(&http, &hcfg, &err);
    }
    if (st == LM_OK)
        st = load_chain(cfg, store, &chain, &threads, &batch, &err);
    if (st != LM_OK) {
        fail(s, st, 1, &err);
        goto done;
    }
    lm_sync_options so = {
        .base_url = lm_config_get_or(cfg, "sync", "base_url", LM_SYNC_DEFAULT_URL),
        .baseline = p->sync_baseline,
        .updates = p->sync_updates,
        .spool = lm_buf_cstr(&spool),
        .ingest = {.batch_size = batch,
                   .threads = threads,
                   .chain = &chain,
                   .on_warning = p->on_warning,
                   .warning_ctx = p->ctx,
                   .cancel = p->cancel},
        .on_download = p->on_download,
        .on_ingested = p->on_ingested,
        .ctx = p->ctx,
    };
    st = lm_sync_run(store, http, &so, &out->sync_result, &err);
    if (st != LM_OK)
        fail(s, st, 0, &err);
    if (out->sync_result.files_done && st != LM_ERR_INTERRUPTED &&
        out->sync_result.failed != LM_SYNC_LOG && !out->sync_result.store_failed)
        refresh_index(store, s);
done:
    lm_stage_chain_free(&chain);
    lm_http_free(http);
    lm_buf_free(&spool);
}

static int stopped(const lm_nightly_steps *p)
{
    return lm_cancel_requested(p->cancel);
}

lm_status lm_nightly_run(lm_store *store, const lm_config *cfg, const lm_nightly_steps *p,
                         lm_nightly_summary *out, lm_error *err)
{
    memset(out, 0, sizeof *out);
    double started = lm_now_seconds();
    int64_t last_log_id = 0;
    lm_status st = lm_store_ingest_last_id(store, &last_log_id, err);
    if (st != LM_OK)
        return st;
    if (p->watches && !stopped(p)) {
        const lm_config *fresh = p->before_step ? p->before_step(p->ctx, "watches") : NULL;
        if (fresh)
            cfg = fresh;
        run_watches(store, cfg, p, out);
    }
    if ((p->sync_baseline || p->sync_updates) && !stopped(p)) {
        const lm_config *fresh = p->before_step ? p->before_step(p->ctx, "sync") : NULL;
        if (fresh)
            cfg = fresh;
        run_sync(store, cfg, p, out);
    }
    lm_error merr;
    out->maintain_st = lm_store_maintain(store, &merr);
    if (out->maintain_st != LM_OK)
        snprintf(out->maintain_msg, sizeof out->maintain_msg, "%s", merr.msg);
    if (lm_store_ingest_totals_after(store, last_log_id, &out->counts, &out->runs, &merr) !=
        LM_OK)
        out->runs = -1;
    out->seconds = lm_now_seconds() - started;
    out->stopped = stopped(p);
    return LM_OK;
}
