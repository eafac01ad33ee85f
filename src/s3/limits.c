#include "s3/limits.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/req.h"
#include "s3/errors.h"

static int too_large(struct req *r, unsigned long long size, unsigned long long max)
{
    buf_printf(&r->error_extra, "<ProposedSize>%llu</ProposedSize><MaxSizeAllowed>%llu</MaxSizeAllowed>",
               size, max);
    return req_error(r, S3E_EntityTooLarge, NULL);
}

int limits_check_request(struct req *r)
{
    const struct s3_op *op = r->op;
    if (op->body == BODY_OBJECT && strcmp(op->method, "PUT") == 0) {
        const char *dl = req_header(r, "x-amz-decoded-content-length");
        unsigned long long size = r->content_length;
        if (dl) {
            char *end;
            size = strtoull(dl, &end, 10);
            if (*end || end == dl || dl[0] == '-')
                return req_error(r, S3E_InvalidArgument, "Invalid x-amz-decoded-content-length");
        } else if (!r->has_content_length && !req_header(r, "Transfer-Encoding")) {
            return req_error(r, S3E_MissingContentLength, NULL);
        }
        if (size > S3_MAX_PUT_BYTES)
            return too_large(r, size, S3_MAX_PUT_BYTES);
    }
    /* Documents and ignored bodies have their own ceilings; refuse an announced oversize one
     * before it is sent. */
    if (op->body != BODY_OBJECT && r->has_content_length &&
        r->content_length > (op->body == BODY_XML ? OP_XML_BODY_MAX : LIMITS_IGNORED_BODY_MAX)) {
        buf_printf(&r->error_extra, "<Size>%llu</Size><MaxMessageLengthBytes>%u</MaxMessageLengthBytes>",
                   (unsigned long long)r->content_length,
                   op->body == BODY_XML ? OP_XML_BODY_MAX : LIMITS_IGNORED_BODY_MAX);
        return req_error(r, S3E_MaxMessageLengthExceeded, NULL);
    }
    /* User metadata is measured before the body is accepted: the sum of the UTF-8 bytes of each
     * name (without x-amz-meta-) and value. */
    size_t meta = 0;
    for (size_t i = 0; i < r->nheaders; i++)
        if (strncasecmp(r->headers[i].name, "x-amz-meta-", 11) == 0)
            meta += strlen(r->headers[i].name) - 11 + strlen(r->headers[i].value);
    if (meta > S3_MAX_USER_META_BYTES) {
        buf_printf(&r->error_extra, "<Size>%zu</Size><MaxSizeAllowed>%d</MaxSizeAllowed>", meta,
                   S3_MAX_USER_META_BYTES);
        return req_error(r, S3E_MetadataTooLarge, NULL);
    }
    return 0;
}
