/*
 * ttl: commands that expire inodes (ttl.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include "ttl.h"

#include <stdlib.h>

#include "mem.h"
#include "ns.h"
#include "path.h"
#include "store.h"

int ttl_commands(struct ns *ns, struct store *st, int64_t now_ms, size_t max,
                 struct cmd **out, char errmsg[BN_ERRMSG_SIZE])
{
    bn_ino ids[TTL_SWEEP_MAX];
    char path[PATH_LEN_MAX + 1];
    size_t made = 0;
    int n;

    if (max > TTL_SWEEP_MAX) {
        max = TTL_SWEEP_MAX;
    }
    n = store_expired(st, now_ms, (unsigned)max, ids, errmsg);
    if (n < 0) {
        return n;
    }
    for (int i = 0; i < n; i++) {
        char why[BN_ERRMSG_SIZE];
        struct inode ino = {0};
        struct cmd *c;
        int rc = store_get(st, ids[i], &ino, why);

        /* Gone, or in a deleted subtree that reclaim has not reached:
         * nothing to expire. */
        if (rc == 0) {
            rc = ns_path_of(ns, ids[i], path, sizeof(path), why);
        }
        if (rc != 0 || ino.ttl_ms < 0) {
            inode_clear(&ino);
            if (rc != 0 && rc != BN_ENOTFOUND && rc != BN_EINVALPATH) {
                bn_errmsg_printf(errmsg, "%s", why);
                for (size_t k = 0; k < made; k++) {
                    cmd_free(out[k]);
                }
                return rc;
            }
            continue;
        }
        if (ino.ttl_action == INODE_TTL_FREE) {
            c = cmd_new(OP_SETATTR);
            c->flags = CMD_F_TTL;
            c->u.setattr.ttl_ms = -1;
        } else {
            c = cmd_new(OP_DELETE);
            c->flags = CMD_F_RECURSIVE;
        }
        c->flags |= CMD_F_IF_MATCH;
        c->match_id = ino.id;
        c->match_version = ino.version;
        c->path = bn_strdup(path);
        out[made++] = c;
        inode_clear(&ino);
    }
    return (int)made;
}
