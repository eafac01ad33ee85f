/*
 * bucket.c — service and bucket handlers: ListBuckets, CreateBucket, DeleteBucket, HeadBucket,
 * GetBucketLocation.
 */
#include <ctype.h>
#include <errno.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/req.h"
#include "s3/errors.h"
#include "s3/acl_ops.h"
#include "s3/handlers.h"
#include "s3/ownership.h"
#include "s3/s3util.h"


/* ---- ListBuckets ----------------------------------------------------------------------------- */

int h_list_buckets(struct req *r)
{
    const char *max_s = req_query(r, "max-buckets");
    const char *tok = req_query(r, "continuation-token");
    const char *prefix = req_query(r, "prefix");
    const char *region = req_query(r, "bucket-region");
    size_t max = 10000;
    bool paged = max_s || tok;
    if (max_s) {
        char *end;
        long v = strtol(max_s, &end, 10);
        if (*end || end == max_s || v < 1 || v > 10000)
            return req_error(r, S3E_InvalidArgument,
                             "Argument max-buckets must be an integer between 1 and 10000");
        max = (size_t)v;
    }
    char after[64] = "";
    if (tok) {
        char *name;
        int rc = s3_token_decode(r, "continuation-token", tok, &name);
        if (rc)
            return rc;
        snprintf(after, sizeof after, "%.63s", name);
        free(name);
    }

    /* Fetch one more than asked to know whether a next page exists; the region filter is
     * applied on top, so keep fetching until the page is full. */
    struct buf *b = &r->resp_body;
    int rc = req_xml_begin(r);
    buf_puts(b, "<ListAllMyBucketsResult xmlns=\"" S3_XMLNS "\">");
    s3_put_owner(b, r->st, "Owner", r->who.account_id);
    buf_puts(b, "<Buckets>");
    size_t emitted = 0;
    char last[64] = "";
    bool more = false;
    while (!rc) {
        struct bucket *v = NULL;
        size_t n = 0;
        rc = store_bucket_list(r->st, r->who.account_id, prefix, after[0] ? after : NULL, 256,
                               &v, &n);
        if (rc)
            break;
        for (size_t i = 0; i < n; i++) {
            snprintf(after, sizeof after, "%s", v[i].name);
            if (region && strcmp(region, v[i].region) != 0)
                continue;
            if (emitted == max) {
                more = true;
                break;
            }
            char ts[32];
            s3_time_iso8601(v[i].created_ms, ts);
            buf_puts(b, "<Bucket>");
            buf_put_xml_elem(b, "Name", v[i].name);
            buf_put_xml_elem(b, "CreationDate", ts);
            buf_put_xml_elem(b, "BucketRegion", v[i].region);
            buf_puts(b, "</Bucket>");
            snprintf(last, sizeof last, "%s", v[i].name);
            emitted++;
        }
        for (size_t i = 0; i < n; i++)
            store_bucket_free(&v[i]);
        free(v);
        if (more || n < 256)
            break;
    }
    if (rc)
        return req_error(r, -s3err_from_errno(rc), NULL);
    buf_puts(b, "</Buckets>");
    if (more && paged) {
        char *enc;
        if (s3_token_encode(last, &enc))
            return -S3E_ServiceUnavailable;
        buf_put_xml_elem(b, "ContinuationToken", enc);
        free(enc);
    }
    if (prefix)
        buf_put_xml_elem(b, "Prefix", prefix);
    buf_puts(b, "</ListAllMyBucketsResult>");
    return buf_ok(b) ? 0 : -S3E_ServiceUnavailable;
}

/* ---- CreateBucket ---------------------------------------------------------------------------- */

static bool is_ipv4(const char *s)
{
    int parts = 0;
    while (*s) {
        if (!isdigit((unsigned char)*s))
            return false;
        while (isdigit((unsigned char)*s))
            s++;
        parts++;
        if (*s == '.')
            s++;
        else if (*s)
            return false;
    }
    return parts == 4;
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

/* AWS's general-purpose bucket naming rules. */
static bool bucket_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n < 3 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '.' || c == '-'))
            return false;
    }
    if (!isalnum((unsigned char)name[0]) || !isalnum((unsigned char)name[n - 1]))
        return false;
    if (strstr(name, "..") || strstr(name, ".-") || strstr(name, "-."))
        return false;
    if (is_ipv4(name))
        return false;
    if (strncmp(name, "xn--", 4) == 0 || strncmp(name, "sthree-", 7) == 0 ||
        strncmp(name, "amzn-s3-demo-", 13) == 0)
        return false;
    if (has_suffix(name, "-s3alias") || has_suffix(name, "--ol-s3") ||
        has_suffix(name, ".mrap") || has_suffix(name, "--x-s3") || has_suffix(name, "--table-s3"))
        return false;
    return true;
}

static bool looks_like_region(const char *s)
{
    /* aa-bbbb-N (possibly aa-bbbb-cccc-N): what AWS region names look like. */
    size_t n = strlen(s);
    if (n < 9 || !isdigit((unsigned char)s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
            return false;
    return strchr(s, '-') != NULL;
}

struct create_state {
    struct bucket b;
    const char *ownership; /* x-amz-object-ownership, stored with the bucket; NULL when absent */
    bool owned_by_you;
    bool legacy_ok; /* re-created in us-east-1 by its owner: S3 answers 200 and changes nothing */
};

static void create_state_free(void *p)
{
    struct create_state *s = p;
    if (s) {
        store_bucket_free(&s->b);
        free(s);
    }
}

static int create_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct create_state *s = r->handler_state;
    struct bucket old;
    int rc = store_txn_bucket_get(t, s->b.name, &old);
    if (rc == 0) {
        s->owned_by_you = strcmp(old.owner_account, s->b.owner_account) == 0;
        s->legacy_ok = s->owned_by_you && strcmp(old.region, "us-east-1") == 0 &&
                       strcmp(s->b.region, "us-east-1") == 0;
        store_bucket_free(&old);
        return -EEXIST;
    }
    if (rc != -ENOENT)
        return rc;
    rc = store_txn_bucket_create(t, &s->b);
    if (!rc && s->ownership)
        rc = store_txn_bucket_config_set(t, s->b.id, OWNERSHIP_CONFIG, s->ownership);
    return rc;
}

static int create_then(struct req *r)
{
    struct create_state *s = r->handler_state;
    if (r->commit_rc == -EEXIST && s->legacy_ok)
        return req_add_headerf(r, "Location", "/%s", s->b.name) ? -S3E_InternalError : 0;
    if (r->commit_rc == -EEXIST) {
        return s3_error_naming(
            r, s->owned_by_you ? S3E_BucketAlreadyOwnedByYou : S3E_BucketAlreadyExists,
            "BucketName", s->b.name);
    }
    if (r->commit_rc)
        return s3err_from_errno(r->commit_rc);
    return req_add_headerf(r, "Location", "/%s", s->b.name) ? -S3E_InternalError : 0;
}

/* The region a CreateBucket asks for: LocationConstraint in the body, else the default. */
static int create_region(struct req *r, char region[32])
{
    snprintf(region, 32, "%s", req_default_region(r));
    if (!r->body.mem.len)
        return 0;
    xmlDocPtr doc;
    int rc = s3_parse_xml_body(r, &doc);
    if (rc)
        return rc;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (strcmp((const char *)root->name, "CreateBucketConfiguration") != 0) {
        xmlFreeDoc(doc);
        return req_error(r, S3E_MalformedXML, NULL);
    }
    char *lc = s3_xml_child_text(root, "LocationConstraint");
    if (s3_xml_child(root, "Location") || s3_xml_child(root, "Bucket")) {
        rc = req_errorf(r, S3E_NotImplemented,
                        "Directory bucket configuration (Location, Bucket) is not supported");
    } else if (lc && *lc) {
        const char *want = strcmp(lc, "EU") == 0 ? "eu-west-1" : lc;
        if (strcmp(want, "us-east-1") == 0 || !looks_like_region(want)) {
            /* us-east-1 is named by the absence of a constraint, never by one. */
            rc = req_error(r, S3E_InvalidLocationConstraint, NULL);
        } else if (!req_region_served(r, want)) {
            rc = req_errorf(r, S3E_IllegalLocationConstraintException,
                            "The %s location constraint is incompatible for the region "
                            "specific endpoint this request was sent to.",
                            want);
        } else {
            snprintf(region, 32, "%s", want);
        }
    }
    xmlFree(lc);
    xmlFreeDoc(doc);
    return rc;
}

int h_create_bucket(struct req *r)
{
    static const char *const unbuilt[] = {"x-amz-bucket-object-lock-enabled"};
    if (!bucket_name_valid(r->bucket))
        return req_error(r, S3E_InvalidBucketName, NULL);
    int rc = s3_reject_headers(r, unbuilt, sizeof unbuilt / sizeof unbuilt[0]);
    if (rc)
        return rc;
    /* Without the header no setting is stored: the bucket behaves as ObjectWriter and
     * GetBucketOwnershipControls answers that none is set (s3/ownership.h). */
    enum ownership own = OWN_OBJECT_WRITER;
    const char *own_h = req_header(r, "x-amz-object-ownership");
    if (own_h && ownership_parse(own_h, &own)) {
        buf_put_xml_elem(&r->error_extra, "ArgumentName", "x-amz-object-ownership");
        buf_put_xml_elem(&r->error_extra, "ArgumentValue", own_h);
        return req_error(r, S3E_InvalidArgument, "Invalid x-amz-object-ownership header");
    }
    struct create_state *s = calloc(1, sizeof *s);
    if (!s)
        return -S3E_ServiceUnavailable;
    r->handler_state = s;
    r->handler_state_free = create_state_free;
    s->ownership = own_h;
    snprintf(s->b.name, sizeof s->b.name, "%s", r->bucket);
    snprintf(s->b.owner_account, sizeof s->b.owner_account, "%s", r->who.account_id);
    s->b.created_ms = store_now_ms();
    rc = create_region(r, s->b.region);
    if (rc)
        return rc;
    snprintf(r->region, sizeof r->region, "%s", s->b.region);
    rc = s3_bucket_create_acl(r, own, &s->b.acl);
    return rc ? rc : req_commit(r, create_apply, create_then);
}

/* ---- DeleteBucket, HeadBucket, GetBucketLocation --------------------------------------------- */

static int delete_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    return store_txn_bucket_delete(t, r->bkt.id);
}

static int delete_then(struct req *r)
{
    if (r->commit_rc == -ENOTEMPTY)
        return s3_error_naming(r, S3E_BucketNotEmpty, "BucketName", r->bucket);
    if (r->commit_rc == -ENOENT)
        return s3_no_such_bucket(r, r->bucket);
    if (r->commit_rc)
        return s3err_from_errno(r->commit_rc);
    req_set_status(r, 204);
    return 0;
}

int h_delete_bucket(struct req *r)
{
    return req_commit(r, delete_apply, delete_then);
}

int h_head_bucket(struct req *r)
{
    int rc = req_add_header(r, "x-amz-bucket-region", r->bkt.region);
    if (!rc)
        rc = req_add_header(r, "x-amz-access-point-alias", "false");
    return rc ? -S3E_InternalError : 0;
}

int h_get_bucket_location(struct req *r)
{
    struct buf *b = &r->resp_body;
    int rc = req_xml_begin(r);
    if (strcmp(r->bkt.region, "us-east-1") == 0) {
        buf_puts(b, "<LocationConstraint xmlns=\"" S3_XMLNS "\"/>");
    } else {
        buf_puts(b, "<LocationConstraint xmlns=\"" S3_XMLNS "\">");
        buf_put_xml(b, r->bkt.region);
        buf_puts(b, "</LocationConstraint>");
    }
    return !rc && buf_ok(b) ? 0 : -S3E_ServiceUnavailable;
}
