/*
 * repl_lease: linearizable reads. Confirmation rounds (the ReadIndex idea
 * of the Raft dissertation, §6.4, over HTTP), the read lease they extend,
 * and the follower's side of the lease: hooks on raft_io that keep a node
 * that granted a lease out of elections until it runs out.
 *
 * A round asks every other voter GET /api/v1/cluster/term?term=T&lease_ms=M.
 * When a majority (this node included) is still in term T, no newer leader
 * was elected before the round began, so every read that arrived before
 * the round began may be served (every acknowledged write of this term was
 * applied here before it was acknowledged; every earlier one before this
 * node became ready: the leadership barrier of repl.c). Reads that arrive
 * while a round is out wait for the next one: one round serves them all.
 *
 * Each follower that answers in term T also grants a lease: for
 * repl__lease_clamp_ms(M) from when it answered, it neither votes for a
 * candidate nor stands itself (the hooks drop RequestVote both ways, except
 * a leadership transfer's). A new leader needs a majority of votes, which
 * meets the round's majority in a node that promised (or in this node,
 * whose vote would move its term first), so no other leader can be elected
 * before the promises run out. The leader serves reads without a round
 * until REPL_LEASE_USE_PCT of the smallest grant has passed since the round
 * began (a grant is made after that). The clock assumption: monotonic
 * clocks whose rates differ by at most 10% between nodes (README, Reads).
 *
 * The decisions are functions of the lease state and a time given by the
 * caller, so a test drives them with raft's fixture and its clock
 * (tests/unit/test_lease.c). The rounds run on a thread of this file with
 * one HTTP client whose connections stay open between rounds.
 *
 * SPDX-License-Identifier: MIT
 */
#include "repl_int.h"

#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "httpc.h"
#include "invariant.h"
#include "mem.h"

#define PEERS_MAX 16

/* ---- the lease state ---------------------------------------------------- */

void repl__lease_init(struct repl_lease *l, unsigned election_timeout_ms,
                      repl_clock_fn clock, void *clock_arg)
{
    memset(l, 0, sizeof(*l));
    l->election_timeout_ms = election_timeout_ms;
    l->clock = clock;
    l->clock_arg = clock_arg;
    /* Before it stopped this node may have granted a lease: keep it. */
    atomic_store(&l->vote_block_until_us,
                 clock(clock_arg) + (int64_t)election_timeout_ms * 1000);
}

uint64_t repl__lease_term(struct repl_lease *l)
{
    return atomic_load(&l->term);
}

void repl__lease_set_term(struct repl_lease *l, uint64_t term)
{
    atomic_store(&l->term, term);
}

unsigned repl__lease_ask_ms(const struct repl_lease *l)
{
    return l->election_timeout_ms;
}

unsigned repl__lease_clamp_ms(const struct repl_lease *l, unsigned ms)
{
    return ms < l->election_timeout_ms ? ms : l->election_timeout_ms;
}

int64_t repl__lease_span_us(unsigned granted_ms)
{
    return (int64_t)granted_ms * 10 * REPL_LEASE_USE_PCT;
}

void repl__lease_extend(struct repl_lease *l, uint64_t term,
                        int64_t round_start_us, unsigned granted_ms)
{
    int64_t until = round_start_us + repl__lease_span_us(granted_ms);

    if (granted_ms == 0 || atomic_load(&l->off) ||
        term != atomic_load(&l->term) ||
        round_start_us <= atomic_load(&l->suspended_us)) {
        return;
    }
    if (atomic_load(&l->lease_term) != term) {
        atomic_store(&l->until_us, 0);
        atomic_store(&l->lease_term, term);
    }
    atomic_store(&l->span_us, repl__lease_span_us(granted_ms));
    if (until > atomic_load(&l->until_us)) {
        atomic_store(&l->until_us, until);
    }
}

bool repl__lease_holds(struct repl_lease *l, uint64_t term, int64_t now_us)
{
    if (term == 0 || atomic_load(&l->off) || term != atomic_load(&l->term) ||
        atomic_load(&l->lease_term) != term ||
        now_us >= atomic_load(&l->until_us)) {
        return false;
    }
    atomic_store(&l->read_us, now_us);
    return true; /* nobody else can lead until the lease ends */
}

bool repl__lease_wanted(struct repl_lease *l, int64_t now_us)
{
    int64_t span = atomic_load(&l->span_us);

    /* Renew while reads use the lease, before they would have to wait. */
    return !atomic_load(&l->off) &&
           now_us - atomic_load(&l->read_us) < 2 * span &&
           atomic_load(&l->until_us) - now_us < span / 2;
}

void repl__lease_suspend(struct repl_lease *l)
{
    atomic_store(&l->off, true);
    atomic_store(&l->suspended_us, l->clock(l->clock_arg));
    atomic_store(&l->until_us, 0);
}

void repl__lease_resume(struct repl_lease *l)
{
    /* A round that was out during the transfer may have extended the
     * lease after the suspension: drop it. */
    atomic_store(&l->until_us, 0);
    atomic_store(&l->off, false);
}

uint64_t repl__lease_grant(struct repl_lease *l, uint64_t term, unsigned ms,
                           unsigned *granted_ms)
{
    unsigned grant = repl__lease_clamp_ms(l, ms);
    int64_t until;

    *granted_ms = 0;
    if (term == 0 || term != atomic_load(&l->term) || grant == 0) {
        return atomic_load(&l->term);
    }
    until = l->clock(l->clock_arg) + (int64_t)grant * 1000;
    if (until > atomic_load(&l->vote_block_until_us)) {
        atomic_store(&l->vote_block_until_us, until);
    }
    /* A vote being handled right now may have missed the block: wait for
     * it, then answer with the term it left (a granted vote moves the term
     * before raft answers it). */
    while (atomic_load(&l->votes_in_progress) != 0) {
        sched_yield();
    }
    if (atomic_load(&l->term) == term) {
        *granted_ms = grant;
    }
    return atomic_load(&l->term);
}

bool repl__lease_blocks_votes(struct repl_lease *l, int64_t now_us)
{
    return now_us < atomic_load(&l->vote_block_until_us);
}

uint64_t repl__lease_votes_refused(struct repl_lease *l)
{
    return atomic_load(&l->votes_refused);
}

uint64_t repl__lease_stands_refused(struct repl_lease *l)
{
    return atomic_load(&l->stands_refused);
}

/* ---- the raft_io hooks (loop thread) ------------------------------------ */

static struct repl_lease *lease_of_io(struct raft_io *io)
{
    struct raft *raft = io->data; /* raft_init sets it */

    return raft->data;
}

/* raft_io's receive callback, wrapped: while this node has promised a
 * leader a read lease, it does not take part in another election (a
 * dropped RequestVote is a lost message to raft). A transfer's candidate
 * (disrupt_leader) is let through: the leader that asked for the transfer
 * stopped using its lease first. */
static void hook_recv(struct raft_io *io, struct raft_message *m)
{
    struct repl_lease *l = lease_of_io(io);

    if (m->type != RAFT_IO_REQUEST_VOTE) {
        l->inner_recv(io, m);
        return;
    }
    atomic_fetch_add(&l->votes_in_progress, 1);
    if (!m->request_vote.disrupt_leader &&
        repl__lease_blocks_votes(l, l->clock(l->clock_arg))) {
        atomic_fetch_add(&l->votes_refused, 1);
    } else {
        l->inner_recv(io, m);
    }
    atomic_fetch_sub(&l->votes_in_progress, 1);
}

static int hook_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                      raft_io_recv_cb recv)
{
    struct repl_lease *l = lease_of_io(io);

    l->inner_recv = recv;
    return l->inner_start(io, msecs, tick, hook_recv);
}

/* raft_io's send, wrapped: nor does it stand for election (pre-vote or
 * vote) while it keeps a promise. Raft takes a failed send of a
 * RequestVote as a lost message and tries again at its next timeout. */
static int hook_send(struct raft_io *io, struct raft_io_send *req,
                     const struct raft_message *m, raft_io_send_cb cb)
{
    struct repl_lease *l = lease_of_io(io);

    if (m->type == RAFT_IO_REQUEST_VOTE && !m->request_vote.disrupt_leader &&
        repl__lease_blocks_votes(l, l->clock(l->clock_arg))) {
        atomic_fetch_add(&l->stands_refused, 1);
        return RAFT_NOCONNECTION;
    }
    return l->inner_send(io, req, m, cb);
}

/* raft_io's set_term, wrapped: the term other threads read changes as
 * soon as the new one is persisted, before raft acts in it. */
static int hook_set_term(struct raft_io *io, raft_term term)
{
    struct repl_lease *l = lease_of_io(io);
    int rv = l->inner_set_term(io, term);

    if (rv == 0) {
        atomic_store(&l->term, (uint64_t)term);
    }
    return rv;
}

void repl__lease_hook(struct repl_lease *l, struct raft *raft)
{
    struct raft_io *io = raft->io;

    raft->data = l;
    l->inner_start = io->start;
    io->start = hook_start;
    l->inner_send = io->send;
    io->send = hook_send;
    l->inner_set_term = io->set_term;
    io->set_term = hook_set_term;
}

/* ---- confirmation rounds (their thread) ---------------------------------- */

struct rwait {
    repl_done_cb cb;
    void *arg;
    struct rwait *next;
};

struct repl_reads {
    struct repl *r;
    unsigned timeout_ms;
    struct httpc *http;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct rwait *head; /* under mu; newest first */
    bool stop;          /* under mu */
    _Atomic uint64_t rounds;
    _Atomic uint64_t reads;
};

struct round {
    uint64_t term;
    unsigned need; /* acks wanted from peers */
    unsigned acks;
    unsigned nacks; /* answers that cannot become acks */
    unsigned peers;
    unsigned lease_ms; /* the smallest grant among the acks */
};

static void answer(struct rwait *w, int rc, const char *why)
{
    while (w != NULL) {
        struct rwait *next = w->next;
        struct cmd_result *res = cmd_result_new();

        res->rc = rc;
        if (why != NULL) {
            bn_errmsg_printf(res->errmsg, "%s", why);
        }
        w->cb(w->arg, res);
        free(w);
        w = next;
    }
}

/* The lease a peer granted in its answer: "lease_ms":N (0 when absent). */
static unsigned granted_of(const char *body)
{
    const char *p = strstr(body, "\"lease_ms\":");
    char *end = NULL;
    unsigned long long v;

    if (p == NULL) {
        return 0;
    }
    p += strlen("\"lease_ms\":");
    v = strtoull(p, &end, 10);
    if (end == p || v > UINT32_MAX) {
        return 0;
    }
    return (unsigned)v;
}

/* A peer's answer to GET /api/v1/cluster/term: {"term":N,...}. */
static bool enough(void *arg, size_t i, const struct httpc_result *res)
{
    struct round *rd = arg;
    unsigned long long term = 0;

    (void)i;
    if (res->status == 200 && res->body != NULL &&
        sscanf(res->body, "{\"term\":%llu", &term) == 1 && term == rd->term) {
        unsigned g = granted_of(res->body);

        if (rd->acks == 0 || g < rd->lease_ms) {
            rd->lease_ms = g;
        }
        rd->acks++;
    } else {
        rd->nacks++;
    }
    /* Stop as soon as the outcome is known either way. */
    return rd->acks >= rd->need || rd->peers - rd->nacks < rd->need;
}

/* One round for the reads in @w. */
static void run_round(struct repl_reads *rd, struct rwait *w)
{
    char http[PEERS_MAX][CONFIG_ADDR_MAX + 1];
    char urls[PEERS_MAX][CONFIG_ADDR_MAX + 128];
    const char *u[PEERS_MAX];
    struct httpc_result res[PEERS_MAX];
    struct round ro = {0};
    struct repl *r = rd->r;
    int64_t t0;
    size_t n;
    size_t count = 0;

    for (struct rwait *x = w; x != NULL; x = x->next) {
        count++;
    }
    ro.term = repl_leading_term(r);
    if (ro.term == 0) {
        answer(w, BN_EUNAVAIL, "this node is not the leader");
        return;
    }
    n = repl__voter_peers(r, http, PEERS_MAX, &ro.need);
    t0 = bn_clock_mono_us();
    atomic_fetch_add(&rd->rounds, 1);
    if (ro.need > 0) {
        ro.peers = (unsigned)n;
        for (size_t i = 0; i < n; i++) {
            (void)snprintf(urls[i], sizeof(urls[i]),
                           "http://%.255s/api/v1/cluster/term?term=%llu"
                           "&lease_ms=%u",
                           http[i], (unsigned long long)ro.term,
                           repl__lease_ask_ms(&r->lease));
            u[i] = urls[i];
        }
        httpc_get_many(rd->http, u, n, rd->timeout_ms, enough, &ro, res);
        for (size_t i = 0; i < n; i++) {
            httpc_result_clear(&res[i]);
        }
    }
    if (ro.acks >= ro.need && repl_leading_term(r) == ro.term) {
        if (ro.need > 0) {
            repl__lease_extend(&r->lease, ro.term, t0, ro.lease_ms);
        }
        atomic_fetch_add(&rd->reads, count);
        answer(w, 0, NULL);
    } else {
        answer(w, BN_EUNAVAIL,
               "this node could not confirm with a majority that it still "
               "leads");
    }
}

static void *reads_main(void *arg)
{
    struct repl_reads *rd = arg;
    unsigned tick_ms = repl__lease_ask_ms(&rd->r->lease) / 8 + 1;

    pthread_mutex_lock(&rd->mu);
    for (;;) {
        struct rwait *w;

        while (!rd->stop && rd->head == NULL) {
            struct timespec until;
            int64_t wake_us;

            if (repl__lease_wanted(&rd->r->lease, bn_clock_mono_us())) {
                /* Renew the lease while reads use it, ahead of time. */
                pthread_mutex_unlock(&rd->mu);
                run_round(rd, NULL);
                pthread_mutex_lock(&rd->mu);
                continue;
            }
            /* The condition variable waits on the monotonic clock. */
            wake_us = bn_clock_mono_us() + (int64_t)tick_ms * 1000;
            until.tv_sec = (time_t)(wake_us / 1000000);
            until.tv_nsec = (long)(wake_us % 1000000) * 1000L;
            (void)pthread_cond_timedwait(&rd->cv, &rd->mu, &until);
        }
        w = rd->head;
        rd->head = NULL;
        if (rd->stop) {
            pthread_mutex_unlock(&rd->mu);
            answer(w, BN_EUNAVAIL, "shutting down");
            return NULL;
        }
        pthread_mutex_unlock(&rd->mu);
        run_round(rd, w);
        pthread_mutex_lock(&rd->mu);
    }
}

struct repl_reads *repl__reads_new(struct repl *r, unsigned timeout_ms)
{
    struct repl_reads *rd = bn_calloc(1, sizeof(*rd));
    pthread_condattr_t ca;

    rd->r = r;
    rd->timeout_ms = timeout_ms;
    rd->http = httpc_new();
    pthread_mutex_init(&rd->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&rd->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&rd->thread, NULL, reads_main, rd) != 0) {
        bn_panic("repl: cannot start the confirmation round thread");
    }
    return rd;
}

void repl__reads_free(struct repl_reads *rd)
{
    if (rd == NULL) {
        return;
    }
    pthread_mutex_lock(&rd->mu);
    rd->stop = true;
    pthread_cond_signal(&rd->cv);
    pthread_mutex_unlock(&rd->mu);
    pthread_join(rd->thread, NULL);
    answer(rd->head, BN_EUNAVAIL, "shutting down");
    httpc_free(rd->http);
    pthread_mutex_destroy(&rd->mu);
    pthread_cond_destroy(&rd->cv);
    free(rd);
}

/* ---- public ------------------------------------------------------------- */

bool repl_read_local(struct repl *r)
{
    bool alone = false;

    pthread_mutex_lock(&r->mu);
    if (r->ready && !r->stopping && r->info.role == REPL_LEADER &&
        r->info.term == repl__lease_term(&r->lease)) {
        unsigned voters = 0;
        bool self = false;

        for (size_t i = 0; i < r->info.n_servers; i++) {
            if (r->info.servers[i].role == REPL_VOTER) {
                voters++;
                self = self || r->info.servers[i].id == r->o.node_id;
            }
        }
        alone = self && voters == 1;
        if (!alone) {
            alone =
                repl__lease_holds(&r->lease, r->info.term, bn_clock_mono_us());
        }
    }
    pthread_mutex_unlock(&r->mu);
    return alone;
}

uint64_t repl_grant_lease(struct repl *r, uint64_t term, unsigned ms,
                          unsigned *granted_ms)
{
    return repl__lease_grant(&r->lease, term, ms, granted_ms);
}

void repl_read(struct repl *r, repl_done_cb cb, void *arg)
{
    struct repl_reads *rd = r->reads;
    struct rwait *w;

    if (repl_read_local(r)) {
        /* The only voter, or under the lease: nobody else can lead. */
        cb(arg, cmd_result_new());
        return;
    }
    w = bn_calloc(1, sizeof(*w));
    w->cb = cb;
    w->arg = arg;
    pthread_mutex_lock(&rd->mu);
    w->next = rd->head;
    rd->head = w;
    pthread_cond_signal(&rd->cv);
    pthread_mutex_unlock(&rd->mu);
}

void repl_read_stats(struct repl *r, uint64_t *rounds, uint64_t *reads)
{
    *rounds = atomic_load(&r->reads->rounds);
    *reads = atomic_load(&r->reads->reads);
}
