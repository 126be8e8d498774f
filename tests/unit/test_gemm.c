/* Tests of lib/gemm.c: gemm_f32 (the product split across threads, each part by
 * OpenBLAS) against the plain-loop oracle, for every transpose combination, alpha,
 * beta, strides wider than the rows, shapes that pick each split (rows, columns,
 * the inner dimension) and 1, 2 and 3 threads; and determinism. */
#include <omp.h>
#include <string.h>

#include "ar.h"
#include "gemm.h"
#include "rng.h"
#include "t.h"

static void fill(float *x, int64_t n, rng *r)
{
    for (int64_t j = 0; j < n; j++) x[j] = (float)(2.0 * rng_double(r) - 1.0);
}

static void check(int tA, int tB, int64_t M, int64_t N, int64_t K, float alpha, float beta, int nt, uint64_t seed)
{
    rng r;
    rng_seed(&r, seed);
    /* stored shapes: A is (M, K) or (K, M); B is (K, N) or (N, K); pad the strides */
    int64_t ar = tA ? K : M, ac = tA ? M : K, br = tB ? N : K, bc = tB ? K : N;
    int64_t lda = ac + 3, ldb = bc + 1, ldc = N + 2;
    float *A = malloc((size_t)(ar * lda + 1) * sizeof(float)), *B = malloc((size_t)(br * ldb + 1) * sizeof(float));
    float *C1 = malloc((size_t)(M * ldc + 1) * sizeof(float)), *C2 = malloc((size_t)(M * ldc + 1) * sizeof(float));
    fill(A, ar * lda, &r);
    fill(B, br * ldb, &r);
    fill(C1, M * ldc, &r);
    if (beta == 0.0f) /* C's old values must not matter: NaN them in the fast one */
        for (int64_t j = 0; j < M * ldc; j++) C2[j] = C1[j], C1[j] = NAN;
    else
        memcpy(C2, C1, (size_t)(M * ldc) * sizeof(float));
    omp_set_num_threads(nt);
    gemm_f32(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C1, ldc);
    gemm_f32_naive(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C2, ldc);
    double worst = 0;
    int64_t at = -1;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double q = fabs((double)C1[i * ldc + j] - C2[i * ldc + j]) / (1e-5 * (1 + sqrt((double)K)));
            if (!(q <= worst)) worst = q, at = i * ldc + j;
        }
    CHECK(worst <= 1.0, "tA %d tB %d M %lld N %lld K %lld alpha %g beta %g threads %d: C[%lld] %.8g vs %.8g", tA, tB,
          (long long)M, (long long)N, (long long)K, alpha, beta, nt, (long long)at, at >= 0 ? C1[at] : 0.0,
          at >= 0 ? C2[at] : 0.0);
    /* padding columns of C untouched */
    int pad_ok = 1;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = N; j < ldc && i * ldc + j < M * ldc; j++)
            if (beta != 0.0f && C1[i * ldc + j] != C2[i * ldc + j]) pad_ok = 0;
    CHECK(pad_ok, "padding of C written (M %lld N %lld K %lld)", (long long)M, (long long)N, (long long)K);
    /* the same call again gives the same bits */
    if (beta == 0.0f) {
        float *C3 = malloc((size_t)(M * ldc + 1) * sizeof(float));
        memcpy(C3, C1, (size_t)(M * ldc) * sizeof(float));
        gemm_f32(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C1, ldc);
        CHECK(memcmp(C1, C3, (size_t)(M * ldc) * sizeof(float)) == 0, "not deterministic");
        free(C3);
    }
    free(A);
    free(B);
    free(C1);
    free(C2);
}

static void test_random(void)
{
    /* rows split, columns split, inner split, tiny, and ragged against the 16-split */
    const int64_t shapes[][3] = {{300, 20, 17}, {20, 300, 33}, {24, 16, 2000}, {3, 2, 5}, {1, 1, 1},
                                 {37, 5, 700},  {129, 64, 64}, {64, 129, 1}, {17, 33, 1000}};
    uint64_t seed = 1;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int tA = 0; tA < 2; tA++)
            for (int tB = 0; tB < 2; tB++)
                for (int nt = 1; nt <= 3; nt++) {
                    check(tA, tB, shapes[s][0], shapes[s][1], shapes[s][2], 1.0f, 0.0f, nt, seed++);
                    check(tA, tB, shapes[s][0], shapes[s][1], shapes[s][2], -0.5f, 1.0f, nt, seed++);
                    check(tA, tB, shapes[s][0], shapes[s][1], shapes[s][2], 2.0f, 0.25f, nt, seed++);
                }
}

/* K = 0: C = beta C */
static void test_empty_inner(void)
{
    float A[1] = {0}, B[1] = {0}, C[4] = {1, 2, 3, 4};
    omp_set_num_threads(2);
    gemm_f32(0, 0, 2, 2, 0, 1.0f, A, 1, B, 2, 0.5f, C, 2);
    CHECK(C[0] == 0.5f && C[3] == 2.0f, "K=0: C = %g %g %g %g", C[0], C[1], C[2], C[3]);
}

int main(void)
{
    ar_threads_init(2);
    RUN(test_random);
    RUN(test_empty_inner);
    T_EXIT();
}
