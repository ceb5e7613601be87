/*
 * bench-encoder: forward-pass speed of nlp/encoder on real model shapes
 * with random weights (prints figures, asserts nothing).
 *
 *   bench-encoder [--shape bert-base|minilm-l6] [--batch B] [--seq L]
 *                 [--threads N] [--mode workers|blas] [--seconds S] [--dir D]
 *                 [--precision f32|bf16] [--accuracy]
 *
 * Writes a random F32 model directory of the shape (BERT-base: 12 layers,
 * hidden 768, 12 heads, 3072; MiniLM-L6: 6 layers, 384, 12 heads, 1536;
 * vocabulary 30522) unless D already holds one, then runs batches of B
 * sequences of L random tokens for about S seconds and prints tokens/s.
 * Threads: "workers" runs N threads, each with its own workspace and
 * single-threaded OpenBLAS (how the pipeline's worker pool uses it);
 * "blas" runs one thread with N OpenBLAS threads.
 *
 * It also reports the GEMM part: the GFLOP/s achieved inside the forward
 * pass's sgemm calls, next to a plain sgemm loop over the same shapes
 * (the linear layers' M x N x K on the same batch), so the two can be
 * compared as "fraction of OpenBLAS's sgemm rate".  With --precision bf16
 * the encoder layers' weight products run in bf16 (nlp/encoder/lm_bf16.h)
 * and the line adds their rate next to OpenBLAS's sgemm and lm_bf16's
 * own rate on the same linear-layer shapes, timed alone.
 *
 * --accuracy runs no timing: it embeds the batch with the f32 and the
 * bf16 model and prints the max abs difference of the last hidden states
 * and of the mean-pooled vectors, and the worst and mean cosine between
 * f32 and bf16 pooled vectors.
 *
 * Besides tokens per wall-clock second it prints tokens per CPU second
 * (each worker's thread CPU time; in "blas" mode the process's, which
 * includes OpenBLAS's threads), scaled to N threads: on a shared host
 * where other jobs take the cores away, CPU time is the figure that does
 * not depend on how long the process waited for one.
 */
#include "../nlp/encoder/lm_bf16.h"
#include "../nlp/encoder/lm_encoder.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct shape {
    const char *name;
    int layers, hidden, heads, inter, vocab;
} shape;

static const shape shapes[] = {
    {"bert-base", 12, 768, 12, 3072, 30522},
    {"minilm-l6", 6, 384, 12, 1536, 30522},
};

static double clock_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static float rnd(void)
{
    /* xorshift64* -> roughly normal by summing four uniforms, sd ~0.02 */
    float s = 0;
    for (int i = 0; i < 4; i++) {
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        s += (float)((rng * 0x2545F4914F6CDD1DULL) >> 40) / (float)(1 << 24) - 0.5f;
    }
    return s * 0.035f;
}

typedef struct tensor_spec {
    char name[96];
    int d0, d1;   /* d1 0: vector */
    int kind;     /* 0 random, 1 ones, 2 zeros */
} tensor_spec;

static int add(tensor_spec *t, int n, const char *name, int d0, int d1, int kind)
{
    snprintf(t[n].name, sizeof t[n].name, "%s", name);
    t[n].d0 = d0;
    t[n].d1 = d1;
    t[n].kind = kind;
    return n + 1;
}

/* A random BERT model directory (F32), as the hub would lay it out. */
static int write_model(const char *dir, const shape *s)
{
    char path[600];
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return 0;
    fprintf(f,
            "{\"model_type\": \"bert\", \"architectures\": [\"BertModel\"], \"hidden_size\": %d,"
            " \"num_hidden_layers\": %d, \"num_attention_heads\": %d, \"intermediate_size\": %d,"
            " \"hidden_act\": \"gelu\", \"max_position_embeddings\": 512, \"type_vocab_size\": 2,"
            " \"vocab_size\": %d, \"layer_norm_eps\": 1e-12}\n",
            s->hidden, s->layers, s->heads, s->inter, s->vocab);
    fclose(f);
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    f = fopen(path, "w");
    if (!f)
        return 0;
    fprintf(f, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n");
    for (int i = 5; i < s->vocab; i++)
        fprintf(f, "w%d\n", i);
    fclose(f);
    int h = s->hidden, n = 0;
    tensor_spec *t = calloc(8 + 16 * (size_t)s->layers, sizeof *t);
    n = add(t, n, "embeddings.word_embeddings.weight", s->vocab, h, 0);
    n = add(t, n, "embeddings.position_embeddings.weight", 512, h, 0);
    n = add(t, n, "embeddings.token_type_embeddings.weight", 2, h, 0);
    n = add(t, n, "embeddings.LayerNorm.weight", h, 0, 1);
    n = add(t, n, "embeddings.LayerNorm.bias", h, 0, 2);
    static const char *lin[] = {"attention.self.query", "attention.self.key", "attention.self.value",
                                "attention.output.dense", "intermediate.dense", "output.dense"};
    for (int l = 0; l < s->layers; l++) {
        char nm[96];
        for (int k = 0; k < 6; k++) {
            int out = k == 4 ? s->inter : h, in = k == 5 ? s->inter : h;
            snprintf(nm, sizeof nm, "encoder.layer.%d.%s.weight", l, lin[k]);
            n = add(t, n, nm, out, in, 0);
            snprintf(nm, sizeof nm, "encoder.layer.%d.%s.bias", l, lin[k]);
            n = add(t, n, nm, out, 0, 0);
        }
        static const char *ln[] = {"attention.output.LayerNorm", "output.LayerNorm"};
        for (int k = 0; k < 2; k++) {
            snprintf(nm, sizeof nm, "encoder.layer.%d.%s.weight", l, ln[k]);
            n = add(t, n, nm, h, 0, 1);
            snprintf(nm, sizeof nm, "encoder.layer.%d.%s.bias", l, ln[k]);
            n = add(t, n, nm, h, 0, 2);
        }
    }
    /* header */
    size_t cap = 256 * (size_t)n, len = 0;
    char *hdr = malloc(cap);
    uint64_t off = 0;
    len += (size_t)snprintf(hdr + len, cap - len, "{");
    for (int i = 0; i < n; i++) {
        uint64_t bytes = 4ull * (uint64_t)t[i].d0 * (uint64_t)(t[i].d1 ? t[i].d1 : 1);
        if (t[i].d1)
            len += (size_t)snprintf(hdr + len, cap - len,
                                    "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":[%llu,%llu]}",
                                    i ? "," : "", t[i].name, t[i].d0, t[i].d1,
                                    (unsigned long long)off, (unsigned long long)(off + bytes));
        else
            len += (size_t)snprintf(hdr + len, cap - len,
                                    "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%llu,%llu]}",
                                    i ? "," : "", t[i].name, t[i].d0, (unsigned long long)off,
                                    (unsigned long long)(off + bytes));
        off += bytes;
    }
    len += (size_t)snprintf(hdr + len, cap - len, "}");
    while (len % 8)
        hdr[len++] = ' ';
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    f = fopen(path, "wb");
    if (!f) {
        free(hdr);
        free(t);
        return 0;
    }
    uint64_t hl = len;
    fwrite(&hl, 8, 1, f);
    fwrite(hdr, 1, len, f);
    float *buf = malloc(sizeof(float) * 4096);
    for (int i = 0; i < n; i++) {
        size_t count = (size_t)t[i].d0 * (size_t)(t[i].d1 ? t[i].d1 : 1);
        for (size_t done = 0; done < count;) {
            size_t k = count - done < 4096 ? count - done : 4096;
            for (size_t j = 0; j < k; j++)
                buf[j] = t[i].kind == 0 ? rnd() : t[i].kind == 1 ? 1.0f : 0.0f;
            fwrite(buf, sizeof(float), k, f);
            done += k;
        }
    }
    int ok = fclose(f) == 0;
    free(buf);
    free(hdr);
    free(t);
    return ok;
}

typedef struct worker {
    const lm_encoder *enc;
    lm_encoder_ws *ws;
    int batch, seq, vocab;
    double seconds;
    long tokens;
    double elapsed;
    double cpu;            /* CPU seconds of the timed passes (thread or process) */
    clockid_t cpu_clock;
    int32_t *ids;
    int *lens;
    lm_encoder_stats stats;
} worker;

static void *run_worker(void *p)
{
    worker *w = p;
    lm_error err;
    const float *hidden;
    /* one warm-up pass (page faults, OpenBLAS buffers) */
    lm_encoder_forward(w->enc, w->ws, w->ids, w->lens, w->batch, &hidden, &err);
    lm_encoder_ws_stats(w->ws, &w->stats, 1);
    double t0 = now_s(), c0 = clock_s(w->cpu_clock);
    do {
        if (lm_encoder_forward(w->enc, w->ws, w->ids, w->lens, w->batch, &hidden, &err) != LM_OK) {
            fprintf(stderr, "bench-encoder: %s\n", err.msg);
            exit(1);
        }
        w->tokens += (long)w->batch * w->seq;
        w->elapsed = now_s() - t0;
    } while (w->elapsed < w->seconds);
    w->cpu = clock_s(w->cpu_clock) - c0;
    lm_encoder_ws_stats(w->ws, &w->stats, 0);
    return NULL;
}

/* The same sgemm calls as one forward pass's linear layers and attention,
 * timed on their own: OpenBLAS's rate for exactly these shapes.  With
 * several workers, as many threads run it at once, so that both figures
 * see the same contention. */
typedef struct plain_job {
    const shape *s;
    int batch, seq;
    double rate;
} plain_job;

static double plain_sgemm_rate(const shape *s, int batch, int seq);

static void *plain_thread(void *p)
{
    plain_job *j = p;
    j->rate = plain_sgemm_rate(j->s, j->batch, j->seq);
    return NULL;
}

static double plain_rate_threads(const shape *s, int batch, int seq, int n)
{
    plain_job jobs[64];
    pthread_t tid[64];
    for (int i = 0; i < n; i++) {
        jobs[i] = (plain_job){s, batch, seq, 0};
        pthread_create(&tid[i], NULL, plain_thread, &jobs[i]);
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(tid[i], NULL);
        sum += jobs[i].rate;
    }
    return sum / n;
}

static double plain_sgemm_rate(const shape *s, int batch, int seq)
{
    int t = batch * seq, h = s->hidden, d = h / s->heads;
    struct {
        int m, n, k, transb, count;
    } calls[] = {
        {t, 3 * h, h, 1, 1}, {t, h, h, 1, 1}, {t, s->inter, h, 1, 1}, {t, h, s->inter, 1, 1},
        {seq, seq, d, 1, batch * s->heads}, {seq, d, seq, 0, batch * s->heads},
    };
    size_t amax = (size_t)t * (size_t)(s->inter > 3 * h ? s->inter : 3 * h);
    float *a = malloc(amax * sizeof *a), *b = malloc(amax * sizeof *b), *c = malloc(amax * sizeof *c);
    for (size_t i = 0; i < amax; i++)
        a[i] = b[i] = c[i] = (float)(i % 13) * 0.01f - 0.06f;
    double flops = 0, secs = 0;
    for (int rep = 0; rep < 3; rep++) {
        for (size_t k = 0; k < sizeof calls / sizeof calls[0]; k++) {
            double t0 = now_s();
            for (int r = 0; r < calls[k].count; r++) {
                int m = calls[k].m, n = calls[k].n, kk = calls[k].k;
                /* attention GEMMs read strided views of a [T x 3H] matrix */
                int lda = k >= 4 ? 3 * h : kk, ldb = calls[k].transb ? (k >= 4 ? 3 * h : kk) : 3 * h;
                int ldc = k == 5 ? h : n;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, calls[k].transb ? CblasTrans : CblasNoTrans,
                            m, n, kk, 1.0f, a, k == 5 ? seq : lda, b, ldb, 1.0f, c, ldc);
            }
            if (rep > 0) {
                secs += now_s() - t0;
                flops += 2.0 * calls[k].m * calls[k].n * calls[k].k * calls[k].count;
            }
        }
    }
    free(a);
    free(b);
    free(c);
    return flops / secs / 1e9;
}

/* OpenBLAS sgemm and lm_bf16_gemm on the four linear layers' shapes of
 * one forward pass (T = batch x seq rows), in GFLOP/s, one thread. */
static void plain_linear_rates(const shape *s, int batch, int seq, double *sgemm, double *bf16)
{
    int t = batch * seq, h = s->hidden;
    int dims[4][2] = {{3 * h, h}, {h, h}, {s->inter, h}, {h, s->inter}};   /* out, in */
    size_t amax = (size_t)t * (size_t)(s->inter > 3 * h ? s->inter : 3 * h);
    size_t wmax = (size_t)s->inter * (size_t)h * 3;
    float *a = malloc(amax * sizeof *a), *w = malloc(wmax * sizeof *w), *c = malloc(amax * sizeof *c);
    for (size_t i = 0; i < amax; i++)
        a[i] = c[i] = (float)(i % 13) * 0.01f - 0.06f;
    for (size_t i = 0; i < wmax; i++)
        w[i] = (float)(i % 7) * 0.01f - 0.03f;
    uint32_t *scratch = aligned_alloc(64, LM_BF16_SCRATCH_WORDS * sizeof *scratch);
    double flops = 0, secs[2] = {0, 0};
    for (int rep = 0; rep < 3; rep++) {
        for (int k = 0; k < 4; k++) {
            int n = dims[k][0], kk = dims[k][1];
            double t0 = now_s();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t, n, kk, 1.0f, a, kk, w, kk, 1.0f,
                        c, n);
            double t1 = now_s();
            if (bf16) {
                lm_bf16_weights pw;
                lm_error err;
                if (lm_bf16_pack(&pw, w, n, kk, &err) == LM_OK) {
                    t1 = now_s();
                    lm_bf16_gemm(t, a, kk, &pw, c, n, 1, scratch);
                    if (rep > 0)
                        secs[1] += now_s() - t1;
                    lm_bf16_weights_free(&pw);
                }
            }
            if (rep > 0) {
                secs[0] += t1 - t0;
                flops += 2.0 * t * n * kk;
            }
        }
    }
    *sgemm = flops / secs[0] / 1e9;
    if (bf16)
        *bf16 = flops / secs[1] / 1e9;
    free(scratch);
    free(a);
    free(w);
    free(c);
}

/* f32 against bf16 on the same batch: hidden states and mean pooling. */
static int accuracy(const char *dir, const shape *s, int batch, int seq)
{
    lm_encoder *enc[2];
    lm_encoder_ws *ws[2];
    lm_error err;
    float *hid[2], *pool[2];
    size_t t = (size_t)batch * (size_t)seq, h = (size_t)s->hidden;
    int32_t *ids = malloc(t * sizeof *ids);
    int *lens = malloc((size_t)batch * sizeof *lens);
    for (int b = 0; b < batch; b++) {
        lens[b] = seq;
        for (int k = 0; k < seq; k++)
            ids[b * seq + k] = k == 0 ? 2 : k == seq - 1 ? 3 : 5 + (int)((b * 7919 + k * 104729) % (s->vocab - 5));
    }
    for (int p = 0; p < 2; p++) {
        lm_encoder_options opt = {.batch_tokens = (int)t,
                                  .precision = p ? LM_ENC_PREC_BF16 : LM_ENC_PREC_F32};
        const float *out;
        if (lm_encoder_load(&enc[p], dir, &opt, &err) != LM_OK ||
            lm_encoder_ws_init(&ws[p], enc[p], &err) != LM_OK ||
            lm_encoder_forward(enc[p], ws[p], ids, lens, batch, &out, &err) != LM_OK) {
            fprintf(stderr, "bench-encoder: %s\n", err.msg);
            return 1;
        }
        hid[p] = malloc(t * h * sizeof *hid[p]);
        memcpy(hid[p], out, t * h * sizeof *hid[p]);
        pool[p] = calloc((size_t)batch * h, sizeof *pool[p]);
        for (int b = 0; b < batch; b++)
            for (int k = 0; k < seq; k++)
                for (size_t i = 0; i < h; i++)
                    pool[p][(size_t)b * h + i] += hid[p][((size_t)b * (size_t)seq + (size_t)k) * h + i] / (float)seq;
    }
    double dh = 0, dp = 0, worst_cos = 1, sum_cos = 0, scale = 0;
    for (size_t i = 0; i < t * h; i++) {
        double d = fabs((double)hid[0][i] - hid[1][i]);
        dh = d > dh ? d : dh;
        scale = fabs(hid[0][i]) > scale ? fabs(hid[0][i]) : scale;
    }
    for (int b = 0; b < batch; b++) {
        double dot = 0, na = 0, nb = 0;
        for (size_t i = 0; i < h; i++) {
            double x = pool[0][(size_t)b * h + i], y = pool[1][(size_t)b * h + i];
            dot += x * y;
            na += x * x;
            nb += y * y;
            dp = fabs(x - y) > dp ? fabs(x - y) : dp;
        }
        double cs = dot / sqrt(na * nb);
        worst_cos = cs < worst_cos ? cs : worst_cos;
        sum_cos += cs;
    }
    printf("accuracy %-9s batch %dx%d, bf16 vs f32: last hidden states max abs error %.3g (largest "
           "|value| %.3g), mean-pooled max abs error %.3g, cosine min %.6f mean %.6f\n",
           s->name, batch, seq, dh, scale, dp, worst_cos, sum_cos / batch);
    for (int p = 0; p < 2; p++) {
        lm_encoder_ws_free(ws[p]);
        lm_encoder_free(enc[p]);
        free(hid[p]);
        free(pool[p]);
    }
    free(ids);
    free(lens);
    return 0;
}

int main(int argc, char **argv)
{
    const shape *s = &shapes[0];
    int batch = 8, seq = 128, threads = 1, blas_mode = 0, check_accuracy = 0;
    lm_encoder_precision precision = LM_ENC_PREC_F32;
    double seconds = 10;
    const char *dir = NULL;
    for (int i = 1; i < argc; i += 2) {
        if (strcmp(argv[i], "--accuracy") == 0) {
            check_accuracy = 1;
            i--;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "bench-encoder: %s needs a value\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--precision") == 0) {
            if (lm_encoder_precision_parse(argv[i + 1], &precision) != 0) {
                fprintf(stderr, "bench-encoder: --precision f32 or bf16\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--shape") == 0) {
            s = NULL;
            for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
                if (strcmp(argv[i + 1], shapes[k].name) == 0)
                    s = &shapes[k];
            if (!s) {
                fprintf(stderr, "bench-encoder: unknown shape %s\n", argv[i + 1]);
                return 2;
            }
        } else if (strcmp(argv[i], "--batch") == 0) {
            batch = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--seq") == 0) {
            seq = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--threads") == 0) {
            threads = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--mode") == 0) {
            blas_mode = strcmp(argv[i + 1], "blas") == 0;
        } else if (strcmp(argv[i], "--seconds") == 0) {
            seconds = atof(argv[i + 1]);
        } else if (strcmp(argv[i], "--dir") == 0) {
            dir = argv[i + 1];
        } else {
            fprintf(stderr, "bench-encoder: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (batch < 1 || seq < 3 || seq > 512 || threads < 1 || threads > 64) {
        fprintf(stderr, "bench-encoder: bad batch, sequence length or threads\n");
        return 2;
    }
    char dir_buf[512];
    if (!dir) {
        snprintf(dir_buf, sizeof dir_buf, "/tmp/litmine-bench/encoder-%s", s->name);
        dir = dir_buf;
        mkdir("/tmp/litmine-bench", 0755);
    }
    char cfg[600];
    snprintf(cfg, sizeof cfg, "%s/model.safetensors", dir);
    struct stat sb;
    if (stat(cfg, &sb) != 0 && !write_model(dir, s)) {
        fprintf(stderr, "bench-encoder: cannot write %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if (check_accuracy)
        return accuracy(dir, s, batch, seq);
    lm_encoder *enc;
    lm_error err;
    lm_encoder_options opt = {.batch_tokens = batch * seq, .precision = precision};
    if (lm_encoder_load(&enc, dir, &opt, &err) != LM_OK) {
        fprintf(stderr, "bench-encoder: %s\n", err.msg);
        return 1;
    }
    int workers = blas_mode ? 1 : threads;
    lm_encoder_set_blas_threads(blas_mode ? threads : 1);
    worker *w = calloc((size_t)workers, sizeof *w);
    pthread_t *tid = calloc((size_t)workers, sizeof *tid);
    for (int i = 0; i < workers; i++) {
        w[i] = (worker){.enc = enc, .batch = batch, .seq = seq, .vocab = s->vocab,
                        .seconds = seconds,
                        .cpu_clock = blas_mode ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_THREAD_CPUTIME_ID};
        if (lm_encoder_ws_init(&w[i].ws, enc, &err) != LM_OK) {
            fprintf(stderr, "bench-encoder: %s\n", err.msg);
            return 1;
        }
        w[i].ids = malloc((size_t)batch * (size_t)seq * sizeof *w[i].ids);
        w[i].lens = malloc((size_t)batch * sizeof *w[i].lens);
        for (int b = 0; b < batch; b++) {
            w[i].lens[b] = seq;
            for (int k = 0; k < seq; k++)
                w[i].ids[b * seq + k] = k == 0 ? 2 : k == seq - 1 ? 3 : 5 + (int)((b * 7919 + k * 104729 + i) % (s->vocab - 5));
        }
    }
    for (int i = 0; i < workers; i++)
        pthread_create(&tid[i], NULL, run_worker, &w[i]);
    double tokens_per_s = 0, tokens_per_cpu_s = 0, gemm_s = 0, gemm_f = 0, fwd_s = 0;
    double bf16_s = 0, bf16_f = 0;
    for (int i = 0; i < workers; i++) {
        pthread_join(tid[i], NULL);
        tokens_per_s += w[i].tokens / w[i].elapsed;
        /* blas mode: one worker whose process CPU time covers N threads */
        tokens_per_cpu_s += w[i].tokens / w[i].cpu * (blas_mode ? threads : 1);
        gemm_s += w[i].stats.gemm_seconds;
        gemm_f += w[i].stats.gemm_flops;
        fwd_s += w[i].stats.total_seconds;
        bf16_s += w[i].stats.bf16_seconds;
        bf16_f += w[i].stats.bf16_flops;
    }
    printf("litmine %-9s batch %dx%d, %d thread%s (%s%s): %8.1f tokens/s, %8.1f per CPU-s; "
           "GEMMs %.1f GFLOP/s (%.0f%% of the pass)",
           s->name, batch, seq, threads, threads > 1 ? "s" : "",
           blas_mode ? "OpenBLAS threads" : "worker threads",
           precision == LM_ENC_PREC_BF16 ? ", bf16" : "", tokens_per_s, tokens_per_cpu_s,
           gemm_f / gemm_s / 1e9 * workers, 100.0 * gemm_s / fwd_s);
    if (precision == LM_ENC_PREC_BF16) {
        double sg = 0, bf = 0;
        plain_linear_rates(s, batch, seq, &sg, &bf);
        printf(", bf16 weight products %.1f GFLOP/s per thread; linear shapes alone: bf16 %.1f, "
               "OpenBLAS sgemm %.1f GFLOP/s (%.2fx)",
               bf16_f / bf16_s / 1e9, bf, sg, bf / sg);
    } else if (!blas_mode || threads == 1) {
        lm_encoder_set_blas_threads(1);
        double plain = plain_rate_threads(s, batch, seq, workers);
        printf(", plain sgemm on the same shapes %.1f GFLOP/s per thread: %.0f%%",
               plain, 100.0 * (gemm_f / gemm_s / 1e9) / plain);
    }
    printf("\n");
    for (int i = 0; i < workers; i++) {
        lm_encoder_ws_free(w[i].ws);
        free(w[i].ids);
        free(w[i].lens);
    }
    free(w);
    free(tid);
    lm_encoder_free(enc);
    return 0;
}
