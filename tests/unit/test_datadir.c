/*
 * test_datadir: mkdir -p makes missing parents and accepts what exists; the
 * lock of a data dir is held by one holder at a time, names the pid that
 * holds it, and is free again once its holder lets go.
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

#include "datadir.h"

static void test_datadir_mkdir_p(void **state)
{
    char base[] = "/tmp/banyan-test-datadir.XXXXXX";
    char deep[256];
    struct stat sb;

    (void)state;
    assert_non_null(mkdtemp(base));
    (void)snprintf(deep, sizeof(deep), "%s/a/b/c", base);
    assert_int_equal(datadir_mkdir_p(deep), 0);
    assert_int_equal(stat(deep, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(datadir_mkdir_p(deep), 0); /* exists: fine */
    assert_int_equal(datadir_mkdir_p(""), -1);
    (void)snprintf(deep, sizeof(deep), "rm -rf %s", base);
    assert_int_equal(system(deep), 0);
}

static void test_datadir_lock(void **state)
{
    char base[] = "/tmp/banyan-test-datadir.XXXXXX";
    char errmsg[512] = "";
    char want[64];
    char cmd[128];
    int fd;

    (void)state;
    assert_non_null(mkdtemp(base));
    fd = datadir_lock(base, errmsg, sizeof(errmsg));
    assert_true(fd >= 0);
    /* A second holder (another open file, as another process would have)
     * is refused and told who holds it. */
    assert_int_equal(datadir_lock(base, errmsg, sizeof(errmsg)), -1);
    (void)snprintf(want, sizeof(want), "in use by another banyand (pid %ld)",
                   (long)getpid());
    assert_non_null(strstr(errmsg, want));
    assert_int_equal(close(fd), 0);
    fd = datadir_lock(base, errmsg, sizeof(errmsg));
    assert_true(fd >= 0);
    assert_int_equal(close(fd), 0);
    assert_int_equal(datadir_lock("/nonexistent/dir", errmsg, sizeof(errmsg)),
                     -1);
    assert_non_null(strstr(errmsg, "/nonexistent/dir/LOCK"));
    (void)snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_datadir_mkdir_p),
        cmocka_unit_test(test_datadir_lock),
    };
    return cmocka_run_group_tests_name("datadir", tests, NULL, NULL);
}
