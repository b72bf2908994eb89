/*
 * mount: the in-memory copy of the mount table.
 *
 * SPDX-License-Identifier: MIT
 */
#include "mount.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "store.h"
#include "ufs.h"

struct mount_table {
    pthread_mutex_t mu;
    struct mount_info *m; /* sorted by path */
    size_t n;
};

struct mount_table *mount_table_new(void)
{
    struct mount_table *mt = bn_calloc(1, sizeof(*mt));

    pthread_mutex_init(&mt->mu, NULL);
    return mt;
}

void mount_info_clear(struct mount_info *m)
{
    free(m->path);
    free(m->uri);
    memset(m, 0, sizeof(*m));
}

void mount_infos_free(struct mount_info *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mount_info_clear(&m[i]);
    }
    free(m);
}

static void copy_info(struct mount_info *dst, const struct mount_info *src)
{
    *dst = *src;
    dst->path = bn_strdup(src->path);
    dst->uri = bn_strdup(src->uri);
}

void mount_table_free(struct mount_table *mt)
{
    if (mt == NULL) {
        return;
    }
    mount_infos_free(mt->m, mt->n);
    pthread_mutex_destroy(&mt->mu);
    free(mt);
}

/* Unlocked: remove @path's row if any. */
static void del_locked(struct mount_table *mt, const char *path)
{
    for (size_t i = 0; i < mt->n; i++) {
        if (strcmp(mt->m[i].path, path) == 0) {
            mount_info_clear(&mt->m[i]);
            memmove(mt->m + i, mt->m + i + 1, (mt->n - i - 1) * sizeof(*mt->m));
            mt->n--;
            return;
        }
    }
}

static void put_locked(struct mount_table *mt, const struct mount_info *m)
{
    size_t i = 0;

    del_locked(mt, m->path);
    mt->m = bn_realloc(mt->m, (mt->n + 1) * sizeof(*mt->m));
    while (i < mt->n && strcmp(mt->m[i].path, m->path) < 0) {
        i++;
    }
    memmove(mt->m + i + 1, mt->m + i, (mt->n - i) * sizeof(*mt->m));
    copy_info(&mt->m[i], m);
    mt->n++;
}

void mount_table_put(struct mount_table *mt, const struct mount_info *m)
{
    pthread_mutex_lock(&mt->mu);
    put_locked(mt, m);
    pthread_mutex_unlock(&mt->mu);
}

void mount_table_del(struct mount_table *mt, const char *path)
{
    pthread_mutex_lock(&mt->mu);
    del_locked(mt, path);
    pthread_mutex_unlock(&mt->mu);
}

static void load_one(void *arg, const struct mount_info *m)
{
    put_locked(arg, m);
}

int mount_table_load(struct mount_table *mt, struct store *st,
                     char errmsg[BN_ERRMSG_SIZE])
{
    int rc;

    pthread_mutex_lock(&mt->mu);
    mount_infos_free(mt->m, mt->n);
    mt->m = NULL;
    mt->n = 0;
    rc = store_mount_each(st, load_one, mt, errmsg);
    pthread_mutex_unlock(&mt->mu);
    return rc;
}

void mount_table_list(struct mount_table *mt, struct mount_info **out,
                      size_t *n)
{
    pthread_mutex_lock(&mt->mu);
    *out = bn_calloc(mt->n > 0 ? mt->n : 1, sizeof(**out));
    for (size_t i = 0; i < mt->n; i++) {
        copy_info(&(*out)[i], &mt->m[i]);
    }
    *n = mt->n;
    pthread_mutex_unlock(&mt->mu);
}

bool mount_path_covers(const char *a, const char *b)
{
    size_t n = strlen(a);

    if (strcmp(a, "/") == 0) {
        return true;
    }
    return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

bool mount_resolve(struct mount_table *mt, const char *path,
                   struct mount_info *out, char **rel)
{
    const struct mount_info *best = NULL;

    pthread_mutex_lock(&mt->mu);
    for (size_t i = 0; i < mt->n; i++) {
        if (mount_path_covers(mt->m[i].path, path) &&
            (best == NULL || strlen(mt->m[i].path) > strlen(best->path))) {
            best = &mt->m[i];
        }
    }
    if (best != NULL) {
        size_t n = strlen(best->path);

        copy_info(out, best);
        if (rel != NULL) {
            const char *r = path + (strcmp(best->path, "/") == 0 ? 0 : n);

            *rel = bn_strdup(r[0] == '/' ? r + 1 : r);
        }
    }
    pthread_mutex_unlock(&mt->mu);
    return best != NULL;
}

bool mount_find(struct mount_table *mt, const char *path,
                struct mount_info *out)
{
    bool found = false;

    pthread_mutex_lock(&mt->mu);
    for (size_t i = 0; i < mt->n && !found; i++) {
        if (strcmp(mt->m[i].path, path) == 0) {
            found = true;
            if (out != NULL) {
                copy_info(out, &mt->m[i]);
            }
        }
    }
    pthread_mutex_unlock(&mt->mu);
    return found;
}

int mount_check(struct mount_table *mt, const char *path, const char *uri,
                char errmsg[BN_ERRMSG_SIZE])
{
    bool root = strcmp(path, "/") == 0;
    int rc = 0;

    pthread_mutex_lock(&mt->mu);
    for (size_t i = 0; i < mt->n && rc == 0; i++) {
        const struct mount_info *m = &mt->m[i];
        bool m_root = strcmp(m->path, "/") == 0;

        rc = BN_EMOUNT;
        if (strcmp(m->path, path) == 0) {
            bn_errmsg_printf(errmsg, "%.200s is a mount point already", path);
        } else if (!m_root && mount_path_covers(m->path, path)) {
            bn_errmsg_printf(errmsg, "%.200s is inside the mount at %.200s",
                             path, m->path);
        } else if (!root && mount_path_covers(path, m->path)) {
            bn_errmsg_printf(errmsg, "the mount at %.200s is inside %.200s",
                             m->path, path);
        } else if (ufs_uri_overlap(m->uri, uri)) {
            bn_errmsg_printf(errmsg,
                             "%.200s overlaps %.200s, mounted at %.200s", uri,
                             m->uri, m->path);
        } else {
            rc = 0;
        }
    }
    pthread_mutex_unlock(&mt->mu);
    return rc;
}

bool mount_foreign(struct mount_table *mt, const struct mount_info *m,
                   const char *path)
{
    size_t len = strlen(m->path);
    bool found = false;

    pthread_mutex_lock(&mt->mu);
    for (size_t i = 0; i < mt->n && !found; i++) {
        const struct mount_info *o = &mt->m[i];

        if (o->id == m->id) {
            continue;
        }
        found = mount_path_covers(path, o->path) ||
                (strlen(o->path) > len && mount_path_covers(o->path, path));
    }
    pthread_mutex_unlock(&mt->mu);
    return found;
}
