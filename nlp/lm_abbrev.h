/*
 * lm_abbrev: abbreviation definitions in running text, after Schwartz &
 * Hearst (2003), "A simple algorithm for identifying abbreviation
 * definitions in biomedical text".
 *
 * Finds `long form (SF)` and `SF (long form)` pairs inside each sentence
 * and reports them as byte spans; lm_abbrev_find_uses() then lists the
 * later whole-token occurrences of every short form, so that a caller that
 * typed the long form (a disease, a chemical) can give the same type to
 * each use of the abbreviation.
 */
#ifndef LM_ABBREV_H
#define LM_ABBREV_H

#include "../util/lm_error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lm_abbrev {
    uint32_t short_start, short_end;   /* byte span of the short form */
    uint32_t long_start, long_end;     /* byte span of the long form */
} lm_abbrev;

typedef struct lm_abbrevs {
    lm_abbrev *v;
    size_t n;
    size_t cap;
} lm_abbrevs;

void lm_abbrevs_init(lm_abbrevs *a);
void lm_abbrevs_free(lm_abbrevs *a);

/* Replaces out's contents with the definitions found in text[0..len), in
 * text order. */
lm_status lm_abbrev_detect(const char *text, size_t len, lm_abbrevs *out, lm_error *err);

/* Adds a definition found by another rule (the tagger's "ammonium acetate
 * (NH4Ac)", whose letters the detector cannot match) to a detector's list,
 * keeping text order; a short form already defined at that span is left as
 * it is.  So every consumer reads one list of the document's definitions. */
lm_status lm_abbrev_add(lm_abbrevs *a, uint32_t short_start, uint32_t short_end,
                        uint32_t long_start, uint32_t long_end, lm_error *err);

/* Whether the n bytes at w, alone in brackets after a chemical mention,
 * may be its short form even where lm_abbrev_detect matches no letters
 * ("ammonium acetate (NH4Ac)", "isoproterenol (ISPH)"): 2-10 bytes with a
 * capital letter, not a sequence variant ("Trp (R1306W)"); one letter is
 * too little ("doxorubicin (A)" of a regimen).  The tagger's rule
 * (lm_ner_post.c) and lm_abbrev_add_bracketed's. */
int lm_abbrev_bracketed_word(const char *w, size_t n);

/* The tagger's rule for a bracketed word after a chemical, for callers
 * that have mentions without the tagger (gold spans): when the chemical
 * mention text[long_start..long_end) is followed by " (", one token
 * (lm_token_split) that lm_abbrev_bracketed_word accepts, and ")", that
 * token is its short form ("isoproterenol (ISPH)", "hydrochlorothiazide
 * (HCTC)", whose letters the detector cannot match) and joins a, as
 * lm_abbrev_add adds it.  Unlike the tagger, the word may be a mention
 * itself: gold spans tag every short form, and the tagger's check that
 * the word is untagged is about its own mentions. */
lm_status lm_abbrev_add_bracketed(const char *text, size_t len, uint32_t long_start,
                                  uint32_t long_end, lm_abbrevs *a, lm_error *err);
/* Replaces dst's contents with a copy of src's. */
lm_status lm_abbrevs_copy(lm_abbrevs *dst, const lm_abbrevs *src, lm_error *err);

typedef struct lm_abbrev_use {
    uint32_t start, end;   /* byte span of the occurrence */
    uint32_t pair;         /* index into the lm_abbrevs it was found for */
} lm_abbrev_use;

typedef struct lm_abbrev_uses {
    lm_abbrev_use *v;
    size_t n;
    size_t cap;
} lm_abbrev_uses;

void lm_abbrev_uses_init(lm_abbrev_uses *u);
void lm_abbrev_uses_free(lm_abbrev_uses *u);

/* Replaces out's contents with every occurrence of each pair's short form
 * after its definition (and before a redefinition of the same short form)
 * that starts and ends on lm_token boundaries: "HSP" matches in "HSP-70
 * and HSP." but not in "HSPs" or "HSP70".  Matching is case-sensitive.
 * Results are sorted by start offset. */
lm_status lm_abbrev_find_uses(const char *text, size_t len, const lm_abbrevs *pairs,
                              lm_abbrev_uses *out, lm_error *err);

/* Could text[short_start..short_end) abbreviate text[long_start..long_end)
 * by the backwards match of the detector, the long form taken whole (its
 * first word holds the short form's first character) and within the
 * detector's word limit?  For a short form an abstract uses without
 * defining it ("ALF" after "acute liver failure (ATT-ALF)"). */
int lm_abbrev_initials_match(const char *text, size_t short_start, size_t short_end,
                             size_t long_start, size_t long_end);

#endif
