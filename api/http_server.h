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
struct mount_io_job;
struct usync_stats;

/* Start listening on cfg->listen. Returns 0 and *out, or BN_EINVAL /
 * BN_EIO with the reason. Startup thread. */
int http_server_start(struct http_server **out, const struct http_deps *deps,
                      char errmsg[BN_ERRMSG_SIZE]);

/* The TCP port the server listens on (useful with port 0). Any thread. */
unsigned http_server_port(const struct http_server *srv);

/* Submit write @c for @req and suspend the request until it is applied;
 * then @done builds the answer from the result (on an HTTP thread). On a
 * follower it answers 307 not_leader with Location: the same request at
 * the leader's HTTP address (503 unavailable with Retry-After when no
 * leader is known) and does not call @done. When the command cannot be
 * submitted (shutting down, leadership lost) @done gets a result with rc
 * BN_EUNAVAIL. Takes ownership of @c, also when it fails.
 * Request thread, from a handler, at most once per request. */
void http_server_submit(struct http_req *req, struct cmd *c, http_done_fn done);

/* Wait for a linearizable read: when this node leads, suspend @req until
 * its leadership is confirmed (repl_read()), then @done runs the read (rc
 * 0) or answers the failure. A follower answers 307 not_leader with the
 * leader's URL in Location, or 503 when no leader is known. Request
 * thread, from a handler, at most once per request. */
void http_server_read(struct http_req *req, http_done_fn done);

/* Start membership operation @ar on the leader (redirecting like
 * http_server_read()) and suspend @req until @done gets its outcome.
 * Request thread. */
struct repl_admin_req;
void http_server_admin(struct http_req *req, const struct repl_admin_req *ar,
                       http_done_fn done);

/* Suspend @req while mount I/O job @job (mount_io_start()) runs off the
 * HTTP threads and then, when @c is not NULL, @c is proposed (with the
 * request's Idempotency-Key, checked as http_server_submit() does); @done
 * gets the job's failure, @c's applied result (or rc 0 without @c), or
 * BN_EUNAVAIL once the request timeout has passed, the job going on
 * without the request. Takes ownership of @job and @c, also when it
 * fails. Request thread, from a handler or from the @done of an earlier
 * suspension of the same request. */
void http_server_mount_io(struct http_req *req, struct mount_io_job *job,
                          struct cmd *c, http_done_fn done);

/* What the mount I/O job of @req synced, into @out, from its @done.
 * Request thread. */
void http_server_mount_io_stats(const struct http_req *req,
                                struct usync_stats *out);

/* Answer 307 not_leader or 503 when this node is not the leader; returns
 * whether it answered. Request thread. */
bool http_server_redirect(struct http_req *req);

/* Stop accepting connections, let the requests in flight finish (bounded by
 * the request timeout), stop the daemon and free @srv. Main thread. */
void http_server_stop(struct http_server *srv);

#endif /* BANYAN_API_HTTP_SERVER_H */
