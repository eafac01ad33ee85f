/*
 * selectors — validation, normalization and matching of a trail's event selectors. The rules are
 * in selectors.h; the sources are cloudtrail.md §6 and botocore's CloudTrail model
 * (EventSelector, DataResource, AdvancedEventSelector, AdvancedFieldSelector).
 *
 * Messages: where AWS's wording is known it is used ("Value <v> for DataResources.Values is
 * invalid.", "Specify a valid number of DataResources.Values (0 to 250) for all your
 * selectors"); the rest follow the same "Value <v> for <member> is invalid." pattern, and refusals
 * of what AWS has but this server does not (other resource types, network activity events) say
 * so.
 */
#include "trail/selectors.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S3_ARN "arn:aws:s3:::"
#define S3_OBJECT_TYPE "AWS::S3::Object"

/* ---- fields and operators of advanced selectors ---------------------------------------------- */

enum sel_field {
    F_CATEGORY,
    F_SOURCE,
    F_NAME,
    F_EVENT_TYPE,
    F_READ_ONLY,
    F_RES_TYPE,
    F_RES_ARN,
    F_USER_ARN,
    F_CONSOLE,
};

static const struct {
    const char *name;
    enum sel_field f;
    bool data_ok;       /* allowed in a Data selector */
    bool management_ok; /* allowed in a Management selector */
} fields[] = {
    {"eventCategory", F_CATEGORY, true, true},
    {"eventSource", F_SOURCE, true, true},
    {"eventName", F_NAME, true, false},
    {"eventType", F_EVENT_TYPE, true, false},
    {"readOnly", F_READ_ONLY, true, true},
    {"resources.type", F_RES_TYPE, true, false},
    {"resources.ARN", F_RES_ARN, true, false},
    {"userIdentity.arn", F_USER_ARN, true, false},
    {"sessionCredentialFromConsole", F_CONSOLE, true, false},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

/* Fields AWS has for other event kinds (network activity, event data stores), which no trail
 * here can use. */
static const char *const foreign_fields[] = {"errorCode", "vpcEndpointId"};

enum sel_op { OP_EQ, OP_SW, OP_EW, OP_NEQ, OP_NSW, OP_NEW, NOPS };
static const char *const op_names[NOPS] = {"Equals",    "StartsWith",    "EndsWith",
                                           "NotEquals", "NotStartsWith", "NotEndsWith"};

/* Management event sources ExcludeManagementEventSources (and a management selector's
 * eventSource NotEquals) may name. */
static const char *const excludable_sources[] = {"kms.amazonaws.com", "rdsdata.amazonaws.com"};

/* ---- compiled form --------------------------------------------------------------------------- */

struct cond {
    enum sel_field field;
    enum sel_op op;
    char **v;
    size_t n;
};

struct adv {
    struct cond *c;
    size_t n;
    bool has_res; /* some condition is on resources.* */
    bool data;    /* eventCategory Data */
};

/* One DataResources value of type AWS::S3::Object. */
struct s3val {
    bool all;         /* "arn:aws:s3" or "arn:aws:s3:::" */
    char *arn_prefix; /* "arn:aws:s3:::bucket/prefix" */
    char *bucket;
    char *prefix; /* "" for the whole bucket */
};

enum rw { RW_ALL, RW_READ, RW_WRITE };

struct basic {
    enum rw rw;
    bool management;
    char **excl;
    size_t nexcl;
    struct s3val *vals;
    size_t nvals;
};

struct trail_selectors {
    bool advanced;
    size_t n;
    struct basic *b;
    struct adv *a;
};

/* ---- helpers --------------------------------------------------------------------------------- */

static int fail(char *errmsg, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *errmsg, size_t cap, const char *fmt, ...)
{
    if (cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errmsg, cap, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* A member, with JSON null read as absent (SDKs may send null for unset members). */
static json_t *member(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    return v && !json_is_null(v) ? v : NULL;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

static bool starts_with(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static bool ends_with(const char *s, const char *p)
{
    size_t n = strlen(s), m = strlen(p);
    return n >= m && memcmp(s + n - m, p, m) == 0;
}

/* The bucket part of an S3 ARN selector value: what a bucket name can hold (3-63 characters of
 * lower-case letters, digits, '.' and '-'). */
static bool bucket_ok(const char *b, size_t n)
{
    if (n < 3 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* A basic DataResources value for AWS::S3::Object: "arn:aws:s3", "arn:aws:s3:::", or
 * "arn:aws:s3:::bucket/prefix" with a possibly empty prefix. "arn:aws:s3:::bucket" (no slash) is
 * refused as AWS refuses it. */
static bool s3_value_ok(const char *v)
{
    if (strcmp(v, "arn:aws:s3") == 0 || strcmp(v, S3_ARN) == 0)
        return true;
    if (!starts_with(v, S3_ARN) || strlen(v) > SELECTORS_VALUE_MAX)
        return false;
    const char *b = v + strlen(S3_ARN);
    const char *slash = strchr(b, '/');
    return slash && bucket_ok(b, (size_t)(slash - b));
}

/* ---- validation: basic ----------------------------------------------------------------------- */

static int validate_basic(json_t *arr, char *errmsg, size_t cap)
{
    if (!json_is_array(arr))
        return fail(errmsg, cap, "EventSelectors must be a list.");
    size_t n = json_array_size(arr);
    if (n < 1 || n > SELECTORS_MAX_BASIC)
        return fail(errmsg, cap, "Specify a valid number of event selectors (1 to %d) for a trail.",
                    SELECTORS_MAX_BASIC);
    size_t total = 0;
    size_t i;
    json_t *sel;
    json_array_foreach(arr, i, sel)
    {
        if (!json_is_object(sel))
            return fail(errmsg, cap, "An event selector must be a structure.");
        json_t *rw = member(sel, "ReadWriteType");
        if (rw) {
            const char *s = json_string_value(rw);
            if (!s || (strcmp(s, "ReadOnly") != 0 && strcmp(s, "WriteOnly") != 0 &&
                       strcmp(s, "All") != 0))
                return fail(errmsg, cap, "Value %s for ReadWriteType is invalid.",
                            s ? s : "(not a string)");
        }
        json_t *im = member(sel, "IncludeManagementEvents");
        if (im && !json_is_boolean(im))
            return fail(errmsg, cap, "IncludeManagementEvents must be a boolean.");
        json_t *ex = member(sel, "ExcludeManagementEventSources");
        if (ex) {
            if (!json_is_array(ex))
                return fail(errmsg, cap, "ExcludeManagementEventSources must be a list.");
            size_t j;
            json_t *v;
            json_array_foreach(ex, j, v)
            {
                const char *s = json_string_value(v);
                if (!s || !in_list(s, excludable_sources,
                                   sizeof excludable_sources / sizeof excludable_sources[0]))
                    return fail(errmsg, cap,
                                "Value %s for ExcludeManagementEventSources is invalid.",
                                s ? s : "(not a string)");
            }
        }
        json_t *dr = member(sel, "DataResources");
        if (!dr)
            continue;
        if (!json_is_array(dr))
            return fail(errmsg, cap, "DataResources must be a list.");
        size_t j;
        json_t *res;
        json_array_foreach(dr, j, res)
        {
            if (!json_is_object(res))
                return fail(errmsg, cap, "A data resource must be a structure.");
            const char *type = json_string_value(member(res, "Type"));
            if (!type)
                return fail(errmsg, cap, "DataResources.Type is required.");
            if (strcmp(type, S3_OBJECT_TYPE) != 0) {
                if (starts_with(type, "AWS::"))
                    return fail(errmsg, cap,
                                "Value %s for DataResources.Type is invalid: this server has "
                                "data events for AWS::S3::Object only.",
                                type);
                return fail(errmsg, cap, "Value %s for DataResources.Type is invalid.", type);
            }
            json_t *vals = member(res, "Values");
            if (!json_is_array(vals) || json_array_size(vals) == 0)
                return fail(errmsg, cap,
                            "Specify a valid number of data resources (1 to %d) for an event "
                            "selector.",
                            SELECTORS_MAX_DATA_VALUES);
            size_t k;
            json_t *v;
            json_array_foreach(vals, k, v)
            {
                const char *s = json_string_value(v);
                if (!s || !s3_value_ok(s))
                    return fail(errmsg, cap, "Value %s for DataResources.Values is invalid.",
                                s ? s : "(not a string)");
            }
            total += json_array_size(vals);
        }
    }
    if (total > SELECTORS_MAX_DATA_VALUES)
        return fail(errmsg, cap,
                    "Specify a valid number of DataResources.Values (0 to %d) for all your "
                    "selectors",
                    SELECTORS_MAX_DATA_VALUES);
    return 0;
}

/* ---- validation: advanced -------------------------------------------------------------------- */

static int field_index(const char *name)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (strcmp(fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

static bool field_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 1000)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '|'))
            return false;
    }
    return true;
}

/* An exact object ARN for resources.ARN Equals / NotEquals: arn:aws:s3:::bucket/key. */
static bool exact_object_arn(const char *v)
{
    if (!starts_with(v, S3_ARN))
        return false;
    const char *b = v + strlen(S3_ARN);
    const char *slash = strchr(b, '/');
    return slash && bucket_ok(b, (size_t)(slash - b));
}

/* Checks one field selector's operators: each present one a list of 1..n strings of 1..2048
 * bytes; at least one operator. Adds the values to *total. */
static int validate_ops(json_t *fs, const char *field, size_t *total, char *errmsg, size_t cap)
{
    int nops = 0;
    for (int o = 0; o < NOPS; o++) {
        json_t *vals = member(fs, op_names[o]);
        if (!vals)
            continue;
        nops++;
        if (!json_is_array(vals) || json_array_size(vals) == 0)
            return fail(errmsg, cap, "%s for field %s must be a list of at least one value.",
                        op_names[o], field);
        size_t i;
        json_t *v;
        json_array_foreach(vals, i, v)
        {
            const char *s = json_string_value(v);
            if (!s || !s[0] || strlen(s) > SELECTORS_VALUE_MAX)
                return fail(errmsg, cap,
                            "Values of %s for field %s must be strings of 1 to %d characters.",
                            op_names[o], field, SELECTORS_VALUE_MAX);
        }
        *total += json_array_size(vals);
    }
    if (nops == 0)
        return fail(errmsg, cap, "The field selector for %s has no operator.", field);
    return 0;
}

/* The one value of an Equals-only field (eventCategory, resources.type, readOnly), or NULL with
 * the error written when another operator or several values are given. */
static const char *equals_only(json_t *fs, const char *field, char *errmsg, size_t cap)
{
    for (int o = 0; o < NOPS; o++)
        if (o != OP_EQ && member(fs, op_names[o])) {
            fail(errmsg, cap, "Only the Equals operator is valid for the field %s.", field);
            return NULL;
        }
    json_t *eq = member(fs, "Equals");
    if (json_array_size(eq) != 1) {
        fail(errmsg, cap, "The field %s takes exactly one value.", field);
        return NULL;
    }
    return json_string_value(json_array_get(eq, 0));
}

static int validate_one_advanced(json_t *sel, size_t *total, char *errmsg, size_t cap)
{
    if (!json_is_object(sel))
        return fail(errmsg, cap, "An advanced event selector must be a structure.");
    json_t *name = member(sel, "Name");
    if (name && (!json_is_string(name) || strlen(json_string_value(name)) > SELECTORS_NAME_MAX))
        return fail(errmsg, cap,
                    "The Name of an advanced event selector must be a string of at "
                    "most %d characters.",
                    SELECTORS_NAME_MAX);
    json_t *fss = member(sel, "FieldSelectors");
    if (!json_is_array(fss) || json_array_size(fss) == 0)
        return fail(errmsg, cap,
                    "An advanced event selector must have at least one field "
                    "selector.");
    const char *category = NULL, *rtype = NULL;
    bool seen_category = false, seen_rtype = false;
    size_t i;
    json_t *fs;
    json_array_foreach(fss, i, fs)
    {
        if (!json_is_object(fs))
            return fail(errmsg, cap, "A field selector must be a structure.");
        const char *field = json_string_value(member(fs, "Field"));
        if (!field)
            return fail(errmsg, cap, "Field is required in a field selector.");
        if (!field_name_ok(field))
            return fail(errmsg, cap, "Value %s for Field is invalid.", field);
        int fi = field_index(field);
        if (fi < 0) {
            if (in_list(field, foreign_fields, sizeof foreign_fields / sizeof foreign_fields[0]))
                return fail(errmsg, cap,
                            "Value %s for Field is invalid: this server has no network "
                            "activity events.",
                            field);
            return fail(errmsg, cap, "Value %s for Field is invalid.", field);
        }
        int rc = validate_ops(fs, field, total, errmsg, cap);
        if (rc)
            return rc;
        enum sel_field f = fields[fi].f;
        if (f == F_CATEGORY || f == F_RES_TYPE || f == F_READ_ONLY) {
            const char *v = equals_only(fs, field, errmsg, cap);
            if (!v)
                return -EINVAL;
            if (f == F_CATEGORY) {
                if (seen_category)
                    return fail(errmsg, cap,
                                "An advanced event selector can have only one "
                                "eventCategory field.");
                seen_category = true;
                category = v;
            } else if (f == F_RES_TYPE) {
                if (seen_rtype)
                    return fail(errmsg, cap,
                                "An advanced event selector can have only one "
                                "resources.type field.");
                seen_rtype = true;
                rtype = v;
            } else if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
                return fail(errmsg, cap, "Value %s for readOnly is invalid.", v);
            }
        }
    }
    if (!category)
        return fail(errmsg, cap,
                    "An advanced event selector must have an eventCategory field "
                    "selector.");
    bool management = strcmp(category, "Management") == 0;
    if (!management && strcmp(category, "Data") != 0) {
        if (strcmp(category, "NetworkActivity") == 0)
            return fail(errmsg, cap,
                        "Value NetworkActivity for eventCategory is invalid: this "
                        "server has no network activity events.");
        return fail(errmsg, cap, "Value %s for eventCategory is invalid.", category);
    }
    if (!management) {
        if (!rtype)
            return fail(errmsg, cap, "The resources.type field is required for data events.");
        if (strcmp(rtype, S3_OBJECT_TYPE) != 0) {
            if (starts_with(rtype, "AWS::"))
                return fail(errmsg, cap,
                            "Value %s for resources.type is invalid: this server has data "
                            "events for AWS::S3::Object only.",
                            rtype);
            return fail(errmsg, cap, "Value %s for resources.type is invalid.", rtype);
        }
    }
    /* Second pass: what each category admits. */
    json_array_foreach(fss, i, fs)
    {
        const char *field = json_string_value(member(fs, "Field"));
        int fi = field_index(field);
        if (management && !fields[fi].management_ok)
            return fail(errmsg, cap, "The field %s is not valid for management events.", field);
        if (!management && !fields[fi].data_ok)
            return fail(errmsg, cap, "The field %s is not valid for data events.", field);
        if (management && fields[fi].f == F_SOURCE) {
            for (int o = 0; o < NOPS; o++)
                if (o != OP_NEQ && member(fs, op_names[o]))
                    return fail(errmsg, cap,
                                "Only the NotEquals operator is valid for the "
                                "field eventSource of management events.");
            size_t k;
            json_t *v;
            json_array_foreach(member(fs, "NotEquals"), k, v)
            {
                if (!in_list(json_string_value(v), excludable_sources,
                             sizeof excludable_sources / sizeof excludable_sources[0]))
                    return fail(errmsg, cap, "Value %s for eventSource is invalid.",
                                json_string_value(v));
            }
        }
        if (fields[fi].f == F_RES_ARN) {
            static const enum sel_op exact_ops[] = {OP_EQ, OP_NEQ};
            for (size_t e = 0; e < 2; e++) {
                const char *o = op_names[exact_ops[e]];
                size_t k;
                json_t *v;
                json_array_foreach(member(fs, o), k, v)
                {
                    if (!exact_object_arn(json_string_value(v)))
                        return fail(errmsg, cap,
                                    "Value %s for resources.ARN is invalid: %s takes the exact "
                                    "ARN of an object, arn:aws:s3:::bucket/key.",
                                    json_string_value(v), o);
                }
            }
        }
    }
    return 0;
}

static int validate_advanced(json_t *arr, char *errmsg, size_t cap)
{
    if (!json_is_array(arr))
        return fail(errmsg, cap, "AdvancedEventSelectors must be a list.");
    if (json_array_size(arr) == 0)
        return fail(errmsg, cap, "Specify at least one advanced event selector.");
    size_t total = 0;
    size_t i;
    json_t *sel;
    json_array_foreach(arr, i, sel)
    {
        int rc = validate_one_advanced(sel, &total, errmsg, cap);
        if (rc)
            return rc;
    }
    if (total > SELECTORS_MAX_ADVANCED_VALUES)
        return fail(errmsg, cap,
                    "Specify a valid number of values (1 to %d) for all conditions of your "
                    "advanced event selectors",
                    SELECTORS_MAX_ADVANCED_VALUES);
    return 0;
}

int selectors_validate(json_t *basic, json_t *advanced, char *errmsg, size_t cap)
{
    if (cap)
        errmsg[0] = '\0';
    if (basic && advanced)
        return fail(errmsg, cap,
                    "Specify either EventSelectors or AdvancedEventSelectors, not "
                    "both.");
    if (basic)
        return validate_basic(basic, errmsg, cap);
    if (advanced)
        return validate_advanced(advanced, errmsg, cap);
    return fail(errmsg, cap, "Specify EventSelectors or AdvancedEventSelectors.");
}

/* ---- normalization --------------------------------------------------------------------------- */

/* Sets key to v (a new reference, NULL when its constructor failed); -1 on any failure. */
static int put(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) : -1;
}

json_t *selectors_default_basic(void)
{
    json_t *sel = json_object();
    json_t *arr = json_array();
    int rc = !sel || !arr;
    if (!rc) {
        rc |= put(sel, "ReadWriteType", json_string("All"));
        rc |= put(sel, "IncludeManagementEvents", json_true());
        rc |= put(sel, "DataResources", json_array());
        rc |= put(sel, "ExcludeManagementEventSources", json_array());
        rc |= json_array_append(arr, sel);
    }
    json_decref(sel);
    if (rc) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

json_t *selectors_normalize_basic(json_t *basic)
{
    json_t *out = json_array();
    if (!out)
        return NULL;
    size_t i;
    json_t *sel;
    int rc = 0;
    json_array_foreach(basic, i, sel)
    {
        json_t *o = json_object();
        if (!o) {
            rc = -1;
            break;
        }
        json_t *rw = member(sel, "ReadWriteType");
        json_t *im = member(sel, "IncludeManagementEvents");
        json_t *dr = member(sel, "DataResources");
        json_t *ex = member(sel, "ExcludeManagementEventSources");
        rc |= put(o, "ReadWriteType", rw ? json_copy(rw) : json_string("All"));
        rc |= put(o, "IncludeManagementEvents", json_boolean(!im || json_is_true(im)));
        json_t *drs = json_array();
        size_t j;
        json_t *res;
        json_array_foreach(dr, j, res)
        {
            json_t *r = json_object();
            rc |= put(r, "Type", json_deep_copy(member(res, "Type")));
            rc |= put(r, "Values", json_deep_copy(member(res, "Values")));
            rc |= r ? json_array_append_new(drs, r) : -1;
        }
        rc |= put(o, "DataResources", drs);
        rc |= put(o, "ExcludeManagementEventSources", ex ? json_deep_copy(ex) : json_array());
        rc |= json_array_append_new(out, o);
        if (rc)
            break;
    }
    if (rc) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *selectors_normalize_advanced(json_t *advanced)
{
    json_t *out = json_array();
    if (!out)
        return NULL;
    int rc = 0;
    size_t i;
    json_t *sel;
    json_array_foreach(advanced, i, sel)
    {
        json_t *o = json_object();
        json_t *fss = json_array();
        if (!o || !fss) {
            json_decref(o);
            json_decref(fss);
            rc = -1;
            break;
        }
        json_t *name = member(sel, "Name");
        if (name)
            rc |= put(o, "Name", json_copy(name));
        size_t j;
        json_t *fs;
        json_array_foreach(member(sel, "FieldSelectors"), j, fs)
        {
            json_t *f = json_object();
            if (!f) {
                rc = -1;
                break;
            }
            rc |= put(f, "Field", json_copy(member(fs, "Field")));
            for (int op = 0; op < NOPS; op++) {
                json_t *vals = member(fs, op_names[op]);
                if (vals)
                    rc |= put(f, op_names[op], json_deep_copy(vals));
            }
            rc |= json_array_append_new(fss, f);
        }
        rc |= put(o, "FieldSelectors", fss);
        rc |= json_array_append_new(out, o);
        if (rc)
            break;
    }
    if (rc) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* ---- compiling ------------------------------------------------------------------------------- */

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* A string array from a JSON array of strings; NULL on allocation failure (n = 0 gives a
 * non-NULL empty array). */
static char **strv_from(json_t *arr, size_t *n)
{
    size_t len = json_array_size(arr);
    char **v = calloc(len ? len : 1, sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        v[i] = strdup(json_string_value(json_array_get(arr, i)));
        if (!v[i]) {
            strv_free(v, i);
            return NULL;
        }
    }
    *n = len;
    return v;
}

void selectors_free(struct trail_selectors *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->b && i < s->n; i++) {
        struct basic *b = &s->b[i];
        strv_free(b->excl, b->nexcl);
        for (size_t j = 0; j < b->nvals; j++) {
            free(b->vals[j].arn_prefix);
            free(b->vals[j].bucket);
            free(b->vals[j].prefix);
        }
        free(b->vals);
    }
    for (size_t i = 0; s->a && i < s->n; i++) {
        for (size_t j = 0; j < s->a[i].n; j++)
            strv_free(s->a[i].c[j].v, s->a[i].c[j].n);
        free(s->a[i].c);
    }
    free(s->b);
    free(s->a);
    free(s);
}

static int compile_s3val(const char *v, struct s3val *out)
{
    if (strcmp(v, "arn:aws:s3") == 0 || strcmp(v, S3_ARN) == 0) {
        out->all = true;
        return 0;
    }
    const char *b = v + strlen(S3_ARN);
    const char *slash = strchr(b, '/');
    out->arn_prefix = strdup(v);
    out->bucket = strndup(b, (size_t)(slash - b));
    out->prefix = strdup(slash + 1);
    return out->arn_prefix && out->bucket && out->prefix ? 0 : -ENOMEM;
}

static int compile_basic(json_t *arr, struct trail_selectors *s)
{
    s->n = json_array_size(arr);
    s->b = calloc(s->n, sizeof *s->b);
    if (!s->b)
        return -ENOMEM;
    for (size_t i = 0; i < s->n; i++) {
        json_t *sel = json_array_get(arr, i);
        struct basic *b = &s->b[i];
        const char *rw = json_string_value(member(sel, "ReadWriteType"));
        b->rw = !rw || strcmp(rw, "All") == 0 ? RW_ALL
                : strcmp(rw, "ReadOnly") == 0 ? RW_READ
                                              : RW_WRITE;
        json_t *im = member(sel, "IncludeManagementEvents");
        b->management = !im || json_is_true(im);
        b->excl = strv_from(member(sel, "ExcludeManagementEventSources"), &b->nexcl);
        if (!b->excl)
            return -ENOMEM;
        size_t nv = 0, j;
        json_t *res;
        json_array_foreach(member(sel, "DataResources"), j, res) nv +=
            json_array_size(member(res, "Values"));
        b->vals = calloc(nv ? nv : 1, sizeof *b->vals);
        if (!b->vals)
            return -ENOMEM;
        json_array_foreach(member(sel, "DataResources"), j, res)
        {
            size_t k;
            json_t *v;
            json_array_foreach(member(res, "Values"), k, v)
            {
                int rc = compile_s3val(json_string_value(v), &b->vals[b->nvals++]);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

static int compile_advanced(json_t *arr, struct trail_selectors *s)
{
    s->n = json_array_size(arr);
    s->a = calloc(s->n, sizeof *s->a);
    if (!s->a)
        return -ENOMEM;
    for (size_t i = 0; i < s->n; i++) {
        json_t *fss = member(json_array_get(arr, i), "FieldSelectors");
        struct adv *a = &s->a[i];
        size_t nc = 0, j;
        json_t *fs;
        json_array_foreach(fss, j, fs) for (int o = 0; o < NOPS; o++) nc +=
            member(fs, op_names[o]) != NULL;
        a->c = calloc(nc, sizeof *a->c);
        if (!a->c)
            return -ENOMEM;
        json_array_foreach(fss, j, fs)
        {
            enum sel_field f = fields[field_index(json_string_value(member(fs, "Field")))].f;
            for (int o = 0; o < NOPS; o++) {
                json_t *vals = member(fs, op_names[o]);
                if (!vals)
                    continue;
                struct cond *c = &a->c[a->n];
                c->field = f;
                c->op = (enum sel_op)o;
                c->v = strv_from(vals, &c->n);
                if (!c->v)
                    return -ENOMEM;
                a->n++;
                if (f == F_RES_TYPE || f == F_RES_ARN)
                    a->has_res = true;
                if (f == F_CATEGORY && strcmp(c->v[0], "Data") == 0)
                    a->data = true;
            }
        }
    }
    return 0;
}

int selectors_compile(json_t *basic, json_t *advanced, struct trail_selectors **out)
{
    *out = NULL;
    json_t *dflt = NULL;
    if (!basic && !advanced) {
        basic = dflt = selectors_default_basic();
        if (!basic)
            return -ENOMEM;
    }
    char msg[8];
    int rc = selectors_validate(basic, advanced, msg, sizeof msg);
    struct trail_selectors *s = NULL;
    if (!rc) {
        s = calloc(1, sizeof *s);
        rc = s ? 0 : -ENOMEM;
    }
    if (!rc) {
        s->advanced = advanced != NULL;
        rc = advanced ? compile_advanced(advanced, s) : compile_basic(basic, s);
    }
    json_decref(dflt);
    if (rc) {
        selectors_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int selectors_compile_trail(json_t *trail_doc, struct trail_selectors **out)
{
    return selectors_compile(member(trail_doc, "EventSelectors"),
                             member(trail_doc, "AdvancedEventSelectors"), out);
}

/* ---- matching -------------------------------------------------------------------------------- */

/* The record, parsed on first need when the caller passed none. */
struct match_ctx {
    const struct event_row *ev;
    json_t *record;
    bool parsed; /* record was parsed here (and is released by the matcher) */
    bool tried;
    json_t *res; /* the resources array alone, parsed here when the record was not */
    bool res_tried;
};

static json_t *ctx_record(struct match_ctx *m)
{
    if (!m->record && !m->tried) {
        m->tried = true;
        if (m->ev->record) {
            m->record = json_loads(m->ev->record, 0, NULL);
            m->parsed = m->record != NULL;
        }
    }
    return json_is_object(m->record) ? m->record : NULL;
}

/*
 * The record's top-level "resources" array. A data event's selectors need nothing else, so only
 * that array is parsed, not the whole record: parsing ~1.2 KB records was most of a delivery's
 * cost per data event. The record comes from record.c, where every string is escaped (so the
 * bytes `,"resources":[` occur only as a member name) and "resources" follows every member
 * that can carry a client's names: its last occurrence is the top-level member.
 */
#define RESOURCES_MEMBER ",\"resources\":["

/* The text of the top-level resources array, from its '[' to the record's end; NULL if none. */
static const char *resources_text(const struct match_ctx *m)
{
    const char *at = NULL;
    for (const char *p = m->ev->record ? strstr(m->ev->record, RESOURCES_MEMBER) : NULL; p;
         p = strstr(p + 1, RESOURCES_MEMBER))
        at = p;
    return at ? at + strlen(RESOURCES_MEMBER) - 1 : NULL;
}

static json_t *ctx_resources(struct match_ctx *m)
{
    if (m->record || m->tried) {
        json_t *res = json_object_get(ctx_record(m), "resources");
        return json_is_array(res) ? res : NULL;
    }
    if (!m->res_tried) {
        m->res_tried = true;
        const char *text = resources_text(m);
        if (text)
            m->res = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
    }
    return json_is_array(m->res) ? m->res : NULL;
}

/* Whether record.c writes s into a JSON string byte for byte (no escape can occur in it). */
static bool written_verbatim(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\')
            return false;
    return true;
}

#define OBJECT_ARN "{\"type\":\"" S3_OBJECT_TYPE "\",\"ARN\":\""

/*
 * A basic selector's data values against the record's object ARNs, read from the text as record.c
 * writes an object entry, without parsing anything (jansson's parse of the array was most of a
 * data event's match): 1 matches, 0 does not, -1 when only the general path can tell (a caller's
 * parsed record, an ARNPrefix entry, a value whose bytes the record would have escaped).
 */
static int object_arns_match(const struct basic *b, const struct match_ctx *m)
{
    if (m->record || m->tried)
        return -1;
    const char *text = resources_text(m);
    if (!text || strstr(text, "\"ARNPrefix\""))
        return -1;
    bool any_object = strstr(text, OBJECT_ARN) != NULL;
    for (size_t k = 0; k < b->nvals; k++) {
        const struct s3val *v = &b->vals[k];
        if (v->all) {
            if (any_object)
                return 1;
            continue;
        }
        if (!written_verbatim(v->arn_prefix))
            return -1;
        for (const char *p = strstr(text, OBJECT_ARN); p; p = strstr(p + 1, OBJECT_ARN))
            if (starts_with(p + strlen(OBJECT_ARN), v->arn_prefix))
                return 1;
    }
    return 0;
}

static bool rw_ok(enum rw rw, bool read_only)
{
    return rw == RW_ALL || (rw == RW_READ) == read_only;
}

/* Whether a value covers an ARNPrefix resource ("arn:aws:s3:::bucket/listed-prefix"). */
static bool s3val_covers_prefix(const struct s3val *v, const char *ap, const char *event_name)
{
    if (!starts_with(ap, S3_ARN))
        return false;
    const char *b = ap + strlen(S3_ARN);
    const char *slash = strchr(b, '/');
    size_t blen = slash ? (size_t)(slash - b) : strlen(b);
    const char *listed = slash ? slash + 1 : "";
    if (strlen(v->bucket) != blen || memcmp(v->bucket, b, blen) != 0)
        return false;
    if (!v->prefix[0])
        return true;
    /* A listing within the selected prefix touches only keys the selector covers. */
    bool listing =
        strcmp(event_name, "ListObjects") == 0 || strcmp(event_name, "ListObjectVersions") == 0;
    return listing && starts_with(listed, v->prefix);
}

static bool basic_data_match(const struct basic *b, struct match_ctx *m)
{
    if (b->nvals == 0)
        return false;
    int fast = object_arns_match(b, m);
    if (fast >= 0)
        return fast == 1;
    json_t *res = ctx_resources(m);
    size_t i;
    json_t *r;
    json_array_foreach(res, i, r)
    {
        const char *type = json_string_value(json_object_get(r, "type"));
        if (!type || strcmp(type, S3_OBJECT_TYPE) != 0)
            continue;
        const char *arn = json_string_value(json_object_get(r, "ARN"));
        const char *ap = json_string_value(json_object_get(r, "ARNPrefix"));
        for (size_t k = 0; k < b->nvals; k++) {
            const struct s3val *v = &b->vals[k];
            if (v->all && (arn || ap))
                return true;
            if (v->all)
                continue;
            if (arn && starts_with(arn, v->arn_prefix))
                return true;
            if (ap && s3val_covers_prefix(v, ap, m->ev->event_name))
                return true;
        }
    }
    return false;
}

static bool basic_match(const struct basic *b, struct match_ctx *m)
{
    const struct event_row *ev = m->ev;
    if (!rw_ok(b->rw, ev->read_only))
        return false;
    if (ev->management) {
        if (!b->management)
            return false;
        for (size_t i = 0; i < b->nexcl; i++)
            if (strcmp(ev->event_source, b->excl[i]) == 0)
                return false;
        return true;
    }
    return basic_data_match(b, m);
}

static bool value_matches(enum sel_op op, const char *val, const char *v)
{
    switch (op) {
    case OP_EQ:
    case OP_NEQ:
        return strcmp(val, v) == 0;
    case OP_SW:
    case OP_NSW:
        return starts_with(val, v);
    case OP_EW:
    case OP_NEW:
        return ends_with(val, v);
    default:
        return false;
    }
}

/* A positive operator holds when some value matches; a negative one when none does. A field
 * the event lacks (val NULL) matches no value. */
static bool cond_holds(const struct cond *c, const char *val)
{
    bool negative = c->op >= OP_NEQ;
    bool any = false;
    for (size_t i = 0; val && i < c->n && !any; i++)
        any = value_matches(c->op, val, c->v[i]);
    return negative ? !any : any;
}

/* A string field of the record; booleans read as "true" / "false". */
static const char *record_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return NULL;
}

static const char *event_field(enum sel_field f, struct match_ctx *m)
{
    const struct event_row *ev = m->ev;
    switch (f) {
    case F_CATEGORY:
        return ev->management ? "Management" : "Data";
    case F_SOURCE:
        return ev->event_source;
    case F_NAME:
        return ev->event_name;
    case F_READ_ONLY:
        return ev->read_only ? "true" : "false";
    case F_EVENT_TYPE:
        return record_str(ctx_record(m), "eventType");
    case F_USER_ARN:
        return record_str(json_object_get(ctx_record(m), "userIdentity"), "arn");
    case F_CONSOLE:
        return record_str(ctx_record(m), "sessionCredentialFromConsole");
    default:
        return NULL;
    }
}

/* Whether one resource (NULL: the event has none) satisfies every resources.* condition. */
static bool resource_holds(const struct adv *a, json_t *r)
{
    const char *type = json_string_value(json_object_get(r, "type"));
    const char *arn = json_string_value(json_object_get(r, "ARN"));
    if (!arn)
        arn = json_string_value(json_object_get(r, "ARNPrefix"));
    for (size_t i = 0; i < a->n; i++) {
        const struct cond *c = &a->c[i];
        if (c->field == F_RES_TYPE && !cond_holds(c, type))
            return false;
        if (c->field == F_RES_ARN && !cond_holds(c, arn))
            return false;
    }
    return true;
}

static bool advanced_match(const struct adv *a, struct match_ctx *m)
{
    for (size_t i = 0; i < a->n; i++) {
        const struct cond *c = &a->c[i];
        if (c->field == F_RES_TYPE || c->field == F_RES_ARN)
            continue;
        if (!cond_holds(c, event_field(c->field, m)))
            return false;
    }
    if (!a->has_res)
        return true;
    json_t *res = ctx_resources(m);
    if (json_array_size(res) == 0)
        return resource_holds(a, NULL);
    size_t i;
    json_t *r;
    json_array_foreach(res, i, r)
    {
        if (resource_holds(a, r))
            return true;
    }
    return false;
}

bool selectors_match(const struct trail_selectors *s, const struct event_row *ev, json_t *record)
{
    if (!s || !ev)
        return false;
    struct match_ctx m = {.ev = ev, .record = record, .tried = record != NULL};
    bool hit = false;
    for (size_t i = 0; i < s->n && !hit; i++)
        hit = s->advanced ? advanced_match(&s->a[i], &m) : basic_match(&s->b[i], &m);
    if (m.parsed)
        json_decref(m.record);
    json_decref(m.res);
    return hit;
}

bool selectors_want_data(const struct trail_selectors *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->advanced ? s->a[i].data : s->b[i].nvals > 0)
            return true;
    return false;
}
