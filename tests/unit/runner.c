#include "unit.h"

#include <stdlib.h>

int unit_failures;

static struct {
    const char *name;
    unit_fn fn;
} tests[512];
static int ntests;

void unit_register(const char *name, unit_fn fn)
{
    if (ntests == (int)(sizeof tests / sizeof tests[0])) {
        fprintf(stderr, "unit: too many tests\n");
        abort();
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

static int cmp(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    return strcmp(*x, *y);
}

int main(int argc, char **argv)
{
    /* Constructors register in link order; sort so output is stable. */
    qsort(tests, (size_t)ntests, sizeof tests[0], cmp);
    int run = 0, failed = 0;
    for (int i = 0; i < ntests; i++) {
        int selected = argc < 2;
        for (int a = 1; a < argc; a++)
            if (strncmp(tests[i].name, argv[a], strlen(argv[a])) == 0)
                selected = 1;
        if (!selected)
            continue;
        int before = unit_failures;
        tests[i].fn();
        run++;
        if (unit_failures != before) {
            failed++;
            printf("FAIL %s\n", tests[i].name);
        } else {
            printf("ok   %s\n", tests[i].name);
        }
    }
    printf("%d tests, %d failed\n", run, failed);
    return failed ? 1 : 0;
}
