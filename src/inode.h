/*
 * inode: the record of one file or directory, and its binary encodings.
 *
 * An inode owns its strings and xattrs. Ids are never reused; the root is
 * INODE_ROOT_ID. version is the raft index of the operation that last
 * changed the inode, so the ETag "<id>-<version>" changes with every change.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_INODE_H
#define BANYAN_SRC_INODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errcode.h"

typedef uint64_t bn_ino;

#define INODE_ROOT_ID         1
#define INODE_XATTR_MAX       64   /* xattrs per inode */
#define INODE_XATTR_KEY_MAX   255  /* bytes */
#define INODE_XATTR_VALUE_MAX 4096 /* bytes */
#define INODE_OWNER_MAX       255  /* bytes, owner and group */
#define INODE_MODE_MASK       07777

/* The defaults of a new inode when nothing else decides: the mode a
 * create gets without one (mount_io_fill_create(), a sync's creates), and
 * the owner and group of the root and of the config's default_owner and
 * default_group. One place: change them together with openapi.yaml. */
#define INODE_MODE_DIR_DEFAULT  0755
#define INODE_MODE_FILE_DEFAULT 0644
#define INODE_OWNER_DEFAULT     "banyan"

enum inode_type {
    INODE_DIR = 1,
    INODE_FILE = 2,
};

enum inode_ttl_action {
    INODE_TTL_DELETE = 0,
    INODE_TTL_FREE = 1,
};

struct xattr {
    char *key;   /* owned */
    char *value; /* owned; NULL means "remove" inside a command */
};

struct inode {
    bn_ino id;
    bn_ino parent; /* 0 for the root */
    char *name;    /* "" for the root; owned */
    int type;      /* enum inode_type */
    uint32_t mode; /* permission bits, INODE_MODE_MASK */
    char *owner;   /* owned */
    char *group;   /* owned */
    uint64_t size; /* bytes; 0 for directories */
    uint64_t block_size;
    int64_t ctime_ms;
    int64_t mtime_ms;
    int64_t atime_ms;
    int64_t ttl_ms; /* -1: no ttl */
    int ttl_action; /* enum inode_ttl_action */
    bool pinned;
    uint64_t nchildren;   /* directories: number of entries */
    uint64_t version;     /* raft index of the last change */
    struct xattr *xattrs; /* sorted by key; owned */
    size_t n_xattrs;
};

/* Release the strings and xattrs of @ino and zero it; a zeroed inode may be
 * cleared again. Any thread. */
void inode_clear(struct inode *ino);

/* Deep-copy @src into @dst (which holds nothing). Free with inode_clear().
 * Any thread. */
void inode_copy(struct inode *dst, const struct inode *src);

/* Bytes the inode takes in memory, counting its strings; the cache budget
 * is charged this much. Any thread. */
size_t inode_mem_size(const struct inode *ino);

/* Set (value != NULL) or remove (value == NULL) one xattr, keeping the
 * array sorted. Returns 0 or BN_EINVAL when the inode would exceed
 * INODE_XATTR_MAX. Any thread. */
int inode_xattr_set(struct inode *ino, const char *key, const char *value);

/* The value of xattr @key, borrowed, or NULL. Any thread. */
const char *inode_xattr_get(const struct inode *ino, const char *key);

/* Encode the xattrs as one blob for the store. Returns a new buffer of
 * *len bytes (NULL with *len 0 when there are none); free with free().
 * Any thread. */
unsigned char *inode_xattrs_encode(const struct inode *ino, size_t *len);

/* Decode a blob from inode_xattrs_encode() into @ino's xattrs (which must be
 * empty). Returns 0 or BN_ECORRUPT. Any thread. */
int inode_xattrs_decode(struct inode *ino, const unsigned char *buf,
                        size_t len);

/* The mode formatted as a 4-digit octal string ("0755") into @out.
 * Any thread. */
void inode_mode_format(uint32_t mode, char out[8]);

/* Parse "755" or "0755" (1 to 4 octal digits, at most 07777). Returns 0 or
 * BN_EINVAL. Any thread. */
int inode_mode_parse(const char *s, uint32_t *mode);

#endif /* BANYAN_SRC_INODE_H */
