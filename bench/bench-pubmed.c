/*
 * bench-pubmed: throughput of the PubMed XML parser alone.
 *
 *   build/rel/bench/bench-pubmed FILE [REPEAT]
 *
 * Parses FILE (.xml or .xml.gz, "-" for stdin) with a handler that does
 * nothing, so the figure is libxml2 tokenising plus our field extraction,
 * without storage or NLP.  MB/s is over the uncompressed XML size and wall
 * time; with REPEAT > 1 the best run is reported (page cache warm).
 */
#include "../fetch/lm_pubmed.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static lm_status on_article(void *ctx, lm_article *a, lm_error *err)
{
    (void)err;
    /* Touch the article so the work cannot be optimised away. */
    *(uint64_t *)ctx += (uint64_t)a->pmid;
    return LM_OK;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s FILE [REPEAT]\n", argv[0]);
        return 2;
    }
    long repeat = 1;
    if (argc == 3) {
        char *end;
        repeat = strtol(argv[2], &end, 10);
        if (*end || repeat < 1 || repeat > 1000) {
            fprintf(stderr, "bad REPEAT: %s\n", argv[2]);
            return 2;
        }
    }
    double best = 0;
    lm_pubmed_stats st = {0};
    for (long r = 0; r < repeat; r++) {
        uint64_t sum = 0;
        lm_pubmed_handler h = {on_article, NULL, &sum, NULL};
        lm_error err = {0};
        double t0 = now_seconds();
        lm_status s = lm_pubmed_parse_file(argv[1], &h, NULL, NULL, &st, NULL, &err);
        double dt = now_seconds() - t0;
        if (s != LM_OK) {
            fprintf(stderr, "bench-pubmed: %s\n", err.msg);
            return 1;
        }
        if (r == 0 || dt < best)
            best = dt;
    }
    double mb = (double)st.bytes_xml / 1e6;
    printf("parse: %llu articles, %.1f MB, %.0f MB/s\n",
           (unsigned long long)(st.articles + st.book_articles), mb,
           best > 0 ? mb / best : 0.0);
    return 0;
}
