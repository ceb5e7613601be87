/*
 * lm_tokseq: a tokenised text — token ids with the byte span of the
 * original text each one came from — plus the scratch space tokenizers
 * reuse between calls.
 *
 * One lm_tokseq per thread, reset and refilled for every text: its arrays
 * only grow, so tokenising a stream of abstracts allocates nothing once
 * the longest one has been seen.  Offsets are byte offsets into the text
 * as given (UTF-8), always on character boundaries; a token that stands
 * for part of a character (byte-level BPE splitting an emoji) spans the
 * whole character.
 */
#ifndef LM_TOKSEQ_H
#define LM_TOKSEQ_H

#include "../../util/lm_error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lm_tokseq {
    int32_t *ids;
    uint32_t *start, *end;   /* byte span in the original text */
    size_t n, cap;

    /* Tokenizer scratch (contents undefined between calls). */
    uint32_t *cp;            /* normalised code points */
    uint32_t *cp_start;      /* original byte span of each */
    uint32_t *cp_end;
    size_t cp_cap;
    char *buf;               /* UTF-8 / byte-level text of one word */
    uint32_t *buf_cp;        /* code point index of each byte of buf */
    size_t buf_cap;
    void *work;              /* BPE symbols and heap */
    size_t work_cap;
} lm_tokseq;

void lm_tokseq_init(lm_tokseq *s);
void lm_tokseq_free(lm_tokseq *s);
void lm_tokseq_reset(lm_tokseq *s);
lm_status lm_tokseq_push(lm_tokseq *s, int32_t id, uint32_t start, uint32_t end, lm_error *err);
/* Room for n code points / n bytes in the scratch arrays. */
lm_status lm_tokseq_reserve_cp(lm_tokseq *s, size_t n, lm_error *err);
lm_status lm_tokseq_reserve_buf(lm_tokseq *s, size_t n, lm_error *err);
lm_status lm_tokseq_reserve_work(lm_tokseq *s, size_t bytes, lm_error *err);

#endif
