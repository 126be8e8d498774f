/* Tests of lib/projector.c: the fast path (items-only first layer, users folded in
 * through P) against the naive oracle (z_u = P Z formed, every node projected
 * directly), finite-difference gradients, and the PyTorch-default init. */
#include <stdint.h>
#include <string.h>

#include "loss.h"
#include "projector.h"
#include "rng.h"
#include "t.h"

/* uniform in [-a, a) */
static void fill_unif(float *x, int64_t n, double a, rng *r)
{
    for (int64_t j = 0; j < n; j++) x[j] = (float)((2.0 * rng_double(r) - 1.0) * a);
}

/* A random user mean operator P (U, I): user `empty_user` (if >= 0) has no items,
 * item `cold_item` (if >= 0) has no users, other users have 1..maxdeg distinct
 * sorted items, each with weight 1/deg. */
static void make_P(csr *P, int64_t U, int64_t I, int64_t empty_user, int64_t cold_item, int maxdeg, rng *r)
{
    P->nrows = U;
    P->ncols = I;
    P->indptr = calloc((size_t)U + 1, sizeof(int64_t));
    P->indices = malloc((size_t)(U * maxdeg + 1) * sizeof(int32_t));
    P->data = malloc((size_t)(U * maxdeg + 1) * sizeof(float));
    char *used = calloc((size_t)I, 1);
    int64_t nnz = 0;
    for (int64_t u = 0; u < U; u++) {
        P->indptr[u] = nnz;
        if (u == empty_user) continue;
        int deg = 1 + (int)rng_below(r, (uint64_t)maxdeg);
        memset(used, 0, (size_t)I);
        int got = 0;
        for (int t = 0; t < 4 * deg && got < deg; t++) {
            int64_t i = (int64_t)rng_below(r, (uint64_t)I);
            if (i == cold_item || used[i]) continue;
            used[i] = 1;
            got++;
        }
        for (int64_t i = 0; i < I; i++)
            if (used[i]) {
                P->indices[nnz] = (int32_t)i;
                P->data[nnz] = 1.0f / (float)got;
                nnz++;
            }
    }
    P->indptr[U] = nnz;
    P->nnz = nnz;
    free(used);
}

/* max |a - b| / (atol + rtol |b|) over n entries: <= 1 means close */
static double worst(const float *a, const float *b, int64_t n, double rtol, double atol, int64_t *at)
{
    double w = 0;
    *at = -1;
    for (int64_t j = 0; j < n; j++) {
        double q = fabs((double)a[j] - b[j]) / (atol + rtol * fabs((double)b[j]));
        if (!(q <= w)) { /* catches NaN */
            w = isnan(q) ? INFINITY : q;
            *at = j;
        }
    }
    return w;
}

struct shape { int kind; int64_t U, I, D, H, d; int64_t empty_user, cold_item; int maxdeg; };

static void check_fast_vs_naive(const struct shape *s, uint64_t seed)
{
    rng r;
    rng_seed(&r, seed);
    csr P;
    make_P(&P, s->U, s->I, s->empty_user, s->cold_item, s->maxdeg, &r);
    float *Z = malloc((size_t)(s->I * s->D) * sizeof(float));
    fill_unif(Z, s->I * s->D, 1.0, &r);
    projector p;
    ar_err e = {0};
    int rc = projector_init(&p, s->kind, Z, s->I, s->D, s->H, s->d, &P, &e);
    CHECK(rc == AR_OK, "init: %s", e.msg);
    if (rc != AR_OK) goto out;
    int64_t N = s->U + s->I, nd = N * s->d, np = p.n_params;
    float *th = malloc((size_t)np * sizeof(float));
    projector_reset(&p, th, &r);
    /* larger biases than the init so that a good share of pre-activations are negative
     * and positive for every unit */
    for (int k = 1; k < p.n_tensors; k += 2) fill_unif(th + p.offsets[k], p.shapes[k][0], 0.5, &r);
    float *E1 = malloc((size_t)nd * sizeof(float)), *E2 = malloc((size_t)nd * sizeof(float));
    float *dE = malloc((size_t)nd * sizeof(float));
    float *g1 = malloc((size_t)np * sizeof(float)), *g2 = malloc((size_t)np * sizeof(float));
    fill_unif(dE, nd, 1.0, &r);
    fill_unif(g1, np, 1.0, &r); /* gradients are ADDED: start both from the same junk */
    memcpy(g2, g1, (size_t)np * sizeof(float));
    projector_forward(&p, th, E1);
    projector_forward_naive(&p, th, E2);
    int64_t at;
    double w = worst(E1, E2, nd, 1e-4, 1e-5, &at);
    CHECK(w <= 1.0, "%s U%lld I%lld D%lld H%lld d%lld: E[%lld] fast %.8g naive %.8g", s->kind ? "linear" : "mlp",
          (long long)s->U, (long long)s->I, (long long)s->D, (long long)s->H, (long long)s->d, (long long)at,
          at >= 0 ? E1[at] : 0.0, at >= 0 ? E2[at] : 0.0);
    projector_backward(&p, th, dE, g1);
    projector_backward_naive(&p, th, dE, g2);
    for (int k = 0; k < p.n_tensors; k++) {
        int64_t n = p.shapes[k][0] * (p.shapes[k][1] ? p.shapes[k][1] : 1);
        w = worst(g1 + p.offsets[k], g2 + p.offsets[k], n, 1e-4, 1e-4, &at);
        CHECK(w <= 1.0, "%s U%lld I%lld D%lld H%lld d%lld: grad %s[%lld] fast %.8g naive %.8g",
              s->kind ? "linear" : "mlp", (long long)s->U, (long long)s->I, (long long)s->D, (long long)s->H,
              (long long)s->d, p.names[k], (long long)at, at >= 0 ? g1[p.offsets[k] + at] : 0.0,
              at >= 0 ? g2[p.offsets[k] + at] : 0.0);
    }
    /* a repeated forward is bit-identical (deterministic threading) */
    memcpy(E2, E1, (size_t)nd * sizeof(float));
    projector_forward(&p, th, E1);
    CHECK(memcmp(E1, E2, (size_t)nd * sizeof(float)) == 0, "forward not deterministic");
    free(th);
    free(E1);
    free(E2);
    free(dE);
    free(g1);
    free(g2);
    projector_free(&p);
out:
    free(Z);
    csr_free(&P);
}

static void test_fast_matches_naive(void)
{
    const struct shape S[] = {
        {PROJ_MLP, 7, 9, 13, 6, 5, 2, 4, 4},         /* tiny, empty user, cold item */
        {PROJ_MLP, 30, 25, 40, 21, 16, 0, 24, 6},    /* H not a multiple of 8 */
        {PROJ_MLP, 64, 50, 72, 37, 64, 63, 0, 10},   /* d = 64 as in AlphaRec */
        {PROJ_MLP, 40, 33, 96, 48, 64, -1, -1, 8},   /* no empty rows */
        {PROJ_MLP, 1, 3, 5, 3, 2, 0, -1, 1},         /* the only user is empty */
        {PROJ_LINEAR, 7, 9, 13, 0, 5, 2, 4, 4},
        {PROJ_LINEAR, 45, 30, 50, 0, 64, 10, 29, 7},
    };
    for (size_t k = 0; k < sizeof S / sizeof S[0]; k++) check_fast_vs_naive(&S[k], 100 + k);
}

static void test_layout_and_errors(void)
{
    rng r;
    rng_seed(&r, 5);
    csr P;
    make_P(&P, 4, 6, -1, -1, 3, &r);
    float Z[6 * 10] = {0};
    projector p;
    ar_err e = {0};
    CHECK(projector_init(&p, PROJ_MLP, Z, 6, 10, 5, 3, &P, &e) == AR_OK, "%s", e.msg);
    CHECK(p.n_tensors == 4 && p.n_params == 10 * 5 + 5 + 5 * 3 + 3, "mlp n_params %lld", (long long)p.n_params);
    CHECK(p.offsets[1] == 50 && p.offsets[2] == 55 && p.offsets[3] == 70, "mlp offsets");
    CHECK(strcmp(p.names[0], "W1") == 0 && strcmp(p.names[3], "b2") == 0, "mlp names");
    CHECK(p.shapes[0][0] == 10 && p.shapes[0][1] == 5 && p.shapes[1][1] == 0 && p.shapes[2][0] == 5, "mlp shapes");
    CHECK(p.U == 4 && p.Pt.nrows == 6 && p.Pt.ncols == 4 && p.Pt.nnz == P.nnz, "Pt");
    projector_free(&p);
    CHECK(projector_init(&p, PROJ_LINEAR, Z, 6, 10, 999, 3, &P, &e) == AR_OK, "%s", e.msg);
    CHECK(p.n_tensors == 2 && p.n_params == 33 && p.offsets[1] == 30 && strcmp(p.names[0], "W") == 0, "linear");
    projector_free(&p);
    CHECK(projector_init(&p, PROJ_MLP, Z, 5, 10, 5, 3, &P, &e) != AR_OK && strstr(e.msg, "(4, 6)"),
          "mismatched I accepted: %s", e.msg);
    CHECK(projector_init(&p, 7, Z, 6, 10, 5, 3, &P, &e) == AR_EUSAGE, "bad kind accepted");
    CHECK(projector_init(&p, PROJ_MLP, Z, 6, 10, 0, 3, &P, &e) == AR_EUSAGE, "H 0 accepted");
    csr_free(&P);
}

static void test_reset(void)
{
    rng r;
    rng_seed(&r, 9);
    csr P;
    make_P(&P, 3, 4, -1, -1, 2, &r);
    const int64_t D = 400, H = 100, d = 64;
    float *Z = calloc((size_t)(4 * D), sizeof(float));
    for (int kind = 0; kind < 2; kind++) {
        projector p;
        ar_err e = {0};
        if (projector_init(&p, kind, Z, 4, D, H, d, &P, &e) != AR_OK) {
            CHECK(0, "init: %s", e.msg);
            continue;
        }
        float *a = malloc((size_t)p.n_params * sizeof(float)), *b = malloc((size_t)p.n_params * sizeof(float));
        rng r1, r2;
        rng_seed(&r1, 42);
        rng_seed(&r2, 42);
        projector_reset(&p, a, &r1);
        projector_reset(&p, b, &r2);
        CHECK(memcmp(a, b, (size_t)p.n_params * sizeof(float)) == 0, "reset not deterministic");
        rng_seed(&r2, 43);
        projector_reset(&p, b, &r2);
        CHECK(memcmp(a, b, (size_t)p.n_params * sizeof(float)) != 0, "seed ignored");
        for (int k = 0; k < p.n_tensors; k++) {
            /* fan_in = D for the first layer (W1, b1 / W, b), H for the second */
            double bound = 1.0 / sqrt((double)(k < 2 ? D : H));
            int64_t n = p.shapes[k][0] * (p.shapes[k][1] ? p.shapes[k][1] : 1);
            const float *x = a + p.offsets[k];
            double mx = 0, mean = 0;
            int inside = 1;
            for (int64_t j = 0; j < n; j++) {
                if (!(fabs(x[j]) <= bound)) inside = 0;
                if (fabs(x[j]) > mx) mx = fabs(x[j]);
                mean += x[j];
            }
            mean /= (double)n;
            CHECK(inside, "%s: value outside +-%g", p.names[k], bound);
            /* a uniform sample of n values reaches within 5% of the bound (n >= 64: fails w.p. < 4e-2^... ) */
            CHECK(mx > 0.9 * bound, "%s: max |x| %g far below bound %g", p.names[k], mx, bound);
            /* mean of n U(-a, a) values has sd a/sqrt(3n); 5 sd */
            CHECK(fabs(mean) < 5 * bound / sqrt(3.0 * (double)n), "%s: mean %g", p.names[k], mean);
        }
        /* the fixed order: the first W1 value is the first draw of the stream */
        rng_seed(&r1, 42);
        float first = (float)((2.0 * rng_double(&r1) - 1.0) / sqrt((double)D));
        CHECK(a[0] == first, "first weight %g, expected first draw %g", a[0], first);
        free(a);
        free(b);
        projector_free(&p);
    }
    free(Z);
    csr_free(&P);
}

/* sum(E * R) in double */
static double obj(const float *E, const float *R, int64_t n)
{
    double s = 0;
    for (int64_t j = 0; j < n; j++) s += (double)E[j] * R[j];
    return s;
}

/* Signs of the hidden pre-activations (from act) equal in A and B. */
static int same_pattern(const char *A, const char *B, int64_t n) { return memcmp(A, B, (size_t)n) == 0; }

static void pattern(const projector *p, char *out)
{
    int64_t n = (p->U + p->I) * p->H;
    for (int64_t j = 0; j < n; j++) out[j] = p->act[j] > 0.0f;
}

/* Central differences of sum(E * R); the objective is piecewise linear in every
 * single parameter (LeakyReLU is piecewise linear, E is linear in W2, b2), so with
 * an unchanged activation pattern the difference quotient is exact up to float
 * rounding. Perturbations that flip a pattern entry are skipped and counted. */
static void check_fd(int kind, uint64_t seed)
{
    rng r;
    rng_seed(&r, seed);
    const int64_t U = 6, I = 8, D = 7, H = 5, d = 3, N = U + I;
    csr P;
    make_P(&P, U, I, 1, 6, 4, &r);
    float Z[8 * 7];
    fill_unif(Z, I * D, 1.0, &r);
    projector p;
    ar_err e = {0};
    if (projector_init(&p, kind, Z, I, D, H, d, &P, &e) != AR_OK) {
        CHECK(0, "init: %s", e.msg);
        csr_free(&P);
        return;
    }
    int64_t np = p.n_params;
    float *th = malloc((size_t)np * sizeof(float)), *g = calloc((size_t)np, sizeof(float));
    float E[14 * 3], R[14 * 3], dE[14 * 3];
    projector_reset(&p, th, &r);
    for (int k = 1; k < p.n_tensors; k += 2) fill_unif(th + p.offsets[k], p.shapes[k][0], 0.5, &r);
    fill_unif(R, N * d, 1.0, &r);
    memcpy(dE, R, sizeof R);
    projector_forward(&p, th, E);
    projector_backward(&p, th, dE, g);
    int64_t nh = kind == PROJ_MLP ? N * H : 1;
    char *pat0 = calloc((size_t)nh, 1), *pat1 = calloc((size_t)nh, 1);
    if (kind == PROJ_MLP) pattern(&p, pat0);
    const float h = 1e-2f;
    int checked = 0, skipped = 0, bad = 0;
    for (int64_t j = 0; j < np; j++) {
        float keep = th[j];
        th[j] = keep + h;
        projector_forward(&p, th, E);
        double fp = obj(E, R, N * d);
        int ok = 1;
        if (kind == PROJ_MLP) { pattern(&p, pat1); ok = same_pattern(pat0, pat1, nh); }
        th[j] = keep - h;
        projector_forward(&p, th, E);
        double fm = obj(E, R, N * d);
        if (kind == PROJ_MLP) { pattern(&p, pat1); ok = ok && same_pattern(pat0, pat1, nh); }
        th[j] = keep;
        if (!ok) { skipped++; continue; }
        checked++;
        double fd = (fp - fm) / (2.0 * ((double)(keep + h) - (double)keep));
        if (fabs(fd - g[j]) > 2e-3 + 2e-3 * fabs(fd)) {
            if (bad++ < 5) printf("  %s param %lld: analytic %.7g, finite difference %.7g\n",
                                  kind ? "linear" : "mlp", (long long)j, g[j], fd);
        }
    }
    CHECK(bad == 0, "%d of %d gradient entries disagree with finite differences", bad, checked);
    CHECK(checked >= np * 3 / 4, "only %d of %lld parameters checked (%d kinks)", checked, (long long)np, skipped);
    free(pat0);
    free(pat1);
    free(th);
    free(g);
    projector_free(&p);
    csr_free(&P);
}

static void test_fd_mlp(void)
{
    check_fd(PROJ_MLP, 1);
    check_fd(PROJ_MLP, 2);
}
static void test_fd_linear(void) { check_fd(PROJ_LINEAR, 3); }

/* ---- end to end: projector -> propagation -> L2 normalisation -> InfoNCE ---- */

struct e2e {
    projector p;
    csr A;
    int64_t U, I, N, d;
    int L, K;
    int64_t B;
    const int32_t *users, *pos, *negs;
    float tau;
    float *E, *F, *Nn, *norms, *t1, *t2, *dN, *dF, *dE;
};

/* loss(params); if grad, also ADD its gradient into grad */
static double e2e_loss(struct e2e *m, const float *th, float *grad)
{
    const int64_t N = m->N, d = m->d, U = m->U;
    projector_forward(&m->p, th, m->E);
    csr_propagate(&m->A, m->E, d, m->L, m->F, m->t1, m->t2);
    l2norm_rows(m->F, N, d, m->Nn, m->norms);
    memset(m->dN, 0, (size_t)(N * d) * sizeof(float));
    double loss = loss_infonce(m->Nn, m->Nn + U * d, d, m->users, m->pos, m->negs, m->K, m->B, m->tau, m->dN,
                               m->dN + U * d);
    if (grad) {
        l2norm_rows_backward(m->Nn, m->norms, m->dN, N, d, m->dF);
        csr_propagate(&m->A, m->dF, d, m->L, m->dE, m->t1, m->t2); /* A symmetric: same operator */
        projector_backward(&m->p, th, m->dE, grad);
    }
    return loss;
}

static void check_e2e(int kind, uint64_t seed)
{
    rng r;
    rng_seed(&r, seed);
    enum { U = 7, I = 9, D = 8, H = 6, d = 4, B = 6, K = 5 };
    /* user 3 has no items, item 5 has no users (cold) */
    int32_t pairs[64][2];
    int64_t np = 0;
    for (int u = 0; u < U; u++) {
        if (u == 3) continue;
        int deg = 1 + (int)rng_below(&r, 3);
        for (int k = 0; k < deg; k++) {
            int32_t i = (int32_t)rng_below(&r, I);
            if (i == 5) i = 6;
            pairs[np][0] = u;
            pairs[np][1] = i;
            np++;
        }
    }
    ar_err e = {0};
    csr R, P;
    struct e2e m;
    memset(&m, 0, sizeof m);
    int ok = csr_from_pairs(&R, &pairs[0][0], np, U, I, &e) == AR_OK && csr_row_mean(&R, &P, &e) == AR_OK &&
             csr_norm_adj(&R, &m.A, &e) == AR_OK;
    CHECK(ok, "graph: %s", e.msg);
    if (!ok) return;
    float Z[I * D];
    fill_unif(Z, I * D, 1.0, &r);
    if (projector_init(&m.p, kind, Z, I, D, H, d, &P, &e) != AR_OK) {
        CHECK(0, "init: %s", e.msg);
        return;
    }
    int32_t users[B], pos[B], negs[B * K];
    for (int b = 0; b < B; b++) {
        int64_t t = (int64_t)rng_below(&r, (uint64_t)np);
        users[b] = pairs[t][0];
        pos[b] = pairs[t][1];
        for (int k = 0; k < K; k++) negs[b * K + k] = (int32_t)rng_below(&r, I); /* may hit the cold item */
    }
    m.U = U;
    m.I = I;
    m.N = U + I;
    m.d = d;
    m.L = 2;
    m.K = K;
    m.B = B;
    m.users = users;
    m.pos = pos;
    m.negs = negs;
    m.tau = 0.3f;
    size_t nd = (size_t)(m.N * d) * sizeof(float);
    m.E = malloc(nd), m.F = malloc(nd), m.Nn = malloc(nd), m.t1 = malloc(nd), m.t2 = malloc(nd);
    m.dN = malloc(nd), m.dF = malloc(nd), m.dE = malloc(nd);
    m.norms = malloc((size_t)m.N * sizeof(float));
    int64_t npar = m.p.n_params;
    float *th = malloc((size_t)npar * sizeof(float)), *g = calloc((size_t)npar, sizeof(float));
    float *v = malloc((size_t)npar * sizeof(float)), *tp = malloc((size_t)npar * sizeof(float));
    projector_reset(&m.p, th, &r);
    for (int k = 1; k < m.p.n_tensors; k += 2) fill_unif(th + m.p.offsets[k], m.p.shapes[k][0], 0.5, &r);
    e2e_loss(&m, th, g);
    int64_t nh = kind == PROJ_MLP ? m.N * H : 1;
    char *pat0 = calloc((size_t)nh, 1), *pat1 = calloc((size_t)nh, 1);
    if (kind == PROJ_MLP) pattern(&m.p, pat0);
    double gnorm = 0;
    for (int64_t j = 0; j < npar; j++) gnorm += (double)g[j] * g[j];
    gnorm = sqrt(gnorm);
    CHECK(gnorm > 1e-3, "gradient suspiciously small: %g", gnorm);
    /* directional derivatives along random unit directions, and along the gradient */
    int checked = 0, bad = 0;
    for (int t = 0; t < 12; t++) {
        double vn = 0;
        for (int64_t j = 0; j < npar; j++) {
            v[j] = t == 0 ? g[j] : (float)rng_normal(&r);
            vn += (double)v[j] * v[j];
        }
        vn = sqrt(vn);
        double gv = 0;
        for (int64_t j = 0; j < npar; j++) {
            v[j] = (float)(v[j] / vn);
            gv += (double)g[j] * v[j];
        }
        const double h = 2e-3;
        int same = 1;
        double f[2];
        for (int sgn = 0; sgn < 2; sgn++) {
            for (int64_t j = 0; j < npar; j++) tp[j] = th[j] + (float)((sgn ? -h : h) * v[j]);
            f[sgn] = e2e_loss(&m, tp, NULL);
            if (kind == PROJ_MLP) { pattern(&m.p, pat1); same = same && same_pattern(pat0, pat1, nh); }
        }
        if (!same) continue;
        checked++;
        double fd = (f[0] - f[1]) / (2 * h);
        if (fabs(fd - gv) > 2e-3 * gnorm + 2e-2 * fabs(gv)) {
            if (bad++ < 4) printf("  %s direction %d: analytic %.7g, finite difference %.7g\n", kind ? "linear" : "mlp", t,
                                  gv, fd);
        }
    }
    CHECK(bad == 0, "%d of %d directional derivatives disagree", bad, checked);
    CHECK(checked >= 8, "only %d directions free of LeakyReLU kinks", checked);
    free(pat0);
    free(pat1);
    free(th);
    free(g);
    free(v);
    free(tp);
    free(m.E), free(m.F), free(m.Nn), free(m.t1), free(m.t2), free(m.dN), free(m.dF), free(m.dE), free(m.norms);
    projector_free(&m.p);
    csr_free(&m.A);
    csr_free(&P);
    csr_free(&R);
}

static void test_fd_end_to_end(void)
{
    check_e2e(PROJ_MLP, 11);
    check_e2e(PROJ_MLP, 12);
    check_e2e(PROJ_LINEAR, 13);
}

/* projector_apply (rows, no graph) against its oracle; on the item text rows it
 * gives the item rows of projector_forward; all-zero rows stay zero. */
static void check_apply(int kind, uint64_t seed)
{
    rng r;
    rng_seed(&r, seed);
    const int64_t U = 9, I = 23, D = 37, H = 11, d = 5;
    csr P;
    make_P(&P, U, I, -1, -1, 4, &r);
    float *Z = malloc((size_t)(I * D) * sizeof(float));
    fill_unif(Z, I * D, 1.0, &r);
    memset(Z + 7 * D, 0, (size_t)D * sizeof(float)); /* a zero row */
    projector p;
    ar_err e = {0};
    int rc = projector_init(&p, kind, Z, I, D, H, d, &P, &e);
    CHECK(rc == AR_OK, "init: %s", e.msg);
    if (rc) {
        free(Z);
        csr_free(&P);
        return;
    }
    float *th = malloc((size_t)p.n_params * sizeof(float));
    projector_reset(&p, th, &r);
    for (int k = 1; k < p.n_tensors; k += 2) fill_unif(th + p.offsets[k], p.shapes[k][0], 0.5, &r);
    float *Y1 = malloc((size_t)(I * d) * sizeof(float)), *Y2 = malloc((size_t)(I * d) * sizeof(float));
    float *S = malloc((size_t)(I * H) * sizeof(float)), *E = malloc((size_t)((U + I) * d) * sizeof(float));
    projector_apply(kind, D, H, d, th, Z, I, Y1, S);
    projector_apply_naive(kind, D, H, d, th, Z, I, Y2);
    int64_t at;
    double w = worst(Y1, Y2, I * d, 1e-4, 1e-5, &at);
    CHECK(w <= 1.0, "%s: Y[%lld] fast %.8g naive %.8g", kind ? "linear" : "mlp", (long long)at,
          at >= 0 ? Y1[at] : 0.0, at >= 0 ? Y2[at] : 0.0);
    int zero = 1, nonzero = 0;
    for (int64_t c = 0; c < d; c++) zero &= Y1[7 * d + c] == 0.0f && Y2[7 * d + c] == 0.0f;
    for (int64_t c = 0; c < d; c++) nonzero |= Y1[8 * d + c] != 0.0f;
    CHECK(zero, "zero input row did not stay zero");
    CHECK(nonzero, "row 8 is zero (vacuous test)");
    /* the training forward's item rows are the same map (row 7 aside: g(0) != 0 there) */
    projector_forward(&p, th, E);
    for (int64_t c = 0; c < d; c++) Y1[7 * d + c] = E[(U + 7) * d + c];
    w = worst(Y1, E + U * d, I * d, 1e-5, 1e-6, &at);
    CHECK(w <= 1.0, "%s: apply vs forward item row entry %lld: %.8g vs %.8g", kind ? "linear" : "mlp", (long long)at,
          at >= 0 ? Y1[at] : 0.0, at >= 0 ? E[U * d + at] : 0.0);
    free(th);
    free(Y1);
    free(Y2);
    free(S);
    free(E);
    projector_free(&p);
    free(Z);
    csr_free(&P);
}

static void test_apply(void)
{
    check_apply(PROJ_MLP, 11);
    check_apply(PROJ_LINEAR, 12);
}

int main(void)
{
    RUN(test_apply);
    RUN(test_layout_and_errors);
    RUN(test_reset);
    RUN(test_fast_matches_naive);
    RUN(test_fd_mlp);
    RUN(test_fd_linear);
    RUN(test_fd_end_to_end);
    T_EXIT();
}
