/* split.c - ar-split's library part: readers of raw interaction formats,
 * star filter, iterative k-core, byte-order id remapping, stable (user, time)
 * order, per-user ROU/RAU/LOU split, pre-split readers and the atomic writer of
 * a dataset directory. See split.h and spec.md 1.2/1.3. */
#include "split.h"

#include <cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "io.h"
#include "npy.h"

/* ------------------------------------------------------------------ names */

static const char *const mode_names[] = {"ROU", "RAU", "LOU"};
static const char *const format_names[] = {"auto", "amazon", "recbole", "tsv", "csv", "seq", "lgcn", "mmrec"};

int split_mode_parse(const char *s, split_mode *m)
{
    for (int k = 0; k < 3; k++)
        if (strcasecmp(s, mode_names[k]) == 0) { *m = (split_mode)k; return 0; }
    return -1;
}

const char *split_mode_name(split_mode m) { return (unsigned)m < 3 ? mode_names[m] : "?"; }

int split_format_parse(const char *s, split_format *f)
{
    for (int k = 0; k < 8; k++)
        if (strcasecmp(s, format_names[k]) == 0) { *f = (split_format)k; return 0; }
    return -1;
}

const char *split_format_name(split_format f) { return (unsigned)f < 8 ? format_names[f] : "?"; }

/* ------------------------------------------------------------ split cuts */

static int64_t i64max(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t i64min(int64_t a, int64_t b) { return a < b ? a : b; }

void split_cuts(split_mode m, const int64_t ratios[3], int64_t n, int64_t *l, int64_t *r)
{
    int64_t a = ratios[0], b = ratios[1], s = ratios[0] + ratios[1] + ratios[2];
    int64_t L, R;
    if (s <= 0) s = 1;
    /* floor(a n / s) with non-negative operands is plain integer division */
    int64_t fa = a * n / s, fab = (a + b) * n / s;
    switch (m) {
    case SPLIT_RAU:
        L = i64max(i64min(fa, n - 2), 1);
        R = i64max(i64min(fab, n - 1), L);
        break;
    case SPLIT_LOU:
        if (n <= 3) L = R = n;
        else { L = n - 2; R = n - 1; }
        break;
    case SPLIT_ROU:
    default:
        L = i64max(fa, 1);
        R = i64max(fab, L);
        break;
    }
    L = i64max(0, i64min(L, n));
    R = i64max(L, i64min(R, n));
    *l = L;
    *r = R;
}

/* ------------------------------------------------------- interned strings */

static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t k = 0; k < len; k++) { h ^= (unsigned char)s[k]; h *= 1099511628211ull; }
    return h;
}

static int strtab_grow_slots(split_strtab *t, ar_err *e)
{
    size_t ns = t->nslot ? t->nslot * 2 : 1024;
    int64_t *sl = ar_calloc(ns, sizeof *sl, e);
    if (!sl) return AR_EDATA;
    for (int64_t k = 0; k < t->n; k++) {
        size_t h = (size_t)hash_bytes(t->s[k], strlen(t->s[k])) & (ns - 1);
        while (sl[h]) h = (h + 1) & (ns - 1);
        sl[h] = k + 1;
    }
    free(t->slot);
    t->slot = sl;
    t->nslot = ns;
    return AR_OK;
}

int split_strtab_add(split_strtab *t, const char *s, size_t len, int32_t *idx, ar_err *e)
{
    if ((size_t)(t->n + 1) * 2 > t->nslot && strtab_grow_slots(t, e)) return AR_EDATA;
    size_t h = (size_t)hash_bytes(s, len) & (t->nslot - 1);
    while (t->slot[h]) {
        const char *c = t->s[t->slot[h] - 1];
        if (strncmp(c, s, len) == 0 && c[len] == 0) { *idx = (int32_t)(t->slot[h] - 1); return AR_OK; }
        h = (h + 1) & (t->nslot - 1);
    }
    if (t->n >= INT32_MAX - 1) return ar_fail(e, AR_EDATA, "more than %d distinct ids", INT32_MAX - 1);
    if (t->n == t->cap) {
        int64_t nc = t->cap ? t->cap * 2 : 1024;
        char **ns = ar_realloc(t->s, (size_t)nc * sizeof *ns, e);
        if (!ns) return AR_EDATA;
        t->s = ns;
        t->cap = nc;
    }
    char *c = ar_malloc(len + 1, e);
    if (!c) return AR_EDATA;
    memcpy(c, s, len);
    c[len] = 0;
    t->s[t->n] = c;
    t->slot[h] = t->n + 1;
    *idx = (int32_t)t->n++;
    return AR_OK;
}

void split_strtab_free(split_strtab *t)
{
    for (int64_t k = 0; k < t->n; k++) free(t->s[k]);
    free(t->s);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

int split_raw_add(split_raw *r, const char *user, size_t ulen, const char *item, size_t ilen,
                  double rating, double time, ar_err *e)
{
    if (r->n == r->cap) {
        int64_t nc = r->cap ? r->cap * 2 : 4096;
        int32_t *u = ar_realloc(r->user, (size_t)nc * sizeof *u, e);
        if (!u) return AR_EDATA;
        r->user = u;
        int32_t *i = ar_realloc(r->item, (size_t)nc * sizeof *i, e);
        if (!i) return AR_EDATA;
        r->item = i;
        double *ra = ar_realloc(r->rating, (size_t)nc * sizeof *ra, e);
        if (!ra) return AR_EDATA;
        r->rating = ra;
        double *ti = ar_realloc(r->time, (size_t)nc * sizeof *ti, e);
        if (!ti) return AR_EDATA;
        r->time = ti;
        r->cap = nc;
    }
    int32_t ui, ii;
    if (split_strtab_add(&r->users, user, ulen, &ui, e) || split_strtab_add(&r->items, item, ilen, &ii, e))
        return AR_EDATA;
    r->user[r->n] = ui;
    r->item[r->n] = ii;
    r->rating[r->n] = rating;
    r->time[r->n] = time;
    r->n++;
    return AR_OK;
}

void split_raw_free(split_raw *r)
{
    free(r->user);
    free(r->item);
    free(r->rating);
    free(r->time);
    split_strtab_free(&r->users);
    split_strtab_free(&r->items);
    memset(r, 0, sizeof *r);
}

int split_id_ok(const char *s, size_t len)
{
    if (len == 0) return 0;
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c <= 0x20 || c == 0x7f) return 0;
    }
    return 1;
}

static int check_id(const char *what, const char *s, size_t len, const char *file, long line, ar_err *e)
{
    if (split_id_ok(s, len)) return AR_OK;
    char b[128];
    if (len == 0) return ar_fail(e, AR_EDATA, "%s:%ld: empty %s id", file, line, what);
    return ar_fail(e, AR_EDATA, "%s:%ld: %s id \"%s\" contains whitespace or control characters, which users.txt/items.txt cannot represent",
                   file, line, what, ar_show(s, len, b, sizeof b));
}

/* ---------------------------------------------------------- file reading */

/* Read path's raw bytes (for the checksum) and its decompressed text. */
static int read_input(const char *path, char **text, size_t *tlen, split_input *info, ar_err *e)
{
    const char *name = ar_display_name(path);
    *text = NULL;
    *tlen = 0;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return ar_fail(e, AR_EIO, "cannot open '%s': %s", name, strerror(errno));
    struct stat st;
    if (f != stdin && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return ar_fail(e, AR_EIO, "'%s' is a directory, expected a file", name);
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *raw = ar_malloc(cap + 1, e);
    if (!raw) { if (f != stdin) fclose(f); return AR_EDATA; }
    for (;;) {
        if (n == cap) {
            unsigned char *nr = ar_realloc(raw, cap * 2 + 1, e);
            if (!nr) { free(raw); if (f != stdin) fclose(f); return AR_EDATA; }
            raw = nr;
            cap *= 2;
        }
        size_t got = fread(raw + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int rerr = ferror(f);
    if (f != stdin) fclose(f);
    if (rerr) { free(raw); return ar_fail(e, AR_EIO, "cannot read '%s': %s", name, strerror(errno ? errno : EIO)); }
    if (info) {
        info->path = ar_strdup(path, e);
        if (!info->path) { free(raw); return AR_EDATA; }
        ar_sha256_hex(raw, n, info->sha256);
        info->bytes = (int64_t)n;
    }
    if (n >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
        size_t ocap = n * 4 + 4096, on = 0;
        unsigned char *out = ar_malloc(ocap + 1, e);
        if (!out) { free(raw); return AR_EDATA; }
        z_stream z;
        memset(&z, 0, sizeof z);
        if (inflateInit2(&z, 15 + 32) != Z_OK) { free(raw); free(out); return ar_fail(e, AR_EDATA, "zlib init failed"); }
        size_t in_off = 0;
        int rc = AR_OK;
        for (;;) {
            if (on == ocap) {
                unsigned char *no = ar_realloc(out, ocap * 2 + 1, e);
                if (!no) { rc = AR_EDATA; break; }
                out = no;
                ocap *= 2;
            }
            size_t in_chunk = n - in_off > (1u << 30) ? (1u << 30) : n - in_off;
            size_t out_chunk = ocap - on > (1u << 30) ? (1u << 30) : ocap - on;
            z.next_in = raw + in_off;
            z.avail_in = (uInt)in_chunk;
            z.next_out = out + on;
            z.avail_out = (uInt)out_chunk;
            int zr = inflate(&z, Z_NO_FLUSH);
            in_off += in_chunk - z.avail_in;
            on += out_chunk - z.avail_out;
            if (zr == Z_STREAM_END) {
                /* another gzip member may follow (concatenated .gz files) */
                if (n - in_off >= 2 && raw[in_off] == 0x1f && raw[in_off + 1] == 0x8b) { inflateReset(&z); continue; }
                break;
            }
            if (zr == Z_OK || (zr == Z_BUF_ERROR && z.avail_out == 0)) {
                if (in_off >= n && z.avail_out != 0) { rc = ar_fail(e, AR_EDATA, "%s: truncated gzip data", name); break; }
                continue;
            }
            rc = ar_fail(e, AR_EDATA, "%s: corrupt gzip data: %s", name, z.msg ? z.msg : "inflate failed");
            break;
        }
        inflateEnd(&z);
        free(raw);
        if (rc) { free(out); return rc; }
        raw = out;
        n = on;
    }
    raw[n] = 0;
    *text = (char *)raw;
    *tlen = n;
    return AR_OK;
}

typedef struct lines_t {
    const char *name;
    char *p, *end;
    long lineno;
} lines_t;

/* Next line (NUL-terminated in place, no \n or \r\n); 1 = got one, 0 = end. */
static int next_line(lines_t *L, char **line, size_t *len, ar_err *e)
{
    if (L->p >= L->end) return 0;
    char *s = L->p;
    char *nl = memchr(s, '\n', (size_t)(L->end - s));
    char *stop = nl ? nl : L->end;
    L->p = nl ? nl + 1 : L->end;
    L->lineno++;
    size_t n = (size_t)(stop - s);
    if (n > 0 && s[n - 1] == '\r') n--;
    s[n] = 0;
    if (memchr(s, 0, n)) return -ar_fail(e, AR_EDATA, "%s:%ld: NUL byte in a text line (binary file?)", L->name, L->lineno);
    *line = s;
    *len = n;
    return 1;
}

static int blank(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return *s == 0;
}

/* Strict decimal number: the whole string, finite, no hex/inf/nan. */
static int parse_num(const char *s, double *v)
{
    if (!*s) return -1;
    for (const char *c = s; *c; c++)
        if (!(isdigit((unsigned char)*c) || *c == '+' || *c == '-' || *c == '.' || *c == 'e' || *c == 'E')) return -1;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(x)) return -1;
    *v = x;
    return 0;
}

/* Non-negative integer id token (digits only, < INT32_MAX). */
static int parse_id(const char *s, int32_t *v)
{
    if (!*s) return -1;
    int64_t x = 0;
    for (const char *c = s; *c; c++) {
        if (!isdigit((unsigned char)*c)) return -1;
        x = x * 10 + (*c - '0');
        if (x >= INT32_MAX) return -1;
    }
    *v = (int32_t)x;
    return 0;
}

/* Split line in place on sep into at most cap fields; returns the count
 * (counting beyond cap). csv_quotes: "..." fields with "" escapes. Returns -1
 * on an unterminated or misplaced quote. */
static int split_fields(char *line, char sep, int csv_quotes, char **f, int cap)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *start = p;
        if (csv_quotes && *p == '"') {
            char *w = p;
            p++;
            for (;;) {
                if (!*p) return -1;
                if (*p == '"') {
                    if (p[1] == '"') { *w++ = '"'; p += 2; continue; }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            if (*p && *p != sep) return -1;
            char *next = *p ? p + 1 : NULL;
            *w = 0;
            if (n < cap) f[n] = start;
            n++;
            if (!next) break;
            p = next;
            continue;
        }
        char *q = strchr(p, sep);
        if (csv_quotes) {
            char *quote = memchr(p, '"', q ? (size_t)(q - p) : strlen(p));
            if (quote) return -1;
        }
        if (n < cap) f[n] = start;
        n++;
        if (!q) break;
        *q = 0;
        p = q + 1;
    }
    return n;
}

/* ------------------------------------------------------------- readers */

static int read_amazon(lines_t *L, split_raw *r, ar_err *e)
{
    char *line;
    size_t len;
    int rc;
    while ((rc = next_line(L, &line, &len, e)) == 1) {
        if (blank(line)) continue;
        const char *end = NULL;
        cJSON *o = cJSON_ParseWithLengthOpts(line, len, &end, 0);
        if (!o) return ar_fail(e, AR_EDATA, "%s:%ld: not a JSON object (parse error at byte %ld)", L->name, L->lineno,
                               (long)((cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() : line) - line) + 1);
        while (end && *end && (*end == ' ' || *end == '\t')) end++;
        if (end && *end) { cJSON_Delete(o); return ar_fail(e, AR_EDATA, "%s:%ld: garbage after the JSON object", L->name, L->lineno); }
        if (!cJSON_IsObject(o)) { cJSON_Delete(o); return ar_fail(e, AR_EDATA, "%s:%ld: not a JSON object", L->name, L->lineno); }
        static const char *const names[4] = {"reviewerID", "asin", "overall", "unixReviewTime"};
        cJSON *v[4];
        for (int k = 0; k < 4; k++) {
            v[k] = cJSON_GetObjectItemCaseSensitive(o, names[k]);
            if (!v[k]) { cJSON_Delete(o); return ar_fail(e, AR_EDATA, "%s:%ld: field \"%s\" missing", L->name, L->lineno, names[k]); }
            int okt = k < 2 ? cJSON_IsString(v[k]) : cJSON_IsNumber(v[k]);
            if (!okt) {
                cJSON_Delete(o);
                return ar_fail(e, AR_EDATA, "%s:%ld: field \"%s\" is not a %s", L->name, L->lineno, names[k], k < 2 ? "string" : "number");
            }
        }
        const char *u = v[0]->valuestring, *it = v[1]->valuestring;
        if ((rc = check_id("user", u, strlen(u), L->name, L->lineno, e)) ||
            (rc = check_id("item", it, strlen(it), L->name, L->lineno, e))) { cJSON_Delete(o); return rc; }
        double rating = v[2]->valuedouble, t = v[3]->valuedouble;
        if (!isfinite(rating) || !isfinite(t)) {
            cJSON_Delete(o);
            return ar_fail(e, AR_EDATA, "%s:%ld: rating or time is not a finite number", L->name, L->lineno);
        }
        rc = split_raw_add(r, u, strlen(u), it, strlen(it), rating, t, e);
        cJSON_Delete(o);
        if (rc) return rc;
    }
    return rc < 0 ? -rc : AR_OK;
}

#define MAXF 4096

static int read_recbole(lines_t *L, const split_read_opts *o, split_raw *r, ar_err *e)
{
    char *line;
    size_t len;
    int rc;
    char *f[MAXF];
    const char *want[4] = {o && o->user_field ? o->user_field : "user_id", o && o->item_field ? o->item_field : "item_id",
                           o && o->rating_field ? o->rating_field : "rating", o && o->time_field ? o->time_field : "timestamp"};
    int col[4] = {-1, -1, -1, -1}, nf = 0;
    long hline = 0;
    while ((rc = next_line(L, &line, &len, e)) == 1) {
        if (blank(line)) continue;
        if (!hline) {
            hline = L->lineno;
            nf = split_fields(line, '\t', 0, f, MAXF);
            if (nf > MAXF) return ar_fail(e, AR_EDATA, "%s:%ld: more than %d header fields", L->name, L->lineno, MAXF);
            for (int k = 0; k < nf; k++) {
                char *c = strrchr(f[k], ':');
                static const char *const types[] = {"token", "token_seq", "float", "float_seq"};
                int tk = -1;
                if (c)
                    for (int j = 0; j < 4; j++)
                        if (strcmp(c + 1, types[j]) == 0) tk = j;
                if (!c || c == f[k] || tk < 0) {
                    char b[128];
                    return ar_fail(e, AR_EDATA, "%s:%ld: not a RecBole .inter header: field %d \"%s\" lacks a \":token\"/\":float\" type suffix",
                                   L->name, L->lineno, k + 1, ar_show(f[k], strlen(f[k]), b, sizeof b));
                }
                *c = 0;
                for (int j = 0; j < 4; j++)
                    if (strcmp(f[k], want[j]) == 0) {
                        if (col[j] >= 0) return ar_fail(e, AR_EDATA, "%s:%ld: field \"%s\" appears twice in the header", L->name, L->lineno, want[j]);
                        if (tk == 1 || tk == 3) return ar_fail(e, AR_EDATA, "%s:%ld: field \"%s\" is a sequence (%s), expected a single value", L->name, L->lineno, want[j], types[tk]);
                        col[j] = k;
                    }
            }
            for (int j = 0; j < 4; j++) {
                int required = j < 2 || (j == 2 && o && o->rating_required) || (j == 3 && o && o->time_required);
                if (col[j] < 0 && required)
                    return ar_fail(e, AR_EDATA, "%s:%ld: header has no field \"%s\"", L->name, L->lineno, want[j]);
            }
            continue;
        }
        int n = split_fields(line, '\t', 0, f, MAXF);
        if (n != nf) return ar_fail(e, AR_EDATA, "%s:%ld: %d fields, the header (line %ld) has %d", L->name, L->lineno, n, hline, nf);
        if ((rc = check_id("user", f[col[0]], strlen(f[col[0]]), L->name, L->lineno, e)) ||
            (rc = check_id("item", f[col[1]], strlen(f[col[1]]), L->name, L->lineno, e))) return rc;
        double rating = NAN, t = 0;
        if (col[2] >= 0 && parse_num(f[col[2]], &rating))
            return ar_fail(e, AR_EDATA, "%s:%ld: field \"%s\": \"%.40s\" is not a number", L->name, L->lineno, want[2], f[col[2]]);
        if (col[3] >= 0 && parse_num(f[col[3]], &t))
            return ar_fail(e, AR_EDATA, "%s:%ld: field \"%s\": \"%.40s\" is not a number", L->name, L->lineno, want[3], f[col[3]]);
        if ((rc = split_raw_add(r, f[col[0]], strlen(f[col[0]]), f[col[1]], strlen(f[col[1]]), rating, t, e))) return rc;
    }
    if (rc < 0) return -rc;
    if (!hline) return ar_fail(e, AR_EDATA, "%s: empty file, expected a RecBole header line", L->name);
    return AR_OK;
}

static int read_delim(lines_t *L, int csv, const split_read_opts *o, split_raw *r, ar_err *e)
{
    char sep = o && o->sep ? o->sep : (csv ? ',' : '\t');
    int header = o && o->header;
    const char *cols = o && o->cols ? o->cols : "1,2";
    static const char *const what[4] = {"user", "item", "rating", "time"};
    /* parse the column spec: up to 4 entries, numbers or names, empty/"-" = absent */
    char spec[4][256];
    int ncol = 0;
    {
        const char *p = cols;
        for (;;) {
            const char *q = strchr(p, ',');
            size_t l = q ? (size_t)(q - p) : strlen(p);
            if (ncol == 4) return ar_fail(e, AR_EUSAGE, "--cols '%s': at most 4 columns (user,item,rating,time)", cols);
            if (l >= sizeof spec[0]) return ar_fail(e, AR_EUSAGE, "--cols '%s': column name too long", cols);
            memcpy(spec[ncol], p, l);
            spec[ncol][l] = 0;
            ncol++;
            if (!q) break;
            p = q + 1;
        }
        if (ncol < 2) return ar_fail(e, AR_EUSAGE, "--cols '%s': need at least user,item", cols);
    }
    int col[4] = {-1, -1, -1, -1};
    int need_header = 0;
    for (int j = 0; j < ncol; j++) {
        if (!spec[j][0] || strcmp(spec[j], "-") == 0) {
            if (j < 2) return ar_fail(e, AR_EUSAGE, "--cols '%s': the %s column is required", cols, what[j]);
            continue;
        }
        int32_t v;
        if (parse_id(spec[j], &v) == 0) {
            if (v < 1 || v > MAXF) return ar_fail(e, AR_EUSAGE, "--cols '%s': column %s out of range 1..%d", cols, spec[j], MAXF);
            col[j] = v - 1;
        } else {
            need_header = 1;
        }
    }
    if (need_header && !header) return ar_fail(e, AR_EUSAGE, "--cols '%s': column names need --header", cols);
    char *line;
    size_t len;
    int rc;
    char *f[MAXF];
    int nf = -1;
    long first = 0;
    int maxcol = 0;
    for (int j = 0; j < 4; j++)
        if (col[j] + 1 > maxcol) maxcol = col[j] + 1;
    int64_t row = 0;
    while ((rc = next_line(L, &line, &len, e)) == 1) {
        if (blank(line)) continue;
        int n = split_fields(line, sep, csv, f, MAXF);
        if (n < 0) return ar_fail(e, AR_EDATA, "%s:%ld: badly quoted field", L->name, L->lineno);
        if (n > MAXF) return ar_fail(e, AR_EDATA, "%s:%ld: more than %d fields", L->name, L->lineno, MAXF);
        if (nf < 0) {
            nf = n;
            first = L->lineno;
            if (header) {
                for (int j = 0; j < ncol; j++) {
                    if (!spec[j][0] || strcmp(spec[j], "-") == 0) continue;
                    int32_t v;
                    if (parse_id(spec[j], &v) == 0) continue;
                    for (int k = 0; k < n; k++)
                        if (strcmp(f[k], spec[j]) == 0) { col[j] = k; break; }
                    if (col[j] < 0) return ar_fail(e, AR_EDATA, "%s:%ld: header has no column \"%s\" (for the %s)", L->name, L->lineno, spec[j], what[j]);
                }
                for (int j = 0; j < 4; j++)
                    if (col[j] + 1 > maxcol) maxcol = col[j] + 1;
            }
            if (n < maxcol) {
                return ar_fail(e, AR_EDATA, "%s:%ld: %d field%s separated by '%s', --cols needs at least %d (wrong --sep or --format?)",
                               L->name, L->lineno, n, n == 1 ? "" : "s", sep == '\t' ? "\\t" : (char[2]){sep, 0}, maxcol);
            }
            if (header) continue;
        } else if (n != nf) {
            return ar_fail(e, AR_EDATA, "%s:%ld: %d fields, line %ld has %d", L->name, L->lineno, n, first, nf);
        }
        if ((rc = check_id("user", f[col[0]], strlen(f[col[0]]), L->name, L->lineno, e)) ||
            (rc = check_id("item", f[col[1]], strlen(f[col[1]]), L->name, L->lineno, e))) return rc;
        double rating = NAN, t = (double)row;
        if (col[2] >= 0 && parse_num(f[col[2]], &rating))
            return ar_fail(e, AR_EDATA, "%s:%ld: rating \"%.40s\" is not a number", L->name, L->lineno, f[col[2]]);
        if (col[3] >= 0 && parse_num(f[col[3]], &t))
            return ar_fail(e, AR_EDATA, "%s:%ld: time \"%.40s\" is not a number", L->name, L->lineno, f[col[3]]);
        if (col[3] < 0) t = 0; /* no time column: input order decides */
        if ((rc = split_raw_add(r, f[col[0]], strlen(f[col[0]]), f[col[1]], strlen(f[col[1]]), rating, t, e))) return rc;
        row++;
    }
    return rc < 0 ? -rc : AR_OK;
}

/* next whitespace-separated token in place; NULL at end */
static char *next_tok(char **p)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) { *p = s; return NULL; }
    char *t = s;
    while (*s && *s != ' ' && *s != '\t') s++;
    if (*s) *s++ = 0;
    *p = s;
    return t;
}

static int read_seq(lines_t *L, split_raw *r, ar_err *e)
{
    char *line;
    size_t len;
    int rc;
    while ((rc = next_line(L, &line, &len, e)) == 1) {
        if (blank(line)) continue;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '{' || *p == '[')
            return ar_fail(e, AR_EDATA, "%s:%ld: looks like JSON, not a 'user item item ...' sequence line (wrong --format?)", L->name, L->lineno);
        char *u = next_tok(&p);
        if ((rc = check_id("user", u, strlen(u), L->name, L->lineno, e))) return rc;
        int64_t before = r->users.n;
        int64_t pos = 0;
        char *it;
        while ((it = next_tok(&p))) {
            if ((rc = check_id("item", it, strlen(it), L->name, L->lineno, e))) return rc;
            int64_t nu = r->users.n;
            if ((rc = split_raw_add(r, u, strlen(u), it, strlen(it), NAN, (double)pos, e))) return rc;
            if (pos == 0 && r->users.n == nu && nu == before)
                return ar_fail(e, AR_EDATA, "%s:%ld: user \"%.80s\" has a second line (one line per user expected)", L->name, L->lineno, u);
            pos++;
        }
        if (pos == 0) return ar_fail(e, AR_EDATA, "%s:%ld: user \"%.80s\" has no items", L->name, L->lineno, u);
    }
    return rc < 0 ? -rc : AR_OK;
}

int split_read(const char *path, split_format f, const split_read_opts *o, split_raw *r, split_input *info, ar_err *e)
{
    if (f != SPLIT_FMT_AMAZON && f != SPLIT_FMT_RECBOLE && f != SPLIT_FMT_TSV && f != SPLIT_FMT_CSV && f != SPLIT_FMT_SEQ)
        return ar_fail(e, AR_EUSAGE, "split_read: format %s is not a raw interaction format", split_format_name(f));
    char *text;
    size_t n;
    int rc = read_input(path, &text, &n, info, e);
    if (rc) return rc;
    lines_t L = {ar_display_name(path), text, text + n, 0};
    switch (f) {
    case SPLIT_FMT_AMAZON: rc = read_amazon(&L, r, e); break;
    case SPLIT_FMT_RECBOLE: rc = read_recbole(&L, o, r, e); break;
    case SPLIT_FMT_TSV: rc = read_delim(&L, 0, o, r, e); break;
    case SPLIT_FMT_CSV: rc = read_delim(&L, 1, o, r, e); break;
    default: rc = read_seq(&L, r, e); break;
    }
    free(text);
    return rc;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static char *path_join(const char *a, const char *b, ar_err *e)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = ar_malloc(n, e);
    if (p) snprintf(p, n, "%s/%s", a, b);
    return p;
}

int split_detect(const char *path, split_format *f, ar_err *e)
{
    const char *name = ar_display_name(path);
    if (strcmp(path, "-") != 0 && is_dir(path)) {
        char *a = path_join(path, "train.json", e), *b = path_join(path, "5-core/train.json", e);
        char *c = path_join(path, "cf_data", e), *d = path_join(path, "train.txt", e);
        int mm = (a && is_file(a)) || (b && is_file(b)), lg = (c && is_dir(c)) || (d && is_file(d));
        free(a); free(b); free(c); free(d);
        if (mm) { *f = SPLIT_FMT_MMREC; return AR_OK; }
        if (lg) { *f = SPLIT_FMT_LGCN; return AR_OK; }
        return ar_fail(e, AR_EUSAGE, "cannot detect the format of directory '%s' (no train.json, cf_data/ or train.txt); use --format", name);
    }
    if (ar_has_suffix(path, ".inter") || ar_has_suffix(path, ".inter.gz")) { *f = SPLIT_FMT_RECBOLE; return AR_OK; }
    if (ar_has_suffix(path, ".csv") || ar_has_suffix(path, ".csv.gz")) { *f = SPLIT_FMT_CSV; return AR_OK; }
    if (strcmp(path, "-") != 0) {
        gzFile g = gzopen(path, "rb");
        if (!g) return ar_fail(e, AR_EIO, "cannot open '%s': %s", name, strerror(errno ? errno : ENOENT));
        char buf[256];
        int n = gzread(g, buf, sizeof buf - 1);
        gzclose(g);
        int k = 0;
        while (k < n && isspace((unsigned char)buf[k])) k++;
        if (k < n && buf[k] == '{') { *f = SPLIT_FMT_AMAZON; return AR_OK; }
    }
    return ar_fail(e, AR_EUSAGE, "cannot detect the format of '%s'; use --format amazon|recbole|tsv|csv|seq|lgcn|mmrec", name);
}

/* ---------------------------------------------------- filter, remap, order */

int64_t split_kcore(int64_t n, const int32_t *user, const int32_t *item, int64_t nu, int64_t ni,
                    int64_t ku, int64_t ki, unsigned char *keep, int *rounds, ar_err *e)
{
    int64_t *cu = ar_calloc((size_t)(nu > 0 ? nu : 1), sizeof *cu, e);
    int64_t *ci = ar_calloc((size_t)(ni > 0 ? ni : 1), sizeof *ci, e);
    if (!cu || !ci) { free(cu); free(ci); return -1; }
    int64_t kept = 0;
    for (int64_t k = 0; k < n; k++) kept += keep[k] != 0;
    int nr = 0;
    for (;;) {
        int64_t before = kept;
        nr++;
        if (ku > 1) { /* user pass: counts over the rows kept so far */
            memset(cu, 0, (size_t)nu * sizeof *cu);
            for (int64_t k = 0; k < n; k++)
                if (keep[k]) cu[user[k]]++;
            for (int64_t k = 0; k < n; k++)
                if (keep[k] && cu[user[k]] < ku) { keep[k] = 0; kept--; }
        }
        if (ki > 1) { /* item pass, after the user pass of the same round */
            memset(ci, 0, (size_t)ni * sizeof *ci);
            for (int64_t k = 0; k < n; k++)
                if (keep[k]) ci[item[k]]++;
            for (int64_t k = 0; k < n; k++)
                if (keep[k] && ci[item[k]] < ki) { keep[k] = 0; kept--; }
        }
        if (kept == before) break;
    }
    free(cu);
    free(ci);
    if (rounds) *rounds = nr;
    return kept;
}

typedef struct { const char *s; int64_t k; } str_ix;

static int cmp_str_ix(const void *a, const void *b)
{
    const str_ix *x = a, *y = b;
    int c = strcmp(x->s, y->s); /* compares as unsigned char: byte order */
    if (c) return c;
    return (x->k > y->k) - (x->k < y->k);
}

int split_sort_ids(char *const *ids, int64_t n, int64_t *order, ar_err *e)
{
    str_ix *v = ar_malloc((size_t)(n > 0 ? n : 1) * sizeof *v, e);
    if (!v) return AR_EDATA;
    for (int64_t k = 0; k < n; k++) { v[k].s = ids[k]; v[k].k = k; }
    qsort(v, (size_t)n, sizeof *v, cmp_str_ix);
    for (int64_t k = 0; k < n; k++) order[k] = v[k].k;
    free(v);
    return AR_OK;
}

typedef struct { int32_t u; double t; int64_t k; } row_key;

static int cmp_row_key(const void *a, const void *b)
{
    const row_key *x = a, *y = b;
    if (x->u != y->u) return x->u < y->u ? -1 : 1;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return (x->k > y->k) - (x->k < y->k); /* input order on ties: a stable sort */
}

int split_order(int64_t n, const int32_t *user, const double *time, int64_t *perm, ar_err *e)
{
    row_key *v = ar_malloc((size_t)(n > 0 ? n : 1) * sizeof *v, e);
    if (!v) return AR_EDATA;
    for (int64_t k = 0; k < n; k++) { v[k].u = user[k]; v[k].t = time[k]; v[k].k = k; }
    qsort(v, (size_t)n, sizeof *v, cmp_row_key);
    for (int64_t k = 0; k < n; k++) perm[k] = v[k].k;
    free(v);
    return AR_OK;
}

void split_result_free(split_result *s)
{
    if (s->user_ids) for (int64_t k = 0; k < s->n_users; k++) free(s->user_ids[k]);
    if (s->item_ids) for (int64_t k = 0; k < s->n_items; k++) free(s->item_ids[k]);
    free(s->user_ids);
    free(s->item_ids);
    for (int k = 0; k < 3; k++) free(s->pairs[k]);
    memset(s, 0, sizeof *s);
}

int split_has_duplicates(const split_result *s, ar_err *e)
{
    int64_t nu = s->n_users, ni = s->n_items, tot = s->count[0] + s->count[1] + s->count[2];
    int64_t *off = ar_calloc((size_t)nu + 1, sizeof *off, e);
    int32_t *items = ar_malloc((size_t)(tot > 0 ? tot : 1) * sizeof *items, e);
    int64_t *stamp = ar_malloc((size_t)(ni > 0 ? ni : 1) * sizeof *stamp, e);
    int dup = -1;
    if (!off || !items || !stamp) goto out;
    /* group all pairs by user (CSR), then look for a repeated item per user */
    for (int k = 0; k < 3; k++)
        for (int64_t j = 0; j < s->count[k]; j++) off[s->pairs[k][2 * j] + 1]++;
    for (int64_t u = 0; u < nu; u++) off[u + 1] += off[u];
    for (int k = 0; k < 3; k++)
        for (int64_t j = 0; j < s->count[k]; j++) items[off[s->pairs[k][2 * j]]++] = s->pairs[k][2 * j + 1];
    for (int64_t u = nu; u > 0; u--) off[u] = off[u - 1];
    off[0] = 0;
    for (int64_t i = 0; i < ni; i++) stamp[i] = -1;
    dup = 0;
    for (int64_t u = 0; u < nu && !dup; u++)
        for (int64_t j = off[u]; j < off[u + 1]; j++) {
            if (stamp[items[j]] == u) { dup = 1; break; }
            stamp[items[j]] = u;
        }
out:
    free(off);
    free(items);
    free(stamp);
    return dup;
}

int split_build(const split_raw *r, const split_params *p, const char *empty_what, split_result *out, ar_err *e)
{
    memset(out, 0, sizeof *out);
    int64_t n = r->n;
    int rc = AR_EDATA;
    unsigned char *keep = ar_malloc((size_t)(n > 0 ? n : 1), e);
    int64_t *umap = ar_malloc((size_t)(r->users.n > 0 ? r->users.n : 1) * sizeof *umap, e);
    int64_t *imap = ar_malloc((size_t)(r->items.n > 0 ? r->items.n : 1) * sizeof *imap, e);
    int64_t *order = NULL, *perm = NULL, *ubeg = NULL;
    int32_t *nu_ = NULL, *ni_ = NULL;
    double *nt = NULL;
    char **tmp = NULL;
    if (!keep || !umap || !imap) goto fail;
    out->n_raw = n;
    int64_t kept = 0;
    for (int64_t k = 0; k < n; k++) {
        keep[k] = isnan(r->rating[k]) || r->rating[k] >= p->min_rating;
        kept += keep[k];
    }
    out->n_after_rating = kept;
    kept = split_kcore(n, r->user, r->item, r->users.n, r->items.n, p->kcore_user, p->kcore_item, keep, &out->kcore_rounds, e);
    if (kept < 0) goto fail;
    out->n_after_kcore = kept;
    if (kept == 0) {
        rc = ar_fail(e, AR_EDATA, "%s: no interactions left after filtering (%lld read, %lld with rating >= %g, 0 after k-core %lld/%lld)",
                     empty_what ? empty_what : "input", (long long)n, (long long)out->n_after_rating, p->min_rating,
                     (long long)p->kcore_user, (long long)p->kcore_item);
        goto fail;
    }
    /* remap: distinct surviving raw ids sorted as byte strings */
    for (int side = 0; side < 2; side++) {
        const split_strtab *t = side ? &r->items : &r->users;
        const int32_t *col = side ? r->item : r->user;
        int64_t *map = side ? imap : umap;
        for (int64_t k = 0; k < t->n; k++) map[k] = -1;
        for (int64_t k = 0; k < n; k++)
            if (keep[k]) map[col[k]] = 0;
        int64_t m = 0;
        for (int64_t k = 0; k < t->n; k++)
            if (map[k] == 0) m++;
        tmp = ar_malloc((size_t)m * sizeof *tmp, e);
        order = ar_malloc((size_t)m * sizeof *order, e);
        char **ids = ar_calloc((size_t)m, sizeof *ids, e);
        if (side) { out->item_ids = ids; out->n_items = m; } else { out->user_ids = ids; out->n_users = m; }
        if (!tmp || !order || !ids) goto fail;
        int64_t *src = ar_malloc((size_t)m * sizeof *src, e);
        if (!src) goto fail;
        m = 0;
        for (int64_t k = 0; k < t->n; k++)
            if (map[k] == 0) { src[m] = k; tmp[m++] = t->s[k]; }
        if (split_sort_ids(tmp, m, order, e)) { free(src); goto fail; }
        for (int64_t j = 0; j < m; j++) {
            int64_t old = src[order[j]];
            map[old] = j;
            ids[j] = ar_strdup(t->s[old], e);
            if (!ids[j]) { free(src); goto fail; }
        }
        free(src);
        free(tmp);
        tmp = NULL;
        free(order);
        order = NULL;
    }
    /* stable order by (user, time) of the kept rows */
    nu_ = ar_malloc((size_t)kept * sizeof *nu_, e);
    ni_ = ar_malloc((size_t)kept * sizeof *ni_, e);
    nt = ar_malloc((size_t)kept * sizeof *nt, e);
    perm = ar_malloc((size_t)kept * sizeof *perm, e);
    if (!nu_ || !ni_ || !nt || !perm) goto fail;
    int64_t m = 0;
    for (int64_t k = 0; k < n; k++)
        if (keep[k]) {
            nu_[m] = (int32_t)umap[r->user[k]];
            ni_[m] = (int32_t)imap[r->item[k]];
            nt[m] = r->time[k];
            m++;
        }
    if (split_order(kept, nu_, nt, perm, e)) goto fail;
    /* split each user's run of rows */
    int64_t cnt[3] = {0, 0, 0};
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (int k = 0; k < 3; k++) {
                out->pairs[k] = ar_malloc((size_t)(cnt[k] > 0 ? cnt[k] : 1) * 2 * sizeof(int32_t), e);
                if (!out->pairs[k]) goto fail;
                out->count[k] = 0;
            }
        }
        for (int64_t a = 0; a < kept;) {
            int64_t b = a;
            while (b < kept && nu_[perm[b]] == nu_[perm[a]]) b++;
            int64_t l, rr;
            split_cuts(p->mode, p->ratios, b - a, &l, &rr);
            for (int64_t j = a; j < b; j++) {
                int64_t pos = j - a;
                int s = pos < l ? 0 : pos < rr ? 1 : 2;
                if (pass == 0) cnt[s]++;
                else {
                    int32_t *d = out->pairs[s] + 2 * out->count[s]++;
                    d[0] = nu_[perm[j]];
                    d[1] = ni_[perm[j]];
                }
            }
            a = b;
        }
    }
    int dup = split_has_duplicates(out, e);
    if (dup < 0) goto fail;
    out->has_duplicates = dup;
    rc = AR_OK;
fail:
    free(keep);
    free(umap);
    free(imap);
    free(order);
    free(perm);
    free(ubeg);
    free(nu_);
    free(ni_);
    free(nt);
    free(tmp);
    if (rc) split_result_free(out);
    return rc;
}

/* ------------------------------------------------------------- pre-split */

typedef struct pairs_buf { int64_t n, cap; int32_t *p; } pairs_buf;

static int pairs_push(pairs_buf *b, int32_t u, int32_t i, ar_err *e)
{
    if (b->n == b->cap) {
        int64_t nc = b->cap ? b->cap * 2 : 4096;
        int32_t *np = ar_realloc(b->p, (size_t)nc * 2 * sizeof *np, e);
        if (!np) return AR_EDATA;
        b->p = np;
        b->cap = nc;
    }
    b->p[2 * b->n] = u;
    b->p[2 * b->n + 1] = i;
    b->n++;
    return AR_OK;
}

/* Stable counting sort of b's rows by user into a fresh array. */
static int pairs_group(const pairs_buf *b, int64_t nu, int32_t **outp, ar_err *e)
{
    int64_t *off = ar_calloc((size_t)nu + 1, sizeof *off, e);
    int32_t *o = ar_malloc((size_t)(b->n > 0 ? b->n : 1) * 2 * sizeof *o, e);
    if (!off || !o) { free(off); free(o); return AR_EDATA; }
    for (int64_t k = 0; k < b->n; k++) off[b->p[2 * k] + 1]++;
    for (int64_t u = 0; u < nu; u++) off[u + 1] += off[u];
    for (int64_t k = 0; k < b->n; k++) {
        int64_t d = off[b->p[2 * k]]++;
        o[2 * d] = b->p[2 * k];
        o[2 * d + 1] = b->p[2 * k + 1];
    }
    free(off);
    *outp = o;
    return AR_OK;
}

static char **numeric_ids(int64_t n, ar_err *e)
{
    char **ids = ar_calloc((size_t)(n > 0 ? n : 1), sizeof *ids, e);
    if (!ids) return NULL;
    for (int64_t k = 0; k < n; k++) {
        char b[24];
        snprintf(b, sizeof b, "%lld", (long long)k);
        ids[k] = ar_strdup(b, e);
        if (!ids[k]) {
            for (int64_t j = 0; j < k; j++) free(ids[j]);
            free(ids);
            return NULL;
        }
    }
    return ids;
}

/* per-file "user already seen" marks */
typedef struct seen_t { int64_t cap; unsigned char *m; } seen_t;

static int seen_test_set(seen_t *s, int32_t u, int *was, ar_err *e)
{
    if (u >= s->cap) {
        int64_t nc = s->cap ? s->cap : 1024;
        while (nc <= u) nc *= 2;
        unsigned char *nm = ar_realloc(s->m, (size_t)nc, e);
        if (!nm) return AR_EDATA;
        memset(nm + s->cap, 0, (size_t)(nc - s->cap));
        s->m = nm;
        s->cap = nc;
    }
    *was = s->m[u];
    s->m[u] = 1;
    return AR_OK;
}

static int finish_presplit(pairs_buf b[3], int64_t nu, int64_t ni, split_result *out, ar_err *e)
{
    out->n_users = nu;
    out->n_items = ni;
    for (int k = 0; k < 3; k++) {
        if (pairs_group(&b[k], nu, &out->pairs[k], e)) return AR_EDATA;
        out->count[k] = b[k].n;
    }
    int64_t tot = b[0].n + b[1].n + b[2].n;
    out->n_raw = out->n_after_rating = out->n_after_kcore = tot;
    int dup = split_has_duplicates(out, e);
    if (dup < 0) return AR_EDATA;
    out->has_duplicates = dup;
    return AR_OK;
}

int split_read_lgcn(const char *const files[3], split_result *out, split_input info[3], ar_err *e)
{
    memset(out, 0, sizeof *out);
    pairs_buf b[3];
    memset(b, 0, sizeof b);
    int64_t nu = 0, ni = 0;
    int rc = AR_OK;
    seen_t seen = {0, NULL};
    for (int k = 0; k < 3 && !rc; k++) {
        char *text;
        size_t n;
        if ((rc = read_input(files[k], &text, &n, info ? &info[k] : NULL, e))) break;
        lines_t L = {ar_display_name(files[k]), text, text + n, 0};
        if (seen.m) memset(seen.m, 0, (size_t)seen.cap);
        char *line;
        size_t len;
        int lr;
        while ((lr = next_line(&L, &line, &len, e)) == 1) {
            if (blank(line)) continue;
            char *p = line, *tok;
            int32_t u = -1, it;
            int first = 1;
            while ((tok = next_tok(&p))) {
                int32_t v;
                if (parse_id(tok, &v)) {
                    rc = ar_fail(e, AR_EDATA, "%s:%ld: \"%.40s\" is not a non-negative integer id (expected 'user item item ...')", L.name, L.lineno, tok);
                    break;
                }
                if (first) {
                    u = v;
                    first = 0;
                    int was;
                    if ((rc = seen_test_set(&seen, u, &was, e))) break;
                    if (was) { rc = ar_fail(e, AR_EDATA, "%s:%ld: user %d has a second line", L.name, L.lineno, u); break; }
                    if (u + 1 > nu) nu = u + 1;
                    continue;
                }
                it = v;
                if (it + 1 > ni) ni = it + 1;
                if ((rc = pairs_push(&b[k], u, it, e))) break;
            }
            if (rc) break;
        }
        if (!rc && lr < 0) rc = -lr;
        free(text);
    }
    free(seen.m);
    if (!rc && b[0].n + b[1].n + b[2].n == 0) rc = ar_fail(e, AR_EDATA, "%s: no interactions in the three files", ar_display_name(files[0]));
    if (!rc) rc = finish_presplit(b, nu, ni, out, e);
    if (!rc) {
        out->user_ids = numeric_ids(nu, e);
        out->item_ids = numeric_ids(ni, e);
        if (!out->user_ids || !out->item_ids) rc = AR_EDATA;
    }
    for (int k = 0; k < 3; k++) free(b[k].p);
    if (rc) split_result_free(out);
    return rc;
}

static cJSON *parse_json_file(const char *path, split_input *info, ar_err *e)
{
    char *text;
    size_t n;
    if (read_input(path, &text, &n, info, e)) return NULL;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, n, &end, 0);
    if (!j) {
        const char *ep = cJSON_GetErrorPtr();
        long line = 1;
        if (ep && ep >= text && ep <= text + n)
            for (const char *c = text; c < ep; c++) line += *c == '\n';
        ar_fail(e, AR_EDATA, "%s:%ld: not valid JSON", ar_display_name(path), line);
    } else if (!cJSON_IsObject(j)) {
        ar_fail(e, AR_EDATA, "%s:1: expected a JSON object", ar_display_name(path));
        cJSON_Delete(j);
        j = NULL;
    } else {
        while (end && *end && isspace((unsigned char)*end)) end++;
        if (end && *end) {
            ar_fail(e, AR_EDATA, "%s: garbage after the JSON object", ar_display_name(path));
            cJSON_Delete(j);
            j = NULL;
        }
    }
    free(text);
    return j;
}

static int json_int(const cJSON *v, int32_t *out)
{
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!(d >= 0 && d < INT32_MAX) || d != floor(d)) return -1;
    *out = (int32_t)d;
    return 0;
}

/* Read an id map {raw: index}; fills *ids (n entries, index -> raw). */
static int read_map(const char *path, const char *what, char ***ids_out, int64_t *n_out, split_input *info, ar_err *e)
{
    const char *name = ar_display_name(path);
    cJSON *j = parse_json_file(path, info, e);
    if (!j) return e ? e->code : AR_EDATA;
    int64_t n = cJSON_GetArraySize(j);
    char **ids = ar_calloc((size_t)(n > 0 ? n : 1), sizeof *ids, e);
    int rc = ids ? AR_OK : AR_EDATA;
    for (cJSON *m = j->child; m && !rc; m = m->next) {
        int32_t v;
        char b[128];
        if (json_int(m, &v) || v >= n) {
            rc = ar_fail(e, AR_EDATA, "%s: \"%s\": value is not an integer index in 0..%lld", name,
                         ar_show(m->string, strlen(m->string), b, sizeof b), (long long)n - 1);
        } else if (!split_id_ok(m->string, strlen(m->string))) {
            rc = ar_fail(e, AR_EDATA, "%s: %s id \"%s\" contains whitespace or control characters, which %ss.txt cannot represent",
                         name, what, ar_show(m->string, strlen(m->string), b, sizeof b), what);
        } else if (ids[v]) {
            rc = ar_fail(e, AR_EDATA, "%s: index %d is given to both \"%.80s\" and \"%.80s\"", name, v, ids[v], m->string);
        } else if (!(ids[v] = ar_strdup(m->string, e))) {
            rc = AR_EDATA;
        }
    }
    cJSON_Delete(j);
    if (rc) {
        if (ids) for (int64_t k = 0; k < n; k++) free(ids[k]);
        free(ids);
        return rc;
    }
    *ids_out = ids;
    *n_out = n;
    return AR_OK;
}

int split_read_mmrec(const char *const files[3], const char *umap, const char *imap, split_result *out,
                     split_input info[5], ar_err *e)
{
    memset(out, 0, sizeof *out);
    if (info) memset(info, 0, 5 * sizeof *info);
    pairs_buf b[3];
    memset(b, 0, sizeof b);
    int64_t nu = 0, ni = 0, mu = -1, mi = -1;
    char **uids = NULL, **iids = NULL;
    int rc = AR_OK;
    seen_t seen = {0, NULL};
    for (int k = 0; k < 3 && !rc; k++) {
        const char *name = ar_display_name(files[k]);
        cJSON *j = parse_json_file(files[k], info ? &info[k] : NULL, e);
        if (!j) { rc = e ? e->code : AR_EDATA; break; }
        if (seen.m) memset(seen.m, 0, (size_t)seen.cap);
        for (cJSON *m = j->child; m && !rc; m = m->next) {
            int32_t u;
            if (parse_id(m->string, &u)) {
                rc = ar_fail(e, AR_EDATA, "%s: key \"%.40s\" is not a non-negative integer user id", name, m->string);
                break;
            }
            int was;
            if ((rc = seen_test_set(&seen, u, &was, e))) break;
            if (was) { rc = ar_fail(e, AR_EDATA, "%s: user \"%s\" appears twice", name, m->string); break; }
            if (!cJSON_IsArray(m)) { rc = ar_fail(e, AR_EDATA, "%s: user \"%s\": expected an array of item ids", name, m->string); break; }
            if (u + 1 > nu) nu = u + 1;
            int pos = 0;
            for (cJSON *x = m->child; x; x = x->next, pos++) {
                int32_t it;
                if (json_int(x, &it)) {
                    rc = ar_fail(e, AR_EDATA, "%s: user \"%s\": element %d is not a non-negative integer item id", name, m->string, pos);
                    break;
                }
                if (it + 1 > ni) ni = it + 1;
                if ((rc = pairs_push(&b[k], u, it, e))) break;
            }
        }
        cJSON_Delete(j);
    }
    free(seen.m);
    if (!rc && b[0].n + b[1].n + b[2].n == 0) rc = ar_fail(e, AR_EDATA, "%s: no interactions in the three files", ar_display_name(files[0]));
    if (!rc && umap) {
        rc = read_map(umap, "user", &uids, &mu, info ? &info[3] : NULL, e);
        if (!rc && nu > mu) rc = ar_fail(e, AR_EDATA, "%s: has %lld users, but the splits use user id %lld", ar_display_name(umap), (long long)mu, (long long)nu - 1);
        if (!rc) nu = mu;
    }
    if (!rc && imap) {
        rc = read_map(imap, "item", &iids, &mi, info ? &info[4] : NULL, e);
        if (!rc && ni > mi) rc = ar_fail(e, AR_EDATA, "%s: has %lld items, but the splits use item id %lld", ar_display_name(imap), (long long)mi, (long long)ni - 1);
        if (!rc) ni = mi;
    }
    if (!rc) rc = finish_presplit(b, nu, ni, out, e);
    if (!rc) {
        out->user_ids = uids ? uids : numeric_ids(nu, e);
        out->item_ids = iids ? iids : numeric_ids(ni, e);
        uids = iids = NULL;
        if (!out->user_ids || !out->item_ids) rc = AR_EDATA;
    }
    if (uids) { for (int64_t k = 0; k < mu; k++) free(uids[k]); free(uids); }
    if (iids) { for (int64_t k = 0; k < mi; k++) free(iids[k]); free(iids); }
    for (int k = 0; k < 3; k++) free(b[k].p);
    if (rc) split_result_free(out);
    return rc;
}

int split_presplit_files(const char *dir, split_format f, char *files[5], ar_err *e)
{
    memset(files, 0, 5 * sizeof *files);
    static const char *const lg[3] = {"train.txt", "valid.txt", "test.txt"};
    static const char *const mm[3] = {"train.json", "val.json", "test.json"};
    const char *const *names = f == SPLIT_FMT_MMREC ? mm : lg;
    const char *subs[2] = {f == SPLIT_FMT_MMREC ? "" : "cf_data/", f == SPLIT_FMT_MMREC ? "5-core/" : ""};
    for (int s = 0; s < 2; s++) {
        int found = 1;
        for (int k = 0; k < 3; k++) {
            char rel[64];
            snprintf(rel, sizeof rel, "%s%s", subs[s], names[k]);
            files[k] = path_join(dir, rel, e);
            if (!files[k]) goto oom;
            if (!is_file(files[k])) found = 0;
        }
        if (found) break;
        for (int k = 0; k < 3; k++) { free(files[k]); files[k] = NULL; }
    }
    if (!files[0])
        return ar_fail(e, AR_EIO, "'%s': no %s, %s and %s (directly%s)", dir, names[0], names[1], names[2],
                       f == SPLIT_FMT_MMREC ? " or in 5-core/" : " or in cf_data/");
    if (f == SPLIT_FMT_MMREC) {
        static const char *const maps[2] = {"user2id.json", "item2id.json"};
        for (int k = 0; k < 2; k++) {
            char *p = path_join(dir, maps[k], e);
            if (!p) goto oom;
            if (is_file(p)) files[3 + k] = p;
            else free(p);
        }
    }
    return AR_OK;
oom:
    for (int k = 0; k < 5; k++) { free(files[k]); files[k] = NULL; }
    return AR_EDATA;
}

/* ---------------------------------------------------------------- output */

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

char *split_meta_json(const split_result *s, const split_meta *m, ar_err *e)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) { ar_fail(e, AR_EDATA, "out of memory"); return NULL; }
    int presplit = m->params == NULL;
    cJSON_AddStringToObject(o, "tool", "ar-split");
    cJSON_AddStringToObject(o, "version", AR_VERSION);
    cJSON_AddStringToObject(o, "format", split_format_name(m->format));
    cJSON_AddBoolToObject(o, "presplit", presplit);
    cJSON_AddNumberToObject(o, "n_users", (double)s->n_users);
    cJSON_AddNumberToObject(o, "n_items", (double)s->n_items);
    cJSON_AddNumberToObject(o, "n_interactions", (double)(s->count[0] + s->count[1] + s->count[2]));
    cJSON *c = cJSON_AddObjectToObject(o, "counts");
    if (c) {
        cJSON_AddNumberToObject(c, "train", (double)s->count[0]);
        cJSON_AddNumberToObject(c, "valid", (double)s->count[1]);
        cJSON_AddNumberToObject(c, "test", (double)s->count[2]);
    }
    if (presplit) {
        cJSON_AddNullToObject(o, "mode");
        cJSON_AddNullToObject(o, "ratios");
    } else if (m->params->mode == SPLIT_LOU) {
        cJSON_AddStringToObject(o, "mode", split_mode_name(m->params->mode));
        cJSON_AddNullToObject(o, "ratios"); /* LOU ignores the ratios */
    } else {
        cJSON_AddStringToObject(o, "mode", split_mode_name(m->params->mode));
        cJSON *r = cJSON_AddArrayToObject(o, "ratios");
        for (int k = 0; r && k < 3; k++) cJSON_AddItemToArray(r, cJSON_CreateNumber((double)m->params->ratios[k]));
    }
    cJSON *f = cJSON_AddObjectToObject(o, "filters");
    if (f) {
        cJSON_AddNumberToObject(f, "min_rating", presplit ? 0 : m->params->min_rating);
        cJSON_AddNumberToObject(f, "kcore_user", presplit ? 0 : (double)m->params->kcore_user);
        cJSON_AddNumberToObject(f, "kcore_item", presplit ? 0 : (double)m->params->kcore_item);
    }
    cJSON *st = cJSON_AddObjectToObject(o, "filter_stats");
    if (st) {
        cJSON_AddNumberToObject(st, "rows_read", (double)s->n_raw);
        cJSON_AddNumberToObject(st, "after_min_rating", (double)s->n_after_rating);
        cJSON_AddNumberToObject(st, "after_kcore", (double)s->n_after_kcore);
        cJSON_AddNumberToObject(st, "kcore_rounds", s->kcore_rounds);
    }
    cJSON_AddBoolToObject(o, "has_duplicates", s->has_duplicates);
    cJSON *in = cJSON_AddArrayToObject(o, "inputs");
    for (int k = 0; in && k < m->n_inputs; k++) {
        if (!m->inputs[k].path) continue;
        cJSON *x = cJSON_CreateObject();
        if (!x) continue;
        cJSON_AddStringToObject(x, "file", base_name(m->inputs[k].path));
        cJSON_AddStringToObject(x, "path", m->inputs[k].path);
        cJSON_AddNumberToObject(x, "bytes", (double)m->inputs[k].bytes);
        cJSON_AddStringToObject(x, "sha256", m->inputs[k].sha256);
        cJSON_AddItemToArray(in, x);
    }
    char *txt = cJSON_Print(o);
    cJSON_Delete(o);
    if (!txt) { ar_fail(e, AR_EDATA, "out of memory printing dataset.json"); return NULL; }
    size_t n = strlen(txt);
    char *res = ar_malloc(n + 2, e);
    if (res) { memcpy(res, txt, n); res[n] = '\n'; res[n + 1] = 0; }
    cJSON_free(txt);
    return res;
}

/* Remove a flat directory: its regular files, then itself. */
static int remove_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char *p = path_join(dir, de->d_name, NULL);
        if (!p || unlink(p) != 0) rc = -1;
        free(p);
    }
    closedir(d);
    if (rmdir(dir) != 0) rc = -1;
    return rc;
}

/* 1 when dir has no entries, or has dataset.json; 0 otherwise */
static int replaceable(const char *dir)
{
    char *p = path_join(dir, "dataset.json", NULL);
    int ok = p && is_file(p);
    free(p);
    if (ok) return 1;
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *de;
    int empty = 1;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) { empty = 0; break; }
    closedir(d);
    return empty;
}

static int write_ids(const char *path, char *const *ids, int64_t n, ar_err *e)
{
    ar_out o;
    if (ar_out_open(&o, path, 0, e)) return e ? e->code : AR_EIO;
    for (int64_t k = 0; k < n; k++) {
        size_t l = strlen(ids[k]);
        if (ar_out_write(&o, ids[k], l, e) || ar_out_write(&o, "\n", 1, e)) { ar_out_abort(&o); return e ? e->code : AR_EIO; }
    }
    return ar_out_commit(&o, e);
}

int split_write_dir(const char *dir_in, int force, const split_result *s, const char *json, ar_err *e)
{
    size_t dl = strlen(dir_in);
    while (dl > 1 && dir_in[dl - 1] == '/') dl--;
    char *dir = ar_malloc(dl + 1, e);
    if (!dir) return AR_EDATA;
    memcpy(dir, dir_in, dl);
    dir[dl] = 0;
    int rc = AR_OK, exists = 0;
    char *tmp = NULL, *old = NULL, *parent = NULL, *p = NULL;
    struct stat st;
    if (lstat(dir, &st) == 0) {
        exists = 1;
        if (!S_ISDIR(st.st_mode)) { rc = ar_fail(e, AR_EUSAGE, "output '%s' exists and is not a directory", dir); goto out; }
        if (!force) { rc = ar_fail(e, AR_EUSAGE, "output directory '%s' exists (use --force to replace it)", dir); goto out; }
        if (!replaceable(dir)) {
            rc = ar_fail(e, AR_EUSAGE, "refusing to replace '%s': not a dataset directory (no dataset.json) and not empty", dir);
            goto out;
        }
    }
    parent = ar_strdup(dir, e);
    if (!parent) { rc = AR_EDATA; goto out; }
    char *sl = strrchr(parent, '/');
    if (sl && sl != parent) {
        *sl = 0;
        if ((rc = ar_mkdir_p(parent, e))) goto out;
    }
    size_t tl = dl + 40;
    tmp = ar_malloc(tl, e);
    old = ar_malloc(tl, e);
    if (!tmp || !old) { rc = AR_EDATA; goto out; }
    snprintf(tmp, tl, "%s.tmp.%ld", dir, (long)getpid());
    snprintf(old, tl, "%s.old.%ld", dir, (long)getpid());
    if (mkdir(tmp, 0777) != 0) { rc = ar_fail(e, AR_EIO, "cannot create '%s': %s", tmp, strerror(errno)); goto out_keep; }
    static const char *const np[3] = {"train.npy", "valid.npy", "test.npy"};
    for (int k = 0; k < 3 && !rc; k++) {
        if (!(p = path_join(tmp, np[k], e))) { rc = AR_EDATA; break; }
        rc = npy_write_i32(p, s->pairs[k], s->count[k], 2, e);
        free(p);
        p = NULL;
    }
    if (!rc && !(p = path_join(tmp, "users.txt", e))) rc = AR_EDATA;
    if (!rc) rc = write_ids(p, s->user_ids, s->n_users, e);
    free(p);
    p = NULL;
    if (!rc && !(p = path_join(tmp, "items.txt", e))) rc = AR_EDATA;
    if (!rc) rc = write_ids(p, s->item_ids, s->n_items, e);
    free(p);
    p = NULL;
    if (!rc && !(p = path_join(tmp, "dataset.json", e))) rc = AR_EDATA;
    if (!rc) rc = ar_write_file(p, json, strlen(json), 0, e);
    free(p);
    p = NULL;
    if (rc) goto out_rm;
    if (exists) {
        /* move the old directory aside, the new one in, then delete the old one */
        if (rename(dir, old) != 0) { rc = ar_fail(e, AR_EIO, "cannot move '%s' aside: %s", dir, strerror(errno)); goto out_rm; }
        if (rename(tmp, dir) != 0) {
            rc = ar_fail(e, AR_EIO, "cannot rename '%s' to '%s': %s", tmp, dir, strerror(errno));
            if (rename(old, dir) != 0) { /* keep old where it is; message already set */ }
            goto out_rm;
        }
        if (remove_flat_dir(old) != 0) ar_log("warning: could not remove the replaced directory '%s'", old);
    } else if (rename(tmp, dir) != 0) {
        rc = ar_fail(e, AR_EIO, "cannot rename '%s' to '%s': %s", tmp, dir, strerror(errno));
        goto out_rm;
    }
    goto out;
out_rm:
    remove_flat_dir(tmp);
out_keep:
out:
    free(dir);
    free(tmp);
    free(old);
    free(parent);
    return rc;
}
