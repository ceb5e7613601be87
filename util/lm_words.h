/*
 * lm_query: text analysis for search — the word tokenizer shared by the
 * embedding model and query parsing, stopwords, a light stemmer, the safe
 * FTS5 query builder, and the retrieval metrics `litmine eval search`
 * reports.
 *
 * Words: maximal runs of letters and digits; ASCII is lowercased, Greek
 * letters are spelled out ("α" -> "alpha", so "TNF-α" gives "tnf",
 * "alpha"), other non-ASCII letters are kept as UTF-8.  Every word keeps
 * its byte span in the input, so matches can be highlighted.
 *
 * The FTS5 builder never copies user syntax into the expression: each word
 * becomes a double-quoted string (a quote inside is doubled), alternatives
 * are joined with OR, and nothing else of the input survives — quotes,
 * '-', ':', '*', '^', parentheses and the keywords AND/OR/NOT/NEAR are
 * plain text to it, so no input can cause a syntax error or change the
 * query's meaning.
 */
#ifndef LM_QUERY_H
#define LM_QUERY_H

#include "../util/lm_buf.h"
#include "../util/lm_error.h"

#include <stddef.h>
#include <stdint.h>

/* Longest word kept (bytes of its normal form); longer runs are cut. */
#define LM_QUERY_WORD_MAX 48

typedef struct lm_word {
    uint32_t start, end;                 /* byte span in the input */
    char norm[LM_QUERY_WORD_MAX + 1];    /* lowercased, Greek spelled out */
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
int lm_query_is_stopword(const char *norm, size_t len);

/* Light English stemmer (plural, -ing, -ed, -ly, -ies, -ation, ...) on a
 * normal form; writes at most cap-1 bytes plus NUL, returns the length.
 * Conservative: words with digits and words of 3 letters or fewer are kept. */
size_t lm_query_stem(const char *norm, size_t len, char *out, size_t cap);

/* Porter's stemmer (1980, with its -bli/-logi amendments) on a normal
 * form, the stemmer of the lexical index: stronger conflation than
 * lm_query_stem (activation, active, activity -> activ).  Words with
 * digits or non-ASCII letters and words of 2 letters or fewer are kept.
 * Never changes the first byte.  Same output conventions as above. */
size_t lm_query_porter(const char *norm, size_t len, char *out, size_t cap);

/* 64-bit FNV-1a of bytes (feature hashing, vocabulary keys). */
uint64_t lm_query_hash(const char *s, size_t len, uint64_t seed);

/* Appends one FTS5 string literal for s[0..len): "..." with quotes doubled
 * (and control bytes replaced by spaces). */
lm_status lm_query_fts_quote(lm_buf *out, const char *s, size_t len);

/* Writes an FTS5 expression matching the texts that contain every word
 * of text (AND), each word in all the spellings the full-text index may
 * hold for it: the normal form, the word as typed, and for a Greek
 * letter's name its symbol — so "α-synucléine" finds "α-synucléine",
 * "alpha-synucleine" and "α-synucleine" alike.  LM_ERR_USAGE when text
 * has no word. */
lm_status lm_query_fts_all_words(const char *text, lm_buf *out, lm_error *err);

/* ---- the parsed query ------------------------------------------------- */

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

typedef struct lm_query_options {
    int keep_stopwords;    /* default 0: stopwords are dropped (unless the
                              query has nothing else) */
    int phrases;           /* add adjacent word pairs as phrases */
    float phrase_weight;   /* their weight (default 0.3 when 0) */
} lm_query_options;

/* Parses user text into terms: non-stopword words (weight 1), optionally
 * the phrases of adjacent ones.  An empty result (only punctuation) is not
 * an error: q->n == 0. */
lm_status lm_query_parse(const char *text, const lm_query_options *opts, lm_qterms *q,
                         lm_error *err);
/* Writes the FTS5 expression matching any term: "a" OR "b c" OR ...; the
 * terms appear in order, so FTS5 phrase i is term i.  Empty when q->n == 0. */
lm_status lm_query_fts_expr(const lm_qterms *q, lm_buf *out, lm_error *err);

/* ---- retrieval metrics ------------------------------------------------ */

/* Relevance judgements of one query: doc ids and grades (> 0 relevant). */
typedef struct lm_qrel {
    int64_t doc;
    int grade;
} lm_qrel;

/* nDCG@k with linear gain (trec_eval / BEIR): DCG = sum grade_i /
 * log2(i + 1) over ranks i = 1..k, divided by the DCG of the ideal
 * ordering of the judged documents.  0 when nothing is relevant. */
double lm_metric_ndcg(const int64_t *ranked, size_t n_ranked, const lm_qrel *qrels,
                      size_t n_qrels, size_t k);
/* Relevant documents in the top k / all relevant documents. */
double lm_metric_recall(const int64_t *ranked, size_t n_ranked, const lm_qrel *qrels,
                        size_t n_qrels, size_t k);
/* 1 / rank of the first relevant document within the top k, else 0. */
double lm_metric_mrr(const int64_t *ranked, size_t n_ranked, const lm_qrel *qrels,
                     size_t n_qrels, size_t k);

#endif
