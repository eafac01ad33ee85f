/*
 * acl — S3 access control lists as stored with buckets and objects.
 *
 * Stored form (owned JSON text, opaque to the store):
 *   {"owner":"<canonical id>","grants":[{"type":"CanonicalUser","id":"...","perm":"FULL_CONTROL"},
 *                                       {"type":"Group","uri":"http://acs.amazonaws.com/groups/global/AllUsers","perm":"READ"}]}
 * Canned ACLs (x-amz-acl) expand to grants when the resource is created. Grants by e-mail are
 * resolved to canonical ids when they are stored (ACL APIs come with the identity issue).
 */
#ifndef S3TRAIL_ACL_H
#define S3TRAIL_ACL_H

#include <stdbool.h>

struct principal;

#define ACL_ALL_USERS "http://acs.amazonaws.com/groups/global/AllUsers"
#define ACL_AUTH_USERS "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
#define ACL_LOG_DELIVERY "http://acs.amazonaws.com/groups/s3/LogDelivery"

/* Expands a canned ACL for a resource owned by owner_canonical (bucket_owner_canonical is used by
 * bucket-owner-read / bucket-owner-full-control; may equal owner). *json is owned by the caller.
 * -EINVAL for an unknown canned ACL name, -ENOMEM. */
int acl_from_canned(const char *canned, const char *owner_canonical,
                    const char *bucket_owner_canonical, char **json)
    __attribute__((warn_unused_result));

/* Whether the ACL grants perm ("READ", "WRITE", "READ_ACP", "WRITE_ACP") to the principal,
 * directly, through FULL_CONTROL, or through the AllUsers / AuthenticatedUsers groups. A NULL or
 * unparsable ACL grants nothing. */
bool acl_allows(const char *json, const struct principal *p, const char *perm);

#endif
