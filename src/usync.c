/*
 * usync: the sync diff and its runner on the leader.
 *
 * SPDX-License-Identifier: MIT
 */
#include "usync.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cmd.h"
#include "inode.h"
#include "mem.h"
#include "mount.h"
#include "ns.h"
#include "path.h"
#include "repl.h"
#include "ufs.h"

/* ---- the diff ------------------------------------------------------------ */

struct cursor {
    const struct usync_src *src;
    struct usync_item *it;
    size_t n;
    size_t i;
    size_t limit;
    bool more;
    bool started;
    char *last; /* name of the last item read */
};

static void items_free(struct usync_item *it, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(it[i].name);
    }
    free(it);
}

/* Load the next page when the current one is used up. */
static int cur_fill(struct cursor *c, char errmsg[BN_ERRMSG_SIZE])
{
    int rc;

    if (c->i < c->n || (c->started && !c->more)) {
        return 0;
    }
    items_free(c->it, c->n);
    c->it = NULL;
    c->n = 0;
    c->i = 0;
    rc = c->src->page(c->src->arg, c->last, c->limit, &c->it, &c->n, &c->more,
                      errmsg);
    c->started = true;
    if (rc != 0) {
        return rc;
    }
    if (c->n == 0) {
        c->more = false;
    } else {
        free(c->last);
        c->last = bn_strdup(c->it[c->n - 1].name);
    }
    return 0;
}

static const struct usync_item *cur_peek(const struct cursor *c)
{
    return c->i < c->n ? &c->it[c->i] : NULL;
}

static int compare(const struct usync_item *u, const struct usync_item *n)
{
    if (u->type != n->type) {
        return USYNC_RETYPE;
    }
    if (u->type == INODE_FILE &&
        (u->size != n->size || u->mtime_ms != n->mtime_ms)) {
        return USYNC_UPDATE;
    }
    return 0;
}

int usync_diff(const struct usync_src *ufs, const struct usync_src *nsrc,
               size_t limit, usync_emit_fn emit, void *arg,
               char errmsg[BN_ERRMSG_SIZE])
{
    struct cursor a = {.src = ufs, .limit = limit};
    struct cursor b = {.src = nsrc, .limit = limit};
    int rc = 0;

    for (;;) {
        const struct usync_item *u;
        const struct usync_item *n;
        int cmp;

        rc = cur_fill(&a, errmsg);
        if (rc == 0) {
            rc = cur_fill(&b, errmsg);
        }
        if (rc != 0) {
            break;
        }
        u = cur_peek(&a);
        n = cur_peek(&b);
        if (u == NULL && n == NULL) {
            break;
        }
        cmp = u == NULL ? 1 : n == NULL ? -1 : strcmp(u->name, n->name);
        if (cmp < 0) {
            rc = emit(arg, USYNC_CREATE, u, NULL);
            a.i++;
        } else if (cmp > 0) {
            rc = n->cache_only ? 0 : emit(arg, USYNC_DELETE, NULL, n);
            b.i++;
        } else {
            int action = compare(u, n);

            rc = action != 0 ? emit(arg, action, u, n) : 0;
            a.i++;
            b.i++;
        }
        if (rc != 0) {
            break;
        }
    }
    items_free(a.it, a.n);
    items_free(b.it, b.n);
    free(a.last);
    free(b.last);
    return rc;
}

int usync_parse_policy(const char *s, int64_t *interval_ms,
                       char errmsg[BN_ERRMSG_SIZE])
{
    char *end = NULL;
    unsigned long long v;
    int64_t unit = 0;

    if (strcmp(s, "never") == 0) {
        *interval_ms = -1;
        return 0;
    }
    if (strcmp(s, "always") == 0) {
        *interval_ms = 0;
        return 0;
    }
    if (s[0] >= '0' && s[0] <= '9') {
        v = strtoull(s, &end, 10);
        if (strcmp(end, "ms") == 0) {
            unit = 1;
        } else if (strcmp(end, "s") == 0) {
            unit = 1000;
        } else if (strcmp(end, "m") == 0) {
            unit = 60000;
        } else if (strcmp(end, "h") == 0) {
            unit = 3600000;
        }
        if (unit != 0 && v <= 1000000000ULL) {
            *interval_ms = (int64_t)v * unit;
            return 0;
        }
    }
    bn_errmsg_printf(errmsg,
                     "sync must be never, always or an interval like 60s, "
                     "5m, 500ms or 1h, not '%.64s'",
                     s);
    return BN_EINVAL;
}

/* ---- recently synced paths ---------------------------------------------- */

#define RECENT_SLOTS 4096

struct slot {
    uint64_t hash;
    int64_t ms;
};

static pthread_mutex_t recent_mu = PTHREAD_MUTEX_INITIALIZER;
static struct slot recent[RECENT_SLOTS];
static struct slot listed[RECENT_SLOTS];

static uint64_t hash_str(const char *s, uint64_t seed)
{
    uint64_t h = 1469598103934665603ULL ^ seed; /* FNV-1a */

    for (; *s != '\0'; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    }
    return h | 1; /* never 0, the empty slot */
}

/* Whether @h is in @table younger than @interval_ms; records it now when
 * it is not. */
static bool seen(struct slot *table, uint64_t h, int64_t interval_ms)
{
    size_t i = (size_t)(h % RECENT_SLOTS);
    int64_t now = bn_clock_mono_ms();
    bool fresh;

    pthread_mutex_lock(&recent_mu);
    fresh = table[i].hash == h &&
            (interval_ms < 0 || now - table[i].ms < interval_ms);
    if (!fresh) {
        table[i].hash = h;
        table[i].ms = now;
    }
    pthread_mutex_unlock(&recent_mu);
    return fresh;
}

bool usync_recent(const char *path, int64_t interval_ms)
{
    return seen(recent, hash_str(path, 0), interval_ms);
}

bool usync_listed(uint64_t mount_id, const char *path)
{
    return seen(listed, hash_str(path, mount_id), -1);
}

/* ---- proposing the differences ------------------------------------------ */

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t pending;
    int rc;
    char errmsg[BN_ERRMSG_SIZE];
};

static void on_applied(void *arg, struct cmd_result *res)
{
    struct waiter *w = arg;

    pthread_mutex_lock(&w->mu);
    /* Someone else created or deleted it meanwhile: the same end state. */
    if (res->rc != 0 && res->rc != BN_EEXIST && res->rc != BN_ENOTFOUND &&
        w->rc == 0) {
        w->rc = res->rc;
        bn_errmsg_printf(w->errmsg, "%s", res->errmsg);
    }
    w->pending--;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    cmd_result_free(res);
}

/* Wait until every submitted command has applied. */
static int wait_all(struct waiter *w, char errmsg[BN_ERRMSG_SIZE])
{
    int rc;

    pthread_mutex_lock(&w->mu);
    while (w->pending > 0) {
        pthread_cond_wait(&w->cv, &w->mu);
    }
    rc = w->rc;
    if (rc != 0) {
        bn_errmsg_printf(errmsg, "%s", w->errmsg);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

struct run {
    const struct usync_ctx *ctx;
    struct ufs *u;
    struct waiter w;
    struct usync_stats *st;
    size_t since_wait;
    const char *dir;            /* the directory being diffed */
    const struct mount_info *m; /* its mount */
    char *errmsg;
};

/* Whether a sync of r->m leaves @path alone: a mount point nested in it,
 * or a directory above one, or a path inside one (mount_foreign). */
static bool foreign(const struct run *r, const char *path)
{
    return r->ctx->mounts != NULL && r->m != NULL &&
           mount_foreign(r->ctx->mounts, r->m, path);
}

/* Whether directory @path belongs to another mount than r->m (the longest
 * mount point above it decides): a recursive sync does not descend. */
static bool elsewhere(const struct run *r, const char *path)
{
    struct mount_info got = {0};
    bool other;

    if (r->ctx->mounts == NULL || r->m == NULL) {
        return false;
    }
    other =
        mount_resolve(r->ctx->mounts, path, &got, NULL) && got.id != r->m->id;
    mount_info_clear(&got);
    return other;
}

/* Propose @c; wait for the batch when USYNC_BATCH are in flight. */
static int propose(struct run *r, struct cmd *c)
{
    int rc;

    if (r->ctx->stop != NULL && atomic_load(r->ctx->stop)) {
        cmd_free(c);
        bn_errmsg_printf(r->errmsg, "the sync stopped: shutting down");
        return BN_EUNAVAIL;
    }
    pthread_mutex_lock(&r->w.mu);
    r->w.pending++;
    pthread_mutex_unlock(&r->w.mu);
    rc = r->ctx->submit != NULL
             ? r->ctx->submit(r->ctx->submit_arg, c, on_applied, &r->w)
             : repl_submit(r->ctx->repl, c, on_applied, &r->w);
    if (rc != 0) {
        pthread_mutex_lock(&r->w.mu);
        r->w.pending--;
        pthread_mutex_unlock(&r->w.mu);
        bn_errmsg_printf(r->errmsg, "leadership lost during the sync");
        return BN_EUNAVAIL;
    }
    if (++r->since_wait >= USYNC_BATCH) {
        r->since_wait = 0;
        return wait_all(&r->w, r->errmsg);
    }
    return 0;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = bn_calloc(1, n);

    snprintf(s, n, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
    return s;
}

static int propose_create(struct run *r, const char *path,
                          const struct usync_item *u)
{
    struct cmd *c = cmd_new(OP_CREATE);

    c->u.create.type = u->type;
    c->path = bn_strdup(path);
    c->flags = CMD_F_MODE | CMD_F_OWNER | CMD_F_GROUP | CMD_F_MTIME;
    c->u.create.attr.mode =
        u->type == INODE_DIR ? INODE_MODE_DIR_DEFAULT : INODE_MODE_FILE_DEFAULT;
    c->u.create.attr.owner = bn_strdup(r->ctx->owner);
    c->u.create.attr.group = bn_strdup(r->ctx->group);
    c->u.create.attr.mtime_ms = u->mtime_ms;
    if (u->type == INODE_FILE) {
        c->flags |= CMD_F_SIZE;
        c->u.create.attr.size = u->size;
    }
    r->st->created++;
    return propose(r, c);
}

static int propose_delete(struct run *r, const char *path)
{
    struct cmd *c = cmd_new(OP_DELETE);

    c->path = bn_strdup(path);
    c->flags = CMD_F_RECURSIVE;
    r->st->deleted++;
    return propose(r, c);
}

static int propose_update(struct run *r, const char *path,
                          const struct usync_item *u)
{
    struct cmd *c = cmd_new(OP_SETATTR);

    c->path = bn_strdup(path);
    c->flags = CMD_F_SIZE | CMD_F_MTIME;
    c->u.setattr.size = u->size;
    c->u.setattr.mtime_ms = u->mtime_ms;
    r->st->updated++;
    return propose(r, c);
}

static int emit(void *arg, int action, const struct usync_item *u,
                const struct usync_item *n)
{
    struct run *r = arg;
    char *path = join(r->dir, u != NULL ? u->name : n->name);
    int rc = 0;

    if (foreign(r, path)) {
        action = 0; /* another mount's: never deleted nor loaded over */
    }
    switch (action) {
    case USYNC_CREATE:
        rc = propose_create(r, path, u);
        break;
    case USYNC_DELETE:
        rc = propose_delete(r, path);
        break;
    case USYNC_UPDATE:
        rc = propose_update(r, path, u);
        break;
    case USYNC_RETYPE:
        rc = propose_delete(r, path);
        if (rc == 0) {
            r->since_wait = 0;
            rc = wait_all(&r->w, r->errmsg);
        }
        if (rc == 0) {
            rc = propose_create(r, path, u);
        }
        break;
    default:
        break;
    }
    free(path);
    return rc;
}

/* The two sources of one directory. */
struct dir_src {
    struct run *r;
    const char *rel;   /* under-storage side */
    struct path *path; /* namespace side */
};

static int ufs_page(void *arg, const char *after, size_t limit,
                    struct usync_item **out, size_t *n, bool *more,
                    char errmsg[BN_ERRMSG_SIZE])
{
    struct dir_src *d = arg;
    struct ufs_entry *e = NULL;
    int rc = ufs_list(d->r->u, d->rel, after, limit, &e, n, more, errmsg);

    *out = NULL;
    if (rc != 0) {
        return rc;
    }
    *out = bn_calloc(*n > 0 ? *n : 1, sizeof(**out));
    for (size_t i = 0; i < *n; i++) {
        (*out)[i].name = e[i].name;
        e[i].name = NULL;
        (*out)[i].type = e[i].st.type;
        (*out)[i].size = e[i].st.size;
        (*out)[i].mtime_ms = e[i].st.mtime_ms;
    }
    ufs_entries_free(e, *n);
    return 0;
}

static int ns_page(void *arg, const char *after, size_t limit,
                   struct usync_item **out, size_t *n, bool *more,
                   char errmsg[BN_ERRMSG_SIZE])
{
    struct dir_src *d = arg;
    struct ns_page page = {0};
    int rc = ns_list(d->r->ctx->ns, d->path, after, limit, &page, errmsg);

    *out = NULL;
    *n = 0;
    *more = false;
    if (rc != 0) {
        ns_page_clear(&page);
        return rc;
    }
    *out = bn_calloc(page.n > 0 ? page.n : 1, sizeof(**out));
    for (size_t i = 0; i < page.n; i++) {
        const struct inode *ino = &page.entries[i];

        (*out)[i].name = bn_strdup(ino->name);
        (*out)[i].type = ino->type;
        (*out)[i].size = ino->size;
        (*out)[i].mtime_ms = ino->mtime_ms;
        (*out)[i].cache_only =
            inode_xattr_get(ino, USYNC_CACHE_ONLY_XATTR) != NULL;
    }
    *n = page.n;
    *more = page.more;
    ns_page_clear(&page);
    return 0;
}

/* The part of @path below the mount point @m ("" for the mount point). */
static const char *rel_of(const struct mount_info *m, const char *path)
{
    const char *r = path + strlen(m->path);

    return r[0] == '/' ? r + 1 : r;
}

static int sync_dir(struct run *r, const struct mount_info *m, const char *dir,
                    bool recursive, unsigned depth)
{
    struct path p = {0};
    struct dir_src d;
    struct usync_src us = {ufs_page, &d};
    struct usync_src ns = {ns_page, &d};
    char *after = NULL;
    bool more = true;
    int rc = path_parse(dir, strlen(dir), &p, r->errmsg);

    if (rc != 0) {
        return rc;
    }
    d.r = r;
    r->m = m;
    d.rel = rel_of(m, dir);
    d.path = &p;
    r->dir = dir;
    r->st->dirs++;
    rc = usync_diff(&us, &ns, USYNC_PAGE, emit, r, r->errmsg);
    if (rc == 0) {
        r->since_wait = 0;
        rc = wait_all(&r->w, r->errmsg);
    }
    /* The sub-directories, one namespace page at a time. */
    while (rc == 0 && recursive && more && depth < PATH_DEPTH_MAX) {
        struct ns_page page = {0};

        rc = ns_list(r->ctx->ns, &p, after, USYNC_PAGE, &page, r->errmsg);
        for (size_t i = 0; rc == 0 && i < page.n; i++) {
            if (page.entries[i].type == INODE_DIR) {
                char *sub = join(dir, page.entries[i].name);

                if (!elsewhere(r, sub)) {
                    rc = sync_dir(r, m, sub, true, depth + 1);
                }
                free(sub);
            }
        }
        more = rc == 0 && page.more && page.n > 0;
        if (more) {
            free(after);
            after = bn_strdup(page.entries[page.n - 1].name);
        }
        ns_page_clear(&page);
    }
    free(after);
    path_clear(&p);
    return rc;
}

static void run_init(struct run *r, const struct usync_ctx *ctx,
                     struct usync_stats *st, char errmsg[BN_ERRMSG_SIZE])
{
    memset(r, 0, sizeof(*r));
    r->ctx = ctx;
    r->st = st;
    r->errmsg = errmsg;
    pthread_mutex_init(&r->w.mu, NULL);
    pthread_cond_init(&r->w.cv, NULL);
}

static int run_done(struct run *r, int rc)
{
    int wrc = wait_all(&r->w, r->errmsg);

    pthread_mutex_destroy(&r->w.mu);
    pthread_cond_destroy(&r->w.cv);
    ufs_close(r->u);
    return rc != 0 ? rc : wrc;
}

/* Open @m's under storage for @r. */
static int open_ufs(struct run *r, const struct mount_info *m)
{
    int rc = ufs_open(m->uri, &r->u, r->errmsg);

    if (rc != 0) {
        bn_errmsg_wrapf(r->errmsg, "under storage of %.200s", m->path);
        return BN_EUFS;
    }
    return 0;
}

/* Map an under-storage error other than not-found to BN_EUFS. */
static int ufs_err(int rc)
{
    return rc == 0 || rc == BN_ENOTFOUND || rc == BN_ENOTDIR ? rc : BN_EUFS;
}

static int load(struct run *r, const struct mount_info *m, const char *path)
{
    struct inode ino = {0};
    struct ufs_stat us;
    struct usync_item it = {0};
    char *parent;
    char *slash;
    int rc = ns_stat_path(r->ctx->ns, path, &ino, r->errmsg);

    inode_clear(&ino);
    if (rc != BN_ENOTFOUND || strcmp(path, m->path) == 0) {
        return rc;
    }
    r->errmsg[0] = '\0';
    parent = bn_strdup(path);
    slash = strrchr(parent, '/');
    *(slash == parent ? slash + 1 : slash) = '\0';
    rc = load(r, m, parent);
    free(parent);
    if (rc != 0) {
        return rc == BN_ENOTDIR ? 0 : rc;
    }
    rc = ufs_err(ufs_stat(r->u, rel_of(m, path), &us, r->errmsg));
    if (rc == BN_ENOTFOUND || rc == BN_ENOTDIR) {
        r->errmsg[0] = '\0';
        return 0; /* in neither: the read answers not found */
    }
    if (rc == 0) {
        it.type = us.type;
        it.size = us.size;
        it.mtime_ms = us.mtime_ms;
        rc = propose_create(r, path, &it);
    }
    if (rc == 0) {
        r->since_wait = 0;
        rc = wait_all(&r->w, r->errmsg);
    }
    return rc;
}

int usync_load(const struct usync_ctx *ctx, const struct mount_info *m,
               const char *path, char errmsg[BN_ERRMSG_SIZE])
{
    struct usync_stats st = {0};
    struct run r;
    int rc;

    run_init(&r, ctx, &st, errmsg);
    rc = open_ufs(&r, m);
    if (rc == 0) {
        rc = load(&r, m, path);
    }
    return run_done(&r, rc);
}

int usync_path(const struct usync_ctx *ctx, const struct mount_info *m,
               const char *path, bool recursive, struct usync_stats *st,
               char errmsg[BN_ERRMSG_SIZE])
{
    struct inode ino = {0};
    struct ufs_stat us;
    struct usync_item u = {0};
    struct usync_item n = {0};
    struct run r;
    int rc;
    int nrc;

    run_init(&r, ctx, st, errmsg);
    rc = open_ufs(&r, m);
    if (rc != 0) {
        return run_done(&r, rc);
    }
    rc = ufs_err(ufs_stat(r.u, rel_of(m, path), &us, errmsg));
    if (rc == BN_ENOTFOUND || rc == BN_ENOTDIR) {
        if (strcmp(path, m->path) == 0) {
            bn_errmsg_printf(errmsg, "the root of %.200s is gone", m->uri);
            return run_done(&r, BN_EUFS);
        }
        errmsg[0] = '\0';
        nrc = ns_stat_path(ctx->ns, path, &ino, errmsg);
        errmsg[0] = '\0';
        rc = 0;
        if (nrc == 0 && inode_xattr_get(&ino, USYNC_CACHE_ONLY_XATTR) == NULL) {
            rc = propose_delete(&r, path);
        }
        inode_clear(&ino);
        return run_done(&r, rc);
    }
    if (rc == 0) {
        rc = load(&r, m, path);
    }
    if (rc == 0) {
        rc = ns_stat_path(ctx->ns, path, &ino, errmsg);
    }
    if (rc == 0) {
        u.type = us.type;
        u.size = us.size;
        u.mtime_ms = us.mtime_ms;
        n.type = ino.type;
        n.size = ino.size;
        n.mtime_ms = ino.mtime_ms;
        u.name = n.name = ino.name;
        nrc = compare(&u, &n);
        if (nrc == USYNC_UPDATE) {
            rc = propose_update(&r, path, &u);
        } else if (nrc == USYNC_RETYPE) {
            rc = propose_delete(&r, path);
            if (rc == 0) {
                r.since_wait = 0;
                rc = wait_all(&r.w, errmsg);
            }
            if (rc == 0) {
                rc = propose_create(&r, path, &u);
            }
        }
        if (rc == 0) {
            r.since_wait = 0;
            rc = wait_all(&r.w, errmsg);
        }
        if (rc == 0 && us.type == INODE_DIR) {
            rc = sync_dir(&r, m, path, recursive, 0);
        }
    }
    inode_clear(&ino);
    return run_done(&r, rc);
}
