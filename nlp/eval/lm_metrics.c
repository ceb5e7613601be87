/*
 * Retrieval metrics as trec_eval and BEIR compute them (see lm_metrics.h).
 */
#include "lm_metrics.h"

#include "../../util/lm_sort.h"

#include <math.h>
#include <stdlib.h>

static int grade_of(int64_t doc, const lm_qrel *qrels, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (qrels[i].doc == doc)
            return qrels[i].grade;
    return 0;
}

static int cmp_grade_desc(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x < y) - (x > y);
}

double lm_metric_ndcg(const int64_t *ranked, size_t n_ranked, const lm_qrel *qrels,
                      size_t n_qrels, size_t k)
{
    double dcg = 0, idcg = 0;
    for (size_t i = 0; i < n_ranked && i < k; i++) {
        int g = grade_of(ranked[i], qrels, n_qrels);
        if (g > 0)
            dcg += g / log2((double)i + 2.0);
    }
    int *grades = malloc((n_qrels ? n_qrels : 1) * sizeof *grades);
    if (!grades)
        return 0;
    size_t ng = 0;
    for (size_t i = 0; i < n_qrels; i++)
        if (qrels[i].grade > 0)
            grades[ng++] = qrels[i].grade;
    lm_qsort(grades, ng, sizeof *grades, cmp_grade_desc);
    for (size_t i = 0; i < ng && i < k; i++)
        idcg += grades[i] / log2((double)i + 2.0);
    free(grades);
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
