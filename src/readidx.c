/*
 * readidx: the confirmation rounds.
 *
 * SPDX-License-Identifier: MIT
 */
#include "readidx.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "httpc.h"
#include "log.h"
#include "mem.h"

#define PEERS_MAX 16

struct rwait {
    repl_done_cb cb;
    void *arg;
    struct rwait *next;
};

struct readidx {
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
};

static int64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

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

/* A peer's answer to GET /api/v1/cluster/term: {"term":N,...}. */
static bool enough(void *arg, size_t i, const struct httpc_result *res)
{
    struct round *rd = arg;
    unsigned long long term = 0;

    (void)i;
    if (res->status == 200 && res->body != NULL &&
        sscanf(res->body, "{\"term\":%llu", &term) == 1 && term == rd->term) {
        rd->acks++;
    } else {
        rd->nacks++;
    }
    /* Stop as soon as the outcome is known either way. */
    return rd->acks >= rd->need || rd->peers - rd->nacks < rd->need;
}

/* One round for the reads in @w. */
static void run_round(struct readidx *ri, struct rwait *w)
{
    char http[PEERS_MAX][CONFIG_ADDR_MAX + 1];
    char urls[PEERS_MAX][CONFIG_ADDR_MAX + 128];
    const char *u[PEERS_MAX];
    struct httpc_result res[PEERS_MAX];
    struct round rd = {0};
    int64_t t0;
    size_t n;
    size_t count = 0;

    for (struct rwait *x = w; x != NULL; x = x->next) {
        count++;
    }
    rd.term = repl_leading_term(ri->r);
    if (rd.term == 0) {
        answer(w, BN_EUNAVAIL, "this node is not the leader");
        return;
    }
    n = repl_voter_peers(ri->r, http, PEERS_MAX, &rd.need);
    t0 = mono_us();
    atomic_fetch_add(&ri->rounds, 1);
    if (rd.need > 0) {
        rd.peers = (unsigned)n;
        for (size_t i = 0; i < n; i++) {
            (void)snprintf(urls[i], sizeof(urls[i]),
                           "http://%.255s/api/v1/cluster/term?term=%llu"
                           "&lease_ms=%u",
                           http[i], (unsigned long long)rd.term,
                           repl_lease_ms(ri->r));
            u[i] = urls[i];
        }
        httpc_get_many(ri->http, u, n, ri->timeout_ms, enough, &rd, res);
        for (size_t i = 0; i < n; i++) {
            httpc_result_clear(&res[i]);
        }
    }
    if (rd.acks >= rd.need && repl_leading_term(ri->r) == rd.term) {
        repl_lease_extend(ri->r, rd.term, t0);
        atomic_fetch_add(&ri->reads, count);
        answer(w, 0, NULL);
    } else {
        answer(w, BN_EUNAVAIL,
               "this node could not confirm with a majority that it still "
               "leads");
    }
}

static void *readidx_main(void *arg)
{
    struct readidx *ri = arg;
    unsigned tick_ms = repl_lease_ms(ri->r) / 8 + 1;

    pthread_mutex_lock(&ri->mu);
    for (;;) {
        struct rwait *w;

        while (!ri->stop && ri->head == NULL) {
            struct timespec until;

            if (repl_lease_wanted(ri->r)) {
                /* Renew the lease while reads use it, ahead of time. */
                pthread_mutex_unlock(&ri->mu);
                run_round(ri, NULL);
                pthread_mutex_lock(&ri->mu);
                continue;
            }
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_nsec += (long)tick_ms * 1000000L;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            (void)pthread_cond_timedwait(&ri->cv, &ri->mu, &until);
        }
        w = ri->head;
        ri->head = NULL;
        if (ri->stop) {
            pthread_mutex_unlock(&ri->mu);
            answer(w, BN_EUNAVAIL, "shutting down");
            return NULL;
        }
        pthread_mutex_unlock(&ri->mu);
        run_round(ri, w);
        pthread_mutex_lock(&ri->mu);
    }
}

struct readidx *readidx_new(struct repl *r, unsigned timeout_ms)
{
    struct readidx *ri = bn_calloc(1, sizeof(*ri));

    ri->r = r;
    ri->timeout_ms = timeout_ms;
    pthread_condattr_t ca;

    ri->http = httpc_new();
    pthread_mutex_init(&ri->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ri->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&ri->thread, NULL, readidx_main, ri) != 0) {
        log_error("readidx", "cannot start the round thread");
        abort();
    }
    return ri;
}

void readidx_free(struct readidx *ri)
{
    if (ri == NULL) {
        return;
    }
    pthread_mutex_lock(&ri->mu);
    ri->stop = true;
    pthread_cond_signal(&ri->cv);
    pthread_mutex_unlock(&ri->mu);
    pthread_join(ri->thread, NULL);
    answer(ri->head, BN_EUNAVAIL, "shutting down");
    httpc_free(ri->http);
    pthread_mutex_destroy(&ri->mu);
    pthread_cond_destroy(&ri->cv);
    free(ri);
}

void readidx_wait(struct readidx *ri, repl_done_cb cb, void *arg)
{
    struct rwait *w = bn_calloc(1, sizeof(*w));

    w->cb = cb;
    w->arg = arg;
    pthread_mutex_lock(&ri->mu);
    w->next = ri->head;
    ri->head = w;
    pthread_cond_signal(&ri->cv);
    pthread_mutex_unlock(&ri->mu);
}

void readidx_stats(struct readidx *ri, uint64_t *rounds, uint64_t *reads)
{
    *rounds = atomic_load(&ri->rounds);
    *reads = atomic_load(&ri->reads);
}
