/*
 * repl_tcp: libraft's TCP transport without Nagle's algorithm.
 *
 * libraft's TCP transport leaves Nagle's algorithm on: a small message
 * (an AppendEntries result) written while another is unacknowledged waits
 * for the peer's delayed ACK, 40 ms on Linux, and so does every write that
 * waits on it. The wrappers set TCP_NODELAY on every raft connection. A
 * connect request is wrapped in one of our own, so the callback finds its
 * transport without a global.
 *
 * SPDX-License-Identifier: MIT
 */
#include "repl_int.h"

#include <stddef.h>
#include <stdlib.h>

#include "mem.h"

/* Our connect request around raft's (@outer), given to the inner
 * transport; freed in its callback. */
struct tcp_connect {
    struct raft_uv_connect req;
    struct raft_uv_connect *outer;
    raft_uv_connect_cb cb;
};

static struct repl_tcp *tcp_of(struct raft_uv_transport *t)
{
    return (struct repl_tcp *)(void *)((char *)t -
                                       offsetof(struct repl_tcp, transport));
}

static void nodelay(struct uv_stream_s *stream)
{
    if (stream != NULL && stream->type == UV_TCP) {
        (void)uv_tcp_nodelay((uv_tcp_t *)stream, 1);
    }
}

static void hook_accept(struct raft_uv_transport *t, raft_id id,
                        const char *address, struct uv_stream_s *stream)
{
    nodelay(stream);
    tcp_of(t)->inner_accept(t, id, address, stream);
}

static int hook_listen(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
    struct repl_tcp *tcp = tcp_of(t);

    tcp->inner_accept = cb;
    return tcp->inner_listen(t, hook_accept);
}

static void hook_connected(struct raft_uv_connect *req,
                           struct uv_stream_s *stream, int status)
{
    struct tcp_connect *c = req->data;
    struct raft_uv_connect *outer = c->outer;
    raft_uv_connect_cb cb = c->cb;

    free(c);
    if (status == 0) {
        nodelay(stream);
    }
    cb(outer, stream, status);
}

static int hook_connect(struct raft_uv_transport *t,
                        struct raft_uv_connect *req, raft_id id,
                        const char *address, raft_uv_connect_cb cb)
{
    struct tcp_connect *c = bn_calloc(1, sizeof(*c));
    int rv;

    c->req.data = c;
    c->outer = req;
    c->cb = cb;
    req->cb = cb;
    rv = tcp_of(t)->inner_connect(t, &c->req, id, address, hook_connected);
    if (rv != 0) {
        free(c); /* the callback will not fire */
    }
    return rv;
}

int repl__tcp_init(struct repl_tcp *t, uv_loop_t *loop)
{
    int rv = raft_uv_tcp_init(&t->transport, loop);

    if (rv != 0) {
        return rv;
    }
    t->inner_listen = t->transport.listen;
    t->transport.listen = hook_listen;
    t->inner_connect = t->transport.connect;
    t->transport.connect = hook_connect;
    return 0;
}

void repl__tcp_close(struct repl_tcp *t)
{
    raft_uv_tcp_close(&t->transport);
}
