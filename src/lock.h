/*
 * lock: a striped pool of reader-writer locks keyed by inode id.
 *
 * The pool has a fixed number of stripes (a power of two), so its memory
 * does not grow with the namespace; inode @ino maps to stripe
 * hash(ino) & (n - 1).
 *
 * Lock order and why it cannot deadlock:
 *  - Writers (the apply thread, the only one) take all the write locks of an
 *    operation at once with lock_wr_many(), which sorts the stripes and
 *    drops duplicates, so two inodes in one stripe are locked once.
 *  - Readers walk a path hand over hand with a lock_cursor: the stripe of
 *    the root is taken blocking while holding nothing; every later stripe is
 *    only tried (lock_cursor_step) while the parent's is held. A reader
 *    therefore never blocks while holding a lock, which rules out a cycle
 *    whatever stripes collide. When a try fails the reader releases
 *    everything, waits for the busy stripe (lock_wait), and restarts.
 *  - A child in the same stripe as its parent is not locked twice.
 *  - The rwlocks prefer writers, so a stream of readers cannot starve apply.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_LOCK_H
#define BANYAN_SRC_LOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "inode.h"

#define LOCK_STRIPES_DEFAULT 4096
#define LOCK_WR_MAX          8 /* inodes one operation may write-lock */

struct lock_pool;

/* A reader's position in a hand-over-hand walk. */
struct lock_cursor {
    struct lock_pool *pool;
    int held; /* stripe held for reading, -1 for none */
};

/* A writer's set of held stripes. */
struct lock_wr_set {
    unsigned stripes[LOCK_WR_MAX];
    size_t n;
};

/* Returns a new pool of @n_stripes stripes (rounded up to a power of two,
 * at least 1); free with lock_pool_free(). Any thread. */
struct lock_pool *lock_pool_new(unsigned n_stripes);

/* Free the pool; no lock may be held. lock_pool_free(NULL) does nothing. */
void lock_pool_free(struct lock_pool *pool);

/* The stripe of @ino. Any thread. */
unsigned lock_stripe(const struct lock_pool *pool, bn_ino ino);

/* Start a walk at @ino (normally the root): block until its stripe is
 * read-locked. The calling thread must hold no lock of this pool.
 * Any thread. */
void lock_cursor_start(struct lock_cursor *cur, struct lock_pool *pool,
                       bn_ino ino);

/* Move the read lock from the current inode to its child @ino: try-lock the
 * child's stripe (nothing to do when it is the one held) and then release
 * the parent's. Returns 0, or BN_EBUSY when the child's stripe is
 * write-locked or a writer waits for it; then the cursor still holds the
 * parent's stripe and the caller must lock_cursor_end(), lock_wait(@ino)
 * and restart. Any thread. */
int lock_cursor_step(struct lock_cursor *cur, bn_ino ino);

/* Release whatever the cursor holds. Any thread. */
void lock_cursor_end(struct lock_cursor *cur);

/* Block until the stripe of @ino could be read-locked, then release it at
 * once: how a reader waits for a writer without holding anything. The
 * calling thread must hold no lock of this pool. Any thread. */
void lock_wait(struct lock_pool *pool, bn_ino ino);

/* Write-lock the stripes of @n inodes (n <= LOCK_WR_MAX) in ascending
 * stripe order, each once, and record them in @set. Blocks. The calling
 * thread must hold no lock of this pool. Apply thread (any single writer). */
void lock_wr_many(struct lock_pool *pool, const bn_ino *inos, size_t n,
                  struct lock_wr_set *set);

/* Release what lock_wr_many() took. */
void lock_wr_release(struct lock_pool *pool, struct lock_wr_set *set);

#endif /* BANYAN_SRC_LOCK_H */
