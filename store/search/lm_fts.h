/*
 * lm_fts: safe FTS5-style expressions from user text (the `fts_query` that
 * `litmine query --json` shows; the full-text index itself is lm_lexindex).
 *
 * The builders never copy user syntax into the expression: each word
 * becomes a double-quoted string (a quote inside is doubled), alternatives
 * are joined with OR, and nothing else of the input survives — quotes,
 * '-', ':', '*', '^', parentheses and the keywords AND/OR/NOT/NEAR are
 * plain text to them, so no input can cause a syntax error or change the
 * query's meaning.  Words are those of util/lm_words.
 */
#ifndef LM_FTS_H
#define LM_FTS_H

#include "../../util/lm_buf.h"
#include "../../util/lm_error.h"
#include "../../util/lm_qterms.h"

#include <stddef.h>

/* Appends one FTS5 string literal for s[0..len): "..." with quotes doubled
 * (and control bytes replaced by spaces). */
lm_status lm_fts_quote(lm_buf *out, const char *s, size_t len);

/* Writes the FTS5 expression matching any term: "a" OR "b c" OR ...; the
 * terms appear in order, so FTS5 phrase i is term i.  Empty when q->n == 0. */
lm_status lm_fts_expr(const lm_qterms *q, lm_buf *out, lm_error *err);

#endif
