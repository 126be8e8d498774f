/* ar-metrics - ranked lists (JSON Lines) and target pairs in, top-K metrics out. */
#include <cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ar.h"
#include "cli.h"
#include "csr.h"
#include "io.h"
#include "metrics.h"
#include "npy.h"

static const char *prog = "ar-metrics";

static void usage(FILE *f)
{
    fprintf(f,
"ar-metrics - top-K metrics of ranked lists against target items\n"
"\n"
"Usage: ar-metrics --truth PAIRS.npy [-k LIST] [--metrics LIST] [--format json|tsv]\n"
"                  [--per-user FILE] [--missing error|zero] [--ignore-extra] [-o FILE] [RANKED|-]\n"
"\n"
"Reads the ranked lists as ar-rank writes them (JSON Lines, one user a line,\n"
"{\"user\":12,\"items\":[...],...}; other keys are ignored; gzip is detected),\n"
"from RANKED or stdin, and computes each user's metrics as the line arrives.\n"
"The targets of user u are the distinct items of u in the --truth pairs; with T\n"
"that set and hits@K = |first K items n T|:\n"
"  recall@K    = hits@K / |T|            (divided by |T|, not min(K, |T|))\n"
"  precision@K = hits@K / K\n"
"  ndcg@K      = sum over ranks r <= K with item in T of 1/log2(r+1),\n"
"                divided by the same sum over ranks 1..min(K, |T|)\n"
"  hit@K       = 1 if hits@K > 0 else 0\n"
"  mrr@K       = 1/r for the first rank r <= K holding a target, else 0\n"
"Each value is the mean over the users that have targets (accumulated in double).\n"
"Output: one JSON object, keys in RecBole spelling in --metrics order, then K order,\n"
"  {\"recall@10\": 0.0538, ..., \"n_users\": 2236, \"k\": [10, 20]}\n"
"values printed with %%.8g; --format tsv prints \"metric<TAB>value\" lines instead.\n"
"\n"
"Options:\n"
"  -T, --truth FILE      target pairs, integer .npy [n, 2] of (user, item) (e.g.\n"
"                        test.npy); required\n"
"  -k, --k LIST          cut-offs, comma-separated (default 1,10,20); every list must\n"
"                        have at least max(LIST) items, even for a user with fewer\n"
"                        candidate items: a shorter list is an error\n"
"  -m, --metrics LIST    any of recall,ndcg,hit,precision,mrr (default all five)\n"
"  -f, --format F        json (default) or tsv\n"
"  -p, --per-user FILE   also write each user's values as JSON Lines\n"
"                        {\"user\":u,\"recall@20\":...} (written atomically; .gz ok)\n"
"      --missing M       error (default): users with targets but no ranked line are\n"
"                        an error; zero: they count, with every metric 0\n"
"      --ignore-extra    skip ranked users without targets instead of failing\n"
"  -o, --output FILE     where the summary goes (default - = stdout; atomic)\n"
"  -q, --quiet           no log lines on stderr\n"
"  -h, --help            this help\n"
"      --version         print the version\n"
"\n"
"Errors name the input line: malformed JSON, \"user\" or \"items\" missing or not\n"
"integers, a list shorter than max K, an item listed twice, a user ranked twice,\n"
"a user without targets (unless --ignore-extra).\n"
"\n"
"Exit codes: 0 ok, 1 bad data, 2 usage error, 3 I/O error.\n"
"\n"
"Examples:\n"
"  $ ar-metrics --truth test.npy -k 1,2 ranked.jsonl\n"
"  $ ar-rank -U U.npy -V V.npy -x train.npy -u test.npy -k 2 -q | ar-metrics --truth test.npy -k 2 --metrics recall,ndcg --format tsv\n"
"  $ ar-metrics -T test.npy -k 1 --per-user per_user.jsonl -o summary.json ranked.jsonl\n"
"  $ ar-metrics -T test.npy -k 1,2 --missing zero --ignore-extra top3.jsonl\n");
}

/* "recall,ndcg" -> which[], in order; duplicates are an error. */
static int parse_metrics(const char *s, int *which, int *nm)
{
    *nm = 0;
    const char *p = s;
    for (;;) {
        size_t len = strcspn(p, ",");
        int found = -1;
        for (int mi = 0; mi < M_COUNT; mi++)
            if (strlen(metric_names[mi]) == len && strncmp(p, metric_names[mi], len) == 0) found = mi;
        if (found < 0) return -1;
        for (int i = 0; i < *nm; i++)
            if (which[i] == found) return -1;
        which[(*nm)++] = found;
        if (!p[len]) break;
        p += len + 1;
    }
    return 0;
}

/* Integer value of a cJSON number, or -1 if it is not an integer in [0, INT32_MAX]. */
static int json_int(const cJSON *v, int32_t *out)
{
    if (!cJSON_IsNumber(v)) return -1;
    double x = v->valuedouble;
    if (!(x >= 0 && x <= INT32_MAX) || x != floor(x)) return -1;
    *out = (int32_t)x;
    return 0;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Write one per-user line: {"user":u,"recall@20":...}. */
static int per_user_line(ar_out *o, int32_t u, const double *vals, const int *which, int nm, const metrics_acc *m,
                         ar_err *e)
{
    char buf[64 + 48 * M_COUNT * METRICS_MAXK];
    char *p = buf;
    p += sprintf(p, "{\"user\":%d", u);
    for (int a = 0; a < nm; a++)
        for (int j = 0; j < m->nk; j++)
            p += sprintf(p, ",\"%s@%d\":%.8g", metric_names[which[a]], m->ks[j], vals[which[a] * m->nk + j]);
    p += sprintf(p, "}\n");
    return ar_out_write(o, buf, (size_t)(p - buf), e);
}

enum { O_MISSING = 256, O_IGNORE, O_VERSION };

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"truth", required_argument, 0, 'T'},     {"k", required_argument, 0, 'k'},
        {"metrics", required_argument, 0, 'm'},   {"format", required_argument, 0, 'f'},
        {"per-user", required_argument, 0, 'p'},  {"missing", required_argument, 0, O_MISSING},
        {"ignore-extra", no_argument, 0, O_IGNORE}, {"output", required_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},           {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, O_VERSION},   {0, 0, 0, 0}};
    const char *truth = NULL, *per_user = NULL, *out = "-", *klist = "1,10,20", *mlist = "recall,ndcg,hit,precision,mrr";
    int tsv = 0, missing_zero = 0, ignore_extra = 0, quiet = 0, c;
    while ((c = getopt_long(argc, argv, "T:k:m:f:p:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'T': truth = optarg; break;
        case 'k': klist = optarg; break;
        case 'm': mlist = optarg; break;
        case 'f':
            if (strcmp(optarg, "json") == 0) tsv = 0;
            else if (strcmp(optarg, "tsv") == 0) tsv = 1;
            else return cli_usage(prog, "--format '%s': expected json or tsv", optarg);
            break;
        case 'p': per_user = optarg; break;
        case O_MISSING:
            if (strcmp(optarg, "error") == 0) missing_zero = 0;
            else if (strcmp(optarg, "zero") == 0) missing_zero = 1;
            else return cli_usage(prog, "--missing '%s': expected error or zero", optarg);
            break;
        case O_IGNORE: ignore_extra = 1; break;
        case 'o': out = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return cli_flush_stdout(prog);
        case O_VERSION: return cli_version(prog);
        default: return cli_try_help(prog);
        }
    }
    if (argc - optind > 1) return cli_usage(prog, "unexpected argument '%s' (one RANKED input at most)", argv[optind + 1]);
    const char *in = optind < argc ? argv[optind] : "-";
    if (!truth) return cli_usage(prog, "--truth PAIRS.npy is required");
    ar_err e = {0};
    int ks[METRICS_MAXK], nk, which[M_COUNT], nm;
    metrics_acc acc;
    if (metrics_parse_ks(klist, ks, &nk, &e)) { e.code = AR_EUSAGE; return cli_fail(prog, &e); }
    if (parse_metrics(mlist, which, &nm))
        return cli_usage(prog, "--metrics '%s': expected distinct names from recall,ndcg,hit,precision,mrr", mlist);
    if (metrics_init(&acc, ks, nk, &e)) return cli_fail(prog, &e);
    cli_log_init(prog, quiet);
    int maxk = 0;
    for (int j = 0; j < nk; j++) maxk = ks[j] > maxk ? ks[j] : maxk;

    int rc;
    const char *tn = ar_display_name(truth);
    ar_array T = {0};
    csr tm;
    memset(&tm, 0, sizeof tm);
    int64_t *seen = NULL; /* line where each truth row's user was ranked (0 = not yet) */
    int32_t *sorted = NULL;
    double *vals = NULL;
    ar_lines *lr = NULL;
    ar_out po, so;
    memset(&po, 0, sizeof po);
    memset(&so, 0, sizeof so);
    int64_t n_lines = 0, n_ignored = 0;

    /* ---- targets ---- */
    if ((rc = npy_read(truth, &T, &e))) goto out;
    if (T.dtype != AR_I32 && T.dtype != AR_I64 && T.dtype != AR_U8) {
        rc = ar_fail(&e, AR_EDATA, "%s: dtype %s, expected an integer array [n, 2] of (user, item)", tn, ar_dtype_name(T.dtype));
        goto out;
    }
    if (T.ndim != 2 || T.shape[1] != 2) {
        rc = ar_fail(&e, AR_EDATA, "%s: expected shape [n, 2] of (user, item), got a %d-d array%s", tn, T.ndim,
                     T.ndim == 2 ? " with other than 2 columns" : "");
        goto out;
    }
    if ((rc = ar_array_cast(&T, AR_I32, tn, &e))) goto out;
    int64_t nrows = 0, ncols = 0;
    const int32_t *tp = T.data;
    for (int64_t r = 0; r < T.shape[0]; r++) {
        if (tp[2 * r] < 0 || tp[2 * r + 1] < 0) {
            rc = ar_fail(&e, AR_EDATA, "%s: row %lld: negative id (%d, %d)", tn, (long long)r, tp[2 * r], tp[2 * r + 1]);
            goto out;
        }
        if (tp[2 * r] >= nrows) nrows = (int64_t)tp[2 * r] + 1;
        if (tp[2 * r + 1] >= ncols) ncols = (int64_t)tp[2 * r + 1] + 1;
    }
    if (T.shape[0] == 0) { rc = ar_fail(&e, AR_EDATA, "%s: no pairs, nothing to evaluate", tn); goto out; }
    if ((rc = csr_from_pairs(&tm, T.data, T.shape[0], nrows, ncols, &e))) { ar_wrap(&e, "%s", tn); goto out; }
    ar_array_free(&T);
    seen = ar_calloc((size_t)nrows, sizeof *seen, &e);
    vals = ar_calloc(M_COUNT * (size_t)nk, sizeof *vals, &e);
    if (!seen || !vals) { rc = AR_EDATA; goto out; }

    if (per_user && (rc = ar_out_open(&po, per_user, -1, &e))) goto out;

    /* ---- ranked lines, one at a time ---- */
    if ((rc = ar_lines_open(&lr, in, &e))) goto out;
    const char *ln = ar_lines_path(lr);
    size_t sorted_cap = 0;
    for (;;) {
        char *line;
        size_t len;
        int r = ar_lines_next(lr, &line, &len, &e);
        if (r < 0) { rc = -r; goto out; }
        if (r == 0) break;
        long no = ar_lines_lineno(lr);
        size_t sp = strspn(line, " \t");
        if (sp == len) continue; /* blank line */
        const char *endp = NULL;
        cJSON *j = cJSON_ParseWithLengthOpts(line, len, &endp, 0);
        if (j && endp) endp += strspn(endp, " \t");
        if (!j || !cJSON_IsObject(j) || !endp || endp != line + len) {
            cJSON_Delete(j);
            rc = ar_fail(&e, AR_EDATA, "%s:%ld: malformed JSON (expected an object {\"user\":..,\"items\":[..]})", ln, no);
            goto out;
        }
        const cJSON *ju = cJSON_GetObjectItemCaseSensitive(j, "user");
        const cJSON *ji = cJSON_GetObjectItemCaseSensitive(j, "items");
        int32_t u;
        const char *bad = !ju ? "field \"user\" missing"
                        : json_int(ju, &u) ? "field \"user\" is not a non-negative integer"
                        : !ji ? "field \"items\" missing"
                        : !cJSON_IsArray(ji) ? "field \"items\" is not an array" : NULL;
        if (bad) {
            cJSON_Delete(j);
            rc = ar_fail(&e, AR_EDATA, "%s:%ld: %s", ln, no, bad);
            goto out;
        }
        int n = cJSON_GetArraySize(ji);
        if ((size_t)n > sorted_cap || !sorted) {
            size_t nc = (size_t)n * 2 + 16;
            int32_t *ns = ar_realloc(sorted, nc * 2 * sizeof *ns, &e);
            if (!ns) { cJSON_Delete(j); rc = AR_EDATA; goto out; }
            sorted = ns;
            sorted_cap = nc;
        }
        int32_t *items = sorted + sorted_cap; /* second half: the list in rank order */
        int i = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, ji) {
            if (json_int(it, &items[i])) {
                cJSON_Delete(j);
                rc = ar_fail(&e, AR_EDATA, "%s:%ld: user %d: items[%d] is not a non-negative integer", ln, no, u, i);
                goto out;
            }
            i++;
        }
        cJSON_Delete(j);
        if (n < maxk) {
            rc = ar_fail(&e, AR_EDATA, "%s:%ld: user %d: %d items, fewer than K = %d", ln, no, u, n, maxk);
            goto out;
        }
        memcpy(sorted, items, (size_t)n * sizeof *items);
        qsort(sorted, (size_t)n, sizeof *sorted, cmp_i32);
        for (int q = 1; q < n; q++)
            if (sorted[q] == sorted[q - 1]) {
                rc = ar_fail(&e, AR_EDATA, "%s:%ld: user %d: item %d listed twice", ln, no, u, sorted[q]);
                goto out;
            }
        int64_t t = u < nrows ? tm.indptr[u + 1] - tm.indptr[u] : 0;
        if (t == 0) {
            if (ignore_extra) { n_ignored++; continue; }
            rc = ar_fail(&e, AR_EDATA, "%s:%ld: user %d has no targets in %s (--ignore-extra skips such users)", ln, no, u, tn);
            goto out;
        }
        if (seen[u]) {
            rc = ar_fail(&e, AR_EDATA, "%s:%ld: user %d ranked twice (first on line %lld)", ln, no, u, (long long)seen[u]);
            goto out;
        }
        seen[u] = no;
        metrics_user(items, n, tm.indices + tm.indptr[u], (int)t, acc.ks, nk, vals);
        metrics_add(&acc, vals);
        n_lines++;
        if (per_user && (rc = per_user_line(&po, u, vals, which, nm, &acc, &e))) goto out;
    }

    /* ---- users with targets but no line ---- */
    int64_t n_missing = 0;
    char first[256] = "";
    size_t fl = 0;
    for (int64_t u = 0; u < nrows; u++) {
        if (seen[u] || tm.indptr[u + 1] == tm.indptr[u]) continue;
        if (n_missing < 5) fl += (size_t)snprintf(first + fl, sizeof first - fl, "%s%lld", n_missing ? ", " : "", (long long)u);
        n_missing++;
        if (missing_zero) {
            memset(vals, 0, M_COUNT * (size_t)nk * sizeof *vals);
            metrics_add(&acc, vals);
            if (per_user && (rc = per_user_line(&po, (int32_t)u, vals, which, nm, &acc, &e))) goto out;
        }
    }
    if (n_missing && !missing_zero) {
        rc = ar_fail(&e, AR_EDATA, "%lld users with targets in %s have no ranked line (first: %s%s); --missing zero counts them as 0",
                     (long long)n_missing, tn, first, n_missing > 5 ? ", ..." : "");
        goto out;
    }
    if (acc.n_users == 0) { rc = ar_fail(&e, AR_EDATA, "no users to evaluate"); goto out; }
    if (n_missing) ar_log("%lld users with targets had no ranked line and count as 0 (--missing zero)", (long long)n_missing);
    if (n_ignored) ar_log("%lld ranked users without targets ignored (--ignore-extra)", (long long)n_ignored);
    ar_log("evaluated %lld users (%lld ranked lines)", (long long)acc.n_users, (long long)n_lines);

    /* ---- summary ---- */
    if ((rc = ar_out_open(&so, out, -1, &e))) goto out;
    if (!tsv && (rc = ar_out_printf(&so, &e, "{"))) goto out;
    for (int a = 0; a < nm; a++)
        for (int j = 0; j < nk; j++) {
            double v = metrics_mean(&acc, which[a], j);
            rc = tsv ? ar_out_printf(&so, &e, "%s@%d\t%.8g\n", metric_names[which[a]], ks[j], v)
                     : ar_out_printf(&so, &e, "\"%s@%d\": %.8g, ", metric_names[which[a]], ks[j], v);
            if (rc) goto out;
        }
    if (tsv) rc = ar_out_printf(&so, &e, "n_users\t%lld\n", (long long)acc.n_users);
    else {
        rc = ar_out_printf(&so, &e, "\"n_users\": %lld, \"k\": [", (long long)acc.n_users);
        for (int j = 0; j < nk && !rc; j++) rc = ar_out_printf(&so, &e, j ? ", %d" : "%d", ks[j]);
        if (!rc) rc = ar_out_printf(&so, &e, "]}\n");
    }
    if (rc) goto out;
    if (per_user && (rc = ar_out_commit(&po, &e))) goto out;
    rc = ar_out_commit(&so, &e);

out:
    if (rc) {
        ar_out_abort(&po);
        ar_out_abort(&so);
    }
    ar_lines_close(lr);
    ar_array_free(&T);
    csr_free(&tm);
    free(seen);
    free(sorted);
    free(vals);
    if (rc) return cli_fail(prog, &e);
    return 0;
}
