/*
 * test_store: the tiered store: round trips through SQLite, eviction that
 * keeps data, the memory bound, dirty entries and tombstones before the
 * commit, the applied index across a restart, reclaim of the trash, and
 * the inode counts by type (kept, committed, and counted again when the
 * committed ones do not go with the applied index).
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
#include <pthread.h>

#include "db.h"
#include "inode.h"
#include "mem.h"
#include "store.h"

struct tmp {
    char dir[64];
    char db[96];
};

static struct store *open_store(struct tmp *t, uint64_t cache_bytes, bool fresh)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct store_options so;
    struct store *st = NULL;

    if (fresh) {
        (void)snprintf(t->dir, sizeof(t->dir), "/tmp/banyan-store-XXXXXX");
        assert_non_null(mkdtemp(t->dir));
        (void)snprintf(t->db, sizeof(t->db), "%s/banyan.db", t->dir);
    }
    so.path = t->db;
    so.cache_bytes = cache_bytes;
    so.readers = 2;
    assert_int_equal(store_open(&st, &so, errmsg), 0);
    return st;
}

static void remove_tmp(struct tmp *t)
{
    char cmd[128];

    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    assert_int_equal(system(cmd), 0);
}

static void make_inode(struct inode *ino, bn_ino id, bn_ino parent,
                       const char *name, int type)
{
    memset(ino, 0, sizeof(*ino));
    ino->id = id;
    ino->parent = parent;
    ino->name = bn_strdup(name);
    ino->type = type;
    ino->mode = type == INODE_DIR ? 0755 : 0644;
    ino->owner = bn_strdup("alice");
    ino->group = bn_strdup("staff");
    ino->ttl_ms = -1;
    ino->version = id;
}

static void put_new(struct store *st, bn_ino id, bn_ino parent,
                    const char *name, int type)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct inode ino;

    make_inode(&ino, id, parent, name, type);
    assert_int_equal(store_create(st, &ino, errmsg), 0);
    inode_clear(&ino);
}

/* A tree of one root directory with @n files, committed. */
static void fill_tree(struct store *st, unsigned n)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct inode root;
    char name[32];

    assert_int_equal(store_begin(st, errmsg), 0);
    make_inode(&root, INODE_ROOT_ID, 0, "", INODE_DIR);
    root.nchildren = n;
    assert_int_equal(store_create(st, &root, errmsg), 0);
    inode_clear(&root);
    for (unsigned i = 0; i < n; i++) {
        (void)snprintf(name, sizeof(name), "f%06u", i);
        put_new(st, 100 + i, INODE_ROOT_ID, name, INODE_FILE);
    }
    store_set_applied(st, 5);
    assert_int_equal(store_commit(st, true, errmsg), 0);
}

/* An inode written and committed reads back equal, by id and by edge, also
 * after the store is closed and opened again. */
static void test_store_round_trip(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct tmp t;
    struct store *st = open_store(&t, 1 << 20, true);
    struct inode in;
    struct inode out;

    (void)state;
    assert_int_equal(store_begin(st, errmsg), 0);
    make_inode(&in, 42, 0, "", INODE_DIR);
    in.id = INODE_ROOT_ID;
    in.nchildren = 1;
    assert_int_equal(store_create(st, &in, errmsg), 0);
    inode_clear(&in);
    make_inode(&in, 42, INODE_ROOT_ID, "x", INODE_FILE);
    in.size = 12345;
    in.mtime_ms = 1764050000123;
    assert_int_equal(inode_xattr_set(&in, "k", "v"), 0);
    assert_int_equal(store_create(st, &in, errmsg), 0);
    store_set_applied(st, 9);
    assert_int_equal(store_commit(st, false, errmsg), 0);
    store_close(st);

    st = open_store(&t, 1 << 20, false);
    assert_int_equal(store_applied(st), 9);
    assert_int_equal(store_get(st, 42, &out, errmsg), 0);
    assert_string_equal(out.name, "x");
    assert_int_equal(out.size, 12345);
    assert_int_equal(out.mtime_ms, 1764050000123);
    assert_string_equal(inode_xattr_get(&out, "k"), "v");
    inode_clear(&out);
    assert_int_equal(store_lookup(st, INODE_ROOT_ID, "x", &out, errmsg), 0);
    assert_int_equal(out.id, 42);
    inode_clear(&out);
    assert_int_equal(store_lookup(st, INODE_ROOT_ID, "y", &out, errmsg),
                     BN_ENOTFOUND);
    inode_clear(&in);
    assert_int_equal(store_check(st, errmsg), 0);
    store_close(st);
    remove_tmp(&t);
}

/* With a cache far smaller than the namespace, every inode still reads back
 * right (evicted entries come back from SQLite) and evictions happened. */
static void test_store_eviction_keeps_data(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    char name[32];
    struct tmp t;
    struct store *st = open_store(&t, 64 * 1024, true);
    struct store_stats ss;
    struct inode out;

    (void)state;
    fill_tree(st, 5000);
    for (int round = 0; round < 2; round++) {
        for (unsigned i = 0; i < 5000; i++) {
            (void)snprintf(name, sizeof(name), "f%06u", i);
            assert_int_equal(store_get(st, 100 + i, &out, errmsg), 0);
            assert_string_equal(out.name, name);
            inode_clear(&out);
            assert_int_equal(
                store_lookup(st, INODE_ROOT_ID, name, &out, errmsg), 0);
            assert_int_equal(out.id, 100 + i);
            inode_clear(&out);
        }
    }
    store_get_stats(st, &ss);
    assert_true(ss.cache_evictions > 0);
    assert_int_equal(ss.inodes, 5001);
    assert_int_equal(store_check(st, errmsg), 0);
    store_close(st);
    remove_tmp(&t);
}

/* The cache's memory stays within its budget whatever the number of inodes
 * read: the same bound with 2,000 and with 20,000 inodes. */
static void test_store_memory_bound(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    const uint64_t budget = 128 * 1024;
    unsigned sizes[2] = {2000, 20000};

    (void)state;
    for (int k = 0; k < 2; k++) {
        struct tmp t;
        struct store *st = open_store(&t, budget, true);
        struct store_stats ss;
        struct inode out;

        fill_tree(st, sizes[k]);
        for (unsigned i = 0; i < sizes[k]; i++) {
            assert_int_equal(store_get(st, 100 + i, &out, errmsg), 0);
            inode_clear(&out);
        }
        store_get_stats(st, &ss);
        assert_true(ss.cache_bytes <= budget);
        assert_true(ss.cache_entries < 2000);
        store_close(st);
        remove_tmp(&t);
    }
}

struct reader_arg {
    struct store *st;
    bn_ino ino;
    int rc;
};

static void *reader_main(void *p)
{
    struct reader_arg *a = p;
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct inode out;

    a->rc = store_get(a->st, a->ino, &out, errmsg);
    if (a->rc == 0) {
        inode_clear(&out);
    }
    return NULL;
}

/* Before the commit, another thread already sees a written inode (dirty
 * entries answer from the cache) and no longer sees a deleted one
 * (tombstones hide the committed row), even with no cache budget. */
static void test_store_dirty_visible_before_commit(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct tmp t;
    struct store *st = open_store(&t, 0, true);
    struct reader_arg a;
    struct inode victim;
    pthread_t th;

    (void)state;
    fill_tree(st, 10);
    assert_int_equal(store_begin(st, errmsg), 0);
    put_new(st, 500, INODE_ROOT_ID, "new", INODE_FILE);
    assert_true(store_is_dirty(st, 500));
    a = (struct reader_arg){st, 500, -99};
    pthread_create(&th, NULL, reader_main, &a);
    pthread_join(th, NULL);
    assert_int_equal(a.rc, 0);

    assert_int_equal(store_get(st, 100, &victim, errmsg), 0);
    assert_int_equal(store_remove(st, &victim, errmsg), 0);
    a = (struct reader_arg){st, 100, -99};
    pthread_create(&th, NULL, reader_main, &a);
    pthread_join(th, NULL);
    assert_int_equal(a.rc, BN_ENOTFOUND);
    inode_clear(&victim);

    store_set_applied(st, 6);
    assert_int_equal(store_commit(st, false, errmsg), 0);
    assert_false(store_is_dirty(st, 500));
    a = (struct reader_arg){st, 100, -99};
    pthread_create(&th, NULL, reader_main, &a);
    pthread_join(th, NULL);
    assert_int_equal(a.rc, BN_ENOTFOUND);
    store_close(st);
    remove_tmp(&t);
}

/* A trashed subtree disappears from the namespace at once and its rows are
 * reclaimed in bounded batches until none is left. */
static void test_store_reclaim_trash(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    char name[32];
    struct tmp t;
    struct store *st = open_store(&t, 1 << 20, true);
    struct store_stats ss;
    struct inode dir;
    struct inode root;
    int n;
    int rounds = 0;

    (void)state;
    fill_tree(st, 0);
    assert_int_equal(store_begin(st, errmsg), 0);
    make_inode(&dir, 2, INODE_ROOT_ID, "d", INODE_DIR);
    dir.nchildren = 3;
    assert_int_equal(store_create(st, &dir, errmsg), 0);
    make_inode(&root, 3, 2, "sub", INODE_DIR);
    root.nchildren = 300;
    assert_int_equal(store_create(st, &root, errmsg), 0);
    inode_clear(&root);
    put_new(st, 4, 2, "a", INODE_FILE);
    put_new(st, 5, 2, "b", INODE_FILE);
    for (unsigned i = 0; i < 300; i++) {
        (void)snprintf(name, sizeof(name), "g%u", i);
        put_new(st, 10 + i, 3, name, INODE_FILE);
    }
    assert_int_equal(store_get(st, INODE_ROOT_ID, &root, errmsg), 0);
    root.nchildren = 1;
    assert_int_equal(store_put(st, &root, errmsg), 0);
    store_set_applied(st, 6);
    assert_int_equal(store_commit(st, false, errmsg), 0);

    assert_int_equal(store_begin(st, errmsg), 0);
    root.nchildren = 0;
    assert_int_equal(store_put(st, &root, errmsg), 0);
    assert_int_equal(store_trash(st, &dir, errmsg), 0);
    store_set_applied(st, 7);
    assert_int_equal(store_commit(st, false, errmsg), 0);
    inode_clear(&root);
    assert_int_equal(store_lookup(st, INODE_ROOT_ID, "d", &root, errmsg),
                     BN_ENOTFOUND);
    assert_int_equal(store_check(st, errmsg), 0);
    do {
        assert_int_equal(store_begin(st, errmsg), 0);
        n = store_reclaim(st, 64, errmsg);
        assert_true(n >= 0 && n <= 64);
        assert_int_equal(store_commit(st, false, errmsg), 0);
        rounds++;
    } while (n > 0);
    assert_true(rounds > 4);
    store_get_stats(st, &ss);
    assert_int_equal(ss.inodes, 1);
    assert_int_equal(store_check(st, errmsg), 0);
    inode_clear(&dir);
    store_close(st);
    remove_tmp(&t);
}

/* The counts of files and directories follow creates and removes, are
 * read back after a restart, and are counted from the rows when the ones
 * in meta were not written with the applied index (an older store). */
static void test_store_inode_counts(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct tmp t;
    struct store *st = open_store(&t, 1 << 20, true);
    struct store_stats ss;
    struct inode f;
    struct db *db;

    (void)state;
    fill_tree(st, 5); /* the root and five files */
    assert_int_equal(store_begin(st, errmsg), 0);
    put_new(st, 2, INODE_ROOT_ID, "d", INODE_DIR);
    put_new(st, 3, INODE_ROOT_ID, "e", INODE_DIR);
    make_inode(&f, 100, INODE_ROOT_ID, "f000000", INODE_FILE);
    assert_int_equal(store_remove(st, &f, errmsg), 0);
    inode_clear(&f);
    store_get_stats(st, &ss); /* pending changes count at once */
    assert_int_equal(ss.inodes, 7);
    assert_int_equal(ss.dirs, 3);
    store_set_applied(st, 6);
    assert_int_equal(store_commit(st, false, errmsg), 0);
    store_get_stats(st, &ss);
    assert_true(ss.disk_bytes > 0);
    store_close(st);

    st = open_store(&t, 1 << 20, false);
    store_get_stats(st, &ss);
    assert_int_equal(ss.inodes, 7);
    assert_int_equal(ss.dirs, 3);
    store_close(st);

    /* The counts come from meta, not from a scan of the rows: a count
     * planted there with the right index is what the store reads. */
    assert_int_equal(db_open(&db, t.db, DB_WRITER, errmsg), 0);
    assert_int_equal(db_begin(db, errmsg), 0);
    assert_int_equal(db_meta_set(db, "directories", 99, errmsg), 0);
    assert_int_equal(db_commit(db, errmsg), 0);
    db_close(db);
    st = open_store(&t, 1 << 20, false);
    store_get_stats(st, &ss);
    assert_int_equal(ss.dirs, 99);
    store_close(st);

    /* An older version's store: counts that do not go with the index. */
    assert_int_equal(db_open(&db, t.db, DB_WRITER, errmsg), 0);
    assert_int_equal(db_begin(db, errmsg), 0);
    assert_int_equal(db_meta_set(db, "directories", 99, errmsg), 0);
    assert_int_equal(db_meta_set(db, "counts_at", 3, errmsg), 0);
    assert_int_equal(db_commit(db, errmsg), 0);
    db_close(db);
    st = open_store(&t, 1 << 20, false);
    store_get_stats(st, &ss);
    assert_int_equal(ss.inodes, 7);
    assert_int_equal(ss.dirs, 3);
    store_close(st);
    remove_tmp(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_round_trip),
        cmocka_unit_test(test_store_eviction_keeps_data),
        cmocka_unit_test(test_store_memory_bound),
        cmocka_unit_test(test_store_dirty_visible_before_commit),
        cmocka_unit_test(test_store_reclaim_trash),
        cmocka_unit_test(test_store_inode_counts),
    };

    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
