/*
 * object — helpers the object handler families share (object.c, multipart.c).
 */
#ifndef S3TRAIL_S3_OBJECT_H
#define S3TRAIL_S3_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct req;

/* Whether an If-Match / If-None-Match value ("etag", "a", "b", W/"x", *) names etag (no
 * quotes). */
bool s3_etag_matches(const char *list, const char *etag);

/* Evaluates If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since with S3's
 * precedence. prefix "" for GET/HEAD (returns -S3E_PreconditionFailed or -S3E_NotModified),
 * "x-amz-copy-source-" for copies (every failure is -S3E_PreconditionFailed). 0 when all hold. */
int s3_conditions(struct req *r, const char *etag, int64_t mtime_ms, const char *prefix);

/* Reads [off, off+len) of an object (inline data or segment blobs) and hands it to sink in
 * pieces; a nonzero sink return stops and is returned. -errno on read failure. */
int s3_object_read(struct store *st, const struct object_meta *m, uint64_t off, uint64_t len,
                   int (*sink)(void *arg, const void *p, size_t n), void *arg);

/* NotImplemented for request headers naming features not built yet (tagging, object lock,
 * SSE-C, KMS), so they are never silently ignored. The ACL of a new object and its owner come
 * from s3_object_write_acl() (s3/acl_ops.h). */
int s3_reject_unbuilt_object_headers(struct req *r) __attribute__((warn_unused_result));

/* Parses x-amz-copy-source ("[/]bucket/key[?versionId=v]", URL-encoded), loads the source bucket
 * and object and checks the principal may read it. Errors (set on r): InvalidArgument,
 * NoSuchBucket, NoSuchKey, NoSuchVersion, AccessDenied. src is filled and owned by the caller. */
int s3_copy_source(struct req *r, struct bucket *sb, struct object_meta *src)
    __attribute__((warn_unused_result));

#endif
