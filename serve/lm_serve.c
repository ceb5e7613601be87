/*
 * The HTTP server: libmicrohttpd's internal thread pool, a route table,
 * the worker contexts the threads borrow, limits, headers and shutdown.
 *
 * Threads and connections.  libmicrohttpd runs `threads` polling threads;
 * a request borrows a free worker (one read-only store connection and its
 * searcher, opened on first use) under a mutex and gives it back after
 * the response is built, so there are never more SQLite connections than
 * threads and no connection is used by two threads at once.  Each request
 * reads inside one transaction (lm_store_read_begin): WAL gives it a
 * snapshot, so a page never mixes rows from before and after a nightly
 * batch commits.
 *
 * Safety.  Only GET and HEAD (405 otherwise, with no body read); a
 * request line and headers over LM_SERVE_REQUEST_BYTES are refused by
 * libmicrohttpd itself; idle or slow clients are dropped after the
 * connection timeout; parameters have length and range limits (400);
 * every response carries a Content-Security-Policy that allows no script
 * at all, X-Content-Type-Options: nosniff and a no-referrer policy.
 *
 * Shutdown.  SIGINT and SIGTERM are blocked before the pool starts (its
 * threads inherit the mask) and taken with sigwait() by the calling
 * thread, which then stops the daemon: no new connection is accepted,
 * requests in flight finish, and every worker is closed.
 */
#include "lm_serve_impl.h"

#include "../nlp/lm_ner.h"
#include "../util/lm_json.h"
#include "../util/lm_utf8.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static const char csp[] = "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/* ---- helpers shared by the handlers ------------------------------------- */

const char *lm_serve_concept_name(const lm_serve *sv, const char *id, const char *fallback)
{
    lm_lexicon_concept c;
    if (sv->names && id && lm_lexicon_get_concept(sv->names, id, &c) && c.name[0])
        return c.name;
    return fallback;
}

int lm_serve_arg_int(const lm_serve_request *rq, const char *key, long lo, long hi, long def,
                     long *out)
{
    const char *v = rq->arg(rq, key);
    *out = def;
    if (!v || !v[0])
        return 1;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < lo || n > hi)
        return 0;
    *out = n;
    return 1;
}


void lm_serve_fail(lm_serve_response *r, int status, int json, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* drop whatever the handler wrote */
    fclose(r->f);
    free(r->body);
    r->body = NULL;
    r->len = 0;
    r->f = open_memstream(&r->body, &r->len);
    r->status = status;
    r->disposition = NULL;
    if (!r->f)
        return;
    if (json) {
        r->content_type = "application/json";
        lm_json_writer w;
        lm_json_writer_init(&w, r->f);
        lm_json_begin_object(&w);
        lm_json_member_str(&w, "error", msg);
        lm_json_member_int(&w, "status", status);
        lm_json_end_object(&w);
        fputc('\n', r->f);
    } else {
        r->content_type = "text/html; charset=utf-8";
        lm_serve_html_error(r->f, status, msg);
    }
}

/* ---- workers -------------------------------------------------------------- */

static void index_release(lm_serve *sv, lm_serve_index *ix)
{
    if (!ix)
        return;
    pthread_mutex_lock(&sv->lock);
    int last = --ix->refs == 0;
    pthread_mutex_unlock(&sv->lock);
    if (last)
        lm_serve_index_free(ix);
}

/* A free worker, holding a reference to the current concept index and
 * told the current vectors' generation. */
static lm_serve_worker *worker_take(lm_serve *sv)
{
    pthread_mutex_lock(&sv->lock);
    lm_serve_worker *w = NULL;
    for (;;) {
        for (int i = 0; i < sv->n_workers && !w; i++)
            if (!sv->workers[i].busy)
                w = &sv->workers[i];
        if (w)
            break;
        pthread_cond_wait(&sv->freed, &sv->lock);
    }
    w->busy = 1;
    w->index = sv->index;
    w->index->refs++;
    w->gen = sv->search_gen;
    pthread_mutex_unlock(&sv->lock);
    return w;
}

static void worker_give(lm_serve *sv, lm_serve_worker *w)
{
    lm_serve_index *ix = w->index;
    w->index = NULL;
    index_release(sv, ix);
    pthread_mutex_lock(&sv->lock);
    w->busy = 0;
    pthread_cond_signal(&sv->freed);
    pthread_mutex_unlock(&sv->lock);
}

/* ---- freshness ------------------------------------------------------------ */

/* The reloader thread watches the database for commits by other
 * connections (PRAGMA data_version on its own connection, twice a second)
 * and, when lm_serve_reload_due says so, builds a new concept index in
 * one read transaction and swaps it in; requests already running keep the
 * one they started with.  When the stored vectors changed (an index
 * build), it bumps the generation, and each worker reopens its searcher
 * before its next search.
 *
 * Cost.  Every rebuild rescans all grounded mentions (seconds at 100k
 * abstracts, ten times that at a million), and a nightly ingest commits a
 * batch every few seconds for hours: rebuilding after each would keep a
 * core busy.  So the gap after a rebuild is GAP_FACTOR times its CPU time,
 * which bounds the reloader to a tenth of a core.  A full rebuild, not an
 * incremental one, because ingest replaces and deletes articles as well
 * as adding them; the price is staleness, bounded by the gap (docs/serve.md,
 * "Freshness"), and pages count what the index lacks from SQL. */
#define RELOAD_POLL_MS 500

static double now_ms(void);

void lm_serve_reload_built(lm_serve_reload_policy *p, double now, double cost_ms)
{
    p->dirty = 0;
    p->vectors_unchecked = 0;
    p->next_allowed = now + LM_SERVE_RELOAD_GAP_FACTOR * cost_ms;
}

void lm_serve_reload_failed(lm_serve_reload_policy *p, double now, double cost_ms)
{
    p->next_allowed = now + LM_SERVE_RELOAD_GAP_FACTOR * cost_ms;
}

void lm_serve_reload_seen(lm_serve_reload_policy *p, double now)
{
    if (!p->dirty) {
        p->dirty = 1;
        p->dirty_since = now;
    }
    p->changed = now;
    p->vectors_unchecked = 1;
}

int lm_serve_reload_due(const lm_serve_reload_policy *p, double now)
{
    return p->dirty && now >= p->next_allowed &&
           (now - p->changed >= LM_SERVE_RELOAD_QUIET_MS ||
            now - p->dirty_since >= LM_SERVE_RELOAD_MAX_WAIT_MS);
}

int lm_serve_reload_vectors_due(const lm_serve_reload_policy *p, double now)
{
    return p->vectors_unchecked && now - p->changed >= LM_SERVE_RELOAD_QUIET_MS;
}

/* CPU time of the calling thread: what a rebuild costs the machine. */
static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Builds the concept index from the watch connection and records its cost
 * in the policy. */
static lm_status build_index(lm_serve *sv, lm_serve_index **ix, int64_t sig[2], lm_error *err)
{
    double cpu0 = thread_cpu_ms();
    /* Read before the snapshot: a commit after this is seen again by the
     * next poll, one before it is in this index. */
    lm_status st = lm_store_data_version(sv->watch, &sv->watch_version, err);
    if (st == LM_OK)
        st = lm_store_read_begin(sv->watch, err);
    if (st == LM_OK)
        st = lm_serve_index_build(sv->names, sv->watch, ix, err);
    if (st == LM_OK)
        st = lm_serve_search_signature(sv->watch, sig, err);
    lm_store_read_end(sv->watch);
    double cost = thread_cpu_ms() - cpu0;
    if (st == LM_OK)
        lm_serve_reload_built(&sv->policy, now_ms(), cost);
    else
        lm_serve_reload_failed(&sv->policy, now_ms(), cost);
    return st;
}

/* Bumps the searchers' generation when the vectors' signature changed
 * (under the lock, as workers read it). */
static void note_vectors(lm_serve *sv, const int64_t nsig[2])
{
    if (nsig[0] == sv->search_sig[0] && nsig[1] == sv->search_sig[1])
        return;
    pthread_mutex_lock(&sv->lock);
    sv->search_gen++;
    pthread_mutex_unlock(&sv->lock);
    sv->search_sig[0] = nsig[0];
    sv->search_sig[1] = nsig[1];
}

static lm_status check_vectors(lm_serve *sv, lm_error *err)
{
    int64_t nsig[2] = {0, 0};
    lm_status st = lm_store_read_begin(sv->watch, err);
    if (st == LM_OK)
        st = lm_serve_search_signature(sv->watch, nsig, err);
    lm_store_read_end(sv->watch);
    if (st == LM_OK) {
        sv->policy.vectors_unchecked = 0;
        note_vectors(sv, nsig);
    }
    return st;
}

static lm_status reload(lm_serve *sv, lm_error *err)
{
    lm_serve_index *ix = NULL;
    int64_t nsig[2] = {0, 0};
    lm_status st = build_index(sv, &ix, nsig, err);
    if (st != LM_OK) {
        lm_serve_index_free(ix);
        return st;
    }
    ix->refs = 1;
    note_vectors(sv, nsig);
    pthread_mutex_lock(&sv->lock);
    lm_serve_index *old = sv->index;
    sv->index = ix;
    sv->reloads++;
    pthread_mutex_unlock(&sv->lock);
    index_release(sv, old);
    return LM_OK;
}

static void *reloader(void *arg)
{
    lm_serve *sv = arg;
    lm_error err = {0};
    pthread_mutex_lock(&sv->lock);
    while (!sv->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += RELOAD_POLL_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&sv->wake, &sv->lock, &until);
        if (sv->stopping)
            break;
        pthread_mutex_unlock(&sv->lock);
        int64_t v = sv->watch_version;
        if (lm_store_data_version(sv->watch, &v, &err) == LM_OK && v != sv->watch_version) {
            sv->watch_version = v;
            lm_serve_reload_seen(&sv->policy, now_ms());
        }
        /* a failed reload (busy, say) is tried again after its gap */
        if (lm_serve_reload_due(&sv->policy, now_ms()))
            reload(sv, &err);
        else if (lm_serve_reload_vectors_due(&sv->policy, now_ms()))
            check_vectors(sv, &err);
        pthread_mutex_lock(&sv->lock);
    }
    pthread_mutex_unlock(&sv->lock);
    return NULL;
}

/* ---- routing ----------------------------------------------------------------- */

typedef struct route {
    const char *path;
    int prefix;                  /* path is a prefix ("/article/") */
    int json;                    /* errors as JSON */
    lm_serve_handler fn;
} route;

static const route routes[] = {
    {"/", 0, 0, lm_serve_page_home},
    {"/search", 0, 0, lm_serve_page_search},
    {"/article/", 1, 0, lm_serve_page_article},
    {"/concept/", 1, 0, lm_serve_page_concept},
    {"/pairs", 0, 0, lm_serve_page_pairs},
    {"/pairs.csv", 0, 0, lm_serve_pairs_csv},
    {"/static/style.css", 0, 0, lm_serve_page_css},
    {"/api/search", 0, 1, lm_serve_api_search},
    {"/api/article/", 1, 1, lm_serve_api_article},
    {"/api/concept/", 1, 1, lm_serve_api_concept},
    {"/api/pairs", 0, 1, lm_serve_api_pairs},
    {"/publications/export/pubtator", 0, 1, lm_serve_pt_pubtator},
    {"/publications/export/biocjson", 0, 1, lm_serve_pt_biocjson},
    {"/entity/autocomplete/", 0, 1, lm_serve_pt_autocomplete},
    {"/entity/autocomplete", 0, 1, lm_serve_pt_autocomplete},
};

static const route *find_route(const char *path)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route *rt = &routes[i];
        size_t n = strlen(rt->path);
        if (rt->prefix ? strncmp(path, rt->path, n) == 0 && path[n]
                       : strcmp(path, rt->path) == 0)
            return rt;
    }
    return NULL;
}

static const char *conn_arg(const lm_serve_request *rq, const char *key)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)rq->conn,
                                       MHD_GET_ARGUMENT_KIND, key);
}

/* Every parameter must be valid UTF-8 and of bounded length; the search
 * query may be longer than the others. */
static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    const char **bad = cls;
    size_t limit = strcmp(key, "q") == 0 || strcmp(key, "text") == 0 ? LM_SERVE_MAX_QUERY
                   : strcmp(key, "pmids") == 0                     ? 16 * LM_SERVE_MAX_PMIDS
                                                                   : LM_SERVE_MAX_ARG;
    size_t kl = strlen(key), vl = value ? strlen(value) : 0;
    if (kl > 64 || !lm_utf8_valid(key, kl))
        *bad = "a parameter name is too long or not UTF-8";
    else if (vl > limit)
        *bad = key;
    else if (!lm_utf8_valid(value ? value : "", vl))
        *bad = "a parameter is not valid UTF-8";
    return *bad ? MHD_NO : MHD_YES;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void add_headers(struct MHD_Response *resp, const lm_serve_response *r)
{
    char timing[64];
    snprintf(timing, sizeof timing, "app;dur=%.2f", r->ms);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "Server-Timing", timing);
    if (r->disposition)
        MHD_add_response_header(resp, "Content-Disposition", r->disposition);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    (void)upload_data;
    lm_serve *sv = cls;
    int is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
                 strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    /* A GET is answered on the second call, once libmicrohttpd has read
     * the whole request: answered on the first, the connection would be
     * closed after it instead of kept alive.  Anything else is refused at
     * once, and its body never read. */
    static int seen;
    if (is_get && !*con_cls) {
        *con_cls = &seen;
        return MHD_YES;
    }
    double t0 = now_ms();
    lm_serve_response r = {200, "text/html; charset=utf-8", NULL, NULL, NULL, 0, 0};
    r.f = open_memstream(&r.body, &r.len);
    if (!r.f)
        return MHD_NO;
    lm_serve_request rq = {url, conn_arg, conn};
    const route *rt = find_route(url);
    const char *bad = NULL;
    if (!is_get || *upload_data_size) {
        *upload_data_size = 0;
        lm_serve_fail(&r, 405, rt && rt->json, "only GET and HEAD: this server is read-only");
    } else if (!rt) {
        lm_serve_fail(&r, 404, strncmp(url, "/api/", 5) == 0, "no such page: %.200s", url);
    } else if (MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, check_arg, &bad) < 0 ||
               bad) {
        if (strchr(bad, ' '))
            lm_serve_fail(&r, 400, rt->json, "%s", bad);
        else
            lm_serve_fail(&r, 400, rt->json, "%s: longer than allowed (%d bytes for q, %d "
                          "for others)", bad, LM_SERVE_MAX_QUERY, LM_SERVE_MAX_ARG);
    } else {
        lm_serve_worker *w = worker_take(sv);
        lm_error err = {0};
        if (lm_store_read_begin(w->store, &err) != LM_OK) {
            lm_serve_fail(&r, 503, rt->json, "database busy: %s", err.msg);
        } else {
            rt->fn(sv, w, &rq, &r);
            lm_store_read_end(w->store);
        }
        worker_give(sv, w);
    }
    if (r.f)
        fclose(r.f);
    r.f = NULL;
    if (!r.body)
        return MHD_NO;
    r.ms = now_ms() - t0;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r.len, r.body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(r.body);
        return MHD_NO;
    }
    add_headers(resp, &r);
    if (r.status == 405)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- start and stop ---------------------------------------------------------- */

int lm_serve_parse_listen(const char *listen, char *host, size_t host_cap, int *port)
{
    const char *colon;
    size_t hl;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':')
            return 0;
        hl = (size_t)(close - listen - 1);
        listen++;
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon)
            return 0;
        hl = (size_t)(colon - listen);
    }
    if (hl == 0 || hl >= host_cap)
        return 0;
    memcpy(host, listen, hl);
    host[hl] = 0;
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || p < 0 || p > 65535)
        return 0;
    *port = (int)p;
    return 1;
}

static void serve_free(lm_serve *sv)
{
    if (sv->reloader_started) {
        pthread_mutex_lock(&sv->lock);
        sv->stopping = 1;
        pthread_cond_signal(&sv->wake);
        pthread_mutex_unlock(&sv->lock);
        pthread_join(sv->reloader, NULL);
    }
    for (int i = 0; i < sv->n_workers; i++) {
        lm_serve_search_close(sv->workers[i].search);
        lm_store_close(sv->workers[i].store);
    }
    free(sv->workers);
    lm_store_close(sv->watch);
    lm_serve_index_free(sv->index);
    lm_lexicon_free(sv->names);
    pthread_mutex_destroy(&sv->lock);
    pthread_cond_destroy(&sv->freed);
    pthread_cond_destroy(&sv->wake);
}

/* The lexicon for concept names: [models] lexicon, else dir/lexicon.bin;
 * none is fine (ids are shown). */
static lm_lexicon *load_names(const lm_config *cfg)
{
    const char *path = cfg ? lm_config_get(cfg, "models", "lexicon") : NULL;
    lm_buf b;
    lm_buf_init(&b);
    if (!path) {
        const char *dir = cfg ? lm_config_get_or(cfg, "models", "dir", lm_ner_default_model_dir())
                              : lm_ner_default_model_dir();
        if (lm_buf_printf(&b, "%s/lexicon.bin", dir) != LM_OK) {
            lm_buf_free(&b);
            return NULL;
        }
        path = lm_buf_cstr(&b);
    }
    lm_lexicon *lex = NULL;
    lm_error err;
    if (lm_lexicon_load(path, &lex, &err) != LM_OK)
        lex = NULL;
    lm_buf_free(&b);
    return lex;
}

lm_status lm_serve_run(const lm_serve_options *o, lm_error *err)
{
    char host[256];
    int port;
    const char *listen = o->listen ? o->listen : "127.0.0.1:8080";
    if (!lm_serve_parse_listen(listen, host, sizeof host, &port))
        return lm_error_set(err, LM_ERR_USAGE, "--listen %s: expected ADDRESS:PORT", listen);
    struct sockaddr_storage addr;
    memset(&addr, 0, sizeof addr);
    int v6 = strchr(host, ':') != NULL;
    if (v6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&addr;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
            return lm_error_set(err, LM_ERR_USAGE, "--listen: %s is not an IPv6 address", host);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&addr;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
            return lm_error_set(err, LM_ERR_USAGE, "--listen: %s is not an IPv4 address", host);
    }
    int threads = o->threads > 0 ? o->threads : 4;
    if (threads > 64)
        return lm_error_set(err, LM_ERR_USAGE, "--threads: at most 64");

    lm_serve sv;
    memset(&sv, 0, sizeof sv);
    sv.opts = *o;
    pthread_mutex_init(&sv.lock, NULL);
    pthread_cond_init(&sv.freed, NULL);
    pthread_cond_init(&sv.wake, NULL);
    sv.workers = calloc((size_t)threads, sizeof *sv.workers);
    if (!sv.workers) {
        serve_free(&sv);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    lm_store_options so = {.readonly = 1, .busy_timeout_ms = 2000};
    lm_status st = lm_store_open(&sv.watch, o->db_path, &so, err);
    if (st == LM_OK)
        st = lm_store_serve_tune(sv.watch, err);
    for (int i = 0; i < threads && st == LM_OK; i++) {
        st = lm_store_open(&sv.workers[i].store, o->db_path, &so, err);
        if (st == LM_OK) {
            sv.n_workers++;
            st = lm_store_serve_tune(sv.workers[i].store, err);
        }
    }
    sv.names = load_names(o->config);
    if (st == LM_OK) {
        st = build_index(&sv, &sv.index, sv.search_sig, err);
        if (st == LM_OK)
            sv.index->refs = 1;
    }
    /* Searchers load their models now, so the first searches are not the
     * slow ones. */
    for (int i = 0; i < sv.n_workers && st == LM_OK; i++)
        st = lm_serve_search_open(&sv, &sv.workers[i], err);
    if (st != LM_OK) {
        serve_free(&sv);
        return st;
    }

    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    /* Started with the signals blocked, like the pool's threads. */
    if (pthread_create(&sv.reloader, NULL, reloader, &sv) != 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        serve_free(&sv);
        return lm_error_set(err, LM_ERR_NOMEM, "cannot start the reloader thread");
    }
    sv.reloader_started = 1;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | (v6 ? MHD_USE_IPv6 : 0);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, &sv, MHD_OPTION_SOCK_ADDR,
        (const struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)(o->timeout_seconds > 0 ? o->timeout_seconds : 15),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)LM_SERVE_REQUEST_BYTES * 2, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)256,
        MHD_OPTION_END);
    if (!d) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        serve_free(&sv);
        return lm_error_set(err, LM_ERR_IO, "cannot listen on %s (address in use, or not "
                            "this machine's?)", listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (o->on_ready) {
        char url[300];
        snprintf(url, sizeof url, v6 ? "http://[%s]:%u/" : "http://%s:%u/", host,
                 info ? (unsigned)info->port : (unsigned)port);
        o->on_ready(o->ctx, url);
    }
    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    MHD_stop_daemon(d);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    serve_free(&sv);
    return LM_OK;
}
