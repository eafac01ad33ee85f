/*
 * authz — may this principal run this operation on this resource? AWS's evaluation, for S3.
 *
 * The inputs, per request: the principal (auth/principal.h) with its identity policies (IAM
 * users' and roles' inline and attached policies, iam/iamstore.h) and its session policy
 * (r->session_policy), the bucket's policy (bucket configuration "policy"), the bucket's or the
 * object's ACL, the bucket's object ownership setting and the public access blocks of the
 * bucket's account and of the bucket (s3/pab.h). Each policy document is judged by
 * auth/iampol.h; this module combines the verdicts as the IAM and S3 user guides describe
 * ("Policy evaluation logic", "How Amazon S3 authorizes a request"):
 *
 *  1. An explicit Deny in any policy that applies (identity, session, bucket policy) refuses.
 *     The one exception is the bucket owner's root and the bucket policy calls
 *     (Get/Put/DeleteBucketPolicy), which S3 always lets the owner make so a policy can never
 *     lock the owner out; another account never makes them, whatever a policy grants (405
 *     MethodNotAllowed).
 *  2. The resource owner is the bucket owner for bucket operations and object writes, and the
 *     object owner for operations on an existing object (reads, its ACL). Within the owner's
 *     account: root is allowed; an IAM principal is allowed when its identity policies allow
 *     (and its session policy, when it has one, allows too), or when the bucket policy allows
 *     it by name (or everyone), or an ACL grants the action to everyone. A grant to the account
 *     itself (by canonical id, or a bucket policy naming the account) delegates to the identity
 *     policies.
 *  3. Across accounts (and for anonymous requests) both sides must allow: the resource side
 *     (the bucket policy naming the principal, its account or everyone; or an ACL grant to the
 *     account or a group that includes it) and the requester's side (root, or its identity
 *     policies). Anonymous requests have only the resource side, and only what is granted to
 *     everyone. A bucket policy cannot grant access to objects the bucket owner does not own.
 *  4. Public access blocks: IgnorePublicAcls makes grants to AllUsers / AuthenticatedUsers
 *     count for nothing; RestrictPublicBuckets, when the bucket policy is public, leaves
 *     policy-based access to principals of the bucket owner's account only. BucketOwnerEnforced
 *     disables ACLs entirely. (BlockPublicAcls and BlockPublicPolicy act when an ACL or policy
 *     is set, in the handlers.)
 *
 * Messages: a refusal within one account carries the IAM-style explanation S3 gives since 2024
 * ("User: <arn> is not authorized to perform: s3:GetObject on resource: "<arn>" because no
 * identity-based policy allows the s3:GetObject action", "... with an explicit deny in a
 * resource-based policy", ...); a refusal across accounts or of an anonymous request is plain
 * "Access Denied", as S3 gives no context outside the account. The record carries the same
 * text (record.c writes r->error_message).
 *
 * Calling sequence: route_prepare() calls authz_request() before the body is accepted. For the
 * operations whose decision needs the object (reads of an object and of its ACL, PutObjectAcl),
 * authz_request() decides what it can and leaves r->authz_object_pending set; the handler then
 * loads the object and calls authz_object(). authz_request() also decides r->owner_copy, which
 * authz_object() refines once the object is known.
 */
#ifndef S3TRAIL_AUTHZ_H
#define S3TRAIL_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>

struct req;

/* 0 or -S3E_AccessDenied (error set on r). Runs before the body is accepted. */
int authz_request(struct req *r) __attribute__((warn_unused_result));

/* The object-dependent part of the decision for the current operation (see above): owner is the
 * object's owner account, acl its ACL JSON (may be NULL). 0, or -S3E_AccessDenied (error set). */
int authz_object(struct req *r, const char *owner, const char *acl)
    __attribute__((warn_unused_result));

/* Another action on another object, judged like the request's own (CopyObject's read of its
 * source: s3:GetObject on the source; DeleteObjects: s3:DeleteObject per key). bucket is the
 * object's bucket (loaded by the caller), owner/acl the object's (NULL owner: the object does
 * not exist yet or need not be read, so the bucket owner is the resource owner). 0 or
 * -S3E_AccessDenied, with the error set on r only when set_error. */
struct bucket;
int authz_check(struct req *r, const char *action, const struct bucket *b, const char *key,
                const char *owner, const char *acl, bool set_error)
    __attribute__((warn_unused_result));

/* authz_check() of one action on many keys of bucket b (none read: the bucket owner is the
 * resource owner), sharing what the decisions load (DeleteObjects' up to 1000 keys need the
 * identity and bucket policies once). denied[i] tells each refusal; returns 0, or the first
 * failure that was not a refusal (-S3E_ServiceUnavailable, ...), nothing set on r. */
int authz_check_keys(struct req *r, const char *action, const struct bucket *b,
                     const char *const *keys, size_t n, bool *denied)
    __attribute__((warn_unused_result));

/* Whether the requester may list the addressed bucket (s3:ListBucket, judged as a listing with
 * the addressed key as its prefix). S3 tells a caller that a key does not exist (NoSuchKey) only
 * then; anyone else gets AccessDenied, so keys cannot be probed. */
bool authz_may_list(struct req *r);

/* Whether the requester's account owns the addressed bucket. */
bool authz_is_bucket_owner(const struct req *r);

/* The identity side alone, for IAM and STS calls (no resource policy): whether r->who's identity
 * policies, and its session policy, allow `action` on `resource` (an ARN or "*"). An account's
 * root is always allowed. 0, or -S3E_AccessDenied with the IAM-style message ("User: <arn> is
 * not authorized to perform: <action> on resource: <resource> because no identity-based policy
 * allows the <action> action") set on r. */
int authz_identity_only(struct req *r, const char *action, const char *resource)
    __attribute__((warn_unused_result));

#endif
