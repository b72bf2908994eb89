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
#include "errcode.h"

struct repl;
struct ns;
struct store;

struct repl_options {
    uint64_t node_id;
    const char *raft_listen; /* host:port of this node's raft transport */
    const char *dir;         /* raft log and snapshots */
    unsigned election_timeout_ms;
    unsigned heartbeat_timeout_ms;
    unsigned snapshot_threshold;
    unsigned snapshot_trailing;
    unsigned batch_max; /* commands per raft entry */
    unsigned request_timeout_ms;
};

/* Role of this node as raft sees it. */
enum repl_role {
    REPL_UNAVAILABLE = 0,
    REPL_FOLLOWER = 1,
    REPL_CANDIDATE = 2,
    REPL_LEADER = 3,
};

struct repl_info {
    int role; /* enum repl_role */
    uint64_t node_id;
    uint64_t term;
    uint64_t leader_id; /* 0: unknown */
    uint64_t commit_index;
    uint64_t applied_index;
    uint64_t last_index;
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

#endif /* BANYAN_SRC_REPL_H */
