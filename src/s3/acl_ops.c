/*
 * acl_ops.c — the ACL calls and the ACLs writes carry (acl_ops.h has the contract).
 *
 * Sources for S3's answers: the error codes and messages of the S3 API reference's error list
 * and the object ownership troubleshooting page (AccessControlListNotSupported,
 * InvalidBucketAclWithObjectOwnership); "Invalid id" / "Invalid group uri" and
 * UnresolvableGrantByEmailAddress as S3 answered them in aws/aws-sdk-ruby#826 and
 * aws/aws-cli#2246.
 */
#include "s3/acl_ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/acl.h"
#include "auth/authz.h"
#include "http/req.h"
#include "s3/errors.h"
#include "s3/handlers.h"
#include "s3/pab.h"
#include "s3/s3util.h"

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

/* The grant headers with the permission each grants, in the order they are read. */
static const struct {
    const char *header;
    enum acl_perm perm;
} grant_headers[] = {
    {"x-amz-grant-read", ACL_PERM_READ},
    {"x-amz-grant-write", ACL_PERM_WRITE},
    {"x-amz-grant-read-acp", ACL_PERM_READ_ACP},
    {"x-amz-grant-write-acp", ACL_PERM_WRITE_ACP},
    {"x-amz-grant-full-control", ACL_PERM_FULL_CONTROL},
};
#define N_GRANT_HEADERS (sizeof grant_headers / sizeof grant_headers[0])

/* PutObject, CopyObject and CreateMultipartUpload have no x-amz-grant-write (their models do
 * not; a WRITE grant means nothing on an object): that header is not read for them. */
static bool has_grant_headers(struct req *r, bool with_write)
{
    for (size_t i = 0; i < N_GRANT_HEADERS; i++)
        if ((with_write || grant_headers[i].perm != ACL_PERM_WRITE) &&
            req_header(r, grant_headers[i].header))
            return true;
    return false;
}

static int invalid_argument(struct req *r, const char *msg, const char *name, const char *value)
{
    buf_put_xml_elem(&r->error_extra, "ArgumentName", name);
    buf_put_xml_elem(&r->error_extra, "ArgumentValue", value);
    return req_error(r, S3E_InvalidArgument, msg);
}

/* Every grantee must be an account: e-mail addresses become that account's canonical id (the
 * grant keeps the address), canonical ids must name one. Canned ACLs need no check: they name
 * the owners only. */
static int resolve_grantees(struct req *r, struct acl *a)
{
    for (size_t i = 0; i < a->n; i++) {
        struct acl_grant *g = &a->grants[i];
        struct account acc;
        int rc;
        if (g->type == ACL_GRANTEE_EMAIL) {
            rc = store_account_by_email(r->st, g->value, &acc);
            if (rc == -ENOENT)
                return req_error(r, S3E_UnresolvableGrantByEmailAddress, NULL);
            if (!rc)
                rc = acl_resolve_email(a, i, acc.canonical_id);
        } else if (g->type == ACL_GRANTEE_CANONICAL) {
            rc = store_account_by_canonical(r->st, g->value, &acc);
            if (rc == -ENOENT)
                return invalid_argument(r, "Invalid id", "CanonicalUser/ID", g->value);
        } else {
            continue;
        }
        if (rc)
            return s3err_from_errno(rc);
    }
    return 0;
}

/* The ACL of x-amz-acl or the grant headers, into an empty *out; *given false (and *out the
 * private ACL of owner) when the request carries neither. */
static int acl_from_headers(struct req *r, bool with_write, const char *owner,
                            const char *bucket_owner, struct acl *out, bool *given)
{
    const char *canned = req_header(r, "x-amz-acl");
    bool grants = has_grant_headers(r, with_write);
    *given = canned || grants;
    if (canned && grants)
        return req_error(r, S3E_InvalidRequest,
                         "Specifying both Canned ACLs and Header Grants is not allowed");
    if (!grants) {
        int rc = acl_canned(canned, owner, bucket_owner, out);
        if (rc == -EINVAL)
            return req_error(r, S3E_InvalidArgument, NULL);
        return rc ? -S3E_ServiceUnavailable : 0;
    }
    int rc = acl_set_owner(out, owner);
    for (size_t i = 0; !rc && i < N_GRANT_HEADERS; i++) {
        const char *v = req_header(r, grant_headers[i].header);
        if (!v || (!with_write && grant_headers[i].perm == ACL_PERM_WRITE))
            continue;
        rc = acl_add_header_grants(out, v, grant_headers[i].perm);
        if (rc == -EDOM)
            return invalid_argument(r, "Invalid group uri", grant_headers[i].header, v);
        if (rc == -EINVAL || rc == -E2BIG)
            return invalid_argument(r, NULL, grant_headers[i].header, v);
    }
    if (rc)
        return -S3E_ServiceUnavailable;
    return resolve_grantees(r, out);
}

/* The canonical id of an account, "" when it has none (the anonymous writer of a public bucket). */
static int canonical_of(struct req *r, const char *account_id, char out[65])
{
    if (r->who.type != PRINCIPAL_ANONYMOUS && strcmp(account_id, r->who.account_id) == 0) {
        memcpy(out, r->who.canonical_id, 65);
        return 0;
    }
    struct account a;
    int rc = store_account_get(r->st, account_id, &a);
    if (rc == -ENOENT) {
        out[0] = '\0';
        return 0;
    }
    if (rc)
        return s3err_from_errno(rc);
    memcpy(out, a.canonical_id, 65);
    return 0;
}

static int stored_form(const struct acl *a, char **json)
{
    int rc = acl_to_json(a, json);
    return rc ? s3err_from_errno(rc) : 0;
}

/* ---- the ACLs writes carry ------------------------------------------------------------------- */

int s3_object_write_acl(struct req *r, char **acl, char owner_account[13])
{
    *acl = NULL;
    const char *canned = req_header(r, "x-amz-acl");
    bool writer_owns_bucket =
        r->who.type != PRINCIPAL_ANONYMOUS && strcmp(r->who.account_id, r->bkt.owner_account) == 0;
    snprintf(owner_account, 13, "%s", r->who.account_id);
    /* The common case: the bucket owner writes without ACL headers. Whatever the ownership
     * setting, it owns the object and the ACL is private. */
    if (!canned && writer_owns_bucket && !has_grant_headers(r, false)) {
        int rc = acl_from_canned(NULL, r->who.canonical_id, NULL, acl);
        return rc ? s3err_from_errno(rc) : 0;
    }
    enum ownership own;
    int rc = ownership_get(r->st, r->bkt.id, &own);
    if (rc)
        return s3err_from_errno(rc);
    char bucket_owner[65], owner[65];
    rc = canonical_of(r, r->bkt.owner_account, bucket_owner);
    if (rc)
        return rc;
    bool to_bucket_owner =
        own == OWN_BUCKET_OWNER_ENFORCED || (own == OWN_BUCKET_OWNER_PREFERRED && canned &&
                                             strcmp(canned, "bucket-owner-full-control") == 0);
    if (to_bucket_owner) {
        snprintf(owner_account, 13, "%s", r->bkt.owner_account);
        memcpy(owner, bucket_owner, sizeof owner);
    } else {
        memcpy(owner, r->who.canonical_id, sizeof owner);
    }
    struct acl a = ACL_INIT;
    bool given;
    rc = acl_from_headers(r, false, owner, bucket_owner, &a, &given);
    if (!rc && own == OWN_BUCKET_OWNER_ENFORCED && given && !acl_only_owner(&a, bucket_owner))
        rc = req_error(r, S3E_AccessControlListNotSupported, NULL);
    rc = rc ? rc : pab_check_acl(r, &a);
    rc = rc ? rc : stored_form(&a, acl);
    acl_free(&a);
    return rc;
}

int s3_bucket_create_acl(struct req *r, enum ownership own, char **acl)
{
    *acl = NULL;
    struct acl a = ACL_INIT;
    bool given;
    const char *me = r->who.canonical_id;
    int rc = acl_from_headers(r, true, me, me, &a, &given);
    if (!rc && own == OWN_BUCKET_OWNER_ENFORCED && !acl_only_owner(&a, me))
        rc = req_error(r, S3E_InvalidBucketAclWithObjectOwnership, NULL);
    rc = rc ? rc : pab_check_acl(r, &a);
    rc = rc ? rc : stored_form(&a, acl);
    acl_free(&a);
    return rc;
}

int s3_owner_rule(struct req *r, struct owner_rule *out)
{
    enum ownership own;
    int rc = ownership_get(r->st, r->bkt.id, &own);
    if (rc)
        return s3err_from_errno(rc);
    out->enforced = own == OWN_BUCKET_OWNER_ENFORCED;
    return canonical_of(r, r->bkt.owner_account, out->bucket_owner_canonical);
}

void s3_upload_object_owner(const struct req *r, const struct owner_rule *rule,
                            const struct upload *u, char owner_account[13])
{
    bool bucket_owner = rule->enforced;
    struct acl a = ACL_INIT;
    if (!bucket_owner && rule->bucket_owner_canonical[0] && acl_from_json(u->acl, &a) == 0)
        bucket_owner = a.owner && strcmp(a.owner, rule->bucket_owner_canonical) == 0;
    acl_free(&a);
    snprintf(owner_account, 13, "%s", bucket_owner ? r->bkt.owner_account : u->owner_account);
}

/* ---- Get*Acl --------------------------------------------------------------------------------- */

static void put_grant(struct req *r, const struct acl_grant *g)
{
    struct buf *b = &r->resp_body;
    bool group = g->type == ACL_GRANTEE_GROUP;
    buf_printf(b, "<Grant><Grantee xmlns:xsi=\"" XSI_NS "\" xsi:type=\"%s\">",
               group ? "Group" : "CanonicalUser");
    if (group) {
        buf_put_xml_elem(b, "URI", g->value);
    } else {
        struct account a;
        buf_put_xml_elem(b, "ID", g->value);
        if (store_account_by_canonical(r->st, g->value, &a) == 0)
            buf_put_xml_elem(b, "DisplayName", a.display_name);
    }
    buf_puts(b, "</Grantee>");
    buf_put_xml_elem(b, "Permission", acl_perm_name(g->perm));
    buf_puts(b, "</Grant>");
}

/* <AccessControlPolicy> of a resource owned by owner_account. */
static int answer_policy(struct req *r, const char *owner_account, const struct acl *a)
{
    struct buf *b = &r->resp_body;
    int rc = req_xml_begin(r);
    buf_puts(b, "<AccessControlPolicy xmlns=\"" S3_XMLNS "\">");
    rc = rc ? rc : s3_put_owner(b, r->st, "Owner", owner_account);
    buf_puts(b, "<AccessControlList>");
    for (size_t i = 0; i < a->n; i++)
        put_grant(r, &a->grants[i]);
    buf_puts(b, "</AccessControlList></AccessControlPolicy>");
    return !rc && buf_ok(b) ? 0 : -S3E_ServiceUnavailable;
}

/* The ACL Get*Acl shows: the stored one; the owner's FULL_CONTROL alone when there is none or
 * when the bucket enforces ownership (ACLs disabled). */
static int shown_acl(struct req *r, const char *stored, const char *owner_account, bool enforced,
                     struct acl *out)
{
    if (stored && !enforced) {
        int rc = acl_from_json(stored, out);
        return rc ? s3err_from_errno(rc) : 0;
    }
    char canonical[65];
    int rc = canonical_of(r, owner_account, canonical);
    if (rc)
        return rc;
    rc = acl_canned(NULL, canonical, NULL, out);
    return rc ? s3err_from_errno(rc) : 0;
}

int h_get_bucket_acl(struct req *r)
{
    enum ownership own;
    int rc = ownership_get(r->st, r->bkt.id, &own);
    if (rc)
        return s3err_from_errno(rc);
    struct acl a = ACL_INIT;
    rc = shown_acl(r, r->bkt.acl, r->bkt.owner_account, own == OWN_BUCKET_OWNER_ENFORCED, &a);
    rc = rc ? rc : answer_policy(r, r->bkt.owner_account, &a);
    acl_free(&a);
    return rc;
}

/* Versioning comes with its own issue; until then only the "null" version exists, as for
 * GetObject. */
static int check_version_id(struct req *r)
{
    const char *v = req_query(r, "versionId");
    if (!v || strcmp(v, "null") == 0)
        return 0;
    buf_put_xml_elem(&r->error_extra, "Key", r->key);
    return s3_error_naming(r, S3E_NoSuchVersion, "VersionId", v);
}

/* The object and its owner as Get/PutObjectAcl see it (the bucket owner under
 * BucketOwnerEnforced). */
static int load_object(struct req *r, struct object_meta *m, enum ownership *own,
                       char owner_account[13])
{
    int rc = check_version_id(r);
    if (rc)
        return rc;
    rc = ownership_get(r->st, r->bkt.id, own);
    if (rc)
        return s3err_from_errno(rc);
    rc = store_object_get(r->st, r->bkt.id, r->key, m);
    if (rc == -ENOENT) /* only a caller who may list learns that the key is absent */
        return authz_may_list(r) ? s3_no_such_key(r, r->key) : req_error(r, S3E_AccessDenied, NULL);
    if (rc)
        return s3err_from_errno(rc);
    snprintf(owner_account, 13, "%s",
             *own == OWN_BUCKET_OWNER_ENFORCED ? r->bkt.owner_account : m->owner_account);
    rc = authz_object(r, owner_account, *own == OWN_BUCKET_OWNER_ENFORCED ? NULL : m->acl);
    if (rc)
        store_object_free(m);
    return rc;
}

int h_get_object_acl(struct req *r)
{
    struct object_meta m;
    enum ownership own;
    char owner[13];
    int rc = load_object(r, &m, &own, owner);
    if (rc)
        return rc;
    struct acl a = ACL_INIT;
    rc = shown_acl(r, m.acl, owner, own == OWN_BUCKET_OWNER_ENFORCED, &a);
    rc = rc ? rc : answer_policy(r, owner, &a);
    acl_free(&a);
    store_object_free(&m);
    return rc;
}

/* ---- Put*Acl --------------------------------------------------------------------------------- */

/* An AccessControlPolicy body of a resource whose owner is `owner`, into an empty *out. */
static int acl_from_body(struct req *r, const char *owner, struct acl *out)
{
    int rc = acl_parse_xml(r->body.mem.data, r->body.mem.len, out);
    if (rc == -EDOM)
        return req_error(r, S3E_InvalidArgument, "Invalid group uri");
    if (rc == -ENOMEM)
        return -S3E_ServiceUnavailable;
    if (rc || !out->owner)
        return req_error(r, S3E_MalformedACLError, NULL);
    /* The document names the owner it believes in: a client working from a stale copy, or
     * trying to hand the resource to someone else, is refused. */
    if (strcmp(out->owner, owner) != 0)
        return req_error(r, S3E_AccessDenied, NULL);
    return resolve_grantees(r, out);
}

/* The ACL a Put*Acl asks for, for a resource owned by `owner` in a bucket owned by
 * `bucket_owner` (canonical ids), checked against ownership and Block Public Access. */
static int acl_requested(struct req *r, const char *owner, const char *bucket_owner, bool enforced,
                         struct acl *out)
{
    bool headers = req_header(r, "x-amz-acl") || has_grant_headers(r, true);
    int rc;
    if (headers && r->body.mem.len)
        return req_error(r, S3E_UnexpectedContent, NULL);
    if (headers) {
        bool given;
        rc = acl_from_headers(r, true, owner, bucket_owner, out, &given);
    } else if (r->body.mem.len) {
        rc = acl_from_body(r, owner, out);
    } else {
        buf_put_xml_elem(&r->error_extra, "MissingHeaderName", "x-amz-acl");
        return req_error(r, S3E_MissingSecurityHeader, NULL);
    }
    if (!rc && enforced && !acl_only_owner(out, bucket_owner))
        rc = req_error(r, S3E_AccessControlListNotSupported, NULL);
    rc = rc ? rc : pab_check_acl(r, out);
    rc = rc ? rc : acl_set_owner(out, owner) ? -S3E_ServiceUnavailable : 0;
    return rc;
}

struct put_state {
    char *acl;              /* the stored form to write */
    char owner_account[13]; /* PutObjectAcl: the owner the ACL was computed for */
    int64_t object_id;      /* PutObjectAcl: the object authorized (its ACL granted WRITE_ACP) */
};

static void put_state_free(void *p)
{
    struct put_state *s = p;
    if (s)
        free(s->acl);
    free(s);
}

static int put_then(struct req *r)
{
    if (r->commit_rc == -ENOKEY)
        return s3_no_such_key(r, r->key);
    if (r->commit_rc == -ENOENT)
        return s3_no_such_bucket(r, r->bucket);
    if (r->commit_rc == -EAGAIN)
        return -S3E_SlowDown;
    return r->commit_rc ? s3err_from_errno(r->commit_rc) : 0;
}

static int put_bucket_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct put_state *s = r->handler_state;
    return store_txn_bucket_set_acl(t, r->bkt.id, s->acl);
}

static struct put_state *new_put_state(struct req *r)
{
    struct put_state *s = calloc(1, sizeof *s);
    if (s) {
        r->handler_state = s;
        r->handler_state_free = put_state_free;
    }
    return s;
}

int h_put_bucket_acl(struct req *r)
{
    struct put_state *s = new_put_state(r);
    if (!s)
        return -S3E_ServiceUnavailable;
    enum ownership own;
    int rc = ownership_get(r->st, r->bkt.id, &own);
    if (rc)
        return s3err_from_errno(rc);
    char owner[65];
    rc = canonical_of(r, r->bkt.owner_account, owner);
    if (rc)
        return rc;
    struct acl a = ACL_INIT;
    rc = acl_requested(r, owner, owner, own == OWN_BUCKET_OWNER_ENFORCED, &a);
    rc = rc ? rc : stored_form(&a, &s->acl);
    acl_free(&a);
    return rc ? rc : req_commit(r, put_bucket_apply, put_then);
}

/* The object is read again inside the transaction: a PUT may have replaced it since the ACL was
 * computed and the call authorized. Only the object that was authorized takes the ACL (its
 * replacement's own ACL may not grant the caller WRITE_ACP); a replaced object is left alone and
 * the client asked to retry (SlowDown). */
static int put_object_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct put_state *s = r->handler_state;
    struct object_meta m;
    int rc = store_txn_object_get(t, r->bkt.id, r->key, &m);
    if (rc)
        return rc == -ENOENT ? -ENOKEY : rc;
    rc = m.id == s->object_id ? store_txn_object_set_acl(t, m.id, s->acl) : -EAGAIN;
    store_object_free(&m);
    return rc;
}

int h_put_object_acl(struct req *r)
{
    struct put_state *s = new_put_state(r);
    if (!s)
        return -S3E_ServiceUnavailable;
    struct object_meta m;
    enum ownership own;
    char owner_account[13];
    int rc = load_object(r, &m, &own, owner_account);
    if (rc)
        return rc;
    snprintf(s->owner_account, sizeof s->owner_account, "%s", m.owner_account);
    s->object_id = m.id;
    store_object_free(&m);
    char owner[65], bucket_owner[65];
    rc = canonical_of(r, owner_account, owner);
    rc = rc ? rc : canonical_of(r, r->bkt.owner_account, bucket_owner);
    if (rc)
        return rc;
    struct acl a = ACL_INIT;
    rc = acl_requested(r, owner, bucket_owner, own == OWN_BUCKET_OWNER_ENFORCED, &a);
    rc = rc ? rc : stored_form(&a, &s->acl);
    acl_free(&a);
    return rc ? rc : req_commit(r, put_object_apply, put_then);
}
