/* s3/pab: the PublicAccessBlockConfiguration document, the stored form and the XML answer. */
#include "s3/pab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "util/buf.h"

static int parse(const char *doc, struct pab *p)
{
    return pab_parse_xml(doc, strlen(doc), p);
}

TEST(pab_documents)
{
    struct pab p;
    CHECK_EQ_INT(parse("<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
                       "2006-03-01/\"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>"
                       "false</IgnorePublicAcls><RestrictPublicBuckets>TRUE"
                       "</RestrictPublicBuckets></PublicAccessBlockConfiguration>",
                       &p),
                 0);
    CHECK(p.block_public_acls && !p.ignore_public_acls && !p.block_public_policy &&
          p.restrict_public_buckets);
    /* The S3 Control namespace, and an empty configuration (everything false). */
    CHECK_EQ_INT(parse("<PublicAccessBlockConfiguration xmlns=\"" PAB_S3CONTROL_XMLNS "\">"
                       "<BlockPublicPolicy>true</BlockPublicPolicy>"
                       "</PublicAccessBlockConfiguration>",
                       &p),
                 0);
    CHECK(!p.block_public_acls && p.block_public_policy);
    CHECK_EQ_INT(parse("<PublicAccessBlockConfiguration/>", &p), 0);
    CHECK(!p.block_public_acls && !p.ignore_public_acls && !p.block_public_policy &&
          !p.restrict_public_buckets);

    const char *bad[] = {
        "",
        "<PublicAccessBlock/>",
        "<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls>"
        "</PublicAccessBlockConfiguration>",
        "<PublicAccessBlockConfiguration><BlockPublicAcls></BlockPublicAcls>"
        "</PublicAccessBlockConfiguration>",
        "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>"
        "<BlockPublicAcls>false</BlockPublicAcls></PublicAccessBlockConfiguration>",
        "<PublicAccessBlockConfiguration><BlockEverything>true</BlockEverything>"
        "</PublicAccessBlockConfiguration>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(parse(bad[i], &p), -EINVAL);
}

TEST(pab_stored_form)
{
    struct pab p = {.block_public_acls = true, .restrict_public_buckets = true}, q;
    char *json = NULL;
    CHECK_EQ_INT(pab_to_json(&p, &json), 0);
    CHECK_EQ_STR(json, "{\"BlockPublicAcls\":true,\"IgnorePublicAcls\":false,"
                       "\"BlockPublicPolicy\":false,\"RestrictPublicBuckets\":true}");
    CHECK_EQ_INT(pab_from_json(json, &q), 0);
    CHECK(memcmp(&p, &q, sizeof p) == 0);
    free(json);
    CHECK_EQ_INT(pab_from_json("{\"BlockPublicPolicy\":true}", &q), 0);
    CHECK(q.block_public_policy && !q.block_public_acls);
    CHECK_EQ_INT(pab_from_json("{\"BlockPublicAcls\":\"yes\"}", &q), -EINVAL);
    CHECK_EQ_INT(pab_from_json("[]", &q), -EINVAL);
    CHECK_EQ_INT(pab_from_json(NULL, &q), -EINVAL);

    struct buf b = BUF_INIT;
    CHECK_EQ_INT(pab_write_xml(&b, &p, PAB_S3CONTROL_XMLNS), 0);
    CHECK_EQ_STR(b.data, "<PublicAccessBlockConfiguration xmlns=\"" PAB_S3CONTROL_XMLNS "\">"
                         "<BlockPublicAcls>true</BlockPublicAcls>"
                         "<IgnorePublicAcls>false</IgnorePublicAcls>"
                         "<BlockPublicPolicy>false</BlockPublicPolicy>"
                         "<RestrictPublicBuckets>true</RestrictPublicBuckets>"
                         "</PublicAccessBlockConfiguration>");
    buf_free(&b);
}
