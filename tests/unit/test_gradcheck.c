/* End-to-end finite-difference checks of the full training objectives on tiny
 * random bipartite graphs (7 users incl. one without training items, 9 items
 * incl. a cold one, d = 4, L = 0..3):
 *   (a) LightGCN BPR:  E -> F = csr_propagate(A, E) -> loss_bpr + loss_l2_batch(ego rows);
 *       analytic dE = csr_propagate(A, dF) + L2 part (A symmetric);
 *   (b) InfoNCE on cosine: F -> l2norm_rows -> loss_infonce (+ optional batch L2
 *       over the K negatives, reading (B) of spec 2.4) -> backward through the
 *       normalisation and the propagation;
 *   and the other score of each loss (the config's "score"): BPR on cosine (unit
 *   rows), InfoNCE on dot products;
 *   (c) AlphaRec: projector parameters -> E = projector_forward -> (b) ->
 *       projector_backward, for the mlp and the linear projector.
 * The analytic gradients come from the library (float); the finite differences
 * from an independent double-precision forward pass written here, with central
 * differences of step 1e-5, so every coordinate is compared to ~1e-3. */
#include <string.h>

#include "ar.h"
#include "csr.h"
#include "loss.h"
#include "projector.h"
#include "rng.h"
#include "sampler.h"
#include "t.h"

enum { GU = 7, GI = 9, GN = GU + GI, GD = 4, GB = 6 };

typedef struct prob {
    csr R, A, P;
    int L;
    int K;           /* negatives per row (1 for BPR) */
    int32_t users[GB], pos[GB], negs[GB * 8];
    double wd, tau;
    int bpr;         /* 1: (a), 0: (b) */
    int cosine;      /* scores on unit rows of F (else on F) */
    /* (c) */
    int kind;        /* -1: ID tables; PROJ_MLP / PROJ_LINEAR */
    int64_t D, H;
    float *Z;        /* (I, D) */
    const projector *pj;
} prob;

/* Training pairs: users 0-5 have 1-4 items among items 0-7; user 6 none; item 8 cold. */
static void make_graph(prob *p, uint64_t seed)
{
    rng r;
    rng_seed(&r, seed);
    int32_t pairs[64][2];
    int n = 0;
    for (int u = 0; u < GU - 1; u++) {
        int deg = 1 + (int)rng_below(&r, 4);
        for (int k = 0; k < deg; k++) pairs[n][0] = u, pairs[n][1] = (int32_t)rng_below(&r, GI - 1), n++;
    }
    pairs[n][0] = 0, pairs[n][1] = pairs[0][1], n++; /* a duplicate pair, merged */
    ar_err e = {0};
    int rc = csr_from_pairs(&p->R, &pairs[0][0], n, GU, GI, &e);
    if (!rc) rc = csr_norm_adj(&p->R, &p->A, &e);
    if (!rc) rc = csr_row_mean(&p->R, &p->P, &e);
    CHECK(rc == 0, "graph: %s", e.msg);
}

static void draw_batch(prob *p, uint64_t seed)
{
    sampler s;
    ar_err e = {0};
    CHECK(sampler_init(&s, &p->R, &e) == 0, "%s", e.msg);
    rng r;
    rng_seed(&r, seed);
    sampler_batch(&s, &r, GB, p->K, p->users, p->pos, p->negs);
    sampler_free(&s);
    /* negatives of a sampled batch never hit the cold item often enough for a
     * test: force one negative to be the cold item */
    p->negs[0] = GI - 1;
}

/* ------------------------------------------------ double forward pass */

/* F = 1/(L+1) sum_l A^l E, all (GN, GD) double. */
static void prop_d(const csr *A, const double *E, int L, double *F)
{
    double X[GN * GD], Y[GN * GD];
    memcpy(X, E, sizeof X);
    for (int k = 0; k < GN * GD; k++) F[k] = E[k] / (L + 1);
    for (int l = 0; l < L; l++) {
        memset(Y, 0, sizeof Y);
        for (int64_t r = 0; r < A->nrows; r++)
            for (int64_t q = A->indptr[r]; q < A->indptr[r + 1]; q++)
                for (int i = 0; i < GD; i++) Y[r * GD + i] += (double)A->data[q] * X[A->indices[q] * GD + i];
        memcpy(X, Y, sizeof X);
        for (int k = 0; k < GN * GD; k++) F[k] += X[k] / (L + 1);
    }
}

static double dotd(const double *a, const double *b)
{
    double s = 0;
    for (int i = 0; i < GD; i++) s += a[i] * b[i];
    return s;
}

/* s(u, v): the dot product, or the cosine when p->cosine. */
static double score_d(const prob *p, const double *u, const double *v)
{
    double s = dotd(u, v);
    return p->cosine ? s / (sqrt(dotd(u, u)) * sqrt(dotd(v, v))) : s;
}

/* The objective of p on ego embeddings E (GN, GD), in double. */
static double objective_E(const prob *p, const double *E)
{
    double F[GN * GD];
    prop_d(&p->A, E, p->L, F);
    const double *Fu = F, *Fi = F + GU * GD, *Eu = E, *Ei = E + GU * GD;
    double loss = 0, l2 = 0;
    for (int b = 0; b < GB; b++) {
        const double *u = Fu + p->users[b] * GD;
        if (p->bpr) {
            double x = score_d(p, u, Fi + p->negs[b] * GD) - score_d(p, u, Fi + p->pos[b] * GD);
            loss += x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
        } else {
            double lg[9], m = -INFINITY, s = 0;
            for (int j = 0; j <= p->K; j++) {
                const double *v = Fi + (j ? p->negs[b * p->K + j - 1] : p->pos[b]) * GD;
                lg[j] = score_d(p, u, v) / p->tau;
                m = fmax(m, lg[j]);
            }
            for (int j = 0; j <= p->K; j++) s += exp(lg[j] - m);
            loss += m + log(s) - lg[0];
        }
        l2 += dotd(Eu + p->users[b] * GD, Eu + p->users[b] * GD) + dotd(Ei + p->pos[b] * GD, Ei + p->pos[b] * GD);
        for (int k = 0; k < p->K; k++) l2 += dotd(Ei + p->negs[b * p->K + k] * GD, Ei + p->negs[b * p->K + k] * GD);
    }
    return loss / GB + p->wd * l2 / (2.0 * GB);
}

/* The projector in double (spec 2.5): z_u = P Z, g(z) = W2 leaky(W1 z + b1) + b2 or W z + b. */
static void project_d(const prob *p, const double *th, double *E)
{
    const projector *pj = p->pj;
    const int64_t D = p->D, H = p->H;
    for (int n = 0; n < GN; n++) {
        double z[16] = {0}, h[16];
        if (n < GU) {
            for (int64_t q = p->P.indptr[n]; q < p->P.indptr[n + 1]; q++)
                for (int64_t c = 0; c < D; c++) z[c] += (double)p->P.data[q] * p->Z[p->P.indices[q] * D + c];
        } else {
            for (int64_t c = 0; c < D; c++) z[c] = p->Z[(n - GU) * D + c];
        }
        if (p->kind == PROJ_MLP) {
            const double *W1 = th + pj->offsets[0], *b1 = th + pj->offsets[1], *W2 = th + pj->offsets[2],
                         *b2 = th + pj->offsets[3];
            for (int64_t k = 0; k < H; k++) {
                double a = b1[k];
                for (int64_t c = 0; c < D; c++) a += z[c] * W1[c * H + k];
                h[k] = a > 0 ? a : 0.01 * a;
            }
            for (int i = 0; i < GD; i++) {
                double a = b2[i];
                for (int64_t k = 0; k < H; k++) a += h[k] * W2[k * GD + i];
                E[n * GD + i] = a;
            }
        } else {
            const double *W = th + pj->offsets[0], *bb = th + pj->offsets[1];
            for (int i = 0; i < GD; i++) {
                double a = bb[i];
                for (int64_t c = 0; c < D; c++) a += z[c] * W[c * GD + i];
                E[n * GD + i] = a;
            }
        }
    }
}

static double objective(const prob *p, const double *x)
{
    if (p->kind < 0) return objective_E(p, x);
    double E[GN * GD];
    project_d(p, x, E);
    return objective_E(p, E);
}

/* ------------------------------------------- analytic gradient (library) */

/* dE (GN, GD) of the objective at E, through the library's float kernels. */
static void analytic_E(const prob *p, const float *E, float *dE)
{
    float F[GN * GD], t1[GN * GD], t2[GN * GD], dF[GN * GD];
    csr_propagate(&p->A, E, GD, p->L, F, t1, t2);
    float Y[GN * GD], nr[GN], dY[GN * GD];
    memset(dF, 0, sizeof dF);
    memset(dY, 0, sizeof dY);
    float *S = F, *dS = dF; /* the scored rows, as in train.c's step */
    if (p->cosine) {
        l2norm_rows(F, GN, GD, Y, nr);
        S = Y, dS = dY;
    }
    if (p->bpr) loss_bpr(S, S + GU * GD, GD, p->users, p->pos, p->negs, GB, dS, dS + GU * GD);
    else loss_infonce(S, S + GU * GD, GD, p->users, p->pos, p->negs, p->K, GB, (float)p->tau, dS, dS + GU * GD);
    if (p->cosine) l2norm_rows_backward(Y, nr, dY, GN, GD, dF);
    csr_propagate(&p->A, dF, GD, p->L, dE, t1, t2); /* A symmetric: the backward is the same map */
    if (p->wd > 0) loss_l2_batch(E, E + GU * GD, GD, p->users, p->pos, p->negs, p->K, GB, p->wd, dE, dE + GU * GD);
}

/* Compare g (n) with central differences of the double objective at x (n). */
static void compare(const char *what, const prob *p, const double *x0, const float *g, int64_t n)
{
    double *x = malloc((size_t)n * sizeof *x), *num = malloc((size_t)n * sizeof *num), scale = 0;
    memcpy(x, x0, (size_t)n * sizeof *x);
    const double h = 1e-5;
    for (int64_t k = 0; k < n; k++) {
        double v = x[k];
        x[k] = v + h;
        double fp = objective(p, x);
        x[k] = v - h;
        double fm = objective(p, x);
        x[k] = v;
        num[k] = (fp - fm) / (2 * h);
        scale = fmax(scale, fabs(num[k]));
    }
    double worst = 0;
    int64_t at = 0;
    for (int64_t k = 0; k < n; k++) {
        double err = fabs(g[k] - num[k]) / (fabs(num[k]) + 1e-3 * scale);
        if (!(err <= worst)) worst = err, at = k;
    }
    CHECK(scale > 1e-6 && worst < 1e-3, "%s: worst rel err %.3g at %lld (analytic %.6g, numeric %.6g; scale %.3g)", what,
          worst, (long long)at, g[at], num[at], scale);
    free(x), free(num);
}

static void free_prob(prob *p)
{
    csr_free(&p->R);
    csr_free(&p->A);
    csr_free(&p->P);
}

/* (a) and (b): parameters are the ego table E. */
static void check_id(int bpr, int cosine, int L, int K, double wd, uint64_t seed)
{
    prob p;
    memset(&p, 0, sizeof p);
    p.kind = -1, p.bpr = bpr, p.cosine = cosine, p.L = L, p.K = K, p.wd = wd, p.tau = 0.2;
    make_graph(&p, seed);
    draw_batch(&p, seed + 1);
    rng r;
    rng_seed(&r, seed + 2);
    float E[GN * GD], dE[GN * GD];
    double Ed[GN * GD];
    for (int k = 0; k < GN * GD; k++) E[k] = (float)(0.5 * rng_normal(&r)), Ed[k] = E[k];
    analytic_E(&p, E, dE);
    /* the cold item (no edges) only receives gradient as a negative */
    int64_t cold = (GU + GI - 1) * GD;
    CHECK(fabs(dE[cold]) + fabs(dE[cold + 1]) > 0, "cold item got no gradient");
    char what[96];
    snprintf(what, sizeof what, "%s %s L=%d K=%d wd=%g", bpr ? "BPR" : "InfoNCE", cosine ? "cosine" : "dot", L, K, wd);
    compare(what, &p, Ed, dE, GN * GD);
    free_prob(&p);
}

static void test_lightgcn_bpr(void)
{
    check_id(1, 0, 2, 1, 1e-1, 10);
    check_id(1, 0, 3, 1, 1e-1, 20);
    check_id(1, 0, 0, 1, 0.0, 30);
    check_id(1, 1, 3, 1, 1e-1, 35); /* score cosine */
}

static void test_infonce_cosine(void)
{
    check_id(0, 1, 2, 3, 0.0, 40);
    check_id(0, 1, 3, 5, 0.0, 50);
    check_id(0, 1, 3, 4, 5e-2, 60); /* reading (B): batch L2 over user, positive and all negatives */
}

static void test_infonce_dot(void)
{
    check_id(0, 0, 3, 5, 0.0, 65);
    check_id(0, 0, 2, 4, 5e-2, 66);
}

/* (c) through the AlphaRec projector: parameters -> E -> (b). */
static void check_projector(int kind, int L, uint64_t seed)
{
    prob p;
    memset(&p, 0, sizeof p);
    p.kind = kind, p.bpr = 0, p.cosine = 1, p.L = L, p.K = 3, p.wd = 0, p.tau = 0.25, p.D = 5, p.H = 3;
    make_graph(&p, seed);
    draw_batch(&p, seed + 1);
    rng r;
    rng_seed(&r, seed + 2);
    float Z[GI * 5];
    for (int k = 0; k < GI * 5; k++) Z[k] = (float)rng_normal(&r);
    p.Z = Z;
    projector pj;
    ar_err e = {0};
    if (projector_init(&pj, kind, Z, GI, p.D, p.H, GD, &p.P, &e)) {
        CHECK(0, "projector_init: %s", e.msg);
        free_prob(&p);
        return;
    }
    p.pj = &pj;
    int64_t n = pj.n_params;
    float *th = malloc((size_t)n * sizeof *th), *g = calloc((size_t)n, sizeof *g);
    double *thd = malloc((size_t)n * sizeof *thd);
    projector_reset(&pj, th, &r);
    for (int64_t k = 0; k < n; k++) th[k] *= 3.0f, thd[k] = th[k]; /* larger than the default init: nonlinear regime */
    float E[GN * GD], dE[GN * GD];
    projector_forward(&pj, th, E);
    analytic_E(&p, E, dE);
    projector_backward(&pj, th, dE, g);
    char what[64];
    snprintf(what, sizeof what, "%s projector L=%d", kind == PROJ_MLP ? "mlp" : "linear", L);
    compare(what, &p, thd, g, n);
    free(th), free(g), free(thd);
    projector_free(&pj);
    free_prob(&p);
}

static void test_alpharec_projector(void)
{
    check_projector(PROJ_MLP, 2, 70);
    check_projector(PROJ_LINEAR, 3, 80);
}

int main(void)
{
    ar_log_set(NULL);
    RUN(test_lightgcn_bpr);
    RUN(test_infonce_cosine);
    RUN(test_infonce_dot);
    RUN(test_alpharec_projector);
    T_EXIT();
}
