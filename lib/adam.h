/* adam.h - Adam with bias correction, as torch.optim.Adam computes it:
 *   g += wd * p (coupled weight decay, only when wd > 0)
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * over a flat parameter vector (n floats). Threaded, elementwise, deterministic. */
#ifndef AR_ADAM_H
#define AR_ADAM_H

#include "ar.h"

typedef struct adam {
    double lr, b1, b2, eps, wd;
    int64_t t;   /* steps taken */
    int64_t n;
    float *m, *v;
} adam;

int adam_init(adam *a, int64_t n, double lr, double wd, ar_err *e); /* b1 .9, b2 .999, eps 1e-8 */
void adam_step(adam *a, float *params, float *grad);               /* grad may be modified */
void adam_free(adam *a);

#endif
