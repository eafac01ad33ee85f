#include "auth/sigv4.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "s3/errors.h"
#include "util/hash.h"

#define EMPTY_SHA256_HEX "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* buf and allocation failures leave this module as S3 errors, never as raw -errno (the two
 * number spaces overlap). */
static int s3_err(int rc)
{
    return rc ? s3err_from_errno(rc) : 0;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char to_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool copy_field(char *dst, size_t cap, const char *s, size_t n)
{
    if (n == 0 || n >= cap)
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

/* "AK/20130524/us-east-1/s3/aws4_request". Split from the right: the last four components have
 * fixed meaning, and whatever precedes them is the access key. */
static bool parse_credential(const char *s, size_t n, struct sigv4_params *p)
{
    const char *sl[4];
    int found = 0;
    for (size_t i = n; i-- > 0 && found < 4;)
        if (s[i] == '/')
            sl[3 - found++] = s + i;
    if (found < 4)
        return false;
    const char *end = s + n;
    if (!copy_field(p->access_key, sizeof p->access_key, s, (size_t)(sl[0] - s)))
        return false;
    if (!copy_field(p->date, sizeof p->date, sl[0] + 1, (size_t)(sl[1] - sl[0] - 1)) ||
        strlen(p->date) != 8)
        return false;
    for (int i = 0; i < 8; i++)
        if (!is_digit(p->date[i]))
            return false;
    if (!copy_field(p->region, sizeof p->region, sl[1] + 1, (size_t)(sl[2] - sl[1] - 1)))
        return false;
    if (!copy_field(p->service, sizeof p->service, sl[2] + 1, (size_t)(sl[3] - sl[2] - 1)))
        return false;
    static const char term[] = "aws4_request";
    return (size_t)(end - sl[3] - 1) == sizeof term - 1 &&
           memcmp(sl[3] + 1, term, sizeof term - 1) == 0;
}

/* "host;x-amz-date": non-empty names separated by single ';', nothing that would break the
 * canonical request's line structure. */
static bool parse_signed_headers(const char *s, size_t n, struct sigv4_params *p)
{
    if (!copy_field(p->signed_headers, sizeof p->signed_headers, s, n))
        return false;
    bool empty = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ';') {
            if (empty)
                return false;
            empty = true;
        } else if (c <= ' ' || c >= 0x7f || c == ',' || c == ':') {
            return false;
        } else {
            empty = false;
        }
    }
    return !empty;
}

static bool parse_signature(const char *s, size_t n, struct sigv4_params *p)
{
    if (n != 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return false;
    memcpy(p->signature, s, 64);
    p->signature[64] = '\0';
    return true;
}

int sigv4_parse_authorization(const char *value, struct sigv4_params *out)
{
    static const char alg[] = SIGV4_ALGORITHM;
    memset(out, 0, sizeof *out);
    if (!value)
        return -S3E_AuthorizationHeaderMalformed;
    const char *p = value;
    while (is_ws(*p))
        p++;
    if (strncmp(p, alg, sizeof alg - 1) != 0 || !is_ws(p[sizeof alg - 1]))
        return -S3E_AuthorizationHeaderMalformed;
    p += sizeof alg - 1;

    bool got_cred = false, got_sh = false, got_sig = false;
    for (;;) {
        while (is_ws(*p) || *p == ',')
            p++;
        if (!*p)
            break;
        const char *k = p;
        while (*p && *p != '=' && *p != ',' && !is_ws(*p))
            p++;
        if (*p != '=')
            return -S3E_AuthorizationHeaderMalformed;
        size_t klen = (size_t)(p - k);
        const char *v = ++p;
        while (*p && *p != ',' && !is_ws(*p))
            p++;
        size_t vlen = (size_t)(p - v);
        bool ok;
        if (klen == 10 && memcmp(k, "Credential", 10) == 0) {
            ok = !got_cred && parse_credential(v, vlen, out);
            got_cred = true;
        } else if (klen == 13 && memcmp(k, "SignedHeaders", 13) == 0) {
            ok = !got_sh && parse_signed_headers(v, vlen, out);
            got_sh = true;
        } else if (klen == 9 && memcmp(k, "Signature", 9) == 0) {
            ok = !got_sig && parse_signature(v, vlen, out);
            got_sig = true;
        } else {
            ok = false;
        }
        if (!ok)
            return -S3E_AuthorizationHeaderMalformed;
    }
    if (!got_cred || !got_sh || !got_sig)
        return -S3E_AuthorizationHeaderMalformed;
    return 0;
}

int sigv4_parse_presigned(const struct query_param *q, size_t n, struct sigv4_params *out)
{
    static const char *const names[] = {"X-Amz-Algorithm",     "X-Amz-Credential",
                                        "X-Amz-Date",          "X-Amz-Expires",
                                        "X-Amz-SignedHeaders", "X-Amz-Signature"};
    const char *v[6];
    bool any = false, all = true;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < 6; i++) {
        v[i] = uri_query_get(q, n, names[i]);
        any |= v[i] != NULL;
        all &= v[i] != NULL;
    }
    if (!any)
        return 1;
    if (!all || strcmp(v[0], SIGV4_ALGORITHM) != 0 || !parse_credential(v[1], strlen(v[1]), out))
        return -S3E_AuthorizationQueryParametersError;
    time_t t;
    if (strlen(v[2]) != 16 || sigv4_parse_amz_date(v[2], &t) != 0 ||
        memcmp(v[2], out->date, 8) != 0)
        return -S3E_AuthorizationQueryParametersError;
    memcpy(out->amz_date, v[2], 17);
    /* At most 7 digits: 604800 is the ceiling, and a bound keeps the arithmetic trivially safe. */
    size_t el = strlen(v[3]);
    if (el == 0 || el > 7)
        return -S3E_AuthorizationQueryParametersError;
    long long e = 0;
    for (size_t i = 0; i < el; i++) {
        if (!is_digit(v[3][i]))
            return -S3E_AuthorizationQueryParametersError;
        e = e * 10 + (v[3][i] - '0');
    }
    if (e < 1 || e > 604800)
        return -S3E_AuthorizationQueryParametersError;
    out->expires = e;
    if (!parse_signed_headers(v[4], strlen(v[4]), out) || !parse_signature(v[5], strlen(v[5]), out))
        return -S3E_AuthorizationQueryParametersError;
    out->presigned = true;
    return 0;
}

/* First header called `name` (case-insensitive), value trimmed: *len bytes from the return. */
static const char *header_get(const struct sigv4_input *in, const char *name, size_t *len)
{
    for (size_t i = 0; i < in->n_headers; i++) {
        if (in->headers[i].name && strcasecmp(in->headers[i].name, name) == 0) {
            const char *v = in->headers[i].value ? in->headers[i].value : "";
            while (is_ws(*v))
                v++;
            size_t l = strlen(v);
            while (l && is_ws(v[l - 1]))
                l--;
            *len = l;
            return v;
        }
    }
    return NULL;
}

static int date_from(const char *v, size_t len, time_t *t)
{
    char tmp[64];
    if (len >= sizeof tmp)
        return -EINVAL;
    memcpy(tmp, v, len);
    tmp[len] = '\0';
    if (sigv4_parse_amz_date(tmp, t) == 0)
        return 0;
    return sigv4_parse_http_date(tmp, t);
}

int sigv4_request_time(const struct sigv4_input *in, struct sigv4_params *p, time_t *t)
{
    size_t len;
    const char *v = header_get(in, "x-amz-date", &len);
    if (!v)
        v = header_get(in, "date", &len);
    if (!v || date_from(v, len, t) != 0 || sigv4_format_amz_date(*t, p->amz_date) != 0)
        return -S3E_AccessDenied;
    if (memcmp(p->amz_date, p->date, 8) != 0)
        return -S3E_AuthorizationHeaderMalformed;
    return 0;
}

/* ---- canonical request ---- */

static int decode_piece(const char *s, size_t n, bool plus_space, char **out, size_t *len)
{
    return plus_space ? uri_decode_form(s, n, out, len) : uri_decode(s, n, out, len);
}

static int canon_uri(struct buf *b, const char *raw, bool plus_space)
{
    if (!raw || !*raw)
        return s3_err(buf_putc(b, '/'));
    const char *p = raw;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len) {
            char *d;
            size_t dl;
            int rc = decode_piece(p, len, plus_space, &d, &dl);
            if (rc)
                return rc;
            rc = uri_encode(b, d, dl, true);
            free(d);
            if (rc)
                return s3_err(rc);
        }
        if (!slash)
            return 0;
        int rc = buf_putc(b, '/');
        if (rc)
            return s3_err(rc);
        p = slash + 1;
    }
}

struct qpair {
    const char *name;
    const char *value;
};

static int qpair_cmp(const void *a, const void *b)
{
    const struct qpair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

/* Re-encodes every piece into one scratch buffer ("name\0value\0" ...), then sorts pointers into
 * it; the scratch buffer is complete before any pointer is taken, as it may move while growing. */
static int canon_query(struct buf *b, const char *raw, bool presigned, bool plus_space)
{
    if (!raw || !*raw)
        return 0;
    size_t cap = 1;
    for (const char *p = raw; *p; p++)
        cap += *p == '&';
    size_t *offs = malloc(cap * 2 * sizeof *offs);
    struct qpair *pairs = malloc(cap * sizeof *pairs);
    struct buf s = BUF_INIT;
    size_t cnt = 0;
    int rc = 0;
    if (!offs || !pairs) {
        rc = s3err_from_errno(-ENOMEM);
        goto out;
    }
    for (const char *p = raw; *p;) {
        const char *end = strchr(p, '&');
        if (!end)
            end = p + strlen(p);
        if (end > p) {
            const char *eq = memchr(p, '=', (size_t)(end - p));
            const char *ne = eq ? eq : end;
            const char *vs = eq ? eq + 1 : end;
            size_t mark = s.len;
            char *d;
            size_t dl;
            offs[2 * cnt] = s.len;
            if ((rc = decode_piece(p, (size_t)(ne - p), plus_space, &d, &dl)) != 0)
                goto out;
            rc = uri_encode(&s, d, dl, true);
            free(d);
            if (rc || (rc = buf_putc(&s, '\0')) != 0) {
                rc = s3_err(rc);
                goto out;
            }
            offs[2 * cnt + 1] = s.len;
            if ((rc = decode_piece(vs, (size_t)(end - vs), plus_space, &d, &dl)) != 0)
                goto out;
            rc = uri_encode(&s, d, dl, true);
            free(d);
            if (rc || (rc = buf_putc(&s, '\0')) != 0) {
                rc = s3_err(rc);
                goto out;
            }
            /* The signature cannot sign itself: presigned URLs leave it out of the canonical
             * query (compared encoded, which for this name is the name itself). */
            if (presigned && strcmp(s.data + offs[2 * cnt], "X-Amz-Signature") == 0) {
                s.len = mark;
                s.data[mark] = '\0';
            } else {
                cnt++;
            }
        }
        p = *end ? end + 1 : end;
    }
    for (size_t i = 0; i < cnt; i++) {
        pairs[i].name = s.data + offs[2 * i];
        pairs[i].value = s.data + offs[2 * i + 1];
    }
    qsort(pairs, cnt, sizeof *pairs, qpair_cmp);
    for (size_t i = 0; i < cnt; i++) {
        if (i)
            buf_putc(b, '&');
        buf_puts(b, pairs[i].name);
        buf_putc(b, '=');
        buf_puts(b, pairs[i].value);
    }
    if (!buf_ok(b))
        rc = s3err_from_errno(-ENOMEM);
out:
    free(offs);
    free(pairs);
    buf_free(&s);
    return rc;
}

/* Trimmed value with every internal whitespace run collapsed to one space (SigV4's Trimall). */
static void put_trimall(struct buf *b, const char *v)
{
    bool pending = false, wrote = false;
    for (; v && *v; v++) {
        if (is_ws(*v)) {
            pending = true;
            continue;
        }
        if (pending && wrote)
            buf_putc(b, ' ');
        buf_putc(b, *v);
        pending = false;
        wrote = true;
    }
}

static void canon_headers(struct buf *b, const struct sigv4_input *in, const char *signed_headers)
{
    const char *p = signed_headers;
    while (*p) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        for (size_t i = 0; i < len; i++)
            buf_putc(b, to_lower(p[i]));
        buf_putc(b, ':');
        bool first = true;
        for (size_t i = 0; i < in->n_headers; i++) {
            const char *hn = in->headers[i].name;
            if (!hn || strlen(hn) != len || strncasecmp(hn, p, len) != 0)
                continue;
            if (!first)
                buf_putc(b, ',');
            first = false;
            put_trimall(b, in->headers[i].value);
        }
        buf_putc(b, '\n');
        p = e ? e + 1 : p + len;
    }
}

int sigv4_canonical_request(const struct sigv4_input *in, const struct sigv4_params *p,
                            const char *payload_hash, struct buf *out)
{
    int rc;
    char *qhash = NULL;
    size_t hlen = 0;
    const char *hash = payload_hash;
    if (hash) {
        hlen = strlen(hash);
    } else if ((hash = header_get(in, "x-amz-content-sha256", &hlen)) != NULL) {
        /* the header value, trimmed */
    } else if (p->presigned) {
        struct query_param *q;
        size_t n;
        if ((rc = uri_parse_query(in->raw_query, &q, &n)) != 0)
            return rc;
        const char *v = uri_query_get(q, n, "X-Amz-Content-Sha256");
        if (v && (qhash = strdup(v)) == NULL) {
            uri_query_free(q, n);
            return s3err_from_errno(-ENOMEM);
        }
        uri_query_free(q, n);
        hash = qhash ? qhash : SIGV4_UNSIGNED_PAYLOAD;
        hlen = strlen(hash);
    } else {
        /* S3: "Missing required header for this request: x-amz-content-sha256". */
        return -S3E_InvalidRequest;
    }

    buf_puts(out, in->method ? in->method : "");
    buf_putc(out, '\n');
    if ((rc = canon_uri(out, in->raw_path, in->path_plus_is_space)) != 0)
        goto done;
    buf_putc(out, '\n');
    if ((rc = canon_query(out, in->raw_query, p->presigned, !in->query_plus_is_literal)) != 0)
        goto done;
    buf_putc(out, '\n');
    canon_headers(out, in, p->signed_headers);
    buf_putc(out, '\n');
    buf_puts(out, p->signed_headers);
    buf_putc(out, '\n');
    buf_append(out, hash, hlen);
    if (!buf_ok(out))
        rc = s3err_from_errno(-ENOMEM);
done:
    free(qhash);
    return rc;
}

int sigv4_scope(const struct sigv4_params *p, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s/%s/aws4_request", p->date, p->region, p->service);
    return (n < 0 || (size_t)n >= cap) ? -E2BIG : 0;
}

int sigv4_string_to_sign(const struct sigv4_params *p, const char *canonical_request,
                         struct buf *out)
{
    char h[65];
    if (!p->amz_date[0])
        return -S3E_AuthorizationHeaderMalformed;
    hash_sha256_hex(canonical_request, strlen(canonical_request), h);
    buf_printf(out, SIGV4_ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", p->amz_date, p->date,
               p->region, p->service, h);
    return buf_ok(out) ? 0 : s3err_from_errno(-ENOMEM);
}

/* The derivation below is four HMACs, most of the cost of checking a signature (callgrind: 9% of
 * a 4 KiB PUT's instructions), yet its result changes once a day per key and scope: each thread
 * remembers the last few it derived. Secrets are compared in full, never by a shorter digest. */
#define KEY_MEMO 4

struct key_memo {
    char secret[129];
    char scope[96]; /* date/region/service */
    unsigned char key[32];
};

static _Thread_local struct key_memo key_memo[KEY_MEMO];
static _Thread_local unsigned key_memo_next;

static void derive_signing_key(const char *secret, const char *date, const char *region,
                               const char *service, unsigned char key[32]);

void sigv4_signing_key(const char *secret, const char *date, const char *region,
                       const char *service, unsigned char key[32])
{
    char scope[sizeof key_memo[0].scope];
    int n = snprintf(scope, sizeof scope, "%s/%s/%s", date, region, service);
    bool memo = n > 0 && (size_t)n < sizeof scope && strlen(secret) < sizeof key_memo[0].secret;
    for (unsigned i = 0; memo && i < KEY_MEMO; i++) {
        struct key_memo *m = &key_memo[i];
        if (m->secret[0] && strcmp(m->scope, scope) == 0 && strcmp(m->secret, secret) == 0) {
            memcpy(key, m->key, 32);
            return;
        }
    }
    derive_signing_key(secret, date, region, service, key);
    if (memo) {
        struct key_memo *m = &key_memo[key_memo_next++ % KEY_MEMO];
        snprintf(m->secret, sizeof m->secret, "%s", secret);
        snprintf(m->scope, sizeof m->scope, "%s", scope);
        memcpy(m->key, key, 32);
    }
}

static void derive_signing_key(const char *secret, const char *date, const char *region,
                               const char *service, unsigned char key[32])
{
    char stack[4 + 256];
    size_t sl = strlen(secret);
    char *k = stack;
    /* AWS secrets are 40 characters; longer ones (other deployments' generators) go to the heap
     * so the key is right for any length. If even that allocation fails, a random key makes the
     * result match nothing, rather than something guessable. */
    if (sl > sizeof stack - 4 && (k = malloc(sl + 4)) == NULL) {
        if (hash_random_bytes(key, 32) != 0)
            memset(key, 0xA5, 32);
        return;
    }
    memcpy(k, "AWS4", 4);
    memcpy(k + 4, secret, sl);
    unsigned char a[32], b[32];
    hash_hmac_sha256(k, sl + 4, date, strlen(date), a);
    hash_hmac_sha256(a, 32, region, strlen(region), b);
    hash_hmac_sha256(b, 32, service, strlen(service), a);
    hash_hmac_sha256(a, 32, "aws4_request", 12, key);
    OPENSSL_cleanse(k, sl + 4);
    if (k != stack)
        free(k);
    OPENSSL_cleanse(a, sizeof a);
    OPENSSL_cleanse(b, sizeof b);
}

void sigv4_signature(const unsigned char key[32], const char *string_to_sign, char hex[65])
{
    unsigned char mac[32];
    hash_hmac_sha256(key, 32, string_to_sign, strlen(string_to_sign), mac);
    hash_hex(mac, 32, hex);
}

int sigv4_verify(const struct sigv4_input *in, const struct sigv4_params *p, const char *secret,
                 const char *payload_hash, unsigned char key_out[32], struct buf *creq_out,
                 struct buf *sts_out)
{
    unsigned char key[32];
    sigv4_signing_key(secret, p->date, p->region, p->service, key);
    if (key_out)
        memcpy(key_out, key, 32);

    bool path_plus = in->raw_path && strchr(in->raw_path, '+');
    bool query_plus = in->raw_query && strchr(in->raw_query, '+');
    struct sigv4_input v = *in;
    int rc = -S3E_SignatureDoesNotMatch;
    /* Attempt 0 is the default reading; the others flip the '+' reading of the path, the query,
     * or both, and only run when that part actually holds a '+'. */
    for (int attempt = 0; attempt < 4; attempt++) {
        bool flip_path = attempt & 1, flip_query = attempt & 2;
        if ((flip_path && !path_plus) || (flip_query && !query_plus))
            continue;
        v.path_plus_is_space = in->path_plus_is_space ^ flip_path;
        v.query_plus_is_literal = in->query_plus_is_literal ^ flip_query;
        struct buf creq = BUF_INIT, sts = BUF_INIT;
        int r = sigv4_canonical_request(&v, p, payload_hash, &creq);
        if (!r)
            r = sigv4_string_to_sign(p, creq.data, &sts);
        bool match = false;
        if (!r) {
            char sig[65];
            sigv4_signature(key, sts.data, sig);
            match = hash_equal_ct(sig, p->signature);
            if (attempt == 0) {
                if (creq_out)
                    buf_append(creq_out, creq.data, creq.len);
                if (sts_out)
                    buf_append(sts_out, sts.data, sts.len);
            }
        }
        buf_free(&creq);
        buf_free(&sts);
        if (r) {
            rc = r;
            break;
        }
        if (match) {
            rc = 0;
            break;
        }
    }
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

static void chained_signature(const unsigned char key[32], const char *kind, const char *amz_date,
                              const char *scope, const char *prev_sig, const char *extra,
                              const unsigned char sha[32], char hex[65])
{
    char sts[512], h[65];
    hash_hex(sha, 32, h);
    int n = snprintf(sts, sizeof sts, "%s\n%s\n%s\n%s\n%s%s", kind, amz_date, scope, prev_sig,
                     extra, h);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof sts)
        n = sizeof sts - 1;
    unsigned char mac[32];
    hash_hmac_sha256(key, 32, sts, (size_t)n, mac);
    hash_hex(mac, 32, hex);
}

void sigv4_chunk_signature(const unsigned char key[32], const char *amz_date, const char *scope,
                           const char *prev_sig, const unsigned char data_sha256[32], char hex[65])
{
    chained_signature(key, "AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev_sig,
                      EMPTY_SHA256_HEX "\n", data_sha256, hex);
}

void sigv4_trailer_signature(const unsigned char key[32], const char *amz_date, const char *scope,
                             const char *prev_sig, const unsigned char trailer_sha256[32],
                             char hex[65])
{
    chained_signature(key, "AWS4-HMAC-SHA256-TRAILER", amz_date, scope, prev_sig, "",
                      trailer_sha256, hex);
}

/* ---- dates ---- */

/* Builds the time from broken-down UTC fields and rejects anything timegm would normalise
 * (Feb 30, 25:00), by converting back and comparing. */
static int make_time(int year, int mon, int day, int hh, int mm, int ss, time_t *out)
{
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 59)
        return -EINVAL;
    time_t t = timegm(&tm);
    struct tm back;
    if (!gmtime_r(&t, &back) || back.tm_year != year - 1900 || back.tm_mon != mon - 1 ||
        back.tm_mday != day || back.tm_hour != hh || back.tm_min != mm || back.tm_sec != ss)
        return -EINVAL;
    *out = t;
    return 0;
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int sigv4_parse_amz_date(const char *s, time_t *out)
{
    if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return -EINVAL;
    int y = num(s, 4), mo = num(s + 4, 2), d = num(s + 6, 2);
    int h = num(s + 9, 2), mi = num(s + 11, 2), se = num(s + 13, 2);
    if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0)
        return -EINVAL;
    return make_time(y, mo, d, h, mi, se, out);
}

int sigv4_format_amz_date(time_t t, char out[17])
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
        return -EINVAL;
    int f[6] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
    int w[6] = {4, 2, 2, 2, 2, 2};
    char *o = out;
    for (int i = 0; i < 6; i++) {
        for (int k = w[i] - 1; k >= 0; k--) {
            o[k] = (char)('0' + f[i] % 10);
            f[i] /= 10;
        }
        o += w[i];
        if (i == 2)
            *o++ = 'T';
    }
    *o++ = 'Z';
    *o = '\0';
    return 0;
}

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const wdays_long[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};

static const char *skip_sp(const char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

static int month_of(const char *p)
{
    for (int i = 0; i < 12; i++)
        if (strncasecmp(p, months[i], 3) == 0)
            return i + 1;
    return -1;
}

/* Digits at p, between min and max of them; advances *pp. */
static int digits(const char **pp, int min, int max)
{
    const char *p = *pp;
    int n = 0, v = 0;
    while (n < max && is_digit(p[n])) {
        v = v * 10 + (p[n] - '0');
        n++;
    }
    if (n < min || is_digit(p[n]))
        return -1;
    *pp = p + n;
    return v;
}

static int parse_hms(const char **pp, int *h, int *m, int *s)
{
    const char *p = *pp;
    if ((*h = digits(&p, 2, 2)) < 0 || *p++ != ':' || (*m = digits(&p, 2, 2)) < 0 || *p++ != ':' ||
        (*s = digits(&p, 2, 2)) < 0)
        return -1;
    *pp = p;
    return 0;
}

int sigv4_parse_http_date(const char *s, time_t *out)
{
    if (!s)
        return -EINVAL;
    const char *p = skip_sp(s);
    /* weekday: "Sun" (RFC 1123, asctime) or "Sunday" (RFC 850) */
    size_t wl = 0;
    while ((p[wl] >= 'A' && p[wl] <= 'Z') || (p[wl] >= 'a' && p[wl] <= 'z'))
        wl++;
    bool wd_ok = false;
    for (int i = 0; i < 7; i++)
        if ((wl == 3 && strncasecmp(p, wdays[i], 3) == 0) ||
            (wl == strlen(wdays_long[i]) && strncasecmp(p, wdays_long[i], wl) == 0))
            wd_ok = true;
    if (!wd_ok)
        return -EINVAL;
    p += wl;

    int year, mon, day, hh, mm, ss, off = 0;
    if (*p == ',') {
        p = skip_sp(p + 1);
        if ((day = digits(&p, 1, 2)) < 0)
            return -EINVAL;
        if (*p == '-') {
            /* RFC 850: 06-Nov-94 */
            if ((mon = month_of(p + 1)) < 0 || p[4] != '-')
                return -EINVAL;
            p += 5;
            const char *y0 = p;
            if ((year = digits(&p, 2, 4)) < 0 || p - y0 == 3)
                return -EINVAL;
            if (p - y0 == 2)
                year += year < 70 ? 2000 : 1900;
        } else {
            /* RFC 1123: 06 Nov 1994 */
            p = skip_sp(p);
            if ((mon = month_of(p)) < 0)
                return -EINVAL;
            p = skip_sp(p + 3);
            if ((year = digits(&p, 4, 4)) < 0)
                return -EINVAL;
        }
        p = skip_sp(p);
        if (parse_hms(&p, &hh, &mm, &ss))
            return -EINVAL;
        p = skip_sp(p);
        if (strncasecmp(p, "GMT", 3) == 0 || strncasecmp(p, "UTC", 3) == 0) {
            p += 3;
        } else if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1;
            p++;
            int hhmm = digits(&p, 4, 4);
            if (hhmm < 0 || hhmm / 100 > 23 || hhmm % 100 > 59)
                return -EINVAL;
            off = sign * ((hhmm / 100) * 3600 + (hhmm % 100) * 60);
        } else if (*p) {
            return -EINVAL;
        }
    } else if (*p == ' ') {
        /* asctime: Sun Nov  6 08:49:37 1994 */
        p = skip_sp(p);
        if ((mon = month_of(p)) < 0)
            return -EINVAL;
        p = skip_sp(p + 3);
        if ((day = digits(&p, 1, 2)) < 0)
            return -EINVAL;
        p = skip_sp(p);
        if (parse_hms(&p, &hh, &mm, &ss))
            return -EINVAL;
        p = skip_sp(p);
        if ((year = digits(&p, 4, 4)) < 0)
            return -EINVAL;
    } else {
        return -EINVAL;
    }
    if (*skip_sp(p))
        return -EINVAL;
    time_t t;
    if (make_time(year, mon, day, hh, mm, ss, &t))
        return -EINVAL;
    *out = t - off;
    return 0;
}
