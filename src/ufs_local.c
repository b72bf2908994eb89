/*
 * ufs_local: the file:// driver, a local directory as under storage.
 *
 * The URI is file:// followed by an absolute path without "." or ".."
 * segments, naming an existing directory. Every call walks from the root's
 * file descriptor one segment at a time with O_NOFOLLOW, so neither a ".."
 * nor a symbolic link (the storage's own or one planted later) leads
 * outside the root; listings show regular files and directories only.
 *
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inode.h"
#include "mem.h"
#include "path.h"
#include "ufs.h"

#define SCHEME "file://"

struct local {
    int root; /* O_PATH descriptor of the root directory */
    char *path;
};

static int from_errno(int e, const char *what, const char *rel,
                      char errmsg[BN_ERRMSG_SIZE])
{
    bn_errmsg_printf(errmsg, "%s '/%.200s' in the under storage: %s", what, rel,
                     strerror(e));
    switch (e) {
    case ENOENT:
        return BN_ENOTFOUND;
    case EEXIST:
        return BN_EEXIST;
    case ENOTDIR:
        return BN_ENOTDIR;
    case ENOTEMPTY:
        return BN_ENOTEMPTY;
    default:
        return BN_EUFS;
    }
}

static int local_open(const char *uri, void **h, char **canon,
                      char errmsg[BN_ERRMSG_SIZE])
{
    const char *p = uri + strlen(SCHEME);
    size_t len = strlen(p);
    struct local *l;
    struct stat st;
    int fd;

    if (p[0] != '/') {
        bn_errmsg_printf(errmsg,
                         "'%.200s' is not file:// and an absolute path "
                         "(file:///srv/data)",
                         uri);
        return BN_EINVAL;
    }
    for (const char *s = p; *s != '\0';) {
        const char *e;
        size_t n;

        while (*s == '/') {
            s++;
        }
        e = strchr(s, '/');
        n = e != NULL ? (size_t)(e - s) : strlen(s);
        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) {
            bn_errmsg_printf(errmsg,
                             "'%.200s' holds a '.' or '..' segment; give "
                             "the directory's own path",
                             uri);
            return BN_EINVAL;
        }
        s += n;
    }
    while (len > 1 && p[len - 1] == '/') {
        len--;
    }
    l = bn_calloc(1, sizeof(*l));
    l->path = bn_strndup(p, len);
    fd = open(l->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;

        bn_errmsg_printf(errmsg, "'%.200s' is not an existing directory: %s",
                         uri, strerror(e));
        if (fd >= 0) {
            close(fd);
        }
        free(l->path);
        free(l);
        return BN_EINVAL;
    }
    l->root = fd;
    *canon = bn_calloc(1, strlen(SCHEME) + len + 1);
    memcpy(*canon, SCHEME, strlen(SCHEME));
    memcpy(*canon + strlen(SCHEME), l->path, len);
    *h = l;
    return 0;
}

static void local_close(void *h)
{
    struct local *l = h;

    close(l->root);
    free(l->path);
    free(l);
}

/* Open the directory that holds the last segment of @rel (the root for a
 * single segment) into *dirfd, and point *last at that segment. For ""
 * *dirfd is a copy of the root and *last is ".". */
static int walk(struct local *l, const char *rel, int *dirfd, const char **last,
                char errmsg[BN_ERRMSG_SIZE])
{
    const char *s = rel;
    int fd = dup(l->root);

    if (fd < 0) {
        return from_errno(errno, "open", rel, errmsg);
    }
    for (;;) {
        const char *e = strchr(s, '/');
        char seg[PATH_NAME_MAX + 1];
        int next;
        size_t n;

        if (e == NULL) {
            break;
        }
        n = (size_t)(e - s);
        if (n == 0 || n > PATH_NAME_MAX) {
            close(fd);
            bn_errmsg_printf(errmsg, "bad relative path '%.200s'", rel);
            return BN_EINVAL;
        }
        memcpy(seg, s, n);
        seg[n] = '\0';
        next = openat(fd, seg, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            int err = errno == ELOOP ? ENOTDIR : errno;

            close(fd);
            return from_errno(err, "open", rel, errmsg);
        }
        close(fd);
        fd = next;
        s = e + 1;
    }
    *dirfd = fd;
    *last = s[0] != '\0' ? s : ".";
    return 0;
}

static int stat_at(int dirfd, const char *name, struct ufs_stat *out)
{
    struct stat st;

    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        out->type = INODE_DIR;
        out->size = 0;
    } else if (S_ISREG(st.st_mode)) {
        out->type = INODE_FILE;
        out->size = (uint64_t)st.st_size;
    } else {
        errno = ENOENT; /* links, devices, sockets: not shown */
        return -1;
    }
    out->mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 +
                    (int64_t)st.st_mtim.tv_nsec / 1000000;
    return 0;
}

static int local_stat(void *h, const char *rel, struct ufs_stat *out,
                      char errmsg[BN_ERRMSG_SIZE])
{
    const char *last;
    int fd;
    int rc = walk(h, rel, &fd, &last, errmsg);

    if (rc != 0) {
        return rc;
    }
    if (stat_at(fd, last, out) != 0) {
        rc = from_errno(errno, "stat", rel, errmsg);
    }
    close(fd);
    return rc;
}

/* Open directory @rel for reading. */
static int open_dir(struct local *l, const char *rel, DIR **out,
                    char errmsg[BN_ERRMSG_SIZE])
{
    const char *last;
    int fd;
    int dfd;
    int rc = walk(l, rel, &fd, &last, errmsg);

    if (rc != 0) {
        return rc;
    }
    dfd = openat(fd, last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(fd);
    if (dfd < 0) {
        return from_errno(errno == ELOOP ? ENOTDIR : errno, "list", rel,
                          errmsg);
    }
    *out = fdopendir(dfd);
    if (*out == NULL) {
        close(dfd);
        return from_errno(errno, "list", rel, errmsg);
    }
    return 0;
}

/* Insert @name into the sorted array @names of *n (at most @cap) names,
 * dropping the greatest when it is full. Returns whether a name was
 * dropped or @name was not taken. */
static bool keep_smallest(char **names, size_t *n, size_t cap, const char *name)
{
    size_t lo = 0;
    size_t hi = *n;
    bool dropped = false;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (strcmp(names[mid], name) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == cap) {
        return true;
    }
    if (*n == cap) {
        free(names[cap - 1]);
        (*n)--;
        dropped = true;
    }
    memmove(names + lo + 1, names + lo, (*n - lo) * sizeof(*names));
    names[lo] = bn_strdup(name);
    (*n)++;
    return dropped;
}

static int local_list(void *h, const char *rel, const char *after, size_t limit,
                      struct ufs_entry **out, size_t *n, bool *more,
                      char errmsg[BN_ERRMSG_SIZE])
{
    char **names = bn_calloc(limit > 0 ? limit : 1, sizeof(*names));
    size_t got = 0;
    struct dirent *d;
    DIR *dir;
    int rc = open_dir(h, rel, &dir, errmsg);

    *out = NULL;
    *n = 0;
    *more = false;
    if (rc != 0) {
        free(names);
        return rc;
    }
    errno = 0;
    while ((d = readdir(dir)) != NULL) {
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0 ||
            (after != NULL && strcmp(d->d_name, after) <= 0) ||
            (d->d_type != DT_REG && d->d_type != DT_DIR &&
             d->d_type != DT_UNKNOWN) ||
            strlen(d->d_name) > PATH_NAME_MAX) {
            continue;
        }
        if (keep_smallest(names, &got, limit, d->d_name)) {
            *more = true;
        }
    }
    if (errno != 0) {
        rc = from_errno(errno, "list", rel, errmsg);
    }
    *out = bn_calloc(got > 0 ? got : 1, sizeof(**out));
    for (size_t i = 0; i < got; i++) {
        if (rc == 0 && stat_at(dirfd(dir), names[i], &(*out)[*n].st) == 0) {
            (*out)[*n].name = names[i];
            (*n)++;
        } else {
            free(names[i]); /* gone meanwhile, or not a file or directory */
        }
    }
    free(names);
    closedir(dir);
    if (rc != 0) {
        ufs_entries_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static int local_mkdir(void *h, const char *rel, char errmsg[BN_ERRMSG_SIZE])
{
    const char *last;
    int fd;
    int rc = walk(h, rel, &fd, &last, errmsg);

    if (rc != 0) {
        return rc;
    }
    if (mkdirat(fd, last, 0755) != 0) {
        rc = from_errno(errno, "mkdir", rel, errmsg);
    }
    close(fd);
    return rc;
}

static int local_create(void *h, const char *rel, char errmsg[BN_ERRMSG_SIZE])
{
    const char *last;
    int fd;
    int f;
    int rc = walk(h, rel, &fd, &last, errmsg);

    if (rc != 0) {
        return rc;
    }
    f = openat(fd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
               0644);
    if (f < 0) {
        rc = from_errno(errno, "create", rel, errmsg);
    } else {
        close(f);
    }
    close(fd);
    return rc;
}

/* Remove everything inside the directory @name of @parent. */
static int remove_tree(int parent, const char *name, int depth)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    struct dirent *d;
    DIR *dir;
    int rc = 0;

    if (fd < 0 || depth > PATH_DEPTH_MAX) {
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    dir = fdopendir(fd);
    if (dir == NULL) {
        close(fd);
        return -1;
    }
    while (rc == 0 && (d = readdir(dir)) != NULL) {
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) {
            continue;
        }
        if (unlinkat(dirfd(dir), d->d_name, 0) == 0) {
            continue;
        }
        if (errno != EISDIR && errno != EPERM) {
            rc = -1;
            break;
        }
        rc = remove_tree(dirfd(dir), d->d_name, depth + 1);
        if (rc == 0 && unlinkat(dirfd(dir), d->d_name, AT_REMOVEDIR) != 0) {
            rc = -1;
        }
    }
    closedir(dir);
    return rc;
}

static int local_remove(void *h, const char *rel, bool recursive,
                        char errmsg[BN_ERRMSG_SIZE])
{
    struct ufs_stat st;
    const char *last;
    int fd;
    int rc = walk(h, rel, &fd, &last, errmsg);

    if (rc != 0) {
        return rc;
    }
    if (strcmp(last, ".") == 0) {
        close(fd);
        bn_errmsg_printf(errmsg, "the root of a mount is not removed");
        return BN_EINVAL;
    }
    if (stat_at(fd, last, &st) != 0) {
        rc = from_errno(errno, "delete", rel, errmsg);
    } else if (st.type == INODE_FILE) {
        if (unlinkat(fd, last, 0) != 0) {
            rc = from_errno(errno, "delete", rel, errmsg);
        }
    } else if ((recursive && remove_tree(fd, last, 0) != 0) ||
               unlinkat(fd, last, AT_REMOVEDIR) != 0) {
        rc = from_errno(errno, "delete", rel, errmsg);
    }
    close(fd);
    return rc;
}

static int local_rename(void *h, const char *from, const char *to,
                        char errmsg[BN_ERRMSG_SIZE])
{
    struct ufs_stat st;
    const char *lf;
    const char *lt;
    int ff;
    int ft;
    int rc = walk(h, from, &ff, &lf, errmsg);

    if (rc != 0) {
        return rc;
    }
    rc = walk(h, to, &ft, &lt, errmsg);
    if (rc != 0) {
        close(ff);
        return rc;
    }
    if (stat_at(ff, lf, &st) != 0) {
        rc = from_errno(errno, "rename", from, errmsg);
    } else if (stat_at(ft, lt, &st) == 0) {
        rc = from_errno(EEXIST, "rename to", to, errmsg);
    } else if (renameat(ff, lf, ft, lt) != 0) {
        rc = from_errno(errno, "rename", from, errmsg);
    }
    close(ff);
    close(ft);
    return rc;
}

const struct ufs_ops ufs_local_ops = {
    .scheme = "file",
    .open = local_open,
    .close = local_close,
    .stat = local_stat,
    .list = local_list,
    .mkdir = local_mkdir,
    .create = local_create,
    .remove = local_remove,
    .rename = local_rename,
};
