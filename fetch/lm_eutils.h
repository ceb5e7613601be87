/*
 * lm_eutils: NCBI E-utilities client for PubMed (ESearch + EFetch).
 *
 * `litmine fetch` and `litmine watch` use it to turn a PubMed query into a
 * stream of lm_article values.  A search runs with usehistory=y and its
 * records are fetched from the history server in batches (retstart/retmax).
 * NCBI only lets one query reach its first 9,999 records, so a larger
 * result is cut into date slices (mindate/maxdate on the chosen datetype,
 * halved recursively until each slice fits) and each slice is searched and
 * fetched in turn, in ascending date order; a PMID seen twice in one call
 * is delivered once.
 *
 * Batches are all-or-nothing.  A response is first downloaded whole and
 * checked (HTTP status, HTML instead of XML, an NCBI <ERROR> document,
 * XML well-formed and complete per the PubMed parser); a truncated or
 * malformed response is retried like a network error.  Only then are its
 * articles handed to handler->on_article, followed by one on_batch call —
 * the place where the caller commits its transaction and records progress.
 * If on_article or on_batch fails, the fetch stops with that status.
 *
 * Resuming (what `watch` does): every on_batch reports next_offset, the
 * number of records of the whole result that are now delivered, and, for
 * sliced fetches, the slice's dates.  Passing a persisted next_offset back
 * as opts.start_offset skips that many records — exact as long as the
 * result set has not changed, which holds for edat ranges that end in the
 * past (new records get today's edat).  The simplest safe scheme: watch an
 * edat range ending yesterday, and when a slice_done batch arrives record
 * slice_maxdate as "complete through"; after a crash restart from there
 * (re-delivered articles are idempotent upserts for the store).
 *
 * Every request carries tool, email and (when configured) api_key.
 * Neither the key nor the email is ever put in a message: errors quote
 * URLs as `api_key=***&email=***`.
 *
 * Hostile answers are bounded: a response above max_response_mb fails at
 * once, each request ends by its deadline_s whatever the retries, redirects
 * follow lm_http's policy (same host, GET only), and an ESearch document
 * declaring entities (the "billion laughs" expansion) is refused before
 * anything is expanded.
 * A client is not thread-safe (one curl handle); clients in several
 * threads may share one lm_ratelimit through the config.
 */
#ifndef LM_EUTILS_H
#define LM_EUTILS_H

#include "../util/lm_config.h"
#include "../util/lm_error.h"
#include "lm_pubmed.h"
#include "lm_ratelimit.h"

#include <stddef.h>
#include <stdint.h>

#define LM_EUTILS_DEFAULT_BASE_URL "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
/* Records one query may reach through ESearch/EFetch paging. */
#define LM_EUTILS_WINDOW 9999
#define LM_EUTILS_MAX_BATCH 10000
/* Above this many IDs an ID-list EFetch is POSTed rather than GET. */
#define LM_EUTILS_GET_MAX_IDS 200

typedef struct lm_eutils lm_eutils;

typedef struct lm_eutils_config {
    const char *base_url;     /* NULL: LM_EUTILS_DEFAULT_BASE_URL */
    const char *tool;         /* NULL: "litmine" */
    const char *email;        /* NULL: not sent (NCBI asks for one) */
    const char *api_key;      /* NULL or "": none */
    double max_rps;           /* 0: 3/s, 10/s with a key; larger values are lowered */
    long timeout_s;           /* per attempt; 0: 300 */
    int max_tries;            /* attempts per request; 0: 5 */
    long deadline_s;          /* per request, all attempts and waits; 0: 600 */
    long max_response_mb;     /* larger responses fail at once; 0: 256 */
    long batch_size;          /* EFetch records per request; 0: 500; <= 10000 */
    long backoff_base_ms;     /* first retry delay; 0: 1000 */
    long backoff_max_ms;      /* 0: 60000 */
    long retry_after_max_s;   /* 0: 300 */
    lm_ratelimit *limiter;    /* shared limiter, or NULL for the client's own */
    const lm_cancel *cancel;  /* polled between requests and batches; may be NULL */
} lm_eutils_config;

/* Fills cfg (zeroed first) from the [eutils] section: base_url, tool,
 * email, api_key, max_rps, timeout_s, max_tries, deadline_s, max_response_mb,
 * batch_size.  The
 * environment variable NCBI_API_KEY, when set and non-empty, overrides
 * api_key (so the key need be in neither the file nor a command line).
 * Strings point into conf / the environment: keep them alive until
 * lm_eutils_init has copied them. */
lm_status lm_eutils_config_from(lm_eutils_config *cfg, const lm_config *conf,
                                lm_error *err);

lm_status lm_eutils_init(lm_eutils **out, const lm_eutils_config *cfg, lm_error *err);
void lm_eutils_free(lm_eutils *c);

/* The effective request rate (requests per second). */
double lm_eutils_rate(const lm_eutils *c);

typedef enum lm_eutils_datetype {
    LM_EUTILS_EDAT = 0,   /* Entrez date: when the record entered PubMed */
    LM_EUTILS_PDAT,       /* publication date */
    LM_EUTILS_MDAT        /* last modification */
} lm_eutils_datetype;

/* "edat", "pdat" or "mdat". */
lm_status lm_eutils_datetype_parse(const char *s, lm_eutils_datetype *out, lm_error *err);

typedef struct lm_eutils_dates {
    const char *mindate;  /* "YYYY", "YYYY/MM" or "YYYY/MM/DD" ('-' also ok); NULL: open */
    const char *maxdate;  /* same; NULL: open (today) */
    lm_eutils_datetype datetype;
    int reldate;          /* > 0: the last reldate days, instead of min/max */
} lm_eutils_dates;

typedef struct lm_eutils_search_result {
    int64_t count;            /* records matching the query */
    int64_t retstart;
    char *webenv;             /* history server handle (usehistory=y) */
    char *query_key;
    int64_t *ids;             /* the IdList page (retstart, retmax) */
    size_t n_ids;
    char *query_translation;  /* how PubMed read the query; may be NULL */
    /* NULL, or ErrorList/WarningList entries joined by "; ", e.g.
     * "PhraseNotFound: abcXYZ; No items found.".  A zero count with a
     * PhraseNotFound is a valid empty result; callers may want to show
     * the warning, since part of the query was ignored. */
    char *warnings;
} lm_eutils_search_result;

void lm_eutils_search_result_init(lm_eutils_search_result *r);
void lm_eutils_search_result_free(lm_eutils_search_result *r);   /* re-inits */

/* ESearch (db=pubmed, usehistory=y).  dates may be NULL.  retmax: how many
 * IDs to return in out->ids (0..9999).  An <ERROR> document fails with
 * LM_ERR_NET and NCBI's message; an HTML page with LM_ERR_FORMAT. */
lm_status lm_eutils_search(lm_eutils *c, const char *query, const lm_eutils_dates *dates,
                           long retstart, long retmax, lm_eutils_search_result *out,
                           lm_error *err);

/* Parses one ESearch response held in memory (what lm_eutils_search does
 * with the body).  Truncated/malformed XML: LM_ERR_PARSE. */
lm_status lm_eutils_parse_search(const char *xml, size_t len, lm_eutils_search_result *out,
                                 lm_error *err);

/* Checks one EFetch response held in memory as a fetch does before
 * delivering anything (an HTML page or another document: LM_ERR_FORMAT;
 * an NCBI <ERROR>: LM_ERR_NET; malformed or truncated XML: LM_ERR_PARSE),
 * then hands its articles to handler. */
lm_status lm_eutils_parse_fetch(const char *xml, size_t len, const lm_pubmed_handler *handler,
                                lm_error *err);

typedef struct lm_eutils_batch {
    size_t index;               /* 0-based, across the whole call */
    size_t n_articles;          /* articles delivered in this batch */
    int64_t delivered;          /* delivered so far in the call, this batch included */
    int64_t expected;           /* records the query matched / unique IDs requested */
    int64_t offset;             /* position of the batch's first record in the result */
    int64_t next_offset;        /* persist this; pass back as start_offset to resume */
    const char *slice_mindate;  /* "YYYY/MM/DD" of the date slice; NULL when unsliced */
    const char *slice_maxdate;
    int slice_done;             /* 1 when this batch completes its slice */
} lm_eutils_batch;

typedef lm_status (*lm_eutils_batch_fn)(void *ctx, const lm_eutils_batch *batch,
                                        lm_error *err);

typedef struct lm_eutils_fetch_opts {
    int64_t max_records;        /* stop after this many; 0: all */
    int64_t start_offset;       /* skip this many records (a saved next_offset) */
    lm_eutils_batch_fn on_batch;   /* may be NULL */
    void *batch_ctx;
} lm_eutils_fetch_opts;

typedef struct lm_eutils_fetch_result {
    int64_t count;              /* records matched (query) / unique IDs (fetch_ids) */
    int64_t delivered;          /* articles handed to on_article */
    int64_t duplicates;         /* articles dropped as already delivered */
    int64_t missing;            /* requested PMIDs EFetch did not return */
    size_t batches;             /* EFetch batches delivered */
    size_t slices;              /* date slices fetched (1 when unsliced) */
    size_t searches;            /* ESearch calls made */
    char *warnings;             /* NULL, or messages joined by "; " */
} lm_eutils_fetch_result;

void lm_eutils_fetch_result_free(lm_eutils_fetch_result *r);   /* zeroes it */

/* Searches `query` (dates may be NULL) and fetches every matching record,
 * slicing by date when there are more than LM_EUTILS_WINDOW.  opts and res
 * may be NULL.  A single day holding more than the window cannot be split
 * further and fails with LM_ERR_USAGE. */
lm_status lm_eutils_fetch_query(lm_eutils *c, const char *query,
                                const lm_eutils_dates *dates,
                                const lm_eutils_fetch_opts *opts,
                                const lm_pubmed_handler *handler,
                                lm_eutils_fetch_result *res, lm_error *err);

/* Fetches the given PMIDs (duplicates ignored, order kept) in batches;
 * batches of more than LM_EUTILS_GET_MAX_IDS are POSTed.  PMIDs PubMed
 * does not return (deleted, invalid) are counted in res->missing. */
lm_status lm_eutils_fetch_ids(lm_eutils *c, const int64_t *pmids, size_t n,
                              const lm_eutils_fetch_opts *opts,
                              const lm_pubmed_handler *handler,
                              lm_eutils_fetch_result *res, lm_error *err);

typedef struct lm_eutils_stats {
    uint64_t requests;    /* HTTP attempts, retries included */
    uint64_t retries;
    uint64_t bytes;       /* response bytes received */
    uint64_t searches;    /* successful ESearch calls */
    uint64_t fetches;     /* successful EFetch calls */
} lm_eutils_stats;

void lm_eutils_get_stats(const lm_eutils *c, lm_eutils_stats *out);

#endif
