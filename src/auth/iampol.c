/*
 * iampol.c — IAM policy documents: validation and evaluation (contract: iampol.h).
 *
 * Every entry point parses the document with jansson and walks the tree; nothing is cached.
 *
 * Validation messages. IAM answers MalformedPolicyDocument with the message of the first fault it
 * meets; the messages and their order below follow what IAM was seen answering (users' reports
 * quoted in issue threads: "Syntax errors in policy." for unknown members and unknown condition
 * operators, aws-cloudformation/cfn-lint#3751; "Invalid principal in policy: \"AWS\":\"...\"",
 * aws-samples/aws-iam-access-key-auto-rotation#26; "Policy statement must contain resources.",
 * aws-samples/aws-health-aware#1; "Actions/Condition can contain only one colon.",
 * garnaat/kappa#111; "The policy failed legacy parsing", 99designs/iamy#65; "Action vendors ...
 * must not contain wildcards", boogy/iam-policy-validator#172; "Policy document should not
 * specify a principal.", hashicorp/terraform-provider-aws#10419) and the catalogue moto keeps of
 * IAM's answers (the pass order: syntax, legacy parsing, Sid uniqueness, actions, resources,
 * resource formats, action vendors). "AssumeRole policy may only specify STS AssumeRole
 * actions." and the Sid character rule are IAM's as commonly reported, not seen first hand.
 *
 * Work bounds: every loop is over the document's members or the request's key values (at most
 * MAX_KEY_VALUES per key); the one superlinear step is the wildcard matcher, O(pattern × text)
 * in the worst case (greedy, backtracking to the last '*' only), never exponential.
 */
#include "auth/iampol.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "auth/principal.h"

#define MSG_SYNTAX "Syntax errors in policy."
#define MSG_LEGACY "The policy failed legacy parsing"
#define MSG_PRINCIPAL_IN_IDENTITY "Policy document should not specify a principal."
#define MSG_NO_PRINCIPAL "Missing required field Principal"
#define MSG_NO_ACTIONS "Policy statement must contain actions."
#define MSG_NO_RESOURCES "Policy statement must contain resources."
#define MSG_SID_UNIQUE "Statement IDs (SID) in a single policy must be unique."
#define MSG_SID_CHARS                                                                              \
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "     \
    "expression [0-9A-Za-z]*"
#define MSG_VENDOR "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
#define MSG_ONE_COLON "Actions/Condition can contain only one colon."
#define MSG_VENDOR_WILDCARD "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards"
#define MSG_TRUST_ACTION "AssumeRole policy may only specify STS AssumeRole actions."
#define MSG_RESOURCE_VENDOR "Resource vendor must be fully qualified and cannot contain regexes."
#define MSG_IAM_PATH                                                                               \
    "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, " \
    "instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, "           \
    "oidc-provider/, report/, access-report/."

/* How many values of one condition key are considered (a request carries a handful). */
#define MAX_KEY_VALUES 64
/* Longest condition key or variable name looked up (IAM keys are far shorter). */
#define MAX_KEY_NAME 256

/* ---- wildcards ------------------------------------------------------------------------------- */

static bool same_char(char a, char b, bool icase)
{
    return icase ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

/* IAM globbing: '*' any run (the empty one too), '?' exactly one byte. lit, when not NULL, marks
 * pattern bytes that stand for themselves even when they are '*' or '?' (what ${*} and ${?}
 * produce). Greedy with a single backtrack point, the last '*' seen: a later '*' can absorb
 * anything an earlier one would have, so retrying from the last star only is exact, and the cost
 * is at most pn × sn steps (no exponential blow-up on "*a*a*a*b"). */
static bool glob_lit(const char *p, const unsigned char *lit, size_t pn, const char *s, size_t sn,
                     bool icase)
{
    size_t pi = 0, si = 0, star = SIZE_MAX, resume = 0;
    while (si < sn) {
        bool wild = pi < pn && !(lit && lit[pi]);
        if (wild && p[pi] == '*') {
            star = pi++;
            resume = si;
        } else if (pi < pn && ((wild && p[pi] == '?') || same_char(p[pi], s[si], icase))) {
            pi++;
            si++;
        } else if (star != SIZE_MAX) {
            pi = star + 1;
            si = ++resume;
        } else {
            return false;
        }
    }
    while (pi < pn && p[pi] == '*' && !(lit && lit[pi]))
        pi++;
    return pi == pn;
}

static bool glob(const char *p, const char *s, bool icase)
{
    return glob_lit(p, NULL, strlen(p), s, strlen(s), icase);
}

static bool has_wildcard(const char *s)
{
    return strpbrk(s, "*?") != NULL;
}

/* ---- JSON helpers ---------------------------------------------------------------------------- */

/* Elements that take a string or an array of strings. */
static bool is_strs(const json_t *v)
{
    if (json_is_string(v))
        return true;
    if (!json_is_array(v))
        return false;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) if (!json_is_string(e)) return false;
    return true;
}

static size_t strs_count(const json_t *v)
{
    return json_is_array(v) ? json_array_size(v) : 1;
}

static const char *strs_at(const json_t *v, size_t i)
{
    return json_string_value(json_is_array(v) ? json_array_get(v, i) : v);
}

/* Condition values: strings, numbers and booleans ("Bool": {"aws:SecureTransport": false} and
 * numbers written bare are common), alone or in an array. */
static bool is_scalar(const json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

static bool is_scalars(const json_t *v)
{
    if (is_scalar(v))
        return true;
    if (!json_is_array(v))
        return false;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) if (!is_scalar(e)) return false;
    return true;
}

/* The text of a scalar condition value; tmp holds numbers' text. */
static const char *scalar_text(const json_t *v, char tmp[64])
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(tmp, 64, "%lld", (long long)json_integer_value(v));
        return tmp;
    }
    if (json_is_real(v)) {
        snprintf(tmp, 64, "%.17g", json_real_value(v));
        return tmp;
    }
    if (json_is_true(v))
        return "true";
    if (json_is_false(v))
        return "false";
    return NULL;
}

/* Parses a document: NULL unless it is a JSON object (a NUL byte anywhere refuses it: jansson
 * would stop at one after a number, and stored documents are C strings). */
static json_t *load(const char *doc, size_t len)
{
    if (!doc || memchr(doc, '\0', len))
        return NULL;
    json_t *j = json_loadb(doc, len, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* The statements: Statement as one object or an array of them. */
static size_t stmt_count(const json_t *st)
{
    return json_is_array(st) ? json_array_size(st) : (json_is_object(st) ? 1 : 0);
}

static json_t *stmt_at(json_t *st, size_t i)
{
    return json_is_array(st) ? json_array_get(st, i) : st;
}

/* ---- condition operators --------------------------------------------------------------------- */

enum cmp {
    CMP_STR, CMP_STR_IC, CMP_STR_LIKE,
    CMP_NUM_EQ, CMP_NUM_LT, CMP_NUM_LE, CMP_NUM_GT, CMP_NUM_GE,
    CMP_DATE_EQ, CMP_DATE_LT, CMP_DATE_LE, CMP_DATE_GT, CMP_DATE_GE,
    CMP_BOOL, CMP_BINARY, CMP_IP, CMP_ARN, CMP_NULL,
};

static const struct opdef {
    const char *name;
    enum cmp cmp;
    bool negated;
} opdefs[] = {
    {"StringEquals", CMP_STR, false},
    {"StringNotEquals", CMP_STR, true},
    {"StringEqualsIgnoreCase", CMP_STR_IC, false},
    {"StringNotEqualsIgnoreCase", CMP_STR_IC, true},
    {"StringLike", CMP_STR_LIKE, false},
    {"StringNotLike", CMP_STR_LIKE, true},
    {"NumericEquals", CMP_NUM_EQ, false},
    {"NumericNotEquals", CMP_NUM_EQ, true},
    {"NumericLessThan", CMP_NUM_LT, false},
    {"NumericLessThanEquals", CMP_NUM_LE, false},
    {"NumericGreaterThan", CMP_NUM_GT, false},
    {"NumericGreaterThanEquals", CMP_NUM_GE, false},
    {"DateEquals", CMP_DATE_EQ, false},
    {"DateNotEquals", CMP_DATE_EQ, true},
    {"DateLessThan", CMP_DATE_LT, false},
    {"DateLessThanEquals", CMP_DATE_LE, false},
    {"DateGreaterThan", CMP_DATE_GT, false},
    {"DateGreaterThanEquals", CMP_DATE_GE, false},
    {"Bool", CMP_BOOL, false},
    {"BinaryEquals", CMP_BINARY, false},
    {"IpAddress", CMP_IP, false},
    {"NotIpAddress", CMP_IP, true},
    {"ArnEquals", CMP_ARN, false},
    {"ArnLike", CMP_ARN, false},
    {"ArnNotEquals", CMP_ARN, true},
    {"ArnNotLike", CMP_ARN, true},
    {"Null", CMP_NULL, false},
};

enum setop { SET_NONE, SET_ANY, SET_ALL };

struct op {
    const struct opdef *def;
    enum setop set;
    bool if_exists;
};

/* Parses "[ForAllValues:|ForAnyValue:]Name[IfExists]" (case-insensitively). false when it is
 * not an operator (NullIfExists included: Null already tests presence). */
static bool op_parse(const char *name, struct op *op)
{
    op->set = SET_NONE;
    op->if_exists = false;
    if (strncasecmp(name, "ForAllValues:", 13) == 0) {
        op->set = SET_ALL;
        name += 13;
    } else if (strncasecmp(name, "ForAnyValue:", 12) == 0) {
        op->set = SET_ANY;
        name += 12;
    }
    size_t n = strlen(name);
    if (n > 8 && strcasecmp(name + n - 8, "IfExists") == 0) {
        op->if_exists = true;
        n -= 8;
    }
    for (size_t i = 0; i < sizeof opdefs / sizeof opdefs[0]; i++) {
        if (strlen(opdefs[i].name) == n && strncasecmp(opdefs[i].name, name, n) == 0) {
            op->def = &opdefs[i];
            return !(op->if_exists && opdefs[i].cmp == CMP_NULL);
        }
    }
    return false;
}

static bool is_date_cmp(enum cmp c)
{
    return c >= CMP_DATE_EQ && c <= CMP_DATE_GE;
}

/* ---- dates, numbers, addresses --------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n digits at *s into *v; advances. */
static bool digits(const char **s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return false;
        x = x * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *v = x;
    return true;
}

/* IAM's date forms: epoch seconds ("1700000000"), or ISO 8601 "YYYY[-MM[-DD]][Thh[:mm[:ss[.f]]]]"
 * with "Z" or "+hh[:mm]" / "-hh[:mm]" (UTC when absent). Seconds since the epoch into *out. */
static bool parse_date(const char *s, double *out)
{
    if (!*s)
        return false;
    if (strspn(s, "0123456789") == strlen(s)) {
        if (strlen(s) > 15)
            return false;
        *out = strtod(s, NULL);
        return true;
    }
    int y, mo = 1, d = 1, h = 0, mi = 0, sec = 0;
    double frac = 0;
    if (!digits(&s, 4, &y))
        return false;
    if (*s == '-') {
        s++;
        if (!digits(&s, 2, &mo))
            return false;
        if (*s == '-') {
            s++;
            if (!digits(&s, 2, &d))
                return false;
        }
    }
    if (*s == 'T' || *s == 't') {
        s++;
        if (!digits(&s, 2, &h))
            return false;
        if (*s == ':') {
            s++;
            if (!digits(&s, 2, &mi))
                return false;
            if (*s == ':') {
                s++;
                if (!digits(&s, 2, &sec))
                    return false;
                if (*s == '.') {
                    s++;
                    double scale = 0.1;
                    if (!isdigit((unsigned char)*s))
                        return false;
                    while (isdigit((unsigned char)*s)) {
                        frac += (*s - '0') * scale;
                        scale /= 10;
                        s++;
                    }
                }
            }
        }
    }
    int tz = 0;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s == '-' ? -1 : 1, th, tm = 0;
        s++;
        if (!digits(&s, 2, &th))
            return false;
        if (*s == ':')
            s++;
        if (*s && !digits(&s, 2, &tm))
            return false;
        if (th > 23 || tm > 59)
            return false;
        tz = sign * (th * 3600 + tm * 60);
    }
    if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    *out = (double)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - tz) + frac;
    return true;
}

/* A decimal number ("10", "-1.5", "2e3"); strtod's hexadecimal, "inf" and "nan" forms are not
 * numbers in a policy. */
static bool parse_num(const char *s, double *out)
{
    char *end;
    if (!*s || strspn(s, "0123456789+-.eE") != strlen(s))
        return false;
    *out = strtod(s, &end);
    return *end == '\0' && *out == *out; /* NaN never compares */
}

struct addr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char b[16];
    int bits;   /* prefix length */
};

/* "a.b.c.d[/n]" or an IPv6 address "[/n]"; a lone address is /32 or /128. */
static bool parse_cidr(const char *s, struct addr *a)
{
    char tmp[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    int max;
    if (inet_pton(AF_INET, tmp, a->b) == 1) {
        a->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, tmp, a->b) == 1) {
        a->family = AF_INET6;
        max = 128;
    } else {
        return false;
    }
    a->bits = max;
    if (slash) {
        const char *p = slash + 1;
        size_t nd = strspn(p, "0123456789");
        if (nd == 0 || nd > 3 || p[nd])
            return false;
        a->bits = atoi(p);
        if (a->bits > max)
            return false;
    }
    return true;
}

static bool ip_in(const char *ip, const char *cidr)
{
    struct addr r, c;
    if (!parse_cidr(ip, &r) || !parse_cidr(cidr, &c) || r.family != c.family)
        return false;
    int full = c.bits / 8, rest = c.bits % 8;
    if (memcmp(r.b, c.b, (size_t)full) != 0)
        return false;
    if (rest) {
        unsigned char mask = (unsigned char)(0xff << (8 - rest));
        if ((r.b[full] & mask) != (c.b[full] & mask))
            return false;
    }
    return true;
}

/* ArnEquals / ArnLike: "Each of the six colon-delimited components of the ARN is checked
 * separately and each can include multi-character match wildcards (*) or single-character match
 * wildcards (?)"; the sixth component is the rest, colons included. */
static bool arn_match(const char *p, const unsigned char *lit, size_t pn, const char *s)
{
    size_t pi = 0;
    for (int part = 0; part < 5; part++) {
        const char *pc = memchr(p + pi, ':', pn - pi), *sc = strchr(s, ':');
        if (!pc || !sc)
            return false;
        size_t plen = (size_t)(pc - (p + pi));
        if (!glob_lit(p + pi, lit ? lit + pi : NULL, plen, s, (size_t)(sc - s), false))
            return false;
        pi += plen + 1;
        s = sc + 1;
    }
    return glob_lit(p + pi, lit ? lit + pi : NULL, pn - pi, s, strlen(s), false);
}

/* ---- evaluation context ---------------------------------------------------------------------- */

struct ev {
    enum iampol_kind kind;
    bool v2012;
    const struct iampol_request *q;
    const struct principal *who; /* never NULL: an anonymous stand-in when q->who is */
};

static const struct principal anonymous_principal = {.type = PRINCIPAL_ANONYMOUS};

static bool is_anonymous(const struct principal *w)
{
    return w->type == PRINCIPAL_ANONYMOUS;
}

/* aws:PrincipalType's values (IAM global condition keys). */
static const char *principal_type_key(const struct principal *w)
{
    switch (w->type) {
    case PRINCIPAL_ANONYMOUS: return "Anonymous";
    case PRINCIPAL_ROOT: return "Account";
    case PRINCIPAL_IAM_USER: return "User";
    case PRINCIPAL_ASSUMED_ROLE: return "AssumedRole";
    case PRINCIPAL_FEDERATED_USER: return "FederatedUser";
    case PRINCIPAL_AWS_SERVICE: return NULL;
    }
    return NULL;
}

/* The values IAM derives from the requester itself, for keys the request's own key function
 * does not answer: aws:username (IAM users), aws:userid, aws:PrincipalAccount, aws:PrincipalArn
 * (an assumed role's role ARN, as IAM gives it), aws:PrincipalType. NULL when absent. */
static const char *who_key(const struct principal *w, const char *name)
{
    bool anon = is_anonymous(w), svc = w->type == PRINCIPAL_AWS_SERVICE;
    if (strcasecmp(name, "aws:username") == 0)
        return w->type == PRINCIPAL_IAM_USER && w->user_name[0] ? w->user_name : NULL;
    if (strcasecmp(name, "aws:userid") == 0) {
        if (anon)
            return "anonymous";
        if (w->type == PRINCIPAL_ROOT)
            return w->account_id[0] ? w->account_id : NULL;
        if (w->type == PRINCIPAL_IAM_USER && w->unique_id[0])
            return w->unique_id;
        return w->principal_id[0] ? w->principal_id : NULL;
    }
    if (strcasecmp(name, "aws:PrincipalAccount") == 0)
        return !anon && !svc && w->account_id[0] ? w->account_id : NULL;
    if (strcasecmp(name, "aws:PrincipalArn") == 0) {
        if (anon || svc)
            return NULL;
        if (w->type == PRINCIPAL_ASSUMED_ROLE && w->issuer_arn[0])
            return w->issuer_arn;
        return w->arn[0] ? w->arn : NULL;
    }
    if (strcasecmp(name, "aws:PrincipalType") == 0)
        return principal_type_key(w);
    return NULL;
}

/* A condition key's values: the request's key function first, then who_key(). Returns how many
 * were stored in vals (at most MAX_KEY_VALUES). */
static size_t key_values(const struct ev *e, const char *name, const char **vals)
{
    const struct iampol_request *q = e->q;
    if (q->key) {
        size_t n = q->key(q->key_arg, name, vals, MAX_KEY_VALUES);
        if (n > 0) {
            /* A key function that left slots empty is treated as giving fewer values. */
            size_t m = n < MAX_KEY_VALUES ? n : MAX_KEY_VALUES, k = 0;
            for (size_t i = 0; i < m; i++)
                if (vals[i])
                    vals[k++] = vals[i];
            if (k > 0)
                return k;
        }
    }
    const char *v = who_key(e->who, name);
    if (!v)
        return 0;
    vals[0] = v;
    return 1;
}

/* ---- policy variables ------------------------------------------------------------------------ */

/* Expands the policy variables of s (Version 2012-10-17 only): ${key} takes the key's single
 * value, ${key, 'default'} the default when the key is absent, ${*} ${?} ${$} stand for the
 * literal characters. Text goes to txt; lit gets one byte per text byte, 1 where the byte must
 * match literally (substituted text and the ${*} / ${?} escapes). Returns 1 when expanded, 0
 * when a variable has no value (the element then matches nothing), -ENOMEM. A "${" without a
 * closing brace is text. */
static int expand(const struct ev *e, const char *s, struct buf *txt, struct buf *lit)
{
    buf_reset(txt);
    buf_reset(lit);
    static const unsigned char zeros[64];
    unsigned char ones[64];
    memset(ones, 1, sizeof ones);
    for (const char *p = s; *p;) {
        const char *open = strstr(p, "${");
        const char *close = open ? strchr(open + 2, '}') : NULL;
        if (!open || !close) {
            open = p + strlen(p);
            close = NULL;
        }
        for (const char *c = p; c < open; c += 64) {
            size_t n = (size_t)(open - c) < 64 ? (size_t)(open - c) : 64;
            buf_append(txt, c, n);
            buf_append(lit, zeros, n);
        }
        if (!close)
            break;
        const char *name = open + 2;
        size_t nlen = (size_t)(close - name);
        const char *val = NULL, *def = NULL;
        size_t deflen = 0;
        char key[MAX_KEY_NAME];
        if (nlen == 1 && strchr("*?$", name[0])) {
            val = name;
            deflen = 1;
        } else {
            /* ${key, 'default'} */
            const char *comma = memchr(name, ',', nlen);
            size_t klen = comma ? (size_t)(comma - name) : nlen;
            while (klen > 0 && name[klen - 1] == ' ')
                klen--;
            if (comma) {
                const char *d = comma + 1;
                while (d < close && *d == ' ')
                    d++;
                const char *dend = close;
                while (dend > d && dend[-1] == ' ')
                    dend--;
                if (dend - d >= 2 && *d == '\'' && dend[-1] == '\'') {
                    def = d + 1;
                    deflen = (size_t)(dend - d - 2);
                }
            }
            if (klen > 0 && klen < sizeof key) {
                memcpy(key, name, klen);
                key[klen] = '\0';
                const char *vals[MAX_KEY_VALUES];
                /* A multi-valued key cannot stand in one place. */
                if (key_values(e, key, vals) == 1)
                    val = vals[0];
            }
            if (val)
                deflen = strlen(val);
            else if (def)
                val = def;
            else
                return 0;
        }
        for (size_t done = 0; done < deflen; done += 64) {
            size_t n = deflen - done < 64 ? deflen - done : 64;
            buf_append(txt, val + done, n);
            buf_append(lit, ones, n);
        }
        p = close + 1;
    }
    if (!buf_ok(txt) || !buf_ok(lit))
        return -ENOMEM;
    return 1;
}

/* A pattern ready to match: the policy's text, variables expanded when the version has them. */
struct pat {
    const char *p;
    const unsigned char *lit;
    size_t n;
};

/* Prepares the pattern for s; txt / lit are scratch buffers owned by the caller. 1 ready, 0 a
 * variable has no value, -ENOMEM. */
static int pat_make(const struct ev *e, const char *s, struct buf *txt, struct buf *lit,
                    struct pat *out)
{
    if (!e->v2012 || !strstr(s, "${")) {
        out->p = s;
        out->lit = NULL;
        out->n = strlen(s);
        return 1;
    }
    int rc = expand(e, s, txt, lit);
    if (rc <= 0)
        return rc;
    out->p = txt->data ? txt->data : ""; /* an empty expansion leaves the buffers unallocated */
    out->lit = (const unsigned char *)lit->data;
    out->n = txt->len;
    return 1;
}

/* ---- Action, Resource ------------------------------------------------------------------------ */

static bool action_matches(const json_t *v, const char *action)
{
    for (size_t i = 0, n = strs_count(v); i < n; i++) {
        const char *p = strs_at(v, i);
        if (p && glob(p, action, true))
            return true;
    }
    return false;
}

/* 1 when some pattern of v matches resource, 0 none, -ENOMEM. */
static int resource_matches(const struct ev *e, const json_t *v, const char *resource)
{
    struct buf txt = BUF_INIT, lit = BUF_INIT;
    int found = 0;
    for (size_t i = 0, n = strs_count(v); i < n && !found; i++) {
        const char *s = strs_at(v, i);
        struct pat p;
        int rc = s ? pat_make(e, s, &txt, &lit, &p) : 0;
        if (rc < 0) {
            found = rc;
            break;
        }
        if (rc == 1 && glob_lit(p.p, p.lit, p.n, resource, strlen(resource), false))
            found = 1;
    }
    buf_free(&txt);
    buf_free(&lit);
    return found;
}

/* ---- Principal ------------------------------------------------------------------------------- */

enum reach { REACH_NONE = 0, REACH_ACCOUNT = 1, REACH_SELF = 2 };

static bool is_account_id(const char *s)
{
    return strlen(s) == 12 && strspn(s, "0123456789") == 12;
}

/* "arn:aws:<svc>::<12 digits>:<rest>": the account (into acct) and the rest; false otherwise. */
static bool principal_arn(const char *s, const char *svc, char acct[13], const char **rest)
{
    size_t sl = strlen(svc);
    if (strncmp(s, "arn:aws:", 8) != 0 || strncmp(s + 8, svc, sl) != 0 ||
        strncmp(s + 8 + sl, "::", 2) != 0)
        return false;
    const char *a = s + 8 + sl + 2;
    if (strspn(a, "0123456789") != 12 || a[12] != ':')
        return false;
    memcpy(acct, a, 12);
    acct[12] = '\0';
    *rest = a + 13;
    return true;
}

/* Whether an "AWS" principal value names the principal w, and how. */
static enum reach reach_aws(const struct principal *w, const char *v)
{
    if (strcmp(v, "*") == 0)
        return REACH_SELF;
    if (is_anonymous(w) || w->type == PRINCIPAL_AWS_SERVICE)
        return REACH_NONE;
    if (is_account_id(v))
        return strcmp(v, w->account_id) == 0 ? REACH_ACCOUNT : REACH_NONE;
    char acct[13];
    const char *rest;
    if (principal_arn(v, "iam", acct, &rest)) {
        if (strcmp(acct, w->account_id) != 0)
            return REACH_NONE;
        if (strcmp(rest, "root") == 0)
            return REACH_ACCOUNT;
        if (strncmp(rest, "user/", 5) == 0)
            return w->type == PRINCIPAL_IAM_USER && strcmp(v, w->arn) == 0 ? REACH_SELF
                                                                           : REACH_NONE;
        if (strncmp(rest, "role/", 5) == 0)
            return w->type == PRINCIPAL_ASSUMED_ROLE && strcmp(v, w->issuer_arn) == 0
                       ? REACH_SELF
                       : REACH_NONE;
        return REACH_NONE;
    }
    if (principal_arn(v, "sts", acct, &rest)) {
        if (strncmp(rest, "assumed-role/", 13) == 0)
            return w->type == PRINCIPAL_ASSUMED_ROLE && strcmp(v, w->arn) == 0 ? REACH_SELF
                                                                               : REACH_NONE;
        if (strncmp(rest, "federated-user/", 15) == 0)
            return w->type == PRINCIPAL_FEDERATED_USER && strcmp(v, w->arn) == 0 ? REACH_SELF
                                                                                 : REACH_NONE;
    }
    return REACH_NONE;
}

static enum reach reach_entry(const struct principal *w, const char *type, const char *v)
{
    if (strcmp(type, "AWS") == 0)
        return reach_aws(w, v);
    if (strcmp(type, "Service") == 0)
        return w->type == PRINCIPAL_AWS_SERVICE && strcasecmp(v, w->principal_id) == 0
                   ? REACH_SELF
                   : REACH_NONE;
    if (strcmp(type, "CanonicalUser") == 0)
        return !is_anonymous(w) && w->type != PRINCIPAL_AWS_SERVICE && w->canonical_id[0] &&
                       strcmp(v, w->canonical_id) == 0
                   ? REACH_ACCOUNT
                   : REACH_NONE;
    return REACH_NONE; /* Federated: web-identity and SAML sessions are not served here */
}

/* How a Principal / NotPrincipal element reaches w (the best of its entries); -EINVAL when the
 * element is not of a principal's shape. */
static int reach_element(const struct principal *w, const json_t *el)
{
    if (json_is_string(el))
        return strcmp(json_string_value(el), "*") == 0 ? REACH_SELF : -EINVAL;
    if (!json_is_object(el))
        return -EINVAL;
    int best = REACH_NONE;
    const char *type;
    json_t *v;
    json_object_foreach((json_t *)el, type, v)
    {
        if (!is_strs(v))
            return -EINVAL;
        for (size_t i = 0, n = strs_count(v); i < n; i++) {
            int r = (int)reach_entry(w, type, strs_at(v, i));
            if (r > best)
                best = r;
        }
    }
    return best;
}

/* ---- Condition ------------------------------------------------------------------------------- */

/* Whether the request value rv satisfies the positive comparison against the policy value pv
 * (pattern pp when variables were expanded). */
static bool compare(enum cmp c, const char *rv, const struct pat *pp, const char *pv)
{
    double a, b;
    switch (c) {
    case CMP_STR: return pp->n == strlen(rv) && memcmp(pp->p, rv, pp->n) == 0;
    case CMP_STR_IC: return pp->n == strlen(rv) && strncasecmp(pp->p, rv, pp->n) == 0;
    case CMP_STR_LIKE: return glob_lit(pp->p, pp->lit, pp->n, rv, strlen(rv), false);
    case CMP_ARN: return arn_match(pp->p, pp->lit, pp->n, rv);
    case CMP_NUM_EQ:
    case CMP_NUM_LT:
    case CMP_NUM_LE:
    case CMP_NUM_GT:
    case CMP_NUM_GE:
        if (!parse_num(rv, &a) || !parse_num(pv, &b))
            return false;
        break;
    case CMP_DATE_EQ:
    case CMP_DATE_LT:
    case CMP_DATE_LE:
    case CMP_DATE_GT:
    case CMP_DATE_GE:
        if (!parse_date(rv, &a) || !parse_date(pv, &b))
            return false;
        break;
    case CMP_BOOL: return strcasecmp(rv, pv) == 0 && (!strcasecmp(pv, "true") || !strcasecmp(pv, "false"));
    case CMP_BINARY: return strcmp(rv, pv) == 0;
    case CMP_IP: return ip_in(rv, pv);
    case CMP_NULL: return false;
    }
    switch (c) {
    case CMP_NUM_EQ:
    case CMP_DATE_EQ: return a == b;
    case CMP_NUM_LT:
    case CMP_DATE_LT: return a < b;
    case CMP_NUM_LE:
    case CMP_DATE_LE: return a <= b;
    case CMP_NUM_GT:
    case CMP_DATE_GT: return a > b;
    case CMP_NUM_GE:
    case CMP_DATE_GE: return a >= b;
    default: return false;
    }
}

static bool expands(enum cmp c)
{
    return c == CMP_STR || c == CMP_STR_IC || c == CMP_STR_LIKE || c == CMP_ARN;
}

/* Whether request value rv matches some policy value of pvals (values are ORed). 1 / 0 /
 * -ENOMEM. */
static int value_matches(const struct ev *e, enum cmp c, const char *rv, const json_t *pvals,
                         struct buf *txt, struct buf *lit)
{
    size_t n = json_is_array(pvals) ? json_array_size(pvals) : 1;
    for (size_t i = 0; i < n; i++) {
        const json_t *pv = json_is_array(pvals) ? json_array_get(pvals, i) : pvals;
        char tmp[64];
        const char *s = scalar_text(pv, tmp);
        if (!s)
            continue;
        struct pat p = {s, NULL, strlen(s)};
        if (expands(c)) {
            int rc = pat_make(e, s, txt, lit, &p);
            if (rc < 0)
                return rc;
            if (rc == 0)
                continue;
        }
        if (compare(c, rv, &p, s))
            return 1;
    }
    return 0;
}

/* One key of one operator: 1 holds, 0 not, -ENOMEM. */
static int key_holds(const struct ev *e, const struct op *op, const char *key, const json_t *pvals)
{
    const char *vals[MAX_KEY_VALUES];
    size_t n = key_values(e, key, vals);
    if (op->def->cmp == CMP_NULL) {
        size_t np = json_is_array(pvals) ? json_array_size(pvals) : 1;
        for (size_t i = 0; i < np; i++) {
            char tmp[64];
            const char *s =
                scalar_text(json_is_array(pvals) ? json_array_get(pvals, i) : pvals, tmp);
            if (s && strcasecmp(s, "true") == 0 && n == 0)
                return 1;
            if (s && strcasecmp(s, "false") == 0 && n > 0)
                return 1;
        }
        return 0;
    }
    bool neg = op->def->negated;
    if (n == 0) {
        switch (op->set) {
        case SET_NONE: return op->if_exists || neg;
        case SET_ANY: return op->if_exists;
        case SET_ALL: return 1;
        }
    }
    struct buf txt = BUF_INIT, lit = BUF_INIT;
    int result;
    if (op->set == SET_NONE) {
        /* One or several request values against the policy's: the positive operator holds when
         * any pair matches, the negated one when none does. */
        int any = 0;
        for (size_t i = 0; i < n && any == 0; i++)
            any = value_matches(e, op->def->cmp, vals[i], pvals, &txt, &lit);
        result = any < 0 ? any : (neg ? !any : any);
    } else {
        bool all = op->set == SET_ALL;
        result = all ? 1 : 0;
        for (size_t i = 0; i < n; i++) {
            int m = value_matches(e, op->def->cmp, vals[i], pvals, &txt, &lit);
            if (m < 0) {
                result = m;
                break;
            }
            bool ok = neg ? !m : m;
            if (all && !ok) {
                result = 0;
                break;
            }
            if (!all && ok) {
                result = 1;
                break;
            }
        }
    }
    buf_free(&txt);
    buf_free(&lit);
    return result;
}

/* The Condition element: operators and keys ANDed. 1 / 0 / -EINVAL (not a condition block) /
 * -ENOMEM. */
static int condition_holds(const struct ev *e, const json_t *cond)
{
    if (!cond)
        return 1;
    if (!json_is_object(cond))
        return -EINVAL;
    const char *opname;
    json_t *block;
    json_object_foreach((json_t *)cond, opname, block)
    {
        if (!json_is_object(block))
            return -EINVAL;
        if (json_object_size(block) == 0)
            continue; /* IAM accepts an empty block, whatever its operator: it tests nothing */
        struct op op;
        if (!op_parse(opname, &op))
            return -EINVAL;
        const char *key;
        json_t *pvals;
        json_object_foreach(block, key, pvals)
        {
            if (!is_scalars(pvals))
                return -EINVAL;
            int rc = key_holds(e, &op, key, pvals);
            if (rc <= 0)
                return rc;
        }
    }
    return 1;
}

/* ---- evaluation ------------------------------------------------------------------------------ */

/* Whether statement s applies to the request: 0 no, REACH_ACCOUNT / REACH_SELF yes (how its
 * principal was reached; REACH_SELF for identity policies), -EINVAL / -ENOMEM. */
static int stmt_applies(const struct ev *e, const json_t *s)
{
    if (!json_is_object(s))
        return -EINVAL;
    int reach = REACH_SELF;
    if (e->kind != IAMPOL_IDENTITY) {
        const json_t *p = json_object_get(s, "Principal"), *np = json_object_get(s, "NotPrincipal");
        if (!p == !np)
            return -EINVAL;
        int r = reach_element(e->who, p ? p : np);
        if (r < 0)
            return r;
        if (np)
            r = r == REACH_NONE ? REACH_SELF : REACH_NONE;
        if (r == REACH_NONE)
            return 0;
        reach = r;
    }

    const json_t *a = json_object_get(s, "Action"), *na = json_object_get(s, "NotAction");
    if (!a == !na || !is_strs(a ? a : na))
        return -EINVAL;
    const char *action = e->q->action ? e->q->action : "";
    if (action_matches(a ? a : na, action) != (a != NULL))
        return 0;

    if (e->kind != IAMPOL_TRUST) {
        const json_t *r = json_object_get(s, "Resource"), *nr = json_object_get(s, "NotResource");
        if (!r == !nr || !is_strs(r ? r : nr))
            return -EINVAL;
        const char *resource = e->q->resource ? e->q->resource : "*";
        int m = resource_matches(e, r ? r : nr, resource);
        if (m < 0)
            return m;
        if (m != (r != NULL))
            return 0;
    }

    int c = condition_holds(e, json_object_get(s, "Condition"));
    if (c <= 0)
        return c;
    return reach;
}

int iampol_eval(const char *doc, enum iampol_kind kind, const struct iampol_request *q)
{
    if (!doc || !q)
        return -EINVAL;
    json_t *root = load(doc, strlen(doc));
    if (!root)
        return -EINVAL;
    struct ev e = {kind, false, q, q->who ? q->who : &anonymous_principal};
    const json_t *ver = json_object_get(root, "Version");
    e.v2012 = json_is_string(ver) && strcmp(json_string_value(ver), "2012-10-17") == 0;

    json_t *st = json_object_get(root, "Statement");
    size_t n = stmt_count(st);
    int rc = n ? IAMPOL_NONE : -EINVAL;
    bool deny = false, allow = false, allow_account = false;
    for (size_t i = 0; i < n; i++) {
        json_t *s = stmt_at(st, i);
        const char *effect = json_string_value(json_object_get(s, "Effect"));
        if (!effect || (strcasecmp(effect, "Allow") != 0 && strcasecmp(effect, "Deny") != 0)) {
            rc = -EINVAL;
            break;
        }
        int a = stmt_applies(&e, s);
        if (a < 0) {
            rc = a;
            break;
        }
        if (a == 0)
            continue;
        if (strcasecmp(effect, "Deny") == 0)
            deny = true;
        else if (a == REACH_ACCOUNT)
            allow_account = true;
        else
            allow = true;
    }
    json_decref(root);
    if (rc < 0)
        return rc;
    if (deny)
        return IAMPOL_DENY;
    if (allow)
        return IAMPOL_ALLOW;
    if (allow_account)
        return kind == IAMPOL_IDENTITY ? IAMPOL_ALLOW : IAMPOL_ALLOW_ACCOUNT;
    return IAMPOL_NONE;
}

/* ---- validation ------------------------------------------------------------------------------ */

/* A principal value IAM accepts for its type. */
static bool principal_value_ok(const char *type, const char *v)
{
    if (!*v)
        return false;
    if (strcmp(type, "AWS") == 0) {
        if (strcmp(v, "*") == 0 || is_account_id(v))
            return true;
        if (has_wildcard(v))
            return false;
        char acct[13];
        const char *rest;
        if (principal_arn(v, "iam", acct, &rest)) {
            if (strcmp(rest, "root") == 0)
                return true;
            if (strncmp(rest, "user/", 5) == 0 || strncmp(rest, "role/", 5) == 0)
                return rest[5] && rest[strlen(rest) - 1] != '/';
            return false;
        }
        if (principal_arn(v, "sts", acct, &rest)) {
            if (strncmp(rest, "assumed-role/", 13) == 0) {
                const char *slash = strchr(rest + 13, '/');
                return slash && slash > rest + 13 && slash[1] && !strchr(slash + 1, '/');
            }
            if (strncmp(rest, "federated-user/", 15) == 0)
                return rest[15] && !strchr(rest + 15, '/');
        }
        return false;
    }
    if (strcmp(type, "Service") == 0) {
        /* "cloudtrail.amazonaws.com": a DNS-like name. */
        return strchr(v, '.') && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789.-") == strlen(v);
    }
    if (strcmp(type, "CanonicalUser") == 0)
        return strlen(v) <= 64 &&
               strspn(v, "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ") ==
                   strlen(v);
    if (strcmp(type, "Federated") == 0)
        return !has_wildcard(v) && !strchr(v, ' ');
    return false;
}

/* The first invalid principal of el into why ("Invalid principal in policy: "AWS":"x""); 0 when
 * all are valid. el's shape was checked already. */
static int check_principals(const json_t *el, struct buf *why)
{
    if (json_is_string(el))
        return 0;
    const char *type;
    json_t *v;
    json_object_foreach((json_t *)el, type, v)
    {
        size_t n = strs_count(v);
        if (n == 0) {
            buf_printf(why, "Invalid principal in policy: \"%s\":[]", type);
            return -EINVAL;
        }
        for (size_t i = 0; i < n; i++) {
            const char *s = strs_at(v, i);
            if (!principal_value_ok(type, s)) {
                buf_printf(why, "Invalid principal in policy: \"%s\":\"%s\"", type, s);
                return -EINVAL;
            }
        }
    }
    return 0;
}

static bool member_known(const char *name, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(name, *names) == 0)
            return true;
    return false;
}

/* Pass 1, the grammar: "Syntax errors in policy." and the kind-specific refusals. */
static const char *check_syntax(json_t *root, enum iampol_kind kind, const char **arg)
{
    static const char *const top[] = {"Version", "Id", "Statement", NULL};
    static const char *const members[] = {"Sid",      "Effect",      "Principal", "NotPrincipal",
                                          "Action",   "NotAction",   "Resource",  "NotResource",
                                          "Condition", NULL};
    const char *name;
    json_t *v;
    json_object_foreach(root, name, v) if (!member_known(name, top)) return MSG_SYNTAX;
    const json_t *ver = json_object_get(root, "Version");
    if (ver && !(json_is_string(ver) && (strcmp(json_string_value(ver), "2012-10-17") == 0 ||
                                         strcmp(json_string_value(ver), "2008-10-17") == 0)))
        return MSG_SYNTAX;
    const json_t *id = json_object_get(root, "Id");
    if (id && !json_is_string(id))
        return MSG_SYNTAX;
    json_t *st = json_object_get(root, "Statement");
    size_t n = stmt_count(st);
    if (n == 0)
        return MSG_SYNTAX;
    for (size_t i = 0; i < n; i++) {
        json_t *s = stmt_at(st, i);
        if (!json_is_object(s))
            return MSG_SYNTAX;
        json_object_foreach(s, name, v) if (!member_known(name, members)) return MSG_SYNTAX;
        const json_t *p = json_object_get(s, "Principal"), *np = json_object_get(s, "NotPrincipal");
        if (kind == IAMPOL_IDENTITY && (p || np))
            return MSG_PRINCIPAL_IN_IDENTITY;
        if (kind == IAMPOL_TRUST && json_object_get(s, "Resource")) {
            *arg = "Resource";
            return "Has prohibited field %s";
        }
        if (kind == IAMPOL_TRUST && json_object_get(s, "NotResource")) {
            *arg = "NotResource";
            return "Has prohibited field %s";
        }
        if ((p && np) || (json_object_get(s, "Action") && json_object_get(s, "NotAction")) ||
            (json_object_get(s, "Resource") && json_object_get(s, "NotResource")))
            return MSG_SYNTAX;
        const char *effect = json_string_value(json_object_get(s, "Effect"));
        if (!effect || (strcasecmp(effect, "Allow") != 0 && strcasecmp(effect, "Deny") != 0))
            return MSG_SYNTAX;
        static const char *const lists[] = {"Action", "NotAction", "Resource", "NotResource"};
        for (size_t k = 0; k < 4; k++) {
            const json_t *l = json_object_get(s, lists[k]);
            if (l && !is_strs(l))
                return MSG_SYNTAX;
        }
        const json_t *sid = json_object_get(s, "Sid");
        if (sid && !json_is_string(sid))
            return MSG_SYNTAX;
        const json_t *pe = p ? p : np;
        if (pe) {
            if (json_is_string(pe) ? strcmp(json_string_value(pe), "*") != 0
                                   : !json_is_object(pe) || json_object_size(pe) == 0)
                return MSG_SYNTAX;
            const char *type;
            json_t *pv;
            if (json_is_object(pe))
                json_object_foreach((json_t *)pe, type, pv) if (!is_strs(pv)) return MSG_SYNTAX;
        } else if (kind != IAMPOL_IDENTITY) {
            return MSG_NO_PRINCIPAL;
        }
        const json_t *cond = json_object_get(s, "Condition");
        if (cond) {
            if (!json_is_object(cond))
                return MSG_SYNTAX;
            const char *opname;
            json_t *block;
            json_object_foreach((json_t *)cond, opname, block)
            {
                struct op op;
                if (!json_is_object(block))
                    return MSG_SYNTAX;
                if (json_object_size(block) > 0 && !op_parse(opname, &op))
                    return MSG_SYNTAX;
                const char *key;
                json_t *pv;
                json_object_foreach(block, key, pv) if (!is_scalars(pv)) return MSG_SYNTAX;
            }
        }
    }
    return NULL;
}

/* Resource forms IAM's legacy parser refuses: an ARN-like value with "::" but fewer than six
 * parts, or one whose vendor (third part) is empty. */
static bool resource_legacy_ok(const char *r)
{
    if (strcmp(r, "*") == 0)
        return true;
    size_t colons = 0;
    for (const char *c = r; *c; c++)
        colons += *c == ':';
    if (colons < 5 && strstr(r, "::"))
        return false;
    const char *c1 = strchr(r, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    return !(c2 && c2[1] == ':');
}

/* Pass 2, what IAM calls legacy parsing: Effect's exact case, dates, resource shapes. */
static bool check_legacy(json_t *st)
{
    for (size_t i = 0, n = stmt_count(st); i < n; i++) {
        json_t *s = stmt_at(st, i);
        const char *effect = json_string_value(json_object_get(s, "Effect"));
        if (strcmp(effect, "Allow") != 0 && strcmp(effect, "Deny") != 0)
            return false;
        const char *opname;
        json_t *block;
        json_t *cond = json_object_get(s, "Condition");
        if (cond) {
            json_object_foreach(cond, opname, block)
            {
                struct op op;
                if (!op_parse(opname, &op) || !is_date_cmp(op.def->cmp))
                    continue;
                const char *key;
                json_t *pv;
                json_object_foreach(block, key, pv)
                {
                    for (size_t k = 0, nk = json_is_array(pv) ? json_array_size(pv) : 1; k < nk;
                         k++) {
                        char tmp[64];
                        double d;
                        const char *t =
                            scalar_text(json_is_array(pv) ? json_array_get(pv, k) : pv, tmp);
                        if (!t || !parse_date(t, &d))
                            return false;
                    }
                }
            }
        }
        static const char *const rs[] = {"Resource", "NotResource"};
        for (size_t k = 0; k < 2; k++) {
            const json_t *l = json_object_get(s, rs[k]);
            for (size_t j = 0, nl = l ? strs_count(l) : 0; j < nl; j++)
                if (!resource_legacy_ok(strs_at(l, j)))
                    return false;
        }
    }
    return true;
}

/* The first fault of a resource's format, into why; 0 when it has none. */
static int check_resource_format(const char *r, struct buf *why)
{
    if (strcmp(r, "*") == 0)
        return 0;
    const char *c1 = strchr(r, ':');
    if (!c1) {
        buf_printf(why, "Resource %s must be in ARN format or \"*\".", r);
        return -EINVAL;
    }
    const char *part = c1 + 1, *c2 = strchr(part, ':');
    size_t plen = c2 ? (size_t)(c2 - part) : strlen(part);
    if (plen != 3 || strncmp(part, "aws", 3) != 0) {
        /* IAM spells the resource out with "*" for the parts it lacks. */
        const char *rest = c2 ? c2 + 1 : "";
        const char *f[4] = {"*", "*", "*", "*"};
        size_t fl[4] = {1, 1, 1, 1};
        for (int k = 0; k < 4 && c2; k++) {
            const char *end = k < 3 ? strchr(rest, ':') : NULL;
            size_t len = end ? (size_t)(end - rest) : strlen(rest);
            if (len > 0 || end) {
                f[k] = rest;
                fl[k] = len;
            }
            if (!end)
                break;
            rest = end + 1;
        }
        buf_printf(why, "Partition \"%.*s\" is not valid for resource \"arn:%.*s:%.*s:%.*s:%.*s:%.*s\".",
                   (int)plen, part, (int)plen, part, (int)fl[0], f[0], (int)fl[1], f[1],
                   (int)fl[2], f[2], (int)fl[3], f[3]);
        return -EINVAL;
    }
    if (!c2) {
        buf_puts(why, MSG_RESOURCE_VENDOR);
        return -EINVAL;
    }
    const char *svc = c2 + 1, *c3 = strchr(svc, ':');
    size_t slen = c3 ? (size_t)(c3 - svc) : strlen(svc);
    if (slen == 0 || memchr(svc, '*', slen) || memchr(svc, '?', slen)) {
        buf_puts(why, MSG_RESOURCE_VENDOR);
        return -EINVAL;
    }
    bool iam = slen == 3 && strncmp(svc, "iam", 3) == 0;
    bool s3 = slen == 2 && strncmp(svc, "s3", 2) == 0;
    if ((iam || s3) && !(c3 && c3[1] == ':')) {
        buf_printf(why, iam ? "IAM resource %s cannot contain region information."
                            : "Resource %s can not contain region information.",
                   r);
        return -EINVAL;
    }
    if (iam) {
        const char *acct = c3 + 2, *c5 = strchr(acct, ':');
        const char *path = c5 ? c5 + 1 : "";
        static const char *const starts[] = {
            "user/",   "federated-user/", "role/",    "group/",   "instance-profile/",
            "mfa/",    "server-certificate/", "policy/", "sms-mfa/", "saml-provider/",
            "oidc-provider/", "report/", "access-report/", NULL};
        bool ok = strcmp(path, "*") == 0 || strcmp(path, "root") == 0;
        for (const char *const *s = starts; *s && !ok; s++)
            ok = strncmp(path, *s, strlen(*s)) == 0;
        if (!ok) {
            buf_puts(why, MSG_IAM_PATH);
            return -EINVAL;
        }
    }
    return 0;
}

/* An action's vendor prefix; NULL when fine, else the message. */
static const char *check_action(const char *a, enum iampol_kind kind, struct buf *why)
{
    if (strcmp(a, "*") == 0)
        return NULL;
    const char *c = strchr(a, ':');
    if (!c || c == a)
        return MSG_VENDOR;
    if (strchr(c + 1, ':'))
        return MSG_ONE_COLON;
    size_t vl = (size_t)(c - a);
    if (memchr(a, '*', vl) || memchr(a, '?', vl))
        return MSG_VENDOR_WILDCARD;
    for (size_t i = 0; i < vl; i++) {
        if (!isalnum((unsigned char)a[i]) && a[i] != '-' && a[i] != '.') {
            buf_printf(why, "Vendor %.*s is not valid", (int)vl, a);
            return "";
        }
    }
    if (kind == IAMPOL_TRUST && !(vl == 3 && strncasecmp(a, "sts", 3) == 0))
        return MSG_TRUST_ACTION;
    return NULL;
}

static bool sid_alnum(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s))
            return false;
    return true;
}

static int fail(struct buf *why, const char *msg)
{
    buf_puts(why, msg);
    return buf_ok(why) ? -EINVAL : -ENOMEM;
}

int iampol_validate(const char *doc, size_t len, enum iampol_kind kind, struct buf *why)
{
    json_t *root = load(doc, len);
    if (!root)
        return fail(why, MSG_SYNTAX);
    int rc = 0;
    const char *arg = NULL;
    const char *msg = check_syntax(root, kind, &arg);
    if (msg) {
        if (arg)
            buf_printf(why, msg, arg);
        else
            buf_puts(why, msg);
        rc = buf_ok(why) ? -EINVAL : -ENOMEM;
        goto out;
    }
    json_t *st = json_object_get(root, "Statement");
    size_t n = stmt_count(st);
    if (!check_legacy(st)) {
        rc = fail(why, MSG_LEGACY);
        goto out;
    }
    /* Sids: unique (a policy's empty Sids do not clash); IAM's own documents take letters and
     * digits only, bucket policies anything. */
    for (size_t i = 0; i < n; i++) {
        const char *sid = json_string_value(json_object_get(stmt_at(st, i), "Sid"));
        if (!sid || !*sid)
            continue;
        for (size_t j = 0; j < i; j++) {
            const char *other = json_string_value(json_object_get(stmt_at(st, j), "Sid"));
            if (other && strcmp(sid, other) == 0) {
                rc = fail(why, MSG_SID_UNIQUE);
                goto out;
            }
        }
        if (kind != IAMPOL_RESOURCE && !sid_alnum(sid)) {
            rc = fail(why, MSG_SID_CHARS);
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        json_t *s = stmt_at(st, i);
        const json_t *a = json_object_get(s, "Action"), *na = json_object_get(s, "NotAction");
        if ((!a && !na) || strs_count(a ? a : na) == 0) {
            rc = fail(why, MSG_NO_ACTIONS);
            goto out;
        }
    }
    if (kind != IAMPOL_TRUST) {
        for (size_t i = 0; i < n; i++) {
            json_t *s = stmt_at(st, i);
            const json_t *r = json_object_get(s, "Resource"), *nr = json_object_get(s, "NotResource");
            if ((!r && !nr) || strs_count(r ? r : nr) == 0) {
                rc = fail(why, MSG_NO_RESOURCES);
                goto out;
            }
        }
        for (size_t i = 0; i < n; i++) {
            json_t *s = stmt_at(st, i);
            const json_t *r = json_object_get(s, "Resource");
            if (!r)
                r = json_object_get(s, "NotResource");
            for (size_t j = 0, nr = strs_count(r); j < nr; j++) {
                rc = check_resource_format(strs_at(r, j), why);
                if (rc) {
                    rc = buf_ok(why) ? -EINVAL : -ENOMEM;
                    goto out;
                }
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        json_t *s = stmt_at(st, i);
        const json_t *a = json_object_get(s, "Action");
        if (!a)
            a = json_object_get(s, "NotAction");
        for (size_t j = 0, na = strs_count(a); j < na; j++) {
            msg = check_action(strs_at(a, j), kind, why);
            if (msg) {
                rc = *msg ? fail(why, msg) : (buf_ok(why) ? -EINVAL : -ENOMEM);
                goto out;
            }
        }
        /* Condition keys carry a vendor too ("aws:SourceIp", "s3:prefix"). */
        json_t *cond = json_object_get(s, "Condition");
        const char *opname, *key;
        json_t *block, *pv;
        if (cond) {
            json_object_foreach(cond, opname, block)
            {
                json_object_foreach(block, key, pv)
                {
                    const char *c = strchr(key, ':');
                    if (!c || c == key) {
                        rc = fail(why, MSG_VENDOR);
                        goto out;
                    }
                }
            }
        }
    }
    if (kind != IAMPOL_IDENTITY) {
        for (size_t i = 0; i < n; i++) {
            json_t *s = stmt_at(st, i);
            const json_t *p = json_object_get(s, "Principal");
            if (!p)
                p = json_object_get(s, "NotPrincipal");
            if (check_principals(p, why)) {
                rc = buf_ok(why) ? -EINVAL : -ENOMEM;
                goto out;
            }
        }
    }
out:
    json_decref(root);
    return rc;
}

/* ---- public ---------------------------------------------------------------------------------- */

/* Keys whose fixed values confine a statement to trusted parties (S3's "The meaning of public"). */
static bool trust_key(const char *k)
{
    static const char *const keys[] = {
        "aws:SourceIp",        "aws:SourceArn",         "aws:SourceVpc",
        "aws:SourceVpce",      "aws:SourceAccount",     "aws:SourceOwner",
        "aws:PrincipalAccount", "aws:PrincipalArn",     "aws:PrincipalOrgID",
        "aws:userid",          "s3:DataAccessPointArn", "s3:DataAccessPointAccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id", NULL};
    for (const char *const *p = keys; *p; p++)
        if (strcasecmp(k, *p) == 0)
            return true;
    return false;
}

/* A fixed value: no wildcard and no policy variable. */
static bool fixed_value(const char *v)
{
    return *v && !has_wildcard(v) && !strstr(v, "${");
}

/* A CIDR narrow enough to count as a fixed set of addresses: /8 or longer for IPv4, /32 or
 * longer for IPv6. */
static bool narrow_cidr(const char *v)
{
    struct addr a;
    return parse_cidr(v, &a) && a.bits >= (a.family == AF_INET ? 8 : 32);
}

/* Whether one operator block of an Allow pins it to fixed values of a trusted key. */
static bool block_pins(const char *opname, const json_t *block)
{
    struct op op;
    if (!op_parse(opname, &op) || op.if_exists || op.set == SET_ALL || op.def->negated)
        return false;
    enum cmp c = op.def->cmp;
    if (c != CMP_STR && c != CMP_STR_IC && c != CMP_STR_LIKE && c != CMP_ARN && c != CMP_IP)
        return false;
    const char *key;
    json_t *pv;
    json_object_foreach((json_t *)block, key, pv)
    {
        if (!trust_key(key))
            continue;
        bool ip_key = strcasecmp(key, "aws:SourceIp") == 0;
        if ((c == CMP_IP) != ip_key)
            continue;
        size_t n = json_is_array(pv) ? json_array_size(pv) : 1;
        bool all_fixed = n > 0;
        for (size_t i = 0; i < n && all_fixed; i++) {
            const char *s = json_string_value(json_is_array(pv) ? json_array_get(pv, i) : pv);
            all_fixed = s && (ip_key ? narrow_cidr(s) : fixed_value(s));
        }
        if (all_fixed)
            return true;
    }
    return false;
}

int iampol_is_public(const char *doc)
{
    if (!doc)
        return -EINVAL;
    json_t *root = load(doc, strlen(doc));
    if (!root)
        return -EINVAL;
    json_t *st = json_object_get(root, "Statement");
    int pub = 0;
    for (size_t i = 0, n = stmt_count(st); i < n && !pub; i++) {
        json_t *s = stmt_at(st, i);
        const char *effect = json_string_value(json_object_get(s, "Effect"));
        if (!effect || strcasecmp(effect, "Allow") != 0)
            continue;
        const json_t *p = json_object_get(s, "Principal");
        bool everyone = json_object_get(s, "NotPrincipal") != NULL;
        if (json_is_string(p))
            everyone = strcmp(json_string_value(p), "*") == 0;
        else if (json_is_object(p)) {
            const json_t *aws = json_object_get(p, "AWS");
            for (size_t k = 0, nk = is_strs(aws) ? strs_count(aws) : 0; k < nk; k++)
                if (strcmp(strs_at(aws, k), "*") == 0)
                    everyone = true;
        }
        if (!everyone)
            continue;
        bool pinned = false;
        json_t *cond = json_object_get(s, "Condition");
        const char *opname;
        json_t *block;
        if (json_is_object(cond))
            json_object_foreach(cond, opname, block) if (json_is_object(block) &&
                                                         block_pins(opname, block)) pinned = true;
        if (!pinned)
            pub = 1;
    }
    json_decref(root);
    return pub;
}
