/*
 * Error reporting helpers.  Messages are truncated, never overflowed: a
 * message that does not fit is cut and ends in "...".
 */
#include "lm_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void mark_truncated(char *msg, int wanted)
{
    if (wanted >= LM_ERROR_MSG_MAX)
        memcpy(msg + LM_ERROR_MSG_MAX - 4, "...", 4);
}

lm_status lm_error_set(lm_error *err, lm_status code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        err->msg[0] = '\0';
    else
        mark_truncated(err->msg, n);
    return code;
}

lm_status lm_error_nomem(lm_error *err, const char *doing)
{
    return doing ? lm_error_set(err, LM_ERR_NOMEM, "out of memory %s", doing)
                 : lm_error_set(err, LM_ERR_NOMEM, "out of memory");
}

lm_status lm_error_wrap(lm_error *err, const char *fmt, ...)
{
    if (!err)
        return LM_ERR_USAGE;
    char prefix[LM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n < 0)
        return err->code;
    char joined[LM_ERROR_MSG_MAX];
    int m = snprintf(joined, sizeof joined, "%s: %s", prefix, err->msg);
    memcpy(err->msg, joined, sizeof joined);
    mark_truncated(err->msg, m);
    return err->code;
}

void lm_error_clear(lm_error *err)
{
    if (err) {
        err->code = LM_OK;
        err->msg[0] = '\0';
    }
}

const char *lm_status_str(lm_status code)
{
    switch (code) {
    case LM_OK: return "ok";
    case LM_ERR_NOMEM: return "out of memory";
    case LM_ERR_IO: return "I/O error";
    case LM_ERR_PARSE: return "parse error";
    case LM_ERR_FORMAT: return "unexpected format";
    case LM_ERR_DB: return "database error";
    case LM_ERR_CORRUPT: return "corrupt data";
    case LM_ERR_USAGE: return "usage error";
    case LM_ERR_NOTFOUND: return "not found";
    case LM_ERR_NET: return "network error";
    case LM_ERR_BUSY: return "busy";
    case LM_ERR_INTERRUPTED: return "interrupted";
    case LM_ERR_ABORTED: return "aborted";
    }
    return "unknown error";
}
