#include "unit.h"

#include <stdlib.h>

#include "auth/chunked.h"
#include "s3/errors.h"
#include "util/checksum.h"

/*
 * The signed examples are the S3 API reference's (sigv4-streaming, sigv4-streaming-trailers):
 * 65536 + 1024 bytes of 'a', AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY,
 * 20130524T000000Z, us-east-1, with the documented seed and chunk signatures. The unsigned
 * trailer framing is botocore's (httpchecksum.AwsChunkedWrapper: "%x\r\n<data>\r\n" ...
 * "0\r\n<name>:<b64>\r\n\r\n").
 */

#define SEED "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
#define SIG1 "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
#define SIG2 "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
#define SIG3 "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
#define TSEED "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
#define TSIG1 "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2"
#define TSIG2 "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7"
#define TSIG3 "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"
#define TRSIG "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"

struct sink {
    struct buf data;
    int fail_after; /* abort once this many bytes arrived (0 = never) */
};

static int sink_out(void *arg, const char *p, size_t n)
{
    struct sink *s = arg;
    if (buf_append(&s->data, p, n))
        return -S3E_InternalError;
    if (s->fail_after && s->data.len >= (size_t)s->fail_after)
        return 12345;
    return 0;
}

static void doc_cfg(struct chunked_cfg *cfg, enum chunked_mode mode, struct sink *s)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->mode = mode;
    sigv4_signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3",
                      cfg->key);
    cfg->amz_date = "20130524T000000Z";
    cfg->scope = "20130524/us-east-1/s3/aws4_request";
    cfg->seed_signature = mode == CHUNKED_SIGNED ? SEED : TSEED;
    cfg->trailer_names = mode == CHUNKED_SIGNED ? NULL : "x-amz-checksum-crc32c";
    cfg->out = sink_out;
    cfg->arg = s;
}

/* The documented body; `trailer` selects the sigv4-streaming-trailers variant. */
static void doc_body(struct buf *b, bool trailer)
{
    char *a = malloc(65536);
    memset(a, 'a', 65536);
    buf_puts(b, "10000;chunk-signature=");
    buf_puts(b, trailer ? TSIG1 : SIG1);
    buf_puts(b, "\r\n");
    buf_append(b, a, 65536);
    buf_puts(b, "\r\n400;chunk-signature=");
    buf_puts(b, trailer ? TSIG2 : SIG2);
    buf_puts(b, "\r\n");
    buf_append(b, a, 1024);
    buf_puts(b, "\r\n0;chunk-signature=");
    buf_puts(b, trailer ? TSIG3 : SIG3);
    buf_puts(b, "\r\n");
    if (trailer)
        buf_puts(b, "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:" TRSIG "\r\n");
    buf_puts(b, "\r\n");
    free(a);
}

/* Feeds body in pieces of `step` bytes (0 = all at once); returns the first error or finish's. */
static int run(struct chunked_cfg *cfg, const char *body, size_t len, size_t step,
               struct chunked *c_out)
{
    struct chunked c;
    int rc = chunked_init(&c, cfg);
    for (size_t off = 0; !rc && off < len;) {
        size_t k = step && len - off > step ? step : len - off;
        rc = chunked_feed(&c, body + off, k);
        off += k;
    }
    if (!rc)
        rc = chunked_finish(&c);
    if (c_out)
        *c_out = c;
    else
        chunked_close(&c);
    return rc;
}

static bool all_a(const struct buf *b, size_t n)
{
    if (b->len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (b->data[i] != 'a')
            return false;
    return true;
}

TEST(chunked_aws_signed_example)
{
    struct buf body = BUF_INIT;
    doc_body(&body, false);
    CHECK_EQ_INT(body.len, 66824); /* the documented Content-Length */
    static const size_t steps[] = {0, 1, 2, 3, 7, 64, 1000, 65536, 65537};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct sink s = {BUF_INIT, 0};
        struct chunked_cfg cfg;
        struct chunked c;
        doc_cfg(&cfg, CHUNKED_SIGNED, &s);
        CHECK_EQ_INT(run(&cfg, body.data, body.len, steps[i], &c), 0);
        CHECK(chunked_done(&c));
        CHECK_EQ_INT(chunked_decoded_len(&c), 66560);
        CHECK(all_a(&s.data, 66560));
        chunked_close(&c);
        buf_free(&s.data);
    }
    /* without the final empty line the stream is still complete */
    struct sink s = {BUF_INIT, 0};
    struct chunked_cfg cfg;
    doc_cfg(&cfg, CHUNKED_SIGNED, &s);
    CHECK_EQ_INT(run(&cfg, body.data, body.len - 2, 0, NULL), 0);
    buf_free(&s.data);
    buf_free(&body);
}

TEST(chunked_aws_signed_trailer_example)
{
    struct buf body = BUF_INIT;
    doc_body(&body, true);
    static const size_t steps[] = {0, 1, 5, 4096};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct sink s = {BUF_INIT, 0};
        struct chunked_cfg cfg;
        struct chunked c;
        doc_cfg(&cfg, CHUNKED_SIGNED_TRAILER, &s);
        CHECK_EQ_INT(run(&cfg, body.data, body.len, steps[i], &c), 0);
        CHECK(all_a(&s.data, 66560));
        CHECK_EQ_STR(chunked_trailer(&c, "x-amz-checksum-crc32c"), "sOO8/Q==");
        CHECK_EQ_STR(chunked_trailer(&c, "X-Amz-Checksum-CRC32C"), "sOO8/Q==");
        CHECK(chunked_trailer(&c, "x-amz-trailer-signature") == NULL);
        /* what the caller does next: the trailer against the data it received */
        char b64[CKSUM_B64_MAX];
        CHECK_EQ_INT(cksum_compute(CK_CRC32C, s.data.data, s.data.len, NULL, b64), 0);
        CHECK_EQ_STR(b64, chunked_trailer(&c, "x-amz-checksum-crc32c"));
        chunked_close(&c);
        buf_free(&s.data);
    }

    /* a changed trailer value, or a trailer signature that is missing, fails */
    struct sink s = {BUF_INIT, 0};
    struct chunked_cfg cfg;
    char *p = strstr(body.data, "sOO8/Q==");
    p[0] = 't';
    doc_cfg(&cfg, CHUNKED_SIGNED_TRAILER, &s);
    CHECK_EQ_INT(run(&cfg, body.data, body.len, 0, NULL), -S3E_SignatureDoesNotMatch);
    p[0] = 's';
    p = strstr(body.data, "x-amz-trailer-signature");
    memcpy(p, "x-amz-trailer-signaturX", 23); /* now an undeclared trailer */
    buf_reset(&s.data);
    CHECK_EQ_INT(run(&cfg, body.data, body.len, 0, NULL), -S3E_InvalidRequest);
    buf_free(&s.data);
    buf_free(&body);

    /* signature line dropped entirely */
    struct buf b2 = BUF_INIT;
    doc_body(&b2, true);
    char *sigline = strstr(b2.data, "x-amz-trailer-signature:");
    memmove(sigline, sigline + 90, b2.len - (size_t)(sigline + 90 - b2.data) + 1);
    b2.len -= 90;
    struct sink s2 = {BUF_INIT, 0};
    doc_cfg(&cfg, CHUNKED_SIGNED_TRAILER, &s2);
    CHECK_EQ_INT(run(&cfg, b2.data, b2.len, 0, NULL), -S3E_SignatureDoesNotMatch);
    buf_free(&s2.data);
    buf_free(&b2);
}

/* botocore's STREAMING-UNSIGNED-PAYLOAD-TRAILER framing with a CRC32 trailer. */
static void unsigned_body(struct buf *b, const char *data, size_t n, size_t chunk, const char *tr)
{
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        buf_printf(b, "%zx\r\n", k);
        buf_append(b, data + off, k);
        buf_puts(b, "\r\n");
    }
    buf_puts(b, "0\r\n");
    buf_puts(b, tr);
    buf_puts(b, "\r\n");
}

TEST(chunked_unsigned_trailer)
{
    char data[3000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)(i * 31 + 1);
    char crc[CKSUM_B64_MAX], tr[80];
    CHECK_EQ_INT(cksum_compute(CK_CRC32, data, sizeof data, NULL, crc), 0);
    snprintf(tr, sizeof tr, "x-amz-checksum-crc32:%s\r\n", crc);
    struct buf body = BUF_INIT;
    unsigned_body(&body, data, sizeof data, 1024, tr);

    for (size_t step = 0; step < 40; step += 13) {
        struct sink s = {BUF_INIT, 0};
        struct chunked_cfg cfg = {CHUNKED_UNSIGNED_TRAILER};
        cfg.trailer_names = "x-amz-checksum-crc32";
        cfg.out = sink_out;
        cfg.arg = &s;
        struct chunked c;
        CHECK_EQ_INT(run(&cfg, body.data, body.len, step, &c), 0);
        CHECK_EQ_INT(chunked_decoded_len(&c), sizeof data);
        CHECK(s.data.len == sizeof data && memcmp(s.data.data, data, sizeof data) == 0);
        CHECK_EQ_STR(chunked_trailer(&c, "x-amz-checksum-crc32"), crc);
        chunked_close(&c);
        buf_free(&s.data);
    }

    struct chunked_cfg cfg = {CHUNKED_UNSIGNED_TRAILER};
    cfg.trailer_names = " x-amz-checksum-crc32 ";
    /* the empty body: botocore sends "0\r\n<trailer>\r\n\r\n" */
    static const char empty[] = "0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
    struct chunked c;
    CHECK_EQ_INT(run(&cfg, empty, strlen(empty), 1, &c), 0);
    CHECK_EQ_STR(chunked_trailer(&c, "x-amz-checksum-crc32"), "AAAAAA==");
    CHECK_EQ_INT(chunked_decoded_len(&c), 0);
    chunked_close(&c);
    /* chunk signatures and a trailer signature in unsigned mode are ignored */
    static const char extra[] =
        "3;chunk-signature=" SIG1 "\r\nabc\r\n0\r\n"
        "x-amz-checksum-crc32:NSRBwg==\r\nx-amz-trailer-signature:" SIG2 "\r\n\r\n";
    CHECK_EQ_INT(run(&cfg, extra, strlen(extra), 0, NULL), 0);
    /* declared but not sent; sent twice; sent but not declared */
    static const char none[] = "3\r\nabc\r\n0\r\n\r\n";
    CHECK_EQ_INT(run(&cfg, none, strlen(none), 0, NULL), -S3E_InvalidRequest);
    static const char twice[] =
        "0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
    CHECK_EQ_INT(run(&cfg, twice, strlen(twice), 0, NULL), -S3E_InvalidRequest);
    static const char other[] = "0\r\nx-amz-checksum-sha1:AAAAAA==\r\n\r\n";
    CHECK_EQ_INT(run(&cfg, other, strlen(other), 0, NULL), -S3E_InvalidRequest);
    static const char noval[] = "0\r\nx-amz-checksum-crc32\r\n\r\n";
    CHECK_EQ_INT(run(&cfg, noval, strlen(noval), 0, NULL), -S3E_InvalidRequest);
    /* nothing declared, nothing sent */
    cfg.trailer_names = NULL;
    CHECK_EQ_INT(run(&cfg, none, strlen(none), 0, NULL), 0);
    buf_free(&body);
}

/* Every prefix that stops before the final chunk is complete is an incomplete body. */
TEST(chunked_truncated)
{
    struct buf body = BUF_INIT;
    doc_body(&body, false);
    size_t final_line_end = body.len - 2; /* just before the last empty line */
    size_t cuts[] = {0,
                     1,
                     5,
                     86,
                     87,
                     88,
                     100,
                     65536,
                     65623,
                     65624,
                     65625,
                     65626,
                     65700,
                     66700,
                     66730,
                     final_line_end - 1,
                     final_line_end - 3};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        struct sink s = {BUF_INIT, 0};
        struct chunked_cfg cfg;
        doc_cfg(&cfg, CHUNKED_SIGNED, &s);
        int rc = run(&cfg, body.data, cuts[i], 0, NULL);
        if (rc != -S3E_IncompleteBody)
            fprintf(stderr, "  cut at %zu gave %d\n", cuts[i], rc);
        CHECK_EQ_INT(rc, -S3E_IncompleteBody);
        buf_free(&s.data);
    }
    /* a lone CR of the last line is not a line boundary */
    struct sink s = {BUF_INIT, 0};
    struct chunked_cfg cfg;
    doc_cfg(&cfg, CHUNKED_SIGNED, &s);
    CHECK_EQ_INT(run(&cfg, body.data, body.len - 1, 0, NULL), -S3E_IncompleteBody);
    buf_free(&s.data);

    /* trailer mode: stopping after the final chunk but before the declared trailer */
    struct buf tb = BUF_INIT;
    doc_body(&tb, true);
    char *t = strstr(tb.data, "x-amz-checksum-crc32c:");
    doc_cfg(&cfg, CHUNKED_SIGNED_TRAILER, &s);
    CHECK_EQ_INT(run(&cfg, tb.data, (size_t)(t - tb.data), 0, NULL), -S3E_SignatureDoesNotMatch);
    buf_free(&s.data);
    buf_free(&tb);
    buf_free(&body);
}

TEST(chunked_bad_signatures)
{
    struct buf body = BUF_INIT;
    doc_body(&body, false);
    struct sink s = {BUF_INIT, 0};
    struct chunked_cfg cfg;
    doc_cfg(&cfg, CHUNKED_SIGNED, &s);

    /* one hex digit of the second chunk's signature */
    char *sig2 = strstr(body.data, SIG2);
    sig2[10] = sig2[10] == '0' ? '1' : '0';
    CHECK_EQ_INT(run(&cfg, body.data, body.len, 0, NULL), -S3E_SignatureDoesNotMatch);
    /* the first chunk's data got through before the second chunk failed: provisional data */
    CHECK_EQ_INT(s.data.len, 65536 + 1024);
    sig2[10] = SIG2[10];

    /* one data byte */
    body.data[200] = 'b';
    buf_reset(&s.data);
    CHECK_EQ_INT(run(&cfg, body.data, body.len, 3, NULL), -S3E_SignatureDoesNotMatch);
    body.data[200] = 'a';

    /* the final (empty) chunk's signature guards the end of the data */
    char *sig3 = strstr(body.data, SIG3);
    sig3[0] = 'c';
    CHECK_EQ_INT(run(&cfg, body.data, body.len, 0, NULL), -S3E_SignatureDoesNotMatch);
    sig3[0] = SIG3[0];

    /* a wrong seed (another request's signature) breaks the whole chain */
    cfg.seed_signature = SIG1;
    CHECK_EQ_INT(run(&cfg, body.data, body.len, 0, NULL), -S3E_SignatureDoesNotMatch);
    cfg.seed_signature = SEED;

    /* chunks reordered or dropped: the chain notices */
    static const char no_sig[] = "3\r\nabc\r\n0\r\n\r\n";
    CHECK_EQ_INT(run(&cfg, no_sig, strlen(no_sig), 0, NULL), -S3E_SignatureDoesNotMatch);
    static const char upper[] =
        "0;chunk-signature="
        "B6C6EA8A5354EAF15B3CB7646744F4275B71EA724FED81CEB9323E279D449DF9\r\n\r\n";
    CHECK_EQ_INT(run(&cfg, upper, strlen(upper), 0, NULL), -S3E_SignatureDoesNotMatch);
    static const char only_final[] = "0;chunk-signature=" SIG3 "\r\n\r\n";
    CHECK_EQ_INT(run(&cfg, only_final, strlen(only_final), 0, NULL), -S3E_SignatureDoesNotMatch);

    /* sticky: the error repeats */
    struct chunked c;
    CHECK_EQ_INT(chunked_init(&c, &cfg), 0);
    CHECK_EQ_INT(chunked_feed(&c, no_sig, strlen(no_sig)), -S3E_SignatureDoesNotMatch);
    CHECK_EQ_INT(chunked_feed(&c, "x", 1), -S3E_SignatureDoesNotMatch);
    CHECK_EQ_INT(chunked_finish(&c), -S3E_SignatureDoesNotMatch);
    CHECK(!chunked_done(&c));
    chunked_close(&c);
    buf_free(&s.data);
    buf_free(&body);
}

TEST(chunked_malformed_framing)
{
    struct chunked_cfg cfg = {CHUNKED_UNSIGNED_TRAILER};
    static const struct {
        const char *body;
        int rc;
    } cases[] = {
        {"zz\r\n", -S3E_InvalidRequest},                   /* not hex */
        {";x=1\r\n", -S3E_InvalidRequest},                 /* no size */
        {"3 \r\nabc\r\n", -S3E_InvalidRequest},            /* junk after the size */
        {"3\nabc\r\n", -S3E_InvalidRequest},               /* bare LF */
        {"3\r\nabcX\r\n", -S3E_InvalidRequest},            /* data longer than announced */
        {"3\r\nabc\rX", -S3E_InvalidRequest},              /* CR not followed by LF */
        {"3\r\nab\r\n", -S3E_InvalidRequest},              /* '\r' eaten as data, then '\n' */
        {"11111111111111111\r\n", -S3E_InvalidRequest},    /* 17 significant hex digits */
        {"0\r\n\r\n\r\n", -S3E_InvalidRequest},            /* bytes after the end */
        {"0\r\nx\r\r\n\r\n", -S3E_InvalidRequest},         /* CR inside a line */
        {"0\r\n: v\r\n\r\n", -S3E_InvalidRequest},         /* empty trailer name */
        {"0000000000000000000003\r\nabc\r\n0\r\n\r\n", 0}, /* leading zeros are fine */
        {"A\r\n0123456789\r\n0\r\n\r\n", 0},               /* upper-case hex */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = run(&cfg, cases[i].body, strlen(cases[i].body), 0, NULL);
        if (rc != cases[i].rc)
            fprintf(stderr, "  case %zu gave %d\n", i, rc);
        CHECK_EQ_INT(rc, cases[i].rc);
        CHECK_EQ_INT(run(&cfg, cases[i].body, strlen(cases[i].body), 1, NULL), cases[i].rc);
    }

    /* an over-long chunk header line, whether it ends or not */
    struct buf b = BUF_INIT;
    buf_puts(&b, "3;");
    for (int i = 0; i < CHUNKED_LINE_MAX; i++)
        buf_putc(&b, 'x');
    CHECK_EQ_INT(run(&cfg, b.data, b.len, 0, NULL), -S3E_InvalidRequest);
    CHECK_EQ_INT(run(&cfg, b.data, b.len, 1, NULL), -S3E_InvalidRequest);
    buf_puts(&b, "\r\nabc\r\n0\r\n\r\n");
    CHECK_EQ_INT(run(&cfg, b.data, b.len, 100, NULL), -S3E_InvalidRequest);
    /* the longest allowed line passes */
    buf_reset(&b);
    buf_puts(&b, "3;");
    for (int i = 0; i < CHUNKED_LINE_MAX - 2; i++)
        buf_putc(&b, 'x');
    buf_puts(&b, "\r\nabc\r\n0\r\n\r\n");
    CHECK_EQ_INT(run(&cfg, b.data, b.len, 0, NULL), 0);
    buf_free(&b);

    /* an over-long trailer value */
    struct buf t = BUF_INIT;
    buf_puts(&t, "0\r\nx-amz-checksum-crc32:");
    for (int i = 0; i < CHUNKED_TRAILER_VALUE_MAX; i++)
        buf_putc(&t, 'A');
    buf_puts(&t, "\r\n\r\n");
    cfg.trailer_names = "x-amz-checksum-crc32";
    CHECK_EQ_INT(run(&cfg, t.data, t.len, 0, NULL), -S3E_InvalidRequest);
    buf_free(&t);

    /* a signed-mode stream may not carry trailers */
    struct sink s = {BUF_INIT, 0};
    struct chunked_cfg sc;
    doc_cfg(&sc, CHUNKED_SIGNED, &s);
    static const char trailing[] =
        "0;chunk-signature=" SIG1 "\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
    CHECK(run(&sc, trailing, strlen(trailing), 0, NULL) != 0);
    buf_free(&s.data);
}

TEST(chunked_callback_abort_and_min_size)
{
    char data[20000];
    memset(data, 'q', sizeof data);
    struct buf body = BUF_INIT;
    unsigned_body(&body, data, sizeof data, 8192, "");
    struct sink s = {BUF_INIT, 100};
    struct chunked_cfg cfg = {CHUNKED_UNSIGNED_TRAILER};
    cfg.out = sink_out;
    cfg.arg = &s;
    CHECK_EQ_INT(run(&cfg, body.data, body.len, 7, NULL), 12345);
    CHECK(s.data.len < 200);
    buf_free(&s.data);

    /* 8192, 8192, 3616, 0 with the AWS minimum: fine */
    cfg.out = NULL;
    cfg.min_chunk_size = 8192;
    CHECK_EQ_INT(run(&cfg, body.data, body.len, 0, NULL), 0);
    /* a small chunk followed by another: refused */
    buf_reset(&body);
    unsigned_body(&body, data, sizeof data, 4000, "");
    CHECK_EQ_INT(run(&cfg, body.data, body.len, 0, NULL), -S3E_InvalidChunkSizeError);
    cfg.min_chunk_size = 0;
    CHECK_EQ_INT(run(&cfg, body.data, body.len, 0, NULL), 0);
    buf_free(&body);
}

TEST(chunked_init_and_modes)
{
    enum chunked_mode m;
    CHECK_EQ_INT(chunked_mode_from_header("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", &m), 0);
    CHECK_EQ_INT(m, CHUNKED_SIGNED);
    CHECK_EQ_INT(chunked_mode_from_header("STREAMING-UNSIGNED-PAYLOAD-TRAILER", &m), 0);
    CHECK_EQ_INT(m, CHUNKED_UNSIGNED_TRAILER);
    CHECK_EQ_INT(chunked_mode_from_header("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", &m), 0);
    CHECK_EQ_INT(m, CHUNKED_SIGNED_TRAILER);
    CHECK_EQ_INT(chunked_mode_from_header("UNSIGNED-PAYLOAD", &m), -1);
    CHECK_EQ_INT(chunked_mode_from_header("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", &m), -1);
    CHECK_EQ_INT(chunked_mode_from_header(NULL, &m), -1);

    struct chunked c;
    struct sink s = {BUF_INIT, 0};
    struct chunked_cfg cfg;
    doc_cfg(&cfg, CHUNKED_SIGNED, &s);
    cfg.seed_signature = "nothex";
    CHECK_EQ_INT(chunked_init(&c, &cfg), -S3E_InternalError);
    chunked_close(&c);
    doc_cfg(&cfg, CHUNKED_SIGNED, &s);
    cfg.amz_date = "2013";
    CHECK_EQ_INT(chunked_init(&c, &cfg), -S3E_InternalError);
    chunked_close(&c);
    chunked_close(&c); /* twice is fine */

    struct chunked_cfg u = {CHUNKED_UNSIGNED_TRAILER};
    u.trailer_names = "a,b,c,d,e,f,g,h,i";
    CHECK_EQ_INT(chunked_init(&c, &u), -S3E_InvalidRequest);
    chunked_close(&c);
    u.trailer_names = "a,,b";
    CHECK_EQ_INT(chunked_init(&c, &u), -S3E_InvalidRequest);
    chunked_close(&c);
    u.trailer_names = "a,A";
    CHECK_EQ_INT(chunked_init(&c, &u), -S3E_InvalidRequest);
    chunked_close(&c);
    u.trailer_names = "X-Amz-Checksum-SHA256, x-amz-checksum-crc32,";
    CHECK_EQ_INT(chunked_init(&c, &u), 0);
    CHECK_EQ_INT(c.ntrailers, 2);
    CHECK_EQ_STR(c.trailers[0].name, "x-amz-checksum-sha256");
    chunked_close(&c);
}
