/*
 * main.c — the s3trail command line:
 *   s3trail serve [--listen HOST:PORT] [--data DIR] [--regions R1,R2] [--domain D]
 *                 [--threads N] [--idle-timeout S] [--retention-days DAYS]
 *                 [--delivery-interval SECONDS]
 *   s3trail admin [--data DIR] account create [--id ID] [--canonical-id ID] [--name N] [--email E]
 *   s3trail admin [--data DIR] key create --account ID [--access-key AK] [--secret SK]
 *   s3trail admin [--data DIR] events dump [--after SEQ]   the event journal, a record per line
 *   s3trail ops --markdown        the supported-operations table (README)
 *   s3trail version
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "http/server.h"
#include "s3/optable.h"
#include "store/store.h"
#include "trail/ctapi.h"
#include "trail/delivery.h"
#include "util/buf.h"
#include "util/fault.h"
#include "util/hash.h"
#include "util/log.h"

#define S3TRAIL_VERSION "0.1.0"

static void usage(void)
{
    fprintf(stderr,
            "usage: s3trail serve [--listen HOST:PORT] [--data DIR] [--regions R1,R2]\n"
            "                     [--domain DOMAIN] [--threads N] [--idle-timeout SECONDS]\n"
            "                     [--retention-days DAYS] [--delivery-interval SECONDS]\n"
            "       s3trail admin [--data DIR] account create [--id ID] [--canonical-id ID]\n"
            "                     [--name NAME] [--email EMAIL]\n"
            "       s3trail admin [--data DIR] key create --account ID [--access-key AK]\n"
            "                     [--secret SK]\n"
            "       s3trail admin [--data DIR] events dump [--after SEQ]\n"
            "       s3trail ops --markdown\n"
            "       s3trail version\n");
}

/* ---- identities ---------------------------------------------------------------------------- */

static int gen_digits(char *out, size_t n)
{
    unsigned char r[32];
    if (n > sizeof r || hash_random_bytes(r, n))
        return -EIO;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)('0' + r[i] % 10);
    out[n] = '\0';
    if (out[0] == '0')
        out[0] = '1';
    return 0;
}

struct create_args {
    struct account *acct;
    struct access_key *key;
};

static int create_apply(struct store_txn *t, void *arg)
{
    struct create_args *a = arg;
    int rc = 0;
    if (a->acct)
        rc = store_txn_account_create(t, a->acct);
    if (!rc && a->key)
        rc = store_txn_key_create(t, a->key);
    return rc;
}

static int fill_account(struct account *a, const char *id, const char *canonical,
                        const char *name, const char *email)
{
    memset(a, 0, sizeof *a);
    if (id) {
        if (strlen(id) != 12 || strspn(id, "0123456789") != 12)
            return -EINVAL;
        snprintf(a->id, sizeof a->id, "%s", id);
    } else if (gen_digits(a->id, 12)) {
        return -EIO;
    }
    if (canonical) {
        if (!*canonical || strlen(canonical) >= sizeof a->canonical_id)
            return -EINVAL;
        snprintf(a->canonical_id, sizeof a->canonical_id, "%s", canonical);
    } else if (hash_random_hex(a->canonical_id, 32)) {
        return -EIO;
    }
    snprintf(a->display_name, sizeof a->display_name, "%s", name ? name : a->id);
    if (email)
        snprintf(a->email, sizeof a->email, "%s", email);
    a->created_ms = store_now_ms();
    return 0;
}

static int fill_key(struct access_key *k, const char *account, const char *ak, const char *sk)
{
    memset(k, 0, sizeof *k);
    if (ak) {
        if (!*ak || strlen(ak) >= sizeof k->access_key)
            return -EINVAL;
        snprintf(k->access_key, sizeof k->access_key, "%s", ak);
    } else {
        memcpy(k->access_key, "AKIA", 4);
        if (hash_random_upper_alnum(k->access_key + 4, 16))
            return -EIO;
    }
    if (sk) {
        if (!*sk || strlen(sk) >= sizeof k->secret)
            return -EINVAL;
        snprintf(k->secret, sizeof k->secret, "%s", sk);
    } else {
        unsigned char raw[30];
        if (hash_random_bytes(raw, sizeof raw))
            return -EIO;
        hash_base64_encode(raw, sizeof raw, k->secret);
        for (char *p = k->secret; *p; p++) /* keep it shell- and URL-friendly */
            if (*p == '/' || *p == '+')
                *p = 'x';
    }
    snprintf(k->account_id, sizeof k->account_id, "%s", account);
    k->active = true;
    k->created_ms = store_now_ms();
    return 0;
}

/* The default account's root keys are kept beside the metadata so the banner can show them on
 * every start (the file is 0600, like the database). */
static int save_root_credentials(const char *dir, const struct access_key *k)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/root-credentials", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    char line[300];
    int n = snprintf(line, sizeof line, "%s %s\n", k->access_key, k->secret);
    int rc = write(fd, line, (size_t)n) == n && fsync(fd) == 0 ? 0 : -EIO;
    close(fd);
    return rc;
}

static int load_root_credentials(const char *dir, char ak[129], char sk[129])
{
    char path[4096];
    snprintf(path, sizeof path, "%s/root-credentials", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    int rc = fscanf(f, "%128s %128s", ak, sk) == 2 ? 0 : -EINVAL;
    fclose(f);
    return rc;
}

/* First start: create the default account; on every start, make sure the keys given in
 * S3TRAIL_ROOT_ACCESS_KEY / S3TRAIL_ROOT_SECRET_KEY exist for it. */
static int ensure_default_account(struct store *st, const char *dir, struct account *acct,
                                  char ak[129], char sk[129])
{
    const char *env_ak = getenv("S3TRAIL_ROOT_ACCESS_KEY");
    const char *env_sk = getenv("S3TRAIL_ROOT_SECRET_KEY");
    if ((env_ak && !env_sk) || (!env_ak && env_sk)) {
        log_error("set both S3TRAIL_ROOT_ACCESS_KEY and S3TRAIL_ROOT_SECRET_KEY, or neither");
        return -EINVAL;
    }
    int rc = store_account_default(st, acct);
    struct account fresh;
    struct access_key key;
    struct create_args args = {0};
    if (rc == -ENOENT) {
        rc = fill_account(&fresh, NULL, NULL, "s3trail", NULL);
        if (rc)
            return rc;
        args.acct = &fresh;
        *acct = fresh;
    } else if (rc) {
        return rc;
    }
    if (env_ak) {
        struct access_key existing;
        rc = store_key_get(st, env_ak, &existing);
        if (rc == 0) {
            if (strcmp(existing.secret, env_sk) != 0 ||
                strcmp(existing.account_id, acct->id) != 0) {
                log_error("S3TRAIL_ROOT_ACCESS_KEY exists in %s with another secret or account",
                          dir);
                return -EINVAL;
            }
        } else if (rc == -ENOENT) {
            if ((rc = fill_key(&key, acct->id, env_ak, env_sk)))
                return rc;
            args.key = &key;
        } else {
            return rc;
        }
        snprintf(ak, 129, "%s", env_ak);
        snprintf(sk, 129, "%s", env_sk);
    } else if (load_root_credentials(dir, ak, sk) != 0) {
        if ((rc = fill_key(&key, acct->id, NULL, NULL)))
            return rc;
        args.key = &key;
        snprintf(ak, 129, "%s", key.access_key);
        snprintf(sk, 129, "%s", key.secret);
    }
    if (args.acct || args.key) {
        rc = store_submit_wait(st, create_apply, &args);
        if (rc)
            return rc;
    }
    if (!env_ak && args.key)
        return save_root_credentials(dir, &key);
    return 0;
}

/* ---- serve ------------------------------------------------------------------------------- */

struct prune {
    int64_t before_ms;
    int removed;
};

static int prune_apply(struct store_txn *t, void *arg)
{
    struct prune *p = arg;
    p->removed = store_txn_event_prune(t, p->before_ms);
    return p->removed < 0 ? p->removed : 0;
}

/* Management events leave event history after the retention (90 days by default, as AWS). One
 * work item removes a bounded number of rows so the writer is never held long; repeat until a
 * pass comes back short. */
static void prune_history(struct store *st, int days)
{
    struct prune p = {.before_ms = store_now_ms() - (int64_t)days * 86400 * 1000};
    do {
        if (store_submit_wait(st, prune_apply, &p)) {
            log_warn("event history pruning failed; it is retried in an hour");
            return;
        }
    } while (p.removed == STORE_EVENT_PRUNE_MAX);
}

static int parse_listen(const char *s, struct server_config *cfg)
{
    const char *colon = strrchr(s, ':');
    if (!colon)
        return -EINVAL;
    size_t hl = (size_t)(colon - s);
    if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
        s++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof cfg->listen_host)
        return -EINVAL;
    memcpy(cfg->listen_host, s, hl);
    cfg->listen_host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return -EINVAL;
    cfg->port = (unsigned)port;
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    struct server_config cfg;
    server_config_defaults(&cfg);
    const char *dir = "./data";
    int retention_days = 90;
    int delivery_s = 300; /* AWS delivers about every 5 minutes */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return 2;
        }
        if (strcmp(a, "--listen") == 0) {
            if (parse_listen(v, &cfg)) {
                fprintf(stderr, "s3trail: --listen wants HOST:PORT\n");
                return 2;
            }
        } else if (strcmp(a, "--data") == 0) {
            dir = v;
        } else if (strcmp(a, "--regions") == 0) {
            snprintf(cfg.regions, sizeof cfg.regions, "%s", v);
        } else if (strcmp(a, "--domain") == 0) {
            snprintf(cfg.domain, sizeof cfg.domain, "%s", v);
        } else if (strcmp(a, "--threads") == 0) {
            cfg.threads = (unsigned)atoi(v);
        } else if (strcmp(a, "--idle-timeout") == 0) {
            cfg.idle_timeout_s = (unsigned)atoi(v);
        } else if (strcmp(a, "--delivery-interval") == 0) {
            delivery_s = atoi(v);
            if (delivery_s < 1) {
                fprintf(stderr, "s3trail: --delivery-interval wants a positive number of seconds\n");
                return 2;
            }
        } else if (strcmp(a, "--retention-days") == 0) {
            retention_days = atoi(v);
            if (retention_days < 1) {
                fprintf(stderr, "s3trail: --retention-days wants a positive number of days\n");
                return 2;
            }
        } else {
            usage();
            return 2;
        }
        i++;
    }
    if (!cfg.threads || !cfg.regions[0]) {
        usage();
        return 2;
    }
    /* Signals go to the main thread's sigwait, never to a request thread. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR2); /* re-reads the fault injection rules (util/fault.h) */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* A GET opens every part file of the range it serves before answering (an open file
     * survives a concurrent overwrite's unlink), so a many-part object holds many descriptors
     * per response: take all the descriptors the hard limit allows. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }

    struct store *st;
    int rc = store_open(dir, &st);
    if (rc) {
        log_error("cannot open data directory %s: %s", dir, strerror(-rc));
        return 1;
    }
    struct account acct;
    char ak[129] = "", sk[129] = "";
    rc = ensure_default_account(st, dir, &acct, ak, sk);
    if (rc) {
        log_error("cannot set up the default account: %s", strerror(-rc));
        store_close(st);
        return 1;
    }
    /* Set before any request thread exists; read-only afterwards. */
    ct_retention_ms = (int64_t)retention_days * 86400 * 1000;
    struct delivery *dl;
    rc = delivery_start(st, (unsigned)delivery_s, &dl);
    if (rc) {
        log_error("cannot start trail delivery: %s", strerror(-rc));
        store_close(st);
        return 1;
    }
    struct server *srv;
    rc = server_start(&cfg, st, &srv);
    if (rc) {
        log_error("cannot listen on %s:%u: %s", cfg.listen_host, cfg.port, strerror(-rc));
        delivery_stop(dl);
        store_close(st);
        return 1;
    }
    char region[64];
    snprintf(region, sizeof region, "%.*s", (int)strcspn(cfg.regions, ","), cfg.regions);
    const char *host = strchr(cfg.listen_host, ':') ? "[::1]" : cfg.listen_host;
    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    printf("s3trail %s is serving S3\n"
           "  endpoint:    http://%s:%u\n"
           "  region:      %s (served: %s)\n"
           "  data:        %s\n"
           "  account:     %s\n"
           "  access key:  %s\n"
           "  secret key:  %s\n"
           "try:\n"
           "  AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=%s \\\n"
           "    aws --endpoint-url http://%s:%u s3 mb s3://my-first-bucket\n",
           S3TRAIL_VERSION, host, server_port(srv), region, cfg.regions, dir, acct.id, ak, sk,
           ak, sk, region, host, server_port(srv));
    fflush(stdout);

    /* The main thread keeps event history to its retention while it waits for a signal. */
    int sig;
    prune_history(st, retention_days);
    for (;;) {
        struct timespec hour = {.tv_sec = 3600};
        sig = sigtimedwait(&set, NULL, &hour);
        if (sig == SIGUSR2)
            fault_reload();
        else if (sig > 0)
            break;
        else
            prune_history(st, retention_days);
    }
    log_info("signal %d: stopping", sig);
    server_stop(srv);
    delivery_stop(dl); /* a graceful stop delivers what is pending */
    struct store_stats ss;
    store_stats_get(st, &ss);
    log_info("store: %llu items in %llu transactions (%.1f per commit), %llu failed",
             (unsigned long long)ss.items, (unsigned long long)ss.batches,
             ss.commits ? (double)ss.items / (double)ss.commits : 0.0,
             (unsigned long long)ss.commit_errors);
    store_close(st);
    return 0;
}

/* ---- admin --------------------------------------------------------------------------------- */

static const char *opt(int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static int cmd_admin(int argc, char **argv)
{
    const char *dir = "./data";
    if (argc >= 2 && strcmp(argv[0], "--data") == 0) {
        dir = argv[1];
        argc -= 2;
        argv += 2;
    }
    if (argc < 2) {
        usage();
        return 2;
    }
    const char *what = argv[0], *verb = argv[1];
    argc -= 2;
    argv += 2;
    struct store *st;
    int rc = store_open(dir, &st);
    if (rc) {
        fprintf(stderr, "s3trail: cannot open %s: %s\n", dir, strerror(-rc));
        return 1;
    }
    int status = 0;
    if (strcmp(what, "account") == 0 && strcmp(verb, "create") == 0) {
        struct account a;
        struct create_args args = {.acct = &a};
        rc = fill_account(&a, opt(argc, argv, "--id"), opt(argc, argv, "--canonical-id"),
                          opt(argc, argv, "--name"), opt(argc, argv, "--email"));
        if (!rc)
            rc = store_submit_wait(st, create_apply, &args);
        if (!rc) {
            struct buf b = BUF_INIT;
            buf_puts(&b, "{\"AccountId\":");
            buf_put_json_str(&b, a.id);
            buf_puts(&b, ",\"CanonicalUserId\":");
            buf_put_json_str(&b, a.canonical_id);
            buf_puts(&b, ",\"DisplayName\":");
            buf_put_json_str(&b, a.display_name);
            buf_puts(&b, ",\"Email\":");
            buf_put_json_str(&b, a.email);
            buf_puts(&b, "}");
            puts(b.data);
            buf_free(&b);
        }
    } else if (strcmp(what, "key") == 0 && strcmp(verb, "create") == 0) {
        const char *account = opt(argc, argv, "--account");
        struct account a;
        struct access_key k;
        struct create_args args = {.key = &k};
        rc = account ? store_account_get(st, account, &a) : -EINVAL;
        if (!rc)
            rc = fill_key(&k, account, opt(argc, argv, "--access-key"),
                          opt(argc, argv, "--secret"));
        if (!rc)
            rc = store_submit_wait(st, create_apply, &args);
        if (!rc) {
            struct buf b = BUF_INIT;
            buf_puts(&b, "{\"AccessKeyId\":");
            buf_put_json_str(&b, k.access_key);
            buf_puts(&b, ",\"SecretAccessKey\":");
            buf_put_json_str(&b, k.secret);
            buf_puts(&b, ",\"AccountId\":");
            buf_put_json_str(&b, k.account_id);
            buf_puts(&b, "}");
            puts(b.data);
            buf_free(&b);
        }
    } else if (strcmp(what, "events") == 0 && strcmp(verb, "dump") == 0) {
        /* The event journal, one record per line, in commit order. */
        const char *after_s = opt(argc, argv, "--after");
        int64_t after = after_s ? strtoll(after_s, NULL, 10) : 0;
        for (;;) {
            struct event_row *v = NULL;
            size_t n = 0;
            rc = store_event_scan(st, after, 1000, &v, &n);
            if (rc || n == 0)
                break;
            for (size_t i = 0; i < n; i++)
                puts(v[i].record);
            after = v[n - 1].seq;
            store_event_rows_free(v, n);
        }
    } else {
        usage();
        status = 2;
    }
    if (rc) {
        fprintf(stderr, "s3trail: %s\n",
                rc == -EEXIST   ? "already exists"
                : rc == -ENOENT ? "no such account"
                : rc == -EINVAL ? "invalid arguments (account ids are 12 digits)"
                                : strerror(-rc));
        status = 1;
    }
    store_close(st);
    return status;
}

int main(int argc, char **argv)
{
    /* Before libxml2 starts: fault injection may install its allocator (util/fault.h). */
    if (fault_init() != 0)
        return 2;
    /* libxml2's lazy initialisation is not thread-safe; request threads and the writer (which
     * renders XML request bodies into records) parse concurrently. */
    xmlInitParser();
    if (argc < 2) {
        usage();
        return 2;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(argv[1], "admin") == 0)
        return cmd_admin(argc - 2, argv + 2);
    if (strcmp(argv[1], "ops") == 0) {
        struct buf b = BUF_INIT;
        if (optable_write_markdown(&b)) {
            buf_free(&b);
            return 1;
        }
        fputs(b.data, stdout);
        buf_free(&b);
        return 0;
    }
    if (strcmp(argv[1], "version") == 0) {
        puts("s3trail " S3TRAIL_VERSION);
        return 0;
    }
    usage();
    return 2;
}
