/*
 * cache: the hot tier, a bounded LRU of inodes indexed both by id and by
 * edge (parent id, name).
 *
 * Entries are clean (equal to the committed SQLite row; evictable) or dirty
 * (written by the apply thread since the last commit; pinned). A deleted
 * inode leaves a dirty tombstone for its id and one for its edge, and a
 * renamed inode a tombstone for its old edge, so until the commit a reader
 * that misses the cache never reads the stale committed row. A commit
 * unpins the dirty entries, drops the tombstones and evicts down to the
 * budget. A fill (a clean entry read from SQLite by a reader) is dropped if
 * any commit happened since the reader looked, so a fill never overwrites
 * newer state.
 *
 * All functions take the cache's own mutex; any thread. Returned inodes are
 * copies owned by the caller (free with inode_clear()).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_CACHE_H
#define BANYAN_SRC_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "inode.h"

struct cache;

enum cache_res {
    CACHE_MISS = 0, /* unknown: read the store */
    CACHE_HIT = 1,  /* *out holds the inode */
    CACHE_GONE = 2, /* deleted and not yet committed: it does not exist */
};

struct cache_stats {
    uint64_t entries;
    uint64_t bytes;
    uint64_t budget;
    uint64_t hits;
    uint64_t misses;
    uint64_t evictions;
    uint64_t dirty;
};

/* Returns a new cache that holds at most @budget_bytes of clean entries;
 * free with cache_free(). */
struct cache *cache_new(uint64_t budget_bytes);
void cache_free(struct cache *c);

/* Look up by id or by edge. On CACHE_HIT *out is a copy. *gen receives the
 * commit generation to pass to cache_fill() after a miss (may be NULL). */
int cache_get(struct cache *c, bn_ino ino, struct inode *out, uint64_t *gen);
int cache_lookup(struct cache *c, bn_ino parent, const char *name,
                 struct inode *out, uint64_t *gen);

/* Insert @ino, read from committed SQLite, as a clean entry, unless a
 * commit happened after generation @gen or the id or edge is already
 * known. */
void cache_fill(struct cache *c, const struct inode *ino, uint64_t gen);

/* Apply thread: record @ino as written (insert or replace by id; moves its
 * edge and leaves a tombstone on the old one). */
void cache_put_dirty(struct cache *c, const struct inode *ino);

/* Apply thread: record @ino as deleted (tombstones on its id and edge). */
void cache_remove_dirty(struct cache *c, const struct inode *ino);

/* Forget anything about @ino and its edge (clean or dirty); for rows that
 * no reader can reach any more (reclaimed trash). */
void cache_drop(struct cache *c, bn_ino ino);

/* The uncommitted changes to the children of @parent: *live, a new array
 * of copies of the *nlive dirty inodes whose parent is @parent and whose
 * name sorts after @after (NULL: all), and *gone, a new array of the
 * *ngone names under @parent that uncommitted deletes and renames took
 * away (free each string, each inode with inode_clear(), and both arrays
 * with free()). Scans the dirty entries only. */
void cache_dirty_children(struct cache *c, bn_ino parent, const char *after,
                          struct inode **live, size_t *nlive, char ***gone,
                          size_t *ngone);

/* Whether @ino has an uncommitted change. */
bool cache_is_dirty(struct cache *c, bn_ino ino);

/* After a commit: unpin dirty entries, drop tombstones, advance the
 * generation, evict down to the budget. */
void cache_commit(struct cache *c);

/* Call @fn on every clean live entry (for store_check); the cache is
 * locked meanwhile, @fn must not call into the cache. */
void cache_foreach(struct cache *c, void (*fn)(const struct inode *, void *),
                   void *arg);

void cache_get_stats(struct cache *c, struct cache_stats *out);

#endif /* BANYAN_SRC_CACHE_H */
