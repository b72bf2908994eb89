/*
 * usync: metadata load and sync of the namespace under a mount with its
 * under storage (ufs.h). Only the leader runs it: it reads the under
 * storage and the namespace and proposes the differences as ordinary
 * replicated commands (create, setattr, delete), in batches of at most
 * USYNC_BATCH commands, waiting for each batch to apply before it reads on.
 *
 * The diff (usync_diff) merges the two sorted listings page by page, so a
 * directory of any size syncs in memory bounded by two pages and one
 * batch: an entry only in the under storage is created (with its size and
 * mtime), an entry only in the namespace is deleted (unless it was written
 * with write_type cache_only: it was never meant to be there), a file whose
 * size or mtime differ is updated, and an entry whose type changed is
 * deleted and created again. A recursive sync then visits the
 * sub-directories, one namespace page at a time. A path that is, holds or
 * lies inside a mount nested in the synced one (the root mount holds the
 * others) is never deleted nor loaded over, and a recursive sync does not
 * descend into a directory of another mount (the longest mount point
 * above a path decides).
 *
 * Load: a path under a mount that the namespace does not hold is looked up
 * in the under storage, parent first, and created when it is there.
 *
 * Threads: any thread but the raft loop (it waits for its commands).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_USYNC_H
#define BANYAN_SRC_USYNC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errcode.h"

#define USYNC_PAGE  1000
#define USYNC_BATCH 256

/* The xattr that marks an inode written with write_type cache_only. */
#define USYNC_CACHE_ONLY_XATTR "banyan.cache_only"

struct cmd;
struct cmd_result;
struct mount_info;
struct mount_table;
struct ns;
struct repl;

/* One entry of a listing, either side. */
struct usync_item {
    char *name; /* owned */
    int type;   /* enum inode_type */
    uint64_t size;
    int64_t mtime_ms;
    bool cache_only; /* namespace side: never persisted */
};

enum usync_action {
    USYNC_CREATE = 1, /* only in the under storage */
    USYNC_DELETE = 2, /* only in the namespace */
    USYNC_UPDATE = 3, /* a file whose size or mtime differ */
    USYNC_RETYPE = 4, /* a file became a directory or the other way */
};

/* A sorted source of items, read in pages: up to @limit items after
 * @after (NULL: from the start) into a new array (free each name and the
 * array), *more when more follow. */
struct usync_src {
    int (*page)(void *arg, const char *after, size_t limit,
                struct usync_item **out, size_t *n, bool *more,
                char errmsg[BN_ERRMSG_SIZE]);
    void *arg;
};

/* Called for each difference: @u is the under-storage side (NULL for
 * USYNC_DELETE), @n the namespace side (NULL for USYNC_CREATE). Returns 0
 * or an error that stops the diff. */
typedef int (*usync_emit_fn)(void *arg, int action, const struct usync_item *u,
                             const struct usync_item *n);

/* Merge @ufs and @nsrc, both sorted by name (bytewise), in pages of @limit
 * and call @emit for every difference in name order. Returns 0 or the
 * first error of a source or of @emit. */
int usync_diff(const struct usync_src *ufs, const struct usync_src *nsrc,
               size_t limit, usync_emit_fn emit, void *arg,
               char errmsg[BN_ERRMSG_SIZE]);

/* The policy of a `sync` value: "never" (*interval_ms -1), "always" (0) or
 * an interval ("60s", "5m", "500ms", "1h"). Returns 0 or BN_EINVAL. */
int usync_parse_policy(const char *s, int64_t *interval_ms,
                       char errmsg[BN_ERRMSG_SIZE]);

/* What a sync did. */
struct usync_stats {
    uint64_t created;
    uint64_t deleted;
    uint64_t updated;
    uint64_t dirs; /* directories compared */
};

/* The context of a sync on the leader. */
struct usync_ctx {
    struct ns *ns;
    struct repl *repl;
    struct mount_table *mounts; /* NULL: no nested mounts to skip */
    const char *owner;          /* of created inodes */
    const char *group;
    /* Proposes @c like repl_submit() (NULL: repl_submit on @repl). */
    int (*submit)(void *arg, struct cmd *c,
                  void (*cb)(void *cb_arg, struct cmd_result *res),
                  void *cb_arg);
    void *submit_arg;
    /* When not NULL and set, the sync stops before its next proposal with
     * BN_EUNAVAIL (shutting down). */
    const atomic_bool *stop;
};

/* Sync the namespace path @path (normalised; under mount @m) with the
 * under storage: a directory's children (and with @recursive its whole
 * subtree), or a file's attributes; a path gone from the under storage is
 * deleted. Adds what it did to @st. Returns 0 or an error (BN_EUFS when
 * the under storage failed, BN_EUNAVAIL when leadership was lost). */
int usync_path(const struct usync_ctx *ctx, const struct mount_info *m,
               const char *path, bool recursive, struct usync_stats *st,
               char errmsg[BN_ERRMSG_SIZE]);

/* Load @path (under mount @m) when the namespace does not hold it and the
 * under storage does (its parents first). Returns 0 (whether or not it
 * exists) or an error. */
int usync_load(const struct usync_ctx *ctx, const struct mount_info *m,
               const char *path, char errmsg[BN_ERRMSG_SIZE]);

/* Whether @path was synced less than @interval_ms ago (this node's memory;
 * a bounded table, so an old entry may be forgotten early), and record it
 * as synced now when it was not. Any thread. */
bool usync_recent(const char *path, int64_t interval_ms);

/* Whether directory @path of mount @mount_id was listed on this node
 * before; records it as listed. The first listing of a directory loads
 * its children (a bounded table: a forgotten one is loaded again, which
 * changes nothing). Any thread. */
bool usync_listed(uint64_t mount_id, const char *path);

#endif /* BANYAN_SRC_USYNC_H */
