/*
 * repl_int.h: PRIVATE to the repl module (src/repl*.c and its unit tests);
 * nothing else includes it. The public contract is repl.h.
 *
 * The module's files, one job each:
 *   repl.c          the raft loop thread, the submit queue, batching, the
 *                   leadership barrier and the state other threads read
 *   repl_members.c  membership operations and the node directory
 *   repl_lease.c    linearizable reads: confirmation rounds, the read
 *                   lease and the raft_io hooks that keep its promise
 *   repl_tcp.c      the raft TCP transport with Nagle's algorithm off
 *   repl_chores.c   the leader's chores: TTL and Idempotency-Key expiry,
 *                   trash reclaim, the root mount
 *
 * Thread rules are those of repl.h: everything that touches the raft
 * object runs on the loop thread; fields under mu are shared.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_REPL_INT_H
#define BANYAN_SRC_REPL_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <raft.h>
#include <raft/uv.h>
#include <uv.h>

#include "cmd.h"
#include "config.h"
#include "repl.h"

#define REPL_TICK_MS 50 /* the loop's timer: chores, timeouts, refresh */

/* ---- the TCP transport (repl_tcp.c) ------------------------------------ */

/* libraft's TCP transport with TCP_NODELAY set on every connection it
 * accepts or makes. Give &transport to raft_uv_init(). Loop thread. */
struct repl_tcp {
    struct raft_uv_transport transport;
    /* private */
    int (*inner_listen)(struct raft_uv_transport *t, raft_uv_accept_cb cb);
    raft_uv_accept_cb inner_accept;
    int (*inner_connect)(struct raft_uv_transport *t,
                         struct raft_uv_connect *req, raft_id id,
                         const char *address, raft_uv_connect_cb cb);
};

/* Initialise @t over @loop (raft_uv_tcp_init) and wrap it. Returns 0 or a
 * RAFT_* code. */
int repl__tcp_init(struct repl_tcp *t, uv_loop_t *loop);

/* Release @t (raft_uv_tcp_close), after the raft_io that used it closed. */
void repl__tcp_close(struct repl_tcp *t);

/* ---- the read lease (repl_lease.c) -------------------------------------- */

/* Monotonic time in microseconds; the daemon's reads CLOCK_MONOTONIC, a
 * test's is the fixture's clock. */
typedef int64_t (*repl_clock_fn)(void *arg);

/* The leader's usable part of a lease of @ms granted by every follower of
 * a round, in percent: 10% covers clock rate drift between two nodes (the
 * README's assumption: at most 10%), and 20% is margin between the end of
 * the lease at the leader and the earliest election elsewhere. */
#define REPL_LEASE_USE_PCT 70

/* Both sides of the read lease, and the raft_io hooks of the follower's
 * side (README, "Reads"). Leader side: reads are served without a round
 * until until_us in lease_term; none while off (a leadership transfer).
 * Follower side: until vote_block_until_us this node neither votes for a
 * candidate (RequestVote received) nor stands itself (RequestVote sent),
 * except for a leadership transfer's candidate. All fields are atomics:
 * any thread. */
struct repl_lease {
    unsigned election_timeout_ms; /* this node's; bounds what it grants */
    repl_clock_fn clock;
    void *clock_arg;
    /* private */
    _Atomic uint64_t term; /* as persisted (the set_term hook) */
    _Atomic int64_t until_us;
    _Atomic uint64_t lease_term;
    _Atomic int64_t read_us; /* last read served under the lease */
    _Atomic int64_t span_us; /* of the last lease granted */
    _Atomic bool off;
    _Atomic int64_t suspended_us; /* rounds begun before do not count */
    _Atomic int64_t vote_block_until_us;
    _Atomic int votes_in_progress;   /* RequestVote being handled */
    _Atomic uint64_t votes_refused;  /* RequestVote received and dropped */
    _Atomic uint64_t stands_refused; /* RequestVote not sent */
    int (*inner_start)(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                       raft_io_recv_cb recv);
    raft_io_recv_cb inner_recv;
    int (*inner_send)(struct raft_io *io, struct raft_io_send *req,
                      const struct raft_message *message, raft_io_send_cb cb);
    int (*inner_set_term)(struct raft_io *io, raft_term term);
};

/* Initialise @l. A starting node keeps out of elections for one election
 * timeout: it may have granted a lease (at most that long) before it
 * stopped. */
void repl__lease_init(struct repl_lease *l, unsigned election_timeout_ms,
                      repl_clock_fn clock, void *clock_arg);

/* Wrap the raft_io of @raft (after raft_init, before raft_start) so that
 * its RequestVote messages obey the promise, and its persisted term is
 * tracked. Takes raft->data for itself (it points to @l afterwards): find
 * the struct around the raft with offsetof instead. Works over any raft_io
 * (libraft's uv one, the fixture's). */
void repl__lease_hook(struct repl_lease *l, struct raft *raft);

/* The persisted term (it moves before raft acts in a new term). */
uint64_t repl__lease_term(struct repl_lease *l);
void repl__lease_set_term(struct repl_lease *l, uint64_t term);

/* The lease a leader asks for: its election timeout. */
unsigned repl__lease_ask_ms(const struct repl_lease *l);

/* What this node grants when asked for @ms: at most its own election
 * timeout (so a restart's block covers any lease it granted). */
unsigned repl__lease_clamp_ms(const struct repl_lease *l, unsigned ms);

/* How long after a round began the leader may serve reads under a lease
 * of @granted_ms: REPL_LEASE_USE_PCT of it. */
int64_t repl__lease_span_us(unsigned granted_ms);

/* A round that began at @round_start_us confirmed this node in @term, and
 * each follower it counted granted at least @granted_ms (0: no lease). */
void repl__lease_extend(struct repl_lease *l, uint64_t term,
                        int64_t round_start_us, unsigned granted_ms);

/* Whether a read in @term at @now_us may be served under the lease (the
 * caller checks that this node is the ready leader of @term). Records the
 * read, for repl__lease_wanted(). */
bool repl__lease_holds(struct repl_lease *l, uint64_t term, int64_t now_us);

/* Whether reads use the lease and it is halfway through the last span. */
bool repl__lease_wanted(struct repl_lease *l, int64_t now_us);

/* A leadership transfer: no lease reads until repl__lease_resume(), and
 * then only under a round that began after the suspension. */
void repl__lease_suspend(struct repl_lease *l);
void repl__lease_resume(struct repl_lease *l);

/* Follower side: when @term is the current term, promise no vote for
 * another candidate (and no candidacy) for repl__lease_clamp_ms(@ms) from
 * now, into *granted_ms (0 when not granted). Returns the current term
 * after the promise: the leader counts the answer only if it equals its
 * term. Waits for a RequestVote being handled on the loop thread. */
uint64_t repl__lease_grant(struct repl_lease *l, uint64_t term, unsigned ms,
                           unsigned *granted_ms);

/* Whether this node's promise keeps it out of elections at @now_us. */
bool repl__lease_blocks_votes(struct repl_lease *l, int64_t now_us);

/* RequestVote messages dropped so far: received, and not sent. */
uint64_t repl__lease_votes_refused(struct repl_lease *l);
uint64_t repl__lease_stands_refused(struct repl_lease *l);

/* The confirmation rounds' thread (the former readidx). */
struct repl_reads;

/* Start the round thread for @r; a round gives up after @timeout_ms. */
struct repl_reads *repl__reads_new(struct repl *r, unsigned timeout_ms);

/* Fail the waiting reads, stop and join the thread, free @rd (NULL: no-op).
 */
void repl__reads_free(struct repl_reads *rd);

/* ---- the loop (repl.c) ------------------------------------------------ */

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
    struct repl_tcp tcp;
    struct raft_io io;
    struct raft raft; /* raft.data belongs to the lease hooks */
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
    struct repl_lease lease;
    struct repl_reads *reads;
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

/* A new result with rc BN_EUNAVAIL and @why. */
struct cmd_result *repl__unavailable(const char *why);

/* The HTTP addresses of the voters other than this node into @http (at
 * most @max), and in *need how many of them must confirm a round for a
 * majority with this node. Returns their count. Any thread. */
size_t repl__voter_peers(struct repl *r, char (*http)[CONFIG_ADDR_MAX + 1],
                         size_t max, unsigned *need);

/* ---- membership and the node directory (repl_members.c) -------------- */

/* The initial members, then the node table (loop thread, or startup). */
void repl__dir_reload(struct repl *r);

/* Node @id's HTTP address into @out; false when unknown. Under mu. */
bool repl__dir_http_locked(struct repl *r, uint64_t id,
                           char out[CONFIG_ADDR_MAX + 1]);

/* fsm hooks: a node's addresses changed (id 0: reload them all); fetch a
 * checkpoint of the store at @index or later from a peer. */
void repl__on_node(void *arg, uint64_t id, const char *http, const char *raft);
int repl__fetch_snapshot(void *arg, uint64_t index, uint64_t origin,
                         const char *origin_http, const char *path,
                         char errmsg[BN_ERRMSG_SIZE]);

/* A new leader records the addresses it knows in the node table. Loop. */
void repl__record_addresses(struct repl *r);

/* Start the queued membership operations (they fail when this node does
 * not lead or is closing). Loop thread. */
void repl__admin_drain(struct repl *r);

/* ---- the leader's chores (repl_chores.c) ------------------------------ */

/* This node became the ready leader: chores that follow a new term (the
 * keys earlier leaders left, the root mount). Loop thread. */
void repl__chores_lead(struct repl *r);

/* One tick of the chores at monotonic @now_ms. Loop thread. */
void repl__chores_tick(struct repl *r, uint64_t now_ms);

#endif /* BANYAN_SRC_REPL_INT_H */
