/*
 * ownership.c — the object ownership setting and its three handlers (ownership.h has the rules).
 */
#include "s3/ownership.h"

#include <errno.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "auth/acl.h"
#include "http/req.h"
#include "s3/errors.h"
#include "s3/handlers.h"
#include "s3/s3util.h"
#include "store/store.h"

static const char *const names[] = {
    [OWN_OBJECT_WRITER] = "ObjectWriter",
    [OWN_BUCKET_OWNER_PREFERRED] = "BucketOwnerPreferred",
    [OWN_BUCKET_OWNER_ENFORCED] = "BucketOwnerEnforced",
};

const char *ownership_name(enum ownership o)
{
    return (size_t)o < sizeof names / sizeof names[0] ? names[o] : names[OWN_OBJECT_WRITER];
}

int ownership_parse(const char *name, enum ownership *out)
{
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (enum ownership)i;
            return 0;
        }
    return -EINVAL;
}

int ownership_get(struct store *st, int64_t bucket_id, enum ownership *out)
{
    char *v = NULL;
    int rc = store_bucket_config_get(st, bucket_id, OWNERSHIP_CONFIG, &v);
    if (rc == -ENOENT) {
        *out = OWN_OBJECT_WRITER;
        return 0;
    }
    if (rc)
        return rc;
    rc = ownership_parse(v, out);
    free(v);
    return rc;
}

/* ---- PutBucketOwnershipControls -------------------------------------------------------------- */

/* Refusal of BucketOwnerEnforced while the bucket's ACL grants others; no errno means this. */
#define ACL_GRANTS_OTHERS (-EPERM)

struct put_state {
    enum ownership o;
    char owner_canonical[65]; /* the bucket owner's, for the Enforced check */
};

/* The ACL is read inside the writer's transaction, so a PutBucketAcl cannot slip a grant in
 * between the check and the change. (The converse order, a PutBucketAcl checking the setting
 * while this commits, is checked outside the transaction: the store has no transactional read of
 * a bucket configuration.) */
static int put_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct put_state *s = r->handler_state;
    if (s->o == OWN_BUCKET_OWNER_ENFORCED) {
        struct bucket b;
        int rc = store_txn_bucket_get(t, r->bkt.name, &b);
        if (rc)
            return rc;
        struct acl a = ACL_INIT;
        rc = b.id != r->bkt.id ? -ENOENT : acl_from_json(b.acl, &a);
        if (!rc && !acl_only_owner(&a, s->owner_canonical))
            rc = ACL_GRANTS_OTHERS;
        acl_free(&a);
        store_bucket_free(&b);
        if (rc)
            return rc;
    }
    return store_txn_bucket_config_set(t, r->bkt.id, OWNERSHIP_CONFIG, ownership_name(s->o));
}

static int put_then(struct req *r)
{
    if (r->commit_rc == ACL_GRANTS_OTHERS)
        return req_error(r, S3E_InvalidBucketAclWithObjectOwnership, NULL);
    if (r->commit_rc == -ENOENT)
        return s3_no_such_bucket(r, r->bucket);
    return r->commit_rc ? s3err_from_errno(r->commit_rc) : 0;
}

/* <OwnershipControls><Rule><ObjectOwnership>X</ObjectOwnership></Rule></OwnershipControls>,
 * exactly one Rule with one known setting: anything else is MalformedXML, as S3 answers it. */
static int parse_controls(struct req *r, enum ownership *out)
{
    xmlDocPtr doc;
    int rc = s3_parse_xml_body(r, &doc);
    if (rc)
        return rc;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    size_t rules = 0;
    xmlNodePtr rule = NULL;
    for (xmlNodePtr c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)c->name, "Rule") != 0)
            rules = 2; /* an unknown element: refused like a second rule */
        rules++;
        rule = c;
    }
    char *v = NULL;
    rc = strcmp((const char *)root->name, "OwnershipControls") == 0 && rules == 1 ? 0 : -1;
    if (!rc) {
        v = s3_xml_child_text(rule, "ObjectOwnership");
        rc = ownership_parse(v, out);
    }
    xmlFree(v);
    xmlFreeDoc(doc);
    return rc ? req_error(r, S3E_MalformedXML, NULL) : 0;
}

int h_put_bucket_ownership_controls(struct req *r)
{
    struct put_state *s = calloc(1, sizeof *s);
    if (!s)
        return -S3E_ServiceUnavailable;
    r->handler_state = s;
    r->handler_state_free = free;
    int rc = parse_controls(r, &s->o);
    if (rc)
        return rc;
    if (s->o == OWN_BUCKET_OWNER_ENFORCED) {
        struct account a;
        rc = store_account_get(r->st, r->bkt.owner_account, &a);
        if (rc)
            return s3err_from_errno(rc);
        memcpy(s->owner_canonical, a.canonical_id, sizeof s->owner_canonical);
    }
    return req_commit(r, put_apply, put_then);
}

/* ---- GetBucketOwnershipControls, DeleteBucketOwnershipControls ------------------------------- */

int h_get_bucket_ownership_controls(struct req *r)
{
    char *v = NULL;
    int rc = store_bucket_config_get(r->st, r->bkt.id, OWNERSHIP_CONFIG, &v);
    if (rc == -ENOENT)
        return s3_error_naming(r, S3E_OwnershipControlsNotFoundError, "BucketName", r->bucket);
    if (rc)
        return s3err_from_errno(rc);
    struct buf *b = &r->resp_body;
    rc = req_xml_begin(r);
    buf_puts(b, "<OwnershipControls xmlns=\"" S3_XMLNS "\"><Rule>");
    buf_put_xml_elem(b, "ObjectOwnership", v);
    buf_puts(b, "</Rule></OwnershipControls>");
    free(v);
    return !rc && buf_ok(b) ? 0 : -S3E_ServiceUnavailable;
}

static int delete_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    return store_txn_bucket_config_set(t, r->bkt.id, OWNERSHIP_CONFIG, NULL);
}

static int delete_then(struct req *r)
{
    if (r->commit_rc == -ENOENT)
        return s3_no_such_bucket(r, r->bucket);
    if (r->commit_rc)
        return s3err_from_errno(r->commit_rc);
    req_set_status(r, 204);
    return 0;
}

/* Deleting an unset setting is not an error: S3 answers 204 then too. */
int h_delete_bucket_ownership_controls(struct req *r)
{
    return req_commit(r, delete_apply, delete_then);
}
