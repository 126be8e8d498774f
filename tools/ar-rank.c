/* ar-rank - user and item vectors in, top-K lists (JSON Lines) out. */
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
#include "rank.h"

static const char *prog = "ar-rank";

static void usage(FILE *f)
{
    fprintf(f,
"ar-rank - full ranking: the top-K items of every user, as JSON Lines\n"
"\n"
"Usage: ar-rank --users U.npy --items V.npy [--exclude PAIRS.npy]... [--users-from PAIRS.npy]\n"
"               [-k K] [--score dot|cosine] [--intent Q.npy --alpha A] [-t N] [-o FILE|-]\n"
"               [--no-scores] [-q]\n"
"       ar-rank --users U.npy --items V.npy --data DIR [--split valid|test] [--mask auto|always|never] ...\n"
"\n"
"Scores every item for every ranked user (U row u against V row i), drops the items\n"
"the user has in the exclusion files, and writes one line per user, in increasing\n"
"user order:\n"
"  {\"user\":12,\"items\":[40,7,...],\"scores\":[0.912345678,0.9,...]}\n"
"items best first; ties are broken by the lower item index; scores printed with\n"
"%%.9g. A list is shorter than K only when fewer than K items are left after the\n"
"exclusions. Users are processed in blocks (one sgemm each, then a per-user top-K\n"
"selection), so memory stays O(block x items): there is no users x items matrix.\n"
"\n"
"Options:\n"
"  -U, --users FILE      user vectors, .npy [n_users, d] (float32; float64/float16\n"
"                        and integers are converted); .npy.gz too\n"
"  -V, --items FILE      item vectors, .npy [n_items, d], same d\n"
"  -x, --exclude FILE    interaction pairs, integer .npy [n, 2] of (user, item):\n"
"                        these items are never ranked for that user (repeatable)\n"
"  -u, --users-from FILE rank only the distinct users of these pairs (e.g. test.npy);\n"
"                        default: every row of U\n"
"  -k, --k K             list length, 1..2147483647 (default 20); K above the\n"
"                        number of items gives every remaining item\n"
"      --score S         dot (default) or cosine (each row divided by its norm; a\n"
"                        zero row scores 0). ar-train writes unit rows for its\n"
"                        cosine models, so dot on its vectors is the cosine\n"
"  -d, --data DIR        dataset directory (ar-split): users from DIR/SPLIT.npy;\n"
"                        excluded: DIR/train.npy for valid, train+valid for test;\n"
"                        checks the counts of DIR/dataset.json against U and V\n"
"      --split S         valid or test (default test; only with --data)\n"
"      --mask M          auto (default): with --data, exclude seen items unless\n"
"                        dataset.json says has_duplicates=true (freerec's rule:\n"
"                        then nothing is excluded); without --data, apply every\n"
"                        --exclude file. always: always exclude. never: ignore all\n"
"                        exclusions. The branch taken is logged to stderr\n"
"  -t, --threads N       threads (default 0 = all cores)\n"
"  -o, --output FILE     output (default - = stdout); written atomically; a name\n"
"                        ending in .gz is gzip-compressed\n"
"      --intent FILE     intention vectors, .npy [n_users, d] (e.g. ar-train --project\n"
"                        of users' intention texts): each user u with a non-zero\n"
"                        row q gets (1-A) U[u]/|U[u]| + A q/|q| (spec.md 2.6);\n"
"                        users with a zero row are ranked as they are\n"
"      --alpha A         the intention's weight A in [0, 1] (required with --intent)\n"
"      --no-scores       omit the \"scores\" arrays\n"
"      --block N         users per block (default: as many as fit 96 MiB of\n"
"                        scores, 64..4096: 2079 for 12101 items)\n"
"  -q, --quiet           no log lines on stderr\n"
"  -h, --help            this help\n"
"      --version         print the version\n"
"\n"
"Errors name the file and the (0-based) row: dimension mismatch between U and V,\n"
"user or item ids out of range in the exclusion or users-from files.\n"
"\n"
"Exit codes: 0 ok, 1 bad data, 2 usage error, 3 I/O error.\n"
"\n"
"Examples:\n"
"  $ ar-rank --users U.npy --items V.npy -k 3 > top3.jsonl\n"
"  $ ar-rank -U U.npy -V V.npy --exclude train.npy --users-from test.npy -k 2 --score cosine -o ranked.jsonl.gz\n"
"  $ ar-rank -U U.npy -V V.npy -x train.npy -u test.npy -k 2 | ar-metrics --truth test.npy -k 1,2\n"
"  $ ar-rank -U ds_U.npy -V ds_V.npy --data ds --split valid -k 5 --no-scores -o valid_top5.jsonl\n"
"  $ ar-rank -U U.npy -V V.npy --intent Q.npy --alpha 0.2 -k 3 --no-scores\n");
}

/* Read an integer [n, 2] pairs array as int32 and check ids against the vector rows. */
static int read_pairs(const char *path, int64_t n_users, int64_t n_items, const char *uname, const char *vname,
                      ar_array *a, ar_err *e)
{
    int rc = npy_read(path, a, e);
    if (rc) return rc;
    const char *dn = ar_display_name(path);
    if (a->dtype != AR_I32 && a->dtype != AR_I64 && a->dtype != AR_U8)
        rc = ar_fail(e, AR_EDATA, "%s: dtype %s, expected an integer array [n, 2] of (user, item)", dn,
                     ar_dtype_name(a->dtype));
    else if (a->ndim != 2 || a->shape[1] != 2)
        rc = ar_fail(e, AR_EDATA, "%s: expected shape [n, 2] of (user, item), got a %d-d array%s", dn, a->ndim,
                     a->ndim == 2 ? " with other than 2 columns" : "");
    else
        rc = ar_array_cast(a, AR_I32, dn, e);
    if (rc) { ar_array_free(a); return rc; }
    const int32_t *p = a->data;
    for (int64_t r = 0; r < a->shape[0]; r++) {
        if (p[2 * r] < 0 || p[2 * r] >= n_users)
            rc = ar_fail(e, AR_EDATA, "%s: row %lld: user %d out of range (%s has %lld rows)", dn, (long long)r,
                         p[2 * r], uname, (long long)n_users);
        else if (p[2 * r + 1] < 0 || p[2 * r + 1] >= n_items)
            rc = ar_fail(e, AR_EDATA, "%s: row %lld: item %d out of range (%s has %lld rows)", dn, (long long)r,
                         p[2 * r + 1], vname, (long long)n_items);
        if (rc) { ar_array_free(a); return rc; }
    }
    return AR_OK;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Distinct users of a pairs array, sorted (malloc'd). */
static int32_t *distinct_users(const ar_array *a, int64_t *nq, ar_err *e)
{
    int64_t n = a->shape[0];
    int32_t *u = ar_malloc((size_t)n * sizeof *u, e);
    if (!u) return NULL;
    const int32_t *p = a->data;
    for (int64_t r = 0; r < n; r++) u[r] = p[2 * r];
    qsort(u, (size_t)n, sizeof *u, cmp_i32);
    int64_t m = 0;
    for (int64_t r = 0; r < n; r++)
        if (m == 0 || u[r] != u[m - 1]) u[m++] = u[r];
    *nq = m;
    return u;
}

/* Lines are formatted in batches, in parallel (printf of ~0.5 M scores is the
 * slowest part of a Beauty run otherwise), and written in order. */
#define BATCH_USERS 4096
#define BATCH_ENTRIES (1 << 20)

typedef struct emit_ctx {
    ar_out *out;
    ar_err *e;
    int scores;
    int nb;            /* users in the batch */
    int64_t ne;        /* entries in the batch */
    int32_t user[BATCH_USERS];
    int n[BATCH_USERS];
    int64_t off[BATCH_USERS + 1]; /* entry offsets */
    int32_t *items;    /* BATCH_ENTRIES (grown for one long list) */
    float *vals;
    int64_t cap;
    char *text;
    size_t text_cap;
    size_t toff[BATCH_USERS + 1], tlen[BATCH_USERS];
    int64_t lines;
} emit_ctx;

/* One line into p (room for line_bound(n) bytes); returns its length. */
static size_t format_line(char *p, int32_t user, const int32_t *items, const float *vals, int n, int scores)
{
    char *s = p;
    p += sprintf(p, "{\"user\":%d,\"items\":[", user);
    for (int j = 0; j < n; j++) p += sprintf(p, j ? ",%d" : "%d", items[j]);
    *p++ = ']';
    if (scores) {
        p += sprintf(p, ",\"scores\":[");
        for (int j = 0; j < n; j++) p += sprintf(p, j ? ",%.9g" : "%.9g", (double)vals[j]);
        *p++ = ']';
    }
    *p++ = '}';
    *p++ = '\n';
    return (size_t)(p - s);
}

static size_t line_bound(int n, int scores) { return 64 + (size_t)n * (scores ? 40 : 14); }

static int flush_batch(emit_ctx *c)
{
    if (c->nb == 0) return AR_OK;
    size_t total = 0;
    for (int b = 0; b < c->nb; b++) {
        c->toff[b] = total;
        total += line_bound(c->n[b], c->scores);
    }
    if (total > c->text_cap) {
        char *nt = ar_realloc(c->text, total, c->e);
        if (!nt) return AR_EDATA;
        c->text = nt;
        c->text_cap = total;
    }
    #pragma omp parallel for schedule(dynamic, 64)
    for (int b = 0; b < c->nb; b++)
        c->tlen[b] = format_line(c->text + c->toff[b], c->user[b], c->items + c->off[b], c->vals + c->off[b], c->n[b],
                                 c->scores);
    for (int b = 0; b < c->nb; b++) {
        int rc = ar_out_write(c->out, c->text + c->toff[b], c->tlen[b], c->e);
        if (rc) return rc;
    }
    c->lines += c->nb;
    c->nb = 0;
    c->ne = 0;
    return AR_OK;
}

static int emit(void *vctx, int32_t user, const int32_t *items, const float *scores, int n)
{
    emit_ctx *c = vctx;
    int rc;
    if (c->nb == BATCH_USERS || c->ne + n > c->cap) {
        if ((rc = flush_batch(c))) return rc;
    }
    if (n > c->cap) { /* one list longer than a whole batch */
        int32_t *ni = ar_realloc(c->items, (size_t)n * sizeof *ni, c->e);
        if (!ni) return AR_EDATA;
        c->items = ni;
        float *nv = ar_realloc(c->vals, (size_t)n * sizeof *nv, c->e);
        if (!nv) return AR_EDATA;
        c->vals = nv;
        c->cap = n;
    }
    c->user[c->nb] = user;
    c->n[c->nb] = n;
    c->off[c->nb] = c->ne;
    memcpy(c->items + c->ne, items, (size_t)n * sizeof *items);
    memcpy(c->vals + c->ne, scores, (size_t)n * sizeof *scores);
    c->ne += n;
    c->nb++;
    return AR_OK;
}

enum { O_SCORE = 256, O_SPLIT, O_MASK, O_NOSCORES, O_BLOCK, O_INTENT, O_ALPHA, O_VERSION };
enum { MASK_AUTO, MASK_ALWAYS, MASK_NEVER };
#define MAX_EXCL 64

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"users", required_argument, 0, 'U'},      {"items", required_argument, 0, 'V'},
        {"exclude", required_argument, 0, 'x'},    {"users-from", required_argument, 0, 'u'},
        {"k", required_argument, 0, 'k'},          {"score", required_argument, 0, O_SCORE},
        {"data", required_argument, 0, 'd'},       {"split", required_argument, 0, O_SPLIT},
        {"mask", required_argument, 0, O_MASK},    {"threads", required_argument, 0, 't'},
        {"output", required_argument, 0, 'o'},     {"no-scores", no_argument, 0, O_NOSCORES},
        {"block", required_argument, 0, O_BLOCK},  {"quiet", no_argument, 0, 'q'},
        {"intent", required_argument, 0, O_INTENT}, {"alpha", required_argument, 0, O_ALPHA},
        {"help", no_argument, 0, 'h'},             {"version", no_argument, 0, O_VERSION},
        {0, 0, 0, 0}};
    const char *ipath = NULL;
    double alpha = -1;
    const char *upath = NULL, *vpath = NULL, *from = NULL, *dir = NULL, *split = NULL, *out = "-";
    const char *excl[MAX_EXCL];
    int nexcl = 0, cosine = 0, mask = MASK_AUTO, scores = 1, quiet = 0, c;
    int64_t k = 20, threads = 0, block = 0;
    while ((c = getopt_long(argc, argv, "U:V:x:u:k:d:t:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'U': upath = optarg; break;
        case 'V': vpath = optarg; break;
        case 'x':
            if (nexcl == MAX_EXCL) return cli_usage(prog, "more than %d --exclude files", MAX_EXCL);
            excl[nexcl++] = optarg;
            break;
        case 'u': from = optarg; break;
        case 'k':
            if (cli_parse_i64(optarg, 1, INT32_MAX, &k)) return cli_usage(prog, "-k '%s': expected an integer in 1..2147483647", optarg);
            break;
        case O_SCORE:
            if (strcmp(optarg, "dot") == 0) cosine = 0;
            else if (strcmp(optarg, "cosine") == 0) cosine = 1;
            else return cli_usage(prog, "--score '%s': expected dot or cosine", optarg);
            break;
        case 'd': dir = optarg; break;
        case O_SPLIT:
            if (strcmp(optarg, "valid") && strcmp(optarg, "test")) return cli_usage(prog, "--split '%s': expected valid or test", optarg);
            split = optarg;
            break;
        case O_MASK:
            if (strcmp(optarg, "auto") == 0) mask = MASK_AUTO;
            else if (strcmp(optarg, "always") == 0) mask = MASK_ALWAYS;
            else if (strcmp(optarg, "never") == 0) mask = MASK_NEVER;
            else return cli_usage(prog, "--mask '%s': expected auto, always or never", optarg);
            break;
        case 't':
            if (cli_parse_i64(optarg, 0, 4096, &threads)) return cli_usage(prog, "-t '%s': expected an integer in 0..4096", optarg);
            break;
        case 'o': out = optarg; break;
        case O_NOSCORES: scores = 0; break;
        case O_BLOCK:
            if (cli_parse_i64(optarg, 1, 1 << 20, &block)) return cli_usage(prog, "--block '%s': expected an integer in 1..1048576", optarg);
            break;
        case O_INTENT: ipath = optarg; break;
        case O_ALPHA:
            if (cli_parse_double(optarg, 0.0, 1.0, &alpha)) return cli_usage(prog, "--alpha '%s': expected a number in [0, 1]", optarg);
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return cli_flush_stdout(prog);
        case O_VERSION: return cli_version(prog);
        default: return cli_try_help(prog);
        }
    }
    if (optind < argc) return cli_usage(prog, "unexpected argument '%s'", argv[optind]);
    if (!upath || !vpath) return cli_usage(prog, "--users U.npy and --items V.npy are required");
    if (split && !dir) return cli_usage(prog, "--split goes with --data DIR");
    if (ipath && alpha < 0) return cli_usage(prog, "--intent needs --alpha A (the weight of the intention, 0..1)");
    if (!ipath && alpha >= 0) return cli_usage(prog, "--alpha goes with --intent FILE");
    if (dir && from) return cli_usage(prog, "--users-from and --data exclude each other (--data takes the users from DIR/SPLIT.npy)");
    if (!split) split = "test";
    cli_log_init(prog, quiet);
    threads = ar_threads_init((int)threads);

    ar_err e = {0};
    int rc;
    ar_array U = {0}, V = {0}, from_a = {0}, Q = {0};
    ar_array ex_a[MAX_EXCL];
    memset(ex_a, 0, sizeof ex_a);
    csr ex_m[MAX_EXCL + 2];
    memset(ex_m, 0, sizeof ex_m);
    const csr *masks[MAX_EXCL + 2];
    int nmask = 0;
    dataset ds;
    memset(&ds, 0, sizeof ds);
    int have_ds = 0;
    int32_t *users = NULL;
    int64_t nq = 0;
    ar_out o;
    memset(&o, 0, sizeof o);
    emit_ctx *ctx = NULL;
    const char *un = ar_display_name(upath), *vn = ar_display_name(vpath);

    if ((rc = npy_read_as(upath, AR_F32, 2, &U, &e)) || (rc = npy_read_as(vpath, AR_F32, 2, &V, &e))) goto out;
    int64_t n_users = U.shape[0], n_items = V.shape[0], d = U.shape[1];
    if (V.shape[1] != d) {
        rc = ar_fail(&e, AR_EDATA, "dimension mismatch: %s is [%lld, %lld] but %s is [%lld, %lld]", un,
                     (long long)n_users, (long long)d, vn, (long long)n_items, (long long)V.shape[1]);
        goto out;
    }
    if (n_items < 1 || d < 1 || n_users > INT32_MAX || n_items > INT32_MAX) {
        rc = ar_fail(&e, AR_EDATA, "%s: need at least one item row and one column (got [%lld, %lld])", vn,
                     (long long)n_items, (long long)d);
        goto out;
    }

    if (ipath) {
        if ((rc = npy_read_as(ipath, AR_F32, 2, &Q, &e))) goto out;
        if (Q.shape[0] != n_users || Q.shape[1] != d) {
            rc = ar_fail(&e, AR_EDATA, "%s is [%lld, %lld], expected [%lld, %lld] like %s (one row per user; a zero row "
                         "= no intention)", ar_display_name(ipath), (long long)Q.shape[0], (long long)Q.shape[1],
                         (long long)n_users, (long long)d, un);
            goto out;
        }
        if ((rc = ar_check_finite(Q.data, n_users, d, ar_display_name(ipath), &e))) goto out;
        int64_t mixed = rank_mix_intent(U.data, Q.data, n_users, d, alpha);
        ar_log("intention vectors of %lld users mixed in with alpha %g", (long long)mixed, alpha);
    }

    /* which pair files exclude, and which users are ranked */
    const char *excl_paths[MAX_EXCL + 2];
    int nex = 0;
    char pbuf[3][4096];
    if (dir) {
        if ((rc = dataset_load(dir, &ds, 0, &e))) goto out;
        have_ds = 1;
        if (ds.n_users != n_users || ds.n_items != n_items) {
            rc = ar_fail(&e, AR_EDATA, "%s has %lld users and %lld items, but %s has %lld rows and %s %lld", dir,
                         (long long)ds.n_users, (long long)ds.n_items, un, (long long)n_users, vn, (long long)n_items);
            goto out;
        }
        int is_test = strcmp(split, "test") == 0;
        snprintf(pbuf[0], sizeof pbuf[0], "%s/train.npy", dir);
        snprintf(pbuf[1], sizeof pbuf[1], "%s/valid.npy", dir);
        snprintf(pbuf[2], sizeof pbuf[2], "%s/%s.npy", dir, split);
        int apply = mask == MASK_ALWAYS || (mask == MASK_AUTO && !ds.has_duplicates);
        if (mask == MASK_NEVER) ar_log("--mask never: no items excluded");
        else if (apply)
            ar_log("excluding %s items%s (%s)", is_test ? "train+valid" : "train",
                   nexcl ? " and the --exclude files" : "",
                   mask == MASK_ALWAYS ? "--mask always" : "dataset.json: has_duplicates=false");
        else
            ar_log("not excluding seen items: dataset.json says has_duplicates=true (freerec's rule; "
                   "--mask always overrides)");
        if (apply) {
            /* the dataset's splits are already checked against the counts */
            const ar_array *sp[2] = {&ds.train, &ds.valid};
            for (int s = 0; s < (is_test ? 2 : 1); s++) {
                rc = csr_from_pairs(&ex_m[nmask], sp[s]->data, sp[s]->shape[0], n_users, n_items, &e);
                if (rc) { ar_wrap(&e, "%s", pbuf[s]); goto out; }
                masks[nmask] = &ex_m[nmask];
                nmask++;
            }
            for (int i = 0; i < nexcl; i++) excl_paths[nex++] = excl[i];
        }
        const ar_array *target = is_test ? &ds.test : &ds.valid;
        if (!(users = distinct_users(target, &nq, &e))) { rc = AR_EDATA; goto out; }
        ar_log("ranking the %lld users of %s", (long long)nq, pbuf[2]);
    } else {
        if (mask == MASK_NEVER) {
            if (nexcl) ar_log("--mask never: the %d --exclude file(s) are ignored", nexcl);
        } else {
            for (int i = 0; i < nexcl; i++) excl_paths[nex++] = excl[i];
        }
        if (from) {
            if ((rc = read_pairs(from, n_users, n_items, un, vn, &from_a, &e))) goto out;
            if (!(users = distinct_users(&from_a, &nq, &e))) { rc = AR_EDATA; goto out; }
        } else {
            nq = n_users;
        }
    }
    for (int i = 0; i < nex; i++) {
        if ((rc = read_pairs(excl_paths[i], n_users, n_items, un, vn, &ex_a[i], &e))) goto out;
        rc = csr_from_pairs(&ex_m[nmask], ex_a[i].data, ex_a[i].shape[0], n_users, n_items, &e);
        if (rc) { ar_wrap(&e, "%s", ar_display_name(excl_paths[i])); goto out; }
        masks[nmask] = &ex_m[nmask];
        nmask++;
    }

    if ((rc = ar_out_open(&o, out, -1, &e))) goto out;
    if (!(ctx = ar_calloc(1, sizeof *ctx, &e))) { rc = AR_EDATA; goto out; }
    ctx->out = &o;
    ctx->e = &e;
    ctx->scores = scores;
    ctx->cap = BATCH_ENTRIES;
    ctx->items = ar_malloc((size_t)ctx->cap * sizeof *ctx->items, &e);
    ctx->vals = ar_malloc((size_t)ctx->cap * sizeof *ctx->vals, &e);
    if (!ctx->items || !ctx->vals) { rc = AR_EDATA; goto out; }
    rank_opts ro = {.k = (int)k, .cosine = cosine, .block = (int)block};
    double t0 = ar_now();
    rc = rank_topk(U.data, n_users, V.data, n_items, d, users, users ? nq : 0, masks, nmask, &ro, emit, ctx, &e);
    if (rc) goto out;
    if ((rc = flush_batch(ctx))) goto out;
    if ((rc = ar_out_commit(&o, &e))) goto out;
    ar_log("ranked %lld users x %lld items (d=%lld, K=%lld, %s, %lld threads) in %.2f s", (long long)ctx->lines,
           (long long)n_items, (long long)d, (long long)k, cosine ? "cosine" : "dot", (long long)threads, ar_now() - t0);

out:
    if (rc) ar_out_abort(&o);
    if (ctx) {
        free(ctx->items);
        free(ctx->vals);
        free(ctx->text);
        free(ctx);
    }
    free(users);
    for (int i = 0; i < nmask; i++) csr_free(&ex_m[i]);
    for (int i = 0; i < MAX_EXCL; i++) ar_array_free(&ex_a[i]);
    ar_array_free(&from_a);
    ar_array_free(&U);
    ar_array_free(&V);
    ar_array_free(&Q);
    if (have_ds) dataset_free(&ds);
    if (rc) return cli_fail(prog, &e);
    return 0;
}
