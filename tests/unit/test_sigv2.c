#include "unit.h"

#include <stdlib.h>

#include "auth/sigv2.h"
#include "s3/errors.h"
#include "util/hash.h"

/*
 * Known answers from the S3 Developer Guide's "Authenticating requests (AWS signature version
 * 2)" examples (RESTAuthentication.md, the "johnsmith" edition: AKIAIOSFODNN7EXAMPLE /
 * wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY), plus requests signed by botocore's HmacV1Auth and
 * HmacV1QueryAuth (signature_version "s3"), which is what boto3/aws-cli send.
 */

static const char SECRET[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

struct v2case {
    const char *name;
    const char *method, *resource, *query;
    struct kv h[12];
    const char *authz; /* Authorization header, or NULL for query auth */
    const char *sts;
};

static const struct v2case cases[] = {
    {"object-get",
     "GET",
     "/johnsmith/photos/puppy.jpg",
     NULL,
     {{"Host", "johnsmith.s3.amazonaws.com"}, {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}},
     "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
     "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg"},
    {"object-put",
     "PUT",
     "/johnsmith/photos/puppy.jpg",
     NULL,
     {{"Content-Type", "image/jpeg"},
      {"Content-Length", "94328"},
      {"Host", "johnsmith.s3.amazonaws.com"},
      {"Date", "Tue, 27 Mar 2007 21:15:45 +0000"}},
     "AWS AKIAIOSFODNN7EXAMPLE:MyyxeRY7whkBe+bq8fHCL/2kKUg=",
     "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg"},
    {"list",
     "GET",
     "/johnsmith/",
     "prefix=photos&max-keys=50&marker=puppy",
     {{"User-Agent", "Mozilla/5.0"},
      {"Host", "johnsmith.s3.amazonaws.com"},
      {"Date", "Tue, 27 Mar 2007 19:42:41 +0000"}},
     "AWS AKIAIOSFODNN7EXAMPLE:htDYFYduRNen8P9ZfE/s9SuKy0U=",
     "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/"},
    {"fetch-acl",
     "GET",
     "/johnsmith/",
     "acl",
     {{"Host", "johnsmith.s3.amazonaws.com"}, {"Date", "Tue, 27 Mar 2007 19:44:46 +0000"}},
     "AWS AKIAIOSFODNN7EXAMPLE:c2WLPFtWHVgbEmeEG93a4cG37dM=",
     "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl"},
    {"upload-cname-metadata",
     "PUT",
     "/static.johnsmith.net/db-backup.dat.gz",
     NULL,
     {{"User-Agent", "curl/7.15.5"},
      {"Host", "static.johnsmith.net:8080"},
      {"Date", "Tue, 27 Mar 2007 21:06:08 +0000"},
      {"x-amz-acl", "public-read"},
      {"content-type", "application/x-download"},
      {"Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="},
      {"X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"},
      {"X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"},
      {"X-Amz-Meta-FileChecksum", "0x02661779"},
      {"X-Amz-Meta-ChecksumAlgorithm", "crc32"},
      {"Content-Disposition", "attachment; filename=database.dat"},
      {"Content-Encoding", "gzip"}},
     "AWS AKIAIOSFODNN7EXAMPLE:ilyl83RwaSoYIEdixDQcA4OnAnc=",
     "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n"
     "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\n"
     "x-amz-meta-filechecksum:0x02661779\n"
     "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n"
     "/static.johnsmith.net/db-backup.dat.gz"},
    {"list-all-my-buckets",
     "GET",
     "/",
     NULL,
     {{"Host", "s3.amazonaws.com"}, {"Date", "Wed, 28 Mar 2007 01:29:59 +0000"}},
     "AWS AKIAIOSFODNN7EXAMPLE:qGdzdERIC03wnaRNKh6OqZehG9s=",
     "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/"},
    {"unicode-keys",
     "GET",
     "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
     NULL,
     {{"Host", "s3.amazonaws.com"}, {"Date", "Wed, 28 Mar 2007 01:49:49 +0000"}},
     "AWS AKIAIOSFODNN7EXAMPLE:DNEZGsoieTZ92F3bUfSPQcbGmlM=",
     "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re"},
    {"query-auth",
     "GET",
     "/johnsmith/photos/puppy.jpg",
     "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
     "&Expires=1175139620",
     {{"Host", "johnsmith.s3.amazonaws.com"}},
     NULL,
     "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg"},
    /* botocore HmacV1Auth: sub-resources sorted and decoded, others dropped, amz headers
     * trimmed and sorted, the path kept as sent. */
    {"botocore-upload-part",
     "PUT",
     "/bucket/my%20key+x",
     "uploadId=a%2Fb&partNumber=2&foo=bar",
     {{"Content-Type", "text/plain"},
      {"X-Amz-Meta-B", " two "},
      {"x-amz-meta-a", "one"},
      {"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="},
      {"Date", "Wed, 01 Jan 2025 00:00:00 GMT"}},
     "AWS AKIAIOSFODNN7EXAMPLE:LimJVaOlYphB6yLMAQ0ISMv4GSQ=",
     "PUT\n1B2M2Y8AsgTpgAmY7PhCfg==\ntext/plain\nWed, 01 Jan 2025 00:00:00 GMT\n"
     "x-amz-meta-a:one\nx-amz-meta-b:two\n/bucket/my%20key+x?partNumber=2&uploadId=a/b"},
    /* botocore HmacV1QueryAuth with a session token: Content-Type and x-amz-security-token
     * travel in the query and are signed from there. */
    {"botocore-presigned-token",
     "GET",
     "/bucket/k",
     "versionId=v1&response-content-type=text%2Fhtml&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE"
     "&Signature=etosGm%2BYKbox78EuqKu04M6QtjM%3D&content-type=text%2Fplain"
     "&x-amz-security-token=TOKEN%2B%2F%3Dx&Expires=1735693200",
     {{"Host", "s3.amazonaws.com"}},
     NULL,
     "GET\n\ntext/plain\n1735693200\nx-amz-security-token:TOKEN+/=x\n"
     "/bucket/k?response-content-type=text/html&versionId=v1"},
};

static size_t nheaders(const struct v2case *c)
{
    size_t n = 0;
    while (n < 12 && c->h[n].name)
        n++;
    return n;
}

TEST(sigv2_known_answers)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct v2case *c = &cases[i];
        int before = unit_failures;
        struct sigv2_params p;
        struct query_param *q = NULL;
        size_t nq = 0;
        if (c->authz) {
            CHECK_EQ_INT(sigv2_parse_authorization(c->authz, &p), 0);
        } else {
            CHECK_EQ_INT(uri_parse_query(c->query, &q, &nq), 0);
            CHECK_EQ_INT(sigv2_parse_presigned(q, nq, &p), 0);
            CHECK(p.presigned);
        }
        CHECK_EQ_STR(p.access_key, "AKIAIOSFODNN7EXAMPLE");
        struct sigv2_input in = {c->method, c->resource, c->query, c->h, nheaders(c)};
        struct buf sts = BUF_INIT, sts2 = BUF_INIT;
        CHECK_EQ_INT(sigv2_string_to_sign(&in, &p, &sts), 0);
        CHECK_EQ_STR(sts.data, c->sts);
        char sig[29];
        sigv2_sign(SECRET, sts.data, sts.len, sig);
        CHECK_EQ_STR(sig, p.signature);
        CHECK_EQ_INT(sigv2_verify(&in, &p, SECRET, &sts2), 0);
        CHECK_EQ_STR(sts2.data, c->sts);
        CHECK_EQ_INT(sigv2_verify(&in, &p, "other secret", NULL), -S3E_SignatureDoesNotMatch);
        buf_free(&sts);
        buf_free(&sts2);
        uri_query_free(q, nq);
        if (unit_failures != before)
            fprintf(stderr, "  ^ in case %s\n", c->name);
    }
}

/* The documentation's DELETE example signs x-amz-date's value in the Date position; boto, ceph
 * and the documentation's own prose put "" there and sign x-amz-date as an amz header. Both
 * verify. */
TEST(sigv2_x_amz_date_both_styles)
{
    struct kv h[] = {{"User-Agent", "dotnet"},
                     {"Host", "s3.amazonaws.com"},
                     {"Date", "Tue, 27 Mar 2007 21:20:27 +0000"},
                     {"x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"}};
    struct sigv2_input in = {"DELETE", "/johnsmith/photos/puppy.jpg", NULL, h, 4};
    struct sigv2_params p;
    CHECK_EQ_INT(
        sigv2_parse_authorization("AWS AKIAIOSFODNN7EXAMPLE:lx3byBScXR6KzyMaifNkardMwNk=", &p), 0);
    struct buf sts = BUF_INIT;
    CHECK_EQ_INT(sigv2_string_to_sign(&in, &p, &sts), 0);
    CHECK_EQ_STR(sts.data, "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n"
                           "/johnsmith/photos/puppy.jpg");
    CHECK_EQ_INT(sigv2_verify(&in, &p, SECRET, NULL), 0); /* documentation style */
    char sig[29];
    sigv2_sign(SECRET, sts.data, sts.len, sig);
    CHECK_EQ_INT(sigv2_parse_authorization("AWS AKIAIOSFODNN7EXAMPLE:x", &p), 0);
    snprintf(p.signature, sizeof p.signature, "%s", sig);
    CHECK_EQ_INT(sigv2_verify(&in, &p, SECRET, NULL), 0); /* boto style */
    buf_free(&sts);
}

TEST(sigv2_rgw_subresources)
{
    struct kv h[] = {{"Date", "Wed, 01 Jan 2025 00:00:00 GMT"}};
    struct sigv2_input in = {"GET", "/bucket/", "encryption", h, 1};
    struct sigv2_params p;
    CHECK_EQ_INT(sigv2_parse_authorization("AWS AK:x", &p), 0);
    struct buf sts = BUF_INIT;
    CHECK_EQ_INT(sigv2_string_to_sign(&in, &p, &sts), 0);
    CHECK_EQ_STR(sts.data, "GET\n\n\nWed, 01 Jan 2025 00:00:00 GMT\n/bucket/");
    /* a client that signed "?encryption" the ceph way */
    static const char rgw_sts[] = "GET\n\n\nWed, 01 Jan 2025 00:00:00 GMT\n/bucket/?encryption";
    sigv2_sign("s", rgw_sts, strlen(rgw_sts), p.signature);
    CHECK_EQ_INT(sigv2_verify(&in, &p, "s", NULL), 0);
    /* and one that did not (botocore) */
    sigv2_sign("s", sts.data, sts.len, p.signature);
    CHECK_EQ_INT(sigv2_verify(&in, &p, "s", NULL), 0);
    /* "policyStatus" is an rgw extra, "policy" a standard one: no confusion between prefixes */
    struct sigv2_input in2 = {"GET", "/bucket/", "policyStatusX&policy", h, 1};
    buf_reset(&sts);
    CHECK_EQ_INT(sigv2_string_to_sign(&in2, &p, &sts), 0);
    CHECK_EQ_STR(sts.data, "GET\n\n\nWed, 01 Jan 2025 00:00:00 GMT\n/bucket/?policy");
    buf_free(&sts);
}

TEST(sigv2_canonical_details)
{
    /* "uploads=" keeps its '='; a bare name does not; values decoded with '+' kept; stable sort;
     * folded header values unfolded; presigned Content-MD5 header beats the query parameter */
    struct kv h[] = {{"Date", "D"},
                     {"X-Amz-Meta-Fold", "a\r\n   b"},
                     {"x-amz-meta-fold", "c"},
                     {"Content-Type", "  text/x  "}};
    struct sigv2_input in = {"POST", "/b/k", "uploads=&versionId=1+2%2B3&delete&acl&&", h, 4};
    struct sigv2_params p;
    CHECK_EQ_INT(sigv2_parse_authorization("AWS AK:x", &p), 0);
    struct buf sts = BUF_INIT;
    CHECK_EQ_INT(sigv2_string_to_sign(&in, &p, &sts), 0);
    CHECK_EQ_STR(sts.data, "POST\n\ntext/x\nD\nx-amz-meta-fold:a b,c\n"
                           "/b/k?acl&delete&uploads=&versionId=1+2+3");
    /* bad escape in a sub-resource value */
    struct sigv2_input bad = {"GET", "/b/k", "versionId=%zz", h, 1};
    buf_reset(&sts);
    CHECK_EQ_INT(sigv2_string_to_sign(&bad, &p, &sts), -S3E_InvalidURI);
    /* no Date header at all: an empty line */
    struct sigv2_input nodate = {"GET", "/", NULL, NULL, 0};
    buf_reset(&sts);
    CHECK_EQ_INT(sigv2_string_to_sign(&nodate, &p, &sts), 0);
    CHECK_EQ_STR(sts.data, "GET\n\n\n\n/");
    buf_free(&sts);
}

TEST(sigv2_parse)
{
    struct sigv2_params p;
    CHECK_EQ_INT(sigv2_parse_authorization("  AWS AKID:abc+/= ", &p), 0);
    CHECK_EQ_STR(p.access_key, "AKID");
    CHECK_EQ_STR(p.signature, "abc+/=");
    CHECK(!p.presigned);
    static const char *bad[] = {NULL,           "",
                                "AWS",          "AWS ",
                                "AWS AKID",     "AWS :sig",
                                "AWS AKID:",    "AWS4-HMAC-SHA256 Credential=x",
                                "aws AKID:sig", "AWS AK ID:sig",
                                "Bearer x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(sigv2_parse_authorization(bad[i], &p), -S3E_InvalidArgument);

    struct query_param *q;
    size_t n;
    /* an unescaped '+' in the signature arrives as a space and is read back */
    CHECK_EQ_INT(
        uri_parse_query("AWSAccessKeyId=AK&Signature=a+b%2Bc%3D&Expires=1175139620", &q, &n), 0);
    CHECK_EQ_INT(sigv2_parse_presigned(q, n, &p), 0);
    CHECK_EQ_STR(p.signature, "a+b+c=");
    CHECK_EQ_STR(p.expires, "1175139620");
    CHECK_EQ_INT(p.expires_at, 1175139620);
    uri_query_free(q, n);
    static const char *qs[] = {"AWSAccessKeyId=AK&Signature=x",
                               "Signature=x&Expires=1",
                               "AWSAccessKeyId=AK&Signature=x&Expires=soon",
                               "AWSAccessKeyId=AK&Signature=x&Expires=",
                               "AWSAccessKeyId=AK&Signature=x&Expires=-5",
                               "AWSAccessKeyId=&Signature=x&Expires=5"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        CHECK_EQ_INT(uri_parse_query(qs[i], &q, &n), 0);
        CHECK_EQ_INT(sigv2_parse_presigned(q, n, &p), -S3E_AccessDenied);
        uri_query_free(q, n);
    }
    CHECK_EQ_INT(uri_parse_query("prefix=a", &q, &n), 0);
    CHECK_EQ_INT(sigv2_parse_presigned(q, n, &p), 1);
    uri_query_free(q, n);
    CHECK_EQ_INT(sigv2_parse_presigned(NULL, 0, &p), 1);
}

/* A SigV2 presigned GET made by botocore 1.43 (generate_presigned_url, signature_version "s3"):
 * the sub-resource value is signed decoded, quotes and spaces included. */
TEST(sigv2_botocore_presigned)
{
    static const char query[] =
        "response-content-disposition=attachment%3B%20filename%3D%22x%20y.txt%22"
        "&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=%2BHEfg8TyhmC8LVgXgV1lBBeYBBY%3D"
        "&Expires=1795507742";
    struct kv h[] = {{"Host", "127.0.0.1:9000"}};
    struct sigv2_input in = {"GET", "/bkt/k%20y%2Bz", query, h, 1};
    struct query_param *q;
    size_t n;
    struct sigv2_params p;
    CHECK_EQ_INT(uri_parse_query(query, &q, &n), 0);
    CHECK_EQ_INT(sigv2_parse_presigned(q, n, &p), 0);
    struct buf sts = BUF_INIT;
    CHECK_EQ_INT(sigv2_string_to_sign(&in, &p, &sts), 0);
    CHECK_EQ_STR(sts.data, "GET\n\n\n1795507742\n/bkt/k%20y%2Bz?response-content-disposition="
                           "attachment; filename=\"x y.txt\"");
    CHECK_EQ_INT(sigv2_verify(&in, &p, SECRET, NULL), 0);
    buf_free(&sts);
    uri_query_free(q, n);
}
