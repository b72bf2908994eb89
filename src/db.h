/*
 * db: the SQLite tier (the only file that includes <sqlite3.h>).
 *
 * One struct db is one connection with its statements prepared once. The
 * store opens one read-write connection (used only by the apply thread), a
 * pool of read-only ones, and one that checkpoints the WAL in the
 * background, so a commit never stalls on copying the WAL into the
 * database (the writer's automatic checkpoints are off). The database is in WAL
 * mode with synchronous=NORMAL: a commit survives a crash of the process at
 * once and a power loss after the next WAL sync (db_sync); the raft log, which
 * is fsync'd, covers the gap. SQLITE_* codes are mapped here: BUSY to BN_EBUSY,
 * FULL to BN_ENOSPC, CORRUPT/NOTADB to BN_ECORRUPT, others to BN_EIO.
 *
 * Schema: inodes(id PRIMARY KEY, parent, name, ...) with a unique index on
 * (parent, name) that serves lookups and sorted listings; meta(key, value)
 * holds applied_index and next_id. The root has parent 0 and name "";
 * trashed subtree roots have parent 0 and their id as name.
 *
 * A struct db is used by one thread at a time.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_DB_H
#define BANYAN_SRC_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errcode.h"
#include "inode.h"

struct db;

enum db_role {
    DB_READER,       /* read-only */
    DB_WRITER,       /* creates the schema and writes; never checkpoints */
    DB_CHECKPOINTER, /* only copies the WAL into the database (db_sync) */
};

/* Open @path for @role. Returns 0 and *out or an error. Free with
 * db_close(). */
int db_open(struct db **out, const char *path, enum db_role role,
            char errmsg[BN_ERRMSG_SIZE]);
void db_close(struct db *db);

/* Row reads: 0, BN_ENOTFOUND or an error. */
int db_get(struct db *db, bn_ino ino, struct inode *out,
           char errmsg[BN_ERRMSG_SIZE]);
int db_lookup(struct db *db, bn_ino parent, const char *name, struct inode *out,
              char errmsg[BN_ERRMSG_SIZE]);

/* Up to @limit children of @parent after @after (NULL: from the start) in
 * name order, as a new array (see store_list). */
int db_list(struct db *db, bn_ino parent, const char *after, size_t limit,
            struct inode **out, size_t *n, bool *more,
            char errmsg[BN_ERRMSG_SIZE]);

/* Writer only. */
int db_begin(struct db *db, char errmsg[BN_ERRMSG_SIZE]);
int db_commit(struct db *db, char errmsg[BN_ERRMSG_SIZE]);
int db_put(struct db *db, const struct inode *ino, char errmsg[BN_ERRMSG_SIZE]);
int db_delete(struct db *db, bn_ino ino, char errmsg[BN_ERRMSG_SIZE]);
int db_meta_get(struct db *db, const char *key, uint64_t *value,
                char errmsg[BN_ERRMSG_SIZE]);
int db_meta_set(struct db *db, const char *key, uint64_t value,
                char errmsg[BN_ERRMSG_SIZE]);

/* Sync the WAL to disk and copy it into the database as far as readers
 * allow (a passive checkpoint); it never blocks the writer. Returns 0,
 * BN_EBUSY when another connection is checkpointing (nothing was synced),
 * or an error. */
int db_sync(struct db *db, char errmsg[BN_ERRMSG_SIZE]);

/* Frames in the WAL after the writer's last commit. Writer only. */
uint64_t db_wal_frames(const struct db *db);

/* A trashed subtree root (parent 0, id != 1) into *ino, 0 when none. */
int db_trash_pick(struct db *db, bn_ino *ino, char errmsg[BN_ERRMSG_SIZE]);

/* Up to @max children of @parent as (id, type, nchildren) triples. Returns
 * the count or an error. */
int db_children(struct db *db, bn_ino parent, unsigned max, bn_ino *ids,
                int *types, uint64_t *nchildren, char errmsg[BN_ERRMSG_SIZE]);

/* Up to @max ids of inodes whose TTL has run out at @now_ms (ctime + ttl
 * <= now), the earliest first. Returns the count or an error. */
int db_expired(struct db *db, int64_t now_ms, unsigned max, bn_ino *ids,
               char errmsg[BN_ERRMSG_SIZE]);

/* Reparent @ino to the trash (parent 0, name = its id). */
int db_move_to_trash(struct db *db, bn_ino ino, char errmsg[BN_ERRMSG_SIZE]);

/* The number of rows. */
int db_count(struct db *db, uint64_t *n, char errmsg[BN_ERRMSG_SIZE]);

/* ---- cluster state (writer, in the open transaction) ---- */

int db_node_put(struct db *db, uint64_t id, const char *http, const char *raft,
                char errmsg[BN_ERRMSG_SIZE]);
int db_node_del(struct db *db, uint64_t id, char errmsg[BN_ERRMSG_SIZE]);

/* Call @fn for every row of the node table, by id. */
int db_node_each(struct db *db,
                 void (*fn)(void *arg, uint64_t id, const char *http,
                            const char *raft),
                 void *arg, char errmsg[BN_ERRMSG_SIZE]);

/* The mount table (mount.h): put by id (replacing), delete by path, and
 * every row by path (@fn borrows the row). */
struct mount_info;
int db_mount_put(struct db *db, const struct mount_info *m,
                 char errmsg[BN_ERRMSG_SIZE]);
int db_mount_del(struct db *db, const char *path, char errmsg[BN_ERRMSG_SIZE]);
int db_mount_each(struct db *db,
                  void (*fn)(void *arg, const struct mount_info *m), void *arg,
                  char errmsg[BN_ERRMSG_SIZE]);

/* The remembered outcome of a write by Idempotency-Key. */
struct db_idem {
    uint64_t fp; /* cmd_fingerprint() of the write */
    int rc;
    char errmsg[BN_ERRMSG_SIZE];
    bool has_ino;     /* the write answered with an inode: */
    struct inode ino; /* as it was then; db_idem_get() makes it, the
                       * caller frees it with inode_clear() */
};

/* Returns 0, BN_ENOTFOUND or an error. */
int db_idem_get(struct db *db, const char *key, struct db_idem *out,
                char errmsg[BN_ERRMSG_SIZE]);
int db_idem_put(struct db *db, const char *key, int64_t ts,
                const struct db_idem *rec, char errmsg[BN_ERRMSG_SIZE]);

/* Forget the keys older than @before, then the oldest beyond @keep. */
int db_idem_expire(struct db *db, int64_t before, uint64_t keep,
                   char errmsg[BN_ERRMSG_SIZE]);

/* ---- whole-database operations ---- */

struct db_checksum {
    uint64_t applied_index; /* of the snapshot the sums were taken in */
    uint64_t inodes;        /* live inodes, the root included */
    uint64_t directories;
    uint64_t sum; /* of the 64-bit hashes of every live row */
};

/* Checksum the live namespace in one read transaction (a consistent
 * snapshot). Reader. */
int db_checksum(struct db *db, struct db_checksum *out,
                char errmsg[BN_ERRMSG_SIZE]);

/* Write a consistent copy of the database to the new file @dest (VACUUM
 * INTO: a read transaction, so writers go on meanwhile). Reader. */
int db_backup(struct db *db, const char *dest, char errmsg[BN_ERRMSG_SIZE]);

/* Check that @path is a sound banyan database and read its applied index.
 * Opens and closes its own connection. */
int db_verify(const char *path, uint64_t *applied, char errmsg[BN_ERRMSG_SIZE]);
/* The number of rows of type @type (enum inode_type); a full scan. */
int db_count_type(struct db *db, int type, uint64_t *n,
                  char errmsg[BN_ERRMSG_SIZE]);

/* Run the namespace invariant checks of store_check() in SQL. */
int db_check(struct db *db, char errmsg[BN_ERRMSG_SIZE]);

#endif /* BANYAN_SRC_DB_H */
