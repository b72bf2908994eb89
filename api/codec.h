/*
 * codec: banyan's values <-> JSON text, a pure translator: it takes and
 * fills structs and knows no engine module (no namespace, store, mounts
 * or raft; the caller resolves what an answer shows, such as the mount
 * fields of a status, once per request or page). Its files are the only
 * ones that include <jansson.h> (codec.c, codec_inode.c, codec_cluster.c,
 * codec_mount.c; codec_int.h is theirs); json_t never leaves them.
 *
 * Encoders return a new NUL-terminated buffer (free with free()) of *len
 * bytes; strings that are not valid UTF-8 (a name or owner from an older
 * store, a raw request path) are written with U+FFFD in place of the bad
 * bytes, so every answer is JSON that jq reads. Decoders parse request
 * bodies strictly: at most @max bytes, one JSON object, no duplicate keys,
 * no unknown fields, each field of its one JSON type; every failure is
 * BN_EINVAL (or BN_EINVALPATH, BN_ETOOLARGE) with a message naming the
 * field. Out of memory aborts (jansson allocates through bn_malloc).
 *
 * All functions: any thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_CODEC_H
#define BANYAN_API_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../src/cmd.h"
#include "../src/errcode.h"
#include "../src/inode.h"
#include "../src/mount_info.h"
#include "../src/path.h"
#include "../src/repl_types.h"

#define CODEC_MEDIA_JSON        "application/json"
#define CODEC_MEDIA_MERGE_PATCH "application/merge-patch+json"
#define CODEC_MEDIA_PROBLEM     "application/problem+json"

/* Encoders */

/* The status object of @ino, whose namespace path is @path:
 * {"id","name","path","type","size","block_size","mode","owner","group",
 *  "ctime","mtime","atime","ttl","ttl_action","pinned","xattrs",
 *  "children" (directories only),"version","etag"}, then "mount_id",
 * "ufs_path" and "persisted" when @mv (NULL: none) says it lies under a
 * mount. The caller resolves @mv (mount_io_view()). */
char *codec_inode_to_json(const struct inode *ino, const char *path,
                          const struct mount_view *mv, size_t *len);

/* The etag of @ino, "\"<id>-<version>\"", into @out. */
void codec_etag(const struct inode *ino, char out[48]);

/* One page of the listing of directory @path, the @n @entries:
 * {"path": @path, "entries": [status...], "next": name | null}; "next" is
 * the last entry's name when @more. @mv: NULL, or the @n entries' mount
 * views (mount_io_view_page()). */
char *codec_page_to_json(const char *path, const struct inode *entries,
                         size_t n, bool more, const struct mount_view *mv,
                         size_t *len);

/* An RFC 9457 problem; @detail and @instance may be NULL (omitted). */
char *codec_problem_to_json(int status, const char *code, const char *title,
                            const char *detail, const char *instance,
                            size_t *len);

/* {"status": @status}. */
char *codec_health_to_json(const char *status, size_t *len);

/* {"status":"ready","role": @role,"applied_index": @applied}. */
char *codec_ready_to_json(const char *role, uint64_t applied, size_t *len);

/* Cluster */

/* {"term": @term, "node_id": @node_id}; "term" comes first (repl_lease.c
 * reads it without a parse). */
char *codec_term_to_json(uint64_t term, uint64_t node_id, size_t *len);

/* The answer to a lease round: {"term", "node_id", "lease_ms"}, "term"
 * first; @lease_ms is the lease granted (0: none). */
char *codec_lease_to_json(uint64_t term, uint64_t node_id, unsigned lease_ms,
                          size_t *len);

/* This node's own view: {"id","http","state","leader_id","term",
 * "commit_index","applied_index","last_index","last_contact_ms"}. */
char *codec_node_self_to_json(const struct repl_info *info, const char *http,
                              size_t *len);

/* The cluster: {"self_id","leader_id","term","nodes":[{"id","http","raft",
 * "role","leader","self","reachable","state","term","commit_index",
 * "applied_index","last_index","last_contact_ms"[,"match_index"]}]}, where
 * the per-node state comes from @peer_bodies[i] (the self view each node
 * gave for info->servers[i], NULL when it did not answer). */
char *codec_cluster_to_json(const struct repl_info *info, const char *http,
                            const char *const *peer_bodies, size_t *len);

/* {"node_id","applied_index","inodes","directories","checksum"(16 hex
 * digits of @sum)}. */
char *codec_checksum_to_json(uint64_t node_id, uint64_t applied_index,
                             uint64_t inodes, uint64_t directories,
                             uint64_t sum, size_t *len);

/* {"id"[,"http","raft"],"role"}. */
char *codec_member_to_json(const struct repl_admin_req *m, size_t *len);

/* A membership body into @out (zeroed by the caller) for @op: REPL_ADD
 * {"id","http","raft"[,"role"]}, REPL_ASSIGN {"role"}, REPL_TRANSFER
 * {"id"} or no body. */
int codec_decode_member(const char *body, size_t len, size_t max, int op,
                        struct repl_admin_req *out,
                        char errmsg[BN_ERRMSG_SIZE]);

/* Decoders: @body is @len bytes (need not be NUL-terminated). */

/* A create (PUT) body into @c (an OP_CREATE from cmd_new()): sets
 * c->u.create.type, and mode, owner, group, size, block_size, xattrs of
 * c->u.create.attr when present, each with its CMD_F_* flag, and
 * CMD_F_RECURSIVE for "recursive": true. Defaults are the caller's job
 * (fields without a flag are untouched). "type" is required; "size" and
 * "block_size" are for files only. On failure @c may hold part of the
 * fields; cmd_free() releases them. */
int codec_decode_create(const char *body, size_t len, size_t max, struct cmd *c,
                        char errmsg[BN_ERRMSG_SIZE]);

/* A set-attribute (PATCH, JSON merge patch) body into @c (an OP_SETATTR):
 * "mode", "owner", "group", "mtime", "ttl" (null: clear, as ttl_ms -1),
 * "ttl_action", "pinned", "size", "xattrs" (a null value removes the key),
 * each setting its CMD_F_* flag; at least one is required. Same failure
 * rules as codec_decode_create(). */
int codec_decode_setattr(const char *body, size_t len, size_t max,
                         struct cmd *c, char errmsg[BN_ERRMSG_SIZE]);

/* A rename body {"to": "/new/path"}: parses "to" into @to (free with
 * path_clear()). Returns 0, BN_EINVAL (no "to", not a string, other
 * fields) or BN_EINVALPATH (a bad path). */
int codec_decode_rename(const char *body, size_t len, size_t max,
                        struct path *to, char errmsg[BN_ERRMSG_SIZE]);

/* Mounts */

/* {"id","path","ufs","read_only","shared","options","mounted"}. */
char *codec_mount_to_json(const struct mount_info *m, size_t *len);

/* {"mounts":[...]}. */
char *codec_mounts_to_json(const struct mount_info *m, size_t n, size_t *len);

/* What a sync of @path did: {"path","created","deleted","updated",
 * "directories"}. */
char *codec_sync_to_json(const char *path, uint64_t created, uint64_t deleted,
                         uint64_t updated, uint64_t dirs, size_t *len);

/* A mount body {"path","ufs"[,"read_only"]}: @path parsed (free with
 * path_clear()), *ufs a new string (free()). Returns 0, BN_EINVAL or
 * BN_EINVALPATH. */
int codec_decode_mount(const char *body, size_t len, size_t max,
                       struct path *path, char **ufs, bool *read_only,
                       char errmsg[BN_ERRMSG_SIZE]);

#endif /* BANYAN_API_CODEC_H */
