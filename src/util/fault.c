#include "util/fault.h"
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/xmlmemory.h>

#define MAX_RULES 16
#define MAX_FILE 4096

struct rule {
    enum fault_point point;
    enum fault_kind kind;
    unsigned long after;
    unsigned long times; /* 0: without end */
    double rate;
    unsigned long seen;  /* hits of the point while this rule was armed */
    unsigned long fired;
};

atomic_bool fault__armed;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct rule rules[MAX_RULES];
static size_t nrules;
static unsigned int seed = 1;

static const char *const point_names[FAULT_N_POINTS] = {
    [FAULT_BLOB_WRITE] = "blob_write", [FAULT_BLOB_FSYNC] = "blob_fsync",
    [FAULT_SQL_READ] = "sql_read",     [FAULT_SQL_WRITE] = "sql_write",
    [FAULT_SQL_COMMIT] = "sql_commit", [FAULT_ALLOC] = "alloc",
};

static const char *const kind_names[] = {
    [FAULT_NONE] = "none", [FAULT_ENOSPC] = "enospc", [FAULT_EIO] = "eio",
    [FAULT_SHORT] = "short", [FAULT_BUSY] = "busy", [FAULT_FULL] = "full",
    [FAULT_IOERR] = "ioerr", [FAULT_NOMEM] = "nomem",
};

/* Which kinds a point can imitate: a write cannot be busy, an allocation cannot be short. */
static bool kind_fits(enum fault_point p, enum fault_kind k)
{
    switch (p) {
    case FAULT_BLOB_WRITE:
        return k == FAULT_ENOSPC || k == FAULT_EIO || k == FAULT_SHORT;
    case FAULT_BLOB_FSYNC:
        return k == FAULT_EIO;
    case FAULT_SQL_READ:
    case FAULT_SQL_WRITE:
    case FAULT_SQL_COMMIT:
        return k == FAULT_BUSY || k == FAULT_FULL || k == FAULT_IOERR;
    case FAULT_ALLOC:
        return k == FAULT_NOMEM;
    case FAULT_N_POINTS:
        break;
    }
    return false;
}

enum fault_kind fault__hit(enum fault_point p)
{
    enum fault_kind out = FAULT_NONE;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < nrules && out == FAULT_NONE; i++) {
        struct rule *r = &rules[i];
        if (r->point != p)
            continue;
        if (r->seen++ < r->after || (r->times && r->fired >= r->times))
            continue;
        if (r->rate < 1.0 && (double)rand_r(&seed) / RAND_MAX >= r->rate)
            continue;
        r->fired++;
        out = r->kind;
    }
    pthread_mutex_unlock(&mu);
    return out;
}

static int lookup(const char *const *names, size_t n, const char *word, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && strlen(names[i]) == len && memcmp(names[i], word, len) == 0)
            return (int)i;
    return -1;
}

/* "name=value" with value an unsigned integer (or a probability for rate). */
static int parse_option(struct rule *r, const char *w, size_t len)
{
    char tmp[64];
    if (len >= sizeof tmp)
        return -EINVAL;
    memcpy(tmp, w, len);
    tmp[len] = '\0';
    char *eq = strchr(tmp, '='), *end = NULL;
    if (!eq || !eq[1])
        return -EINVAL;
    *eq++ = '\0';
    errno = 0;
    if (strcmp(tmp, "rate") == 0) {
        r->rate = strtod(eq, &end);
        return *end || errno || !(r->rate > 0 && r->rate <= 1) ? -EINVAL : 0;
    }
    unsigned long v = strtoul(eq, &end, 10);
    if (*end || errno || *eq == '-')
        return -EINVAL;
    if (strcmp(tmp, "after") == 0)
        r->after = v;
    else if (strcmp(tmp, "times") == 0)
        r->times = v;
    else
        return -EINVAL;
    return 0;
}

/* One rule from [s, e): words separated by blanks. */
static int parse_rule(const char *s, const char *e, struct rule *r)
{
    *r = (struct rule){.times = 1, .rate = 1.0};
    int field = 0;
    while (s < e) {
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        const char *w = s;
        while (s < e && *s != ' ' && *s != '\t')
            s++;
        size_t len = (size_t)(s - w);
        if (!len)
            break;
        if (field == 0) {
            int v = lookup(point_names, FAULT_N_POINTS, w, len);
            if (v < 0)
                return -EINVAL;
            r->point = (enum fault_point)v;
        } else if (field == 1) {
            int v = lookup(kind_names, sizeof kind_names / sizeof kind_names[0], w, len);
            if (v <= 0 || !kind_fits(r->point, (enum fault_kind)v))
                return -EINVAL;
            r->kind = (enum fault_kind)v;
        } else if (parse_option(r, w, len)) {
            return -EINVAL;
        }
        field++;
    }
    return field == 0 ? 1 : field >= 2 ? 0 : -EINVAL; /* 1: a blank line */
}

int fault_arm(const char *text)
{
    struct rule parsed[MAX_RULES];
    size_t n = 0;
    for (const char *s = text ? text : ""; *s;) {
        size_t len = strcspn(s, ";\n");
        struct rule r;
        int rc = parse_rule(s, s + len, &r);
        if (rc < 0 || (rc == 0 && n == MAX_RULES)) {
            log_error("fault injection: cannot parse rule \"%.*s\"", (int)len, s);
            return -EINVAL;
        }
        if (rc == 0)
            parsed[n++] = r;
        s += len;
        if (*s)
            s++;
    }
    pthread_mutex_lock(&mu);
    memcpy(rules, parsed, n * sizeof parsed[0]);
    nrules = n;
    atomic_store(&fault__armed, n > 0);
    pthread_mutex_unlock(&mu);
    for (size_t i = 0; i < n; i++)
        log_info("fault injection armed: %s %s after=%lu times=%lu rate=%g",
                 point_names[parsed[i].point], kind_names[parsed[i].kind], parsed[i].after,
                 parsed[i].times, parsed[i].rate);
    if (!n)
        log_info("fault injection disarmed");
    return 0;
}

int fault_reload(void)
{
    const char *path = getenv("S3TRAIL_FAULTS_FILE");
    if (!path || !*path)
        return 0;
    char text[MAX_FILE + 1] = "";
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(text, 1, MAX_FILE, f);
        text[n] = '\0';
        fclose(f);
    }
    return fault_arm(text);
}

/* The jansson and libxml2 allocators, installed only when fault injection is configured, so an
 * alloc rule reaches the JSON and XML parsers too. */
/* Failed allocations of this thread through the hooks below, injected or real. */
static __thread unsigned long alloc_failures;

unsigned long fault_alloc_failures(void)
{
    return alloc_failures;
}

static void *counted(void *p)
{
    if (!p)
        alloc_failures++;
    return p;
}

static void *fault_malloc(size_t n)
{
    return counted(fault_hit(FAULT_ALLOC) == FAULT_NOMEM ? NULL : malloc(n));
}

static void *fault_realloc(void *p, size_t n)
{
    return counted(fault_hit(FAULT_ALLOC) == FAULT_NOMEM ? NULL : realloc(p, n));
}

static char *fault_strdup(const char *s)
{
    return counted(fault_hit(FAULT_ALLOC) == FAULT_NOMEM ? NULL : strdup(s));
}

int fault_init(void)
{
    /* Installed whether or not faults are configured: the hooks also count real allocation
     * failures (fault_alloc_failures), which is how a libxml2 parse that lost a node to a
     * failed allocation is told apart from a good one. Unarmed they cost one atomic load. */
    json_set_alloc_funcs(fault_malloc, free);
    xmlMemSetup(free, fault_malloc, fault_realloc, fault_strdup);
    const char *path = getenv("S3TRAIL_FAULTS_FILE");
    if (!path || !*path)
        return 0;
    return fault_reload();
}
