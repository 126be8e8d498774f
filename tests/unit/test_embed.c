/* Tests of lib/embed.c: half/bfloat16 conversion, the L2 kernel against its
 * reference, format names and detection, and imports of small files written here
 * (TSV, JSON array, word2vec binary, safetensors, RecBole) with their counts,
 * missing-row policies and error messages. Round trips against numpy-written files
 * are in tests/cli/embed.sh. */
#include <cJSON.h>
#include <string.h>
#include <unistd.h>

#include "embed.h"
#include "io.h"
#include "npy.h"
#include "rng.h"
#include "t.h"

static char dir[64];
static char *items[] = {"b", "a", "c", "d"};

static const char *path_in(const char *name)
{
    static char buf[8][256];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void put(const char *name, const void *s, size_t n)
{
    ar_err e = {0};
    if (ar_write_file(path_in(name), s, n, 0, &e)) printf("  cannot write fixture: %s\n", e.msg);
}

static void puts_file(const char *name, const char *s) { put(name, s, strlen(s)); }

static void test_half(void)
{
    CHECK(emb_half_to_float(0x3C00) == 1.0f, "1.0");
    CHECK(emb_half_to_float(0xC000) == -2.0f, "-2.0");
    CHECK(emb_half_to_float(0x7BFF) == 65504.0f, "max half");
    CHECK(emb_half_to_float(0x0001) == ldexpf(1.0f, -24), "smallest subnormal");
    CHECK(emb_half_to_float(0x8000) == 0.0f && signbit(emb_half_to_float(0x8000)), "-0");
    CHECK(isinf(emb_half_to_float(0x7C00)) && isnan(emb_half_to_float(0x7E00)), "inf/nan");
    CHECK(emb_bf16_to_float(0x3F80) == 1.0f && emb_bf16_to_float(0xC040) == -3.0f, "bf16");
    /* every finite half against npy.c's independent cast */
    ar_array a;
    ar_err e = {0};
    int64_t n = 65536;
    CHECK(ar_array_alloc(&a, AR_F16, 1, &n, &e) == 0, "%s", e.msg);
    uint16_t *h = a.data;
    for (int64_t i = 0; i < n; i++) h[i] = (uint16_t)i;
    CHECK(ar_array_cast(&a, AR_F32, "halves", &e) == 0, "%s", e.msg);
    const float *f = a.data;
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        float mine = emb_half_to_float((uint16_t)i);
        if (isnan(mine) ? !isnan(f[i]) : memcmp(&mine, &f[i], 4) != 0) bad++;
    }
    CHECK(bad == 0, "%d halves differ from ar_array_cast", bad);
    ar_array_free(&a);
}

static void test_normalize_vs_ref(void)
{
    rng r;
    rng_seed(&r, 11);
    int64_t n = 300, d = 37; /* X is (n, d) */
    float *x = malloc((size_t)(n * d) * sizeof *x), *y = malloc((size_t)(n * d) * sizeof *y);
    for (int64_t i = 0; i < n * d; i++) x[i] = (float)(rng_normal(&r) * 3.0);
    for (int64_t j = 0; j < d; j++) x[5 * d + j] = 0; /* a zero row */
    memcpy(y, x, (size_t)(n * d) * sizeof *x);
    emb_l2_normalize(x, n, d);
    emb_l2_normalize_ref(y, n, d);
    double maxdiff = 0, maxnorm_err = 0;
    for (int64_t i = 0; i < n; i++) {
        double ss = 0;
        for (int64_t j = 0; j < d; j++) {
            maxdiff = fmax(maxdiff, fabs(x[i * d + j] - y[i * d + j]));
            ss += (double)x[i * d + j] * x[i * d + j];
        }
        if (i != 5) maxnorm_err = fmax(maxnorm_err, fabs(sqrt(ss) - 1));
        else CHECK(ss == 0, "zero row changed");
    }
    CHECK(maxdiff == 0, "kernel vs reference max diff %g", maxdiff);
    CHECK(maxnorm_err < 1e-6, "row norms off by %g", maxnorm_err);
    /* a big matrix takes the parallel path */
    int64_t n2 = 5000, d2 = 64;
    float *p = malloc((size_t)(n2 * d2) * sizeof *p), *q = malloc((size_t)(n2 * d2) * sizeof *q);
    for (int64_t i = 0; i < n2 * d2; i++) p[i] = q[i] = (float)rng_normal(&r);
    emb_l2_normalize(p, n2, d2);
    emb_l2_normalize_ref(q, n2, d2);
    CHECK(memcmp(p, q, (size_t)(n2 * d2) * sizeof *p) == 0, "parallel kernel differs from reference");
    free(x); free(y); free(p); free(q);
}

static void test_formats(void)
{
    for (int f = EMB_NPY; f <= EMB_RECBOLE; f++)
        CHECK(emb_format_parse(emb_format_name((emb_format)f)) == f, "format %d name round trip", f);
    CHECK(emb_format_parse("parquet") == -1, "parquet is not a format");
    struct { const char *name, *content; emb_format want; } c[] = {
        {"x.npy", "", EMB_NPY}, {"x.npy.gz", "", EMB_NPY}, {"x.npz", "", EMB_NPZ},
        {"m.safetensors", "", EMB_SAFETENSORS}, {"x.jsonl", "", EMB_JSONL}, {"x.json", "", EMB_JSONL},
        {"cc.vec", "", EMB_W2V}, {"g.bin", "", EMB_W2V_BIN}, {"x.tsv", "", EMB_TSV}, {"x.itememb", "", EMB_RECBOLE},
        {"r.txt", "iid:token\temb:float_seq\n", EMB_RECBOLE}, {"w.txt", "10 300\nthe 1 2\n", EMB_W2V},
        {"g.txt", "the 0.1 0.2\n", EMB_W2V}, {"t.txt", "B001\t0.1 0.2\n", EMB_TSV}, {"j.txt", "{\"id\": 1}\n", EMB_JSONL}};
    ar_err e = {0};
    ar_log_set(NULL);
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        if (ar_has_suffix(c[i].name, ".txt")) puts_file(c[i].name, c[i].content);
        emb_format f = EMB_AUTO;
        int rc = emb_format_detect(path_in(c[i].name), &f, &e);
        CHECK(rc == 0 && f == c[i].want, "%s: rc %d format %s, want %s", c[i].name, rc, emb_format_name(f),
              emb_format_name(c[i].want));
    }
    emb_format f;
    CHECK(emb_format_detect("x.parquet", &f, &e) == AR_EUSAGE && strstr(e.msg, "--format npy|"), "%s", e.msg);
}

/* import with the 4 items b a c d; returns rc */
static int imp(const char *file, emb_opts *o, emb_result *r, ar_err *e)
{
    return emb_import_ids(items, 4, "items.txt", path_in(file), o, r, e);
}

static void test_tsv_missing_policies(void)
{
    /* header, an unknown id, item d missing */
    puts_file("v.tsv", "id\tvec\na\t1 2 3\nzz\t9 9 9\r\nc\t0 0 4\nb\t-1\t0 0.5\n");
    emb_opts o = {0};
    emb_result r;
    ar_err e = {0};
    CHECK(imp("v.tsv", &o, &r, &e) == AR_EDATA, "missing d must fail");
    CHECK(strstr(e.msg, "no vector for 1 of 4 items of items.txt (first: 'd')"), "%s", e.msg);
    o.missing = EMB_MISSING_ZERO;
    CHECK(imp("v.tsv", &o, &r, &e) == 0, "%s", e.msg);
    CHECK(r.n_items == 4 && r.dim == 3 && r.found == 3 && r.unknown == 1 && r.filled == 1 && r.source_rows == 4,
          "counts %lld %lld %lld %lld %lld", (long long)r.n_items, (long long)r.dim, (long long)r.found,
          (long long)r.unknown, (long long)r.filled);
    float want0[12] = {-1, 0, 0.5f, 1, 2, 3, 0, 0, 4, 0, 0, 0};
    CHECK(memcmp(r.emb, want0, sizeof want0) == 0, "zero-filled matrix wrong");
    emb_result_free(&r);
    o.missing = EMB_MISSING_MEAN;
    o.normalize = 1;
    CHECK(imp("v.tsv", &o, &r, &e) == 0, "%s", e.msg);
    /* mean of (-1,0,.5) (1,2,3) (0,0,4) = (0, 2/3, 2.5), then normalised */
    double m[3] = {0, 2.0 / 3, 2.5}, nm = sqrt(m[1] * m[1] + m[2] * m[2]);
    for (int j = 0; j < 3; j++) CHECK_CLOSE(r.emb[9 + j], m[j] / nm, 1e-6, 1e-7);
    CHECK_CLOSE(r.emb[3], 1 / sqrt(14.0), 1e-6, 0);
    emb_result_free(&r);
    /* the sidecar records the counts */
    CHECK(emb_write_sidecar(path_in("side.json"), "v.tsv", "items.txt", "o.npy", &o, &r, &e) == 0, "%s", e.msg);
    unsigned char *buf;
    size_t len;
    CHECK(ar_read_all(path_in("side.json"), &buf, &len, &e) == 0, "%s", e.msg);
    cJSON *j = cJSON_Parse((char *)buf);
    CHECK(j && cJSON_GetObjectItem(j, "found")->valuedouble == 3 && cJSON_GetObjectItem(j, "unknown_ids_ignored")->valuedouble == 1 &&
              strcmp(cJSON_GetObjectItem(j, "missing")->valuestring, "mean") == 0 &&
              cJSON_IsTrue(cJSON_GetObjectItem(j, "normalize")) &&
              strlen(cJSON_GetObjectItem(j, "source_sha256")->valuestring) == 64,
          "sidecar: %s", buf);
    cJSON_Delete(j);
    free(buf);
}

static void test_json_array_and_recbole(void)
{
    puts_file("v.json", "[ {\"k\": \"a\", \"v\": [1, 2]}, {\"k\": \"b\", \"v\": [3, 4]},\n"
                        "  {\"k\": \"c\", \"v\": [5, 6]}, {\"k\": \"d\", \"v\": [7, 8]} ]\n");
    emb_opts o = {0};
    o.id_field = "k";
    o.vec_field = "v";
    emb_result r;
    ar_err e = {0};
    CHECK(imp("v.json", &o, &r, &e) == 0, "%s", e.msg);
    float w[8] = {3, 4, 1, 2, 5, 6, 7, 8};
    CHECK(r.emb && memcmp(r.emb, w, sizeof w) == 0, "json array values");
    emb_result_free(&r);
    memset(&o, 0, sizeof o); /* one object {id: vector}, on one line */
    puts_file("m.json", "{\"c\": [5, 6], \"a\": [1, 2], \"b\": [3, 4], \"d\": [7, 8]}\n");
    CHECK(imp("m.json", &o, &r, &e) == 0, "%s", e.msg);
    CHECK(r.emb && memcmp(r.emb, w, sizeof w) == 0, "json mapping values");
    emb_result_free(&r);
    puts_file("m2.json", "{\"c\": [5, 6],\n \"a\": [1, \"x\"]}\n");
    CHECK(imp("m2.json", &o, &r, &e) == AR_EDATA && strstr(e.msg, "m2.json: element 1: \"a\" value 2 is not a number"), "%s", e.msg);
    o.id_field = "k";
    o.vec_field = "v";
    puts_file("dup.json", "[{\"k\": \"a\", \"v\": [1]}, {\"k\": \"a\", \"v\": [2]}]");
    CHECK(imp("dup.json", &o, &r, &e) == AR_EDATA && strstr(e.msg, "dup.json: element 1: duplicate id 'a' (first on element 0)"),
          "%s", e.msg);
    /* RecBole: the vector column before the id column, extra columns */
    memset(&o, 0, sizeof o);
    puts_file("r.itememb", "emb:float_seq\tname:token\tiid:token\n1 2\tx\ta\n3 4\ty\tb\n5 6\tz\tc\n7 8\tw\td\n");
    o.id_field = "iid";
    CHECK(imp("r.itememb", &o, &r, &e) == 0, "%s", e.msg);
    CHECK(r.emb && memcmp(r.emb, w, sizeof w) == 0, "recbole values");
    emb_result_free(&r);
    o.id_field = NULL; /* first :float_seq, first :token = name -> no id matches */
    CHECK(imp("r.itememb", &o, &r, &e) == AR_EDATA && strstr(e.msg, "none of the 4 ids"), "%s", e.msg);
}

static void le32(unsigned char *p, float f) { uint32_t u; memcpy(&u, &f, 4); for (int i = 0; i < 4; i++) p[i] = (unsigned char)(u >> (8 * i)); }

static void test_w2v_bin(void)
{
    unsigned char b[256];
    size_t n = (size_t)sprintf((char *)b, "3 2\n");
    const char *w[] = {"d", "a", "q"};
    for (int k = 0; k < 3; k++) {
        n += (size_t)sprintf((char *)b + n, "%s ", w[k]);
        le32(b + n, (float)k + 0.5f);
        le32(b + n + 4, (float)(-k)); /* not -0.0f: compared bytewise */
        n += 8;
        if (k != 1) b[n++] = '\n';
    }
    put("v.bin", b, n);
    emb_opts o = {0};
    o.missing = EMB_MISSING_ZERO;
    emb_result r;
    ar_err e = {0};
    CHECK(imp("v.bin", &o, &r, &e) == 0, "%s", e.msg);
    float want[8] = {0, 0, 1.5f, -1, 0, 0, 0.5f, 0};
    CHECK(r.emb && memcmp(r.emb, want, sizeof want) == 0, "w2v-bin values");
    CHECK(r.found == 2 && r.unknown == 1 && r.format == EMB_W2V_BIN, "counts");
    emb_result_free(&r);
    b[n++] = 'x';
    put("v2.bin", b, n);
    CHECK(imp("v2.bin", &o, &r, &e) == AR_EDATA && strstr(e.msg, "1 bytes after the 3 words"), "%s", e.msg);
}

static void test_safetensors(void)
{
    /* F16 tensor "e" (4, 2) = rows d c b a; values 1..8 */
    const char *hdr = "{\"e\":{\"dtype\":\"F16\",\"shape\":[4,2],\"data_offsets\":[0,16]},\"__metadata__\":{\"a\":\"b\"}}";
    unsigned char b[256];
    size_t hn = strlen(hdr), pad = (8 - hn % 8) % 8;
    uint64_t L = hn + pad;
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(L >> (8 * i));
    memcpy(b + 8, hdr, hn);
    memset(b + 8 + hn, ' ', pad);
    static const uint16_t halves[8] = {0x3C00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600, 0x4700, 0x4800};
    for (int i = 0; i < 8; i++) { b[8 + L + 2 * i] = halves[i] & 255; b[8 + L + 2 * i + 1] = halves[i] >> 8; }
    put("e.safetensors", b, 8 + L + 16);
    puts_file("rows.txt", "d\nc\nb\na\n");
    emb_opts o = {0};
    o.ids_path = path_in("rows.txt");
    emb_result r;
    ar_err e = {0};
    CHECK(imp("e.safetensors", &o, &r, &e) == 0, "%s", e.msg);
    float want[8] = {5, 6, 7, 8, 3, 4, 1, 2}; /* items b a c d */
    CHECK(r.emb && memcmp(r.emb, want, sizeof want) == 0, "safetensors F16 values");
    CHECK(strcmp(r.source_dtype, "float16") == 0 && strcmp(r.array_name, "e") == 0, "%s %s", r.source_dtype, r.array_name);
    emb_result_free(&r);
    /* one byte of data too many: coverage check */
    b[8 + L + 16] = 0;
    put("e2.safetensors", b, 8 + L + 17);
    CHECK(imp("e2.safetensors", &o, &r, &e) == AR_EDATA && strstr(e.msg, "tensors cover 16 of the 17 data bytes"), "%s", e.msg);
    /* header that is not JSON */
    memcpy(b + 8, "{\"e\":[", 6);
    put("e3.safetensors", b, 8 + L + 16);
    CHECK(imp("e3.safetensors", &o, &r, &e) == AR_EDATA && strstr(e.msg, "header is not a JSON object"), "%s", e.msg);
    /* a text format with --ids is a usage error */
    CHECK(imp("v.tsv", &o, &r, &e) == AR_EUSAGE, "--ids with tsv: %s", e.msg);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/ar_test_embed_XXXXXX");
    if (!mkdtemp(dir)) { printf("FAIL setup: mkdtemp\n"); return 1; }
    ar_log_set(NULL);
    RUN(test_half);
    RUN(test_normalize_vs_ref);
    RUN(test_formats);
    RUN(test_tsv_missing_policies);
    RUN(test_json_array_and_recbole);
    RUN(test_w2v_bin);
    RUN(test_safetensors);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("  could not remove %s\n", dir);
    T_EXIT();
}
