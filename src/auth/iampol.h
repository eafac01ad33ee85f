/*
 * iampol — IAM policy documents: validation and evaluation, as AWS evaluates them.
 *
 * One evaluator serves every kind of policy the server keeps: identity policies (IAM users' and
 * roles' inline and managed policies), session policies (AssumeRole / GetFederationToken
 * `Policy`), resource policies (bucket policies) and role trust policies (AssumeRole). What
 * combines their verdicts (deny beats allow, same-account vs cross-account rules, ACLs, public
 * access blocks) is auth/authz.c's business; this module answers for one document at a time.
 *
 * Grammar (IAM JSON policy reference): Version "2012-10-17" or "2008-10-17" (absent = 2008),
 * optional Id, Statement = one object or an array of them; a statement has Effect Allow|Deny,
 * optional Sid, exactly one of Action / NotAction, exactly one of Resource / NotResource (a trust
 * policy has none), Principal / NotPrincipal (required in resource and trust policies, refused in
 * identity and session policies), optional Condition. Values are a string or an array of
 * strings. Unknown top-level or statement members are refused.
 *
 * Matching:
 *  - Action: "service:Name" with '*' (any run) and '?' (one character), case-insensitive;
 *    "*" matches everything.
 *  - Resource: ARN patterns with '*' and '?', case-sensitive; policy variables ${aws:username},
 *    ${aws:userid}, ${aws:PrincipalAccount}, ${*}, ${?}, ${$} are substituted (Version
 *    2012-10-17 only).
 *  - Principal: "*" or {"AWS":"*"} (everyone, anonymous included); {"AWS": "<12 digits>"} or
 *    "arn:aws:iam::<acct>:root" (the account: any principal of it, see IAMPOL_ALLOW_ACCOUNT);
 *    "arn:aws:iam::<acct>:user/<path/>name" (that IAM user, and its session credentials);
 *    "arn:aws:iam::<acct>:role/<path/>name" (sessions of that role); an assumed-role or
 *    federated-user session ARN (that session); {"Service": "x.amazonaws.com"} (an AWSService
 *    principal acting as x); {"CanonicalUser": "<id>"} (the account with that canonical id).
 *    Wildcards are not allowed in principal ARNs except the lone "*".
 *  - NotPrincipal / NotAction / NotResource: the complement of the same matching.
 *  - Condition: operators StringEquals, StringNotEquals, StringEqualsIgnoreCase,
 *    StringNotEqualsIgnoreCase, StringLike, StringNotLike, NumericEquals, NumericNotEquals,
 *    NumericLessThan, NumericLessThanEquals, NumericGreaterThan, NumericGreaterThanEquals,
 *    DateEquals, DateNotEquals, DateLessThan, DateLessThanEquals, DateGreaterThan,
 *    DateGreaterThanEquals, Bool, BinaryEquals, IpAddress, NotIpAddress (IPv4 and IPv6 CIDR),
 *    ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Null; each with the ...IfExists suffix and the
 *    ForAllValues: / ForAnyValue: prefixes. Keys are case-insensitive. Several values for one
 *    key are ORed, several keys in one operator and several operators are ANDed. A key the
 *    request lacks makes a positive operator false and a negated one true (IfExists: true);
 *    Null tests presence.
 */
#ifndef S3TRAIL_IAMPOL_H
#define S3TRAIL_IAMPOL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

struct principal;

enum iampol_kind {
    IAMPOL_IDENTITY, /* user / role inline and managed policies, and session policies */
    IAMPOL_RESOURCE, /* bucket policies */
    IAMPOL_TRUST,    /* a role's AssumeRolePolicyDocument */
};

/* IAM's size limits for documents (characters, white space excluded as IAM counts them, is
 * not attempted: the raw length is compared). */
#define IAMPOL_MAX_USER_INLINE 2048
#define IAMPOL_MAX_ROLE_INLINE 10240
#define IAMPOL_MAX_MANAGED 6144
#define IAMPOL_MAX_TRUST 2048
#define IAMPOL_MAX_SESSION 2048

/* Checks a document of `kind` (len bytes, not necessarily NUL-terminated). 0 when valid;
 * -EINVAL with IAM's MalformedPolicyDocument message for the first fault appended to why
 * ("Syntax errors in policy.", "Policy document should not specify a principal.", "Has
 * prohibited field Resource" for a trust policy, "Missing required field Principal", "Invalid
 * principal in policy: ...", "Policy has invalid action", ...); -ENOMEM. */
int iampol_validate(const char *doc, size_t len, enum iampol_kind kind, struct buf *why)
    __attribute__((warn_unused_result));

/* The request being judged. */
struct iampol_request {
    const char *action;   /* "s3:GetObject", "sts:AssumeRole", "iam:CreateUser" */
    const char *resource; /* the ARN acted on ("arn:aws:s3:::b/k", "arn:aws:iam::1:user/u"),
                             or "*" for actions without one (s3:ListAllMyBuckets) */
    const struct principal *who; /* the requester: Principal matching and ${aws:...} variables */
    /* Condition keys: writes at most `max` values of the key `name` (given as the policy spells
     * it; compare case-insensitively) into vals and returns how many the request has (may be
     * more than max; 0 = the key is absent). The strings stay valid for the evaluation. NULL
     * when the request has no condition keys at all. */
    size_t (*key)(void *arg, const char *name, const char **vals, size_t max);
    void *key_arg;
};

enum iampol_result {
    IAMPOL_NONE = 0,          /* no statement applies (implicit deny) */
    IAMPOL_ALLOW = 1,         /* an Allow applies and names the principal itself (or "*") */
    IAMPOL_ALLOW_ACCOUNT = 2, /* resource policies only: the only Allows that apply name the
                                 principal's account (its 12 digits, :root ARN or canonical id),
                                 which delegates the decision to that account's identity
                                 policies (an account's root is always allowed by them) */
    IAMPOL_DENY = 3,          /* a Deny applies: it beats every Allow anywhere */
};

/* Evaluates one document against the request: IAMPOL_DENY if any Deny statement applies, else
 * IAMPOL_ALLOW / IAMPOL_ALLOW_ACCOUNT if an Allow does, else IAMPOL_NONE. For IAMPOL_IDENTITY
 * Principal is not consulted; for IAMPOL_RESOURCE and IAMPOL_TRUST a statement applies only when
 * its Principal (or NotPrincipal) reaches q->who. Returns the result (>= 0), or -EINVAL for a
 * document that is not a policy (never stored: documents are validated first), -ENOMEM. */
int iampol_eval(const char *doc, enum iampol_kind kind, const struct iampol_request *q)
    __attribute__((warn_unused_result));

/* Whether a bucket policy is public in S3's sense ("The meaning of public", S3 user guide): some
 * Allow statement's Principal is "*" (or {"AWS":"*"}, or a NotPrincipal) and no condition of that
 * statement pins it to fixed values of aws:SourceIp (a CIDR narrower than /8 for IPv4, /32 for
 * IPv6, and not 0.0.0.0/0), aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceAccount,
 * aws:SourceOwner, aws:PrincipalAccount, aws:PrincipalArn, aws:PrincipalOrgID, aws:userid or
 * s3:DataAccessPointArn / s3:DataAccessPointAccount, using a non-wildcard value with an Equals /
 * ArnEquals / IpAddress operator (StringLike with a value without wildcards counts too).
 * 1 public, 0 not, -EINVAL not JSON, -ENOMEM. */
int iampol_is_public(const char *doc) __attribute__((warn_unused_result));

#endif
