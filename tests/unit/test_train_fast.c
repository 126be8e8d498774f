/* test_train_fast: the restricted propagation of the training fast path
 * (csr_propagate_sel, csr_propagate_back_sel) against the full csr_propagate,
 * bit for bit: random graphs (normalised bipartite adjacencies and general
 * non-negative square matrices with empty rows), random selections of rows,
 * L = 0..8, several d, both SIMD levels, 1 and 2 threads, gradients with signed
 * zeros and underflowing products (where skipped +0 terms matter). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "csr.h"
#include "t.h"

static uint64_t g_seed = 0x2545F4914F6CDD1DULL;
static uint32_t rnd(void)
{
    g_seed ^= g_seed << 13;
    g_seed ^= g_seed >> 7;
    g_seed ^= g_seed << 17;
    return (uint32_t)(g_seed >> 11);
}
static float rndf(void) { return (float)(rnd() % 2000001u) / 1000000.0f - 1.0f; }

static void set_threads(int n)
{
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

/* A value for a gradient: mostly ordinary, some +-0 and +-the smallest subnormal
 * (times a weight of 0.5 or less that rounds to a signed zero). */
static float grad_val(void)
{
    switch (rnd() % 8) {
    case 0: return 0.0f;
    case 1: return -0.0f;
    case 2: return -1.4e-45f;
    case 3: return 1.4e-45f;
    default: return rndf();
    }
}

/* Normalised adjacency of a random bipartite graph with U users, I items, n pairs
 * (the last `cold` items never used). */
static void bipartite(csr *A, int64_t U, int64_t I, int64_t n, int64_t cold)
{
    int32_t *p = malloc((size_t)n * 2 * sizeof *p);
    for (int64_t k = 0; k < n; k++) {
        p[2 * k] = (int32_t)(rnd() % (uint32_t)U);
        uint32_t a = rnd() % (uint32_t)(I - cold), b = rnd() % (uint32_t)(I - cold);
        p[2 * k + 1] = (int32_t)(a < b ? a : b);
    }
    csr R;
    ar_err e = {0};
    if (csr_from_pairs(&R, p, n, U, I, &e) || csr_norm_adj(&R, A, &e)) abort();
    csr_free(&R);
    free(p);
}

/* A general square matrix: ~per entries a row, some rows empty, values in
 * {0, small, tiny, ordinary}, not symmetric. */
static void general(csr *A, int64_t N, int per)
{
    int32_t *p = malloc((size_t)(N * (2 * per + 1)) * 2 * sizeof *p);
    int64_t n = 0;
    for (int64_t r = 0; r < N; r++) {
        if (rnd() % 8 == 0) continue;
        int k = (int)(rnd() % (unsigned)(2 * per + 1));
        for (int q = 0; q < k; q++) {
            p[2 * n] = (int32_t)r;
            p[2 * n + 1] = (int32_t)(rnd() % (uint32_t)N);
            n++;
        }
    }
    ar_err e = {0};
    if (csr_from_pairs(A, p, n, N, N, &e)) abort();
    for (int64_t k = 0; k < A->nnz; k++) {
        uint32_t c = rnd() % 10;
        A->data[k] = c == 0 ? 0.0f : c == 1 ? 0.5f : c == 2 ? 0.25f : (float)(rnd() % 1000 + 1) / 1000.0f;
    }
    free(p);
}

static float *mat(int64_t n, int grad)
{
    float *x = malloc((size_t)(n ? n : 1) * sizeof *x);
    for (int64_t k = 0; k < n; k++) x[k] = grad ? grad_val() : rndf();
    return x;
}

/* A selection like a batch: B "users" (ids 0..U-1), B "positives" and B*K
 * "negatives" (ids 0..N-U-1, offset U); duplicates included. */
typedef struct batch {
    int32_t *u, *p, *n;
    int64_t B, K, U;
} batch;

static void batch_new(batch *b, int64_t N, int64_t U, int64_t B, int64_t K)
{
    b->B = B;
    b->K = K;
    b->U = U;
    b->u = malloc((size_t)(B ? B : 1) * sizeof(int32_t));
    b->p = malloc((size_t)(B ? B : 1) * sizeof(int32_t));
    b->n = malloc((size_t)(B * K > 0 ? B * K : 1) * sizeof(int32_t));
    for (int64_t i = 0; i < B; i++) {
        b->u[i] = (int32_t)(rnd() % (uint32_t)U);
        b->p[i] = (int32_t)(rnd() % (uint32_t)(N - U));
    }
    for (int64_t i = 0; i < B * K; i++) b->n[i] = (int32_t)(rnd() % (uint32_t)(N - U));
}

static void batch_free(batch *b)
{
    free(b->u);
    free(b->p);
    free(b->n);
}

static int select_batch(csr_sel *s, const batch *b)
{
    ar_err e = {0};
    csr_sel_clear(s);
    return csr_sel_add(s, b->u, b->B, 0, &e) || csr_sel_add(s, b->p, b->B, b->U, &e) ||
           csr_sel_add(s, b->n, b->B * b->K, b->U, &e);
}

static int bits_equal(const float *a, const float *b, int64_t n) { return memcmp(a, b, (size_t)n * sizeof *a) == 0; }

/* One comparison: forward on the rows of S and backward on all rows. Returns the
 * number of mismatches (reported through CHECK). */
static void compare(const csr *A, csr_sel *s, const batch *bt, int64_t d, int L, const char *what)
{
    const int64_t N = A->nrows, nd = N * d;
    CHECK(select_batch(s, bt) == 0, "%s: selection failed", what);
    uint8_t *in = calloc((size_t)N, 1);
    for (int64_t i = 0; i < bt->B; i++) {
        in[bt->u[i]] = 1;
        in[bt->U + bt->p[i]] = 1;
    }
    for (int64_t i = 0; i < bt->B * bt->K; i++) in[bt->U + bt->n[i]] = 1;
    int64_t nin = 0;
    for (int64_t r = 0; r < N; r++) nin += in[r];
    CHECK(csr_sel_count(s) == nin, "%s: %lld rows selected, expected %lld", what, (long long)csr_sel_count(s),
          (long long)nin);

    float *E = mat(nd, 0), *F0 = mat(nd, 0), *F1 = mat(nd, 0), *t1 = mat(nd, 0), *t2 = mat(nd, 0);
    float *sent = malloc((size_t)(nd ? nd : 1) * sizeof *sent);
    memcpy(sent, F1, (size_t)nd * sizeof *sent);
    csr_propagate(A, E, d, L, F0, t1, t2);
    csr_propagate_sel(s, E, d, L, F1, L >= 2 ? t1 : NULL, L >= 3 ? t2 : NULL);
    int64_t bad = 0, touched = 0;
    for (int64_t r = 0; r < N; r++) {
        if (in[r]) bad += !bits_equal(F0 + r * d, F1 + r * d, d);
        else touched += !bits_equal(sent + r * d, F1 + r * d, d);
    }
    CHECK(bad == 0, "%s: forward: %lld of %lld selected rows differ from csr_propagate", what, (long long)bad,
          (long long)nin);
    CHECK(touched == 0, "%s: forward wrote %lld rows outside the selection", what, (long long)touched);

    /* backward: dF has garbage outside S (must be ignored); the oracle sees +0 there */
    float *dF = mat(nd, 1), *dF0 = malloc((size_t)(nd ? nd : 1) * sizeof *dF0), *dE0 = mat(nd, 0), *dE1 = mat(nd, 0);
    for (int64_t r = 0; r < N; r++)
        for (int64_t t = 0; t < d; t++) dF0[r * d + t] = in[r] ? dF[r * d + t] : 0.0f;
    csr_propagate(A, dF0, d, L, dE0, t1, t2);
    csr_propagate_back_sel(s, dF, d, L, dE1, L >= 2 ? t1 : NULL, L >= 3 ? t2 : NULL);
    bad = 0;
    int64_t negz = 0;
    for (int64_t k = 0; k < nd; k++) {
        uint32_t x, y;
        memcpy(&x, dE0 + k, 4);
        memcpy(&y, dE1 + k, 4);
        bad += x != y;
        negz += x == 0x80000000u;
    }
    CHECK(bad == 0, "%s: backward: %lld of %lld values differ from csr_propagate", what, (long long)bad,
          (long long)nd);
    (void)negz;
    free(E);
    free(F0);
    free(F1);
    free(t1);
    free(t2);
    free(sent);
    free(dF);
    free(dF0);
    free(dE0);
    free(dE1);
    free(in);
}

static void suite(const csr *A, int64_t U, const char *name)
{
    ar_err e = {0};
    csr_sel *s = NULL;
    CHECK(csr_sel_init(&s, A, &e) == 0, "%s: %s", name, e.msg);
    if (!s) return;
    const char *modes[] = {NULL, "portable"};
    const int64_t ds[] = {64, 5, 24, 37};
    const int64_t N = A->nrows;
    for (int mi = 0; mi < 2; mi++) {
        if (modes[mi]) setenv("AR_SIMD", modes[mi], 1);
        else unsetenv("AR_SIMD");
        for (int q = 0; q < 4; q++)
            for (int L = 0; L <= 8; L++) {
                if (L > 4 && q > 1) continue;
                /* small, medium and nearly-everything selections */
                const int64_t Bs[] = {1, 5, N / 8, N / 2};
                for (int bi = 0; bi < 4; bi++) {
                    batch bt;
                    batch_new(&bt, N, U, Bs[bi] > 0 ? Bs[bi] : 1, bi == 3 ? 2 : 1);
                    char what[160];
                    snprintf(what, sizeof what, "%s simd=%s d=%lld L=%d B=%lld", name, modes[mi] ? modes[mi] : "auto",
                             (long long)ds[q], L, (long long)bt.B);
                    set_threads(1 + (bi + L) % 2);
                    compare(A, s, &bt, ds[q], L, what);
                    batch_free(&bt);
                }
            }
    }
    unsetenv("AR_SIMD");
    set_threads(2);
    csr_sel_free(s);
}

static void test_sel_bipartite(void)
{
    csr A;
    bipartite(&A, 300, 180, 1500, 7);
    suite(&A, 300, "bipartite");
    csr_free(&A);
}

static void test_sel_sparse_bipartite(void)
{
    /* few pairs: most rows far from a small selection */
    csr A;
    bipartite(&A, 500, 400, 700, 20);
    suite(&A, 500, "sparse");
    csr_free(&A);
}

static void test_sel_general(void)
{
    csr A;
    general(&A, 260, 3);
    suite(&A, 100, "general");
    csr_free(&A);
}

/* Signed zeros by hand (values 0.5, S = {0, 1, 3, 4, 5, 6}, dF = -tiny on S except
 * row 3 = -0): an accumulator turns -0 when 0.5 * -tiny underflows; the full kernel
 * then adds +0 for a skipped column, which the fast path must replay:
 *   row 0 = cols 1, 2, 3: a skipped column between two gathered ones;
 *   row 4 = cols 1, 2:    a skipped column at the end;
 *   row 5 = col 6 (row 6 empty, no row has column 5): dE[5] is -0 after layer 1
 *   and no later layer reaches row 5, but the full kernel still adds +0 to it. */
static void test_sel_negzero(void)
{
    int32_t pr[] = {0, 1, 0, 2, 0, 3, 4, 1, 4, 2, 5, 6};
    csr A;
    ar_err e = {0};
    CHECK(csr_from_pairs(&A, pr, 6, 8, 8, &e) == 0, "%s", e.msg);
    for (int64_t k = 0; k < A.nnz; k++) A.data[k] = 0.5f;
    csr_sel *s = NULL;
    CHECK(csr_sel_init(&s, &A, &e) == 0, "%s", e.msg);
    if (!s) return;
    const int64_t N = 8;
    const int32_t S[] = {0, 1, 3, 4, 5, 6};
    float *dF = malloc(8 * 64 * sizeof *dF), *dE0 = malloc(8 * 64 * sizeof *dE0), *dE1 = malloc(8 * 64 * sizeof *dE1);
    float *t1 = malloc(8 * 64 * sizeof *t1), *t2 = malloc(8 * 64 * sizeof *t2);
    const char *modes[] = {NULL, "portable"};
    for (int mi = 0; mi < 2; mi++) {
        if (modes[mi]) setenv("AR_SIMD", modes[mi], 1);
        else unsetenv("AR_SIMD");
        for (int q = 0; q < 4; q++) {
            const int L = 1 + q % 2 * 2, d = q < 2 ? 64 : 8;
            memset(dF, 0, 8 * 64 * sizeof *dF);
            for (int i = 0; i < 6; i++)
                for (int t = 0; t < d; t++) dF[S[i] * d + t] = S[i] == 3 ? -0.0f : -1.4e-45f;
            csr_sel_clear(s);
            CHECK(csr_sel_add(s, S, 6, 0, &e) == 0, "%s", e.msg);
            csr_propagate(&A, dF, d, L, dE0, t1, t2);
            csr_propagate_back_sel(s, dF, d, L, dE1, t1, t2);
            CHECK(bits_equal(dE0, dE1, N * d), "L=%d d=%d simd=%s: signed zeros differ", L, d, modes[mi] ? modes[mi] : "auto");
        }
    }
    unsetenv("AR_SIMD");
    free(dF);
    free(dE0);
    free(dE1);
    free(t1);
    free(t2);
    csr_sel_free(s);
    csr_free(&A);
}

static void test_sel_errors(void)
{
    ar_err e = {0};
    csr A;
    general(&A, 50, 3);
    csr_sel *s = NULL;
    A.data[A.nnz / 2] = -0.5f;
    CHECK(csr_sel_init(&s, &A, &e) == AR_EUSAGE && !s, "negative value accepted");
    A.data[A.nnz / 2] = NAN;
    CHECK(csr_sel_init(&s, &A, &e) == AR_EUSAGE && !s, "NaN accepted");
    A.data[A.nnz / 2] = 0.5f;
    A.ncols = 49;
    CHECK(csr_sel_init(&s, &A, &e) == AR_EUSAGE && !s, "non-square matrix accepted");
    A.ncols = 50;
    CHECK(csr_sel_init(&s, &A, &e) == AR_OK && s, "%s", e.msg);
    int32_t ids[2] = {3, 40};
    CHECK(csr_sel_add(s, ids, 2, 0, &e) == AR_OK, "%s", e.msg);
    CHECK(csr_sel_add(s, ids, 2, 10, &e) == AR_EUSAGE, "row 50 accepted");
    CHECK(strstr(e.msg, "out of range") != NULL, "message: %s", e.msg);
    csr_sel_clear(s);
    CHECK(csr_sel_count(s) == 0, "clear left %lld rows", (long long)csr_sel_count(s));
    csr_sel_free(s);
    csr_free(&A);
}

int main(void)
{
    RUN(test_sel_bipartite);
    RUN(test_sel_sparse_bipartite);
    RUN(test_sel_general);
    RUN(test_sel_negzero);
    RUN(test_sel_errors);
    T_EXIT();
}
