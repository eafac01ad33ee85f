/* s3/multipart.c for fuzz_xml and fuzz_s3args: exposes complete_parse_body, copy_range and
 * part_number_param (see shims.h). */
#include "s3/multipart.c"

#include "harness.h"
#include "shims.h"

int fuzz_xml_complete_multipart(struct req *r)
{
    struct complete_state *s = calloc(1, sizeof *s);
    if (!s)
        return -S3E_ServiceUnavailable;
    int rc = complete_parse_body(r, s);
    if (!rc) {
        /* What complete_apply relies on: 1..10000 parts in strictly ascending order, ETags
         * that fit, checksums NUL-terminated. */
        FUZZ_CHECK(s->nwant >= 1 && s->nwant <= S3_MAX_PARTS);
        for (size_t i = 0; i < s->nwant; i++) {
            const struct want_part *w = &s->want[i];
            FUZZ_CHECK(w->number >= 1 && w->number <= S3_MAX_PARTS);
            FUZZ_CHECK(i == 0 || w->number > s->want[i - 1].number);
            FUZZ_CHECK(memchr(w->etag, '\0', sizeof w->etag) != NULL);
            FUZZ_CHECK(memchr(w->ck, '\0', sizeof w->ck) != NULL);
        }
    } else {
        FUZZ_CHECK(r->error != 0);
    }
    complete_state_free(s);
    return rc;
}

int fuzz_s3_copy_range(struct req *r, uint64_t size, uint64_t *off, uint64_t *len)
{
    return copy_range(r, size, off, len);
}

int fuzz_s3_part_number(struct req *r, int *out)
{
    return part_number_param(r, out);
}
