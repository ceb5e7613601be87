/*
 * What the two halves of the E-utilities client share (fetch/lm_eutils.c:
 * the client, requests, response bodies and ESearch; lm_eutils_fetch.c:
 * EFetch, from the history server or by PMID, with the date slicing that
 * reaches past ESearch's window).  Not for use outside fetch/lm_eutils*.
 */
#ifndef LM_EUTILS_IMPL_H
#define LM_EUTILS_IMPL_H

#include "../util/lm_buf.h"
#include "lm_eutils.h"
#include "lm_http.h"

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

/* ---- requests (form-encoded parameters; GET or POST) ---------------------- */

lm_status lm_eutils_form_add(lm_buf *b, const char *key, const char *value);
lm_status lm_eutils_form_int(lm_buf *b, const char *key, long long value);
/* tool, email and api_key. */
lm_status lm_eutils_form_common(const lm_eutils *c, lm_buf *b);
/* Sends form to an endpoint: GET when the URL stays short, else POST. */
lm_status lm_eutils_call(lm_eutils *c, const char *endpoint, const lm_buf *form, int force_post,
                         const lm_http_sink *sink, lm_error *err);
/* An lm_http_sink begin for sinks whose first member is their lm_buf. */
lm_status lm_eutils_body_begin(void *ctx, int64_t *resume_from, lm_error *err);

/* ---- response bodies -------------------------------------------------------- */

typedef enum {
    LM_EUTILS_BODY_EMPTY,
    LM_EUTILS_BODY_HTML,
    LM_EUTILS_BODY_XML,
    LM_EUTILS_BODY_OTHER
} lm_eutils_body_kind;

/* What a body is, and its XML root element's name into root. */
lm_eutils_body_kind lm_eutils_sniff_body(const char *s, size_t n, char *root, size_t rootcap);
/* The error for a body that is not the expected document; *ncbi_error is
 * set for NCBI's own <ERROR> answer (see the file comment of lm_eutils.c). */
lm_status lm_eutils_reject_body(lm_eutils_body_kind kind, const char *s, size_t n,
                                const char *root, const char *what, int *ncbi_error,
                                lm_error *err);
/* Appends "label: text" (or text) to a "; "-separated list unless present. */
lm_status lm_eutils_add_warning(lm_buf *w, const char *label, const char *text);

/* ---- dates -------------------------------------------------------------------- */

const char *lm_eutils_datetype_name(lm_eutils_datetype t);
/* The explicit day range of a date filter; open ends become 1700-01-01 and
 * tomorrow (UTC). */
lm_status lm_eutils_day_range(const lm_eutils_dates *d, int64_t *lo, int64_t *hi, lm_error *err);
/* Whether d gives mindate or maxdate (and no reldate). */
int lm_eutils_dates_explicit(const lm_eutils_dates *d);

#endif
