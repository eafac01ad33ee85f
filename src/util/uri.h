/*
 * uri — percent-encoding the way AWS means it, strict percent-decoding, and the query-string
 * parser every handler uses.
 *
 * Encoding (uri_encode) keeps only RFC 3986's unreserved set A-Z a-z 0-9 - . _ ~ and writes every
 * other byte as %XX with upper-case hex; a space is "%20", never "+". With encode_slash false a '/'
 * passes through. This one function serves three callers:
 *   - SigV4 canonical URIs (per path segment, slash encoded) and canonical query strings
 *     (names and values, slash encoded);
 *   - S3 listings under encoding-type=url (keys, prefixes, markers, delimiters): slash NOT
 *     encoded. Chosen so: botocore decodes those fields with urllib's unquote_plus
 *     (handlers.py _decode_list_object → compat.unquote_str), which turns both "%20" and "+" into
 *     a space, and ceph's s3-tests (test_bucket_list_encoding_basic) expect exactly this form:
 *     "quux ab/" → "quux%20ab/", "asdf+b" → "asdf%2Bb". AWS itself has been measured writing a
 *     space as "+" there; "%20" is what s3-tests pins and what every decoder reads back the same,
 *     and a literal '+' is always "%2B", so the two never collide.
 *   - anything else that builds a URL (Location headers, redirects).
 *
 * Error domains: uri_encode returns the buf's -errno codes; the decoders and the query parser
 * speak S3 errors (s3/errors.h), mapping an allocation failure through s3err_from_errno(), because
 * small errno values and S3 error numbers overlap and one function must never mix the two.
 *
 * Decoding is strict: a '%' must be followed by two hex digits, otherwise -S3E_InvalidURI.
 *   - uri_decode() is for paths: '+' stays '+'. (S3 itself treats a '+' in a path as a space, a
 *     legacy of early clients; whoever maps a path to a key decides whether to follow that. SigV4
 *     canonicalisation follows what the client most likely signed, see sigv4.h.)
 *   - uri_decode_form() is for query names and values, where '+' means a space
 *     (application/x-www-form-urlencoded, and what S3 does with query parameters).
 * The decoded bytes may contain NUL (from "%00"); *outlen is authoritative, and a caller that
 * goes on to treat the result as a C string must reject memchr(out, 0, outlen).
 *
 * Query parsing (uri_parse_query) splits the raw query (the part after '?', still encoded) on
 * '&', skips empty pieces, splits each piece at its first '=', and form-decodes name and value.
 * Order and duplicates are kept. "a" gives has_value false and value ""; "a=" gives has_value true
 * and value "". SigV4 does not use the decoded pairs: it canonicalises from the raw query.
 */
#ifndef S3TRAIL_URI_H
#define S3TRAIL_URI_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* A borrowed name/value pair, e.g. one request header exactly as received (any case). */
struct kv {
    const char *name;
    const char *value;
};

/* Appends the AWS encoding of s[0..n) to b. Returns 0 or the buf error (-ENOMEM / -E2BIG), in
 * which case b is unchanged except for its failed flag. */
int uri_encode(struct buf *b, const char *s, size_t n, bool encode_slash)
    __attribute__((warn_unused_result));

/* Percent-decodes s[0..n) into a new NUL-terminated allocation (*out, caller frees) of *outlen
 * bytes; '+' is kept. Returns 0, -S3E_InvalidURI for a bad escape, or s3err_from_errno(-ENOMEM)
 * (-S3E_ServiceUnavailable). On failure *out is NULL. */
int uri_decode(const char *s, size_t n, char **out, size_t *outlen)
    __attribute__((warn_unused_result));
/* As uri_decode, but '+' becomes a space (query names and values). */
int uri_decode_form(const char *s, size_t n, char **out, size_t *outlen)
    __attribute__((warn_unused_result));

struct query_param {
    char *name;     /* decoded, owned */
    char *value;    /* decoded, owned; "" when there is no value */
    bool has_value; /* the piece had an '=' */
};

/* Parses raw (may be NULL or "") into *out (an owned array of *n params, NULL when *n is 0).
 * Returns 0, -S3E_InvalidURI for a bad escape, or s3err_from_errno(-ENOMEM); on failure *out is
 * NULL and *n 0. */
int uri_parse_query(const char *raw, struct query_param **out, size_t *n)
    __attribute__((warn_unused_result));
/* Frees what uri_parse_query returned. NULL is fine. */
void uri_query_free(struct query_param *q, size_t n);
/* Value of the first param called exactly `name` (case-sensitive, as S3 is): NULL when absent,
 * "" when present without a value. The pointer lives as long as q. */
const char *uri_query_get(const struct query_param *q, size_t n, const char *name);

#endif
