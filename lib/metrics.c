/* metrics.c - top-K metrics for one user and their running means (see metrics.h). */
#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const metric_names[M_COUNT] = {"recall", "ndcg", "hit", "precision", "mrr"};

/* Largest K accepted (lists longer than this are not sensible JSON lines). */
#define METRICS_KMAX 1000000

int metrics_init(metrics_acc *m, const int *ks, int nk, ar_err *e)
{
    memset(m, 0, sizeof *m);
    if (nk < 1 || nk > METRICS_MAXK) return ar_fail(e, AR_EUSAGE, "need 1 to %d values of K, got %d", METRICS_MAXK, nk);
    for (int j = 0; j < nk; j++) {
        if (ks[j] < 1 || ks[j] > METRICS_KMAX) return ar_fail(e, AR_EUSAGE, "K = %d out of range [1, %d]", ks[j], METRICS_KMAX);
        for (int i = 0; i < j; i++)
            if (ks[i] == ks[j]) return ar_fail(e, AR_EUSAGE, "K = %d given twice", ks[j]);
        m->ks[j] = ks[j];
    }
    m->nk = nk;
    return AR_OK;
}

int metrics_parse_ks(const char *s, int *ks, int *nk, ar_err *e)
{
    *nk = 0;
    const char *p = s;
    for (;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || (*end != ',' && *end != 0) || errno || v < 1 || v > METRICS_KMAX)
            return ar_fail(e, AR_EUSAGE, "bad K list '%s': expected integers in [1, %d] separated by commas", s, METRICS_KMAX);
        if (*nk >= METRICS_MAXK) return ar_fail(e, AR_EUSAGE, "bad K list '%s': more than %d values", s, METRICS_MAXK);
        for (int i = 0; i < *nk; i++)
            if (ks[i] == (int)v) return ar_fail(e, AR_EUSAGE, "bad K list '%s': %ld given twice", s, v);
        ks[(*nk)++] = (int)v;
        if (*end == 0) break;
        p = end + 1;
    }
    return AR_OK;
}

static int in_sorted(const int32_t *a, int n, int32_t x)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (a[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && a[lo] == x;
}

/* ranked (n) is the list, truth (t) the sorted distinct targets; out is (M_COUNT, nk). */
void metrics_user(const int32_t *ranked, int n, const int32_t *truth, int t,
                  const int *ks, int nk, double *out)
{
    for (int j = 0; j < nk; j++) {
        int K = ks[j];
        int len = n < K ? n : K;
        int hits = 0, first = 0;
        double dcg = 0, idcg = 0;
        if (t > 0) {
            for (int r = 0; r < len; r++) {
                if (!in_sorted(truth, t, ranked[r])) continue;
                hits++;
                dcg += 1.0 / log2((double)r + 2.0);
                if (!first) first = r + 1;
            }
            int ideal = K < t ? K : t;
            for (int r = 0; r < ideal; r++) idcg += 1.0 / log2((double)r + 2.0);
        }
        out[M_RECALL * nk + j] = t > 0 ? (double)hits / t : 0.0;
        out[M_NDCG * nk + j] = idcg > 0 ? dcg / idcg : 0.0;
        out[M_HIT * nk + j] = hits > 0 ? 1.0 : 0.0;
        out[M_PRECISION * nk + j] = (double)hits / K;
        out[M_MRR * nk + j] = first ? 1.0 / first : 0.0;
    }
}

void metrics_add(metrics_acc *m, const double *vals)
{
    for (int mi = 0; mi < M_COUNT; mi++)
        for (int j = 0; j < m->nk; j++) m->sum[mi][j] += vals[mi * m->nk + j];
    m->n_users++;
}

double metrics_mean(const metrics_acc *m, int mi, int j)
{
    if (m->n_users == 0 || mi < 0 || mi >= M_COUNT || j < 0 || j >= m->nk) return 0.0;
    return m->sum[mi][j] / (double)m->n_users;
}
