/*
 * acl.c — the ACL model and its forms (acl.h has the contract).
 */
#include "auth/acl.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/principal.h"
#include "util/buf.h"
#include "util/xmlin.h"

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

static const char *const perm_names[] = {
    [ACL_PERM_READ] = "READ",
    [ACL_PERM_WRITE] = "WRITE",
    [ACL_PERM_READ_ACP] = "READ_ACP",
    [ACL_PERM_WRITE_ACP] = "WRITE_ACP",
    [ACL_PERM_FULL_CONTROL] = "FULL_CONTROL",
};

const char *acl_perm_name(enum acl_perm p)
{
    return (size_t)p < sizeof perm_names / sizeof perm_names[0] ? perm_names[p] : "READ";
}

int acl_perm_parse(const char *name, enum acl_perm *out)
{
    for (size_t i = 0; name && i < sizeof perm_names / sizeof perm_names[0]; i++)
        if (strcmp(name, perm_names[i]) == 0) {
            *out = (enum acl_perm)i;
            return 0;
        }
    return -EINVAL;
}

bool acl_group_known(const char *uri)
{
    return uri && (strcmp(uri, ACL_ALL_USERS) == 0 || strcmp(uri, ACL_AUTH_USERS) == 0 ||
                   strcmp(uri, ACL_LOG_DELIVERY) == 0);
}

/* ---- the model ------------------------------------------------------------------------------- */

void acl_free(struct acl *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->grants[i].value);
        free(a->grants[i].email);
    }
    free(a->grants);
    free(a->owner);
    memset(a, 0, sizeof *a);
}

int acl_set_owner(struct acl *a, const char *owner)
{
    char *o = owner ? strdup(owner) : NULL;
    if (owner && !o)
        return -ENOMEM;
    free(a->owner);
    a->owner = o;
    return 0;
}

int acl_add(struct acl *a, enum acl_grantee_type type, const char *value, const char *email,
            enum acl_perm perm)
{
    if (a->n >= ACL_MAX_GRANTS)
        return -E2BIG;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        struct acl_grant *g = realloc(a->grants, cap * sizeof *g);
        if (!g)
            return -ENOMEM;
        a->grants = g;
        a->cap = cap;
    }
    struct acl_grant *g = &a->grants[a->n];
    g->type = type;
    g->perm = perm;
    g->value = strdup(value ? value : "");
    g->email = email ? strdup(email) : NULL;
    if (!g->value || (email && !g->email)) {
        free(g->value);
        free(g->email);
        return -ENOMEM;
    }
    a->n++;
    return 0;
}

int acl_resolve_email(struct acl *a, size_t i, const char *canonical_id)
{
    struct acl_grant *g = &a->grants[i];
    char *id = strdup(canonical_id);
    if (!id)
        return -ENOMEM;
    free(g->email);
    g->email = g->value; /* the address moves to email */
    g->value = id;
    g->type = ACL_GRANTEE_CANONICAL;
    return 0;
}

/* ---- canned ACLs ----------------------------------------------------------------------------- */

int acl_canned(const char *canned, const char *owner, const char *bucket_owner, struct acl *out)
{
    int rc = acl_set_owner(out, owner);
    rc = rc ? rc : acl_add(out, ACL_GRANTEE_CANONICAL, owner, NULL, ACL_PERM_FULL_CONTROL);
    if (rc)
        goto fail;
    bool other_owner = bucket_owner && strcmp(bucket_owner, owner) != 0;
    if (!canned || !*canned || strcmp(canned, "private") == 0) {
        /* owner only */
    } else if (strcmp(canned, "public-read") == 0) {
        rc = acl_add(out, ACL_GRANTEE_GROUP, ACL_ALL_USERS, NULL, ACL_PERM_READ);
    } else if (strcmp(canned, "public-read-write") == 0) {
        rc = acl_add(out, ACL_GRANTEE_GROUP, ACL_ALL_USERS, NULL, ACL_PERM_READ);
        rc = rc ? rc : acl_add(out, ACL_GRANTEE_GROUP, ACL_ALL_USERS, NULL, ACL_PERM_WRITE);
    } else if (strcmp(canned, "authenticated-read") == 0) {
        rc = acl_add(out, ACL_GRANTEE_GROUP, ACL_AUTH_USERS, NULL, ACL_PERM_READ);
    } else if (strcmp(canned, "aws-exec-read") == 0) {
        /* EC2's read access has no principal here; the owner-only part is what remains. */
    } else if (strcmp(canned, "bucket-owner-read") == 0) {
        if (other_owner)
            rc = acl_add(out, ACL_GRANTEE_CANONICAL, bucket_owner, NULL, ACL_PERM_READ);
    } else if (strcmp(canned, "bucket-owner-full-control") == 0) {
        if (other_owner)
            rc = acl_add(out, ACL_GRANTEE_CANONICAL, bucket_owner, NULL, ACL_PERM_FULL_CONTROL);
    } else if (strcmp(canned, "log-delivery-write") == 0) {
        rc = acl_add(out, ACL_GRANTEE_GROUP, ACL_LOG_DELIVERY, NULL, ACL_PERM_WRITE);
        rc = rc ? rc : acl_add(out, ACL_GRANTEE_GROUP, ACL_LOG_DELIVERY, NULL, ACL_PERM_READ_ACP);
    } else {
        rc = -EINVAL;
    }
    if (!rc)
        return 0;
fail:
    acl_free(out);
    return rc;
}

int acl_from_canned(const char *canned, const char *owner, const char *bucket_owner, char **json)
{
    /* The private ACL of every plain PutObject is written without the struct's allocations. */
    if (!canned || !*canned || strcmp(canned, "private") == 0) {
        struct buf b = BUF_INIT;
        buf_puts(&b, "{\"owner\":");
        buf_put_json_str(&b, owner);
        buf_puts(&b, ",\"grants\":[{\"type\":\"CanonicalUser\",\"id\":");
        buf_put_json_str(&b, owner);
        buf_puts(&b, ",\"perm\":\"FULL_CONTROL\"}]}");
        if (!buf_ok(&b)) {
            buf_free(&b);
            return -ENOMEM;
        }
        *json = buf_detach(&b);
        return 0;
    }
    struct acl a = ACL_INIT;
    int rc = acl_canned(canned, owner, bucket_owner, &a);
    if (!rc)
        rc = acl_to_json(&a, json);
    acl_free(&a);
    return rc;
}

/* ---- the stored form ------------------------------------------------------------------------- */

/* Written directly rather than through jansson: every PutObject stores an ACL, and jansson's
 * json_dumps costs about 20,000 instructions for this small document (callgrind; its cycle
 * detection formats every container's address), a tenth of the request. */
int acl_to_json(const struct acl *a, char **json)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "{\"owner\":");
    buf_put_json_str(&b, a->owner ? a->owner : "");
    buf_puts(&b, ",\"grants\":[");
    for (size_t i = 0; i < a->n; i++) {
        const struct acl_grant *g = &a->grants[i];
        if (g->type == ACL_GRANTEE_EMAIL) {
            buf_free(&b);
            return -EINVAL;
        }
        if (i)
            buf_putc(&b, ',');
        bool group = g->type == ACL_GRANTEE_GROUP;
        buf_puts(&b,
                 group ? "{\"type\":\"Group\",\"uri\":" : "{\"type\":\"CanonicalUser\",\"id\":");
        buf_put_json_str(&b, g->value);
        if (!group && g->email) {
            buf_puts(&b, ",\"email\":");
            buf_put_json_str(&b, g->email);
        }
        buf_printf(&b, ",\"perm\":\"%s\"}", acl_perm_name(g->perm));
    }
    buf_puts(&b, "]}");
    if (!buf_ok(&b)) {
        buf_free(&b);
        return -ENOMEM;
    }
    *json = buf_detach(&b);
    return 0;
}

int acl_from_json(const char *json, struct acl *out)
{
    if (!json)
        return 0;
    json_error_t jerr;
    json_t *root = json_loads(json, 0, &jerr);
    if (!root)
        return json_error_code(&jerr) == json_error_out_of_memory ? -ENOMEM : -EINVAL;
    int rc = 0;
    const char *owner = json_string_value(json_object_get(root, "owner"));
    json_t *grants = json_object_get(root, "grants");
    if (!json_is_object(root) || !json_is_array(grants))
        rc = -EINVAL;
    if (!rc && owner && owner[0])
        rc = acl_set_owner(out, owner);
    size_t i;
    json_t *g;
    json_array_foreach(grants, i, g)
    {
        if (rc)
            break;
        const char *type = json_string_value(json_object_get(g, "type"));
        enum acl_perm perm;
        if (!type || acl_perm_parse(json_string_value(json_object_get(g, "perm")), &perm)) {
            rc = -EINVAL;
        } else if (strcmp(type, "Group") == 0) {
            const char *uri = json_string_value(json_object_get(g, "uri"));
            rc = uri ? acl_add(out, ACL_GRANTEE_GROUP, uri, NULL, perm) : -EINVAL;
        } else if (strcmp(type, "CanonicalUser") == 0) {
            const char *id = json_string_value(json_object_get(g, "id"));
            const char *email = json_string_value(json_object_get(g, "email"));
            rc = id ? acl_add(out, ACL_GRANTEE_CANONICAL, id, email, perm) : -EINVAL;
        } else {
            rc = -EINVAL;
        }
    }
    json_decref(root);
    if (rc)
        acl_free(out);
    return rc;
}

/* ---- x-amz-grant-* headers ------------------------------------------------------------------- */

static const char *skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

int acl_add_header_grants(struct acl *a, const char *value, enum acl_perm perm)
{
    const char *p = skip_blanks(value);
    if (!*p)
        return -EINVAL;
    for (;;) {
        size_t kn = strcspn(p, "=,");
        if (p[kn] != '=')
            return -EINVAL;
        size_t klen = kn;
        while (klen && (p[klen - 1] == ' ' || p[klen - 1] == '\t'))
            klen--;
        enum acl_grantee_type type;
        if (klen == 2 && strncasecmp(p, "id", 2) == 0)
            type = ACL_GRANTEE_CANONICAL;
        else if (klen == 12 && strncasecmp(p, "emailAddress", 12) == 0)
            type = ACL_GRANTEE_EMAIL;
        else if (klen == 3 && strncasecmp(p, "uri", 3) == 0)
            type = ACL_GRANTEE_GROUP;
        else
            return -EINVAL;
        p = skip_blanks(p + kn + 1);
        const char *v;
        size_t vn;
        if (*p == '"') {
            v = p + 1;
            const char *end = strchr(v, '"');
            if (!end)
                return -EINVAL;
            vn = (size_t)(end - v);
            p = skip_blanks(end + 1);
        } else {
            v = p;
            vn = strcspn(p, ",");
            p += vn;
            while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
                vn--;
        }
        if (vn == 0 || memchr(v, '\0', vn))
            return -EINVAL;
        char *s = strndup(v, vn);
        if (!s)
            return -ENOMEM;
        int rc = type == ACL_GRANTEE_GROUP && !acl_group_known(s) ? -EDOM
                                                                  : acl_add(a, type, s, NULL, perm);
        free(s);
        if (rc)
            return rc;
        if (!*p)
            return 0;
        if (*p != ',')
            return -EINVAL;
        p = skip_blanks(p + 1);
    }
}

/* ---- AccessControlPolicy documents ----------------------------------------------------------- */

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

/* The element's text without surrounding white space, owned (free()); NULL when the element is
 * absent or empty; *oom set when memory ran out. */
static char *child_text(xmlNodePtr parent, const char *name, bool *oom)
{
    xmlNodePtr c = child(parent, name);
    if (!c)
        return NULL;
    xmlChar *t = xmlNodeGetContent(c);
    if (!t) {
        *oom = true;
        return NULL;
    }
    const char *s = (const char *)t;
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    char *out = n ? strndup(s, n) : NULL;
    if (n && !out)
        *oom = true;
    xmlFree(t);
    return out;
}

static int parse_grant(xmlNodePtr grant, struct acl *out)
{
    xmlNodePtr grantee = child(grant, "Grantee");
    if (!grantee)
        return -EINVAL;
    xmlChar *type = xmlGetNsProp(grantee, (const xmlChar *)"type", (const xmlChar *)XSI_NS);
    if (!type)
        return -EINVAL;
    bool oom = false;
    char *perm_s = child_text(grant, "Permission", &oom);
    enum acl_perm perm;
    int rc = oom ? -ENOMEM : acl_perm_parse(perm_s, &perm);
    const char *t = (const char *)type;
    const char *elem = strcmp(t, "CanonicalUser") == 0           ? "ID"
                       : strcmp(t, "AmazonCustomerByEmail") == 0 ? "EmailAddress"
                       : strcmp(t, "Group") == 0                 ? "URI"
                                                                 : NULL;
    char *value = NULL;
    if (!rc && !elem)
        rc = -EINVAL;
    if (!rc) {
        value = child_text(grantee, elem, &oom);
        rc = oom ? -ENOMEM : value ? 0 : -EINVAL;
    }
    if (!rc) {
        enum acl_grantee_type gt = elem[0] == 'I'   ? ACL_GRANTEE_CANONICAL
                                   : elem[0] == 'E' ? ACL_GRANTEE_EMAIL
                                                    : ACL_GRANTEE_GROUP;
        rc = gt == ACL_GRANTEE_GROUP && !acl_group_known(value)
                 ? -EDOM
                 : acl_add(out, gt, value, NULL, perm);
    }
    free(value);
    free(perm_s);
    xmlFree(type);
    return rc;
}

int acl_parse_xml(const char *doc, size_t len, struct acl *out)
{
    xmlDocPtr x;
    int rc = xmlin_parse(doc, len, XML_PARSE_NOBLANKS, &x);
    if (rc)
        return rc;
    xmlNodePtr root = xmlDocGetRootElement(x);
    if (strcmp((const char *)root->name, "AccessControlPolicy") != 0)
        rc = -EINVAL;
    if (!rc) {
        xmlNodePtr owner = child(root, "Owner");
        bool oom = false;
        out->owner = owner ? child_text(owner, "ID", &oom) : NULL;
        if (oom)
            rc = -ENOMEM;
        else if (owner && !out->owner)
            rc = -EINVAL;
    }
    xmlNodePtr list = rc ? NULL : child(root, "AccessControlList");
    for (xmlNodePtr g = list ? list->children : NULL; !rc && g; g = g->next) {
        if (g->type != XML_ELEMENT_NODE)
            continue;
        rc = strcmp((const char *)g->name, "Grant") == 0 ? parse_grant(g, out) : -EINVAL;
    }
    if (x)
        xmlFreeDoc(x);
    if (rc)
        acl_free(out);
    return rc;
}

/* ---- questions ------------------------------------------------------------------------------- */

static bool uri_public(const char *uri)
{
    return strcmp(uri, ACL_ALL_USERS) == 0 || strcmp(uri, ACL_AUTH_USERS) == 0;
}

bool acl_grants_public(const struct acl *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->grants[i].type == ACL_GRANTEE_GROUP && uri_public(a->grants[i].value))
            return true;
    return false;
}

bool acl_is_public(const char *json)
{
    struct acl a = ACL_INIT;
    if (acl_from_json(json, &a))
        return false;
    bool pub = acl_grants_public(&a);
    acl_free(&a);
    return pub;
}

bool acl_only_owner(const struct acl *a, const char *canonical)
{
    for (size_t i = 0; i < a->n; i++) {
        const struct acl_grant *g = &a->grants[i];
        if (g->type != ACL_GRANTEE_CANONICAL || g->perm != ACL_PERM_FULL_CONTROL || !canonical ||
            strcmp(g->value, canonical) != 0)
            return false;
    }
    return true;
}

static bool grantee_matches(json_t *g, const struct principal *p, bool ignore_public)
{
    const char *type = json_string_value(json_object_get(g, "type"));
    if (!type)
        return false;
    if (strcmp(type, "Group") == 0) {
        const char *uri = json_string_value(json_object_get(g, "uri"));
        if (!uri || ignore_public)
            return false;
        if (strcmp(uri, ACL_ALL_USERS) == 0)
            return true;
        if (strcmp(uri, ACL_AUTH_USERS) == 0)
            return p->type != PRINCIPAL_ANONYMOUS;
        return false;
    }
    if (strcmp(type, "CanonicalUser") == 0 && p->type != PRINCIPAL_ANONYMOUS) {
        const char *id = json_string_value(json_object_get(g, "id"));
        return id && strcmp(id, p->canonical_id) == 0;
    }
    return false;
}

bool acl_allows_ex(const char *json, const struct principal *p, const char *perm,
                   bool ignore_public)
{
    if (!json)
        return false;
    json_t *acl = json_loads(json, 0, NULL);
    if (!acl)
        return false;
    bool ok = false;
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(acl, "grants"), i, g)
    {
        const char *gp = json_string_value(json_object_get(g, "perm"));
        if (!gp || (strcmp(gp, perm) != 0 && strcmp(gp, "FULL_CONTROL") != 0))
            continue;
        if (grantee_matches(g, p, ignore_public)) {
            ok = true;
            break;
        }
    }
    json_decref(acl);
    return ok;
}

bool acl_allows(const char *json, const struct principal *p, const char *perm)
{
    return acl_allows_ex(json, p, perm, false);
}
