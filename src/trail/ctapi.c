/*
 * ctapi — the CloudTrail operation table, routing by X-Amz-Target, and the JSON helpers every
 * CloudTrail handler uses. The contract is in ctapi.h.
 *
 * Source of the rows: botocore's CloudTrail model (botocore 1.43.11, cloudtrail/2013-11-01,
 * 60 operations, every one POST /). The columns that are not the name follow from it: the IAM
 * action is cloudtrail:<Op>, the CloudTrail eventName is the operation name (the calls are
 * recorded by CloudTrail itself, eventSource cloudtrail.amazonaws.com), every call is a
 * management event, and readOnly is true exactly for Describe*, Get*, List* and LookupEvents
 * (cloudtrail.md §5.2).
 */
#include "trail/ctapi.h"
#include "trail/trails.h"

#include "http/req.h"
#include "s3/errors.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int64_t ct_retention_ms = 90LL * 24 * 3600 * 1000;

/* Every column but name, read_only and handler is the same for all rows. */
/* clang-format off */
#define CT_OP(op, ro, h)                                                                           \
    {                                                                                              \
        #op, "POST", SHAPE_SERVICE, NULL, NULL, "cloudtrail:" #op, #op, CT_EVENT_SOURCE,           \
            CAT_MANAGEMENT, ro, RES_NONE, BODY_XML, 0, h, NULL                                     \
    }
/* clang-format on */

const struct s3_op ct_ops[] = {
    /* clang-format off */
    CT_OP(AddTags, false, ct_add_tags),
    CT_OP(CancelQuery, false, NULL),
    CT_OP(CreateChannel, false, NULL),
    CT_OP(CreateDashboard, false, NULL),
    CT_OP(CreateEventDataStore, false, NULL),
    CT_OP(CreateTrail, false, ct_create_trail),
    CT_OP(DeleteChannel, false, NULL),
    CT_OP(DeleteDashboard, false, NULL),
    CT_OP(DeleteEventDataStore, false, NULL),
    CT_OP(DeleteResourcePolicy, false, NULL),
    CT_OP(DeleteTrail, false, ct_delete_trail),
    CT_OP(DeregisterOrganizationDelegatedAdmin, false, NULL),
    CT_OP(DescribeQuery, true, NULL),
    CT_OP(DescribeTrails, true, ct_describe_trails),
    CT_OP(DisableFederation, false, NULL),
    CT_OP(EnableFederation, false, NULL),
    CT_OP(GenerateQuery, false, NULL),
    CT_OP(GetChannel, true, NULL),
    CT_OP(GetDashboard, true, NULL),
    CT_OP(GetEventConfiguration, true, NULL),
    CT_OP(GetEventDataStore, true, NULL),
    CT_OP(GetEventSelectors, true, ct_get_event_selectors),
    CT_OP(GetImport, true, NULL),
    CT_OP(GetInsightSelectors, true, NULL),
    CT_OP(GetQueryResults, true, NULL),
    CT_OP(GetResourcePolicy, true, NULL),
    CT_OP(GetTrail, true, ct_get_trail),
    CT_OP(GetTrailStatus, true, ct_get_trail_status),
    CT_OP(ListChannels, true, NULL),
    CT_OP(ListDashboards, true, NULL),
    CT_OP(ListEventDataStores, true, NULL),
    CT_OP(ListImportFailures, true, NULL),
    CT_OP(ListImports, true, NULL),
    CT_OP(ListInsightsData, true, NULL),
    CT_OP(ListInsightsMetricData, true, NULL),
    CT_OP(ListPublicKeys, true, NULL),
    CT_OP(ListQueries, true, NULL),
    CT_OP(ListTags, true, ct_list_tags),
    CT_OP(ListTrails, true, ct_list_trails),
    CT_OP(LookupEvents, true, ct_lookup_events),
    CT_OP(PutEventConfiguration, false, NULL),
    CT_OP(PutEventSelectors, false, ct_put_event_selectors),
    CT_OP(PutInsightSelectors, false, NULL),
    CT_OP(PutResourcePolicy, false, NULL),
    CT_OP(RegisterOrganizationDelegatedAdmin, false, NULL),
    CT_OP(RemoveTags, false, ct_remove_tags),
    CT_OP(RestoreEventDataStore, false, NULL),
    CT_OP(SearchSampleQueries, false, NULL),
    CT_OP(StartDashboardRefresh, false, NULL),
    CT_OP(StartEventDataStoreIngestion, false, NULL),
    CT_OP(StartImport, false, NULL),
    CT_OP(StartLogging, false, ct_start_logging),
    CT_OP(StartQuery, false, NULL),
    CT_OP(StopEventDataStoreIngestion, false, NULL),
    CT_OP(StopImport, false, NULL),
    CT_OP(StopLogging, false, ct_stop_logging),
    CT_OP(UpdateChannel, false, NULL),
    CT_OP(UpdateDashboard, false, NULL),
    CT_OP(UpdateEventDataStore, false, NULL),
    CT_OP(UpdateTrail, false, ct_update_trail),
    /* clang-format on */
};
const size_t ct_ops_count = sizeof ct_ops / sizeof ct_ops[0];

const struct s3_op *ct_route(const char *x_amz_target)
{
    static const size_t plen = sizeof CT_TARGET_PREFIX - 1;
    if (!x_amz_target || strncmp(x_amz_target, CT_TARGET_PREFIX, plen) != 0)
        return NULL;
    const char *op = x_amz_target + plen;
    for (size_t i = 0; i < ct_ops_count; i++)
        if (strcmp(ct_ops[i].name, op) == 0)
            return &ct_ops[i];
    return NULL;
}

int ct_not_implemented(struct req *r)
{
    return req_api_error(r, 400, "UnsupportedOperationException",
                         "The %s operation is not implemented by this server yet",
                         r->op ? r->op->name : "requested");
}

json_t *ct_request_body(struct req *r)
{
    const struct buf *b = &r->body.mem;
    size_t n = b->len;
    const char *p = b->data;
    /* botocore sends {} for an empty input; other clients may send nothing at all. */
    while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        p++;
        n--;
    }
    if (n == 0)
        return json_object();
    json_error_t jerr;
    json_t *j = json_loadb(p, n, 0, &jerr);
    if (!j) {
        req_api_error(r, 400, "SerializationException", "The request body is not valid JSON: %s",
                      jerr.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        req_api_error(r, 400, "SerializationException", "The request body must be a JSON object");
        return NULL;
    }
    return j;
}

int ct_reply(struct req *r, json_t *out)
{
    char *s = out ? json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(out);
    if (!s)
        return req_error(r, s3err_from_errno(-ENOMEM), NULL);
    buf_reset(&r->resp_body);
    int rc = buf_puts(&r->resp_body, s);
    free(s);
    if (!rc)
        rc = req_add_header(r, "Content-Type", "application/x-amz-json-1.1");
    if (rc)
        return req_error(r, s3err_from_errno(rc), NULL);
    req_set_status(r, 200);
    return 0;
}

int ct_json_time(const json_t *v, double *secs)
{
    double d;
    if (json_is_integer(v)) {
        d = (double)json_integer_value(v);
    } else if (json_is_real(v)) {
        d = json_real_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        if (!s[0] || isspace((unsigned char)s[0]))
            return -1; /* strtod would skip it; a timestamp has none */
        d = strtod(s, &end);
        if (*end)
            return -1;
    } else {
        return -1;
    }
    if (!isfinite(d))
        return -1;
    *secs = d;
    return 0;
}
