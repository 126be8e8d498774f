/* loss.h - the training losses on propagated embeddings, with their gradients.
 *
 * Legend: U users, I items, d dims, B batch rows, K negatives per row.
 * Fu is (U, d), Fi is (I, d): final (propagated) user and item vectors.
 * Gradients are ADDED into dFu (U, d) and dFi (I, d) (callers zero them).
 * Losses are means over the B rows, accumulated in double.
 * Each optimised kernel has a *_naive reference used by the tests; the threaded
 * versions are deterministic for a given thread count (each output row is
 * accumulated by one thread in a fixed order).
 */
#ifndef AR_LOSS_H
#define AR_LOSS_H

#include <stdint.h>

/* BPR: mean softplus(s(u,n) - s(u,p)) with s = dot product; one negative per row. */
double loss_bpr(const float *Fu, const float *Fi, int64_t d, const int32_t *users, const int32_t *pos,
                const int32_t *neg, int64_t B, float *dFu, float *dFi);
double loss_bpr_naive(const float *Fu, const float *Fi, int64_t d, const int32_t *users, const int32_t *pos,
                      const int32_t *neg, int64_t B, float *dFu, float *dFi);

/* L2 on the batch's ego (layer-0) rows: wd/(2B) * sum_b (|Eu[u_b]|^2 + |Ei[p_b]|^2 + sum_k |Ei[n_bk]|^2).
 * Adds the gradient into dEu/dEi; returns the (unscaled by nothing) penalty value. */
double loss_l2_batch(const float *Eu, const float *Ei, int64_t d, const int32_t *users, const int32_t *pos,
                     const int32_t *negs, int K, int64_t B, double wd, float *dEu, float *dEi);

/* InfoNCE on L2-normalised vectors Nu (U, d), Ni (I, d):
 * logits_b = [Nu[u].Ni[p], Nu[u].Ni[n_1..K]] / tau;
 * loss = mean_b (logsumexp(logits_b) - logits_b[0]). Gradients w.r.t. Nu, Ni added to dNu, dNi. */
double loss_infonce(const float *Nu, const float *Ni, int64_t d, const int32_t *users, const int32_t *pos,
                    const int32_t *negs, int K, int64_t B, float tau, float *dNu, float *dNi);
double loss_infonce_naive(const float *Nu, const float *Ni, int64_t d, const int32_t *users, const int32_t *pos,
                          const int32_t *negs, int K, int64_t B, float tau, float *dNu, float *dNi);

/* Row L2 normalisation of X (n, d) into Y, storing norms (n); zero rows stay zero. */
void l2norm_rows(const float *X, int64_t n, int64_t d, float *Y, float *norms);
/* Backward: given Y = X/|X| and dY, dX = (dY - Y (Y.dY)) / |X| (zero rows: dX = 0). dX is overwritten. */
void l2norm_rows_backward(const float *Y, const float *norms, const float *dY, int64_t n, int64_t d, float *dX);

#endif
