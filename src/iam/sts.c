/*
 * sts — GetCallerIdentity, AssumeRole, GetSessionToken, GetFederationToken (contract: sts.h).
 *
 * The three credential calls share one writer item (apply_issue): it stores the session built on
 * the request's thread, with fresh keys drawn inside the item, and writes the answer and the
 * record's responseElements (the access key id and expiration, never the secret or the token).
 */
#include "iam/sts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/authz.h"
#include "auth/iampol.h"
#include "http/req.h"
#include "iam/iamstore.h"
#include "iam/qapi.h"
#include "s3/errors.h"
#include "store/store.h"
#include "util/hash.h"

/* GetCallerIdentity needs no permission (AWS: it works even under an explicit deny). UserId and
 * Arn are the principal's as principal.h fills them: the account id and :root for root, the
 * AIDA id and user ARN for an IAM user, "<RoleId>:<session>" and the assumed-role ARN for a role
 * session, "<account>:<name>" and the federated-user ARN for a federated user. */
int sts_get_caller_identity(struct req *r)
{
    const struct principal *w = &r->who;
    int rc = qapi_result_begin(r);
    if (rc)
        return rc;
    struct buf *b = &r->resp_body;
    qapi_x(b, "UserId", w->principal_id);
    qapi_x(b, "Account", w->account_id);
    qapi_x(b, "Arn", w->arn);
    return qapi_result_end(r);
}

/* ---- issuing credentials ----------------------------------------------------------------- */

/* What a credential call decided before the writer item: the session (keys drawn in apply) and
 * the call's particulars for the answer. Kept in a static-size struct on the heap and freed
 * with the request. */
struct issue {
    struct sts_session s;
    size_t packed_pct; /* PackedPolicySize when a Policy was given, else 0 */
    bool has_policy;
};

/* The session policy a federated user gets when the call passed none: AWS gives such a session
 * no permissions. A session policy that allows only what needs no permission (GetCallerIdentity)
 * says exactly that to the evaluator, while a resource policy naming the session still works
 * (an explicit Deny would not). */
static const char FEDERATED_NO_PERMISSIONS[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
    "\"Action\":\"sts:GetCallerIdentity\",\"Resource\":\"*\"}]}";

static void issue_free(void *p)
{
    struct issue *is = p;
    if (!is)
        return;
    sts_session_free(&is->s);
    free(is);
}

/* Which call the item answers is r->op->name. */
static int apply_issue(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct issue *is = r->handler_state;
    struct sts_session *s = &is->s;
    char token[STS_TOKEN_LEN + 1];
    int rc = 0;
    /* A clash with a live key is astronomically unlikely, but costs only a retry. */
    for (int tries = 0; tries < 3; tries++) {
        rc = iam_random_id("ASIA", 16, s->access_key, sizeof s->access_key);
        if (!rc)
            rc = iam_random_secret(40, s->secret, sizeof s->secret);
        if (!rc)
            rc = iam_random_secret(STS_TOKEN_LEN, token, sizeof token);
        if (rc)
            return rc;
        hash_sha256_hex(token, strlen(token), s->token_sha256);
        rc = sts_txn_session_put(t, s);
        if (rc != -EEXIST)
            break;
    }
    if (rc)
        return rc;
    char exp[32];
    qapi_iso_time(s->expires_ms, exp);
    rc = qapi_result_begin(r);
    struct buf *b = &r->resp_body;
    buf_puts(b, "<Credentials>");
    qapi_x(b, "AccessKeyId", s->access_key);
    qapi_x(b, "SecretAccessKey", s->secret);
    qapi_x(b, "SessionToken", token);
    qapi_x(b, "Expiration", exp);
    buf_puts(b, "</Credentials>");
    const char *op = r->op->name;
    bool assume = strcmp(op, "AssumeRole") == 0, fed = strcmp(op, "GetFederationToken") == 0;
    if (assume) {
        buf_puts(b, "<AssumedRoleUser>");
        qapi_x(b, "AssumedRoleId", s->principal_id);
        qapi_x(b, "Arn", s->arn);
        buf_puts(b, "</AssumedRoleUser>");
        if (s->source_identity[0])
            qapi_x(b, "SourceIdentity", s->source_identity);
    } else if (fed) {
        buf_puts(b, "<FederatedUser>");
        qapi_x(b, "FederatedUserId", s->principal_id);
        qapi_x(b, "Arn", s->arn);
        buf_puts(b, "</FederatedUser>");
    }
    if (is->has_policy)
        qapi_xint(b, "PackedPolicySize", (long long)is->packed_pct);
    memset(token, 0, sizeof token);
    if (!rc)
        rc = qapi_result_end(r);
    if (rc)
        return rc;

    /* responseElements as CloudTrail has them, times in the services' Java format. */
    char when[40];
    time_t et = (time_t)(s->expires_ms / 1000);
    struct tm tm;
    gmtime_r(&et, &tm);
    strftime(when, sizeof when, "%b %-d, %Y %-I:%M:%S %p", &tm);
    json_t *o = json_pack("{s:{s:s, s:s}}", "credentials", "accessKeyId", s->access_key,
                          "expiration", when);
    if (o && assume) {
        json_object_set_new(
            o, "assumedRoleUser",
            json_pack("{s:s, s:s}", "assumedRoleId", s->principal_id, "arn", s->arn));
        if (s->source_identity[0])
            json_object_set_new(o, "sourceIdentity", json_string(s->source_identity));
    } else if (o && fed) {
        json_object_set_new(
            o, "federatedUser",
            json_pack("{s:s, s:s}", "federatedUserId", s->principal_id, "arn", s->arn));
    }
    if (o && is->has_policy)
        json_object_set_new(o, "packedPolicySize", json_integer((json_int_t)is->packed_pct));
    return o ? qapi_record_response(r, o) : -ENOMEM;
}

/* Takes over the session, replaces the parameters in handler_state (apply reads only the
 * session) and queues the item. */
static int issue(struct req *r, struct issue *is)
{
    if (r->handler_state_free)
        r->handler_state_free(r->handler_state);
    r->handler_state = is;
    r->handler_state_free = issue_free;
    return req_commit(r, apply_issue, qapi_then);
}

/* Session policy (AssumeRole, GetFederationToken): an identity policy of at most
 * IAMPOL_MAX_SESSION characters; longer is PackedPolicyTooLarge, with the share of the allowance
 * it takes as AWS words it. */
static int session_policy(struct req *r, const char *policy, struct issue *is)
{
    if (!policy)
        return 0;
    size_t len = strlen(policy);
    is->has_policy = true;
    is->packed_pct = (len * 100 + IAMPOL_MAX_SESSION - 1) / IAMPOL_MAX_SESSION;
    if (len > IAMPOL_MAX_SESSION)
        return req_api_error(r, 400, "PackedPolicyTooLarge",
                             "Packed policy consumes %zu%% of allotted space, please use smaller "
                             "policy.",
                             is->packed_pct);
    struct buf why = BUF_INIT;
    int rc = iampol_validate(policy, len, IAMPOL_IDENTITY, &why);
    if (rc == -EINVAL)
        rc = req_api_error(r, 400, "MalformedPolicyDocument", "%s",
                           why.data && why.data[0] ? why.data : "Syntax errors in policy.");
    else if (rc)
        rc = qapi_store_error(r, rc);
    buf_free(&why);
    if (!rc && !(is->s.policy = strdup(policy)))
        rc = qapi_store_error(r, -ENOMEM);
    return rc;
}

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static struct issue *issue_new(struct req *r)
{
    struct issue *is = calloc(1, sizeof *is);
    if (!is) {
        qapi_store_error(r, -ENOMEM);
        return NULL;
    }
    copy(is->s.account_id, sizeof is->s.account_id, r->who.account_id);
    is->s.created_ms = store_now_ms();
    return is;
}

/* ---- AssumeRole -------------------------------------------------------------------------- */

/* Condition keys of the trust evaluation. */
struct trust_ctx {
    const struct req *r;
    const char *external_id, *session_name, *source_identity;
};

static size_t trust_key(void *arg, const char *name, const char **vals, size_t max)
{
    const struct trust_ctx *c = arg;
    const struct principal *w = &c->r->who;
    const char *v = NULL;
    if (strcasecmp(name, "sts:ExternalId") == 0)
        v = c->external_id;
    else if (strcasecmp(name, "sts:RoleSessionName") == 0)
        v = c->session_name;
    else if (strcasecmp(name, "sts:SourceIdentity") == 0)
        v = c->source_identity;
    else if (strcasecmp(name, "aws:PrincipalAccount") == 0)
        v = w->account_id;
    else if (strcasecmp(name, "aws:PrincipalArn") == 0)
        v = w->type == PRINCIPAL_ASSUMED_ROLE ? w->issuer_arn : w->arn;
    else if (strcasecmp(name, "aws:PrincipalType") == 0)
        v = principal_type_name(w->type);
    else if (strcasecmp(name, "aws:userid") == 0)
        v = w->principal_id;
    else if (strcasecmp(name, "aws:username") == 0)
        v = w->type == PRINCIPAL_IAM_USER ? w->user_name : NULL;
    else if (strcasecmp(name, "aws:SourceIp") == 0)
        v = c->r->source_ip[0] ? c->r->source_ip : NULL;
    else if (strcasecmp(name, "aws:SecureTransport") == 0)
        v = c->r->tls_cipher ? "true" : "false";
    if (!v || !*v)
        return 0;
    if (max)
        vals[0] = v;
    return 1;
}

static int assume_denied(struct req *r, const char *role_arn)
{
    return req_errorf(r, S3E_AccessDenied,
                      "User: %s is not authorized to perform: sts:AssumeRole on "
                      "resource: %s",
                      r->who.arn, role_arn);
}

/* arn:aws:iam::<12 digits>:role/<path/>name -> account and name. */
static bool parse_role_arn(const char *arn, char acct[13], const char **name)
{
    static const char pfx[] = "arn:aws:iam::";
    size_t pl = sizeof pfx - 1;
    if (strncmp(arn, pfx, pl) != 0 || strspn(arn + pl, "0123456789") != 12 ||
        strncmp(arn + pl + 12, ":role/", 6) != 0)
        return false;
    const char *slash = strrchr(arn, '/');
    if (!slash[1])
        return false;
    memcpy(acct, arn + pl, 12);
    acct[12] = '\0';
    *name = slash + 1;
    return true;
}

int sts_assume_role(struct req *r)
{
    static const char *const unsupported[] = {
        "PolicyArns",       "Tags", "TransitiveTagKeys", "SerialNumber", "TokenCode",
        "ProvidedContexts", NULL};
    const char *role_arn, *sname, *source, *policy, *external;
    long long duration = 3600;
    bool has_duration;
    int rc = qapi_str(r, "RoleArn", "roleArn", true, 20, 2048, QC_ANY, &role_arn);
    if (!rc)
        rc = qapi_str(r, "RoleSessionName", "roleSessionName", true, 2, 64, QC_NAME, &sname);
    if (!rc)
        rc =
            qapi_int(r, "DurationSeconds", "durationSeconds", 900, 43200, &has_duration, &duration);
    if (!rc)
        rc = qapi_str(r, "SourceIdentity", "sourceIdentity", false, 2, 64, QC_NAME, &source);
    if (!rc)
        rc = qapi_str(r, "Policy", "policy", false, 1, 0, QC_DOCUMENT, &policy);
    if (!rc)
        rc = qapi_str(r, "ExternalId", "externalId", false, 2, 1224, QC_ANY, &external);
    if (!rc)
        rc = qapi_refuse_unsupported(r, unsupported);
    if (rc)
        return rc;
    const struct principal *w = &r->who;
    char acct[13];
    const char *role_name;
    if (!parse_role_arn(role_arn, acct, &role_name))
        return req_api_error(r, 400, "ValidationError", "%s is invalid", role_arn);
    /* AWS refuses role assumption by an account's root outright, and by federated users (their
     * credentials call no STS action but GetCallerIdentity). */
    if (w->type == PRINCIPAL_ROOT)
        return req_error(r, S3E_AccessDenied, "Roles may not be assumed by root accounts.");
    if (w->type == PRINCIPAL_FEDERATED_USER)
        return assume_denied(r, role_arn);
    /* A session's source identity sticks to every session chained from it. */
    if (w->source_identity[0]) {
        if (source && strcmp(source, w->source_identity) != 0)
            return assume_denied(r, role_arn);
        source = w->source_identity;
    }

    /* The session policy is judged on its own, before the role: its faults are the caller's
     * whatever the role says. */
    struct issue *is = issue_new(r);
    if (!is)
        return -ENOMEM;
    if ((rc = session_policy(r, policy, is))) {
        issue_free(is);
        return rc;
    }
    json_t *role = NULL;
    rc = iam_doc_get(r->st, IAM_KIND_ROLE, acct, role_name, &role);
    if (rc && rc != -ENOENT) {
        issue_free(is);
        return qapi_store_error(r, rc);
    }
    /* A role that does not exist is refused like one that does not trust the caller. */
    const char *stored_arn = role ? json_string_value(json_object_get(role, "Arn")) : NULL;
    const char *trust =
        role ? json_string_value(json_object_get(role, "AssumeRolePolicyDocument")) : NULL;
    if (!stored_arn || !trust || strcmp(stored_arn, role_arn) != 0) {
        json_decref(role);
        issue_free(is);
        return assume_denied(r, role_arn);
    }
    struct trust_ctx tc = {
        .r = r, .external_id = external, .session_name = sname, .source_identity = source};
    struct iampol_request q = {.action = "sts:AssumeRole",
                               .resource = role_arn,
                               .who = w,
                               .key = trust_key,
                               .key_arg = &tc};
    int verdict = iampol_eval(trust, IAMPOL_TRUST, &q);
    if (verdict < 0) {
        json_decref(role);
        issue_free(is);
        return qapi_store_error(r, verdict);
    }
    /* ALLOW_ACCOUNT: the trust names the caller's account and leaves the decision to its
     * identity policies, which are asked next in every case anyway. */
    bool trusted = verdict == IAMPOL_ALLOW || verdict == IAMPOL_ALLOW_ACCOUNT;
    /* Both sides must allow; either refusal reads the same, so the answer does not tell which
     * side said no. */
    if (trusted)
        rc = authz_identity_only(r, "sts:AssumeRole", role_arn);
    if (!trusted || rc) {
        json_decref(role);
        issue_free(is);
        return assume_denied(r, role_arn);
    }
    long long max = json_integer_value(json_object_get(role, "MaxSessionDuration"));
    if (w->type == PRINCIPAL_ASSUMED_ROLE && duration > 3600)
        rc = req_api_error(r, 400, "ValidationError",
                           "The requested DurationSeconds exceeds the 1 hour session limit for "
                           "roles assumed by role chaining.");
    else if (duration > (max ? max : 3600))
        rc = req_api_error(r, 400, "ValidationError",
                           "The requested DurationSeconds exceeds the MaxSessionDuration set for "
                           "this role.");
    if (!rc) {
        struct sts_session *s = &is->s;
        const char *role_id = json_string_value(json_object_get(role, "RoleId"));
        const char *rname = json_string_value(json_object_get(role, "RoleName"));
        copy(s->account_id, sizeof s->account_id, acct);
        copy(s->type, sizeof s->type, "AssumedRole");
        copy(s->unique_id, sizeof s->unique_id, role_id);
        snprintf(s->arn, sizeof s->arn, "arn:aws:sts::%s:assumed-role/%s/%s", acct, rname, sname);
        snprintf(s->principal_id, sizeof s->principal_id, "%s:%s", role_id, sname);
        copy(s->session_name, sizeof s->session_name, sname);
        copy(s->source_identity, sizeof s->source_identity, source);
        copy(s->issuer_type, sizeof s->issuer_type, "Role");
        copy(s->issuer_principal_id, sizeof s->issuer_principal_id, role_id);
        copy(s->issuer_arn, sizeof s->issuer_arn, stored_arn);
        copy(s->issuer_name, sizeof s->issuer_name, rname);
        s->expires_ms = s->created_ms + duration * 1000;
    }
    json_decref(role);
    if (rc) {
        issue_free(is);
        return rc;
    }
    return issue(r, is);
}

/* ---- GetSessionToken, GetFederationToken --------------------------------------------------- */

/* Only long-term credentials of an IAM user or root may ask (AWS: session credentials cannot
 * call these). */
static int long_term_caller(struct req *r)
{
    const struct principal *w = &r->who;
    if ((w->type == PRINCIPAL_IAM_USER || w->type == PRINCIPAL_ROOT) && !w->session)
        return 0;
    return req_errorf(r, S3E_AccessDenied, "Cannot call %s with session credentials", r->op->name);
}

/* Root's sessions last at most an hour (AWS shortens longer requests rather than refusing). */
static long long clamp_root(const struct req *r, long long d)
{
    return r->who.type == PRINCIPAL_ROOT && d > 3600 ? 3600 : d;
}

int sts_get_session_token(struct req *r)
{
    static const char *const unsupported[] = {"SerialNumber", "TokenCode", NULL};
    long long duration = 43200;
    bool has;
    int rc = qapi_int(r, "DurationSeconds", "durationSeconds", 900, 129600, &has, &duration);
    if (!rc)
        rc = qapi_refuse_unsupported(r, unsupported);
    if (!rc)
        rc = long_term_caller(r);
    if (rc)
        return rc;
    const struct principal *w = &r->who;
    struct issue *is = issue_new(r);
    if (!is)
        return -ENOMEM;
    struct sts_session *s = &is->s;
    copy(s->type, sizeof s->type, principal_type_name(w->type));
    copy(s->user_name, sizeof s->user_name, w->user_name);
    copy(s->unique_id, sizeof s->unique_id, w->unique_id);
    copy(s->arn, sizeof s->arn, w->arn);
    copy(s->principal_id, sizeof s->principal_id, w->principal_id);
    s->expires_ms = s->created_ms + clamp_root(r, duration) * 1000;
    return issue(r, is);
}

int sts_get_federation_token(struct req *r)
{
    static const char *const unsupported[] = {"PolicyArns", "Tags", NULL};
    const char *name, *policy;
    long long duration = 43200;
    bool has;
    int rc = qapi_str(r, "Name", "name", true, 2, 32, QC_NAME, &name);
    if (!rc)
        rc = qapi_str(r, "Policy", "policy", false, 1, 0, QC_DOCUMENT, &policy);
    if (!rc)
        rc = qapi_int(r, "DurationSeconds", "durationSeconds", 900, 129600, &has, &duration);
    if (!rc)
        rc = qapi_refuse_unsupported(r, unsupported);
    if (!rc)
        rc = long_term_caller(r);
    if (rc)
        return rc;
    const struct principal *w = &r->who;
    char arn[320];
    snprintf(arn, sizeof arn, "arn:aws:sts::%s:federated-user/%s", w->account_id, name);
    if ((rc = authz_identity_only(r, "sts:GetFederationToken", arn)))
        return rc;
    struct issue *is = issue_new(r);
    if (!is)
        return -ENOMEM;
    rc = session_policy(r, policy, is);
    if (!rc && !policy && !(is->s.policy = strdup(FEDERATED_NO_PERMISSIONS)))
        rc = qapi_store_error(r, -ENOMEM);
    if (rc) {
        issue_free(is);
        return rc;
    }
    struct sts_session *s = &is->s;
    copy(s->type, sizeof s->type, "FederatedUser");
    copy(s->arn, sizeof s->arn, arn);
    snprintf(s->principal_id, sizeof s->principal_id, "%s:%s", w->account_id, name);
    copy(s->session_name, sizeof s->session_name, name);
    copy(s->issuer_type, sizeof s->issuer_type, principal_type_name(w->type));
    copy(s->issuer_principal_id, sizeof s->issuer_principal_id, w->principal_id);
    copy(s->issuer_arn, sizeof s->issuer_arn, w->arn);
    copy(s->issuer_name, sizeof s->issuer_name, w->user_name);
    s->expires_ms = s->created_ms + clamp_root(r, duration) * 1000;
    return issue(r, is);
}
