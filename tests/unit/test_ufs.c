/*
 * test_ufs: the under-storage registry and the file:// driver over a real
 * temporary directory: URI checks, stat, sorted paged listings, mkdir,
 * create, delete, rename, and that no path leaves the root (symbolic links
 * are neither followed nor listed).
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

#include "inode.h"
#include "mem.h"
#include "ufs.h"

struct fx {
    char dir[64];
    char uri[96];
};

static int setup(void **state)
{
    struct fx *f = bn_calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/banyan-test-ufs.XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->uri, sizeof(f->uri), "file://%s", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) {
        return -1;
    }
    free(f);
    return 0;
}

static void touch(const struct fx *f, const char *rel, const char *data)
{
    char p[256];
    FILE *fp;

    snprintf(p, sizeof(p), "%s/%s", f->dir, rel);
    fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(data, fp);
    fclose(fp);
}

static void test_ufs_open_checks_the_uri(void **state)
{
    struct fx *f = *state;
    char errmsg[BN_ERRMSG_SIZE] = "";
    char uri[160];
    struct ufs *u = NULL;

    assert_int_equal(ufs_open("no-scheme", &u, errmsg), BN_EINVAL);
    assert_int_equal(ufs_open("s3://bucket/x", &u, errmsg), BN_EINVAL);
    assert_non_null(strstr(errmsg, "unknown under-storage scheme"));
    assert_int_equal(ufs_open("file://relative", &u, errmsg), BN_EINVAL);
    snprintf(uri, sizeof(uri), "%s/../x", f->uri);
    assert_int_equal(ufs_open(uri, &u, errmsg), BN_EINVAL);
    snprintf(uri, sizeof(uri), "%s/./x", f->uri);
    assert_int_equal(ufs_open(uri, &u, errmsg), BN_EINVAL);
    snprintf(uri, sizeof(uri), "%s/missing", f->uri);
    assert_int_equal(ufs_open(uri, &u, errmsg), BN_EINVAL);
    touch(f, "file", "x");
    snprintf(uri, sizeof(uri), "%s/file", f->uri);
    assert_int_equal(ufs_open(uri, &u, errmsg), BN_EINVAL);
    assert_null(u);
    snprintf(uri, sizeof(uri), "%s//", f->uri);
    assert_int_equal(ufs_open(uri, &u, errmsg), 0);
    assert_string_equal(ufs_uri(u), f->uri); /* canonical */
    ufs_close(u);
}

static void test_ufs_uri_overlap(void **state)
{
    (void)state;
    assert_true(ufs_uri_overlap("file:///a", "file:///a"));
    assert_true(ufs_uri_overlap("file:///a", "file:///a/b"));
    assert_true(ufs_uri_overlap("file:///a/b", "file:///a"));
    assert_false(ufs_uri_overlap("file:///a", "file:///ab"));
    assert_false(ufs_uri_overlap("file:///a/b", "file:///a/c"));
    assert_true(ufs_uri_overlap("file:///", "file:///x"));
}

static void test_ufs_operations(void **state)
{
    struct fx *f = *state;
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct ufs_stat st;
    struct ufs *u = NULL;
    char p[256];

    assert_int_equal(ufs_open(f->uri, &u, errmsg), 0);
    assert_int_equal(ufs_stat(u, "", &st, errmsg), 0);
    assert_int_equal(st.type, INODE_DIR);
    assert_int_equal(ufs_mkdir(u, "d", errmsg), 0);
    assert_int_equal(ufs_mkdir(u, "d", errmsg), BN_EEXIST);
    assert_int_equal(ufs_create(u, "d/f", errmsg), 0);
    assert_int_equal(ufs_create(u, "d/f", errmsg), BN_EEXIST);
    assert_int_equal(ufs_create(u, "nope/f", errmsg), BN_ENOTFOUND);
    touch(f, "d/g", "12345");
    assert_int_equal(ufs_stat(u, "d/g", &st, errmsg), 0);
    assert_int_equal(st.type, INODE_FILE);
    assert_int_equal(st.size, 5);
    assert_true(st.mtime_ms > 0);
    assert_int_equal(ufs_stat(u, "d/g/x", &st, errmsg), BN_ENOTDIR);
    assert_int_equal(ufs_rename(u, "d/g", "d/f", errmsg), BN_EEXIST);
    assert_int_equal(ufs_rename(u, "d/g", "h", errmsg), 0);
    snprintf(p, sizeof(p), "%s/h", f->dir);
    assert_int_equal(access(p, F_OK), 0);
    assert_int_equal(ufs_remove(u, "d", false, errmsg), BN_ENOTEMPTY);
    assert_int_equal(ufs_mkdir(u, "d/e", errmsg), 0);
    assert_int_equal(ufs_create(u, "d/e/x", errmsg), 0);
    assert_int_equal(ufs_remove(u, "d", true, errmsg), 0);
    snprintf(p, sizeof(p), "%s/d", f->dir);
    assert_int_equal(access(p, F_OK), -1);
    assert_int_equal(ufs_remove(u, "h", false, errmsg), 0);
    assert_int_equal(ufs_remove(u, "h", false, errmsg), BN_ENOTFOUND);
    assert_int_equal(ufs_remove(u, "", true, errmsg), BN_EINVAL);
    ufs_close(u);
}

static void test_ufs_never_leaves_the_root(void **state)
{
    struct fx *f = *state;
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct ufs_entry *e = NULL;
    struct ufs_stat st;
    struct ufs *u = NULL;
    char p[256];
    size_t n = 0;
    bool more = false;

    snprintf(p, sizeof(p), "%s/out", f->dir);
    assert_int_equal(symlink("/etc", p), 0);
    snprintf(p, sizeof(p), "%s/lnk", f->dir);
    assert_int_equal(symlink("/etc/hostname", p), 0);
    touch(f, "real", "x");
    assert_int_equal(ufs_open(f->uri, &u, errmsg), 0);
    assert_int_equal(ufs_stat(u, "out/hostname", &st, errmsg), BN_ENOTDIR);
    assert_int_equal(ufs_stat(u, "lnk", &st, errmsg), BN_ENOTFOUND);
    assert_int_equal(ufs_create(u, "out/new", errmsg), BN_ENOTDIR);
    assert_int_equal(ufs_list(u, "out", NULL, 10, &e, &n, &more, errmsg),
                     BN_ENOTDIR);
    assert_int_equal(ufs_list(u, "", NULL, 10, &e, &n, &more, errmsg), 0);
    assert_int_equal(n, 1); /* the links are not listed */
    assert_string_equal(e[0].name, "real");
    ufs_entries_free(e, n);
    ufs_close(u);
}

/* 2,500 entries listed in pages of 100: sorted, each once, bounded. */
static void test_ufs_list_pages(void **state)
{
    struct fx *f = *state;
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct ufs *u = NULL;
    char last[64] = "";
    char name[32];
    size_t total = 0;
    size_t files = 0;
    bool more = true;

    for (int i = 0; i < 2500; i++) {
        snprintf(name, sizeof(name), "e%04d", (i * 7919) % 2500);
        if (i % 10 == 0) {
            char p[256];

            snprintf(p, sizeof(p), "%s/%s", f->dir, name);
            assert_int_equal(mkdir(p, 0755), 0);
        } else {
            touch(f, name, "");
        }
    }
    assert_int_equal(ufs_open(f->uri, &u, errmsg), 0);
    while (more) {
        struct ufs_entry *e = NULL;
        size_t n = 0;

        assert_int_equal(ufs_list(u, "", total > 0 ? last : NULL, 100, &e, &n,
                                  &more, errmsg),
                         0);
        assert_true(n <= 100);
        for (size_t i = 0; i < n; i++) {
            assert_true(strcmp(last, e[i].name) < 0);
            snprintf(last, sizeof(last), "%s", e[i].name);
            files += e[i].st.type == INODE_FILE;
        }
        total += n;
        ufs_entries_free(e, n);
    }
    assert_int_equal(total, 2500);
    assert_int_equal(files, 2250);
    assert_string_equal(last, "e2499");
    ufs_close(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ufs_open_checks_the_uri, setup,
                                        teardown),
        cmocka_unit_test(test_ufs_uri_overlap),
        cmocka_unit_test_setup_teardown(test_ufs_operations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ufs_never_leaves_the_root, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ufs_list_pages, setup, teardown),
    };

    return cmocka_run_group_tests_name("ufs", tests, NULL, NULL);
}
