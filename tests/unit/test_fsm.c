/*
 * test_fsm: the state machine's apply: each operation's effect and errors,
 * failed commands change nothing, replayed entries are skipped, two
 * replicas that apply the same entries hold the same namespace.
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

#include <cmocka.h>

#include "db.h"
#include "fsm.h"
#include "mem.h"
#include "ns.h"
#include "ns_fixture.h"
#include "path.h"
#include "store.h"

#define T0 1764050000000LL

/* Creating a file and a directory records every attribute, the time from
 * the command and the raft index as version; the parent counts them. */
static void test_fsm_create(void **state)
{
    struct ns_fixture *fx = *state;
    struct cmd_result *res;
    struct cmd *c = fixture_create("/f", INODE_FILE, false);
    struct inode ino;

    c->u.create.attr.size = 77;
    c->u.create.attr.block_size = 4096;
    assert_int_equal(fixture_apply(fx, c, T0, &res), 0);
    assert_true(res->has_ino);
    assert_int_equal(res->ino.size, 77);
    assert_int_equal(res->ino.version, fx->index);
    cmd_result_free(res);
    assert_int_equal(
        fixture_apply(fx, fixture_create("/d", INODE_DIR, false), T0 + 1, NULL),
        0);
    assert_int_equal(fixture_stat(fx, "/f", &ino), 0);
    assert_int_equal(ino.type, INODE_FILE);
    assert_int_equal(ino.mode, 0644);
    assert_string_equal(ino.owner, "alice");
    assert_int_equal(ino.ctime_ms, T0);
    assert_int_equal(ino.block_size, 4096);
    inode_clear(&ino);
    assert_int_equal(fixture_stat(fx, "/", &ino), 0);
    assert_int_equal(ino.nchildren, 2);
    assert_int_equal(ino.mtime_ms, T0 + 1);
    inode_clear(&ino);
}

/* The POSIX/HDFS rules: exists, missing parent, file as parent, non-empty
 * delete, root delete and rename, rename into own subtree, If-Match. */
static void test_fsm_errors(void **state)
{
    struct ns_fixture *fx = *state;
    struct cmd *c;
    struct inode ino;

    assert_int_equal(
        fixture_apply(fx, fixture_create("/a/b", INODE_DIR, true), T0, NULL),
        0);
    assert_int_equal(
        fixture_apply(fx, fixture_create("/a/f", INODE_FILE, false), T0, NULL),
        0);
    assert_int_equal(
        fixture_apply(fx, fixture_create("/a", INODE_DIR, false), T0, NULL),
        BN_EEXIST);
    assert_int_equal(
        fixture_apply(fx, fixture_create("/", INODE_DIR, false), T0, NULL),
        BN_EEXIST);
    assert_int_equal(
        fixture_apply(fx, fixture_create("/x/y", INODE_DIR, false), T0, NULL),
        BN_ENOTFOUND);
    assert_int_equal(
        fixture_apply(fx, fixture_create("/a/f/g", INODE_FILE, true), T0, NULL),
        BN_ENOTDIR);
    assert_int_equal(fixture_apply(fx, fixture_delete("/a", false), T0, NULL),
                     BN_ENOTEMPTY);
    assert_int_equal(fixture_apply(fx, fixture_delete("/", true), T0, NULL),
                     BN_EINVAL);
    assert_int_equal(
        fixture_apply(fx, fixture_delete("/nope", false), T0, NULL),
        BN_ENOTFOUND);
    assert_int_equal(fixture_apply(fx, fixture_rename("/", "/z"), T0, NULL),
                     BN_EINVAL);
    assert_int_equal(
        fixture_apply(fx, fixture_rename("/a", "/a/b/c"), T0, NULL), BN_EINVAL);
    assert_int_equal(
        fixture_apply(fx, fixture_rename("/a/f", "/a/b"), T0, NULL), BN_EEXIST);
    assert_int_equal(
        fixture_apply(fx, fixture_rename("/a/f", "/q/r"), T0, NULL),
        BN_ENOTFOUND);
    assert_int_equal(
        fixture_apply(fx, fixture_rename("/a/b", "/a/f/z"), T0, NULL),
        BN_ENOTDIR);
    assert_int_equal(fixture_stat(fx, "/a/f", &ino), 0);
    c = cmd_new(OP_SETATTR);
    c->path = bn_strdup("/a/f");
    c->flags = CMD_F_IF_MATCH | CMD_F_MODE;
    c->u.setattr.mode = 0600;
    c->match_id = ino.id;
    c->match_version = ino.version + 1;
    assert_int_equal(fixture_apply(fx, c, T0, NULL), BN_EPRECOND);
    c = cmd_new(OP_SETATTR);
    c->path = bn_strdup("/a/f");
    c->flags = CMD_F_IF_MATCH | CMD_F_MODE;
    c->u.setattr.mode = 0600;
    c->match_id = ino.id;
    c->match_version = ino.version;
    assert_int_equal(fixture_apply(fx, c, T0, NULL), 0);
    c = cmd_new(OP_SETATTR);
    c->path = bn_strdup("/a");
    c->flags = CMD_F_SIZE;
    c->u.setattr.size = 5;
    assert_int_equal(fixture_apply(fx, c, T0, NULL), BN_EISDIR);
    inode_clear(&ino);
}

/* A failed command leaves every inode as it was (only the applied index
 * moves on). */
static void test_fsm_failure_changes_nothing(void **state)
{
    struct ns_fixture *fx = *state;
    struct inode before;
    struct inode after;

    assert_int_equal(
        fixture_apply(fx, fixture_create("/a/b", INODE_DIR, true), T0, NULL),
        0);
    assert_int_equal(fixture_stat(fx, "/a", &before), 0);
    assert_int_equal(fixture_apply(fx, fixture_create("/a/b", INODE_DIR, true),
                                   T0 + 5, NULL),
                     BN_EEXIST);
    assert_int_equal(
        fixture_apply(fx, fixture_delete("/a", false), T0 + 5, NULL),
        BN_ENOTEMPTY);
    assert_int_equal(fixture_stat(fx, "/a", &after), 0);
    assert_int_equal(before.version, after.version);
    assert_int_equal(before.mtime_ms, after.mtime_ms);
    assert_int_equal(before.nchildren, after.nchildren);
    inode_clear(&before);
    inode_clear(&after);
}

/* Renaming a directory moves its whole subtree in one step; deleting it
 * recursively makes the subtree unreachable at once. */
static void test_fsm_rename_and_recursive_delete(void **state)
{
    struct ns_fixture *fx = *state;
    char path[64];
    struct inode ino;

    for (int i = 0; i < 50; i++) {
        (void)snprintf(path, sizeof(path), "/src/d%d/f", i);
        assert_int_equal(
            fixture_apply(fx, fixture_create(path, INODE_FILE, true), T0, NULL),
            0);
    }
    assert_int_equal(
        fixture_apply(fx, fixture_create("/dst", INODE_DIR, false), T0, NULL),
        0);
    assert_int_equal(
        fixture_apply(fx, fixture_rename("/src", "/dst/moved"), T0, NULL), 0);
    assert_int_equal(fixture_stat(fx, "/src", &ino), BN_ENOTFOUND);
    assert_int_equal(fixture_stat(fx, "/dst/moved/d49/f", &ino), 0);
    inode_clear(&ino);
    assert_int_equal(fixture_stat(fx, "/", &ino), 0);
    assert_int_equal(ino.nchildren, 1);
    inode_clear(&ino);
    assert_int_equal(
        fixture_apply(fx, fixture_rename("/dst", "/dst"), T0, NULL), 0);
    assert_int_equal(fixture_apply(fx, fixture_delete("/dst", true), T0, NULL),
                     0);
    assert_int_equal(fixture_stat(fx, "/dst/moved/d1/f", &ino), BN_ENOTFOUND);
    assert_int_equal(fixture_stat(fx, "/", &ino), 0);
    assert_int_equal(ino.nchildren, 0);
    inode_clear(&ino);
    assert_int_equal(
        fixture_apply(fx, fixture_create("/dst", INODE_DIR, false), T0, NULL),
        0);
}

/* An entry at or below the applied index is skipped: replaying the log
 * after a restart applies nothing twice. */
static void test_fsm_replay_is_skipped(void **state)
{
    struct ns_fixture *fx = *state;
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct cmd *c = fixture_create("/once", INODE_FILE, false);
    const struct cmd *cmds[1] = {c};
    struct cmd_batch_hdr hdr = {1, 1, T0, 1};
    struct fsm *f = fsm_new(fx->ns, fx->st, NULL, NULL);
    size_t len;
    void *buf = cmd_batch_encode(cmds, 1, &hdr, malloc, &len);
    struct inode ino;
    uint64_t index = ++fx->index;

    assert_int_equal(fsm_apply_batch(f, buf, len, index, errmsg), 0);
    assert_int_equal(store_applied(fx->st), index);
    fsm_free(f); /* before the store it borrows closes */
    fixture_reopen(fx, 1 << 20);
    f = fsm_new(fx->ns, fx->st, NULL, NULL);
    assert_int_equal(store_applied(fx->st), index);
    assert_int_equal(fsm_apply_batch(f, buf, len, index, errmsg), 0);
    assert_int_equal(fixture_stat(fx, "/", &ino), 0);
    assert_int_equal(ino.nchildren, 1);
    inode_clear(&ino);
    free(buf);
    cmd_free(c);
    fsm_free(f);
}

/* Apply @c through @f as the next entry, leaving the transaction open
 * (the group commit's window). */
static void apply_open(struct ns_fixture *fx, struct fsm *f, struct cmd *c)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    const struct cmd *cmds[1] = {c};
    struct cmd_batch_hdr hdr = {1, fx->index + 100, T0, 1};
    size_t len;
    void *buf = cmd_batch_encode(cmds, 1, &hdr, malloc, &len);

    assert_int_equal(fsm_apply_batch(f, buf, len, ++fx->index, errmsg), 0);
    free(buf);
    cmd_free(c);
}

/* All the names of /d, @limit a page, joined by spaces. */
static void list_all(struct ns_fixture *fx, size_t limit, char *out, size_t cap)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    char after[PATH_NAME_MAX + 1] = "";
    struct path p = {0};
    struct ns_page page;
    size_t len = 0;

    assert_int_equal(path_parse("/d", 2, &p, errmsg), 0);
    out[0] = '\0';
    for (int pages = 0; pages < 100; pages++) {
        assert_int_equal(
            ns_list(fx->ns, &p, after[0] ? after : NULL, limit, &page, errmsg),
            0);
        assert_true(page.n <= limit);
        for (size_t i = 0; i < page.n; i++) {
            int n = snprintf(out + len, cap - len, "%s%s", len ? " " : "",
                             page.entries[i].name);
            len += (size_t)n;
            if (strcmp(page.entries[i].name, "a") == 0) {
                assert_int_equal(page.entries[i].size, 5);
            }
        }
        bool more = page.more;
        if (page.n > 0) {
            (void)snprintf(after, sizeof(after), "%s",
                           page.entries[page.n - 1].name);
        }
        ns_page_clear(&page);
        if (!more) {
            break;
        }
    }
    path_clear(&p);
}

/* A listing merges the committed rows with the applied, uncommitted
 * changes (creates, deletes, renames in, out and within, a name deleted
 * and created again, attributes), page by page, and shows the same before
 * and after the commit. */
static void test_fsm_list_sees_uncommitted(void **state)
{
    struct ns_fixture *fx = *state;
    struct fsm *f = fsm_new(fx->ns, fx->st, NULL, NULL);
    const char *want = "a b b2 c d g h i in j zz";
    char errmsg[BN_ERRMSG_SIZE] = "";
    char got[512];
    char path[32];

    for (char c = 'a'; c <= 'j'; c++) {
        (void)snprintf(path, sizeof(path), "/d/%c", c);
        apply_open(fx, f, fixture_create(path, INODE_FILE, true));
    }
    apply_open(fx, f, fixture_create("/other/in", INODE_FILE, true));
    apply_open(fx, f, fixture_create("/other/keep", INODE_FILE, true));
    assert_int_equal(fsm_flush(f, true, errmsg), 0);

    apply_open(fx, f, fixture_delete("/d/c", false));
    apply_open(fx, f, fixture_rename("/d/e", "/d/zz"));
    apply_open(fx, f, fixture_rename("/d/f", "/other/f"));
    apply_open(fx, f, fixture_rename("/other/in", "/d/in"));
    apply_open(fx, f, fixture_create("/d/b2", INODE_FILE, false));
    apply_open(fx, f, fixture_create("/d/c", INODE_DIR, false));
    struct cmd *sa = cmd_new(OP_SETATTR);
    sa->path = bn_strdup("/d/a");
    sa->flags = CMD_F_SIZE;
    sa->u.setattr.size = 5;
    apply_open(fx, f, sa);
    assert_true(fsm_has_open_txn(f));

    for (size_t limit = 1; limit <= 12; limit++) {
        list_all(fx, limit, got, sizeof(got));
        assert_string_equal(got, want);
    }
    assert_int_equal(fsm_flush(f, true, errmsg), 0);
    for (size_t limit = 1; limit <= 12; limit++) {
        list_all(fx, limit, got, sizeof(got));
        assert_string_equal(got, want);
    }
    fsm_free(f);
}

/* Entries share a store transaction until a flush: readers see the
 * applied inodes at once, the commit comes with fsm_flush(). */
static void test_fsm_group_commit(void **state)
{
    struct ns_fixture *fx = *state;
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct fsm *f = fsm_new(fx->ns, fx->st, NULL, NULL);
    struct inode ino;
    char name[32];

    for (int i = 0; i < 3; i++) {
        (void)snprintf(name, sizeof(name), "/g%d", i);
        struct cmd *c = fixture_create(name, INODE_DIR, false);
        const struct cmd *cmds[1] = {c};
        struct cmd_batch_hdr hdr = {1, (uint64_t)i + 10, T0, 1};
        size_t len;
        void *buf = cmd_batch_encode(cmds, 1, &hdr, malloc, &len);

        assert_int_equal(fsm_apply_batch(f, buf, len, ++fx->index, errmsg), 0);
        free(buf);
        cmd_free(c);
    }
    assert_true(fsm_has_open_txn(f));
    assert_int_equal(fixture_stat(fx, "/g2", &ino), 0); /* through the cache */
    inode_clear(&ino);
    assert_int_equal(fsm_flush(f, true, errmsg), 0);
    assert_false(fsm_has_open_txn(f));
    assert_int_equal(fsm_flush(f, true, errmsg), 0); /* nothing to do */
    assert_int_equal(store_check(fx->st, errmsg), 0);
    fsm_free(f);
}

/* Two replicas applying the same entries hold identical inodes. */
static void test_fsm_deterministic(void **state)
{
    struct ns_fixture b;
    struct ns_fixture *a = *state;
    const char *paths[] = {"/x/y/z", "/x/w", "/v"};
    char errmsg[BN_ERRMSG_SIZE] = "";

    fixture_open(&b, 0);
    for (int r = 0; r < 2; r++) {
        struct ns_fixture *fx = r == 0 ? a : &b;

        for (size_t i = 0; i < 3; i++) {
            (void)fixture_apply(fx, fixture_create(paths[i], INODE_DIR, true),
                                T0 + (int64_t)i, NULL);
        }
        (void)fixture_apply(fx, fixture_rename("/x/w", "/v/w"), T0 + 9, NULL);
        (void)fixture_apply(fx, fixture_delete("/x", true), T0 + 10, NULL);
    }
    for (size_t i = 0; i < 3; i++) {
        const char *q[] = {"/v", "/v/w", "/"};
        struct inode i1;
        struct inode i2;

        assert_int_equal(fixture_stat(a, q[i], &i1), 0);
        assert_int_equal(fixture_stat(&b, q[i], &i2), 0);
        assert_int_equal(i1.id, i2.id);
        assert_int_equal(i1.version, i2.version);
        assert_int_equal(i1.mtime_ms, i2.mtime_ms);
        assert_int_equal(i1.nchildren, i2.nchildren);
        inode_clear(&i1);
        inode_clear(&i2);
    }
    assert_int_equal(store_check(b.st, errmsg), 0);
    fixture_close(&b);
}

static struct cmd *with_key(struct cmd *c, const char *key)
{
    c->flags |= CMD_F_IDEM_KEY;
    c->idem_key = bn_strdup(key);
    return c;
}

static struct cmd *expire(int64_t before, uint64_t keep)
{
    struct cmd *c = cmd_new(OP_IDEM_EXPIRE);

    c->u.idem_expire.before_ms = before;
    c->u.idem_expire.keep = keep;
    return c;
}

/* A write retried with its Idempotency-Key gets the first outcome, not a
 * second execution; the key with another request is a conflict; expired
 * and trimmed keys run again; keys survive a restart. */
static void test_fsm_idempotency(void **state)
{
    struct ns_fixture *fx = *state;
    struct cmd_result *res = NULL;
    struct inode ino;
    bn_ino id;

    assert_int_equal(
        fixture_apply(fx,
                      with_key(fixture_create("/k", INODE_FILE, false), "a"),
                      T0, &res),
        0);
    assert_false(res->replayed);
    assert_true(res->has_ino);
    id = res->ino.id;
    cmd_result_free(res);
    assert_int_equal(
        fixture_apply(fx,
                      with_key(fixture_create("/k", INODE_FILE, false), "a"),
                      T0 + 10, &res),
        0);
    assert_true(res->replayed);
    assert_true(res->has_ino);
    assert_int_equal(res->ino.id, id);
    cmd_result_free(res);
    assert_int_equal(fixture_stat(fx, "/", &ino), 0);
    assert_int_equal(ino.nchildren, 1);
    inode_clear(&ino);
    /* The same key with another request. */
    assert_int_equal(
        fixture_apply(
            fx, with_key(fixture_create("/other", INODE_FILE, false), "a"),
            T0 + 20, NULL),
        BN_ECONFLICT);
    assert_int_equal(fixture_stat(fx, "/other", &ino), BN_ENOTFOUND);
    /* A failure is an outcome too. */
    assert_int_equal(
        fixture_apply(fx,
                      with_key(fixture_create("/k", INODE_FILE, false), "b"),
                      T0 + 30, NULL),
        BN_EEXIST);
    assert_int_equal(
        fixture_apply(fx, fixture_delete("/k", false), T0 + 40, NULL), 0);
    assert_int_equal(
        fixture_apply(fx,
                      with_key(fixture_create("/k", INODE_FILE, false), "b"),
                      T0 + 50, &res),
        BN_EEXIST);
    assert_true(res->replayed);
    cmd_result_free(res);
    assert_int_equal(fixture_stat(fx, "/k", &ino), BN_ENOTFOUND);
    /* Keys are part of the store: a restart keeps them. */
    fixture_reopen(fx, 1 << 20);
    assert_int_equal(
        fixture_apply(fx,
                      with_key(fixture_create("/k", INODE_FILE, false), "a"),
                      T0 + 60, &res),
        0);
    assert_true(res->replayed);
    /* The inode of the first answer, though /k is gone since. */
    assert_true(res->has_ino);
    assert_int_equal(res->ino.id, id);
    cmd_result_free(res);
    assert_int_equal(fixture_stat(fx, "/k", &ino), BN_ENOTFOUND);
    /* Expired by age: "a" and "b" (at T0 and T0 + 30) run again. */
    assert_int_equal(fixture_apply(fx, expire(T0 + 35, 100), T0 + 70, NULL), 0);
    assert_int_equal(
        fixture_apply(fx,
                      with_key(fixture_create("/k", INODE_FILE, false), "a"),
                      T0 + 80, &res),
        0);
    assert_false(res->replayed);
    cmd_result_free(res);
    assert_int_equal(fixture_stat(fx, "/k", &ino), 0);
    inode_clear(&ino);
    /* Trimmed by count: of k1..k4 the two newest stay. */
    for (int i = 1; i <= 4; i++) {
        char key[16];
        char path[16];

        (void)snprintf(key, sizeof(key), "k%d", i);
        (void)snprintf(path, sizeof(path), "/f%d", i);
        assert_int_equal(
            fixture_apply(
                fx, with_key(fixture_create(path, INODE_FILE, false), key),
                T0 + 100 + i, NULL),
            0);
    }
    assert_int_equal(fixture_apply(fx, expire(0, 2), T0 + 200, NULL), 0);
    assert_int_equal(
        fixture_apply(fx,
                      with_key(fixture_create("/f4", INODE_FILE, false), "k4"),
                      T0 + 210, &res),
        0);
    assert_true(res->replayed);
    cmd_result_free(res);
    assert_int_equal(
        fixture_apply(fx,
                      with_key(fixture_create("/f1", INODE_FILE, false), "k1"),
                      T0 + 220, NULL),
        BN_EEXIST);
}

static void count_node(void *arg, uint64_t id, const char *http,
                       const char *raft)
{
    int *n = arg;

    assert_true(id == 4);
    assert_string_equal(http, "127.0.0.1:8450");
    assert_string_equal(raft, "127.0.0.1:8451");
    (*n)++;
}

/* The nodes' addresses are replicated state. */
static void test_fsm_node_table(void **state)
{
    struct ns_fixture *fx = *state;
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct cmd *c = cmd_new(OP_NODE_PUT);
    int n = 0;

    c->u.node_put.node_id = 4;
    c->u.node_put.http = bn_strdup("127.0.0.1:8450");
    c->u.node_put.raft = bn_strdup("127.0.0.1:8451");
    assert_int_equal(fixture_apply(fx, c, T0, NULL), 0);
    assert_int_equal(store_node_each(fx->st, count_node, &n, errmsg), 0);
    assert_int_equal(n, 1);
    c = cmd_new(OP_NODE_DEL);
    c->u.node_del.node_id = 4;
    assert_int_equal(fixture_apply(fx, c, T0, NULL), 0);
    n = 0;
    assert_int_equal(store_node_each(fx->st, count_node, &n, errmsg), 0);
    assert_int_equal(n, 0);
}

/* The checksum covers the live namespace: equal for equal namespaces
 * whatever the trash holds; a backup holds the same state; replacing a
 * store by it gives the same namespace and index. */
static void test_fsm_checksum_backup_replace(void **state)
{
    struct ns_fixture *fx = *state;
    struct ns_fixture other;
    char errmsg[BN_ERRMSG_SIZE] = "";
    char copy[400];
    struct db_checksum a;
    struct db_checksum b;
    struct inode ino;
    uint64_t applied = 0;

    assert_int_equal(
        fixture_apply(fx, fixture_create("/d/e/f", INODE_FILE, true), T0, NULL),
        0);
    assert_int_equal(
        fixture_apply(fx, fixture_create("/t/u/v", INODE_FILE, true), T0, NULL),
        0);
    assert_int_equal(store_checksum(fx->st, &a, errmsg), 0);
    assert_int_equal(a.inodes, 7);
    assert_int_equal(a.directories, 5);
    assert_int_equal(a.applied_index, fx->index);
    /* Delete /t: its rows wait in the trash; the checksum is that of a
     * namespace without /t, before and after the reclaim. */
    assert_int_equal(fixture_apply(fx, fixture_delete("/t", true), T0, NULL),
                     0);
    assert_int_equal(store_checksum(fx->st, &a, errmsg), 0);
    assert_int_equal(a.inodes, 4);
    assert_int_equal(store_begin(fx->st, errmsg), 0);
    while (store_reclaim(fx->st, 100, errmsg) > 0) {
    }
    assert_int_equal(store_commit(fx->st, true, errmsg), 0);
    assert_int_equal(store_checksum(fx->st, &b, errmsg), 0);
    assert_int_equal(b.sum, a.sum);
    assert_int_equal(b.inodes, a.inodes);

    (void)snprintf(copy, sizeof(copy), "%s/copy.db", fx->dir);
    assert_int_equal(store_backup(fx->st, copy, &applied, errmsg), 0);
    assert_int_equal(applied, fx->index);

    fixture_open(&other, 1 << 20);
    assert_int_equal(fixture_apply(&other,
                                   fixture_create("/x", INODE_FILE, false), T0,
                                   NULL),
                     0);
    assert_int_equal(fixture_stat(&other, "/x", &ino), 0);
    inode_clear(&ino);
    assert_int_equal(ns_replace_store(other.ns, copy, errmsg), 0);
    assert_int_equal(store_applied(other.st), fx->index);
    assert_int_equal(fixture_stat(&other, "/x", &ino), BN_ENOTFOUND);
    assert_int_equal(fixture_stat(&other, "/d/e/f", &ino), 0);
    inode_clear(&ino);
    assert_int_equal(store_checksum(other.st, &b, errmsg), 0);
    assert_int_equal(b.sum, a.sum);
    /* A different namespace, a different sum. */
    other.index = fx->index;
    assert_int_equal(fixture_apply(&other,
                                   fixture_create("/d/g", INODE_FILE, false),
                                   T0, NULL),
                     0);
    assert_int_equal(store_checksum(other.st, &b, errmsg), 0);
    assert_int_not_equal(b.sum, a.sum);
    fixture_close(&other);
}

/* Every replicated op of the table has an apply (ns_apply's for the
 * namespace rows, the fsm's for the others), and no other row has one. */
static void test_fsm_every_replicated_op_applies(void **state)
{
    (void)state;
    for (int op = 0; op < OP_ID_MAX; op++) {
        bool repl = (op_flags(op) & OP_F_REPL) != 0;

        assert_int_equal(fsm_applies(op), repl);
        assert_int_equal(ns_applies(op), repl && op_kind(op) == OP_K_NS);
    }
}

/* An entry this node cannot decode (a newer format version) is an error
 * of the whole entry, which apply treats as fatal: nothing is applied and
 * the applied index does not move. */
static void test_fsm_unknown_version_is_fatal(void **state)
{
    struct ns_fixture *fx = *state;
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct cmd *c = fixture_create("/never", INODE_FILE, false);
    const struct cmd *cmds[1] = {c};
    struct cmd_batch_hdr hdr = {1, 1, T0, 1};
    struct fsm *f = fsm_new(fx->ns, fx->st, NULL, NULL);
    uint64_t applied = store_applied(fx->st);
    struct inode ino;
    size_t len;
    unsigned char *buf = cmd_batch_encode(cmds, 1, &hdr, malloc, &len);

    buf[4] = CMD_VERSION + 1;
    assert_int_equal(fsm_apply_batch(f, buf, len, applied + 1, errmsg),
                     BN_ECORRUPT);
    assert_non_null(strstr(errmsg, "decode entry"));
    assert_non_null(strstr(errmsg, "version 3"));
    assert_int_equal(store_applied(fx->st), applied);
    assert_int_equal(fixture_stat(fx, "/never", &ino), BN_ENOTFOUND);
    free(buf);
    cmd_free(c);
    fsm_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fsm_create, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fsm_list_sees_uncommitted,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fsm_group_commit, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fsm_errors, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fsm_failure_changes_nothing,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fsm_rename_and_recursive_delete,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fsm_replay_is_skipped,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fsm_idempotency, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fsm_node_table, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fsm_checksum_backup_replace,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test(test_fsm_every_replicated_op_applies),
        cmocka_unit_test_setup_teardown(test_fsm_unknown_version_is_fatal,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fsm_deterministic, fixture_setup,
                                        fixture_teardown),
    };

    return cmocka_run_group_tests_name("fsm", tests, NULL, NULL);
}
