/*
 * iam — the IAM actions this server implements (handlers of iam_ops, qapi.h): users and their
 * access keys, roles, inline policies of users and roles, customer managed policies and their
 * attachments. Entities are kept by iamstore.h.
 *
 * Every handler validates its parameters as botocore's iam/2010-05-08 model constrains them
 * (ValidationError), authorizes with authz_identity_only(r, "iam:<Action>", <the entity's ARN>)
 * before saying whether the entity exists (AccessDenied never leaks existence), then reads (on
 * the request's thread) or changes (one writer item, re-reading what it checks inside the
 * transaction, so check-then-write is atomic) and answers. Errors as IAM gives them:
 * NoSuchEntity 404, EntityAlreadyExists 409, MalformedPolicyDocument 400, LimitExceeded 409,
 * DeleteConflict 409, ValidationError 400. Each sets the record's requestParameters, and
 * responseElements for the writes, never holding a secret.
 *
 * Limits (IAM's defaults): 2 access keys per user, 10 managed policies attached per user or
 * role, 2048 characters of inline policy per user (all its documents together), 10240 per role,
 * 6144 per managed policy.
 */
#ifndef S3TRAIL_IAM_H
#define S3TRAIL_IAM_H

struct req;

#define IAM_MAX_KEYS_PER_USER 2
#define IAM_MAX_ATTACHED 10

int iam_create_user(struct req *r);
int iam_get_user(struct req *r);
int iam_list_users(struct req *r);
int iam_delete_user(struct req *r);
int iam_create_access_key(struct req *r);
int iam_list_access_keys(struct req *r);
int iam_update_access_key(struct req *r);
int iam_delete_access_key(struct req *r);
int iam_create_role(struct req *r);
int iam_get_role(struct req *r);
int iam_list_roles(struct req *r);
int iam_delete_role(struct req *r);
int iam_put_user_policy(struct req *r);
int iam_get_user_policy(struct req *r);
int iam_delete_user_policy(struct req *r);
int iam_list_user_policies(struct req *r);
int iam_put_role_policy(struct req *r);
int iam_get_role_policy(struct req *r);
int iam_delete_role_policy(struct req *r);
int iam_list_role_policies(struct req *r);
int iam_create_policy(struct req *r);
int iam_get_policy(struct req *r);
int iam_delete_policy(struct req *r);
int iam_list_policies(struct req *r);
int iam_attach_user_policy(struct req *r);
int iam_detach_user_policy(struct req *r);
int iam_attach_role_policy(struct req *r);
int iam_detach_role_policy(struct req *r);
int iam_list_attached_user_policies(struct req *r);
int iam_list_attached_role_policies(struct req *r);

#endif
