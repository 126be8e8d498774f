/* Tests of lib/npy.c: .npy/.npz round trips, hand-built headers (Fortran order,
 * big-endian, v2/v3, key order), half-precision conversions, casts, ZIP64 and
 * every bad-input case.
 *
 * Extra modes used by tests/cli/formats.sh for interop with numpy/scipy:
 *   test_npy dump FILE   print the array(s) of a .npy/.npy.gz/.npz as text:
 *                        "<name> <dtype> <shape>" then one value a line (%.9g)
 *   test_npy write DIR   write the fixed set of arrays described in write_set()
 * Without arguments it runs the unit tests.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "io.h"
#include "npy.h"
#include "t.h"

static char g_dir[64];

static const char *tpath(const char *name)
{
    static char buf[8][256];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

/* ---- byte builders for hand-made files ---- */
typedef struct bb {
    unsigned char *p;
    size_t n, cap;
} bb;

static void bb_put(bb *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}
static void bb_u8(bb *b, unsigned v) { unsigned char c = (unsigned char)v; bb_put(b, &c, 1); }
static void bb_u16(bb *b, unsigned v) { bb_u8(b, v & 0xff); bb_u8(b, (v >> 8) & 0xff); }
static void bb_u32(bb *b, uint32_t v) { bb_u16(b, v & 0xffff); bb_u16(b, v >> 16); }
static void bb_u64(bb *b, uint64_t v) { bb_u32(b, (uint32_t)v); bb_u32(b, (uint32_t)(v >> 32)); }

/* A .npy image with the given major version and header dict text (no padding rules). */
static void make_npy(bb *b, int major, const char *dict, const void *data, size_t n)
{
    b->n = 0;
    bb_put(b, "\x93NUMPY", 6);
    bb_u8(b, (unsigned)major);
    bb_u8(b, 0);
    size_t hl = strlen(dict) + 1;
    if (major == 1) bb_u16(b, (unsigned)hl);
    else bb_u32(b, (uint32_t)hl);
    bb_put(b, dict, strlen(dict));
    bb_u8(b, '\n');
    bb_put(b, data, n);
}

static int write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(p, 1, n, f) == n;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

static int read_bytes(const char *path, bb *b)
{
    b->n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    unsigned char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) bb_put(b, buf, k);
    fclose(f);
    return 0;
}

static void fill(ar_array *a, uint32_t seed)
{
    int64_t n = ar_array_numel(a);
    for (int64_t i = 0; i < n; i++) {
        double v = (double)((i * 7919 + seed) % 201) - 100.0;
        switch (a->dtype) {
        case AR_F32: ((float *)a->data)[i] = (float)(v / 8.0 + 1e-3 * (double)i); break;
        case AR_F64: ((double *)a->data)[i] = v / 3.0; break;
        case AR_F16: { uint16_t h = (uint16_t)(0x3c00 + (i * 13 + seed) % 0x3000); memcpy((char *)a->data + 2 * i, &h, 2); } break;
        case AR_I32: ((int32_t *)a->data)[i] = (int32_t)(v * 1000003); break;
        case AR_I64: ((int64_t *)a->data)[i] = (int64_t)v * INT64_C(100000000007); break;
        case AR_U8: ((uint8_t *)a->data)[i] = (uint8_t)(i * 37 + seed); break;
        case AR_STR: break;
        }
    }
}

static int same_array(const ar_array *a, const ar_array *b)
{
    if (a->dtype != b->dtype || a->ndim != b->ndim || a->itemsize != b->itemsize) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    size_t n = (size_t)ar_array_numel(a) * a->itemsize;
    return n == 0 || memcmp(a->data, b->data, n) == 0;
}

/* ---- tests ---- */

static void test_roundtrip_all_dtypes(void)
{
    const ar_dtype types[] = {AR_F32, AR_F64, AR_F16, AR_I32, AR_I64, AR_U8};
    const int64_t shapes[][3] = {{0, 0, 0}, {5, 0, 0}, {3, 4, 0}, {2, 3, 4}, {0, 3, 0}};
    const int ndims[] = {0, 1, 2, 3, 2};
    ar_err e = {0};
    for (int ti = 0; ti < 6; ti++)
        for (int si = 0; si < 5; si++) {
            ar_array a, b;
            CHECK(ar_array_alloc(&a, types[ti], ndims[si], shapes[si], &e) == 0, "%s", e.msg);
            fill(&a, (uint32_t)(ti * 10 + si));
            unsigned char *buf;
            size_t len;
            CHECK(npy_encode(&a, &buf, &len, &e) == 0, "%s", e.msg);
            /* data starts at a multiple of 64, header ends with '\n' */
            size_t hl = (size_t)buf[8] | (size_t)buf[9] << 8;
            CHECK(buf[6] == 1 && buf[7] == 0, "version");
            CHECK((10 + hl) % 64 == 0, "data offset %zu not aligned", 10 + hl);
            CHECK(buf[10 + hl - 1] == '\n', "header must end with newline");
            CHECK(len == 10 + hl + (size_t)ar_array_numel(&a) * a.itemsize, "length");
            CHECK(npy_parse(buf, len, "mem", &b, &e) == 0, "%s", e.msg);
            CHECK(same_array(&a, &b), "parse(encode) differs for %s ndim %d", ar_dtype_name(types[ti]), ndims[si]);
            ar_array_free(&b);
            /* through files, plain and gzip */
            const char *p = tpath("rt.npy"), *pg = tpath("rt.npy.gz");
            CHECK(npy_write(p, &a, &e) == 0, "%s", e.msg);
            CHECK(npy_write(pg, &a, &e) == 0, "%s", e.msg);
            bb f = {0};
            CHECK(read_bytes(p, &f) == 0 && f.n == len && memcmp(f.p, buf, len) == 0, "npy_write bytes != npy_encode bytes");
            CHECK(read_bytes(pg, &f) == 0 && f.n >= 2 && f.p[0] == 0x1f && f.p[1] == 0x8b, ".gz output is not gzip");
            free(f.p);
            CHECK(npy_read(p, &b, &e) == 0 && same_array(&a, &b), "file round trip: %s", e.msg);
            ar_array_free(&b);
            CHECK(npy_read(pg, &b, &e) == 0 && same_array(&a, &b), "gz round trip: %s", e.msg);
            ar_array_free(&b);
            free(buf);
            ar_array_free(&a);
        }
}

static void test_header_text_like_numpy(void)
{
    /* numpy 1.24: np.save(zeros((2, 3), float32)) has a 118-byte header (0x76), the dict
     * followed by 21 - len("2") growth spaces, padding and '\n'. */
    ar_err e = {0};
    ar_array a;
    int64_t sh[2] = {2, 3};
    CHECK(ar_array_alloc(&a, AR_F32, 2, sh, &e) == 0, "%s", e.msg);
    unsigned char *buf;
    size_t len;
    CHECK(npy_encode(&a, &buf, &len, &e) == 0, "%s", e.msg);
    const char *want = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    CHECK(buf[8] == 0x76 && buf[9] == 0, "header length %u", buf[8] | buf[9] << 8);
    CHECK(memcmp(buf + 10, want, strlen(want)) == 0, "dict text: %.60s", buf + 10);
    for (size_t i = 10 + strlen(want); i < 127; i++) CHECK(buf[i] == ' ', "byte %zu not a space", i);
    CHECK(buf[127] == '\n' && len == 128 + 24, "end of header");
    free(buf);
    ar_array_free(&a);
    /* 0-d '<U3' string, as scipy's save_npz stores format */
    CHECK(ar_array_str(&a, "csr", &e) == 0, "%s", e.msg);
    CHECK(npy_encode(&a, &buf, &len, &e) == 0, "%s", e.msg);
    const char *w2 = "{'descr': '<U3', 'fortran_order': False, 'shape': (), }";
    CHECK(memcmp(buf + 10, w2, strlen(w2)) == 0, "str header: %.60s", buf + 10);
    CHECK(len == 128 + 12 && memcmp(buf + 128, "c\0\0\0s\0\0\0r\0\0\0", 12) == 0, "UTF-32LE payload");
    ar_array b;
    CHECK(npy_parse(buf, len, "s", &b, &e) == 0 && same_array(&a, &b) && b.itemsize == 12, "str round trip %s", e.msg);
    ar_array_free(&b);
    free(buf);
    ar_array_free(&a);
    /* 1-d shape repr has the trailing comma */
    int64_t s1 = 5;
    CHECK(ar_array_alloc(&a, AR_U8, 1, &s1, &e) == 0, "%s", e.msg);
    CHECK(npy_encode(&a, &buf, &len, &e) == 0, "%s", e.msg);
    CHECK(strstr((char *)buf + 10, "'descr': '|u1'") && strstr((char *)buf + 10, "'shape': (5,), }"), "u8 header %.70s", buf + 10);
    free(buf);
    ar_array_free(&a);
}

static void test_hand_headers(void)
{
    ar_err e = {0};
    ar_array a;
    bb b = {0};
    float f5[5] = {1, 2, 3, 4.5f, -6};
    const char *dicts[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }",
        "{'shape': (5,), 'fortran_order': False, 'descr': '<f4'}",
        "{\"fortran_order\":False,\"descr\":\"<f4\",\"shape\":(5, )}   ",
        "{ 'fortran_order' : False , 'shape' : ( 5 , ) , 'descr' : '<f4' , }",
    };
    for (int v = 1; v <= 3; v++)
        for (int k = 0; k < 4; k++) {
            make_npy(&b, v, dicts[k], f5, sizeof f5);
            int rc = npy_parse(b.p, b.n, "h.npy", &a, &e);
            CHECK(rc == 0, "v%d dict %d: %s", v, k, e.msg);
            if (rc) continue;
            CHECK(a.dtype == AR_F32 && a.ndim == 1 && a.shape[0] == 5 && memcmp(a.data, f5, sizeof f5) == 0, "v%d dict %d content", v, k);
            ar_array_free(&a);
        }
    /* 0-d and (2, 3) */
    double d1 = 2.5;
    make_npy(&b, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", &d1, 8);
    CHECK(npy_parse(b.p, b.n, "z.npy", &a, &e) == 0 && a.ndim == 0 && ((double *)a.data)[0] == 2.5, "0-d: %s", e.msg);
    ar_array_free(&a);
    /* '|S3' bytes (scipy's save_npz "format") are widened to the same form as '<U3' */
    make_npy(&b, 1, "{'descr': '|S3', 'fortran_order': False, 'shape': (), }", "csr", 3);
    ar_array s3;
    ar_array_str(&s3, "csr", &e);
    CHECK(npy_parse(b.p, b.n, "s.npy", &a, &e) == 0 && same_array(&a, &s3), "|S3: %s", e.msg);
    ar_array_free(&a);
    ar_array_free(&s3);
    make_npy(&b, 1, "{'descr': '|S2', 'fortran_order': True, 'shape': (2, 2), }", "a\0cdbde\0", 8);
    CHECK(npy_parse(b.p, b.n, "s2.npy", &a, &e) == 0 && a.itemsize == 8 && memcmp(a.data, "a\0\0\0\0\0\0\0b\0\0\0d\0\0\0c\0\0\0d\0\0\0e\0\0\0\0\0\0\0", 32) == 0,
          "|S2 Fortran: %s", e.msg);
    ar_array_free(&a);
    /* bool is read as uint8 */
    unsigned char bo[3] = {1, 0, 1};
    make_npy(&b, 1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", bo, 3);
    CHECK(npy_parse(b.p, b.n, "b.npy", &a, &e) == 0 && a.dtype == AR_U8 && memcmp(a.data, bo, 3) == 0, "bool: %s", e.msg);
    ar_array_free(&a);
    free(b.p);
}

static void test_fortran_order(void)
{
    ar_err e = {0};
    ar_array a;
    bb b = {0};
    /* (2, 3) int32, element (i, j) = 10 i + j, stored column by column */
    int32_t f[6] = {0, 10, 1, 11, 2, 12};
    make_npy(&b, 1, "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", f, sizeof f);
    CHECK(npy_parse(b.p, b.n, "f.npy", &a, &e) == 0, "%s", e.msg);
    int32_t want[6] = {0, 1, 2, 10, 11, 12};
    CHECK(a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3 && memcmp(a.data, want, sizeof want) == 0, "2-d Fortran -> C");
    ar_array_free(&a);
    /* (2, 3, 4) float64, element = 100 i + 10 j + k; Fortran: i fastest */
    double f3[24], c3[24];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++) {
                f3[i + 2 * j + 6 * k] = 100 * i + 10 * j + k;
                c3[i * 12 + j * 4 + k] = 100 * i + 10 * j + k;
            }
    make_npy(&b, 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }", f3, sizeof f3);
    CHECK(npy_parse(b.p, b.n, "f3.npy", &a, &e) == 0, "%s", e.msg);
    CHECK(a.ndim == 3 && memcmp(a.data, c3, sizeof c3) == 0, "3-d Fortran -> C");
    ar_array_free(&a);
    free(b.p);
}

static void test_big_endian(void)
{
    ar_err e = {0};
    ar_array a;
    bb b = {0}, d = {0};
    /* '>f8' 1.5, -2 */
    double dv[2] = {1.5, -2};
    for (int i = 0; i < 2; i++) {
        uint64_t u;
        memcpy(&u, &dv[i], 8);
        for (int k = 7; k >= 0; k--) bb_u8(&d, (unsigned)(u >> (8 * k)) & 0xff);
    }
    make_npy(&b, 1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", d.p, d.n);
    CHECK(npy_parse(b.p, b.n, "be.npy", &a, &e) == 0 && ((double *)a.data)[0] == 1.5 && ((double *)a.data)[1] == -2, "be f8: %s", e.msg);
    ar_array_free(&a);
    /* '>i4' Fortran (2, 2): (i, j) = 1000 i + j - 5 */
    d.n = 0;
    int32_t iv[4] = {-5, 995, -4, 996};
    for (int i = 0; i < 4; i++) bb_u32(&d, ((uint32_t)iv[i] >> 24) | (((uint32_t)iv[i] >> 8) & 0xff00) | (((uint32_t)iv[i] << 8) & 0xff0000) | ((uint32_t)iv[i] << 24));
    make_npy(&b, 1, "{'descr': '>i4', 'fortran_order': True, 'shape': (2, 2), }", d.p, d.n);
    int32_t want[4] = {-5, -4, 995, 996};
    CHECK(npy_parse(b.p, b.n, "be.npy", &a, &e) == 0 && memcmp(a.data, want, 16) == 0, "be i4 fortran: %s", e.msg);
    ar_array_free(&a);
    /* '>f2' 1.0 = 3c00 */
    unsigned char h[2] = {0x3c, 0x00};
    make_npy(&b, 1, "{'descr': '>f2', 'fortran_order': False, 'shape': (1,), }", h, 2);
    CHECK(npy_parse(b.p, b.n, "be.npy", &a, &e) == 0 && ar_array_cast(&a, AR_F32, "be", &e) == 0 && ((float *)a.data)[0] == 1.0f, "be f2: %s", e.msg);
    ar_array_free(&a);
    /* '>U3' "csr" */
    unsigned char u[12] = {0, 0, 0, 'c', 0, 0, 0, 's', 0, 0, 0, 'r'};
    make_npy(&b, 1, "{'descr': '>U3', 'fortran_order': False, 'shape': (), }", u, 12);
    CHECK(npy_parse(b.p, b.n, "be.npy", &a, &e) == 0 && a.dtype == AR_STR && memcmp(a.data, "c\0\0\0s\0\0\0r\0\0\0", 12) == 0, "be U3: %s", e.msg);
    ar_array_free(&a);
    free(b.p);
    free(d.p);
}

static uint16_t f32_to_f16_bits(float x, int *rc)
{
    ar_err e = {0};
    ar_array a;
    int64_t one = 1;
    ar_array_alloc(&a, AR_F32, 1, &one, &e);
    ((float *)a.data)[0] = x;
    *rc = ar_array_cast(&a, AR_F16, "h", &e);
    uint16_t h = 0;
    if (*rc == 0) memcpy(&h, a.data, 2);
    ar_array_free(&a);
    return h;
}

static void test_half(void)
{
    ar_err e = {0};
    const uint16_t hb[] = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x7e00, 0x8000, 0x3555};
    const float want[] = {1.0f, -2.0f, 65504.0f, 5.9604644775390625e-08f, 6.0975551605224609e-05f, 6.103515625e-05f,
                          INFINITY, -INFINITY, NAN, -0.0f, 0.333251953125f};
    int n = (int)(sizeof hb / sizeof hb[0]);
    ar_array a;
    int64_t sh = n;
    CHECK(ar_array_alloc(&a, AR_F16, 1, &sh, &e) == 0, "%s", e.msg);
    memcpy(a.data, hb, sizeof hb);
    CHECK(ar_array_cast(&a, AR_F32, "h", &e) == 0 && a.dtype == AR_F32 && a.itemsize == 4, "%s", e.msg);
    for (int i = 0; i < n; i++) {
        float g = ((float *)a.data)[i];
        if (isnan(want[i])) CHECK(isnan(g), "half %04x -> %g, want nan", hb[i], g);
        else CHECK(g == want[i] && signbit(g) == signbit(want[i]), "half %04x -> %.9g, want %.9g", hb[i], g, want[i]);
    }
    ar_array_free(&a);
    /* every half value survives f16 -> f32 -> f16 */
    sh = 65536;
    ar_array_alloc(&a, AR_F16, 1, &sh, &e);
    for (int i = 0; i < 65536; i++) ((uint16_t *)a.data)[i] = (uint16_t)i;
    CHECK(ar_array_cast(&a, AR_F32, "all", &e) == 0, "%s", e.msg);
    CHECK(ar_array_cast(&a, AR_F16, "all", &e) == 0, "%s", e.msg);
    int bad = 0;
    for (int i = 0; i < 65536; i++) {
        uint16_t g = ((uint16_t *)a.data)[i];
        int isn = (i & 0x7c00) == 0x7c00 && (i & 0x3ff);
        if (isn ? !((g & 0x7c00) == 0x7c00 && (g & 0x3ff)) : g != i) bad++;
    }
    CHECK(bad == 0, "%d half values do not round trip", bad);
    ar_array_free(&a);
    /* rounding float -> half: to nearest, ties to even */
    int rc;
    CHECK(f32_to_f16_bits(1.0f, &rc) == 0x3c00 && rc == 0, "1.0");
    CHECK(f32_to_f16_bits(-2.0f, &rc) == 0xc000 && rc == 0, "-2.0");
    CHECK(f32_to_f16_bits(65504.0f, &rc) == 0x7bff && rc == 0, "65504");
    CHECK(f32_to_f16_bits(65519.0f, &rc) == 0x7bff && rc == 0, "65519 rounds down to 65504");
    f32_to_f16_bits(65520.0f, &rc);
    CHECK(rc == AR_EDATA, "65520 overflows float16");
    CHECK(f32_to_f16_bits(0x1p-24f, &rc) == 0x0001, "smallest subnormal");
    CHECK(f32_to_f16_bits(0x1p-25f, &rc) == 0x0000, "2^-25 ties to even (0)");
    CHECK(f32_to_f16_bits(0x1.8p-24f, &rc) == 0x0002, "1.5 * 2^-24 ties to even (2)");
    CHECK(f32_to_f16_bits(0x1.000002p-25f, &rc) == 0x0001, "just above 2^-25 rounds up");
    CHECK(f32_to_f16_bits(0.1f, &rc) == 0x2e66, "0.1 -> %04x", f32_to_f16_bits(0.1f, &rc));
    CHECK(f32_to_f16_bits(1.0f + 0x1p-11f, &rc) == 0x3c00, "1 + half ulp ties to even");
    CHECK(f32_to_f16_bits(1.0f + 0x1.8p-10f, &rc) == 0x3c02, "1 + 1.5 ulp ties to even (up)");
    CHECK(f32_to_f16_bits(0x1.ffcp-15f, &rc) == 0x0400, "rounds from subnormal up into the normals");
    CHECK(f32_to_f16_bits(INFINITY, &rc) == 0x7c00 && rc == 0, "inf");
    uint16_t hn = f32_to_f16_bits(NAN, &rc);
    CHECK((hn & 0x7c00) == 0x7c00 && (hn & 0x3ff) && rc == 0, "nan");
}

static void test_casts(void)
{
    ar_err e = {0};
    ar_array a;
    int64_t sh = 4;
    /* int32 -> int64 -> int32 -> uint8 -> float32 */
    ar_array_alloc(&a, AR_I32, 1, &sh, &e);
    int32_t v[4] = {0, 7, 255, 100};
    memcpy(a.data, v, sizeof v);
    CHECK(ar_array_cast(&a, AR_I64, "a", &e) == 0 && ((int64_t *)a.data)[2] == 255 && a.itemsize == 8, "i32->i64");
    CHECK(ar_array_cast(&a, AR_U8, "a", &e) == 0 && ((uint8_t *)a.data)[2] == 255, "i64->u8 %s", e.msg);
    CHECK(ar_array_cast(&a, AR_F32, "a", &e) == 0 && ((float *)a.data)[3] == 100.0f, "u8->f32");
    CHECK(ar_array_cast(&a, AR_F64, "a", &e) == 0 && ((double *)a.data)[1] == 7.0, "f32->f64");
    CHECK(ar_array_cast(&a, AR_I32, "a", &e) == 0 && ((int32_t *)a.data)[1] == 7, "exact f64->i32: %s", e.msg);
    ar_array_free(&a);
    /* overflow and inexact conversions are refused and name the array */
    ar_array_alloc(&a, AR_I64, 1, &sh, &e);
    ((int64_t *)a.data)[3] = INT64_C(1) << 40;
    e.code = 0;
    CHECK(ar_array_cast(&a, AR_I32, "big.npy", &e) == AR_EDATA && strstr(e.msg, "big.npy") && strstr(e.msg, "index 3"), "i64->i32 overflow: %s", e.msg);
    CHECK(a.dtype == AR_I64, "failed cast keeps the array");
    ((int64_t *)a.data)[3] = -1;
    CHECK(ar_array_cast(&a, AR_U8, "neg.npy", &e) == AR_EDATA && strstr(e.msg, "neg.npy"), "negative -> u8: %s", e.msg);
    ar_array_free(&a);
    ar_array_alloc(&a, AR_F64, 1, &sh, &e);
    ((double *)a.data)[1] = 1.5;
    CHECK(ar_array_cast(&a, AR_I32, "frac.npy", &e) == AR_EDATA && strstr(e.msg, "frac.npy") && strstr(e.msg, "1.5"), "1.5 -> i32: %s", e.msg);
    ((double *)a.data)[1] = NAN;
    CHECK(ar_array_cast(&a, AR_I64, "nan.npy", &e) == AR_EDATA, "nan -> i64");
    ((double *)a.data)[1] = 3e9;
    CHECK(ar_array_cast(&a, AR_I32, "x", &e) == AR_EDATA, "3e9 -> i32");
    ((double *)a.data)[1] = 1e300;
    CHECK(ar_array_cast(&a, AR_F32, "huge.npy", &e) == AR_EDATA && strstr(e.msg, "huge.npy"), "1e300 -> f32: %s", e.msg);
    ((double *)a.data)[1] = (double)FLT_MAX * (1 + 0x1p-26);
    CHECK(ar_array_cast(&a, AR_F32, "x", &e) == 0 && ((float *)a.data)[1] == FLT_MAX, "just above FLT_MAX rounds to it: %s", e.msg);
    ar_array_free(&a);
    ar_array_str(&a, "csr", &e);
    CHECK(ar_array_cast(&a, AR_F32, "s", &e) == AR_EDATA, "str -> f32 refused");
    ar_array_free(&a);
    /* numel / names / alloc */
    int64_t s3[3] = {2, 3, 4};
    CHECK(ar_array_alloc(&a, AR_I64, 3, s3, &e) == 0 && ar_array_numel(&a) == 24 && a.itemsize == 8, "alloc");
    ar_array_free(&a);
    CHECK(strcmp(ar_dtype_name(AR_F32), "float32") == 0 && ar_dtype_size(AR_F64) == 8 && ar_dtype_size(AR_F16) == 2, "names/sizes");
    int64_t neg = -1;
    CHECK(ar_array_alloc(&a, AR_F32, 1, &neg, &e) != 0, "negative shape refused");
}

static void test_read_as_and_helpers(void)
{
    ar_err e = {0};
    float m[6] = {1, 2, 3, 4, 5, 6};
    int32_t im[6] = {1, -2, 3, -4, 5, 6};
    const char *pf = tpath("m.npy"), *pi = tpath("i.npy.gz");
    CHECK(npy_write_f32(pf, m, 2, 3, &e) == 0, "%s", e.msg);
    CHECK(npy_write_i32(pi, im, 3, 2, &e) == 0, "%s", e.msg);
    ar_array a;
    CHECK(npy_read_as(pf, AR_F64, 2, &a, &e) == 0 && a.dtype == AR_F64 && a.shape[1] == 3 && ((double *)a.data)[5] == 6, "%s", e.msg);
    ar_array_free(&a);
    CHECK(npy_read_as(pi, AR_I64, 2, &a, &e) == 0 && a.shape[0] == 3 && ((int64_t *)a.data)[3] == -4, "%s", e.msg);
    ar_array_free(&a);
    CHECK(npy_read_as(pf, AR_F32, 1, &a, &e) == AR_EDATA && strstr(e.msg, pf) && strstr(e.msg, "(2, 3)"), "ndim check: %s", e.msg);
    CHECK(a.data == NULL, "failed read leaves no data");
    CHECK(npy_read_as(pi, AR_U8, -1, &a, &e) == AR_EDATA && strstr(e.msg, pi), "i32 -> u8 with negatives: %s", e.msg);
    CHECK(npy_read(tpath("nope.npy"), &a, &e) == AR_EIO && strstr(e.msg, "nope.npy"), "missing file: %s", e.msg);
}

static void test_npz_roundtrip(void)
{
    ar_err e = {0};
    ar_array arr[5];
    int64_t s2[2] = {30, 17}, s1[1] = {1000}, s0[1] = {0};
    ar_array_alloc(&arr[0], AR_F32, 2, s2, &e);
    ar_array_alloc(&arr[1], AR_I64, 1, s1, &e);
    ar_array_alloc(&arr[2], AR_U8, 0, s0, &e);
    ar_array_alloc(&arr[3], AR_F16, 1, s1, &e);
    ar_array_str(&arr[4], "csr", &e);
    for (int i = 0; i < 4; i++) fill(&arr[i], (uint32_t)i);
    const char *names[5] = {"W1", "idx", "scalar", "half.npy", "format"};
    for (int comp = 0; comp < 2; comp++) {
        const char *p = tpath(comp ? "c.npz" : "s.npz");
        CHECK(npz_write(p, 5, names, arr, comp, &e) == 0, "%s", e.msg);
        npz_file z;
        CHECK(npz_read(p, &z, &e) == 0, "%s", e.msg);
        CHECK(z.n == 5, "n = %d", z.n);
        const char *want[5] = {"W1", "idx", "scalar", "half", "format"};
        for (int i = 0; i < z.n && i < 5; i++) {
            CHECK(strcmp(z.names[i], want[i]) == 0, "name %d = %s", i, z.names[i]);
            CHECK(same_array(&z.arrays[i], &arr[i]), "member %s differs (compress %d)", want[i], comp);
        }
        CHECK(npz_get(&z, "idx") == &z.arrays[1] && npz_get(&z, "nope") == NULL, "npz_get");
        npz_free(&z);
        /* reproducible bytes; stored archives hold the exact .npy images */
        bb b1 = {0}, b2 = {0};
        read_bytes(p, &b1);
        CHECK(npz_write(p, 5, names, arr, comp, &e) == 0, "%s", e.msg);
        read_bytes(p, &b2);
        CHECK(b1.n == b2.n && memcmp(b1.p, b2.p, b1.n) == 0, "npz bytes not reproducible");
        CHECK(b1.n > 4 && memcmp(b1.p, "PK\x03\x04", 4) == 0, "zip signature");
        if (!comp) {
            unsigned char *img;
            size_t il;
            npy_encode(&arr[0], &img, &il, &e);
            CHECK(b1.n > 30 + 6 + il && memcmp(b1.p + 30 + 6, img, il) == 0, "stored member is the .npy image");
            free(img);
        } else {
            struct stat st1, st2;
            stat(tpath("s.npz"), &st1);
            stat(p, &st2);
            CHECK(st2.st_size < st1.st_size, "deflate did not shrink (%lld >= %lld)", (long long)st2.st_size, (long long)st1.st_size);
        }
        free(b1.p);
        free(b2.p);
    }
    /* empty archive, and duplicate names refused */
    npz_file z;
    CHECK(npz_write(tpath("e.npz"), 0, names, arr, 0, &e) == 0 && npz_read(tpath("e.npz"), &z, &e) == 0 && z.n == 0, "empty npz %s", e.msg);
    npz_free(&z);
    const char *dup[2] = {"a", "a"};
    CHECK(npz_write(tpath("d.npz"), 2, dup, arr, 0, &e) == AR_EUSAGE && access(tpath("d.npz"), F_OK) != 0, "duplicate names");
    for (int i = 0; i < 5; i++) ar_array_free(&arr[i]);
}

/* A stored ZIP built by hand: data descriptor flag, zeros in the local sizes, the
 * central directory saturated (0xFFFFFFFF) with a ZIP64 extra field, a ZIP64 end
 * record and locator, a non-.npy member and a directory entry. */
static void test_npz_zip64_by_hand(void)
{
    ar_err e = {0};
    ar_array a;
    int64_t sh = 3;
    ar_array_alloc(&a, AR_I32, 1, &sh, &e);
    ((int32_t *)a.data)[0] = 7;
    ((int32_t *)a.data)[1] = -8;
    ((int32_t *)a.data)[2] = 9;
    unsigned char *img;
    size_t il;
    npy_encode(&a, &img, &il, &e);
    uint32_t crc = (uint32_t)crc32(crc32(0, Z_NULL, 0), img, (uInt)il);
    bb z = {0};
    const char *txt = "hello";
    /* member 0: notes.txt (ignored) */
    bb_u32(&z, 0x04034b50); bb_u16(&z, 20); bb_u16(&z, 0); bb_u16(&z, 0); bb_u16(&z, 0); bb_u16(&z, 0x21);
    uint32_t tcrc = (uint32_t)crc32(crc32(0, Z_NULL, 0), (const unsigned char *)txt, 5);
    bb_u32(&z, tcrc); bb_u32(&z, 5); bb_u32(&z, 5); bb_u16(&z, 9); bb_u16(&z, 0);
    bb_put(&z, "notes.txt", 9);
    bb_put(&z, txt, 5);
    uint64_t off1 = z.n;
    /* member 1: arr.npy with flag bit 3 and a ZIP64 local extra */
    bb_u32(&z, 0x04034b50); bb_u16(&z, 45); bb_u16(&z, 8); bb_u16(&z, 0); bb_u16(&z, 0); bb_u16(&z, 0x21);
    bb_u32(&z, 0); bb_u32(&z, 0xffffffff); bb_u32(&z, 0xffffffff); bb_u16(&z, 7); bb_u16(&z, 20);
    bb_put(&z, "arr.npy", 7);
    bb_u16(&z, 1); bb_u16(&z, 16); bb_u64(&z, 0); bb_u64(&z, 0);
    bb_put(&z, img, il);
    bb_u32(&z, 0x08074b50); bb_u32(&z, crc); bb_u64(&z, il); bb_u64(&z, il); /* zip64 data descriptor */
    uint64_t cd = z.n;
    bb_u32(&z, 0x02014b50); bb_u16(&z, 20); bb_u16(&z, 20); bb_u16(&z, 0); bb_u16(&z, 0); bb_u16(&z, 0); bb_u16(&z, 0x21);
    bb_u32(&z, tcrc); bb_u32(&z, 5); bb_u32(&z, 5); bb_u16(&z, 9); bb_u16(&z, 0); bb_u16(&z, 0); bb_u16(&z, 0); bb_u16(&z, 0);
    bb_u32(&z, 0); bb_u32(&z, 0);
    bb_put(&z, "notes.txt", 9);
    bb_u32(&z, 0x02014b50); bb_u16(&z, 45); bb_u16(&z, 45); bb_u16(&z, 8); bb_u16(&z, 0); bb_u16(&z, 0); bb_u16(&z, 0x21);
    bb_u32(&z, crc); bb_u32(&z, 0xffffffff); bb_u32(&z, 0xffffffff); bb_u16(&z, 7); bb_u16(&z, 28); bb_u16(&z, 0); bb_u16(&z, 0); bb_u16(&z, 0);
    bb_u32(&z, 0); bb_u32(&z, 0xffffffff);
    bb_put(&z, "arr.npy", 7);
    bb_u16(&z, 1); bb_u16(&z, 24); bb_u64(&z, il); bb_u64(&z, il); bb_u64(&z, off1);
    uint64_t cdsize = z.n - cd, z64 = z.n;
    bb_u32(&z, 0x06064b50); bb_u64(&z, 44); bb_u16(&z, 45); bb_u16(&z, 45); bb_u32(&z, 0); bb_u32(&z, 0);
    bb_u64(&z, 2); bb_u64(&z, 2); bb_u64(&z, cdsize); bb_u64(&z, cd);
    bb_u32(&z, 0x07064b50); bb_u32(&z, 0); bb_u64(&z, z64); bb_u32(&z, 1);
    bb_u32(&z, 0x06054b50); bb_u16(&z, 0); bb_u16(&z, 0); bb_u16(&z, 0xffff); bb_u16(&z, 0xffff);
    bb_u32(&z, 0xffffffff); bb_u32(&z, 0xffffffff); bb_u16(&z, 7);
    bb_put(&z, "comment", 7);
    const char *p = tpath("z64.npz");
    write_bytes(p, z.p, z.n);
    npz_file f;
    int rc = npz_read(p, &f, &e);
    CHECK(rc == 0, "%s", e.msg);
    if (!rc) {
        CHECK(f.n == 1 && strcmp(f.names[0], "arr") == 0 && same_array(&f.arrays[0], &a), "zip64 member content");
        npz_free(&f);
    }
    /* a corrupt CRC in the central directory is detected */
    size_t crcpos = cd + 46 + 9 + 16;
    z.p[crcpos] ^= 0x55;
    write_bytes(p, z.p, z.n);
    CHECK(npz_read(p, &f, &e) == AR_EDATA && strstr(e.msg, "z64.npz:arr.npy") && strstr(e.msg, "CRC"), "crc: %s", e.msg);
    free(z.p);
    free(img);
    ar_array_free(&a);
}

static void expect_npy_error(const void *p, size_t n, const char *fname, const char *needle, const char *what)
{
    ar_err e = {0};
    ar_array a;
    const char *path = tpath(fname);
    write_bytes(path, p, n);
    int rc = npy_read(path, &a, &e);
    CHECK(rc == AR_EDATA, "%s: rc %d (%s)", what, rc, e.msg);
    CHECK(strstr(e.msg, fname) != NULL, "%s: message does not name the file: %s", what, e.msg);
    CHECK(strstr(e.msg, needle) != NULL, "%s: message lacks '%s': %s", what, needle, e.msg);
    CHECK(a.data == NULL, "%s: data left allocated", what);
}

static void test_bad_npy(void)
{
    bb b = {0};
    float f[3] = {1, 2, 3};
    make_npy(&b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f, sizeof f);
    expect_npy_error(b.p, b.n - 1, "trunc.npy", "truncated", "truncated data");
    bb_u8(&b, 0);
    expect_npy_error(b.p, b.n, "trail.npy", "trailing garbage", "trailing byte");
    b.p[0] = 'X';
    expect_npy_error(b.p, b.n, "magic.npy", "bad magic", "bad magic");
    expect_npy_error("\x93NUM", 4, "short.npy", "bad magic", "tiny file");
    make_npy(&b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", f, sizeof f);
    expect_npy_error(b.p, b.n, "mismatch.npy", "needs 16 bytes, file has 12", "shape/bytes mismatch");
    make_npy(&b, 1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "\x80\x04", 2);
    expect_npy_error(b.p, b.n, "obj.npy", "pickles are not supported", "object dtype");
    make_npy(&b, 1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", f, 8);
    expect_npy_error(b.p, b.n, "cplx.npy", "unsupported dtype '<c8'", "complex dtype");
    make_npy(&b, 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", f, 4);
    expect_npy_error(b.p, b.n, "struct.npy", "structured", "structured dtype");
    make_npy(&b, 1, "{'descr': '<f4', 'shape': (3,), }", f, 12);
    expect_npy_error(b.p, b.n, "nokey.npy", "required", "missing fortran_order");
    make_npy(&b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", f, 12);
    expect_npy_error(b.p, b.n, "extra.npy", "unexpected key", "extra key");
    make_npy(&b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", f, 12);
    expect_npy_error(b.p, b.n, "neg.npy", "non-negative", "negative dim");
    make_npy(&b, 1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (3,), }", f, 12);
    expect_npy_error(b.p, b.n, "fo.npy", "True or False", "bad fortran_order");
    make_npy(&b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), ", f, 12);
    expect_npy_error(b.p, b.n, "open.npy", "bad .npy header", "unterminated dict");
    make_npy(&b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,3), }", f, 12);
    expect_npy_error(b.p, b.n, "dims.npy", "dimensions", "too many dims");
    make_npy(&b, 4, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f, 12);
    expect_npy_error(b.p, b.n, "v4.npy", "version 4.0", "unknown version");
    make_npy(&b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f, 12);
    b.p[8] = 0xff; /* header length beyond the file */
    expect_npy_error(b.p, b.n, "hlen.npy", "truncated .npy header", "header length");
    free(b.p);
}

/* Header text quoted in an error (descr, keys, ZIP member names) has its control
 * bytes escaped, so a corrupt header cannot break the one-line message. */
static int one_line(const char *m)
{
    for (const unsigned char *p = (const unsigned char *)m; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return 0;
    return 1;
}

static void test_header_text_escaped(void)
{
    bb b = {0};
    float f[3] = {1, 2, 3};
    make_npy(&b, 1, "{'descr': '<f\n4\x1b', 'fortran_order': False, 'shape': (1,), }", f, 4);
    expect_npy_error(b.p, b.n, "ctl.npy", "unsupported dtype '<f\\n4\\x1b'", "control bytes in descr");
    make_npy(&b, 1, "{'descr': '|O\r\t', 'fortran_order': False, 'shape': (1,), }", f, 4);
    expect_npy_error(b.p, b.n, "ctlo.npy", "dtype '|O\\r\\t' holds Python objects", "control bytes in object descr");
    make_npy(&b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'a\nb\x7f': 1}", f, 12);
    expect_npy_error(b.p, b.n, "ctlk.npy", "unexpected key 'a\\nb\\x7f'", "control bytes in a key");
    ar_err e = {0};
    ar_array a;
    const char *names[] = {"ctlo.npy", "ctl.npy", "ctlk.npy"};
    for (int i = 0; i < 3; i++) {
        int rc = npy_read(tpath(names[i]), &a, &e);
        CHECK(rc == AR_EDATA && one_line(e.msg), "%s: not one line: %s", names[i], e.msg);
    }
    /* a ZIP member name with a newline, in a member error */
    int64_t sh[2] = {40, 40};
    ar_array_alloc(&a, AR_F64, 2, sh, &e);
    fill(&a, 5);
    const char *nm[1] = {"x\ny"};
    CHECK(npz_write(tpath("ctl.npz"), 1, nm, &a, 0, &e) == 0, "%s", e.msg);
    bb z = {0};
    read_bytes(tpath("ctl.npz"), &z);
    if (z.n > 30 + 7 + 300) {
        z.p[30 + 7 + 200] ^= 1; /* a data byte: CRC mismatch, which names the member */
        write_bytes(tpath("ctlm.npz"), z.p, z.n);
        npz_file zf;
        int rc = npz_read(tpath("ctlm.npz"), &zf, &e);
        CHECK(rc == AR_EDATA && strstr(e.msg, "ctlm.npz:x\\ny.npy: CRC-32 mismatch") && one_line(e.msg), "member: %s", e.msg);
    } else {
        CHECK(0, "ctl.npz is only %zu bytes", z.n);
    }
    free(z.p);
    free(b.p);
    ar_array_free(&a);
}

static void expect_npz_error(const void *p, size_t n, const char *fname, const char *needle, const char *what)
{
    ar_err e = {0};
    npz_file z;
    const char *path = tpath(fname);
    write_bytes(path, p, n);
    int rc = npz_read(path, &z, &e);
    CHECK(rc == AR_EDATA, "%s: rc %d (%s)", what, rc, e.msg);
    CHECK(strstr(e.msg, fname) != NULL, "%s: message does not name the file: %s", what, e.msg);
    CHECK(strstr(e.msg, needle) != NULL, "%s: message lacks '%s': %s", what, needle, e.msg);
    CHECK(z.n == 0 && z.arrays == NULL, "%s: archive not released", what);
}

static void test_bad_npz(void)
{
    ar_err e = {0};
    ar_array a;
    int64_t sh[2] = {40, 40};
    ar_array_alloc(&a, AR_F64, 2, sh, &e);
    fill(&a, 3);
    const char *nm[1] = {"m"};
    bb s = {0}, c = {0};
    npz_write(tpath("ok_s.npz"), 1, nm, &a, 0, &e);
    npz_write(tpath("ok_c.npz"), 1, nm, &a, 1, &e);
    read_bytes(tpath("ok_s.npz"), &s);
    read_bytes(tpath("ok_c.npz"), &c);
    /* flip one data byte: stored -> CRC mismatch; deflated -> CRC or deflate error */
    s.p[30 + 5 + 200] ^= 1;
    expect_npz_error(s.p, s.n, "crc_s.npz", "CRC-32 mismatch", "stored bad CRC");
    s.p[30 + 5 + 200] ^= 1;
    c.p[30 + 5 + 40] ^= 0x10;
    {
        ar_err e2 = {0};
        npz_file z;
        write_bytes(tpath("crc_c.npz"), c.p, c.n);
        int rc = npz_read(tpath("crc_c.npz"), &z, &e2);
        CHECK(rc == AR_EDATA && strstr(e2.msg, "crc_c.npz:m.npy"), "deflate corruption: %s", e2.msg);
    }
    c.p[30 + 5 + 40] ^= 0x10;
    /* truncated archive: the end record is gone */
    expect_npz_error(s.p, s.n - 30, "cut.npz", "not a ZIP", "truncated zip");
    expect_npz_error(s.p, s.n / 2, "half.npz", "not a ZIP", "half zip");
    /* a .npy where a .npz is expected */
    unsigned char *img;
    size_t il;
    npy_encode(&a, &img, &il, &e);
    expect_npz_error(img, il, "plain.npz", ".npy file", "npy as npz");
    free(img);
    /* central directory pointing outside the file */
    bb t = {0};
    bb_put(&t, s.p, s.n);
    t.p[t.n - 6] = 0xf0;
    expect_npz_error(t.p, t.n, "cdoff.npz", "central directory", "bad cd offset");
    /* a bad member .npy inside a good ZIP names archive and member */
    ar_array o;
    int64_t one = 3;
    ar_array_alloc(&o, AR_U8, 1, &one, &e);
    const char *on[1] = {"obj"};
    npz_write(tpath("obj0.npz"), 1, on, &o, 0, &e);
    bb ob = {0};
    read_bytes(tpath("obj0.npz"), &ob);
    unsigned char *q = memmem(ob.p, ob.n, "'|u1'", 5);
    CHECK(q != NULL, "find descr");
    if (q) {
        memcpy(q, "'|O' ", 5);
        /* fix the CRC in both headers so the npy parser is reached */
        const unsigned char *d0 = ob.p + 30 + 7;
        uint32_t crc = (uint32_t)crc32(crc32(0, Z_NULL, 0), d0, (uInt)(128 + 3));
        unsigned char cb[4] = {(unsigned char)crc, (unsigned char)(crc >> 8), (unsigned char)(crc >> 16), (unsigned char)(crc >> 24)};
        memcpy(ob.p + 14, cb, 4);
        size_t cdp = 30 + 7 + 131;
        memcpy(ob.p + cdp + 16, cb, 4);
        expect_npz_error(ob.p, ob.n, "obj.npz", "obj.npz:obj.npy: dtype '|O'", "object member");
    }
    free(ob.p);
    free(t.p);
    free(s.p);
    free(c.p);
    ar_array_free(&a);
    ar_array_free(&o);
    npz_file z;
    CHECK(npz_read(tpath("missing.npz"), &z, &e) == AR_EIO && strstr(e.msg, "missing.npz"), "missing npz: %s", e.msg);
}

/* ---- modes for tests/cli/formats.sh ---- */

static void print_array(const char *name, ar_array *a)
{
    char sh[256];
    size_t k = (size_t)snprintf(sh, sizeof sh, "(");
    for (int i = 0; i < a->ndim; i++) k += (size_t)snprintf(sh + k, sizeof sh - k, i ? ", %lld" : "%lld", (long long)a->shape[i]);
    snprintf(sh + k, sizeof sh - k, a->ndim == 1 ? ",)" : ")");
    printf("%s %s %s\n", name, ar_dtype_name(a->dtype), sh);
    int64_t n = ar_array_numel(a);
    ar_err e = {0};
    if (a->dtype == AR_F16) ar_array_cast(a, AR_F32, name, &e);
    for (int64_t i = 0; i < n; i++) {
        double v = 0;
        switch (a->dtype) {
        case AR_F32: v = ((float *)a->data)[i]; break;
        case AR_F64: v = ((double *)a->data)[i]; break;
        case AR_I32: printf("%d\n", ((int32_t *)a->data)[i]); continue;
        case AR_I64: printf("%lld\n", (long long)((int64_t *)a->data)[i]); continue;
        case AR_U8: printf("%u\n", ((uint8_t *)a->data)[i]); continue;
        case AR_STR: {
            const unsigned char *s = (const unsigned char *)a->data + (size_t)i * a->itemsize;
            for (size_t c = 0; c + 4 <= a->itemsize; c += 4) {
                uint32_t u = s[c] | (uint32_t)s[c + 1] << 8 | (uint32_t)s[c + 2] << 16 | (uint32_t)s[c + 3] << 24;
                if (!u) break;
                putchar(u < 128 ? (int)u : '?');
            }
            putchar('\n');
            continue;
        }
        default: break;
        }
        if (isnan(v)) printf("nan\n");
        else printf("%.9g\n", v);
    }
}

static int mode_dump(const char *path)
{
    ar_err e = {0};
    if (ar_has_suffix(path, ".npz") || ar_has_suffix(path, ".npz.gz")) {
        npz_file z;
        if (npz_read(path, &z, &e)) { fprintf(stderr, "test_npy: %s\n", e.msg); return e.code; }
        for (int i = 0; i < z.n; i++) print_array(z.names[i], &z.arrays[i]);
        npz_free(&z);
    } else {
        ar_array a;
        if (npy_read(path, &a, &e)) { fprintf(stderr, "test_npy: %s\n", e.msg); return e.code; }
        print_array("array", &a);
        ar_array_free(&a);
    }
    return ferror(stdout) ? 3 : 0;
}

/* The arrays formats.sh checks with numpy; keep in sync with its Python side. */
static int mode_write(const char *dir)
{
    ar_err e = {0};
    char p[1024];
    ar_array a[8];
    int rc = 0;
#define OUT(name) (snprintf(p, sizeof p, "%s/%s", dir, name), p)
#define TRY(x) do { if (!rc && (x)) { fprintf(stderr, "test_npy: %s\n", e.msg); rc = e.code; } } while (0)
    int64_t s34[2] = {3, 4}, s7 = 7, s100 = 100, s52[2] = {5, 2}, s234[3] = {2, 3, 4}, s03[2] = {0, 3};
    ar_array_alloc(&a[0], AR_F32, 2, s34, &e); /* f32[i] = (float)(i * 1.1 - 3) */
    for (int i = 0; i < 12; i++) ((float *)a[0].data)[i] = (float)(i * 1.1 - 3);
    ar_array_alloc(&a[1], AR_F64, 1, &s7, &e); /* f64[i] = i * 1.1 - 3 */
    for (int i = 0; i < 7; i++) ((double *)a[1].data)[i] = i * 1.1 - 3;
    ar_array_alloc(&a[2], AR_F64, 1, &s100, &e); /* f16[i] = float16(ldexp(i * 1.1 - 3, i % 40 - 30)) */
    for (int i = 0; i < 100; i++) ((double *)a[2].data)[i] = ldexp(i * 1.1 - 3, i % 40 - 30);
    TRY(ar_array_cast(&a[2], AR_F16, "f16", &e));
    ar_array_alloc(&a[3], AR_I32, 2, s52, &e); /* i32[i] = i * 100003 - 7 */
    for (int i = 0; i < 10; i++) ((int32_t *)a[3].data)[i] = i * 100003 - 7;
    ar_array_alloc(&a[4], AR_I64, 0, NULL, &e); /* i64 = -1234567890123 */
    ((int64_t *)a[4].data)[0] = INT64_C(-1234567890123);
    ar_array_alloc(&a[5], AR_U8, 3, s234, &e); /* u8[i] = i * 37 % 256 */
    for (int i = 0; i < 24; i++) ((uint8_t *)a[5].data)[i] = (uint8_t)(i * 37 % 256);
    ar_array_alloc(&a[6], AR_F32, 2, s03, &e);
    ar_array_str(&a[7], "csr", &e);
    const char *files[8] = {"f32.npy", "f64.npy", "f16.npy", "i32.npy", "i64.npy", "u8.npy", "empty.npy", "str.npy"};
    for (int i = 0; i < 8; i++) TRY(npy_write(OUT(files[i]), &a[i], &e));
    TRY(npy_write(OUT("f32.npy.gz"), &a[0], &e));
    const char *names[8] = {"f32", "f64", "f16", "i32", "i64", "u8", "empty", "str"};
    TRY(npz_write(OUT("all.npz"), 8, names, a, 0, &e));
    TRY(npz_write(OUT("all_c.npz"), 8, names, a, 1, &e));
    /* CSR of [[1, 0, 2, 0], [0, 0, 0, 3], [4, 5, 0, 0]] as scipy.sparse.save_npz lays it out */
    ar_array c[5];
    int64_t s4 = 4, s5 = 5, s2 = 2;
    ar_array_alloc(&c[0], AR_I32, 1, &s5, &e);
    int32_t ind[5] = {0, 2, 3, 0, 1};
    memcpy(c[0].data, ind, sizeof ind);
    ar_array_alloc(&c[1], AR_I32, 1, &s4, &e);
    int32_t ptr[4] = {0, 2, 3, 5};
    memcpy(c[1].data, ptr, sizeof ptr);
    ar_array_str(&c[2], "csr", &e);
    ar_array_alloc(&c[3], AR_I64, 1, &s2, &e);
    ((int64_t *)c[3].data)[0] = 3;
    ((int64_t *)c[3].data)[1] = 4;
    ar_array_alloc(&c[4], AR_F32, 1, &s5, &e);
    float dat[5] = {1, 2, 3, 4, 5};
    memcpy(c[4].data, dat, sizeof dat);
    const char *cn[5] = {"indices", "indptr", "format", "shape", "data"};
    TRY(npz_write(OUT("csr.npz"), 5, cn, c, 0, &e));
    TRY(npz_write(OUT("csr_c.npz"), 5, cn, c, 1, &e));
    for (int i = 0; i < 8; i++) ar_array_free(&a[i]);
    for (int i = 0; i < 5; i++) ar_array_free(&c[i]);
#undef OUT
#undef TRY
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "dump") == 0) return mode_dump(argv[2]);
    if (argc == 3 && strcmp(argv[1], "write") == 0) return mode_write(argv[2]);
    if (argc != 1) {
        fprintf(stderr, "usage: test_npy [dump FILE | write DIR]\n");
        return 2;
    }
    snprintf(g_dir, sizeof g_dir, "/tmp/ar_test_npy_XXXXXX");
    if (!mkdtemp(g_dir)) {
        printf("FAIL setup: mkdtemp\n");
        return 1;
    }
    RUN(test_roundtrip_all_dtypes);
    RUN(test_header_text_like_numpy);
    RUN(test_hand_headers);
    RUN(test_fortran_order);
    RUN(test_big_endian);
    RUN(test_half);
    RUN(test_casts);
    RUN(test_read_as_and_helpers);
    RUN(test_npz_roundtrip);
    RUN(test_npz_zip64_by_hand);
    RUN(test_bad_npy);
    RUN(test_header_text_escaped);
    RUN(test_bad_npz);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) printf("  (could not remove %s)\n", g_dir);
    T_EXIT();
}
