/*
 * lm_http: the one place litmine talks to libcurl.
 *
 * A client wraps one curl easy handle (so one client per thread; they may
 * share an lm_ratelimit).  Every request streams the response body to a
 * caller-supplied sink and is retried, with exponential backoff plus
 * jitter, on what is usually transient: connection failures, timeouts,
 * connection resets, truncated bodies, HTTP 408/429/5xx (honouring
 * Retry-After) and sink errors of kind LM_ERR_PARSE or LM_ERR_NET (a sink
 * saying "the body was incomplete").  Any other 4xx fails at once with the
 * server's own message.  Because a retry re-sends the request, the sink is
 * told when an attempt begins and must discard what an earlier attempt
 * gave it; this is what lets the E-utilities client guarantee that callers
 * never see half a batch.
 *
 * Secrets: a client may be given the NCBI API key and the contact email.
 * Every message it produces is passed through lm_http_redact(), so neither
 * they nor an `api_key=` / `email=` URL parameter ever reaches an lm_error.
 *
 * Redirect policy: a redirect is followed only by a GET, only to the same
 * host and port with the same scheme (or from http to https on the
 * default ports, an upgrade), at most 5 times.  A POST is never
 * redirected: its body holds the API key, the email and the PMIDs, and
 * re-sending it is the caller's decision, not the server's.  A refused
 * redirect fails the request at once (LM_ERR_NET, not retried) naming
 * where it pointed.
 *
 * Bounds: every attempt has a timeout, every request a deadline that
 * covers all its attempts and the waits between them, and a body larger
 * than max_body_bytes fails the request at once (LM_ERR_FORMAT, not
 * retried) — counted after decompression, so a compressed bomb is cut
 * off too.
 *
 * file:// and ftp:// URLs work too (used by `litmine sync`); for them the
 * status is 0 / the FTP reply code and only transport errors are retried.
 */
#ifndef LM_HTTP_H
#define LM_HTTP_H

#include "../util/lm_buf.h"
#include "../util/lm_error.h"
#include "lm_ratelimit.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lm_http lm_http;

typedef struct lm_http_config {
    const char *user_agent;   /* NULL: "litmine/" LM_VERSION */
    long connect_timeout_s;   /* 0: 30 */
    long timeout_s;           /* whole transfer, per attempt; 0: none */
    long low_speed_time_s;    /* abort an attempt stalled (< 1 B/s) this long; 0: 60 */
    int max_tries;            /* attempts per request, >= 1; 0: 5 */
    long backoff_base_ms;     /* delay before the 2nd attempt, doubled after; 0: 1000 */
    long backoff_max_ms;      /* cap on that delay; 0: 60000 */
    long retry_after_max_s;   /* cap on an honoured Retry-After; 0: 300 */
    long deadline_s;          /* whole request: all attempts and waits; 0: none */
    int64_t max_body_bytes;   /* larger response bodies fail the request; 0: none */
    const char *secret;       /* masked as "***" in messages; copied; may be NULL */
    const char *contact;      /* masked too (the email sent to NCBI); copied; may be NULL */
    lm_ratelimit *limiter;    /* one token per attempt; borrowed; may be NULL */
    const lm_cancel *cancel;  /* polled during waits and transfers; may be NULL */
} lm_http_config;

typedef struct lm_http_response {
    long status;              /* HTTP status; 0 for file://, reply code for ftp:// */
    const char *content_type; /* NULL when absent */
    int64_t range_start;      /* first byte of a 206 Content-Range, else -1 */
} lm_http_response;

/* Where a successful (2xx, or non-HTTP) response body goes.  Every member
 * may be NULL.  A callback returning LM_ERR_PARSE or LM_ERR_NET makes the
 * attempt count as failed-but-retryable; any other error ends the request
 * with that error. */
typedef struct lm_http_sink {
    /* Before every attempt: drop data from an earlier attempt.  May set
     * *resume_from (initially 0) to request the body from that offset. */
    lm_status (*begin)(void *ctx, int64_t *resume_from, lm_error *err);
    /* Once per attempt, before the first body byte (also for empty bodies). */
    lm_status (*headers)(void *ctx, const lm_http_response *resp, lm_error *err);
    lm_status (*write)(void *ctx, const char *data, size_t len, lm_error *err);
    /* The transfer completed; the sink may still reject the body. */
    lm_status (*end)(void *ctx, lm_error *err);
    void *ctx;
    /* Every header of every response, redirects included, in order; a
     * new response starts with name ":status" and value "CODE".  Values
     * are trimmed and cut at 255 bytes.  For headers the client does not
     * interpret itself (the Hugging Face hub's X-Linked-Etag sits on its
     * redirect). */
    lm_status (*header)(void *ctx, const char *name, const char *value, lm_error *err);
} lm_http_sink;

typedef struct lm_http_stats {
    uint64_t requests;   /* attempts sent (each one a request on the wire) */
    uint64_t retries;    /* attempts beyond the first of each call */
    uint64_t failures;   /* calls that returned an error */
    uint64_t bytes;      /* body bytes received, all attempts */
} lm_http_stats;

lm_status lm_http_init(lm_http **out, const lm_http_config *cfg, lm_error *err);
void lm_http_free(lm_http *h);

lm_status lm_http_get(lm_http *h, const char *url, const lm_http_sink *sink,
                      lm_error *err);
/* POSTs form (already application/x-www-form-urlencoded) to url. */
lm_status lm_http_post(lm_http *h, const char *url, const char *form,
                       const lm_http_sink *sink, lm_error *err);
/* GETs a small document into out (reset first); bodies above max_bytes
 * fail with LM_ERR_FORMAT. */
lm_status lm_http_get_buf(lm_http *h, const char *url, size_t max_bytes, lm_buf *out,
                          lm_error *err);

/* Status of the last response seen (0 when none). */
long lm_http_last_status(const lm_http *h);
const lm_http_stats *lm_http_get_stats(const lm_http *h);

/* The redirect policy above: NULL when a request to `from` may follow a
 * redirect to `to`, else the reason it may not ("it leads to another
 * host").  is_post: the request has a body. */
const char *lm_http_redirect_refusal(const char *from, const char *to, int is_post);

/* Appends s percent-encoded for a query string (RFC 3986 unreserved kept). */
lm_status lm_http_escape(lm_buf *out, const char *s);

/* In place: every "api_key=VALUE" becomes "api_key=***", every
 * "email=VALUE" "email=***", and every occurrence of secret (when
 * non-empty) "***".  msg is a NUL-terminated string in a buffer of cap
 * bytes. */
void lm_http_redact(char *msg, size_t cap, const char *secret);

#endif
