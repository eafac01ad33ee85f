/* s3/bucket.c for fuzz_xml: exposes create_region (see shims.h). */
#include <string.h>

#define req_default_region fuzz_req_default_region
#define req_region_served fuzz_req_region_served
#include "s3/bucket.c"
#undef req_default_region
#undef req_region_served

#include "harness.h"
#include "shims.h"

const char *fuzz_req_default_region(const struct req *r)
{
    (void)r;
    return "us-east-1";
}

bool fuzz_req_region_served(const struct req *r, const char *region)
{
    (void)r;
    size_t len = strlen(region);
    for (const char *p = FUZZ_REGIONS; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && strncmp(p, region, n) == 0)
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

int fuzz_xml_create_bucket(struct req *r, char region[32])
{
    memset(region, 0x55, 32);
    int rc = create_region(r, region);
    FUZZ_CHECK(memchr(region, '\0', 32) != NULL);
    if (!rc)
        FUZZ_CHECK(fuzz_req_region_served(r, region));
    else
        FUZZ_CHECK(r->error != 0);
    return rc;
}
