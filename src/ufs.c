/*
 * ufs: the scheme registry and the dispatch to drivers.
 *
 * SPDX-License-Identifier: MIT
 */
#include "ufs.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

struct ufs {
    const struct ufs_ops *ops;
    void *h;
    char *uri;
};

static const struct ufs_ops *const drivers[] = {&ufs_local_ops};

int ufs_open(const char *uri, struct ufs **out, char errmsg[BN_ERRMSG_SIZE])
{
    const char *colon = strstr(uri, "://");
    const struct ufs_ops *ops = NULL;
    struct ufs *u;
    size_t n;
    int rc;

    *out = NULL;
    if (colon == NULL || colon == uri) {
        bn_errmsg_printf(errmsg,
                         "under-storage URI '%.200s' has no scheme "
                         "(file:///absolute/path)",
                         uri);
        return BN_EINVAL;
    }
    n = (size_t)(colon - uri);
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
        if (strlen(drivers[i]->scheme) == n &&
            strncmp(drivers[i]->scheme, uri, n) == 0) {
            ops = drivers[i];
        }
    }
    if (ops == NULL) {
        bn_errmsg_printf(errmsg, "unknown under-storage scheme '%.*s'",
                         (int)(n < 32 ? n : 32), uri);
        return BN_EINVAL;
    }
    u = bn_calloc(1, sizeof(*u));
    u->ops = ops;
    rc = ops->open(uri, &u->h, &u->uri, errmsg);
    if (rc != 0) {
        free(u);
        return rc;
    }
    *out = u;
    return 0;
}

void ufs_close(struct ufs *u)
{
    if (u == NULL) {
        return;
    }
    u->ops->close(u->h);
    free(u->uri);
    free(u);
}

const char *ufs_uri(const struct ufs *u)
{
    return u->uri;
}

bool ufs_uri_overlap(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    size_t n = la < lb ? la : lb;

    if (strncmp(a, b, n) != 0) {
        return false;
    }
    if (la == lb) {
        return true;
    }
    /* One is a prefix of the other: they overlap when it ends at a
     * segment boundary ("file:///a" and "file:///a/b", not "/ab"). */
    return (la > lb ? a[n] : b[n]) == '/' || (n > 0 && a[n - 1] == '/');
}

int ufs_stat(struct ufs *u, const char *rel, struct ufs_stat *out,
             char errmsg[BN_ERRMSG_SIZE])
{
    return u->ops->stat(u->h, rel, out, errmsg);
}

int ufs_list(struct ufs *u, const char *rel, const char *after, size_t limit,
             struct ufs_entry **out, size_t *n, bool *more,
             char errmsg[BN_ERRMSG_SIZE])
{
    return u->ops->list(u->h, rel, after, limit, out, n, more, errmsg);
}

void ufs_entries_free(struct ufs_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].name);
    }
    free(e);
}

int ufs_mkdir(struct ufs *u, const char *rel, char errmsg[BN_ERRMSG_SIZE])
{
    return u->ops->mkdir(u->h, rel, errmsg);
}

int ufs_create(struct ufs *u, const char *rel, char errmsg[BN_ERRMSG_SIZE])
{
    return u->ops->create(u->h, rel, errmsg);
}

int ufs_remove(struct ufs *u, const char *rel, bool recursive,
               char errmsg[BN_ERRMSG_SIZE])
{
    return u->ops->remove(u->h, rel, recursive, errmsg);
}

int ufs_rename(struct ufs *u, const char *from, const char *to,
               char errmsg[BN_ERRMSG_SIZE])
{
    return u->ops->rename(u->h, from, to, errmsg);
}
