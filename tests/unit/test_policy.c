/*
 * Tests for s3/policy: the PutBucketPolicy document checks (S3's MalformedPolicy messages) and
 * policy_allows_cloudtrail() on the bucket policy CloudTrail documents (cloudtrail.md §3.4) and
 * its variations.
 */
#include "s3/policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "util/buf.h"

/* ---- policy_check ---------------------------------------------------------------------------- */

/* The message policy_check gives for doc on bucket "b", or "" when it accepts it. */
static char *verdict(const char *doc)
{
    static char out[512];
    struct buf why = BUF_INIT;
    int rc = policy_check(doc, strlen(doc), "b", &why);
    if (rc == 0)
        snprintf(out, sizeof out, "%s", "");
    else if (rc == -EINVAL)
        snprintf(out, sizeof out, "%s", why.data ? why.data : "(no message)");
    else
        snprintf(out, sizeof out, "error %d", rc);
    buf_free(&why);
    return out;
}

/* A one-statement policy with the given members (JSON text without braces). */
static char *stmt(const char *members)
{
    static char doc[4096];
    snprintf(doc, sizeof doc, "{\"Version\":\"2012-10-17\",\"Statement\":[{%s}]}", members);
    return doc;
}

#define GOOD_MEMBERS                                                                               \
    "\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","                        \
    "\"Resource\":\"arn:aws:s3:::b/*\""

TEST(policy_check_accepts)
{
    CHECK_EQ_STR(verdict(stmt(GOOD_MEMBERS)), "");
    /* The sample of the PutBucketPolicy API reference. */
    CHECK_EQ_STR(verdict("{\"Version\":\"2008-10-17\",\"Id\":\"aaaa-bbbb-cccc-dddd\","
                         "\"Statement\":[{\"Effect\":\"Allow\",\"Sid\":\"1\",\"Principal\":"
                         "{\"AWS\":[\"111122223333\",\"444455556666\"]},\"Action\":[\"s3:*\"],"
                         "\"Resource\":\"arn:aws:s3:::b/*\"}]}"),
                 "");
    /* No Version (2008-10-17 by default); Statement as a single object; white space. */
    CHECK_EQ_STR(verdict("{ \"Statement\" : {\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":"
                         "\"arn:aws:iam::111122223333:root\"},\"NotAction\":\"s3:Get*\","
                         "\"NotResource\":[\"arn:aws:s3:::b\",\"arn:aws:s3:::b/x/*\"]} }\n"),
                 "");
    /* CloudTrail's documented policy, conditions included. */
    CHECK_EQ_STR(verdict(stmt("\"Sid\":\"AWSCloudTrailWrite20150319\",\"Effect\":\"Allow\","
                              "\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},"
                              "\"Action\":\"s3:PutObject\","
                              "\"Resource\":\"arn:aws:s3:::b/AWSLogs/111122223333/*\","
                              "\"Condition\":{\"StringEquals\":{\"s3:x-amz-acl\":"
                              "\"bucket-owner-full-control\",\"aws:SourceArn\":"
                              "\"arn:aws:cloudtrail:us-east-1:111122223333:trail/t\"}}")),
                 "");
    /* Wildcards in the bucket part, "*" actions, operators with prefixes and suffixes. */
    CHECK_EQ_STR(verdict(stmt("\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"*\","
                              "\"Resource\":[\"arn:aws:s3:::?\",\"arn:aws:s3:::*/*\"],"
                              "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":false},"
                              "\"ForAnyValue:StringLikeIfExists\":{\"s3:prefix\":[\"a\",\"b\"]},"
                              "\"NumericLessThan\":{\"s3:max-keys\":10}}")),
                 "");
}

TEST(policy_check_document_faults)
{
    const char *not_json = "Policies must be valid JSON and the first byte must be '{'";
    CHECK_EQ_STR(verdict(""), not_json);
    CHECK_EQ_STR(verdict("invalid json"), not_json);
    CHECK_EQ_STR(verdict(" {\"Statement\":[]}"), not_json);
    CHECK_EQ_STR(verdict("[{}]"), not_json);
    CHECK_EQ_STR(verdict("{true}"), "This policy contains invalid Json");
    CHECK_EQ_STR(verdict("{asdfsdaf"), "This policy contains invalid Json");
    CHECK_EQ_STR(verdict("{\"Statement\":[]} trailing"), "This policy contains invalid Json");
    CHECK_EQ_STR(verdict("{\"Statement\":[],\"Statement\":[]}"),
                 "This policy contains invalid Json");
    CHECK_EQ_STR(verdict("{}"), "Missing required field Statement");
    CHECK_EQ_STR(verdict("{\"Version\":\"2012-10-17\"}"), "Missing required field Statement");
    CHECK_EQ_STR(verdict("{\"Statement\":[]}"), "Could not parse the policy: Statement is empty!");
    CHECK_EQ_STR(verdict("{\"Statement\":\"x\"}"), "Invalid policy syntax.");
    CHECK_EQ_STR(verdict("{\"Statement\":[\"x\"]}"), "Invalid policy syntax.");
    CHECK_EQ_STR(verdict("{\"Id\":5,\"Statement\":[]}"), "Invalid policy syntax.");
    CHECK_EQ_STR(verdict("{\"Foo\":1,\"Statement\":[]}"), "Unknown field Foo");
    const char *version = "The policy must contain a valid version string";
    CHECK_EQ_STR(verdict("{\"Version\":\"2012-10-18\",\"Statement\":[]}"), version);
    CHECK_EQ_STR(verdict("{\"Version\":\"\",\"Statement\":[]}"), version);
    CHECK_EQ_STR(verdict("{\"Version\":2012,\"Statement\":[]}"), version);
}

TEST(policy_check_statement_faults)
{
    CHECK_EQ_STR(verdict(stmt("\"Principal\":\"*\",\"Action\":\"s3:*\","
                              "\"Resource\":\"arn:aws:s3:::b\"")),
                 "Missing required field Effect");
    CHECK_EQ_STR(verdict(stmt("\"Effect\":\"hello\",\"Principal\":\"*\",\"Action\":\"s3:*\","
                              "\"Resource\":\"arn:aws:s3:::b\"")),
                 "Invalid effect: hello");
    CHECK_EQ_STR(verdict(stmt("\"Effect\":\"allow\",\"Principal\":\"*\",\"Action\":\"s3:*\","
                              "\"Resource\":\"arn:aws:s3:::b\"")),
                 "Invalid effect: allow");
    CHECK_EQ_STR(verdict(stmt("\"Effect\":\"Allow\",\"Action\":\"s3:*\","
                              "\"Resource\":\"arn:aws:s3:::b\"")),
                 "Missing required field Principal");
    CHECK_EQ_STR(verdict(stmt("\"Effect\":\"Allow\",\"Principal\":\"*\","
                              "\"Resource\":\"arn:aws:s3:::b\"")),
                 "Statement is missing required element");
    CHECK_EQ_STR(verdict(stmt("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\"")),
                 "Statement is missing required element");
    CHECK_EQ_STR(verdict(stmt(GOOD_MEMBERS ",\"condition\":{}")), "Unknown field condition");
    CHECK_EQ_STR(verdict(stmt(GOOD_MEMBERS ",\"NotAction\":\"s3:PutObject\"")),
                 "Invalid policy syntax.");
    CHECK_EQ_STR(verdict(stmt(GOOD_MEMBERS ",\"Sid\":1")), "Invalid policy syntax.");
}

TEST(policy_check_principals)
{
    const char *bad = "Invalid principal in policy";
    static const char *const principals[] = {
        "\"\"",
        "[]",
        "{}",
        "\"arn:aws:iam::111122223333:root\"",
        "{\"AWS\":\"\"}",
        "{\"AWS\":[]}",
        "{\"AWS\":\"user\"}",
        "{\"AWS\":\"arn:aws:iam::1234:root\"}",
        "{\"Bogus\":\"x\"}",
        "{\"Service\":5}",
    };
    char members[512];
    for (size_t i = 0; i < sizeof principals / sizeof principals[0]; i++) {
        snprintf(members, sizeof members,
                 "\"Effect\":\"Allow\",\"Principal\":%s,\"Action\":\"s3:*\","
                 "\"Resource\":\"arn:aws:s3:::b\"",
                 principals[i]);
        CHECK_EQ_STR(verdict(stmt(members)), bad);
    }
    static const char *const good[] = {
        "{\"AWS\":\"*\"}",
        "{\"AWS\":\"111122223333\"}",
        "{\"AWS\":[\"arn:aws:iam::111122223333:user/u\",\"AIDAJQABLZS4A3QDU576Q\"]}",
        "{\"CanonicalUser\":\"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be\"}",
        "{\"Service\":[\"cloudtrail.amazonaws.com\",\"config.amazonaws.com\"]}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(members, sizeof members,
                 "\"Effect\":\"Allow\",\"Principal\":%s,\"Action\":\"s3:*\","
                 "\"Resource\":\"arn:aws:s3:::b\"",
                 good[i]);
        CHECK_EQ_STR(verdict(stmt(members)), "");
    }
}

TEST(policy_check_actions_and_resources)
{
    char members[512];
    static const char *const bad_actions[] = {"\"\"",
                                              "[]",
                                              "\"invalid_action\"",
                                              "\"s3\"",
                                              "\"s3:\"",
                                              "\"s4:GetObject\"",
                                              "\"s3:Put-Object\"",
                                              "\"iam:PassRole\"",
                                              "[\"s3:GetObject\",\"x\"]"};
    for (size_t i = 0; i < sizeof bad_actions / sizeof bad_actions[0]; i++) {
        snprintf(members, sizeof members,
                 "\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":%s,"
                 "\"Resource\":\"arn:aws:s3:::b\"",
                 bad_actions[i]);
        CHECK_EQ_STR(verdict(stmt(members)), "Policy has invalid action");
    }
    CHECK_EQ_STR(verdict(stmt("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":null,"
                              "\"Resource\":\"arn:aws:s3:::b\"")),
                 "Invalid policy syntax.");
    CHECK_EQ_STR(verdict(stmt("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":[\"s3:*\",1],"
                              "\"Resource\":\"arn:aws:s3:::b\"")),
                 "Invalid policy syntax.");
    static const char *const bad_resources[] = {
        "\"\"",
        "[]",
        "\"*\"",
        "\"arn:aws:s3:::\"",
        "\"arn:aws:s3:::/b\"",
        "\"arn:aws:s3:::other/*\"",
        "\"arn:aws:s3:::prefix-b\"",
        "\"arn:aws:iam:::b\"",
        "[\"arn:aws:s3:::b\",\"arn:aws:s3:::c/*\"]",
    };
    for (size_t i = 0; i < sizeof bad_resources / sizeof bad_resources[0]; i++) {
        snprintf(members, sizeof members,
                 "\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":%s",
                 bad_resources[i]);
        CHECK_EQ_STR(verdict(stmt(members)), "Policy has invalid resource");
    }
}

TEST(policy_check_conditions)
{
    CHECK_EQ_STR(verdict(stmt(GOOD_MEMBERS ",\"Condition\":{\"stringequals\":{\"a:b\":\"c\"}}")),
                 "Invalid Condition type : stringequals");
    CHECK_EQ_STR(verdict(stmt(GOOD_MEMBERS ",\"Condition\":{\"NullIfExists\":{\"a:b\":\"c\"}}")),
                 "Invalid Condition type : NullIfExists");
    CHECK_EQ_STR(verdict(stmt(GOOD_MEMBERS ",\"Condition\":[]")), "Invalid policy syntax.");
    CHECK_EQ_STR(verdict(stmt(GOOD_MEMBERS ",\"Condition\":{\"StringEquals\":\"x\"}")),
                 "Invalid policy syntax.");
    CHECK_EQ_STR(verdict(stmt(GOOD_MEMBERS ",\"Condition\":{\"StringEquals\":{\"k\":{}}}")),
                 "Invalid policy syntax.");
}

TEST(policy_check_size)
{
    /* Exactly at the limit (compact) is accepted; one byte more is refused; indentation does
     * not count. */
    const char *head = "{\"Statement\":[{" GOOD_MEMBERS ",\"Sid\":\"";
    const char *tail = "\"}]}";
    size_t fixed = strlen(head) + strlen(tail);
    struct buf doc = BUF_INIT;
    buf_puts(&doc, head);
    for (size_t i = fixed; i < POLICY_MAX_NORMALIZED; i++)
        buf_putc(&doc, 'x');
    buf_puts(&doc, tail);
    CHECK(buf_ok(&doc));
    CHECK_EQ_INT(doc.len, POLICY_MAX_NORMALIZED);
    CHECK_EQ_STR(verdict(doc.data), "");

    struct buf spaced = BUF_INIT;
    buf_puts(&spaced, "{\n    ");
    buf_puts(&spaced, doc.data + 1);
    CHECK_EQ_STR(verdict(spaced.data), "");

    buf_reset(&doc);
    buf_puts(&doc, head);
    for (size_t i = fixed; i <= POLICY_MAX_NORMALIZED; i++)
        buf_putc(&doc, 'x');
    buf_puts(&doc, tail);
    CHECK_EQ_STR(verdict(doc.data),
                 "Normalized policy document exceeds the maximum allowed size of 20480 bytes");
    buf_free(&doc);
    buf_free(&spaced);
}

TEST(policy_check_nul)
{
    /* A NUL inside or after the document: refused, so what is stored is a C string. */
    static const char doc[] = "{\"Statement\":[]}\0";
    struct buf why = BUF_INIT;
    CHECK_EQ_INT(policy_check(doc, sizeof doc - 1, "b", &why), -EINVAL);
    CHECK_EQ_STR(why.data, "This policy contains invalid Json");
    buf_free(&why);
    CHECK_EQ_STR(verdict(stmt("\"Sid\":\"a\\u0000b\"," GOOD_MEMBERS)),
                 "This policy contains invalid Json");
}

/* Found by fuzz/fuzz_policy.c: jansson 2.14 skips a NUL byte that follows a number, so this
 * document parsed, passed every check, and PutBucketPolicy stored it cut at the NUL (as a C
 * string), leaving a stored policy that is not JSON. */
TEST(policy_check_refuses_nul_after_number)
{
#define NUL_DOC(tail)                                                                              \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","        \
    "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\",\"Condition\":"                \
    "{\"NumericLessThan\":{\"s3:max-keys\":10" tail "}}}]}"
    static const char with_nul[] = NUL_DOC("\0");
    struct buf why = BUF_INIT;
    CHECK_EQ_INT(policy_check(with_nul, sizeof with_nul - 1, "b", &why), -EINVAL);
    CHECK_EQ_STR(why.data, "This policy contains invalid Json");
    buf_free(&why);
    CHECK_EQ_STR(verdict(NUL_DOC("")), "");
#undef NUL_DOC
}

/* ---- policy_allows_cloudtrail ---------------------------------------------------------------- */

#define ACCT "111122223333"
#define TRAIL "arn:aws:cloudtrail:us-east-1:" ACCT ":trail/audit"

/* cloudtrail.md §3.4, the policy AWS documents, verbatim but for the names: bucket "logs", the
 * resource prefix ("" or "p/q/") and the SourceArn value. op "StringEquals" is the document
 * exactly; another operator puts the SourceArn test under it. */
static char *documented(const char *resource_prefix, const char *op, const char *source_arn)
{
    static char doc[4096];
    char put_condition[512];
    if (strcmp(op, "StringEquals") == 0)
        snprintf(put_condition, sizeof put_condition,
                 "{\"StringEquals\":{\"s3:x-amz-acl\":\"bucket-owner-full-control\",\n"
                 "     \"aws:SourceArn\":\"%s\"}}",
                 source_arn);
    else
        snprintf(put_condition, sizeof put_condition,
                 "{\"StringEquals\":{\"s3:x-amz-acl\":\"bucket-owner-full-control\"},\n"
                 "     \"%s\":{\"aws:SourceArn\":\"%s\"}}",
                 op, source_arn);
    snprintf(doc, sizeof doc,
             "{\"Version\":\"2012-10-17\",\"Statement\":[\n"
             " {\"Sid\":\"AWSCloudTrailAclCheck20150319\",\"Effect\":\"Allow\",\n"
             "  \"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},\"Action\":"
             "\"s3:GetBucketAcl\",\n"
             "  \"Resource\":\"arn:aws:s3:::logs\",\n"
             "  \"Condition\":{\"%s\":{\"aws:SourceArn\":\"%s\"}}},\n"
             " {\"Sid\":\"AWSCloudTrailWrite20150319\",\"Effect\":\"Allow\",\n"
             "  \"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},\"Action\":"
             "\"s3:PutObject\",\n"
             "  \"Resource\":\"arn:aws:s3:::logs/%sAWSLogs/" ACCT "/*\",\n"
             "  \"Condition\":%s}]}",
             op, source_arn, resource_prefix, put_condition);
    return doc;
}

/* The same without conditions, statements given as members (a JSON array's contents). */
static char *policy(const char *statements)
{
    static char doc[4096];
    snprintf(doc, sizeof doc, "{\"Version\":\"2012-10-17\",\"Statement\":[%s]}", statements);
    return doc;
}

#define ACL_STMT                                                                                   \
    "{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},"              \
    "\"Action\":\"s3:GetBucketAcl\",\"Resource\":\"arn:aws:s3:::logs\"}"
#define PUT_STMT                                                                                   \
    "{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},"              \
    "\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::logs/AWSLogs/" ACCT "/*\"}"

TEST(policy_cloudtrail_documented)
{
    char *doc = documented("", "StringEquals", TRAIL);
    CHECK_EQ_INT(policy_allows_cloudtrail(doc, "logs", NULL, ACCT, TRAIL), 1);
    CHECK_EQ_INT(policy_allows_cloudtrail(doc, "logs", "", ACCT, TRAIL), 1);
    /* Another trail, or a trail not named yet: the SourceArn condition does not hold. */
    CHECK_EQ_INT(policy_allows_cloudtrail(doc, "logs", NULL, ACCT,
                                          "arn:aws:cloudtrail:us-east-1:" ACCT ":trail/other"),
                 0);
    CHECK_EQ_INT(policy_allows_cloudtrail(doc, "logs", NULL, ACCT, NULL), 0);
    /* Another account, another bucket, a prefix the policy does not grant. */
    CHECK_EQ_INT(policy_allows_cloudtrail(doc, "logs", NULL, "444455556666", TRAIL), 0);
    CHECK_EQ_INT(policy_allows_cloudtrail(doc, "other", NULL, ACCT, TRAIL), 0);
    CHECK_EQ_INT(policy_allows_cloudtrail(doc, "logs", "p", ACCT, TRAIL), 0);

    doc = documented("p/q/", "StringEquals", TRAIL);
    CHECK_EQ_INT(policy_allows_cloudtrail(doc, "logs", "p/q", ACCT, TRAIL), 1);
    CHECK_EQ_INT(policy_allows_cloudtrail(doc, "logs", NULL, ACCT, TRAIL), 0);
    CHECK_EQ_INT(policy_allows_cloudtrail(doc, "logs", "p", ACCT, TRAIL), 0);

    /* ArnLike with wildcards, as AWS's examples write it. */
    doc = documented("", "StringEquals", "arn:aws:cloudtrail:*:" ACCT ":trail/*");
    CHECK_EQ_INT(policy_allows_cloudtrail(doc, "logs", NULL, ACCT, TRAIL), 0);
    doc = documented("", "ArnLike", "arn:aws:cloudtrail:*:" ACCT ":trail/*");
    CHECK_EQ_INT(policy_allows_cloudtrail(doc, "logs", NULL, ACCT, TRAIL), 1);
    doc = documented("", "ArnEquals", "arn:aws:cloudtrail:*:444455556666:trail/*");
    CHECK_EQ_INT(policy_allows_cloudtrail(doc, "logs", NULL, ACCT, TRAIL), 0);

    /* SourceAccount instead of SourceArn. */
    CHECK_EQ_INT(
        policy_allows_cloudtrail(
            policy("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":["
                   "\"config.amazonaws.com\",\"cloudtrail.amazonaws.com\"]},"
                   "\"Action\":[\"s3:GetBucketAcl\",\"s3:PutObject\"],"
                   "\"Resource\":[\"arn:aws:s3:::logs\",\"arn:aws:s3:::logs/*\"],"
                   "\"Condition\":{\"StringEquals\":{\"aws:SourceAccount\":\"" ACCT "\"}}}"),
            "logs", NULL, ACCT, NULL),
        1);
}

TEST(policy_cloudtrail_grants)
{
    CHECK_EQ_INT(policy_allows_cloudtrail(policy(ACL_STMT "," PUT_STMT), "logs", NULL, ACCT, NULL),
                 1);
    /* Statement as a single object: it must grant both. */
    CHECK_EQ_INT(
        policy_allows_cloudtrail("{\"Statement\":" ACL_STMT "}", "logs", NULL, ACCT, TRAIL), 0);
    /* One of the two grants missing. */
    CHECK_EQ_INT(policy_allows_cloudtrail(policy(ACL_STMT), "logs", NULL, ACCT, TRAIL), 0);
    CHECK_EQ_INT(policy_allows_cloudtrail(policy(PUT_STMT), "logs", NULL, ACCT, TRAIL), 0);
    /* Wildcard actions, any case; the whole bucket as the resource. */
    static const char *const wild[] = {"\"s3:*\"", "\"*\"", "[\"S3:get*\",\"s3:Put?bject\"]",
                                       "[\"s3:GetBucket*\",\"s3:*Object\"]"};
    char stmts[1024];
    for (size_t i = 0; i < sizeof wild / sizeof wild[0]; i++) {
        snprintf(stmts, sizeof stmts,
                 "{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},"
                 "\"Action\":%s,\"Resource\":[\"arn:aws:s3:::logs\",\"arn:aws:s3:::logs/*\"]}",
                 wild[i]);
        CHECK_EQ_INT(policy_allows_cloudtrail(policy(stmts), "logs", "pre", ACCT, TRAIL), 1);
    }
    /* A resource that covers only part of the log area does not grant it. */
    CHECK_EQ_INT(
        policy_allows_cloudtrail(
            policy(ACL_STMT ",{\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                            "\"cloudtrail.amazonaws.com\"},\"Action\":\"s3:PutObject\","
                            "\"Resource\":\"arn:aws:s3:::logs/AWSLogs/" ACCT "/CloudTrail/*\"}"),
            "logs", NULL, ACCT, TRAIL),
        0);
    /* Wildcards in the resource: "*" crosses '/', '?' is one character. */
    CHECK_EQ_INT(policy_allows_cloudtrail(
                     policy(ACL_STMT ",{\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                                     "\"cloudtrail.amazonaws.com\"},\"Action\":\"s3:PutObject\","
                                     "\"Resource\":\"arn:aws:s3:::l?gs/*/AWSLogs/*\"}"),
                     "logs", "a/b", ACCT, TRAIL),
                 1);
    /* Someone else's principal; a public grant. */
    CHECK_EQ_INT(policy_allows_cloudtrail(
                     policy("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT "\"},"
                            "\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::logs\","
                            "\"arn:aws:s3:::logs/*\"]}"),
                     "logs", NULL, ACCT, TRAIL),
                 0);
    CHECK_EQ_INT(policy_allows_cloudtrail(
                     policy("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\","
                            "\"Resource\":[\"arn:aws:s3:::logs\",\"arn:aws:s3:::logs/*\"]}"),
                     "logs", NULL, ACCT, TRAIL),
                 1);
    /* NotAction / NotResource in an Allow. */
    CHECK_EQ_INT(policy_allows_cloudtrail(
                     policy("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                            "\"cloudtrail.amazonaws.com\"},\"NotAction\":\"s3:Delete*\","
                            "\"NotResource\":\"arn:aws:s3:::logs/private/*\"}"),
                     "logs", NULL, ACCT, TRAIL),
                 1);
}

TEST(policy_cloudtrail_conditions)
{
    /* A condition other than the ones a delivery is known to meet: the Allow does not count. */
    CHECK_EQ_INT(policy_allows_cloudtrail(
                     policy(ACL_STMT ",{\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                                     "\"cloudtrail.amazonaws.com\"},\"Action\":\"s3:PutObject\","
                                     "\"Resource\":\"arn:aws:s3:::logs/*\",\"Condition\":{"
                                     "\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}}"),
                     "logs", NULL, ACCT, TRAIL),
                 0);
    CHECK_EQ_INT(policy_allows_cloudtrail(
                     policy(ACL_STMT ",{\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                                     "\"cloudtrail.amazonaws.com\"},\"Action\":\"s3:PutObject\","
                                     "\"Resource\":\"arn:aws:s3:::logs/*\",\"Condition\":{"
                                     "\"StringEquals\":{\"s3:x-amz-acl\":\"private\"}}}"),
                     "logs", NULL, ACCT, TRAIL),
                 0);
    CHECK_EQ_INT(policy_allows_cloudtrail(
                     policy(ACL_STMT ",{\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                                     "\"cloudtrail.amazonaws.com\"},\"Action\":\"s3:PutObject\","
                                     "\"Resource\":\"arn:aws:s3:::logs/*\",\"Condition\":{"
                                     "\"StringLike\":{\"s3:x-amz-acl\":[\"x\",\"bucket-owner-*\"],"
                                     "\"aws:SourceArn\":\"arn:aws:cloudtrail:*\"}}}"),
                     "logs", NULL, ACCT, TRAIL),
                 1);
}

TEST(policy_cloudtrail_denies)
{
    const char *grants = ACL_STMT "," PUT_STMT;
    char stmts[2048];
    static const struct {
        const char *deny;
        int want;
    } cases[] = {
        /* Denies that reach the delivery. */
        {"\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},\"Action\":\"s3:PutObject\","
         "\"Resource\":\"arn:aws:s3:::logs/*\"",
         0},
        {"\"Principal\":\"*\",\"Action\":\"s3:GetBucketAcl\",\"Resource\":\"arn:aws:s3:::logs\"",
         0},
        {"\"Principal\":{\"AWS\":\"*\"},\"Action\":\"s3:*\","
         "\"Resource\":\"arn:aws:s3:::logs/AWSLogs/" ACCT "/CloudTrail-Digest/*\"",
         0},
        {"\"NotPrincipal\":{\"AWS\":\"" ACCT "\"},\"Action\":\"s3:Put*\","
         "\"Resource\":\"arn:aws:s3:::logs/*\"",
         0},
        {"\"Principal\":\"*\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::logs/*\","
         "\"Condition\":{\"StringNotEquals\":{\"aws:SourceAccount\":\"444455556666\"}}",
         0},
        /* A condition this function cannot evaluate: taken to refuse. */
        {"\"Principal\":\"*\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::logs/*\","
         "\"Condition\":{\"NumericLessThan\":{\"aws:SourceAccount\":\"5\"}}",
         0},
        /* Denies that do not: other actions, other keys, other principals, conditions a
         * delivery does not meet (the usual "TLS only" and "owner must get the objects"). */
        {"\"Principal\":\"*\",\"Action\":\"s3:DeleteObject\",\"Resource\":\"arn:aws:s3:::logs/*\"",
         1},
        {"\"Principal\":\"*\",\"Action\":\"s3:PutObject\","
         "\"Resource\":\"arn:aws:s3:::logs/uploads/*\"",
         1},
        {"\"Principal\":{\"Service\":\"config.amazonaws.com\"},\"Action\":\"s3:*\","
         "\"Resource\":\"arn:aws:s3:::logs/*\"",
         1},
        {"\"NotPrincipal\":{\"Service\":\"cloudtrail.amazonaws.com\"},\"Action\":\"s3:*\","
         "\"Resource\":\"arn:aws:s3:::logs/*\"",
         1},
        {"\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::logs\","
         "\"arn:aws:s3:::logs/*\"],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}",
         1},
        {"\"Principal\":\"*\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::logs/*\","
         "\"Condition\":{\"StringNotEquals\":{\"s3:x-amz-acl\":\"bucket-owner-full-control\"}}",
         1},
        {"\"Principal\":\"*\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::logs/*\","
         "\"Condition\":{\"StringEquals\":{\"aws:SourceVpce\":\"vpce-1\"}}",
         1},
        {"\"Principal\":\"*\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::logs/*\","
         "\"Condition\":{\"Null\":{\"s3:x-amz-acl\":\"true\"}}",
         1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(stmts, sizeof stmts, "%s,{\"Effect\":\"Deny\",%s}", grants, cases[i].deny);
        int got = policy_allows_cloudtrail(policy(stmts), "logs", NULL, ACCT, TRAIL);
        if (got != cases[i].want)
            fprintf(stderr, "  deny case %zu: %s\n", i, cases[i].deny);
        CHECK_EQ_INT(got, cases[i].want);
    }
}

TEST(policy_cloudtrail_invalid)
{
    CHECK_EQ_INT(policy_allows_cloudtrail("{not json", "logs", NULL, ACCT, TRAIL), -EINVAL);
    CHECK_EQ_INT(policy_allows_cloudtrail("", "logs", NULL, ACCT, TRAIL), -EINVAL);
    CHECK_EQ_INT(policy_allows_cloudtrail(NULL, "logs", NULL, ACCT, TRAIL), -EINVAL);
    /* JSON but no policy: nothing is granted. */
    CHECK_EQ_INT(policy_allows_cloudtrail("{}", "logs", NULL, ACCT, TRAIL), 0);
    CHECK_EQ_INT(policy_allows_cloudtrail("[1,2]", "logs", NULL, ACCT, TRAIL), 0);
    CHECK_EQ_INT(
        policy_allows_cloudtrail("{\"Statement\":[1,\"x\",{}]}", "logs", NULL, ACCT, TRAIL), 0);
}
