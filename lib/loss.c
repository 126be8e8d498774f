/* loss.c - BPR, batch L2, InfoNCE and row normalisation with their gradients.
 *
 * Legend: U users, I items, d dims, B batch rows, K negatives per row.
 * Fu/Nu are (U, d), Fi/Ni are (I, d), row-major; dFu/dFi are the same shapes and
 * gradients are ADDED into them.
 *
 * Threading (deterministic for any thread count, in fact independent of it):
 *   phase 1  rows b are split statically over threads; each row's scores, loss
 *            and per-(row, column) coefficients are computed from that row alone
 *            into coef (B, K+1) and the user-side gradient into gu (B, d);
 *   phase 2  every destination row is owned by one thread (the id range is split
 *            into contiguous blocks): each thread walks all (b, j) pairs in order,
 *            copies those landing in its block into a list (branch-free) and
 *            applies the list. So each output row is accumulated in the global
 *            (b, j) order whatever the thread count. User rows likewise.
 * The row losses are summed serially in double in row order.
 * The d-loops use AVX2+FMA when the CPU has them and d % 8 == 0, otherwise
 * portable `omp simd` loops. The *_naive functions are plain-loop oracles.
 */
#include "loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define LOSS_X86 1
#else
#define LOSS_X86 0
#endif

/* ---------------------------------------------------------------- helpers */

static inline float dot_g(const float *a, const float *b, int64_t d)
{
    float s = 0.f;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < d; i++) s += a[i] * b[i];
    return s;
}

static inline void axpy_g(float *restrict y, float c, const float *restrict x, int64_t d)
{
#pragma omp simd
    for (int64_t i = 0; i < d; i++) y[i] += c * x[i];
}

/* exp(x) for x <= 0 in float, branch-free so that it vectorises: x = n ln2 + r,
 * |r| <= ln2/2, exp(r) by its degree-7 Taylor polynomial (relative error < 1e-8
 * before rounding), 2^n built in the exponent bits. x below -87 is clamped (the
 * result, ~1.6e-38, is negligible beside the row maximum's exp(0) = 1). */
static inline float exp_nonpos(float x)
{
    x = x < -87.0f ? -87.0f : x;
    const float shift = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float t = x * 1.44269504088896341f + shift;
    float n = t - shift;
    float r = x - n * 0.693145751953125f;     /* ln2 split: high part exact in n * hi */
    r = r - n * 1.428606765330187e-06f;       /* low part */
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    union { int32_t i; float f; } s;
    s.i = ((int32_t)n + 127) << 23;
    return p * s.f;
}

/* Stable softplus log(1 + e^x) and logistic sigmoid, in double. */
static inline double softplus_d(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static inline double sigmoid_d(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double z = exp(x);
    return z / (1.0 + z);
}

static int use_avx2(int64_t d)
{
#if LOSS_X86
    static int have = -1;
    if (have < 0) {
        __builtin_cpu_init();
        have = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return have && d % 8 == 0 && d > 0;
#else
    (void)d;
    return 0;
#endif
}

/* ------------------------------------------- vector kernels (two flavours)
 * dots:   out[j] = x . M[idx[j]],            x (d), M (n, d), j < m
 * gaxpy:  y += sum_j c[j] M[idx[j]],          y (d), in j order
 * scat:   for b < B, j <= K in order, item = j ? negs[b*K + j-1] : pos[b];
 *         if lo <= item < hi: Y[item] += coef[b*(K+1) + j] * X[xrow(b)]
 *         with xrow(b) = xidx ? xidx[b] : b  (generic only: the fallback when
 *         the pair list cannot be allocated)
 * scatl:  the same for a prepared list of pairs (row b, item, coefficient).
 * Y (nY, d), X (rows, d), coef (B, K+1).                                     */

static void dots_g(const float *x, const float *M, const int32_t *idx, int64_t m, int64_t d, float *out)
{
    for (int64_t j = 0; j < m; j++) out[j] = dot_g(x, M + (int64_t)idx[j] * d, d);
}

static void gaxpy_g(float *y, const float *M, const int32_t *idx, const float *c, int64_t m, int64_t d)
{
    for (int64_t j = 0; j < m; j++) axpy_g(y, c[j], M + (int64_t)idx[j] * d, d);
}

static void scat_g(float *Y, int64_t lo, int64_t hi, const float *X, const int32_t *xidx, const int32_t *pos,
                   const int32_t *negs, int64_t K, const float *coef, int64_t B, int64_t d)
{
    for (int64_t b = 0; b < B; b++) {
        const float *x = X + (xidx ? (int64_t)xidx[b] : b) * d;
        const float *cb = coef + b * (K + 1);
        int64_t it = pos[b];
        if (it >= lo && it < hi) axpy_g(Y + it * d, cb[0], x, d);
        const int32_t *nb = negs + b * K;
        for (int64_t k = 0; k < K; k++) {
            it = nb[k];
            if (it >= lo && it < hi) axpy_g(Y + it * d, cb[k + 1], x, d);
        }
    }
}

static void scatl_g(float *Y, const float *X, const int32_t *xidx, const int32_t *lb, const int32_t *li,
                    const float *lc, int64_t n, int64_t d)
{
    for (int64_t e = 0; e < n; e++) {
        const float *x = X + (xidx ? (int64_t)xidx[lb[e]] : (int64_t)lb[e]) * d;
        axpy_g(Y + (int64_t)li[e] * d, lc[e], x, d);
    }
}

#if LOSS_X86
#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Prefetch the d floats of row r of M into L1. */
AVX2 static inline void prefetch_row(const float *M, int64_t r, int64_t d)
{
    const char *p = (const char *)(M + r * d);
    for (int64_t o = 0; o < d * (int64_t)sizeof(float); o += 64) _mm_prefetch(p + o, _MM_HINT_T0);
}

AVX2 static void dots_a(const float *x, const float *M, const int32_t *idx, int64_t m, int64_t d, float *out)
{
    int64_t j = 0;
    for (; j + 8 <= m; j += 8) { /* 8 rows at a time: 8 independent FMA chains */
        if (j + 16 <= m)
            for (int q = 8; q < 16; q++) prefetch_row(M, idx[j + q], d);
        const float *r0 = M + (int64_t)idx[j] * d, *r1 = M + (int64_t)idx[j + 1] * d;
        const float *r2 = M + (int64_t)idx[j + 2] * d, *r3 = M + (int64_t)idx[j + 3] * d;
        const float *r4 = M + (int64_t)idx[j + 4] * d, *r5 = M + (int64_t)idx[j + 5] * d;
        const float *r6 = M + (int64_t)idx[j + 6] * d, *r7 = M + (int64_t)idx[j + 7] * d;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps();
        __m256 a3 = _mm256_setzero_ps(), a4 = _mm256_setzero_ps(), a5 = _mm256_setzero_ps();
        __m256 a6 = _mm256_setzero_ps(), a7 = _mm256_setzero_ps();
        for (int64_t i = 0; i < d; i += 8) {
            __m256 xv = _mm256_loadu_ps(x + i);
            a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r0 + i), a0);
            a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r1 + i), a1);
            a2 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r2 + i), a2);
            a3 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r3 + i), a3);
            a4 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r4 + i), a4);
            a5 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r5 + i), a5);
            a6 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r6 + i), a6);
            a7 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r7 + i), a7);
        }
        /* h0123: low lane = partial sums of elements 0-3 of a0..a3, high lane = 4-7 */
        __m256 h0123 = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
        __m256 h4567 = _mm256_hadd_ps(_mm256_hadd_ps(a4, a5), _mm256_hadd_ps(a6, a7));
        __m256 lo = _mm256_permute2f128_ps(h0123, h4567, 0x20), hi = _mm256_permute2f128_ps(h0123, h4567, 0x31);
        _mm256_storeu_ps(out + j, _mm256_add_ps(lo, hi));
    }
    for (; j + 4 <= m; j += 4) {
        const float *r0 = M + (int64_t)idx[j] * d, *r1 = M + (int64_t)idx[j + 1] * d;
        const float *r2 = M + (int64_t)idx[j + 2] * d, *r3 = M + (int64_t)idx[j + 3] * d;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        for (int64_t i = 0; i < d; i += 8) {
            __m256 xv = _mm256_loadu_ps(x + i);
            a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r0 + i), a0);
            a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r1 + i), a1);
            a2 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r2 + i), a2);
            a3 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r3 + i), a3);
        }
        __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
        _mm_storeu_ps(out + j, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
    }
    for (; j < m; j++) {
        const float *r = M + (int64_t)idx[j] * d;
        __m256 a = _mm256_setzero_ps();
        for (int64_t i = 0; i < d; i += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(r + i), a);
        out[j] = hsum8(a);
    }
}

AVX2 static void gaxpy_a(float *y, const float *M, const int32_t *idx, const float *c, int64_t m, int64_t d)
{
    int64_t i = 0;
    for (; i + 64 <= d; i += 64) { /* 8 independent accumulator chains */
        __m256 a0 = _mm256_loadu_ps(y + i), a1 = _mm256_loadu_ps(y + i + 8);
        __m256 a2 = _mm256_loadu_ps(y + i + 16), a3 = _mm256_loadu_ps(y + i + 24);
        __m256 a4 = _mm256_loadu_ps(y + i + 32), a5 = _mm256_loadu_ps(y + i + 40);
        __m256 a6 = _mm256_loadu_ps(y + i + 48), a7 = _mm256_loadu_ps(y + i + 56);
        for (int64_t j = 0; j < m; j++) {
            const float *r = M + (int64_t)idx[j] * d + i;
            __m256 cj = _mm256_set1_ps(c[j]);
            a0 = _mm256_fmadd_ps(cj, _mm256_loadu_ps(r), a0);
            a1 = _mm256_fmadd_ps(cj, _mm256_loadu_ps(r + 8), a1);
            a2 = _mm256_fmadd_ps(cj, _mm256_loadu_ps(r + 16), a2);
            a3 = _mm256_fmadd_ps(cj, _mm256_loadu_ps(r + 24), a3);
            a4 = _mm256_fmadd_ps(cj, _mm256_loadu_ps(r + 32), a4);
            a5 = _mm256_fmadd_ps(cj, _mm256_loadu_ps(r + 40), a5);
            a6 = _mm256_fmadd_ps(cj, _mm256_loadu_ps(r + 48), a6);
            a7 = _mm256_fmadd_ps(cj, _mm256_loadu_ps(r + 56), a7);
        }
        _mm256_storeu_ps(y + i, a0);
        _mm256_storeu_ps(y + i + 8, a1);
        _mm256_storeu_ps(y + i + 16, a2);
        _mm256_storeu_ps(y + i + 24, a3);
        _mm256_storeu_ps(y + i + 32, a4);
        _mm256_storeu_ps(y + i + 40, a5);
        _mm256_storeu_ps(y + i + 48, a6);
        _mm256_storeu_ps(y + i + 56, a7);
    }
    for (; i < d; i += 8) {
        __m256 a = _mm256_loadu_ps(y + i);
        for (int64_t j = 0; j < m; j++)
            a = _mm256_fmadd_ps(_mm256_set1_ps(c[j]), _mm256_loadu_ps(M + (int64_t)idx[j] * d + i), a);
        _mm256_storeu_ps(y + i, a);
    }
}

AVX2 static inline void axpy_a(float *y, float c, const float *x, int64_t d)
{
    __m256 cv = _mm256_set1_ps(c);
    for (int64_t i = 0; i < d; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(cv, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
}

/* Y[item[e]] += c[e] * X[xrow(b[e])] for e < n, in order. */
AVX2 static void scatl_a(float *Y, const float *X, const int32_t *xidx, const int32_t *lb, const int32_t *li,
                         const float *lc, int64_t n, int64_t d)
{
    const int64_t ahead = 8;
    for (int64_t e = 0; e < n; e++) {
        if (e + ahead < n) prefetch_row(Y, li[e + ahead], d);
        const float *x = X + (xidx ? (int64_t)xidx[lb[e]] : (int64_t)lb[e]) * d;
        axpy_a(Y + (int64_t)li[e] * d, lc[e], x, d);
    }
}
#endif

/* One InfoNCE row in place: c (K1) holds the raw scores s_j on entry and
 * cs * (softmax_j - [j == 0]) on exit, with logits l_j = s_j * invtau and
 * cs = 1 / (tau B). Returns the row loss logsumexp(l) - l_0 (double).
 * c_0 is formed as -cs * (sum of the negatives' exps) / (total), which avoids
 * the cancellation in p_0 - 1. */
static double softmax_g(float *c, int64_t K1, float invtau, float cs)
{
    float m = -INFINITY;
    for (int64_t j = 0; j < K1; j++) {
        c[j] *= invtau;
        m = c[j] > m ? c[j] : m;
    }
    float l0 = c[0], sn = 0.f;
    c[0] = exp_nonpos(c[0] - m);
    for (int64_t j = 1; j < K1; j++) {
        c[j] = exp_nonpos(c[j] - m);
        sn += c[j];
    }
    float s = c[0] + sn, sc = cs / s;
    for (int64_t j = 1; j < K1; j++) c[j] *= sc;
    c[0] = -sn * sc;
    return (double)m + log((double)s) - (double)l0;
}

#if LOSS_X86
/* exp_nonpos on 8 lanes (same reduction and polynomial, with FMA). */
AVX2 static inline __m256 exp8_nonpos(__m256 x)
{
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

AVX2 static double softmax_a(float *c, int64_t K1, float invtau, float cs)
{
    const __m256 it = _mm256_set1_ps(invtau);
    __m256 mv = _mm256_set1_ps(-INFINITY);
    int64_t j = 0;
    for (; j + 8 <= K1; j += 8) {
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(c + j), it);
        _mm256_storeu_ps(c + j, v);
        mv = _mm256_max_ps(mv, v);
    }
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(mv), _mm256_extractf128_ps(mv, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    float m = _mm_cvtss_f32(h);
    for (; j < K1; j++) {
        c[j] *= invtau;
        m = c[j] > m ? c[j] : m;
    }
    const float l0 = c[0];
    const __m256 mm = _mm256_set1_ps(m);
    /* exps of columns 1.. (the positive, column 0, separately) */
    __m256 sv = _mm256_setzero_ps();
    for (j = 1; j + 8 <= K1; j += 8) {
        __m256 v = exp8_nonpos(_mm256_sub_ps(_mm256_loadu_ps(c + j), mm));
        _mm256_storeu_ps(c + j, v);
        sv = _mm256_add_ps(sv, v);
    }
    float sn = hsum8(sv);
    for (; j < K1; j++) {
        c[j] = exp_nonpos(c[j] - m);
        sn += c[j];
    }
    c[0] = exp_nonpos(c[0] - m);
    float s = c[0] + sn, sc = cs / s;
    const __m256 scv = _mm256_set1_ps(sc);
    for (j = 1; j + 8 <= K1; j += 8) _mm256_storeu_ps(c + j, _mm256_mul_ps(_mm256_loadu_ps(c + j), scv));
    for (; j < K1; j++) c[j] *= sc;
    c[0] = -sn * sc;
    return (double)m + log((double)s) - (double)l0;
}
#endif

typedef struct kern {
    double (*softmax)(float *, int64_t, float, float);
    void (*dots)(const float *, const float *, const int32_t *, int64_t, int64_t, float *);
    void (*gaxpy)(float *, const float *, const int32_t *, const float *, int64_t, int64_t);
    void (*scatl)(float *, const float *, const int32_t *, const int32_t *, const int32_t *, const float *, int64_t,
                  int64_t);
} kern;

static kern pick(int64_t d)
{
    kern k = {softmax_g, dots_g, gaxpy_g, scatl_g};
#if LOSS_X86
    if (use_avx2(d)) {
        k.softmax = softmax_a;
        k.dots = dots_a;
        k.gaxpy = gaxpy_a;
        k.scatl = scatl_a;
    }
#else
    (void)d;
#endif
    return k;
}

/* Largest id in a (n) plus one (0 when n == 0). Serial: a parallel region
 * costs more than the scan at these sizes. */
static int64_t id_bound(const int32_t *a, int64_t n)
{
    int32_t m = -1;
#pragma omp simd reduction(max : m)
    for (int64_t i = 0; i < n; i++) m = a[i] > m ? a[i] : m;
    return (int64_t)m + 1;
}

/* Largest item id in pos (B) and negs (B, K) plus one. */
static int64_t item_bound(const int32_t *pos, const int32_t *negs, int64_t K, int64_t B)
{
    int64_t n = id_bound(pos, B);
    if (K > 0) {
        int64_t m = id_bound(negs, B * K);
        if (m > n) n = m;
    }
    return n;
}

/* The calling thread's place in the current team: T threads, this one t. */
static inline void thread_team(int64_t *T, int64_t *t)
{
    *T = 1;
    *t = 0;
#ifdef _OPENMP
    *T = omp_get_num_threads();
    *t = omp_get_thread_num();
#endif
}

/* Static split of n rows over the threads of the current team: [lo, hi). */
static inline void thread_range(int64_t n, int64_t *lo, int64_t *hi)
{
    int64_t T, t;
    thread_team(&T, &t);
    *lo = n * t / T;
    *hi = n * (t + 1) / T;
}

/* Phase 2: each thread owns a block [lo, hi) of destination rows of Y (nY rows).
 * It counts the (b, j) pairs landing in its block, then (after a prefix sum over
 * threads) copies them, in order and without branches, into its own segment of a
 * pair list (row b, item, coefficient), and finally applies that segment. Each
 * segment has one spare slot: the branch-free copy writes one entry past its end.
 * Without memory for the list, the pairs are filtered on the fly (scat_g). */
static void scatter_items(const kern *kn, float *Y, int64_t nY, const float *X, const int32_t *xidx,
                          const int32_t *pos, const int32_t *negs, int64_t K, const float *coef, int64_t B, int64_t d)
{
    const int64_t K1 = K + 1, np = B * K1;
    int Tmax = 1;
#ifdef _OPENMP
    Tmax = omp_get_max_threads();
#endif
    int32_t *lb = malloc((size_t)(np + Tmax) * sizeof *lb), *li = malloc((size_t)(np + Tmax) * sizeof *li);
    float *lc = malloc((size_t)(np + Tmax) * sizeof *lc);
    int64_t *off = calloc((size_t)Tmax + 1, sizeof *off);
    if (!lb || !li || !lc || !off) {
        free(lb), free(li), free(lc), free(off);
#pragma omp parallel
        {
            int64_t lo, hi;
            thread_range(nY, &lo, &hi);
            if (hi > lo) scat_g(Y, lo, hi, X, xidx, pos, negs, K, coef, B, d);
        }
        return;
    }
#pragma omp parallel
    {
        int64_t T, t;
        thread_team(&T, &t);
        const uint32_t lo = (uint32_t)(nY * t / T), w = (uint32_t)(nY * (t + 1) / T) - lo;
        int64_t cnt = (uint32_t)pos[0] - lo < w; /* pos, negs counted separately: both vectorise */
        for (int64_t b = 1; b < B; b++) cnt += (uint32_t)pos[b] - lo < w;
#pragma omp simd reduction(+ : cnt)
        for (int64_t k = 0; k < B * K; k++) cnt += (uint32_t)negs[k] - lo < w;
        off[t + 1] = cnt + 1;
#pragma omp barrier
#pragma omp single
        for (int64_t k = 1; k <= T; k++) off[k] += off[k - 1];
        int64_t at = off[t];
        for (int64_t b = 0; b < B; b++) {
            const float *cb = coef + b * K1;
            const int32_t *nb = negs + b * K;
            lb[at] = (int32_t)b, li[at] = pos[b], lc[at] = cb[0];
            at += (uint32_t)pos[b] - lo < w;
            for (int64_t k = 0; k < K; k++) {
                lb[at] = (int32_t)b, li[at] = nb[k], lc[at] = cb[k + 1];
                at += (uint32_t)nb[k] - lo < w;
            }
        }
        kn->scatl(Y, X, xidx, lb + off[t], li + off[t], lc + off[t], at - off[t], d);
    }
    free(lb), free(li), free(lc), free(off);
}

static void scatter_users(float *Y, int64_t nY, const float *G, const int32_t *users, int64_t B, int64_t d)
{
#pragma omp parallel
    {
        int64_t lo, hi;
        thread_range(nY, &lo, &hi);
        for (int64_t b = 0; b < B; b++) {
            int64_t u = users[b];
            if (u >= lo && u < hi) axpy_g(Y + u * d, 1.0f, G + b * d, d);
        }
    }
}

/* ------------------------------------------------------------------ BPR */

double loss_bpr_naive(const float *Fu, const float *Fi, int64_t d, const int32_t *users, const int32_t *pos,
                      const int32_t *neg, int64_t B, float *dFu, float *dFi)
{
    double loss = 0;
    for (int64_t b = 0; b < B; b++) {
        const float *u = Fu + (int64_t)users[b] * d, *p = Fi + (int64_t)pos[b] * d, *n = Fi + (int64_t)neg[b] * d;
        double sp = 0, sn = 0;
        for (int64_t i = 0; i < d; i++) {
            sp += (double)u[i] * p[i];
            sn += (double)u[i] * n[i];
        }
        loss += softplus_d(sn - sp);
        double g = sigmoid_d(sn - sp) / (double)B;
        float *du = dFu + (int64_t)users[b] * d, *dp = dFi + (int64_t)pos[b] * d, *dn = dFi + (int64_t)neg[b] * d;
        for (int64_t i = 0; i < d; i++) {
            du[i] += (float)(g * ((double)n[i] - p[i]));
            dp[i] -= (float)(g * u[i]);
            dn[i] += (float)(g * u[i]);
        }
    }
    return B > 0 ? loss / (double)B : 0.0;
}

/* Fu (U, d), Fi (I, d); users, pos, neg (B). coef (B, 2) = (-g_b, g_b), gu (B, d). */
double loss_bpr(const float *Fu, const float *Fi, int64_t d, const int32_t *users, const int32_t *pos,
                const int32_t *neg, int64_t B, float *dFu, float *dFi)
{
    if (B <= 0) return 0.0;
    float *coef = malloc((size_t)B * 2 * sizeof *coef);
    float *gu = malloc((size_t)(B * d) * sizeof *gu);
    double *lb = malloc((size_t)B * sizeof *lb);
    if (!coef || !gu || !lb) {
        free(coef);
        free(gu);
        free(lb);
        return loss_bpr_naive(Fu, Fi, d, users, pos, neg, B, dFu, dFi);
    }
    const float invB = (float)(1.0 / (double)B);
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < B; b++) {
        const float *u = Fu + (int64_t)users[b] * d, *p = Fi + (int64_t)pos[b] * d, *n = Fi + (int64_t)neg[b] * d;
        float x = dot_g(u, n, d) - dot_g(u, p, d);
        lb[b] = softplus_d(x);
        float g = (float)sigmoid_d(x) * invB;
        coef[2 * b] = -g;
        coef[2 * b + 1] = g;
        float *gb = gu + b * d;
#pragma omp simd
        for (int64_t i = 0; i < d; i++) gb[i] = g * (n[i] - p[i]);
    }
    double loss = 0;
    for (int64_t b = 0; b < B; b++) loss += lb[b];
    kern kn = pick(d);
    scatter_items(&kn, dFi, item_bound(pos, neg, 1, B), Fu, users, pos, neg, 1, coef, B, d);
    scatter_users(dFu, id_bound(users, B), gu, users, B, d);
    free(coef);
    free(gu);
    free(lb);
    return loss / (double)B;
}

/* ------------------------------------------------------------ batch L2 */

/* |E[r]|^2 in double; dE[r] += c E[r]. */
static double l2_row(const float *E, float *dE, int64_t r, int64_t d, float c)
{
    const float *e = E + r * d;
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < d; i++) s += (double)e[i] * e[i];
    axpy_g(dE + r * d, c, e, d);
    return s;
}

/* E (n, d), cnt (n): for every row with cnt[r] > 0, part[r] = cnt[r] |E[r]|^2 and
 * dE[r] += sc cnt[r] E[r]; part[r] = 0 for the others. */
static void l2_counted(const float *E, float *dE, const int32_t *cnt, double *part, int64_t n, int64_t d, double sc)
{
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < n; r++) part[r] = cnt[r] ? l2_row(E, dE, r, d, (float)(sc * cnt[r])) * cnt[r] : 0;
}

/* Eu (U, d), Ei (I, d); users, pos (B), negs (B, K) or NULL when K == 0.
 * Value wd/(2B) * sum of squared norms over all occurrences; gradient
 * wd/B * count * row for every row that occurs (count = its occurrences). */
double loss_l2_batch(const float *Eu, const float *Ei, int64_t d, const int32_t *users, const int32_t *pos,
                     const int32_t *negs, int K, int64_t B, double wd, float *dEu, float *dEi)
{
    if (B <= 0) return 0.0;
    if (K < 0 || !negs) K = 0;
    const int64_t nU = id_bound(users, B), nI = item_bound(pos, negs, K, B);
    int32_t *cu = calloc((size_t)nU, sizeof *cu), *ci = calloc((size_t)nI, sizeof *ci);
    double *su = malloc((size_t)nU * sizeof *su), *si = malloc((size_t)nI * sizeof *si);
    double total = 0;
    if (!cu || !ci || !su || !si) { /* plain loop over occurrences: same value, gradient up to rounding */
        const float c = (float)(wd / (double)B);
        for (int64_t b = 0; b < B; b++) {
            total += l2_row(Eu, dEu, users[b], d, c) + l2_row(Ei, dEi, pos[b], d, c);
            for (int64_t k = 0; k < K; k++) total += l2_row(Ei, dEi, negs[b * K + k], d, c);
        }
        free(cu);
        free(ci);
        free(su);
        free(si);
        return wd / (2.0 * (double)B) * total;
    }
    for (int64_t b = 0; b < B; b++) {
        cu[users[b]]++;
        ci[pos[b]]++;
    }
    for (int64_t k = 0; k < B * K; k++) ci[negs[k]]++;
    l2_counted(Eu, dEu, cu, su, nU, d, wd / (double)B);
    l2_counted(Ei, dEi, ci, si, nI, d, wd / (double)B);
    for (int64_t r = 0; r < nU; r++) total += su[r];
    for (int64_t r = 0; r < nI; r++) total += si[r];
    free(cu);
    free(ci);
    free(su);
    free(si);
    return wd / (2.0 * (double)B) * total;
}

/* -------------------------------------------------------------- InfoNCE */

double loss_infonce_naive(const float *Nu, const float *Ni, int64_t d, const int32_t *users, const int32_t *pos,
                          const int32_t *negs, int K, int64_t B, float tau, float *dNu, float *dNi)
{
    if (B <= 0) return 0.0;
    if (K < 0 || !negs) K = 0;
    double loss = 0;
    double *acc = calloc((size_t)d, sizeof *acc); /* the row's user gradient in double (NULL: added per term) */
    for (int64_t b = 0; b < B; b++) {
        const float *u = Nu + (int64_t)users[b] * d;
        float *du = dNu + (int64_t)users[b] * d;
        double m = -INFINITY, l0 = 0, s = 0;
        for (int64_t j = 0; j <= K; j++) {
            const float *v = Ni + (int64_t)(j ? negs[b * K + j - 1] : pos[b]) * d;
            double l = 0;
            for (int64_t i = 0; i < d; i++) l += (double)u[i] * v[i];
            l /= tau;
            if (j == 0) l0 = l;
            if (l > m) m = l;
        }
        for (int64_t j = 0; j <= K; j++) {
            const float *v = Ni + (int64_t)(j ? negs[b * K + j - 1] : pos[b]) * d;
            double l = 0;
            for (int64_t i = 0; i < d; i++) l += (double)u[i] * v[i];
            s += exp(l / tau - m);
        }
        loss += m + log(s) - l0;
        for (int64_t j = 0; j <= K; j++) {
            int64_t it = j ? negs[b * K + j - 1] : pos[b];
            const float *v = Ni + it * d;
            float *dv = dNi + it * d;
            double l = 0;
            for (int64_t i = 0; i < d; i++) l += (double)u[i] * v[i];
            double c = (exp(l / tau - m) / s - (j == 0)) / ((double)tau * (double)B);
            for (int64_t i = 0; i < d; i++) {
                if (acc) acc[i] += c * v[i];
                else du[i] += (float)(c * v[i]);
                dv[i] += (float)(c * u[i]);
            }
        }
        if (acc)
            for (int64_t i = 0; i < d; i++) {
                du[i] += (float)acc[i];
                acc[i] = 0;
            }
    }
    free(acc);
    return loss / (double)B;
}

/* Nu (U, d), Ni (I, d), users/pos (B), negs (B, K). coef (B, K+1), gu (B, d). */
double loss_infonce(const float *Nu, const float *Ni, int64_t d, const int32_t *users, const int32_t *pos,
                    const int32_t *negs, int K, int64_t B, float tau, float *dNu, float *dNi)
{
    if (B <= 0) return 0.0;
    if (K < 0 || !negs) K = 0;
    const int64_t K1 = (int64_t)K + 1;
    float *coef = malloc((size_t)(B * K1) * sizeof *coef);
    float *gu = malloc((size_t)(B * d) * sizeof *gu);
    double *lb = malloc((size_t)B * sizeof *lb);
    if (!coef || !gu || !lb) {
        free(coef);
        free(gu);
        free(lb);
        return loss_infonce_naive(Nu, Ni, d, users, pos, negs, K, B, tau, dNu, dNi);
    }
    const kern kn = pick(d);
    const float invtau = 1.0f / tau, cs = (float)(1.0 / ((double)tau * (double)B));
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < B; b++) {
        const float *u = Nu + (int64_t)users[b] * d;
        float *c = coef + b * K1, *g = gu + b * d;
        kn.dots(u, Ni, pos + b, 1, d, c);
        if (K > 0) kn.dots(u, Ni, negs + b * K, K, d, c + 1);
        lb[b] = kn.softmax(c, K1, invtau, cs);
        memset(g, 0, (size_t)d * sizeof *g);
        kn.gaxpy(g, Ni, pos + b, c, 1, d);
        if (K > 0) kn.gaxpy(g, Ni, negs + b * K, c + 1, K, d);
    }
    double loss = 0;
    for (int64_t b = 0; b < B; b++) loss += lb[b];
    scatter_items(&kn, dNi, item_bound(pos, negs, K, B), Nu, users, pos, K > 0 ? negs : pos, K, coef, B, d);
    scatter_users(dNu, id_bound(users, B), gu, users, B, d);
    free(coef);
    free(gu);
    free(lb);
    return loss / (double)B;
}

/* ------------------------------------------------------ row normalisation */

/* Rows [lo, hi) of the forward and backward passes; the sums of squares and
 * the Y.dY products are accumulated in double. */
static void norm_g(const float *X, int64_t lo, int64_t hi, int64_t d, float *Y, float *norms)
{
    for (int64_t r = lo; r < hi; r++) {
        const float *x = X + r * d;
        float *y = Y + r * d;
        double s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t i = 0; i < d; i++) s += (double)x[i] * x[i];
        float nr = (float)sqrt(s);
        norms[r] = nr;
        if (nr > 0) {
#pragma omp simd
            for (int64_t i = 0; i < d; i++) y[i] = x[i] / nr;
        } else {
            for (int64_t i = 0; i < d; i++) y[i] = 0.f;
        }
    }
}

static void normb_g(const float *Y, const float *norms, const float *dY, int64_t lo, int64_t hi, int64_t d, float *dX)
{
    for (int64_t r = lo; r < hi; r++) {
        const float *y = Y + r * d, *dy = dY + r * d;
        float *dx = dX + r * d;
        float nr = norms[r];
        if (!(nr > 0)) {
            for (int64_t i = 0; i < d; i++) dx[i] = 0.f;
            continue;
        }
        double q = 0;
#pragma omp simd reduction(+ : q)
        for (int64_t i = 0; i < d; i++) q += (double)y[i] * dy[i];
        float qf = (float)q;
#pragma omp simd
        for (int64_t i = 0; i < d; i++) dx[i] = (dy[i] - y[i] * qf) / nr;
    }
}

#if LOSS_X86
/* sum_i a_i b_i in double, d % 8 == 0. */
AVX2 static inline double dot8_d(const float *a, const float *b, int64_t d)
{
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    for (int64_t i = 0; i < d; i += 8) {
        __m256 va = _mm256_loadu_ps(a + i), vb = _mm256_loadu_ps(b + i);
        s0 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(va)), _mm256_cvtps_pd(_mm256_castps256_ps128(vb)), s0);
        s1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(va, 1)), _mm256_cvtps_pd(_mm256_extractf128_ps(vb, 1)),
                             s1);
    }
    s0 = _mm256_add_pd(s0, s1);
    __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s0), _mm256_extractf128_pd(s0, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

AVX2 static void norm_a(const float *X, int64_t lo, int64_t hi, int64_t d, float *Y, float *norms)
{
    for (int64_t r = lo; r < hi; r++) {
        const float *x = X + r * d;
        float *y = Y + r * d;
        float nr = (float)sqrt(dot8_d(x, x, d));
        norms[r] = nr;
        __m256 vn = _mm256_set1_ps(nr);
        if (nr > 0) {
            for (int64_t i = 0; i < d; i += 8) _mm256_storeu_ps(y + i, _mm256_div_ps(_mm256_loadu_ps(x + i), vn));
        } else {
            for (int64_t i = 0; i < d; i += 8) _mm256_storeu_ps(y + i, _mm256_setzero_ps());
        }
    }
}

AVX2 static void normb_a(const float *Y, const float *norms, const float *dY, int64_t lo, int64_t hi, int64_t d,
                         float *dX)
{
    for (int64_t r = lo; r < hi; r++) {
        const float *y = Y + r * d, *dy = dY + r * d;
        float *dx = dX + r * d;
        float nr = norms[r];
        if (!(nr > 0)) {
            for (int64_t i = 0; i < d; i += 8) _mm256_storeu_ps(dx + i, _mm256_setzero_ps());
            continue;
        }
        __m256 q = _mm256_set1_ps((float)dot8_d(y, dy, d)), vn = _mm256_set1_ps(nr);
        for (int64_t i = 0; i < d; i += 8) {
            __m256 v = _mm256_sub_ps(_mm256_loadu_ps(dy + i), _mm256_mul_ps(_mm256_loadu_ps(y + i), q));
            _mm256_storeu_ps(dx + i, _mm256_div_ps(v, vn));
        }
    }
}
#endif

/* X, Y (n, d), norms (n). Y may equal X. */
void l2norm_rows(const float *X, int64_t n, int64_t d, float *Y, float *norms)
{
    int avx = use_avx2(d);
#pragma omp parallel
    {
        int64_t lo, hi;
        thread_range(n, &lo, &hi);
#if LOSS_X86
        if (avx) norm_a(X, lo, hi, d, Y, norms);
        else
#endif
            norm_g(X, lo, hi, d, Y, norms);
    }
    (void)avx;
}

/* Y, dY, dX (n, d), norms (n). dX may equal dY. */
void l2norm_rows_backward(const float *Y, const float *norms, const float *dY, int64_t n, int64_t d, float *dX)
{
    int avx = use_avx2(d);
#pragma omp parallel
    {
        int64_t lo, hi;
        thread_range(n, &lo, &hi);
#if LOSS_X86
        if (avx) normb_a(Y, norms, dY, lo, hi, d, dX);
        else
#endif
            normb_g(Y, norms, dY, lo, hi, d, dX);
    }
    (void)avx;
}
