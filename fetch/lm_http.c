/*
 * HTTP client over libcurl (see lm_http.h).
 *
 * The handle is reset before every attempt and configured from scratch, so
 * no option of an earlier request (POST body, byte range) can leak into
 * the next; curl_easy_reset keeps the connection and DNS caches, which is
 * what makes reusing one handle worthwhile.  Headers are watched for
 * Retry-After, Content-Type and Content-Range; the body of a non-2xx
 * response is kept (up to 4 KB) only to quote the server's message.
 *
 * Redirects are followed here, not by libcurl: CURLOPT_FOLLOWLOCATION has
 * no notion of "same host only", and with 307/308 it re-sends a POST body
 * wherever the server points.  Each hop is a request of its own (a
 * rate-limiter token, a fresh configuration) whose target is checked
 * against the policy in lm_http.h first.
 */
#include "lm_http.h"

#include "../util/lm_clock.h"

#include <ctype.h>
#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#ifndef LM_VERSION
#define LM_VERSION "0.0.0"
#endif

#define ERRBODY_MAX 4096
#define MAX_REDIRECTS 5
#define URL_IN_MSG_MAX 160
#define SERVER_MSG_MAX 240

struct lm_http {
    CURL *curl;
    struct curl_slist *req_headers;
    char *user_agent;
    char *secret;
    char *contact;
    lm_http_config cfg;
    lm_http_stats stats;
    long last_status;
    uint64_t rng;
    double deadline;           /* monotonic seconds; 0 when the request has none */

    /* Per-request state (one hop of an attempt), reset by start_hop(). */
    const lm_http_sink *sink;
    int is_http;
    int headers_done;
    int sink_failed;
    int too_big;               /* the body passed cfg.max_body_bytes */
    int64_t body_bytes;        /* 2xx body bytes of this attempt */
    lm_error sink_err;
    lm_buf errbody;
    long retry_after_s;        /* -1 when the response had none */
    int64_t range_start;
    char content_type[128];
    char curl_msg[CURL_ERROR_SIZE];
};

typedef enum { ATTEMPT_OK, ATTEMPT_RETRY, ATTEMPT_FATAL } attempt_result;

/* ---- small helpers ------------------------------------------------------ */

static uint64_t next_random(lm_http *h)
{
    /* xorshift64*: jitter needs spread, not quality. */
    h->rng ^= h->rng >> 12;
    h->rng ^= h->rng << 25;
    h->rng ^= h->rng >> 27;
    return h->rng * 0x2545F4914F6CDD1DULL;
}

static int starts_with_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

void lm_http_redact(char *msg, size_t cap, const char *secret)
{
    if (!msg || cap == 0)
        return;
    char *out = malloc(cap);
    if (!out) {
        /* Cannot redact safely: withhold the whole message. */
        snprintf(msg, cap, "(message withheld)");
        return;
    }
    size_t slen = secret ? strlen(secret) : 0;
    size_t o = 0;
    const char *p = msg;
    static const char *const params[] = {"api_key=", "email="};
    while (*p && o + 1 < cap) {
        size_t pl = 0;
        for (size_t i = 0; i < sizeof params / sizeof params[0] && !pl; i++)
            if (strncmp(p, params[i], strlen(params[i])) == 0)
                pl = strlen(params[i]);
        if (pl) {
            for (size_t i = 0; i < pl && o + 1 < cap; i++)
                out[o++] = p[i];
            for (const char *r = "***"; *r && o + 1 < cap; r++)
                out[o++] = *r;
            p += pl;
            while (*p && !strchr("&\"' \t\n)><:;,", *p))
                p++;
            continue;
        }
        if (slen > 0 && strncmp(p, secret, slen) == 0) {
            for (const char *r = "***"; *r && o + 1 < cap; r++)
                out[o++] = *r;
            p += slen;
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
    memcpy(msg, out, o + 1);
    free(out);
}

/* Masks everything the client was told to keep out of messages. */
static void redact_all(const lm_http *h, char *msg, size_t cap)
{
    lm_http_redact(msg, cap, h->secret);
    if (h->contact)
        lm_http_redact(msg, cap, h->contact);
}

/* A URL fit for a message: redacted and shortened. */
static void url_for_msg(const lm_http *h, const char *url, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", url);
    redact_all(h, buf, cap);
    if (strlen(buf) > URL_IN_MSG_MAX && cap > URL_IN_MSG_MAX + 4)
        memcpy(buf + URL_IN_MSG_MAX, "...", 4);
}

lm_status lm_http_escape(lm_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        lm_status st;
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            st = lm_buf_append_char(out, (char)*p);
        } else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            st = lm_buf_append(out, enc, 3);
        }
        if (st != LM_OK)
            return st;
    }
    return LM_OK;
}

/* Collapses whitespace of s[0..n) into out (cap bytes), skipping markup. */
static void plain_text(const char *s, size_t n, int strip_tags, char *out, size_t cap)
{
    size_t o = 0;
    int in_tag = 0, space = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        char c = s[i];
        if (strip_tags && c == '<') {
            in_tag = 1;
            space = 1;
            continue;
        }
        if (in_tag) {
            if (c == '>')
                in_tag = 0;
            continue;
        }
        if (isspace((unsigned char)c)) {
            space = 1;
            continue;
        }
        if (space && o > 0)
            out[o++] = ' ';
        space = 0;
        if (o + 1 < cap)
            out[o++] = c;
    }
    out[o] = '\0';
}

/* Finds the text between open and close (case-insensitive) in body. */
static int find_between(const char *body, const char *open, const char *close,
                        const char **start, size_t *len)
{
    size_t ol = strlen(open), cl = strlen(close);
    for (const char *p = body; *p; p++) {
        if (strncasecmp(p, open, ol) != 0)
            continue;
        const char *s = p + ol;
        for (const char *q = s; *q; q++) {
            if (strncasecmp(q, close, cl) == 0) {
                *start = s;
                *len = (size_t)(q - s);
                return 1;
            }
        }
        return 0;
    }
    return 0;
}

/* The server's own explanation from an error body: a JSON "error" member
 * (NCBI's 429 and 400 answers), an <ERROR> element, an HTML <title>, or
 * else the body's text. */
static void server_message(const char *body, char *out, size_t cap)
{
    const char *s;
    size_t n;
    out[0] = '\0';
    const char *j = strstr(body, "\"error\"");
    if (j) {
        const char *q = strchr(j + 7, '"');
        if (q) {
            const char *e = q + 1;
            while (*e && *e != '"') {
                if (*e == '\\' && e[1])
                    e++;
                e++;
            }
            plain_text(q + 1, (size_t)(e - q - 1), 0, out, cap);
            if (out[0])
                return;
        }
    }
    if (find_between(body, "<ERROR>", "</ERROR>", &s, &n) ||
        find_between(body, "<title>", "</title>", &s, &n) ||
        find_between(body, "<h1>", "</h1>", &s, &n)) {
        plain_text(s, n, 1, out, cap);
        if (out[0])
            return;
    }
    plain_text(body, strlen(body), 1, out, cap);
}

/* ---- curl callbacks ----------------------------------------------------- */

static lm_status call_headers(lm_http *h)
{
    h->headers_done = 1;
    if (!h->sink || !h->sink->headers)
        return LM_OK;
    lm_http_response resp = {
        .status = h->last_status,
        .content_type = h->content_type[0] ? h->content_type : NULL,
        .range_start = h->range_start,
    };
    return h->sink->headers(h->sink->ctx, &resp, &h->sink_err);
}

static int status_is_success(const lm_http *h, long code)
{
    return !h->is_http || (code >= 200 && code < 300);
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    lm_http *h = userdata;
    size_t len = size * nmemb;
    h->stats.bytes += len;
    long code = 0;
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
    h->last_status = code;
    if (!status_is_success(h, code)) {
        if (h->errbody.len < ERRBODY_MAX) {
            size_t take = ERRBODY_MAX - h->errbody.len;
            if (take > len)
                take = len;
            (void)lm_buf_append(&h->errbody, data, take);
        }
        return len;
    }
    if (h->cfg.max_body_bytes > 0 && (int64_t)len > h->cfg.max_body_bytes - h->body_bytes) {
        h->too_big = 1;
        return 0;
    }
    h->body_bytes += (int64_t)len;
    lm_status st = LM_OK;
    if (!h->headers_done)
        st = call_headers(h);
    if (st == LM_OK && h->sink && h->sink->write)
        st = h->sink->write(h->sink->ctx, data, len, &h->sink_err);
    if (st != LM_OK) {
        h->sink_failed = 1;
        h->sink_err.code = st;
        return 0;   /* makes curl stop with CURLE_WRITE_ERROR */
    }
    return len;
}

static void parse_header_value(lm_http *h, const char *name, const char *v, size_t n)
{
    char val[256];
    if (n >= sizeof val)
        n = sizeof val - 1;
    memcpy(val, v, n);
    val[n] = '\0';
    if (strcasecmp(name, "retry-after") == 0) {
        char *end;
        long secs = strtol(val, &end, 10);
        if (end != val && *end == '\0' && secs >= 0) {
            h->retry_after_s = secs;
        } else {
            time_t when = curl_getdate(val, NULL);
            if (when != (time_t)-1) {
                time_t now = time(NULL);
                h->retry_after_s = when > now ? (long)(when - now) : 0;
            }
        }
    } else if (strcasecmp(name, "content-type") == 0) {
        size_t cl = strlen(val);
        if (cl >= sizeof h->content_type)
            cl = sizeof h->content_type - 1;
        memcpy(h->content_type, val, cl);
        h->content_type[cl] = '\0';
    } else if (strcasecmp(name, "content-range") == 0) {
        /* "bytes START-END/TOTAL" */
        const char *p = val;
        if (starts_with_ci(p, "bytes"))
            p += 5;
        while (*p == ' ')
            p++;
        char *end;
        long long start = strtoll(p, &end, 10);
        if (end != p && *end == '-' && start >= 0)
            h->range_start = start;
    }
}

/* Passes one header to the sink's header callback; 0 aborts the transfer. */
static int sink_header(lm_http *h, const char *name, const char *v, size_t n)
{
    if (!h->sink || !h->sink->header || h->sink_failed)
        return 1;
    char val[256];
    if (n >= sizeof val)
        n = sizeof val - 1;
    memcpy(val, v, n);
    val[n] = '\0';
    lm_status st = h->sink->header(h->sink->ctx, name, val, &h->sink_err);
    if (st == LM_OK)
        return 1;
    h->sink_failed = 1;
    h->sink_err.code = st;
    return 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    lm_http *h = userdata;
    size_t len = size * nmemb;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new response (after a redirect or 100-continue): forget the
         * previous one's headers. */
        h->retry_after_s = -1;
        h->range_start = -1;
        h->content_type[0] = '\0';
        const char *sp = memchr(data, ' ', len);
        size_t code_len = 0;
        while (sp && sp + 1 + code_len < data + len && isdigit((unsigned char)sp[1 + code_len]))
            code_len++;
        return sp && !sink_header(h, ":status", sp + 1, code_len) ? 0 : len;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon)
        return len;
    char name[64];
    size_t nl = (size_t)(colon - data);
    if (nl == 0 || nl >= sizeof name)
        return len;
    memcpy(name, data, nl);
    name[nl] = '\0';
    const char *v = colon + 1, *e = data + len;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
        e--;
    parse_header_value(h, name, v, (size_t)(e - v));
    return sink_header(h, name, v, (size_t)(e - v)) ? len : 0;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    lm_http *h = userdata;
    return lm_cancel_requested(h->cfg.cancel) ? 1 : 0;
}

/* ---- lifecycle ---------------------------------------------------------- */

lm_status lm_http_init(lm_http **out, const lm_http_config *cfg, lm_error *err)
{
    *out = NULL;
    /* Thread-safe since curl 7.84; earlier versions need the first call
     * to happen before threads start, which the CLI's startup ensures. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return lm_error_set(err, LM_ERR_NET, "cannot initialise libcurl");
    lm_http *h = calloc(1, sizeof *h);
    if (!h)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_http_config zero = {0};
    h->cfg = cfg ? *cfg : zero;
    if (h->cfg.connect_timeout_s <= 0)
        h->cfg.connect_timeout_s = 30;
    if (h->cfg.low_speed_time_s <= 0)
        h->cfg.low_speed_time_s = 60;
    if (h->cfg.max_tries <= 0)
        h->cfg.max_tries = 5;
    if (h->cfg.backoff_base_ms <= 0)
        h->cfg.backoff_base_ms = 1000;
    if (h->cfg.backoff_max_ms <= 0)
        h->cfg.backoff_max_ms = 60000;
    if (h->cfg.retry_after_max_s <= 0)
        h->cfg.retry_after_max_s = 300;
    h->user_agent = strdup(h->cfg.user_agent ? h->cfg.user_agent : "litmine/" LM_VERSION);
    h->secret = lm_strdup_opt(h->cfg.secret && h->cfg.secret[0] ? h->cfg.secret : NULL,
                              NULL);
    h->contact = lm_strdup_opt(h->cfg.contact && h->cfg.contact[0] ? h->cfg.contact : NULL,
                               NULL);
    h->cfg.user_agent = h->user_agent;
    h->cfg.secret = h->secret;
    h->cfg.contact = h->contact;
    h->curl = curl_easy_init();
    /* An empty Expect: stops curl waiting for "100 Continue" on POSTs. */
    h->req_headers = curl_slist_append(NULL, "Expect:");
    lm_buf_init(&h->errbody);
    if (!h->user_agent || (cfg && cfg->secret && cfg->secret[0] && !h->secret) ||
        (cfg && cfg->contact && cfg->contact[0] && !h->contact) || !h->curl ||
        !h->req_headers) {
        lm_http_free(h);
        return lm_error_set(err, LM_ERR_NOMEM, "cannot create HTTP client");
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    h->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
             ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)h;
    if (h->rng == 0)
        h->rng = 0x9E3779B97F4A7C15ULL;
    *out = h;
    return LM_OK;
}

void lm_http_free(lm_http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->req_headers);
    lm_buf_free(&h->errbody);
    free(h->user_agent);
    if (h->secret) {
        /* Do not leave the key lying in freed heap memory. */
        volatile char *p = h->secret;
        while (*p)
            *p++ = '\0';
    }
    free(h->secret);
    free(h->contact);
    free(h);
}

long lm_http_last_status(const lm_http *h)
{
    return h->last_status;
}

const lm_http_stats *lm_http_get_stats(const lm_http *h)
{
    return &h->stats;
}

/* ---- one attempt -------------------------------------------------------- */

static int curl_code_retryable(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_AGAIN:
    case CURLE_FTP_ACCEPT_TIMEOUT:
    case CURLE_FTP_CANT_GET_HOST:
        return 1;
    default:
        return 0;
    }
}

/* Milliseconds left before the request's deadline (LONG_MAX: none; may be
 * <= 0 when it has passed). */
static long deadline_left_ms(const lm_http *h)
{
    if (h->deadline <= 0)
        return LONG_MAX;
    double left = (h->deadline - lm_now_seconds()) * 1000.0;
    return left > (double)LONG_MAX ? LONG_MAX : (long)left;
}

static void configure(lm_http *h, const char *url, const char *form, int64_t resume_from)
{
    CURL *c = h->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->cfg.connect_timeout_s);
    long timeout_ms = h->cfg.timeout_s > 0 ? h->cfg.timeout_s * 1000 : 0;
    long left = deadline_left_ms(h);
    if (left != LONG_MAX && (timeout_ms == 0 || left < timeout_ms))
        timeout_ms = left > 1 ? left : 1;
    if (timeout_ms > 0)
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, h->cfg.low_speed_time_s);
    /* Redirects are ours to judge (follow_redirect). */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    if (h->cfg.max_body_bytes > 0)   /* an announced Content-Length fails at once */
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->cfg.max_body_bytes);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,ftp,ftps,file");
#endif
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->req_headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curl_msg);
    if (h->cfg.cancel) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
    }
    if (resume_from > 0) {
        /* A byte range of a re-encoded body would be meaningless. */
        curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)resume_from);
    } else {
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    }
    if (form) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(form));
    }
    /* ftp://host/dir/ : names only, for lm_download_list. */
    size_t ul = strlen(url);
    if (ul > 0 && url[ul - 1] == '/' && starts_with_ci(url, "ftp"))
        curl_easy_setopt(c, CURLOPT_DIRLISTONLY, 1L);
}

/* Scheme, host and port of a URL, lowercased by libcurl's parser; 0 when
 * it cannot be parsed. */
typedef struct url_origin {
    char scheme[16];
    char host[256];
    long port;
} url_origin;

static int url_origin_of(const char *url, url_origin *o)
{
    CURLU *u = curl_url();
    if (!u)
        return 0;
    char *scheme = NULL, *host = NULL, *port = NULL;
    int ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
             strlen(scheme) < sizeof o->scheme && strlen(host) < sizeof o->host;
    if (ok) {
        snprintf(o->scheme, sizeof o->scheme, "%s", scheme);
        snprintf(o->host, sizeof o->host, "%s", host);
        for (char *c = o->scheme; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        for (char *c = o->host; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        o->port = strtol(port, NULL, 10);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return ok;
}

const char *lm_http_redirect_refusal(const char *from, const char *to, int is_post)
{
    if (is_post)
        return "a request body is never re-sent";
    url_origin a, b;
    if (!url_origin_of(from, &a) || !url_origin_of(to, &b))
        return "not a URL litmine can check";
    if (strcmp(a.host, b.host) != 0)
        return "it leads to another host";
    if (strcmp(a.scheme, b.scheme) == 0)
        return a.port == b.port ? NULL : "it leads to another port";
    if (strcmp(a.scheme, "http") == 0 && strcmp(b.scheme, "https") == 0)
        return a.port == 80 && b.port == 443 ? NULL : "it leads to another port";
    return strcmp(b.scheme, "http") == 0 ? "it leads from https to plain http"
                                         : "it changes the protocol";
}

static void start_hop(lm_http *h)
{
    h->headers_done = 0;
    h->sink_failed = 0;
    h->too_big = 0;
    h->body_bytes = 0;
    lm_error_clear(&h->sink_err);
    lm_buf_reset(&h->errbody);
    h->retry_after_s = -1;
    h->range_start = -1;
    h->content_type[0] = '\0';
    h->curl_msg[0] = '\0';
    h->last_status = 0;
}

static attempt_result run_attempt(lm_http *h, const char *method, const char *url,
                                  const char *form, const lm_http_sink *sink,
                                  lm_error *err)
{
    char where[URL_IN_MSG_MAX + 8];
    url_for_msg(h, url, where, sizeof where);

    h->sink = sink;
    start_hop(h);
    int64_t resume_from = 0;
    if (sink && sink->begin) {
        lm_status st = sink->begin(sink->ctx, &resume_from, &h->sink_err);
        if (st != LM_OK) {
            lm_error_set(err, st, "%s %s: %s", method, where, h->sink_err.msg);
            return ATTEMPT_FATAL;
        }
    }
    /* hop_url: the URL this hop asks for; it owns a copy after a redirect. */
    char *hop_url = NULL;
    const char *target = url;
    CURLcode rc;
    long code = 0;
    for (int hop = 0;; hop++) {
        if (hop > 0) {
            start_hop(h);
            if (h->cfg.limiter &&
                lm_ratelimit_acquire(h->cfg.limiter, h->cfg.cancel, err) != LM_OK) {
                free(hop_url);
                return ATTEMPT_FATAL;
            }
        }
        h->is_http = starts_with_ci(target, "http://") || starts_with_ci(target, "https://");
        configure(h, target, form, resume_from);
        h->stats.requests++;
        rc = curl_easy_perform(h->curl);
        code = 0;
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
        h->last_status = code;
        if (rc != CURLE_OK || !h->is_http || code < 300 || code > 399)
            break;
        char *next = NULL;
        curl_easy_getinfo(h->curl, CURLINFO_REDIRECT_URL, &next);
        if (!next) {
            lm_error_set(err, LM_ERR_NET, "%s %s: HTTP %ld without a Location", method,
                         where, code);
            free(hop_url);
            return ATTEMPT_FATAL;
        }
        char to[URL_IN_MSG_MAX + 8];
        url_for_msg(h, next, to, sizeof to);
        const char *why = lm_http_redirect_refusal(target, next, form != NULL);
        if (!why && hop >= MAX_REDIRECTS)
            why = "too many redirects";
        if (why) {
            lm_error_set(err, LM_ERR_NET,
                         "%s %s: HTTP %ld redirect to %s not followed: %s (redirect policy: "
                         "GET only, same host, https never to http)",
                         method, where, code, to, why);
            free(hop_url);
            return ATTEMPT_FATAL;
        }
        char *copy = strdup(next);   /* next belongs to the handle */
        free(hop_url);
        if (!(hop_url = copy)) {
            lm_error_set(err, LM_ERR_NOMEM, "out of memory");
            return ATTEMPT_FATAL;
        }
        target = hop_url;
    }
    free(hop_url);

    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        lm_error_set(err, LM_ERR_INTERRUPTED, "%s %s: interrupted", method, where);
        return ATTEMPT_FATAL;
    }
    if (h->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        lm_error_set(err, LM_ERR_FORMAT, "%s %s: response larger than the %lld MB limit",
                     method, where, (long long)(h->cfg.max_body_bytes >> 20));
        return ATTEMPT_FATAL;
    }
    if (h->sink_failed) {
        lm_status st = h->sink_err.code;
        lm_error_set(err, st, "%s %s: %s", method, where, h->sink_err.msg);
        return st == LM_ERR_PARSE || st == LM_ERR_NET ? ATTEMPT_RETRY : ATTEMPT_FATAL;
    }
    if (rc != CURLE_OK) {
        lm_error_set(err, LM_ERR_NET, "%s %s: %s", method, where,
                     h->curl_msg[0] ? h->curl_msg : curl_easy_strerror(rc));
        return curl_code_retryable(rc) ? ATTEMPT_RETRY : ATTEMPT_FATAL;
    }
    if (!status_is_success(h, code)) {
        char msg[SERVER_MSG_MAX];
        server_message(lm_buf_cstr(&h->errbody), msg, sizeof msg);
        lm_error_set(err, LM_ERR_NET, "%s %s: HTTP %ld%s%s", method, where, code,
                     msg[0] ? ": " : "", msg);
        int transient = code == 408 || code == 429 || code >= 500;
        return transient ? ATTEMPT_RETRY : ATTEMPT_FATAL;
    }
    lm_status st = LM_OK;
    if (!h->headers_done)
        st = call_headers(h);
    if (st == LM_OK && sink && sink->end)
        st = sink->end(sink->ctx, &h->sink_err);
    if (st != LM_OK) {
        lm_error_set(err, st, "%s %s: %s", method, where, h->sink_err.msg);
        return st == LM_ERR_PARSE || st == LM_ERR_NET ? ATTEMPT_RETRY : ATTEMPT_FATAL;
    }
    return ATTEMPT_OK;
}

static lm_status request(lm_http *h, const char *method, const char *url, const char *form,
                         const lm_http_sink *sink, lm_error *err)
{
    lm_error last;
    lm_error_clear(&last);
    lm_status st = LM_OK;
    h->deadline = h->cfg.deadline_s > 0 ? lm_now_seconds() + (double)h->cfg.deadline_s : 0;
    long delay_ms = h->cfg.backoff_base_ms;
    int attempt;
    for (attempt = 1; attempt <= h->cfg.max_tries; attempt++) {
        if (attempt > 1) {
            h->stats.retries++;
            if ((st = lm_sleep_ms(delay_ms, h->cfg.cancel, err)) != LM_OK)
                goto fail;
        }
        if (h->cfg.limiter &&
            (st = lm_ratelimit_acquire(h->cfg.limiter, h->cfg.cancel, err)) != LM_OK)
            goto fail;
        if (attempt > 1 && deadline_left_ms(h) <= 0)
            break;
        attempt_result r = run_attempt(h, method, url, form, sink, &last);
        if (r == ATTEMPT_OK)
            return LM_OK;
        if (r == ATTEMPT_FATAL) {
            lm_error_set(err, last.code, "%s", last.msg);
            st = last.code;
            goto fail;
        }
        /* Next delay: exponential, with "equal jitter" (half fixed, half
         * random) so that clients that failed together do not retry in
         * lockstep; a Retry-After from the server is a floor. */
        long backoff = h->cfg.backoff_base_ms;
        for (int i = 1; i < attempt && backoff < h->cfg.backoff_max_ms; i++)
            backoff *= 2;
        if (backoff > h->cfg.backoff_max_ms)
            backoff = h->cfg.backoff_max_ms;
        delay_ms = backoff / 2 + (long)(next_random(h) % (uint64_t)(backoff / 2 + 1));
        if (h->retry_after_s >= 0) {
            long ra = h->retry_after_s;
            if (ra > h->cfg.retry_after_max_s)
                ra = h->cfg.retry_after_max_s;
            if (ra * 1000 > delay_ms)
                delay_ms = ra * 1000;
            if (h->cfg.limiter)
                lm_ratelimit_defer(h->cfg.limiter, (double)ra);
        }
        /* No point waiting for an attempt that could not finish in time. */
        if (attempt < h->cfg.max_tries && delay_ms >= deadline_left_ms(h)) {
            attempt++;
            break;
        }
    }
    int tries = attempt - 1;
    if (tries < h->cfg.max_tries)
        lm_error_set(err, last.code, "%s (gave up after %d tr%s: the request's %ld s deadline "
                     "leaves no time for another)", last.msg, tries, tries == 1 ? "y" : "ies",
                     h->cfg.deadline_s);
    else
        lm_error_set(err, last.code, "%s (gave up after %d tr%s)", last.msg, tries,
                     tries == 1 ? "y" : "ies");
    h->stats.failures++;
    if (err)
        redact_all(h, err->msg, sizeof err->msg);
    return last.code;
fail:
    h->stats.failures++;
    if (err)
        redact_all(h, err->msg, sizeof err->msg);
    return st;
}

lm_status lm_http_get(lm_http *h, const char *url, const lm_http_sink *sink, lm_error *err)
{
    return request(h, "GET", url, NULL, sink, err);
}

lm_status lm_http_post(lm_http *h, const char *url, const char *form,
                       const lm_http_sink *sink, lm_error *err)
{
    return request(h, "POST", url, form ? form : "", sink, err);
}

/* ---- small documents ---------------------------------------------------- */

typedef struct buf_sink {
    lm_buf *buf;
    size_t max;
} buf_sink;

static lm_status buf_begin(void *ctx, int64_t *resume_from, lm_error *err)
{
    (void)resume_from, (void)err;
    buf_sink *b = ctx;
    lm_buf_reset(b->buf);
    return LM_OK;
}

static lm_status buf_write(void *ctx, const char *data, size_t len, lm_error *err)
{
    buf_sink *b = ctx;
    if (b->buf->len + len > b->max)
        return lm_error_set(err, LM_ERR_FORMAT, "response larger than %zu bytes", b->max);
    lm_status st = lm_buf_append(b->buf, data, len);
    return st == LM_OK ? st : lm_error_set(err, st, "out of memory");
}

lm_status lm_http_get_buf(lm_http *h, const char *url, size_t max_bytes, lm_buf *out,
                          lm_error *err)
{
    buf_sink b = {out, max_bytes};
    lm_http_sink sink = {.begin = buf_begin, .write = buf_write, .ctx = &b};
    return lm_http_get(h, url, &sink, err);
}
