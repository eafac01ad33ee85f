/*
 * Tests of src/trail/ctapi.c and the parts of lookup.c that need no server: the CloudTrail
 * operation table against botocore's model, routing by X-Amz-Target, timestamp reading, and the
 * LookupEvents paging tokens (round trip, garbage, every single-character edit refused).
 */
#include "unit.h"

#include "trail/ctapi.h"

#include <stdint.h>
#include <string.h>

/* botocore 1.43.11, cloudtrail/2013-11-01: every operation, in the model's order. */
/* clang-format off */
static const char *const MODEL_OPS[] = {
    "AddTags", "CancelQuery", "CreateChannel", "CreateDashboard", "CreateEventDataStore",
    "CreateTrail", "DeleteChannel", "DeleteDashboard", "DeleteEventDataStore",
    "DeleteResourcePolicy", "DeleteTrail", "DeregisterOrganizationDelegatedAdmin",
    "DescribeQuery", "DescribeTrails", "DisableFederation", "EnableFederation", "GenerateQuery",
    "GetChannel", "GetDashboard", "GetEventConfiguration", "GetEventDataStore",
    "GetEventSelectors", "GetImport", "GetInsightSelectors", "GetQueryResults",
    "GetResourcePolicy", "GetTrail", "GetTrailStatus", "ListChannels", "ListDashboards",
    "ListEventDataStores", "ListImportFailures", "ListImports", "ListInsightsData",
    "ListInsightsMetricData", "ListPublicKeys", "ListQueries", "ListTags", "ListTrails",
    "LookupEvents", "PutEventConfiguration", "PutEventSelectors", "PutInsightSelectors",
    "PutResourcePolicy", "RegisterOrganizationDelegatedAdmin", "RemoveTags",
    "RestoreEventDataStore", "SearchSampleQueries", "StartDashboardRefresh",
    "StartEventDataStoreIngestion", "StartImport", "StartLogging", "StartQuery",
    "StopEventDataStoreIngestion", "StopImport", "StopLogging", "UpdateChannel",
    "UpdateDashboard", "UpdateEventDataStore", "UpdateTrail",
};
/* clang-format on */

TEST(ctapi_table_matches_model)
{
    size_t n = sizeof MODEL_OPS / sizeof MODEL_OPS[0];
    CHECK_EQ_INT(ct_ops_count, n);
    for (size_t i = 0; i < ct_ops_count && i < n; i++) {
        const struct s3_op *op = &ct_ops[i];
        CHECK_EQ_STR(op->name, MODEL_OPS[i]);
        CHECK_EQ_STR(op->method, "POST");
        CHECK(op->shape == SHAPE_SERVICE);
        CHECK(op->query == NULL && op->header == NULL);
        char action[128];
        snprintf(action, sizeof action, "cloudtrail:%s", op->name);
        CHECK_EQ_STR(op->iam_action, action);
        CHECK_EQ_STR(op->event_name, op->name);
        CHECK_EQ_STR(op->event_source, "cloudtrail.amazonaws.com");
        CHECK(op->category == CAT_MANAGEMENT);
        bool ro = strncmp(op->name, "Describe", 8) == 0 || strncmp(op->name, "Get", 3) == 0 ||
                  strncmp(op->name, "List", 4) == 0 || strcmp(op->name, "LookupEvents") == 0;
        CHECK_EQ_INT(op->read_only, ro);
        CHECK(op->resources == RES_NONE);
        CHECK(op->body == BODY_XML);
        CHECK_EQ_INT(op->flags, 0);
        CHECK(op->precheck == NULL);
        /* The operations built so far; every other row answers UnsupportedOperationException. */
        static const char *const built[] = {
            "LookupEvents",   "CreateTrail",    "UpdateTrail",       "DeleteTrail",
            "GetTrail",       "DescribeTrails", "ListTrails",        "GetTrailStatus",
            "StartLogging",   "StopLogging",    "PutEventSelectors", "GetEventSelectors",
            "AddTags",        "RemoveTags",     "ListTags",
        };
        bool is_built = false;
        for (size_t k = 0; k < sizeof built / sizeof built[0]; k++)
            is_built = is_built || strcmp(op->name, built[k]) == 0;
        CHECK_EQ_INT(op->handler != NULL, is_built);
        if (strcmp(op->name, "LookupEvents") == 0)
            CHECK(op->handler == ct_lookup_events);
    }
}

TEST(ctapi_route)
{
    for (size_t i = 0; i < ct_ops_count; i++) {
        char target[160];
        snprintf(target, sizeof target, "%s%s", CT_TARGET_PREFIX, ct_ops[i].name);
        CHECK(ct_route(target) == &ct_ops[i]);
    }
    const struct s3_op *op =
        ct_route("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents");
    CHECK(op && strcmp(op->name, "LookupEvents") == 0);
    static const char *const bad[] = {
        "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.",
        "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.lookupEvents",
        "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEventsX",
        "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents ",
        "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.NoSuchOperation",
        "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101",
        "CloudTrail_20131101.LookupEvents",
        "LookupEvents",
        "AWSSecurityTokenServiceV20110615.GetCallerIdentity",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (ct_route(bad[i]) != NULL) {
            fprintf(stderr, "  ct_route accepted \"%s\"\n", bad[i]);
            unit_failures++;
        }
    }
    CHECK(ct_route(NULL) == NULL);
}

TEST(ctapi_json_time)
{
    double d = -1;
    json_t *v = json_integer(1705276800);
    CHECK_EQ_INT(ct_json_time(v, &d), 0);
    CHECK(d == 1705276800.0);
    json_decref(v);
    v = json_real(1454022144.869);
    CHECK_EQ_INT(ct_json_time(v, &d), 0);
    CHECK(d == 1454022144.869);
    json_decref(v);
    v = json_string("1454022144.5");
    CHECK_EQ_INT(ct_json_time(v, &d), 0);
    CHECK(d == 1454022144.5);
    json_decref(v);
    static const char *const bad_strings[] = {"",      " 1",  "1 ",  "abc",
                                              "12abc", "inf", "nan", "2024-01-15T00:00:00Z"};
    for (size_t i = 0; i < sizeof bad_strings / sizeof bad_strings[0]; i++) {
        v = json_string(bad_strings[i]);
        if (ct_json_time(v, &d) != -1) {
            fprintf(stderr, "  ct_json_time accepted \"%s\"\n", bad_strings[i]);
            unit_failures++;
        }
        json_decref(v);
    }
    CHECK_EQ_INT(ct_json_time(json_null(), &d), -1);
    CHECK_EQ_INT(ct_json_time(json_true(), &d), -1);
    CHECK_EQ_INT(ct_json_time(NULL, &d), -1);
    v = json_object();
    CHECK_EQ_INT(ct_json_time(v, &d), -1);
    json_decref(v);
}

TEST(ctapi_token_round_trip)
{
    static const int64_t seqs[] = {1, 2, 255, 256, 65537, 1234567890123, INT64_MAX};
    static const uint64_t hashes[] = {0, 1, 0xDEADBEEFCAFEF00Dull, UINT64_MAX};
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        for (size_t j = 0; j < sizeof hashes / sizeof hashes[0]; j++) {
            char tok[CT_TOKEN_LEN + 1];
            memset(tok, 'x', sizeof tok);
            ct_token_encode(seqs[i], hashes[j], tok);
            CHECK_EQ_INT(strlen(tok), CT_TOKEN_LEN);
            int64_t s = 0;
            uint64_t h = 0;
            CHECK_EQ_INT(ct_token_decode(tok, &s, &h), 0);
            CHECK(s == seqs[i]);
            CHECK(h == hashes[j]);
        }
    }
    /* Different cursors give different tokens (the paginator's "same token twice" check). */
    char a[CT_TOKEN_LEN + 1], b[CT_TOKEN_LEN + 1];
    ct_token_encode(100, 7, a);
    ct_token_encode(99, 7, b);
    CHECK(strcmp(a, b) != 0);
    ct_token_encode(100, 8, b);
    CHECK(strcmp(a, b) != 0);
}

TEST(ctapi_token_tampering)
{
    char tok[CT_TOKEN_LEN + 1];
    ct_token_encode(4242, 0x0123456789ABCDEFull, tok);
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_.!";
    int64_t s;
    uint64_t h;
    int accepted = 0;
    for (size_t i = 0; i < CT_TOKEN_LEN; i++) {
        for (const char *c = alphabet; *c; c++) {
            if (*c == tok[i])
                continue;
            char t[CT_TOKEN_LEN + 1];
            memcpy(t, tok, sizeof t);
            t[i] = *c;
            if (ct_token_decode(t, &s, &h) == 0)
                accepted++;
        }
    }
    CHECK_EQ_INT(accepted, 0);

    /* garbage and near-misses */
    char longer[CT_TOKEN_LEN + 2];
    snprintf(longer, sizeof longer, "%sA", tok);
    char shorter[CT_TOKEN_LEN];
    memcpy(shorter, tok, CT_TOKEN_LEN - 1);
    shorter[CT_TOKEN_LEN - 1] = '\0';
    const char *bad[] = {"",
                         "abc",
                         longer,
                         shorter,
                         "################################",
                         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                         NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(ct_token_decode(bad[i], &s, &h), -1);

    /* A cursor of 0 (or negative) is never issued and never accepted, even well formed. */
    ct_token_encode(1, 0, tok);
    CHECK_EQ_INT(ct_token_decode(tok, &s, &h), 0);
    ct_token_encode(0, 0, tok);
    CHECK_EQ_INT(ct_token_decode(tok, &s, &h), -1);
    ct_token_encode(-5, 0, tok);
    CHECK_EQ_INT(ct_token_decode(tok, &s, &h), -1);
}
