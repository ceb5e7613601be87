/*
 * lm_wordpiece: BERT's tokenizer — the BasicTokenizer rules, then greedy
 * longest-match-first WordPiece — with the byte span of every token.
 *
 * It reproduces the Hugging Face fast tokenizer (BertNormalizer,
 * BertPreTokenizer, WordPiece: what AutoTokenizer loads and what the
 * token-classification pipeline needs for offsets), in this order:
 *   1. clean: drop U+0000, U+FFFD and control characters (categories C*,
 *      except tab, newline and carriage return); every White_Space
 *      character becomes a space;
 *   2. CJK ideographs (the CJK Unified Ideographs blocks and their
 *      extensions and compatibility blocks) become words of their own;
 *   3. strip accents (when configured): canonical decomposition (NFD),
 *      then non-spacing marks (Mn) are dropped;
 *   4. lower-case (when configured), character by character with the
 *      full Unicode mapping (no final-sigma context, as the reference);
 *   5. split on whitespace, and make every punctuation character (ASCII
 *      punctuation or a Unicode P* category) a word of its own;
 *   6. each word: more than max_chars_per_word characters gives [UNK];
 *      else the longest vocabulary entry from the start, then the longest
 *      "##"-prefixed entry from there, and so on; if some position has no
 *      match the whole word becomes [UNK].
 * Invalid UTF-8 bytes count as U+FFFD (so step 1 drops them).  Special
 * token strings in the text ("[SEP]") are ordinary text here: the
 * reference would match them as special tokens, but letting document
 * text inject control tokens is not something litmine wants.
 * Not supported: added tokens (added_tokens.json), never_split lists.
 */
#ifndef LM_WORDPIECE_H
#define LM_WORDPIECE_H

#include "lm_tokseq.h"
#include "lm_vocab.h"

typedef struct lm_wordpiece_config {
    int lowercase;              /* tokenizer_config do_lower_case */
    int strip_accents;          /* strip_accents, or when null: lowercase */
    int chinese_chars;          /* tokenize_chinese_chars */
    int clean_text;             /* BertNormalizer clean_text (always on for BERT) */
    size_t max_chars_per_word;  /* 100 */
    int32_t unk_id;             /* id of [UNK] */
} lm_wordpiece_config;

/* Tokenises text[0..len) into out (reset first); no special tokens. */
lm_status lm_wordpiece_encode(const lm_vocab *vocab, const lm_wordpiece_config *cfg,
                              const char *text, size_t len, lm_tokseq *out, lm_error *err);

#endif
