/*
 * cmd: the replicated operations and their binary format.
 *
 * A command is one namespace mutation with every argument decided by the
 * leader (owner, mode and defaults are filled in before it is proposed;
 * the time travels in the batch header), so apply is deterministic.
 * Commands travel in batches: one raft entry carries many commands, which
 * is how banyan amortises the fsync of the raft log.
 *
 * Format (little endian): header {u32 magic "BNC1", u64 origin node id,
 * u64 origin sequence, i64 now_ms, u32 count} then count commands, each a
 * u32 length followed by the command's fields (after the fixed ones: the
 * Idempotency-Key when CMD_F_IDEM_KEY is set, and the node id of the node
 * ops), then zeros up to a multiple
 * of CMD_BATCH_ALIGN bytes: canonical/raft's on-disk log wants entries of
 * whole 8-byte words (an entry of another length is written padded but
 * fails its checksum when the segment is loaded again). Decoding never
 * trusts a length and never reads past the buffer.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_CMD_H
#define BANYAN_SRC_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errcode.h"
#include "inode.h"

#define CMD_MAGIC       0x31434e42u /* "BNC1" */
#define CMD_BATCH_MAX   4096        /* commands per raft entry */
#define CMD_BATCH_ALIGN 8 /* bytes; raft log entries are whole words */

enum cmd_op {
    CMD_CREATE = 1,  /* create path (type, mode, owner, ...) */
    CMD_SETATTR = 2, /* set the attributes named in flags */
    CMD_DELETE = 3,  /* delete path (CMD_F_RECURSIVE) */
    CMD_RENAME = 4,  /* rename path to @to */
    /* Cluster state (fsm.c applies them, not ns.c). */
    CMD_NODE_PUT = 5,    /* node @node_id has HTTP address @path and raft
                          * address @to */
    CMD_NODE_DEL = 6,    /* forget node @node_id's addresses */
    CMD_IDEM_EXPIRE = 7, /* forget Idempotency-Keys older than @mtime_ms,
                          * then all but the newest @size */
    /* The mount table (fsm.c applies them; mount.h). */
    CMD_MOUNT = 10,   /* mount @to (a canonical under-storage URI) at
                       * @path, read-only when @pinned; the mount point is
                       * created (with @owner/@group) when missing */
    CMD_UNMOUNT = 11, /* unmount @path and remove its subtree */
};

#define CMD_IDEM_KEY_MAX 255 /* bytes of an Idempotency-Key */

/* Which optional fields a command carries. */
#define CMD_F_RECURSIVE  (1u << 0)
#define CMD_F_MODE       (1u << 1)
#define CMD_F_OWNER      (1u << 2)
#define CMD_F_GROUP      (1u << 3)
#define CMD_F_MTIME      (1u << 4)
#define CMD_F_TTL        (1u << 5)
#define CMD_F_TTL_ACTION (1u << 6)
#define CMD_F_PINNED     (1u << 7)
#define CMD_F_SIZE       (1u << 8)
#define CMD_F_BLOCK_SIZE (1u << 9)
#define CMD_F_IF_MATCH   (1u << 10)
#define CMD_F_XATTRS     (1u << 11)
#define CMD_F_IDEM_KEY   (1u << 12) /* carries idem_key */

struct cmd {
    int op;         /* enum cmd_op */
    int type;       /* CMD_CREATE: enum inode_type */
    uint32_t flags; /* CMD_F_* */
    char *path;     /* normalised absolute path; owned */
    char *to;       /* CMD_RENAME: normalised destination; owned */
    uint32_t mode;
    char *owner; /* owned */
    char *group; /* owned */
    uint64_t size;
    uint64_t block_size;
    int64_t mtime_ms;
    int64_t ttl_ms; /* -1 clears the ttl */
    int ttl_action;
    bool pinned;
    bn_ino match_id; /* CMD_F_IF_MATCH: expected id and version */
    uint64_t match_version;
    struct xattr *xattrs; /* value NULL removes the key; owned */
    size_t n_xattrs;
    char *idem_key;   /* CMD_F_IDEM_KEY: the client's Idempotency-Key; owned */
    uint64_t node_id; /* CMD_NODE_PUT, CMD_NODE_DEL */
};

struct cmd_batch_hdr {
    uint64_t origin; /* node id of the leader that proposed the batch */
    uint64_t seq;    /* that leader's batch sequence number */
    int64_t now_ms;  /* the leader's clock when it proposed the batch */
    uint32_t count;
};

/* The outcome of applying one command. */
struct cmd_result {
    int rc;                      /* 0 or BN_E* */
    char errmsg[BN_ERRMSG_SIZE]; /* the reason when rc != 0 */
    bool has_ino;                /* ino holds the inode after the change */
    struct inode ino;            /* owned */
    uint64_t index;              /* raft index that applied it */
    bool replayed; /* the outcome of an earlier write with the same
                    * Idempotency-Key, not a second execution */
};

/* Returns a new zeroed command; free with cmd_free(). Any thread. */
struct cmd *cmd_new(int op);

/* Free what @c owns and zero it (for a command on the stack). */
void cmd_clear(struct cmd *c);

/* Free @c and everything it owns; cmd_free(NULL) does nothing. */
void cmd_free(struct cmd *c);

/* Returns a new zeroed result; free with cmd_result_free(). */
struct cmd_result *cmd_result_new(void);
void cmd_result_free(struct cmd_result *res);

/* Encode @n commands with @hdr (whose count is ignored; n is used) into a
 * new buffer of *len bytes allocated with @alloc (raft_malloc or malloc).
 * Any thread. */
void *cmd_batch_encode(const struct cmd *const *cmds, size_t n,
                       const struct cmd_batch_hdr *hdr, void *(*alloc)(size_t),
                       size_t *len);

/* Decode a batch. On success *cmds is a new array of hdr->count new
 * commands; free each with cmd_free() and the array with free(). Returns 0
 * or BN_ECORRUPT with the reason in @errmsg. Any thread. */
int cmd_batch_decode(const void *buf, size_t len, struct cmd_batch_hdr *hdr,
                     struct cmd ***cmds, char errmsg[BN_ERRMSG_SIZE]);

/* The name of an op ("create", "rename", ...). Any thread. */
const char *cmd_op_name(int op);

/* Whether @op changes the namespace (ns_apply) rather than the cluster
 * state. Any thread. */
bool cmd_op_is_ns(int op);

/* A 64-bit fingerprint of what @c asks for, without its Idempotency-Key:
 * two requests with the same key and different fingerprints are not
 * retries of one another. Any thread. */
uint64_t cmd_fingerprint(const struct cmd *c);

#endif /* BANYAN_SRC_CMD_H */
