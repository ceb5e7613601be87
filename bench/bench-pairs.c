/*
 * bench-pairs: throughput of pair classification alone.
 *
 *   build/rel/bench/bench-pairs [MODEL [CORPUS [REPEAT]]]
 *
 * Converts a PubTator corpus (default BC5CDR dev from ../shared/data) with
 * its gold mentions to docs once, then times lm_pairs_extract over every
 * document with one reused scratch: candidate generation, features, both
 * stages of scoring.  Prints documents and candidate pairs per second (best
 * of REPEAT runs).
 */
#include "../nlp/lm_pairs.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *model = argc > 1 ? argv[1] : "models/pairs.bin";
    const char *corpus = argc > 2 ? argv[2] : "../shared/data/bc5cdr/CDR_DevelopmentSet.PubTator.txt";
    long repeat = argc > 3 ? strtol(argv[3], NULL, 10) : 3;
    if (repeat < 1)
        repeat = 1;
    lm_error err;
    lm_pairs_model *m = NULL;
    lm_pt_corpus c = {0};
    if (lm_pairs_model_load(model, &m, &err) != LM_OK ||
        lm_pubtator_load(corpus, &c, &err) != LM_OK) {
        fprintf(stderr, "bench-pairs: %s\n", err.msg);
        lm_pairs_model_free(m);
        return 1;
    }
    lm_doc *docs = calloc(c.n_docs ? c.n_docs : 1, sizeof *docs);
    if (!docs)
        return 1;
    for (size_t i = 0; i < c.n_docs; i++) {
        lm_doc_init(&docs[i]);
        if (lm_pairs_doc_from_pubtator(&c.docs[i], &docs[i], &err) != LM_OK) {
            fprintf(stderr, "bench-pairs: %s\n", err.msg);
            return 1;
        }
    }
    lm_pairs_scratch *s = NULL;
    lm_pairs_result r;
    lm_pairs_result_init(&r);
    if (lm_pairs_scratch_init(&s, &err) != LM_OK)
        return 1;
    double best = 1e30;
    size_t cands = 0, found = 0;
    for (long k = 0; k < repeat; k++) {
        cands = found = 0;
        double t0 = now_seconds();
        for (size_t i = 0; i < c.n_docs; i++) {
            if (lm_pairs_extract_all(m, s, &docs[i], &r, &err) != LM_OK) {
                fprintf(stderr, "bench-pairs: %s\n", err.msg);
                return 1;
            }
            cands += r.n;
            for (size_t j = 0; j < r.n; j++)
                found += r.v[j].label != LM_PAIR_NONE;
        }
        double t = now_seconds() - t0;
        if (t < best)
            best = t;
    }
    printf("pairs: %zu docs, %zu candidates (%zu labelled) in %.3f s: %.0f docs/s, %.0f pairs/s\n",
           c.n_docs, cands, found, best, (double)c.n_docs / best, (double)cands / best);
    lm_pairs_result_free(&r);
    lm_pairs_scratch_free(s);
    for (size_t i = 0; i < c.n_docs; i++)
        lm_doc_free(&docs[i]);
    free(docs);
    lm_pt_corpus_free(&c);
    lm_pairs_model_free(m);
    return 0;
}
