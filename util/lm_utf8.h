/*
 * lm_utf8: strict UTF-8 decoding and byte <-> code-point offset conversion.
 *
 * litmine keeps text as UTF-8 bytes and works on byte offsets internally,
 * while the PubTator corpora count code points.  These helpers sit at that
 * edge.  Decoding is strict (RFC 3629): overlong forms, UTF-16 surrogates and
 * values above U+10FFFF are invalid.  Where invalid bytes must still be
 * counted (offset conversion on unsanitised text) each invalid byte counts
 * as one code point, exactly as lm_utf8_sanitize() would replace it with one
 * U+FFFD, so offsets agree before and after sanitising.
 */
#ifndef LM_UTF8_H
#define LM_UTF8_H

#include "lm_buf.h"
#include "lm_error.h"

#include <stddef.h>
#include <stdint.h>

#define LM_UTF8_REPLACEMENT 0xFFFDu

/* Decodes the code point at s[0..len).  Returns its length in bytes (1-4)
 * and stores it in *cp, or returns 0 when the sequence is invalid or
 * truncated (then *cp is LM_UTF8_REPLACEMENT and the caller should skip one
 * byte).  len == 0 also returns 0. */
size_t lm_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Encodes cp into out (up to 4 bytes); returns the byte count, or 0 when cp
 * is a surrogate or above U+10FFFF. */
size_t lm_utf8_encode(uint32_t cp, char out[4]);

/* Byte offset of the first invalid sequence in s[0..len), or len when the
 * whole text is valid UTF-8. */
size_t lm_utf8_find_invalid(const char *s, size_t len);

/* 1 when s[0..len) is entirely valid UTF-8, else 0. */
int lm_utf8_valid(const char *s, size_t len);

/* Appends s[0..len) to out with every invalid byte replaced by U+FFFD.
 * *n_replaced (may be NULL) receives the number of replacements. */
lm_status lm_utf8_sanitize(const char *s, size_t len, lm_buf *out,
                           size_t *n_replaced, lm_error *err);

/* Number of code points in s[0..len). */
size_t lm_utf8_count(const char *s, size_t len);

/* Single conversions, O(offset).  lm_utf8_byte_to_cp counts the code points
 * that start before byte offset `byte` (clamped to len).  lm_utf8_cp_to_byte
 * returns the byte offset where code point number `cp` starts (len for the
 * position just past the end), or SIZE_MAX when cp is beyond it. */
size_t lm_utf8_byte_to_cp(const char *s, size_t len, size_t byte);
size_t lm_utf8_cp_to_byte(const char *s, size_t len, size_t cp);

/* A precomputed two-way offset map for converting many offsets in one text.
 * Pure-ASCII text (the common case) needs no tables: offsets are equal. */
typedef struct lm_utf8_map {
    size_t n_bytes;
    size_t n_cps;
    uint32_t *cp_of_byte;   /* n_bytes + 1 entries; NULL when ASCII */
    uint32_t *byte_of_cp;   /* n_cps + 1 entries; NULL when ASCII */
} lm_utf8_map;

void lm_utf8_map_init(lm_utf8_map *m);
void lm_utf8_map_free(lm_utf8_map *m);
/* Builds the map for s[0..len); len must be below 4 GiB. */
lm_status lm_utf8_map_build(lm_utf8_map *m, const char *s, size_t len, lm_error *err);
/* Byte offset -> code-point offset.  A byte inside a multi-byte character
 * maps to that character's index; offsets past the end clamp to n_cps. */
size_t lm_utf8_map_to_cp(const lm_utf8_map *m, size_t byte);
/* Code-point offset -> byte offset, or SIZE_MAX when cp > n_cps. */
size_t lm_utf8_map_to_byte(const lm_utf8_map *m, size_t cp);

#endif
