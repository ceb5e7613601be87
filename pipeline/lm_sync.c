/*
 * The bulk-file sync (see lm_sync.h): list, skip what the ingest log has,
 * download, ingest, unlink — one file at a time, in the listing's order.
 */
#include "lm_sync.h"

#include "../fetch/lm_download.h"
#include "../util/lm_buf.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static lm_status sync_dir(lm_store *store, lm_http *http, const lm_sync_options *o,
                          const char *dir, lm_sync_result *r, lm_error *err)
{
    const char *base = o->base_url;
    lm_buf url;
    lm_buf_init(&url);
    if (lm_buf_printf(&url, "%s%s%s/", base, base[strlen(base) - 1] == '/' ? "" : "/", dir) !=
        LM_OK) {
        r->failed = LM_SYNC_LIST;
        lm_buf_free(&url);
        return lm_error_nomem(err, "naming a mirror directory");
    }
    lm_download_list list;
    memset(&list, 0, sizeof list);
    lm_status st = lm_download_list_dir(http, lm_buf_cstr(&url), &list, err);
    if (st != LM_OK) {
        r->failed = LM_SYNC_LIST;
        lm_error_wrap(err, "listing %s", lm_buf_cstr(&url));
        lm_buf_free(&url);
        return st;
    }
    size_t dir_len = url.len;
    for (size_t i = 0; i < list.n && st == LM_OK; i++) {
        const char *name = list.names[i];
        int done = 0;
        st = lm_store_ingest_done(store, name, &done, err);
        if (st != LM_OK) {
            r->failed = LM_SYNC_LOG;
            break;
        }
        if (done)
            continue;
        url.len = dir_len;
        url.data[dir_len] = '\0';
        /* Unchecked, a failed append would leave the directory's URL and
         * download its listing as if it were the file. */
        if (lm_buf_append_str(&url, name) != LM_OK) {
            r->failed = LM_SYNC_DOWNLOAD;
            st = lm_error_nomem(err, "naming a bulk file");
            break;
        }
        if (o->on_download)
            o->on_download(o->ctx, lm_buf_cstr(&url));
        lm_download_result dl;
        memset(&dl, 0, sizeof dl);
        st = lm_download_file(http, lm_buf_cstr(&url), o->spool, NULL, &dl, err);
        if (st != LM_OK) {
            r->failed = LM_SYNC_DOWNLOAD;
            lm_error_wrap(err, "%s", name);
            lm_download_result_free(&dl);
            break;
        }
        lm_ingest_options io = o->ingest;
        io.force = 0;
        io.kind = "sync";
        lm_ingest_result res;
        st = lm_ingest_file(store, dl.path, &io, &res, err);
        if (st == LM_OK) {
            r->files_done++;
            r->rejected += res.counts.rejected;
            if (o->on_ingested)
                o->on_ingested(o->ctx, name, &res);
            if (!o->keep)
                unlink(dl.path);
        } else {
            r->failed = LM_SYNC_INGEST;
            r->store_failed = res.store_failed;
        }
        lm_download_result_free(&dl);
    }
    lm_download_list_free(&list);
    lm_buf_free(&url);
    return st;
}

lm_status lm_sync_run(lm_store *store, lm_http *http, const lm_sync_options *opts,
                      lm_sync_result *out, lm_error *err)
{
    memset(out, 0, sizeof *out);
    if (!opts->base_url || !*opts->base_url || !opts->spool || (!opts->baseline && !opts->updates))
        return lm_error_set(err, LM_ERR_USAGE, "sync: no base URL, spool or directory given");
    lm_status st = LM_OK;
    if (opts->baseline)
        st = sync_dir(store, http, opts, "baseline", out, err);
    if (opts->updates && st == LM_OK)
        st = sync_dir(store, http, opts, "updatefiles", out, err);
    return st;
}

lm_status lm_sync_http_config(const lm_config *cfg, lm_http_config *out, lm_error *err)
{
    memset(out, 0, sizeof *out);
    long tries, deadline_s, max_mb;
    lm_status st = lm_config_get_int(cfg, "sync", "max_tries", 5, 1, 100, &tries, err);
    if (st == LM_OK)
        st = lm_config_get_int(cfg, "sync", "deadline_s", 3600, 1, 7 * 86400, &deadline_s, err);
    if (st == LM_OK)
        st = lm_config_get_int(cfg, "sync", "max_file_mb", 1024, 1, 1 << 20, &max_mb, err);
    if (st != LM_OK)
        return st;
    out->max_tries = (int)tries;
    out->deadline_s = deadline_s;
    out->max_body_bytes = (int64_t)max_mb << 20;
    return LM_OK;
}

lm_status lm_sync_spool(const lm_config *cfg, const char *db_path, const char *flag, lm_buf *out,
                        lm_error *err)
{
    const char *dir = flag ? flag : lm_config_get(cfg, "sync", "spool_dir");
    const char *slash = strrchr(db_path, '/');
    /* A part left out would put the spool somewhere else (the current
     * directory instead of beside the database), so each is checked. */
    lm_status st = LM_OK;
    if (dir)
        st = lm_buf_append_str(out, dir);
    else if (slash)
        st = lm_buf_append(out, db_path, (size_t)(slash - db_path + 1));
    if (st == LM_OK && !dir)
        st = lm_buf_append_str(out, "litmine-spool");
    if (st != LM_OK)
        return lm_error_nomem(err, "naming the spool directory");
    if (mkdir(lm_buf_cstr(out), 0755) != 0 && errno != EEXIST)
        return lm_error_set(err, LM_ERR_IO, "cannot create spool directory %s: %s",
                            lm_buf_cstr(out), strerror(errno));
    return LM_OK;
}
