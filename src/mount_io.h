/*
 * mount_io: what the engine does around a namespace operation under a
 * mount, the same for every front end (native REST today, the Alluxio and
 * WebHDFS surfaces next). Before a read it loads the path from its under
 * storage (or syncs it, by the request's policy); before a write it fills
 * the create defaults, checks the mount rules (read-only mounts, renames
 * between mounts, writes over a mount point) and, with write_type through,
 * makes the change in the under storage first; on request it syncs a
 * subtree (usync.h). Only the leader talks to the under storage: a prepare
 * call on another node returns BN_ENOTLEADER for the caller to redirect.
 *
 * A prepare call is cheap and synchronous (a look at the mount table and,
 * under a mount, at the namespace). What is slow (under-storage I/O, and
 * proposals that wait for raft) becomes a job that mount_io_start() runs
 * on one of this module's worker threads, so no front-end thread waits
 * for it. A started job answers exactly once: with its outcome, or with
 * BN_EUNAVAIL when the request timeout passes first; the job then goes on
 * to its end on the worker and its outcome is dropped.
 *
 * Threads: any thread but the raft loop, unless a function says otherwise.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_MOUNT_IO_H
#define BANYAN_SRC_MOUNT_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "errcode.h"
#include "inode.h"
#include "mount_info.h"
#include "usync.h"

#define MOUNT_IO_WORKERS   4    /* threads that run jobs */
#define MOUNT_IO_QUEUE_MAX 1024 /* jobs waiting for a worker, at most */

struct mount_table;
struct ns;
struct repl;

struct mount_io_opts {
    struct ns *ns;              /* borrowed; outlives the module */
    struct repl *repl;          /* borrowed; NULL: no raft, nothing loads */
    struct mount_table *mounts; /* borrowed; NULL: no mounts */
    /* The owner and group of created inodes (the config's default_owner
     * and default_group: the one place they are decided); copied. */
    const char *owner;
    const char *group;
    /* The write type of writes that do not name one: "through" or
     * "cache_only"; copied. NULL: through. */
    const char *write_type;
    unsigned timeout_ms; /* a started job answers by then (0: no limit) */
    unsigned workers;    /* 0: MOUNT_IO_WORKERS */
    /* Tests replace raft: @submit like repl_submit() and @leads for "this
     * node leads", both with @hook_arg. NULL: repl's. */
    int (*submit)(void *arg, struct cmd *c,
                  void (*cb)(void *cb_arg, struct cmd_result *res),
                  void *cb_arg);
    bool (*leads)(void *arg);
    void *hook_arg;
};

struct mount_io;
struct mount_io_job;

/* The outcome of a started job: @res (owned by the callee; free with
 * cmd_result_free()) holds rc 0 or the error with its reason, and for a
 * write the applied command's result; @st what the job synced (NULL when
 * it synced nothing). */
typedef void (*mount_io_done_fn)(void *arg, struct cmd_result *res,
                                 const struct usync_stats *st);

/* Life cycle */

/* Start the workers. Returns 0 and *out (free with mount_io_free()), or
 * BN_EIO with the reason. Startup thread. */
int mount_io_new(const struct mount_io_opts *o, struct mount_io **out,
                 char errmsg[BN_ERRMSG_SIZE]);

/* Stop: running syncs stop before their next proposal, jobs still queued
 * answer BN_EUNAVAIL, the workers are joined. Call it before the repl and
 * the namespace go. mount_io_free(NULL) does nothing. Main thread. */
void mount_io_free(struct mount_io *mio);

/* The default owner and group (borrowed, valid until mount_io_free()). */
const char *mount_io_owner(const struct mount_io *mio);
const char *mount_io_group(const struct mount_io *mio);

/* Preparing an operation */

/* Fill the defaults of create @c for what the request left out (no
 * CMD_F_* flag): mode 0755 for a directory and 0644 for a file, the
 * default owner and group; a file also carries its size and block size.
 * mount_io_prepare_write() calls it: apply reads no config. */
void mount_io_fill_create(const struct mount_io *mio, struct cmd *c);

/* Before a linearizable read of normalised @path (a listing when @list)
 * under the sync policy @sync_ms (usync_parse_policy(): -1 never, 0
 * always, else an interval): returns 0 with *job NULL when the read can be
 * served now from the namespace, 0 with a new *job to start first (a load
 * of what the namespace lacks, or a sync), BN_ENOTLEADER when that job
 * needs the leader and this node is not it. */
int mount_io_prepare_read(struct mount_io *mio, const char *path, bool list,
                          int64_t sync_ms, struct mount_io_job **job,
                          char errmsg[BN_ERRMSG_SIZE]);

/* Before write @c (OP_CREATE, OP_DELETE or OP_RENAME; borrowed, and
 * changed: create defaults, the cache_only mark) with write type
 * @write_type ("through", "cache_only"; NULL: the default): returns 0 with
 * *job NULL when @c can be proposed now, 0 with a new *job that makes the
 * change in the under storage first (start it with @c), BN_ENOTLEADER on
 * another node than the leader for a write under a mount, or BN_EMOUNT
 * (deleting or renaming a mount point or a directory above one),
 * BN_ECROSSMOUNT, BN_EREADONLY, BN_EINVAL (a bad write type). */
int mount_io_prepare_write(struct mount_io *mio, struct cmd *c,
                           const char *write_type, struct mount_io_job **job,
                           char errmsg[BN_ERRMSG_SIZE]);

/* A sync of normalised @path (@recursive: its whole subtree) with its
 * under storage: returns 0 and a new *job, BN_ENOTLEADER (the leader's
 * mount table decides: a follower's may lag) or BN_ENOTMOUNT. */
int mount_io_prepare_sync(struct mount_io *mio, const char *path,
                          bool recursive, struct mount_io_job **job,
                          char errmsg[BN_ERRMSG_SIZE]);

/* A mount of @uri at normalised @path, @read_only or not: checks the URI
 * (its driver opens it), the mount rules (mount_check()) and, inside the
 * root mount, that the mount point is no file there; returns 0 and the
 * OP_MOUNT to propose in *out (free with cmd_free()), BN_ENOTLEADER, or
 * the error (BN_EINVAL, BN_EMOUNT, BN_EUFS). */
int mount_io_prepare_mount(struct mount_io *mio, const char *path,
                           const char *uri, bool read_only, struct cmd **out,
                           char errmsg[BN_ERRMSG_SIZE]);

/* Run @job on a worker and then, when @c is not NULL, propose @c; @done
 * gets the job's failure, @c's applied result or rc 0, or BN_EUNAVAIL
 * when the request timeout passes first or the module stops. With @job
 * NULL (a prepare call found nothing to do) @c is proposed at once. Calls
 * @done exactly once, on a worker, the raft loop, the timer thread, or
 * (queue full: BN_EBUSY; no leader) before it returns. Takes ownership of
 * @job and @c; @job or @c may be NULL, not both. A front end thus calls
 * one prepare function, then this. */
void mount_io_start(struct mount_io *mio, struct mount_io_job *job,
                    struct cmd *c, mount_io_done_fn done, void *arg);

/* Free a job that was not started; NULL does nothing. */
void mount_io_job_free(struct mount_io_job *job);

/* Status views */

/* The mount fields of the status of @ino at normalised @path into @out
 * (clear with mount_io_view_clear()); out->mount_id is 0 outside mounts. */
void mount_io_view(struct mount_io *mio, const struct inode *ino,
                   const char *path, struct mount_view *out);

/* The views of the @n entries of one listing page of directory @dir, with
 * one look at the mount table: a new array (free with mount_io_views_free()),
 * or NULL when no entry lies under a mount. */
struct mount_view *mount_io_view_page(struct mount_io *mio, const char *dir,
                                      const struct inode *entries, size_t n);

void mount_io_view_clear(struct mount_view *v);
void mount_io_views_free(struct mount_view *v, size_t n);

#endif /* BANYAN_SRC_MOUNT_IO_H */
