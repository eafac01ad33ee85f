/*
 * Tests of src/iam/qapi: which requests are Query API calls and for which service (the SigV4
 * credential scope decides), and the operation tables' columns.
 */
#include "iam/qapi.h"

#include "http/req.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* A request with the given method, path, headers (name, value pairs) and query. */
struct fake {
    struct req r;
    struct kv h[4];
    struct query_param q[2];
};

static void fake(struct fake *f, const char *method, const char *path, const char *ctype,
                 const char *auth, const char *query_name, const char *query_value)
{
    memset(f, 0, sizeof *f);
    f->r.method = method;
    f->r.raw_path = (char *)path;
    size_t n = 0;
    if (ctype)
        f->h[n++] = (struct kv){"Content-Type", ctype};
    if (auth)
        f->h[n++] = (struct kv){"Authorization", auth};
    f->r.headers = f->h;
    f->r.nheaders = n;
    if (query_name) {
        f->q[0] = (struct query_param){(char *)query_name, (char *)query_value, true};
        f->r.q = f->q;
        f->r.nq = 1;
    }
}

#define FORM "application/x-www-form-urlencoded; charset=utf-8"
#define AUTH(svc)                                                                                  \
    "AWS4-HMAC-SHA256 Credential=AKIAX/20261124/us-east-1/" svc "/aws4_request, "                  \
    "SignedHeaders=host, Signature=00"

TEST(qapi_detect_services)
{
    struct fake f;
    fake(&f, "POST", "/", FORM, AUTH("sts"), NULL, NULL);
    CHECK(qapi_detect(&f.r, false) == &qapi_pending_sts);
    fake(&f, "POST", "/", FORM, AUTH("iam"), NULL, NULL);
    CHECK(qapi_detect(&f.r, false) == &qapi_pending_iam);
    /* unsigned, or signed for another service: the IAM row (authentication then refuses) */
    fake(&f, "POST", "/", FORM, NULL, NULL, NULL);
    CHECK(qapi_detect(&f.r, false) == &qapi_pending_iam);
    fake(&f, "POST", "/", FORM, AUTH("s3"), NULL, NULL);
    CHECK(qapi_detect(&f.r, false) == &qapi_pending_iam);
    /* presigned: the scope is in X-Amz-Credential */
    fake(&f, "GET", "/", NULL, NULL, "Action", "GetCallerIdentity");
    CHECK(qapi_detect(&f.r, false) == &qapi_pending_iam);
    fake(&f, "GET", "/", NULL, NULL, "X-Amz-Credential",
         "AKIAX/20261124/eu-west-1/sts/aws4_request");
    CHECK(qapi_detect(&f.r, false) == NULL); /* a GET without Action is S3's ListBuckets */
    CHECK(qapi_is_sts(&qapi_pending_sts) && !qapi_is_sts(&qapi_pending_iam));
    CHECK_EQ_STR(qapi_service(&qapi_pending_sts), "sts");
    CHECK_EQ_STR(qapi_service(&qapi_pending_iam), "iam");
}

TEST(qapi_detect_not_query)
{
    struct fake f;
    fake(&f, "POST", "/bucket", FORM, AUTH("iam"), NULL, NULL); /* a bucket path */
    CHECK(qapi_detect(&f.r, false) == NULL);
    fake(&f, "POST", "/", FORM, AUTH("iam"), NULL, NULL); /* a virtual-hosted bucket */
    CHECK(qapi_detect(&f.r, true) == NULL);
    fake(&f, "POST", "/", "multipart/form-data; boundary=x", AUTH("iam"), NULL, NULL);
    CHECK(qapi_detect(&f.r, false) == NULL);
    fake(&f, "POST", "/", NULL, AUTH("iam"), NULL, NULL);
    CHECK(qapi_detect(&f.r, false) == NULL);
    fake(&f, "GET", "/", NULL, AUTH("iam"), NULL, NULL);
    CHECK(qapi_detect(&f.r, false) == NULL);
    fake(&f, "PUT", "/", FORM, AUTH("iam"), "Action", "ListUsers");
    CHECK(qapi_detect(&f.r, false) == NULL);
    fake(&f, "POST", "/", FORM, AUTH("iam"), NULL, NULL);
    f.h[f.r.nheaders++] = (struct kv){"X-Amz-Target", "x"}; /* a JSON API */
    CHECK(qapi_detect(&f.r, false) == NULL);
}

static void check_table(const struct s3_op *ops, size_t n, const char *svc, const char *source)
{
    for (size_t i = 0; i < n; i++) {
        const struct s3_op *op = &ops[i];
        char action[96];
        snprintf(action, sizeof action, "%s:%s", svc, op->name);
        CHECK_EQ_STR(op->iam_action, action);
        CHECK_EQ_STR(op->event_name, op->name);
        CHECK_EQ_STR(op->event_source, source);
        CHECK(op->category == CAT_MANAGEMENT && op->body == BODY_XML);
        if (i > 0)
            CHECK(strcmp(ops[i - 1].name, op->name) < 0); /* the model's order, no twins */
        if (strncmp(op->name, "List", 4) == 0 || strncmp(op->name, "Get", 3) == 0)
            CHECK(op->read_only || strcmp(svc, "sts") == 0);
        if (strncmp(op->name, "Create", 6) == 0 || strncmp(op->name, "Delete", 6) == 0)
            CHECK(!op->read_only);
    }
}

TEST(qapi_tables)
{
    CHECK_EQ_INT(iam_ops_count, 176); /* botocore 1.43's iam/2010-05-08 */
    CHECK_EQ_INT(sts_ops_count, 11);  /* and sts/2011-06-15 */
    check_table(iam_ops, iam_ops_count, "iam", QAPI_IAM_SOURCE);
    check_table(sts_ops, sts_ops_count, "sts", QAPI_STS_SOURCE);
    size_t handled = 0;
    for (size_t i = 0; i < iam_ops_count; i++)
        handled += iam_ops[i].handler != NULL;
    CHECK_EQ_INT(handled, 30);
    handled = 0;
    for (size_t i = 0; i < sts_ops_count; i++)
        handled += sts_ops[i].handler != NULL;
    CHECK_EQ_INT(handled, 4);
}

TEST(qapi_iso_time)
{
    char t[32];
    qapi_iso_time(1795514400123LL, t);
    CHECK_EQ_STR(t, "2026-11-24T10:00:00Z");
    qapi_iso_time(0, t);
    CHECK_EQ_STR(t, "1970-01-01T00:00:00Z");
}
