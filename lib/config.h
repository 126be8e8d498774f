/* config.h - ar-train hyperparameters: JSON config files and --set overrides.
 *
 * A config is one JSON object (configs/<dataset>/<model>.json). Every key is
 * optional except "model"; unknown keys, wrong types and out-of-range values are
 * errors naming the source (file name or "--set key=value") and the key.
 * Keys and defaults (model-dependent defaults are resolved by config_finish):
 *   model          "lightgcn" | "lightgcn-infonce" | "alpharec"   (required)
 *   embedding_dim  64          num_layers 3        epochs 500       batch_size 2048
 *   optimizer      "adam"      lr 1e-3             weight_decay 0
 *   wd_mode        "adam" (coupled Adam decay) | "l2" (batch L2 on ego rows);
 *                  default l2 for lightgcn, adam otherwise
 *   tau 0.15       num_negs 1 for lightgcn (must be 1), 256 otherwise
 *   projector "mlp" | "linear"   hidden 0 (= text dim / 2)   init_std 1e-4
 *   eval_freq 5    monitors ["recall@10","recall@20","ndcg@10","ndcg@20"]
 *   which4best "ndcg@20" (must be one of monitors)
 *   score "dot" for lightgcn, "cosine" otherwise      text (path, alpharec)   seed 1
 */
#ifndef AR_CONFIG_H
#define AR_CONFIG_H

#include <cJSON.h>

#include "ar.h"

enum { MODEL_LIGHTGCN = 0, MODEL_LIGHTGCN_INFONCE = 1, MODEL_ALPHAREC = 2 };
enum { WD_ADAM = 0, WD_L2 = 1 };
enum { CONFIG_MAX_MONITORS = 32 };

/* Bits of train_config.set: which keys were given explicitly. */
enum {
    CK_MODEL, CK_EMBEDDING_DIM, CK_NUM_LAYERS, CK_EPOCHS, CK_BATCH_SIZE, CK_OPTIMIZER, CK_LR,
    CK_WEIGHT_DECAY, CK_WD_MODE, CK_TAU, CK_NUM_NEGS, CK_PROJECTOR, CK_HIDDEN, CK_INIT_STD,
    CK_EVAL_FREQ, CK_MONITORS, CK_WHICH4BEST, CK_SCORE, CK_TEXT, CK_SEED, CK_COUNT
};
extern const char *const config_keys[CK_COUNT];

typedef struct train_config {
    int model;              /* MODEL_* */
    int embedding_dim;
    int num_layers;
    int epochs;
    int batch_size;
    double lr, weight_decay;
    int wd_mode;            /* WD_* */
    double tau;
    int num_negs;
    int projector;          /* PROJ_MLP / PROJ_LINEAR (projector.h) */
    int hidden;             /* 0 = text dim / 2 */
    double init_std;
    int eval_freq;
    int n_monitors;
    int mon_metric[CONFIG_MAX_MONITORS]; /* M_* (metrics.h) */
    int mon_k[CONFIG_MAX_MONITORS];
    int best;               /* index of which4best in the monitors */
    char best_name[32];     /* which4best as given, until config_finish */
    int cosine;             /* score (loss and ranking): 1 cosine, 0 dot */
    char text[4096];        /* "" = none */
    uint64_t seed;
    uint32_t set;           /* bit CK_x: key given explicitly */
} train_config;

/* All defaults, model unset (-1). */
void config_init(train_config *c);
/* Apply every key of a JSON object; src names the source in messages. */
int config_apply_json(train_config *c, const cJSON *obj, const char *src, ar_err *e);
/* Parse JSON text (len bytes) and apply it; src names the source (file name). */
int config_apply_text(train_config *c, const char *text, size_t len, const char *src, ar_err *e);
/* Read a JSON config file and apply it. */
int config_load(train_config *c, const char *path, ar_err *e);
/* "key=value": value is parsed as JSON if it parses, else taken as a string. */
int config_set(train_config *c, const char *kv, ar_err *e);
/* Resolve model-dependent defaults and check the keys against each other;
 * src names the config in messages. Must be called once after all keys. */
int config_finish(train_config *c, const char *src, ar_err *e);
/* The config as used (all keys) as a new cJSON object (caller cJSON_Delete()s). */
cJSON *config_to_json(const train_config *c);

const char *config_model_name(int model);
/* Monitor i as "recall@20". */
void config_monitor_name(const train_config *c, int i, char *buf, size_t n);

#endif
