/*
 * fuzz_sigv2 — AWS Signature Version 2 as authn.c drives it (auth/sigv2.h).
 *
 * Input: a request head (harness.h), e.g.
 *   PUT /bucket/key?acl HTTP/1.1
 *   Date: Tue, 27 Mar 2007 21:15:45 +0000
 *   Content-Type: image/jpeg
 *   x-amz-meta-a: b
 *   Authorization: AWS AKIAIOSFODNN7EXAMPLE:MyyxeRY7whkBe+bq8fHCL/2kKUg=
 * or with AWSAccessKeyId/Signature/Expires in the query.
 *
 * Covered: sigv2_parse_authorization on the Authorization header, uri_parse_query and
 * sigv2_parse_presigned on the query, and for whichever parsed the string to sign (path as the
 * resource, sub-resources from the query) and sigv2_verify with its ceph and documentation
 * variants; the Date header through the HTTP date parser authn uses.
 *
 * Invariants: a request signed over sigv2_string_to_sign() verifies; one with another signature
 * does not; the same request with header names in another case and white space around the
 * values has the same string to sign.
 */
#include <string.h>

#include "auth/sigv2.h"
#include "auth/sigv4.h"
#include "harness.h"
#include "s3/errors.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

/* The string to sign of in with its headers rewritten: names case-flipped, values padded. */
static void check_variant(const struct sigv2_input *in, const struct sigv2_params *p,
                          const struct buf *sts)
{
    struct kv h[FUZZ_MAX_HEADERS];
    struct buf arena = BUF_INIT;
    size_t offs[FUZZ_MAX_HEADERS][2];
    for (size_t i = 0; i < in->n_headers; i++) {
        offs[i][0] = arena.len;
        for (const char *c = in->headers[i].name; *c; c++)
            buf_putc(&arena, (*c >= 'a' && *c <= 'z')   ? (char)(*c - 32)
                             : (*c >= 'A' && *c <= 'Z') ? (char)(*c + 32)
                                                        : *c);
        buf_putc(&arena, '\0');
        offs[i][1] = arena.len;
        buf_puts(&arena, " \t");
        buf_puts(&arena, in->headers[i].value);
        buf_puts(&arena, "\t ");
        buf_putc(&arena, '\0');
    }
    if (buf_ok(&arena)) {
        for (size_t i = 0; i < in->n_headers; i++) {
            h[i].name = arena.data + offs[i][0];
            h[i].value = arena.data + offs[i][1];
        }
        struct sigv2_input v = *in;
        v.headers = h;
        struct buf sts2 = BUF_INIT;
        FUZZ_CHECK(sigv2_string_to_sign(&v, p, &sts2) == 0);
        if (sts2.len != sts->len || memcmp(sts2.data, sts->data, sts->len) != 0) {
            fprintf(stderr, "strings to sign differ:\n%s\n----\n%s\n", sts->data, sts2.data);
            FUZZ_CHECK(!"the same request signs alike");
        }
        buf_free(&sts2);
    }
    buf_free(&arena);
}

static void check_signing(const struct sigv2_input *in, const struct sigv2_params *parsed)
{
    struct sigv2_params p = *parsed;
    struct buf sts = BUF_INIT;
    int rc = sigv2_string_to_sign(in, &p, &sts);
    if (!rc) {
        FUZZ_CHECK(buf_ok(&sts) && sts.data);
        check_variant(in, &p, &sts);
        sigv2_sign(SECRET, sts.data, sts.len, p.signature);
        struct buf sts2 = BUF_INIT;
        FUZZ_CHECK(sigv2_verify(in, &p, SECRET, &sts2) == 0);
        FUZZ_CHECK(sts2.len == sts.len && memcmp(sts2.data, sts.data, sts.len) == 0);
        buf_free(&sts2);
        p.signature[0] = p.signature[0] == 'A' ? 'B' : 'A';
        FUZZ_CHECK(sigv2_verify(in, &p, SECRET, NULL) == -S3E_SignatureDoesNotMatch);
    } else {
        /* A string to sign that cannot be built cannot be verified either. */
        FUZZ_CHECK(sigv2_verify(in, &p, SECRET, NULL) == rc);
    }
    buf_free(&sts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_http h;
    if (fuzz_http_parse(&h, data, size) != 0) {
        fuzz_http_free(&h);
        return 0;
    }
    struct sigv2_input in = {
        .method = h.method,
        .resource = h.path,
        .raw_query = h.query,
        .headers = h.h,
        .n_headers = h.nh,
    };
    /* The router parses the query before authentication and answers a bad escape with
     * InvalidURI, so the signature code only ever sees queries that parse. */
    struct query_param *q = NULL;
    size_t nq = 0;
    if (uri_parse_query(h.query, &q, &nq) == 0) {
        struct sigv2_params p;
        const char *authz = fuzz_http_header(&h, "Authorization");
        if (authz && sigv2_parse_authorization(authz, &p) == 0) {
            FUZZ_CHECK(p.access_key[0] && p.signature[0] && !p.presigned);
            check_signing(&in, &p);
        }
        if (sigv2_parse_presigned(q, nq, &p) == 0) {
            FUZZ_CHECK(p.presigned && p.expires_at >= 0);
            check_signing(&in, &p);
        }
        uri_query_free(q, nq);
    }

    const char *date = fuzz_http_header(&h, "Date");
    time_t t;
    if (date)
        (void)sigv4_parse_http_date(date, &t);
    fuzz_http_free(&h);
    return 0;
}
