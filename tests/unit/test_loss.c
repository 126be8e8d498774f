/* Tests of lib/loss.c and lib/adam.c: optimised kernels against their naive
 * references (random inputs with repeated users/items, several d and K),
 * determinism across runs and thread counts, finite-difference gradient checks,
 * and Adam against a double-precision transcription of torch.optim.Adam. */
#include <omp.h>
#include <string.h>

#include "adam.h"
#include "ar.h"
#include "loss.h"
#include "rng.h"
#include "t.h"

static float *randn(rng *r, int64_t n, double sd)
{
    float *x = malloc((size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++) x[i] = (float)(sd * rng_normal(r));
    return x;
}

static int32_t *randid(rng *r, int64_t n, int64_t hi)
{
    int32_t *x = malloc((size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++) x[i] = (int32_t)rng_below(r, (uint64_t)hi);
    return x;
}

static float *fdup(const float *x, int64_t n)
{
    float *y = malloc((size_t)n * sizeof *y);
    memcpy(y, x, (size_t)n * sizeof *y);
    return y;
}

static double maxabs(const float *x, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        if (fabs(x[i]) > m) m = fabs(x[i]);
    return m;
}

/* max_i |a_i - b_i| / (max_i |b_i| + tiny): errors relative to the array's scale. */
static double relerr(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (!(e <= m)) m = e; /* NaN-propagating */
    }
    return m / (maxabs(b, n) + 1e-30);
}

/* Normalised copies of random rows (InfoNCE works on unit vectors). */
static float *randunit(rng *r, int64_t n, int64_t d)
{
    float *x = randn(r, n * d, 1.0), *nr = malloc((size_t)n * sizeof *nr);
    l2norm_rows(x, n, d, x, nr);
    free(nr);
    return x;
}

/* ------------------------------------------------------ kernel vs naive */

static const int64_t DS[] = {1, 5, 8, 16, 64, 72};
static const int KS[] = {1, 7, 256};

static void test_bpr_vs_naive(void)
{
    rng r;
    rng_seed(&r, 11);
    for (size_t di = 0; di < sizeof DS / sizeof *DS; di++) {
        int64_t d = DS[di], U = 13, I = 29, B = 300;
        float *Fu = randn(&r, U * d, 0.7), *Fi = randn(&r, I * d, 0.7);
        int32_t *u = randid(&r, B, U), *p = randid(&r, B, I), *n = randid(&r, B, I);
        float *gu0 = randn(&r, U * d, 1.0), *gi0 = randn(&r, I * d, 1.0); /* gradients are ADDED */
        float *gu1 = fdup(gu0, U * d), *gi1 = fdup(gi0, I * d);
        double l0 = loss_bpr_naive(Fu, Fi, d, u, p, n, B, gu0, gi0);
        double l1 = loss_bpr(Fu, Fi, d, u, p, n, B, gu1, gi1);
        CHECK_CLOSE(l1, l0, 1e-5, 0);
        CHECK(relerr(gu1, gu0, U * d) < 1e-5, "d=%lld dFu rel err %g", (long long)d, relerr(gu1, gu0, U * d));
        CHECK(relerr(gi1, gi0, I * d) < 1e-5, "d=%lld dFi rel err %g", (long long)d, relerr(gi1, gi0, I * d));
        free(Fu), free(Fi), free(u), free(p), free(n), free(gu0), free(gi0), free(gu1), free(gi1);
    }
    /* large scores: softplus must neither overflow nor lose the linear part */
    float fu[2] = {30.f, 0.f}, fi[4] = {-30.f, 0.f, 30.f, 0.f};
    int32_t u = 0, p = 0, n = 1;
    float gu[2] = {0}, gi[4] = {0};
    double l = loss_bpr(fu, fi, 2, &u, &p, &n, 1, gu, gi); /* x = 900 - (-900) = 1800 */
    CHECK_CLOSE(l, 1800.0, 1e-12, 0);
    CHECK(isfinite(gu[0]) && fabs(gu[0] - 60.f) < 1e-4, "dFu %g, want 60", gu[0]);
    p = 1, n = 0, gu[0] = 0; /* x = -1800: loss ~ e^-1800 = 0 */
    l = loss_bpr(fu, fi, 2, &u, &p, &n, 1, gu, gi);
    CHECK(l >= 0 && l < 1e-300, "loss %g", l);
}

/* Reference for loss_l2_batch: every occurrence added separately, in double. */
static double l2_naive(const float *Eu, const float *Ei, int64_t d, const int32_t *u, const int32_t *p,
                       const int32_t *n, int K, int64_t B, double wd, double *gu, double *gi)
{
    double s = 0;
    for (int64_t b = 0; b < B; b++)
        for (int j = -1; j <= K; j++) {
            const float *E = j < 0 ? Eu : Ei;
            double *g = j < 0 ? gu : gi;
            int64_t row = j < 0 ? u[b] : j == 0 ? p[b] : n[b * K + j - 1];
            for (int64_t i = 0; i < d; i++) {
                s += (double)E[row * d + i] * E[row * d + i];
                g[row * d + i] += wd / (double)B * E[row * d + i];
            }
        }
    return wd / (2.0 * (double)B) * s;
}

static void test_l2_vs_naive(void)
{
    rng r;
    rng_seed(&r, 12);
    for (size_t di = 0; di < sizeof DS / sizeof *DS; di++)
        for (int ki = -1; ki < 3; ki++) {
            int K = ki < 0 ? 0 : KS[ki];
            int64_t d = DS[di], U = 13, I = 29, B = 100;
            double wd = 1e-2;
            float *Eu = randn(&r, U * d, 0.5), *Ei = randn(&r, I * d, 0.5);
            int32_t *u = randid(&r, B, U), *p = randid(&r, B, I), *n = K ? randid(&r, B * K, I) : NULL;
            double *gu0 = calloc((size_t)(U * d), sizeof *gu0), *gi0 = calloc((size_t)(I * d), sizeof *gi0);
            float *gu1 = calloc((size_t)(U * d), sizeof *gu1), *gi1 = calloc((size_t)(I * d), sizeof *gi1);
            double l0 = l2_naive(Eu, Ei, d, u, p, n, K, B, wd, gu0, gi0);
            double l1 = loss_l2_batch(Eu, Ei, d, u, p, n, K, B, wd, gu1, gi1);
            CHECK_CLOSE(l1, l0, 1e-9, 0);
            float *g0 = malloc((size_t)(I * d) * sizeof *g0);
            for (int64_t i = 0; i < U * d; i++) g0[i] = (float)gu0[i];
            CHECK(relerr(gu1, g0, U * d) < 1e-6, "d=%lld K=%d dEu rel err %g", (long long)d, K, relerr(gu1, g0, U * d));
            for (int64_t i = 0; i < I * d; i++) g0[i] = (float)gi0[i];
            CHECK(relerr(gi1, g0, I * d) < 1e-6, "d=%lld K=%d dEi rel err %g", (long long)d, K, relerr(gi1, g0, I * d));
            free(g0), free(Eu), free(Ei), free(u), free(p), free(n), free(gu0), free(gi0), free(gu1), free(gi1);
        }
}

static void test_infonce_vs_naive(void)
{
    rng r;
    rng_seed(&r, 13);
    for (size_t di = 0; di < sizeof DS / sizeof *DS; di++)
        for (size_t ki = 0; ki < sizeof KS / sizeof *KS; ki++) {
            int64_t d = DS[di], U = 13, I = 40, B = 150;
            int K = KS[ki];
            float tau = ki == 1 ? 0.5f : 0.15f;
            float *Nu = randunit(&r, U, d), *Ni = randunit(&r, I, d);
            int32_t *u = randid(&r, B, U), *p = randid(&r, B, I), *n = randid(&r, B * K, I);
            float *gu0 = randn(&r, U * d, 0.1), *gi0 = randn(&r, I * d, 0.1);
            float *gu1 = fdup(gu0, U * d), *gi1 = fdup(gi0, I * d);
            double l0 = loss_infonce_naive(Nu, Ni, d, u, p, n, K, B, tau, gu0, gi0);
            double l1 = loss_infonce(Nu, Ni, d, u, p, n, K, B, tau, gu1, gi1);
            CHECK_CLOSE(l1, l0, 1e-5, 0);
            CHECK(relerr(gu1, gu0, U * d) < 1e-5, "d=%lld K=%d dNu rel err %g", (long long)d, K,
                  relerr(gu1, gu0, U * d));
            CHECK(relerr(gi1, gi0, I * d) < 1e-5, "d=%lld K=%d dNi rel err %g", (long long)d, K,
                  relerr(gi1, gi0, I * d));
            free(Nu), free(Ni), free(u), free(p), free(n), free(gu0), free(gi0), free(gu1), free(gi1);
        }
    /* K = 0 (negs NULL): a single logit, loss 0 and zero gradient */
    float nu[2] = {1, 0}, ni[2] = {0.6f, 0.8f}, gu[2] = {0}, gi[4] = {0};
    int32_t z = 0;
    double l = loss_infonce(nu, ni, 2, &z, &z, NULL, 0, 1, 0.2f, gu, gi);
    CHECK(fabs(l) < 1e-7 && maxabs(gu, 2) < 1e-7 && maxabs(gi, 2) < 1e-7, "K=0: loss %g", l);
    /* hand value: u = (1,0), p = (0.6,0.8), n = (0,1), tau = 0.5: logits (1.2, 0) */
    float ni2[4] = {0.6f, 0.8f, 0.f, 1.f};
    int32_t one = 1;
    l = loss_infonce(nu, ni2, 2, &z, &z, &one, 1, 1, 0.5f, gu, gi);
    CHECK_CLOSE(l, log(1.0 + exp(-1.2)), 1e-6, 0);
}

static void naive_norm(const float *X, int64_t n, int64_t d, double *Y, double *nr)
{
    for (int64_t r = 0; r < n; r++) {
        double s = 0;
        for (int64_t i = 0; i < d; i++) s += (double)X[r * d + i] * X[r * d + i];
        nr[r] = sqrt(s);
        for (int64_t i = 0; i < d; i++) Y[r * d + i] = nr[r] > 0 ? X[r * d + i] / nr[r] : 0.0;
    }
}

static void test_l2norm_vs_naive(void)
{
    rng r;
    rng_seed(&r, 14);
    for (size_t di = 0; di < sizeof DS / sizeof *DS; di++) {
        int64_t d = DS[di], n = 57;
        float *X = randn(&r, n * d, 3.0), *dY = randn(&r, n * d, 1.0);
        memset(X + 5 * d, 0, (size_t)d * sizeof *X); /* a zero row stays zero */
        float *Y = malloc((size_t)(n * d) * sizeof *Y), *nr = malloc((size_t)n * sizeof *nr);
        float *dX = malloc((size_t)(n * d) * sizeof *dX);
        double *Yd = malloc((size_t)(n * d) * sizeof *Yd), *nd = malloc((size_t)n * sizeof *nd);
        l2norm_rows(X, n, d, Y, nr);
        naive_norm(X, n, d, Yd, nd);
        double e = 0, en = 0;
        for (int64_t i = 0; i < n * d; i++) e = fmax(e, fabs(Y[i] - Yd[i]));
        for (int64_t i = 0; i < n; i++) en = fmax(en, fabs(nr[i] - nd[i]) / (nd[i] + 1e-30));
        CHECK(e < 1e-6 && en < 1e-6, "d=%lld: Y err %g, norm rel err %g", (long long)d, e, en);
        CHECK(nr[5] == 0 && maxabs(Y + 5 * d, d) == 0, "zero row");
        l2norm_rows_backward(Y, nr, dY, n, d, dX);
        /* naive backward in double: (dY - Y (Y.dY)) / |X| */
        double eb = 0, mb = 0;
        for (int64_t row = 0; row < n; row++) {
            double pr = 0;
            for (int64_t i = 0; i < d; i++) pr += Yd[row * d + i] * dY[row * d + i];
            for (int64_t i = 0; i < d; i++) {
                double g = nd[row] > 0 ? (dY[row * d + i] - Yd[row * d + i] * pr) / nd[row] : 0.0;
                eb = fmax(eb, fabs(dX[row * d + i] - g));
                mb = fmax(mb, fabs(g));
            }
        }
        CHECK(eb <= 1e-5 * mb, "d=%lld: backward err %g (scale %g)", (long long)d, eb, mb);
        CHECK(maxabs(dX + 5 * d, d) == 0, "zero row gradient");
        /* in place: Y may equal X, dX may equal dY */
        float *X2 = fdup(X, n * d), *nr2 = malloc((size_t)n * sizeof *nr2);
        l2norm_rows(X2, n, d, X2, nr2);
        CHECK(memcmp(X2, Y, (size_t)(n * d) * sizeof *Y) == 0, "in-place forward differs");
        l2norm_rows_backward(Y, nr, dY, n, d, dY);
        CHECK(memcmp(dY, dX, (size_t)(n * d) * sizeof *dX) == 0, "in-place backward differs");
        free(X2), free(nr2);
        free(X), free(dY), free(Y), free(nr), free(dX), free(Yd), free(nd);
    }
}

/* ------------------------------------------------------------ determinism */

/* One InfoNCE + BPR + L2 evaluation at a realistic shape with the given thread
 * count; returns the gradients (caller frees). */
static void grads_at(int threads, float **gu, float **gi, double *loss)
{
    ar_threads_init(threads);
    rng r;
    rng_seed(&r, 99);
    int64_t U = 300, I = 500, d = 64, B = 512;
    int K = 64;
    float *Nu = randunit(&r, U, d), *Ni = randunit(&r, I, d);
    int32_t *u = randid(&r, B, U), *p = randid(&r, B, I), *n = randid(&r, B * K, I);
    *gu = calloc((size_t)(U * d), sizeof **gu);
    *gi = calloc((size_t)(I * d), sizeof **gi);
    *loss = loss_infonce(Nu, Ni, d, u, p, n, K, B, 0.15f, *gu, *gi);
    *loss += loss_bpr(Nu, Ni, d, u, p, n, B, *gu, *gi);
    *loss += loss_l2_batch(Nu, Ni, d, u, p, n, K, B, 1e-3, *gu, *gi);
    free(Nu), free(Ni), free(u), free(p), free(n);
}

static void test_determinism(void)
{
    int64_t U = 300, I = 500, d = 64;
    float *a_u, *a_i, *b_u, *b_i, *c_u, *c_i;
    double la, lb, lc;
    grads_at(2, &a_u, &a_i, &la);
    grads_at(2, &b_u, &b_i, &lb);
    grads_at(1, &c_u, &c_i, &lc);
    CHECK(la == lb, "loss differs between runs: %.17g vs %.17g", la, lb);
    CHECK(memcmp(a_u, b_u, (size_t)(U * d) * 4) == 0 && memcmp(a_i, b_i, (size_t)(I * d) * 4) == 0,
          "gradients differ between two runs with 2 threads");
    /* the design makes the result independent of the thread count, too */
    CHECK(la == lc, "loss differs 1 vs 2 threads: %.17g vs %.17g", la, lc);
    CHECK(memcmp(a_u, c_u, (size_t)(U * d) * 4) == 0 && memcmp(a_i, c_i, (size_t)(I * d) * 4) == 0,
          "gradients differ between 1 and 2 threads");
    free(a_u), free(a_i), free(b_u), free(b_i), free(c_u), free(c_i);
    ar_threads_init(0);
}

/* ------------------------------------------------- finite differences */

/* Central difference of f at x[k] with step h, using the float-representable
 * steps actually taken. */
typedef double (*lossfn)(void *ctx);

static double fd(lossfn f, void *ctx, float *x, double h)
{
    float x0 = *x, xp = (float)(x0 + h), xm = (float)(x0 - h);
    *x = xp;
    double fp = f(ctx);
    *x = xm;
    double fm = f(ctx);
    *x = x0;
    return (fp - fm) / ((double)xp - (double)xm);
}

typedef struct fdctx {
    float *Fu, *Fi, *W;
    int64_t U, I, d, B;
    int K;
    int32_t *u, *p, *n;
    float tau;
    double wd;
    float *scratch_u, *scratch_i;
} fdctx;

static double f_bpr(void *v)
{
    fdctx *c = v;
    return loss_bpr_naive(c->Fu, c->Fi, c->d, c->u, c->p, c->n, c->B, c->scratch_u, c->scratch_i);
}
static double f_infonce(void *v)
{
    fdctx *c = v;
    return loss_infonce_naive(c->Fu, c->Fi, c->d, c->u, c->p, c->n, c->K, c->B, c->tau, c->scratch_u, c->scratch_i);
}
static double f_l2(void *v)
{
    fdctx *c = v;
    return loss_l2_batch(c->Fu, c->Fi, c->d, c->u, c->p, c->n, c->K, c->B, c->wd, c->scratch_u, c->scratch_i);
}
/* sum W * normalise(X), all in double (X = Fu here, n = U rows) */
static double f_norm(void *v)
{
    fdctx *c = v;
    double s = 0;
    for (int64_t r = 0; r < c->U; r++) {
        double q = 0;
        for (int64_t i = 0; i < c->d; i++) q += (double)c->Fu[r * c->d + i] * c->Fu[r * c->d + i];
        q = sqrt(q);
        for (int64_t i = 0; i < c->d; i++) s += c->W[r * c->d + i] * (c->Fu[r * c->d + i] / q);
    }
    return s;
}

/* Compare analytic gu (U,d), gi (I,d) with central differences of f. */
static void fd_compare(const char *what, lossfn f, fdctx *c, const float *gu, const float *gi)
{
    double worst = 0, scale = fmax(maxabs(gu, c->U * c->d), gi ? maxabs(gi, c->I * c->d) : 0);
    for (int side = 0; side < (gi ? 2 : 1); side++) {
        float *X = side ? c->Fi : c->Fu;
        const float *g = side ? gi : gu;
        int64_t n = (side ? c->I : c->U) * c->d;
        for (int64_t k = 0; k < n; k++) {
            double num = fd(f, c, X + k, 1e-3);
            double err = fabs(num - g[k]) / (fabs(num) + 1e-2 * scale);
            if (!(err <= worst)) worst = err;
        }
    }
    CHECK(scale > 0 && worst < 1e-3, "%s: finite-difference rel err %g (gradient scale %g)", what, worst, scale);
}

static void test_finite_differences(void)
{
    rng r;
    rng_seed(&r, 15);
    fdctx c = {0};
    c.U = 4, c.I = 6, c.d = 3, c.B = 9, c.K = 5, c.tau = 0.3f, c.wd = 0.7;
    c.Fu = randn(&r, c.U * c.d, 1.0);
    c.Fi = randn(&r, c.I * c.d, 1.0);
    c.u = randid(&r, c.B, c.U);
    c.p = randid(&r, c.B, c.I);
    c.n = randid(&r, c.B * c.K, c.I);
    c.scratch_u = calloc((size_t)(c.U * c.d), sizeof(float));
    c.scratch_i = calloc((size_t)(c.I * c.d), sizeof(float));
    float *gu = calloc((size_t)(c.U * c.d), sizeof *gu), *gi = calloc((size_t)(c.I * c.d), sizeof *gi);

    loss_bpr(c.Fu, c.Fi, c.d, c.u, c.p, c.n, c.B, gu, gi);
    fd_compare("loss_bpr", f_bpr, &c, gu, gi);

    memset(gu, 0, (size_t)(c.U * c.d) * 4), memset(gi, 0, (size_t)(c.I * c.d) * 4);
    loss_l2_batch(c.Fu, c.Fi, c.d, c.u, c.p, c.n, c.K, c.B, c.wd, gu, gi);
    fd_compare("loss_l2_batch", f_l2, &c, gu, gi);

    /* InfoNCE on unnormalised vectors: the formula holds for any inputs */
    memset(gu, 0, (size_t)(c.U * c.d) * 4), memset(gi, 0, (size_t)(c.I * c.d) * 4);
    loss_infonce(c.Fu, c.Fi, c.d, c.u, c.p, c.n, c.K, c.B, c.tau, gu, gi);
    fd_compare("loss_infonce", f_infonce, &c, gu, gi);

    /* l2norm_rows_backward: d/dX of sum(W * X/|X|) */
    c.W = randn(&r, c.U * c.d, 1.0);
    float *Y = malloc((size_t)(c.U * c.d) * sizeof *Y), *nr = malloc((size_t)c.U * sizeof *nr);
    l2norm_rows(c.Fu, c.U, c.d, Y, nr);
    l2norm_rows_backward(Y, nr, c.W, c.U, c.d, gu);
    fd_compare("l2norm_rows_backward", f_norm, &c, gu, NULL);

    free(Y), free(nr), free(c.W);
    free(c.Fu), free(c.Fi), free(c.u), free(c.p), free(c.n), free(c.scratch_u), free(c.scratch_i), free(gu), free(gi);
}

/* ----------------------------------------------------------------- Adam */

/* torch.optim.Adam transcribed in double. */
static void adam_ref(double *p, const double *g0, double *m, double *v, int64_t n, int t, double lr, double wd)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    for (int64_t i = 0; i < n; i++) {
        double g = g0[i] + (wd > 0 ? wd * p[i] : 0);
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        double den = sqrt(v[i]) / sqrt(1 - pow(b2, t)) + eps;
        p[i] -= lr / (1 - pow(b1, t)) * m[i] / den;
    }
}

static void test_adam(void)
{
    ar_err e = {0};
    /* one step by hand: the first step moves every parameter by lr * sign(g)
     * (up to eps): m^ = g, v^ = g^2 */
    {
        adam a;
        CHECK(adam_init(&a, 3, 0.01, 0.0, &e) == 0, "%s", e.msg);
        float p[3] = {1.f, -2.f, 0.5f}, g[3] = {0.3f, -4.f, 1e-3f};
        adam_step(&a, p, g);
        CHECK_CLOSE(p[0], 0.99, 1e-6, 0);
        CHECK_CLOSE(p[1], -1.99, 1e-6, 0);
        /* g = 1e-3: 1e-3 / (1e-3 + 1e-8) = 0.99999 of a full step */
        CHECK_CLOSE(p[2], 0.5 - 0.01 * (1e-3 / (1e-3 + 1e-8)), 1e-6, 0);
        CHECK(a.t == 1, "t = %lld", (long long)a.t);
        CHECK_CLOSE(a.m[1], -0.4, 1e-6, 0);
        CHECK_CLOSE(a.v[1], 0.016, 1e-6, 0);
        /* second step with g = 0: m = 0.9 m1, v = 0.999 v1 ->
         * step = lr/(1-.81) * 0.9 m1 / (sqrt(.999 v1)/sqrt(1-.998001) + eps) */
        float z[3] = {0, 0, 0};
        float before = p[0];
        adam_step(&a, p, z);
        double m1 = 0.1 * 0.3, v1 = 0.001 * 0.09;
        double want = before - 0.01 / (1 - 0.81) * (0.9 * m1) / (sqrt(0.999 * v1) / sqrt(1 - 0.998001) + 1e-8);
        CHECK_CLOSE(p[0], want, 1e-6, 0);
        adam_free(&a);
    }
    /* one step with coupled weight decay: g' = g + wd p */
    {
        adam a;
        CHECK(adam_init(&a, 1, 0.1, 0.5, &e) == 0, "%s", e.msg);
        float p = 2.f, g = -0.5f; /* g' = -0.5 + 1 = 0.5 > 0: moves down by lr */
        adam_step(&a, &p, &g);
        CHECK_CLOSE(p, 1.9, 1e-6, 0);
        CHECK_CLOSE(g, 0.5, 1e-7, 0);
        adam_free(&a);
    }
    /* several steps against the double transcription, with and without decay */
    rng r;
    rng_seed(&r, 16);
    for (int w = 0; w < 2; w++) {
        int64_t n = 1000;
        double wd = w ? 1e-2 : 0.0, lr = 1e-3;
        adam a;
        CHECK(adam_init(&a, n, lr, wd, &e) == 0, "%s", e.msg);
        float *p = randn(&r, n, 1.0), *g = malloc((size_t)n * sizeof *g);
        double *pd = malloc((size_t)n * sizeof *pd), *gd = malloc((size_t)n * sizeof *gd);
        double *m = calloc((size_t)n, sizeof *m), *v = calloc((size_t)n, sizeof *v);
        for (int64_t i = 0; i < n; i++) pd[i] = p[i];
        double worst = 0;
        for (int t = 1; t <= 20; t++) {
            for (int64_t i = 0; i < n; i++) {
                g[i] = (float)(rng_normal(&r) * 0.1 + 0.05 * pd[i]);
                gd[i] = g[i];
            }
            adam_step(&a, p, g);
            adam_ref(pd, gd, m, v, n, t, lr, wd);
            for (int64_t i = 0; i < n; i++) worst = fmax(worst, fabs(p[i] - pd[i]));
        }
        /* 20 steps of size <= lr each: float rounding of |p| ~ 1 dominates */
        CHECK(worst < 2e-6, "wd=%g: max |p - p_ref| after 20 steps = %g", wd, worst);
        CHECK(a.t == 20, "t");
        free(p), free(g), free(pd), free(gd), free(m), free(v);
        adam_free(&a);
    }
    adam a;
    CHECK(adam_init(&a, 4, -1.0, 0.0, &e) != 0, "negative lr accepted");
}

int main(void)
{
    ar_log_set(NULL);
    RUN(test_bpr_vs_naive);
    RUN(test_l2_vs_naive);
    RUN(test_infonce_vs_naive);
    RUN(test_l2norm_vs_naive);
    RUN(test_determinism);
    RUN(test_finite_differences);
    RUN(test_adam);
    T_EXIT();
}
