/*
 * ns: the namespace operations over the tiered store, with lock coupling.
 *
 * Reads (ns_stat, ns_list) run on any thread: they resolve the path from
 * the root with hand-over-hand read locks (lock.h) and read through the
 * store's cache. Mutations run only in ns_apply(), on the apply thread,
 * which is the single writer: it resolves paths without locks (nothing else
 * writes) and write-locks the inodes whose edges or attributes it changes
 * (parent and target; both parents, in stripe order, for a rename) while it
 * changes them, so readers see each inode either before or after.
 *
 * Semantics follow POSIX/HDFS: no create under a file, no deleting a
 * non-empty directory without CMD_F_RECURSIVE, no renaming a directory into
 * its own subtree, the root can be neither deleted nor renamed. A recursive
 * delete unlinks the subtree's root in the operation and the store reclaims
 * the rows below it in the background, in bounded batches.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_NS_H
#define BANYAN_SRC_NS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "errcode.h"
#include "inode.h"
#include "path.h"

#define NS_LIST_LIMIT_DEFAULT 1000
#define NS_LIST_LIMIT_MAX     10000

struct ns;
struct store;
struct lock_pool;

/* One page of a directory listing. */
struct ns_page {
    struct inode dir;      /* the listed directory; owned */
    struct inode *entries; /* n children sorted by name (bytewise); owned */
    size_t n;
    bool more; /* more children after entries[n - 1].name */
};

/* Returns a new namespace over @st (borrowed; must outlive it) with a lock
 * pool of @lock_stripes stripes. Creates the root on an empty store. Free
 * with ns_free(). Startup thread, before readers or apply start. */
struct ns *ns_new(struct store *st, unsigned lock_stripes);
void ns_free(struct ns *ns);

/* The path of inode @id into @out (at most @cap bytes with the NUL), by
 * its parents. Returns 0, BN_ENOTFOUND when @id is gone or no longer
 * reachable from the root (a deleted subtree), BN_EINVALPATH when the path
 * does not fit, or a store error. Apply thread (it reads what apply has
 * not committed yet). */
int ns_path_of(struct ns *ns, bn_ino id, char *out, size_t cap,
               char errmsg[BN_ERRMSG_SIZE]);

/* The status of @p into @out (free with inode_clear()). Returns 0,
 * BN_ENOTFOUND, BN_ENOTDIR (a parent is a file) or a store error, with the
 * reason in @errmsg. Any thread. */
int ns_stat(struct ns *ns, const struct path *p, struct inode *out,
            char errmsg[BN_ERRMSG_SIZE]);

/* ns_stat() of @path, a path as a client spells it (parsed and normalised
 * first: BN_EINVAL for a bad one). Any thread. */
int ns_stat_path(struct ns *ns, const char *path, struct inode *out,
                 char errmsg[BN_ERRMSG_SIZE]);

/* List up to @limit (1..NS_LIST_LIMIT_MAX) children of directory @p whose
 * names sort after @after (NULL or "" for the start) into @out; free with
 * ns_page_clear(). Returns 0, BN_ENOTFOUND, BN_ENOTDIR (@p is a file or a
 * parent is) or a store error. Holds no lock between pages. Any thread. */
int ns_list(struct ns *ns, const struct path *p, const char *after,
            size_t limit, struct ns_page *out, char errmsg[BN_ERRMSG_SIZE]);

/* Release a page; a zeroed page may be cleared. Any thread. */
void ns_page_clear(struct ns_page *page);

/* Apply command @c, decided at @now_ms, as raft entry @index, into @res
 * (which must be zeroed). The outcome is deterministic: every replica that
 * applies the same commands in the same order reaches the same state and
 * results. A command that fails changes nothing. Returns res->rc, except a
 * store failure (bn_err_apply_fatal(), errcode.h), which the caller must
 * treat as fatal for the replica. Apply thread only. */
int ns_apply(struct ns *ns, const struct cmd *c, int64_t now_ms, uint64_t index,
             struct cmd_result *res);

/* Whether ns_apply() applies @op (a row of OP_NS_MAP with an APPLY).
 * Any thread. */
bool ns_applies(int op);

/* Replace the whole store by the database file @src (store_replace())
 * while no reader is inside the namespace: readers wait meanwhile. Apply
 * thread. Returns 0 or an error. */
int ns_replace_store(struct ns *ns, const char *src,
                     char errmsg[BN_ERRMSG_SIZE]);

/* The lock pool (for tests). Any thread. */
struct lock_pool *ns_locks(struct ns *ns);

#endif /* BANYAN_SRC_NS_H */
