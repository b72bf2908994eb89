/*
 * lock: a striped pool of writer-preferring reader-writer locks (lock.h).
 *
 * Each stripe sits in its own cache line so that readers of different
 * stripes do not bounce one line between cores.
 *
 * SPDX-License-Identifier: MIT
 */

#include "lock.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invariant.h"
#include "mem.h"

struct stripe {
    pthread_rwlock_t rw;
} __attribute__((aligned(64)));

struct lock_pool {
    struct stripe *stripes;
    unsigned n;    /* power of two */
    unsigned bits; /* log2(n) */
};

struct lock_pool *lock_pool_new(unsigned n_stripes)
{
    struct lock_pool *pool = bn_calloc(1, sizeof(*pool));
    unsigned n = 1;
    unsigned bits = 0;
    while (n < n_stripes && bits < 24) {
        n <<= 1;
        bits++;
    }
    pool->n = n;
    pool->bits = bits;
    void *mem = NULL;
    if (posix_memalign(&mem, 64, (size_t)n * sizeof(struct stripe)) != 0) {
        bn_panic("lock: out of memory for %u stripes", n);
    }
    pool->stripes = mem;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    for (unsigned i = 0; i < n; i++) {
        int rc = pthread_rwlock_init(&pool->stripes[i].rw, &attr);

        if (rc != 0) {
            bn_panic("lock: pthread_rwlock_init: %s", strerror(rc));
        }
    }
    pthread_rwlockattr_destroy(&attr);
    return pool;
}

void lock_pool_free(struct lock_pool *pool)
{
    if (pool == NULL) {
        return;
    }
    for (unsigned i = 0; i < pool->n; i++) {
        pthread_rwlock_destroy(&pool->stripes[i].rw);
    }
    free(pool->stripes);
    free(pool);
}

unsigned lock_stripe(const struct lock_pool *pool, bn_ino ino)
{
    if (pool->bits == 0) {
        return 0;
    }
    /* Fibonacci hashing: consecutive ids land in spread-out stripes. */
    return (unsigned)((ino * UINT64_C(0x9E3779B97F4A7C15)) >>
                      (64 - pool->bits));
}

/* The C library refusing an operation on a stripe means a lock-order bug
 * (EDEADLK: this thread holds it already) or a stripe that this thread does
 * not hold (EPERM): the namespace can no longer be trusted. */
static void rd_lock(struct lock_pool *pool, unsigned s)
{
    int rc = pthread_rwlock_rdlock(&pool->stripes[s].rw);

    if (rc != 0) {
        bn_panic("lock: read-lock stripe %u: %s", s, strerror(rc));
    }
}

static void unlock(struct lock_pool *pool, unsigned s)
{
    int rc = pthread_rwlock_unlock(&pool->stripes[s].rw);

    if (rc != 0) {
        bn_panic("lock: unlock stripe %u: %s", s, strerror(rc));
    }
}

void lock_cursor_start(struct lock_cursor *cur, struct lock_pool *pool,
                       bn_ino ino)
{
    unsigned s = lock_stripe(pool, ino);
    rd_lock(pool, s);
    cur->pool = pool;
    cur->held = (int)s;
}

int lock_cursor_step(struct lock_cursor *cur, bn_ino ino)
{
    unsigned s = lock_stripe(cur->pool, ino);
    if (cur->held == (int)s) {
        return 0;
    }
    int rc = pthread_rwlock_tryrdlock(&cur->pool->stripes[s].rw);
    if (rc == EBUSY || rc == EAGAIN) {
        return BN_EBUSY;
    }
    if (rc != 0) {
        bn_panic("lock: try to read-lock stripe %u: %s", s, strerror(rc));
    }
    if (cur->held >= 0) {
        unlock(cur->pool, (unsigned)cur->held);
    }
    cur->held = (int)s;
    return 0;
}

void lock_cursor_end(struct lock_cursor *cur)
{
    if (cur->pool != NULL && cur->held >= 0) {
        unlock(cur->pool, (unsigned)cur->held);
    }
    cur->held = -1;
}

void lock_wait(struct lock_pool *pool, bn_ino ino)
{
    unsigned s = lock_stripe(pool, ino);
    rd_lock(pool, s);
    unlock(pool, s);
}

void lock_wr_many(struct lock_pool *pool, const bn_ino *inos, size_t n,
                  struct lock_wr_set *set)
{
    if (n > LOCK_WR_MAX) {
        bn_panic("lock: %zu inodes to write-lock, at most %d", n, LOCK_WR_MAX);
    }
    set->n = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned s = lock_stripe(pool, inos[i]);
        /* Insertion sort, dropping duplicates: n is tiny. */
        size_t j = set->n;
        bool dup = false;
        for (size_t k = 0; k < set->n; k++) {
            if (set->stripes[k] == s) {
                dup = true;
                break;
            }
        }
        if (dup) {
            continue;
        }
        while (j > 0 && set->stripes[j - 1] > s) {
            set->stripes[j] = set->stripes[j - 1];
            j--;
        }
        set->stripes[j] = s;
        set->n++;
    }
    for (size_t i = 0; i < set->n; i++) {
        unsigned s = set->stripes[i];
        int rc = pthread_rwlock_wrlock(&pool->stripes[s].rw);

        if (rc != 0) {
            bn_panic("lock: write-lock stripe %u: %s", s, strerror(rc));
        }
    }
}

void lock_wr_release(struct lock_pool *pool, struct lock_wr_set *set)
{
    for (size_t i = set->n; i > 0; i--) {
        unlock(pool, set->stripes[i - 1]);
    }
    set->n = 0;
}
