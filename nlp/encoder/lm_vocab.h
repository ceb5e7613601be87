/*
 * lm_vocab: a tokenizer vocabulary — token strings and their ids — with
 * O(1) lookup of a byte string.
 *
 * Loaded from BERT's vocab.txt (one token per line, the id is the line
 * number) or from a byte-level BPE vocab.json ({"token": id, ...}).
 * Tokens are arbitrary bytes (vocab.txt lines are not validated as UTF-8,
 * as the reference does not); ids must be below 2^24 and, for vocab.json,
 * unique.  Lookups hash with XXH3 into an open-addressing table kept at
 * most half full.
 */
#ifndef LM_VOCAB_H
#define LM_VOCAB_H

#include "../../util/lm_error.h"

#include <stddef.h>
#include <stdint.h>

#define LM_VOCAB_MAX_IDS (1 << 24)

typedef struct lm_vocab lm_vocab;

lm_status lm_vocab_load_txt(lm_vocab **out, const char *path, lm_error *err);
lm_status lm_vocab_load_json(lm_vocab **out, const char *path, lm_error *err);
void lm_vocab_free(lm_vocab *v);

/* Id of the token s[0..n), or -1. */
int32_t lm_vocab_find(const lm_vocab *v, const char *s, size_t n);
/* Id of the WordPiece continuation token "##" + s[0..n), or -1. */
int32_t lm_vocab_find_cont(const lm_vocab *v, const char *s, size_t n);
/* The token with this id (NUL-terminated), or NULL for an unused id. */
const char *lm_vocab_token(const lm_vocab *v, int32_t id);
/* One past the largest id. */
size_t lm_vocab_size(const lm_vocab *v);
/* Length in bytes of the longest token. */
size_t lm_vocab_max_len(const lm_vocab *v);

#endif
