/* gemm.c - see gemm.h. */
#include "gemm.h"

#include <cblas.h>
#undef I
#include <omp.h>
#include <stdlib.h>

#define ALIGN 16 /* split points are multiples of this */

static void one(int tA, int tB, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (M <= 0 || N <= 0) return;
    cblas_sgemm(CblasRowMajor, tA ? CblasTrans : CblasNoTrans, tB ? CblasTrans : CblasNoTrans, (int)M, (int)N,
                (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
}

/* [lo, hi) of part t of n split among nt threads, on multiples of ALIGN. */
static void part(int64_t n, int nt, int t, int64_t *lo, int64_t *hi)
{
    int64_t blocks = (n + ALIGN - 1) / ALIGN;
    int64_t b0 = blocks * t / nt, b1 = blocks * (t + 1) / nt;
    *lo = b0 * ALIGN < n ? b0 * ALIGN : n;
    *hi = b1 * ALIGN < n ? b1 * ALIGN : n;
}

void gemm_f32(int tA, int tB, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
              const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (M <= 0 || N <= 0) return;
    int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    enum { SPLIT_M, SPLIT_N, SPLIT_K } how = M >= N ? SPLIT_M : SPLIT_N;
    int64_t len = M >= N ? M : N;
    float *partial = NULL;
    if (K >= 4 * M && K >= 4 * N && K >= 2 * ALIGN * nt && nt > 1) {
        partial = malloc((size_t)(nt - 1) * (size_t)(M * N) * sizeof(float));
        if (partial) {
            how = SPLIT_K;
            len = K;
        }
    }
    if (nt > (len + ALIGN - 1) / ALIGN) nt = (int)((len + ALIGN - 1) / ALIGN);
    if (nt <= 1) {
        free(partial);
        one(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num();
        int64_t lo, hi;
        part(len, nt, t, &lo, &hi);
        if (how == SPLIT_M) {
            one(tA, tB, hi - lo, N, K, alpha, tA ? A + lo : A + lo * lda, lda, B, ldb, beta, C + lo * ldc, ldc);
        } else if (how == SPLIT_N) {
            one(tA, tB, M, hi - lo, K, alpha, A, lda, tB ? B + lo * ldb : B + lo, ldb, beta, C + lo, ldc);
        } else {
            const float *Ak = tA ? A + lo * lda : A + lo, *Bk = tB ? B + lo : B + lo * ldb;
            if (t == 0) one(tA, tB, M, N, hi - lo, alpha, Ak, lda, Bk, ldb, beta, C, ldc);
            else one(tA, tB, M, N, hi - lo, alpha, Ak, lda, Bk, ldb, 0.0f, partial + (size_t)(t - 1) * (size_t)(M * N), N);
        }
        if (how == SPLIT_K) {
#pragma omp barrier
            /* C += the other threads' partials, in thread order, rows split among threads */
            int64_t r0, r1;
            part(M, nt, t, &r0, &r1);
            for (int s = 1; s < nt; s++) {
                const float *P = partial + (size_t)(s - 1) * (size_t)(M * N);
                for (int64_t r = r0; r < r1; r++) {
                    float *restrict c = C + r * ldc;
                    const float *restrict p = P + r * N;
#pragma omp simd
                    for (int64_t j = 0; j < N; j++) c[j] += p[j];
                }
            }
        }
    }
    free(partial);
}

void gemm_f32_naive(int tA, int tB, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                    const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0;
            for (int64_t k = 0; k < K; k++) {
                double a = tA ? A[k * lda + i] : A[i * lda + k];
                double b = tB ? B[j * ldb + k] : B[k * ldb + j];
                s += a * b;
            }
            double c = beta == 0.0f ? 0.0 : (double)beta * C[i * ldc + j];
            C[i * ldc + j] = (float)(alpha * s + c);
        }
}
