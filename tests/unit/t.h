/* t.h - a minimal unit-test harness. Each test prints "PASS name" or
 * "FAIL name: why"; tests/run.sh counts those lines. */
#ifndef T_H
#define T_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int t_cur_failed;
static int t_total_failed;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            if (!t_cur_failed) printf("  %s:%d: ", __FILE__, __LINE__);       \
            else printf("  %s:%d: ", __FILE__, __LINE__);                     \
            printf(__VA_ARGS__);                                              \
            printf("\n");                                                     \
            t_cur_failed++;                                                   \
        }                                                                     \
    } while (0)

/* |a-b| <= atol + rtol*|b| */
#define CHECK_CLOSE(a, b, rtol, atol)                                         \
    CHECK(fabs((double)(a) - (double)(b)) <= (atol) + (rtol) * fabs((double)(b)), \
          "%s = %.9g, expected %s = %.9g", #a, (double)(a), #b, (double)(b))

static void t_run(const char *name, void (*fn)(void))
{
    t_cur_failed = 0;
    fflush(stdout);
    fn();
    if (t_cur_failed) { printf("FAIL %s\n", name); t_total_failed++; }
    else printf("PASS %s\n", name);
    fflush(stdout);
}

#define RUN(fn) t_run(#fn, fn)
#define T_EXIT() return t_total_failed ? 1 : 0

#endif
