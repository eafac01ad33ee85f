/*
 * acl — S3 access control lists: the stored form, the wire forms S3 accepts them in, and the
 * questions authorization asks of them.
 *
 * Stored form (owned JSON text, opaque to the store), in the `acl` column of buckets, objects
 * and multipart uploads:
 *   {"owner":"<canonical id>","grants":[
 *      {"type":"CanonicalUser","id":"...","perm":"FULL_CONTROL"},
 *      {"type":"CanonicalUser","id":"...","email":"a@example.com","perm":"READ"},
 *      {"type":"Group","uri":"http://acs.amazonaws.com/groups/global/AllUsers","perm":"READ"}]}
 * `owner` is the canonical id of the resource's owner when the ACL was written. A grant made to
 * an e-mail address (AmazonCustomerByEmail) is resolved to the account's canonical id before it
 * is stored and keeps the address in `email`; it is answered as a CanonicalUser grant, as S3
 * answers it. Only the three group URIs below exist.
 *
 * In memory an ACL is a `struct acl` (owner and an array of grants, all owned). It is built from
 *  - a canned ACL (x-amz-acl): acl_canned();
 *  - the x-amz-grant-* headers: acl_add_header_grants(), one call per header;
 *  - an AccessControlPolicy XML document (PutBucketAcl / PutObjectAcl bodies): acl_parse_xml();
 * and e-mail grantees (ACL_GRANTEE_EMAIL) must then be resolved by the caller (it knows the
 * accounts: s3/acl_ops.c) with acl_resolve_email() before acl_to_json() will store them.
 *
 * Calling sequence for a write:
 *   struct acl a = ACL_INIT;
 *   acl_add_header_grants(&a, value, ACL_PERM_READ) ...;   or acl_canned() / acl_parse_xml()
 *   resolve e-mail grantees, check canonical ids exist;
 *   acl_set_owner(&a, owner_canonical); acl_to_json(&a, &json); acl_free(&a);
 */
#ifndef S3TRAIL_ACL_H
#define S3TRAIL_ACL_H

#include <stdbool.h>
#include <stddef.h>

struct principal;

#define ACL_ALL_USERS "http://acs.amazonaws.com/groups/global/AllUsers"
#define ACL_AUTH_USERS "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
#define ACL_LOG_DELIVERY "http://acs.amazonaws.com/groups/s3/LogDelivery"

/* S3 allows at most 100 grants in one ACL. */
#define ACL_MAX_GRANTS 100

enum acl_perm {
    ACL_PERM_READ,
    ACL_PERM_WRITE,
    ACL_PERM_READ_ACP,
    ACL_PERM_WRITE_ACP,
    ACL_PERM_FULL_CONTROL,
};

enum acl_grantee_type {
    ACL_GRANTEE_CANONICAL, /* CanonicalUser: value is a canonical id */
    ACL_GRANTEE_EMAIL,     /* AmazonCustomerByEmail, not resolved yet: value is the address */
    ACL_GRANTEE_GROUP,     /* Group: value is one of the three group URIs */
};

struct acl_grant {
    enum acl_grantee_type type;
    char *value; /* owned: canonical id, e-mail address or group URI */
    char *email; /* owned, CanonicalUser only: the address the grant was made to, or NULL */
    enum acl_perm perm;
};

struct acl {
    char *owner;              /* owned canonical id, or NULL */
    struct acl_grant *grants; /* owned array of n */
    size_t n, cap;
};

/* clang-format off */
#define ACL_INIT {NULL, NULL, 0, 0}
/* clang-format on */

/* Releases everything a holds and leaves it empty (ACL_INIT); safe on an empty acl. */
void acl_free(struct acl *a);

/* "READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"; and back (-EINVAL when unknown). */
const char *acl_perm_name(enum acl_perm p);
int acl_perm_parse(const char *name, enum acl_perm *out) __attribute__((warn_unused_result));

/* Whether uri is one of the three group URIs S3 knows. */
bool acl_group_known(const char *uri);

/* Replaces the owner (copied). 0 or -ENOMEM. */
int acl_set_owner(struct acl *a, const char *owner) __attribute__((warn_unused_result));
/* Appends a grant (value and email copied; email may be NULL). 0, -E2BIG beyond ACL_MAX_GRANTS,
 * -ENOMEM. */
int acl_add(struct acl *a, enum acl_grantee_type type, const char *value, const char *email,
            enum acl_perm perm) __attribute__((warn_unused_result));
/* Turns grant i (ACL_GRANTEE_EMAIL) into a CanonicalUser grant to canonical_id that remembers
 * its address. 0 or -ENOMEM (the grant is unchanged then). */
int acl_resolve_email(struct acl *a, size_t i, const char *canonical_id)
    __attribute__((warn_unused_result));

/* The ACL a canned ACL name stands for, for a resource owned by owner (bucket_owner is the
 * bucket's owner, used by bucket-owner-read / bucket-owner-full-control; NULL or equal to owner
 * adds nothing). NULL or "" means private. Fills an empty *out. -EINVAL for an unknown name
 * (*out left empty), -ENOMEM. */
int acl_canned(const char *canned, const char *owner, const char *bucket_owner, struct acl *out)
    __attribute__((warn_unused_result));

/* The same, straight to the stored JSON: *json owned by the caller. -EINVAL, -ENOMEM. */
int acl_from_canned(const char *canned, const char *owner_canonical,
                    const char *bucket_owner_canonical, char **json)
    __attribute__((warn_unused_result));

/* Parses one x-amz-grant-* header value and appends a grant with perm for each grantee in it:
 * a comma-separated list of key=value with key id, emailAddress or uri (any case) and the value
 * in double quotes (or bare, up to the next comma), blanks around each part ignored. Returns 0;
 * -EINVAL for a malformed value (unknown key, empty value, unterminated quote, an empty list);
 * -EDOM for a uri that is not a known group; -E2BIG beyond ACL_MAX_GRANTS; -ENOMEM. */
int acl_add_header_grants(struct acl *a, const char *value, enum acl_perm perm)
    __attribute__((warn_unused_result));

/* Parses an AccessControlPolicy document (len bytes; the S3 namespace is not required) into an
 * empty *out: out->owner is Owner/ID (NULL when the document has no Owner), and each
 * AccessControlList/Grant a grant, by the Grantee's xsi:type: CanonicalUser needs ID,
 * AmazonCustomerByEmail EmailAddress, Group URI (DisplayName is ignored). Returns 0; -EINVAL when
 * the document is not that (not XML, another root, a grant without a grantee, type, the element
 * its type needs, or a valid Permission; S3's MalformedACLError); -EDOM for an unknown group URI
 * (S3's "Invalid group uri"); -E2BIG beyond ACL_MAX_GRANTS; -ENOMEM. */
int acl_parse_xml(const char *doc, size_t len, struct acl *out) __attribute__((warn_unused_result));

/* The stored form of a (every e-mail grant must be resolved: -EINVAL otherwise). *json owned by
 * the caller. -ENOMEM. */
int acl_to_json(const struct acl *a, char **json) __attribute__((warn_unused_result));
/* Parses the stored form into an empty *out. NULL json gives an empty ACL. -EINVAL for text that
 * is not a stored ACL, -ENOMEM. */
int acl_from_json(const char *json, struct acl *out) __attribute__((warn_unused_result));

/* Whether some grant goes to AllUsers or AuthenticatedUsers: S3's "public ACL" (Block Public
 * Access refuses to store one under BlockPublicAcls, and ignores one under IgnorePublicAcls). */
bool acl_grants_public(const struct acl *a);
/* The same for a stored ACL; NULL or unparsable text is not public. */
bool acl_is_public(const char *json);
/* Whether every grant is FULL_CONTROL to the CanonicalUser `canonical` (an empty ACL too): the
 * only ACL a bucket with object ownership BucketOwnerEnforced accepts. */
bool acl_only_owner(const struct acl *a, const char *canonical);

/* Whether the stored ACL grants perm ("READ", "WRITE", "READ_ACP", "WRITE_ACP") to the
 * principal, directly, through FULL_CONTROL, or through the AllUsers / AuthenticatedUsers groups;
 * with ignore_public the two public groups' grants are skipped (IgnorePublicAcls). A NULL or
 * unparsable ACL grants nothing. Anonymous principals match only AllUsers. */
bool acl_allows_ex(const char *json, const struct principal *p, const char *perm,
                   bool ignore_public);
/* acl_allows_ex() with ignore_public false. */
bool acl_allows(const char *json, const struct principal *p, const char *perm);

#endif
