/*
 * http_server: the libmicrohttpd daemon (the only file that includes
 * <microhttpd.h>), the request life cycle and suspended writes.
 *
 * A request is born in the URI log callback (which sees the raw target,
 * before libmicrohttpd parses anything) and dies in the request-completed
 * callback, which frees its arena. The access handler runs in three
 * stages: on the first call it reads the headers, routes, and answers the
 * errors it can tell up front (404, 405, 413 from Content-Length, 415);
 * while the body streams in it keeps at most max_body_bytes; on the last
 * call it runs the handler. A write suspends the connection *before* it
 * submits the command, so the apply callback, which may fire at once on
 * the raft loop thread, always finds a suspended connection to resume.
 *
 * A suspended write shares one struct http_wait between the request and
 * the callback, reference-counted, so either may go first: the callback
 * never touches a request that completed, and a request never waits for a
 * callback at shutdown.
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_server.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "../src/addr.h"
#include "../src/clock.h"
#include "../src/cmd.h"
#include "../src/log.h"
#include "../src/mem.h"
#include "../src/metrics.h"
#include "../src/mount_io.h"
#include "../src/repl.h"
#include "codec.h"
#include "http_audit.h"
#include "http_metrics.h"
#include "http_problem.h"
#include "http_router.h"
#include "http_static.h"

#define LISTEN_BACKLOG 1024
#define IDLE_TIMEOUT_S 60 /* an idle keep-alive connection */
#define CONN_MEMORY_BYTES                                                      \
    (32 * 1024)                    /* request line + headers; MHD              \
                                    * zeroes it for every request */
#define DISCARD_MAX    (64u << 20) /* body past the limit read, then close */
#define THREADS_MAX    256
#define DRAIN_EXTRA_MS 1000 /* after forcing the last writes out */

enum stage {
    STAGE_NEW = 0,  /* headers not looked at yet */
    STAGE_BODY = 1, /* receiving the body */
    STAGE_DONE = 2, /* answered or waiting for a write */
};

struct http_wait {
    pthread_mutex_t mu;
    unsigned refs;               /* the request's and the callback's */
    bool done;                   /* res is set and the conn was resumed */
    struct cmd_result *res;      /* owned until the handler takes it */
    struct MHD_Connection *conn; /* NULL once the request completed */
    struct http_wait *prev;      /* srv->waits, under srv->mu */
    struct http_wait *next;
    bool listed;
    struct usync_stats st; /* a mount I/O job's, under mu */
};

struct http_server {
    struct http_deps deps;
    struct MHD_Daemon *d;
    int listen_fd;
    unsigned port;
    _Atomic uint64_t next_id;
    pthread_mutex_t mu;      /* guards the fields below */
    pthread_cond_t cond;     /* signalled when inflight drops */
    uint64_t inflight;       /* requests born and not completed */
    struct http_wait *waits; /* suspended writes */
    bool stopping;
};

/* ---- suspended writes ------------------------------------------------ */

static void wait_unref(struct http_wait *w)
{
    bool last;

    (void)pthread_mutex_lock(&w->mu);
    last = --w->refs == 0;
    (void)pthread_mutex_unlock(&w->mu);
    if (last) {
        cmd_result_free(w->res);
        (void)pthread_mutex_destroy(&w->mu);
        free(w);
    }
}

static void wait_unlist(struct http_server *srv, struct http_wait *w)
{
    (void)pthread_mutex_lock(&srv->mu);
    if (w->listed) {
        if (w->prev != NULL) {
            w->prev->next = w->next;
        } else {
            srv->waits = w->next;
        }
        if (w->next != NULL) {
            w->next->prev = w->prev;
        }
        w->listed = false;
    }
    (void)pthread_mutex_unlock(&srv->mu);
}

/* Set the result of @w and resume its connection, unless that happened
 * already or the request is gone. Takes ownership of @res. */
static void wait_complete(struct http_wait *w, struct cmd_result *res)
{
    (void)pthread_mutex_lock(&w->mu);
    if (!w->done && w->conn != NULL) {
        w->res = res;
        res = NULL;
        w->done = true;
        /* Under the lock, so that shutdown, which takes every lock before
         * it stops the daemon, never races a resume. */
        MHD_resume_connection(w->conn);
    }
    (void)pthread_mutex_unlock(&w->mu);
    cmd_result_free(res);
}

static struct cmd_result *unavailable(const char *why)
{
    struct cmd_result *res = cmd_result_new();

    res->rc = BN_EUNAVAIL;
    bn_errmsg_printf(res->errmsg, "%s", why);
    return res;
}

/* The apply callback. Loop thread. */
static void on_applied(void *arg, struct cmd_result *res)
{
    struct http_wait *w = arg;

    wait_complete(w, res);
    wait_unref(w);
}

/* Answer @req with a redirect to the leader when this node is not the
 * leader and knows it, or 503 when nobody leads. Returns true when it
 * answered. Request thread. */
static bool redirect_to_leader(struct http_req *req)
{
    struct repl *repl = req->srv->deps.repl;
    char http[CONFIG_ADDR_MAX + 1];
    char errmsg[BN_ERRMSG_SIZE];
    uint64_t leader = 0;
    int role;
    char *loc;

    if (repl == NULL) {
        return false;
    }
    role = repl_role(repl, &leader, http);
    if (role == REPL_LEADER) {
        return false;
    }
    if (leader == 0 || http[0] == '\0') {
        bn_errmsg_printf(errmsg,
                         "no leader is known right now (this node is a "
                         "%s); retry shortly",
                         repl_role_name(role == REPL_CANDIDATE
                                            ? REPL_CANDIDATE
                                            : REPL_FOLLOWER));
        http_problem_reply(req, BN_EUNAVAIL, errmsg);
        return true;
    }
    loc = http_req_printf(req, "http://%s%s%s%s", http, req->url,
                          req->query_raw != NULL ? "?" : "",
                          req->query_raw != NULL ? req->query_raw : "");
    bn_errmsg_printf(errmsg, "node %llu leads; send this request to %.200s",
                     (unsigned long long)leader, loc);
    http_problem_reply(req, BN_ENOTLEADER, errmsg);
    http_req_add_header(req, "Location", loc);
    return true;
}

/* Suspend @req until a callback of repl answers it; then @done builds the
 * answer. Returns the wait (the callback's argument), or NULL when the
 * server is stopping (then @done has answered). */
static struct http_wait *suspend(struct http_req *req, http_done_fn done)
{
    struct http_server *srv = req->srv;
    struct http_wait *w;

    (void)pthread_mutex_lock(&srv->mu);
    if (srv->stopping) {
        (void)pthread_mutex_unlock(&srv->mu);
        done(req, unavailable("the server is shutting down"));
        return NULL;
    }
    w = bn_calloc(1, sizeof(*w));
    (void)pthread_mutex_init(&w->mu, NULL);
    w->refs = 2;
    w->conn = req->conn;
    req->wait = w;
    req->done = done;
    w->next = srv->waits;
    if (srv->waits != NULL) {
        srv->waits->prev = w;
    }
    srv->waits = w;
    w->listed = true;
    (void)pthread_mutex_unlock(&srv->mu);
    MHD_suspend_connection(req->conn);
    return w;
}

/* The callback will never run: complete here, and drop its ref. */
static void never_called(struct http_wait *w, const char *why)
{
    wait_complete(w, unavailable(why));
    wait_unref(w);
}

/* Give @c the request's Idempotency-Key. Returns false when the key is
 * bad: then it answered and freed @c. */
static bool take_idem_key(struct http_req *req, struct cmd *c)
{
    if (req->idem_key != NULL) {
        size_t n = strlen(req->idem_key);
        bool ok = n > 0 && n <= CMD_IDEM_KEY_MAX;

        for (size_t i = 0; ok && i < n; i++) {
            ok = req->idem_key[i] > 0x20 && req->idem_key[i] < 0x7f;
        }
        if (!ok) {
            char errmsg[BN_ERRMSG_SIZE];

            bn_errmsg_printf(errmsg,
                             "Idempotency-Key must be 1 to %d visible ASCII "
                             "characters",
                             CMD_IDEM_KEY_MAX);
            http_problem_reply(req, BN_EINVAL, errmsg);
            cmd_free(c);
            return false;
        }
        c->flags |= CMD_F_IDEM_KEY;
        c->idem_key = bn_strdup(req->idem_key);
    }
    return true;
}

void http_server_submit(struct http_req *req, struct cmd *c, http_done_fn done)
{
    struct http_server *srv = req->srv;
    struct http_wait *w;
    int rc;

    if (!take_idem_key(req, c)) {
        return;
    }
    if (redirect_to_leader(req)) {
        cmd_free(c);
        return;
    }
    w = suspend(req, done);
    if (w == NULL) {
        cmd_free(c);
        return;
    }
    if (srv->deps.repl != NULL) {
        rc = repl_submit(srv->deps.repl, c, on_applied, w);
    } else {
        cmd_free(c);
        rc = BN_EUNAVAIL;
    }
    if (rc != 0) {
        never_called(w, "this node cannot accept writes now (no leader, or "
                        "shutting down)");
    }
}

void http_server_read(struct http_req *req, http_done_fn done)
{
    struct http_wait *w;

    if (req->srv->deps.repl == NULL || repl_read_local(req->srv->deps.repl)) {
        /* Nothing to confirm: serve it now, without a suspension. */
        done(req, cmd_result_new());
        return;
    }
    if (redirect_to_leader(req)) {
        return;
    }
    w = suspend(req, done);
    if (w != NULL) {
        repl_read(req->srv->deps.repl, on_applied, w);
    }
}

void http_server_admin(struct http_req *req, const struct repl_admin_req *ar,
                       http_done_fn done)
{
    struct http_wait *w;

    if (req->srv->deps.repl == NULL || redirect_to_leader(req)) {
        return;
    }
    w = suspend(req, done);
    if (w != NULL && repl_admin(req->srv->deps.repl, ar, on_applied, w) != 0) {
        never_called(w, "this node is not the leader");
    }
}

/* The outcome of a mount I/O job. Any thread but a request's. */
static void on_mount_io(void *arg, struct cmd_result *res,
                        const struct usync_stats *st)
{
    struct http_wait *w = arg;

    if (st != NULL) {
        (void)pthread_mutex_lock(&w->mu);
        w->st = *st;
        (void)pthread_mutex_unlock(&w->mu);
    }
    wait_complete(w, res);
    wait_unref(w);
}

void http_server_mount_io(struct http_req *req, struct mount_io_job *job,
                          struct cmd *c, http_done_fn done)
{
    struct http_wait *w;

    if (c != NULL && !take_idem_key(req, c)) {
        mount_io_job_free(job);
        return;
    }
    w = suspend(req, done);
    if (w == NULL) {
        mount_io_job_free(job);
        cmd_free(c);
        return;
    }
    mount_io_start(req->srv->deps.mio, job, c, on_mount_io, w);
}

void http_server_mount_io_stats(const struct http_req *req,
                                struct usync_stats *out)
{
    struct http_wait *w = req->wait;

    memset(out, 0, sizeof(*out));
    if (w != NULL) {
        (void)pthread_mutex_lock(&w->mu);
        *out = w->st;
        (void)pthread_mutex_unlock(&w->mu);
    }
}

bool http_server_redirect(struct http_req *req)
{
    return redirect_to_leader(req);
}

/* ---- the request life cycle ------------------------------------------ */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct http_server *srv = cls;
    uint64_t id = atomic_fetch_add(&srv->next_id, 1);
    struct http_req *req = http_req_new(id, uri, &srv->deps);

    (void)conn;
    req->srv = srv;
    (void)pthread_mutex_lock(&srv->mu);
    srv->inflight++;
    (void)pthread_mutex_unlock(&srv->mu);
    return req;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct http_req *req = *con_cls;
    struct http_wait *w;

    (void)conn;
    if (req == NULL) {
        return;
    }
    *con_cls = NULL;
    w = req->wait;
    if (w != NULL) {
        wait_unlist(srv, w);
        (void)pthread_mutex_lock(&w->mu);
        w->conn = NULL;
        (void)pthread_mutex_unlock(&w->mu);
        wait_unref(w);
        req->wait = NULL;
    }
    if (log_level >= BN_LOG_DEBUG) {
        int64_t us = bn_clock_mono_us() - req->start_us;

        log_set_req(req->id);
        log_debug("http",
                  "request method=%.16s path=%.512s status=%d "
                  "duration_ms=%.3f%s",
                  req->method_name != NULL ? req->method_name : "-", req->url,
                  req->resp.status, (double)us / 1000.0,
                  toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? ""
                                                             : " aborted=1");
        log_set_req(0);
    }
    http_req_free(req);
    (void)pthread_mutex_lock(&srv->mu);
    srv->inflight--;
    (void)pthread_cond_broadcast(&srv->cond);
    (void)pthread_mutex_unlock(&srv->mu);
}

/* banyan_http_open_connections. */
static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)conn;
    (void)socket_context;
    metrics_http_connection(code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

/* libmicrohttpd must not decode the URL: banyan decodes it exactly once,
 * segment by segment, so that "%2F" stays distinguishable from '/'. */
static size_t unescape_none(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strlen(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[BN_ERRMSG_SIZE];
    size_t n;

    (void)cls;
    (void)vsnprintf(buf, sizeof(buf), fmt, ap);
    n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        buf[--n] = '\0';
    }
    log_info("http", "libmicrohttpd: %s", buf);
}

static const char *header(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static char *arena_copy(struct http_req *req, const char *s)
{
    return s != NULL ? http_req_strndup(req, s, strlen(s)) : NULL;
}

/* The peer of @conn as "ip:port" or "[v6]:port" into @buf; NULL when
 * unknown. */
static const char *client_address(struct MHD_Connection *conn, char *buf,
                                  size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
    char host[NI_MAXHOST];
    char serv[NI_MAXSERV];

    if (sa == NULL ||
        getnameinfo(sa,
                    sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                              : sizeof(struct sockaddr_in),
                    host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        return NULL;
    }
    (void)snprintf(buf, cap, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
                   host, serv);
    return buf;
}

/* Counts the answer and audits a mutation's outcome. */
static void observe(struct MHD_Connection *conn, const struct http_req *req)
{
    char client[NI_MAXHOST + NI_MAXSERV + 4];

    http_metrics_answered(req);
    http_audit_answered(req, client_address(conn, client, sizeof(client)),
                        header(conn, HTTP_AUDIT_USER_HEADER));
}

static enum MHD_Result send_reply(struct http_server *srv,
                                  struct MHD_Connection *conn,
                                  struct http_req *req)
{
    static char empty[1];
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char id[24];
    bool stopping;

    if (req->resp.status == 0) {
        http_problem_reply(req, BN_EINTERNAL, "the handler gave no answer");
    }
    if (req->resp.fd >= 0 && req->resp.fd_size > 0) {
        resp = MHD_create_response_from_fd64(req->resp.fd_size, req->resp.fd);
        if (resp != NULL) {
            req->resp.fd = -1; /* libmicrohttpd closes it */
        }
    } else if (req->resp.body != NULL) {
        resp = MHD_create_response_from_buffer(req->resp.len, req->resp.body,
                                               MHD_RESPMEM_MUST_FREE);
        if (resp != NULL) {
            req->resp.body = NULL; /* libmicrohttpd frees it */
        }
    } else {
        resp =
            MHD_create_response_from_buffer(0, empty, MHD_RESPMEM_PERSISTENT);
    }
    if (resp == NULL) {
        return MHD_NO;
    }
    (void)snprintf(id, sizeof(id), "%" PRIu64, req->id);
    (void)MHD_add_response_header(resp, "X-Request-Id", id);
    if (req->resp.type != NULL) {
        (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                      req->resp.type);
    }
    for (size_t i = 0; i < req->resp.n_hdrs; i++) {
        (void)MHD_add_response_header(resp, req->resp.hdrs[i].name,
                                      req->resp.hdrs[i].value);
    }
    (void)pthread_mutex_lock(&srv->mu);
    stopping = srv->stopping;
    (void)pthread_mutex_unlock(&srv->mu);
    if (stopping) {
        (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
                                      "close");
    }
    ret = MHD_queue_response(conn, (unsigned)req->resp.status, resp);
    MHD_destroy_response(resp);
    observe(conn, req);
    return ret;
}

static bool request_has_body(const struct http_req *req)
{
    return req->chunked || (req->has_content_length && req->content_length > 0);
}

/* First call: look at the headers and answer what is wrong up front. */
static void start(struct http_server *srv, struct MHD_Connection *conn,
                  struct http_req *req, const char *method)
{
    const struct config *cfg = srv->deps.cfg;
    char errmsg[BN_ERRMSG_SIZE] = "";
    const char *cl;
    bool has_body;
    int rc;

    req->method_name = arena_copy(req, method);
    req->method = http_req_method_parse(method);
    req->content_type = arena_copy(req, header(conn, "Content-Type"));
    req->if_none_match = arena_copy(req, header(conn, "If-None-Match"));
    req->if_match = arena_copy(req, header(conn, "If-Match"));
    req->idem_key = arena_copy(req, header(conn, "Idempotency-Key"));
    req->chunked = header(conn, "Transfer-Encoding") != NULL;
    cl = header(conn, "Content-Length");
    if (cl != NULL) {
        req->has_content_length =
            http_req_parse_u64(cl, strlen(cl), &req->content_length) == 0;
    }
    rc = http_router_route(req, srv->deps.route_sets, srv->deps.n_route_sets,
                           errmsg);
    if (rc != 0) {
        http_problem_reply(req, rc, errmsg);
        return;
    }
    if (req->has_content_length && req->content_length > cfg->max_body_bytes) {
        bn_errmsg_printf(errmsg,
                         "the body is %" PRIu64 " bytes; the limit is %" PRIu64,
                         req->content_length, cfg->max_body_bytes);
        http_problem_reply(req, BN_ETOOLARGE, errmsg);
        return;
    }
    has_body = request_has_body(req);
    if ((req->route->flags & HTTP_R_BODY) != 0 && has_body &&
        (req->content_type == NULL ||
         (!http_req_media_is(req->content_type, CODEC_MEDIA_JSON) &&
          !((req->route->flags & HTTP_R_MERGE_PATCH) != 0 &&
            http_req_media_is(req->content_type, CODEC_MEDIA_MERGE_PATCH))))) {
        bn_errmsg_printf(
            errmsg, "Content-Type must be %s%s, not %.100s", CODEC_MEDIA_JSON,
            (req->route->flags & HTTP_R_MERGE_PATCH) != 0
                ? " or " CODEC_MEDIA_MERGE_PATCH
                : "",
            req->content_type != NULL ? req->content_type : "none");
        http_problem_reply(req, BN_EMEDIATYPE, errmsg);
    }
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    struct http_server *srv = cls;
    struct http_req *req = *con_cls;
    enum MHD_Result ret = MHD_YES;

    (void)version;
    if (req == NULL) {
        /* The URI log callback always runs first; stay safe if not. */
        req = on_uri(srv, url, conn);
        *con_cls = req;
    }
    log_set_req(req->id);
    req->conn = conn;
    switch (req->stage) {
    case STAGE_NEW:
        start(srv, conn, req, method);
        if (req->resp.status != 0 && request_has_body(req)) {
            /* Answer before the body: libmicrohttpd closes the connection
             * after it, instead of reading a body we refuse. */
            req->stage = STAGE_DONE;
            ret = send_reply(srv, conn, req);
        } else {
            /* Without a body, answer on the last call so that the
             * connection stays open. */
            req->stage = STAGE_BODY;
        }
        break;
    case STAGE_BODY:
        if (*upload_data_size > 0) {
            if (req->resp.status == 0 &&
                (req->route->flags & HTTP_R_BODY) != 0) {
                http_req_body_append(req, upload_data, *upload_data_size,
                                     srv->deps.cfg->max_body_bytes);
            } else {
                req->body_dropped += *upload_data_size;
            }
            *upload_data_size = 0;
            if (req->body_dropped > DISCARD_MAX) {
                /* Not worth reading on: close without an answer. */
                ret = MHD_NO;
            }
            break;
        }
        req->stage = STAGE_DONE;
        if (req->resp.status != 0) {
            /* Answered in the first stage. */
        } else if ((req->route->flags & HTTP_R_BODY) != 0 &&
                   req->body_dropped > 0) {
            char errmsg[BN_ERRMSG_SIZE];

            bn_errmsg_printf(errmsg,
                             "the body is larger than the limit of "
                             "%" PRIu64 " bytes",
                             srv->deps.cfg->max_body_bytes);
            http_problem_reply(req, BN_ETOOLARGE, errmsg);
        } else {
            req->route->handler(req);
        }
        if (req->wait == NULL) {
            ret = send_reply(srv, conn, req);
        }
        /* Else the connection is suspended until the write is applied. */
        break;
    default:
        /* Resumed: the write's result is in. */
        if (req->wait != NULL && req->resp.status == 0) {
            struct http_wait *w = req->wait;
            struct cmd_result *res;

            (void)pthread_mutex_lock(&w->mu);
            res = w->res;
            w->res = NULL;
            (void)pthread_mutex_unlock(&w->mu);
            if (res == NULL) {
                /* Called again before the result: keep waiting. */
                break;
            }
            wait_unlist(srv, w);
            if (res->replayed) {
                http_req_add_header(req, "Idempotent-Replayed", "true");
            }
            req->done(req, res);
            if (req->wait != w) {
                /* @done suspended the request again (mount I/O after a
                 * confirmed read): drop the first wait, and wait on. */
                (void)pthread_mutex_lock(&w->mu);
                w->conn = NULL;
                (void)pthread_mutex_unlock(&w->mu);
                wait_unref(w);
                break;
            }
        }
        ret = send_reply(srv, conn, req);
        break;
    }
    log_set_req(0);
    return ret;
}

/* ---- start and stop -------------------------------------------------- */

/* The port @fd is bound to (the kernel's pick for port 0). */
static unsigned bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);

    memset(&ss, 0, sizeof(ss));
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        return 0;
    }
    if (ss.ss_family == AF_INET) {
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    if (ss.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return 0;
}

/* Open, bind and listen on @listen ("host:port", "[v6]:port"). Returns the
 * socket or -1 with the reason. */
static int open_listener(const char *listen_on, bool *v6, unsigned *port,
                         char errmsg[BN_ERRMSG_SIZE])
{
    struct addr a;
    char port_s[8];
    struct addrinfo hints;
    struct addrinfo *ai = NULL;
    int fd;
    int one = 1;
    int rc;

    if (addr_parse(listen_on, &a, errmsg) != 0) {
        bn_errmsg_wrapf(errmsg, "listen");
        return -1;
    }
    (void)snprintf(port_s, sizeof(port_s), "%u", a.port);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(a.host, port_s, &hints, &ai);
    if (rc != 0) {
        bn_errmsg_printf(errmsg, "listen '%.100s': %s", listen_on,
                         gai_strerror(rc));
        return -1;
    }
    *v6 = ai->ai_family == AF_INET6;
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        bn_errmsg_printf(errmsg, "listen '%.100s': socket: %s", listen_on,
                         strerror(errno));
        freeaddrinfo(ai);
        return -1;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        listen(fd, LISTEN_BACKLOG) != 0) {
        bn_errmsg_printf(errmsg, "listen '%.100s': %s", listen_on,
                         strerror(errno));
        (void)close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    *port = bound_port(fd);
    return fd;
}

int http_server_start(struct http_server **out, const struct http_deps *deps,
                      char errmsg[BN_ERRMSG_SIZE])
{
    const struct config *cfg = deps->cfg;
    struct http_server *srv;
    unsigned threads;
    unsigned timeout_s;
    unsigned flags;
    bool v6 = false;
    long cores;

    *out = NULL;
    metrics_mark_start();
    srv = bn_calloc(1, sizeof(*srv));
    srv->deps = *deps;
    atomic_init(&srv->next_id, 1);
    (void)pthread_mutex_init(&srv->mu, NULL);
    (void)pthread_cond_init(&srv->cond, NULL);
    srv->listen_fd = open_listener(cfg->listen != NULL ? cfg->listen : "", &v6,
                                   &srv->port, errmsg);
    if (srv->listen_fd < 0) {
        goto err_after_srv;
    }
    cores = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cfg->http_threads > 0 ? (unsigned)cfg->http_threads
                                    : (unsigned)(cores > 0 ? 2 * cores : 2);
    if (threads > THREADS_MAX) {
        threads = THREADS_MAX;
    }
    timeout_s = (unsigned)(cfg->request_timeout_ms / 1000) + IDLE_TIMEOUT_S;
    flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
            MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    srv->d = MHD_start_daemon(
        flags, (uint16_t)srv->port, NULL, NULL, on_access, srv,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv, MHD_OPTION_LISTEN_SOCKET,
        (MHD_socket)srv->listen_fd, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)(cfg->max_connections > 0 ? cfg->max_connections : 1),
        MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_BYTES,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, srv, MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_END);
    if (srv->d == NULL) {
        bn_errmsg_printf(errmsg,
                         "listen %.100s: libmicrohttpd failed to "
                         "start (see the log above)",
                         cfg->listen);
        goto err_after_listen;
    }
    log_info("http", "listening on %s (port %u, %u threads)", cfg->listen,
             srv->port, threads);
    http_static_check_root(cfg->web_root);
    *out = srv;
    return 0;

err_after_listen:
    (void)close(srv->listen_fd);
err_after_srv:
    (void)pthread_cond_destroy(&srv->cond);
    (void)pthread_mutex_destroy(&srv->mu);
    free(srv);
    return BN_EIO;
}

unsigned http_server_port(const struct http_server *srv)
{
    return srv->port;
}

/* Wait until no request is in flight or @deadline_ms passes. */
static void drain(struct http_server *srv, int64_t deadline_ms)
{
    (void)pthread_mutex_lock(&srv->mu);
    while (srv->inflight > 0 && bn_clock_mono_ms() < deadline_ms) {
        struct timespec ts;
        int64_t left = deadline_ms - bn_clock_mono_ms();

        if (left > 50) {
            left = 50;
        }
        ts = bn_clock_wall_after(left);
        (void)pthread_cond_timedwait(&srv->cond, &srv->mu, &ts);
    }
    (void)pthread_mutex_unlock(&srv->mu);
}

void http_server_stop(struct http_server *srv)
{
    MHD_socket fd;
    uint64_t left;

    if (srv == NULL) {
        return;
    }
    (void)pthread_mutex_lock(&srv->mu);
    srv->stopping = true;
    (void)pthread_mutex_unlock(&srv->mu);
    fd = MHD_quiesce_daemon(srv->d);
    drain(srv, bn_clock_mono_ms() + (int64_t)srv->deps.cfg->request_timeout_ms);

    /* Writes still waiting for raft: answer 503 so that no connection is
     * left suspended when the daemon stops. */
    (void)pthread_mutex_lock(&srv->mu);
    for (struct http_wait *w = srv->waits; w != NULL; w = w->next) {
        wait_complete(w, unavailable("the server is shutting down"));
    }
    left = srv->inflight;
    (void)pthread_mutex_unlock(&srv->mu);
    if (left > 0) {
        drain(srv, bn_clock_mono_ms() + DRAIN_EXTRA_MS);
    }
    MHD_stop_daemon(srv->d);
    if (fd != MHD_INVALID_SOCKET) {
        (void)close(fd);
    }
    log_info("http", "stopped");
    (void)pthread_cond_destroy(&srv->cond);
    (void)pthread_mutex_destroy(&srv->mu);
    free(srv);
}
