/*
 * ttl: the commands that expire inodes whose time to live has run out, as
 * Alluxio's TTL checker does.
 *
 * The TTL of an inode counts from its creation (ctime + ttl), as in
 * Alluxio. When it has run out, the inode's ttl_action says what happens:
 * "delete" deletes it (a directory with everything below it); "free" would
 * drop the file's data from the cache tier and keep the metadata, and since
 * banyan holds no data, it only clears the TTL. The leader builds these
 * commands on a timer (repl.c) and proposes them like any write, so every
 * replica applies the same thing. Each command carries If-Match on the
 * inode's id and version: an inode changed since it was seen (a new TTL, a
 * rename) is left for the next sweep to judge again.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_TTL_H
#define BANYAN_SRC_TTL_H

#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "errcode.h"

struct ns;
struct store;

#define TTL_SWEEP_MAX 256 /* inodes expired a sweep, at most */

/* Build the commands for up to @max inodes expired at @now_ms into @out
 * (new commands; free each with cmd_free()). Returns their number or a
 * store error. Apply thread only (it reads through the writer). */
int ttl_commands(struct ns *ns, struct store *st, int64_t now_ms, size_t max,
                 struct cmd **out, char errmsg[BN_ERRMSG_SIZE]);

#endif /* BANYAN_SRC_TTL_H */
