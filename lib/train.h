/* train.h - the ar-train training loop (spec.md 2.3-2.5, 3.1).
 *
 * Legend: U users, I items, N = U + I nodes, d = embedding_dim, B batch rows,
 * K negatives per row, L layers. A is graph.adj (N, N), P is graph.mean (U, I).
 * One step: ego E (N, d) = ID tables or projector(Z); F = propagate(A, E, L);
 * loss on F (BPR on dot products, or InfoNCE on the L2-normalised rows);
 * dE = propagate(A, dF) (A symmetric); parameter gradient; Adam step.
 * Epoch e (1-based) draws its rows from rng_split(master, e), batch b from
 * rng_split(epoch stream, b); initial parameters come from rng_split(master, 0).
 * Validation at epoch 0, every eval_freq epochs and after the last; the best
 * epoch (which4best, strictly better) is kept; at the end the best epoch's vectors
 * are tested with train+valid masked.
 * Training steps use the restricted propagation (csr.h, csr_propagate_sel): F only
 * on the batch rows, bit-identical to the full csr_propagate. Debugging switch:
 * AR_FULL_PROPAGATION=1 in the environment makes them use the full propagation
 * (same files, slower); tests/cli/train.sh compares the two.
 *
 * The run directory (all files written atomically, temp + rename):
 *   user_emb.npy (U, d), item_emb.npy (I, d)  best epoch's final vectors (unit rows
 *        for cosine scoring); rewritten whenever the best improves
 *   model.npz     last checkpoint (rewritten at every evaluation): parameters by name,
 *        adam_m, adam_v, adam_t, epoch, rng, seed, best_epoch, best_metric, config
 *   log.jsonl     one record per evaluation
 *   summary.json  written at the end
 */
#ifndef AR_TRAIN_H
#define AR_TRAIN_H

#include "ar.h"
#include "config.h"

enum { TP_BATCH = 0, TP_EVAL = 1, TP_TEST = 2 };

/* What the progress callback sees. */
typedef struct train_progress {
    int kind;                 /* TP_* */
    int epoch, epochs;        /* epoch being trained (TP_BATCH) or just evaluated */
    int64_t batch, n_batches; /* TP_BATCH: batches done in this epoch */
    double loss;              /* TP_BATCH: running mean of this epoch; TP_EVAL: mean since last record (NaN at 0) */
    const char *metric_name;  /* which4best */
    double metric;            /* TP_EVAL/TP_TEST: its value */
    double best_metric;
    int best_epoch;
    double train_seconds, eval_seconds; /* TP_EVAL: this record's */
    double elapsed, eta;      /* seconds since start, estimated seconds left */
} train_progress;

typedef void (*train_progress_fn)(void *ctx, const train_progress *p);

typedef struct train_opts {
    const char *data_dir;     /* dataset directory (ar-split) */
    const char *graph_path;   /* graph.npz (ar-graph) */
    const char *out_dir;      /* run directory */
    const char *resume_dir;   /* NULL or a run directory with model.npz */
    const char *init_path;    /* NULL or a model.npz (or a run directory holding one) whose
                                 parameters replace the random init (fresh Adam state,
                                 epoch 0): zero-shot with epochs = 0, else fine-tuning */
    const char *config_src;   /* config file name, for messages and summary */
    int threads;              /* as used (recorded in summary.json) */
    train_progress_fn progress;
    void *progress_ctx;
} train_opts;

/* Train, evaluate and write the run directory. c must have passed config_finish;
 * c->hidden is resolved here (text dim / 2 when 0). Inputs are all checked before
 * any training. */
int train_run(train_config *c, const train_opts *o, ar_err *e);

/* The config stored in RUNDIR/model.npz (for --resume without --config): applied
 * to c (which must be config_init'ed); the caller still runs config_finish. */
int train_config_from_run(train_config *c, const char *rundir, ar_err *e);

/* The projector of an alpharec model (model.npz, or a run directory holding one)
 * applied to the rows of text_path (n, D) .npy: writes out_path (n, d) float32 .npy
 * (spec.md 2.6, e.g. a user's intention text). All-zero rows stay zero. */
int train_project(const char *model, const char *text_path, const char *out_path, ar_err *e);

#endif
