/* gemm.h - dense matrix products for the project: C = alpha op(A) op(B) + beta C,
 * row-major float32, op(X) = X or X^T.
 *
 * gemm_f32 splits one product across the OpenMP threads and has each part computed
 * by OpenBLAS's sgemm in that thread (OpenBLAS itself runs single-threaded:
 * ar_threads_init sets it so). One pool of threads for everything: OpenBLAS's own
 * worker threads would otherwise spin between products while the project's OpenMP
 * loops run, and the two pools fight over the cores.
 * Split: products with a long inner dimension (gradients: K much larger than M and
 * N) are split along K, each thread's partial product summed in thread order;
 * others along the rows of C (M >= N) or its columns. Results are deterministic
 * for a given thread count.
 * Shapes: op(A) is (M, K), op(B) is (K, N), C is (M, N); lda, ldb, ldc are the row
 * strides of A, B, C as stored.
 */
#ifndef AR_GEMM_H
#define AR_GEMM_H

#include <stdint.h>

void gemm_f32(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
              const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
/* The oracle: plain loops, double accumulation; beta == 0 ignores C's old values. */
void gemm_f32_naive(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                    int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

#endif
