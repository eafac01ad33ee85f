/*
 * sts — the STS actions this server implements (handlers of sts_ops, qapi.h): GetCallerIdentity,
 * AssumeRole, GetSessionToken, GetFederationToken.
 *
 * Temporary credentials: AccessKeyId "ASIA" + 16 [A-Z0-9], a 40-character SecretAccessKey and a
 * SessionToken of STS_TOKEN_LEN base64 characters, valid until Expiration. The session is stored
 * (iamstore.h, kind "sts.session") with everything authn needs to rebuild the principal
 * (principal.h's rules per type) and the session policy; the token only as its SHA-256.
 *
 * AssumeRole is allowed when the role's trust policy allows sts:AssumeRole for the caller
 * (IAMPOL_ALLOW, or IAMPOL_ALLOW_ACCOUNT naming the caller's account) AND, for every caller but
 * an account's root, the caller's identity policies allow sts:AssumeRole on the role ARN
 * (authz_identity_only) — the same rule for callers of the role's account and of others.
 * AccessDenied reads "User: <caller arn> is not authorized to perform: sts:AssumeRole on
 * resource: <role arn>".
 */
#ifndef S3TRAIL_STS_H
#define S3TRAIL_STS_H

struct req;

#define STS_TOKEN_LEN 356 /* AWS tokens are a few hundred base64 characters */

int sts_get_caller_identity(struct req *r);
int sts_assume_role(struct req *r);
int sts_get_session_token(struct req *r);
int sts_get_federation_token(struct req *r);

#endif
