/*
 * test_repl: one node of the repl module over a real store in a temporary
 * directory (raft's libuv I/O and TCP transport on 127.0.0.1): the loop
 * and the submit queue (repl.c), the node directory and membership checks
 * (repl_members.c), the leader's chores (repl_chores.c: root mount, TTL
 * expiry) and a single voter's reads (repl_lease.c).
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

#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mem.h"
#include "mount.h"
#include "ns_fixture.h"
#include "repl.h"
#include "test_port.h"
#include "ufs.h"

#define WAIT_MS 10000 /* every wait is bounded */

struct node {
    struct ns_fixture fx;
    struct mount_table *mounts;
    struct repl *r;
    char raft_dir[320];
    char ufs_dir[320];
    char raft_addr[64];
    char *root_uri;
};

/* A result handed over from the loop thread. */
struct done {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool called;
    int rc;
};

static void done_init(struct done *d)
{
    memset(d, 0, sizeof(*d));
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
}

static void done_cb(void *arg, struct cmd_result *res)
{
    struct done *d = arg;

    pthread_mutex_lock(&d->mu);
    d->called = true;
    d->rc = res->rc;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    cmd_result_free(res);
}

static int done_wait(struct done *d)
{
    struct timespec until;
    int rc;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_MS / 1000;
    pthread_mutex_lock(&d->mu);
    while (!d->called) {
        if (pthread_cond_timedwait(&d->cv, &d->mu, &until) != 0) {
            break;
        }
    }
    assert_true(d->called);
    rc = d->rc;
    pthread_mutex_unlock(&d->mu);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    return rc;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static int free_port(void)
{
    int port = test_port_free();

    assert_true(port > 0);
    return port;
}

static int node_setup(void **state)
{
    struct node *n = bn_calloc(1, sizeof(*n));
    char errmsg[BN_ERRMSG_SIZE] = "";
    char uri[400];
    struct repl_options o;
    struct ufs *u = NULL;

    fixture_open(&n->fx, 1u << 20);
    (void)snprintf(n->raft_dir, sizeof(n->raft_dir), "%s/raft", n->fx.dir);
    (void)snprintf(n->ufs_dir, sizeof(n->ufs_dir), "%s/ufs", n->fx.dir);
    assert_int_equal(mkdir(n->ufs_dir, 0755), 0);
    (void)snprintf(uri, sizeof(uri), "file://%s", n->ufs_dir);
    assert_int_equal(ufs_open(uri, &u, errmsg), 0);
    n->root_uri = bn_strdup(ufs_uri(u));
    ufs_close(u);
    (void)snprintf(n->raft_addr, sizeof(n->raft_addr), "127.0.0.1:%d",
                   free_port());
    n->mounts = mount_table_new();
    assert_int_equal(mount_table_load(n->mounts, n->fx.st, errmsg), 0);

    memset(&o, 0, sizeof(o));
    o.node_id = 1;
    o.raft_listen = n->raft_addr;
    o.http = "127.0.0.1:1";
    o.dir = n->raft_dir;
    o.idempotency_keys = 100;
    o.idempotency_ttl_ms = 60000;
    o.mounts = n->mounts;
    o.root_ufs = n->root_uri;
    o.owner = "root";
    o.group = "wheel";
    o.election_timeout_ms = 500;
    o.heartbeat_timeout_ms = 50;
    o.snapshot_threshold = 1024;
    o.snapshot_trailing = 128;
    o.request_timeout_ms = 5000;
    assert_int_equal(repl_start(&n->r, &o, n->fx.ns, n->fx.st, errmsg), 0);
    for (int i = 0; i < WAIT_MS / 10 && !repl_is_ready(n->r); i++) {
        sleep_ms(10);
    }
    assert_true(repl_is_ready(n->r));
    *state = n;
    return 0;
}

static int node_teardown(void **state)
{
    struct node *n = *state;

    repl_stop(n->r);
    mount_table_free(n->mounts);
    free(n->root_uri);
    fixture_close(&n->fx);
    free(n);
    return 0;
}

/* A single voter leads at once; submitted commands are applied and
 * answered; its reads need no round; its state is what raft says. */
static void test_repl_single_node_applies(void **state)
{
    struct node *n = *state;
    struct repl_info info;
    struct inode ino;
    struct done d;
    uint64_t leader = 99;
    char http[CONFIG_ADDR_MAX + 1];

    done_init(&d);
    assert_int_equal(
        repl_submit(n->r, fixture_create("/a", INODE_DIR, false), done_cb, &d),
        0);
    assert_int_equal(done_wait(&d), 0);
    assert_int_equal(fixture_stat(&n->fx, "/a", &ino), 0);
    inode_clear(&ino);

    done_init(&d);
    assert_int_equal(
        repl_submit(n->r, fixture_create("/a", INODE_DIR, false), done_cb, &d),
        0);
    assert_int_equal(done_wait(&d), BN_EEXIST);

    repl_get_info(n->r, &info);
    assert_int_equal(info.role, REPL_LEADER);
    assert_int_equal(info.node_id, 1);
    assert_int_equal(info.leader_id, 1);
    assert_int_equal(info.n_servers, 1);
    assert_int_equal(info.servers[0].role, REPL_VOTER);
    assert_string_equal(info.servers[0].raft, n->raft_addr);
    assert_true(info.term > 0);
    assert_int_equal(repl_current_term(n->r), info.term);
    assert_int_equal(repl_leading_term(n->r), info.term);
    assert_int_equal(repl_role(n->r, &leader, http), REPL_LEADER);
    assert_int_equal(leader, 1);
    assert_string_equal(http, "");

    assert_true(repl_read_local(n->r));
    done_init(&d);
    repl_read(n->r, done_cb, &d); /* the only voter: answered at once */
    assert_true(d.called);
    assert_int_equal(done_wait(&d), 0);
}

static void count_node(void *arg, uint64_t id, const char *http,
                       const char *raft)
{
    int *found = arg;

    (void)raft;
    if (id == 1 && strcmp(http, "127.0.0.1:1") == 0) {
        (*found)++;
    }
}

/* The node directory knows this node; the new leader recorded it in the
 * replicated node table; membership requests are checked. */
static void test_repl_members(void **state)
{
    struct node *n = *state;
    char errmsg[BN_ERRMSG_SIZE] = "";
    char http[CONFIG_ADDR_MAX + 1];
    struct repl_admin_req req;
    struct done d;
    int found = 0;

    assert_true(repl_node_http(n->r, 1, http));
    assert_string_equal(http, "127.0.0.1:1");
    assert_false(repl_node_http(n->r, 7, http));
    for (int i = 0; i < WAIT_MS / 10 && found == 0; i++) {
        assert_int_equal(store_node_each(n->fx.st, count_node, &found, errmsg),
                         0);
        if (found == 0) {
            sleep_ms(10);
        }
    }
    assert_int_equal(found, 1);

    memset(&req, 0, sizeof(req));
    req.op = REPL_ASSIGN;
    req.id = 9;
    req.role = REPL_STANDBY;
    done_init(&d);
    assert_int_equal(repl_admin(n->r, &req, done_cb, &d), 0);
    assert_int_equal(done_wait(&d), BN_ENOTFOUND);

    req.op = REPL_ADD;
    req.id = 1;
    done_init(&d);
    assert_int_equal(repl_admin(n->r, &req, done_cb, &d), 0);
    assert_int_equal(done_wait(&d), BN_EEXIST);

    req.op = REPL_TRANSFER; /* to itself: it leads already */
    done_init(&d);
    assert_int_equal(repl_admin(n->r, &req, done_cb, &d), 0);
    assert_int_equal(done_wait(&d), 0);

    req.op = 42;
    done_init(&d);
    assert_int_equal(repl_admin(n->r, &req, done_cb, &d), 0);
    assert_int_equal(done_wait(&d), BN_EINVAL);
}

/* The leader's chores: it mounts the config's root_ufs at /, and expires
 * an inode whose TTL ran out. */
static void test_repl_chores(void **state)
{
    struct node *n = *state;
    struct mount_info m = {0};
    struct inode ino;
    struct done d;
    struct cmd *c;
    bool mounted = false;
    int rc = 0;

    for (int i = 0; i < WAIT_MS / 10 && !mounted; i++) {
        mounted = mount_find(n->mounts, "/", &m);
        if (!mounted) {
            sleep_ms(10);
        }
    }
    assert_true(mounted);
    assert_string_equal(m.uri, n->root_uri);
    mount_info_clear(&m);

    c = fixture_create("/short-lived", INODE_FILE, false);
    c->flags |= CMD_F_TTL | CMD_F_TTL_ACTION;
    c->u.create.attr.ttl_ms = 1;
    c->u.create.attr.ttl_action = INODE_TTL_DELETE;
    done_init(&d);
    assert_int_equal(repl_submit(n->r, c, done_cb, &d), 0);
    assert_int_equal(done_wait(&d), 0);
    for (int i = 0; i < WAIT_MS / 10; i++) {
        rc = fixture_stat(&n->fx, "/short-lived", &ino);
        if (rc != 0) {
            break;
        }
        inode_clear(&ino);
        sleep_ms(10);
    }
    assert_int_equal(rc, BN_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_repl_single_node_applies,
                                        node_setup, node_teardown),
        cmocka_unit_test_setup_teardown(test_repl_members, node_setup,
                                        node_teardown),
        cmocka_unit_test_setup_teardown(test_repl_chores, node_setup,
                                        node_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
