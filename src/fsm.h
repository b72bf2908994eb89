/*
 * fsm: banyan's raft state machine (struct raft_fsm).
 *
 * apply decodes one raft entry, a batch of commands (cmd.h), applies each
 * with ns_apply() inside the store's open transaction, records the entry's
 * index with the data, then hands the results to the deliver callback
 * (repl.c matches them with the requests waiting on this node). Entries
 * share a transaction (group commit): it commits after FSM_GROUP_ENTRIES
 * entries or when fsm_flush() finds it FSM_GROUP_MS old; readers see the
 * uncommitted inodes through the store's cache meanwhile.
 * Entries at or below the index the store already holds are skipped, so
 * the replay after a restart is exact. A decode or store failure means this
 * replica can no longer follow the log: it panics rather than diverge.
 *
 * Besides the namespace (ns_apply), apply keeps the cluster state in the
 * same store: the nodes' addresses (OP_NODE_PUT/DEL) and the outcomes of
 * writes that carried an Idempotency-Key. A write whose key is remembered
 * is not executed again: its result is the remembered outcome (or
 * conflict, when the key came with a different request).
 *
 * Snapshots are small: the store is the state, so a snapshot makes the
 * store durable up to the applied index and records that index, with the
 * id and HTTP address of the node that took it; raft may then compact its
 * log. Restoring a snapshot ahead of the store (a node too far behind, or
 * a new one) calls the fetch hook, which downloads a checkpoint of the
 * store from a peer; the fsm then swaps it in (ns_replace_store()).
 *
 * All callbacks run on the raft loop thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_FSM_H
#define BANYAN_SRC_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"

struct fsm;
struct ns;
struct store;
struct raft;
struct raft_fsm;

/* Called on the loop thread after a batch from @origin/@seq is applied and
 * committed. Takes ownership of @results (n results; free each with
 * cmd_result_free() and the array with free()). */
typedef void (*fsm_deliver_fn)(void *arg, uint64_t origin, uint64_t seq,
                               struct cmd_result **results, size_t n);

/* Returns a new state machine over @ns and @st (borrowed); free with
 * fsm_free() after raft is closed. */
struct fsm *fsm_new(struct ns *ns, struct store *st, fsm_deliver_fn deliver,
                    void *arg);
void fsm_free(struct fsm *f);

/* The raft_fsm to pass to raft_init(); borrowed from @f. */
struct raft_fsm *fsm_raft(struct fsm *f);

/* The mount table that OP_MOUNT/OP_UNMOUNT change and that is reloaded
 * after a snapshot is installed (borrowed; before raft starts). */
struct mount_table;
void fsm_set_mounts(struct fsm *f, struct mount_table *mt);

/* Tell the fsm which raft instance drives it (for the entry index). */
void fsm_set_raft(struct fsm *f, struct raft *r);

/* What the fsm needs from the node around it beyond apply. */
struct fsm_hooks {
    uint64_t node_id; /* written into snapshots */
    const char *http; /* this node's HTTP address; copied */
    /* A node's addresses changed (http NULL: the node was forgotten). */
    void (*node)(void *arg, uint64_t id, const char *http, const char *raft);
    /* Download into the new file @path a checkpoint of the store at index
     * @index or later, from node @origin at @origin_http or from whichever
     * peer has one. Returns 0 or an error with the reason. */
    int (*fetch)(void *arg, uint64_t index, uint64_t origin,
                 const char *origin_http, const char *path,
                 char errmsg[BN_ERRMSG_SIZE]);
    const char *fetch_path; /* where downloads go; copied */
    void *arg;
};

/* Whether apply has an apply function for @op (every replicated op must).
 * Any thread. */
bool fsm_applies(int op);

/* Set the hooks (before raft starts). */
void fsm_set_hooks(struct fsm *f, const struct fsm_hooks *h);

/* Longest an applied entry waits for its store transaction to commit. */
#define FSM_GROUP_MS 5

/* Commit the open store transaction if it has lived FSM_GROUP_MS, or at
 * once with @force. Returns 0 or a store error. Apply thread only. */
int fsm_flush(struct fsm *f, bool force, char errmsg[BN_ERRMSG_SIZE]);

/* Whether applied entries wait in an open transaction. Apply thread. */
bool fsm_has_open_txn(const struct fsm *f);

/* Apply one encoded batch as entry @index directly (for tests and for
 * apply itself). Returns 0 or a fatal store error. Apply thread only. */
int fsm_apply_batch(struct fsm *f, const void *buf, size_t len, uint64_t index,
                    char errmsg[BN_ERRMSG_SIZE]);

#endif /* BANYAN_SRC_FSM_H */
