/*
 * lm_ner_encoder: NER by a token-classification transformer (a PubMedBERT
 * or BioBERT fine-tune from the hub) in place of litmine's CRF — what
 * `[ner] model = DIR` and `litmine tag --model DIR` switch on.
 *
 * The model's labels (id2label) are BIO, BILOU or BIOES tags over entity
 * types that each fine-tune spells its own way: B-Chemical, B-DISEASE,
 * b-chem, B-Gene_or_gene_product, I-ChemicalEntity...  The encoder groups
 * them by type (nlp/encoder/), and each type is mapped here to litmine's
 * Chemical, Disease or Gene by its letters alone (case, '-', '_' and
 * spaces ignored): chemical, chem, drug, simplechemical, chemicalentity,
 * ...; disease, dis, disorder, specificdisease, diseaseclass, ...; gene,
 * protein, geneorgeneproduct, geneprotein, gp, ...  Other types (Species,
 * CellLine, Variant, ...) are dropped; a model none of whose types maps is
 * refused at load.
 *
 * Mentions come out as lm_ner_mentions, in byte offsets, sorted: the ner
 * stage normalises them, propagates abbreviations and builds pairs exactly
 * as it does the CRF's.  A mention's score is the mean probability of its
 * tokens' labels.  Words are labelled by their first sub-token ("first"
 * aggregation) unless simple aggregation is asked for.
 *
 * The loaded model is read-only and shared by all threads (its weights
 * memory-mapped); each thread brings a scratch.  Results do not depend on
 * the thread count.
 */
#ifndef LM_NER_ENCODER_H
#define LM_NER_ENCODER_H

#include "../util/lm_doc.h"
#include "../util/lm_error.h"
#include "encoder/lm_encoder.h"
#include "lm_ner.h"

typedef struct lm_ner_encoder lm_ner_encoder;
typedef struct lm_ner_encoder_scratch lm_ner_encoder_scratch;

/* The litmine type of a model's entity type (a label without its B-/I-
 * prefix, or a whole label: the prefix is skipped when present);
 * LM_ENT_NONE when it names none of the three. */
lm_ent_type lm_ner_encoder_label_type(const char *label);

/* Loads a token-classification model; aggregation "first" (NULL, "") or
 * "simple"; precision "f32" (NULL, "") or "bf16" (lm_encoder.h). */
lm_status lm_ner_encoder_open(lm_ner_encoder **out, const char *dir, const char *aggregation,
                              const char *precision, lm_error *err);
void lm_ner_encoder_free(lm_ner_encoder *m);
const lm_encoder *lm_ner_encoder_model(const lm_ner_encoder *m);
/* Entity types it emits, as a bit set of LM_ENT_BIT(type). */
unsigned lm_ner_encoder_types(const lm_ner_encoder *m);

lm_status lm_ner_encoder_scratch_init(const lm_ner_encoder *m, lm_ner_encoder_scratch **out,
                                      lm_error *err);
void lm_ner_encoder_scratch_free(lm_ner_encoder_scratch *s);

/* Tags text[0..len) as one document, replacing out's contents. */
lm_status lm_ner_encoder_tag(const lm_ner_encoder *m, lm_ner_encoder_scratch *s,
                             const char *text, size_t len, lm_ner_mentions *out,
                             lm_error *err);

#endif
