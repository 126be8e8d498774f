/* Tests of lib/metrics.c: hand-computed cases (numbers worked out in the comments)
 * and properties on random lists. */
#include <string.h>

#include "metrics.h"
#include "rng.h"
#include "t.h"

#define V(out, mi, j, nk) ((out)[(mi) * (nk) + (j)])

/* User A: T = {3, 7, 9} (|T| = 3), ranked = [7, 1, 3, 4, 9].
 *   hits at ranks 1 (7), 3 (3), 5 (9).
 *   K=1: hits 1. recall 1/3, precision 1/1, hit 1, mrr 1/1,
 *        DCG = 1/log2(2) = 1, IDCG over min(1,3)=1 position = 1 -> ndcg 1.
 *   K=3: hits 2. recall 2/3, precision 2/3, hit 1, mrr 1,
 *        DCG = 1 + 1/log2(4) = 1.5,
 *        IDCG = 1 + 1/log2(3) + 1/log2(4) = 1 + 0.6309297536 + 0.5 = 2.1309297536
 *        ndcg = 1.5 / 2.1309297536 = 0.7039180890.
 *   K=5: hits 3. recall 3/3 = 1, precision 3/5 = 0.6, hit 1, mrr 1,
 *        DCG = 1.5 + 1/log2(6) = 1.5 + 0.3868528072 = 1.8868528072,
 *        IDCG over min(5,3)=3 positions = 2.1309297536 -> ndcg 0.8854598816.
 * User B: T = {5}, ranked = [1, 2, 5, 6, 8]: the only hit is at rank 3.
 *   K=1: everything 0.
 *   K=3: recall 1/1, precision 1/3, hit 1, mrr 1/3, DCG = 1/log2(4) = 0.5, IDCG = 1 -> ndcg 0.5.
 *   K=5: recall 1, precision 1/5, hit 1, mrr 1/3, ndcg 0.5.
 * Means over the two users:
 *   recall    @1 (1/3+0)/2 = 0.1666666667  @3 (2/3+1)/2 = 0.8333333333  @5 1
 *   ndcg      @1 0.5   @3 (0.7039180890+0.5)/2 = 0.6019590445   @5 (0.8854598816+0.5)/2 = 0.6927299408
 *   hit       @1 0.5   @3 1     @5 1
 *   precision @1 0.5   @3 (2/3+1/3)/2 = 0.5   @5 (0.6+0.2)/2 = 0.4
 *   mrr       @1 0.5   @3 (1+1/3)/2 = 0.6666666667   @5 0.6666666667 */
static void test_hand_case(void)
{
    const int ks[3] = {1, 3, 5};
    const int32_t ra[5] = {7, 1, 3, 4, 9}, ta[3] = {3, 7, 9};
    const int32_t rb[5] = {1, 2, 5, 6, 8}, tb[1] = {5};
    double a[M_COUNT * 3], b[M_COUNT * 3];
    metrics_user(ra, 5, ta, 3, ks, 3, a);
    metrics_user(rb, 5, tb, 1, ks, 3, b);
    const double ea[M_COUNT][3] = {
        {1.0 / 3, 2.0 / 3, 1.0}, {1.0, 0.7039180890341347, 0.8854598815714874}, {1, 1, 1},
        {1.0, 2.0 / 3, 0.6}, {1, 1, 1}};
    const double eb[M_COUNT][3] = {
        {0, 1, 1}, {0, 0.5, 0.5}, {0, 1, 1}, {0, 1.0 / 3, 0.2}, {0, 1.0 / 3, 1.0 / 3}};
    for (int mi = 0; mi < M_COUNT; mi++)
        for (int j = 0; j < 3; j++) {
            CHECK_CLOSE(V(a, mi, j, 3), ea[mi][j], 1e-12, 1e-12);
            CHECK_CLOSE(V(b, mi, j, 3), eb[mi][j], 1e-12, 1e-12);
        }
    metrics_acc m;
    ar_err e = {0};
    CHECK(metrics_init(&m, ks, 3, &e) == 0, "%s", e.msg);
    metrics_add(&m, a);
    metrics_add(&m, b);
    CHECK(m.n_users == 2, "n_users %lld", (long long)m.n_users);
    const double mean[M_COUNT][3] = {
        {0.16666666666666666, 0.8333333333333334, 1.0},
        {0.5, 0.6019590445170673, 0.6927299407857437},
        {0.5, 1.0, 1.0},
        {0.5, 0.5, 0.4},
        {0.5, 0.6666666666666666, 0.6666666666666666}};
    for (int mi = 0; mi < M_COUNT; mi++)
        for (int j = 0; j < 3; j++) CHECK_CLOSE(metrics_mean(&m, mi, j), mean[mi][j], 1e-12, 1e-12);
}

/* Recall divides by |T| even when |T| > K: 30 targets {0..29}, the top 20 all hits.
 * recall@20 = 20/30 = 0.6667 (not 1), precision 1, ndcg 1 (IDCG over min(20,30) = 20). */
static void test_recall_denominator(void)
{
    int32_t t[30], r[20];
    for (int i = 0; i < 30; i++) t[i] = i;
    for (int i = 0; i < 20; i++) r[i] = 19 - i;
    const int ks[1] = {20};
    double o[M_COUNT];
    metrics_user(r, 20, t, 30, ks, 1, o);
    CHECK_CLOSE(o[M_RECALL], 20.0 / 30.0, 1e-12, 0);
    CHECK_CLOSE(o[M_PRECISION], 1.0, 1e-12, 0);
    CHECK_CLOSE(o[M_NDCG], 1.0, 1e-12, 0);
    CHECK_CLOSE(o[M_MRR], 1.0, 1e-12, 0);
    /* Recall@1 = hit at rank 1 / |T|: one target of two at rank 1 -> 0.5 */
    const int32_t t2[2] = {4, 8}, r2[3] = {8, 0, 4};
    const int k1[1] = {1};
    metrics_user(r2, 3, t2, 2, k1, 1, o);
    CHECK_CLOSE(o[M_RECALL], 0.5, 1e-12, 0);
    CHECK_CLOSE(o[M_NDCG], 1.0, 1e-12, 0);
}

/* Properties on random lists against the definitions. */
static void test_properties(void)
{
    rng r;
    rng_seed(&r, 42);
    const int ks[4] = {50, 1, 10, 20}; /* unsorted on purpose */
    int32_t ranked[50], truth[40];
    double o[M_COUNT * 4];
    for (int trial = 0; trial < 2000; trial++) {
        int n_items = 60 + (int)rng_below(&r, 40);
        /* ranked: 50 distinct items (partial Fisher-Yates) */
        int32_t perm[100];
        for (int i = 0; i < n_items; i++) perm[i] = i;
        for (int i = 0; i < 50; i++) {
            int j = i + (int)rng_below(&r, (uint64_t)(n_items - i));
            int32_t x = perm[i]; perm[i] = perm[j]; perm[j] = x;
            ranked[i] = perm[i];
        }
        /* truth: each item with probability p, sorted by construction */
        int t = 0;
        double p = rng_double(&r) * 0.4;
        for (int i = 0; i < n_items && t < 40; i++)
            if (rng_double(&r) < p) truth[t++] = i;
        if (t == 0) truth[t++] = (int32_t)rng_below(&r, (uint64_t)n_items);
        metrics_user(ranked, 50, truth, t, ks, 4, o);
        for (int j = 0; j < 4; j++) {
            int K = ks[j], hits = 0, first = 0;
            for (int q = 0; q < K; q++)
                for (int s = 0; s < t; s++)
                    if (ranked[q] == truth[s]) { hits++; if (!first) first = q + 1; }
            CHECK_CLOSE(V(o, M_RECALL, j, 4), (double)hits / t, 1e-12, 1e-15);
            CHECK_CLOSE(V(o, M_PRECISION, j, 4), (double)hits / K, 1e-12, 1e-15);
            CHECK(V(o, M_HIT, j, 4) == (hits > 0), "hit");
            CHECK_CLOSE(V(o, M_MRR, j, 4), first ? 1.0 / first : 0.0, 1e-12, 1e-15);
            double nd = V(o, M_NDCG, j, 4);
            CHECK(nd >= 0 && nd <= 1 + 1e-12, "ndcg %g out of [0,1]", nd);
            CHECK((nd > 0) == (hits > 0), "ndcg>0 iff a hit");
            if (hits == (K < t ? K : t)) {
                /* all ideal positions filled only if the hits are the first ones */
                int prefix = 1;
                for (int q = 0; q < hits; q++) {
                    int in = 0;
                    for (int s = 0; s < t; s++) in |= ranked[q] == truth[s];
                    prefix &= in;
                }
                if (prefix) CHECK_CLOSE(nd, 1.0, 1e-12, 0);
            }
        }
        /* monotone in K: ks 1 < 10 < 20 < 50 at j = 1, 2, 3, 0 */
        const int order[4] = {1, 2, 3, 0};
        for (int a = 0; a + 1 < 4; a++) {
            int j0 = order[a], j1 = order[a + 1];
            CHECK(V(o, M_RECALL, j0, 4) <= V(o, M_RECALL, j1, 4) + 1e-15, "recall monotone");
            CHECK(V(o, M_HIT, j0, 4) <= V(o, M_HIT, j1, 4), "hit monotone");
            CHECK(V(o, M_MRR, j0, 4) <= V(o, M_MRR, j1, 4) + 1e-15, "mrr monotone");
        }
        if (t_cur_failed) break;
    }
}

static void test_parse_and_init(void)
{
    int ks[METRICS_MAXK], nk;
    ar_err e = {0};
    CHECK(metrics_parse_ks("20", ks, &nk, &e) == 0 && nk == 1 && ks[0] == 20, "20");
    CHECK(metrics_parse_ks("10,20,50", ks, &nk, &e) == 0 && nk == 3 && ks[0] == 10 && ks[2] == 50, "10,20,50");
    const char *badv[] = {"", "0", "-5", "abc", "10,", ",10", "10,,20", "10,10", "1e3", "10 20", "99999999999"};
    for (size_t i = 0; i < sizeof badv / sizeof *badv; i++) {
        e.code = 0;
        CHECK(metrics_parse_ks(badv[i], ks, &nk, &e) == AR_EUSAGE && e.code == AR_EUSAGE, "'%s' accepted", badv[i]);
    }
    metrics_acc m;
    const int dup[2] = {5, 5}, zero[1] = {0};
    CHECK(metrics_init(&m, dup, 2, &e) == AR_EUSAGE, "duplicate K accepted");
    CHECK(metrics_init(&m, zero, 1, &e) == AR_EUSAGE, "K=0 accepted");
    CHECK(metrics_init(&m, dup, 0, &e) == AR_EUSAGE, "no K accepted");
    CHECK(strcmp(metric_names[M_RECALL], "recall") == 0 && strcmp(metric_names[M_MRR], "mrr") == 0, "names");
    const int k1[1] = {3};
    CHECK(metrics_init(&m, k1, 1, &e) == 0, "%s", e.msg);
    CHECK(metrics_mean(&m, M_RECALL, 0) == 0.0, "mean of nothing");
}

int main(void)
{
    RUN(test_hand_case);
    RUN(test_recall_denominator);
    RUN(test_properties);
    RUN(test_parse_and_init);
    T_EXIT();
}
