/*
 * sigv4 — AWS Signature Version 4 as S3 checks it: Authorization headers, presigned URLs, and the
 * chained chunk/trailer signatures of aws-chunked bodies (decoded by auth/chunked.h).
 *
 * The signature is HMAC-SHA256(signing key, string to sign), where
 *   signing key    = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
 *   string to sign = "AWS4-HMAC-SHA256\n" amz_date "\n" date/region/service/aws4_request "\n"
 *                    hex(SHA-256(canonical request))
 *   canonical request = METHOD "\n" canonical URI "\n" canonical query "\n"
 *                       canonical headers (each "name:value\n") "\n" signed headers "\n"
 *                       payload hash
 *
 * S3's canonicalisation rules, which differ from the generic SigV4 test suite's:
 *   - The URI path is NOT normalised ("//a/./b" stays) and NOT double-encoded. Each segment is
 *     rebuilt as uri_encode(uri_decode(segment)), so "/a%7Eb", "/a~b" and "/a%7eb" all canonicalise
 *     to "/a~b" and "$" to "%24", whatever the client's URL library chose to escape.
 *   - Query pieces are split on '&', each at its first '='; names and values are decoded and
 *     re-encoded, sorted by encoded name then encoded value; "a" and "a=" both become "a=".
 *     For presigned URLs X-Amz-Signature is left out.
 *   - Header values are trimmed and every run of whitespace inside becomes one space; headers that
 *     occur several times are joined with ',' in arrival order; names are lower-cased.
 *   - '+' is ambiguous in practice. By default a '+' in the path is a literal plus (%2B) and a
 *     '+' in the query is a space (%20, form encoding, as S3 and ceph read query strings);
 *     sigv4_verify() retries with the other reading when the request contains a '+', because
 *     clients exist on both sides (s3cmd signs path '+' as a space; curl signs query '+' as a
 *     plus). Both readings require the secret, so accepting either admits no forgery.
 *
 * Calling sequence (header auth):
 *   struct sigv4_params p;
 *   rc = sigv4_parse_authorization(authz_header, &p);       // access key, scope, signature
 *   rc = sigv4_request_time(&in, &p, &t);                   // x-amz-date/Date → p.amz_date
 *   ... look up the secret for p.access_key, check the clock skew of t ...
 *   rc = sigv4_verify(&in, &p, secret, NULL, key, &creq, &sts);
 * Presigned: uri_parse_query(); rc = sigv4_parse_presigned(q, n, &p) (1 = not presigned); check
 * expiry with sigv4_parse_amz_date(p.amz_date) + p.expires; then sigv4_verify() as above.
 * For aws-chunked bodies keep the signing key (`key`) and p.signature (the seed) for chunked.h.
 *
 * Errors are negative S3 errors (s3/errors.h); allocation failures come back as
 * s3err_from_errno(-ENOMEM). Nothing here asserts on client input.
 */
#ifndef S3TRAIL_SIGV4_H
#define S3TRAIL_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/buf.h"
#include "util/uri.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* "YYYYMMDD/region/service/aws4_request" with region and service at most 63 bytes each */
#define SIGV4_SCOPE_MAX 160

struct sigv4_input {
    const char *method;
    const char *raw_path;     /* request-target path exactly as received, still percent-encoded */
    const char *raw_query;    /* after '?', as received, or NULL */
    const struct kv *headers; /* every request header, any case, duplicates as separate entries */
    size_t n_headers;
    /* The '+' readings used by sigv4_canonical_request (sigv4_verify tries both on its own):
     * false/false is the default described above. */
    bool path_plus_is_space;
    bool query_plus_is_literal;
};

struct sigv4_params {
    char access_key[129];
    char date[9]; /* YYYYMMDD of the credential scope */
    char region[64];
    char service[64];
    char amz_date[17]; /* YYYYMMDDTHHMMSSZ; filled by the presigned parser or sigv4_request_time */
    char signed_headers[1024]; /* "host;x-amz-date", as the client wrote it */
    char signature[65];        /* 64 lower-case hex digits */
    bool presigned;
    long long expires; /* X-Amz-Expires in seconds (presigned only), 1..604800 */
};

/* Parses "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=a;b,
 * Signature=<64 hex>" — components in any order, separated by commas and/or spaces. Fills every
 * field but amz_date/expires. Returns 0 or -S3E_AuthorizationHeaderMalformed (wrong algorithm,
 * missing or repeated component, credential not AK/date/region/service/aws4_request, a field too
 * long, a signature that is not 64 lower-case hex digits). */
int sigv4_parse_authorization(const char *value, struct sigv4_params *out)
    __attribute__((warn_unused_result));

/* Reads X-Amz-Algorithm/Credential/Date/Expires/SignedHeaders/Signature from a parsed query.
 * Returns 1 when none of them is present (not a SigV4 presigned request), 0 when all are valid,
 * or -S3E_AuthorizationQueryParametersError (some missing, algorithm not AWS4-HMAC-SHA256,
 * malformed credential or date, credential date different from X-Amz-Date's, X-Amz-Expires not an
 * integer in 1..604800). Expiry against the clock is the caller's check. */
int sigv4_parse_presigned(const struct query_param *q, size_t n, struct sigv4_params *out)
    __attribute__((warn_unused_result));

/* Header auth: takes the request time from X-Amz-Date, else Date, into p->amz_date and *t.
 * Either header may be in ISO 8601 basic form (20130524T000000Z) or an HTTP date. Returns 0,
 * -S3E_AccessDenied when neither header holds a valid date ("AWS authentication requires a valid
 * Date or x-amz-date header"), or -S3E_AuthorizationHeaderMalformed when the credential's date
 * is not the request's date. */
int sigv4_request_time(const struct sigv4_input *in, struct sigv4_params *p, time_t *t)
    __attribute__((warn_unused_result));

/* Builds the canonical request into out (appended). payload_hash is used verbatim when not NULL;
 * when NULL the S3 rule applies: the x-amz-content-sha256 header if present, else for presigned
 * requests an X-Amz-Content-Sha256 query parameter or "UNSIGNED-PAYLOAD", else (header auth
 * without the header) -S3E_InvalidRequest. A signed header missing from the request canonicalises
 * with an empty value (and so fails verification). Returns 0, -S3E_InvalidURI (bad %-escape in
 * path or query), -S3E_InvalidRequest, or an allocation error. */
int sigv4_canonical_request(const struct sigv4_input *in, const struct sigv4_params *p,
                            const char *payload_hash, struct buf *out)
    __attribute__((warn_unused_result));

/* Appends the string to sign for canonical_request (needs p->amz_date). Returns 0, or
 * -S3E_AuthorizationHeaderMalformed when p->amz_date is empty, or an allocation error. */
int sigv4_string_to_sign(const struct sigv4_params *p, const char *canonical_request,
                         struct buf *out) __attribute__((warn_unused_result));

/* Derives the signing key. Never fails. The key is a secret: keep it off logs. */
void sigv4_signing_key(const char *secret, const char *date, const char *region,
                       const char *service, unsigned char key[32]);
/* hex(HMAC-SHA256(key, string_to_sign)) with NUL. */
void sigv4_signature(const unsigned char key[32], const char *string_to_sign, char hex[65]);

/* "date/region/service/aws4_request" from p into out (cap bytes). Returns 0 or -E2BIG. */
int sigv4_scope(const struct sigv4_params *p, char *out, size_t cap)
    __attribute__((warn_unused_result));

/* Computes and checks the request signature. Derives the signing key from secret and p's scope;
 * when key_out is not NULL it receives the key (for chunk signatures). creq_out and sts_out, when
 * not NULL, receive the canonical request and string to sign of the default '+' reading, for the
 * <CanonicalRequest>/<StringToSign> of a SignatureDoesNotMatch error body. Returns 0,
 * -S3E_SignatureDoesNotMatch, or an error of sigv4_canonical_request(). */
int sigv4_verify(const struct sigv4_input *in, const struct sigv4_params *p, const char *secret,
                 const char *payload_hash, unsigned char key_out[32], struct buf *creq_out,
                 struct buf *sts_out) __attribute__((warn_unused_result));

/* aws-chunked signatures, chained from the seed (the request signature):
 *   chunk:   "AWS4-HMAC-SHA256-PAYLOAD\n" amz_date "\n" scope "\n" prev_sig "\n"
 *            hex(SHA-256("")) "\n" hex(data_sha256)
 *   trailer: "AWS4-HMAC-SHA256-TRAILER\n" amz_date "\n" scope "\n" prev_sig "\n"
 *            hex(trailer_sha256)
 * where the trailer hash covers each trailing header as "name:value\n". Never fail (inputs longer
 * than the formats allow are truncated, which cannot match a valid signature). */
void sigv4_chunk_signature(const unsigned char key[32], const char *amz_date, const char *scope,
                           const char *prev_sig, const unsigned char data_sha256[32], char hex[65]);
void sigv4_trailer_signature(const unsigned char key[32], const char *amz_date, const char *scope,
                             const char *prev_sig, const unsigned char trailer_sha256[32],
                             char hex[65]);

/* ---- dates ---- */

/* "20130524T000000Z" (exactly; a real calendar date and time) → seconds since the epoch, UTC.
 * Returns 0 or -EINVAL. */
int sigv4_parse_amz_date(const char *s, time_t *out) __attribute__((warn_unused_result));
/* HTTP dates: RFC 1123 "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT",
 * asctime "Sun Nov  6 08:49:37 1994". The zone may be GMT, UTC, Z or a numeric "+0000"/"-0130"
 * offset (the S3 SigV2 documentation signs "Tue, 27 Mar 2007 19:36:42 +0000"); asctime has none
 * and is UTC. Surrounding spaces are ignored; the weekday is not cross-checked. Used for Date,
 * If-Modified-Since and SigV2. Returns 0 or -EINVAL. */
int sigv4_parse_http_date(const char *s, time_t *out) __attribute__((warn_unused_result));
/* t → "YYYYMMDDTHHMMSSZ". Returns 0, or -EINVAL when t is outside years 0..9999. */
int sigv4_format_amz_date(time_t t, char out[17]) __attribute__((warn_unused_result));

#endif
