#include "auth/acl.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "auth/principal.h"

static int add_grant(json_t *grants, const char *type, const char *key, const char *val,
                     const char *perm)
{
    json_t *g = json_pack("{s:s, s:s, s:s}", "type", type, key, val, "perm", perm);
    return g && json_array_append_new(grants, g) == 0 ? 0 : -ENOMEM;
}

int acl_from_canned(const char *canned, const char *owner, const char *bucket_owner, char **json)
{
    json_t *grants = json_array();
    json_t *acl = json_pack("{s:s, s:o}", "owner", owner, "grants", grants);
    if (!acl)
        return -ENOMEM;
    int rc = add_grant(grants, "CanonicalUser", "id", owner, "FULL_CONTROL");
    if (!canned || !*canned || strcmp(canned, "private") == 0) {
        /* owner only */
    } else if (strcmp(canned, "public-read") == 0) {
        rc = rc ? rc : add_grant(grants, "Group", "uri", ACL_ALL_USERS, "READ");
    } else if (strcmp(canned, "public-read-write") == 0) {
        rc = rc ? rc : add_grant(grants, "Group", "uri", ACL_ALL_USERS, "READ");
        rc = rc ? rc : add_grant(grants, "Group", "uri", ACL_ALL_USERS, "WRITE");
    } else if (strcmp(canned, "authenticated-read") == 0) {
        rc = rc ? rc : add_grant(grants, "Group", "uri", ACL_AUTH_USERS, "READ");
    } else if (strcmp(canned, "aws-exec-read") == 0) {
        /* EC2's read access has no principal here; the owner-only part is what remains. */
    } else if (strcmp(canned, "bucket-owner-read") == 0) {
        if (bucket_owner && strcmp(bucket_owner, owner) != 0)
            rc = rc ? rc : add_grant(grants, "CanonicalUser", "id", bucket_owner, "READ");
    } else if (strcmp(canned, "bucket-owner-full-control") == 0) {
        if (bucket_owner && strcmp(bucket_owner, owner) != 0)
            rc = rc ? rc : add_grant(grants, "CanonicalUser", "id", bucket_owner, "FULL_CONTROL");
    } else if (strcmp(canned, "log-delivery-write") == 0) {
        rc = rc ? rc : add_grant(grants, "Group", "uri", ACL_LOG_DELIVERY, "WRITE");
        rc = rc ? rc : add_grant(grants, "Group", "uri", ACL_LOG_DELIVERY, "READ_ACP");
    } else {
        json_decref(acl);
        return -EINVAL;
    }
    if (!rc) {
        *json = json_dumps(acl, JSON_COMPACT);
        if (!*json)
            rc = -ENOMEM;
    }
    json_decref(acl);
    return rc;
}

static bool grantee_matches(json_t *g, const struct principal *p)
{
    const char *type = json_string_value(json_object_get(g, "type"));
    if (!type)
        return false;
    if (strcmp(type, "Group") == 0) {
        const char *uri = json_string_value(json_object_get(g, "uri"));
        if (!uri)
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

bool acl_allows(const char *json, const struct principal *p, const char *perm)
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
        if (grantee_matches(g, p)) {
            ok = true;
            break;
        }
    }
    json_decref(acl);
    return ok;
}
