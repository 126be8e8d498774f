/* cli.h - the command-line plumbing shared by the tools/ar-*.c programs.
 *
 * The one documented exception to "lib/ never prints except through ar_log()"
 * (ar.h): these helpers exist only to write a tool's own lines, so they print
 * directly to stderr (and cli_version to stdout). The rest of lib/ never calls
 * them. Every line keeps the tools' conventions (DESIGN.md):
 *   error        "ar-x: <message>"                               (stderr)
 *   usage error  the same, then "Try 'ar-x --help' for more information."
 * and the functions that report an error return the exit code to use
 * (0 ok, 1 bad data, 2 usage, 3 I/O).
 */
#ifndef AR_CLI_H
#define AR_CLI_H

#include <stdint.h>

#include "ar.h"

/* "Try 'PROG --help' for more information." on stderr; returns AR_EUSAGE. */
int cli_try_help(const char *prog);

/* A usage error: "PROG: <printf message>" plus the hint; returns AR_EUSAGE. */
int cli_usage(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "PROG: MSG" on stderr, plus the hint when code is AR_EUSAGE; returns code. */
int cli_error(const char *prog, int code, const char *msg);

/* cli_error with e's message and code (AR_EDATA when e->code is 0). */
int cli_fail(const char *prog, const ar_err *e);

/* Flush stdout; on failure "PROG: cannot write to stdout" and AR_EIO, else 0. */
int cli_flush_stdout(const char *prog);

/* "PROG <AR_VERSION>" on stdout, flushed; returns cli_flush_stdout's code. */
int cli_version(const char *prog);

/* Route ar_log() lines to stderr as "PROG: <line>", or nowhere when quiet.
 * prog must outlive the program's logging (a string literal). */
void cli_log_init(const char *prog, int quiet);

/* Decimal integer in [lo, hi] (strtoll: leading blanks and a sign allowed, no
 * trailing text); returns 0 and sets *out, or -1 leaving *out alone. */
int cli_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out);

/* Finite number in [lo, hi] (strtod, no trailing text, no overflow or
 * underflow); returns 0 and sets *out, or -1 leaving *out alone. */
int cli_parse_double(const char *s, double lo, double hi, double *out);

#endif
