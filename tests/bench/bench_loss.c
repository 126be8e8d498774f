/* bench_loss.c - milliseconds per step of the training kernels at Amazon Beauty
 * size (U 22363, I 12101, d 64): InfoNCE (B 2048, K 256), BPR (B 2048, K 1), the
 * batch L2 penalty, row normalisation (forward + backward over all U + I rows),
 * the sampler (B 2048 with K 256 and with K 1) and an Adam step over the ID tables,
 * each with 1 and 2 threads (argument: the largest thread count, default 2).
 * Random inputs; prints one line per thread count. Best of several runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adam.h"
#include "ar.h"
#include "loss.h"
#include "rng.h"
#include "sampler.h"

#define U 22363
#define I 12101
#define D 64
#define B 2048
#define K 256

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best wall-clock ms of reps runs; *cpu gets the smallest process CPU ms of a
 * run (all threads, spin-waits included), the figure to trust on a busy machine
 * with 1 thread. */
static double best_ms(void (*fn)(void *), void *ctx, int reps, double *cpu)
{
    double best = 1e30, bcpu = 1e30;
    fn(ctx); /* warm-up */
    for (int r = 0; r < reps; r++) {
        double c0 = cpu_now(), t0 = ar_now();
        fn(ctx);
        double t = (ar_now() - t0) * 1e3, c = (cpu_now() - c0) * 1e3;
        if (t < best) best = t;
        if (c < bcpu) bcpu = c;
    }
    *cpu = bcpu;
    return best;
}

typedef struct ctx {
    float *Fu, *Fi, *dFu, *dFi, *Y, *nr, *dX, *params, *grad;
    int32_t *users, *pos, *negs;
    sampler s;
    rng r;
    adam a;
    int k;
} ctx;

static void run_infonce(void *v)
{
    ctx *c = v;
    loss_infonce(c->Fu, c->Fi, D, c->users, c->pos, c->negs, K, B, 0.15f, c->dFu, c->dFi);
}
static void run_bpr(void *v)
{
    ctx *c = v;
    loss_bpr(c->Fu, c->Fi, D, c->users, c->pos, c->negs, B, c->dFu, c->dFi);
}
static void run_l2(void *v)
{
    ctx *c = v;
    loss_l2_batch(c->Fu, c->Fi, D, c->users, c->pos, c->negs, c->k, B, 1e-3, c->dFu, c->dFi);
}
static void run_norm(void *v)
{
    ctx *c = v; /* Fu and Fi are contiguous in one (U + I, d) block */
    l2norm_rows(c->Fu, U + I, D, c->Y, c->nr);
    l2norm_rows_backward(c->Y, c->nr, c->dFu, U + I, D, c->dX);
}
static void run_sampler(void *v)
{
    ctx *c = v;
    sampler_batch(&c->s, &c->r, B, c->k, c->users, c->pos, c->negs);
}
static void run_adam(void *v)
{
    ctx *c = v;
    adam_step(&c->a, c->params, c->grad);
}

int main(int argc, char **argv)
{
    int maxth = 2;
    if (argc > 1) {
        char *end;
        long v = strtol(argv[1], &end, 10);
        if (*end || v < 1 || v > 64) {
            fprintf(stderr, "usage: bench_loss [max_threads (1-64, default 2)]\n");
            return 2;
        }
        maxth = (int)v;
    }
    ar_err e = {0};
    ctx c;
    memset(&c, 0, sizeof c);
    rng_seed(&c.r, 1);
    int64_t N = (int64_t)U + I;
    c.Fu = malloc((size_t)(N * D) * sizeof(float));
    c.dFu = calloc((size_t)(N * D), sizeof(float));
    c.Y = malloc((size_t)(N * D) * sizeof(float));
    c.dX = malloc((size_t)(N * D) * sizeof(float));
    c.nr = malloc((size_t)N * sizeof(float));
    c.grad = malloc((size_t)(N * D) * sizeof(float));
    c.params = malloc((size_t)(N * D) * sizeof(float));
    c.users = malloc(B * sizeof(int32_t));
    c.pos = malloc(B * sizeof(int32_t));
    c.negs = malloc((size_t)B * K * sizeof(int32_t));
    if (!c.Fu || !c.dFu || !c.Y || !c.dX || !c.nr || !c.grad || !c.params || !c.users || !c.pos || !c.negs) {
        fprintf(stderr, "bench_loss: out of memory\n");
        return 1;
    }
    c.Fi = c.Fu + (int64_t)U * D;
    c.dFi = c.dFu + (int64_t)U * D;
    for (int64_t i = 0; i < N * D; i++) c.Fu[i] = (float)rng_normal(&c.r);
    l2norm_rows(c.Fu, N, D, c.Fu, c.nr);
    for (int64_t i = 0; i < N * D; i++) c.params[i] = c.grad[i] = (float)(1e-2 * rng_normal(&c.r));

    /* a Beauty-like training matrix: ~198k interactions, 3-50 items per user */
    int64_t *indptr = malloc((size_t)(U + 1) * sizeof *indptr);
    int32_t *idx = malloc((size_t)U * 50 * sizeof *idx);
    char *seen = calloc(I, 1);
    indptr[0] = 0;
    for (int64_t u = 0; u < U; u++) {
        int64_t deg = 3 + (int64_t)(rng_below(&c.r, 10) == 0 ? rng_below(&c.r, 48) : rng_below(&c.r, 8));
        int64_t at = indptr[u];
        for (int64_t k = 0; k < deg; k++) {
            int32_t it = (int32_t)rng_below(&c.r, I);
            if (!seen[it]) seen[it] = 1, idx[at++] = it;
        }
        for (int64_t k = indptr[u]; k < at; k++) seen[idx[k]] = 0;
        /* insertion sort of the row */
        for (int64_t k = indptr[u] + 1; k < at; k++)
            for (int64_t j = k; j > indptr[u] && idx[j - 1] > idx[j]; j--) {
                int32_t t = idx[j];
                idx[j] = idx[j - 1];
                idx[j - 1] = t;
            }
        indptr[u + 1] = at;
    }
    csr R = {U, I, indptr[U], indptr, idx, NULL};
    if (sampler_init(&c.s, &R, &e) || adam_init(&c.a, N * D, 1e-3, 0.0, &e)) {
        fprintf(stderr, "bench_loss: %s\n", e.msg);
        return 1;
    }
    printf("Beauty size: U %d, I %d, d %d, B %d, K %d, nnz %lld\n", U, I, D, B, K, (long long)R.nnz);
    for (int th = 1; th <= maxth; th++) {
        ar_threads_init(th);
        double cpu[8];
        c.k = K;
        double ms_samp = best_ms(run_sampler, &c, 5, &cpu[0]);
        double ms_inf = best_ms(run_infonce, &c, 10, &cpu[1]);
        double ms_l2k = best_ms(run_l2, &c, 10, &cpu[2]);
        c.k = 1;
        double ms_samp1 = best_ms(run_sampler, &c, 10, &cpu[3]);
        double ms_bpr = best_ms(run_bpr, &c, 20, &cpu[4]);
        double ms_l2 = best_ms(run_l2, &c, 20, &cpu[5]);
        double ms_norm = best_ms(run_norm, &c, 10, &cpu[6]);
        double ms_adam = best_ms(run_adam, &c, 10, &cpu[7]);
        double gflop = 3.0 * 2.0 * B * (K + 1) * D / 1e9; /* scores, user and item gradients */
        printf("threads %d (ms per call: best wall / best process CPU)\n", th);
        printf("  loss_infonce B %d K %d        %8.2f / %8.2f   (%.1f GFLOP/s wall)\n", B, K, ms_inf, cpu[1],
               gflop / (ms_inf * 1e-3));
        printf("  loss_bpr B %d                 %8.3f / %8.3f\n", B, ms_bpr, cpu[4]);
        printf("  loss_l2_batch K %d            %8.3f / %8.3f\n", K, ms_l2k, cpu[2]);
        printf("  loss_l2_batch K 1              %8.3f / %8.3f\n", ms_l2, cpu[5]);
        printf("  l2norm fwd+bwd %lld rows      %8.3f / %8.3f\n", (long long)N, ms_norm, cpu[6]);
        printf("  sampler_batch K %d            %8.3f / %8.3f\n", K, ms_samp, cpu[0]);
        printf("  sampler_batch K 1              %8.3f / %8.3f\n", ms_samp1, cpu[3]);
        printf("  adam_step %lld params      %8.3f / %8.3f\n", (long long)(N * D), ms_adam, cpu[7]);
        fflush(stdout);
    }
    sampler_free(&c.s);
    adam_free(&c.a);
    free(indptr), free(idx), free(seen);
    free(c.Fu), free(c.dFu), free(c.Y), free(c.dX), free(c.nr), free(c.grad), free(c.params);
    free(c.users), free(c.pos), free(c.negs);
    return 0;
}
