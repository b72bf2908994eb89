/*
 * http_server: the HTTP surface of banyan, on libmicrohttpd (this is the
 * only file that includes <microhttpd.h>).
 *
 * One daemon with an internal thread pool and epoll; connections whose
 * request waits for replication are suspended and resumed when the
 * command is applied. Limits (body size, connections, timeouts) come from
 * the config.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_HTTP_SERVER_H
#define BANYAN_API_HTTP_SERVER_H

#include "../src/config.h"
#include "../src/errcode.h"

struct http_server;
struct ns;
struct repl;

struct http_deps {
    const struct config *cfg; /* borrowed; outlives the server */
    struct ns *ns;
    struct repl *repl;
};

/* Start listening on cfg->listen. Returns 0 and *out, or BN_EINVAL /
 * BN_EIO with the reason. Startup thread. */
int http_server_start(struct http_server **out, const struct http_deps *deps,
                      char errmsg[BN_ERRMSG_SIZE]);

/* Stop accepting connections, let the requests in flight finish (bounded by
 * the request timeout), stop the daemon and free @srv. Main thread. */
void http_server_stop(struct http_server *srv);

#endif /* BANYAN_API_HTTP_SERVER_H */
