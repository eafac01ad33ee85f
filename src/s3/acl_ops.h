/*
 * acl_ops — S3's ACL calls (GetBucketAcl, PutBucketAcl, GetObjectAcl, PutObjectAcl; declared
 * in s3/handlers.h) and the ACL every write stores: x-amz-acl or the x-amz-grant-* headers on
 * CreateBucket, PutObject, CopyObject and CreateMultipartUpload, under the bucket's object
 * ownership (s3/ownership.h) and Block Public Access (s3/pab.h).
 *
 * An ACL arrives in one of three forms, never two at once:
 *  - x-amz-acl, a canned ACL (unknown name: InvalidArgument);
 *  - x-amz-grant-read / -write / -read-acp / -write-acp / -full-control, each a list of
 *    id="<canonical id>", emailAddress="<address>" or uri="<group URI>" (malformed or an unknown
 *    group: InvalidArgument); the ACL is exactly the grants listed, the owner gets no implicit
 *    grant (its rights as owner need none);
 *  - an AccessControlPolicy document (Put*Acl only; not well formed or not valid:
 *    MalformedACLError, an Owner/ID other than the resource's owner: AccessDenied).
 * A canned ACL with grant headers is InvalidRequest; a header form with a body UnexpectedContent;
 * a Put*Acl with neither MissingSecurityHeader. Grantees must exist: an unknown e-mail address is
 * UnresolvableGrantByEmailAddress, an unknown canonical id InvalidArgument "Invalid id".
 *
 * Authorization is not decided here: the common code (auth/authz.c) lets the owner, and those
 * the ACL grants READ_ACP / WRITE_ACP, reach these handlers.
 */
#ifndef S3TRAIL_ACL_OPS_H
#define S3TRAIL_ACL_OPS_H

#include <stdbool.h>

#include "s3/ownership.h"
#include "store/store.h"

struct req;

/* For PutObject (and its precheck), CopyObject and CreateMultipartUpload into the addressed
 * bucket: the stored ACL (*acl, owned by the caller) and the account that owns what is written
 * (owner_account): the bucket owner under BucketOwnerEnforced, and under BucketOwnerPreferred
 * when x-amz-acl is bucket-owner-full-control; the writer otherwise. The ACL's `owner` is that
 * account's canonical id. Errors (set on r): InvalidArgument, InvalidRequest,
 * UnresolvableGrantByEmailAddress, AccessControlListNotSupported (an ACL other than the bucket
 * owner's FULL_CONTROL under BucketOwnerEnforced), AccessDenied (a public ACL under
 * BlockPublicAcls); store failures as S3 errors. A write without ACL headers by the bucket owner
 * costs no store read. */
int s3_object_write_acl(struct req *r, char **acl, char owner_account[13])
    __attribute__((warn_unused_result));

/* For CreateBucket: the new bucket's ACL from the request headers, the requester owning it;
 * own is the x-amz-object-ownership asked for (OWN_OBJECT_WRITER when none).
 * InvalidBucketAclWithObjectOwnership for an ACL granting others with BucketOwnerEnforced;
 * AccessDenied for a public ACL when the requester's account blocks public ACLs; the header
 * errors above. *acl owned by the caller. */
int s3_bucket_create_acl(struct req *r, enum ownership own, char **acl)
    __attribute__((warn_unused_result));

/* CompleteMultipartUpload decides the new object's owner in the writer's transaction, where the
 * store is not read for accounts; what it needs is gathered first, on the request's thread, by
 * s3_owner_rule() (store errors as S3 errors). s3_upload_object_owner() then writes the owner's
 * account: the bucket owner when the bucket is BucketOwnerEnforced now, or when the upload's
 * ACL (written by s3_object_write_acl at CreateMultipartUpload) is owned by the bucket owner;
 * the initiator otherwise. */
struct owner_rule {
    bool enforced;
    char bucket_owner_canonical[65];
};
int s3_owner_rule(struct req *r, struct owner_rule *out) __attribute__((warn_unused_result));
void s3_upload_object_owner(const struct req *r, const struct owner_rule *rule,
                            const struct upload *u, char owner_account[13]);

#endif
