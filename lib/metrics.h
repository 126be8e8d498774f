/* metrics.h - top-K metrics for one user and their running means (spec.md 4.1).
 *
 * For a ranked list r (n items) and target set T (t distinct items):
 *   hits@K = |r[0..K) n T|; recall@K = hits/|T|; precision@K = hits/K;
 *   ndcg@K = sum_{j<K, r_j in T} 1/log2(j+2) / sum_{j<min(K,|T|)} 1/log2(j+2);
 *   hit@K = hits > 0; mrr@K = 1/(rank of first hit) if within K else 0.
 * Means are over users with |T| > 0, accumulated in double.
 */
#ifndef AR_METRICS_H
#define AR_METRICS_H

#include "ar.h"

enum { M_RECALL = 0, M_NDCG, M_HIT, M_PRECISION, M_MRR, M_COUNT };
extern const char *const metric_names[M_COUNT]; /* "recall","ndcg","hit","precision","mrr" */

#define METRICS_MAXK 64

typedef struct metrics_acc {
    int nk;
    int ks[METRICS_MAXK];
    double sum[M_COUNT][METRICS_MAXK];
    int64_t n_users;
} metrics_acc;

/* ks need not be sorted; duplicates are an error. */
int metrics_init(metrics_acc *m, const int *ks, int nk, ar_err *e);
/* Parse "20" or "10,20,50" into ks. */
int metrics_parse_ks(const char *s, int *ks, int *nk, ar_err *e);
/* Values for one user into out[M_COUNT][nk] (row-major); truth must be sorted
 * ascending and distinct. n must be >= max K (callers check). */
void metrics_user(const int32_t *ranked, int n, const int32_t *truth, int t,
                  const int *ks, int nk, double *out);
/* Add one user's values (as from metrics_user). */
void metrics_add(metrics_acc *m, const double *vals);
/* Mean of metric mi at the j-th K. */
double metrics_mean(const metrics_acc *m, int mi, int j);

#endif
