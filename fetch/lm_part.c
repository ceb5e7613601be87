/*
 * Resumable .part files (see lm_part.h).
 */
#include "lm_part.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads the part's bytes back into the digest; *size gets their count. */
static lm_status digest_file(const lm_part *p, int64_t *size, lm_error *err)
{
    p->digest.reset(p->digest.ctx);
    *size = 0;
    FILE *fp = fopen(p->path, "rb");
    if (!fp)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", p->path, strerror(errno));
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
        p->digest.update(p->digest.ctx, buf, n);
        *size += (int64_t)n;
    }
    int bad = ferror(fp);
    fclose(fp);
    return bad ? lm_error_set(err, LM_ERR_IO, "%s: read error", p->path) : LM_OK;
}

lm_status lm_part_on_begin(void *part, int64_t *resume_from, lm_error *err)
{
    lm_part *p = part;
    lm_part_drop(p);
    p->asked_from = 0;
    struct stat sb;
    if (!p->fresh && stat(p->path, &sb) == 0 && sb.st_size > 0) {
        p->have = sb.st_size;
        if (p->digest.reset) {
            lm_status st = digest_file(p, &p->have, err);
            if (st != LM_OK)
                return st;
        }
        p->fp = fopen(p->path, "ab");
        p->asked_from = p->have;
        *resume_from = p->have;
        p->resumed = 1;
    } else {
        if (p->digest.reset)
            p->digest.reset(p->digest.ctx);
        p->have = 0;
        p->fp = fopen(p->path, "wb");
    }
    return p->fp ? LM_OK : lm_error_set(err, LM_ERR_IO, "%s: %s", p->path, strerror(errno));
}

lm_status lm_part_on_headers(void *part, const lm_http_response *resp, lm_error *err)
{
    lm_part *p = part;
    /* No range asked, an interim answer, an error (the HTTP layer's), or
     * file:// and ftp:// (status 0: libcurl applied the offset itself). */
    if (p->asked_from == 0 || resp->status < 200 || resp->status >= 300)
        return LM_OK;
    if (resp->status == 206) {
        if (resp->range_start == p->asked_from)
            return LM_OK;
        p->fresh = 1;
        return lm_error_set(err, LM_ERR_NET, "the server sent another byte range; restarting");
    }
    /* A 200 to a range request is the whole file: start over. */
    if (fflush(p->fp) != 0 || ftruncate(fileno(p->fp), 0) != 0)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", p->path, strerror(errno));
    if (p->digest.reset)
        p->digest.reset(p->digest.ctx);
    p->have = 0;
    p->asked_from = 0;
    return LM_OK;
}

lm_status lm_part_on_write(void *part, const char *data, size_t len, lm_error *err)
{
    lm_part *p = part;
    if (fwrite(data, 1, len, p->fp) != len)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", p->path, strerror(errno));
    if (p->digest.update)
        p->digest.update(p->digest.ctx, data, len);
    p->have += (int64_t)len;
    p->transferred += (int64_t)len;
    return LM_OK;
}

lm_status lm_part_on_end(void *part, lm_error *err)
{
    lm_part *p = part;
    int bad = fflush(p->fp) != 0 || fsync(fileno(p->fp)) != 0;
    bad |= fclose(p->fp) != 0;
    p->fp = NULL;
    return bad ? lm_error_set(err, LM_ERR_IO, "%s: %s", p->path, strerror(errno)) : LM_OK;
}

void lm_part_drop(lm_part *p)
{
    if (p->fp)
        fclose(p->fp);
    p->fp = NULL;
}

int lm_part_resumed(const lm_part *p)
{
    return p->resumed && !p->fresh;
}

lm_status lm_part_fetch(lm_part *p, lm_part_step get, lm_part_step check, void *ctx,
                        lm_error *err)
{
    lm_status st = get(ctx, err);
    if (st != LM_OK && st != LM_ERR_INTERRUPTED && lm_part_resumed(p)) {
        p->fresh = 1;
        st = get(ctx, err);
    }
    if (st != LM_OK || !check)
        return st;
    st = check(ctx, err);
    if (st == LM_ERR_CORRUPT && lm_part_resumed(p)) {
        p->fresh = 1;
        st = get(ctx, err);
        if (st == LM_OK)
            st = check(ctx, err);
    }
    if (st == LM_ERR_CORRUPT)
        unlink(p->path);
    return st;
}
