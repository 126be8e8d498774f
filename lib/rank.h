/* rank.h - full-ranking top-K over all items, in user blocks.
 *
 * Scores are U[u] . V[i] (dot) or the cosine of the two rows (cosine; a zero row
 * scores 0). Items in any of the exclusion matrices' row u are never ranked.
 * Ties are broken by the lower item index. Users are processed in blocks: the
 * block's scores come from one sgemm (OpenBLAS), then a per-user top-K selection;
 * there is never a dense users x items matrix. rank_topk_naive is the test oracle.
 */
#ifndef AR_RANK_H
#define AR_RANK_H

#include "ar.h"
#include "csr.h"

typedef struct rank_opts {
    int k;          /* list length */
    int cosine;     /* 1 = cosine, 0 = dot */
    int block;      /* users per block (0 = default) */
} rank_opts;

/* Called once per ranked user, in the order of users[]; n <= k (less only when
 * fewer than k items are left after exclusion). Return non-zero to stop (the
 * value is returned by rank_topk). */
typedef int (*rank_emit_fn)(void *ctx, int32_t user, const int32_t *items, const float *scores, int n);

/* U is (n_users, d), V is (n_items, d), row-major float32. users (nq) are the
 * rows of U to rank (NULL = all users in order). masks: nmask CSR matrices with
 * n_users rows (users beyond a mask's rows have nothing excluded). */
int rank_topk(const float *U, int64_t n_users, const float *V, int64_t n_items, int64_t d,
              const int32_t *users, int64_t nq, const csr *const *masks, int nmask,
              const rank_opts *o, rank_emit_fn emit, void *ctx, ar_err *e);
int rank_topk_naive(const float *U, int64_t n_users, const float *V, int64_t n_items, int64_t d,
                    const int32_t *users, int64_t nq, const csr *const *masks, int nmask,
                    const rank_opts *o, rank_emit_fn emit, void *ctx, ar_err *e);

/* Intention-aware user vectors (spec.md 2.6): for each row u of U (n, d) whose row
 * of Q (n, d) is not all zero, U[u] <- (1 - alpha) U[u]/|U[u]| + alpha Q[u]/|Q[u]|
 * (a zero U row contributes 0). Rows with a zero Q row are left as they are.
 * Returns the number of rows changed. alpha in [0, 1]. */
int64_t rank_mix_intent(float *U, const float *Q, int64_t n, int64_t d, double alpha);

#endif
