#include "util/hash.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* ---- digest objects, fetched once ---- */

static EVP_MD *md_table[3];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch(void)
{
    md_table[HASH_MD5] = EVP_MD_fetch(NULL, "MD5", NULL);
    md_table[HASH_SHA1] = EVP_MD_fetch(NULL, "SHA1", NULL);
    md_table[HASH_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *md_get(enum hash_algo algo)
{
    pthread_once(&md_once, md_fetch);
    const EVP_MD *md = md_table[algo];
    if (!md) {
        /* Only a broken OpenSSL installation (no default provider) gets here; nothing in
         * s3trail can work without these digests, so stop loudly rather than limp. */
        fprintf(stderr, "hash: OpenSSL digest %d unavailable\n", (int)algo);
        abort();
    }
    return md;
}

size_t hash_len(enum hash_algo algo)
{
    switch (algo) {
    case HASH_MD5:
        return HASH_MD5_LEN;
    case HASH_SHA1:
        return HASH_SHA1_LEN;
    case HASH_SHA256:
        return HASH_SHA256_LEN;
    }
    return 0;
}

/*
 * One EVP_MD_CTX per thread serves every one-shot digest and HMAC, so the hot paths (a SigV4
 * verification computes seven HMACs and two SHA-256s) allocate nothing. The pthread key's
 * destructor frees the context when a worker thread exits.
 */
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static __thread EVP_MD_CTX *tls_ctx;

static void tls_destroy(void *p)
{
    EVP_MD_CTX_free(p);
    tls_ctx = NULL;
}

static void tls_key_create(void)
{
    if (pthread_key_create(&tls_key, tls_destroy) != 0) {
        fprintf(stderr, "hash: pthread_key_create failed\n");
        abort();
    }
}

static EVP_MD_CTX *tls_get(void)
{
    if (tls_ctx)
        return tls_ctx;
    pthread_once(&tls_once, tls_key_create);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c) {
        /* A few hundred bytes once per thread; if even that fails the process is lost. */
        fprintf(stderr, "hash: out of memory for a digest context\n");
        abort();
    }
    if (pthread_setspecific(tls_key, c) != 0) {
        EVP_MD_CTX_free(c);
        fprintf(stderr, "hash: pthread_setspecific failed\n");
        abort();
    }
    tls_ctx = c;
    return c;
}

static void digest_parts(enum hash_algo algo, const void *p1, size_t n1, const void *p2, size_t n2,
                         unsigned char *out)
{
    EVP_MD_CTX *c = tls_get();
    /* With a fetched software digest and an allocated context these cannot fail. */
    if (EVP_DigestInit_ex2(c, md_get(algo), NULL) != 1 || EVP_DigestUpdate(c, p1, n1) != 1 ||
        (n2 && EVP_DigestUpdate(c, p2, n2) != 1) || EVP_DigestFinal_ex(c, out, NULL) != 1) {
        fprintf(stderr, "hash: OpenSSL digest failed\n");
        abort();
    }
}

void hash_md5(const void *p, size_t n, unsigned char out[HASH_MD5_LEN])
{
    digest_parts(HASH_MD5, p, n, NULL, 0, out);
}

void hash_sha1(const void *p, size_t n, unsigned char out[HASH_SHA1_LEN])
{
    digest_parts(HASH_SHA1, p, n, NULL, 0, out);
}

void hash_sha256(const void *p, size_t n, unsigned char out[HASH_SHA256_LEN])
{
    digest_parts(HASH_SHA256, p, n, NULL, 0, out);
}

void hash_sha256_hex(const void *p, size_t n, char out[2 * HASH_SHA256_LEN + 1])
{
    unsigned char d[HASH_SHA256_LEN];
    hash_sha256(p, n, d);
    hash_hex(d, sizeof d, out);
}

/* RFC 2104 over the cached digests: both SHA-1 and SHA-256 use 64-byte blocks. Doing it here
 * rather than through OpenSSL's HMAC() avoids a MAC fetch by name and two allocations per call. */
static void hmac(enum hash_algo algo, const void *key, size_t klen, const void *msg, size_t mlen,
                 unsigned char *out)
{
    enum { BLOCK = 64 };
    unsigned char k[BLOCK], pad[BLOCK], inner[HASH_MAX_LEN];
    size_t dl = hash_len(algo);

    memset(k, 0, sizeof k);
    if (klen > BLOCK)
        digest_parts(algo, key, klen, NULL, 0, k);
    else if (klen)
        memcpy(k, key, klen);
    for (int i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    digest_parts(algo, pad, BLOCK, msg, mlen, inner);
    for (int i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    digest_parts(algo, pad, BLOCK, inner, dl, out);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
}

void hash_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                      unsigned char out[HASH_SHA256_LEN])
{
    hmac(HASH_SHA256, key, klen, msg, mlen, out);
}

void hash_hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen,
                    unsigned char out[HASH_SHA1_LEN])
{
    hmac(HASH_SHA1, key, klen, msg, mlen, out);
}

/* ---- streaming ---- */

int hash_stream_init(struct hash_stream *h, enum hash_algo algo)
{
    if (!h->ctx) {
        h->ctx = EVP_MD_CTX_new();
        if (!h->ctx)
            return -ENOMEM;
    }
    h->algo = algo;
    h->failed = EVP_DigestInit_ex2(h->ctx, md_get(algo), NULL) != 1;
    return 0;
}

void hash_stream_update(struct hash_stream *h, const void *p, size_t n)
{
    if (h->failed || n == 0)
        return;
    if (!h->ctx || EVP_DigestUpdate(h->ctx, p, n) != 1)
        h->failed = true;
}

int hash_stream_final(struct hash_stream *h, unsigned char *out)
{
    if (h->failed || !h->ctx)
        return -EIO;
    if (EVP_DigestFinal_ex(h->ctx, out, NULL) != 1)
        return -EIO;
    return 0;
}

void hash_stream_free(struct hash_stream *h)
{
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
    h->failed = false;
}

/* ---- hex ---- */

static const char hexdig[] = "0123456789abcdef";

void hash_hex(const void *p, size_t n, char *out)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdig[s[i] >> 4];
        out[2 * i + 1] = hexdig[s[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hash_unhex(const char *s, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hexval((unsigned char)s[2 * i]);
        if (hi < 0)
            return -1;
        int lo = hexval((unsigned char)s[2 * i + 1]);
        if (lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t hash_base64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void hash_base64_encode(const void *p, size_t n, char *out)
{
    const unsigned char *s = p;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = b64[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int hash_base64_decode(const char *s, size_t n, unsigned char *out, size_t cap, size_t *outlen)
{
    if (n % 4)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        bool last = i + 4 == n;
        int v[4];
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            unsigned char c = (unsigned char)s[i + j];
            if (c == '=' && last && j >= 2) {
                v[j] = 0;
                pad++;
                continue;
            }
            /* A symbol after '=' ("AB=C") or padding anywhere but the end is not base64. */
            if (pad)
                return -1;
            v[j] = b64val(c);
            if (v[j] < 0)
                return -1;
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        size_t bytes = 3 - (size_t)pad;
        /* Canonical form: the bits that padding leaves unused must be zero ("AB==" not "AC=="). */
        if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
            return -1;
        if (o + bytes > cap)
            return -1;
        out[o++] = (unsigned char)(w >> 16);
        if (bytes > 1)
            out[o++] = (unsigned char)(w >> 8);
        if (bytes > 2)
            out[o++] = (unsigned char)w;
    }
    *outlen = o;
    return 0;
}

/* ---- randomness ---- */

int hash_random_bytes(void *p, size_t n)
{
    unsigned char *q = p;
    /* RAND_bytes takes an int; feed huge requests in slices. */
    while (n) {
        int k = n > (1u << 30) ? (1 << 30) : (int)n;
        if (RAND_bytes(q, k) != 1)
            return -EIO;
        q += k;
        n -= (size_t)k;
    }
    return 0;
}

int hash_random_hex(char *out, size_t nbytes)
{
    unsigned char tmp[64];
    size_t done = 0;
    while (done < nbytes) {
        size_t k = nbytes - done < sizeof tmp ? nbytes - done : sizeof tmp;
        int rc = hash_random_bytes(tmp, k);
        if (rc)
            return rc;
        hash_hex(tmp, k, out + 2 * done);
        done += k;
    }
    out[2 * nbytes] = '\0';
    OPENSSL_cleanse(tmp, sizeof tmp);
    return 0;
}

int hash_random_upper_alnum(char *out, size_t n)
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char tmp[64];
    size_t pos = sizeof tmp, o = 0;
    while (o < n) {
        if (pos == sizeof tmp) {
            int rc = hash_random_bytes(tmp, sizeof tmp);
            if (rc)
                return rc;
            pos = 0;
        }
        unsigned char c = tmp[pos++];
        /* 252 = 7 * 36: rejecting the top four values keeps every character equally likely. */
        if (c >= 252)
            continue;
        out[o++] = set[c % 36];
    }
    out[n] = '\0';
    OPENSSL_cleanse(tmp, sizeof tmp);
    return 0;
}

/* ---- comparison ---- */

bool hash_equal_ct_n(const void *a, size_t an, const void *b, size_t bn)
{
    if (!a || !b || an != bn)
        return false;
    return an == 0 || CRYPTO_memcmp(a, b, an) == 0;
}

bool hash_equal_ct(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    return hash_equal_ct_n(a, strlen(a), b, strlen(b));
}
