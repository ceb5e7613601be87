/*
 * The forward pass (see lm_encoder_impl.h for the weight layout).
 *
 * Sequences are packed, not padded: the T tokens of a batch are T rows of
 * every activation matrix, so each Linear layer is one sgemm over T rows
 * and no work is spent on padding.  Attention runs per sequence and head
 * on strided views of the fused QKV output (ld = 3H): S = Q K^T scaled
 * (one sgemm), e^(S - row max) in place (no mask: a sequence attends only
 * to its own rows), then P V written straight into the head's columns of
 * the context matrix (ld = H) — no transposes, no copies — and only those
 * d-wide rows divided by the softmax sums, rather than the L-wide rows of
 * P (one pass over the L x L scores saved).  Biases and residuals are
 * written into the output first and the sgemm accumulates onto them
 * (beta = 1), which saves a pass over the activations.
 *
 * The element-wise kernels (LayerNorm, GELU, softmax) are written over
 * 8-float GCC vectors with a polynomial exp and erf of our own, because
 * at -O2 without -ffast-math the compiler vectorises neither libm calls
 * nor float reductions; on x86-64 they are also compiled for AVX2 and
 * picked at run time (target_clones).  Accuracy: exp within 2 ulp, erf
 * within 1.5e-7 absolute (Abramowitz & Stegun 7.1.26), far below the
 * rounding differences of the matrix products.  The Makefile compiles this
 * file with -ffp-contract=fast: ISO C mode (-std=c11) otherwise forbids
 * GCC to fuse a * b + c into one FMA, and the polynomials above are chains
 * of them (GELU: 1.9 -> 1.0 ns per element).  Fusing rounds once instead
 * of twice, so results only get closer to the exact values.
 */
#include "lm_encoder_impl.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* clang (14) refuses calls that pass 32-byte vectors between an AVX clone
 * and the non-AVX helpers (an ABI error, not a warning), so clang builds,
 * used for its sanitizers and libFuzzer, take the portable path only.
 * Under ThreadSanitizer the clones' resolvers (ifuncs, run by the dynamic
 * loader before the TSan runtime is up) are instrumented and crash the
 * program at load: the portable path there too. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define KERNEL __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define KERNEL
#endif

/* 8-float vectors passed between static inline helpers: the ABI note GCC
 * gives for them without -mavx concerns calls across objects, which these
 * never are. */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- vector helpers ------------------------------------------------------ */

static inline v8f v8_load(const float *p)
{
    v8f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void v8_store(float *p, v8f v)
{
    memcpy(p, &v, sizeof v);
}

static inline v8f v8_splat(float x)
{
    return (v8f){x, x, x, x, x, x, x, x};
}

static inline v8i v8_splat_i(int32_t x)
{
    return (v8i){x, x, x, x, x, x, x, x};
}

static inline v8f v8_select(v8i mask, v8f a, v8f b)
{
    v8i ai, bi;
    memcpy(&ai, &a, sizeof ai);
    memcpy(&bi, &b, sizeof bi);
    v8i r = (mask & ai) | (~mask & bi);
    v8f f;
    memcpy(&f, &r, sizeof f);
    return f;
}

static inline v8f v8_min(v8f a, v8f b)
{
    return v8_select(a < b, a, b);
}

static inline v8f v8_max(v8f a, v8f b)
{
    return v8_select(a > b, a, b);
}

static inline float v8_sum(v8f v)
{
    return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

static inline float v8_hmax(v8f v)
{
    float m = v[0];
    for (int i = 1; i < 8; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

/* e^x for x in [-87.3, 88] (the caller keeps it there): x = n ln2 + r
 * with |r| <= ln2/2, e^r by its Taylor polynomial to degree 7 (truncation
 * error < 6e-9 relative), 2^n put into the exponent bits. */
static inline v8f v8_exp_core(v8f x)
{
    const v8f magic = v8_splat(12582912.0f);   /* 1.5 * 2^23: rounds to an integer */
    v8f t = x * v8_splat(1.44269504088896341f) + magic;
    v8f n = t - magic;
    v8f r = x - n * v8_splat(0.693145751953125f);   /* ln 2, high bits */
    r = r - n * v8_splat(1.428606765330187e-06f);    /* ln 2, low bits */
    v8f p = v8_splat(1.0f / 5040.0f);
    p = p * r + v8_splat(1.0f / 720.0f);
    p = p * r + v8_splat(1.0f / 120.0f);
    p = p * r + v8_splat(1.0f / 24.0f);
    p = p * r + v8_splat(1.0f / 6.0f);
    p = p * r + v8_splat(0.5f);
    p = p * r + v8_splat(1.0f);
    p = p * r + v8_splat(1.0f);
    v8i ti;
    memcpy(&ti, &t, sizeof ti);
    v8i scale = (ti - v8_splat_i(0x4B400000) + 127) << 23;   /* bits of magic: ti - that = n */
    v8f s;
    memcpy(&s, &scale, sizeof s);
    return p * s;
}

/* e^x, inputs clamped to the float range. */
static inline v8f v8_exp(v8f x)
{
    return v8_exp_core(v8_min(v8_max(x, v8_splat(-87.3f)), v8_splat(88.0f)));
}

/* erf, Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7), odd symmetry.
 * |x| is capped at 4, where erf is 1 to float precision (1 - 1.5e-8), so
 * exp(-x^2) needs no range clamp; sign and magnitude are bit operations. */
static inline v8f v8_erf(v8f x)
{
    v8i xi;
    memcpy(&xi, &x, sizeof xi);
    v8i sign = xi & v8_splat_i((int32_t)0x80000000u), mag = xi ^ sign;
    v8f ax;
    memcpy(&ax, &mag, sizeof ax);
    ax = v8_min(ax, v8_splat(4.0f));
    v8f t = v8_splat(1.0f) / (v8_splat(1.0f) + v8_splat(0.3275911f) * ax);
    v8f p = v8_splat(1.061405429f);
    p = p * t + v8_splat(-1.453152027f);
    p = p * t + v8_splat(1.421413741f);
    p = p * t + v8_splat(-0.284496736f);
    p = p * t + v8_splat(0.254829592f);
    v8f y = v8_splat(1.0f) - p * t * v8_exp_core(-ax * ax);
    v8i yi;
    memcpy(&yi, &y, sizeof yi);
    yi |= sign;   /* y >= 0 */
    memcpy(&y, &yi, sizeof y);
    return y;
}

static inline v8f v8_tanh(v8f x)
{
    x = v8_min(v8_max(x, v8_splat(-10.0f)), v8_splat(10.0f));
    return v8_splat(1.0f) - v8_splat(2.0f) / (v8_exp(x + x) + v8_splat(1.0f));
}

/* ---- element-wise kernels -------------------------------------------------- */

static inline v8f act8(enc_act act, v8f v)
{
    switch (act) {
    case ACT_GELU:
        return v8_splat(0.5f) * v * (v8_splat(1.0f) + v8_erf(v * v8_splat(0.70710678118654752f)));
    case ACT_GELU_TANH:
        return v8_splat(0.5f) * v *
               (v8_splat(1.0f) +
                v8_tanh(v8_splat(0.79788456080286536f) * (v + v8_splat(0.044715f) * v * v * v)));
    case ACT_QUICK_GELU:
        return v / (v8_splat(1.0f) + v8_exp(v8_splat(-1.702f) * v));
    case ACT_RELU:
        return v8_max(v, v8_splat(0.0f));
    default: /* ACT_SILU */
        return v / (v8_splat(1.0f) + v8_exp(-v));
    }
}

static inline float act1(enc_act act, float v)
{
    switch (act) {
    case ACT_GELU:
        return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    case ACT_GELU_TANH:
        return 0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v)));
    case ACT_QUICK_GELU:
        return v / (1.0f + expf(-1.702f * v));
    case ACT_RELU:
        return v > 0 ? v : 0;
    default:
        return v / (1.0f + expf(-v));
    }
}

/* One activation's loop: inlined with act a constant, so each case of
 * act_rows gets a loop of its own instead of a switch per vector. */
static inline __attribute__((always_inline)) void act_rows_as(enc_act act, float *x, size_t rows,
                                                              size_t n, const float *b)
{
    for (size_t r = 0; r < rows; r++, x += n) {
        size_t i = 0;
        for (; i + 8 <= n; i += 8)
            v8_store(x + i, act8(act, v8_load(x + i) + v8_load(b + i)));
        for (; i < n; i++)
            x[i] = act1(act, x[i] + b[i]);
    }
}

/* x[r][i] = act(x[r][i] + b[i]) over rows of n: the FFN's bias joins its
 * activation, so the product is written once and read once. */
KERNEL static void act_rows(enc_act act, float *x, size_t rows, size_t n, const float *b)
{
    switch (act) {
    case ACT_GELU:
        act_rows_as(ACT_GELU, x, rows, n, b);
        break;
    case ACT_GELU_TANH:
        act_rows_as(ACT_GELU_TANH, x, rows, n, b);
        break;
    case ACT_QUICK_GELU:
        act_rows_as(ACT_QUICK_GELU, x, rows, n, b);
        break;
    case ACT_RELU:
        act_rows_as(ACT_RELU, x, rows, n, b);
        break;
    default:
        act_rows_as(ACT_SILU, x, rows, n, b);
        break;
    }
}

/* y = LayerNorm(x) * g + b over rows of n (y may be x). */
KERNEL static void layernorm_rows(const float *x, float *y, size_t rows, size_t n,
                                  const float *g, const float *b, float eps)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        float *yr = y + r * n;
        v8f acc = v8_splat(0.0f);
        float tail = 0.0f;
        size_t i = 0;
        for (; i + 8 <= n; i += 8)
            acc += v8_load(xr + i);
        for (; i < n; i++)
            tail += xr[i];
        float mean = (v8_sum(acc) + tail) / (float)n;
        v8f m = v8_splat(mean);
        acc = v8_splat(0.0f);
        tail = 0.0f;
        for (i = 0; i + 8 <= n; i += 8) {
            v8f d = v8_load(xr + i) - m;
            acc += d * d;
        }
        for (; i < n; i++)
            tail += (xr[i] - mean) * (xr[i] - mean);
        float inv = 1.0f / sqrtf((v8_sum(acc) + tail) / (float)n + eps);
        v8f vi = v8_splat(inv);
        for (i = 0; i + 8 <= n; i += 8)
            v8_store(yr + i, (v8_load(xr + i) - m) * vi * v8_load(g + i) + v8_load(b + i));
        for (; i < n; i++)
            yr[i] = (xr[i] - mean) * inv * g[i] + b[i];
    }
}

/* x[i] = e^(x[i] - max x); returns the sum: a softmax row without its
 * normalisation, which attention applies to the (narrower) product. */
KERNEL static float exp_row(float *x, int n)
{
    int i = 0;
    v8f vm = v8_splat(-INFINITY);
    for (; i + 8 <= n; i += 8)
        vm = v8_max(vm, v8_load(x + i));
    float m = v8_hmax(vm);
    for (; i < n; i++)
        m = x[i] > m ? x[i] : m;
    v8f acc = v8_splat(0.0f);
    v8f mv = v8_splat(m);
    float tail = 0.0f;
    for (i = 0; i + 8 <= n; i += 8) {
        /* x - max <= 0: only the lower end of the range needs the clamp */
        v8f e = v8_exp_core(v8_max(v8_load(x + i) - mv, v8_splat(-87.3f)));
        v8_store(x + i, e);
        acc += e;
    }
    for (; i < n; i++) {
        x[i] = expf(x[i] - m);
        tail += x[i];
    }
    return v8_sum(acc) + tail;
}

KERNEL static void scale_row(float *x, int n, float f)
{
    int i = 0;
    v8f vf = v8_splat(f);
    for (; i + 8 <= n; i += 8)
        v8_store(x + i, v8_load(x + i) * vf);
    for (; i < n; i++)
        x[i] *= f;
}

static void softmax_row(float *x, int n)
{
    scale_row(x, n, 1.0f / exp_row(x, n));
}

void enc_softmax_row(float *x, int n)
{
    softmax_row(x, n);
}

/* Every row of y (rows x n) = b, or = r + b when r is given. */
KERNEL static void fill_rows(float *y, const float *r, const float *b, size_t rows, size_t n)
{
    for (size_t k = 0; k < rows; k++) {
        float *yk = y + k * n;
        if (r) {
            const float *rk = r + k * n;
            for (size_t i = 0; i < n; i++)
                yk[i] = rk[i] + b[i];
        } else {
            memcpy(yk, b, n * sizeof *yk);
        }
    }
}

/* ---- matrix products ---------------------------------------------------------- */

static void gemm(lm_encoder_ws *ws, int trans_b, int m, int n, int k, float alpha,
                 const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    double t0 = now_s();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha,
                a, lda, b, ldb, beta, c, ldc);
    ws->stats.gemm_seconds += now_s() - t0;
    ws->stats.gemm_flops += 2.0 * m * n * k;
}

/* y (T x out) (+)= x (T x in) W^T, in bf16 when the weights are packed. */
static void weight_product(lm_encoder_ws *ws, const enc_linear *l, const float *x, int t, float *y,
                           int accumulate)
{
    if (!l->packed.panels) {
        gemm(ws, 1, t, l->out, l->in, 1.0f, x, l->in, l->w, l->in, accumulate ? 1.0f : 0.0f, y,
             l->out);
        return;
    }
    double t0 = now_s();
    lm_bf16_gemm(t, x, l->in, &l->packed, y, l->out, accumulate, ws->bf16_scratch);
    double secs = now_s() - t0, flops = 2.0 * t * l->out * l->in;
    ws->stats.gemm_seconds += secs;
    ws->stats.gemm_flops += flops;
    ws->stats.bf16_seconds += secs;
    ws->stats.bf16_flops += flops;
}

/* y (T x out) = x (T x in) W^T + b [+ residual r] */
static void linear(lm_encoder_ws *ws, const enc_linear *l, const float *x, int t, float *y,
                   const float *r)
{
    fill_rows(y, r, l->b, (size_t)t, (size_t)l->out);
    weight_product(ws, l, x, t, y, 1);
}

/* ---- workspace ------------------------------------------------------------------ */

static int grow(void **p, size_t n, size_t sz)
{
    void *q = realloc(*p, n * sz);
    if (!q)
        return 0;
    *p = q;
    return 1;
}

lm_status enc_ws_reserve(lm_encoder_ws *ws, int tokens, int seqs, lm_error *err)
{
    const lm_encoder *e = ws->enc;
    const lm_encoder_info *in = &e->info;
    if (tokens > ws->cap_tokens) {
        size_t t = (size_t)tokens, h = (size_t)in->hidden;
        size_t labels = in->n_labels > 0 ? (size_t)in->n_labels : 1;
        if (!grow((void **)&ws->x, t * h, sizeof(float)) ||
            !grow((void **)&ws->tmp, t * h, sizeof(float)) ||
            !grow((void **)&ws->ctx, t * h, sizeof(float)) ||
            !grow((void **)&ws->qkv, t * 3 * h, sizeof(float)) ||
            !grow((void **)&ws->ffn, t * (size_t)in->intermediate, sizeof(float)) ||
            !grow((void **)&ws->logits, t * labels, sizeof(float)) ||
            !grow((void **)&ws->pooled, t * h, sizeof(float)))
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory for the encoder workspace");
        ws->cap_tokens = tokens;
    }
    if (seqs > ws->cap_seqs) {
        if (!grow((void **)&ws->seq_start, (size_t)seqs, sizeof(int)) ||
            !grow((void **)&ws->seq_len, (size_t)seqs, sizeof(int)))
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory for the encoder workspace");
        ws->cap_seqs = seqs;
    }
    return LM_OK;
}

lm_status lm_encoder_ws_init(lm_encoder_ws **out, const lm_encoder *enc, lm_error *err)
{
    *out = NULL;
    lm_encoder_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    ws->enc = enc;
    lm_tokseq_init(&ws->tok);
    int l = enc->info.max_length;
    ws->scores = malloc((size_t)l * (size_t)l * sizeof *ws->scores);
    ws->row_inv = malloc((size_t)l * sizeof *ws->row_inv);
    ws->cap_len = l;
    if (enc->precision == LM_ENC_PREC_BF16)
        ws->bf16_scratch = aligned_alloc(64, LM_BF16_SCRATCH_WORDS * sizeof *ws->bf16_scratch);
    int have = ws->scores && ws->row_inv &&
               (enc->precision != LM_ENC_PREC_BF16 || ws->bf16_scratch);
    lm_status st = have ? enc_ws_reserve(ws, enc->batch_tokens, 64, err)
                        : lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    if (st != LM_OK) {
        lm_encoder_ws_free(ws);
        return st;
    }
    *out = ws;
    return LM_OK;
}

void lm_encoder_ws_free(lm_encoder_ws *ws)
{
    if (!ws)
        return;
    free(ws->x);
    free(ws->tmp);
    free(ws->ctx);
    free(ws->qkv);
    free(ws->ffn);
    free(ws->scores);
    free(ws->bf16_scratch);
    free(ws->row_inv);
    free(ws->logits);
    free(ws->pooled);
    free(ws->seq_start);
    free(ws->seq_len);
    lm_tokseq_free(&ws->tok);
    free(ws->in_ids);
    free(ws->in_start);
    free(ws->in_end);
    free(ws->batch_ids);
    free(ws->batch_text);
    free(ws->tag_prob);
    free(ws->tag_ctx);
    free(ws->ents);
    free(ws);
}

void lm_encoder_ws_stats(lm_encoder_ws *ws, lm_encoder_stats *out, int reset)
{
    *out = ws->stats;
    if (reset)
        memset(&ws->stats, 0, sizeof ws->stats);
}

/* ---- the pass ---------------------------------------------------------------------- */

static void embed_tokens(const lm_encoder *e, lm_encoder_ws *ws, const int32_t *ids)
{
    const lm_encoder_info *in = &e->info;
    size_t h = (size_t)in->hidden;
    for (int s = 0; s < ws->n_seqs; s++) {
        for (int p = 0; p < ws->seq_len[s]; p++) {
            size_t row = (size_t)(ws->seq_start[s] + p);
            const float *w = e->word_emb + (size_t)ids[row] * h;
            const float *pe = e->pos_emb + (size_t)(p + e->pos_offset) * h;
            float *x = ws->x + row * h;
            if (e->type_emb) {
                const float *te = e->type_emb;   /* one segment: type 0 */
                for (size_t i = 0; i < h; i++)
                    x[i] = w[i] + pe[i] + te[i];
            } else {
                for (size_t i = 0; i < h; i++)
                    x[i] = w[i] + pe[i];
            }
        }
    }
    layernorm_rows(ws->x, ws->x, (size_t)ws->n_tokens, h, e->emb_ln_g, e->emb_ln_b, e->eps);
}

static void attention(const lm_encoder *e, lm_encoder_ws *ws)
{
    int h = e->info.hidden, d = e->head_dim, h3 = 3 * h;
    float scale = 1.0f / sqrtf((float)d);
    for (int s = 0; s < ws->n_seqs; s++) {
        int l = ws->seq_len[s];
        const float *q = ws->qkv + (size_t)ws->seq_start[s] * (size_t)h3;
        float *ctx = ws->ctx + (size_t)ws->seq_start[s] * (size_t)h;
        for (int head = 0; head < e->info.n_heads; head++) {
            const float *qh = q + head * d, *kh = q + h + head * d, *vh = q + 2 * h + head * d;
            gemm(ws, 1, l, l, d, scale, qh, h3, kh, h3, 0.0f, ws->scores, l);
            for (int r = 0; r < l; r++)
                ws->row_inv[r] = 1.0f / exp_row(ws->scores + (size_t)r * (size_t)l, l);
            gemm(ws, 0, l, d, l, 1.0f, ws->scores, l, vh, h3, 0.0f, ctx + head * d, h);
            for (int r = 0; r < l; r++)
                scale_row(ctx + (size_t)r * (size_t)h + head * d, d, ws->row_inv[r]);
        }
    }
}

void enc_forward(const lm_encoder *e, lm_encoder_ws *ws, const int32_t *ids, const int *lens,
                 int n_seqs)
{
    double t0 = now_s();
    int t = 0;
    for (int s = 0; s < n_seqs; s++) {
        ws->seq_start[s] = t;
        ws->seq_len[s] = lens[s];
        t += lens[s];
    }
    ws->n_seqs = n_seqs;
    ws->n_tokens = t;
    size_t h = (size_t)e->info.hidden;
    embed_tokens(e, ws, ids);
    for (int i = 0; i < e->info.n_layers; i++) {
        const enc_layer *L = &e->layers[i];
        linear(ws, &L->qkv, ws->x, t, ws->qkv, NULL);
        attention(e, ws);
        linear(ws, &L->attn_out, ws->ctx, t, ws->tmp, ws->x);
        layernorm_rows(ws->tmp, ws->x, (size_t)t, h, L->ln1_g, L->ln1_b, e->eps);
        weight_product(ws, &L->ffn_in, ws->x, t, ws->ffn, 0);
        act_rows(e->act, ws->ffn, (size_t)t, (size_t)L->ffn_in.out, L->ffn_in.b);
        linear(ws, &L->ffn_out, ws->ffn, t, ws->tmp, ws->x);
        layernorm_rows(ws->tmp, ws->x, (size_t)t, h, L->ln2_g, L->ln2_b, e->eps);
    }
    ws->stats.tokens += (uint64_t)t;
    ws->stats.total_seconds += now_s() - t0;
}

/* Head logits for the last pass into ws->logits. */
void enc_head_forward(const lm_encoder *e, lm_encoder_ws *ws)
{
    int h = e->info.hidden;
    if (e->info.head == LM_ENC_HEAD_TOKEN) {
        linear(ws, &e->classifier, ws->x, ws->n_tokens, ws->logits, NULL);
        return;
    }
    if (e->info.head != LM_ENC_HEAD_SEQUENCE)
        return;
    /* first token of every sequence -> pre-classifier -> classifier */
    for (int s = 0; s < ws->n_seqs; s++)
        memcpy(ws->ctx + (size_t)s * (size_t)h, ws->x + (size_t)ws->seq_start[s] * (size_t)h,
               (size_t)h * sizeof(float));
    linear(ws, &e->pre, ws->ctx, ws->n_seqs, ws->pooled, NULL);
    size_t n = (size_t)ws->n_seqs * (size_t)h;
    for (size_t i = 0; i < n; i++)
        ws->pooled[i] = e->pre_act == 1 ? tanhf(ws->pooled[i])
                                        : (ws->pooled[i] > 0 ? ws->pooled[i] : 0.0f);
    linear(ws, &e->classifier, ws->pooled, ws->n_seqs, ws->logits, NULL);
}
