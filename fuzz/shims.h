/*
 * shims — the static request-body and argument parsers of s3/bucket.c, s3/object.c and
 * s3/multipart.c, the CloudTrail trail handlers of trail/trails.c and the request router of
 * http/route.c, made callable from the fuzz targets without a running server.
 *
 * Each shim_<file>.c #includes the source file whole and adds exported wrappers, so the
 * parser that runs is exactly the server's code; fuzz/fuzz.mk links the shim object in place
 * of the library's object of that file (only in the targets that need it). Calls that need a
 * running server are redirected with a macro before the #include, inside the shim only:
 * req_default_region / req_region_served (bucket.c, route.c) and server_cfg (route.c) answer for
 * a server serving FUZZ_REGIONS on FUZZ_DOMAIN, and req_commit (trails.c) runs the work item
 * against the target's store and rolls it back (fuzz_ctjson.c).
 *
 * The wrappers check the parser's own invariants on success (they can see its private
 * structs) and abort through FUZZ_CHECK when one fails.
 */
#ifndef S3TRAIL_FUZZ_SHIMS_H
#define S3TRAIL_FUZZ_SHIMS_H

#include <stdbool.h>
#include <stdint.h>

#include "s3/optable.h"
#include "store/store.h"

struct req;

#define FUZZ_REGIONS "us-east-1,us-west-2,eu-west-1"
#define FUZZ_DOMAIN "s3.example.com"

/* CreateBucket's CreateBucketConfiguration (bucket.c create_region): 0 with the region the
 * bucket would get, or the S3 error set on r. */
int fuzz_xml_create_bucket(struct req *r, char region[32]);
/* DeleteObjects' Delete document (object.c del_parse): 0 or the S3 error set on r. */
int fuzz_xml_delete_objects(struct req *r);
/* CompleteMultipartUpload's part list (multipart.c complete_parse_body): 0 or the error. */
int fuzz_xml_complete_multipart(struct req *r);

/* Header and query arguments (object.c parse_range, parse_copy_source; multipart.c copy_range,
 * part_number_param), as their handlers call them; the copy source's *path is owned. */
int fuzz_s3_parse_range(const char *h, uint64_t size, uint64_t *start, uint64_t *len);
int fuzz_s3_parse_copy_source(struct req *r, char **path, const char **key);
int fuzz_s3_copy_range(struct req *r, uint64_t size, uint64_t *off, uint64_t *len);
int fuzz_s3_part_number(struct req *r, int *out);

/* route_request (route.c) on a request with target, method and headers set: 0 with r->op (and
 * bucket, key, query) set, or the error set on r. */
int fuzz_route_request(struct req *r);

/* trails.c's req_commit, redirected: defined by fuzz_ctjson.c. */
int fuzz_req_commit(struct req *r, store_apply_fn apply, int (*then)(struct req *r));

#endif
