/* bench_rank - full-ranking speed at Amazon Beauty size.
 *
 * Random U (22363, 64), V (12101, 64) and a random training mask of ~150k pairs;
 * times rank_topk for K = 20 with dot and cosine scores, and, for comparison, plain
 * cblas_sgemm calls of the same block shape covering all users.
 * Usage: bench_rank [threads [block]]   (threads default: $AR_THREADS, else all cores;
 *        block default: rank_topk's, 24M floats of scores / 12101 items = 2079 users)
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank.h"
#include "rng.h"

enum { NU = 22363, NI = 12101, D = 64, K = 20 };
static int BLOCK = 0; /* 0 = rank_topk's default */

static int sink(void *ctx, int32_t user, const int32_t *items, const float *scores, int n)
{
    (void)scores;
    long *acc = ctx;
    *acc += user + (n > 0 ? items[0] : 0);
    return 0;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int threads = 0;
    const char *env = getenv("AR_THREADS");
    char *end;
    if (argc > 1) threads = (int)strtol(argv[1], &end, 10);
    else if (env) threads = (int)strtol(env, &end, 10);
    threads = ar_threads_init(threads);
    if (argc > 2) BLOCK = (int)strtol(argv[2], &end, 10);

    rng r;
    rng_seed(&r, 2024);
    float *U = malloc(sizeof(float) * NU * D), *V = malloc(sizeof(float) * NI * D);
    for (long x = 0; x < (long)NU * D; x++) U[x] = (float)rng_normal(&r);
    for (long x = 0; x < (long)NI * D; x++) V[x] = (float)rng_normal(&r);
    /* mask: 3..10 distinct items per user (~150k pairs), CSR built directly */
    csr M = {.nrows = NU, .ncols = NI};
    M.indptr = calloc(NU + 1, sizeof *M.indptr);
    M.indices = malloc(sizeof(int32_t) * NU * 10);
    int64_t nnz = 0;
    for (int u = 0; u < NU; u++) {
        int n = 3 + (int)rng_below(&r, 8);
        int32_t *row = M.indices + nnz;
        for (int j = 0; j < n; j++) row[j] = (int32_t)rng_below(&r, NI);
        qsort(row, (size_t)n, sizeof *row, cmp_i32);
        int m = 0;
        for (int j = 0; j < n; j++)
            if (m == 0 || row[j] != row[m - 1]) row[m++] = row[j];
        nnz += m;
        M.indptr[u + 1] = nnz;
    }
    M.nnz = nnz;
    const csr *masks[1] = {&M};
    double gflop = 2.0 * NU * (double)NI * D * 1e-9;
    if (BLOCK == 0) BLOCK = (24 << 20) / NI; /* what rank_topk picks by default */
    printf("bench_rank: U (%d, %d), V (%d, %d), mask %lld pairs, K %d, %d threads, block %d\n", NU, D, NI, D,
           (long long)nnz, K, threads, BLOCK);

    for (int cosine = 0; cosine < 2; cosine++) {
        rank_opts o = {.k = K, .cosine = cosine, .block = BLOCK};
        ar_err e = {0};
        long acc = 0;
        double best = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = ar_now();
            if (rank_topk(U, NU, V, NI, D, NULL, 0, masks, 1, &o, sink, &acc, &e)) {
                fprintf(stderr, "bench_rank: %s\n", e.msg);
                return 1;
            }
            double t = ar_now() - t0;
            if (t < best) best = t;
        }
        printf("rank_topk %-6s K=%d: %.3f s  (%.1f GFLOP/s of sgemm work over the whole call; checksum %ld)\n",
               cosine ? "cosine" : "dot", K, best, gflop / best, acc);
    }

    /* the sgemm alone, same block shape, covering all users */
    float *S = malloc(sizeof(float) * BLOCK * NI);
    double best = 1e30;
    openblas_set_num_threads(threads); /* plain OpenBLAS with its own threads (gemm_f32 runs it single-threaded) */
    for (int rep = 0; rep < 3; rep++) {
        double t0 = ar_now();
        for (int q0 = 0; q0 < NU; q0 += BLOCK) {
            int nb = NU - q0 < BLOCK ? NU - q0 : BLOCK;
            /* S (nb, NI) = U[q0:q0+nb] (nb, D) * V^T (D, NI) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, NI, D, 1.0f, U + (long)q0 * D, D, V, D, 0.0f,
                        S, NI);
        }
        double t = ar_now() - t0;
        if (t < best) best = t;
    }
    openblas_set_num_threads(1);
    printf("cblas_sgemm (%d x %d x %d blocks) alone: %.3f s  (%.1f GFLOP/s)\n", BLOCK, NI, D, best, gflop / best);
    printf("peak RSS %.1f MiB\n", (double)ar_peak_rss() / (1 << 20));
    free(S);
    free(U);
    free(V);
    free(M.indptr);
    free(M.indices);
    return 0;
}
