#include "unit.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "util/hash.h"

static void hex_of(const unsigned char *p, size_t n, char *out)
{
    hash_hex(p, n, out);
}

TEST(hash_hex_roundtrip)
{
    char out[9];
    unsigned char in[4] = {0x00, 0x9f, 0xA0, 0xff}, back[4];
    hash_hex(in, 4, out);
    CHECK_EQ_STR(out, "009fa0ff");
    CHECK_EQ_INT(hash_unhex("009FA0ff", 4, back), 0);
    CHECK(memcmp(in, back, 4) == 0);
    CHECK_EQ_INT(hash_unhex("00gf", 2, back), -1);
    CHECK_EQ_INT(hash_unhex("0", 1, back), -1); /* too short: the NUL is not a hex digit */
    hash_hex(in, 0, out);
    CHECK_EQ_STR(out, "");
}

/* RFC 4648 §10 test vectors. */
TEST(hash_base64_rfc4648)
{
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char out[16];
        unsigned char back[16];
        size_t len = 99;
        size_t n = strlen(plain[i]);
        CHECK_EQ_INT(hash_base64_len(n), strlen(enc[i]));
        hash_base64_encode(plain[i], n, out);
        CHECK_EQ_STR(out, enc[i]);
        CHECK_EQ_INT(hash_base64_decode(enc[i], strlen(enc[i]), back, sizeof back, &len), 0);
        CHECK_EQ_INT(len, n);
        CHECK(memcmp(back, plain[i], n) == 0);
    }
}

TEST(hash_base64_strict)
{
    unsigned char out[16];
    size_t len;
    static const char *bad[] = {
        "Zg=",      /* length not a multiple of 4 */
        "Zg=a",     /* symbol after padding */
        "Z===",     /* three pads */
        "Zh==",     /* non-zero unused bits ("Zg==" is canonical) */
        "Zm9=",     /* ditto for one pad */
        "Zg==Zg==", /* padding in the middle */
        "Zm9v\n",   /* whitespace */
        "Zm 9",     /* space */
        "Zm-_",     /* URL alphabet */
        "====",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(hash_base64_decode(bad[i], strlen(bad[i]), out, sizeof out, &len), -1);
    /* capacity is honoured */
    CHECK_EQ_INT(hash_base64_decode("Zm9vYmFy", 8, out, 5, &len), -1);
    CHECK_EQ_INT(hash_base64_decode("Zm9vYmFy", 8, out, 6, &len), 0);
    /* every byte value round-trips */
    unsigned char all[256];
    char enc[400];
    unsigned char back[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    hash_base64_encode(all, 256, enc);
    CHECK_EQ_INT(hash_base64_decode(enc, strlen(enc), back, sizeof back, &len), 0);
    CHECK_EQ_INT(len, 256);
    CHECK(memcmp(all, back, 256) == 0);
}

/* FIPS 180 / RFC 1321 known answers. */
TEST(hash_digests_known_answers)
{
    unsigned char d[32];
    char hex[65];

    hash_sha256("", 0, d);
    hex_of(d, 32, hex);
    CHECK_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hash_sha256_hex("abc", 3, hex);
    CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hash_sha256_hex("123456789", 9, hex);
    CHECK_EQ_STR(hex, "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225");

    hash_sha1("abc", 3, d);
    hex_of(d, 20, hex);
    CHECK_EQ_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");

    hash_md5("", 0, d);
    hex_of(d, 16, hex);
    CHECK_EQ_STR(hex, "d41d8cd98f00b204e9800998ecf8427e");
    hash_md5("message digest", 14, d);
    hex_of(d, 16, hex);
    CHECK_EQ_STR(hex, "f96b697d7cb7938d525a2f31aaf161d0");
}

TEST(hash_stream_matches_oneshot)
{
    static const enum hash_algo algos[] = {HASH_MD5, HASH_SHA1, HASH_SHA256};
    char msg[1000];
    for (int i = 0; i < 1000; i++)
        msg[i] = (char)(i * 7);
    struct hash_stream h = HASH_STREAM_INIT;
    for (int a = 0; a < 3; a++) {
        unsigned char one[32], two[32];
        if (algos[a] == HASH_MD5)
            hash_md5(msg, sizeof msg, one);
        else if (algos[a] == HASH_SHA1)
            hash_sha1(msg, sizeof msg, one);
        else
            hash_sha256(msg, sizeof msg, one);
        /* the same struct is re-initialised for each algorithm */
        CHECK_EQ_INT(hash_stream_init(&h, algos[a]), 0);
        for (size_t off = 0, step = 1; off < sizeof msg; off += step, step = step * 3 % 97 + 1) {
            size_t k = off + step > sizeof msg ? sizeof msg - off : step;
            hash_stream_update(&h, msg + off, k);
        }
        CHECK_EQ_INT(hash_stream_final(&h, two), 0);
        CHECK(memcmp(one, two, hash_len(algos[a])) == 0);
    }
    hash_stream_free(&h);
    hash_stream_free(&h); /* twice is fine */
    CHECK(h.ctx == NULL);
}

/* RFC 4231 (HMAC-SHA256) and RFC 2202 (HMAC-SHA1) test cases, including keys longer than a
 * block. */
TEST(hash_hmac_rfc4231_rfc2202)
{
    unsigned char d[32], key[131];
    char hex[65];

    memset(key, 0x0b, 20);
    hash_hmac_sha256(key, 20, "Hi There", 8, d);
    hex_of(d, 32, hex);
    CHECK_EQ_STR(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

    hash_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
    hex_of(d, 32, hex);
    CHECK_EQ_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

    memset(key, 0xaa, 131);
    static const char big[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    hash_hmac_sha256(key, 131, big, strlen(big), d);
    hex_of(d, 32, hex);
    CHECK_EQ_STR(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

    memset(key, 0x0b, 20);
    hash_hmac_sha1(key, 20, "Hi There", 8, d);
    hex_of(d, 20, hex);
    CHECK_EQ_STR(hex, "b617318655057264e28bc0b6fb378c8ef146be00");

    memset(key, 0xaa, 80);
    static const char big1[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    hash_hmac_sha1(key, 80, big1, strlen(big1), d);
    hex_of(d, 20, hex);
    CHECK_EQ_STR(hex, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

TEST(hash_random)
{
    unsigned char a[32], b[32];
    CHECK_EQ_INT(hash_random_bytes(a, sizeof a), 0);
    CHECK_EQ_INT(hash_random_bytes(b, sizeof b), 0);
    CHECK(memcmp(a, b, sizeof a) != 0);

    char hex[41];
    CHECK_EQ_INT(hash_random_hex(hex, 20), 0);
    CHECK_EQ_INT(strlen(hex), 40);
    CHECK(strspn(hex, "0123456789abcdef") == 40);

    char id[200];
    CHECK_EQ_INT(hash_random_upper_alnum(id, 199), 0);
    CHECK_EQ_INT(strlen(id), 199);
    CHECK(strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == 199);
    CHECK_EQ_INT(hash_random_upper_alnum(id, 0), 0);
    CHECK_EQ_STR(id, "");
}

TEST(hash_equal_ct)
{
    CHECK(hash_equal_ct("abc", "abc"));
    CHECK(!hash_equal_ct("abc", "abd"));
    CHECK(!hash_equal_ct("abc", "abcd"));
    CHECK(!hash_equal_ct("abc", NULL));
    CHECK(!hash_equal_ct(NULL, NULL));
    CHECK(hash_equal_ct("", ""));
    CHECK(hash_equal_ct_n("a\0b", 3, "a\0b", 3));
    CHECK(!hash_equal_ct_n("a\0b", 3, "a\0c", 3));
}

/* The per-thread digest context must be independent per thread and freed at thread exit (ASan's
 * leak checker fails the run otherwise). */
static void *thread_body(void *arg)
{
    char hex[65];
    for (int i = 0; i < 200; i++)
        hash_sha256_hex("abc", 3, hex);
    *(int *)arg = strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    return NULL;
}

TEST(hash_threads)
{
    pthread_t t[4];
    int rc[4];
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(pthread_create(&t[i], NULL, thread_body, &rc[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ_INT(rc[i], 0);
    }
}
