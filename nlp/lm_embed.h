/*
 * lm_embed: litmine's built-in text embedding — latent semantic analysis
 * learned from the articles in the store, no downloaded weights.
 *
 * Fitting: each abstract becomes a sparse TF-IDF vector over its words
 * (light-stemmed, stopwords dropped) and adjacent word pairs; a randomized
 * SVD (Halko, Martinsson & Tropp 2011: Gaussian sketch, power iterations
 * with QR re-orthonormalisation, then the exact SVD of the small projected
 * matrix) finds the top `dim` right singular vectors with OpenBLAS sgemm
 * and LAPACK (sgeqrf/sorgqr/dsyevd).  The model keeps, per vocabulary
 * feature, its IDF and its row of the projection.  Embedding a text is its
 * TF-IDF vector times the projection, normalised to unit length, so inner
 * product is cosine similarity.
 *
 * Features are identified by 64-bit hashes of their text, so the model
 * needs no string table and embedding needs no allocation once the scratch
 * has grown.  A loaded model is immutable and shared by any number of
 * threads; each brings its own scratch.  The serialised model is what the
 * store keeps in embed_models.data (kind "lsa").
 */
#ifndef LM_EMBED_H
#define LM_EMBED_H

#include "../util/lm_buf.h"
#include "../util/lm_error.h"

#include <stddef.h>
#include <stdint.h>

#define LM_EMBED_KIND "lsa"
#define LM_EMBED_DEFAULT_DIM 256

typedef struct lm_embed_model lm_embed_model;
typedef struct lm_embed_scratch lm_embed_scratch;
typedef struct lm_embed_fitter lm_embed_fitter;

typedef struct lm_embed_fit_options {
    int dim;              /* output dimension; 0 = LM_EMBED_DEFAULT_DIM */
    int max_vocab;        /* most frequent features kept; 0 = 100000 */
    int min_df;           /* documents a feature must occur in; 0 = 2 */
    double max_df;        /* drop features in more than this fraction; 0 = 0.5 */
    int no_bigrams;       /* 1: words only */
    int power_iters;      /* 0 = 3 */
    int oversample;       /* extra sketch columns; 0 = 16 */
    double sigma_exp;     /* projection columns scaled by sigma^sigma_exp
                             (0: LSA's U*Sigma coordinates; -1: whitened) */
    int threads;          /* reserved; fitting uses OpenBLAS's threads */
    uint64_t seed;        /* 0 = a fixed default: fits are reproducible */
} lm_embed_fit_options;

/* ---- fitting ------------------------------------------------------------ */

lm_status lm_embed_fitter_init(lm_embed_fitter **out, const lm_embed_fit_options *opts,
                               lm_error *err);
void lm_embed_fitter_free(lm_embed_fitter *f);
/* Adds one training document (title + " " + abstract). */
lm_status lm_embed_fitter_add(lm_embed_fitter *f, const char *text, size_t len,
                              lm_error *err);
size_t lm_embed_fitter_count(const lm_embed_fitter *f);
/* Fits the model on the documents added; the fitter may then be freed.
 * Fewer than 2 documents, or no feature that passes min_df, is
 * LM_ERR_USAGE.  The dimension shrinks to what the data supports. */
lm_status lm_embed_fitter_finish(lm_embed_fitter *f, lm_embed_model **out, lm_error *err);

/* ---- models ------------------------------------------------------------- */

/* Serialises (magic "LMEMBED1", sizes, feature hashes, IDF, projection,
 * CRC-32) by appending to out. */
lm_status lm_embed_model_save(const lm_embed_model *m, lm_buf *out, lm_error *err);
/* Reads what lm_embed_model_save wrote; LM_ERR_CORRUPT on any mismatch. */
lm_status lm_embed_model_load(const void *data, size_t len, lm_embed_model **out,
                              lm_error *err);
/* The same from bytes already verified and mapped (the vector cache file
 * checks an XXH3 of them on open): the projection, 98% of the model, is
 * read in place instead of copied, so a query touches only the rows of
 * its own words.  data must outlive the model.  On a big-endian host or
 * with data not 4-byte aligned it copies, like lm_embed_model_load. */
lm_status lm_embed_model_map(const void *data, size_t len, lm_embed_model **out,
                             lm_error *err);
void lm_embed_model_free(lm_embed_model *m);

int lm_embed_model_dim(const lm_embed_model *m);
size_t lm_embed_model_vocab(const lm_embed_model *m);
int64_t lm_embed_model_docs(const lm_embed_model *m);   /* fitted on */
/* IDF of a word (a normal form from lm_words_split) in the fitted corpus,
 * 0 when it is not in the vocabulary.  Query expansion uses it. */
float lm_embed_word_idf(const lm_embed_model *m, const char *norm, size_t len);
/* A JSON object describing the fit (dim, vocab, options) for the store. */
lm_status lm_embed_model_params(const lm_embed_model *m, lm_buf *out, lm_error *err);

/* ---- embedding ---------------------------------------------------------- */

lm_status lm_embed_scratch_init(lm_embed_scratch **out, lm_error *err);
void lm_embed_scratch_free(lm_embed_scratch *s);

/* Writes the unit-length embedding of text[0..len) to out[0..dim).  A text
 * with no known feature embeds as the zero vector (it matches nothing). */
lm_status lm_embed_text(const lm_embed_model *m, lm_embed_scratch *s, const char *text,
                        size_t len, float *out, lm_error *err);

/* The same for an article: title and abstract joined as the store does. */
lm_status lm_embed_article(const lm_embed_model *m, lm_embed_scratch *s, const char *title,
                           const char *abstract, float *out, lm_error *err);

/* Feature extraction shared by fitting and embedding, exposed for tests:
 * calls cb once per feature occurrence with its hash (a word, or a pair of
 * adjacent words when bigrams is set). */
lm_status lm_embed_features(const char *text, size_t len, int bigrams, lm_embed_scratch *s,
                            void (*cb)(void *ctx, uint64_t feature), void *ctx,
                            lm_error *err);

#endif
