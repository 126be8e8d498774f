/* cli.c - shared command-line plumbing of the tools (see cli.h: the one part of
 * lib/ that prints directly). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int cli_try_help(const char *prog)
{
    fprintf(stderr, "Try '%s --help' for more information.\n", prog);
    return AR_EUSAGE;
}

int cli_usage(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return cli_try_help(prog);
}

int cli_error(const char *prog, int code, const char *msg)
{
    fprintf(stderr, "%s: %s\n", prog, msg);
    if (code == AR_EUSAGE) cli_try_help(prog);
    return code;
}

int cli_fail(const char *prog, const ar_err *e) { return cli_error(prog, e->code ? e->code : AR_EDATA, e->msg); }

int cli_flush_stdout(const char *prog)
{
    if (fflush(stdout) || ferror(stdout)) return cli_error(prog, AR_EIO, "cannot write to stdout");
    return 0;
}

int cli_version(const char *prog)
{
    printf("%s %s\n", prog, AR_VERSION);
    return cli_flush_stdout(prog);
}

static const char *g_log_prog = "";

static void log_prefixed(const char *line) { fprintf(stderr, "%s: %s\n", g_log_prog, line); }

void cli_log_init(const char *prog, int quiet)
{
    g_log_prog = prog;
    ar_log_set(quiet ? NULL : log_prefixed);
}

int cli_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int cli_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}
