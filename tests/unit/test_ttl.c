/*
 * test_ttl: which inodes a sweep expires and with which command. The TTL
 * counts from creation; "delete" becomes a recursive delete and "free" the
 * clearing of the TTL, both with If-Match on what the sweep saw; an inode
 * in a deleted subtree or without a TTL is left alone; applying the
 * commands expires them, and a second sweep finds nothing.
 *
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ns_fixture.h"
#include "store.h"
#include "ttl.h"

#define T0 1764050000000LL

static void create_ttl(struct ns_fixture *fx, const char *path, int type,
                       int64_t ttl, int action)
{
    struct cmd *c = fixture_create(path, type, true);

    if (ttl >= 0) {
        c->flags |= CMD_F_TTL | CMD_F_TTL_ACTION;
        c->u.create.attr.ttl_ms = ttl;
        c->u.create.attr.ttl_action = action;
    }
    assert_int_equal(fixture_apply(fx, c, T0, NULL), 0);
}

static int sweep(struct ns_fixture *fx, int64_t now, struct cmd **out)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    int n = ttl_commands(fx->ns, fx->st, now, TTL_SWEEP_MAX, out, errmsg);

    assert_true(n >= 0);
    return n;
}

static void free_cmds(struct cmd **c, int n)
{
    for (int i = 0; i < n; i++) {
        cmd_free(c[i]);
    }
}

static void test_ttl_sweep(void **state)
{
    struct ns_fixture *fx = *state;
    struct cmd *c[TTL_SWEEP_MAX];
    struct inode ino;
    int n;

    create_ttl(fx, "/d/sub", INODE_DIR, 1000, INODE_TTL_DELETE);
    create_ttl(fx, "/d/sub/f", INODE_FILE, -1, 0);
    create_ttl(fx, "/free", INODE_FILE, 2000, INODE_TTL_FREE);
    create_ttl(fx, "/none", INODE_FILE, -1, 0);

    /* Nothing has run out before ctime + ttl. */
    assert_int_equal(sweep(fx, T0 + 999, c), 0);

    n = sweep(fx, T0 + 1000, c);
    assert_int_equal(n, 1);
    assert_int_equal(c[0]->op, OP_DELETE);
    assert_string_equal(c[0]->path, "/d/sub");
    assert_true(c[0]->flags & CMD_F_RECURSIVE);
    assert_true(c[0]->flags & CMD_F_IF_MATCH);
    assert_int_equal(fixture_stat(fx, "/d/sub", &ino), 0);
    assert_int_equal(c[0]->match_id, ino.id);
    assert_int_equal(c[0]->match_version, ino.version);
    inode_clear(&ino);
    free_cmds(c, n);

    /* Both have run out, the earliest first. */
    n = sweep(fx, T0 + 5000, c);
    assert_int_equal(n, 2);
    assert_string_equal(c[0]->path, "/d/sub");
    assert_int_equal(c[1]->op, OP_SETATTR);
    assert_string_equal(c[1]->path, "/free");
    assert_true(c[1]->flags & CMD_F_TTL);
    assert_int_equal(c[1]->u.setattr.ttl_ms, -1);

    /* Applying them expires the inodes; the sweep then finds nothing. */
    for (int i = 0; i < n; i++) {
        assert_int_equal(fixture_apply(fx, c[i], T0 + 5000, NULL), 0);
    }
    assert_int_equal(fixture_stat(fx, "/d/sub/f", &ino), BN_ENOTFOUND);
    assert_int_equal(fixture_stat(fx, "/d", &ino), 0);
    inode_clear(&ino);
    assert_int_equal(fixture_stat(fx, "/free", &ino), 0);
    assert_int_equal(ino.ttl_ms, -1);
    inode_clear(&ino);
    assert_int_equal(sweep(fx, T0 + 9000, c), 0);
}

/* An inode that changed after the sweep saw it is not expired by the
 * stale command (If-Match), and one in a deleted subtree is skipped. */
static void test_ttl_stale_and_deleted(void **state)
{
    struct ns_fixture *fx = *state;
    struct cmd *c[TTL_SWEEP_MAX];
    struct cmd_result *res = NULL;
    int n;

    create_ttl(fx, "/a", INODE_FILE, 10, INODE_TTL_DELETE);
    create_ttl(fx, "/gone/x", INODE_FILE, 10, INODE_TTL_DELETE);
    assert_int_equal(fixture_apply(fx, fixture_delete("/gone", true), T0, NULL),
                     0);
    n = sweep(fx, T0 + 100, c);
    assert_int_equal(n, 1); /* /gone/x is in the trash */
    assert_string_equal(c[0]->path, "/a");

    /* /a is renamed and back before the command applies: new version. */
    assert_int_equal(fixture_apply(fx, fixture_rename("/a", "/b"), T0, NULL),
                     0);
    assert_int_equal(fixture_apply(fx, fixture_rename("/b", "/a"), T0, NULL),
                     0);
    assert_int_equal(fixture_apply(fx, c[0], T0 + 100, &res), BN_EPRECOND);
    cmd_result_free(res);
    /* The next sweep judges it again. */
    n = sweep(fx, T0 + 100, c);
    assert_int_equal(n, 1);
    free_cmds(c, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ttl_sweep, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ttl_stale_and_deleted,
                                        fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests_name("ttl", tests, NULL, NULL);
}
