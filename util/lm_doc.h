/*
 * lm_doc: the NLP annotations of one article, as the stages produce them
 * and the store keeps them.
 *
 * Offsets here are Unicode code-point offsets into text = title + " " +
 * abstract — the PubTator convention that exports and evaluation use — not
 * the byte offsets the tokenizer works in; the stage that finds a span
 * converts it once (lm_utf8) before storing it here.  A doc owns every
 * string it points to.
 */
#ifndef LM_DOC_H
#define LM_DOC_H

#include "lm_error.h"

#include <stddef.h>
#include <stdint.h>

/* The entity types litmine recognises: the one enum every layer uses (the
 * tagger's output, stored mentions, lexicon entries, query filters).  The
 * values are part of the NER model file format; do not renumber. */
typedef enum lm_ent_type {
    LM_ENT_NONE = 0,
    LM_ENT_CHEMICAL,
    LM_ENT_DISEASE,
    LM_ENT_GENE,
    LM_ENT_COUNT
} lm_ent_type;

/* In a filter (a lexicon lookup, say), "no type" means any type. */
#define LM_ENT_ANY LM_ENT_NONE
/* A set of types is a bit mask of LM_ENT_BIT(type). */
#define LM_ENT_BIT(t) (1u << (unsigned)(t))

/* "Chemical", "Disease", "Gene" ("None" for LM_ENT_NONE). */
const char *lm_ent_type_name(lm_ent_type t);
/* Parses the names above and the corpus variants, exactly as written
 * (ChemicalEntity, DiseaseOrPhenotypicFeature, GeneOrGeneProduct,
 * SpecificDisease, DiseaseClass, Modifier, CompositeMention): what stored
 * rows and training corpora hold.  LM_ENT_NONE otherwise. */
lm_ent_type lm_ent_type_parse(const char *name);
/* Like lm_ent_type_parse, for a label a person or an evaluation kit wrote:
 * case does not matter, and the looser labels Drug and Protein are
 * accepted.  LM_ENT_NONE otherwise. */
lm_ent_type lm_ent_type_from_label(const char *label);

/* Cuts the next part of a concept id column that may be a composite
 * ("D1|D2", "D1+D2", "D1,D2", "D1;D2"), from p: [*a, *b) is the part
 * without surrounding blanks (possibly empty).  Returns where the next part
 * starts: past the separator, or at the terminating NUL after the last. */
const char *lm_id_next_part(const char *p, const char **a, const char **b);
/* A concept id without its leading "MESH:", in any case: BC5CDR writes
 * "D008012", the pipeline "MESH:D008012", and both name one concept. */
const char *lm_id_bare_mesh(const char *id);
/* 1 when a and b are the same concept id, "MESH:" or not. */
int lm_id_same_concept(const char *a, const char *b);

/* A list of byte ranges [start, end) into some text: tokens, sentences,
 * highlights — what the nlp/ functions find before the stages convert
 * them to the code-point offsets below. */
typedef struct lm_span {
    uint32_t start;   /* byte offset, inclusive */
    uint32_t end;     /* byte offset, exclusive */
} lm_span;

typedef struct lm_spans {
    lm_span *v;
    size_t n;
    size_t cap;
} lm_spans;

void lm_spans_init(lm_spans *s);
void lm_spans_free(lm_spans *s);
lm_status lm_spans_push(lm_spans *s, uint32_t start, uint32_t end);

typedef struct lm_doc_sentence {
    int32_t start;            /* code points, inclusive */
    int32_t end;              /* exclusive */
} lm_doc_sentence;

typedef struct lm_doc_mention {
    int32_t start;
    int32_t end;
    int type;                 /* lm_ent_type */
    char *text;
    char *concept_id;         /* "MESH:D003920", NULL when not normalised */
    int32_t sentence;         /* index into sentences, -1 when unknown */
    float score;
} lm_doc_mention;

typedef struct lm_doc_abbrev {
    char *short_form;
    char *long_form;
    int32_t start;            /* of the short form's definition */
    int32_t end;
} lm_doc_abbrev;

typedef struct lm_doc_pair {
    char *chem_id;            /* "MESH:D008012", or "text:<lowercased>" */
    char *chem_text;
    char *dis_id;
    char *dis_text;
    const char *relation;     /* "induces", "treats", "associated" (static) */
    float score;
    int32_t sentence;         /* evidence sentence, -1 when none */
    int32_t evidence_start;   /* code points */
    int32_t evidence_end;
} lm_doc_pair;

/* The parts of a doc, each produced by one stage and kept in its own
 * table(s): a rerun replaces the parts it recomputes and no other
 * (lm_store_put_doc). */
enum lm_doc_part {
    LM_DOC_SENTENCES = 1u << 0,   /* sentences */
    LM_DOC_MENTIONS = 1u << 1,    /* mentions and abbreviations */
    LM_DOC_PAIRS = 1u << 2,       /* pairs */
    LM_DOC_VECTOR = 1u << 3,      /* the embedding vector */
    LM_DOC_ALL = 0xfu
};

typedef struct lm_doc {
    char *text;               /* title + " " + abstract */
    size_t text_len;          /* bytes */
    lm_doc_sentence *sentences;
    size_t n_sentences, cap_sentences;
    lm_doc_mention *mentions;
    size_t n_mentions, cap_mentions;
    lm_doc_abbrev *abbrevs;
    size_t n_abbrevs, cap_abbrevs;
    lm_doc_pair *pairs;
    size_t n_pairs, cap_pairs;
    float *vector;            /* embedding, NULL when not computed */
    int vector_dim;
    int64_t vector_model;     /* id of the embedding model that made it */
    unsigned stages_done;     /* bit set of stages that ran successfully */
} lm_doc;

void lm_doc_init(lm_doc *d);
void lm_doc_free(lm_doc *d);
/* Sets text to title + " " + abstract (either may be NULL). */
lm_status lm_doc_set_text(lm_doc *d, const char *title, const char *abstract,
                          lm_error *err);
lm_status lm_doc_add_sentence(lm_doc *d, int32_t start, int32_t end, lm_error *err);
/* Copies text and concept_id (either may be NULL). */
lm_status lm_doc_add_mention(lm_doc *d, int32_t start, int32_t end, lm_ent_type type,
                             const char *text, const char *concept_id, int32_t sentence,
                             float score, lm_error *err);
lm_status lm_doc_add_abbrev(lm_doc *d, const char *short_form, const char *long_form,
                            int32_t start, int32_t end, lm_error *err);

/* Copies the strings; relation must be a static string. */
lm_status lm_doc_add_pair(lm_doc *d, const char *chem_id, const char *chem_text,
                          const char *dis_id, const char *dis_text, const char *relation,
                          float score, int32_t sentence, int32_t evidence_start,
                          int32_t evidence_end, lm_error *err);
/* Sorts mentions by (start, end, type): stages that add mentions in
 * several passes call it so the stored order never depends on how. */
void lm_doc_sort_mentions(lm_doc *d);

#endif
