#include "http/route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/authn.h"
#include "auth/authz.h"
#include "http/req.h"
#include "http/server.h"
#include "iam/qapi.h"
#include "s3/errors.h"
#include "s3/limits.h"
#include "s3/s3util.h"
#include "trail/ctapi.h"

/* Splits the raw target into path and query, keeping both exactly as sent (SigV4 signs them). */
static int split_target(struct req *r)
{
    const char *t = r->target;
    const char *qm = strchr(t, '?');
    size_t plen = qm ? (size_t)(qm - t) : strlen(t);
    r->raw_path = strndup(t, plen);
    if (!r->raw_path)
        return -S3E_InternalError;
    if (qm) {
        r->raw_query = strdup(qm + 1);
        if (!r->raw_query)
            return -S3E_InternalError;
    }
    if (r->raw_path[0] != '/')
        return req_error(r, S3E_InvalidURI, NULL);
    return 0;
}

static int decode_part(struct req *r, const char *s, size_t n, char **out)
{
    size_t len;
    int rc = uri_decode(s, n, out, &len);
    if (rc)
        return req_error(r, S3E_InvalidURI, NULL);
    /* A key with an encoded NUL cannot be stored as a C string, and one that is not UTF-8 could
     * not be listed or echoed into the XML documents and records that declare UTF-8; S3 answers
     * InvalidURI to such a path (a HEAD of "/bucket/%AE%8A-" is 400 there). */
    if (!buf_utf8_text(*out, len)) {
        free(*out);
        *out = NULL;
        return req_error(r, S3E_InvalidURI, NULL);
    }
    return 0;
}

/* The decoded query must be text as well: prefixes, markers, tokens and upload ids are echoed
 * back. The parser keeps no lengths, but its decoding is strict, so a NUL can only have come from
 * a literal "%00" in the raw query. */
static bool query_is_text(const struct req *r)
{
    if (r->raw_query && strstr(r->raw_query, "%00"))
        return false;
    for (size_t i = 0; i < r->nq; i++)
        if (!buf_utf8_text(r->q[i].name, strlen(r->q[i].name)) ||
            !buf_utf8_text(r->q[i].value, strlen(r->q[i].value)))
            return false;
    return true;
}

/*
 * Message framing that two parties could read differently (RFC 9112 §6): Content-Length given
 * twice with different values, or together with Transfer-Encoding, or a transfer coding other
 * than chunked, whose body MHD would read until the connection closes. MHD 0.9.75 takes the first
 * Content-Length and lets Transfer-Encoding win, keeping the connection, so the rest of the body
 * would be read as another request. Refused here, before authentication; a refusal on the first
 * call with a body announced closes the connection (server.c), which is what §6.1 asks for.
 */
static int check_framing(struct req *r)
{
    const char *cl = NULL;
    const char *te = NULL;
    for (size_t i = 0; i < r->nheaders; i++) {
        const char *name = r->headers[i].name;
        const char *value = r->headers[i].value;
        if (strcasecmp(name, "Content-Length") == 0) {
            if (cl && strcmp(cl, value) != 0) {
                /* Answered at once, so the connection closes (server.c) even when the first
                 * value, the one MHD went by, was 0: the bytes after the head are nobody's. */
                r->has_body = true;
                return req_error(r, S3E_BadRequest, "Conflicting Content-Length headers");
            }
            cl = value;
        } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
            if (te)
                te = ""; /* a list of codings in two fields: not plain chunked */
            else
                te = value;
        }
    }
    if (!te)
        return 0;
    /* Whatever is refused below announced a body that only the connection's end delimits for
     * MHD: the answer must close the connection instead of waiting for it. */
    r->has_body = true;
    if (strcasecmp(te, "chunked") != 0) {
        buf_puts(&r->error_extra, "<Header>Transfer-Encoding</Header>");
        return req_error(r, S3E_NotImplemented, NULL);
    }
    if (cl)
        return req_error(r, S3E_BadRequest,
                         "Content-Length and Transfer-Encoding must not both be sent");
    return 0;
}

/* Virtual-hosted style: Host is <bucket>.<domain>[:port]. */
static int bucket_from_host(struct req *r, char **bucket)
{
    *bucket = NULL;
    if (!r->host)
        return 0;
    const char *domain = server_cfg(r->srv)->domain;
    size_t dl = strlen(domain);
    size_t hl = strcspn(r->host, ":");
    if (r->host[0] == '[') /* IPv6 literal */
        return 0;
    if (dl == 0 || hl <= dl + 1)
        return 0;
    const char *suffix = r->host + hl - dl;
    if (strncasecmp(suffix, domain, dl) != 0 || suffix[-1] != '.')
        return 0;
    *bucket = strndup(r->host, hl - dl - 1);
    return *bucket ? 0 : -S3E_InternalError;
}

static bool query_matches(const struct req *r, const char *spec)
{
    if (!spec)
        return true;
    const char *p = spec;
    while (*p) {
        size_t n = strcspn(p, " ");
        char want[64];
        if (n >= sizeof want)
            return false;
        memcpy(want, p, n);
        want[n] = '\0';
        char *eq = strchr(want, '=');
        if (eq)
            *eq = '\0';
        const char *v = req_query(r, want);
        if (!v || (eq && strcmp(v, eq + 1) != 0))
            return false;
        p += n;
        while (*p == ' ')
            p++;
    }
    return true;
}

const struct s3_op *route_match(const struct req *r, int shape)
{
    const char *ctype = req_header(r, "Content-Type");
    bool form = ctype && strncasecmp(ctype, "multipart/form-data", 19) == 0;
    for (size_t i = 0; i < s3_ops_count; i++) {
        const struct s3_op *op = &s3_ops[i];
        if ((int)op->shape != shape || strcmp(op->method, r->method) != 0)
            continue;
        if (op->flags & OPF_UNROUTED)
            continue;
        if ((op->flags & OPF_FORM) && !form)
            continue;
        if (!query_matches(r, op->query))
            continue;
        if (op->header) {
            bool neg = op->header[0] == '!';
            bool present = req_header(r, op->header + neg) != NULL;
            if (present == neg)
                continue;
        }
        return op;
    }
    return NULL;
}

/* Whether the request carries a sub-resource some row keys on (acl, versioning, uploads, ...)
 * that the matched row does not: DELETE /bucket?versioning must never reach DeleteBucket. The
 * parameters that are also plain arguments of the bare rows (versionId, partNumber on GET) do not
 * count. */
static bool stray_subresource(const struct req *r, const struct s3_op *matched)
{
    static const char *const plain[] = {"versionId", "partNumber", "uploadId", "list-type"};
    for (size_t i = 0; i < r->nq; i++) {
        const char *name = r->q[i].name;
        bool is_plain = false;
        for (size_t j = 0; j < sizeof plain / sizeof plain[0]; j++)
            if (strcmp(name, plain[j]) == 0)
                is_plain = true;
        if (is_plain || (matched->query && strstr(matched->query, name)))
            continue;
        size_t n = strlen(name);
        for (size_t k = 0; k < s3_ops_count; k++) {
            const char *q = s3_ops[k].query;
            while (q && *q) {
                size_t m = strcspn(q, " =");
                if (m == n && strncmp(q, name, n) == 0)
                    return true;
                q += strcspn(q, " ");
                while (*q == ' ')
                    q++;
            }
        }
    }
    return false;
}

static bool method_known(const char *m)
{
    static const char *const known[] = {"GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(m, known[i]) == 0)
            return true;
    return false;
}

int route_request(struct req *r)
{
    int rc = check_framing(r);
    if (rc)
        return rc;
    rc = split_target(r);
    if (rc)
        return rc;
    if (uri_parse_query(r->raw_query, &r->q, &r->nq) || !query_is_text(r))
        return req_error(r, S3E_InvalidURI, NULL);
    r->host = req_header(r, "Host");

    /* The JSON 1.1 APIs on the same port are told apart by X-Amz-Target. */
    const char *target = req_header(r, "X-Amz-Target");
    /* The Query APIs (IAM, STS): POST / with a form body, or GET /?Action=..., on no bucket. */
    if (!target && strcmp(r->raw_path, "/") == 0) {
        char *vbucket;
        rc = bucket_from_host(r, &vbucket);
        if (rc)
            return rc;
        const struct s3_op *pending = qapi_detect(r, vbucket != NULL);
        free(vbucket);
        if (pending) {
            r->protocol = PROTO_QUERY;
            snprintf(r->region, sizeof r->region, "%s", req_default_region(r));
            r->op = pending;
            return 0;
        }
    }
    if (target && strcmp(r->method, "POST") == 0) {
        r->protocol = PROTO_JSON;
        snprintf(r->region, sizeof r->region, "%s", req_default_region(r));
        r->op = ct_route(target);
        if (!r->op)
            return req_api_error(r, 400, "UnknownOperationException",
                                 "The operation %s is not known", target);
        return 0;
    }
    int shape;
    const char *path = r->raw_path;
    if (strncmp(path, "/v20180820/", 11) == 0) {
        shape = SHAPE_ACCOUNT;
    } else {
        char *vbucket;
        rc = bucket_from_host(r, &vbucket);
        if (rc)
            return rc;
        const char *rest;
        if (vbucket) {
            r->virtual_host = true;
            r->bucket = vbucket;
            rest = path + 1;
        } else {
            const char *seg = path + 1;
            size_t n = strcspn(seg, "/");
            if (n > 0) {
                rc = decode_part(r, seg, n, &r->bucket);
                if (rc)
                    return rc;
            }
            rest = seg[n] == '/' ? seg + n + 1 : seg + n;
        }
        if (r->bucket && *rest) {
            rc = decode_part(r, rest, strlen(rest), &r->key);
            if (rc)
                return rc;
        }
        shape = !r->bucket ? SHAPE_SERVICE : !r->key ? SHAPE_BUCKET : SHAPE_OBJECT;
    }
    snprintf(r->region, sizeof r->region, "%s", req_default_region(r));

    if (r->key && strlen(r->key) > S3_MAX_KEY_BYTES) {
        buf_printf(&r->error_extra, "<Size>%zu</Size><MaxSizeAllowed>%d</MaxSizeAllowed>",
                   strlen(r->key), S3_MAX_KEY_BYTES);
        return req_error(r, S3E_KeyTooLongError, NULL);
    }
    r->op = route_match(r, shape);
    if (!r->op) {
        if (!method_known(r->method))
            return req_error(r, S3E_MethodNotAllowed, NULL);
        /* A known method on a shape no row takes (POST to an object without a sub-resource,
         * say) is what S3 answers 405 to as well. */
        buf_printf(&r->error_extra, "<Method>%s</Method><ResourceType>%s</ResourceType>",
                   r->method, shape == SHAPE_OBJECT ? "OBJECT" : shape == SHAPE_BUCKET ? "BUCKET" : "SERVICE");
        return req_error(r, S3E_MethodNotAllowed, NULL);
    }
    if (shape == SHAPE_ACCOUNT && strcmp(path, "/v20180820/configuration/publicAccessBlock") != 0)
        return req_errorf(r, S3E_NotImplemented,
                          "This S3 Control API is not implemented by this server");
    if (stray_subresource(r, r->op)) {
        buf_printf(&r->error_extra, "<Method>%s</Method><ResourceType>%s</ResourceType>",
                   r->method, shape == SHAPE_OBJECT ? "OBJECT" : "BUCKET");
        return req_error(r, S3E_MethodNotAllowed, NULL);
    }
    return 0;
}

int route_prepare(struct req *r)
{
    const struct s3_op *op = r->op;
    if (r->protocol == PROTO_JSON) {
        /* A regional API: the region is the one the client signed for (checked below to be
         * served). */
        if (r->sig_region[0])
            snprintf(r->region, sizeof r->region, "%.31s", r->sig_region);
        if (!op->handler)
            return ct_not_implemented(r);
    }
    if (!op->handler)
        return req_errorf(r, S3E_NotImplemented,
                          "The %s operation is not implemented by this server", op->name);
    if (r->protocol == PROTO_QUERY) {
        /* Not recorded until qapi_dispatch() has read which action this is: AWS records no
         * call to an action that does not exist, nor one refused before it is known. */
        r->audited = false;
        if (r->who.type == PRINCIPAL_ANONYMOUS)
            return req_api_error(r, 403, "MissingAuthenticationToken",
                                 "Request is missing Authentication Token");
        /* IAM is global: a signature for any region is good. STS is regional: the region it
         * was signed for must be one this server serves (checked below). Authorization is the
         * handler's (authz_identity_only): there is no bucket. */
        if (!qapi_is_sts(op) || !r->sig_region[0] || req_region_served(r, r->sig_region)) {
            int rc = limits_check_request(r);
            return rc ? rc : body_init_for(r);
        }
    }

    bool needs_bucket = (op->shape == SHAPE_BUCKET || op->shape == SHAPE_OBJECT) &&
                        strcmp(op->name, "CreateBucket") != 0;
    if (needs_bucket) {
        int rc = store_bucket_get(r->st, r->bucket, &r->bkt);
        if (rc == -ENOENT)
            return s3_no_such_bucket(r, r->bucket);
        if (rc)
            return req_error(r, -s3err_from_errno(rc), NULL);
        r->bkt_loaded = true;
        snprintf(r->region, sizeof r->region, "%s", r->bkt.region);
        /* A SigV4 signature is scoped to a region: one for another region than the bucket's is
         * refused with the bucket's region named, which is what SDKs redirect on. */
        if (r->sig_region[0] && strcmp(r->sig_region, r->bkt.region) != 0) {
            buf_puts(&r->error_extra, "<Region>");
            buf_put_xml(&r->error_extra, r->bkt.region);
            buf_puts(&r->error_extra, "</Region>");
            return req_errorf(r, S3E_AuthorizationHeaderMalformed,
                              "The authorization header is malformed; the region '%s' is wrong; "
                              "expecting '%s'",
                              r->sig_region, r->bkt.region);
        }
        /* The client's guard against writing into a bucket that changed hands. */
        const char *expected = req_header(r, "x-amz-expected-bucket-owner");
        if (expected && strcmp(expected, r->bkt.owner_account) != 0)
            return req_error(r, S3E_AccessDenied, NULL);
    }
    if (!r->bkt_loaded && r->sig_region[0] && !req_region_served(r, r->sig_region)) {
        buf_puts(&r->error_extra, "<Region>");
        buf_put_xml(&r->error_extra, req_default_region(r));
        buf_puts(&r->error_extra, "</Region>");
        return req_errorf(r, S3E_AuthorizationHeaderMalformed,
                          "The authorization header is malformed; the region '%s' is wrong; "
                          "expecting '%s'",
                          r->sig_region, req_default_region(r));
    }
    int rc = authz_request(r);
    if (rc)
        return rc;
    rc = limits_check_request(r);
    if (rc)
        return rc;
    if (op->precheck && (rc = op->precheck(r)))
        return rc;
    return body_init_for(r);
}

int route_finish_body(struct req *r)
{
    int rc = body_finish(&r->body, r);
    return rc ? rc : authn_finish_body(r);
}

int route_dispatch(struct req *r)
{
    return r->op->handler(r);
}
