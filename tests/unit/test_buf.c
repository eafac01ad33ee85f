/* util/buf: the growable buffer, XML escaping and JSON strings. */
#include <errno.h>
#include <stdlib.h>

#include "unit.h"
#include "util/buf.h"

TEST(buf_append_and_detach)
{
    struct buf b = BUF_INIT;
    CHECK_EQ_INT(buf_puts(&b, "abc"), 0);
    CHECK_EQ_INT(buf_printf(&b, "-%d-", 42), 0);
    CHECK_EQ_INT(buf_putc(&b, 'z'), 0);
    CHECK_EQ_STR(b.data, "abc-42-z");
    CHECK_EQ_INT(b.len, 8);
    char *s = buf_detach(&b);
    CHECK_EQ_STR(s, "abc-42-z");
    CHECK(b.data == NULL && b.len == 0);
    free(s);
    s = buf_detach(&b); /* an empty buffer detaches as "" */
    CHECK_EQ_STR(s, "");
    free(s);
    buf_free(&b);
}

TEST(buf_cap_limit_keeps_contents)
{
    struct buf b = BUF_INIT;
    b.cap_limit = 8;
    CHECK_EQ_INT(buf_puts(&b, "12345678"), 0);
    CHECK_EQ_INT(buf_puts(&b, "9"), -E2BIG);
    CHECK(!buf_ok(&b));
    CHECK_EQ_STR(b.data, "12345678");
    buf_reset(&b);
    CHECK(buf_ok(&b));
    CHECK_EQ_STR(b.data, "");
    buf_free(&b);
    buf_free(&b); /* twice is safe */
}

TEST(buf_xml_escaping)
{
    struct buf b = BUF_INIT;
    CHECK_EQ_INT(buf_put_xml(&b, "a<b>&\"c'\x01\t"), 0);
    CHECK_EQ_STR(b.data, "a&lt;b&gt;&amp;&quot;c&apos;&#x1;&#x9;");
    buf_reset(&b);
    CHECK_EQ_INT(buf_put_xml_elem(&b, "Key", "x&y"), 0);
    CHECK_EQ_STR(b.data, "<Key>x&amp;y</Key>");
    buf_reset(&b);
    CHECK_EQ_INT(buf_put_xml(&b, "caf\xc3\xa9"), 0); /* UTF-8 passes through */
    CHECK_EQ_STR(b.data, "caf\xc3\xa9");
    /* Invalid UTF-8 (a stray continuation byte, 0xFF, an overlong '/', a cut sequence) becomes
     * U+FFFD, one per bad byte, so the document stays well-formed; NUL stays a reference. */
    buf_reset(&b);
    CHECK_EQ_INT(buf_put_xmln(&b, "a\x80" "b\xff\xc0\xaf<\xe2\x82\0z", 11), 0);
    CHECK_EQ_STR(b.data, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd&lt;"
                         "\xef\xbf\xbd\xef\xbf\xbd&#x0;z");
    buf_free(&b);
}

TEST(buf_json_strings)
{
    struct buf b = BUF_INIT;
    CHECK_EQ_INT(buf_put_json_str(&b, "q\"\\\n\x01/\xc3\xa9"), 0);
    CHECK_EQ_STR(b.data, "\"q\\\"\\\\\\n\\u0001/\xc3\xa9\"");
    buf_reset(&b);
    /* Invalid UTF-8 (a lone continuation byte, an overlong form, a surrogate) becomes U+FFFD. */
    CHECK_EQ_INT(buf_put_json_str(&b, "a\x80" "b\xc0\xaf" "c\xed\xa0\x80"), 0);
    CHECK_EQ_STR(b.data, "\"a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    buf_free(&b);
}
