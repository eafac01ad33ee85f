/*
 * optable - the rows of the operation table and the two functions that read it by name or as a
 * whole. The contract (columns, matching rules) is in optable.h; this file holds the data.
 *
 * Sources: every operation of botocore's S3 model (botocore 1.43.11, s3/2006-03-01, 111
 * operations, each with the model's HTTP method and requestUri), the three S3 Control account-level
 * PublicAccessBlock calls, the CORS preflight and the browser form upload. The IAM action,
 * CloudTrail eventName, category and readOnly of each row follow shared/reference/s3-operations.md;
 * resources follow cloudtrail.md section 2.3 and the real records in reference/aws-samples. SOAP
 * calls are not here: they are dispatched on the body element of POST /soap, not on the URL.
 *
 * Order matters. Rows are grouped by method and path shape, and within a group the router takes
 * the first row whose query and header rules hold, so a row must come before every row whose
 * rules are a subset of its own (ListObjects, with no rules, ends its group). Wire-identical twins
 * keep the name clients use today first; the deprecated twin after it is never matched, carries
 * the same eventName, and exists so the table covers the whole model.
 */
#include "s3/optable.h"

#include "s3/handlers.h"
#include "util/buf.h"

#include <string.h>

#define SRC_S3 "s3.amazonaws.com"
/* Directory-bucket calls; documented for CreateSession, assumed for the other two. */
#define SRC_S3EXPRESS "s3express.amazonaws.com"
/* Object Lambda's own event source (an inference: no real record in the references). */
#define SRC_OBJECT_LAMBDA "s3-object-lambda.amazonaws.com"

/* Each row is laid out as: name, method, shape, query, header / iam_action, event_name,
 * event_source / category, read_only, resources, body, flags, handler. */
const struct s3_op s3_ops[] = {
    /* clang-format off */
    /* GET / - the service. ListDirectoryBuckets is the same request sent to the
     * s3express-control host; only the host tells them apart, and this server has no such host. */
    {"ListBuckets", "GET", SHAPE_SERVICE, NULL, NULL,
     "s3:ListAllMyBuckets", "ListBuckets", SRC_S3,
     CAT_MANAGEMENT, true, RES_NONE, BODY_NONE, 0, h_list_buckets},
    {"ListDirectoryBuckets", "GET", SHAPE_SERVICE, NULL, NULL,
     "s3express:ListAllMyDirectoryBuckets", "ListDirectoryBuckets", SRC_S3EXPRESS,
     CAT_MANAGEMENT, true, RES_NONE, BODY_NONE, OPF_UNROUTED, NULL},

    /* POST /WriteGetObjectResponse - only on
     * {RequestRoute}.s3-object-lambda.{region}.amazonaws.com. Its path has no bucket, hence
     * SHAPE_SERVICE; the body is the transformed object, hence BODY_OBJECT. */
    {"WriteGetObjectResponse", "POST", SHAPE_SERVICE, NULL, NULL,
     "s3-object-lambda:WriteGetObjectResponse", "WriteGetObjectResponse", SRC_OBJECT_LAMBDA,
     CAT_DATA, false, RES_NONE, BODY_OBJECT, OPF_UNROUTED, NULL},

    /* S3 Control account-level PublicAccessBlock: /v20180820/configuration/publicAccessBlock
     * with x-amz-account-id. The S3 Control SDK calls them Get/Put/DeletePublicAccessBlock, but
     * those names belong to the bucket operations below, so the rows are named after their
     * CloudTrail events. The router sends only that one S3 Control path here; other S3 Control
     * paths never reach this table. */
    {"GetAccountPublicAccessBlock", "GET", SHAPE_ACCOUNT, NULL, NULL,
     "s3:GetAccountPublicAccessBlock", "GetAccountPublicAccessBlock", SRC_S3,
     CAT_MANAGEMENT, true, RES_ACCOUNT, BODY_NONE, 0, h_get_account_public_access_block},
    {"PutAccountPublicAccessBlock", "PUT", SHAPE_ACCOUNT, NULL, NULL,
     "s3:PutAccountPublicAccessBlock", "PutAccountPublicAccessBlock", SRC_S3,
     CAT_MANAGEMENT, false, RES_ACCOUNT, BODY_XML, 0, h_put_account_public_access_block},
    {"DeleteAccountPublicAccessBlock", "DELETE", SHAPE_ACCOUNT, NULL, NULL,
     "s3:PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock", SRC_S3,
     CAT_MANAGEMENT, false, RES_ACCOUNT, BODY_NONE, 0, h_delete_account_public_access_block},

    /* GET /{bucket}. The four configuration families with an `id` come first: with `id` it is
     * Get...Configuration, without it List...Configurations, so the `id` row must be tried
     * first. The deprecated twins (GetBucketLifecycle, GetBucketNotification) are the same
     * request as the row before them and are never reached; they are here so the table covers
     * the whole model. Listings come last and ListObjects (V1) is the catch-all, so any
     * sub-resource row must precede it. */
    {"GetBucketAnalyticsConfiguration", "GET", SHAPE_BUCKET, "analytics id", NULL,
     "s3:GetAnalyticsConfiguration", "GetBucketAnalyticsConfiguration", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"ListBucketAnalyticsConfigurations", "GET", SHAPE_BUCKET, "analytics", NULL,
     "s3:GetAnalyticsConfiguration", "ListBucketAnalyticsConfigurations", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketInventoryConfiguration", "GET", SHAPE_BUCKET, "inventory id", NULL,
     "s3:GetInventoryConfiguration", "GetBucketInventoryConfiguration", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"ListBucketInventoryConfigurations", "GET", SHAPE_BUCKET, "inventory", NULL,
     "s3:GetInventoryConfiguration", "ListBucketInventoryConfigurations", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketMetricsConfiguration", "GET", SHAPE_BUCKET, "metrics id", NULL,
     "s3:GetMetricsConfiguration", "GetBucketMetricsConfiguration", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"ListBucketMetricsConfigurations", "GET", SHAPE_BUCKET, "metrics", NULL,
     "s3:GetMetricsConfiguration", "ListBucketMetricsConfigurations", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketIntelligentTieringConfiguration", "GET", SHAPE_BUCKET, "intelligent-tiering id",
     NULL,
     "s3:GetIntelligentTieringConfiguration", "GetBucketIntelligentTieringConfiguration", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"ListBucketIntelligentTieringConfigurations", "GET", SHAPE_BUCKET, "intelligent-tiering", NULL,
     "s3:GetIntelligentTieringConfiguration", "ListBucketIntelligentTieringConfigurations", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketAcl", "GET", SHAPE_BUCKET, "acl", NULL,
     "s3:GetBucketAcl", "GetBucketAcl", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, h_get_bucket_acl},
    {"GetBucketCors", "GET", SHAPE_BUCKET, "cors", NULL,
     "s3:GetBucketCORS", "GetBucketCors", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketEncryption", "GET", SHAPE_BUCKET, "encryption", NULL,
     "s3:GetEncryptionConfiguration", "GetBucketEncryption", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketLifecycleConfiguration", "GET", SHAPE_BUCKET, "lifecycle", NULL,
     "s3:GetLifecycleConfiguration", "GetBucketLifecycle", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketLifecycle", "GET", SHAPE_BUCKET, "lifecycle", NULL,
     "s3:GetLifecycleConfiguration", "GetBucketLifecycle", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketLocation", "GET", SHAPE_BUCKET, "location", NULL,
     "s3:GetBucketLocation", "GetBucketLocation", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, h_get_bucket_location},
    {"GetBucketLogging", "GET", SHAPE_BUCKET, "logging", NULL,
     "s3:GetBucketLogging", "GetBucketLogging", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketNotificationConfiguration", "GET", SHAPE_BUCKET, "notification", NULL,
     "s3:GetBucketNotification", "GetBucketNotification", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketNotification", "GET", SHAPE_BUCKET, "notification", NULL,
     "s3:GetBucketNotification", "GetBucketNotification", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketPolicy", "GET", SHAPE_BUCKET, "policy", NULL,
     "s3:GetBucketPolicy", "GetBucketPolicy", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, h_get_bucket_policy},
    {"GetBucketPolicyStatus", "GET", SHAPE_BUCKET, "policyStatus", NULL,
     "s3:GetBucketPolicyStatus", "GetBucketPolicyStatus", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, h_get_bucket_policy_status},
    {"GetBucketReplication", "GET", SHAPE_BUCKET, "replication", NULL,
     "s3:GetReplicationConfiguration", "GetBucketReplication", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketRequestPayment", "GET", SHAPE_BUCKET, "requestPayment", NULL,
     "s3:GetBucketRequestPayment", "GetBucketRequestPayment", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketTagging", "GET", SHAPE_BUCKET, "tagging", NULL,
     "s3:GetBucketTagging", "GetBucketTagging", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketVersioning", "GET", SHAPE_BUCKET, "versioning", NULL,
     "s3:GetBucketVersioning", "GetBucketVersioning", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketWebsite", "GET", SHAPE_BUCKET, "website", NULL,
     "s3:GetBucketWebsite", "GetBucketWebsite", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetPublicAccessBlock", "GET", SHAPE_BUCKET, "publicAccessBlock", NULL,
     "s3:GetBucketPublicAccessBlock", "GetBucketPublicAccessBlock", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, h_get_public_access_block},
    {"GetBucketOwnershipControls", "GET", SHAPE_BUCKET, "ownershipControls", NULL,
     "s3:GetBucketOwnershipControls", "GetBucketOwnershipControls", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, h_get_bucket_ownership_controls},
    {"GetObjectLockConfiguration", "GET", SHAPE_BUCKET, "object-lock", NULL,
     "s3:GetBucketObjectLockConfiguration", "GetObjectLockConfiguration", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketAccelerateConfiguration", "GET", SHAPE_BUCKET, "accelerate", NULL,
     "s3:GetAccelerateConfiguration", "GetBucketAccelerateConfiguration", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketMetadataTableConfiguration", "GET", SHAPE_BUCKET, "metadataTable", NULL,
     "s3:GetBucketMetadataTableConfiguration", "GetBucketMetadataTableConfiguration", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketMetadataConfiguration", "GET", SHAPE_BUCKET, "metadataConfiguration", NULL,
     "s3:GetBucketMetadataTableConfiguration", "GetBucketMetadataConfiguration", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},
    {"GetBucketAbac", "GET", SHAPE_BUCKET, "abac", NULL,
     "s3:GetBucketABAC", "GetBucketAbac", SRC_S3,
     CAT_MANAGEMENT, true, RES_BUCKET, BODY_NONE, 0, NULL},

    /* CreateSession is answered only by a directory bucket's zonal (s3express) endpoint, so it
     * is not routed: a GET ?session here is a listing (ListObjects ignores the parameter). */
    {"CreateSession", "GET", SHAPE_BUCKET, "session", NULL,
     "s3express:CreateSession", "CreateSession", SRC_S3EXPRESS,
     CAT_DATA, true, RES_BUCKET, BODY_NONE, OPF_UNROUTED, NULL},

    /* Listings are data events on the bucket: the object resource is the ARNPrefix
     * "bucket/prefix". CloudTrail logs ListObjectsV2 as ListObjects (with "list-type":"2" in
     * requestParameters). */
    {"ListObjectVersions", "GET", SHAPE_BUCKET, "versions", NULL,
     "s3:ListBucketVersions", "ListObjectVersions", SRC_S3,
     CAT_DATA, true, RES_LIST, BODY_NONE, 0, h_list_object_versions},
    {"ListMultipartUploads", "GET", SHAPE_BUCKET, "uploads", NULL,
     "s3:ListBucketMultipartUploads", "ListMultipartUploads", SRC_S3,
     CAT_DATA, true, RES_LIST, BODY_NONE, 0, h_list_multipart_uploads},
    {"ListObjectsV2", "GET", SHAPE_BUCKET, "list-type=2", NULL,
     "s3:ListBucket", "ListObjects", SRC_S3,
     CAT_DATA, true, RES_LIST, BODY_NONE, 0, h_list_objects_v2},
    {"ListObjects", "GET", SHAPE_BUCKET, NULL, NULL,
     "s3:ListBucket", "ListObjects", SRC_S3,
     CAT_DATA, true, RES_LIST, BODY_NONE, 0, h_list_objects},

    /* HEAD /{bucket}. A data event that AWS logs only for a bucket-wide (empty prefix)
     * selector, so its object resource is the prefix "bucket/" like a listing's. */
    {"HeadBucket", "HEAD", SHAPE_BUCKET, NULL, NULL,
     "s3:ListBucket", "HeadBucket", SRC_S3,
     CAT_DATA, true, RES_LIST, BODY_NONE, 0, h_head_bucket},

    /* PUT /{bucket}. Every configuration is an XML document (the policy is JSON). The `id`
     * families route on the sub-resource alone: there is no PUT listing to tell apart, and a
     * PUT without `id` must reach the configuration handler (which rejects it), not fall
     * through to CreateBucket. CreateBucket, the bare PUT, is last. */
    {"PutBucketAnalyticsConfiguration", "PUT", SHAPE_BUCKET, "analytics", NULL,
     "s3:PutAnalyticsConfiguration", "PutBucketAnalyticsConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketInventoryConfiguration", "PUT", SHAPE_BUCKET, "inventory", NULL,
     "s3:PutInventoryConfiguration", "PutBucketInventoryConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketMetricsConfiguration", "PUT", SHAPE_BUCKET, "metrics", NULL,
     "s3:PutMetricsConfiguration", "PutBucketMetricsConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketIntelligentTieringConfiguration", "PUT", SHAPE_BUCKET, "intelligent-tiering", NULL,
     "s3:PutIntelligentTieringConfiguration", "PutBucketIntelligentTieringConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketAcl", "PUT", SHAPE_BUCKET, "acl", NULL,
     "s3:PutBucketAcl", "PutBucketAcl", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, h_put_bucket_acl},
    {"PutBucketCors", "PUT", SHAPE_BUCKET, "cors", NULL,
     "s3:PutBucketCORS", "PutBucketCors", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketEncryption", "PUT", SHAPE_BUCKET, "encryption", NULL,
     "s3:PutEncryptionConfiguration", "PutBucketEncryption", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketLifecycleConfiguration", "PUT", SHAPE_BUCKET, "lifecycle", NULL,
     "s3:PutLifecycleConfiguration", "PutBucketLifecycle", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketLifecycle", "PUT", SHAPE_BUCKET, "lifecycle", NULL,
     "s3:PutLifecycleConfiguration", "PutBucketLifecycle", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketLogging", "PUT", SHAPE_BUCKET, "logging", NULL,
     "s3:PutBucketLogging", "PutBucketLogging", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketNotificationConfiguration", "PUT", SHAPE_BUCKET, "notification", NULL,
     "s3:PutBucketNotification", "PutBucketNotification", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketNotification", "PUT", SHAPE_BUCKET, "notification", NULL,
     "s3:PutBucketNotification", "PutBucketNotification", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketPolicy", "PUT", SHAPE_BUCKET, "policy", NULL,
     "s3:PutBucketPolicy", "PutBucketPolicy", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, h_put_bucket_policy},
    {"PutBucketReplication", "PUT", SHAPE_BUCKET, "replication", NULL,
     "s3:PutReplicationConfiguration", "PutBucketReplication", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketRequestPayment", "PUT", SHAPE_BUCKET, "requestPayment", NULL,
     "s3:PutBucketRequestPayment", "PutBucketRequestPayment", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketTagging", "PUT", SHAPE_BUCKET, "tagging", NULL,
     "s3:PutBucketTagging", "PutBucketTagging", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketVersioning", "PUT", SHAPE_BUCKET, "versioning", NULL,
     "s3:PutBucketVersioning", "PutBucketVersioning", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketWebsite", "PUT", SHAPE_BUCKET, "website", NULL,
     "s3:PutBucketWebsite", "PutBucketWebsite", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutPublicAccessBlock", "PUT", SHAPE_BUCKET, "publicAccessBlock", NULL,
     "s3:PutBucketPublicAccessBlock", "PutBucketPublicAccessBlock", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, h_put_public_access_block},
    {"PutBucketOwnershipControls", "PUT", SHAPE_BUCKET, "ownershipControls", NULL,
     "s3:PutBucketOwnershipControls", "PutBucketOwnershipControls", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, h_put_bucket_ownership_controls},
    {"PutObjectLockConfiguration", "PUT", SHAPE_BUCKET, "object-lock", NULL,
     "s3:PutBucketObjectLockConfiguration", "PutObjectLockConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketAccelerateConfiguration", "PUT", SHAPE_BUCKET, "accelerate", NULL,
     "s3:PutAccelerateConfiguration", "PutBucketAccelerateConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"UpdateBucketMetadataInventoryTableConfiguration", "PUT", SHAPE_BUCKET,
     "metadataInventoryTable", NULL,
     "s3:UpdateBucketMetadataInventoryTableConfiguration",
     "UpdateBucketMetadataInventoryTableConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"UpdateBucketMetadataJournalTableConfiguration", "PUT", SHAPE_BUCKET, "metadataJournalTable",
     NULL,
     "s3:UpdateBucketMetadataJournalTableConfiguration",
     "UpdateBucketMetadataJournalTableConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PutBucketAbac", "PUT", SHAPE_BUCKET, "abac", NULL,
     "s3:PutBucketABAC", "PutBucketAbac", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},

    /* Real CreateBucket records (eventVersion 1.03 to 1.08 in aws-samples) carry no
     * resources[], unlike the other bucket-level calls, hence RES_NONE. */
    {"CreateBucket", "PUT", SHAPE_BUCKET, NULL, NULL,
     "s3:CreateBucket", "CreateBucket", SRC_S3,
     CAT_MANAGEMENT, false, RES_NONE, BODY_XML, 0, h_create_bucket},

    /* DELETE /{bucket}. As for PUT, the `id` families route on the sub-resource alone: a DELETE
     * ?analytics without `id` must never fall through to DeleteBucket. DeleteBucket is last. */
    {"DeleteBucketAnalyticsConfiguration", "DELETE", SHAPE_BUCKET, "analytics", NULL,
     "s3:PutAnalyticsConfiguration", "DeleteBucketAnalyticsConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, NULL},
    {"DeleteBucketInventoryConfiguration", "DELETE", SHAPE_BUCKET, "inventory", NULL,
     "s3:PutInventoryConfiguration", "DeleteBucketInventoryConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, NULL},
    {"DeleteBucketMetricsConfiguration", "DELETE", SHAPE_BUCKET, "metrics", NULL,
     "s3:PutMetricsConfiguration", "DeleteBucketMetricsConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, NULL},
    {"DeleteBucketIntelligentTieringConfiguration", "DELETE", SHAPE_BUCKET, "intelligent-tiering",
     NULL,
     "s3:PutIntelligentTieringConfiguration", "DeleteBucketIntelligentTieringConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, NULL},
    {"DeleteBucketCors", "DELETE", SHAPE_BUCKET, "cors", NULL,
     "s3:PutBucketCORS", "DeleteBucketCors", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, NULL},
    {"DeleteBucketEncryption", "DELETE", SHAPE_BUCKET, "encryption", NULL,
     "s3:PutEncryptionConfiguration", "DeleteBucketEncryption", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, NULL},
    {"DeleteBucketLifecycle", "DELETE", SHAPE_BUCKET, "lifecycle", NULL,
     "s3:PutLifecycleConfiguration", "DeleteBucketLifecycle", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, NULL},
    {"DeleteBucketPolicy", "DELETE", SHAPE_BUCKET, "policy", NULL,
     "s3:DeleteBucketPolicy", "DeleteBucketPolicy", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, h_delete_bucket_policy},
    {"DeleteBucketReplication", "DELETE", SHAPE_BUCKET, "replication", NULL,
     "s3:PutReplicationConfiguration", "DeleteBucketReplication", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, NULL},
    {"DeleteBucketTagging", "DELETE", SHAPE_BUCKET, "tagging", NULL,
     "s3:PutBucketTagging", "DeleteBucketTagging", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, NULL},
    {"DeleteBucketWebsite", "DELETE", SHAPE_BUCKET, "website", NULL,
     "s3:DeleteBucketWebsite", "DeleteBucketWebsite", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, NULL},
    {"DeletePublicAccessBlock", "DELETE", SHAPE_BUCKET, "publicAccessBlock", NULL,
     "s3:PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, h_delete_public_access_block},
    {"DeleteBucketOwnershipControls", "DELETE", SHAPE_BUCKET, "ownershipControls", NULL,
     "s3:PutBucketOwnershipControls", "DeleteBucketOwnershipControls", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, h_delete_bucket_ownership_controls},
    {"DeleteBucketMetadataTableConfiguration", "DELETE", SHAPE_BUCKET, "metadataTable", NULL,
     "s3:DeleteBucketMetadataTableConfiguration", "DeleteBucketMetadataTableConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, NULL},
    {"DeleteBucketMetadataConfiguration", "DELETE", SHAPE_BUCKET, "metadataConfiguration", NULL,
     "s3:DeleteBucketMetadataTableConfiguration", "DeleteBucketMetadataConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, NULL},
    {"DeleteBucket", "DELETE", SHAPE_BUCKET, NULL, NULL,
     "s3:DeleteBucket", "DeleteBucket", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_NONE, 0, h_delete_bucket},

    /* POST /{bucket}. DeleteObjects logs no key names: its object resource is the prefix
     * "bucket/". PostObject (a browser form upload) is the bare POST and must stay last;
     * OPF_FORM makes it match only multipart/form-data. Its body is a form whose file part is
     * the object, so it is streamed like PutObject's (BODY_OBJECT) and the form fields are
     * parsed on the way. */
    {"DeleteObjects", "POST", SHAPE_BUCKET, "delete", NULL,
     "s3:DeleteObject", "DeleteObjects", SRC_S3,
     CAT_DATA, false, RES_LIST, BODY_XML, 0, h_delete_objects},
    {"CreateBucketMetadataTableConfiguration", "POST", SHAPE_BUCKET, "metadataTable", NULL,
     "s3:CreateBucketMetadataTableConfiguration", "CreateBucketMetadataTableConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"CreateBucketMetadataConfiguration", "POST", SHAPE_BUCKET, "metadataConfiguration", NULL,
     "s3:CreateBucketMetadataTableConfiguration", "CreateBucketMetadataConfiguration", SRC_S3,
     CAT_MANAGEMENT, false, RES_BUCKET, BODY_XML, 0, NULL},
    {"PostObject", "POST", SHAPE_BUCKET, NULL, NULL,
     "s3:PutObject", "PostObject", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_OBJECT, OPF_FORM, NULL},

    /* GET /{bucket}/{key}. `uploadId` means ListParts; versionId, partNumber and response-* are
     * parameters of GetObject, not sub-resources. GetObjectAttributes routes on ?attributes
     * alone: the required x-amz-object-attributes header is checked by its handler, so a
     * request that lacks it is refused rather than served the whole object. */
    {"ListParts", "GET", SHAPE_OBJECT, "uploadId", NULL,
     "s3:ListMultipartUploadParts", "ListParts", SRC_S3,
     CAT_DATA, true, RES_OBJECT, BODY_NONE, 0, h_list_parts},
    {"GetObjectAcl", "GET", SHAPE_OBJECT, "acl", NULL,
     "s3:GetObjectAcl", "GetObjectAcl", SRC_S3,
     CAT_DATA, true, RES_OBJECT, BODY_NONE, 0, h_get_object_acl},
    {"GetObjectTagging", "GET", SHAPE_OBJECT, "tagging", NULL,
     "s3:GetObjectTagging", "GetObjectTagging", SRC_S3,
     CAT_DATA, true, RES_OBJECT, BODY_NONE, 0, NULL},
    {"GetObjectAttributes", "GET", SHAPE_OBJECT, "attributes", NULL,
     "s3:GetObjectAttributes", "GetObjectAttributes", SRC_S3,
     CAT_DATA, true, RES_OBJECT, BODY_NONE, 0, NULL},
    {"GetObjectLegalHold", "GET", SHAPE_OBJECT, "legal-hold", NULL,
     "s3:GetObjectLegalHold", "GetObjectLegalHold", SRC_S3,
     CAT_DATA, true, RES_OBJECT, BODY_NONE, 0, NULL},
    {"GetObjectRetention", "GET", SHAPE_OBJECT, "retention", NULL,
     "s3:GetObjectRetention", "GetObjectRetention", SRC_S3,
     CAT_DATA, true, RES_OBJECT, BODY_NONE, 0, NULL},
    {"GetObjectTorrent", "GET", SHAPE_OBJECT, "torrent", NULL,
     "s3:GetObjectTorrent", "GetObjectTorrent", SRC_S3,
     CAT_DATA, true, RES_OBJECT, BODY_NONE, 0, NULL},
    {"GetObject", "GET", SHAPE_OBJECT, NULL, NULL,
     "s3:GetObject", "GetObject", SRC_S3,
     CAT_DATA, true, RES_OBJECT, BODY_NONE, 0, h_get_object},

    /* HEAD /{bucket}/{key}. */
    {"HeadObject", "HEAD", SHAPE_OBJECT, NULL, NULL,
     "s3:GetObject", "HeadObject", SRC_S3,
     CAT_DATA, true, RES_OBJECT, BODY_NONE, 0, h_head_object},

    /* PUT /{bucket}/{key}, most specific first. RenameObject exists only for directory buckets,
     * but it stays routed: were it skipped, a rename request would fall through to PutObject
     * and replace the key with an empty object. UploadPartCopy differs from UploadPart only by
     * x-amz-copy-source, and CopyObject from PutObject likewise, so each copy row precedes its
     * twin. The copy rows' source object is added to resources[] by the record builder (a third
     * AWS::S3::Object entry). */
    {"RenameObject", "PUT", SHAPE_OBJECT, "renameObject", NULL,
     "s3express:CreateSession", "RenameObject", SRC_S3EXPRESS,
     CAT_DATA, false, RES_OBJECT, BODY_NONE, 0, NULL},
    {"UploadPartCopy", "PUT", SHAPE_OBJECT, "partNumber uploadId", "x-amz-copy-source",
     "s3:PutObject", "UploadPartCopy", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_NONE, 0, h_upload_part_copy},
    {"UploadPart", "PUT", SHAPE_OBJECT, "partNumber uploadId", NULL,
     "s3:PutObject", "UploadPart", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_OBJECT, 0, h_upload_part, pre_upload_part},
    {"PutObjectAcl", "PUT", SHAPE_OBJECT, "acl", NULL,
     "s3:PutObjectAcl", "PutObjectAcl", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_XML, 0, h_put_object_acl},
    {"PutObjectTagging", "PUT", SHAPE_OBJECT, "tagging", NULL,
     "s3:PutObjectTagging", "PutObjectTagging", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_XML, 0, NULL},
    {"PutObjectRetention", "PUT", SHAPE_OBJECT, "retention", NULL,
     "s3:PutObjectRetention", "PutObjectRetention", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_XML, 0, NULL},
    {"PutObjectLegalHold", "PUT", SHAPE_OBJECT, "legal-hold", NULL,
     "s3:PutObjectLegalHold", "PutObjectLegalHold", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_XML, 0, NULL},
    {"UpdateObjectEncryption", "PUT", SHAPE_OBJECT, "encryption", NULL,
     "s3:UpdateObjectEncryption", "UpdateObjectEncryption", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_XML, 0, NULL},
    {"CopyObject", "PUT", SHAPE_OBJECT, NULL, "x-amz-copy-source",
     "s3:PutObject", "CopyObject", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_NONE, 0, h_copy_object},
    {"PutObject", "PUT", SHAPE_OBJECT, NULL, NULL,
     "s3:PutObject", "PutObject", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_OBJECT, 0, h_put_object, pre_put_object},

    /* POST /{bucket}/{key}. A POST on a key with none of these sub-resources matches no row.
     * SelectObjectContent only reads, hence readOnly true. */
    {"CreateMultipartUpload", "POST", SHAPE_OBJECT, "uploads", NULL,
     "s3:PutObject", "CreateMultipartUpload", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_NONE, 0, h_create_multipart_upload},
    {"CompleteMultipartUpload", "POST", SHAPE_OBJECT, "uploadId", NULL,
     "s3:PutObject", "CompleteMultipartUpload", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_XML, 0, h_complete_multipart_upload},
    {"RestoreObject", "POST", SHAPE_OBJECT, "restore", NULL,
     "s3:RestoreObject", "RestoreObject", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_XML, 0, NULL},
    {"SelectObjectContent", "POST", SHAPE_OBJECT, "select select-type=2", NULL,
     "s3:GetObject", "SelectObjectContent", SRC_S3,
     CAT_DATA, true, RES_OBJECT, BODY_XML, 0, NULL},

    /* DELETE /{bucket}/{key}. DeleteObject, the bare DELETE, is last. */
    {"AbortMultipartUpload", "DELETE", SHAPE_OBJECT, "uploadId", NULL,
     "s3:AbortMultipartUpload", "AbortMultipartUpload", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_NONE, 0, h_abort_multipart_upload},
    {"DeleteObjectTagging", "DELETE", SHAPE_OBJECT, "tagging", NULL,
     "s3:DeleteObjectTagging", "DeleteObjectTagging", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_NONE, 0, NULL},
    {"DeleteObject", "DELETE", SHAPE_OBJECT, NULL, NULL,
     "s3:DeleteObject", "DeleteObject", SRC_S3,
     CAT_DATA, false, RES_OBJECT, BODY_NONE, 0, h_delete_object},

    /* OPTIONS /{bucket}/{key}: the CORS preflight. It carries no credentials and no IAM action
     * is evaluated for it (iam_action is NULL: the authorizer must look at OPF_ANON_OK first);
     * it is answered from the bucket's CORS configuration. AWS logs it as a read-only data
     * event named PreflightRequest with the object in resources[] (the real 2024 record in
     * aws-samples). */
    {"OptionsObject", "OPTIONS", SHAPE_OBJECT, NULL, NULL,
     NULL, "PreflightRequest", SRC_S3,
     CAT_DATA, true, RES_OBJECT, BODY_NONE, OPF_ANON_OK, h_options_object},
    /* clang-format on */
};

const size_t s3_ops_count = sizeof s3_ops / sizeof s3_ops[0];

/* A linear scan: the table is small and lookups by name happen at start-up and in tests, never
 * per request (routing matches on method, shape and query instead). */
const struct s3_op *optable_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < s3_ops_count; i++)
        if (strcmp(s3_ops[i].name, name) == 0)
            return &s3_ops[i];
    return NULL;
}

static bool streq_or_null(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

/* The earlier row with the same method, shape and rules, if any: that row answers every request
 * this one could match, so this one is a never-matched twin. */
static const struct s3_op *twin_of(const struct s3_op *op)
{
    for (const struct s3_op *p = s3_ops; p < op; p++)
        if (!(p->flags & OPF_UNROUTED) && p->shape == op->shape &&
            strcmp(p->method, op->method) == 0 && streq_or_null(p->query, op->query) &&
            streq_or_null(p->header, op->header))
            return p;
    return NULL;
}

static const char *shape_path(const struct s3_op *op)
{
    switch (op->shape) {
    case SHAPE_SERVICE:
        return "/";
    case SHAPE_BUCKET:
        return "/{Bucket}";
    case SHAPE_OBJECT:
        return "/{Bucket}/{Key+}";
    case SHAPE_ACCOUNT:
        return "/v20180820/configuration/publicAccessBlock";
    }
    return "?";
}

/* "`GET /{Bucket}?analytics&id`", then the header rule, the form condition and routing notes. */
static int put_http_cell(struct buf *out, const struct s3_op *op)
{
    int rc;

    /* The one service-level row that is not GET / is WriteGetObjectResponse, whose path is its
     * own name. */
    if (op->shape == SHAPE_SERVICE && strcmp(op->method, "GET") != 0)
        rc = buf_printf(out, "`%s /%s", op->method, op->name);
    else
        rc = buf_printf(out, "`%s %s", op->method, shape_path(op));
    if (rc < 0)
        return rc;
    if (op->query) {
        if ((rc = buf_putc(out, '?')) < 0)
            return rc;
        for (const char *q = op->query; *q; q++)
            if ((rc = buf_putc(out, *q == ' ' ? '&' : *q)) < 0)
                return rc;
    }
    if ((rc = buf_putc(out, '`')) < 0)
        return rc;
    if (op->header) {
        if (op->header[0] == '!')
            rc = buf_printf(out, " without `%s`", op->header + 1);
        else
            rc = buf_printf(out, " + `%s`", op->header);
        if (rc < 0)
            return rc;
    }
    if ((op->flags & OPF_FORM) && (rc = buf_puts(out, " (multipart/form-data)")) < 0)
        return rc;
    if (op->flags & OPF_UNROUTED) {
        if ((rc = buf_puts(out, " (only on an AWS-specific host; not routed)")) < 0)
            return rc;
    } else {
        const struct s3_op *twin = twin_of(op);
        if (twin &&
            (rc = buf_printf(out, " (same request as %s, which answers it)", twin->name)) < 0)
            return rc;
    }
    return 0;
}

int optable_write_markdown(struct buf *out)
{
    int rc = buf_puts(out, "| Operation | HTTP | CloudTrail eventName | Category | readOnly | "
                           "Status |\n|---|---|---|---|---|---|\n");
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < s3_ops_count; i++) {
        const struct s3_op *op = &s3_ops[i];
        if ((rc = buf_printf(out, "| %s | ", op->name)) < 0)
            return rc;
        if ((rc = put_http_cell(out, op)) < 0)
            return rc;
        rc = buf_printf(out, " | %s | %s | %s | %s |\n", op->event_name,
                        op->category == CAT_MANAGEMENT ? "Management" : "Data",
                        op->read_only ? "true" : "false",
                        op->handler ? "supported" : "NotImplemented (501)");
        if (rc < 0)
            return rc;
    }
    return 0;
}
