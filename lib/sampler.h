/* sampler.h - training rows as freerec/LightGCN draw them (spec.md 3.1).
 *
 * One row = (user, positive, K negatives): the user uniform over all users that
 * have training items (with replacement), the positive uniform over that user's
 * distinct training items, each negative uniform over the items the user has NOT
 * trained on (with replacement; valid/test items can be drawn). An epoch is as many
 * rows as the training set has rows (duplicates counted).
 * Determinism: sampler_batch draws everything from the rng it is given, in row
 * order; callers give each batch its own stream (rng_split(epoch_rng, batch_no)).
 */
#ifndef AR_SAMPLER_H
#define AR_SAMPLER_H

#include "ar.h"
#include "csr.h"
#include "rng.h"

typedef struct sampler {
    int64_t n_users, n_items;
    const csr *R;          /* U x I distinct training items, sorted per row (borrowed) */
    int32_t *active;       /* users with >= 1 training item */
    int64_t n_active;
} sampler;

int sampler_init(sampler *s, const csr *R, ar_err *e);
void sampler_free(sampler *s);
/* users (B), pos (B), negs (B x K, row-major; may be NULL when K == 0). */
void sampler_batch(const sampler *s, rng *r, int64_t B, int K, int32_t *users, int32_t *pos, int32_t *negs);

#endif
