#include "s3/s3util.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/acl.h"
#include "auth/authz.h"
#include "http/req.h"
#include "s3/errors.h"
#include "s3/limits.h"
#include "util/hash.h"
#include "util/xmlin.h"

void s3_time_iso8601(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

void s3_time_http(int64_t ms, char out[40])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Stored headers, with the casing S3 answers them in. */
static const char *const stored_headers[] = {
    "Content-Type",     "Content-Encoding", "Content-Disposition",
    "Content-Language", "Cache-Control",    "Expires",
    "x-amz-website-redirect-location",
};

/* Content-Encoding without the aws-chunked token the transfer used (S3 drops it); the other
 * tokens are kept, joined by ", " as the client most likely wrote them. */
static char *strip_aws_chunked(const char *v)
{
    struct buf b = BUF_INIT;
    const char *p = v;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *s = p, *e = p + n;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if ((size_t)(e - s) != 11 || strncasecmp(s, "aws-chunked", 11) != 0) {
            if (b.len)
                buf_puts(&b, ", ");
            buf_append(&b, s, (size_t)(e - s));
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (!buf_ok(&b)) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b);
}

/* A stored header value: a JSON string, or {"b64": ...} for bytes that are not UTF-8 (HTTP
 * lets clients send any octets; JSON holds only UTF-8, and dropping them would lose data). */
static json_t *header_json(const char *v)
{
    json_t *j = json_string(v);
    if (j)
        return j;
    size_t n = strlen(v);
    char *b64 = malloc(hash_base64_len(n) + 1);
    if (!b64)
        return NULL;
    hash_base64_encode(v, n, b64);
    j = json_pack("{s:s}", "b64", b64);
    free(b64);
    return j;
}

/* The text of a stored header value, owned by the caller; NULL on a damaged value or ENOMEM. */
static char *header_text(json_t *j)
{
    if (json_is_string(j))
        return strdup(json_string_value(j));
    const char *b64 = json_string_value(json_object_get(j, "b64"));
    if (!b64)
        return NULL;
    size_t cap = strlen(b64), n;
    char *out = malloc(cap + 1);
    if (out && hash_base64_decode(b64, cap, (unsigned char *)out, cap, &n) == 0) {
        out[n] = '\0';
        return out;
    }
    free(out);
    return NULL;
}

static int header_set(json_t *o, const char *name, const char *value)
{
    json_t *j = header_json(value);
    return j && json_object_set_new(o, name, j) == 0 ? 0 : -S3E_ServiceUnavailable;
}

/* Adds value under name; a repeated x-amz-meta header is joined with ',' as HTTP combines
 * repeated fields. */
static int header_add(json_t *o, const char *name, const char *value)
{
    json_t *prev = json_object_get(o, name);
    if (!prev)
        return header_set(o, name, value);
    char *old = header_text(prev), *joined = NULL;
    int rc = old && asprintf(&joined, "%s,%s", old, value) >= 0 ? header_set(o, name, joined)
                                                               : -S3E_ServiceUnavailable;
    free(old);
    free(joined);
    return rc;
}

int s3_headers_from_request(struct req *r, char **json)
{
    json_t *o = json_object();
    if (!o)
        return -S3E_ServiceUnavailable;
    int rc = 0;
    for (size_t i = 0; i < sizeof stored_headers / sizeof stored_headers[0] && !rc; i++) {
        const char *v = req_header(r, stored_headers[i]);
        if (!v)
            continue;
        char lower[64];
        size_t n = strlen(stored_headers[i]);
        for (size_t j = 0; j <= n; j++)
            lower[j] = (char)tolower((unsigned char)stored_headers[i][j]);
        if (strcmp(lower, "content-encoding") == 0) {
            char *ce = strip_aws_chunked(v);
            rc = !ce ? -S3E_ServiceUnavailable : *ce ? header_set(o, lower, ce) : 0;
            free(ce);
        } else {
            rc = header_set(o, lower, v);
        }
    }
    if (!rc && !json_object_get(o, "content-type"))
        rc = header_set(o, "content-type", "binary/octet-stream");
    /* User metadata's size was checked before the body (limits_check_request). */
    for (size_t i = 0; i < r->nheaders && !rc; i++) {
        const char *name = r->headers[i].name;
        if (strncasecmp(name, "x-amz-meta-", 11) != 0)
            continue;
        char *lower = strdup(name);
        if (!lower) {
            rc = -S3E_ServiceUnavailable;
            break;
        }
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        rc = header_add(o, lower, r->headers[i].value);
        free(lower);
    }
    if (!rc) {
        *json = json_dumps(o, JSON_COMPACT);
        if (!*json)
            rc = -S3E_ServiceUnavailable;
    }
    json_decref(o);
    return rc;
}

static const struct {
    const char *query;
    const char *header;
} overrides[] = {
    {"response-content-type", "Content-Type"},
    {"response-content-language", "Content-Language"},
    {"response-expires", "Expires"},
    {"response-cache-control", "Cache-Control"},
    {"response-content-disposition", "Content-Disposition"},
    {"response-content-encoding", "Content-Encoding"},
};

static const char *override_for(struct req *r, const char *lower_name)
{
    for (size_t i = 0; i < sizeof overrides / sizeof overrides[0]; i++)
        if (strcasecmp(overrides[i].header, lower_name) == 0)
            return req_query(r, overrides[i].query);
    return NULL;
}

int s3_headers_to_response(struct req *r, const char *json)
{
    json_t *o = json ? json_loads(json, 0, NULL) : json_object();
    if (!o)
        return -S3E_InternalError;
    int rc = 0;
    const char *name;
    json_t *v;
    json_object_foreach(o, name, v)
    {
        const char *out_name = name;
        for (size_t i = 0; i < sizeof stored_headers / sizeof stored_headers[0]; i++)
            if (strcasecmp(stored_headers[i], name) == 0)
                out_name = stored_headers[i];
        if (override_for(r, name))
            continue;
        char *text = header_text(v);
        rc = text ? req_add_header(r, out_name, text) : -EIO;
        free(text);
        if (rc)
            break;
    }
    for (size_t i = 0; i < sizeof overrides / sizeof overrides[0] && !rc; i++) {
        const char *ov = req_query(r, overrides[i].query);
        if (ov)
            rc = req_add_header(r, overrides[i].header, ov);
    }
    json_decref(o);
    return rc ? -S3E_InternalError : 0;
}

int s3_put_owner(struct buf *b, struct store *st, const char *tag, const char *account_id)
{
    struct account a;
    if (store_account_get(st, account_id, &a))
        return 0;
    buf_printf(b, "<%s>", tag);
    buf_put_xml_elem(b, "ID", a.canonical_id);
    buf_put_xml_elem(b, "DisplayName", a.display_name);
    buf_printf(b, "</%s>", tag);
    return buf_ok(b) ? 0 : -ENOMEM;
}

int s3_parse_xml_body(struct req *r, xmlDocPtr *doc)
{
    int rc = xmlin_parse(r->body.mem.data, r->body.mem.len, XML_PARSE_NOBLANKS, doc);
    if (rc == -ENOMEM) /* a parser that ran out of memory says nothing about the document */
        return s3err_from_errno(rc);
    return rc ? req_error(r, S3E_MalformedXML, NULL) : 0;
}

xmlNodePtr s3_xml_child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

char *s3_xml_child_text(xmlNodePtr parent, const char *name)
{
    xmlNodePtr c = s3_xml_child(parent, name);
    return c ? (char *)xmlNodeGetContent(c) : NULL;
}

int s3_error_naming(struct req *r, int e, const char *tag, const char *value)
{
    buf_put_xml_elem(&r->error_extra, tag, value);
    return req_error(r, e, NULL);
}

int s3_no_such_bucket(struct req *r, const char *bucket)
{
    return s3_error_naming(r, S3E_NoSuchBucket, "BucketName", bucket);
}

int s3_no_such_key(struct req *r, const char *key)
{
    return s3_error_naming(r, S3E_NoSuchKey, "Key", key);
}

int s3_reject_headers(struct req *r, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (req_header(r, names[i]))
            return req_errorf(r, S3E_NotImplemented,
                              "A header you provided implies functionality that is not "
                              "implemented: %s",
                              names[i]);
    return 0;
}

int s3_sse_choice(struct req *r, bool *aes256)
{
    *aes256 = false;
    const char *v = req_header(r, "x-amz-server-side-encryption");
    if (!v)
        return 0; /* later: the bucket's default encryption decides here */
    if (strcmp(v, "AES256") == 0) {
        *aes256 = true;
        return 0;
    }
    if (strcmp(v, "aws:kms") == 0 || strcmp(v, "aws:kms:dsse") == 0)
        return req_errorf(r, S3E_NotImplemented,
                          "Server-side encryption with AWS KMS keys (%s) is not implemented by "
                          "this server",
                          v);
    buf_put_xml_elem(&r->error_extra, "ArgumentName", "x-amz-server-side-encryption");
    buf_put_xml_elem(&r->error_extra, "ArgumentValue", v);
    return req_error(r, S3E_InvalidArgument, "The encryption method specified is not supported");
}

int s3_add_etag(struct req *r, const char *etag)
{
    return req_add_headerf(r, "ETag", "\"%s\"", etag);
}

int s3_storage_class(struct req *r, char out[32])
{
    static const char *const classes[] = {
        "STANDARD",    "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
        "GLACIER",     "DEEP_ARCHIVE",       "OUTPOSTS",    "GLACIER_IR", "SNOW",
        "EXPRESS_ONEZONE",
    };
    const char *sc = req_header(r, "x-amz-storage-class");
    if (!sc) {
        snprintf(out, 32, "STANDARD");
        return 0;
    }
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (strcmp(sc, classes[i]) == 0) {
            snprintf(out, 32, "%s", sc);
            return 0;
        }
    return req_error(r, S3E_InvalidStorageClass, NULL);
}

int s3_check_object_read(struct req *r, const struct object_meta *m)
{
    return authz_object(r, m->owner_account, m->acl);
}

#define TOKEN_VERSION '1'

int s3_token_encode(const char *after, char **tok)
{
    size_t n = strlen(after);
    char *raw = malloc(n + 1);
    *tok = malloc(hash_base64_len(n + 1) + 1);
    if (!raw || !*tok) {
        free(raw);
        free(*tok);
        *tok = NULL;
        return -S3E_ServiceUnavailable;
    }
    raw[0] = TOKEN_VERSION;
    memcpy(raw + 1, after, n);
    hash_base64_encode(raw, n + 1, *tok);
    for (char *p = *tok; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    free(raw);
    return 0;
}

int s3_token_decode(struct req *r, const char *param, const char *tok, char **after)
{
    size_t n = strlen(tok);
    char *text = strdup(tok);
    unsigned char *raw = malloc(S3_MAX_KEY_BYTES + 2);
    size_t len = 0;
    int rc = text && raw ? 0 : -S3E_ServiceUnavailable;
    if (!rc) {
        for (char *p = text; *p; p++)
            *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
        bool ok = hash_base64_decode(text, n, raw, S3_MAX_KEY_BYTES + 1, &len) == 0 &&
                  len >= 2 && raw[0] == TOKEN_VERSION && !memchr(raw, 0, len);
        if (!ok) {
            buf_put_xml_elem(&r->error_extra, "ArgumentName", param);
            buf_put_xml_elem(&r->error_extra, "ArgumentValue", tok);
            rc = req_error(r, S3E_InvalidArgument, "The continuation token provided is incorrect");
        }
    }
    if (!rc) {
        *after = strndup((const char *)raw + 1, len - 1);
        if (!*after)
            rc = -S3E_ServiceUnavailable;
    }
    free(text);
    free(raw);
    return rc;
}
