/*
 * stress_ns: many threads doing random creates, renames, deletes, stats and
 * listings on one namespace for a bounded time, then invariant checks.
 *
 * Mutations go, as in the daemon, through one apply thread that takes them
 * from a queue in batches and applies each batch in one store transaction;
 * stats and listings run on the worker threads themselves, concurrently
 * with apply, through lock coupling and the cache (kept small so entries
 * are evicted and refilled all the time). Workers check what every read
 * returns; at the end the store's invariants (parents exist and are
 * directories, no cycles, unique names, child counts, cache equal to
 * SQLite) are checked, then again after a reopen.
 *
 * Usage: stress_ns [--seconds N] [--threads N] [--seed N]
 * Exit status 0 when every check passed.
 *
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fsm.h"
#include "mem.h"
#include "ns_fixture.h"
#include "path.h"

#define CACHE_BYTES (96 * 1024)

struct job {
    struct cmd *c;
    int rc;
    bool done;
    struct job *next;
};

static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static struct job *q_head, *q_tail;
static atomic_bool stop_workers;
static bool stop_apply;
static struct ns_fixture fx;
static atomic_ulong n_ops[6];
static atomic_int failures;

enum {
    ST_CREATE,
    ST_MKDIR,
    ST_RENAME,
    ST_DELETE,
    ST_STAT,
    ST_LIST
};

__attribute__((format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
    va_list ap;

    (void)fprintf(stderr, "stress: FAIL: ");
    va_start(ap, fmt);
    (void)vfprintf(stderr, fmt, ap);
    va_end(ap);
    (void)fprintf(stderr, "\n");
    atomic_fetch_add(&failures, 1);
}

/* Paths from a small universe so that operations collide. */
static void random_path(unsigned *seed, char *out, size_t len)
{
    int depth = 1 + (int)(rand_r(seed) % 3);
    size_t off = 0;

    for (int i = 0; i < depth; i++) {
        const char *kind = (i + 1 < depth || rand_r(seed) % 2) ? "d" : "f";
        int w = snprintf(out + off, len - off, "/%s%u", kind,
                         (unsigned)(rand_r(seed) % 4));

        off += (size_t)w;
    }
}

static int submit(struct cmd *c)
{
    struct job j = {c, 0, false, NULL};

    pthread_mutex_lock(&q_mu);
    if (q_tail != NULL) {
        q_tail->next = &j;
    } else {
        q_head = &j;
    }
    q_tail = &j;
    pthread_cond_signal(&q_cv);
    while (!j.done) {
        pthread_cond_wait(&done_cv, &q_mu);
    }
    pthread_mutex_unlock(&q_mu);
    return j.rc;
}

struct batch_ctx {
    struct job **jobs;
};

static void deliver(void *arg, uint64_t origin, uint64_t seq,
                    struct cmd_result **results, size_t n)
{
    struct batch_ctx *ctx = arg;

    (void)origin;
    (void)seq;
    for (size_t i = 0; i < n; i++) {
        ctx->jobs[i]->rc = results[i]->rc;
        if (results[i]->rc == 0 && results[i]->has_ino &&
            results[i]->ino.version > results[i]->index) {
            /* A no-op rename keeps its version; nothing is newer. */
            fail("result version is newer than its index");
        }
        cmd_result_free(results[i]);
    }
    free(results);
}

static void *apply_main(void *arg)
{
    struct job *jobs[64];
    const struct cmd *cmds[64];
    char errmsg[BN_ERRMSG_SIZE];
    struct batch_ctx ctx = {jobs};
    struct fsm *f = fsm_new(fx.ns, fx.st, deliver, &ctx);
    int64_t now = 1764050000000LL;

    (void)arg;
    for (;;) {
        size_t n = 0;
        struct cmd_batch_hdr hdr;
        size_t len;
        void *buf;

        pthread_mutex_lock(&q_mu);
        while (q_head == NULL && !stop_apply) {
            if (!fsm_has_open_txn(f)) {
                pthread_cond_wait(&q_cv, &q_mu);
                continue;
            }
            /* As repl's flush timer does: an idle open transaction
             * commits after FSM_GROUP_MS. */
            struct timespec until = bn_clock_wall_after(FSM_GROUP_MS);
            if (pthread_cond_timedwait(&q_cv, &q_mu, &until) != 0 &&
                fsm_flush(f, true, errmsg) != 0) {
                (void)fprintf(stderr, "stress: commit: %s\n", errmsg);
                abort();
            }
        }
        if (q_head == NULL && stop_apply) {
            pthread_mutex_unlock(&q_mu);
            break;
        }
        while (q_head != NULL && n < 64) {
            jobs[n] = q_head;
            cmds[n] = q_head->c;
            q_head = q_head->next;
            n++;
        }
        if (q_head == NULL) {
            q_tail = NULL;
        }
        pthread_mutex_unlock(&q_mu);

        hdr = (struct cmd_batch_hdr){1, fx.index + 1, now++, (uint32_t)n};
        buf = cmd_batch_encode(cmds, n, &hdr, malloc, &len);
        if (fsm_apply_batch(f, buf, len, ++fx.index, errmsg) != 0) {
            (void)fprintf(stderr, "stress: apply: %s\n", errmsg);
            abort();
        }
        free(buf);
        pthread_mutex_lock(&q_mu);
        for (size_t i = 0; i < n; i++) {
            cmd_free(jobs[i]->c);
            jobs[i]->done = true;
        }
        pthread_cond_broadcast(&done_cv);
        pthread_mutex_unlock(&q_mu);
    }
    fsm_free(f);
    return NULL;
}

static void check_stat(const char *path)
{
    char errmsg[BN_ERRMSG_SIZE];
    struct inode ino;
    struct path p;
    int rc;

    if (path_parse(path, strlen(path), &p, errmsg) != 0) {
        fail("bad generated path %s", path);
        return;
    }
    rc = ns_stat(fx.ns, &p, &ino, errmsg);
    if (rc == 0) {
        if (strcmp(ino.name, path_basename(&p)) != 0 ||
            (ino.type != INODE_DIR && ino.type != INODE_FILE)) {
            fail("stat %s returned a wrong inode (%s)", path, ino.name);
        }
        inode_clear(&ino);
    } else if (rc != BN_ENOTFOUND && rc != BN_ENOTDIR) {
        fail("stat %s: %s", path, errmsg);
    }
    path_clear(&p);
}

static void check_list(const char *path)
{
    char errmsg[BN_ERRMSG_SIZE];
    struct ns_page page;
    struct path p;
    int rc;

    if (path_parse(path, strlen(path), &p, errmsg) != 0) {
        return;
    }
    rc = ns_list(fx.ns, &p, NULL, 100, &page, errmsg);
    if (rc == 0) {
        for (size_t i = 0; i < page.n; i++) {
            if (page.entries[i].parent != page.dir.id) {
                fail("list %s: entry %s has another parent", path,
                     page.entries[i].name);
            }
            if (i > 0 &&
                strcmp(page.entries[i - 1].name, page.entries[i].name) >= 0) {
                fail("list %s: not sorted at %s", path, page.entries[i].name);
            }
        }
        ns_page_clear(&page);
    } else if (rc != BN_ENOTFOUND && rc != BN_ENOTDIR) {
        fail("list %s: %s", path, errmsg);
    }
    path_clear(&p);
}

static void *worker_main(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    char a[64];
    char b[64];

    while (!atomic_load(&stop_workers)) {
        int op = (int)(rand_r(&seed) % 6);
        struct cmd *c;

        random_path(&seed, a, sizeof(a));
        switch (op) {
        case ST_CREATE:
        case ST_MKDIR:
            c = fixture_create(a, op == ST_MKDIR ? INODE_DIR : INODE_FILE,
                               rand_r(&seed) % 2);
            (void)submit(c);
            break;
        case ST_RENAME:
            random_path(&seed, b, sizeof(b));
            (void)submit(fixture_rename(a, b));
            break;
        case ST_DELETE:
            (void)submit(fixture_delete(a, rand_r(&seed) % 4 == 0));
            break;
        case ST_STAT:
            check_stat(a);
            break;
        default:
            check_list(rand_r(&seed) % 3 ? a : "/");
            break;
        }
        atomic_fetch_add(&n_ops[op], 1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    unsigned seconds = 5;
    unsigned threads = 8;
    unsigned seed = (unsigned)time(NULL);
    pthread_t apply;
    pthread_t *workers;
    int reclaimed;
    int rc = 0;

    for (int i = 1; i + 1 < argc; i += 2) {
        unsigned long v = strtoul(argv[i + 1], NULL, 10);

        if (strcmp(argv[i], "--seconds") == 0) {
            seconds = (unsigned)v;
        } else if (strcmp(argv[i], "--threads") == 0) {
            threads = (unsigned)v;
        } else if (strcmp(argv[i], "--seed") == 0) {
            seed = (unsigned)v;
        }
    }
    (void)printf("stress: %u threads for %u s, seed %u\n", threads, seconds,
                 seed);
    fixture_open(&fx, CACHE_BYTES);
    workers = bn_calloc(threads, sizeof(*workers));
    pthread_create(&apply, NULL, apply_main, NULL);
    for (unsigned i = 0; i < threads; i++) {
        pthread_create(&workers[i], NULL, worker_main,
                       (void *)(uintptr_t)(seed + i * 7919u));
    }
    sleep(seconds);
    atomic_store(&stop_workers, true);
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(workers[i], NULL);
    }
    pthread_mutex_lock(&q_mu);
    stop_apply = true;
    pthread_cond_signal(&q_cv);
    pthread_mutex_unlock(&q_mu);
    pthread_join(apply, NULL);
    free(workers);

    (void)printf("stress: creates %lu mkdirs %lu renames %lu deletes %lu "
                 "stats %lu lists %lu\n",
                 atomic_load(&n_ops[ST_CREATE]), atomic_load(&n_ops[ST_MKDIR]),
                 atomic_load(&n_ops[ST_RENAME]), atomic_load(&n_ops[ST_DELETE]),
                 atomic_load(&n_ops[ST_STAT]), atomic_load(&n_ops[ST_LIST]));
    if (store_check(fx.st, errmsg) != 0) {
        (void)fprintf(stderr, "stress: FAIL: %s\n", errmsg);
        rc = 1;
    }
    /* Reclaim the trash, then check again, and again after a restart. */
    do {
        if (store_begin(fx.st, errmsg) != 0) {
            break;
        }
        reclaimed = store_reclaim(fx.st, 1000, errmsg);
        (void)store_commit(fx.st, false, errmsg);
    } while (reclaimed > 0);
    if (store_check(fx.st, errmsg) != 0) {
        (void)fprintf(stderr, "stress: FAIL after reclaim: %s\n", errmsg);
        rc = 1;
    }
    fixture_reopen(&fx, CACHE_BYTES);
    if (store_check(fx.st, errmsg) != 0) {
        (void)fprintf(stderr, "stress: FAIL after reopen: %s\n", errmsg);
        rc = 1;
    }
    fixture_close(&fx);
    if (atomic_load(&failures) > 0) {
        rc = 1;
    }
    (void)printf("stress: %s\n", rc == 0 ? "invariants hold" : "FAILED");
    return rc;
}
