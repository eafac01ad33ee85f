/*
 * principal — who made a request and how they proved it, as a CloudTrail userIdentity needs it.
 *
 * authn fills it; authorization and the audit record read it. Types follow CloudTrail's
 * userIdentity.type values (shared/reference/cloudtrail.md §1.1).
 *
 * Temporary credentials (STS: AssumeRole, GetSessionToken, GetFederationToken) set `session`:
 *  - AssumedRole: principal_id "<RoleId>:<session_name>", arn
 *    arn:aws:sts::<acct>:assumed-role/<role>/<session_name>; issuer_* name the role (type "Role",
 *    its RoleId, role ARN, role name); user_name is "".
 *  - FederatedUser: principal_id "<acct>:<name>", arn arn:aws:sts::<acct>:federated-user/<name>;
 *    issuer_* name the IAM user or root that called GetFederationToken (type "IAMUser"/"Root").
 *  - IAMUser (or Root) with session credentials (GetSessionToken): the same fields as with the
 *    long-term key, plus `session` and session_created_ms; issuer_* empty.
 */
#ifndef S3TRAIL_PRINCIPAL_H
#define S3TRAIL_PRINCIPAL_H

#include <stdbool.h>
#include <stdint.h>

enum principal_type {
    PRINCIPAL_ANONYMOUS,      /* CloudTrail: AWSAccount, accountId "anonymous" */
    PRINCIPAL_ROOT,           /* Root */
    PRINCIPAL_IAM_USER,       /* IAMUser */
    PRINCIPAL_ASSUMED_ROLE,   /* AssumedRole */
    PRINCIPAL_FEDERATED_USER, /* FederatedUser */
    PRINCIPAL_AWS_SERVICE,    /* AWSService (the server's own deliveries) */
};

struct principal {
    enum principal_type type;
    char account_id[13];
    char canonical_id[65];
    char display_name[129];
    char access_key[129];
    char user_name[129];    /* IAM user name, "" for root */
    char arn[320];
    char principal_id[160];
    int sig_version;         /* 0 (anonymous), 2 or 4 */
    /* IAM user id (AIDA...) for IAMUser, RoleId (AROA...) for AssumedRole, "" otherwise */
    char unique_id[32];

    /* temporary credentials (see the top comment) */
    bool session;
    int64_t session_created_ms;
    int64_t session_expires_ms;
    char session_name[65];      /* RoleSessionName, or the federated user's Name */
    char source_identity[65];   /* AssumeRole's SourceIdentity, "" when none */
    char issuer_type[16];       /* sessionContext.sessionIssuer.type: "Role", "IAMUser", "Root" */
    char issuer_principal_id[160];
    char issuer_arn[320];
    char issuer_name[129];      /* sessionIssuer.userName: role or user name ("" for Root) */
    const char *auth_method; /* "AuthHeader", "QueryString" or NULL (anonymous) */
};

const char *principal_type_name(enum principal_type t);

#endif
