/* ar-graph - training pairs in, graph.npz (normalised adjacency + user mean operator) out. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ar.h"
#include "cli.h"
#include "csr.h"
#include "dataset.h"
#include "io.h"
#include "npy.h"

static const char *prog = "ar-graph";

static void usage(FILE *f)
{
    fprintf(f,
"ar-graph - build the graph operators of LightGCN/AlphaRec from the training pairs\n"
"\n"
"Usage: ar-graph --data DIR [-o FILE] [--compress] [-q]\n"
"       ar-graph --train FILE --users N --items M [-o FILE] [--compress] [-q]\n"
"\n"
"Reads the training interactions (only train.npy: valid/test never enter the graph)\n"
"and writes one .npz laid out like scipy.sparse.save_npz, atomically:\n"
"  indptr, indices, data, shape, format  the (U+I) x (U+I) adjacency D^-1/2 A D^-1/2\n"
"                        (users are nodes 0..U-1, items U..U+I-1; A binary and\n"
"                        symmetric from the distinct pairs; zero-degree nodes have\n"
"                        empty rows; no self loops), so scipy.sparse.load_npz reads it\n"
"  mean_indptr, mean_indices, mean_data, mean_shape  the U x I user mean operator\n"
"                        P = D_u^-1 R (row u: 1/|items of u| on each of them)\n"
"  n_users, n_items      int64 scalars\n"
"Duplicate pairs are merged. Statistics (nodes, edges, density, zero-degree users\n"
"and items) go to stderr.\n"
"\n"
"Options:\n"
"  -d, --data DIR      dataset directory written by ar-split: DIR/train.npy, counts\n"
"                      from DIR/dataset.json (or users.txt/items.txt)\n"
"      --train FILE    instead of --data: an integer .npy [n, 2] of (user, item)\n"
"                      rows (.npy.gz too); needs --users and --items\n"
"      --users N       number of users (with --train)\n"
"      --items M       number of items (with --train); cold items above the largest\n"
"                      id in FILE count, so give the real total\n"
"  -o, --output FILE   output file (default DIR/graph.npz with --data, graph.npz\n"
"                      with --train); a name ending in .gz is gzip-compressed whole\n"
"  -z, --compress      deflate the members (np.savez_compressed style; default: stored)\n"
"  -q, --quiet         no statistics on stderr\n"
"  -h, --help          this help\n"
"      --version       print the version\n"
"\n"
"Exit codes: 0 ok, 1 bad data (pairs out of range, empty training set, bad dtype\n"
"or shape), 2 usage error, 3 I/O error.\n"
"\n"
"Examples:\n"
"  $ printf 'u1 a b c d e\\nu2 b c d e f g\\nu3 a c e g h\\n' > seq.txt\n"
"  $ ar-split -q --format seq -o ds seq.txt\n"
"  $ ar-graph --data ds\n"
"  $ ar-graph --data ds -o graph.npz --compress\n"
"  $ ar-graph --train ds/train.npy --users 3 --items 8 -o g2.npz\n");
}

/* Read an integer [n, 2] pairs array into int32. */
static int read_pairs(const char *path, ar_array *a, ar_err *e)
{
    int rc = npy_read(path, a, e);
    if (rc) return rc;
    const char *dn = ar_display_name(path);
    if (a->dtype != AR_I32 && a->dtype != AR_I64 && a->dtype != AR_U8)
        rc = ar_fail(e, AR_EDATA, "%s: dtype %s, expected an integer array (int32 [n, 2] of (user, item))", dn,
                     ar_dtype_name(a->dtype));
    else if (a->ndim != 2 || a->shape[1] != 2)
        rc = ar_fail(e, AR_EDATA, "%s: %d-d array%s, expected shape [n, 2] of (user, item)", dn, a->ndim,
                     a->ndim == 2 ? " with other than 2 columns" : "");
    else
        rc = ar_array_cast(a, AR_I32, dn, e);
    if (rc) ar_array_free(a);
    return rc;
}

enum { O_TRAIN = 256, O_USERS, O_ITEMS, O_VERSION };

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'},   {"train", required_argument, 0, O_TRAIN},
        {"users", required_argument, 0, O_USERS}, {"items", required_argument, 0, O_ITEMS},
        {"output", required_argument, 0, 'o'}, {"compress", no_argument, 0, 'z'},
        {"quiet", no_argument, 0, 'q'},         {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, O_VERSION}, {0, 0, 0, 0}};
    const char *dir = NULL, *train = NULL, *out = NULL;
    int64_t n_users = -1, n_items = -1;
    int compress = 0, quiet = 0, c;
    while ((c = getopt_long(argc, argv, "d:o:zqh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case O_TRAIN: train = optarg; break;
        case O_USERS:
            if (cli_parse_i64(optarg, 0, INT32_MAX, &n_users)) return cli_usage(prog, "--users '%s': expected an integer in 0..2147483647", optarg);
            break;
        case O_ITEMS:
            if (cli_parse_i64(optarg, 0, INT32_MAX, &n_items)) return cli_usage(prog, "--items '%s': expected an integer in 0..2147483647", optarg);
            break;
        case 'o': out = optarg; break;
        case 'z': compress = 1; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return cli_flush_stdout(prog);
        case O_VERSION: return cli_version(prog);
        default: return cli_try_help(prog);
        }
    }
    if (optind < argc) return cli_usage(prog, "unexpected argument '%s'", argv[optind]);
    if (!dir == !train) return cli_usage(prog, "give exactly one of --data DIR or --train FILE");
    if (dir && (n_users >= 0 || n_items >= 0))
        return cli_usage(prog, "--users/--items go with --train (with --data the counts come from DIR)");
    if (train && (n_users < 0 || n_items < 0)) return cli_usage(prog, "--train needs --users N and --items M");
    if (n_users + n_items > INT32_MAX) return cli_usage(prog, "--users + --items must be at most 2147483647");
    if (quiet) ar_log_set(NULL);

    ar_err e = {0};
    dataset ds;
    memset(&ds, 0, sizeof ds);
    ar_array pairs;
    memset(&pairs, 0, sizeof pairs);
    const ar_array *tr;
    char *defout = NULL, *trname = NULL;
    if (dir) {
        if (dataset_load(dir, &ds, 0, &e)) return cli_fail(prog, &e);
        n_users = ds.n_users;
        n_items = ds.n_items;
        tr = &ds.train;
        size_t n = strlen(dir) + 16;
        defout = malloc(n);
        trname = malloc(n);
        if (!defout || !trname) return cli_error(prog, AR_EDATA, "out of memory");
        snprintf(defout, n, "%s/graph.npz", dir);
        snprintf(trname, n, "%s/train.npy", dir);
        if (!out) out = defout;
    } else {
        if (read_pairs(train, &pairs, &e)) return cli_fail(prog, &e);
        tr = &pairs;
        if (!out) out = "graph.npz";
    }
    const char *src = dir ? trname : ar_display_name(train);
    int rc = 0;
    graph g;
    memset(&g, 0, sizeof g);
    const int64_t n = tr->shape[0];
    if (tr->dtype != AR_I32 || tr->ndim != 2 || tr->shape[1] != 2)
        rc = ar_fail(&e, AR_EDATA, "%s: expected int32 [n, 2]", src);
    else if (n == 0)
        rc = ar_fail(&e, AR_EDATA, "%s: empty training set (0 pairs)", src);
    else if ((rc = graph_build(&g, tr->data, n, n_users, n_items, &e)) != 0)
        ar_wrap(&e, "%s", src);
    if (!rc) rc = graph_save(out, &g, compress, &e);
    if (rc) {
        cli_fail(prog, &e);
    } else if (!quiet) {
        const int64_t U = n_users, I = n_items, edges = g.adj.nnz / 2;
        int64_t zu = 0, zi = 0;
        for (int64_t u = 0; u < U; u++) zu += g.adj.indptr[u + 1] == g.adj.indptr[u];
        for (int64_t i = U; i < U + I; i++) zi += g.adj.indptr[i + 1] == g.adj.indptr[i];
        double density = U && I ? (double)edges / ((double)U * (double)I) : 0.0;
        fprintf(stderr,
                "%s: %lld nodes (%lld users + %lld items), %lld edges from %lld pairs (%lld duplicates merged), "
                "density %.3g, zero-degree: %lld users, %lld items; wrote %s\n",
                prog, (long long)(U + I), (long long)U, (long long)I, (long long)edges, (long long)n,
                (long long)(n - edges), density, (long long)zu, (long long)zi, ar_display_name(out));
    }
    graph_free(&g);
    ar_array_free(&pairs);
    dataset_free(&ds);
    free(defout);
    free(trname);
    return rc;
}
