/*
 * store: the hot cache over SQLite, the batch transaction, the reader pool
 * and the background reclaim of trashed subtrees.
 *
 * SPDX-License-Identifier: MIT
 */
#include "store.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "clock.h"
#include "db.h"
#include "invariant.h"
#include "log.h"
#include "mem.h"

#define RECLAIM_BATCH_MAX 1024

struct store {
    char *path;
    uint64_t cache_bytes;
    struct db *w; /* apply thread only */
    struct cache *cache;
    /* reader pool */
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    struct db **readers;
    size_t n_readers;
    size_t n_free;
    struct db **free_readers;
    /* batch state, apply thread only */
    bool in_txn;
    uint64_t applied; /* pending or committed */
    bn_ino next_id;
    bool trash; /* the trash may hold rows */
    /* counters */
    _Atomic uint64_t commits;
    _Atomic uint64_t applied_committed;
    _Atomic uint64_t inodes; /* live rows, including the trash */
    _Atomic uint64_t dirs;   /* the directories among them */
    /* background checkpoints of the WAL */
    struct db *ck;
    pthread_t ck_thread;
    bool ck_started;
    pthread_mutex_t ck_mu;
    pthread_cond_t ck_cv;
    bool ck_wanted; /* under ck_mu */
    bool ck_stop;   /* under ck_mu */
};

/* The checkpointer copies the WAL into the database once it holds this
 * many frames (pages), or every CHECKPOINT_IDLE_S seconds. */
#define CHECKPOINT_FRAMES 4096
#define CHECKPOINT_IDLE_S 5

static void *checkpointer_main(void *arg)
{
    struct store *st = arg;
    char errmsg[BN_ERRMSG_SIZE];

    pthread_mutex_lock(&st->ck_mu);
    while (!st->ck_stop) {
        struct timespec until;

        if (!st->ck_wanted) {
            until = bn_clock_wall_after(CHECKPOINT_IDLE_S * 1000);
            (void)pthread_cond_timedwait(&st->ck_cv, &st->ck_mu, &until);
            if (st->ck_stop) {
                break;
            }
        }
        st->ck_wanted = false;
        pthread_mutex_unlock(&st->ck_mu);
        int rc = db_sync(st->ck, errmsg);
        if (rc != 0 && rc != BN_EBUSY) {
            log_warn("store", "background checkpoint: %s", errmsg);
        }
        pthread_mutex_lock(&st->ck_mu);
    }
    pthread_mutex_unlock(&st->ck_mu);
    return NULL;
}

static void checkpointer_stop(struct store *st)
{
    if (!st->ck_started) {
        return;
    }
    pthread_mutex_lock(&st->ck_mu);
    st->ck_stop = true;
    pthread_cond_signal(&st->ck_cv);
    pthread_mutex_unlock(&st->ck_mu);
    pthread_join(st->ck_thread, NULL);
    st->ck_started = false;
}

/* The inode counts (shown by /metrics) are kept exact by the writes
 * below and committed in meta with the data, stamped with the applied
 * index they go with; so a restart reads them in O(1) instead of counting
 * rows. Counts stamped with another index (written by a version that did
 * not keep them, or never written) are counted again, once. */
#define COUNTS_KEY_INODES "inodes"
#define COUNTS_KEY_DIRS   "directories"
#define COUNTS_KEY_AT     "counts_at" /* applied index + 1; 0: none */

static int load_counts(struct store *st, char errmsg[BN_ERRMSG_SIZE])
{
    uint64_t at = 0;
    uint64_t n = 0;
    uint64_t d = 0;
    int rc = db_meta_get(st->w, COUNTS_KEY_AT, &at, errmsg);

    if (rc == 0 && at == st->applied + 1) {
        rc = db_meta_get(st->w, COUNTS_KEY_INODES, &n, errmsg);
        if (rc == 0) {
            rc = db_meta_get(st->w, COUNTS_KEY_DIRS, &d, errmsg);
        }
    } else if (rc == 0) {
        rc = db_count(st->w, &n, errmsg);
        if (rc == 0) {
            rc = db_count_type(st->w, INODE_DIR, &d, errmsg);
        }
    }
    atomic_store(&st->inodes, n);
    atomic_store(&st->dirs, d);
    return rc;
}

static int save_counts(struct store *st, char errmsg[BN_ERRMSG_SIZE])
{
    int rc =
        db_meta_set(st->w, COUNTS_KEY_INODES, atomic_load(&st->inodes), errmsg);

    if (rc == 0) {
        rc =
            db_meta_set(st->w, COUNTS_KEY_DIRS, atomic_load(&st->dirs), errmsg);
    }
    if (rc == 0) {
        rc = db_meta_set(st->w, COUNTS_KEY_AT, st->applied + 1, errmsg);
    }
    return rc;
}

/* Count one row of type @type in (+1) or out (-1). Apply thread. */
static void count_row(struct store *st, int type, int delta)
{
    if (delta > 0) {
        atomic_fetch_add(&st->inodes, 1);
    } else {
        atomic_fetch_sub(&st->inodes, 1);
    }
    if (type == INODE_DIR && delta > 0) {
        atomic_fetch_add(&st->dirs, 1);
    } else if (type == INODE_DIR) {
        atomic_fetch_sub(&st->dirs, 1);
    }
}

/* Open the connections, load the batch state, make the cache and start
 * the checkpointer. */
static int open_conns(struct store *st, char errmsg[BN_ERRMSG_SIZE])
{
    uint64_t v;
    int rc;

    rc = db_open(&st->w, st->path, DB_WRITER, errmsg);
    if (rc == 0) {
        rc = db_open(&st->ck, st->path, DB_CHECKPOINTER, errmsg);
    }
    if (rc != 0) {
        return rc;
    }
    rc = db_meta_get(st->w, "applied_index", &st->applied, errmsg);
    if (rc == 0) {
        rc = db_meta_get(st->w, "next_id", &v, errmsg);
    }
    if (rc != 0) {
        return rc;
    }
    st->next_id = v > INODE_ROOT_ID ? v : INODE_ROOT_ID + 1;
    atomic_store(&st->applied_committed, st->applied);
    rc = load_counts(st, errmsg);
    if (rc != 0) {
        return rc;
    }
    rc = db_trash_pick(st->w, &v, errmsg);
    if (rc != 0) {
        return rc;
    }
    st->trash = v != 0;
    st->readers = bn_calloc(st->n_readers, sizeof(*st->readers));
    st->free_readers = bn_calloc(st->n_readers, sizeof(*st->free_readers));
    for (size_t i = 0; i < st->n_readers; i++) {
        rc = db_open(&st->readers[i], st->path, DB_READER, errmsg);
        if (rc != 0) {
            return rc;
        }
    }
    st->cache = cache_new(st->cache_bytes);
    st->ck_stop = false;
    if (pthread_create(&st->ck_thread, NULL, checkpointer_main, st) != 0) {
        bn_errmsg_printf(errmsg, "cannot start the checkpoint thread");
        return BN_EINTERNAL;
    }
    st->ck_started = true;
    /* Last: readers waiting in reader_take() go on from here. */
    pthread_mutex_lock(&st->pool_mu);
    for (size_t i = 0; i < st->n_readers; i++) {
        st->free_readers[i] = st->readers[i];
    }
    st->n_free = st->n_readers;
    pthread_cond_broadcast(&st->pool_cv);
    pthread_mutex_unlock(&st->pool_mu);
    return 0;
}

/* Undo open_conns(); the pool must be full or never filled. */
static void close_conns(struct store *st)
{
    checkpointer_stop(st);
    db_close(st->ck);
    st->ck = NULL;
    for (size_t i = 0; st->readers != NULL && i < st->n_readers; i++) {
        db_close(st->readers[i]);
    }
    free(st->readers);
    free(st->free_readers);
    st->readers = st->free_readers = NULL;
    st->n_free = 0;
    db_close(st->w);
    st->w = NULL;
    cache_free(st->cache);
    st->cache = NULL;
}

int store_open(struct store **out, const struct store_options *opts,
               char errmsg[BN_ERRMSG_SIZE])
{
    struct store *st = bn_calloc(1, sizeof(*st));
    int rc;

    pthread_mutex_init(&st->pool_mu, NULL);
    pthread_cond_init(&st->pool_cv, NULL);
    pthread_mutex_init(&st->ck_mu, NULL);
    pthread_cond_init(&st->ck_cv, NULL);
    st->path = bn_strdup(opts->path);
    st->cache_bytes = opts->cache_bytes;
    st->n_readers = opts->readers > 0 ? opts->readers : 1;
    rc = open_conns(st, errmsg);
    if (rc != 0) {
        bn_errmsg_wrapf(errmsg, "store %s", opts->path);
        store_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

void store_close(struct store *st)
{
    char errmsg[BN_ERRMSG_SIZE] = "";

    if (st == NULL) {
        return;
    }
    if (st->w != NULL && store_commit(st, true, errmsg) != 0) {
        log_error("store", "final commit: %s", errmsg);
    }
    close_conns(st);
    pthread_mutex_destroy(&st->pool_mu);
    pthread_cond_destroy(&st->pool_cv);
    pthread_mutex_destroy(&st->ck_mu);
    pthread_cond_destroy(&st->ck_cv);
    free(st->path);
    free(st);
}

/* ---- reads -------------------------------------------------------------- */

static struct db *reader_take(struct store *st)
{
    struct db *db;

    pthread_mutex_lock(&st->pool_mu);
    while (st->n_free == 0) {
        pthread_cond_wait(&st->pool_cv, &st->pool_mu);
    }
    db = st->free_readers[--st->n_free];
    pthread_mutex_unlock(&st->pool_mu);
    return db;
}

static void reader_give(struct store *st, struct db *db)
{
    pthread_mutex_lock(&st->pool_mu);
    st->free_readers[st->n_free++] = db;
    pthread_cond_signal(&st->pool_cv);
    pthread_mutex_unlock(&st->pool_mu);
}

/* The apply thread reads its own uncommitted rows through the writer; it
 * only gets here on a cache miss, where the row is not dirty. */
static bool on_apply_thread(struct store *st);

int store_get(struct store *st, bn_ino ino, struct inode *out,
              char errmsg[BN_ERRMSG_SIZE])
{
    uint64_t gen;
    struct db *db;
    int rc = cache_get(st->cache, ino, out, &gen);

    if (rc == CACHE_HIT) {
        return 0;
    }
    if (rc == CACHE_GONE) {
        bn_errmsg_printf(errmsg, "%s", bn_err_text(BN_ENOTFOUND));
        return BN_ENOTFOUND;
    }
    if (on_apply_thread(st)) {
        rc = db_get(st->w, ino, out, errmsg);
    } else {
        db = reader_take(st);
        rc = db_get(db, ino, out, errmsg);
        reader_give(st, db);
    }
    if (rc == 0) {
        cache_fill(st->cache, out, gen);
    }
    return rc;
}

int store_lookup(struct store *st, bn_ino parent, const char *name,
                 struct inode *out, char errmsg[BN_ERRMSG_SIZE])
{
    uint64_t gen;
    struct db *db;
    int rc = cache_lookup(st->cache, parent, name, out, &gen);

    if (rc == CACHE_HIT) {
        return 0;
    }
    if (rc == CACHE_GONE) {
        bn_errmsg_printf(errmsg, "%s", bn_err_text(BN_ENOTFOUND));
        return BN_ENOTFOUND;
    }
    if (on_apply_thread(st)) {
        rc = db_lookup(st->w, parent, name, out, errmsg);
    } else {
        db = reader_take(st);
        rc = db_lookup(db, parent, name, out, errmsg);
        reader_give(st, db);
    }
    if (rc == 0) {
        cache_fill(st->cache, out, gen);
    }
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct inode *)a)->name,
                  ((const struct inode *)b)->name);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool name_in_live(const struct inode *live, size_t n, const char *name)
{
    struct inode key = {.name = (char *)name};

    return n > 0 && bsearch(&key, live, n, sizeof(*live), by_name) != NULL;
}

static bool name_in_gone(char **gone, size_t n, const char *name)
{
    return n > 0 && bsearch(&name, gone, n, sizeof(*gone), str_cmp) != NULL;
}

int store_list(struct store *st, bn_ino parent, const char *after, size_t limit,
               struct inode **out, size_t *n, bool *more,
               char errmsg[BN_ERRMSG_SIZE])
{
    struct inode *live;
    struct inode *rows = NULL;
    struct inode *res;
    char **gone;
    size_t nlive;
    size_t ngone;
    size_t nrows = 0;
    size_t k = 0;
    size_t i = 0;
    size_t j = 0;
    bool smore;
    struct db *db;
    int rc;

    /* The dirty set first, the committed rows second: a commit in between
     * only moves changes from the first to the second, and the caller's
     * read lock on the directory keeps apply from changing its children,
     * so the merge is the applied state either way. */
    cache_dirty_children(st->cache, parent, after, &live, &nlive, &gone,
                         &ngone);
    if (nlive > 1) {
        qsort(live, nlive, sizeof(*live), by_name);
    }
    if (ngone > 1) {
        qsort(gone, ngone, sizeof(*gone), str_cmp);
    }
    /* Each dirty name hides at most one row: with that many more rows the
     * merge knows its first limit + 1 entries (and so whether more follow). */
    db = reader_take(st);
    rc = db_list(db, parent, after, limit + 1 + nlive + ngone, &rows, &nrows,
                 &smore, errmsg);
    reader_give(st, db);
    res = bn_calloc(limit + 1, sizeof(*res));
    while (rc == 0 && k < limit + 1 && (i < nrows || j < nlive)) {
        /* live[0..j) went out already; a row of one of their names was
         * met (and hidden) before it, the two being in name order. */
        if (i < nrows && (name_in_gone(gone, ngone, rows[i].name) ||
                          name_in_live(live + j, nlive - j, rows[i].name))) {
            inode_clear(&rows[i++]); /* replaced or taken away */
            continue;
        }
        if (j == nlive ||
            (i < nrows && strcmp(rows[i].name, live[j].name) < 0)) {
            struct inode fresh;

            res[k] = rows[i];
            memset(&rows[i++], 0, sizeof(*rows));
            /* Attributes may be newer in the cache (a setattr does not
             * lock the directory). */
            if (cache_get(st->cache, res[k].id, &fresh, NULL) == CACHE_HIT) {
                if (fresh.parent == parent &&
                    strcmp(fresh.name, res[k].name) == 0) {
                    inode_clear(&res[k]);
                    res[k] = fresh;
                } else {
                    inode_clear(&fresh);
                }
            }
        } else {
            res[k] = live[j++]; /* moved: only live[j..] is freed below */
        }
        k++;
    }
    for (; i < nrows; i++) {
        inode_clear(&rows[i]);
    }
    for (; j < nlive; j++) {
        inode_clear(&live[j]);
    }
    free(rows);
    free(live);
    for (size_t g = 0; g < ngone; g++) {
        free(gone[g]);
    }
    free(gone);
    if (rc != 0) {
        for (size_t r = 0; r < k; r++) {
            inode_clear(&res[r]);
        }
        free(res);
        return rc;
    }
    *more = k > limit;
    if (*more) {
        inode_clear(&res[--k]);
    }
    *out = res;
    *n = k;
    return 0;
}

bool store_is_dirty(struct store *st, bn_ino ino)
{
    return cache_is_dirty(st->cache, ino);
}

/* ---- writes ------------------------------------------------------------- */

static _Thread_local const struct store *apply_owner;

static bool on_apply_thread(struct store *st)
{
    return apply_owner == st;
}

int store_begin(struct store *st, char errmsg[BN_ERRMSG_SIZE])
{
    int rc;

    /* The thread that writes is the apply thread from now on. */
    apply_owner = st;
    if (st->in_txn) {
        return 0;
    }
    rc = db_begin(st->w, errmsg);
    if (rc == 0) {
        st->in_txn = true;
    }
    return rc;
}

bn_ino store_alloc_id(struct store *st)
{
    assert(st->in_txn);
    return st->next_id++;
}

int store_create(struct store *st, const struct inode *ino,
                 char errmsg[BN_ERRMSG_SIZE])
{
    int rc = store_put(st, ino, errmsg);

    if (rc == 0) {
        count_row(st, ino->type, +1);
    }
    return rc;
}

int store_put(struct store *st, const struct inode *ino,
              char errmsg[BN_ERRMSG_SIZE])
{
    int rc;

    assert(st->in_txn);
    rc = db_put(st->w, ino, errmsg);
    if (rc != 0) {
        return rc;
    }
    cache_put_dirty(st->cache, ino);
    return 0;
}

int store_remove(struct store *st, const struct inode *ino,
                 char errmsg[BN_ERRMSG_SIZE])
{
    int rc;

    assert(st->in_txn);
    rc = db_delete(st->w, ino->id, errmsg);
    if (rc != 0) {
        return rc;
    }
    cache_remove_dirty(st->cache, ino);
    count_row(st, ino->type, -1);
    return 0;
}

int store_trash(struct store *st, const struct inode *ino,
                char errmsg[BN_ERRMSG_SIZE])
{
    int rc;

    assert(st->in_txn);
    rc = db_move_to_trash(st->w, ino->id, errmsg);
    if (rc != 0) {
        return rc;
    }
    /* Readers must neither reach it by its old edge nor by id. */
    cache_remove_dirty(st->cache, ino);
    st->trash = true;
    return 0;
}

void store_set_applied(struct store *st, uint64_t index)
{
    assert(st->in_txn);
    assert(index >= st->applied);
    st->applied = index;
}

int store_commit(struct store *st, bool durable, char errmsg[BN_ERRMSG_SIZE])
{
    int rc = 0;

    if (st->in_txn) {
        rc = db_meta_set(st->w, "applied_index", st->applied, errmsg);
        if (rc == 0) {
            rc = db_meta_set(st->w, "next_id", st->next_id, errmsg);
        }
        if (rc == 0) {
            rc = save_counts(st, errmsg);
        }
        if (rc == 0) {
            rc = db_commit(st->w, errmsg);
        }
        if (rc != 0) {
            return rc;
        }
        st->in_txn = false;
        cache_commit(st->cache);
        uint64_t frames = db_wal_frames(st->w);

        if (frames >= 2 * CHECKPOINT_FRAMES) {
            /* The background checkpoints never catch up with a busy
             * writer, and only the writer can restart the WAL: finish the
             * copy here (little is left) so the next commit starts the WAL
             * over instead of growing it. */
            char why[BN_ERRMSG_SIZE];

            if (db_sync(st->w, why) != 0) {
                log_debug("store", "checkpoint: %s", why);
            }
        } else if (frames >= CHECKPOINT_FRAMES) {
            pthread_mutex_lock(&st->ck_mu);
            st->ck_wanted = true;
            pthread_cond_signal(&st->ck_cv);
            pthread_mutex_unlock(&st->ck_mu);
        }
        atomic_store(&st->applied_committed, st->applied);
        atomic_fetch_add(&st->commits, 1);
    }
    /* Durable: the WAL must reach the disk; wait out a background
     * checkpoint that holds the checkpoint lock (bounded). */
    for (int tries = 0; durable && tries < 5000; tries++) {
        rc = db_sync(st->w, errmsg);
        if (rc != BN_EBUSY) {
            break;
        }
        struct timespec ms = {0, 1000000};
        (void)nanosleep(&ms, NULL);
    }
    return rc;
}

int store_reclaim(struct store *st, unsigned max, char errmsg[BN_ERRMSG_SIZE])
{
    bn_ino ids[RECLAIM_BATCH_MAX];
    int types[RECLAIM_BATCH_MAX];
    uint64_t nch[RECLAIM_BATCH_MAX];
    bn_ino root;
    int done = 0;
    int n;
    int rc;

    assert(st->in_txn);
    if (max > RECLAIM_BATCH_MAX) {
        max = RECLAIM_BATCH_MAX;
    }
    while ((unsigned)done < max) {
        rc = db_trash_pick(st->w, &root, errmsg);
        if (rc != 0) {
            return rc;
        }
        if (root == 0) {
            st->trash = false;
            break;
        }
        n = db_children(st->w, root, max - (unsigned)done, ids, types, nch,
                        errmsg);
        if (n < 0) {
            return n;
        }
        if (n == 0) {
            /* An empty trashed directory: remove it. Only directories
             * with children go to the trash (store_trash's callers and
             * the loop below), so a trash root is always one. */
            rc = db_delete(st->w, root, errmsg);
            if (rc != 0) {
                return rc;
            }
            cache_drop(st->cache, root);
            count_row(st, INODE_DIR, -1);
            done++;
            continue;
        }
        for (int i = 0; i < n; i++) {
            if (types[i] == INODE_DIR && nch[i] > 0) {
                rc = db_move_to_trash(st->w, ids[i], errmsg);
            } else {
                rc = db_delete(st->w, ids[i], errmsg);
                if (rc == 0) {
                    count_row(st, types[i], -1);
                }
            }
            if (rc != 0) {
                return rc;
            }
            cache_drop(st->cache, ids[i]);
            done++;
        }
    }
    return done;
}

int store_expired(struct store *st, int64_t now_ms, unsigned max, bn_ino *ids,
                  char errmsg[BN_ERRMSG_SIZE])
{
    return db_expired(st->w, now_ms, max, ids, errmsg);
}

bool store_has_trash(struct store *st)
{
    return st->trash;
}

/* ---- state -------------------------------------------------------------- */

uint64_t store_applied(struct store *st)
{
    return st->applied;
}

/* The size of file @path@suffix, 0 when it does not exist. */
static uint64_t file_bytes(const char *path, const char *suffix)
{
    char name[4200];
    struct stat sb;

    (void)snprintf(name, sizeof(name), "%s%s", path, suffix);
    return stat(name, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

void store_get_stats(struct store *st, struct store_stats *out)
{
    struct cache_stats cs;

    cache_get_stats(st->cache, &cs);
    out->cache_entries = cs.entries;
    out->cache_bytes = cs.bytes;
    out->cache_hits = cs.hits;
    out->cache_misses = cs.misses;
    out->cache_evictions = cs.evictions;
    out->commits = atomic_load(&st->commits);
    out->inodes = atomic_load(&st->inodes);
    out->dirs = atomic_load(&st->dirs);
    out->applied_index = atomic_load(&st->applied_committed);
    out->disk_bytes = file_bytes(st->path, "") + file_bytes(st->path, "-wal");
}

struct check_ctx {
    struct store *st;
    int rc;
    char *errmsg;
};

static bool same_inode(const struct inode *a, const struct inode *b)
{
    return a->id == b->id && a->parent == b->parent &&
           strcmp(a->name, b->name) == 0 && a->type == b->type &&
           a->mode == b->mode && strcmp(a->owner, b->owner) == 0 &&
           strcmp(a->group, b->group) == 0 && a->size == b->size &&
           a->mtime_ms == b->mtime_ms && a->nchildren == b->nchildren &&
           a->version == b->version && a->n_xattrs == b->n_xattrs;
}

static void check_entry(const struct inode *ino, void *arg)
{
    struct check_ctx *ctx = arg;
    struct inode row;
    char tmp[BN_ERRMSG_SIZE];

    if (ctx->rc != 0) {
        return;
    }
    if (db_get(ctx->st->w, ino->id, &row, tmp) != 0) {
        bn_errmsg_printf(ctx->errmsg, "check: cached inode %llu has no row",
                         (unsigned long long)ino->id);
        ctx->rc = BN_ECORRUPT;
        return;
    }
    if (!same_inode(ino, &row)) {
        bn_errmsg_printf(ctx->errmsg,
                         "check: cached inode %llu differs from its row",
                         (unsigned long long)ino->id);
        ctx->rc = BN_ECORRUPT;
    }
    inode_clear(&row);
}

int store_check(struct store *st, char errmsg[BN_ERRMSG_SIZE])
{
    struct check_ctx ctx = {st, 0, errmsg};
    uint64_t rows;
    int rc;

    assert(!st->in_txn);
    rc = db_check(st->w, errmsg);
    if (rc != 0) {
        return rc;
    }
    rc = db_count(st->w, &rows, errmsg);
    if (rc != 0) {
        return rc;
    }
    if (rows != atomic_load(&st->inodes)) {
        bn_errmsg_printf(errmsg, "check: %llu rows but %llu counted",
                         (unsigned long long)rows,
                         (unsigned long long)atomic_load(&st->inodes));
        return BN_ECORRUPT;
    }
    rc = db_count_type(st->w, INODE_DIR, &rows, errmsg);
    if (rc != 0) {
        return rc;
    }
    if (rows != atomic_load(&st->dirs)) {
        bn_errmsg_printf(errmsg, "check: %llu directories but %llu counted",
                         (unsigned long long)rows,
                         (unsigned long long)atomic_load(&st->dirs));
        return BN_ECORRUPT;
    }
    cache_foreach(st->cache, check_entry, &ctx);
    return ctx.rc;
}

/* ---- cluster state ------------------------------------------------------ */

int store_node_put(struct store *st, uint64_t id, const char *http,
                   const char *raft, char errmsg[BN_ERRMSG_SIZE])
{
    assert(st->in_txn);
    return db_node_put(st->w, id, http, raft, errmsg);
}

int store_node_del(struct store *st, uint64_t id, char errmsg[BN_ERRMSG_SIZE])
{
    assert(st->in_txn);
    return db_node_del(st->w, id, errmsg);
}

int store_node_each(struct store *st,
                    void (*fn)(void *arg, uint64_t id, const char *http,
                               const char *raft),
                    void *arg, char errmsg[BN_ERRMSG_SIZE])
{
    return db_node_each(st->w, fn, arg, errmsg);
}

int store_mount_put(struct store *st, const struct mount_info *m,
                    char errmsg[BN_ERRMSG_SIZE])
{
    assert(st->in_txn);
    return db_mount_put(st->w, m, errmsg);
}

int store_mount_del(struct store *st, const char *path,
                    char errmsg[BN_ERRMSG_SIZE])
{
    assert(st->in_txn);
    return db_mount_del(st->w, path, errmsg);
}

int store_mount_each(struct store *st,
                     void (*fn)(void *arg, const struct mount_info *m),
                     void *arg, char errmsg[BN_ERRMSG_SIZE])
{
    return db_mount_each(st->w, fn, arg, errmsg);
}

int store_idem_get(struct store *st, const char *key, struct db_idem *out,
                   char errmsg[BN_ERRMSG_SIZE])
{
    return db_idem_get(st->w, key, out, errmsg);
}

int store_idem_put(struct store *st, const char *key, int64_t ts,
                   const struct db_idem *rec, char errmsg[BN_ERRMSG_SIZE])
{
    assert(st->in_txn);
    return db_idem_put(st->w, key, ts, rec, errmsg);
}

int store_idem_expire(struct store *st, int64_t before, uint64_t keep,
                      char errmsg[BN_ERRMSG_SIZE])
{
    assert(st->in_txn);
    return db_idem_expire(st->w, before, keep, errmsg);
}

/* ---- whole-store operations --------------------------------------------- */

int store_checksum(struct store *st, struct db_checksum *out,
                   char errmsg[BN_ERRMSG_SIZE])
{
    struct db *db = reader_take(st);
    int rc = db_checksum(db, out, errmsg);

    reader_give(st, db);
    return rc;
}

int store_backup(struct store *st, const char *dest, uint64_t *applied,
                 char errmsg[BN_ERRMSG_SIZE])
{
    struct db *db = reader_take(st);
    int rc;

    (void)unlink(dest);
    rc = db_backup(db, dest, errmsg);
    reader_give(st, db);
    if (rc == 0) {
        rc = db_verify(dest, applied, errmsg);
    }
    return rc;
}

int store_replace(struct store *st, const char *src,
                  char errmsg[BN_ERRMSG_SIZE])
{
    char side[4200];
    int rc;

    rc = store_commit(st, true, errmsg);
    if (rc != 0) {
        return rc;
    }
    /* Every reader back in the pool, and none handed out until the new
     * file is open. */
    for (size_t i = 0; i < st->n_readers; i++) {
        (void)reader_take(st);
    }
    close_conns(st);
    /* The old file's WAL must not be replayed into the new one. */
    (void)snprintf(side, sizeof(side), "%s-wal", st->path);
    (void)unlink(side);
    (void)snprintf(side, sizeof(side), "%s-shm", st->path);
    (void)unlink(side);
    if (rename(src, st->path) != 0) {
        bn_errmsg_printf(errmsg, "rename %.200s: %s", src, strerror(errno));
        rc = BN_EIO;
    }
    if (open_conns(st, errmsg) != 0) {
        /* The node cannot go on without its store. */
        bn_panic("store: reopen after replace: %s", errmsg);
    }
    return rc;
}
