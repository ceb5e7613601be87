/*
 * lm_bpe: RoBERTa's (GPT-2's) byte-level BPE tokenizer with byte spans.
 *
 * What RoBERTa hub models ship: vocab.json (token -> id) and merges.txt
 * (one "left right" pair per line, by priority; an optional "#version"
 * first line).  It reproduces the Hugging Face fast tokenizer
 * (ByteLevel pre-tokenizer with its GPT-2 regex, BPE, RoBERTa offsets):
 *   1. when add_prefix_space is set, a space is put before the text
 *      (unless it starts with one);
 *   2. the text is cut by the GPT-2 pattern
 *        's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *      (\s being the White_Space property), implemented by hand;
 *   3. each piece's UTF-8 bytes become byte-level symbols (the 256-symbol
 *      alphabet of GPT-2's bytes_to_unicode) and the lowest-ranked
 *      adjacent pair is merged until none is in merges.txt (ties: leftmost
 *      first), as the reference's priority queue does;
 *   4. offsets: with trim_offsets, leading and trailing spaces are cut
 *      from each token's span (but not the one space add_prefix_space put
 *      before the first token); a span that ends inside a multi-byte
 *      character is rounded down to that character's start, as the
 *      reference's byte-to-character conversion does.
 * No normaliser (RoBERTa has none), no lower-casing.  Special-token
 * strings in the text are ordinary text, as for WordPiece.
 */
#ifndef LM_BPE_H
#define LM_BPE_H

#include "lm_tokseq.h"
#include "lm_vocab.h"

typedef struct lm_bpe lm_bpe;

typedef struct lm_bpe_config {
    int add_prefix_space;
    int trim_offsets;
} lm_bpe_config;

/* Reads merges.txt against vocab (which must outlive the result and hold
 * all 256 byte symbols and every merge result). */
lm_status lm_bpe_load(lm_bpe **out, const lm_vocab *vocab, const char *merges_path,
                      lm_error *err);
void lm_bpe_free(lm_bpe *b);
size_t lm_bpe_merges(const lm_bpe *b);

/* Tokenises text[0..len) into out (reset first); no special tokens. */
lm_status lm_bpe_encode(const lm_bpe *b, const lm_bpe_config *cfg, const char *text, size_t len,
                        lm_tokseq *out, lm_error *err);

#endif
