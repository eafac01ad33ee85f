/* trail/record: CloudTrail records built from hand-made requests, parsed back with jansson and
 * compared member by member (exact values and JSON types) with what AWS writes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "http/req.h"
#include "s3/errors.h"
#include "s3/optable.h"
#include "trail/record.h"
#include "unit.h"
#include "util/uuid.h"

/* ---- helpers --------------------------------------------------------------------------------- */

#define ROOT_ACCT "111122223333"
#define OWNER_ACCT "444455556666"
#define ROOT_KEY "AKIAIOSFODNN7EXAMPLE"
#define CANONICAL "d25639fbe9c19cd30a4c0f43fbf00e2d3f96400a9aa8dabfbbebe1906Example"
#define HOST_ID                                                                                    \
    "Plk5qxp4LoJpRJEteWviQ6J7sEr+Fvx5sn0fUbvBq6cUIexQbZm6lSzeW5e5TNss1l/5cxDmUDPXeKJu12KTmg=="

struct fx {
    struct req r;
    struct kv hdr[32];
    struct query_param q[32];
    struct resp_header rh[16];
    struct event_row ev;
    json_t *rec;
    struct event_row copy; /* the bucket owner's copy (fx_build_copy) */
    json_t *copy_rec;
};

static struct fx *fx_new(const char *op_name)
{
    struct fx *f = calloc(1, sizeof *f);
    struct req *r = &f->r;
    r->op = optable_find(op_name);
    if (!r->op) {
        fprintf(stderr, "  no operation %s\n", op_name);
        unit_failures++;
        abort();
    }
    r->method = r->op->method;
    r->protocol = PROTO_S3;
    snprintf(r->request_id, sizeof r->request_id, "K5FH04G883381FE1");
    snprintf(r->host_id, sizeof r->host_id, "%s", HOST_ID);
    snprintf(r->source_ip, sizeof r->source_ip, "203.0.113.45");
    snprintf(r->region, sizeof r->region, "us-east-1");
    r->host = "127.0.0.1:9000";
    r->headers = f->hdr;
    r->q = f->q;
    r->resp_headers = f->rh;
    r->status = 200;
    /* Root with a SigV4 Authorization header, the common case. */
    r->who.type = PRINCIPAL_ROOT;
    snprintf(r->who.account_id, sizeof r->who.account_id, ROOT_ACCT);
    snprintf(r->who.access_key, sizeof r->who.access_key, ROOT_KEY);
    r->who.sig_version = 4;
    r->who.auth_method = "AuthHeader";
    return f;
}

static void fx_header(struct fx *f, const char *name, const char *value)
{
    f->hdr[f->r.nheaders].name = name;
    f->hdr[f->r.nheaders].value = value;
    f->r.nheaders++;
}

static void fx_query(struct fx *f, const char *name, const char *value)
{
    f->q[f->r.nq].name = (char *)name;
    f->q[f->r.nq].value = (char *)value;
    f->q[f->r.nq].has_value = value[0] != '\0';
    f->r.nq++;
}

static void fx_resp_header(struct fx *f, const char *name, const char *value)
{
    f->rh[f->r.n_resp_headers].name = (char *)name;
    f->rh[f->r.n_resp_headers].value = (char *)value;
    f->r.n_resp_headers++;
}

static void fx_bucket(struct fx *f, const char *bucket, const char *owner)
{
    f->r.bucket = (char *)bucket;
    if (owner) {
        f->r.bkt_loaded = true;
        snprintf(f->r.bkt.name, sizeof f->r.bkt.name, "%s", bucket);
        snprintf(f->r.bkt.owner_account, sizeof f->r.bkt.owner_account, "%s", owner);
        snprintf(f->r.bkt.region, sizeof f->r.bkt.region, "us-east-1");
    }
}

static void fx_anonymous(struct fx *f)
{
    memset(&f->r.who, 0, sizeof f->r.who);
    f->r.who.type = PRINCIPAL_ANONYMOUS;
    snprintf(f->r.who.account_id, sizeof f->r.who.account_id, "anonymous");
}

static void fx_iam_user(struct fx *f)
{
    struct principal *w = &f->r.who;
    w->type = PRINCIPAL_IAM_USER;
    snprintf(w->principal_id, sizeof w->principal_id, "AIDAJ45Q7YFFAREXAMPLE");
    snprintf(w->arn, sizeof w->arn, "arn:aws:iam::" ROOT_ACCT ":user/Alice");
    snprintf(w->user_name, sizeof w->user_name, "Alice");
    snprintf(w->access_key, sizeof w->access_key, "AKIAI44QH8DHBEXAMPLE");
}

/* Builds the record and parses it: it must be one valid JSON object of at most 256 KB. */
static json_t *fx_build(struct fx *f)
{
    int rc = record_build(&f->r, &f->ev, NULL);
    CHECK_EQ_INT(rc, 0);
    if (rc || !f->ev.record) {
        abort();
    }
    CHECK(strlen(f->ev.record) <= 256 * 1024);
    CHECK(strchr(f->ev.record, '\n') == NULL);
    json_error_t err;
    f->rec = json_loads(f->ev.record, JSON_REJECT_DUPLICATES, &err);
    if (!f->rec) {
        fprintf(stderr, "  record is not JSON (%s): %s\n", err.text, f->ev.record);
        unit_failures++;
        abort();
    }
    json_t *res = json_loads(f->ev.resources, JSON_REJECT_DUPLICATES, &err);
    CHECK(json_is_array(res));
    json_decref(res);
    return f->rec;
}

static void fx_free(struct fx *f)
{
    json_decref(f->rec);
    json_decref(f->copy_rec);
    free(f->ev.record);
    free(f->ev.resources);
    free(f->copy.record);
    free(f->copy.resources);
    free(f->r.record_request_parameters);
    free(f->r.record_response_elements);
    buf_free(&f->r.body.mem);
    buf_free(&f->r.resp_body);
    free(f);
}

/* v (NULL: absent) equals the JSON text `expect`: same types, same values, order ignored. */
#define CHECK_JSON(v, expect) check_json(__FILE__, __LINE__, #v, (v), (expect))
static void check_json(const char *file, int line, const char *what, json_t *v, const char *expect)
{
    json_error_t err;
    json_t *x = json_loads(expect, JSON_DECODE_ANY, &err);
    if (!x) {
        fprintf(stderr, "  %s:%d: bad expected JSON %s (%s)\n", file, line, expect, err.text);
        unit_failures++;
        return;
    }
    if (!v || !json_equal(v, x)) {
        char *got = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        fprintf(stderr, "  %s:%d: %s == %s\n      expected %s\n", file, line, what,
                got ? got : "(absent)", expect);
        free(got);
        unit_failures++;
    }
    json_decref(x);
}

static json_t *get(json_t *o, const char *key)
{
    return json_object_get(o, key);
}

static bool is_uuid_v4(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

/* ---- the common fields, on a data event ------------------------------------------------------ */

TEST(record_get_object_root)
{
    struct fx *f = fx_new("GetObject");
    fx_bucket(f, "amzn-s3-demo-bucket", ROOT_ACCT);
    f->r.key = "reports/2025/sitemap.xml";
    fx_header(f, "Host", "127.0.0.1:9000");
    fx_header(f, "User-Agent", "Boto3/1.43.0 md/Botocore#1.43.11 ua/2.1 os/linux");
    fx_header(f, "X-Amz-Date", "20250210T050432Z");
    fx_header(f, "X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD");
    fx_header(f, "Authorization", "AWS4-HMAC-SHA256 Credential=...");
    f->r.bytes_in = 0;
    f->r.bytes_out = 339117;
    time_t before = time(NULL);
    json_t *v = fx_build(f);

    CHECK_JSON(get(v, "eventVersion"), "\"1.11\"");
    CHECK_JSON(get(v, "userIdentity"),
               "{\"type\":\"Root\",\"principalId\":\"" ROOT_ACCT "\","
               "\"arn\":\"arn:aws:iam::" ROOT_ACCT ":root\",\"accountId\":\"" ROOT_ACCT "\","
               "\"accessKeyId\":\"" ROOT_KEY "\"}");
    const char *t = json_string_value(get(v, "eventTime"));
    CHECK(t && strlen(t) == 20 && t[4] == '-' && t[10] == 'T' && t[19] == 'Z');
    /* eventTime is the journal time, to the second */
    char want[32];
    time_t sec = (time_t)(f->ev.event_time_ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
    CHECK_EQ_STR(t, want);
    CHECK(sec >= before && sec <= time(NULL));
    CHECK_JSON(get(v, "eventSource"), "\"s3.amazonaws.com\"");
    CHECK_JSON(get(v, "eventName"), "\"GetObject\"");
    CHECK_JSON(get(v, "awsRegion"), "\"us-east-1\"");
    CHECK_JSON(get(v, "sourceIPAddress"), "\"203.0.113.45\"");
    CHECK_JSON(get(v, "userAgent"), "\"[Boto3/1.43.0 md/Botocore#1.43.11 ua/2.1 os/linux]\"");
    CHECK(get(v, "errorCode") == NULL && get(v, "errorMessage") == NULL);
    CHECK_JSON(get(v, "requestParameters"),
               "{\"bucketName\":\"amzn-s3-demo-bucket\",\"Host\":\"127.0.0.1:9000\","
               "\"key\":\"reports/2025/sitemap.xml\"}");
    CHECK_JSON(get(v, "responseElements"), "null");
    CHECK_JSON(get(v, "additionalEventData"),
               "{\"SignatureVersion\":\"SigV4\",\"bytesTransferredIn\":0,"
               "\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\"" HOST_ID "\","
               "\"bytesTransferredOut\":339117}");
    CHECK_JSON(get(v, "requestID"), "\"K5FH04G883381FE1\"");
    CHECK(is_uuid_v4(json_string_value(get(v, "eventID"))));
    CHECK_EQ_STR(json_string_value(get(v, "eventID")), f->ev.event_id);
    CHECK_JSON(get(v, "readOnly"), "true");
    CHECK_JSON(get(v, "resources"),
               "[{\"type\":\"AWS::S3::Object\","
               "\"ARN\":\"arn:aws:s3:::amzn-s3-demo-bucket/reports/2025/sitemap.xml\"},"
               "{\"accountId\":\"" ROOT_ACCT "\",\"type\":\"AWS::S3::Bucket\","
               "\"ARN\":\"arn:aws:s3:::amzn-s3-demo-bucket\"}]");
    CHECK_JSON(get(v, "eventType"), "\"AwsApiCall\"");
    CHECK_JSON(get(v, "managementEvent"), "false");
    CHECK_JSON(get(v, "recipientAccountId"), "\"" ROOT_ACCT "\"");
    CHECK_JSON(get(v, "eventCategory"), "\"Data\"");
    CHECK(get(v, "tlsDetails") == NULL);
    CHECK_EQ_INT(json_object_size(v), 19);

    /* AWS's key order */
    static const char *const order[] = {
        "\"eventVersion\"", "\"userIdentity\"", "\"eventTime\"", "\"eventSource\"",
        "\"eventName\"", "\"awsRegion\"", "\"sourceIPAddress\"", "\"userAgent\"",
        "\"requestParameters\"", "\"responseElements\"", "\"additionalEventData\"",
        "\"requestID\"", "\"eventID\"", "\"readOnly\"", "\"resources\"", "\"eventType\"",
        "\"managementEvent\"", "\"recipientAccountId\"", "\"eventCategory\"",
    };
    const char *at = f->ev.record;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *p = strstr(at, order[i]);
        CHECK(p != NULL);
        if (p)
            at = p;
    }

    /* the journal row */
    CHECK_EQ_STR(f->ev.event_name, "GetObject");
    CHECK_EQ_STR(f->ev.event_source, "s3.amazonaws.com");
    CHECK_EQ_STR(f->ev.account_id, ROOT_ACCT);
    CHECK_EQ_STR(f->ev.region, "us-east-1");
    CHECK_EQ_STR(f->ev.username, "root");
    CHECK_EQ_STR(f->ev.access_key, ROOT_KEY);
    CHECK(f->ev.read_only);
    CHECK(!f->ev.management);
    CHECK_EQ_STR(f->ev.resources,
                 "[{\"ResourceType\":\"AWS::S3::Object\","
                 "\"ResourceName\":\"amzn-s3-demo-bucket/reports/2025/sitemap.xml\"},"
                 "{\"ResourceType\":\"AWS::S3::Bucket\","
                 "\"ResourceName\":\"amzn-s3-demo-bucket\"}]");
    fx_free(f);
}

TEST(record_event_ids_differ)
{
    struct fx *f = fx_new("HeadObject");
    fx_bucket(f, "b", ROOT_ACCT);
    f->r.key = "k";
    char seen[40][UUID_STR_LEN];
    for (int i = 0; i < 40; i++) {
        CHECK_EQ_INT(record_build(&f->r, &f->ev, NULL), 0);
        CHECK(is_uuid_v4(f->ev.event_id));
        memcpy(seen[i], f->ev.event_id, UUID_STR_LEN);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(seen[i], seen[j]) != 0);
        free(f->ev.record);
        free(f->ev.resources);
        f->ev.record = f->ev.resources = NULL;
    }
    fx_free(f);
}

/* ---- userIdentity per principal type --------------------------------------------------------- */

TEST(record_identity_iam_user)
{
    struct fx *f = fx_new("ListBuckets");
    fx_iam_user(f);
    fx_header(f, "Host", "127.0.0.1:9000");
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "userIdentity"),
               "{\"type\":\"IAMUser\",\"principalId\":\"AIDAJ45Q7YFFAREXAMPLE\","
               "\"arn\":\"arn:aws:iam::" ROOT_ACCT ":user/Alice\",\"accountId\":\"" ROOT_ACCT "\","
               "\"accessKeyId\":\"AKIAI44QH8DHBEXAMPLE\",\"userName\":\"Alice\"}");
    /* ListBuckets: management, readOnly, only Host, no resources, "[]" without a User-Agent */
    CHECK_JSON(get(v, "requestParameters"), "{\"Host\":\"127.0.0.1:9000\"}");
    CHECK_JSON(get(v, "userAgent"), "\"[]\"");
    CHECK(get(v, "resources") == NULL);
    CHECK_JSON(get(v, "managementEvent"), "true");
    CHECK_JSON(get(v, "eventCategory"), "\"Management\"");
    CHECK_JSON(get(v, "readOnly"), "true");
    CHECK_JSON(get(v, "recipientAccountId"), "\"" ROOT_ACCT "\"");
    CHECK_EQ_STR(f->ev.username, "Alice");
    CHECK_EQ_STR(f->ev.access_key, "AKIAI44QH8DHBEXAMPLE");
    CHECK_EQ_STR(f->ev.resources, "[]");
    CHECK(f->ev.management);
    fx_free(f);
}

TEST(record_identity_anonymous)
{
    struct fx *f = fx_new("GetObject");
    fx_anonymous(f);
    fx_bucket(f, "flaws2.cloud", OWNER_ACCT);
    f->r.key = "fonts/lato-bold.woff";
    f->r.error = S3E_NoSuchKey;
    f->r.status = 404;
    f->r.bytes_out = 243;
    fx_header(f, "User-Agent", "Mozilla/5.0 (Macintosh)");
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "userIdentity"),
               "{\"type\":\"AWSAccount\",\"principalId\":\"\",\"accountId\":\"anonymous\"}");
    CHECK_JSON(get(v, "errorCode"), "\"NoSuchKey\"");
    CHECK_JSON(get(v, "errorMessage"), "\"The specified key does not exist.\"");
    CHECK_JSON(get(v, "responseElements"), "null");
    /* neither SignatureVersion nor AuthenticationMethod for an unsigned request */
    CHECK_JSON(get(v, "additionalEventData"),
               "{\"bytesTransferredIn\":0,\"x-amz-id-2\":\"" HOST_ID "\","
               "\"bytesTransferredOut\":243}");
    /* the bucket owner's history gets it */
    CHECK_JSON(get(v, "recipientAccountId"), "\"" OWNER_ACCT "\"");
    CHECK_EQ_STR(f->ev.account_id, OWNER_ACCT);
    CHECK_EQ_STR(f->ev.username, "");
    CHECK_EQ_STR(f->ev.access_key, "");
    /* errors keep resources and readOnly */
    CHECK_JSON(get(v, "readOnly"), "true");
    CHECK_EQ_INT(json_array_size(get(v, "resources")), 2);
    fx_free(f);
}

TEST(record_identity_anonymous_without_bucket)
{
    struct fx *f = fx_new("ListBuckets");
    fx_anonymous(f);
    f->r.error = S3E_AccessDenied;
    json_t *v = fx_build(f);
    CHECK(get(v, "recipientAccountId") == NULL);
    CHECK_EQ_STR(f->ev.account_id, "");
    CHECK_JSON(get(v, "errorCode"), "\"AccessDenied\"");
    CHECK_JSON(get(v, "errorMessage"), "\"Access Denied\"");
    fx_free(f);
}

TEST(record_identity_aws_service)
{
    struct fx *f = fx_new("GetBucketAcl");
    memset(&f->r.who, 0, sizeof f->r.who);
    f->r.who.type = PRINCIPAL_AWS_SERVICE;
    f->r.who.sig_version = 4;
    f->r.who.auth_method = "AuthHeader";
    fx_bucket(f, "cloudlogs", OWNER_ACCT);
    fx_query(f, "acl", "");
    fx_header(f, "User-Agent", "s3trail-delivery");
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "userIdentity"),
               "{\"type\":\"AWSService\",\"invokedBy\":\"cloudtrail.amazonaws.com\"}");
    CHECK_JSON(get(v, "sourceIPAddress"), "\"cloudtrail.amazonaws.com\"");
    CHECK_JSON(get(v, "userAgent"), "\"cloudtrail.amazonaws.com\"");
    CHECK_JSON(get(v, "recipientAccountId"), "\"" OWNER_ACCT "\"");
    CHECK_JSON(get(v, "requestParameters"),
               "{\"bucketName\":\"cloudlogs\",\"Host\":\"127.0.0.1:9000\",\"acl\":\"\"}");
    CHECK_JSON(get(v, "resources"),
               "[{\"accountId\":\"" OWNER_ACCT "\","
               "\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::cloudlogs\"}]");
    CHECK_EQ_STR(f->ev.username, "cloudtrail.amazonaws.com");
    fx_free(f);
}

TEST(record_identity_sessions)
{
    struct fx *f = fx_new("ListBuckets");
    struct principal *w = &f->r.who;
    w->type = PRINCIPAL_ASSUMED_ROLE;
    snprintf(w->principal_id, sizeof w->principal_id, "AROAIDPPEZS35WEXAMPLE:MySession");
    snprintf(w->arn, sizeof w->arn, "arn:aws:sts::" ROOT_ACCT ":assumed-role/Reader/MySession");
    snprintf(w->access_key, sizeof w->access_key, "ASIAIOSFODNN7EXAMPLE");
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "userIdentity"),
               "{\"type\":\"AssumedRole\",\"principalId\":\"AROAIDPPEZS35WEXAMPLE:MySession\","
               "\"arn\":\"arn:aws:sts::" ROOT_ACCT ":assumed-role/Reader/MySession\","
               "\"accountId\":\"" ROOT_ACCT "\",\"accessKeyId\":\"ASIAIOSFODNN7EXAMPLE\"}");
    CHECK_EQ_STR(f->ev.username, "MySession");
    fx_free(f);

    f = fx_new("ListBuckets");
    w = &f->r.who;
    w->type = PRINCIPAL_FEDERATED_USER;
    snprintf(w->principal_id, sizeof w->principal_id, ROOT_ACCT ":Bob");
    snprintf(w->arn, sizeof w->arn, "arn:aws:sts::" ROOT_ACCT ":federated-user/Bob");
    v = fx_build(f);
    CHECK_JSON(get(get(v, "userIdentity"), "type"), "\"FederatedUser\"");
    CHECK_EQ_STR(f->ev.username, "Bob");
    fx_free(f);
}

/* ---- requestParameters ----------------------------------------------------------------------- */

TEST(record_put_object_headers_and_sse)
{
    struct fx *f = fx_new("PutObject");
    fx_iam_user(f);
    fx_bucket(f, "wareville", ROOT_ACCT);
    f->r.key = "bank-details/qr.png";
    fx_header(f, "Host", "127.0.0.1:9000");
    fx_header(f, "X-Amz-ACL", "bucket-owner-full-control");
    fx_header(f, "x-amz-storage-class", "STANDARD");
    fx_header(f, "x-amz-meta-owner", "secret-person");
    fx_header(f, "x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    fx_header(f, "x-amz-date", "20241022T152239Z");
    fx_header(f, "x-amz-security-token", "FQoGZXIvYXdzEXAMPLE");
    fx_header(f, "x-amz-checksum-crc32", "AAAAAA==");
    fx_header(f, "x-amz-server-side-encryption-customer-key", "c2VjcmV0");
    fx_header(f, "x-amz-acl", "private"); /* a second copy: the first wins */
    fx_header(f, "x-amz-tagging", "a=b");
    f->r.bytes_in = 83;
    fx_resp_header(f, "ETag", "\"0cc175b9c0f1b6a831c399e269772661\"");
    fx_resp_header(f, "x-amz-server-side-encryption", "AES256");
    fx_resp_header(f, "x-amz-version-id", "3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY");
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"),
               "{\"bucketName\":\"wareville\",\"Host\":\"127.0.0.1:9000\","
               "\"x-amz-acl\":\"bucket-owner-full-control\",\"x-amz-storage-class\":\"STANDARD\","
               "\"x-amz-tagging\":\"a=b\",\"key\":\"bank-details/qr.png\"}");
    CHECK_JSON(get(v, "responseElements"),
               "{\"x-amz-server-side-encryption\":\"AES256\","
               "\"x-amz-version-id\":\"3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY\"}");
    CHECK_JSON(get(get(v, "additionalEventData"), "SSEApplied"), "\"Default_SSE_S3\"");
    CHECK_JSON(get(get(v, "additionalEventData"), "bytesTransferredIn"), "83");
    CHECK_JSON(get(v, "readOnly"), "false");
    CHECK(strstr(f->ev.record, "secret-person") == NULL);
    CHECK(strstr(f->ev.record, "c2VjcmV0") == NULL);
    CHECK(strstr(f->ev.record, "FQoGZXIvYXdzEXAMPLE") == NULL);
    CHECK(strstr(f->ev.record, "STREAMING") == NULL);
    fx_free(f);

    /* asked for: SSE_S3; no SSE header in the response: no SSEApplied, responseElements null */
    f = fx_new("PutObject");
    fx_bucket(f, "b", ROOT_ACCT);
    f->r.key = "k";
    fx_header(f, "x-amz-server-side-encryption", "AES256");
    fx_resp_header(f, "x-amz-server-side-encryption", "AES256");
    v = fx_build(f);
    CHECK_JSON(get(get(v, "additionalEventData"), "SSEApplied"), "\"SSE_S3\"");
    CHECK_JSON(get(get(v, "requestParameters"), "x-amz-server-side-encryption"), "\"AES256\"");
    fx_free(f);
    f = fx_new("PutObject");
    fx_bucket(f, "b", ROOT_ACCT);
    f->r.key = "k";
    fx_resp_header(f, "ETag", "\"x\"");
    v = fx_build(f);
    CHECK_JSON(get(v, "responseElements"), "null");
    CHECK(get(get(v, "additionalEventData"), "SSEApplied") == NULL);
    fx_free(f);
}

TEST(record_presigned_query_parameters)
{
    struct fx *f = fx_new("PutObject");
    f->r.who.auth_method = "QueryString";
    fx_bucket(f, "wareville", ROOT_ACCT);
    f->r.key = "k";
    fx_query(f, "X-Amz-Algorithm", "AWS4-HMAC-SHA256");
    fx_query(f, "X-Amz-Credential", ROOT_KEY "/20241022/us-east-1/s3/aws4_request");
    fx_query(f, "X-Amz-Date", "20241022T152239Z");
    fx_query(f, "X-Amz-Expires", "300");
    fx_query(f, "X-Amz-SignedHeaders", "host;x-amz-acl");
    fx_query(f, "X-Amz-Security-Token", "FQoGZXIvYXdzEXAMPLE");
    fx_query(f, "X-Amz-Signature", "aaaabbbbccccdddd");
    fx_query(f, "x-id", "PutObject");
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"),
               "{\"bucketName\":\"wareville\",\"Host\":\"127.0.0.1:9000\","
               "\"X-Amz-Algorithm\":\"AWS4-HMAC-SHA256\",\"X-Amz-Date\":\"20241022T152239Z\","
               "\"X-Amz-Expires\":\"300\",\"X-Amz-SignedHeaders\":\"host;x-amz-acl\","
               "\"x-id\":\"PutObject\",\"key\":\"k\"}");
    CHECK_JSON(get(get(v, "additionalEventData"), "AuthenticationMethod"), "\"QueryString\"");
    CHECK(strstr(f->ev.record, "aaaabbbbccccdddd") == NULL);
    CHECK(strstr(f->ev.record, "aws4_request") == NULL);
    fx_free(f);

    /* SigV2 presigned: Signature and AWSAccessKeyId are credentials, Expires is not */
    f = fx_new("GetObject");
    f->r.who.sig_version = 2;
    f->r.who.auth_method = "QueryString";
    fx_bucket(f, "b", ROOT_ACCT);
    f->r.key = "k";
    fx_query(f, "AWSAccessKeyId", ROOT_KEY);
    fx_query(f, "Expires", "1700000000");
    fx_query(f, "Signature", "c2lnbmF0dXJl");
    v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"),
               "{\"bucketName\":\"b\",\"Host\":\"127.0.0.1:9000\",\"Expires\":\"1700000000\","
               "\"key\":\"k\"}");
    CHECK_JSON(get(get(v, "additionalEventData"), "SignatureVersion"), "\"SigV2\"");
    fx_free(f);
}

TEST(record_query_duplicates_and_collisions)
{
    struct fx *f = fx_new("ListObjects");
    fx_bucket(f, "b", ROOT_ACCT);
    fx_query(f, "prefix", "first/");
    fx_query(f, "prefix", "second/");
    fx_query(f, "bucketName", "evil");
    fx_query(f, "Host", "evil");
    fx_query(f, "key", "evil");
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"),
               "{\"bucketName\":\"b\",\"Host\":\"127.0.0.1:9000\",\"prefix\":\"first/\"}");
    CHECK_JSON(get(json_array_get(get(v, "resources"), 0), "ARNPrefix"),
               "\"arn:aws:s3:::b/first/\"");
    fx_free(f);

    /* many parameters: the sorted duplicate check */
    f = fx_new("ListObjects");
    fx_bucket(f, "b", ROOT_ACCT);
    static char names[30][8];
    for (int i = 0; i < 30; i++) {
        snprintf(names[i], sizeof names[i], "p%02d", i % 20);
        fx_query(f, names[i], i < 20 ? "first" : "second");
    }
    v = fx_build(f);
    json_t *rp = get(v, "requestParameters");
    CHECK_EQ_INT(json_object_size(rp), 22);
    CHECK_JSON(get(rp, "p05"), "\"first\"");
    fx_free(f);
}

TEST(record_list_objects_v2)
{
    struct fx *f = fx_new("ListObjectsV2");
    fx_bucket(f, "wareville-care4wares", ROOT_ACCT);
    fx_query(f, "list-type", "2");
    fx_query(f, "prefix", "bank-details/");
    fx_query(f, "delimiter", "/");
    fx_query(f, "encoding-type", "url");
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "eventName"), "\"ListObjects\"");
    CHECK_JSON(get(v, "requestParameters"),
               "{\"bucketName\":\"wareville-care4wares\",\"Host\":\"127.0.0.1:9000\","
               "\"list-type\":\"2\",\"prefix\":\"bank-details/\",\"delimiter\":\"/\","
               "\"encoding-type\":\"url\"}");
    CHECK_JSON(get(v, "resources"),
               "[{\"type\":\"AWS::S3::Object\","
               "\"ARNPrefix\":\"arn:aws:s3:::wareville-care4wares/bank-details/\"},"
               "{\"accountId\":\"" ROOT_ACCT "\",\"type\":\"AWS::S3::Bucket\","
               "\"ARN\":\"arn:aws:s3:::wareville-care4wares\"}]");
    CHECK_EQ_STR(f->ev.resources,
                 "[{\"ResourceType\":\"AWS::S3::Object\","
                 "\"ResourceName\":\"wareville-care4wares/bank-details/\"},"
                 "{\"ResourceType\":\"AWS::S3::Bucket\","
                 "\"ResourceName\":\"wareville-care4wares\"}]");
    fx_free(f);
}

TEST(record_delete_objects_logs_no_keys)
{
    struct fx *f = fx_new("DeleteObjects");
    fx_bucket(f, "target-bucket", ROOT_ACCT);
    fx_query(f, "delete", "");
    buf_puts(&f->r.body.mem,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
             "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
             "<Object><Key>secret-plans.docx</Key></Object>"
             "<Object><Key>payroll/2025.csv</Key><VersionId>v1</VersionId></Object>"
             "<Quiet>true</Quiet></Delete>");
    f->r.bytes_in = f->r.body.mem.len;
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"),
               "{\"bucketName\":\"target-bucket\",\"Host\":\"127.0.0.1:9000\",\"delete\":\"\"}");
    CHECK(strstr(f->ev.record, "secret-plans") == NULL);
    CHECK(strstr(f->ev.record, "payroll") == NULL);
    CHECK_JSON(get(v, "resources"),
               "[{\"type\":\"AWS::S3::Object\",\"ARNPrefix\":\"arn:aws:s3:::target-bucket/\"},"
               "{\"accountId\":\"" ROOT_ACCT "\",\"type\":\"AWS::S3::Bucket\","
               "\"ARN\":\"arn:aws:s3:::target-bucket\"}]");
    CHECK(strstr(f->ev.resources, "secret") == NULL);
    fx_free(f);
}

TEST(record_copy_object_resources)
{
    struct fx *f = fx_new("CopyObject");
    fx_bucket(f, "bkt", ROOT_ACCT);
    f->r.key = "test-copy-object/README-copy.md";
    fx_header(f, "x-amz-copy-source", "bkt/test-copy-object/README.md");
    fx_resp_header(f, "x-amz-server-side-encryption", "AES256");
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"),
               "{\"bucketName\":\"bkt\",\"Host\":\"127.0.0.1:9000\","
               "\"x-amz-copy-source\":\"bkt/test-copy-object/README.md\","
               "\"key\":\"test-copy-object/README-copy.md\"}");
    CHECK_JSON(get(v, "responseElements"), "{\"x-amz-server-side-encryption\":\"AES256\"}");
    CHECK_JSON(get(v, "resources"),
               "[{\"type\":\"AWS::S3::Object\","
               "\"ARN\":\"arn:aws:s3:::bkt/test-copy-object/README-copy.md\"},"
               "{\"accountId\":\"" ROOT_ACCT "\",\"type\":\"AWS::S3::Bucket\","
               "\"ARN\":\"arn:aws:s3:::bkt\"},"
               "{\"type\":\"AWS::S3::Object\","
               "\"ARN\":\"arn:aws:s3:::bkt/test-copy-object/README.md\"}]");
    fx_free(f);

    /* another bucket, an encoded key and a version: the source bucket is listed too */
    f = fx_new("CopyObject");
    fx_bucket(f, "dst", ROOT_ACCT);
    f->r.key = "k";
    fx_header(f, "x-amz-copy-source", "/src/a%20b%2Bc.txt?versionId=null");
    v = fx_build(f);
    CHECK_JSON(get(v, "resources"),
               "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::dst/k\"},"
               "{\"accountId\":\"" ROOT_ACCT "\",\"type\":\"AWS::S3::Bucket\","
               "\"ARN\":\"arn:aws:s3:::dst\"},"
               "{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::src/a b+c.txt\"},"
               "{\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::src\"}]");
    CHECK_EQ_STR(f->ev.resources,
                 "[{\"ResourceType\":\"AWS::S3::Object\",\"ResourceName\":\"dst/k\"},"
                 "{\"ResourceType\":\"AWS::S3::Bucket\",\"ResourceName\":\"dst\"},"
                 "{\"ResourceType\":\"AWS::S3::Object\",\"ResourceName\":\"src/a b+c.txt\"},"
                 "{\"ResourceType\":\"AWS::S3::Bucket\",\"ResourceName\":\"src\"}]");
    fx_free(f);

    /* a malformed source adds nothing (the handler refused it) */
    f = fx_new("CopyObject");
    fx_bucket(f, "dst", ROOT_ACCT);
    f->r.key = "k";
    f->r.error = S3E_InvalidArgument;
    fx_header(f, "x-amz-copy-source", "nokey%zz");
    v = fx_build(f);
    CHECK_EQ_INT(json_array_size(get(v, "resources")), 2);
    fx_free(f);
}

/* ---- XML documents --------------------------------------------------------------------------- */

TEST(record_xml_access_control_policy)
{
    struct fx *f = fx_new("PutBucketAcl");
    fx_bucket(f, "b", ROOT_ACCT);
    fx_query(f, "acl", "");
    f->r.error = S3E_NotImplemented;
    buf_puts(&f->r.body.mem,
             "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
             "  <Owner><ID>" CANONICAL "</ID></Owner>\n"
             "  <AccessControlList>\n"
             "    <Grant>\n"
             "      <Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
             "xsi:type=\"CanonicalUser\"><ID>" CANONICAL "</ID></Grantee>\n"
             "      <Permission>FULL_CONTROL</Permission>\n"
             "    </Grant>\n"
             "  </AccessControlList>\n"
             "</AccessControlPolicy>\n");
    json_t *v = fx_build(f);
    /* exactly the AWS documentation's PutBucketAcl record */
    CHECK_JSON(get(get(v, "requestParameters"), "AccessControlPolicy"),
               "{\"AccessControlList\":{\"Grant\":{\"Grantee\":{\"xsi:type\":\"CanonicalUser\","
               "\"xmlns:xsi\":\"http://www.w3.org/2001/XMLSchema-instance\","
               "\"ID\":\"" CANONICAL "\"},"
               "\"Permission\":\"FULL_CONTROL\"}},"
               "\"xmlns\":\"http://s3.amazonaws.com/doc/2006-03-01/\","
               "\"Owner\":{\"ID\":\"" CANONICAL "\"}}");
    CHECK_JSON(get(v, "errorCode"), "\"NotImplemented\"");
    CHECK_JSON(get(v, "responseElements"), "null");
    CHECK_JSON(get(v, "managementEvent"), "true");
    fx_free(f);

    /* two grants: an array */
    f = fx_new("PutBucketAcl");
    fx_bucket(f, "b", ROOT_ACCT);
    buf_puts(&f->r.body.mem,
             "<AccessControlPolicy><AccessControlList>"
             "<Grant><Permission>READ</Permission></Grant>"
             "<Grant><Permission>WRITE</Permission></Grant>"
             "</AccessControlList></AccessControlPolicy>");
    v = fx_build(f);
    CHECK_JSON(get(get(v, "requestParameters"), "AccessControlPolicy"),
               "{\"AccessControlList\":{\"Grant\":[{\"Permission\":\"READ\"},"
               "{\"Permission\":\"WRITE\"}]}}");
    fx_free(f);
}

TEST(record_xml_typed_values)
{
    struct fx *f = fx_new("PutBucketReplication");
    fx_bucket(f, "b", ROOT_ACCT);
    fx_query(f, "replication", "");
    buf_puts(&f->r.body.mem,
             "<ReplicationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
             "<Role>arn:aws:iam::000000000:role/s3-replication-role</Role>"
             "<Rule><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>"
             "<Destination><Bucket>arn:aws:s3:::dst</Bucket></Destination>"
             "<Filter><Prefix></Prefix></Filter><Priority>1</Priority><Status>Enabled</Status>"
             "<ID>007</ID><Big>99999999999999999999</Big><Neg>-12</Neg><Zero>0</Zero>"
             "<T>TRUE</T><F>false</F><N>null</N><Pad>  x y  </Pad><Frac>1.5</Frac>"
             "<Amp>a&amp;b&lt;c</Amp><C><![CDATA[<raw>]]></C></Rule>"
             "</ReplicationConfiguration>");
    json_t *v = fx_build(f);
    CHECK_JSON(get(get(v, "requestParameters"), "ReplicationConfiguration"),
               "{\"Role\":\"arn:aws:iam::000000000:role/s3-replication-role\","
               "\"Rule\":{\"DeleteMarkerReplication\":{\"Status\":\"Disabled\"},"
               "\"Destination\":{\"Bucket\":\"arn:aws:s3:::dst\"},\"Filter\":{\"Prefix\":\"\"},"
               "\"Priority\":1,\"Status\":\"Enabled\",\"ID\":\"007\","
               "\"Big\":\"99999999999999999999\",\"Neg\":-12,\"Zero\":0,\"T\":true,\"F\":false,"
               "\"N\":\"null\",\"Pad\":\"x y\",\"Frac\":\"1.5\",\"Amp\":\"a&b<c\",\"C\":\"<raw>\"},"
               "\"xmlns\":\"http://s3.amazonaws.com/doc/2006-03-01/\"}");
    fx_free(f);

    /* PublicAccessBlock booleans, and an element with both attributes and text */
    f = fx_new("PutPublicAccessBlock");
    fx_bucket(f, "b", ROOT_ACCT);
    buf_puts(&f->r.body.mem,
             "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
             "<BlockPublicAcls>false</BlockPublicAcls><RestrictPublicBuckets>true"
             "</RestrictPublicBuckets><Note lang=\"en\">hi</Note><Empty/>"
             "</PublicAccessBlockConfiguration>");
    v = fx_build(f);
    CHECK_JSON(get(v, "eventName"), "\"PutBucketPublicAccessBlock\"");
    CHECK_JSON(get(get(v, "requestParameters"), "PublicAccessBlockConfiguration"),
               "{\"xmlns\":\"http://s3.amazonaws.com/doc/2006-03-01/\",\"BlockPublicAcls\":false,"
               "\"RestrictPublicBuckets\":true,\"Note\":{\"lang\":\"en\",\"content\":\"hi\"},"
               "\"Empty\":\"\"}");
    fx_free(f);
}

TEST(record_xml_create_bucket_and_bad_documents)
{
    struct fx *f = fx_new("CreateBucket");
    fx_bucket(f, "newbucket", NULL);
    buf_puts(&f->r.body.mem,
             "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
             "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>");
    fx_resp_header(f, "Location", "/newbucket");
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"),
               "{\"bucketName\":\"newbucket\",\"Host\":\"127.0.0.1:9000\","
               "\"CreateBucketConfiguration\":{\"LocationConstraint\":\"eu-west-1\","
               "\"xmlns\":\"http://s3.amazonaws.com/doc/2006-03-01/\"}}");
    CHECK_JSON(get(v, "responseElements"), "null");
    CHECK(get(v, "resources") == NULL); /* the table's RES_NONE, as real CreateBucket records */
    CHECK_JSON(get(v, "managementEvent"), "true");
    fx_free(f);

    /* not XML (MalformedXML): no document member; a root colliding with our members: none */
    static const char *const bad[] = {
        "<CreateBucketConfiguration><LocationConstraint>",
        "not xml at all",
        "<key>evil</key>",
        "<bucketName>evil</bucketName>",
        "<!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = fx_new("CreateBucket");
        fx_bucket(f, "newbucket", NULL);
        f->r.error = S3E_MalformedXML;
        buf_puts(&f->r.body.mem, bad[i]);
        v = fx_build(f);
        json_t *rp = get(v, "requestParameters");
        if (i < 4) {
            CHECK_JSON(rp, "{\"bucketName\":\"newbucket\",\"Host\":\"127.0.0.1:9000\"}");
        } else { /* an entity is never expanded */
            CHECK_JSON(get(rp, "x"), "\"\"");
            CHECK(strstr(f->ev.record, "boom") == NULL);
        }
        fx_free(f);
    }
}

TEST(record_put_bucket_policy_document)
{
    struct fx *f = fx_new("PutBucketPolicy");
    fx_bucket(f, "b", ROOT_ACCT);
    fx_query(f, "policy", "");
    buf_puts(&f->r.body.mem,
             "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
             "\"Principal\": \"*\", \"Action\": \"s3:GetObject\", "
             "\"Resource\": \"arn:aws:s3:::b/*\"}]}");
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"),
               "{\"bucketName\":\"b\",\"Host\":\"127.0.0.1:9000\",\"policy\":\"\","
               "\"bucketPolicy\":{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
               "\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
               "\"Resource\":\"arn:aws:s3:::b/*\"}]}}");
    fx_free(f);

    f = fx_new("PutBucketPolicy");
    fx_bucket(f, "b", ROOT_ACCT);
    f->r.error = S3E_MalformedPolicy;
    buf_puts(&f->r.body.mem, "{not json");
    v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"), "{\"bucketName\":\"b\",\"Host\":\"127.0.0.1:9000\"}");
    fx_free(f);
}

/* ---- sizes and text -------------------------------------------------------------------------- */

TEST(record_large_fields_are_omitted)
{
    struct fx *f = fx_new("PutBucketTagging");
    fx_bucket(f, "b", ROOT_ACCT);
    buf_puts(&f->r.body.mem, "<Tagging><TagSet>");
    for (int i = 0; i < 4000; i++)
        buf_printf(&f->r.body.mem, "<Tag><Key>key-%04d</Key><Value>value-%04d</Value></Tag>", i, i);
    buf_puts(&f->r.body.mem, "</TagSet></Tagging>");
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"), "{\"omitted\":true}");
    fx_free(f);

    /* just under the limit stays */
    f = fx_new("PutBucketTagging");
    fx_bucket(f, "b", ROOT_ACCT);
    buf_puts(&f->r.body.mem, "<Tagging><TagSet>");
    for (int i = 0; i < 100; i++)
        buf_printf(&f->r.body.mem, "<Tag><Key>key-%04d</Key><Value>value-%04d</Value></Tag>", i, i);
    buf_puts(&f->r.body.mem, "</TagSet></Tagging>");
    v = fx_build(f);
    CHECK_EQ_INT(json_array_size(get(get(get(get(v, "requestParameters"), "Tagging"), "TagSet"),
                                     "Tag")),
                 100);
    CHECK_JSON(get(json_array_get(get(get(get(get(v, "requestParameters"), "Tagging"), "TagSet"),
                                      "Tag"),
                                  7),
                   "Value"),
               "\"value-0007\"");
    fx_free(f);
}

TEST(record_user_agent_and_errors_cut_to_1kb)
{
    static char ua[5000];
    /* 'a' then a run of 3-byte characters, so a byte cut would split one */
    ua[0] = 'a';
    size_t n = 1;
    while (n + 3 < sizeof ua) {
        memcpy(ua + n, "\xE2\x82\xAC", 3); /* € */
        n += 3;
    }
    ua[n] = '\0';
    struct fx *f = fx_new("GetObject");
    fx_bucket(f, "b", ROOT_ACCT);
    f->r.key = "k";
    fx_header(f, "user-agent", ua);
    f->r.error = S3E_InvalidArgument;
    static char msg[3000];
    memset(msg, 'm', sizeof msg - 1);
    f->r.error_message = msg;
    json_t *v = fx_build(f);
    const char *s = json_string_value(get(v, "userAgent"));
    CHECK(s && strlen(s) <= 1024 && strlen(s) >= 1020);
    CHECK(s && s[0] == '[' && s[strlen(s) - 1] == ']');
    CHECK(s && strstr(s, "\xEF\xBF\xBD") == NULL); /* no character was split */
    CHECK_EQ_INT(strlen(json_string_value(get(v, "errorMessage"))), 1024);
    CHECK_JSON(get(v, "errorCode"), "\"InvalidArgument\"");
    f->r.error_message = NULL;
    fx_free(f);
}

TEST(record_invalid_utf8_and_control_characters)
{
    struct fx *f = fx_new("GetObject");
    fx_bucket(f, "b", ROOT_ACCT);
    f->r.key = "a\"b\\c\n\x01\xC3(\xE2\x82\xAC";
    fx_header(f, "User-Agent", "x\xFFy\tz");
    json_t *v = fx_build(f);
    CHECK_JSON(get(get(v, "requestParameters"), "key"),
               "\"a\\\"b\\\\c\\n\\u0001\\ufffd(\\u20ac\"");
    CHECK_JSON(get(v, "userAgent"), "\"[x\\ufffdy\\tz]\"");
    fx_free(f);
}

/* ---- TLS ------------------------------------------------------------------------------------- */

TEST(record_tls_details)
{
    struct fx *f = fx_new("GetObject");
    fx_bucket(f, "b", ROOT_ACCT);
    f->r.key = "k";
    f->r.host = "b.s3.us-east-1.localhost:9443";
    f->r.tls_cipher = "TLS_AES_128_GCM_SHA256";
    f->r.tls_version = "TLS1.3";
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "tlsDetails"),
               "{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\","
               "\"clientProvidedHostHeader\":\"b.s3.us-east-1.localhost:9443\"}");
    CHECK_JSON(get(get(v, "additionalEventData"), "CipherSuite"), "\"TLS_AES_128_GCM_SHA256\"");
    /* the last member, as AWS writes it */
    CHECK(strstr(f->ev.record, "\"eventCategory\":\"Data\",\"tlsDetails\":") != NULL);
    fx_free(f);
}

/* ---- the CloudTrail API (a JSON 1.1 protocol) ------------------------------------------------ */

static const struct s3_op ct_create_trail = {
    .name = "CreateTrail", .method = "POST", .event_name = "CreateTrail",
    .event_source = "cloudtrail.amazonaws.com", .category = CAT_MANAGEMENT, .read_only = false,
    .resources = RES_NONE, .body = BODY_XML,
};
static const struct s3_op ct_describe_trails = {
    .name = "DescribeTrails", .method = "POST", .event_name = "DescribeTrails",
    .event_source = "cloudtrail.amazonaws.com", .category = CAT_MANAGEMENT, .read_only = true,
    .resources = RES_NONE, .body = BODY_XML,
};
static const struct s3_op ct_start_logging = {
    .name = "StartLogging", .method = "POST", .event_name = "StartLogging",
    .event_source = "cloudtrail.amazonaws.com", .category = CAT_MANAGEMENT, .read_only = false,
    .resources = RES_NONE, .body = BODY_XML,
};

static struct fx *fx_cloudtrail(const struct s3_op *op, const char *request, const char *response)
{
    struct fx *f = fx_new("ListBuckets");
    f->r.op = op;
    f->r.protocol = PROTO_JSON;
    fx_iam_user(f);
    fx_header(f, "User-Agent", "aws-cli/1.45.11 Python/3.11 botocore/1.43.11");
    fx_header(f, "X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.X");
    buf_puts(&f->r.body.mem, request);
    buf_puts(&f->r.resp_body, response);
    return f;
}

TEST(record_cloudtrail_api)
{
    struct fx *f = fx_cloudtrail(&ct_create_trail, "{\"Name\":\"t1\",\"S3BucketName\":\"logs\"}",
                                 "{\"Name\":\"t1\",\"S3BucketName\":\"logs\","
                                 "\"IncludeGlobalServiceEvents\":true,\"TrailARN\":"
                                 "\"arn:aws:cloudtrail:us-east-1:" ROOT_ACCT ":trail/t1\"}");
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "eventSource"), "\"cloudtrail.amazonaws.com\"");
    CHECK_JSON(get(v, "eventName"), "\"CreateTrail\"");
    CHECK_JSON(get(v, "userAgent"), "\"aws-cli/1.45.11 Python/3.11 botocore/1.43.11\"");
    CHECK_JSON(get(v, "requestParameters"), "{\"Name\":\"t1\",\"S3BucketName\":\"logs\"}");
    CHECK_JSON(get(v, "responseElements"),
               "{\"Name\":\"t1\",\"S3BucketName\":\"logs\",\"IncludeGlobalServiceEvents\":true,"
               "\"TrailARN\":\"arn:aws:cloudtrail:us-east-1:" ROOT_ACCT ":trail/t1\"}");
    CHECK(get(v, "additionalEventData") == NULL);
    CHECK(get(v, "resources") == NULL);
    CHECK_JSON(get(v, "readOnly"), "false");
    CHECK_JSON(get(v, "managementEvent"), "true");
    CHECK_JSON(get(v, "eventCategory"), "\"Management\"");
    CHECK_EQ_STR(f->ev.event_source, "cloudtrail.amazonaws.com");
    fx_free(f);

    /* reads: responseElements null; an empty request: requestParameters null */
    f = fx_cloudtrail(&ct_describe_trails, "{}", "{\"trailList\":[]}");
    v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"), "null");
    CHECK_JSON(get(v, "responseElements"), "null");
    CHECK_JSON(get(v, "readOnly"), "true");
    fx_free(f);

    /* a void write: {} is null */
    f = fx_cloudtrail(&ct_start_logging, "{\"Name\":\"t1\"}", "{}");
    v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"), "{\"Name\":\"t1\"}");
    CHECK_JSON(get(v, "responseElements"), "null");
    fx_free(f);

    /* an API error */
    f = fx_cloudtrail(&ct_start_logging, "{\"Name\":\"myTrail2\"}",
                      "{\"__type\":\"TrailNotFoundException\",\"message\":\"x\"}");
    snprintf(f->r.api_error, sizeof f->r.api_error, "TrailNotFoundException");
    f->r.error_message = "Unknown trail: myTrail2 for the user: " ROOT_ACCT;
    f->r.status = 400;
    v = fx_build(f);
    CHECK_JSON(get(v, "errorCode"), "\"TrailNotFoundException\"");
    CHECK_JSON(get(v, "errorMessage"), "\"Unknown trail: myTrail2 for the user: " ROOT_ACCT "\"");
    CHECK_JSON(get(v, "requestParameters"), "{\"Name\":\"myTrail2\"}");
    CHECK_JSON(get(v, "responseElements"), "null");
    f->r.error_message = NULL;
    fx_free(f);
}

/* ---- identities of temporary credentials ----------------------------------------------------- */

#define SESSION_MS INT64_C(1732807314789) /* 2024-11-28T15:21:54.789Z */
#define ROLE_ID "AROAIDPPEZS35WEXAMPLE"
#define USER_ID "AIDAJ45Q7YFFAREXAMPLE"

/* The text of the record's top-level member `name` exactly as written (key order included): from
 * after "name": to the comma that starts the member `next`. */
#define CHECK_TEXT(rec, name, next, expect)                                                        \
    check_text(__FILE__, __LINE__, (rec), (name), (next), (expect))
static void check_text(const char *file, int line, const char *rec, const char *name,
                       const char *next, const char *expect)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "\"%s\":", name);
    snprintf(close, sizeof close, ",\"%s\":", next);
    const char *a = rec ? strstr(rec, open) : NULL;
    const char *b = a ? strstr(a, close) : NULL;
    size_t n = b ? (size_t)(b - a) - strlen(open) : 0;
    if (!b || n != strlen(expect) || memcmp(a + strlen(open), expect, n) != 0) {
        fprintf(stderr, "  %s:%d: %s == %.*s\n      expected %s\n", file, line, name, (int)n,
                b ? a + strlen(open) : "(absent)", expect);
        unit_failures++;
    }
}

static void fx_assumed_role(struct fx *f)
{
    struct principal *w = &f->r.who;
    w->type = PRINCIPAL_ASSUMED_ROLE;
    snprintf(w->unique_id, sizeof w->unique_id, ROLE_ID);
    snprintf(w->session_name, sizeof w->session_name, "MySession");
    snprintf(w->principal_id, sizeof w->principal_id, ROLE_ID ":MySession");
    snprintf(w->arn, sizeof w->arn, "arn:aws:sts::" ROOT_ACCT ":assumed-role/Reader/MySession");
    snprintf(w->access_key, sizeof w->access_key, "ASIAIOSFODNN7EXAMPLE");
    w->session = true;
    w->session_created_ms = SESSION_MS;
    snprintf(w->issuer_type, sizeof w->issuer_type, "Role");
    snprintf(w->issuer_principal_id, sizeof w->issuer_principal_id, ROLE_ID);
    snprintf(w->issuer_arn, sizeof w->issuer_arn, "arn:aws:iam::" ROOT_ACCT ":role/Reader");
    snprintf(w->issuer_name, sizeof w->issuer_name, "Reader");
}

static void fx_federated_user(struct fx *f, bool by_root)
{
    struct principal *w = &f->r.who;
    w->type = PRINCIPAL_FEDERATED_USER;
    snprintf(w->session_name, sizeof w->session_name, "Bob");
    snprintf(w->principal_id, sizeof w->principal_id, ROOT_ACCT ":Bob");
    snprintf(w->arn, sizeof w->arn, "arn:aws:sts::" ROOT_ACCT ":federated-user/Bob");
    snprintf(w->access_key, sizeof w->access_key, "ASIAFEDERATEDEXAMPLE");
    w->session = true;
    w->session_created_ms = SESSION_MS;
    if (by_root) {
        snprintf(w->issuer_type, sizeof w->issuer_type, "Root");
        snprintf(w->issuer_principal_id, sizeof w->issuer_principal_id, ROOT_ACCT);
        snprintf(w->issuer_arn, sizeof w->issuer_arn, "arn:aws:iam::" ROOT_ACCT ":root");
    } else {
        snprintf(w->issuer_type, sizeof w->issuer_type, "IAMUser");
        snprintf(w->issuer_principal_id, sizeof w->issuer_principal_id, USER_ID);
        snprintf(w->issuer_arn, sizeof w->issuer_arn, "arn:aws:iam::" ROOT_ACCT ":user/Alice");
        snprintf(w->issuer_name, sizeof w->issuer_name, "Alice");
    }
}

#define ATTRIBUTES                                                                                 \
    "\"attributes\":{\"creationDate\":\"2024-11-28T15:21:54Z\",\"mfaAuthenticated\":\"false\"}"

TEST(record_identity_iam_user_ids_and_session)
{
    /* the IAM user id when authn knows it */
    struct fx *f = fx_new("ListBuckets");
    fx_iam_user(f);
    snprintf(f->r.who.principal_id, sizeof f->r.who.principal_id, "AKIAI44QH8DHBEXAMPLE");
    snprintf(f->r.who.unique_id, sizeof f->r.who.unique_id, USER_ID);
    fx_build(f);
    CHECK_TEXT(f->ev.record, "userIdentity", "eventTime",
               "{\"type\":\"IAMUser\",\"principalId\":\"" USER_ID "\","
               "\"arn\":\"arn:aws:iam::" ROOT_ACCT ":user/Alice\",\"accountId\":\"" ROOT_ACCT "\","
               "\"accessKeyId\":\"AKIAI44QH8DHBEXAMPLE\",\"userName\":\"Alice\"}");
    fx_free(f);

    /* GetSessionToken credentials: sessionContext with attributes only (the 2024 "glitch"
     * records), after userName */
    f = fx_new("ListObjects");
    fx_bucket(f, "b", ROOT_ACCT);
    fx_iam_user(f);
    snprintf(f->r.who.unique_id, sizeof f->r.who.unique_id, USER_ID);
    snprintf(f->r.who.access_key, sizeof f->r.who.access_key, "ASIAXRMKYT5O5PVWAX4S");
    f->r.who.session = true;
    f->r.who.session_created_ms = SESSION_MS;
    fx_build(f);
    CHECK_TEXT(f->ev.record, "userIdentity", "eventTime",
               "{\"type\":\"IAMUser\",\"principalId\":\"" USER_ID "\","
               "\"arn\":\"arn:aws:iam::" ROOT_ACCT ":user/Alice\",\"accountId\":\"" ROOT_ACCT "\","
               "\"accessKeyId\":\"ASIAXRMKYT5O5PVWAX4S\",\"userName\":\"Alice\","
               "\"sessionContext\":{" ATTRIBUTES "}}");
    CHECK_EQ_STR(f->ev.username, "Alice");
    CHECK_EQ_STR(f->ev.access_key, "ASIAXRMKYT5O5PVWAX4S");
    fx_free(f);

    /* root with session credentials (the 2023 CloudShell records) */
    f = fx_new("ListBuckets");
    f->r.who.session = true;
    f->r.who.session_created_ms = SESSION_MS;
    snprintf(f->r.who.access_key, sizeof f->r.who.access_key, "ASIATAI5Z633WXL7W5UQ");
    fx_build(f);
    CHECK_TEXT(f->ev.record, "userIdentity", "eventTime",
               "{\"type\":\"Root\",\"principalId\":\"" ROOT_ACCT "\","
               "\"arn\":\"arn:aws:iam::" ROOT_ACCT ":root\",\"accountId\":\"" ROOT_ACCT "\","
               "\"accessKeyId\":\"ASIATAI5Z633WXL7W5UQ\","
               "\"sessionContext\":{" ATTRIBUTES "}}");
    CHECK_EQ_STR(f->ev.username, "root");
    fx_free(f);
}

#define ROLE_ISSUER                                                                                \
    "\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"" ROLE_ID "\","                        \
    "\"arn\":\"arn:aws:iam::" ROOT_ACCT ":role/Reader\",\"accountId\":\"" ROOT_ACCT "\","          \
    "\"userName\":\"Reader\"}"
#define ROLE_HEAD                                                                                  \
    "{\"type\":\"AssumedRole\",\"principalId\":\"" ROLE_ID ":MySession\","                         \
    "\"arn\":\"arn:aws:sts::" ROOT_ACCT ":assumed-role/Reader/MySession\","                        \
    "\"accountId\":\"" ROOT_ACCT "\",\"accessKeyId\":\"ASIAIOSFODNN7EXAMPLE\","

static const struct s3_op iam_get_user = {
    .name = "GetUser", .method = "POST", .event_name = "GetUser",
    .event_source = "iam.amazonaws.com", .category = CAT_MANAGEMENT, .read_only = true,
    .resources = RES_NONE,
};
static const struct s3_op iam_create_user = {
    .name = "CreateUser", .method = "POST", .event_name = "CreateUser",
    .event_source = "iam.amazonaws.com", .category = CAT_MANAGEMENT, .read_only = false,
    .resources = RES_NONE,
};
static const struct s3_op sts_assume_role = {
    .name = "AssumeRole", .method = "POST", .event_name = "AssumeRole",
    .event_source = "sts.amazonaws.com", .category = CAT_MANAGEMENT, .read_only = false,
    .resources = RES_NONE,
};

/* An IAM or STS call (AWS Query protocol) by the account's root. */
static struct fx *fx_query_api(const struct s3_op *op, const char *params, const char *response)
{
    struct fx *f = fx_new("ListBuckets");
    f->r.op = op;
    f->r.protocol = PROTO_QUERY;
    fx_header(f, "User-Agent", "aws-cli/1.45.11 Python/3.11 botocore/1.43.11");
    f->r.record_request_parameters = params ? strdup(params) : NULL;
    f->r.record_response_elements = response ? strdup(response) : NULL;
    return f;
}

TEST(record_identity_assumed_role)
{
    /* S3 writes sessionIssuer then attributes: no webIdFederationData (the real 2024 S3 record
     * of an AssumedRole, elastic's GetBucketPolicy, and every S3 sample) */
    struct fx *f = fx_new("ListBuckets");
    fx_assumed_role(f);
    fx_build(f);
    CHECK_TEXT(f->ev.record, "userIdentity", "eventTime",
               ROLE_HEAD "\"sessionContext\":{" ROLE_ISSUER "," ATTRIBUTES "}}");
    CHECK_EQ_STR(f->ev.username, "MySession");
    CHECK_EQ_STR(f->ev.access_key, "ASIAIOSFODNN7EXAMPLE");
    fx_free(f);

    /* other sources add webIdFederationData {} between them; sourceIdentity comes last */
    f = fx_query_api(&iam_get_user, "{\"userName\":\"Alice\"}", NULL);
    fx_assumed_role(f);
    snprintf(f->r.who.source_identity, sizeof f->r.who.source_identity, "JohnDoe");
    fx_build(f);
    CHECK_TEXT(f->ev.record, "userIdentity", "eventTime",
               ROLE_HEAD "\"sessionContext\":{" ROLE_ISSUER ",\"webIdFederationData\":{},"
               ATTRIBUTES ",\"sourceIdentity\":\"JohnDoe\"}}");
    fx_free(f);

    /* the principal id is composed from the role id and session name when both are known */
    f = fx_new("ListBuckets");
    fx_assumed_role(f);
    snprintf(f->r.who.principal_id, sizeof f->r.who.principal_id, "stale");
    json_t *v = fx_build(f);
    CHECK_JSON(get(get(v, "userIdentity"), "principalId"), "\"" ROLE_ID ":MySession\"");
    fx_free(f);
}

TEST(record_identity_federated_user)
{
    /* issued to an IAM user: the user is the sessionIssuer; no webIdFederationData, no
     * userName of its own */
    struct fx *f = fx_new("ListBuckets");
    fx_federated_user(f, false);
    fx_build(f);
    CHECK_TEXT(f->ev.record, "userIdentity", "eventTime",
               "{\"type\":\"FederatedUser\",\"principalId\":\"" ROOT_ACCT ":Bob\","
               "\"arn\":\"arn:aws:sts::" ROOT_ACCT ":federated-user/Bob\","
               "\"accountId\":\"" ROOT_ACCT "\",\"accessKeyId\":\"ASIAFEDERATEDEXAMPLE\","
               "\"sessionContext\":{\"sessionIssuer\":{\"type\":\"IAMUser\","
               "\"principalId\":\"" USER_ID "\",\"arn\":\"arn:aws:iam::" ROOT_ACCT ":user/Alice\","
               "\"accountId\":\"" ROOT_ACCT "\",\"userName\":\"Alice\"}," ATTRIBUTES "}}");
    CHECK_EQ_STR(f->ev.username, "Bob");
    fx_free(f);

    /* issued to root: a Root issuer has no userName; the same shape on a Query API record */
    f = fx_query_api(&iam_get_user, NULL, NULL);
    fx_federated_user(f, true);
    fx_build(f);
    CHECK_TEXT(f->ev.record, "userIdentity", "eventTime",
               "{\"type\":\"FederatedUser\",\"principalId\":\"" ROOT_ACCT ":Bob\","
               "\"arn\":\"arn:aws:sts::" ROOT_ACCT ":federated-user/Bob\","
               "\"accountId\":\"" ROOT_ACCT "\",\"accessKeyId\":\"ASIAFEDERATEDEXAMPLE\","
               "\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Root\","
               "\"principalId\":\"" ROOT_ACCT "\",\"arn\":\"arn:aws:iam::" ROOT_ACCT ":root\","
               "\"accountId\":\"" ROOT_ACCT "\"}," ATTRIBUTES "}}");
    CHECK_EQ_STR(f->ev.username, "Bob");
    fx_free(f);
}

/* ---- the bucket owner's copy ----------------------------------------------------------------- */

/* Builds both records; each must be valid JSON. Returns the requester's; f->copy_rec is the
 * owner's copy or NULL when there is none. */
static json_t *fx_build_copy(struct fx *f)
{
    int rc = record_build(&f->r, &f->ev, &f->copy);
    CHECK_EQ_INT(rc, 0);
    if (rc || !f->ev.record)
        abort();
    json_error_t err;
    f->rec = json_loads(f->ev.record, JSON_REJECT_DUPLICATES, &err);
    CHECK(f->rec != NULL);
    if (f->copy.record) {
        CHECK(strlen(f->copy.record) <= 256 * 1024);
        f->copy_rec = json_loads(f->copy.record, JSON_REJECT_DUPLICATES, &err);
        if (!f->copy_rec) {
            fprintf(stderr, "  copy is not JSON (%s): %s\n", err.text, f->copy.record);
            unit_failures++;
            abort();
        }
        json_t *res = json_loads(f->copy.resources, JSON_REJECT_DUPLICATES, &err);
        CHECK(json_is_array(res));
        json_decref(res);
    }
    if (!f->rec)
        abort();
    return f->rec;
}

/* Alice (ROOT_ACCT) on a bucket of OWNER_ACCT that lets the owner see the event. */
static struct fx *fx_cross(const char *op)
{
    struct fx *f = fx_new(op);
    fx_iam_user(f);
    snprintf(f->r.who.unique_id, sizeof f->r.who.unique_id, USER_ID);
    fx_bucket(f, "shared-bucket", OWNER_ACCT);
    fx_header(f, "Host", "127.0.0.1:9000");
    fx_header(f, "User-Agent", "Boto3/1.43.0");
    f->r.owner_copy = true;
    return f;
}

TEST(record_owner_copy)
{
    struct fx *f = fx_cross("GetObject");
    f->r.key = "reports/q1.csv";
    f->r.bytes_out = 339117;
    json_t *v = fx_build_copy(f);
    json_t *c = f->copy_rec;
    CHECK(c != NULL);
    if (!c)
        abort();
    /* one sharedEventID, two eventIDs */
    const char *shared = json_string_value(get(v, "sharedEventID"));
    CHECK(is_uuid_v4(shared));
    CHECK(shared && strcmp(json_string_value(get(c, "sharedEventID")), shared) == 0);
    CHECK(shared && strcmp(shared, f->ev.event_id) != 0 && strcmp(shared, f->copy.event_id) != 0);
    CHECK(is_uuid_v4(f->copy.event_id));
    CHECK(strcmp(f->ev.event_id, f->copy.event_id) != 0);
    CHECK_EQ_STR(json_string_value(get(v, "eventID")), f->ev.event_id);
    CHECK_EQ_STR(json_string_value(get(c, "eventID")), f->copy.event_id);
    /* each goes to its own account */
    CHECK_JSON(get(v, "recipientAccountId"), "\"" ROOT_ACCT "\"");
    CHECK_JSON(get(c, "recipientAccountId"), "\"" OWNER_ACCT "\"");
    /* the owner sees another account, by the principalId the requester's record carries */
    CHECK_TEXT(f->copy.record, "userIdentity", "eventTime",
               "{\"type\":\"AWSAccount\",\"principalId\":\"" USER_ID "\","
               "\"accountId\":\"" ROOT_ACCT "\"}");
    CHECK_JSON(get(get(v, "userIdentity"), "type"), "\"IAMUser\"");
    /* AWS's place for sharedEventID: after recipientAccountId, before eventCategory */
    CHECK(strstr(f->ev.record, "\"recipientAccountId\":\"" ROOT_ACCT "\",\"sharedEventID\":\"") !=
          NULL);
    CHECK(strstr(f->copy.record,
                 "\"recipientAccountId\":\"" OWNER_ACCT "\",\"sharedEventID\":\"") != NULL);
    CHECK(strstr(f->copy.record, "\",\"eventCategory\":\"Data\"}") != NULL);
    /* everything else is the same record */
    json_t *a = json_deep_copy(v), *b = json_deep_copy(c);
    const char *differ[] = {"userIdentity", "eventID", "recipientAccountId"};
    for (size_t i = 0; i < 3; i++) {
        json_object_del(a, differ[i]);
        json_object_del(b, differ[i]);
    }
    CHECK(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    /* the journal rows: the copy is the owner's, without the requester's access key */
    CHECK_EQ_STR(f->ev.account_id, ROOT_ACCT);
    CHECK_EQ_STR(f->ev.access_key, "AKIAI44QH8DHBEXAMPLE");
    CHECK_EQ_STR(f->copy.account_id, OWNER_ACCT);
    CHECK_EQ_STR(f->copy.access_key, "");
    CHECK(strstr(f->copy.record, "AKIAI44QH8DHBEXAMPLE") == NULL);
    CHECK_EQ_STR(f->copy.username, "Alice");
    CHECK_EQ_STR(f->copy.event_name, "GetObject");
    CHECK_EQ_STR(f->copy.event_source, "s3.amazonaws.com");
    CHECK_EQ_STR(f->copy.region, f->ev.region);
    CHECK(f->copy.event_time_ms == f->ev.event_time_ms);
    CHECK(f->copy.read_only && !f->copy.management);
    CHECK_EQ_STR(f->copy.resources, f->ev.resources);
    fx_free(f);

    /* an assumed role's copy: AWSAccount with "<RoleId>:<session>" */
    f = fx_cross("PutObject");
    fx_assumed_role(f);
    f->r.key = "k";
    fx_build_copy(f);
    CHECK_TEXT(f->copy.record, "userIdentity", "eventTime",
               "{\"type\":\"AWSAccount\",\"principalId\":\"" ROLE_ID ":MySession\","
               "\"accountId\":\"" ROOT_ACCT "\"}");
    CHECK_EQ_STR(f->copy.username, "MySession");
    fx_free(f);
}

TEST(record_owner_copy_only_when_due)
{
    /* authz did not grant the owner a copy: one record, no sharedEventID */
    struct fx *f = fx_cross("GetObject");
    f->r.key = "k";
    f->r.owner_copy = false;
    json_t *v = fx_build_copy(f);
    CHECK(f->copy.record == NULL && f->copy_rec == NULL);
    CHECK(get(v, "sharedEventID") == NULL);
    fx_free(f);

    /* the requester owns the bucket */
    f = fx_cross("GetObject");
    f->r.key = "k";
    snprintf(f->r.bkt.owner_account, sizeof f->r.bkt.owner_account, ROOT_ACCT);
    v = fx_build_copy(f);
    CHECK(f->copy.record == NULL);
    CHECK(get(v, "sharedEventID") == NULL);
    fx_free(f);

    /* no copy asked for (the delivery's own records) */
    f = fx_cross("GetObject");
    f->r.key = "k";
    v = fx_build(f);
    CHECK(get(v, "sharedEventID") == NULL);
    fx_free(f);

    /* the bucket was never loaded (the call failed before) */
    f = fx_cross("GetObject");
    f->r.key = "k";
    f->r.bkt_loaded = false;
    v = fx_build_copy(f);
    CHECK(f->copy.record == NULL);
    fx_free(f);

    /* not an S3 call */
    f = fx_query_api(&iam_get_user, NULL, NULL);
    fx_bucket(f, "shared-bucket", OWNER_ACCT);
    f->r.owner_copy = true;
    v = fx_build_copy(f);
    CHECK(f->copy.record == NULL);
    CHECK(get(v, "sharedEventID") == NULL);
    fx_free(f);

    /* anonymous: the one record is the owner's, with a sharedEventID (every real anonymous S3
     * record has one) and no copy */
    f = fx_cross("GetObject");
    f->r.key = "k";
    fx_anonymous(f);
    v = fx_build_copy(f);
    CHECK(f->copy.record == NULL);
    CHECK_JSON(get(v, "recipientAccountId"), "\"" OWNER_ACCT "\"");
    CHECK(is_uuid_v4(json_string_value(get(v, "sharedEventID"))));
    CHECK_JSON(get(v, "userIdentity"),
               "{\"type\":\"AWSAccount\",\"principalId\":\"\",\"accountId\":\"anonymous\"}");
    fx_free(f);

    /* AWSService (CloudTrail's delivery): the same, as in the real GetBucketAcl record */
    f = fx_cross("GetBucketAcl");
    memset(&f->r.who, 0, sizeof f->r.who);
    f->r.who.type = PRINCIPAL_AWS_SERVICE;
    v = fx_build(f);
    CHECK_JSON(get(v, "recipientAccountId"), "\"" OWNER_ACCT "\"");
    CHECK(is_uuid_v4(json_string_value(get(v, "sharedEventID"))));
    fx_free(f);

    /* anonymous with no bucket to give the record to: nothing is shared */
    f = fx_new("ListBuckets");
    fx_anonymous(f);
    v = fx_build(f);
    CHECK(get(v, "sharedEventID") == NULL);
    fx_free(f);
}

/* ---- e-mail grants stay out of the owner's copy ---------------------------------------------- */

#define ACL_BY_EMAIL                                                                               \
    "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"                      \
    "<Owner><ID>" CANONICAL "</ID></Owner><AccessControlList>"                                     \
    "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "                     \
    "xsi:type=\"AmazonCustomerByEmail\">"                                                          \
    "<EmailAddress>carol@example.com</EmailAddress></Grantee>"                                     \
    "<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"

TEST(record_owner_copy_redacts_email_grants)
{
    /* PutObjectAcl with an AccessControlPolicy granting by e-mail */
    struct fx *f = fx_cross("PutObjectAcl");
    f->r.key = "doc.txt";
    fx_query(f, "acl", "");
    buf_puts(&f->r.body.mem, ACL_BY_EMAIL);
    json_t *v = fx_build_copy(f);
    /* the requester keeps everything, e-mail included */
    CHECK_JSON(get(get(get(get(get(get(v, "requestParameters"), "AccessControlPolicy"),
                                   "AccessControlList"),
                               "Grant"),
                       "Grantee"),
                   "EmailAddress"),
               "\"carol@example.com\"");
    /* the owner learns that an ACL call was made, and nothing of the grants */
    CHECK_JSON(get(f->copy_rec, "requestParameters"),
               "{\"bucketName\":\"shared-bucket\",\"Host\":\"127.0.0.1:9000\",\"acl\":\"\","
               "\"key\":\"doc.txt\"}");
    CHECK(strstr(f->copy.record, "example.com") == NULL);
    CHECK_JSON(get(f->copy_rec, "eventName"), "\"PutObjectAcl\"");
    fx_free(f);

    /* grant headers naming an e-mail: every grant header goes, other headers stay */
    f = fx_cross("PutObject");
    f->r.key = "k";
    fx_header(f, "x-amz-grant-read", "emailAddress=\"carol@example.com\"");
    fx_header(f, "x-amz-grant-full-control", "id=\"" CANONICAL "\"");
    fx_header(f, "x-amz-storage-class", "STANDARD_IA");
    v = fx_build_copy(f);
    CHECK_JSON(get(get(v, "requestParameters"), "x-amz-grant-read"),
               "\"emailAddress=\\\"carol@example.com\\\"\"");
    CHECK(get(get(v, "requestParameters"), "x-amz-grant-full-control") != NULL);
    CHECK_JSON(get(f->copy_rec, "requestParameters"),
               "{\"bucketName\":\"shared-bucket\",\"Host\":\"127.0.0.1:9000\","
               "\"x-amz-storage-class\":\"STANDARD_IA\",\"key\":\"k\"}");
    CHECK(strstr(f->copy.record, "example.com") == NULL);
    fx_free(f);

    /* the same in a presigned URL's query */
    f = fx_cross("PutObject");
    f->r.key = "k";
    fx_query(f, "x-amz-grant-read", "emailAddress=carol@example.com");
    fx_build_copy(f);
    CHECK(get(get(f->rec, "requestParameters"), "x-amz-grant-read") != NULL);
    CHECK(get(get(f->copy_rec, "requestParameters"), "x-amz-grant-read") == NULL);
    CHECK(strstr(f->copy.record, "example.com") == NULL);
    fx_free(f);

    /* grants by canonical id carry no e-mail: the owner sees them */
    f = fx_cross("PutBucketAcl");
    fx_query(f, "acl", "");
    buf_puts(&f->r.body.mem,
             "<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>" CANONICAL
             "</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList>"
             "</AccessControlPolicy>");
    fx_header(f, "x-amz-grant-read", "id=\"" CANONICAL "\"");
    v = fx_build_copy(f);
    CHECK(f->copy_rec != NULL);
    CHECK(json_equal(get(f->copy_rec, "requestParameters"), get(v, "requestParameters")));
    CHECK(get(get(f->copy_rec, "requestParameters"), "AccessControlPolicy") != NULL);
    CHECK(get(get(f->copy_rec, "requestParameters"), "x-amz-grant-read") != NULL);
    fx_free(f);

    /* a canned ACL has no e-mail either: kept */
    f = fx_cross("PutObject");
    f->r.key = "k";
    fx_header(f, "x-amz-acl", "bucket-owner-full-control");
    fx_build_copy(f);
    CHECK_JSON(get(get(f->copy_rec, "requestParameters"), "x-amz-acl"),
               "\"bucket-owner-full-control\"");
    fx_free(f);
}

/* ---- IAM and STS (AWS Query protocol) -------------------------------------------------------- */

TEST(record_query_api)
{
    struct fx *f = fx_query_api(&iam_create_user, "{\"userName\":\"bob\",\"path\":\"/\"}",
                                "{\"user\":{\"path\":\"/\",\"userName\":\"bob\","
                                "\"userId\":\"AIDAEXAMPLEBOB\",\"arn\":\"arn:aws:iam::" ROOT_ACCT
                                ":user/bob\",\"createDate\":\"Nov 24, 2026 12:00:00 PM\"}}");
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "eventSource"), "\"iam.amazonaws.com\"");
    CHECK_JSON(get(v, "eventName"), "\"CreateUser\"");
    CHECK_JSON(get(v, "userAgent"), "\"aws-cli/1.45.11 Python/3.11 botocore/1.43.11\"");
    /* written as given, member order kept */
    CHECK_TEXT(f->ev.record, "requestParameters", "responseElements",
               "{\"userName\":\"bob\",\"path\":\"/\"}");
    CHECK_JSON(get(v, "responseElements"),
               "{\"user\":{\"path\":\"/\",\"userName\":\"bob\",\"userId\":\"AIDAEXAMPLEBOB\","
               "\"arn\":\"arn:aws:iam::" ROOT_ACCT ":user/bob\","
               "\"createDate\":\"Nov 24, 2026 12:00:00 PM\"}}");
    CHECK(get(v, "additionalEventData") == NULL);
    CHECK(get(v, "resources") == NULL);
    CHECK(get(v, "sharedEventID") == NULL);
    CHECK_JSON(get(v, "readOnly"), "false");
    CHECK_JSON(get(v, "managementEvent"), "true");
    CHECK_JSON(get(v, "recipientAccountId"), "\"" ROOT_ACCT "\"");
    CHECK_EQ_STR(f->ev.resources, "[]");
    fx_free(f);

    /* reads: responseElements null whatever the handler left */
    f = fx_query_api(&iam_get_user, "{\"userName\":\"bob\"}", "{\"user\":{}}");
    v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"), "{\"userName\":\"bob\"}");
    CHECK_JSON(get(v, "responseElements"), "null");
    fx_free(f);

    /* none, empty, or not JSON: null */
    f = fx_query_api(&iam_create_user, NULL, NULL);
    v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"), "null");
    CHECK_JSON(get(v, "responseElements"), "null");
    fx_free(f);
    f = fx_query_api(&iam_create_user, "{}", "{\"user\":");
    v = fx_build(f);
    CHECK_JSON(get(v, "requestParameters"), "null");
    CHECK_JSON(get(v, "responseElements"), "null");
    fx_free(f);

    /* errors: responseElements null, the message verbatim */
    f = fx_query_api(&iam_create_user, "{\"userName\":\"bob\"}", "{\"user\":{}}");
    snprintf(f->r.api_error, sizeof f->r.api_error, "EntityAlreadyExists");
    f->r.error_message = "User with name bob already exists.";
    f->r.status = 409;
    v = fx_build(f);
    CHECK_JSON(get(v, "errorCode"), "\"EntityAlreadyExists\"");
    CHECK_JSON(get(v, "errorMessage"), "\"User with name bob already exists.\"");
    CHECK_JSON(get(v, "responseElements"), "null");
    f->r.error_message = NULL;
    fx_free(f);
}

TEST(record_sts_assume_role_resources)
{
    struct fx *f = fx_query_api(
        &sts_assume_role,
        "{\"roleArn\":\"arn:aws:iam::" OWNER_ACCT ":role/EC2-dev\","
        "\"roleSessionName\":\"JohnDoe-EC2-dev\",\"durationSeconds\":3600}",
        "{\"credentials\":{\"accessKeyId\":\"ASIAQRSTUVWXYZEXAMPLE\","
        "\"sessionToken\":\"<token>\",\"expiration\":\"Jul 18, 2014 4:07:39 PM\"},"
        "\"assumedRoleUser\":{\"assumedRoleId\":\"AROAEXAMPLE:JohnDoe-EC2-dev\","
        "\"arn\":\"arn:aws:sts::" OWNER_ACCT ":assumed-role/EC2-dev/JohnDoe-EC2-dev\"}}");
    json_t *v = fx_build(f);
    /* the IAM user guide's AssumeRole record: ARN, accountId, type */
    CHECK_TEXT(f->ev.record, "resources", "eventType",
               "[{\"ARN\":\"arn:aws:iam::" OWNER_ACCT ":role/EC2-dev\","
               "\"accountId\":\"" OWNER_ACCT "\",\"type\":\"AWS::IAM::Role\"}]");
    CHECK_EQ_STR(f->ev.resources,
                 "[{\"ResourceType\":\"AWS::IAM::Role\","
                 "\"ResourceName\":\"arn:aws:iam::" OWNER_ACCT ":role/EC2-dev\"}]");
    CHECK_JSON(get(get(get(v, "responseElements"), "assumedRoleUser"), "assumedRoleId"),
               "\"AROAEXAMPLE:JohnDoe-EC2-dev\"");
    CHECK(get(v, "additionalEventData") == NULL);
    fx_free(f);

    /* a denied AssumeRole keeps its resource and the IAM-style message, verbatim */
    f = fx_query_api(&sts_assume_role,
                     "{\"roleArn\":\"arn:aws:iam::" OWNER_ACCT ":role/path/EC2-dev\","
                     "\"roleSessionName\":\"s\"}",
                     NULL);
    f->r.error = S3E_AccessDenied;
    f->r.status = 403;
    const char *msg = "User: arn:aws:iam::" ROOT_ACCT ":root is not authorized to perform: "
                      "sts:AssumeRole on resource: arn:aws:iam::" OWNER_ACCT ":role/path/EC2-dev";
    f->r.error_message = (char *)msg;
    v = fx_build(f);
    CHECK_JSON(get(v, "errorCode"), "\"AccessDenied\"");
    CHECK_EQ_STR(json_string_value(get(v, "errorMessage")), msg);
    CHECK_JSON(get(v, "resources"),
               "[{\"ARN\":\"arn:aws:iam::" OWNER_ACCT ":role/path/EC2-dev\","
               "\"accountId\":\"" OWNER_ACCT "\",\"type\":\"AWS::IAM::Role\"}]");
    f->r.error_message = NULL;
    fx_free(f);

    /* no role ARN that names a role: no resources */
    const char *bad[] = {
        "{\"roleSessionName\":\"s\"}",
        "{\"roleArn\":\"arn:aws:iam::12345:role/x\"}",
        "{\"roleArn\":\"arn:aws:iam::" OWNER_ACCT ":user/x\"}",
        "{\"roleArn\":\"arn:aws:iam::" OWNER_ACCT ":role/\"}",
        "{\"roleArn\":7}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = fx_query_api(&sts_assume_role, bad[i], NULL);
        v = fx_build(f);
        CHECK(get(v, "resources") == NULL);
        CHECK_EQ_STR(f->ev.resources, "[]");
        fx_free(f);
    }
}

/* ---- errorMessage ---------------------------------------------------------------------------- */

TEST(record_error_message_is_the_response_message)
{
    /* authz's IAM-style denial reaches the record exactly as the response says it */
    struct fx *f = fx_new("PutObject");
    fx_iam_user(f);
    fx_bucket(f, "amzn-s3-demo-bucket", ROOT_ACCT);
    f->r.key = "secret.csv";
    f->r.error = S3E_AccessDenied;
    f->r.status = 403;
    const char *msg = "User: arn:aws:iam::" ROOT_ACCT ":user/Alice is not authorized to perform: "
                      "s3:PutObject on resource: \"arn:aws:s3:::amzn-s3-demo-bucket/secret.csv\" "
                      "because no identity-based policy allows the s3:PutObject action";
    f->r.error_message = (char *)msg;
    json_t *v = fx_build(f);
    CHECK_JSON(get(v, "errorCode"), "\"AccessDenied\"");
    CHECK_EQ_STR(json_string_value(get(v, "errorMessage")), msg);
    CHECK_JSON(get(v, "responseElements"), "null");
    f->r.error_message = NULL;
    fx_free(f);

    /* without one, the error table's message */
    f = fx_new("GetObject");
    fx_bucket(f, "b", ROOT_ACCT);
    f->r.key = "k";
    f->r.error = S3E_AccessDenied;
    v = fx_build(f);
    CHECK_JSON(get(v, "errorMessage"), "\"Access Denied\"");
    fx_free(f);
}

/* ---- throughput ------------------------------------------------------------------------------ */

/* Not a benchmark (sanitizers make this binary slow); it keeps the record cheap enough that the
 * benchmark (issue 4) has room: a PutObject record is one allocation-light pass. */
TEST(record_many_records)
{
    struct fx *f = fx_new("PutObject");
    fx_bucket(f, "bench-bucket", ROOT_ACCT);
    f->r.key = "some/longish/key/name/object-000001.bin";
    fx_header(f, "Host", "127.0.0.1:9000");
    fx_header(f, "User-Agent", "Boto3/1.43.0 md/Botocore#1.43.11 ua/2.1 os/linux#6.1");
    fx_header(f, "x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    fx_resp_header(f, "ETag", "\"0cc175b9c0f1b6a831c399e269772661\"");
    f->r.bytes_in = 4096;
    for (int i = 0; i < 2000; i++) {
        CHECK_EQ_INT(record_build(&f->r, &f->ev, NULL), 0);
        free(f->ev.record);
        free(f->ev.resources);
        f->ev.record = f->ev.resources = NULL;
    }
    fx_free(f);
}
