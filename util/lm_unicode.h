/*
 * lm_unicode: the Unicode character properties tokenizers need.
 *
 * Transformer tokenizers decide by general category what is punctuation,
 * a letter, a digit, a control character or a non-spacing mark, lower-case
 * with the full Unicode mapping, and strip accents through canonical
 * decomposition (NFD).  To tokenise exactly as the reference (Hugging Face
 * tokenizers, checked through scripts/encoder_reference.py) litmine uses
 * tables generated from Python's unicodedata (util/lm_unicode_data.c, by
 * scripts/gen-unicode-tables.py; lm_uc_data_version names the Unicode
 * version).  Lookups are binary searches over compact range tables with a
 * direct table for Latin-1; no state, thread-safe.
 */
#ifndef LM_UNICODE_H
#define LM_UNICODE_H

#include <stddef.h>
#include <stdint.h>

/* General categories, grouped so that each major class is a range. */
typedef enum lm_uc_cat {
    LM_UC_LU, LM_UC_LL, LM_UC_LT, LM_UC_LM, LM_UC_LO,          /* letters */
    LM_UC_MN, LM_UC_MC, LM_UC_ME,                              /* marks */
    LM_UC_ND, LM_UC_NL, LM_UC_NO,                              /* numbers */
    LM_UC_PC, LM_UC_PD, LM_UC_PS, LM_UC_PE, LM_UC_PI, LM_UC_PF, LM_UC_PO, /* punctuation */
    LM_UC_SM, LM_UC_SC, LM_UC_SK, LM_UC_SO,                    /* symbols */
    LM_UC_ZS, LM_UC_ZL, LM_UC_ZP,                              /* separators */
    LM_UC_CC, LM_UC_CF, LM_UC_CS, LM_UC_CO, LM_UC_CN           /* other */
} lm_uc_cat;

#define LM_UC_IS_LETTER(c) ((c) <= LM_UC_LO)
#define LM_UC_IS_MARK(c) ((c) >= LM_UC_MN && (c) <= LM_UC_ME)
#define LM_UC_IS_NUMBER(c) ((c) >= LM_UC_ND && (c) <= LM_UC_NO)
#define LM_UC_IS_PUNCT(c) ((c) >= LM_UC_PC && (c) <= LM_UC_PO)
#define LM_UC_IS_OTHER(c) ((c) >= LM_UC_CC)

/* Longest full canonical decomposition of one code point. */
#define LM_UC_DECOMP_MAX 8

extern const char lm_uc_data_version[];

/* Category of cp; LM_UC_CN for unassigned and out-of-range values. */
lm_uc_cat lm_uc_category(uint32_t cp);

/* The White_Space property (25 code points in Unicode 14). */
int lm_uc_is_white_space(uint32_t cp);

/* Full lower-case mapping (as Python's str.lower() of one character, which
 * is what Rust's char::to_lowercase gives too): 1 to 3 code points written
 * to out; the count is returned.  Characters without one map to
 * themselves. */
size_t lm_uc_to_lower(uint32_t cp, uint32_t out[3]);

/* Full canonical decomposition of cp (Hangul syllables included): writes 1
 * to LM_UC_DECOMP_MAX code points, cp itself when it has none.  A string's
 * NFD is the concatenation of these followed by lm_uc_canonical_order(). */
size_t lm_uc_decompose(uint32_t cp, uint32_t out[LM_UC_DECOMP_MAX]);

/* Canonical combining class (0 for most characters). */
unsigned lm_uc_ccc(uint32_t cp);

/* Canonical ordering (Unicode 3.11, D109): a stable sort of every run of
 * characters with a non-zero combining class by that class, in place.
 * aux1 and aux2 (each may be NULL) hold per-character data moved along,
 * e.g. offsets. */
void lm_uc_canonical_order(uint32_t *cps, uint32_t *aux1, uint32_t *aux2, size_t n);

#endif
