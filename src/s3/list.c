/*
 * list.c — ListObjects (V1) and ListObjectsV2: read-only walks of a bucket's keys through
 * store_object_list(), answered with S3's ListBucketResult.
 *
 * The two versions differ only in their header elements and in how a client asks for the next
 * page (V1: marker, V2: continuation-token or start-after). Everything else is shared: the
 * query parameters common to both (list_params_read), the walk (list_fetch) and the body of
 * Contents and CommonPrefixes (put_entries).
 *
 * encoding-type=url: S3 then percent-encodes every element that can hold a key — V1: Prefix,
 * Marker, NextMarker, Delimiter, Key; V2: Prefix, StartAfter, Delimiter, Key; and
 * CommonPrefixes/Prefix in both — with uri_encode() leaving '/' alone (util/uri.h says why that
 * form). botocore asks for it on every listing and decodes the fields back, except V1's Prefix,
 * which it leaves encoded (boto3 issue #3534) and which AWS therefore answers raw.
 *
 * The helpers that ListMultipartUploads (multipart.c) shares — the integer and encoding-type
 * parameters and the maybe-encoded element — are the s3__ functions below.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/req.h"
#include "s3/errors.h"
#include "s3/handlers.h"
#include "s3/limits.h"
#include "s3/s3util.h"
#include "util/hash.h"
#include "util/uri.h"



static int invalid_argument(struct req *r, const char *name, const char *value, const char *msg)
{
    buf_put_xml_elem(&r->error_extra, "ArgumentName", name);
    buf_put_xml_elem(&r->error_extra, "ArgumentValue", value);
    return req_error(r, S3E_InvalidArgument, msg);
}

/* A non-negative integer query parameter (max-keys, max-uploads, max-parts, part-number-marker):
 * dflt when absent; InvalidArgument when it is not a decimal integer within int32 range, which
 * is what S3 answers to "max-keys=blah" and to "max-keys=-1". */
int s3_query_count(struct req *r, const char *name, long dflt, long *out)
{
    const char *v = req_query(r, name);
    *out = dflt;
    if (!v)
        return 0;
    long n = 0;
    const char *p = v;
    for (; *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (*p - '0');
        if (n > INT_MAX)
            break;
    }
    if (p == v || *p) {
        char msg[96];
        snprintf(msg, sizeof msg, "Provided %s not an integer or within integer range", name);
        return invalid_argument(r, name, v, msg);
    }
    *out = n;
    return 0;
}

/* encoding-type: absent, or exactly "url". */
int s3_query_encoding(struct req *r, bool *url)
{
    const char *v = req_query(r, "encoding-type");
    *url = v != NULL;
    if (v && strcmp(v, "url") != 0)
        return invalid_argument(r, "encoding-type", v,
                                "Invalid Encoding Method specified in Request");
    return 0;
}

/* <tag>s</tag>, s percent-encoded under encoding-type=url (the encoded form needs no XML
 * escaping: it is unreserved characters, '/' and %XX only), else XML-escaped. A failed append
 * is left in b's failed flag for the caller's final buf_ok(). */
void s3_put_name(struct buf *b, const char *tag, const char *s, bool url)
{
    if (!url) {
        buf_put_xml_elem(b, tag, s);
        return;
    }
    buf_printf(b, "<%s>", tag);
    if (uri_encode(b, s, strlen(s), false) == 0)
        buf_printf(b, "</%s>", tag);
}

/* ---- what both versions read and write ------------------------------------------------------ */

struct list_query {
    const char *prefix;    /* NULL when absent */
    const char *delimiter; /* NULL when absent or empty: an empty delimiter is no delimiter */
    long max_keys;         /* as asked (echoed in MaxKeys) */
    bool url;
};

static int list_params_read(struct req *r, struct list_query *q)
{
    q->prefix = req_query(r, "prefix");
    q->delimiter = req_query(r, "delimiter");
    if (q->delimiter && !*q->delimiter)
        q->delimiter = NULL;
    int rc = s3_query_encoding(r, &q->url);
    if (!rc)
        rc = s3_query_count(r, "max-keys", S3_MAX_LIST_KEYS, &q->max_keys);
    return rc;
}

/* One page from start_after (exclusive; NULL or "" = the beginning). S3 answers at most 1000
 * entries whatever max-keys asks for. */
static int list_fetch(struct req *r, const struct list_query *q, const char *start_after,
                      struct list_result *out)
{
    struct list_params p = {
        .prefix = q->prefix,
        .delimiter = q->delimiter,
        .start_after = start_after && *start_after ? start_after : NULL,
        .max_keys = q->max_keys > S3_MAX_LIST_KEYS ? S3_MAX_LIST_KEYS : (size_t)q->max_keys,
    };
    int rc = store_object_list(r->st, r->bkt.id, &p, out);
    return rc ? s3err_from_errno(rc) : 0;
}

/* Owner elements repeat the same few accounts; render each once per listing instead of
 * looking the account up for every key. */
struct owner_cache {
    char account[13];
    struct buf xml;
};

static void put_owner_cached(struct buf *b, struct store *st, struct owner_cache *oc,
                             const char *account)
{
    if (strcmp(oc->account, account) != 0) {
        buf_reset(&oc->xml);
        s3_put_owner(&oc->xml, st, "Owner", account);
        snprintf(oc->account, sizeof oc->account, "%s", account);
    }
    if (oc->xml.len)
        buf_append(b, oc->xml.data, oc->xml.len);
}

/* One object as <Contents> (listings) or <Version> (ListObjectVersions: until versioning
 * exists every object is its bucket's "null" version, and the latest). */
static void put_object(struct buf *b, const struct list_entry *e, bool url, struct store *st,
                       struct owner_cache *owners, bool as_version)
{
    char ts[32];
    s3_time_iso8601(e->mtime_ms, ts);
    buf_puts(b, as_version ? "<Version>" : "<Contents>");
    s3_put_name(b, "Key", e->key, url);
    if (as_version)
        buf_puts(b, "<VersionId>null</VersionId><IsLatest>true</IsLatest>");
    buf_put_xml_elem(b, "LastModified", ts);
    buf_puts(b, "<ETag>&quot;");
    buf_put_xml(b, e->etag);
    buf_puts(b, "&quot;</ETag>");
    if (e->checksum_algo[0]) {
        buf_put_xml_elem(b, "ChecksumAlgorithm", e->checksum_algo);
        if (e->checksum_type[0])
            buf_put_xml_elem(b, "ChecksumType", e->checksum_type);
    }
    buf_printf(b, "<Size>%llu</Size>", (unsigned long long)e->size);
    if (owners)
        put_owner_cached(b, st, owners, e->owner_account);
    buf_put_xml_elem(b, "StorageClass", e->storage_class[0] ? e->storage_class : "STANDARD");
    buf_puts(b, as_version ? "</Version>" : "</Contents>");
}

/* Contents (with Owner when with_owner), then CommonPrefixes, as S3 orders them. */
static void put_entries(struct buf *b, struct req *r, const struct list_result *lr, bool url,
                        bool with_owner, bool as_version)
{
    struct owner_cache owners = {.account = "", .xml = BUF_INIT};
    for (size_t i = 0; i < lr->n; i++)
        if (!lr->v[i].is_prefix)
            put_object(b, &lr->v[i], url, r->st, with_owner ? &owners : NULL, as_version);
    for (size_t i = 0; i < lr->n; i++) {
        if (!lr->v[i].is_prefix)
            continue;
        buf_puts(b, "<CommonPrefixes>");
        s3_put_name(b, "Prefix", lr->v[i].key, url);
        buf_puts(b, "</CommonPrefixes>");
    }
    buf_free(&owners.xml);
}

/* MaxKeys, Delimiter, EncodingType and IsTruncated close the header of both versions. */
static void put_header_tail(struct buf *b, const struct list_query *q, bool truncated)
{
    buf_printf(b, "<MaxKeys>%ld</MaxKeys>", q->max_keys);
    if (q->delimiter)
        s3_put_name(b, "Delimiter", q->delimiter, q->url);
    if (q->url)
        buf_puts(b, "<EncodingType>url</EncodingType>");
    buf_printf(b, "<IsTruncated>%s</IsTruncated>", truncated ? "true" : "false");
}

/* Fetches the page and opens the document: <root xmlns=...><Name>bucket</Name>. On failure
 * nothing is left to free. */
static int list_open(struct req *r, const struct list_query *q, const char *start_after,
                     const char *root, struct list_result *lr)
{
    int rc = list_fetch(r, q, start_after, lr);
    if (rc)
        return rc;
    if (req_xml_begin(r)) {
        store_list_free(lr);
        return -S3E_ServiceUnavailable;
    }
    buf_printf(&r->resp_body, "<%s xmlns=\"" S3_XMLNS "\">", root);
    buf_put_xml_elem(&r->resp_body, "Name", r->bkt.name);
    return 0;
}

static int list_finish(struct req *r, struct list_result *lr, const char *root)
{
    buf_printf(&r->resp_body, "</%s>", root);
    store_list_free(lr);
    return buf_ok(&r->resp_body) ? 0 : -S3E_ServiceUnavailable;
}

/* ---- ListObjects (V1) ------------------------------------------------------------------------- */

int h_list_objects(struct req *r)
{
    struct list_query q;
    int rc = list_params_read(r, &q);
    if (rc)
        return rc;
    const char *marker = req_query(r, "marker");
    struct list_result lr;
    rc = list_open(r, &q, marker, "ListBucketResult", &lr);
    if (rc)
        return rc;
    struct buf *b = &r->resp_body;
    /* V1's Prefix comes back as sent even under encoding-type=url: botocore does not decode it
     * (boto3 #3534) and ceph s3-tests (test_bucket_list_prefix_unreadable), which hold AWS's
     * behaviour, expect it raw. */
    buf_put_xml_elem(b, "Prefix", q.prefix ? q.prefix : "");
    s3_put_name(b, "Marker", marker ? marker : "", q.url);
    /* V1 names the next marker only under a delimiter; without one the client continues from
     * the last Key it received. */
    if (lr.truncated && q.delimiter && lr.next_marker)
        s3_put_name(b, "NextMarker", lr.next_marker, q.url);
    put_header_tail(b, &q, lr.truncated);
    put_entries(b, r, &lr, q.url, true, false);
    return list_finish(r, &lr, "ListBucketResult");
}

/* ---- ListObjectsV2 ---------------------------------------------------------------------------- */

int h_list_objects_v2(struct req *r)
{
    struct list_query q;
    int rc = list_params_read(r, &q);
    if (rc)
        return rc;
    const char *token = req_query(r, "continuation-token");
    const char *start_after = req_query(r, "start-after");
    const char *fetch_owner = req_query(r, "fetch-owner");
    /* A continuation token takes precedence over start-after, which is then only echoed. */
    char *from = NULL;
    if (token && *token) {
        rc = s3_token_decode(r, "continuation-token", token, &from);
        if (rc)
            return rc;
    }
    struct list_result lr;
    rc = list_open(r, &q, from ? from : start_after, "ListBucketResult", &lr);
    free(from);
    if (rc)
        return rc;
    char *next = NULL;
    if (lr.truncated && lr.next_marker && s3_token_encode(lr.next_marker, &next)) {
        store_list_free(&lr);
        return -S3E_ServiceUnavailable;
    }
    struct buf *b = &r->resp_body;
    s3_put_name(b, "Prefix", q.prefix ? q.prefix : "", q.url);
    if (start_after && *start_after)
        s3_put_name(b, "StartAfter", start_after, q.url);
    if (token)
        buf_put_xml_elem(b, "ContinuationToken", token);
    if (next)
        buf_put_xml_elem(b, "NextContinuationToken", next);
    free(next);
    buf_printf(b, "<KeyCount>%zu</KeyCount>", lr.n);
    put_header_tail(b, &q, lr.truncated);
    put_entries(b, r, &lr, q.url, fetch_owner && strcasecmp(fetch_owner, "true") == 0, false);
    return list_finish(r, &lr, "ListBucketResult");
}

/* ---- ListObjectVersions --------------------------------------------------------------------- */

/*
 * Versioning is not built yet, so a bucket holds exactly one version of each key, the "null"
 * version, which is also the latest: that is what S3 answers for a bucket that never had
 * versioning enabled, and what this lists. key-marker pages by key; the only version-id-marker
 * that can name a version is "null", and since each key has only that one version, a page
 * continues after key-marker either way.
 */
int h_list_object_versions(struct req *r)
{
    struct list_query q;
    int rc = list_params_read(r, &q);
    if (rc)
        return rc;
    const char *key_marker = req_query(r, "key-marker");
    const char *vid_marker = req_query(r, "version-id-marker");
    if (vid_marker && *vid_marker && (!key_marker || !*key_marker))
        return invalid_argument(r, "version-id-marker", vid_marker,
                                "A version-id marker cannot be specified without a key marker.");
    if (vid_marker && *vid_marker && strcmp(vid_marker, "null") != 0)
        return invalid_argument(r, "version-id-marker", vid_marker, "Invalid version id specified");
    struct list_result lr;
    rc = list_open(r, &q, key_marker, "ListVersionsResult", &lr);
    if (rc)
        return rc;
    struct buf *b = &r->resp_body;
    s3_put_name(b, "Prefix", q.prefix ? q.prefix : "", q.url);
    s3_put_name(b, "KeyMarker", key_marker ? key_marker : "", q.url);
    buf_put_xml_elem(b, "VersionIdMarker", vid_marker ? vid_marker : "");
    if (lr.truncated && lr.next_marker) {
        s3_put_name(b, "NextKeyMarker", lr.next_marker, q.url);
        buf_puts(b, "<NextVersionIdMarker>null</NextVersionIdMarker>");
    }
    put_header_tail(b, &q, lr.truncated);
    put_entries(b, r, &lr, q.url, true, true);
    return list_finish(r, &lr, "ListVersionsResult");
}
