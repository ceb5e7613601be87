/*
 * Growable buffer, growable arrays, string copies.  A buffer's capacity
 * always includes room for the terminating NUL so that lm_buf_cstr() is
 * O(1) and data can be handed to C APIs as is.
 */
#include "lm_buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lm_buf_init(lm_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void lm_buf_free(lm_buf *b)
{
    free(b->data);
    lm_buf_init(b);
}

void lm_buf_reset(lm_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

lm_status lm_buf_reserve(lm_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return LM_ERR_NOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return LM_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return LM_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return LM_OK;
}

lm_status lm_buf_append(lm_buf *b, const char *s, size_t n)
{
    if (lm_buf_reserve(b, n) != LM_OK)
        return LM_ERR_NOMEM;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return LM_OK;
}

lm_status lm_buf_append_str(lm_buf *b, const char *s)
{
    return lm_buf_append(b, s, strlen(s));
}

lm_status lm_buf_append_char(lm_buf *b, char c)
{
    return lm_buf_append(b, &c, 1);
}

lm_status lm_buf_printf(lm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return LM_ERR_USAGE;
    if (lm_buf_reserve(b, (size_t)n) != LM_OK)
        return LM_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return LM_OK;
}

const char *lm_buf_cstr(const lm_buf *b)
{
    return b->data ? b->data : "";
}

char *lm_buf_take(lm_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    lm_buf_init(b);
    return p;
}

lm_status lm_vec_grow(void **v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return LM_OK;
    size_t c = *cap ? *cap : 8;
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return LM_ERR_NOMEM;
        c *= 2;
    }
    if (elem && c > SIZE_MAX / elem)
        return LM_ERR_NOMEM;
    void *p = realloc(*v, c * elem);
    if (!p)
        return LM_ERR_NOMEM;
    *v = p;
    *cap = c;
    return LM_OK;
}

char *lm_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *lm_strdup_opt(const char *s, int *failed)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d && failed)
        *failed = 1;
    return d;
}
