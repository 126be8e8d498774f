/* sampler.c - training rows drawn as freerec / LightGCN draw them (spec.md 3.1).
 *
 * R is (U, I): row u holds user u's distinct training items, sorted ascending.
 * A row of a batch is (user, positive, K negatives):
 *   user      uniform over the active users (>= 1 training item), with replacement;
 *   positive  uniform over the user's row of R;
 *   negatives each uniform over [0, I) minus the user's row, with replacement:
 *             x uniform in [0, I - deg), mapped to the x-th item NOT in the row.
 * Mapping: for the sorted row r_0 < r_1 < ..., r_j - j is non-decreasing and counts
 * the unseen items below r_j; the x-th unseen item is x + #{j : r_j - j <= x}, the
 * count found by binary search. Everything comes from one rng in row order.
 */
#include "sampler.h"

#include <stdlib.h>

int sampler_init(sampler *s, const csr *R, ar_err *e)
{
    s->n_users = 0;
    s->n_items = 0;
    s->R = NULL;
    s->active = NULL;
    s->n_active = 0;
    if (!R || R->nrows < 0 || R->ncols <= 0 || R->ncols > INT32_MAX || R->nrows > INT32_MAX)
        return ar_fail(e, AR_EDATA, "sampler: interaction matrix has invalid shape");
    for (int64_t u = 0; u < R->nrows; u++) {
        int64_t a = R->indptr[u], b = R->indptr[u + 1];
        if (a > b || b > R->nnz)
            return ar_fail(e, AR_EDATA, "sampler: interaction matrix: indptr not monotone at row %lld", (long long)u);
        for (int64_t k = a; k < b; k++) {
            int32_t it = R->indices[k];
            if (it < 0 || it >= R->ncols)
                return ar_fail(e, AR_EDATA, "sampler: interaction matrix: row %lld: item %d out of range [0, %lld)",
                               (long long)u, (int)it, (long long)R->ncols);
            if (k > a && it <= R->indices[k - 1])
                return ar_fail(e, AR_EDATA, "sampler: interaction matrix: row %lld: items not sorted and distinct",
                               (long long)u);
        }
        if (b > a) s->n_active++;
    }
    if (s->n_active == 0) return ar_fail(e, AR_EDATA, "sampler: no user has training items");
    s->active = ar_malloc((size_t)s->n_active * sizeof *s->active, e);
    if (!s->active) {
        s->n_active = 0;
        return AR_EDATA;
    }
    int64_t k = 0;
    for (int64_t u = 0; u < R->nrows; u++)
        if (R->indptr[u + 1] > R->indptr[u]) s->active[k++] = (int32_t)u;
    s->n_users = R->nrows;
    s->n_items = R->ncols;
    s->R = R;
    return AR_OK;
}

void sampler_free(sampler *s)
{
    if (!s) return;
    free(s->active);
    s->active = NULL;
    s->n_active = 0;
    s->R = NULL;
}

/* The x-th (0-based) item not in row[0..deg) (sorted, distinct, deg >= 1):
 * x + #{j : row[j] - j <= x}, the count by a branch-free binary search (the
 * qualifying j form a prefix; b tracks the last index known to qualify or 0). */
static inline int32_t unseen_item(const int32_t *row, int64_t deg, int64_t x)
{
    int64_t b = 0, n = deg;
    while (n > 1) {
        int64_t h = n / 2;
        b = ((int64_t)row[b + h] - (b + h) <= x) ? b + h : b;
        n -= h;
    }
    return (int32_t)(x + b + ((int64_t)row[b] - b <= x));
}

/* users (B), pos (B), negs (B, K) row-major. A user who has trained on every item
 * has no negatives to draw; their negatives are then drawn uniformly over all items
 * (the only case where a negative can be a training item). */
void sampler_batch(const sampler *s, rng *r, int64_t B, int K, int32_t *users, int32_t *pos, int32_t *negs)
{
    const csr *R = s->R;
    const int64_t I = s->n_items;
    for (int64_t b = 0; b < B; b++) {
        int32_t u = s->active[rng_below(r, (uint64_t)s->n_active)];
        const int32_t *row = R->indices + R->indptr[u];
        int64_t deg = R->indptr[u + 1] - R->indptr[u];
        users[b] = u;
        pos[b] = row[rng_below(r, (uint64_t)deg)];
        if (K <= 0 || !negs) continue;
        int32_t *nb = negs + b * (int64_t)K;
        if (deg >= I) {
            for (int k = 0; k < K; k++) nb[k] = (int32_t)rng_below(r, (uint64_t)I);
            continue;
        }
        uint64_t range = (uint64_t)(I - deg);
        for (int k = 0; k < K; k++) nb[k] = unseen_item(row, deg, (int64_t)rng_below(r, range));
    }
}
