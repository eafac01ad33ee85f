/*
 * sigv2 — AWS Signature Version 2 as S3 checks it (the "AWS AKID:signature" Authorization header
 * and AWSAccessKeyId/Signature/Expires query authentication).
 *
 *   Signature    = Base64(HMAC-SHA1(secret, StringToSign))
 *   StringToSign = METHOD "\n" Content-MD5 "\n" Content-Type "\n" Date "\n"
 *                  CanonicalizedAmzHeaders CanonicalizedResource
 *
 *   Date: the Date header, trimmed; "" when an x-amz-date header is present (x-amz-date then
 *         signs as an amz header, as boto and ceph do); for query authentication the Expires
 *         parameter exactly as sent.
 *   CanonicalizedAmzHeaders: every x-amz-* header, names lower-cased, values trimmed (folded
 *         lines unfolded), same-name values joined with ',' in arrival order, sorted by name,
 *         each "name:value\n". For query authentication x-amz-* query parameters count as well,
 *         and Content-MD5 / Content-Type may come from the query: botocore's presigner moves
 *         those headers into the URL.
 *   CanonicalizedResource: the resource path as sent, still percent-encoded, always including
 *         the bucket ("/bucket/key", "/bucket/", "/" for the service; for virtual-hosted and
 *         CNAME requests the caller builds "/bucket" + path), then the sub-resources present in
 *         the query, sorted by name, with their values percent-decoded ('+' kept, as botocore
 *         signs them): "?acl", "?partNumber=2&uploadId=x". A piece written "uploads=" signs as
 *         "uploads=", a bare "uploads" as "uploads".
 *
 * The sub-resource list is the union of the S3 documentation's, botocore's (HmacV1Auth
 * QSAOfInterest) and boto's. Two variations exist in the wild and sigv2_verify() accepts both,
 * trying them only when the request could be affected:
 *   - ceph rgw (and clients written against it) also signs encryption, policyStatus,
 *     publicAccessBlock, start-date and end-date;
 *   - the S3 documentation's own DELETE example signs the x-amz-date value in the Date position
 *     and leaves x-amz-date out of the amz headers.
 *
 * Calling sequence: sigv2_parse_authorization() (or sigv2_parse_presigned() on the parsed query,
 * 1 = not V2 query auth); check the time (Date/x-amz-date within 15 minutes, or Expires not yet
 * past — the caller's job); look up the secret; sigv2_verify().
 *
 * Errors are negative S3 errors; allocation failures come back through s3err_from_errno().
 */
#ifndef S3TRAIL_SIGV2_H
#define S3TRAIL_SIGV2_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/uri.h"

struct sigv2_params {
    char access_key[129];
    char signature[64]; /* base64 as sent (28 characters for HMAC-SHA1) */
    bool presigned;
    char expires[24];     /* the Expires parameter as sent (query authentication) */
    long long expires_at; /* the same, as seconds since the epoch */
};

struct sigv2_input {
    const char *method;
    const char *resource;  /* "/bucket/key" as sent, still percent-encoded; see above */
    const char *raw_query; /* after '?', as received, or NULL */
    const struct kv *headers;
    size_t n_headers;
};

/* "AWS AKID:signature" → 0, or -S3E_InvalidArgument ("AWS authorization header is invalid.
 * Expected AwsAccessKeyId:signature"). */
int sigv2_parse_authorization(const char *value, struct sigv2_params *out)
    __attribute__((warn_unused_result));

/* AWSAccessKeyId, Signature, Expires from the parsed query. Returns 1 when none is present, 0 when
 * all are, or -S3E_AccessDenied (S3: "Query-string authentication requires the Signature,
 * Expires and AWSAccessKeyId parameters"; also for an Expires that is not a decimal number of
 * seconds). A space in Signature is read back as '+': form decoding turns an unescaped '+' into
 * a space, and base64 never contains spaces. */
int sigv2_parse_presigned(const struct query_param *q, size_t n, struct sigv2_params *out)
    __attribute__((warn_unused_result));

/* Appends the string to sign (standard variant) to out. Returns 0, -S3E_InvalidURI (a bad escape
 * in a sub-resource value) or an allocation error. */
int sigv2_string_to_sign(const struct sigv2_input *in, const struct sigv2_params *p,
                         struct buf *out) __attribute__((warn_unused_result));

/* Base64(HMAC-SHA1(secret, sts[0..len))) with NUL into out (29 bytes). */
void sigv2_sign(const char *secret, const char *sts, size_t len, char out[29]);

/* Computes and compares the signature (constant time), trying the variants described above.
 * sts_out, when not NULL, receives the standard string to sign for a SignatureDoesNotMatch body.
 * Returns 0, -S3E_SignatureDoesNotMatch, or an error of sigv2_string_to_sign(). */
int sigv2_verify(const struct sigv2_input *in, const struct sigv2_params *p, const char *secret,
                 struct buf *sts_out) __attribute__((warn_unused_result));

#endif
