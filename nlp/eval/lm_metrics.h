/*
 * lm_metrics: the retrieval metrics `litmine eval search` reports, as
 * trec_eval and BEIR define them, so that figures compare with published
 * ones.
 */
#ifndef LM_METRICS_H
#define LM_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Relevance judgements of one query: doc ids and grades (> 0 relevant). */
typedef struct lm_qrel {
    int64_t doc;
    int grade;
} lm_qrel;

/* nDCG@k with linear gain (trec_eval / BEIR): DCG = sum grade_i /
 * log2(i + 1) over ranks i = 1..k, divided by the DCG of the ideal
 * ordering of the judged documents.  0 when nothing is relevant. */
double lm_metric_ndcg(const int64_t *ranked, size_t n_ranked, const lm_qrel *qrels,
                      size_t n_qrels, size_t k);
/* Relevant documents in the top k / all relevant documents. */
double lm_metric_recall(const int64_t *ranked, size_t n_ranked, const lm_qrel *qrels,
                        size_t n_qrels, size_t k);
/* 1 / rank of the first relevant document within the top k, else 0. */
double lm_metric_mrr(const int64_t *ranked, size_t n_ranked, const lm_qrel *qrels,
                     size_t n_qrels, size_t k);

#endif
