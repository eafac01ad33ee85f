/*
 * Tests of src/trail/selectors.c: validation of PutEventSelectors input (basic and advanced, every
 * limit and refusal), the stored normal form, and matching of hand-built journal rows and
 * records against compiled selectors — every rule of cloudtrail.md §6 and the S3 special cases
 * (bucket-level data events with an ARNPrefix, listings within a selected prefix, copies).
 */
#include "unit.h"

#include "trail/selectors.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------------------------- */

static json_t *J(const char *s)
{
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    if (!j)
        fprintf(stderr, "  bad test JSON: %s: %s\n", e.text, s);
    return j;
}

/* Validates basic (b) or advanced (a) selectors given as JSON text (NULL = absent); returns the
 * result and leaves the message in msg. */
static char msg[512];
static int validate(const char *b, const char *a)
{
    json_t *bj = b ? J(b) : NULL, *aj = a ? J(a) : NULL;
    int rc = selectors_validate(bj, aj, msg, sizeof msg);
    json_decref(bj);
    json_decref(aj);
    return rc;
}

static struct trail_selectors *compile(const char *b, const char *a)
{
    json_t *bj = b ? J(b) : NULL, *aj = a ? J(a) : NULL;
    struct trail_selectors *s = NULL;
    int rc = selectors_compile(bj, aj, &s);
    if (rc)
        fprintf(stderr, "  compile failed (%d): %s %s\n", rc, b ? b : "", a ? a : "");
    json_decref(bj);
    json_decref(aj);
    return s;
}

/* A journal row and its record. resources is the record's resources array (JSON text) or NULL
 * for none. */
struct ev {
    struct event_row row;
    char record[4096];
};

static void mkev(struct ev *e, const char *name, bool read_only, bool management,
                 const char *resources)
{
    memset(e, 0, sizeof *e);
    snprintf(e->row.event_name, sizeof e->row.event_name, "%s", name);
    snprintf(e->row.event_source, sizeof e->row.event_source, "s3.amazonaws.com");
    snprintf(e->row.region, sizeof e->row.region, "us-east-1");
    snprintf(e->row.account_id, sizeof e->row.account_id, "111122223333");
    e->row.read_only = read_only;
    e->row.management = management;
    snprintf(e->record, sizeof e->record,
             "{\"eventVersion\":\"1.11\",\"userIdentity\":{\"type\":\"IAMUser\","
             "\"arn\":\"arn:aws:iam::111122223333:user/alice\"},\"eventSource\":"
             "\"s3.amazonaws.com\",\"eventName\":\"%s\",\"readOnly\":%s,\"eventType\":"
             "\"AwsApiCall\",\"managementEvent\":%s,\"eventCategory\":\"%s\"%s%s}",
             name, read_only ? "true" : "false", management ? "true" : "false",
             management ? "Management" : "Data", resources ? ",\"resources\":" : "",
             resources ? resources : "");
    e->row.record = e->record;
}

/* Object event on bucket/key; list-type event with an ARNPrefix bucket/prefix. */
static void obj_ev(struct ev *e, const char *name, bool ro, const char *bucket, const char *key)
{
    char res[1024];
    snprintf(res, sizeof res,
             "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::%s/%s\"},"
             "{\"accountId\":\"111122223333\",\"type\":\"AWS::S3::Bucket\","
             "\"ARN\":\"arn:aws:s3:::%s\"}]",
             bucket, key, bucket);
    mkev(e, name, ro, false, res);
}

static void prefix_ev(struct ev *e, const char *name, bool ro, const char *bucket,
                      const char *prefix)
{
    char res[1024];
    snprintf(res, sizeof res,
             "[{\"type\":\"AWS::S3::Object\",\"ARNPrefix\":\"arn:aws:s3:::%s/%s\"},"
             "{\"accountId\":\"111122223333\",\"type\":\"AWS::S3::Bucket\","
             "\"ARN\":\"arn:aws:s3:::%s\"}]",
             bucket, prefix, bucket);
    mkev(e, name, ro, false, res);
}

static void mgmt_ev(struct ev *e, const char *name, bool ro, const char *source)
{
    mkev(e, name, ro, true,
         "[{\"accountId\":\"111122223333\",\"type\":\"AWS::S3::Bucket\","
         "\"ARN\":\"arn:aws:s3:::bk1\"}]");
    snprintf(e->row.event_source, sizeof e->row.event_source, "%s", source);
}

/* Matches with the record parsed by the caller, and again with NULL (the matcher parses). */
static bool match(const struct trail_selectors *s, struct ev *e)
{
    json_t *rec = json_loads(e->record, 0, NULL);
    bool a = selectors_match(s, &e->row, rec);
    bool b = selectors_match(s, &e->row, NULL);
    json_decref(rec);
    if (a != b)
        fprintf(stderr, "  parsed and unparsed record disagree for %s\n", e->row.event_name);
    CHECK(a == b);
    return a;
}

/* ---- validation: basic ----------------------------------------------------------------------- */

TEST(selectors_validate_basic_ok)
{
    CHECK_EQ_INT(validate("[{}]", NULL), 0);
    CHECK_EQ_INT(validate("[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true,"
                          "\"DataResources\":[],\"ExcludeManagementEventSources\":[]}]",
                          NULL),
                 0);
    CHECK_EQ_INT(validate("[{\"ReadWriteType\":\"ReadOnly\",\"DataResources\":[{\"Type\":"
                          "\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3\",\"arn:aws:s3:::\","
                          "\"arn:aws:s3:::bucket-1/\",\"arn:aws:s3:::bucket-2/pre/fix\"]}]},"
                          "{\"ReadWriteType\":\"WriteOnly\",\"IncludeManagementEvents\":false,"
                          "\"ExcludeManagementEventSources\":[\"kms.amazonaws.com\","
                          "\"rdsdata.amazonaws.com\"]}]",
                          NULL),
                 0);
    /* null members are absent members */
    CHECK_EQ_INT(validate("[{\"ReadWriteType\":null,\"DataResources\":null}]", NULL), 0);
    /* five selectors is the limit */
    CHECK_EQ_INT(validate("[{},{},{},{},{}]", NULL), 0);
}

TEST(selectors_validate_basic_refusals)
{
    CHECK_EQ_INT(validate("[]", NULL), -EINVAL);
    CHECK_EQ_STR(msg, "Specify a valid number of event selectors (1 to 5) for a trail.");
    CHECK_EQ_INT(validate("[{},{},{},{},{},{}]", NULL), -EINVAL);
    CHECK_EQ_STR(msg, "Specify a valid number of event selectors (1 to 5) for a trail.");
    CHECK_EQ_INT(validate("{}", NULL), -EINVAL);
    CHECK_EQ_INT(validate("[{\"ReadWriteType\":\"read-only\"}]", NULL), -EINVAL);
    CHECK_EQ_STR(msg, "Value read-only for ReadWriteType is invalid.");
    CHECK_EQ_INT(validate("[{\"IncludeManagementEvents\":\"yes\"}]", NULL), -EINVAL);
    CHECK_EQ_INT(validate("[{\"ExcludeManagementEventSources\":[\"s3.amazonaws.com\"]}]", NULL),
                 -EINVAL);
    CHECK_EQ_STR(msg, "Value s3.amazonaws.com for ExcludeManagementEventSources is invalid.");
    CHECK_EQ_INT(validate("[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\","
                          "\"Values\":[\"arn:aws:s3:::*\"]}]}]",
                          NULL),
                 -EINVAL);
    CHECK_EQ_STR(msg, "Value arn:aws:s3:::* for DataResources.Values is invalid.");
    /* a bucket ARN without the slash is not a prefix of object ARNs */
    CHECK_EQ_INT(validate("[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\","
                          "\"Values\":[\"arn:aws:s3:::bucket\"]}]}]",
                          NULL),
                 -EINVAL);
    CHECK_EQ_STR(msg, "Value arn:aws:s3:::bucket for DataResources.Values is invalid.");
    CHECK_EQ_INT(validate("[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\","
                          "\"Values\":[\"arn:aws:s3:::Bad_Bucket/\"]}]}]",
                          NULL),
                 -EINVAL);
    CHECK_EQ_INT(validate("[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\","
                          "\"Values\":[\"arn:aws:lambda\"]}]}]",
                          NULL),
                 -EINVAL);
    CHECK_EQ_INT(
        validate("[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\",\"Values\":[]}]}]", NULL),
        -EINVAL);
    CHECK_EQ_STR(msg, "Specify a valid number of data resources (1 to 250) for an event "
                      "selector.");
    CHECK_EQ_INT(validate("[{\"DataResources\":[{\"Type\":\"AWS::Lambda::Function\","
                          "\"Values\":[\"arn:aws:lambda\"]}]}]",
                          NULL),
                 -EINVAL);
    CHECK(strstr(msg, "Value AWS::Lambda::Function for DataResources.Type is invalid") == msg);
    CHECK(strstr(msg, "AWS::S3::Object only") != NULL);
    CHECK_EQ_INT(validate("[{\"DataResources\":[{\"Type\":\"Nope\",\"Values\":[\"x\"]}]}]", NULL),
                 -EINVAL);
    CHECK_EQ_STR(msg, "Value Nope for DataResources.Type is invalid.");
    CHECK_EQ_INT(validate("[{\"DataResources\":[{\"Values\":[\"arn:aws:s3\"]}]}]", NULL), -EINVAL);
}

/* 250 values across the trail, however they are spread; 251 is refused. */
static char *many_values(int per_sel, int nsel)
{
    size_t cap = 64 + (size_t)(per_sel * nsel) * 40;
    char *s = malloc(cap);
    size_t n = 0;
    n += (size_t)snprintf(s + n, cap - n, "[");
    for (int k = 0; k < nsel; k++) {
        n += (size_t)snprintf(s + n, cap - n,
                              "%s{\"DataResources\":[{\"Type\":\"AWS::S3::Object\",\"Values\":[",
                              k ? "," : "");
        for (int i = 0; i < per_sel; i++)
            n += (size_t)snprintf(s + n, cap - n, "%s\"arn:aws:s3:::bkt-%d-%d/\"", i ? "," : "", k,
                                  i);
        n += (size_t)snprintf(s + n, cap - n, "]}]}");
    }
    snprintf(s + n, cap - n, "]");
    return s;
}

TEST(selectors_validate_basic_value_limit)
{
    char *ok = many_values(50, 5), *one = many_values(250, 1), *over = many_values(51, 5);
    CHECK_EQ_INT(validate(ok, NULL), 0);
    CHECK_EQ_INT(validate(one, NULL), 0);
    CHECK_EQ_INT(validate(over, NULL), -EINVAL);
    CHECK_EQ_STR(msg, "Specify a valid number of DataResources.Values (0 to 250) for all your "
                      "selectors");
    free(ok);
    free(one);
    free(over);
}

TEST(selectors_validate_both_or_neither)
{
    CHECK_EQ_INT(validate("[{}]", "[{\"FieldSelectors\":[{\"Field\":\"eventCategory\","
                                  "\"Equals\":[\"Management\"]}]}]"),
                 -EINVAL);
    CHECK(strstr(msg, "not both") != NULL);
    CHECK_EQ_INT(validate(NULL, NULL), -EINVAL);
}

/* ---- validation: advanced -------------------------------------------------------------------- */

static const char *REF_ADVANCED =
    "[{\"Name\":\"Log all management events\",\"FieldSelectors\":[{\"Field\":\"eventCategory\","
    "\"Equals\":[\"Management\"]}]},"
    "{\"Name\":\"S3 writes except one bucket\",\"FieldSelectors\":["
    "{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"
    "{\"Field\":\"resources.type\",\"Equals\":[\"AWS::S3::Object\"]},"
    "{\"Field\":\"eventName\",\"Equals\":[\"PutObject\",\"DeleteObject\"]},"
    "{\"Field\":\"resources.ARN\",\"NotStartsWith\":[\"arn:aws:s3:::amzn-s3-demo-bucket/\"]}]}]";

/* One advanced selector with the given field selectors (JSON text of their array). */
static int validate_adv1(const char *field_selectors)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "[{\"FieldSelectors\":%s}]", field_selectors);
    return validate(NULL, buf);
}

#define CAT_DATA_S3                                                                                \
    "{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"                                         \
    "{\"Field\":\"resources.type\",\"Equals\":[\"AWS::S3::Object\"]}"

TEST(selectors_validate_advanced_ok)
{
    CHECK_EQ_INT(validate(NULL, REF_ADVANCED), 0);
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]},"
                               "{\"Field\":\"readOnly\",\"Equals\":[\"true\"]},"
                               "{\"Field\":\"eventSource\",\"NotEquals\":[\"kms.amazonaws.com\","
                               "\"rdsdata.amazonaws.com\"]}]"),
                 0);
    CHECK_EQ_INT(validate_adv1("[" CAT_DATA_S3 ",{\"Field\":\"resources.ARN\",\"StartsWith\":"
                               "[\"arn:aws:s3:::bk1/\"],\"NotEndsWith\":[\".tmp\"]},"
                               "{\"Field\":\"resources.ARN\",\"Equals\":[\"arn:aws:s3:::bk1/k\"]},"
                               "{\"Field\":\"readOnly\",\"Equals\":[\"false\"]},"
                               "{\"Field\":\"eventName\",\"NotStartsWith\":[\"Get\"]},"
                               "{\"Field\":\"eventSource\",\"Equals\":[\"s3.amazonaws.com\"]},"
                               "{\"Field\":\"eventType\",\"Equals\":[\"AwsApiCall\"]},"
                               "{\"Field\":\"userIdentity.arn\",\"EndsWith\":[\"/alice\"]},"
                               "{\"Field\":\"sessionCredentialFromConsole\",\"Equals\":"
                               "[\"true\"]}]"),
                 0);
    /* Name may be absent or empty */
    CHECK_EQ_INT(validate(NULL, "[{\"Name\":\"\",\"FieldSelectors\":[{\"Field\":"
                                "\"eventCategory\",\"Equals\":[\"Management\"]}]}]"),
                 0);
}

TEST(selectors_validate_advanced_refusals)
{
    CHECK_EQ_INT(validate(NULL, "[]"), -EINVAL);
    CHECK_EQ_INT(validate(NULL, "[{}]"), -EINVAL);
    CHECK_EQ_INT(validate_adv1("[]"), -EINVAL);
    /* eventCategory is required, once, Equals only, one value */
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"readOnly\",\"Equals\":[\"true\"]}]"), -EINVAL);
    CHECK(strstr(msg, "eventCategory") != NULL);
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"NotEquals\":[\"Data\"]}]"),
                 -EINVAL);
    CHECK_EQ_STR(msg, "Only the Equals operator is valid for the field eventCategory.");
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"Equals\":[\"Management\","
                               "\"Data\"]}]"),
                 -EINVAL);
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]},"
                               "{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]}]"),
                 -EINVAL);
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"Equals\":[\"Insight\"]}]"),
                 -EINVAL);
    CHECK_EQ_STR(msg, "Value Insight for eventCategory is invalid.");
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"Equals\":[\"NetworkActivity\"]}]"),
                 -EINVAL);
    CHECK(strstr(msg, "no network activity events") != NULL);
    /* readOnly: Equals "true" / "false" */
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]},"
                               "{\"Field\":\"readOnly\",\"NotEquals\":[\"true\"]}]"),
                 -EINVAL);
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]},"
                               "{\"Field\":\"readOnly\",\"Equals\":[\"yes\"]}]"),
                 -EINVAL);
    CHECK_EQ_STR(msg, "Value yes for readOnly is invalid.");
    /* unknown and foreign fields */
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]},"
                               "{\"Field\":\"awsRegion\",\"Equals\":[\"us-east-1\"]}]"),
                 -EINVAL);
    CHECK_EQ_STR(msg, "Value awsRegion for Field is invalid.");
    CHECK_EQ_INT(validate_adv1("[" CAT_DATA_S3 ",{\"Field\":\"errorCode\",\"Equals\":[\"x\"]}]"),
                 -EINVAL);
    CHECK(strstr(msg, "network activity") != NULL);
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"event Name\",\"Equals\":[\"x\"]}]"), -EINVAL);
    /* management selectors: eventCategory, readOnly, eventSource NotEquals kms/rdsdata only */
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]},"
                               "{\"Field\":\"eventName\",\"Equals\":[\"CreateBucket\"]}]"),
                 -EINVAL);
    CHECK_EQ_STR(msg, "The field eventName is not valid for management events.");
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]},"
                               "{\"Field\":\"eventSource\",\"Equals\":[\"s3.amazonaws.com\"]}]"),
                 -EINVAL);
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]},"
                               "{\"Field\":\"eventSource\",\"NotEquals\":[\"s3.amazonaws.com\"]}]"),
                 -EINVAL);
    CHECK_EQ_STR(msg, "Value s3.amazonaws.com for eventSource is invalid.");
    /* data selectors: resources.type required, AWS::S3::Object only, Equals once */
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]}]"), -EINVAL);
    CHECK_EQ_STR(msg, "The resources.type field is required for data events.");
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"
                               "{\"Field\":\"resources.type\",\"Equals\":"
                               "[\"AWS::DynamoDB::Table\"]}]"),
                 -EINVAL);
    CHECK(strstr(msg, "AWS::S3::Object only") != NULL);
    CHECK_EQ_INT(validate_adv1("[{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"
                               "{\"Field\":\"resources.type\",\"StartsWith\":[\"AWS::S3\"]}]"),
                 -EINVAL);
    CHECK_EQ_INT(validate_adv1("[" CAT_DATA_S3 ",{\"Field\":\"resources.type\",\"Equals\":"
                               "[\"AWS::S3::Object\"]}]"),
                 -EINVAL);
    /* resources.ARN Equals / NotEquals take exact object ARNs */
    CHECK_EQ_INT(validate_adv1("[" CAT_DATA_S3 ",{\"Field\":\"resources.ARN\",\"Equals\":"
                               "[\"arn:aws:s3:::bk1\"]}]"),
                 -EINVAL);
    CHECK(strstr(msg, "Value arn:aws:s3:::bk1 for resources.ARN is invalid") == msg);
    CHECK_EQ_INT(validate_adv1("[" CAT_DATA_S3 ",{\"Field\":\"resources.ARN\",\"NotEquals\":"
                               "[\"bk1/k\"]}]"),
                 -EINVAL);
    /* operators: at least one, each a non-empty list of 1..2048-byte strings */
    CHECK_EQ_INT(validate_adv1("[" CAT_DATA_S3 ",{\"Field\":\"eventName\"}]"), -EINVAL);
    CHECK_EQ_STR(msg, "The field selector for eventName has no operator.");
    CHECK_EQ_INT(validate_adv1("[" CAT_DATA_S3 ",{\"Field\":\"eventName\",\"Equals\":[]}]"),
                 -EINVAL);
    CHECK_EQ_INT(validate_adv1("[" CAT_DATA_S3 ",{\"Field\":\"eventName\",\"Equals\":[\"\"]}]"),
                 -EINVAL);
    CHECK_EQ_INT(validate_adv1("[" CAT_DATA_S3 ",{\"Field\":\"eventName\",\"Equals\":[7]}]"),
                 -EINVAL);
    char *big = malloc(3000);
    memset(big, 'a', 2049);
    big[2049] = '\0';
    char *fs = malloc(3300);
    snprintf(fs, 3300, "[" CAT_DATA_S3 ",{\"Field\":\"eventName\",\"Equals\":[\"%s\"]}]", big);
    CHECK_EQ_INT(validate_adv1(fs), -EINVAL);
    big[2048] = '\0';
    snprintf(fs, 3300, "[" CAT_DATA_S3 ",{\"Field\":\"eventName\",\"Equals\":[\"%s\"]}]", big);
    CHECK_EQ_INT(validate_adv1(fs), 0);
    free(fs);
    free(big);
    /* Name at most 1000 characters */
    char *name = malloc(1100);
    memset(name, 'n', 1001);
    name[1001] = '\0';
    char *sel = malloc(1300);
    snprintf(sel, 1300,
             "[{\"Name\":\"%s\",\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":"
             "[\"Management\"]}]}]",
             name);
    CHECK_EQ_INT(validate(NULL, sel), -EINVAL);
    free(sel);
    free(name);
}

TEST(selectors_validate_advanced_value_limit)
{
    /* 2 fixed values + n eventName values per selector; 500 in all is the limit. */
    for (int extra = 0; extra <= 1; extra++) {
        int total_names = 500 - 4 + extra; /* two selectors with 2 fixed values each */
        size_t cap = 64 * 1024;
        char *s = malloc(cap);
        size_t n = 0;
        n += (size_t)snprintf(s + n, cap - n, "[");
        for (int k = 0; k < 2; k++) {
            int mine = k == 0 ? total_names / 2 : total_names - total_names / 2;
            n += (size_t)snprintf(s + n, cap - n,
                                  "%s{\"FieldSelectors\":[" CAT_DATA_S3
                                  ",{\"Field\":\"eventName\",\"Equals\":[",
                                  k ? "," : "");
            for (int i = 0; i < mine; i++)
                n += (size_t)snprintf(s + n, cap - n, "%s\"Op%d\"", i ? "," : "", i);
            n += (size_t)snprintf(s + n, cap - n, "]}]}");
        }
        snprintf(s + n, cap - n, "]");
        CHECK_EQ_INT(validate(NULL, s), extra ? -EINVAL : 0);
        free(s);
    }
}

/* ---- normalization --------------------------------------------------------------------------- */

static void check_json(json_t *got, const char *want)
{
    json_t *w = J(want);
    CHECK(got && w && json_equal(got, w));
    if (got && w && !json_equal(got, w)) {
        char *g = json_dumps(got, JSON_COMPACT);
        fprintf(stderr, "  got  %s\n  want %s\n", g, want);
        free(g);
    }
    json_decref(w);
}

TEST(selectors_normalize)
{
    json_t *d = selectors_default_basic();
    check_json(d, "[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true,"
                  "\"DataResources\":[],\"ExcludeManagementEventSources\":[]}]");
    /* key order is the model's, as GetEventSelectors shows it */
    char *s = json_dumps(d, JSON_COMPACT);
    CHECK_EQ_STR(s, "[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true,"
                    "\"DataResources\":[],\"ExcludeManagementEventSources\":[]}]");
    free(s);
    json_decref(d);

    json_t *in = J("[{\"ReadWriteType\":\"ReadOnly\",\"Extra\":1,\"DataResources\":[{\"Type\":"
                   "\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3:::b/\"],\"X\":2}]},"
                   "{\"IncludeManagementEvents\":false}]");
    json_t *n = selectors_normalize_basic(in);
    check_json(n, "[{\"ReadWriteType\":\"ReadOnly\",\"IncludeManagementEvents\":true,"
                  "\"DataResources\":[{\"Type\":\"AWS::S3::Object\",\"Values\":"
                  "[\"arn:aws:s3:::b/\"]}],\"ExcludeManagementEventSources\":[]},"
                  "{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":false,"
                  "\"DataResources\":[],\"ExcludeManagementEventSources\":[]}]");
    json_decref(n);
    json_decref(in);

    in = J("[{\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"],"
           "\"Junk\":[\"x\"],\"StartsWith\":null}],\"Other\":true}]");
    n = selectors_normalize_advanced(in);
    check_json(n, "[{\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":"
                  "[\"Management\"]}]}]");
    json_decref(n);
    json_decref(in);
    in = J(REF_ADVANCED);
    n = selectors_normalize_advanced(in);
    check_json(n, REF_ADVANCED);
    json_decref(n);
    json_decref(in);
}

/* ---- matching: basic ------------------------------------------------------------------------- */

TEST(selectors_match_default)
{
    struct trail_selectors *s = compile(NULL, NULL);
    struct ev e;
    mgmt_ev(&e, "CreateBucket", false, "s3.amazonaws.com");
    CHECK(match(s, &e));
    mgmt_ev(&e, "ListBuckets", true, "s3.amazonaws.com");
    CHECK(match(s, &e));
    mgmt_ev(&e, "DescribeTrails", true, "cloudtrail.amazonaws.com");
    CHECK(match(s, &e));
    obj_ev(&e, "GetObject", true, "bk1", "k");
    CHECK(!match(s, &e));
    obj_ev(&e, "PutObject", false, "bk1", "k");
    CHECK(!match(s, &e));
    CHECK(!selectors_want_data(s));
    selectors_free(s);

    /* a trail document without selectors compiles to the same */
    json_t *doc = J("{\"Name\":\"t\",\"IsLogging\":true}");
    CHECK_EQ_INT(selectors_compile_trail(doc, &s), 0);
    mgmt_ev(&e, "CreateBucket", false, "s3.amazonaws.com");
    CHECK(match(s, &e));
    selectors_free(s);
    json_decref(doc);
    selectors_free(NULL);
}

TEST(selectors_match_read_write_type)
{
    struct ev e;
    struct trail_selectors *ro =
        compile("[{\"ReadWriteType\":\"ReadOnly\",\"DataResources\":[{\"Type\":\"AWS::S3::Object\","
                "\"Values\":[\"arn:aws:s3\"]}]}]",
                NULL);
    struct trail_selectors *wo = compile(
        "[{\"ReadWriteType\":\"WriteOnly\",\"DataResources\":[{\"Type\":\"AWS::S3::Object\","
        "\"Values\":[\"arn:aws:s3\"]}]}]",
        NULL);
    struct trail_selectors *all =
        compile("[{\"ReadWriteType\":\"All\",\"DataResources\":[{\"Type\":\"AWS::S3::Object\","
                "\"Values\":[\"arn:aws:s3\"]}]}]",
                NULL);
    /* management */
    mgmt_ev(&e, "GetBucketAcl", true, "s3.amazonaws.com");
    CHECK(match(ro, &e) && !match(wo, &e) && match(all, &e));
    mgmt_ev(&e, "PutBucketAcl", false, "s3.amazonaws.com");
    CHECK(!match(ro, &e) && match(wo, &e) && match(all, &e));
    /* data: the same selector's ReadWriteType applies */
    obj_ev(&e, "GetObject", true, "bk1", "k");
    CHECK(match(ro, &e) && !match(wo, &e) && match(all, &e));
    obj_ev(&e, "PutObject", false, "bk1", "k");
    CHECK(!match(ro, &e) && match(wo, &e) && match(all, &e));
    /* OR across selectors: a read selector and a write selector together take both */
    struct trail_selectors *both = compile(
        "[{\"ReadWriteType\":\"ReadOnly\",\"IncludeManagementEvents\":false,\"DataResources\":"
        "[{\"Type\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3:::bk1/\"]}]},"
        "{\"ReadWriteType\":\"WriteOnly\",\"IncludeManagementEvents\":false,\"DataResources\":"
        "[{\"Type\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3:::bk2/\"]}]}]",
        NULL);
    obj_ev(&e, "GetObject", true, "bk1", "k");
    CHECK(match(both, &e));
    obj_ev(&e, "PutObject", false, "bk1", "k");
    CHECK(!match(both, &e));
    obj_ev(&e, "PutObject", false, "bk2", "k");
    CHECK(match(both, &e));
    obj_ev(&e, "GetObject", true, "bk2", "k");
    CHECK(!match(both, &e));
    mgmt_ev(&e, "CreateBucket", false, "s3.amazonaws.com");
    CHECK(!match(both, &e));
    selectors_free(ro);
    selectors_free(wo);
    selectors_free(all);
    selectors_free(both);
}

TEST(selectors_match_management_flags)
{
    struct ev e;
    struct trail_selectors *none = compile("[{\"IncludeManagementEvents\":false}]", NULL);
    mgmt_ev(&e, "CreateBucket", false, "s3.amazonaws.com");
    CHECK(!match(none, &e));
    obj_ev(&e, "GetObject", true, "bk1", "k");
    CHECK(!match(none, &e));
    selectors_free(none);

    struct trail_selectors *ex =
        compile("[{\"ExcludeManagementEventSources\":[\"kms.amazonaws.com\"]}]", NULL);
    mgmt_ev(&e, "Decrypt", true, "kms.amazonaws.com");
    CHECK(!match(ex, &e));
    mgmt_ev(&e, "ExecuteStatement", false, "rdsdata.amazonaws.com");
    CHECK(match(ex, &e));
    mgmt_ev(&e, "CreateBucket", false, "s3.amazonaws.com");
    CHECK(match(ex, &e));
    selectors_free(ex);
}

TEST(selectors_match_data_values)
{
    struct ev e;
    const char *all[] = {"arn:aws:s3", "arn:aws:s3:::"};
    for (int i = 0; i < 2; i++) {
        char sel[256];
        snprintf(sel, sizeof sel,
                 "[{\"IncludeManagementEvents\":false,\"DataResources\":[{\"Type\":"
                 "\"AWS::S3::Object\",\"Values\":[\"%s\"]}]}]",
                 all[i]);
        struct trail_selectors *s = compile(sel, NULL);
        CHECK(selectors_want_data(s));
        obj_ev(&e, "GetObject", true, "any-bucket", "a/b/c");
        CHECK(match(s, &e));
        prefix_ev(&e, "ListObjects", true, "any-bucket", "x/");
        CHECK(match(s, &e));
        prefix_ev(&e, "HeadBucket", true, "other", "");
        CHECK(match(s, &e));
        mgmt_ev(&e, "CreateBucket", false, "s3.amazonaws.com");
        CHECK(!match(s, &e));
        selectors_free(s);
    }

    struct trail_selectors *s =
        compile("[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\",\"Values\":"
                "[\"arn:aws:s3:::bucket/\",\"arn:aws:s3:::logs-b/2024/\"]}]}]",
                NULL);
    obj_ev(&e, "PutObject", false, "bucket", "k");
    CHECK(match(s, &e));
    obj_ev(&e, "GetObject", true, "bucket", "deep/er/key");
    CHECK(match(s, &e));
    /* a bucket whose name starts with the selected one is another bucket */
    obj_ev(&e, "GetObject", true, "bucket2", "k");
    CHECK(!match(s, &e));
    obj_ev(&e, "GetObject", true, "buck", "et/k");
    CHECK(!match(s, &e));
    obj_ev(&e, "GetObject", true, "logs-b", "2024/01/x");
    CHECK(match(s, &e));
    obj_ev(&e, "GetObject", true, "logs-b", "2023/01/x");
    CHECK(!match(s, &e));
    obj_ev(&e, "GetObject", true, "logs-b", "2024");
    CHECK(!match(s, &e));
    /* management events still come with IncludeManagementEvents' default */
    mgmt_ev(&e, "CreateBucket", false, "s3.amazonaws.com");
    CHECK(match(s, &e));
    /* a data event without resources is covered by no value */
    mkev(&e, "WriteGetObjectResponse", false, false, NULL);
    CHECK(!match(s, &e));
    selectors_free(s);
}

TEST(selectors_match_bucket_level_special_cases)
{
    struct ev e;
    struct trail_selectors *whole = compile(
        "[{\"IncludeManagementEvents\":false,\"DataResources\":[{\"Type\":\"AWS::S3::Object\","
        "\"Values\":[\"arn:aws:s3:::bk1/\"]}]}]",
        NULL);
    struct trail_selectors *pre = compile(
        "[{\"IncludeManagementEvents\":false,\"DataResources\":[{\"Type\":\"AWS::S3::Object\","
        "\"Values\":[\"arn:aws:s3:::bk1/logs/\"]}]}]",
        NULL);
    /* the bucket with an empty prefix takes every bucket-level data event of that bucket */
    const char *bucket_level[] = {"ListObjects", "ListObjectVersions", "ListMultipartUploads",
                                  "HeadBucket", "DeleteObjects"};
    for (size_t i = 0; i < sizeof bucket_level / sizeof bucket_level[0]; i++) {
        bool ro = strcmp(bucket_level[i], "DeleteObjects") != 0;
        prefix_ev(&e, bucket_level[i], ro, "bk1", "");
        CHECK(match(whole, &e));
        CHECK(!match(pre, &e)); /* an empty listed prefix is not within logs/ */
        prefix_ev(&e, bucket_level[i], ro, "bk2", "");
        CHECK(!match(whole, &e));
    }
    /* listings within the selected prefix */
    prefix_ev(&e, "ListObjects", true, "bk1", "logs/");
    CHECK(match(pre, &e) && match(whole, &e));
    prefix_ev(&e, "ListObjects", true, "bk1", "logs/2024/");
    CHECK(match(pre, &e));
    prefix_ev(&e, "ListObjectVersions", true, "bk1", "logs/x");
    CHECK(match(pre, &e));
    prefix_ev(&e, "ListObjects", true, "bk1", "lo");
    CHECK(!match(pre, &e)); /* wider than the selection */
    prefix_ev(&e, "ListObjects", true, "bk1", "other/");
    CHECK(!match(pre, &e));
    prefix_ev(&e, "ListObjects", true, "bk2", "logs/");
    CHECK(!match(pre, &e));
    /* only listings: the other bucket-level events need the empty prefix */
    prefix_ev(&e, "ListMultipartUploads", true, "bk1", "logs/");
    CHECK(!match(pre, &e) && match(whole, &e));
    prefix_ev(&e, "HeadBucket", true, "bk1", "logs/");
    CHECK(!match(pre, &e));
    /* objects under the prefix */
    obj_ev(&e, "GetObject", true, "bk1", "logs/a");
    CHECK(match(pre, &e));
    obj_ev(&e, "GetObject", true, "bk1", "log");
    CHECK(!match(pre, &e));
    selectors_free(whole);
    selectors_free(pre);
}

TEST(selectors_match_copy_source)
{
    struct ev e;
    /* CopyObject bk2/dst from bk1/src: destination entries, then the source object and bucket */
    mkev(&e, "CopyObject", false, false,
         "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::bk2/dst\"},"
         "{\"accountId\":\"111122223333\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::"
         "bk2\"},"
         "{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::bk1/src\"},"
         "{\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::bk1\"}]");
    struct trail_selectors *src = compile(
        "[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3:::bk1/\"]}]}]",
        NULL);
    struct trail_selectors *dst = compile("[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\","
                                          "\"Values\":[\"arn:aws:s3:::bk2/d\"]}]}]",
                                          NULL);
    struct trail_selectors *neither = compile(
        "[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3:::bk3/\"]}]}]",
        NULL);
    CHECK(match(src, &e));
    CHECK(match(dst, &e));
    CHECK(!match(neither, &e));
    selectors_free(src);
    selectors_free(dst);
    selectors_free(neither);
}

/* ---- matching: advanced ---------------------------------------------------------------------- */

TEST(selectors_match_advanced_reference_example)
{
    struct trail_selectors *s = compile(NULL, REF_ADVANCED);
    struct ev e;
    CHECK(selectors_want_data(s));
    mgmt_ev(&e, "CreateBucket", false, "s3.amazonaws.com");
    CHECK(match(s, &e));
    mgmt_ev(&e, "GetBucketAcl", true, "s3.amazonaws.com");
    CHECK(match(s, &e));
    obj_ev(&e, "PutObject", false, "bk1", "k");
    CHECK(match(s, &e));
    obj_ev(&e, "DeleteObject", false, "bk1", "k");
    CHECK(match(s, &e));
    obj_ev(&e, "GetObject", true, "bk1", "k");
    CHECK(!match(s, &e)); /* eventName */
    obj_ev(&e, "PutObject", false, "amzn-s3-demo-bucket", "k");
    CHECK(!match(s, &e)); /* NotStartsWith */
    obj_ev(&e, "PutObject", false, "amzn-s3-demo-bucket2", "k");
    CHECK(match(s, &e));
    selectors_free(s);
}

TEST(selectors_match_advanced_operators)
{
    struct ev e;
    /* OR across the values of a positive operator */
    struct trail_selectors *s = compile(
        NULL, "[{\"FieldSelectors\":[" CAT_DATA_S3 ",{\"Field\":\"resources.ARN\",\"StartsWith\":"
              "[\"arn:aws:s3:::bk1/a/\",\"arn:aws:s3:::bk2/\"]}]}]");
    obj_ev(&e, "GetObject", true, "bk1", "a/x");
    CHECK(match(s, &e));
    obj_ev(&e, "GetObject", true, "bk2", "zz");
    CHECK(match(s, &e));
    obj_ev(&e, "GetObject", true, "bk1", "b/x");
    CHECK(!match(s, &e));
    mgmt_ev(&e, "CreateBucket", false, "s3.amazonaws.com");
    CHECK(!match(s, &e)); /* eventCategory Data */
    selectors_free(s);

    /* Equals / EndsWith / Not* with AND across the values of a negative operator */
    s = compile(NULL, "[{\"FieldSelectors\":[" CAT_DATA_S3 ",{\"Field\":\"resources.ARN\","
                      "\"EndsWith\":[\".jpg\",\".png\"],\"NotEndsWith\":[\"thumb.jpg\"]},"
                      "{\"Field\":\"eventName\",\"NotEquals\":[\"GetObject\",\"HeadObject\"]}]}]");
    obj_ev(&e, "PutObject", false, "bk1", "x.jpg");
    CHECK(match(s, &e));
    obj_ev(&e, "PutObject", false, "bk1", "x.png");
    CHECK(match(s, &e));
    obj_ev(&e, "PutObject", false, "bk1", "x.gif");
    CHECK(!match(s, &e));
    obj_ev(&e, "PutObject", false, "bk1", "xthumb.jpg");
    CHECK(!match(s, &e)); /* both operators of one field selector must hold */
    obj_ev(&e, "GetObject", true, "bk1", "x.jpg");
    CHECK(!match(s, &e));
    obj_ev(&e, "HeadObject", true, "bk1", "x.jpg");
    CHECK(!match(s, &e));
    obj_ev(&e, "DeleteObject", false, "bk1", "x.jpg");
    CHECK(match(s, &e));
    selectors_free(s);

    /* exact ARNs; NotStartsWith on eventName */
    s = compile(NULL, "[{\"FieldSelectors\":[" CAT_DATA_S3 ",{\"Field\":\"resources.ARN\","
                      "\"Equals\":[\"arn:aws:s3:::bk1/exact\"]},{\"Field\":\"eventName\","
                      "\"NotStartsWith\":[\"Get\",\"Head\"]}]}]");
    obj_ev(&e, "PutObject", false, "bk1", "exact");
    CHECK(match(s, &e));
    obj_ev(&e, "PutObject", false, "bk1", "exact2");
    CHECK(!match(s, &e));
    obj_ev(&e, "GetObject", true, "bk1", "exact");
    CHECK(!match(s, &e));
    obj_ev(&e, "HeadObject", true, "bk1", "exact");
    CHECK(!match(s, &e));
    selectors_free(s);

    /* NotEquals on resources.ARN */
    s = compile(NULL, "[{\"FieldSelectors\":[" CAT_DATA_S3 ",{\"Field\":\"resources.ARN\","
                      "\"NotEquals\":[\"arn:aws:s3:::bk1/secret\"]}]}]");
    obj_ev(&e, "GetObject", true, "bk1", "secret");
    CHECK(!match(s, &e));
    obj_ev(&e, "GetObject", true, "bk1", "public");
    CHECK(match(s, &e));
    selectors_free(s);
}

TEST(selectors_match_advanced_fields)
{
    struct ev e;
    /* management: readOnly and eventSource NotEquals */
    struct trail_selectors *s = compile(
        NULL, "[{\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]},"
              "{\"Field\":\"readOnly\",\"Equals\":[\"false\"]},{\"Field\":\"eventSource\","
              "\"NotEquals\":[\"kms.amazonaws.com\"]}]}]");
    CHECK(!selectors_want_data(s));
    mgmt_ev(&e, "CreateBucket", false, "s3.amazonaws.com");
    CHECK(match(s, &e));
    mgmt_ev(&e, "ListBuckets", true, "s3.amazonaws.com");
    CHECK(!match(s, &e));
    mgmt_ev(&e, "CreateKey", false, "kms.amazonaws.com");
    CHECK(!match(s, &e));
    obj_ev(&e, "PutObject", false, "bk1", "k");
    CHECK(!match(s, &e));
    selectors_free(s);

    /* record fields: eventType, userIdentity.arn, sessionCredentialFromConsole (absent here) */
    s = compile(NULL, "[{\"FieldSelectors\":[" CAT_DATA_S3 ",{\"Field\":\"eventType\",\"Equals\":"
                      "[\"AwsApiCall\"]},{\"Field\":\"userIdentity.arn\",\"EndsWith\":"
                      "[\"user/alice\"]},{\"Field\":\"readOnly\",\"Equals\":[\"true\"]}]}]");
    obj_ev(&e, "GetObject", true, "bk1", "k");
    CHECK(match(s, &e));
    obj_ev(&e, "PutObject", false, "bk1", "k");
    CHECK(!match(s, &e));
    selectors_free(s);
    s = compile(NULL, "[{\"FieldSelectors\":[" CAT_DATA_S3 ",{\"Field\":\"userIdentity.arn\","
                      "\"Equals\":[\"arn:aws:iam::111122223333:user/bob\"]}]}]");
    obj_ev(&e, "GetObject", true, "bk1", "k");
    CHECK(!match(s, &e));
    selectors_free(s);
    /* a field the record lacks: no positive operator holds, every negative one does */
    s = compile(NULL, "[{\"FieldSelectors\":[" CAT_DATA_S3 ",{\"Field\":"
                      "\"sessionCredentialFromConsole\",\"Equals\":[\"true\"]}]}]");
    obj_ev(&e, "GetObject", true, "bk1", "k");
    CHECK(!match(s, &e));
    selectors_free(s);
    s = compile(NULL, "[{\"FieldSelectors\":[" CAT_DATA_S3 ",{\"Field\":"
                      "\"sessionCredentialFromConsole\",\"NotEquals\":[\"true\"]}]}]");
    CHECK(match(s, &e));
    selectors_free(s);
}

TEST(selectors_match_advanced_resources)
{
    struct ev e;
    /* resources.* conditions hold on one resource: the bucket entry never passes resources.type
     * AWS::S3::Object, and an ARNPrefix is the resource's ARN */
    struct trail_selectors *s = compile(NULL, "[{\"FieldSelectors\":[" CAT_DATA_S3
                                              ",{\"Field\":\"resources.ARN\",\"StartsWith\":"
                                              "[\"arn:aws:s3:::bk1/\"]}]}]");
    prefix_ev(&e, "ListObjects", true, "bk1", "");
    CHECK(match(s, &e));
    prefix_ev(&e, "HeadBucket", true, "bk1", "");
    CHECK(match(s, &e));
    prefix_ev(&e, "ListObjects", true, "bk2", "");
    CHECK(!match(s, &e));
    selectors_free(s);
    /* a condition that only the bucket entry's ARN would satisfy does not match */
    s = compile(NULL, "[{\"FieldSelectors\":[" CAT_DATA_S3 ",{\"Field\":\"resources.ARN\","
                      "\"EndsWith\":[\":::bk1\"]}]}]");
    obj_ev(&e, "GetObject", true, "bk1", "k");
    CHECK(!match(s, &e));
    selectors_free(s);
    /* copies: one of the object resources suffices */
    mkev(&e, "CopyObject", false, false,
         "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::bk2/dst\"},"
         "{\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::bk2\"},"
         "{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::bk1/src\"}]");
    s = compile(NULL, "[{\"FieldSelectors\":[" CAT_DATA_S3 ",{\"Field\":\"resources.ARN\","
                      "\"StartsWith\":[\"arn:aws:s3:::bk1/\"]}]}]");
    CHECK(match(s, &e));
    selectors_free(s);
    /* no resources at all */
    mkev(&e, "WriteGetObjectResponse", false, false, NULL);
    s = compile(NULL, "[{\"FieldSelectors\":[" CAT_DATA_S3 "]}]");
    CHECK(!match(s, &e));
    obj_ev(&e, "GetObject", true, "bk1", "k");
    CHECK(match(s, &e));
    selectors_free(s);
}

TEST(selectors_match_advanced_or_across_selectors)
{
    struct ev e;
    struct trail_selectors *s = compile(
        NULL, "[{\"FieldSelectors\":[" CAT_DATA_S3 ",{\"Field\":\"eventName\",\"Equals\":"
              "[\"GetObject\"]}]},{\"FieldSelectors\":[" CAT_DATA_S3 ",{\"Field\":\"eventName\","
              "\"Equals\":[\"PutObject\"]},{\"Field\":\"resources.ARN\",\"StartsWith\":"
              "[\"arn:aws:s3:::bk2/\"]}]}]");
    obj_ev(&e, "GetObject", true, "bk1", "k");
    CHECK(match(s, &e));
    obj_ev(&e, "PutObject", false, "bk1", "k");
    CHECK(!match(s, &e));
    obj_ev(&e, "PutObject", false, "bk2", "k");
    CHECK(match(s, &e));
    mgmt_ev(&e, "CreateBucket", false, "s3.amazonaws.com");
    CHECK(!match(s, &e));
    selectors_free(s);
}

TEST(selectors_match_bad_record)
{
    struct ev e;
    obj_ev(&e, "GetObject", true, "bk1", "k");
    e.row.record = "{not json";
    struct trail_selectors *b = compile(
        "[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3\"]}]}]", NULL);
    CHECK(!selectors_match(b, &e.row, NULL)); /* no resources */
    struct trail_selectors *a =
        compile(NULL, "[{\"FieldSelectors\":[" CAT_DATA_S3 ",{\"Field\":\"eventName\",\"Equals\":"
                      "[\"GetObject\"]}]}]");
    CHECK(!selectors_match(a, &e.row, NULL));
    struct trail_selectors *m =
        compile(NULL, "[{\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"
                      "{\"Field\":\"resources.type\",\"Equals\":[\"AWS::S3::Object\"]},"
                      "{\"Field\":\"resources.ARN\",\"NotStartsWith\":[\"arn:aws:s3:::x/\"]}]}]");
    CHECK(!selectors_match(m, &e.row, NULL)); /* resources.type Equals needs a resource */
    CHECK(!selectors_match(NULL, &e.row, NULL));
    selectors_free(a);
    selectors_free(b);
    selectors_free(m);
    /* compile refuses what does not validate */
    json_t *bad = J("[{\"ReadWriteType\":\"Sometimes\"}]");
    struct trail_selectors *s = (struct trail_selectors *)1;
    CHECK_EQ_INT(selectors_compile(bad, NULL, &s), -EINVAL);
    CHECK(s == NULL);
    json_decref(bad);
}

/* Only the record's own resources count: a client's names that look like a "resources" member
 * inside requestParameters (they come before it in every record) neither match nor hide it. */
TEST(selectors_match_top_level_resources_only)
{
    struct ev e;
    obj_ev(&e, "DeleteObjects", false, "good", "k");
    snprintf(e.record, sizeof e.record,
             "{\"eventVersion\":\"1.11\",\"eventName\":\"DeleteObjects\",\"requestParameters\":"
             "{\"delete\":{\"resources\":[{\"type\":\"AWS::S3::Object\",\"ARN\":"
             "\"arn:aws:s3:::evil/k\"}]},\"note\":\",\\\"resources\\\":[\"},\"readOnly\":false,"
             "\"resources\":[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::good/k\"}],"
             "\"eventType\":\"AwsApiCall\",\"managementEvent\":false,\"eventCategory\":\"Data\"}");
    struct trail_selectors *evil = compile(
        "[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3:::evil/\"]}]}]",
        NULL);
    struct trail_selectors *good = compile(
        "[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3:::good/\"]}]}]",
        NULL);
    CHECK(!match(evil, &e));
    CHECK(match(good, &e));
    selectors_free(evil);
    selectors_free(good);
}

/* Object ARNs are compared as the record's text where that is exact, and through the parsed
 * record where an escape is involved: both give the same answer. */
TEST(selectors_match_escaped_keys)
{
    struct ev e;
    obj_ev(&e, "PutObject", false, "bk1", "dir/a\\\"b\\\\c"); /* key: dir/a"b\c */
    struct trail_selectors *plain = compile(
        "[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3:::bk1/dir/a\"]}]}]",
        NULL);
    struct trail_selectors *quoted = compile("[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\","
                                             "\"Values\":[\"arn:aws:s3:::bk1/dir/a\\\"b\"]}]}]",
                                             NULL);
    struct trail_selectors *other = compile("[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\","
                                            "\"Values\":[\"arn:aws:s3:::bk1/dir/a\\\"x\"]}]}]",
                                            NULL);
    CHECK(match(plain, &e));
    CHECK(match(quoted, &e));
    CHECK(!match(other, &e));
    selectors_free(plain);
    selectors_free(quoted);
    selectors_free(other);
}
