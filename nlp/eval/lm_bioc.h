/*
 * lm_bioc: BioC, the interchange format of PubTator3 and BioRED, both ways
 * and in both encodings (XML after BioC.dtd, JSON as the bioc library and
 * PubTator3's API write it).
 *
 * Writing turns one article (util/lm_article) and its annotations
 * (util/lm_doc) into a BioC document: a "title" passage at offset 0 and an
 * "abstract" passage at the title's length + 1, so that BioC offsets are
 * exactly litmine's code-point offsets into title + " " + abstract; each
 * mention an annotation (id "T<n>", infons type, identifier, score) in the
 * passage it lies in; each pair a document-level relation (id "R<n>",
 * infons type = the relation, entity1 / entity2 = the concept ids, score)
 * with nodes pointing at one annotation of each concept.  Documents stream
 * out one at a time between begin and end.
 *
 * Reading loads a BioC collection into the same lm_pt_corpus the PubTator
 * reader gives, so that `eval` and `train` take either format: passages
 * are joined with single spaces into title + " " + abstract (offsets are
 * rebased when a file's passage offsets leave other gaps), annotations
 * become mentions (type and identifier infons as written), relations
 * become relation lines — entity1/entity2 infons when present (BioRED),
 * else the identifiers of the annotations their nodes point at.
 * Annotations with several locations are taken at their first.  The XML
 * reader loads no DTD and refuses a document that declares entities.
 */
#ifndef LM_BIOC_H
#define LM_BIOC_H

#include "../../util/lm_article.h"
#include "../../util/lm_doc.h"
#include "../../util/lm_error.h"
#include "../../util/lm_json.h"
#include "../lm_pubtator.h"

#include <stdio.h>

typedef enum lm_bioc_format { LM_BIOC_XML, LM_BIOC_JSON } lm_bioc_format;

/* Writer options. */
enum {
    LM_BIOC_PUBTATOR3_IDS = 1u << 0   /* genes as bare NCBI Gene ids ("672") */
};

typedef struct lm_bioc_writer {
    FILE *out;
    lm_bioc_format format;
    unsigned flags;
    size_t n_docs;
    lm_json_writer json;
} lm_bioc_writer;

/* Opens the collection (source "litmine", date today as YYYY-MM-DD). */
lm_status lm_bioc_begin(lm_bioc_writer *w, FILE *out, lm_bioc_format format, unsigned flags,
                        lm_error *err);
/* Writes one document; d->text must be title + " " + abstract. */
lm_status lm_bioc_write_doc(lm_bioc_writer *w, const lm_article *a, const lm_doc *d,
                            lm_error *err);
lm_status lm_bioc_end(lm_bioc_writer *w, lm_error *err);

/* An identifier as PubTator3 writes it: "NCBIGene:672" becomes "672";
 * other ids unchanged.  Returns a pointer into id. */
const char *lm_bioc_pubtator3_id(const char *id);

/* Loads an annotated corpus in whichever format it is: BioC XML or JSON
 * (by its first byte), else PubTator; and when "X.PubTator" does not exist
 * but "X.BioC.XML" (or .BioC.JSON) does, that — so the trainers' fixed
 * corpus names also find a corpus released in BioC only.  What eval, train
 * and lexicon import read corpora with. */
lm_status lm_corpus_load(const char *path, lm_pt_corpus *out, lm_error *err);

/* 1 when the file starts (after whitespace) like BioC: '<' or '{' / '['. */
int lm_bioc_sniff(const char *path);
/* Reads a BioC XML or JSON collection (told apart by its first byte). */
lm_status lm_bioc_load(const char *path, lm_pt_corpus *out, lm_error *err);

#endif
