/* Tests of lib/rank.c: rank_topk against the naive oracle rank_topk_naive on random
 * inputs (ties from quantised scores, masks, cosine with zero rows, K=1, K=n_items and
 * beyond, user subsets, several block sizes), early stop and argument errors. */
#include <math.h>
#include <string.h>

#include "rank.h"
#include "rng.h"
#include "t.h"

/* What emit received: up to cap users, each with n <= k entries. */
typedef struct got {
    int k, cap, calls, stop_after;
    int32_t *user;
    int *n;
    int32_t *items;
    float *scores;
} got;

static void got_init(got *g, int k, int cap)
{
    memset(g, 0, sizeof *g);
    g->k = k;
    g->cap = cap;
    g->user = calloc((size_t)cap, sizeof *g->user);
    g->n = calloc((size_t)cap, sizeof *g->n);
    g->items = calloc((size_t)cap * (size_t)k, sizeof *g->items);
    g->scores = calloc((size_t)cap * (size_t)k, sizeof *g->scores);
}

static void got_free(got *g)
{
    free(g->user);
    free(g->n);
    free(g->items);
    free(g->scores);
}

static int emit(void *ctx, int32_t user, const int32_t *items, const float *scores, int n)
{
    got *g = ctx;
    if (g->calls >= g->cap || n > g->k) return 99;
    g->user[g->calls] = user;
    g->n[g->calls] = n;
    memcpy(g->items + (size_t)g->calls * g->k, items, (size_t)n * sizeof *items);
    memcpy(g->scores + (size_t)g->calls * g->k, scores, (size_t)n * sizeof *scores);
    g->calls++;
    if (g->stop_after && g->calls == g->stop_after) return 7;
    return 0;
}

/* A random CSR mask with nrows rows over n_items columns, sorted distinct columns. */
static void random_mask(csr *m, rng *r, int64_t nrows, int64_t n_items, double p)
{
    m->nrows = nrows;
    m->ncols = n_items;
    m->indptr = calloc((size_t)nrows + 1, sizeof *m->indptr);
    m->indices = malloc((size_t)(nrows * n_items + 1) * sizeof *m->indices);
    m->data = NULL;
    int64_t nnz = 0;
    for (int64_t u = 0; u < nrows; u++) {
        for (int64_t i = 0; i < n_items; i++)
            if (rng_double(r) < p) m->indices[nnz++] = (int32_t)i;
        m->indptr[u + 1] = nnz;
    }
    m->nnz = nnz;
}

static void mask_free(csr *m)
{
    free(m->indptr);
    free(m->indices);
}

static int is_masked(const csr *const *masks, int nmask, int32_t u, int32_t item)
{
    for (int m = 0; m < nmask; m++) {
        if (u >= masks[m]->nrows) continue;
        for (int64_t j = masks[m]->indptr[u]; j < masks[m]->indptr[u + 1]; j++)
            if (masks[m]->indices[j] == item) return 1;
    }
    return 0;
}

static double true_score(const float *U, const float *V, int64_t d, int32_t u, int32_t i, int cosine)
{
    double dot = 0, nu = 0, nv = 0;
    for (int64_t j = 0; j < d; j++) {
        dot += (double)U[u * d + j] * V[i * d + j];
        nu += (double)U[u * d + j] * U[u * d + j];
        nv += (double)V[i * d + j] * V[i * d + j];
    }
    if (!cosine) return dot;
    return nu > 0 && nv > 0 ? dot / sqrt(nu * nv) : 0.0;
}

/* One comparison. quant: entries are small integers (exact scores, many ties), so
 * items and scores must agree exactly; otherwise scores agree to 1e-5 and items may
 * differ only between entries whose true scores are that close. */
static void compare_case(rng *r, int64_t nu, int64_t ni, int64_t d, int k, int cosine, int quant,
                         int nq_mode, int block, int nmask, double zero_frac)
{
    float *U = malloc((size_t)(nu * d) * sizeof *U), *V = malloc((size_t)(ni * d) * sizeof *V);
    for (int64_t x = 0; x < nu * d; x++)
        U[x] = quant ? (float)((int)rng_below(r, 5) - 2) : (float)rng_normal(r);
    for (int64_t x = 0; x < ni * d; x++)
        V[x] = quant ? (float)((int)rng_below(r, 5) - 2) : (float)rng_normal(r);
    for (int64_t u = 0; u < nu; u++)
        if (rng_double(r) < zero_frac) memset(U + u * d, 0, (size_t)d * sizeof *U);
    for (int64_t i = 0; i < ni; i++)
        if (rng_double(r) < zero_frac) memset(V + i * d, 0, (size_t)d * sizeof *V);
    csr mk[2];
    const csr *masks[2] = {&mk[0], &mk[1]};
    random_mask(&mk[0], r, nu, ni, 0.2);
    random_mask(&mk[1], r, nu / 2, ni, 0.1); /* fewer rows than users */
    /* users: all (NULL), a random subset in random order with repeats, or empty */
    int32_t *users = NULL;
    int64_t nq = nu;
    if (nq_mode == 1) {
        nq = 1 + (int64_t)rng_below(r, (uint64_t)(2 * nu));
        users = malloc((size_t)nq * sizeof *users);
        for (int64_t q = 0; q < nq; q++) users[q] = (int32_t)rng_below(r, (uint64_t)nu);
    } else if (nq_mode == 2) {
        nq = 0;
        users = malloc(sizeof *users);
    }
    rank_opts o = {.k = k, .cosine = cosine, .block = block};
    got a, b;
    got_init(&a, k, (int)nq + 1);
    got_init(&b, k, (int)nq + 1);
    ar_err e = {0};
    int ra = rank_topk(U, nu, V, ni, d, users, nq, masks, nmask, &o, emit, &a, &e);
    CHECK(ra == 0, "rank_topk: %d %s", ra, e.msg);
    int rb = rank_topk_naive(U, nu, V, ni, d, users, nq, masks, nmask, &o, emit, &b, &e);
    CHECK(rb == 0, "rank_topk_naive: %d %s", rb, e.msg);
    CHECK(a.calls == nq && b.calls == nq, "calls %d %d, expected %lld", a.calls, b.calls, (long long)nq);
    for (int c = 0; c < a.calls && c < b.calls && !t_cur_failed; c++) {
        int32_t u = users ? users[c] : c;
        CHECK(a.user[c] == u && b.user[c] == u, "user order at %d: %d %d expected %d", c, a.user[c], b.user[c], u);
        /* expected length: min(k, unmasked items) */
        int avail = 0;
        for (int32_t i = 0; i < ni; i++) avail += !is_masked(masks, nmask, u, i);
        int want = avail < k ? avail : k;
        CHECK(a.n[c] == want && b.n[c] == want, "user %d: n %d %d, expected %d", u, a.n[c], b.n[c], want);
        const int32_t *ia = a.items + (size_t)c * k, *ib = b.items + (size_t)c * k;
        const float *sa = a.scores + (size_t)c * k, *sb = b.scores + (size_t)c * k;
        for (int j = 0; j < a.n[c] && j < b.n[c]; j++) {
            CHECK(!is_masked(masks, nmask, u, ia[j]), "user %d: masked item %d ranked", u, ia[j]);
            if (j > 0) CHECK(sa[j - 1] > sa[j] || (sa[j - 1] == sa[j] && ia[j - 1] < ia[j]),
                             "user %d: order broken at %d", u, j);
            if (quant && !cosine) {
                CHECK(ia[j] == ib[j] && sa[j] == sb[j], "user %d pos %d: (%d, %g) vs naive (%d, %g)", u, j,
                      ia[j], sa[j], ib[j], sb[j]);
            } else {
                CHECK(fabs(sa[j] - sb[j]) <= 1e-5, "user %d pos %d: score %.9g vs naive %.9g", u, j, sa[j], sb[j]);
                if (ia[j] != ib[j])
                    CHECK(fabs(true_score(U, V, d, u, ia[j], cosine) - sb[j]) <= 1e-5,
                          "user %d pos %d: item %d vs naive %d", u, j, ia[j], ib[j]);
                CHECK(fabs(true_score(U, V, d, u, ia[j], cosine) - sa[j]) <= 1e-5, "user %d: wrong score", u);
            }
            if (t_cur_failed) break;
        }
    }
    got_free(&a);
    got_free(&b);
    mask_free(&mk[0]);
    mask_free(&mk[1]);
    free(users);
    free(U);
    free(V);
}

static void test_ties_dot(void)
{
    rng r;
    rng_seed(&r, 1);
    const int kk[] = {1, 3, 10, 53, 80};
    const int blocks[] = {0, 1, 7, 64};
    for (size_t a = 0; a < sizeof kk / sizeof *kk; a++)
        for (size_t b = 0; b < sizeof blocks / sizeof *blocks; b++)
            for (int mode = 0; mode < 3; mode++)
                compare_case(&r, 37, 53, 3, kk[a], 0, 1, mode, blocks[b], (int)(a + b) % 3, 0.1);
}

static void test_random_dot(void)
{
    rng r;
    rng_seed(&r, 2);
    compare_case(&r, 300, 500, 16, 20, 0, 0, 0, 0, 2, 0.0);
    compare_case(&r, 300, 500, 16, 1, 0, 0, 1, 100, 1, 0.0);
    compare_case(&r, 50, 40, 8, 40, 0, 0, 1, 16, 2, 0.0);
}

static void test_cosine_zero_rows(void)
{
    rng r;
    rng_seed(&r, 3);
    compare_case(&r, 200, 300, 12, 20, 1, 0, 0, 0, 2, 0.15);
    compare_case(&r, 200, 300, 12, 300, 1, 0, 1, 33, 1, 0.15);
    compare_case(&r, 60, 70, 5, 1, 1, 0, 1, 1, 2, 0.3);
    /* a zero user row: every score is 0, so the list is the lowest unmasked indices */
    float U[2 * 3] = {0, 0, 0, 1, 2, 3}, V[4 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 0, 5, 5, 5};
    got g;
    got_init(&g, 3, 4);
    rank_opts o = {.k = 3, .cosine = 1, .block = 0};
    ar_err e = {0};
    const int32_t users[2] = {0, 1};
    CHECK(rank_topk(U, 2, V, 4, 3, users, 2, NULL, 0, &o, emit, &g, &e) == 0, "%s", e.msg);
    CHECK(g.calls == 2 && g.n[0] == 3, "calls");
    CHECK(g.items[0] == 0 && g.items[1] == 1 && g.items[2] == 2 && g.scores[0] == 0, "zero user: %d %d %d",
          g.items[0], g.items[1], g.items[2]);
    /* user (1,2,3): cos with (5,5,5) = 6/sqrt(14*3) = 0.9258, (0,1,0): 2/sqrt(14) = 0.5345,
     * (1,0,0): 1/sqrt(14) = 0.2673; the zero item (index 2) scores 0 and is not in the top 3 */
    CHECK(g.items[3] == 3 && g.items[4] == 1 && g.items[5] == 0, "user 1: %d %d %d", g.items[3], g.items[4], g.items[5]);
    CHECK_CLOSE(g.scores[3], 6.0 / sqrt(42.0), 1e-6, 0);
    CHECK_CLOSE(g.scores[5], 1.0 / sqrt(14.0), 1e-6, 0);
    got_free(&g);
}

static void test_bigger_parallel(void)
{
    /* several blocks over the OpenMP loop, K = 20 as ar-rank uses */
    rng r;
    rng_seed(&r, 4);
    compare_case(&r, 1500, 700, 32, 20, 0, 1, 0, 256, 2, 0.0);
    compare_case(&r, 1500, 700, 32, 20, 1, 0, 0, 256, 2, 0.05);
}

static void test_stop_and_errors(void)
{
    float U[4 * 2] = {1, 0, 0, 1, 1, 1, 2, 2}, V[3 * 2] = {1, 2, 3, 4, 5, 6};
    got g;
    got_init(&g, 2, 8);
    g.stop_after = 2;
    rank_opts o = {.k = 2, .cosine = 0, .block = 1};
    ar_err e = {0};
    int rc = rank_topk(U, 4, V, 3, 2, NULL, 0, NULL, 0, &o, emit, &g, &e);
    CHECK(rc == 7 && g.calls == 2, "stop: rc %d calls %d", rc, g.calls);
    got_free(&g);
    got_init(&g, 2, 8);
    o.k = 0;
    CHECK(rank_topk(U, 4, V, 3, 2, NULL, 0, NULL, 0, &o, emit, &g, &e) == AR_EUSAGE, "k=0 accepted");
    o.k = 2;
    const int32_t bad_user[1] = {4};
    CHECK(rank_topk(U, 4, V, 3, 2, bad_user, 1, NULL, 0, &o, emit, &g, &e) == AR_EDATA, "user 4 accepted");
    CHECK(strstr(e.msg, "users[0]") != NULL, "message: %s", e.msg);
    U[3] = NAN;
    CHECK(rank_topk(U, 4, V, 3, 2, NULL, 0, NULL, 0, &o, emit, &g, &e) == AR_EDATA, "NaN accepted");
    CHECK(strstr(e.msg, "U row 1") != NULL, "message: %s", e.msg);
    U[3] = 1;
    int32_t badcol[1] = {3};
    int64_t ptr[2] = {0, 1};
    csr m = {.nrows = 1, .ncols = 4, .nnz = 1, .indptr = ptr, .indices = badcol, .data = NULL};
    const csr *ms[1] = {&m};
    CHECK(rank_topk(U, 4, V, 3, 2, NULL, 0, ms, 1, &o, emit, &g, &e) == AR_EDATA, "mask column 3 accepted");
    CHECK(g.calls == 0, "emitted before an error");
    got_free(&g);
}

/* rank_mix_intent on a hand-computed case. */
static void test_mix_intent(void)
{
    /* row 0: u = (3, 4) |u| = 5, q = (0, 2) |q| = 2, alpha 0.25:
     *        0.75 (0.6, 0.8) + 0.25 (0, 1) = (0.45, 0.85)
     * row 1: q = 0: unchanged; row 2: u = 0: 0.25 q/|q| = (0.25, 0) */
    float U[6] = {3, 4, 1, 2, 0, 0};
    const float Q[6] = {0, 2, 0, 0, -7, 0};
    int64_t n = rank_mix_intent(U, Q, 3, 2, 0.25);
    CHECK(n == 2, "changed %lld rows, expected 2", (long long)n);
    CHECK_CLOSE(U[0], 0.45, 1e-6, 1e-7);
    CHECK_CLOSE(U[1], 0.85, 1e-6, 1e-7);
    CHECK(U[2] == 1 && U[3] == 2, "row without intention changed: %g %g", U[2], U[3]);
    CHECK_CLOSE(U[4], -0.25, 1e-6, 1e-7);
    CHECK(U[5] == 0, "U[5] = %g", U[5]);
    /* alpha 0: unit user rows, nothing of q */
    float V[2] = {3, 4};
    const float R[2] = {1, 1};
    rank_mix_intent(V, R, 1, 2, 0.0);
    CHECK_CLOSE(V[0], 0.6, 1e-6, 1e-7);
    CHECK_CLOSE(V[1], 0.8, 1e-6, 1e-7);
}

int main(void)
{
    RUN(test_mix_intent);
    RUN(test_ties_dot);
    RUN(test_random_dot);
    RUN(test_cosine_zero_rows);
    RUN(test_bigger_parallel);
    RUN(test_stop_and_errors);
    T_EXIT();
}
