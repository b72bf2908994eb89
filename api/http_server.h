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

#include "../src/cmd.h"
#include "../src/config.h"
#include "../src/errcode.h"
#include "http_req.h"

struct http_server;
struct ns;
struct repl;
struct store;

struct http_deps {
    const struct config *cfg; /* borrowed; outlives the server */
    struct ns *ns;
    struct repl *repl;
    struct store *st; /* for /metrics; may be NULL */
};

/* Start listening on cfg->listen. Returns 0 and *out, or BN_EINVAL /
 * BN_EIO with the reason. Startup thread. */
int http_server_start(struct http_server **out, const struct http_deps *deps,
                      char errmsg[BN_ERRMSG_SIZE]);

/* The TCP port the server listens on (useful with port 0). Any thread. */
unsigned http_server_port(const struct http_server *srv);

/* Submit write @c for @req and suspend the request until it is applied;
 * then @done builds the answer from the result (on an HTTP thread). When
 * the command cannot be submitted (no leader, shutting down) @done gets a
 * result with rc BN_EUNAVAIL. Takes ownership of @c, also when it fails.
 * Request thread, from a handler, at most once per request. */
void http_server_submit(struct http_req *req, struct cmd *c, http_done_fn done);

/* Stop accepting connections, let the requests in flight finish (bounded by
 * the request timeout), stop the daemon and free @srv. Main thread. */
void http_server_stop(struct http_server *srv);

#endif /* BANYAN_API_HTTP_SERVER_H */
