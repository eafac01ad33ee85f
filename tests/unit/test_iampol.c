/*
 * Tests for auth/iampol: validation messages per policy kind, evaluation (actions, resources,
 * policy variables, every principal form against every principal type, every condition
 * operator with IfExists / ForAllValues / ForAnyValue / Null, NotX elements, ALLOW_ACCOUNT,
 * deny beating allow), wildcard edge cases and cost, and iampol_is_public on the S3 user guide's
 * examples.
 */
#include "auth/iampol.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/principal.h"
#include "unit.h"
#include "util/buf.h"

#define ACCT "111122223333"
#define OTHER "444455556666"
#define CANON "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"

/* ---- principals ------------------------------------------------------------------------------ */

static struct principal anon(void)
{
    struct principal p;
    memset(&p, 0, sizeof p);
    p.type = PRINCIPAL_ANONYMOUS;
    snprintf(p.account_id, sizeof p.account_id, "anonymous");
    return p;
}

static struct principal root(const char *acct)
{
    struct principal p;
    memset(&p, 0, sizeof p);
    p.type = PRINCIPAL_ROOT;
    snprintf(p.account_id, sizeof p.account_id, "%s", acct);
    snprintf(p.canonical_id, sizeof p.canonical_id, "%s", strcmp(acct, ACCT) == 0 ? CANON : "c2");
    snprintf(p.arn, sizeof p.arn, "arn:aws:iam::%s:root", acct);
    snprintf(p.principal_id, sizeof p.principal_id, "%s", acct);
    return p;
}

static struct principal user(const char *acct, const char *name)
{
    struct principal p = root(acct);
    p.type = PRINCIPAL_IAM_USER;
    snprintf(p.user_name, sizeof p.user_name, "%s", name);
    snprintf(p.arn, sizeof p.arn, "arn:aws:iam::%s:user/%s", acct, name);
    snprintf(p.unique_id, sizeof p.unique_id, "AIDAEXAMPLE%s", name);
    snprintf(p.principal_id, sizeof p.principal_id, "AIDAEXAMPLE%s", name);
    return p;
}

static struct principal role_session(const char *acct, const char *role, const char *session)
{
    struct principal p = root(acct);
    p.type = PRINCIPAL_ASSUMED_ROLE;
    p.session = true;
    snprintf(p.unique_id, sizeof p.unique_id, "AROAEXAMPLE");
    snprintf(p.arn, sizeof p.arn, "arn:aws:sts::%s:assumed-role/%s/%s", acct, role, session);
    snprintf(p.principal_id, sizeof p.principal_id, "AROAEXAMPLE:%s", session);
    snprintf(p.session_name, sizeof p.session_name, "%s", session);
    snprintf(p.issuer_type, sizeof p.issuer_type, "Role");
    snprintf(p.issuer_arn, sizeof p.issuer_arn, "arn:aws:iam::%s:role/%s", acct, role);
    snprintf(p.issuer_name, sizeof p.issuer_name, "%s", role);
    return p;
}

static struct principal federated(const char *acct, const char *name)
{
    struct principal p = root(acct);
    p.type = PRINCIPAL_FEDERATED_USER;
    p.session = true;
    snprintf(p.arn, sizeof p.arn, "arn:aws:sts::%s:federated-user/%s", acct, name);
    snprintf(p.principal_id, sizeof p.principal_id, "%s:%s", acct, name);
    snprintf(p.session_name, sizeof p.session_name, "%s", name);
    return p;
}

static struct principal service(const char *name)
{
    struct principal p;
    memset(&p, 0, sizeof p);
    p.type = PRINCIPAL_AWS_SERVICE;
    snprintf(p.principal_id, sizeof p.principal_id, "%s", name);
    return p;
}

/* ---- condition keys -------------------------------------------------------------------------- */

/* "name=v1|v2;name2=v3": keys for a request. */
struct keys {
    const char *spec;
    char store[16][8][128];
    char names[16][128];
    size_t nvals[16];
    size_t n;
};

static void keys_parse(struct keys *k, const char *spec)
{
    memset(k, 0, sizeof *k);
    k->spec = spec;
    const char *p = spec;
    while (p && *p && k->n < 16) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[1024];
        snprintf(item, sizeof item, "%.*s", (int)len, p);
        char *eq = strchr(item, '=');
        if (eq) {
            *eq = '\0';
            snprintf(k->names[k->n], sizeof k->names[0], "%.127s", item);
            char *v = eq + 1, *bar;
            do {
                bar = strchr(v, '|');
                if (bar)
                    *bar = '\0';
                snprintf(k->store[k->n][k->nvals[k->n]++], 128, "%.127s", v);
                v = bar ? bar + 1 : NULL;
            } while (v && k->nvals[k->n] < 8);
            k->n++;
        }
        p = end ? end + 1 : NULL;
    }
}

static size_t key_fn(void *arg, const char *name, const char **vals, size_t max)
{
    struct keys *k = arg;
    for (size_t i = 0; i < k->n; i++) {
        if (strcasecmp(k->names[i], name) != 0)
            continue;
        for (size_t j = 0; j < k->nvals[i] && j < max; j++)
            vals[j] = k->store[i][j];
        return k->nvals[i];
    }
    return 0;
}

/* ---- helpers --------------------------------------------------------------------------------- */

static int eval_k(const char *doc, enum iampol_kind kind, const char *action, const char *resource,
                  const struct principal *who, const char *keyspec)
{
    static struct keys k;
    keys_parse(&k, keyspec);
    struct iampol_request q = {action, resource, who, keyspec ? key_fn : NULL, &k};
    return iampol_eval(doc, kind, &q);
}

static int eval(const char *doc, enum iampol_kind kind, const char *action, const char *resource,
                const struct principal *who)
{
    return eval_k(doc, kind, action, resource, who, NULL);
}

/* The message for doc, "" when valid. */
static char *verdict(const char *doc, enum iampol_kind kind)
{
    static char out[1024];
    struct buf why = BUF_INIT;
    int rc = iampol_validate(doc, strlen(doc), kind, &why);
    if (rc == 0)
        snprintf(out, sizeof out, "%s", "");
    else if (rc == -EINVAL)
        snprintf(out, sizeof out, "%s", why.data ? why.data : "(no message)");
    else
        snprintf(out, sizeof out, "error %d", rc);
    buf_free(&why);
    return out;
}

/* A 2012-10-17 document of one statement with the given members. */
static const char *doc1(const char *members)
{
    static char d[8192];
    snprintf(d, sizeof d, "{\"Version\":\"2012-10-17\",\"Statement\":[{%s}]}", members);
    return d;
}

/* An identity statement: Allow action on resource with a condition block (or none). */
static const char *idpol(const char *action, const char *resource, const char *condition)
{
    static char m[4096];
    snprintf(m, sizeof m,
             "\"Effect\":\"Allow\",\"Action\":\"%s\",\"Resource\":\"%s\"%s%s", action, resource,
             condition ? ",\"Condition\":" : "", condition ? condition : "");
    return doc1(m);
}

/* A condition-only check: the identity statement allowing s3:GetObject on * under condition c,
 * against keys spec. */
static int cond(const char *c, const char *keyspec)
{
    struct principal u = user(ACCT, "alice");
    return eval_k(idpol("s3:GetObject", "*", c), IAMPOL_IDENTITY, "s3:GetObject",
                  "arn:aws:s3:::b/k", &u, keyspec);
}

#define A IAMPOL_ALLOW
#define N IAMPOL_NONE
#define D IAMPOL_DENY
#define AA IAMPOL_ALLOW_ACCOUNT

/* ---- validation ------------------------------------------------------------------------------ */

TEST(iampol_validate_accepts)
{
    CHECK_EQ_STR(verdict(idpol("s3:GetObject", "arn:aws:s3:::b/*", NULL), IAMPOL_IDENTITY), "");
    CHECK_EQ_STR(verdict("{\"Statement\":{\"Effect\":\"Deny\",\"NotAction\":[\"iam:*\"],"
                         "\"NotResource\":\"arn:aws:iam::" ACCT ":user/x\"}}",
                         IAMPOL_IDENTITY),
                 "");
    CHECK_EQ_STR(verdict(doc1("\"Sid\":\"Trust1\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                              "\"arn:aws:iam::" ACCT ":root\"},\"Action\":\"sts:AssumeRole\""),
                         IAMPOL_TRUST),
                 "");
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                              "\"ec2.amazonaws.com\"},\"Action\":[\"sts:AssumeRole\","
                              "\"sts:TagSession\"]"),
                         IAMPOL_TRUST),
                 "");
    CHECK_EQ_STR(verdict(doc1("\"Sid\":\"Public read\",\"Effect\":\"Allow\",\"Principal\":\"*\","
                              "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\","
                              "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":true},"
                              "\"NumericLessThan\":{\"s3:max-keys\":10},"
                              "\"DateGreaterThan\":{\"aws:CurrentTime\":\"2020-01-01T00:00:00Z\"}}"),
                         IAMPOL_RESOURCE),
                 "");
}

TEST(iampol_validate_syntax)
{
    CHECK_EQ_STR(verdict("", IAMPOL_IDENTITY), "Syntax errors in policy.");
    CHECK_EQ_STR(verdict("not json", IAMPOL_IDENTITY), "Syntax errors in policy.");
    CHECK_EQ_STR(verdict("[]", IAMPOL_IDENTITY), "Syntax errors in policy.");
    CHECK_EQ_STR(verdict("{}", IAMPOL_IDENTITY), "Syntax errors in policy.");
    CHECK_EQ_STR(verdict("{\"Version\":\"2012-10-17\",\"Statement\":[]}", IAMPOL_IDENTITY),
                 "Syntax errors in policy.");
    CHECK_EQ_STR(verdict("{\"Version\":\"2012-10-17\",\"Extra\":1,\"Statement\":{\"Effect\":"
                         "\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}",
                         IAMPOL_IDENTITY),
                 "Syntax errors in policy.");
    /* A member IAM does not know, duplicate keys, a NUL byte. */
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\","
                              "\"condition\":{}"),
                         IAMPOL_IDENTITY),
                 "Syntax errors in policy.");
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Effect\":\"Deny\",\"Action\":\"s3:*\","
                              "\"Resource\":\"*\""),
                         IAMPOL_IDENTITY),
                 "Syntax errors in policy.");
    struct buf why = BUF_INIT;
    CHECK_EQ_INT(iampol_validate("{}\0", 3, IAMPOL_IDENTITY, &why), -EINVAL);
    buf_free(&why);
    /* Wrong JSON types. */
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Action\":5,\"Resource\":\"*\""),
                         IAMPOL_IDENTITY),
                 "Syntax errors in policy.");
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":[\"*\",1]"),
                         IAMPOL_IDENTITY),
                 "Syntax errors in policy.");
}

TEST(iampol_validate_version)
{
    CHECK_EQ_STR(verdict("{\"Version\":\"2012-10-18\",\"Statement\":{\"Effect\":\"Allow\","
                         "\"Action\":\"s3:*\",\"Resource\":\"*\"}}",
                         IAMPOL_IDENTITY),
                 "Syntax errors in policy.");
    CHECK_EQ_STR(verdict("{\"Version\":\"2008-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                         "\"Action\":\"s3:*\",\"Resource\":\"*\"}}",
                         IAMPOL_IDENTITY),
                 "");
}

TEST(iampol_validate_effect)
{
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Permit\",\"Action\":\"s3:*\",\"Resource\":\"*\""),
                         IAMPOL_IDENTITY),
                 "Syntax errors in policy.");
    CHECK_EQ_STR(verdict(doc1("\"Action\":\"s3:*\",\"Resource\":\"*\""), IAMPOL_IDENTITY),
                 "Syntax errors in policy.");
    /* IAM's legacy parser wants the exact case. */
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"allow\",\"Action\":\"s3:*\",\"Resource\":\"*\""),
                         IAMPOL_IDENTITY),
                 "The policy failed legacy parsing");
}

TEST(iampol_validate_actions)
{
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Resource\":\"*\""), IAMPOL_IDENTITY),
                 "Policy statement must contain actions.");
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Action\":[],\"Resource\":\"*\""),
                         IAMPOL_IDENTITY),
                 "Policy statement must contain actions.");
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"NotAction\":\"s3:x\","
                              "\"Resource\":\"*\""),
                         IAMPOL_IDENTITY),
                 "Syntax errors in policy.");
    CHECK_EQ_STR(verdict(idpol("GetObject", "*", NULL), IAMPOL_IDENTITY),
                 "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
    CHECK_EQ_STR(verdict(idpol("s3:Get:Object", "*", NULL), IAMPOL_IDENTITY),
                 "Actions/Condition can contain only one colon.");
    CHECK_EQ_STR(verdict(idpol("*:Untag*", "*", NULL), IAMPOL_IDENTITY),
                 "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards");
    CHECK_EQ_STR(verdict(idpol("s_3:GetObject", "*", NULL), IAMPOL_IDENTITY),
                 "Vendor s_3 is not valid");
    CHECK_EQ_STR(verdict(idpol("*", "*", NULL), IAMPOL_IDENTITY), "");
}

TEST(iampol_validate_resources)
{
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Action\":\"s3:*\""), IAMPOL_IDENTITY),
                 "Policy statement must contain resources.");
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\""),
                         IAMPOL_RESOURCE),
                 "Policy statement must contain resources.");
    CHECK_EQ_STR(verdict(idpol("s3:*", "mybucket", NULL), IAMPOL_IDENTITY),
                 "Resource mybucket must be in ARN format or \"*\".");
    CHECK_EQ_STR(verdict(idpol("s3:*", "arn:aws:s3:us-east-1::b", NULL), IAMPOL_IDENTITY),
                 "Resource arn:aws:s3:us-east-1::b can not contain region information.");
    CHECK_EQ_STR(verdict(idpol("iam:*", "arn:aws:iam::" ACCT ":bogus/x", NULL), IAMPOL_IDENTITY),
                 "IAM resource path must either be \"*\" or start with user/, federated-user/, "
                 "role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, "
                 "saml-provider/, oidc-provider/, report/, access-report/.");
    CHECK_EQ_STR(verdict(idpol("s3:*", "arn:aws:s3::b", NULL), IAMPOL_IDENTITY),
                 "The policy failed legacy parsing");
    CHECK_EQ_STR(verdict(idpol("s3:*", "arn:aws*:s3:::b", NULL), IAMPOL_IDENTITY),
                 "Partition \"aws*\" is not valid for resource \"arn:aws*:s3:::b\".");
    CHECK_EQ_STR(verdict(idpol("s3:*", "arn:foo", NULL), IAMPOL_IDENTITY),
                 "Partition \"foo\" is not valid for resource \"arn:foo:*:*:*:*\".");
}

TEST(iampol_validate_principal_by_kind)
{
    const char *with_principal =
        doc1("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"");
    CHECK_EQ_STR(verdict(with_principal, IAMPOL_IDENTITY),
                 "Policy document should not specify a principal.");
    CHECK_EQ_STR(verdict(with_principal, IAMPOL_RESOURCE), "");
    CHECK_EQ_STR(verdict(with_principal, IAMPOL_TRUST), "Has prohibited field Resource");
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
                              "\"sts:AssumeRole\",\"NotResource\":\"*\""),
                         IAMPOL_TRUST),
                 "Has prohibited field NotResource");
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\""), IAMPOL_TRUST),
                 "Missing required field Principal");
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\""),
                         IAMPOL_RESOURCE),
                 "Missing required field Principal");
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\""),
                         IAMPOL_TRUST),
                 "AssumeRole policy may only specify STS AssumeRole actions.");
}

TEST(iampol_validate_invalid_principals)
{
    char m[512];
    static const char *const bad[] = {
        "{\"AWS\":\"bob\"}", "{\"AWS\":\"arn:aws:iam::" ACCT ":user/*\"}",
        "{\"AWS\":\"arn:aws:iam::12345:root\"}", "{\"AWS\":\"arn:aws:iam::" ACCT ":group/g\"}",
        "{\"Service\":\"*\"}", "{\"Unknown\":\"x\"}", "{\"AWS\":[]}",
    };
    static const char *const msgs[] = {
        "Invalid principal in policy: \"AWS\":\"bob\"",
        "Invalid principal in policy: \"AWS\":\"arn:aws:iam::" ACCT ":user/*\"",
        "Invalid principal in policy: \"AWS\":\"arn:aws:iam::12345:root\"",
        "Invalid principal in policy: \"AWS\":\"arn:aws:iam::" ACCT ":group/g\"",
        "Invalid principal in policy: \"Service\":\"*\"",
        "Invalid principal in policy: \"Unknown\":\"x\"",
        "Invalid principal in policy: \"AWS\":[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(m, sizeof m,
                 "\"Effect\":\"Allow\",\"Principal\":%s,\"Action\":\"s3:*\",\"Resource\":\"*\"",
                 bad[i]);
        CHECK_EQ_STR(verdict(doc1(m), IAMPOL_RESOURCE), msgs[i]);
    }
    /* A principal given as a string other than "*". */
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Principal\":\"" ACCT "\",\"Action\":"
                              "\"s3:*\",\"Resource\":\"*\""),
                         IAMPOL_RESOURCE),
                 "Syntax errors in policy.");
    /* Every good form. */
    CHECK_EQ_STR(verdict(doc1("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"*\",\"" ACCT "\","
                              "\"arn:aws:iam::" ACCT ":root\",\"arn:aws:iam::" ACCT ":user/p/u\","
                              "\"arn:aws:iam::" ACCT ":role/r\",\"arn:aws:sts::" ACCT
                              ":assumed-role/r/s\",\"arn:aws:sts::" ACCT ":federated-user/f\"],"
                              "\"Service\":\"cloudtrail.amazonaws.com\",\"CanonicalUser\":\"" CANON
                              "\"},\"Action\":\"s3:*\",\"Resource\":\"*\""),
                         IAMPOL_RESOURCE),
                 "");
}

TEST(iampol_validate_conditions)
{
    CHECK_EQ_STR(verdict(idpol("s3:*", "*", "{\"StringEqualz\":{\"aws:username\":\"x\"}}"),
                         IAMPOL_IDENTITY),
                 "Syntax errors in policy.");
    CHECK_EQ_STR(verdict(idpol("s3:*", "*", "{\"aws:username\":\"x\"}"), IAMPOL_IDENTITY),
                 "Syntax errors in policy.");
    CHECK_EQ_STR(verdict(idpol("s3:*", "*", "{\"StringEquals\":{\"aws:username\":{}}}"),
                         IAMPOL_IDENTITY),
                 "Syntax errors in policy.");
    CHECK_EQ_STR(verdict(idpol("s3:*", "*", "{\"StringEquals\":{\"username\":\"x\"}}"),
                         IAMPOL_IDENTITY),
                 "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
    CHECK_EQ_STR(verdict(idpol("s3:*", "*", "{\"DateLessThan\":{\"aws:CurrentTime\":\"soon\"}}"),
                         IAMPOL_IDENTITY),
                 "The policy failed legacy parsing");
    CHECK_EQ_STR(verdict(idpol("s3:*", "*", "{\"NullIfExists\":{\"aws:username\":\"true\"}}"),
                         IAMPOL_IDENTITY),
                 "Syntax errors in policy.");
    CHECK_EQ_STR(verdict(idpol("s3:*", "*",
                               "{\"ForAnyValue:StringLikeIfExists\":{\"aws:TagKeys\":[\"a*\"]}}"),
                         IAMPOL_IDENTITY),
                 "");
}

TEST(iampol_validate_sid)
{
    const char *dup = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"A\",\"Effect\":"
                      "\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"},{\"Sid\":\"A\","
                      "\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}";
    CHECK_EQ_STR(verdict(dup, IAMPOL_IDENTITY),
                 "Statement IDs (SID) in a single policy must be unique.");
    CHECK_EQ_STR(verdict(doc1("\"Sid\":\"has space\",\"Effect\":\"Allow\",\"Action\":\"s3:*\","
                              "\"Resource\":\"*\""),
                         IAMPOL_IDENTITY),
                 "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the "
                 "regular expression [0-9A-Za-z]*");
}

/* ---- actions and resources ------------------------------------------------------------------- */

TEST(iampol_action_match)
{
    struct principal u = user(ACCT, "alice");
    const char *r = "arn:aws:s3:::b/k";
    CHECK_EQ_INT(eval(idpol("s3:GetObject", "*", NULL), IAMPOL_IDENTITY, "s3:GetObject", r, &u), A);
    CHECK_EQ_INT(eval(idpol("S3:getobject", "*", NULL), IAMPOL_IDENTITY, "s3:GetObject", r, &u), A);
    CHECK_EQ_INT(eval(idpol("s3:Get*", "*", NULL), IAMPOL_IDENTITY, "s3:GetObjectAcl", r, &u), A);
    CHECK_EQ_INT(eval(idpol("s3:Get*", "*", NULL), IAMPOL_IDENTITY, "s3:PutObject", r, &u), N);
    CHECK_EQ_INT(eval(idpol("s3:?etObject", "*", NULL), IAMPOL_IDENTITY, "s3:GetObject", r, &u), A);
    CHECK_EQ_INT(eval(idpol("*", "*", NULL), IAMPOL_IDENTITY, "iam:CreateUser", r, &u), A);
    CHECK_EQ_INT(eval(idpol("s3:*", "*", NULL), IAMPOL_IDENTITY, "iam:CreateUser", r, &u), N);
    CHECK_EQ_INT(eval(idpol("s3:GetObject", "*", NULL), IAMPOL_IDENTITY, "s3:GetObjectAcl", r, &u),
                 N);
}

TEST(iampol_not_action)
{
    struct principal u = user(ACCT, "alice");
    const char *d = doc1("\"Effect\":\"Allow\",\"NotAction\":[\"iam:*\",\"s3:Delete*\"],"
                         "\"Resource\":\"*\"");
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:GetObject", "*", &u), A);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:DeleteObject", "*", &u), N);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "IAM:CreateUser", "*", &u), N);
}

TEST(iampol_resource_match)
{
    struct principal u = user(ACCT, "alice");
    const char *d = idpol("s3:*", "arn:aws:s3:::b/home/*", NULL);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/home/x/y", &u), A);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/home/", &u), A);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/Home/x", &u), N);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:ListBucket", "arn:aws:s3:::b", &u), N);
    /* "*" in the request (actions without a resource) is matched by "*" only. */
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:ListAllMyBuckets", "*", &u), N);
    CHECK_EQ_INT(eval(idpol("s3:*", "*", NULL), IAMPOL_IDENTITY, "s3:ListAllMyBuckets", "*", &u),
                 A);
    CHECK_EQ_INT(eval(idpol("s3:*", "arn:aws:s3:::b?", NULL), IAMPOL_IDENTITY, "s3:ListBucket",
                      "arn:aws:s3:::b1", &u),
                 A);
    CHECK_EQ_INT(eval(idpol("s3:*", "arn:aws:s3:::b?", NULL), IAMPOL_IDENTITY, "s3:ListBucket",
                      "arn:aws:s3:::b", &u),
                 N);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:GetObject", NULL, &u), N);
}

TEST(iampol_not_resource)
{
    struct principal u = user(ACCT, "alice");
    const char *d = doc1("\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"NotResource\":"
                         "[\"arn:aws:s3:::pub\",\"arn:aws:s3:::pub/*\"]");
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::pub/k", &u), N);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::priv/k", &u), D);
}

TEST(iampol_wildcard_edges)
{
    struct principal u = user(ACCT, "alice");
    struct {
        const char *pat, *res;
        int want;
    } cases[] = {
        {"arn:aws:s3:::a*b*c", "arn:aws:s3:::abc", A},
        {"arn:aws:s3:::a*b*c", "arn:aws:s3:::aXXbYYc", A},
        {"arn:aws:s3:::a*b*c", "arn:aws:s3:::aXXbYYcd", N},
        {"arn:aws:s3:::a*b*c", "arn:aws:s3:::acb", N},
        {"arn:aws:s3:::*", "arn:aws:s3:::", A},
        {"arn:aws:s3:::**", "arn:aws:s3:::x", A},
        {"arn:aws:s3:::?", "arn:aws:s3:::", N},
        {"arn:aws:s3:::*?", "arn:aws:s3:::x", A},
        {"arn:aws:s3:::b/*.jpg", "arn:aws:s3:::b/x.jpg.png", N},
        {"arn:aws:s3:::b/*.jpg", "arn:aws:s3:::b/x.png.jpg", A},
        {"arn:aws:s3:::*a*a*b", "arn:aws:s3:::aaab", A},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_EQ_INT(eval(idpol("s3:*", cases[i].pat, NULL), IAMPOL_IDENTITY, "s3:GetObject",
                          cases[i].res, &u),
                     cases[i].want);
}

TEST(iampol_wildcard_pathological_is_fast)
{
    struct principal u = user(ACCT, "alice");
    /* A pattern of many stars against a long key that almost matches: a backtracking matcher
     * would take exponential time; ours is bounded by pattern × text. */
    char pat[2048] = "arn:aws:s3:::b/";
    for (int i = 0; i < 150; i++)
        strcat(pat, "*a");
    strcat(pat, "*b");
    static char res[20000];
    strcpy(res, "arn:aws:s3:::b/");
    size_t n = strlen(res);
    memset(res + n, 'a', 15000);
    res[n + 15000] = '\0';
    clock_t t0 = clock();
    CHECK_EQ_INT(eval(idpol("s3:*", pat, NULL), IAMPOL_IDENTITY, "s3:GetObject", res, &u), N);
    res[n + 14999] = 'b';
    CHECK_EQ_INT(eval(idpol("s3:*", pat, NULL), IAMPOL_IDENTITY, "s3:GetObject", res, &u), A);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(secs < 2.0);
}

/* ---- policy variables ------------------------------------------------------------------------ */

TEST(iampol_variables_username_userid)
{
    struct principal u = user(ACCT, "alice");
    const char *d = idpol("s3:*", "arn:aws:s3:::b/home/${aws:username}/*", NULL);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/home/alice/x", &u), A);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/home/bob/x", &u), N);
    /* A role session has no aws:username: the resource matches nothing. */
    struct principal r = role_session(ACCT, "r", "s");
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/home//x", &r), N);
    const char *d2 = idpol("s3:*", "arn:aws:s3:::b/${aws:userid}/*", NULL);
    CHECK_EQ_INT(eval(d2, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/AROAEXAMPLE:s/k", &r),
                 A);
    CHECK_EQ_INT(eval(d2, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/AIDAEXAMPLEalice/k",
                      &u),
                 A);
    struct principal rt = root(ACCT);
    CHECK_EQ_INT(eval(d2, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/" ACCT "/k", &rt), A);
    struct principal f = federated(ACCT, "fed");
    CHECK_EQ_INT(eval(d2, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/" ACCT ":fed/k", &f), A);
    const char *d3 = idpol("s3:*", "arn:aws:s3:::b/${aws:PrincipalAccount}/*", NULL);
    CHECK_EQ_INT(eval(d3, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/" ACCT "/k", &u), A);
}

TEST(iampol_variables_escapes_and_version)
{
    struct principal u = user(ACCT, "alice");
    /* ${*} is a literal star, not a wildcard. */
    const char *d = idpol("s3:*", "arn:aws:s3:::b/${*}${?}${$}", NULL);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/*?$", &u), A);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/xy$", &u), N);
    /* Version 2008-10-17 (or none) has no variables: the text is literal. */
    const char *old = "{\"Version\":\"2008-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
                      "\"s3:*\",\"Resource\":\"arn:aws:s3:::b/${aws:username}\"}}";
    CHECK_EQ_INT(eval(old, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/alice", &u), N);
    CHECK_EQ_INT(eval(old, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/${aws:username}", &u),
                 A);
    /* A default value, and a variable from the request's keys. */
    const char *def = idpol("s3:*", "arn:aws:s3:::b/${aws:username, 'nobody'}", NULL);
    struct principal an = anon();
    CHECK_EQ_INT(eval(def, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/nobody", &an), A);
    CHECK_EQ_INT(eval_k(idpol("s3:*", "arn:aws:s3:::b/${s3:prefix}*", NULL), IAMPOL_IDENTITY,
                        "s3:ListBucket", "arn:aws:s3:::b/pre/x", &u, "s3:prefix=pre/"),
                 A);
}

TEST(iampol_variables_in_conditions)
{
    CHECK_EQ_INT(cond("{\"StringLike\":{\"s3:prefix\":\"home/${aws:username}/*\"}}",
                      "s3:prefix=home/alice/docs"),
                 A);
    CHECK_EQ_INT(cond("{\"StringLike\":{\"s3:prefix\":\"home/${aws:username}/*\"}}",
                      "s3:prefix=home/bob/docs"),
                 N);
}

/* ---- principals ------------------------------------------------------------------------------ */

/* A bucket policy allowing s3:GetObject to the principal element p. */
static int rp(const char *p, const struct principal *who)
{
    char m[1024];
    snprintf(m, sizeof m,
             "\"Effect\":\"Allow\",\"Principal\":%s,\"Action\":\"s3:GetObject\","
             "\"Resource\":\"arn:aws:s3:::b/*\"",
             p);
    return eval(doc1(m), IAMPOL_RESOURCE, "s3:GetObject", "arn:aws:s3:::b/k", who);
}

TEST(iampol_principal_everyone)
{
    struct principal an = anon(), u = user(OTHER, "x"), s = service("cloudtrail.amazonaws.com"),
                     r = role_session(ACCT, "r", "s");
    CHECK_EQ_INT(rp("\"*\"", &an), A);
    CHECK_EQ_INT(rp("{\"AWS\":\"*\"}", &an), A);
    CHECK_EQ_INT(rp("{\"AWS\":[\"*\"]}", &u), A);
    CHECK_EQ_INT(rp("\"*\"", &s), A);
    CHECK_EQ_INT(rp("\"*\"", &r), A);
    CHECK_EQ_INT(rp("\"*\"", NULL), A);
}

TEST(iampol_principal_account_forms)
{
    struct principal rt = root(ACCT), u = user(ACCT, "alice"), r = role_session(ACCT, "r", "s"),
                     f = federated(ACCT, "fed"), o = user(OTHER, "x"), an = anon(),
                     s = service("cloudtrail.amazonaws.com");
    const char *forms[] = {"{\"AWS\":\"" ACCT "\"}", "{\"AWS\":\"arn:aws:iam::" ACCT ":root\"}",
                           "{\"CanonicalUser\":\"" CANON "\"}"};
    for (size_t i = 0; i < 3; i++) {
        CHECK_EQ_INT(rp(forms[i], &rt), AA);
        CHECK_EQ_INT(rp(forms[i], &u), AA);
        CHECK_EQ_INT(rp(forms[i], &r), AA);
        CHECK_EQ_INT(rp(forms[i], &f), AA);
        CHECK_EQ_INT(rp(forms[i], &o), N);
        CHECK_EQ_INT(rp(forms[i], &an), N);
        CHECK_EQ_INT(rp(forms[i], &s), N);
    }
}

TEST(iampol_principal_user_arn)
{
    struct principal u = user(ACCT, "alice"), u2 = user(ACCT, "bob"), rt = root(ACCT),
                     r = role_session(ACCT, "alice", "s"), an = anon();
    const char *p = "{\"AWS\":\"arn:aws:iam::" ACCT ":user/alice\"}";
    CHECK_EQ_INT(rp(p, &u), A);
    u.session = true; /* GetSessionToken credentials of the same user */
    CHECK_EQ_INT(rp(p, &u), A);
    CHECK_EQ_INT(rp(p, &u2), N);
    CHECK_EQ_INT(rp(p, &rt), N);
    CHECK_EQ_INT(rp(p, &r), N);
    CHECK_EQ_INT(rp(p, &an), N);
}

TEST(iampol_principal_role_and_session_arns)
{
    struct principal r = role_session(ACCT, "app", "s1"), r2 = role_session(ACCT, "app", "s2"),
                     other = role_session(ACCT, "ops", "s1"), u = user(ACCT, "app");
    const char *role = "{\"AWS\":\"arn:aws:iam::" ACCT ":role/app\"}";
    CHECK_EQ_INT(rp(role, &r), A);
    CHECK_EQ_INT(rp(role, &r2), A);
    CHECK_EQ_INT(rp(role, &other), N);
    CHECK_EQ_INT(rp(role, &u), N);
    const char *sess = "{\"AWS\":\"arn:aws:sts::" ACCT ":assumed-role/app/s1\"}";
    CHECK_EQ_INT(rp(sess, &r), A);
    CHECK_EQ_INT(rp(sess, &r2), N);
    struct principal f = federated(ACCT, "fed"), f2 = federated(ACCT, "other");
    const char *fed = "{\"AWS\":\"arn:aws:sts::" ACCT ":federated-user/fed\"}";
    CHECK_EQ_INT(rp(fed, &f), A);
    CHECK_EQ_INT(rp(fed, &f2), N);
    CHECK_EQ_INT(rp(fed, &r), N);
}

TEST(iampol_principal_service)
{
    struct principal s = service("cloudtrail.amazonaws.com"), s2 = service("ec2.amazonaws.com"),
                     u = user(ACCT, "alice"), an = anon();
    const char *p = "{\"Service\":[\"cloudtrail.amazonaws.com\"]}";
    CHECK_EQ_INT(rp(p, &s), A);
    CHECK_EQ_INT(rp(p, &s2), N);
    CHECK_EQ_INT(rp(p, &u), N);
    CHECK_EQ_INT(rp(p, &an), N);
    /* A service principal is no account's. */
    CHECK_EQ_INT(rp("{\"AWS\":\"" ACCT "\"}", &s), N);
}

TEST(iampol_principal_self_beats_account)
{
    struct principal u = user(ACCT, "alice");
    /* Both forms in one statement, and in two statements: ALLOW wins. */
    CHECK_EQ_INT(rp("{\"AWS\":[\"" ACCT "\",\"arn:aws:iam::" ACCT ":user/alice\"]}", &u), A);
    const char *two =
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
        "\"" ACCT "\"},\"Action\":\"s3:*\",\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Principal\":"
        "\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}";
    CHECK_EQ_INT(eval(two, IAMPOL_RESOURCE, "s3:GetObject", "arn:aws:s3:::b/k", &u), A);
    CHECK_EQ_INT(eval(two, IAMPOL_RESOURCE, "s3:PutObject", "arn:aws:s3:::b/k", &u), AA);
}

TEST(iampol_not_principal)
{
    struct principal u = user(ACCT, "alice"), u2 = user(ACCT, "bob"), an = anon(),
                     o = user(OTHER, "x");
    const char *d = doc1("\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":[\"arn:aws:iam::" ACCT
                         ":user/alice\"]},\"Action\":\"s3:*\",\"Resource\":\"*\"");
    CHECK_EQ_INT(eval(d, IAMPOL_RESOURCE, "s3:GetObject", "arn:aws:s3:::b/k", &u), N);
    CHECK_EQ_INT(eval(d, IAMPOL_RESOURCE, "s3:GetObject", "arn:aws:s3:::b/k", &u2), D);
    CHECK_EQ_INT(eval(d, IAMPOL_RESOURCE, "s3:GetObject", "arn:aws:s3:::b/k", &an), D);
    /* NotPrincipal naming the account spares everyone in it. */
    const char *acct = doc1("\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"" ACCT "\"},"
                            "\"Action\":\"s3:*\",\"Resource\":\"*\"");
    CHECK_EQ_INT(eval(acct, IAMPOL_RESOURCE, "s3:GetObject", "*", &u2), N);
    CHECK_EQ_INT(eval(acct, IAMPOL_RESOURCE, "s3:GetObject", "*", &o), D);
    /* An Allow with NotPrincipal grants as ALLOW. */
    const char *allow = doc1("\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":\"" OTHER "\"},"
                             "\"Action\":\"s3:*\",\"Resource\":\"*\"");
    CHECK_EQ_INT(eval(allow, IAMPOL_RESOURCE, "s3:GetObject", "*", &an), A);
    CHECK_EQ_INT(eval(allow, IAMPOL_RESOURCE, "s3:GetObject", "*", &o), N);
}

TEST(iampol_identity_ignores_principal_and_never_account)
{
    struct principal u = user(OTHER, "x");
    CHECK_EQ_INT(eval(idpol("s3:*", "*", NULL), IAMPOL_IDENTITY, "s3:GetObject", "*", &u), A);
    CHECK_EQ_INT(eval(idpol("s3:*", "*", NULL), IAMPOL_IDENTITY, "s3:GetObject", "*", NULL), A);
}

TEST(iampol_trust_policy)
{
    const char *d = doc1("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" OTHER
                         ":root\"},\"Action\":\"sts:AssumeRole\"");
    struct principal o = user(OTHER, "x"), u = user(ACCT, "alice");
    CHECK_EQ_INT(eval(d, IAMPOL_TRUST, "sts:AssumeRole", "arn:aws:iam::" ACCT ":role/r", &o), AA);
    CHECK_EQ_INT(eval(d, IAMPOL_TRUST, "sts:AssumeRole", "arn:aws:iam::" ACCT ":role/r", &u), N);
    CHECK_EQ_INT(eval(d, IAMPOL_TRUST, "sts:TagSession", "arn:aws:iam::" ACCT ":role/r", &o), N);
    const char *svc = doc1("\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                           "\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"");
    struct principal s = service("lambda.amazonaws.com");
    CHECK_EQ_INT(eval(svc, IAMPOL_TRUST, "sts:AssumeRole", "*", &s), A);
}

/* ---- effects --------------------------------------------------------------------------------- */

TEST(iampol_deny_beats_allow)
{
    struct principal u = user(ACCT, "alice");
    const char *d = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                    "\"s3:*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":"
                    "\"s3:DeleteObject\",\"Resource\":\"arn:aws:s3:::b/*\"}]}";
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:GetObject", "arn:aws:s3:::b/k", &u), A);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:DeleteObject", "arn:aws:s3:::b/k", &u), D);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:DeleteObject", "arn:aws:s3:::c/k", &u), A);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "iam:CreateUser", "*", &u), N);
}

TEST(iampol_eval_refuses_non_policies)
{
    struct principal u = user(ACCT, "alice");
    CHECK_EQ_INT(eval("nope", IAMPOL_IDENTITY, "s3:GetObject", "*", &u), -EINVAL);
    CHECK_EQ_INT(eval("{}", IAMPOL_IDENTITY, "s3:GetObject", "*", &u), -EINVAL);
    CHECK_EQ_INT(eval("{\"Statement\":[1]}", IAMPOL_IDENTITY, "s3:GetObject", "*", &u), -EINVAL);
    CHECK_EQ_INT(eval(doc1("\"Effect\":\"Maybe\",\"Action\":\"s3:*\",\"Resource\":\"*\""),
                      IAMPOL_IDENTITY, "s3:GetObject", "*", &u),
                 -EINVAL);
    CHECK_EQ_INT(eval(idpol("s3:*", "*", "{\"Bogus\":{\"aws:x\":\"1\"}}"), IAMPOL_IDENTITY,
                      "s3:GetObject", "*", &u),
                 -EINVAL);
    CHECK_EQ_INT(eval(idpol("s3:*", "*", NULL), IAMPOL_RESOURCE, "s3:GetObject", "*", &u), -EINVAL);
}

/* ---- conditions ------------------------------------------------------------------------------ */

TEST(iampol_cond_string_equals)
{
    CHECK_EQ_INT(cond("{\"StringEquals\":{\"s3:prefix\":\"a\"}}", "s3:prefix=a"), A);
    CHECK_EQ_INT(cond("{\"StringEquals\":{\"s3:prefix\":\"a\"}}", "s3:prefix=A"), N);
    CHECK_EQ_INT(cond("{\"StringEquals\":{\"s3:prefix\":[\"x\",\"a\"]}}", "s3:prefix=a"), A);
    CHECK_EQ_INT(cond("{\"StringEquals\":{\"s3:prefix\":\"a\"}}", NULL), N);
    /* Keys are case-insensitive. */
    CHECK_EQ_INT(cond("{\"StringEquals\":{\"S3:Prefix\":\"a\"}}", "s3:prefix=a"), A);
}

TEST(iampol_cond_string_not_equals)
{
    CHECK_EQ_INT(cond("{\"StringNotEquals\":{\"s3:prefix\":[\"a\",\"b\"]}}", "s3:prefix=c"), A);
    CHECK_EQ_INT(cond("{\"StringNotEquals\":{\"s3:prefix\":[\"a\",\"b\"]}}", "s3:prefix=b"), N);
    /* A negated operator holds for an absent key. */
    CHECK_EQ_INT(cond("{\"StringNotEquals\":{\"s3:prefix\":\"a\"}}", NULL), A);
}

TEST(iampol_cond_string_ignore_case)
{
    CHECK_EQ_INT(cond("{\"StringEqualsIgnoreCase\":{\"aws:x\":\"HeLLo\"}}", "aws:x=hello"), A);
    CHECK_EQ_INT(cond("{\"StringEqualsIgnoreCase\":{\"aws:x\":\"HeLLo\"}}", "aws:x=hell"), N);
    CHECK_EQ_INT(cond("{\"StringNotEqualsIgnoreCase\":{\"aws:x\":\"HeLLo\"}}", "aws:x=HELLO"), N);
    CHECK_EQ_INT(cond("{\"StringNotEqualsIgnoreCase\":{\"aws:x\":\"HeLLo\"}}", "aws:x=bye"), A);
}

TEST(iampol_cond_string_like)
{
    CHECK_EQ_INT(cond("{\"StringLike\":{\"s3:prefix\":\"home/*\"}}", "s3:prefix=home/x"), A);
    CHECK_EQ_INT(cond("{\"StringLike\":{\"s3:prefix\":\"home/?\"}}", "s3:prefix=home/xy"), N);
    CHECK_EQ_INT(cond("{\"StringLike\":{\"s3:prefix\":\"Home/*\"}}", "s3:prefix=home/x"), N);
    CHECK_EQ_INT(cond("{\"StringNotLike\":{\"s3:prefix\":\"home/*\"}}", "s3:prefix=etc/x"), A);
    CHECK_EQ_INT(cond("{\"StringNotLike\":{\"s3:prefix\":\"home/*\"}}", "s3:prefix=home/x"), N);
}

TEST(iampol_cond_numeric)
{
    CHECK_EQ_INT(cond("{\"NumericEquals\":{\"s3:max-keys\":\"10\"}}", "s3:max-keys=10"), A);
    CHECK_EQ_INT(cond("{\"NumericEquals\":{\"s3:max-keys\":10}}", "s3:max-keys=10.0"), A);
    CHECK_EQ_INT(cond("{\"NumericNotEquals\":{\"s3:max-keys\":10}}", "s3:max-keys=11"), A);
    CHECK_EQ_INT(cond("{\"NumericLessThan\":{\"s3:max-keys\":10}}", "s3:max-keys=9"), A);
    CHECK_EQ_INT(cond("{\"NumericLessThan\":{\"s3:max-keys\":10}}", "s3:max-keys=10"), N);
    CHECK_EQ_INT(cond("{\"NumericLessThanEquals\":{\"s3:max-keys\":10}}", "s3:max-keys=10"), A);
    CHECK_EQ_INT(cond("{\"NumericGreaterThan\":{\"s3:max-keys\":\"1.5\"}}", "s3:max-keys=2"), A);
    CHECK_EQ_INT(cond("{\"NumericGreaterThanEquals\":{\"s3:max-keys\":3}}", "s3:max-keys=2"), N);
    CHECK_EQ_INT(cond("{\"NumericEquals\":{\"s3:max-keys\":10}}", "s3:max-keys=ten"), N);
}

TEST(iampol_cond_date)
{
    const char *k = "aws:CurrentTime=2024-06-01T12:00:00Z";
    CHECK_EQ_INT(cond("{\"DateLessThan\":{\"aws:CurrentTime\":\"2025-01-01T00:00:00Z\"}}", k), A);
    CHECK_EQ_INT(cond("{\"DateGreaterThan\":{\"aws:CurrentTime\":\"2025-01-01\"}}", k), N);
    CHECK_EQ_INT(cond("{\"DateEquals\":{\"aws:CurrentTime\":\"2024-06-01T14:00:00+02:00\"}}", k),
                 A);
    CHECK_EQ_INT(cond("{\"DateNotEquals\":{\"aws:CurrentTime\":\"2024-06-01T12:00:00Z\"}}", k), N);
    /* Epoch seconds: 2024-06-01T12:00:00Z is 1717243200. */
    CHECK_EQ_INT(cond("{\"DateEquals\":{\"aws:CurrentTime\":\"1717243200\"}}", k), A);
    CHECK_EQ_INT(cond("{\"DateLessThanEquals\":{\"aws:CurrentTime\":1717243200}}", k), A);
    CHECK_EQ_INT(cond("{\"DateGreaterThanEquals\":{\"aws:CurrentTime\":\"2024-06-01T12:00:01Z\"}}",
                      k),
                 N);
    CHECK_EQ_INT(cond("{\"DateLessThan\":{\"aws:EpochTime\":\"2024-06-01T12:00:01.5Z\"}}",
                      "aws:EpochTime=1717243201"),
                 A);
}

TEST(iampol_cond_bool)
{
    CHECK_EQ_INT(cond("{\"Bool\":{\"aws:SecureTransport\":\"true\"}}", "aws:SecureTransport=true"),
                 A);
    CHECK_EQ_INT(cond("{\"Bool\":{\"aws:SecureTransport\":true}}", "aws:SecureTransport=TRUE"), A);
    CHECK_EQ_INT(cond("{\"Bool\":{\"aws:SecureTransport\":\"false\"}}", "aws:SecureTransport=true"),
                 N);
    CHECK_EQ_INT(cond("{\"Bool\":{\"aws:SecureTransport\":\"false\"}}", NULL), N);
    CHECK_EQ_INT(cond("{\"BoolIfExists\":{\"aws:SecureTransport\":\"false\"}}", NULL), A);
}

TEST(iampol_cond_binary)
{
    CHECK_EQ_INT(cond("{\"BinaryEquals\":{\"aws:x\":\"QmluYXJ5\"}}", "aws:x=QmluYXJ5"), A);
    CHECK_EQ_INT(cond("{\"BinaryEquals\":{\"aws:x\":\"QmluYXJ5\"}}", "aws:x=QmluYXJz"), N);
}

TEST(iampol_cond_ip)
{
    CHECK_EQ_INT(cond("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}",
                      "aws:SourceIp=203.0.113.7"),
                 A);
    CHECK_EQ_INT(cond("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}",
                      "aws:SourceIp=203.0.114.7"),
                 N);
    CHECK_EQ_INT(cond("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.7\"}}",
                      "aws:SourceIp=203.0.113.7"),
                 A);
    CHECK_EQ_INT(cond("{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/9\"}}", "aws:SourceIp=10.128.0.1"),
                 N);
    CHECK_EQ_INT(cond("{\"IpAddress\":{\"aws:SourceIp\":\"0.0.0.0/0\"}}", "aws:SourceIp=8.8.8.8"), A);
    CHECK_EQ_INT(cond("{\"IpAddress\":{\"aws:SourceIp\":\"2001:db8::/32\"}}",
                      "aws:SourceIp=2001:db8:1::5"),
                 A);
    CHECK_EQ_INT(cond("{\"IpAddress\":{\"aws:SourceIp\":\"2001:db8::/32\"}}",
                      "aws:SourceIp=2001:db9::5"),
                 N);
    /* Families do not mix. */
    CHECK_EQ_INT(cond("{\"IpAddress\":{\"aws:SourceIp\":\"0.0.0.0/0\"}}", "aws:SourceIp=::1"), N);
    CHECK_EQ_INT(cond("{\"NotIpAddress\":{\"aws:SourceIp\":[\"192.0.2.0/24\",\"198.51.100.0/24\"]}}",
                      "aws:SourceIp=203.0.113.1"),
                 A);
    CHECK_EQ_INT(cond("{\"NotIpAddress\":{\"aws:SourceIp\":\"192.0.2.0/24\"}}",
                      "aws:SourceIp=192.0.2.9"),
                 N);
    CHECK_EQ_INT(cond("{\"IpAddress\":{\"aws:SourceIp\":\"not-an-ip\"}}", "aws:SourceIp=1.2.3.4"),
                 N);
}

TEST(iampol_cond_arn)
{
    const char *k = "aws:SourceArn=arn:aws:cloudtrail:us-east-1:" ACCT ":trail/t:x";
    CHECK_EQ_INT(cond("{\"ArnEquals\":{\"aws:SourceArn\":\"arn:aws:cloudtrail:us-east-1:" ACCT
                      ":trail/t:x\"}}",
                      k),
                 A);
    CHECK_EQ_INT(cond("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:cloudtrail:*:" ACCT ":trail/*\"}}",
                      k),
                 A);
    /* A '*' stays within its part. */
    CHECK_EQ_INT(cond("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:*:" ACCT ":trail/*\"}}", k), N);
    CHECK_EQ_INT(cond("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:cloudtrail:*:" OTHER ":*\"}}", k),
                 N);
    CHECK_EQ_INT(cond("{\"ArnNotEquals\":{\"aws:SourceArn\":\"arn:aws:cloudtrail:us-east-1:" ACCT
                      ":trail/u\"}}",
                      k),
                 A);
    CHECK_EQ_INT(cond("{\"ArnNotLike\":{\"aws:SourceArn\":\"arn:aws:cloudtrail:*:*:*\"}}", k), N);
    CHECK_EQ_INT(cond("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:*\"}}", k), N);
    CHECK_EQ_INT(cond("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:s3:::*\"}}", "aws:SourceArn=nope"),
                 N);
}

TEST(iampol_cond_null)
{
    CHECK_EQ_INT(cond("{\"Null\":{\"aws:TokenIssueTime\":\"true\"}}", NULL), A);
    CHECK_EQ_INT(cond("{\"Null\":{\"aws:TokenIssueTime\":\"true\"}}", "aws:TokenIssueTime=x"), N);
    CHECK_EQ_INT(cond("{\"Null\":{\"aws:TokenIssueTime\":false}}", "aws:TokenIssueTime=x"), A);
    CHECK_EQ_INT(cond("{\"Null\":{\"aws:TokenIssueTime\":\"false\"}}", NULL), N);
}

TEST(iampol_cond_if_exists)
{
    CHECK_EQ_INT(cond("{\"StringEqualsIfExists\":{\"s3:prefix\":\"a\"}}", NULL), A);
    CHECK_EQ_INT(cond("{\"StringEqualsIfExists\":{\"s3:prefix\":\"a\"}}", "s3:prefix=b"), N);
    CHECK_EQ_INT(cond("{\"NumericLessThanIfExists\":{\"s3:max-keys\":5}}", NULL), A);
    CHECK_EQ_INT(cond("{\"IpAddressIfExists\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}", NULL), A);
    CHECK_EQ_INT(cond("{\"ArnLikeIfExists\":{\"aws:SourceArn\":\"arn:aws:s3:::*\"}}", NULL), A);
    CHECK_EQ_INT(cond("{\"DateLessThanIfExists\":{\"aws:CurrentTime\":\"2020-01-01\"}}",
                      "aws:CurrentTime=2021-01-01"),
                 N);
}

TEST(iampol_cond_for_any_value)
{
    const char *c = "{\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":[\"env\",\"team\"]}}";
    CHECK_EQ_INT(cond(c, "aws:TagKeys=cost|team"), A);
    CHECK_EQ_INT(cond(c, "aws:TagKeys=cost|owner"), N);
    CHECK_EQ_INT(cond(c, NULL), N);
    /* Negated: some request value matches none of the policy's. */
    const char *neg = "{\"ForAnyValue:StringNotEquals\":{\"aws:TagKeys\":[\"env\",\"team\"]}}";
    CHECK_EQ_INT(cond(neg, "aws:TagKeys=env|other"), A);
    CHECK_EQ_INT(cond(neg, "aws:TagKeys=env|team"), N);
}

TEST(iampol_cond_for_all_values)
{
    const char *c = "{\"ForAllValues:StringLike\":{\"aws:TagKeys\":[\"env*\",\"team\"]}}";
    CHECK_EQ_INT(cond(c, "aws:TagKeys=env1|team"), A);
    CHECK_EQ_INT(cond(c, "aws:TagKeys=env1|cost"), N);
    /* An empty set satisfies ForAllValues. */
    CHECK_EQ_INT(cond(c, NULL), A);
    const char *neg = "{\"ForAllValues:StringNotEquals\":{\"aws:TagKeys\":[\"secret\"]}}";
    CHECK_EQ_INT(cond(neg, "aws:TagKeys=a|b"), A);
    CHECK_EQ_INT(cond(neg, "aws:TagKeys=a|secret"), N);
}

TEST(iampol_cond_multivalued_without_set_operator)
{
    /* A plain positive operator holds when any request value matches. */
    CHECK_EQ_INT(cond("{\"StringEquals\":{\"aws:TagKeys\":\"b\"}}", "aws:TagKeys=a|b"), A);
    CHECK_EQ_INT(cond("{\"StringNotEquals\":{\"aws:TagKeys\":\"b\"}}", "aws:TagKeys=a|b"), N);
}

TEST(iampol_cond_and_or)
{
    /* Keys within an operator and operators are ANDed; values are ORed. */
    const char *c = "{\"StringEquals\":{\"s3:prefix\":[\"a\",\"b\"],\"s3:delimiter\":\"/\"},"
                    "\"Bool\":{\"aws:SecureTransport\":\"true\"}}";
    CHECK_EQ_INT(cond(c, "s3:prefix=b;s3:delimiter=/;aws:SecureTransport=true"), A);
    CHECK_EQ_INT(cond(c, "s3:prefix=b;s3:delimiter=/;aws:SecureTransport=false"), N);
    CHECK_EQ_INT(cond(c, "s3:prefix=c;s3:delimiter=/;aws:SecureTransport=true"), N);
    CHECK_EQ_INT(cond(c, "s3:prefix=a;aws:SecureTransport=true"), N);
    /* An empty block tests nothing. */
    CHECK_EQ_INT(cond("{\"StringEquals\":{}}", NULL), A);
}

TEST(iampol_cond_deny_with_condition)
{
    struct principal u = user(ACCT, "alice");
    const char *d = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                    "\"s3:*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":\"s3:*\","
                    "\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":"
                    "\"false\"}}}]}";
    CHECK_EQ_INT(eval_k(d, IAMPOL_IDENTITY, "s3:GetObject", "*", &u, "aws:SecureTransport=false"),
                 D);
    CHECK_EQ_INT(eval_k(d, IAMPOL_IDENTITY, "s3:GetObject", "*", &u, "aws:SecureTransport=true"), A);
}

TEST(iampol_cond_keys_from_principal)
{
    /* aws:username / aws:PrincipalAccount / aws:PrincipalArn / aws:PrincipalType come from the
     * requester when the key function does not give them. */
    CHECK_EQ_INT(cond("{\"StringEquals\":{\"aws:username\":\"alice\"}}", NULL), A);
    CHECK_EQ_INT(cond("{\"StringEquals\":{\"aws:PrincipalAccount\":\"" ACCT "\"}}", NULL), A);
    CHECK_EQ_INT(cond("{\"ArnEquals\":{\"aws:PrincipalArn\":\"arn:aws:iam::" ACCT
                      ":user/alice\"}}",
                      NULL),
                 A);
    CHECK_EQ_INT(cond("{\"StringEquals\":{\"aws:PrincipalType\":\"User\"}}", NULL), A);
    /* The key function wins. */
    CHECK_EQ_INT(cond("{\"StringEquals\":{\"aws:username\":\"alice\"}}", "aws:username=bob"), N);
    struct principal r = role_session(ACCT, "app", "s");
    CHECK_EQ_INT(eval(idpol("s3:*", "*",
                            "{\"ArnLike\":{\"aws:PrincipalArn\":\"arn:aws:iam::*:role/app\"}}"),
                      IAMPOL_IDENTITY, "s3:GetObject", "*", &r),
                 A);
}

/* ---- is_public ------------------------------------------------------------------------------- */

static int pub(const char *members)
{
    return iampol_is_public(doc1(members));
}

TEST(iampol_is_public_everyone)
{
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"arn:aws:s3:::b/*\""),
                 1);
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"" ACCT "\",\"*\"]},"
                     "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\""),
                 1);
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":\"" ACCT "\"},"
                     "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\""),
                 1);
    /* The guide's example: a wildcard VPC is not a fixed value. */
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:PutObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"StringLike\":{\"aws:SourceVpc\":"
                     "\"vpc-*\"}}"),
                 1);
    /* A key that does not confine who, and an IfExists that lets the absent key through. */
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:Referer\":"
                     "\"https://example.com\"}}"),
                 1);
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"StringEqualsIfExists\":{"
                     "\"aws:SourceVpc\":\"vpc-91237329\"}}"),
                 1);
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":"
                     "\"0.0.0.0/0\"}}"),
                 1);
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:PrincipalArn\":"
                     "\"${aws:username}\"}}"),
                 1);
}

TEST(iampol_is_public_not)
{
    /* The guide's fix: a fixed VPC. */
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:PutObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:SourceVpc\":"
                     "\"vpc-91237329\"}}"),
                 0);
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":"
                     "[\"203.0.113.0/24\",\"2001:db8::/32\"]}}"),
                 0);
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:PrincipalOrgID\":"
                     "\"o-abc123\"}}"),
                 0);
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":"
                     "\"arn:aws:cloudtrail:us-east-1:" ACCT ":trail/t\"}}"),
                 0);
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"StringLike\":{\"aws:SourceAccount\":"
                     "\"" ACCT "\"}}"),
                 0);
    /* Named principals and Deny statements are never public. */
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT "\"},\"Action\":"
                     "\"s3:*\",\"Resource\":\"*\""),
                 0);
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                     "\"cloudtrail.amazonaws.com\"},\"Action\":\"s3:PutObject\",\"Resource\":\"*\""),
                 0);
    CHECK_EQ_INT(pub("\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":"
                     "\"*\""),
                 0);
    CHECK_EQ_INT(iampol_is_public("not json"), -EINVAL);
    CHECK_EQ_INT(iampol_is_public("{}"), 0);
}

/* ---- more edges ------------------------------------------------------------------------------ */

TEST(iampol_principal_anonymous_only_everyone)
{
    struct principal an = anon();
    CHECK_EQ_INT(rp("{\"AWS\":\"anonymous\"}", &an), N);
    CHECK_EQ_INT(rp("{\"AWS\":\"" ACCT "\"}", &an), N);
    CHECK_EQ_INT(rp("{\"AWS\":\"arn:aws:iam::" ACCT ":root\"}", &an), N);
    CHECK_EQ_INT(rp("{\"CanonicalUser\":\"\"}", &an), N);
    CHECK_EQ_INT(rp("{\"Service\":\"s3.amazonaws.com\"}", &an), N);
    CHECK_EQ_INT(rp("{\"Federated\":\"accounts.google.com\"}", &an), N);
}

TEST(iampol_principal_federated_not_its_issuer)
{
    /* A federated user is its own principal: the IAM user who called GetFederationToken does
     * not stand for it, nor does the account root's ARN as a user. */
    struct principal f = federated(ACCT, "alice");
    CHECK_EQ_INT(rp("{\"AWS\":\"arn:aws:iam::" ACCT ":user/alice\"}", &f), N);
    CHECK_EQ_INT(rp("{\"AWS\":\"arn:aws:sts::" OTHER ":federated-user/alice\"}", &f), N);
}

TEST(iampol_principal_user_with_path_and_other_account)
{
    struct principal u = user(ACCT, "alice"), o = root(OTHER);
    snprintf(u.arn, sizeof u.arn, "arn:aws:iam::" ACCT ":user/dev/alice");
    CHECK_EQ_INT(rp("{\"AWS\":\"arn:aws:iam::" ACCT ":user/dev/alice\"}", &u), A);
    CHECK_EQ_INT(rp("{\"AWS\":\"arn:aws:iam::" ACCT ":user/alice\"}", &u), N);
    /* The same user name in another account is someone else. */
    CHECK_EQ_INT(rp("{\"AWS\":\"arn:aws:iam::" OTHER ":user/dev/alice\"}", &u), N);
    CHECK_EQ_INT(rp("{\"AWS\":\"arn:aws:iam::" ACCT ":root\"}", &o), N);
    CHECK_EQ_INT(rp("{\"AWS\":\"" OTHER "\"}", &o), AA);
}

TEST(iampol_deny_by_account_form)
{
    struct principal u = user(OTHER, "x"), me = user(ACCT, "alice");
    const char *d = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
                    "\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Principal\":"
                    "{\"AWS\":\"" OTHER "\"},\"Action\":\"s3:PutObject\",\"Resource\":\"*\"}]}";
    CHECK_EQ_INT(eval(d, IAMPOL_RESOURCE, "s3:PutObject", "arn:aws:s3:::b/k", &u), D);
    CHECK_EQ_INT(eval(d, IAMPOL_RESOURCE, "s3:PutObject", "arn:aws:s3:::b/k", &me), A);
    CHECK_EQ_INT(eval(d, IAMPOL_RESOURCE, "s3:GetObject", "arn:aws:s3:::b/k", &u), A);
}

TEST(iampol_eval_statement_object_and_2008)
{
    struct principal u = user(ACCT, "alice");
    const char *d = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:List*\",\"Resource\":"
                    "\"arn:aws:s3:::b\"}}";
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:ListBucket", "arn:aws:s3:::b", &u), A);
    CHECK_EQ_INT(eval(d, IAMPOL_IDENTITY, "s3:ListBucket", "arn:aws:s3:::bb", &u), N);
}

TEST(iampol_variables_multivalued_and_anonymous)
{
    struct principal u = user(ACCT, "alice"), an = anon();
    /* A multi-valued key cannot stand in one place: the pattern matches nothing. */
    CHECK_EQ_INT(eval_k(idpol("s3:*", "arn:aws:s3:::b/${aws:TagKeys}", NULL), IAMPOL_IDENTITY,
                        "s3:GetObject", "arn:aws:s3:::b/a", &u, "aws:TagKeys=a|b"),
                 N);
    CHECK_EQ_INT(eval(idpol("s3:*", "arn:aws:s3:::b/${aws:userid}/*", NULL), IAMPOL_IDENTITY,
                      "s3:GetObject", "arn:aws:s3:::b/anonymous/k", &an),
                 A);
    /* An unterminated "${" is text. */
    CHECK_EQ_INT(eval(idpol("s3:*", "arn:aws:s3:::b/${aws:username", NULL), IAMPOL_IDENTITY,
                      "s3:GetObject", "arn:aws:s3:::b/${aws:username", &u),
                 A);
}

TEST(iampol_cond_for_any_value_if_exists)
{
    CHECK_EQ_INT(cond("{\"ForAnyValue:StringEqualsIfExists\":{\"aws:TagKeys\":\"a\"}}", NULL), A);
    CHECK_EQ_INT(cond("{\"ForAnyValue:StringEqualsIfExists\":{\"aws:TagKeys\":\"a\"}}",
                      "aws:TagKeys=b|c"),
                 N);
    CHECK_EQ_INT(cond("{\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"a\",\"b\"]}}",
                      "aws:TagKeys=b|a|a"),
                 A);
}

static size_t many_keys(void *arg, const char *name, const char **vals, size_t max)
{
    (void)arg;
    static char store[200][8];
    if (strcasecmp(name, "aws:TagKeys") != 0)
        return 0;
    for (size_t i = 0; i < 200 && i < max; i++) {
        snprintf(store[i], sizeof store[i], "k%zu", i);
        vals[i] = store[i];
    }
    return 200;
}

TEST(iampol_cond_key_function_gives_more_than_room)
{
    /* The key function reports more values than fit: the first ones are judged, nothing
     * overflows. */
    struct principal u = user(ACCT, "alice");
    struct iampol_request q = {"s3:GetObject", "*", &u, many_keys, NULL};
    CHECK_EQ_INT(iampol_eval(idpol("s3:*", "*",
                                   "{\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":\"k3\"}}"),
                             IAMPOL_IDENTITY, &q),
                 A);
    CHECK_EQ_INT(iampol_eval(idpol("s3:*", "*",
                                   "{\"ForAllValues:StringLike\":{\"aws:TagKeys\":\"k*\"}}"),
                             IAMPOL_IDENTITY, &q),
                 A);
}

TEST(iampol_cond_bad_request_values)
{
    CHECK_EQ_INT(cond("{\"DateLessThan\":{\"aws:CurrentTime\":\"2025-01-01\"}}",
                      "aws:CurrentTime=yesterday"),
                 N);
    CHECK_EQ_INT(cond("{\"DateLessThan\":{\"aws:CurrentTime\":\"2025-01-01\"}}",
                      "aws:CurrentTime=2024-13-01"),
                 N);
    CHECK_EQ_INT(cond("{\"NumericLessThan\":{\"s3:max-keys\":5}}", "s3:max-keys="), N);
    CHECK_EQ_INT(cond("{\"NumericLessThan\":{\"s3:max-keys\":5}}", "s3:max-keys=0x1"), N);
    CHECK_EQ_INT(cond("{\"NumericGreaterThan\":{\"s3:max-keys\":5}}", "s3:max-keys=inf"), N);
    CHECK_EQ_INT(cond("{\"Bool\":{\"aws:SecureTransport\":\"yes\"}}", "aws:SecureTransport=yes"),
                 N);
    CHECK_EQ_INT(cond("{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/33\"}}", "aws:SourceIp=10.0.0.1"),
                 N);
}

TEST(iampol_resource_policy_not_action_account)
{
    struct principal u = user(ACCT, "alice");
    const char *d = doc1("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT "\"},"
                         "\"NotAction\":\"s3:Delete*\",\"Resource\":\"arn:aws:s3:::b/*\"");
    CHECK_EQ_INT(eval(d, IAMPOL_RESOURCE, "s3:GetObject", "arn:aws:s3:::b/k", &u), AA);
    CHECK_EQ_INT(eval(d, IAMPOL_RESOURCE, "s3:DeleteObject", "arn:aws:s3:::b/k", &u), N);
}

TEST(iampol_is_public_cidr_bounds)
{
    static const struct {
        const char *cidr;
        int want;
    } cases[] = {{"10.0.0.0/8", 0},   {"10.0.0.0/7", 1},      {"192.0.2.1", 0},
                 {"2001:db8::/32", 0}, {"2001:db8::/31", 1}, {"::/0", 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char m[512];
        snprintf(m, sizeof m,
                 "\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                 "\"Resource\":\"*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"%s\"}}",
                 cases[i].cidr);
        CHECK_EQ_INT(pub(m), cases[i].want);
    }
    /* One wide CIDR among narrow ones makes it public. */
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":"
                     "[\"192.0.2.0/24\",\"0.0.0.0/0\"]}}"),
                 1);
    /* NotIpAddress confines nothing. */
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"NotIpAddress\":{\"aws:SourceIp\":"
                     "\"192.0.2.0/24\"}}"),
                 1);
}

TEST(iampol_is_public_operators_and_keys)
{
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:userid\":"
                     "\"AIDAEXAMPLE\"}}"),
                 0);
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"StringLike\":{\"aws:userid\":"
                     "\"AROAEXAMPLE:*\"}}"),
                 1);
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"ForAllValues:StringEquals\":{"
                     "\"aws:SourceVpce\":\"vpce-1\"}}"),
                 1);
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"StringNotEquals\":{\"aws:SourceVpce\":"
                     "\"vpce-1\"}}"),
                 1);
    CHECK_EQ_INT(pub("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                     "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"s3:x-amz-server-side-"
                     "encryption-aws-kms-key-id\":\"arn:aws:kms:us-east-1:" ACCT ":key/k\"}}"),
                 0);
    /* A pinned statement does not hide another, unpinned one. */
    CHECK_EQ_INT(iampol_is_public(
                     "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\","
                     "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:SourceAccount\":"
                     "\"" ACCT "\"}}},{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
                     "\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}"),
                 1);
}
