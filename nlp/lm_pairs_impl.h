/*
 * Internals shared by lm_pairs.c (features, inference, model files) and
 * lm_pairs_train.c (training, threshold tuning).  Not a public header.
 *
 * Feature extraction fills a scratch with the document's concepts and one
 * candidate per (chemical concept, disease concept) pair; each candidate's
 * features are hashed indices tagged with the sentence they came from.
 * A candidate's score uses the *set* of its indices (a feature seen in two
 * shared sentences counts once: multi-instance union), which training and
 * inference both compute with pairs_cand_unique().
 */
#ifndef LM_PAIRS_IMPL_H
#define LM_PAIRS_IMPL_H

#include "../util/lm_utf8.h"
#include "lm_pairs.h"
#include "lm_token.h"

#include <stdint.h>

/* Bumped whenever the features change: a model trained on other features
 * is refused (LM_ERR_FORMAT) rather than silently mis-scored. */
#define PAIRS_FEATURE_VERSION 9

/* Heads: one per label, plus PAIRS_STACK, the second-stage "induces"
 * head.  When present it rescores every candidate from its first-stage
 * features plus features of the first-stage scores of the whole document
 * (the pair's rank among the document's candidates, among the chemicals
 * of its disease, ...): whether a chemical is *the* cause in an abstract
 * depends on its competitors.  It is trained on out-of-fold first-stage
 * scores so that it learns from realistic, not memorised, inputs. */
#define PAIRS_STACK LM_PAIR_LABEL_COUNT
#define PAIRS_HEADS (LM_PAIR_LABEL_COUNT + 1)
#define PAIRS_STACK_MAX 16              /* stack features per candidate */

/* The knowledge prior (lm_pairs_kb.c): the training corpus's CID pairs
 * and how often each pair and concept was related there. */
typedef struct pairs_kb pairs_kb;

typedef struct pairs_kb_counts {
    uint32_t pair_cid, pair_co;        /* documents relating the pair / naming both */
    uint32_t chem_cid, chem_docs;      /* documents where the chemical is in a CID pair / named */
    uint32_t dis_cid, dis_docs;
    uint32_t cid_broader;              /* CID pairs of the chemical with a disease above this one */
    uint32_t cid_narrower;             /* ... with a disease below it (MeSH trees) */
} pairs_kb_counts;

/* Builds the table from a gold BC5CDR-style corpus (mentions with ids,
 * CID relations). */
lm_status pairs_kb_build(const lm_pt_corpus *c, pairs_kb **out, lm_error *err);
void pairs_kb_free(pairs_kb *kb);
/* Counts for (chem, dis) ("MESH:" optional), without what gold document
 * skip (may be NULL) contributed; with lex and the disease's tree numbers
 * also the chemical's CID pairs with broader / narrower diseases. */
void pairs_kb_lookup(const pairs_kb *kb, const char *chem, const char *dis, const lm_pt_doc *skip,
                     const lm_lexicon *lex, const char *dis_trees, pairs_kb_counts *out);
/* Model file section: size in bytes, write (p has pairs_kb_size bytes),
 * read (LM_ERR_CORRUPT on any inconsistency; *used bytes consumed). */
size_t pairs_kb_size(const pairs_kb *kb);
void pairs_kb_write(const pairs_kb *kb, unsigned char *p);
lm_status pairs_kb_read(const unsigned char *p, size_t len, size_t *used, pairs_kb **out,
                        lm_error *err);
uint32_t pairs_kb_docs(const pairs_kb *kb);
size_t pairs_kb_pairs(const pairs_kb *kb);

struct lm_pairs_model {
    unsigned bits;
    uint32_t mask;
    int has[PAIRS_HEADS];
    float bias[PAIRS_HEADS];
    float threshold[PAIRS_HEADS];      /* on the calibrated probability */
    float cal_a[PAIRS_HEADS], cal_b[PAIRS_HEADS];   /* p = sigmoid(a * logit + b) */
    float *w[PAIRS_HEADS];             /* dense 2^bits table per head, NULL if absent */
    const lm_lexicon *lex;             /* concepts' MeSH trees (not owned), may be NULL */
    pairs_kb *kb;                      /* knowledge prior (owned), may be NULL */
};

typedef struct pairs_feat {
    uint32_t idx;
    int32_t sent;                      /* -1: document-level */
} pairs_feat;

typedef struct pairs_mention {
    int type;                          /* LM_ENT_CHEMICAL / LM_ENT_DISEASE */
    int32_t sent;
    uint32_t tok_start, tok_end;       /* token range [start, end) */
    uint32_t doc_index;                /* index into doc->mentions */
} pairs_mention;

typedef struct pairs_concept {
    int type;
    size_t key_off;                    /* into scratch keys buffer */
    size_t text_off;                   /* lowercased text of the first mention */
    uint32_t first_mention;            /* doc->mentions index of first mention */
    uint32_t n_mentions;
    uint32_t first_tok;
    int in_title;
    int in_last;
    int rank;                          /* 1 = most frequent of its type */
    int general;                       /* its text is inside another concept's text */
    uint32_t link_off, n_links;        /* into scratch links: pairs_mention indices */
    int trig;                          /* trigger classes around its mentions */
    int alone;                         /* in a sentence with no concept of the other type */
    int partners;                      /* other-type concepts sharing a sentence with it */
    const char *trees;                 /* MeSH tree numbers ('|'-joined), "" unknown */
    int broader;                       /* a concept of its type in the doc is under it */
    int narrower;                      /* it is under a concept of its type in the doc */
} pairs_concept;

typedef struct pairs_cand {
    uint32_t chem, dis;                /* concept indices */
    size_t feat_off, n_feat;           /* into scratch feats */
    int n_shared;                      /* sentences holding both */
} pairs_cand;

struct lm_pairs_scratch {
    lm_utf8_map map;
    lm_spans tokens;
    lm_spans sent_spans;               /* bytes, when the doc has no sentences */
    uint32_t *sent_tok;                /* n_sents + 1 token boundaries */
    int32_t *tok_sent;
    unsigned char *tok_trig;           /* trigger classes of each token's word */
    int *sent_section;
    size_t n_sents, cap_sents, cap_sect, cap_toks, cap_trig;
    pairs_mention *mentions;
    size_t n_mentions, cap_mentions;
    pairs_concept *concepts;
    size_t n_concepts, cap_concepts;
    uint32_t *links;
    size_t n_links, cap_links;
    lm_buf keys;                       /* NUL-separated strings */
    pairs_cand *cands;
    size_t n_cands, cap_cands;
    pairs_feat *feats;
    size_t n_feats, cap_feats;
    uint32_t *uniq;
    size_t cap_uniq;
    int32_t *best;                     /* per sentence: gap, chem and disease mention */
    size_t cap_best;
    float *hs;                         /* head scores, LM_PAIR_LABEL_COUNT per candidate */
    size_t cap_hs;
    double *z2;                        /* second-stage logits before stack features */
    size_t cap_z2;
    unsigned char *lab;                /* each candidate's decided label */
    size_t cap_lab;
    const pairs_kb *kb;                /* knowledge prior, may be NULL */
    const lm_pt_doc *kb_skip;          /* gold document left out of its counts */
    const lm_lexicon *lex;             /* MeSH trees of the knowledge prior's diseases */
    /* feature sink: hashing (bits) or a callback (inspection) */
    uint32_t mask;
    void (*sink)(void *ctx, const char *feat, int32_t sentence);
    void *sink_ctx;
    int sink_only_cand;                /* with sink: only this candidate */
    lm_status st;                      /* first allocation failure while emitting */
};

/* Builds concepts, candidates and features for doc.  mask is the model's
 * hash mask; lex (may be NULL) gives the concepts' MeSH tree numbers; kb
 * (may be NULL) the knowledge prior, without the contribution of gold
 * document kb_skip (may be NULL: a training document's own). */
lm_status pairs_prepare(lm_pairs_scratch *s, const lm_doc *doc, uint32_t mask,
                        const lm_lexicon *lex, const pairs_kb *kb, const lm_pt_doc *kb_skip,
                        lm_error *err);
/* Is one of the '|'-joined tree numbers of a a proper ancestor of one of
 * b's ("C10.597" of "C10.597.742")? */
int pairs_tree_above(const char *a, const char *b);
/* The hashed index of a feature string (tests). */
uint32_t pairs_feature_index(const char *feat, uint32_t mask);
/* Sorted unique feature indices of candidate c in s->uniq; returns count. */
size_t pairs_cand_unique(lm_pairs_scratch *s, const pairs_cand *c, lm_error *err);
const char *pairs_key(const lm_pairs_scratch *s, size_t off);
float pairs_sigmoid(double x);
/* Stack features of candidate i of a document whose n candidates have
 * first-stage induces scores p1 and concept numbers chem/dis; writes up to
 * PAIRS_STACK_MAX hashed indices to out and returns how many. */
size_t pairs_stack_features(const float *p1, const uint32_t *chem, const uint32_t *dis, size_t n,
                            size_t i, uint32_t mask, uint32_t *out);
/* Of n cuts, from the highest threshold down, with F1 f[k] (negative: no
 * cut), the first whose F1 is within slack of the best (n when there is
 * none): on the flat top of the curve, its precise end. */
size_t pairs_precise_cut(const double *f, size_t n, double slack);
/* A head's calibrated probability from its raw logit. */
float pairs_calibrate(const lm_pairs_model *m, int head, double logit);
lm_status pairs_model_new(unsigned bits, lm_pairs_model **out, lm_error *err);
lm_status pairs_model_add_head(lm_pairs_model *m, lm_pair_label l, lm_error *err);

#endif
