/* io.c - whole-file reads, line reader, atomic writers, sha256, mkdir -p. */
#include "io.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ar_display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

int ar_has_suffix(const char *path, const char *suffix)
{
    size_t a = strlen(path), b = strlen(suffix);
    return a >= b && strcmp(path + a - b, suffix) == 0;
}

static gzFile open_gz(const char *path, ar_err *e)
{
    gzFile g;
    if (strcmp(path, "-") == 0) {
        int fd = dup(0);
        g = fd >= 0 ? gzdopen(fd, "rb") : NULL;
    } else {
        g = gzopen(path, "rb");
    }
    if (!g) ar_fail(e, AR_EIO, "cannot open '%s': %s", ar_display_name(path), strerror(errno ? errno : ENOMEM));
    else gzbuffer(g, 1 << 17);
    return g;
}

static int gz_error(gzFile g, const char *path, ar_err *e)
{
    int zerr = 0;
    const char *m = gzerror(g, &zerr);
    if (zerr == Z_ERRNO) return ar_fail(e, AR_EIO, "cannot read '%s': %s", ar_display_name(path), strerror(errno));
    return ar_fail(e, AR_EDATA, "%s: corrupt gzip data: %s", ar_display_name(path), m);
}

int ar_read_all(const char *path, unsigned char **buf, size_t *len, ar_err *e)
{
    *buf = NULL;
    *len = 0;
    errno = 0;
    gzFile g = open_gz(path, e);
    if (!g) return e ? e->code : AR_EIO;
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = ar_malloc(cap + 1, e);
    if (!b) { gzclose(g); return AR_EDATA; }
    for (;;) {
        if (cap - n < (1u << 16)) {
            cap *= 2;
            unsigned char *nb = ar_realloc(b, cap + 1, e);
            if (!nb) { free(b); gzclose(g); return AR_EDATA; }
            b = nb;
        }
        unsigned want = (unsigned)((cap - n) > (1u << 30) ? (1u << 30) : (cap - n));
        int r = gzread(g, b + n, want);
        if (r < 0) { int rc = gz_error(g, path, e); free(b); gzclose(g); return rc; }
        if (r == 0) break;
        n += (size_t)r;
    }
    gzclose(g);
    b[n] = 0;
    *buf = b;
    *len = n;
    return AR_OK;
}

/* ---- line reader ---- */
struct ar_lines {
    gzFile g;
    char *path;
    char *buf;
    size_t cap;
    long lineno;
    int eof;
};

int ar_lines_open(ar_lines **out, const char *path, ar_err *e)
{
    *out = NULL;
    ar_lines *r = ar_calloc(1, sizeof *r, e);
    if (!r) return AR_EDATA;
    errno = 0;
    r->g = open_gz(path, e);
    r->path = ar_strdup(path, e);
    r->cap = 1 << 12;
    r->buf = ar_malloc(r->cap, e);
    if (!r->g || !r->path || !r->buf) { ar_lines_close(r); return e ? e->code : AR_EIO; }
    *out = r;
    return AR_OK;
}

int ar_lines_next(ar_lines *r, char **line, size_t *len, ar_err *e)
{
    if (r->eof) return 0;
    size_t n = 0;
    for (;;) {
        if (r->cap - n < 2) {
            char *nb = ar_realloc(r->buf, r->cap * 2, e);
            if (!nb) return -AR_EDATA;
            r->buf = nb;
            r->cap *= 2;
        }
        char *got = gzgets(r->g, r->buf + n, (int)((r->cap - n) > (1u << 30) ? (1u << 30) : (r->cap - n)));
        if (!got) {
            int zerr = 0;
            gzerror(r->g, &zerr);
            if (zerr != Z_OK && zerr != Z_BUF_ERROR) return -gz_error(r->g, r->path, e);
            r->eof = 1;
            if (n == 0) return 0;
            break;
        }
        n += strlen(r->buf + n);
        if (n > 0 && r->buf[n - 1] == '\n') break;
        if (gzeof(r->g)) { r->eof = 1; break; }
    }
    r->lineno++;
    if (n > 0 && r->buf[n - 1] == '\n') r->buf[--n] = 0;
    if (n > 0 && r->buf[n - 1] == '\r') r->buf[--n] = 0;
    if (memchr(r->buf, 0, n)) return -ar_fail(e, AR_EDATA, "%s:%ld: NUL byte in text line", ar_display_name(r->path), r->lineno);
    *line = r->buf;
    *len = n;
    return 1;
}

long ar_lines_lineno(const ar_lines *r) { return r->lineno; }
const char *ar_lines_path(const ar_lines *r) { return ar_display_name(r->path); }

void ar_lines_close(ar_lines *r)
{
    if (!r) return;
    if (r->g) gzclose(r->g);
    free(r->path);
    free(r->buf);
    free(r);
}

/* ---- atomic output ---- */
int ar_out_open(ar_out *o, const char *path, int gzip, ar_err *e)
{
    memset(o, 0, sizeof *o);
    if (gzip < 0) gzip = ar_has_suffix(path, ".gz");
    if (strcmp(path, "-") == 0) {
        if (gzip) {
            int fd = dup(1);
            o->gz = fd >= 0 ? gzdopen(fd, "wb6") : NULL;
            if (!o->gz) return ar_fail(e, AR_EIO, "cannot open stdout for gzip output");
        } else {
            o->fp = stdout;
        }
        return AR_OK;
    }
    /* An existing non-regular target (/dev/null, a FIFO, a terminal) is written in
     * place: renaming a temp file over it would replace the device. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) return ar_fail(e, AR_EIO, "cannot write '%s': is a directory", path);
        if (gzip) {
            o->gz = gzopen(path, "wb6");
            if (!o->gz) return ar_fail(e, AR_EIO, "cannot open '%s': %s", path, strerror(errno ? errno : ENOMEM));
        } else if (!(o->fp = fopen(path, "wb"))) {
            return ar_fail(e, AR_EIO, "cannot open '%s': %s", path, strerror(errno));
        }
        return AR_OK;
    }
    o->path = ar_strdup(path, e);
    size_t n = strlen(path) + 32;
    o->tmp = ar_malloc(n, e);
    if (!o->path || !o->tmp) { ar_out_abort(o); return AR_EDATA; }
    snprintf(o->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    if (gzip) {
        o->gz = gzopen(o->tmp, "wb6");
        if (!o->gz) {
            int rc = ar_fail(e, AR_EIO, "cannot create '%s': %s", path, strerror(errno ? errno : ENOMEM));
            ar_out_abort(o);
            return rc;
        }
        gzbuffer(o->gz, 1 << 17);
    } else {
        o->fp = fopen(o->tmp, "wb");
        if (!o->fp) {
            int rc = ar_fail(e, AR_EIO, "cannot create '%s': %s", path, strerror(errno));
            ar_out_abort(o);
            return rc;
        }
    }
    return AR_OK;
}

static const char *out_name(const ar_out *o) { return o->path ? o->path : "<stdout>"; }

int ar_out_write(ar_out *o, const void *p, size_t n, ar_err *e)
{
    const unsigned char *c = p;
    if (o->failed) return ar_fail(e, AR_EIO, "cannot write '%s'", out_name(o));
    if (o->gz) {
        while (n > 0) {
            unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
            int w = gzwrite(o->gz, c, chunk);
            if (w <= 0) { o->failed = 1; return ar_fail(e, AR_EIO, "cannot write '%s': %s", out_name(o), strerror(errno)); }
            c += w;
            n -= (size_t)w;
        }
        return AR_OK;
    }
    if (n && fwrite(c, 1, n, o->fp) != n) {
        o->failed = 1;
        return ar_fail(e, AR_EIO, "cannot write '%s': %s", out_name(o), strerror(errno));
    }
    return AR_OK;
}

int ar_out_printf(ar_out *o, ar_err *e, const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return ar_fail(e, AR_EDATA, "format error");
    if ((size_t)n < sizeof small) return ar_out_write(o, small, (size_t)n, e);
    char *big = ar_malloc((size_t)n + 1, e);
    if (!big) return AR_EDATA;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = ar_out_write(o, big, (size_t)n, e);
    free(big);
    return rc;
}

int ar_out_commit(ar_out *o, ar_err *e)
{
    int rc = AR_OK;
    if (o->failed) rc = ar_fail(e, AR_EIO, "cannot write '%s'", out_name(o));
    if (o->gz) {
        if (gzclose(o->gz) != Z_OK && !rc) rc = ar_fail(e, AR_EIO, "cannot write '%s': %s", out_name(o), strerror(errno));
        o->gz = NULL;
    } else if (o->fp) {
        if (o->fp == stdout) {
            if ((fflush(stdout) != 0 || ferror(stdout)) && !rc) rc = ar_fail(e, AR_EIO, "writing output failed: %s", strerror(errno));
        } else if (((ferror(o->fp) | fclose(o->fp)) != 0) && !rc) {
            rc = ar_fail(e, AR_EIO, "cannot write '%s': %s", out_name(o), strerror(errno));
        }
        if (o->fp != stdout || !o->path) o->fp = NULL;
    }
    if (!rc && o->path && rename(o->tmp, o->path) != 0)
        rc = ar_fail(e, AR_EIO, "cannot rename '%s' to '%s': %s", o->tmp, o->path, strerror(errno));
    if (rc && o->tmp) unlink(o->tmp);
    free(o->path);
    free(o->tmp);
    o->path = o->tmp = NULL;
    return rc;
}

void ar_out_abort(ar_out *o)
{
    if (o->gz) gzclose(o->gz);
    if (o->fp && o->fp != stdout) fclose(o->fp);
    if (o->tmp) unlink(o->tmp);
    free(o->path);
    free(o->tmp);
    memset(o, 0, sizeof *o);
}

int ar_write_file(const char *path, const void *buf, size_t len, int gzip, ar_err *e)
{
    ar_out o;
    int rc = ar_out_open(&o, path, gzip, e);
    if (rc) return rc;
    rc = ar_out_write(&o, buf, len, e);
    if (rc) { ar_out_abort(&o); return rc; }
    return ar_out_commit(&o, e);
}

int ar_mkdir_p(const char *path, ar_err *e)
{
    char *p = ar_strdup(path, e);
    if (!p) return AR_EDATA;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == 0) {
            char c = *s;
            *s = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int rc = ar_fail(e, AR_EIO, "cannot create directory '%s': %s", p, strerror(errno));
                free(p);
                return rc;
            }
            *s = c;
            if (!c) break;
        }
    }
    free(p);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return ar_fail(e, AR_EIO, "'%s' is not a directory", path);
    return AR_OK;
}

/* ---- SHA-256 (FIPS 180-4) ---- */
static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], f = h[5], g = h[6], hh = h[7], ee = h[4];
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = ROR(ee, 6) ^ ROR(ee, 11) ^ ROR(ee, 25);
        uint32_t ch = (ee & f) ^ (~ee & g);
        uint32_t t1 = hh + S1 + ch + K256[i] + w[i];
        uint32_t S0 = ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22);
        uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + mj;
        hh = g; g = f; f = ee; ee = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += ee; h[5] += f; h[6] += g; h[7] += hh;
}

void ar_sha256_hex(const unsigned char *buf, size_t len, char out[65])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    size_t i = 0;
    for (; i + 64 <= len; i += 64) sha256_block(h, buf + i);
    unsigned char tail[128] = {0};
    size_t r = len - i;
    memcpy(tail, buf + i, r);
    tail[r] = 0x80;
    size_t tl = r + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int k = 0; k < 8; k++) tail[tl - 1 - k] = (unsigned char)(bits >> (8 * k));
    sha256_block(h, tail);
    if (tl == 128) sha256_block(h, tail + 64);
    static const char hx[] = "0123456789abcdef";
    for (int k = 0; k < 32; k++) {
        unsigned char byte = (unsigned char)(h[k / 4] >> (24 - 8 * (k % 4)));
        out[2 * k] = hx[byte >> 4];
        out[2 * k + 1] = hx[byte & 15];
    }
    out[64] = 0;
}
