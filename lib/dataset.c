/* dataset.c - load a dataset directory written by ar-split (see dataset.h):
 * the three int32 [n, 2] splits, the counts (dataset.json, else the id files,
 * else the largest ids), optional raw ids; every pair is range-checked. */
#include "dataset.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io.h"

static char *join(const char *dir, const char *name, ar_err *e)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = ar_malloc(n, e);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void ids_free(char **ids, int64_t n)
{
    if (!ids) return;
    for (int64_t k = 0; k < n; k++) free(ids[k]);
    free(ids);
}

int ids_read(const char *path, char ***ids_out, int64_t *n_out, ar_err *e)
{
    *ids_out = NULL;
    *n_out = 0;
    unsigned char *buf;
    size_t len;
    int rc = ar_read_all(path, &buf, &len, e);
    if (rc) return rc;
    const char *name = ar_display_name(path);
    int64_t n = 0;
    for (size_t k = 0; k < len; k++) n += buf[k] == '\n';
    if (len > 0 && buf[len - 1] != '\n') n++; /* last line without a newline */
    char **ids = ar_calloc((size_t)(n > 0 ? n : 1), sizeof *ids, e);
    if (!ids) { free(buf); return AR_EDATA; }
    char *p = (char *)buf, *end = (char *)buf + len;
    int64_t k = 0;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        size_t l = (size_t)(stop - p);
        if (l > 0 && p[l - 1] == '\r') l--;
        if (l == 0) { rc = ar_fail(e, AR_EDATA, "%s:%lld: empty id", name, (long long)k + 1); break; }
        if (memchr(p, 0, l)) { rc = ar_fail(e, AR_EDATA, "%s:%lld: NUL byte in id", name, (long long)k + 1); break; }
        ids[k] = ar_malloc(l + 1, e);
        if (!ids[k]) { rc = AR_EDATA; break; }
        memcpy(ids[k], p, l);
        ids[k][l] = 0;
        k++;
        p = nl ? nl + 1 : end;
    }
    free(buf);
    if (rc) { ids_free(ids, n); return rc; }
    *ids_out = ids;
    *n_out = k;
    return AR_OK;
}

void dataset_free(dataset *ds)
{
    ar_array_free(&ds->train);
    ar_array_free(&ds->valid);
    ar_array_free(&ds->test);
    ids_free(ds->user_ids, ds->n_users);
    ids_free(ds->item_ids, ds->n_items);
    memset(ds, 0, sizeof *ds);
}

/* Read one split as int32 [n, 2]; int64 input is range-checked and cast. */
static int load_split(const char *dir, const char *stem, ar_array *a, char **shown, ar_err *e)
{
    char name[64];
    snprintf(name, sizeof name, "%s.npy", stem);
    char *p = join(dir, name, e);
    if (!p) return AR_EDATA;
    if (!exists(p)) {
        char *g = join(dir, strcat(name, ".gz"), e);
        if (g && exists(g)) { free(p); p = g; }
        else free(g);
    }
    *shown = p;
    int rc = npy_read(p, a, e);
    if (rc) return rc;
    if (a->dtype != AR_I32 && a->dtype != AR_I64)
        return ar_fail(e, AR_EDATA, "%s: dtype %s, expected int32 (or int64) pairs", p, ar_dtype_name(a->dtype));
    if (a->ndim != 2 || a->shape[1] != 2) {
        char sh[128] = "";
        size_t o = 0;
        for (int k = 0; k < a->ndim && o < sizeof sh - 24; k++)
            o += (size_t)snprintf(sh + o, sizeof sh - o, "%s%lld", k ? ", " : "", (long long)a->shape[k]);
        return ar_fail(e, AR_EDATA, "%s: shape (%s), expected (n, 2) rows of (user, item)", p, sh);
    }
    if (a->dtype == AR_I64) {
        int64_t n = a->shape[0];
        const int64_t *s = a->data;
        int32_t *d = ar_malloc((size_t)(n > 0 ? n : 1) * 2 * sizeof *d, e);
        if (!d) return AR_EDATA;
        for (int64_t k = 0; k < 2 * n; k++) {
            if (s[k] < INT32_MIN || s[k] > INT32_MAX) {
                free(d);
                return ar_fail(e, AR_EDATA, "%s: row %lld: %s %lld does not fit int32", p, (long long)(k / 2),
                               k % 2 ? "item" : "user", (long long)s[k]);
            }
            d[k] = (int32_t)s[k];
        }
        free(a->data);
        a->data = d;
        a->dtype = AR_I32;
        a->itemsize = 4;
    }
    return AR_OK;
}

/* n_users, n_items, has_duplicates from dataset.json; missing keys stay -1. */
static int load_meta(const char *path, int64_t *nu, int64_t *ni, int *dup, ar_err *e)
{
    unsigned char *buf;
    size_t len;
    int rc = ar_read_all(path, &buf, &len, e);
    if (rc) return rc;
    cJSON *j = cJSON_ParseWithLength((const char *)buf, len);
    free(buf);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return ar_fail(e, AR_EDATA, "%s: not a JSON object", path);
    }
    static const char *const keys[2] = {"n_users", "n_items"};
    int64_t *dst[2] = {nu, ni};
    for (int k = 0; k < 2; k++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(j, keys[k]);
        if (!v) continue;
        double d = v->valuedouble;
        if (!cJSON_IsNumber(v) || d < 0 || d > INT32_MAX || d != floor(d)) {
            cJSON_Delete(j);
            return ar_fail(e, AR_EDATA, "%s: \"%s\" is not a count in 0..%d", path, keys[k], INT32_MAX);
        }
        *dst[k] = (int64_t)d;
    }
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "has_duplicates");
    if (v) {
        if (!cJSON_IsBool(v)) {
            cJSON_Delete(j);
            return ar_fail(e, AR_EDATA, "%s: \"has_duplicates\" is not true/false", path);
        }
        *dup = cJSON_IsTrue(v);
    }
    cJSON_Delete(j);
    return AR_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int dataset_load(const char *dir, dataset *ds, int with_ids, ar_err *e)
{
    memset(ds, 0, sizeof *ds);
    int rc = AR_OK;
    char *names[3] = {NULL, NULL, NULL};
    char *meta = NULL, *up = NULL, *ip = NULL;
    char **uids = NULL, **iids = NULL;
    int64_t nuid = -1, niid = -1;
    int64_t *keys = NULL;
    ar_array *arr[3] = {&ds->train, &ds->valid, &ds->test};
    static const char *const stems[3] = {"train", "valid", "test"};
    for (int k = 0; k < 3 && !rc; k++) rc = load_split(dir, stems[k], arr[k], &names[k], e);
    if (rc) goto out;

    int64_t nu = -1, ni = -1;
    int dup_meta = -1;
    if (!(meta = join(dir, "dataset.json", e))) { rc = AR_EDATA; goto out; }
    if (exists(meta) && (rc = load_meta(meta, &nu, &ni, &dup_meta, e))) goto out;
    if (!(up = join(dir, "users.txt", e)) || !(ip = join(dir, "items.txt", e))) { rc = AR_EDATA; goto out; }
    if (with_ids || nu < 0 || ni < 0) {
        if (exists(up) || with_ids) {
            if ((rc = ids_read(up, &uids, &nuid, e))) goto out;
        }
        if (exists(ip) || with_ids) {
            if ((rc = ids_read(ip, &iids, &niid, e))) goto out;
        }
    }
    if (nu >= 0 && nuid >= 0 && nu != nuid) {
        rc = ar_fail(e, AR_EDATA, "%s: %lld lines, but dataset.json says n_users = %lld", up, (long long)nuid, (long long)nu);
        goto out;
    }
    if (ni >= 0 && niid >= 0 && ni != niid) {
        rc = ar_fail(e, AR_EDATA, "%s: %lld lines, but dataset.json says n_items = %lld", ip, (long long)niid, (long long)ni);
        goto out;
    }
    if (nu < 0) nu = nuid;
    if (ni < 0) ni = niid;
    if (nu < 0 || ni < 0) { /* last resort: largest ids + 1 */
        int64_t mu = 0, mi = 0;
        for (int k = 0; k < 3; k++) {
            const int32_t *p = arr[k]->data;
            for (int64_t j = 0; j < arr[k]->shape[0]; j++) {
                if (p[2 * j] + (int64_t)1 > mu) mu = p[2 * j] + (int64_t)1;
                if (p[2 * j + 1] + (int64_t)1 > mi) mi = p[2 * j + 1] + (int64_t)1;
            }
        }
        if (nu < 0) nu = mu;
        if (ni < 0) ni = mi;
    }
    ds->n_users = nu;
    ds->n_items = ni;

    /* range checks; each split grouped by user */
    unsigned char *seen = ar_calloc((size_t)(nu > 0 ? nu : 1), 1, e);
    if (!seen) { rc = AR_EDATA; goto out; }
    for (int k = 0; k < 3 && !rc; k++) {
        const int32_t *p = arr[k]->data;
        memset(seen, 0, (size_t)(nu > 0 ? nu : 1));
        for (int64_t j = 0; j < arr[k]->shape[0]; j++) {
            int32_t u = p[2 * j], i = p[2 * j + 1];
            if (u < 0 || u >= nu) {
                rc = ar_fail(e, AR_EDATA, "%s: row %lld: user %d out of range [0, %lld)", names[k], (long long)j, u, (long long)nu);
                break;
            }
            if (i < 0 || i >= ni) {
                rc = ar_fail(e, AR_EDATA, "%s: row %lld: item %d out of range [0, %lld)", names[k], (long long)j, i, (long long)ni);
                break;
            }
            if (j > 0 && p[2 * j - 2] != u) {
                if (seen[u]) {
                    rc = ar_fail(e, AR_EDATA, "%s: row %lld: rows of user %d are not contiguous (rows must be grouped by user)",
                                 names[k], (long long)j, u);
                    break;
                }
            }
            seen[u] = 1;
        }
    }
    free(seen);
    if (rc) goto out;

    /* has_duplicates: a repeated (user, item) over the three splits */
    int64_t tot = ds->train.shape[0] + ds->valid.shape[0] + ds->test.shape[0], m = 0;
    keys = ar_malloc((size_t)(tot > 0 ? tot : 1) * sizeof *keys, e);
    if (!keys) { rc = AR_EDATA; goto out; }
    for (int k = 0; k < 3; k++) {
        const int32_t *p = arr[k]->data;
        for (int64_t j = 0; j < arr[k]->shape[0]; j++) keys[m++] = (int64_t)p[2 * j] * ni + p[2 * j + 1];
    }
    qsort(keys, (size_t)m, sizeof *keys, cmp_i64);
    int dup = 0;
    for (int64_t j = 1; j < m && !dup; j++) dup = keys[j] == keys[j - 1];
    if (dup_meta >= 0 && dup_meta != dup) {
        rc = ar_fail(e, AR_EDATA, "%s: has_duplicates is %s, but the splits %s a repeated (user, item) pair", meta,
                     dup_meta ? "true" : "false", dup ? "have" : "have no");
        goto out;
    }
    ds->has_duplicates = dup;
    if (with_ids) {
        ds->user_ids = uids;
        ds->item_ids = iids;
        uids = iids = NULL;
    }
out:
    ids_free(uids, nuid);
    ids_free(iids, niid);
    free(keys);
    free(meta);
    free(up);
    free(ip);
    for (int k = 0; k < 3; k++) free(names[k]);
    if (rc) {
        ar_array_free(&ds->train);
        ar_array_free(&ds->valid);
        ar_array_free(&ds->test);
        memset(ds, 0, sizeof *ds);
    }
    return rc;
}
