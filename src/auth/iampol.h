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
 * strings; condition values may also be JSON numbers and booleans (compared as their text).
 * Unknown top-level or statement members are refused. Member names are case-sensitive.
 *
 * Matching:
 *  - Action: "service:Name" with '*' (any run) and '?' (one character), case-insensitive;
 *    "*" matches everything.
 *  - Resource: ARN patterns with '*' and '?', case-sensitive; a request resource of "*" is
 *    matched only by patterns that match the text "*" (IAM: such actions need Resource "*").
 *  - Policy variables (Version 2012-10-17 only; in 2008 documents "${...}" is plain text), in
 *    Resource / NotResource and in the values of the String* and Arn* condition operators:
 *    ${aws:username}, ${aws:userid}, ${aws:PrincipalAccount} (see "Condition keys" below for
 *    their values), any single-valued condition key of the request (${s3:prefix}), ${key,
 *    'default'} for a key the request lacks, and ${*} ${?} ${$} for the literal characters.
 *    Substituted text matches literally (a '*' in it is no wildcard). A variable with no value
 *    (absent key without default, or a multi-valued key) makes that one pattern match nothing.
 *  - Principal: "*" or {"AWS":"*"} (everyone, anonymous included); {"AWS": "<12 digits>"} or
 *    "arn:aws:iam::<acct>:root" (the account: any principal of it, see IAMPOL_ALLOW_ACCOUNT);
 *    "arn:aws:iam::<acct>:user/<path/>name" (that IAM user, and its session credentials: the
 *    principal's arn compared exactly); "arn:aws:iam::<acct>:role/<path/>name" (every session of
 *    that role: compared with the session's issuer_arn); an assumed-role or federated-user
 *    session ARN (that session); {"Service": "x.amazonaws.com"} (a PRINCIPAL_AWS_SERVICE whose
 *    principal_id is that name, case-insensitively); {"CanonicalUser": "<id>"} (the account with
 *    that canonical id, as the account form). PRINCIPAL_ANONYMOUS is reached only by the two
 *    everyone forms, and an AWSService principal by no account form. {"Federated": ...} (web
 *    identity / SAML providers) is valid and reaches no principal the server has. Wildcards are
 *    not allowed in principal ARNs except the lone "*".
 *  - NotPrincipal / NotAction / NotResource: the complement of the same matching. NotPrincipal
 *    is the plain complement: naming a user spares that user (AWS also requires the account to
 *    be listed for a Deny with NotPrincipal to spare it; not modelled), naming the account
 *    spares all of its principals.
 *  - Condition: operators StringEquals, StringNotEquals, StringEqualsIgnoreCase,
 *    StringNotEqualsIgnoreCase, StringLike, StringNotLike, NumericEquals, NumericNotEquals,
 *    NumericLessThan, NumericLessThanEquals, NumericGreaterThan, NumericGreaterThanEquals,
 *    DateEquals, DateNotEquals, DateLessThan, DateLessThanEquals, DateGreaterThan,
 *    DateGreaterThanEquals, Bool, BinaryEquals, IpAddress, NotIpAddress (IPv4 and IPv6 CIDR),
 *    ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Null; each (but Null) with the ...IfExists
 *    suffix, and the ForAllValues: / ForAnyValue: prefixes. Operator names and keys are
 *    case-insensitive. Several values for one key are ORed, several keys in one operator and
 *    several operators are ANDed; an operator with an empty block tests nothing.
 *    Comparisons: numbers as doubles (a value that is not a number matches nothing); dates as
 *    ISO 8601 ("2024-06-01", "2024-06-01T12:00:00Z", fractions, "+hh:mm" offsets) or epoch
 *    seconds; Bool compares "true"/"false" case-insensitively; BinaryEquals compares the base64
 *    text; IpAddress takes a CIDR or a lone address (/32, /128), and IPv4 never matches IPv6;
 *    Arn* compare the six colon-separated parts one by one, each with '*' / '?' (ArnEquals
 *    globs too, as IAM documents), the sixth being the rest of the ARN.
 *    Absent keys: a positive operator is false, a negated one (…Not…, NotIpAddress) true,
 *    …IfExists true; ForAnyValue: false (true with IfExists), ForAllValues: true; Null "true"
 *    holds when the key is absent, "false" when present.
 *    Several request values without a set prefix: a positive operator holds when any request
 *    value matches any policy value, a negated one when none does. ForAnyValue: some request
 *    value satisfies the operator; ForAllValues: every one does (for negated operators,
 *    "satisfies" means matches none of the policy values).
 *  - Condition keys: q->key answers first; for the keys it does not give, the requester itself
 *    gives aws:username (IAM users only), aws:userid (IAM user: unique_id; AssumedRole:
 *    "<RoleId>:<session>", i.e. principal_id; FederatedUser: "<account>:<name>"; root: the
 *    account id; anonymous: "anonymous"), aws:PrincipalAccount, aws:PrincipalArn (for a role
 *    session, the role's ARN, as IAM gives it) and aws:PrincipalType ("User", "AssumedRole",
 *    "FederatedUser", "Account", "Anonymous"). At most 64 values of one key are considered.
 *
 * Cost: every call parses the document with jansson (documents are at most 20 KB; parsing per
 * request is acceptable at today's rates and is the first thing to cache if policies show up in
 * profiles). Work is linear in the document and the request's key values, except the wildcard
 * matcher, which is greedy with backtracking to the last '*' only: at most pattern × text steps,
 * never exponential. Thread-safe: no state is shared between calls.
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
 * not attempted: the raw length is compared). The caller checks them; iampol_validate does not. */
#define IAMPOL_MAX_USER_INLINE 2048
#define IAMPOL_MAX_ROLE_INLINE 10240
#define IAMPOL_MAX_MANAGED 6144
#define IAMPOL_MAX_TRUST 2048
#define IAMPOL_MAX_SESSION 2048

/* Checks a document of `kind` (len bytes, not necessarily NUL-terminated). 0 when valid;
 * -EINVAL with IAM's MalformedPolicyDocument message for the first fault appended to why; -ENOMEM.
 * The checks run in IAM's order, each pass over every statement before the next:
 *  1. grammar: "Syntax errors in policy." for text that is not a JSON object (a NUL byte and
 *     duplicate member names included), unknown members, a Version other than the two dates, an
 *     Id that is not a string, no or an empty Statement, Effect missing or not allow/deny in any
 *     case, both Action and NotAction (or both Resource / NotResource, Principal /
 *     NotPrincipal), elements of the wrong JSON type, an unknown condition operator; in the
 *     same pass, per statement: "Policy document should not specify a principal." (identity
 *     and session policies), "Has prohibited field Resource" / "... NotResource" (trust
 *     policies), "Missing required field Principal" (resource and trust policies);
 *  2. "The policy failed legacy parsing": Effect not exactly "Allow" / "Deny", a Date*
 *     condition value that is no date, a resource with "::" but fewer than six parts or an
 *     empty vendor;
 *  3. "Statement IDs (SID) in a single policy must be unique."; for identity and trust
 *     policies also "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies
 *     the regular expression [0-9A-Za-z]*";
 *  4. "Policy statement must contain actions." (none, or an empty array);
 *  5. "Policy statement must contain resources." (not for trust policies);
 *  6. resource formats: "Resource x must be in ARN format or "*".", "Partition "p" is not
 *     valid for resource "arn:...".", "Resource vendor must be fully qualified and cannot
 *     contain regexes.", "IAM resource x cannot contain region information.", "Resource x can
 *     not contain region information." (s3), "IAM resource path must either be "*" or start
 *     with user/, ...";
 *  7. actions and condition keys: "Actions/Conditions must be prefaced by a vendor, e.g., iam,
 *     sdb, ec2, etc.", "Actions/Condition can contain only one colon.", "Action vendors (e.g.,
 *     aws, ec2, etc.) must not contain wildcards", "Vendor x is not valid"; trust policies:
 *     "AssumeRole policy may only specify STS AssumeRole actions." (vendor other than sts);
 *  8. principals (resource and trust policies): "Invalid principal in policy: "AWS":"x""
 *     (the element's type and the offending value; ""AWS":[]" for an empty list) for a value
 *     that is none of the forms under Matching, or a Service / CanonicalUser / Federated value
 *     of the wrong shape. Whether a named principal exists is not checked. */
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
    IAMPOL_ALLOW_ACCOUNT = 2, /* resource and trust policies only: the only Allows that apply
                                 name the principal's account (its 12 digits, :root ARN or
                                 canonical id), which delegates the decision to that account's
                                 identity policies (an account's root is always allowed by
                                 them). An Allow naming the principal itself, "*", a Service or
                                 reaching it through NotPrincipal is IAMPOL_ALLOW, and wins
                                 when both apply. */
    IAMPOL_DENY = 3,          /* a Deny applies: it beats every Allow anywhere */
};

/* Evaluates one document (a NUL-terminated string) against the request: IAMPOL_DENY if any
 * Deny statement applies, else IAMPOL_ALLOW / IAMPOL_ALLOW_ACCOUNT if an Allow does, else
 * IAMPOL_NONE. For IAMPOL_IDENTITY Principal is not consulted (and the answer is never
 * IAMPOL_ALLOW_ACCOUNT); for IAMPOL_RESOURCE and IAMPOL_TRUST a statement applies only when its
 * Principal (or NotPrincipal) reaches q->who (NULL = anonymous). For IAMPOL_TRUST Resource is
 * not consulted. q->action NULL is "", q->resource NULL is "*". Returns the result (>= 0), or
 * -EINVAL for a document that is not a policy as far as evaluation reads it (not a JSON
 * object, no statements, an Effect other than Allow/Deny, a missing Action / Resource /
 * Principal the kind needs, an element of the wrong type, an unknown condition operator); a
 * document iampol_validate accepted for the same kind never gives -EINVAL. -ENOMEM. */
int iampol_eval(const char *doc, enum iampol_kind kind, const struct iampol_request *q)
    __attribute__((warn_unused_result));

/* Whether a bucket policy is public in S3's sense ("The meaning of "public"", S3 user guide;
 * the PublicAccessBlockConfiguration reference): some Allow statement reaches everyone — its
 * Principal is "*", or {"AWS": "*"} / an "AWS" list holding "*", or it uses NotPrincipal — and
 * no operator of its Condition pins it to fixed values of a key that confines who can use it:
 * aws:SourceIp, aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceAccount,
 * aws:SourceOwner, aws:PrincipalAccount, aws:PrincipalArn, aws:PrincipalOrgID, aws:userid,
 * s3:DataAccessPointArn, s3:DataAccessPointAccount,
 * s3:x-amz-server-side-encryption-aws-kms-key-id. Pinning operators: StringEquals,
 * StringEqualsIgnoreCase, StringLike, ArnEquals, ArnLike (or their ForAnyValue: forms) whose
 * values all hold no '*', '?' or policy variable, and IpAddress on aws:SourceIp whose CIDRs are
 * all /8 or longer (IPv4) or /32 or longer (IPv6), so 0.0.0.0/0 never pins. Negated, ...IfExists
 * and ForAllValues: operators never pin (they let a request without the key through).
 * Deny statements and statements naming principals are never public.
 * 1 public, 0 not, -EINVAL not a JSON object, -ENOMEM. */
int iampol_is_public(const char *doc) __attribute__((warn_unused_result));

#endif
