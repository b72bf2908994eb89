/*
 * ns: path resolution with lock coupling, listings, and the deterministic
 * apply of create, setattr, delete and rename.
 *
 * SPDX-License-Identifier: MIT
 */
#include "ns.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lock.h"
#include "log.h"
#include "mem.h"
#include "store.h"

struct ns {
    struct store *st;
    struct lock_pool *locks;
    /* Readers hold it shared for a whole operation; replacing the store
     * (a snapshot installed from the leader) holds it exclusively. */
    pthread_rwlock_t gate;
};

static int ensure_root(struct store *st)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct inode root;
    int rc = store_get(st, INODE_ROOT_ID, &root, errmsg);

    if (rc == 0) {
        inode_clear(&root);
        return 0;
    }
    if (rc != BN_ENOTFOUND) {
        log_error("ns", "read root: %s", errmsg);
        return rc;
    }
    /* The initial state is fixed, so every replica starts identical. */
    memset(&root, 0, sizeof(root));
    root.id = INODE_ROOT_ID;
    root.name = bn_strdup("");
    root.type = INODE_DIR;
    root.mode = INODE_MODE_DIR_DEFAULT;
    root.owner = bn_strdup(INODE_OWNER_DEFAULT);
    root.group = bn_strdup(INODE_OWNER_DEFAULT);
    root.ttl_ms = -1;
    rc = store_begin(st, errmsg);
    if (rc == 0) {
        rc = store_create(st, &root, errmsg);
    }
    if (rc == 0) {
        rc = store_commit(st, true, errmsg);
    }
    inode_clear(&root);
    if (rc != 0) {
        log_error("ns", "create root: %s", errmsg);
    }
    return rc;
}

struct ns *ns_new(struct store *st, unsigned lock_stripes)
{
    struct ns *ns = bn_calloc(1, sizeof(*ns));

    pthread_rwlockattr_t attr;

    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&ns->gate, &attr);
    pthread_rwlockattr_destroy(&attr);
    ns->st = st;
    ns->locks = lock_pool_new(lock_stripes);
    if (ensure_root(st) != 0) {
        ns_free(ns);
        return NULL;
    }
    return ns;
}

void ns_free(struct ns *ns)
{
    if (ns == NULL) {
        return;
    }
    lock_pool_free(ns->locks);
    pthread_rwlock_destroy(&ns->gate);
    free(ns);
}

int ns_replace_store(struct ns *ns, const char *src,
                     char errmsg[BN_ERRMSG_SIZE])
{
    int rc;

    pthread_rwlock_wrlock(&ns->gate);
    rc = store_replace(ns->st, src, errmsg);
    pthread_rwlock_unlock(&ns->gate);
    return rc;
}

struct lock_pool *ns_locks(struct ns *ns)
{
    return ns->locks;
}

/* ---- reads -------------------------------------------------------------- */

/* Prefix of @p made of its first @k segments, for messages. */
static void prefix_of(const struct path *p, size_t k, char *out, size_t len)
{
    size_t off = 0;

    out[0] = '\0';
    if (k == 0) {
        (void)snprintf(out, len, "/");
        return;
    }
    for (size_t i = 0; i < k && off < len; i++) {
        int w = snprintf(out + off, len - off, "/%s", p->seg[i]);

        if (w < 0) {
            break;
        }
        off += (size_t)w;
    }
}

/* Walk @p hand over hand. On 0 the cursor holds the read lock of the final
 * inode and *out is it (fresh, read under that lock). On error the cursor
 * holds nothing. */
static int walk(struct ns *ns, const struct path *p, struct lock_cursor *cur,
                struct inode *out, char errmsg[BN_ERRMSG_SIZE])
{
    struct inode at;
    struct inode child;
    char where[512];
    int rc;

restart:
    lock_cursor_start(cur, ns->locks, INODE_ROOT_ID);
    rc = store_get(ns->st, INODE_ROOT_ID, &at, errmsg);
    if (rc != 0) {
        goto err;
    }
    for (size_t i = 0; i < p->n; i++) {
        if (at.type != INODE_DIR) {
            prefix_of(p, i, where, sizeof(where));
            bn_errmsg_printf(errmsg, "%s is not a directory", where);
            inode_clear(&at);
            rc = BN_ENOTDIR;
            goto err;
        }
        rc = store_lookup(ns->st, at.id, p->seg[i], &child, errmsg);
        inode_clear(&at);
        if (rc == BN_ENOTFOUND) {
            prefix_of(p, i + 1, where, sizeof(where));
            bn_errmsg_printf(errmsg, "%s: no such file or directory", where);
        }
        if (rc != 0) {
            goto err;
        }
        rc = lock_cursor_step(cur, child.id);
        if (rc == BN_EBUSY) {
            bn_ino busy = child.id;

            inode_clear(&child);
            lock_cursor_end(cur);
            lock_wait(ns->locks, busy);
            goto restart;
        }
        at = child;
    }
    if (p->n > 0) {
        /* The edge was read under the parent's lock; read the attributes
         * again under the inode's own. */
        bn_ino id = at.id;

        inode_clear(&at);
        rc = store_get(ns->st, id, &at, errmsg);
        if (rc != 0) {
            goto err;
        }
    }
    *out = at;
    return 0;

err:
    lock_cursor_end(cur);
    return rc;
}

int ns_stat(struct ns *ns, const struct path *p, struct inode *out,
            char errmsg[BN_ERRMSG_SIZE])
{
    struct lock_cursor cur;
    int rc;

    pthread_rwlock_rdlock(&ns->gate);
    rc = walk(ns, p, &cur, out, errmsg);
    if (rc == 0) {
        lock_cursor_end(&cur);
    }
    pthread_rwlock_unlock(&ns->gate);
    return rc;
}

int ns_stat_path(struct ns *ns, const char *path, struct inode *out,
                 char errmsg[BN_ERRMSG_SIZE])
{
    struct path p = {0};
    int rc = path_parse(path, strlen(path), &p, errmsg);

    if (rc == 0) {
        rc = ns_stat(ns, &p, out, errmsg);
    }
    path_clear(&p);
    return rc;
}

int ns_path_of(struct ns *ns, bn_ino id, char *out, size_t cap,
               char errmsg[BN_ERRMSG_SIZE])
{
    char *names[PATH_DEPTH_MAX + 1];
    size_t n = 0;
    size_t len = 0;
    int rc = 0;

    while (id != INODE_ROOT_ID) {
        struct inode ino = {0};

        if (n == PATH_DEPTH_MAX + 1) {
            bn_errmsg_printf(errmsg, "inode %llu is deeper than %d levels",
                             (unsigned long long)id, PATH_DEPTH_MAX);
            rc = BN_EINVALPATH;
            break;
        }
        rc = store_get(ns->st, id, &ino, errmsg);
        if (rc == 0 && ino.parent == 0) {
            bn_errmsg_printf(errmsg, "inode %llu is in a deleted subtree",
                             (unsigned long long)id);
            rc = BN_ENOTFOUND;
        }
        if (rc != 0) {
            inode_clear(&ino);
            break;
        }
        names[n++] = ino.name;
        len += strlen(ino.name) + 1;
        ino.name = NULL;
        id = ino.parent;
        inode_clear(&ino);
    }
    if (rc == 0 && (len + 2 > cap)) {
        bn_errmsg_printf(errmsg, "the path is longer than %zu bytes", cap);
        rc = BN_EINVALPATH;
    }
    if (rc == 0) {
        char *p = out;

        *p = '\0';
        if (n == 0) {
            *p++ = '/';
        }
        for (size_t i = n; i > 0; i--) {
            size_t k = strlen(names[i - 1]);

            *p++ = '/';
            memcpy(p, names[i - 1], k);
            p += k;
        }
        *p = '\0';
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    return rc;
}

static int list_locked(struct ns *ns, const struct path *p, const char *after,
                       size_t limit, struct ns_page *out,
                       char errmsg[BN_ERRMSG_SIZE]);

int ns_list(struct ns *ns, const struct path *p, const char *after,
            size_t limit, struct ns_page *out, char errmsg[BN_ERRMSG_SIZE])
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (limit == 0 || limit > NS_LIST_LIMIT_MAX) {
        bn_errmsg_printf(errmsg, "limit must be 1 to %d", NS_LIST_LIMIT_MAX);
        return BN_EINVAL;
    }
    pthread_rwlock_rdlock(&ns->gate);
    rc = list_locked(ns, p, after, limit, out, errmsg);
    pthread_rwlock_unlock(&ns->gate);
    return rc;
}

static int list_locked(struct ns *ns, const struct path *p, const char *after,
                       size_t limit, struct ns_page *out,
                       char errmsg[BN_ERRMSG_SIZE])
{
    struct lock_cursor cur;
    struct inode dir;
    int rc;

    rc = walk(ns, p, &cur, &dir, errmsg);
    if (rc != 0) {
        return rc;
    }
    if (dir.type != INODE_DIR) {
        lock_cursor_end(&cur);
        inode_clear(&dir);
        bn_errmsg_printf(errmsg, "%s is not a directory", p->norm);
        return BN_ENOTDIR;
    }
    /* Holding the directory's read lock: its children cannot change while
     * the store merges the committed rows with the uncommitted ones. */
    rc = store_list(ns->st, dir.id, after, limit, &out->entries, &out->n,
                    &out->more, errmsg);
    lock_cursor_end(&cur);
    if (rc != 0) {
        inode_clear(&dir);
        return rc;
    }
    out->dir = dir;
    return 0;
}

void ns_page_clear(struct ns_page *page)
{
    inode_clear(&page->dir);
    for (size_t i = 0; i < page->n; i++) {
        inode_clear(&page->entries[i]);
    }
    free(page->entries);
    memset(page, 0, sizeof(*page));
}

/* ---- apply -------------------------------------------------------------- */

/* The apply thread is the only writer, so it resolves without locks. */
struct resolved {
    struct inode parent; /* the last existing directory on the way */
    struct inode target; /* valid when found */
    bool found;
    size_t missing; /* index of the first missing segment */
};

static void resolved_clear(struct resolved *r)
{
    inode_clear(&r->parent);
    inode_clear(&r->target);
}

/* Resolve @p as far as it exists. Returns 0 (with r->found telling whether
 * the whole path exists), BN_ENOTDIR when a file stands on the way, or a
 * store error. */
static int resolve(struct ns *ns, const struct path *p, struct resolved *r,
                   char errmsg[BN_ERRMSG_SIZE])
{
    struct inode at;
    struct inode child;
    char where[512];
    int rc;

    memset(r, 0, sizeof(*r));
    rc = store_get(ns->st, INODE_ROOT_ID, &at, errmsg);
    if (rc != 0) {
        return rc;
    }
    for (size_t i = 0; i < p->n; i++) {
        if (at.type != INODE_DIR) {
            prefix_of(p, i, where, sizeof(where));
            bn_errmsg_printf(errmsg, "%s is not a directory", where);
            inode_clear(&at);
            return BN_ENOTDIR;
        }
        rc = store_lookup(ns->st, at.id, p->seg[i], &child, errmsg);
        if (rc == BN_ENOTFOUND) {
            r->parent = at;
            r->missing = i;
            return 0;
        }
        if (rc != 0) {
            inode_clear(&at);
            return rc;
        }
        if (i + 1 == p->n) {
            r->parent = at;
        } else {
            inode_clear(&at);
        }
        at = child;
    }
    if (p->n == 0) {
        r->parent = at;
        inode_copy(&r->target, &at);
    } else {
        r->target = at;
    }
    r->found = true;
    r->missing = p->n;
    return 0;
}

/* A store failure keeps the store's text: it is fatal for the replica
 * (BN_ERR_APPLY_FATAL) or internal, and names no path. */
static bool is_store_error(int rc)
{
    return bn_err_apply_fatal(rc) || rc == BN_EINTERNAL;
}

static int check_match(const struct cmd *c, const struct inode *ino,
                       char errmsg[BN_ERRMSG_SIZE])
{
    if (!(c->flags & CMD_F_IF_MATCH)) {
        return 0;
    }
    if (c->match_id != ino->id || c->match_version != ino->version) {
        bn_errmsg_printf(errmsg,
                         "If-Match \"%llu-%llu\" does not match the current "
                         "ETag \"%llu-%llu\"",
                         (unsigned long long)c->match_id,
                         (unsigned long long)c->match_version,
                         (unsigned long long)ino->id,
                         (unsigned long long)ino->version);
        return BN_EPRECOND;
    }
    return 0;
}

/* Write @a and @b (b may be NULL) under their write locks. */
static int write_pair(struct ns *ns, struct inode *a, bool a_new,
                      struct inode *b, char errmsg[BN_ERRMSG_SIZE])
{
    struct lock_wr_set set;
    bn_ino ids[2] = {a->id, b != NULL ? b->id : a->id};
    int rc;

    lock_wr_many(ns->locks, ids, 2, &set);
    rc = a_new ? store_create(ns->st, a, errmsg) : store_put(ns->st, a, errmsg);
    if (rc == 0 && b != NULL) {
        rc = store_put(ns->st, b, errmsg);
    }
    lock_wr_release(ns->locks, &set);
    return rc;
}

static void touch_dir(struct inode *dir, int64_t now_ms, uint64_t index)
{
    /* The root is made with no time (every replica makes it alike); it
     * takes the time of the first entry created in it. */
    if (dir->ctime_ms == 0) {
        dir->ctime_ms = dir->atime_ms = now_ms;
    }
    dir->mtime_ms = now_ms;
    dir->version = index;
}

static int apply_create(struct ns *ns, const struct cmd *c,
                        const struct path *p, int64_t now_ms, uint64_t index,
                        struct cmd_result *res)
{
    const struct op_attr *a = &c->u.create.attr;
    struct resolved r;
    struct inode node;
    int rc;

    if (c->u.create.type != INODE_DIR && c->u.create.type != INODE_FILE) {
        bn_errmsg_printf(res->errmsg, "unknown inode type %d",
                         c->u.create.type);
        return BN_EINVAL;
    }
    rc = resolve(ns, p, &r, res->errmsg);
    if (rc != 0) {
        return rc;
    }
    if (r.found) {
        bn_errmsg_printf(res->errmsg, "%s already exists", p->norm);
        rc = BN_EEXIST;
        goto out;
    }
    if (r.missing + 1 < p->n && !(c->flags & CMD_F_RECURSIVE)) {
        char where[512];

        prefix_of(p, r.missing + 1, where, sizeof(where));
        bn_errmsg_printf(res->errmsg,
                         "parent %s does not exist (use recursive)", where);
        rc = BN_ENOTFOUND;
        goto out;
    }
    for (size_t i = r.missing; i < p->n; i++) {
        bool last = i + 1 == p->n;

        memset(&node, 0, sizeof(node));
        node.id = store_alloc_id(ns->st);
        node.parent = r.parent.id;
        node.name = bn_strdup(p->seg[i]);
        node.type = last ? c->u.create.type : INODE_DIR;
        node.mode = last ? a->mode : INODE_MODE_DIR_DEFAULT;
        node.owner = bn_strdup(a->owner != NULL ? a->owner : "");
        node.group = bn_strdup(a->group != NULL ? a->group : "");
        node.ctime_ms = node.mtime_ms = node.atime_ms = now_ms;
        node.ttl_ms = -1;
        node.version = index;
        if (last) {
            if (node.type == INODE_FILE) {
                node.size = a->size;
                node.block_size = a->block_size;
            }
            if (c->flags & CMD_F_TTL) {
                node.ttl_ms = a->ttl_ms;
            }
            if (c->flags & CMD_F_TTL_ACTION) {
                node.ttl_action = a->ttl_action;
            }
            node.pinned = (c->flags & CMD_F_PINNED) && a->pinned;
            if (c->flags & CMD_F_MTIME) {
                /* A create from the under storage keeps its time. */
                node.mtime_ms = a->mtime_ms;
            }
            for (size_t k = 0; k < a->n_xattrs; k++) {
                if (a->xattrs[k].value != NULL &&
                    inode_xattr_set(&node, a->xattrs[k].key,
                                    a->xattrs[k].value) != 0) {
                    bn_errmsg_printf(res->errmsg, "too many xattrs");
                    inode_clear(&node);
                    rc = BN_EINVAL;
                    goto out;
                }
            }
        }
        r.parent.nchildren++;
        touch_dir(&r.parent, now_ms, index);
        rc = write_pair(ns, &node, true, &r.parent, res->errmsg);
        if (rc != 0) {
            inode_clear(&node);
            goto out;
        }
        if (last) {
            res->ino = node;
            res->has_ino = true;
        } else {
            inode_clear(&r.parent);
            r.parent = node;
        }
    }
out:
    resolved_clear(&r);
    return rc;
}

static int apply_setattr(struct ns *ns, const struct cmd *c,
                         const struct path *p, int64_t now_ms, uint64_t index,
                         struct cmd_result *res)
{
    const struct op_attr *a = &c->u.setattr;
    struct resolved r;
    struct inode *t = &r.target;
    struct lock_wr_set set;
    int rc = resolve(ns, p, &r, res->errmsg);

    if (rc != 0) {
        return rc;
    }
    if (!r.found) {
        bn_errmsg_printf(res->errmsg, "%s: no such file or directory", p->norm);
        rc = BN_ENOTFOUND;
        goto out;
    }
    rc = check_match(c, t, res->errmsg);
    if (rc != 0) {
        goto out;
    }
    if ((c->flags & (CMD_F_SIZE | CMD_F_BLOCK_SIZE)) && t->type != INODE_FILE) {
        bn_errmsg_printf(res->errmsg,
                         "%s is a directory: size applies to "
                         "files only",
                         p->norm);
        rc = BN_EISDIR;
        goto out;
    }
    for (size_t k = 0; k < a->n_xattrs; k++) {
        if (inode_xattr_set(t, a->xattrs[k].key, a->xattrs[k].value) != 0) {
            bn_errmsg_printf(res->errmsg, "too many xattrs (at most %d)",
                             INODE_XATTR_MAX);
            rc = BN_EINVAL;
            goto out;
        }
    }
    if (c->flags & CMD_F_MODE) {
        t->mode = a->mode;
    }
    if (c->flags & CMD_F_OWNER) {
        free(t->owner);
        t->owner = bn_strdup(a->owner != NULL ? a->owner : "");
    }
    if (c->flags & CMD_F_GROUP) {
        free(t->group);
        t->group = bn_strdup(a->group != NULL ? a->group : "");
    }
    if (c->flags & CMD_F_SIZE) {
        t->size = a->size;
        t->mtime_ms = now_ms;
    }
    if (c->flags & CMD_F_BLOCK_SIZE) {
        t->block_size = a->block_size;
    }
    if (c->flags & CMD_F_MTIME) {
        t->mtime_ms = a->mtime_ms;
    }
    if (c->flags & CMD_F_TTL) {
        t->ttl_ms = a->ttl_ms;
    }
    if (c->flags & CMD_F_TTL_ACTION) {
        t->ttl_action = a->ttl_action;
    }
    if (c->flags & CMD_F_PINNED) {
        t->pinned = a->pinned;
    }
    t->version = index;
    lock_wr_many(ns->locks, &t->id, 1, &set);
    rc = store_put(ns->st, t, res->errmsg);
    lock_wr_release(ns->locks, &set);
    if (rc == 0) {
        inode_copy(&res->ino, t);
        res->has_ino = true;
    }
out:
    resolved_clear(&r);
    return rc;
}

static int apply_delete(struct ns *ns, const struct cmd *c,
                        const struct path *p, int64_t now_ms, uint64_t index,
                        struct cmd_result *res)
{
    struct resolved r;
    struct lock_wr_set set;
    bn_ino ids[2];
    int rc;

    if (p->n == 0) {
        bn_errmsg_printf(res->errmsg, "the root cannot be deleted");
        return BN_EINVAL;
    }
    rc = resolve(ns, p, &r, res->errmsg);
    if (rc != 0) {
        return rc;
    }
    if (!r.found) {
        bn_errmsg_printf(res->errmsg, "%s: no such file or directory", p->norm);
        rc = BN_ENOTFOUND;
        goto out;
    }
    rc = check_match(c, &r.target, res->errmsg);
    if (rc != 0) {
        goto out;
    }
    if (r.target.type == INODE_DIR && r.target.nchildren > 0 &&
        !(c->flags & CMD_F_RECURSIVE)) {
        bn_errmsg_printf(res->errmsg, "%s has %llu entries (use recursive)",
                         p->norm, (unsigned long long)r.target.nchildren);
        rc = BN_ENOTEMPTY;
        goto out;
    }
    assert(r.parent.nchildren > 0);
    r.parent.nchildren--;
    touch_dir(&r.parent, now_ms, index);
    ids[0] = r.parent.id;
    ids[1] = r.target.id;
    lock_wr_many(ns->locks, ids, 2, &set);
    if (r.target.type == INODE_DIR && r.target.nchildren > 0) {
        rc = store_trash(ns->st, &r.target, res->errmsg);
    } else {
        rc = store_remove(ns->st, &r.target, res->errmsg);
    }
    if (rc == 0) {
        rc = store_put(ns->st, &r.parent, res->errmsg);
    }
    lock_wr_release(ns->locks, &set);
out:
    resolved_clear(&r);
    return rc;
}

/* Whether @anc is @ino or one of its ancestors. */
static int is_ancestor(struct ns *ns, bn_ino anc, bn_ino ino, bool *yes,
                       char errmsg[BN_ERRMSG_SIZE])
{
    struct inode at;
    int rc;

    *yes = false;
    while (ino != 0) {
        if (ino == anc) {
            *yes = true;
            return 0;
        }
        rc = store_get(ns->st, ino, &at, errmsg);
        if (rc != 0) {
            return rc;
        }
        ino = at.parent;
        inode_clear(&at);
    }
    return 0;
}

static int apply_rename(struct ns *ns, const struct cmd *c,
                        const struct path *src, int64_t now_ms, uint64_t index,
                        struct cmd_result *res)
{
    struct path dst = {0};
    struct resolved rs = {0};
    struct resolved rd = {0};
    struct lock_wr_set set;
    bn_ino ids[3];
    bool inside;
    int rc;

    if (src->n == 0) {
        bn_errmsg_printf(res->errmsg, "the root cannot be renamed");
        return BN_EINVAL;
    }
    rc = path_parse(c->u.rename.to != NULL ? c->u.rename.to : "",
                    c->u.rename.to != NULL ? strlen(c->u.rename.to) : 0, &dst,
                    res->errmsg);
    if (rc != 0) {
        return rc;
    }
    rc = resolve(ns, src, &rs, res->errmsg);
    if (rc != 0) {
        goto out;
    }
    if (!rs.found) {
        bn_errmsg_printf(res->errmsg, "%s: no such file or directory",
                         src->norm);
        rc = BN_ENOTFOUND;
        goto out;
    }
    rc = check_match(c, &rs.target, res->errmsg);
    if (rc != 0) {
        goto out;
    }
    if (strcmp(src->norm, dst.norm) == 0) {
        inode_copy(&res->ino, &rs.target);
        res->has_ino = true;
        goto out;
    }
    if (dst.n == 0) {
        bn_errmsg_printf(res->errmsg, "/ already exists");
        rc = BN_EEXIST;
        goto out;
    }
    if (path_is_prefix(src, &dst)) {
        bn_errmsg_printf(res->errmsg, "cannot move %s into its own subtree %s",
                         src->norm, dst.norm);
        rc = BN_EINVAL;
        goto out;
    }
    rc = resolve(ns, &dst, &rd, res->errmsg);
    if (rc != 0) {
        goto out;
    }
    if (rd.found) {
        bn_errmsg_printf(res->errmsg, "%s already exists", dst.norm);
        rc = BN_EEXIST;
        goto out;
    }
    if (rd.missing + 1 < dst.n) {
        char where[512];

        prefix_of(&dst, rd.missing + 1, where, sizeof(where));
        bn_errmsg_printf(res->errmsg, "destination parent %s does not exist",
                         where);
        rc = BN_ENOTFOUND;
        goto out;
    }
    /* Paths are resolved, so this is already excluded; the id walk
     * guards the invariant itself. */
    rc = is_ancestor(ns, rs.target.id, rd.parent.id, &inside, res->errmsg);
    if (rc != 0) {
        goto out;
    }
    if (NEVER(inside)) {
        bn_errmsg_printf(res->errmsg, "cannot move %s into its own subtree",
                         src->norm);
        rc = BN_EINVAL;
        goto out;
    }
    free(rs.target.name);
    rs.target.name = bn_strdup(path_basename(&dst));
    rs.target.parent = rd.parent.id;
    rs.target.version = index;
    ids[0] = rs.parent.id;
    ids[1] = rd.parent.id;
    ids[2] = rs.target.id;
    lock_wr_many(ns->locks, ids, 3, &set);
    if (rs.parent.id == rd.parent.id) {
        touch_dir(&rs.parent, now_ms, index);
        rc = store_put(ns->st, &rs.target, res->errmsg);
        if (rc == 0) {
            rc = store_put(ns->st, &rs.parent, res->errmsg);
        }
    } else {
        rs.parent.nchildren--;
        rd.parent.nchildren++;
        touch_dir(&rs.parent, now_ms, index);
        touch_dir(&rd.parent, now_ms, index);
        rc = store_put(ns->st, &rs.target, res->errmsg);
        if (rc == 0) {
            rc = store_put(ns->st, &rs.parent, res->errmsg);
        }
        if (rc == 0) {
            rc = store_put(ns->st, &rd.parent, res->errmsg);
        }
    }
    lock_wr_release(ns->locks, &set);
    if (rc == 0) {
        inode_copy(&res->ino, &rs.target);
        res->has_ino = true;
    }
out:
    resolved_clear(&rs);
    resolved_clear(&rd);
    path_clear(&dst);
    return rc;
}

typedef int (*apply_fn)(struct ns *ns, const struct cmd *c,
                        const struct path *p, int64_t now_ms, uint64_t index,
                        struct cmd_result *res);

/* The APPLY column of the namespace rows (op.h). */
static const apply_fn applies[OP_ID_MAX] = {
#define NS__APPLY(ID, CODE, NAME, KIND, FLAGS, PERM, METRIC, CODEC, APPLY)     \
    [OP_##ID] = APPLY,
    OP_NS_MAP(NS__APPLY)
#undef NS__APPLY
};

bool ns_applies(int op)
{
    return op >= 0 && op < OP_ID_MAX && applies[op] != NULL;
}

int ns_apply(struct ns *ns, const struct cmd *c, int64_t now_ms, uint64_t index,
             struct cmd_result *res)
{
    struct path p = {0};
    int rc;

    res->index = index;
    rc = path_parse(c->path != NULL ? c->path : "",
                    c->path != NULL ? strlen(c->path) : 0, &p, res->errmsg);
    if (rc != 0) {
        goto out;
    }
    if (c->op < 0 || c->op >= OP_ID_MAX || applies[c->op] == NULL) {
        bn_errmsg_printf(res->errmsg, "unknown operation %d", c->op);
        rc = BN_EINVAL;
        goto out;
    }
    rc = applies[c->op](ns, c, &p, now_ms, index, res);
out:
    if (rc != 0) {
        if (res->has_ino) {
            inode_clear(&res->ino);
            res->has_ino = false;
        }
        if (!is_store_error(rc)) {
            const char *path = c->path != NULL ? c->path : "";
            size_t n = strlen(path);

            /* "/a: no such file" becomes "delete /a: no such file". */
            if (n > 0 && strncmp(res->errmsg, path, n) == 0 &&
                res->errmsg[n] == ':' && res->errmsg[n + 1] == ' ') {
                memmove(res->errmsg, res->errmsg + n + 2,
                        strlen(res->errmsg + n + 2) + 1);
            }
            bn_errmsg_wrapf(res->errmsg, "%s %s", op_name(c->op), path);
        }
    }
    res->rc = rc;
    path_clear(&p);
    return rc;
}
