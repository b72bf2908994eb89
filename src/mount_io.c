/*
 * mount_io: prepare calls, the job queue and its workers, and the timer
 * that answers a job past its deadline.
 *
 * A job has two references once started: its run (the worker, then for a
 * write the raft callback of its command) and the timer's list. Whoever
 * answers first sets job->answered under job->mu; the other drops its
 * outcome. Neither the run after the worker nor the timer touches the
 * front end's request: they only call @done, once.
 *
 * SPDX-License-Identifier: MIT
 */
#include "mount_io.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "mem.h"
#include "mount.h"
#include "ns.h"
#include "path.h"
#include "repl.h"
#include "ufs.h"

#define TIMER_TICK_MS 1000 /* the timer's longest sleep */
#define UNAVAIL_TEXT                                                           \
    "this node cannot accept writes now (no leader, or shutting down)"

enum job_kind {
    JOB_READ = 1,  /* load (and maybe sync) before a read */
    JOB_WRITE = 2, /* write through, then propose the command */
    JOB_SYNC = 3,  /* POST .../sync */
};

struct mount_io_job {
    int kind;             /* enum job_kind */
    struct mount_info m;  /* the mount of path */
    struct mount_info m2; /* JOB_WRITE rename: the mount of to */
    char *path;           /* owned */
    char *to;             /* JOB_WRITE rename; owned */
    char *rel;            /* path below m's mount point; owned */
    char *rel2;           /* to below m2's; owned */
    int op;               /* JOB_WRITE: enum cmd_op */
    int type;             /* JOB_WRITE create: enum inode_type */
    bool recursive;       /* JOB_SYNC, JOB_WRITE create and delete */
    bool sync;            /* JOB_READ: sync, not only load */
    bool list;            /* JOB_READ: a listing (its first loads all) */
    /* Set by mount_io_start(). */
    struct cmd *c; /* proposed after the run; owned */
    mount_io_done_fn done;
    void *arg;
    struct usync_ctx ctx;   /* copied from the module at start */
    int64_t deadline_ms;    /* 0: none */
    struct usync_stats st;  /* what the run synced */
    pthread_mutex_t mu;     /* guards answered and refs */
    unsigned refs;          /* the run's and the timer list's */
    bool answered;          /* done was called */
    struct mount_io_job *q; /* the queue */
    struct mount_io_job *t; /* the timer's list */
};

struct mount_io {
    struct mount_io_opts o;
    char *owner;
    char *group;
    bool through; /* the default write type */
    atomic_bool stop;
    pthread_mutex_t mu; /* guards what follows */
    pthread_cond_t work_cv;
    pthread_cond_t timer_cv;
    struct mount_io_job *head;
    struct mount_io_job *tail;
    size_t queued;
    struct mount_io_job *timed; /* by deadline: every job has one timeout */
    struct mount_io_job *timed_tail;
    bool stopping;
    pthread_t *workers;
    unsigned n_workers;
    pthread_t timer;
    bool timer_started;
};

/* ---- jobs ---------------------------------------------------------------- */

static struct mount_io_job *job_new(int kind, const char *path)
{
    struct mount_io_job *job = bn_calloc(1, sizeof(*job));

    job->kind = kind;
    job->path = bn_strdup(path);
    job->refs = 1;
    (void)pthread_mutex_init(&job->mu, NULL);
    return job;
}

void mount_io_job_free(struct mount_io_job *job)
{
    if (job == NULL) {
        return;
    }
    cmd_free(job->c);
    mount_info_clear(&job->m);
    mount_info_clear(&job->m2);
    free(job->path);
    free(job->to);
    free(job->rel);
    free(job->rel2);
    (void)pthread_mutex_destroy(&job->mu);
    free(job);
}

static void job_unref(struct mount_io_job *job)
{
    bool last;

    (void)pthread_mutex_lock(&job->mu);
    last = --job->refs == 0;
    (void)pthread_mutex_unlock(&job->mu);
    if (last) {
        mount_io_job_free(job);
    }
}

/* Answer @job with @res (taken) unless it was answered already. */
static void job_answer(struct mount_io_job *job, struct cmd_result *res,
                       const struct usync_stats *st)
{
    bool first;

    (void)pthread_mutex_lock(&job->mu);
    first = !job->answered;
    job->answered = true;
    (void)pthread_mutex_unlock(&job->mu);
    if (first) {
        job->done(job->arg, res, st);
    } else {
        cmd_result_free(res);
    }
}

static struct cmd_result *result_of(int rc, const char *errmsg)
{
    struct cmd_result *res = cmd_result_new();

    res->rc = rc;
    if (rc != 0) {
        bn_errmsg_printf(res->errmsg, "%s", errmsg);
    }
    return res;
}

/* The raft callback of a write job's command. Loop thread. */
static void on_applied(void *arg, struct cmd_result *res)
{
    struct mount_io_job *job = arg;

    job_answer(job, res, NULL);
    job_unref(job);
}

/* ---- the module ---------------------------------------------------------- */

const char *mount_io_owner(const struct mount_io *mio)
{
    return mio->owner;
}

const char *mount_io_group(const struct mount_io *mio)
{
    return mio->group;
}

static bool leads(const struct mount_io *mio)
{
    if (mio->o.leads != NULL) {
        return mio->o.leads(mio->o.hook_arg);
    }
    return mio->o.repl == NULL ||
           repl_role(mio->o.repl, NULL, NULL) == REPL_LEADER;
}

/* Whether this node may load or sync at all (raft or its stand-in). */
static bool can_load(const struct mount_io *mio)
{
    return mio != NULL && mio->o.mounts != NULL &&
           (mio->o.repl != NULL || mio->o.submit != NULL);
}

static int submit(const struct mount_io *mio, struct cmd *c,
                  struct mount_io_job *job)
{
    if (mio->o.submit != NULL) {
        return mio->o.submit(mio->o.hook_arg, c, on_applied, job);
    }
    if (mio->o.repl == NULL) {
        cmd_free(c);
        return BN_EUNAVAIL;
    }
    return repl_submit(mio->o.repl, c, on_applied, job);
}

static void ctx_init(const struct mount_io *mio, struct usync_ctx *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->ns = mio->o.ns;
    ctx->repl = mio->o.repl;
    ctx->mounts = mio->o.mounts;
    ctx->owner = mio->owner;
    ctx->group = mio->group;
    ctx->submit = mio->o.submit;
    ctx->submit_arg = mio->o.hook_arg;
    ctx->stop = &mio->stop;
}

/* ---- the runs (worker threads) ------------------------------------------ */

/* Load the parent of @path from the under storage when the namespace
 * does not hold it yet. */
static int load_parent(const struct usync_ctx *ctx, const struct mount_info *m,
                       const char *path, char errmsg[BN_ERRMSG_SIZE])
{
    char *parent = bn_strdup(path);
    int rc;

    *strrchr(parent, '/') = '\0';
    rc = usync_load(ctx, m, parent[0] != '\0' ? parent : "/", errmsg);
    free(parent);
    return rc;
}

/* Create the directories of @rel above its last segment in @u (recursive
 * creates), tolerating the ones that exist. */
static int ufs_mkdirs(struct ufs *u, const char *rel,
                      char errmsg[BN_ERRMSG_SIZE])
{
    char *buf = bn_strdup(rel);
    int rc = 0;

    for (char *s = strchr(buf, '/'); s != NULL && rc == 0;
         s = strchr(s + 1, '/')) {
        *s = '\0';
        rc = ufs_mkdir(u, buf, errmsg);
        if (rc == BN_EEXIST) {
            errmsg[0] = '\0';
            rc = 0;
        }
        *s = '/';
    }
    free(buf);
    return rc;
}

static int run_read(struct mount_io_job *job, char errmsg[BN_ERRMSG_SIZE])
{
    struct inode ino = {0};
    bool sync = job->sync;
    int rc = 0;

    if (!sync) {
        rc = usync_load(&job->ctx, &job->m, job->path, errmsg);
    }
    if (rc == 0 && !sync && job->list) {
        /* A directory's first listing (on this leader) loads its
         * children. */
        if (ns_stat_path(job->ctx.ns, job->path, &ino, errmsg) == 0 &&
            ino.type == INODE_DIR && !usync_listed(job->m.id, job->path)) {
            sync = true;
        }
        errmsg[0] = '\0';
        inode_clear(&ino);
    }
    if (rc == 0 && sync) {
        rc = usync_path(&job->ctx, &job->m, job->path, false, &job->st, errmsg);
    }
    return rc;
}

/* Write through: what the namespace does not know yet comes from the
 * under storage first, so both sides agree before the change. */
static int run_write(struct mount_io_job *job, char errmsg[BN_ERRMSG_SIZE])
{
    const struct usync_ctx *ctx = &job->ctx;
    struct inode ino = {0};
    struct ufs *u = NULL;
    int rc;

    if (job->op == OP_CREATE) {
        rc = load_parent(ctx, &job->m, job->path, errmsg);
    } else {
        rc = usync_load(ctx, &job->m, job->path, errmsg);
    }
    if (rc == 0 && job->op == OP_RENAME) {
        rc = load_parent(ctx, &job->m, job->to, errmsg);
    }
    if (rc != 0) {
        goto out;
    }
    rc = ns_stat_path(ctx->ns, job->path, &ino, errmsg);
    if (job->op == OP_CREATE) {
        if (rc == 0) {
            bn_errmsg_printf(errmsg, "%.200s already exists", job->path);
            rc = BN_EEXIST;
            goto out;
        }
        errmsg[0] = '\0';
        rc = 0;
    } else if (rc != 0) {
        goto out; /* not found: the namespace answers the same */
    }
    if (job->rel[0] == '\0' && job->op != OP_CREATE) {
        goto out; /* the mount point itself: refused before */
    }
    if (job->op != OP_CREATE &&
        inode_xattr_get(&ino, USYNC_CACHE_ONLY_XATTR) != NULL) {
        goto out; /* never persisted: nothing in the under storage */
    }
    rc = ufs_open(job->m.uri, &u, errmsg);
    if (rc != 0) {
        rc = BN_EUFS;
        goto out;
    }
    switch (job->op) {
    case OP_CREATE:
        if (job->recursive) {
            rc = ufs_mkdirs(u, job->rel, errmsg);
        }
        if (rc == 0) {
            rc = job->type == INODE_DIR ? ufs_mkdir(u, job->rel, errmsg)
                                        : ufs_create(u, job->rel, errmsg);
        }
        break;
    case OP_DELETE:
        rc = ufs_remove(u, job->rel, job->recursive, errmsg);
        if (rc == BN_ENOTFOUND) {
            errmsg[0] = '\0';
            rc = 0; /* gone from the under storage already */
        }
        break;
    case OP_RENAME:
        rc = ufs_rename(u, job->rel, job->rel2, errmsg);
        break;
    default:
        break;
    }
out:
    ufs_close(u);
    inode_clear(&ino);
    return rc;
}

/* Run @job and answer it (or propose its command, which answers). */
static void run(struct mount_io *mio, struct mount_io_job *job)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct cmd *c;
    int rc;

    switch (job->kind) {
    case JOB_READ:
        rc = run_read(job, errmsg);
        break;
    case JOB_WRITE:
        rc = run_write(job, errmsg);
        break;
    default:
        rc = usync_path(&job->ctx, &job->m, job->path, job->recursive, &job->st,
                        errmsg);
        break;
    }
    if (rc == 0 && job->c != NULL) {
        c = job->c;
        job->c = NULL;
        /* The callback takes over the run's reference. */
        if (submit(mio, c, job) != 0) {
            job_answer(job, result_of(BN_EUNAVAIL, UNAVAIL_TEXT), NULL);
            job_unref(job);
        }
        return;
    }
    job_answer(job, result_of(rc, errmsg),
               job->kind == JOB_WRITE ? NULL : &job->st);
    job_unref(job);
}

static void *worker_main(void *arg)
{
    struct mount_io *mio = arg;

    (void)pthread_mutex_lock(&mio->mu);
    for (;;) {
        struct mount_io_job *job;

        while (mio->head == NULL && !mio->stopping) {
            (void)pthread_cond_wait(&mio->work_cv, &mio->mu);
        }
        if (mio->stopping) {
            break;
        }
        job = mio->head;
        mio->head = job->q;
        if (mio->head == NULL) {
            mio->tail = NULL;
        }
        mio->queued--;
        (void)pthread_mutex_unlock(&mio->mu);
        run(mio, job);
        (void)pthread_mutex_lock(&mio->mu);
    }
    (void)pthread_mutex_unlock(&mio->mu);
    return NULL;
}

/* The answer of @job past its deadline. */
static const char *late_text(const struct mount_io_job *job)
{
    if (job->kind == JOB_WRITE) {
        return "the write was not applied within the request timeout; it "
               "may still be applied";
    }
    if (job->kind == JOB_READ && !job->sync) {
        return "the load from the under storage did not finish within the "
               "request timeout; it goes on in the background";
    }
    return "the sync did not finish within the request timeout; it goes on "
           "in the background";
}

/* Answer the jobs whose deadline passed. */
static void *timer_main(void *arg)
{
    struct mount_io *mio = arg;

    (void)pthread_mutex_lock(&mio->mu);
    while (!mio->stopping) {
        struct mount_io_job *job = mio->timed;
        int64_t now = bn_clock_mono_ms();
        int64_t wait_ms = TIMER_TICK_MS;
        struct timespec ts;

        if (job != NULL && job->deadline_ms <= now) {
            mio->timed = job->t;
            if (mio->timed == NULL) {
                mio->timed_tail = NULL;
            }
            (void)pthread_mutex_unlock(&mio->mu);
            job_answer(job, result_of(BN_EUNAVAIL, late_text(job)), NULL);
            job_unref(job);
            (void)pthread_mutex_lock(&mio->mu);
            continue;
        }
        if (job != NULL && job->deadline_ms - now < wait_ms) {
            wait_ms = job->deadline_ms - now;
        }
        ts = bn_clock_wall_after(wait_ms);
        (void)pthread_cond_timedwait(&mio->timer_cv, &mio->mu, &ts);
    }
    (void)pthread_mutex_unlock(&mio->mu);
    return NULL;
}

int mount_io_new(const struct mount_io_opts *o, struct mount_io **out,
                 char errmsg[BN_ERRMSG_SIZE])
{
    struct mount_io *mio = bn_calloc(1, sizeof(*mio));

    mio->o = *o;
    mio->owner = bn_strdup(o->owner != NULL ? o->owner : "");
    mio->group = bn_strdup(o->group != NULL ? o->group : "");
    mio->o.owner = mio->owner;
    mio->o.group = mio->group;
    mio->through =
        o->write_type == NULL || strcmp(o->write_type, "cache_only") != 0;
    mio->o.write_type = NULL;
    atomic_init(&mio->stop, false);
    (void)pthread_mutex_init(&mio->mu, NULL);
    (void)pthread_cond_init(&mio->work_cv, NULL);
    (void)pthread_cond_init(&mio->timer_cv, NULL);
    mio->n_workers = o->workers > 0 ? o->workers : MOUNT_IO_WORKERS;
    mio->workers = bn_calloc(mio->n_workers, sizeof(*mio->workers));
    for (unsigned i = 0; i < mio->n_workers; i++) {
        if (pthread_create(&mio->workers[i], NULL, worker_main, mio) != 0) {
            mio->n_workers = i;
            bn_errmsg_printf(errmsg, "mount_io: cannot start a worker");
            mount_io_free(mio);
            *out = NULL;
            return BN_EIO;
        }
    }
    if (pthread_create(&mio->timer, NULL, timer_main, mio) != 0) {
        bn_errmsg_printf(errmsg, "mount_io: cannot start the timer");
        mount_io_free(mio);
        *out = NULL;
        return BN_EIO;
    }
    mio->timer_started = true;
    *out = mio;
    return 0;
}

void mount_io_free(struct mount_io *mio)
{
    struct mount_io_job *job;

    if (mio == NULL) {
        return;
    }
    atomic_store(&mio->stop, true);
    (void)pthread_mutex_lock(&mio->mu);
    mio->stopping = true;
    (void)pthread_cond_broadcast(&mio->work_cv);
    (void)pthread_cond_broadcast(&mio->timer_cv);
    (void)pthread_mutex_unlock(&mio->mu);
    for (unsigned i = 0; i < mio->n_workers; i++) {
        (void)pthread_join(mio->workers[i], NULL);
    }
    if (mio->timer_started) {
        (void)pthread_join(mio->timer, NULL);
    }
    /* No thread left but raft callbacks, which touch only their job. */
    while ((job = mio->head) != NULL) {
        mio->head = job->q;
        job_answer(job, result_of(BN_EUNAVAIL, "shutting down"), NULL);
        job_unref(job);
    }
    while ((job = mio->timed) != NULL) {
        mio->timed = job->t;
        job_unref(job);
    }
    (void)pthread_cond_destroy(&mio->timer_cv);
    (void)pthread_cond_destroy(&mio->work_cv);
    (void)pthread_mutex_destroy(&mio->mu);
    free(mio->workers);
    free(mio->owner);
    free(mio->group);
    free(mio);
}

void mount_io_start(struct mount_io *mio, struct mount_io_job *job,
                    struct cmd *c, mount_io_done_fn done, void *arg)
{
    bool refused;

    if (job == NULL) {
        /* Nothing to do first: propose @c at once (raft keeps its own
         * request timeout). */
        job = job_new(0, c->path != NULL ? c->path : "");
        job->done = done;
        job->arg = arg;
        if (submit(mio, c, job) != 0) {
            job_answer(job, result_of(BN_EUNAVAIL, UNAVAIL_TEXT), NULL);
            job_unref(job);
        }
        return;
    }
    job->c = c;
    job->done = done;
    job->arg = arg;
    ctx_init(mio, &job->ctx);
    (void)pthread_mutex_lock(&mio->mu);
    refused = mio->stopping || mio->queued >= MOUNT_IO_QUEUE_MAX;
    if (!refused) {
        if (mio->o.timeout_ms > 0) {
            job->deadline_ms = bn_clock_mono_ms() + (int64_t)mio->o.timeout_ms;
            job->refs++; /* the timer's */
            if (mio->timed_tail != NULL) {
                mio->timed_tail->t = job;
            } else {
                mio->timed = job;
            }
            mio->timed_tail = job;
        }
        if (mio->tail != NULL) {
            mio->tail->q = job;
        } else {
            mio->head = job;
        }
        mio->tail = job;
        mio->queued++;
        (void)pthread_cond_signal(&mio->work_cv);
    }
    (void)pthread_mutex_unlock(&mio->mu);
    if (refused) {
        job_answer(job,
                   result_of(mio->stopping ? BN_EUNAVAIL : BN_EBUSY,
                             mio->stopping ? "shutting down"
                                           : "too many under-storage "
                                             "operations are waiting; "
                                             "retry shortly"),
                   NULL);
        job_unref(job);
    }
}

/* ---- prepare calls --------------------------------------------------------
 */

void mount_io_fill_create(const struct mount_io *mio, struct cmd *c)
{
    struct op_attr *a = &c->u.create.attr;

    if ((c->flags & CMD_F_MODE) == 0) {
        a->mode = c->u.create.type == INODE_DIR ? INODE_MODE_DIR_DEFAULT
                                                : INODE_MODE_FILE_DEFAULT;
    }
    if ((c->flags & CMD_F_OWNER) == 0) {
        free(a->owner);
        a->owner = bn_strdup(mio->owner);
    }
    if ((c->flags & CMD_F_GROUP) == 0) {
        free(a->group);
        a->group = bn_strdup(mio->group);
    }
    c->flags |= CMD_F_MODE | CMD_F_OWNER | CMD_F_GROUP;
    if (c->u.create.type == INODE_FILE) {
        c->flags |= CMD_F_SIZE | CMD_F_BLOCK_SIZE;
    }
}

int mount_io_prepare_read(struct mount_io *mio, const char *path, bool list,
                          int64_t sync_ms, struct mount_io_job **job,
                          char errmsg[BN_ERRMSG_SIZE])
{
    struct mount_info m = {0};
    struct inode ino = {0};
    struct mount_io_job *j;
    bool sync;
    int rc;

    *job = NULL;
    if (!can_load(mio) || !mount_resolve(mio->o.mounts, path, &m, NULL)) {
        return 0;
    }
    sync = sync_ms == 0 || (sync_ms > 0 && !usync_recent(path, sync_ms));
    if (!sync) {
        /* Held already, and not a directory's first listing: nothing to
         * load. */
        rc = ns_stat_path(mio->o.ns, path, &ino, errmsg);
        errmsg[0] = '\0';
        if (rc == 0 && (!list || ino.type != INODE_DIR)) {
            inode_clear(&ino);
            mount_info_clear(&m);
            return 0;
        }
        if (rc == 0) {
            sync = !usync_listed(m.id, path);
            inode_clear(&ino);
            if (!sync) {
                mount_info_clear(&m);
                return 0;
            }
        }
    }
    if (!leads(mio)) {
        mount_info_clear(&m);
        bn_errmsg_printf(errmsg, "only the leader loads from the under "
                                 "storage");
        return BN_ENOTLEADER;
    }
    j = job_new(JOB_READ, path);
    j->m = m;
    j->sync = sync;
    j->list = list;
    *job = j;
    return 0;
}

/* Whether the subtree at @path holds a mount point (@path included). */
static bool holds_mount(struct mount_table *mt, const char *path,
                        char errmsg[BN_ERRMSG_SIZE])
{
    struct mount_info *all = NULL;
    size_t n = 0;
    bool found = false;

    mount_table_list(mt, &all, &n);
    for (size_t i = 0; i < n && !found; i++) {
        if (mount_path_covers(path, all[i].path)) {
            bn_errmsg_printf(errmsg,
                             "%.200s is or holds the mount point %.200s; "
                             "unmount it first",
                             path, all[i].path);
            found = true;
        }
    }
    mount_infos_free(all, n);
    return found;
}

static void mark_cache_only(struct cmd *c)
{
    struct op_attr *a = &c->u.create.attr;
    struct xattr *x =
        bn_realloc(a->xattrs, (a->n_xattrs + 1) * sizeof(*a->xattrs));

    a->xattrs = x;
    x[a->n_xattrs].key = bn_strdup(USYNC_CACHE_ONLY_XATTR);
    x[a->n_xattrs].value = bn_strdup("true");
    a->n_xattrs++;
    c->flags |= CMD_F_XATTRS;
}

int mount_io_prepare_write(struct mount_io *mio, struct cmd *c,
                           const char *write_type, struct mount_io_job **job,
                           char errmsg[BN_ERRMSG_SIZE])
{
    struct mount_info m = {0};
    struct mount_info m2 = {0};
    struct mount_io_job *j;
    char *rel = NULL;
    char *rel2 = NULL;
    bool in = false;
    bool in2 = false;
    bool through = mio->through;
    int rc = 0;

    *job = NULL;
    if (c->op == OP_CREATE) {
        mount_io_fill_create(mio, c);
    }
    if (mio->o.mounts == NULL) {
        return 0;
    }
    in = mount_resolve(mio->o.mounts, c->path, &m, &rel);
    if (c->op == OP_RENAME) {
        in2 = mount_resolve(mio->o.mounts, c->u.rename.to, &m2, &rel2);
    }
    if ((c->op == OP_DELETE || c->op == OP_RENAME) &&
        holds_mount(mio->o.mounts, c->path, errmsg)) {
        rc = BN_EMOUNT;
    } else if (c->op == OP_RENAME && (in != in2 || (in && m.id != m2.id))) {
        bn_errmsg_printf(errmsg,
                         "%.200s and %.200s are not under the same mount; "
                         "a rename cannot move between mounts",
                         c->path, c->u.rename.to);
        rc = BN_ECROSSMOUNT;
    }
    if (rc != 0 || !in || c->op == OP_SETATTR) {
        goto out;
    }
    if (!leads(mio)) {
        bn_errmsg_printf(errmsg, "only the leader writes under a mount");
        rc = BN_ENOTLEADER;
        goto out;
    }
    if (m.read_only) {
        bn_errmsg_printf(errmsg, "the mount at %.200s (%.200s) is read-only",
                         m.path, m.uri);
        rc = BN_EREADONLY;
        goto out;
    }
    if (write_type != NULL) {
        if (strcmp(write_type, "through") == 0) {
            through = true;
        } else if (strcmp(write_type, "cache_only") == 0) {
            through = false;
        } else {
            bn_errmsg_printf(errmsg, "query parameter 'write_type' must be "
                                     "through or cache_only");
            rc = BN_EINVAL;
            goto out;
        }
    }
    if (!through) {
        if (c->op == OP_CREATE) {
            mark_cache_only(c);
        }
        goto out;
    }
    j = job_new(JOB_WRITE, c->path);
    j->m = m;
    j->m2 = m2;
    j->rel = rel;
    j->rel2 = rel2;
    j->to = c->op == OP_RENAME && c->u.rename.to != NULL
                ? bn_strdup(c->u.rename.to)
                : NULL;
    j->op = c->op;
    j->type = c->op == OP_CREATE ? c->u.create.type : 0;
    j->recursive = (c->flags & CMD_F_RECURSIVE) != 0;
    *job = j;
    return 0;
out:
    free(rel);
    free(rel2);
    mount_info_clear(&m);
    mount_info_clear(&m2);
    return rc;
}

int mount_io_prepare_sync(struct mount_io *mio, const char *path,
                          bool recursive, struct mount_io_job **job,
                          char errmsg[BN_ERRMSG_SIZE])
{
    struct mount_info m = {0};
    struct mount_io_job *j;

    *job = NULL;
    if (!leads(mio)) {
        bn_errmsg_printf(errmsg, "only the leader syncs");
        return BN_ENOTLEADER;
    }
    if (mio->o.mounts == NULL ||
        !mount_resolve(mio->o.mounts, path, &m, NULL)) {
        bn_errmsg_printf(errmsg, "%.200s is not under a mount", path);
        return BN_ENOTMOUNT;
    }
    j = job_new(JOB_SYNC, path);
    j->m = m;
    j->recursive = recursive;
    *job = j;
    return 0;
}

/* A mount inside the root mount: its mount point must not be a file in
 * the root's under storage. */
static int check_parent_ufs(struct mount_io *mio, const char *path,
                            char errmsg[BN_ERRMSG_SIZE])
{
    struct mount_info m = {0};
    struct ufs_stat st;
    struct ufs *u = NULL;
    char *rel = NULL;
    int rc = 0;

    if (!mount_resolve(mio->o.mounts, path, &m, &rel)) {
        return 0;
    }
    if (ufs_open(m.uri, &u, errmsg) != 0) {
        rc = BN_EUFS;
    } else if (ufs_stat(u, rel, &st, errmsg) == 0 && st.type != INODE_DIR) {
        bn_errmsg_printf(errmsg,
                         "%.200s is a file in %.200s, mounted at %.200s", path,
                         m.uri, m.path);
        rc = BN_EMOUNT;
    } else {
        errmsg[0] = '\0';
    }
    ufs_close(u);
    free(rel);
    mount_info_clear(&m);
    return rc;
}

int mount_io_prepare_mount(struct mount_io *mio, const char *path,
                           const char *uri, bool read_only, struct cmd **out,
                           char errmsg[BN_ERRMSG_SIZE])
{
    struct ufs *u = NULL;
    struct cmd *c;
    int rc;

    *out = NULL;
    /* Only the leader looks at the under storage. */
    if (!leads(mio)) {
        bn_errmsg_printf(errmsg, "only the leader mounts");
        return BN_ENOTLEADER;
    }
    if (strcmp(path, "/") == 0) {
        bn_errmsg_printf(errmsg, "the root is mounted from the config "
                                 "([mounts] root_ufs), not over the API");
        rc = BN_EINVAL;
    } else {
        rc = ufs_open(uri, &u, errmsg);
    }
    if (rc == 0 && mio->o.mounts != NULL) {
        rc = mount_check(mio->o.mounts, path, ufs_uri(u), errmsg);
        if (rc == 0) {
            rc = check_parent_ufs(mio, path, errmsg);
        }
    }
    if (rc == 0) {
        c = cmd_new(OP_MOUNT);
        c->path = bn_strdup(path);
        c->u.mount.uri = bn_strdup(ufs_uri(u));
        c->u.mount.read_only = read_only;
        c->u.mount.owner = bn_strdup(mio->owner);
        c->u.mount.group = bn_strdup(mio->group);
        *out = c;
    }
    ufs_close(u);
    return rc;
}

/* ---- views --------------------------------------------------------------- */

void mount_io_view_clear(struct mount_view *v)
{
    free(v->ufs_path);
    memset(v, 0, sizeof(*v));
}

void mount_io_views_free(struct mount_view *v, size_t n)
{
    if (v == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        mount_io_view_clear(&v[i]);
    }
    free(v);
}

/* The view of @ino at @path under the longest of the @n mounts @all that
 * covers it; false when none does. */
static bool view_in(const struct mount_info *all, size_t n,
                    const struct inode *ino, const char *path,
                    struct mount_view *out)
{
    const struct mount_info *best = NULL;
    const char *rel;
    size_t ulen;
    size_t len;

    for (size_t i = 0; i < n; i++) {
        if (mount_path_covers(all[i].path, path) &&
            (best == NULL || strlen(all[i].path) > strlen(best->path))) {
            best = &all[i];
        }
    }
    if (best == NULL) {
        return false;
    }
    rel = path + (strcmp(best->path, "/") == 0 ? 0 : strlen(best->path));
    rel = rel[0] == '/' ? rel + 1 : rel;
    out->mount_id = best->id;
    ulen = strlen(best->uri);
    if (rel[0] == '\0') {
        out->ufs_path = bn_strdup(best->uri);
    } else {
        len = ulen + strlen(rel) + 2;
        out->ufs_path = bn_malloc(len);
        (void)snprintf(out->ufs_path, len, "%s%s%s", best->uri,
                       ulen > 0 && best->uri[ulen - 1] == '/' ? "" : "/", rel);
    }
    out->persisted = inode_xattr_get(ino, USYNC_CACHE_ONLY_XATTR) == NULL;
    return true;
}

void mount_io_view(struct mount_io *mio, const struct inode *ino,
                   const char *path, struct mount_view *out)
{
    struct mount_info m = {0};

    memset(out, 0, sizeof(*out));
    if (mio == NULL || mio->o.mounts == NULL ||
        !mount_resolve(mio->o.mounts, path, &m, NULL)) {
        return;
    }
    (void)view_in(&m, 1, ino, path, out);
    mount_info_clear(&m);
}

struct mount_view *mount_io_view_page(struct mount_io *mio, const char *dir,
                                      const struct inode *entries, size_t n)
{
    struct mount_info *all = NULL;
    struct mount_view *v = NULL;
    size_t n_all = 0;
    size_t base = strcmp(dir, "/") == 0 ? 0 : strlen(dir);
    size_t cap = base + 2 + PATH_NAME_MAX + 1;
    char *child;
    bool any = false;

    if (mio == NULL || mio->o.mounts == NULL || n == 0) {
        return NULL;
    }
    mount_table_list(mio->o.mounts, &all, &n_all);
    if (n_all == 0) {
        mount_infos_free(all, n_all);
        return NULL;
    }
    v = bn_calloc(n, sizeof(*v));
    child = bn_malloc(cap);
    for (size_t i = 0; i < n; i++) {
        const char *name = entries[i].name != NULL ? entries[i].name : "";
        size_t nlen = strlen(name);

        if (base + 1 + nlen + 1 > cap) {
            cap = base + 1 + nlen + 1;
            child = bn_realloc(child, cap);
        }
        memcpy(child, dir, base);
        child[base] = '/';
        memcpy(child + base + 1, name, nlen + 1);
        any |= view_in(all, n_all, &entries[i], child, &v[i]);
    }
    free(child);
    mount_infos_free(all, n_all);
    if (!any) {
        mount_io_views_free(v, n);
        return NULL;
    }
    return v;
}
