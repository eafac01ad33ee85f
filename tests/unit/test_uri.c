#include "unit.h"

#include <stdlib.h>

#include "s3/errors.h"
#include "util/uri.h"

static const char *enc(const char *s, bool slash)
{
    static struct buf b = BUF_INIT;
    buf_reset(&b);
    if (uri_encode(&b, s, strlen(s), slash))
        return "(error)";
    return b.data;
}

TEST(uri_encode_aws_rules)
{
    /* unreserved pass through */
    CHECK_EQ_STR(enc("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", true),
                 "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    /* space is %20, never '+'; '+' and '*' are encoded; upper-case hex */
    CHECK_EQ_STR(enc("a b+c*d", true), "a%20b%2Bc%2Ad");
    CHECK_EQ_STR(enc("test$file.text", true), "test%24file.text");
    CHECK_EQ_STR(enc("photos/Jan/sample.jpg", false), "photos/Jan/sample.jpg");
    CHECK_EQ_STR(enc("photos/Jan/sample.jpg", true), "photos%2FJan%2Fsample.jpg");
    /* UTF-8 bytes one by one (the SigV4 suite's get-utf8: U+1234) */
    CHECK_EQ_STR(enc("\xe1\x88\xb4", true), "%E1%88%B4");
    CHECK_EQ_STR(enc("", true), "");
    /* s3-tests test_bucket_list_encoding_basic: encoding-type=url keeps '/' */
    CHECK_EQ_STR(enc("quux ab/", false), "quux%20ab/");
    CHECK_EQ_STR(enc("foo+1/", false), "foo%2B1/");
    CHECK_EQ_STR(enc("asdf+b", false), "asdf%2Bb");
    CHECK_EQ_STR(enc("%", true), "%25");
    struct buf b = BUF_INIT;
    CHECK_EQ_INT(uri_encode(&b, "a\0b", 3, true), 0);
    CHECK_EQ_STR(b.data, "a%00b");
    /* a capped buffer fails cleanly */
    struct buf capped = BUF_INIT;
    capped.cap_limit = 4;
    CHECK(uri_encode(&capped, "a b", 3, true) != 0);
    CHECK(!buf_ok(&capped));
    buf_free(&b);
    buf_free(&capped);
}

TEST(uri_decode_strict)
{
    char *out;
    size_t n;
    CHECK_EQ_INT(uri_decode("a%20b%2Fc+d%7e", 14, &out, &n), 0);
    CHECK_EQ_STR(out, "a b/c+d~");
    CHECK_EQ_INT(n, 8);
    free(out);

    CHECK_EQ_INT(uri_decode_form("a%20b+c", 7, &out, &n), 0);
    CHECK_EQ_STR(out, "a b c");
    free(out);

    CHECK_EQ_INT(uri_decode("%00x", 4, &out, &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK(out[0] == '\0' && out[1] == 'x');
    free(out);

    static const char *bad[] = {"%", "%4", "a%zz", "%g0", "abc%2", "%%41"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        out = (char *)1;
        CHECK_EQ_INT(uri_decode(bad[i], strlen(bad[i]), &out, &n), -S3E_InvalidURI);
        CHECK(out == NULL);
    }
    /* the length, not a NUL, bounds the input */
    CHECK_EQ_INT(uri_decode("ab%41zz", 5, &out, &n), 0);
    CHECK_EQ_STR(out, "abA");
    free(out);
}

TEST(uri_parse_query)
{
    struct query_param *q;
    size_t n;
    CHECK_EQ_INT(uri_parse_query("prefix=a%2Fb+c&max-keys=2&&uploads&empty=&x=1=2", &q, &n), 0);
    CHECK_EQ_INT(n, 5);
    CHECK_EQ_STR(q[0].name, "prefix");
    CHECK_EQ_STR(q[0].value, "a/b c");
    CHECK(q[0].has_value);
    CHECK_EQ_STR(q[2].name, "uploads");
    CHECK_EQ_STR(q[2].value, "");
    CHECK(!q[2].has_value);
    CHECK(q[3].has_value);
    CHECK_EQ_STR(q[4].value, "1=2");
    CHECK_EQ_STR(uri_query_get(q, n, "max-keys"), "2");
    CHECK_EQ_STR(uri_query_get(q, n, "uploads"), "");
    CHECK(uri_query_get(q, n, "Uploads") == NULL);
    CHECK(uri_query_get(q, n, "missing") == NULL);
    uri_query_free(q, n);

    /* duplicates keep their order; the first wins in get */
    CHECK_EQ_INT(uri_parse_query("a=1&a=2", &q, &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(uri_query_get(q, n, "a"), "1");
    uri_query_free(q, n);

    CHECK_EQ_INT(uri_parse_query("", &q, &n), 0);
    CHECK_EQ_INT(n, 0);
    CHECK(q == NULL);
    CHECK_EQ_INT(uri_parse_query(NULL, &q, &n), 0);
    CHECK_EQ_INT(uri_parse_query("&&&", &q, &n), 0);
    CHECK_EQ_INT(n, 0);
    CHECK(q == NULL);

    CHECK_EQ_INT(uri_parse_query("a=1&b=%zz", &q, &n), -S3E_InvalidURI);
    CHECK(q == NULL);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(uri_parse_query("%=1", &q, &n), -S3E_InvalidURI);
    uri_query_free(NULL, 0);
}
