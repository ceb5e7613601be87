/*
 * Single-source ingestion: the PubMed parser feeds lm_engine.  The parser
 * runs on the calling thread and is the pipeline's reader; each article
 * it hands us is moved (not copied) into the engine, which owns it from
 * then on.  Deletions from update files travel through the same ordered
 * stream so that a file's effects apply in order.
 */
#include "../util/lm_clock.h"
#include "lm_ingest.h"

#include "../util/lm_digest.h"
#include "lm_engine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct ingest_ctx {
    lm_engine *engine;
    int engine_failed;   /* the engine reported a store error */
    const lm_ingest_options *opts;
} ingest_ctx;

/* A bad article the parser skipped: reported like a failed one. */
static void on_reject(void *ctx, const char *msg)
{
    ingest_ctx *c = ctx;
    if (c->opts->on_warning)
        c->opts->on_warning(c->opts->warning_ctx, msg);
}

static lm_status on_article(void *ctx, lm_article *a, lm_error *err)
{
    ingest_ctx *c = ctx;
    if (lm_cancel_requested(c->opts->cancel))
        return lm_error_set(err, LM_ERR_INTERRUPTED, "interrupted by signal");
    lm_status st = lm_engine_submit(c->engine, a, err);   /* moves it */
    if (st != LM_OK)
        c->engine_failed = 1;
    return st;
}

static lm_status on_delete(void *ctx, int64_t pmid, lm_error *err)
{
    ingest_ctx *c = ctx;
    lm_status st = lm_engine_submit_delete(c->engine, pmid, err);
    if (st != LM_OK)
        c->engine_failed = 1;
    return st;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Sets *already when a completed ingest of the same bytes exists.  The
 * name+size lookup is free; only a candidate match costs a pass over the
 * file, with the algorithm the logged row has (XXH3-128, or MD5 for rows
 * logged before litmine switched). */
static lm_status check_already_ingested(lm_store *store, const char *path,
                                        const char *source, int64_t size, int *already,
                                        int *store_failed, lm_error *err)
{
    int found = 0;
    lm_file_digest logged;
    *already = 0;
    lm_status st = lm_store_ingest_lookup(store, source, size, &found, &logged, err);
    if (st != LM_OK)
        *store_failed = 1;
    if (st != LM_OK || !found)
        return st;
    lm_file_digest now;
    int use_xxh = logged.xxh128[0] != '\0';
    st = lm_digest_file(path, use_xxh ? LM_DIGEST_XXH128 : LM_DIGEST_MD5, &now, err);
    if (st == LM_OK)
        *already = use_xxh ? strcmp(now.xxh128, logged.xxh128) == 0
                           : strcmp(now.md5, logged.md5) == 0;
    return st;
}

lm_status lm_ingest_file(lm_store *store, const char *path,
                         const lm_ingest_options *opts, lm_ingest_result *result,
                         lm_error *err)
{
    memset(result, 0, sizeof *result);
    double started = lm_now_seconds();
    int is_stdin = strcmp(path, "-") == 0;
    const char *source = is_stdin ? "stdin" : base_name(path);
    int64_t size = -1;
    if (!is_stdin) {
        struct stat sb;
        if (stat(path, &sb) != 0)
            return lm_error_set(err, LM_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        if (S_ISDIR(sb.st_mode))
            return lm_error_set(err, LM_ERR_USAGE, "%s is a directory", path);
        size = S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : -1;
        /* Only a regular file can be compared with a logged one: a pipe's
         * bytes can be read once. */
        if (!opts->force && S_ISREG(sb.st_mode)) {
            int already;
            lm_status st = check_already_ingested(store, path, source, size, &already,
                                                  &result->store_failed, err);
            if (st != LM_OK)
                return st;
            if (already) {
                result->skipped = 1;
                return LM_OK;
            }
        }
    }

    /* Opened before the pipeline starts, so that waiting for the writer
     * of a named pipe can watch for a stop signal. */
    int fd;
    lm_status st = lm_pubmed_open(path, opts->fifo_wait_ms > 0 ? opts->fifo_wait_ms
                                                               : LM_PUBMED_FIFO_WAIT_MS,
                                  opts->cancel, &fd, err);
    if (st != LM_OK)
        return st;
    int64_t log_id;
    const char *kind = is_stdin ? "stdin" : opts->kind ? opts->kind : "file";
    st = lm_store_ingest_start(store, source, kind, size, &log_id, err);
    if (st != LM_OK) {
        result->store_failed = 1;
        if (!is_stdin)
            close(fd);
        return st;
    }

    lm_engine_options eopts = {.threads = opts->threads,
                               .batch_size = opts->batch_size,
                               .chain = opts->chain,
                               .source = source,
                               .on_warning = opts->on_warning,
                               .warning_ctx = opts->warning_ctx,
                               .timing = opts->timing};
    ingest_ctx c = {NULL, 0, opts};
    st = lm_engine_start(&c.engine, store, &eopts, err);
    lm_file_digest digest = {"", ""};
    if (st == LM_OK) {
        lm_pubmed_handler handler = {on_article, on_delete, &c, on_reject};
        st = lm_pubmed_parse_fd(fd, is_stdin ? "<stdin>" : path, &handler, opts->progress,
                                opts->progress_ctx, &result->parse, &digest, err);
        /* Whatever was delivered before a parse fault or a signal is still
         * written: the engine drains and commits before it stops. */
        lm_error finish_err;
        lm_status fst = lm_engine_finish(c.engine, 0, &result->counts, &finish_err);
        result->counts.rejected += (int64_t)result->parse.rejected;
        if (fst != LM_OK) {
            c.engine_failed = 1;
            if (st == LM_OK || st == LM_ERR_PARSE || st == LM_ERR_FORMAT ||
                st == LM_ERR_INTERRUPTED) {
                *err = finish_err;
                st = fst;
            }
        }
    }
    if (!is_stdin)
        close(fd);
    if (c.engine_failed || !c.engine)
        result->store_failed = 1;

    const char *status = st == LM_OK ? "done"
                         : st == LM_ERR_INTERRUPTED ? "interrupted" : "failed";
    lm_error log_err;
    lm_status log_st = lm_store_ingest_finish(store, log_id, status, &result->counts,
                                              &digest,
                                              st == LM_OK ? NULL : err->msg, &log_err);
    result->seconds = lm_now_seconds() - started;
    if (st == LM_OK && log_st != LM_OK) {
        *err = log_err;
        result->store_failed = 1;
        return log_st;
    }
    return st;
}
