/*
 * test_lock: the striped lock pool. Stripes are fixed in number, a cursor
 * walks hand over hand, a busy stripe is reported instead of waited for,
 * writers take sorted, de-duplicated sets, and a reader of /b completes
 * while /a is write-locked.
 *
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "clock.h"
#include "lock.h"

/* Two ids whose stripes differ from each other and from the root's. */
static void distinct_ids(struct lock_pool *pool, bn_ino *a, bn_ino *b)
{
    unsigned root = lock_stripe(pool, INODE_ROOT_ID);
    bn_ino i = 2;

    while (lock_stripe(pool, i) == root) {
        i++;
    }
    *a = i++;
    while (lock_stripe(pool, i) == root ||
           lock_stripe(pool, i) == lock_stripe(pool, *a)) {
        i++;
    }
    *b = i;
}

static void test_lock_stripes_fixed(void **state)
{
    (void)state;
    struct lock_pool *pool = lock_pool_new(1000);
    unsigned seen_max = 0;

    /* Rounded up to 1024: every id maps below it, whatever the id. */
    for (bn_ino i = 1; i < 100000; i++) {
        unsigned s = lock_stripe(pool, i);
        assert_true(s < 1024);
        if (s > seen_max) {
            seen_max = s;
        }
    }
    assert_true(seen_max > 512); /* ids spread over the stripes */
    assert_true(lock_stripe(pool, UINT64_MAX) < 1024);
    lock_pool_free(pool);

    pool = lock_pool_new(0); /* one stripe */
    assert_int_equal(lock_stripe(pool, 12345), 0);
    lock_pool_free(pool);
}

static void test_lock_cursor_walk(void **state)
{
    (void)state;
    struct lock_pool *pool = lock_pool_new(64);
    struct lock_cursor cur;
    bn_ino a;
    bn_ino b;

    distinct_ids(pool, &a, &b);
    lock_cursor_start(&cur, pool, INODE_ROOT_ID);
    assert_int_equal(cur.held, (int)lock_stripe(pool, INODE_ROOT_ID));
    assert_int_equal(lock_cursor_step(&cur, a), 0);
    assert_int_equal(cur.held, (int)lock_stripe(pool, a));
    assert_int_equal(lock_cursor_step(&cur, a), 0); /* same stripe: no-op */
    assert_int_equal(lock_cursor_step(&cur, b), 0);
    lock_cursor_end(&cur);
    assert_int_equal(cur.held, -1);
    lock_cursor_end(&cur); /* ending twice is harmless */

    /* The root's stripe was released: a writer can take it now. */
    struct lock_wr_set set;
    bn_ino root = INODE_ROOT_ID;
    lock_wr_many(pool, &root, 1, &set);
    lock_wr_release(pool, &set);
    lock_pool_free(pool);
}

static void test_lock_step_busy(void **state)
{
    (void)state;
    struct lock_pool *pool = lock_pool_new(64);
    struct lock_cursor cur;
    struct lock_wr_set set;
    bn_ino a;
    bn_ino b;

    distinct_ids(pool, &a, &b);
    lock_wr_many(pool, &a, 1, &set);
    lock_cursor_start(&cur, pool, INODE_ROOT_ID);
    assert_int_equal(lock_cursor_step(&cur, a), BN_EBUSY);
    /* Still holding the parent. */
    assert_int_equal(cur.held, (int)lock_stripe(pool, INODE_ROOT_ID));
    assert_int_equal(lock_cursor_step(&cur, b), 0);
    lock_cursor_end(&cur);
    lock_wr_release(pool, &set);

    lock_cursor_start(&cur, pool, INODE_ROOT_ID);
    assert_int_equal(lock_cursor_step(&cur, a), 0);
    lock_cursor_end(&cur);
    lock_pool_free(pool);
}

static void test_lock_wr_many_sorted(void **state)
{
    (void)state;
    struct lock_pool *pool = lock_pool_new(16);
    struct lock_wr_set set;
    bn_ino ids[LOCK_WR_MAX];

    for (size_t i = 0; i < LOCK_WR_MAX; i++) {
        ids[i] = 1000 - i * 7;
    }
    ids[3] = ids[1]; /* a duplicate */
    lock_wr_many(pool, ids, LOCK_WR_MAX, &set);
    assert_true(set.n >= 1 && set.n < LOCK_WR_MAX);
    for (size_t i = 1; i < set.n; i++) {
        assert_true(set.stripes[i - 1] < set.stripes[i]);
    }
    lock_wr_release(pool, &set);
    assert_int_equal(set.n, 0);

    /* Two ids in one stripe are locked once (no self-deadlock). */
    bn_ino x = 5;
    bn_ino y = 6;
    while (lock_stripe(pool, y) != lock_stripe(pool, x)) {
        y++;
    }
    bn_ino pair[2] = {x, y};
    lock_wr_many(pool, pair, 2, &set);
    assert_int_equal(set.n, 1);
    lock_wr_release(pool, &set);
    lock_pool_free(pool);
}

struct reader {
    struct lock_pool *pool;
    bn_ino target;
    int rc;
    int done;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* Resolve root -> target the way ns does: step, and on BUSY wait and
 * restart. */
static void *reader_main(void *arg)
{
    struct reader *r = arg;
    struct lock_cursor cur;

    for (;;) {
        lock_cursor_start(&cur, r->pool, INODE_ROOT_ID);
        int rc = lock_cursor_step(&cur, r->target);
        lock_cursor_end(&cur);
        if (rc == 0) {
            break;
        }
        lock_wait(r->pool, r->target);
    }
    pthread_mutex_lock(&r->mu);
    r->done = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static int wait_done(struct reader *r, int seconds)
{
    struct timespec until = bn_clock_wall_after((int64_t)seconds * 1000);
    pthread_mutex_lock(&r->mu);
    while (!r->done) {
        if (pthread_cond_timedwait(&r->cv, &r->mu, &until) != 0) {
            break;
        }
    }
    int done = r->done;
    pthread_mutex_unlock(&r->mu);
    return done;
}

/* A reader of /b completes while /a is write-locked; a reader of /a waits
 * until the writer lets go. */
static void test_lock_reader_of_b_while_a_written(void **state)
{
    (void)state;
    struct lock_pool *pool = lock_pool_new(LOCK_STRIPES_DEFAULT);
    struct lock_wr_set set;
    bn_ino a;
    bn_ino b;
    pthread_t tb;
    pthread_t ta;

    distinct_ids(pool, &a, &b);
    lock_wr_many(pool, &a, 1, &set);

    struct reader rb = {
        pool, b, 0, 0, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};
    assert_int_equal(pthread_create(&tb, NULL, reader_main, &rb), 0);
    assert_true(wait_done(&rb, 10)); /* did not wait for the writer of /a */
    pthread_join(tb, NULL);

    struct reader ra = {
        pool, a, 0, 0, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};
    assert_int_equal(pthread_create(&ta, NULL, reader_main, &ra), 0);
    assert_false(wait_done(&ra, 1)); /* blocked behind the writer */
    lock_wr_release(pool, &set);
    assert_true(wait_done(&ra, 10));
    pthread_join(ta, NULL);
    lock_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_stripes_fixed),
        cmocka_unit_test(test_lock_cursor_walk),
        cmocka_unit_test(test_lock_step_busy),
        cmocka_unit_test(test_lock_wr_many_sorted),
        cmocka_unit_test(test_lock_reader_of_b_while_a_written),
    };
    return cmocka_run_group_tests_name("lock", tests, NULL, NULL);
}
