/*
 * Tests for s3/optable: the table covers botocore's S3 model, its columns are filled, AWS's
 * CloudTrail renames hold, no row is shadowed by an earlier one, and first-match routing gives
 * the semantics of s3-operations.md section 1.1.
 */
#include "s3/optable.h"

#include "s3/handlers.h"
#include "unit.h"
#include "util/buf.h"

#include <stdbool.h>

/* Every operation of botocore 1.43.11's S3 model (s3/2006-03-01) with its HTTP method and
 * requestUri, generated with:
 *   python3 -c 'import botocore,os,gzip,json;m=json.load(gzip.open(os.path.dirname(
 *   botocore.__file__)+"/data/s3/2006-03-01/service-2.json.gz"));[print("    {\"%s\", \"%s\",
 *   \"%s\"},"%(n,o["http"]["method"],o["http"]["requestUri"])) for n,o in
 *   sorted(m["operations"].items())]'
 * Regenerate it when botocore adds operations; the count test below then says what is missing. */
static const struct {
    const char *name, *method, *uri;
} model_ops[] = {
    {"AbortMultipartUpload", "DELETE", "/{Bucket}/{Key+}"},
    {"CompleteMultipartUpload", "POST", "/{Bucket}/{Key+}"},
    {"CopyObject", "PUT", "/{Bucket}/{Key+}"},
    {"CreateBucket", "PUT", "/{Bucket}"},
    {"CreateBucketMetadataConfiguration", "POST", "/{Bucket}?metadataConfiguration"},
    {"CreateBucketMetadataTableConfiguration", "POST", "/{Bucket}?metadataTable"},
    {"CreateMultipartUpload", "POST", "/{Bucket}/{Key+}?uploads"},
    {"CreateSession", "GET", "/{Bucket}?session"},
    {"DeleteBucket", "DELETE", "/{Bucket}"},
    {"DeleteBucketAnalyticsConfiguration", "DELETE", "/{Bucket}?analytics"},
    {"DeleteBucketCors", "DELETE", "/{Bucket}?cors"},
    {"DeleteBucketEncryption", "DELETE", "/{Bucket}?encryption"},
    {"DeleteBucketIntelligentTieringConfiguration", "DELETE", "/{Bucket}?intelligent-tiering"},
    {"DeleteBucketInventoryConfiguration", "DELETE", "/{Bucket}?inventory"},
    {"DeleteBucketLifecycle", "DELETE", "/{Bucket}?lifecycle"},
    {"DeleteBucketMetadataConfiguration", "DELETE", "/{Bucket}?metadataConfiguration"},
    {"DeleteBucketMetadataTableConfiguration", "DELETE", "/{Bucket}?metadataTable"},
    {"DeleteBucketMetricsConfiguration", "DELETE", "/{Bucket}?metrics"},
    {"DeleteBucketOwnershipControls", "DELETE", "/{Bucket}?ownershipControls"},
    {"DeleteBucketPolicy", "DELETE", "/{Bucket}?policy"},
    {"DeleteBucketReplication", "DELETE", "/{Bucket}?replication"},
    {"DeleteBucketTagging", "DELETE", "/{Bucket}?tagging"},
    {"DeleteBucketWebsite", "DELETE", "/{Bucket}?website"},
    {"DeleteObject", "DELETE", "/{Bucket}/{Key+}"},
    {"DeleteObjectTagging", "DELETE", "/{Bucket}/{Key+}?tagging"},
    {"DeleteObjects", "POST", "/{Bucket}?delete"},
    {"DeletePublicAccessBlock", "DELETE", "/{Bucket}?publicAccessBlock"},
    {"GetBucketAbac", "GET", "/{Bucket}?abac"},
    {"GetBucketAccelerateConfiguration", "GET", "/{Bucket}?accelerate"},
    {"GetBucketAcl", "GET", "/{Bucket}?acl"},
    {"GetBucketAnalyticsConfiguration", "GET", "/{Bucket}?analytics"},
    {"GetBucketCors", "GET", "/{Bucket}?cors"},
    {"GetBucketEncryption", "GET", "/{Bucket}?encryption"},
    {"GetBucketIntelligentTieringConfiguration", "GET", "/{Bucket}?intelligent-tiering"},
    {"GetBucketInventoryConfiguration", "GET", "/{Bucket}?inventory"},
    {"GetBucketLifecycle", "GET", "/{Bucket}?lifecycle"},
    {"GetBucketLifecycleConfiguration", "GET", "/{Bucket}?lifecycle"},
    {"GetBucketLocation", "GET", "/{Bucket}?location"},
    {"GetBucketLogging", "GET", "/{Bucket}?logging"},
    {"GetBucketMetadataConfiguration", "GET", "/{Bucket}?metadataConfiguration"},
    {"GetBucketMetadataTableConfiguration", "GET", "/{Bucket}?metadataTable"},
    {"GetBucketMetricsConfiguration", "GET", "/{Bucket}?metrics"},
    {"GetBucketNotification", "GET", "/{Bucket}?notification"},
    {"GetBucketNotificationConfiguration", "GET", "/{Bucket}?notification"},
    {"GetBucketOwnershipControls", "GET", "/{Bucket}?ownershipControls"},
    {"GetBucketPolicy", "GET", "/{Bucket}?policy"},
    {"GetBucketPolicyStatus", "GET", "/{Bucket}?policyStatus"},
    {"GetBucketReplication", "GET", "/{Bucket}?replication"},
    {"GetBucketRequestPayment", "GET", "/{Bucket}?requestPayment"},
    {"GetBucketTagging", "GET", "/{Bucket}?tagging"},
    {"GetBucketVersioning", "GET", "/{Bucket}?versioning"},
    {"GetBucketWebsite", "GET", "/{Bucket}?website"},
    {"GetObject", "GET", "/{Bucket}/{Key+}"},
    {"GetObjectAcl", "GET", "/{Bucket}/{Key+}?acl"},
    {"GetObjectAttributes", "GET", "/{Bucket}/{Key+}?attributes"},
    {"GetObjectLegalHold", "GET", "/{Bucket}/{Key+}?legal-hold"},
    {"GetObjectLockConfiguration", "GET", "/{Bucket}?object-lock"},
    {"GetObjectRetention", "GET", "/{Bucket}/{Key+}?retention"},
    {"GetObjectTagging", "GET", "/{Bucket}/{Key+}?tagging"},
    {"GetObjectTorrent", "GET", "/{Bucket}/{Key+}?torrent"},
    {"GetPublicAccessBlock", "GET", "/{Bucket}?publicAccessBlock"},
    {"HeadBucket", "HEAD", "/{Bucket}"},
    {"HeadObject", "HEAD", "/{Bucket}/{Key+}"},
    {"ListBucketAnalyticsConfigurations", "GET", "/{Bucket}?analytics"},
    {"ListBucketIntelligentTieringConfigurations", "GET", "/{Bucket}?intelligent-tiering"},
    {"ListBucketInventoryConfigurations", "GET", "/{Bucket}?inventory"},
    {"ListBucketMetricsConfigurations", "GET", "/{Bucket}?metrics"},
    {"ListBuckets", "GET", "/"},
    {"ListDirectoryBuckets", "GET", "/"},
    {"ListMultipartUploads", "GET", "/{Bucket}?uploads"},
    {"ListObjectVersions", "GET", "/{Bucket}?versions"},
    {"ListObjects", "GET", "/{Bucket}"},
    {"ListObjectsV2", "GET", "/{Bucket}?list-type=2"},
    {"ListParts", "GET", "/{Bucket}/{Key+}"},
    {"PutBucketAbac", "PUT", "/{Bucket}?abac"},
    {"PutBucketAccelerateConfiguration", "PUT", "/{Bucket}?accelerate"},
    {"PutBucketAcl", "PUT", "/{Bucket}?acl"},
    {"PutBucketAnalyticsConfiguration", "PUT", "/{Bucket}?analytics"},
    {"PutBucketCors", "PUT", "/{Bucket}?cors"},
    {"PutBucketEncryption", "PUT", "/{Bucket}?encryption"},
    {"PutBucketIntelligentTieringConfiguration", "PUT", "/{Bucket}?intelligent-tiering"},
    {"PutBucketInventoryConfiguration", "PUT", "/{Bucket}?inventory"},
    {"PutBucketLifecycle", "PUT", "/{Bucket}?lifecycle"},
    {"PutBucketLifecycleConfiguration", "PUT", "/{Bucket}?lifecycle"},
    {"PutBucketLogging", "PUT", "/{Bucket}?logging"},
    {"PutBucketMetricsConfiguration", "PUT", "/{Bucket}?metrics"},
    {"PutBucketNotification", "PUT", "/{Bucket}?notification"},
    {"PutBucketNotificationConfiguration", "PUT", "/{Bucket}?notification"},
    {"PutBucketOwnershipControls", "PUT", "/{Bucket}?ownershipControls"},
    {"PutBucketPolicy", "PUT", "/{Bucket}?policy"},
    {"PutBucketReplication", "PUT", "/{Bucket}?replication"},
    {"PutBucketRequestPayment", "PUT", "/{Bucket}?requestPayment"},
    {"PutBucketTagging", "PUT", "/{Bucket}?tagging"},
    {"PutBucketVersioning", "PUT", "/{Bucket}?versioning"},
    {"PutBucketWebsite", "PUT", "/{Bucket}?website"},
    {"PutObject", "PUT", "/{Bucket}/{Key+}"},
    {"PutObjectAcl", "PUT", "/{Bucket}/{Key+}?acl"},
    {"PutObjectLegalHold", "PUT", "/{Bucket}/{Key+}?legal-hold"},
    {"PutObjectLockConfiguration", "PUT", "/{Bucket}?object-lock"},
    {"PutObjectRetention", "PUT", "/{Bucket}/{Key+}?retention"},
    {"PutObjectTagging", "PUT", "/{Bucket}/{Key+}?tagging"},
    {"PutPublicAccessBlock", "PUT", "/{Bucket}?publicAccessBlock"},
    {"RenameObject", "PUT", "/{Bucket}/{Key+}?renameObject"},
    {"RestoreObject", "POST", "/{Bucket}/{Key+}?restore"},
    {"SelectObjectContent", "POST", "/{Bucket}/{Key+}?select&select-type=2"},
    {"UpdateBucketMetadataInventoryTableConfiguration", "PUT", "/{Bucket}?metadataInventoryTable"},
    {"UpdateBucketMetadataJournalTableConfiguration", "PUT", "/{Bucket}?metadataJournalTable"},
    {"UpdateObjectEncryption", "PUT", "/{Bucket}/{Key+}?encryption"},
    {"UploadPart", "PUT", "/{Bucket}/{Key+}"},
    {"UploadPartCopy", "PUT", "/{Bucket}/{Key+}"},
    {"WriteGetObjectResponse", "POST", "/WriteGetObjectResponse"},
};
#define N_MODEL_OPS (sizeof model_ops / sizeof model_ops[0])

/* 111 model operations + 3 S3 Control account calls + OPTIONS object + PostObject. */
#define N_EXTRA_OPS 5

static bool has_flag(const struct s3_op *op, unsigned f)
{
    return (op->flags & f) != 0;
}

/* Is `tok` ("name" or "name=value") one of the space-separated tokens of `list`? */
static bool has_token(const char *list, const char *tok, size_t toklen)
{
    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, " ");
        if (n == toklen && strncmp(p, tok, n) == 0)
            return true;
        p += n;
        p += strspn(p, " ");
    }
    return false;
}

static enum op_shape uri_shape(const char *uri)
{
    if (strstr(uri, "{Key+}"))
        return SHAPE_OBJECT;
    if (strncmp(uri, "/{Bucket}", 9) == 0)
        return SHAPE_BUCKET;
    return SHAPE_SERVICE; /* "/" and "/WriteGetObjectResponse" */
}

TEST(optable_covers_model)
{
    CHECK_EQ_INT(N_MODEL_OPS, 111);
    CHECK_EQ_INT(s3_ops_count, N_MODEL_OPS + N_EXTRA_OPS);
    for (size_t i = 0; i < N_MODEL_OPS; i++) {
        const struct s3_op *op = optable_find(model_ops[i].name);
        if (!op) {
            fprintf(stderr, "  no row for %s\n", model_ops[i].name);
            unit_failures++;
            continue;
        }
        CHECK_EQ_STR(op->method, model_ops[i].method);
        CHECK_EQ_INT(op->shape, uri_shape(model_ops[i].uri));
        /* Every query parameter fixed in the model's requestUri ("?select&select-type=2") is
         * one of the row's rules. */
        const char *q = strchr(model_ops[i].uri, '?');
        for (q = q ? q + 1 : NULL; q && *q;) {
            size_t n = strcspn(q, "&");
            if (!has_token(op->query, q, n)) {
                fprintf(stderr, "  %s: query rule lacks %.*s\n", op->name, (int)n, q);
                unit_failures++;
            }
            q += n;
            q += strspn(q, "&");
        }
    }
    const char *extras[] = {"GetAccountPublicAccessBlock", "PutAccountPublicAccessBlock",
                            "DeleteAccountPublicAccessBlock", "OptionsObject", "PostObject"};
    for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++)
        CHECK(optable_find(extras[i]) != NULL);
}

TEST(optable_names_unique)
{
    for (size_t i = 0; i < s3_ops_count; i++)
        for (size_t j = i + 1; j < s3_ops_count; j++)
            if (strcmp(s3_ops[i].name, s3_ops[j].name) == 0) {
                fprintf(stderr, "  duplicate row %s\n", s3_ops[i].name);
                unit_failures++;
            }
}

TEST(optable_find)
{
    CHECK(optable_find(NULL) == NULL);
    CHECK(optable_find("") == NULL);
    CHECK(optable_find("listobjects") == NULL); /* names are case-sensitive */
    CHECK(optable_find("SOAP ListAllMyBuckets") == NULL);
    const struct s3_op *op = optable_find("ListObjectsV2");
    CHECK(op && op >= s3_ops && op < s3_ops + s3_ops_count);
    CHECK(op && strcmp(op->name, "ListObjectsV2") == 0);
}

TEST(optable_cloudtrail_renames)
{
    static const struct {
        const char *op, *event;
    } renames[] = {
        {"ListObjectsV2", "ListObjects"},
        {"GetBucketLifecycleConfiguration", "GetBucketLifecycle"},
        {"GetBucketLifecycle", "GetBucketLifecycle"},
        {"PutBucketLifecycleConfiguration", "PutBucketLifecycle"},
        {"PutBucketLifecycle", "PutBucketLifecycle"},
        {"GetBucketNotificationConfiguration", "GetBucketNotification"},
        {"GetBucketNotification", "GetBucketNotification"},
        {"PutBucketNotificationConfiguration", "PutBucketNotification"},
        {"PutBucketNotification", "PutBucketNotification"},
        {"GetPublicAccessBlock", "GetBucketPublicAccessBlock"},
        {"PutPublicAccessBlock", "PutBucketPublicAccessBlock"},
        {"DeletePublicAccessBlock", "DeleteBucketPublicAccessBlock"},
        {"GetAccountPublicAccessBlock", "GetAccountPublicAccessBlock"},
        {"PutAccountPublicAccessBlock", "PutAccountPublicAccessBlock"},
        {"DeleteAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock"},
        {"OptionsObject", "PreflightRequest"},
    };
    size_t renamed = 0;
    for (size_t i = 0; i < sizeof renames / sizeof renames[0]; i++) {
        const struct s3_op *op = optable_find(renames[i].op);
        CHECK(op != NULL);
        if (op)
            CHECK_EQ_STR(op->event_name, renames[i].event);
    }
    /* Every other row logs under its own name. */
    for (size_t i = 0; i < s3_ops_count; i++) {
        const struct s3_op *op = &s3_ops[i];
        if (strcmp(op->name, op->event_name) == 0)
            continue;
        renamed++;
        bool listed = false;
        for (size_t k = 0; k < sizeof renames / sizeof renames[0]; k++)
            listed |= strcmp(renames[k].op, op->name) == 0;
        if (!listed) {
            fprintf(stderr, "  unexpected rename %s -> %s\n", op->name, op->event_name);
            unit_failures++;
        }
    }
    CHECK_EQ_INT(renamed, 9);
}

TEST(optable_columns_filled)
{
    size_t anon = 0;
    for (size_t i = 0; i < s3_ops_count; i++) {
        const struct s3_op *op = &s3_ops[i];
        CHECK(op->name && op->name[0]);
        CHECK(op->method && op->method[0]);
        CHECK(op->event_name && op->event_name[0]);
        CHECK(op->event_source && op->event_source[0]);
        /* The CORS preflight is the one call no IAM action governs. */
        if (has_flag(op, OPF_ANON_OK)) {
            anon++;
            CHECK(op->iam_action == NULL);
        } else if (!op->iam_action || !strchr(op->iam_action, ':')) {
            fprintf(stderr, "  %s: iam_action \"%s\"\n", op->name,
                    op->iam_action ? op->iam_action : "(null)");
            unit_failures++;
        }
        CHECK(!op->query || (op->query[0] && op->query[0] != ' '));
        CHECK(!op->header || op->header[0]);
        /* Management events are bucket- or account-level; data events name objects. */
        if (op->category == CAT_MANAGEMENT)
            CHECK(op->resources != RES_OBJECT && op->resources != RES_LIST);
        CHECK((op->shape == SHAPE_ACCOUNT) == (op->resources == RES_ACCOUNT));
    }
    CHECK_EQ_INT(anon, 1);
    const struct s3_op *opt = optable_find("OptionsObject");
    CHECK(opt && strcmp(opt->method, "OPTIONS") == 0 && opt->shape == SHAPE_OBJECT);
}

TEST(optable_event_sources)
{
    for (size_t i = 0; i < s3_ops_count; i++) {
        const struct s3_op *op = &s3_ops[i];
        const char *want = "s3.amazonaws.com";
        if (!strcmp(op->name, "CreateSession") || !strcmp(op->name, "RenameObject") ||
            !strcmp(op->name, "ListDirectoryBuckets"))
            want = "s3express.amazonaws.com";
        else if (!strcmp(op->name, "WriteGetObjectResponse"))
            want = "s3-object-lambda.amazonaws.com";
        CHECK_EQ_STR(op->event_source, want);
    }
}

TEST(optable_categories)
{
    static const struct {
        const char *op;
        enum op_category cat;
        bool ro;
        enum op_resources res;
    } want[] = {
        {"ListBuckets", CAT_MANAGEMENT, true, RES_NONE},
        {"CreateBucket", CAT_MANAGEMENT, false, RES_NONE},
        {"DeleteBucket", CAT_MANAGEMENT, false, RES_BUCKET},
        {"GetBucketAcl", CAT_MANAGEMENT, true, RES_BUCKET},
        {"PutBucketLogging", CAT_MANAGEMENT, false, RES_BUCKET},
        {"GetAccountPublicAccessBlock", CAT_MANAGEMENT, true, RES_ACCOUNT},
        {"HeadBucket", CAT_DATA, true, RES_LIST},
        {"ListObjects", CAT_DATA, true, RES_LIST},
        {"ListObjectsV2", CAT_DATA, true, RES_LIST},
        {"ListObjectVersions", CAT_DATA, true, RES_LIST},
        {"ListMultipartUploads", CAT_DATA, true, RES_LIST},
        {"DeleteObjects", CAT_DATA, false, RES_LIST},
        {"GetObject", CAT_DATA, true, RES_OBJECT},
        {"HeadObject", CAT_DATA, true, RES_OBJECT},
        {"PutObject", CAT_DATA, false, RES_OBJECT},
        {"CopyObject", CAT_DATA, false, RES_OBJECT},
        {"PostObject", CAT_DATA, false, RES_OBJECT},
        {"SelectObjectContent", CAT_DATA, true, RES_OBJECT},
        {"OptionsObject", CAT_DATA, true, RES_OBJECT},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct s3_op *op = optable_find(want[i].op);
        CHECK(op != NULL);
        if (!op)
            continue;
        CHECK_EQ_INT(op->category, want[i].cat);
        CHECK_EQ_INT(op->read_only, want[i].ro);
        CHECK_EQ_INT(op->resources, want[i].res);
    }
    /* Object-shaped calls are data events; bucket configuration calls are management events. */
    for (size_t i = 0; i < s3_ops_count; i++) {
        const struct s3_op *op = &s3_ops[i];
        if (op->shape == SHAPE_OBJECT)
            CHECK_EQ_INT(op->category, CAT_DATA);
        if (op->shape == SHAPE_BUCKET && op->query &&
            (!strncmp(op->name, "GetBucket", 9) || !strncmp(op->name, "PutBucket", 9) ||
             !strncmp(op->name, "DeleteBucket", 12)))
            CHECK_EQ_INT(op->category, CAT_MANAGEMENT);
        /* readOnly follows the verb, except SelectObjectContent (a POST that only reads). */
        bool reads = !strncmp(op->name, "Get", 3) || !strncmp(op->name, "List", 4) ||
                     !strncmp(op->name, "Head", 4);
        if (strcmp(op->name, "SelectObjectContent") && strcmp(op->name, "OptionsObject") &&
            strcmp(op->name, "CreateSession"))
            CHECK_EQ_INT(op->read_only, reads);
    }
}

TEST(optable_bodies)
{
    for (size_t i = 0; i < s3_ops_count; i++) {
        const struct s3_op *op = &s3_ops[i];
        enum op_body want = BODY_NONE;
        if (!strcmp(op->name, "PutObject") || !strcmp(op->name, "UploadPart") ||
            !strcmp(op->name, "PostObject") || !strcmp(op->name, "WriteGetObjectResponse"))
            want = BODY_OBJECT;
        else if (!strcmp(op->method, "PUT") && strcmp(op->name, "CopyObject") &&
                 strcmp(op->name, "UploadPartCopy") && strcmp(op->name, "RenameObject"))
            want = BODY_XML; /* every Put... configuration, Update..., CreateBucket */
        else if (!strcmp(op->method, "POST") && strcmp(op->name, "CreateMultipartUpload"))
            want = BODY_XML; /* DeleteObjects, Complete..., Restore..., Select..., metadata */
        if (op->body != want) {
            fprintf(stderr, "  %s: body %d, expected %d\n", op->name, op->body, want);
            unit_failures++;
        }
    }
}

TEST(optable_handlers)
{
    static const struct {
        const char *op;
        s3_handler_fn fn;
    } want[] = {
        {"ListBuckets", h_list_buckets},
        {"CreateBucket", h_create_bucket},
        {"DeleteBucket", h_delete_bucket},
        {"HeadBucket", h_head_bucket},
        {"GetBucketLocation", h_get_bucket_location},
        {"PutObject", h_put_object},
        {"GetObject", h_get_object},
        {"HeadObject", h_head_object},
        {"DeleteObject", h_delete_object},
        {"DeleteObjects", h_delete_objects},
        {"CopyObject", h_copy_object},
        {"ListObjects", h_list_objects},
        {"ListObjectsV2", h_list_objects_v2},
        {"ListObjectVersions", h_list_object_versions},
        {"OptionsObject", h_options_object},
        {"CreateMultipartUpload", h_create_multipart_upload},
        {"UploadPart", h_upload_part},
        {"UploadPartCopy", h_upload_part_copy},
        {"CompleteMultipartUpload", h_complete_multipart_upload},
        {"AbortMultipartUpload", h_abort_multipart_upload},
        {"ListParts", h_list_parts},
        {"ListMultipartUploads", h_list_multipart_uploads},
        {"PutBucketPolicy", h_put_bucket_policy},
        {"GetBucketPolicy", h_get_bucket_policy},
        {"DeleteBucketPolicy", h_delete_bucket_policy},
        {"GetBucketPolicyStatus", h_get_bucket_policy_status},
        {"GetBucketAcl", h_get_bucket_acl},
        {"PutBucketAcl", h_put_bucket_acl},
        {"GetObjectAcl", h_get_object_acl},
        {"PutObjectAcl", h_put_object_acl},
        {"GetBucketOwnershipControls", h_get_bucket_ownership_controls},
        {"PutBucketOwnershipControls", h_put_bucket_ownership_controls},
        {"DeleteBucketOwnershipControls", h_delete_bucket_ownership_controls},
        {"GetPublicAccessBlock", h_get_public_access_block},
        {"PutPublicAccessBlock", h_put_public_access_block},
        {"DeletePublicAccessBlock", h_delete_public_access_block},
        {"GetAccountPublicAccessBlock", h_get_account_public_access_block},
        {"PutAccountPublicAccessBlock", h_put_account_public_access_block},
        {"DeleteAccountPublicAccessBlock", h_delete_account_public_access_block},
    };
    size_t with = 0;
    for (size_t i = 0; i < s3_ops_count; i++)
        with += s3_ops[i].handler != NULL;
    CHECK_EQ_INT(with, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct s3_op *op = optable_find(want[i].op);
        CHECK(op && op->handler == want[i].fn);
    }
}

TEST(optable_unrouted)
{
    size_t n = 0;
    for (size_t i = 0; i < s3_ops_count; i++) {
        const struct s3_op *op = &s3_ops[i];
        if (!has_flag(op, OPF_UNROUTED))
            continue;
        n++;
        CHECK(!strcmp(op->name, "CreateSession") || !strcmp(op->name, "ListDirectoryBuckets") ||
              !strcmp(op->name, "WriteGetObjectResponse"));
        CHECK(op->handler == NULL);
    }
    CHECK_EQ_INT(n, 3);
    const struct s3_op *post = optable_find("PostObject");
    CHECK(post && post->flags == OPF_FORM && !post->query && !post->header);
}

/* Would every request that matches `b` also match the earlier row `a`? Then `b` is unreachable. */
static bool shadows(const struct s3_op *a, const struct s3_op *b)
{
    if (a->shape != b->shape || strcmp(a->method, b->method) != 0)
        return false;
    if (has_flag(a, OPF_FORM) && !has_flag(b, OPF_FORM))
        return false;
    for (const char *p = a->query; p && *p;) {
        size_t n = strcspn(p, " ");
        /* "x" is satisfied by b's "x" or "x=v"; "x=v" only by "x=v". */
        bool ok = has_token(b->query, p, n);
        if (!ok && !memchr(p, '=', n))
            for (const char *t = b->query; t && *t && !ok;) {
                size_t m = strcspn(t, " ");
                ok = m > n && t[n] == '=' && strncmp(t, p, n) == 0;
                t += m;
                t += strspn(t, " ");
            }
        if (!ok)
            return false;
        p += n;
        p += strspn(p, " ");
    }
    return !a->header || (b->header && strcmp(a->header, b->header) == 0);
}

TEST(optable_no_shadowed_rows)
{
    /* Wire-identical twins: the deprecated one comes right after the current one and is never
     * matched; both log the same eventName. No other row may be shadowed. */
    static const struct {
        const char *current, *deprecated;
    } twins[] = {
        {"GetBucketLifecycleConfiguration", "GetBucketLifecycle"},
        {"PutBucketLifecycleConfiguration", "PutBucketLifecycle"},
        {"GetBucketNotificationConfiguration", "GetBucketNotification"},
        {"PutBucketNotificationConfiguration", "PutBucketNotification"},
    };
    for (size_t t = 0; t < sizeof twins / sizeof twins[0]; t++) {
        const struct s3_op *c = optable_find(twins[t].current);
        const struct s3_op *d = optable_find(twins[t].deprecated);
        CHECK(c && d && d == c + 1);
        if (c && d) {
            CHECK_EQ_STR(c->event_name, d->event_name);
            CHECK(shadows(c, d) && shadows(d, c));
        }
    }
    for (size_t j = 0; j < s3_ops_count; j++) {
        const struct s3_op *b = &s3_ops[j];
        if (has_flag(b, OPF_UNROUTED))
            continue;
        for (size_t i = 0; i < j; i++) {
            const struct s3_op *a = &s3_ops[i];
            if (has_flag(a, OPF_UNROUTED) || !shadows(a, b))
                continue;
            bool twin = false;
            for (size_t t = 0; t < sizeof twins / sizeof twins[0]; t++)
                twin |= !strcmp(a->name, twins[t].current) && !strcmp(b->name, twins[t].deprecated);
            if (!twin) {
                fprintf(stderr, "  %s is unreachable: %s matches first\n", b->name, a->name);
                unit_failures++;
            }
        }
    }
}

/* A reference of the router's matching rule (optable.h): method, shape, every `query` token
 * present (with its value when given), the `header` rule, the form condition. `query` here is a
 * request's raw query string, `headers` a space-separated list of header names present. */
static bool query_has(const char *query, const char *tok, size_t toklen)
{
    const char *eq = memchr(tok, '=', toklen);
    size_t namelen = eq ? (size_t)(eq - tok) : toklen;
    for (const char *p = query; p && *p;) {
        size_t n = strcspn(p, "&");
        size_t pn = strcspn(p, "=&");
        if (pn == namelen && strncmp(p, tok, namelen) == 0) {
            if (!eq)
                return true;
            const char *v = p + pn + (p[pn] == '=');
            size_t vn = n - (size_t)(v - p);
            size_t wn = toklen - namelen - 1;
            if (vn == wn && strncmp(v, eq + 1, vn) == 0)
                return true;
        }
        p += n;
        p += strspn(p, "&");
    }
    return false;
}

static const char *route(const char *method, enum op_shape shape, const char *query,
                         const char *headers, bool form)
{
    for (size_t i = 0; i < s3_ops_count; i++) {
        const struct s3_op *op = &s3_ops[i];
        if (has_flag(op, OPF_UNROUTED) || op->shape != shape || strcmp(op->method, method) != 0)
            continue;
        if (has_flag(op, OPF_FORM) && !form)
            continue;
        bool ok = true;
        for (const char *p = op->query; ok && p && *p;) {
            size_t n = strcspn(p, " ");
            ok = query_has(query, p, n);
            p += n;
            p += strspn(p, " ");
        }
        if (ok && op->header) {
            bool neg = op->header[0] == '!';
            const char *h = op->header + neg;
            ok = has_token(headers, h, strlen(h)) != neg;
        }
        if (ok)
            return op->name;
    }
    return "(none)";
}

TEST(optable_routing)
{
    static const struct {
        const char *method;
        enum op_shape shape;
        const char *query, *headers;
        bool form;
        const char *want;
    } cases[] = {
        {"GET", SHAPE_SERVICE, "", "", false, "ListBuckets"},
        {"GET", SHAPE_SERVICE, "max-buckets=10&x-id=ListBuckets", "", false, "ListBuckets"},
        {"GET", SHAPE_BUCKET, "", "", false, "ListObjects"},
        {"GET", SHAPE_BUCKET, "prefix=a%2F&delimiter=%2F&encoding-type=url", "", false,
         "ListObjects"},
        {"GET", SHAPE_BUCKET, "list-type=2&prefix=", "", false, "ListObjectsV2"},
        {"GET", SHAPE_BUCKET, "list-type=1", "", false, "ListObjects"},
        {"GET", SHAPE_BUCKET, "versions&prefix=x", "", false, "ListObjectVersions"},
        {"GET", SHAPE_BUCKET, "uploads", "", false, "ListMultipartUploads"},
        {"GET", SHAPE_BUCKET, "analytics&id=a1", "", false, "GetBucketAnalyticsConfiguration"},
        {"GET", SHAPE_BUCKET, "id=a1&analytics", "", false, "GetBucketAnalyticsConfiguration"},
        {"GET", SHAPE_BUCKET, "analytics", "", false, "ListBucketAnalyticsConfigurations"},
        {"GET", SHAPE_BUCKET, "inventory&id=i", "", false, "GetBucketInventoryConfiguration"},
        {"GET", SHAPE_BUCKET, "inventory", "", false, "ListBucketInventoryConfigurations"},
        {"GET", SHAPE_BUCKET, "metrics&id=m", "", false, "GetBucketMetricsConfiguration"},
        {"GET", SHAPE_BUCKET, "metrics&continuation-token=t", "", false,
         "ListBucketMetricsConfigurations"},
        {"GET", SHAPE_BUCKET, "intelligent-tiering&id=t", "", false,
         "GetBucketIntelligentTieringConfiguration"},
        {"GET", SHAPE_BUCKET, "intelligent-tiering", "", false,
         "ListBucketIntelligentTieringConfigurations"},
        {"GET", SHAPE_BUCKET, "lifecycle", "", false, "GetBucketLifecycleConfiguration"},
        {"GET", SHAPE_BUCKET, "notification", "", false, "GetBucketNotificationConfiguration"},
        {"GET", SHAPE_BUCKET, "location", "", false, "GetBucketLocation"},
        {"GET", SHAPE_BUCKET, "policy", "", false, "GetBucketPolicy"},
        {"GET", SHAPE_BUCKET, "policyStatus", "", false, "GetBucketPolicyStatus"},
        {"GET", SHAPE_BUCKET, "publicAccessBlock", "", false, "GetPublicAccessBlock"},
        {"GET", SHAPE_BUCKET, "object-lock", "", false, "GetObjectLockConfiguration"},
        {"GET", SHAPE_BUCKET, "acl", "", false, "GetBucketAcl"},
        {"GET", SHAPE_BUCKET, "tagging", "", false, "GetBucketTagging"},
        {"GET", SHAPE_BUCKET, "encryption", "", false, "GetBucketEncryption"},
        {"GET", SHAPE_BUCKET, "metadataTable", "", false, "GetBucketMetadataTableConfiguration"},
        {"GET", SHAPE_BUCKET, "metadataConfiguration", "", false, "GetBucketMetadataConfiguration"},
        {"HEAD", SHAPE_BUCKET, "", "", false, "HeadBucket"},
        {"PUT", SHAPE_BUCKET, "", "", false, "CreateBucket"},
        {"PUT", SHAPE_BUCKET, "versioning", "", false, "PutBucketVersioning"},
        {"PUT", SHAPE_BUCKET, "lifecycle", "", false, "PutBucketLifecycleConfiguration"},
        {"PUT", SHAPE_BUCKET, "notification", "", false, "PutBucketNotificationConfiguration"},
        {"PUT", SHAPE_BUCKET, "analytics&id=a", "", false, "PutBucketAnalyticsConfiguration"},
        /* Without the required id the configuration handler must answer, not CreateBucket. */
        {"PUT", SHAPE_BUCKET, "analytics", "", false, "PutBucketAnalyticsConfiguration"},
        {"PUT", SHAPE_BUCKET, "publicAccessBlock", "", false, "PutPublicAccessBlock"},
        {"PUT", SHAPE_BUCKET, "metadataJournalTable", "", false,
         "UpdateBucketMetadataJournalTableConfiguration"},
        {"DELETE", SHAPE_BUCKET, "", "", false, "DeleteBucket"},
        {"DELETE", SHAPE_BUCKET, "cors", "", false, "DeleteBucketCors"},
        /* Never DeleteBucket. */
        {"DELETE", SHAPE_BUCKET, "metrics", "", false, "DeleteBucketMetricsConfiguration"},
        {"DELETE", SHAPE_BUCKET, "publicAccessBlock", "", false, "DeletePublicAccessBlock"},
        {"POST", SHAPE_BUCKET, "delete", "content-md5", false, "DeleteObjects"},
        {"POST", SHAPE_BUCKET, "metadataTable", "", false,
         "CreateBucketMetadataTableConfiguration"},
        {"POST", SHAPE_BUCKET, "", "content-type", true, "PostObject"},
        {"POST", SHAPE_BUCKET, "", "", false, "(none)"},
        {"GET", SHAPE_OBJECT, "", "", false, "GetObject"},
        {"GET", SHAPE_OBJECT, "versionId=v&partNumber=2&response-content-type=a", "", false,
         "GetObject"},
        {"GET", SHAPE_OBJECT, "uploadId=u&max-parts=5", "", false, "ListParts"},
        {"GET", SHAPE_OBJECT, "acl", "", false, "GetObjectAcl"},
        {"GET", SHAPE_OBJECT, "tagging&versionId=v", "", false, "GetObjectTagging"},
        {"GET", SHAPE_OBJECT, "attributes", "x-amz-object-attributes", false,
         "GetObjectAttributes"},
        /* The handler refuses the missing header; the object is never served. */
        {"GET", SHAPE_OBJECT, "attributes", "", false, "GetObjectAttributes"},
        {"GET", SHAPE_OBJECT, "legal-hold", "", false, "GetObjectLegalHold"},
        {"GET", SHAPE_OBJECT, "retention", "", false, "GetObjectRetention"},
        {"GET", SHAPE_OBJECT, "torrent", "", false, "GetObjectTorrent"},
        {"HEAD", SHAPE_OBJECT, "partNumber=1", "", false, "HeadObject"},
        {"PUT", SHAPE_OBJECT, "", "", false, "PutObject"},
        {"PUT", SHAPE_OBJECT, "x-id=PutObject", "content-md5", false, "PutObject"},
        {"PUT", SHAPE_OBJECT, "", "x-amz-copy-source", false, "CopyObject"},
        {"PUT", SHAPE_OBJECT, "partNumber=1&uploadId=u", "", false, "UploadPart"},
        {"PUT", SHAPE_OBJECT, "uploadId=u&partNumber=3",
         "x-amz-copy-source x-amz-copy-source-range", false, "UploadPartCopy"},
        {"PUT", SHAPE_OBJECT, "renameObject", "x-amz-rename-source", false, "RenameObject"},
        {"PUT", SHAPE_OBJECT, "acl", "", false, "PutObjectAcl"},
        {"PUT", SHAPE_OBJECT, "tagging", "", false, "PutObjectTagging"},
        {"PUT", SHAPE_OBJECT, "retention", "", false, "PutObjectRetention"},
        {"PUT", SHAPE_OBJECT, "legal-hold", "", false, "PutObjectLegalHold"},
        {"PUT", SHAPE_OBJECT, "encryption", "", false, "UpdateObjectEncryption"},
        {"POST", SHAPE_OBJECT, "uploads", "", false, "CreateMultipartUpload"},
        {"POST", SHAPE_OBJECT, "uploadId=u", "", false, "CompleteMultipartUpload"},
        {"POST", SHAPE_OBJECT, "restore", "", false, "RestoreObject"},
        {"POST", SHAPE_OBJECT, "select&select-type=2", "", false, "SelectObjectContent"},
        {"POST", SHAPE_OBJECT, "select&select-type=1", "", false, "(none)"},
        {"POST", SHAPE_OBJECT, "", "", false, "(none)"},
        {"DELETE", SHAPE_OBJECT, "", "", false, "DeleteObject"},
        {"DELETE", SHAPE_OBJECT, "versionId=v", "", false, "DeleteObject"},
        {"DELETE", SHAPE_OBJECT, "uploadId=u", "", false, "AbortMultipartUpload"},
        {"DELETE", SHAPE_OBJECT, "tagging", "", false, "DeleteObjectTagging"},
        {"OPTIONS", SHAPE_OBJECT, "", "origin access-control-request-method", false,
         "OptionsObject"},
        {"GET", SHAPE_ACCOUNT, "", "x-amz-account-id", false, "GetAccountPublicAccessBlock"},
        {"PUT", SHAPE_ACCOUNT, "", "x-amz-account-id", false, "PutAccountPublicAccessBlock"},
        {"DELETE", SHAPE_ACCOUNT, "", "x-amz-account-id", false, "DeleteAccountPublicAccessBlock"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got =
            route(cases[i].method, cases[i].shape, cases[i].query, cases[i].headers, cases[i].form);
        if (strcmp(got, cases[i].want) != 0) {
            fprintf(stderr, "  %s shape %d ?%s [%s]: routed to %s, expected %s\n", cases[i].method,
                    cases[i].shape, cases[i].query, cases[i].headers, got, cases[i].want);
            unit_failures++;
        }
    }
}

TEST(optable_markdown)
{
    struct buf out = BUF_INIT;
    CHECK_EQ_INT(optable_write_markdown(&out), 0);
    CHECK(out.data != NULL);
    if (!out.data)
        return;
    size_t lines = 0;
    for (const char *p = out.data; *p; p++)
        lines += *p == '\n';
    CHECK_EQ_INT(lines, s3_ops_count + 2);
    CHECK(out.len > 0 && out.data[out.len - 1] == '\n');
    static const char head[] =
        "| Operation | HTTP | CloudTrail eventName | Category | readOnly | Status |\n"
        "|---|---|---|---|---|---|\n"
        "| ListBuckets | `GET /` | ListBuckets | Management | true | supported |\n";
    CHECK(strncmp(out.data, head, strlen(head)) == 0);
    CHECK(strstr(out.data, "\n| ListObjectsV2 | `GET /{Bucket}?list-type=2` | ListObjects | Data | "
                           "true | supported |\n") != NULL);
    CHECK(strstr(out.data,
                 "\n| UploadPartCopy | `PUT /{Bucket}/{Key+}?partNumber&uploadId` + "
                 "`x-amz-copy-source` | UploadPartCopy | Data | false | supported |\n") != NULL);
    CHECK(strstr(out.data, "\n| GetBucketAnalyticsConfiguration | `GET /{Bucket}?analytics&id` | "
                           "GetBucketAnalyticsConfiguration | Management | true | "
                           "NotImplemented (501) |\n") != NULL);
    CHECK(strstr(out.data,
                 "\n| GetBucketLifecycle | `GET /{Bucket}?lifecycle` (same request as "
                 "GetBucketLifecycleConfiguration, which answers it) | "
                 "GetBucketLifecycle | Management | true | NotImplemented (501) |\n") != NULL);
    CHECK(strstr(out.data, "\n| OptionsObject | `OPTIONS /{Bucket}/{Key+}` | PreflightRequest | "
                           "Data | true | supported |\n") != NULL);
    CHECK(strstr(out.data, "\n| WriteGetObjectResponse | `POST /WriteGetObjectResponse` (only on "
                           "an AWS-specific host; not routed) |") != NULL);
    CHECK(strstr(out.data, "\n| PostObject | `POST /{Bucket}` (multipart/form-data) | PostObject "
                           "| Data | false | NotImplemented (501) |\n") != NULL);
    buf_free(&out);

    /* A failed append is reported, not hidden. */
    struct buf small = BUF_INIT;
    small.cap_limit = 64;
    CHECK(optable_write_markdown(&small) < 0);
    buf_free(&small);
}
