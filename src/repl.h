/*
 * repl: the replication loop. canonical/raft (libraft) runs with its libuv
 * TCP transport and disk I/O on a dedicated loop thread that this module
 * owns; everything that touches the raft object runs on that thread.
 *
 * Any thread submits a mutation with repl_submit(); the command goes into a
 * queue and the loop is woken with uv_async_send. Because wake-ups
 * coalesce, the loop drains the whole queue and proposes up to batch_max
 * commands as one raft entry (one fsync for many writes). When the entry is
 * applied (fsm.c), each command's result is handed to its callback on the
 * loop thread. A command that cannot be proposed (no leader, shutting down)
 * or that is not applied within the request timeout completes with
 * BN_EUNAVAIL.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_REPL_H
#define BANYAN_SRC_REPL_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd.h"
#include "config.h"
#include "errcode.h"
#include "repl_types.h"

struct repl;
struct ns;
struct store;

struct mount_table;

struct repl_options {
    uint64_t node_id;
    const char *raft_listen; /* host:port of this node's raft transport */
    const char *http;        /* host:port of this node's HTTP API */
    const char *dir;         /* raft log and snapshots */
    const struct config_member *members; /* initial members (borrowed) */
    size_t n_members;                    /* 0: this node alone */
    bool join;                           /* start empty, wait to be added */
    const char *fetch_path;              /* where a snapshot download goes */
    unsigned snapshot_timeout_ms;
    uint64_t idempotency_keys; /* remembered outcomes, at most */
    uint64_t idempotency_ttl_ms;
    struct mount_table *mounts; /* borrowed; the fsm keeps it current */
    /* The root mount of the config ([mounts] root_ufs, canonical; NULL or
     * "": none): a new leader mounts it at / when / is not mounted yet,
     * and logs an error when / is mounted on another URI. Borrowed. */
    const char *root_ufs;
    bool root_read_only;
    const char *owner; /* of the root mount's inodes (borrowed) */
    const char *group;
    unsigned election_timeout_ms;
    unsigned heartbeat_timeout_ms;
    unsigned snapshot_threshold;
    unsigned snapshot_trailing;
    unsigned batch_max; /* commands per raft entry */
    unsigned request_timeout_ms;
};

/* Called on the loop thread with the outcome of a submitted command.
 * Takes ownership of @res (free with cmd_result_free()). */
typedef void (*repl_done_cb)(void *arg, struct cmd_result *res);

/* Open the raft state in opts->dir (bootstrapping a single-voter cluster on
 * first start), start the loop thread and the raft node over @ns and @st
 * (borrowed; they must outlive the repl). Returns 0 and *out, or an error
 * with the reason in @errmsg. Startup thread. */
int repl_start(struct repl **out, const struct repl_options *opts,
               struct ns *ns, struct store *st, char errmsg[BN_ERRMSG_SIZE]);

/* Stop accepting commands, complete the queued ones with BN_EUNAVAIL, close
 * raft, commit the store, stop and join the loop thread, and free @r.
 * Not from the loop thread. */
void repl_stop(struct repl *r);

/* Propose @c. Takes ownership of @c, also when it fails. Returns 0 and
 * calls @cb exactly once later, on the loop thread; or returns BN_EUNAVAIL
 * (shutting down, not the leader) and never calls @cb. Any thread. */
int repl_submit(struct repl *r, struct cmd *c, repl_done_cb cb, void *arg);

/* A consistent copy of the node's raft state. Any thread. */
void repl_get_info(struct repl *r, struct repl_info *out);

/* Whether this node leads and has applied everything it committed before
 * it took the lead, i.e. can serve linearizable reads and writes.
 * Any thread. */
bool repl_is_ready(struct repl *r);

/* This node's role (enum repl_role); when it does not lead, the leader's
 * id (0: unknown) and HTTP address ("" when unknown) into the optional
 * @leader_id and @leader_http. Cheaper than repl_get_info(). Any thread. */
int repl_role(struct repl *r, uint64_t *leader_id,
              char leader_http[CONFIG_ADDR_MAX + 1]);

/* The term this node is in (as persisted: it changes before the node acts
 * in a new term). Any thread. */
uint64_t repl_current_term(struct repl *r);

/* The current term when this node is the ready leader, else 0. Any
 * thread. */
uint64_t repl_leading_term(struct repl *r);

/* Whether a linearizable read may be served at once: this node is the
 * ready leader and the only voter, or holds a read lease. Any thread. */
bool repl_read_local(struct repl *r);

/* Read leases (README, "Reads"; repl_lease.c). A leader whose
 * confirmation round began at time t and was confirmed in its term by a
 * majority, each of whose followers granted a lease of at least g ms,
 * serves linearizable reads without another round until t + 70% of g. A
 * follower that grants a lease of g (repl_grant_lease) neither votes for
 * another candidate nor stands for election during g from when it got the
 * request, so no other leader can be elected before then; the remaining
 * 30% covers clock rate drift between nodes (at most 10%) and a margin.
 * Leases stop while a leadership transfer runs; a node starting up keeps
 * out of elections for one election timeout, the longest lease it grants,
 * since it may have granted one before a crash. */

/* Follower side: when @term is this node's current term, grant a lease of
 * @ms clamped to this node's election timeout: no vote for another
 * candidate, and no candidacy, until it runs out. *granted_ms gets what was
 * granted (0: nothing). Returns the current term after the promise (the
 * leader counts the answer only if it equals its term). Any thread. */
uint64_t repl_grant_lease(struct repl *r, uint64_t term, unsigned ms,
                          unsigned *granted_ms);

/* Wait for a linearizable read: @cb gets rc 0 once this node's leadership
 * is confirmed by a round that began after the call (at once when it is
 * the only voter: then @cb runs before this returns), or BN_EUNAVAIL.
 * Any thread. */
void repl_read(struct repl *r, repl_done_cb cb, void *arg);

/* Start a membership operation; @cb gets its outcome (rc 0, or BN_E*
 * with the reason) on the loop thread. Returns 0, or BN_EUNAVAIL when this
 * node is not the leader (@cb is not called). Any thread. */
int repl_admin(struct repl *r, const struct repl_admin_req *req,
               repl_done_cb cb, void *arg);

/* The HTTP address of node @id into @out; false when unknown. Any
 * thread. */
bool repl_node_http(struct repl *r, uint64_t id, char out[CONFIG_ADDR_MAX + 1]);

/* Confirmation rounds run and reads they served. Any thread. */
void repl_read_stats(struct repl *r, uint64_t *rounds, uint64_t *reads);

#endif /* BANYAN_SRC_REPL_H */
