/*
 * bulkload: fill a data directory's store with many inodes, fast, for the
 * memory part of banyan's benchmark.
 *
 * It writes straight through the store API (store.h), without raft or
 * HTTP, into DATA_DIR/banyan.db, which a daemon started on DATA_DIR then
 * serves: same schema, same statements, ids from the store's counter. The
 * tree is /bulk/d<k>/f<j>: N files in directories of 1000 (the last one
 * may hold fewer), the layout of loadgen's statmany and listmany. Rows are
 * committed every BULK_BATCH_ROWS in one transaction each; the root is
 * created when the store has none, and every directory's nchildren matches
 * its rows. /bulk must not exist yet.
 *
 * Raft: the store's applied index is left as it is (0 for a new store) and
 * DATA_DIR must have no raft/ directory, so the daemon starts a fresh raft
 * log whose entries all come after the store's state. (A store whose
 * applied index is above a fresh log's would have the daemon skip its
 * first writes as replays: see fsm_apply_batch().)
 *
 * Prints progress to stderr every million rows and one JSON line on
 * stdout: the files asked for, the rows written, the rows in the store,
 * the time and the rate.
 *
 * Usage: bulkload DATA_DIR N
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "inode.h"
#include "store.h"

#define BULK_FILES_PER_DIR 1000
/* Rows a transaction; the store's hot tier is no use to a loader, so its
 * cache stays small. */
#define BULK_BATCH_ROWS    100000
#define BULK_PROGRESS_ROWS 1000000
#define BULK_CACHE_BYTES   (4ULL << 20)
#define BULK_OWNER         "banyan"

struct loader {
    struct store *st;
    uint64_t pending; /* rows in the open batch */
    uint64_t rows;    /* rows written */
    double t0;        /* when the load started */
    int64_t now_ms;
    char errmsg[BN_ERRMSG_SIZE];
};

static double now_s(void)
{
    return (double)bn_clock_mono_us() / 1e6;
}

/* A new inode with the defaults of the API (mode 0755/0644, owner and group
 * "banyan"). Its strings point to @name and to static text: it is never
 * cleared. */
static void fill(struct inode *ino, const struct loader *ld, bn_ino id,
                 bn_ino parent, char *name, int type, uint64_t nchildren)
{
    static char owner[] = BULK_OWNER;

    memset(ino, 0, sizeof(*ino));
    ino->id = id;
    ino->parent = parent;
    ino->name = name;
    ino->type = type;
    ino->mode = type == INODE_DIR ? 0755 : 0644;
    ino->owner = owner;
    ino->group = owner;
    ino->ctime_ms = ld->now_ms;
    ino->mtime_ms = ld->now_ms;
    ino->atime_ms = ld->now_ms;
    ino->ttl_ms = -1;
    ino->ttl_action = INODE_TTL_DELETE;
    ino->nchildren = nchildren;
}

/* Commit the batch and open the next one. */
static int flush(struct loader *ld, bool durable)
{
    int rc = store_commit(ld->st, durable, ld->errmsg);

    if (rc == 0) {
        rc = store_begin(ld->st, ld->errmsg);
    }
    ld->pending = 0;
    return rc;
}

static int add(struct loader *ld, const struct inode *ino)
{
    int rc = store_create(ld->st, ino, ld->errmsg);

    if (rc != 0) {
        return rc;
    }
    ld->rows++;
    if (++ld->pending >= BULK_BATCH_ROWS) {
        rc = flush(ld, false);
    }
    if (ld->rows % BULK_PROGRESS_ROWS == 0) {
        double secs = now_s() - ld->t0;

        (void)fprintf(stderr, "bulkload: %llu rows, %.1f s, %.0f rows/s\n",
                      (unsigned long long)ld->rows, secs,
                      secs > 0 ? (double)ld->rows / secs : 0.0);
    }
    return rc;
}

/* The root, created when the store has none; its nchildren grows by one
 * for /bulk. */
static int link_root(struct loader *ld)
{
    struct inode root;
    struct inode bulk;
    char empty[] = "";
    int rc = store_get(ld->st, INODE_ROOT_ID, &root, ld->errmsg);

    if (rc == BN_ENOTFOUND) {
        fill(&root, ld, INODE_ROOT_ID, 0, empty, INODE_DIR, 1);
        rc = store_create(ld->st, &root, ld->errmsg);
        if (rc == 0) {
            ld->rows++;
        }
        return rc;
    }
    if (rc != 0) {
        return rc;
    }
    rc = store_lookup(ld->st, INODE_ROOT_ID, "bulk", &bulk, ld->errmsg);
    if (rc == 0) {
        inode_clear(&bulk);
        inode_clear(&root);
        bn_errmsg_printf(ld->errmsg, "/bulk exists already");
        return BN_EEXIST;
    }
    if (rc != BN_ENOTFOUND) {
        inode_clear(&root);
        return rc;
    }
    root.nchildren++;
    rc = store_put(ld->st, &root, ld->errmsg);
    inode_clear(&root);
    return rc;
}

static int load(struct loader *ld, uint64_t nfiles)
{
    uint64_t ndirs = (nfiles + BULK_FILES_PER_DIR - 1) / BULK_FILES_PER_DIR;
    struct inode ino;
    char bulk_name[] = "bulk";
    char name[32];
    bn_ino bulk_id;
    int rc;

    rc = store_begin(ld->st, ld->errmsg);
    if (rc != 0) {
        return rc;
    }
    rc = link_root(ld);
    if (rc != 0) {
        return rc;
    }
    bulk_id = store_alloc_id(ld->st);
    fill(&ino, ld, bulk_id, INODE_ROOT_ID, bulk_name, INODE_DIR, ndirs);
    rc = add(ld, &ino);
    for (uint64_t k = 0; rc == 0 && k < ndirs; k++) {
        uint64_t first = k * BULK_FILES_PER_DIR;
        uint64_t n = nfiles - first < BULK_FILES_PER_DIR ? nfiles - first
                                                         : BULK_FILES_PER_DIR;
        bn_ino dir_id = store_alloc_id(ld->st);

        (void)snprintf(name, sizeof(name), "d%llu", (unsigned long long)k);
        fill(&ino, ld, dir_id, bulk_id, name, INODE_DIR, n);
        rc = add(ld, &ino);
        for (uint64_t j = 0; rc == 0 && j < n; j++) {
            (void)snprintf(name, sizeof(name), "f%llu", (unsigned long long)j);
            fill(&ino, ld, store_alloc_id(ld->st), dir_id, name, INODE_FILE, 0);
            rc = add(ld, &ino);
        }
    }
    if (rc == 0) {
        rc = store_commit(ld->st, true, ld->errmsg);
    }
    return rc;
}

int main(int argc, char **argv)
{
    struct store_options opts;
    struct store_stats stats;
    struct loader ld;
    struct stat sb;
    char path[4096];
    char raft_dir[4096];
    char *end;
    unsigned long long nfiles;
    double secs;
    int rc;

    if (argc != 3) {
        (void)fprintf(stderr, "usage: bulkload DATA_DIR N\n");
        return 2;
    }
    errno = 0;
    nfiles = strtoull(argv[2], &end, 10);
    if (errno != 0 || end == argv[2] || *end != '\0' || argv[2][0] == '-') {
        (void)fprintf(stderr, "bulkload: bad count %s\n", argv[2]);
        return 2;
    }
    if ((size_t)snprintf(path, sizeof(path), "%s/banyan.db", argv[1]) >=
            sizeof(path) ||
        (size_t)snprintf(raft_dir, sizeof(raft_dir), "%s/raft", argv[1]) >=
            sizeof(raft_dir)) {
        (void)fprintf(stderr, "bulkload: data dir path too long\n");
        return 2;
    }
    if (mkdir(argv[1], 0750) != 0 && errno != EEXIST) {
        (void)fprintf(stderr, "bulkload: mkdir %s: %s\n", argv[1],
                      strerror(errno));
        return 1;
    }
    if (stat(raft_dir, &sb) == 0) {
        (void)fprintf(stderr,
                      "bulkload: %s exists: bulkload fills the store of a "
                      "node that has never run; use a new data dir\n",
                      raft_dir);
        return 1;
    }
    memset(&ld, 0, sizeof(ld));
    ld.now_ms = bn_clock_wall_ms();
    opts.path = path;
    opts.cache_bytes = BULK_CACHE_BYTES;
    opts.readers = 1;
    rc = store_open(&ld.st, &opts, ld.errmsg);
    if (rc != 0) {
        (void)fprintf(stderr, "bulkload: %s\n", ld.errmsg);
        return 1;
    }
    ld.t0 = now_s();
    rc = load(&ld, nfiles);
    if (rc != 0) {
        (void)fprintf(stderr, "bulkload: %s: %s (after %llu rows)\n", path,
                      ld.errmsg, (unsigned long long)ld.rows);
        store_close(ld.st);
        return 1;
    }
    store_get_stats(ld.st, &stats);
    store_close(ld.st); /* checkpoints the WAL into the database */
    secs = now_s() - ld.t0;
    (void)printf("{\"db\":\"%s\",\"files\":%llu,\"rows\":%llu,"
                 "\"inodes\":%llu,\"applied_index\":%llu,\"seconds\":%.2f,"
                 "\"rows_per_s\":%.0f}\n",
                 path, nfiles, (unsigned long long)ld.rows,
                 (unsigned long long)stats.inodes,
                 (unsigned long long)stats.applied_index, secs,
                 secs > 0 ? (double)ld.rows / secs : 0.0);
    return 0;
}
