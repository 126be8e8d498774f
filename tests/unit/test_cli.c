/* Tests of lib/cli.c: number parsing (ranges, trailing text, overflow, blanks,
 * non-finite values) and the exact stderr lines and codes of the error helpers. */
#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "t.h"

static void test_parse_i64(void)
{
    int64_t v = -7;
    CHECK(cli_parse_i64("42", 0, 100, &v) == 0 && v == 42, "42 -> %lld", (long long)v);
    CHECK(cli_parse_i64("+5", 0, 100, &v) == 0 && v == 5, "+5 -> %lld", (long long)v);
    CHECK(cli_parse_i64(" 9", 0, 100, &v) == 0 && v == 9, "leading blank -> %lld", (long long)v);
    CHECK(cli_parse_i64("-3", -5, 5, &v) == 0 && v == -3, "-3 -> %lld", (long long)v);
    CHECK(cli_parse_i64("0", 0, 0, &v) == 0 && v == 0, "0 in [0, 0]");
    CHECK(cli_parse_i64("9223372036854775807", 0, INT64_MAX, &v) == 0 && v == INT64_MAX, "INT64_MAX");
    v = 11;
    const char *bad[] = {"", " ", "x", "1x", "1 ", "1.5", "0x10", "101", "-1", "9223372036854775808",
                         "-9223372036854775809", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(cli_parse_i64(bad[i], 0, 100, &v) == -1, "'%s' accepted", bad[i]);
    CHECK(v == 11, "a rejected value changed *out to %lld", (long long)v);
    CHECK(cli_parse_i64("2147483648", 0, INT32_MAX, &v) == -1, "INT32_MAX + 1 accepted");
    CHECK(cli_parse_i64("2147483647", 0, INT32_MAX, &v) == 0 && v == INT32_MAX, "INT32_MAX rejected");
}

static void test_parse_double(void)
{
    double x = -1;
    CHECK(cli_parse_double("3.5", -DBL_MAX, DBL_MAX, &x) == 0 && x == 3.5, "3.5 -> %g", x);
    CHECK(cli_parse_double("-2e3", -DBL_MAX, DBL_MAX, &x) == 0 && x == -2000, "-2e3 -> %g", x);
    CHECK(cli_parse_double(" 1", 0, 1, &x) == 0 && x == 1, "' 1' in [0, 1] -> %g", x);
    x = 7;
    const char *bad[] = {"", "abc", "1.5x", "nan", "inf", "-inf", "1e400", "1e-400", "2", "-0.5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(cli_parse_double(bad[i], 0, 1, &x) == -1, "'%s' accepted", bad[i]);
    CHECK(x == 7, "a rejected value changed *out to %g", x);
}

/* Run fn with stderr redirected to a file; return what it wrote. */
static const char *capture(int (*fn)(void), int *code)
{
    static char out[4096];
    char path[] = "/tmp/test_cli.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) { out[0] = 0; *code = -1; return out; }
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    *code = fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t n = (size_t)pread(fd, out, sizeof out - 1, 0);
    out[n < sizeof out ? n : 0] = 0;
    close(fd);
    unlink(path);
    return out;
}

static int do_usage(void) { return cli_usage("ar-x", "--k '%s': expected %d..%d", "0", 1, 9); }
static int do_error_usage(void) { return cli_error("ar-x", AR_EUSAGE, "bad flag"); }
static int do_error_io(void) { return cli_error("ar-x", AR_EIO, "cannot open 'f'"); }
static int do_fail_zero(void)
{
    ar_err e = {0};
    snprintf(e.msg, sizeof e.msg, "f.npy: broken");
    return cli_fail("ar-x", &e);
}
static int do_fail_usage(void)
{
    ar_err e = {0};
    ar_fail(&e, AR_EUSAGE, "cfg.json: unknown key");
    return cli_fail("ar-x", &e);
}
static int do_try(void) { return cli_try_help("ar-x"); }
static int do_log(void)
{
    cli_log_init("ar-x", 0);
    ar_log("read %d rows", 3);
    cli_log_init("ar-x", 1);
    ar_log("silenced");
    ar_log_set(NULL);
    return 0;
}

static void test_messages(void)
{
    static const struct { int (*fn)(void); int code; const char *text; } cases[] = {
        {do_usage, AR_EUSAGE, "ar-x: --k '0': expected 1..9\nTry 'ar-x --help' for more information.\n"},
        {do_error_usage, AR_EUSAGE, "ar-x: bad flag\nTry 'ar-x --help' for more information.\n"},
        {do_error_io, AR_EIO, "ar-x: cannot open 'f'\n"},
        {do_fail_zero, AR_EDATA, "ar-x: f.npy: broken\n"},
        {do_fail_usage, AR_EUSAGE, "ar-x: cfg.json: unknown key\nTry 'ar-x --help' for more information.\n"},
        {do_try, AR_EUSAGE, "Try 'ar-x --help' for more information.\n"},
        {do_log, 0, "ar-x: read 3 rows\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int code;
        const char *got = capture(cases[i].fn, &code);
        CHECK(code == cases[i].code, "case %zu: code %d, expected %d", i, code, cases[i].code);
        CHECK(strcmp(got, cases[i].text) == 0, "case %zu: wrote [%s], expected [%s]", i, got, cases[i].text);
    }
}

int main(void)
{
    RUN(test_parse_i64);
    RUN(test_parse_double);
    RUN(test_messages);
    T_EXIT();
}
