/*
 * lm_qterms: a query as search receives it — the terms to look for, the
 * concepts recognised in it and its embedding — produced by the query
 * analyzer (nlp/lm_query.h) and consumed by the search subsystem
 * (store/search/lm_search.h).  It lives in util/ because both sides need
 * it and store/ may not include nlp/.
 *
 * A term is one word, two adjacent words as a phrase, or an expansion
 * (a concept's name, a feedback word), each with the weight its BM25
 * contribution is multiplied by, so that what the user did not type adds
 * evidence without drowning what they did.
 */
#ifndef LM_QTERMS_H
#define LM_QTERMS_H

#include "lm_error.h"
#include "lm_words.h"

#include <stddef.h>
#include <stdint.h>

typedef enum lm_qterm_kind {
    LM_QTERM_WORD = 0,     /* one word */
    LM_QTERM_PHRASE,       /* two adjacent query words as a phrase */
    LM_QTERM_SYNONYM       /* an expansion: synonym, abbreviation, feedback */
} lm_qterm_kind;

typedef struct lm_qterm {
    char *text;            /* what goes between the quotes: one or more words */
    lm_qterm_kind kind;
    float weight;          /* multiplies the term's BM25 contribution */
    int group;             /* terms of one group are alternatives (OR) */
} lm_qterm;

typedef struct lm_qterms {
    lm_qterm *v;
    size_t n, cap;
    lm_words words;        /* the query's words (for highlighting) */
} lm_qterms;

void lm_qterms_init(lm_qterms *q);
void lm_qterms_free(lm_qterms *q);
/* Adds a term (text copied); duplicates of an existing text are merged,
 * keeping the larger weight.  Returns the term's index through idx (may
 * be NULL). */
lm_status lm_qterms_add(lm_qterms *q, const char *text, size_t len, lm_qterm_kind kind,
                        float weight, int group, size_t *idx, lm_error *err);
/* Replaces dst's contents with a copy of src. */
lm_status lm_qterms_copy(lm_qterms *dst, const lm_qterms *src, lm_error *err);

typedef struct lm_qterms_options {
    int keep_stopwords;    /* default 0: stopwords are dropped (unless the
                              query has nothing else) */
    int phrases;           /* add adjacent word pairs as phrases */
    float phrase_weight;   /* their weight (default 0.3 when 0) */
} lm_qterms_options;

/* Parses user text into terms: non-stopword words (weight 1), optionally
 * the phrases of adjacent ones.  An empty result (only punctuation) is not
 * an error: q->n == 0. */
lm_status lm_qterms_parse(const char *text, const lm_qterms_options *opts, lm_qterms *q,
                          lm_error *err);

/* ---- the analysed query ------------------------------------------------ */

/* A concept recognised in the query. */
typedef struct lm_qconcept {
    char *id;                 /* "MESH:D001943" */
    char *name;               /* display name from the lexicon */
    int type;                 /* lm_ent_type */
    uint32_t start, end;      /* byte span in the query text */
} lm_qconcept;

typedef struct lm_qconcepts {
    lm_qconcept *v;
    size_t n, cap;
} lm_qconcepts;

void lm_qconcepts_init(lm_qconcepts *c);
void lm_qconcepts_free(lm_qconcepts *c);
void lm_qconcepts_clear(lm_qconcepts *c);
/* Adds a concept unless one with the same id is there (strings copied). */
lm_status lm_qconcepts_add(lm_qconcepts *c, const char *id, const char *name, int type,
                           uint32_t start, uint32_t end, lm_error *err);
/* Removes concept i, keeping the order of the others. */
void lm_qconcepts_remove(lm_qconcepts *c, size_t i);
lm_status lm_qconcepts_copy(lm_qconcepts *dst, const lm_qconcepts *src, lm_error *err);

typedef struct lm_query_analysis {
    lm_qterms terms;          /* words (and phrases), concept names as synonyms */
    lm_qconcepts concepts;
    float *vector;            /* the query's embedding, NULL when there is no model */
    int dim;
    double embed_ms;          /* time spent embedding the query */
} lm_query_analysis;

void lm_query_analysis_init(lm_query_analysis *q);
void lm_query_analysis_free(lm_query_analysis *q);

#endif
