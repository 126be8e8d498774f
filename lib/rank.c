/* rank.c - full-ranking top-K over all items, in user blocks (see rank.h).
 *
 * rank_topk: for each block of B users
 *   A (B, d)       = the block's rows of U (each divided by its norm for cosine)
 *   S (B, n_items) = A * Vn^T          one cblas_sgemm, Vn is V (normalised for cosine)
 *   per user (OpenMP, static schedule): drop excluded items, keep the best K in a
 *   bounded heap ordered by (score desc, item asc), sort the survivors;
 *   then emit the block's users serially in the order of users[].
 * Memory is O(B * n_items + n_items * d): never a users x items matrix.
 * OpenBLAS is only called outside OpenMP regions.
 */
#include "rank.h"

#include "gemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* default block: as many users as fit 96 MiB of scores, within [64, 4096] (fewer,
 * larger blocks mean fewer hand-overs between the OpenBLAS and OpenMP threads) */
#define RANK_BLOCK_FLOATS ((int64_t)24 << 20)
#define RANK_BLOCK_MIN 64
#define RANK_BLOCK_MAX 4096
/* keep a block's score matrix under this many floats (256 MiB) */
#define RANK_MAX_BLOCK_FLOATS ((int64_t)64 << 20)

/* Is (sa, ia) ranked before (sb, ib)? Score descending, then item ascending. */
static inline int before(float sa, int32_t ia, float sb, int32_t ib)
{
    return sa > sb || (sa == sb && ia < ib);
}

/* Min-heap of the worst kept entry at [0] ("worst" = ranked last). */
static void heap_down(float *hs, int32_t *hi, int n, int p)
{
    for (;;) {
        int l = 2 * p + 1, r = l + 1, w = p;
        if (l < n && before(hs[w], hi[w], hs[l], hi[l])) w = l;
        if (r < n && before(hs[w], hi[w], hs[r], hi[r])) w = r;
        if (w == p) return;
        float ts = hs[p]; hs[p] = hs[w]; hs[w] = ts;
        int32_t ti = hi[p]; hi[p] = hi[w]; hi[w] = ti;
        p = w;
    }
}

static void heap_up(float *hs, int32_t *hi, int p)
{
    while (p > 0) {
        int q = (p - 1) / 2;
        if (!before(hs[q], hi[q], hs[p], hi[p])) return;
        float ts = hs[p]; hs[p] = hs[q]; hs[q] = ts;
        int32_t ti = hi[p]; hi[p] = hi[q]; hi[q] = ti;
        p = q;
    }
}

/* Top-k of one score row s (n_items) in which excluded items hold NaN (scores are
 * otherwise finite: check_args rules out overflow). Writes the kept items sorted
 * (best first) into items/scores; returns how many.
 * Items are visited in increasing index, so a newcomer that ties the worst kept
 * entry loses (its index is larger): a plain "s > worst" test suffices, and it is
 * done 16 scores at a time (vectorisable) before touching the heap. */
static int select_topk(const float *s, int64_t n_items, int k, int32_t *items, float *scores)
{
    int n = 0;
    int64_t i = 0;
    for (; i < n_items && n < k; i++) {
        float v = s[i];
        if (v != v) continue;
        scores[n] = v;
        items[n] = (int32_t)i;
        heap_up(scores, items, n);
        n++;
    }
    if (n == k) {
        float thr = scores[0];
        for (; i < n_items; i++) {
            if (i % 16 == 0) {
                /* skip whole chunks with nothing above the threshold */
                while (i + 16 <= n_items) {
                    int any = 0;
                    for (int j = 0; j < 16; j++) any |= s[i + j] > thr;
                    if (any) break;
                    i += 16;
                }
                if (i >= n_items) break;
            }
            float v = s[i];
            if (v > thr) {
                scores[0] = v;
                items[0] = (int32_t)i;
                heap_down(scores, items, n, 0);
                thr = scores[0];
            }
        }
    }
    /* heap sort: repeatedly move the worst to the end */
    for (int m = n; m > 1; m--) {
        float ts = scores[0]; scores[0] = scores[m - 1]; scores[m - 1] = ts;
        int32_t ti = items[0]; items[0] = items[m - 1]; items[m - 1] = ti;
        heap_down(scores, items, m - 1, 0);
    }
    return n;
}

static int check_args(const float *U, int64_t n_users, const float *V, int64_t n_items, int64_t d,
                      const int32_t *users, int64_t nq, const csr *const *masks, int nmask,
                      const rank_opts *o, ar_err *e)
{
    if (!o || o->k < 1) return ar_fail(e, AR_EUSAGE, "rank: k must be >= 1");
    if (o->block < 0) return ar_fail(e, AR_EUSAGE, "rank: block must be >= 0");
    if (n_users < 0 || n_items < 1 || d < 1)
        return ar_fail(e, AR_EDATA, "rank: need n_users >= 0, n_items >= 1, d >= 1 (got %lld, %lld, %lld)",
                       (long long)n_users, (long long)n_items, (long long)d);
    if (n_items > INT32_MAX) return ar_fail(e, AR_EDATA, "rank: too many items (%lld)", (long long)n_items);
    if (users) {
        for (int64_t q = 0; q < nq; q++)
            if (users[q] < 0 || users[q] >= n_users)
                return ar_fail(e, AR_EDATA, "rank: users[%lld] = %d out of range [0, %lld)",
                               (long long)q, users[q], (long long)n_users);
    }
    for (int m = 0; m < nmask; m++) {
        const csr *M = masks[m];
        if (!M) continue;
        for (int64_t j = 0; j < M->nnz; j++)
            if (M->indices[j] < 0 || M->indices[j] >= n_items)
                return ar_fail(e, AR_EDATA, "rank: exclusion matrix %d: item %d out of range [0, %lld)",
                               m, M->indices[j], (long long)n_items);
    }
    const float *arrs[2] = {U, V};
    int64_t rows[2] = {n_users, n_items};
    const char *nm[2] = {"U", "V"};
    double amax[2] = {0, 0};
    for (int a = 0; a < 2; a++)
        for (int64_t x = 0; x < rows[a] * d; x++) {
            float v = arrs[a][x];
            if (!isfinite(v))
                return ar_fail(e, AR_EDATA, "rank: %s row %lld column %lld is not finite", nm[a],
                               (long long)(x / d), (long long)(x % d));
            if (fabsf(v) > amax[a]) amax[a] = fabsf(v);
        }
    /* dot scores are bounded by d * max|U| * max|V|: keep them finite in float32
     * (cosine scores are in [-1, 1]) */
    if (!o->cosine && amax[0] * amax[1] * (double)d > 1e37)
        return ar_fail(e, AR_EDATA, "rank: vector entries too large for float32 dot products (max |U| %g, max |V| %g)",
                       amax[0], amax[1]);
    return AR_OK;
}

/* out (d) = x (d) / ||x||, or zeros for a zero row. Norm in double. */
static void normalise_row(const float *x, int64_t d, float *out)
{
    double s = 0;
    for (int64_t j = 0; j < d; j++) s += (double)x[j] * x[j];
    if (s > 0) {
        double inv = 1.0 / sqrt(s);
        for (int64_t j = 0; j < d; j++) out[j] = (float)(x[j] * inv);
    } else {
        for (int64_t j = 0; j < d; j++) out[j] = 0.0f;
    }
}

static void mark(const csr *const *masks, int nmask, int32_t u, unsigned char *excl, unsigned char val)
{
    for (int m = 0; m < nmask; m++) {
        const csr *M = masks[m];
        if (!M || u >= M->nrows) continue;
        for (int64_t j = M->indptr[u]; j < M->indptr[u + 1]; j++) excl[M->indices[j]] = val;
    }
}

int rank_topk(const float *U, int64_t n_users, const float *V, int64_t n_items, int64_t d,
              const int32_t *users, int64_t nq, const csr *const *masks, int nmask,
              const rank_opts *o, rank_emit_fn emit, void *ctx, ar_err *e)
{
    int rc = check_args(U, n_users, V, n_items, d, users, nq, masks, nmask, o, e);
    if (rc) return rc;
    if (!users) nq = n_users;
    if (nq == 0) return AR_OK;
    int k = o->k < n_items ? o->k : (int)n_items;
    int64_t B = o->block;
    if (B == 0) {
        B = RANK_BLOCK_FLOATS / n_items;
        B = B < RANK_BLOCK_MIN ? RANK_BLOCK_MIN : B > RANK_BLOCK_MAX ? RANK_BLOCK_MAX : B;
    }
    if (B * n_items > RANK_MAX_BLOCK_FLOATS) B = RANK_MAX_BLOCK_FLOATS / n_items;
    if (B < 1) B = 1;
    if (B > nq) B = nq;

    float *Vn = NULL, *A = NULL, *S = NULL, *outs = NULL;
    int32_t *outi = NULL;
    int *outn = NULL;
    rc = AR_EDATA;
    A = ar_malloc((size_t)(B * d) * sizeof *A, e);
    S = ar_malloc((size_t)(B * n_items) * sizeof *S, e);
    outs = ar_malloc((size_t)(B * k) * sizeof *outs, e);
    outi = ar_malloc((size_t)(B * k) * sizeof *outi, e);
    outn = ar_malloc((size_t)B * sizeof *outn, e);
    if (!A || !S || !outs || !outi || !outn) goto done;
    const float *Vs = V;
    if (o->cosine) {
        /* Vn is (n_items, d): V with unit rows, zero rows stay zero */
        Vn = ar_malloc((size_t)(n_items * d) * sizeof *Vn, e);
        if (!Vn) goto done;
        #pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < n_items; i++) normalise_row(V + i * d, d, Vn + i * d);
        Vs = Vn;
    }

    for (int64_t q0 = 0; q0 < nq; q0 += B) {
        int64_t nb = nq - q0 < B ? nq - q0 : B;
        /* A is (nb, d): the block's user rows */
        for (int64_t b = 0; b < nb; b++) {
            int64_t u = users ? users[q0 + b] : q0 + b;
            if (o->cosine) normalise_row(U + u * d, d, A + b * d);
            else memcpy(A + b * d, U + u * d, (size_t)d * sizeof *A);
        }
        /* S (nb, n_items) = A (nb, d) * Vs^T (d, n_items) */
        gemm_f32(0, 1, (int)nb, (int)n_items, (int)d, 1.0f, A, (int)d,
                    Vs, (int)d, 0.0f, S, (int)n_items);
        #pragma omp parallel for schedule(static)
        for (int64_t b = 0; b < nb; b++) {
            int32_t u = users ? users[q0 + b] : (int32_t)(q0 + b);
            float *s = S + b * n_items;
            /* excluded items get NaN, which select_topk never keeps */
            for (int m = 0; m < nmask; m++) {
                const csr *M = masks[m];
                if (!M || u >= M->nrows) continue;
                for (int64_t j = M->indptr[u]; j < M->indptr[u + 1]; j++) s[M->indices[j]] = NAN;
            }
            outn[b] = select_topk(s, n_items, k, outi + b * k, outs + b * k);
        }
        for (int64_t b = 0; b < nb; b++) {
            int32_t u = users ? users[q0 + b] : (int32_t)(q0 + b);
            int r = emit(ctx, u, outi + b * k, outs + b * k, outn[b]);
            if (r) { rc = r; goto done; }
        }
    }
    rc = AR_OK;
done:
    free(Vn);
    free(A);
    free(S);
    free(outs);
    free(outi);
    free(outn);
    return rc;
}

/* ---- naive reference: per user, score every item in double, full sort ---- */
typedef struct scored { double s; int32_t i; } scored;

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->s > y->s) return -1;
    if (x->s < y->s) return 1;
    return (x->i > y->i) - (x->i < y->i);
}

int rank_topk_naive(const float *U, int64_t n_users, const float *V, int64_t n_items, int64_t d,
                    const int32_t *users, int64_t nq, const csr *const *masks, int nmask,
                    const rank_opts *o, rank_emit_fn emit, void *ctx, ar_err *e)
{
    int rc = check_args(U, n_users, V, n_items, d, users, nq, masks, nmask, o, e);
    if (rc) return rc;
    if (!users) nq = n_users;
    scored *all = ar_malloc((size_t)n_items * sizeof *all, e);
    unsigned char *ex = ar_calloc((size_t)n_items, 1, e);
    int32_t *items = ar_malloc((size_t)o->k * sizeof *items, e);
    float *sc = ar_malloc((size_t)o->k * sizeof *sc, e);
    rc = AR_EDATA;
    if (!all || !ex || !items || !sc) goto done;
    for (int64_t q = 0; q < nq; q++) {
        int32_t u = users ? users[q] : (int32_t)q;
        const float *x = U + (int64_t)u * d;
        mark(masks, nmask, u, ex, 1);
        int64_t n = 0;
        for (int64_t i = 0; i < n_items; i++) {
            if (ex[i]) continue;
            const float *y = V + i * d;
            double dot = 0, nx = 0, ny = 0;
            for (int64_t j = 0; j < d; j++) {
                dot += (double)x[j] * y[j];
                nx += (double)x[j] * x[j];
                ny += (double)y[j] * y[j];
            }
            double s = dot;
            if (o->cosine) s = (nx > 0 && ny > 0) ? dot / (sqrt(nx) * sqrt(ny)) : 0.0;
            all[n].s = s;
            all[n].i = (int32_t)i;
            n++;
        }
        mark(masks, nmask, u, ex, 0);
        qsort(all, (size_t)n, sizeof *all, cmp_scored);
        int m = n < o->k ? (int)n : o->k;
        for (int j = 0; j < m; j++) {
            items[j] = all[j].i;
            sc[j] = (float)all[j].s;
        }
        int r = emit(ctx, u, items, sc, m);
        if (r) { rc = r; goto done; }
    }
    rc = AR_OK;
done:
    free(all);
    free(ex);
    free(items);
    free(sc);
    return rc;
}

int64_t rank_mix_intent(float *U, const float *Q, int64_t n, int64_t d, double alpha)
{
    int64_t changed = 0;
    for (int64_t r = 0; r < n; r++) {
        float *u = U + r * d;
        const float *q = Q + r * d;
        double nu = 0, nq = 0;
        for (int64_t c = 0; c < d; c++) {
            nu += (double)u[c] * u[c];
            nq += (double)q[c] * q[c];
        }
        if (nq == 0) continue;
        double su = nu > 0 ? (1.0 - alpha) / sqrt(nu) : 0.0, sq = alpha / sqrt(nq);
        for (int64_t c = 0; c < d; c++) u[c] = (float)(su * u[c] + sq * q[c]);
        changed++;
    }
    return changed;
}
