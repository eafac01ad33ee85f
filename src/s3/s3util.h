/*
 * s3util — pieces every S3 handler family shares: time formats, the stored-headers JSON of an
 * object, Owner elements, reading XML request bodies, ETag and checksum response headers.
 */
#ifndef S3TRAIL_S3UTIL_H
#define S3TRAIL_S3UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <libxml/tree.h>

#include "store/store.h"
#include "util/buf.h"

struct req;

/* "2009-10-12T17:50:30.000Z" (ListObjects, ListBuckets, CopyObjectResult ...). */
void s3_time_iso8601(int64_t ms, char out[32]);
/* "Mon, 12 Oct 2009 17:50:30 GMT" (Last-Modified). */
void s3_time_http(int64_t ms, char out[40]);

/* The object headers S3 stores and replays on GET/HEAD, from a PUT/POST/Copy request:
 * Content-Type (default binary/octet-stream), Content-Encoding (aws-chunked removed),
 * Content-Disposition, Content-Language, Cache-Control, Expires, x-amz-website-redirect-location,
 * and x-amz-meta-* with lower-cased names. *json is an owned JSON object. Errors:
 * -S3E_MetadataTooLarge. */
int s3_headers_from_request(struct req *r, char **json) __attribute__((warn_unused_result));
/* Adds the stored headers to the response (response-* query overrides applied when allowed). */
int s3_headers_to_response(struct req *r, const char *json) __attribute__((warn_unused_result));

/* <Owner><ID>canonical</ID><DisplayName>name</DisplayName></Owner> (tag may be "Owner" or
 * "Initiator"); nothing when the account is unknown. */
int s3_put_owner(struct buf *b, struct store *st, const char *tag, const char *account_id);

/* Parses r->body.mem as XML. -S3E_MalformedXML when empty or not well-formed (the error is set
 * on r). *doc is owned by the caller (xmlFreeDoc). */
int s3_parse_xml_body(struct req *r, xmlDocPtr *doc) __attribute__((warn_unused_result));
/* First child element of `parent` with local name `name` (namespace ignored), or NULL. */
xmlNodePtr s3_xml_child(xmlNodePtr parent, const char *name);
/* Text content of a child element, owned (free with xmlFree) or NULL when absent. */
char *s3_xml_child_text(xmlNodePtr parent, const char *name);

/* The namespace of every S3 response document. */
#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"

/* An error with one extra element naming its subject (<BucketName>b</BucketName>); and the two
 * most common: NoSuchBucket with <BucketName>, NoSuchKey with <Key>. All return the negative
 * error, for `return s3_no_such_key(r, key);`. */
int s3_error_naming(struct req *r, int e, const char *tag, const char *value);
int s3_no_such_bucket(struct req *r, const char *bucket);
int s3_no_such_key(struct req *r, const char *key);

/* NotImplemented naming the first of these request headers that is present: headers that ask
 * for a feature not built yet are refused, never ignored. 0 when none is present. */
int s3_reject_headers(struct req *r, const char *const *names, size_t n)
    __attribute__((warn_unused_result));

/* The server-side encryption a write asks for with x-amz-server-side-encryption: *aes256 is set
 * for "AES256" (SSE-S3), left false when the header is absent. "aws:kms" and "aws:kms:dsse"
 * answer NotImplemented; any other value InvalidArgument "The encryption method specified is
 * not supported" naming the header and value, as S3 does (errors set on r). When bucket default
 * encryption is built, an absent header will take the bucket's default here (and the record
 * then says Default_SSE_S3, since the request did not name it). */
int s3_sse_choice(struct req *r, bool *aes256) __attribute__((warn_unused_result));

/* ETag header with quotes. */
int s3_add_etag(struct req *r, const char *etag);

/* The storage class a request asks for (x-amz-storage-class), validated: "STANDARD" default;
 * -S3E_InvalidStorageClass for unknown ones. */
int s3_storage_class(struct req *r, char out[32]) __attribute__((warn_unused_result));

/* The object-level authorization of the current operation on m (authz_object() with m's owner
 * and ACL); returns 0 or -S3E_AccessDenied (error set). */
int s3_check_object_read(struct req *r, const struct object_meta *m)
    __attribute__((warn_unused_result));

/* Listing parameters shared by the list operations (list.c, multipart.c):
 * s3_query_count: an integer query parameter (max-keys, max-parts, ...), dflt when absent;
 *   InvalidArgument (set on r) when not a non-negative integer.
 * s3_query_encoding: encoding-type, only "url" is valid (InvalidArgument otherwise).
 * s3_put_name: <tag>value</tag>, URL-encoded as S3 does when url is set. */
int s3_query_count(struct req *r, const char *name, long dflt, long *out)
    __attribute__((warn_unused_result));
int s3_query_encoding(struct req *r, bool *url) __attribute__((warn_unused_result));
void s3_put_name(struct buf *b, const char *tag, const char *s, bool url);

/*
 * Continuation tokens (ListObjectsV2, ListBuckets) are opaque to clients but carry nothing
 * secret: the name or key the next page starts after, behind a version byte, in URL-safe base64
 * so a client that forgets to encode it in the query still hands it back intact. A token that
 * does not decode to that shape is refused (InvalidArgument naming `param`, set on r) as S3
 * refuses a token it did not issue. Both outputs are owned by the caller.
 */
int s3_token_encode(const char *after, char **tok) __attribute__((warn_unused_result));
int s3_token_decode(struct req *r, const char *param, const char *tok, char **after)
    __attribute__((warn_unused_result));

#endif
