/* npy.c - NumPy .npy reader/writer, .npz (ZIP) archives, dtype conversions.
 *
 * .npy layout: "\x93NUMPY", major, minor, header length (u16 for v1, u32 for v2/v3),
 * a Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...), }
 * padded with spaces and '\n' so the data starts at a multiple of 64 bytes, then
 * the raw elements. The writer reproduces numpy 1.24's bytes exactly (including the
 * spare spaces numpy leaves for growing the first axis).
 * .npz: a ZIP archive read through its central directory (ZIP64 aware).
 */
#include "npy.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "io.h"

/* ------------------------------------------------------------------ */
/* dtypes and arrays                                                   */
/* ------------------------------------------------------------------ */

size_t ar_dtype_size(ar_dtype t)
{
    switch (t) {
    case AR_F32: return 4;
    case AR_F64: return 8;
    case AR_F16: return 2;
    case AR_I32: return 4;
    case AR_I64: return 8;
    case AR_U8: return 1;
    case AR_STR: return 4; /* one UTF-32 character; a '<Un' element is 4*n bytes */
    }
    return 0;
}

const char *ar_dtype_name(ar_dtype t)
{
    switch (t) {
    case AR_F32: return "float32";
    case AR_F64: return "float64";
    case AR_F16: return "float16";
    case AR_I32: return "int32";
    case AR_I64: return "int64";
    case AR_U8: return "uint8";
    case AR_STR: return "str";
    }
    return "unknown";
}

static int dtype_valid(ar_dtype t) { return t >= AR_F32 && t <= AR_STR; }

int ar_check_finite(const float *X, int64_t rows, int64_t cols, const char *name, ar_err *e)
{
    for (int64_t x = 0; x < rows * cols; x++)
        if (!isfinite(X[x]))
            return ar_fail(e, AR_EDATA, "%s: row %lld column %lld is not finite", name, (long long)(x / cols),
                           (long long)(x % cols));
    return AR_OK;
}

int64_t ar_array_numel(const ar_array *a)
{
    int64_t n = 1;
    for (int i = 0; i < a->ndim; i++) n *= a->shape[i];
    return n;
}

/* numel and byte count with overflow checks; returns 0 on overflow. */
static int checked_sizes(int ndim, const int64_t *shape, size_t itemsize, int64_t *numel, size_t *nbytes)
{
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return 0;
        uint64_t d = (uint64_t)shape[i];
        if (d && n > (uint64_t)INT64_MAX / d) return 0;
        n *= d;
    }
    if (itemsize && n > (uint64_t)SIZE_MAX / itemsize) return 0;
    if (n > (uint64_t)INT64_MAX) return 0;
    *numel = (int64_t)n;
    *nbytes = (size_t)n * itemsize;
    return 1;
}

/* Python repr of a shape tuple: (), (5,), (2, 3). */
static void fmt_shape(int ndim, const int64_t *shape, char *buf, size_t cap)
{
    size_t k = 0;
    k += (size_t)snprintf(buf + k, cap - k, "(");
    for (int i = 0; i < ndim && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, i ? ", %" PRId64 : "%" PRId64, shape[i]);
    if (k < cap) k += (size_t)snprintf(buf + k, cap - k, ndim == 1 ? ",)" : ")");
}

int ar_array_alloc(ar_array *a, ar_dtype t, int ndim, const int64_t *shape, ar_err *e)
{
    memset(a, 0, sizeof *a);
    if (!dtype_valid(t)) return ar_fail(e, AR_EUSAGE, "ar_array_alloc: invalid dtype %d", (int)t);
    if (ndim < 0 || ndim > AR_MAXDIM) return ar_fail(e, AR_EUSAGE, "ar_array_alloc: %d dimensions (at most %d)", ndim, AR_MAXDIM);
    int64_t numel;
    size_t nbytes;
    if (!checked_sizes(ndim, shape, ar_dtype_size(t), &numel, &nbytes))
        return ar_fail(e, AR_EDATA, "ar_array_alloc: invalid or too large shape");
    void *d = ar_calloc(nbytes ? nbytes : 1, 1, e);
    if (!d) return AR_EDATA;
    a->dtype = t;
    a->ndim = ndim;
    for (int i = 0; i < ndim; i++) a->shape[i] = shape[i];
    a->itemsize = ar_dtype_size(t);
    a->data = d;
    return AR_OK;
}

void ar_array_free(ar_array *a)
{
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

int ar_array_str(ar_array *a, const char *s, ar_err *e)
{
    memset(a, 0, sizeof *a);
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return ar_fail(e, AR_EUSAGE, "ar_array_str: non-ASCII string");
    size_t chars = n ? n : 1; /* numpy stores '' as '<U1' */
    uint32_t *d = ar_calloc(chars, 4, e);
    if (!d) return AR_EDATA;
    unsigned char *b = (unsigned char *)d;
    for (size_t i = 0; i < n; i++) b[4 * i] = (unsigned char)s[i]; /* UTF-32LE */
    a->dtype = AR_STR;
    a->ndim = 0;
    a->itemsize = 4 * chars;
    a->data = d;
    return AR_OK;
}

/* ---- half precision ---- */

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t ex = (h >> 10) & 0x1f, man = h & 0x3ff;
    uint32_t bits;
    float f;
    if (ex == 0) {
        f = ldexpf((float)man, -24); /* zero or subnormal: man * 2^-24, exact */
        return sign ? -f : f;
    }
    if (ex == 31) bits = sign | 0x7f800000u | (man << 13); /* inf or nan (payload kept) */
    else bits = sign | ((ex - 15 + 127) << 23) | (man << 13);
    memcpy(&f, &bits, 4);
    return f;
}

/* Round to nearest even; *overflow set when a finite value becomes inf. */
static uint16_t half_from_double(double x, int *overflow)
{
    uint64_t b;
    memcpy(&b, &x, 8);
    uint16_t sign = (uint16_t)((b >> 48) & 0x8000);
    int ex = (int)((b >> 52) & 0x7ff);
    uint64_t man = b & ((UINT64_C(1) << 52) - 1);
    if (ex == 0x7ff) return (uint16_t)(sign | (man ? 0x7e00 : 0x7c00));
    if (ex == 0) return sign; /* double subnormals are far below half's range */
    int e2 = ex - 1023;
    if (e2 > 15) { *overflow = 1; return (uint16_t)(sign | 0x7c00); }
    uint64_t m = man | (UINT64_C(1) << 52);
    uint32_t q;
    uint64_t rem, halfway;
    if (e2 >= -14) {
        q = ((uint32_t)(e2 + 15) << 10) | (uint32_t)(man >> 42);
        rem = man & ((UINT64_C(1) << 42) - 1);
        halfway = UINT64_C(1) << 41;
    } else {
        int s = 28 - e2; /* value / 2^-24 = m * 2^(e2 + 24 - 52) */
        if (s >= 64) return sign;
        q = (uint32_t)(m >> s);
        rem = m & ((UINT64_C(1) << s) - 1);
        halfway = UINT64_C(1) << (s - 1);
    }
    if (rem > halfway || (rem == halfway && (q & 1))) q++;
    if (q >= 0x7c00) { *overflow = 1; q = 0x7c00; }
    return (uint16_t)(sign | q);
}

/* ---- casts ---- */

static int is_float(ar_dtype t) { return t == AR_F32 || t == AR_F64 || t == AR_F16; }

static double load_f(const void *p, ar_dtype t, int64_t i)
{
    switch (t) {
    case AR_F32: return ((const float *)p)[i];
    case AR_F64: return ((const double *)p)[i];
    case AR_F16: { uint16_t h; memcpy(&h, (const char *)p + 2 * i, 2); return half_to_float(h); }
    default: return 0;
    }
}

static int64_t load_i(const void *p, ar_dtype t, int64_t i)
{
    switch (t) {
    case AR_I32: return ((const int32_t *)p)[i];
    case AR_I64: return ((const int64_t *)p)[i];
    case AR_U8: return ((const uint8_t *)p)[i];
    default: return 0;
    }
}

static int int_fits(int64_t v, ar_dtype t)
{
    switch (t) {
    case AR_I32: return v >= INT32_MIN && v <= INT32_MAX;
    case AR_I64: return 1;
    case AR_U8: return v >= 0 && v <= 255;
    default: return 0;
    }
}

static void store_i(void *p, ar_dtype t, int64_t i, int64_t v)
{
    switch (t) {
    case AR_I32: ((int32_t *)p)[i] = (int32_t)v; break;
    case AR_I64: ((int64_t *)p)[i] = v; break;
    case AR_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    default: break;
    }
}

/* double -> float with round to nearest; 0 when a finite value overflows to inf.
 * (Converting an out-of-range double is undefined in C, so the range is checked first.) */
static int to_f32(double v, float *f)
{
    if (isfinite(v) && fabs(v) > (double)FLT_MAX) {
        if (fabs(v) >= 0x1.ffffffp127) return 0; /* at or beyond FLT_MAX + half an ulp: inf */
        *f = v < 0 ? -FLT_MAX : FLT_MAX;
        return 1;
    }
    *f = (float)v;
    return 1;
}

/* Store a double into a float dtype; returns 0 when a finite value overflows. */
static int store_f(void *p, ar_dtype t, int64_t i, double v)
{
    int ovf = 0;
    switch (t) {
    case AR_F32: {
        float f;
        if (!to_f32(v, &f)) return 0;
        ((float *)p)[i] = f;
        return 1;
    }
    case AR_F64: ((double *)p)[i] = v; return 1;
    case AR_F16: {
        uint16_t h = half_from_double(v, &ovf);
        memcpy((char *)p + 2 * i, &h, 2);
        return !ovf;
    }
    default: return 0;
    }
}

int ar_array_cast(ar_array *a, ar_dtype t, const char *name, ar_err *e)
{
    if (!name) name = "array";
    if (!dtype_valid(t)) return ar_fail(e, AR_EUSAGE, "%s: invalid target dtype %d", name, (int)t);
    if (a->dtype == t) return AR_OK;
    if (a->dtype == AR_STR || t == AR_STR)
        return ar_fail(e, AR_EDATA, "%s: cannot convert %s to %s", name, ar_dtype_name(a->dtype), ar_dtype_name(t));
    int64_t n = ar_array_numel(a);
    void *out = ar_malloc((size_t)n * ar_dtype_size(t), e);
    if (!out) return AR_EDATA;
    const void *in = a->data;
    ar_dtype s = a->dtype;
    /* fast paths for the common conversions */
    if (s == AR_F64 && t == AR_F32) {
        const double *x = in;
        float *y = out;
        for (int64_t i = 0; i < n; i++) {
            if (!to_f32(x[i], &y[i])) {
                free(out);
                return ar_fail(e, AR_EDATA, "%s: float64 value %.17g at index %" PRId64 " is out of float32 range", name, x[i], i);
            }
        }
    } else if (s == AR_F16 && t == AR_F32) {
        const uint16_t *x = in;
        float *y = out;
        for (int64_t i = 0; i < n; i++) y[i] = half_to_float(x[i]);
    } else if (s == AR_F32 && t == AR_F64) {
        const float *x = in;
        double *y = out;
        for (int64_t i = 0; i < n; i++) y[i] = x[i];
    } else {
        for (int64_t i = 0; i < n; i++) {
            if (is_float(s) && is_float(t)) {
                double v = load_f(in, s, i);
                if (!store_f(out, t, i, v)) {
                    free(out);
                    return ar_fail(e, AR_EDATA, "%s: %s value %.17g at index %" PRId64 " is out of %s range", name,
                                   ar_dtype_name(s), v, i, ar_dtype_name(t));
                }
            } else if (is_float(s)) { /* float -> int: only exact values */
                double v = load_f(in, s, i);
                int ok = isfinite(v) && v == floor(v) && v >= -9223372036854775808.0 && v < 9223372036854775808.0;
                if (ok) ok = int_fits((int64_t)v, t);
                if (!ok) {
                    free(out);
                    return ar_fail(e, AR_EDATA, "%s: %s value %.17g at index %" PRId64 " is not exactly representable as %s",
                                   name, ar_dtype_name(s), v, i, ar_dtype_name(t));
                }
                store_i(out, t, i, (int64_t)v);
            } else if (is_float(t)) { /* int -> float */
                int64_t v = load_i(in, s, i);
                if (!store_f(out, t, i, (double)v)) {
                    free(out);
                    return ar_fail(e, AR_EDATA, "%s: %s value %" PRId64 " at index %" PRId64 " is out of float16 range", name,
                                   ar_dtype_name(s), v, i);
                }
            } else { /* int -> int */
                int64_t v = load_i(in, s, i);
                if (!int_fits(v, t)) {
                    free(out);
                    return ar_fail(e, AR_EDATA, "%s: %s value %" PRId64 " at index %" PRId64 " does not fit in %s", name,
                                   ar_dtype_name(s), v, i, ar_dtype_name(t));
                }
                store_i(out, t, i, v);
            }
        }
    }
    free(a->data);
    a->data = out;
    a->dtype = t;
    a->itemsize = ar_dtype_size(t);
    return AR_OK;
}

/* ------------------------------------------------------------------ */
/* .npy parsing                                                        */
/* ------------------------------------------------------------------ */

static const unsigned char NPY_MAGIC[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

typedef struct hparse {
    const char *p, *end;
    const char *name;
    ar_err *e;
} hparse;

static void hp_ws(hparse *h)
{
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r')) h->p++;
}

static int hp_bad(hparse *h, const char *what)
{
    return ar_fail(h->e, AR_EDATA, "%s: bad .npy header: %s", h->name, what);
}

static int hp_expect(hparse *h, char c, const char *what)
{
    hp_ws(h);
    if (h->p >= h->end || *h->p != c) return hp_bad(h, what);
    h->p++;
    return AR_OK;
}

static int hp_string(hparse *h, char *out, size_t cap)
{
    hp_ws(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"')) return hp_bad(h, "expected a quoted string");
    char q = *h->p++;
    size_t k = 0;
    while (h->p < h->end && *h->p != q) {
        char c = *h->p++;
        if (c == '\\') {
            if (h->p >= h->end) break;
            c = *h->p++;
        }
        if (k + 1 >= cap) return hp_bad(h, "string too long");
        out[k++] = c;
    }
    if (h->p >= h->end) return hp_bad(h, "unterminated string");
    h->p++;
    out[k] = 0;
    return AR_OK;
}

static int hp_word(hparse *h, const char *w)
{
    size_t n = strlen(w);
    hp_ws(h);
    if ((size_t)(h->end - h->p) >= n && memcmp(h->p, w, n) == 0) {
        h->p += n;
        return 1;
    }
    return 0;
}

static int hp_shape(hparse *h, int *ndim, int64_t *shape)
{
    int rc = hp_expect(h, '(', "'shape' is not a tuple");
    if (rc) return rc;
    *ndim = 0;
    for (;;) {
        hp_ws(h);
        if (h->p < h->end && *h->p == ')') { h->p++; return AR_OK; }
        if (h->p >= h->end || *h->p < '0' || *h->p > '9') return hp_bad(h, "'shape' must hold non-negative integers");
        uint64_t v = 0;
        while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
            v = v * 10 + (uint64_t)(*h->p++ - '0');
            if (v > (uint64_t)INT64_MAX / 10) return hp_bad(h, "dimension too large");
        }
        if (h->p < h->end && *h->p == 'L') h->p++; /* Python 2 long */
        if (*ndim >= AR_MAXDIM) return ar_fail(h->e, AR_EDATA, "%s: more than %d dimensions are not supported", h->name, AR_MAXDIM);
        shape[(*ndim)++] = (int64_t)v;
        hp_ws(h);
        if (h->p < h->end && *h->p == ',') { h->p++; continue; }
        if (h->p < h->end && *h->p == ')') { h->p++; return AR_OK; }
        return hp_bad(h, "malformed 'shape' tuple");
    }
}

/* Map a numpy descr to our dtype; *swap set for big-endian multi-byte data.
 * Messages quote the descr with its control bytes escaped (one-line errors). */
static int parse_descr(const char *descr, const char *name, ar_dtype *t, size_t *itemsize, int *swap, int *widen, ar_err *e)
{
    char d[300];
    ar_show(descr, strlen(descr), d, sizeof d);
    const char *s = descr;
    char order = '=';
    if (*s == '<' || *s == '>' || *s == '|' || *s == '=') order = *s++;
    char kind = *s ? *s++ : 0;
    if (kind == 'O')
        return ar_fail(e, AR_EDATA, "%s: dtype '%s' holds Python objects; pickles are not supported", name, d);
    char *endp;
    errno = 0;
    unsigned long long sz = *s ? strtoull(s, &endp, 10) : 0;
    int ok_num = *s && *endp == 0 && errno == 0 && *s >= '0' && *s <= '9';
    *swap = 0;
    *widen = 0;
    if (ok_num) {
        if (kind == 'f' && sz == 2) *t = AR_F16;
        else if (kind == 'f' && sz == 4) *t = AR_F32;
        else if (kind == 'f' && sz == 8) *t = AR_F64;
        else if (kind == 'i' && sz == 4) *t = AR_I32;
        else if (kind == 'i' && sz == 8) *t = AR_I64;
        else if ((kind == 'u' || kind == 'b') && sz == 1) *t = AR_U8; /* bool is stored as 0/1 bytes */
        else if (kind == 'U' && sz <= (1u << 28)) *t = AR_STR;
        else if (kind == 'S' && sz <= (1u << 28)) { *t = AR_STR; *widen = 1; } /* bytes, as scipy writes "format" */
        else ok_num = 0;
    }
    if (!ok_num)
        return ar_fail(e, AR_EDATA, "%s: unsupported dtype '%s' (supported: f2 f4 f8 i4 i8 u1 b1 U<n> S<n>)", name, d);
    /* itemsize as stored in the file; '|S<n>' is widened to 4n bytes of UTF-32 after reading */
    *itemsize = *t == AR_STR ? (*widen ? 1 : 4) * (size_t)sz : ar_dtype_size(*t);
    if (order == '>' && *t == AR_STR && !*widen) *swap = 1;
    if (order == '>' && *t != AR_STR && *itemsize > 1) *swap = 1;
    if (order == '|' && *t != AR_U8 && *t != AR_STR && *itemsize > 1)
        return ar_fail(e, AR_EDATA, "%s: dtype '%s' has no byte order", name, d);
    return AR_OK;
}

static void byteswap(unsigned char *p, size_t nunits, size_t unit)
{
    for (size_t i = 0; i < nunits; i++, p += unit)
        for (size_t a = 0, b = unit - 1; a < b; a++, b--) {
            unsigned char c = p[a];
            p[a] = p[b];
            p[b] = c;
        }
}

/* dst (C order) from src (Fortran order), both shape[ndim], elements of sz bytes. */
static void fortran_to_c(unsigned char *dst, const unsigned char *src, int ndim, const int64_t *shape, size_t sz, int64_t numel)
{
    int64_t fstride[AR_MAXDIM], idx[AR_MAXDIM] = {0};
    int64_t st = 1;
    for (int k = 0; k < ndim; k++) { fstride[k] = st; st *= shape[k]; }
    int64_t off = 0;
    for (int64_t i = 0; i < numel; i++) {
        memcpy(dst + (size_t)i * sz, src + (size_t)off * sz, sz);
        for (int k = ndim - 1; k >= 0; k--) { /* odometer over the C index */
            if (++idx[k] < shape[k]) { off += fstride[k]; break; }
            off -= fstride[k] * (shape[k] - 1);
            idx[k] = 0;
        }
    }
}

int npy_parse(const unsigned char *buf, size_t len, const char *name, ar_array *a, ar_err *e)
{
    memset(a, 0, sizeof *a);
    if (!name) name = "array";
    if (len < 10 || memcmp(buf, NPY_MAGIC, 6) != 0) return ar_fail(e, AR_EDATA, "%s: not a .npy file (bad magic)", name);
    int major = buf[6], minor = buf[7];
    size_t hlen, hoff;
    if (major == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        hoff = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) return ar_fail(e, AR_EDATA, "%s: truncated .npy header", name);
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        hoff = 12;
    } else {
        return ar_fail(e, AR_EDATA, "%s: unsupported .npy format version %d.%d", name, major, minor);
    }
    if (hlen > len - hoff) return ar_fail(e, AR_EDATA, "%s: truncated .npy header (%zu of %zu bytes)", name, len - hoff, hlen);
    hparse h = {(const char *)buf + hoff, (const char *)buf + hoff + hlen, name, e};
    char descr[64] = "", key[64];
    int fortran = -1, ndim = -1, have_descr = 0, rc;
    int64_t shape[AR_MAXDIM] = {0};
    if ((rc = hp_expect(&h, '{', "expected '{'"))) return rc;
    for (;;) {
        hp_ws(&h);
        if (h.p < h.end && *h.p == '}') { h.p++; break; }
        if ((rc = hp_string(&h, key, sizeof key))) return rc;
        if ((rc = hp_expect(&h, ':', "expected ':' after key"))) return rc;
        if (strcmp(key, "descr") == 0) {
            if (have_descr) return hp_bad(&h, "duplicate key 'descr'");
            hp_ws(&h);
            if (h.p < h.end && *h.p == '[') return ar_fail(e, AR_EDATA, "%s: structured dtypes are not supported", name);
            if ((rc = hp_string(&h, descr, sizeof descr))) return rc;
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (fortran >= 0) return hp_bad(&h, "duplicate key 'fortran_order'");
            if (hp_word(&h, "True")) fortran = 1;
            else if (hp_word(&h, "False")) fortran = 0;
            else return hp_bad(&h, "'fortran_order' must be True or False");
        } else if (strcmp(key, "shape") == 0) {
            if (ndim >= 0) return hp_bad(&h, "duplicate key 'shape'");
            if ((rc = hp_shape(&h, &ndim, shape))) return rc;
        } else {
            char m[400], k[300];
            snprintf(m, sizeof m, "unexpected key '%s'", ar_show(key, strlen(key), k, sizeof k));
            return hp_bad(&h, m);
        }
        hp_ws(&h);
        if (h.p < h.end && *h.p == ',') { h.p++; continue; }
        if (h.p < h.end && *h.p == '}') { h.p++; break; }
        return hp_bad(&h, "expected ',' or '}'");
    }
    hp_ws(&h);
    if (h.p != h.end) return hp_bad(&h, "unexpected text after the dict");
    if (!have_descr || fortran < 0 || ndim < 0) return hp_bad(&h, "'descr', 'fortran_order' and 'shape' are required");

    ar_dtype t = AR_F32;
    size_t itemsize = 0;
    int swap, widen;
    if ((rc = parse_descr(descr, name, &t, &itemsize, &swap, &widen, e))) return rc;
    int64_t numel;
    size_t nbytes;
    char sh[256];
    fmt_shape(ndim, shape, sh, sizeof sh);
    if (!checked_sizes(ndim, shape, itemsize, &numel, &nbytes))
        return ar_fail(e, AR_EDATA, "%s: shape %s is too large", name, sh);
    size_t avail = len - hoff - hlen;
    if (avail < nbytes)
        return ar_fail(e, AR_EDATA, "%s: truncated data: shape %s of '%s' needs %zu bytes, file has %zu", name, sh, descr, nbytes, avail);
    if (avail > nbytes)
        return ar_fail(e, AR_EDATA, "%s: %zu bytes of trailing garbage after the data of shape %s '%s'", name, avail - nbytes, sh, descr);
    unsigned char *d = ar_malloc(nbytes ? nbytes : 1, e);
    if (!d) return AR_EDATA;
    const unsigned char *src = buf + hoff + hlen;
    if (fortran && ndim > 1) fortran_to_c(d, src, ndim, shape, itemsize, numel);
    else if (nbytes) memcpy(d, src, nbytes);
    if (swap) byteswap(d, t == AR_STR ? nbytes / 4 : (size_t)numel, t == AR_STR ? 4 : itemsize);
    if (widen) { /* bytes -> UTF-32LE, each byte one code point */
        if (nbytes > SIZE_MAX / 4) { free(d); return ar_fail(e, AR_EDATA, "%s: string array too large", name); }
        unsigned char *w = ar_calloc(nbytes ? nbytes : 1, 4, e);
        if (!w) { free(d); return AR_EDATA; }
        for (size_t i = 0; i < nbytes; i++) w[4 * i] = d[i];
        free(d);
        d = w;
        itemsize *= 4;
    }
    a->dtype = t;
    a->ndim = ndim;
    memcpy(a->shape, shape, sizeof shape);
    a->itemsize = itemsize;
    a->data = d;
    return AR_OK;
}

/* ------------------------------------------------------------------ */
/* .npy writing                                                        */
/* ------------------------------------------------------------------ */

#define NPY_HDR_MAX 512 /* our headers are short: descr + 8 dims */

/* Validate a and compute its byte count. */
static int check_array(const ar_array *a, size_t *nbytes, ar_err *e)
{
    if (!dtype_valid(a->dtype)) return ar_fail(e, AR_EUSAGE, "cannot write an array with invalid dtype %d", (int)a->dtype);
    if (a->ndim < 0 || a->ndim > AR_MAXDIM) return ar_fail(e, AR_EUSAGE, "cannot write an array with %d dimensions", a->ndim);
    if (a->dtype == AR_STR ? (a->itemsize == 0 || a->itemsize % 4) : a->itemsize != ar_dtype_size(a->dtype))
        return ar_fail(e, AR_EUSAGE, "cannot write %s array: itemsize %zu is inconsistent", ar_dtype_name(a->dtype), a->itemsize);
    int64_t numel;
    if (!checked_sizes(a->ndim, a->shape, a->itemsize, &numel, nbytes))
        return ar_fail(e, AR_EUSAGE, "cannot write array: invalid shape");
    if (*nbytes && !a->data) return ar_fail(e, AR_EUSAGE, "cannot write array: no data");
    return AR_OK;
}

/* The header exactly as numpy 1.24 writes it (magic .. '\n'); returns its length. */
static size_t npy_header(const ar_array *a, unsigned char *out)
{
    char descr[32];
    switch (a->dtype) {
    case AR_F32: strcpy(descr, "<f4"); break;
    case AR_F64: strcpy(descr, "<f8"); break;
    case AR_F16: strcpy(descr, "<f2"); break;
    case AR_I32: strcpy(descr, "<i4"); break;
    case AR_I64: strcpy(descr, "<i8"); break;
    case AR_U8: strcpy(descr, "|u1"); break;
    case AR_STR: snprintf(descr, sizeof descr, "<U%zu", a->itemsize / 4); break;
    }
    char sh[256], dict[400];
    fmt_shape(a->ndim, a->shape, sh, sizeof sh);
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, sh);
    if (a->ndim > 0) { /* numpy's spare room for growing axis 0 (GROWTH_AXIS_MAX_DIGITS = 21) */
        char d0[32];
        int l0 = snprintf(d0, sizeof d0, "%" PRId64, a->shape[0]);
        for (int k = l0; k < 21; k++) dict[n++] = ' ';
        dict[n] = 0;
    }
    size_t hl = (size_t)n + 1; /* + '\n' */
    size_t pad = 64 - ((6 + 2 + 2 + hl) % 64);
    /* v1.0: our headers never come near 65535 bytes, so v2.0 is never needed */
    size_t total = hl + pad;
    memcpy(out, NPY_MAGIC, 6);
    out[6] = 1;
    out[7] = 0;
    out[8] = (unsigned char)(total & 0xff);
    out[9] = (unsigned char)(total >> 8);
    memcpy(out + 10, dict, (size_t)n);
    memset(out + 10 + n, ' ', pad);
    out[10 + n + pad] = '\n';
    return 10 + total;
}

int npy_encode(const ar_array *a, unsigned char **buf, size_t *len, ar_err *e)
{
    *buf = NULL;
    *len = 0;
    size_t nbytes;
    int rc = check_array(a, &nbytes, e);
    if (rc) return rc;
    unsigned char hdr[NPY_HDR_MAX];
    size_t hl = npy_header(a, hdr);
    if (nbytes > SIZE_MAX - hl) return ar_fail(e, AR_EDATA, "array too large");
    unsigned char *b = ar_malloc(hl + nbytes, e);
    if (!b) return AR_EDATA;
    memcpy(b, hdr, hl);
    if (nbytes) memcpy(b + hl, a->data, nbytes);
    *buf = b;
    *len = hl + nbytes;
    return AR_OK;
}

int npy_read(const char *path, ar_array *a, ar_err *e)
{
    memset(a, 0, sizeof *a);
    unsigned char *buf;
    size_t len;
    int rc = ar_read_all(path, &buf, &len, e);
    if (rc) return rc;
    rc = npy_parse(buf, len, ar_display_name(path), a, e);
    free(buf);
    return rc;
}

int npy_read_as(const char *path, ar_dtype want, int want_ndim, ar_array *a, ar_err *e)
{
    int rc = npy_read(path, a, e);
    if (rc) return rc;
    const char *name = ar_display_name(path);
    if (want_ndim >= 0 && a->ndim != want_ndim) {
        char sh[256];
        fmt_shape(a->ndim, a->shape, sh, sizeof sh);
        ar_array_free(a);
        return ar_fail(e, AR_EDATA, "%s: expected a %d-d array, got shape %s", name, want_ndim, sh);
    }
    rc = ar_array_cast(a, want, name, e);
    if (rc) ar_array_free(a);
    return rc;
}

int npy_write(const char *path, const ar_array *a, ar_err *e)
{
    size_t nbytes;
    int rc = check_array(a, &nbytes, e);
    if (rc) return rc;
    unsigned char hdr[NPY_HDR_MAX];
    size_t hl = npy_header(a, hdr);
    ar_out o;
    if ((rc = ar_out_open(&o, path, -1, e))) return rc;
    if ((rc = ar_out_write(&o, hdr, hl, e)) || (rc = ar_out_write(&o, a->data, nbytes, e))) {
        ar_out_abort(&o);
        return rc;
    }
    return ar_out_commit(&o, e);
}

static int write_mat(const char *path, ar_dtype t, const void *data, int64_t rows, int64_t cols, ar_err *e)
{
    if (rows < 0 || cols < 0) return ar_fail(e, AR_EUSAGE, "%s: negative matrix shape", ar_display_name(path));
    ar_array a;
    memset(&a, 0, sizeof a);
    a.dtype = t;
    a.ndim = 2;
    a.shape[0] = rows;
    a.shape[1] = cols;
    a.itemsize = ar_dtype_size(t);
    a.data = (void *)data;
    return npy_write(path, &a, e);
}

int npy_write_f32(const char *path, const float *data, int64_t rows, int64_t cols, ar_err *e)
{
    return write_mat(path, AR_F32, data, rows, cols, e);
}

int npy_write_i32(const char *path, const int32_t *data, int64_t rows, int64_t cols, ar_err *e)
{
    return write_mat(path, AR_I32, data, rows, cols, e);
}

/* ------------------------------------------------------------------ */
/* .npz (ZIP)                                                          */
/* ------------------------------------------------------------------ */

#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_CDIR_SIG 0x02014b50u
#define ZIP_EOCD_SIG 0x06054b50u
#define ZIP64_EOCD_SIG 0x06064b50u
#define ZIP64_LOC_SIG 0x07064b50u
#define U32_MAX_ZIP 0xffffffffu

static uint32_t rd16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const unsigned char *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static uint32_t crc_buf(uint32_t crc, const unsigned char *p, size_t n)
{
    while (n > 0) {
        uInt c = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, p, c);
        p += c;
        n -= c;
    }
    return crc;
}

/* Inflate a raw deflate stream of clen bytes into exactly ulen bytes. */
static int inflate_member(const unsigned char *src, uint64_t clen, unsigned char *dst, uint64_t ulen, const char *name, ar_err *e)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK) return ar_fail(e, AR_EDATA, "%s: cannot initialise zlib", name);
    uint64_t in_left = clen, out_left = ulen;
    z.next_in = (Bytef *)src;
    z.next_out = dst;
    int zr = Z_OK;
    for (;;) {
        if (z.avail_in == 0 && in_left) {
            z.avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
            in_left -= z.avail_in;
        }
        if (z.avail_out == 0 && out_left) {
            z.avail_out = out_left > (1u << 30) ? (1u << 30) : (uInt)out_left;
            out_left -= z.avail_out;
        }
        uInt before_in = z.avail_in, before_out = z.avail_out;
        zr = inflate(&z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END) break;
        if (zr != Z_OK && zr != Z_BUF_ERROR) break;
        if (z.avail_in == before_in && z.avail_out == before_out) { zr = Z_BUF_ERROR; break; } /* no progress */
    }
    uint64_t got = (uint64_t)z.total_out;
    const char *msg = z.msg;
    inflateEnd(&z);
    if (zr != Z_STREAM_END)
        return ar_fail(e, AR_EDATA, "%s: corrupt deflate data (%s)", name, msg ? msg : (zr == Z_BUF_ERROR ? "truncated or longer than declared" : "zlib error"));
    if (got != ulen) return ar_fail(e, AR_EDATA, "%s: inflated to %" PRIu64 " bytes, directory says %" PRIu64, name, got, ulen);
    return AR_OK;
}

void npz_free(npz_file *z)
{
    if (!z) return;
    for (int i = 0; i < z->n; i++) {
        if (z->names) free(z->names[i]);
        if (z->arrays) ar_array_free(&z->arrays[i]);
    }
    free(z->names);
    free(z->arrays);
    memset(z, 0, sizeof *z);
}

ar_array *npz_get(npz_file *z, const char *name)
{
    for (int i = 0; i < z->n; i++)
        if (strcmp(z->names[i], name) == 0) return &z->arrays[i];
    return NULL;
}

/* Find the central directory: offset, size and entry count. */
static int zip_find_cd(const unsigned char *b, size_t len, const char *name, uint64_t *cd_off, uint64_t *cd_size, uint64_t *count, ar_err *e)
{
    if (len < 22) return ar_fail(e, AR_EDATA, "%s: not a ZIP/.npz archive (too short)", name);
    size_t lo = len - 22 > 65535 ? len - 22 - 65535 : 0;
    size_t pos = len - 22;
    int found = 0;
    for (;;) {
        if (rd32(b + pos) == ZIP_EOCD_SIG && pos + 22 + rd16(b + pos + 20) <= len) { found = 1; break; }
        if (pos == lo) break;
        pos--;
    }
    if (!found) {
        if (len >= 6 && memcmp(b, NPY_MAGIC, 6) == 0)
            return ar_fail(e, AR_EDATA, "%s: this is a .npy file, not a .npz archive", name);
        return ar_fail(e, AR_EDATA, "%s: not a ZIP/.npz archive (no end of central directory record)", name);
    }
    const unsigned char *q = b + pos;
    if (rd16(q + 4) != 0 || rd16(q + 6) != 0) return ar_fail(e, AR_EDATA, "%s: multi-disk ZIP archives are not supported", name);
    *count = rd16(q + 10);
    *cd_size = rd32(q + 12);
    *cd_off = rd32(q + 16);
    if (pos >= 20 && rd32(b + pos - 20) == ZIP64_LOC_SIG) {
        uint64_t r = rd64(b + pos - 20 + 8);
        if (r > len || len - r < 56 || rd32(b + r) != ZIP64_EOCD_SIG)
            return ar_fail(e, AR_EDATA, "%s: corrupt ZIP64 end of central directory", name);
        *count = rd64(b + r + 32);
        *cd_size = rd64(b + r + 40);
        *cd_off = rd64(b + r + 48);
    }
    if (*cd_off > len || *cd_size > len - *cd_off)
        return ar_fail(e, AR_EDATA, "%s: truncated ZIP archive (central directory out of range)", name);
    return AR_OK;
}

int npz_read(const char *path, npz_file *z, ar_err *e)
{
    memset(z, 0, sizeof *z);
    const char *name = ar_display_name(path);
    unsigned char *b;
    size_t len;
    int rc = ar_read_all(path, &b, &len, e);
    if (rc) return rc;
    uint64_t cd_off = 0, cd_size = 0, count = 0;
    if ((rc = zip_find_cd(b, len, name, &cd_off, &cd_size, &count, e))) { free(b); return rc; }
    if (count > cd_size / 46 + 1) { free(b); return ar_fail(e, AR_EDATA, "%s: corrupt ZIP central directory (entry count)", name); }
    z->names = ar_calloc(count ? count : 1, sizeof *z->names, e);
    z->arrays = ar_calloc(count ? count : 1, sizeof *z->arrays, e);
    if (!z->names || !z->arrays) { free(b); npz_free(z); return AR_EDATA; }
    const unsigned char *p = b + cd_off, *cend = b + cd_off + cd_size;
    char mname[1200];
    for (uint64_t k = 0; k < count; k++) {
        if (cend - p < 46 || rd32(p) != ZIP_CDIR_SIG) {
            rc = ar_fail(e, AR_EDATA, "%s: corrupt ZIP central directory (entry %" PRIu64 ")", name, k);
            goto fail;
        }
        uint32_t flags = rd16(p + 8), method = rd16(p + 10), crc = rd32(p + 16);
        uint64_t csize = rd32(p + 20), usize = rd32(p + 24), loff = rd32(p + 42);
        size_t nlen = rd16(p + 28), xlen = rd16(p + 30), clen = rd16(p + 32);
        if ((size_t)(cend - p) < 46 + nlen + xlen + clen) {
            rc = ar_fail(e, AR_EDATA, "%s: corrupt ZIP central directory (entry %" PRIu64 ")", name, k);
            goto fail;
        }
        const unsigned char *fname = p + 46, *x = p + 46 + nlen, *xend = x + xlen;
        /* ZIP64 extended information: the saturated fields, in order */
        while (xend - x >= 4) {
            uint32_t id = rd16(x), sz = rd16(x + 2);
            const unsigned char *v = x + 4, *vend = v + sz;
            if (vend > xend) break;
            if (id == 0x0001) {
                if (usize == U32_MAX_ZIP && vend - v >= 8) { usize = rd64(v); v += 8; }
                if (csize == U32_MAX_ZIP && vend - v >= 8) { csize = rd64(v); v += 8; }
                if (loff == U32_MAX_ZIP && vend - v >= 8) { loff = rd64(v); v += 8; }
            }
            x = vend;
        }
        p += 46 + nlen + xlen + clen;
        char shown[128]; /* the member name with its control bytes escaped */
        snprintf(mname, sizeof mname, "%s:%s", name, ar_show((const char *)fname, nlen, shown, sizeof shown));
        if (nlen < 4 || memcmp(fname + nlen - 4, ".npy", 4) != 0) continue; /* not an array member */
        if (memchr(fname, 0, nlen)) { rc = ar_fail(e, AR_EDATA, "%s: NUL byte in member name", name); goto fail; }
        if (flags & 1) { rc = ar_fail(e, AR_EDATA, "%s: encrypted ZIP members are not supported", mname); goto fail; }
        if (method != 0 && method != 8) {
            rc = ar_fail(e, AR_EDATA, "%s: unsupported ZIP compression method %u (only stored and deflate)", mname, method);
            goto fail;
        }
        if (loff > len || len - loff < 30 || rd32(b + loff) != ZIP_LOCAL_SIG) {
            rc = ar_fail(e, AR_EDATA, "%s: bad local header offset", mname);
            goto fail;
        }
        /* sizes come from the central directory (local ones may be 0 with a data descriptor, or saturated) */
        uint64_t doff = loff + 30 + rd16(b + loff + 26) + rd16(b + loff + 28);
        if (doff > len || csize > len - doff) {
            rc = ar_fail(e, AR_EDATA, "%s: truncated ZIP member (%" PRIu64 " bytes declared)", mname, csize);
            goto fail;
        }
        if (method == 0 && csize != usize) {
            rc = ar_fail(e, AR_EDATA, "%s: stored member has compressed size %" PRIu64 " != size %" PRIu64, mname, csize, usize);
            goto fail;
        }
        if (usize > SIZE_MAX - 1 || (method == 8 && usize > csize * 1032 + 1024)) {
            rc = ar_fail(e, AR_EDATA, "%s: implausible member size %" PRIu64, mname, usize);
            goto fail;
        }
        const unsigned char *data = b + doff;
        unsigned char *ub = NULL;
        if (method == 8) {
            ub = ar_malloc((size_t)usize + 1, e);
            if (!ub) { rc = AR_EDATA; goto fail; }
            if ((rc = inflate_member(data, csize, ub, usize, mname, e))) { free(ub); goto fail; }
            data = ub;
        }
        uint32_t got = crc_buf((uint32_t)crc32(0L, Z_NULL, 0), data, (size_t)usize);
        if (got != crc) {
            free(ub);
            rc = ar_fail(e, AR_EDATA, "%s: CRC-32 mismatch (stored %08x, computed %08x): corrupt archive", mname, crc, got);
            goto fail;
        }
        char *an = ar_malloc(nlen - 4 + 1, e);
        if (!an) { free(ub); rc = AR_EDATA; goto fail; }
        memcpy(an, fname, nlen - 4);
        an[nlen - 4] = 0;
        if (npz_get(z, an)) {
            free(ub);
            free(an);
            rc = ar_fail(e, AR_EDATA, "%s: duplicate member", mname);
            goto fail;
        }
        rc = npy_parse(data, (size_t)usize, mname, &z->arrays[z->n], e);
        free(ub);
        if (rc) { free(an); goto fail; }
        z->names[z->n++] = an;
    }
    free(b);
    return AR_OK;
fail:
    free(b);
    npz_free(z);
    return rc;
}

/* ---- writing ---- */

typedef struct zip_entry {
    uint32_t crc;
    uint64_t csize, usize, offset;
    int method;
    char *name;
} zip_entry;

static void wr16(unsigned char *p, uint32_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void wr32(unsigned char *p, uint32_t v) { wr16(p, v & 0xffff); wr16(p + 2, v >> 16); }
static void wr64(unsigned char *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

#define DOS_TIME 0      /* 00:00:00 */
#define DOS_DATE 0x0021 /* 1980-01-01: fixed for reproducible archives */
#define ZIP_MADE_BY (3u << 8 | 45u) /* Unix, spec 4.5 */

/* Deflate header+data into a malloc'd buffer. */
static int deflate_member(const unsigned char *h, size_t hl, const unsigned char *d, size_t dl, unsigned char **out, uint64_t *olen,
                          const char *name, ar_err *e)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return ar_fail(e, AR_EDATA, "%s: cannot initialise zlib", name);
    size_t cap = hl + dl / 2 + 1024, n = 0;
    unsigned char *buf = ar_malloc(cap, e);
    if (!buf) { deflateEnd(&z); return AR_EDATA; }
    const unsigned char *src[2] = {h, d};
    size_t srclen[2] = {hl, dl};
    int zr = Z_OK;
    for (int part = 0; part < 2; part++) {
        size_t left = srclen[part];
        const unsigned char *s = src[part];
        for (;;) {
            if (z.avail_in == 0 && left) {
                z.avail_in = left > (1u << 30) ? (1u << 30) : (uInt)left;
                z.next_in = (Bytef *)s;
                s += z.avail_in;
                left -= z.avail_in;
            }
            int flush = (part == 1 && left == 0) ? Z_FINISH : Z_NO_FLUSH;
            if (cap - n < 65536) {
                size_t nc = cap + cap / 2 + 65536;
                unsigned char *nb = ar_realloc(buf, nc, e);
                if (!nb) { free(buf); deflateEnd(&z); return AR_EDATA; }
                buf = nb;
                cap = nc;
            }
            size_t room = cap - n > (1u << 30) ? (1u << 30) : cap - n;
            z.next_out = buf + n;
            z.avail_out = (uInt)room;
            zr = deflate(&z, flush);
            n += room - z.avail_out;
            if (zr == Z_STREAM_ERROR) break;
            if (flush == Z_FINISH) { if (zr == Z_STREAM_END) break; }
            else if (z.avail_in == 0 && left == 0) break;
        }
        if (zr == Z_STREAM_ERROR) break;
    }
    deflateEnd(&z);
    if (zr != Z_STREAM_END) { free(buf); return ar_fail(e, AR_EDATA, "%s: deflate failed", name); }
    *out = buf;
    *olen = n;
    return AR_OK;
}

int npz_write(const char *path, int n, const char *const *names, const ar_array *arrays, int compress, ar_err *e)
{
    const char *dname = ar_display_name(path);
    if (n < 0) return ar_fail(e, AR_EUSAGE, "%s: negative member count", dname);
    for (int i = 0; i < n; i++) {
        if (!names[i] || !names[i][0]) return ar_fail(e, AR_EUSAGE, "%s: empty member name", dname);
        if (strlen(names[i]) > 60000) return ar_fail(e, AR_EUSAGE, "%s: member name too long", dname);
        for (int j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0) return ar_fail(e, AR_EUSAGE, "%s: duplicate member name '%s'", dname, names[i]);
        size_t nb;
        int rc = check_array(&arrays[i], &nb, e);
        if (rc) { ar_wrap(e, "%s: member '%s'", dname, names[i]); return rc; }
    }
    zip_entry *ent = ar_calloc(n ? (size_t)n : 1, sizeof *ent, e);
    if (!ent) return AR_EDATA;
    ar_out o;
    int rc = ar_out_open(&o, path, -1, e);
    if (rc) { free(ent); return rc; }
    uint64_t off = 0;
    unsigned char lh[30 + 20], hdr[NPY_HDR_MAX];
    for (int i = 0; i < n && !rc; i++) {
        const ar_array *a = &arrays[i];
        size_t nbytes;
        check_array(a, &nbytes, e);
        size_t hl = npy_header(a, hdr);
        size_t nl = strlen(names[i]);
        int has_ext = ar_has_suffix(names[i], ".npy");
        ent[i].name = ar_malloc(nl + 5, e);
        if (!ent[i].name) { rc = AR_EDATA; break; }
        memcpy(ent[i].name, names[i], nl + 1);
        if (!has_ext) memcpy(ent[i].name + nl, ".npy", 5);
        nl = strlen(ent[i].name);
        ent[i].usize = (uint64_t)hl + nbytes;
        ent[i].crc = crc_buf(crc_buf((uint32_t)crc32(0L, Z_NULL, 0), hdr, hl), a->data, nbytes);
        ent[i].offset = off;
        ent[i].method = compress ? 8 : 0;
        unsigned char *cbuf = NULL;
        if (compress) {
            if ((rc = deflate_member(hdr, hl, a->data, nbytes, &cbuf, &ent[i].csize, ent[i].name, e))) break;
        } else {
            ent[i].csize = ent[i].usize;
        }
        int z64 = ent[i].usize >= U32_MAX_ZIP || ent[i].csize >= U32_MAX_ZIP;
        wr32(lh, ZIP_LOCAL_SIG);
        wr16(lh + 4, z64 ? 45 : 20);
        wr16(lh + 6, 0);
        wr16(lh + 8, (uint32_t)ent[i].method);
        wr16(lh + 10, DOS_TIME);
        wr16(lh + 12, DOS_DATE);
        wr32(lh + 14, ent[i].crc);
        wr32(lh + 18, z64 ? U32_MAX_ZIP : (uint32_t)ent[i].csize);
        wr32(lh + 22, z64 ? U32_MAX_ZIP : (uint32_t)ent[i].usize);
        wr16(lh + 26, (uint32_t)nl);
        wr16(lh + 28, z64 ? 20 : 0);
        unsigned char x64[20];
        wr16(x64, 1);
        wr16(x64 + 2, 16);
        wr64(x64 + 4, ent[i].usize);
        wr64(x64 + 12, ent[i].csize);
        if ((rc = ar_out_write(&o, lh, 30, e)) || (rc = ar_out_write(&o, ent[i].name, nl, e)) ||
            (z64 && (rc = ar_out_write(&o, x64, 20, e)))) { free(cbuf); break; }
        if (compress) rc = ar_out_write(&o, cbuf, ent[i].csize, e);
        else if (!(rc = ar_out_write(&o, hdr, hl, e))) rc = ar_out_write(&o, a->data, nbytes, e);
        free(cbuf);
        off += 30 + nl + (z64 ? 20 : 0) + ent[i].csize;
    }
    /* central directory */
    uint64_t cd_off = off, cd_size = 0;
    for (int i = 0; i < n && !rc; i++) {
        size_t nl = strlen(ent[i].name);
        unsigned char ch[46], x[4 + 24];
        size_t xl = 4;
        if (ent[i].usize >= U32_MAX_ZIP) { wr64(x + xl, ent[i].usize); xl += 8; }
        if (ent[i].csize >= U32_MAX_ZIP) { wr64(x + xl, ent[i].csize); xl += 8; }
        if (ent[i].offset >= U32_MAX_ZIP) { wr64(x + xl, ent[i].offset); xl += 8; }
        int z64 = xl > 4;
        wr16(x, 1);
        wr16(x + 2, (uint32_t)(xl - 4));
        wr32(ch, ZIP_CDIR_SIG);
        wr16(ch + 4, ZIP_MADE_BY);
        wr16(ch + 6, z64 || ent[i].usize >= U32_MAX_ZIP || ent[i].csize >= U32_MAX_ZIP ? 45 : 20);
        wr16(ch + 8, 0);
        wr16(ch + 10, (uint32_t)ent[i].method);
        wr16(ch + 12, DOS_TIME);
        wr16(ch + 14, DOS_DATE);
        wr32(ch + 16, ent[i].crc);
        wr32(ch + 20, ent[i].csize >= U32_MAX_ZIP ? U32_MAX_ZIP : (uint32_t)ent[i].csize);
        wr32(ch + 24, ent[i].usize >= U32_MAX_ZIP ? U32_MAX_ZIP : (uint32_t)ent[i].usize);
        wr16(ch + 28, (uint32_t)nl);
        wr16(ch + 30, z64 ? (uint32_t)xl : 0);
        wr16(ch + 32, 0);
        wr16(ch + 34, 0);
        wr16(ch + 36, 0);
        wr32(ch + 38, 0100644u << 16); /* regular file, rw-r--r-- */
        wr32(ch + 42, ent[i].offset >= U32_MAX_ZIP ? U32_MAX_ZIP : (uint32_t)ent[i].offset);
        if ((rc = ar_out_write(&o, ch, 46, e)) || (rc = ar_out_write(&o, ent[i].name, nl, e)) ||
            (z64 && (rc = ar_out_write(&o, x, xl, e)))) break;
        cd_size += 46 + nl + (z64 ? xl : 0);
    }
    if (!rc) {
        int z64 = cd_off >= U32_MAX_ZIP || cd_size >= U32_MAX_ZIP || n >= 0xffff;
        if (z64) {
            unsigned char r[56 + 20];
            wr32(r, ZIP64_EOCD_SIG);
            wr64(r + 4, 44);
            wr16(r + 12, ZIP_MADE_BY);
            wr16(r + 14, 45);
            wr32(r + 16, 0);
            wr32(r + 20, 0);
            wr64(r + 24, (uint64_t)n);
            wr64(r + 32, (uint64_t)n);
            wr64(r + 40, cd_size);
            wr64(r + 48, cd_off);
            wr32(r + 56, ZIP64_LOC_SIG);
            wr32(r + 60, 0);
            wr64(r + 64, cd_off + cd_size);
            wr32(r + 72, 1);
            rc = ar_out_write(&o, r, sizeof r, e);
        }
        unsigned char eo[22];
        wr32(eo, ZIP_EOCD_SIG);
        wr16(eo + 4, 0);
        wr16(eo + 6, 0);
        wr16(eo + 8, n >= 0xffff ? 0xffff : (uint32_t)n);
        wr16(eo + 10, n >= 0xffff ? 0xffff : (uint32_t)n);
        wr32(eo + 12, cd_size >= U32_MAX_ZIP ? U32_MAX_ZIP : (uint32_t)cd_size);
        wr32(eo + 16, cd_off >= U32_MAX_ZIP ? U32_MAX_ZIP : (uint32_t)cd_off);
        wr16(eo + 20, 0);
        if (!rc) rc = ar_out_write(&o, eo, 22, e);
    }
    for (int i = 0; i < n; i++) free(ent[i].name);
    free(ent);
    if (rc) { ar_out_abort(&o); return rc; }
    return ar_out_commit(&o, e);
}
