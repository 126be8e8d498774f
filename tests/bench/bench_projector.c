/* bench_projector - speed and memory of the AlphaRec projector at Beauty size.
 *
 * Usage: bench_projector [small|384|512|4096|all] [threads]
 *   small (default) = D 384 and 512 with H = D/2; 4096 = D 4096 with H 1152 (official)
 *   and H 2048 (RecBoard), slow; threads default all cores.
 * Prints, per case, seconds per forward+backward (best of several), the GFLOP/s of the projector's five
 * sgemm calls (2 m n k each) over the whole step, the same five sgemm calls timed
 * alone, their ratio (target >= 0.70), and the peak RSS so far. Not a test.
 */
#include <cblas.h>
#undef I
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "projector.h"
#include "rng.h"

#define BU 22363
#define BI 12101

static void make_P(csr *P, rng *r)
{
    /* random row-mean operator, degrees 1..12 (about 6.5 avg, ~145k entries) */
    P->nrows = BU;
    P->ncols = BI;
    P->indptr = malloc((BU + 1) * sizeof(int64_t));
    P->indices = malloc((size_t)BU * 12 * sizeof(int32_t));
    P->data = malloc((size_t)BU * 12 * sizeof(float));
    int64_t nnz = 0;
    for (int64_t u = 0; u < BU; u++) {
        P->indptr[u] = nnz;
        int deg = 1 + (int)rng_below(r, 12);
        int32_t it[12];
        int got = 0;
        while (got < deg) {
            int32_t i = (int32_t)rng_below(r, BI);
            int dup = 0;
            for (int k = 0; k < got; k++) dup |= it[k] == i;
            if (!dup) it[got++] = i;
        }
        for (int a = 1; a < got; a++) /* insertion sort */
            for (int b = a; b > 0 && it[b - 1] > it[b]; b--) {
                int32_t t = it[b];
                it[b] = it[b - 1];
                it[b - 1] = t;
            }
        for (int k = 0; k < got; k++) {
            P->indices[nnz] = it[k];
            P->data[nnz++] = 1.0f / (float)got;
        }
    }
    P->indptr[BU] = nnz;
    P->nnz = nnz;
}

static void run_case(int64_t D, int64_t H, const csr *P, rng *r)
{
    const int64_t U = BU, I = BI, N = U + I, d = 64;
    float *Z = malloc((size_t)(I * D) * sizeof(float));
    for (int64_t j = 0; j < I * D; j++) Z[j] = (float)(2.0 * rng_double(r) - 1.0);
    projector p;
    ar_err e = {0};
    if (projector_init(&p, PROJ_MLP, Z, I, D, H, d, P, &e) != AR_OK) {
        fprintf(stderr, "bench_projector: %s\n", e.msg);
        free(Z);
        return;
    }
    float *th = malloc((size_t)p.n_params * sizeof(float));
    float *g = calloc((size_t)p.n_params, sizeof(float));
    float *E = malloc((size_t)(N * d) * sizeof(float)), *dE = malloc((size_t)(N * d) * sizeof(float));
    projector_reset(&p, th, r);
    for (int64_t j = 0; j < N * d; j++) dE[j] = (float)(2.0 * rng_double(r) - 1.0) * 1e-3f;
    /* the machine may be shared: forward, backward and the five sgemm calls alone are
     * timed in alternation and the best of the repetitions is reported */
    int reps = D >= 2048 ? 3 : 7;
    projector_forward(&p, th, E); /* warm up */
    projector_backward(&p, th, dE, g);
    float *W1 = th + p.offsets[0], *W2 = th + p.offsets[2], *gW1 = g + p.offsets[0], *gW2 = g + p.offsets[2];
    double tf = 1e30, tb = 1e30, tp = 1e30, tstep = 1e30;
    int64_t rss = 0;
    for (int k = 0; k < reps; k++) {
        double t0 = ar_now();
        projector_forward(&p, th, E);
        double t1 = ar_now();
        projector_backward(&p, th, dE, g);
        double t2 = ar_now();
        tf = t1 - t0 < tf ? t1 - t0 : tf;
        tb = t2 - t1 < tb ? t2 - t1 : tb;
        tstep = t2 - t0 < tstep ? t2 - t0 : tstep;
        if (k == 0) rss = ar_peak_rss();
        /* the same five sgemm calls alone, same shapes, on the projector's own buffers,
         * with OpenBLAS's own threading (the project runs it single-threaded inside
         * gemm_f32's split; this is the plain-sgemm reference) */
        openblas_set_num_threads(omp_get_max_threads());
        t0 = ar_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)I, (int)H, (int)D, 1.0f, Z, (int)D, W1, (int)H,
                    0.0f, p.act + U * H, (int)H);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, (int)d, (int)H, 1.0f, p.act, (int)H, W2,
                    (int)d, 1.0f, E, (int)d);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)H, (int)d, (int)N, 1.0f, p.act, (int)H, dE, (int)d,
                    1.0f, gW2, (int)d);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, (int)H, (int)d, 1.0f, dE, (int)d, W2, (int)d,
                    0.0f, p.dact, (int)H);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)D, (int)H, (int)I, 1.0f, Z, (int)D,
                    p.dact + U * H, (int)H, 1.0f, gW1, (int)H);
        t1 = ar_now();
        openblas_set_num_threads(1);
        tp = t1 - t0 < tp ? t1 - t0 : tp;
    }
    double fl = 2.0 * I * D * H + 3 * 2.0 * N * H * d + 2.0 * D * I * H;
    double mb = 1.0 / (1 << 20);
    printf("D %5lld H %4lld d %lld  U %d I %d nnz(P) %lld\n", (long long)D, (long long)H, (long long)d, BU, BI,
           (long long)P->nnz);
    printf("  best of %d: forward %.3f s  backward %.3f s  step %.3f s\n", reps, tf, tb, tstep);
    printf("  sgemm work %.1f GFLOP: %.1f GFLOP/s over the whole step; plain sgemm alone %.3f s = %.1f GFLOP/s;"
           " ratio %.2f\n",
           fl * 1e-9, fl * 1e-9 / tstep, tp, fl * 1e-9 / tp, tp / tstep);
    double zb = (double)I * D * 4, cb = 2.0 * N * H * 4, pb = (double)p.n_params * 4;
    printf("  memory: Z %.0f MiB, projector caches (act + dact, 2 x N x H) %.0f MiB, params %.1f MiB"
           " (x4 with grad + Adam m, v = %.0f MiB); peak RSS so far %.0f MiB\n",
           zb * mb, cb * mb, pb * mb, 4 * pb * mb, (double)rss * mb);
    fflush(stdout);
    free(th);
    free(g);
    free(E);
    free(dE);
    projector_free(&p);
    free(Z);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "small";
    long nt = 0;
    if (argc > 2) {
        char *end;
        nt = strtol(argv[2], &end, 10);
        if (*end || nt < 0 || nt > 1024) {
            fprintf(stderr, "bench_projector: bad thread count '%s'\n", argv[2]);
            return 2;
        }
    }
    int small = !strcmp(which, "small") || !strcmp(which, "all");
    int d384 = small || !strcmp(which, "384"), d512 = small || !strcmp(which, "512");
    int d4096 = !strcmp(which, "4096") || !strcmp(which, "all");
    if (!d384 && !d512 && !d4096) {
        fprintf(stderr, "usage: bench_projector [small|384|512|4096|all] [threads]\n");
        return 2;
    }
    int t = ar_threads_init((int)nt);
    printf("bench_projector: %d threads, Beauty size (U %d, I %d), mlp projector, d 64\n", t, BU, BI);
    rng r;
    rng_seed(&r, 2024);
    csr P;
    make_P(&P, &r);
    if (d384) run_case(384, 192, &P, &r);
    if (d512) run_case(512, 256, &P, &r);
    if (d4096) {
        run_case(4096, 1152, &P, &r);
        run_case(4096, 2048, &P, &r);
    }
    csr_free(&P);
    return 0;
}
