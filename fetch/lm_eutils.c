/*
 * E-utilities client (see lm_eutils.h).
 *
 * LONG-FILE: one client's state (rate limiter, retries, deadlines, the
 * EFetch slicing) is shared by every request path; to split esearch from
 * efetch once the concurrent fetch/ work (issue 16) has merged.
 *
 * Responses are buffered whole: ESearch answers are small, and an EFetch
 * batch must be complete before any of it is delivered.  The buffered
 * EFetch body is parsed twice — once while the HTTP layer can still call
 * the attempt a failure and retry (counting articles, proving the XML is
 * complete), then again to hand articles to the caller.  Parsing costs far
 * less than the rate-limited network round trip, and the second pass gives
 * the caller the parser's own lm_article values with no copying.
 *
 * NCBI signals some failures with HTTP 200: an <ERROR> document (reported
 * as LM_ERR_NET with NCBI's text, not retried: it is usually a bad query
 * or an expired history), or an HTML page (LM_ERR_FORMAT).  Inside the
 * HTTP sink both travel as LM_ERR_FORMAT, which the HTTP layer treats as
 * final; the ncbi_error flag restores the right status afterwards.
 */
#include "lm_eutils.h"

#include "../util/lm_buf.h"
#include "../util/lm_date.h"
#include "../util/lm_map.h"
#include "lm_http.h"

#include <ctype.h>
#include <limits.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A page of 9,999 IDs is about 250 KB. */
#define SEARCH_BODY_MAX ((size_t)16 << 20)
#define DEFAULT_DEADLINE_S 600
#define DEFAULT_MAX_RESPONSE_MB 256
#define GET_URL_MAX 2000
#define WARNINGS_MAX 4000
#define FEED_CHUNK ((size_t)1 << 20)
#define OPEN_MINDATE "1700/01/01"

struct lm_eutils {
    char *base_url;          /* ends with '/' */
    char *tool;
    char *email;
    char *api_key;           /* NULL when none */
    long batch_size;
    lm_ratelimit *own_limiter;
    lm_ratelimit *limiter;
    lm_http *http;
    const lm_cancel *cancel;
    uint64_t searches;
    uint64_t fetches;
};

/* ---- configuration ------------------------------------------------------ */

lm_status lm_eutils_config_from(lm_eutils_config *cfg, const lm_config *conf, lm_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    if (conf) {
        cfg->base_url = lm_config_get(conf, "eutils", "base_url");
        cfg->tool = lm_config_get(conf, "eutils", "tool");
        cfg->email = lm_config_get(conf, "eutils", "email");
        cfg->api_key = lm_config_get(conf, "eutils", "api_key");
        const char *rps = lm_config_get(conf, "eutils", "max_rps");
        if (rps) {
            char *end;
            double v = strtod(rps, &end);
            while (*end == ' ')
                end++;
            if (end == rps || *end || !isfinite(v) || v <= 0)
                return lm_error_set(err, LM_ERR_USAGE,
                                    "[eutils] max_rps: \"%s\" is not a positive number", rps);
            cfg->max_rps = v;
        }
        long v;
        lm_status st;
        if ((st = lm_config_get_int(conf, "eutils", "timeout_s", 0, 1, 86400, &v, err)))
            return st;
        cfg->timeout_s = v;
        if ((st = lm_config_get_int(conf, "eutils", "max_tries", 0, 1, 100, &v, err)))
            return st;
        cfg->max_tries = (int)v;
        if ((st = lm_config_get_int(conf, "eutils", "deadline_s", 0, 1, 7 * 86400, &v, err)))
            return st;
        cfg->deadline_s = v;
        if ((st = lm_config_get_int(conf, "eutils", "max_response_mb", 0, 1, 65536, &v, err)))
            return st;
        cfg->max_response_mb = v;
        if ((st = lm_config_get_int(conf, "eutils", "batch_size", 0, 1, LM_EUTILS_MAX_BATCH,
                                    &v, err)))
            return st;
        cfg->batch_size = v;
    }
    const char *env = getenv("NCBI_API_KEY");
    if (env && env[0])
        cfg->api_key = env;
    return LM_OK;
}

static int has_prefix_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

void lm_eutils_free(lm_eutils *c)
{
    if (!c)
        return;
    lm_http_free(c->http);
    lm_ratelimit_free(c->own_limiter);
    free(c->base_url);
    free(c->tool);
    free(c->email);
    if (c->api_key) {
        volatile char *p = c->api_key;
        while (*p)
            *p++ = '\0';
    }
    free(c->api_key);
    free(c);
}

lm_status lm_eutils_init(lm_eutils **out, const lm_eutils_config *cfg, lm_error *err)
{
    *out = NULL;
    lm_eutils_config zero = {0};
    if (!cfg)
        cfg = &zero;
    const char *base = cfg->base_url && cfg->base_url[0] ? cfg->base_url
                                                          : LM_EUTILS_DEFAULT_BASE_URL;
    if (!has_prefix_ci(base, "http://") && !has_prefix_ci(base, "https://"))
        return lm_error_set(err, LM_ERR_USAGE,
                            "[eutils] base_url must be an http(s) URL, got \"%.200s\"", base);
    if (cfg->batch_size < 0 || cfg->batch_size > LM_EUTILS_MAX_BATCH)
        return lm_error_set(err, LM_ERR_USAGE, "EFetch batch size must be 1..%d, got %ld",
                            LM_EUTILS_MAX_BATCH, cfg->batch_size);
    int keyed = cfg->api_key && cfg->api_key[0];
    double ceiling = keyed ? 10.0 : 3.0;
    if (cfg->limiter && lm_ratelimit_rate(cfg->limiter) > ceiling + 1e-9)
        return lm_error_set(err, LM_ERR_USAGE,
                            "shared rate limiter allows %.1f requests/s, above NCBI's %.0f/s%s",
                            lm_ratelimit_rate(cfg->limiter), ceiling,
                            keyed ? "" : " without an API key");

    xmlInitParser();
    lm_eutils *c = calloc(1, sizeof *c);
    if (!c)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    size_t bl = strlen(base);
    c->base_url = malloc(bl + 2);
    c->tool = strdup(cfg->tool && cfg->tool[0] ? cfg->tool : "litmine");
    c->email = cfg->email && cfg->email[0] ? strdup(cfg->email) : NULL;
    c->api_key = keyed ? strdup(cfg->api_key) : NULL;
    if (!c->base_url || !c->tool || (cfg->email && cfg->email[0] && !c->email) ||
        (keyed && !c->api_key)) {
        lm_eutils_free(c);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    memcpy(c->base_url, base, bl + 1);
    if (bl == 0 || base[bl - 1] != '/')
        memcpy(c->base_url + bl, "/", 2);
    c->batch_size = cfg->batch_size > 0 ? cfg->batch_size : 500;
    c->cancel = cfg->cancel;
    lm_status st;
    if (cfg->limiter) {
        c->limiter = cfg->limiter;
    } else {
        if ((st = lm_ratelimit_init(&c->own_limiter, cfg->max_rps, ceiling, err)) != LM_OK) {
            lm_eutils_free(c);
            return st;
        }
        c->limiter = c->own_limiter;
    }
    lm_http_config hc = {
        .timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : 300,
        .max_tries = cfg->max_tries,
        .deadline_s = cfg->deadline_s > 0 ? cfg->deadline_s : DEFAULT_DEADLINE_S,
        .max_body_bytes = (int64_t)(cfg->max_response_mb > 0 ? cfg->max_response_mb
                                                             : DEFAULT_MAX_RESPONSE_MB)
                          << 20,
        .backoff_base_ms = cfg->backoff_base_ms,
        .backoff_max_ms = cfg->backoff_max_ms,
        .retry_after_max_s = cfg->retry_after_max_s,
        .secret = c->api_key,
        .contact = c->email,
        .limiter = c->limiter,
        .cancel = cfg->cancel,
    };
    if ((st = lm_http_init(&c->http, &hc, err)) != LM_OK) {
        lm_eutils_free(c);
        return st;
    }
    *out = c;
    return LM_OK;
}

double lm_eutils_rate(const lm_eutils *c)
{
    return lm_ratelimit_rate(c->limiter);
}

void lm_eutils_get_stats(const lm_eutils *c, lm_eutils_stats *out)
{
    const lm_http_stats *hs = lm_http_get_stats(c->http);
    out->requests = hs->requests;
    out->retries = hs->retries;
    out->bytes = hs->bytes;
    out->searches = c->searches;
    out->fetches = c->fetches;
}

lm_status lm_eutils_datetype_parse(const char *s, lm_eutils_datetype *out, lm_error *err)
{
    static const char *names[] = {"edat", "pdat", "mdat"};
    for (int i = 0; i < 3; i++) {
        if (s && strcasecmp(s, names[i]) == 0) {
            *out = (lm_eutils_datetype)i;
            return LM_OK;
        }
    }
    return lm_error_set(err, LM_ERR_USAGE, "date type must be edat, pdat or mdat, got \"%s\"",
                        s ? s : "");
}

static const char *datetype_name(lm_eutils_datetype t)
{
    switch (t) {
    case LM_EUTILS_PDAT: return "pdat";
    case LM_EUTILS_MDAT: return "mdat";
    case LM_EUTILS_EDAT: break;
    }
    return "edat";
}

/* ---- dates ---------------------------------------------------------------- */

/* The explicit day range of a date filter; open ends become 1700-01-01 and
 * tomorrow (UTC, so NCBI's US date is covered whatever the time zone). */
static lm_status explicit_range(const lm_eutils_dates *d, int64_t *lo, int64_t *hi,
                                lm_error *err)
{
    int64_t today = lm_date_today_at(0);
    lm_status st;
    *hi = today + 1;
    if (d && d->reldate > 0) {
        *lo = today - d->reldate;
        return LM_OK;
    }
    if ((st = lm_date_parse(OPEN_MINDATE, 0, lo, err)) != LM_OK)
        return st;
    if (d && d->mindate && d->mindate[0] &&
        (st = lm_date_parse(d->mindate, 0, lo, err)) != LM_OK)
        return st;
    if (d && d->maxdate && d->maxdate[0] &&
        (st = lm_date_parse(d->maxdate, 1, hi, err)) != LM_OK)
        return st;
    if (*lo > *hi)
        return lm_error_set(err, LM_ERR_USAGE, "mindate is after maxdate");
    return LM_OK;
}

static int dates_explicit(const lm_eutils_dates *d)
{
    return d && d->reldate <= 0 &&
           ((d->mindate && d->mindate[0]) || (d->maxdate && d->maxdate[0]));
}

/* ---- form building ------------------------------------------------------ */

static lm_status add_param(lm_buf *b, const char *key, const char *value)
{
    lm_status st = LM_OK;
    if (b->len)
        st = lm_buf_append_char(b, '&');
    if (st == LM_OK)
        st = lm_buf_append_str(b, key);
    if (st == LM_OK)
        st = lm_buf_append_char(b, '=');
    if (st == LM_OK)
        st = lm_http_escape(b, value);
    return st;
}

static lm_status add_param_int(lm_buf *b, const char *key, long long value)
{
    char num[24];
    snprintf(num, sizeof num, "%lld", value);
    return add_param(b, key, num);
}

static lm_status add_common(const lm_eutils *c, lm_buf *b)
{
    lm_status st = add_param(b, "tool", c->tool);
    if (st == LM_OK && c->email)
        st = add_param(b, "email", c->email);
    if (st == LM_OK && c->api_key)
        st = add_param(b, "api_key", c->api_key);
    return st;
}

static lm_status add_dates(lm_buf *b, const lm_eutils_dates *d, lm_error *err)
{
    if (!d)
        return LM_OK;
    lm_status st = LM_OK;
    if (d->reldate > 0) {
        st = add_param(b, "datetype", datetype_name(d->datetype));
        if (st == LM_OK)
            st = add_param_int(b, "reldate", d->reldate);
    } else if (dates_explicit(d)) {
        int64_t lo, hi;
        if ((st = explicit_range(d, &lo, &hi, err)) != LM_OK)
            return st;
        char smin[LM_DATE_TEXT], smax[LM_DATE_TEXT];
        lm_date_format(lo, '/', smin);
        lm_date_format(hi, '/', smax);
        st = add_param(b, "datetype", datetype_name(d->datetype));
        if (st == LM_OK)
            st = add_param(b, "mindate", smin);
        if (st == LM_OK)
            st = add_param(b, "maxdate", smax);
    }
    return st == LM_OK || st == LM_ERR_USAGE ? st : lm_error_set(err, st, "out of memory");
}

/* Sends form to an endpoint: GET when the URL stays short, else POST. */
static lm_status call(lm_eutils *c, const char *endpoint, const lm_buf *form, int force_post,
                      const lm_http_sink *sink, lm_error *err)
{
    lm_buf url;
    lm_buf_init(&url);
    lm_status st = lm_buf_append_str(&url, c->base_url);
    if (st == LM_OK)
        st = lm_buf_append_str(&url, endpoint);
    int post = force_post || url.len + 1 + form->len > GET_URL_MAX;
    if (st == LM_OK && !post) {
        st = lm_buf_append_char(&url, '?');
        if (st == LM_OK)
            st = lm_buf_append(&url, lm_buf_cstr(form), form->len);
    }
    if (st != LM_OK) {
        lm_buf_free(&url);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    st = post ? lm_http_post(c->http, lm_buf_cstr(&url), lm_buf_cstr(form), sink, err)
              : lm_http_get(c->http, lm_buf_cstr(&url), sink, err);
    lm_buf_free(&url);
    return st;
}

/* ---- looking at a body -------------------------------------------------- */

typedef enum { BODY_EMPTY, BODY_HTML, BODY_XML, BODY_OTHER } body_kind;

static const char *find_ci(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(s + i, needle, k) == 0)
            return s + i;
    return NULL;
}

static const char *find_cs(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, needle, k) == 0)
            return s + i;
    return NULL;
}

/* Classifies a body by its prolog and root element (name into root). */
static body_kind sniff_body(const char *s, size_t n, char *root, size_t rootcap)
{
    size_t i = 0;
    root[0] = '\0';
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    for (;;) {
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        if (i >= n)
            return BODY_EMPTY;
        if (s[i] != '<')
            return BODY_OTHER;
        const char *end;
        if (i + 1 < n && s[i + 1] == '?') {
            if (!(end = find_cs(s + i, n - i, "?>")))
                return BODY_EMPTY;
            i = (size_t)(end - s) + 2;
        } else if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
            if (!(end = find_cs(s + i, n - i, "-->")))
                return BODY_EMPTY;
            i = (size_t)(end - s) + 3;
        } else if (n - i >= 9 && strncasecmp(s + i, "<!DOCTYPE", 9) == 0) {
            size_t j = i + 9;
            while (j < n && isspace((unsigned char)s[j]))
                j++;
            if (n - j >= 4 && strncasecmp(s + j, "html", 4) == 0 &&
                (j + 4 == n || !isalnum((unsigned char)s[j + 4])))
                return BODY_HTML;
            int subset = 0;
            while (j < n && (subset || s[j] != '>')) {
                if (s[j] == '[')
                    subset = 1;
                else if (s[j] == ']')
                    subset = 0;
                j++;
            }
            if (j >= n)
                return BODY_EMPTY;
            i = j + 1;
        } else {
            size_t j = i + 1, k = 0;
            while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '-' ||
                             s[j] == ':' || s[j] == '.')) {
                if (k + 1 < rootcap)
                    root[k++] = s[j];
                j++;
            }
            root[k] = '\0';
            if (j >= n)
                return BODY_EMPTY;   /* cut inside the root's name */
            if (k == 0)
                return BODY_OTHER;
            return strcasecmp(root, "html") == 0 ? BODY_HTML : BODY_XML;
        }
    }
}

/* Copies text collapsing whitespace and decoding the five XML entities. */
static void append_text(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    int space = *o > 0;
    for (size_t i = 0; i < n && *o + 1 < cap; i++) {
        char c = s[i];
        if (isspace((unsigned char)c)) {
            space = 1;
            continue;
        }
        if (c == '&') {
            for (size_t e = 0; e < sizeof ents / sizeof ents[0]; e++) {
                size_t el = strlen(ents[e].ent);
                if (n - i >= el && memcmp(s + i, ents[e].ent, el) == 0) {
                    c = ents[e].c;
                    i += el - 1;
                    break;
                }
            }
        }
        if (space && *o > 0 && *o + 2 < cap)
            out[(*o)++] = ' ';
        space = 0;
        out[(*o)++] = c;
    }
    out[*o] = '\0';
}

/* Text of every <ERROR> element, joined by "; ".  Returns 0 when none. */
static int ncbi_error_text(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    int found = 0;
    out[0] = '\0';
    const char *p = s, *end = s + n;
    while ((p = find_cs(p, (size_t)(end - p), "<ERROR>")) != NULL) {
        p += 7;
        const char *q = find_cs(p, (size_t)(end - p), "</ERROR>");
        if (!q)
            q = end;
        if (found && o + 3 < cap) {
            memcpy(out + o, "; ", 3);
            o += 2;
        }
        append_text(out, cap, &o, p, (size_t)(q - p));
        found = 1;
        p = q;
    }
    return found;
}

static void html_title(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    const char *t = find_ci(s, n, "<title>");
    if (t) {
        t += 7;
        const char *e = find_ci(t, n - (size_t)(t - s), "</title>");
        append_text(out, cap, &o, t, e ? (size_t)(e - t) : 0);
    }
    if (!out[0])
        snprintf(out, cap, "(no title)");
}

/* The shared verdict on a body that is not the document expected. */
static lm_status reject_body(body_kind kind, const char *s, size_t n, const char *root,
                             const char *what, int *ncbi_error, lm_error *err)
{
    char msg[320];
    switch (kind) {
    case BODY_EMPTY:
        return lm_error_set(err, LM_ERR_PARSE, "empty or truncated %s response", what);
    case BODY_HTML:
        html_title(s, n, msg, sizeof msg);
        return lm_error_set(err, LM_ERR_FORMAT, "HTML page instead of %s XML: %s", what, msg);
    case BODY_OTHER: {
        size_t o = 0;
        append_text(msg, 60, &o, s, n < 200 ? n : 200);
        return lm_error_set(err, LM_ERR_FORMAT, "%s response is not XML: \"%s\"", what, msg);
    }
    case BODY_XML:
        break;
    }
    if (ncbi_error_text(s, n, msg, sizeof msg)) {
        *ncbi_error = 1;
        return lm_error_set(err, LM_ERR_FORMAT, "NCBI error: %s", msg);
    }
    return lm_error_set(err, LM_ERR_FORMAT, "unexpected <%s> document instead of %s XML",
                        root, what);
}

/* ---- ESearch ------------------------------------------------------------ */

void lm_eutils_search_result_init(lm_eutils_search_result *r)
{
    memset(r, 0, sizeof *r);
}

void lm_eutils_search_result_free(lm_eutils_search_result *r)
{
    free(r->webenv);
    free(r->query_key);
    free(r->ids);
    free(r->query_translation);
    free(r->warnings);
    lm_eutils_search_result_init(r);
}

static int name_is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* Trimmed content of a node, malloc'd (NULL on allocation failure). */
static char *node_text(const xmlNode *n)
{
    xmlChar *t = xmlNodeGetContent(n);
    if (!t)
        return strdup("");
    const char *s = (const char *)t;
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    xmlFree(t);
    return out;
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || v < 0)
        return 0;
    *out = v;
    return 1;
}

/* Appends "label: text" (or text) to a "; "-separated list unless present. */
static lm_status add_warning(lm_buf *w, const char *label, const char *text)
{
    char item[400];
    if (label)
        snprintf(item, sizeof item, "%s: %s", label, text);
    else
        snprintf(item, sizeof item, "%s", text);
    if (!item[0] || (w->len && strstr(lm_buf_cstr(w), item)) || w->len > WARNINGS_MAX)
        return LM_OK;
    lm_status st = LM_OK;
    if (w->len)
        st = lm_buf_append_str(w, "; ");
    return st == LM_OK ? lm_buf_append_str(w, item) : st;
}

static lm_status collect_list(const xmlNode *list, int warning_list, lm_buf *w)
{
    for (const xmlNode *k = list->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        char *t = node_text(k);
        if (!t)
            return LM_ERR_NOMEM;
        int plain = warning_list && strcmp((const char *)k->name, "OutputMessage") == 0;
        lm_status st = add_warning(w, plain ? NULL : (const char *)k->name, t);
        free(t);
        if (st != LM_OK)
            return st;
    }
    return LM_OK;
}

/* SAX entityDecl hook of the ESearch parse: NCBI's documents declare no
 * entity, and expanding nested ones is how a 1 KB document asks for
 * gigabytes ("billion laughs").  Stopping at the first declaration means
 * nothing declared is ever expanded, whatever libxml2's own limits. */
static void refuse_entity_decl(void *ctx, const xmlChar *name, int type,
                               const xmlChar *public_id, const xmlChar *system_id,
                               xmlChar *content)
{
    (void)name, (void)type, (void)public_id, (void)system_id, (void)content;
    xmlParserCtxtPtr ctxt = ctx;
    *(int *)ctxt->_private = 1;
    xmlStopParser(ctxt);
}

/* Parses an ESearch body into a tree: no network, no DTD, no entity
 * declarations, and libxml2's default size limits (no XML_PARSE_HUGE). */
static lm_status read_search_doc(const char *xml, size_t len, xmlDoc **out, lm_error *err)
{
    *out = NULL;
    if (len > INT_MAX)
        return lm_error_set(err, LM_ERR_FORMAT, "ESearch response too large");
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    int entities = 0;
    ctxt->_private = &entities;
    ctxt->sax->entityDecl = refuse_entity_decl;
    xmlDoc *doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "esearch.xml", NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    lm_status st = LM_OK;
    if (entities) {
        st = lm_error_set(err, LM_ERR_FORMAT,
                          "ESearch response declares XML entities; refused (a document that "
                          "expands entities can exhaust memory)");
    } else if (!doc) {
        const xmlError *e = &ctxt->lastError;
        char msg[200] = "";
        if (e->message) {
            size_t o = 0;
            append_text(msg, sizeof msg, &o, e->message, strlen(e->message));
        }
        st = lm_error_set(err, LM_ERR_PARSE, "malformed or truncated ESearch XML%s%s",
                          msg[0] ? ": " : "", msg);
    }
    if (st != LM_OK && doc) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    xmlFreeParserCtxt(ctxt);
    *out = doc;
    return st;
}

static lm_status parse_search(const char *xml, size_t len, lm_eutils_search_result *out,
                              int *ncbi_error, lm_error *err)
{
    lm_eutils_search_result_free(out);
    char root[64];
    body_kind kind = sniff_body(xml, len, root, sizeof root);
    if (kind != BODY_XML || strcmp(root, "eSearchResult") != 0)
        return reject_body(kind, xml, len, root, "ESearch", ncbi_error, err);
    xmlDoc *doc;
    lm_status rst = read_search_doc(xml, len, &doc, err);
    if (rst != LM_OK)
        return rst;
    lm_status st = LM_OK;
    int have_count = 0;
    size_t ids_cap = 0;
    lm_buf warnings, errors;
    lm_buf_init(&warnings);
    lm_buf_init(&errors);
    for (const xmlNode *n = xmlDocGetRootElement(doc)->children; n && st == LM_OK; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (name_is(n, "IdList")) {
            for (const xmlNode *k = n->children; k && st == LM_OK; k = k->next) {
                if (!name_is(k, "Id"))
                    continue;
                char *t = node_text(k);
                int64_t id;
                if (!t) {
                    st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
                } else if (!parse_i64(t, &id)) {
                    st = lm_error_set(err, LM_ERR_FORMAT, "ESearch: bad Id \"%.40s\"", t);
                } else {
                    if (out->n_ids == ids_cap) {
                        size_t nc = ids_cap ? ids_cap * 2 : 64;
                        int64_t *grown = realloc(out->ids, nc * sizeof *grown);
                        if (!grown)
                            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
                        else
                            out->ids = grown, ids_cap = nc;
                    }
                    if (st == LM_OK)
                        out->ids[out->n_ids++] = id;
                }
                free(t);
            }
            continue;
        }
        if (name_is(n, "ErrorList") || name_is(n, "WarningList")) {
            if (collect_list(n, name_is(n, "WarningList"), &warnings) != LM_OK)
                st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
            continue;
        }
        char *t = node_text(n);
        if (!t) {
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
            break;
        }
        if (name_is(n, "Count") && !have_count) {
            if (!parse_i64(t, &out->count))
                st = lm_error_set(err, LM_ERR_FORMAT, "ESearch: bad Count \"%.40s\"", t);
            have_count = 1;
        } else if (name_is(n, "RetStart")) {
            if (!parse_i64(t, &out->retstart))
                st = lm_error_set(err, LM_ERR_FORMAT, "ESearch: bad RetStart \"%.40s\"", t);
        } else if (name_is(n, "QueryKey") && !out->query_key) {
            out->query_key = t, t = NULL;
        } else if (name_is(n, "WebEnv") && !out->webenv) {
            out->webenv = t, t = NULL;
        } else if (name_is(n, "QueryTranslation") && !out->query_translation) {
            out->query_translation = t, t = NULL;
        } else if (name_is(n, "ERROR")) {
            if ((errors.len && lm_buf_append_str(&errors, "; ") != LM_OK) ||
                lm_buf_append_str(&errors, t) != LM_OK)
                st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        }
        free(t);
    }
    xmlFreeDoc(doc);
    if (st == LM_OK && errors.len) {
        *ncbi_error = 1;
        st = lm_error_set(err, LM_ERR_FORMAT, "NCBI error: %s", lm_buf_cstr(&errors));
    }
    if (st == LM_OK && !have_count)
        st = lm_error_set(err, LM_ERR_FORMAT, "ESearch response without a Count");
    if (st == LM_OK && warnings.len)
        out->warnings = lm_buf_take(&warnings);
    lm_buf_free(&warnings);
    lm_buf_free(&errors);
    if (st != LM_OK)
        lm_eutils_search_result_free(out);
    return st;
}

lm_status lm_eutils_parse_search(const char *xml, size_t len, lm_eutils_search_result *out,
                                 lm_error *err)
{
    int ncbi_error = 0;
    lm_status st = parse_search(xml, len, out, &ncbi_error, err);
    if (st != LM_OK && ncbi_error) {
        if (err)
            err->code = LM_ERR_NET;
        st = LM_ERR_NET;
    }
    return st;
}

typedef struct search_sink {
    lm_buf body;
    lm_eutils_search_result *out;
    int ncbi_error;
} search_sink;

static lm_status body_begin(void *ctx, int64_t *resume_from, lm_error *err)
{
    (void)resume_from, (void)err;
    lm_buf_reset(ctx);   /* the lm_buf is each sink's first member */
    return LM_OK;
}

static lm_status body_write_capped(lm_buf *b, size_t max, const char *data, size_t len,
                                   lm_error *err)
{
    if (b->len + len > max)
        return lm_error_set(err, LM_ERR_FORMAT, "response larger than %zu MB", max >> 20);
    if (lm_buf_append(b, data, len) != LM_OK)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory buffering a response");
    return LM_OK;
}

static lm_status search_write(void *ctx, const char *data, size_t len, lm_error *err)
{
    return body_write_capped(&((search_sink *)ctx)->body, SEARCH_BODY_MAX, data, len, err);
}

static lm_status search_end(void *ctx, lm_error *err)
{
    search_sink *s = ctx;
    return parse_search(s->body.data ? s->body.data : "", s->body.len, s->out,
                        &s->ncbi_error, err);
}

lm_status lm_eutils_search(lm_eutils *c, const char *query, const lm_eutils_dates *dates,
                           long retstart, long retmax, lm_eutils_search_result *out,
                           lm_error *err)
{
    if (!query || !query[0])
        return lm_error_set(err, LM_ERR_USAGE, "empty PubMed query");
    if (retstart < 0 || retmax < 0 || retmax > LM_EUTILS_WINDOW)
        return lm_error_set(err, LM_ERR_USAGE, "ESearch retstart/retmax out of range");
    lm_buf form;
    lm_buf_init(&form);
    lm_status st = add_param(&form, "db", "pubmed");
    if (st == LM_OK)
        st = add_param(&form, "term", query);
    if (st == LM_OK)
        st = add_param(&form, "usehistory", "y");
    if (st == LM_OK)
        st = add_param_int(&form, "retstart", retstart);
    if (st == LM_OK)
        st = add_param_int(&form, "retmax", retmax);
    if (st == LM_OK)
        st = add_dates(&form, dates, err);
    if (st == LM_OK)
        st = add_common(c, &form);
    if (st != LM_OK) {
        lm_buf_free(&form);
        return st == LM_ERR_USAGE ? st : lm_error_set(err, st, "out of memory");
    }
    search_sink s = {.out = out};
    lm_buf_init(&s.body);
    lm_http_sink sink = {.begin = body_begin, .write = search_write, .end = search_end,
                         .ctx = &s};
    st = call(c, "esearch.fcgi", &form, 0, &sink, err);
    if (st != LM_OK && s.ncbi_error) {
        if (err)
            err->code = LM_ERR_NET;
        st = LM_ERR_NET;
    }
    if (st == LM_OK)
        c->searches++;
    lm_buf_free(&s.body);
    lm_buf_free(&form);
    return st;
}

/* ---- a set of PMIDs -------------------------------------------------------- */

static lm_status pmid_set_add(lm_map *s, int64_t v, int *added)
{
    return lm_map_upsert(s, (uint64_t)v, added) ? LM_OK : LM_ERR_NOMEM;
}

/* ---- EFetch ------------------------------------------------------------- */

typedef struct fetch_sink {
    lm_buf body;
    int ncbi_error;
    int64_t expect_min;    /* > 0: an empty article set means a failed response */
    uint64_t n_articles;   /* counted by the checking pass */
} fetch_sink;

static lm_status fetch_write(void *ctx, const char *data, size_t len, lm_error *err)
{
    /* lm_http bounds the body (max_response_mb). */
    if (lm_buf_append(&((fetch_sink *)ctx)->body, data, len) != LM_OK)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory buffering a response");
    return LM_OK;
}

static lm_status count_article(void *ctx, lm_article *a, lm_error *err)
{
    (void)a, (void)err;
    ((fetch_sink *)ctx)->n_articles++;
    return LM_OK;
}

static lm_status parse_body(const char *body, size_t len, const char *source,
                            const lm_pubmed_handler *handler, lm_error *err)
{
    lm_pubmed_parser *p;
    lm_status st = lm_pubmed_parser_init(&p, source, handler, err);
    if (st != LM_OK)
        return st;
    for (size_t off = 0; off < len && st == LM_OK; off += FEED_CHUNK) {
        size_t n = len - off < FEED_CHUNK ? len - off : FEED_CHUNK;
        st = lm_pubmed_parser_feed(p, body + off, n, err);
    }
    if (st == LM_OK)
        st = lm_pubmed_parser_finish(p, err);
    lm_pubmed_parser_free(p);
    return st;
}

/* The checking pass: only a complete PubmedArticleSet is accepted. */
static lm_status check_fetch(fetch_sink *f, const char *s, size_t len, lm_error *err)
{
    char root[64];
    body_kind kind = sniff_body(s, len, root, sizeof root);
    if (kind != BODY_XML ||
        (strcmp(root, "PubmedArticleSet") != 0 && strcmp(root, "PubmedBookArticleSet") != 0))
        return reject_body(kind, s, len, root, "PubMed", &f->ncbi_error, err);
    f->n_articles = 0;
    lm_pubmed_handler counter = {.on_article = count_article, .ctx = f};
    lm_status st = parse_body(s, len, "EFetch response", &counter, err);
    /* Malformed XML may be a cut-off transfer, worth a retry; a document
     * the parser refuses (one declaring entities) is not. */
    if (st != LM_OK)
        return st == LM_ERR_NOMEM || st == LM_ERR_FORMAT ? st : LM_ERR_PARSE;
    if (f->n_articles == 0 && f->expect_min > 0)
        return lm_error_set(err, LM_ERR_PARSE,
                            "EFetch returned no articles where %lld were expected",
                            (long long)f->expect_min);
    return LM_OK;
}

static lm_status fetch_end(void *ctx, lm_error *err)
{
    fetch_sink *f = ctx;
    return check_fetch(f, f->body.data ? f->body.data : "", f->body.len, err);
}

lm_status lm_eutils_parse_fetch(const char *xml, size_t len, const lm_pubmed_handler *handler,
                                lm_error *err)
{
    fetch_sink f = {0};
    lm_status st = check_fetch(&f, xml, len, err);
    if (st != LM_OK && f.ncbi_error) {
        if (err)
            err->code = LM_ERR_NET;
        return LM_ERR_NET;
    }
    return st == LM_OK ? parse_body(xml, len, "EFetch response", handler, err) : st;
}

typedef struct fetch_state {
    lm_eutils *c;
    const char *query;
    lm_eutils_datetype datetype;
    const lm_pubmed_handler *handler;
    lm_eutils_fetch_opts opts;
    lm_eutils_fetch_result *res;
    lm_map seen;              /* PMIDs delivered so far */
    lm_buf warnings;
    int64_t cum;     /* records of the result that lie before the current slice */
    int done;        /* max_records reached */
} fetch_state;

typedef struct deliver_ctx {
    fetch_state *s;
    int64_t limit;      /* articles still allowed; -1: no limit */
    size_t n;           /* delivered in this batch */
    size_t seen;        /* articles in the response, duplicates included */
} deliver_ctx;

static lm_status deliver_article(void *ctx, lm_article *a, lm_error *err)
{
    deliver_ctx *d = ctx;
    d->seen++;
    if (d->limit == 0)
        return LM_OK;
    if (a->pmid > 0) {
        int added;
        if (pmid_set_add(&d->s->seen, a->pmid, &added) != LM_OK)
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        if (!added) {
            d->s->res->duplicates++;
            return LM_OK;
        }
    }
    const lm_pubmed_handler *h = d->s->handler;
    if (h->on_article) {
        lm_status st = h->on_article(h->ctx, a, err);
        if (st != LM_OK)
            return st;
    }
    d->n++;
    d->s->res->delivered++;
    if (d->limit > 0)
        d->limit--;
    return LM_OK;
}

/* A bad article (over the parser's size caps, a PMID that is no number) is
 * passed on to the caller, who reports and counts it like one in a file. */
static void deliver_reject(void *ctx, const char *msg)
{
    const lm_pubmed_handler *h = ((deliver_ctx *)ctx)->s->handler;
    if (h->on_reject)
        h->on_reject(h->ctx, msg);
}

static lm_status note(fetch_state *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static lm_status note(fetch_state *s, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return add_warning(&s->warnings, NULL, msg);
}

static lm_status check_stop(const fetch_state *s, lm_error *err)
{
    if (lm_cancel_requested(s->c->cancel))
        return lm_error_set(err, LM_ERR_INTERRUPTED,
                            "interrupted after %lld articles; delivered batches are complete",
                            (long long)s->res->delivered);
    return LM_OK;
}

static int64_t remaining_allowed(const fetch_state *s)
{
    if (s->opts.max_records <= 0)
        return -1;
    int64_t left = s->opts.max_records - s->res->delivered;
    return left > 0 ? left : 0;
}

/* One EFetch request, checked, then delivered. */
static lm_status run_batch(fetch_state *s, const lm_buf *form, int force_post,
                           int64_t expect_min, deliver_ctx *d, lm_error *err)
{
    fetch_sink f = {.expect_min = expect_min};
    lm_buf_init(&f.body);
    lm_http_sink sink = {.begin = body_begin, .write = fetch_write, .end = fetch_end,
                         .ctx = &f};
    lm_status st = call(s->c, "efetch.fcgi", form, force_post, &sink, err);
    if (st != LM_OK && f.ncbi_error) {
        if (err)
            err->code = LM_ERR_NET;
        st = LM_ERR_NET;
    }
    if (st == LM_OK) {
        s->c->fetches++;
        lm_pubmed_handler wrap = {.on_article = deliver_article, .on_reject = deliver_reject,
                                  .ctx = d};
        st = parse_body(f.body.data, f.body.len, "EFetch response", &wrap, err);
    }
    lm_buf_free(&f.body);
    return st;
}

static lm_status after_batch(fetch_state *s, size_t n, int64_t offset, int64_t next,
                             const char *smin, const char *smax, int slice_done,
                             lm_error *err)
{
    lm_eutils_batch b = {
        .index = s->res->batches,
        .n_articles = n,
        .delivered = s->res->delivered,
        .expected = s->res->count,
        .offset = offset,
        .next_offset = next,
        .slice_mindate = smin,
        .slice_maxdate = smax,
        .slice_done = slice_done,
    };
    s->res->batches++;
    if (s->opts.max_records > 0 && s->res->delivered >= s->opts.max_records)
        s->done = 1;
    return s->opts.on_batch ? s->opts.on_batch(s->opts.batch_ctx, &b, err) : LM_OK;
}

/* Fetches the records of one search (a slice) from the history server. */
static lm_status fetch_history(fetch_state *s, const lm_eutils_search_result *sr,
                               const char *smin, const char *smax, lm_error *err)
{
    int64_t n = sr->count;
    s->res->slices++;
    if (s->opts.start_offset >= s->cum + n) {
        s->cum += n;
        return LM_OK;
    }
    int64_t start = s->opts.start_offset > s->cum ? s->opts.start_offset - s->cum : 0;
    if (n > 0 && (!sr->webenv || !sr->query_key))
        return lm_error_set(err, LM_ERR_FORMAT, "ESearch gave no WebEnv/QueryKey");
    lm_status st = LM_OK;
    for (int64_t retstart = start; retstart < n && !s->done && st == LM_OK;) {
        if ((st = check_stop(s, err)) != LM_OK)
            break;
        int64_t retmax = n - retstart < s->c->batch_size ? n - retstart : s->c->batch_size;
        int64_t allowed = remaining_allowed(s);
        if (allowed == 0)
            break;
        if (allowed > 0 && retmax > allowed)
            retmax = allowed;
        lm_buf form;
        lm_buf_init(&form);
        st = add_param(&form, "db", "pubmed");
        if (st == LM_OK)
            st = add_param(&form, "query_key", sr->query_key);
        if (st == LM_OK)
            st = add_param(&form, "WebEnv", sr->webenv);
        if (st == LM_OK)
            st = add_param_int(&form, "retstart", retstart);
        if (st == LM_OK)
            st = add_param_int(&form, "retmax", retmax);
        if (st == LM_OK)
            st = add_param(&form, "retmode", "xml");
        if (st == LM_OK)
            st = add_common(s->c, &form);
        if (st != LM_OK) {
            lm_buf_free(&form);
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        }
        deliver_ctx d = {.s = s, .limit = allowed};
        st = run_batch(s, &form, 0, 1, &d, err);
        lm_buf_free(&form);
        if (st != LM_OK)
            break;
        if ((int64_t)d.seen < retmax)
            note(s, "EFetch returned %zu of %lld records at retstart %lld%s%s", d.seen,
                 (long long)retmax, (long long)retstart, smin ? " of slice " : "",
                 smin ? smin : "");
        int64_t next = retstart + retmax;
        st = after_batch(s, d.n, s->cum + retstart, s->cum + next, smin, smax, next >= n, err);
        retstart = next;
    }
    s->cum += n;
    return st;
}

static lm_status search_range(fetch_state *s, int64_t lo, int64_t hi,
                              lm_eutils_search_result *r, lm_error *err)
{
    char smin[LM_DATE_TEXT], smax[LM_DATE_TEXT];
    lm_date_format(lo, '/', smin);
    lm_date_format(hi, '/', smax);
    lm_eutils_dates d = {.mindate = smin, .maxdate = smax, .datetype = s->datetype};
    lm_status st = lm_eutils_search(s->c, s->query, &d, 0, 0, r, err);
    s->res->searches++;
    if (st == LM_OK && r->warnings)
        add_warning(&s->warnings, NULL, r->warnings);
    return st;
}

/* Fetches the day range [lo, hi], whose search `known` already ran,
 * halving it while it holds more than one query can reach. */
static lm_status fetch_range(fetch_state *s, int64_t lo, int64_t hi,
                             const lm_eutils_search_result *known, lm_error *err)
{
    char smin[LM_DATE_TEXT], smax[LM_DATE_TEXT];
    lm_date_format(lo, '/', smin);
    lm_date_format(hi, '/', smax);
    if (known->count <= LM_EUTILS_WINDOW)
        return fetch_history(s, known, smin, smax, err);
    if (s->opts.start_offset >= s->cum + known->count) {
        s->cum += known->count;   /* already delivered in an earlier run */
        return LM_OK;
    }
    if (lo >= hi)
        return lm_error_set(err, LM_ERR_USAGE,
                            "%lld records have %s %s, more than the %d one E-utilities "
                            "query can reach; narrow the query or use another date type",
                            (long long)known->count, datetype_name(s->datetype), smin,
                            LM_EUTILS_WINDOW);
    int64_t mid = lo + (hi - lo) / 2;
    int64_t bounds[2][2] = {{lo, mid}, {mid + 1, hi}};
    int64_t sum = 0;
    for (int i = 0; i < 2 && !s->done; i++) {
        lm_eutils_search_result r;
        lm_eutils_search_result_init(&r);
        lm_status st = search_range(s, bounds[i][0], bounds[i][1], &r, err);
        if (st == LM_OK) {
            sum += r.count;
            st = fetch_range(s, bounds[i][0], bounds[i][1], &r, err);
        }
        lm_eutils_search_result_free(&r);
        if (st != LM_OK)
            return st;
    }
    if (!s->done && sum != known->count)
        note(s, "%s..%s matched %lld records but its halves %lld (PubMed changed meanwhile?)",
             smin, smax, (long long)known->count, (long long)sum);
    return LM_OK;
}

static lm_status fetch_begin(fetch_state *s, lm_eutils *c, const lm_eutils_fetch_opts *opts,
                             const lm_pubmed_handler *handler, lm_eutils_fetch_result *res,
                             lm_error *err)
{
    memset(s, 0, sizeof *s);
    memset(res, 0, sizeof *res);
    s->c = c;
    s->handler = handler;
    s->res = res;
    if (opts)
        s->opts = *opts;
    lm_buf_init(&s->warnings);
    if (!handler)
        return lm_error_set(err, LM_ERR_USAGE, "no article handler");
    if (s->opts.max_records < 0 || s->opts.start_offset < 0)
        return lm_error_set(err, LM_ERR_USAGE, "negative max_records or start_offset");
    return LM_OK;
}

static lm_status fetch_end_call(fetch_state *s, lm_status st)
{
    if (s->warnings.len)
        s->res->warnings = lm_buf_take(&s->warnings);
    lm_buf_free(&s->warnings);
    lm_map_free(&s->seen);
    return st;
}

void lm_eutils_fetch_result_free(lm_eutils_fetch_result *r)
{
    if (!r)
        return;
    free(r->warnings);
    memset(r, 0, sizeof *r);
}

lm_status lm_eutils_fetch_query(lm_eutils *c, const char *query,
                                const lm_eutils_dates *dates,
                                const lm_eutils_fetch_opts *opts,
                                const lm_pubmed_handler *handler,
                                lm_eutils_fetch_result *res, lm_error *err)
{
    lm_eutils_fetch_result local;
    if (!res)
        res = &local;
    fetch_state s;
    lm_status st = fetch_begin(&s, c, opts, handler, res, err);
    if (st != LM_OK)
        return fetch_end_call(&s, st);
    s.query = query;
    s.datetype = dates ? dates->datetype : LM_EUTILS_EDAT;

    lm_eutils_search_result first;
    lm_eutils_search_result_init(&first);
    st = lm_eutils_search(c, query, dates, 0, 0, &first, err);
    res->searches++;
    if (st == LM_OK) {
        res->count = first.count;
        if (first.warnings)
            add_warning(&s.warnings, NULL, first.warnings);
        if (first.count <= LM_EUTILS_WINDOW) {
            st = fetch_history(&s, &first, NULL, NULL, err);
        } else {
            int64_t lo, hi;
            st = explicit_range(dates, &lo, &hi, err);
            if (st == LM_OK && dates_explicit(dates)) {
                st = fetch_range(&s, lo, hi, &first, err);
            } else if (st == LM_OK) {
                /* reldate / no dates: search the same range with explicit
                 * dates, so that the halves add up to the whole. */
                lm_eutils_search_result whole;
                lm_eutils_search_result_init(&whole);
                st = search_range(&s, lo, hi, &whole, err);
                if (st == LM_OK) {
                    res->count = whole.count;
                    st = fetch_range(&s, lo, hi, &whole, err);
                }
                lm_eutils_search_result_free(&whole);
            }
        }
    }
    lm_eutils_search_result_free(&first);
    st = fetch_end_call(&s, st);
    if (res == &local)
        lm_eutils_fetch_result_free(&local);
    return st;
}

lm_status lm_eutils_fetch_ids(lm_eutils *c, const int64_t *pmids, size_t n,
                              const lm_eutils_fetch_opts *opts,
                              const lm_pubmed_handler *handler,
                              lm_eutils_fetch_result *res, lm_error *err)
{
    lm_eutils_fetch_result local;
    if (!res)
        res = &local;
    fetch_state s;
    lm_status st = fetch_begin(&s, c, opts, handler, res, err);
    int64_t *uniq = NULL;
    size_t nu = 0;
    lm_map input;
    lm_map_init(&input);
    if (st == LM_OK && n > 0 && !(uniq = malloc(n * sizeof *uniq)))
        st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && st == LM_OK; i++) {
        int added;
        if (pmids[i] <= 0)
            st = lm_error_set(err, LM_ERR_USAGE, "invalid PMID %lld", (long long)pmids[i]);
        else if (pmid_set_add(&input, pmids[i], &added) != LM_OK)
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        else if (added)
            uniq[nu++] = pmids[i];
    }
    lm_map_free(&input);
    res->count = (int64_t)nu;
    res->slices = nu > 0;
    lm_buf ids;
    lm_buf_init(&ids);
    for (size_t i = (size_t)s.opts.start_offset; st == LM_OK && i < nu && !s.done;) {
        if ((st = check_stop(&s, err)) != LM_OK)
            break;
        size_t k = nu - i < (size_t)c->batch_size ? nu - i : (size_t)c->batch_size;
        int64_t allowed = remaining_allowed(&s);
        if (allowed == 0)
            break;
        if (allowed > 0 && (int64_t)k > allowed)
            k = (size_t)allowed;
        lm_buf_reset(&ids);
        for (size_t j = 0; j < k && st == LM_OK; j++) {
            char num[24];
            snprintf(num, sizeof num, "%s%lld", j ? "," : "", (long long)uniq[i + j]);
            st = lm_buf_append_str(&ids, num);
        }
        lm_buf form;
        lm_buf_init(&form);
        if (st == LM_OK)
            st = add_param(&form, "db", "pubmed");
        if (st == LM_OK)
            st = add_param(&form, "id", lm_buf_cstr(&ids));
        if (st == LM_OK)
            st = add_param(&form, "retmode", "xml");
        if (st == LM_OK)
            st = add_common(c, &form);
        if (st != LM_OK) {
            lm_buf_free(&form);
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
            break;
        }
        deliver_ctx d = {.s = &s, .limit = allowed};
        st = run_batch(&s, &form, k > LM_EUTILS_GET_MAX_IDS, 0, &d, err);
        lm_buf_free(&form);
        if (st != LM_OK)
            break;
        if (d.seen < k)
            res->missing += (int64_t)(k - d.seen);
        st = after_batch(&s, d.n, (int64_t)i, (int64_t)(i + k), NULL, NULL, i + k >= nu, err);
        i += k;
    }
    lm_buf_free(&ids);
    free(uniq);
    if (st == LM_OK && res->missing > 0)
        note(&s, "%lld of the requested PMIDs were not returned by PubMed",
             (long long)res->missing);
    st = fetch_end_call(&s, st);
    if (res == &local)
        lm_eutils_fetch_result_free(&local);
    return st;
}
