/*
 * repl: the raft loop thread, the submit queue, batching, delivery of
 * results to waiters, request timeouts and the leadership barrier. The
 * module's other files are listed in repl_int.h.
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

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <raft.h>
#include <raft/uv.h>
#include <uv.h>

#include "clock.h"
#include "datadir.h"
#include "fsm.h"
#include "invariant.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "repl_int.h"
#include "store.h"

/* Batches proposed and not yet applied, at most. While they are in flight,
 * new commands gather in the queue and go out as one larger batch when one
 * lands: group commit. In a cluster a batch waits for a round trip and a
 * follower's fsync as well, so more of them in flight keep the pipe full:
 * four gave 6% more replicated creates than two; one node is within noise
 * of either (README, Performance). */
#define INFLIGHT_MAX 4

static int64_t mono_clock(void *arg)
{
    (void)arg;
    return bn_clock_mono_us();
}

struct cmd_result *repl__unavailable(const char *why)
{
    struct cmd_result *res = cmd_result_new();

    res->rc = BN_EUNAVAIL;
    bn_errmsg_printf(res->errmsg, "%s", why);
    return res;
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
        b->waiters[i].cb(b->waiters[i].arg, repl__unavailable(why));
    }
}

static void flush_cb(uv_timer_t *t)
{
    struct repl *r = t->data;
    char errmsg[BN_ERRMSG_SIZE] = "";

    if (fsm_flush(r->fsm, true, errmsg) != 0) {
        /* The store can no longer follow the log. */
        bn_panic("repl: store commit: %s", errmsg);
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
    bn_assert(r->inflight > 0);
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
    b->deadline_ms = (uint64_t)bn_clock_mono_ms() + r->o.request_timeout_ms;
    b->req.data = b;
    for (size_t i = 0; i < n; i++, q = q->next) {
        cmds[i] = q->c;
        b->waiters[i].cb = q->cb;
        b->waiters[i].arg = q->arg;
    }
    hdr.origin = r->o.node_id;
    hdr.seq = b->seq;
    hdr.now_ms = (int64_t)(uint64_t)bn_clock_wall_ms();
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
                q->cb(q->arg, repl__unavailable(
                                  r->closing ? "shutting down"
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
        q->cb(q->arg,
              repl__unavailable("the write could not be proposed within the "
                                "request timeout"));
    }
    qitems_free(gone);
}

/* ---- state, barrier, timeouts (loop thread) ----------------------------- */

static void barrier_cb(struct raft_barrier *req, int status)
{
    struct repl *r = req->data;

    r->barrier_busy = false;
    if (status == 0) {
        r->ready_term = r->raft.current_term;
        repl__record_addresses(r);
        repl__chores_lead(r);
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
        (void)repl__dir_http_locked(r, info.servers[i].id,
                                    info.servers[i].http);
    }
    if (leader_id != 0) {
        (void)repl__dir_http_locked(r, leader_id, info.leader_http);
    }
    r->info = info;
    r->ready = state == RAFT_LEADER && r->ready_term == r->raft.current_term;
    pthread_mutex_unlock(&r->mu);
}

static void timer_cb(uv_timer_t *t)
{
    struct repl *r = t->data;
    uint64_t now = (uint64_t)bn_clock_mono_ms();
    struct batch *b = r->pending;

    repl__chores_tick(r, now);
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
    /* raft->data belongs to the lease hooks: find the repl around it. */
    struct repl *r =
        (struct repl *)(void *)((char *)raft - offsetof(struct repl, raft));

    raft_uv_close(&r->io);
    repl__tcp_close(&r->tcp);
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
        repl__admin_drain(r); /* fails them: closing */
        raft_close(&r->raft, on_raft_closed);
        return;
    }
    repl__admin_drain(r);
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
        inc = (uint32_t)(uint64_t)bn_clock_mono_ms();
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
    hooks.node = repl__on_node;
    hooks.fetch = repl__fetch_snapshot;
    hooks.fetch_path = r->fetch_path;
    hooks.arg = r;
    fsm_set_hooks(r->fsm, &hooks);
    fsm_set_mounts(r->fsm, opts->mounts);
    repl__dir_reload(r);
    uv_loop_init(&r->loop);
    rv = repl__tcp_init(&r->tcp, &r->loop);
    if (rv != 0) {
        bn_errmsg_printf(errmsg, "raft: transport: %s", raft_strerror(rv));
        goto err_raft;
    }
    rv = raft_uv_init(&r->io, &r->loop, r->dir, &r->tcp.transport);
    if (rv != 0) {
        bn_errmsg_printf(errmsg, "raft: io %s: %s", r->dir, raft_strerror(rv));
        goto err_raft;
    }
    /* Before a crash this node may have promised a lease: keep it. */
    repl__lease_init(&r->lease, opts->election_timeout_ms, mono_clock, NULL);
    rv = raft_init(&r->raft, &r->io, fsm_raft(r->fsm), opts->node_id,
                   r->address);
    if (rv != 0) {
        bn_errmsg_printf(errmsg, "raft: init: %s", raft_errmsg(&r->raft));
        goto err_raft;
    }
    repl__lease_hook(&r->lease, &r->raft);
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
    repl__lease_set_term(&r->lease, (uint64_t)r->raft.current_term);
    r->reads = repl__reads_new(r, opts->election_timeout_ms);
    uv_async_init(&r->loop, &r->async, async_cb);
    r->async.data = r;
    uv_timer_init(&r->loop, &r->timer);
    r->timer.data = r;
    uv_timer_start(&r->timer, timer_cb, REPL_TICK_MS, REPL_TICK_MS);
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
    repl__reads_free(r->reads);
    r->reads = NULL;
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    pthread_mutex_unlock(&r->mu);
    uv_async_send(&r->async);
    if (r->thread_started) {
        pthread_join(r->thread, NULL);
    }
    /* raft_close failed every pending request; nothing is left. */
    b = r->pending;
    bn_assert(b == NULL);
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
    q->deadline_ms = (uint64_t)bn_clock_mono_ms() + r->o.request_timeout_ms;
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
    return repl__lease_term(&r->lease);
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
    return term != 0 && term == repl__lease_term(&r->lease) ? term : 0;
}

size_t repl__voter_peers(struct repl *r, char (*http)[CONFIG_ADDR_MAX + 1],
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
