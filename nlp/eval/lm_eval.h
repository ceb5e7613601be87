/*
 * lm_eval: the official scoring rules of the corpora litmine is measured on.
 *
 * Three BioCreative V CDR units, all computed as sets so duplicates never
 * count twice.  On ../shared/data/bc5cdr/eval_sample this reproduces the
 * official evaluator exactly for mentions (Disease: TP 303 FP 105 FN 121)
 * and relations (CID: TP 90 FP 533 FN 33); for concepts it gives the
 * official gold and predicted totals but TP 149 / FP 57 / FN 65 where the
 * Java tool prints 150 / 56 / 64 — one pair matches there under a rule we
 * could not identify from its documentation:
 *
 *   mentions   (pmid, start, end, type) exact span match.
 *   concepts   (pmid, type, id): document-level concept sets.  Composite ids
 *              "D1|D2" (also "+", ",", ";") count as each part, "-1" and
 *              empty ids are dropped, and the namespace prefixes "MESH:" and
 *              "NCBIGene:" are ignored, so "MESH:D003866" equals "D003866".
 *   relations  (pmid, relation type, id1, id2) with the same id rules; the
 *              CID task is document-level and directional (chemical,
 *              disease).
 *
 * Types are compared after lm_eval_canonical_type(), so NCBI-disease and
 * BioRED files score against BC5CDR-style predictions.  BioCreative II gene
 * mention (BC2GM) scoring follows alt_eval.perl: a gold GENE entry is a TP
 * when a prediction has its exact span or the exact span of an ALTGENE entry
 * overlapping it; a prediction is an FP unless it equals some GENE or ALTGENE
 * span of its sentence.  BC2GM offsets count non-whitespace characters and
 * the end offset is inclusive; lm_eval_gm_span_* convert them.
 */
#ifndef LM_EVAL_H
#define LM_EVAL_H

#include "../../util/lm_error.h"
#include "../lm_pubtator.h"

#include <stddef.h>
#include <stdio.h>

/* "Chemical", "Disease" or "Gene" for the type names of BC5CDR, NCBI-disease
 * (SpecificDisease, Modifier, DiseaseClass, CompositeMention) and BioRED
 * (ChemicalEntity, DiseaseOrPhenotypicFeature, GeneOrGeneProduct); NULL for
 * anything else (e.g. SequenceVariant).  Case-insensitive. */
const char *lm_eval_canonical_type(const char *type);

/* One line of a score table. */
typedef struct lm_eval_row {
    char *label;          /* type or relation type; "ALL" for the micro row */
    long tp, fp, fn;
    double precision, recall, f1;
} lm_eval_row;

/* Fills precision, recall and f1 from the counts; a 0/0 ratio is 0. */
void lm_eval_row_finish(lm_eval_row *row);

typedef struct lm_eval_report {
    lm_eval_row *rows;    /* one per label, sorted by label */
    size_t n_rows;
    lm_eval_row micro;    /* sums over rows (micro-average) */
} lm_eval_report;

void lm_eval_report_init(lm_eval_report *r);
void lm_eval_report_free(lm_eval_report *r);

typedef enum lm_eval_outcome { LM_EVAL_TP, LM_EVAL_FP, LM_EVAL_FN } lm_eval_outcome;
const char *lm_eval_outcome_str(lm_eval_outcome o);   /* "TP", "FP", "FN" */

/* Called once per scored item, in sorted order.  item is tab-separated:
 * mentions "type pmid start end", concepts "type pmid id", relations
 * "type pmid id1 id2", BC2GM "sid start end" (the official debug columns). */
typedef void (*lm_eval_trace_fn)(void *ctx, lm_eval_outcome o, const char *item);

typedef struct lm_eval_opts {
    /* Labels to score (canonical entity types, or relation types such as
     * "CID"); other items are ignored.  NULL: every label seen.  Listed
     * labels always get a row, even with no items. */
    const char *const *labels;
    size_t n_labels;
    int unordered_pairs;   /* relations: (a, b) equals (b, a) */
    lm_eval_trace_fn trace;
    void *trace_ctx;
} lm_eval_opts;

/* opts may be NULL (all labels, no trace).  out must be initialised; its
 * previous content is replaced. */
lm_status lm_eval_mentions(const lm_pt_corpus *gold, const lm_pt_corpus *pred,
                           const lm_eval_opts *opts, lm_eval_report *out, lm_error *err);
lm_status lm_eval_concepts(const lm_pt_corpus *gold, const lm_pt_corpus *pred,
                           const lm_eval_opts *opts, lm_eval_report *out, lm_error *err);
lm_status lm_eval_relations(const lm_pt_corpus *gold, const lm_pt_corpus *pred,
                            const lm_eval_opts *opts, lm_eval_report *out, lm_error *err);

/* Calls cb for every concept id of a (possibly composite) id column, after
 * dropping "-1", empty parts and the MESH:/NCBIGene: prefixes.  Returns the
 * number of parts passed to cb. */
size_t lm_eval_split_ids(const char *id, void (*cb)(void *ctx, const char *part, size_t len),
                         void *ctx);

/* MeSH editions (lm_eval_mesh.c): is id ("MESH:" optional) a descriptor
 * created from MeSH 2016 on (a ten-character UI)?  And: in each document
 * of pred, such an id on a mention overlapping a gold mention of its type
 * with one id other than -1 becomes that id, in the document's mentions
 * and relations; *mapped (may be NULL) counts the ids so read. */
int lm_eval_newer_mesh_id(const char *id);
/* Does the predicted id pred_id count as gold_id under --newer-mesh: a
 * newer descriptor against one gold id that is not itself newer? */
int lm_eval_newer_mesh_reads_as(const char *pred_id, const char *gold_id);
lm_status lm_eval_map_newer_mesh(const lm_pt_corpus *gold, lm_pt_corpus *pred, size_t *mapped,
                                 lm_error *err);

/* Prints a report as an aligned table with a header line. */
void lm_eval_report_print(FILE *out, const char *title, const lm_eval_report *r);

/* ---- BioCreative II gene mention ---- */

typedef struct lm_eval_gm_mention {
    char *sid;            /* sentence id */
    int start;            /* non-whitespace characters before the mention */
    int end;              /* index of its last non-whitespace character */
    char *text;           /* may be empty */
} lm_eval_gm_mention;

typedef struct lm_eval_gm_set {
    lm_eval_gm_mention *items;
    size_t n, cap;
} lm_eval_gm_set;

void lm_eval_gm_set_init(lm_eval_gm_set *s);
void lm_eval_gm_set_free(lm_eval_gm_set *s);
lm_status lm_eval_gm_add(lm_eval_gm_set *s, const char *sid, int start, int end,
                         const char *text, lm_error *err);
/* Reads `SID|start end|text` lines (blank lines skipped); errors name the
 * line. */
lm_status lm_eval_gm_read(FILE *f, const char *name, lm_eval_gm_set *out, lm_error *err);
lm_status lm_eval_gm_load(const char *path, lm_eval_gm_set *out, lm_error *err);
lm_status lm_eval_gm_write(FILE *f, const lm_eval_gm_set *s, lm_error *err);

/* alt may be NULL (no alternatives).  opts: only trace is used. */
lm_status lm_eval_gm_score(const lm_eval_gm_set *gene, const lm_eval_gm_set *alt,
                           const lm_eval_gm_set *pred, const lm_eval_opts *opts,
                           lm_eval_row *out, lm_error *err);

/* Byte span [bstart, bend) of text -> BC2GM offsets.  The span must contain
 * a non-whitespace character; returns 0 on success, -1 otherwise.  Whitespace
 * is ASCII space, \t, \n, \r, \f, \v; a multi-byte UTF-8 character counts
 * once. */
int lm_eval_gm_span_from_bytes(const char *text, size_t len, size_t bstart, size_t bend,
                               int *start, int *end);
/* BC2GM offsets -> byte span [*bstart, *bend) of text; -1 when out of range. */
int lm_eval_gm_span_to_bytes(const char *text, size_t len, int start, int end,
                             size_t *bstart, size_t *bend);

#endif
