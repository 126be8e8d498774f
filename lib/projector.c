/* projector.c - AlphaRec's language projector (spec.md 2.5): forward, backward, init.
 *
 * Legend: U users, I items, N = U + I, D text dim, H hidden, d output dim.
 * Z is (I, D), P is (U, I) (row means), Pt is (I, U).
 * All dense products go through cblas_sgemm (called outside OpenMP regions); the
 * sparse products are csr_spmm / csr_spmm_add; the elementwise parts are OpenMP
 * loops with static schedules, so results are deterministic for a given thread count.
 *
 * Memory (mlp): two (N, H) float buffers, act (cache of the last forward) and dact
 * (backward scratch), and per-thread partial sums of the small gradients. The pre-activations are not kept: LeakyReLU with a positive
 * slope preserves sign, so leaky'(pre) = (act > 0 ? 1 : 0.01) exactly (pre == 0
 * gives act == 0 and slope 0.01, as torch's LeakyReLU backward does), and
 * p->pre is NULL. The first layer is computed in place in act: item rows first
 * (one sgemm), then user rows as P times the item rows, then the activation.
 * Linear: no (N, H) buffers; dact is an (I, d) scratch.
 */
#include "projector.h"

#include "gemm.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define LEAKY 0.01f

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* Floats per thread of the mlp backward's partials: gW2 (H, d) rounded up to an even
 * count (*wf, so the doubles that follow stay aligned), then gb1 (H) and gb2 (d) as
 * doubles. */
static size_t part_floats(int64_t H, int64_t d, size_t *wf)
{
    *wf = ((size_t)(H * d) + 1) & ~(size_t)1;
    return *wf + 2 * (size_t)(H + d);
}

int projector_init(projector *p, int kind, const float *Z, int64_t I, int64_t D, int64_t H, int64_t d,
                   const csr *P, ar_err *e)
{
    memset(p, 0, sizeof *p);
    if (kind != PROJ_MLP && kind != PROJ_LINEAR)
        return ar_fail(e, AR_EUSAGE, "projector: unknown kind %d", kind);
    if (!Z || !P || I <= 0 || D <= 0 || d <= 0 || (kind == PROJ_MLP && H <= 0))
        return ar_fail(e, AR_EUSAGE, "projector: bad shape (I %lld, D %lld, H %lld, d %lld)", (long long)I,
                       (long long)D, (long long)H, (long long)d);
    if (P->ncols != I || P->nrows < 0)
        return ar_fail(e, AR_EDATA, "projector: user mean operator is (%lld, %lld), expected (U, %lld)",
                       (long long)P->nrows, (long long)P->ncols, (long long)I);
    /* cblas takes int dimensions */
    int64_t big = max64(max64(P->nrows + I, D), kind == PROJ_MLP ? H : d);
    if (big > INT32_MAX || (P->nrows + I) * max64(H, d) > (int64_t)1 << 40)
        return ar_fail(e, AR_EUSAGE, "projector: shapes too large");
    p->kind = kind;
    p->U = P->nrows;
    p->I = I;
    p->D = D;
    p->H = kind == PROJ_MLP ? H : 0;
    p->d = d;
    p->Z = Z;
    p->P = P;
    int64_t N = p->U + I;
    if (kind == PROJ_MLP) {
        p->n_tensors = 4;
        const char *nm[4] = {"W1", "b1", "W2", "b2"};
        int64_t sh[4][2] = {{D, H}, {H, 0}, {H, d}, {d, 0}};
        int64_t off = 0;
        for (int k = 0; k < 4; k++) {
            p->names[k] = nm[k];
            p->shapes[k][0] = sh[k][0];
            p->shapes[k][1] = sh[k][1];
            p->offsets[k] = off;
            off += sh[k][0] * (sh[k][1] ? sh[k][1] : 1);
        }
        p->n_params = off;
    } else {
        p->n_tensors = 2;
        p->names[0] = "W";
        p->names[1] = "b";
        p->shapes[0][0] = D;
        p->shapes[0][1] = d;
        p->shapes[1][0] = d;
        p->offsets[0] = 0;
        p->offsets[1] = D * d;
        p->n_params = D * d + d;
    }
    if (csr_transpose(P, &p->Pt, e) != AR_OK) {
        ar_wrap(e, "projector: transposing the user mean operator");
        memset(p, 0, sizeof *p);
        return e ? e->code : AR_EDATA;
    }
    if (kind == PROJ_MLP) {
        size_t wf;
        p->part_nt = omp_get_max_threads();
        p->act = ar_malloc((size_t)N * (size_t)H * sizeof(float), e);
        p->part = p->act ? ar_malloc((size_t)p->part_nt * part_floats(H, d, &wf) * sizeof(float), e) : NULL;
        p->dact = p->part ? ar_malloc((size_t)N * (size_t)H * sizeof(float), e) : NULL;
    } else {
        p->dact = ar_malloc((size_t)I * (size_t)d * sizeof(float), e);
    }
    if (!p->dact) {
        ar_wrap(e, "projector: caches");
        projector_free(p);
        return AR_EDATA;
    }
    return AR_OK;
}

void projector_free(projector *p)
{
    if (!p) return;
    csr_free(&p->Pt);
    free(p->pre);
    free(p->act);
    free(p->dact);
    free(p->part);
    p->pre = p->act = p->dact = p->part = NULL;
}

void projector_reset(const projector *p, float *params, rng *r)
{
    /* tensors in storage order W1, b1, W2, b2 (or W, b); each element in order */
    for (int k = 0; k < p->n_tensors; k++) {
        /* fan_in: rows of the layer's weight (its input dim) */
        int64_t fan_in = p->shapes[k & ~1][0];
        double a = 1.0 / sqrt((double)fan_in);
        int64_t n = p->shapes[k][0] * (p->shapes[k][1] ? p->shapes[k][1] : 1);
        float *x = params + p->offsets[k];
        for (int64_t j = 0; j < n; j++) x[j] = (float)((2.0 * rng_double(r) - 1.0) * a);
    }
}

/* Y (n, k) rows = broadcast b (k). */
static void fill_rows(float *Y, int64_t n, int64_t k, const float *b)
{
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) memcpy(Y + i * k, b, (size_t)k * sizeof(float));
}

/* Y (n, k) rows += b (k). */
static void add_rows(float *Y, int64_t n, int64_t k, const float *b)
{
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float *restrict y = Y + i * k;
#pragma omp simd
        for (int64_t c = 0; c < k; c++) y[c] += b[c];
    }
}

/* acc (k) += column sums of X (n, k), double accumulation; threaded over column
 * blocks (each column summed by one thread in row order: deterministic). */
static void colsum_add(const float *X, int64_t n, int64_t k, float *acc)
{
    enum { CB = 64 };
    int64_t nb = (k + CB - 1) / CB;
#pragma omp parallel for schedule(static)
    for (int64_t blk = 0; blk < nb; blk++) {
        double s[CB] = {0};
        int64_t c0 = blk * CB, c1 = c0 + CB < k ? c0 + CB : k;
        for (int64_t i = 0; i < n; i++) {
            const float *x = X + i * k;
#pragma omp simd
            for (int64_t c = c0; c < c1; c++) s[c - c0] += x[c];
        }
        for (int64_t c = c0; c < c1; c++) acc[c] += (float)s[c - c0];
    }
}

/* Rows per block of the fused loops: about 64 Ki floats of an (rows, H) block. */
static int64_t block_rows(int64_t H)
{
    int64_t r = 65536 / (H > 0 ? H : 1);
    return r < 16 ? 16 : r > 512 ? 512 : r;
}

/* The mlp after its first product: A (n, H) holds x W1 per row; in row blocks (one
 * thread each, the block stays in cache) act = LeakyReLU(A + b1) in place
 * (max(x, 0.01 x) == LeakyReLU(x)), then Y_blk (rb, d) = act_blk (rb, H) W2 (H, d) + b2. */
static void act_layer2(float *A, int64_t n, int64_t H, int64_t d, const float *b1, const float *W2,
                       const float *b2, float *Y)
{
    const int64_t rb = block_rows(H), nblk = (n + rb - 1) / rb;
#pragma omp parallel for schedule(static)
    for (int64_t blk = 0; blk < nblk; blk++) {
        int64_t r0 = blk * rb, r1 = r0 + rb < n ? r0 + rb : n;
        for (int64_t r = r0; r < r1; r++) {
            float *restrict a = A + r * H;
#pragma omp simd
            for (int64_t c = 0; c < H; c++) {
                float x = a[c] + b1[c], y = LEAKY * x;
                a[c] = x > y ? x : y;
            }
            memcpy(Y + r * d, b2, (size_t)d * sizeof(float));
        }
        gemm_f32(0, 0, r1 - r0, d, H, 1.0f, A + r0 * H, H, W2, d, 1.0f, Y + r0 * d, d);
    }
}

/* G (n, k) *= leaky'(pre) in place, with the sign of pre read from A (n, k) = act;
 * s (k) += column sums of the result (double). */
static void dpre_rows(const float *A, float *G, int64_t n, int64_t k, double *s)
{
    const float one = 1.0f, leaky = LEAKY;
    uint32_t one_bits, leaky_bits;
    memcpy(&one_bits, &one, sizeof one_bits);
    memcpy(&leaky_bits, &leaky, sizeof leaky_bits);
    for (int64_t i = 0; i < n; i++) {
        const float *restrict a = A + i * k;
        float *restrict g = G + i * k;
#pragma omp simd
        for (int64_t c = 0; c < k; c++) {
            /* slope = a[c] > 0 ? 1 : LEAKY, selected on the bits (a float is > 0 iff
             * its int32 bits are > 0, NaNs aside) so the loop vectorises without
             * branches under the default -ftrapping-math */
            int32_t ia;
            memcpy(&ia, a + c, sizeof ia);
            uint32_t m = 0u - (uint32_t)(ia > 0);
            uint32_t sb = (m & one_bits) | (~m & leaky_bits);
            float slope;
            memcpy(&slope, &sb, sizeof slope);
            g[c] *= slope;
        }
#pragma omp simd
        for (int64_t c = 0; c < k; c++) s[c] += g[c];
    }
}

void projector_forward(projector *p, const float *params, float *E)
{
    const int64_t U = p->U, I = p->I, D = p->D, H = p->H, d = p->d, N = U + I;
    if (p->kind == PROJ_LINEAR) {
        const float *W = params + p->offsets[0], *b = params + p->offsets[1];
        float *EI = E + U * d;
        /* EI (I, d) = Z (I, D) W (D, d); EU (U, d) = P (U, I) EI; then + b on every
         * row (P's rows sum to 1 or are empty: P (Z W + b) = (P Z) W + b) */
        gemm_f32(0, 0, (int)I, (int)d, (int)D, 1.0f, p->Z, (int)D, W,
                    (int)d, 0.0f, EI, (int)d);
        csr_spmm(p->P, EI, d, E);
        add_rows(E, N, d, b);
        return;
    }
    const float *W1 = params + p->offsets[0], *b1 = params + p->offsets[1];
    const float *W2 = params + p->offsets[2], *b2 = params + p->offsets[3];
    float *A = p->act, *AI = p->act + U * H;
    /* item rows: Z (I, D) W1 (D, H), bias added below */
    gemm_f32(0, 0, (int)I, (int)H, (int)D, 1.0f, p->Z, (int)D, W1,
                (int)H, 0.0f, AI, (int)H);
    /* user rows: P (U, I) (Z W1) (I, H); since P's rows sum to 1 (or are empty,
     * z_u = 0), adding b1 to every row below gives P (Z W1 + b1) = W1 z_u + b1 */
    csr_spmm(p->P, AI, H, A);
    /* act (N, H) = LeakyReLU(pre + b1); E (N, d) = act W2 + b2 */
    act_layer2(A, N, H, d, b1, W2, b2, E);
}

void projector_backward(projector *p, const float *params, const float *dE, float *grad)
{
    const int64_t U = p->U, I = p->I, D = p->D, H = p->H, d = p->d, N = U + I;
    if (p->kind == PROJ_LINEAR) {
        float *gW = grad + p->offsets[0], *gb = grad + p->offsets[1];
        /* gb += colsum dE over all N rows; T (I, d) = dE_I + Pt (I, U) dE_U (U, d) */
        colsum_add(dE, N, d, gb);
        float *T = p->dact;
        memcpy(T, dE + U * d, (size_t)(I * d) * sizeof(float));
        csr_spmm_add(&p->Pt, dE, d, 1.0f, T);
        /* gW (D, d) += Z^T (D, I) T (I, d) */
        gemm_f32(1, 0, (int)D, (int)d, (int)I, 1.0f, p->Z, (int)D, T,
                    (int)d, 1.0f, gW, (int)d);
        return;
    }
    const float *W2 = params + p->offsets[2];
    float *gW1 = grad + p->offsets[0], *gb1 = grad + p->offsets[1];
    float *gW2 = grad + p->offsets[2], *gb2 = grad + p->offsets[3];
    const float *A = p->act;
    float *G = p->dact;
    /* One pass over the N rows in blocks (the block's act and dact stay in cache):
     *   gb2 (d) += colsum dE_blk; gW2 (H, d) += act_blk^T (H, rb) dE_blk (rb, d);
     *   dact_blk (rb, H) = dE_blk (rb, d) W2^T (d, H); dpre = dact * leaky'(pre) in
     *   place, leaky'(pre) read from sign(act) (the same sign); gb1 += colsum dpre
     *   (over all N rows: each user's b1 enters its pre-activation once, whether or
     *   not its row of P is empty).
     * Each thread accumulates its own gW2, gb1, gb2 partials (p->part, allocated with
     * the projector) over its static share of blocks; the partials are added in thread
     * order (deterministic for a thread count). */
    const int64_t rb = block_rows(H), nblk = (N + rb - 1) / rb;
    int nt = omp_get_max_threads() < p->part_nt ? omp_get_max_threads() : p->part_nt;
    size_t wf, per = part_floats(H, d, &wf);
    float *part = p->part;
    memset(part, 0, (size_t)nt * per * sizeof(float));
#pragma omp parallel num_threads(nt)
    {
        float *pW2 = part + (size_t)omp_get_thread_num() * per;
        double *s1 = (double *)(pW2 + wf), *s2 = s1 + H;
#pragma omp for schedule(static)
        for (int64_t blk = 0; blk < nblk; blk++) {
            int64_t r0 = blk * rb, r1 = r0 + rb < N ? r0 + rb : N, m = r1 - r0;
            for (int64_t n = r0; n < r1; n++) {
                const float *restrict de = dE + n * d;
#pragma omp simd
                for (int64_t c = 0; c < d; c++) s2[c] += de[c];
            }
            gemm_f32(1, 0, H, d, m, 1.0f, A + r0 * H, H, dE + r0 * d, d, 1.0f, pW2, d);
            gemm_f32(0, 1, m, H, d, 1.0f, dE + r0 * d, d, W2, d, 0.0f, G + r0 * H, H);
            dpre_rows(A + r0 * H, G + r0 * H, m, H, s1);
        }
    }
    for (int t = 0; t < nt; t++) {
        const float *pW2 = part + (size_t)t * per;
        const double *s1 = (const double *)(pW2 + wf), *s2 = s1 + H;
        for (int64_t x = 0; x < H * d; x++) gW2[x] += pW2[x];
        for (int64_t c = 0; c < H; c++) gb1[c] += (float)s1[c];
        for (int64_t c = 0; c < d; c++) gb2[c] += (float)s2[c];
    }
    /* users folded into items: dpre_I (I, H) += Pt (I, U) dpre_U (U, H) */
    float *GI = G + U * H;
    csr_spmm_add(&p->Pt, G, H, 1.0f, GI);
    /* gW1 (D, H) += Z^T (D, I) dpre_I (I, H) */
    gemm_f32(1, 0, (int)D, (int)H, (int)I, 1.0f, p->Z, (int)D, GI, (int)H,
                1.0f, gW1, (int)H);
}

static int zero_row(const float *x, int64_t D)
{
    for (int64_t j = 0; j < D; j++)
        if (x[j] != 0.0f) return 0;
    return 1;
}

void projector_apply(int kind, int64_t D, int64_t H, int64_t d, const float *params, const float *X, int64_t n,
                     float *Y, float *scratch)
{
    if (n <= 0) return;
    if (kind == PROJ_LINEAR) {
        /* Y (n, d) = X (n, D) W (D, d) + b */
        const float *W = params, *b = params + D * d;
        fill_rows(Y, n, d, b);
        gemm_f32(0, 0, (int)n, (int)d, (int)D, 1.0f, X, (int)D, W, (int)d,
                    1.0f, Y, (int)d);
    } else {
        /* scratch (n, H) = X W1; Y (n, d) = LeakyReLU(scratch + b1) W2 + b2 */
        const float *W1 = params, *b1 = W1 + D * H, *W2 = b1 + H, *b2 = W2 + H * d;
        gemm_f32(0, 0, n, H, D, 1.0f, X, D, W1, H, 0.0f, scratch, H);
        act_layer2(scratch, n, H, d, b1, W2, b2, Y);
    }
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < n; r++)
        if (zero_row(X + r * D, D)) memset(Y + r * d, 0, (size_t)d * sizeof(float));
}

static void affine(const float *W, const float *b, const double *z, int64_t k, int64_t m, double *y);

void projector_apply_naive(int kind, int64_t D, int64_t H, int64_t d, const float *params, const float *X,
                           int64_t n, float *Y)
{
    double *z = malloc((size_t)(D + 2 * H + d + 1) * sizeof(double));
    if (!z) return; /* oracle: test-only */
    double *h = z + D, *a = h + H, *y = a + H;
    for (int64_t r = 0; r < n; r++) {
        const float *x = X + r * D;
        for (int64_t j = 0; j < D; j++) z[j] = x[j];
        if (kind == PROJ_LINEAR) {
            affine(params, params + D * d, z, D, d, y);
        } else {
            affine(params, params + D * H, z, D, H, h);
            for (int64_t k = 0; k < H; k++) a[k] = h[k] > 0 ? h[k] : 0.01 * h[k];
            affine(params + D * H + H, params + D * H + H + H * d, a, H, d, y);
        }
        int zero = zero_row(x, D);
        for (int64_t c = 0; c < d; c++) Y[r * d + c] = zero ? 0.0f : (float)y[c];
    }
    free(z);
}

/* ---- naive references: z_u formed explicitly, every node projected directly ---- */

/* z (D) = text vector of node n: P row mean of Z for users (zero if empty), Z row for items. */
static void node_text(const projector *p, int64_t n, double *z)
{
    const int64_t D = p->D;
    if (n >= p->U) {
        const float *zi = p->Z + (n - p->U) * D;
        for (int64_t j = 0; j < D; j++) z[j] = zi[j];
        return;
    }
    for (int64_t j = 0; j < D; j++) z[j] = 0.0;
    for (int64_t t = p->P->indptr[n]; t < p->P->indptr[n + 1]; t++) {
        const float *zi = p->Z + (int64_t)p->P->indices[t] * D;
        double w = p->P->data[t];
        for (int64_t j = 0; j < D; j++) z[j] += w * zi[j];
    }
}

/* y (m) = W^T z + b with W (k, m), z (k), b (m); double accumulation. */
static void affine(const float *W, const float *b, const double *z, int64_t k, int64_t m, double *y)
{
    for (int64_t c = 0; c < m; c++) y[c] = b[c];
    for (int64_t j = 0; j < k; j++)
        for (int64_t c = 0; c < m; c++) y[c] += z[j] * W[j * m + c];
}

void projector_forward_naive(const projector *p, const float *params, float *E)
{
    const int64_t N = p->U + p->I, D = p->D, H = p->H, d = p->d;
    double *z = malloc((size_t)(D + 2 * H + d) * sizeof(double));
    if (!z) return; /* oracle: test-only */
    double *h = z + D, *a = h + H, *y = a + H;
    for (int64_t n = 0; n < N; n++) {
        node_text(p, n, z);
        if (p->kind == PROJ_LINEAR) {
            affine(params + p->offsets[0], params + p->offsets[1], z, D, d, y);
        } else {
            affine(params + p->offsets[0], params + p->offsets[1], z, D, H, h);
            for (int64_t k = 0; k < H; k++) a[k] = h[k] > 0 ? h[k] : 0.01 * h[k];
            affine(params + p->offsets[2], params + p->offsets[3], a, H, d, y);
        }
        for (int64_t c = 0; c < d; c++) E[n * d + c] = (float)y[c];
    }
    free(z);
}

void projector_backward_naive(const projector *p, const float *params, const float *dE, float *grad)
{
    const int64_t N = p->U + p->I, D = p->D, H = p->H, d = p->d;
    double *g = calloc((size_t)p->n_params, sizeof(double));
    double *z = malloc((size_t)(D + 3 * H) * sizeof(double));
    if (!g || !z) {
        free(g);
        free(z);
        return;
    }
    double *h = z + D, *a = h + H, *da = a + H;
    for (int64_t n = 0; n < N; n++) {
        node_text(p, n, z);
        const float *de = dE + n * d;
        if (p->kind == PROJ_LINEAR) {
            double *gW = g + p->offsets[0], *gb = g + p->offsets[1];
            for (int64_t c = 0; c < d; c++) gb[c] += de[c];
            for (int64_t j = 0; j < D; j++)
                for (int64_t c = 0; c < d; c++) gW[j * d + c] += z[j] * de[c];
            continue;
        }
        const float *W2 = params + p->offsets[2];
        double *gW1 = g + p->offsets[0], *gb1 = g + p->offsets[1];
        double *gW2 = g + p->offsets[2], *gb2 = g + p->offsets[3];
        affine(params + p->offsets[0], params + p->offsets[1], z, D, H, h);
        for (int64_t k = 0; k < H; k++) a[k] = h[k] > 0 ? h[k] : 0.01 * h[k];
        for (int64_t c = 0; c < d; c++) gb2[c] += de[c];
        for (int64_t k = 0; k < H; k++) {
            double s = 0;
            for (int64_t c = 0; c < d; c++) {
                gW2[k * d + c] += a[k] * de[c];
                s += (double)W2[k * d + c] * de[c];
            }
            da[k] = s * (h[k] > 0 ? 1.0 : 0.01);
        }
        for (int64_t k = 0; k < H; k++) gb1[k] += da[k];
        for (int64_t j = 0; j < D; j++)
            for (int64_t k = 0; k < H; k++) gW1[j * H + k] += z[j] * da[k];
    }
    for (int64_t j = 0; j < p->n_params; j++) grad[j] += (float)g[j];
    free(g);
    free(z);
}
