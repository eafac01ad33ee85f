/*
 * iamstore — IAM users, roles, managed policies and STS sessions in the store.
 *
 * Everything lives in the account documents table (store.h "account documents"), one JSON
 * document per entity, so an entity is read or replaced in one row and a check-then-write (a
 * DeleteUser that must find no policies) runs inside one store_txn_* sequence on the writer:
 *
 *   kind "iam.user"    account, name = lower-case UserName (IAM names are unique regardless of
 *                      case): {"UserName","UserId","Path","Arn","CreateDate": ms,
 *                      "Policies": {"<inline name>": "<document>", ...},
 *                      "Attached": ["<managed policy ARN>", ...]}
 *   kind "iam.role"    name = lower-case RoleName: {"RoleName","RoleId","Path","Arn","CreateDate",
 *                      "AssumeRolePolicyDocument","Description","MaxSessionDuration",
 *                      "Policies": {...}, "Attached": [...]}
 *   kind "iam.policy"  name = lower-case PolicyName (unique in the account whatever the path):
 *                      {"PolicyName","PolicyId","Arn","Path","Description","Document",
 *                      "CreateDate","UpdateDate","AttachmentCount"}
 *   kind "sts.session" account "" (authn knows only the key), name = the ASIA access key id:
 *                      see struct sts_session; "ExpiresMs" is what the prune reads.
 *
 * IAM user access keys are rows of the access_keys table (user_name set), like root keys.
 *
 * Documents are written only by iam.c / sts.c through the functions below, which keep the
 * invariants: an Attached ARN names an existing policy of the account, whose AttachmentCount
 * counts the users and roles naming it; Policies values and Document are validated policy texts.
 */
#ifndef S3TRAIL_IAMSTORE_H
#define S3TRAIL_IAMSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct store;
struct store_txn;
struct principal;

#define IAM_KIND_USER "iam.user"
#define IAM_KIND_ROLE "iam.role"
#define IAM_KIND_POLICY "iam.policy"
#define STS_KIND_SESSION "sts.session"

/* Every identity-policy document that applies to the principal, for authorization: an IAM
 * user's inline and attached managed policies; an AssumedRole session's role's; a
 * FederatedUser's issuing IAM user's (none when root issued it); none for root, anonymous and
 * service principals, and none when the user or role no longer exists (its sessions then have no
 * permissions). Session policies are not included (r->session_policy). *docs is an owned array of
 * *n owned NUL-terminated strings (NULL when *n is 0): free each and the array. 0, or -ENOMEM /
 * the store's -errno (then *docs is NULL and *n 0). Reads one snapshot per document. */
int iam_identity_policies(struct store *st, const struct principal *p, char ***docs, size_t *n)
    __attribute__((warn_unused_result));

/* ---- entity documents --------------------------------------------------------------------
 *
 * kind is one of IAM_KIND_*; name as the caller spells it (the key is its lower-case form).
 * get: *out is a new reference (json_decref), -ENOENT when absent, -EIO when the stored text is
 * not a JSON object. put: stores obj (not consumed); obj NULL deletes. */
int iam_doc_get(struct store *st, const char *kind, const char *account, const char *name,
                json_t **out) __attribute__((warn_unused_result));
int iam_txn_doc_get(struct store_txn *t, const char *kind, const char *account, const char *name,
                    json_t **out) __attribute__((warn_unused_result));
int iam_txn_doc_put(struct store_txn *t, const char *kind, const char *account, const char *name,
                    const json_t *obj) __attribute__((warn_unused_result));
/* Every document of a kind of one account, ordered by their lower-case names: *out is a new
 * JSON array of objects (json_decref). */
int iam_doc_list(struct store *st, const char *kind, const char *account, json_t **out)
    __attribute__((warn_unused_result));

/* The IAM user's id (AIDA...), ARN (with its path) for authn, from its document. 0, -ENOENT. */
struct iam_user_ids {
    char user_id[32];
    char arn[320];
};
int iam_user_ids(struct store *st, const char *account, const char *user_name,
                 struct iam_user_ids *out) __attribute__((warn_unused_result));

/* ---- STS sessions ------------------------------------------------------------------------ */

/* Everything authn needs to rebuild the principal of temporary credentials (principal.h). The
 * session token is kept only as its SHA-256 (hex): the store never holds a usable token. */
struct sts_session {
    char access_key[21]; /* ASIA + 16 */
    char secret[41];
    char token_sha256[65];
    char account_id[13];
    char type[16];       /* "AssumedRole", "FederatedUser", "IAMUser", "Root" */
    char user_name[129]; /* IAMUser: the user */
    char unique_id[32];  /* IAMUser: AIDA id; AssumedRole: role id */
    char arn[320];
    char principal_id[160];
    char session_name[65];
    char source_identity[65];
    char issuer_type[16];
    char issuer_principal_id[160];
    char issuer_arn[320];
    char issuer_name[129];
    char *policy; /* owned session policy text, NULL when none */
    int64_t created_ms;
    int64_t expires_ms;
};
void sts_session_free(struct sts_session *s);

/* Reads the session of an ASIA key: 0, -ENOENT (never issued, or pruned), -EIO (a document that
 * is not a session), -ENOMEM. Expiry is the caller's to check. */
int sts_session_get(struct store *st, const char *access_key, struct sts_session *out)
    __attribute__((warn_unused_result));
/* Stores a new session (-EEXIST if the key is taken), then prunes at most STS_PRUNE_MAX sessions
 * that expired before s->created_ms, so the table stays bounded by the live sessions plus the
 * issue rate without a sweeper thread. */
#define STS_PRUNE_MAX 16
int sts_txn_session_put(struct store_txn *t, const struct sts_session *s)
    __attribute__((warn_unused_result));

/* Random identifiers as IAM makes them: prefix + `n` characters of [A-Z0-9] (unique ids: AIDA,
 * AROA, ANPA + 17; access keys AKIA / ASIA + 16), written NUL-terminated into out (cap bytes).
 * -EINVAL when it does not fit, -EIO when the random source fails. */
int iam_random_id(const char *prefix, size_t n, char *out, size_t cap)
    __attribute__((warn_unused_result));
/* n random characters of [A-Za-z0-9+/] (secret access keys: 40; session tokens). */
int iam_random_secret(size_t n, char *out, size_t cap) __attribute__((warn_unused_result));

#endif
