#include "auth/acl.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "auth/principal.h"
#include "util/buf.h"

/* Written directly rather than through jansson: every PutObject stores an ACL, and jansson's
 * json_dumps costs about 20,000 instructions for this small document (callgrind; its cycle
 * detection formats every container's address), a tenth of the request. */
static void add_grant(struct buf *b, const char *type, const char *key, const char *val,
                      const char *perm)
{
    if (b->len && b->data[b->len - 1] != '[')
        buf_putc(b, ',');
    buf_puts(b, "{\"type\":");
    buf_put_json_str(b, type);
    buf_printf(b, ",\"%s\":", key);
    buf_put_json_str(b, val);
    buf_puts(b, ",\"perm\":");
    buf_put_json_str(b, perm);
    buf_putc(b, '}');
}

int acl_from_canned(const char *canned, const char *owner, const char *bucket_owner, char **json)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "{\"owner\":");
    buf_put_json_str(&b, owner);
    buf_puts(&b, ",\"grants\":[");
    add_grant(&b, "CanonicalUser", "id", owner, "FULL_CONTROL");
    bool other_owner = bucket_owner && strcmp(bucket_owner, owner) != 0;
    if (!canned || !*canned || strcmp(canned, "private") == 0) {
        /* owner only */
    } else if (strcmp(canned, "public-read") == 0) {
        add_grant(&b, "Group", "uri", ACL_ALL_USERS, "READ");
    } else if (strcmp(canned, "public-read-write") == 0) {
        add_grant(&b, "Group", "uri", ACL_ALL_USERS, "READ");
        add_grant(&b, "Group", "uri", ACL_ALL_USERS, "WRITE");
    } else if (strcmp(canned, "authenticated-read") == 0) {
        add_grant(&b, "Group", "uri", ACL_AUTH_USERS, "READ");
    } else if (strcmp(canned, "aws-exec-read") == 0) {
        /* EC2's read access has no principal here; the owner-only part is what remains. */
    } else if (strcmp(canned, "bucket-owner-read") == 0) {
        if (other_owner)
            add_grant(&b, "CanonicalUser", "id", bucket_owner, "READ");
    } else if (strcmp(canned, "bucket-owner-full-control") == 0) {
        if (other_owner)
            add_grant(&b, "CanonicalUser", "id", bucket_owner, "FULL_CONTROL");
    } else if (strcmp(canned, "log-delivery-write") == 0) {
        add_grant(&b, "Group", "uri", ACL_LOG_DELIVERY, "WRITE");
        add_grant(&b, "Group", "uri", ACL_LOG_DELIVERY, "READ_ACP");
    } else {
        buf_free(&b);
        return -EINVAL;
    }
    buf_puts(&b, "]}");
    if (!buf_ok(&b)) {
        buf_free(&b);
        return -ENOMEM;
    }
    *json = buf_detach(&b);
    return 0;
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
