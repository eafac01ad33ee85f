/*
 * qapi — the Query protocol's operation tables, routing, parameters and answers (qapi.h).
 *
 * Source of the rows: botocore's models (botocore 1.43, iam/2010-05-08: 176 operations,
 * sts/2011-06-15: 11). The IAM action is <svc>:<Action>, the CloudTrail eventName the Action,
 * every call a management event. readOnly: IAM's Get*, List* and Simulate*; STS calls that only
 * issue credentials or describe the caller (AssumeRole*, GetSessionToken, GetFederationToken,
 * GetCallerIdentity, GetAccessKeyInfo, DecodeAuthorizationMessage) are recorded readOnly true by
 * CloudTrail: they change nothing in the account.
 */
#include "iam/qapi.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/req.h"
#include "iam/iam.h"
#include "iam/sts.h"
#include "s3/errors.h"
#include "util/buf.h"
#include "util/uri.h"

/* clang-format off */
#define IAM_OP(op, ro, h)                                                                          \
    {                                                                                              \
        #op, "POST", SHAPE_SERVICE, NULL, NULL, "iam:" #op, #op, QAPI_IAM_SOURCE,                  \
            CAT_MANAGEMENT, ro, RES_NONE, BODY_XML, 0, h, NULL                                     \
    }
#define STS_OP(op, ro, h)                                                                          \
    {                                                                                              \
        #op, "POST", SHAPE_SERVICE, NULL, NULL, "sts:" #op, #op, QAPI_STS_SOURCE,                  \
            CAT_MANAGEMENT, ro, RES_NONE, BODY_XML, 0, h, NULL                                     \
    }
/* clang-format on */

const struct s3_op iam_ops[] = {
    /* clang-format off */
    IAM_OP(AcceptDelegationRequest, false, NULL),
    IAM_OP(AddClientIDToOpenIDConnectProvider, false, NULL),
    IAM_OP(AddRoleToInstanceProfile, false, NULL),
    IAM_OP(AddUserToGroup, false, NULL),
    IAM_OP(AssociateDelegationRequest, false, NULL),
    IAM_OP(AttachGroupPolicy, false, NULL),
    IAM_OP(AttachRolePolicy, false, iam_attach_role_policy),
    IAM_OP(AttachUserPolicy, false, iam_attach_user_policy),
    IAM_OP(ChangePassword, false, NULL),
    IAM_OP(CreateAccessKey, false, iam_create_access_key),
    IAM_OP(CreateAccountAlias, false, NULL),
    IAM_OP(CreateDelegationRequest, false, NULL),
    IAM_OP(CreateGroup, false, NULL),
    IAM_OP(CreateInstanceProfile, false, NULL),
    IAM_OP(CreateLoginProfile, false, NULL),
    IAM_OP(CreateOpenIDConnectProvider, false, NULL),
    IAM_OP(CreatePolicy, false, iam_create_policy),
    IAM_OP(CreatePolicyVersion, false, NULL),
    IAM_OP(CreateRole, false, iam_create_role),
    IAM_OP(CreateSAMLProvider, false, NULL),
    IAM_OP(CreateServiceLinkedRole, false, NULL),
    IAM_OP(CreateServiceSpecificCredential, false, NULL),
    IAM_OP(CreateUser, false, iam_create_user),
    IAM_OP(CreateVirtualMFADevice, false, NULL),
    IAM_OP(DeactivateMFADevice, false, NULL),
    IAM_OP(DeleteAccessKey, false, iam_delete_access_key),
    IAM_OP(DeleteAccountAlias, false, NULL),
    IAM_OP(DeleteAccountPasswordPolicy, false, NULL),
    IAM_OP(DeleteGroup, false, NULL),
    IAM_OP(DeleteGroupPolicy, false, NULL),
    IAM_OP(DeleteInstanceProfile, false, NULL),
    IAM_OP(DeleteLoginProfile, false, NULL),
    IAM_OP(DeleteOpenIDConnectProvider, false, NULL),
    IAM_OP(DeletePolicy, false, iam_delete_policy),
    IAM_OP(DeletePolicyVersion, false, NULL),
    IAM_OP(DeleteRole, false, iam_delete_role),
    IAM_OP(DeleteRolePermissionsBoundary, false, NULL),
    IAM_OP(DeleteRolePolicy, false, iam_delete_role_policy),
    IAM_OP(DeleteSAMLProvider, false, NULL),
    IAM_OP(DeleteSSHPublicKey, false, NULL),
    IAM_OP(DeleteServerCertificate, false, NULL),
    IAM_OP(DeleteServiceLinkedRole, false, NULL),
    IAM_OP(DeleteServiceSpecificCredential, false, NULL),
    IAM_OP(DeleteSigningCertificate, false, NULL),
    IAM_OP(DeleteUser, false, iam_delete_user),
    IAM_OP(DeleteUserPermissionsBoundary, false, NULL),
    IAM_OP(DeleteUserPolicy, false, iam_delete_user_policy),
    IAM_OP(DeleteVirtualMFADevice, false, NULL),
    IAM_OP(DetachGroupPolicy, false, NULL),
    IAM_OP(DetachRolePolicy, false, iam_detach_role_policy),
    IAM_OP(DetachUserPolicy, false, iam_detach_user_policy),
    IAM_OP(DisableOrganizationsRootCredentialsManagement, false, NULL),
    IAM_OP(DisableOrganizationsRootSessions, false, NULL),
    IAM_OP(DisableOutboundWebIdentityFederation, false, NULL),
    IAM_OP(EnableMFADevice, false, NULL),
    IAM_OP(EnableOrganizationsRootCredentialsManagement, false, NULL),
    IAM_OP(EnableOrganizationsRootSessions, false, NULL),
    IAM_OP(EnableOutboundWebIdentityFederation, false, NULL),
    IAM_OP(GenerateCredentialReport, false, NULL),
    IAM_OP(GenerateOrganizationsAccessReport, false, NULL),
    IAM_OP(GenerateServiceLastAccessedDetails, false, NULL),
    IAM_OP(GetAccessKeyLastUsed, true, NULL),
    IAM_OP(GetAccountAuthorizationDetails, true, NULL),
    IAM_OP(GetAccountPasswordPolicy, true, NULL),
    IAM_OP(GetAccountSummary, true, NULL),
    IAM_OP(GetContextKeysForCustomPolicy, true, NULL),
    IAM_OP(GetContextKeysForPrincipalPolicy, true, NULL),
    IAM_OP(GetCredentialReport, true, NULL),
    IAM_OP(GetDelegationRequest, true, NULL),
    IAM_OP(GetGroup, true, NULL),
    IAM_OP(GetGroupPolicy, true, NULL),
    IAM_OP(GetHumanReadableSummary, true, NULL),
    IAM_OP(GetInstanceProfile, true, NULL),
    IAM_OP(GetLoginProfile, true, NULL),
    IAM_OP(GetMFADevice, true, NULL),
    IAM_OP(GetOpenIDConnectProvider, true, NULL),
    IAM_OP(GetOrganizationsAccessReport, true, NULL),
    IAM_OP(GetOutboundWebIdentityFederationInfo, true, NULL),
    IAM_OP(GetPolicy, true, iam_get_policy),
    IAM_OP(GetPolicyVersion, true, NULL),
    IAM_OP(GetRole, true, iam_get_role),
    IAM_OP(GetRolePolicy, true, iam_get_role_policy),
    IAM_OP(GetSAMLProvider, true, NULL),
    IAM_OP(GetSSHPublicKey, true, NULL),
    IAM_OP(GetServerCertificate, true, NULL),
    IAM_OP(GetServiceLastAccessedDetails, true, NULL),
    IAM_OP(GetServiceLastAccessedDetailsWithEntities, true, NULL),
    IAM_OP(GetServiceLinkedRoleDeletionStatus, true, NULL),
    IAM_OP(GetUser, true, iam_get_user),
    IAM_OP(GetUserPolicy, true, iam_get_user_policy),
    IAM_OP(ListAccessKeys, true, iam_list_access_keys),
    IAM_OP(ListAccountAliases, true, NULL),
    IAM_OP(ListAttachedGroupPolicies, true, NULL),
    IAM_OP(ListAttachedRolePolicies, true, iam_list_attached_role_policies),
    IAM_OP(ListAttachedUserPolicies, true, iam_list_attached_user_policies),
    IAM_OP(ListDelegationRequests, true, NULL),
    IAM_OP(ListEntitiesForPolicy, true, NULL),
    IAM_OP(ListGroupPolicies, true, NULL),
    IAM_OP(ListGroups, true, NULL),
    IAM_OP(ListGroupsForUser, true, NULL),
    IAM_OP(ListInstanceProfileTags, true, NULL),
    IAM_OP(ListInstanceProfiles, true, NULL),
    IAM_OP(ListInstanceProfilesForRole, true, NULL),
    IAM_OP(ListMFADeviceTags, true, NULL),
    IAM_OP(ListMFADevices, true, NULL),
    IAM_OP(ListOpenIDConnectProviderTags, true, NULL),
    IAM_OP(ListOpenIDConnectProviders, true, NULL),
    IAM_OP(ListOrganizationsFeatures, true, NULL),
    IAM_OP(ListPolicies, true, iam_list_policies),
    IAM_OP(ListPoliciesGrantingServiceAccess, true, NULL),
    IAM_OP(ListPolicyTags, true, NULL),
    IAM_OP(ListPolicyVersions, true, NULL),
    IAM_OP(ListRolePolicies, true, iam_list_role_policies),
    IAM_OP(ListRoleTags, true, NULL),
    IAM_OP(ListRoles, true, iam_list_roles),
    IAM_OP(ListSAMLProviderTags, true, NULL),
    IAM_OP(ListSAMLProviders, true, NULL),
    IAM_OP(ListSSHPublicKeys, true, NULL),
    IAM_OP(ListServerCertificateTags, true, NULL),
    IAM_OP(ListServerCertificates, true, NULL),
    IAM_OP(ListServiceSpecificCredentials, true, NULL),
    IAM_OP(ListSigningCertificates, true, NULL),
    IAM_OP(ListUserPolicies, true, iam_list_user_policies),
    IAM_OP(ListUserTags, true, NULL),
    IAM_OP(ListUsers, true, iam_list_users),
    IAM_OP(ListVirtualMFADevices, true, NULL),
    IAM_OP(PutGroupPolicy, false, NULL),
    IAM_OP(PutRolePermissionsBoundary, false, NULL),
    IAM_OP(PutRolePolicy, false, iam_put_role_policy),
    IAM_OP(PutUserPermissionsBoundary, false, NULL),
    IAM_OP(PutUserPolicy, false, iam_put_user_policy),
    IAM_OP(RejectDelegationRequest, false, NULL),
    IAM_OP(RemoveClientIDFromOpenIDConnectProvider, false, NULL),
    IAM_OP(RemoveRoleFromInstanceProfile, false, NULL),
    IAM_OP(RemoveUserFromGroup, false, NULL),
    IAM_OP(ResetServiceSpecificCredential, false, NULL),
    IAM_OP(ResyncMFADevice, false, NULL),
    IAM_OP(SendDelegationToken, false, NULL),
    IAM_OP(SetDefaultPolicyVersion, false, NULL),
    IAM_OP(SetSecurityTokenServicePreferences, false, NULL),
    IAM_OP(SimulateCustomPolicy, true, NULL),
    IAM_OP(SimulatePrincipalPolicy, true, NULL),
    IAM_OP(TagInstanceProfile, false, NULL),
    IAM_OP(TagMFADevice, false, NULL),
    IAM_OP(TagOpenIDConnectProvider, false, NULL),
    IAM_OP(TagPolicy, false, NULL),
    IAM_OP(TagRole, false, NULL),
    IAM_OP(TagSAMLProvider, false, NULL),
    IAM_OP(TagServerCertificate, false, NULL),
    IAM_OP(TagUser, false, NULL),
    IAM_OP(UntagInstanceProfile, false, NULL),
    IAM_OP(UntagMFADevice, false, NULL),
    IAM_OP(UntagOpenIDConnectProvider, false, NULL),
    IAM_OP(UntagPolicy, false, NULL),
    IAM_OP(UntagRole, false, NULL),
    IAM_OP(UntagSAMLProvider, false, NULL),
    IAM_OP(UntagServerCertificate, false, NULL),
    IAM_OP(UntagUser, false, NULL),
    IAM_OP(UpdateAccessKey, false, iam_update_access_key),
    IAM_OP(UpdateAccountPasswordPolicy, false, NULL),
    IAM_OP(UpdateAssumeRolePolicy, false, NULL),
    IAM_OP(UpdateDelegationRequest, false, NULL),
    IAM_OP(UpdateGroup, false, NULL),
    IAM_OP(UpdateLoginProfile, false, NULL),
    IAM_OP(UpdateOpenIDConnectProviderThumbprint, false, NULL),
    IAM_OP(UpdateRole, false, NULL),
    IAM_OP(UpdateRoleDescription, false, NULL),
    IAM_OP(UpdateSAMLProvider, false, NULL),
    IAM_OP(UpdateSSHPublicKey, false, NULL),
    IAM_OP(UpdateServerCertificate, false, NULL),
    IAM_OP(UpdateServiceSpecificCredential, false, NULL),
    IAM_OP(UpdateSigningCertificate, false, NULL),
    IAM_OP(UpdateUser, false, NULL),
    IAM_OP(UploadSSHPublicKey, false, NULL),
    IAM_OP(UploadServerCertificate, false, NULL),
    IAM_OP(UploadSigningCertificate, false, NULL),
    /* clang-format on */
};
const struct s3_op sts_ops[] = {
    /* clang-format off */
    STS_OP(AssumeRole, true, sts_assume_role),
    STS_OP(AssumeRoleWithSAML, true, NULL),
    STS_OP(AssumeRoleWithWebIdentity, true, NULL),
    STS_OP(AssumeRoot, true, NULL),
    STS_OP(DecodeAuthorizationMessage, true, NULL),
    STS_OP(GetAccessKeyInfo, true, NULL),
    STS_OP(GetCallerIdentity, true, sts_get_caller_identity),
    STS_OP(GetDelegatedAccessToken, false, NULL),
    STS_OP(GetFederationToken, true, sts_get_federation_token),
    STS_OP(GetSessionToken, true, sts_get_session_token),
    STS_OP(GetWebIdentityToken, false, NULL),
    /* clang-format on */
};

const size_t iam_ops_count = sizeof iam_ops / sizeof iam_ops[0];
const size_t sts_ops_count = sizeof sts_ops / sizeof sts_ops[0];

/* The rows before the Action is known: never recorded (routing clears `audited` until
 * qapi_dispatch has found the real row), so their event columns are placeholders. */
const struct s3_op qapi_pending_iam = {
    "IAM",          "POST", SHAPE_SERVICE, NULL,     NULL, "iam:*",       "IAM", QAPI_IAM_SOURCE,
    CAT_MANAGEMENT, true,   RES_NONE,      BODY_XML, 0,    qapi_dispatch, NULL};
const struct s3_op qapi_pending_sts = {
    "STS",          "POST", SHAPE_SERVICE, NULL,     NULL, "sts:*",       "STS", QAPI_STS_SOURCE,
    CAT_MANAGEMENT, true,   RES_NONE,      BODY_XML, 0,    qapi_dispatch, NULL};

bool qapi_is_sts(const struct s3_op *op)
{
    return op && strcmp(op->event_source, QAPI_STS_SOURCE) == 0;
}

const char *qapi_service(const struct s3_op *op)
{
    return qapi_is_sts(op) ? "sts" : "iam";
}

/* ---- recognising a call -------------------------------------------------------------------- */

/* The service of a SigV4 credential "AKID/20261124/us-east-1/iam/aws4_request" into out; "" when
 * there is none. */
static void credential_service(const char *cred, char out[8])
{
    out[0] = '\0';
    if (!cred)
        return;
    const char *p = cred;
    for (int i = 0; i < 3; i++) {
        p = strchr(p, '/');
        if (!p)
            return;
        p++;
    }
    size_t n = strcspn(p, "/");
    if (n < 8) {
        memcpy(out, p, n);
        out[n] = '\0';
    }
}

const struct s3_op *qapi_detect(const struct req *r, bool has_bucket)
{
    if (has_bucket || strcmp(r->raw_path, "/") != 0 || req_header(r, "X-Amz-Target"))
        return NULL;
    if (strcmp(r->method, "POST") == 0) {
        const char *ct = req_header(r, "Content-Type");
        if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
            return NULL;
    } else if (strcmp(r->method, "GET") != 0 || !req_query(r, "Action")) {
        return NULL;
    }
    char svc[8];
    const char *auth = req_header(r, "Authorization");
    const char *cred = auth ? strstr(auth, "Credential=") : NULL;
    if (cred)
        credential_service(cred + 11, svc);
    else
        credential_service(req_query(r, "X-Amz-Credential"), svc);
    return strcmp(svc, "sts") == 0 ? &qapi_pending_sts : &qapi_pending_iam;
}

/* ---- parameters ---------------------------------------------------------------------------- */

struct qapi_params {
    struct query_param *p;
    size_t n;
};

static void params_free(void *arg)
{
    struct qapi_params *s = arg;
    if (!s)
        return;
    uri_query_free(s->p, s->n);
    free(s);
}

static int malformed(struct req *r)
{
    r->audited = false;
    return req_api_error(r, 400, "MalformedQueryString",
                         "The query string or form body is not well formed");
}

/* The form body's and then the query string's parameters, into the request's handler state. */
static int parse_params(struct req *r)
{
    struct qapi_params *s = calloc(1, sizeof *s);
    if (!s)
        return qapi_store_error(r, -ENOMEM);
    r->handler_state = s;
    r->handler_state_free = params_free;
    const struct buf *b = &r->body.mem;
    struct query_param *bp = NULL;
    size_t bn = 0;
    if (b->len) {
        /* The form must be text: a NUL (literal or %00) would cut a value short unseen. */
        if (memchr(b->data, 0, b->len) || strstr(b->data, "%00"))
            return malformed(r);
        if (uri_parse_query(b->data, &bp, &bn))
            return malformed(r);
    }
    size_t total = bn + r->nq;
    s->p = total ? calloc(total, sizeof *s->p) : NULL;
    if (total && !s->p) {
        uri_query_free(bp, bn);
        return qapi_store_error(r, -ENOMEM);
    }
    for (size_t i = 0; i < bn; i++)
        s->p[s->n++] = bp[i]; /* moved: the strings now belong to s */
    free(bp);
    for (size_t i = 0; i < r->nq; i++) {
        char *name = strdup(r->q[i].name), *value = strdup(r->q[i].value);
        if (!name || !value) {
            free(name);
            free(value);
            return qapi_store_error(r, -ENOMEM);
        }
        s->p[s->n++] =
            (struct query_param){.name = name, .value = value, .has_value = r->q[i].has_value};
    }
    for (size_t i = 0; i < s->n; i++)
        if (!buf_utf8_text(s->p[i].name, strlen(s->p[i].name)) ||
            !buf_utf8_text(s->p[i].value, strlen(s->p[i].value)))
            return malformed(r);
    return 0;
}

const char *qapi_param(const struct req *r, const char *name)
{
    const struct qapi_params *s = r->handler_state;
    if (!s || r->handler_state_free != params_free)
        return NULL;
    return uri_query_get(s->p, s->n, name);
}

int qapi_refuse_unsupported(struct req *r, const char *const *names)
{
    const struct qapi_params *s = r->handler_state;
    if (!s || r->handler_state_free != params_free)
        return 0;
    for (; *names; names++) {
        size_t n = strlen(*names);
        for (size_t i = 0; i < s->n; i++) {
            const char *p = s->p[i].name;
            if (strncmp(p, *names, n) == 0 && (p[n] == '\0' || p[n] == '.'))
                return req_api_error(r, 501, "NotImplemented",
                                     "The %s parameter is not supported by this server", *names);
        }
    }
    return 0;
}

/* Decodes one UTF-8 code point at s (valid UTF-8: parse_params checked it); returns its length. */
static size_t utf8_next(const unsigned char *s, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        *cp = ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
        return 2;
    }
    if ((s[0] & 0xF0) == 0xE0) {
        *cp = ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
        return 3;
    }
    *cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
    return 4;
}

static bool name_char(unsigned c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("_+=,.@-", (int)c));
}

static bool polpath_char(unsigned c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr(".,+@=_-", (int)c));
}

static bool matches(const char *v, enum qapi_chars chars)
{
    size_t n = strlen(v);
    switch (chars) {
    case QC_ANY:
        return true;
    case QC_PATH:
        if (n == 1)
            return v[0] == '/';
        if (n < 3 || v[0] != '/' || v[n - 1] != '/')
            return false;
        for (size_t i = 1; i + 1 < n; i++)
            if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7E)
                return false;
        return true;
    case QC_POLPATH:
        if (n == 0 || v[0] != '/' || v[n - 1] != '/')
            return false;
        for (size_t i = 1; i < n; i++) {
            if (v[i] == '/' && v[i - 1] == '/')
                return false;
            if (v[i] != '/' && !polpath_char((unsigned char)v[i]))
                return false;
        }
        return true;
    case QC_PREFIX:
        if (v[0] != '/')
            return false;
        for (size_t i = 1; i < n; i++)
            if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7F)
                return false;
        return true;
    default:
        break;
    }
    for (const unsigned char *p = (const unsigned char *)v; *p;) {
        unsigned c;
        p += utf8_next(p, &c);
        bool ok = chars == QC_NAME ? name_char(c)
                  : chars == QC_ID
                      ? name_char(c) && !strchr("+=,.@-", (int)c)
                      : /* QC_DOCUMENT */ c == 9 || c == 10 || c == 13 || (c >= 0x20 && c <= 0xFF);
        if (!ok)
            return false;
    }
    return true;
}

static const char *pattern_text(enum qapi_chars chars)
{
    switch (chars) {
    case QC_NAME:
        return "[\\w+=,.@-]+";
    case QC_PATH:
        return "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)";
    case QC_POLPATH:
        return "((/[A-Za-z0-9\\.,\\+@=_-]+)*)/";
    case QC_PREFIX:
        return "\\u002F[\\u0021-\\u007F]*";
    case QC_DOCUMENT:
        return "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+";
    case QC_ID:
        return "[\\w]+";
    default:
        return "";
    }
}

/* IAM's wording: "1 validation error detected: Value 'x' at 'userName' failed to satisfy
 * constraint: Member must ...". Documents are not echoed (they may be long). */
static int invalid(struct req *r, const char *value, const char *member, const char *what,
                   const char *detail)
{
    if (!value)
        return req_api_error(r, 400, "ValidationError",
                             "1 validation error detected: Value null at '%s' failed to satisfy "
                             "constraint: Member must not be null",
                             member);
    if (strlen(value) > 256)
        return req_api_error(r, 400, "ValidationError",
                             "1 validation error detected: Value at '%s' failed to satisfy "
                             "constraint: Member must %s%s",
                             member, what, detail);
    return req_api_error(r, 400, "ValidationError",
                         "1 validation error detected: Value '%s' at '%s' failed to satisfy "
                         "constraint: Member must %s%s",
                         value, member, what, detail);
}

int qapi_str(struct req *r, const char *name, const char *member, bool required, size_t min,
             size_t max, enum qapi_chars chars, const char **out)
{
    const char *v = qapi_param(r, name);
    *out = NULL;
    if (!v) {
        if (required)
            return invalid(r, NULL, member, "", "");
        return 0;
    }
    size_t len = 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        len += (*p & 0xC0) != 0x80; /* characters, as the model counts them */
    char detail[64];
    if (len < min) {
        snprintf(detail, sizeof detail, "%zu", min);
        return invalid(r, v, member, "have length greater than or equal to ", detail);
    }
    if (max && len > max) {
        snprintf(detail, sizeof detail, "%zu", max);
        return invalid(r, v, member, "have length less than or equal to ", detail);
    }
    if (len && !matches(v, chars))
        return invalid(r, v, member, "satisfy regular expression pattern: ", pattern_text(chars));
    *out = v;
    return 0;
}

int qapi_int(struct req *r, const char *name, const char *member, long long min, long long max,
             bool *present, long long *out)
{
    const char *v = qapi_param(r, name);
    *present = false;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno)
        return req_api_error(r, 400, "ValidationError",
                             "1 validation error detected: Value '%.64s' at '%s' failed to "
                             "satisfy constraint: Member must be a number",
                             v, member);
    char detail[32];
    if (x < min) {
        snprintf(detail, sizeof detail, "%lld", min);
        return invalid(r, v, member, "have value greater than or equal to ", detail);
    }
    if (x > max) {
        snprintf(detail, sizeof detail, "%lld", max);
        return invalid(r, v, member, "have value less than or equal to ", detail);
    }
    *present = true;
    *out = x;
    return 0;
}

int qapi_bool(struct req *r, const char *name, const char *member, bool *out)
{
    const char *v = qapi_param(r, name);
    if (!v)
        return 0;
    if (strcmp(v, "true") == 0)
        *out = true;
    else if (strcmp(v, "false") == 0)
        *out = false;
    else
        return invalid(r, v, member, "be a boolean", "");
    return 0;
}

/* ---- the record's requestParameters --------------------------------------------------------- */

/* Members the models type as numbers or booleans; every other parameter is a string. */
static const char *const int_params[] = {"DurationSeconds", "MaxSessionDuration", "MaxItems", NULL};
static const char *const bool_params[] = {"OnlyAttached", NULL};

static bool listed(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

/* requestParameters as CloudTrail writes them for IAM and STS: the call's parameters under
 * lowerCamelCase member names ({"userName":"bob"}), policy documents as strings, null when the
 * call has none. Only actions with a handler get here, and none of their inputs is a secret;
 * list members (Tags.member.1.Key) are not rendered, as those actions refuse them. */
static int record_params(struct req *r)
{
    const struct qapi_params *s = r->handler_state;
    json_t *o = json_object();
    if (!o)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; !rc && i < s->n; i++) {
        const char *name = s->p[i].name, *v = s->p[i].value;
        if (!strcmp(name, "Action") || !strcmp(name, "Version") || strchr(name, '.') ||
            !strncmp(name, "X-Amz-", 6) || !name[0])
            continue;
        char key[128];
        snprintf(key, sizeof key, "%s", name);
        key[0] = (char)tolower((unsigned char)key[0]);
        if (json_object_get(o, key))
            continue; /* the first value counts, as qapi_param reads it */
        json_t *val;
        char *end;
        long long n = strtoll(v, &end, 10);
        if (listed(int_params, name) && *v && !*end)
            val = json_integer(n);
        else if (listed(bool_params, name) && (!strcmp(v, "true") || !strcmp(v, "false")))
            val = json_boolean(!strcmp(v, "true"));
        else
            val = json_string(v);
        if (json_object_set_new(o, key, val))
            rc = -ENOMEM;
    }
    if (!rc && json_object_size(o) == 0) {
        json_decref(o);
        return 0;
    }
    return rc ? (json_decref(o), rc) : qapi_record_request(r, o);
}

/* ---- dispatch ------------------------------------------------------------------------------ */

int qapi_dispatch(struct req *r)
{
    bool sts = qapi_is_sts(r->op);
    int rc = parse_params(r);
    if (rc)
        return rc;
    const char *action = qapi_param(r, "Action");
    if (!action || !*action)
        return req_api_error(r, 400, "MissingAction", "Missing Action");
    const struct s3_op *ops = sts ? sts_ops : iam_ops;
    size_t n = sts ? sts_ops_count : iam_ops_count;
    const struct s3_op *row = NULL;
    for (size_t i = 0; i < n && !row; i++)
        if (strcmp(ops[i].name, action) == 0)
            row = &ops[i];
    if (!row) {
        const char *version = qapi_param(r, "Version");
        return req_api_error(r, 400, "InvalidAction",
                             "Could not find operation %.64s for version %s", action,
                             version ? version : (sts ? "2011-06-15" : "2010-05-08"));
    }
    /* From here on the call is an operation of the service: recorded whatever happens. */
    r->op = row;
    r->audited = true;
    if (sts && r->sig_region[0])
        snprintf(r->region, sizeof r->region, "%.31s", r->sig_region);
    else if (!sts)
        snprintf(r->region, sizeof r->region, "%s", QAPI_IAM_REGION);
    if (!row->handler)
        return req_api_error(r, 501, "NotImplemented",
                             "The %s action is not implemented by this server", row->name);
    if ((rc = record_params(r)))
        return qapi_store_error(r, rc);
    return row->handler(r);
}

/* ---- answers ------------------------------------------------------------------------------- */

static const char *xmlns_of(const struct req *r)
{
    return qapi_is_sts(r->op) ? QAPI_STS_XMLNS : QAPI_IAM_XMLNS;
}

void qapi_write_error(struct req *r)
{
    struct buf *b = &r->resp_body;
    const char *code = r->api_error[0] ? r->api_error : s3err_code(r->error);
    const char *msg = r->error_message ? r->error_message : r->error ? s3err_message(r->error) : "";
    buf_reset(b);
    buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"%s\">",
               xmlns_of(r));
    buf_puts(b, "<Error>");
    buf_put_xml_elem(b, "Type", r->status >= 500 ? "Receiver" : "Sender");
    buf_put_xml_elem(b, "Code", code);
    buf_put_xml_elem(b, "Message", msg);
    buf_puts(b, "</Error>");
    buf_put_xml_elem(b, "RequestId", r->request_id);
    buf_puts(b, "</ErrorResponse>");
    req_add_header(r, "Content-Type", "text/xml");
}

int qapi_result_begin(struct req *r)
{
    struct buf *b = &r->resp_body;
    buf_reset(b);
    buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%sResponse xmlns=\"%s\"><%sResult>",
               r->op->name, xmlns_of(r), r->op->name);
    return buf_ok(b) ? 0 : qapi_store_error(r, -ENOMEM);
}

int qapi_result_end(struct req *r)
{
    struct buf *b = &r->resp_body;
    buf_printf(b, "</%sResult><ResponseMetadata>", r->op->name);
    buf_put_xml_elem(b, "RequestId", r->request_id);
    buf_printf(b, "</ResponseMetadata></%sResponse>", r->op->name);
    if (!buf_ok(b) || req_add_header(r, "Content-Type", "text/xml"))
        return qapi_store_error(r, -ENOMEM);
    req_set_status(r, 200);
    return 0;
}

int qapi_reply_empty(struct req *r)
{
    struct buf *b = &r->resp_body;
    buf_reset(b);
    buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%sResponse xmlns=\"%s\">",
               r->op->name, xmlns_of(r));
    buf_puts(b, "<ResponseMetadata>");
    buf_put_xml_elem(b, "RequestId", r->request_id);
    buf_printf(b, "</ResponseMetadata></%sResponse>", r->op->name);
    if (!buf_ok(b) || req_add_header(r, "Content-Type", "text/xml"))
        return qapi_store_error(r, -ENOMEM);
    req_set_status(r, 200);
    return 0;
}

void qapi_x(struct buf *b, const char *tag, const char *text)
{
    if (text)
        buf_put_xml_elem(b, tag, text);
}

void qapi_iso_time(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void qapi_xtime(struct buf *b, const char *tag, int64_t ms)
{
    char t[32];
    qapi_iso_time(ms, t);
    buf_put_xml_elem(b, tag, t);
}

void qapi_xint(struct buf *b, const char *tag, long long v)
{
    buf_printf(b, "<%s>%lld</%s>", tag, v, tag);
}

static int record_field(char **field, json_t *obj)
{
    if (!obj)
        return 0;
    char *s = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!s)
        return -ENOMEM;
    free(*field);
    *field = s;
    return 0;
}

int qapi_record_request(struct req *r, json_t *obj)
{
    return record_field(&r->record_request_parameters, obj);
}

int qapi_record_response(struct req *r, json_t *obj)
{
    return record_field(&r->record_response_elements, obj);
}

int qapi_store_error(struct req *r, int rc)
{
    (void)rc;
    return req_api_error(r, 500, "ServiceFailure",
                         "The request processing has failed because of an unknown error, "
                         "exception or failure.");
}

int qapi_then(struct req *r)
{
    int rc = r->commit_rc;
    if (rc >= 0)
        return 0;
    if (r->api_error[0] || r->error)
        return rc;
    return qapi_store_error(r, rc);
}
