/* iamstore — IAM entities and STS sessions as account documents (see iamstore.h). */
#include "iam/iamstore.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth/principal.h"
#include "store/store.h"
#include "util/hash.h"

/* IAM names are at most 128 characters (roles 64, policies 128); a longer name never names a
 * stored entity, so lookups refuse it before touching the store. */
#define NAME_MAX_LEN 128

static int lower_key(const char *name, char out[NAME_MAX_LEN + 1])
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > NAME_MAX_LEN)
        return -ENOENT;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)name[i]);
    out[n] = '\0';
    return 0;
}

static int parse_obj(char *text, json_t **out)
{
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return -EIO;
    }
    *out = j;
    return 0;
}

int iam_doc_get(struct store *st, const char *kind, const char *account, const char *name,
                json_t **out)
{
    *out = NULL;
    char key[NAME_MAX_LEN + 1];
    char *text = NULL;
    int rc = lower_key(name, key);
    if (!rc)
        rc = store_doc_get(st, kind, account, key, &text);
    return rc ? rc : parse_obj(text, out);
}

int iam_txn_doc_get(struct store_txn *t, const char *kind, const char *account, const char *name,
                    json_t **out)
{
    *out = NULL;
    char key[NAME_MAX_LEN + 1];
    char *text = NULL;
    int rc = lower_key(name, key);
    if (!rc)
        rc = store_txn_doc_get(t, kind, account, key, &text);
    return rc ? rc : parse_obj(text, out);
}

int iam_txn_doc_put(struct store_txn *t, const char *kind, const char *account, const char *name,
                    const json_t *obj)
{
    char key[NAME_MAX_LEN + 1];
    if (lower_key(name, key))
        return -EINVAL;
    if (!obj)
        return store_txn_doc_set(t, kind, account, key, NULL);
    char *text = json_dumps(obj, JSON_COMPACT);
    if (!text)
        return -ENOMEM;
    int rc = store_txn_doc_set(t, kind, account, key, text);
    free(text);
    return rc;
}

int iam_doc_list(struct store *st, const char *kind, const char *account, json_t **out)
{
    *out = NULL;
    struct store_doc *v = NULL;
    size_t n = 0;
    int rc = store_doc_list(st, kind, account, &v, &n);
    if (rc)
        return rc;
    json_t *arr = json_array();
    if (!arr)
        rc = -ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *o = json_loads(v[i].value, 0, NULL);
        if (!o || !json_is_object(o)) {
            json_decref(o);
            rc = -EIO;
        } else if (json_array_append_new(arr, o)) {
            rc = -ENOMEM;
        }
    }
    store_docs_free(v, n);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

int iam_user_ids(struct store *st, const char *account, const char *user_name,
                 struct iam_user_ids *out)
{
    memset(out, 0, sizeof *out);
    json_t *u = NULL;
    int rc = iam_doc_get(st, IAM_KIND_USER, account, user_name, &u);
    if (rc)
        return rc;
    const char *id = json_string_value(json_object_get(u, "UserId"));
    const char *arn = json_string_value(json_object_get(u, "Arn"));
    if (!id || !arn || strlen(id) >= sizeof out->user_id || strlen(arn) >= sizeof out->arn)
        rc = -EIO;
    else {
        memcpy(out->user_id, id, strlen(id) + 1);
        memcpy(out->arn, arn, strlen(arn) + 1);
    }
    json_decref(u);
    return rc;
}

/* ---- identity policies ------------------------------------------------------------------- */

struct doclist {
    char **v;
    size_t n, cap;
};

static int doclist_add(struct doclist *d, const char *text)
{
    if (d->n == d->cap) {
        size_t nc = d->cap ? 2 * d->cap : 8;
        char **v = realloc(d->v, nc * sizeof *v);
        if (!v)
            return -ENOMEM;
        d->v = v;
        d->cap = nc;
    }
    char *s = strdup(text);
    if (!s)
        return -ENOMEM;
    d->v[d->n++] = s;
    return 0;
}

/* The managed policy an ARN of this account names: its name is the ARN's last path segment. A
 * policy deleted meanwhile (DeletePolicy refuses attached ones, so only a race) is skipped. */
static int add_managed(struct store *st, const char *account, const char *arn, struct doclist *d)
{
    const char *slash = strrchr(arn, '/');
    if (!slash)
        return 0;
    json_t *p = NULL;
    int rc = iam_doc_get(st, IAM_KIND_POLICY, account, slash + 1, &p);
    if (rc == -ENOENT)
        return 0;
    if (rc)
        return rc;
    const char *parn = json_string_value(json_object_get(p, "Arn"));
    const char *doc = json_string_value(json_object_get(p, "Document"));
    if (parn && doc && strcmp(parn, arn) == 0)
        rc = doclist_add(d, doc);
    json_decref(p);
    return rc;
}

/* An entity's (user's or role's) inline documents, then its attached managed ones. */
static int add_entity(struct store *st, const char *kind, const char *account, const char *name,
                      const char *id_member, const char *want_id, struct doclist *d)
{
    json_t *e = NULL;
    int rc = iam_doc_get(st, kind, account, name, &e);
    if (rc == -ENOENT)
        return 0;
    if (rc)
        return rc;
    /* A user or role deleted and made again under the same name is another entity: credentials
     * issued to the old one (sessions, by name) get none of the new one's policies. */
    const char *id = json_string_value(json_object_get(e, id_member));
    if (want_id && want_id[0] && (!id || strcmp(id, want_id) != 0)) {
        json_decref(e);
        return 0;
    }
    const char *pname;
    json_t *doc;
    json_object_foreach(json_object_get(e, "Policies"), pname, doc)
    {
        if (json_is_string(doc) && (rc = doclist_add(d, json_string_value(doc))))
            break;
    }
    size_t i;
    json_t *arn;
    json_array_foreach(json_object_get(e, "Attached"), i, arn)
    {
        if (rc)
            break;
        if (json_is_string(arn))
            rc = add_managed(st, account, json_string_value(arn), d);
    }
    json_decref(e);
    return rc;
}

int iam_identity_policies(struct store *st, const struct principal *p, char ***docs, size_t *n)
{
    *docs = NULL;
    *n = 0;
    struct doclist d = {0};
    int rc = 0;
    switch (p->type) {
    case PRINCIPAL_IAM_USER:
        rc = add_entity(st, IAM_KIND_USER, p->account_id, p->user_name, "UserId", p->unique_id,
                        &d);
        break;
    case PRINCIPAL_ASSUMED_ROLE:
        rc = add_entity(st, IAM_KIND_ROLE, p->account_id, p->issuer_name, "RoleId",
                        p->issuer_principal_id, &d);
        break;
    case PRINCIPAL_FEDERATED_USER:
        if (strcmp(p->issuer_type, "IAMUser") == 0)
            rc = add_entity(st, IAM_KIND_USER, p->account_id, p->issuer_name, "UserId",
                            p->issuer_principal_id, &d);
        break;
    default:
        break;
    }
    if (rc) {
        for (size_t i = 0; i < d.n; i++)
            free(d.v[i]);
        free(d.v);
        return rc;
    }
    *docs = d.v;
    *n = d.n;
    return 0;
}

/* ---- STS sessions ------------------------------------------------------------------------ */

void sts_session_free(struct sts_session *s)
{
    free(s->policy);
    s->policy = NULL;
}

static int copy_field(json_t *o, const char *member, char *dst, size_t cap)
{
    json_t *v = json_object_get(o, member);
    const char *s = v ? json_string_value(v) : "";
    if (!s || strlen(s) >= cap)
        return -EIO;
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

#define SESSION_FIELDS(X)                                                                          \
    X("Secret", secret)                                                                            \
    X("TokenSha256", token_sha256)                                                                 \
    X("Account", account_id)                                                                       \
    X("Type", type)                                                                                \
    X("UserName", user_name)                                                                       \
    X("UniqueId", unique_id)                                                                       \
    X("Arn", arn)                                                                                  \
    X("PrincipalId", principal_id)                                                                 \
    X("SessionName", session_name)                                                                 \
    X("SourceIdentity", source_identity)                                                           \
    X("IssuerType", issuer_type)                                                                   \
    X("IssuerPrincipalId", issuer_principal_id)                                                    \
    X("IssuerArn", issuer_arn)                                                                     \
    X("IssuerName", issuer_name)

int sts_session_get(struct store *st, const char *access_key, struct sts_session *out)
{
    memset(out, 0, sizeof *out);
    if (!access_key || strlen(access_key) >= sizeof out->access_key)
        return -ENOENT;
    char *text = NULL;
    json_t *o = NULL;
    int rc = store_doc_get(st, STS_KIND_SESSION, "", access_key, &text);
    if (!rc)
        rc = parse_obj(text, &o);
    if (rc)
        return rc;
    memcpy(out->access_key, access_key, strlen(access_key) + 1);
#define GET(m, f)                                                                                  \
    if (!rc)                                                                                       \
        rc = copy_field(o, m, out->f, sizeof out->f);
    SESSION_FIELDS(GET)
#undef GET
    json_t *pol = json_object_get(o, "Policy");
    if (!rc && json_is_string(pol) && !(out->policy = strdup(json_string_value(pol))))
        rc = -ENOMEM;
    json_t *c = json_object_get(o, "CreatedMs"), *e = json_object_get(o, "ExpiresMs");
    if (!rc && (!json_is_integer(c) || !json_is_integer(e)))
        rc = -EIO;
    if (!rc) {
        out->created_ms = json_integer_value(c);
        out->expires_ms = json_integer_value(e);
    }
    json_decref(o);
    if (rc)
        sts_session_free(out);
    return rc;
}

int sts_txn_session_put(struct store_txn *t, const struct sts_session *s)
{
    char *old = NULL;
    int rc = store_txn_doc_get(t, STS_KIND_SESSION, "", s->access_key, &old);
    free(old);
    if (rc == 0)
        return -EEXIST;
    if (rc != -ENOENT)
        return rc;
    json_t *o = json_object();
    rc = o ? 0 : -ENOMEM;
#define PUT(m, f)                                                                                  \
    if (!rc && json_object_set_new(o, m, json_string(s->f)))                                       \
        rc = -ENOMEM;
    SESSION_FIELDS(PUT)
#undef PUT
    if (!rc && s->policy && json_object_set_new(o, "Policy", json_string(s->policy)))
        rc = -ENOMEM;
    if (!rc && (json_object_set_new(o, "CreatedMs", json_integer(s->created_ms)) ||
                json_object_set_new(o, "ExpiresMs", json_integer(s->expires_ms))))
        rc = -ENOMEM;
    char *text = rc ? NULL : json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!rc && !text)
        rc = -ENOMEM;
    if (!rc)
        rc = store_txn_doc_set(t, STS_KIND_SESSION, "", s->access_key, text);
    free(text);
    if (!rc) {
        int pr = store_txn_doc_prune_expired(t, STS_KIND_SESSION, "", s->created_ms, STS_PRUNE_MAX);
        rc = pr < 0 ? pr : 0;
    }
    return rc;
}

/* ---- identifiers ------------------------------------------------------------------------- */

int iam_random_id(const char *prefix, size_t n, char *out, size_t cap)
{
    size_t pl = strlen(prefix);
    if (pl + n + 1 > cap)
        return -EINVAL;
    memcpy(out, prefix, pl);
    int rc = hash_random_upper_alnum(out + pl, n);
    out[pl + n] = '\0';
    return rc;
}

int iam_random_secret(size_t n, char *out, size_t cap)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (n + 1 > cap)
        return -EINVAL;
    unsigned char r[256];
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < sizeof r ? n - done : sizeof r;
        if (hash_random_bytes(r, k))
            return -EIO;
        for (size_t i = 0; i < k; i++)
            out[done + i] = alphabet[r[i] & 63]; /* 64 symbols: no modulo bias */
        done += k;
    }
    out[n] = '\0';
    return 0;
}
