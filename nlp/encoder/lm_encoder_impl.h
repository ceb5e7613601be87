/*
 * Internals shared by the encoder's source files: lm_encoder_load.c
 * (configuration, tokenizer and weights), lm_encoder_run.c (forward pass
 * and kernels) and lm_encoder_tasks.c (embed, tag, classify).
 *
 * Weights are row-major [out][in] as PyTorch's Linear stores them, so a
 * layer computes Y = X W^T + b with one sgemm (B transposed).  Tensors
 * point into the safetensors mapping when they are aligned F32, else into
 * heap copies converted once at load; Q, K and V are always a heap copy,
 * concatenated into one [3H][H] matrix so attention needs one GEMM.
 * In bf16 precision the encoder layers' four weight matrices are packed
 * for lm_bf16_gemm at load and their f32 heap copies freed.
 */
#ifndef LM_ENCODER_IMPL_H
#define LM_ENCODER_IMPL_H

#include "lm_bf16.h"
#include "lm_bpe.h"
#include "lm_encoder.h"
#include "lm_safetensors.h"
#include "lm_tokseq.h"
#include "lm_vocab.h"
#include "lm_wordpiece.h"

typedef enum enc_family { FAM_BERT, FAM_ROBERTA, FAM_DISTILBERT } enc_family;

typedef enum enc_act {
    ACT_GELU,        /* exact: x/2 (1 + erf(x / sqrt 2)) */
    ACT_GELU_TANH,   /* gelu_new, gelu_pytorch_tanh, gelu_fast */
    ACT_QUICK_GELU,  /* x sigmoid(1.702 x) */
    ACT_RELU,
    ACT_SILU
} enc_act;

typedef struct enc_linear {
    const float *w;   /* [out][in]; NULL when packed */
    const float *b;   /* [out] */
    int out, in;
    lm_bf16_weights packed;   /* bf16 precision: the encoder layers' weights */
} enc_linear;

typedef struct enc_layer {
    enc_linear qkv;            /* fused [3H][H] */
    enc_linear attn_out;
    const float *ln1_g, *ln1_b;
    enc_linear ffn_in, ffn_out;
    const float *ln2_g, *ln2_b;
} enc_layer;

/* What a label means for mention decoding. */
typedef enum label_kind { LK_OUTSIDE, LK_BEGIN, LK_INSIDE, LK_LAST, LK_UNIT } label_kind;

struct lm_encoder {
    lm_encoder_info info;
    enc_family family;
    enc_act act;
    float eps;
    int head_dim;
    int pos_offset;                 /* RoBERTa: padding_idx + 1 */

    const float *word_emb, *pos_emb, *type_emb;   /* type_emb NULL: none */
    const float *emb_ln_g, *emb_ln_b;
    enc_layer *layers;

    /* heads */
    enc_linear pre;                 /* BERT pooler / RoBERTa dense / DistilBERT pre_classifier */
    int pre_act;                    /* 1 tanh, 2 relu, 0 none */
    enc_linear classifier;

    /* labels */
    char **labels;
    char **groups;
    label_kind *label_kind;
    int *label_group;               /* group index, -1 for O */

    /* tokenizer */
    lm_vocab *vocab;
    lm_bpe *bpe;                    /* NULL: WordPiece */
    lm_wordpiece_config wp;
    lm_bpe_config bpe_cfg;
    int32_t cls_id, sep_id, pad_id, unk_id;

    int stride;
    int batch_tokens;
    lm_encoder_precision precision;
    const char *unsupported_module; /* sentence-transformers module we cannot run */

    lm_safetensors *st;
    void **owned;                   /* heap weights */
    size_t n_owned, cap_owned;
    const char *files[16];          /* files the content id covers */
    size_t n_files;
};

struct lm_encoder_ws {
    const lm_encoder *enc;
    int cap_tokens;                 /* rows of the activation buffers */
    int cap_len;                    /* longest sequence (scores buffer) */
    float *x, *tmp, *ctx, *qkv, *ffn, *scores;
    uint32_t *bf16_scratch;         /* bf16 precision: lm_bf16_gemm's A blocks */
    float *row_inv;                 /* 1 / softmax sum of each score row */
    float *logits;                  /* tokens or sequences x n_labels */
    float *pooled;                  /* sequence head scratch */
    int *seq_start;                 /* row of each sequence's first token */
    int *seq_len;
    int n_seqs, n_tokens;           /* last forward pass */
    int cap_seqs;

    lm_tokseq tok;                  /* one text's tokens */
    int32_t *in_ids;                /* model input of one text */
    uint32_t *in_start, *in_end;
    size_t in_cap;

    /* batching */
    int32_t *batch_ids;             /* token ids of the texts of one call */
    size_t batch_cap;
    size_t *batch_text;             /* caller's index of each sequence of a pass */
    size_t batch_text_cap;

    /* tagging: per-token scores of the whole text, and entities */
    float *tag_prob;                /* tokens x n_labels */
    int *tag_ctx;                   /* context of the window each row came from */
    size_t tag_cap;
    struct enc_entity *ents;
    size_t ents_cap;

    lm_encoder_stats stats;
};

/* A scored token or word on its way to a mention. */
typedef struct enc_entity {
    uint32_t start, end;
    int label;
    float score;
} enc_entity;

/* lm_encoder_run.c */
lm_status enc_ws_reserve(lm_encoder_ws *ws, int tokens, int seqs, lm_error *err);
void enc_forward(const lm_encoder *e, lm_encoder_ws *ws, const int32_t *ids, const int *lens,
                 int n_seqs);
void enc_head_forward(const lm_encoder *e, lm_encoder_ws *ws);
void enc_softmax_row(float *x, int n);

#endif
