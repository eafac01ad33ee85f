/*
 * trails — the trail operations of the CloudTrail API. The contract, the trail document and the
 * delivery state are described in trails.h; selectors in selectors.h.
 *
 * Shape of a handler: parse and validate the input (errors answered at once), resolve the trail
 * (name or ARN, home-region rules), then either answer from the stored document (reads) or hand
 * a work item to the writer (req_commit): its apply re-reads the document inside the
 * transaction, changes it and writes it back, so concurrent calls and the delivery never lose
 * each other's changes; its `then` shapes the answer. Checks that need the rest of the store
 * (the bucket exists, its policy lets CloudTrail deliver, the per-region trail count) run before
 * the commit, on the request thread.
 *
 * Messages: AWS's where known (cloudtrail.md §5.2, moto's copies of them, real error reports):
 * TrailAlreadyExistsException "Trail <n> already exists for customer: <acct>",
 * TrailNotFoundException "Unknown trail: <arn> for the user: <acct>" (a name is shown as the ARN
 * it would have in the called region, as AWS does), MaximumNumberOfTrailsExceededException
 * "User: <acct> already has 5 trails in <region>.", InsufficientS3BucketPolicyException
 * "Incorrect S3 bucket policy is detected for bucket: <b>", the trail-name messages, and
 * CloudTrailARNInvalidException "Region in ARN is wrong, you can only access resources in region
 * <r>.". The others are written in the same manner.
 */
#include "trail/trails.h"

#include "http/req.h"
#include "s3/errors.h"
#include "s3/policy.h"
#include "store/store.h"
#include "trail/ctapi.h"
#include "trail/delivery.h"
#include "trail/selectors.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TRAIL_NAME_MAX 128
#define TRAIL_PREFIX_MAX 200
#define TAG_KEY_MAX 128
#define TAG_VALUE_MAX 256
#define LIST_TAGS_MAX_IDS 20
#define ARN_MAX 256

/* ---- small helpers ------------------------------------------------------------------------- */

/* A member, with JSON null read as absent (SDKs may write null for unset members). */
static json_t *member(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    return v && !json_is_null(v) ? v : NULL;
}

/* Sets key to v (a new reference, NULL when its constructor failed); -1 on any failure. */
static int put(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) : -1;
}

static int oom(struct req *r)
{
    return req_error(r, s3err_from_errno(-ENOMEM), NULL);
}

static int store_err(struct req *r, int rc)
{
    return req_error(r, s3err_from_errno(rc), NULL);
}

/* A string member: 0 with *out NULL when absent (SerializationException for another type, and
 * InvalidParameterException when required and absent). */
static int str_member(struct req *r, json_t *in, const char *name, bool required, const char **out)
{
    json_t *v = member(in, name);
    *out = NULL;
    if (!v) {
        if (required)
            return req_api_error(r, 400, "InvalidParameterException",
                                 "The parameter %s is required.", name);
        return 0;
    }
    if (!json_is_string(v))
        return req_api_error(r, 400, "SerializationException", "%s must be a string", name);
    *out = json_string_value(v);
    return 0;
}

/* A boolean member: *has false when absent. */
static int bool_member(struct req *r, json_t *in, const char *name, bool *has, bool *out)
{
    json_t *v = member(in, name);
    *has = v != NULL;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return req_api_error(r, 400, "SerializationException", "%s must be a boolean", name);
    *out = json_is_true(v);
    return 0;
}

static int64_t doc_int(json_t *o, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

static bool doc_bool(json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

static const char *doc_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* "2016-01-28T23:02:24Z": the deprecated string timestamps of GetTrailStatus. */
static void iso_secs(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *secs_json(int64_t ms)
{
    return json_real((double)ms / 1000.0);
}

static void trail_arn(char out[ARN_MAX], const char *home, const char *account, const char *name)
{
    snprintf(out, ARN_MAX, "arn:aws:cloudtrail:%s:%s:trail/%s", home, account, name);
}

static void doc_key(char out[200], const char *home, const char *name)
{
    snprintf(out, 200, "%s/%s", home, name);
}

/* ---- names and ARNs ------------------------------------------------------------------------ */

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_special(char c)
{
    return c == '.' || c == '_' || c == '-';
}

/* Four dot-separated decimal numbers: "192.168.5.4". */
static bool looks_like_ip(const char *s)
{
    int parts = 0;
    const char *p = s;
    for (;;) {
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            p++;
            digits++;
        }
        if (digits == 0 || digits > 3)
            return false;
        parts++;
        if (*p == '\0')
            break;
        if (*p != '.')
            return false;
        p++;
    }
    return parts == 4;
}

/* The trail-name rules (the model's InvalidTrailNameException documentation), checked in the
 * order and with the messages AWS uses. NULL when valid, else the message. */
static const char *name_problem(const char *n, char *buf, size_t cap)
{
    size_t len = strlen(n);
    if (len < 3) {
        snprintf(buf, cap,
                 "Trail name too short. Minimum allowed length: 3 characters. Specified name "
                 "length: %zu characters.",
                 len);
        return buf;
    }
    if (len > TRAIL_NAME_MAX) {
        snprintf(buf, cap,
                 "Trail name too long. Maximum allowed length: 128 characters. Specified name "
                 "length: %zu characters.",
                 len);
        return buf;
    }
    if (!is_alnum(n[0]))
        return "Trail name must starts with a letter or number.";
    if (!is_alnum(n[len - 1]))
        return "Trail name must ends with a letter or number.";
    for (size_t i = 0; i < len; i++)
        if (!is_alnum(n[i]) && !is_special(n[i]))
            return "Trail name or ARN can only contain uppercase letters, lowercase letters, "
                   "numbers, periods (.), hyphens (-), and underscores (_).";
    for (size_t i = 1; i < len; i++)
        if (is_special(n[i]) && is_special(n[i - 1]))
            return "Trail name cannot contain adjacent periods, underscores or dashes. Names "
                   "like my-_namespace and my--namespace are not valid.";
    if (looks_like_ip(n))
        return "Trail name cannot be formatted as an IP address.";
    return NULL;
}

static int check_name(struct req *r, const char *n)
{
    char buf[256];
    const char *why = name_problem(n, buf, sizeof buf);
    return why ? req_api_error(r, 400, "InvalidTrailNameException", "%s", why) : 0;
}

/* A trail named by a request: its home region, account and name, and how it was named. */
struct trail_ref {
    char home[32];
    char account[13];
    char name[TRAIL_NAME_MAX + 1];
    bool by_arn;
    char key[200];     /* the document name, "<home>/<name>" */
    char arn[ARN_MAX]; /* the ARN (built in the called region for a name) */
};

static int arn_invalid(struct req *r, const char *s)
{
    return req_api_error(r, 400, "CloudTrailARNInvalidException",
                         "%s is not a valid trail ARN. The format of a trail ARN is "
                         "arn:aws:cloudtrail:<region>:<12-digit account id>:trail/<name>.",
                         s);
}

/* Parses "arn:aws:cloudtrail:<region>:<12 digits>:trail/<name>" into ref. */
static int parse_arn(struct req *r, const char *s, struct trail_ref *ref)
{
    static const char pre[] = "arn:aws:cloudtrail:";
    if (strncmp(s, pre, sizeof pre - 1) != 0)
        return arn_invalid(r, s);
    const char *region = s + sizeof pre - 1;
    const char *c1 = strchr(region, ':');
    if (!c1 || c1 == region || (size_t)(c1 - region) >= sizeof ref->home)
        return arn_invalid(r, s);
    const char *acct = c1 + 1;
    const char *c2 = strchr(acct, ':');
    if (!c2 || c2 - acct != 12)
        return arn_invalid(r, s);
    for (const char *p = acct; p < c2; p++)
        if (*p < '0' || *p > '9')
            return arn_invalid(r, s);
    if (strncmp(c2 + 1, "trail/", 6) != 0)
        return arn_invalid(r, s);
    const char *name = c2 + 7;
    char buf[256];
    if (name_problem(name, buf, sizeof buf))
        return arn_invalid(r, s);
    for (const char *p = region; p < c1; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return arn_invalid(r, s);
    memcpy(ref->home, region, (size_t)(c1 - region));
    ref->home[c1 - region] = '\0';
    memcpy(ref->account, acct, 12);
    ref->account[12] = '\0';
    snprintf(ref->name, sizeof ref->name, "%s", name);
    ref->by_arn = true;
    doc_key(ref->key, ref->home, ref->name);
    trail_arn(ref->arn, ref->home, ref->account, ref->name);
    return 0;
}

/* A Name / TrailName parameter: an ARN when it starts with "arn:", else a trail name of the
 * called region. */
static int parse_ref(struct req *r, const char *s, struct trail_ref *ref)
{
    memset(ref, 0, sizeof *ref);
    if (strncmp(s, "arn:", 4) == 0)
        return parse_arn(r, s, ref);
    int rc = check_name(r, s);
    if (rc)
        return rc;
    snprintf(ref->home, sizeof ref->home, "%s", r->region);
    snprintf(ref->account, sizeof ref->account, "%s", r->who.account_id);
    snprintf(ref->name, sizeof ref->name, "%s", s);
    doc_key(ref->key, ref->home, ref->name);
    trail_arn(ref->arn, ref->home, ref->account, ref->name);
    return 0;
}

static int not_found(struct req *r, const struct trail_ref *ref)
{
    return req_api_error(r, 400, "TrailNotFoundException", "Unknown trail: %s for the user: %s",
                         ref->arn, r->who.account_id);
}

static int wrong_region(struct req *r, const char *home)
{
    return req_api_error(r, 400, "InvalidHomeRegionException",
                         "This operation must be called from the trail's home region, %s.", home);
}

/* Loads a trail document: 0 with *doc (owned), -ENOENT, or another store error. */
static int load_doc(struct store *st, const char *account, const char *key, json_t **doc)
{
    char *v = NULL;
    *doc = NULL;
    int rc = store_doc_get(st, TRAIL_DOC_KIND, account, key, &v);
    if (rc)
        return rc;
    *doc = json_loads(v, 0, NULL);
    free(v);
    return *doc && json_is_object(*doc) ? 0 : -EIO;
}

static int txn_load_doc(struct store_txn *t, const char *account, const char *key, json_t **doc)
{
    char *v = NULL;
    *doc = NULL;
    int rc = store_txn_doc_get(t, TRAIL_DOC_KIND, account, key, &v);
    if (rc)
        return rc;
    *doc = json_loads(v, 0, NULL);
    free(v);
    if (!*doc || !json_is_object(*doc)) {
        json_decref(*doc);
        *doc = NULL;
        return -EIO;
    }
    return 0;
}

static int txn_save_doc(struct store_txn *t, const char *account, const char *key, json_t *doc)
{
    char *v = json_dumps(doc, JSON_COMPACT);
    if (!v)
        return -ENOMEM;
    int rc = store_txn_doc_set(t, TRAIL_DOC_KIND, account, key, v);
    free(v);
    return rc;
}

/* Every trail document of the caller's account (owned array, store_docs_free). */
static int list_docs(struct req *r, struct store_doc **v, size_t *n)
{
    return store_doc_list(r->st, TRAIL_DOC_KIND, r->who.account_id, v, n);
}

/* A multi-region trail named `name` homed in another region than the called one, for the
 * home-region answer to a mutation by name. 1 with home set, 0 when none, or a store error. */
static int find_shadow(struct req *r, const char *name, char home[32])
{
    struct store_doc *v = NULL;
    size_t n = 0;
    int rc = list_docs(r, &v, &n);
    if (rc)
        return rc;
    int found = 0;
    for (size_t i = 0; i < n && !found; i++) {
        json_t *d = json_loads(v[i].value, 0, NULL);
        const char *h = doc_str(d, "HomeRegion"), *nm = doc_str(d, "Name");
        if (h && nm && strcmp(nm, name) == 0 && strcmp(h, r->region) != 0 &&
            doc_bool(d, "IsMultiRegionTrail")) {
            snprintf(home, 32, "%s", h);
            found = 1;
        }
        json_decref(d);
    }
    store_docs_free(v, n);
    return found;
}

/*
 * Resolution for reads (GetTrail, GetTrailStatus, GetEventSelectors): a name is a trail of the
 * called region; an ARN names a trail of the caller's account that is visible here (homed in the
 * called region, or multi-region). Anything else is TrailNotFoundException. *doc is owned.
 */
static int resolve_read(struct req *r, const char *s, struct trail_ref *ref, json_t **doc)
{
    int rc = parse_ref(r, s, ref);
    if (rc)
        return rc;
    if (strcmp(ref->account, r->who.account_id) != 0)
        return not_found(r, ref);
    rc = load_doc(r->st, ref->account, ref->key, doc);
    if (rc == -ENOENT)
        return not_found(r, ref);
    if (rc)
        return store_err(r, rc);
    if (strcmp(ref->home, r->region) != 0 && !doc_bool(*doc, "IsMultiRegionTrail")) {
        json_decref(*doc);
        *doc = NULL;
        return not_found(r, ref);
    }
    return 0;
}

/*
 * Resolution for mutations: the trail must be homed in the called region. Another region's
 * trail (by ARN, or a multi-region trail by name seen from elsewhere) is
 * InvalidHomeRegionException; no trail at all TrailNotFoundException. The apply re-reads the
 * document in its transaction (it may be deleted meanwhile).
 */
static int resolve_write(struct req *r, const char *s, struct trail_ref *ref)
{
    int rc = parse_ref(r, s, ref);
    if (rc)
        return rc;
    if (strcmp(ref->account, r->who.account_id) != 0)
        return not_found(r, ref);
    json_t *doc = NULL;
    rc = load_doc(r->st, ref->account, ref->key, &doc);
    json_decref(doc);
    if (rc && rc != -ENOENT)
        return store_err(r, rc);
    if (strcmp(ref->home, r->region) != 0)
        return rc == 0 ? wrong_region(r, ref->home) : not_found(r, ref);
    if (rc == 0)
        return 0;
    char home[32];
    int found = ref->by_arn ? 0 : find_shadow(r, ref->name, home);
    if (found < 0)
        return store_err(r, found);
    return found ? wrong_region(r, home) : not_found(r, ref);
}

/* ---- the shapes ---------------------------------------------------------------------------- */

static int copy_member(json_t *out, json_t *doc, const char *key)
{
    json_t *v = json_object_get(doc, key);
    return v ? json_object_set(out, key, v) : 0;
}

/* The Trail structure (full: GetTrail, DescribeTrails) or the CreateTrail / UpdateTrail
 * response (no HomeRegion, no Has* members). Unset strings are omitted. */
static json_t *trail_shape(json_t *doc, bool full)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = copy_member(o, doc, "Name");
    rc |= copy_member(o, doc, "S3BucketName");
    rc |= copy_member(o, doc, "S3KeyPrefix");
    rc |= put(o, "IncludeGlobalServiceEvents",
              json_boolean(doc_bool(doc, "IncludeGlobalServiceEvents")));
    rc |= put(o, "IsMultiRegionTrail", json_boolean(doc_bool(doc, "IsMultiRegionTrail")));
    if (full)
        rc |= copy_member(o, doc, "HomeRegion");
    rc |= copy_member(o, doc, "TrailARN");
    rc |=
        put(o, "LogFileValidationEnabled", json_boolean(doc_bool(doc, "LogFileValidationEnabled")));
    if (full) {
        rc |= put(o, "HasCustomEventSelectors",
                  json_boolean(doc_bool(doc, "HasCustomEventSelectors")));
        rc |= put(o, "HasInsightSelectors", json_false());
    }
    rc |= put(o, "IsOrganizationTrail", json_false());
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- validation of trail settings ---------------------------------------------------------- */

/* A bucket name as CloudTrail takes it: 3-63 characters of lower-case letters, digits, '.' and
 * '-', starting and ending with a letter or digit. Whether the bucket exists is checked next. */
static bool bucket_name_ok(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    }
    return b[0] != '.' && b[0] != '-' && b[n - 1] != '.' && b[n - 1] != '-';
}

static int check_bucket_name(struct req *r, const char *b)
{
    if (!bucket_name_ok(b))
        return req_api_error(r, 400, "InvalidS3BucketNameException", "Bucket name %s is not valid.",
                             b);
    return 0;
}

/* S3KeyPrefix: at most 200 characters, no control characters, not starting with '/' (the log
 * keys are <prefix>/AWSLogs/...). "" means none. */
static int check_prefix(struct req *r, const char *p)
{
    size_t n = strlen(p);
    if (n > TRAIL_PREFIX_MAX)
        return req_api_error(r, 400, "InvalidS3PrefixException",
                             "The S3 key prefix is too long: at most %d characters are allowed.",
                             TRAIL_PREFIX_MAX);
    if (p[0] == '/')
        return req_api_error(r, 400, "InvalidS3PrefixException",
                             "The S3 key prefix %s is not valid: it must not begin with '/'.", p);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
            return req_api_error(r, 400, "InvalidS3PrefixException",
                                 "The S3 key prefix is not valid: it contains control "
                                 "characters.");
    return 0;
}

/* Members naming features this server does not have: refused, never accepted and ignored. An
 * empty string (UpdateTrail's way to turn a feature off) is accepted: nothing is on. */
static int check_unsupported(struct req *r, json_t *in)
{
    static const struct {
        const char *member, *what;
    } refused[] = {
        {"KmsKeyId", "Encrypting log files with a KMS key (KmsKeyId) is not supported by this "
                     "server: there is no KMS here. Log files are encrypted at rest with SSE-S3."},
        {"SnsTopicName", "SNS notifications (SnsTopicName) are not supported by this server "
                         "yet."},
        {"CloudWatchLogsLogGroupArn", "Sending events to CloudWatch Logs "
                                      "(CloudWatchLogsLogGroupArn) is not supported by this "
                                      "server yet."},
        {"CloudWatchLogsRoleArn", "Sending events to CloudWatch Logs (CloudWatchLogsRoleArn) is "
                                  "not supported by this server yet."},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *v;
        int rc = str_member(r, in, refused[i].member, false, &v);
        if (rc)
            return rc;
        if (v && v[0])
            return req_api_error(r, 400, "UnsupportedOperationException", "%s", refused[i].what);
    }
    /* Digest files come with the log-integrity work; until then a trail that asked for them
     * would silently have none, so the request is refused instead. */
    bool has, validation = false;
    int rc = bool_member(r, in, "EnableLogFileValidation", &has, &validation);
    if (rc)
        return rc;
    if (validation)
        return req_api_error(r, 400, "UnsupportedOperationException",
                             "Log file integrity validation (EnableLogFileValidation) is not "
                             "supported by this server yet: it writes no digest files.");
    bool org = false;
    rc = bool_member(r, in, "IsOrganizationTrail", &has, &org);
    if (rc)
        return rc;
    if (org)
        return req_api_error(r, 400, "UnsupportedOperationException",
                             "Organization trails (IsOrganizationTrail) are not supported by "
                             "this server: it has no organizations.");
    return 0;
}

/* The bucket exists and its policy lets CloudTrail deliver this trail's files. */
static int check_bucket_policy(struct req *r, const char *bucket, const char *prefix,
                               const char *arn)
{
    struct bucket b;
    memset(&b, 0, sizeof b);
    int rc = store_bucket_get(r->st, bucket, &b);
    if (rc == -ENOENT)
        return req_api_error(r, 400, "S3BucketDoesNotExistException",
                             "S3 bucket %s does not exist!", bucket);
    if (rc)
        return store_err(r, rc);
    char *policy = NULL;
    rc = store_bucket_config_get(r->st, b.id, "policy", &policy);
    store_bucket_free(&b);
    if (rc && rc != -ENOENT)
        return store_err(r, rc);
    int ok = rc == -ENOENT
                 ? 0
                 : policy_allows_cloudtrail(policy, bucket, prefix, r->who.account_id, arn);
    free(policy);
    if (ok == -ENOMEM)
        return oom(r);
    if (ok != 1)
        return req_api_error(r, 400, "InsufficientS3BucketPolicyException",
                             "Incorrect S3 bucket policy is detected for bucket: %s", bucket);
    return 0;
}

/* A TagsList: a list of {Key, Value}; keys 1-128 characters, not starting with "aws:", unique;
 * values at most 256 characters. */
static int check_tags(struct req *r, json_t *tags, bool unique_keys)
{
    if (!json_is_array(tags))
        return req_api_error(r, 400, "SerializationException", "TagsList must be a list");
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        if (!json_is_object(t))
            return req_api_error(r, 400, "SerializationException", "A tag must be a structure");
        const char *k = json_string_value(member(t, "Key"));
        json_t *v = member(t, "Value");
        if (!k || !k[0] || strlen(k) > TAG_KEY_MAX)
            return req_api_error(r, 400, "InvalidTagParameterException",
                                 "Tag keys must be 1 to %d characters long.", TAG_KEY_MAX);
        if (strncmp(k, "aws:", 4) == 0)
            return req_api_error(r, 400, "InvalidTagParameterException",
                                 "Tag keys starting with aws: are reserved: %s", k);
        if (v && (!json_is_string(v) || strlen(json_string_value(v)) > TAG_VALUE_MAX))
            return req_api_error(r, 400, "InvalidTagParameterException",
                                 "Tag values must be strings of at most %d characters.",
                                 TAG_VALUE_MAX);
        for (size_t j = 0; j < i && unique_keys; j++) {
            const char *k2 = json_string_value(member(json_array_get(tags, j), "Key"));
            if (k2 && strcmp(k, k2) == 0)
                return req_api_error(r, 400, "InvalidTagParameterException",
                                     "The tag key %s is given more than once.", k);
        }
    }
    return 0;
}

/* The stored form of tags: {Key, Value} with Value only when given. */
static json_t *tag_json(json_t *t)
{
    json_t *o = json_object();
    int rc = put(o, "Key", json_copy(member(t, "Key")));
    json_t *v = member(t, "Value");
    if (v)
        rc |= put(o, "Value", json_copy(v));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- handler state for commits ------------------------------------------------------------- */

/*
 * What a mutation carries to the writer. The apply reports a refusal it finds inside the
 * transaction (the trail is gone, already exists, too many tags) in code/msg, and leaves the
 * answer in `out`; `then` turns either into the response.
 */
struct trail_job {
    struct trail_ref ref;
    json_t *in;           /* the request */
    json_t *doc;          /* CreateTrail: the new document; UpdateTrail: the members to change */
    json_t *extra;        /* PutEventSelectors: the normalized selectors; tags: the tags */
    json_t *out;          /* the answer, built by the apply */
    bool start;           /* StartLogging (true) or StopLogging */
    bool add;             /* AddTags (true) or RemoveTags */
    bool advanced;        /* PutEventSelectors: AdvancedEventSelectors (true) or EventSelectors */
    bool kick_on_success; /* StopLogging, DeleteTrail: flush the delivery after the change */
    bool kick;            /* ... which succeeded: job_free() asks for the flush */
    char code[64];
    char msg[512];
};

/*
 * Also the place where a StopLogging or DeleteTrail asks the delivery to flush: the state is
 * freed when the request ends, after its batch became durable and the response went out, so the
 * delivery's next pass reads the stopped (or deleted) trail. Asking from `then` would be too
 * early: it runs inside the transaction, and a pass starting before the commit would not see it.
 */
static void job_free(void *p)
{
    struct trail_job *j = p;
    if (!j)
        return;
    if (j->kick)
        delivery_kick();
    json_decref(j->in);
    json_decref(j->doc);
    json_decref(j->extra);
    json_decref(j->out);
    free(j);
}

static struct trail_job *job_new(struct req *r, json_t *in)
{
    struct trail_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->in = in;
    r->handler_state = j;
    r->handler_state_free = job_free;
    return j;
}

/* A refusal found inside the apply. Returns -EINVAL so the apply's changes roll back. */
static int job_refuse(struct trail_job *j, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int job_refuse(struct trail_job *j, const char *code, const char *fmt, ...)
{
    snprintf(j->code, sizeof j->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->msg, sizeof j->msg, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int job_not_found(struct req *r, struct trail_job *j)
{
    return job_refuse(j, "TrailNotFoundException", "Unknown trail: %s for the user: %s", j->ref.arn,
                      r->who.account_id);
}

/* The common `then`: a refusal, a store error, or the answer the apply left. */
static int job_then(struct req *r)
{
    struct trail_job *j = r->handler_state;
    if (j->code[0])
        return req_api_error(r, 400, j->code, "%s", j->msg);
    if (r->commit_rc)
        return store_err(r, r->commit_rc);
    j->kick = j->kick_on_success;
    json_t *out = j->out ? j->out : json_object();
    j->out = NULL;
    if (!out)
        return oom(r);
    return ct_reply(r, out);
}

/* ---- CreateTrail --------------------------------------------------------------------------- */

static int create_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct trail_job *j = r->handler_state;
    json_t *old = NULL;
    int rc = txn_load_doc(t, j->ref.account, j->ref.key, &old);
    json_decref(old);
    if (rc == 0)
        return job_refuse(j, "TrailAlreadyExistsException",
                          "Trail %s already exists for customer: %s", j->ref.name, j->ref.account);
    if (rc != -ENOENT)
        return rc;
    int64_t seq = 0;
    rc = store_txn_event_last_seq(t, &seq);
    if (rc)
        return rc;
    json_t *delivery = json_object();
    if (put(delivery, "cursor", json_integer(seq)) || put(j->doc, "delivery", delivery))
        return -ENOMEM;
    rc = txn_save_doc(t, j->ref.account, j->ref.key, j->doc);
    if (rc)
        return rc;
    j->out = trail_shape(j->doc, false);
    return j->out ? 0 : -ENOMEM;
}

/*
 * Room for a trail named `name` homed in `home`, multi-region or not, among the account's other
 * trails (self_key: the trail's own document when it exists, else NULL). A multi-region trail
 * exists in every region, so it takes the name and one of the five places there too (AWS:
 * "a trail that applies to all Regions exists in each Region and is counted as one trail in
 * each Region"). The regions that can be full or hold the name are the home region and, for a
 * multi-region trail, the home regions of the other trails (a region with none of them sees
 * only multi-region trails, which the home region sees as well).
 *
 * Counted on committed trails: two CreateTrail calls racing in one writer batch could both pass;
 * the store has no listing inside a transaction to close that window.
 */
static int check_room(struct req *r, const char *name, const char *home, bool multi,
                      const char *self_key)
{
    struct store_doc *v = NULL;
    size_t n = 0;
    int rc = list_docs(r, &v, &n);
    if (rc)
        return store_err(r, rc);
    json_t **docs = calloc(n ? n : 1, sizeof *docs);
    if (!docs) {
        store_docs_free(v, n);
        return oom(r);
    }
    for (size_t i = 0; i < n; i++)
        if (!self_key || strcmp(v[i].name, self_key) != 0)
            docs[i] = json_loads(v[i].value, 0, NULL);
    /* The regions to look at: home first, then the others' homes for a multi-region trail. */
    for (size_t k = 0; k <= n && !rc; k++) {
        const char *region = k == 0 ? home : doc_str(docs[k - 1], "HomeRegion");
        if (!region || (k > 0 && (!multi || strcmp(region, home) == 0)))
            continue;
        size_t seen = 0;
        for (size_t i = 0; i < n && !rc; i++) {
            const char *h = doc_str(docs[i], "HomeRegion"), *nm = doc_str(docs[i], "Name");
            if (!h || !nm || (strcmp(h, region) != 0 && !doc_bool(docs[i], "IsMultiRegionTrail")))
                continue;
            seen++;
            if (strcmp(nm, name) == 0)
                rc = req_api_error(r, 400, "TrailAlreadyExistsException",
                                   "Trail %s already exists for customer: %s", name,
                                   r->who.account_id);
        }
        if (!rc && seen >= TRAILS_MAX_PER_REGION)
            rc = req_api_error(r, 400, "MaximumNumberOfTrailsExceededException",
                               "User: %s already has %d trails in %s.", r->who.account_id,
                               TRAILS_MAX_PER_REGION, region);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(docs[i]);
    free(docs);
    store_docs_free(v, n);
    return rc;
}

int ct_create_trail(struct req *r)
{
    json_t *in = ct_request_body(r);
    if (!in)
        return -1;
    struct trail_job *j = job_new(r, in);
    if (!j) {
        json_decref(in);
        return oom(r);
    }
    const char *name, *bucket, *prefix;
    int rc = str_member(r, in, "Name", true, &name);
    if (!rc)
        rc = check_name(r, name);
    if (!rc)
        rc = str_member(r, in, "S3BucketName", true, &bucket);
    if (!rc)
        rc = check_bucket_name(r, bucket);
    if (!rc)
        rc = str_member(r, in, "S3KeyPrefix", false, &prefix);
    if (!rc && prefix && !prefix[0])
        prefix = NULL;
    if (!rc && prefix)
        rc = check_prefix(r, prefix);
    if (!rc)
        rc = check_unsupported(r, in);
    bool has, global = true, multi = false, validation = false;
    if (!rc)
        rc = bool_member(r, in, "IncludeGlobalServiceEvents", &has, &global);
    if (!rc)
        rc = bool_member(r, in, "IsMultiRegionTrail", &has, &multi);
    if (!rc)
        rc = bool_member(r, in, "EnableLogFileValidation", &has, &validation);
    if (!rc && multi && !global)
        rc = req_api_error(r, 400, "InvalidParameterCombinationException",
                           "Multi-Region trail must include global service events.");
    /* The count first: checking the tags is quadratic in their number (unique keys), and a
     * 2 MiB body holds tens of thousands of them. */
    json_t *tags = member(in, "TagsList");
    if (!rc && tags && json_array_size(tags) > TRAILS_MAX_TAGS)
        rc = req_api_error(r, 400, "TagsLimitExceededException",
                           "A trail can have at most %d tags.", TRAILS_MAX_TAGS);
    if (!rc && tags)
        rc = check_tags(r, tags, true);
    if (rc)
        return rc;

    struct trail_ref *ref = &j->ref;
    snprintf(ref->home, sizeof ref->home, "%s", r->region);
    snprintf(ref->account, sizeof ref->account, "%s", r->who.account_id);
    snprintf(ref->name, sizeof ref->name, "%s", name);
    doc_key(ref->key, ref->home, ref->name);
    trail_arn(ref->arn, ref->home, ref->account, ref->name);

    /* Already there: answered before the bucket checks, as AWS orders them. The apply checks
     * again inside the transaction. */
    json_t *old = NULL;
    rc = load_doc(r->st, ref->account, ref->key, &old);
    json_decref(old);
    if (rc == 0)
        return req_api_error(r, 400, "TrailAlreadyExistsException",
                             "Trail %s already exists for customer: %s", name, ref->account);
    if (rc != -ENOENT)
        return store_err(r, rc);
    rc = check_room(r, name, ref->home, multi, NULL);
    if (rc)
        return rc;
    rc = check_bucket_policy(r, bucket, prefix, ref->arn);
    if (rc)
        return rc;

    json_t *doc = j->doc = json_object();
    json_t *tl = json_array();
    if (!doc || !tl) {
        json_decref(tl);
        return oom(r);
    }
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) rc |= json_array_append_new(tl, tag_json(t));
    rc |= put(doc, "Name", json_string(name));
    rc |= put(doc, "HomeRegion", json_string(ref->home));
    rc |= put(doc, "TrailARN", json_string(ref->arn));
    rc |= put(doc, "S3BucketName", json_string(bucket));
    if (prefix)
        rc |= put(doc, "S3KeyPrefix", json_string(prefix));
    rc |= put(doc, "IncludeGlobalServiceEvents", json_boolean(global));
    rc |= put(doc, "IsMultiRegionTrail", json_boolean(multi));
    rc |= put(doc, "LogFileValidationEnabled", json_boolean(validation));
    rc |= put(doc, "IsOrganizationTrail", json_false());
    rc |= put(doc, "HasCustomEventSelectors", json_false());
    rc |= put(doc, "TagsList", tl);
    rc |= put(doc, "CreatedTime", json_integer(store_now_ms()));
    rc |= put(doc, "IsLogging", json_false());
    if (rc)
        return oom(r);
    return req_commit(r, create_apply, job_then);
}

/* ---- UpdateTrail --------------------------------------------------------------------------- */

/* j->doc holds the members to set (JSON null: remove). */
static int update_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct trail_job *j = r->handler_state;
    json_t *doc = NULL;
    int rc = txn_load_doc(t, j->ref.account, j->ref.key, &doc);
    if (rc == -ENOENT)
        return job_not_found(r, j);
    if (rc)
        return rc;
    const char *k;
    json_t *v;
    int bad = 0;
    json_object_foreach(j->doc, k, v)
    {
        if (json_is_null(v))
            json_object_del(doc, k);
        else
            bad |= json_object_set(doc, k, v);
    }
    /* Checked again on the merged document: another UpdateTrail may have committed since the
     * handler looked. */
    if (!bad && doc_bool(doc, "IsMultiRegionTrail") &&
        !doc_bool(doc, "IncludeGlobalServiceEvents")) {
        json_decref(doc);
        return job_refuse(j, "InvalidParameterCombinationException",
                          "Multi-Region trail must include global service events.");
    }
    rc = bad ? -ENOMEM : txn_save_doc(t, j->ref.account, j->ref.key, doc);
    if (!rc) {
        j->out = trail_shape(doc, false);
        rc = j->out ? 0 : -ENOMEM;
    }
    json_decref(doc);
    return rc;
}

int ct_update_trail(struct req *r)
{
    json_t *in = ct_request_body(r);
    if (!in)
        return -1;
    struct trail_job *j = job_new(r, in);
    if (!j) {
        json_decref(in);
        return oom(r);
    }
    const char *name, *bucket, *prefix;
    int rc = str_member(r, in, "Name", true, &name);
    if (!rc)
        rc = resolve_write(r, name, &j->ref);
    if (!rc)
        rc = str_member(r, in, "S3BucketName", false, &bucket);
    if (!rc && bucket)
        rc = check_bucket_name(r, bucket);
    if (!rc)
        rc = str_member(r, in, "S3KeyPrefix", false, &prefix);
    if (!rc && prefix && prefix[0])
        rc = check_prefix(r, prefix);
    if (!rc)
        rc = check_unsupported(r, in);
    bool has_global, has_multi, has_val, global = true, multi = false, validation = false;
    if (!rc)
        rc = bool_member(r, in, "IncludeGlobalServiceEvents", &has_global, &global);
    if (!rc)
        rc = bool_member(r, in, "IsMultiRegionTrail", &has_multi, &multi);
    if (!rc)
        rc = bool_member(r, in, "EnableLogFileValidation", &has_val, &validation);
    if (rc)
        return rc;

    json_t *cur = NULL;
    rc = load_doc(r->st, j->ref.account, j->ref.key, &cur);
    if (rc == -ENOENT)
        return not_found(r, &j->ref);
    if (rc)
        return store_err(r, rc);
    bool m_multi = has_multi ? multi : doc_bool(cur, "IsMultiRegionTrail");
    bool m_global = has_global ? global : doc_bool(cur, "IncludeGlobalServiceEvents");
    const char *m_bucket = bucket ? bucket : doc_str(cur, "S3BucketName");
    const char *m_prefix = prefix ? (prefix[0] ? prefix : NULL) : doc_str(cur, "S3KeyPrefix");
    if (m_multi && !m_global)
        rc = req_api_error(r, 400, "InvalidParameterCombinationException",
                           "Multi-Region trail must include global service events.");
    /* Becoming multi-region puts the trail in every region: its name and a place there. */
    if (!rc && m_multi && !doc_bool(cur, "IsMultiRegionTrail"))
        rc = check_room(r, j->ref.name, j->ref.home, true, j->ref.key);
    /* A new bucket or prefix must be one CloudTrail can deliver to. */
    if (!rc && (bucket || prefix))
        rc = check_bucket_policy(r, m_bucket ? m_bucket : "", m_prefix, j->ref.arn);
    json_decref(cur);
    if (rc)
        return rc;

    json_t *ch = j->doc = json_object();
    if (!ch)
        return oom(r);
    if (bucket)
        rc |= put(ch, "S3BucketName", json_string(bucket));
    if (prefix)
        rc |= put(ch, "S3KeyPrefix", prefix[0] ? json_string(prefix) : json_null());
    if (has_global)
        rc |= put(ch, "IncludeGlobalServiceEvents", json_boolean(global));
    if (has_multi)
        rc |= put(ch, "IsMultiRegionTrail", json_boolean(multi));
    if (has_val)
        rc |= put(ch, "LogFileValidationEnabled", json_boolean(validation));
    if (rc)
        return oom(r);
    return req_commit(r, update_apply, job_then);
}

/* ---- DeleteTrail --------------------------------------------------------------------------- */

static int delete_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct trail_job *j = r->handler_state;
    json_t *doc = NULL;
    int rc = txn_load_doc(t, j->ref.account, j->ref.key, &doc);
    if (rc == -ENOENT)
        return job_not_found(r, j);
    if (rc)
        return rc;
    /* The trail leaves the API now, but what it logged before the delete is still owed: it moves
     * to the retired kind, stopped at the journal's current end, and the delivery flushes it and
     * then removes it (delivery.h). */
    int64_t seq = 0;
    if (doc_bool(doc, "IsLogging"))
        rc = store_txn_event_last_seq(t, &seq);
    if (!rc && doc_bool(doc, "IsLogging")) {
        rc |= put(doc, "IsLogging", json_false());
        rc |= put(doc, "StopLoggingSeq", json_integer(seq));
        rc = rc ? -ENOMEM : 0;
    }
    char *v = rc ? NULL : json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!rc && !v)
        rc = -ENOMEM;
    if (!rc)
        rc = store_txn_doc_set(t, TRAIL_RETIRED_KIND, j->ref.account, j->ref.key, v);
    free(v);
    if (!rc)
        rc = store_txn_doc_set(t, TRAIL_DOC_KIND, j->ref.account, j->ref.key, NULL);
    return rc;
}

/* The handlers that take only a trail Name (or TrailName) to a trail of the called region. */
static int start_mutation(struct req *r, const char *param, struct trail_job **out)
{
    json_t *in = ct_request_body(r);
    if (!in)
        return -1;
    struct trail_job *j = job_new(r, in);
    if (!j) {
        json_decref(in);
        return oom(r);
    }
    const char *name;
    int rc = str_member(r, in, param, true, &name);
    if (!rc)
        rc = resolve_write(r, name, &j->ref);
    *out = j;
    return rc;
}

int ct_delete_trail(struct req *r)
{
    struct trail_job *j;
    int rc = start_mutation(r, "Name", &j);
    if (rc)
        return rc;
    j->kick_on_success = true;
    return req_commit(r, delete_apply, job_then);
}

/* ---- StartLogging / StopLogging ------------------------------------------------------------ */

static int logging_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct trail_job *j = r->handler_state;
    json_t *doc = NULL;
    int rc = txn_load_doc(t, j->ref.account, j->ref.key, &doc);
    if (rc == -ENOENT)
        return job_not_found(r, j);
    if (rc)
        return rc;
    if (doc_bool(doc, "IsLogging") == j->start) {
        json_decref(doc); /* already so: nothing changes, the cursor least of all */
        return 0;
    }
    int64_t seq = 0;
    rc = store_txn_event_last_seq(t, &seq);
    if (!rc) {
        int64_t now = store_now_ms();
        rc |= put(doc, "IsLogging", json_boolean(j->start));
        if (j->start) {
            /* The trail begins with the rows committed after this point, this call's own
             * record first: never with older events (trails.h). */
            rc |= put(doc, "StartLoggingTime", json_integer(now));
            json_t *d = json_object_get(doc, "delivery");
            if (!json_is_object(d)) {
                d = json_object();
                rc |= put(doc, "delivery", d);
            }
            int64_t cursor = json_integer_value(json_object_get(d, "cursor"));
            int64_t owed = json_integer_value(json_object_get(doc, "StopLoggingSeq"));
            if (owed > cursor) {
                /* Rows logged before the stop are not delivered yet: they still go out, and
                 * only what came while it was stopped is skipped (trails.h, "skip"). */
                json_t *skip = json_object_get(d, "skip");
                if (!json_is_array(skip)) {
                    skip = json_array();
                    rc |= put(d, "skip", skip);
                }
                if (seq > owed)
                    rc |= json_array_append_new(skip, json_pack("[I,I]", (json_int_t)owed,
                                                                (json_int_t)seq));
            } else {
                rc |= put(d, "cursor", json_integer(seq));
            }
        } else {
            rc |= put(doc, "StopLoggingTime", json_integer(now));
            rc |= put(doc, "StopLoggingSeq", json_integer(seq));
        }
        rc = rc ? -ENOMEM : txn_save_doc(t, j->ref.account, j->ref.key, doc);
    }
    json_decref(doc);
    return rc;
}

static int logging(struct req *r, bool start)
{
    struct trail_job *j;
    int rc = start_mutation(r, "Name", &j);
    if (rc)
        return rc;
    j->start = start;
    j->kick_on_success = !start;
    return req_commit(r, logging_apply, job_then);
}

int ct_start_logging(struct req *r)
{
    return logging(r, true);
}

int ct_stop_logging(struct req *r)
{
    return logging(r, false);
}

/* ---- PutEventSelectors / GetEventSelectors ------------------------------------------------- */

static int put_selectors_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct trail_job *j = r->handler_state;
    json_t *doc = NULL;
    int rc = txn_load_doc(t, j->ref.account, j->ref.key, &doc);
    if (rc == -ENOENT)
        return job_not_found(r, j);
    if (rc)
        return rc;
    const char *key = j->advanced ? "AdvancedEventSelectors" : "EventSelectors";
    json_object_del(doc, "EventSelectors");
    json_object_del(doc, "AdvancedEventSelectors");
    rc = json_object_set(doc, key, j->extra);
    rc |= put(doc, "HasCustomEventSelectors", json_true());
    json_t *out = j->out = json_object();
    rc |= put(out, "TrailARN", json_string(j->ref.arn));
    rc |= out ? json_object_set(out, key, j->extra) : -1;
    rc = rc ? -ENOMEM : txn_save_doc(t, j->ref.account, j->ref.key, doc);
    json_decref(doc);
    return rc;
}

int ct_put_event_selectors(struct req *r)
{
    struct trail_job *j;
    int rc = start_mutation(r, "TrailName", &j);
    if (rc)
        return rc;
    json_t *basic = member(j->in, "EventSelectors");
    json_t *adv = member(j->in, "AdvancedEventSelectors");
    if (basic && adv)
        return req_api_error(r, 400, "InvalidParameterCombinationException",
                             "You cannot apply both event selectors and advanced event selectors "
                             "to a trail.");
    if (!basic && !adv)
        return req_api_error(r, 400, "InvalidParameterCombinationException",
                             "Specify EventSelectors or AdvancedEventSelectors.");
    char msg[512];
    if (selectors_validate(basic, adv, msg, sizeof msg) != 0)
        return req_api_error(r, 400, "InvalidEventSelectorsException", "%s", msg);
    j->advanced = adv != NULL;
    j->extra = adv ? selectors_normalize_advanced(adv) : selectors_normalize_basic(basic);
    if (!j->extra)
        return oom(r);
    return req_commit(r, put_selectors_apply, job_then);
}

int ct_get_event_selectors(struct req *r)
{
    json_t *in = ct_request_body(r);
    if (!in)
        return -1;
    const char *name;
    struct trail_ref ref;
    json_t *doc = NULL;
    int rc = str_member(r, in, "TrailName", true, &name);
    if (!rc)
        rc = resolve_read(r, name, &ref, &doc);
    if (rc) {
        json_decref(in);
        return rc;
    }
    json_t *out = json_object();
    json_t *adv = json_object_get(doc, "AdvancedEventSelectors");
    json_t *basic = json_object_get(doc, "EventSelectors");
    rc = put(out, "TrailARN", json_string(doc_str(doc, "TrailARN")));
    if (adv)
        rc |= put(out, "AdvancedEventSelectors", json_incref(adv));
    else
        rc |= put(out, "EventSelectors", basic ? json_incref(basic) : selectors_default_basic());
    json_decref(doc);
    json_decref(in);
    if (rc) {
        json_decref(out);
        return oom(r);
    }
    return ct_reply(r, out);
}

/* ---- GetTrail / GetTrailStatus ------------------------------------------------------------- */

int ct_get_trail(struct req *r)
{
    json_t *in = ct_request_body(r);
    if (!in)
        return -1;
    const char *name;
    struct trail_ref ref;
    json_t *doc = NULL;
    int rc = str_member(r, in, "Name", true, &name);
    if (!rc)
        rc = resolve_read(r, name, &ref, &doc);
    json_decref(in);
    if (rc)
        return rc;
    json_t *out = json_object();
    rc = put(out, "Trail", trail_shape(doc, true));
    json_decref(doc);
    if (rc) {
        json_decref(out);
        return oom(r);
    }
    return ct_reply(r, out);
}

static int put_iso(json_t *o, const char *key, json_t *from, const char *member_name)
{
    int64_t ms = doc_int(from, member_name, -1);
    char iso[32] = "";
    if (json_is_integer(json_object_get(from, member_name)))
        iso_secs(ms, iso);
    return put(o, key, json_string(iso));
}

int ct_get_trail_status(struct req *r)
{
    json_t *in = ct_request_body(r);
    if (!in)
        return -1;
    const char *name;
    struct trail_ref ref;
    json_t *doc = NULL;
    int rc = str_member(r, in, "Name", true, &name);
    if (!rc)
        rc = resolve_read(r, name, &ref, &doc);
    json_decref(in);
    if (rc)
        return rc;
    json_t *d = json_object_get(doc, "delivery");
    json_t *o = json_object();
    /* The model's member order; numbers for the Date members, the deprecated twins as ISO
     * strings ("" when there is nothing to tell, as AWS answers). */
    rc = put(o, "IsLogging", json_boolean(doc_bool(doc, "IsLogging")));
    const char *err = doc_str(d, "LatestDeliveryError");
    if (err && err[0])
        rc |= put(o, "LatestDeliveryError", json_string(err));
    if (json_is_integer(json_object_get(d, "LatestDeliveryTime")))
        rc |= put(o, "LatestDeliveryTime", secs_json(doc_int(d, "LatestDeliveryTime", 0)));
    if (json_is_integer(json_object_get(doc, "StartLoggingTime")))
        rc |= put(o, "StartLoggingTime", secs_json(doc_int(doc, "StartLoggingTime", 0)));
    if (json_is_integer(json_object_get(doc, "StopLoggingTime")))
        rc |= put(o, "StopLoggingTime", secs_json(doc_int(doc, "StopLoggingTime", 0)));
    if (json_is_integer(json_object_get(d, "LatestDigestDeliveryTime")))
        rc |= put(o, "LatestDigestDeliveryTime",
                  secs_json(doc_int(d, "LatestDigestDeliveryTime", 0)));
    const char *derr = doc_str(d, "LatestDigestDeliveryError");
    if (derr && derr[0])
        rc |= put(o, "LatestDigestDeliveryError", json_string(derr));
    rc |= put_iso(o, "LatestDeliveryAttemptTime", d, "LatestDeliveryAttemptTime");
    rc |= put(o, "LatestNotificationAttemptTime", json_string(""));
    rc |= put(o, "LatestNotificationAttemptSucceeded", json_string(""));
    rc |= put_iso(o, "LatestDeliveryAttemptSucceeded", d, "LatestDeliveryAttemptSucceeded");
    rc |= put_iso(o, "TimeLoggingStarted", doc, "StartLoggingTime");
    rc |= put_iso(o, "TimeLoggingStopped", doc, "StopLoggingTime");
    json_decref(doc);
    if (rc) {
        json_decref(o);
        return oom(r);
    }
    return ct_reply(r, o);
}

/* ---- DescribeTrails / ListTrails ----------------------------------------------------------- */

/* Whether a trail homed in `home` is seen from the called region. */
static bool visible(struct req *r, json_t *doc, bool shadows)
{
    const char *home = doc_str(doc, "HomeRegion");
    if (home && strcmp(home, r->region) == 0)
        return true;
    return shadows && doc_bool(doc, "IsMultiRegionTrail");
}

int ct_describe_trails(struct req *r)
{
    json_t *in = ct_request_body(r);
    if (!in)
        return -1;
    bool has, shadows = true;
    int rc = bool_member(r, in, "includeShadowTrails", &has, &shadows);
    json_t *names = member(in, "trailNameList");
    if (!rc && names && !json_is_array(names))
        rc = req_api_error(r, 400, "SerializationException", "trailNameList must be a list");
    /* Every name or ARN is checked before anything is looked up. */
    size_t nn = json_array_size(names);
    struct trail_ref *refs = nn ? calloc(nn, sizeof *refs) : NULL;
    if (!rc && nn && !refs)
        rc = oom(r);
    for (size_t i = 0; !rc && i < nn; i++) {
        const char *s = json_string_value(json_array_get(names, i));
        if (!s)
            rc = req_api_error(r, 400, "SerializationException", "trailNameList must hold strings");
        else
            rc = parse_ref(r, s, &refs[i]);
    }
    json_decref(in);
    struct store_doc *v = NULL;
    size_t n = 0;
    if (!rc && (rc = list_docs(r, &v, &n)) != 0)
        rc = store_err(r, rc);
    if (rc) {
        free(refs);
        return rc;
    }
    json_t *out = json_object();
    json_t *list = json_array();
    int bad = !out || !list;
    for (size_t i = 0; i < n && !bad; i++) {
        json_t *doc = json_loads(v[i].value, 0, NULL);
        bool take;
        if (nn == 0) {
            take = visible(r, doc, shadows);
        } else {
            /* Names: trails of the called region; ARNs: the trail they name, wherever it is
             * homed. Unknown ones are left out, as AWS does. */
            take = false;
            for (size_t k = 0; k < nn && !take; k++)
                take = strcmp(refs[k].account, r->who.account_id) == 0 &&
                       strcmp(refs[k].key, v[i].name) == 0;
        }
        if (take)
            bad = json_array_append_new(list, trail_shape(doc, true)) != 0;
        json_decref(doc);
    }
    store_docs_free(v, n);
    free(refs);
    if (!bad) {
        bad = json_object_set_new(out, "trailList", list) != 0;
        list = NULL;
    }
    json_decref(list);
    if (bad) {
        json_decref(out);
        return oom(r);
    }
    return ct_reply(r, out);
}

int ct_list_trails(struct req *r)
{
    json_t *in = ct_request_body(r);
    if (!in)
        return -1;
    /* Every trail of the account, all regions, in one page: there are at most five per region,
     * so no NextToken is ever issued (one sent is ignored). */
    json_decref(in);
    struct store_doc *v = NULL;
    size_t n = 0;
    int rc = list_docs(r, &v, &n);
    if (rc)
        return store_err(r, rc);
    json_t *out = json_object();
    json_t *list = json_array();
    int bad = !out || !list;
    for (size_t i = 0; i < n && !bad; i++) {
        json_t *doc = json_loads(v[i].value, 0, NULL);
        json_t *t = json_object();
        bad = put(t, "TrailARN", json_string(doc_str(doc, "TrailARN"))) |
              put(t, "Name", json_string(doc_str(doc, "Name"))) |
              put(t, "HomeRegion", json_string(doc_str(doc, "HomeRegion")));
        bad |= json_array_append_new(list, t);
        json_decref(doc);
    }
    store_docs_free(v, n);
    if (!bad) {
        bad = json_object_set_new(out, "Trails", list) != 0;
        list = NULL;
    }
    json_decref(list);
    if (bad) {
        json_decref(out);
        return oom(r);
    }
    return ct_reply(r, out);
}

/* ---- AddTags / RemoveTags / ListTags ------------------------------------------------------- */

/* A ResourceId: a trail ARN of the called region (other regions' ARNs are refused as AWS
 * refuses them). */
static int parse_resource(struct req *r, const char *s, struct trail_ref *ref)
{
    memset(ref, 0, sizeof *ref);
    int rc = parse_arn(r, s, ref);
    if (rc)
        return rc;
    if (strcmp(ref->home, r->region) != 0)
        return req_api_error(r, 400, "CloudTrailARNInvalidException",
                             "Region in ARN is wrong, you can only access resources in region "
                             "%s.",
                             r->region);
    return 0;
}

static int resource_not_found(struct req *r, const char *arn)
{
    return req_api_error(r, 400, "ResourceNotFoundException", "Resource %s does not exist.", arn);
}

static int tags_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct trail_job *j = r->handler_state;
    json_t *doc = NULL;
    int rc = txn_load_doc(t, j->ref.account, j->ref.key, &doc);
    if (rc == -ENOENT)
        return job_refuse(j, "ResourceNotFoundException", "Resource %s does not exist.",
                          j->ref.arn);
    if (rc)
        return rc;
    json_t *cur = json_object_get(doc, "TagsList");
    if (!json_is_array(cur)) {
        cur = json_array();
        rc |= put(doc, "TagsList", cur);
    }
    size_t i;
    json_t *tag;
    json_array_foreach(j->extra, i, tag)
    {
        const char *k = json_string_value(member(tag, "Key"));
        size_t at = json_array_size(cur);
        for (size_t x = 0; x < json_array_size(cur); x++)
            if (k && doc_str(json_array_get(cur, x), "Key") &&
                strcmp(doc_str(json_array_get(cur, x), "Key"), k) == 0)
                at = x;
        if (j->add && at < json_array_size(cur))
            rc |= json_array_set_new(cur, at, tag_json(tag));
        else if (j->add)
            rc |= json_array_append_new(cur, tag_json(tag));
        else if (at < json_array_size(cur))
            rc |= json_array_remove(cur, at);
    }
    if (!rc && json_array_size(cur) > TRAILS_MAX_TAGS) {
        json_decref(doc);
        return job_refuse(j, "TagsLimitExceededException",
                          "A trail can have at most %d tags; this request would leave %zu.",
                          TRAILS_MAX_TAGS, json_array_size(cur));
    }
    rc = rc ? -ENOMEM : txn_save_doc(t, j->ref.account, j->ref.key, doc);
    json_decref(doc);
    return rc;
}

static int tags(struct req *r, bool add)
{
    json_t *in = ct_request_body(r);
    if (!in)
        return -1;
    struct trail_job *j = job_new(r, in);
    if (!j) {
        json_decref(in);
        return oom(r);
    }
    j->add = add;
    const char *id;
    int rc = str_member(r, in, "ResourceId", true, &id);
    if (!rc)
        rc = parse_resource(r, id, &j->ref);
    if (!rc && strcmp(j->ref.account, r->who.account_id) != 0)
        rc = resource_not_found(r, id);
    json_t *list = member(in, "TagsList");
    if (!rc && !list)
        rc = req_api_error(r, 400, "InvalidParameterException",
                           "The parameter TagsList is required.");
    /* More than a trail may hold can never be added; refused before the quadratic check. */
    if (!rc && add && json_array_size(list) > TRAILS_MAX_TAGS)
        rc = req_api_error(r, 400, "TagsLimitExceededException",
                           "A trail can have at most %d tags.", TRAILS_MAX_TAGS);
    if (!rc)
        rc = check_tags(r, list, add);
    if (rc)
        return rc;
    j->extra = json_incref(list);
    return req_commit(r, tags_apply, job_then);
}

int ct_add_tags(struct req *r)
{
    return tags(r, true);
}

int ct_remove_tags(struct req *r)
{
    return tags(r, false);
}

int ct_list_tags(struct req *r)
{
    json_t *in = ct_request_body(r);
    if (!in)
        return -1;
    json_t *ids = member(in, "ResourceIdList");
    int rc = 0;
    if (!ids)
        rc = req_api_error(r, 400, "InvalidParameterException",
                           "The parameter ResourceIdList is required.");
    else if (!json_is_array(ids))
        rc = req_api_error(r, 400, "SerializationException", "ResourceIdList must be a list");
    else if (json_array_size(ids) > LIST_TAGS_MAX_IDS)
        rc = req_api_error(r, 400, "InvalidParameterException",
                           "ResourceIdList can name at most %d resources.", LIST_TAGS_MAX_IDS);
    json_t *out = json_object();
    json_t *list = json_array();
    if (!rc && (!out || !list))
        rc = oom(r);
    size_t i;
    json_t *idv;
    json_array_foreach(rc ? NULL : ids, i, idv)
    {
        const char *id = json_string_value(idv);
        struct trail_ref ref;
        if (!id) {
            rc =
                req_api_error(r, 400, "SerializationException", "ResourceIdList must hold strings");
            break;
        }
        if ((rc = parse_resource(r, id, &ref)) != 0)
            break;
        json_t *doc = NULL;
        rc = strcmp(ref.account, r->who.account_id) == 0
                 ? load_doc(r->st, ref.account, ref.key, &doc)
                 : -ENOENT;
        if (rc) {
            rc = rc == -ENOENT ? resource_not_found(r, id) : store_err(r, rc);
            break;
        }
        json_t *item = json_object();
        json_t *tl = json_object_get(doc, "TagsList");
        int bad = put(item, "ResourceId", json_string(ref.arn));
        bad |= put(item, "TagsList", json_is_array(tl) ? json_incref(tl) : json_array());
        bad |= json_array_append_new(list, item);
        json_decref(doc);
        if (bad) {
            rc = oom(r);
            break;
        }
    }
    json_decref(in);
    if (!rc) {
        rc = json_object_set_new(out, "ResourceTagList", list) ? oom(r) : 0;
        list = NULL;
    }
    json_decref(list);
    if (rc) {
        json_decref(out);
        return rc;
    }
    return ct_reply(r, out);
}
