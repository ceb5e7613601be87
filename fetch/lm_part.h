/*
 * lm_part: a download's ".part" file, resumable across attempts and runs —
 * the half of an lm_http_sink that bulk files (lm_download) and hub files
 * (lm_hub) share.
 *
 * Each attempt begins by reopening an existing part and asking for the
 * rest (a byte range), or by starting it empty.  A 206 must start where we
 * asked — otherwise the attempt fails and the next one starts afresh; a 200
 * to a range request is the whole file, so the part is truncated and
 * written from the start.  An optional running digest covers every byte
 * the part holds: on a resume the old bytes are read back into it, so the
 * digest of a resumed file is the digest of the whole file.
 */
#ifndef LM_PART_H
#define LM_PART_H

#include "lm_http.h"

#include <stdio.h>

typedef struct lm_part_digest {
    void (*reset)(void *ctx);   /* NULL: no digest */
    void (*update)(void *ctx, const void *data, size_t len);
    void *ctx;
} lm_part_digest;

typedef struct lm_part {
    const char *path;
    FILE *fp;
    int64_t have;             /* bytes in the part */
    int64_t asked_from;       /* the range start requested this attempt */
    int64_t transferred;      /* bytes received over all attempts */
    int fresh;                /* ignore any existing part at the next begin */
    int resumed;              /* an attempt continued an existing part */
    lm_part_digest digest;
} lm_part;

/* lm_http_sink callbacks; ctx is the lm_part (or a struct that starts
 * with one). */
lm_status lm_part_on_begin(void *part, int64_t *resume_from, lm_error *err);
lm_status lm_part_on_headers(void *part, const lm_http_response *resp, lm_error *err);
lm_status lm_part_on_write(void *part, const char *data, size_t len, lm_error *err);
/* Makes the part durable (flush, fsync) and closes it; LM_ERR_IO when
 * that fails. */
lm_status lm_part_on_end(void *part, lm_error *err);

/* Closes the part, if open, as a failed transfer left it (no fsync). */
void lm_part_drop(lm_part *p);

/* One step of lm_part_fetch (ctx its ctx): an attempt at the whole file
 * (an lm_http_get into the part through the callbacks above, made
 * durable), or a check of the finished part (LM_ERR_CORRUPT when it is not
 * the file: size, digest). */
typedef lm_status (*lm_part_step)(void *ctx, lm_error *err);

/* Fills the part with the resume policy bulk and hub files share: get
 * (resuming what the part holds); when that resumed and failed (the
 * server may refuse the range, the part may be stale), or its result fails
 * check (the old bytes may belong to another version of the file), once
 * more from the start.  A part that fails check is removed; one that a
 * network error stopped stays for a later run to resume.  check may be
 * NULL. */
lm_status lm_part_fetch(lm_part *p, lm_part_step get, lm_part_step check, void *ctx,
                        lm_error *err);

/* Whether the part's file continued bytes of an earlier attempt or run. */
int lm_part_resumed(const lm_part *p);

#endif
