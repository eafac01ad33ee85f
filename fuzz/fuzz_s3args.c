/*
 * fuzz_s3args — the S3 handlers' parsers of header and query arguments: Range, x-amz-copy-source,
 * x-amz-copy-source-range, partNumber, continuation tokens, If-Match / If-None-Match lists and the
 * conditional-request evaluation, x-amz-checksum-* values (single and multipart composite),
 * stored object headers (Content-* and x-amz-meta-*, and their replay with response-* overrides),
 * and canned ACLs (x-amz-acl).
 *
 * Input: byte 0 selects, bytes 1-8 are a size (little-endian; the object size for ranges), the
 * rest is the argument as the client sends it (for the metadata selector: "name:value" lines):
 *   0 Range            1 x-amz-copy-source    2 x-amz-copy-source-range   3 partNumber
 *   4 continuation-token                      5 If-* lists and conditions
 *   6 x-amz-checksum-*                        7 stored headers            8 x-amz-acl
 *
 * Invariants: a range that is accepted lies inside the object and is not empty; a copy source
 * names a non-empty bucket and key of UTF-8 text; a part number is 1..10000; a continuation token
 * that decodes is one the server could have written (encoding what it decodes to gives a token
 * that decodes to the same); a checksum value that parses prints back to itself; stored headers
 * and ACLs are JSON and replay without error.
 */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "auth/acl.h"
#include "auth/principal.h"
#include "harness.h"
#include "http/req.h"
#include "s3/errors.h"
#include "s3/limits.h"
#include "s3/object.h"
#include "s3/s3util.h"
#include "shims.h"
#include "util/buf.h"
#include "util/checksum.h"
#include "util/hash.h"

#define OWNER "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
#define ETAG "a54357aff0632cce46d942af68356b38"

static void one_header(struct req *r, struct kv *h, const char *name, const char *value)
{
    h->name = name;
    h->value = value;
    r->headers = h;
    r->nheaders = 1;
}

static void check_range(const char *v, uint64_t size)
{
    uint64_t start = 0, len = 0;
    int rc = fuzz_s3_parse_range(v, size, &start, &len);
    FUZZ_CHECK(rc == 0 || rc == 1 || rc == -S3E_InvalidRange);
    if (rc == 0)
        FUZZ_CHECK(len >= 1 && start < size && len <= size - start);
}

static void check_copy_source(struct req *r, const char *v)
{
    struct kv h;
    one_header(r, &h, "x-amz-copy-source", v);
    char *path = NULL;
    const char *key = NULL;
    int rc = fuzz_s3_parse_copy_source(r, &path, &key);
    if (rc == 0) {
        FUZZ_CHECK(path && path[0] && key && key[0]);
        FUZZ_CHECK(buf_utf8_text(path, strlen(path)) && buf_utf8_text(key, strlen(key)));
    } else {
        FUZZ_CHECK(r->error && !path);
    }
    free(path);
}

static void check_copy_range(struct req *r, const char *v, uint64_t size)
{
    struct kv h;
    one_header(r, &h, "x-amz-copy-source-range", v);
    uint64_t off = 0, len = 0;
    int rc = fuzz_s3_copy_range(r, size, &off, &len);
    if (rc == 0)
        FUZZ_CHECK(len >= 1 && off < size && len <= size - off);
    else
        FUZZ_CHECK(r->error);
}

static void check_part_number(struct req *r, const char *v)
{
    struct query_param q = {.name = "partNumber", .value = (char *)v, .has_value = true};
    r->q = &q;
    r->nq = 1;
    int n = 0;
    int rc = fuzz_s3_part_number(r, &n);
    if (rc == 0)
        FUZZ_CHECK(n >= 1 && n <= S3_MAX_PARTS);
    else
        FUZZ_CHECK(r->error);
    r->q = NULL;
    r->nq = 0;
}

static void check_token(struct req *r, const char *v)
{
    char *after = NULL;
    if (s3_token_decode(r, "continuation-token", v, &after) != 0) {
        FUZZ_CHECK(r->error && !after);
        return;
    }
    FUZZ_CHECK(after && after[0]);
    char *tok = NULL, *again = NULL;
    FUZZ_CHECK(s3_token_encode(after, &tok) == 0);
    FUZZ_CHECK(s3_token_decode(r, "continuation-token", tok, &again) == 0);
    FUZZ_CHECK(strcmp(after, again) == 0);
    free(after);
    free(tok);
    free(again);
}

/* The value as each of the four conditional headers, for a GET and a copy. */
static void check_conditions(struct req *r, const char *v, uint64_t mtime)
{
    bool match = s3_etag_matches(v, ETAG);
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", ETAG);
    if (strcmp(v, quoted) == 0 || strcmp(v, "*") == 0)
        FUZZ_CHECK(match);
    (void)s3_etag_matches(v, "");
    static const char *const names[] = {"If-Match", "If-None-Match", "If-Modified-Since",
                                        "If-Unmodified-Since", "x-amz-copy-source-If-Match",
                                        "x-amz-copy-source-If-Modified-Since"};
    struct kv h[sizeof names / sizeof names[0]];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        h[i].name = names[i];
        h[i].value = v;
    }
    r->headers = h;
    for (size_t n = 1; n <= sizeof names / sizeof names[0]; n++) {
        r->nheaders = n;
        int rc = s3_conditions(r, ETAG, (int64_t)(mtime % 4102444800000ull), "");
        FUZZ_CHECK(rc == 0 || rc == -S3E_PreconditionFailed || rc == -S3E_NotModified);
        rc = s3_conditions(r, ETAG, 0, "x-amz-copy-source-");
        FUZZ_CHECK(rc == 0 || rc == -S3E_PreconditionFailed);
    }
    r->headers = NULL;
    r->nheaders = 0;
}

static void check_checksum(const char *v)
{
    static const enum cksum_algo algos[] = {CK_CRC32, CK_CRC32C, CK_CRC64NVME, CK_SHA1,
                                            CK_SHA256};
    (void)cksum_algo_from_name(v);
    for (size_t i = 0; i < sizeof algos / sizeof algos[0]; i++) {
        enum cksum_algo a = algos[i];
        uint64_t crc;
        if (cksum_is_crc(a) && cksum_crc_from_b64(a, v, &crc) == 0) {
            unsigned char raw[8];
            char b64[CKSUM_B64_MAX];
            cksum_crc_to_raw(a, crc, raw);
            FUZZ_CHECK(cksum_crc_from_raw(a, raw) == crc);
            hash_base64_encode(raw, cksum_len(a), b64);
            FUZZ_CHECK(strcmp(b64, v) == 0);
        }
        struct cksum_composite cc;
        if (cksum_composite_init(&cc, a) == 0 && cksum_composite_add(&cc, v) == 0 &&
            cksum_composite_add(&cc, v) == 0) {
            char out[CKSUM_COMPOSITE_MAX];
            FUZZ_CHECK(cksum_composite_final(&cc, out, sizeof out) == 0);
            size_t n = strlen(out);
            FUZZ_CHECK(n > 2 && strcmp(out + n - 2, "-2") == 0);
        }
        cksum_composite_free(&cc);
    }
}

/* "name:value" lines as request headers, stored and replayed as GetObject does. */
static void check_stored_headers(struct req *r, char *text)
{
    struct kv h[32];
    size_t n = 0;
    for (char *line = text, *next; line && n < 32; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        h[n].name = line;
        h[n].value = colon + 1;
        n++;
    }
    r->headers = h;
    r->nheaders = n;
    struct query_param q = {.name = "response-content-type", .value = "text/plain",
                            .has_value = true};
    r->q = &q;
    r->nq = n % 2; /* with and without an override */
    char *json = NULL;
    int rc = s3_headers_from_request(r, &json);
    if (rc == 0) {
        json_t *o = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
        FUZZ_CHECK(json_is_object(o) && json_object_get(o, "content-type"));
        json_decref(o);
        FUZZ_CHECK(s3_headers_to_response(r, json) == 0);
    }
    free(json);
    r->headers = NULL;
    r->nheaders = 0;
    r->q = NULL;
    r->nq = 0;
}

static void check_acl(const char *v)
{
    char *json = NULL;
    int rc = acl_from_canned(v, OWNER, "a" OWNER, &json);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL);
    if (rc == 0) {
        json_t *o = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
        FUZZ_CHECK(json_is_object(o));
        json_decref(o);
        struct principal p = {.type = PRINCIPAL_ANONYMOUS};
        (void)acl_allows(json, &p, "READ");
        p.type = PRINCIPAL_ROOT;
        snprintf(p.canonical_id, sizeof p.canonical_id, "%s", OWNER);
        FUZZ_CHECK(acl_allows(json, &p, "READ"));
    }
    free(json);
    /* acl_allows also reads stored ACLs; the value may be any text. */
    struct principal p = {.type = PRINCIPAL_ROOT};
    snprintf(p.canonical_id, sizeof p.canonical_id, "%s", OWNER);
    (void)acl_allows(v, &p, "WRITE");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    uint64_t n = 0;
    for (int i = 8; i >= 1; i--)
        n = n << 8 | data[i];
    char *v = malloc(size - 9 + 1);
    struct req *r = fuzz_req_new(NULL, 0);
    if (!v || !r) {
        free(v);
        fuzz_req_free(r);
        return 0;
    }
    memcpy(v, data + 9, size - 9);
    v[size - 9] = '\0';
    switch (data[0] % 9) {
    case 0: check_range(v, n); break;
    case 1: check_copy_source(r, v); break;
    case 2: check_copy_range(r, v, n); break;
    case 3: check_part_number(r, v); break;
    case 4: check_token(r, v); break;
    case 5: check_conditions(r, v, n); break;
    case 6: check_checksum(v); break;
    case 7: check_stored_headers(r, v); break;
    default: check_acl(v); break;
    }
    free(v);
    fuzz_req_free(r);
    return 0;
}
