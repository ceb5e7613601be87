/*
 * lm_serve_impl: what the files of serve/ share — the server, the worker
 * context a request borrows, the request and response a handler sees,
 * and the views each page is built from.
 *
 * A page is loaded once into a view (plain structs owning their strings)
 * and then written by either renderer: HTML (lm_serve_html.c) or JSON
 * (lm_serve_api.c), so the two can never disagree about what a page
 * holds.  Responses are written to a memory stream and handed to
 * libmicrohttpd whole.
 */
#ifndef LM_SERVE_IMPL_H
#define LM_SERVE_IMPL_H

#include "../nlp/lm_lexicon.h"
#include "../store/lm_store.h"
#include "../store/lm_store_export.h"
#include "../store/lm_store_serve.h"
#include "../util/lm_buf.h"
#include "lm_serve.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

/* Limits: a longer query or more asked for is a 400, not a slow page. */
#define LM_SERVE_MAX_QUERY 512        /* bytes of a search query */
#define LM_SERVE_MAX_ARG 256          /* bytes of any other parameter */
#define LM_SERVE_PAGE_HITS 20         /* search results per page */
#define LM_SERVE_MAX_K 100            /* /api/search?k= */
#define LM_SERVE_CANDIDATES 200       /* hits the facets are counted over */
#define LM_SERVE_PAGE_PAIRS 50        /* pairs table rows per page */
#define LM_SERVE_MAX_PAIRS 1000       /* /api/pairs?limit= */
#define LM_SERVE_MAX_CSV 100000       /* rows of one CSV download */
#define LM_SERVE_MAX_PMIDS 100        /* PMIDs of one PubTator export */
#define LM_SERVE_REQUEST_BYTES 16384  /* request line + headers */

typedef struct lm_serve_searcher lm_serve_searcher;

/* A counted concept (id, type, one of its texts) or year: search facets,
 * a concept's years, names and co-mentioned concepts. */
typedef struct lm_serve_count {
    char *id, *type, *text;
    int year;
    int64_t n;
} lm_serve_count;

/* An autocomplete entry: a concept under one of its names. */
typedef struct lm_serve_name {
    char *key;                   /* lower-cased name, the sort key */
    char *name;
    const char *id, *type;       /* the index's */
    int64_t mentions;
} lm_serve_name;

/* ---- the concept index (lm_serve_index.c) ---- */

/* qsort order of uint32_t values. */
static inline int lm_serve_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

typedef struct lm_serve_concept {
    char *id, *type;
    char *name;                  /* its most frequent text (ties: first in byte order) */
    int64_t mentions;
    uint32_t articles, n_articles;   /* its articles: concept_articles[articles..] */
    lm_serve_count *synonyms;    /* on the first concept of an id: the texts of the id,
                                    folded by ASCII case, most frequent first */
    size_t n_synonyms;
} lm_serve_concept;

typedef struct lm_serve_index {
    int refs;                    /* the server's and each request's; under lm_serve.lock */
    size_t n_articles;
    int64_t *pmids;              /* ascending: article numbers */
    int16_t *years;              /* 0 unknown */
    uint32_t *article_at;        /* n_articles + 1 offsets into article_concepts */
    uint32_t *article_concepts;  /* each article's distinct concepts, ascending */
    size_t n_concepts;
    lm_serve_concept *concepts;  /* by (id, type): concept numbers */
    uint32_t *concept_articles;  /* each concept's articles, ascending */
    lm_serve_name *complete;     /* the autocomplete list, by key */
    size_t n_complete;
} lm_serve_index;

/* Builds the index from s (inside the caller's read transaction), with
 * display names from the lexicon names (may be NULL). */
lm_status lm_serve_index_build(const lm_lexicon *names, lm_store *s, lm_serve_index **out,
                               lm_error *err);
void lm_serve_index_free(lm_serve_index *ix);
/* The article number of pmid, SIZE_MAX when it is not in the index. */
size_t lm_serve_index_article(const lm_serve_index *ix, int64_t pmid);
/* The first concept number of id (its types follow), *n of them (0: none). */
size_t lm_serve_index_concept(const lm_serve_index *ix, const char *id, size_t *n);

/* When the reloader rebuilds the concept index (lm_serve.c).  Times are
 * milliseconds on any monotonic clock, passed in so that tests drive it
 * with their own.  A rebuild is due when a commit is not in the index yet,
 * the commits have settled (none for LM_SERVE_RELOAD_QUIET_MS) or the
 * oldest has waited LM_SERVE_RELOAD_MAX_WAIT_MS, and the gap since the
 * last rebuild is at least LM_SERVE_RELOAD_GAP_FACTOR times that
 * rebuild's CPU time: rebuilding then takes at most 1 / (1 + factor) of a
 * core however long the ingest runs.  Whether the stored vectors changed
 * is a cheap check, due once the commits have settled, without the gap. */
#define LM_SERVE_RELOAD_QUIET_MS 1000.0
#define LM_SERVE_RELOAD_MAX_WAIT_MS 30000.0
#define LM_SERVE_RELOAD_GAP_FACTOR 9.0

typedef struct lm_serve_reload_policy {
    int dirty;                   /* a commit seen is not in the index */
    double dirty_since;          /* when the oldest such commit was seen */
    double changed;              /* when the last commit was seen */
    double next_allowed;         /* the earliest start of the next rebuild */
    int vectors_unchecked;       /* a commit seen since the vectors were checked */
} lm_serve_reload_policy;

/* The index was (re)built, ending at now, at a cost of cost_ms CPU time. */
void lm_serve_reload_built(lm_serve_reload_policy *p, double now, double cost_ms);
/* A commit was seen at now. */
void lm_serve_reload_seen(lm_serve_reload_policy *p, double now);
int lm_serve_reload_due(const lm_serve_reload_policy *p, double now);
int lm_serve_reload_vectors_due(const lm_serve_reload_policy *p, double now);
/* A rebuild tried at now failed after cost_ms: the commits stay pending. */
void lm_serve_reload_failed(lm_serve_reload_policy *p, double now, double cost_ms);

/* What one request borrows: a read-only connection, its searcher, and the
 * concept index current when the request began. */
typedef struct lm_serve_worker {
    lm_store *store;
    lm_serve_searcher *search;   /* opened on first use */
    unsigned search_gen;         /* the vectors' generation it was opened for */
    unsigned gen;                /* the generation current when the request began */
    lm_serve_index *index;       /* during a request */
    int busy;
} lm_serve_worker;

typedef struct lm_serve {
    lm_serve_options opts;
    lm_serve_worker *workers;
    int n_workers;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    lm_lexicon *names;           /* concept display names; may be NULL */
    lm_serve_index *index;       /* the current one; swapped by the reloader */
    unsigned search_gen;         /* bumped when the stored vectors change */
    /* the reloader (lm_serve.c) */
    lm_store *watch;             /* its own read-only connection */
    pthread_t reloader;
    int reloader_started, stopping;
    pthread_cond_t wake;
    unsigned reloads;            /* index rebuilds since start */
    lm_serve_reload_policy policy; /* the reloader's alone (and start's) */
    int64_t search_sig[2];       /* the stored vectors' signature the index saw */
    int64_t watch_version;       /* watch's data_version last seen */
} lm_serve;

typedef struct lm_serve_request {
    const char *path;            /* URL path, decoded */
    /* A query parameter, NULL when absent. */
    const char *(*arg)(const struct lm_serve_request *rq, const char *key);
    void *conn;
} lm_serve_request;

typedef struct lm_serve_response {
    int status;
    const char *content_type;
    const char *disposition;     /* Content-Disposition, or NULL */
    FILE *f;                     /* the body, written by the handler */
    char *body;
    size_t len;
    double ms;                   /* time spent building it */
} lm_serve_response;

/* ---- helpers (lm_serve.c) ---- */
/* Replaces the body with a short error page or JSON object. */
void lm_serve_fail(lm_serve_response *r, int status, int json, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* An integer parameter within [lo, hi]; def when absent; 0 when malformed. */
int lm_serve_arg_int(const lm_serve_request *rq, const char *key, long lo, long hi, long def,
                     long *out);
/* The display name of a concept id, else fallback. */
const char *lm_serve_concept_name(const lm_serve *sv, const char *id, const char *fallback);

/* ---- search (lm_serve_search.c: the one file that calls search and query
 * analysis) ---- */

typedef struct lm_serve_span {
    uint32_t start, end;         /* bytes into the text it marks */
    int query;                   /* 1: a query word or concept */
    int evidence;                /* 1: the evidence sentence of a pair */
    char *type, *concept_id;     /* an entity mention, else NULL */
} lm_serve_span;

typedef struct lm_serve_hit {
    int64_t pmid;
    int year;
    char *title, *journal;
    double score;
    char *snippet;               /* the sentence with the most query evidence */
    lm_serve_span *spans;        /* query marks and entity mentions in it */
    size_t n_spans;
} lm_serve_hit;

typedef struct lm_serve_search_view {
    char *query;
    const char *mode;            /* the mode that ran */
    char *year, *concept;        /* facet filters as given, NULL when none */
    int page;
    lm_serve_count *query_concepts;   /* concepts recognised in the query */
    size_t n_query_concepts;
    int64_t total;               /* hits after the facet filters (of the candidates) */
    lm_serve_hit *hits;          /* this page's */
    size_t n_hits;
    lm_serve_count *years, *concepts;
    size_t n_years, n_concepts;
    double search_ms;            /* the ranking (lm_searcher_query) */
    double facets_ms;            /* years and concepts of the candidates */
    double snippets_ms;          /* best sentences and their marks, this page */
} lm_serve_search_view;

typedef struct lm_serve_search_args {
    const char *query;
    const char *mode;            /* hybrid, lexical, dense; NULL hybrid */
    int year;                    /* facet filter, 0 none */
    const char *concept;         /* facet filter, NULL none */
    int page, per_page;
} lm_serve_search_args;

/* A typed concept name (a filter value) as the concept id the lexicon
 * gives it (type: lm_ent_type), valid while the server lives; the text
 * itself when it already is an id (has a ':') or is unknown. */
const char *lm_serve_resolve_concept(const lm_serve *sv, int type, const char *text);
lm_status lm_serve_search_open(lm_serve *sv, lm_serve_worker *w, lm_error *err);
/* What identifies the stored vectors searchers map (the current model and
 * its vectors' generation); read inside a read transaction. */
lm_status lm_serve_search_signature(lm_store *s, int64_t sig[2], lm_error *err);
void lm_serve_search_close(lm_serve_searcher *s);
/* LM_ERR_USAGE for an unknown mode. */
lm_status lm_serve_search_run(lm_serve *sv, lm_serve_worker *w,
                              const lm_serve_search_args *a, lm_serve_search_view *out,
                              lm_error *err);
void lm_serve_search_view_free(lm_serve_search_view *v);

/* ---- article and concept views (lm_serve_data.c) ---- */

typedef struct lm_serve_mention {
    int start, end;              /* code points into title + " " + abstract */
    uint32_t bstart, bend;       /* the same in bytes */
    char *text, *type, *concept_id;
} lm_serve_mention;

typedef struct lm_serve_article_view {
    lm_article a;
    char *text;                  /* title + " " + abstract */
    size_t title_bytes;          /* where the title ends in text */
    lm_serve_mention *mentions;
    size_t n_mentions;
    lm_pair_row *pairs;          /* owned copies */
    size_t n_pairs;
} lm_serve_article_view;

lm_status lm_serve_article_load(lm_serve *sv, lm_store *s, int64_t pmid,
                                lm_serve_article_view *v, lm_error *err);
void lm_serve_article_view_free(lm_serve_article_view *v);

typedef struct lm_serve_pair_count {
    char *chemical_id, *chemical, *disease_id, *disease, *relation;
    int64_t articles;
    double max_score;
    int first_year;
} lm_serve_pair_count;

typedef struct lm_serve_concept_view {
    char *id;
    const char *name;            /* lexicon name or the most frequent text */
    lm_concept_summary sum;
    lm_serve_count *years, *names, *comentions;
    size_t n_years, n_names, n_comentions;
    lm_serve_pair_count *pairs;
    size_t n_pairs;
} lm_serve_concept_view;

lm_status lm_serve_concept_load(lm_serve *sv, lm_serve_worker *w, const char *id,
                                lm_serve_concept_view *v, lm_error *err);
void lm_serve_concept_view_free(lm_serve_concept_view *v);

/* Autocomplete entries of ix whose name starts with prefix
 * (case-insensitive), most mentioned first, of type (NULL any), each
 * concept once; returns how many were written. */
size_t lm_serve_names_complete(const lm_serve_index *ix, const char *prefix, const char *type,
                               const lm_serve_name **out, size_t max);

/* Reads the pairs filter of the pairs page and API; 0 with a message in
 * why on a bad value. */
int lm_serve_pairs_args(const lm_serve *sv, const lm_serve_request *rq, lm_pairs_query *q,
                        char *why, size_t why_cap);

/* ---- pages (lm_serve_html.c) and API (lm_serve_api.c) ---- */
typedef void (*lm_serve_handler)(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                                 lm_serve_response *r);

void lm_serve_page_home(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                        lm_serve_response *r);
void lm_serve_page_search(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                          lm_serve_response *r);
void lm_serve_page_article(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                           lm_serve_response *r);
void lm_serve_page_concept(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                           lm_serve_response *r);
void lm_serve_page_pairs(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                         lm_serve_response *r);
void lm_serve_page_css(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                       lm_serve_response *r);
/* A short HTML error page. */
void lm_serve_html_error(FILE *f, int status, const char *msg);
/* Writes s HTML-escaped (& < > " '). */
void lm_serve_html_escape(FILE *f, const char *s);
void lm_serve_html_escape_n(FILE *f, const char *s, size_t n);
/* Reads the search parameters (q, mode, year, concept, page) and runs the
 * search, per_page hits a page (0: LM_SERVE_PAGE_HITS); 0 when it failed,
 * r then holding the error. */
int lm_serve_search_request(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                            lm_serve_response *r, int json, int per_page,
                            lm_serve_search_view *v);
/* The articles-per-year chart as inline SVG. */
void lm_serve_svg_years(FILE *f, const lm_serve_count *years, size_t n);

void lm_serve_api_search(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                         lm_serve_response *r);
void lm_serve_api_article(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                          lm_serve_response *r);
void lm_serve_api_concept(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                          lm_serve_response *r);
void lm_serve_api_pairs(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                        lm_serve_response *r);
void lm_serve_pairs_csv(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                        lm_serve_response *r);
void lm_serve_pt_pubtator(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                          lm_serve_response *r);
void lm_serve_pt_biocjson(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                          lm_serve_response *r);
void lm_serve_pt_autocomplete(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                              lm_serve_response *r);

#endif
