/*
 * ownership — S3 Object Ownership: who owns the objects written into a bucket, and whether the
 * bucket takes ACLs at all. The Put/Get/DeleteBucketOwnershipControls handlers are declared in
 * s3/handlers.h; CreateBucket takes the same setting from x-amz-object-ownership.
 *
 * The setting is the bucket configuration document "ownership" (store.h), whose value is the
 * setting's name. A bucket without one behaves as ObjectWriter, the classic S3 behaviour that
 * S3-compatible clients and ceph s3-tests expect, and GetBucketOwnershipControls answers
 * OwnershipControlsNotFoundError for it. (AWS creates new buckets with BucketOwnerEnforced since
 * April 2023; here a client asks for that with x-amz-object-ownership or the Put call.)
 *
 *  - ObjectWriter: the account that writes an object owns it, and ACLs work.
 *  - BucketOwnerPreferred: as ObjectWriter, except that an object written with the canned ACL
 *    bucket-owner-full-control is owned by the bucket owner.
 *  - BucketOwnerEnforced: ACLs are disabled. Every object is owned by the bucket owner (those
 *    written before too: authorization must take the bucket owner as every object's owner); a
 *    write or Put*Acl whose ACL grants anything but FULL_CONTROL to the bucket owner is refused
 *    with AccessControlListNotSupported; Get*Acl answers the bucket owner's FULL_CONTROL alone;
 *    ACLs stored earlier stay stored (and apply again if the setting changes back), but grant
 *    nothing meanwhile. The setting is refused (InvalidBucketAclWithObjectOwnership) while the
 *    bucket's own ACL grants anyone but its owner.
 *
 * Objects record their owner at write time (s3/acl_ops.h: s3_object_write_acl()).
 */
#ifndef S3TRAIL_OWNERSHIP_H
#define S3TRAIL_OWNERSHIP_H

#include <stdint.h>

struct store;

enum ownership {
    OWN_OBJECT_WRITER,
    OWN_BUCKET_OWNER_PREFERRED,
    OWN_BUCKET_OWNER_ENFORCED,
};

/* The bucket configuration document that holds the setting. */
#define OWNERSHIP_CONFIG "ownership"

/* "ObjectWriter", "BucketOwnerPreferred", "BucketOwnerEnforced"; and back: -EINVAL for any
 * other text (exact case, as S3 compares). */
const char *ownership_name(enum ownership o);
int ownership_parse(const char *name, enum ownership *out) __attribute__((warn_unused_result));

/* The bucket's setting: OWN_OBJECT_WRITER when none is stored. 0, or -errno from the store
 * (-EINVAL if the stored value is not a setting's name). */
int ownership_get(struct store *st, int64_t bucket_id, enum ownership *out)
    __attribute__((warn_unused_result));

#endif
