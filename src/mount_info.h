/*
 * mount_info: the plain data of one mount and of the mount fields of an
 * inode's status, shared by the mount table (mount.h), the SQLite tier
 * (db.h) and the front ends' codecs, which need the structs and nothing of
 * the table or its locks.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_MOUNT_INFO_H
#define BANYAN_SRC_MOUNT_INFO_H

#include <stdbool.h>
#include <stdint.h>

struct mount_info {
    uint64_t id;        /* the raft index that mounted it */
    char *path;         /* the mount point; owned */
    char *uri;          /* the canonical under-storage URI; owned */
    bool read_only;     /* writes under it are refused */
    int64_t mounted_ms; /* when */
};

/* The mount fields of the status of one inode (mount_io_view()). */
struct mount_view {
    uint64_t mount_id; /* 0: not under a mount (the other fields unset) */
    char *ufs_path;    /* the inode's URI in the under storage; owned */
    bool persisted;    /* false: written with write_type cache_only */
};

#endif /* BANYAN_SRC_MOUNT_INFO_H */
