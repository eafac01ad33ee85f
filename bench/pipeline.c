/*
 * pipeline — the audit pipeline's cost per record on one core: a CloudTrail record built from a
 * request (record_build, the server's own code), joined into a log file's {"Records":[...]}
 * document and gzipped as delivery does (delivery_gzip). Encryption and the disk are left out:
 * they are measured by the SSE and store benchmarks, and by `make bench` end to end.
 *
 * Usage: build/rel/bench/pipeline [RECORDS] — prints one JSON object per measure on stdout.
 * Times are the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so another process on the
 * machine slows the wall clock, not the figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/req.h"
#include "s3/optable.h"
#include "store/store.h"
#include "trail/delivery.h"
#include "trail/record.h"
#include "util/buf.h"

/* A delivered file holds the records of one interval; 1000 is a busy 5-minute file. */
#define RECORDS_PER_FILE 1000

struct sample {
    struct req r;
    struct kv hdr[8];
    struct resp_header rh[4];
};

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add_header(struct sample *s, const char *name, const char *value)
{
    s->hdr[s->r.nheaders].name = name;
    s->hdr[s->r.nheaders].value = value;
    s->r.nheaders++;
}

/* The requests of a data-event-heavy load: PutObject and GetObject by root and by an IAM user,
 * as the server sees them once they are answered. */
static int sample_init(struct sample *s, const char *op, bool iam)
{
    memset(s, 0, sizeof *s);
    struct req *r = &s->r;
    r->op = optable_find(op);
    if (!r->op)
        return -1;
    r->method = r->op->method;
    r->protocol = PROTO_S3;
    snprintf(r->request_id, sizeof r->request_id, "K5FH04G883381FE1");
    snprintf(r->host_id, sizeof r->host_id, "Plk5qxp4LoJpRJEteWviQ6J7sEr+Fvx5sn0fUbvBq6cUIexQbZm6lSzeW5e5"
                                            "TNss1l/5cxDmUDPXeKJu12KTmg==");
    snprintf(r->source_ip, sizeof r->source_ip, "203.0.113.45");
    snprintf(r->region, sizeof r->region, "us-east-1");
    r->host = "127.0.0.1:9000";
    r->headers = s->hdr;
    r->resp_headers = s->rh;
    r->status = 200;
    r->bucket = "bench-bucket";
    r->key = "logs/2026/11/24/object-000001.bin";
    r->bkt_loaded = true;
    snprintf(r->bkt.name, sizeof r->bkt.name, "bench-bucket");
    snprintf(r->bkt.owner_account, sizeof r->bkt.owner_account, "111122223333");
    snprintf(r->bkt.region, sizeof r->bkt.region, "us-east-1");
    add_header(s, "Host", "127.0.0.1:9000");
    add_header(s, "User-Agent", "aws-cli/2.22.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.1 md/arch#x86_64");
    add_header(s, "X-Amz-Date", "20261124T050432Z");
    add_header(s, "X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD");
    s->rh[0] = (struct resp_header){"ETag", "\"0cc175b9c0f1b6a831c399e269772661\""};
    r->n_resp_headers = 1;
    r->bytes_in = strcmp(op, "PutObject") == 0 ? 4096 : 0;
    r->bytes_out = strcmp(op, "GetObject") == 0 ? 4096 : 0;
    struct principal *w = &r->who;
    snprintf(w->account_id, sizeof w->account_id, "111122223333");
    w->sig_version = 4;
    w->auth_method = "AuthHeader";
    if (iam) {
        w->type = PRINCIPAL_IAM_USER;
        snprintf(w->principal_id, sizeof w->principal_id, "AIDAJ45Q7YFFAREXAMPLE");
        snprintf(w->arn, sizeof w->arn, "arn:aws:iam::111122223333:user/Alice");
        snprintf(w->user_name, sizeof w->user_name, "Alice");
        snprintf(w->access_key, sizeof w->access_key, "AKIAI44QH8DHBEXAMPLE");
    } else {
        w->type = PRINCIPAL_ROOT;
        snprintf(w->access_key, sizeof w->access_key, "AKIAIOSFODNN7EXAMPLE");
    }
    return 0;
}

/* Records of a real load differ in key, request id and size; identical ones would flatter gzip. */
static struct req *vary(struct sample *s, long i, char key[64])
{
    struct req *r = &s[i & 3].r;
    unsigned long x = (unsigned long)i * 2654435761u;
    snprintf(key, 64, "logs/2026/11/24/host-%02lu/object-%08lx.bin", x % 37, x);
    r->key = key;
    snprintf(r->request_id, sizeof r->request_id, "%016lX", x * 0x9E3779B97F4A7C15ul);
    if (r->bytes_in)
        r->bytes_in = 1 + x % 65536;
    if (r->bytes_out)
        r->bytes_out = 1 + x % 65536;
    return r;
}

static void report(const char *name, long n, double secs, double bytes, const char *extra)
{
    printf("{\"name\":\"%s\",\"server\":\"s3trail\",\"connections\":0,\"records\":%ld,"
           "\"cpu_seconds\":%.4f,\"records_per_s\":%.0f,\"ops_per_s\":%.0f,\"mb_per_s\":%.1f%s}\n",
           name, n, secs, n / secs, n / secs, bytes / secs / 1e6, extra ? extra : "");
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    if (n < RECORDS_PER_FILE)
        n = RECORDS_PER_FILE;
    struct sample s[4];
    if (sample_init(&s[0], "PutObject", false) || sample_init(&s[1], "GetObject", false) ||
        sample_init(&s[2], "PutObject", true) || sample_init(&s[3], "GetObject", true)) {
        fprintf(stderr, "pipeline: operation missing from the table\n");
        return 1;
    }

    /* Build only. */
    char key[64];
    double raw = 0, t0 = cpu_now();
    for (long i = 0; i < n; i++) {
        struct event_row ev = {0};
        if (record_build(vary(s, i, key), &ev, NULL)) {
            fprintf(stderr, "pipeline: record_build failed\n");
            return 1;
        }
        raw += (double)strlen(ev.record);
        free(ev.record);
        free(ev.resources);
    }
    double build_s = cpu_now() - t0;
    char extra[128];
    snprintf(extra, sizeof extra, ",\"bytes_per_record\":%.0f", raw / n);
    report("audit-record-build", n, build_s, raw, extra);

    /* Build, join into files, gzip: the whole pipeline. */
    struct buf file = BUF_INIT;
    double gz_bytes = 0, gzip_s = 0;
    t0 = cpu_now();
    for (long i = 0; i < n;) {
        buf_reset(&file);
        buf_puts(&file, "{\"Records\":[");
        for (long k = 0; k < RECORDS_PER_FILE && i < n; k++, i++) {
            struct event_row ev = {0};
            if (record_build(vary(s, i, key), &ev, NULL)) {
                fprintf(stderr, "pipeline: record_build failed\n");
                return 1;
            }
            if (k)
                buf_putc(&file, ',');
            buf_puts(&file, ev.record);
            free(ev.record);
            free(ev.resources);
        }
        buf_puts(&file, "]}");
        if (!buf_ok(&file))
            return 1;
        unsigned char *gz;
        size_t gzlen;
        double g0 = cpu_now();
        if (delivery_gzip(file.data, file.len, &gz, &gzlen)) {
            fprintf(stderr, "pipeline: gzip failed\n");
            return 1;
        }
        gzip_s += cpu_now() - g0;
        gz_bytes += (double)gzlen;
        free(gz);
    }
    double all_s = cpu_now() - t0;
    buf_free(&file);
    snprintf(extra, sizeof extra, ",\"gzip_share\":%.2f,\"compression_ratio\":%.1f",
             gzip_s / all_s, raw / gz_bytes);
    report("audit-pipeline", n, all_s, raw, extra);
    return 0;
}
