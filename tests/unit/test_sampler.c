/* Tests of lib/sampler.c: freerec row semantics checked statistically with a
 * fixed seed (chi-square bounds that a biased sampler fails), exact support of
 * positives and negatives, determinism, and input validation. */
#include <string.h>

#include "sampler.h"
#include "t.h"

/* A U x I interaction matrix from a dense 0/1 mask (rows sorted by construction). */
static csr from_mask(const unsigned char *mask, int64_t U, int64_t I)
{
    csr R = {U, I, 0, calloc((size_t)U + 1, sizeof(int64_t)), NULL, NULL};
    for (int64_t k = 0; k < U * I; k++) R.nnz += mask[k] != 0;
    R.indices = malloc((size_t)(R.nnz ? R.nnz : 1) * sizeof(int32_t));
    int64_t at = 0;
    for (int64_t u = 0; u < U; u++) {
        for (int64_t i = 0; i < I; i++)
            if (mask[u * I + i]) R.indices[at++] = (int32_t)i;
        R.indptr[u + 1] = at;
    }
    return R;
}

static void free_csr(csr *R)
{
    free(R->indptr);
    free(R->indices);
}

/* Chi-square statistic of counts against equal expectation. */
static double chi2(const int64_t *cnt, int64_t n, double expect)
{
    double s = 0;
    for (int64_t k = 0; k < n; k++) s += (cnt[k] - expect) * (cnt[k] - expect) / expect;
    return s;
}
/* Upper bound for a chi-square with df degrees of freedom: mean + 6 sd. */
static double chi2_bound(double df) { return df + 6.0 * sqrt(2.0 * df); }

enum { SU = 40, SI = 30 };

/* Users 0, 7 and 33 have no training items; degrees vary from 1 to 29 (= I - 1). */
static unsigned char *make_mask(void)
{
    unsigned char *m = calloc(SU * SI, 1);
    rng r;
    rng_seed(&r, 5);
    for (int u = 0; u < SU; u++) {
        if (u == 0 || u == 7 || u == 33) continue;
        int deg = u == 1 ? SI - 1 : u == 2 ? 1 : 1 + (int)rng_below(&r, 12);
        for (int c = 0; c < deg;) {
            int it = (int)rng_below(&r, SI);
            if (!m[u * SI + it]) m[u * SI + it] = 1, c++;
        }
    }
    return m;
}

static void test_distributions(void)
{
    unsigned char *mask = make_mask();
    csr R = from_mask(mask, SU, SI);
    sampler s;
    ar_err e = {0};
    CHECK(sampler_init(&s, &R, &e) == 0, "%s", e.msg);
    CHECK(s.n_active == SU - 3, "n_active %lld", (long long)s.n_active);
    const int64_t B = 120000;
    const int K = 5;
    int32_t *users = malloc(B * sizeof *users), *pos = malloc(B * sizeof *pos), *negs = malloc(B * K * sizeof *negs);
    rng r;
    rng_seed(&r, 77);
    sampler_batch(&s, &r, B, K, users, pos, negs);

    int64_t ucnt[SU] = {0};
    int64_t *pcnt = calloc(SU * SI, sizeof *pcnt), *ncnt = calloc(SU * SI, sizeof *ncnt);
    int bad_user = 0, bad_pos = 0, bad_neg = 0;
    for (int64_t b = 0; b < B; b++) {
        int u = users[b];
        if (u < 0 || u >= SU || R.indptr[u + 1] == R.indptr[u]) {
            bad_user++;
            continue;
        }
        ucnt[u]++;
        if (pos[b] < 0 || pos[b] >= SI || !mask[u * SI + pos[b]]) bad_pos++;
        else pcnt[u * SI + pos[b]]++;
        for (int k = 0; k < K; k++) {
            int n = negs[b * K + k];
            if (n < 0 || n >= SI || mask[u * SI + n] || n == pos[b]) bad_neg++;
            else ncnt[u * SI + n]++;
        }
    }
    CHECK(bad_user == 0, "%d rows with a user without training items (or out of range)", bad_user);
    CHECK(ucnt[0] == 0 && ucnt[7] == 0 && ucnt[33] == 0, "inactive users drawn");
    CHECK(bad_pos == 0, "%d positives outside the user's training items", bad_pos);
    CHECK(bad_neg == 0, "%d negatives inside the user's training items", bad_neg);

    /* users: uniform over the active users (not proportional to degree) */
    int64_t act[SU];
    int na = 0;
    for (int u = 0; u < SU; u++)
        if (R.indptr[u + 1] > R.indptr[u]) act[na++] = ucnt[u];
    double cu = chi2(act, na, (double)B / na);
    CHECK(cu < chi2_bound(na - 1), "user chi2 %.1f over %d active users (bound %.1f)", cu, na, chi2_bound(na - 1));

    /* positives: uniform within each user's row; negatives: uniform over the
     * complement, every complement item drawn. Chi-square pooled over users. */
    double cp = 0, cn = 0, dfp = 0, dfn = 0;
    int uncovered = 0;
    for (int u = 0; u < SU; u++) {
        int64_t deg = R.indptr[u + 1] - R.indptr[u];
        if (!deg) continue;
        int64_t pc[SI], nc[SI];
        int npc = 0, nnc = 0;
        for (int i = 0; i < SI; i++) {
            if (mask[u * SI + i]) pc[npc++] = pcnt[u * SI + i];
            else {
                nc[nnc++] = ncnt[u * SI + i];
                uncovered += ncnt[u * SI + i] == 0;
            }
        }
        cp += chi2(pc, npc, (double)ucnt[u] / npc);
        dfp += npc - 1;
        cn += chi2(nc, nnc, (double)ucnt[u] * K / nnc);
        dfn += nnc - 1;
    }
    CHECK(cp < chi2_bound(dfp), "positive chi2 %.1f, df %.0f", cp, dfp);
    CHECK(cn < chi2_bound(dfn), "negative chi2 %.1f, df %.0f", cn, dfn);
    CHECK(uncovered == 0, "%d (user, unseen item) pairs never drawn as negatives", uncovered);
    /* the statistics have power: a sampler drawing users by degree would fail */
    {
        int64_t biased[SU];
        for (int k = 0; k < na; k++) biased[k] = 0;
        int64_t tot = 0;
        for (int u = 0, k = 0; u < SU; u++)
            if (R.indptr[u + 1] > R.indptr[u]) tot += R.indptr[u + 1] - R.indptr[u], biased[k++] = R.indptr[u + 1] - R.indptr[u];
        for (int k = 0; k < na; k++) biased[k] = biased[k] * B / tot;
        CHECK(chi2(biased, na, (double)B / na) > chi2_bound(na - 1), "chi2 test has no power");
    }
    free(users), free(pos), free(negs), free(pcnt), free(ncnt), free(mask);
    sampler_free(&s);
    free_csr(&R);
}

static void test_exact_support(void)
{
    /* one user, row {0, 2, 3, 7} of 9 items: negatives exactly {1, 4, 5, 6, 8} */
    unsigned char mask[9] = {1, 0, 1, 1, 0, 0, 0, 1, 0};
    csr R = from_mask(mask, 1, 9);
    sampler s;
    ar_err e = {0};
    CHECK(sampler_init(&s, &R, &e) == 0, "%s", e.msg);
    enum { B = 4000, K = 3 };
    int32_t users[B], pos[B], negs[B * K];
    rng r;
    rng_seed(&r, 1);
    sampler_batch(&s, &r, B, K, users, pos, negs);
    int64_t c[9] = {0}, p[9] = {0};
    for (int b = 0; b < B; b++) {
        p[pos[b]]++;
        for (int k = 0; k < K; k++) c[negs[b * K + k]]++;
    }
    CHECK(c[0] == 0 && c[2] == 0 && c[3] == 0 && c[7] == 0, "negative in training row");
    CHECK(p[1] + p[4] + p[5] + p[6] + p[8] == 0, "positive outside training row");
    int64_t cc[5] = {c[1], c[4], c[5], c[6], c[8]}, pp[4] = {p[0], p[2], p[3], p[7]};
    CHECK(chi2(cc, 5, B * K / 5.0) < chi2_bound(4), "negatives not uniform: %lld %lld %lld %lld %lld", (long long)c[1],
          (long long)c[4], (long long)c[5], (long long)c[6], (long long)c[8]);
    CHECK(chi2(pp, 4, B / 4.0) < chi2_bound(3), "positives not uniform");
    /* K = 0: negs may be NULL */
    sampler_batch(&s, &r, 5, 0, users, pos, NULL);
    CHECK(users[0] == 0, "K = 0");
    sampler_free(&s);
    free_csr(&R);
}

static void test_determinism(void)
{
    unsigned char *mask = make_mask();
    csr R = from_mask(mask, SU, SI);
    sampler s;
    ar_err e = {0};
    CHECK(sampler_init(&s, &R, &e) == 0, "%s", e.msg);
    enum { B = 500, K = 7 };
    int32_t u1[B], p1[B], n1[B * K], u2[B], p2[B], n2[B * K];
    rng r1, r2;
    rng_seed(&r1, 42);
    rng_seed(&r2, 42);
    sampler_batch(&s, &r1, B, K, u1, p1, n1);
    sampler_batch(&s, &r2, B, K, u2, p2, n2);
    CHECK(!memcmp(u1, u2, sizeof u1) && !memcmp(p1, p2, sizeof p1) && !memcmp(n1, n2, sizeof n1),
          "same seed, different rows");
    CHECK(!memcmp(&r1, &r2, sizeof r1), "rng states differ after the batch");
    /* the rng advanced: the next batch differs; another seed differs */
    sampler_batch(&s, &r1, B, K, u2, p2, n2);
    CHECK(memcmp(u1, u2, sizeof u1) != 0, "rng did not advance");
    rng_seed(&r2, 43);
    sampler_batch(&s, &r2, B, K, u2, p2, n2);
    CHECK(memcmp(u1, u2, sizeof u1) != 0 && memcmp(n1, n2, sizeof n1) != 0, "seed ignored");
    /* rows are drawn in order: a batch of B/2 is the first half of the batch of B */
    rng_seed(&r2, 42);
    sampler_batch(&s, &r2, B / 2, K, u2, p2, n2);
    CHECK(!memcmp(u1, u2, sizeof u1 / 2) && !memcmp(n1, n2, sizeof n1 / 2), "row order");
    sampler_free(&s);
    free_csr(&R);
    free(mask);
}

static void test_validation(void)
{
    ar_err e = {0};
    sampler s;
    unsigned char none[6] = {0};
    csr R = from_mask(none, 2, 3);
    CHECK(sampler_init(&s, &R, &e) == AR_EDATA, "empty matrix accepted");
    CHECK(strstr(e.msg, "no user") != NULL, "message: %s", e.msg);
    free_csr(&R);
    unsigned char m[6] = {1, 1, 0, 0, 1, 0};
    R = from_mask(m, 2, 3);
    int32_t t = R.indices[0];
    R.indices[0] = R.indices[1], R.indices[1] = t; /* unsorted row */
    CHECK(sampler_init(&s, &R, &e) == AR_EDATA, "unsorted row accepted");
    R.indices[1] = R.indices[0]; /* duplicate */
    CHECK(sampler_init(&s, &R, &e) == AR_EDATA, "duplicate item accepted");
    R.indices[0] = 0, R.indices[1] = 3; /* out of range */
    CHECK(sampler_init(&s, &R, &e) == AR_EDATA, "item out of range accepted");
    free_csr(&R);
}

int main(void)
{
    ar_log_set(NULL);
    RUN(test_distributions);
    RUN(test_exact_support);
    RUN(test_determinism);
    RUN(test_validation);
    T_EXIT();
}
