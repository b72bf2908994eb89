/*
 * test_mount_io: the engine's mount I/O over a real namespace (ns_fixture)
 * and a real file:// under storage in a temporary folder, with raft
 * replaced by a hook that applies each command at once: create defaults,
 * the mount rules of a write, write through, loads before a read, syncs,
 * the status views, and the deadline that answers a job once while it
 * goes on.
 *
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "mem.h"
#include "mount.h"
#include "mount_io.h"
#include "ns_fixture.h"
#include "usync.h"

struct env {
    struct ns_fixture fx;
    struct mount_table *mt;
    struct mount_io *mio;
    char ufs[256]; /* the under storage's directory */
    char uri[300];
    pthread_mutex_t mu; /* guards what follows and the fixture */
    pthread_cond_t cv;
    bool leader;
    bool hold; /* keep proposals until released */
    struct cmd *held_c;
    void (*held_cb)(void *, struct cmd_result *);
    void *held_arg;
    /* What @done got. */
    unsigned answers;
    int rc;
    char errmsg[BN_ERRMSG_SIZE];
    struct usync_stats st;
    bool has_ino;
};

static struct env E;

static int hook_submit(void *arg, struct cmd *c,
                       void (*cb)(void *, struct cmd_result *), void *cb_arg)
{
    struct env *e = arg;
    struct cmd_result *res = NULL;

    (void)pthread_mutex_lock(&e->mu);
    if (e->hold && e->held_c == NULL) {
        e->held_c = c;
        e->held_cb = cb;
        e->held_arg = cb_arg;
        (void)pthread_cond_broadcast(&e->cv);
        (void)pthread_mutex_unlock(&e->mu);
        return 0;
    }
    (void)fixture_apply(&e->fx, c, 1000, &res);
    (void)pthread_mutex_unlock(&e->mu);
    cb(cb_arg, res);
    return 0;
}

static bool hook_leads(void *arg)
{
    struct env *e = arg;
    bool l;

    (void)pthread_mutex_lock(&e->mu);
    l = e->leader;
    (void)pthread_mutex_unlock(&e->mu);
    return l;
}

static void on_done(void *arg, struct cmd_result *res,
                    const struct usync_stats *st)
{
    struct env *e = arg;

    (void)pthread_mutex_lock(&e->mu);
    e->answers++;
    e->rc = res->rc;
    (void)snprintf(e->errmsg, sizeof(e->errmsg), "%s", res->errmsg);
    e->has_ino = res->has_ino;
    if (st != NULL) {
        e->st = *st;
    }
    (void)pthread_cond_broadcast(&e->cv);
    (void)pthread_mutex_unlock(&e->mu);
    cmd_result_free(res);
}

/* Wait until @done has been called @n times in all; returns its rc. */
static int wait_answers(unsigned n)
{
    int rc;

    (void)pthread_mutex_lock(&E.mu);
    while (E.answers < n) {
        (void)pthread_cond_wait(&E.cv, &E.mu);
    }
    rc = E.rc;
    (void)pthread_mutex_unlock(&E.mu);
    return rc;
}

static void put_file(const char *rel, const char *text)
{
    char p[512];
    FILE *f;

    (void)snprintf(p, sizeof(p), "%s/%s", E.ufs, rel);
    f = fopen(p, "w");
    assert_non_null(f);
    (void)fputs(text, f);
    (void)fclose(f);
}

static bool ufs_has(const char *rel)
{
    char p[512];
    struct stat sb;

    (void)snprintf(p, sizeof(p), "%s/%s", E.ufs, rel);
    return stat(p, &sb) == 0;
}

static int apply(struct cmd *c)
{
    int rc;

    (void)pthread_mutex_lock(&E.mu);
    rc = fixture_apply(&E.fx, c, 1000, NULL);
    (void)pthread_mutex_unlock(&E.mu);
    return rc;
}

static int stat_ns(const char *path, struct inode *out)
{
    int rc;

    (void)pthread_mutex_lock(&E.mu);
    rc = fixture_stat(&E.fx, path, out);
    (void)pthread_mutex_unlock(&E.mu);
    return rc;
}

static int setup(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct mount_io_opts o;
    struct mount_info m = {7, "/m", NULL, false, 1};
    struct mount_info ro = {8, "/ro", (char *)"file:///", true, 1};
    char sub[300];

    (void)state;
    memset(&E, 0, sizeof(E));
    (void)pthread_mutex_init(&E.mu, NULL);
    (void)pthread_cond_init(&E.cv, NULL);
    fixture_open(&E.fx, 1 << 20);
    (void)snprintf(E.ufs, sizeof(E.ufs), "%s", "/tmp/test_mount_io.XXXXXX");
    assert_non_null(mkdtemp(E.ufs));
    (void)snprintf(sub, sizeof(sub), "%s/sub", E.ufs);
    assert_int_equal(mkdir(sub, 0755), 0);
    (void)snprintf(E.uri, sizeof(E.uri), "file://%s", E.ufs);
    put_file("a.txt", "hello");
    put_file("sub/b.txt", "12345678");
    E.mt = mount_table_new();
    m.uri = E.uri;
    mount_table_put(E.mt, &m);
    mount_table_put(E.mt, &ro);
    assert_int_equal(apply(fixture_create("/m", INODE_DIR, false)), 0);
    assert_int_equal(apply(fixture_create("/ro", INODE_DIR, false)), 0);
    assert_int_equal(apply(fixture_create("/plain", INODE_DIR, false)), 0);
    E.leader = true;
    memset(&o, 0, sizeof(o));
    o.ns = E.fx.ns;
    o.mounts = E.mt;
    o.owner = "alice";
    o.group = "staff";
    o.write_type = "through";
    o.timeout_ms = 0;
    o.workers = 2;
    o.submit = hook_submit;
    o.leads = hook_leads;
    o.hook_arg = &E;
    assert_int_equal(mount_io_new(&o, &E.mio, errmsg), 0);
    return 0;
}

static int teardown(void **state)
{
    char cmdline[400];

    (void)state;
    mount_io_free(E.mio);
    mount_table_free(E.mt);
    fixture_close(&E.fx);
    (void)snprintf(cmdline, sizeof(cmdline), "rm -rf '%s'", E.ufs);
    assert_int_equal(system(cmdline), 0);
    (void)pthread_cond_destroy(&E.cv);
    (void)pthread_mutex_destroy(&E.mu);
    return 0;
}

/* Start @job (with @c) and wait for its answer; returns its rc. */
static int run_job(struct mount_io_job *job, struct cmd *c)
{
    unsigned n;

    (void)pthread_mutex_lock(&E.mu);
    n = E.answers + 1;
    memset(&E.st, 0, sizeof(E.st));
    (void)pthread_mutex_unlock(&E.mu);
    mount_io_start(E.mio, job, c, on_done, &E);
    return wait_answers(n);
}

static struct cmd *create_cmd(const char *path, int type)
{
    struct cmd *c = cmd_new(OP_CREATE);

    c->u.create.type = type;
    c->path = bn_strdup(path);
    return c;
}

/* Defaults come from the engine, once: what the request gave stays. */
static void test_mount_io_create_defaults(void **state)
{
    struct cmd *d = create_cmd("/x", INODE_DIR);
    struct cmd *f = create_cmd("/y", INODE_FILE);

    (void)state;
    mount_io_fill_create(E.mio, d);
    assert_int_equal(d->u.create.attr.mode, 0755);
    assert_string_equal(d->u.create.attr.owner, "alice");
    assert_string_equal(d->u.create.attr.group, "staff");
    assert_int_equal(d->flags & (CMD_F_SIZE | CMD_F_BLOCK_SIZE), 0);
    f->u.create.attr.mode = 0600;
    f->u.create.attr.owner = bn_strdup("bob");
    f->flags |= CMD_F_MODE | CMD_F_OWNER;
    mount_io_fill_create(E.mio, f);
    assert_int_equal(f->u.create.attr.mode, 0600);
    assert_string_equal(f->u.create.attr.owner, "bob");
    assert_string_equal(f->u.create.attr.group, "staff");
    assert_int_equal(f->flags & (CMD_F_SIZE | CMD_F_BLOCK_SIZE),
                     CMD_F_SIZE | CMD_F_BLOCK_SIZE);
    assert_string_equal(mount_io_owner(E.mio), "alice");
    assert_string_equal(mount_io_group(E.mio), "staff");
    cmd_free(d);
    cmd_free(f);
}

/* Outside mounts a write is ready at once (defaults filled); under one the
 * rules refuse, a follower is told to redirect, cache_only marks. */
static void test_mount_io_write_rules(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct mount_io_job *job = NULL;
    struct cmd *c = create_cmd("/plain/f", INODE_FILE);

    (void)state;
    assert_int_equal(mount_io_prepare_write(E.mio, c, NULL, &job, errmsg), 0);
    assert_null(job);
    assert_string_equal(c->u.create.attr.owner, "alice");
    /* Without a job, start proposes the command at once. */
    assert_int_equal(run_job(NULL, c), 0);
    assert_true(E.has_ino);

    c = create_cmd("/ro/f", INODE_FILE);
    assert_int_equal(mount_io_prepare_write(E.mio, c, NULL, &job, errmsg),
                     BN_EREADONLY);
    cmd_free(c);

    c = cmd_new(OP_RENAME);
    c->path = bn_strdup("/m/a.txt");
    c->u.rename.to = bn_strdup("/plain/a.txt");
    assert_int_equal(mount_io_prepare_write(E.mio, c, NULL, &job, errmsg),
                     BN_ECROSSMOUNT);
    cmd_free(c);

    c = cmd_new(OP_DELETE);
    c->path = bn_strdup("/m");
    assert_int_equal(mount_io_prepare_write(E.mio, c, NULL, &job, errmsg),
                     BN_EMOUNT);
    cmd_free(c);

    c = create_cmd("/m/f", INODE_FILE);
    assert_int_equal(
        mount_io_prepare_write(E.mio, c, "sometimes", &job, errmsg), BN_EINVAL);
    cmd_free(c);

    E.leader = false;
    c = create_cmd("/m/f", INODE_FILE);
    assert_int_equal(mount_io_prepare_write(E.mio, c, NULL, &job, errmsg),
                     BN_ENOTLEADER);
    cmd_free(c);
    c = create_cmd("/plain/g", INODE_FILE); /* raft redirects this one */
    assert_int_equal(mount_io_prepare_write(E.mio, c, NULL, &job, errmsg), 0);
    cmd_free(c);
    E.leader = true;

    c = create_cmd("/m/cached", INODE_FILE);
    assert_int_equal(
        mount_io_prepare_write(E.mio, c, "cache_only", &job, errmsg), 0);
    assert_null(job);
    assert_int_equal(c->u.create.attr.n_xattrs, 1);
    assert_string_equal(c->u.create.attr.xattrs[0].key, USYNC_CACHE_ONLY_XATTR);
    cmd_free(c);
}

/* Write through: the change reaches the under storage first, then the
 * command is proposed and its applied result answers. */
static void test_mount_io_write_through(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct mount_io_job *job = NULL;
    struct inode ino = {0};
    struct cmd *c = create_cmd("/m/new/deep", INODE_DIR);

    (void)state;
    c->flags |= CMD_F_RECURSIVE;
    assert_int_equal(mount_io_prepare_write(E.mio, c, NULL, &job, errmsg), 0);
    assert_non_null(job);
    assert_int_equal(run_job(job, c), 0);
    assert_true(E.has_ino);
    assert_true(ufs_has("new/deep"));
    assert_int_equal(stat_ns("/m/new/deep", &ino), 0);
    assert_string_equal(ino.owner, "alice");
    inode_clear(&ino);

    /* A create of a file the under storage holds is already_exists, and
     * the file is left alone. */
    c = create_cmd("/m/a.txt", INODE_FILE);
    assert_int_equal(mount_io_prepare_write(E.mio, c, NULL, &job, errmsg), 0);
    assert_int_equal(run_job(job, c), BN_EEXIST);
    assert_true(E.errmsg[0] != '\0');
    {
        char p[512];
        struct stat sb;

        (void)snprintf(p, sizeof(p), "%s/a.txt", E.ufs);
        assert_int_equal(stat(p, &sb), 0);
        assert_int_equal(sb.st_size, 5);
    }
    /* Once loaded, the namespace answers it. */
    c = create_cmd("/m/sub", INODE_DIR);
    assert_int_equal(mount_io_prepare_write(E.mio, c, NULL, &job, errmsg), 0);
    assert_int_equal(run_job(job, c), BN_EEXIST);
    assert_int_equal(
        mount_io_prepare_read(E.mio, "/m/sub/b.txt", false, -1, &job, errmsg),
        0);
    assert_int_equal(run_job(job, NULL), 0);
    c = create_cmd("/m/sub/b.txt", INODE_FILE);
    assert_int_equal(mount_io_prepare_write(E.mio, c, NULL, &job, errmsg), 0);
    assert_int_equal(run_job(job, c), BN_EEXIST);
    assert_non_null(strstr(E.errmsg, "/m/sub/b.txt already exists"));

    c = cmd_new(OP_RENAME);
    c->path = bn_strdup("/m/new");
    c->u.rename.to = bn_strdup("/m/old");
    assert_int_equal(mount_io_prepare_write(E.mio, c, NULL, &job, errmsg), 0);
    assert_int_equal(run_job(job, c), 0);
    assert_true(ufs_has("old/deep"));
    assert_false(ufs_has("new"));

    c = cmd_new(OP_DELETE);
    c->path = bn_strdup("/m/old");
    c->flags |= CMD_F_RECURSIVE;
    assert_int_equal(mount_io_prepare_write(E.mio, c, NULL, &job, errmsg), 0);
    assert_int_equal(run_job(job, c), 0);
    assert_false(ufs_has("old"));
    assert_int_equal(stat_ns("/m/old", &ino), BN_ENOTFOUND);
}

/* A read loads what the namespace lacks, once; outside mounts, and for
 * what is held, it is served at once; a follower redirects the load. */
static void test_mount_io_read_loads(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct mount_io_job *job = NULL;
    struct inode ino = {0};

    (void)state;
    assert_int_equal(
        mount_io_prepare_read(E.mio, "/plain", true, -1, &job, errmsg), 0);
    assert_null(job);
    E.leader = false;
    assert_int_equal(
        mount_io_prepare_read(E.mio, "/m/sub/b.txt", false, -1, &job, errmsg),
        BN_ENOTLEADER);
    E.leader = true;
    assert_int_equal(
        mount_io_prepare_read(E.mio, "/m/sub/b.txt", false, -1, &job, errmsg),
        0);
    assert_non_null(job);
    assert_int_equal(run_job(job, NULL), 0);
    assert_int_equal(stat_ns("/m/sub/b.txt", &ino), 0);
    assert_int_equal(ino.size, 8);
    assert_string_equal(ino.owner, "alice");
    inode_clear(&ino);
    assert_int_equal(
        mount_io_prepare_read(E.mio, "/m/sub/b.txt", false, -1, &job, errmsg),
        0);
    assert_null(job); /* held now */

    /* The first listing of a directory syncs it; the next does not. */
    put_file("sub/c.txt", "x");
    assert_int_equal(
        mount_io_prepare_read(E.mio, "/m/sub", true, -1, &job, errmsg), 0);
    assert_non_null(job);
    assert_int_equal(run_job(job, NULL), 0);
    assert_int_equal(E.st.created, 1);
    assert_int_equal(stat_ns("/m/sub/c.txt", &ino), 0);
    inode_clear(&ino);
    assert_int_equal(
        mount_io_prepare_read(E.mio, "/m/sub", true, -1, &job, errmsg), 0);
    assert_null(job);
    /* sync=always syncs every time. */
    assert_int_equal(
        mount_io_prepare_read(E.mio, "/m/sub", true, 0, &job, errmsg), 0);
    assert_non_null(job);
    mount_io_job_free(job); /* a job need not be started */
}

/* A sync needs a mount and the leader, and reports what it did. */
static void test_mount_io_sync(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct mount_io_job *job = NULL;
    struct inode ino = {0};

    (void)state;
    assert_int_equal(
        mount_io_prepare_sync(E.mio, "/plain", false, &job, errmsg),
        BN_ENOTMOUNT);
    E.leader = false;
    assert_int_equal(mount_io_prepare_sync(E.mio, "/m", false, &job, errmsg),
                     BN_ENOTLEADER);
    E.leader = true;
    put_file("z.txt", "zz");
    assert_int_equal(mount_io_prepare_sync(E.mio, "/m", true, &job, errmsg), 0);
    assert_int_equal(run_job(job, NULL), 0);
    assert_true(E.st.dirs >= 2);
    assert_int_equal(stat_ns("/m/z.txt", &ino), 0);
    assert_int_equal(ino.size, 2);
    inode_clear(&ino);
}

/* The caller gets the mount fields of a status, and of a page with one
 * look at the table: only the entries under a mount have them. */
static void test_mount_io_views(void **state)
{
    struct inode entries[2] = {{0}, {0}};
    struct mount_view v = {0};
    struct mount_view *page;
    char want[400];

    (void)state;
    entries[0].name = (char *)"m";
    entries[1].name = (char *)"plain";
    mount_io_view(E.mio, &entries[0], "/m/sub/b.txt", &v);
    assert_int_equal(v.mount_id, 7);
    (void)snprintf(want, sizeof(want), "%s/sub/b.txt", E.uri);
    assert_string_equal(v.ufs_path, want);
    assert_true(v.persisted);
    mount_io_view_clear(&v);
    mount_io_view(E.mio, &entries[0], "/plain", &v);
    assert_int_equal(v.mount_id, 0);
    assert_null(v.ufs_path);

    page = mount_io_view_page(E.mio, "/", entries, 2);
    assert_non_null(page);
    assert_int_equal(page[0].mount_id, 7);
    assert_string_equal(page[0].ufs_path, E.uri); /* the mount point */
    assert_int_equal(page[1].mount_id, 0);
    mount_io_views_free(page, 2);
    entries[0].name = (char *)"x";
    assert_null(mount_io_view_page(E.mio, "/plain", entries, 2));
    assert_null(mount_io_view_page(NULL, "/", entries, 2));
}

/* Past its deadline a job answers unavailable once; its run goes on and
 * its late outcome is dropped. */
static void test_mount_io_deadline(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct mount_io_opts o;
    struct mount_io *mio = NULL;
    struct mount_io_job *job = NULL;
    struct cmd_result *res = NULL;
    unsigned n;

    (void)state;
    memset(&o, 0, sizeof(o));
    o.ns = E.fx.ns;
    o.mounts = E.mt;
    o.owner = "alice";
    o.group = "staff";
    o.timeout_ms = 100;
    o.workers = 1;
    o.submit = hook_submit;
    o.leads = hook_leads;
    o.hook_arg = &E;
    assert_int_equal(mount_io_new(&o, &mio, errmsg), 0);
    put_file("late.txt", "late");
    assert_int_equal(mount_io_prepare_sync(mio, "/m", false, &job, errmsg), 0);
    (void)pthread_mutex_lock(&E.mu);
    E.hold = true;
    n = E.answers + 1;
    (void)pthread_mutex_unlock(&E.mu);
    mount_io_start(mio, job, NULL, on_done, &E);
    assert_int_equal(wait_answers(n), BN_EUNAVAIL);
    assert_non_null(strstr(E.errmsg, "request timeout"));
    /* The sync still waits for its proposal: let it apply. */
    (void)pthread_mutex_lock(&E.mu);
    while (E.held_c == NULL) {
        (void)pthread_cond_wait(&E.cv, &E.mu);
    }
    E.hold = false;
    (void)fixture_apply(&E.fx, E.held_c, 1000, &res);
    E.held_c = NULL;
    (void)pthread_mutex_unlock(&E.mu);
    E.held_cb(E.held_arg, res);
    mount_io_free(mio); /* joins the worker: the sync ended */
    assert_int_equal(E.answers, n);
    {
        struct inode ino = {0};

        assert_int_equal(stat_ns("/m/late.txt", &ino), 0);
        inode_clear(&ino);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mount_io_create_defaults, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mount_io_write_rules, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mount_io_write_through, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mount_io_read_loads, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mount_io_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mount_io_views, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mount_io_deadline, setup,
                                        teardown),
    };

    return cmocka_run_group_tests_name("mount_io", tests, NULL, NULL);
}
