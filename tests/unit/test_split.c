/* Tests of lib/split.c and lib/dataset.c: split arithmetic (spec 1.3 table and
 * a loop-counting reference), k-core fixed point, stable tie order, byte-order
 * id sort, an end-to-end build, duplicates, and the dataset directory round trip. */
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"
#include "io.h"
#include "npy.h"
#include "split.h"
#include "t.h"

static const int64_t R811[3] = {8, 1, 1};

/* floor(a n / s) by counting, independent of the library's integer division */
static int64_t floor_count(int64_t a, int64_t n, int64_t s)
{
    int64_t k = 0;
    while ((k + 1) * s <= a * n) k++;
    return k;
}

static void ref_cuts(split_mode m, const int64_t r[3], int64_t n, int64_t *l, int64_t *rr)
{
    int64_t s = r[0] + r[1] + r[2], fa = floor_count(r[0], n, s), fab = floor_count(r[0] + r[1], n, s);
    int64_t L, R;
    if (m == SPLIT_ROU) {
        L = fa < 1 ? 1 : fa;
        R = fab < L ? L : fab;
    } else {
        L = fa < n - 2 ? fa : n - 2;
        if (L < 1) L = 1;
        R = fab < n - 1 ? fab : n - 1;
        if (R < L) R = L;
    }
    *l = L;
    *rr = R;
}

static void test_cuts_spec_table(void)
{
    /* spec.md 1.3 examples: n -> train/valid/test */
    static const int rou[][4] = {{5, 4, 0, 1}, {6, 4, 1, 1}, {7, 5, 1, 1}, {8, 6, 1, 1}, {9, 7, 1, 1},
                                 {10, 8, 1, 1}, {11, 8, 1, 2}, {12, 9, 1, 2}, {20, 16, 2, 2}};
    for (size_t k = 0; k < sizeof rou / sizeof rou[0]; k++) {
        int64_t l, r, n = rou[k][0];
        split_cuts(SPLIT_ROU, R811, n, &l, &r);
        CHECK(l == rou[k][1] && r - l == rou[k][2] && n - r == rou[k][3], "ROU n=%lld: %lld/%lld/%lld", (long long)n,
              (long long)l, (long long)(r - l), (long long)(n - r));
    }
    int64_t l, r;
    split_cuts(SPLIT_RAU, R811, 5, &l, &r);
    CHECK(l == 3 && r == 4, "RAU n=5: %lld/%lld/%lld, expected 3/1/1", (long long)l, (long long)(r - l), (long long)(5 - r));
    /* n = 5..20: both modes against the counting reference; RAU = ROU for n >= 6 */
    for (int64_t n = 5; n <= 20; n++) {
        for (int m = 0; m < 2; m++) {
            int64_t el, er;
            ref_cuts((split_mode)m, R811, n, &el, &er);
            split_cuts((split_mode)m, R811, n, &l, &r);
            CHECK(l == el && r == er, "%s n=%lld: got l=%lld r=%lld, expected %lld %lld", m ? "RAU" : "ROU", (long long)n,
                  (long long)l, (long long)r, (long long)el, (long long)er);
            CHECK(n - r >= 1, "n=%lld: empty test", (long long)n);
        }
        int64_t l2, r2;
        split_cuts(SPLIT_ROU, R811, n, &l, &r);
        split_cuts(SPLIT_RAU, R811, n, &l2, &r2);
        if (n >= 6) CHECK(l == l2 && r == r2, "ROU and RAU differ at n=%lld", (long long)n);
        CHECK(r2 - l2 >= 1 && n - r2 >= 1, "RAU n=%lld lacks valid or test", (long long)n);
    }
    /* other ratios and small n */
    static const int64_t r712[3] = {7, 1, 2};
    for (int64_t n = 1; n <= 40; n++)
        for (int m = 0; m < 2; m++) {
            int64_t el, er;
            ref_cuts((split_mode)m, r712, n, &el, &er);
            if (el > n) el = n;
            if (er > n) er = n;
            split_cuts((split_mode)m, r712, n, &l, &r);
            CHECK(l == el && r == er, "7,1,2 mode %d n=%lld: l=%lld r=%lld vs %lld %lld", m, (long long)n, (long long)l,
                  (long long)r, (long long)el, (long long)er);
        }
}

static void test_cuts_lou(void)
{
    int64_t l, r;
    for (int64_t n = 1; n <= 3; n++) {
        split_cuts(SPLIT_LOU, R811, n, &l, &r);
        CHECK(l == n && r == n, "LOU n=%lld: all train expected, got %lld/%lld", (long long)n, (long long)l, (long long)r);
    }
    for (int64_t n = 4; n <= 30; n++) {
        split_cuts(SPLIT_LOU, R811, n, &l, &r);
        CHECK(l == n - 2 && r == n - 1, "LOU n=%lld: %lld/%lld", (long long)n, (long long)l, (long long)r);
    }
}

static void test_kcore_fixed_point(void)
{
    /* rows: u1-a u1-b u2-a u2-c u3-c u4-a u4-d u5-a u5-d, 2-core/2-core.
     * round 1: user pass drops u3-c; item pass drops u1-b (b:1), u2-c (c:1)
     * round 2: user pass drops u1-a, u2-a (1 row each); round 3: no change. */
    const int32_t u[9] = {1, 1, 2, 2, 3, 4, 4, 5, 5};
    const int32_t it[9] = {0, 1, 0, 2, 2, 0, 3, 0, 3};
    unsigned char keep[9];
    memset(keep, 1, sizeof keep);
    int rounds = 0;
    ar_err e = {0};
    int64_t kept = split_kcore(9, u, it, 6, 4, 2, 2, keep, &rounds, &e);
    const unsigned char want[9] = {0, 0, 0, 0, 0, 1, 1, 1, 1};
    CHECK(kept == 4, "kept %lld, expected 4", (long long)kept);
    CHECK(memcmp(keep, want, 9) == 0, "wrong rows kept");
    CHECK(rounds == 3, "rounds %d, expected 3", rounds);
    /* one round alone is not the fixed point: only user pass + item pass once */
    memset(keep, 1, sizeof keep);
    int64_t k1 = split_kcore(9, u, it, 6, 4, 2, 0, keep, &rounds, &e);
    CHECK(k1 == 8 && keep[4] == 0, "user-only 2-core kept %lld", (long long)k1);
    /* thresholds 0 / 1 are no bound */
    memset(keep, 1, sizeof keep);
    CHECK(split_kcore(9, u, it, 6, 4, 0, 1, keep, &rounds, &e) == 9 && rounds == 1, "no-bound k-core dropped rows");
    /* order matters: user pass first. u1: a b; u2: a; items a:2 b:1 with ku=2 ki=2.
     * user pass drops u2-a first, then a:1 and b:1 go -> empty */
    const int32_t u2[3] = {0, 0, 1}, i2[3] = {0, 1, 0};
    memset(keep, 1, 3);
    CHECK(split_kcore(3, u2, i2, 2, 2, 2, 2, keep, &rounds, &e) == 0, "expected empty core");
}

static void test_stable_order(void)
{
    const int32_t u[6] = {1, 0, 1, 0, 1, 0};
    const double t[6] = {5, 3, 5, 3, 1, 2};
    int64_t perm[6];
    ar_err e = {0};
    CHECK(split_order(6, u, t, perm, &e) == 0, "%s", e.msg);
    const int64_t want[6] = {5, 1, 3, 4, 0, 2};
    for (int k = 0; k < 6; k++) CHECK(perm[k] == want[k], "perm[%d] = %lld, expected %lld", k, (long long)perm[k], (long long)want[k]);
    /* many ties: input order must survive a large sort */
    enum { N = 5000 };
    static int32_t uu[N];
    static double tt[N];
    static int64_t pp[N];
    for (int k = 0; k < N; k++) { uu[k] = (k * 7919) % 13; tt[k] = (double)((k * 31) % 3); }
    CHECK(split_order(N, uu, tt, pp, &e) == 0, "%s", e.msg);
    for (int k = 1; k < N; k++) {
        int64_t a = pp[k - 1], b = pp[k];
        int ok = uu[a] < uu[b] || (uu[a] == uu[b] && (tt[a] < tt[b] || (tt[a] == tt[b] && a < b)));
        if (!ok) { CHECK(ok, "order broken at %d", k); break; }
    }
}

static void test_byte_order_ids(void)
{
    char *ids[8] = {"b", "B", "a10", "a9", "A", "\xc3\x81", "_", "A0"};
    int64_t order[8];
    ar_err e = {0};
    CHECK(split_sort_ids(ids, 8, order, &e) == 0, "%s", e.msg);
    const char *want[8] = {"A", "A0", "B", "_", "a10", "a9", "b", "\xc3\x81"};
    for (int k = 0; k < 8; k++) CHECK(strcmp(ids[order[k]], want[k]) == 0, "rank %d: '%s', expected '%s'", k, ids[order[k]], want[k]);
}

static void add(split_raw *r, const char *u, const char *i, double rating, double t)
{
    ar_err e = {0};
    if (split_raw_add(r, u, strlen(u), i, strlen(i), rating, t, &e)) printf("  add: %s\n", e.msg);
}

static void test_build_end_to_end(void)
{
    split_raw r;
    memset(&r, 0, sizeof r);
    /* u2 and u10 and u1 (byte order: u1 < u10 < u2); a rating-1 row is filtered;
     * ties at t=7 for u10 keep input order (x before w) */
    add(&r, "u2", "z", 5, 3);
    add(&r, "u10", "x", 4, 7);
    add(&r, "u2", "y", 5, 1);
    add(&r, "u10", "w", 4, 7);
    add(&r, "u1", "y", 1, 0); /* dropped by --min-rating 2 */
    add(&r, "u10", "y", 4, 2);
    add(&r, "u1", "w", 3, 9);
    add(&r, "u10", "v", 4, 8);
    add(&r, "u2", "x", 5, 2);
    add(&r, "u10", "z", 4, 1);
    add(&r, "u10", "u", 4, 9);
    split_params p = {SPLIT_ROU, {8, 1, 1}, 2.0, 0, 0};
    split_result s;
    ar_err e = {0};
    CHECK(split_build(&r, &p, "test", &s, &e) == 0, "%s", e.msg);
    CHECK(s.n_users == 3 && s.n_items == 6, "users %lld items %lld", (long long)s.n_users, (long long)s.n_items);
    CHECK(s.n_after_rating == 10, "after rating %lld", (long long)s.n_after_rating);
    const char *wu[3] = {"u1", "u10", "u2"}, *wi[6] = {"u", "v", "w", "x", "y", "z"};
    for (int k = 0; k < 3 && k < s.n_users; k++) CHECK(strcmp(s.user_ids[k], wu[k]) == 0, "user %d = %s", k, s.user_ids[k]);
    for (int k = 0; k < 6 && k < s.n_items; k++) CHECK(strcmp(s.item_ids[k], wi[k]) == 0, "item %d = %s", k, s.item_ids[k]);
    /* u1 (0): [w] n=1 -> 1/0/0. u10 (1): z y x w v u (n=6) -> 4/1/1.
     * u2 (2): y x z (n=3) -> l=max(2,1)=2, r=max(2,2)=2 -> 2/0/1 */
    const int32_t tr[] = {0, 2, 1, 5, 1, 4, 1, 3, 1, 2, 2, 4, 2, 3};
    const int32_t va[] = {1, 1};
    const int32_t te[] = {1, 0, 2, 5};
    const int32_t *w[3] = {tr, va, te};
    const int64_t wc[3] = {7, 1, 2};
    for (int k = 0; k < 3; k++) {
        CHECK(s.count[k] == wc[k], "split %d count %lld, expected %lld", k, (long long)s.count[k], (long long)wc[k]);
        if (s.count[k] == wc[k])
            for (int64_t j = 0; j < 2 * wc[k]; j++) CHECK(s.pairs[k][j] == w[k][j], "split %d elem %lld: %d vs %d", k, (long long)j, s.pairs[k][j], w[k][j]);
    }
    CHECK(s.has_duplicates == 0, "no duplicates expected");
    split_result_free(&s);
    /* a duplicate (user, item) across splits is reported */
    add(&r, "u2", "y", 5, 10);
    CHECK(split_build(&r, &p, "test", &s, &e) == 0, "%s", e.msg);
    CHECK(s.has_duplicates == 1, "duplicate not detected");
    split_result_free(&s);
    /* everything filtered -> error naming the input */
    split_params p2 = {SPLIT_ROU, {8, 1, 1}, 6.0, 0, 0};
    CHECK(split_build(&r, &p2, "in.tsv", &s, &e) == AR_EDATA && strstr(e.msg, "in.tsv") && strstr(e.msg, "no interactions"), "empty: %s", e.msg);
    split_raw_free(&r);
}

static void test_ids_ok(void)
{
    CHECK(split_id_ok("A1B2", 4), "plain id");
    CHECK(!split_id_ok("", 0), "empty id");
    CHECK(!split_id_ok("a b", 3), "space");
    CHECK(!split_id_ok("a\tb", 3), "tab");
    CHECK(!split_id_ok("a\nb", 3), "newline");
    CHECK(split_id_ok("\xc3\x81x", 3), "utf-8");
}

static void test_dataset_roundtrip(void)
{
    char dir[] = "/tmp/ar_test_split_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char out[300], p[400];
    snprintf(out, sizeof out, "%s/ds", dir);
    split_raw r;
    memset(&r, 0, sizeof r);
    add(&r, "b", "i2", NAN, 0);
    add(&r, "b", "i1", NAN, 1);
    add(&r, "a", "i1", NAN, 0);
    add(&r, "a", "i3", NAN, 1);
    add(&r, "a", "i2", NAN, 2);
    split_params prm = {SPLIT_RAU, {8, 1, 1}, 0, 0, 0};
    split_result s;
    ar_err e = {0};
    CHECK(split_build(&r, &prm, "t", &s, &e) == 0, "%s", e.msg);
    split_input in = {.path = "mem", .sha256 = "00", .bytes = 0};
    split_meta m = {SPLIT_FMT_SEQ, &prm, &in, 1};
    char *json = split_meta_json(&s, &m, &e);
    CHECK(json != NULL, "%s", e.msg);
    CHECK(split_write_dir(out, 0, &s, json, &e) == 0, "%s", e.msg);
    /* refused without force; replaced with force */
    CHECK(split_write_dir(out, 0, &s, json, &e) == AR_EUSAGE, "existing dir not refused");
    CHECK(split_write_dir(out, 1, &s, json, &e) == 0, "force: %s", e.msg);
    snprintf(p, sizeof p, "%s/ds.tmp.%ld", dir, (long)getpid());
    struct stat st;
    CHECK(stat(p, &st) != 0, "temp dir left behind");
    dataset ds;
    CHECK(dataset_load(out, &ds, 1, &e) == 0, "%s", e.msg);
    CHECK(ds.n_users == 2 && ds.n_items == 3, "counts %lld %lld", (long long)ds.n_users, (long long)ds.n_items);
    CHECK(ds.train.shape[0] == s.count[0] && ds.valid.shape[0] == s.count[1] && ds.test.shape[0] == s.count[2], "split sizes");
    CHECK(memcmp(ds.train.data, s.pairs[0], (size_t)s.count[0] * 8) == 0, "train content");
    CHECK(ds.user_ids && strcmp(ds.user_ids[0], "a") == 0 && strcmp(ds.user_ids[1], "b") == 0, "user ids");
    CHECK(ds.item_ids && strcmp(ds.item_ids[2], "i3") == 0, "item ids");
    CHECK(ds.has_duplicates == 0, "has_duplicates");
    dataset_free(&ds);
    /* int64 pairs are accepted */
    snprintf(p, sizeof p, "%s/test.npy", out);
    ar_array a;
    int64_t shp[2] = {1, 2};
    CHECK(ar_array_alloc(&a, AR_I64, 2, shp, &e) == 0, "%s", e.msg);
    ((int64_t *)a.data)[0] = 1;
    ((int64_t *)a.data)[1] = 0;
    CHECK(npy_write(p, &a, &e) == 0, "%s", e.msg);
    ar_array_free(&a);
    CHECK(dataset_load(out, &ds, 0, &e) == 0, "int64: %s", e.msg);
    CHECK(ds.test.dtype == AR_I32 && ((int32_t *)ds.test.data)[0] == 1, "int64 cast");
    dataset_free(&ds);
    /* an out-of-range item is reported with file and row */
    int32_t bad[4] = {0, 1, 1, 3};
    CHECK(npy_write_i32(p, bad, 2, 2, &e) == 0, "%s", e.msg);
    CHECK(dataset_load(out, &ds, 0, &e) == AR_EDATA && strstr(e.msg, "test.npy") && strstr(e.msg, "row 1"), "range: %s", e.msg);
    /* wrong shape */
    CHECK(npy_write_i32(p, bad, 1, 4, &e) == 0, "%s", e.msg);
    CHECK(dataset_load(out, &ds, 0, &e) == AR_EDATA && strstr(e.msg, "shape"), "shape: %s", e.msg);
    /* a repeated pair contradicting has_duplicates=false */
    int32_t dup[2] = {0, 0};
    CHECK(npy_write_i32(p, dup, 1, 2, &e) == 0, "%s", e.msg);
    int rc = dataset_load(out, &ds, 0, &e);
    CHECK(rc == AR_EDATA && strstr(e.msg, "has_duplicates"), "dup: rc %d %s", rc, e.msg);
    /* ids_read */
    snprintf(p, sizeof p, "%s/ids.txt", dir);
    CHECK(ar_write_file(p, "x\r\ny\nz", 6, 0, &e) == 0, "%s", e.msg);
    char **ids;
    int64_t n;
    CHECK(ids_read(p, &ids, &n, &e) == 0 && n == 3 && strcmp(ids[1], "y") == 0 && strcmp(ids[2], "z") == 0, "ids_read");
    ids_free(ids, n);
    CHECK(ar_write_file(p, "x\n\ny\n", 5, 0, &e) == 0, "%s", e.msg);
    CHECK(ids_read(p, &ids, &n, &e) == AR_EDATA && strstr(e.msg, ":2:"), "empty line: %s", e.msg);
    free(json);
    split_result_free(&s);
    split_raw_free(&r);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "cleanup");
}

int main(void)
{
    RUN(test_cuts_spec_table);
    RUN(test_cuts_lou);
    RUN(test_kcore_fixed_point);
    RUN(test_stable_order);
    RUN(test_byte_order_ids);
    RUN(test_build_end_to_end);
    RUN(test_ids_ok);
    RUN(test_dataset_roundtrip);
    T_EXIT();
}
