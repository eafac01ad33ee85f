/*
 * authz — may this principal run this operation on this bucket?
 *
 * For now (foundation): an account's principals may do everything on the account's buckets and
 * the objects in them; other principals, and anonymous requests, only what the bucket's ACL grants
 * (READ for listing, WRITE for object writes and deletes); object reads by others are decided by
 * the object's ACL in the handler (s3_check_object_read). Bucket policies, IAM policies and public
 * access blocks join here with the identity issue.
 */
#ifndef S3TRAIL_AUTHZ_H
#define S3TRAIL_AUTHZ_H

#include <stdbool.h>

struct req;

/* 0 or -S3E_AccessDenied (error set on r). Runs before the body is accepted. */
int authz_request(struct req *r) __attribute__((warn_unused_result));
/* Whether the requester's account owns the addressed bucket. */
bool authz_is_bucket_owner(const struct req *r);
/* Whether the requester may list the addressed bucket (s3:ListBucket). S3 tells a caller that a
 * key does not exist (NoSuchKey) only then; anyone else gets AccessDenied, so keys cannot be
 * probed. */
bool authz_may_list(const struct req *r);

/* The identity side alone, for IAM and STS calls (no resource policy): whether r->who's identity
 * policies, and its session policy, allow `action` on `resource` (an ARN or "*"). An account's
 * root is always allowed. 0, or -S3E_AccessDenied with the IAM-style message ("User: <arn> is
 * not authorized to perform: <action> on resource: <resource> because no identity-based policy
 * allows the <action> action") set on r. */
int authz_identity_only(struct req *r, const char *action, const char *resource)
    __attribute__((warn_unused_result));

#endif
