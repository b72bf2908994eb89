/*
 * test_repl_tcp: the raft transport of src/repl_tcp.c turns Nagle's
 * algorithm off on the connections it accepts and makes, hands raft's own
 * connect request back to raft's callback, and leaks nothing when a
 * connection fails or is cancelled. Real sockets on 127.0.0.1.
 *
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "repl_int.h"
#include "test_port.h"

struct ctx {
    uv_loop_t loop;
    uv_timer_t guard; /* bounds every run */
    struct repl_tcp tcp;
    struct raft_uv_connect req;
    char addr[32];    /* this transport's (borrowed by it) */
    int accepted;     /* connections accepted */
    int connected;    /* connect callbacks, any status */
    int status;       /* of the last connect */
    int nodelay_in;   /* TCP_NODELAY of the accepted stream */
    int nodelay_out;  /* TCP_NODELAY of the connected stream */
    bool req_matches; /* the callback got raft's own request */
    bool closed;
};

static int free_port(void)
{
    int port = test_port_free();

    assert_true(port > 0);
    return port;
}

static int nodelay_of(struct uv_stream_s *stream)
{
    uv_os_fd_t fd;
    int v = -1;
    socklen_t len = sizeof(v);

    assert_int_equal(uv_fileno((uv_handle_t *)stream, &fd), 0);
    assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
    return v;
}

static void free_handle(uv_handle_t *h)
{
    raft_free(h);
}

static void on_accept(struct raft_uv_transport *t, raft_id id,
                      const char *address, struct uv_stream_s *stream)
{
    struct ctx *c = t->data;

    (void)address;
    assert_int_equal(id, 1); /* the handshake names the connecting node */
    c->accepted++;
    c->nodelay_in = nodelay_of(stream);
    uv_close((uv_handle_t *)stream, free_handle);
}

static void on_connect(struct raft_uv_connect *req, struct uv_stream_s *stream,
                       int status)
{
    struct ctx *c = req->data;

    c->connected++;
    c->status = status;
    c->req_matches = req == &c->req && req->cb == on_connect;
    if (status == 0) {
        c->nodelay_out = nodelay_of(stream);
        uv_close((uv_handle_t *)stream, free_handle);
    }
}

static void on_guard(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static void on_closed(struct raft_uv_transport *t)
{
    struct ctx *c = t->data;

    c->closed = true;
}

/* Run the loop until @done or 5 s. */
static void run_until(struct ctx *c, const int *done, int want)
{
    uv_timer_start(&c->guard, on_guard, 5000, 0);
    while (*done < want && uv_timer_get_due_in(&c->guard) > 0) {
        uv_run(&c->loop, UV_RUN_ONCE);
    }
    uv_timer_stop(&c->guard);
}

static void ctx_init(struct ctx *c, int port)
{
    memset(c, 0, sizeof(*c));
    assert_int_equal(uv_loop_init(&c->loop), 0);
    uv_timer_init(&c->loop, &c->guard);
    assert_int_equal(repl__tcp_init(&c->tcp, &c->loop), 0);
    c->tcp.transport.data = c;
    (void)snprintf(c->addr, sizeof(c->addr), "127.0.0.1:%d", port);
    assert_int_equal(c->tcp.transport.init(&c->tcp.transport, 1, c->addr), 0);
    c->req.data = c;
}

static void ctx_close(struct ctx *c)
{
    c->tcp.transport.close(&c->tcp.transport, on_closed);
    while (!c->closed) {
        uv_run(&c->loop, UV_RUN_ONCE);
    }
    repl__tcp_close(&c->tcp);
    uv_close((uv_handle_t *)&c->guard, NULL);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&c->loop), 0);
}

/* Both ends of a raft connection have TCP_NODELAY set. */
static void test_repl_tcp_nodelay_both_ways(void **state)
{
    struct ctx c;
    char addr[32];
    int port = free_port();

    (void)state;
    ctx_init(&c, port);
    assert_int_equal(c.tcp.transport.listen(&c.tcp.transport, on_accept), 0);
    (void)snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    assert_int_equal(
        c.tcp.transport.connect(&c.tcp.transport, &c.req, 2, addr, on_connect),
        0);
    run_until(&c, &c.connected, 1);
    run_until(&c, &c.accepted, 1);
    assert_int_equal(c.connected, 1);
    assert_int_equal(c.status, 0);
    assert_true(c.req_matches);
    assert_int_equal(c.accepted, 1);
    assert_int_equal(c.nodelay_out, 1);
    assert_int_equal(c.nodelay_in, 1);
    ctx_close(&c);
}

/* A refused connection reaches raft's callback with an error, once, with
 * raft's request (and our wrapper is freed: ASan would say). */
static void test_repl_tcp_refused(void **state)
{
    struct ctx c;
    char addr[32];

    (void)state;
    ctx_init(&c, free_port());
    (void)snprintf(addr, sizeof(addr), "127.0.0.1:%d", free_port());
    assert_int_equal(
        c.tcp.transport.connect(&c.tcp.transport, &c.req, 2, addr, on_connect),
        0);
    run_until(&c, &c.connected, 1);
    assert_int_equal(c.connected, 1);
    assert_int_not_equal(c.status, 0);
    assert_true(c.req_matches);
    ctx_close(&c);
}

/* A connect still pending when the transport closes is cancelled. */
static void test_repl_tcp_cancelled(void **state)
{
    struct ctx c;
    char addr[32];

    (void)state;
    ctx_init(&c, free_port());
    (void)snprintf(addr, sizeof(addr), "127.0.0.1:%d", free_port());
    assert_int_equal(
        c.tcp.transport.connect(&c.tcp.transport, &c.req, 2, addr, on_connect),
        0);
    ctx_close(&c); /* before the loop ran: still pending */
    assert_int_equal(c.connected, 1);
    assert_int_not_equal(c.status, 0);
    assert_true(c.req_matches);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repl_tcp_nodelay_both_ways),
        cmocka_unit_test(test_repl_tcp_refused),
        cmocka_unit_test(test_repl_tcp_cancelled),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
