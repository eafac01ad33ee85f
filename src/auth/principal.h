/*
 * principal — who made a request and how they proved it, as a CloudTrail userIdentity needs it.
 *
 * authn fills it; authorization and the audit record read it. Types follow CloudTrail's
 * userIdentity.type values; AssumedRole, FederatedUser and IAM users' session credentials come
 * with the identity issue and only add fields here.
 */
#ifndef S3TRAIL_PRINCIPAL_H
#define S3TRAIL_PRINCIPAL_H

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
    const char *auth_method; /* "AuthHeader", "QueryString" or NULL (anonymous) */
};

const char *principal_type_name(enum principal_type t);

#endif
