/* adam.c - Adam as torch.optim.Adam (non-amsgrad, non-maximize) computes it.
 *
 * params, grad, m, v are flat (n) float vectors. Per step t (1-based):
 *   g  = grad + wd * p            (only when wd > 0; coupled L2, not AdamW)
 *   m  = b1 m + (1 - b1) g
 *   v  = b2 v + (1 - b2) g^2
 *   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * The scalars are formed in double and applied in float, elementwise, threaded
 * over a static split: the result does not depend on the thread count.
 */
#include "adam.h"

#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

int adam_init(adam *a, int64_t n, double lr, double wd, ar_err *e)
{
    a->lr = lr;
    a->b1 = 0.9;
    a->b2 = 0.999;
    a->eps = 1e-8;
    a->wd = wd;
    a->t = 0;
    a->n = 0;
    a->m = a->v = NULL;
    if (n < 0) return ar_fail(e, AR_EUSAGE, "adam: negative parameter count %lld", (long long)n);
    if (!(lr >= 0) || !isfinite(lr)) return ar_fail(e, AR_EUSAGE, "adam: learning rate %g is not a finite number >= 0", lr);
    if (!(wd >= 0) || !isfinite(wd)) return ar_fail(e, AR_EUSAGE, "adam: weight decay %g is not a finite number >= 0", wd);
    a->m = ar_calloc((size_t)n, sizeof *a->m, e);
    a->v = ar_calloc((size_t)n, sizeof *a->v, e);
    if (!a->m || !a->v) {
        adam_free(a);
        return AR_EDATA;
    }
    a->n = n;
    return AR_OK;
}

/* The elementwise update over [lo, hi), scalar. */
static void adam_range(float *restrict p, float *restrict grad, float *restrict m, float *restrict v, int64_t lo,
                       int64_t hi, float wd, float c1, float b2, float c2, float step, float bc2s, float eps)
{
    for (int64_t i = lo; i < hi; i++) {
        float g = grad[i];
        if (wd > 0) grad[i] = g += wd * p[i];
        float mi = m[i] + c1 * (g - m[i]); /* torch: m.lerp_(g, 1 - b1) */
        float vi = b2 * v[i] + c2 * g * g;
        m[i] = mi;
        v[i] = vi;
        p[i] -= step * (mi / (sqrtf(vi) / bc2s + eps));
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* The same operations in the same order, 8 lanes at a time (no FMA, and IEEE
 * sqrt and division, so the results equal the scalar ones bit for bit). */
__attribute__((target("avx2"))) static void adam_range_avx2(float *p, float *grad, float *m, float *v, int64_t lo,
                                                            int64_t hi, float wd, float c1, float b2, float c2,
                                                            float step, float bc2s, float eps)
{
    const __m256 vwd = _mm256_set1_ps(wd), vc1 = _mm256_set1_ps(c1), vb2 = _mm256_set1_ps(b2);
    const __m256 vc2 = _mm256_set1_ps(c2), vst = _mm256_set1_ps(step), vbc = _mm256_set1_ps(bc2s);
    const __m256 veps = _mm256_set1_ps(eps);
    int64_t i = lo;
    for (; i + 8 <= hi; i += 8) {
        __m256 g = _mm256_loadu_ps(grad + i), pi = _mm256_loadu_ps(p + i);
        if (wd > 0) {
            g = _mm256_add_ps(g, _mm256_mul_ps(vwd, pi));
            _mm256_storeu_ps(grad + i, g);
        }
        __m256 mo = _mm256_loadu_ps(m + i);
        __m256 mi = _mm256_add_ps(mo, _mm256_mul_ps(vc1, _mm256_sub_ps(g, mo)));
        __m256 vi = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(_mm256_mul_ps(vc2, g), g));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 den = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), vbc), veps);
        _mm256_storeu_ps(p + i, _mm256_sub_ps(pi, _mm256_mul_ps(vst, _mm256_div_ps(mi, den))));
    }
    adam_range(p, grad, m, v, i, hi, wd, c1, b2, c2, step, bc2s, eps);
}
#define ADAM_AVX2 1
#else
#define ADAM_AVX2 0
#endif

/* params, grad (n). grad is overwritten with the decayed gradient when wd > 0. */
void adam_step(adam *a, float *params, float *grad)
{
    a->t++;
    const double bc1 = 1.0 - pow(a->b1, (double)a->t);
    const double bc2 = 1.0 - pow(a->b2, (double)a->t);
    const float step = (float)(a->lr / bc1);
    const float bc2s = (float)sqrt(bc2);
    const float b2 = (float)a->b2, eps = (float)a->eps, wd = a->wd > 0 ? (float)a->wd : 0.0f;
    const float c1 = (float)(1.0 - a->b1), c2 = (float)(1.0 - a->b2);
    float *m = a->m, *v = a->v;
    const int64_t n = a->n;
    int avx = 0;
#if ADAM_AVX2
    avx = __builtin_cpu_supports("avx2");
#endif
    /* static split into blocks of whole 64-byte lines */
#pragma omp parallel
    {
        int64_t T = 1, t = 0;
#ifdef _OPENMP
        T = omp_get_num_threads();
        t = omp_get_thread_num();
#endif
        int64_t per = ((n + T - 1) / T + 15) / 16 * 16;
        int64_t lo = t * per, hi = lo + per;
        if (lo > n) lo = n;
        if (hi > n) hi = n;
        if (hi > lo) {
#if ADAM_AVX2
            if (avx) adam_range_avx2(params, grad, m, v, lo, hi, wd, c1, b2, c2, step, bc2s, eps);
            else
#endif
                adam_range(params, grad, m, v, lo, hi, wd, c1, b2, c2, step, bc2s, eps);
        }
    }
    (void)avx;
}

void adam_free(adam *a)
{
    if (!a) return;
    free(a->m);
    free(a->v);
    a->m = a->v = NULL;
    a->n = 0;
}
