/*
 * lm_words: the word tokenizer shared by the lexical index (store side,
 * at index time), the embedding model and query analysis (nlp side), with
 * stopwords, two stemmers, Greek letters and a hash.  It lives in util/
 * because both sides must cut and fold words identically, and store/ may
 * not include nlp/.
 *
 * Words: maximal runs of letters and digits; ASCII is lowercased, accented
 * Latin letters are folded, Greek letters are spelled out ("α" -> "alpha",
 * so "TNF-α" gives "tnf", "alpha"), other non-ASCII letters are kept as
 * UTF-8.  Every word keeps its byte span in the input, so matches can be
 * highlighted.
 *
 * The splitter is deliberately simpler than nlp/lm_token: search and the
 * embedding model want comparable units on both sides (query and
 * document), not linguistically exact tokens, and they run over every
 * abstract at several thousand documents per second per core.  It mirrors
 * what SQLite's unicode61 tokenizer does (runs of letters and digits), so
 * a word of ours is a token to FTS5, except that Greek letters are spelled
 * out, which the biomedical literature does interchangeably.
 */
#ifndef LM_WORDS_H
#define LM_WORDS_H

#include "lm_error.h"

#include <stddef.h>
#include <stdint.h>

/* Longest word kept (bytes of its normal form); longer runs are cut. */
#define LM_WORD_MAX 48

typedef struct lm_word {
    uint32_t start, end;                 /* byte span in the input */
    char norm[LM_WORD_MAX + 1];          /* lowercased, Greek spelled out */
    uint8_t len;                         /* strlen(norm) */
    uint8_t has_digit;
    uint8_t has_alpha;
} lm_word;

typedef struct lm_words {
    lm_word *v;
    size_t n, cap;
} lm_words;

void lm_words_init(lm_words *w);
void lm_words_free(lm_words *w);
/* Replaces w's contents with the words of text[0..len). */
lm_status lm_words_split(const char *text, size_t len, lm_words *w, lm_error *err);

/* 1 for an English function word (and very common abstract boilerplate)
 * that carries no topic. */
int lm_words_is_stopword(const char *norm, size_t len);

/* Light English stemmer (plural, -ing, -ed, -ly, -ies, -ation, ...) on a
 * normal form; writes at most cap-1 bytes plus NUL, returns the length.
 * Conservative: words with digits and words of 3 letters or fewer are kept. */
size_t lm_words_stem(const char *norm, size_t len, char *out, size_t cap);

/* Porter's stemmer (1980, with its -bli/-logi amendments) on a normal
 * form, the stemmer of the lexical index: stronger conflation than
 * lm_words_stem (activation, active, activity -> activ).  Words with
 * digits or non-ASCII letters and words of 2 letters or fewer are kept.
 * Never changes the first byte.  Same output conventions as above. */
size_t lm_words_porter(const char *norm, size_t len, char *out, size_t cap);

/* The Greek letter a spelled-out name stands for ("alpha" -> "α"), as
 * UTF-8 in out[3]; 0 when norm is no such name. */
int lm_words_greek_symbol(const char *norm, size_t len, char out[3]);

/* 64-bit FNV-1a of bytes, finished with a multiply-xorshift (feature
 * hashing, vocabulary keys, index terms). */
uint64_t lm_words_hash(const char *s, size_t len, uint64_t seed);

#endif
