/* csr.c - CSR matrices, the LightGCN/AlphaRec graph operators (spec 2.1, 2.2),
 * the SpMM kernels that dominate training, and scipy-compatible .npz I/O.
 *
 * Shapes: A is (nrows, ncols) in CSR; dense operands are row-major float32.
 * Every optimised kernel has a plain reference beside it (csr_spmm_naive,
 * csr_propagate_naive) that the unit tests use as oracle.
 */
#include "csr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CSR_HAVE_X86 1
#else
#define CSR_HAVE_X86 0
#endif

/* ------------------------------------------------------------------ basics */

void csr_free(csr *m)
{
    if (!m) return;
    free(m->indptr);
    free(m->indices);
    free(m->data);
    memset(m, 0, sizeof *m);
}

/* Allocate m as (nrows, ncols) with room for nnz entries; indptr zeroed. */
static int csr_alloc(csr *m, int64_t nrows, int64_t ncols, int64_t nnz, ar_err *e)
{
    memset(m, 0, sizeof *m);
    m->nrows = nrows;
    m->ncols = ncols;
    m->nnz = nnz;
    m->indptr = ar_calloc((size_t)nrows + 1, sizeof *m->indptr, e);
    if (m->indptr) m->indices = ar_malloc((size_t)nnz * sizeof *m->indices, e);
    if (m->indices) m->data = ar_malloc((size_t)nnz * sizeof *m->data, e);
    if (!m->data) {
        csr_free(m);
        return AR_EDATA;
    }
    return AR_OK;
}

/* Limits: column indices are int32; keep row counts sane for memory. */
#define CSR_MAX_DIM ((int64_t)INT32_MAX)

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static void sort_i32(int32_t *a, int64_t n)
{
    if (n <= 32) {
        for (int64_t i = 1; i < n; i++) {
            int32_t v = a[i];
            int64_t j = i;
            while (j > 0 && a[j - 1] > v) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
    } else {
        qsort(a, (size_t)n, sizeof *a, cmp_i32);
    }
}

/* pairs is (n, 2) int32 row-major: (row, col). */
int csr_from_pairs(csr *m, const int32_t *pairs, int64_t n, int64_t nrows, int64_t ncols, ar_err *e)
{
    memset(m, 0, sizeof *m);
    if (n < 0 || nrows < 0 || ncols < 0 || nrows > CSR_MAX_DIM || ncols > CSR_MAX_DIM)
        return ar_fail(e, AR_EUSAGE, "csr_from_pairs: bad sizes (n=%lld, shape %lld x %lld)",
                       (long long)n, (long long)nrows, (long long)ncols);
    /* Validate and count entries per row (into indptr[r+1]). */
    int64_t *cnt = ar_calloc((size_t)nrows + 1, sizeof *cnt, e);
    if (!cnt) return AR_EDATA;
    for (int64_t k = 0; k < n; k++) {
        int32_t r = pairs[2 * k], c = pairs[2 * k + 1];
        if (r < 0 || r >= nrows) {
            free(cnt);
            return ar_fail(e, AR_EDATA, "row %lld of the pairs: row index %d out of range [0, %lld)",
                           (long long)k, r, (long long)nrows);
        }
        if (c < 0 || c >= ncols) {
            free(cnt);
            return ar_fail(e, AR_EDATA, "row %lld of the pairs: column index %d out of range [0, %lld)",
                           (long long)k, c, (long long)ncols);
        }
        cnt[r + 1]++;
    }
    for (int64_t r = 0; r < nrows; r++) cnt[r + 1] += cnt[r];
    /* Counting sort by row (stable). */
    int64_t *next = ar_malloc(((size_t)nrows + 1) * sizeof *next, e);
    int32_t *idx = next ? ar_malloc((size_t)n * sizeof *idx, e) : NULL;
    if (!idx) {
        free(cnt);
        free(next);
        return AR_EDATA;
    }
    memcpy(next, cnt, ((size_t)nrows + 1) * sizeof *next);
    for (int64_t k = 0; k < n; k++) idx[next[pairs[2 * k]]++] = pairs[2 * k + 1];
    free(next);
    /* Sort each row and drop duplicates, compacting in place (write <= read). */
    int64_t w = 0;
    for (int64_t r = 0; r < nrows; r++) {
        int64_t b = cnt[r], en = cnt[r + 1];
        sort_i32(idx + b, en - b);
        cnt[r] = w;
        for (int64_t k = b; k < en; k++)
            if (k == b || idx[k] != idx[k - 1]) idx[w++] = idx[k];
    }
    cnt[nrows] = w;
    float *data = ar_malloc((size_t)w * sizeof *data, e);
    if (!data) {
        free(cnt);
        free(idx);
        return AR_EDATA;
    }
    for (int64_t k = 0; k < w; k++) data[k] = 1.0f;
    if (w < n) {
        int32_t *s = realloc(idx, (size_t)(w ? w : 1) * sizeof *idx);
        if (s) idx = s;
    }
    m->nrows = nrows;
    m->ncols = ncols;
    m->nnz = w;
    m->indptr = cnt;
    m->indices = idx;
    m->data = data;
    return AR_OK;
}

/* t (ncols, nrows) = a^T; rows of t come out sorted because a is scanned by row. */
int csr_transpose(const csr *a, csr *t, ar_err *e)
{
    if (a->nrows > CSR_MAX_DIM)
        return ar_fail(e, AR_EUSAGE, "csr_transpose: %lld rows do not fit int32 column indices",
                       (long long)a->nrows);
    if (csr_alloc(t, a->ncols, a->nrows, a->nnz, e)) return AR_EDATA;
    int64_t *next = ar_malloc(((size_t)a->ncols + 1) * sizeof *next, e);
    if (!next) {
        csr_free(t);
        return AR_EDATA;
    }
    for (int64_t k = 0; k < a->nnz; k++) t->indptr[a->indices[k] + 1]++;
    for (int64_t c = 0; c < a->ncols; c++) t->indptr[c + 1] += t->indptr[c];
    memcpy(next, t->indptr, ((size_t)a->ncols + 1) * sizeof *next);
    for (int64_t r = 0; r < a->nrows; r++)
        for (int64_t k = a->indptr[r]; k < a->indptr[r + 1]; k++) {
            int64_t p = next[a->indices[k]]++;
            t->indices[p] = (int32_t)r;
            t->data[p] = a->data[k];
        }
    free(next);
    return AR_OK;
}

/* R is (U, I) binary (stored values ignored), columns sorted and distinct per row;
 * adj is (U+I, U+I) = D^-1/2 [[0, R], [R^T, 0]] D^-1/2. O(nnz + U + I). */
int csr_norm_adj(const csr *R, csr *adj, ar_err *e)
{
    memset(adj, 0, sizeof *adj);
    const int64_t U = R->nrows, I = R->ncols, N = U + I;
    if (N > CSR_MAX_DIM)
        return ar_fail(e, AR_EUSAGE, "csr_norm_adj: %lld nodes do not fit int32 indices", (long long)N);
    if (R->indptr[0] != 0) return ar_fail(e, AR_EDATA, "csr_norm_adj: R.indptr[0] is not 0");
    for (int64_t u = 0; u < U; u++)
        for (int64_t k = R->indptr[u]; k < R->indptr[u + 1]; k++) {
            int32_t c = R->indices[k];
            if (c < 0 || c >= I || (k > R->indptr[u] && c <= R->indices[k - 1]))
                return ar_fail(e, AR_EDATA,
                               "csr_norm_adj: row %lld of R: columns must be sorted, distinct and < %lld",
                               (long long)u, (long long)I);
        }
    const int64_t nnzR = R->indptr[U];
    if (csr_alloc(adj, N, N, 2 * nnzR, e)) return AR_EDATA;
    int64_t *next = ar_calloc((size_t)I + 1, sizeof *next, e);
    double *isq = next ? ar_malloc((size_t)(N ? N : 1) * sizeof *isq, e) : NULL;
    if (!isq) {
        free(next);
        csr_free(adj);
        return AR_EDATA;
    }
    /* Item degrees (column counts), then row pointers of the item block. */
    for (int64_t k = 0; k < nnzR; k++) next[R->indices[k] + 1]++;
    for (int64_t u = 0; u < U; u++) {
        int64_t du = R->indptr[u + 1] - R->indptr[u];
        isq[u] = du ? 1.0 / sqrt((double)du) : 0.0;
        adj->indptr[u] = R->indptr[u];
    }
    for (int64_t i = 0; i < I; i++) {
        int64_t di = next[i + 1];
        isq[U + i] = di ? 1.0 / sqrt((double)di) : 0.0;
        next[i + 1] += next[i];
        adj->indptr[U + i] = nnzR + next[i];
    }
    adj->indptr[N] = 2 * nnzR;
    /* User rows (columns U+i, already sorted) and, scanning users in order, item rows. */
    for (int64_t u = 0; u < U; u++)
        for (int64_t k = R->indptr[u]; k < R->indptr[u + 1]; k++) {
            int32_t i = R->indices[k];
            float v = (float)(isq[u] * isq[U + i]);
            adj->indices[k] = (int32_t)(U + i);
            adj->data[k] = v;
            int64_t p = nnzR + next[i]++;
            adj->indices[p] = (int32_t)u;
            adj->data[p] = v;
        }
    free(next);
    free(isq);
    return AR_OK;
}

/* P (U, I) = D_u^-1 R: same pattern as R, row u weighted 1/|row u|. */
int csr_row_mean(const csr *R, csr *P, ar_err *e)
{
    if (csr_alloc(P, R->nrows, R->ncols, R->nnz, e)) return AR_EDATA;
    memcpy(P->indptr, R->indptr, ((size_t)R->nrows + 1) * sizeof *P->indptr);
    memcpy(P->indices, R->indices, (size_t)R->nnz * sizeof *P->indices);
    for (int64_t r = 0; r < R->nrows; r++) {
        int64_t b = R->indptr[r], en = R->indptr[r + 1];
        float w = en > b ? (float)(1.0 / (double)(en - b)) : 0.0f;
        for (int64_t k = b; k < en; k++) P->data[k] = w;
    }
    return AR_OK;
}

/* ------------------------------------------------------------------ SpMM */

/* One sweep over rows r of A computes acc = (A X)[r] (a d-vector) and applies
 *   T[r] = acc                      (when T)
 *   F[r] = c * S[r] + alpha * acc   (when F; S may be NULL = 0, F itself, or another matrix)
 * X is (ncols, d); T, F, S are (nrows, d). */
typedef struct spmm_job {
    const csr *A;
    const float *X;
    int64_t d;
    float *T;
    float *F;
    const float *S;
    float c, alpha;
} spmm_job;

enum { SIMD_PORTABLE = 0, SIMD_AVX2 = 1 };

/* AR_SIMD=portable forces the portable kernels (used by the tests to check both). */
static int simd_level(void)
{
#if CSR_HAVE_X86
    const char *env = getenv("AR_SIMD");
    if (env && strcmp(env, "portable") == 0) return SIMD_PORTABLE;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SIMD_AVX2;
#endif
    return SIMD_PORTABLE;
}

/* Epilogue on columns [j0, j0+w) of row r; acc holds those w columns. */
static inline void epilogue(const spmm_job *j, int64_t r, int64_t j0, int64_t w, const float *acc)
{
    const int64_t off = r * j->d + j0;
    if (j->T) memcpy(j->T + off, acc, (size_t)w * sizeof *acc);
    if (j->F) {
        float *f = j->F + off;
        const float c = j->c, al = j->alpha;
        if (j->S) {
            const float *s = j->S + off;
#pragma omp simd
            for (int64_t t = 0; t < w; t++) f[t] = c * s[t] + al * acc[t];
        } else {
#pragma omp simd
            for (int64_t t = 0; t < w; t++) f[t] = al * acc[t];
        }
    }
}

#define CSR_BLOCK 256 /* columns per pass over a row in the generic kernels */

/* Portable kernel: column blocks of <= CSR_BLOCK, inner loops vectorised by the compiler.
 * always_inline so the d = 64 call below is specialised with a constant width. */
static inline __attribute__((always_inline)) void
rows_portable_w(const spmm_job *j, int64_t r0, int64_t r1, const int64_t d)
{
    const int64_t *ip = j->A->indptr;
    const int32_t *ix = j->A->indices;
    const float *av = j->A->data;
    float acc[CSR_BLOCK];
    for (int64_t r = r0; r < r1; r++)
        for (int64_t j0 = 0; j0 < d; j0 += CSR_BLOCK) {
            const int64_t w = d - j0 < CSR_BLOCK ? d - j0 : CSR_BLOCK;
            for (int64_t t = 0; t < w; t++) acc[t] = 0.0f;
            for (int64_t k = ip[r]; k < ip[r + 1]; k++) {
                const float a = av[k];
                const float *x = j->X + (int64_t)ix[k] * d + j0;
#pragma omp simd
                for (int64_t t = 0; t < w; t++) acc[t] += a * x[t];
            }
            epilogue(j, r, j0, w, acc);
        }
}

static void rows_portable(const spmm_job *j, int64_t r0, int64_t r1)
{
    if (j->d == 64) rows_portable_w(j, r0, r1, 64);
    else rows_portable_w(j, r0, r1, j->d);
}

#if CSR_HAVE_X86
#ifndef CSR_PF
#define CSR_PF 6 /* prefetch distance in nonzeros */
#endif

/* d = 64: the whole output row lives in 8 ymm accumulators; X rows are prefetched
 * CSR_PF nonzeros ahead (across row boundaries). */
__attribute__((target("avx2,fma"))) static void rows_avx2_64(const spmm_job *j, int64_t r0, int64_t r1)
{
    const int64_t *ip = j->A->indptr;
    const int32_t *ix = j->A->indices;
    const float *av = j->A->data;
    const float *X = j->X;
    const int64_t kend = ip[r1];
    const __m256 vc = _mm256_set1_ps(j->c), va = _mm256_set1_ps(j->alpha);
    for (int64_t r = r0; r < r1; r++) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int64_t k = ip[r]; k < ip[r + 1]; k++) {
            if (k + CSR_PF < kend) {
                const char *p = (const char *)(X + (int64_t)ix[k + CSR_PF] * 64);
                _mm_prefetch(p, _MM_HINT_T0);
                _mm_prefetch(p + 64, _MM_HINT_T0);
                _mm_prefetch(p + 128, _MM_HINT_T0);
                _mm_prefetch(p + 192, _MM_HINT_T0);
            }
            const __m256 v = _mm256_broadcast_ss(av + k);
            const float *x = X + (int64_t)ix[k] * 64;
            a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 0), a0);
            a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 8), a1);
            a2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 16), a2);
            a3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 24), a3);
            a4 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 32), a4);
            a5 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 40), a5);
            a6 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 48), a6);
            a7 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 56), a7);
        }
        __m256 acc[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
        const int64_t off = r * 64;
        if (j->T)
            for (int q = 0; q < 8; q++) _mm256_storeu_ps(j->T + off + 8 * q, acc[q]);
        if (j->F) {
            float *f = j->F + off;
            if (j->S) {
                const float *s = j->S + off;
                for (int q = 0; q < 8; q++)
                    _mm256_storeu_ps(f + 8 * q,
                                     _mm256_fmadd_ps(va, acc[q], _mm256_mul_ps(vc, _mm256_loadu_ps(s + 8 * q))));
            } else {
                for (int q = 0; q < 8; q++) _mm256_storeu_ps(f + 8 * q, _mm256_mul_ps(va, acc[q]));
            }
        }
    }
}

/* Any d: column blocks of <= CSR_BLOCK; inside a block 32-wide then 8-wide vector
 * passes over the row's nonzeros, a scalar tail for the last d % 8 columns. */
__attribute__((target("avx2,fma"))) static void rows_avx2_any(const spmm_job *j, int64_t r0, int64_t r1)
{
    const int64_t *ip = j->A->indptr;
    const int32_t *ix = j->A->indices;
    const float *av = j->A->data;
    const int64_t d = j->d;
    float acc[CSR_BLOCK] __attribute__((aligned(32)));
    for (int64_t r = r0; r < r1; r++) {
        const int64_t kb = ip[r], ke = ip[r + 1];
        for (int64_t j0 = 0; j0 < d; j0 += CSR_BLOCK) {
            const int64_t w = d - j0 < CSR_BLOCK ? d - j0 : CSR_BLOCK;
            const float *X = j->X + j0;
            int64_t t = 0;
            for (; t + 32 <= w; t += 32) {
                __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                for (int64_t k = kb; k < ke; k++) {
                    const __m256 v = _mm256_broadcast_ss(av + k);
                    const float *x = X + (int64_t)ix[k] * d + t;
                    a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 0), a0);
                    a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 8), a1);
                    a2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 16), a2);
                    a3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 24), a3);
                }
                _mm256_store_ps(acc + t, a0);
                _mm256_store_ps(acc + t + 8, a1);
                _mm256_store_ps(acc + t + 16, a2);
                _mm256_store_ps(acc + t + 24, a3);
            }
            for (; t + 8 <= w; t += 8) {
                __m256 a0 = _mm256_setzero_ps();
                for (int64_t k = kb; k < ke; k++)
                    a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(av + k),
                                         _mm256_loadu_ps(X + (int64_t)ix[k] * d + t), a0);
                _mm256_store_ps(acc + t, a0);
            }
            if (t < w) {
                const int64_t t0 = t;
                for (; t < w; t++) acc[t] = 0.0f;
                for (int64_t k = kb; k < ke; k++) {
                    const float a = av[k];
                    const float *x = X + (int64_t)ix[k] * d;
                    for (t = t0; t < w; t++) acc[t] += a * x[t];
                }
            }
            epilogue(j, r, j0, w, acc);
        }
    }
}
#endif

static void run_rows(const spmm_job *j, int simd, int64_t r0, int64_t r1)
{
    if (r0 >= r1) return;
#if CSR_HAVE_X86
    if (simd == SIMD_AVX2) {
        if (j->d == 64) rows_avx2_64(j, r0, r1);
        else rows_avx2_any(j, r0, r1);
        return;
    }
#else
    (void)simd;
#endif
    rows_portable(j, r0, r1);
}

/* Static nnz-balanced partition: part t of T starts at the first row r with
 * indptr[r] + 2r >= t * (nnz + 2 nrows) / T (a row costs about 2 nonzeros). */
static int64_t part_start(const csr *A, int64_t t, int64_t T)
{
    if (t <= 0) return 0;
    if (t >= T) return A->nrows;
    const int64_t total = A->indptr[A->nrows] + 2 * A->nrows;
    const int64_t target = (int64_t)((double)total * t / T);
    int64_t lo = 0, hi = A->nrows;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (A->indptr[mid] + 2 * mid < target) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int spmm_threads(const csr *A, int64_t d)
{
#ifdef _OPENMP
    if ((A->indptr[A->nrows] + A->nrows) * d < (1 << 16)) return 1;
    return omp_get_max_threads();
#else
    (void)A;
    (void)d;
    return 1;
#endif
}

/* Number of row chunks handed out to threads: one per thread (static), or
 * CSR_CHUNKS_PER_THREAD per thread taken dynamically. Either way every output row
 * is computed by one thread in the same order, so results do not depend on the
 * schedule or the thread count. */
#ifndef CSR_CHUNKS_PER_THREAD
#define CSR_CHUNKS_PER_THREAD 16
#endif
static int64_t n_chunks(const csr *A, int nt)
{
    int64_t c = nt > 1 ? (int64_t)nt * CSR_CHUNKS_PER_THREAD : 1;
    return c < A->nrows ? c : (A->nrows > 0 ? A->nrows : 1);
}

static void run_job(const spmm_job *j)
{
    const int simd = simd_level();
    const int nt = spmm_threads(j->A, j->d);
    const int64_t nch = n_chunks(j->A, nt);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
    for (int64_t ch = 0; ch < nch; ch++) run_rows(j, simd, part_start(j->A, ch, nch), part_start(j->A, ch + 1, nch));
}

/* Y (nrows, d) = A (nrows, ncols) X (ncols, d). */
void csr_spmm(const csr *A, const float *X, int64_t d, float *Y)
{
    if (d <= 0 || A->nrows == 0) return;
    spmm_job j = {A, X, d, Y, NULL, NULL, 0.0f, 1.0f};
    run_job(&j);
}

/* Y (nrows, d) += alpha * A (nrows, ncols) X (ncols, d). */
void csr_spmm_add(const csr *A, const float *X, int64_t d, float alpha, float *Y)
{
    if (d <= 0 || A->nrows == 0) return;
    spmm_job j = {A, X, d, NULL, Y, Y, 1.0f, alpha};
    run_job(&j);
}

/* Reference: Y (nrows, d) = A X, one row and one nonzero at a time. */
void csr_spmm_naive(const csr *A, const float *X, int64_t d, float *Y)
{
    for (int64_t r = 0; r < A->nrows; r++) {
        float *y = Y + r * d;
        for (int64_t t = 0; t < d; t++) y[t] = 0.0f;
        for (int64_t k = A->indptr[r]; k < A->indptr[r + 1]; k++) {
            const float a = A->data[k];
            const float *x = X + (int64_t)A->indices[k] * d;
            for (int64_t t = 0; t < d; t++) y[t] += a * x[t];
        }
    }
}

/* F (N, d) = 1/(L+1) sum_{l=0..L} A^l E, A (N, N), E (N, d). Layer l reads the
 * previous layer's output (E, tmp1, tmp2, tmp1, ...) and in the same sweep adds its
 * share to F; the last layer is not stored. One parallel region, a barrier per layer. */
void csr_propagate(const csr *A, const float *E, int64_t d, int L, float *F, float *tmp1, float *tmp2)
{
    const int64_t N = A->nrows;
    if (d <= 0 || N == 0) return;
    if (L <= 0) {
        memcpy(F, E, (size_t)(N * d) * sizeof *F);
        return;
    }
    const float s = 1.0f / (float)(L + 1);
    float *tb[2] = {tmp1, tmp2};
    const int simd = simd_level();
    const int nt = spmm_threads(A, d);
    const int64_t nch = n_chunks(A, nt);
#pragma omp parallel num_threads(nt) if (nt > 1)
    for (int l = 1; l <= L; l++) {
        spmm_job j;
        j.A = A;
        j.X = l == 1 ? E : tb[(l - 2) % 2];
        j.d = d;
        j.T = l < L ? tb[(l - 1) % 2] : NULL;
        j.F = F;
        j.S = l == 1 ? E : F;
        j.c = l == 1 ? s : 1.0f;
        j.alpha = s;
        /* the implicit barrier of the loop separates the layers */
#pragma omp for schedule(dynamic, 1)
        for (int64_t ch = 0; ch < nch; ch++) run_rows(&j, simd, part_start(A, ch, nch), part_start(A, ch + 1, nch));
    }
}

/* Reference for csr_propagate, literally spec 2.2: acc = E/(L+1); X = E;
 * repeat L times { X = A X; acc += X/(L+1) }. */
void csr_propagate_naive(const csr *A, const float *E, int64_t d, int L, float *F, float *tmp1, float *tmp2)
{
    const int64_t n = A->nrows * d;
    const float den = (float)(L + 1);
    for (int64_t k = 0; k < n; k++) F[k] = E[k] / den;
    const float *x = E;
    float *tb[2] = {tmp1, tmp2};
    for (int l = 1; l <= L; l++) {
        float *y = tb[(l - 1) % 2];
        csr_spmm_naive(A, x, d, y);
        for (int64_t k = 0; k < n; k++) F[k] += y[k] / den;
        x = y;
    }
}

/* ------------------------------------------------- restricted propagation */

/* Training reads F only at a few rows S (the batch) and gets dF nonzero only
 * there. csr_propagate_sel / csr_propagate_back_sel compute exactly the values
 * csr_propagate would, skipping work that cannot matter:
 *   forward:  layer l is needed only on the rows within L - l hops of S (found by
 *             a breadth-first search); a layer that needs most rows runs the plain
 *             kernel over all rows, then updates F on S; the last layer computes
 *             the rows of S only. F is written on S only.
 *   backward: layer 1 (A dF) gathers, for each row, only its columns in S (the
 *             other rows of dF are +0); layers 2..L are the full kernel.
 * Every computed row runs the same operations in the same order as the full
 * kernel. A skipped term a * (+0) (a finite and non-negative) adds +0 to the
 * accumulator, which changes nothing but a -0 into +0: the kernels replay it as
 * an explicit "+ 0" wherever skipped terms were. So results are bit-identical to
 * csr_propagate (for both SIMD levels and any d), which the unit tests check.
 * Requirements (csr_sel_init checks them): A square, values finite with the sign
 * bit clear (the normalised adjacency), nnz < 2^31. */

#define SEL_KBLK 4096 /* gathered terms per pass-1/pass-2 block */
#define SEL_RBLK 1024 /* rows per block */
#define SEL_MAXHOPS 250

typedef struct sel_ent {
    uint32_t c; /* column; top bit: skipped terms come before this one */
    float a;
} sel_ent;

enum { SR_S = 1, SR_TRAIL = 2 };
typedef struct sel_row {
    int32_t r;
    uint32_t k0, n; /* its terms: ent[k0 .. k0+n) */
    uint32_t fl;    /* SR_S: row of S; SR_TRAIL: skipped terms after the last one */
} sel_row;

typedef struct sel_buf {
    sel_ent *ent;  /* SEL_KBLK + max row degree */
    sel_row *rows; /* SEL_RBLK */
} sel_buf;

struct csr_sel {
    const csr *A;
    int64_t N, maxdeg;
    uint8_t *mark;  /* (N) 1 + hops from S for rows found so far (1 = in S), else 0 */
    uint64_t *sbit; /* (N/64) bit r: row r in S (an L1-sized copy of mark == 1) */
    int32_t *srt;   /* rows of S in increasing order (valid when srt_ok) */
    int srt_ok;
    int32_t *vis;   /* rows with mark != 0: S first, then by hops */
    int64_t nS, nvis;
    int64_t hopend[SEL_MAXHOPS + 1]; /* vis[0 .. hopend[h]) = rows within h hops */
    int bfs_hops;   /* hops explored */
    int bfs_cut;    /* 1: stopped early; rows farther than bfs_hops are not known */
    int nbuf;
    sel_buf *buf;
};

int csr_sel_init(csr_sel **out, const csr *A, ar_err *e)
{
    *out = NULL;
    if (A->nrows != A->ncols)
        return ar_fail(e, AR_EUSAGE, "csr_sel_init: matrix is %lld x %lld, not square", (long long)A->nrows,
                       (long long)A->ncols);
    if (A->nnz >= INT32_MAX)
        return ar_fail(e, AR_EUSAGE, "csr_sel_init: %lld nonzeros are too many", (long long)A->nnz);
    int64_t maxdeg = 0;
    for (int64_t r = 0; r < A->nrows; r++) {
        int64_t g = A->indptr[r + 1] - A->indptr[r];
        if (g > maxdeg) maxdeg = g;
    }
    for (int64_t k = 0; k < A->nnz; k++) {
        uint32_t b;
        memcpy(&b, A->data + k, sizeof b);
        if ((b >> 31) || !isfinite(A->data[k]))
            return ar_fail(e, AR_EUSAGE, "csr_sel_init: value %lld (%g) is not finite and non-negative", (long long)k,
                           (double)A->data[k]);
    }
    csr_sel *s = ar_calloc(1, sizeof *s, e);
    if (!s) return AR_EDATA;
    const size_t N = (size_t)A->nrows;
    s->A = A;
    s->N = A->nrows;
    s->maxdeg = maxdeg;
    s->mark = ar_calloc(N + 1, 1, e);
    s->vis = s->mark ? ar_malloc((N + 1) * sizeof *s->vis, e) : NULL;
    s->srt = s->vis ? ar_malloc((N + 1) * sizeof *s->srt, e) : NULL;
    s->sbit = s->srt ? ar_calloc(N / 64 + 1, sizeof *s->sbit, e) : NULL;
#ifdef _OPENMP
    s->nbuf = omp_get_max_threads();
#else
    s->nbuf = 1;
#endif
    if (s->nbuf < 1) s->nbuf = 1;
    s->buf = s->sbit ? ar_calloc((size_t)s->nbuf, sizeof *s->buf, e) : NULL;
    int ok = s->buf != NULL;
    for (int t = 0; ok && t < s->nbuf; t++) {
        s->buf[t].ent = ar_malloc((size_t)(SEL_KBLK + maxdeg) * sizeof(sel_ent), e);
        s->buf[t].rows = s->buf[t].ent ? ar_malloc(SEL_RBLK * sizeof(sel_row), e) : NULL;
        ok = s->buf[t].rows != NULL;
    }
    if (!ok) {
        csr_sel_free(s);
        return AR_EDATA;
    }
    *out = s;
    return AR_OK;
}

void csr_sel_free(csr_sel *s)
{
    if (!s) return;
    if (s->buf)
        for (int t = 0; t < s->nbuf; t++) {
            free(s->buf[t].ent);
            free(s->buf[t].rows);
        }
    free(s->buf);
    free(s->mark);
    free(s->vis);
    free(s->srt);
    free(s->sbit);
    free(s);
}

/* Forget the rows found by the neighbourhood search (keep S). */
static void sel_drop_bfs(csr_sel *s)
{
    for (int64_t i = s->nS; i < s->nvis; i++) s->mark[s->vis[i]] = 0;
    s->nvis = s->nS;
    s->hopend[0] = s->nS;
    s->bfs_hops = 0;
    s->bfs_cut = 0;
}

void csr_sel_clear(csr_sel *s)
{
    for (int64_t i = 0; i < s->nS; i++) s->sbit[s->vis[i] >> 6] = 0;
    for (int64_t i = 0; i < s->nvis; i++) s->mark[s->vis[i]] = 0;
    s->srt_ok = 0;
    s->nS = s->nvis = 0;
    s->hopend[0] = 0;
    s->bfs_hops = 0;
    s->bfs_cut = 0;
}

int csr_sel_add(csr_sel *s, const int32_t *ids, int64_t n, int64_t offset, ar_err *e)
{
    sel_drop_bfs(s);
    for (int64_t i = 0; i < n; i++) {
        int64_t r = offset + (int64_t)ids[i];
        if (r < 0 || r >= s->N)
            return ar_fail(e, AR_EUSAGE, "csr_sel_add: row %lld (id %d + %lld) out of range [0, %lld)", (long long)r,
                           ids[i], (long long)offset, (long long)s->N);
        if (!s->mark[r]) {
            s->mark[r] = 1;
            s->sbit[r >> 6] |= (uint64_t)1 << (r & 63);
            s->vis[s->nvis++] = (int32_t)r;
        }
    }
    s->nS = s->nvis;
    s->srt_ok = 0;
    s->hopend[0] = s->nS;
    return AR_OK;
}

int64_t csr_sel_count(const csr_sel *s) { return s->nS; }

/* Rows within `hops` hops of S get mark = 1 + their distance. Stops early
 * (bfs_cut) once half the rows are reached, or are likely to be reached by the
 * next hop (judged from the frontier's degrees, before scanning it): the layers
 * that would need the farther rows then simply compute all rows, which gives
 * the same values. */
static void sel_bfs(csr_sel *s, int hops)
{
    const int64_t *ip = s->A->indptr;
    const int32_t *ix = s->A->indices;
    if (hops > SEL_MAXHOPS) hops = SEL_MAXHOPS;
    while (s->bfs_hops < hops && !s->bfs_cut) {
        const int64_t lo = s->bfs_hops ? s->hopend[s->bfs_hops - 1] : 0, hi = s->nvis;
        double terms = 0; /* the next hop's candidates, as if drawn at random */
        for (int64_t i = lo; i < hi; i++) terms += (double)(ip[s->vis[i] + 1] - ip[s->vis[i]]);
        const double likely = (double)s->nvis + (double)s->N * (1.0 - exp(-terms / (double)s->N));
        if (2 * s->nvis >= s->N || likely >= 0.6 * (double)s->N || s->bfs_hops + 1 >= SEL_MAXHOPS) {
            s->bfs_cut = 1;
            break;
        }
        const uint8_t m = (uint8_t)(s->bfs_hops + 2);
        for (int64_t i = lo; i < hi; i++) {
            const int32_t r = s->vis[i];
            for (int64_t k = ip[r]; k < ip[r + 1]; k++) {
                const int32_t c = ix[k];
                if (!s->mark[c]) {
                    s->mark[c] = m;
                    s->vis[s->nvis++] = c;
                }
            }
        }
        s->bfs_hops++;
        s->hopend[s->bfs_hops] = s->nvis;
    }
}

/* One restricted layer: forward (rows within some hops of S) or backward layer 1
 * (every row, gathering only the columns in S). */
typedef struct sel_job {
    const csr *A;
    const float *X; /* (N, d) previous layer: E, T, or dF */
    int64_t d;
    int layer, bwd;
    float s;        /* 1/(L+1) */
    float *T;       /* the rows computed are stored here (NULL at the last layer) */
    const uint8_t *mark;
    const uint64_t *sbit;
    /* forward: rows with mark in [1, near]; F[r] (r in S) = c*(layer 1 ? E : F)[r] + s*acc */
    int near;
    float *F;
    const float *E;
    /* forward: the F updates of the 1 or 2 plain layers just before this one,
     * from their stored rows pend[] (first of them: layer pfirst), come first */
    int npend, pfirst;
    const float *pend[2];
    /* backward: dE[r] = s*dF'[r] + s*acc (dF' = dF on S, +0 elsewhere) */
    const float *dF;
    float *dE;
} sel_job;

/* Pass 1 over rows [r, r1): collect the rows this layer computes and their
 * gathered terms into b, stopping when a block is full; returns the next row. */
static int64_t sel_collect(const sel_job *j, sel_buf *b, int64_t r, int64_t r1, int64_t *nrows)
{
    const int64_t *ip = j->A->indptr;
    const int32_t *ix = j->A->indices;
    const float *av = j->A->data;
    const uint8_t *mark = j->mark;
    const uint64_t *sbit = j->sbit;
    int64_t nr = 0;
    uint32_t ne = 0;
    for (; r < r1 && nr < SEL_RBLK && ne < SEL_KBLK; r++) {
        const int64_t kb = ip[r], ke = ip[r + 1];
        const uint32_t inS = (sbit[r >> 6] >> (r & 63)) & 1 ? SR_S : 0;
        sel_row *q = &b->rows[nr];
        sel_ent *en = b->ent + ne;
        uint32_t n = 0, gap = 0;
        if (!j->bwd) {
            if (!(mark[r] && mark[r] <= j->near)) continue;
            for (int64_t k = kb; k < ke; k++) {
                en[k - kb].c = (uint32_t)ix[k];
                en[k - kb].a = av[k];
            }
            n = (uint32_t)(ke - kb);
        } else {
            /* keep the terms whose column is in S, branch-free */
            for (int64_t k = kb; k < ke; k++) {
                const uint32_t c = (uint32_t)ix[k];
                const uint32_t h = (uint32_t)(sbit[c >> 6] >> (c & 63)) & 1u;
                en[n].c = c | (gap << 31);
                en[n].a = av[k];
                n += h;
                gap = h ^ 1u;
            }
        }
        q->r = (int32_t)r;
        q->k0 = ne;
        q->n = n;
        q->fl = inS | (gap && n ? SR_TRAIL : 0);
        ne += n;
        nr++;
    }
    *nrows = nr;
    return r;
}

/* Portable epilogue on columns [j0, j0+w): T store, then out = c*S + alpha*acc
 * exactly as epilogue() computes it. */
static inline void sel_epi_plain(const sel_job *j, int64_t r, uint32_t fl, int64_t j0, int64_t w, const float *acc)
{
    const int64_t off = r * j->d + j0;
    if (j->T) memcpy(j->T + off, acc, (size_t)w * sizeof *acc);
    const float al = j->s;
    if (!j->bwd) {
        if (!(fl & SR_S)) return;
        float *f = j->F + off;
        if (j->npend) {
            const float c0 = j->pfirst == 1 ? j->s : 1.0f, c = 1.0f;
            const float *s0 = (j->pfirst == 1 ? j->E : j->F) + off, *p0 = j->pend[0] + off;
            const float *p1 = j->npend > 1 ? j->pend[1] + off : NULL;
            for (int64_t t = 0; t < w; t++) {
                float v = c0 * s0[t] + al * p0[t];
                if (p1) v = c * v + al * p1[t];
                f[t] = c * v + al * acc[t];
            }
            return;
        }
        const float c = j->layer == 1 ? j->s : 1.0f;
        const float *sv = (j->layer == 1 ? j->E : j->F) + off;
        for (int64_t t = 0; t < w; t++) f[t] = c * sv[t] + al * acc[t];
        return;
    }
    const float c = j->s;
    float *f = j->dE + off;
    if (fl & SR_S) {
        const float *sv = j->dF + off;
        for (int64_t t = 0; t < w; t++) f[t] = c * sv[t] + al * acc[t];
    } else {
        const float z = 0.0f;
        for (int64_t t = 0; t < w; t++) f[t] = c * z + al * acc[t];
    }
}

/* Pass 2, portable: per column a chain acc += a*x (as rows_portable_w). */
static void sel_rows_portable(const sel_job *j, const sel_buf *b, int64_t nr)
{
    const int64_t d = j->d;
    float acc[CSR_BLOCK];
    for (int64_t i = 0; i < nr; i++) {
        const sel_row *q = &b->rows[i];
        const sel_ent *en = b->ent + q->k0;
        for (int64_t j0 = 0; j0 < d; j0 += CSR_BLOCK) {
            const int64_t w = d - j0 < CSR_BLOCK ? d - j0 : CSR_BLOCK;
            for (int64_t t = 0; t < w; t++) acc[t] = 0.0f;
            for (uint32_t k = 0; k < q->n; k++) {
                if (en[k].c >> 31)
                    for (int64_t t = 0; t < w; t++) acc[t] += 0.0f;
                const float a = en[k].a;
                const float *x = j->X + (int64_t)(en[k].c & 0x7fffffffu) * d + j0;
                for (int64_t t = 0; t < w; t++) acc[t] += a * x[t];
            }
            if (q->fl & SR_TRAIL)
                for (int64_t t = 0; t < w; t++) acc[t] += 0.0f;
            sel_epi_plain(j, q->r, q->fl, j0, w, acc);
        }
    }
}

#if CSR_HAVE_X86
/* Pass 2, AVX2, any d: FMA chains on the first d - d%8 columns of each block and a
 * multiply-add chain on the rest, as rows_avx2_any; plain epilogue. */
__attribute__((target("avx2,fma"))) static void sel_rows_avx2_any(const sel_job *j, const sel_buf *b, int64_t nr)
{
    const int64_t d = j->d;
    float acc[CSR_BLOCK] __attribute__((aligned(32)));
    for (int64_t i = 0; i < nr; i++) {
        const sel_row *q = &b->rows[i];
        const sel_ent *en = b->ent + q->k0;
        for (int64_t j0 = 0; j0 < d; j0 += CSR_BLOCK) {
            const int64_t w = d - j0 < CSR_BLOCK ? d - j0 : CSR_BLOCK, w8 = w - w % 8;
            for (int64_t t = 0; t < w; t++) acc[t] = 0.0f;
            for (uint32_t k = 0; k < q->n; k++) {
                if (en[k].c >> 31)
                    for (int64_t t = 0; t < w; t++) acc[t] += 0.0f;
                const __m256 v = _mm256_broadcast_ss(&en[k].a);
                const float a = en[k].a;
                const float *x = j->X + (int64_t)(en[k].c & 0x7fffffffu) * d + j0;
                for (int64_t t = 0; t < w8; t += 8)
                    _mm256_store_ps(acc + t, _mm256_fmadd_ps(v, _mm256_loadu_ps(x + t), _mm256_load_ps(acc + t)));
                for (int64_t t = w8; t < w; t++) acc[t] += a * x[t];
            }
            if (q->fl & SR_TRAIL)
                for (int64_t t = 0; t < w; t++) acc[t] += 0.0f;
            sel_epi_plain(j, q->r, q->fl, j0, w, acc);
        }
    }
}

/* d = 64 epilogue of row r from acc (8 ymm): T store, F or dE update with the
 * FMA epilogue of rows_avx2_64. */
__attribute__((target("avx2,fma"))) static inline void sel_epi_64(const sel_job *j, int64_t r, uint32_t fl,
                                                                   const __m256 *acc)
{
    const __m256 va = _mm256_set1_ps(j->s), zero = _mm256_setzero_ps();
    const int64_t off = r * 64;
    if (j->T)
        for (int t = 0; t < 8; t++) _mm256_storeu_ps(j->T + off + 8 * t, acc[t]);
    if (!j->bwd) {
        if (!(fl & SR_S)) return;
        if (j->npend) {
            const __m256 c0 = _mm256_set1_ps(j->pfirst == 1 ? j->s : 1.0f), one = _mm256_set1_ps(1.0f);
            const float *s0 = (j->pfirst == 1 ? j->E : j->F) + off, *p0 = j->pend[0] + off;
            const float *p1 = j->npend > 1 ? j->pend[1] + off : NULL;
            float *f = j->F + off;
            for (int t = 0; t < 8; t++) {
                __m256 v = _mm256_fmadd_ps(va, _mm256_loadu_ps(p0 + 8 * t), _mm256_mul_ps(c0, _mm256_loadu_ps(s0 + 8 * t)));
                if (p1) v = _mm256_fmadd_ps(va, _mm256_loadu_ps(p1 + 8 * t), _mm256_mul_ps(one, v));
                _mm256_storeu_ps(f + 8 * t, _mm256_fmadd_ps(va, acc[t], _mm256_mul_ps(one, v)));
            }
            return;
        }
        const __m256 vc = _mm256_set1_ps(j->layer == 1 ? j->s : 1.0f);
        const float *sv = (j->layer == 1 ? j->E : j->F) + off;
        float *f = j->F + off;
        for (int t = 0; t < 8; t++)
            _mm256_storeu_ps(f + 8 * t, _mm256_fmadd_ps(va, acc[t], _mm256_mul_ps(vc, _mm256_loadu_ps(sv + 8 * t))));
        return;
    }
    const __m256 vc = _mm256_set1_ps(j->s);
    const float *sv = (fl & SR_S) ? j->dF + off : NULL;
    float *f = j->dE + off;
    for (int t = 0; t < 8; t++)
        _mm256_storeu_ps(f + 8 * t,
                         _mm256_fmadd_ps(va, acc[t], _mm256_mul_ps(vc, sv ? _mm256_loadu_ps(sv + 8 * t) : zero)));
}

#ifndef SEL_PFROW
#define SEL_PFROW 6 /* rows ahead whose scattered epilogue rows are prefetched */
#endif

/* Pass 2, AVX2, d = 64: as rows_avx2_64 (8 ymm accumulators), prefetching CSR_PF
 * terms ahead across rows. */
__attribute__((target("avx2,fma"))) static void sel_rows_avx2_64(const sel_job *j, const sel_buf *b, int64_t nr)
{
    const float *X = j->X;
    const __m256 zero = _mm256_setzero_ps();
    const uint32_t nall = nr ? b->rows[nr - 1].k0 + b->rows[nr - 1].n : 0;
    for (int64_t i = 0; i < nr; i++) {
        const sel_row *q = &b->rows[i];
        if (i + SEL_PFROW < nr && (b->rows[i + SEL_PFROW].fl & SR_S)) {
            /* the scattered rows the epilogue of a row of S reads */
            const int64_t o = (int64_t)b->rows[i + SEL_PFROW].r * 64;
            for (int t = 0; t < 64 && j->bwd; t += 16) _mm_prefetch((const char *)(j->dF + o + t), _MM_HINT_T0);
            for (int t = 0; t < 64 && !j->bwd; t += 16) {
                _mm_prefetch((const char *)(j->F + o + t), _MM_HINT_T0);
                if (j->layer == 1 || j->pfirst == 1) _mm_prefetch((const char *)(j->E + o + t), _MM_HINT_T0);
                for (int p = 0; p < j->npend; p++) _mm_prefetch((const char *)(j->pend[p] + o + t), _MM_HINT_T0);
            }
        }
        __m256 a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero;
        const uint32_t ke = q->k0 + q->n;
        for (uint32_t k = q->k0; k < ke; k++) {
            if (k + CSR_PF < nall) {
                const char *p = (const char *)(X + (int64_t)(b->ent[k + CSR_PF].c & 0x7fffffffu) * 64);
                _mm_prefetch(p, _MM_HINT_T0);
                _mm_prefetch(p + 64, _MM_HINT_T0);
                _mm_prefetch(p + 128, _MM_HINT_T0);
                _mm_prefetch(p + 192, _MM_HINT_T0);
            }
            const uint32_t c = b->ent[k].c;
            if (c >> 31) {
                a0 = _mm256_add_ps(a0, zero);
                a1 = _mm256_add_ps(a1, zero);
                a2 = _mm256_add_ps(a2, zero);
                a3 = _mm256_add_ps(a3, zero);
                a4 = _mm256_add_ps(a4, zero);
                a5 = _mm256_add_ps(a5, zero);
                a6 = _mm256_add_ps(a6, zero);
                a7 = _mm256_add_ps(a7, zero);
            }
            const __m256 v = _mm256_broadcast_ss(&b->ent[k].a);
            const float *x = X + (int64_t)(c & 0x7fffffffu) * 64;
            a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 0), a0);
            a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 8), a1);
            a2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 16), a2);
            a3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 24), a3);
            a4 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 32), a4);
            a5 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 40), a5);
            a6 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 48), a6);
            a7 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 56), a7);
        }
        __m256 acc[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
        if (q->fl & SR_TRAIL)
            for (int t = 0; t < 8; t++) acc[t] = _mm256_add_ps(acc[t], zero);
        sel_epi_64(j, q->r, q->fl, acc);
    }
}

/* F update of row r of S after a plain forward layer that stored acc in j->T. */
__attribute__((target("avx2,fma"))) static void sel_update_64(const sel_job *j, int64_t r)
{
    __m256 acc[8];
    for (int t = 0; t < 8; t++) acc[t] = _mm256_loadu_ps(j->T + r * 64 + 8 * t);
    sel_job k = *j;
    k.T = NULL;
    sel_epi_64(&k, r, SR_S, acc);
}
#endif

static void sel_update(const sel_job *j, int simd, int64_t r)
{
#if CSR_HAVE_X86
    if (simd == SIMD_AVX2 && j->d == 64) {
        sel_update_64(j, r);
        return;
    }
#else
    (void)simd;
#endif
    sel_job k = *j;
    k.T = NULL;
    for (int64_t j0 = 0; j0 < j->d; j0 += CSR_BLOCK) {
        const int64_t w = j->d - j0 < CSR_BLOCK ? j->d - j0 : CSR_BLOCK;
        sel_epi_plain(&k, r, SR_S, j0, w, j->T + r * j->d + j0);
    }
}

static void sel_run_rows(const sel_job *j, int simd, sel_buf *b, int64_t r0, int64_t r1)
{
    int64_t r = r0;
    while (r < r1) {
        int64_t nr;
        r = sel_collect(j, b, r, r1, &nr);
        if (!nr) continue;
#if CSR_HAVE_X86
        if (simd == SIMD_AVX2) {
            if (j->d == 64) sel_rows_avx2_64(j, b, nr);
            else sel_rows_avx2_any(j, b, nr);
            continue;
        }
#else
        (void)simd;
#endif
        sel_rows_portable(j, b, nr);
    }
}

static int sel_threads(const csr_sel *s, int64_t d)
{
    int nt = spmm_threads(s->A, d);
    return nt < s->nbuf ? nt : s->nbuf;
}

static int thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* F rows of S as csr_propagate computes them; other rows of F are not written. */
void csr_propagate_sel(csr_sel *s, const float *E, int64_t d, int L, float *F, float *tmp1, float *tmp2)
{
    if (d <= 0 || s->N == 0) return;
    if (L <= 0) {
        for (int64_t i = 0; i < s->nS; i++)
            memcpy(F + (int64_t)s->vis[i] * d, E + (int64_t)s->vis[i] * d, (size_t)d * sizeof *F);
        return;
    }
    sel_bfs(s, L - 1);
    const csr *A = s->A;
    float *tb[2] = {tmp1, tmp2};
    const int simd = simd_level();
    const int nt = sel_threads(s, d);
    const int64_t nch = n_chunks(A, nt);
    const int64_t nS = s->nS;
    if (!s->srt_ok) { /* S in row order: the F updates below then stream */
        int64_t n = 0;
        for (int64_t w = 0; w <= (s->N - 1) / 64; w++)
            for (uint64_t m = s->sbit[w]; m; m &= m - 1) s->srt[n++] = (int32_t)(64 * w + __builtin_ctzll(m));
        s->srt_ok = 1;
    }
    const int32_t *S = s->srt;
    /* layer l needs the rows within L - l hops; when they are unknown (search cut)
     * or at least half of all rows, a layer l < L runs the plain kernel on all rows */
#define SEL_PLAIN(l) ((l) >= 1 && (l) < L && (L - (l) > s->bfs_hops || 2 * s->hopend[L - (l)] >= s->N))
#pragma omp parallel num_threads(nt) if (nt > 1)
    for (int l = 1; l <= L; l++) {
        sel_job j;
        memset(&j, 0, sizeof j);
        j.A = A;
        j.X = l == 1 ? E : tb[(l - 2) % 2];
        j.d = d;
        j.layer = l;
        j.s = 1.0f / (float)(L + 1);
        j.T = l < L ? tb[(l - 1) % 2] : NULL;
        j.mark = s->mark;
        j.sbit = s->sbit;
        j.near = L - l + 1;
        j.F = F;
        j.E = E;
        if (SEL_PLAIN(l)) {
            const spmm_job pj = {A, j.X, d, j.T, NULL, NULL, 0.0f, 1.0f};
#pragma omp for schedule(dynamic, 1)
            for (int64_t ch = 0; ch < nch; ch++) run_rows(&pj, simd, part_start(A, ch, nch), part_start(A, ch + 1, nch));
            /* this layer's share of F on the rows of S, from the stored acc: done by
             * the next restricted layer while the rows are still stored (it is the
             * next layer, or the last one right after the next) */
            if (!SEL_PLAIN(l + 1) || l + 2 == L) continue;
#pragma omp for schedule(static)
            for (int64_t i = 0; i < nS; i++) {
                if (i + SEL_PFROW < nS) { /* scattered rows: fetch a few ahead */
                    const int64_t o = (int64_t)S[i + SEL_PFROW] * d;
                    for (int64_t t = 0; t < d; t += 16) {
                        __builtin_prefetch(j.T + o + t);
                        __builtin_prefetch((l == 1 ? E : F) + o + t);
                    }
                }
                sel_update(&j, simd, S[i]);
            }
            continue;
        }
        if (SEL_PLAIN(l - 1)) { /* the F updates left by plain layers */
            j.pfirst = l - 1;
            j.npend = 1;
            j.pend[0] = j.X;
            if (l == L && SEL_PLAIN(l - 2)) {
                j.pfirst = l - 2;
                j.npend = 2;
                j.pend[0] = tb[(l - 3) % 2];
                j.pend[1] = j.X;
            }
        }
        sel_buf *b = &s->buf[thread_id()];
#pragma omp for schedule(dynamic, 1)
        for (int64_t ch = 0; ch < nch; ch++) sel_run_rows(&j, simd, b, part_start(A, ch, nch), part_start(A, ch + 1, nch));
    }
#undef SEL_PLAIN
}

/* dE (N, d) = csr_propagate(A, dF') with dF' = dF on the rows of S and +0 elsewhere
 * (dF is read only on S); every row of dE is written. */
void csr_propagate_back_sel(csr_sel *s, const float *dF, int64_t d, int L, float *dE, float *tmp1, float *tmp2)
{
    if (d <= 0 || s->N == 0) return;
    if (L <= 0) {
        memset(dE, 0, (size_t)(s->N * d) * sizeof *dE);
        for (int64_t i = 0; i < s->nS; i++)
            memcpy(dE + (int64_t)s->vis[i] * d, dF + (int64_t)s->vis[i] * d, (size_t)d * sizeof *dE);
        return;
    }
    const csr *A = s->A;
    float *tb[2] = {tmp1, tmp2};
    const int simd = simd_level();
    const int nt = sel_threads(s, d);
    const int64_t nch = n_chunks(A, nt);
    const float sc = 1.0f / (float)(L + 1);
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        /* layer 1: G1 = A dF' (stored whole: +0 where no column is in S) */
        sel_job j;
        memset(&j, 0, sizeof j);
        j.A = A;
        j.X = dF;
        j.d = d;
        j.layer = 1;
        j.bwd = 1;
        j.s = sc;
        j.T = L > 1 ? tmp1 : NULL;
        j.mark = s->mark;
        j.sbit = s->sbit;
        j.dF = dF;
        j.dE = dE;
        sel_buf *b = &s->buf[thread_id()];
#pragma omp for schedule(dynamic, 1)
        for (int64_t ch = 0; ch < nch; ch++) sel_run_rows(&j, simd, b, part_start(A, ch, nch), part_start(A, ch + 1, nch));
        /* layers 2..L exactly as csr_propagate */
        for (int l = 2; l <= L; l++) {
            const spmm_job pj = {A, tb[(l - 2) % 2], d, l < L ? tb[(l - 1) % 2] : NULL, dE, dE, 1.0f, sc};
#pragma omp for schedule(dynamic, 1)
            for (int64_t ch = 0; ch < nch; ch++) run_rows(&pj, simd, part_start(A, ch, nch), part_start(A, ch + 1, nch));
        }
    }
}

/* ------------------------------------------------------------------ npz I/O */

/* Names of the four arrays of one CSR matrix inside an .npz. */
typedef struct csr_names {
    const char *indptr, *indices, *data, *shape;
} csr_names;

static const csr_names STD_NAMES = {"indptr", "indices", "data", "shape"};
static const csr_names MEAN_NAMES = {"mean_indptr", "mean_indices", "mean_data", "mean_shape"};

/* Members to write: arrays that borrow the matrices' memory, plus owned scratch. */
#define MAXMEMB 16
typedef struct members {
    int n;
    const char *names[MAXMEMB];
    ar_array arr[MAXMEMB];
    int owned[MAXMEMB]; /* 1: arr[i] is released with ar_array_free */
} members;

static void members_free(members *mb)
{
    for (int i = 0; i < mb->n; i++)
        if (mb->owned[i]) ar_array_free(&mb->arr[i]);
    mb->n = 0;
}

static ar_array *members_add(members *mb, const char *name, ar_dtype t, int ndim, int64_t n0, int64_t n1,
                             void *data, int owned)
{
    ar_array *a = &mb->arr[mb->n];
    memset(a, 0, sizeof *a);
    a->dtype = t;
    a->ndim = ndim;
    a->shape[0] = n0;
    a->shape[1] = n1;
    a->itemsize = ar_dtype_size(t);
    a->data = data;
    mb->names[mb->n] = name;
    mb->owned[mb->n] = owned;
    mb->n++;
    return a;
}

/* Add indptr, indices, data, shape of m; index arrays int32 when everything fits
 * (as scipy does), else int64. */
static int members_csr(members *mb, const csr *m, const csr_names *nm, ar_err *e)
{
    const int small = m->nnz <= INT32_MAX && m->nrows <= INT32_MAX && m->ncols <= INT32_MAX;
    int64_t one = m->nrows + 1;
    if (small) {
        ar_array *a = members_add(mb, nm->indptr, AR_I32, 1, one, 0, NULL, 1);
        if (ar_array_alloc(a, AR_I32, 1, &one, e)) return AR_EDATA;
        int32_t *p = a->data;
        for (int64_t r = 0; r <= m->nrows; r++) p[r] = (int32_t)m->indptr[r];
        members_add(mb, nm->indices, AR_I32, 1, m->nnz, 0, m->indices, 0);
    } else {
        members_add(mb, nm->indptr, AR_I64, 1, one, 0, m->indptr, 0);
        ar_array *a = members_add(mb, nm->indices, AR_I64, 1, m->nnz, 0, NULL, 1);
        int64_t nnz = m->nnz;
        if (ar_array_alloc(a, AR_I64, 1, &nnz, e)) return AR_EDATA;
        int64_t *p = a->data;
        for (int64_t k = 0; k < m->nnz; k++) p[k] = m->indices[k];
    }
    members_add(mb, nm->data, AR_F32, 1, m->nnz, 0, m->data, 0);
    ar_array *s = members_add(mb, nm->shape, AR_I64, 1, 2, 0, NULL, 1);
    int64_t two = 2;
    if (ar_array_alloc(s, AR_I64, 1, &two, e)) return AR_EDATA;
    ((int64_t *)s->data)[0] = m->nrows;
    ((int64_t *)s->data)[1] = m->ncols;
    return AR_OK;
}

static int members_format(members *mb, ar_err *e)
{
    ar_array *a = members_add(mb, "format", AR_STR, 0, 0, 0, NULL, 1);
    return ar_array_str(a, "csr", e);
}

int csr_save_npz(const char *path, const csr *m, ar_err *e)
{
    members mb = {0};
    int rc = members_csr(&mb, m, &STD_NAMES, e);
    if (!rc) rc = members_format(&mb, e);
    if (!rc) rc = npz_write(path, mb.n, mb.names, mb.arr, 0, e);
    members_free(&mb);
    return rc;
}

/* Element k of an integer array as int64 (i32/i64/u8). */
static int64_t int_at(const ar_array *a, int64_t k)
{
    switch (a->dtype) {
    case AR_I32: return ((const int32_t *)a->data)[k];
    case AR_I64: return ((const int64_t *)a->data)[k];
    case AR_U8: return ((const uint8_t *)a->data)[k];
    default: return 0;
    }
}

static int is_int(const ar_array *a) { return a->dtype == AR_I32 || a->dtype == AR_I64 || a->dtype == AR_U8; }

static ar_array *member(npz_file *z, const char *path, const char *name, ar_err *e)
{
    ar_array *a = npz_get(z, name);
    if (!a) ar_fail(e, AR_EDATA, "%s: member \"%s\" missing", path, name);
    return a;
}

/* Sort (index, value) pairs of one row by index. */
typedef struct ivpair {
    int32_t i;
    float v;
} ivpair;

static int cmp_iv(const void *a, const void *b)
{
    int32_t x = ((const ivpair *)a)->i, y = ((const ivpair *)b)->i;
    return (x > y) - (x < y);
}

static int sort_row_iv(int32_t *ix, float *v, int64_t n, ar_err *e)
{
    if (n <= 32) {
        for (int64_t i = 1; i < n; i++) {
            int32_t c = ix[i];
            float x = v[i];
            int64_t j = i;
            while (j > 0 && ix[j - 1] > c) {
                ix[j] = ix[j - 1];
                v[j] = v[j - 1];
                j--;
            }
            ix[j] = c;
            v[j] = x;
        }
        return AR_OK;
    }
    ivpair *p = ar_malloc((size_t)n * sizeof *p, e);
    if (!p) return AR_EDATA;
    for (int64_t k = 0; k < n; k++) p[k] = (ivpair){ix[k], v[k]};
    qsort(p, (size_t)n, sizeof *p, cmp_iv);
    for (int64_t k = 0; k < n; k++) {
        ix[k] = p[k].i;
        v[k] = p[k].v;
    }
    free(p);
    return AR_OK;
}

/* Build m from the named members of z, checking them against each other. */
static int csr_from_members(npz_file *z, const char *path, const csr_names *nm, csr *m, ar_err *e)
{
    memset(m, 0, sizeof *m);
    ar_array *ap = member(z, path, nm->indptr, e), *ai = ap ? member(z, path, nm->indices, e) : NULL;
    ar_array *ad = ai ? member(z, path, nm->data, e) : NULL, *as = ad ? member(z, path, nm->shape, e) : NULL;
    if (!as) return AR_EDATA;
    if (!is_int(as) || ar_array_numel(as) != 2 || as->ndim != 1)
        return ar_fail(e, AR_EDATA, "%s: member \"%s\": expected 2 integers, got %s with %lld elements", path,
                       nm->shape, ar_dtype_name(as->dtype), (long long)ar_array_numel(as));
    const int64_t nrows = int_at(as, 0), ncols = int_at(as, 1);
    if (nrows < 0 || ncols < 0 || nrows > CSR_MAX_DIM || ncols > CSR_MAX_DIM)
        return ar_fail(e, AR_EDATA, "%s: member \"%s\": bad shape (%lld, %lld)", path, nm->shape,
                       (long long)nrows, (long long)ncols);
    if (!is_int(ap) || ap->ndim != 1 || ap->shape[0] != nrows + 1)
        return ar_fail(e, AR_EDATA, "%s: member \"%s\": expected %lld integers (shape[0]+1), got %s %lld", path,
                       nm->indptr, (long long)(nrows + 1), ar_dtype_name(ap->dtype),
                       (long long)ar_array_numel(ap));
    if (!is_int(ai) || ai->ndim != 1)
        return ar_fail(e, AR_EDATA, "%s: member \"%s\": expected a 1-d integer array, got %s", path,
                       nm->indices, ar_dtype_name(ai->dtype));
    if (ad->ndim != 1 || ad->dtype == AR_STR)
        return ar_fail(e, AR_EDATA, "%s: member \"%s\": expected a 1-d numeric array, got %s", path, nm->data,
                       ar_dtype_name(ad->dtype));
    const int64_t nnz = ai->shape[0];
    if (ad->shape[0] != nnz)
        return ar_fail(e, AR_EDATA, "%s: member \"%s\" has %lld entries but \"%s\" has %lld", path, nm->data,
                       (long long)ad->shape[0], nm->indices, (long long)nnz);
    if (int_at(ap, 0) != 0)
        return ar_fail(e, AR_EDATA, "%s: member \"%s\": first entry is %lld, expected 0", path, nm->indptr,
                       (long long)int_at(ap, 0));
    for (int64_t r = 0; r < nrows; r++)
        if (int_at(ap, r + 1) < int_at(ap, r))
            return ar_fail(e, AR_EDATA, "%s: member \"%s\": decreases at row %lld", path, nm->indptr, (long long)r);
    if (int_at(ap, nrows) != nnz)
        return ar_fail(e, AR_EDATA, "%s: member \"%s\": last entry %lld, but \"%s\" has %lld entries", path,
                       nm->indptr, (long long)int_at(ap, nrows), nm->indices, (long long)nnz);
    if (ad->dtype != AR_F32 && ar_array_cast(ad, AR_F32, nm->data, e)) return AR_EDATA;
    if (csr_alloc(m, nrows, ncols, nnz, e)) return AR_EDATA;
    for (int64_t r = 0; r <= nrows; r++) m->indptr[r] = int_at(ap, r);
    for (int64_t k = 0; k < nnz; k++) {
        int64_t c = int_at(ai, k);
        if (c < 0 || c >= ncols) {
            csr_free(m);
            return ar_fail(e, AR_EDATA, "%s: member \"%s\": entry %lld is %lld, outside [0, %lld)", path,
                           nm->indices, (long long)k, (long long)c, (long long)ncols);
        }
        m->indices[k] = (int32_t)c;
    }
    memcpy(m->data, ad->data, (size_t)nnz * sizeof *m->data);
    /* scipy allows unsorted rows; our kernels and tests want them sorted. */
    for (int64_t r = 0; r < nrows; r++) {
        int64_t b = m->indptr[r], en = m->indptr[r + 1];
        for (int64_t k = b + 1; k < en; k++)
            if (m->indices[k] < m->indices[k - 1]) {
                if (sort_row_iv(m->indices + b, m->data + b, en - b, e)) {
                    csr_free(m);
                    return AR_EDATA;
                }
                break;
            }
    }
    return AR_OK;
}

static int check_format(npz_file *z, const char *path, ar_err *e)
{
    ar_array *f = member(z, path, "format", e);
    if (!f) return AR_EDATA;
    char s[8] = {0};
    if (f->dtype == AR_STR && ar_array_numel(f) == 1) {
        const unsigned char *p = f->data;
        for (size_t k = 0; k < f->itemsize / 4 && k < sizeof s - 1; k++) {
            uint32_t c = (uint32_t)p[4 * k] | (uint32_t)p[4 * k + 1] << 8 | (uint32_t)p[4 * k + 2] << 16 |
                         (uint32_t)p[4 * k + 3] << 24;
            if (c == 0) break;
            s[k] = c < 128 ? (char)c : '?';
        }
    } else if (f->dtype == AR_U8 && ar_array_numel(f) <= 7) {
        memcpy(s, f->data, (size_t)ar_array_numel(f));
    }
    if (strcmp(s, "csr") != 0)
        return ar_fail(e, AR_EDATA, "%s: member \"format\" is \"%s\", expected \"csr\"", path, s);
    return AR_OK;
}

int csr_load_npz(const char *path, csr *m, ar_err *e)
{
    memset(m, 0, sizeof *m);
    npz_file z;
    memset(&z, 0, sizeof z);
    int rc = npz_read(path, &z, e);
    if (rc) return rc;
    rc = check_format(&z, path, e);
    if (!rc) rc = csr_from_members(&z, path, &STD_NAMES, m, e);
    npz_free(&z);
    return rc;
}

/* ------------------------------------------------------------------ graph */

void graph_free(graph *g)
{
    if (!g) return;
    csr_free(&g->adj);
    csr_free(&g->mean);
    g->n_users = g->n_items = 0;
}

/* pairs is (n, 2) int32 (user, item). */
int graph_build(graph *g, const int32_t *pairs, int64_t n, int64_t n_users, int64_t n_items, ar_err *e)
{
    memset(g, 0, sizeof *g);
    if (n_users < 0 || n_items < 0 || n_users + n_items > CSR_MAX_DIM)
        return ar_fail(e, AR_EUSAGE, "graph_build: bad counts (%lld users, %lld items)", (long long)n_users,
                       (long long)n_items);
    if (n <= 0) return ar_fail(e, AR_EDATA, "empty training set (0 pairs)");
    for (int64_t k = 0; k < n; k++) {
        if (pairs[2 * k] < 0 || pairs[2 * k] >= n_users)
            return ar_fail(e, AR_EDATA, "row %lld: user %d out of range [0, %lld)", (long long)k, pairs[2 * k],
                           (long long)n_users);
        if (pairs[2 * k + 1] < 0 || pairs[2 * k + 1] >= n_items)
            return ar_fail(e, AR_EDATA, "row %lld: item %d out of range [0, %lld)", (long long)k, pairs[2 * k + 1],
                           (long long)n_items);
    }
    csr R;
    int rc = csr_from_pairs(&R, pairs, n, n_users, n_items, e);
    if (rc) return rc;
    g->n_users = n_users;
    g->n_items = n_items;
    rc = csr_norm_adj(&R, &g->adj, e);
    if (!rc) rc = csr_row_mean(&R, &g->mean, e);
    csr_free(&R);
    if (rc) graph_free(g);
    return rc;
}

int graph_save(const char *path, const graph *g, int compress, ar_err *e)
{
    members mb = {0};
    int rc = members_csr(&mb, &g->adj, &STD_NAMES, e);
    if (!rc) rc = members_format(&mb, e);
    if (!rc) rc = members_csr(&mb, &g->mean, &MEAN_NAMES, e);
    if (!rc) {
        members_add(&mb, "n_users", AR_I64, 0, 0, 0, (void *)&g->n_users, 0);
        members_add(&mb, "n_items", AR_I64, 0, 0, 0, (void *)&g->n_items, 0);
        rc = npz_write(path, mb.n, mb.names, mb.arr, compress, e);
    }
    members_free(&mb);
    return rc;
}

static int scalar_member(npz_file *z, const char *path, const char *name, int64_t *v, ar_err *e)
{
    ar_array *a = member(z, path, name, e);
    if (!a) return AR_EDATA;
    if (!is_int(a) || ar_array_numel(a) != 1 || a->ndim > 1)
        return ar_fail(e, AR_EDATA, "%s: member \"%s\": expected one integer, got %s with %lld elements", path, name,
                       ar_dtype_name(a->dtype), (long long)ar_array_numel(a));
    *v = int_at(a, 0);
    if (*v < 0) return ar_fail(e, AR_EDATA, "%s: member \"%s\" is negative (%lld)", path, name, (long long)*v);
    return AR_OK;
}

int graph_load(const char *path, graph *g, ar_err *e)
{
    memset(g, 0, sizeof *g);
    npz_file z;
    memset(&z, 0, sizeof z);
    int rc = npz_read(path, &z, e);
    if (rc) return rc;
    int64_t U = 0, I = 0;
    rc = scalar_member(&z, path, "n_users", &U, e);
    if (!rc) rc = scalar_member(&z, path, "n_items", &I, e);
    if (!rc) rc = check_format(&z, path, e);
    if (!rc) rc = csr_from_members(&z, path, &STD_NAMES, &g->adj, e);
    if (!rc) rc = csr_from_members(&z, path, &MEAN_NAMES, &g->mean, e);
    npz_free(&z);
    if (!rc && (g->adj.nrows != U + I || g->adj.ncols != U + I))
        rc = ar_fail(e, AR_EDATA, "%s: member \"shape\" is (%lld, %lld), expected (%lld, %lld) = n_users + n_items",
                     path, (long long)g->adj.nrows, (long long)g->adj.ncols, (long long)(U + I),
                     (long long)(U + I));
    if (!rc && (g->mean.nrows != U || g->mean.ncols != I))
        rc = ar_fail(e, AR_EDATA, "%s: member \"mean_shape\" is (%lld, %lld), expected (%lld, %lld)", path,
                     (long long)g->mean.nrows, (long long)g->mean.ncols, (long long)U, (long long)I);
    if (rc) {
        graph_free(g);
        return rc;
    }
    g->n_users = U;
    g->n_items = I;
    return AR_OK;
}
