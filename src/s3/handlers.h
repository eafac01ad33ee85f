/*
 * handlers — the S3 operation handlers that exist. Each takes the request context after routing,
 * authentication and body intake, and returns:
 *   0             the response is ready in r (status, headers, body);
 *   REQ_ASYNC     the handler submitted a work item to the store's writer with req_commit();
 *                 the connection is suspended and r->then runs after the commit;
 *   -S3E_x        an S3 error; the common code writes the XML error response.
 */
#ifndef S3TRAIL_HANDLERS_H
#define S3TRAIL_HANDLERS_H

struct req;

/* service and buckets: s3/bucket.c */
int h_list_buckets(struct req *r);
int h_create_bucket(struct req *r);
int h_delete_bucket(struct req *r);
int h_head_bucket(struct req *r);
int h_get_bucket_location(struct req *r);

/* objects: s3/object.c */
int h_put_object(struct req *r);
int h_get_object(struct req *r);
int h_head_object(struct req *r);
int h_delete_object(struct req *r);
int h_delete_objects(struct req *r);
int h_copy_object(struct req *r);

/* listing: s3/list.c */
int h_list_objects(struct req *r);
int h_list_objects_v2(struct req *r);
int h_list_object_versions(struct req *r);

/* multipart: s3/multipart.c */
int h_create_multipart_upload(struct req *r);
int h_upload_part(struct req *r);
int h_upload_part_copy(struct req *r);
int h_complete_multipart_upload(struct req *r);
int h_abort_multipart_upload(struct req *r);
int h_list_parts(struct req *r);
int h_list_multipart_uploads(struct req *r);

/* bucket policies: s3/policy.c */
int h_put_bucket_policy(struct req *r);
int h_get_bucket_policy(struct req *r);
int h_delete_bucket_policy(struct req *r);
int h_get_bucket_policy_status(struct req *r);

/* ACLs: s3/acl_ops.c */
int h_get_bucket_acl(struct req *r);
int h_put_bucket_acl(struct req *r);
int h_get_object_acl(struct req *r);
int h_put_object_acl(struct req *r);

/* object ownership: s3/ownership.c */
int h_put_bucket_ownership_controls(struct req *r);
int h_get_bucket_ownership_controls(struct req *r);
int h_delete_bucket_ownership_controls(struct req *r);

/* Block Public Access, bucket and account (S3 Control) level: s3/pab.c */
int h_put_public_access_block(struct req *r);
int h_get_public_access_block(struct req *r);
int h_delete_public_access_block(struct req *r);
int h_put_account_public_access_block(struct req *r);
int h_get_account_public_access_block(struct req *r);
int h_delete_account_public_access_block(struct req *r);

/* Prechecks (optable.h: run before the body is accepted). */
int pre_put_object(struct req *r);
int pre_upload_part(struct req *r);

/* CORS preflight: s3/cors.c */
int h_options_object(struct req *r);

#endif
