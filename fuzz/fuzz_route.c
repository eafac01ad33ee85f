/*
 * fuzz_route — the request router's parsing (http/route.c route_request): message framing
 * (Content-Length / Transfer-Encoding), the target split into path and query, the query's
 * decoding and text check, the bucket from a virtual host or the first path segment, the key
 * from the rest (percent-decoded, UTF-8 only), and the operation row matched from method, shape,
 * sub-resources and headers, or the JSON API's from X-Amz-Target.
 *
 * Input: a request head (harness.h), e.g.
 *   PUT /photos/2006/February/sample.jpg?uploadId=x&partNumber=2 HTTP/1.1
 *   Host: examplebucket.s3.example.com
 * The server configuration is the shim's: virtual hosts under s3.example.com, default region
 * us-east-1 (fuzz/shims.h).
 *
 * Invariants: an accepted request has an operation row of its method; an S3 row's shape is the
 * one the path gave (a bucket for bucket rows, a key for object rows), and bucket and key are
 * UTF-8 text (the bucket only for path-style requests, see below), the key no longer than S3
 * allows; a refused one carries an error.
 */
#include <string.h>

#include "harness.h"
#include "http/req.h"
#include "s3/limits.h"
#include "shims.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_http h;
    if (fuzz_http_parse(&h, data, size) != 0) {
        fuzz_http_free(&h);
        return 0;
    }
    struct req *r = fuzz_req_new(NULL, 0);
    struct buf target = BUF_INIT;
    buf_puts(&target, h.path);
    if (h.query) {
        buf_putc(&target, '?');
        buf_puts(&target, h.query);
    }
    if (!r || !buf_ok(&target)) {
        buf_free(&target);
        fuzz_req_free(r);
        fuzz_http_free(&h);
        return 0;
    }
    r->target = buf_detach(&target);
    r->method = h.method;
    r->headers = h.h;
    r->nheaders = h.nh;

    int rc = fuzz_route_request(r);
    if (rc == 0) {
        FUZZ_CHECK(r->op != NULL);
        FUZZ_CHECK(strcmp(r->op->method, r->method) == 0);
        if (r->protocol == PROTO_S3) {
            if (r->op->shape == SHAPE_BUCKET || r->op->shape == SHAPE_OBJECT)
                FUZZ_CHECK(r->bucket && r->bucket[0]);
            if (r->op->shape == SHAPE_OBJECT)
                FUZZ_CHECK(r->key && r->key[0]);
            if (r->op->shape == SHAPE_SERVICE)
                FUZZ_CHECK(!r->bucket);
            /* Only for path-style requests: route.c takes a virtual host's bucket from the Host
             * header unchecked (an open finding in docs/reliability.md; the seed
             * corpus/route/virtual-host-not-utf8 reproduces it). */
            if (r->bucket && !r->virtual_host)
                FUZZ_CHECK(buf_utf8_text(r->bucket, strlen(r->bucket)));
            if (r->key)
                FUZZ_CHECK(buf_utf8_text(r->key, strlen(r->key)) &&
                           strlen(r->key) <= S3_MAX_KEY_BYTES);
        }
    } else {
        FUZZ_CHECK(r->error || r->api_error[0]);
    }

    free(r->target);
    free(r->raw_path);
    free(r->raw_query);
    uri_query_free(r->q, r->nq);
    free(r->bucket);
    free(r->key);
    fuzz_req_free(r);
    fuzz_http_free(&h);
    return 0;
}
