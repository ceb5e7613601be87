/*
 * lm_pubtator: reader and writer for the PubTator format used by BC5CDR,
 * NCBI-disease and BioRED, and printed by `litmine tag`.
 *
 *     PMID|t|title
 *     PMID|a|abstract
 *     PMID<TAB>start<TAB>end<TAB>text<TAB>type<TAB>id[<TAB>extra...]
 *     PMID<TAB>relation<TAB>id1<TAB>id2[<TAB>extra...]
 *
 * Offsets are code-point offsets into title + " " + abstract, as in the
 * corpora.  Documents are read one at a time (streaming) so corpora of any
 * size fit; a malformed line fails with its line number.
 */
#ifndef LM_PUBTATOR_H
#define LM_PUBTATOR_H

#include "../util/lm_error.h"

#include <stddef.h>
#include <stdio.h>

typedef struct lm_pt_mention {
    int start;        /* code points into title + " " + abstract */
    int end;
    char *text;
    char *type;       /* as written in the file: Chemical, Disease, ... */
    char *id;         /* concept id column as written, NULL when absent */
} lm_pt_mention;

typedef struct lm_pt_relation {
    char *type;       /* CID, Association, ... */
    char *id1;
    char *id2;
} lm_pt_relation;

typedef struct lm_pt_doc {
    char *pmid;       /* kept as text: some corpora use non-numeric ids */
    char *title;
    char *abstract;
    char *text;       /* title + " " + abstract (what offsets index) */
    lm_pt_mention *mentions;
    size_t n_mentions;
    lm_pt_relation *relations;
    size_t n_relations;
} lm_pt_doc;

void lm_pt_doc_init(lm_pt_doc *d);
void lm_pt_doc_free(lm_pt_doc *d);

/* Calls cb for every document in f, in file order.  name is used in error
 * messages. */
lm_status lm_pubtator_read(FILE *f, const char *name,
                           lm_status (*cb)(void *ctx, const lm_pt_doc *doc, lm_error *err),
                           void *ctx, lm_error *err);

/* A whole corpus in memory (training and evaluation want random access). */
typedef struct lm_pt_corpus {
    lm_pt_doc *docs;
    size_t n_docs;
} lm_pt_corpus;

/* PubTator only; lm_corpus_load (nlp/eval/lm_bioc.h) also takes BioC. */
lm_status lm_pubtator_load(const char *path, lm_pt_corpus *out, lm_error *err);
void lm_pt_corpus_free(lm_pt_corpus *c);
/* The first document of c with this PMID, NULL if none (or c or pmid is
 * NULL): a linear search, for the few hundred documents of a corpus. */
const lm_pt_doc *lm_pt_corpus_find(const lm_pt_corpus *c, const char *pmid);

/* Writes one document (title, abstract, mention lines, relation lines, then
 * a blank line). */
lm_status lm_pubtator_write(FILE *f, const lm_pt_doc *doc, lm_error *err);

/* Writes the documents' text as a PubMed XML PubmedArticleSet (one
 * PubmedArticle per document: PMID, ArticleTitle, one AbstractText), so
 * that a corpus can go through `litmine ingest` as a user's abstracts do;
 * the PubMed parser reads title and abstract back as written, but for runs
 * of whitespace, which it collapses in every article (see
 * lm_pubtator_map_offsets).  PMIDs must be numeric. */
lm_status lm_pubtator_write_pubmed(FILE *f, const lm_pt_corpus *c, lm_error *err);

/* Re-points mentions found in the text read back from
 * lm_pubtator_write_pubmed at the document's own text.  read_back is the
 * parsed title + " " + abstract (whitespace runs collapsed, ends trimmed,
 * control characters dropped or turned into spaces); text is the
 * document's title + " " + abstract, which the PubTator offsets of a
 * prediction file must index.  The offsets of m[0..n) move from read_back
 * to text, and a mention's text becomes its span of text when a collapsed
 * run lies inside it.  LM_ERR_FORMAT when read_back is not such a copy of
 * text or an offset lies beyond it. */
lm_status lm_pubtator_map_offsets(const char *text, const char *read_back, lm_pt_mention *m,
                                  size_t n, lm_error *err);

#endif
