/* limits — S3's documented limits, and the request-level checks that enforce them. */
#ifndef S3TRAIL_LIMITS_H
#define S3TRAIL_LIMITS_H

#include <stdint.h>

struct req;

#define S3_MAX_KEY_BYTES 1024
#define S3_MAX_USER_META_BYTES 2048
#define S3_MAX_PUT_BYTES (5ULL * 1024 * 1024 * 1024)
#define S3_MAX_PART_BYTES (5ULL * 1024 * 1024 * 1024)
#define S3_MIN_PART_BYTES (5ULL * 1024 * 1024)
#define S3_MAX_PARTS 10000
#define S3_MAX_DELETE_KEYS 1000
#define S3_MAX_LIST_KEYS 1000
/* A GET or DELETE may carry a body S3 ignores; up to this much is read and dropped. */
#define LIMITS_IGNORED_BODY_MAX (1u * 1024 * 1024)

/* Size limits known before the body arrives: EntityTooLarge for a single PUT or part above
 * 5 GiB (Content-Length, or x-amz-decoded-content-length for aws-chunked), MetadataTooLarge for
 * user metadata above 2 KB. */
int limits_check_request(struct req *r) __attribute__((warn_unused_result));

#endif
