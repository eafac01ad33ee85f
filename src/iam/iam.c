/*
 * iam — IAM users, access keys, roles, inline and managed policies (contract: iam.h).
 *
 * Shape of every handler: validate the parameters (ValidationError), find the entity's ARN (the
 * stored one, with its path, when it exists; else the path-less one), authorize on it, and then
 * either answer from a read (GetX / ListX) or hand one writer item to req_commit(). A write's
 * apply re-reads everything it checks through the transaction — two concurrent CreateUser of
 * one name, or a DeleteUser racing a CreateAccessKey, are decided by the single writer — and
 * builds the whole answer (or the error) itself; qapi_then() passes its result on.
 */
#include "iam/iam.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/authz.h"
#include "auth/iampol.h"
#include "http/req.h"
#include "iam/iamstore.h"
#include "iam/qapi.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/uri.h"

/* ---- entities -------------------------------------------------------------------------------- */

/* Users and roles share most of their handling: inline policies, attachments, lookups. */
struct ent {
    const char *kind;     /* iamstore document kind */
    const char *word;     /* in ARNs and messages: "user", "role" */
    const char *param;    /* "UserName", "RoleName" */
    const char *member;   /* "userName", "roleName" (validation messages, records) */
    const char *name_key; /* the document's name member: "UserName", "RoleName" */
    size_t inline_max;    /* all inline documents together */
    const char *quota;    /* LimitExceeded quota name for attachments */
};

static const struct ent USER = {IAM_KIND_USER,    "user",     "UserName",
                                "userName",       "UserName", IAMPOL_MAX_USER_INLINE,
                                "PoliciesPerUser"};
static const struct ent ROLE = {IAM_KIND_ROLE,    "role",     "RoleName",
                                "roleName",       "RoleName", IAMPOL_MAX_ROLE_INLINE,
                                "PoliciesPerRole"};

static const char *js(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static long long ji(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* arn:aws:iam::<acct>:<word><path><name> ("user" + "/" + "bob"). */
static void make_arn(const char *acct, const char *word, const char *path, const char *name,
                     char out[320])
{
    snprintf(out, 320, "arn:aws:iam::%s:%s%s%s", acct, word, path ? path : "/", name);
}

/* The time CloudTrail writes in IAM and STS responseElements ("Nov 24, 2026 10:00:00 AM"), as
 * the services' Java serializers format dates. */
static void record_time(int64_t ms, char out[40])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 40, "%b %-d, %Y %-I:%M:%S %p", &tm);
}

static json_t *jtime(int64_t ms)
{
    char t[40];
    record_time(ms, t);
    return json_string(t);
}

static int no_such(struct req *r, const char *word, const char *name)
{
    return req_api_error(r, 404, "NoSuchEntity", "The %s with name %s cannot be found.", word,
                         name);
}

/* Reads the entity (NULL when absent) and its ARN (the stored one, or the path-less one for
 * authorizing a call on something that does not exist). 0 or a negative answer set on r. */
static int load(struct req *r, const struct ent *e, const char *name, json_t **doc, char arn[320])
{
    *doc = NULL;
    int rc = iam_doc_get(r->st, e->kind, r->who.account_id, name, doc);
    if (rc == -ENOENT) {
        make_arn(r->who.account_id, e->word, "/", name, arn);
        return 0;
    }
    if (rc)
        return qapi_store_error(r, rc);
    snprintf(arn, 320, "%s", js(*doc, "Arn"));
    return 0;
}

static int authorize(struct req *r, const char *resource)
{
    /* IAM refuses federated users and GetSessionToken sessions (which carry no MFA here), so
     * temporary credentials cannot mint long-term ones; role sessions may call IAM. */
    const struct principal *p = &r->who;
    if (p->type == PRINCIPAL_FEDERATED_USER ||
        (p->session && (p->type == PRINCIPAL_IAM_USER || p->type == PRINCIPAL_ROOT)))
        return req_api_error(r, 403, "AccessDenied",
                             "Cannot call %s with session credentials", r->op->name);
    return authz_identity_only(r, r->op->iam_action, resource);
}

/* The URL-encoded form IAM returns policy documents in (botocore decodes it). */
static void x_doc(struct buf *b, const char *tag, const char *doc)
{
    struct buf enc = BUF_INIT;
    if (uri_encode(&enc, doc, strlen(doc), true) == 0)
        qapi_x(b, tag, enc.data ? enc.data : "");
    else
        b->failed = true;
    buf_free(&enc);
}

static void x_user(struct buf *b, const json_t *u)
{
    qapi_x(b, "Path", js(u, "Path"));
    qapi_x(b, "UserName", js(u, "UserName"));
    qapi_x(b, "UserId", js(u, "UserId"));
    qapi_x(b, "Arn", js(u, "Arn"));
    qapi_xtime(b, "CreateDate", ji(u, "CreateDate"));
}

static void x_role(struct buf *b, const json_t *o)
{
    qapi_x(b, "Path", js(o, "Path"));
    qapi_x(b, "RoleName", js(o, "RoleName"));
    qapi_x(b, "RoleId", js(o, "RoleId"));
    qapi_x(b, "Arn", js(o, "Arn"));
    qapi_xtime(b, "CreateDate", ji(o, "CreateDate"));
    x_doc(b, "AssumeRolePolicyDocument", js(o, "AssumeRolePolicyDocument"));
    if (json_object_get(o, "Description"))
        qapi_x(b, "Description", js(o, "Description"));
    qapi_xint(b, "MaxSessionDuration", ji(o, "MaxSessionDuration"));
}

static void x_policy(struct buf *b, const json_t *p, bool with_description)
{
    qapi_x(b, "PolicyName", js(p, "PolicyName"));
    qapi_x(b, "PolicyId", js(p, "PolicyId"));
    qapi_x(b, "Arn", js(p, "Arn"));
    qapi_x(b, "Path", js(p, "Path"));
    qapi_x(b, "DefaultVersionId", "v1");
    qapi_xint(b, "AttachmentCount", ji(p, "AttachmentCount"));
    qapi_xint(b, "PermissionsBoundaryUsageCount", 0);
    qapi_x(b, "IsAttachable", "true");
    if (with_description && json_object_get(p, "Description"))
        qapi_x(b, "Description", js(p, "Description"));
    qapi_xtime(b, "CreateDate", ji(p, "CreateDate"));
    qapi_xtime(b, "UpdateDate", ji(p, "UpdateDate"));
}

/* ---- parameters shared by many actions --------------------------------------------------- */

static int read_user_name(struct req *r, bool required, const char **name)
{
    return qapi_str(r, "UserName", "userName", required, 1, 128, QC_NAME, name);
}

static int read_role_name(struct req *r, const char **name)
{
    return qapi_str(r, "RoleName", "roleName", true, 1, 64, QC_NAME, name);
}

static int read_ent_name(struct req *r, const struct ent *e, const char **name)
{
    return e == &USER ? read_user_name(r, true, name) : read_role_name(r, name);
}

/* A policy document of kind, checked as IAM checks it: MalformedPolicyDocument with the
 * validator's reason. */
static int check_document(struct req *r, const char *doc, enum iampol_kind kind)
{
    struct buf why = BUF_INIT;
    int rc = iampol_validate(doc, strlen(doc), kind, &why);
    if (rc == -EINVAL)
        rc = req_api_error(r, 400, "MalformedPolicyDocument", "%s",
                           why.data && why.data[0] ? why.data : "Syntax errors in policy.");
    else if (rc)
        rc = qapi_store_error(r, rc);
    buf_free(&why);
    return rc;
}

/* ---- paging ------------------------------------------------------------------------------ */

/* Markers are the index of the next item in the listing's order, in decimal: opaque to clients,
 * and enough for lists that change rarely. */
struct page {
    long long max;
    size_t start, seen, emitted;
    bool truncated;
};

static int page_init(struct req *r, struct page *pg)
{
    memset(pg, 0, sizeof *pg);
    pg->max = 100;
    bool present;
    int rc = qapi_int(r, "MaxItems", "maxItems", 1, 1000, &present, &pg->max);
    const char *marker = NULL;
    if (!rc)
        rc = qapi_str(r, "Marker", "marker", false, 1, 320, QC_ANY, &marker);
    if (!rc && marker) {
        char *end;
        unsigned long long v = strtoull(marker, &end, 10);
        if (!isdigit((unsigned char)marker[0]) || *end)
            return req_api_error(r, 400, "ValidationError", "Invalid Marker");
        pg->start = (size_t)v;
    }
    return rc;
}

/* Whether the next item in order goes out. */
static bool page_take(struct page *pg)
{
    size_t i = pg->seen++;
    if (i < pg->start)
        return false;
    if ((long long)pg->emitted >= pg->max) {
        pg->truncated = true;
        return false;
    }
    pg->emitted++;
    return true;
}

static void page_end(struct buf *b, const struct page *pg)
{
    qapi_x(b, "IsTruncated", pg->truncated ? "true" : "false");
    if (pg->truncated)
        buf_printf(b, "<Marker>%zu</Marker>", pg->start + pg->emitted);
}

/* ---- users ------------------------------------------------------------------------------- */

static int apply_create_user(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    const char *name = qapi_param(r, "UserName");
    const char *path = qapi_param(r, "Path");
    path = path ? path : "/";
    json_t *old = NULL;
    int rc = iam_txn_doc_get(t, IAM_KIND_USER, r->who.account_id, name, &old);
    json_decref(old);
    if (rc == 0)
        return req_api_error(r, 409, "EntityAlreadyExists", "User with name %s already exists.",
                             name);
    if (rc != -ENOENT)
        return rc;
    char id[32], arn[320];
    if ((rc = iam_random_id("AIDA", 17, id, sizeof id)))
        return rc;
    make_arn(r->who.account_id, "user", path, name, arn);
    int64_t now = store_now_ms();
    json_t *u =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:{}, s:[]}", "UserName", name, "UserId", id, "Path",
                  path, "Arn", arn, "CreateDate", (json_int_t)now, "Policies", "Attached");
    if (!u)
        return -ENOMEM;
    rc = iam_txn_doc_put(t, IAM_KIND_USER, r->who.account_id, name, u);
    if (!rc)
        rc = qapi_result_begin(r);
    if (!rc) {
        buf_puts(&r->resp_body, "<User>");
        x_user(&r->resp_body, u);
        buf_puts(&r->resp_body, "</User>");
        rc = qapi_result_end(r);
    }
    if (!rc)
        rc = qapi_record_response(r, json_pack("{s:{s:s, s:s, s:s, s:s, s:o}}", "user", "path",
                                               path, "userName", name, "userId", id, "arn", arn,
                                               "createDate", jtime(now)));
    json_decref(u);
    return rc;
}

int iam_create_user(struct req *r)
{
    static const char *const unsupported[] = {"PermissionsBoundary", "Tags", NULL};
    const char *name, *path;
    int rc = qapi_str(r, "UserName", "userName", true, 1, 64, QC_NAME, &name);
    if (!rc)
        rc = qapi_str(r, "Path", "path", false, 1, 512, QC_PATH, &path);
    if (!rc)
        rc = qapi_refuse_unsupported(r, unsupported);
    if (rc)
        return rc;
    char arn[320];
    make_arn(r->who.account_id, "user", path, name, arn);
    if ((rc = authorize(r, arn)))
        return rc;
    return req_commit(r, apply_create_user, qapi_then);
}

/* The user a call is about: UserName, or (absent) the calling IAM user. Root and role sessions
 * must name one, except where `self_root` lets root act on its own account (access keys, GetUser).
 * *name NULL with 0 means "root itself". */
static int subject_user(struct req *r, bool self_root, const char **name)
{
    int rc = read_user_name(r, false, name);
    if (rc || *name)
        return rc;
    const struct principal *w = &r->who;
    if (w->type == PRINCIPAL_IAM_USER) {
        *name = w->user_name;
        return 0;
    }
    if (w->type == PRINCIPAL_ROOT && self_root)
        return 0;
    return req_api_error(r, 400, "ValidationError",
                         "Must specify userName when calling with non-User credentials");
}

int iam_get_user(struct req *r)
{
    const char *name;
    int rc = subject_user(r, true, &name);
    if (rc)
        return rc;
    if (!name) { /* root: the account itself, as IAM answers it */
        struct account a;
        rc = store_account_get(r->st, r->who.account_id, &a);
        if (rc)
            return qapi_store_error(r, rc);
        if ((rc = qapi_result_begin(r)))
            return rc;
        struct buf *b = &r->resp_body;
        buf_puts(b, "<User>");
        qapi_x(b, "UserId", r->who.account_id);
        qapi_x(b, "Arn", r->who.arn);
        qapi_xtime(b, "CreateDate", a.created_ms);
        buf_puts(b, "</User>");
        return qapi_result_end(r);
    }
    json_t *u;
    char arn[320];
    if ((rc = load(r, &USER, name, &u, arn)))
        return rc;
    if (!(rc = authorize(r, arn)) && !u)
        rc = no_such(r, "user", name);
    if (!rc)
        rc = qapi_result_begin(r);
    if (!rc) {
        buf_puts(&r->resp_body, "<User>");
        x_user(&r->resp_body, u);
        buf_puts(&r->resp_body, "</User>");
        rc = qapi_result_end(r);
    }
    json_decref(u);
    return rc;
}

/* ListUsers / ListRoles: the account's entities of a kind, by name, under PathPrefix. */
static int list_entities(struct req *r, const char *kind, const char *list_tag,
                         void (*x)(struct buf *, const json_t *))
{
    const char *prefix;
    struct page pg;
    int rc = qapi_str(r, "PathPrefix", "pathPrefix", false, 1, 512, QC_PREFIX, &prefix);
    if (!rc)
        rc = page_init(r, &pg);
    if (!rc)
        rc = authorize(r, "*");
    if (rc)
        return rc;
    json_t *all;
    if ((rc = iam_doc_list(r->st, kind, r->who.account_id, &all)))
        return qapi_store_error(r, rc);
    rc = qapi_result_begin(r);
    struct buf *b = &r->resp_body;
    buf_printf(b, "<%s>", list_tag);
    size_t i;
    json_t *o;
    json_array_foreach(all, i, o)
    {
        if (prefix && strncmp(js(o, "Path"), prefix, strlen(prefix)) != 0)
            continue;
        if (!page_take(&pg))
            continue;
        buf_puts(b, "<member>");
        x(b, o);
        buf_puts(b, "</member>");
    }
    buf_printf(b, "</%s>", list_tag);
    page_end(b, &pg);
    json_decref(all);
    return rc ? rc : qapi_result_end(r);
}

int iam_list_users(struct req *r)
{
    return list_entities(r, IAM_KIND_USER, "Users", x_user);
}

static int apply_delete_user(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    const char *name = qapi_param(r, "UserName");
    json_t *u = NULL;
    int rc = iam_txn_doc_get(t, IAM_KIND_USER, r->who.account_id, name, &u);
    if (rc == -ENOENT)
        return no_such(r, "user", name);
    if (rc)
        return rc;
    struct access_key *keys = NULL;
    size_t nkeys = 0;
    rc = store_txn_key_list_user(t, r->who.account_id, js(u, "UserName"), &keys, &nkeys);
    free(keys);
    if (!rc && nkeys)
        rc = req_api_error(r, 409, "DeleteConflict",
                           "Cannot delete entity, must delete access keys first.");
    else if (!rc && json_object_size(json_object_get(u, "Policies")))
        rc = req_api_error(r, 409, "DeleteConflict",
                           "Cannot delete entity, must delete policies first.");
    else if (!rc && json_array_size(json_object_get(u, "Attached")))
        rc = req_api_error(r, 409, "DeleteConflict",
                           "Cannot delete entity, must detach all policies first.");
    if (!rc)
        rc = iam_txn_doc_put(t, IAM_KIND_USER, r->who.account_id, name, NULL);
    json_decref(u);
    return rc ? rc : qapi_reply_empty(r);
}

/* A write on one named user or role: validate the name, authorize on its ARN, commit. */
static int write_on(struct req *r, const struct ent *e, store_apply_fn apply)
{
    const char *name;
    int rc = read_ent_name(r, e, &name);
    if (rc)
        return rc;
    json_t *doc;
    char arn[320];
    if ((rc = load(r, e, name, &doc, arn)))
        return rc;
    json_decref(doc);
    if ((rc = authorize(r, arn)))
        return rc;
    return req_commit(r, apply, qapi_then);
}

int iam_delete_user(struct req *r)
{
    return write_on(r, &USER, apply_delete_user);
}

/* ---- access keys ------------------------------------------------------------------------- */

/* The key's owner as the call names it: an IAM user's name, or "" for root's own keys. */
static const char *key_owner(struct req *r)
{
    const char *name = qapi_param(r, "UserName");
    if (name)
        return name;
    return r->who.type == PRINCIPAL_IAM_USER ? r->who.user_name : "";
}

/* For access-key calls: the subject user (or root itself), its ARN, authorized. *user is "" for
 * root's own keys. */
static int key_subject(struct req *r, const char **user, char arn[320], json_t **doc)
{
    const char *name;
    *doc = NULL;
    int rc = subject_user(r, true, &name);
    if (rc)
        return rc;
    if (!name) {
        *user = "";
        snprintf(arn, 320, "%s", r->who.arn);
        return authorize(r, arn);
    }
    *user = name;
    if ((rc = load(r, &USER, name, doc, arn)))
        return rc;
    if ((rc = authorize(r, arn)))
        return rc;
    if (!*doc)
        return no_such(r, "user", name);
    *user = js(*doc, "UserName"); /* as stored (names are case-insensitive) */
    return 0;
}

static int apply_create_access_key(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    const char *user = key_owner(r);
    json_t *u = NULL;
    int rc = 0;
    if (user[0]) {
        rc = iam_txn_doc_get(t, IAM_KIND_USER, r->who.account_id, user, &u);
        if (rc == -ENOENT)
            return no_such(r, "user", user);
        if (rc)
            return rc;
        user = js(u, "UserName");
    }
    struct access_key *keys = NULL;
    size_t nkeys = 0;
    rc = store_txn_key_list_user(t, r->who.account_id, user, &keys, &nkeys);
    free(keys);
    if (!rc && nkeys >= IAM_MAX_KEYS_PER_USER)
        rc = req_api_error(r, 409, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: %d",
                           IAM_MAX_KEYS_PER_USER);
    struct access_key k = {.active = true, .created_ms = store_now_ms()};
    if (!rc)
        rc = iam_random_id("AKIA", 16, k.access_key, sizeof k.access_key);
    if (!rc)
        rc = iam_random_secret(40, k.secret, sizeof k.secret);
    if (!rc) {
        snprintf(k.account_id, sizeof k.account_id, "%s", r->who.account_id);
        snprintf(k.user_name, sizeof k.user_name, "%s", user);
        rc = store_txn_key_create(t, &k);
    }
    if (!rc)
        rc = qapi_result_begin(r);
    if (!rc) {
        struct buf *b = &r->resp_body;
        buf_puts(b, "<AccessKey>");
        if (user[0])
            qapi_x(b, "UserName", user);
        qapi_x(b, "AccessKeyId", k.access_key);
        qapi_x(b, "Status", "Active");
        qapi_x(b, "SecretAccessKey", k.secret);
        qapi_xtime(b, "CreateDate", k.created_ms);
        buf_puts(b, "</AccessKey>");
        rc = qapi_result_end(r);
    }
    /* The record names the key, never its secret. */
    if (!rc)
        rc = qapi_record_response(r, json_pack("{s:{s:s, s:s, s:s, s:o}}", "accessKey", "userName",
                                               user, "accessKeyId", k.access_key, "status",
                                               "Active", "createDate", jtime(k.created_ms)));
    memset(k.secret, 0, sizeof k.secret);
    json_decref(u);
    return rc;
}

int iam_create_access_key(struct req *r)
{
    const char *user;
    char arn[320];
    json_t *doc;
    int rc = key_subject(r, &user, arn, &doc);
    json_decref(doc);
    return rc ? rc : req_commit(r, apply_create_access_key, qapi_then);
}

int iam_list_access_keys(struct req *r)
{
    const char *user;
    char arn[320];
    json_t *doc;
    struct page pg;
    int rc = page_init(r, &pg);
    if (!rc)
        rc = key_subject(r, &user, arn, &doc);
    if (rc)
        return rc;
    struct access_key *keys = NULL;
    size_t n = 0;
    rc = store_key_list_user(r->st, r->who.account_id, user, &keys, &n);
    if (rc) {
        json_decref(doc);
        return qapi_store_error(r, rc);
    }
    rc = qapi_result_begin(r);
    struct buf *b = &r->resp_body;
    buf_puts(b, "<AccessKeyMetadata>");
    for (size_t i = 0; i < n; i++) {
        if (!page_take(&pg))
            continue;
        buf_puts(b, "<member>");
        if (user[0])
            qapi_x(b, "UserName", user);
        qapi_x(b, "AccessKeyId", keys[i].access_key);
        qapi_x(b, "Status", keys[i].active ? "Active" : "Inactive");
        qapi_xtime(b, "CreateDate", keys[i].created_ms);
        buf_puts(b, "</member>");
    }
    buf_puts(b, "</AccessKeyMetadata>");
    page_end(b, &pg);
    free(keys);
    json_decref(doc);
    return rc ? rc : qapi_result_end(r);
}

/* The key named by AccessKeyId must belong to the subject; anything else is "not found". */
static int key_of_subject(struct req *r, const char *user, const char *id)
{
    struct access_key k;
    int rc = store_key_get(r->st, id, &k);
    if (rc && rc != -ENOENT)
        return qapi_store_error(r, rc);
    if (rc || strcmp(k.account_id, r->who.account_id) != 0 || strcmp(k.user_name, user) != 0)
        return req_api_error(r, 404, "NoSuchEntity", "The Access Key with id %s cannot be found.",
                             id);
    return 0;
}

static int apply_update_access_key(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    const char *id = qapi_param(r, "AccessKeyId");
    bool active = strcmp(qapi_param(r, "Status"), "Active") == 0;
    int rc = store_txn_key_set_active(t, id, active);
    if (rc == -ENOENT)
        return req_api_error(r, 404, "NoSuchEntity", "The Access Key with id %s cannot be found.",
                             id);
    return rc ? rc : qapi_reply_empty(r);
}

static int apply_delete_access_key(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    const char *id = qapi_param(r, "AccessKeyId");
    int rc = store_txn_key_delete(t, id);
    if (rc == -ENOENT)
        return req_api_error(r, 404, "NoSuchEntity", "The Access Key with id %s cannot be found.",
                             id);
    return rc ? rc : qapi_reply_empty(r);
}

static int key_write(struct req *r, bool update)
{
    const char *id, *status = NULL, *user;
    char arn[320];
    json_t *doc = NULL;
    int rc = qapi_str(r, "AccessKeyId", "accessKeyId", true, 16, 128, QC_ID, &id);
    if (!rc && update) {
        rc = qapi_str(r, "Status", "status", true, 0, 0, QC_ANY, &status);
        if (!rc && strcmp(status, "Active") != 0 && strcmp(status, "Inactive") != 0)
            rc = req_api_error(r, 400, "ValidationError",
                               "1 validation error detected: Value '%.32s' at 'status' failed to "
                               "satisfy constraint: Member must satisfy enum value set: [Active, "
                               "Inactive]",
                               status);
    }
    if (!rc)
        rc = key_subject(r, &user, arn, &doc);
    if (!rc)
        rc = key_of_subject(r, user, id);
    json_decref(doc);
    if (rc)
        return rc;
    return req_commit(r, update ? apply_update_access_key : apply_delete_access_key, qapi_then);
}

int iam_update_access_key(struct req *r)
{
    return key_write(r, true);
}

int iam_delete_access_key(struct req *r)
{
    return key_write(r, false);
}

/* ---- roles ------------------------------------------------------------------------------- */

static int apply_create_role(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    const char *name = qapi_param(r, "RoleName");
    const char *path = qapi_param(r, "Path");
    const char *trust = qapi_param(r, "AssumeRolePolicyDocument");
    const char *desc = qapi_param(r, "Description");
    const char *msd = qapi_param(r, "MaxSessionDuration");
    long long max_session = msd ? strtoll(msd, NULL, 10) : 3600;
    path = path ? path : "/";
    json_t *old = NULL;
    int rc = iam_txn_doc_get(t, IAM_KIND_ROLE, r->who.account_id, name, &old);
    json_decref(old);
    if (rc == 0)
        return req_api_error(r, 409, "EntityAlreadyExists", "Role with name %s already exists.",
                             name);
    if (rc != -ENOENT)
        return rc;
    char id[32], arn[320];
    if ((rc = iam_random_id("AROA", 17, id, sizeof id)))
        return rc;
    make_arn(r->who.account_id, "role", path, name, arn);
    int64_t now = store_now_ms();
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:{}, s:[]}", "RoleName", name,
                          "RoleId", id, "Path", path, "Arn", arn, "CreateDate", (json_int_t)now,
                          "AssumeRolePolicyDocument", trust, "MaxSessionDuration",
                          (json_int_t)max_session, "Policies", "Attached");
    if (o && desc && json_object_set_new(o, "Description", json_string(desc)))
        rc = -ENOMEM;
    if (!o)
        return -ENOMEM;
    if (!rc)
        rc = iam_txn_doc_put(t, IAM_KIND_ROLE, r->who.account_id, name, o);
    if (!rc)
        rc = qapi_result_begin(r);
    if (!rc) {
        buf_puts(&r->resp_body, "<Role>");
        x_role(&r->resp_body, o);
        buf_puts(&r->resp_body, "</Role>");
        rc = qapi_result_end(r);
    }
    if (!rc) {
        struct buf enc = BUF_INIT;
        rc = uri_encode(&enc, trust, strlen(trust), true);
        json_t *role = rc ? NULL
                          : json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:I}", "path", path,
                                      "roleName", name, "roleId", id, "arn", arn, "createDate",
                                      jtime(now), "assumeRolePolicyDocument", enc.data,
                                      "maxSessionDuration", (json_int_t)max_session);
        buf_free(&enc);
        if (role && desc)
            json_object_set_new(role, "description", json_string(desc));
        if (!rc)
            rc = role ? qapi_record_response(r, json_pack("{s:o}", "role", role)) : -ENOMEM;
    }
    json_decref(o);
    return rc;
}

int iam_create_role(struct req *r)
{
    static const char *const unsupported[] = {"PermissionsBoundary", "Tags", NULL};
    const char *name, *path, *trust, *desc;
    long long msd;
    bool has_msd;
    int rc = read_role_name(r, &name);
    if (!rc)
        rc = qapi_str(r, "Path", "path", false, 1, 512, QC_PATH, &path);
    if (!rc)
        rc = qapi_str(r, "AssumeRolePolicyDocument", "assumeRolePolicyDocument", true, 1, 131072,
                      QC_DOCUMENT, &trust);
    if (!rc)
        rc = qapi_str(r, "Description", "description", false, 0, 1000, QC_ANY, &desc);
    if (!rc)
        rc = qapi_int(r, "MaxSessionDuration", "maxSessionDuration", 3600, 43200, &has_msd, &msd);
    if (!rc)
        rc = qapi_refuse_unsupported(r, unsupported);
    if (rc)
        return rc;
    char arn[320];
    make_arn(r->who.account_id, "role", path, name, arn);
    if ((rc = authorize(r, arn)))
        return rc;
    if (strlen(trust) > IAMPOL_MAX_TRUST)
        return req_api_error(r, 409, "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: %d",
                             IAMPOL_MAX_TRUST);
    if ((rc = check_document(r, trust, IAMPOL_TRUST)))
        return rc;
    return req_commit(r, apply_create_role, qapi_then);
}

int iam_get_role(struct req *r)
{
    const char *name;
    int rc = read_role_name(r, &name);
    if (rc)
        return rc;
    json_t *o;
    char arn[320];
    if ((rc = load(r, &ROLE, name, &o, arn)))
        return rc;
    if (!(rc = authorize(r, arn)) && !o)
        rc = no_such(r, "role", name);
    if (!rc)
        rc = qapi_result_begin(r);
    if (!rc) {
        buf_puts(&r->resp_body, "<Role>");
        x_role(&r->resp_body, o);
        buf_puts(&r->resp_body, "<RoleLastUsed/></Role>");
        rc = qapi_result_end(r);
    }
    json_decref(o);
    return rc;
}

int iam_list_roles(struct req *r)
{
    return list_entities(r, IAM_KIND_ROLE, "Roles", x_role);
}

static int apply_delete_role(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    const char *name = qapi_param(r, "RoleName");
    json_t *o = NULL;
    int rc = iam_txn_doc_get(t, IAM_KIND_ROLE, r->who.account_id, name, &o);
    if (rc == -ENOENT)
        return no_such(r, "role", name);
    if (rc)
        return rc;
    if (json_object_size(json_object_get(o, "Policies")))
        rc = req_api_error(r, 409, "DeleteConflict",
                           "Cannot delete entity, must delete policies first.");
    else if (json_array_size(json_object_get(o, "Attached")))
        rc = req_api_error(r, 409, "DeleteConflict",
                           "Cannot delete entity, must detach all policies first.");
    if (!rc)
        rc = iam_txn_doc_put(t, IAM_KIND_ROLE, r->who.account_id, name, NULL);
    json_decref(o);
    return rc ? rc : qapi_reply_empty(r);
}

int iam_delete_role(struct req *r)
{
    return write_on(r, &ROLE, apply_delete_role);
}

/* ---- inline policies --------------------------------------------------------------------- */

static const struct ent *ent_of(const struct req *r)
{
    return strstr(r->op->name, "Role") ? &ROLE : &USER;
}

static int apply_put_inline(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    const struct ent *e = ent_of(r);
    const char *name = qapi_param(r, e->param);
    const char *pname = qapi_param(r, "PolicyName");
    const char *doc = qapi_param(r, "PolicyDocument");
    json_t *o = NULL;
    int rc = iam_txn_doc_get(t, e->kind, r->who.account_id, name, &o);
    if (rc == -ENOENT)
        return no_such(r, e->word, name);
    if (rc)
        return rc;
    json_t *pols = json_object_get(o, "Policies");
    if (!json_is_object(pols)) {
        pols = json_object();
        if (!pols || json_object_set_new(o, "Policies", pols))
            rc = -ENOMEM;
    }
    if (!rc && json_object_set_new(pols, pname, json_string(doc)))
        rc = -ENOMEM;
    /* IAM's quota is on all of an entity's inline documents together. */
    size_t total = 0;
    const char *k;
    json_t *v;
    json_object_foreach(pols, k, v) total +=
        strlen(json_string_value(v) ? json_string_value(v) : "");
    if (!rc && total > e->inline_max)
        rc = req_api_error(r, 409, "LimitExceeded",
                           "Maximum policy size of %zu bytes exceeded for %s %s", e->inline_max,
                           e->word, js(o, e->name_key));
    if (!rc)
        rc = iam_txn_doc_put(t, e->kind, r->who.account_id, name, o);
    json_decref(o);
    return rc ? rc : qapi_reply_empty(r);
}

static int put_inline(struct req *r)
{
    const struct ent *e = ent_of(r);
    const char *name, *pname, *doc;
    int rc = read_ent_name(r, e, &name);
    if (!rc)
        rc = qapi_str(r, "PolicyName", "policyName", true, 1, 128, QC_NAME, &pname);
    if (!rc)
        rc = qapi_str(r, "PolicyDocument", "policyDocument", true, 1, 131072, QC_DOCUMENT, &doc);
    if (rc)
        return rc;
    json_t *o;
    char arn[320];
    if ((rc = load(r, e, name, &o, arn)))
        return rc;
    json_decref(o);
    if ((rc = authorize(r, arn)) || (rc = check_document(r, doc, IAMPOL_IDENTITY)))
        return rc;
    return req_commit(r, apply_put_inline, qapi_then);
}

int iam_put_user_policy(struct req *r)
{
    return put_inline(r);
}

int iam_put_role_policy(struct req *r)
{
    return put_inline(r);
}

static int get_inline(struct req *r)
{
    const struct ent *e = ent_of(r);
    const char *name, *pname;
    int rc = read_ent_name(r, e, &name);
    if (!rc)
        rc = qapi_str(r, "PolicyName", "policyName", true, 1, 128, QC_NAME, &pname);
    if (rc)
        return rc;
    json_t *o;
    char arn[320];
    if ((rc = load(r, e, name, &o, arn)))
        return rc;
    const char *doc = NULL;
    if (!(rc = authorize(r, arn)) && !o)
        rc = no_such(r, e->word, name);
    if (!rc) {
        doc = json_string_value(json_object_get(json_object_get(o, "Policies"), pname));
        if (!doc)
            rc = req_api_error(r, 404, "NoSuchEntity",
                               "The %s policy with name %s cannot be found.", e->word, pname);
    }
    if (!rc)
        rc = qapi_result_begin(r);
    if (!rc) {
        struct buf *b = &r->resp_body;
        qapi_x(b, e->param, js(o, e->name_key));
        qapi_x(b, "PolicyName", pname);
        x_doc(b, "PolicyDocument", doc);
        rc = qapi_result_end(r);
    }
    json_decref(o);
    return rc;
}

int iam_get_user_policy(struct req *r)
{
    return get_inline(r);
}

int iam_get_role_policy(struct req *r)
{
    return get_inline(r);
}

static int apply_delete_inline(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    const struct ent *e = ent_of(r);
    const char *name = qapi_param(r, e->param);
    const char *pname = qapi_param(r, "PolicyName");
    json_t *o = NULL;
    int rc = iam_txn_doc_get(t, e->kind, r->who.account_id, name, &o);
    if (rc == -ENOENT)
        return no_such(r, e->word, name);
    if (rc)
        return rc;
    json_t *pols = json_object_get(o, "Policies");
    if (!json_object_get(pols, pname))
        rc = req_api_error(r, 404, "NoSuchEntity", "The %s policy with name %s cannot be found.",
                           e->word, pname);
    if (!rc && json_object_del(pols, pname))
        rc = -EIO;
    if (!rc)
        rc = iam_txn_doc_put(t, e->kind, r->who.account_id, name, o);
    json_decref(o);
    return rc ? rc : qapi_reply_empty(r);
}

static int delete_inline(struct req *r)
{
    const struct ent *e = ent_of(r);
    const char *pname;
    int rc = qapi_str(r, "PolicyName", "policyName", true, 1, 128, QC_NAME, &pname);
    return rc ? rc : write_on(r, e, apply_delete_inline);
}

int iam_delete_user_policy(struct req *r)
{
    return delete_inline(r);
}

int iam_delete_role_policy(struct req *r)
{
    return delete_inline(r);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int list_inline(struct req *r)
{
    const struct ent *e = ent_of(r);
    const char *name;
    struct page pg;
    int rc = read_ent_name(r, e, &name);
    if (!rc)
        rc = page_init(r, &pg);
    if (rc)
        return rc;
    json_t *o;
    char arn[320];
    if ((rc = load(r, e, name, &o, arn)))
        return rc;
    if (!(rc = authorize(r, arn)) && !o)
        rc = no_such(r, e->word, name);
    json_t *pols = json_object_get(o, "Policies");
    size_t n = json_object_size(pols), i = 0;
    const char **names = !rc && n ? calloc(n, sizeof *names) : NULL;
    if (!rc && n && !names)
        rc = qapi_store_error(r, -ENOMEM);
    if (!rc) {
        const char *k;
        json_t *v;
        json_object_foreach(pols, k, v) names[i++] = k;
        if (n)
            qsort(names, n, sizeof *names, cmp_str);
        rc = qapi_result_begin(r);
    }
    if (!rc) {
        struct buf *b = &r->resp_body;
        buf_puts(b, "<PolicyNames>");
        for (i = 0; i < n; i++)
            if (page_take(&pg))
                qapi_x(b, "member", names[i]);
        buf_puts(b, "</PolicyNames>");
        page_end(b, &pg);
        rc = qapi_result_end(r);
    }
    free(names);
    json_decref(o);
    return rc;
}

int iam_list_user_policies(struct req *r)
{
    return list_inline(r);
}

int iam_list_role_policies(struct req *r)
{
    return list_inline(r);
}

/* ---- managed policies -------------------------------------------------------------------- */

/* The policy name of arn:aws:iam::<this account>:policy<path><name>; NULL for an ARN of another
 * account or of AWS's managed policies (which this server does not have). -1 with InvalidInput
 * set when it is not a policy ARN at all. */
static int policy_name_of(struct req *r, const char *arn, const char **name)
{
    *name = NULL;
    static const char pfx[] = "arn:aws:iam::";
    size_t pl = sizeof pfx - 1;
    const char *colon = strncmp(arn, pfx, pl) == 0 ? strchr(arn + pl, ':') : NULL;
    if (!colon || strncmp(colon, ":policy/", 8) != 0 || !colon[8] || arn[strlen(arn) - 1] == '/')
        return req_api_error(r, 400, "InvalidInput", "ARN %.200s is not valid.", arn);
    size_t al = (size_t)(colon - (arn + pl));
    if (al == strlen(r->who.account_id) && strncmp(arn + pl, r->who.account_id, al) == 0)
        *name = strrchr(arn, '/') + 1;
    return 0;
}

static int no_such_policy(struct req *r, const char *arn)
{
    return req_api_error(r, 404, "NoSuchEntity", "Policy %s does not exist or is not attachable.",
                         arn);
}

/* The caller's account's managed policy with this ARN (name = its last segment), through t when
 * not NULL: 0 with *p, -ENOENT (also for another path with the same name), or the store's error.
 * Sets nothing on r. */
static int policy_lookup(struct req *r, struct store_txn *t, const char *arn, const char *name,
                         json_t **p)
{
    *p = NULL;
    int rc = t ? iam_txn_doc_get(t, IAM_KIND_POLICY, r->who.account_id, name, p)
               : iam_doc_get(r->st, IAM_KIND_POLICY, r->who.account_id, name, p);
    if (rc == 0 && strcmp(js(*p, "Arn"), arn) != 0) {
        json_decref(*p);
        *p = NULL;
        rc = -ENOENT;
    }
    return rc;
}

/* The managed policy an ARN names, through t when not NULL: 0 with *p, or NoSuchEntity (or
 * InvalidInput) set on r. */
static int policy_get(struct req *r, struct store_txn *t, const char *arn, json_t **p)
{
    const char *name;
    *p = NULL;
    int rc = policy_name_of(r, arn, &name);
    if (rc)
        return rc;
    if (!name)
        return no_such_policy(r, arn);
    rc = policy_lookup(r, t, arn, name, p);
    if (rc == -ENOENT)
        return no_such_policy(r, arn);
    if (rc)
        return t ? rc : qapi_store_error(r, rc);
    return 0;
}

static int apply_create_policy(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    const char *name = qapi_param(r, "PolicyName");
    const char *path = qapi_param(r, "Path");
    const char *doc = qapi_param(r, "PolicyDocument");
    const char *desc = qapi_param(r, "Description");
    path = path ? path : "/";
    json_t *old = NULL;
    int rc = iam_txn_doc_get(t, IAM_KIND_POLICY, r->who.account_id, name, &old);
    json_decref(old);
    if (rc == 0)
        return req_api_error(r, 409, "EntityAlreadyExists",
                             "A policy called %s already exists. Duplicate names are not allowed.",
                             name);
    if (rc != -ENOENT)
        return rc;
    char id[32], arn[320];
    if ((rc = iam_random_id("ANPA", 17, id, sizeof id)))
        return rc;
    make_arn(r->who.account_id, "policy", path, name, arn);
    int64_t now = store_now_ms();
    json_t *p =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "PolicyName", name, "PolicyId", id,
                  "Arn", arn, "Path", path, "Document", doc, "CreateDate", (json_int_t)now,
                  "UpdateDate", (json_int_t)now, "AttachmentCount", (json_int_t)0);
    if (!p)
        return -ENOMEM;
    if (desc && json_object_set_new(p, "Description", json_string(desc)))
        rc = -ENOMEM;
    if (!rc)
        rc = iam_txn_doc_put(t, IAM_KIND_POLICY, r->who.account_id, name, p);
    if (!rc)
        rc = qapi_result_begin(r);
    if (!rc) {
        buf_puts(&r->resp_body, "<Policy>");
        x_policy(&r->resp_body, p, false);
        buf_puts(&r->resp_body, "</Policy>");
        rc = qapi_result_end(r);
    }
    if (!rc)
        rc = qapi_record_response(
            r, json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:b, s:o, s:o}}", "policy",
                         "policyName", name, "policyId", id, "arn", arn, "path", path,
                         "defaultVersionId", "v1", "attachmentCount", 0,
                         "permissionsBoundaryUsageCount", 0, "isAttachable", 1, "createDate",
                         jtime(now), "updateDate", jtime(now)));
    json_decref(p);
    return rc;
}

int iam_create_policy(struct req *r)
{
    static const char *const unsupported[] = {"Tags", NULL};
    const char *name, *path, *doc, *desc;
    int rc = qapi_str(r, "PolicyName", "policyName", true, 1, 128, QC_NAME, &name);
    if (!rc)
        rc = qapi_str(r, "Path", "path", false, 1, 512, QC_POLPATH, &path);
    if (!rc)
        rc = qapi_str(r, "PolicyDocument", "policyDocument", true, 1, 131072, QC_DOCUMENT, &doc);
    if (!rc)
        rc = qapi_str(r, "Description", "description", false, 0, 1000, QC_ANY, &desc);
    if (!rc)
        rc = qapi_refuse_unsupported(r, unsupported);
    if (rc)
        return rc;
    char arn[320];
    make_arn(r->who.account_id, "policy", path, name, arn);
    if ((rc = authorize(r, arn)))
        return rc;
    if (strlen(doc) > IAMPOL_MAX_MANAGED)
        return req_api_error(r, 409, "LimitExceeded", "Cannot exceed quota for PolicySize: %d",
                             IAMPOL_MAX_MANAGED);
    if ((rc = check_document(r, doc, IAMPOL_IDENTITY)))
        return rc;
    return req_commit(r, apply_create_policy, qapi_then);
}

int iam_get_policy(struct req *r)
{
    const char *arn;
    int rc = qapi_str(r, "PolicyArn", "policyArn", true, 20, 2048, QC_ANY, &arn);
    if (rc || (rc = authorize(r, arn)))
        return rc;
    json_t *p;
    if ((rc = policy_get(r, NULL, arn, &p)))
        return rc;
    if (!(rc = qapi_result_begin(r))) {
        buf_puts(&r->resp_body, "<Policy>");
        x_policy(&r->resp_body, p, true);
        buf_puts(&r->resp_body, "</Policy>");
        rc = qapi_result_end(r);
    }
    json_decref(p);
    return rc;
}

static int apply_delete_policy(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    const char *arn = qapi_param(r, "PolicyArn");
    json_t *p;
    int rc = policy_get(r, t, arn, &p);
    if (rc)
        return rc;
    if (ji(p, "AttachmentCount") > 0)
        rc =
            req_api_error(r, 409, "DeleteConflict", "Cannot delete a policy attached to entities.");
    if (!rc)
        rc = iam_txn_doc_put(t, IAM_KIND_POLICY, r->who.account_id, js(p, "PolicyName"), NULL);
    json_decref(p);
    return rc ? rc : qapi_reply_empty(r);
}

int iam_delete_policy(struct req *r)
{
    const char *arn, *name;
    int rc = qapi_str(r, "PolicyArn", "policyArn", true, 20, 2048, QC_ANY, &arn);
    if (!rc)
        rc = policy_name_of(r, arn, &name);
    if (rc || (rc = authorize(r, arn)))
        return rc;
    return req_commit(r, apply_delete_policy, qapi_then);
}

int iam_list_policies(struct req *r)
{
    const char *scope, *prefix, *usage;
    bool only_attached = false;
    struct page pg;
    int rc = qapi_str(r, "Scope", "scope", false, 0, 0, QC_ANY, &scope);
    if (!rc && scope && strcmp(scope, "All") && strcmp(scope, "AWS") && strcmp(scope, "Local"))
        rc = req_api_error(r, 400, "ValidationError",
                           "1 validation error detected: Value '%.32s' at 'scope' failed to "
                           "satisfy constraint: Member must satisfy enum value set: [All, AWS, "
                           "Local]",
                           scope);
    if (!rc)
        rc = qapi_str(r, "PathPrefix", "pathPrefix", false, 1, 512, QC_POLPATH, &prefix);
    if (!rc)
        rc = qapi_str(r, "PolicyUsageFilter", "policyUsageFilter", false, 0, 0, QC_ANY, &usage);
    if (!rc)
        rc = qapi_bool(r, "OnlyAttached", "onlyAttached", &only_attached);
    if (!rc)
        rc = page_init(r, &pg);
    if (!rc)
        rc = authorize(r, "*");
    if (rc)
        return rc;
    json_t *all = NULL;
    /* Only customer managed policies exist here: Scope AWS lists none. A permissions-boundary
     * usage filter matches none either (boundaries are not supported). */
    bool none = (scope && strcmp(scope, "AWS") == 0) ||
                (usage && strcmp(usage, "PermissionsBoundary") == 0);
    if (!none && (rc = iam_doc_list(r->st, IAM_KIND_POLICY, r->who.account_id, &all)))
        return qapi_store_error(r, rc);
    rc = qapi_result_begin(r);
    struct buf *b = &r->resp_body;
    buf_puts(b, "<Policies>");
    size_t i;
    json_t *p;
    json_array_foreach(all, i, p)
    {
        if (prefix && strncmp(js(p, "Path"), prefix, strlen(prefix)) != 0)
            continue;
        if (only_attached && ji(p, "AttachmentCount") == 0)
            continue;
        if (!page_take(&pg))
            continue;
        buf_puts(b, "<member>");
        x_policy(b, p, false);
        buf_puts(b, "</member>");
    }
    buf_puts(b, "</Policies>");
    page_end(b, &pg);
    json_decref(all);
    return rc ? rc : qapi_result_end(r);
}

/* ---- attachments ------------------------------------------------------------------------- */

static bool attached_index(json_t *list, const char *arn, size_t *at)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (strcmp(json_string_value(v) ? json_string_value(v) : "", arn) == 0) {
            *at = i;
            return true;
        }
    }
    return false;
}

static int apply_attach(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    const struct ent *e = ent_of(r);
    bool attach = strncmp(r->op->name, "Attach", 6) == 0;
    const char *name = qapi_param(r, e->param);
    const char *arn = qapi_param(r, "PolicyArn");
    json_t *o = NULL, *p = NULL;
    int rc = iam_txn_doc_get(t, e->kind, r->who.account_id, name, &o);
    if (rc == -ENOENT)
        return no_such(r, e->word, name);
    if (rc)
        return rc;
    json_t *list = json_object_get(o, "Attached");
    if (!json_is_array(list)) {
        list = json_array();
        if (!list || json_object_set_new(o, "Attached", list))
            rc = -ENOMEM;
    }
    size_t at = 0;
    bool present = !rc && attached_index(list, arn, &at);
    if (!rc && attach) {
        rc = policy_get(r, t, arn, &p);
        if (!rc && !present && json_array_size(list) >= IAM_MAX_ATTACHED)
            rc = req_api_error(r, 409, "LimitExceeded", "Cannot exceed quota for %s: %d", e->quota,
                               IAM_MAX_ATTACHED);
        if (!rc && !present && json_array_append_new(list, json_string(arn)))
            rc = -ENOMEM;
    } else if (!rc) {
        if (!present)
            rc = req_api_error(r, 404, "NoSuchEntity", "Policy %s was not found.", arn);
        if (!rc && json_array_remove(list, at))
            rc = -EIO;
        /* An attached policy cannot be deleted, so it is there; were it not, detaching would
         * still work and only its count would not be touched. */
        if (!rc) {
            int lr = policy_lookup(r, t, arn, strrchr(arn, '/') + 1, &p);
            if (lr && lr != -ENOENT)
                rc = lr;
        }
    }
    /* Attaching what is attached changes nothing (IAM answers success). */
    if (!rc && !(attach && present)) {
        if (p && json_object_set_new(p, "AttachmentCount",
                                     json_integer(ji(p, "AttachmentCount") + (attach ? 1 : -1))))
            rc = -ENOMEM;
        if (!rc && p)
            rc = iam_txn_doc_put(t, IAM_KIND_POLICY, r->who.account_id, js(p, "PolicyName"), p);
        if (!rc)
            rc = iam_txn_doc_put(t, e->kind, r->who.account_id, name, o);
    }
    json_decref(o);
    json_decref(p);
    return rc ? rc : qapi_reply_empty(r);
}

static int attach_call(struct req *r)
{
    const struct ent *e = ent_of(r);
    const char *arn, *pname;
    int rc = qapi_str(r, "PolicyArn", "policyArn", true, 20, 2048, QC_ANY, &arn);
    if (!rc)
        rc = policy_name_of(r, arn, &pname);
    return rc ? rc : write_on(r, e, apply_attach);
}

int iam_attach_user_policy(struct req *r)
{
    return attach_call(r);
}

int iam_detach_user_policy(struct req *r)
{
    return attach_call(r);
}

int iam_attach_role_policy(struct req *r)
{
    return attach_call(r);
}

int iam_detach_role_policy(struct req *r)
{
    return attach_call(r);
}

static int list_attached(struct req *r)
{
    const struct ent *e = ent_of(r);
    const char *name, *prefix;
    struct page pg;
    int rc = read_ent_name(r, e, &name);
    if (!rc)
        rc = qapi_str(r, "PathPrefix", "pathPrefix", false, 1, 512, QC_POLPATH, &prefix);
    if (!rc)
        rc = page_init(r, &pg);
    if (rc)
        return rc;
    json_t *o;
    char arn[320];
    if ((rc = load(r, e, name, &o, arn)))
        return rc;
    if (!(rc = authorize(r, arn)) && !o)
        rc = no_such(r, e->word, name);
    if (!rc)
        rc = qapi_result_begin(r);
    if (!rc) {
        struct buf *b = &r->resp_body;
        buf_puts(b, "<AttachedPolicies>");
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(o, "Attached"), i, v)
        {
            const char *parn = json_string_value(v);
            if (!parn)
                continue;
            /* The path is the part of the ARN between "policy" and the name. */
            const char *path = strstr(parn, ":policy/") + 7, *pn = strrchr(parn, '/') + 1;
            if (prefix && (strncmp(path, prefix, strlen(prefix)) != 0 ||
                           (size_t)(pn - path) < strlen(prefix)))
                continue;
            if (!page_take(&pg))
                continue;
            buf_puts(b, "<member>");
            qapi_x(b, "PolicyName", pn);
            qapi_x(b, "PolicyArn", parn);
            buf_puts(b, "</member>");
        }
        buf_puts(b, "</AttachedPolicies>");
        page_end(b, &pg);
        rc = qapi_result_end(r);
    }
    json_decref(o);
    return rc;
}

int iam_list_attached_user_policies(struct req *r)
{
    return list_attached(r);
}

int iam_list_attached_role_policies(struct req *r)
{
    return list_attached(r);
}
