/* auth/acl: canned ACLs, the grant header grammar, AccessControlPolicy documents, the stored
 * JSON form and the questions authorization asks of it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/acl.h"
#include "auth/principal.h"
#include "unit.h"
#include "util/buf.h"

static void check_canned(const char *canned, const char *bucket_owner, const char *expect)
{
    char *got = NULL;
    CHECK_EQ_INT(acl_from_canned(canned, "own", bucket_owner, &got), 0);
    if (!got)
        return;
    CHECK_EQ_STR(got, expect);
    json_t *parsed = json_loads(got, JSON_REJECT_DUPLICATES, NULL);
    CHECK(json_is_object(parsed));
    json_decref(parsed);
    free(got);
}

#define OWNER_FULL "{\"type\":\"CanonicalUser\",\"id\":\"own\",\"perm\":\"FULL_CONTROL\"}"

TEST(acl_canned_documents)
{
    const char *own_only = "{\"owner\":\"own\",\"grants\":[" OWNER_FULL "]}";
    check_canned(NULL, "own", own_only);
    check_canned("", "own", own_only);
    check_canned("private", "other", own_only);
    check_canned("aws-exec-read", "own", own_only);
    check_canned("public-read", "own",
                 "{\"owner\":\"own\",\"grants\":[" OWNER_FULL ",{\"type\":\"Group\",\"uri\":\""
                 ACL_ALL_USERS "\",\"perm\":\"READ\"}]}");
    check_canned("public-read-write", "own",
                 "{\"owner\":\"own\",\"grants\":[" OWNER_FULL ",{\"type\":\"Group\",\"uri\":\""
                 ACL_ALL_USERS "\",\"perm\":\"READ\"},{\"type\":\"Group\",\"uri\":\"" ACL_ALL_USERS
                 "\",\"perm\":\"WRITE\"}]}");
    check_canned("authenticated-read", "own",
                 "{\"owner\":\"own\",\"grants\":[" OWNER_FULL ",{\"type\":\"Group\",\"uri\":\""
                 ACL_AUTH_USERS "\",\"perm\":\"READ\"}]}");
    /* The bucket owner's grant only when it is someone else. */
    check_canned("bucket-owner-read", "own", own_only);
    check_canned("bucket-owner-read", "bo",
                 "{\"owner\":\"own\",\"grants\":[" OWNER_FULL
                 ",{\"type\":\"CanonicalUser\",\"id\":\"bo\",\"perm\":\"READ\"}]}");
    check_canned("bucket-owner-full-control", "bo",
                 "{\"owner\":\"own\",\"grants\":[" OWNER_FULL
                 ",{\"type\":\"CanonicalUser\",\"id\":\"bo\",\"perm\":\"FULL_CONTROL\"}]}");
    check_canned("log-delivery-write", NULL,
                 "{\"owner\":\"own\",\"grants\":[" OWNER_FULL ",{\"type\":\"Group\",\"uri\":\""
                 ACL_LOG_DELIVERY "\",\"perm\":\"WRITE\"},{\"type\":\"Group\",\"uri\":\""
                 ACL_LOG_DELIVERY "\",\"perm\":\"READ_ACP\"}]}");
    char *got = NULL;
    CHECK_EQ_INT(acl_from_canned("public", "own", NULL, &got), -EINVAL);
    CHECK(got == NULL);
}

/* ---- the x-amz-grant-* header grammar -------------------------------------------------------- */

TEST(acl_header_grants)
{
    struct acl a = ACL_INIT;
    CHECK_EQ_INT(acl_add_header_grants(&a, "id=\"abc\", emailAddress=\"x@example.com\" ,uri="
                                           "\"" ACL_ALL_USERS "\"",
                                       ACL_PERM_READ),
                 0);
    CHECK_EQ_INT(acl_add_header_grants(&a, "  ID=def", ACL_PERM_WRITE_ACP), 0);
    CHECK_EQ_INT(a.n, 4);
    if (a.n == 4) {
        CHECK_EQ_INT(a.grants[0].type, ACL_GRANTEE_CANONICAL);
        CHECK_EQ_STR(a.grants[0].value, "abc");
        CHECK_EQ_INT(a.grants[0].perm, ACL_PERM_READ);
        CHECK_EQ_INT(a.grants[1].type, ACL_GRANTEE_EMAIL);
        CHECK_EQ_STR(a.grants[1].value, "x@example.com");
        CHECK_EQ_INT(a.grants[2].type, ACL_GRANTEE_GROUP);
        CHECK_EQ_STR(a.grants[2].value, ACL_ALL_USERS);
        CHECK_EQ_STR(a.grants[3].value, "def");
        CHECK_EQ_INT(a.grants[3].perm, ACL_PERM_WRITE_ACP);
    }
    /* An e-mail grant cannot be stored before it is resolved, and keeps its address after. */
    char *json = NULL;
    CHECK_EQ_INT(acl_to_json(&a, &json), -EINVAL);
    CHECK_EQ_INT(acl_resolve_email(&a, 1, "canon"), 0);
    CHECK_EQ_INT(acl_set_owner(&a, "own"), 0);
    CHECK_EQ_INT(acl_to_json(&a, &json), 0);
    CHECK_EQ_STR(json, "{\"owner\":\"own\",\"grants\":["
                       "{\"type\":\"CanonicalUser\",\"id\":\"abc\",\"perm\":\"READ\"},"
                       "{\"type\":\"CanonicalUser\",\"id\":\"canon\",\"email\":\"x@example.com\","
                       "\"perm\":\"READ\"},"
                       "{\"type\":\"Group\",\"uri\":\"" ACL_ALL_USERS "\",\"perm\":\"READ\"},"
                       "{\"type\":\"CanonicalUser\",\"id\":\"def\",\"perm\":\"WRITE_ACP\"}]}");
    /* The stored form reads back to the same document. */
    struct acl back = ACL_INIT;
    CHECK_EQ_INT(acl_from_json(json, &back), 0);
    char *again = NULL;
    CHECK_EQ_INT(acl_to_json(&back, &again), 0);
    CHECK_EQ_STR(again, json);
    CHECK(back.n == 4 && back.grants[1].email && strcmp(back.grants[1].email, "x@example.com") == 0);
    CHECK(acl_grants_public(&back));
    CHECK(acl_is_public(json));
    free(again);
    free(json);
    acl_free(&back);
    acl_free(&a);

    const char *bad[] = {"", "  ", "id", "id=", "id=\"\"", "id=\"abc", "name=\"x\"", "id=\"a\",",
                         "id=\"a\" x", "id=\"a\";uri=\"b\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct acl b = ACL_INIT;
        int rc = acl_add_header_grants(&b, bad[i], ACL_PERM_READ);
        if (rc != -EINVAL)
            fprintf(stderr, "  header grant \"%s\": %d\n", bad[i], rc);
        CHECK_EQ_INT(rc, -EINVAL);
        acl_free(&b);
    }
    struct acl c = ACL_INIT;
    CHECK_EQ_INT(acl_add_header_grants(&c, "uri=\"http://acs.amazonaws.com/groups/global/Nobody\"",
                                       ACL_PERM_READ),
                 -EDOM);
    acl_free(&c);
}

TEST(acl_header_grants_limit)
{
    struct acl a = ACL_INIT;
    struct buf v = BUF_INIT;
    for (int i = 0; i < ACL_MAX_GRANTS; i++)
        buf_printf(&v, "%sid=\"u%d\"", i ? "," : "", i);
    CHECK_EQ_INT(acl_add_header_grants(&a, v.data, ACL_PERM_READ), 0);
    CHECK_EQ_INT(a.n, ACL_MAX_GRANTS);
    CHECK_EQ_INT(acl_add_header_grants(&a, "id=\"one-more\"", ACL_PERM_READ), -E2BIG);
    buf_free(&v);
    acl_free(&a);
}

/* ---- AccessControlPolicy documents ----------------------------------------------------------- */

#define XSI "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""

static int parse(const char *doc, struct acl *a)
{
    return acl_parse_xml(doc, strlen(doc), a);
}

TEST(acl_xml_documents)
{
    struct acl a = ACL_INIT;
    const char *doc =
        "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Owner><ID>own</ID><DisplayName>me</DisplayName></Owner><AccessControlList>"
        "<Grant><Grantee " XSI " xsi:type=\"CanonicalUser\"><ID>own</ID><DisplayName>me"
        "</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>"
        "<Grant><Grantee " XSI " xsi:type=\"AmazonCustomerByEmail\"><EmailAddress> a@b.c "
        "</EmailAddress></Grantee><Permission>READ_ACP</Permission></Grant>"
        "<Grant><Grantee " XSI " xsi:type=\"Group\"><URI>" ACL_AUTH_USERS "</URI></Grantee>"
        "<Permission>READ</Permission></Grant>"
        "</AccessControlList></AccessControlPolicy>";
    CHECK_EQ_INT(parse(doc, &a), 0);
    CHECK_EQ_STR(a.owner, "own");
    CHECK_EQ_INT(a.n, 3);
    if (a.n == 3) {
        CHECK_EQ_INT(a.grants[0].type, ACL_GRANTEE_CANONICAL);
        CHECK_EQ_INT(a.grants[0].perm, ACL_PERM_FULL_CONTROL);
        CHECK_EQ_INT(a.grants[1].type, ACL_GRANTEE_EMAIL);
        CHECK_EQ_STR(a.grants[1].value, "a@b.c");
        CHECK_EQ_INT(a.grants[1].perm, ACL_PERM_READ_ACP);
        CHECK_EQ_INT(a.grants[2].type, ACL_GRANTEE_GROUP);
        CHECK_EQ_STR(a.grants[2].value, ACL_AUTH_USERS);
    }
    CHECK(acl_grants_public(&a));
    CHECK(!acl_only_owner(&a, "own"));
    acl_free(&a);

    /* No Owner: parsed, owner NULL (the handler refuses it); an empty list is an empty ACL. */
    CHECK_EQ_INT(parse("<AccessControlPolicy><AccessControlList/></AccessControlPolicy>", &a), 0);
    CHECK(a.owner == NULL && a.n == 0);
    CHECK(acl_only_owner(&a, "own"));
    acl_free(&a);

#define GRANT(type, inner, perm)                                                                 \
    "<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant><Grantee " XSI     \
    " xsi:type=\"" type "\">" inner "</Grantee><Permission>" perm "</Permission></Grant>"        \
    "</AccessControlList></AccessControlPolicy>"
    const char *malformed[] = {
        "",
        "not xml",
        "<Other/>",
        "<AccessControlPolicy><Owner><DisplayName>x</DisplayName></Owner></AccessControlPolicy>",
        GRANT("CanonicalUser", "<ID>x</ID>", "EVERYTHING"),
        GRANT("CanonicalUser", "<ID>x</ID>", ""),
        GRANT("CanonicalUser", "<EmailAddress>x</EmailAddress>", "READ"),
        GRANT("AmazonCustomerByEmail", "<ID>x</ID>", "READ"),
        GRANT("Group", "<ID>x</ID>", "READ"),
        GRANT("Robot", "<ID>x</ID>", "READ"),
        "<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant><Grantee>"
        "<ID>x</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList>"
        "</AccessControlPolicy>",
        "<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant>"
        "<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
        "<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Nope/>"
        "</AccessControlList></AccessControlPolicy>",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        int rc = parse(malformed[i], &a);
        if (rc != -EINVAL)
            fprintf(stderr, "  document %zu: %d\n", i, rc);
        CHECK_EQ_INT(rc, -EINVAL);
        CHECK(a.owner == NULL && a.n == 0);
    }
    CHECK_EQ_INT(parse(GRANT("Group", "<URI>http://acs.amazonaws.com/groups/global/X</URI>",
                             "READ"),
                       &a),
                 -EDOM);
    CHECK(a.n == 0);
    /* External entities are never loaded. */
    CHECK_EQ_INT(parse("<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY e SYSTEM "
                       "\"file:///etc/passwd\">]><AccessControlPolicy><Owner><ID>&e;</ID>"
                       "</Owner></AccessControlPolicy>",
                       &a) == 0 &&
                     a.owner && strstr(a.owner, "root"),
                 0);
    acl_free(&a);
}

/* ---- questions ------------------------------------------------------------------------------- */

TEST(acl_allows_and_public)
{
    struct principal me = {.type = PRINCIPAL_ROOT, .canonical_id = "me"};
    struct principal other = {.type = PRINCIPAL_ROOT, .canonical_id = "other"};
    struct principal anon = {.type = PRINCIPAL_ANONYMOUS};
    char *pub = NULL, *auth = NULL, *priv = NULL;
    CHECK_EQ_INT(acl_from_canned("public-read", "me", NULL, &pub), 0);
    CHECK_EQ_INT(acl_from_canned("authenticated-read", "me", NULL, &auth), 0);
    CHECK_EQ_INT(acl_from_canned("log-delivery-write", "me", NULL, &priv), 0);
    CHECK(acl_is_public(pub));
    CHECK(acl_is_public(auth));
    CHECK(!acl_is_public(priv)); /* LogDelivery is no public group */
    CHECK(!acl_is_public(NULL));
    CHECK(!acl_is_public("not json"));

    CHECK(acl_allows(pub, &anon, "READ"));
    CHECK(acl_allows(pub, &other, "READ"));
    CHECK(!acl_allows(pub, &other, "WRITE"));
    CHECK(acl_allows(pub, &me, "WRITE_ACP")); /* FULL_CONTROL */
    CHECK(!acl_allows(auth, &anon, "READ"));
    CHECK(acl_allows(auth, &other, "READ"));
    /* IgnorePublicAcls: the public grants count for nothing, the others still do. */
    CHECK(!acl_allows_ex(pub, &anon, "READ", true));
    CHECK(!acl_allows_ex(auth, &other, "READ", true));
    CHECK(acl_allows_ex(pub, &me, "READ", true));
    CHECK(!acl_allows(NULL, &me, "READ"));
    free(pub);
    free(auth);
    free(priv);

    struct acl a = ACL_INIT;
    CHECK_EQ_INT(acl_canned("bucket-owner-full-control", "w", "bo", &a), 0);
    CHECK(!acl_only_owner(&a, "bo"));
    acl_free(&a);
    CHECK_EQ_INT(acl_canned("bucket-owner-full-control", "bo", "bo", &a), 0);
    CHECK(acl_only_owner(&a, "bo"));
    CHECK(!acl_only_owner(&a, "w"));
    acl_free(&a);
    CHECK_EQ_INT(acl_canned("nonsense", "bo", "bo", &a), -EINVAL);
    CHECK(a.n == 0 && a.owner == NULL);

    /* Stored forms that are not ACLs. */
    const char *bad[] = {"[]", "{\"grants\":{}}", "{\"grants\":[{\"type\":\"Group\"}]}",
                         "{\"grants\":[{\"type\":\"X\",\"id\":\"a\",\"perm\":\"READ\"}]}",
                         "{\"grants\":[{\"type\":\"CanonicalUser\",\"id\":\"a\",\"perm\":\"R\"}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(acl_from_json(bad[i], &a), -EINVAL);
        CHECK(a.n == 0);
    }
}
