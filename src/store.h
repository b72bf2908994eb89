/*
 * store: the tiered inode store, a bounded hot cache (cache.c) over SQLite
 * in WAL mode (db.c), the durable tier.
 *
 * Writes come from one thread, the apply thread: they change the cache at
 * once (entries stay pinned as "dirty" until committed, deletions leave
 * tombstones) and go to SQLite in one open transaction per batch, which
 * store_commit() closes together with the last applied raft index, so a
 * restart resumes exactly after what SQLite holds. Readers on any thread
 * see the latest applied state: dirty entries and tombstones answer from
 * the cache, everything else is committed and read through a pool of
 * read-only SQLite connections. A reader must hold the read lock
 * (lock.h) of the inode whose row or edge it reads, which keeps a cache fill
 * from racing with a write of the same inode.
 *
 * Memory is bounded by cache_bytes whatever the number of inodes; only
 * dirty entries (one batch's worth) may exceed it until the next commit.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_STORE_H
#define BANYAN_SRC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errcode.h"
#include "inode.h"

struct store;

struct store_options {
    const char *path;     /* the SQLite file, e.g. data/banyan.db */
    uint64_t cache_bytes; /* budget of the hot tier */
    unsigned readers;     /* read connections in the pool */
};

struct store_stats {
    uint64_t cache_entries;
    uint64_t cache_bytes;
    uint64_t cache_hits;
    uint64_t cache_misses;
    uint64_t cache_evictions;
    uint64_t commits;
    uint64_t inodes;        /* rows in the namespace (committed) */
    uint64_t dirs;          /* the directories among them */
    uint64_t applied_index; /* last index committed with the data */
    uint64_t disk_bytes;    /* the database and its WAL on disk */
};

/* Open (creating if needed) the store at opts->path. Returns 0 and *out or
 * an error with the reason. Free with store_close(). Startup thread. */
int store_open(struct store **out, const struct store_options *opts,
               char errmsg[BN_ERRMSG_SIZE]);

/* Commit what is pending and close. store_close(NULL) does nothing. */
void store_close(struct store *st);

/* ---- reads: any thread; hold the inode's read lock ---------------------- */

/* The inode @ino into @out (free with inode_clear()). Returns 0,
 * BN_ENOTFOUND or a store error. */
int store_get(struct store *st, bn_ino ino, struct inode *out,
              char errmsg[BN_ERRMSG_SIZE]);

/* The child named @name of directory @parent (hold @parent's read lock).
 * Returns 0, BN_ENOTFOUND or a store error. */
int store_lookup(struct store *st, bn_ino parent, const char *name,
                 struct inode *out, char errmsg[BN_ERRMSG_SIZE]);

/* Up to @limit children of @parent with names after @after (NULL: from the
 * start), sorted by name, as a new array of *n inodes (free each with
 * inode_clear() and the array with free()); *more tells whether more
 * follow. The committed rows merged with the uncommitted changes the cache
 * holds, so a listing never waits for a commit; the caller holds the
 * directory's read lock (apply cannot change its children meanwhile).
 * Returns 0 or a store error. */
int store_list(struct store *st, bn_ino parent, const char *after, size_t limit,
               struct inode **out, size_t *n, bool *more,
               char errmsg[BN_ERRMSG_SIZE]);

/* Whether @ino has changes not yet committed. Any thread. */
bool store_is_dirty(struct store *st, bn_ino ino);

/* ---- writes: apply thread only; hold the write locks -------------------- */

/* Open the batch transaction if none is open. */
int store_begin(struct store *st, char errmsg[BN_ERRMSG_SIZE]);

/* A new inode id, never used before (the counter is committed with the
 * batch). */
bn_ino store_alloc_id(struct store *st);

/* Insert the new inode @ino. The caller guarantees that no other inode
 * holds its id or (parent, name). */
int store_create(struct store *st, const struct inode *ino,
                 char errmsg[BN_ERRMSG_SIZE]);

/* Replace the existing inode @ino (by id; its parent and name may change).
 * The caller guarantees that no other inode holds (parent, name). */
int store_put(struct store *st, const struct inode *ino,
              char errmsg[BN_ERRMSG_SIZE]);

/* Delete @ino's row (by id and (parent, name)). */
int store_remove(struct store *st, const struct inode *ino,
                 char errmsg[BN_ERRMSG_SIZE]);

/* Move the subtree rooted at @ino to the trash (its row stays, unlinked
 * from the namespace, until store_reclaim() removes it and everything
 * below it). */
int store_trash(struct store *st, const struct inode *ino,
                char errmsg[BN_ERRMSG_SIZE]);

/* Record @index as the last applied raft index (committed with the batch). */
void store_set_applied(struct store *st, uint64_t index);

/* Commit the open transaction (nothing when none is open) and unpin the
 * dirty entries. @durable also syncs the WAL to disk (before raft may
 * compact the log). Returns 0 or a store error. */
int store_commit(struct store *st, bool durable, char errmsg[BN_ERRMSG_SIZE]);

/* Delete up to @max rows of trashed subtrees in the open transaction.
 * Returns the number of rows deleted (0: the trash is empty) or an error. */
int store_reclaim(struct store *st, unsigned max, char errmsg[BN_ERRMSG_SIZE]);

/* Whether the trash may hold rows to reclaim. Apply thread only. */
bool store_has_trash(struct store *st);

/* Up to @max ids of inodes whose TTL has run out at @now_ms, earliest
 * first, as the apply thread sees them (the open transaction included).
 * Returns the count or an error. Apply thread only. */
int store_expired(struct store *st, int64_t now_ms, unsigned max, bn_ino *ids,
                  char errmsg[BN_ERRMSG_SIZE]);

/* ---- cluster state: apply thread; writes in the open transaction -------- */

struct db_idem;
struct db_checksum;

int store_node_put(struct store *st, uint64_t id, const char *http,
                   const char *raft, char errmsg[BN_ERRMSG_SIZE]);
int store_node_del(struct store *st, uint64_t id, char errmsg[BN_ERRMSG_SIZE]);
int store_node_each(struct store *st,
                    void (*fn)(void *arg, uint64_t id, const char *http,
                               const char *raft),
                    void *arg, char errmsg[BN_ERRMSG_SIZE]);
int store_idem_get(struct store *st, const char *key, struct db_idem *out,
                   char errmsg[BN_ERRMSG_SIZE]);
int store_idem_put(struct store *st, const char *key, int64_t ts,
                   const struct db_idem *rec, char errmsg[BN_ERRMSG_SIZE]);
struct mount_info;
int store_mount_put(struct store *st, const struct mount_info *m,
                    char errmsg[BN_ERRMSG_SIZE]);
int store_mount_del(struct store *st, const char *path,
                    char errmsg[BN_ERRMSG_SIZE]);
/* Every mount (startup or apply thread). */
int store_mount_each(struct store *st,
                     void (*fn)(void *arg, const struct mount_info *m),
                     void *arg, char errmsg[BN_ERRMSG_SIZE]);
int store_idem_expire(struct store *st, int64_t before, uint64_t keep,
                      char errmsg[BN_ERRMSG_SIZE]);

/* ---- whole-store operations --------------------------------------------- */

/* Checksum the committed live namespace (db_checksum). Any thread. */
int store_checksum(struct store *st, struct db_checksum *out,
                   char errmsg[BN_ERRMSG_SIZE]);

/* Write a consistent copy of the committed store to the new file @dest
 * and check it; *applied is the index it holds. Any thread; takes a
 * reader for as long as the copy lasts (writers go on). */
int store_backup(struct store *st, const char *dest, uint64_t *applied,
                 char errmsg[BN_ERRMSG_SIZE]);

/* Replace the whole store by the database file @src (moved into place):
 * commits, closes every connection, swaps the file, reopens, and starts
 * with an empty cache. Apply thread; the caller keeps every other reader
 * out (ns_quiesce). Returns 0 or an error (the old store stays). */
int store_replace(struct store *st, const char *src,
                  char errmsg[BN_ERRMSG_SIZE]);

/* ---- state -------------------------------------------------------------- */

/* The last applied index that the store holds (committed or pending). */
uint64_t store_applied(struct store *st);

/* Counters for /metrics and tests. The inode counts are exact at every
 * moment (pending writes included) and include the rows of deleted
 * subtrees until store_reclaim() removes them. Any thread. */
void store_get_stats(struct store *st, struct store_stats *out);

/* Check the invariants of the committed namespace: every inode's parent
 * exists and is a directory, no cycles, names unique per parent, nchildren
 * agrees with the rows, the cache agrees with SQLite. Returns 0 or
 * BN_ECORRUPT with the first violation. Hold no lock; no writer may run. */
int store_check(struct store *st, char errmsg[BN_ERRMSG_SIZE]);

#endif /* BANYAN_SRC_STORE_H */
