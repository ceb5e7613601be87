/*
 * lm_token: the biomedical tokenizer shared by training and inference.
 *
 * Tokens are byte ranges [start, end) into the caller's UTF-8 text, so that
 * every mention found on tokens maps back to exact offsets.  The tokenizer
 * never copies or normalises text; conversion to code-point offsets (the
 * PubTator convention) happens at the edges, with lm_utf8 helpers.
 */
#ifndef LM_TOKEN_H
#define LM_TOKEN_H

#include "../util/lm_error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lm_span {
    uint32_t start;   /* byte offset, inclusive */
    uint32_t end;     /* byte offset, exclusive */
} lm_span;

typedef struct lm_spans {
    lm_span *v;
    size_t n;
    size_t cap;
} lm_spans;

void lm_spans_init(lm_spans *s);
void lm_spans_free(lm_spans *s);
lm_status lm_spans_push(lm_spans *s, uint32_t start, uint32_t end);

/* Replaces out's contents with the tokens of text[0..len). */
lm_status lm_token_split(const char *text, size_t len, lm_spans *out, lm_error *err);

#endif
