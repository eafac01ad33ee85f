/*
 * unit — the one C unit-test runner's registry. A test file (tests/unit/test_<module>.c, mirroring
 * src/) defines tests with TEST(name) { ... } and checks with CHECK / CHECK_EQ_INT / CHECK_EQ_STR;
 * they register themselves at load time, so there is no list to edit. `tests/unit/run` runs all;
 * `tests/unit/run NAME...` runs the tests whose name starts with NAME.
 */
#ifndef S3TRAIL_UNIT_H
#define S3TRAIL_UNIT_H

#include <stdio.h>
#include <string.h>

typedef void (*unit_fn)(void);
void unit_register(const char *name, unit_fn fn);
extern int unit_failures;

#define TEST(name)                                                                               \
    static void test_##name(void);                                                               \
    __attribute__((constructor)) static void reg_##name(void)                                    \
    {                                                                                            \
        unit_register(#name, test_##name);                                                       \
    }                                                                                            \
    static void test_##name(void)

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);           \
            unit_failures++;                                                                     \
        }                                                                                        \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                       \
    do {                                                                                         \
        long long a_ = (long long)(a), b_ = (long long)(b);                                      \
        if (a_ != b_) {                                                                          \
            fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, a_,  \
                    b_);                                                                         \
            unit_failures++;                                                                     \
        }                                                                                        \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                       \
    do {                                                                                         \
        const char *a_ = (a), *b_ = (b);                                                         \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                 \
            fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,  \
                    a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                     \
            unit_failures++;                                                                     \
        }                                                                                        \
    } while (0)

#endif
