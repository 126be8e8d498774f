/* train.c - the ar-train training loop (see train.h; spec.md 2.3-2.5, 3.1).
 *
 * Buffers (N = U + I rows, d columns, row-major float32):
 *   E      ego embeddings: the ID tables themselves (params) or the projector output
 *   F      propagated vectors; Y = L2-normalised F (InfoNCE models)
 *   dY, dF, dE  gradients; dY/dF are kept zero between steps (only batch rows are
 *          touched, so they are cleared row by row when that is cheaper than memset)
 *   T1, T2 propagation scratch
 * Training steps propagate through the restricted kernels (csr_propagate_sel,
 * csr_propagate_back_sel): F is computed only on the batch rows the loss reads
 * (the other rows of F are stale), dE on all rows; both bit-identical to the full
 * csr_propagate, which evaluation uses. AR_FULL_PROPAGATION=1 in the environment
 * makes training use the full propagation too (a debugging switch: same results,
 * slower).
 * Everything random comes from the master rng through rng_split streams, so a run
 * is a function of (seed, data, config, thread count) only.
 */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adam.h"
#include "csr.h"
#include "dataset.h"
#include "io.h"
#include "loss.h"
#include "metrics.h"
#include "npy.h"
#include "projector.h"
#include "rank.h"
#include "rng.h"
#include "sampler.h"

typedef struct trainer {
    train_config *c;
    const train_opts *o;
    dataset ds;
    graph g;
    csr R, Rv, Rt;       /* (U, I) train, valid, test pairs (distinct, sorted rows) */
    int64_t U, I, N, d;
    int has_ds, has_g, has_R, has_Rv, has_Rt;
    ar_array text;       /* (I, D) alpharec */
    npz_file init_z;     /* --init model, read in load_inputs, applied in apply_init */
    char *init_file;
    int has_init;
    projector proj;
    int has_proj;
    sampler smp;
    int has_smp;
    csr_sel *sel;        /* restricted propagation; NULL: full (AR_FULL_PROPAGATION=1) */
    float *params;       /* ID: (N, d) tables; alpharec: projector parameters */
    int64_t n_params;
    adam opt;
    int has_opt;
    float *E, *F, *Y, *norms, *dY, *dF, *dE, *T1, *T2, *grad, *V, *best;
    int32_t *users, *pos, *negs;
    rng master;
    /* evaluation */
    int ks[CONFIG_MAX_MONITORS], nk, kmax, mon_j[CONFIG_MAX_MONITORS];
    int32_t *vusers, *tusers;
    int64_t n_vusers, n_tusers;
    int best_epoch;
    double best_metric;
    double best_valid[CONFIG_MAX_MONITORS];
    /* log */
    char **log;
    int n_log, cap_log;
    /* timing */
    double t_start, train_secs, eval_secs;
    int epochs_run, evals_run, start_epoch;
} trainer;

static char *path_join(const char *dir, const char *name, ar_err *e)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = ar_malloc(n, e);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* ---------------------------------------------------------------- setup ---- */

/* A model.npz path, or DIR/model.npz when p is a directory (caller frees). */
static char *model_file(const char *p, ar_err *e)
{
    struct stat st;
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) return path_join(p, "model.npz", e);
    return ar_strdup(p, e);
}

/* n floats, zeroed when zero. Large buffers are 2 MiB aligned and offered to
 * transparent huge pages: the propagation gathers rows all over them, and with
 * 4 KiB pages most of those gathers also miss the TLB. Release with free(). */
static float *alloc_rows(size_t n, int zero, ar_err *e)
{
    const size_t bytes = n * sizeof(float);
    if (bytes >= ((size_t)4 << 20)) {
        void *p = NULL;
        if (posix_memalign(&p, (size_t)2 << 20, bytes) == 0) {
#ifdef MADV_HUGEPAGE
            (void)madvise(p, bytes, MADV_HUGEPAGE); /* a hint: fine if refused */
#endif
            if (zero) memset(p, 0, bytes);
            return p;
        }
    }
    return zero ? ar_calloc(n, sizeof(float), e) : ar_malloc(bytes, e);
}

/* CSR (U, I) of the pairs of a split. */
static int split_csr(const ar_array *a, int64_t U, int64_t I, csr *m, ar_err *e)
{
    return csr_from_pairs(m, (const int32_t *)a->data, a->shape[0], U, I, e);
}

/* Rows of m with at least one entry. */
static int nonempty_rows(const csr *m, int32_t **out, int64_t *n, ar_err *e)
{
    int64_t c = 0;
    for (int64_t u = 0; u < m->nrows; u++) c += m->indptr[u + 1] > m->indptr[u];
    *out = ar_malloc((size_t)(c > 0 ? c : 1) * sizeof **out, e);
    if (!*out) return AR_EDATA;
    c = 0;
    for (int64_t u = 0; u < m->nrows; u++)
        if (m->indptr[u + 1] > m->indptr[u]) (*out)[c++] = (int32_t)u;
    *n = c;
    return AR_OK;
}

static int load_inputs(trainer *t, ar_err *e)
{
    train_config *c = t->c;
    const train_opts *o = t->o;
    int rc = dataset_load(o->data_dir, &t->ds, 0, e);
    if (rc) return rc;
    t->has_ds = 1;
    t->U = t->ds.n_users;
    t->I = t->ds.n_items;
    t->N = t->U + t->I;
    t->d = c->embedding_dim;
    if (t->ds.train.shape[0] == 0)
        return ar_fail(e, AR_EDATA, "%s/train.npy: no training interactions", o->data_dir);
    if (t->ds.valid.shape[0] == 0)
        return ar_fail(e, AR_EDATA, "%s/valid.npy: no validation interactions (ar-train selects the best epoch on them)",
                       o->data_dir);
    rc = graph_load(o->graph_path, &t->g, e);
    if (rc) return rc;
    t->has_g = 1;
    if (t->g.n_users != t->U || t->g.n_items != t->I || t->g.adj.nrows != t->N || t->g.adj.ncols != t->N)
        return ar_fail(e, AR_EDATA,
                       "%s: graph has %lld users and %lld items (%lld x %lld adjacency), but dataset %s has %lld users "
                       "and %lld items (rebuild it with ar-graph --data %s)",
                       o->graph_path, (long long)t->g.n_users, (long long)t->g.n_items, (long long)t->g.adj.nrows,
                       (long long)t->g.adj.ncols, o->data_dir, (long long)t->U, (long long)t->I, o->data_dir);
    if (c->model == MODEL_ALPHAREC &&
        (t->g.mean.nrows != t->U || t->g.mean.ncols != t->I))
        return ar_fail(e, AR_EDATA, "%s: user mean operator is %lld x %lld, expected %lld x %lld", o->graph_path,
                       (long long)t->g.mean.nrows, (long long)t->g.mean.ncols, (long long)t->U, (long long)t->I);
    if ((rc = split_csr(&t->ds.train, t->U, t->I, &t->R, e))) return rc;
    t->has_R = 1;
    if ((rc = split_csr(&t->ds.valid, t->U, t->I, &t->Rv, e))) return rc;
    t->has_Rv = 1;
    if ((rc = split_csr(&t->ds.test, t->U, t->I, &t->Rt, e))) return rc;
    t->has_Rt = 1;

    if (o->init_path) {
        if (!(t->init_file = model_file(o->init_path, e))) return AR_EDATA;
        if ((rc = npz_read(t->init_file, &t->init_z, e))) return rc;
        t->has_init = 1;
        /* an mlp's hidden size follows the model unless the config sets one */
        ar_array *w1 = npz_get(&t->init_z, "W1");
        if (c->model == MODEL_ALPHAREC && c->projector == PROJ_MLP && c->hidden == 0 && w1 && w1->ndim == 2 &&
            w1->shape[1] > 0 && w1->shape[1] <= INT32_MAX)
            c->hidden = (int)w1->shape[1];
    }
    if (c->model == MODEL_ALPHAREC) {
        if (!c->text[0])
            return ar_fail(e, AR_EUSAGE, "%s: model \"alpharec\" needs item text vectors: key \"text\" or --text FILE",
                           o->config_src);
        if ((rc = npy_read_as(c->text, AR_F32, 2, &t->text, e))) return rc;
        if (t->text.shape[0] != t->I)
            return ar_fail(e, AR_EDATA, "%s: %lld rows of text vectors, but the dataset has %lld items", c->text,
                           (long long)t->text.shape[0], (long long)t->I);
        if (t->text.shape[1] < 1) return ar_fail(e, AR_EDATA, "%s: text vectors have no columns", c->text);
        if ((rc = ar_check_finite(t->text.data, t->text.shape[0], t->text.shape[1], c->text, e))) return rc;
        if (c->projector == PROJ_MLP && c->hidden == 0) c->hidden = (int)(t->text.shape[1] / 2 > 0 ? t->text.shape[1] / 2 : 1);
        if (c->projector == PROJ_LINEAR) c->hidden = 0;
    } else if (c->text[0]) {
        ar_log("note: model \"%s\" does not use text vectors; ignoring %s", config_model_name(c->model), c->text);
    }
    return AR_OK;
}

static int alloc_state(trainer *t, ar_err *e)
{
    train_config *c = t->c;
    size_t nd = (size_t)(t->N * t->d);
    int rc;
    if (c->model == MODEL_ALPHAREC) {
        rc = projector_init(&t->proj, c->projector, t->text.data, t->I, t->text.shape[1], c->hidden, t->d, &t->g.mean, e);
        if (rc) return rc;
        t->has_proj = 1;
        t->n_params = t->proj.n_params;
        t->E = alloc_rows(nd, 0, e);
        t->grad = ar_malloc((size_t)t->n_params * sizeof(float), e);
        if (!t->E || !t->grad) return AR_EDATA;
    } else {
        t->n_params = (int64_t)nd;
    }
    t->params = c->model == MODEL_ALPHAREC ? ar_calloc((size_t)t->n_params, sizeof(float), e)
                                           : alloc_rows((size_t)t->n_params, 1, e);
    if (!t->params) return AR_EDATA;
    if (c->model != MODEL_ALPHAREC) t->E = t->params;
    t->F = alloc_rows(nd, 1, e); /* zeroed: rows outside a batch stay finite (InfoNCE normalises all) */
    t->dF = alloc_rows(nd, 1, e);
    t->dE = alloc_rows(nd, 0, e);
    t->V = ar_malloc(nd * sizeof(float), e);
    t->best = ar_malloc(nd * sizeof(float), e);
    if (!t->F || !t->dF || !t->dE || !t->V || !t->best) return AR_EDATA;
    if (c->num_layers >= 2 && !(t->T1 = alloc_rows(nd, 0, e))) return AR_EDATA;
    if (c->num_layers >= 3 && !(t->T2 = alloc_rows(nd, 0, e))) return AR_EDATA;
    if (c->cosine) { /* the loss reads unit rows Y = F / |F| */
        t->Y = alloc_rows(nd, 0, e);
        t->dY = alloc_rows(nd, 1, e);
        t->norms = ar_malloc((size_t)t->N * sizeof(float), e);
        if (!t->Y || !t->dY || !t->norms) return AR_EDATA;
    }
    int64_t B = c->batch_size;
    t->users = ar_malloc((size_t)B * sizeof(int32_t), e);
    t->pos = ar_malloc((size_t)B * sizeof(int32_t), e);
    t->negs = ar_malloc((size_t)(B * c->num_negs) * sizeof(int32_t), e);
    if (!t->users || !t->pos || !t->negs) return AR_EDATA;
    if ((rc = adam_init(&t->opt, t->n_params, c->lr, c->wd_mode == WD_ADAM ? c->weight_decay : 0.0, e))) return rc;
    t->has_opt = 1;
    if ((rc = sampler_init(&t->smp, &t->R, e))) return rc;
    t->has_smp = 1;
    const char *full = getenv("AR_FULL_PROPAGATION");
    if (!(full && full[0] && strcmp(full, "0") != 0)) {
        ar_err e2 = {0};
        rc = csr_sel_init(&t->sel, &t->g.adj, &e2);
        if (rc == AR_EUSAGE) ar_log("note: full propagation in training (%s)", e2.msg);
        else if (rc) return ar_fail(e, rc, "%s", e2.msg);
    }

    /* evaluation: the distinct Ks of the monitors */
    t->nk = 0;
    t->kmax = 0;
    for (int i = 0; i < c->n_monitors; i++) {
        int j = 0;
        while (j < t->nk && t->ks[j] != c->mon_k[i]) j++;
        if (j == t->nk) t->ks[t->nk++] = c->mon_k[i];
        t->mon_j[i] = j;
        if (c->mon_k[i] > t->kmax) t->kmax = c->mon_k[i];
    }
    if ((rc = nonempty_rows(&t->Rv, &t->vusers, &t->n_vusers, e))) return rc;
    if ((rc = nonempty_rows(&t->Rt, &t->tusers, &t->n_tusers, e))) return rc;
    return AR_OK;
}

/* Fresh parameters from stream 0 of the master rng. */
static void init_params(trainer *t)
{
    rng r;
    rng_split(&t->master, 0, &r);
    if (t->c->model == MODEL_ALPHAREC) {
        projector_reset(&t->proj, t->params, &r);
    } else {
        /* E is (N, d): users then items, N(0, init_std) in row order */
        for (int64_t x = 0; x < t->n_params; x++) t->params[x] = (float)(t->c->init_std * rng_normal(&r));
    }
}

/* ------------------------------------------------------------ the model ---- */

/* E (N, d) from the parameters, then F (N, d) = propagate(A, E). */
static void forward(trainer *t)
{
    if (t->c->model == MODEL_ALPHAREC) projector_forward(&t->proj, t->params, t->E);
    csr_propagate(&t->g.adj, t->E, t->d, t->c->num_layers, t->F, t->T1, t->T2);
}

/* Training forward for a batch of B rows: F only on the rows the loss reads
 * (users, U + positives, U + negatives) when the restricted path is on. */
static void forward_batch(trainer *t, int64_t B, int K)
{
    if (!t->sel) {
        forward(t);
        return;
    }
    if (t->c->model == MODEL_ALPHAREC) projector_forward(&t->proj, t->params, t->E);
    ar_err e = {0}; /* ids come from the sampler: always in range */
    csr_sel_clear(t->sel);
    csr_sel_add(t->sel, t->users, B, 0, &e);
    csr_sel_add(t->sel, t->pos, B, t->U, &e);
    if (K > 0) csr_sel_add(t->sel, t->negs, B * K, t->U, &e);
    csr_propagate_sel(t->sel, t->E, t->d, t->c->num_layers, t->F, t->T1, t->T2);
}

/* dE (N, d) = propagate(A, dF); dF is zero outside the batch rows. */
static void backward(trainer *t)
{
    if (t->sel) csr_propagate_back_sel(t->sel, t->dF, t->d, t->c->num_layers, t->dE, t->T1, t->T2);
    else csr_propagate(&t->g.adj, t->dF, t->d, t->c->num_layers, t->dE, t->T1, t->T2);
}

/* Zero the rows of X (N, d) a batch touched (users; items U+pos, U+negs). */
static void clear_rows(trainer *t, float *X, int64_t B, int K)
{
    int64_t d = t->d;
    if (B * (K + 2) >= t->N / 2) {
        memset(X, 0, (size_t)(t->N * d) * sizeof(float));
        return;
    }
    for (int64_t b = 0; b < B; b++) {
        memset(X + (int64_t)t->users[b] * d, 0, (size_t)d * sizeof(float));
        memset(X + (t->U + t->pos[b]) * d, 0, (size_t)d * sizeof(float));
        for (int k = 0; k < K; k++) memset(X + (t->U + t->negs[b * K + k]) * d, 0, (size_t)d * sizeof(float));
    }
}

/* One optimisation step on a batch of B rows already sampled; returns the loss. */
static double step(trainer *t, int64_t B)
{
    train_config *c = t->c;
    int64_t U = t->U, d = t->d;
    int K = c->num_negs;
    double loss;
    forward_batch(t, B, K);
    /* S = the scored rows: F (dot) or Y = F / |F| row-wise (cosine; only batch rows
     * are read). Their gradient dS (dF or dY) is zero here. */
    float *S = t->F, *dS = t->dF;
    if (c->cosine) {
        l2norm_rows(t->F, t->N, d, t->Y, t->norms);
        S = t->Y;
        dS = t->dY;
    }
    if (c->model == MODEL_LIGHTGCN)
        loss = loss_bpr(S, S + U * d, d, t->users, t->pos, t->negs, B, dS, dS + U * d);
    else
        loss = loss_infonce(S, S + U * d, d, t->users, t->pos, t->negs, K, B, (float)c->tau, dS, dS + U * d);
    if (c->cosine) {
        /* writes every row of dF: exactly +0 outside the batch rows */
        l2norm_rows_backward(t->Y, t->norms, t->dY, t->N, d, t->dF);
        clear_rows(t, t->dY, B, K);
    }
    backward(t);
    if (!c->cosine) clear_rows(t, t->dF, B, K);
    if (c->wd_mode == WD_L2 && c->weight_decay > 0 && c->model != MODEL_ALPHAREC) {
        /* batch L2 on the ego rows (ID tables), gradient into dE */
        loss += loss_l2_batch(t->E, t->E + U * d, d, t->users, t->pos, t->negs, K, B, c->weight_decay, t->dE,
                              t->dE + U * d);
    }
    float *g = t->dE;
    if (c->model == MODEL_ALPHAREC) {
        memset(t->grad, 0, (size_t)t->n_params * sizeof(float));
        projector_backward(&t->proj, t->params, t->dE, t->grad);
        g = t->grad;
    }
    adam_step(&t->opt, t->params, g);
    return loss;
}

/* V (N, d) = the vectors that are scored: F, unit rows for cosine. */
static void final_vectors(trainer *t, float *V)
{
    forward(t);
    if (t->c->cosine) {
        l2norm_rows(t->F, t->N, t->d, V, t->norms); /* norms allocated for every cosine model */
    } else {
        memcpy(V, t->F, (size_t)(t->N * t->d) * sizeof(float));
    }
}

/* ----------------------------------------------------------- evaluation ---- */

typedef struct eval_ctx {
    const csr *truth;
    const int *ks;
    int nk;
    metrics_acc acc;
    double vals[M_COUNT * METRICS_MAXK];
} eval_ctx;

static int eval_emit(void *vctx, int32_t user, const int32_t *items, const float *scores, int n)
{
    (void)scores;
    eval_ctx *x = vctx;
    const csr *T = x->truth;
    int64_t a = T->indptr[user], b = T->indptr[user + 1];
    metrics_user(items, n, T->indices + a, (int)(b - a), x->ks, x->nk, x->vals);
    metrics_add(&x->acc, x->vals);
    return 0;
}

/* Metrics of the monitors (out, n_monitors) for vectors V (N, d): rank users[] by
 * dot product of V's rows (exactly what ar-rank does on the saved files). */
static int evaluate(trainer *t, const float *V, const int32_t *users, int64_t nq, const csr *truth, int test,
                    double *out, ar_err *e)
{
    eval_ctx x;
    x.truth = truth;
    x.ks = t->ks;
    x.nk = t->nk;
    int rc = metrics_init(&x.acc, t->ks, t->nk, e);
    if (rc) return rc;
    const csr *masks[2] = {&t->R, &t->Rv};
    int nmask = t->ds.has_duplicates ? 0 : (test ? 2 : 1);
    rank_opts ro = {.k = t->kmax, .cosine = 0, .block = 0};
    rc = rank_topk(V, t->U, V + t->U * t->d, t->I, t->d, users, nq, masks, nmask, &ro, eval_emit, &x, e);
    if (rc) return rc;
    for (int i = 0; i < t->c->n_monitors; i++) out[i] = metrics_mean(&x.acc, t->c->mon_metric[i], t->mon_j[i]);
    return AR_OK;
}

/* ------------------------------------------------------------ run files ---- */

static int scalar_i64(ar_array *a, int64_t *v)
{
    memset(a, 0, sizeof *a);
    a->dtype = AR_I64;
    a->ndim = 0;
    a->itemsize = 8;
    a->data = v;
    return 0;
}

static void view_f32(ar_array *a, float *p, int ndim, int64_t r, int64_t cols)
{
    memset(a, 0, sizeof *a);
    a->dtype = AR_F32;
    a->ndim = ndim;
    a->shape[0] = r;
    a->shape[1] = cols;
    a->itemsize = 4;
    a->data = p;
}

static int write_checkpoint(trainer *t, int epoch, ar_err *e)
{
    train_config *c = t->c;
    enum { MAXA = 20 };
    const char *names[MAXA];
    ar_array arr[MAXA];
    int n = 0;
    if (c->model == MODEL_ALPHAREC) {
        for (int k = 0; k < t->proj.n_tensors; k++) {
            names[n] = t->proj.names[k];
            int nd = t->proj.shapes[k][1] ? 2 : 1;
            view_f32(&arr[n++], t->params + t->proj.offsets[k], nd, t->proj.shapes[k][0], t->proj.shapes[k][1]);
        }
    } else {
        names[n] = "user_emb";
        view_f32(&arr[n++], t->params, 2, t->U, t->d);
        names[n] = "item_emb";
        view_f32(&arr[n++], t->params + t->U * t->d, 2, t->I, t->d);
    }
    names[n] = "adam_m";
    view_f32(&arr[n++], t->opt.m, 1, t->n_params, 0);
    names[n] = "adam_v";
    view_f32(&arr[n++], t->opt.v, 1, t->n_params, 0);
    int64_t adam_t = t->opt.t, ep = epoch, seed = (int64_t)c->seed, best_epoch = t->best_epoch;
    int64_t rs[4];
    memcpy(rs, t->master.s, sizeof rs);
    double bm = t->best_metric;
    names[n] = "adam_t";
    scalar_i64(&arr[n++], &adam_t);
    names[n] = "epoch";
    scalar_i64(&arr[n++], &ep);
    names[n] = "seed";
    scalar_i64(&arr[n++], &seed);
    names[n] = "best_epoch";
    scalar_i64(&arr[n++], &best_epoch);
    names[n] = "rng";
    scalar_i64(&arr[n], rs);
    arr[n].ndim = 1;
    arr[n++].shape[0] = 4;
    names[n] = "best_metric";
    memset(&arr[n], 0, sizeof arr[n]);
    arr[n].dtype = AR_F64;
    arr[n].itemsize = 8;
    arr[n++].data = &bm;
    names[n] = "best_valid";
    memset(&arr[n], 0, sizeof arr[n]);
    arr[n].dtype = AR_F64;
    arr[n].itemsize = 8;
    arr[n].ndim = 1;
    arr[n].shape[0] = c->n_monitors;
    arr[n++].data = t->best_valid;
    cJSON *cj = config_to_json(c);
    char *cs = cj ? cJSON_PrintUnformatted(cj) : NULL;
    cJSON_Delete(cj);
    if (!cs) return ar_fail(e, AR_EDATA, "out of memory");
    names[n] = "config";
    int rc = ar_array_str(&arr[n], cs, e);
    cJSON_free(cs);
    if (rc) return rc;
    int str_idx = n++;
    char *path = path_join(t->o->out_dir, "model.npz", e);
    if (!path) {
        ar_array_free(&arr[str_idx]);
        return AR_EDATA;
    }
    rc = npz_write(path, n, names, arr, 0, e);
    ar_array_free(&arr[str_idx]);
    free(path);
    return rc;
}

static int write_best(trainer *t, ar_err *e)
{
    char *pu = path_join(t->o->out_dir, "user_emb.npy", e);
    char *pi = path_join(t->o->out_dir, "item_emb.npy", e);
    int rc = AR_EDATA;
    if (pu && pi) {
        rc = npy_write_f32(pu, t->best, t->U, t->d, e);
        if (!rc) rc = npy_write_f32(pi, t->best + t->U * t->d, t->I, t->d, e);
    }
    free(pu);
    free(pi);
    return rc;
}

static int write_log(trainer *t, ar_err *e)
{
    char *p = path_join(t->o->out_dir, "log.jsonl", e);
    if (!p) return AR_EDATA;
    ar_out out;
    int rc = ar_out_open(&out, p, 0, e);
    free(p);
    if (rc) return rc;
    for (int i = 0; i < t->n_log && !rc; i++) rc = ar_out_printf(&out, e, "%s\n", t->log[i]);
    if (!rc) return ar_out_commit(&out, e);
    ar_out_abort(&out);
    return rc;
}

static int log_push(trainer *t, char *line, ar_err *e)
{
    if (t->n_log == t->cap_log) {
        int cap = t->cap_log ? 2 * t->cap_log : 64;
        char **nl = ar_realloc(t->log, (size_t)cap * sizeof *nl, e);
        if (!nl) {
            free(line);
            return AR_EDATA;
        }
        t->log = nl;
        t->cap_log = cap;
    }
    t->log[t->n_log++] = line;
    return AR_OK;
}

static cJSON *metrics_json(const train_config *c, const double *v)
{
    cJSON *m = cJSON_CreateObject();
    for (int i = 0; m && i < c->n_monitors; i++) {
        char nm[32];
        config_monitor_name(c, i, nm, sizeof nm);
        cJSON_AddNumberToObject(m, nm, v[i]);
    }
    return m;
}

/* ---------------------------------------------------------------- resume ---- */

static int npz_need(npz_file *z, const char *name, ar_dtype dt, int ndim, const int64_t *shape, const char *path,
                    ar_array **out, ar_err *e)
{
    ar_array *a = npz_get(z, name);
    if (!a) return ar_fail(e, AR_EDATA, "%s: array \"%s\" missing", path, name);
    if (a->ndim != ndim) return ar_fail(e, AR_EDATA, "%s: array \"%s\" has %d dimensions, expected %d", path, name, a->ndim, ndim);
    for (int k = 0; k < ndim; k++)
        if (shape[k] != a->shape[k])
            return ar_fail(e, AR_EDATA,
                           "%s: array \"%s\" has shape[%d] = %lld, expected %lld (does the config match the checkpoint?)",
                           path, name, k, (long long)a->shape[k], (long long)shape[k]);
    int rc = ar_array_cast(a, dt, name, e);
    if (rc) return ar_wrap(e, "%s", path);
    *out = a;
    return AR_OK;
}

static int npz_scalar_i64(npz_file *z, const char *name, const char *path, int64_t *v, ar_err *e)
{
    ar_array *a;
    int rc = npz_need(z, name, AR_I64, 0, NULL, path, &a, e);
    if (!rc) *v = *(int64_t *)a->data;
    return rc;
}

/* Config string of a checkpoint (caller frees). */
static int npz_config_string(npz_file *z, const char *path, char **out, ar_err *e)
{
    ar_array *a = npz_get(z, "config");
    if (!a || a->dtype != AR_STR || a->ndim != 0)
        return ar_fail(e, AR_EDATA, "%s: array \"config\" missing (not an ar-train checkpoint?)", path);
    size_t nch = a->itemsize / 4;
    char *s = ar_malloc(nch + 1, e);
    if (!s) return AR_EDATA;
    const unsigned char *p = a->data;
    size_t n = 0;
    for (size_t i = 0; i < nch; i++) {
        uint32_t ch = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                      (uint32_t)p[4 * i + 3] << 24;
        if (ch == 0) break;
        s[n++] = ch < 128 ? (char)ch : '?';
    }
    s[n] = 0;
    *out = s;
    return AR_OK;
}

/* Parameters from the --init model (names and shapes must match this model's). */
static int apply_init(trainer *t, ar_err *e)
{
    train_config *c = t->c;
    const char *path = t->init_file;
    int n = c->model == MODEL_ALPHAREC ? t->proj.n_tensors : 2;
    for (int k = 0; k < n; k++) {
        const char *name;
        int64_t shape[2], off;
        if (c->model == MODEL_ALPHAREC) {
            name = t->proj.names[k];
            shape[0] = t->proj.shapes[k][0];
            shape[1] = t->proj.shapes[k][1];
            off = t->proj.offsets[k];
        } else {
            name = k == 0 ? "user_emb" : "item_emb";
            shape[0] = k == 0 ? t->U : t->I;
            shape[1] = t->d;
            off = k == 0 ? 0 : t->U * t->d;
        }
        if (!npz_get(&t->init_z, name))
            return ar_fail(e, AR_EDATA, "%s: array \"%s\" missing: --init needs a model with the parameters of "
                           "model \"%s\"%s", path, name, config_model_name(c->model),
                           c->model != MODEL_ALPHAREC ? " on the same dataset"
                           : c->projector == PROJ_MLP ? " with projector mlp" : " with projector linear");
        ar_array *a;
        int rc = npz_need(&t->init_z, name, AR_F32, shape[1] ? 2 : 1, shape, path, &a, e);
        if (rc) return rc;
        int64_t m = ar_array_numel(a);
        char what[512];
        snprintf(what, sizeof what, "%s: array \"%s\"", path, name);
        if ((rc = ar_check_finite(a->data, shape[1] ? shape[0] : 1, shape[1] ? shape[1] : shape[0], what, e))) return rc;
        memcpy(t->params + off, a->data, (size_t)m * sizeof(float));
    }
    npz_free(&t->init_z);
    t->has_init = 0;
    ar_log("initial parameters from %s", path);
    return AR_OK;
}

int train_config_from_run(train_config *c, const char *rundir, ar_err *e)
{
    char *path = path_join(rundir, "model.npz", e);
    if (!path) return AR_EDATA;
    npz_file z;
    int rc = npz_read(path, &z, e);
    if (!rc) {
        char *s = NULL;
        rc = npz_config_string(&z, path, &s, e);
        if (!rc) {
            char src[4200];
            snprintf(src, sizeof src, "%s (config)", path);
            rc = config_apply_text(c, s, strlen(s), src, e);
            /* the checkpoint records the resolved hidden size; keep "0 = default" semantics */
        }
        free(s);
        npz_free(&z);
    }
    free(path);
    return rc;
}

static int load_checkpoint(trainer *t, ar_err *e)
{
    train_config *c = t->c;
    const char *dir = t->o->resume_dir;
    char *path = path_join(dir, "model.npz", e);
    if (!path) return AR_EDATA;
    npz_file z;
    memset(&z, 0, sizeof z);
    int rc = npz_read(path, &z, e);
    if (rc) {
        free(path);
        return rc;
    }
    ar_array *a;
    int64_t v;
    if (c->model == MODEL_ALPHAREC) {
        for (int k = 0; k < t->proj.n_tensors && !rc; k++) {
            int nd = t->proj.shapes[k][1] ? 2 : 1;
            rc = npz_need(&z, t->proj.names[k], AR_F32, nd, t->proj.shapes[k], path, &a, e);
            if (!rc) memcpy(t->params + t->proj.offsets[k], a->data, (size_t)ar_array_numel(a) * sizeof(float));
        }
    } else {
        int64_t su[2] = {t->U, t->d}, si[2] = {t->I, t->d};
        if (!npz_get(&z, "user_emb"))
            rc = ar_fail(e, AR_EDATA, "%s: array \"user_emb\" missing: the checkpoint is not of model \"%s\"", path,
                         config_model_name(c->model));
        if (!rc && !(rc = npz_need(&z, "user_emb", AR_F32, 2, su, path, &a, e)))
            memcpy(t->params, a->data, (size_t)(t->U * t->d) * sizeof(float));
        if (!rc && !(rc = npz_need(&z, "item_emb", AR_F32, 2, si, path, &a, e)))
            memcpy(t->params + t->U * t->d, a->data, (size_t)(t->I * t->d) * sizeof(float));
    }
    int64_t sp[1] = {t->n_params}, s4[1] = {4}, sm[1] = {c->n_monitors};
    if (!rc && !(rc = npz_need(&z, "adam_m", AR_F32, 1, sp, path, &a, e)))
        memcpy(t->opt.m, a->data, (size_t)t->n_params * sizeof(float));
    if (!rc && !(rc = npz_need(&z, "adam_v", AR_F32, 1, sp, path, &a, e)))
        memcpy(t->opt.v, a->data, (size_t)t->n_params * sizeof(float));
    if (!rc && !(rc = npz_scalar_i64(&z, "adam_t", path, &v, e))) t->opt.t = v;
    if (!rc && !(rc = npz_scalar_i64(&z, "seed", path, &v, e))) {
        if (!(c->set & (1u << CK_SEED))) c->seed = (uint64_t)v;
        else if ((uint64_t)v != c->seed)
            rc = ar_fail(e, AR_EUSAGE, "%s: checkpoint was trained with seed %lld, not %llu (drop --seed or give the same)",
                         path, (long long)v, (unsigned long long)c->seed);
    }
    if (!rc && !(rc = npz_scalar_i64(&z, "epoch", path, &v, e))) {
        if (v < 0 || v > c->epochs)
            rc = ar_fail(e, AR_EUSAGE, "%s: checkpoint is at epoch %lld, beyond epochs = %d (raise it with --set epochs=N)",
                         path, (long long)v, c->epochs);
        t->start_epoch = (int)v;
    }
    if (!rc && !(rc = npz_scalar_i64(&z, "best_epoch", path, &v, e))) t->best_epoch = (int)v;
    if (!rc && !(rc = npz_need(&z, "rng", AR_I64, 1, s4, path, &a, e))) memcpy(t->master.s, a->data, sizeof t->master.s);
    if (!rc && !(rc = npz_need(&z, "best_metric", AR_F64, 0, NULL, path, &a, e))) t->best_metric = *(double *)a->data;
    if (!rc && !(rc = npz_need(&z, "best_valid", AR_F64, 1, sm, path, &a, e)))
        memcpy(t->best_valid, a->data, (size_t)c->n_monitors * sizeof(double));
    npz_free(&z);
    free(path);
    if (rc) return rc;

    /* the best vectors so far */
    const char *nm[2] = {"user_emb.npy", "item_emb.npy"};
    int64_t rows[2] = {t->U, t->I};
    float *dst[2] = {t->best, t->best + t->U * t->d};
    for (int k = 0; k < 2; k++) {
        char *p = path_join(dir, nm[k], e);
        if (!p) return AR_EDATA;
        ar_array b;
        rc = npy_read_as(p, AR_F32, 2, &b, e);
        if (!rc && (b.shape[0] != rows[k] || b.shape[1] != t->d))
            rc = ar_fail(e, AR_EDATA, "%s: shape (%lld, %lld), expected (%lld, %lld)", p, (long long)b.shape[0],
                         (long long)b.shape[1], (long long)rows[k], (long long)t->d);
        if (!rc) memcpy(dst[k], b.data, (size_t)(rows[k] * t->d) * sizeof(float));
        if (!rc) ar_array_free(&b);
        free(p);
        if (rc) return rc;
    }

    /* log records up to the checkpoint */
    char *lp = path_join(dir, "log.jsonl", e);
    if (!lp) return AR_EDATA;
    if (access(lp, F_OK) == 0) {
        ar_lines *r;
        rc = ar_lines_open(&r, lp, e);
        if (!rc) {
            char *line;
            size_t len;
            int k;
            while ((k = ar_lines_next(r, &line, &len, e)) == 1) {
                cJSON *j = cJSON_ParseWithLength(line, len);
                cJSON *ep = j ? cJSON_GetObjectItemCaseSensitive(j, "epoch") : NULL;
                int keep = ep && cJSON_IsNumber(ep) && ep->valuedouble <= t->start_epoch;
                cJSON_Delete(j);
                if (!keep) continue;
                char *cp = ar_strdup(line, e);
                if (!cp || (rc = log_push(t, cp, e))) {
                    rc = AR_EDATA;
                    break;
                }
            }
            if (k < 0) rc = -k;
            ar_lines_close(r);
        }
    }
    free(lp);
    return rc;
}

/* ------------------------------------------------------------------ run ---- */

static void trainer_free(trainer *t)
{
    if (t->has_ds) dataset_free(&t->ds);
    if (t->has_g) graph_free(&t->g);
    if (t->has_R) csr_free(&t->R);
    if (t->has_Rv) csr_free(&t->Rv);
    if (t->has_Rt) csr_free(&t->Rt);
    ar_array_free(&t->text);
    if (t->has_init) npz_free(&t->init_z);
    free(t->init_file);
    if (t->has_proj) projector_free(&t->proj);
    if (t->has_smp) sampler_free(&t->smp);
    csr_sel_free(t->sel);
    if (t->has_opt) adam_free(&t->opt);
    if (t->c && t->c->model == MODEL_ALPHAREC) free(t->E);
    free(t->params);
    free(t->F);
    free(t->Y);
    free(t->norms);
    free(t->dY);
    free(t->dF);
    free(t->dE);
    free(t->T1);
    free(t->T2);
    free(t->grad);
    free(t->V);
    free(t->best);
    free(t->users);
    free(t->pos);
    free(t->negs);
    free(t->vusers);
    free(t->tusers);
    for (int i = 0; i < t->n_log; i++) free(t->log[i]);
    free(t->log);
}

static void report(trainer *t, train_progress *p)
{
    if (t->o->progress) t->o->progress(t->o->progress_ctx, p);
}

/* Number of evaluations after epoch a up to epoch b (a <= b). */
static int evals_in(int a, int b, int f)
{
    return a >= b ? 0 : (b / f - a / f) + (b % f != 0);
}

/* Estimated seconds left: `done` epochs finished and evaluated as scheduled, plus
 * `el` seconds into the next one, which is `frac` done (0 when between epochs).
 * Includes the remaining evaluations and the final test; -1 = unknown yet. */
static double eta(const trainer *t, int done, double el, double frac)
{
    const train_config *c = t->c;
    double per_epoch = t->epochs_run ? t->train_secs / t->epochs_run : (frac > 0 ? el / frac : -1);
    double per_eval = t->evals_run ? t->eval_secs / t->evals_run : 0;
    int left = c->epochs - done;
    if (left > 0 && per_epoch < 0) return -1;
    double cur = frac > 0 ? (per_epoch - el > 0 ? per_epoch - el : 0) : 0;
    int whole = frac > 0 ? left - 1 : left;
    return per_epoch * whole + cur + per_eval * (evals_in(done, c->epochs, c->eval_freq) + 1);
}

/* Validation after `epoch` epochs: record, best, checkpoint. */
static int validate(trainer *t, int epoch, double loss_sum, double loss_rows, double train_secs, ar_err *e)
{
    train_config *c = t->c;
    double t0 = ar_now();
    final_vectors(t, t->V);
    double vals[CONFIG_MAX_MONITORS];
    int rc = evaluate(t, t->V, t->vusers, t->n_vusers, &t->Rv, 0, vals, e);
    if (rc) return ar_wrap(e, "validation at epoch %d", epoch);
    double es = ar_now() - t0;
    t->eval_secs += es;
    t->evals_run++;
    double m = vals[c->best];
    int improved = m > t->best_metric; /* strictly better; epoch 0 beats -inf */
    if (improved) {
        t->best_epoch = epoch;
        t->best_metric = m;
        memcpy(t->best_valid, vals, sizeof(double) * (size_t)c->n_monitors);
        memcpy(t->best, t->V, (size_t)(t->N * t->d) * sizeof(float));
        if ((rc = write_best(t, e))) return rc;
    }
    double loss = loss_rows > 0 ? loss_sum / loss_rows : NAN;
    cJSON *j = cJSON_CreateObject();
    if (!j) return ar_fail(e, AR_EDATA, "out of memory");
    cJSON_AddNumberToObject(j, "epoch", epoch);
    if (isfinite(loss)) cJSON_AddNumberToObject(j, "loss", loss);
    else cJSON_AddNullToObject(j, "loss");
    cJSON_AddNumberToObject(j, "train_seconds", train_secs);
    cJSON_AddNumberToObject(j, "eval_seconds", es);
    cJSON_AddItemToObject(j, "valid", metrics_json(c, vals));
    cJSON_AddBoolToObject(j, "best", improved);
    char *line = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!line) return ar_fail(e, AR_EDATA, "out of memory");
    char *cp = ar_strdup(line, e);
    cJSON_free(line);
    if (!cp || (rc = log_push(t, cp, e))) return AR_EDATA;
    if ((rc = write_log(t, e))) return rc;
    if ((rc = write_checkpoint(t, epoch, e))) return rc;
    train_progress p = {.kind = TP_EVAL, .epoch = epoch, .epochs = c->epochs, .loss = loss,
                        .metric_name = c->best_name, .metric = m, .best_metric = t->best_metric,
                        .best_epoch = t->best_epoch, .train_seconds = train_secs, .eval_seconds = es,
                        .elapsed = ar_now() - t->t_start, .eta = eta(t, epoch, 0, 0)};
    report(t, &p);
    return AR_OK;
}

static int write_summary(trainer *t, const double *test, ar_err *e)
{
    train_config *c = t->c;
    const train_opts *o = t->o;
    cJSON *j = cJSON_CreateObject();
    if (!j) return ar_fail(e, AR_EDATA, "out of memory");
    cJSON_AddStringToObject(j, "tool", "ar-train");
    cJSON_AddStringToObject(j, "version", AR_VERSION);
    cJSON_AddStringToObject(j, "config_file", o->config_src ? o->config_src : "");
    cJSON_AddItemToObject(j, "config", config_to_json(c));
    cJSON_AddNumberToObject(j, "seed", (double)c->seed);
    cJSON_AddNumberToObject(j, "threads", o->threads);
    cJSON_AddStringToObject(j, "data", o->data_dir);
    cJSON_AddStringToObject(j, "graph", o->graph_path);
    if (c->model == MODEL_ALPHAREC) cJSON_AddStringToObject(j, "text", c->text);
    if (t->init_file) cJSON_AddStringToObject(j, "init", t->init_file);
    cJSON *ds = cJSON_AddObjectToObject(j, "dataset");
    cJSON_AddNumberToObject(ds, "n_users", (double)t->U);
    cJSON_AddNumberToObject(ds, "n_items", (double)t->I);
    cJSON_AddNumberToObject(ds, "n_train", (double)t->ds.train.shape[0]);
    cJSON_AddNumberToObject(ds, "n_valid", (double)t->ds.valid.shape[0]);
    cJSON_AddNumberToObject(ds, "n_test", (double)t->ds.test.shape[0]);
    cJSON_AddNumberToObject(ds, "valid_users", (double)t->n_vusers);
    cJSON_AddNumberToObject(ds, "test_users", (double)t->n_tusers);
    cJSON_AddBoolToObject(ds, "has_duplicates", t->ds.has_duplicates);
    cJSON_AddStringToObject(j, "masking", t->ds.has_duplicates ? "none (dataset has duplicates)" : "train for valid, train+valid for test");
    cJSON_AddNumberToObject(j, "n_params", (double)t->n_params);
    cJSON_AddNumberToObject(j, "epochs", c->epochs);
    if (t->start_epoch > 0) cJSON_AddNumberToObject(j, "resumed_from_epoch", t->start_epoch);
    cJSON_AddNumberToObject(j, "best_epoch", t->best_epoch);
    cJSON_AddStringToObject(j, "which4best", c->best_name);
    cJSON_AddItemToObject(j, "valid", metrics_json(c, t->best_valid));
    cJSON_AddItemToObject(j, "test", metrics_json(c, test));
    cJSON_AddNumberToObject(j, "wall_seconds", ar_now() - t->t_start);
    cJSON_AddNumberToObject(j, "train_seconds", t->train_secs);
    cJSON_AddNumberToObject(j, "eval_seconds", t->eval_secs);
    cJSON_AddNumberToObject(j, "seconds_per_epoch", t->epochs_run ? t->train_secs / t->epochs_run : 0.0);
    cJSON_AddNumberToObject(j, "seconds_per_eval", t->evals_run ? t->eval_secs / t->evals_run : 0.0);
    cJSON_AddNumberToObject(j, "peak_rss_bytes", (double)ar_peak_rss());
    char *s = cJSON_Print(j);
    cJSON_Delete(j);
    if (!s) return ar_fail(e, AR_EDATA, "out of memory");
    char *p = path_join(o->out_dir, "summary.json", e);
    int rc = AR_EDATA;
    if (p) {
        size_t n = strlen(s);
        s[n] = '\n'; /* cJSON_Print's buffer has the NUL there; write it as a newline */
        rc = ar_write_file(p, s, n + 1, 0, e);
    }
    free(p);
    cJSON_free(s);
    return rc;
}

int train_run(train_config *c, const train_opts *o, ar_err *e)
{
    trainer t;
    memset(&t, 0, sizeof t);
    t.c = c;
    t.o = o;
    t.t_start = ar_now();
    t.best_metric = -INFINITY;
    int rc = load_inputs(&t, e);
    if (!rc) rc = alloc_state(&t, e);
    if (rc) goto done;
    rng_seed(&t.master, c->seed);
    if (o->resume_dir) {
        if ((rc = load_checkpoint(&t, e))) goto done;
    } else {
        init_params(&t);
        if (o->init_path && (rc = apply_init(&t, e))) goto done;
    }
    if ((rc = ar_mkdir_p(o->out_dir, e))) goto done;
    {
        /* a summary.json from an earlier run would make this unfinished run look complete */
        char *sp = path_join(o->out_dir, "summary.json", e);
        if (!sp) { rc = AR_EDATA; goto done; }
        unlink(sp);
        free(sp);
    }
    if (t.ds.has_duplicates) ar_log("note: the dataset has duplicate (user, item) pairs: no items are masked in ranking (freerec rule)");
    if (o->resume_dir) {
        ar_log("resuming from %s at epoch %d (best epoch %d)", o->resume_dir, t.start_epoch, t.best_epoch);
        /* the run directory may be a new one: carry the state over */
        if (strcmp(o->resume_dir, o->out_dir) != 0) {
            if ((rc = write_best(&t, e)) || (rc = write_log(&t, e)) || (rc = write_checkpoint(&t, t.start_epoch, e)))
                goto done;
        }
    } else {
        if ((rc = validate(&t, 0, 0, 0, 0, e))) goto done;
    }

    {
        int64_t n_rows = t.ds.train.shape[0], B = c->batch_size;
        int64_t n_batches = (n_rows + B - 1) / B;
        double loss_sum = 0, loss_rows = 0, rec_train = 0;
        for (int epoch = t.start_epoch + 1; epoch <= c->epochs; epoch++) {
            double t0 = ar_now();
            rng er;
            rng_split(&t.master, (uint64_t)epoch, &er);
            double ep_sum = 0;
            for (int64_t b = 0; b < n_batches; b++) {
                int64_t nb = n_rows - b * B < B ? n_rows - b * B : B;
                rng br;
                rng_split(&er, (uint64_t)b, &br);
                sampler_batch(&t.smp, &br, nb, c->num_negs, t.users, t.pos, t.negs);
                double l = step(&t, nb);
                if (!isfinite(l)) {
                    rc = ar_fail(e, AR_EDATA, "epoch %d batch %lld: loss is %g (diverged; lower lr?)", epoch,
                                 (long long)b, l);
                    goto done;
                }
                ep_sum += l * (double)nb;
                if (o->progress) {
                    double el = ar_now() - t0;
                    train_progress p = {.kind = TP_BATCH, .epoch = epoch, .epochs = c->epochs, .batch = b + 1,
                                        .n_batches = n_batches, .loss = ep_sum / (double)((b * B) + nb),
                                        .metric_name = c->best_name, .best_metric = t.best_metric,
                                        .best_epoch = t.best_epoch, .elapsed = ar_now() - t.t_start,
                                        .eta = eta(&t, epoch - 1, el, (double)(b + 1) / (double)n_batches)};
                    report(&t, &p);
                }
            }
            double secs = ar_now() - t0;
            t.train_secs += secs;
            rec_train += secs;
            t.epochs_run++;
            loss_sum += ep_sum;
            loss_rows += (double)n_rows;
            if (epoch % c->eval_freq == 0 || epoch == c->epochs) {
                if ((rc = validate(&t, epoch, loss_sum, loss_rows, rec_train, e))) goto done;
                loss_sum = loss_rows = rec_train = 0;
            }
        }
    }

    {
        /* test the best epoch's vectors, train+valid masked */
        double test[CONFIG_MAX_MONITORS];
        double t0 = ar_now();
        if ((rc = evaluate(&t, t.best, t.tusers, t.n_tusers, &t.Rt, 1, test, e))) {
            ar_wrap(e, "test");
            goto done;
        }
        if (t.n_tusers == 0) ar_log("note: no test interactions: test metrics are 0");
        train_progress p = {.kind = TP_TEST, .epoch = t.best_epoch, .epochs = c->epochs,
                            .metric_name = c->best_name, .metric = test[c->best], .best_metric = t.best_metric,
                            .best_epoch = t.best_epoch, .eval_seconds = ar_now() - t0,
                            .elapsed = ar_now() - t.t_start};
        report(&t, &p);
        rc = write_summary(&t, test, e);
    }
done:
    trainer_free(&t);
    return rc;
}

/* ------------------------------------------------------------- project ---- */

int train_project(const char *model, const char *text_path, const char *out_path, ar_err *e)
{
    char *path = model_file(model, e);
    if (!path) return AR_EDATA;
    npz_file z;
    memset(&z, 0, sizeof z);
    ar_array x;
    memset(&x, 0, sizeof x);
    float *params = NULL, *Y = NULL, *scratch = NULL;
    int rc = npz_read(path, &z, e);
    if (rc) {
        free(path);
        return rc;
    }
    int kind = npz_get(&z, "W1") ? PROJ_MLP : PROJ_LINEAR;
    const char *names[4] = {"W1", "b1", "W2", "b2"};
    if (kind == PROJ_LINEAR) {
        names[0] = "W";
        names[1] = "b";
    }
    int nt = kind == PROJ_MLP ? 4 : 2;
    ar_array *a[4] = {0};
    if (!npz_get(&z, names[0])) {
        rc = ar_fail(e, AR_EDATA, "%s: no projector (arrays W1, b1, W2, b2 or W, b): not an alpharec model", path);
        goto done;
    }
    int64_t D = 0, H = 0, d = 0;
    for (int k = 0; k < nt && !rc; k++) {
        a[k] = npz_get(&z, names[k]);
        if (!a[k]) rc = ar_fail(e, AR_EDATA, "%s: array \"%s\" missing", path, names[k]);
        else if (a[k]->ndim != (k % 2 == 0 ? 2 : 1))
            rc = ar_fail(e, AR_EDATA, "%s: array \"%s\" has %d dimensions, expected %d", path, names[k], a[k]->ndim,
                         k % 2 == 0 ? 2 : 1);
        else if (ar_array_cast(a[k], AR_F32, names[k], e)) rc = ar_wrap(e, "%s", path);
    }
    if (rc) goto done;
    D = a[0]->shape[0];
    H = kind == PROJ_MLP ? a[0]->shape[1] : 0;
    d = kind == PROJ_MLP ? a[2]->shape[1] : a[0]->shape[1];
    if (kind == PROJ_MLP) {
        if (a[1]->shape[0] != H || a[2]->shape[0] != H || a[3]->shape[0] != d)
            rc = ar_fail(e, AR_EDATA, "%s: projector shapes do not chain: W1 (%lld, %lld), b1 (%lld), W2 (%lld, %lld), "
                         "b2 (%lld)", path, (long long)D, (long long)H, (long long)a[1]->shape[0],
                         (long long)a[2]->shape[0], (long long)a[2]->shape[1], (long long)a[3]->shape[0]);
    } else if (a[1]->shape[0] != d) {
        rc = ar_fail(e, AR_EDATA, "%s: projector shapes do not chain: W (%lld, %lld), b (%lld)", path, (long long)D,
                     (long long)d, (long long)a[1]->shape[0]);
    }
    if (rc) goto done;
    if ((rc = npy_read_as(text_path, AR_F32, 2, &x, e))) goto done;
    int64_t n = x.shape[0];
    if (x.shape[1] != D) {
        rc = ar_fail(e, AR_EDATA, "%s: vectors have %lld columns, but the projector of %s takes %lld (same language "
                     "model?)", text_path, (long long)x.shape[1], path, (long long)D);
        goto done;
    }
    const float *xv = x.data;
    if ((rc = ar_check_finite(xv, n, D, text_path, e))) goto done;
    int64_t np = 0;
    for (int k = 0; k < nt; k++) np += ar_array_numel(a[k]);
    params = ar_malloc((size_t)np * sizeof(float), e);
    Y = ar_malloc((size_t)(n > 0 ? n * d : 1) * sizeof(float), e);
    scratch = kind == PROJ_MLP ? ar_malloc((size_t)(n > 0 ? n * H : 1) * sizeof(float), e) : NULL;
    if (!params || !Y || (kind == PROJ_MLP && !scratch)) {
        rc = AR_EDATA;
        goto done;
    }
    for (int64_t k = 0, off = 0; k < nt; k++) {
        memcpy(params + off, a[k]->data, (size_t)ar_array_numel(a[k]) * sizeof(float));
        off += ar_array_numel(a[k]);
    }
    projector_apply(kind, D, H, d, params, xv, n, Y, scratch);
    rc = npy_write_f32(out_path, Y, n, d, e);
done:
    free(params);
    free(Y);
    free(scratch);
    ar_array_free(&x);
    npz_free(&z);
    free(path);
    return rc;
}
