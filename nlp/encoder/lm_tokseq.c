/*
 * Token sequence storage (see lm_tokseq.h).  Arrays grow geometrically;
 * a failed allocation leaves the sequence as it was.
 */
#include "lm_tokseq.h"

#include <stdlib.h>
#include <string.h>

void lm_tokseq_init(lm_tokseq *s)
{
    memset(s, 0, sizeof *s);
}

void lm_tokseq_free(lm_tokseq *s)
{
    free(s->ids);
    free(s->start);
    free(s->end);
    free(s->cp);
    free(s->cp_start);
    free(s->cp_end);
    free(s->buf);
    free(s->buf_cp);
    free(s->work);
    lm_tokseq_init(s);
}

void lm_tokseq_reset(lm_tokseq *s)
{
    s->n = 0;
}

static size_t grown(size_t cap, size_t need)
{
    size_t c = cap ? cap : 64;
    while (c < need)
        c = c > SIZE_MAX / 2 ? need : c * 2;
    return c;
}

/* Reallocates *p to n elements of size sz; on failure *p is unchanged. */
static int resize(void **p, size_t n, size_t sz)
{
    if (n > SIZE_MAX / sz)
        return 0;
    void *q = realloc(*p, n * sz);
    if (!q)
        return 0;
    *p = q;
    return 1;
}

lm_status lm_tokseq_push(lm_tokseq *s, int32_t id, uint32_t start, uint32_t end, lm_error *err)
{
    if (s->n == s->cap) {
        size_t cap = grown(s->cap, s->n + 1);
        if (!resize((void **)&s->ids, cap, sizeof *s->ids) ||
            !resize((void **)&s->start, cap, sizeof *s->start) ||
            !resize((void **)&s->end, cap, sizeof *s->end))
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory tokenising");
        s->cap = cap;
    }
    s->ids[s->n] = id;
    s->start[s->n] = start;
    s->end[s->n] = end;
    s->n++;
    return LM_OK;
}

lm_status lm_tokseq_reserve_cp(lm_tokseq *s, size_t n, lm_error *err)
{
    if (n <= s->cp_cap)
        return LM_OK;
    size_t cap = grown(s->cp_cap, n);
    if (!resize((void **)&s->cp, cap, sizeof *s->cp) ||
        !resize((void **)&s->cp_start, cap, sizeof *s->cp_start) ||
        !resize((void **)&s->cp_end, cap, sizeof *s->cp_end))
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory tokenising");
    s->cp_cap = cap;
    return LM_OK;
}

lm_status lm_tokseq_reserve_buf(lm_tokseq *s, size_t n, lm_error *err)
{
    if (n <= s->buf_cap)
        return LM_OK;
    size_t cap = grown(s->buf_cap, n);
    if (!resize((void **)&s->buf, cap, 1) || !resize((void **)&s->buf_cp, cap, sizeof *s->buf_cp))
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory tokenising");
    s->buf_cap = cap;
    return LM_OK;
}

lm_status lm_tokseq_reserve_work(lm_tokseq *s, size_t bytes, lm_error *err)
{
    if (bytes <= s->work_cap)
        return LM_OK;
    size_t cap = grown(s->work_cap, bytes);
    if (!resize(&s->work, cap, 1))
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory tokenising");
    s->work_cap = cap;
    return LM_OK;
}
