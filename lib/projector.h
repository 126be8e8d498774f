/* projector.h - AlphaRec's language projector (spec.md 2.5), forward and backward.
 *
 * Legend: U users, I items, N = U + I, D text dim, H hidden, d output dim.
 * Z is (I, D) frozen item text vectors; P is the (U, I) user mean operator
 * (graph.mean); the user text vector is z_u = P Z (never formed: see below).
 * mlp:    g(z) = W2 LeakyReLU_0.01(W1 z + b1) + b2, W1 (D, H), b1 (H), W2 (H, d), b2 (d)
 * linear: g(z) = W z + b, W (D, d), b (d)
 * Output E = [g(z_u) for users; g(z_i) for items], (N, d) row-major.
 * The first (affine) layer is computed for items only; users' pre-activations are
 * P (Z W1 + b1), which equals W1 z_u + b1 exactly since P's rows sum to 1; a user
 * with no training items (empty row of P) gets z_u = 0, i.e. pre-activation b1.
 * Parameters live in one flat float vector in the order W1, b1, W2, b2 (mlp) or
 * W, b (linear); matrices row-major with shapes as above (x @ W convention, i.e.
 * W is the transpose of torch's Linear.weight).
 * Ownership: projector borrows Z and P; owns its caches; projector_free releases them.
 */
#ifndef AR_PROJECTOR_H
#define AR_PROJECTOR_H

#include "ar.h"
#include "csr.h"
#include "rng.h"

enum { PROJ_MLP = 0, PROJ_LINEAR = 1 };

typedef struct projector {
    int kind;
    int64_t U, I, D, H, d;
    const float *Z;  /* (I, D) borrowed */
    const csr *P;    /* (U, I) borrowed */
    csr Pt;          /* (I, U) owned transpose */
    int64_t n_params;
    int n_tensors;
    const char *names[4];
    int64_t shapes[4][2]; /* 1-d tensors have shapes[k][1] == 0 */
    int64_t offsets[4];
    float *pre;      /* NULL: not kept (leaky'(pre) is read from the sign of act) */
    float *act;      /* (N, H) activations (mlp) */
    float *dact;     /* (N, H) scratch (mlp); (I, d) scratch (linear) */
    float *part;     /* mlp backward: per-thread partial gW2, gb1, gb2 (part_nt threads) */
    int part_nt;
} projector;

/* H is ignored for linear. */
int projector_init(projector *p, int kind, const float *Z, int64_t I, int64_t D, int64_t H, int64_t d,
                   const csr *P, ar_err *e);
void projector_free(projector *p);
/* PyTorch's default nn.Linear init: every weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
void projector_reset(const projector *p, float *params, rng *r);
/* E (N, d) = projector applied to all users and items. Fills the caches. */
void projector_forward(projector *p, const float *params, float *E);
/* Given dE (N, d) (the caches of the last forward), ADD the parameter gradient into grad. */
void projector_backward(projector *p, const float *params, const float *dE, float *grad);
/* Y (n, d) = g(x) for each row x of X (n, D): the projector alone, no users, no
 * graph (e.g. to project a user's intention text, spec.md 2.6). params in the
 * layout above for (kind, D, H, d); scratch is (n, H) floats for mlp, unused for
 * linear. Rows of X that are all zero ("no vector") give zero rows of Y. */
void projector_apply(int kind, int64_t D, int64_t H, int64_t d, const float *params, const float *X, int64_t n,
                     float *Y, float *scratch);
void projector_apply_naive(int kind, int64_t D, int64_t H, int64_t d, const float *params, const float *X,
                           int64_t n, float *Y);
/* Oracles: z_u formed explicitly and every node projected directly, plain loops. */
void projector_forward_naive(const projector *p, const float *params, float *E);
void projector_backward_naive(const projector *p, const float *params, const float *dE, float *grad);

#endif
