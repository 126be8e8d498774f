/* adam.c - Adam as torch.optim.Adam (non-amsgrad, non-maximize) computes it.
 *
 * params, grad, m, v are flat (n) float vectors. Per step t (1-based):
 *   g  = grad + wd * p            (only when wd > 0; coupled L2, not AdamW)
 *   m  = b1 m + (1 - b1) g
 *   v  = b2 v + (1 - b2) g^2
 *   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * The scalars are formed in double and applied in float, elementwise, threaded
 * over a static split: the result does not depend on the thread count.
 */
#include "adam.h"

#include <math.h>
#include <stdlib.h>

int adam_init(adam *a, int64_t n, double lr, double wd, ar_err *e)
{
    a->lr = lr;
    a->b1 = 0.9;
    a->b2 = 0.999;
    a->eps = 1e-8;
    a->wd = wd;
    a->t = 0;
    a->n = 0;
    a->m = a->v = NULL;
    if (n < 0) return ar_fail(e, AR_EUSAGE, "adam: negative parameter count %lld", (long long)n);
    if (!(lr >= 0) || !isfinite(lr)) return ar_fail(e, AR_EUSAGE, "adam: learning rate %g is not a finite number >= 0", lr);
    if (!(wd >= 0) || !isfinite(wd)) return ar_fail(e, AR_EUSAGE, "adam: weight decay %g is not a finite number >= 0", wd);
    a->m = ar_calloc((size_t)n, sizeof *a->m, e);
    a->v = ar_calloc((size_t)n, sizeof *a->v, e);
    if (!a->m || !a->v) {
        adam_free(a);
        return AR_EDATA;
    }
    a->n = n;
    return AR_OK;
}

/* params, grad (n). grad is overwritten with the decayed gradient when wd > 0. */
void adam_step(adam *a, float *params, float *grad)
{
    a->t++;
    const double bc1 = 1.0 - pow(a->b1, (double)a->t);
    const double bc2 = 1.0 - pow(a->b2, (double)a->t);
    const float step = (float)(a->lr / bc1);
    const float bc2s = (float)sqrt(bc2);
    const float b2 = (float)a->b2, eps = (float)a->eps, wd = (float)a->wd;
    const float c1 = (float)(1.0 - a->b1), c2 = (float)(1.0 - a->b2);
    const int decay = a->wd > 0;
    float *m = a->m, *v = a->v;
    const int64_t n = a->n;
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float g = grad[i];
        if (decay) g += wd * params[i];
        grad[i] = g;
        float mi = m[i] + c1 * (g - m[i]); /* torch: m.lerp_(g, 1 - b1) */
        float vi = b2 * v[i] + c2 * g * g;
        m[i] = mi;
        v[i] = vi;
        params[i] -= step * (mi / (sqrtf(vi) / bc2s + eps));
    }
}

void adam_free(adam *a)
{
    if (!a) return;
    free(a->m);
    free(a->v);
    a->m = a->v = NULL;
    a->n = 0;
}
