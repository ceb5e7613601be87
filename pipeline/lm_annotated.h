/*
 * lm_annotated: one stored article with everything litmine mined from it —
 * the record (title, abstract, MeSH, bibliographic fields), its text as the
 * offsets index it (title + " " + abstract), sentences, mentions with
 * their concepts, and pairs with their evidence — loaded in one call.
 *
 * It is the read side every reader of a single article shares: `litmine
 * show` prints it, the BioC writer (nlp/eval/lm_bioc.h) serialises it, and
 * a server can hand it out as JSON; none of them touches SQL.
 */
#ifndef LM_ANNOTATED_H
#define LM_ANNOTATED_H

#include "../store/lm_store.h"
#include "../util/lm_article.h"
#include "../util/lm_doc.h"

typedef struct lm_annotated {
    lm_article article;
    char *source;             /* where it was ingested from, may be NULL */
    char *ingested_at;        /* "YYYY-MM-DDTHH:MM:SSZ", may be NULL */
    lm_doc doc;               /* text, sentences, mentions, pairs (best first) */
} lm_annotated;

void lm_annotated_init(lm_annotated *a);
void lm_annotated_free(lm_annotated *a);   /* frees members, re-initialises */

/* Loads PMID pmid (LM_ERR_NOTFOUND when it is not stored).  Pairs the
 * pipeline only saw co-occurring (relation "cooccurs") are left out unless
 * all_candidates. */
lm_status lm_annotated_load(lm_store *s, int64_t pmid, int all_candidates, lm_annotated *out,
                            lm_error *err);

/* Gives a concept's display name (a lexicon's), or NULL to fall back on
 * the text the article used. */
typedef const char *(*lm_concept_namer)(void *ctx, const char *concept_id);

struct lm_json_writer;
/* Writes the article as one JSON object: the record (the keys of `export
 * articles --format jsonl` plus the bibliographic lists), "text", and the
 * "mentions", "concepts" and "pairs" arrays; the schema is documented in
 * docs/usage.md (`litmine show --json`).  namer may be NULL. */
void lm_annotated_write_json(struct lm_json_writer *w, const lm_annotated *a,
                             lm_concept_namer namer, void *namer_ctx);
/* The record part alone, as members of an object the caller has begun. */
void lm_article_write_json_members(struct lm_json_writer *w, const lm_article *a);

#endif
