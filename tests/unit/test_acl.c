/* auth/acl: canned ACLs expanded to the stored JSON document. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/acl.h"
#include "unit.h"

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
