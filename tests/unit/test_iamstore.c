/*
 * Tests of src/iam/iamstore: entity documents (case-insensitive names), the identity policies
 * that apply to each kind of principal, STS sessions (round trip, bounded prune of expired ones)
 * and the shapes of generated identifiers.
 */
#include "fixture.h"
#include "unit.h"

#include "auth/principal.h"
#include "iam/iamstore.h"
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ACCT "111111111111"

struct put {
    const char *kind, *name, *json;
};

static int apply_put(struct store_txn *t, void *arg)
{
    const struct put *p = arg;
    json_t *o = p->json ? json_loads(p->json, 0, NULL) : NULL;
    if (p->json && !o)
        return -EINVAL;
    int rc = iam_txn_doc_put(t, p->kind, ACCT, p->name, o);
    json_decref(o);
    return rc;
}

static void put(struct store *st, const char *kind, const char *name, const char *json)
{
    struct put p = {kind, name, json};
    CHECK_EQ_INT(store_submit_wait(st, apply_put, &p), 0);
}

static void free_docs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Whether doc is among v[0..n). */
static bool has_doc(char **v, size_t n, const char *doc)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], doc) == 0)
            return true;
    return false;
}

TEST(iamstore_docs)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "iamstore", &st))
        return;
    put(st, IAM_KIND_USER, "Bob", "{\"UserName\":\"Bob\",\"UserId\":\"AIDAX\",\"Arn\":\"arn:u\"}");
    json_t *o = NULL;
    CHECK_EQ_INT(iam_doc_get(st, IAM_KIND_USER, ACCT, "BOB", &o), 0); /* any case */
    CHECK_EQ_STR(json_string_value(json_object_get(o, "UserName")), "Bob");
    json_decref(o);
    CHECK_EQ_INT(iam_doc_get(st, IAM_KIND_USER, "222222222222", "bob", &o), -ENOENT);
    CHECK_EQ_INT(iam_doc_get(st, IAM_KIND_ROLE, ACCT, "bob", &o), -ENOENT);
    struct iam_user_ids ids;
    CHECK_EQ_INT(iam_user_ids(st, ACCT, "bob", &ids), 0);
    CHECK_EQ_STR(ids.user_id, "AIDAX");
    CHECK_EQ_STR(ids.arn, "arn:u");
    CHECK_EQ_INT(iam_user_ids(st, ACCT, "carol", &ids), -ENOENT);
    put(st, IAM_KIND_USER, "alice", "{\"UserName\":\"alice\"}");
    json_t *all = NULL;
    CHECK_EQ_INT(iam_doc_list(st, IAM_KIND_USER, ACCT, &all), 0);
    CHECK_EQ_INT(json_array_size(all), 2);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(all, 0), "UserName")), "alice");
    json_decref(all);
    put(st, IAM_KIND_USER, "bob", NULL); /* delete */
    CHECK_EQ_INT(iam_doc_get(st, IAM_KIND_USER, ACCT, "bob", &o), -ENOENT);
    /* A name no entity can have is "not found", never a store error. */
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK_EQ_INT(iam_doc_get(st, IAM_KIND_USER, ACCT, longname, &o), -ENOENT);
    CHECK_EQ_INT(iam_doc_get(st, IAM_KIND_USER, ACCT, "", &o), -ENOENT);
    unit_store_close(dir, st);
}

#define DOC_A "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}"
#define DOC_B "{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"s3:Put*\",\"Resource\":\"*\"}]}"
#define DOC_M "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iam:*\",\"Resource\":\"*\"}]}"
#define DOC_R "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:*\",\"Resource\":\"*\"}]}"
#define ARN_M "arn:aws:iam::" ACCT ":policy/team/m1"

TEST(iamstore_identity_policies)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "iampol", &st))
        return;
    put(st, IAM_KIND_POLICY, "m1",
        "{\"PolicyName\":\"m1\",\"Arn\":\"" ARN_M "\",\"Document\":"
        "\""
        "{\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\",\\\"Action\\\":\\\"iam:*\\\","
        "\\\"Resource\\\":\\\"*\\\"}]}"
        "\"}");
    /* bob: two inline documents, one managed policy, one attachment naming a policy that is not
     * there (another path: a different ARN), which adds nothing. */
    json_t *u = json_pack("{s:s, s:{s:s, s:s}, s:[s, s]}", "UserName", "bob", "Policies", "a",
                          DOC_A, "b", DOC_B, "Attached", ARN_M, "arn:aws:iam::" ACCT ":policy/m1");
    char *us = json_dumps(u, JSON_COMPACT);
    json_decref(u);
    put(st, IAM_KIND_USER, "bob", us);
    free(us);
    json_t *ro =
        json_pack("{s:s, s:{s:s}, s:[]}", "RoleName", "r1", "Policies", "p", DOC_R, "Attached");
    char *rs = json_dumps(ro, JSON_COMPACT);
    json_decref(ro);
    put(st, IAM_KIND_ROLE, "r1", rs);
    free(rs);

    struct principal p;
    memset(&p, 0, sizeof p);
    snprintf(p.account_id, sizeof p.account_id, ACCT);
    char **v;
    size_t n;

    p.type = PRINCIPAL_IAM_USER;
    snprintf(p.user_name, sizeof p.user_name, "bob");
    CHECK_EQ_INT(iam_identity_policies(st, &p, &v, &n), 0);
    CHECK_EQ_INT(n, 3);
    CHECK(has_doc(v, n, DOC_A) && has_doc(v, n, DOC_B) && has_doc(v, n, DOC_M));
    free_docs(v, n);

    /* A role session: the role's; a federated user issued by bob: bob's. */
    memset(p.user_name, 0, sizeof p.user_name);
    p.type = PRINCIPAL_ASSUMED_ROLE;
    snprintf(p.issuer_name, sizeof p.issuer_name, "R1");
    CHECK_EQ_INT(iam_identity_policies(st, &p, &v, &n), 0);
    CHECK_EQ_INT(n, 1);
    CHECK(n == 1 && strcmp(v[0], DOC_R) == 0);
    free_docs(v, n);
    p.type = PRINCIPAL_FEDERATED_USER;
    snprintf(p.issuer_type, sizeof p.issuer_type, "IAMUser");
    snprintf(p.issuer_name, sizeof p.issuer_name, "bob");
    CHECK_EQ_INT(iam_identity_policies(st, &p, &v, &n), 0);
    CHECK_EQ_INT(n, 3);
    free_docs(v, n);
    /* ...issued by root: none. */
    snprintf(p.issuer_type, sizeof p.issuer_type, "Root");
    CHECK_EQ_INT(iam_identity_policies(st, &p, &v, &n), 0);
    CHECK_EQ_INT(n, 0);
    CHECK(v == NULL);

    /* Root, anonymous, a user or role that no longer exists: none. */
    p.type = PRINCIPAL_ROOT;
    CHECK_EQ_INT(iam_identity_policies(st, &p, &v, &n), 0);
    CHECK_EQ_INT(n, 0);
    p.type = PRINCIPAL_ANONYMOUS;
    CHECK_EQ_INT(iam_identity_policies(st, &p, &v, &n), 0);
    CHECK_EQ_INT(n, 0);
    p.type = PRINCIPAL_IAM_USER;
    snprintf(p.user_name, sizeof p.user_name, "gone");
    CHECK_EQ_INT(iam_identity_policies(st, &p, &v, &n), 0);
    CHECK_EQ_INT(n, 0);
    p.type = PRINCIPAL_ASSUMED_ROLE;
    snprintf(p.issuer_name, sizeof p.issuer_name, "gone");
    CHECK_EQ_INT(iam_identity_policies(st, &p, &v, &n), 0);
    CHECK_EQ_INT(n, 0);
    unit_store_close(dir, st);
}

static int apply_session(struct store_txn *t, void *arg)
{
    return sts_txn_session_put(t, arg);
}

static void session(struct sts_session *s, const char *ak, int64_t created, int64_t expires)
{
    memset(s, 0, sizeof *s);
    snprintf(s->access_key, sizeof s->access_key, "%s", ak);
    snprintf(s->secret, sizeof s->secret, "secret-%s", ak);
    snprintf(s->token_sha256, sizeof s->token_sha256, "%064d", 7);
    snprintf(s->account_id, sizeof s->account_id, ACCT);
    snprintf(s->type, sizeof s->type, "AssumedRole");
    snprintf(s->arn, sizeof s->arn, "arn:aws:sts::" ACCT ":assumed-role/r1/s");
    snprintf(s->principal_id, sizeof s->principal_id, "AROAX:s");
    snprintf(s->session_name, sizeof s->session_name, "s");
    snprintf(s->issuer_type, sizeof s->issuer_type, "Role");
    snprintf(s->issuer_name, sizeof s->issuer_name, "r1");
    s->created_ms = created;
    s->expires_ms = expires;
}

TEST(iamstore_sessions)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "stssess", &st))
        return;
    struct sts_session s, g;
    session(&s, "ASIAOLD1", 1000, 2000);
    CHECK_EQ_INT(store_submit_wait(st, apply_session, &s), 0);
    session(&s, "ASIAOLD2", 1000, 2500);
    CHECK_EQ_INT(store_submit_wait(st, apply_session, &s), 0);
    session(&s, "ASIALIVE", 1000, 9000);
    s.policy = "{\"Statement\":[]}";
    CHECK_EQ_INT(store_submit_wait(st, apply_session, &s), 0);
    CHECK_EQ_INT(store_submit_wait(st, apply_session, &s), -EEXIST);

    CHECK_EQ_INT(sts_session_get(st, "ASIALIVE", &g), 0);
    CHECK_EQ_STR(g.secret, "secret-ASIALIVE");
    CHECK_EQ_STR(g.type, "AssumedRole");
    CHECK_EQ_STR(g.principal_id, "AROAX:s");
    CHECK_EQ_STR(g.issuer_name, "r1");
    CHECK_EQ_STR(g.policy, "{\"Statement\":[]}");
    CHECK_EQ_INT(g.expires_ms, 9000);
    sts_session_free(&g);
    CHECK_EQ_INT(sts_session_get(st, "ASIAOLD1", &g), 0);
    CHECK(g.policy == NULL);
    sts_session_free(&g);
    CHECK_EQ_INT(sts_session_get(st, "ASIANONE", &g), -ENOENT);

    /* Issuing at 3000 prunes what expired before 3000, and never the live ones. */
    session(&s, "ASIANEW1", 3000, 4000);
    CHECK_EQ_INT(store_submit_wait(st, apply_session, &s), 0);
    CHECK_EQ_INT(sts_session_get(st, "ASIAOLD1", &g), -ENOENT);
    CHECK_EQ_INT(sts_session_get(st, "ASIAOLD2", &g), -ENOENT);
    CHECK_EQ_INT(sts_session_get(st, "ASIALIVE", &g), 0);
    sts_session_free(&g);
    CHECK_EQ_INT(sts_session_get(st, "ASIANEW1", &g), 0);
    sts_session_free(&g);
    unit_store_close(dir, st);
}

TEST(iamstore_session_prune_bounded)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "stsprune", &st))
        return;
    struct sts_session s, g;
    char ak[21];
    for (int i = 0; i < STS_PRUNE_MAX + 5; i++) {
        snprintf(ak, sizeof ak, "ASIAOLD%04d", i);
        session(&s, ak, 100, 200); /* created at 100: prunes nothing expired before 100 */
        CHECK_EQ_INT(store_submit_wait(st, apply_session, &s), 0);
    }
    session(&s, "ASIANOW", 5000, 9000);
    CHECK_EQ_INT(store_submit_wait(st, apply_session, &s), 0);
    int left = 0;
    for (int i = 0; i < STS_PRUNE_MAX + 5; i++) {
        snprintf(ak, sizeof ak, "ASIAOLD%04d", i);
        if (sts_session_get(st, ak, &g) == 0) {
            left++;
            sts_session_free(&g);
        }
    }
    CHECK_EQ_INT(left, 5); /* one issue removes at most STS_PRUNE_MAX */
    unit_store_close(dir, st);
}

TEST(iamstore_random_ids)
{
    char id[32];
    CHECK_EQ_INT(iam_random_id("AIDA", 17, id, sizeof id), 0);
    CHECK_EQ_INT(strlen(id), 21);
    CHECK(strncmp(id, "AIDA", 4) == 0);
    for (size_t i = 4; i < strlen(id); i++)
        CHECK(isupper((unsigned char)id[i]) || isdigit((unsigned char)id[i]));
    char other[32];
    CHECK_EQ_INT(iam_random_id("AIDA", 17, other, sizeof other), 0);
    CHECK(strcmp(id, other) != 0);
    CHECK_EQ_INT(iam_random_id("ASIA", 16, id, 20), -EINVAL); /* no room for the NUL */
    char secret[41];
    CHECK_EQ_INT(iam_random_secret(40, secret, sizeof secret), 0);
    CHECK_EQ_INT(strlen(secret), 40);
    CHECK_EQ_INT(strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
                 40);
    CHECK_EQ_INT(iam_random_secret(40, secret, 40), -EINVAL);
}
