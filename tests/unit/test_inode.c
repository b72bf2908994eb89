/*
 * test_inode: copies are deep, xattrs stay sorted and bounded, the xattr
 * blob round-trips and rejects every truncation, modes parse and format.
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

#include "inode.h"
#include "mem.h"

static void make(struct inode *ino)
{
    memset(ino, 0, sizeof(*ino));
    ino->id = 7;
    ino->parent = 1;
    ino->name = bn_strdup("a");
    ino->owner = bn_strdup("alice");
    ino->group = bn_strdup("staff");
    ino->type = INODE_FILE;
    ino->ttl_ms = -1;
}

static void test_inode_copy_is_deep(void **state)
{
    (void)state;
    struct inode a;
    struct inode b;

    make(&a);
    assert_int_equal(inode_xattr_set(&a, "user.k", "v"), 0);
    inode_copy(&b, &a);
    assert_ptr_not_equal(a.name, b.name);
    assert_ptr_not_equal(a.xattrs, b.xattrs);
    inode_clear(&a);
    assert_string_equal(b.name, "a");
    assert_string_equal(inode_xattr_get(&b, "user.k"), "v");
    assert_true(inode_mem_size(&b) > sizeof(b));
    inode_clear(&b);
    inode_clear(&b); /* a cleared inode may be cleared again */
}

static void test_inode_xattrs_sorted(void **state)
{
    (void)state;
    struct inode a;
    char key[32];

    make(&a);
    assert_int_equal(inode_xattr_set(&a, "c", "3"), 0);
    assert_int_equal(inode_xattr_set(&a, "a", "1"), 0);
    assert_int_equal(inode_xattr_set(&a, "b", "2"), 0);
    assert_int_equal(inode_xattr_set(&a, "b", "22"), 0); /* replace */
    assert_int_equal(a.n_xattrs, 3);
    assert_string_equal(a.xattrs[0].key, "a");
    assert_string_equal(a.xattrs[1].key, "b");
    assert_string_equal(a.xattrs[1].value, "22");
    assert_string_equal(a.xattrs[2].key, "c");
    assert_int_equal(inode_xattr_set(&a, "b", NULL), 0);  /* remove */
    assert_int_equal(inode_xattr_set(&a, "zz", NULL), 0); /* absent: no-op */
    assert_null(inode_xattr_get(&a, "b"));
    assert_int_equal(a.n_xattrs, 2);
    for (int i = 0; (size_t)i < INODE_XATTR_MAX - 2; i++) {
        (void)snprintf(key, sizeof(key), "k%03d", i);
        assert_int_equal(inode_xattr_set(&a, key, "x"), 0);
    }
    assert_int_equal(a.n_xattrs, INODE_XATTR_MAX);
    assert_int_equal(inode_xattr_set(&a, "one-too-many", "x"), BN_EINVAL);
    assert_int_equal(inode_xattr_set(&a, "a", "still replaceable"), 0);
    inode_clear(&a);
}

static void test_inode_xattrs_blob(void **state)
{
    (void)state;
    struct inode a;
    struct inode b;
    size_t len;

    make(&a);
    assert_null(inode_xattrs_encode(&a, &len));
    assert_int_equal(len, 0);
    assert_int_equal(inode_xattr_set(&a, "user.tier", "hot"), 0);
    assert_int_equal(inode_xattr_set(&a, "user.empty", ""), 0);
    unsigned char *buf = inode_xattrs_encode(&a, &len);
    assert_non_null(buf);

    memset(&b, 0, sizeof(b));
    assert_int_equal(inode_xattrs_decode(&b, buf, len), 0);
    assert_int_equal(b.n_xattrs, 2);
    assert_string_equal(inode_xattr_get(&b, "user.tier"), "hot");
    assert_string_equal(inode_xattr_get(&b, "user.empty"), "");
    inode_clear(&b);

    /* Every truncation, and trailing garbage, is refused. */
    for (size_t n = 1; n < len; n++) {
        memset(&b, 0, sizeof(b));
        assert_int_equal(inode_xattrs_decode(&b, buf, n), BN_ECORRUPT);
        inode_clear(&b);
    }
    unsigned char *longer = bn_malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0;
    memset(&b, 0, sizeof(b));
    assert_int_equal(inode_xattrs_decode(&b, longer, len + 1), BN_ECORRUPT);
    inode_clear(&b);
    /* A count far beyond the limit. */
    longer[0] = longer[1] = longer[2] = longer[3] = 0xff;
    memset(&b, 0, sizeof(b));
    assert_int_equal(inode_xattrs_decode(&b, longer, len), BN_ECORRUPT);
    inode_clear(&b);
    free(longer);
    free(buf);
    inode_clear(&a);
}

static void test_inode_mode(void **state)
{
    (void)state;
    char out[8];
    uint32_t m = 0;

    assert_int_equal(inode_mode_parse("755", &m), 0);
    assert_int_equal(m, 0755);
    assert_int_equal(inode_mode_parse("0644", &m), 0);
    assert_int_equal(m, 0644);
    assert_int_equal(inode_mode_parse("7777", &m), 0);
    assert_int_equal(m, 07777);
    assert_int_equal(inode_mode_parse("0", &m), 0);
    assert_int_equal(m, 0);
    const char *bad[] = {"",   "8",    "0758", "07777x", "17777",
                         "-1", " 755", "0x1f", "00755"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(inode_mode_parse(bad[i], &m), BN_EINVAL);
    }
    assert_int_equal(inode_mode_parse(NULL, &m), BN_EINVAL);
    inode_mode_format(0755, out);
    assert_string_equal(out, "0755");
    inode_mode_format(01777, out);
    assert_string_equal(out, "1777");
    inode_mode_format(0, out);
    assert_string_equal(out, "0000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inode_copy_is_deep),
        cmocka_unit_test(test_inode_xattrs_sorted),
        cmocka_unit_test(test_inode_xattrs_blob),
        cmocka_unit_test(test_inode_mode),
    };
    return cmocka_run_group_tests_name("inode", tests, NULL, NULL);
}
