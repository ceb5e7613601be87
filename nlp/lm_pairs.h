/*
 * lm_pairs: chemical–disease relation extraction at the document level.
 *
 * For one annotated document (lm_doc: text, sentences, chemical and disease
 * mentions with concept ids) every (chemical concept, disease concept) pair
 * is a candidate.  Mentions are grouped by concept id ("MESH:D1|MESH:D2"
 * counts as each part) or, without an id, by their lowercased text.  Each
 * candidate is described by hashed sparse features — sentence
 * co-occurrence, the words between and around the closest mention pair of
 * every shared sentence, trigger and negation classes, title presence,
 * frequency ranks, section labels, and the knowledge prior: how often the
 * training corpus relates the pair and each concept (a table built at
 * training time and stored in the model file, lm_pairs_kb.c) — and scored
 * by one logistic-regression head per relation label:
 *
 *   induces     trained on BioCreative V CDR "CID" relations
 *   treats      trained on BioRED Negative_Correlation chemical–disease pairs
 *   associated  trained on any BioRED chemical–disease relation
 *
 * The induces head has a second stage that rescores each pair knowing the
 * first-stage scores of its competitors in the document (its rank overall,
 * among the chemicals of its disease and the diseases of its chemical).
 * Each head's logit is mapped to a calibrated probability (Platt scaling
 * fitted on out-of-fold scores of its training documents), and a pair gets
 * the first label, in that order, whose probability reaches the head's
 * threshold (stored in the model, tuned for F1 on the same out-of-fold
 * scores; for induces, the precise end of the F1 plateau); every other
 * candidate is only a co-occurrence
 * (LM_PAIR_NONE).  One rule sits on top, from BC5CDR's guidelines (the
 * most specific disease is the one related): a chemical's induces pair
 * with a disease whose MeSH tree number is an ancestor of another disease
 * it induces in the abstract, at least as probably, takes the next label
 * that holds instead.  This is the one decision: the pipeline stores it, the
 * exports and queries show it and `litmine eval cid` scores it.
 *
 * Evidence: features of a shared sentence carry that sentence's index, so
 * the shared sentence whose features speak most for the decided label is
 * the evidence; when no shared sentence speaks for it (the decision rests
 * on document-level cues, or the two concepts never share a sentence) the
 * evidence is the nearest sentences naming each, spanning both when they
 * are adjacent.
 *
 * A loaded model is immutable: any number of threads may call
 * lm_pairs_extract on it at once, each with its own scratch (or NULL, which
 * allocates one per call).  Model files: magic "LMPAIR", format version,
 * feature-set version, zlib-compressed sparse weights and knowledge table,
 * CRC-32 of the whole file; a bad magic, checksum or table is
 * LM_ERR_CORRUPT, another format or feature-set version LM_ERR_FORMAT
 * (retrain).
 */
#ifndef LM_PAIRS_H
#define LM_PAIRS_H

#include "../util/lm_config.h"
#include "../util/lm_buf.h"
#include "../util/lm_error.h"
#include "../util/lm_doc.h"
#include "lm_lexicon.h"
#include "lm_ner.h"
#include "lm_pubtator.h"

#include <stddef.h>
#include <stdint.h>

typedef enum lm_pair_label {
    LM_PAIR_NONE = 0,
    LM_PAIR_INDUCES,      /* chemical causes / worsens the disease (BC5CDR CID) */
    LM_PAIR_TREATS,       /* chemical treats / prevents / reverses it */
    LM_PAIR_ASSOCIATED,   /* some other reported relation */
    LM_PAIR_LABEL_COUNT
} lm_pair_label;

/* "none", "induces", "treats", "associated". */
const char *lm_pair_label_name(lm_pair_label l);

/* The relation stored for a candidate no head labels: the two concepts
 * only co-occur in the abstract. */
#define LM_PAIR_COOCCURS "cooccurs"

typedef struct lm_pair {
    char *chem_id;        /* concept id ("MESH:D008012"), or "text:<lowercased>" */
    char *chem_text;      /* text of the concept's first mention */
    char *dis_id;
    char *dis_text;
    lm_pair_label label;
    float score;          /* calibrated probability of label; for LM_PAIR_NONE the
                             highest probability any head gives the pair */
    float head_score[LM_PAIR_LABEL_COUNT];   /* every head's probability (0 if absent) */
    int32_t sentence;     /* first evidence sentence (index into doc->sentences), -1 if none */
    int32_t sent_start;   /* code-point span of the evidence sentence(s) in doc->text */
    int32_t sent_end;
    int same_sentence;    /* 1 when the two concepts share a sentence */
} lm_pair;

typedef struct lm_pairs_result {
    lm_pair *v;           /* sorted by decreasing score */
    size_t n, cap;
} lm_pairs_result;

void lm_pairs_result_init(lm_pairs_result *r);
void lm_pairs_result_free(lm_pairs_result *r);
void lm_pairs_result_reset(lm_pairs_result *r);

typedef struct lm_pairs_model lm_pairs_model;
typedef struct lm_pairs_scratch lm_pairs_scratch;

#define LM_PAIRS_DEFAULT_MODEL "pairs.bin"

/* LM_ERR_IO when unreadable, LM_ERR_CORRUPT on a bad magic, checksum or
 * payload, LM_ERR_FORMAT when written by an incompatible version. */
lm_status lm_pairs_model_load(const char *path, lm_pairs_model **out, lm_error *err);
/* Atomic (temporary file + rename). */
lm_status lm_pairs_model_save(const lm_pairs_model *m, const char *path, lm_error *err);
void lm_pairs_model_free(lm_pairs_model *m);
/* [models] dir + "/pairs.bin", else "models/pairs.bin".  cfg may be NULL. */
lm_status lm_pairs_default_path(const lm_config *cfg, lm_buf *out, lm_error *err);

/* Where the model finds the concepts' MeSH tree numbers, from which it
 * learns that a disease is broader than another of the abstract (the
 * annotators of BC5CDR relate the most specific one); the pipeline gives it
 * the ner stage's lexicon.  lex must outlive the model's use; NULL: none. */
void lm_pairs_model_use_lexicon(lm_pairs_model *m, const lm_lexicon *lex);

/* Head thresholds (calibrated probabilities); a label without a trained
 * head has threshold > 1 and never fires. */
float lm_pairs_model_threshold(const lm_pairs_model *m, lm_pair_label l);
void lm_pairs_model_set_threshold(lm_pairs_model *m, lm_pair_label l, float t);
int lm_pairs_model_has_head(const lm_pairs_model *m, lm_pair_label l);

lm_status lm_pairs_scratch_init(lm_pairs_scratch **out, lm_error *err);
void lm_pairs_scratch_free(lm_pairs_scratch *s);

/* Classifies every candidate pair of doc and replaces out's contents with
 * those that get a label (sorted by decreasing score).  scratch may be NULL.  Mention types are
 * lm_ent_type values (LM_ENT_CHEMICAL, LM_ENT_DISEASE; others ignored).
 * Sentence 0 is taken to be the title (as lm_pairs_doc_from_pubtator
 * guarantees); when doc has no sentences they are split here, and evidence
 * offsets refer to those. */
lm_status lm_pairs_extract(const lm_pairs_model *m, lm_pairs_scratch *scratch,
                           const lm_doc *doc, lm_pairs_result *out, lm_error *err);

/* Every candidate, whatever its score (label NONE when none passes): what
 * the pipeline stores, the co-occurrences included. */
lm_status lm_pairs_extract_all(const lm_pairs_model *m, lm_pairs_scratch *scratch,
                               const lm_doc *doc, lm_pairs_result *out, lm_error *err);

/* ---- feature inspection (tests, debugging) ---- */

/* Calls cb with the feature strings of candidate (chem_id, dis_id) of doc
 * (MeSH trees from lex, may be NULL); sentence is the sentence a feature
 * came from, -1 for document-level features.  Returns LM_ERR_NOTFOUND when
 * the pair is not a candidate. */
lm_status lm_pairs_features(const lm_doc *doc, const lm_lexicon *lex, const char *chem_id,
                            const char *dis_id,
                            void (*cb)(void *ctx, const char *feat, int32_t sentence),
                            void *ctx, lm_error *err);

/* ---- documents from PubTator ---- */

/* Builds a doc from a PubTator document with its gold mentions: text,
 * sentences (title and abstract split separately, so the title is always
 * sentence 0), and Chemical/Disease/Gene mentions (other types skipped)
 * with ids qualified as "MESH:..." (composites "MESH:D1|MESH:D2"; "-1"
 * becomes NULL).  out must be initialised; it is replaced. */
lm_status lm_pairs_doc_from_pubtator(const lm_pt_doc *pt, lm_doc *out, lm_error *err);

/* The gold Chemical and Disease mentions of gold as tagger output (byte
 * spans into doc->text, doc built from gold's text without its mentions),
 * so that gold entities can go through the tagger's path
 * (lm_pairs_doc_add_ner), with the abbreviation definitions the ner stage
 * would hand on (the detector's, and a bracketed word after a chemical:
 * lm_abbrev_add_bracketed).  Types are read with lm_ent_type_parse, or with
 * lm_ent_type_from_label when loose_types.  Mentions with bad offsets are
 * skipped; out is emptied first. */
lm_status lm_pairs_gold_as_ner(const lm_pt_doc *gold, const lm_doc *doc, int loose_types,
                               lm_ner_mentions *out, lm_error *err);

/* Adds a tagger's chemical and disease mentions (byte spans into doc->text;
 * other types skipped) to doc, normalised with lex (may be NULL) restricted
 * to namespace ns ("MESH:" for BC5CDR; NULL = any) through
 * lm_lexicon_lookup_mention.  Abbreviations propagate (the tagger's list,
 * ner->abbrevs, when it gives one, else lm_abbrev_detect's): a short
 * form takes the id of its long form's mention when that has one (else
 * keeps the lexicon's), and uses of a short form the tagger missed become
 * mentions of the long form's type and id.  A short form the document
 * uses without defining it ("ALF" when only "ATT-ALF" is defined) takes
 * the id of the mention of its type whose word initials it spells (or,
 * when the lexicon cannot read it, that it abbreviates by the detector's
 * looser match), if all such mentions agree.  When doc has no
 * sentences they are split first, so mentions get sentence numbers. */
lm_status lm_pairs_doc_add_ner(lm_doc *doc, const lm_ner_mentions *ner, const lm_lexicon *lex,
                               const char *ns, lm_error *err);

/* The document gold as the pipeline would see it with a perfect tagger:
 * its Chemical and Disease spans normalised by lm_pairs_doc_add_ner with lex
 * and ns (ids "MESH:...", "-1" when none; abbreviation uses the spans miss
 * added), other mentions dropped, text and relations copied.  Used to train
 * the pair classifier on the ids it meets end to end, and by `litmine eval
 * cid --gold-spans`.  out is initialised here; lm_pt_doc_free releases it. */
lm_status lm_pairs_renormalize(const lm_pt_doc *gold, const lm_lexicon *lex, const char *ns,
                               lm_pt_doc *out, lm_error *err);

/* Appends the relation line (rel_type, chem_id, dis_id) to pt with the ids
 * written as BC5CDR writes them ("MESH:" dropped); nothing when either id
 * is a text: key (a concept without an id matches no gold id). */
lm_status lm_pairs_add_relation(lm_pt_doc *pt, const char *rel_type, const char *chem_id,
                                const char *dis_id, lm_error *err);

/* Appends the predicted relations of result to pt as PubTator relation
 * lines of type rel_type (e.g. "CID") for pairs labelled label, with ids
 * unqualified ("D008012") and composite/text keys skipped where they are
 * not concept ids. */
lm_status lm_pairs_result_to_pubtator(const lm_pairs_result *r, lm_pair_label label,
                                      const char *rel_type, lm_pt_doc *pt, lm_error *err);

/* ---- training (lm_pairs_train.c) ---- */

typedef struct lm_pairs_train_opts {
    unsigned hash_bits;       /* feature table size 2^bits (default 20) */
    int epochs;               /* default 15 */
    double l2;                /* default 0.2, applied when a feature fires */
    double learning_rate;     /* AdaGrad step, default 0.02 */
    unsigned seed;            /* example order */
    int runs;                 /* weights averaged over this many orders (default 5) */
    int stack;                /* second-stage induces head (default 1) */
    int knowledge;            /* knowledge prior from cid_train's CID pairs (default 1) */
    int biored_induces;       /* also train "induces" on BioRED Positive_Correlation */
    int verbose;              /* progress lines through log */
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
} lm_pairs_train_opts;

void lm_pairs_train_opts_default(lm_pairs_train_opts *o);

/* Corpora: cid_train (BC5CDR-style, CID = induces) is required, and is
 * also the knowledge prior's source (each training document, and its
 * twins by PMID, sees the counts without its own); biored_train
 * (may be NULL) trains the treats and associated heads (and induces with
 * biored_induces).  BioRED documents whose PMID is in held_out (may be
 * NULL: the BC5CDR documents being evaluated) are skipped so that the
 * figures measured on them stay honest.  Calibration and thresholds come
 * from out-of-fold scores of the training documents (5 folds), so no
 * development document is needed. */
typedef struct lm_pairs_train_data {
    const lm_pt_corpus *cid_train;
    const lm_pt_corpus *biored_train;
    const lm_pt_corpus *held_out;
    /* Optional: cid_train's documents again, in the same order, with the
     * ids a lexicon built without their BC5CDR annotations gives their spans
     * (lm_pairs_renormalize); "induces" also learns from them, so that it
     * fits the concepts left without an id end to end. */
    const lm_pt_corpus *cid_train_lexicon;
    /* Optional: the concepts' MeSH tree numbers (lm_pairs_model_use_lexicon);
     * the trained model does not keep it. */
    const lm_lexicon *lexicon;
    /* Optional: cid_train's documents again, in the same order, with the
     * mentions a tagger trained without them finds (`train ner
     * --jackknife-out`), normalised like cid_train_lexicon: what end to end
     * candidates look like, spurious mentions included.  "induces" also
     * learns from them, and its calibration and threshold come from their
     * out-of-fold scores, so that a probability means what it means end to
     * end. */
    const lm_pt_corpus *cid_train_ner;
} lm_pairs_train_data;

lm_status lm_pairs_train(const lm_pairs_train_data *data, const lm_pairs_train_opts *opts,
                         lm_pairs_model **out, lm_error *err);

/* Scores a model's "CID" predictions (label induces) on a gold corpus with
 * its gold entities (the official document-level rules of lm_eval).
 * threshold < 0 uses the model's labels; threshold >= 0 predicts the pairs
 * whose induces probability reaches it.  cooccurrence != 0 ignores the model and
 * predicts every candidate pair (the co-occurrence baseline; same_sentence
 * restricts it to pairs sharing a sentence). */
typedef struct lm_pairs_eval_opts {
    float threshold;
    int cooccurrence;
    int same_sentence;
} lm_pairs_eval_opts;

lm_status lm_pairs_eval_gold(const lm_pairs_model *m, const lm_pt_corpus *gold,
                             const lm_pairs_eval_opts *opts, long *tp, long *fp, long *fn,
                             lm_error *err);

#endif
