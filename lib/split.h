/* split.h - the data stage of ar-split: read raw interactions, filter (star
 * threshold, iterative user/item k-core), remap ids (byte-order sort of the raw
 * ids), sort each user's rows by time (stable), split per user (ROU/RAU/LOU),
 * and write a dataset directory (see dataset.h for the layout).
 *
 * Pipeline (spec.md 1.2/1.3):
 *   split_read()  -> split_raw   (raw string ids, rating, time, input order)
 *   split_build() -> split_result (contiguous ids, train/valid/test pairs)
 *   split_meta_json() + split_write_dir()
 * Pre-split inputs (lgcn, mmrec) go straight to a split_result with
 * split_read_lgcn() / split_read_mmrec(); ids are kept as given.
 * Ownership: every struct here owns its memory; free with the matching *_free.
 */
#ifndef AR_SPLIT_H
#define AR_SPLIT_H

#include "ar.h"

typedef enum split_mode { SPLIT_ROU = 0, SPLIT_RAU, SPLIT_LOU } split_mode;

typedef enum split_format {
    SPLIT_FMT_AUTO = 0,
    SPLIT_FMT_AMAZON, /* Amazon 2014 review JSON lines (reviewerID, asin, overall, unixReviewTime) */
    SPLIT_FMT_RECBOLE, /* RecBole atomic .inter: TSV with typed header "name:type" */
    SPLIT_FMT_TSV,    /* delimited text, chosen columns */
    SPLIT_FMT_CSV,
    SPLIT_FMT_SEQ,    /* "user item item ..." per line, items in time order */
    SPLIT_FMT_LGCN,   /* pre-split train/valid/test.txt, "user item item ..." integer ids */
    SPLIT_FMT_MMREC   /* pre-split train/val/test.json {"user": [items]} (+ user2id/item2id.json) */
} split_format;

/* Parse "ROU"/"RAU"/"LOU" (case-insensitive); returns 0 or -1. */
int split_mode_parse(const char *s, split_mode *m);
const char *split_mode_name(split_mode m);
/* Parse a format name ("auto", "amazon", ...); returns 0 or -1. */
int split_format_parse(const char *s, split_format *f);
const char *split_format_name(split_format f);

/* Cut points for one user with n time-ordered rows: train = rows [0, l),
 * valid = [l, r), test = [r, n). ratios = (a, b, c), a >= 1, b, c >= 0; exact
 * integer arithmetic with s = a + b + c:
 *   ROU: l = max(floor(a n / s), 1),                 r = max(floor((a+b) n / s), l)
 *   RAU: l = max(min(floor(a n / s), n - 2), 1),     r = max(min(floor((a+b) n / s), n - 1), l)
 *   LOU: n <= 3: l = r = n (all train); else l = n - 2, r = n - 1 (ratios unused)
 * l and r are finally clamped to [0, n]. */
void split_cuts(split_mode m, const int64_t ratios[3], int64_t n, int64_t *l, int64_t *r);

/* ---- raw interactions ---- */
typedef struct split_strtab { /* interned strings: index <-> string */
    int64_t n, cap;
    char **s;
    int64_t *slot; /* open-addressing hash of indices (+1; 0 = empty) */
    size_t nslot;
} split_strtab;

typedef struct split_raw {
    int64_t n, cap;
    int32_t *user, *item; /* indices into users / items; (n) each */
    double *rating;       /* (n); NAN = no rating column (always passes the star filter) */
    double *time;         /* (n); input order decides ties */
    split_strtab users, items;
} split_raw;

/* Intern s (len bytes, need not be NUL-terminated); *idx receives its index. */
int split_strtab_add(split_strtab *t, const char *s, size_t len, int32_t *idx, ar_err *e);
void split_strtab_free(split_strtab *t);
/* Append one interaction. */
int split_raw_add(split_raw *r, const char *user, size_t ulen, const char *item, size_t ilen,
                  double rating, double time, ar_err *e);
void split_raw_free(split_raw *r);

/* Is s usable as an id in users.txt/items.txt? Non-empty, no whitespace, no
 * control characters. Returns 1 if yes. */
int split_id_ok(const char *s, size_t len);

/* One input file as recorded in dataset.json. */
typedef struct split_input {
    char *path;
    char sha256[65]; /* of the raw bytes as stored (compressed if gzipped) */
    int64_t bytes;
} split_input;

/* Options of the text readers. NULL fields mean the defaults. */
typedef struct split_read_opts {
    /* recbole: field names (without the ":type" suffix). Rating and time are
     * optional unless *_required is set (the user named them explicitly). */
    const char *user_field, *item_field, *rating_field, *time_field;
    int rating_required, time_required;
    /* tsv/csv: columns "user,item[,rating[,time]]" as 1-based numbers or header
     * names (names need header=1); sep = 0 means '\t' (tsv) or ',' (csv). */
    const char *cols;
    char sep;
    int header;
} split_read_opts;

/* Read raw interactions from path ("-" = stdin; gzip transparent) in format f
 * (not AUTO, not a pre-split format) and append them to r. info (may be NULL)
 * receives the path and checksum. For seq, a user may appear on one line only
 * (across all files read into r). */
int split_read(const char *path, split_format f, const split_read_opts *o, split_raw *r,
               split_input *info, ar_err *e);

/* Guess the format of path: a directory -> mmrec (train.json) or lgcn
 * (cf_data/ or train.txt); *.inter[.gz] -> recbole; *.csv[.gz] -> csv; a file
 * whose first non-blank byte is '{' -> amazon. Otherwise AR_EUSAGE. */
int split_detect(const char *path, split_format *f, ar_err *e);

/* ---- filtering, remapping, ordering ---- */

/* Iterative k-core to a fixed point: each round drops the rows whose user has
 * fewer than ku rows, then the rows whose item has fewer than ki rows (counts
 * over the rows still kept; 0 or 1 = no bound); rounds repeat until the number
 * of kept rows stops changing. user, item are (n) with ids < nu, ni; keep (n)
 * must be initialised (1 = row takes part) and is updated. Returns the number of
 * kept rows (or -1 on allocation failure, with e set); *rounds (may be NULL)
 * receives the number of rounds run. */
int64_t split_kcore(int64_t n, const int32_t *user, const int32_t *item, int64_t nu, int64_t ni,
                    int64_t ku, int64_t ki, unsigned char *keep, int *rounds, ar_err *e);

/* Sort-by-bytes rank of n strings: order[k] = index of the k-th smallest string
 * (strcmp, i.e. unsigned byte order). Strings are assumed distinct. */
int split_sort_ids(char *const *ids, int64_t n, int64_t *order, ar_err *e);

/* Stable order of rows by (user, time): perm (n) receives row indices; rows
 * with equal user and time keep their input order. */
int split_order(int64_t n, const int32_t *user, const double *time, int64_t *perm, ar_err *e);

/* ---- the result: a dataset in memory ---- */
typedef struct split_result {
    int64_t n_users, n_items;
    char **user_ids, **item_ids; /* (n_users), (n_items) raw ids */
    int32_t *pairs[3];           /* train, valid, test: (count[k], 2) rows (user, item) */
    int64_t count[3];
    int has_duplicates;
    /* statistics of the filtering (split_build only) */
    int64_t n_raw, n_after_rating, n_after_kcore;
    int kcore_rounds;
} split_result;
void split_result_free(split_result *s);

typedef struct split_params {
    split_mode mode;
    int64_t ratios[3];
    double min_rating; /* keep rows with rating >= min_rating; absent ratings pass */
    int64_t kcore_user, kcore_item;
} split_params;

/* Filter, remap, order and split r. Fails (AR_EDATA) when nothing is left;
 * empty_what names the input(s) for that message. */
int split_build(const split_raw *r, const split_params *p, const char *empty_what,
                split_result *out, ar_err *e);

/* Does some user have an item twice over all pairs of the three splits? Pairs
 * must be within n_users x n_items. Returns 1/0, or -1 on allocation failure. */
int split_has_duplicates(const split_result *s, ar_err *e);

/* Pre-split LightGCN/AlphaRec text files: files[0..2] = train, valid, test.
 * info[3] (may be NULL) receives the checksums. */
int split_read_lgcn(const char *const files[3], split_result *out, split_input info[3], ar_err *e);
/* Pre-split MMRec/LATTICE JSON: files[0..2] = train, val, test; umap/imap (may
 * be NULL) = user2id.json / item2id.json. info[5] receives the checksums of the
 * files given (entries for absent maps have path NULL). */
int split_read_mmrec(const char *const files[3], const char *umap, const char *imap,
                     split_result *out, split_input info[5], ar_err *e);
/* Locate the files of a pre-split directory: lgcn -> dir/cf_data/{train,valid,test}.txt
 * or dir/{train,valid,test}.txt; mmrec -> dir/{train,val,test}.json (also
 * dir/5-core/) and dir/{user2id,item2id}.json if present. Strings are malloc'd
 * into files[0..4] (maps NULL when absent); free each. */
int split_presplit_files(const char *dir, split_format f, char *files[5], ar_err *e);

/* ---- output ---- */
typedef struct split_meta {
    split_format format;
    const split_params *params; /* NULL for pre-split data */
    const split_input *inputs;
    int n_inputs;
} split_meta;

/* dataset.json text (malloc'd, ends with a newline). */
char *split_meta_json(const split_result *s, const split_meta *m, ar_err *e);

/* Write the dataset directory atomically: everything goes to "<dir>.tmp.<pid>",
 * renamed onto dir at the end. An existing dir is refused unless force, and even
 * then only replaced when it looks like a dataset directory (has dataset.json or
 * is empty). On failure nothing is left behind. */
int split_write_dir(const char *dir, int force, const split_result *s, const char *json, ar_err *e);

#endif
