/*
 * policy.c — bucket policies: the three handlers, the document checks, and CloudTrail's question
 * (policy.h has the contract).
 *
 * S3 answers every fault of a policy with 400 MalformedPolicy and a message naming the first
 * fault it met. The messages below are the ones S3 was seen answering; where each was seen:
 *   MSG_NOT_JSON       LocalStack's recording against S3, 2026-02-21 (tests/aws/services/s3/
 *                      test_s3_api.snapshot.json, TestS3BucketPolicy::test_bucket_policy_exc:
 *                      an empty body and a random string); Terraform users' reports
 *                      (cloud-gov/terraform-provision#574).
 *   MSG_INVALID_JSON   a body that begins with '{' but does not parse: versitygw's integration
 *                      tests (tests/integration/PutBucketPolicy.go, "{true}", "{asdfsdaf").
 *   MSG_TOO_LARGE      S3's answer in ebi-ait/hca-ebi-dev-team#372 (2021); the user guide's
 *                      "Bucket policies are limited to 20 KB in size".
 *   MSG_NO_STATEMENT   LocalStack's recording against S3 for "{}".
 *   MSG_EMPTY_STATEMENT, MSG_VERSION, MSG_EFFECT ("Invalid effect: <value>"), MSG_ACTION:
 *                      versitygw's integration tests and issues #646, #647, #650.
 *   MSG_NO_EFFECT      AWS's policy parser for a statement without Effect (recorded for
 *                      DynamoDB's resource policies, which share it).
 *   MSG_NO_PRINCIPAL   S3's answer in hashicorp/terraform#28688 and docker/docs#6361.
 *   MSG_PRINCIPAL      AWS's knowledge-center article "Invalid principal in policy".
 *   MSG_MISSING_ELEMENT  S3's answer to a statement without Resource (aws/aws-cdk#6708:
 *                      "Statement is missing required element (Service: Amazon S3; Status
 *                      Code: 400; Error Code: MalformedPolicy"), used for a missing Action too.
 *   MSG_RESOURCE       S3's answer for another bucket's resource
 *                      (aws-samples/aws-serverless-appsync-app#4) and for "*"
 *                      (noobaa/noobaa-core#10058).
 *   MSG_SYNTAX         S3's answer for an element of the wrong JSON type (a Principal given as
 *                      a string ARN; "Action": null, carina-rs/carina#3576).
 *   MSG_UNKNOWN_FIELD  S3's answer for a statement key it does not know (a lower-case
 *                      "condition": "MalformedPolicy: Unknown field condition").
 *   MSG_CONDITION_TYPE versitygw's catalogue (third-party, not seen from S3 itself).
 * Not checked (S3 does): whether an action exists ("s3:GetObjekt"), whether an action applies to
 * the statement's resources ("Action does not apply to any resource(s) in statement"), condition
 * keys ("Policy has an invalid condition key"), and whether a named principal exists.
 */
#include "s3/policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "auth/iampol.h"
#include "http/req.h"
#include "s3/errors.h"
#include "s3/handlers.h"
#include "s3/pab.h"
#include "s3/s3util.h"
#include "store/store.h"

#define ARN_S3 "arn:aws:s3:::"
#define ARN_S3_LEN (sizeof ARN_S3 - 1)
#define CLOUDTRAIL_SERVICE "cloudtrail.amazonaws.com"
#define CONFIG_NAME "policy"

#define MSG_NOT_JSON "Policies must be valid JSON and the first byte must be '{'"
#define MSG_INVALID_JSON "This policy contains invalid Json"
/* The number in MSG_TOO_LARGE is POLICY_MAX_NORMALIZED. */
#define MSG_TOO_LARGE "Normalized policy document exceeds the maximum allowed size of 20480 bytes"
#define MSG_VERSION "The policy must contain a valid version string"
#define MSG_NO_STATEMENT "Missing required field Statement"
#define MSG_EMPTY_STATEMENT "Could not parse the policy: Statement is empty!"
#define MSG_SYNTAX "Invalid policy syntax."
#define MSG_UNKNOWN_FIELD "Unknown field %s"
#define MSG_NO_EFFECT "Missing required field Effect"
#define MSG_EFFECT "Invalid effect: %s"
#define MSG_NO_PRINCIPAL "Missing required field Principal"
#define MSG_PRINCIPAL "Invalid principal in policy"
#define MSG_MISSING_ELEMENT "Statement is missing required element"
#define MSG_ACTION "Policy has invalid action"
#define MSG_RESOURCE "Policy has invalid resource"
#define MSG_CONDITION_TYPE "Invalid Condition type : %s"

/* ---- wildcards ------------------------------------------------------------------------------- */

static bool same_char(char a, char b, bool icase)
{
    return icase ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

/* IAM's wildcards: '*' matches any run (the empty one too), '?' one byte. Greedy with one
 * backtrack point, which is exact for patterns of these two wildcards and linear in practice. */
static bool glob_matchn(const char *p, size_t pn, const char *s, size_t sn, bool icase)
{
    size_t pi = 0, si = 0, star = SIZE_MAX, resume = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == '*') {
            star = pi++;
            resume = si;
        } else if (pi < pn && (p[pi] == '?' || same_char(p[pi], s[si], icase))) {
            pi++;
            si++;
        } else if (star != SIZE_MAX) {
            pi = star + 1;
            si = ++resume;
        } else {
            return false;
        }
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

static bool glob_match(const char *p, const char *s, bool icase)
{
    return glob_matchn(p, strlen(p), s, strlen(s), icase);
}

/* ArnEquals / ArnLike: "Each of the six colon-delimited components of the ARN is checked
 * separately and each can include multi-character match wildcards (*) or single-character match
 * wildcards (?)" (IAM condition operators); the sixth component is the rest, colons included. */
static bool arn_match(const char *p, const char *s)
{
    for (int part = 0; part < 5; part++) {
        const char *pc = strchr(p, ':'), *sc = strchr(s, ':');
        if (!pc || !sc || !glob_matchn(p, (size_t)(pc - p), s, (size_t)(sc - s), false))
            return false;
        p = pc + 1;
        s = sc + 1;
    }
    return glob_match(p, s, false);
}

/* How much of the set of strings that begin with `prefix` a pattern matches: none of them, some,
 * or every one. Simulates the pattern as an automaton over the prefix (a state is a position in
 * the pattern; a '*' may be skipped, or consume a character and stay); every continuation matches
 * when a live state is followed by nothing but '*'s. A union of states that together cover every
 * continuation without one of them doing so alone ("...x" and "...?*" both live) is reported as
 * some: that undercounts only patterns no one writes. */
enum reach { REACH_NONE, REACH_SOME, REACH_ALL };

static void star_closure(const char *p, size_t n, unsigned char *set)
{
    for (size_t j = 0; j < n; j++)
        if (set[j] && p[j] == '*')
            set[j + 1] = 1;
}

static int glob_reach(const char *p, const char *prefix, enum reach *out)
{
    size_t n = strlen(p);
    unsigned char *cur = calloc(n + 1, 1), *next = calloc(n + 1, 1);
    if (!cur || !next) {
        free(cur);
        free(next);
        return -ENOMEM;
    }
    cur[0] = 1;
    star_closure(p, n, cur);
    bool live = true;
    for (const char *c = prefix; *c && live; c++) {
        memset(next, 0, n + 1);
        live = false;
        for (size_t j = 0; j < n; j++) {
            if (!cur[j])
                continue;
            if (p[j] == '*') {
                next[j] = 1;
                live = true;
            } else if (p[j] == '?' || p[j] == *c) {
                next[j + 1] = 1;
                live = true;
            }
        }
        star_closure(p, n, next);
        unsigned char *t = cur;
        cur = next;
        next = t;
    }
    *out = REACH_NONE;
    if (live) {
        *out = REACH_SOME;
        for (size_t j = 0; j < n; j++)
            if (cur[j] && strspn(p + j, "*") == n - j)
                *out = REACH_ALL;
    }
    free(cur);
    free(next);
    return 0;
}

/* ---- elements that take one string or an array of strings ------------------------------------ */

static size_t strs_count(const json_t *v)
{
    return json_is_array(v) ? json_array_size(v) : 1;
}

/* The i-th string, or NULL when that member is not a string. */
static const char *strs_at(const json_t *v, size_t i)
{
    return json_string_value(json_is_array(v) ? json_array_get(v, i) : v);
}

static bool strs_shape(const json_t *v)
{
    if (json_is_string(v))
        return true;
    if (!json_is_array(v))
        return false;
    for (size_t i = 0; i < json_array_size(v); i++)
        if (!json_is_string(json_array_get(v, i)))
            return false;
    return true;
}

/* ---- checking a document --------------------------------------------------------------------- */

static int fail(struct buf *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct buf *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(why, fmt, ap);
    va_end(ap);
    return buf_ok(why) ? -EINVAL : -ENOMEM;
}

/* An action: "*", or the s3 prefix (any case) and a name of letters, digits and wildcards. */
static bool valid_action(const char *s)
{
    if (strcmp(s, "*") == 0)
        return true;
    if (strncasecmp(s, "s3:", 3) != 0 || !s[3])
        return false;
    for (s += 3; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '*' && *s != '?')
            return false;
    return true;
}

/* A resource: an S3 ARN whose bucket part (before the first '/') can name this policy's bucket.
 * "*" and any other service's ARN are refused, as S3 refuses them. */
static bool valid_resource(const char *s, const char *bucket)
{
    if (strncmp(s, ARN_S3, ARN_S3_LEN) != 0)
        return false;
    s += ARN_S3_LEN;
    size_t n = strcspn(s, "/");
    return n > 0 && glob_matchn(s, n, bucket, strlen(bucket), false);
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return s[n] == '\0' || s[n] == ':';
}

/* An "AWS" principal: everyone, an account ID, an IAM or STS ARN of an account, or an IAM unique
 * ID (AIDA..., AROA...), which S3 accepts and rewrites. Existence is not checked: S3 refuses a
 * principal that does not exist, this server has no IAM users or roles to look up. */
static bool valid_aws_principal(const char *s)
{
    if (strcmp(s, "*") == 0 || (strlen(s) == 12 && all_digits(s, 12)))
        return true;
    if (strncmp(s, "arn:aws:iam::", 13) == 0 || strncmp(s, "arn:aws:sts::", 13) == 0) {
        s += 13;
        return all_digits(s, 12) && s[12] == ':' && s[13];
    }
    size_t n = strlen(s);
    if (n < 16 || n > 128 || s[0] != 'A')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool valid_principal(const json_t *v)
{
    if (json_is_string(v))
        return strcmp(json_string_value(v), "*") == 0;
    if (!json_is_object(v) || json_object_size(v) == 0)
        return false;
    const char *kind;
    json_t *ids;
    json_object_foreach((json_t *)v, kind, ids)
    {
        bool aws = strcmp(kind, "AWS") == 0;
        if (!aws && strcmp(kind, "Service") != 0 && strcmp(kind, "CanonicalUser") != 0 &&
            strcmp(kind, "Federated") != 0)
            return false;
        if (!strs_shape(ids) || strs_count(ids) == 0)
            return false;
        for (size_t i = 0; i < strs_count(ids); i++) {
            const char *id = strs_at(ids, i);
            if (!id[0] || (aws && !valid_aws_principal(id)))
                return false;
        }
    }
    return true;
}

/* Condition operators of the IAM policy language, with their ForAnyValue: / ForAllValues:
 * prefixes and IfExists suffix (Null takes no suffix). Names are case-sensitive. */
static const char *const operators[] = {
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
};

struct op_name {
    const char *base; /* points into the name */
    size_t base_len;
    bool for_all, for_any, if_exists;
};

static void split_operator(const char *name, struct op_name *o)
{
    memset(o, 0, sizeof *o);
    if (strncmp(name, "ForAnyValue:", 12) == 0) {
        o->for_any = true;
        name += 12;
    } else if (strncmp(name, "ForAllValues:", 13) == 0) {
        o->for_all = true;
        name += 13;
    }
    o->base = name;
    o->base_len = strlen(name);
    if (o->base_len > 8 && strcmp(name + o->base_len - 8, "IfExists") == 0) {
        o->if_exists = true;
        o->base_len -= 8;
    }
}

static bool base_is(const struct op_name *o, const char *name)
{
    return strlen(name) == o->base_len && strncmp(o->base, name, o->base_len) == 0;
}

static bool valid_operator(const char *name)
{
    struct op_name o;
    split_operator(name, &o);
    for (size_t i = 0; i < sizeof operators / sizeof operators[0]; i++)
        if (base_is(&o, operators[i]))
            return !(o.if_exists && base_is(&o, "Null"));
    return false;
}

static bool condition_value(const json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

static int check_condition(const json_t *cond, struct buf *why)
{
    if (!json_is_object(cond))
        return fail(why, "%s", MSG_SYNTAX);
    const char *op, *key;
    json_t *keys, *vals;
    json_object_foreach((json_t *)cond, op, keys)
    {
        if (!valid_operator(op))
            return fail(why, MSG_CONDITION_TYPE, op);
        if (!json_is_object(keys))
            return fail(why, "%s", MSG_SYNTAX);
        json_object_foreach(keys, key, vals)
        {
            bool ok = key[0] && (condition_value(vals) || json_is_array(vals));
            for (size_t i = 0; ok && json_is_array(vals) && i < json_array_size(vals); i++)
                ok = condition_value(json_array_get(vals, i));
            if (!ok)
                return fail(why, "%s", MSG_SYNTAX);
        }
    }
    return 0;
}

/* Action or Resource: one string or an array of them (an empty one is an invalid value, as S3
 * answers for "Action": []); another JSON type is a syntax error. */
static int check_list(const json_t *v, const char *bucket, bool resources, struct buf *why)
{
    const char *invalid = resources ? MSG_RESOURCE : MSG_ACTION;
    if (!strs_shape(v))
        return fail(why, "%s", MSG_SYNTAX);
    if (strs_count(v) == 0)
        return fail(why, "%s", invalid);
    for (size_t i = 0; i < strs_count(v); i++) {
        const char *s = strs_at(v, i);
        if (resources ? !valid_resource(s, bucket) : !valid_action(s))
            return fail(why, "%s", invalid);
    }
    return 0;
}

/* The statement's elements, each pair of an element and its Not form exclusive ("you cannot use
 * both Action and NotAction in the same policy statement", IAM's element reference). */
struct statement {
    json_t *effect, *principal, *action, *resource, *condition;
    int pairs; /* an element given twice (Action and NotAction) */
};

static int check_statement(const json_t *st, const char *bucket, struct buf *why)
{
    if (!json_is_object(st))
        return fail(why, "%s", MSG_SYNTAX);
    struct statement s = {0};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)st, key, v)
    {
        json_t **slot = NULL;
        if (strcmp(key, "Sid") == 0) {
            if (!json_is_string(v))
                return fail(why, "%s", MSG_SYNTAX);
            continue;
        }
        if (strcmp(key, "Effect") == 0)
            slot = &s.effect;
        else if (strcmp(key, "Principal") == 0 || strcmp(key, "NotPrincipal") == 0)
            slot = &s.principal;
        else if (strcmp(key, "Action") == 0 || strcmp(key, "NotAction") == 0)
            slot = &s.action;
        else if (strcmp(key, "Resource") == 0 || strcmp(key, "NotResource") == 0)
            slot = &s.resource;
        else if (strcmp(key, "Condition") == 0)
            slot = &s.condition;
        else
            return fail(why, MSG_UNKNOWN_FIELD, key);
        s.pairs += *slot != NULL;
        *slot = v;
    }
    if (s.pairs)
        return fail(why, "%s", MSG_SYNTAX);
    if (!s.effect)
        return fail(why, "%s", MSG_NO_EFFECT);
    if (!json_is_string(s.effect))
        return fail(why, "%s", MSG_SYNTAX);
    const char *effect = json_string_value(s.effect);
    if (strcmp(effect, "Allow") != 0 && strcmp(effect, "Deny") != 0)
        return fail(why, MSG_EFFECT, effect);
    if (!s.principal)
        return fail(why, "%s", MSG_NO_PRINCIPAL);
    if (!valid_principal(s.principal))
        return fail(why, "%s", MSG_PRINCIPAL);
    if (!s.action || !s.resource)
        return fail(why, "%s", MSG_MISSING_ELEMENT);
    int rc = check_list(s.action, bucket, false, why);
    rc = rc ? rc : check_list(s.resource, bucket, true, why);
    return rc ? rc : s.condition ? check_condition(s.condition, why) : 0;
}

static int check_document(const json_t *doc, const char *bucket, struct buf *why)
{
    const json_t *statements = NULL;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)doc, key, v)
    {
        if (strcmp(key, "Version") == 0) {
            /* Absent, the version is 2008-10-17 (IAM's Version element); present, it is one
             * of the two the language has. */
            const char *ver = json_string_value(v);
            if (!ver || (strcmp(ver, "2012-10-17") != 0 && strcmp(ver, "2008-10-17") != 0))
                return fail(why, "%s", MSG_VERSION);
        } else if (strcmp(key, "Id") == 0) {
            if (!json_is_string(v))
                return fail(why, "%s", MSG_SYNTAX);
        } else if (strcmp(key, "Statement") == 0) {
            statements = v;
        } else {
            return fail(why, MSG_UNKNOWN_FIELD, key);
        }
    }
    if (!statements)
        return fail(why, "%s", MSG_NO_STATEMENT);
    if (json_is_object(statements))
        return check_statement(statements, bucket, why);
    if (!json_is_array(statements))
        return fail(why, "%s", MSG_SYNTAX);
    if (json_array_size(statements) == 0)
        return fail(why, "%s", MSG_EMPTY_STATEMENT);
    for (size_t i = 0; i < json_array_size(statements); i++) {
        int rc = check_statement(json_array_get(statements, i), bucket, why);
        if (rc)
            return rc;
    }
    return 0;
}

int policy_check(const char *doc, size_t len, const char *bucket, struct buf *why)
{
    if (len == 0 || doc[0] != '{')
        return fail(why, "%s", MSG_NOT_JSON);
    /* No NUL is accepted, which is what lets the document be stored as a C string. jansson
     * refuses \u0000 and a raw NUL inside a string, but silently skips one right after a number
     * ({"a":1<NUL>} parses), so raw NULs are refused here rather than left to the parser. */
    if (memchr(doc, '\0', len))
        return fail(why, "%s", MSG_INVALID_JSON);
    /* Duplicate member names are refused: "Individual elements must not contain multiple
     * instances of the same key" (IAM's grammar), and a parser that kept the last one would
     * check a different policy from the one another reader sees. */
    json_error_t jerr;
    json_t *root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return json_error_code(&jerr) == json_error_out_of_memory
                   ? -ENOMEM
                   : fail(why, "%s", MSG_INVALID_JSON);
    char *compact = json_dumps(root, JSON_COMPACT);
    int rc;
    if (!compact)
        rc = -ENOMEM;
    else if (strlen(compact) > POLICY_MAX_NORMALIZED)
        rc = fail(why, "%s", MSG_TOO_LARGE);
    else
        rc = check_document(root, bucket, why);
    free(compact);
    json_decref(root);
    return rc;
}

/* ---- the handlers ---------------------------------------------------------------------------- */

/* The check and the write are not atomic with respect to the bucket: a DeleteBucket committing
 * between them makes the write fail with -ENOENT (the store refuses a configuration for a bucket
 * that is gone), answered NoSuchBucket as S3 would. */
static int put_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    return store_txn_bucket_config_set(t, r->bkt.id, CONFIG_NAME, r->body.mem.data);
}

static int written_then(struct req *r)
{
    if (r->commit_rc == -ENOENT)
        return s3_no_such_bucket(r, r->bucket);
    if (r->commit_rc)
        return s3err_from_errno(r->commit_rc);
    req_set_status(r, 204);
    return 0;
}

/* BlockPublicPolicy (the bucket owner's account's or the bucket's) refuses a public policy with
 * AccessDenied, after the document is found valid. */
static int check_public_policy(struct req *r, const char *doc)
{
    int pub = iampol_is_public(doc);
    if (pub < 0)
        return s3err_from_errno(pub);
    if (!pub)
        return 0;
    struct pab p;
    int rc = pab_effective(r->st, r->bkt.owner_account, r->bkt.id, &p);
    if (rc)
        return s3err_from_errno(rc);
    return p.block_public_policy ? req_error(r, S3E_AccessDenied, NULL) : 0;
}

/* x-amz-confirm-remove-self-bucket-access is accepted whatever its value and changes nothing:
 * a policy cannot lock the owner out here (policy.h). */
int h_put_bucket_policy(struct req *r)
{
    struct buf why = BUF_INIT;
    const char *doc = r->body.mem.data ? r->body.mem.data : "";
    int rc = policy_check(doc, r->body.mem.len, r->bucket, &why);
    if (rc == -EINVAL)
        rc = req_error(r, S3E_MalformedPolicy, why.data);
    else if (rc)
        rc = s3err_from_errno(rc);
    buf_free(&why);
    rc = rc ? rc : check_public_policy(r, doc);
    return rc ? rc : req_commit(r, put_apply, written_then);
}

int h_get_bucket_policy(struct req *r)
{
    char *doc = NULL;
    int rc = store_bucket_config_get(r->st, r->bkt.id, CONFIG_NAME, &doc);
    if (rc == -ENOENT)
        return s3_error_naming(r, S3E_NoSuchBucketPolicy, "BucketName", r->bucket);
    if (rc)
        return s3err_from_errno(rc);
    rc = req_add_header(r, "Content-Type", "application/json");
    if (!rc)
        rc = buf_puts(&r->resp_body, doc);
    free(doc);
    return rc ? -S3E_ServiceUnavailable : 0;
}

/* <PolicyStatus><IsPublic>: whether the stored policy is public (iampol_is_public); the ACLs
 * and the public access blocks do not enter into it, as in S3. */
int h_get_bucket_policy_status(struct req *r)
{
    char *doc = NULL;
    int rc = store_bucket_config_get(r->st, r->bkt.id, CONFIG_NAME, &doc);
    if (rc == -ENOENT)
        return s3_error_naming(r, S3E_NoSuchBucketPolicy, "BucketName", r->bucket);
    if (rc)
        return s3err_from_errno(rc);
    int pub = iampol_is_public(doc);
    free(doc);
    if (pub < 0)
        return s3err_from_errno(pub);
    struct buf *b = &r->resp_body;
    rc = req_xml_begin(r);
    buf_puts(b, "<PolicyStatus xmlns=\"" S3_XMLNS "\">");
    buf_put_xml_elem(b, "IsPublic", pub ? "true" : "false");
    buf_puts(b, "</PolicyStatus>");
    return !rc && buf_ok(b) ? 0 : -S3E_ServiceUnavailable;
}

/* Deleting the configuration of a bucket that has none is not an error (store.h), and S3
 * answers 204 then too. */
static int delete_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    return store_txn_bucket_config_set(t, r->bkt.id, CONFIG_NAME, NULL);
}

int h_delete_bucket_policy(struct req *r)
{
    return req_commit(r, delete_apply, written_then);
}

/* ---- CloudTrail's question ------------------------------------------------------------------- */

struct delivery {
    const char *bucket_arn; /* arn:aws:s3:::bucket */
    const char *area;       /* arn:aws:s3:::bucket/[prefix/]AWSLogs/account/ */
    const char *account_id;
    const char *trail_arn; /* NULL when unknown */
};

/* The value a delivery carries for a condition key (key names compare without case), NULL for
 * one it does not carry. */
static const char *delivery_key(const struct delivery *d, const char *key)
{
    if (strcasecmp(key, "s3:x-amz-acl") == 0)
        return "bucket-owner-full-control";
    if (strcasecmp(key, "aws:SourceArn") == 0)
        return d->trail_arn;
    if (strcasecmp(key, "aws:SourceAccount") == 0)
        return d->account_id;
    if (strcasecmp(key, "aws:SecureTransport") == 0)
        return "true";
    return NULL;
}

/* A condition value as text: strings as they are, booleans as true/false, numbers in decimal. */
static const char *value_text(const json_t *v, char tmp[40])
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    if (json_is_integer(v)) {
        snprintf(tmp, 40, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return tmp;
    }
    if (json_is_real(v)) {
        snprintf(tmp, 40, "%.17g", json_real_value(v));
        return tmp;
    }
    return NULL;
}

enum cmp { CMP_NONE, CMP_EQ, CMP_EQ_ICASE, CMP_LIKE, CMP_ARN, CMP_BOOL };

static bool compare(enum cmp c, const char *want, const char *have)
{
    switch (c) {
    case CMP_EQ:
        return strcmp(want, have) == 0;
    case CMP_EQ_ICASE:
    case CMP_BOOL:
        return strcasecmp(want, have) == 0;
    case CMP_LIKE:
        return glob_match(want, have, false);
    case CMP_ARN:
        return arn_match(want, have);
    case CMP_NONE:
        break;
    }
    return false;
}

/* Whether one condition (operator, key, values) holds for a delivery, by IAM's rules: a key the
 * request lacks makes a positive operator false and a negated one true; ...IfExists holds then,
 * and so does ForAllValues ("true if there are no context keys in the request"); Null asks
 * whether the key is absent. An operator evaluated against a key the delivery carries but that
 * this function cannot compare (numbers, dates, addresses) is taken to hold. */
static bool condition_holds(const char *opname, const char *key, const json_t *vals,
                            const struct delivery *d)
{
    static const struct {
        const char *name;
        enum cmp cmp;
        bool negated;
    } ops[] = {
        {"StringEquals", CMP_EQ, false},
        {"StringNotEquals", CMP_EQ, true},
        {"StringEqualsIgnoreCase", CMP_EQ_ICASE, false},
        {"StringNotEqualsIgnoreCase", CMP_EQ_ICASE, true},
        {"StringLike", CMP_LIKE, false},
        {"StringNotLike", CMP_LIKE, true},
        {"ArnEquals", CMP_ARN, false},
        {"ArnLike", CMP_ARN, false},
        {"ArnNotEquals", CMP_ARN, true},
        {"ArnNotLike", CMP_ARN, true},
        {"Bool", CMP_BOOL, false},
    };
    struct op_name o;
    split_operator(opname, &o);
    enum cmp cmp = CMP_NONE;
    /* Operators outside the table: negated when their name says so (NumericNotEquals,
     * DateNotEquals, NotIpAddress). */
    bool negated = memmem(o.base, o.base_len, "Not", 3) != NULL;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (base_is(&o, ops[i].name)) {
            cmp = ops[i].cmp;
            negated = ops[i].negated;
        }
    const char *have = delivery_key(d, key);
    size_t n = json_is_array(vals) ? json_array_size(vals) : 1;
    char tmp[40];
    if (base_is(&o, "Null")) {
        for (size_t i = 0; i < n; i++) {
            const char *want =
                value_text(json_is_array(vals) ? json_array_get(vals, i) : vals, tmp);
            if (want && strcasecmp(want, have ? "false" : "true") == 0)
                return true;
        }
        return false;
    }
    if (!have)
        return o.if_exists || o.for_all || negated;
    if (cmp == CMP_NONE)
        return true;
    bool any = false;
    for (size_t i = 0; i < n && !any; i++) {
        const char *want = value_text(json_is_array(vals) ? json_array_get(vals, i) : vals, tmp);
        any = want && compare(cmp, want, have);
    }
    return negated ? !any : any;
}

/* Whether a statement's conditions all hold for a delivery. strict (an Allow): only the
 * conditions a delivery is known to satisfy may appear, anything else makes the statement not
 * count. Not strict (a Deny): every condition is evaluated; one that is not even well formed is
 * taken to hold. */
static bool conditions_hold(const json_t *cond, const struct delivery *d, bool strict)
{
    if (!cond)
        return true;
    if (!json_is_object(cond))
        return !strict;
    const char *op, *key;
    json_t *keys, *vals;
    json_object_foreach((json_t *)cond, op, keys)
    {
        if (strict && strcmp(op, "StringEquals") != 0 && strcmp(op, "StringLike") != 0 &&
            strcmp(op, "ArnEquals") != 0 && strcmp(op, "ArnLike") != 0)
            return false;
        if (!json_is_object(keys))
            return !strict;
        json_object_foreach(keys, key, vals)
        {
            if (strict && strcasecmp(key, "s3:x-amz-acl") != 0 &&
                strcasecmp(key, "aws:SourceArn") != 0 && strcasecmp(key, "aws:SourceAccount") != 0)
                return false;
            if (!condition_holds(op, key, vals, d))
                return false;
        }
    }
    return true;
}

/* Whether a principal value names CloudTrail: everyone ("*", {"AWS": "*"}) or its service. */
static bool names_cloudtrail(const json_t *p)
{
    if (json_is_string(p))
        return strcmp(json_string_value(p), "*") == 0;
    const json_t *aws = json_object_get(p, "AWS"), *svc = json_object_get(p, "Service");
    for (size_t i = 0; aws && strs_shape(aws) && i < strs_count(aws); i++)
        if (strcmp(strs_at(aws, i), "*") == 0)
            return true;
    for (size_t i = 0; svc && strs_shape(svc) && i < strs_count(svc); i++)
        if (strcmp(strs_at(svc, i), CLOUDTRAIL_SERVICE) == 0)
            return true;
    return false;
}

static bool reaches_cloudtrail(const json_t *st, bool allow)
{
    const json_t *p = json_object_get(st, "Principal");
    if (p)
        return names_cloudtrail(p);
    const json_t *np = json_object_get(st, "NotPrincipal");
    return !allow && np && !names_cloudtrail(np);
}

static bool any_matches(const json_t *patterns, const char *s, bool icase)
{
    if (!strs_shape(patterns))
        return false;
    for (size_t i = 0; i < strs_count(patterns); i++)
        if (glob_match(strs_at(patterns, i), s, icase))
            return true;
    return false;
}

static bool action_applies(const json_t *st, const char *action)
{
    const json_t *a = json_object_get(st, "Action"), *na = json_object_get(st, "NotAction");
    if (a)
        return any_matches(a, action, true);
    return na && strs_shape(na) && !any_matches(na, action, true);
}

static bool resource_hits(const json_t *st, const char *arn)
{
    const json_t *r = json_object_get(st, "Resource"), *nr = json_object_get(st, "NotResource");
    if (r)
        return any_matches(r, arn, false);
    return nr && strs_shape(nr) && !any_matches(nr, arn, false);
}

/* How much of the log area (every key under it) the statement's resources reach. NotResource
 * reaches all of it unless one of its patterns reaches some of it. */
static int resource_reach(const json_t *st, const char *area, enum reach *out)
{
    const json_t *r = json_object_get(st, "Resource"), *nr = json_object_get(st, "NotResource");
    const json_t *list = r ? r : nr;
    *out = REACH_NONE;
    if (!list || !strs_shape(list))
        return 0;
    enum reach most = REACH_NONE;
    for (size_t i = 0; i < strs_count(list); i++) {
        enum reach one;
        int rc = glob_reach(strs_at(list, i), area, &one);
        if (rc)
            return rc;
        if (one > most)
            most = one;
    }
    *out = r ? most : most == REACH_ALL ? REACH_NONE : most == REACH_SOME ? REACH_SOME : REACH_ALL;
    return 0;
}

int policy_allows_cloudtrail(const char *policy_json, const char *bucket, const char *prefix,
                             const char *account_id, const char *trail_arn)
{
    if (!policy_json || !bucket || !account_id)
        return -EINVAL;
    json_error_t jerr;
    json_t *root = json_loads(policy_json, 0, &jerr);
    if (!root)
        return json_error_code(&jerr) == json_error_out_of_memory ? -ENOMEM : -EINVAL;
    struct buf bucket_arn = BUF_INIT, area = BUF_INIT;
    buf_printf(&bucket_arn, ARN_S3 "%s", bucket);
    buf_printf(&area, ARN_S3 "%s/%s%sAWSLogs/%s/", bucket, prefix ? prefix : "",
               prefix && prefix[0] ? "/" : "", account_id);
    int rc = buf_ok(&bucket_arn) && buf_ok(&area) ? 0 : -ENOMEM;
    struct delivery d = {bucket_arn.data, area.data, account_id,
                         trail_arn && trail_arn[0] ? trail_arn : NULL};
    const json_t *sts = json_is_object(root) ? json_object_get(root, "Statement") : NULL;
    size_t n = json_is_array(sts) ? json_array_size(sts) : json_is_object(sts) ? 1 : 0;
    bool acl = false, put = false, denied = false;
    for (size_t i = 0; !rc && i < n && !denied; i++) {
        const json_t *st = json_is_array(sts) ? json_array_get(sts, i) : sts;
        const char *effect = json_string_value(json_object_get(st, "Effect"));
        if (!effect || (strcmp(effect, "Allow") != 0 && strcmp(effect, "Deny") != 0))
            continue;
        bool allow = effect[0] == 'A';
        if (!reaches_cloudtrail(st, allow) ||
            !conditions_hold(json_object_get(st, "Condition"), &d, allow))
            continue;
        if (action_applies(st, "s3:GetBucketAcl") && resource_hits(st, d.bucket_arn)) {
            acl = acl || allow;
            denied = denied || !allow;
        }
        if (action_applies(st, "s3:PutObject")) {
            enum reach reach;
            rc = resource_reach(st, d.area, &reach);
            put = put || (allow && reach == REACH_ALL);
            denied = denied || (!allow && reach != REACH_NONE);
        }
    }
    buf_free(&bucket_arn);
    buf_free(&area);
    json_decref(root);
    return rc ? rc : acl && put && !denied;
}
