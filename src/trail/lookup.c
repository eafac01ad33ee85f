/*
 * lookup — LookupEvents, the event history (cloudtrail.md §5.3): the caller's management events
 * in the called region, newest first, from the store's event journal (store_event_lookup).
 *
 * Paging: each page asks the store for one row more than MaxResults; when that extra row exists
 * the page ends with a NextToken whose cursor is the seq of the page's last row, so the next page
 * starts right below it: no repeats, no gaps, and never the same token twice (cursors only
 * fall). Rows appended after the first page have higher seqs and never slip into later pages.
 *
 * Times: a record's eventTime has whole seconds (cloudtrail.md §1), so an event is treated as
 * happening at the second its record shows, both in EventTime and when StartTime/EndTime
 * (inclusive) are applied: an event at 12:00:00.700 is returned for EndTime 12:00:00. The
 * retention bound (ct_retention_ms) is applied on the journal's millisecond times.
 */
#include "trail/ctapi.h"

#include "http/req.h"
#include "s3/errors.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOOKUP_MAX_RESULTS 50
#define LOOKUP_VALUE_MAX 2000
/* Timestamps beyond ±10^12 s (year ~33658) are not times any client means; refusing them keeps
 * every millisecond computation inside int64. */
#define LOOKUP_TIME_LIMIT 1e12

static const char *const lookup_keys[] = {"EventId",     "EventName",    "ReadOnly",
                                          "Username",    "ResourceType", "ResourceName",
                                          "EventSource", "AccessKeyId"};
/* The attributes CloudTrail documents for Insights events. */
static const char *const insight_keys[] = {"EventId", "EventName", "EventSource"};

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* The length of an AttributeValue as CloudTrail counts it: characters (UTF-8 code points), with
 * '_', ' ', ',' and '\n' counting two each (the model's documentation of AttributeValue). */
static size_t value_weight(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue; /* a continuation byte: the character was counted at its lead byte */
        n += (*p == '_' || *p == ' ' || *p == ',' || *p == '\n') ? 2 : 1;
    }
    return n;
}

/* The request, validated. */
struct lookup_in {
    const char *attr_key, *attr_value; /* point into the request JSON */
    bool has_start, has_end;
    int64_t start_ms, end_ms; /* the whole-second bounds as journal milliseconds */
    size_t max;
    bool insight;
    const char *token; /* NULL when none */
};

/* Members sent as JSON null are treated as absent, as an SDK that writes null for an unset
 * member means. */
static json_t *member(json_t *in, const char *name)
{
    json_t *v = json_object_get(in, name);
    return v && !json_is_null(v) ? v : NULL;
}

static int parse_attrs(struct req *r, json_t *in, struct lookup_in *p)
{
    json_t *la = member(in, "LookupAttributes");
    if (!la)
        return 0;
    if (!json_is_array(la))
        return req_api_error(r, 400, "SerializationException", "LookupAttributes must be a list");
    if (json_array_size(la) > 1)
        return req_api_error(r, 400, "InvalidLookupAttributesException",
                             "You can only specify one lookup attribute");
    if (json_array_size(la) == 0)
        return 0;
    json_t *a = json_array_get(la, 0);
    if (!json_is_object(a))
        return req_api_error(r, 400, "SerializationException",
                             "A lookup attribute must be a structure");
    json_t *k = json_object_get(a, "AttributeKey");
    json_t *v = json_object_get(a, "AttributeValue");
    if (!json_is_string(k) ||
        !in_list(json_string_value(k), lookup_keys, sizeof lookup_keys / sizeof lookup_keys[0]))
        return req_api_error(r, 400, "InvalidLookupAttributesException",
                             "AttributeKey must be one of EventId, EventName, ReadOnly, Username, "
                             "ResourceType, ResourceName, EventSource, AccessKeyId");
    if (!json_is_string(v))
        return req_api_error(r, 400, "InvalidLookupAttributesException",
                             "AttributeValue is required");
    size_t w = value_weight(json_string_value(v));
    if (w < 1 || w > LOOKUP_VALUE_MAX)
        return req_api_error(r, 400, "InvalidLookupAttributesException",
                             "AttributeValue must be 1 to %d characters long", LOOKUP_VALUE_MAX);
    p->attr_key = json_string_value(k);
    p->attr_value = json_string_value(v);
    return 0;
}

static int parse_time(struct req *r, json_t *in, const char *name, bool *has, double *secs)
{
    json_t *v = member(in, name);
    *has = v != NULL;
    if (!v)
        return 0;
    if (ct_json_time(v, secs) != 0)
        return req_api_error(r, 400, "SerializationException",
                             "%s must be a timestamp (epoch seconds)", name);
    if (*secs > LOOKUP_TIME_LIMIT || *secs < -LOOKUP_TIME_LIMIT)
        return req_api_error(r, 400, "InvalidTimeRangeException",
                             "%s is outside the range of possible values", name);
    return 0;
}

/* floor() and ceil() for |d| <= LOOKUP_TIME_LIMIT, without libm: the conversion truncates
 * toward zero, exactly, since such values fit int64. */
static int64_t secs_floor(double d)
{
    int64_t i = (int64_t)d;
    return (double)i > d ? i - 1 : i;
}

static int64_t secs_ceil(double d)
{
    int64_t i = (int64_t)d;
    return (double)i < d ? i + 1 : i;
}

static int parse_request(struct req *r, json_t *in, struct lookup_in *p)
{
    memset(p, 0, sizeof *p);
    p->max = LOOKUP_MAX_RESULTS;
    json_t *mr = member(in, "MaxResults");
    if (mr) {
        if (!json_is_integer(mr))
            return req_api_error(r, 400, "SerializationException", "MaxResults must be an integer");
        json_int_t m = json_integer_value(mr);
        if (m < 1 || m > LOOKUP_MAX_RESULTS)
            return req_api_error(r, 400, "InvalidMaxResultsException",
                                 "MaxResults must be between 1 and %d", LOOKUP_MAX_RESULTS);
        p->max = (size_t)m;
    }

    int rc = parse_attrs(r, in, p);
    if (rc)
        return rc;

    double s = 0, e = 0;
    rc = parse_time(r, in, "StartTime", &p->has_start, &s);
    if (!rc)
        rc = parse_time(r, in, "EndTime", &p->has_end, &e);
    if (rc)
        return rc;
    if (p->has_start && p->has_end && s > e)
        return req_api_error(r, 400, "InvalidTimeRangeException",
                             "The start time must not be after the end time");
    /* Whole seconds: an event's second t is in [S, E] when t >= ceil(S) and t <= floor(E). */
    if (p->has_start)
        p->start_ms = secs_ceil(s) * 1000;
    if (p->has_end)
        p->end_ms = secs_floor(e) * 1000 + 999;

    json_t *cat = member(in, "EventCategory");
    if (cat) {
        if (!json_is_string(cat))
            return req_api_error(r, 400, "SerializationException",
                                 "EventCategory must be a string");
        if (strcmp(json_string_value(cat), "insight") != 0)
            return req_api_error(r, 400, "InvalidEventCategoryException",
                                 "EventCategory must be insight");
        p->insight = true;
        if (p->attr_key &&
            !in_list(p->attr_key, insight_keys, sizeof insight_keys / sizeof insight_keys[0]))
            return req_api_error(r, 400, "InvalidLookupAttributesException",
                                 "Insights events can only be looked up by EventId, EventName "
                                 "or EventSource");
    }

    json_t *tok = member(in, "NextToken");
    if (tok) {
        if (!json_is_string(tok))
            return req_api_error(r, 400, "SerializationException", "NextToken must be a string");
        if (json_string_value(tok)[0])
            p->token = json_string_value(tok);
    }
    return 0;
}

/* A length-prefixed field, so no two parameter sets serialise alike. */
static void hash_field(struct buf *b, const char *s)
{
    if (!s) {
        buf_puts(b, "-;");
        return;
    }
    buf_printf(b, "%zu:", strlen(s));
    buf_puts(b, s);
    buf_putc(b, ';');
}

/* The hash a token carries: everything but the cursor and MaxResults that decides the result,
 * the caller's scope included (a token handed to another account or region is refused). */
static int params_hash(const struct req *r, const struct lookup_in *p, uint64_t *out)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "LookupEvents/1;");
    hash_field(&b, r->who.account_id);
    hash_field(&b, r->region);
    hash_field(&b, p->attr_key);
    hash_field(&b, p->attr_value);
    if (p->has_start)
        buf_printf(&b, "S%lld;", (long long)p->start_ms);
    else
        buf_puts(&b, "S-;");
    if (p->has_end)
        buf_printf(&b, "E%lld;", (long long)p->end_ms);
    else
        buf_puts(&b, "E-;");
    buf_puts(&b, p->insight ? "insight;" : "-;");
    if (!buf_ok(&b)) {
        buf_free(&b);
        return -ENOMEM;
    }
    unsigned char d[HASH_SHA256_LEN];
    hash_sha256(b.data, b.len, d);
    buf_free(&b);
    uint64_t h = 0;
    for (int i = 0; i < 8; i++)
        h = h << 8 | d[i];
    *out = h;
    return 0;
}

/* ---- tokens ------------------------------------------------------------------------------- */

#define TOKEN_VERSION 1
#define TOKEN_BYTES 24 /* 1 version + 8 cursor + 8 parameter hash + 7 check: 32 base64 chars */
#define TOKEN_CHECK_OFF 17

static void token_check(const unsigned char *p, unsigned char out[TOKEN_BYTES - TOKEN_CHECK_OFF])
{
    static const char domain[] = "s3trail LookupEvents NextToken";
    unsigned char msg[sizeof domain + TOKEN_CHECK_OFF];
    memcpy(msg, domain, sizeof domain);
    memcpy(msg + sizeof domain, p, TOKEN_CHECK_OFF);
    unsigned char d[HASH_SHA256_LEN];
    hash_sha256(msg, sizeof msg, d);
    memcpy(out, d, TOKEN_BYTES - TOKEN_CHECK_OFF);
}

void ct_token_encode(int64_t before_seq, uint64_t params_hash, char out[CT_TOKEN_LEN + 1])
{
    unsigned char b[TOKEN_BYTES];
    b[0] = TOKEN_VERSION;
    for (int i = 0; i < 8; i++) {
        b[1 + i] = (unsigned char)((uint64_t)before_seq >> (56 - 8 * i));
        b[9 + i] = (unsigned char)(params_hash >> (56 - 8 * i));
    }
    token_check(b, b + TOKEN_CHECK_OFF);
    hash_base64_encode(b, sizeof b, out);
}

int ct_token_decode(const char *token, int64_t *before_seq, uint64_t *params_hash)
{
    if (!token || strlen(token) != CT_TOKEN_LEN)
        return -1;
    unsigned char b[TOKEN_BYTES];
    size_t n;
    if (hash_base64_decode(token, CT_TOKEN_LEN, b, sizeof b, &n) != 0 || n != TOKEN_BYTES ||
        b[0] != TOKEN_VERSION)
        return -1;
    unsigned char check[TOKEN_BYTES - TOKEN_CHECK_OFF];
    token_check(b, check);
    if (memcmp(check, b + TOKEN_CHECK_OFF, sizeof check) != 0)
        return -1;
    uint64_t seq = 0, h = 0;
    for (int i = 0; i < 8; i++) {
        seq = seq << 8 | b[1 + i];
        h = h << 8 | b[9 + i];
    }
    if (seq == 0 || seq > (uint64_t)INT64_MAX)
        return -1;
    *before_seq = (int64_t)seq;
    *params_hash = h;
    return 0;
}

/* ---- the response ------------------------------------------------------------------------- */

/* Sets key to v (a new reference, NULL when its constructor failed); -1 on any failure. */
static int put(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) : -1;
}

/* One element of Events[] (the Event shape of the model). */
static json_t *event_json(const struct event_row *e)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int64_t secs =
        e->event_time_ms >= 0 ? e->event_time_ms / 1000 : -((-e->event_time_ms + 999) / 1000);
    json_t *res = json_loads(e->resources, 0, NULL);
    if (res && !json_is_array(res)) {
        json_decref(res);
        res = NULL;
    }
    if (!res)
        res = json_array(); /* the journal checked it on append; never fail a lookup over it */
    int rc = put(o, "EventId", json_string(e->event_id));
    rc |= put(o, "EventName", json_string(e->event_name));
    rc |= put(o, "ReadOnly", json_string(e->read_only ? "true" : "false"));
    if (e->access_key[0])
        rc |= put(o, "AccessKeyId", json_string(e->access_key));
    rc |= put(o, "EventTime", json_real((double)secs));
    rc |= put(o, "EventSource", json_string(e->event_source));
    rc |= put(o, "Username", json_string(e->username));
    rc |= put(o, "Resources", res);
    rc |= put(o, "CloudTrailEvent", json_string(e->record));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int ct_lookup_events(struct req *r)
{
    json_t *in = ct_request_body(r);
    if (!in)
        return -1; /* the answer is recorded in r */
    struct lookup_in p;
    int rc = parse_request(r, in, &p);
    uint64_t ph = 0;
    int64_t before = 0;
    if (!rc) {
        rc = params_hash(r, &p, &ph);
        if (rc)
            rc = req_error(r, s3err_from_errno(rc), NULL);
    }
    if (!rc && p.token) {
        uint64_t th;
        if (ct_token_decode(p.token, &before, &th) != 0)
            rc = req_api_error(r, 400, "InvalidNextTokenException", "Invalid NextToken");
        else if (th != ph)
            rc = req_api_error(r, 400, "InvalidNextTokenException",
                               "The NextToken was issued for different parameters");
    }
    if (rc) {
        json_decref(in);
        return rc;
    }

    struct event_row *v = NULL;
    size_t n = 0;
    /* No Insights events are ever generated here, so the insight category is always empty.
     * Events of no account (anonymous calls on no bucket, journal account "") are nobody's
     * history, should an unauthenticated caller ever get this far. */
    if (!p.insight && r->who.account_id[0]) {
        struct event_query q = {
            .account_id = r->who.account_id,
            .region = r->region,
            .attr_key = p.attr_key,
            .attr_value = p.attr_value,
            .start_ms = p.has_start ? p.start_ms : 0,
            .end_ms = p.has_end ? p.end_ms : 0,
            .before_seq = before,
            .max = p.max + 1,
        };
        if (ct_retention_ms > 0) {
            int64_t oldest = store_now_ms() - ct_retention_ms;
            if (!p.has_start || q.start_ms < oldest)
                q.start_ms = oldest;
        }
        rc = store_event_lookup(r->st, &q, &v, &n);
    }
    json_decref(in); /* p's strings pointed into it; nothing reads them from here on */
    if (rc)
        return req_error(r, s3err_from_errno(rc), NULL);

    json_t *out = json_object();
    json_t *events = json_array();
    int bad = !out || !events;
    size_t shown = n > p.max ? p.max : n;
    for (size_t i = 0; i < shown && !bad; i++)
        bad = json_array_append_new(events, event_json(&v[i])) != 0;
    if (!bad) {
        bad = json_object_set_new(out, "Events", events) != 0;
        events = NULL; /* set_new took it, also on failure */
    }
    if (!bad && n > p.max) {
        char tok[CT_TOKEN_LEN + 1];
        ct_token_encode(v[p.max - 1].seq, ph, tok);
        bad = put(out, "NextToken", json_string(tok)) != 0;
    }
    store_event_rows_free(v, n);
    json_decref(events);
    if (bad) {
        json_decref(out);
        return req_error(r, s3err_from_errno(-ENOMEM), NULL);
    }
    return ct_reply(r, out);
}
