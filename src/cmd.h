/*
 * cmd: the replicated operations (op.h rows with OP_F_REPL) as commands,
 * and their binary format.
 *
 * A command is one mutation with every argument decided by the leader
 * (owner, mode and defaults are filled in before it is proposed; the time
 * travels in the batch header), so apply is deterministic. Commands travel
 * in batches: one raft entry carries many commands, which is how banyan
 * amortises the fsync of the raft log. A command is a small common header
 * (op, flags, path, Idempotency-Key, If-Match) and the arguments of its op
 * (the union u; each op has its encoder and decoder in cmd.c, named by the
 * CODEC column of its row).
 *
 * Format 2 (little endian): header {u32 magic "BNCB", u32 version 2, u64
 * origin node id, u64 origin sequence, i64 now_ms, u32 count}, then count
 * commands, each a u32 length and {u8 op, u32 flags, str path, the
 * Idempotency-Key str when CMD_F_IDEM_KEY is set, u64 id and u64 version
 * when CMD_F_IF_MATCH is set, then the op's arguments (cmd.c)}, then
 * zeros up to a multiple of CMD_BATCH_ALIGN bytes: canonical/raft's on-disk
 * log wants entries of whole 8-byte words (an entry of another length is
 * written padded but fails its checksum when the segment is loaded again).
 * Format 1, magic "BNC1" and no version (every field of every op in one
 * layout), is what data dirs written before format 2 hold; it is still
 * decoded, never written. A batch of a newer version, or a command of an
 * op this node does not know, is refused with a message that says what
 * this node knows: apply treats that as fatal, never as a skip. Decoding
 * never trusts a length and never reads past the buffer.
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
#include "op.h"

#define CMD_MAGIC_V1    0x31434e42u /* "BNC1": format 1 */
#define CMD_MAGIC       0x42434e42u /* "BNCB": then the version */
#define CMD_VERSION     2u          /* the format this node writes */
#define CMD_BATCH_MAX   4096        /* commands per raft entry */
#define CMD_BATCH_ALIGN 8 /* bytes; raft log entries are whole words */

#define CMD_IDEM_KEY_MAX 255 /* bytes of an Idempotency-Key */

/* Flags of the common header: which optional fields a command carries. */
#define CMD_F_RECURSIVE  (1u << 0) /* create, delete */
#define CMD_F_MODE       (1u << 1) /* create, setattr: attr.mode, ... */
#define CMD_F_OWNER      (1u << 2)
#define CMD_F_GROUP      (1u << 3)
#define CMD_F_MTIME      (1u << 4)
#define CMD_F_TTL        (1u << 5)
#define CMD_F_TTL_ACTION (1u << 6)
#define CMD_F_PINNED     (1u << 7)
#define CMD_F_SIZE       (1u << 8)
#define CMD_F_BLOCK_SIZE (1u << 9)
#define CMD_F_IF_MATCH   (1u << 10) /* carries match_id, match_version */
#define CMD_F_XATTRS     (1u << 11)
#define CMD_F_IDEM_KEY   (1u << 12) /* carries idem_key */

struct cmd {
    int op;          /* enum op_id, a row with OP_F_REPL */
    uint32_t flags;  /* CMD_F_* */
    char *path;      /* normalised absolute path; owned; NULL for the
                      * cluster ops */
    char *idem_key;  /* CMD_F_IDEM_KEY: the client's Idempotency-Key; owned */
    bn_ino match_id; /* CMD_F_IF_MATCH: expected id and version */
    uint64_t match_version;
    /* The arguments of op (OP_DELETE and OP_UNMOUNT have none): u.create,
     * u.setattr, u.rename, ... (op.h's OP_ARGS_MAP). */
    union {
#define CMD__ARGS(TYPE, MEMBER) struct TYPE MEMBER;
        OP_ARGS_MAP(CMD__ARGS)
#undef CMD__ARGS
    } u;
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

/* Returns a new zeroed command of @op (a create or setattr's ttl_ms is
 * -1); free with cmd_free(). Any thread. */
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

/* Decode a batch of format 1 or 2. On success *cmds is a new array of
 * hdr->count new commands; free each with cmd_free() and the array with
 * free(). Returns 0 or BN_ECORRUPT with the reason in @errmsg (for a
 * version or an op this node does not know, the message says which and
 * what it knows). Any thread. */
int cmd_batch_decode(const void *buf, size_t len, struct cmd_batch_hdr *hdr,
                     struct cmd ***cmds, char errmsg[BN_ERRMSG_SIZE]);

/* Whether this node has an encoder and a decoder for @op. Any thread. */
bool cmd_op_known(int op);

/* Whether @op changes the namespace (ns_apply) rather than the mount
 * table or the cluster state. Any thread. */
bool cmd_op_is_ns(int op);

/* A 64-bit fingerprint of what @c asks for, without its Idempotency-Key:
 * two requests with the same key and different fingerprints are not
 * retries of one another. A namespace op hashes its format 1 layout, so
 * the fingerprints kept with the outcomes of keys did not change with the
 * format. Any thread. */
uint64_t cmd_fingerprint(const struct cmd *c);

#endif /* BANYAN_SRC_CMD_H */
