/* s3/object.c for fuzz_xml and fuzz_s3args: exposes del_parse, parse_range and
 * parse_copy_source (see shims.h). */
#include "s3/object.c"

#include "harness.h"
#include "shims.h"

int fuzz_xml_delete_objects(struct req *r)
{
    struct del_state *s = calloc(1, sizeof *s);
    if (!s)
        return -S3E_ServiceUnavailable;
    int rc = del_parse(r, s);
    if (!rc) {
        FUZZ_CHECK(s->n >= 1 && s->n <= S3_MAX_DELETE_KEYS);
        for (size_t i = 0; i < s->n; i++)
            FUZZ_CHECK(s->v[i].key != NULL && s->v[i].error == 0);
    } else {
        FUZZ_CHECK(r->error != 0);
    }
    del_state_free(s);
    return rc;
}

int fuzz_s3_parse_range(const char *h, uint64_t size, uint64_t *start, uint64_t *len)
{
    return parse_range(h, size, start, len);
}

int fuzz_s3_parse_copy_source(struct req *r, char **path, const char **key)
{
    return parse_copy_source(r, path, key);
}
