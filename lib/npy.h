/* npy.h - NumPy .npy arrays (gzip transparent) and .npz archives.
 *
 * In memory an ar_array is always C order, little-endian (native on the hosts we
 * support), with one of the dtypes below. Readers accept .npy v1/v2/v3 headers,
 * dtypes f2/f4/f8/i4/i8/u1 (b1 read as u8; '<U' strings, and '|S' bytes widened
 * to the same UTF-32 AR_STR form: scipy's save_npz writes its "format" member as
 * '|S3'), either byte order, C or Fortran order, and convert to this form.
 * Writers produce .npy v1.0, little-endian, C order, byte-identical to np.save.
 * .npz: ZIP with one "<name>.npy" member per array, stored or deflated, ZIP64 as
 * numpy writes it; CRC-32 checked on read.
 * Ownership: an ar_array owns its data; release with ar_array_free().
 */
#ifndef AR_NPY_H
#define AR_NPY_H

#include "ar.h"

typedef enum ar_dtype {
    AR_F32 = 0,
    AR_F64,
    AR_F16,
    AR_I32,
    AR_I64,
    AR_U8,
    AR_STR /* numpy '<U<n>' unicode string; data holds UTF-32LE, itemsize 4*n */
} ar_dtype;

#define AR_MAXDIM 8

typedef struct ar_array {
    ar_dtype dtype;
    int ndim;                 /* 0..AR_MAXDIM */
    int64_t shape[AR_MAXDIM];
    size_t itemsize;          /* bytes per element */
    void *data;               /* C order, little-endian */
} ar_array;

int64_t ar_array_numel(const ar_array *a);
size_t ar_dtype_size(ar_dtype t);
const char *ar_dtype_name(ar_dtype t); /* "float32", "int32", ... */

/* Allocate a zeroed array of the given dtype and shape (ndim entries). */
int ar_array_alloc(ar_array *a, ar_dtype t, int ndim, const int64_t *shape, ar_err *e);
void ar_array_free(ar_array *a);
/* Convert in place to dtype t (float<->int conversions allowed; float->int only if exact). */
int ar_array_cast(ar_array *a, ar_dtype t, const char *name, ar_err *e);
/* AR_EDATA "NAME: row R column C is not finite" for the first NaN/Inf of X (rows, cols)
 * (row-major float32), AR_OK when every entry is finite. */
int ar_check_finite(const float *X, int64_t rows, int64_t cols, const char *name, ar_err *e);
/* A 0-d '<U' string array holding s (ASCII). */
int ar_array_str(ar_array *a, const char *s, ar_err *e);

/* Parse a .npy image in memory; name is used in error messages. */
int npy_parse(const unsigned char *buf, size_t len, const char *name, ar_array *a, ar_err *e);
/* Encode a v1.0 .npy image (malloc'd). */
int npy_encode(const ar_array *a, unsigned char **buf, size_t *len, ar_err *e);
/* Read a .npy (or .npy.gz) file; "-" = stdin. */
int npy_read(const char *path, ar_array *a, ar_err *e);
/* Read and require: dtype converted to want, ndim == want_ndim (if >= 0). */
int npy_read_as(const char *path, ar_dtype want, int want_ndim, ar_array *a, ar_err *e);
/* Write atomically; gzip-compressed when path ends with .gz; "-" = stdout. */
int npy_write(const char *path, const ar_array *a, ar_err *e);
/* Convenience: write a float32 (rows, cols) or int32 (rows, cols) matrix. */
int npy_write_f32(const char *path, const float *data, int64_t rows, int64_t cols, ar_err *e);
int npy_write_i32(const char *path, const int32_t *data, int64_t rows, int64_t cols, ar_err *e);

/* ---- .npz ---- */
typedef struct npz_file {
    int n;
    char **names;      /* member names without the ".npy" suffix */
    ar_array *arrays;
} npz_file;

int npz_read(const char *path, npz_file *z, ar_err *e);
/* Borrowed pointer to the named array, or NULL. */
ar_array *npz_get(npz_file *z, const char *name);
void npz_free(npz_file *z);
/* Write n arrays as "<names[i]>.npy" members; compress=1 deflates them. Atomic. */
int npz_write(const char *path, int n, const char *const *names, const ar_array *arrays, int compress, ar_err *e);

#endif
