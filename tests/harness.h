/* A minimal unit-test harness. Each TEST prints "PASS file:name" or "FAIL file:name";
 * tests/run.sh counts those lines across every test program. */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <stdio.h>

static int harness_failed_checks;
static int harness_failed_tests;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("  check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);                    \
            harness_failed_checks++;                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long harness_a = (long long)(a), harness_b = (long long)(b);                          \
        if (harness_a != harness_b) {                                                              \
            printf("  check failed at %s:%d: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, #a,   \
                   #b, harness_a, harness_b);                                                      \
            harness_failed_checks++;                                                               \
        }                                                                                          \
    } while (0)

#define RUN_TEST(fn)                                                                               \
    do {                                                                                           \
        int harness_before = harness_failed_checks;                                                \
        fn();                                                                                      \
        int harness_ok = harness_failed_checks == harness_before;                                  \
        if (!harness_ok)                                                                           \
            harness_failed_tests++;                                                                \
        printf("%s %s:%s\n", harness_ok ? "PASS" : "FAIL", HARNESS_SUITE, #fn);                    \
        fflush(stdout);                                                                            \
    } while (0)

/* Exit status of a test program. */
#define HARNESS_EXIT() (harness_failed_tests ? 1 : 0)

#endif
