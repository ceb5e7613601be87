/*
 * bench-ner: NER throughput on BC5CDR dev text and model load time.
 *
 *     build/rel/bench/bench-ner [MODEL [PUBTATOR]]
 *
 * Times lm_ner_tag (sentence split + tokenize + every tagger of the model)
 * over the 500 dev abstracts, single-threaded, repeated until at least two
 * seconds have passed, and reports tokens/s and abstracts/s per core.
 * Load time is the best of three loads.  Prints figures only; skips (exit
 * 0) when the model or ../shared/data is missing.
 */
#include "../nlp/lm_ner.h"
#include "../nlp/lm_pubtator.h"
#include "../nlp/lm_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const char *model_path = argc > 1 ? argv[1] : "models/" LM_NER_DEFAULT_MODEL;
    const char *data = argc > 2 ? argv[2] : "../shared/data/bc5cdr/CDR_DevelopmentSet.PubTator.txt";
    struct stat st, ms;
    if (stat(model_path, &ms) != 0) {
        printf("bench-ner: skipped, no model at %s (run make train)\n", model_path);
        return 0;
    }
    if (stat(data, &st) != 0) {
        printf("bench-ner: skipped, %s not found\n", data);
        return 0;
    }
    lm_error err;
    lm_ner_model *m = NULL;
    double best_load = 1e9;
    for (int i = 0; i < 3; i++) {
        double t0 = now_s();
        if (lm_ner_model_load(model_path, &m, &err) != LM_OK) {
            fprintf(stderr, "bench-ner: %s\n", err.msg);
            return 1;
        }
        double dt = now_s() - t0;
        if (dt < best_load)
            best_load = dt;
        if (i < 2)
            lm_ner_model_free(m);
    }
    lm_pt_corpus c;
    if (lm_pubtator_load(data, &c, &err) != LM_OK) {
        fprintf(stderr, "bench-ner: %s\n", err.msg);
        lm_ner_model_free(m);
        return 1;
    }
    lm_ner_scratch *s;
    lm_ner_mentions out;
    lm_ner_mentions_init(&out);
    lm_spans toks;
    lm_spans_init(&toks);
    if (lm_ner_scratch_init(&s, &err) != LM_OK) {
        fprintf(stderr, "bench-ner: %s\n", err.msg);
        return 1;
    }
    size_t tokens_per_pass = 0;
    for (size_t i = 0; i < c.n_docs; i++) {
        lm_token_split(c.docs[i].text, strlen(c.docs[i].text), &toks, &err);
        tokens_per_pass += toks.n;
    }
    size_t mentions = 0, docs = 0, tokens = 0;
    double t0 = now_s(), el = 0;
    int passes = 0;
    do {
        for (size_t i = 0; i < c.n_docs; i++) {
            if (lm_ner_tag(m, s, c.docs[i].text, strlen(c.docs[i].text), &out, &err) != LM_OK) {
                fprintf(stderr, "bench-ner: %s\n", err.msg);
                return 1;
            }
            mentions += out.n;
        }
        docs += c.n_docs;
        tokens += tokens_per_pass;
        passes++;
        el = now_s() - t0;
    } while (el < 2.0);
    printf("bench-ner: model %s (%.1f MB), load %.3f s\n", model_path, (double)ms.st_size / 1e6,
           best_load);
    printf("bench-ner: %d passes over %zu abstracts: %.0f tokens/s, %.0f abstracts/s per core "
           "(%.1f mentions/abstract)\n",
           passes, c.n_docs, (double)tokens / el, (double)docs / el,
           (double)mentions / (double)docs);
    lm_spans_free(&toks);
    lm_ner_mentions_free(&out);
    lm_ner_scratch_free(s);
    lm_pt_corpus_free(&c);
    lm_ner_model_free(m);
    return 0;
}
