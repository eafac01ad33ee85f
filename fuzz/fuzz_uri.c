/*
 * fuzz_uri — percent-decoding, AWS percent-encoding and the query parser (util/uri.h).
 *
 * Input: any bytes, read as a path or query value (uri_decode, uri_decode_form, uri_encode)
 * and, up to the first NUL, as a raw query string (uri_parse_query, uri_query_get).
 *
 * Invariants: decoding never grows the input and NUL-terminates; the path and form decoders
 * accept exactly the same inputs; encoding then decoding gives the bytes back (with '/' encoded
 * or not); encode(decode(x)) is a fixed point, which is what makes the SigV4 canonical URI
 * independent of how a client escaped it; the query parser fails with *out NULL and *n 0, makes
 * at most one parameter per '&'-separated piece, and uri_query_get finds each name's first
 * occurrence.
 */
#include <string.h>

#include "harness.h"
#include "s3/errors.h"

static void check_roundtrip(const char *d, size_t dn)
{
    for (int slash = 0; slash < 2; slash++) {
        struct buf e = BUF_INIT;
        FUZZ_CHECK(uri_encode(&e, d, dn, slash) == 0);
        FUZZ_CHECK(e.len >= dn && e.len <= 3 * dn && strlen(e.data ? e.data : "") == e.len);
        char *back;
        size_t bn;
        FUZZ_CHECK(uri_decode(e.data ? e.data : "", e.len, &back, &bn) == 0);
        FUZZ_CHECK(bn == dn && memcmp(back, d, dn) == 0);
        /* The encoding is canonical: encoding the decoded encoding changes nothing. */
        struct buf e2 = BUF_INIT;
        FUZZ_CHECK(uri_encode(&e2, back, bn, slash) == 0);
        FUZZ_CHECK(e2.len == e.len && memcmp(e2.data ? e2.data : "", e.data ? e.data : "", e.len) == 0);
        free(back);
        buf_free(&e);
        buf_free(&e2);
    }
}

static void check_query(const char *raw)
{
    struct query_param *q = (struct query_param *)1;
    size_t n = 1;
    int rc = uri_parse_query(raw, &q, &n);
    if (rc) {
        FUZZ_CHECK(rc == -S3E_InvalidURI);
        FUZZ_CHECK(q == NULL && n == 0);
        return;
    }
    size_t pieces = 1;
    for (const char *p = raw; *p; p++)
        pieces += *p == '&';
    FUZZ_CHECK(n <= pieces);
    FUZZ_CHECK((n == 0) == (q == NULL));
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(q[i].name && q[i].value);
        FUZZ_CHECK(q[i].has_value || q[i].value[0] == '\0');
        const char *v = uri_query_get(q, n, q[i].name);
        size_t first = 0;
        while (strcmp(q[first].name, q[i].name) != 0)
            first++;
        FUZZ_CHECK(v == q[first].value);
    }
    uri_query_free(q, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char *d = NULL, *f = NULL;
    size_t dn = 0, fn = 0;
    int rd = uri_decode(s, size, &d, &dn);
    int rf = uri_decode_form(s, size, &f, &fn);
    FUZZ_CHECK(rd == rf);
    if (rd == 0) {
        FUZZ_CHECK(dn <= size && fn == dn && d[dn] == '\0' && f[fn] == '\0');
        check_roundtrip(d, dn);
        check_roundtrip(f, fn);
    } else {
        FUZZ_CHECK(rd == -S3E_InvalidURI && d == NULL && f == NULL);
    }
    free(d);
    free(f);

    char *raw = malloc(size + 1);
    if (!raw)
        return 0;
    memcpy(raw, data, size);
    raw[size] = '\0';
    check_query(raw);
    free(raw);
    return 0;
}
