/*
 * lm_embed_encoder: a transformer encoder (nlp/encoder/) as litmine's
 * embedder — what `[embed] model = DIR` switches on in place of the
 * built-in LSA model (lm_embed).
 *
 * The store keeps an encoder as an embedding model of kind "encoder"
 * whose bytes are not weights but a record (a small JSON object): the
 * model directory (absolute), its content id (SHA-256 over the files that
 * determine the outputs, lm_encoder_content_id), a fingerprint of those
 * files (paths, sizes, times: lm_encoder_fingerprint), the pooling and the
 * dimension.  Vectors are stored under that model's id, so the vectors of
 * two models never mix, and a record is compared with an encoder before
 * its vectors are used or extended: same fingerprint, or failing that the
 * same content id, and the same pooling.  The comparison reads the weights
 * only when the files were touched (copied, re-fetched), so a query does
 * not pay a second's hashing.
 *
 * An article is embedded as "title abstract", truncated to the model's
 * window as sentence-transformers does.  The loaded encoder is read-only
 * and shared; each thread brings a workspace (lm_encoder_ws).  The record
 * functions cache the content id in the object: one thread at a time.
 */
#ifndef LM_EMBED_ENCODER_H
#define LM_EMBED_ENCODER_H

#include "../util/lm_buf.h"
#include "../util/lm_error.h"
#include "encoder/lm_encoder.h"

#include <stddef.h>

#define LM_EMBED_ENCODER_KIND "encoder"

typedef struct lm_embed_encoder lm_embed_encoder;

/* Loads the model in dir; pooling "mean", "cls", or NULL/"" for the
 * model's own.  A model whose pooling litmine lacks is LM_ERR_USAGE. */
lm_status lm_embed_encoder_open(lm_embed_encoder **out, const char *dir, const char *pooling,
                                lm_error *err);
/* The same with [embed] precision: "f32" (NULL, "") or "bf16"
 * (lm_encoder.h).  Precision is not part of the record: bf16 vectors
 * stand beside f32 ones of the same model (cosine about 0.9999, see
 * bench/README.md), so a query embedded in f32 scores them as usual. */
lm_status lm_embed_encoder_open_as(lm_embed_encoder **out, const char *dir, const char *pooling,
                                   const char *precision, lm_error *err);
/* Loads the model a stored record names, and checks the directory still
 * holds it (LM_ERR_USAGE with the reason when not). */
lm_status lm_embed_encoder_open_record(lm_embed_encoder **out, const void *record, size_t len,
                                       lm_error *err);
void lm_embed_encoder_free(lm_embed_encoder *e);

const lm_encoder *lm_embed_encoder_model(const lm_embed_encoder *e);
int lm_embed_encoder_dim(const lm_embed_encoder *e);
const char *lm_embed_encoder_dir(const lm_embed_encoder *e);   /* absolute */
const char *lm_embed_encoder_pooling(const lm_embed_encoder *e); /* "mean" or "cls" */

/* Appends the record to out (computes the content id once). */
lm_status lm_embed_encoder_record(lm_embed_encoder *e, lm_buf *out, lm_error *err);
/* *same = 1 when record describes this model with this pooling.  A record
 * that is not an encoder's is LM_ERR_CORRUPT. */
lm_status lm_embed_encoder_matches(lm_embed_encoder *e, const void *record, size_t len,
                                   int *same, lm_error *err);
/* "DIR (content id 0123abcd, mean pooling, 768 dimensions)" of a record,
 * for messages; "an unreadable encoder record" when it is damaged. */
void lm_embed_encoder_describe(const void *record, size_t len, char *buf, size_t cap);

/* Embeds n texts into out (n x dim); one workspace per thread. */
lm_status lm_embed_encoder_texts(const lm_embed_encoder *e, lm_encoder_ws *ws,
                                 const char *const *texts, const size_t *lens, size_t n,
                                 float *out, lm_error *err);

/* "title abstract" as one text, as articles are embedded (appends to out). */
lm_status lm_embed_encoder_article_text(const char *title, const char *abstract, lm_buf *out,
                                        lm_error *err);

#endif
