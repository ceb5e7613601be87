/*
 * lm_buf: a growable byte buffer, always NUL-terminated.
 *
 * Used wherever text is accumulated piecewise (XML character data, CSV
 * fields, SQL-free string building).  Growth is geometric; a failed
 * allocation leaves the buffer unchanged and returns LM_ERR_NOMEM.
 */
#ifndef LM_BUF_H
#define LM_BUF_H

#include "lm_error.h"

#include <stddef.h>

typedef struct lm_buf {
    char *data;   /* NULL until the first append; lm_buf_cstr() never is */
    size_t len;
    size_t cap;
} lm_buf;

void lm_buf_init(lm_buf *b);
void lm_buf_free(lm_buf *b);
void lm_buf_reset(lm_buf *b);   /* len = 0, keeps capacity */
lm_status lm_buf_reserve(lm_buf *b, size_t extra);
lm_status lm_buf_append(lm_buf *b, const char *s, size_t n);
lm_status lm_buf_append_str(lm_buf *b, const char *s);
lm_status lm_buf_append_char(lm_buf *b, char c);
lm_status lm_buf_printf(lm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *lm_buf_cstr(const lm_buf *b);
/* Hands the heap string to the caller (who frees it) and resets b. */
char *lm_buf_take(lm_buf *b);

#endif
