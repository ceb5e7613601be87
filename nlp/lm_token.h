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

#include "../util/lm_doc.h"
#include "../util/lm_error.h"

#include <stddef.h>
#include <stdint.h>

/* Tokens are lm_spans (util/lm_doc.h). */

/* Replaces out's contents with the tokens of text[0..len). */
lm_status lm_token_split(const char *text, size_t len, lm_spans *out, lm_error *err);

#endif
