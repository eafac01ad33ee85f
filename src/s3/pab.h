/*
 * pab — S3 Block Public Access: the four settings, kept per bucket and per account, and the
 * checks made when something public is about to be stored.
 *
 * Where they live: a bucket's as the bucket configuration document "pab", an account's as the
 * account document of kind "pab" named "account" (store.h), both as
 *   {"BlockPublicAcls":true,"IgnorePublicAcls":false,"BlockPublicPolicy":true,
 *    "RestrictPublicBuckets":false}
 * The handlers (s3/handlers.h) are the bucket calls Put/Get/DeletePublicAccessBlock and the S3
 * Control account calls (PUT/GET/DELETE /v20180820/configuration/publicAccessBlock with
 * x-amz-account-id, which must name the caller's own account). Nothing is set by default: a
 * bucket or account without a configuration blocks nothing, the classic S3 behaviour (AWS turns
 * all four on for new buckets since April 2023).
 *
 * What enforces them:
 *  - BlockPublicAcls: a request that would store a public ACL (acl.h: acl_grants_public) on a
 *    bucket or object is refused with 403 AccessDenied — PutBucketAcl, PutObjectAcl, PutObject,
 *    CopyObject, CreateMultipartUpload, and CreateBucket (where only the account's settings
 *    exist yet): pab_check_acl() below, called by s3/acl_ops.c and s3/bucket.c.
 *  - BlockPublicPolicy: PutBucketPolicy of a public policy (iampol_is_public) is refused with
 *    403 AccessDenied (s3/policy.c).
 *  - IgnorePublicAcls and RestrictPublicBuckets act when access is decided (auth/authz.c), which
 *    reads pab_effective().
 */
#ifndef S3TRAIL_PAB_H
#define S3TRAIL_PAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct req;
struct buf;
struct acl;

struct pab {
    bool block_public_acls, ignore_public_acls, block_public_policy, restrict_public_buckets;
};

#define PAB_CONFIG "pab"       /* the bucket configuration document */
#define PAB_DOC_KIND "pab"     /* the account document's kind ... */
#define PAB_DOC_NAME "account" /* ... and name */
#define PAB_S3CONTROL_XMLNS "http://awss3control.amazonaws.com/doc/2018-08-20/"

/* The settings in force for a bucket of account_id: each member is true when the account's or
 * the bucket's configuration sets it (bucket_id 0: the account's alone; account_id NULL or "":
 * the bucket's alone). Pass the bucket OWNER's account: its settings protect its buckets,
 * whoever asks. 0, or -errno from the store (a stored document that does not parse: -EINVAL). */
int pab_effective(struct store *st, const char *account_id, int64_t bucket_id, struct pab *out)
    __attribute__((warn_unused_result));

/* For a request about to store `a` on the addressed bucket (or, with no bucket loaded, on a
 * bucket r->who's account is creating): -S3E_AccessDenied (set on r) when the ACL is public and
 * BlockPublicAcls is in force, else 0; store failures as S3 errors. */
int pab_check_acl(struct req *r, const struct acl *a) __attribute__((warn_unused_result));

/* The wire and stored forms, for the handlers and tests.
 * pab_parse_xml: a PublicAccessBlockConfiguration document (any namespace); each of the four
 *   elements optional (absent = false) and at most once, true/false in any case; 0 or -EINVAL
 *   (MalformedXML) for anything else, -ENOMEM.
 * pab_to_json / pab_from_json: the stored form; from_json -EINVAL for text that is not it.
 * pab_write_xml: the document Get*PublicAccessBlock answers, in namespace xmlns. */
int pab_parse_xml(const char *doc, size_t len, struct pab *out) __attribute__((warn_unused_result));
int pab_to_json(const struct pab *p, char **json) __attribute__((warn_unused_result));
int pab_from_json(const char *json, struct pab *out) __attribute__((warn_unused_result));
int pab_write_xml(struct buf *b, const struct pab *p, const char *xmlns)
    __attribute__((warn_unused_result));

#endif
