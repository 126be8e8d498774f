/* ar.h - common definitions for the AlphaRec tool library.
 *
 * Error convention (binding for all of lib/):
 *   - every fallible function returns int: 0 (AR_OK) or one of the AR_E* codes;
 *   - it fills the caller's ar_err with a one-line message that names the file,
 *     line/field or array and what was expected, e.g. "reviews.json:1532: field \"asin\" missing";
 *   - library code never calls exit() and never prints except through ar_log()
 *     (the one exception is lib/cli.c, which writes the tools' own error lines; see cli.h).
 * The tool prefixes the message with its name ("ar-split: ") and exits with err.code.
 *
 * Exit codes (frozen): 0 ok, 1 bad data or runtime failure, 2 usage, 3 I/O.
 */
#ifndef AR_H
#define AR_H

#include <stddef.h>
#include <stdint.h>

#define AR_VERSION "0.1.0"

enum { AR_OK = 0, AR_EDATA = 1, AR_EUSAGE = 2, AR_EIO = 3 };

typedef struct ar_err {
    int code;
    char msg[1024];
} ar_err;

/* Set e (may be NULL) to code and a printf-formatted message; returns code. */
int ar_fail(ar_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefix an existing message: "<prefix>: <old message>" (for adding file context). */
int ar_wrap(ar_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Raw text (len bytes of s) made safe to quote in a one-line message, written to buf
 * (cap bytes, at least 16): \t \n \r and the other control bytes (< 0x20, 0x7f) are
 * escaped (\xNN), and text longer than 64 bytes is cut after 61 with "...".
 * Returns buf. */
const char *ar_show(const char *s, size_t len, char *buf, size_t cap);

/* Logging hook: library messages (progress, notes) go through here; default stderr. */
typedef void (*ar_log_fn)(const char *line);
void ar_log_set(ar_log_fn fn); /* NULL silences */
void ar_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* malloc/calloc/realloc that set e on failure (return NULL). */
void *ar_malloc(size_t n, ar_err *e);
void *ar_calloc(size_t n, size_t sz, ar_err *e);
void *ar_realloc(void *p, size_t n, ar_err *e);
char *ar_strdup(const char *s, ar_err *e);

/* Wall clock seconds (monotonic) and peak resident memory in bytes (ru_maxrss). */
double ar_now(void);
int64_t ar_peak_rss(void);

/* Number of threads to use: n > 0 as given, n <= 0 = all cores. Also sets the
 * OpenMP and OpenBLAS thread counts so they never oversubscribe. */
int ar_threads_init(int n);

#endif
