/*
 * The watches' nightly fetch (see lm_watch_run.h).  The watches are copied
 * out of the store first: each run writes to the store, which must not
 * happen inside the store's iteration over them.
 */
#include "lm_watch_run.h"

#include "../util/lm_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct watch_copy {
    char *name, *query, *datetype, *since, *done_through;
} watch_copy;

typedef struct watch_list {
    watch_copy *v;
    size_t n, cap;
} watch_list;

static char *dup_or_null(const char *s, int *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = 0;
    return d;
}

static lm_status collect_watch(void *ctx, const lm_watch *w)
{
    watch_list *l = ctx;
    if (lm_vec_grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v) != LM_OK)
        return LM_ERR_NOMEM;
    watch_copy *c = &l->v[l->n++];
    int ok = 1;
    c->name = dup_or_null(w->name, &ok);
    c->query = dup_or_null(w->query, &ok);
    c->datetype = dup_or_null(w->datetype, &ok);
    c->since = dup_or_null(w->since, &ok);
    c->done_through = dup_or_null(w->done_through, &ok);
    return ok ? LM_OK : LM_ERR_NOMEM;
}

static void free_watches(watch_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].query);
        free(l->v[i].datetype);
        free(l->v[i].since);
        free(l->v[i].done_through);
    }
    free(l->v);
}

/* The window of watch w into oc; LM_OK with oc->up_to_date when there is
 * nothing to fetch. */
static lm_status window(const watch_copy *w, int64_t today, int first_days,
                        lm_watch_outcome *oc, lm_error *err)
{
    lm_date_format(today - 1, '/', oc->maxdate);
    if (w->done_through) {
        int64_t done;
        if (lm_date_parse(w->done_through, 0, &done, err) != LM_OK)
            return lm_error_wrap(err, "its marker");
        lm_date_format(done + 1, '/', oc->mindate);
    } else if (w->since) {
        snprintf(oc->mindate, sizeof oc->mindate, "%s", w->since);
    } else {
        lm_date_format(today - first_days, '/', oc->mindate);
    }
    oc->up_to_date = strcmp(oc->mindate, oc->maxdate) > 0;
    return LM_OK;
}

lm_status lm_watch_run_all(lm_store *store, lm_eutils *client, const lm_watch_run_options *o,
                           lm_watch_run_result *out, lm_error *err)
{
    memset(out, 0, sizeof *out);
    watch_list list = {NULL, 0, 0};
    lm_status st = lm_store_watch_each(store, collect_watch, &list, err);
    if (st != LM_OK) {
        if (st == LM_ERR_NOMEM)
            lm_error_nomem(err, "listing the watches");
        free_watches(&list);
        return st;
    }
    out->watches = list.n;
    int64_t today = o->today ? o->today : lm_date_today_at(LM_WATCH_UTC_OFFSET);
    int first_days = o->first_days > 0 ? o->first_days : 30;
    lm_status ret = LM_OK;
    for (size_t i = 0; i < list.n; i++) {
        const watch_copy *w = &list.v[i];
        lm_watch_outcome oc;
        memset(&oc, 0, sizeof oc);
        oc.name = w->name;
        oc.done_through = w->done_through;
        lm_error werr;
        lm_error_clear(&werr);
        oc.err = &werr;
        oc.status = window(w, today, first_days, &oc, &werr);
        if (oc.status != LM_OK || oc.up_to_date) {
            if (oc.status != LM_OK)
                out->failed++;
            else
                out->up_to_date++;
            if (o->on_done)
                o->on_done(o->ctx, &oc);
            continue;
        }
        if (o->on_start)
            o->on_start(o->ctx, &oc);
        lm_eutils_dates dates = {oc.mindate, oc.maxdate, LM_EUTILS_EDAT, 0};
        lm_error dt_err;
        lm_eutils_datetype_parse(w->datetype, &dates.datetype, &dt_err);
        lm_fetch_job_result res;
        oc.status = lm_fetch_job_query(store, client, w->query, &dates, 0, w->name, &o->job,
                                       &res, &werr);
        oc.res = &res;
        out->ran++;
        lm_ingest_counts_add(&out->counts, &res.counts);
        const char *status = oc.status == LM_OK                 ? "done"
                             : oc.status == LM_ERR_INTERRUPTED ? "interrupted"
                                                               : "failed";
        lm_error rec_err;
        lm_store_watch_record_run(store, w->name, status, res.counts.articles,
                                  oc.status == LM_OK ? NULL : werr.msg, &rec_err);
        if (o->on_done)
            o->on_done(o->ctx, &oc);
        free(res.warnings);
        if (oc.status == LM_OK)
            continue;
        out->failed++;
        if (oc.status == LM_ERR_INTERRUPTED || res.store_failed) {
            out->interrupted = oc.status == LM_ERR_INTERRUPTED;
            out->store_failed = res.store_failed;
            if (err)
                *err = werr;
            ret = oc.status;
            break;
        }
    }
    free_watches(&list);
    return ret;
}
