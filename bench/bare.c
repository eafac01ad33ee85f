/*
 * bare — the small-request ceiling of `make bench`: a libmicrohttpd server that answers every
 * request with the same 4 KiB body and does nothing else.
 *
 * It runs MHD exactly as s3trail does (src/http/server.c): an internal epoll thread pool of
 * 4 threads per core, at least 8, with the same per-connection memory limit, so the gap between
 * its 4 KiB GET rate and s3trail's is what s3trail's own work (authentication, metadata lookup,
 * auditing, file I/O) costs.
 *
 * Usage: bare PORT [THREADS]. Listens on 127.0.0.1 until SIGINT or SIGTERM. Request bodies are
 * read and dropped.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

enum { BODY_LEN = 4096 };

static char body[BODY_LEN];

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct MHD_Response *resp = cls;
    (void)url, (void)method, (void)version, (void)upload_data;
    /* MHD calls once with the headers, then with each piece of a body, then once more with
     * none left: the answer goes out on that last call. */
    if (!*con_cls) {
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(c, MHD_HTTP_OK, resp);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: bare PORT [THREADS]\n");
        return 2;
    }
    unsigned port = (unsigned)strtoul(argv[1], NULL, 10);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    /* The thread count rule of server_config_defaults() in src/http/server.c. */
    unsigned threads = (unsigned)(ncpu > 0 ? ncpu * 4 : 8);
    if (threads < 8)
        threads = 8;
    if (argc == 3)
        threads = (unsigned)strtoul(argv[2], NULL, 10);

    for (size_t i = 0; i < BODY_LEN; i++)
        body[i] = (char)('a' + i % 26);
    /* One response shared by every request: MHD counts its references. */
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(BODY_LEN, body, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return 1;
    MHD_add_response_header(resp, "Content-Type", "application/octet-stream");

    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Blocked before MHD starts its threads, so they inherit the mask and sigwait gets them. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
        (uint16_t)port, NULL, NULL, on_request, resp, MHD_OPTION_SOCK_ADDR, &sin,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)4096, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "bare: cannot listen on 127.0.0.1:%u\n", port);
        MHD_destroy_response(resp);
        return 1;
    }
    printf("bare: listening on 127.0.0.1:%u with %u threads\n", port, threads);
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    MHD_destroy_response(resp);
    return 0;
}
