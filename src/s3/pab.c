/*
 * pab.c — Block Public Access settings: forms, the effective settings, the put-time ACL check,
 * and the bucket and account handlers (pab.h has the contract).
 */
#include "s3/pab.h"

#include <errno.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/acl.h"
#include "http/req.h"
#include "s3/errors.h"
#include "s3/handlers.h"
#include "s3/s3util.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/xmlin.h"

/* The four members in the order S3 writes them. */
static const char *const member_names[4] = {"BlockPublicAcls", "IgnorePublicAcls",
                                            "BlockPublicPolicy", "RestrictPublicBuckets"};

static bool *member(struct pab *p, size_t i)
{
    bool *m[4] = {&p->block_public_acls, &p->ignore_public_acls, &p->block_public_policy,
                  &p->restrict_public_buckets};
    return m[i];
}

static bool member_of(const struct pab *p, size_t i)
{
    return *member((struct pab *)p, i);
}

/* ---- forms ----------------------------------------------------------------------------------- */

int pab_parse_xml(const char *doc, size_t len, struct pab *out)
{
    memset(out, 0, sizeof *out);
    xmlDocPtr x;
    int rc = xmlin_parse(doc, len, XML_PARSE_NOBLANKS, &x);
    if (rc)
        return rc;
    xmlNodePtr root = xmlDocGetRootElement(x);
    if (strcmp((const char *)root->name, "PublicAccessBlockConfiguration") != 0)
        rc = -EINVAL;
    bool seen[4] = {false};
    for (xmlNodePtr c = root ? root->children : NULL; !rc && c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        size_t i = 0;
        while (i < 4 && strcmp((const char *)c->name, member_names[i]) != 0)
            i++;
        if (i == 4 || seen[i]) {
            rc = -EINVAL;
            break;
        }
        seen[i] = true;
        xmlChar *t = xmlNodeGetContent(c);
        if (!t) {
            rc = -ENOMEM;
            break;
        }
        if (strcasecmp((const char *)t, "true") == 0)
            *member(out, i) = true;
        else if (strcasecmp((const char *)t, "false") != 0)
            rc = -EINVAL;
        xmlFree(t);
    }
    if (x)
        xmlFreeDoc(x);
    return rc;
}

int pab_to_json(const struct pab *p, char **json)
{
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < 4; i++)
        buf_printf(&b, "%s\"%s\":%s", i ? "," : "{", member_names[i],
                   member_of(p, i) ? "true" : "false");
    buf_putc(&b, '}');
    if (!buf_ok(&b)) {
        buf_free(&b);
        return -ENOMEM;
    }
    *json = buf_detach(&b);
    return 0;
}

int pab_from_json(const char *json, struct pab *out)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json ? json_loads(json, 0, &jerr) : NULL;
    if (!root)
        return json && json_error_code(&jerr) == json_error_out_of_memory ? -ENOMEM : -EINVAL;
    int rc = json_is_object(root) ? 0 : -EINVAL;
    for (size_t i = 0; !rc && i < 4; i++) {
        json_t *v = json_object_get(root, member_names[i]);
        if (v && !json_is_boolean(v))
            rc = -EINVAL;
        *member(out, i) = json_is_true(v);
    }
    json_decref(root);
    return rc;
}

int pab_write_xml(struct buf *b, const struct pab *p, const char *xmlns)
{
    buf_printf(b, "<PublicAccessBlockConfiguration xmlns=\"%s\">", xmlns);
    for (size_t i = 0; i < 4; i++)
        buf_put_xml_elem(b, member_names[i], member_of(p, i) ? "true" : "false");
    buf_puts(b, "</PublicAccessBlockConfiguration>");
    return buf_ok(b) ? 0 : -ENOMEM;
}

/* ---- the settings in force ------------------------------------------------------------------- */

/* ORs a stored document (NULL: none) into out. */
static int merge(const char *json, struct pab *out)
{
    if (!json)
        return 0;
    struct pab p;
    int rc = pab_from_json(json, &p);
    for (size_t i = 0; !rc && i < 4; i++)
        *member(out, i) = member_of(out, i) || member_of(&p, i);
    return rc;
}

int pab_effective(struct store *st, const char *account_id, int64_t bucket_id, struct pab *out)
{
    memset(out, 0, sizeof *out);
    char *doc = NULL;
    int rc = 0;
    if (account_id && account_id[0]) {
        rc = store_doc_get(st, PAB_DOC_KIND, account_id, PAB_DOC_NAME, &doc);
        if (rc == -ENOENT)
            rc = 0;
        if (!rc)
            rc = merge(doc, out);
        free(doc);
        doc = NULL;
    }
    if (!rc && bucket_id) {
        rc = store_bucket_config_get(st, bucket_id, PAB_CONFIG, &doc);
        if (rc == -ENOENT)
            rc = 0;
        if (!rc)
            rc = merge(doc, out);
        free(doc);
    }
    return rc;
}

int pab_check_acl(struct req *r, const struct acl *a)
{
    if (!acl_grants_public(a))
        return 0;
    struct pab p;
    int rc = r->bkt_loaded ? pab_effective(r->st, r->bkt.owner_account, r->bkt.id, &p)
                           : pab_effective(r->st, r->who.account_id, 0, &p);
    if (rc)
        return s3err_from_errno(rc);
    return p.block_public_acls ? req_error(r, S3E_AccessDenied, NULL) : 0;
}

/* ---- the bucket calls ------------------------------------------------------------------------ */

static int bucket_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    return store_txn_bucket_config_set(t, r->bkt.id, PAB_CONFIG, r->handler_state);
}

static int bucket_then(struct req *r)
{
    if (r->commit_rc == -ENOENT)
        return s3_no_such_bucket(r, r->bucket);
    if (r->commit_rc)
        return s3err_from_errno(r->commit_rc);
    if (!r->handler_state)
        req_set_status(r, 204); /* a delete */
    return 0;
}

/* The configuration of a PUT body as stored JSON in r->handler_state. */
static int take_body(struct req *r)
{
    struct pab p;
    int rc = pab_parse_xml(r->body.mem.data, r->body.mem.len, &p);
    if (rc == -ENOMEM)
        return -S3E_ServiceUnavailable;
    if (rc)
        return req_error(r, S3E_MalformedXML, NULL);
    char *json;
    if (pab_to_json(&p, &json))
        return -S3E_ServiceUnavailable;
    r->handler_state = json;
    r->handler_state_free = free;
    return 0;
}

int h_put_public_access_block(struct req *r)
{
    int rc = take_body(r);
    return rc ? rc : req_commit(r, bucket_apply, bucket_then);
}

/* handler_state stays NULL: the apply deletes the document. */
int h_delete_public_access_block(struct req *r)
{
    return req_commit(r, bucket_apply, bucket_then);
}

static int answer(struct req *r, const char *json, const char *xmlns)
{
    struct pab p;
    int rc = pab_from_json(json, &p);
    if (rc)
        return s3err_from_errno(rc);
    rc = req_xml_begin(r);
    rc = rc ? rc : pab_write_xml(&r->resp_body, &p, xmlns);
    return rc ? -S3E_ServiceUnavailable : 0;
}

int h_get_public_access_block(struct req *r)
{
    char *doc = NULL;
    int rc = store_bucket_config_get(r->st, r->bkt.id, PAB_CONFIG, &doc);
    if (rc == -ENOENT)
        return s3_error_naming(r, S3E_NoSuchPublicAccessBlockConfiguration, "BucketName",
                               r->bucket);
    if (rc)
        return s3err_from_errno(rc);
    rc = answer(r, doc, S3_XMLNS);
    free(doc);
    return rc;
}

/* ---- the account calls (S3 Control) ---------------------------------------------------------- */

/* x-amz-account-id names the account whose settings are meant; only the account itself may
 * touch them here (an organization's management account has no such power in this server). */
static int check_account(struct req *r)
{
    const char *id = req_header(r, "x-amz-account-id");
    if (!id || r->who.type == PRINCIPAL_ANONYMOUS || strcmp(id, r->who.account_id) != 0)
        return req_error(r, S3E_AccessDenied, NULL);
    return 0;
}

static int account_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    return store_txn_doc_set(t, PAB_DOC_KIND, r->who.account_id, PAB_DOC_NAME, r->handler_state);
}

/* S3 Control answers 200 with an empty body to both the PUT and the DELETE. */
static int account_then(struct req *r)
{
    return r->commit_rc ? s3err_from_errno(r->commit_rc) : 0;
}

int h_put_account_public_access_block(struct req *r)
{
    int rc = check_account(r);
    rc = rc ? rc : take_body(r);
    return rc ? rc : req_commit(r, account_apply, account_then);
}

int h_delete_account_public_access_block(struct req *r)
{
    int rc = check_account(r);
    return rc ? rc : req_commit(r, account_apply, account_then);
}

int h_get_account_public_access_block(struct req *r)
{
    int rc = check_account(r);
    if (rc)
        return rc;
    char *doc = NULL;
    rc = store_doc_get(r->st, PAB_DOC_KIND, r->who.account_id, PAB_DOC_NAME, &doc);
    if (rc == -ENOENT)
        return req_error(r, S3E_NoSuchPublicAccessBlockConfiguration, NULL);
    if (rc)
        return s3err_from_errno(rc);
    rc = answer(r, doc, PAB_S3CONTROL_XMLNS);
    free(doc);
    return rc;
}
