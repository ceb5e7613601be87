/*
 * EFetch (see lm_eutils.h): the records of a search, from the history
 * server in batches, or of a PMID list.  A search over more records than
 * one E-utilities query can reach (LM_EUTILS_WINDOW) is fetched in day
 * ranges, each halved while it still holds too many; every PMID is
 * delivered once however the slices overlap.
 *
 * The buffered EFetch body is parsed twice — once while the HTTP layer can
 * still call the attempt a failure and retry (counting articles, proving
 * the XML is complete), then again to hand articles to the caller.
 * Parsing costs far less than the rate-limited network round trip, and the
 * second pass gives the caller the parser's own lm_article values with no
 * copying.
 */
#include "../util/lm_date.h"
#include "../util/lm_map.h"
#include "lm_eutils_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FEED_CHUNK ((size_t)1 << 20)

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
    lm_eutils_body_kind kind = lm_eutils_sniff_body(s, len, root, sizeof root);
    if (kind != LM_EUTILS_BODY_XML ||
        (strcmp(root, "PubmedArticleSet") != 0 && strcmp(root, "PubmedBookArticleSet") != 0))
        return lm_eutils_reject_body(kind, s, len, root, "PubMed", &f->ncbi_error, err);
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
    return lm_eutils_add_warning(&s->warnings, NULL, msg);
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
    lm_http_sink sink = {.begin = lm_eutils_body_begin, .write = fetch_write, .end = fetch_end,
                         .ctx = &f};
    lm_status st = lm_eutils_call(s->c, "efetch.fcgi", form, force_post, &sink, err);
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
        st = lm_eutils_form_add(&form, "db", "pubmed");
        if (st == LM_OK)
            st = lm_eutils_form_add(&form, "query_key", sr->query_key);
        if (st == LM_OK)
            st = lm_eutils_form_add(&form, "WebEnv", sr->webenv);
        if (st == LM_OK)
            st = lm_eutils_form_int(&form, "retstart", retstart);
        if (st == LM_OK)
            st = lm_eutils_form_int(&form, "retmax", retmax);
        if (st == LM_OK)
            st = lm_eutils_form_add(&form, "retmode", "xml");
        if (st == LM_OK)
            st = lm_eutils_form_common(s->c, &form);
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
        lm_eutils_add_warning(&s->warnings, NULL, r->warnings);
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
                            (long long)known->count, lm_eutils_datetype_name(s->datetype), smin,
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

void lm_eutils_fetch_result_free(lm_eutils_fetch_result *r)
{
    if (!r)
        return;
    free(r->warnings);
    memset(r, 0, sizeof *r);
}

/* The records of a search (fetch_run's body; s->query set). */
static lm_status fetch_search(fetch_state *s, const void *arg, lm_error *err)
{
    const lm_eutils_dates *dates = arg;
    lm_eutils *c = s->c;
    const char *query = s->query;
    lm_eutils_fetch_result *res = s->res;
    s->datetype = dates ? dates->datetype : LM_EUTILS_EDAT;
    lm_status st;
    lm_eutils_search_result first;
    lm_eutils_search_result_init(&first);
    st = lm_eutils_search(c, query, dates, 0, 0, &first, err);
    res->searches++;
    if (st == LM_OK) {
        res->count = first.count;
        if (first.warnings)
            lm_eutils_add_warning(&s->warnings, NULL, first.warnings);
        if (first.count <= LM_EUTILS_WINDOW) {
            st = fetch_history(s, &first, NULL, NULL, err);
        } else {
            int64_t lo, hi;
            st = lm_eutils_day_range(dates, &lo, &hi, err);
            if (st == LM_OK && lm_eutils_dates_explicit(dates)) {
                st = fetch_range(s, lo, hi, &first, err);
            } else if (st == LM_OK) {
                /* reldate / no dates: search the same range with explicit
                 * dates, so that the halves add up to the whole. */
                lm_eutils_search_result whole;
                lm_eutils_search_result_init(&whole);
                st = search_range(s, lo, hi, &whole, err);
                if (st == LM_OK) {
                    res->count = whole.count;
                    st = fetch_range(s, lo, hi, &whole, err);
                }
                lm_eutils_search_result_free(&whole);
            }
        }
    }
    lm_eutils_search_result_free(&first);
    return st;
}

typedef struct id_list {
    const int64_t *pmids;
    size_t n;
} id_list;

/* The records of a PMID list (fetch_run's body), each PMID once. */
static lm_status fetch_list(fetch_state *s, const void *arg, lm_error *err)
{
    const int64_t *pmids = ((const id_list *)arg)->pmids;
    size_t n = ((const id_list *)arg)->n;
    lm_eutils *c = s->c;
    lm_eutils_fetch_result *res = s->res;
    lm_status st = LM_OK;
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
    for (size_t i = (size_t)s->opts.start_offset; st == LM_OK && i < nu && !s->done;) {
        if ((st = check_stop(s, err)) != LM_OK)
            break;
        size_t k = nu - i < (size_t)c->batch_size ? nu - i : (size_t)c->batch_size;
        int64_t allowed = remaining_allowed(s);
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
            st = lm_eutils_form_add(&form, "db", "pubmed");
        if (st == LM_OK)
            st = lm_eutils_form_add(&form, "id", lm_buf_cstr(&ids));
        if (st == LM_OK)
            st = lm_eutils_form_add(&form, "retmode", "xml");
        if (st == LM_OK)
            st = lm_eutils_form_common(c, &form);
        if (st != LM_OK) {
            lm_buf_free(&form);
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
            break;
        }
        deliver_ctx d = {.s = s, .limit = allowed};
        st = run_batch(s, &form, k > LM_EUTILS_GET_MAX_IDS, 0, &d, err);
        lm_buf_free(&form);
        if (st != LM_OK)
            break;
        if (d.seen < k)
            res->missing += (int64_t)(k - d.seen);
        st = after_batch(s, d.n, (int64_t)i, (int64_t)(i + k), NULL, NULL, i + k >= nu, err);
        i += k;
    }
    lm_buf_free(&ids);
    free(uniq);
    if (st == LM_OK && res->missing > 0)
        note(s, "%lld of the requested PMIDs were not returned by PubMed",
             (long long)res->missing);
    return st;
}

/* Sets up, runs body and hands over the warnings; res may be NULL. */
static lm_status fetch_run(lm_eutils *c, const char *query, const lm_eutils_fetch_opts *opts,
                           const lm_pubmed_handler *handler, lm_eutils_fetch_result *res,
                           lm_status (*body)(fetch_state *s, const void *arg, lm_error *err),
                           const void *arg, lm_error *err)
{
    lm_eutils_fetch_result local;
    if (!res)
        res = &local;
    fetch_state s;
    lm_status st = fetch_begin(&s, c, opts, handler, res, err);
    s.query = query;
    if (st == LM_OK)
        st = body(&s, arg, err);
    if (s.warnings.len)
        res->warnings = lm_buf_take(&s.warnings);
    lm_buf_free(&s.warnings);
    lm_map_free(&s.seen);
    if (res == &local)
        lm_eutils_fetch_result_free(&local);
    return st;
}

lm_status lm_eutils_fetch_query(lm_eutils *c, const char *query,
                                const lm_eutils_dates *dates,
                                const lm_eutils_fetch_opts *opts,
                                const lm_pubmed_handler *handler,
                                lm_eutils_fetch_result *res, lm_error *err)
{
    return fetch_run(c, query, opts, handler, res, fetch_search, dates, err);
}

lm_status lm_eutils_fetch_ids(lm_eutils *c, const int64_t *pmids, size_t n,
                              const lm_eutils_fetch_opts *opts,
                              const lm_pubmed_handler *handler,
                              lm_eutils_fetch_result *res, lm_error *err)
{
    id_list ids = {pmids, n};
    return fetch_run(c, NULL, opts, handler, res, fetch_list, &ids, err);
}
