/*
 * fuzz_sigv4 — AWS Signature Version 4 as authn.c drives it (auth/sigv4.h).
 *
 * Input: a request head (harness.h), e.g.
 *   GET /bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=... HTTP/1.1
 *   Host: bucket.s3.amazonaws.com
 *   x-amz-date: 20130524T000000Z
 *   Authorization: AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, ...
 *
 * Covered: sigv4_parse_authorization and sigv4_request_time on the Authorization header;
 * uri_parse_query and sigv4_parse_presigned on the query; for whichever parsed, the canonical
 * request in all four '+' readings, the string to sign, and sigv4_verify; the date parsers on
 * every header value; the streaming mode of x-amz-content-sha256.
 *
 * Invariants: a request signed with the canonical request of the default reading verifies
 * (sigv4_verify must build exactly what sigv4_canonical_request built); a different signature
 * does not; an amz date that parses formats back to the same 16 characters. And the canonical
 * request is what SigV4 says it is independent of: the same request written differently — header
 * names in another case, values with extra white space around them, an unreserved path byte
 * percent-encoded (upper or lower case hex), the query's pieces in reverse order — has the same
 * request time and the same canonical request.
 */
#include <stdbool.h>
#include <string.h>

#include "auth/chunked.h"
#include "auth/sigv4.h"
#include "harness.h"
#include "s3/errors.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static void check_signing(const struct sigv4_input *in, const struct sigv4_params *parsed)
{
    struct sigv4_params p = *parsed;
    struct buf creq = BUF_INIT, sts = BUF_INIT;
    int rc = sigv4_canonical_request(in, &p, NULL, &creq);
    /* The other '+' readings must not fail differently from the default one: they only change
     * how '+' decodes. */
    for (int reading = 1; reading < 4; reading++) {
        struct sigv4_input v = *in;
        v.path_plus_is_space = reading & 1;
        v.query_plus_is_literal = reading & 2;
        struct buf other = BUF_INIT;
        int rc2 = sigv4_canonical_request(&v, &p, NULL, &other);
        FUZZ_CHECK(rc2 == rc);
        FUZZ_CHECK(rc2 || buf_ok(&other));
        buf_free(&other);
    }
    if (!rc)
        rc = sigv4_string_to_sign(&p, creq.data, &sts);
    if (!rc) {
        FUZZ_CHECK(strncmp(sts.data, SIGV4_ALGORITHM "\n", sizeof SIGV4_ALGORITHM) == 0);
        unsigned char key[32], key2[32];
        sigv4_signing_key(SECRET, p.date, p.region, p.service, key);
        sigv4_signature(key, sts.data, p.signature);
        struct buf c2 = BUF_INIT, s2 = BUF_INIT;
        FUZZ_CHECK(sigv4_verify(in, &p, SECRET, NULL, key2, &c2, &s2) == 0);
        FUZZ_CHECK(memcmp(key, key2, sizeof key) == 0);
        FUZZ_CHECK(c2.len == creq.len && memcmp(c2.data, creq.data, creq.len) == 0);
        FUZZ_CHECK(s2.len == sts.len && memcmp(s2.data, sts.data, sts.len) == 0);
        buf_free(&c2);
        buf_free(&s2);
        p.signature[0] = p.signature[0] == '0' ? '1' : '0';
        FUZZ_CHECK(sigv4_verify(in, &p, SECRET, NULL, NULL, NULL, NULL) ==
                   -S3E_SignatureDoesNotMatch);
        char scope[SIGV4_SCOPE_MAX];
        FUZZ_CHECK(sigv4_scope(&p, scope, sizeof scope) == 0);
    }
    buf_free(&creq);
    buf_free(&sts);
}

static bool unreserved(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* The same request written differently (see the top comment); the strings live in *arena. */
struct variant {
    struct sigv4_input in;
    struct kv h[FUZZ_MAX_HEADERS];
    struct buf arena;
};

static bool make_variant(struct variant *v, const struct sigv4_input *in, uint32_t seed)
{
    memset(v, 0, sizeof *v);
    v->in = *in;
    /* Offsets first, pointers after: the arena moves while it grows. */
    size_t path_off = 0, query_off = 0, name_off[FUZZ_MAX_HEADERS], value_off[FUZZ_MAX_HEADERS];
    struct buf *a = &v->arena;
    const char *path = in->raw_path;
    size_t plen = strlen(path), unres = 0;
    /* Bytes inside a %XX escape are not the path's own: they stay as they are. */
    for (size_t i = 0; i < plen; i++) {
        if (path[i] == '%')
            i += 2;
        else
            unres += unreserved(path[i]);
    }
    size_t pick = unres ? seed % unres : 0;
    for (size_t i = 0, k = 0; i < plen; i++) {
        if (path[i] == '%') {
            size_t n = plen - i < 3 ? plen - i : 3;
            buf_append(a, path + i, n);
            i += n - 1;
        } else if (unreserved(path[i]) && k++ == pick) {
            static const char hexu[] = "0123456789ABCDEF", hexl[] = "0123456789abcdef";
            const char *hex = seed & 0x10000 ? hexl : hexu;
            unsigned char c = (unsigned char)path[i];
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_append(a, esc, 3);
        } else {
            buf_putc(a, path[i]);
        }
    }
    buf_putc(a, '\0');
    /* The '&'-separated pieces, last first; unless X-Amz-Content-Sha256 comes twice, when the
     * first one is the payload hash and the order matters. */
    struct query_param *qp = NULL;
    size_t nq = 0, hashes = 0;
    if (uri_parse_query(in->raw_query, &qp, &nq) == 0)
        for (size_t i = 0; i < nq; i++)
            hashes += strcmp(qp[i].name, "X-Amz-Content-Sha256") == 0;
    uri_query_free(qp, nq);
    if (in->raw_query && hashes > 1) {
        query_off = a->len;
        buf_puts(a, in->raw_query);
        buf_putc(a, '\0');
    } else if (in->raw_query) {
        query_off = a->len;
        const char *q = in->raw_query;
        size_t end = strlen(q);
        bool first = true;
        while (end > 0 || first) {
            size_t start = end;
            while (start > 0 && q[start - 1] != '&')
                start--;
            if (!first)
                buf_putc(a, '&');
            buf_append(a, q + start, end - start);
            first = false;
            if (start == 0)
                break;
            end = start - 1;
        }
        buf_putc(a, '\0');
    }
    for (size_t i = 0; i < in->n_headers; i++) {
        name_off[i] = a->len;
        for (const char *c = in->headers[i].name; *c; c++)
            buf_putc(a, (*c >= 'a' && *c <= 'z')   ? (char)(*c - 32)
                        : (*c >= 'A' && *c <= 'Z') ? (char)(*c + 32)
                                                   : *c);
        buf_putc(a, '\0');
        value_off[i] = a->len;
        buf_puts(a, " \t");
        buf_puts(a, in->headers[i].value);
        buf_puts(a, "\t ");
        buf_putc(a, '\0');
    }
    if (!buf_ok(a))
        return false;
    v->in.raw_path = a->data + path_off;
    v->in.raw_query = in->raw_query ? a->data + query_off : NULL;
    for (size_t i = 0; i < in->n_headers; i++) {
        v->h[i].name = a->data + name_off[i];
        v->h[i].value = a->data + value_off[i];
    }
    v->in.headers = v->h;
    return true;
}

static void check_variant(const struct sigv4_input *in, const struct sigv4_params *p,
                          uint32_t seed)
{
    struct variant v;
    if (!make_variant(&v, in, seed)) {
        buf_free(&v.arena);
        return;
    }
    struct sigv4_params p1 = *p, p2 = *p;
    time_t t1, t2;
    if (!p->presigned) {
        int r1 = sigv4_request_time(in, &p1, &t1), r2 = sigv4_request_time(&v.in, &p2, &t2);
        FUZZ_CHECK(r1 == r2);
        FUZZ_CHECK(r1 || (t1 == t2 && strcmp(p1.amz_date, p2.amz_date) == 0));
    }
    struct buf c1 = BUF_INIT, c2 = BUF_INIT;
    int r1 = sigv4_canonical_request(in, &p1, NULL, &c1);
    int r2 = sigv4_canonical_request(&v.in, &p2, NULL, &c2);
    FUZZ_CHECK(r1 == r2);
    if (!r1 && (c1.len != c2.len || memcmp(c1.data, c2.data, c1.len) != 0)) {
        fprintf(stderr, "canonical requests differ:\n%s\n----\n%s\n", c1.data, c2.data);
        FUZZ_CHECK(!"the same request canonicalises alike");
    }
    buf_free(&c1);
    buf_free(&c2);
    buf_free(&v.arena);
}

static void check_dates(const char *v)
{
    time_t t;
    if (sigv4_parse_amz_date(v, &t) == 0) {
        char back[17];
        FUZZ_CHECK(sigv4_format_amz_date(t, back) == 0);
        FUZZ_CHECK(strcmp(back, v) == 0);
    }
    if (sigv4_parse_http_date(v, &t) == 0) {
        char back[17];
        (void)sigv4_format_amz_date(t, back);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_http h;
    if (fuzz_http_parse(&h, data, size) != 0) {
        fuzz_http_free(&h);
        return 0;
    }
    struct sigv4_input in = {
        .method = h.method,
        .raw_path = h.path,
        .raw_query = h.query,
        .headers = h.h,
        .n_headers = h.nh,
    };
    uint32_t seed = 0;
    for (size_t i = 0; i < size; i++)
        seed = seed * 31 + data[i];
    struct sigv4_params p;
    const char *authz = fuzz_http_header(&h, "Authorization");
    if (authz && sigv4_parse_authorization(authz, &p) == 0) {
        FUZZ_CHECK(strlen(p.signature) == 64 && p.access_key[0] && strlen(p.date) == 8);
        time_t t;
        if (sigv4_request_time(&in, &p, &t) == 0)
            check_signing(&in, &p);
        check_variant(&in, &p, seed);
    }

    struct query_param *q = NULL;
    size_t nq = 0;
    if (uri_parse_query(h.query, &q, &nq) == 0) {
        if (sigv4_parse_presigned(q, nq, &p) == 0) {
            FUZZ_CHECK(p.presigned && p.expires >= 1 && p.expires <= 604800);
            time_t t;
            FUZZ_CHECK(sigv4_parse_amz_date(p.amz_date, &t) == 0);
            check_signing(&in, &p);
            check_variant(&in, &p, seed);
        }
        for (size_t i = 0; i < nq; i++)
            check_dates(q[i].value);
        uri_query_free(q, nq);
    }

    for (size_t i = 0; i < h.nh; i++)
        check_dates(h.h[i].value);
    enum chunked_mode mode;
    (void)chunked_mode_from_header(fuzz_http_header(&h, "x-amz-content-sha256"), &mode);
    fuzz_http_free(&h);
    return 0;
}
