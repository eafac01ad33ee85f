/*
 * policy — bucket policies: the PutBucketPolicy / GetBucketPolicy / DeleteBucketPolicy /
 * GetBucketPolicyStatus handlers (declared in s3/handlers.h), the checks S3 makes on a policy
 * document, and the question CloudTrail asks of a trail bucket's policy at CreateTrail /
 * UpdateTrail.
 *
 * A policy that is public (auth/iampol.h: iampol_is_public) is refused with AccessDenied when
 * BlockPublicPolicy is in force for the bucket (s3/pab.h); GetBucketPolicyStatus answers the
 * same question as <PolicyStatus><IsPublic>.
 *
 * A policy is stored as the bucket configuration document "policy" (store.h), byte for byte as
 * the client sent it, and GetBucketPolicy gives those bytes back (s3-tests expects the bytes
 * sent; AWS itself answers a re-serialisation of the same document).
 *
 * The stored policy is enforced by auth/authz.c (through auth/iampol.c). Its Deny statements
 * bind everyone except the bucket owner's root on the three policy calls themselves, so no
 * policy can lock the owner out, which is also why x-amz-confirm-remove-self-bucket-access is
 * accepted and has no effect.
 *
 * The checks follow what S3 was recorded answering; each message is S3's (sources in policy.c).
 */
#ifndef S3TRAIL_POLICY_H
#define S3TRAIL_POLICY_H

#include <stddef.h>

#include "util/buf.h"

/* "Bucket policies are limited to 20 KB in size", counted on the document normalised: S3
 * answers "Normalized policy document exceeds the maximum allowed size of 20480 bytes". The
 * normalised form is taken to be the compact JSON serialisation (no white space between tokens),
 * so indentation never counts against the limit. */
#define POLICY_MAX_NORMALIZED 20480

/* Checks a PutBucketPolicy body (`len` bytes at `doc`, not necessarily NUL-terminated) for the
 * bucket named `bucket`. Returns 0 when S3 would accept it; -EINVAL when it would answer
 * MalformedPolicy, with S3's message for the first fault found appended to `why` (the caller
 * owns `why`); -ENOMEM. Accepted documents contain no NUL byte, so the body can be stored as a C
 * string. */
int policy_check(const char *doc, size_t len, const char *bucket, struct buf *why)
    __attribute__((warn_unused_result));

/*
 * Whether a bucket policy lets CloudTrail deliver a trail's log files: 1 when some Allow
 * statement for CloudTrail's service principal grants s3:GetBucketAcl on arn:aws:s3:::<bucket>,
 * some Allow statement (the same or another) grants s3:PutObject on every key under
 * <bucket>/[<prefix>/]AWSLogs/<account_id>/, and no Deny statement that reaches CloudTrail
 * refuses either; 0 otherwise; -EINVAL when policy_json is not valid JSON; -ENOMEM.
 *
 * prefix may be NULL or "" (no prefix); trail_arn may be NULL (the ARN is not known: a statement
 * conditioned on aws:SourceArn then does not count).
 *
 * Matching: Action and Resource (or NotAction / NotResource) take a string or an array of
 * strings, with IAM's wildcards '*' (any run) and '?' (one character); actions compare without
 * regard to case, resources with it, so "s3:*", "*", "s3:Put*" all grant s3:PutObject, and a
 * resource of the bucket's ARN followed by "/" and "*" covers the log area. The principal reaches
 * CloudTrail when it is
 * {"Service": "cloudtrail.amazonaws.com"} (a string or an array naming it), or everyone ("*",
 * {"AWS": "*"}); NotPrincipal reaches it unless it names it (a Deny only: an Allow with
 * NotPrincipal never counts).
 *
 * Conditions, judged against what a delivery carries (s3:x-amz-acl = bucket-owner-full-control,
 * aws:SourceArn = trail_arn, aws:SourceAccount = account_id, aws:SecureTransport = true):
 *  - an Allow counts only when every condition uses StringEquals, StringLike, ArnEquals or
 *    ArnLike on s3:x-amz-acl, aws:SourceArn or aws:SourceAccount and holds; any other condition
 *    makes the statement not count (we cannot tell that it grants);
 *  - a Deny refuses when its conditions hold, with IAM's rules for keys a delivery lacks (a
 *    positive operator is false; a negated one, ...IfExists and ForAllValues are true; Null
 *    "true" holds). An operator this function cannot compare (numbers, dates, addresses)
 *    against a key the delivery carries counts as holding: a Deny it cannot judge is taken to
 *    refuse, so 1 is only answered when delivery will work.
 */
int policy_allows_cloudtrail(const char *policy_json, const char *bucket, const char *prefix,
                             const char *account_id, const char *trail_arn)
    __attribute__((warn_unused_result));

#endif
