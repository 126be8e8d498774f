/* Tests of lib/csr.c: construction from pairs, transpose, the normalised adjacency
 * and mean operators against dense hand computations, SpMM/propagation kernels
 * against their naive references, and the scipy-layout .npz round trips. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "csr.h"
#include "npy.h"
#include "t.h"

static char g_dir[64];

static double *densify(const csr *m)
{
    double *a = calloc((size_t)(m->nrows * m->ncols) + 1, sizeof *a);
    for (int64_t r = 0; r < m->nrows; r++)
        for (int64_t k = m->indptr[r]; k < m->indptr[r + 1]; k++) a[r * m->ncols + m->indices[k]] += m->data[k];
    return a;
}

static int rows_sorted(const csr *m)
{
    for (int64_t r = 0; r < m->nrows; r++)
        for (int64_t k = m->indptr[r] + 1; k < m->indptr[r + 1]; k++)
            if (m->indices[k] <= m->indices[k - 1]) return 0;
    return m->indptr[0] == 0 && m->indptr[m->nrows] == m->nnz;
}

/* Simple LCG so the test does not depend on rng.h's exact API. */
static uint64_t g_seed = 12345;
static uint32_t rnd(void)
{
    g_seed = g_seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(g_seed >> 33);
}
static float rndf(void) { return (float)rnd() / 2147483648.0f * 2.0f - 1.0f; }

static void test_from_pairs(void)
{
    /* 4 x 5, unsorted, duplicates, an empty row (2). */
    const int32_t p[] = {3, 4, 0, 2, 0, 0, 3, 1, 0, 2, 1, 3, 3, 4, 0, 1, 3, 0, 0, 2};
    csr m;
    ar_err e = {0};
    CHECK(csr_from_pairs(&m, p, 10, 4, 5, &e) == 0, "%s", e.msg);
    CHECK(m.nrows == 4 && m.ncols == 5, "shape %lld x %lld", (long long)m.nrows, (long long)m.ncols);
    CHECK(m.nnz == 7, "nnz %lld, expected 7", (long long)m.nnz);
    const int64_t ip[] = {0, 3, 4, 4, 7};
    const int32_t ix[] = {0, 1, 2, 3, 0, 1, 4};
    for (int r = 0; r <= 4; r++) CHECK(m.indptr[r] == ip[r], "indptr[%d] = %lld", r, (long long)m.indptr[r]);
    for (int k = 0; k < 7 && k < m.nnz; k++) {
        CHECK(m.indices[k] == ix[k], "indices[%d] = %d, expected %d", k, m.indices[k], ix[k]);
        CHECK(m.data[k] == 1.0f, "data[%d] = %g", k, m.data[k]);
    }
    csr_free(&m);

    /* Long rows take the qsort path: 100 random columns with repeats in one row. */
    int32_t q[2 * 300];
    int seen[64] = {0}, distinct = 0;
    for (int k = 0; k < 300; k++) {
        q[2 * k] = 1;
        q[2 * k + 1] = (int32_t)(rnd() % 64);
        if (!seen[q[2 * k + 1]]++) distinct++;
    }
    CHECK(csr_from_pairs(&m, q, 300, 3, 64, &e) == 0, "%s", e.msg);
    CHECK(m.nnz == distinct && rows_sorted(&m), "nnz %lld vs %d distinct, or unsorted", (long long)m.nnz, distinct);
    csr_free(&m);

    /* Empty input: a valid empty matrix. */
    CHECK(csr_from_pairs(&m, NULL, 0, 3, 2, &e) == 0, "%s", e.msg);
    CHECK(m.nnz == 0 && m.indptr[3] == 0, "empty");
    csr_free(&m);

    /* Out of range: the message names the row of the pairs array. */
    const int32_t bad1[] = {0, 0, 1, 1, 4, 0};
    CHECK(csr_from_pairs(&m, bad1, 3, 4, 5, &e) == AR_EDATA, "row out of range accepted");
    CHECK(strstr(e.msg, "row 2") != NULL, "message: %s", e.msg);
    const int32_t bad2[] = {0, 0, 1, 5, 1, 1};
    CHECK(csr_from_pairs(&m, bad2, 3, 4, 5, &e) == AR_EDATA, "column out of range accepted");
    CHECK(strstr(e.msg, "row 1") != NULL && strstr(e.msg, "column") != NULL, "message: %s", e.msg);
    const int32_t bad3[] = {-1, 0};
    CHECK(csr_from_pairs(&m, bad3, 1, 4, 5, &e) == AR_EDATA, "negative row accepted");
}

static void test_transpose(void)
{
    int32_t p[2 * 200];
    for (int k = 0; k < 200; k++) {
        p[2 * k] = (int32_t)(rnd() % 30);
        p[2 * k + 1] = (int32_t)(rnd() % 17);
    }
    csr a, t;
    ar_err e = {0};
    CHECK(csr_from_pairs(&a, p, 200, 30, 17, &e) == 0, "%s", e.msg);
    for (int64_t k = 0; k < a.nnz; k++) a.data[k] = rndf();
    CHECK(csr_transpose(&a, &t, &e) == 0, "%s", e.msg);
    CHECK(t.nrows == 17 && t.ncols == 30 && t.nnz == a.nnz, "shape");
    CHECK(rows_sorted(&t), "transpose rows unsorted");
    double *da = densify(&a), *dt = densify(&t);
    int bad = 0;
    for (int r = 0; r < 30; r++)
        for (int c = 0; c < 17; c++) bad += da[r * 17 + c] != dt[c * 30 + r];
    CHECK(bad == 0, "%d entries differ", bad);
    free(da);
    free(dt);
    csr_free(&a);
    csr_free(&t);
}

/* Tiny graph: 3 users, 4 items, item 3 cold (no training pair), a duplicate pair. */
static void test_norm_adj_and_mean(void)
{
    const int32_t p[] = {0, 0, 0, 1, 1, 1, 2, 0, 2, 2, 0, 1};
    const int U = 3, I = 4, N = 7;
    csr R, A, P;
    ar_err e = {0};
    CHECK(csr_from_pairs(&R, p, 6, U, I, &e) == 0, "%s", e.msg);
    CHECK(csr_norm_adj(&R, &A, &e) == 0, "%s", e.msg);
    CHECK(A.nrows == N && A.ncols == N && A.nnz == 10, "shape %lld nnz %lld", (long long)A.nrows, (long long)A.nnz);
    CHECK(rows_sorted(&A), "adjacency rows unsorted");
    /* Dense reference: A binary symmetric, D^-1/2 A D^-1/2 with 0 for degree 0. */
    double dense[7][7] = {{0}}, deg[7] = {0};
    for (int k = 0; k < 6; k++) {
        dense[p[2 * k]][U + p[2 * k + 1]] = 1;
        dense[U + p[2 * k + 1]][p[2 * k]] = 1;
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) deg[i] += dense[i][j];
    double *got = densify(&A);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double want = dense[i][j] ? dense[i][j] / sqrt(deg[i] * deg[j]) : 0.0;
            CHECK_CLOSE(got[i * N + j], want, 1e-6, 1e-7);
        }
    /* By hand: user 0 has items {0,1}, item 1 has users {0,1}: 1/sqrt(2*2). */
    CHECK_CLOSE(got[0 * N + U + 1], 0.5, 1e-7, 0);
    /* user 1 has {1} only, item 1 degree 2: 1/sqrt(2). */
    CHECK_CLOSE(got[1 * N + U + 1], 1.0 / sqrt(2.0), 1e-7, 0);
    CHECK(A.indptr[U + 3] == A.indptr[U + 4], "cold item row not empty");
    for (int i = 0; i < N; i++) CHECK(got[i * N + i] == 0.0, "self loop at %d", i);
    free(got);

    CHECK(csr_row_mean(&R, &P, &e) == 0, "%s", e.msg);
    double *pm = densify(&P);
    for (int u = 0; u < U; u++) {
        int du = 0;
        for (int i = 0; i < I; i++) du += dense[u][U + i] != 0;
        for (int i = 0; i < I; i++) CHECK_CLOSE(pm[u * I + i], dense[u][U + i] ? 1.0 / du : 0.0, 1e-7, 0);
    }
    free(pm);

    /* Unsorted or duplicate R columns are refused. */
    R.indices[0] = 1;
    csr B;
    CHECK(csr_norm_adj(&R, &B, &e) == AR_EDATA, "duplicate columns accepted");
    csr_free(&R);
    csr_free(&A);
    csr_free(&P);

    /* A user with no training item gets an empty row too. */
    const int32_t p2[] = {1, 0};
    CHECK(csr_from_pairs(&R, p2, 1, 2, 1, &e) == 0, "%s", e.msg);
    CHECK(csr_norm_adj(&R, &A, &e) == 0, "%s", e.msg);
    CHECK(A.indptr[1] == 0 && A.nnz == 2 && A.data[0] == 1.0f, "zero-degree user");
    csr_free(&R);
    csr_free(&A);
}

/* Random (nrows, ncols) matrix with ~per nonzeros a row and some empty rows. */
static void random_csr(csr *m, int64_t nrows, int64_t ncols, int per)
{
    int64_t n = 0;
    int32_t *p = malloc((size_t)(nrows * (2 * per + 1)) * 2 * sizeof *p);
    for (int64_t r = 0; r < nrows; r++) {
        if (rnd() % 10 == 0) continue;
        int k = (int)(rnd() % (unsigned)(2 * per + 1));
        for (int q = 0; q < k; q++) {
            p[2 * n] = (int32_t)r;
            p[2 * n + 1] = (int32_t)(rnd() % (uint32_t)ncols);
            n++;
        }
    }
    ar_err e = {0};
    if (csr_from_pairs(m, p, n, nrows, ncols, &e)) abort();
    for (int64_t k = 0; k < m->nnz; k++) m->data[k] = rndf();
    free(p);
}

static float *rand_mat(int64_t n)
{
    float *x = malloc((size_t)n * sizeof *x + 4);
    for (int64_t k = 0; k < n; k++) x[k] = rndf();
    return x;
}

static double max_rel(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t k = 0; k < n; k++) {
        double d = fabs((double)a[k] - b[k]) / (1.0 + fabs((double)b[k]));
        if (!(d <= m)) m = d; /* catches NaN */
    }
    return m;
}

static void set_threads(int n)
{
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

static void spmm_suite(const char *simd)
{
    if (simd) setenv("AR_SIMD", simd, 1);
    else unsetenv("AR_SIMD");
    const int64_t ds[] = {1, 3, 7, 8, 17, 32, 40, 64, 65, 100, 300};
    for (size_t q = 0; q < sizeof ds / sizeof *ds; q++) {
        const int64_t d = ds[q];
        csr A;
        random_csr(&A, 700, 450, 6);
        float *X = rand_mat(A.ncols * d), *Y0 = rand_mat(A.nrows * d), *Y1 = rand_mat(A.nrows * d);
        float *Y2 = rand_mat(A.nrows * d), *Yb = malloc((size_t)(A.nrows * d) * sizeof(float));
        csr_spmm_naive(&A, X, d, Y0);
        set_threads(1);
        csr_spmm(&A, X, d, Y1);
        set_threads(2);
        csr_spmm(&A, X, d, Y2);
        CHECK(max_rel(Y1, Y0, A.nrows * d) < 1e-5, "%s d=%lld: spmm differs from naive by %g",
              simd ? simd : "default", (long long)d, max_rel(Y1, Y0, A.nrows * d));
        CHECK(memcmp(Y1, Y2, (size_t)(A.nrows * d) * sizeof(float)) == 0,
              "d=%lld: 1 and 2 threads give different bits", (long long)d);
        /* Y += alpha A X */
        memcpy(Yb, Y2, (size_t)(A.nrows * d) * sizeof(float));
        csr_spmm_add(&A, X, d, -0.75f, Y2);
        for (int64_t k = 0; k < A.nrows * d; k++) Yb[k] += -0.75f * Y0[k];
        CHECK(max_rel(Y2, Yb, A.nrows * d) < 1e-5, "d=%lld: spmm_add differs by %g", (long long)d,
              max_rel(Y2, Yb, A.nrows * d));
        free(X);
        free(Y0);
        free(Y1);
        free(Y2);
        free(Yb);
        csr_free(&A);
    }
    unsetenv("AR_SIMD");
}

static void test_spmm_default(void) { spmm_suite(NULL); }
static void test_spmm_portable(void) { spmm_suite("portable"); }

static void test_propagate(void)
{
    /* A symmetric normalised adjacency from random pairs, as in training. */
    const int64_t U = 400, I = 250, N = U + I;
    int64_t n = 3000;
    int32_t *p = malloc((size_t)n * 2 * sizeof *p);
    for (int64_t k = 0; k < n; k++) {
        p[2 * k] = (int32_t)(rnd() % U);
        p[2 * k + 1] = (int32_t)(rnd() % (I - 10)); /* the last 10 items are cold */
    }
    csr R, A;
    ar_err e = {0};
    CHECK(csr_from_pairs(&R, p, n, U, I, &e) == 0, "%s", e.msg);
    CHECK(csr_norm_adj(&R, &A, &e) == 0, "%s", e.msg);
    const char *modes[] = {NULL, "portable"};
    for (int mi = 0; mi < 2; mi++) {
        if (modes[mi]) setenv("AR_SIMD", modes[mi], 1);
        else unsetenv("AR_SIMD");
        const int64_t ds[] = {64, 5, 24};
        for (int q = 0; q < 3; q++)
            for (int L = 0; L <= 4; L++) {
                const int64_t d = ds[q];
                float *E = rand_mat(N * d), *F0 = rand_mat(N * d), *F1 = rand_mat(N * d), *F2 = rand_mat(N * d);
                float *t1 = rand_mat(N * d), *t2 = rand_mat(N * d);
                csr_propagate_naive(&A, E, d, L, F0, t1, t2);
                set_threads(2);
                csr_propagate(&A, E, d, L, F1, L >= 2 ? t1 : NULL, L >= 3 ? t2 : NULL);
                set_threads(1);
                csr_propagate(&A, E, d, L, F2, t1, t2);
                CHECK(max_rel(F1, F0, N * d) < 2e-6, "L=%d d=%lld: propagate differs by %g", L, (long long)d,
                      max_rel(F1, F0, N * d));
                CHECK(memcmp(F1, F2, (size_t)(N * d) * sizeof(float)) == 0, "L=%d: threads change bits", L);
                /* Cold item rows keep only layer 0: E/(L+1). */
                int64_t cold = (N - 1) * d;
                CHECK_CLOSE(F1[cold], E[cold] / (L + 1), 1e-6, 0);
                free(E);
                free(F0);
                free(F1);
                free(F2);
                free(t1);
                free(t2);
            }
    }
    unsetenv("AR_SIMD");
    free(p);
    csr_free(&R);
    csr_free(&A);
}

static int csr_equal(const csr *a, const csr *b)
{
    if (a->nrows != b->nrows || a->ncols != b->ncols || a->nnz != b->nnz) return 0;
    return memcmp(a->indptr, b->indptr, (size_t)(a->nrows + 1) * 8) == 0 &&
           memcmp(a->indices, b->indices, (size_t)a->nnz * 4) == 0 &&
           memcmp(a->data, b->data, (size_t)a->nnz * 4) == 0;
}

static void test_npz_roundtrip(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/m.npz", g_dir);
    csr A, B;
    ar_err e = {0};
    random_csr(&A, 50, 33, 3);
    CHECK(csr_save_npz(path, &A, &e) == 0, "%s", e.msg);
    CHECK(csr_load_npz(path, &B, &e) == 0, "%s", e.msg);
    CHECK(csr_equal(&A, &B), "csr round trip differs");
    csr_free(&B);

    int32_t p[2 * 500];
    for (int k = 0; k < 500; k++) {
        p[2 * k] = (int32_t)(rnd() % 60);
        p[2 * k + 1] = (int32_t)(rnd() % 40);
    }
    for (int compress = 0; compress <= 1; compress++) {
        graph g, h;
        CHECK(graph_build(&g, p, 500, 60, 45, &e) == 0, "%s", e.msg);
        snprintf(path, sizeof path, "%s/g%d.npz", g_dir, compress);
        CHECK(graph_save(path, &g, compress, &e) == 0, "%s", e.msg);
        CHECK(graph_load(path, &h, &e) == 0, "%s", e.msg);
        CHECK(h.n_users == 60 && h.n_items == 45, "counts %lld %lld", (long long)h.n_users, (long long)h.n_items);
        CHECK(csr_equal(&g.adj, &h.adj) && csr_equal(&g.mean, &h.mean), "graph round trip differs");
        /* The standard members alone read as the adjacency. */
        CHECK(csr_load_npz(path, &B, &e) == 0, "%s", e.msg);
        CHECK(csr_equal(&g.adj, &B), "csr_load_npz(graph.npz) is not the adjacency");
        csr_free(&B);
        graph_free(&g);
        graph_free(&h);
    }
    const int32_t bad[] = {0, 0, 7, 1};
    graph g;
    CHECK(graph_build(&g, bad, 2, 5, 3, &e) == AR_EDATA && strstr(e.msg, "row 1") && strstr(e.msg, "user"),
          "bad user: %s", e.msg);
    CHECK(graph_build(&g, bad, 0, 5, 3, &e) == AR_EDATA && strstr(e.msg, "empty"), "empty: %s", e.msg);
    csr_free(&A);
}

/* Write a CSR npz from raw member arrays (to forge other dtypes and broken files). */
static int write_members(const char *path, ar_dtype tip, ar_dtype tix, ar_dtype tdat, const int64_t *ip, int64_t nr,
                         const int64_t *ix, const double *dat, int64_t nnz, int64_t nc, int skip)
{
    ar_array a[5];
    const char *names[5] = {"indptr", "indices", "data", "shape", "format"};
    ar_err e = {0};
    int64_t n1 = nr + 1, two = 2;
    ar_array_alloc(&a[0], AR_I64, 1, &n1, &e);
    ar_array_alloc(&a[1], AR_I64, 1, &nnz, &e);
    ar_array_alloc(&a[2], AR_F64, 1, &nnz, &e);
    ar_array_alloc(&a[3], AR_I64, 1, &two, &e);
    ar_array_str(&a[4], "csr", &e);
    memcpy(a[0].data, ip, (size_t)n1 * 8);
    memcpy(a[1].data, ix, (size_t)nnz * 8);
    memcpy(a[2].data, dat, (size_t)nnz * 8);
    ((int64_t *)a[3].data)[0] = nr;
    ((int64_t *)a[3].data)[1] = nc;
    ar_array_cast(&a[0], tip, "indptr", &e);
    ar_array_cast(&a[1], tix, "indices", &e);
    ar_array_cast(&a[2], tdat, "data", &e);
    /* skip >= 0 drops that member */
    const char *nn[5];
    ar_array aa[5];
    int n = 0;
    for (int i = 0; i < 5; i++)
        if (i != skip) {
            nn[n] = names[i];
            aa[n++] = a[i];
        }
    int rc = npz_write(path, n, nn, aa, 0, &e);
    for (int i = 0; i < 5; i++) ar_array_free(&a[i]);
    return rc;
}

static void test_npz_load_checks(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/x.npz", g_dir);
    csr m;
    ar_err e = {0};
    /* int64 indices, float64 data, an unsorted row: accepted, converted and sorted. */
    const int64_t ip[] = {0, 2, 2, 3}, ix[] = {2, 0, 1};
    const double dat[] = {0.5, 0.25, 2.0};
    CHECK(write_members(path, AR_I64, AR_I64, AR_F64, ip, 3, ix, dat, 3, 3, -1) == 0, "write");
    CHECK(csr_load_npz(path, &m, &e) == 0, "%s", e.msg);
    CHECK(m.nnz == 3 && m.indices[0] == 0 && m.data[0] == 0.25f && m.indices[1] == 2 && m.data[1] == 0.5f,
          "converted/sorted content wrong");
    csr_free(&m);
    /* Broken files: the message names the file and the member. */
    const int64_t ip_bad[] = {0, 2, 1, 3}, ip_end[] = {0, 1, 2, 2}, ip_first[] = {1, 2, 2, 3}, ix_bad[] = {2, 0, 3};
    struct {
        const int64_t *ip, *ix;
        int skip;
        const char *member;
    } cases[] = {{ip_bad, ix, -1, "\"indptr\""},  {ip_end, ix, -1, "\"indptr\""},
                 {ip_first, ix, -1, "\"indptr\""}, {ip, ix_bad, -1, "\"indices\""},
                 {ip, ix, 3, "\"shape\""},         {ip, ix, 4, "\"format\""}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        CHECK(write_members(path, AR_I32, AR_I32, AR_F32, cases[c].ip, 3, cases[c].ix, dat, 3, 3, cases[c].skip) == 0,
              "write");
        int rc = csr_load_npz(path, &m, &e);
        CHECK(rc == AR_EDATA, "case %zu: broken file accepted (rc %d)", c, rc);
        CHECK(rc && strstr(e.msg, path) && strstr(e.msg, cases[c].member), "case %zu: message %s", c, e.msg);
        if (!rc) csr_free(&m);
    }
    /* A plain csr file is not a graph (no n_users). */
    CHECK(write_members(path, AR_I32, AR_I32, AR_F32, ip, 3, ix, dat, 3, 3, -1) == 0, "write");
    graph g;
    CHECK(graph_load(path, &g, &e) == AR_EDATA && strstr(e.msg, "n_users"), "graph_load: %s", e.msg);
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/ar_test_csr_XXXXXX");
    if (!mkdtemp(g_dir)) return 1;
    RUN(test_from_pairs);
    RUN(test_transpose);
    RUN(test_norm_adj_and_mean);
    RUN(test_spmm_default);
    RUN(test_spmm_portable);
    RUN(test_propagate);
    RUN(test_npz_roundtrip);
    RUN(test_npz_load_checks);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) printf("  (could not remove %s)\n", g_dir);
    T_EXIT();
}
