/*
 * Tests for fetch/lm_ratelimit, lm_http, lm_eutils and lm_download.
 *
 * LONG-FILE: one test file per module group, sharing one stand-in server.
 *
 * Network tests run against tests/eutils_server.py, a stand-in for NCBI
 * started here on 127.0.0.1 (port read from its first stdout line) and
 * killed at the end; it also dies by itself with its parent or after 120 s.
 * The server logs every request, so the tests check the wire, not just
 * the client's word: requests per one-second window, tool/email/api_key on
 * every request, how many attempts a fault cost, that no batch was fetched
 * twice.  Fault injection covers 429 + Retry-After, 5xx, timeouts, resets,
 * truncated bodies (short Content-Length and cut XML), empty article sets,
 * NCBI <ERROR> documents, HTML pages and 400s.  Retry backoff is set to
 * tens of milliseconds so the whole file runs in well under a minute.
 * Real NCBI responses from ../shared/data/pubmed_eutils are parsed when
 * present (skipped otherwise).
 */
#include "../fetch/lm_download.h"
#include "../fetch/lm_eutils.h"
#include "../fetch/lm_http.h"
#include "../fetch/lm_ratelimit.h"
#include "../util/lm_buf.h"
#include "../util/lm_md5.h"
#include "lm_test.h"
#include "lm_test_server.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEY "SECRETKEY123abc"

/* ---- the request log ---------------------------------------------------- */

typedef struct log_entry {
    double t;
    char *method, *path, *fault, *range, *ua, *host;
    char *params;   /* the JSON object text */
} log_entry;

typedef struct req_log {
    log_entry *e;
    size_t n;
} req_log;

/* Parses the JSON string starting at p (just after its opening quote). */
static char *json_string_at(const char *p)
{
    lm_buf b;
    lm_buf_init(&b);
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) {
            p++;
            char c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
            if (*p == 'u') {   /* keep \uXXXX escapes as they are */
                lm_buf_append(&b, "\\u", 2);
                p++;
                continue;
            }
            lm_buf_append_char(&b, c);
            p++;
            continue;
        }
        lm_buf_append_char(&b, *p++);
    }
    if (!b.data)
        lm_buf_append_str(&b, "");
    return lm_buf_take(&b);
}

/* Value of "key" in a flat JSON text: malloc'd string, or NULL for null /
 * absent. */
static char *json_get(const char *text, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(text, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    if (*p == '"')
        return json_string_at(p + 1);
    if (strncmp(p, "null", 4) == 0)
        return NULL;
    size_t n = strcspn(p, ",}");
    char *v = malloc(n + 1);
    memcpy(v, p, n);
    v[n] = '\0';
    return v;
}

static void log_free(req_log *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->e[i].method);
        free(l->e[i].path);
        free(l->e[i].fault);
        free(l->e[i].range);
        free(l->e[i].ua);
        free(l->e[i].host);
        free(l->e[i].params);
    }
    free(l->e);
    l->e = NULL;
    l->n = 0;
}

static req_log log_fetch(void)
{
    req_log l = {0};
    char url[128];
    server_url(url, sizeof url, "/log");
    lm_buf raw;
    lm_buf_init(&raw);
    if (lm_http_get_buf(ctl, url, 64 << 20, &raw, NULL) != LM_OK) {
        lm_buf_free(&raw);
        return l;
    }
    size_t lines = 0;
    for (size_t i = 0; i < raw.len; i++)
        lines += raw.data[i] == '\n';
    l.e = calloc(lines + 1, sizeof *l.e);
    char *p = raw.data;
    while (p && *p) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        log_entry *e = &l.e[l.n++];
        /* Cut the params object out first so top-level lookups skip it. */
        char *ps = strstr(p, "\"params\": {");
        if (ps) {
            char *q = ps + 11;
            int in_str = 0;
            for (; *q; q++) {
                if (in_str) {
                    if (*q == '\\' && q[1])
                        q++;
                    else if (*q == '"')
                        in_str = 0;
                } else if (*q == '"') {
                    in_str = 1;
                } else if (*q == '}') {
                    break;
                }
            }
            size_t n = (size_t)(q - (ps + 10)) + 1;
            e->params = malloc(n + 1);
            memcpy(e->params, ps + 10, n);
            e->params[n] = '\0';
            memmove(ps + 10, ps + 10 + n, strlen(ps + 10 + n) + 1);
        } else {
            e->params = strdup("{}");
        }
        char *t = json_get(p, "t");
        e->t = t ? strtod(t, NULL) : 0;
        free(t);
        e->method = json_get(p, "method");
        e->path = json_get(p, "path");
        e->fault = json_get(p, "fault");
        e->range = json_get(p, "range");
        e->ua = json_get(p, "ua");
        e->host = json_get(p, "host");
        p = nl ? nl + 1 : NULL;
    }
    lm_buf_free(&raw);
    return l;
}

static char *param(const log_entry *e, const char *key)
{
    return json_get(e->params, key);
}

static int is_endpoint(const log_entry *e, const char *name)
{
    return e->path && strstr(e->path, name) != NULL;
}

static size_t count_endpoint(const req_log *l, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += is_endpoint(&l->e[i], name);
    return n;
}

/* Every request names the tool, the email, and the key when one is set;
 * the user agent is litmine's. */
static void check_identity(const req_log *l, const char *key)
{
    int bad = 0;
    for (size_t i = 0; i < l->n; i++) {
        char *tool = param(&l->e[i], "tool"), *email = param(&l->e[i], "email");
        char *k = param(&l->e[i], "api_key");
        if (!tool || strcmp(tool, "litmine-test") != 0 || !email ||
            strcmp(email, "dev@example.org") != 0 || (key ? !k || strcmp(k, key) : k != NULL) ||
            !l->e[i].ua || strncmp(l->e[i].ua, "litmine/", 8) != 0)
            bad++;
        free(tool);
        free(email);
        free(k);
    }
    LM_CHECK_INT(bad, 0);
}

/* The shortest span covering rate+1 consecutive requests: at most `rate`
 * requests per second means it is at least 1 s.  The client spaces slots
 * 1% wider than 1/rate; callers allow 50 ms for the server noticing one
 * request late (thread start-up, a Python pause), which would shorten one
 * span by that much. */
static double min_window(const req_log *l, int rate)
{
    double worst = 1e9;
    for (size_t i = 0; i + (size_t)rate < l->n; i++) {
        double w = l->e[i + (size_t)rate].t - l->e[i].t;
        if (w < worst)
            worst = w;
    }
    return worst;
}

/* ---- clients and collectors --------------------------------------------- */

static lm_eutils *client(const char *key, double rps, long batch, int tries, long timeout_s)
{
    lm_eutils_config cfg = {
        .base_url = base_url,
        .tool = "litmine-test",
        .email = "dev@example.org",
        .api_key = key,
        .max_rps = rps,
        .timeout_s = timeout_s ? timeout_s : 20,
        .max_tries = tries ? tries : 4,
        .batch_size = batch,
        .backoff_base_ms = 20,
        .backoff_max_ms = 100,
        .retry_after_max_s = 5,
    };
    lm_eutils *c = NULL;
    lm_error err;
    if (lm_eutils_init(&c, &cfg, &err) != LM_OK)
        fprintf(stderr, "  client: %s\n", err.msg);
    return c;
}

typedef struct collector {
    int64_t *pmids;
    size_t n, cap;
    size_t since_batch;      /* articles not yet followed by on_batch */
    size_t batches;
    size_t sizes[64];
    int64_t offsets[64], next_offsets[64];
    int bad_batch;           /* on_batch's count disagreed with on_article's */
    int no_title, unicode_title;
    int slices_unordered, slice_done_seen;
    char prev_slice[11];
} collector;

static lm_status on_article(void *ctx, lm_article *a, lm_error *err)
{
    (void)err;
    collector *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->pmids = realloc(c->pmids, c->cap * sizeof *c->pmids);
    }
    c->pmids[c->n++] = a->pmid;
    c->since_batch++;
    if (!a->title)
        c->no_title++;
    else if (strstr(a->title, "\xCE\xB2-adrenergic"))   /* β */
        c->unicode_title++;
    return LM_OK;
}

static lm_status on_batch(void *ctx, const lm_eutils_batch *b, lm_error *err)
{
    (void)err;
    collector *c = ctx;
    if (b->n_articles != c->since_batch || b->index != c->batches)
        c->bad_batch++;
    c->since_batch = 0;
    if (c->batches < 64) {
        c->sizes[c->batches] = b->n_articles;
        c->offsets[c->batches] = b->offset;
        c->next_offsets[c->batches] = b->next_offset;
    }
    c->batches++;
    if (b->slice_mindate) {
        if (c->prev_slice[0] && strcmp(b->slice_mindate, c->prev_slice) < 0)
            c->slices_unordered++;
        snprintf(c->prev_slice, sizeof c->prev_slice, "%s", b->slice_mindate);
    }
    c->slice_done_seen += b->slice_done;
    return LM_OK;
}

static void collector_free(collector *c)
{
    free(c->pmids);
    memset(c, 0, sizeof *c);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Number of PMIDs delivered more than once. */
static size_t duplicates(const collector *c)
{
    if (c->n == 0)
        return 0;
    int64_t *s = malloc(c->n * sizeof *s);
    memcpy(s, c->pmids, c->n * sizeof *s);
    qsort(s, c->n, sizeof *s, cmp_i64);
    size_t d = 0;
    for (size_t i = 1; i < c->n; i++)
        d += s[i] == s[i - 1];
    free(s);
    return d;
}

/* How many delivered PMIDs fall in [lo, hi]. */
static size_t in_range(const collector *c, int64_t lo, int64_t hi)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        k += c->pmids[i] >= lo && c->pmids[i] <= hi;
    return k;
}

static lm_pubmed_handler handler_for(collector *c)
{
    lm_pubmed_handler h = {.on_article = on_article, .ctx = c};
    return h;
}

static lm_eutils_fetch_opts opts_for(collector *c)
{
    lm_eutils_fetch_opts o = {.on_batch = on_batch, .batch_ctx = c};
    return o;
}

static int server_ok;

#define NEED_SERVER()                                                         \
    do {                                                                      \
        LM_CHECK(server_ok);                                                  \
        if (!server_ok)                                                       \
            return;                                                           \
        server_reset();                                                       \
    } while (0)

/* ---- rate limiter ------------------------------------------------------- */

/* A clock of the test's own: it reads `now`, and sleeping moves `now` to
 * the deadline at once, so the limiter's waits are checked exactly and no
 * test depends on how fast the machine is. */
typedef struct fake_clock {
    pthread_mutex_t mu;
    int64_t now;
    int sleeps;
} fake_clock;

static int64_t fake_now(void *ctx)
{
    fake_clock *c = ctx;
    pthread_mutex_lock(&c->mu);
    int64_t v = c->now;
    pthread_mutex_unlock(&c->mu);
    return v;
}

static void fake_sleep_until(void *ctx, int64_t deadline)
{
    fake_clock *c = ctx;
    pthread_mutex_lock(&c->mu);
    if (deadline > c->now)
        c->now = deadline;
    c->sleeps++;
    pthread_mutex_unlock(&c->mu);
}

typedef struct rl_thread {
    lm_ratelimit *rl;
    int64_t slots[10];
} rl_thread;

static void *rl_worker(void *arg)
{
    rl_thread *t = arg;
    for (int i = 0; i < 10; i++)
        t->slots[i] = lm_ratelimit_reserve(t->rl);
    return NULL;
}

static lm_cancel always_stop = {1};

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_ratelimit(void)
{
    lm_ratelimit *rl;
    LM_CHECK_INT(lm_ratelimit_init(&rl, 50, 10, NULL), LM_OK);
    LM_CHECK(lm_ratelimit_rate(rl) == 10);   /* never above the ceiling */
    lm_ratelimit_free(rl);
    LM_CHECK_INT(lm_ratelimit_init(&rl, 0, 3, NULL), LM_OK);
    LM_CHECK(lm_ratelimit_rate(rl) == 3);
    lm_ratelimit_free(rl);
    LM_CHECK_INT(lm_ratelimit_init(&rl, 0.5, 3, NULL), LM_OK);
    LM_CHECK(lm_ratelimit_rate(rl) == 0.5);  /* lower is allowed */
    lm_ratelimit_free(rl);
    LM_CHECK_INT(lm_ratelimit_init(&rl, 1, 0, NULL), LM_ERR_USAGE);

    const int64_t t0 = 1000LL * 1000000000LL, sec = 1000000000LL;
    fake_clock fc = {.now = t0};
    pthread_mutex_init(&fc.mu, NULL);
    lm_clock fake = {fake_now, fake_sleep_until, &fc};

    /* Four threads share 40 rps: their 40 slots, whatever the order the
     * threads ran in, are evenly spaced from now on, never bunched, and
     * never more than 40 in a second. */
    LM_CHECK_INT(lm_ratelimit_init_clock(&rl, 40, 40, &fake, NULL), LM_OK);
    rl_thread th[4];
    pthread_t tid[4];
    for (int i = 0; i < 4; i++) {
        th[i].rl = rl;
        pthread_create(&tid[i], NULL, rl_worker, &th[i]);
    }
    int64_t all[40];
    for (int i = 0; i < 4; i++) {
        pthread_join(tid[i], NULL);
        memcpy(all + i * 10, th[i].slots, sizeof th[i].slots);
    }
    qsort(all, 40, sizeof all[0], cmp_int64);
    int64_t gap = all[1] - all[0];
    int even = 1;
    for (int i = 1; i < 40; i++)
        even &= all[i] - all[i - 1] == gap;
    LM_CHECK(all[0] == t0);
    LM_CHECK(even);
    LM_CHECK(gap >= sec / 40 && gap <= sec / 40 * 102 / 100);   /* 1% margin */
    LM_CHECK(fc.sleeps == 0);   /* reserving never waits */
    lm_ratelimit_free(rl);

    /* acquire waits for its slot, in steps short enough to notice a stop:
     * the second request at 10 rps waits one interval (about 101 ms) in
     * three sleeps of at most 50 ms. */
    fc.now = t0;
    LM_CHECK_INT(lm_ratelimit_init_clock(&rl, 10, 10, &fake, NULL), LM_OK);
    lm_error err;
    LM_CHECK_INT(lm_ratelimit_acquire(rl, NULL, &err), LM_OK);
    LM_CHECK(fc.now == t0 && fc.sleeps == 0);   /* the first goes at once */
    LM_CHECK_INT(lm_ratelimit_acquire(rl, NULL, &err), LM_OK);
    int64_t interval = fc.now - t0;
    LM_CHECK(interval >= sec / 10 && interval <= sec / 10 * 102 / 100);
    LM_CHECK_INT(fc.sleeps, 3);

    /* An idle limiter saves no burst: after five quiet seconds one request
     * goes at once, the next one interval later. */
    fc.now += 5 * sec;
    int64_t idle = fc.now;
    LM_CHECK(lm_ratelimit_reserve(rl) == idle);
    LM_CHECK(lm_ratelimit_reserve(rl) == idle + interval);

    /* A deferral (Retry-After) moves the next slot to now + 5 s ... */
    lm_ratelimit_defer(rl, 5);
    LM_CHECK(lm_ratelimit_reserve(rl) == idle + 5 * sec);
    /* ... and a stop request abandons a wait before sleeping at all. */
    lm_ratelimit_defer(rl, 5);
    int before = fc.sleeps;
    LM_CHECK_INT(lm_ratelimit_acquire(rl, &always_stop, &err), LM_ERR_INTERRUPTED);
    LM_CHECK(fc.sleeps == before && fc.now == idle);
    lm_ratelimit_free(rl);
    pthread_mutex_destroy(&fc.mu);
}

/* ---- pure functions ----------------------------------------------------- */

static void test_redact(void)
{
    char msg[256] = "GET http://h/esearch.fcgi?db=pubmed&api_key=ABC123xyz&tool=t: boom";
    lm_http_redact(msg, sizeof msg, NULL);
    LM_CHECK_STR(msg, "GET http://h/esearch.fcgi?db=pubmed&api_key=***&tool=t: boom");
    char msg2[256] = "HTTP 429: {\"api-key\": \"ABC123xyz\"} api_key=ABC123xyz";
    lm_http_redact(msg2, sizeof msg2, "ABC123xyz");
    LM_CHECK_STR(msg2, "HTTP 429: {\"api-key\": \"***\"} api_key=***");
    char small[8] = "api_key";   /* no '=': untouched */
    lm_http_redact(small, sizeof small, "");
    LM_CHECK_STR(small, "api_key");
    /* The contact email is masked like the key, and the message after the
     * URL survives. */
    char msg3[256] = "GET http://h/e.fcgi?tool=t&email=dev%40example.org: HTTP 400 for dev@example.org";
    lm_http_redact(msg3, sizeof msg3, "dev@example.org");
    LM_CHECK_STR(msg3, "GET http://h/e.fcgi?tool=t&email=***: HTTP 400 for ***");

    lm_buf b;
    lm_buf_init(&b);
    lm_http_escape(&b, "cancer[mh] AND \"2020\"/x~y_z-.");
    LM_CHECK_STR(lm_buf_cstr(&b), "cancer%5Bmh%5D%20AND%20%222020%22%2Fx~y_z-.");
    lm_buf_free(&b);
}

static void test_md5_names(void)
{
    char hex[33];
    LM_CHECK_INT(lm_download_parse_md5("MD5(pubmed26n1334.xml.gz)= 3CF53BA34FF73126E42D1D8391330E73\n",
                                       "pubmed26n1334.xml.gz", hex, NULL), LM_OK);
    LM_CHECK_STR(hex, "3cf53ba34ff73126e42d1d8391330e73");
    LM_CHECK_INT(lm_download_parse_md5("3cf53ba34ff73126e42d1d8391330e73  pubmed26n1334.xml.gz\n",
                                       "pubmed26n1334.xml.gz", hex, NULL), LM_OK);
    LM_CHECK_INT(lm_download_parse_md5("3cf53ba34ff73126e42d1d8391330e73\n", "x", hex, NULL),
                 LM_OK);
    lm_error err;
    LM_CHECK_INT(lm_download_parse_md5("MD5(other.xml.gz)= 3cf53ba34ff73126e42d1d8391330e73",
                                       "pubmed26n1334.xml.gz", hex, &err), LM_ERR_FORMAT);
    LM_CHECK_INT(lm_download_parse_md5("<html>", NULL, hex, &err), LM_ERR_FORMAT);
    LM_CHECK_INT(lm_download_parse_md5("MD5(a)= 3cf53ba34ff", NULL, hex, &err), LM_ERR_FORMAT);

    int yy;
    long num;
    LM_CHECK(lm_download_bulk_name("pubmed26n1334.xml.gz", &yy, &num));
    LM_CHECK_INT(yy, 26);
    LM_CHECK_INT(num, 1334);
    LM_CHECK(!lm_download_bulk_name("pubmed26n1334.xml.gz.md5", NULL, NULL));
    LM_CHECK(!lm_download_bulk_name("pubmed26n13.xml.gz", NULL, NULL));
    LM_CHECK(!lm_download_bulk_name("README.txt", NULL, NULL));
}

static lm_status read_file(const char *path, lm_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return LM_ERR_IO;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        lm_buf_append(out, buf, n);
    fclose(f);
    return LM_OK;
}

static lm_status parse_search_file(const char *dir, const char *rel,
                                   lm_eutils_search_result *r, lm_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    lm_buf b;
    lm_buf_init(&b);
    if (read_file(path, &b) != LM_OK) {
        lm_buf_free(&b);
        return lm_error_set(err, LM_ERR_IO, "cannot read %s", path);
    }
    lm_status st = lm_eutils_parse_search(lm_buf_cstr(&b), b.len, r, err);
    lm_buf_free(&b);
    return st;
}

/* Our own fixtures and hand-made bodies: always run. */
static void test_parse_search_local(void)
{
    lm_eutils_search_result r;
    lm_eutils_search_result_init(&r);
    lm_error err;
    LM_CHECK_INT(parse_search_file("tests/fixtures/eutils", "esearch_error.xml", &r, &err),
                 LM_ERR_NET);
    LM_CHECK(strstr(err.msg, "Database is not supported: pubmedx") != NULL);
    LM_CHECK_INT(parse_search_file("tests/fixtures/eutils", "error_page.html", &r, &err),
                 LM_ERR_FORMAT);
    LM_CHECK(strstr(err.msg, "NCBI - WWW Error Blocked Diagnostic") != NULL);

    const char *good = "<?xml version=\"1.0\"?><eSearchResult><Count>3</Count><RetMax>3</RetMax>"
                       "<RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>W1</WebEnv>"
                       "<IdList><Id>5</Id><Id>4</Id><Id>3</Id></IdList><TranslationStack>"
                       "<TermSet><Count>99</Count></TermSet></TranslationStack></eSearchResult>";
    LM_CHECK_INT(lm_eutils_parse_search(good, strlen(good), &r, &err), LM_OK);
    LM_CHECK_INT(r.count, 3);   /* the nested TermSet Count is not the result's */
    LM_CHECK_INT(r.n_ids, 3);
    LM_CHECK_INT(r.n_ids == 3 ? r.ids[2] : 0, 3);
    LM_CHECK_STR(r.webenv, "W1");
    LM_CHECK_STR(r.query_key, "1");
    LM_CHECK(r.warnings == NULL);
    /* Cut anywhere, the same document is incomplete: a retryable parse error. */
    LM_CHECK_INT(lm_eutils_parse_search(good, strlen(good) / 2, &r, &err), LM_ERR_PARSE);
    LM_CHECK_INT(lm_eutils_parse_search(good, 30, &r, &err), LM_ERR_PARSE);
    LM_CHECK_INT(lm_eutils_parse_search("", 0, &r, &err), LM_ERR_PARSE);
    LM_CHECK_INT(lm_eutils_parse_search("Service down", 12, &r, &err), LM_ERR_FORMAT);
    const char *other = "<eLinkResult><LinkSet/></eLinkResult>";
    LM_CHECK_INT(lm_eutils_parse_search(other, strlen(other), &r, &err), LM_ERR_FORMAT);
    lm_eutils_search_result_free(&r);
}

/* Real NCBI answers, from ../shared/data. */
static void test_parse_search_shared(void)
{
    const char *shared = lm_test_shared_data();
    if (!shared)
        LM_SKIP("../shared/data not present");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/pubmed_eutils", shared);
    lm_eutils_search_result r;
    lm_eutils_search_result_init(&r);
    lm_error err;

    LM_CHECK_INT(parse_search_file(dir, "biopython/esearch2.xml", &r, &err), LM_OK);
    LM_CHECK_INT(r.count, 42249);
    LM_CHECK_STR(r.webenv, "MCID_6927d6e7fee3e90f880ec190");
    LM_CHECK_STR(r.query_key, "1");
    LM_CHECK_INT(r.n_ids, 100);
    LM_CHECK_INT(r.n_ids ? r.ids[0] : 0, 41297076);
    LM_CHECK(r.query_translation && strstr(r.query_translation, "[Date - Entry]"));

    /* Zero hits with ErrorList: a valid empty result, with the warning. */
    LM_CHECK_INT(parse_search_file(dir, "biopython/esearch8.xml", &r, &err), LM_OK);
    LM_CHECK_INT(r.count, 0);
    LM_CHECK_STR(r.warnings, "PhraseNotFound: abcXYZ; No items found.");

    /* Hits, but part of the query was ignored: the caller gets told. */
    LM_CHECK_INT(parse_search_file(dir, "eutils_json_samples/esearch.error.xml", &r, &err), LM_OK);
    LM_CHECK_INT(r.count, 5163);
    LM_CHECK_STR(r.warnings, "PhraseNotFound: fleegle[MeSH Terms]");

    LM_CHECK_INT(parse_search_file(dir, "eutils_json_samples/esearch.baderror.xml", &r, &err),
                 LM_ERR_NET);
    LM_CHECK(strstr(err.msg, "Invalid db name specified: fleegle") != NULL);
    LM_CHECK_INT(parse_search_file(dir, "biopython/pubmed3.html", &r, &err), LM_ERR_FORMAT);
    LM_CHECK(strstr(err.msg, "PmFetch response") != NULL);
    /* A PubMed article set is not an ESearch answer. */
    LM_CHECK_INT(parse_search_file(dir, "biopython/pubmed1.xml", &r, &err), LM_ERR_FORMAT);
    lm_eutils_search_result_free(&r);
}

static void test_config(void)
{
    lm_config *conf;
    LM_CHECK_INT(lm_config_init(&conf, NULL), LM_OK);
    LM_CHECK_INT(lm_config_load_string(conf, "t.conf",
                                       "[eutils]\nemail = a@b.org\napi_key = FILEKEY\n"
                                       "max_rps = 2.5\nbatch_size = 200\n", NULL), LM_OK);
    unsetenv("NCBI_API_KEY");
    lm_eutils_config cfg;
    LM_CHECK_INT(lm_eutils_config_from(&cfg, conf, NULL), LM_OK);
    LM_CHECK_STR(cfg.email, "a@b.org");
    LM_CHECK_STR(cfg.api_key, "FILEKEY");
    LM_CHECK(cfg.max_rps == 2.5);
    LM_CHECK_INT(cfg.batch_size, 200);
    LM_CHECK(cfg.tool == NULL);   /* lm_eutils_init supplies "litmine" */
    setenv("NCBI_API_KEY", "ENVKEY", 1);
    LM_CHECK_INT(lm_eutils_config_from(&cfg, conf, NULL), LM_OK);
    LM_CHECK_STR(cfg.api_key, "ENVKEY");
    unsetenv("NCBI_API_KEY");

    /* Rates: the default follows the key; asking for more is lowered. */
    lm_eutils *c;
    cfg.api_key = NULL;
    cfg.max_rps = 0;
    LM_CHECK_INT(lm_eutils_init(&c, &cfg, NULL), LM_OK);
    LM_CHECK(lm_eutils_rate(c) == 3);
    lm_eutils_free(c);
    cfg.api_key = "K";
    cfg.max_rps = 50;
    LM_CHECK_INT(lm_eutils_init(&c, &cfg, NULL), LM_OK);
    LM_CHECK(lm_eutils_rate(c) == 10);
    lm_eutils_free(c);
    cfg.max_rps = 2;
    LM_CHECK_INT(lm_eutils_init(&c, &cfg, NULL), LM_OK);
    LM_CHECK(lm_eutils_rate(c) == 2);
    lm_eutils_free(c);
    /* A shared limiter faster than NCBI allows without a key is refused. */
    lm_ratelimit *rl;
    lm_ratelimit_init(&rl, 10, 10, NULL);
    cfg.api_key = NULL;
    cfg.limiter = rl;
    lm_error err;
    LM_CHECK_INT(lm_eutils_init(&c, &cfg, &err), LM_ERR_USAGE);
    lm_ratelimit_free(rl);
    cfg.limiter = NULL;
    cfg.base_url = "ftp://example.org/";
    LM_CHECK_INT(lm_eutils_init(&c, &cfg, &err), LM_ERR_USAGE);

    LM_CHECK_INT(lm_config_load_string(conf, "t2.conf", "[eutils]\nmax_rps = fast\n", NULL),
                 LM_OK);
    LM_CHECK_INT(lm_eutils_config_from(&cfg, conf, &err), LM_ERR_USAGE);
    LM_CHECK(strstr(err.msg, "max_rps") != NULL);
    lm_config_free(conf);

    lm_eutils_datetype dt;
    LM_CHECK_INT(lm_eutils_datetype_parse("PDAT", &dt, NULL), LM_OK);
    LM_CHECK_INT(dt, LM_EUTILS_PDAT);
    LM_CHECK_INT(lm_eutils_datetype_parse("ydat", &dt, &err), LM_ERR_USAGE);
}

/* ---- E-utilities against the stand-in ------------------------------------ */

static void test_history_fetch(void)
{
    NEED_SERVER();
    lm_eutils *c = client(KEY, 0, 500, 0, 0);
    collector col = {0};
    lm_pubmed_handler h = handler_for(&col);
    lm_eutils_fetch_opts o = opts_for(&col);
    lm_eutils_fetch_result res;
    lm_error err;
    lm_status st = lm_eutils_fetch_query(c, "asthma", NULL, &o, &h, &res, &err);
    LM_CHECK_INT(st, LM_OK);
    if (st)
        fprintf(stderr, "  %s\n", err.msg);
    LM_CHECK_INT(res.count, 1234);
    LM_CHECK_INT(res.delivered, 1234);
    LM_CHECK_INT(col.n, 1234);
    LM_CHECK_INT(duplicates(&col), 0);
    LM_CHECK_INT(in_range(&col, 30000000, 30001233), 1234);
    LM_CHECK_INT(col.batches, 3);
    LM_CHECK_INT(col.sizes[0], 500);
    LM_CHECK_INT(col.sizes[1], 500);
    LM_CHECK_INT(col.sizes[2], 234);
    LM_CHECK_INT(col.next_offsets[2], 1234);
    LM_CHECK_INT(col.bad_batch, 0);
    LM_CHECK_INT(col.since_batch, 0);
    LM_CHECK_INT(col.no_title, 0);
    LM_CHECK_INT(col.unicode_title, 1234);
    LM_CHECK_INT(res.slices, 1);
    LM_CHECK(res.warnings == NULL);
    lm_eutils_stats stats;
    lm_eutils_get_stats(c, &stats);
    LM_CHECK_INT(stats.requests, 4);
    LM_CHECK_INT(stats.retries, 0);
    LM_CHECK_INT(stats.searches, 1);
    LM_CHECK_INT(stats.fetches, 3);
    LM_CHECK(stats.bytes > 1234 * 500);

    req_log l = log_fetch();
    LM_CHECK_INT(l.n, 4);
    LM_CHECK_INT(count_endpoint(&l, "esearch.fcgi"), 1);
    LM_CHECK_INT(count_endpoint(&l, "efetch.fcgi"), 3);
    check_identity(&l, KEY);
    int retstarts_ok = 1;
    for (size_t i = 1; i < l.n && i < 4; i++) {
        char *rs = param(&l.e[i], "retstart"), *rm = param(&l.e[i], "retmax");
        char *we = param(&l.e[i], "WebEnv"), *uh = param(&l.e[0], "usehistory");
        char want[16];
        snprintf(want, sizeof want, "%zu", (i - 1) * 500);
        if (!rs || strcmp(rs, want) || !rm || !we || !uh || strcmp(uh, "y"))
            retstarts_ok = 0;
        free(rs), free(rm), free(we), free(uh);
    }
    LM_CHECK(retstarts_ok);
    log_free(&l);
    lm_eutils_fetch_result_free(&res);
    collector_free(&col);
    lm_eutils_free(c);
}

static void test_resume_offset(void)
{
    NEED_SERVER();
    lm_eutils *c = client(KEY, 0, 500, 0, 0);
    collector col = {0};
    lm_pubmed_handler h = handler_for(&col);
    lm_eutils_fetch_opts o = opts_for(&col);
    o.start_offset = 1000;   /* a next_offset saved by an earlier run */
    lm_eutils_fetch_result res;
    LM_CHECK_INT(lm_eutils_fetch_query(c, "asthma", NULL, &o, &h, &res, NULL), LM_OK);
    LM_CHECK_INT(col.n, 234);
    /* Results come newest PMID first: the last 234 are the lowest. */
    LM_CHECK_INT(in_range(&col, 30000000, 30000233), 234);
    LM_CHECK_INT(col.batches, 1);
    LM_CHECK_INT(col.offsets[0], 1000);
    LM_CHECK_INT(col.next_offsets[0], 1234);
    lm_eutils_fetch_result_free(&res);
    collector_free(&col);

    /* max_records stops early, mid-batch. */
    server_reset();
    lm_eutils_fetch_opts o2 = opts_for(&col);
    o2.max_records = 700;
    LM_CHECK_INT(lm_eutils_fetch_query(c, "asthma", NULL, &o2, &h, &res, NULL), LM_OK);
    LM_CHECK_INT(col.n, 700);
    LM_CHECK_INT(col.batches, 2);
    LM_CHECK_INT(col.sizes[1], 200);
    req_log l = log_fetch();
    LM_CHECK_INT(count_endpoint(&l, "efetch.fcgi"), 2);
    char *rm = l.n == 3 ? param(&l.e[2], "retmax") : NULL;
    LM_CHECK_STR(rm, "200");
    free(rm);
    log_free(&l);
    lm_eutils_fetch_result_free(&res);
    collector_free(&col);
    lm_eutils_free(c);
}

static void test_date_slicing(void)
{
    NEED_SERVER();
    lm_eutils *c = client(KEY, 0, 2500, 0, 0);
    collector col = {0};
    lm_pubmed_handler h = handler_for(&col);
    lm_eutils_fetch_opts o = opts_for(&col);
    lm_eutils_dates d = {.mindate = "2020", .maxdate = "2020", .datetype = LM_EUTILS_EDAT};
    lm_eutils_fetch_result res;
    lm_error err;
    lm_status st = lm_eutils_fetch_query(c, "cancer", &d, &o, &h, &res, &err);
    LM_CHECK_INT(st, LM_OK);
    if (st)
        fprintf(stderr, "  %s\n", err.msg);
    LM_CHECK_INT(res.count, 25000);
    LM_CHECK_INT(col.n, 25000);
    LM_CHECK_INT(duplicates(&col), 0);
    LM_CHECK_INT(in_range(&col, 31000000, 31024999), 25000);
    LM_CHECK_INT(res.duplicates, 0);
    LM_CHECK(res.slices >= 3);
    LM_CHECK_INT(col.slices_unordered, 0);
    LM_CHECK_INT((size_t)col.slice_done_seen, res.slices);
    LM_CHECK_INT(col.bad_batch, 0);
    LM_CHECK(res.warnings == NULL);

    /* On the wire: every slice search fits the window, no EFetch reaches
     * past it, and no batch of any history was fetched twice. */
    req_log l = log_fetch();
    check_identity(&l, KEY);
    int past_window = 0, repeated = 0;
    size_t efetches = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (!is_endpoint(&l.e[i], "efetch.fcgi"))
            continue;
        efetches++;
        char *rs = param(&l.e[i], "retstart"), *rm = param(&l.e[i], "retmax");
        char *we = param(&l.e[i], "WebEnv");
        if (rs && rm && strtol(rs, NULL, 10) + strtol(rm, NULL, 10) > 9999)
            past_window++;
        for (size_t j = 0; j < i; j++) {
            if (!is_endpoint(&l.e[j], "efetch.fcgi"))
                continue;
            char *rs2 = param(&l.e[j], "retstart"), *we2 = param(&l.e[j], "WebEnv");
            if (rs && rs2 && we && we2 && !strcmp(rs, rs2) && !strcmp(we, we2))
                repeated++;
            free(rs2), free(we2);
        }
        free(rs), free(rm), free(we);
    }
    LM_CHECK_INT(past_window, 0);
    LM_CHECK_INT(repeated, 0);
    LM_CHECK_INT(efetches, res.batches);
    LM_CHECK_INT(count_endpoint(&l, "esearch.fcgi"), res.searches);
    log_free(&l);
    lm_eutils_fetch_result_free(&res);
    collector_free(&col);

    /* No dates at all: the client picks the edat range itself. */
    server_reset();
    lm_eutils_fetch_opts o2 = opts_for(&col);
    o2.max_records = 3000;
    st = lm_eutils_fetch_query(c, "cancer", NULL, &o2, &h, &res, &err);
    LM_CHECK_INT(st, LM_OK);
    LM_CHECK_INT(col.n, 3000);
    LM_CHECK_INT(duplicates(&col), 0);
    LM_CHECK_INT(in_range(&col, 31000000, 31024999), 3000);
    l = log_fetch();
    char *dt = l.n > 1 ? param(&l.e[1], "datetype") : NULL;
    LM_CHECK_STR(dt, "edat");
    free(dt);
    log_free(&l);
    lm_eutils_fetch_result_free(&res);
    collector_free(&col);
    lm_eutils_free(c);
}

static void test_single_day_overflow(void)
{
    NEED_SERVER();
    lm_eutils *c = client(KEY, 0, 5000, 0, 0);
    collector col = {0};
    lm_pubmed_handler h = handler_for(&col);
    lm_eutils_dates d = {.mindate = "2023/06/01", .maxdate = "2023/06/30",
                         .datetype = LM_EUTILS_EDAT};
    lm_error err;
    LM_CHECK_INT(lm_eutils_fetch_query(c, "flood", &d, NULL, &h, NULL, &err), LM_ERR_USAGE);
    LM_CHECK(strstr(err.msg, "2023/06/15") != NULL);
    LM_CHECK_INT(col.n, 0);
    req_log l = log_fetch();
    LM_CHECK_INT(count_endpoint(&l, "efetch.fcgi"), 0);
    log_free(&l);

    /* Bad dates never reach the network. */
    server_reset();
    lm_eutils_dates bad = {.mindate = "2023/13/01"};
    lm_eutils_search_result r;
    lm_eutils_search_result_init(&r);
    LM_CHECK_INT(lm_eutils_search(c, "flood", &bad, 0, 0, &r, &err), LM_ERR_USAGE);
    l = log_fetch();
    LM_CHECK_INT(l.n, 0);
    log_free(&l);

    /* Partial dates are widened to whole months / years. */
    lm_eutils_dates part = {.mindate = "2021", .maxdate = "2021-02", .datetype = LM_EUTILS_PDAT};
    LM_CHECK_INT(lm_eutils_search(c, "asthma", &part, 0, 5, &r, &err), LM_OK);
    LM_CHECK_INT(r.n_ids, 5);
    l = log_fetch();
    char *mi = l.n ? param(&l.e[0], "mindate") : NULL, *ma = l.n ? param(&l.e[0], "maxdate") : NULL;
    char *ty = l.n ? param(&l.e[0], "datetype") : NULL;
    LM_CHECK_STR(mi, "2021/01/01");
    LM_CHECK_STR(ma, "2021/02/28");
    LM_CHECK_STR(ty, "pdat");
    free(mi), free(ma), free(ty);
    log_free(&l);
    lm_eutils_search_result_free(&r);
    collector_free(&col);
    lm_eutils_free(c);
}

static void test_zero_hits(void)
{
    NEED_SERVER();
    lm_eutils *c = client(KEY, 0, 500, 0, 0);
    collector col = {0};
    lm_pubmed_handler h = handler_for(&col);
    lm_eutils_fetch_result res;
    LM_CHECK_INT(lm_eutils_fetch_query(c, "abcXYZ", NULL, NULL, &h, &res, NULL), LM_OK);
    LM_CHECK_INT(res.count, 0);
    LM_CHECK_INT(col.n, 0);
    LM_CHECK(res.warnings && strstr(res.warnings, "PhraseNotFound: abcXYZ"));
    req_log l = log_fetch();
    LM_CHECK_INT(l.n, 1);
    log_free(&l);
    lm_eutils_fetch_result_free(&res);

    /* A query too long for a URL is POSTed. */
    server_reset();
    char longq[3000];
    memset(longq, 'a', sizeof longq - 1);
    longq[sizeof longq - 1] = '\0';
    LM_CHECK_INT(lm_eutils_fetch_query(c, longq, NULL, NULL, &h, &res, NULL), LM_OK);
    l = log_fetch();
    LM_CHECK_STR(l.n == 1 ? l.e[0].method : NULL, "POST");
    char *term = l.n == 1 ? param(&l.e[0], "term") : NULL;
    LM_CHECK(term && strcmp(term, longq) == 0);
    free(term);
    check_identity(&l, KEY);
    log_free(&l);
    lm_eutils_fetch_result_free(&res);
    lm_eutils_free(c);
}

static void test_fetch_ids(void)
{
    NEED_SERVER();
    lm_eutils *c = client(KEY, 0, 500, 0, 0);
    int64_t ids[250];
    for (int i = 0; i < 250; i++)
        ids[i] = 30000000 + i;
    collector col = {0};
    lm_pubmed_handler h = handler_for(&col);
    lm_eutils_fetch_opts o = opts_for(&col);
    lm_eutils_fetch_result res;
    LM_CHECK_INT(lm_eutils_fetch_ids(c, ids, 250, &o, &h, &res, NULL), LM_OK);
    LM_CHECK_INT(col.n, 250);
    LM_CHECK_INT(duplicates(&col), 0);
    LM_CHECK_INT(res.missing, 0);
    req_log l = log_fetch();
    LM_CHECK_INT(l.n, 1);
    LM_CHECK_STR(l.n ? l.e[0].method : NULL, "POST");
    char *idp = l.n ? param(&l.e[0], "id") : NULL;
    size_t commas = 0;
    for (const char *p = idp; p && *p; p++)
        commas += *p == ',';
    LM_CHECK_INT(commas, 249);
    free(idp);
    check_identity(&l, KEY);
    log_free(&l);
    lm_eutils_fetch_result_free(&res);
    collector_free(&col);

    /* A short list goes by GET; duplicates are asked once; a PMID that
     * does not exist is reported missing. */
    server_reset();
    int64_t few[] = {30000005, 95000000, 30000006, 30000005};
    LM_CHECK_INT(lm_eutils_fetch_ids(c, few, 4, &o, &h, &res, NULL), LM_OK);
    LM_CHECK_INT(res.count, 3);
    LM_CHECK_INT(col.n, 2);
    LM_CHECK_INT(res.missing, 1);
    LM_CHECK(res.warnings && strstr(res.warnings, "not returned"));
    l = log_fetch();
    LM_CHECK_STR(l.n ? l.e[0].method : NULL, "GET");
    idp = l.n ? param(&l.e[0], "id") : NULL;
    LM_CHECK_STR(idp, "30000005,95000000,30000006");
    free(idp);
    log_free(&l);
    lm_eutils_fetch_result_free(&res);
    collector_free(&col);

    int64_t bad[] = {12, -3};
    lm_error err;
    LM_CHECK_INT(lm_eutils_fetch_ids(c, bad, 2, NULL, &h, NULL, &err), LM_ERR_USAGE);
    lm_eutils_free(c);
}

/* Queues faults, fetches "malaria" (300 records, one EFetch), and returns
 * the status; the log is left for the caller. */
static lm_status fetch_with_faults(const char *control, int tries, long timeout_s,
                                   collector *col, lm_eutils_stats *stats, lm_error *err)
{
    server_reset();
    if (control)
        ctl_post("/control", control);
    lm_eutils *c = client(KEY, 0, 500, tries, timeout_s);
    lm_pubmed_handler h = handler_for(col);
    lm_eutils_fetch_opts o = opts_for(col);
    lm_status st = lm_eutils_fetch_query(c, "malaria", NULL, &o, &h, NULL, err);
    lm_eutils_get_stats(c, stats);
    lm_eutils_free(c);
    return st;
}

static void test_retry_429(void)
{
    NEED_SERVER();
    collector col = {0};
    lm_eutils_stats stats;
    lm_error err;
    LM_CHECK_INT(fetch_with_faults("{\"fail_next\": [429], \"retry_after\": 1, "
                                   "\"target\": \"efetch\"}", 0, 0, &col, &stats, &err), LM_OK);
    LM_CHECK_INT(col.n, 300);
    LM_CHECK_INT(stats.retries, 1);
    req_log l = log_fetch();
    LM_CHECK_INT(count_endpoint(&l, "efetch.fcgi"), 2);
    if (l.n == 3) {
        LM_CHECK_STR(l.e[1].fault, "429");
        /* The backoff base is 20 ms: only Retry-After explains a 1 s wait.
         * The upper bound only catches a unit error (Retry-After taken as
         * minutes); it is loose so that a loaded host never fails it. */
        LM_CHECK(l.e[2].t - l.e[1].t >= 0.95);
        LM_CHECK(l.e[2].t - l.e[1].t < 30.0);
    }
    log_free(&l);
    collector_free(&col);
}

static void test_retry_5xx(void)
{
    NEED_SERVER();
    collector col = {0};
    lm_eutils_stats stats;
    lm_error err;
    LM_CHECK_INT(fetch_with_faults("{\"fail_next\": [500, 503], \"target\": \"esearch\"}", 0, 0,
                                   &col, &stats, &err), LM_OK);
    LM_CHECK_INT(col.n, 300);
    LM_CHECK_INT(stats.retries, 2);
    req_log l = log_fetch();
    LM_CHECK_INT(count_endpoint(&l, "esearch.fcgi"), 3);
    log_free(&l);
    collector_free(&col);

    /* Retries run out: the last server message is reported, key masked. */
    LM_CHECK_INT(fetch_with_faults("{\"fail_next\": [503, 503], \"target\": \"esearch\"}", 2, 0,
                                   &col, &stats, &err), LM_ERR_NET);
    LM_CHECK(strstr(err.msg, "HTTP 503") != NULL);
    LM_CHECK(strstr(err.msg, "gave up after 2 tries") != NULL);
    LM_CHECK(strstr(err.msg, "api_key=***") != NULL);
    LM_CHECK(strstr(err.msg, KEY) == NULL);
    collector_free(&col);
}

static void test_retry_timeout_and_reset(void)
{
    NEED_SERVER();
    collector col = {0};
    lm_eutils_stats stats;
    lm_error err;
    lm_status st = fetch_with_faults("{\"slow_next\": 1, \"slow_ms\": 2500, "
                                     "\"target\": \"efetch\"}", 0, 1, &col, &stats, &err);
    LM_CHECK_INT(st, LM_OK);
    LM_CHECK_INT(col.n, 300);
    LM_CHECK_INT(stats.retries, 1);
    req_log l = log_fetch();
    LM_CHECK_INT(count_endpoint(&l, "efetch.fcgi"), 2);
    log_free(&l);
    collector_free(&col);

    st = fetch_with_faults("{\"reset_next\": 2}", 0, 0, &col, &stats, &err);
    LM_CHECK_INT(st, LM_OK);
    LM_CHECK_INT(col.n, 300);
    LM_CHECK_INT(stats.retries, 2);
    collector_free(&col);

    /* Nothing listening at all. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);
    char dead[96];
    snprintf(dead, sizeof dead, "http://127.0.0.1:%d/entrez/eutils/", ntohs(a.sin_port));
    lm_eutils_config cfg = {.base_url = dead, .api_key = KEY, .max_tries = 2,
                            .backoff_base_ms = 10};
    lm_eutils *c;
    LM_CHECK_INT(lm_eutils_init(&c, &cfg, NULL), LM_OK);
    lm_eutils_search_result r;
    lm_eutils_search_result_init(&r);
    LM_CHECK_INT(lm_eutils_search(c, "asthma", NULL, 0, 0, &r, &err), LM_ERR_NET);
    LM_CHECK(strstr(err.msg, KEY) == NULL);
    LM_CHECK(strstr(err.msg, "api_key=***") != NULL);
    lm_eutils_stats cs;
    lm_eutils_get_stats(c, &cs);
    LM_CHECK_INT(cs.requests, 2);
    lm_eutils_free(c);
}

static void test_truncated_bodies(void)
{
    NEED_SERVER();
    collector col = {0};
    lm_eutils_stats stats;
    lm_error err;
    /* Short Content-Length, XML cut with a matching length, an empty set:
     * each attempt is thrown away whole and retried. */
    lm_status st = fetch_with_faults("{\"truncate_next\": 1, \"cutxml_next\": 1, "
                                     "\"emptyset_next\": 1, \"target\": \"efetch\"}",
                                     5, 0, &col, &stats, &err);
    LM_CHECK_INT(st, LM_OK);
    LM_CHECK_INT(col.n, 300);
    LM_CHECK_INT(duplicates(&col), 0);
    LM_CHECK_INT(col.batches, 1);
    LM_CHECK_INT(col.bad_batch, 0);
    LM_CHECK_INT(stats.retries, 3);
    req_log l = log_fetch();
    LM_CHECK_INT(count_endpoint(&l, "efetch.fcgi"), 4);
    log_free(&l);
    collector_free(&col);

    /* When every attempt is cut, the caller sees an error and not one
     * article of the batch, although most of it parsed. */
    st = fetch_with_faults("{\"cutxml_next\": 3, \"target\": \"efetch\"}", 3, 0, &col, &stats,
                           &err);
    LM_CHECK_INT(st, LM_ERR_PARSE);
    LM_CHECK_INT(col.n, 0);
    LM_CHECK_INT(col.batches, 0);
    collector_free(&col);
    st = fetch_with_faults("{\"truncate_next\": 2, \"target\": \"efetch\"}", 2, 0, &col, &stats,
                           &err);
    LM_CHECK_INT(st, LM_ERR_NET);
    LM_CHECK_INT(col.n, 0);
    collector_free(&col);
}

static void test_error_documents(void)
{
    NEED_SERVER();
    collector col = {0};
    lm_eutils_stats stats;
    lm_error err;
    lm_status st = fetch_with_faults("{\"error_body_next\": 1, \"target\": \"esearch\"}", 0, 0,
                                     &col, &stats, &err);
    LM_CHECK_INT(st, LM_ERR_NET);
    LM_CHECK(strstr(err.msg, "NCBI error: Search Backend failed") != NULL);
    LM_CHECK_INT(stats.requests, 1);   /* not retried */
    collector_free(&col);

    st = fetch_with_faults("{\"error_body_next\": 1, \"target\": \"efetch\"}", 0, 0, &col,
                           &stats, &err);
    LM_CHECK_INT(st, LM_ERR_NET);
    LM_CHECK(strstr(err.msg, "Cannot retrieve history data") != NULL);
    LM_CHECK_INT(col.n, 0);
    collector_free(&col);

    st = fetch_with_faults("{\"html_next\": 1, \"target\": \"efetch\"}", 0, 0, &col, &stats,
                           &err);
    LM_CHECK_INT(st, LM_ERR_FORMAT);
    LM_CHECK(strstr(err.msg, "HTML page") != NULL);
    LM_CHECK(strstr(err.msg, "WWW Error Blocked Diagnostic") != NULL);
    LM_CHECK_INT(col.n, 0);
    collector_free(&col);

    /* A 400 fails at once with the server's words, never the key. */
    st = fetch_with_faults("{\"fail_next\": [400]}", 0, 0, &col, &stats, &err);
    LM_CHECK_INT(st, LM_ERR_NET);
    LM_CHECK_INT(stats.requests, 1);
    LM_CHECK(strstr(err.msg, "HTTP 400") != NULL);
    LM_CHECK(strstr(err.msg, "unknown parameter 'fake'") != NULL);
    LM_CHECK(strstr(err.msg, KEY) == NULL);
    LM_CHECK(strstr(err.msg, "api_key=***") != NULL);
    req_log l = log_fetch();
    LM_CHECK_INT(l.n, 1);
    log_free(&l);
    collector_free(&col);

    /* 429 until the end: the JSON body echoes the key; the message must not. */
    st = fetch_with_faults("{\"fail_next\": [429, 429]}", 2, 0, &col, &stats, &err);
    LM_CHECK_INT(st, LM_ERR_NET);
    LM_CHECK(strstr(err.msg, "API rate limit exceeded") != NULL);
    LM_CHECK(strstr(err.msg, KEY) == NULL);
    collector_free(&col);
}

static void test_rate_without_key(void)
{
    NEED_SERVER();
    lm_eutils *c = client(NULL, 0, 50, 0, 0);
    LM_CHECK(lm_eutils_rate(c) == 3);
    collector col = {0};
    lm_pubmed_handler h = handler_for(&col);
    LM_CHECK_INT(lm_eutils_fetch_query(c, "malaria", NULL, NULL, &h, NULL, NULL), LM_OK);
    LM_CHECK_INT(col.n, 300);
    req_log l = log_fetch();
    LM_CHECK_INT(l.n, 7);
    check_identity(&l, NULL);
    double w = min_window(&l, 3);
    LM_CHECK(w >= 0.95);
    fprintf(stderr, "  no key: %zu requests in %.2f s, tightest 4-request span %.3f s\n", l.n,
            l.n ? l.e[l.n - 1].t - l.e[0].t : 0, w);
    /* No upper bound on the time taken: a loaded host may take any time.
     * That the limiter spaces slots by 1/rate and no more is checked
     * exactly, on a clock of the test's own, in test_ratelimit. */
    log_free(&l);
    collector_free(&col);
    lm_eutils_free(c);
}

static void test_rate_with_key(void)
{
    NEED_SERVER();
    lm_eutils *c = client(KEY, 0, 100, 0, 0);
    LM_CHECK(lm_eutils_rate(c) == 10);
    collector col = {0};
    lm_pubmed_handler h = handler_for(&col);
    LM_CHECK_INT(lm_eutils_fetch_query(c, "asthma", NULL, NULL, &h, NULL, NULL), LM_OK);
    LM_CHECK_INT(col.n, 1234);
    req_log l = log_fetch();
    LM_CHECK_INT(l.n, 14);
    double w = min_window(&l, 10);
    LM_CHECK(w >= 0.95);
    fprintf(stderr, "  key: %zu requests in %.2f s, tightest 11-request span %.3f s\n", l.n,
            l.n ? l.e[l.n - 1].t - l.e[0].t : 0, w);
    log_free(&l);
    collector_free(&col);
    lm_eutils_free(c);
}

static lm_cancel stop_token;

static lm_status stop_after_batch(void *ctx, const lm_eutils_batch *b, lm_error *err)
{
    lm_cancel_request(&stop_token);
    return on_batch(ctx, b, err);
}

static void test_interrupt(void)
{
    NEED_SERVER();
    lm_eutils_config cfg = {.base_url = base_url, .tool = "litmine-test",
                            .email = "dev@example.org", .api_key = KEY, .batch_size = 500,
                            .cancel = &stop_token};
    lm_eutils *c;
    LM_CHECK_INT(lm_eutils_init(&c, &cfg, NULL), LM_OK);
    collector col = {0};
    lm_pubmed_handler h = handler_for(&col);
    lm_eutils_fetch_opts o = {.on_batch = stop_after_batch, .batch_ctx = &col};
    lm_cancel_reset(&stop_token);
    lm_error err;
    LM_CHECK_INT(lm_eutils_fetch_query(c, "asthma", NULL, &o, &h, NULL, &err),
                 LM_ERR_INTERRUPTED);
    LM_CHECK_INT(col.n, 500);   /* the committed batch, nothing after it */
    LM_CHECK_INT(col.batches, 1);
    lm_cancel_reset(&stop_token);
    collector_free(&col);
    lm_eutils_free(c);
}

/* ---- hostile servers ------------------------------------------------------ */

static void test_redirect_policy(void)
{
    const char *e = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi?term=x";
    LM_CHECK(lm_http_redirect_refusal(e, "https://eutils.ncbi.nlm.nih.gov/other?x", 0) == NULL);
    LM_CHECK(lm_http_redirect_refusal(e, "https://EUTILS.ncbi.nlm.nih.gov:443/x", 0) == NULL);
    LM_CHECK(lm_http_redirect_refusal("http://eutils.ncbi.nlm.nih.gov/x",
                                      "https://eutils.ncbi.nlm.nih.gov/x", 0) == NULL);
    LM_CHECK(lm_http_redirect_refusal("ftp://ftp.ncbi.nlm.nih.gov/pubmed/a",
                                      "ftp://ftp.ncbi.nlm.nih.gov/pubmed/b", 0) == NULL);
    const char *why;
    LM_CHECK((why = lm_http_redirect_refusal(e, "https://evil.example/x", 0)) &&
             strstr(why, "another host"));
    LM_CHECK((why = lm_http_redirect_refusal(e, "http://eutils.ncbi.nlm.nih.gov/x", 0)) &&
             strstr(why, "plain http"));
    LM_CHECK((why = lm_http_redirect_refusal(e, "https://eutils.ncbi.nlm.nih.gov:8443/", 0)) &&
             strstr(why, "another port"));
    LM_CHECK((why = lm_http_redirect_refusal("http://h:8080/x", "https://h:8443/x", 0)) &&
             strstr(why, "another port"));
    LM_CHECK((why = lm_http_redirect_refusal(e, "ftp://eutils.ncbi.nlm.nih.gov/x", 0)) &&
             strstr(why, "protocol"));
    LM_CHECK((why = lm_http_redirect_refusal(e, "file:///etc/passwd", 0)) != NULL);
    LM_CHECK((why = lm_http_redirect_refusal(e, e, 1)) && strstr(why, "never re-sent"));
    LM_CHECK(lm_http_redirect_refusal(e, "not a url", 0) != NULL);
}

/* One request through a client with the given bounds; the error in err. */
static lm_status hostile_get(const char *control, const char *path, const char *form,
                             const lm_http_config *cfg, lm_buf *body, lm_error *err)
{
    server_reset();
    if (control)
        ctl_post("/control", control);
    lm_http *h = NULL;
    if (lm_http_init(&h, cfg, err) != LM_OK)
        return err->code;
    char url[256];
    server_url(url, sizeof url, path);
    lm_status st;
    if (form) {
        lm_http_sink sink = {0};
        st = lm_http_post(h, url, form, &sink, err);
    } else {
        st = lm_http_get_buf(h, url, (size_t)1 << 30, body, err);
    }
    lm_http_free(h);
    return st;
}

static void test_redirects(void)
{
    NEED_SERVER();
    lm_http_config cfg = {.max_tries = 3, .backoff_base_ms = 10, .timeout_s = 20,
                          .secret = KEY, .contact = "dev@example.org"};
    lm_buf body;
    lm_buf_init(&body);
    lm_error err;
    char spec[256], other[64];
    const char *q = "/entrez/eutils/esearch.fcgi?db=pubmed&term=asthma&retmax=0&api_key=" KEY
                    "&email=dev%40example.org";

    /* Same host: followed (a redirect is one more request, not a retry). */
    snprintf(spec, sizeof spec, "{\"redirect_next\": 1, \"redirect_code\": 302, "
             "\"redirect_to\": \"http://127.0.0.1:%d\"}", server_port);
    LM_CHECK_INT(hostile_get(spec, q, NULL, &cfg, &body, &err), LM_OK);
    LM_CHECK(strstr(lm_buf_cstr(&body), "<Count>1234</Count>") != NULL);
    req_log l = log_fetch();
    LM_CHECK_INT(l.n, 2);
    log_free(&l);

    /* Another host name for the same machine: refused, never contacted,
     * neither key nor email in the message. */
    snprintf(other, sizeof other, "http://localhost:%d", server_port);
    int codes[] = {301, 302, 307, 308};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        snprintf(spec, sizeof spec, "{\"redirect_next\": 1, \"redirect_code\": %d, "
                 "\"redirect_to\": \"%s\"}", codes[i], other);
        LM_CHECK_INT(hostile_get(spec, q, NULL, &cfg, &body, &err), LM_ERR_NET);
        LM_CHECK(strstr(err.msg, "not followed: it leads to another host") != NULL);
        LM_CHECK(strstr(err.msg, "localhost") != NULL);
        LM_CHECK(strstr(err.msg, KEY) == NULL && strstr(err.msg, "example.org") == NULL);
        l = log_fetch();
        LM_CHECK_INT(l.n, 1);   /* not retried, and localhost never asked */
        for (size_t k = 0; k < l.n; k++)
            LM_CHECK(l.e[k].host && strncmp(l.e[k].host, "127.0.0.1:", 10) == 0);
        log_free(&l);
    }

    /* A POST (key, email, PMIDs in the body) is not re-sent anywhere, not
     * even to the same host. */
    snprintf(spec, sizeof spec, "{\"redirect_next\": 1, \"redirect_code\": 307, "
             "\"redirect_to\": \"http://127.0.0.1:%d\"}", server_port);
    LM_CHECK_INT(hostile_get(spec, "/entrez/eutils/efetch.fcgi", "db=pubmed&id=1&api_key=" KEY,
                             &cfg, &body, &err), LM_ERR_NET);
    LM_CHECK(strstr(err.msg, "a request body is never re-sent") != NULL);
    l = log_fetch();
    LM_CHECK_INT(l.n, 1);
    log_free(&l);

    /* Another port, and https elsewhere: refused. */
    snprintf(spec, sizeof spec, "{\"redirect_next\": 1, \"redirect_code\": 302, "
             "\"redirect_to\": \"https://127.0.0.1:%d\"}", server_port + 1);
    LM_CHECK_INT(hostile_get(spec, q, NULL, &cfg, &body, &err), LM_ERR_NET);
    LM_CHECK(strstr(err.msg, "not followed") != NULL);

    /* A redirect loop on the same host ends. */
    snprintf(spec, sizeof spec, "{\"redirect_next\": 10, \"redirect_code\": 302, "
             "\"redirect_to\": \"http://127.0.0.1:%d\"}", server_port);
    LM_CHECK_INT(hostile_get(spec, q, NULL, &cfg, &body, &err), LM_ERR_NET);
    LM_CHECK(strstr(err.msg, "too many redirects") != NULL);
    lm_buf_free(&body);
}

static void test_billion_laughs(void)
{
    /* The parser alone: refused before anything is expanded. */
    lm_buf b;
    lm_buf_init(&b);
    LM_CHECK_INT(read_file("tests/fixtures/eutils/esearch_laughs.xml", &b), LM_OK);
    lm_eutils_search_result r;
    lm_eutils_search_result_init(&r);
    lm_error err;
    LM_CHECK_INT(lm_eutils_parse_search(lm_buf_cstr(&b), b.len, &r, &err), LM_ERR_FORMAT);
    LM_CHECK(strstr(err.msg, "declares XML entities") != NULL);
    LM_CHECK(r.query_translation == NULL);
    lm_buf_free(&b);

    /* Through the client: one request each, no retry, nothing delivered. */
    NEED_SERVER();
    collector col = {0};
    lm_eutils_stats stats;
    LM_CHECK_INT(fetch_with_faults("{\"laughs_next\": 1, \"target\": \"esearch\"}", 0, 0,
                                   &col, &stats, &err), LM_ERR_FORMAT);
    LM_CHECK(strstr(err.msg, "declares XML entities") != NULL);
    LM_CHECK_INT(stats.requests, 1);
    LM_CHECK_INT(fetch_with_faults("{\"laughs_next\": 1, \"target\": \"efetch\"}", 0, 0,
                                   &col, &stats, &err), LM_ERR_FORMAT);
    LM_CHECK(strstr(err.msg, "declares XML entities") != NULL);
    LM_CHECK_INT(stats.requests, 2);   /* the ESearch and the refused EFetch */
    LM_CHECK_INT(col.n, 0);
    collector_free(&col);
}

static void test_response_cap(void)
{
    NEED_SERVER();
    lm_http_config cfg = {.max_tries = 3, .backoff_base_ms = 10, .timeout_s = 20,
                          .max_body_bytes = 1 << 20};
    lm_buf body;
    lm_buf_init(&body);
    lm_error err;
    const char *specs[] = {
        "{\"huge_next\": 1, \"huge_mb\": 64}",                          /* no length */
        "{\"huge_next\": 1, \"huge_mb\": 64, \"huge_length\": true}",   /* announced */
        "{\"huge_next\": 1, \"huge_mb\": 256, \"huge_gzip\": true}",    /* compressed */
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        LM_CHECK_INT(hostile_get(specs[i], "/entrez/eutils/efetch.fcgi?id=1", NULL, &cfg, &body,
                                 &err), LM_ERR_FORMAT);
        LM_CHECK(strstr(err.msg, "larger than the 1 MB limit") != NULL);
        LM_CHECK(body.len <= (size_t)1 << 20);
        req_log l = log_fetch();
        LM_CHECK_INT(l.n, 1);   /* not worth a retry */
        log_free(&l);
    }
    /* Under the cap, a body passes. */
    LM_CHECK_INT(hostile_get(NULL, "/entrez/eutils/efetch.fcgi?id=1", NULL, &cfg, &body, &err),
                 LM_OK);
    LM_CHECK(strstr(lm_buf_cstr(&body), "<PMID Version=\"1\">1</PMID>") != NULL);
    lm_buf_free(&body);

    /* The E-utilities client takes its cap from [eutils] max_response_mb. */
    lm_eutils_config ec = {.base_url = base_url, .max_response_mb = 1, .max_tries = 3,
                           .backoff_base_ms = 10};
    lm_eutils *c = NULL;
    LM_CHECK_INT(lm_eutils_init(&c, &ec, &err), LM_OK);
    server_reset();
    ctl_post("/control", "{\"huge_next\": 1, \"huge_mb\": 64, \"target\": \"efetch\"}");
    collector col = {0};
    lm_pubmed_handler h = handler_for(&col);
    int64_t ids[] = {1, 2};
    LM_CHECK_INT(lm_eutils_fetch_ids(c, ids, 2, NULL, &h, NULL, &err), LM_ERR_FORMAT);
    LM_CHECK(strstr(err.msg, "larger than the 1 MB limit") != NULL);
    LM_CHECK_INT(col.n, 0);
    collector_free(&col);
    lm_eutils_free(c);
}

static void test_deadline(void)
{
    NEED_SERVER();
    /* Ten tries of a 1 s timeout against a server that stalls every
     * answer: the 3 s deadline ends it after about three. */
    lm_http_config cfg = {.max_tries = 10, .backoff_base_ms = 10, .backoff_max_ms = 20,
                          .timeout_s = 1, .deadline_s = 3};
    lm_buf body;
    lm_buf_init(&body);
    lm_error err;
    LM_CHECK_INT(hostile_get("{\"slow_next\": 10, \"slow_ms\": 1500}",
                             "/entrez/eutils/efetch.fcgi?id=1", NULL, &cfg, &body, &err),
                 LM_ERR_NET);
    LM_CHECK(strstr(err.msg, "3 s deadline") != NULL);
    req_log l = log_fetch();
    LM_CHECK(l.n >= 2 && l.n <= 4);
    log_free(&l);
    /* A transfer that trickles a byte a second is cut by the deadline too,
     * even though it never stalls long enough for the low-speed limit. */
    cfg.timeout_s = 0;
    cfg.max_tries = 2;
    cfg.deadline_s = 2;
    LM_CHECK_INT(hostile_get("{\"stall_next\": 2, \"stall_ms\": 300, \"stall_s\": 30}",
                             "/entrez/eutils/efetch.fcgi?id=1", NULL, &cfg, &body, &err),
                 LM_ERR_NET);
    LM_CHECK(strstr(err.msg, "deadline") != NULL);
    l = log_fetch();
    LM_CHECK_INT(l.n, 1);
    log_free(&l);
    lm_buf_free(&body);

    lm_config *conf;
    lm_config_init(&conf, NULL);
    lm_config_load_string(conf, "t.conf", "[eutils]\ndeadline_s = 0\n", NULL);
    lm_eutils_config ec;
    LM_CHECK_INT(lm_eutils_config_from(&ec, conf, &err), LM_ERR_USAGE);
    lm_config_load_string(conf, "t.conf", "[eutils]\ndeadline_s = 900\nmax_response_mb = 64\n",
                          NULL);
    LM_CHECK_INT(lm_eutils_config_from(&ec, conf, &err), LM_OK);
    LM_CHECK_INT(ec.deadline_s, 900);
    LM_CHECK_INT(ec.max_response_mb, 64);
    lm_config_free(conf);
}

/* ---- downloads ---------------------------------------------------------- */

static lm_http *dl_client(void)
{
    lm_http_config hc = {.max_tries = 3, .backoff_base_ms = 10, .timeout_s = 20};
    lm_http *h = NULL;
    lm_http_init(&h, &hc, NULL);
    return h;
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void md5_hex_of(const char *data, size_t len, char hex[33])
{
    lm_md5 m;
    lm_md5_init(&m);
    lm_md5_update(&m, data, len);
    lm_md5_final_hex(&m, hex);
}

static void test_download_http(void)
{
    NEED_SERVER();
    lm_http *h = dl_client();
    char dir_url[128], url[160], spool[300], path[400];
    server_url(dir_url, sizeof dir_url, "/pubmed/updatefiles/");
    snprintf(spool, sizeof spool, "%s/spool-http", lm_test_tmpdir());
    mkdir(spool, 0755);
    lm_error err;

    lm_download_list list;
    LM_CHECK_INT(lm_download_list_dir(h, dir_url, &list, &err), LM_OK);
    LM_CHECK_INT(list.n, 4);
    if (list.n == 4) {
        LM_CHECK_STR(list.names[0], "pubmed98n0999.xml.gz");
        LM_CHECK_STR(list.names[1], "pubmed99n0001.xml.gz");
        LM_CHECK_STR(list.names[3], "pubmed99n0003.xml.gz");
    }
    lm_download_list_free(&list);

    /* A good file: verified, renamed, no .part left; a second call finds it. */
    snprintf(url, sizeof url, "%spubmed99n0001.xml.gz", dir_url);
    lm_download_result res;
    LM_CHECK_INT(lm_download_file(h, url, spool, NULL, &res, &err), LM_OK);
    LM_CHECK(res.path && file_exists(res.path));
    LM_CHECK(res.bytes > 1000);
    LM_CHECK(!res.resumed && !res.already_present);
    snprintf(path, sizeof path, "%s/.pubmed99n0001.xml.gz.part", spool);
    LM_CHECK(!file_exists(path));
    lm_buf body;
    lm_buf_init(&body);
    LM_CHECK_INT(lm_http_get_buf(h, url, 1 << 20, &body, NULL), LM_OK);
    char hex[33];
    md5_hex_of(body.data, body.len, hex);
    LM_CHECK_STR(res.md5, hex);
    lm_download_result_free(&res);
    LM_CHECK_INT(lm_download_file(h, url, spool, NULL, &res, &err), LM_OK);
    LM_CHECK(res.already_present);
    lm_download_result_free(&res);

    /* The corrupted one: rejected, and nothing of it remains. */
    snprintf(url, sizeof url, "%spubmed99n0003.xml.gz", dir_url);
    LM_CHECK_INT(lm_download_file(h, url, spool, NULL, &res, &err), LM_ERR_CORRUPT);
    LM_CHECK(strstr(err.msg, "MD5 mismatch") != NULL);
    snprintf(path, sizeof path, "%s/pubmed99n0003.xml.gz", spool);
    LM_CHECK(!file_exists(path));
    snprintf(path, sizeof path, "%s/.pubmed99n0003.xml.gz.part", spool);
    LM_CHECK(!file_exists(path));

    /* An interrupted earlier run left 1000 bytes: only the rest is asked for. */
    snprintf(url, sizeof url, "%spubmed99n0002.xml.gz", dir_url);
    LM_CHECK_INT(lm_http_get_buf(h, url, 1 << 20, &body, NULL), LM_OK);
    snprintf(path, sizeof path, "%s/.pubmed99n0002.xml.gz.part", spool);
    FILE *f = fopen(path, "wb");
    fwrite(body.data, 1, 1000, f);
    fclose(f);
    server_reset();
    LM_CHECK_INT(lm_download_file(h, url, spool, NULL, &res, &err), LM_OK);
    LM_CHECK(res.resumed);
    LM_CHECK_INT(res.downloaded, (int64_t)body.len - 1000);
    LM_CHECK_INT(res.bytes, (int64_t)body.len);
    md5_hex_of(body.data, body.len, hex);
    LM_CHECK_STR(res.md5, hex);
    LM_CHECK(!file_exists(path));
    req_log l = log_fetch();
    LM_CHECK_INT(l.n, 2);   /* the .md5, then the ranged GET */
    LM_CHECK_STR(l.n == 2 ? l.e[1].range : NULL, "bytes=1000-");
    log_free(&l);
    lm_download_result_free(&res);

    /* Cut mid-transfer: the retry resumes where the cut left off. */
    snprintf(url, sizeof url, "%spubmed98n0999.xml.gz", dir_url);
    LM_CHECK_INT(lm_http_get_buf(h, url, 1 << 20, &body, NULL), LM_OK);
    server_reset();
    ctl_post("/control", "{\"truncate_next\": 1, \"target\": \"n0999.xml.gz$\"}");
    LM_CHECK_INT(lm_download_file(h, url, spool, NULL, &res, &err), LM_OK);
    LM_CHECK(res.resumed);
    md5_hex_of(body.data, body.len, hex);
    LM_CHECK_STR(res.md5, hex);
    l = log_fetch();
    LM_CHECK_INT(l.n, 3);
    LM_CHECK(l.n == 3 && l.e[2].range && strncmp(l.e[2].range, "bytes=", 6) == 0);
    log_free(&l);
    lm_download_result_free(&res);

    /* A stale .part (another version of the file) fails the MD5 once
     * resumed; the download starts over and succeeds. */
    snprintf(path, sizeof path, "%s/pubmed99n0002.xml.gz", spool);
    unlink(path);
    snprintf(path, sizeof path, "%s/.pubmed99n0002.xml.gz.part", spool);
    f = fopen(path, "wb");
    fputs("this is not the start of that gzip file at all, not at all.", f);
    fclose(f);
    snprintf(url, sizeof url, "%spubmed99n0002.xml.gz", dir_url);
    LM_CHECK_INT(lm_http_get_buf(h, url, 1 << 20, &body, NULL), LM_OK);
    LM_CHECK_INT(lm_download_file(h, url, spool, NULL, &res, &err), LM_OK);
    LM_CHECK(!res.resumed);
    LM_CHECK_INT(res.bytes, (int64_t)body.len);
    LM_CHECK(res.downloaded > res.bytes);   /* the failed resume, then all of it */
    lm_download_result_free(&res);

    /* A complete .part whose rename never happened is verified, not fetched. */
    snprintf(path, sizeof path, "%s/pubmed99n0002.xml.gz", spool);
    char part_path[400];
    snprintf(part_path, sizeof part_path, "%s/.pubmed99n0002.xml.gz.part", spool);
    rename(path, part_path);
    server_reset();
    LM_CHECK_INT(lm_download_file(h, url, spool, NULL, &res, &err), LM_OK);
    LM_CHECK(file_exists(path) && !file_exists(part_path));
    LM_CHECK_INT(res.downloaded, 0);
    l = log_fetch();
    LM_CHECK_INT(l.n, 1);   /* only the .md5 */
    log_free(&l);
    lm_download_result_free(&res);

    /* A missing file is a plain 404, not retried. */
    snprintf(url, sizeof url, "%spubmed99n0042.xml.gz", dir_url);
    LM_CHECK_INT(lm_download_file(h, url, spool, "", &res, &err), LM_ERR_NET);
    LM_CHECK(strstr(err.msg, "404") != NULL);
    lm_buf_free(&body);
    lm_http_free(h);
}

static void test_download_file_url(void)
{
    NEED_SERVER();
    lm_http *h = dl_client();
    char src[300], spool[300], path[400], url[500], dir_url[400];
    snprintf(src, sizeof src, "%s/mirror", lm_test_tmpdir());
    snprintf(spool, sizeof spool, "%s/spool-file", lm_test_tmpdir());
    mkdir(src, 0755);
    mkdir(spool, 0755);
    /* Mirror two files and their .md5 from the stand-in to a local dir. */
    const char *names[] = {"pubmed99n0002.xml.gz", "pubmed99n0001.xml.gz"};
    lm_buf b;
    lm_buf_init(&b);
    char first_md5[33] = "";
    for (int i = 0; i < 2; i++) {
        for (int m = 0; m < 2; m++) {
            char rel[128];
            snprintf(rel, sizeof rel, "/pubmed/updatefiles/%s%s", names[i], m ? ".md5" : "");
            server_url(url, sizeof url, rel);
            LM_CHECK_INT(lm_http_get_buf(h, url, 1 << 20, &b, NULL), LM_OK);
            snprintf(path, sizeof path, "%s/%s%s", src, names[i], m ? ".md5" : "");
            FILE *f = fopen(path, "wb");
            fwrite(b.data, 1, b.len, f);
            fclose(f);
            if (i == 1 && !m)
                md5_hex_of(b.data, b.len, first_md5);
        }
    }
    snprintf(path, sizeof path, "%s/notes.txt", src);
    FILE *f = fopen(path, "w");
    fputs("x\n", f);
    fclose(f);

    snprintf(dir_url, sizeof dir_url, "file://%s/", src);
    lm_download_list list;
    lm_error err;
    LM_CHECK_INT(lm_download_list_dir(h, dir_url, &list, &err), LM_OK);
    LM_CHECK_INT(list.n, 2);
    LM_CHECK_STR(list.n == 2 ? list.names[0] : NULL, "pubmed99n0001.xml.gz");
    lm_download_list_free(&list);

    /* file:// download, resuming a .part. */
    snprintf(url, sizeof url, "file://%s/pubmed99n0001.xml.gz", src);
    snprintf(path, sizeof path, "%s/.pubmed99n0001.xml.gz.part", spool);
    f = fopen(path, "wb");
    snprintf(url, sizeof url, "file://%s/pubmed99n0001.xml.gz", src);
    lm_buf_reset(&b);
    char local[400];
    snprintf(local, sizeof local, "%s/pubmed99n0001.xml.gz", src);
    read_file(local, &b);
    fwrite(b.data, 1, 500, f);
    fclose(f);
    lm_download_result res;
    lm_status st = lm_download_file(h, url, spool, NULL, &res, &err);
    LM_CHECK_INT(st, LM_OK);
    if (st)
        fprintf(stderr, "  %s\n", err.msg);
    LM_CHECK(res.resumed);
    LM_CHECK_INT(res.downloaded, (int64_t)b.len - 500);
    LM_CHECK_STR(res.md5, first_md5);
    LM_CHECK(!file_exists(path));
    lm_download_result_free(&res);

    LM_CHECK_INT(lm_download_list_dir(h, "file:///no/such/dir/", &list, &err), LM_ERR_IO);
    lm_buf_free(&b);
    lm_http_free(h);
}

/* NLM's real sample file and .md5, served over HTTP. */
static void test_download_real_sample(void)
{
    NEED_SERVER();
    if (!lm_test_shared_data())
        LM_SKIP("../shared/data not present");
    lm_http *h = dl_client();
    char url[200], spool[300];
    server_url(url, sizeof url, "/static/pmparser_bulk_samples/pubmed26n1334.xml.gz");
    snprintf(spool, sizeof spool, "%s/spool-real", lm_test_tmpdir());
    mkdir(spool, 0755);
    lm_download_result res;
    lm_error err;
    LM_CHECK_INT(lm_download_file(h, url, spool, NULL, &res, &err), LM_OK);
    LM_CHECK_STR(res.md5, "3cf53ba34ff73126e42d1d8391330e73");
    lm_download_result_free(&res);
    lm_http_free(h);
}

int main(void)
{
    server_ok = server_start();
    if (!server_ok)
        fprintf(stderr, "could not start tests/eutils_server.py (is python3 installed?)\n");
    LM_RUN(test_ratelimit);
    LM_RUN(test_redact);
    LM_RUN(test_md5_names);
    LM_RUN(test_parse_search_local);
    LM_RUN(test_parse_search_shared);
    LM_RUN(test_config);
    LM_RUN(test_history_fetch);
    LM_RUN(test_resume_offset);
    LM_RUN(test_date_slicing);
    LM_RUN(test_single_day_overflow);
    LM_RUN(test_zero_hits);
    LM_RUN(test_fetch_ids);
    LM_RUN(test_retry_429);
    LM_RUN(test_retry_5xx);
    LM_RUN(test_retry_timeout_and_reset);
    LM_RUN(test_truncated_bodies);
    LM_RUN(test_error_documents);
    LM_RUN(test_rate_without_key);
    LM_RUN(test_rate_with_key);
    LM_RUN(test_interrupt);
    LM_RUN(test_redirect_policy);
    LM_RUN(test_redirects);
    LM_RUN(test_billion_laughs);
    LM_RUN(test_response_cap);
    LM_RUN(test_deadline);
    LM_RUN(test_download_http);
    LM_RUN(test_download_file_url);
    LM_RUN(test_download_real_sample);
    server_stop();
    return LM_DONE();
}
