/* io.h - files: whole-file reads (gzip transparent), line reading, atomic output.
 *
 * Readers detect gzip by its magic bytes (1f 8b) and accept plain files too;
 * the path "-" means stdin. Writers go to "<path>.tmp.<pid>" and are renamed onto
 * the path only by ar_out_commit(), so a failed run leaves no partial file;
 * "-" writes to stdout. A name ending in ".gz" is written gzip-compressed.
 * Ownership: ar_read_all() hands the caller a malloc'd buffer (free()).
 */
#ifndef AR_IO_H
#define AR_IO_H

#include <stdio.h>
#include <zlib.h>

#include "ar.h"

/* Read the whole (decompressed) content of path. The buffer gets one extra NUL
 * byte after *len (not counted) so text parsers may rely on termination. */
int ar_read_all(const char *path, unsigned char **buf, size_t *len, ar_err *e);

/* Display name for messages: "<stdin>" for "-". */
const char *ar_display_name(const char *path);

/* Does path end with suffix? */
int ar_has_suffix(const char *path, const char *suffix);

/* ---- line reader (gzip transparent, any line length) ---- */
typedef struct ar_lines ar_lines;
int ar_lines_open(ar_lines **r, const char *path, ar_err *e);
/* Returns 1 and sets *line (NUL-terminated, no trailing \n or \r\n, owned by the
 * reader until the next call) and *len; 0 at end of file; AR_E* (negated) on error. */
int ar_lines_next(ar_lines *r, char **line, size_t *len, ar_err *e);
long ar_lines_lineno(const ar_lines *r); /* 1-based number of the last line returned */
const char *ar_lines_path(const ar_lines *r);
void ar_lines_close(ar_lines *r);

/* ---- atomic output ---- */
typedef struct ar_out {
    FILE *fp;      /* plain output (file or stdout) */
    gzFile gz;     /* gzip output, when the name ends in .gz */
    char *path;    /* final path (NULL for stdout) */
    char *tmp;     /* temporary path */
    int failed;
} ar_out;

/* gzip: -1 = decide by ".gz" suffix, 0 = never, 1 = always. */
int ar_out_open(ar_out *o, const char *path, int gzip, ar_err *e);
int ar_out_write(ar_out *o, const void *p, size_t n, ar_err *e);
int ar_out_printf(ar_out *o, ar_err *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Flush, close and rename into place; on error the temp file is removed. */
int ar_out_commit(ar_out *o, ar_err *e);
/* Close and delete the temp file (safe to call after commit or on a zeroed ar_out). */
void ar_out_abort(ar_out *o);

/* Write a whole buffer atomically to path. */
int ar_write_file(const char *path, const void *buf, size_t len, int gzip, ar_err *e);

/* SHA-256 of a buffer as 64 lowercase hex chars + NUL. */
void ar_sha256_hex(const unsigned char *buf, size_t len, char out[65]);

/* Create a directory (and parents); ok if it exists. */
int ar_mkdir_p(const char *path, ar_err *e);

#endif
