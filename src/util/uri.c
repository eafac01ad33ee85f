#include "util/uri.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "s3/errors.h"

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int uri_encode(struct buf *b, const char *s, size_t n, bool encode_slash)
{
    static const char hexu[] = "0123456789ABCDEF";
    /* Reserve the worst case once so the loop appends into memory it already has; runs of
     * unreserved bytes are copied in one piece. */
    size_t worst = n * 3;
    if (worst / 3 != n)
        return -ENOMEM;
    int rc = buf_reserve(b, worst);
    if (rc)
        return rc;
    char *o = b->data + b->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (c == '/' && !encode_slash)) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hexu[c >> 4];
            *o++ = hexu[c & 15];
        }
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return 0;
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

static int decode(const char *s, size_t n, bool plus_space, char **out, size_t *outlen)
{
    *out = NULL;
    char *d = malloc(n + 1);
    if (!d)
        return s3err_from_errno(-ENOMEM);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            /* Strict: "%", "%4" and "%zz" are errors, never passed through, so two different
             * raw paths can never decode to the same key. */
            if (n - i < 3) {
                free(d);
                return -S3E_InvalidURI;
            }
            int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0) {
                free(d);
                return -S3E_InvalidURI;
            }
            d[o++] = (char)(h << 4 | l);
            i += 2;
        } else if (c == '+' && plus_space) {
            d[o++] = ' ';
        } else {
            d[o++] = (char)c;
        }
    }
    d[o] = '\0';
    *out = d;
    *outlen = o;
    return 0;
}

int uri_decode(const char *s, size_t n, char **out, size_t *outlen)
{
    return decode(s, n, false, out, outlen);
}

int uri_decode_form(const char *s, size_t n, char **out, size_t *outlen)
{
    return decode(s, n, true, out, outlen);
}

void uri_query_free(struct query_param *q, size_t n)
{
    if (!q)
        return;
    for (size_t i = 0; i < n; i++) {
        free(q[i].name);
        free(q[i].value);
    }
    free(q);
}

int uri_parse_query(const char *raw, struct query_param **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!raw || !*raw)
        return 0;

    size_t pieces = 1;
    for (const char *p = raw; *p; p++)
        if (*p == '&')
            pieces++;
    struct query_param *q = calloc(pieces, sizeof *q);
    if (!q)
        return s3err_from_errno(-ENOMEM);

    size_t cnt = 0;
    int rc = 0;
    const char *p = raw;
    while (*p) {
        const char *end = strchr(p, '&');
        if (!end)
            end = p + strlen(p);
        if (end > p) {
            const char *eq = memchr(p, '=', (size_t)(end - p));
            const char *name_end = eq ? eq : end;
            size_t len;
            struct query_param *qp = &q[cnt++];
            rc = uri_decode_form(p, (size_t)(name_end - p), &qp->name, &len);
            if (rc)
                goto fail;
            if (eq) {
                qp->has_value = true;
                rc = uri_decode_form(eq + 1, (size_t)(end - eq - 1), &qp->value, &len);
            } else {
                rc = uri_decode_form("", 0, &qp->value, &len);
            }
            if (rc)
                goto fail;
        }
        p = *end ? end + 1 : end;
    }
    if (cnt == 0) {
        free(q);
        return 0;
    }
    *out = q;
    *n = cnt;
    return 0;

fail:
    uri_query_free(q, cnt);
    return rc;
}

const char *uri_query_get(const struct query_param *q, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(q[i].name, name) == 0)
            return q[i].value;
    return NULL;
}
