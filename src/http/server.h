/*
 * server — the HTTP front end (libmicrohttpd): one epoll thread pool, keep-alive, streaming
 * request bodies, suspend/resume around the store's group commit.
 *
 * Calling sequence: server_config_defaults(&cfg); adjust; server_start(&cfg, store, &srv);
 * ...; server_stop(srv). server_start returns once the socket listens (cfg.port 0 picks a free
 * port: read it back with server_port()).
 */
#ifndef S3TRAIL_SERVER_H
#define S3TRAIL_SERVER_H

#include <stdint.h>

struct store;

struct server_config {
    char listen_host[256];
    unsigned port;
    char regions[256];        /* comma-separated regions served; the first is the default */
    char domain[256];         /* virtual-hosted-style base: <bucket>.<domain> */
    unsigned threads;         /* MHD thread pool size */
    unsigned idle_timeout_s;  /* a connection idle this long is closed */
    unsigned max_header_bytes;/* S3 rejects a larger header section (RequestHeaderSectionTooLarge) */
};

struct server;

void server_config_defaults(struct server_config *cfg);
int server_start(const struct server_config *cfg, struct store *st, struct server **out)
    __attribute__((warn_unused_result));
unsigned server_port(const struct server *srv);
const struct server_config *server_cfg(const struct server *srv);
/* Stops accepting, finishes the store's pending commits, closes every connection. */
void server_stop(struct server *srv);

#endif
