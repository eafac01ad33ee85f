#include "auth/authz.h"

#include <string.h>

#include "auth/acl.h"
#include "http/req.h"
#include "s3/errors.h"

bool authz_is_bucket_owner(const struct req *r)
{
    return r->bkt_loaded && r->who.type != PRINCIPAL_ANONYMOUS &&
           strcmp(r->who.account_id, r->bkt.owner_account) == 0;
}

bool authz_may_list(const struct req *r)
{
    return authz_is_bucket_owner(r) || acl_allows(r->bkt.acl, &r->who, "READ");
}

/* The bucket ACL permission that lets a non-owner run an operation, by its IAM action; NULL when
 * only the owner may (or, for object reads, when the object's own ACL decides). */
static const char *bucket_perm_for(const char *action, bool *object_decides)
{
    static const struct {
        const char *action;
        const char *perm;
    } map[] = {
        {"s3:ListBucket", "READ"},
        {"s3:ListBucketVersions", "READ"},
        {"s3:ListBucketMultipartUploads", "READ"},
        {"s3:PutObject", "WRITE"},
        {"s3:DeleteObject", "WRITE"},
        {"s3:AbortMultipartUpload", "WRITE"},
        {"s3:ListMultipartUploadParts", "WRITE"},
        {"s3:GetBucketAcl", "READ_ACP"},
        {"s3:PutBucketAcl", "WRITE_ACP"},
    };
    *object_decides = false;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].action, action) == 0)
            return map[i].perm;
    if (strncmp(action, "s3:GetObject", 12) == 0 || strncmp(action, "s3:PutObjectAcl", 15) == 0)
        *object_decides = true;
    return NULL;
}

int authz_request(struct req *r)
{
    const struct s3_op *op = r->op;
    bool anon = r->who.type == PRINCIPAL_ANONYMOUS;
    if (op->flags & OPF_ANON_OK)
        return 0;
    if (op->shape == SHAPE_SERVICE || op->shape == SHAPE_ACCOUNT || !r->bkt_loaded)
        return anon ? req_error(r, S3E_AccessDenied, NULL) : 0;
    if (authz_is_bucket_owner(r))
        return 0;
    bool object_decides;
    const char *perm = bucket_perm_for(op->iam_action, &object_decides);
    if (object_decides)
        return 0;
    if (perm && acl_allows(r->bkt.acl, &r->who, perm))
        return 0;
    return req_error(r, S3E_AccessDenied, NULL);
}

int authz_identity_only(struct req *r, const char *action, const char *resource)
{
    if (r->who.type == PRINCIPAL_ROOT)
        return 0;
    return req_errorf(r, S3E_AccessDenied,
                      "User: %s is not authorized to perform: %s on resource: %s because no "
                      "identity-based policy allows the %s action",
                      r->who.arn, action, resource, action);
}
