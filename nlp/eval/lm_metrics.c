/*
 * Retrieval metrics as trec_eval and BEIR compute them (see lm_metrics.h).
 */
#include "lm_metrics.h"

#include <limits.h>
#include <math.h>

static int grade_of(int64_t doc, const lm_qrel *qrels, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (qrels[i].doc == doc)
            return qrels[i].grade;
    return 0;
}

/* The ideal DCG at cut-off k: the k largest positive grades, each qrel
 * counted once, in descending order.  Found by selection, one distinct
 * grade per pass (each pass fills at least one rank, so at most
 * min(k, number of distinct grades) passes), rather than by sorting a
 * copy: a benchmark must never read an allocation failure as an nDCG of
 * 0.  The terms are added in the same order a sort would give, so the sum
 * is the same to the last bit. */
static double ideal_dcg(const lm_qrel *qrels, size_t n_qrels, size_t k)
{
    double idcg = 0;
    size_t rank = 0;
    int below = INT_MAX;   /* once a rank is filled, the grades placed are >= below */
    while (rank < k) {
        int g = 0;
        size_t count = 0;
        for (size_t i = 0; i < n_qrels; i++) {
            int q = qrels[i].grade;
            if (q <= 0 || (rank > 0 && q >= below))
                continue;
            if (q > g) {
                g = q;
                count = 1;
            } else if (q == g) {
                count++;
            }
        }
        if (count == 0)
            break;
        for (size_t j = 0; j < count && rank < k; j++, rank++)
            idcg += g / log2((double)rank + 2.0);
        below = g;
    }
    return idcg;
}

double lm_metric_ndcg(const int64_t *ranked, size_t n_ranked, const lm_qrel *qrels,
                      size_t n_qrels, size_t k)
{
    double dcg = 0;
    for (size_t i = 0; i < n_ranked && i < k; i++) {
        int g = grade_of(ranked[i], qrels, n_qrels);
        if (g > 0)
            dcg += g / log2((double)i + 2.0);
    }
    double idcg = ideal_dcg(qrels, n_qrels, k);
    return idcg > 0 ? dcg / idcg : 0;
}

double lm_metric_recall(const int64_t *ranked, size_t n_ranked, const lm_qrel *qrels,
                        size_t n_qrels, size_t k)
{
    size_t rel = 0, hit = 0;
    for (size_t i = 0; i < n_qrels; i++)
        if (qrels[i].grade > 0)
            rel++;
    for (size_t i = 0; i < n_ranked && i < k; i++)
        if (grade_of(ranked[i], qrels, n_qrels) > 0)
            hit++;
    return rel ? (double)hit / (double)rel : 0;
}

double lm_metric_mrr(const int64_t *ranked, size_t n_ranked, const lm_qrel *qrels,
                     size_t n_qrels, size_t k)
{
    for (size_t i = 0; i < n_ranked && i < k; i++)
        if (grade_of(ranked[i], qrels, n_qrels) > 0)
            return 1.0 / (double)(i + 1);
    return 0;
}
