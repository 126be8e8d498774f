/* ar.c - errors, logging, checked allocation, clocks, threads. */
#include "ar.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

int ar_fail(ar_err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return code;
}

int ar_wrap(ar_err *e, const char *fmt, ...)
{
    if (!e) return AR_EDATA;
    char pre[512], old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    snprintf(e->msg, sizeof e->msg, "%s: %s", pre, old);
    return e->code ? e->code : AR_EDATA;
}

const char *ar_show(const char *s, size_t len, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t k = 0; k < len && o + 8 < cap; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == '\t') o += (size_t)snprintf(buf + o, cap - o, "\\t");
        else if (c == '\n') o += (size_t)snprintf(buf + o, cap - o, "\\n");
        else if (c == '\r') o += (size_t)snprintf(buf + o, cap - o, "\\r");
        else if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        else buf[o++] = (char)c;
        if (k == 60 && len > 64) { o += (size_t)snprintf(buf + o, cap - o, "..."); break; }
    }
    buf[o] = 0;
    return buf;
}

static void log_stderr(const char *line) { fprintf(stderr, "%s\n", line); }
static ar_log_fn g_log = log_stderr;

void ar_log_set(ar_log_fn fn) { g_log = fn; }

void ar_log(const char *fmt, ...)
{
    if (!g_log) return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    g_log(buf);
}

void *ar_malloc(size_t n, ar_err *e)
{
    void *p = malloc(n ? n : 1);
    if (!p) ar_fail(e, AR_EDATA, "out of memory allocating %zu bytes", n);
    return p;
}

void *ar_calloc(size_t n, size_t sz, ar_err *e)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p) ar_fail(e, AR_EDATA, "out of memory allocating %zu x %zu bytes", n, sz);
    return p;
}

void *ar_realloc(void *p, size_t n, ar_err *e)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) ar_fail(e, AR_EDATA, "out of memory allocating %zu bytes", n);
    return q;
}

char *ar_strdup(const char *s, ar_err *e)
{
    size_t n = strlen(s) + 1;
    char *p = ar_malloc(n, e);
    if (p) memcpy(p, s, n);
    return p;
}

double ar_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int64_t ar_peak_rss(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    return (int64_t)ru.ru_maxrss * 1024;
}

extern void openblas_set_num_threads(int);

int ar_threads_init(int n)
{
    if (n <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (int)c : 1;
    }
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    openblas_set_num_threads(1); /* gemm_f32 splits products across the OpenMP threads */
    return n;
}
