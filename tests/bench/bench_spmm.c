/* bench_spmm: speed of the training hot loop on a graph of Amazon Beauty size.
 * A random bipartite graph (22363 users, 12101 items, 150k pairs) is normalised as
 * ar-graph does; then csr_spmm (Y = A X, X is (N, 64)) and csr_propagate (L = 3) are
 * timed against their naive references with 1 and 2 threads.
 * Prints wall ms per call, GB/s (bytes the kernel must touch at least), GFLOP/s, and
 * the process CPU ms per call (on a busy machine, cpu ms of the 1-thread runs is the
 * better measure of the kernel itself; with 2 threads it includes barrier spinning).
 * Usage: bench_spmm [d] [seconds per measurement] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "csr.h"

static uint64_t s_state = 0x9E3779B97F4A7C15ULL;
static uint64_t next_u64(void)
{
    uint64_t z = (s_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

typedef struct bench_ctx {
    const csr *A;
    const float *E;
    float *Y, *t1, *t2;
    int64_t d;
    int which; /* 0 spmm naive, 1 spmm, 2 propagate naive, 3 propagate */
} bench_ctx;

static void run_once(const bench_ctx *c)
{
    switch (c->which) {
    case 0: csr_spmm_naive(c->A, c->E, c->d, c->Y); break;
    case 1: csr_spmm(c->A, c->E, c->d, c->Y); break;
    case 2: csr_propagate_naive(c->A, c->E, c->d, 3, c->Y, c->t1, c->t2); break;
    default: csr_propagate(c->A, c->E, c->d, 3, c->Y, c->t1, c->t2); break;
    }
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Repeat until secs have passed; mean wall ms per call, and CPU ms per call in *cpu_ms. */
static double time_ms(const bench_ctx *c, double secs, double *cpu_ms)
{
    run_once(c); /* warm-up */
    int reps = 0;
    double t0 = ar_now(), c0 = cpu_now(), t;
    do {
        run_once(c);
        reps++;
        t = ar_now() - t0;
    } while (t < secs);
    *cpu_ms = 1e3 * (cpu_now() - c0) / reps;
    return 1e3 * t / reps;
}

int main(int argc, char **argv)
{
    const int64_t U = 22363, I = 12101, npairs = 150000;
    int64_t d = argc > 1 ? strtoll(argv[1], NULL, 10) : 64;
    double secs = argc > 2 ? strtod(argv[2], NULL) : 0.5;
    if (d <= 0 || d > 4096 || !(secs > 0)) {
        fprintf(stderr, "usage: bench_spmm [d (1..4096)] [seconds > 0]\n");
        return 2;
    }
    int32_t *pairs = malloc((size_t)npairs * 2 * sizeof *pairs);
    if (!pairs) return 1;
    for (int64_t k = 0; k < npairs; k++) {
        pairs[2 * k] = (int32_t)(next_u64() % (uint64_t)U);
        /* mildly skewed item popularity, like real data */
        uint64_t a = next_u64() % (uint64_t)I, b = next_u64() % (uint64_t)I;
        pairs[2 * k + 1] = (int32_t)(a < b ? a : b);
    }
    graph g;
    ar_err e = {0};
    double tb = ar_now();
    if (graph_build(&g, pairs, npairs, U, I, &e)) {
        fprintf(stderr, "bench_spmm: %s\n", e.msg);
        return 1;
    }
    tb = ar_now() - tb;
    const csr *A = &g.adj;
    const int64_t N = A->nrows, nnz = A->nnz;
    float *E = malloc((size_t)(N * d) * sizeof *E), *Y = malloc((size_t)(N * d) * sizeof *Y);
    float *t1 = malloc((size_t)(N * d) * sizeof *t1), *t2 = malloc((size_t)(N * d) * sizeof *t2);
    if (!E || !Y || !t1 || !t2) return 1;
    for (int64_t k = 0; k < N * d; k++) E[k] = (float)((double)(next_u64() >> 11) / 9007199254740992.0 - 0.5);

    printf("graph: %lld nodes, %lld nonzeros (%lld distinct pairs), built in %.1f ms; d = %lld\n", (long long)N,
           (long long)nnz, (long long)(nnz / 2), 1e3 * tb, (long long)d);
    /* Minimum traffic of one SpMM: A (indices+data+indptr), one gathered X row per
     * nonzero, one Y row written per row. Propagate L=3: 3 SpMMs, F read+written
     * twice and written once, two scratch rows written. */
    const double spmm_bytes = (double)nnz * 8 + (double)(N + 1) * 8 + (double)nnz * d * 4 + (double)N * d * 4;
    const double spmm_flops = 2.0 * nnz * d;
    const double prop_bytes = 3 * spmm_bytes + (double)N * d * 4 * 3;
    const double prop_flops = 3 * spmm_flops + 2.0 * N * d * 3;
    printf("%-28s %8s %10s %8s %9s %10s\n", "kernel", "threads", "ms/call", "GB/s", "GFLOP/s", "cpu ms");
    const char *names[] = {"csr_spmm_naive", "csr_spmm", "csr_propagate_naive (L=3)", "csr_propagate (L=3)"};
    double base[2] = {0, 0};
    for (int which = 0; which < 4; which++)
        for (int th = 1; th <= 2; th++) {
            if ((which == 0 || which == 2) && th == 2) continue; /* naive references are serial */
#ifdef _OPENMP
            omp_set_num_threads(th);
#endif
            bench_ctx c = {A, E, Y, t1, t2, d, which};
            double cpu_ms;
            double ms = time_ms(&c, secs, &cpu_ms);
            int prop = which >= 2;
            double by = prop ? prop_bytes : spmm_bytes, fl = prop ? prop_flops : spmm_flops;
            if (which == 0 || which == 2) base[prop] = ms;
            printf("%-28s %8d %10.3f %8.2f %9.2f %10.3f   (x%.1f vs naive)\n", names[which], th, ms, by / ms / 1e6,
                   fl / ms / 1e6, cpu_ms, base[prop] / ms);
        }
    free(E);
    free(Y);
    free(t1);
    free(t2);
    free(pairs);
    graph_free(&g);
    return 0;
}
