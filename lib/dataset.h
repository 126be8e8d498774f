/* dataset.h - a dataset directory as ar-split writes it:
 *   users.txt, items.txt  line k = raw id of index k
 *   train.npy valid.npy test.npy  int32 [n, 2] (user, item), grouped by user, time order
 *   dataset.json  counts, filters, mode, input checksum, has_duplicates
 */
#ifndef AR_DATASET_H
#define AR_DATASET_H

#include "ar.h"
#include "npy.h"

typedef struct dataset {
    int64_t n_users, n_items;
    ar_array train, valid, test; /* int32 [n, 2] */
    int has_duplicates;          /* some user has an item twice over train+valid+test */
    char **user_ids, **item_ids; /* only when loaded with ids; else NULL */
} dataset;

/* Load dir; with_ids also reads users.txt/items.txt. Counts come from dataset.json,
 * or from the id files, or (last resort) from the largest ids in the splits.
 * Checks every pair against the counts. */
int dataset_load(const char *dir, dataset *ds, int with_ids, ar_err *e);
void dataset_free(dataset *ds);

/* Read a text file of ids, one per line, into a malloc'd array of strings. */
int ids_read(const char *path, char ***ids, int64_t *n, ar_err *e);
void ids_free(char **ids, int64_t n);

#endif
