/*
 * lm_encoder: BERT-family transformer encoders (BERT, RoBERTa, DistilBERT)
 * run from a Hugging Face model directory, on OpenBLAS.
 *
 * This is the public face of nlp/encoder/, a sub-folder because the
 * encoder is a subsystem of its own (JSON configs, two tokenizers, the
 * safetensors reader, the forward pass and the task heads: ~3,000 lines)
 * that the rest of nlp/ does not share.  A model directory is what
 * `litmine model fetch` (or the hub) gives:
 *   config.json             model_type bert | roberta | distilbert
 *   model.safetensors       F32, F16 or BF16 weights
 *   vocab.txt               WordPiece (BERT, DistilBERT), or
 *   vocab.json, merges.txt  byte-level BPE (RoBERTa)
 *   tokenizer_config.json   optional: do_lower_case, strip_accents, ...
 *   1_Pooling/config.json, modules.json, sentence_bert_config.json
 *                           optional (sentence-transformers): pooling,
 *                           normalisation, max_seq_length
 * Anything else (another model_type, relative position embeddings, a
 * decoder, a SentencePiece tokenizer, pytorch_model.bin only) fails to
 * load with a message naming what is unsupported.
 *
 * Use: one lm_encoder per process (read-only after load; the weights are
 * memory-mapped and shared by all threads), one lm_encoder_ws per thread
 * (scratch sized once, reused; nothing is allocated per token).  Results
 * do not depend on how texts are batched or on the thread count.
 *
 * Offsets are byte offsets into the UTF-8 text given.  Texts longer than
 * the model's window: lm_encoder_embed() truncates them (what
 * sentence-transformers does); lm_encoder_tag() slides overlapping windows
 * over the whole text and takes each token's scores from the window where
 * it has the most context on both sides.
 */
#ifndef LM_ENCODER_H
#define LM_ENCODER_H

#include "../../util/lm_error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lm_encoder lm_encoder;
typedef struct lm_encoder_ws lm_encoder_ws;

typedef enum lm_encoder_pooling {
    LM_ENC_POOL_DEFAULT,   /* the model's own (1_Pooling/config.json), else mean */
    LM_ENC_POOL_MEAN,      /* mean of the last hidden states over all tokens */
    LM_ENC_POOL_CLS,       /* the first token's ([CLS] / <s>) last hidden state */
    LM_ENC_POOL_UNSUPPORTED   /* the model asks for one litmine lacks (max, ...) */
} lm_encoder_pooling;

typedef enum lm_encoder_head {
    LM_ENC_HEAD_NONE,      /* bare encoder (feature extraction) */
    LM_ENC_HEAD_TOKEN,     /* *ForTokenClassification */
    LM_ENC_HEAD_SEQUENCE   /* *ForSequenceClassification */
} lm_encoder_head;

/* How token predictions become mentions; both as the Hugging Face
 * token-classification pipeline's aggregation_strategy of that name. */
typedef enum lm_encoder_agg {
    LM_ENC_AGG_SIMPLE,     /* group consecutive tokens by label */
    LM_ENC_AGG_FIRST       /* a word takes its first sub-token's label */
} lm_encoder_agg;

/* Arithmetic of the encoder layers' matrix products (the attention
 * products, embeddings, LayerNorm, activations and heads stay f32).
 * BF16 rounds weights (once, at load) and activations to bfloat16 and
 * sums in f32: about 1.5-2x the speed on CPUs with AVX512_BF16, at an
 * accuracy cost measured in bench/README.md; loading fails with a
 * message on CPUs without it. */
typedef enum lm_encoder_precision {
    LM_ENC_PREC_F32,
    LM_ENC_PREC_BF16
} lm_encoder_precision;

/* "f32" or "bf16" into *out; -1 for anything else. */
int lm_encoder_precision_parse(const char *name, lm_encoder_precision *out);

/* Whether this CPU runs LM_ENC_PREC_BF16. */
int lm_encoder_bf16_supported(void);

typedef struct lm_encoder_options {
    int max_length;        /* tokens per window incl. specials; 0 or more
                              than the model allows: the model's limit */
    int stride;            /* tokens shared by consecutive tag windows;
                              0: a quarter of the window */
    int batch_tokens;      /* tokens per forward pass (a workspace's
                              size); 0: 2048 */
    lm_encoder_precision precision;   /* 0: F32 */
} lm_encoder_options;

/* The options' precision from a config value or option argument named
 * what (e.g. "[ner] precision"): NULL or "" is f32; another word than
 * f32 or bf16 is LM_ERR_USAGE naming it. */
lm_status lm_encoder_precision_option(lm_encoder_options *opt, const char *value,
                                      const char *what, lm_error *err);

typedef struct lm_encoder_info {
    const char *dir;
    const char *model_type;      /* "bert", "roberta", "distilbert" */
    const char *architecture;    /* config architectures[0], or "" */
    const char *tokenizer;       /* "wordpiece" or "byte-level BPE" */
    int n_layers, hidden, n_heads, intermediate;
    int vocab_size, max_positions, type_vocab_size;
    int max_length;              /* tag window, specials included */
    int embed_max_length;        /* embed truncation (sentence_bert max_seq_length) */
    const char *hidden_act;
    double layer_norm_eps;
    int lowercase, strip_accents;
    const char *weights_dtype;   /* "F32", "F16", "BF16" or "mixed" */
    uint64_t weights_file_bytes;
    uint64_t n_params;
    uint64_t heap_weight_bytes;  /* converted, fused and packed weights held in memory */
    const char *precision;       /* "f32" or "bf16" (lm_encoder_options) */
    lm_encoder_head head;
    int n_labels;
    const char *const *labels;   /* id2label, n_labels entries */
    int n_groups;                /* entity types: labels without B-/I-/... */
    const char *const *groups;
    lm_encoder_pooling pooling;  /* the model's default */
    const char *pooling_name;    /* as the model names it, e.g. "mean" */
    int normalize;               /* sentence-transformers Normalize module */
} lm_encoder_info;

lm_status lm_encoder_load(lm_encoder **out, const char *dir, const lm_encoder_options *opt,
                          lm_error *err);
void lm_encoder_free(lm_encoder *enc);
const lm_encoder_info *lm_encoder_get_info(const lm_encoder *enc);

/* Whether a config.json describes a model litmine can run (model_type,
 * dimensions, activation, position embeddings), without loading it. */
lm_status lm_encoder_check_config(const char *config_path, lm_error *err);

/* SHA-256 over the files that determine the model's outputs (config,
 * tokenizer files, pooling files, weights): a content id for tagging
 * stored vectors.  Reads the whole weights file (about a second for
 * BERT-base).  hex gets 64 digits and a NUL. */
lm_status lm_encoder_content_id(const lm_encoder *enc, char hex[65], lm_error *err);

/* A cheap stand-in for the content id: SHA-256 over the same files'
 * paths, sizes, modification times and inodes (no reading).  Equal
 * fingerprints mean untouched files, so a stored content id still holds;
 * a different one means: compute the content id again. */
lm_status lm_encoder_fingerprint(const lm_encoder *enc, char hex[65], lm_error *err);

/* Per-thread working memory. */
lm_status lm_encoder_ws_init(lm_encoder_ws **out, const lm_encoder *enc, lm_error *err);
void lm_encoder_ws_free(lm_encoder_ws *ws);

/* Pooled embedding of each of n texts into out (n x hidden floats),
 * L2-normalised when the model says so.  pooling DEFAULT takes the
 * model's. */
lm_status lm_encoder_embed(const lm_encoder *enc, lm_encoder_ws *ws, const char *const *texts,
                           const size_t *lens, size_t n, lm_encoder_pooling pooling, float *out,
                           lm_error *err);

/* Token classification: the mentions in one text. */
typedef struct lm_encoder_mention {
    uint32_t start, end;   /* bytes */
    int group;             /* index into info->groups */
    float score;           /* mean probability of the tokens' labels */
} lm_encoder_mention;

typedef struct lm_encoder_mentions {
    lm_encoder_mention *items;
    size_t n, cap;
} lm_encoder_mentions;

void lm_encoder_mentions_init(lm_encoder_mentions *m);
void lm_encoder_mentions_free(lm_encoder_mentions *m);

/* Needs a token-classification model.  out is reset first. */
lm_status lm_encoder_tag(const lm_encoder *enc, lm_encoder_ws *ws, const char *text, size_t len,
                         lm_encoder_agg agg, lm_encoder_mentions *out, lm_error *err);

/* Sequence classification: logits of n texts into out (n x n_labels). */
lm_status lm_encoder_classify(const lm_encoder *enc, lm_encoder_ws *ws, const char *const *texts,
                              const size_t *lens, size_t n, float *out, lm_error *err);

/* ---- lower level: tokens and raw forward passes (tests, benchmarks) ---- */

/* The model's input for one text: [CLS] tokens [SEP] (or <s> ... </s>),
 * truncated to max_len tokens (0: the embed limit).  ids/start/end point
 * into ws and stay valid until the next call with ws; specials have the
 * empty span (0, 0). */
typedef struct lm_encoder_input {
    const int32_t *ids;
    const uint32_t *start, *end;
    size_t n;
} lm_encoder_input;

lm_status lm_encoder_tokenize(const lm_encoder *enc, lm_encoder_ws *ws, const char *text,
                              size_t len, int max_len, lm_encoder_input *out, lm_error *err);

/* Runs the encoder on n_seqs sequences of token ids (lens[i] each,
 * specials included, concatenated in ids) and returns the last hidden
 * states of all their tokens, packed in order (sum(lens) x hidden),
 * valid until the next call with ws.  sum(lens) must fit the workspace
 * (batch_tokens) and each length the model's positions. */
lm_status lm_encoder_forward(const lm_encoder *enc, lm_encoder_ws *ws, const int32_t *ids,
                             const int *lens, int n_seqs, const float **hidden, lm_error *err);

/* The head's logits for the last forward pass: per token for a token
 * head (sum(lens) x n_labels), per sequence for a sequence head
 * (n_seqs x n_labels). */
lm_status lm_encoder_head_logits(const lm_encoder *enc, lm_encoder_ws *ws, const float **logits,
                                 lm_error *err);

/* Time and work inside the workspace's matrix products since
 * ws_init (or the last reset): for checking the GEMM rate. */
typedef struct lm_encoder_stats {
    double gemm_seconds;
    double gemm_flops;
    double bf16_seconds;     /* the part of the above in bf16 products */
    double bf16_flops;
    double total_seconds;    /* whole forward passes */
    uint64_t tokens;
} lm_encoder_stats;

void lm_encoder_ws_stats(lm_encoder_ws *ws, lm_encoder_stats *out, int reset);

/* OpenBLAS threads for the whole process (OpenBLAS has one setting). */
void lm_encoder_set_blas_threads(int n);

#endif
