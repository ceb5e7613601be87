/*
 * lm_buf: a growable byte buffer, always NUL-terminated, and the two other
 * memory helpers every module needs: growing a typed array and copying a
 * string.
 *
 * A buffer is used wherever text is accumulated piecewise (XML character
 * data, CSV fields, SQL-free string building).  Growth is geometric; a
 * failed allocation leaves the buffer (or array) unchanged and returns
 * LM_ERR_NOMEM.
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

/* Makes room for need elements of elem bytes in the array *v, whose
 * capacity is *cap elements: the capacity doubles (from at least 8) until
 * it holds need.  LM_ERR_NOMEM leaves *v and *cap as they were.  Typical
 * use, before appending element n:
 *     if (lm_vec_grow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v) != LM_OK) */
lm_status lm_vec_grow(void **v, size_t *cap, size_t need, size_t elem);

/* A NUL-terminated copy of the n bytes at s; NULL when memory runs out. */
char *lm_strndup(const char *s, size_t n);
/* A copy of s, or NULL when s is NULL; when memory runs out, NULL and
 * *failed set to 1 (failed may be NULL). */
char *lm_strdup_opt(const char *s, int *failed);

#endif
