/*
 * test_cmd: batches round-trip every field, and decoding refuses every
 * truncation, a bad magic, an absurd count, trailing bytes and commands
 * that make no sense (unknown op, create without a type, rename without a
 * destination) without reading past the buffer (ASan watches).
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

#include "cmd.h"
#include "mem.h"

static struct cmd *full_create(void)
{
    struct cmd *c = cmd_new(CMD_CREATE);
    c->type = INODE_FILE;
    c->flags = CMD_F_RECURSIVE | CMD_F_TTL | CMD_F_PINNED | CMD_F_XATTRS;
    c->path = bn_strdup("/a/b/f.txt");
    c->mode = 0640;
    c->owner = bn_strdup("alice");
    c->group = bn_strdup("staff");
    c->size = 1ULL << 40;
    c->block_size = 64 << 20;
    c->mtime_ms = -5;
    c->ttl_ms = 3600000;
    c->ttl_action = INODE_TTL_FREE;
    c->pinned = true;
    c->match_id = 99;
    c->match_version = 1234567890123ULL;
    c->n_xattrs = 2;
    c->xattrs = bn_calloc(2, sizeof(*c->xattrs));
    c->xattrs[0].key = bn_strdup("user.a");
    c->xattrs[0].value = bn_strdup("1");
    c->xattrs[1].key = bn_strdup("user.gone");
    c->xattrs[1].value = NULL;
    return c;
}

static void *encode(struct cmd **cmds, size_t n, size_t *len)
{
    struct cmd_batch_hdr hdr = {3, 77, 1764050000000, 0};
    return cmd_batch_encode((const struct cmd *const *)cmds, n, &hdr, malloc,
                            len);
}

static void free_cmds(struct cmd **cmds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cmd_free(cmds[i]);
    }
    free(cmds);
}

static void test_cmd_round_trip(void **state)
{
    (void)state;
    struct cmd *in[3];
    in[0] = full_create();
    in[1] = cmd_new(CMD_RENAME);
    in[1]->path = bn_strdup("/x");
    in[1]->to = bn_strdup("/y");
    in[2] = cmd_new(CMD_DELETE);
    in[2]->path = bn_strdup("/");
    in[2]->flags = CMD_F_RECURSIVE;
    size_t len;
    void *buf = encode(in, 3, &len);

    struct cmd_batch_hdr hdr;
    struct cmd **out;
    char errmsg[BN_ERRMSG_SIZE] = "";
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg), 0);
    assert_int_equal(hdr.origin, 3);
    assert_int_equal(hdr.seq, 77);
    assert_int_equal(hdr.now_ms, 1764050000000);
    assert_int_equal(hdr.count, 3);

    struct cmd *c = out[0];
    assert_int_equal(c->op, CMD_CREATE);
    assert_int_equal(c->type, INODE_FILE);
    assert_int_equal(c->flags, in[0]->flags);
    assert_string_equal(c->path, "/a/b/f.txt");
    assert_null(c->to);
    assert_int_equal(c->mode, 0640);
    assert_string_equal(c->owner, "alice");
    assert_string_equal(c->group, "staff");
    assert_int_equal(c->size, 1ULL << 40);
    assert_int_equal(c->block_size, 64 << 20);
    assert_int_equal(c->mtime_ms, -5);
    assert_int_equal(c->ttl_ms, 3600000);
    assert_int_equal(c->ttl_action, INODE_TTL_FREE);
    assert_true(c->pinned);
    assert_int_equal(c->match_id, 99);
    assert_int_equal(c->match_version, 1234567890123ULL);
    assert_int_equal(c->n_xattrs, 2);
    assert_string_equal(c->xattrs[0].key, "user.a");
    assert_string_equal(c->xattrs[0].value, "1");
    assert_string_equal(c->xattrs[1].key, "user.gone");
    assert_null(c->xattrs[1].value);
    assert_string_equal(out[1]->to, "/y");
    assert_null(out[1]->owner);
    assert_int_equal(out[1]->ttl_ms, -1);
    assert_int_equal(out[2]->flags, CMD_F_RECURSIVE);

    free_cmds(out, 3);
    free(buf);
    for (int i = 0; i < 3; i++) {
        cmd_free(in[i]);
    }
}

static void test_cmd_empty_batch(void **state)
{
    (void)state;
    size_t len;
    void *buf = encode(NULL, 0, &len);
    struct cmd_batch_hdr hdr;
    struct cmd **out;
    char errmsg[BN_ERRMSG_SIZE] = "";
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg), 0);
    assert_int_equal(hdr.count, 0);
    free(out);
    free(buf);
}

static void test_cmd_truncations(void **state)
{
    (void)state;
    struct cmd *in[2] = {full_create(), full_create()};
    size_t len;
    unsigned char *buf = encode(in, 2, &len);
    struct cmd_batch_hdr hdr;
    struct cmd **out;
    char errmsg[BN_ERRMSG_SIZE];

    assert_int_equal(len % CMD_BATCH_ALIGN, 0);
    int whole = 0;
    for (size_t n = 0; n < len; n++) {
        /* An exact-size copy so ASan catches any over-read. */
        unsigned char *cut = bn_malloc(n > 0 ? n : 1);
        memcpy(cut, buf, n);
        errmsg[0] = '\0';
        int rc = cmd_batch_decode(cut, n, &hdr, &out, errmsg);
        if (rc == 0) {
            /* Only the batch without its padding is whole. */
            assert_true(n + CMD_BATCH_ALIGN > len);
            assert_int_equal(hdr.count, 2);
            free_cmds(out, hdr.count);
            whole++;
        } else {
            assert_int_equal(rc, BN_ECORRUPT);
            assert_null(out);
            assert_true(errmsg[0] != '\0');
        }
        free(cut);
    }
    assert_true(whole <= 1);
    unsigned char *longer = bn_malloc(len + 3);
    memcpy(longer, buf, len);
    memset(longer + len, 0, 3);
    assert_int_equal(cmd_batch_decode(longer, len + 3, &hdr, &out, errmsg),
                     BN_ECORRUPT);
    free(longer);

    buf[0] ^= 0xff; /* magic */
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg),
                     BN_ECORRUPT);
    buf[0] ^= 0xff;
    /* count: bytes 28..31 */
    buf[28] = 0xff;
    buf[29] = 0xff;
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg),
                     BN_ECORRUPT);
    free(buf);
    cmd_free(in[0]);
    cmd_free(in[1]);
}

static void expect_refused(struct cmd *c)
{
    size_t len;
    void *buf = encode(&c, 1, &len);
    struct cmd_batch_hdr hdr;
    struct cmd **out;
    char errmsg[BN_ERRMSG_SIZE] = "";
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg),
                     BN_ECORRUPT);
    free(buf);
    cmd_free(c);
}

static void test_cmd_nonsense(void **state)
{
    (void)state;
    struct cmd *c = cmd_new(9);
    c->path = bn_strdup("/a");
    expect_refused(c);

    c = cmd_new(CMD_CREATE); /* no type */
    c->path = bn_strdup("/a");
    expect_refused(c);

    c = cmd_new(CMD_RENAME); /* no destination */
    c->path = bn_strdup("/a");
    expect_refused(c);

    c = cmd_new(CMD_DELETE); /* no path */
    expect_refused(c);
}

static void test_cmd_names(void **state)
{
    (void)state;
    assert_string_equal(cmd_op_name(CMD_CREATE), "create");
    assert_string_equal(cmd_op_name(CMD_SETATTR), "setattr");
    assert_string_equal(cmd_op_name(CMD_DELETE), "delete");
    assert_string_equal(cmd_op_name(CMD_RENAME), "rename");
    assert_string_equal(cmd_op_name(0), "unknown");
    cmd_free(NULL);
    cmd_result_free(NULL);
    struct cmd_result *r = cmd_result_new();
    r->has_ino = true;
    r->ino.name = bn_strdup("x");
    cmd_result_free(r);
}

/* The Idempotency-Key and the cluster ops round-trip; the fingerprint
 * ignores the key and sees the rest. */
static void test_cmd_cluster_fields(void **state)
{
    struct cmd *in[3];
    struct cmd **out = NULL;
    struct cmd_batch_hdr hdr;
    char errmsg[BN_ERRMSG_SIZE];
    size_t len;
    void *buf;
    uint64_t fp;

    (void)state;
    in[0] = cmd_new(CMD_CREATE);
    in[0]->type = INODE_FILE;
    in[0]->path = bn_strdup("/a");
    in[0]->flags = CMD_F_IDEM_KEY;
    in[0]->idem_key = bn_strdup("retry-42");
    in[1] = cmd_new(CMD_NODE_PUT);
    in[1]->node_id = 4;
    in[1]->path = bn_strdup("127.0.0.1:8450");
    in[1]->to = bn_strdup("127.0.0.1:8451");
    in[2] = cmd_new(CMD_IDEM_EXPIRE);
    in[2]->mtime_ms = 1000;
    in[2]->size = 10;
    buf = encode(in, 3, &len);
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg), 0);
    assert_string_equal(out[0]->idem_key, "retry-42");
    assert_int_equal(out[1]->op, CMD_NODE_PUT);
    assert_int_equal(out[1]->node_id, 4);
    assert_string_equal(out[1]->to, "127.0.0.1:8451");
    assert_int_equal(out[2]->mtime_ms, 1000);
    assert_true(cmd_op_is_ns(out[0]->op) && !cmd_op_is_ns(out[1]->op));

    fp = cmd_fingerprint(in[0]);
    free(out[0]->idem_key);
    out[0]->idem_key = bn_strdup("another key");
    assert_int_equal(cmd_fingerprint(out[0]), fp);
    free(out[0]->path);
    out[0]->path = bn_strdup("/b");
    assert_int_not_equal(cmd_fingerprint(out[0]), fp);
    free_cmds(out, 3);
    free(buf);
    for (int i = 0; i < 3; i++) {
        cmd_free(in[i]);
    }
}

/* The mount commands keep their path, URI and read-only flag; one without
 * its URI does not decode. */
static void test_cmd_mount_fields(void **state)
{
    struct cmd *in[2];
    struct cmd **out = NULL;
    struct cmd_batch_hdr hdr;
    char errmsg[BN_ERRMSG_SIZE];
    size_t len;
    void *buf;

    (void)state;
    in[0] = cmd_new(CMD_MOUNT);
    in[0]->path = bn_strdup("/data");
    in[0]->to = bn_strdup("file:///srv/data");
    in[0]->pinned = true;
    in[1] = cmd_new(CMD_UNMOUNT);
    in[1]->path = bn_strdup("/old");
    buf = encode(in, 2, &len);
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg), 0);
    assert_int_equal(out[0]->op, CMD_MOUNT);
    assert_string_equal(out[0]->path, "/data");
    assert_string_equal(out[0]->to, "file:///srv/data");
    assert_true(out[0]->pinned);
    assert_int_equal(out[1]->op, CMD_UNMOUNT);
    assert_string_equal(out[1]->path, "/old");
    assert_false(cmd_op_is_ns(CMD_MOUNT) || cmd_op_is_ns(CMD_UNMOUNT));
    assert_string_equal(cmd_op_name(CMD_MOUNT), "mount");
    assert_string_equal(cmd_op_name(CMD_UNMOUNT), "unmount");
    free_cmds(out, 2);
    free(buf);
    free(in[0]->to);
    in[0]->to = NULL;
    buf = encode(in, 1, &len);
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg),
                     BN_ECORRUPT);
    free(buf);
    for (int i = 0; i < 2; i++) {
        cmd_free(in[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmd_round_trip),
        cmocka_unit_test(test_cmd_empty_batch),
        cmocka_unit_test(test_cmd_truncations),
        cmocka_unit_test(test_cmd_nonsense),
        cmocka_unit_test(test_cmd_names),
        cmocka_unit_test(test_cmd_cluster_fields),
        cmocka_unit_test(test_cmd_mount_fields),
    };
    return cmocka_run_group_tests_name("cmd", tests, NULL, NULL);
}
