/* embed.h - import item embeddings from any language model into a float32
 * (n_items, dim) matrix whose row k belongs to line k of a dataset's items.txt.
 *
 * Source formats
 *   row-ordered: .npy (f2/f4/f8, C or Fortran order, gzip ok), .npz (one array),
 *                safetensors (F16/BF16/F32/F64 tensor). Row r belongs to line r of
 *                the --ids file, or, without one, to item r (rows == n_items required).
 *   keyed:       JSON Lines {"id": ..., "embedding": [...]}, word2vec text (.vec,
 *                GloVe without header too), word2vec binary, TSV "id<TAB>v1 v2 ...",
 *                RecBole atomic file with an ":token" and a ":float_seq" column.
 *                Rows are matched to items.txt by id; ids not in the dataset are
 *                ignored and counted.
 * Half and bfloat16 inputs are converted to float32; the output is always float32.
 *
 * Streaming: keyed text formats are read line by line and only the vectors of
 * dataset items are kept, so a 2M-word fastText file costs n_items x dim floats.
 * Errors name the source file and its line (text), row (arrays, 0-based like
 * numpy) or word (word2vec binary, 0-based).
 */
#ifndef AR_EMBED_H
#define AR_EMBED_H

#include "ar.h"

typedef enum emb_format {
    EMB_AUTO = 0,
    EMB_NPY,
    EMB_NPZ,
    EMB_SAFETENSORS,
    EMB_JSONL,
    EMB_W2V,
    EMB_W2V_BIN,
    EMB_TSV,
    EMB_RECBOLE
} emb_format;

typedef enum emb_missing { EMB_MISSING_ERROR = 0, EMB_MISSING_ZERO, EMB_MISSING_MEAN } emb_missing;

typedef struct emb_opts {
    emb_format format;     /* EMB_AUTO: by file name (and a peek at .txt files) */
    const char *ids_path;  /* row-ordered formats: raw id of each row, one a line; NULL = items order */
    const char *name;      /* npz array / safetensors tensor; NULL = the only one */
    const char *id_field;  /* JSON Lines; NULL = "id" */
    const char *vec_field; /* JSON Lines; NULL = "embedding" */
    emb_missing missing;
    int normalize;         /* L2-normalise every row (zero rows stay zero) */
} emb_opts;

typedef struct emb_result {
    int64_t n_items, dim;
    float *emb;             /* (n_items, dim), malloc'd; free() it */
    emb_format format;      /* the format actually read */
    char source_dtype[16];  /* "float32", "float16", "bfloat16", "float64", "text" */
    char array_name[256];   /* npz array / safetensors tensor read ("" otherwise) */
    int64_t source_rows;    /* vectors in the source */
    int64_t found;          /* items that got a vector from the source */
    int64_t unknown;        /* source vectors whose id is not an item (ignored) */
    int64_t filled;         /* items filled by --missing zero/mean */
    int by_order;           /* row-ordered source taken in items order (no --ids) */
    char sha256[65];        /* of the source file's bytes as stored on disk; "" for a pipe */
    int64_t source_bytes;   /* -1 for a pipe */
} emb_result;

/* "npy" ... "recbole" <-> enum; emb_format_parse returns -1 for an unknown name. */
int emb_format_parse(const char *s);
const char *emb_format_name(emb_format f);
/* The list for messages: "npy|npz|safetensors|jsonl|w2v|w2v-bin|tsv|recbole". */
const char *emb_format_list(void);
/* Decide the format of path from its name; for .txt (and a few ambiguous names)
 * peek at the first line. AR_EUSAGE with a hint when it cannot tell. */
int emb_format_detect(const char *path, emb_format *f, ar_err *e);

/* Read items (items.txt), read and align src. On success r owns r->emb. */
int emb_import(const char *items_path, const char *src, const emb_opts *o, emb_result *r, ar_err *e);
/* The same with the item ids given in memory (items_name is used in messages). */
int emb_import_ids(char **items, int64_t n_items, const char *items_name, const char *src,
                   const emb_opts *o, emb_result *r, ar_err *e);
void emb_result_free(emb_result *r);

/* Write the sidecar JSON describing an import (atomic). */
int emb_write_sidecar(const char *path, const char *src, const char *items_path, const char *output,
                      const emb_opts *o, const emb_result *r, ar_err *e);

/* Kernels. X is (n, d): scale each row to unit L2 norm, zero rows stay zero. */
void emb_l2_normalize(float *X, int64_t n, int64_t d);
void emb_l2_normalize_ref(float *X, int64_t n, int64_t d); /* naive reference */
/* IEEE half and bfloat16 (raw bits) to float. */
float emb_half_to_float(uint16_t h);
float emb_bf16_to_float(uint16_t h);

#endif
