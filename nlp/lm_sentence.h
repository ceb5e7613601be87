/*
 * lm_sentence: rule-based sentence splitter for biomedical abstracts.
 *
 * Sentences are byte spans [start, end) into the caller's UTF-8 text,
 * trimmed of surrounding whitespace; together they cover every
 * non-whitespace byte exactly once.  A sentence ends at '.', '!' or '?'
 * (plus any closing brackets and quotes) followed by whitespace and a
 * plausible sentence start, at a newline, or before a structured-abstract
 * label such as "METHODS:".  It does not end inside bracketed text, after
 * common abbreviations (et al., e.g., Fig., vs., ...), after initials, or
 * before a lowercase word (E. coli, p = .03 and decimals never qualify).
 */
#ifndef LM_SENTENCE_H
#define LM_SENTENCE_H

#include "../util/lm_error.h"
#include "lm_token.h"

#include <stddef.h>

/* Replaces out's contents with the sentences of text[0..len). */
lm_status lm_sentence_split(const char *text, size_t len, lm_spans *out, lm_error *err);

#endif
