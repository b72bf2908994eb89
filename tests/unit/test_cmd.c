/*
 * test_cmd: batches round-trip every field, and decoding refuses every
 * truncation, a bad magic, an absurd count, trailing bytes and commands
 * that make no sense (unknown op, create without a type, rename without a
 * destination) without reading past the buffer (ASan watches); every op
 * of the table round-trips; an unknown format version or op is refused
 * with a message that says so; format 1 batches still decode.
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

/* Every attribute set, so a round trip shows each one. */
static void fill_attr(struct op_attr *a)
{
    a->mode = 0640;
    a->owner = bn_strdup("alice");
    a->group = bn_strdup("staff");
    a->size = 1ULL << 40;
    a->block_size = 64 << 20;
    a->mtime_ms = -5;
    a->ttl_ms = 3600000;
    a->ttl_action = INODE_TTL_FREE;
    a->pinned = true;
    a->n_xattrs = 2;
    a->xattrs = bn_calloc(2, sizeof(*a->xattrs));
    a->xattrs[0].key = bn_strdup("user.a");
    a->xattrs[0].value = bn_strdup("1");
    a->xattrs[1].key = bn_strdup("user.gone");
    a->xattrs[1].value = NULL;
}

static struct cmd *full_create(void)
{
    struct cmd *c = cmd_new(OP_CREATE);
    c->u.create.type = INODE_FILE;
    c->flags = CMD_F_RECURSIVE | CMD_F_TTL | CMD_F_PINNED | CMD_F_XATTRS |
               CMD_F_IF_MATCH;
    c->path = bn_strdup("/a/b/f.txt");
    fill_attr(&c->u.create.attr);
    c->match_id = 99;
    c->match_version = 1234567890123ULL;
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
    in[1] = cmd_new(OP_RENAME);
    in[1]->path = bn_strdup("/x");
    in[1]->u.rename.to = bn_strdup("/y");
    in[2] = cmd_new(OP_DELETE);
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
    const struct op_attr *a = &c->u.create.attr;
    assert_int_equal(c->op, OP_CREATE);
    assert_int_equal(c->u.create.type, INODE_FILE);
    assert_int_equal(c->flags, in[0]->flags);
    assert_string_equal(c->path, "/a/b/f.txt");
    assert_int_equal(a->mode, 0640);
    assert_string_equal(a->owner, "alice");
    assert_string_equal(a->group, "staff");
    assert_int_equal(a->size, 1ULL << 40);
    assert_int_equal(a->block_size, 64 << 20);
    assert_int_equal(a->mtime_ms, -5);
    assert_int_equal(a->ttl_ms, 3600000);
    assert_int_equal(a->ttl_action, INODE_TTL_FREE);
    assert_true(a->pinned);
    assert_int_equal(c->match_id, 99);
    assert_int_equal(c->match_version, 1234567890123ULL);
    assert_int_equal(a->n_xattrs, 2);
    assert_string_equal(a->xattrs[0].key, "user.a");
    assert_string_equal(a->xattrs[0].value, "1");
    assert_string_equal(a->xattrs[1].key, "user.gone");
    assert_null(a->xattrs[1].value);
    assert_string_equal(out[1]->u.rename.to, "/y");
    assert_null(out[1]->idem_key);
    assert_int_equal(out[1]->match_id, 0);
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
    /* count: bytes 32..35 (after magic, version, origin, seq, now) */
    buf[32] = 0xff;
    buf[33] = 0xff;
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

    c = cmd_new(OP_CREATE); /* no type */
    c->path = bn_strdup("/a");
    expect_refused(c);

    c = cmd_new(OP_RENAME); /* no destination */
    c->path = bn_strdup("/a");
    expect_refused(c);

    c = cmd_new(OP_DELETE); /* no path */
    expect_refused(c);
}

static void test_cmd_names(void **state)
{
    (void)state;
    assert_string_equal(op_name(OP_CREATE), "create");
    assert_string_equal(op_name(OP_SETATTR), "setattr");
    assert_string_equal(op_name(OP_DELETE), "delete");
    assert_string_equal(op_name(OP_RENAME), "rename");
    assert_string_equal(op_name(0), "unknown");
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
    in[0] = cmd_new(OP_CREATE);
    in[0]->u.create.type = INODE_FILE;
    in[0]->path = bn_strdup("/a");
    in[0]->flags = CMD_F_IDEM_KEY;
    in[0]->idem_key = bn_strdup("retry-42");
    in[1] = cmd_new(OP_NODE_PUT);
    in[1]->u.node_put.node_id = 4;
    in[1]->u.node_put.http = bn_strdup("127.0.0.1:8450");
    in[1]->u.node_put.raft = bn_strdup("127.0.0.1:8451");
    in[2] = cmd_new(OP_IDEM_EXPIRE);
    in[2]->u.idem_expire.before_ms = 1000;
    in[2]->u.idem_expire.keep = 10;
    buf = encode(in, 3, &len);
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg), 0);
    assert_string_equal(out[0]->idem_key, "retry-42");
    assert_int_equal(out[1]->op, OP_NODE_PUT);
    assert_int_equal(out[1]->u.node_put.node_id, 4);
    assert_string_equal(out[1]->u.node_put.http, "127.0.0.1:8450");
    assert_string_equal(out[1]->u.node_put.raft, "127.0.0.1:8451");
    assert_null(out[1]->path);
    assert_int_equal(out[2]->u.idem_expire.before_ms, 1000);
    assert_int_equal(out[2]->u.idem_expire.keep, 10);
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
    in[0] = cmd_new(OP_MOUNT);
    in[0]->path = bn_strdup("/data");
    in[0]->u.mount.uri = bn_strdup("file:///srv/data");
    in[0]->u.mount.read_only = true;
    in[1] = cmd_new(OP_UNMOUNT);
    in[1]->path = bn_strdup("/old");
    buf = encode(in, 2, &len);
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg), 0);
    assert_int_equal(out[0]->op, OP_MOUNT);
    assert_string_equal(out[0]->path, "/data");
    assert_string_equal(out[0]->u.mount.uri, "file:///srv/data");
    assert_true(out[0]->u.mount.read_only);
    assert_int_equal(out[1]->op, OP_UNMOUNT);
    assert_string_equal(out[1]->path, "/old");
    assert_false(cmd_op_is_ns(OP_MOUNT) || cmd_op_is_ns(OP_UNMOUNT));
    assert_string_equal(op_name(OP_MOUNT), "mount");
    assert_string_equal(op_name(OP_UNMOUNT), "unmount");
    free_cmds(out, 2);
    free(buf);
    free(in[0]->u.mount.uri);
    in[0]->u.mount.uri = NULL;
    buf = encode(in, 1, &len);
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg),
                     BN_ECORRUPT);
    free(buf);
    for (int i = 0; i < 2; i++) {
        cmd_free(in[i]);
    }
}

/* A command of @op with every argument set, or NULL for an op this test
 * does not know (which fails the test that asks). */
static struct cmd *sample(int op)
{
    struct cmd *c = cmd_new(op);

    c->flags = CMD_F_IDEM_KEY | CMD_F_IF_MATCH;
    c->idem_key = bn_strdup("key-1");
    c->match_id = 7;
    c->match_version = 8;
    switch (op) {
    case OP_CREATE:
        c->path = bn_strdup("/a/f");
        c->flags |= CMD_F_RECURSIVE | CMD_F_MODE;
        c->u.create.type = INODE_FILE;
        fill_attr(&c->u.create.attr);
        break;
    case OP_SETATTR:
        c->path = bn_strdup("/a/f");
        c->flags |= CMD_F_MODE | CMD_F_XATTRS;
        fill_attr(&c->u.setattr);
        break;
    case OP_DELETE:
        c->path = bn_strdup("/a");
        c->flags |= CMD_F_RECURSIVE;
        break;
    case OP_RENAME:
        c->path = bn_strdup("/a");
        c->u.rename.to = bn_strdup("/b");
        break;
    case OP_NODE_PUT:
        c->u.node_put.node_id = 3;
        c->u.node_put.http = bn_strdup("127.0.0.1:1");
        c->u.node_put.raft = bn_strdup("127.0.0.1:2");
        break;
    case OP_NODE_DEL:
        c->u.node_del.node_id = 3;
        break;
    case OP_IDEM_EXPIRE:
        c->u.idem_expire.before_ms = -9;
        c->u.idem_expire.keep = 1000;
        break;
    case OP_MOUNT:
        c->path = bn_strdup("/m");
        c->u.mount.uri = bn_strdup("file:///srv");
        c->u.mount.read_only = true;
        c->u.mount.owner = bn_strdup("root");
        c->u.mount.group = bn_strdup("wheel");
        break;
    case OP_UNMOUNT:
        c->path = bn_strdup("/m");
        break;
    default:
        cmd_free(c);
        return NULL;
    }
    return c;
}

/* Every replicated op of the table has a codec and round-trips through
 * encode and decode: decoding and encoding again gives the same bytes, and
 * the fingerprint is the same. */
static void test_cmd_every_op_round_trips(void **state)
{
    int n = 0;

    (void)state;
    for (int op = 0; op < OP_ID_MAX; op++) {
        struct cmd_batch_hdr hdr;
        struct cmd **out = NULL;
        char errmsg[BN_ERRMSG_SIZE] = "";
        struct cmd *c;
        size_t len, len2;
        void *buf, *buf2;

        if ((op_flags(op) & OP_F_REPL) == 0) {
            assert_false(cmd_op_known(op));
            continue;
        }
        assert_true(cmd_op_known(op));
        c = sample(op);
        if (c == NULL) {
            fail_msg("no sample command for op %s", op_name(op));
        }
        buf = encode(&c, 1, &len);
        assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg), 0);
        assert_int_equal(out[0]->op, op);
        assert_int_equal(out[0]->flags, c->flags);
        assert_string_equal(out[0]->idem_key, "key-1");
        assert_int_equal(out[0]->match_id, 7);
        assert_int_equal(out[0]->match_version, 8);
        buf2 = encode(out, 1, &len2);
        assert_int_equal(len2, len);
        assert_memory_equal(buf2, buf, len);
        assert_int_equal(cmd_fingerprint(out[0]), cmd_fingerprint(c));
        free(buf2);
        free_cmds(out, 1);
        free(buf);
        cmd_free(c);
        n++;
    }
    assert_true(n >= 9); /* at least the ops of format 1 */
}

/* A batch of a format version this node does not know is refused, and
 * the message names the version and the ones this node reads. */
static void test_cmd_unknown_version_refused(void **state)
{
    struct cmd *c = sample(OP_DELETE);
    struct cmd_batch_hdr hdr;
    struct cmd **out = NULL;
    char errmsg[BN_ERRMSG_SIZE] = "";
    size_t len;
    unsigned char *buf;

    (void)state;
    buf = encode(&c, 1, &len);
    assert_int_equal(buf[4], CMD_VERSION); /* version: bytes 4..7 */
    buf[4] = CMD_VERSION + 1;
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg),
                     BN_ECORRUPT);
    assert_null(out);
    assert_non_null(strstr(errmsg, "batch format version 3 is unknown"));
    assert_non_null(strstr(errmsg, "versions 1 to 2"));
    buf[4] = 1; /* version 1 never comes after the "BNCB" magic */
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg),
                     BN_ECORRUPT);
    free(buf);
    cmd_free(c);
}

/* A command of an op this node does not know (a newer node's) is refused,
 * and the message names it and the ops this node knows; so is one whose
 * op is a row that is not replicated. */
static void test_cmd_unknown_op_refused(void **state)
{
    struct cmd *c = sample(OP_DELETE);
    struct cmd_batch_hdr hdr;
    struct cmd **out = NULL;
    char errmsg[BN_ERRMSG_SIZE] = "";
    size_t len;
    unsigned char *buf;

    (void)state;
    buf = encode(&c, 1, &len);
    /* header 36 bytes, then the command's u32 length, then its op */
    assert_int_equal(buf[40], OP_DELETE);
    buf[40] = 42;
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg),
                     BN_ECORRUPT);
    assert_null(out);
    assert_non_null(strstr(errmsg, "unknown op 42"));
    assert_non_null(strstr(errmsg, "create setattr delete rename"));
    assert_non_null(strstr(errmsg, "mount unmount"));
    buf[40] = OP_STAT;
    assert_int_equal(cmd_batch_decode(buf, len, &hdr, &out, errmsg),
                     BN_ECORRUPT);
    assert_non_null(strstr(errmsg, "unknown op"));
    free(buf);
    cmd_free(c);
}

/* ---- format 1, as data dirs written before format 2 hold it ---------- */

struct v1buf {
    unsigned char b[1024];
    size_t len;
};

static void v1_bytes(struct v1buf *w, const void *p, size_t n)
{
    assert_true(w->len + n <= sizeof(w->b));
    memcpy(w->b + w->len, p, n);
    w->len += n;
}

static void v1_u(struct v1buf *w, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)(v >> (8 * i));
        v1_bytes(w, &x, 1);
    }
}

static void v1_str(struct v1buf *w, const char *s)
{
    if (s == NULL) {
        v1_u(w, 0, 4);
        return;
    }
    v1_u(w, strlen(s) + 1, 4);
    v1_bytes(w, s, strlen(s));
}

/* One format 1 command: the fixed fields of every op, then the key and
 * the node id where they apply. */
struct v1cmd {
    unsigned op, type;
    uint32_t flags;
    const char *path, *to, *owner, *group, *key;
    uint32_t mode;
    uint64_t size, node_id;
    int64_t mtime_ms;
    bool pinned;
};

static void v1_cmd(struct v1buf *w, const struct v1cmd *c)
{
    struct v1buf body = {.len = 0};

    v1_u(&body, c->op, 1);
    v1_u(&body, c->type, 1);
    v1_u(&body, c->flags, 4);
    v1_str(&body, c->path);
    v1_str(&body, c->to);
    v1_u(&body, c->mode, 4);
    v1_str(&body, c->owner);
    v1_str(&body, c->group);
    v1_u(&body, c->size, 8);
    v1_u(&body, 4096, 8);                  /* block_size */
    v1_u(&body, (uint64_t)c->mtime_ms, 8); /* mtime */
    v1_u(&body, (uint64_t)(int64_t)-1, 8); /* ttl */
    v1_u(&body, 0, 1);                     /* ttl_action */
    v1_u(&body, c->pinned ? 1 : 0, 1);
    v1_u(&body, 11, 8); /* match_id */
    v1_u(&body, 12, 8); /* match_version */
    v1_u(&body, 0, 4);  /* no xattrs */
    if ((c->flags & CMD_F_IDEM_KEY) != 0) {
        v1_str(&body, c->key);
    }
    if (c->op == OP_NODE_PUT || c->op == OP_NODE_DEL) {
        v1_u(&body, c->node_id, 8);
    }
    v1_u(w, body.len, 4);
    v1_bytes(w, body.b, body.len);
}

/* A batch of format 1 ("BNC1") still decodes, each op's fields landing in
 * its arguments: a node-put's addresses, an idempotency-expire's time and
 * count, a mount's URI and read-only flag. */
static void test_cmd_format1_decodes(void **state)
{
    const struct v1cmd in[] = {
        {.op = OP_CREATE,
         .type = INODE_DIR,
         .flags = CMD_F_MODE,
         .path = "/d",
         .owner = "alice",
         .group = "staff",
         .mode = 0750},
        {.op = OP_NODE_PUT,
         .path = "127.0.0.1:80",
         .to = "127.0.0.1:81",
         .node_id = 5},
        {.op = OP_IDEM_EXPIRE, .mtime_ms = 1234, .size = 99},
        {.op = OP_MOUNT,
         .path = "/m",
         .to = "file:///srv",
         .pinned = true,
         .owner = "root",
         .group = "wheel"},
        {.op = OP_RENAME,
         .flags = CMD_F_IDEM_KEY | CMD_F_IF_MATCH,
         .path = "/a",
         .to = "/b",
         .key = "k"},
        {.op = OP_NODE_DEL, .node_id = 6},
    };
    const size_t n = sizeof(in) / sizeof(in[0]);
    struct v1buf w = {.len = 0};
    struct cmd_batch_hdr hdr;
    struct cmd **out = NULL;
    char errmsg[BN_ERRMSG_SIZE] = "";

    (void)state;
    v1_u(&w, CMD_MAGIC_V1, 4);
    v1_u(&w, 2, 8);  /* origin */
    v1_u(&w, 40, 8); /* seq */
    v1_u(&w, 1764050000000, 8);
    v1_u(&w, n, 4);
    for (size_t i = 0; i < n; i++) {
        v1_cmd(&w, &in[i]);
    }
    while (w.len % CMD_BATCH_ALIGN != 0) {
        v1_u(&w, 0, 1);
    }
    assert_int_equal(cmd_batch_decode(w.b, w.len, &hdr, &out, errmsg), 0);
    assert_int_equal(hdr.origin, 2);
    assert_int_equal(hdr.seq, 40);
    assert_int_equal(hdr.count, n);
    assert_int_equal(out[0]->op, OP_CREATE);
    assert_int_equal(out[0]->u.create.type, INODE_DIR);
    assert_string_equal(out[0]->path, "/d");
    assert_int_equal(out[0]->u.create.attr.mode, 0750);
    assert_string_equal(out[0]->u.create.attr.owner, "alice");
    assert_int_equal(out[0]->u.create.attr.ttl_ms, -1);
    assert_int_equal(out[1]->u.node_put.node_id, 5);
    assert_string_equal(out[1]->u.node_put.http, "127.0.0.1:80");
    assert_string_equal(out[1]->u.node_put.raft, "127.0.0.1:81");
    assert_null(out[1]->path);
    assert_int_equal(out[2]->u.idem_expire.before_ms, 1234);
    assert_int_equal(out[2]->u.idem_expire.keep, 99);
    assert_string_equal(out[3]->path, "/m");
    assert_string_equal(out[3]->u.mount.uri, "file:///srv");
    assert_true(out[3]->u.mount.read_only);
    assert_string_equal(out[3]->u.mount.owner, "root");
    assert_string_equal(out[3]->u.mount.group, "wheel");
    assert_string_equal(out[4]->u.rename.to, "/b");
    assert_string_equal(out[4]->idem_key, "k");
    assert_int_equal(out[4]->match_id, 11);
    assert_int_equal(out[4]->match_version, 12);
    assert_int_equal(out[5]->u.node_del.node_id, 6);

    /* The fingerprint of a namespace op is the one format 1 nodes kept
     * with an Idempotency-Key's outcome: FNV-1a over its format 1 body. */
    struct v1buf one = {.len = 0};
    uint64_t h = 0xcbf29ce484222325ULL;
    v1_cmd(&one, &in[0]);
    for (size_t i = 4; i < one.len; i++) {
        h = (h ^ one.b[i]) * 0x100000001b3ULL;
    }
    assert_int_equal(cmd_fingerprint(out[0]), h);
    free_cmds(out, n);

    /* An op that format 1 never had is refused there too. */
    w.len = 0;
    v1_u(&w, CMD_MAGIC_V1, 4);
    v1_u(&w, 0, 8); /* origin, seq, now */
    v1_u(&w, 0, 8);
    v1_u(&w, 0, 8);
    v1_u(&w, 1, 4);
    v1_cmd(&w, &(struct v1cmd){.op = 9, .path = "/a"});
    assert_int_equal(cmd_batch_decode(w.b, w.len, &hdr, &out, errmsg),
                     BN_ECORRUPT);
    assert_non_null(strstr(errmsg, "unknown op 9"));
}

/* The op table: names are unique and every row's name and permission are
 * named; only replicated rows have a codec; the actions are found. */
static void test_cmd_op_table(void **state)
{
    (void)state;
    for (int i = 0; i < OP_ID_MAX; i++) {
        const struct op_info *a = op_get(i);

        if (a == NULL) {
            continue;
        }
        assert_int_equal(a->id, i);
        assert_true(a->kind >= OP_K_NS && a->kind <= OP_K_NODE);
        assert_string_not_equal(op_perm_name(a->perm), "unknown");
        for (int j = i + 1; j < OP_ID_MAX; j++) {
            if (op_get(j) != NULL) {
                assert_string_not_equal(a->name, op_get(j)->name);
            }
        }
        if ((a->flags & OP_F_REPL) != 0) {
            assert_true((a->flags & OP_F_WRITE) != 0);
        }
    }
    assert_null(op_get(-1));
    assert_null(op_get(OP_ID_MAX));
    assert_int_equal(op_from_action("rename"), OP_RENAME);
    assert_int_equal(op_from_action("sync"), OP_SYNC);
    assert_int_equal(op_from_action("create-directory"), OP_OTHER);
    assert_int_equal(op_from_action("delete"), OP_OTHER); /* no action */
    assert_int_equal(op_perm(OP_CREATE), OP_PERM_WRITE_PARENT);
    assert_int_equal(op_perm(OP_LIST), OP_PERM_READ_DIR);
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
        cmocka_unit_test(test_cmd_every_op_round_trips),
        cmocka_unit_test(test_cmd_unknown_version_refused),
        cmocka_unit_test(test_cmd_unknown_op_refused),
        cmocka_unit_test(test_cmd_format1_decodes),
        cmocka_unit_test(test_cmd_op_table),
    };
    return cmocka_run_group_tests_name("cmd", tests, NULL, NULL);
}
