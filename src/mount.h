/*
 * mount: the mount table, which maps namespace paths to under storages.
 *
 * The table is replicated state: OP_MOUNT and OP_UNMOUNT change it in
 * fsm.c (which also creates or removes the mount point in the namespace),
 * it is stored with the namespace in SQLite (the mounts table) and this
 * module keeps a copy in memory, loaded at start and after a snapshot is
 * installed. Lookups take the table's mutex briefly and return copies, so
 * any thread may look up while the apply thread changes it.
 *
 * Rules (Alluxio's): a mount point is neither inside another mount nor
 * above one, except the root mount ("/", from the config's [mounts]
 * root_ufs; the HTTP API refuses it), which holds the others: a path
 * belongs to the mount with the longest mount point above it. No
 * under-storage URI is mounted twice or inside / above a mounted one; the
 * mount point must be missing (it is created, with its parents) or an empty
 * directory. Unmounting a path that is not a mount point is BN_ENOTMOUNT.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_MOUNT_H
#define BANYAN_SRC_MOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errcode.h"
#include "mount_info.h"

struct store;

struct mount_table;

/* Returns a new empty table; free with mount_table_free(). */
struct mount_table *mount_table_new(void);
void mount_table_free(struct mount_table *mt);

/* Replace the table by the store's mounts table. Apply or startup thread. */
int mount_table_load(struct mount_table *mt, struct store *st,
                     char errmsg[BN_ERRMSG_SIZE]);

/* Add (apply thread, after the store has it) or remove by path. */
void mount_table_put(struct mount_table *mt, const struct mount_info *m);
void mount_table_del(struct mount_table *mt, const char *path);

/* A copy of every mount, sorted by path: *n infos in a new array (free
 * with mount_infos_free()). Any thread. */
void mount_table_list(struct mount_table *mt, struct mount_info **out,
                      size_t *n);
void mount_info_clear(struct mount_info *m);
void mount_infos_free(struct mount_info *m, size_t n);

/* The mount that covers the normalised namespace path @path (the longest
 * mount point equal to it or above it): a copy into @out and, when @rel is
 * not NULL, the path below the mount point ("" for the mount point; a new
 * string). Returns whether there is one. Any thread. */
bool mount_resolve(struct mount_table *mt, const char *path,
                   struct mount_info *out, char **rel);

/* Whether @path is exactly a mount point (a copy into @out when not NULL). */
bool mount_find(struct mount_table *mt, const char *path,
                struct mount_info *out);

/* Check a new mount of canonical @uri at @path against the table's rules.
 * Returns 0 or BN_EMOUNT / BN_EINVAL with the reason. Any thread. */
int mount_check(struct mount_table *mt, const char *path, const char *uri,
                char errmsg[BN_ERRMSG_SIZE]);

/* Whether @path, which @m resolves, is or holds another mount point or
 * lies inside a mount nested in @m: a sync or load of @m leaves such a
 * path alone. Any thread. */
bool mount_foreign(struct mount_table *mt, const struct mount_info *m,
                   const char *path);

/* Whether normalised @a equals @b or is a directory above it. */
bool mount_path_covers(const char *a, const char *b);

#endif /* BANYAN_SRC_MOUNT_H */
