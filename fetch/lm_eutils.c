/*
 * E-utilities client (see lm_eutils.h): the client and its settings, the
 * requests (rate-limited, retried and bounded by lm_http), what a response
 * body is, and ESearch.  EFetch and the date slicing are in
 * lm_eutils_fetch.c; what the two share is in lm_eutils_impl.h.
 *
 * Responses are buffered whole: ESearch answers are small, and an EFetch
 * batch must be complete before any of it is delivered.
 *
 * NCBI signals some failures with HTTP 200: an <ERROR> document (reported
 * as LM_ERR_NET with NCBI's text, not retried: it is usually a bad query
 * or an expired history), or an HTML page (LM_ERR_FORMAT).  Inside the
 * HTTP sink both travel as LM_ERR_FORMAT, which the HTTP layer treats as
 * final; the ncbi_error flag restores the right status afterwards.
 */
#include "../util/lm_buf.h"
#include "../util/lm_date.h"
#include "lm_eutils_impl.h"

#include <ctype.h>
#include <limits.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
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
#define OPEN_MINDATE "1700/01/01"

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

const char *lm_eutils_datetype_name(lm_eutils_datetype t)
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
lm_status lm_eutils_day_range(const lm_eutils_dates *d, int64_t *lo, int64_t *hi,
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

int lm_eutils_dates_explicit(const lm_eutils_dates *d)
{
    return d && d->reldate <= 0 &&
           ((d->mindate && d->mindate[0]) || (d->maxdate && d->maxdate[0]));
}

/* ---- form building ------------------------------------------------------ */

lm_status lm_eutils_form_add(lm_buf *b, const char *key, const char *value)
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

lm_status lm_eutils_form_int(lm_buf *b, const char *key, long long value)
{
    char num[24];
    snprintf(num, sizeof num, "%lld", value);
    return lm_eutils_form_add(b, key, num);
}

lm_status lm_eutils_form_common(const lm_eutils *c, lm_buf *b)
{
    lm_status st = lm_eutils_form_add(b, "tool", c->tool);
    if (st == LM_OK && c->email)
        st = lm_eutils_form_add(b, "email", c->email);
    if (st == LM_OK && c->api_key)
        st = lm_eutils_form_add(b, "api_key", c->api_key);
    return st;
}

static lm_status add_dates(lm_buf *b, const lm_eutils_dates *d, lm_error *err)
{
    if (!d)
        return LM_OK;
    lm_status st = LM_OK;
    if (d->reldate > 0) {
        st = lm_eutils_form_add(b, "datetype", lm_eutils_datetype_name(d->datetype));
        if (st == LM_OK)
            st = lm_eutils_form_int(b, "reldate", d->reldate);
    } else if (lm_eutils_dates_explicit(d)) {
        int64_t lo, hi;
        if ((st = lm_eutils_day_range(d, &lo, &hi, err)) != LM_OK)
            return st;
        char smin[LM_DATE_TEXT], smax[LM_DATE_TEXT];
        lm_date_format(lo, '/', smin);
        lm_date_format(hi, '/', smax);
        st = lm_eutils_form_add(b, "datetype", lm_eutils_datetype_name(d->datetype));
        if (st == LM_OK)
            st = lm_eutils_form_add(b, "mindate", smin);
        if (st == LM_OK)
            st = lm_eutils_form_add(b, "maxdate", smax);
    }
    return st == LM_OK || st == LM_ERR_USAGE ? st : lm_error_set(err, st, "out of memory");
}

/* Sends form to an endpoint: GET when the URL stays short, else POST. */
lm_status lm_eutils_call(lm_eutils *c, const char *endpoint, const lm_buf *form, int force_post,
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
lm_eutils_body_kind lm_eutils_sniff_body(const char *s, size_t n, char *root, size_t rootcap)
{
    size_t i = 0;
    root[0] = '\0';
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    for (;;) {
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        if (i >= n)
            return LM_EUTILS_BODY_EMPTY;
        if (s[i] != '<')
            return LM_EUTILS_BODY_OTHER;
        const char *end;
        if (i + 1 < n && s[i + 1] == '?') {
            if (!(end = find_cs(s + i, n - i, "?>")))
                return LM_EUTILS_BODY_EMPTY;
            i = (size_t)(end - s) + 2;
        } else if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
            if (!(end = find_cs(s + i, n - i, "-->")))
                return LM_EUTILS_BODY_EMPTY;
            i = (size_t)(end - s) + 3;
        } else if (n - i >= 9 && strncasecmp(s + i, "<!DOCTYPE", 9) == 0) {
            size_t j = i + 9;
            while (j < n && isspace((unsigned char)s[j]))
                j++;
            if (n - j >= 4 && strncasecmp(s + j, "html", 4) == 0 &&
                (j + 4 == n || !isalnum((unsigned char)s[j + 4])))
                return LM_EUTILS_BODY_HTML;
            int subset = 0;
            while (j < n && (subset || s[j] != '>')) {
                if (s[j] == '[')
                    subset = 1;
                else if (s[j] == ']')
                    subset = 0;
                j++;
            }
            if (j >= n)
                return LM_EUTILS_BODY_EMPTY;
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
                return LM_EUTILS_BODY_EMPTY;   /* cut inside the root's name */
            if (k == 0)
                return LM_EUTILS_BODY_OTHER;
            return strcasecmp(root, "html") == 0 ? LM_EUTILS_BODY_HTML : LM_EUTILS_BODY_XML;
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
lm_status lm_eutils_reject_body(lm_eutils_body_kind kind, const char *s, size_t n, const char *root,
                             const char *what, int *ncbi_error, lm_error *err)
{
    char msg[320];
    switch (kind) {
    case LM_EUTILS_BODY_EMPTY:
        return lm_error_set(err, LM_ERR_PARSE, "empty or truncated %s response", what);
    case LM_EUTILS_BODY_HTML:
        html_title(s, n, msg, sizeof msg);
        return lm_error_set(err, LM_ERR_FORMAT, "HTML page instead of %s XML: %s", what, msg);
    case LM_EUTILS_BODY_OTHER: {
        size_t o = 0;
        append_text(msg, 60, &o, s, n < 200 ? n : 200);
        return lm_error_set(err, LM_ERR_FORMAT, "%s response is not XML: \"%s\"", what, msg);
    }
    case LM_EUTILS_BODY_XML:
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
lm_status lm_eutils_add_warning(lm_buf *w, const char *label, const char *text)
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
        lm_status st = lm_eutils_add_warning(w, plain ? NULL : (const char *)k->name, t);
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
    lm_eutils_body_kind kind = lm_eutils_sniff_body(xml, len, root, sizeof root);
    if (kind != LM_EUTILS_BODY_XML || strcmp(root, "eSearchResult") != 0)
        return lm_eutils_reject_body(kind, xml, len, root, "ESearch", ncbi_error, err);
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

lm_status lm_eutils_body_begin(void *ctx, int64_t *resume_from, lm_error *err)
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
    lm_status st = lm_eutils_form_add(&form, "db", "pubmed");
    if (st == LM_OK)
        st = lm_eutils_form_add(&form, "term", query);
    if (st == LM_OK)
        st = lm_eutils_form_add(&form, "usehistory", "y");
    if (st == LM_OK)
        st = lm_eutils_form_int(&form, "retstart", retstart);
    if (st == LM_OK)
        st = lm_eutils_form_int(&form, "retmax", retmax);
    if (st == LM_OK)
        st = add_dates(&form, dates, err);
    if (st == LM_OK)
        st = lm_eutils_form_common(c, &form);
    if (st != LM_OK) {
        lm_buf_free(&form);
        return st == LM_ERR_USAGE ? st : lm_error_set(err, st, "out of memory");
    }
    search_sink s = {.out = out};
    lm_buf_init(&s.body);
    lm_http_sink sink = {.begin = lm_eutils_body_begin, .write = search_write, .end = search_end,
                         .ctx = &s};
    st = lm_eutils_call(c, "esearch.fcgi", &form, 0, &sink, err);
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

