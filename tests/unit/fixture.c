#include "fixture.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"
#include "unit.h"

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void unit_rmtree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

bool unit_store_open(char dir[64], const char *tag, struct store **st)
{
    snprintf(dir, 64, "/tmp/s3trail-%s-XXXXXX", tag);
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return false;
    }
    int rc = store_open(dir, st);
    CHECK_EQ_INT(rc, 0);
    return rc == 0;
}

void unit_store_close(const char *dir, struct store *st)
{
    store_close(st);
    unit_rmtree(dir);
}
