/*
 * Safe FTS5 expressions (see lm_fts.h).
 */
#include "lm_fts.h"

#include "../../util/lm_words.h"

#include <string.h>

lm_status lm_fts_quote(lm_buf *out, const char *s, size_t len)
{
    lm_status st = lm_buf_append_char(out, '"');
    for (size_t i = 0; st == LM_OK && i < len; i++) {
        char c = s[i];
        if (c == '"')
            st = lm_buf_append(out, "\"\"", 2);
        else
            st = lm_buf_append_char(out, (unsigned char)c < 0x20 ? ' ' : c);
    }
    if (st == LM_OK)
        st = lm_buf_append_char(out, '"');
    return st;
}

lm_status lm_fts_expr(const lm_qterms *q, lm_buf *out, lm_error *err)
{
    lm_buf_reset(out);
    lm_status st = LM_OK;
    for (size_t i = 0; st == LM_OK && i < q->n; i++) {
        if (i)
            st = lm_buf_append_str(out, " OR ");
        if (st == LM_OK)
            st = lm_fts_quote(out, q->v[i].text, strlen(q->v[i].text));
    }
    if (st != LM_OK)
        return lm_error_set(err, st, "building the search expression: out of memory");
    return LM_OK;
}
