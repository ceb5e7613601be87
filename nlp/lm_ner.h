/*
 * lm_ner: the trained named-entity tagger (Chemical, Disease, Gene).
 *
 * A model file holds one or more linear-chain CRF taggers (BILOU tags,
 * hashed sparse features, int16 weights, Viterbi decoding) plus the
 * resources their features need: word clusters learned from unlabeled
 * abstracts and token-sequence gazetteers compiled from lexicons.  Taggers
 * run in order; a later tagger sees the output of earlier ones as features
 * (document-level consistency, abbreviation propagation, a tagger trained on
 * another corpus), so one file carries a whole stacked pipeline.  A
 * document-level pass then makes Chemical and Disease mentions consistent
 * across the abstract (abbreviations typed like their long forms, every
 * occurrence of a mention's words tagged; lm_ner_post.c).  The
 * shipped models/ner.bin tags Chemical and Disease (BC5CDR guidelines) and
 * Gene (BioRED); models/ner-ncbi.bin tags Disease (NCBI-disease).
 *
 * A loaded model is immutable and may be shared by any number of threads;
 * each thread brings its own lm_ner_scratch (all per-call memory lives
 * there, so tagging does not allocate once the scratch has grown).
 * Mentions come back with byte offsets into the caller's text; mentions of
 * different types may overlap (a span can be both Chemical and Gene, as in
 * "insulin"), mentions of one type never do.
 */
#ifndef LM_NER_H
#define LM_NER_H

#include "../util/lm_doc.h"
#include "../util/lm_error.h"
#include "lm_abbrev.h"
#include "lm_token.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lm_ner_mention {
    uint32_t start;     /* byte offset into the tagged text, inclusive */
    uint32_t end;       /* exclusive */
    lm_ent_type type;
    float score;        /* confidence in [0,1]: how far the best labelling
                           is ahead of the best one without this mention */
} lm_ner_mention;

/* abbrevs: the abbreviation definitions the tagger read the document
 * with, in text order: the letter-matching detector's (lm_abbrev_detect)
 * and those of the tagger's own rules (a bracketed word after a Chemical
 * mention, lm_ner_post.c).  Normalisation gives each short form of this
 * list its long form's concept, so the tagger and the normaliser agree on
 * what the abstract defines.  has_abbrevs is 0 when a tagger gives no list
 * (the encoder tagger); callers then run the detector themselves. */
typedef struct lm_ner_mentions {
    lm_ner_mention *v;
    size_t n;
    size_t cap;
    lm_abbrevs abbrevs;
    int has_abbrevs;
} lm_ner_mentions;

void lm_ner_mentions_init(lm_ner_mentions *m);
void lm_ner_mentions_free(lm_ner_mentions *m);

typedef struct lm_ner_model lm_ner_model;
typedef struct lm_ner_scratch lm_ner_scratch;

/* File name of the default model inside a model directory. */
#define LM_NER_DEFAULT_MODEL "ner.bin"

/* Directory models are looked up in when neither a flag nor the config key
 * [models] dir names one: "./models" when it exists, else the installed
 * $(PREFIX)/share/litmine/models (LM_MODELS_DIR at build time). */
const char *lm_ner_default_model_dir(void);

/* Reads a model file.  Errors: LM_ERR_IO (cannot open/read),
 * LM_ERR_FORMAT (not a litmine NER model / unsupported version),
 * LM_ERR_CORRUPT (checksum mismatch, truncated, inconsistent payload). */
lm_status lm_ner_model_load(const char *path, lm_ner_model **out, lm_error *err);
void lm_ner_model_free(lm_ner_model *m);
/* Whether m was mapped from its cache: the first load of a model file
 * writes a mappable cache of it (util/lm_mapcache.h), which later loads
 * map instead of inflating and parsing the file again. */
int lm_ner_model_is_mapped(const lm_ner_model *m);
/* Writes a model (what training produces) to path atomically. */
lm_status lm_ner_model_save(const lm_ner_model *m, const char *path, lm_error *err);

/* Entity types the model emits, as a bit set of (1u << lm_ent_type). */
unsigned lm_ner_model_types(const lm_ner_model *m);
/* One line per tagger: name, types, table size; for `litmine tag -v`. */
lm_status lm_ner_model_describe(const lm_ner_model *m, char *buf, size_t cap);

lm_status lm_ner_scratch_init(lm_ner_scratch **out, lm_error *err);
void lm_ner_scratch_free(lm_ner_scratch *s);

/* Tokenizes, splits sentences and tags text[0..len) as one document,
 * replacing out's contents with mentions sorted by start offset. */
lm_status lm_ner_tag(const lm_ner_model *m, lm_ner_scratch *s, const char *text,
                     size_t len, lm_ner_mentions *out, lm_error *err);

/* The same on pre-split text: tokens (byte spans, in order) and sentences
 * given as token index ranges [sent_start[i], sent_start[i+1]) with
 * sent_start[0] == 0 and an implicit end at n_tokens.  Used by training and
 * by callers that already tokenized. */
lm_status lm_ner_tag_tokens(const lm_ner_model *m, lm_ner_scratch *s, const char *text,
                            size_t len, const lm_span *tokens, size_t n_tokens,
                            const uint32_t *sent_start, size_t n_sents,
                            lm_ner_mentions *out, lm_error *err);

#endif
