/*
 * test_lease: the read lease and its promise, on canonical/raft's fixture
 * (an in-memory cluster with a clock and a network the test controls).
 *
 * The lease code of src/repl_lease.c runs here as it does in the daemon:
 * its decisions are functions of the lease state and a clock (here the
 * fixture's), and its hooks wrap each fixture server's raft_io. Only the
 * HTTP round is played by the test: the leader asks each follower for a
 * lease (repl__lease_grant on the follower's state), then extends its own
 * from the round's start (repl__lease_extend), as the round thread does.
 *
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <raft.h>
#include <raft/fixture.h>

#include "repl_int.h"

#define N     3
#define ET_MS 1000 /* the fixture's election timeout */

struct fx {
    struct raft_fixture f;
    struct raft_fsm fsms[N];
    unsigned applied[N];
    struct repl_lease lease[N];
    bool hooked;
};

static int64_t fixture_clock(void *arg)
{
    struct raft_fixture *f = arg;

    return (int64_t)raft_fixture_time(f) * 1000;
}

static int64_t now_us(struct fx *x)
{
    return fixture_clock(&x->f);
}

/* ---- a counting state machine -------------------------------------------- */

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf,
                     void **result)
{
    unsigned *n = fsm->data;

    (void)buf;
    (*n)++;
    *result = NULL;
    return 0;
}

static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[],
                        unsigned *n_bufs)
{
    (void)fsm;
    *bufs = raft_malloc(sizeof(**bufs));
    (*bufs)[0].len = 8;
    (*bufs)[0].base = raft_calloc(1, 8);
    *n_bufs = 1;
    return 0;
}

static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    (void)fsm;
    raft_free(buf->base);
    return 0;
}

/* ---- set-up ---------------------------------------------------------------
 */

static struct fx *fx_new(bool hooked)
{
    struct fx *x = calloc(1, sizeof(*x));
    struct raft_configuration conf;

    assert_non_null(x);
    x->hooked = hooked;
    assert_int_equal(raft_fixture_initialize(&x->f), 0);
    for (unsigned i = 0; i < N; i++) {
        x->fsms[i].version = 1;
        x->fsms[i].data = &x->applied[i];
        x->fsms[i].apply = fsm_apply;
        x->fsms[i].snapshot = fsm_snapshot;
        x->fsms[i].restore = fsm_restore;
        assert_int_equal(raft_fixture_grow(&x->f, &x->fsms[i]), 0);
    }
    for (unsigned i = 0; i < N; i++) {
        struct raft *raft = raft_fixture_get(&x->f, i);

        raft_set_pre_vote(raft, true); /* as repl.c does */
        repl__lease_init(&x->lease[i], ET_MS, fixture_clock, &x->f);
        if (hooked) {
            repl__lease_hook(&x->lease[i], raft);
        }
    }
    assert_int_equal(raft_fixture_configuration(&x->f, N, &conf), 0);
    assert_int_equal(raft_fixture_bootstrap(&x->f, &conf), 0);
    raft_configuration_close(&conf);
    assert_int_equal(raft_fixture_start(&x->f), 0);
    for (unsigned i = 0; i < N; i++) {
        repl__lease_set_term(&x->lease[i],
                             raft_fixture_get(&x->f, i)->current_term);
    }
    return x;
}

static void fx_free(struct fx *x)
{
    raft_fixture_close(&x->f);
    free(x);
}

/* Without the hooks nobody tracks the persisted term: copy raft's. */
static void sync_terms(struct fx *x)
{
    if (!x->hooked) {
        for (unsigned i = 0; i < N; i++) {
            repl__lease_set_term(&x->lease[i],
                                 raft_fixture_get(&x->f, i)->current_term);
        }
    }
}

static void apply_cb(struct raft_apply *req, int status, void *result)
{
    int *done = req->data;

    (void)result;
    *done = status == 0 ? 1 : -1;
}

/* Propose one entry on server @i and step until every connected server
 * has applied it; returns its index. */
static raft_index commit_on(struct fx *x, unsigned i, bool all)
{
    struct raft *raft = raft_fixture_get(&x->f, i);
    struct raft_apply req;
    struct raft_buffer buf;
    raft_index index;
    int done = 0;

    buf.len = 8;
    buf.base = raft_calloc(1, 8);
    req.data = &done;
    assert_int_equal(raft_apply(raft, &req, &buf, 1, apply_cb), 0);
    index = raft_last_index(raft);
    assert_true(
        raft_fixture_step_until_applied(&x->f, all ? N : i, index, 5 * ET_MS));
    assert_int_equal(done, 1);
    return index;
}

/* Cut server @i's raft traffic both ways (its HTTP would still work).
 * The others' election timers are set back to the fixture's defaults
 * (raft_fixture_elect raised them): 1000 ms + 100 ms x index. */
static void cut(struct fx *x, unsigned i)
{
    for (unsigned j = 0; j < N; j++) {
        struct raft *raft = raft_fixture_get(&x->f, j);

        raft_fixture_set_randomized_election_timeout(&x->f, j, ET_MS + 100 * j);
        if (j != i && raft_state(raft) == RAFT_FOLLOWER) {
            raft->follower_state.randomized_election_timeout = ET_MS + 100 * j;
        }
    }
    for (unsigned j = 0; j < N; j++) {
        if (j != i) {
            raft_fixture_disconnect(&x->f, i, j);
            raft_fixture_disconnect(&x->f, j, i);
        }
    }
}

/* The leader @l's confirmation round as the round thread runs it: every
 * follower is asked GET /cluster/term?term=T&lease_ms=ask; the smallest
 * grant among the answers in T extends the leader's lease from the
 * round's start. Returns the lease's end (us), 0 when nobody granted. */
static int64_t round_on(struct fx *x, unsigned l)
{
    uint64_t term = raft_fixture_get(&x->f, l)->current_term;
    int64_t t0 = now_us(x);
    unsigned min = 0;
    unsigned acks = 0;

    sync_terms(x);
    for (unsigned i = 0; i < N; i++) {
        unsigned g = 0;

        if (i == l) {
            continue;
        }
        if (repl__lease_grant(&x->lease[i], term,
                              repl__lease_ask_ms(&x->lease[l]), &g) == term &&
            g > 0) {
            min = acks == 0 || g < min ? g : min;
            acks++;
        }
    }
    if (acks < N / 2) {
        return 0;
    }
    repl__lease_extend(&x->lease[l], term, t0, min);
    return t0 + repl__lease_span_us(min);
}

/* The server other than @old that leads in a term after @term, or N. */
static unsigned new_leader(struct fx *x, unsigned old, uint64_t term)
{
    for (unsigned i = 0; i < N; i++) {
        struct raft *raft = raft_fixture_get(&x->f, i);

        if (i != old && raft_state(raft) == RAFT_LEADER &&
            raft->current_term > term) {
            return i;
        }
    }
    return N;
}

/* ---- the scenario of the issue --------------------------------------------
 */

struct outcome {
    int64_t lease_end_us;
    int64_t elected_us;   /* when a new leader first existed */
    int64_t committed_us; /* when its write was applied */
    bool stale_read;      /* old leader's lease held while another led */
};

/* Elect server 0 and commit a write; cut server 0's raft traffic; 900 ms
 * later (before the followers time out), a round over HTTP confirms it
 * and gives it a lease; then step until another server leads and has
 * committed a write, checking after every step whether the old leader's
 * lease would still serve a read. Then 3 s more, with the same check. */
static struct outcome partitioned_leader(struct fx *x)
{
    struct outcome o = {0};
    uint64_t term;
    unsigned m = N;
    int64_t stop_us;

    raft_fixture_elect(&x->f, 0);
    (void)commit_on(x, 0, true);
    term = raft_fixture_get(&x->f, 0)->current_term;
    cut(x, 0);
    raft_fixture_step_until_elapsed(&x->f, 900);
    assert_int_equal(new_leader(x, 0, term), N);
    o.lease_end_us = round_on(x, 0);
    assert_true(o.lease_end_us > now_us(x));
    sync_terms(x);
    assert_true(repl__lease_holds(&x->lease[0], term, now_us(x)));

    stop_us = now_us(x) + 20 * ET_MS * 1000LL;
    while (m == N && now_us(x) < stop_us) {
        raft_fixture_step(&x->f);
        sync_terms(x);
        m = new_leader(x, 0, term);
        if (m != N && repl__lease_holds(&x->lease[0], term, now_us(x))) {
            o.stale_read = true;
        }
    }
    assert_int_not_equal(m, N);
    o.elected_us = now_us(x);
    {
        struct raft *raft = raft_fixture_get(&x->f, m);
        struct raft_apply req;
        struct raft_buffer buf;
        int done = 0;

        buf.len = 8;
        buf.base = raft_calloc(1, 8);
        req.data = &done;
        assert_int_equal(raft_apply(raft, &req, &buf, 1, apply_cb), 0);
        while (done == 0 && now_us(x) < stop_us) {
            raft_fixture_step(&x->f);
            sync_terms(x);
            if (repl__lease_holds(&x->lease[0], term, now_us(x))) {
                o.stale_read = true;
            }
        }
        assert_int_equal(done, 1);
    }
    o.committed_us = now_us(x);
    /* From then on. */
    stop_us = now_us(x) + 3 * ET_MS * 1000LL;
    while (now_us(x) < stop_us) {
        raft_fixture_step(&x->f);
        sync_terms(x);
        if (repl__lease_holds(&x->lease[0], term, now_us(x))) {
            o.stale_read = true;
        }
    }
    return o;
}

/* With the promise kept by the hooks, the followers elect nobody until
 * the lease they granted has run out, so the partitioned old leader never
 * holds a lease while another leads: it refuses lease reads from the new
 * leader's election on, and after its write commits. */
static void test_lease_partitioned_leader_refuses_reads(void **state)
{
    struct fx *x = fx_new(true);
    struct outcome o;

    (void)state;
    o = partitioned_leader(x);
    assert_false(o.stale_read);
    /* The margin: the lease ended well before anyone else could lead. */
    assert_true(o.elected_us >= o.lease_end_us + 200 * 1000);
    assert_true(o.committed_us > o.elected_us);
    /* The followers did try to elect during their promise. */
    assert_true(repl__lease_votes_refused(&x->lease[1]) +
                    repl__lease_votes_refused(&x->lease[2]) +
                    repl__lease_stands_refused(&x->lease[1]) +
                    repl__lease_stands_refused(&x->lease[2]) >
                0);
    fx_free(x);
}

/* The control: the same run without the hooks (today's daemon before the
 * fix: the grant is recorded and nobody keeps it) elects a new leader while
 * the old one still holds its lease, so a read it serves could miss the
 * new leader's write. This is what the test above rules out. */
static void test_lease_without_promise_reads_stale(void **state)
{
    struct fx *x = fx_new(false);
    struct outcome o;

    (void)state;
    o = partitioned_leader(x);
    assert_true(o.stale_read);
    assert_true(o.elected_us < o.lease_end_us);
    fx_free(x);
}

/* A follower that granted a lease takes part in no election (neither
 * votes nor stands) until the lease runs out; then one is elected. */
static void test_lease_follower_refuses_votes_until_it_ends(void **state)
{
    struct fx *x = fx_new(true);
    uint64_t term;
    int64_t granted_at;
    int64_t block_end;
    int64_t first_bump = 0;
    int64_t stop_us;
    unsigned g1 = 0;
    unsigned g2 = 0;

    (void)state;
    raft_fixture_elect(&x->f, 0);
    (void)commit_on(x, 0, true);
    term = raft_fixture_get(&x->f, 0)->current_term;
    cut(x, 0);
    raft_fixture_step_until_elapsed(&x->f, 900);
    granted_at = now_us(x);
    assert_int_equal(repl__lease_grant(&x->lease[1], term, ET_MS, &g1), term);
    assert_int_equal(repl__lease_grant(&x->lease[2], term, 5 * ET_MS, &g2),
                     term);
    assert_int_equal(g1, ET_MS);
    assert_int_equal(g2, ET_MS); /* clamped to its election timeout */
    block_end = granted_at + (int64_t)ET_MS * 1000;
    stop_us = granted_at + 20 * ET_MS * 1000LL;
    while (new_leader(x, 0, term) == N && now_us(x) < stop_us) {
        raft_fixture_step(&x->f);
        for (unsigned i = 1; i < N; i++) {
            if (first_bump == 0 &&
                raft_fixture_get(&x->f, i)->current_term > term) {
                first_bump = now_us(x);
            }
        }
        if (now_us(x) < block_end) {
            assert_true(repl__lease_blocks_votes(&x->lease[1], now_us(x)));
            for (unsigned i = 1; i < N; i++) {
                /* No vote in a new term: its term would move first. */
                assert_int_equal(raft_fixture_get(&x->f, i)->current_term,
                                 term);
            }
        }
    }
    assert_int_not_equal(new_leader(x, 0, term), N);
    assert_true(first_bump >= block_end);
    assert_true(repl__lease_stands_refused(&x->lease[1]) +
                    repl__lease_stands_refused(&x->lease[2]) >
                0);
    fx_free(x);
}

static void transfer_cb(struct raft_transfer *req)
{
    int *done = req->data;

    *done = 1;
}

/* A leadership transfer's candidate is let through a promise: the leader
 * that asked for the transfer stopped its lease first. */
static void test_lease_transfer_passes_the_promise(void **state)
{
    struct fx *x = fx_new(true);
    struct raft_transfer req;
    uint64_t term;
    int64_t block_end;
    int done = 0;

    (void)state;
    raft_fixture_elect(&x->f, 0);
    (void)commit_on(x, 0, true);
    term = raft_fixture_get(&x->f, 0)->current_term;
    block_end = now_us(x) + (int64_t)ET_MS * 1000;
    assert_true(round_on(x, 0) > 0);
    repl__lease_suspend(&x->lease[0]);
    assert_false(repl__lease_holds(&x->lease[0], term, now_us(x)));
    req.data = &done;
    assert_int_equal(
        raft_transfer(raft_fixture_get(&x->f, 0), &req, 2, transfer_cb), 0);
    while (new_leader(x, 0, term) == N && now_us(x) < block_end) {
        raft_fixture_step(&x->f);
    }
    assert_int_equal(new_leader(x, 0, term), 1);
    assert_true(now_us(x) < block_end);
    raft_fixture_step_until_elapsed(&x->f, 200);
    assert_int_equal(done, 1);
    fx_free(x);
}

/* ---- the decisions, one row a case ----------------------------------------
 */

static int64_t fake_now_us;

static int64_t fake_clock(void *arg)
{
    (void)arg;
    return fake_now_us;
}

/* The grant is clamped to the node's election timeout; the leader uses
 * REPL_LEASE_USE_PCT of it. */
static void test_lease_clamp_and_span(void **state)
{
    static const struct {
        unsigned et_ms, ask_ms, granted_ms;
    } rows[] = {
        {500, 500, 500},        {500, 300, 300},
        {500, 5000, 500},       {500, 0, 0},
        {1000, 1500, 1000},     {1000, 999, 999},
        {100, UINT32_MAX, 100},
    };
    struct repl_lease l;

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        repl__lease_init(&l, rows[i].et_ms, fake_clock, NULL);
        assert_int_equal(repl__lease_ask_ms(&l), rows[i].et_ms);
        assert_int_equal(repl__lease_clamp_ms(&l, rows[i].ask_ms),
                         rows[i].granted_ms);
    }
    assert_int_equal(repl__lease_span_us(500), 350000);
    assert_int_equal(repl__lease_span_us(1000), 700000);
    assert_int_equal(repl__lease_span_us(0), 0);
}

/* When a lease holds: its term only, before its end, not while a transfer
 * runs, not with nothing granted; a restarted node keeps out of elections
 * for one election timeout; a grant in another term is refused. */
static void test_lease_decisions(void **state)
{
    struct repl_lease l;
    unsigned g = 99;

    (void)state;
    fake_now_us = 1000000;
    repl__lease_init(&l, 500, fake_clock, NULL);
    assert_true(repl__lease_blocks_votes(&l, 1000000 + 499999));
    assert_false(repl__lease_blocks_votes(&l, 1000000 + 500000));
    repl__lease_set_term(&l, 7);

    /* Nothing granted, or another term: no lease. */
    repl__lease_extend(&l, 7, 1000000, 0);
    assert_false(repl__lease_holds(&l, 7, 1000001));
    repl__lease_extend(&l, 6, 1000000, 500);
    assert_false(repl__lease_holds(&l, 6, 1000001));
    assert_false(repl__lease_holds(&l, 7, 1000001));

    repl__lease_extend(&l, 7, 1000000, 500);
    assert_true(repl__lease_holds(&l, 7, 1000000));
    assert_true(repl__lease_holds(&l, 7, 1000000 + 349999));
    assert_false(repl__lease_holds(&l, 7, 1000000 + 350000));
    assert_false(repl__lease_holds(&l, 8, 1000001));
    assert_false(repl__lease_holds(&l, 0, 1000001));

    /* Used, and halfway through: renew. */
    assert_true(repl__lease_holds(&l, 7, 1000000 + 100000));
    assert_false(repl__lease_wanted(&l, 1000000 + 100000));
    assert_true(repl__lease_wanted(&l, 1000000 + 200000));

    /* An older round does not shorten it. */
    repl__lease_extend(&l, 7, 900000, 500);
    assert_true(repl__lease_holds(&l, 7, 1000000 + 349999));

    /* The term moves: the lease of the old one is gone. */
    repl__lease_set_term(&l, 8);
    assert_false(repl__lease_holds(&l, 7, 1000001));
    assert_false(repl__lease_holds(&l, 8, 1000001));

    /* A transfer stops it. */
    repl__lease_extend(&l, 8, 1000000, 500);
    assert_true(repl__lease_holds(&l, 8, 1000001));
    repl__lease_suspend(&l);
    assert_false(repl__lease_holds(&l, 8, 1000001));
    repl__lease_extend(&l, 8, 1000000, 500);
    assert_false(repl__lease_holds(&l, 8, 1000001));
    repl__lease_resume(&l);
    assert_false(repl__lease_holds(&l, 8, 1000001));
    /* Then only a round begun after the suspension counts. */
    repl__lease_extend(&l, 8, 1000000, 500);
    assert_false(repl__lease_holds(&l, 8, 1000001));
    repl__lease_extend(&l, 8, 1000001, 500);
    assert_true(repl__lease_holds(&l, 8, 1000002));

    /* Follower side: the wrong term grants nothing and says the right one.
     */
    fake_now_us = 5000000;
    assert_int_equal(repl__lease_grant(&l, 7, 500, &g), 8);
    assert_int_equal(g, 0);
    assert_false(repl__lease_blocks_votes(&l, 5000000));
    assert_int_equal(repl__lease_grant(&l, 8, 800, &g), 8);
    assert_int_equal(g, 500);
    assert_true(repl__lease_blocks_votes(&l, 5000000 + 499999));
    assert_false(repl__lease_blocks_votes(&l, 5000000 + 500000));
    /* A shorter grant later does not shorten the promise. */
    fake_now_us = 5000000 + 100000;
    assert_int_equal(repl__lease_grant(&l, 8, 10, &g), 8);
    assert_int_equal(g, 10);
    assert_true(repl__lease_blocks_votes(&l, 5000000 + 499999));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lease_partitioned_leader_refuses_reads),
        cmocka_unit_test(test_lease_without_promise_reads_stale),
        cmocka_unit_test(test_lease_follower_refuses_votes_until_it_ends),
        cmocka_unit_test(test_lease_transfer_passes_the_promise),
        cmocka_unit_test(test_lease_clamp_and_span),
        cmocka_unit_test(test_lease_decisions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
