/*
 * op: every operation banyan serves, one row each (the X-macro OP_MAP).
 *
 * A row is X(ID, CODE, NAME, KIND, FLAGS, PERM, METRIC, CODEC, APPLY):
 * OP_ID's value CODE (for a replicated op, its code in the command log:
 * never change or reuse one), its stable NAME (error messages, audit lines,
 * the POST action of an OP_F_ACTION op), its kind (OP_K_*), its flags
 * (OP_F_*), the permission it will need (OP_PERM_*; issue 10 enforces it),
 * the latency histogram it counts in (one of OP_METRIC_MAP, or OTHER), its
 * command codec (cmd.c's enc_/dec_/clear_CODEC, which an op may share with
 * another of the same arguments: "path" is the path alone; "none" for an op
 * that is not a command) and its apply function (ns.c for the namespace rows,
 * fsm.c for the others; NULL when it is not replicated). The arguments of the
 * replicated ops are the structs below, members of struct cmd's union (cmd.h).
 * From these rows come the enum, the names, cmd.c's codecs, ns.c's and
 * fsm.c's apply dispatch, and the op, metric label and audit name of every
 * route in api/. How to add one: CONTRIBUTING.md.
 *
 * The table is constant: every function may be called from any thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_OP_H
#define BANYAN_SRC_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inode.h"

/* Kinds: what an op reads or changes. */
#define OP_K_NS      1 /* the namespace (ns.c applies it) */
#define OP_K_MOUNT   2 /* the mount table (fsm.c) */
#define OP_K_CLUSTER 3 /* the cluster state: nodes, keys, raft (fsm.c) */
#define OP_K_NODE    4 /* this node only: health, metrics, the dashboard */

/* Flags. */
#define OP_F_WRITE  (1u << 0) /* changes state; the leader serves it */
#define OP_F_REPL   (1u << 1) /* a command in the raft log (has a codec) */
#define OP_F_AUDIT  (1u << 2) /* a request for it gets an audit line */
#define OP_F_ACTION (1u << 3) /* served as POST /api/v1/paths/{path}/NAME */

/* The flags of most rows. */
#define OP_READ           0u
#define OP_WRITE_CMD      (OP_F_WRITE | OP_F_REPL | OP_F_AUDIT)
#define OP_WRITE_INTERNAL (OP_F_WRITE | OP_F_REPL)  /* the leader's own */
#define OP_WRITE_REQ      (OP_F_WRITE | OP_F_AUDIT) /* not one command */

/* clang-format off */
/* The namespace. HDFS: creating, deleting or renaming an entry needs write
 * (and traverse) on its parent; chmod, chown and the other attributes need
 * the owner (chown of the user: the superuser); a status needs traverse on
 * the ancestors; a listing needs read and traverse on the directory. */
#define OP_NS_MAP(X)                                                           \
    X(CREATE, 1, "create", OP_K_NS, OP_WRITE_CMD,                              \
      WRITE_PARENT, CREATE, create, apply_create)                              \
    X(SETATTR, 2, "setattr", OP_K_NS, OP_WRITE_CMD,                            \
      OWNER, SETATTR, setattr, apply_setattr)                                  \
    X(DELETE, 3, "delete", OP_K_NS, OP_WRITE_CMD,                              \
      WRITE_PARENT, DELETE, path, apply_delete)                              \
    X(RENAME, 4, "rename", OP_K_NS, OP_WRITE_CMD | OP_F_ACTION,                \
      WRITE_PARENT, RENAME, rename, apply_rename)                              \
    /* A create of a directory: proposed as OP_CREATE. */                      \
    X(MKDIR, 32, "mkdir", OP_K_NS, OP_WRITE_REQ,                               \
      WRITE_PARENT, MKDIR, none, NULL)                                         \
    X(STAT, 33, "stat", OP_K_NS, OP_READ,                                      \
      TRAVERSE, STAT, none, NULL)                                              \
    X(LIST, 34, "list", OP_K_NS, OP_READ,                                      \
      READ_DIR, LIST, none, NULL)

/* The mount table (Alluxio: mount and unmount are the superuser's). */
#define OP_MOUNT_MAP(X)                                                        \
    X(MOUNT, 10, "mount", OP_K_MOUNT, OP_WRITE_CMD,                            \
      SUPERUSER, OTHER, mount, apply_mount)                                    \
    X(UNMOUNT, 11, "unmount", OP_K_MOUNT, OP_WRITE_CMD,                        \
      SUPERUSER, OTHER, path, apply_unmount)                                \
    /* Re-read the under storage: proposed as namespace commands. */           \
    X(SYNC, 40, "sync", OP_K_MOUNT, OP_WRITE_REQ | OP_F_ACTION,                \
      READ_DIR, OTHER, none, NULL)                                             \
    X(MOUNT_LIST, 41, "mount-list", OP_K_MOUNT, OP_READ,                       \
      TRAVERSE, OTHER, none, NULL)

/* The cluster: replicated state, raft membership, the lease round. */
#define OP_CLUSTER_MAP(X)                                                      \
    X(NODE_PUT, 5, "node-put", OP_K_CLUSTER, OP_WRITE_INTERNAL,                \
      PEER, OTHER, node_put, apply_node_put)                                   \
    X(NODE_DEL, 6, "node-del", OP_K_CLUSTER, OP_WRITE_INTERNAL,                \
      PEER, OTHER, node_del, apply_node_del)                                   \
    X(IDEM_EXPIRE, 7, "idempotency-expire", OP_K_CLUSTER, OP_WRITE_INTERNAL,   \
      PEER, OTHER, idem_expire, apply_idem_expire)                             \
    X(CLUSTER_INFO, 48, "cluster-info", OP_K_CLUSTER, OP_READ,                 \
      NONE, OTHER, none, NULL)                                                 \
    X(CLUSTER_SELF, 49, "cluster-self", OP_K_CLUSTER, OP_READ,                 \
      NONE, OTHER, none, NULL)                                                 \
    X(LEASE, 50, "lease", OP_K_CLUSTER, OP_READ,                               \
      PEER, OTHER, none, NULL)                                                 \
    X(CHECKSUM, 51, "checksum", OP_K_CLUSTER, OP_READ,                         \
      PEER, OTHER, none, NULL)                                                 \
    X(SNAPSHOT, 52, "snapshot", OP_K_CLUSTER, OP_READ,                         \
      PEER, OTHER, none, NULL)                                                 \
    X(NODE_ADD, 53, "node-add", OP_K_CLUSTER, OP_WRITE_REQ,                    \
      SUPERUSER, OTHER, none, NULL)                                            \
    X(NODE_ASSIGN, 54, "node-assign", OP_K_CLUSTER, OP_WRITE_REQ,              \
      SUPERUSER, OTHER, none, NULL)                                            \
    X(NODE_REMOVE, 55, "node-remove", OP_K_CLUSTER, OP_WRITE_REQ,              \
      SUPERUSER, OTHER, none, NULL)                                            \
    X(TRANSFER, 56, "transfer", OP_K_CLUSTER, OP_WRITE_REQ,                    \
      SUPERUSER, OTHER, none, NULL)

/* This node's own endpoints. OTHER is a request that no row names (a POST
 * of an unknown action): audited, like any request to a write route. */
#define OP_NODE_MAP(X)                                                         \
    X(OTHER, 59, "other", OP_K_NODE, OP_F_AUDIT,                                \
      NONE, OTHER, none, NULL)                                                 \
    X(HEALTH, 60, "health", OP_K_NODE, OP_READ,                                \
      NONE, OTHER, none, NULL)                                                 \
    X(READY, 61, "ready", OP_K_NODE, OP_READ,                                  \
      NONE, OTHER, none, NULL)                                                 \
    X(METRICS, 62, "metrics", OP_K_NODE, OP_READ,                              \
      NONE, OTHER, none, NULL)                                                 \
    X(WEB, 63, "web", OP_K_NODE, OP_READ,                                      \
      NONE, OTHER, none, NULL)
/* clang-format on */

#define OP_MAP(X) OP_NS_MAP(X) OP_MOUNT_MAP(X) OP_CLUSTER_MAP(X) OP_NODE_MAP(X)

/* The ops with a latency histogram of their own
 * (banyan_operation_duration_seconds{op}, labelled with the op's NAME), in
 * the order /metrics renders them, OTHER last; every row's METRIC column
 * names one of these. */
#define OP_METRIC_MAP(X)                                                       \
    X(STAT) X(LIST) X(CREATE) X(MKDIR) X(SETATTR) X(DELETE) X(RENAME)

/* The histograms (metrics.c): OTHER is 0, so a zeroed request carries "not
 * classified yet". */
enum op_metric {
    OP_METRIC_OTHER = 0,
#define OP__METRIC(ID) OP_METRIC_##ID,
    OP_METRIC_MAP(OP__METRIC)
#undef OP__METRIC
    OP_METRIC_COUNT,
};

enum op_id {
#define OP__ENUM(ID, CODE, ...) OP_##ID = CODE,
    OP_MAP(OP__ENUM)
#undef OP__ENUM
};

#define OP_ID_MAX 64 /* every id is below it (op.c checks) */

/* The permissions (HDFS semantics; the caller's check is issue 10's). */
enum op_perm {
    OP_PERM_NONE = 0,     /* anyone */
    OP_PERM_TRAVERSE,     /* execute on every ancestor directory */
    OP_PERM_READ_DIR,     /* read and execute on the directory */
    OP_PERM_WRITE_PARENT, /* write and execute on the parent directory */
    OP_PERM_OWNER,        /* the owner of the inode, or the superuser */
    OP_PERM_SUPERUSER,    /* the superuser (group) */
    OP_PERM_PEER,         /* a cluster peer's credential, or the superuser */
};

/* ---- the arguments of each op (cmd.h's union) ------------------------ */

/* The attributes a create sets or a setattr changes (the command's CMD_F_*
 * flags say which count). */
struct op_attr {
    uint32_t mode;
    char *owner; /* owned */
    char *group; /* owned */
    uint64_t size;
    uint64_t block_size;
    int64_t mtime_ms;
    int64_t ttl_ms; /* -1 clears the ttl */
    int ttl_action; /* enum inode_ttl_action */
    bool pinned;
    struct xattr *xattrs; /* value NULL removes the key; owned */
    size_t n_xattrs;
};

/* OP_CREATE: create path (CMD_F_RECURSIVE: and its missing parents). */
struct op_create {
    int type; /* enum inode_type */
    struct op_attr attr;
};

/* OP_RENAME: rename path to @to. */
struct op_rename {
    char *to; /* normalised destination; owned */
};

/* OP_NODE_PUT: node @node_id has these addresses. */
struct op_node_put {
    uint64_t node_id;
    char *http; /* owned */
    char *raft; /* owned */
};

/* OP_NODE_DEL: forget node @node_id's addresses. */
struct op_node_del {
    uint64_t node_id;
};

/* OP_IDEM_EXPIRE: forget Idempotency-Keys older than @before_ms, then all
 * but the newest @keep. */
struct op_idem_expire {
    int64_t before_ms;
    uint64_t keep;
};

/* OP_MOUNT: mount @uri (canonical) at path; the mount point is created
 * with @owner and @group when missing. */
struct op_mount {
    char *uri; /* owned */
    bool read_only;
    char *owner; /* owned */
    char *group; /* owned */
};

/* The members of struct cmd's union (cmd.h): X(TYPE, MEMBER). An op whose
 * arguments are new adds its struct above and its member here. */
#define OP_ARGS_MAP(X)                                                         \
    X(op_create, create)                                                       \
    X(op_attr, setattr)                                                        \
    X(op_rename, rename)                                                       \
    X(op_node_put, node_put)                                                   \
    X(op_node_del, node_del)                                                   \
    X(op_idem_expire, idem_expire)                                             \
    X(op_mount, mount)

/* One row. */
struct op_info {
    int id;           /* enum op_id */
    const char *name; /* stable */
    int kind;         /* OP_K_* */
    unsigned flags;   /* OP_F_* */
    int perm;         /* enum op_perm */
    int metric;       /* enum op_metric */
};

/* The rows, indexed by id (a hole has name NULL). */
extern const struct op_info op_table[OP_ID_MAX];

/* The row of @op, or NULL when it is none. */
const struct op_info *op_get(int op);

/* The stable name of @op ("create", ...; "unknown" when it is none). */
const char *op_name(int op);

/* The flags of @op (0 when it is none). */
unsigned op_flags(int op);

/* The kind of @op (0 when it is none). */
int op_kind(int op);

/* The permission @op needs (OP_PERM_NONE when it is none). */
int op_perm(int op);

/* The name of @perm ("write-parent", ...). */
const char *op_perm_name(int perm);

/* The latency label of @op (enum op_metric; OP_METRIC_OTHER when it is
 * none). */
int op_metric(int op);

/* The op served as POST .../@action (an OP_F_ACTION row's name), or
 * OP_OTHER. */
int op_from_action(const char *action);

/* Write into @buf (of @size bytes) the names of the replicated ops,
 * separated by spaces, for an error message. */
void op_list_replicated(char *buf, size_t size);

#endif /* BANYAN_SRC_OP_H */
