/* embed.c - item embeddings from many file formats, aligned to items.txt.
 *
 * Sections: formats and detection; the sink (id -> item row, checks, coverage);
 * row-ordered readers (npy, npz, safetensors); keyed readers (JSON Lines, word2vec
 * text and binary, TSV, RecBole); missing rows, normalisation, import; sidecar.
 */
#include "embed.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"
#include "io.h"
#include "npy.h"

/* ------------------------------------------------------------------ formats */

static const char *const FORMAT_NAMES[] = {"auto", "npy", "npz", "safetensors", "jsonl",
                                           "w2v", "w2v-bin", "tsv", "recbole"};

int emb_format_parse(const char *s)
{
    for (int i = 1; i < (int)(sizeof FORMAT_NAMES / sizeof *FORMAT_NAMES); i++)
        if (strcmp(s, FORMAT_NAMES[i]) == 0) return i;
    if (strcmp(s, "json") == 0 || strcmp(s, "ndjson") == 0) return EMB_JSONL;
    if (strcmp(s, "vec") == 0 || strcmp(s, "glove") == 0 || strcmp(s, "fasttext") == 0) return EMB_W2V;
    if (strcmp(s, "bin") == 0) return EMB_W2V_BIN;
    return -1;
}

const char *emb_format_name(emb_format f)
{
    return (unsigned)f < sizeof FORMAT_NAMES / sizeof *FORMAT_NAMES ? FORMAT_NAMES[f] : "?";
}

const char *emb_format_list(void) { return "npy|npz|safetensors|jsonl|w2v|w2v-bin|tsv|recbole"; }

static int is_int_token(const char *s, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* Is line exactly two non-negative integers "V D"? */
static int two_ints(const char *p, long long *v, long long *d)
{
    p += strspn(p, " \t");
    size_t a = strcspn(p, " \t");
    if (!is_int_token(p, a) || a > 15) return 0;
    const char *q = p + a;
    q += strspn(q, " \t");
    size_t b = strcspn(q, " \t");
    if (!is_int_token(q, b) || b > 15 || q[b + strspn(q + b, " \t")] != 0) return 0;
    *v = strtoll(p, NULL, 10);
    *d = strtoll(q, NULL, 10);
    return 1;
}

/* Guess a text format from its first line: RecBole header, "V D" header, TAB, else GloVe-like. */
static emb_format sniff_text(const char *line)
{
    if (strstr(line, ":float_seq")) return EMB_RECBOLE;
    long long v, d;
    while (*line == ' ') line++;
    if (*line == '{' || *line == '[') return EMB_JSONL;
    if (two_ints(line, &v, &d)) return EMB_W2V;
    if (strchr(line, '\t')) return EMB_TSV;
    return EMB_W2V;
}

int emb_format_detect(const char *path, emb_format *f, ar_err *e)
{
    char base[1024];
    snprintf(base, sizeof base, "%s", path);
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".gz") == 0) base[n - 3] = 0;
    static const struct { const char *ext; emb_format f; } map[] = {
        {".npy", EMB_NPY}, {".npz", EMB_NPZ}, {".safetensors", EMB_SAFETENSORS},
        {".jsonl", EMB_JSONL}, {".ndjson", EMB_JSONL}, {".json", EMB_JSONL},
        {".vec", EMB_W2V}, {".w2v", EMB_W2V}, {".bin", EMB_W2V_BIN}, {".tsv", EMB_TSV},
        {".itememb", EMB_RECBOLE}, {".item", EMB_RECBOLE}, {".ent", EMB_RECBOLE}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (ar_has_suffix(base, map[i].ext)) { *f = map[i].f; return AR_OK; }
    if (ar_has_suffix(base, ".txt")) {
        ar_lines *r;
        int rc = ar_lines_open(&r, path, e);
        if (rc) return rc;
        char *line;
        size_t len;
        int got = ar_lines_next(r, &line, &len, e);
        if (got < 0) { ar_lines_close(r); return -got; }
        *f = got ? sniff_text(line) : EMB_W2V;
        ar_lines_close(r);
        ar_log("%s: read as --format %s (judged from its first line; pass --format to override)", path,
               emb_format_name(*f));
        return AR_OK;
    }
    return ar_fail(e, AR_EUSAGE, "cannot tell the format of '%s' from its name; pass --format %s", path,
                   emb_format_list());
}

/* ------------------------------------------------------------------ the sink */

enum { LOC_LINE, LOC_ROW, LOC_WORD, LOC_ELEM };

typedef struct sink {
    const char *src;       /* display name of the source */
    const char *items_name;
    char **items;
    int64_t n_items;
    int64_t *slots;        /* open addressing: item index + 1, 0 = empty */
    size_t mask;
    int64_t d;
    float *out;            /* (n_items, d) */
    int64_t *where;        /* per item: source position that filled it, -1 = none */
    int loc_kind;
    int dim_from_header;   /* d was set by a word2vec header, not by the first vector */
    int64_t rows, found, unknown;
    char first_src_id[64];
} sink;

static const char *const LOC_WORDS[] = {"line", "row", "word", "element"};

/* "file:LINE", "file: row R" (0-based), "file: word W", "file: element E" */
static void loc_fmt(const sink *s, int64_t pos, char *buf, size_t n)
{
    if (s->loc_kind == LOC_LINE) snprintf(buf, n, "%s:%lld", s->src, (long long)pos);
    else snprintf(buf, n, "%s: %s %lld", s->src, LOC_WORDS[s->loc_kind], (long long)pos);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int64_t sink_lookup(const sink *s, const char *id)
{
    for (size_t i = hash_str(id) & s->mask;; i = (i + 1) & s->mask) {
        int64_t v = s->slots[i];
        if (!v) return -1;
        if (strcmp(s->items[v - 1], id) == 0) return v - 1;
    }
}

static int sink_init(sink *s, char **items, int64_t n_items, const char *items_name, const char *src, ar_err *e)
{
    memset(s, 0, sizeof *s);
    s->src = src;
    s->items_name = items_name;
    s->items = items;
    s->n_items = n_items;
    if (n_items <= 0) return ar_fail(e, AR_EDATA, "%s: no item ids", items_name);
    size_t cap = 16;
    while (cap < (size_t)n_items * 2) cap *= 2;
    s->slots = ar_calloc(cap, sizeof *s->slots, e);
    if (!s->slots) return AR_EDATA;
    s->mask = cap - 1;
    for (int64_t k = 0; k < n_items; k++) {
        size_t i = hash_str(items[k]) & s->mask;
        for (; s->slots[i]; i = (i + 1) & s->mask) {
            if (strcmp(items[s->slots[i] - 1], items[k]) == 0)
                return ar_fail(e, AR_EDATA, "%s:%lld: duplicate item id '%s' (also on line %lld)", items_name,
                               (long long)k + 1, items[k], (long long)s->slots[i]);
        }
        s->slots[i] = k + 1;
    }
    return AR_OK;
}

static void sink_free(sink *s)
{
    free(s->slots);
    free(s->out);
    free(s->where);
    s->slots = NULL;
    s->out = NULL;
    s->where = NULL;
}

static int sink_set_dim(sink *s, int64_t d, int64_t pos, ar_err *e)
{
    char at[600];
    if (s->d) {
        if (d == s->d) return AR_OK;
        loc_fmt(s, pos, at, sizeof at);
        return ar_fail(e, AR_EDATA, "%s: %lld values, expected %lld (%s)", at, (long long)d, (long long)s->d,
                       s->dim_from_header ? "the header's dimension" : "the dimension of the first vector");
    }
    if (d <= 0 || d > (1 << 24)) {
        loc_fmt(s, pos, at, sizeof at);
        return ar_fail(e, AR_EDATA, "%s: vector has %lld values (need 1 to %d)", at, (long long)d, 1 << 24);
    }
    if ((uint64_t)s->n_items > SIZE_MAX / sizeof(float) / (uint64_t)d)
        return ar_fail(e, AR_EDATA, "%s: %lld x %lld matrix is too large", s->src, (long long)s->n_items, (long long)d);
    s->d = d;
    s->out = ar_calloc((size_t)s->n_items * (size_t)d, sizeof(float), e);
    s->where = ar_malloc((size_t)s->n_items * sizeof *s->where, e);
    if (!s->out || !s->where) return AR_EDATA;
    for (int64_t k = 0; k < s->n_items; k++) s->where[k] = -1;
    return AR_OK;
}

/* One source vector v (d floats) with raw id at source position pos. */
static int sink_row(sink *s, const char *id, const float *v, int64_t d, int64_t pos, ar_err *e)
{
    int rc = sink_set_dim(s, d, pos, e);
    if (rc) return rc;
    char at[600];
    for (int64_t j = 0; j < d; j++) {
        if (!isfinite(v[j])) {
            loc_fmt(s, pos, at, sizeof at);
            return ar_fail(e, AR_EDATA, "%s: value %lld of '%s' is %s", at, (long long)j + 1, id,
                           isnan(v[j]) ? "NaN" : "infinite (or beyond float32 range)");
        }
    }
    if (s->rows++ == 0) snprintf(s->first_src_id, sizeof s->first_src_id, "%s", id);
    int64_t k = sink_lookup(s, id);
    if (k < 0) { s->unknown++; return AR_OK; }
    if (s->where[k] >= 0) {
        loc_fmt(s, pos, at, sizeof at);
        return ar_fail(e, AR_EDATA, "%s: duplicate id '%s' (first on %s %lld)", at, id, LOC_WORDS[s->loc_kind],
                       (long long)s->where[k]);
    }
    s->where[k] = pos;
    memcpy(s->out + (size_t)k * (size_t)d, v, (size_t)d * sizeof(float));
    s->found++;
    return AR_OK;
}

/* ------------------------------------------------------------------ numbers */

typedef struct fvec {
    float *v;
    int64_t n, cap;
} fvec;

static int fvec_push(fvec *f, float x, ar_err *e)
{
    if (f->n == f->cap) {
        int64_t nc = f->cap ? f->cap * 2 : 256;
        float *nv = ar_realloc(f->v, (size_t)nc * sizeof(float), e);
        if (!nv) return AR_EDATA;
        f->v = nv;
        f->cap = nc;
    }
    f->v[f->n++] = x;
    return AR_OK;
}

/* Parse numbers separated by spaces/tabs from p (NUL-terminated) into f (appended). */
static int parse_floats(char *p, fvec *f, const char *at, ar_err *e)
{
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) return AR_OK;
        char *end;
        errno = 0;
        float x = strtof(p, &end);
        size_t tok = strcspn(p, " \t");
        if (end == p || (*end && *end != ' ' && *end != '\t'))
            return ar_fail(e, AR_EDATA, "%s: value %lld '%.*s' is not a number", at, (long long)f->n + 1,
                           (int)(tok > 40 ? 40 : tok), p);
        if (!isfinite(x))
            return ar_fail(e, AR_EDATA, "%s: value %lld '%.*s' is %s", at, (long long)f->n + 1,
                           (int)(tok > 40 ? 40 : tok), p, isnan(x) ? "NaN" : "infinite (or beyond float32 range)");
        if (fvec_push(f, x, e)) return AR_EDATA;
        p = end;
    }
}

/* ------------------------------------------------------------------ row-ordered sources */

static int feed_matrix(sink *s, const float *X, int64_t n, int64_t d, char **row_ids, int64_t n_ids,
                       const char *ids_name, ar_err *e)
{
    /* X is (n, d) */
    s->loc_kind = LOC_ROW;
    if (row_ids) {
        if (n_ids != n)
            return ar_fail(e, AR_EDATA, "%s has %lld ids but %s has %lld rows", ids_name, (long long)n_ids, s->src,
                           (long long)n);
    } else if (n != s->n_items) {
        return ar_fail(e, AR_EDATA,
                       "%s has %lld rows but %s has %lld items; pass --ids FILE naming the id of each row",
                       s->src, (long long)n, s->items_name, (long long)s->n_items);
    }
    if (n == 0) return ar_fail(e, AR_EDATA, "%s: no rows", s->src);
    for (int64_t r = 0; r < n; r++) {
        if (row_ids && s->d) { /* name the ids file, not the matrix, for a repeated id */
            int64_t k = sink_lookup(s, row_ids[r]);
            if (k >= 0 && s->where[k] >= 0)
                return ar_fail(e, AR_EDATA, "%s:%lld: duplicate id '%s' (also on line %lld)", ids_name,
                               (long long)r + 1, row_ids[r], (long long)s->where[k] + 1);
        }
        int rc = sink_row(s, row_ids ? row_ids[r] : s->items[r], X + (size_t)r * (size_t)d, d, r, e);
        if (rc) return rc;
    }
    return AR_OK;
}

static int array_to_f32(ar_array *a, const char *what, emb_result *r, ar_err *e)
{
    if (a->ndim != 2) {
        char shp[128] = "";
        size_t k = 0;
        for (int i = 0; i < a->ndim && k < sizeof shp - 24; i++)
            k += (size_t)snprintf(shp + k, sizeof shp - k, "%s%lld", i ? ", " : "", (long long)a->shape[i]);
        return ar_fail(e, AR_EDATA, "%s has shape (%s), expected 2-D (rows, dim)", what, shp);
    }
    if (a->dtype != AR_F32 && a->dtype != AR_F64 && a->dtype != AR_F16)
        return ar_fail(e, AR_EDATA, "%s has dtype %s, expected float16, float32 or float64", what,
                       ar_dtype_name(a->dtype));
    snprintf(r->source_dtype, sizeof r->source_dtype, "%s", ar_dtype_name(a->dtype));
    if (a->dtype != AR_F32) return ar_array_cast(a, AR_F32, what, e);
    return AR_OK;
}

static int read_npy(const char *path, ar_array *a, emb_result *r, ar_err *e)
{
    unsigned char *buf;
    size_t len;
    int rc = ar_read_all(path, &buf, &len, e);
    if (rc) return rc;
    rc = npy_parse(buf, len, path, a, e);
    free(buf);
    if (rc) return rc;
    return array_to_f32(a, path, r, e);
}

static int read_npz(const char *path, const emb_opts *o, ar_array *out, emb_result *r, ar_err *e)
{
    npz_file z;
    memset(&z, 0, sizeof z);
    int rc = npz_read(path, &z, e);
    if (rc) return rc;
    ar_array *a = NULL;
    if (o->name) {
        a = npz_get(&z, o->name);
        if (!a) rc = ar_fail(e, AR_EDATA, "%s: no array '%s'", path, o->name);
    } else if (z.n == 1) {
        a = &z.arrays[0];
    } else {
        rc = ar_fail(e, AR_EDATA, "%s holds %d arrays; pick one with --name:", path, z.n);
    }
    if (!a && !o->name && z.n != 1) {
        size_t k = strlen(e->msg);
        for (int i = 0; i < z.n && k < sizeof e->msg - 8; i++)
            k += (size_t)snprintf(e->msg + k, sizeof e->msg - k, " %s", z.names[i]);
        if (z.n == 0) snprintf(e->msg + k, sizeof e->msg - k, " (none)");
    }
    if (a) {
        int idx = (int)(a - z.arrays);
        snprintf(r->array_name, sizeof r->array_name, "%s", z.names[idx]);
        *out = *a;
        memset(a, 0, sizeof *a); /* take ownership */
        char what[1400];
        snprintf(what, sizeof what, "%s: array '%s'", path, r->array_name);
        rc = array_to_f32(out, what, r, e);
    }
    npz_free(&z);
    return rc;
}

float emb_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, ex = (h >> 10) & 31, man = h & 1023, bits;
    if (ex == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: value = man * 2^-24 */
            float f = ldexpf((float)man, -24);
            return sign ? -f : f;
        }
    } else if (ex == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((ex + 112) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

float emb_bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static int st_itemsize(const char *dt)
{
    static const struct { const char *n; int s; } t[] = {
        {"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2},
        {"F16", 2}, {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4}, {"F64", 8}, {"I64", 8}, {"U64", 8}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (strcmp(dt, t[i].n) == 0) return t[i].s;
    return 0;
}

typedef struct st_tensor {
    const char *name, *dtype;
    int ndim;
    int64_t shape[AR_MAXDIM];
    uint64_t begin, end;
} st_tensor;

static int st_cmp(const void *a, const void *b)
{
    const st_tensor *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

static int get_u64(const cJSON *j, uint64_t *v)
{
    if (!cJSON_IsNumber(j)) return 0;
    double d = j->valuedouble;
    if (!(d >= 0 && d <= 9007199254740992.0) || d != floor(d)) return 0;
    *v = (uint64_t)d;
    return 1;
}

/* safetensors: u64 LE header length N, N bytes of JSON, then the byte buffer. */
static int read_safetensors(const char *path, const emb_opts *o, float **X, int64_t *n, int64_t *d,
                            emb_result *r, ar_err *e)
{
    unsigned char *buf;
    size_t len;
    int rc = ar_read_all(path, &buf, &len, e);
    if (rc) return rc;
    cJSON *root = NULL;
    st_tensor *ts = NULL;
    if (len < 8) { rc = ar_fail(e, AR_EDATA, "%s: too short for safetensors (%zu bytes)", path, len); goto done; }
    uint64_t hn = 0;
    for (int i = 7; i >= 0; i--) hn = hn << 8 | buf[i];
    if (hn > 100000000u || hn + 8 > len) {
        rc = ar_fail(e, AR_EDATA, "%s: safetensors header length %llu does not fit the file (%zu bytes)", path,
                     (unsigned long long)hn, len);
        goto done;
    }
    root = cJSON_ParseWithLength((const char *)buf + 8, (size_t)hn);
    if (!root || !cJSON_IsObject(root)) {
        rc = ar_fail(e, AR_EDATA, "%s: safetensors header is not a JSON object", path);
        goto done;
    }
    uint64_t datalen = len - 8 - hn;
    const unsigned char *data = buf + 8 + hn;
    int nt = cJSON_GetArraySize(root);
    ts = ar_calloc((size_t)nt + 1, sizeof *ts, e);
    if (!ts) { rc = AR_EDATA; goto done; }
    int k = 0;
    for (cJSON *t = root->child; t; t = t->next) {
        if (strcmp(t->string, "__metadata__") == 0) continue;
        st_tensor *x = &ts[k];
        x->name = t->string;
        cJSON *dt = cJSON_GetObjectItemCaseSensitive(t, "dtype");
        cJSON *sh = cJSON_GetObjectItemCaseSensitive(t, "shape");
        cJSON *of = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
        if (!cJSON_IsObject(t) || !cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(of) ||
            cJSON_GetArraySize(of) != 2) {
            rc = ar_fail(e, AR_EDATA, "%s: tensor '%s' needs \"dtype\", \"shape\" and \"data_offsets\" [begin, end]",
                         path, t->string);
            goto done;
        }
        x->dtype = dt->valuestring;
        int isz = st_itemsize(x->dtype);
        if (!isz) { rc = ar_fail(e, AR_EDATA, "%s: tensor '%s' has unknown dtype '%s'", path, x->name, x->dtype); goto done; }
        x->ndim = cJSON_GetArraySize(sh);
        if (x->ndim > AR_MAXDIM) { rc = ar_fail(e, AR_EDATA, "%s: tensor '%s' has %d dimensions", path, x->name, x->ndim); goto done; }
        uint64_t numel = 1;
        int i = 0;
        for (cJSON *s = sh->child; s; s = s->next, i++) {
            uint64_t v;
            if (!get_u64(s, &v) || v > (1ull << 40)) {
                rc = ar_fail(e, AR_EDATA, "%s: tensor '%s' has a bad shape entry", path, x->name);
                goto done;
            }
            x->shape[i] = (int64_t)v;
            numel *= v;
            if (numel > (1ull << 50)) { rc = ar_fail(e, AR_EDATA, "%s: tensor '%s' is too large", path, x->name); goto done; }
        }
        if (!get_u64(cJSON_GetArrayItem(of, 0), &x->begin) || !get_u64(cJSON_GetArrayItem(of, 1), &x->end) ||
            x->end < x->begin || x->end > datalen) {
            rc = ar_fail(e, AR_EDATA, "%s: tensor '%s' has data_offsets outside the data (%llu bytes)", path, x->name,
                         (unsigned long long)datalen);
            goto done;
        }
        if (x->end - x->begin != numel * (uint64_t)isz) {
            rc = ar_fail(e, AR_EDATA, "%s: tensor '%s' has %llu data bytes, its shape and dtype need %llu", path,
                         x->name, (unsigned long long)(x->end - x->begin), (unsigned long long)(numel * (uint64_t)isz));
            goto done;
        }
        k++;
    }
    if (k == 0) { rc = ar_fail(e, AR_EDATA, "%s: no tensors", path); goto done; }
    /* the tensors must tile the data buffer exactly, in some order */
    st_tensor *sorted = ar_malloc((size_t)k * sizeof *sorted, e);
    if (!sorted) { rc = AR_EDATA; goto done; }
    memcpy(sorted, ts, (size_t)k * sizeof *sorted);
    qsort(sorted, (size_t)k, sizeof *sorted, st_cmp);
    uint64_t at = 0;
    for (int i = 0; i < k && !rc; i++) {
        if (sorted[i].begin != at)
            rc = ar_fail(e, AR_EDATA, "%s: tensor '%s' starts at byte %llu, expected %llu (offsets must be contiguous)",
                         path, sorted[i].name, (unsigned long long)sorted[i].begin, (unsigned long long)at);
        at = sorted[i].end;
    }
    free(sorted);
    if (!rc && at != datalen)
        rc = ar_fail(e, AR_EDATA, "%s: tensors cover %llu of the %llu data bytes", path, (unsigned long long)at,
                     (unsigned long long)datalen);
    if (rc) goto done;
    st_tensor *x = NULL;
    if (o->name) {
        for (int i = 0; i < k; i++)
            if (strcmp(ts[i].name, o->name) == 0) x = &ts[i];
        if (!x) { rc = ar_fail(e, AR_EDATA, "%s: no tensor '%s'", path, o->name); goto done; }
    } else if (k == 1) {
        x = &ts[0];
    } else {
        rc = ar_fail(e, AR_EDATA, "%s holds %d tensors; pick one with --name:", path, k);
        size_t m = strlen(e->msg);
        for (int i = 0; i < k && m < sizeof e->msg - 8; i++)
            m += (size_t)snprintf(e->msg + m, sizeof e->msg - m, " %s", ts[i].name);
        goto done;
    }
    snprintf(r->array_name, sizeof r->array_name, "%s", x->name);
    int isz = st_itemsize(x->dtype);
    int kind = strcmp(x->dtype, "F32") == 0 ? 0 : strcmp(x->dtype, "F64") == 0 ? 1
             : strcmp(x->dtype, "F16") == 0 ? 2 : strcmp(x->dtype, "BF16") == 0 ? 3 : -1;
    if (kind < 0) {
        rc = ar_fail(e, AR_EDATA, "%s: tensor '%s' has dtype %s, expected F16, BF16, F32 or F64", path, x->name, x->dtype);
        goto done;
    }
    if (x->ndim != 2) {
        rc = ar_fail(e, AR_EDATA, "%s: tensor '%s' has %d dimensions, expected 2 (rows, dim)", path, x->name, x->ndim);
        goto done;
    }
    static const char *const dnames[] = {"float32", "float64", "float16", "bfloat16"};
    snprintf(r->source_dtype, sizeof r->source_dtype, "%s", dnames[kind]);
    size_t numel = (size_t)x->shape[0] * (size_t)x->shape[1];
    float *out = ar_malloc(numel * sizeof(float), e);
    if (!out) { rc = AR_EDATA; goto done; }
    const unsigned char *p = data + x->begin;
    for (size_t i = 0; i < numel; i++, p += isz) { /* little-endian on disk */
        if (kind == 0) {
            uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            memcpy(&out[i], &u, 4);
        } else if (kind == 1) {
            uint64_t u = 0;
            for (int b = 7; b >= 0; b--) u = u << 8 | p[b];
            double v;
            memcpy(&v, &u, 8);
            out[i] = (float)v;
        } else {
            uint16_t u = (uint16_t)(p[0] | p[1] << 8);
            out[i] = kind == 2 ? emb_half_to_float(u) : emb_bf16_to_float(u);
        }
    }
    *X = out;
    *n = x->shape[0];
    *d = x->shape[1];
done:
    cJSON_Delete(root);
    free(ts);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ keyed text sources */

/* Format a JSON id (string or integral number) into buf; 0 if it is neither. */
static int json_id(const cJSON *j, char *buf, size_t n)
{
    if (cJSON_IsString(j)) { snprintf(buf, n, "%s", j->valuestring); return 1; }
    if (cJSON_IsNumber(j)) {
        double v = j->valuedouble;
        if (v != floor(v) || fabs(v) > 9007199254740992.0) return 0;
        snprintf(buf, n, "%.0f", v);
        return 1;
    }
    return 0;
}

/* vec must be an array of numbers; feed it to the sink as the vector of id. */
static int json_vector(sink *s, const cJSON *vec, const char *vecf, const char *id, int64_t pos, const char *at,
                       fvec *f, ar_err *e)
{
    if (!cJSON_IsArray(vec)) return ar_fail(e, AR_EDATA, "%s: \"%s\" is not an array of numbers", at, vecf);
    f->n = 0;
    for (const cJSON *x = vec->child; x; x = x->next) {
        if (!cJSON_IsNumber(x))
            return ar_fail(e, AR_EDATA, "%s: \"%s\" value %lld is not a number", at, vecf, (long long)f->n + 1);
        if (fvec_push(f, (float)x->valuedouble, e)) return AR_EDATA;
    }
    return sink_row(s, id, f->v, f->n, pos, e);
}

static int json_record(sink *s, const cJSON *obj, const char *idf, const char *vecf, int64_t pos, fvec *f,
                       char *idbuf, size_t idn, ar_err *e)
{
    char at[600];
    loc_fmt(s, pos, at, sizeof at);
    if (!cJSON_IsObject(obj)) return ar_fail(e, AR_EDATA, "%s: expected a JSON object", at);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, idf);
    const cJSON *vec = cJSON_GetObjectItemCaseSensitive(obj, vecf);
    if (!id) return ar_fail(e, AR_EDATA, "%s: field \"%s\" missing (choose the id field with --id-field)", at, idf);
    if (!vec) return ar_fail(e, AR_EDATA, "%s: field \"%s\" missing (choose the vector field with --vec-field)", at, vecf);
    if (!json_id(id, idbuf, idn)) return ar_fail(e, AR_EDATA, "%s: field \"%s\" is not a string or an integer", at, idf);
    return json_vector(s, vec, vecf, idbuf, pos, at, f, e);
}

static int read_jsonl(sink *s, const char *path, const emb_opts *o, ar_err *e)
{
    const char *idf = o->id_field ? o->id_field : "id", *vecf = o->vec_field ? o->vec_field : "embedding";
    ar_lines *lr;
    int rc = ar_lines_open(&lr, path, e);
    if (rc) return rc;
    fvec f = {0};
    char idbuf[4096];
    char *line;
    size_t len;
    int got;
    s->loc_kind = LOC_LINE;
    int first = 1;
    while ((got = ar_lines_next(lr, &line, &len, e)) == 1) {
        size_t sp = strspn(line, " \t");
        if (line[sp] == 0) continue;
        int mapping = 0; /* {"id": [vector], ...} as one object (possibly over many lines) */
        if (first && line[sp] == '{') {
            cJSON *o1 = cJSON_ParseWithLength(line, len);
            mapping = !o1 || (!cJSON_GetObjectItemCaseSensitive(o1, idf) && o1->child != NULL);
            for (const cJSON *c = o1 ? o1->child : NULL; c && mapping; c = c->next) mapping = cJSON_IsArray(c);
            cJSON_Delete(o1);
        }
        if (first && (line[sp] == '[' || mapping)) { /* one JSON value for the whole file, not JSON Lines */
            ar_lines_close(lr);
            lr = NULL;
            unsigned char *buf;
            size_t blen;
            if ((rc = ar_read_all(path, &buf, &blen, e))) break;
            cJSON *root = cJSON_ParseWithLength((const char *)buf, blen);
            free(buf);
            if (!root || (mapping ? !cJSON_IsObject(root) : !cJSON_IsArray(root))) {
                cJSON_Delete(root);
                rc = mapping ? ar_fail(e, AR_EDATA, "%s:1: invalid JSON (neither JSON Lines nor one object {\"id\": [vector], ...})", path)
                             : ar_fail(e, AR_EDATA, "%s: not a valid JSON array", path);
                break;
            }
            s->loc_kind = LOC_ELEM;
            int64_t i = 0;
            for (cJSON *x = root->child; x && !rc; x = x->next, i++) {
                if (!mapping) {
                    rc = json_record(s, x, idf, vecf, i, &f, idbuf, sizeof idbuf, e);
                } else {
                    char at[600];
                    loc_fmt(s, i, at, sizeof at);
                    rc = json_vector(s, x, x->string, x->string, i, at, &f, e);
                }
            }
            cJSON_Delete(root);
            break;
        }
        first = 0;
        long ln = ar_lines_lineno(lr);
        cJSON *obj = cJSON_ParseWithLength(line, len);
        if (!obj) { rc = ar_fail(e, AR_EDATA, "%s:%ld: invalid JSON", path, ln); break; }
        rc = json_record(s, obj, idf, vecf, ln, &f, idbuf, sizeof idbuf, e);
        cJSON_Delete(obj);
        if (rc) break;
    }
    if (got < 0 && !rc) rc = -got;
    if (lr) ar_lines_close(lr);
    free(f.v);
    return rc;
}

/* word2vec / fastText .vec / GloVe text: optional "V D" header, then "word v1 ... vD". */
static int read_w2v_text(sink *s, const char *path, ar_err *e)
{
    ar_lines *lr;
    int rc = ar_lines_open(&lr, path, e);
    if (rc) return rc;
    s->loc_kind = LOC_LINE;
    fvec f = {0};
    char *line;
    size_t len;
    int got;
    int64_t hv = -1, nvec = 0;
    char at[1200];
    while ((got = ar_lines_next(lr, &line, &len, e)) == 1) {
        long ln = ar_lines_lineno(lr);
        snprintf(at, sizeof at, "%s:%ld", path, ln);
        char *p = line + strspn(line, " \t");
        if (!*p) continue;
        long long hv1, hd1;
        if (ln == 1 && two_ints(p, &hv1, &hd1)) { /* "count dim" header */
            if (hd1 <= 0 || hd1 > (1 << 24)) {
                rc = ar_fail(e, AR_EDATA, "%s: bad header '%.60s' (expected 'count dim')", at, line);
                break;
            }
            hv = hv1;
            if ((rc = sink_set_dim(s, hd1, ln, e))) break;
            s->dim_from_header = 1;
            continue;
        }
        char *word = p;
        size_t wl = strcspn(p, " \t");
        if (!word[wl]) { rc = ar_fail(e, AR_EDATA, "%s: word '%.40s' has no values", at, word); break; }
        word[wl] = 0;
        f.n = 0;
        if ((rc = parse_floats(word + wl + 1, &f, at, e))) break;
        nvec++;
        if ((rc = sink_row(s, word, f.v, f.n, ln, e))) break;
    }
    if (got < 0 && !rc) rc = -got;
    if (!rc && hv >= 0 && nvec != hv)
        rc = ar_fail(e, AR_EDATA, "%s: header says %lld vectors but the file has %lld (truncated?)", path,
                     (long long)hv, (long long)nvec);
    ar_lines_close(lr);
    free(f.v);
    return rc;
}

/* word2vec binary: "V D\n", then per word: token up to ' ', D little-endian float32, optional '\n'. */
static int read_w2v_bin(sink *s, const char *path, ar_err *e)
{
    unsigned char *buf;
    size_t len;
    int rc = ar_read_all(path, &buf, &len, e);
    if (rc) return rc;
    s->loc_kind = LOC_WORD;
    size_t nl = 0;
    while (nl < len && nl < 256 && buf[nl] != '\n') nl++;
    long long v = -1, d = -1;
    char hdr[260];
    memcpy(hdr, buf, nl < len ? nl : 0);
    hdr[nl < len ? nl : 0] = 0;
    char *end;
    errno = 0;
    if (nl < len && nl < 256) {
        v = strtoll(hdr, &end, 10);
        d = strtoll(end, &end, 10);
        end += strspn(end, " \t\r");
        if (errno || *end) v = -1;
    }
    if (v < 0 || d <= 0 || d > (1 << 24)) {
        free(buf);
        return ar_fail(e, AR_EDATA, "%s:1: word2vec binary header must be 'count dim' (text files need --format w2v)", path);
    }
    float *vec = ar_malloc((size_t)d * sizeof(float), e);
    char *word = ar_malloc(len + 1, e);
    if (!vec || !word) { free(vec); free(word); free(buf); return AR_EDATA; }
    size_t p = nl + 1;
    for (long long w = 0; w < v && !rc; w++) {
        while (p < len && (buf[p] == '\n' || buf[p] == '\r')) p++;
        size_t b = p;
        while (p < len && buf[p] != ' ') p++;
        if (p >= len) {
            rc = ar_fail(e, AR_EDATA, "%s: word %lld: file ends early (header says %lld words)", path, w, v);
            break;
        }
        memcpy(word, buf + b, p - b);
        word[p - b] = 0;
        p++;
        if (len - p < (size_t)d * 4) {
            rc = ar_fail(e, AR_EDATA, "%s: word %lld '%.40s': file ends inside its vector", path, w, word);
            break;
        }
        for (long long j = 0; j < d; j++, p += 4) {
            uint32_t u = (uint32_t)buf[p] | (uint32_t)buf[p + 1] << 8 | (uint32_t)buf[p + 2] << 16 | (uint32_t)buf[p + 3] << 24;
            memcpy(&vec[j], &u, 4);
        }
        rc = sink_row(s, word, vec, d, w, e);
    }
    if (!rc) {
        while (p < len && (buf[p] == '\n' || buf[p] == '\r' || buf[p] == ' ')) p++;
        if (p < len)
            rc = ar_fail(e, AR_EDATA, "%s: %zu bytes after the %lld words the header announces", path, len - p, v);
    }
    free(vec);
    free(word);
    free(buf);
    return rc;
}

/* TSV: "id<TAB>v1 v2 ..." (values separated by spaces or tabs); an optional header line. */
static int read_tsv(sink *s, const char *path, ar_err *e)
{
    ar_lines *lr;
    int rc = ar_lines_open(&lr, path, e);
    if (rc) return rc;
    s->loc_kind = LOC_LINE;
    fvec f = {0};
    char *line;
    size_t len;
    int got, seen = 0;
    char at[1200];
    while ((got = ar_lines_next(lr, &line, &len, e)) == 1) {
        long ln = ar_lines_lineno(lr);
        snprintf(at, sizeof at, "%s:%ld", path, ln);
        if (line[strspn(line, " \t")] == 0) continue;
        char *tab = strchr(line, '\t');
        if (!tab) {
            rc = ar_fail(e, AR_EDATA, "%s: no TAB after the id (for 'word v1 v2 ...' lines use --format w2v)", at);
            break;
        }
        *tab = 0;
        char *vals = tab + 1;
        if (!seen++) { /* a header? its first value is not a number */
            char *q = vals + strspn(vals, " \t"), *end;
            strtof(q, &end);
            if (end == q) {
                ar_log("%s: skipping header line '%.60s'", at, line);
                continue;
            }
        }
        f.n = 0;
        if ((rc = parse_floats(vals, &f, at, e))) break;
        if ((rc = sink_row(s, line, f.v, f.n, ln, e))) break;
    }
    if (got < 0 && !rc) rc = -got;
    ar_lines_close(lr);
    free(f.v);
    return rc;
}

/* Return the n-th TAB-separated field of line (NUL-terminating it in place), or NULL. */
static char *tsv_field(char *line, int n)
{
    char *p = line;
    for (int i = 0; i < n; i++) {
        p = strchr(p, '\t');
        if (!p) return NULL;
        p++;
    }
    char *t = strchr(p, '\t');
    if (t) *t = 0;
    return p;
}

/* RecBole atomic file: header "name:type<TAB>..."; the id is the first :token column
 * (or --id-field), the vector the first :float_seq column (or --vec-field). */
static int read_recbole(sink *s, const char *path, const emb_opts *o, ar_err *e)
{
    ar_lines *lr;
    int rc = ar_lines_open(&lr, path, e);
    if (rc) return rc;
    s->loc_kind = LOC_LINE;
    fvec f = {0};
    char *line;
    size_t len;
    int got, idc = -1, vc = -1, ncol = 0;
    char at[1200];
    while ((got = ar_lines_next(lr, &line, &len, e)) == 1) {
        long ln = ar_lines_lineno(lr);
        snprintf(at, sizeof at, "%s:%ld", path, ln);
        if (ln == 1) {
            char *p = line;
            for (int c = 0; p; c++) {
                char *t = strchr(p, '\t');
                if (t) *t = 0;
                char *colon = strrchr(p, ':');
                if (colon) {
                    *colon = 0;
                    const char *type = colon + 1;
                    if (idc < 0 && strcmp(type, "token") == 0 && (!o->id_field || strcmp(p, o->id_field) == 0)) idc = c;
                    if (vc < 0 && strcmp(type, "float_seq") == 0 && (!o->vec_field || strcmp(p, o->vec_field) == 0)) vc = c;
                }
                ncol = c + 1;
                p = t ? t + 1 : NULL;
            }
            if (idc < 0 || vc < 0) {
                rc = ar_fail(e, AR_EDATA, "%s: RecBole header needs a %s%s:token and a %s%s:float_seq column "
                             "(e.g. 'item_id:token<TAB>item_emb:float_seq')", at,
                             o->id_field ? o->id_field : "", o->id_field ? "" : "<name>",
                             o->vec_field ? o->vec_field : "", o->vec_field ? "" : "<name>");
                break;
            }
            continue;
        }
        if (line[strspn(line, " \t")] == 0) continue;
        int nf = 1;
        for (char *q = line; (q = strchr(q, '\t')); q++) nf++;
        if (nf != ncol) {
            rc = ar_fail(e, AR_EDATA, "%s: %d fields, the header has %d", at, nf, ncol);
            break;
        }
        char *copy = line; /* fields are cut in place: take the later column first */
        char *id, *vals;
        if (idc < vc) {
            vals = tsv_field(copy, vc);
            id = tsv_field(copy, idc);
        } else {
            id = tsv_field(copy, idc);
            vals = tsv_field(copy, vc);
        }
        f.n = 0;
        if ((rc = parse_floats(vals, &f, at, e))) break;
        if ((rc = sink_row(s, id, f.v, f.n, ln, e))) break;
    }
    if (got < 0 && !rc) rc = -got;
    if (!rc && idc < 0) rc = ar_fail(e, AR_EDATA, "%s: empty file (expected a RecBole header line)", path);
    ar_lines_close(lr);
    free(f.v);
    return rc;
}

/* ------------------------------------------------------------------ kernels */

void emb_l2_normalize_ref(float *X, int64_t n, int64_t d)
{
    /* X is (n, d) */
    for (int64_t i = 0; i < n; i++) {
        double ss = 0;
        for (int64_t j = 0; j < d; j++) ss += (double)X[i * d + j] * X[i * d + j];
        if (ss == 0) continue;
        double inv = 1.0 / sqrt(ss);
        for (int64_t j = 0; j < d; j++) X[i * d + j] = (float)(X[i * d + j] * inv);
    }
}

void emb_l2_normalize(float *X, int64_t n, int64_t d)
{
    /* X is (n, d); rows in parallel, each accumulated in double like the reference */
#pragma omp parallel for schedule(static) if (n * d > (1 << 16))
    for (int64_t i = 0; i < n; i++) {
        float *x = X + (size_t)i * (size_t)d;
        double ss = 0;
        for (int64_t j = 0; j < d; j++) ss += (double)x[j] * x[j];
        if (ss == 0) continue;
        double inv = 1.0 / sqrt(ss);
        for (int64_t j = 0; j < d; j++) x[j] = (float)(x[j] * inv);
    }
}

/* ------------------------------------------------------------------ import */

static int hash_file(const char *path, char out[65], int64_t *bytes, ar_err *e)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return ar_fail(e, AR_EIO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return ar_fail(e, AR_EIO, "cannot stat '%s': %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) { /* a pipe (<(zcat ...)) can be read only once: no checksum */
        close(fd);
        out[0] = 0;
        *bytes = -1;
        ar_log("%s is not a regular file: no sha256 recorded", path);
        return AR_OK;
    }
    *bytes = (int64_t)st.st_size;
    if (st.st_size == 0) {
        close(fd);
        ar_sha256_hex((const unsigned char *)"", 0, out);
        return AR_OK;
    }
    /* mapped, not copied: the kernel pages the file in as the hash reads it */
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return ar_fail(e, AR_EIO, "cannot map '%s': %s", path, strerror(errno));
    madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    ar_sha256_hex(m, (size_t)st.st_size, out);
    munmap(m, (size_t)st.st_size);
    return AR_OK;
}

void emb_result_free(emb_result *r)
{
    free(r->emb);
    r->emb = NULL;
}

int emb_import_ids(char **items, int64_t n_items, const char *items_name, const char *src, const emb_opts *o,
                   emb_result *r, ar_err *e)
{
    memset(r, 0, sizeof *r);
    snprintf(r->source_dtype, sizeof r->source_dtype, "text");
    if (strcmp(src, "-") == 0)
        return ar_fail(e, AR_EUSAGE, "reading embeddings from stdin is not supported; give a file name");
    emb_format fmt = o->format;
    int rc = AR_OK;
    if (fmt == EMB_AUTO && (rc = emb_format_detect(src, &fmt, e))) return rc;
    r->format = fmt;
    if ((rc = hash_file(src, r->sha256, &r->source_bytes, e))) return rc;
    if ((o->id_field || o->vec_field) && fmt != EMB_JSONL && fmt != EMB_RECBOLE)
        return ar_fail(e, AR_EUSAGE, "--id-field/--vec-field apply to jsonl and recbole input, not %s", emb_format_name(fmt));
    int row_ordered = fmt == EMB_NPY || fmt == EMB_NPZ || fmt == EMB_SAFETENSORS;
    if (o->ids_path && !row_ordered)
        return ar_fail(e, AR_EUSAGE, "--ids applies to npy, npz and safetensors input; %s files carry their ids",
                       emb_format_name(fmt));
    if (o->name && fmt != EMB_NPZ && fmt != EMB_SAFETENSORS)
        return ar_fail(e, AR_EUSAGE, "--name applies to npz and safetensors input, not %s", emb_format_name(fmt));

    sink s;
    if ((rc = sink_init(&s, items, n_items, items_name, src, e))) { sink_free(&s); return rc; }
    if (row_ordered) {
        ar_array a;
        memset(&a, 0, sizeof a);
        float *X = NULL;
        int64_t n = 0, d = 0;
        if (fmt == EMB_NPY) rc = read_npy(src, &a, r, e);
        else if (fmt == EMB_NPZ) rc = read_npz(src, o, &a, r, e);
        else rc = read_safetensors(src, o, &X, &n, &d, r, e);
        if (!rc && fmt != EMB_SAFETENSORS) {
            X = a.data;
            n = a.shape[0];
            d = a.shape[1];
        }
        char **ids = NULL;
        int64_t nids = 0;
        if (!rc && o->ids_path) rc = ids_read(o->ids_path, &ids, &nids, e);
        if (!rc) {
            r->by_order = !o->ids_path;
            rc = feed_matrix(&s, X, n, d, ids, nids, o->ids_path, e);
        }
        if (ids) ids_free(ids, nids);
        if (fmt == EMB_SAFETENSORS) free(X);
        ar_array_free(&a);
    } else if (fmt == EMB_JSONL) {
        rc = read_jsonl(&s, src, o, e);
    } else if (fmt == EMB_W2V) {
        rc = read_w2v_text(&s, src, e);
    } else if (fmt == EMB_W2V_BIN) {
        rc = read_w2v_bin(&s, src, e);
    } else if (fmt == EMB_TSV) {
        rc = read_tsv(&s, src, e);
    } else if (fmt == EMB_RECBOLE) {
        rc = read_recbole(&s, src, o, e);
    } else {
        rc = ar_fail(e, AR_EUSAGE, "unknown format");
    }
    if (!rc && s.rows == 0) rc = ar_fail(e, AR_EDATA, "%s: no vectors", src);
    if (!rc && s.found == 0)
        rc = ar_fail(e, AR_EDATA, "none of the %lld ids in %s is an item of %s (source ids look like '%s', items like '%s')",
                     (long long)s.rows, src, items_name, s.first_src_id, items[0]);
    int64_t miss = s.n_items - s.found;
    if (!rc && miss > 0 && o->missing == EMB_MISSING_ERROR) {
        rc = ar_fail(e, AR_EDATA, "%s: no vector for %lld of %lld items of %s (first:", src, (long long)miss,
                     (long long)s.n_items, items_name);
        size_t m = strlen(e->msg);
        int shown = 0;
        for (int64_t k = 0; k < s.n_items && shown < 5; k++)
            if (s.where[k] < 0) {
                m += (size_t)snprintf(e->msg + m, sizeof e->msg - m, "%s '%.60s'", shown ? "," : "", items[k]);
                shown++;
                if (m >= sizeof e->msg - 100) break;
            }
        snprintf(e->msg + m, sizeof e->msg - m, "%s); pass --missing zero or --missing mean to fill them",
                 miss > shown ? ", ..." : "");
    }
    if (rc) { sink_free(&s); return rc; }
    int64_t d = s.d;
    if (miss > 0 && o->missing == EMB_MISSING_MEAN) {
        double *mean = ar_calloc((size_t)d, sizeof *mean, e);
        if (!mean) { sink_free(&s); return AR_EDATA; }
        for (int64_t k = 0; k < s.n_items; k++)
            if (s.where[k] >= 0)
                for (int64_t j = 0; j < d; j++) mean[j] += s.out[(size_t)k * (size_t)d + (size_t)j];
        for (int64_t k = 0; k < s.n_items; k++)
            if (s.where[k] < 0)
                for (int64_t j = 0; j < d; j++) s.out[(size_t)k * (size_t)d + (size_t)j] = (float)(mean[j] / (double)s.found);
        free(mean);
    }
    if (o->normalize) emb_l2_normalize(s.out, s.n_items, d);
    r->n_items = s.n_items;
    r->dim = d;
    r->emb = s.out;
    s.out = NULL;
    r->source_rows = s.rows;
    r->found = s.found;
    r->unknown = s.unknown;
    r->filled = miss;
    sink_free(&s);
    return AR_OK;
}

int emb_import(const char *items_path, const char *src, const emb_opts *o, emb_result *r, ar_err *e)
{
    char **items = NULL;
    int64_t n = 0;
    memset(r, 0, sizeof *r);
    int rc = ids_read(items_path, &items, &n, e);
    if (rc) return rc;
    rc = emb_import_ids(items, n, items_path, src, o, r, e);
    ids_free(items, n);
    return rc;
}

/* ------------------------------------------------------------------ sidecar */

int emb_write_sidecar(const char *path, const char *src, const char *items_path, const char *output,
                      const emb_opts *o, const emb_result *r, ar_err *e)
{
    static const char *const miss[] = {"error", "zero", "mean"};
    cJSON *j = cJSON_CreateObject();
    if (!j) return ar_fail(e, AR_EDATA, "out of memory");
    cJSON_AddStringToObject(j, "tool", "ar-embed-import");
    cJSON_AddStringToObject(j, "version", AR_VERSION);
    cJSON_AddStringToObject(j, "source", src);
    cJSON_AddStringToObject(j, "format", emb_format_name(r->format));
    if (r->sha256[0]) {
        cJSON_AddStringToObject(j, "source_sha256", r->sha256);
        cJSON_AddNumberToObject(j, "source_bytes", (double)r->source_bytes);
    } else {
        cJSON_AddNullToObject(j, "source_sha256");
        cJSON_AddNullToObject(j, "source_bytes");
    }
    cJSON_AddStringToObject(j, "source_dtype", r->source_dtype);
    if (r->array_name[0]) cJSON_AddStringToObject(j, "array", r->array_name);
    cJSON_AddStringToObject(j, "aligned_by", o->ids_path ? "ids file" : r->by_order ? "row order" : "id");
    if (o->ids_path) cJSON_AddStringToObject(j, "ids", o->ids_path);
    cJSON_AddStringToObject(j, "items", items_path);
    cJSON_AddStringToObject(j, "output", output);
    cJSON_AddStringToObject(j, "dtype", "float32");
    cJSON *shape = cJSON_AddArrayToObject(j, "shape");
    cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)r->n_items));
    cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)r->dim));
    cJSON_AddNumberToObject(j, "dim", (double)r->dim);
    cJSON_AddNumberToObject(j, "n_items", (double)r->n_items);
    cJSON_AddNumberToObject(j, "source_vectors", (double)r->source_rows);
    cJSON_AddNumberToObject(j, "found", (double)r->found);
    cJSON_AddNumberToObject(j, "unknown_ids_ignored", (double)r->unknown);
    cJSON_AddNumberToObject(j, "missing_filled", (double)r->filled);
    cJSON_AddStringToObject(j, "missing", miss[o->missing]);
    cJSON_AddBoolToObject(j, "normalize", o->normalize != 0);
    char *txt = cJSON_Print(j);
    cJSON_Delete(j);
    if (!txt) return ar_fail(e, AR_EDATA, "out of memory");
    size_t n = strlen(txt);
    char *full = ar_malloc(n + 2, e);
    if (!full) { free(txt); return AR_EDATA; }
    memcpy(full, txt, n);
    full[n] = '\n';
    free(txt);
    int rc = ar_write_file(path, full, n + 1, 0, e);
    free(full);
    return rc;
}
