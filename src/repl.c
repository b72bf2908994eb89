/*
 * repl: the raft loop thread, the submit queue, batching, delivery of
 * results to waiters, request timeouts and the leadership barrier.
 *
 * Ownership: a queued command is owned by its qitem until it is encoded
 * into a batch; a batch (struct batch) owns its waiters and lives until
 * raft's apply callback fires for it (raft owns the embedded request until
 * then), even when its waiters were already answered by the fsm or by a
 * timeout.
 *
 * SPDX-License-Identifier: MIT
 */
#include "repl.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <raft.h>
#include <raft/uv.h>
#include <uv.h>

#include "datadir.h"
#include "fsm.h"
#include "httpc.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "mount.h"
#include "readidx.h"
#include "store.h"
#include "ttl.h"

#define IDEM_SWEEP_MS 5000 /* how often the leader expires old keys */

#define TICK_MS      50
#define TTL_SWEEP_MS 1000 /* how often the leader looks for expired inodes */
/* Batches proposed and not yet applied, at most. While they are in flight,
 * new commands gather in the queue and go out as one larger batch when one
 * lands: group commit. In a cluster a batch waits for a round trip and a
 * follower's fsync as well, so more of them in flight keep the pipe full:
 * four gave 6% more replicated creates than two; one node is within noise
 * of either (README, Performance). */
#define INFLIGHT_MAX     4
#define RECLAIM_PER_TICK 2000 /* trash rows reclaimed per tick, at most */
#define CONNECTS_MAX     64   /* raft connection attempts at once, tracked */

struct qitem {
    struct cmd *c;
    repl_done_cb cb;
    void *arg;
    uint64_t deadline_ms; /* monotonic; fails with 503 when passed */
    struct qitem *next;
};

struct waiter {
    repl_done_cb cb;
    void *arg;
};

/* A membership operation in progress (loop thread once dequeued). */
struct admin {
    struct repl_admin_req req;
    repl_done_cb cb;
    void *arg;
    struct repl *r;
    struct raft_change change; /* owned by raft until its callback */
    struct raft_transfer transfer;
    struct admin *next;
};

struct batch {
    struct raft_apply req; /* owned by raft until apply_cb */
    struct repl *r;
    uint64_t seq;
    struct waiter *waiters;
    size_t n;
    bool answered; /* waiters have been called */
    uint64_t deadline_ms;
    struct batch *prev, *next;
};

struct repl {
    struct repl_options o;
    char *dir;
    char *address;
    char *http;
    char *fetch_path;
    struct config_member *members; /* copy of opts->members */
    uv_loop_t loop;
    uv_async_t async;
    uv_timer_t timer;
    uv_timer_t flush_timer; /* commits the store's open transaction */
    struct raft_uv_transport transport;
    struct raft_io io;
    struct raft raft;
    struct raft_barrier barrier;
    bool barrier_busy;
    uint64_t ready_term; /* term whose barrier has been applied */
    struct fsm *fsm;
    struct ns *ns;
    struct store *st;
    pthread_t thread;
    bool thread_started;
    /* queue, shared with submitters */
    pthread_mutex_t mu;
    struct qitem *head, *tail;
    bool stopping;
    struct repl_info info; /* copy for other threads, under mu */
    bool ready;
    struct admin *admin_head; /* queued membership operations, under mu */
    /* node id -> addresses: the initial members, then the node table of
     * the replicated state; under mu */
    struct config_member *nodes;
    size_t n_nodes;
    _Atomic uint64_t term; /* as persisted (hook_set_term) */
    int (*inner_set_term)(struct raft_io *io, raft_term term);
    int (*inner_start)(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                       raft_io_recv_cb recv);
    raft_io_recv_cb inner_recv;
    /* The TCP transport, wrapped to turn Nagle's algorithm off (see
     * hook_listen). Loop thread. */
    int (*inner_listen)(struct raft_uv_transport *t, raft_uv_accept_cb cb);
    raft_uv_accept_cb inner_accept;
    int (*inner_connect)(struct raft_uv_transport *t,
                         struct raft_uv_connect *req, raft_id id,
                         const char *address, raft_uv_connect_cb cb);
    struct {
        struct raft_uv_connect *req;
        raft_uv_connect_cb cb;
    } connects[CONNECTS_MAX];
    /* Read leases (see repl.h). Leader side: reads are served without a
     * round until lease_until_us (monotonic) in term lease_term; none
     * while a leadership transfer runs. Follower side: no vote for
     * another candidate until vote_block_until_us; votes_in_progress
     * counts RequestVote messages being handled (repl_grant_lease). */
    _Atomic int64_t lease_until_us;
    _Atomic uint64_t lease_term;
    _Atomic int64_t lease_read_us; /* last read served by the lease */
    _Atomic bool leases_off;
    _Atomic int64_t vote_block_until_us;
    _Atomic int votes_in_progress;
    _Atomic uint64_t votes_refused;
    struct readidx *readidx;
    bool idem_used;             /* loop: keys may wait to be expired */
    bool idem_waiting;          /* loop: an expiry is in flight */
    uint64_t idem_next_ms;      /* loop: monotonic time of the next expiry */
    struct admin *transfer_req; /* loop: the transfer in progress */
    /* loop thread only */
    uint64_t incarnation; /* high bits of batch sequence numbers */
    uint64_t next_seq;
    struct batch *pending; /* proposed, not yet answered */
    unsigned inflight;     /* proposed, apply_cb not yet called */
    uint64_t ttl_next_ms;  /* monotonic time of the next TTL sweep */
    unsigned ttl_waiting;  /* expiry commands not yet answered */
    bool closing;
};

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct cmd_result *unavailable(const char *why)
{
    struct cmd_result *res = cmd_result_new();

    res->rc = BN_EUNAVAIL;
    bn_errmsg_printf(res->errmsg, "%s", why);
    return res;
}

/* ---- the node directory (any thread, under mu) -------------------------- */

static void dir_put_locked(struct repl *r, uint64_t id, const char *http,
                           const char *raft)
{
    struct config_member *m = NULL;

    for (size_t i = 0; i < r->n_nodes; i++) {
        if (r->nodes[i].id == id) {
            m = &r->nodes[i];
        }
    }
    if (m == NULL) {
        r->nodes = bn_realloc(r->nodes, (r->n_nodes + 1) * sizeof(*r->nodes));
        m = &r->nodes[r->n_nodes++];
    }
    memset(m, 0, sizeof(*m));
    m->id = id;
    (void)snprintf(m->http, sizeof(m->http), "%s", http);
    (void)snprintf(m->raft, sizeof(m->raft), "%s", raft);
}

static void dir_load_one(void *arg, uint64_t id, const char *http,
                         const char *raft)
{
    dir_put_locked(arg, id, http, raft);
}

/* The initial members, then the node table (loop thread, or startup). */
static void dir_reload(struct repl *r)
{
    char errmsg[BN_ERRMSG_SIZE] = "";

    pthread_mutex_lock(&r->mu);
    r->n_nodes = 0;
    for (size_t i = 0; i < r->o.n_members; i++) {
        dir_put_locked(r, r->o.members[i].id, r->o.members[i].http,
                       r->o.members[i].raft);
    }
    dir_put_locked(r, r->o.node_id, r->o.http, r->o.raft_listen);
    if (store_node_each(r->st, dir_load_one, r, errmsg) != 0) {
        log_warn("repl", "node table: %s", errmsg);
    }
    pthread_mutex_unlock(&r->mu);
}

/* fsm hook: a node's addresses changed (id 0: reload them all). */
static void on_node(void *arg, uint64_t id, const char *http, const char *raft)
{
    struct repl *r = arg;

    if (id == 0) {
        dir_reload(r);
        return;
    }
    if (http != NULL) {
        pthread_mutex_lock(&r->mu);
        dir_put_locked(r, id, http, raft);
        pthread_mutex_unlock(&r->mu);
    }
}

static bool dir_http_locked(struct repl *r, uint64_t id,
                            char out[CONFIG_ADDR_MAX + 1])
{
    for (size_t i = 0; i < r->n_nodes; i++) {
        if (r->nodes[i].id == id) {
            (void)snprintf(out, CONFIG_ADDR_MAX + 1, "%s", r->nodes[i].http);
            return out[0] != '\0';
        }
    }
    out[0] = '\0';
    return false;
}

/* fsm hook: download a checkpoint of the store at @index or later, from
 * the node that took the snapshot, else from any other node. Loop
 * thread (it blocks the loop: this node is far behind and follows). */
static int fetch_snapshot(void *arg, uint64_t index, uint64_t origin,
                          const char *origin_http, const char *path,
                          char errmsg[BN_ERRMSG_SIZE])
{
    struct repl *r = arg;
    char cand[REPL_SERVERS_MAX + 1][CONFIG_ADDR_MAX + 1];
    size_t n = 0;
    int rc = BN_EUNAVAIL;

    (void)origin;
    if (origin_http != NULL && origin_http[0] != '\0') {
        (void)snprintf(cand[n++], sizeof(cand[0]), "%s", origin_http);
    }
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->n_nodes && n < (size_t)REPL_SERVERS_MAX + 1;
         i++) {
        if (r->nodes[i].id != r->o.node_id && r->nodes[i].http[0] != '\0') {
            (void)snprintf(cand[n++], sizeof(cand[0]), "%s", r->nodes[i].http);
        }
    }
    pthread_mutex_unlock(&r->mu);
    bn_errmsg_printf(errmsg, "no peer to fetch a snapshot from");
    for (size_t i = 0; i < n && rc != 0; i++) {
        char url[CONFIG_ADDR_MAX + 96];
        uint64_t bytes = 0;

        (void)snprintf(url, sizeof(url),
                       "http://%s/api/v1/cluster/snapshot?min_index=%llu",
                       cand[i], (unsigned long long)index);
        rc =
            httpc_download(url, path, r->o.snapshot_timeout_ms, &bytes, errmsg);
        if (rc == 0) {
            log_info("repl", "fetched a checkpoint of %llu bytes from %s",
                     (unsigned long long)bytes, cand[i]);
        } else {
            log_warn("repl", "snapshot from %s: %s", cand[i], errmsg);
        }
    }
    return rc;
}

static struct repl *repl_of_io(struct raft_io *io)
{
    /* io->data belongs to raft: find the repl around the io. */
    return (struct repl *)(void *)((char *)io - offsetof(struct repl, io));
}

/* raft_io's receive callback, wrapped: while this node has promised a
 * leader a read lease, it does not take part in another election (a
 * dropped RequestVote is a lost message to raft). A transfer's
 * candidate (disrupt_leader) is let through: the leader that asked for
 * the transfer stopped using its lease first. */
static void hook_recv(struct raft_io *io, struct raft_message *m)
{
    struct repl *r = repl_of_io(io);

    if (m->type != RAFT_IO_REQUEST_VOTE) {
        r->inner_recv(io, m);
        return;
    }
    atomic_fetch_add(&r->votes_in_progress, 1);
    if (!m->request_vote.disrupt_leader &&
        mono_us() < atomic_load(&r->vote_block_until_us)) {
        atomic_fetch_add(&r->votes_refused, 1);
    } else {
        r->inner_recv(io, m);
    }
    atomic_fetch_sub(&r->votes_in_progress, 1);
}

static int hook_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                      raft_io_recv_cb recv)
{
    struct repl *r = repl_of_io(io);

    r->inner_recv = recv;
    return r->inner_start(io, msecs, tick, hook_recv);
}

/* ---- the transport without Nagle's algorithm ------------------------------
 *
 * libraft's TCP transport leaves Nagle's algorithm on: a small message
 * (an AppendEntries result) written while another is unacknowledged waits
 * for the peer's delayed ACK, 40 ms on Linux, and so does every write that
 * waits on it. The wrappers set TCP_NODELAY on every raft connection. */

static struct repl *repl_of_transport(struct raft_uv_transport *t)
{
    return (struct repl *)(void *)((char *)t -
                                   offsetof(struct repl, transport));
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
    repl_of_transport(t)->inner_accept(t, id, address, stream);
}

static int hook_listen(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
    struct repl *r = repl_of_transport(t);

    r->inner_accept = cb;
    return r->inner_listen(t, hook_accept);
}

static struct repl *connecting_repl; /* the loop's repl, for hook_connected */

static void hook_connected(struct raft_uv_connect *req,
                           struct uv_stream_s *stream, int status)
{
    struct repl *r = connecting_repl;
    raft_uv_connect_cb cb = NULL;

    for (size_t i = 0; i < CONNECTS_MAX; i++) {
        if (r->connects[i].req == req) {
            cb = r->connects[i].cb;
            r->connects[i].req = NULL;
            break;
        }
    }
    if (status == 0) {
        nodelay(stream);
    }
    assert(cb != NULL);
    cb(req, stream, status);
}

static int hook_connect(struct raft_uv_transport *t,
                        struct raft_uv_connect *req, raft_id id,
                        const char *address, raft_uv_connect_cb cb)
{
    struct repl *r = repl_of_transport(t);
    size_t i;
    int rv;

    for (i = 0; i < CONNECTS_MAX && r->connects[i].req != NULL; i++) {
    }
    if (i == CONNECTS_MAX) {
        return r->inner_connect(t, req, id, address, cb); /* untracked */
    }
    r->connects[i].req = req;
    r->connects[i].cb = cb;
    rv = r->inner_connect(t, req, id, address, hook_connected);
    if (rv != 0) {
        r->connects[i].req = NULL;
    }
    return rv;
}

/* raft_io's set_term, wrapped: the term other threads read changes as
 * soon as the new one is persisted, before raft acts in it. */
static int hook_set_term(struct raft_io *io, raft_term term)
{
    /* io->data belongs to raft: find the repl around the io. */
    struct repl *r =
        (struct repl *)(void *)((char *)io - offsetof(struct repl, io));
    int rv = r->inner_set_term(io, term);

    if (rv == 0) {
        atomic_store(&r->term, (uint64_t)term);
    }
    return rv;
}

/* ---- pending batches (loop thread) -------------------------------------- */

static void pending_link(struct repl *r, struct batch *b)
{
    b->prev = NULL;
    b->next = r->pending;
    if (r->pending != NULL) {
        r->pending->prev = b;
    }
    r->pending = b;
}

static void pending_unlink(struct repl *r, struct batch *b)
{
    if (b->prev != NULL) {
        b->prev->next = b->next;
    } else if (r->pending == b) {
        r->pending = b->next;
    }
    if (b->next != NULL) {
        b->next->prev = b->prev;
    }
    b->prev = b->next = NULL;
}

/* Answer every waiter of @b with a copy of @why. */
static void batch_fail(struct repl *r, struct batch *b, const char *why)
{
    if (b->answered) {
        return;
    }
    b->answered = true;
    pending_unlink(r, b);
    for (size_t i = 0; i < b->n; i++) {
        b->waiters[i].cb(b->waiters[i].arg, unavailable(why));
    }
}

static void flush_cb(uv_timer_t *t)
{
    struct repl *r = t->data;
    char errmsg[BN_ERRMSG_SIZE] = "";

    if (fsm_flush(r->fsm, true, errmsg) != 0) {
        log_error("repl", "store commit: %s", errmsg);
        abort(); /* the store can no longer follow the log */
    }
}

static void fsm_deliver(void *arg, uint64_t origin, uint64_t seq,
                        struct cmd_result **results, size_t n)
{
    struct repl *r = arg;
    struct batch *b = NULL;

    /* Bound how long an applied entry waits for its commit (readers of a
     * directory being changed wait for it). */
    if (!r->closing && fsm_has_open_txn(r->fsm) &&
        !uv_is_active((uv_handle_t *)&r->flush_timer)) {
        uv_timer_start(&r->flush_timer, flush_cb, FSM_GROUP_MS, 0);
    }

    if (origin == r->o.node_id) {
        for (b = r->pending; b != NULL; b = b->next) {
            if (b->seq == seq) {
                break;
            }
        }
    }
    if (b != NULL && !b->answered && ALWAYS(b->n == n)) {
        b->answered = true;
        pending_unlink(r, b);
        for (size_t i = 0; i < n; i++) {
            b->waiters[i].cb(b->waiters[i].arg, results[i]);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            cmd_result_free(results[i]);
        }
    }
    free(results);
}

static void apply_cb(struct raft_apply *req, int status, void *result)
{
    struct batch *b = req->data;
    struct repl *r = b->r;

    (void)result;
    assert(r->inflight > 0);
    r->inflight--;
    if (!r->closing) {
        uv_async_send(&r->async); /* propose what gathered meanwhile */
    }
    if (status != 0) {
        char why[BN_ERRMSG_SIZE];

        bn_errmsg_printf(why, "replication: %s", raft_strerror(status));
        batch_fail(r, b, why);
    } else if (!b->answered) {
        /* Applied but not delivered: the fsm skipped it (cannot happen for
         * a batch proposed by this process). */
        batch_fail(r, b, "replication: applied without a result");
    }
    free(b->waiters);
    free(b);
}

/* ---- proposing (loop thread) -------------------------------------------- */

static void propose(struct repl *r, struct qitem *items, size_t n)
{
    struct batch *b = bn_calloc(1, sizeof(*b));
    const struct cmd **cmds = bn_calloc(n, sizeof(*cmds));
    struct cmd_batch_hdr hdr;
    struct raft_buffer buf;
    struct qitem *q = items;
    int rv;

    b->r = r;
    b->seq = r->incarnation | (r->next_seq++ & 0xffffffffu);
    b->n = n;
    b->waiters = bn_calloc(n, sizeof(*b->waiters));
    b->deadline_ms = mono_ms() + r->o.request_timeout_ms;
    b->req.data = b;
    for (size_t i = 0; i < n; i++, q = q->next) {
        cmds[i] = q->c;
        b->waiters[i].cb = q->cb;
        b->waiters[i].arg = q->arg;
    }
    hdr.origin = r->o.node_id;
    hdr.seq = b->seq;
    hdr.now_ms = (int64_t)now_ms();
    hdr.count = (uint32_t)n;
    buf.base = cmd_batch_encode(cmds, n, &hdr, raft_malloc, &buf.len);
    free(cmds);
    pending_link(r, b);
    rv = raft_apply(&r->raft, &b->req, &buf, 1, apply_cb);
    if (rv == 0) {
        r->inflight++;
    } else {
        char why[BN_ERRMSG_SIZE];

        raft_free(buf.base);
        bn_errmsg_printf(why, "replication: %s", raft_strerror(rv));
        batch_fail(r, b, why);
        free(b->waiters);
        free(b);
    }
}

/* Take up to @max queued commands off the queue; returns their count. */
static size_t dequeue(struct repl *r, size_t max, struct qitem **out)
{
    struct qitem *start;
    struct qitem *last;
    size_t n = 1;

    pthread_mutex_lock(&r->mu);
    start = r->head;
    if (start == NULL) {
        pthread_mutex_unlock(&r->mu);
        *out = NULL;
        return 0;
    }
    last = start;
    while (last->next != NULL && n < max) {
        last = last->next;
        n++;
    }
    r->head = last->next;
    if (r->head == NULL) {
        r->tail = NULL;
    }
    last->next = NULL;
    pthread_mutex_unlock(&r->mu);
    *out = start;
    return n;
}

static void qitems_free(struct qitem *q)
{
    while (q != NULL) {
        struct qitem *next = q->next;

        cmd_free(q->c);
        free(q);
        q = next;
    }
}

/* Propose queued commands in batches while fewer than INFLIGHT_MAX are in
 * flight, or fail them all when this node cannot propose. */
static void drain(struct repl *r)
{
    bool leader = raft_state(&r->raft) == RAFT_LEADER && !r->closing;
    struct qitem *items;
    size_t n;

    while (!leader || r->inflight < INFLIGHT_MAX) {
        n = dequeue(r, r->o.batch_max, &items);
        if (n == 0) {
            break;
        }
        if (leader) {
            propose(r, items, n);
        } else {
            for (struct qitem *q = items; q != NULL; q = q->next) {
                q->cb(q->arg,
                      unavailable(r->closing ? "shutting down"
                                             : "this node is not the leader"));
            }
        }
        qitems_free(items);
    }
}

/* Fail the queued commands whose deadline has passed (the log is stuck:
 * the batches in flight do not land). */
static void expire_queued(struct repl *r, uint64_t now)
{
    struct qitem *keep = NULL;
    struct qitem **keep_tail = &keep;
    struct qitem *gone = NULL;
    struct qitem *q;

    pthread_mutex_lock(&r->mu);
    if (r->head == NULL || r->head->deadline_ms > now) {
        pthread_mutex_unlock(&r->mu);
        return;
    }
    q = r->head;
    while (q != NULL) {
        struct qitem *next = q->next;

        if (q->deadline_ms <= now) {
            q->next = gone;
            gone = q;
        } else {
            *keep_tail = q;
            keep_tail = &q->next;
        }
        q = next;
    }
    *keep_tail = NULL;
    r->head = keep;
    r->tail = NULL;
    for (q = keep; q != NULL; q = q->next) {
        r->tail = q;
    }
    pthread_mutex_unlock(&r->mu);
    for (q = gone; q != NULL; q = q->next) {
        q->cb(q->arg, unavailable("the write could not be proposed within the "
                                  "request timeout"));
    }
    qitems_free(gone);
}

/* ---- state, barrier, timeouts (loop thread) ----------------------------- */

static void addresses_done(void *arg, struct cmd_result *res)
{
    (void)arg;
    if (res->rc != 0) {
        log_warn("repl", "recording node addresses: %s", res->errmsg);
    }
    cmd_result_free(res);
}

/* A new leader puts the addresses it knows from its config (the initial
 * members and itself) into the replicated node table, so that nodes that
 * join later without a members list learn them too. */
static void record_addresses(struct repl *r)
{
    struct config_member *m;
    size_t n;

    pthread_mutex_lock(&r->mu);
    n = r->n_nodes;
    m = bn_calloc(n > 0 ? n : 1, sizeof(*m));
    memcpy(m, r->nodes, n * sizeof(*m));
    pthread_mutex_unlock(&r->mu);
    for (size_t i = 0; i < n; i++) {
        struct cmd *c;

        if (m[i].http[0] == '\0' || m[i].raft[0] == '\0') {
            continue;
        }
        c = cmd_new(OP_NODE_PUT);
        c->u.node_put.node_id = m[i].id;
        c->u.node_put.http = bn_strdup(m[i].http);
        c->u.node_put.raft = bn_strdup(m[i].raft);
        (void)repl_submit(r, c, addresses_done, r);
    }
    free(m);
}

static void root_mount_done(void *arg, struct cmd_result *res)
{
    struct repl *r = arg;

    if (res->rc != 0) {
        log_error("repl", "mounting %s at / ([mounts] root_ufs): %s",
                  r->o.root_ufs, res->errmsg);
    } else {
        log_info("repl", "mounted %s at / ([mounts] root_ufs)", r->o.root_ufs);
    }
    cmd_result_free(res);
}

/* A new leader mounts the config's root_ufs at / unless / is mounted; it
 * never changes a root mount on another URI, it says so. */
static void root_mount(struct repl *r)
{
    struct mount_info m = {0};
    struct cmd *c;

    if (r->o.root_ufs == NULL || r->o.root_ufs[0] == '\0' ||
        r->o.mounts == NULL) {
        return;
    }
    if (mount_find(r->o.mounts, "/", &m)) {
        if (strcmp(m.uri, r->o.root_ufs) != 0) {
            log_error("repl",
                      "[mounts] root_ufs is %s but / is mounted on %s; the "
                      "root mount is left as it is",
                      r->o.root_ufs, m.uri);
        }
        mount_info_clear(&m);
        return;
    }
    c = cmd_new(OP_MOUNT);
    c->path = bn_strdup("/");
    c->u.mount.uri = bn_strdup(r->o.root_ufs);
    c->u.mount.read_only = r->o.root_read_only;
    c->u.mount.owner = bn_strdup(r->o.owner != NULL ? r->o.owner : "banyan");
    c->u.mount.group = bn_strdup(r->o.group != NULL ? r->o.group : "banyan");
    (void)repl_submit(r, c, root_mount_done, r);
}

static void barrier_cb(struct raft_barrier *req, int status)
{
    struct repl *r = req->data;

    r->barrier_busy = false;
    if (status == 0) {
        r->ready_term = r->raft.current_term;
        r->idem_used = true; /* expire what earlier leaders left */
        record_addresses(r);
        root_mount(r);
        log_info("repl", "leader of term %llu, applied index %llu",
                 (unsigned long long)r->raft.current_term,
                 (unsigned long long)raft_last_applied(&r->raft));
    }
}

static int member_role(int raft_role)
{
    return raft_role == RAFT_VOTER     ? REPL_VOTER
           : raft_role == RAFT_STANDBY ? REPL_STANDBY
                                       : REPL_SPARE;
}

static void refresh(struct repl *r)
{
    struct repl_info info = {0};
    raft_id leader_id = 0;
    const char *leader_addr = NULL;
    int state = r->closing ? RAFT_UNAVAILABLE : raft_state(&r->raft);
    const struct raft_configuration *conf = &r->raft.configuration;

    if (state == RAFT_LEADER && !r->closing && !r->barrier_busy &&
        r->ready_term != r->raft.current_term) {
        /* Commit everything of earlier terms before serving (Raft
         * dissertation §6.4: a new leader commits a no-op first). */
        r->barrier.data = r;
        if (raft_barrier(&r->raft, &r->barrier, barrier_cb) == 0) {
            r->barrier_busy = true;
        }
    }
    raft_leader(&r->raft, &leader_id, &leader_addr);
    info.role = state == RAFT_LEADER      ? REPL_LEADER
                : state == RAFT_FOLLOWER  ? REPL_FOLLOWER
                : state == RAFT_CANDIDATE ? REPL_CANDIDATE
                                          : REPL_UNAVAILABLE;
    info.node_id = r->o.node_id;
    info.term = r->raft.current_term;
    info.leader_id = leader_id;
    info.commit_index = r->raft.commit_index;
    info.applied_index = raft_last_applied(&r->raft);
    info.last_index = raft_last_index(&r->raft);
    if (state == RAFT_FOLLOWER && !r->closing) {
        raft_time now = r->io.time(&r->io);

        info.last_contact_ms = now > r->raft.election_timer_start
                                   ? now - r->raft.election_timer_start
                                   : 0;
    }
    for (unsigned i = 0; i < conf->n && i < REPL_SERVERS_MAX; i++) {
        struct repl_server *sv = &info.servers[info.n_servers++];

        sv->id = conf->servers[i].id;
        sv->role = member_role(conf->servers[i].role);
        (void)snprintf(sv->raft, sizeof(sv->raft), "%s",
                       conf->servers[i].address);
        if (state == RAFT_LEADER && r->raft.leader_state.progress != NULL) {
            sv->match_index =
                sv->id == r->o.node_id
                    ? raft_last_index(&r->raft)
                    : r->raft.leader_state.progress[i].match_index;
        }
    }
    metrics_raft_observe(info.term, info.leader_id);
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < info.n_servers; i++) {
        (void)dir_http_locked(r, info.servers[i].id, info.servers[i].http);
    }
    if (leader_id != 0) {
        (void)dir_http_locked(r, leader_id, info.leader_http);
    }
    r->info = info;
    r->ready = state == RAFT_LEADER && r->ready_term == r->raft.current_term;
    pthread_mutex_unlock(&r->mu);
}

/* ---- membership (loop thread) ------------------------------------------- */

static void admin_answer(struct admin *a, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void admin_answer(struct admin *a, int rc, const char *fmt, ...)
{
    struct cmd_result *res = cmd_result_new();
    va_list ap;

    res->rc = rc;
    if (fmt != NULL) {
        va_start(ap, fmt);
        (void)vsnprintf(res->errmsg, sizeof(res->errmsg), fmt, ap);
        va_end(ap);
    }
    a->cb(a->arg, res);
    free(a);
}

/* A raft error of a membership call as a banyan code. */
static int map_raft(int rv)
{
    switch (rv) {
    case RAFT_NOTLEADER:
    case RAFT_LEADERSHIPLOST:
    case RAFT_NOCONNECTION:
        return BN_EUNAVAIL;
    case RAFT_CANTCHANGE:
        return BN_ECONFLICT;
    case RAFT_DUPLICATEID:
    case RAFT_DUPLICATEADDRESS:
        return BN_EEXIST;
    case RAFT_BADID:
    case RAFT_NOTFOUND:
        return BN_ENOTFOUND;
    case RAFT_BADROLE:
        return BN_EINVAL;
    default:
        return BN_EINTERNAL;
    }
}

static int raft_role_of(int role)
{
    return role == REPL_VOTER     ? RAFT_VOTER
           : role == REPL_STANDBY ? RAFT_STANDBY
                                  : RAFT_SPARE;
}

static const char *role_name(int role)
{
    return role == REPL_VOTER     ? "voter"
           : role == REPL_STANDBY ? "standby"
                                  : "spare";
}

static void change_done(struct raft_change *req, int status)
{
    struct admin *a = req->data;

    if (status != 0) {
        admin_answer(a, map_raft(status), "node %llu: %s",
                     (unsigned long long)a->req.id, raft_strerror(status));
        return;
    }
    admin_answer(a, 0, NULL);
}

static void add_done(struct raft_change *req, int status)
{
    struct admin *a = req->data;
    struct repl *r = a->r;
    int rv;

    if (status != 0 || a->req.role == REPL_SPARE) {
        change_done(req, status);
        return;
    }
    /* Added as a spare; now the role asked for (a voter catches up with
     * the log first: raft promotes it once it is close enough). */
    a->change.data = a;
    rv = raft_assign(&r->raft, &a->change, a->req.id, raft_role_of(a->req.role),
                     change_done);
    if (rv != 0) {
        admin_answer(a, map_raft(rv), "assign node %llu the role %s: %s",
                     (unsigned long long)a->req.id, role_name(a->req.role),
                     raft_strerror(rv));
    }
}

/* The new node's addresses are in the replicated state: add it. */
static void add_addresses_done(void *arg, struct cmd_result *res)
{
    struct admin *a = arg;
    struct repl *r = a->r;
    int rv;

    if (res->rc != 0) {
        admin_answer(a, res->rc, "node %llu: %s", (unsigned long long)a->req.id,
                     res->errmsg);
        cmd_result_free(res);
        return;
    }
    cmd_result_free(res);
    a->change.data = a;
    rv = raft_add(&r->raft, &a->change, a->req.id, a->req.raft, add_done);
    if (rv != 0) {
        admin_answer(a, map_raft(rv), "add node %llu: %s",
                     (unsigned long long)a->req.id, raft_strerror(rv));
    }
}

static void remove_addresses_done(void *arg, struct cmd_result *res)
{
    struct admin *a = arg;

    cmd_result_free(res); /* the node is out of the configuration already */
    admin_answer(a, 0, NULL);
}

static void remove_done(struct raft_change *req, int status)
{
    struct admin *a = req->data;
    struct cmd *c;

    if (status != 0) {
        change_done(req, status);
        return;
    }
    c = cmd_new(OP_NODE_DEL);
    c->u.node_del.node_id = a->req.id;
    if (repl_submit(a->r, c, remove_addresses_done, a) != 0) {
        admin_answer(a, 0, NULL); /* no longer the leader: removed anyway */
    }
}

static void transfer_done(struct raft_transfer *req)
{
    struct admin *a = req->data;
    struct repl *r = a->r;

    r->transfer_req = NULL;
    atomic_store(&r->leases_off, false);
    if (raft_state(&r->raft) == RAFT_LEADER) {
        admin_answer(a, BN_EUNAVAIL,
                     "the leadership transfer did not complete; this node "
                     "still leads");
        return;
    }
    admin_answer(a, 0, NULL);
}

static bool in_configuration(struct repl *r, uint64_t id)
{
    const struct raft_configuration *conf = &r->raft.configuration;

    for (unsigned i = 0; i < conf->n; i++) {
        if (conf->servers[i].id == id) {
            return true;
        }
    }
    return false;
}

static void admin_start(struct repl *r, struct admin *a)
{
    struct cmd *c;
    int rv = 0;

    a->r = r;
    if (raft_state(&r->raft) != RAFT_LEADER || r->closing) {
        admin_answer(a, BN_EUNAVAIL, "this node is not the leader");
        return;
    }
    a->change.data = a;
    switch (a->req.op) {
    case REPL_ADD:
        if (in_configuration(r, a->req.id)) {
            admin_answer(a, BN_EEXIST, "node %llu is a member already",
                         (unsigned long long)a->req.id);
            return;
        }
        c = cmd_new(OP_NODE_PUT);
        c->u.node_put.node_id = a->req.id;
        c->u.node_put.http = bn_strdup(a->req.http);
        c->u.node_put.raft = bn_strdup(a->req.raft);
        if (repl_submit(r, c, add_addresses_done, a) != 0) {
            admin_answer(a, BN_EUNAVAIL, "this node is not the leader");
        }
        return;
    case REPL_ASSIGN:
        if (!in_configuration(r, a->req.id)) {
            admin_answer(a, BN_ENOTFOUND, "node %llu is not a member",
                         (unsigned long long)a->req.id);
            return;
        }
        rv = raft_assign(&r->raft, &a->change, a->req.id,
                         raft_role_of(a->req.role), change_done);
        break;
    case REPL_REMOVE:
        if (!in_configuration(r, a->req.id)) {
            admin_answer(a, BN_ENOTFOUND, "node %llu is not a member",
                         (unsigned long long)a->req.id);
            return;
        }
        rv = raft_remove(&r->raft, &a->change, a->req.id, remove_done);
        break;
    case REPL_TRANSFER:
        if (a->req.id == r->o.node_id) {
            admin_answer(a, 0, NULL); /* it leads already */
            return;
        }
        if (a->req.id != 0 && !in_configuration(r, a->req.id)) {
            admin_answer(a, BN_ENOTFOUND, "node %llu is not a member",
                         (unsigned long long)a->req.id);
            return;
        }
        if (r->transfer_req != NULL) {
            admin_answer(a, BN_ECONFLICT, "a transfer is in progress");
            return;
        }
        a->transfer.data = a;
        /* No more lease reads here: the new leader will not wait for the
         * lease to run out. */
        atomic_store(&r->leases_off, true);
        atomic_store(&r->lease_until_us, 0);
        rv = raft_transfer(&r->raft, &a->transfer, a->req.id, transfer_done);
        if (rv == 0) {
            r->transfer_req = a;
        } else {
            atomic_store(&r->leases_off, false);
        }
        break;
    default:
        admin_answer(a, BN_EINVAL, "unknown membership operation");
        return;
    }
    if (rv != 0) {
        admin_answer(a, map_raft(rv), "node %llu: %s",
                     (unsigned long long)a->req.id, raft_strerror(rv));
    }
}

static void admin_drain(struct repl *r)
{
    struct admin *a;

    pthread_mutex_lock(&r->mu);
    a = r->admin_head;
    r->admin_head = NULL;
    pthread_mutex_unlock(&r->mu);
    while (a != NULL) {
        struct admin *next = a->next;

        admin_start(r, a);
        a = next;
    }
}

/* ---- Idempotency-Key expiry (loop thread) -------------------------------- */

static void idem_done(void *arg, struct cmd_result *res)
{
    struct repl *r = arg;

    r->idem_waiting = false;
    if (res->rc != 0) {
        log_warn("repl", "idempotency expiry: %s", res->errmsg);
        r->idem_used = true;
    }
    cmd_result_free(res);
}

/* The leader proposes the expiry of old keys, so every node forgets the
 * same ones at the same index. */
static void idem_step(struct repl *r, uint64_t now)
{
    struct cmd *c;

    if (!r->ready || r->closing || !r->idem_used || r->idem_waiting ||
        now < r->idem_next_ms) {
        return;
    }
    r->idem_next_ms = now + IDEM_SWEEP_MS;
    c = cmd_new(OP_IDEM_EXPIRE);
    c->u.idem_expire.before_ms =
        (int64_t)now_ms() - (int64_t)r->o.idempotency_ttl_ms;
    c->u.idem_expire.keep = r->o.idempotency_keys;
    if (repl_submit(r, c, idem_done, r) == 0) {
        r->idem_waiting = true;
        r->idem_used = false;
    }
}

/* Reclaim a bounded batch of trashed rows (recursive deletes unlink a
 * subtree at once; its rows go here, a few thousand per tick, so apply is
 * never held for long). The trash is not part of the replicated state;
 * each node reclaims at its own pace. */
static void reclaim_step(struct repl *r)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    int n;

    if (!store_has_trash(r->st)) {
        return;
    }
    if (store_begin(r->st, errmsg) != 0) {
        log_error("repl", "reclaim: %s", errmsg);
        return;
    }
    n = store_reclaim(r->st, RECLAIM_PER_TICK, errmsg);
    if (n < 0) {
        log_error("repl", "reclaim: %s", errmsg);
    }
    if (store_commit(r->st, false, errmsg) != 0) {
        log_error("repl", "reclaim commit: %s", errmsg);
        abort();
    }
    if (n > 0) {
        log_debug("repl", "reclaimed %d trashed inodes", n);
    }
}

static void ttl_done(void *arg, struct cmd_result *res)
{
    struct repl *r = arg;

    r->ttl_waiting--;
    /* Changed or gone since the sweep saw it: the next sweep judges it
     * again. Anything else is worth a look. */
    if (res->rc != 0 && res->rc != BN_EPRECOND && res->rc != BN_ENOTFOUND) {
        log_warn("ttl", "%s", res->errmsg);
    }
    cmd_result_free(res);
}

/* The leader proposes the expiry of inodes whose TTL has run out, one
 * sweep at a time (ttl.h). */
static void ttl_step(struct repl *r, uint64_t now)
{
    struct cmd *cmds[TTL_SWEEP_MAX];
    char errmsg[BN_ERRMSG_SIZE] = "";
    int n;

    if (!r->ready || r->closing || r->ttl_waiting > 0 || now < r->ttl_next_ms) {
        return;
    }
    r->ttl_next_ms = now + TTL_SWEEP_MS;
    n = ttl_commands(r->ns, r->st, (int64_t)now_ms(), TTL_SWEEP_MAX, cmds,
                     errmsg);
    if (n < 0) {
        log_error("ttl", "sweep: %s", errmsg);
        return;
    }
    for (int i = 0; i < n; i++) {
        log_info("ttl", "%s expired: %s", cmds[i]->path,
                 cmds[i]->op == OP_DELETE ? "delete" : "clear the ttl");
        if (repl_submit(r, cmds[i], ttl_done, r) == 0) {
            r->ttl_waiting++;
        }
    }
}

static void timer_cb(uv_timer_t *t)
{
    struct repl *r = t->data;
    uint64_t now = mono_ms();
    struct batch *b = r->pending;

    reclaim_step(r);
    ttl_step(r, now);
    idem_step(r, now);
    expire_queued(r, now);
    drain(r);

    while (b != NULL) {
        struct batch *next = b->next;

        if (now >= b->deadline_ms) {
            batch_fail(r, b,
                       "the write was not applied within the request "
                       "timeout; it may still be applied");
        }
        b = next;
    }
    refresh(r);
}

static void on_raft_closed(struct raft *raft)
{
    struct repl *r = raft->data;

    raft_uv_close(&r->io);
    raft_uv_tcp_close(&r->transport);
}

static void handle_close_cb(uv_handle_t *h)
{
    (void)h;
}

static void async_cb(uv_async_t *a)
{
    struct repl *r = a->data;
    bool stopping;

    pthread_mutex_lock(&r->mu);
    stopping = r->stopping;
    pthread_mutex_unlock(&r->mu);
    if (stopping && !r->closing) {
        r->closing = true;
        drain(r);
        refresh(r);
        uv_timer_stop(&r->timer);
        uv_close((uv_handle_t *)&r->timer, handle_close_cb);
        uv_timer_stop(&r->flush_timer);
        uv_close((uv_handle_t *)&r->flush_timer, handle_close_cb);
        uv_close((uv_handle_t *)&r->async, handle_close_cb);
        admin_drain(r); /* fails them: closing */
        r->raft.data = r;
        raft_close(&r->raft, on_raft_closed);
        return;
    }
    admin_drain(r);
    drain(r);
    refresh(r);
}

static void *loop_main(void *arg)
{
    struct repl *r = arg;

    uv_run(&r->loop, UV_RUN_DEFAULT);
    return NULL;
}

/* ---- public ------------------------------------------------------------- */

int repl_start(struct repl **out, const struct repl_options *opts,
               struct ns *ns, struct store *st, char errmsg[BN_ERRMSG_SIZE])
{
    struct repl *r = bn_calloc(1, sizeof(*r));
    struct raft_configuration conf;
    uint32_t inc = 0;
    int rv;

    struct config_member *members = NULL;
    struct fsm_hooks hooks;

    r->o = *opts;
    if (r->o.batch_max == 0 || r->o.batch_max > CMD_BATCH_MAX) {
        r->o.batch_max = CMD_BATCH_MAX;
    }
    r->dir = bn_strdup(opts->dir);
    r->address = bn_strdup(opts->raft_listen);
    r->http = bn_strdup(opts->http != NULL ? opts->http : "");
    r->o.dir = r->dir;
    r->o.raft_listen = r->address;
    r->o.http = r->http;
    if (opts->n_members > 0) {
        members = bn_calloc(opts->n_members, sizeof(*members));
        memcpy(members, opts->members, opts->n_members * sizeof(*members));
    }
    r->members = members;
    r->o.members = members;
    r->fetch_path =
        bn_strdup(opts->fetch_path != NULL ? opts->fetch_path : "snapshot.db");
    r->o.fetch_path = r->fetch_path;
    if (r->o.snapshot_timeout_ms == 0) {
        r->o.snapshot_timeout_ms = 3600000;
    }
    pthread_mutex_init(&r->mu, NULL);
    if (getrandom(&inc, sizeof(inc), 0) != (ssize_t)sizeof(inc)) {
        inc = (uint32_t)mono_ms();
    }
    r->incarnation = (uint64_t)inc << 32;
    if (datadir_mkdir_p(r->dir) != 0) {
        bn_errmsg_printf(errmsg, "raft: create %s: %s", r->dir,
                         strerror(errno));
        rv = BN_EIO;
        goto err;
    }
    r->st = st;
    r->ns = ns;
    r->fsm = fsm_new(ns, st, fsm_deliver, r);
    memset(&hooks, 0, sizeof(hooks));
    hooks.node_id = opts->node_id;
    hooks.http = r->http;
    hooks.node = on_node;
    hooks.fetch = fetch_snapshot;
    hooks.fetch_path = r->fetch_path;
    hooks.arg = r;
    fsm_set_hooks(r->fsm, &hooks);
    fsm_set_mounts(r->fsm, opts->mounts);
    dir_reload(r);
    uv_loop_init(&r->loop);
    rv = raft_uv_tcp_init(&r->transport, &r->loop);
    if (rv != 0) {
        bn_errmsg_printf(errmsg, "raft: transport: %s", raft_strerror(rv));
        goto err_raft;
    }
    r->inner_listen = r->transport.listen;
    r->transport.listen = hook_listen;
    r->inner_connect = r->transport.connect;
    r->transport.connect = hook_connect;
    connecting_repl = r;
    rv = raft_uv_init(&r->io, &r->loop, r->dir, &r->transport);
    if (rv != 0) {
        bn_errmsg_printf(errmsg, "raft: io %s: %s", r->dir, raft_strerror(rv));
        goto err_raft;
    }
    r->inner_set_term = r->io.set_term;
    r->io.set_term = hook_set_term;
    r->inner_start = r->io.start;
    r->io.start = hook_start;
    /* Before a crash this node may have promised a lease: keep it. */
    atomic_store(&r->vote_block_until_us,
                 mono_us() + (int64_t)opts->election_timeout_ms * 1000);
    rv = raft_init(&r->raft, &r->io, fsm_raft(r->fsm), opts->node_id,
                   r->address);
    if (rv != 0) {
        bn_errmsg_printf(errmsg, "raft: init: %s", raft_errmsg(&r->raft));
        goto err_raft;
    }
    fsm_set_raft(r->fsm, &r->raft);
    raft_set_election_timeout(&r->raft, opts->election_timeout_ms);
    raft_set_heartbeat_timeout(&r->raft, opts->heartbeat_timeout_ms);
    raft_set_snapshot_threshold(&r->raft, opts->snapshot_threshold);
    raft_set_snapshot_trailing(&r->raft, opts->snapshot_trailing);
    raft_set_pre_vote(&r->raft, true);

    /* The initial members as voters, or the embedded default: a cluster of
     * this one voter. A joining node starts empty: the leader adds it and
     * sends it a snapshot and the log. Bootstrapping is a no-op on a node
     * that has raft state already. */
    raft_configuration_init(&conf);
    rv = 0;
    if (opts->n_members == 0) {
        rv = raft_configuration_add(&conf, opts->node_id, r->address,
                                    RAFT_VOTER);
    }
    for (size_t i = 0; i < opts->n_members && rv == 0; i++) {
        rv = raft_configuration_add(&conf, opts->members[i].id,
                                    opts->members[i].raft, RAFT_VOTER);
    }
    if (rv == 0 && !opts->join) {
        rv = raft_bootstrap(&r->raft, &conf);
    }
    raft_configuration_close(&conf);
    if (rv != 0 && rv != RAFT_CANTBOOTSTRAP) {
        bn_errmsg_printf(errmsg, "raft: bootstrap: %s", raft_strerror(rv));
        goto err_raft;
    }
    /* raft_start may apply entries already (a single voter replays its
     * log at once), and apply arms the flush timer. */
    uv_timer_init(&r->loop, &r->flush_timer);
    r->flush_timer.data = r;
    rv = raft_start(&r->raft);
    if (rv != 0) {
        bn_errmsg_printf(errmsg, "raft: start on %s: %s", r->address,
                         raft_errmsg(&r->raft));
        goto err_raft;
    }
    /* A store with data and no raft state at all means the raft folder
     * was lost or belongs to another store: the new log would start over
     * at index 1 and its entries would be taken for ones already applied.
     * (A store ahead of a log that exists is fine: it was fetched from a
     * peer with a snapshot, and holds committed entries only.) */
    if (raft_last_index(&r->raft) == 0 && store_applied(st) > 0) {
        bn_errmsg_printf(errmsg,
                         "raft: the store in this data dir has applied index "
                         "%llu but there is no raft log in %s: the raft "
                         "log is missing or belongs to another store",
                         (unsigned long long)store_applied(st), r->dir);
        rv = BN_ECORRUPT;
        goto err_raft;
    }
    atomic_store(&r->term, (uint64_t)r->raft.current_term);
    r->readidx = readidx_new(r, opts->election_timeout_ms);
    uv_async_init(&r->loop, &r->async, async_cb);
    r->async.data = r;
    uv_timer_init(&r->loop, &r->timer);
    r->timer.data = r;
    uv_timer_start(&r->timer, timer_cb, TICK_MS, TICK_MS);
    refresh(r);
    if (pthread_create(&r->thread, NULL, loop_main, r) != 0) {
        bn_errmsg_printf(errmsg, "raft: cannot start the loop thread");
        rv = BN_EINTERNAL;
        goto err_raft;
    }
    r->thread_started = true;
    log_info("repl", "raft node %llu on %s, data in %s",
             (unsigned long long)opts->node_id, r->address, r->dir);
    *out = r;
    return 0;

err_raft:
    /* A half-initialised raft instance cannot be closed cleanly without
     * running its loop; this is a startup failure and the process exits. */
    rv = rv < 0 ? rv : BN_EIO;
err:
    return rv;
}

void repl_stop(struct repl *r)
{
    struct batch *b;

    if (r == NULL) {
        return;
    }
    readidx_free(r->readidx);
    r->readidx = NULL;
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    pthread_mutex_unlock(&r->mu);
    uv_async_send(&r->async);
    if (r->thread_started) {
        pthread_join(r->thread, NULL);
    }
    /* raft_close failed every pending request; nothing is left. */
    b = r->pending;
    assert(b == NULL);
    (void)b;
    uv_loop_close(&r->loop);
    fsm_free(r->fsm);
    pthread_mutex_destroy(&r->mu);
    free(r->dir);
    free(r->address);
    free(r->http);
    free(r->fetch_path);
    free(r->members);
    free(r->nodes);
    free(r);
}

int repl_submit(struct repl *r, struct cmd *c, repl_done_cb cb, void *arg)
{
    struct qitem *q;

    pthread_mutex_lock(&r->mu);
    if (r->stopping || r->info.role != REPL_LEADER) {
        pthread_mutex_unlock(&r->mu);
        cmd_free(c);
        return BN_EUNAVAIL;
    }
    q = bn_calloc(1, sizeof(*q));
    q->c = c;
    q->cb = cb;
    q->arg = arg;
    q->deadline_ms = mono_ms() + r->o.request_timeout_ms;
    if (r->tail != NULL) {
        r->tail->next = q;
    } else {
        r->head = q;
    }
    r->tail = q;
    pthread_mutex_unlock(&r->mu);
    uv_async_send(&r->async);
    return 0;
}

void repl_get_info(struct repl *r, struct repl_info *out)
{
    pthread_mutex_lock(&r->mu);
    *out = r->info;
    pthread_mutex_unlock(&r->mu);
}

bool repl_is_ready(struct repl *r)
{
    bool ready;

    pthread_mutex_lock(&r->mu);
    ready = r->ready && !r->stopping;
    pthread_mutex_unlock(&r->mu);
    return ready;
}

uint64_t repl_current_term(struct repl *r)
{
    return atomic_load(&r->term);
}

uint64_t repl_leading_term(struct repl *r)
{
    uint64_t term = 0;

    pthread_mutex_lock(&r->mu);
    if (r->ready && !r->stopping && r->info.role == REPL_LEADER) {
        term = r->info.term;
    }
    pthread_mutex_unlock(&r->mu);
    /* The persisted term moves first when another leader appears. */
    return term != 0 && term == atomic_load(&r->term) ? term : 0;
}

size_t repl_voter_peers(struct repl *r, char (*http)[CONFIG_ADDR_MAX + 1],
                        size_t max, unsigned *need)
{
    size_t n = 0;
    unsigned voters = 0;
    bool self = false;

    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->info.n_servers; i++) {
        const struct repl_server *sv = &r->info.servers[i];

        if (sv->role != REPL_VOTER) {
            continue;
        }
        voters++;
        if (sv->id == r->o.node_id) {
            self = true;
        } else if (n < max) {
            (void)snprintf(http[n++], CONFIG_ADDR_MAX + 1, "%s", sv->http);
        }
    }
    pthread_mutex_unlock(&r->mu);
    voters = voters / 2 + 1;
    *need = self ? voters - 1 : voters;
    return n;
}

bool repl_read_local(struct repl *r)
{
    bool alone = false;

    pthread_mutex_lock(&r->mu);
    if (r->ready && !r->stopping && r->info.role == REPL_LEADER &&
        r->info.term == atomic_load(&r->term)) {
        unsigned voters = 0;
        bool self = false;

        for (size_t i = 0; i < r->info.n_servers; i++) {
            if (r->info.servers[i].role == REPL_VOTER) {
                voters++;
                self = self || r->info.servers[i].id == r->o.node_id;
            }
        }
        alone = self && voters == 1;
        if (!alone && !atomic_load(&r->leases_off) &&
            atomic_load(&r->lease_term) == r->info.term) {
            int64_t now = mono_us();

            if (now < atomic_load(&r->lease_until_us)) {
                atomic_store(&r->lease_read_us, now);
                alone = true; /* nobody else can lead until the lease ends */
            }
        }
    }
    pthread_mutex_unlock(&r->mu);
    return alone;
}

unsigned repl_lease_ms(struct repl *r)
{
    return r->o.election_timeout_ms;
}

void repl_lease_extend(struct repl *r, uint64_t term, int64_t round_start_us)
{
    /* Followers count the lease from when the grant reached them, which is
     * after the round began; keep a tenth for clock rate drift. */
    int64_t until = round_start_us + (int64_t)r->o.election_timeout_ms * 900;

    if (atomic_load(&r->leases_off) || term != atomic_load(&r->term)) {
        return;
    }
    atomic_store(&r->lease_term, term);
    if (until > atomic_load(&r->lease_until_us)) {
        atomic_store(&r->lease_until_us, until);
    }
}

bool repl_lease_wanted(struct repl *r)
{
    int64_t now = mono_us();
    int64_t half = (int64_t)r->o.election_timeout_ms * 500;

    /* Renew while reads use the lease, before they would have to wait. */
    return now - atomic_load(&r->lease_read_us) < 2 * half &&
           atomic_load(&r->lease_until_us) - now < half;
}

uint64_t repl_grant_lease(struct repl *r, uint64_t term, unsigned ms)
{
    uint64_t now_term;

    if (term != atomic_load(&r->term)) {
        return atomic_load(&r->term);
    }
    atomic_store(&r->vote_block_until_us, mono_us() + (int64_t)ms * 1000);
    /* A vote being handled right now may have missed the block: wait for
     * it, then answer with the term it left. */
    while (atomic_load(&r->votes_in_progress) != 0) {
        sched_yield();
    }
    now_term = atomic_load(&r->term);
    return now_term;
}

void repl_read(struct repl *r, repl_done_cb cb, void *arg)
{
    if (repl_read_local(r)) {
        /* The only voter: nobody else can lead. */
        cb(arg, cmd_result_new());
        return;
    }
    readidx_wait(r->readidx, cb, arg);
}

int repl_admin(struct repl *r, const struct repl_admin_req *req,
               repl_done_cb cb, void *arg)
{
    struct admin *a;

    pthread_mutex_lock(&r->mu);
    if (r->stopping || r->info.role != REPL_LEADER) {
        pthread_mutex_unlock(&r->mu);
        return BN_EUNAVAIL;
    }
    a = bn_calloc(1, sizeof(*a));
    a->req = *req;
    a->cb = cb;
    a->arg = arg;
    a->next = r->admin_head;
    r->admin_head = a;
    pthread_mutex_unlock(&r->mu);
    uv_async_send(&r->async);
    return 0;
}

bool repl_node_http(struct repl *r, uint64_t id, char out[CONFIG_ADDR_MAX + 1])
{
    bool ok;

    pthread_mutex_lock(&r->mu);
    ok = dir_http_locked(r, id, out);
    pthread_mutex_unlock(&r->mu);
    return ok;
}

void repl_read_stats(struct repl *r, uint64_t *rounds, uint64_t *reads)
{
    readidx_stats(r->readidx, rounds, reads);
}

int repl_role(struct repl *r, uint64_t *leader_id,
              char leader_http[CONFIG_ADDR_MAX + 1])
{
    int role;

    pthread_mutex_lock(&r->mu);
    role = r->info.role;
    if (leader_id != NULL) {
        *leader_id = r->info.leader_id;
    }
    if (leader_http != NULL) {
        if (role != REPL_LEADER) {
            memcpy(leader_http, r->info.leader_http, CONFIG_ADDR_MAX + 1);
        } else {
            leader_http[0] = '\0';
        }
    }
    pthread_mutex_unlock(&r->mu);
    return role;
}
