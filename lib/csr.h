/* csr.h - compressed sparse row matrices and the graph operators.
 *
 * Layout matches scipy.sparse.csr_matrix: indptr (nrows+1), indices (nnz, sorted
 * within each row), data (nnz). Saved/loaded as scipy.sparse.save_npz does
 * (members indptr, indices, data, shape, format="csr").
 * Ownership: a csr owns its arrays; csr_free() releases them.
 */
#ifndef AR_CSR_H
#define AR_CSR_H

#include "ar.h"

typedef struct csr {
    int64_t nrows, ncols, nnz;
    int64_t *indptr;  /* nrows+1 */
    int32_t *indices; /* nnz */
    float *data;      /* nnz */
} csr;

void csr_free(csr *m);

/* From (row, col) int32 pairs, n of them (pairs is n x 2, row-major). Duplicate
 * pairs are merged (value 1); columns sorted within rows. O(n + nrows). */
int csr_from_pairs(csr *m, const int32_t *pairs, int64_t n, int64_t nrows, int64_t ncols, ar_err *e);

/* Transpose (O(nnz)). */
int csr_transpose(const csr *a, csr *t, ar_err *e);

/* The symmetric-normalised bipartite adjacency D^-1/2 A D^-1/2 over N = U+I nodes
 * (users 0..U-1, items U..U+I-1) from the binary user-item matrix R (U x I).
 * Zero-degree nodes have empty rows. */
int csr_norm_adj(const csr *R, csr *adj, ar_err *e);

/* Row-normalised R: each row divided by its number of entries (the user mean operator). */
int csr_row_mean(const csr *R, csr *P, ar_err *e);

/* Y (nrows x d) = A (nrows x ncols) * X (ncols x d), all row-major. Threaded over
 * nnz-balanced chunks of rows (OpenMP); each output row is computed by one thread
 * in a fixed order, so the result is bit-identical for any thread count.
 * AVX2+FMA kernels when the CPU has them (AR_SIMD=portable forces the portable
 * ones). csr_spmm_naive is the test oracle. */
void csr_spmm(const csr *A, const float *X, int64_t d, float *Y);
void csr_spmm_naive(const csr *A, const float *X, int64_t d, float *Y);
/* Y (nrows x d) += alpha * A X; same kernel and threading as csr_spmm. */
void csr_spmm_add(const csr *A, const float *X, int64_t d, float alpha, float *Y);

/* Layer combination (spec 2.2): F = (1/(L+1)) sum_{l=0..L} A^l E, A square (N x N),
 * E and F (N x d), F must not alias E or the scratch. tmp1, tmp2 are (N x d) scratch
 * (csr_propagate may be given NULL for tmp1 when L < 2 and for tmp2 when L < 3; the
 * naive reference needs tmp1 when L >= 1 and tmp2 when L >= 2). With A symmetric the
 * same call is the backward pass: dE = (1/(L+1)) sum A^l dF. Deterministic: each
 * output row is computed by one thread in a fixed order. */
void csr_propagate(const csr *A, const float *E, int64_t d, int L, float *F, float *tmp1, float *tmp2);
void csr_propagate_naive(const csr *A, const float *E, int64_t d, int L, float *F, float *tmp1, float *tmp2);

/* ---- restricted propagation (the training fast path) ----
 * A selection S of rows of a square A (finite, non-negative values, nnz < 2^31):
 * csr_propagate_sel computes the rows of S of csr_propagate's F, and
 * csr_propagate_back_sel all rows of csr_propagate(A, dF') where dF' is dF on the
 * rows of S and +0 elsewhere, both bit-identical to csr_propagate (same SIMD level,
 * any thread count) but skipping work those rows do not need: the forward's last
 * layer only on S (earlier layers only on rows within L - l hops of S when those
 * are few), the backward's first layer gathering only the rows of S. Same
 * tmp1/tmp2 rules as csr_propagate;
 * their contents are unspecified afterwards; rows of F outside S are not written.
 * Usage per step: csr_sel_clear, csr_sel_add (any number of times, duplicates
 * fine), then the two passes. A csr_sel must not be shared by concurrent calls. */
typedef struct csr_sel csr_sel;
int csr_sel_init(csr_sel **s, const csr *A, ar_err *e); /* AR_EUSAGE when A is unsuitable */
void csr_sel_free(csr_sel *s);
void csr_sel_clear(csr_sel *s);
/* Add rows offset + ids[i], i < n (AR_EUSAGE when one is out of range). */
int csr_sel_add(csr_sel *s, const int32_t *ids, int64_t n, int64_t offset, ar_err *e);
int64_t csr_sel_count(const csr_sel *s); /* distinct rows selected */
void csr_propagate_sel(csr_sel *s, const float *E, int64_t d, int L, float *F, float *tmp1, float *tmp2);
void csr_propagate_back_sel(csr_sel *s, const float *dF, int64_t d, int L, float *dE, float *tmp1, float *tmp2);

/* Load/save in the scipy save_npz layout. load accepts any index/data dtypes scipy writes. */
int csr_save_npz(const char *path, const csr *m, ar_err *e);
int csr_load_npz(const char *path, csr *m, ar_err *e);

#endif

#ifndef AR_CSR_GRAPH_H /* this part sits after AR_CSR_H's #endif: guard it too */
#define AR_CSR_GRAPH_H
/* ---- graph.npz: what ar-graph writes and ar-train reads ----
 * Standard scipy members (indptr, indices, data, shape, format) hold the N x N
 * normalised adjacency, so scipy.sparse.load_npz(graph.npz) returns it; the user
 * mean operator P (U x I) is stored beside it as mean_indptr, mean_indices,
 * mean_data, mean_shape; n_users and n_items are int64 scalars. */
typedef struct graph {
    int64_t n_users, n_items;
    csr adj;  /* (U+I) x (U+I) */
    csr mean; /* U x I */
} graph;

/* Build both operators from training pairs (int32 n x 2, (user, item)). */
int graph_build(graph *g, const int32_t *pairs, int64_t n, int64_t n_users, int64_t n_items, ar_err *e);
int graph_save(const char *path, const graph *g, int compress, ar_err *e);
int graph_load(const char *path, graph *g, ar_err *e);
void graph_free(graph *g);

#endif
