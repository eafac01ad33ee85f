#include "auth/sigv2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "s3/errors.h"
#include "util/hash.h"

/* Sub-resources that are part of the CanonicalizedResource: the S3 documentation's list,
 * botocore's HmacV1Auth.QSAOfInterest (which adds accelerate, analytics, inventory, metrics,
 * object-lock, replication, select, select-type, and the non-S3 defaultObjectAcl/storageClass)
 * and boto's. Sorted for bsearch. */
static const char *const subres_std[] = {
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
};
/* What ceph rgw signs in addition (rgw_auth_s3.cc signed_subresources, old and new). */
static const char *const subres_rgw[] = {
    "encryption", "end-date", "policyStatus", "publicAccessBlock", "start-date",
};

static int cmp_str(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

static bool in_list(const char *name, const char *const *list, size_t n)
{
    return bsearch(name, list, n, sizeof *list, cmp_str) != NULL;
}

static bool is_subresource(const char *name, bool rgw)
{
    return in_list(name, subres_std, sizeof subres_std / sizeof *subres_std) ||
           (rgw && in_list(name, subres_rgw, sizeof subres_rgw / sizeof *subres_rgw));
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char to_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int sigv2_parse_authorization(const char *value, struct sigv2_params *out)
{
    memset(out, 0, sizeof *out);
    if (!value)
        return -S3E_InvalidArgument;
    const char *p = value;
    while (is_ws(*p))
        p++;
    if (strncmp(p, "AWS ", 4) != 0)
        return -S3E_InvalidArgument;
    p += 4;
    while (*p == ' ')
        p++;
    const char *colon = strrchr(p, ':');
    if (!colon)
        return -S3E_InvalidArgument;
    size_t kl = (size_t)(colon - p);
    const char *s = colon + 1;
    size_t sl = strlen(s);
    while (sl && is_ws(s[sl - 1]))
        sl--;
    if (kl == 0 || kl >= sizeof out->access_key || sl == 0 || sl >= sizeof out->signature)
        return -S3E_InvalidArgument;
    for (size_t i = 0; i < kl; i++)
        if (is_ws(p[i]))
            return -S3E_InvalidArgument;
    memcpy(out->access_key, p, kl);
    memcpy(out->signature, s, sl);
    return 0;
}

int sigv2_parse_presigned(const struct query_param *q, size_t n, struct sigv2_params *out)
{
    memset(out, 0, sizeof *out);
    const char *ak = uri_query_get(q, n, "AWSAccessKeyId");
    const char *sig = uri_query_get(q, n, "Signature");
    const char *exp = uri_query_get(q, n, "Expires");
    if (!ak && !sig && !exp)
        return 1;
    if (!ak || !sig || !exp)
        return -S3E_AccessDenied;
    size_t kl = strlen(ak), sl = strlen(sig), el = strlen(exp);
    if (kl == 0 || kl >= sizeof out->access_key || sl == 0 || sl >= sizeof out->signature ||
        el == 0 || el > 18)
        return -S3E_AccessDenied;
    long long e = 0;
    for (size_t i = 0; i < el; i++) {
        if (exp[i] < '0' || exp[i] > '9')
            return -S3E_AccessDenied;
        e = e * 10 + (exp[i] - '0');
    }
    memcpy(out->access_key, ak, kl);
    for (size_t i = 0; i < sl; i++)
        out->signature[i] = sig[i] == ' ' ? '+' : sig[i];
    memcpy(out->expires, exp, el);
    out->expires_at = e;
    out->presigned = true;
    return 0;
}

/* Value with ends trimmed and folded lines (CR/LF plus the whitespace around them) unfolded to
 * one space, as RFC 2616 §4.2 unfolding and the S3 documentation ask. */
static void put_unfolded(struct buf *b, const char *v, size_t n)
{
    while (n && is_ws(*v)) {
        v++;
        n--;
    }
    while (n && is_ws(v[n - 1]))
        n--;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '\r' || v[i] == '\n') {
            while (b->len && (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\t'))
                b->len--;
            while (i + 1 < n && is_ws(v[i + 1]))
                i++;
            buf_putc(b, ' ');
            continue;
        }
        buf_putc(b, v[i]);
    }
}

static const char *header_get(const struct sigv2_input *in, const char *name)
{
    for (size_t i = 0; i < in->n_headers; i++)
        if (in->headers[i].name && strcasecmp(in->headers[i].name, name) == 0)
            return in->headers[i].value ? in->headers[i].value : "";
    return NULL;
}

static const char *query_get_ci(const struct query_param *q, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(q[i].name, name) == 0)
            return q[i].value;
    return NULL;
}

struct amz {
    size_t name_off;  /* lower-cased name in the scratch buffer ... */
    const char *name; /* ... and a pointer to it once the buffer has stopped moving */
    const char *value;
    size_t order;
};

static int amz_cmp(const void *a, const void *b)
{
    const struct amz *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

struct sub {
    const char *name;
    char *value; /* decoded, owned; NULL when the piece had no '=' */
    size_t order;
};

static int sub_cmp(const void *a, const void *b)
{
    const struct sub *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The whole string to sign; `rgw` adds ceph's extra sub-resources, `doc_date` puts x-amz-date in
 * the Date position instead of among the amz headers. */
static int build(const struct sigv2_input *in, const struct sigv2_params *p, bool rgw,
                 bool doc_date, struct buf *out)
{
    struct query_param *q = NULL;
    size_t nq = 0;
    struct amz *amz = NULL;
    struct sub *subs = NULL;
    char *rawq = NULL;
    struct buf names = BUF_INIT;
    size_t na = 0, ns = 0;
    int rc = 0;

    if (p->presigned && (rc = uri_parse_query(in->raw_query, &q, &nq)) != 0)
        return rc;

    const char *md5 = header_get(in, "content-md5");
    const char *ctype = header_get(in, "content-type");
    if (p->presigned && !md5)
        md5 = query_get_ci(q, nq, "content-md5");
    if (p->presigned && !ctype)
        ctype = query_get_ci(q, nq, "content-type");
    const char *xdate = header_get(in, "x-amz-date");

    buf_puts(out, in->method ? in->method : "");
    buf_putc(out, '\n');
    if (md5)
        put_unfolded(out, md5, strlen(md5));
    buf_putc(out, '\n');
    if (ctype)
        put_unfolded(out, ctype, strlen(ctype));
    buf_putc(out, '\n');
    if (p->presigned) {
        buf_puts(out, p->expires);
    } else if (xdate) {
        if (doc_date)
            put_unfolded(out, xdate, strlen(xdate));
    } else {
        const char *date = header_get(in, "date");
        if (date)
            put_unfolded(out, date, strlen(date));
    }
    buf_putc(out, '\n');

    /* CanonicalizedAmzHeaders */
    amz = malloc((in->n_headers + nq + 1) * sizeof *amz);
    if (!amz)
        goto oom;
    for (size_t i = 0; i < in->n_headers + nq; i++) {
        const char *name, *value;
        if (i < in->n_headers) {
            name = in->headers[i].name;
            value = in->headers[i].value ? in->headers[i].value : "";
        } else {
            name = q[i - in->n_headers].name;
            value = q[i - in->n_headers].value;
        }
        if (!name || strncasecmp(name, "x-amz-", 6) != 0)
            continue;
        if (doc_date && i < in->n_headers && strcasecmp(name, "x-amz-date") == 0)
            continue;
        amz[na].name_off = names.len;
        amz[na].value = value;
        amz[na].order = i;
        for (const char *c = name; *c; c++)
            buf_putc(&names, to_lower(*c));
        buf_putc(&names, '\0');
        na++;
    }
    if (!buf_ok(&names))
        goto oom;
    for (size_t i = 0; i < na; i++)
        amz[i].name = names.data + amz[i].name_off;
    /* Sorted by name, arrival order breaking ties, so same-name values join in the order sent. */
    qsort(amz, na, sizeof *amz, amz_cmp);
    for (size_t i = 0; i < na; i++) {
        const char *nm = amz[i].name;
        if (i == 0 || strcmp(nm, amz[i - 1].name) != 0) {
            if (i)
                buf_putc(out, '\n');
            buf_puts(out, nm);
            buf_putc(out, ':');
        } else {
            buf_putc(out, ',');
        }
        put_unfolded(out, amz[i].value, strlen(amz[i].value));
    }
    if (na)
        buf_putc(out, '\n');

    /* CanonicalizedResource */
    buf_puts(out, in->resource ? in->resource : "/");
    if (in->raw_query && *in->raw_query) {
        size_t cap = 1;
        for (const char *c = in->raw_query; *c; c++)
            cap += *c == '&';
        rawq = strdup(in->raw_query);
        subs = calloc(cap, sizeof *subs);
        if (!rawq || !subs)
            goto oom;
        size_t order = 0;
        for (char *piece = rawq, *next; piece; piece = next) {
            next = strchr(piece, '&');
            if (next)
                *next++ = '\0';
            if (!*piece)
                continue;
            char *eq = strchr(piece, '=');
            if (eq)
                *eq = '\0';
            if (!is_subresource(piece, rgw))
                continue;
            subs[ns].name = piece;
            subs[ns].order = order++;
            if (eq) {
                size_t dl;
                if ((rc = uri_decode(eq + 1, strlen(eq + 1), &subs[ns].value, &dl)) != 0)
                    goto out;
            }
            ns++;
        }
        qsort(subs, ns, sizeof *subs, sub_cmp);
        for (size_t i = 0; i < ns; i++) {
            buf_putc(out, i ? '&' : '?');
            buf_puts(out, subs[i].name);
            if (subs[i].value) {
                buf_putc(out, '=');
                buf_puts(out, subs[i].value);
            }
        }
    }
    if (!buf_ok(out))
        goto oom;
    goto out;
oom:
    rc = s3err_from_errno(-ENOMEM);
out:
    if (subs)
        for (size_t i = 0; i < ns; i++)
            free(subs[i].value);
    free(subs);
    free(rawq);
    free(amz);
    buf_free(&names);
    uri_query_free(q, nq);
    return rc;
}

int sigv2_string_to_sign(const struct sigv2_input *in, const struct sigv2_params *p,
                         struct buf *out)
{
    return build(in, p, false, false, out);
}

void sigv2_sign(const char *secret, const char *sts, size_t len, char out[29])
{
    unsigned char mac[20];
    hash_hmac_sha1(secret, strlen(secret), sts, len, mac);
    hash_base64_encode(mac, sizeof mac, out);
}

static bool query_has_rgw_subresource(const char *raw)
{
    if (!raw)
        return false;
    for (size_t i = 0; i < sizeof subres_rgw / sizeof *subres_rgw; i++) {
        size_t l = strlen(subres_rgw[i]);
        for (const char *p = raw; (p = strstr(p, subres_rgw[i])) != NULL; p += l)
            if ((p == raw || p[-1] == '&') && (p[l] == '\0' || p[l] == '&' || p[l] == '='))
                return true;
    }
    return false;
}

int sigv2_verify(const struct sigv2_input *in, const struct sigv2_params *p, const char *secret,
                 struct buf *sts_out)
{
    bool try_rgw = query_has_rgw_subresource(in->raw_query);
    bool try_doc = !p->presigned && header_get(in, "x-amz-date") != NULL;
    int rc = -S3E_SignatureDoesNotMatch;
    for (int attempt = 0; attempt < 4; attempt++) {
        bool rgw = attempt & 1, doc = attempt & 2;
        if ((rgw && !try_rgw) || (doc && !try_doc))
            continue;
        struct buf sts = BUF_INIT;
        int r = build(in, p, rgw, doc, &sts);
        bool match = false;
        if (!r) {
            char sig[29];
            sigv2_sign(secret, sts.data, sts.len, sig);
            match = hash_equal_ct(sig, p->signature);
            if (attempt == 0 && sts_out)
                buf_append(sts_out, sts.data, sts.len);
        }
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
    return rc;
}
