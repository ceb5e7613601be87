/*
 * lm_error: the one error type every litmine function returns.
 *
 * Like curl's CURLcode, a function returns an lm_status and, when it fails,
 * fills a caller-owned lm_error with a human-readable message.  The message
 * buffer is fixed-size so that reporting an error never needs to allocate
 * (out-of-memory is itself an error we must be able to report).  Library code
 * never prints and never calls exit(); only cli/ decides what reaches stderr
 * and which exit status a failure maps to.
 */
#ifndef LM_ERROR_H
#define LM_ERROR_H

#include <stddef.h>

typedef enum lm_status {
    LM_OK = 0,
    LM_ERR_NOMEM,       /* allocation failed */
    LM_ERR_IO,          /* read/write/open failed, a file's disk full */
    LM_ERR_PARSE,       /* malformed input: XML, gzip, config, PubTator */
    LM_ERR_FORMAT,      /* well-formed but not what we expected (HTML page) */
    LM_ERR_DB,          /* any database problem: a SQLite error, the database's
                           disk full, a damaged database (SQLite's corruption,
                           not a database, index rows that do not decode) */
    LM_ERR_CORRUPT,     /* a file that is not the database (a model, lexicon,
                           download, cache) fails its integrity check */
    LM_ERR_USAGE,       /* bad argument from the caller / user */
    LM_ERR_NOTFOUND,    /* requested item does not exist */
    LM_ERR_NET,         /* network / HTTP failure */
    LM_ERR_BUSY,        /* locked by another process past the timeout */
    LM_ERR_INTERRUPTED, /* stopped by a signal; committed work is intact */
    LM_ERR_ABORTED      /* a callback asked the caller to stop */
} lm_status;

#define LM_ERROR_MSG_MAX 512

typedef struct lm_error {
    lm_status code;
    char msg[LM_ERROR_MSG_MAX];
} lm_error;

/* Records code and a printf-style message in err (which may be NULL) and
 * returns code, so that callers can write `return lm_error_set(...)`. */
lm_status lm_error_set(lm_error *err, lm_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "context: " to an existing message, keeping its code. */
lm_status lm_error_wrap(lm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* LM_ERR_NOMEM with "out of memory", followed by " <doing>" when doing is
 * not NULL ("out of memory loading the model"). */
lm_status lm_error_nomem(lm_error *err, const char *doing);

void lm_error_clear(lm_error *err);

/* Short constant name of a status, e.g. "parse error". */
const char *lm_status_str(lm_status code);

#endif
