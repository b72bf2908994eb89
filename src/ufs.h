/*
 * ufs: the under-storage driver interface and its URI scheme registry.
 *
 * A driver serves one scheme ("file"). ufs_open() parses and checks a URI
 * ("file:///srv/data") and returns a handle on the storage's root; every
 * other call takes a path relative to that root: "" for the root, or
 * segments joined by '/' that path_parse() already normalised (no "." or
 * ".."). A driver never reaches outside the root it was opened on.
 * Listings are sorted by name (bytewise, as the namespace sorts) and paged
 * (names after a cursor, at most a limit), so a directory of any size is
 * listed in bounded memory. Only the leader calls the under storage.
 * The namespace code knows the interface, never a driver.
 *
 * Errors: BN_EINVAL (a bad URI), BN_ENOTFOUND, BN_EEXIST, BN_ENOTDIR,
 * BN_ENOTEMPTY, and BN_EUFS for any other failure of the storage, each with
 * the reason in @errmsg.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_UFS_H
#define BANYAN_SRC_UFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errcode.h"

#define UFS_URI_MAX 4096

/* What the under storage says about one entry. */
struct ufs_stat {
    int type; /* enum inode_type */
    uint64_t size;
    int64_t mtime_ms;
};

struct ufs_entry {
    char *name; /* owned */
    struct ufs_stat st;
};

struct ufs;

/* A driver: the scheme it serves and its operations (@h is its handle). */
struct ufs_ops {
    const char *scheme;
    /* Check @uri (whose scheme is this driver's), that its root exists and
     * is a directory; *canon gets the canonical URI (a new string). */
    int (*open)(const char *uri, void **h, char **canon,
                char errmsg[BN_ERRMSG_SIZE]);
    void (*close)(void *h);
    int (*stat)(void *h, const char *rel, struct ufs_stat *out,
                char errmsg[BN_ERRMSG_SIZE]);
    int (*list)(void *h, const char *rel, const char *after, size_t limit,
                struct ufs_entry **out, size_t *n, bool *more,
                char errmsg[BN_ERRMSG_SIZE]);
    int (*mkdir)(void *h, const char *rel, char errmsg[BN_ERRMSG_SIZE]);
    int (*create)(void *h, const char *rel, char errmsg[BN_ERRMSG_SIZE]);
    int (*remove)(void *h, const char *rel, bool recursive,
                  char errmsg[BN_ERRMSG_SIZE]);
    int (*rename)(void *h, const char *from, const char *to,
                  char errmsg[BN_ERRMSG_SIZE]);
};

/* The local-directory driver (ufs_local.c). */
extern const struct ufs_ops ufs_local_ops;

/* Open @uri with the driver of its scheme. Returns 0 and *out (free with
 * ufs_close()), or BN_EINVAL (no scheme, unknown scheme, bad URI) or the
 * driver's error. Any thread. */
int ufs_open(const char *uri, struct ufs **out, char errmsg[BN_ERRMSG_SIZE]);
void ufs_close(struct ufs *u);

/* The canonical URI the handle was opened on (borrowed). */
const char *ufs_uri(const struct ufs *u);

/* Whether the canonical URIs @a and @b overlap: equal, or one names a
 * directory inside the other. Any thread. */
bool ufs_uri_overlap(const char *a, const char *b);

int ufs_stat(struct ufs *u, const char *rel, struct ufs_stat *out,
             char errmsg[BN_ERRMSG_SIZE]);
/* Up to @limit entries of directory @rel whose names sort after @after
 * (NULL: from the start) as a new array of *n (free with
 * ufs_entries_free()); *more tells whether more follow. */
int ufs_list(struct ufs *u, const char *rel, const char *after, size_t limit,
             struct ufs_entry **out, size_t *n, bool *more,
             char errmsg[BN_ERRMSG_SIZE]);
void ufs_entries_free(struct ufs_entry *e, size_t n);
int ufs_mkdir(struct ufs *u, const char *rel, char errmsg[BN_ERRMSG_SIZE]);
int ufs_create(struct ufs *u, const char *rel, char errmsg[BN_ERRMSG_SIZE]);
int ufs_remove(struct ufs *u, const char *rel, bool recursive,
               char errmsg[BN_ERRMSG_SIZE]);
int ufs_rename(struct ufs *u, const char *from, const char *to,
               char errmsg[BN_ERRMSG_SIZE]);

#endif /* BANYAN_SRC_UFS_H */
