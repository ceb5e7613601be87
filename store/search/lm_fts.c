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

lm_status lm_fts_all_words(const char *text, lm_buf *out, lm_error *err)
{
    lm_words words;
    lm_words_init(&words);
    lm_status st = lm_words_split(text, strlen(text), &words, err);
    for (size_t i = 0; st == LM_OK && i < words.n; i++) {
        const lm_word *w = &words.v[i];
        const char *surface = text + w->start;
        size_t slen = w->end - w->start;
        char symbol[3];
        /* What FTS5's tokenizer makes of the text as typed (α stays α)
         * and our normal form (alpha): the index holds whichever the
         * article wrote. */
        int typed = slen != w->len || memcmp(surface, w->norm, slen) != 0;
        int named = lm_words_greek_symbol(w->norm, w->len, symbol) &&
                    !(slen == 2 && memcmp(surface, symbol, 2) == 0);
        if (out->len)
            st = lm_buf_append_str(out, " AND ");
        if (st == LM_OK && (typed || named))
            st = lm_buf_append_char(out, '(');
        if (st == LM_OK)
            st = lm_fts_quote(out, w->norm, w->len);
        if (st == LM_OK && typed) {
            st = lm_buf_append_str(out, " OR ");
            if (st == LM_OK)
                st = lm_fts_quote(out, surface, slen);
        }
        if (st == LM_OK && named) {
            st = lm_buf_append_str(out, " OR ");
            if (st == LM_OK)
                st = lm_fts_quote(out, symbol, 2);
        }
        if (st == LM_OK && (typed || named))
            st = lm_buf_append_char(out, ')');
        if (st != LM_OK)
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    lm_words_free(&words);
    if (st == LM_OK && out->len == 0)
        st = lm_error_set(err, LM_ERR_USAGE, "no words in \"%s\"", text);
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
