/*
 * authz — AWS's authorization for S3 requests (contract and rules: authz.h).
 *
 * Everything a decision reads is loaded lazily, once per call, into a `struct az`: the
 * requester's identity policies only for IAM principals (root needs none), the bucket policy
 * always (its Deny statements bind even the owner's root), the public access blocks only when a
 * public grant or a public policy is about to be relied on, the ownership setting only when an
 * ACL is consulted. The common request — an account's root on its own bucket — therefore costs
 * one configuration lookup beyond the bucket itself.
 */
#include "auth/authz.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/acl.h"
#include "auth/iampol.h"
#include "http/req.h"
#include "iam/iamstore.h"
#include "s3/errors.h"
#include "s3/ownership.h"
#include "s3/pab.h"
#include "util/log.h"

/* Why a request was refused: picks the message (authz.h, "Messages"). */
enum deny_why {
    WHY_NONE = 0,
    WHY_ID_IMPLICIT,      /* no identity-based policy allows */
    WHY_ID_EXPLICIT,      /* explicit deny in an identity-based policy */
    WHY_SESSION_IMPLICIT, /* no session policy allows */
    WHY_SESSION_EXPLICIT, /* explicit deny in a session policy */
    WHY_RES_IMPLICIT,     /* no resource-based policy allows */
    WHY_RES_EXPLICIT,     /* explicit deny in a resource-based policy */
    WHY_PLAIN,            /* across accounts, anonymous, or a store failure: "Access Denied" */
};

/* The identity side's verdict. */
enum id_verdict { ID_NONE, ID_ALLOW, ID_DENY };

struct az {
    struct req *r;
    const struct bucket *bucket; /* the bucket of the resource being judged */
    const char *list_prefix;     /* s3:prefix when a missing key asks whether it may be listed */
    /* identity policies of the requester (IAM principals only) */
    bool ids_loaded;
    char **ids;
    size_t nids;
    /* the bucket's policy, its publicness, the public access blocks, the ownership setting */
    int64_t bp_bucket; /* the bucket the cached policy is of (0: none loaded) */
    char *bp;          /* owned when bp_owned, else the bucket's own b->policy */
    bool bp_owned;
    int bp_public;     /* -1 unknown */
    bool pab_loaded;
    struct pab pab;
    int64_t own_bucket;
    enum ownership own;
    int failed;        /* a store error while loading: fail closed */
    /* condition key scratch */
    char now_iso[24], now_epoch[24], created_iso[24];
};

static void az_init(struct az *z, struct req *r)
{
    memset(z, 0, sizeof *z);
    z->r = r;
    z->bp_public = -1;
}

static void az_free(struct az *z)
{
    for (size_t i = 0; i < z->nids; i++)
        free(z->ids[i]);
    free(z->ids);
    if (z->bp_owned)
        free(z->bp);
}

static bool anonymous(const struct principal *p)
{
    return p->type == PRINCIPAL_ANONYMOUS;
}

/* ---- condition keys ------------------------------------------------------------------------ */

static void iso_time(int64_t ms, char out[24])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *principal_type_key(const struct principal *p)
{
    switch (p->type) {
    case PRINCIPAL_ROOT: return "Account";
    case PRINCIPAL_IAM_USER: return "User";
    case PRINCIPAL_ASSUMED_ROLE: return "AssumedRole";
    case PRINCIPAL_FEDERATED_USER: return "FederatedUser";
    case PRINCIPAL_AWS_SERVICE: return "AWSService";
    case PRINCIPAL_ANONYMOUS: return "Anonymous";
    }
    return NULL;
}

/* aws:userid as IAM defines it per principal type. */
static const char *userid_key(const struct principal *p)
{
    switch (p->type) {
    case PRINCIPAL_ROOT: return p->account_id;
    case PRINCIPAL_IAM_USER: return p->unique_id[0] ? p->unique_id : p->principal_id;
    case PRINCIPAL_ASSUMED_ROLE:
    case PRINCIPAL_FEDERATED_USER: return p->principal_id;
    case PRINCIPAL_ANONYMOUS: return "anonymous";
    case PRINCIPAL_AWS_SERVICE: return NULL;
    }
    return NULL;
}

/* The request headers that S3 exposes as s3: condition keys of the same name. */
static bool s3_header_key(const char *name)
{
    static const char *const keys[] = {
        "x-amz-acl", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-storage-class", "x-amz-copy-source", "x-amz-metadata-directive",
        "x-amz-content-sha256", "x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp",
        "x-amz-grant-write-acp", "x-amz-grant-full-control", "x-amz-object-ownership",
        "x-amz-website-redirect-location", "x-amz-object-lock-mode",
        "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcasecmp(keys[i], name) == 0)
            return true;
    return false;
}

static size_t one(const char *v, const char **vals, size_t max)
{
    if (!v)
        return 0;
    if (max)
        vals[0] = v;
    return 1;
}

static size_t condition_key(void *arg, const char *name, const char **vals, size_t max)
{
    struct az *z = arg;
    struct req *r = z->r;
    const struct principal *p = &r->who;
    bool anon = anonymous(p);
    if (strncasecmp(name, "aws:", 4) == 0) {
        const char *k = name + 4;
        if (strcasecmp(k, "SourceIp") == 0)
            return one(r->source_ip[0] ? r->source_ip : NULL, vals, max);
        if (strcasecmp(k, "SecureTransport") == 0)
            return one(r->tls_cipher ? "true" : "false", vals, max);
        if (strcasecmp(k, "CurrentTime") == 0 || strcasecmp(k, "EpochTime") == 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            iso_time((int64_t)ts.tv_sec * 1000, z->now_iso);
            snprintf(z->now_epoch, sizeof z->now_epoch, "%lld", (long long)ts.tv_sec);
            return one(strcasecmp(k, "CurrentTime") == 0 ? z->now_iso : z->now_epoch, vals, max);
        }
        if (strcasecmp(k, "Referer") == 0)
            return one(req_header(r, "Referer"), vals, max);
        if (strcasecmp(k, "UserAgent") == 0)
            return one(req_header(r, "User-Agent"), vals, max);
        if (strcasecmp(k, "PrincipalType") == 0)
            return one(principal_type_key(p), vals, max);
        if (strcasecmp(k, "userid") == 0)
            return one(userid_key(p), vals, max);
        if (anon)
            return 0; /* no other aws: key describes an anonymous caller */
        if (strcasecmp(k, "PrincipalAccount") == 0)
            return one(p->account_id[0] ? p->account_id : NULL, vals, max);
        if (strcasecmp(k, "PrincipalArn") == 0) /* a role session is judged by its role's ARN */
            return one(p->type == PRINCIPAL_ASSUMED_ROLE && p->issuer_arn[0] ? p->issuer_arn
                       : p->arn[0]                                          ? p->arn
                                                                            : NULL,
                       vals, max);
        if (strcasecmp(k, "username") == 0)
            return one(p->type == PRINCIPAL_IAM_USER ? p->user_name : NULL, vals, max);
        if (strcasecmp(k, "SourceAccount") == 0)
            return one(p->type == PRINCIPAL_AWS_SERVICE && p->account_id[0] ? p->account_id : NULL,
                       vals, max);
        if (strcasecmp(k, "SourceIdentity") == 0)
            return one(p->source_identity[0] ? p->source_identity : NULL, vals, max);
        if (strcasecmp(k, "MultiFactorAuthPresent") == 0)
            return one(p->session ? "false" : NULL, vals, max);
        if (strcasecmp(k, "TokenIssueTime") == 0) {
            if (!p->session)
                return 0;
            iso_time(p->session_created_ms, z->created_iso);
            return one(z->created_iso, vals, max);
        }
        return 0;
    }
    if (strncasecmp(name, "s3:", 3) == 0) {
        const char *k = name + 3;
        if (strcasecmp(k, "prefix") == 0 && z->list_prefix)
            return one(z->list_prefix, vals, max);
        if (strcasecmp(k, "prefix") == 0 || strcasecmp(k, "delimiter") == 0 ||
            strcasecmp(k, "max-keys") == 0)
            return one(req_query(r, k), vals, max);
        if (strcasecmp(k, "authType") == 0)
            return one(anon                                    ? NULL
                       : p->auth_method && strcmp(p->auth_method, "QueryString") == 0
                           ? "REST-QUERY-STRING"
                           : "REST-HEADER",
                       vals, max);
        if (strcasecmp(k, "signatureversion") == 0)
            return one(p->sig_version == 4   ? "AWS4-HMAC-SHA256"
                       : p->sig_version == 2 ? "AWS"
                                             : NULL,
                       vals, max);
        if (strcasecmp(k, "ResourceAccount") == 0)
            return one(z->bucket ? z->bucket->owner_account : NULL, vals, max);
        if (strcasecmp(k, "TlsVersion") == 0)
            return one(r->tls_version, vals, max);
        if (s3_header_key(k))
            return one(req_header(r, k), vals, max);
        /* s3:ExistingObjectTag/<key> and s3:RequestObjectTag/<key>: object tagging is not
         * built, so no object has tags and no request sets them. */
        return 0;
    }
    return 0;
}

/* ---- what a decision reads ------------------------------------------------------------------- */

static void load_identity(struct az *z)
{
    if (z->ids_loaded)
        return;
    z->ids_loaded = true;
    int rc = iam_identity_policies(z->r->st, &z->r->who, &z->ids, &z->nids);
    if (rc) {
        log_warn("authz: identity policies of %s: %s", z->r->who.arn, strerror(-rc));
        z->failed = rc;
    }
}

static const char *bucket_policy(struct az *z, const struct bucket *b)
{
    if (z->bp_bucket == b->id)
        return z->bp;
    if (z->bp_owned)
        free(z->bp);
    z->bp = NULL;
    z->bp_owned = false;
    z->bp_public = -1;
    z->bp_bucket = b->id;
    if (b->policy_loaded) { /* read with the bucket */
        z->bp = b->policy;
        return z->bp;
    }
    z->bp_owned = true;
    int rc = store_bucket_config_get(z->r->st, b->id, "policy", &z->bp);
    if (rc && rc != -ENOENT) {
        log_warn("authz: policy of bucket %s: %s", b->name, strerror(-rc));
        z->failed = rc;
    }
    return z->bp;
}

static const struct pab *blocks(struct az *z, const struct bucket *b)
{
    if (!z->pab_loaded) {
        z->pab_loaded = true;
        int rc = pab_effective(z->r->st, b->owner_account, b->id, &z->pab);
        if (rc) {
            /* Unknown blocks: assume every block is on, so nothing public gets through. */
            z->pab = (struct pab){true, true, true, true};
            z->failed = rc;
        }
    }
    return &z->pab;
}

static bool acls_disabled(struct az *z, const struct bucket *b)
{
    if (z->own_bucket != b->id) {
        z->own_bucket = b->id;
        int rc = ownership_get(z->r->st, b->id, &z->own);
        if (rc) {
            z->own = OWN_BUCKET_OWNER_ENFORCED;
            z->failed = rc;
        }
    }
    return z->own == OWN_BUCKET_OWNER_ENFORCED;
}

/* ---- the identity side ---------------------------------------------------------------------- */

static int eval_doc(struct az *z, const char *doc, enum iampol_kind kind,
                    const struct iampol_request *q)
{
    int v = iampol_eval(doc, kind, q);
    if (v >= 0)
        return v;
    /* A stored document that does not evaluate (validated when stored, so memory, or a bug) must
     * not grant — an unreadable Deny would otherwise turn into an Allow — and the request fails
     * as the server's fault, not the caller's. */
    z->failed = v;
    return IAMPOL_DENY;
}

static enum id_verdict identity_side(struct az *z, const struct iampol_request *q,
                                     enum deny_why *why, bool *session_limits)
{
    const struct principal *p = &z->r->who;
    *why = WHY_NONE;
    *session_limits = false;
    if (p->type == PRINCIPAL_ANONYMOUS || p->type == PRINCIPAL_AWS_SERVICE)
        return ID_NONE;
    enum id_verdict v;
    /* Root — and a federated user issued by root, whose base is root's — is allowed by its own
     * account; IAM principals by their policies. */
    if (p->type == PRINCIPAL_ROOT ||
        (p->type == PRINCIPAL_FEDERATED_USER && strcmp(p->issuer_type, "Root") == 0)) {
        v = ID_ALLOW;
    } else {
        load_identity(z);
        v = ID_NONE;
        for (size_t i = 0; i < z->nids; i++) {
            int e = eval_doc(z, z->ids[i], IAMPOL_IDENTITY, q);
            if (e == IAMPOL_DENY) {
                *why = WHY_ID_EXPLICIT;
                return ID_DENY;
            }
            if (e == IAMPOL_ALLOW || e == IAMPOL_ALLOW_ACCOUNT)
                v = ID_ALLOW;
        }
        if (z->failed) {
            *why = WHY_PLAIN;
            return ID_DENY;
        }
        if (v == ID_NONE)
            *why = WHY_ID_IMPLICIT;
    }
    /* A session policy narrows what the identity allows; it never widens it. */
    if (z->r->session_policy) {
        int e = eval_doc(z, z->r->session_policy, IAMPOL_IDENTITY, q);
        if (e == IAMPOL_DENY) {
            *why = WHY_SESSION_EXPLICIT;
            return ID_DENY;
        }
        /* It limits what a resource policy grants the role or user too (only a grant naming
         * the session itself escapes it, which is not modelled: such a grant is limited). */
        *session_limits = e == IAMPOL_NONE;
        if (v == ID_ALLOW && e == IAMPOL_NONE) {
            *why = WHY_SESSION_IMPLICIT;
            return ID_NONE;
        }
    }
    return v;
}

/* ---- messages ------------------------------------------------------------------------------ */

static int refuse(struct req *r, enum deny_why why, const char *action, const char *resource,
                  bool quoted)
{
    const char *q = quoted ? "\"" : "";
    const char *arn = r->who.arn;
    switch (why) {
    case WHY_ID_IMPLICIT:
    case WHY_SESSION_IMPLICIT:
    case WHY_RES_IMPLICIT:
        return req_errorf(r, S3E_AccessDenied,
                          "User: %s is not authorized to perform: %s on resource: %s%s%s because "
                          "no %s policy allows the %s action",
                          arn, action, q, resource, q,
                          why == WHY_ID_IMPLICIT        ? "identity-based"
                          : why == WHY_SESSION_IMPLICIT ? "session"
                                                        : "resource-based",
                          action);
    case WHY_ID_EXPLICIT:
    case WHY_SESSION_EXPLICIT:
    case WHY_RES_EXPLICIT:
        return req_errorf(r, S3E_AccessDenied,
                          "User: %s is not authorized to perform: %s on resource: %s%s%s with an "
                          "explicit deny in a%s policy",
                          arn, action, q, resource, q,
                          why == WHY_ID_EXPLICIT        ? "n identity-based"
                          : why == WHY_SESSION_EXPLICIT ? " session"
                                                        : " resource-based");
    case WHY_NONE:
    case WHY_PLAIN:
        break;
    }
    return req_error(r, S3E_AccessDenied, NULL);
}

/* ---- S3 decisions --------------------------------------------------------------------------- */

/* Get/Put/DeleteBucketPolicy: only the bucket owner's account may make them, and its root
 * always may. */
static bool policy_call(const char *action)
{
    return strcmp(action, "s3:GetBucketPolicy") == 0 || strcmp(action, "s3:PutBucketPolicy") == 0 ||
           strcmp(action, "s3:DeleteBucketPolicy") == 0;
}

/* The ACL permission that grants an action, and whether the object's ACL (rather than the
 * bucket's) is the one that decides. NULL: no ACL grants the action (only the owner or a
 * policy can). */
static const char *acl_perm_for(const char *action, bool *on_object)
{
    static const struct {
        const char *action;
        const char *perm;
        bool on_object;
    } map[] = {
        {"s3:ListBucket", "READ", false},
        {"s3:ListBucketVersions", "READ", false},
        {"s3:ListBucketMultipartUploads", "READ", false},
        {"s3:PutObject", "WRITE", false},
        {"s3:DeleteObject", "WRITE", false},
        {"s3:DeleteObjectVersion", "WRITE", false},
        {"s3:AbortMultipartUpload", "WRITE", false},
        {"s3:ListMultipartUploadParts", "WRITE", false},
        {"s3:GetBucketAcl", "READ_ACP", false},
        {"s3:PutBucketAcl", "WRITE_ACP", false},
        {"s3:GetObject", "READ", true},
        {"s3:GetObjectVersion", "READ", true},
        {"s3:GetObjectAttributes", "READ", true},
        {"s3:GetObjectVersionAttributes", "READ", true},
        {"s3:GetObjectAcl", "READ_ACP", true},
        {"s3:GetObjectVersionAcl", "READ_ACP", true},
        {"s3:PutObjectAcl", "WRITE_ACP", true},
        {"s3:PutObjectVersionAcl", "WRITE_ACP", true},
    };
    *on_object = false;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].action, action) == 0) {
            *on_object = map[i].on_object;
            return map[i].perm;
        }
    return NULL;
}

static void arn_of(struct buf *out, const char *bucket, const char *key)
{
    buf_reset(out);
    buf_puts(out, "arn:aws:s3:::");
    buf_puts(out, bucket);
    if (key) {
        buf_putc(out, '/');
        buf_puts(out, key);
    }
}

/* The bucket policy's Allow counts for this principal only if it is not cut off by
 * RestrictPublicBuckets (a public policy leaves policy-based access to the owner's account). */
static bool policy_allow_counts(struct az *z, const struct bucket *b, const char *policy)
{
    const struct principal *p = &z->r->who;
    if (!anonymous(p) && strcmp(p->account_id, b->owner_account) == 0)
        return true;
    if (p->type == PRINCIPAL_AWS_SERVICE)
        return true;
    if (!blocks(z, b)->restrict_public_buckets)
        return true;
    if (z->bp_public < 0)
        z->bp_public = iampol_is_public(policy) != 0; /* unreadable: treat as public */
    return !z->bp_public;
}

struct target {
    const char *action;
    const struct bucket *b;
    const char *key;       /* NULL for bucket-level resources */
    const char *obj_owner; /* the existing object's owner, NULL: the bucket owner decides */
    const char *obj_acl;
};

/* The full decision for one action on one resource: WHY_NONE when allowed, else the reason.
 * Whatever the outcome, *owner_may (when not NULL) says whether the bucket owner has the same
 * permission (for its copy of the event) and *res_owner_out names the resource's owner. */
static enum deny_why decide(struct az *z, const struct target *t, const char *resource,
                            bool *owner_may, const char **res_owner_out)
{
    struct req *r = z->r;
    const struct principal *p = &r->who;
    const struct bucket *b = t->b;
    bool anon = anonymous(p);
    bool on_object;
    const char *perm = acl_perm_for(t->action, &on_object);
    const char *res_owner = on_object && t->obj_owner ? t->obj_owner : b->owner_account;
    /* Under BucketOwnerEnforced the bucket owner owns every object, whoever wrote it (and
     * whenever: objects written before the setting too). */
    if (res_owner != b->owner_account && strcmp(res_owner, b->owner_account) != 0 &&
        acls_disabled(z, b))
        res_owner = b->owner_account;
    *res_owner_out = res_owner;
    z->bucket = b;
    bool same = !anon && strcmp(p->account_id, res_owner) == 0;
    bool bucket_owner = !anon && strcmp(p->account_id, b->owner_account) == 0;
    const char *acl = on_object ? t->obj_acl : b->acl;

    /* Whether the bucket owner could make this same call on this same resource (for its copy of
     * the event, whatever the requester's outcome): it owns the resource, or the resource's ACL
     * grants its account the permission. */
    if (owner_may) {
        *owner_may = strcmp(res_owner, b->owner_account) == 0;
        if (!*owner_may && perm && acl) {
            struct principal owner = {.type = PRINCIPAL_ROOT};
            struct account a;
            if (store_account_get(r->st, b->owner_account, &a) == 0) {
                snprintf(owner.account_id, sizeof owner.account_id, "%s", a.id);
                snprintf(owner.canonical_id, sizeof owner.canonical_id, "%s", a.canonical_id);
                *owner_may = acl_allows_ex(acl, &owner, perm, false);
            }
        }
    }

    struct iampol_request q = {
        .action = t->action,
        .resource = resource,
        .who = p,
        .key = condition_key,
        .key_arg = z,
    };

    /* 1. explicit denies */
    enum deny_why id_why;
    bool session_limits;
    enum id_verdict id = identity_side(z, &q, &id_why, &session_limits);
    if (id == ID_DENY)
        return id_why;
    const char *policy = bucket_policy(z, b);
    if (z->failed)
        return WHY_PLAIN;
    int bp = policy ? eval_doc(z, policy, IAMPOL_RESOURCE, &q) : IAMPOL_NONE;
    if (bp == IAMPOL_DENY) {
        if (!(policy_call(t->action) && bucket_owner && p->type == PRINCIPAL_ROOT))
            return WHY_RES_EXPLICIT;
        bp = IAMPOL_NONE;
    }
    /* A bucket policy speaks for the bucket owner, who cannot grant what it does not own. */
    if ((bp == IAMPOL_ALLOW || bp == IAMPOL_ALLOW_ACCOUNT) &&
        (strcmp(res_owner, b->owner_account) != 0 || !policy_allow_counts(z, b, policy)))
        bp = IAMPOL_NONE;
    if (bp == IAMPOL_ALLOW && session_limits)
        bp = IAMPOL_NONE;

    /* The resource owner's root needs nothing more: no ACL, ownership or block can refuse it. */
    if (same && p->type == PRINCIPAL_ROOT)
        return WHY_NONE;

    /* 2. ACL grants: to the requester's account (which delegates to its identity policies, as
     * a grant by account does) or to a group that includes it (everyone). */
    bool acl_account = false, acl_public = false;
    if (perm && acl && !acls_disabled(z, b)) {
        acl_account = !anon && acl_allows_ex(acl, p, perm, true);
        /* Group grants on their own: the same principal without its account's canonical id
         * matches only AllUsers / AuthenticatedUsers. */
        struct principal groups_only = *p;
        groups_only.canonical_id[0] = '\0';
        if (acl_allows_ex(acl, &groups_only, perm, false))
            acl_public = !blocks(z, b)->ignore_public_acls;
    }
    if (z->failed)
        return WHY_PLAIN;

    /* 3. combine */
    if (same) {
        if (p->type == PRINCIPAL_ROOT || id == ID_ALLOW || bp == IAMPOL_ALLOW || acl_public)
            return WHY_NONE;
        return id_why ? id_why : WHY_ID_IMPLICIT;
    }
    bool resource_ok = bp == IAMPOL_ALLOW || bp == IAMPOL_ALLOW_ACCOUNT || acl_account ||
                       acl_public;
    bool requester_ok = anon ? bp == IAMPOL_ALLOW || acl_public : id == ID_ALLOW;
    if (p->type == PRINCIPAL_AWS_SERVICE)
        requester_ok = bp == IAMPOL_ALLOW;
    return resource_ok && requester_ok ? WHY_NONE : WHY_PLAIN;
}

/* Whether a refusal may explain itself: only within the resource owner's account. */
static bool explains(const struct req *r, const char *res_owner)
{
    return !anonymous(&r->who) && strcmp(r->who.account_id, res_owner) == 0;
}

/* One decision with what z has loaded already (a batch shares one z). */
static int judge_in(struct az *z, const struct target *t, bool set_error, bool *owner_may)
{
    struct req *r = z->r;
    struct buf arn = BUF_INIT;
    arn_of(&arn, t->b->name, t->key);
    int rc = 0;
    if (!buf_ok(&arn)) {
        rc = set_error ? req_error(r, S3E_ServiceUnavailable, NULL) : -S3E_ServiceUnavailable;
        goto out;
    }
    const char *res_owner = t->b->owner_account;
    enum deny_why why = decide(z, t, arn.data, owner_may, &res_owner);
    if (z->failed) {
        /* The decision could not be made (the store or memory failed): the server's fault, not
         * a refusal. Nothing is allowed on it. */
        int e = -s3err_from_errno(z->failed);
        rc = set_error ? req_error(r, e, NULL) : -e;
    } else if (why != WHY_NONE) {
        if (!explains(r, res_owner))
            why = WHY_PLAIN;
        rc = set_error ? refuse(r, why, t->action, arn.data, true) : -S3E_AccessDenied;
    }
out:
    buf_free(&arn);
    return rc;
}

static int judge(struct req *r, const struct target *t, bool set_error, bool *owner_may)
{
    struct az z;
    az_init(&z, r);
    int rc = judge_in(&z, t, set_error, owner_may);
    az_free(&z);
    return rc;
}

bool authz_is_bucket_owner(const struct req *r)
{
    return r->bkt_loaded && !anonymous(&r->who) &&
           strcmp(r->who.account_id, r->bkt.owner_account) == 0;
}

bool authz_may_list(struct req *r)
{
    if (!r->bkt_loaded)
        return false;
    struct target t = {.action = "s3:ListBucket", .b = &r->bkt};
    struct az z;
    az_init(&z, r);
    /* The question is whether a listing could show this key: one with the key as its prefix
     * (so a policy granting s3:ListBucket under a "public/" prefix reveals public/x missing, not
     * private/x). */
    z.list_prefix = r->key;
    bool ok = judge_in(&z, &t, false, NULL) == 0;
    az_free(&z);
    return ok;
}

/* Requests that address no existing bucket: the service (ListBuckets), the account (S3
 * Control), CreateBucket. Only the identity side speaks. */
static int authz_no_bucket(struct req *r)
{
    const struct s3_op *op = r->op;
    if (anonymous(&r->who))
        return req_error(r, S3E_AccessDenied, NULL);
    struct buf arn = BUF_INIT;
    if (op->shape == SHAPE_BUCKET && r->bucket)
        arn_of(&arn, r->bucket, NULL);
    else
        buf_puts(&arn, "*");
    int rc = buf_ok(&arn) ? authz_identity_only(r, op->iam_action, arn.data)
                          : req_error(r, S3E_ServiceUnavailable, NULL);
    buf_free(&arn);
    return rc;
}

/* Operations whose handler checks each object itself (DeleteObjects: s3:DeleteObject per key,
 * every refusal reported in the response). */
static bool per_key(const struct s3_op *op)
{
    return strcmp(op->name, "DeleteObjects") == 0;
}

int authz_request(struct req *r)
{
    const struct s3_op *op = r->op;
    r->authz_object_pending = false;
    r->owner_copy = false;
    if (op->flags & OPF_ANON_OK)
        return 0;
    if (op->shape == SHAPE_SERVICE || op->shape == SHAPE_ACCOUNT || !r->bkt_loaded)
        return authz_no_bucket(r);
    bool on_object;
    acl_perm_for(op->iam_action, &on_object);
    /* Cross-account events go to the bucket owner too, unless the object proves it could not
     * have made the call (decided with the object in authz_object). */
    bool cross = !anonymous(&r->who) && r->who.type != PRINCIPAL_AWS_SERVICE &&
                 strcmp(r->who.account_id, r->bkt.owner_account) != 0;
    if ((on_object && r->key) || per_key(op)) {
        r->authz_object_pending = on_object && r->key;
        r->owner_copy = cross;
        return 0;
    }
    struct target t = {.action = op->iam_action, .b = &r->bkt, .key = r->key};
    bool owner_may = false;
    int rc = judge(r, &t, true, &owner_may);
    r->owner_copy = cross && owner_may;
    /* S3: "If you have the correct permissions, but you're not using an identity that belongs
     * to the bucket owner's account, Amazon S3 returns a 405 Method Not Allowed error." A policy
     * granting another account s3:* must not hand it the policy itself. */
    if (!rc && cross && policy_call(op->iam_action)) {
        buf_printf(&r->error_extra, "<Method>%s</Method><ResourceType>BUCKET</ResourceType>",
                   r->method);
        rc = req_error(r, S3E_MethodNotAllowed, NULL);
    }
    return rc;
}

int authz_object(struct req *r, const char *owner, const char *acl)
{
    r->authz_object_pending = false;
    struct target t = {
        .action = r->op->iam_action, .b = &r->bkt, .key = r->key, .obj_owner = owner, .obj_acl = acl,
    };
    bool owner_may = false;
    int rc = judge(r, &t, true, &owner_may);
    r->owner_copy = r->owner_copy && owner_may;
    return rc;
}

int authz_check_keys(struct req *r, const char *action, const struct bucket *b,
                     const char *const *keys, size_t n, bool *denied)
{
    struct az z;
    az_init(&z, r);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        struct target t = {.action = action, .b = b, .key = keys[i]};
        rc = judge_in(&z, &t, false, NULL);
        denied[i] = rc == -S3E_AccessDenied;
        if (denied[i])
            rc = 0;
    }
    az_free(&z);
    return rc;
}

int authz_check(struct req *r, const char *action, const struct bucket *b, const char *key,
                const char *owner, const char *acl, bool set_error)
{
    struct target t = {.action = action, .b = b, .key = key, .obj_owner = owner, .obj_acl = acl};
    return judge(r, &t, set_error, NULL);
}

int authz_identity_only(struct req *r, const char *action, const char *resource)
{
    struct az z;
    az_init(&z, r);
    struct iampol_request q = {
        .action = action,
        .resource = resource,
        .who = &r->who,
        .key = condition_key,
        .key_arg = &z,
    };
    enum deny_why why;
    bool session_limits;
    enum id_verdict v = identity_side(&z, &q, &why, &session_limits);
    int failed = z.failed;
    az_free(&z);
    if (failed)
        return req_error(r, -s3err_from_errno(failed), NULL);
    if (v == ID_ALLOW)
        return 0;
    if (anonymous(&r->who) || why == WHY_NONE)
        why = WHY_PLAIN;
    return refuse(r, why, action, resource, r->protocol == PROTO_S3);
}
