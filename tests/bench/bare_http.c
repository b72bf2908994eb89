/*
 * bare_http: the HTTP ceiling of the machine for banyan's benchmark.
 *
 * A libmicrohttpd server in the same mode as banyan's (api/http_server.c:
 * MHD_USE_AUTO_INTERNAL_THREAD, i.e. epoll on Linux, a thread pool of
 * 2 x cores, suspend/resume allowed, the same connection limit) that
 * answers every request, whatever its method and path, with
 * the same 200-byte JSON object. Request bodies are read and dropped. What
 * loadgen measures against it is the most any banyan operation can reach
 * on this machine; bench.sh reports each operation as a ratio of it.
 *
 * Usage: bare_http PORT. Listens on 127.0.0.1 and runs until SIGINT or
 * SIGTERM.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <microhttpd.h>

#define BARE_BODY_LEN 200

/* Exactly BARE_BODY_LEN bytes (checked in main). */
static char body[BARE_BODY_LEN + 1];

static struct MHD_Response *reply;

static void make_body(void)
{
    int n = snprintf(body, sizeof(body),
                     "{\"id\":1,\"name\":\"\",\"path\":\"/\","
                     "\"type\":\"directory\",\"mode\":\"0755\","
                     "\"owner\":\"banyan\",\"group\":\"banyan\","
                     "\"version\":1,\"pad\":\"");

    /* Pad the string value so the object is BARE_BODY_LEN bytes. */
    while (n < BARE_BODY_LEN - 2) {
        body[n++] = 'x';
    }
    body[n++] = '"';
    body[n++] = '}';
    body[n] = '\0';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    static int started;

    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload;
    if (*req_cls == NULL) {
        /* First call: only the headers are in. */
        *req_cls = &started;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        *upload_size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(conn, MHD_HTTP_OK, reply);
}

int main(int argc, char **argv)
{
    struct MHD_Daemon *d;
    struct sockaddr_in sa;
    sigset_t set;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads;
    char *end;
    unsigned long port;
    int sig;

    if (argc != 2) {
        (void)fprintf(stderr, "usage: bare_http PORT\n");
        return 2;
    }
    errno = 0;
    port = strtoul(argv[1], &end, 10);
    if (errno != 0 || end == argv[1] || *end != '\0' || port == 0 ||
        port > 65535) {
        (void)fprintf(stderr, "bare_http: bad port %s\n", argv[1]);
        return 2;
    }
    make_body();
    if (strlen(body) != BARE_BODY_LEN) {
        (void)fprintf(stderr, "bare_http: body is %zu bytes\n", strlen(body));
        return 1;
    }
    reply = MHD_create_response_from_buffer(BARE_BODY_LEN, body,
                                            MHD_RESPMEM_PERSISTENT);
    if (reply == NULL ||
        MHD_add_response_header(reply, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "application/json") != MHD_YES) {
        (void)fprintf(stderr, "bare_http: cannot build the response\n");
        return 1;
    }
    /* Block the signals in every thread; the main thread waits for them. */
    (void)sigemptyset(&set);
    (void)sigaddset(&set, SIGINT);
    (void)sigaddset(&set, SIGTERM);
    (void)pthread_sigmask(SIG_BLOCK, &set, NULL);
    (void)signal(SIGPIPE, SIG_IGN);

    threads = (unsigned)(cores > 0 ? cores : 1) * 2;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
            MHD_USE_ERROR_LOG,
        (uint16_t)port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, 10000U, MHD_OPTION_CONNECTION_TIMEOUT, 60U,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U, MHD_OPTION_END);
    if (d == NULL) {
        (void)fprintf(stderr, "bare_http: cannot listen on 127.0.0.1:%lu\n",
                      port);
        return 1;
    }
    (void)fprintf(stderr, "bare_http: 127.0.0.1:%lu, %u threads\n", port,
                  threads);
    while (sigwait(&set, &sig) != 0) {
    }
    MHD_stop_daemon(d);
    MHD_destroy_response(reply);
    return 0;
}
