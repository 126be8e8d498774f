/* config.c - ar-train configs: JSON files, --set overrides, defaults, checks. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "metrics.h"
#include "projector.h"

const char *const config_keys[CK_COUNT] = {
    "model", "embedding_dim", "num_layers", "epochs", "batch_size", "optimizer", "lr",
    "weight_decay", "wd_mode", "tau", "num_negs", "projector", "hidden", "init_std",
    "eval_freq", "monitors", "which4best", "score", "text", "seed",
};

static const char *const model_names[3] = {"lightgcn", "lightgcn-infonce", "alpharec"};

/* Largest K a monitor may ask for. */
#define MON_KMAX 100000

const char *config_model_name(int model)
{
    return model >= 0 && model < 3 ? model_names[model] : "?";
}

void config_init(train_config *c)
{
    memset(c, 0, sizeof *c);
    c->model = -1;
    c->embedding_dim = 64;
    c->num_layers = 3;
    c->epochs = 500;
    c->batch_size = 2048;
    c->lr = 1e-3;
    c->weight_decay = 0.0;
    c->wd_mode = WD_ADAM;
    c->tau = 0.15;
    c->num_negs = 256;
    c->projector = PROJ_MLP;
    c->hidden = 0;
    c->init_std = 1e-4;
    c->eval_freq = 5;
    static const int defm[4] = {M_RECALL, M_RECALL, M_NDCG, M_NDCG};
    static const int defk[4] = {10, 20, 10, 20};
    c->n_monitors = 4;
    for (int i = 0; i < 4; i++) {
        c->mon_metric[i] = defm[i];
        c->mon_k[i] = defk[i];
    }
    c->best = 3;
    snprintf(c->best_name, sizeof c->best_name, "ndcg@20");
    c->cosine = 0;
    c->text[0] = 0;
    c->seed = 1;
}

void config_monitor_name(const train_config *c, int i, char *buf, size_t n)
{
    snprintf(buf, n, "%s@%d", metric_names[c->mon_metric[i]], c->mon_k[i]);
}

/* Short description of a JSON value for messages. */
static void describe(const cJSON *v, char *buf, size_t n)
{
    char *s = cJSON_PrintUnformatted(v);
    if (!s) {
        snprintf(buf, n, "?");
        return;
    }
    if (strlen(s) > 60) snprintf(buf, n, "%.57s...", s);
    else snprintf(buf, n, "%s", s);
    cJSON_free(s);
}

static int bad(ar_err *e, const char *src, const char *key, const cJSON *v, const char *what)
{
    char got[80];
    describe(v, got, sizeof got);
    return ar_fail(e, AR_EUSAGE, "%s: key \"%s\": expected %s, got %s", src, key, what, got);
}

static int get_int(const cJSON *v, const char *src, const char *key, long long lo, long long hi, long long *out,
                   ar_err *e)
{
    char what[128];
    snprintf(what, sizeof what, "an integer in [%lld, %lld]", lo, hi);
    if (!cJSON_IsNumber(v)) return bad(e, src, key, v, what);
    double x = v->valuedouble;
    if (!isfinite(x) || x != floor(x) || x < (double)lo || x > (double)hi) return bad(e, src, key, v, what);
    *out = (long long)x;
    return AR_OK;
}

/* A finite number; lo_open: x > lo, else x >= lo; hi inclusive. */
static int get_num(const cJSON *v, const char *src, const char *key, double lo, int lo_open, double hi, double *out,
                   ar_err *e)
{
    char what[128];
    snprintf(what, sizeof what, "a number %s %g and <= %g", lo_open ? ">" : ">=", lo, hi);
    if (!cJSON_IsNumber(v)) return bad(e, src, key, v, what);
    double x = v->valuedouble;
    if (!isfinite(x) || (lo_open ? x <= lo : x < lo) || x > hi) return bad(e, src, key, v, what);
    *out = x;
    return AR_OK;
}

/* One of n strings; returns its index in *out. */
static int get_choice(const cJSON *v, const char *src, const char *key, const char *const *choices, int n, int *out,
                      ar_err *e)
{
    char what[160];
    size_t off = (size_t)snprintf(what, sizeof what, "one of");
    for (int i = 0; i < n && off < sizeof what; i++)
        off += (size_t)snprintf(what + off, sizeof what - off, "%s \"%s\"", i ? "," : "", choices[i]);
    if (!cJSON_IsString(v)) return bad(e, src, key, v, what);
    for (int i = 0; i < n; i++)
        if (strcmp(v->valuestring, choices[i]) == 0) {
            *out = i;
            return AR_OK;
        }
    return bad(e, src, key, v, what);
}

/* "recall@20" -> metric, k; returns 0 on success. */
static int parse_monitor(const char *s, int *metric, int *k)
{
    const char *at = strchr(s, '@');
    if (!at) return -1;
    size_t nl = (size_t)(at - s);
    int m = -1;
    for (int i = 0; i < M_COUNT; i++)
        if (strlen(metric_names[i]) == nl && strncmp(s, metric_names[i], nl) == 0) m = i;
    if (m < 0) return -1;
    const char *p = at + 1;
    if (*p < '0' || *p > '9') return -1;
    char *end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (*end || errno || v < 1 || v > MON_KMAX) return -1;
    *metric = m;
    *k = (int)v;
    return 0;
}

static const char MON_WHAT[] =
    "a name like \"recall@20\" (recall, ndcg, hit, precision or mrr; K in [1, 100000])";

static int apply_key(train_config *c, const char *key, const cJSON *v, const char *src, ar_err *e)
{
    int ck = -1;
    for (int i = 0; i < CK_COUNT; i++)
        if (strcmp(key, config_keys[i]) == 0) ck = i;
    if (ck < 0) {
        char list[512];
        size_t off = 0;
        for (int i = 0; i < CK_COUNT && off < sizeof list; i++)
            off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", i ? " " : "", config_keys[i]);
        return ar_fail(e, AR_EUSAGE, "%s: unknown key \"%s\" (known keys: %s)", src, key, list);
    }
    long long iv = 0;
    double dv = 0;
    int ch = 0, rc = AR_OK;
    switch (ck) {
    case CK_MODEL:
        if (!cJSON_IsString(v))
            return bad(e, src, key, v, "a string: \"lightgcn\", \"lightgcn-infonce\" or \"alpharec\"");
        for (int i = 0; i < 3; i++)
            if (strcmp(v->valuestring, model_names[i]) == 0) ch = i + 1;
        if (!ch)
            return ar_fail(e, AR_EUSAGE,
                           "%s: key \"model\": unknown model \"%.60s\" (expected \"lightgcn\", \"lightgcn-infonce\" "
                           "or \"alpharec\")",
                           src, v->valuestring);
        c->model = ch - 1;
        break;
    case CK_EMBEDDING_DIM:
        if ((rc = get_int(v, src, key, 1, 4096, &iv, e))) return rc;
        c->embedding_dim = (int)iv;
        break;
    case CK_NUM_LAYERS:
        if ((rc = get_int(v, src, key, 0, 32, &iv, e))) return rc;
        c->num_layers = (int)iv;
        break;
    case CK_EPOCHS:
        if ((rc = get_int(v, src, key, 0, 10000000, &iv, e))) return rc;
        c->epochs = (int)iv;
        break;
    case CK_BATCH_SIZE:
        if ((rc = get_int(v, src, key, 1, 1 << 24, &iv, e))) return rc;
        c->batch_size = (int)iv;
        break;
    case CK_OPTIMIZER: {
        static const char *const opts[] = {"adam"};
        if ((rc = get_choice(v, src, key, opts, 1, &ch, e))) return rc;
        break;
    }
    case CK_LR:
        if ((rc = get_num(v, src, key, 0, 1, 10, &dv, e))) return rc;
        c->lr = dv;
        break;
    case CK_WEIGHT_DECAY:
        if ((rc = get_num(v, src, key, 0, 0, 1e3, &dv, e))) return rc;
        c->weight_decay = dv;
        break;
    case CK_WD_MODE: {
        static const char *const opts[] = {"adam", "l2"};
        if ((rc = get_choice(v, src, key, opts, 2, &ch, e))) return rc;
        c->wd_mode = ch == 0 ? WD_ADAM : WD_L2;
        break;
    }
    case CK_TAU:
        if ((rc = get_num(v, src, key, 0, 1, 1e3, &dv, e))) return rc;
        c->tau = dv;
        break;
    case CK_NUM_NEGS:
        if ((rc = get_int(v, src, key, 1, 100000, &iv, e))) return rc;
        c->num_negs = (int)iv;
        break;
    case CK_PROJECTOR: {
        static const char *const opts[] = {"mlp", "linear"};
        if ((rc = get_choice(v, src, key, opts, 2, &ch, e))) return rc;
        c->projector = ch == 0 ? PROJ_MLP : PROJ_LINEAR;
        break;
    }
    case CK_HIDDEN:
        if ((rc = get_int(v, src, key, 0, 1 << 20, &iv, e))) return rc;
        c->hidden = (int)iv;
        break;
    case CK_INIT_STD:
        if ((rc = get_num(v, src, key, 0, 1, 1e3, &dv, e))) return rc;
        c->init_std = dv;
        break;
    case CK_EVAL_FREQ:
        if ((rc = get_int(v, src, key, 1, 10000000, &iv, e))) return rc;
        c->eval_freq = (int)iv;
        break;
    case CK_MONITORS: {
        if (!cJSON_IsArray(v)) return bad(e, src, key, v, "a non-empty array of metric names like \"recall@20\"");
        int n = cJSON_GetArraySize(v);
        if (n < 1 || n > CONFIG_MAX_MONITORS) {
            char what[96];
            snprintf(what, sizeof what, "an array of 1 to %d metric names", CONFIG_MAX_MONITORS);
            return bad(e, src, key, v, what);
        }
        int mm[CONFIG_MAX_MONITORS], mk[CONFIG_MAX_MONITORS];
        int i = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, v)
        {
            if (!cJSON_IsString(it) || parse_monitor(it->valuestring, &mm[i], &mk[i]))
                return bad(e, src, key, it, MON_WHAT);
            for (int j = 0; j < i; j++)
                if (mm[j] == mm[i] && mk[j] == mk[i])
                    return ar_fail(e, AR_EUSAGE, "%s: key \"monitors\": \"%s\" given twice", src, it->valuestring);
            i++;
        }
        /* the distinct Ks must fit metrics_acc */
        int ks[CONFIG_MAX_MONITORS], nk = 0;
        for (int a = 0; a < n; a++) {
            int seen = 0;
            for (int b = 0; b < nk; b++) seen |= ks[b] == mk[a];
            if (!seen) ks[nk++] = mk[a];
        }
        if (nk > METRICS_MAXK) return ar_fail(e, AR_EUSAGE, "%s: key \"monitors\": too many distinct K", src);
        c->n_monitors = n;
        memcpy(c->mon_metric, mm, sizeof(int) * (size_t)n);
        memcpy(c->mon_k, mk, sizeof(int) * (size_t)n);
        break;
    }
    case CK_WHICH4BEST: {
        int m, k;
        if (!cJSON_IsString(v) || parse_monitor(v->valuestring, &m, &k)) return bad(e, src, key, v, MON_WHAT);
        snprintf(c->best_name, sizeof c->best_name, "%s@%d", metric_names[m], k);
        break;
    }
    case CK_SCORE: {
        static const char *const opts[] = {"dot", "cosine"};
        if ((rc = get_choice(v, src, key, opts, 2, &ch, e))) return rc;
        c->cosine = ch;
        break;
    }
    case CK_TEXT:
        if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) >= sizeof c->text)
            return bad(e, src, key, v, "a non-empty path string");
        snprintf(c->text, sizeof c->text, "%s", v->valuestring);
        break;
    case CK_SEED:
        /* exactly representable in a JSON number (double) */
        if ((rc = get_int(v, src, key, 0, 9007199254740992LL, &iv, e))) return rc;
        c->seed = (uint64_t)iv;
        break;
    }
    c->set |= 1u << ck;
    return AR_OK;
}

int config_apply_json(train_config *c, const cJSON *obj, const char *src, ar_err *e)
{
    if (!cJSON_IsObject(obj)) return ar_fail(e, AR_EUSAGE, "%s: expected a JSON object", src);
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        for (const cJSON *p = obj->child; p != it; p = p->next)
            if (strcmp(p->string, it->string) == 0)
                return ar_fail(e, AR_EUSAGE, "%s: key \"%s\" given twice", src, it->string);
        int rc = apply_key(c, it->string, it, src, e);
        if (rc) return rc;
    }
    return AR_OK;
}

int config_apply_text(train_config *c, const char *text, size_t len, const char *src, ar_err *e)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!j) {
        long line = 1;
        const char *p = end && end >= text && end <= text + len ? end : text + len;
        for (const char *q = text; q < p; q++) line += *q == '\n';
        return ar_fail(e, AR_EUSAGE, "%s:%ld: invalid JSON", src, line);
    }
    /* only whitespace may follow the object */
    for (const char *q = end; q && q < text + len; q++)
        if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r') {
            cJSON_Delete(j);
            return ar_fail(e, AR_EUSAGE, "%s: trailing characters after the JSON object", src);
        }
    int rc = config_apply_json(c, j, src, e);
    cJSON_Delete(j);
    return rc;
}

int config_load(train_config *c, const char *path, ar_err *e)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = ar_read_all(path, &buf, &len, e);
    if (rc) return rc;
    rc = config_apply_text(c, (const char *)buf, len, ar_display_name(path), e);
    free(buf);
    return rc;
}

int config_set(train_config *c, const char *kv, ar_err *e)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) return ar_fail(e, AR_EUSAGE, "--set '%s': expected key=value", kv);
    char key[64];
    size_t kl = (size_t)(eq - kv);
    if (kl >= sizeof key) return ar_fail(e, AR_EUSAGE, "--set '%.80s': key too long", kv);
    memcpy(key, kv, kl);
    key[kl] = 0;
    const char *val = eq + 1;
    char src[160];
    snprintf(src, sizeof src, "--set %.140s", kv);
    cJSON *v = cJSON_Parse(val);
    if (!v) v = cJSON_CreateString(val);
    if (!v) return ar_fail(e, AR_EDATA, "out of memory");
    int rc = apply_key(c, key, v, src, e);
    cJSON_Delete(v);
    return rc;
}

int config_finish(train_config *c, const char *src, ar_err *e)
{
    if (c->model < 0) return ar_fail(e, AR_EUSAGE, "%s: key \"model\" missing (\"lightgcn\", \"lightgcn-infonce\" or \"alpharec\")", src);
    int lgcn = c->model == MODEL_LIGHTGCN;
    if (!(c->set & (1u << CK_WD_MODE))) c->wd_mode = lgcn ? WD_L2 : WD_ADAM;
    if (!(c->set & (1u << CK_NUM_NEGS))) c->num_negs = lgcn ? 1 : 256;
    if (!(c->set & (1u << CK_SCORE))) c->cosine = lgcn ? 0 : 1;
    if (lgcn && c->num_negs != 1)
        return ar_fail(e, AR_EUSAGE, "%s: key \"num_negs\": must be 1 for model \"lightgcn\" (BPR), got %d", src,
                       c->num_negs);
    c->best = -1;
    for (int i = 0; i < c->n_monitors; i++) {
        char nm[32];
        config_monitor_name(c, i, nm, sizeof nm);
        if (strcmp(nm, c->best_name) == 0) c->best = i;
    }
    if (c->best < 0)
        return ar_fail(e, AR_EUSAGE, "%s: key \"which4best\": \"%s\" is not one of the monitors", src, c->best_name);
    return AR_OK;
}

cJSON *config_to_json(const train_config *c)
{
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    cJSON_AddStringToObject(j, "model", config_model_name(c->model));
    cJSON_AddNumberToObject(j, "embedding_dim", c->embedding_dim);
    cJSON_AddNumberToObject(j, "num_layers", c->num_layers);
    cJSON_AddNumberToObject(j, "epochs", c->epochs);
    cJSON_AddNumberToObject(j, "batch_size", c->batch_size);
    cJSON_AddStringToObject(j, "optimizer", "adam");
    cJSON_AddNumberToObject(j, "lr", c->lr);
    cJSON_AddNumberToObject(j, "weight_decay", c->weight_decay);
    cJSON_AddStringToObject(j, "wd_mode", c->wd_mode == WD_L2 ? "l2" : "adam");
    cJSON_AddNumberToObject(j, "tau", c->tau);
    cJSON_AddNumberToObject(j, "num_negs", c->num_negs);
    cJSON_AddStringToObject(j, "projector", c->projector == PROJ_LINEAR ? "linear" : "mlp");
    cJSON_AddNumberToObject(j, "hidden", c->hidden);
    cJSON_AddNumberToObject(j, "init_std", c->init_std);
    cJSON_AddNumberToObject(j, "eval_freq", c->eval_freq);
    cJSON *m = cJSON_AddArrayToObject(j, "monitors");
    for (int i = 0; m && i < c->n_monitors; i++) {
        char nm[32];
        config_monitor_name(c, i, nm, sizeof nm);
        cJSON_AddItemToArray(m, cJSON_CreateString(nm));
    }
    cJSON_AddStringToObject(j, "which4best", c->best_name);
    cJSON_AddStringToObject(j, "score", c->cosine ? "cosine" : "dot");
    if (c->text[0]) cJSON_AddStringToObject(j, "text", c->text);
    cJSON_AddNumberToObject(j, "seed", (double)c->seed);
    return j;
}
