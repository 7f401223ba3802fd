/*
 * test.h - the tiny assert harness of bex's unit tests.
 *
 *   TEST(decodes_png) { ... CHECK(x == 1); CHECK_NEAR(a, b, 1e-5); }
 *   int main(void) { RUN(decodes_png); return test_summary(); }
 *
 * A failed CHECK prints file:line and the expression, marks the test failed and goes on.
 * test_summary() prints "N passed, N failed" and returns non-zero if any test failed.
 * A test may call SKIP("why") when an optional resource (e.g. models/) is absent.
 */
#ifndef BEX_TEST_H
#define BEX_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_passed, test_failed, test_skipped, test_cur_failed, test_cur_skipped;

#define TEST(name) static void test_##name(void)
#define RUN(name)                                                          \
    do {                                                                   \
        test_cur_failed = 0;                                               \
        test_cur_skipped = 0;                                              \
        test_##name();                                                     \
        if (test_cur_skipped) test_skipped++;                              \
        else if (test_cur_failed) { test_failed++; printf("FAIL %s\n", #name); } \
        else { test_passed++; printf("ok   %s\n", #name); }                \
        fflush(stdout);                                                    \
    } while (0)
#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            test_cur_failed = 1;                                           \
        }                                                                  \
    } while (0)
#define CHECK_NEAR(a, b, tol)                                              \
    do {                                                                   \
        double a_ = (a), b_ = (b);                                         \
        if (!(fabs(a_ - b_) <= (tol))) {                                   \
            printf("  %s:%d: %s = %g, %s = %g, differ by more than %g\n", __FILE__, \
                   __LINE__, #a, a_, #b, b_, (double)(tol));               \
            test_cur_failed = 1;                                           \
        }                                                                  \
    } while (0)
#define SKIP(why)                                                          \
    do {                                                                   \
        printf("skip %s: %s\n", __func__, why);                            \
        test_cur_skipped = 1;                                              \
        return;                                                            \
    } while (0)

static int test_summary(void) {
    printf("%d passed, %d failed", test_passed, test_failed);
    if (test_skipped) printf(", %d skipped", test_skipped);
    printf("\n");
    return test_failed ? 1 : 0;
}

/* The repository root relative to the test's working directory (make runs from the root). */
#define TEST_DATA(rel) ("tests/data/" rel)

#endif
