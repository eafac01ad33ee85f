/*
 * fuzz_ctjson — the CloudTrail JSON API's request bodies: every implemented operation's handler
 * (trail/ctapi.h, trails.h, lookup.c) on a body from the input, the selector engine
 * (trail/selectors.h) on PutEventSelectors input, the LookupEvents paging token and timestamp
 * readers, and the CloudTrail record of each call (trail/record.c: requestParameters is the JSON
 * request, responseElements the answer).
 *
 * Input: byte 0 selects, the rest is the body (a JSON object as clients send it):
 *   0 .. N_OPS-1   the handler of ops[byte 0], then record_build() of the answered request
 *   N_OPS          selectors: EventSelectors or AdvancedEventSelectors of the body through
 *                  validate, normalize, compile and match against canned journal rows and, when
 *                  the body has a "Record" object, against that record too
 *   N_OPS + 1      the body as a NextToken (ct_token_decode) and, parsed, as a timestamp
 *                  (ct_json_time)
 * Other values wrap around.
 *
 * The handlers run on a request without a server (harness.h) against one store made at start-up
 * (an account, a delivery bucket with CloudTrail's policy, two trails, a few journal rows), so
 * names, ARNs and tokens in the seeds resolve. A handler that commits goes through
 * fuzz_req_commit(): the work item and its continuation run in the store's writer, then the item
 * is rolled back, so every input sees the same store and a crash reproduces from its input alone.
 *
 * FUZZ_DEBUG=1 in the environment prints each handler's answer (for writing seeds:
 * build/fuzz/ctjson fuzz/corpus/ctjson/<file>).
 *
 * Invariants: a handler answers (200 with a JSON object body, or an error: an API error code or
 * an S3 error); the record is one JSON object without line breaks; selectors that validate
 * normalize to selectors that validate and normalize to themselves, and compile; a matcher
 * given the parsed record agrees with one that parses it itself; a token that decodes encodes
 * back to itself.
 */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "harness.h"
#include "http/req.h"
#include "shims.h"
#include "trail/ctapi.h"
#include "trail/record.h"
#include "trail/selectors.h"
#include "trail/trails.h"

#define ACCOUNT "111122223333"
#define BUCKET "trail-bucket"

static const char *const ops[] = {
    "LookupEvents",   "CreateTrail",       "UpdateTrail",       "DeleteTrail",
    "GetTrail",       "DescribeTrails",    "ListTrails",        "GetTrailStatus",
    "StartLogging",   "StopLogging",       "PutEventSelectors", "GetEventSelectors",
    "AddTags",        "RemoveTags",        "ListTags",
};
#define N_OPS (sizeof ops / sizeof ops[0])

static struct store *st;

/* ---- the store every input sees ------------------------------------------------------------ */

static const char POLICY[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":["
    "{\"Sid\":\"AWSCloudTrailAclCheck\",\"Effect\":\"Allow\","
    "\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},\"Action\":\"s3:GetBucketAcl\","
    "\"Resource\":\"arn:aws:s3:::" BUCKET "\"},"
    "{\"Sid\":\"AWSCloudTrailWrite\",\"Effect\":\"Allow\","
    "\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},\"Action\":\"s3:PutObject\","
    "\"Resource\":\"arn:aws:s3:::" BUCKET "/*\","
    "\"Condition\":{\"StringEquals\":{\"s3:x-amz-acl\":\"bucket-owner-full-control\"}}}]}";

static const char TRAIL_HOME[] =
    "{\"Name\":\"my-trail\",\"HomeRegion\":\"us-east-1\","
    "\"TrailARN\":\"arn:aws:cloudtrail:us-east-1:" ACCOUNT ":trail/my-trail\","
    "\"S3BucketName\":\"" BUCKET "\",\"S3KeyPrefix\":\"logs\",\"IncludeGlobalServiceEvents\":true,"
    "\"IsMultiRegionTrail\":false,\"LogFileValidationEnabled\":false,"
    "\"IsOrganizationTrail\":false,\"HasCustomEventSelectors\":true,"
    "\"EventSelectors\":[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true,"
    "\"DataResources\":[{\"Type\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3:::" BUCKET
    "/\"]}],\"ExcludeManagementEventSources\":[]}],"
    "\"TagsList\":[{\"Key\":\"team\",\"Value\":\"storage\"}],\"CreatedTime\":1700000000000,"
    "\"IsLogging\":true,\"StartLoggingTime\":1700000001000,"
    "\"delivery\":{\"cursor\":0,\"LatestDeliveryTime\":1700000002000,"
    "\"LatestDeliveryAttemptTime\":1700000002000,"
    "\"LatestDeliveryAttemptSucceeded\":1700000002000}}";

static const char TRAIL_MULTI[] =
    "{\"Name\":\"org-trail\",\"HomeRegion\":\"eu-west-1\","
    "\"TrailARN\":\"arn:aws:cloudtrail:eu-west-1:" ACCOUNT ":trail/org-trail\","
    "\"S3BucketName\":\"" BUCKET "\",\"IncludeGlobalServiceEvents\":true,"
    "\"IsMultiRegionTrail\":true,\"LogFileValidationEnabled\":false,"
    "\"IsOrganizationTrail\":false,\"HasCustomEventSelectors\":true,"
    "\"AdvancedEventSelectors\":[{\"Name\":\"writes\",\"FieldSelectors\":["
    "{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"
    "{\"Field\":\"resources.type\",\"Equals\":[\"AWS::S3::Object\"]},"
    "{\"Field\":\"readOnly\",\"Equals\":[\"false\"]}]}],"
    "\"TagsList\":[],\"CreatedTime\":1700000000000,\"IsLogging\":false,"
    "\"StopLoggingTime\":1700000005000,\"StopLoggingSeq\":2,"
    "\"delivery\":{\"cursor\":2,\"LatestDeliveryError\":\"AccessDenied\"}}";

struct setup {
    struct event_row ev[3];
    size_t nev;
};

static int setup_apply(struct store_txn *t, void *arg)
{
    struct setup *s = arg;
    struct account a = {.created_ms = 1700000000000};
    snprintf(a.id, sizeof a.id, ACCOUNT);
    snprintf(a.canonical_id, sizeof a.canonical_id,
             "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be");
    snprintf(a.display_name, sizeof a.display_name, "fuzz");
    snprintf(a.email, sizeof a.email, "fuzz@example.com");
    int rc = store_txn_account_create(t, &a);
    struct bucket b;
    memset(&b, 0, sizeof b);
    snprintf(b.name, sizeof b.name, BUCKET);
    snprintf(b.owner_account, sizeof b.owner_account, ACCOUNT);
    snprintf(b.region, sizeof b.region, "us-east-1");
    if (!rc)
        rc = store_txn_bucket_create(t, &b);
    if (!rc)
        rc = store_txn_bucket_config_set(t, b.id, "policy", POLICY);
    if (!rc)
        rc = store_txn_doc_set(t, TRAIL_DOC_KIND, ACCOUNT, "us-east-1/my-trail", TRAIL_HOME);
    if (!rc)
        rc = store_txn_doc_set(t, TRAIL_DOC_KIND, ACCOUNT, "eu-west-1/org-trail", TRAIL_MULTI);
    for (size_t i = 0; i < s->nev && !rc; i++)
        rc = store_txn_event_append(t, &s->ev[i]);
    return rc;
}

/* A real record of a call, for the journal LookupEvents reads. */
static void make_event(struct setup *s, const char *op_name, bool json)
{
    struct req *r = fuzz_req_new(NULL, 0);
    FUZZ_CHECK(r != NULL);
    r->op = json ? ct_route(CT_TARGET_PREFIX "CreateTrail") : optable_find(op_name);
    FUZZ_CHECK(r->op != NULL);
    r->method = r->op->method;
    r->protocol = json ? PROTO_JSON : PROTO_S3;
    r->bucket = json ? NULL : BUCKET;
    FUZZ_CHECK(record_build(r, &s->ev[s->nev], NULL) == 0);
    s->nev++;
    fuzz_req_free(r);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    st = fuzz_store_open("ctjson");
    FUZZ_CHECK(st != NULL);
    struct setup s = {.nev = 0};
    make_event(&s, "CreateBucket", false);
    make_event(&s, "PutBucketPolicy", false);
    make_event(&s, "CreateTrail", true);
    FUZZ_CHECK(store_submit_wait(st, setup_apply, &s) == 0);
    for (size_t i = 0; i < s.nev; i++) {
        free(s.ev[i].record);
        free(s.ev[i].resources);
    }
    return 0;
}

/* ---- req_commit without a server ----------------------------------------------------------- */

struct commit {
    struct req *r;
    store_apply_fn apply;
    int (*then)(struct req *r);
    int then_rc;
};

static int commit_item(struct store_txn *t, void *arg)
{
    struct commit *c = arg;
    c->r->commit_rc = store_txn_nest(t, c->apply, c->r);
    c->then_rc = c->then(c->r);
    /* Never keep an input's change: the next input must see the same store. */
    return -ECANCELED;
}

int fuzz_req_commit(struct req *r, store_apply_fn apply, int (*then)(struct req *r))
{
    struct commit c = {.r = r, .apply = apply, .then = then};
    FUZZ_CHECK(store_submit_wait(r->st, commit_item, &c) == -ECANCELED);
    return c.then_rc;
}

/* ---- the handlers -------------------------------------------------------------------------- */

static void check_record(const struct req *r)
{
    struct event_row ev;
    memset(&ev, 0, sizeof ev);
    if (record_build(r, &ev, NULL) != 0)
        return;
    json_error_t err;
    json_t *rec = json_loads(ev.record, JSON_REJECT_DUPLICATES, &err);
    if (!rec)
        fprintf(stderr, "record is not JSON (%s): %s\n", err.text, ev.record);
    FUZZ_CHECK(json_is_object(rec));
    FUZZ_CHECK(!strchr(ev.record, '\n'));
    json_decref(rec);
    free(ev.record);
    free(ev.resources);
}

static void run_op(const char *name, const uint8_t *body, size_t n)
{
    char target[160];
    snprintf(target, sizeof target, "%s%s", CT_TARGET_PREFIX, name);
    const struct s3_op *op = ct_route(target);
    FUZZ_CHECK(op != NULL && op->handler != NULL);
    struct req *r = fuzz_req_new(body, n);
    if (!r)
        return;
    r->st = st;
    r->op = op;
    r->method = "POST";
    r->protocol = PROTO_JSON;
    int rc = op->handler(r);
    if (getenv("FUZZ_DEBUG"))
        fprintf(stderr, "%s: rc %d status %d error %d %s %s: %s\n", name, rc, r->status, r->error,
                r->api_error, r->error_message ? r->error_message : "",
                r->resp_body.data ? r->resp_body.data : "");
    FUZZ_CHECK(rc <= 0);
    if (rc == 0) {
        FUZZ_CHECK(r->status == 200 && !r->error && !r->api_error[0]);
        json_t *out = json_loadb(r->resp_body.data ? r->resp_body.data : "", r->resp_body.len,
                                 JSON_REJECT_DUPLICATES, NULL);
        FUZZ_CHECK(json_is_object(out));
        json_decref(out);
    } else {
        FUZZ_CHECK(r->error || r->api_error[0]);
    }
    check_record(r);
    fuzz_req_free(r);
}

/* ---- selectors ----------------------------------------------------------------------------- */

struct canned {
    const char *name, *source, *resources;
    bool read_only, management;
};

static const struct canned canned[] = {
    {"CreateBucket", "s3.amazonaws.com",
     "[{\"accountId\":\"" ACCOUNT "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::bk1\"}]",
     false, true},
    {"GetBucketAcl", "s3.amazonaws.com", NULL, true, true},
    {"Decrypt", "kms.amazonaws.com", NULL, true, true},
    {"PutObject", "s3.amazonaws.com",
     "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::bk1/a/b.txt\"},"
     "{\"accountId\":\"" ACCOUNT "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::bk1\"}]",
     false, false},
    {"ListObjects", "s3.amazonaws.com",
     "[{\"type\":\"AWS::S3::Object\",\"ARNPrefix\":\"arn:aws:s3:::bk1/a/\"},"
     "{\"accountId\":\"" ACCOUNT "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::bk1\"}]",
     true, false},
    {"CopyObject", "s3.amazonaws.com",
     "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::bk2/dst\"},"
     "{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::bk1/src\"}]",
     false, false},
};

static void match_both(const struct trail_selectors *s, struct event_row *row, const char *record)
{
    row->record = (char *)record;
    json_t *rec = json_loads(record, 0, NULL);
    bool a = selectors_match(s, row, rec);
    bool b = selectors_match(s, row, NULL);
    FUZZ_CHECK(a == b);
    json_decref(rec);
}

static void match_all(const struct trail_selectors *s, json_t *extra)
{
    struct event_row row;
    char record[2048];
    for (size_t i = 0; i < sizeof canned / sizeof canned[0]; i++) {
        const struct canned *c = &canned[i];
        memset(&row, 0, sizeof row);
        snprintf(row.event_name, sizeof row.event_name, "%s", c->name);
        snprintf(row.event_source, sizeof row.event_source, "%s", c->source);
        snprintf(row.account_id, sizeof row.account_id, ACCOUNT);
        snprintf(row.region, sizeof row.region, "us-east-1");
        row.read_only = c->read_only;
        row.management = c->management;
        snprintf(record, sizeof record,
                 "{\"eventVersion\":\"1.11\",\"userIdentity\":{\"type\":\"IAMUser\","
                 "\"arn\":\"arn:aws:iam::" ACCOUNT ":user/alice\"},\"eventSource\":\"%s\","
                 "\"eventName\":\"%s\",\"readOnly\":%s,\"eventType\":\"AwsApiCall\","
                 "\"managementEvent\":%s%s%s}",
                 c->source, c->name, c->read_only ? "true" : "false",
                 c->management ? "true" : "false", c->resources ? ",\"resources\":" : "",
                 c->resources ? c->resources : "");
        match_both(s, &row, record);
    }
    if (json_is_object(extra)) {
        /* The input's own record, with the row the journal would hold for it. */
        memset(&row, 0, sizeof row);
        const char *en = json_string_value(json_object_get(extra, "eventName"));
        const char *es = json_string_value(json_object_get(extra, "eventSource"));
        snprintf(row.event_name, sizeof row.event_name, "%s", en ? en : "");
        snprintf(row.event_source, sizeof row.event_source, "%s", es ? es : "");
        row.read_only = json_is_true(json_object_get(extra, "readOnly"));
        row.management = !json_is_false(json_object_get(extra, "managementEvent"));
        char *text = json_dumps(extra, JSON_COMPACT);
        if (text)
            match_both(s, &row, text);
        free(text);
    }
}

static void run_selectors(const uint8_t *body, size_t n)
{
    json_t *in = json_loadb((const char *)body, n, 0, NULL);
    if (!json_is_object(in)) {
        json_decref(in);
        return;
    }
    json_t *basic = json_object_get(in, "EventSelectors");
    json_t *adv = json_object_get(in, "AdvancedEventSelectors");
    if ((basic && adv) || (!basic && !adv)) {
        /* The handler answers these itself; the matcher still compiles what it is given. */
        struct trail_selectors *s = NULL;
        if (selectors_compile(basic, adv, &s) == 0)
            match_all(s, json_object_get(in, "Record"));
        selectors_free(s);
        json_decref(in);
        return;
    }
    char msg[512];
    memset(msg, 'x', sizeof msg);
    int rc = selectors_validate(basic, adv, msg, sizeof msg);
    FUZZ_CHECK(memchr(msg, '\0', sizeof msg) != NULL);
    if (rc == 0) {
        json_t *norm = adv ? selectors_normalize_advanced(adv) : selectors_normalize_basic(basic);
        FUZZ_CHECK(norm != NULL);
        FUZZ_CHECK(selectors_validate(adv ? NULL : norm, adv ? norm : NULL, msg, sizeof msg) == 0);
        json_t *again =
            adv ? selectors_normalize_advanced(norm) : selectors_normalize_basic(norm);
        FUZZ_CHECK(json_equal(norm, again));
        json_decref(again);
        struct trail_selectors *s = NULL, *s2 = NULL;
        FUZZ_CHECK(selectors_compile(adv ? NULL : norm, adv ? norm : NULL, &s) == 0);
        FUZZ_CHECK(selectors_compile(basic, adv, &s2) == 0);
        match_all(s, json_object_get(in, "Record"));
        selectors_free(s);
        selectors_free(s2);
        json_decref(norm);
    } else {
        FUZZ_CHECK(rc == -EINVAL && msg[0]);
    }
    json_decref(in);
}

/* ---- tokens and times ---------------------------------------------------------------------- */

static void run_misc(const uint8_t *body, size_t n)
{
    char *tok = malloc(n + 1);
    if (!tok)
        return;
    memcpy(tok, body, n);
    tok[n] = '\0';
    int64_t before;
    uint64_t hash;
    if (ct_token_decode(tok, &before, &hash) == 0) {
        FUZZ_CHECK(before > 0);
        char back[CT_TOKEN_LEN + 1];
        ct_token_encode(before, hash, back);
        FUZZ_CHECK(strcmp(back, tok) == 0);
    }
    free(tok);
    json_t *v = json_loadb((const char *)body, n, JSON_DECODE_ANY, NULL);
    double secs;
    if (v && ct_json_time(v, &secs) == 0)
        FUZZ_CHECK(secs == secs); /* finite, never NaN */
    json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t sel = data[0] % (N_OPS + 2);
    if (sel < N_OPS)
        run_op(ops[sel], data + 1, size - 1);
    else if (sel == N_OPS)
        run_selectors(data + 1, size - 1);
    else
        run_misc(data + 1, size - 1);
    return 0;
}
