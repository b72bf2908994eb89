/*
 * test_codec: JSON encoding of inodes, listings and problems, and strict
 * decoding of request bodies (api/codec.c, api/http_problem.c), plus the
 * request parsers of api/http_req.c (percent-decoding, query, If-Match,
 * media types), which this file includes to stay within its link line.
 *
 * Table-driven: one row per case.
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

/* Included, statics and all, so that no link line changes. */
#include "../../api/http_req.c" /* NOLINT(bugprone-suspicious-include) */

#include "codec.h"
#include "jsonw.h"
#include "ns.h"

#include "http_problem.h"
#include <jansson.h>

/* ---- helpers --------------------------------------------------------- */

static struct xattr xa_kv[] = {{(char *)"k", (char *)"v"}};

static struct inode dir_inode(void)
{
    struct inode ino = {
        .id = 17,
        .parent = 5,
        .name = (char *)"b",
        .type = INODE_DIR,
        .mode = 0755,
        .owner = (char *)"banyan",
        .group = (char *)"banyan",
        .ctime_ms = 1764050000000,
        .mtime_ms = 1764050000001,
        .atime_ms = 1764050000002,
        .ttl_ms = -1,
        .ttl_action = INODE_TTL_DELETE,
        .nchildren = 3,
        .version = 42,
        .xattrs = xa_kv,
        .n_xattrs = 1,
    };

    return ino;
}

/* ---- encoders -------------------------------------------------------- */

/* An inode of each kind the encoder must handle, by index. */
static struct inode sample_inode(size_t which)
{
    static const char bad_name[] = {'x', (char)0xff, 'y', '\0'};
    struct inode ino = dir_inode();

    if (which == 0) {
        return ino;
    }
    ino.xattrs = NULL;
    ino.n_xattrs = 0;
    if (which == 1) {
        ino.id = 18;
        ino.name = (char *)"f";
        ino.type = INODE_FILE;
        ino.mode = 0640;
        ino.owner = (char *)"u";
        ino.group = (char *)"g";
        ino.size = 10;
        ino.block_size = 4096;
        ino.ctime_ms = 1;
        ino.mtime_ms = 2;
        ino.atime_ms = 3;
        ino.ttl_ms = 60000;
        ino.ttl_action = INODE_TTL_FREE;
        ino.pinned = true;
        ino.version = 7;
    } else if (which == 2) {
        ino.id = INODE_ROOT_ID;
        ino.parent = 0;
        ino.name = (char *)"";
        ino.version = 1;
    } else {
        ino.name = (char *)bad_name;
    }
    return ino;
}

/* The status object has every field of the contract, in order. */
static void test_codec_inode_golden(void **state)
{
    const struct {
        const char *what;
        const char *path;
        const char *want;
    } cases[] = {
        {"directory", "/a/b",
         "{\"id\":17,\"name\":\"b\",\"path\":\"/a/b\",\"type\":\"directory\","
         "\"size\":0,\"block_size\":0,\"mode\":\"0755\",\"owner\":\"banyan\","
         "\"group\":\"banyan\",\"ctime\":1764050000000,"
         "\"mtime\":1764050000001,\"atime\":1764050000002,\"ttl\":null,"
         "\"ttl_action\":\"delete\",\"pinned\":false,\"xattrs\":{\"k\":\"v\"},"
         "\"children\":3,\"version\":42,\"etag\":\"\\\"17-42\\\"\"}"},
        {"file", "/a/f",
         "{\"id\":18,\"name\":\"f\",\"path\":\"/a/f\",\"type\":\"file\","
         "\"size\":10,\"block_size\":4096,\"mode\":\"0640\","
         "\"owner\":\"u\",\"group\":\"g\",\"ctime\":1,\"mtime\":2,"
         "\"atime\":3,\"ttl\":60000,\"ttl_action\":\"free\","
         "\"pinned\":true,\"xattrs\":{},\"version\":7,"
         "\"etag\":\"\\\"18-7\\\"\"}"},
        {"root", "/",
         "{\"id\":1,\"name\":\"\",\"path\":\"/\",\"type\":\"directory\","
         "\"size\":0,\"block_size\":0,\"mode\":\"0755\",\"owner\":\"banyan\","
         "\"group\":\"banyan\",\"ctime\":1764050000000,"
         "\"mtime\":1764050000001,\"atime\":1764050000002,\"ttl\":null,"
         "\"ttl_action\":\"delete\",\"pinned\":false,\"xattrs\":{},"
         "\"children\":3,\"version\":1,\"etag\":\"\\\"1-1\\\"\"}"},
        {"bad utf-8", "/x",
         "{\"id\":17,\"name\":\"x\xef\xbf\xbdy\",\"path\":\"/x\","
         "\"type\":\"directory\",\"size\":0,\"block_size\":0,"
         "\"mode\":\"0755\",\"owner\":\"banyan\",\"group\":\"banyan\","
         "\"ctime\":1764050000000,\"mtime\":1764050000001,"
         "\"atime\":1764050000002,\"ttl\":null,\"ttl_action\":\"delete\","
         "\"pinned\":false,\"xattrs\":{},\"children\":3,\"version\":42,"
         "\"etag\":\"\\\"17-42\\\"\"}"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct inode ino = sample_inode(i);
        size_t len = 0;
        char *got = codec_inode_to_json(&ino, cases[i].path, NULL, &len);

        if (strcmp(got, cases[i].want) != 0) {
            print_error("case '%s':\n got %s\nwant %s\n", cases[i].what, got,
                        cases[i].want);
        }
        assert_string_equal(got, cases[i].want);
        assert_int_equal(len, strlen(got));
        free(got);
    }
}

/* Listing pages join the child paths and set "next" only when more. */
static void test_codec_page(void **state)
{
    struct inode entries[2] = {dir_inode(), dir_inode()};
    struct ns_page page = {.entries = entries, .n = 2, .more = true};
    struct {
        const char *path;
        bool more;
        size_t n;
        const char *want_sub[3];
    } cases[] = {
        {"/", true, 2, {"\"path\":\"/\"", "\"path\":\"/b\"", "\"next\":\"c\""}},
        {"/a",
         false,
         2,
         {"\"path\":\"/a/b\"", "\"path\":\"/a/c\"", "\"next\":null"}},
        {"/a",
         true,
         0,
         {"\"entries\":[]", "\"next\":null", "{\"path\":\"/a\""}},
    };

    (void)state;
    entries[1].name = (char *)"c";
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = 0;
        char *got;

        page.more = cases[i].more;
        page.n = cases[i].n;
        got = codec_page_to_json(cases[i].path, page.entries, page.n, page.more,
                                 NULL, &len);
        for (size_t k = 0; k < 3; k++) {
            if (strstr(got, cases[i].want_sub[k]) == NULL) {
                print_error("case %zu: %s lacks %s\n", i, got,
                            cases[i].want_sub[k]);
            }
            assert_non_null(strstr(got, cases[i].want_sub[k]));
        }
        free(got);
    }
}

/* Each code maps to its status, a problem body, and 503 to Retry-After. */
static void test_codec_problem_reply(void **state)
{
    struct {
        int rc;
        int status;
        const char *detail;
        const char *want;
        bool retry_after;
    } cases[] = {
        {BN_ENOTFOUND, 404, "stat /a/b: no such file or directory",
         "{\"type\":\"urn:banyan:problem:not_found\","
         "\"title\":\"no such file or directory\",\"status\":404,"
         "\"code\":\"not_found\","
         "\"detail\":\"stat /a/b: no such file or directory\","
         "\"instance\":\"/api/v1/paths/a/b\"}",
         false},
        {BN_EUNAVAIL, 503, NULL,
         "{\"type\":\"urn:banyan:problem:unavailable\","
         "\"title\":\"service unavailable\",\"status\":503,"
         "\"code\":\"unavailable\",\"detail\":\"service unavailable\","
         "\"instance\":\"/api/v1/paths/a/b\"}",
         true},
        {BN_EMEDIATYPE, 415, "", "\"code\":\"unsupported_media_type\"", false},
        {BN_ETOOLARGE, 413, "x", "\"code\":\"payload_too_large\"", false},
        {BN_EMETHOD, 405, "x", "\"code\":\"method_not_allowed\"", false},
        {BN_EPRECOND, 412, "x", "\"code\":\"precondition_failed\"", false},
        {BN_ENOSPC, 507, "x", "\"code\":\"no_space\"", false},
        {-999, 500, "x", "\"code\":\"internal\"", false},
        {BN_EINVALPATH, 400, "bad \xff byte", "bad \xef\xbf\xbd byte", false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_req req;

        memset(&req, 0, sizeof(req));
        req.url = (char *)"/api/v1/paths/a/b";
        http_problem_reply(&req, cases[i].rc, cases[i].detail);
        assert_int_equal(req.resp.status, cases[i].status);
        assert_string_equal(req.resp.type, "application/problem+json");
        if (strstr(req.resp.body, cases[i].want) == NULL) {
            print_error("case %zu: %s lacks %s\n", i, req.resp.body,
                        cases[i].want);
        }
        assert_non_null(strstr(req.resp.body, cases[i].want));
        assert_int_equal(req.resp.len, strlen(req.resp.body));
        assert_int_equal(req.resp.n_hdrs, cases[i].retry_after ? 1 : 0);
        if (cases[i].retry_after) {
            assert_string_equal(req.resp.hdrs[0].name, "Retry-After");
            assert_string_equal(req.resp.hdrs[0].value, "1");
        }
        free(req.resp.body);
    }
}

/* Health and readiness bodies. */
static void test_codec_health(void **state)
{
    size_t len = 0;
    char *got = codec_health_to_json("ok", &len);

    (void)state;
    assert_string_equal(got, "{\"status\":\"ok\"}");
    free(got);
    got = codec_ready_to_json("leader", 12, &len);
    assert_string_equal(
        got, "{\"status\":\"ready\",\"role\":\"leader\",\"applied_index\":12}");
    free(got);
}

/* ---- decoders -------------------------------------------------------- */

struct dec_case {
    const char *body;
    int rc;
    const char *msg; /* a substring of errmsg on failure */
};

/* A 256-byte owner: one more than INODE_OWNER_MAX. */
#define X16 "xxxxxxxxxxxxxxxx"
#define BIG_OWNER                                                              \
    "\"" X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 "\""

static const struct dec_case create_errors[] = {
    {"", BN_EINVAL, "a JSON body is required"},
    {"{", BN_EINVAL, "invalid JSON at line 1"},
    {"{\"type\":\"file\"} x", BN_EINVAL, "invalid JSON"},
    {"{\"type\":\"file\",}", BN_EINVAL, "invalid JSON"},
    {"[]", BN_EINVAL, "must be a JSON object"},
    {"\"file\"", BN_EINVAL, "must be a JSON object"},
    {"1", BN_EINVAL, "must be a JSON object"},
    {"null", BN_EINVAL, "must be a JSON object"},
    {"{\"type\":\"file\",\"type\":\"file\"}", BN_EINVAL, "duplicate"},
    {"{\"type\":\"file\",\"colour\":1}", BN_EINVAL, "unknown field 'colour'"},
    {"{\"type\":\"file\",\"mtime\":1}", BN_EINVAL, "unknown field 'mtime'"},
    {"{\"type\":\"file\",\"ttl\":\"1h\"}", BN_EINVAL, "ttl"},
    {"{}", BN_EINVAL, "field 'type': is required"},
    {"{\"mode\":\"0755\"}", BN_EINVAL, "field 'type': is required"},
    {"{\"type\":\"fifo\"}", BN_EINVAL, "field 'type': must be"},
    {"{\"type\":1}", BN_EINVAL, "field 'type': must be"},
    {"{\"type\":null}", BN_EINVAL, "field 'type': must not be null"},
    {"{\"type\":\"file\",\"mode\":755}", BN_EINVAL, "field 'mode'"},
    {"{\"type\":\"file\",\"mode\":\"0999\"}", BN_EINVAL, "field 'mode'"},
    {"{\"type\":\"file\",\"mode\":\"17777\"}", BN_EINVAL, "field 'mode'"},
    {"{\"type\":\"file\",\"mode\":\"\"}", BN_EINVAL, "field 'mode'"},
    {"{\"type\":\"file\",\"owner\":\"\"}", BN_EINVAL, "field 'owner'"},
    {"{\"type\":\"file\",\"owner\":7}", BN_EINVAL,
     "field 'owner': must be a string"},
    {"{\"type\":\"file\",\"owner\":" BIG_OWNER "}", BN_EINVAL,
     "field 'owner': must be 1 to 255 bytes"},
    {"{\"type\":\"file\",\"owner\":\"a\\nb\"}", BN_EINVAL,
     "field 'owner': must not hold control"},
    {"{\"type\":\"file\",\"group\":null}", BN_EINVAL,
     "field 'group': must not be null"},
    {"{\"type\":\"file\",\"group\":[\"g\"]}", BN_EINVAL, "field 'group'"},
    {"{\"type\":\"file\",\"recursive\":\"yes\"}", BN_EINVAL,
     "field 'recursive'"},
    {"{\"type\":\"file\",\"size\":-1}", BN_EINVAL,
     "field 'size': must be a non-negative integer"},
    {"{\"type\":\"file\",\"size\":1.5}", BN_EINVAL, "field 'size'"},
    {"{\"type\":\"file\",\"size\":\"1\"}", BN_EINVAL, "field 'size'"},
    {"{\"type\":\"file\",\"size\":99999999999999999999}", BN_EINVAL,
     "invalid JSON"},
    {"{\"type\":\"file\",\"block_size\":true}", BN_EINVAL,
     "field 'block_size'"},
    {"{\"type\":\"directory\",\"size\":0}", BN_EINVAL,
     "field 'size': is only for files"},
    {"{\"block_size\":1,\"type\":\"directory\"}", BN_EINVAL,
     "field 'block_size': is only for files"},
    {"{\"type\":\"file\",\"xattrs\":[]}", BN_EINVAL, "field 'xattrs'"},
    {"{\"type\":\"file\",\"xattrs\":{\"k\":1}}", BN_EINVAL,
     "field 'xattrs.k': must be a string"},
    {"{\"type\":\"file\",\"xattrs\":{\"k\":null}}", BN_EINVAL,
     "field 'xattrs.k': must be a string"},
    {"{\"type\":\"file\",\"xattrs\":{\"\":\"v\"}}", BN_EINVAL,
     "a key must be 1 to 255 bytes"},
    {"{\"type\":\"file\",\"xattrs\":{\"a\":\"1\",\"a\":\"2\"}}", BN_EINVAL,
     "duplicate"},
    {"{\"type\":\"file\",\"owner\":\"a\\u0000b\"}", BN_EINVAL, "invalid JSON"},
    {"{\"type\":\"fi\xff\"}", BN_EINVAL, "invalid JSON"},
};

/* Every invalid create body is refused with a message naming the field. */
static void test_codec_create_rejects(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(create_errors) / sizeof(create_errors[0]);
         i++) {
        const struct dec_case *dc = &create_errors[i];
        char errmsg[BN_ERRMSG_SIZE] = "";
        struct cmd c;
        int rc;

        memset(&c, 0, sizeof(c));
        c.op = OP_CREATE;
        rc = codec_decode_create(dc->body, strlen(dc->body), 1 << 20, &c,
                                 errmsg);
        if (rc != dc->rc || strstr(errmsg, dc->msg) == NULL) {
            print_error("case %zu %s: rc %d errmsg '%s', want %d '%s'\n", i,
                        dc->body, rc, errmsg, dc->rc, dc->msg);
        }
        assert_int_equal(rc, dc->rc);
        assert_non_null(strstr(errmsg, dc->msg));
        cmd_clear(&c);
    }
}

/* Bounds that need a generated body: size cap, xattr count and length. */
static void test_codec_create_limits(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    size_t cap = (size_t)16 * 1024;
    char *body = malloc(cap);
    struct cmd c;
    size_t n = 0;
    int rc;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.op = OP_CREATE;
    rc = codec_decode_create("{\"type\":\"file\"}", 15, 10, &c, errmsg);
    assert_int_equal(rc, BN_ETOOLARGE);
    cmd_clear(&c);

    n = (size_t)snprintf(body, cap, "{\"type\":\"file\",\"xattrs\":{");
    for (int i = 0; i <= INODE_XATTR_MAX; i++) {
        n += (size_t)snprintf(body + n, cap - n, "%s\"k%d\":\"v\"",
                              i > 0 ? "," : "", i);
    }
    n += (size_t)snprintf(body + n, cap - n, "}}");
    memset(&c, 0, sizeof(c));
    c.op = OP_CREATE;
    rc = codec_decode_create(body, n, 1 << 20, &c, errmsg);
    assert_int_equal(rc, BN_EINVAL);
    assert_non_null(strstr(errmsg, "more than 64"));
    cmd_clear(&c);

    n = (size_t)snprintf(body, cap, "{\"type\":\"file\",\"xattrs\":{\"k\":\"");
    memset(body + n, 'v', INODE_XATTR_VALUE_MAX + 1);
    n += INODE_XATTR_VALUE_MAX + 1;
    n += (size_t)snprintf(body + n, cap - n, "\"}}");
    memset(&c, 0, sizeof(c));
    c.op = OP_CREATE;
    rc = codec_decode_create(body, n, 1 << 20, &c, errmsg);
    assert_int_equal(rc, BN_EINVAL);
    assert_non_null(strstr(errmsg, "more than 4096 bytes"));
    cmd_clear(&c);
    free(body);
}

/* A full create body fills every field and flag; defaults stay unset. */
static void test_codec_create_accepts(void **state)
{
    const char *body =
        "{\"type\":\"file\",\"mode\":\"750\",\"owner\":\"u\","
        "\"group\":\"g\",\"recursive\":true,\"size\":10,\"block_size\":4096,"
        "\"xattrs\":{\"a\":\"1\",\"b\":\"\"}}";
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct cmd c;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.op = OP_CREATE;
    assert_int_equal(
        codec_decode_create(body, strlen(body), 1 << 20, &c, errmsg), 0);
    assert_int_equal(c.u.create.type, INODE_FILE);
    assert_int_equal(c.u.create.attr.mode, 0750);
    assert_string_equal(c.u.create.attr.owner, "u");
    assert_string_equal(c.u.create.attr.group, "g");
    assert_int_equal(c.u.create.attr.size, 10);
    assert_int_equal(c.u.create.attr.block_size, 4096);
    assert_int_equal(c.u.create.attr.n_xattrs, 2);
    assert_string_equal(c.u.create.attr.xattrs[0].key, "a");
    assert_string_equal(c.u.create.attr.xattrs[1].value, "");
    assert_int_equal(c.flags, CMD_F_MODE | CMD_F_OWNER | CMD_F_GROUP |
                                  CMD_F_RECURSIVE | CMD_F_SIZE |
                                  CMD_F_BLOCK_SIZE | CMD_F_XATTRS);
    cmd_clear(&c);

    memset(&c, 0, sizeof(c));
    c.op = OP_CREATE;
    assert_int_equal(
        codec_decode_create("{\"type\":\"directory\",\"recursive\":false}", 38,
                            1 << 20, &c, errmsg),
        0);
    assert_int_equal(c.u.create.type, INODE_DIR);
    assert_int_equal(c.flags, 0);
    assert_null(c.u.create.attr.owner);
    cmd_clear(&c);
}

static const struct dec_case setattr_errors[] = {
    {"", BN_EINVAL, "a JSON body is required"},
    {"{}", BN_EINVAL, "sets no attribute"},
    {"[1]", BN_EINVAL, "must be a JSON object"},
    {"{\"block_size\":1}", BN_EINVAL, "unknown field 'block_size'"},
    {"{\"type\":\"file\"}", BN_EINVAL, "unknown field 'type'"},
    {"{\"recursive\":true}", BN_EINVAL, "unknown field 'recursive'"},
    {"{\"mode\":null}", BN_EINVAL, "field 'mode': must not be null"},
    {"{\"mode\":\"rwx\"}", BN_EINVAL, "field 'mode'"},
    {"{\"owner\":\"\"}", BN_EINVAL, "field 'owner'"},
    {"{\"mtime\":-1}", BN_EINVAL, "field 'mtime'"},
    {"{\"mtime\":\"now\"}", BN_EINVAL, "field 'mtime'"},
    {"{\"ttl\":-5}", BN_EINVAL, "field 'ttl'"},
    {"{\"ttl\":\"1h\"}", BN_EINVAL, "field 'ttl'"},
    {"{\"ttl_action\":\"archive\"}", BN_EINVAL, "field 'ttl_action'"},
    {"{\"ttl_action\":null}", BN_EINVAL, "field 'ttl_action'"},
    {"{\"pinned\":1}", BN_EINVAL, "field 'pinned'"},
    {"{\"size\":-3}", BN_EINVAL, "field 'size'"},
    {"{\"xattrs\":{\"k\":7}}", BN_EINVAL,
     "field 'xattrs.k': must be a string or null"},
    {"{\"xattrs\":null}", BN_EINVAL, "field 'xattrs': must not be null"},
    {"{\"mode\":\"0700\",\"mode\":\"0700\"}", BN_EINVAL, "duplicate"},
};

/* Every invalid PATCH body is refused with a message naming the field. */
static void test_codec_setattr_rejects(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(setattr_errors) / sizeof(setattr_errors[0]);
         i++) {
        const struct dec_case *dc = &setattr_errors[i];
        char errmsg[BN_ERRMSG_SIZE] = "";
        struct cmd c;
        int rc;

        memset(&c, 0, sizeof(c));
        c.op = OP_SETATTR;
        rc = codec_decode_setattr(dc->body, strlen(dc->body), 1 << 20, &c,
                                  errmsg);
        if (rc != dc->rc || strstr(errmsg, dc->msg) == NULL) {
            print_error("case %zu %s: rc %d errmsg '%s', want %d '%s'\n", i,
                        dc->body, rc, errmsg, dc->rc, dc->msg);
        }
        assert_int_equal(rc, dc->rc);
        assert_non_null(strstr(errmsg, dc->msg));
        cmd_clear(&c);
    }
}

/* Each PATCH field sets its value and flag; null ttl clears; null xattr
 * values remove. */
static void test_codec_setattr_accepts(void **state)
{
    struct {
        const char *body;
        uint32_t flags;
    } cases[] = {
        {"{\"mode\":\"0700\"}", CMD_F_MODE},
        {"{\"owner\":\"u\",\"group\":\"g\"}", CMD_F_OWNER | CMD_F_GROUP},
        {"{\"mtime\":1764050000000}", CMD_F_MTIME},
        {"{\"ttl\":null}", CMD_F_TTL},
        {"{\"ttl\":60000,\"ttl_action\":\"free\"}",
         CMD_F_TTL | CMD_F_TTL_ACTION},
        {"{\"pinned\":true}", CMD_F_PINNED},
        {"{\"size\":10}", CMD_F_SIZE},
        {"{\"xattrs\":{\"k\":\"v\",\"gone\":null}}", CMD_F_XATTRS},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char errmsg[BN_ERRMSG_SIZE] = "";
        struct cmd c;

        memset(&c, 0, sizeof(c));
        c.op = OP_SETATTR;
        assert_int_equal(codec_decode_setattr(cases[i].body,
                                              strlen(cases[i].body), 1 << 20,
                                              &c, errmsg),
                         0);
        assert_int_equal(c.flags, cases[i].flags);
        if (i == 0) {
            assert_int_equal(c.u.setattr.mode, 0700);
        } else if (i == 3) {
            assert_int_equal(c.u.setattr.ttl_ms, -1);
        } else if (i == 4) {
            assert_int_equal(c.u.setattr.ttl_ms, 60000);
            assert_int_equal(c.u.setattr.ttl_action, INODE_TTL_FREE);
        } else if (i == 5) {
            assert_true(c.u.setattr.pinned);
        } else if (i == 7) {
            assert_int_equal(c.u.setattr.n_xattrs, 2);
            assert_string_equal(c.u.setattr.xattrs[0].value, "v");
            assert_null(c.u.setattr.xattrs[1].value);
        }
        cmd_clear(&c);
    }
}

/* Rename bodies: "to" is required, a string, a valid path, and alone. */
static void test_codec_rename(void **state)
{
    const struct dec_case cases[] = {
        {"{\"to\":\"/x/y/\"}", 0, "/x/y"},
        {"{\"to\":\"/\"}", 0, "/"},
        {"", BN_EINVAL, "a JSON body is required"},
        {"{}", BN_EINVAL, "field 'to': is required"},
        {"{\"to\":null}", BN_EINVAL, "field 'to': must be a string"},
        {"{\"to\":5}", BN_EINVAL, "field 'to': must be a string"},
        {"{\"to\":\"/a\",\"force\":true}", BN_EINVAL, "unknown field 'force'"},
        {"{\"to\":\"a/b\"}", BN_EINVALPATH, "field 'to'"},
        {"{\"to\":\"/a/../b\"}", BN_EINVALPATH, "field 'to'"},
        {"{\"to\":\"/a//b\"}", BN_EINVALPATH, "field 'to'"},
        {"{\"to\":\"/a\",\"to\":\"/b\"}", BN_EINVAL, "duplicate"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char errmsg[BN_ERRMSG_SIZE] = "";
        struct path to;
        int rc;

        memset(&to, 0, sizeof(to));
        rc = codec_decode_rename(cases[i].body, strlen(cases[i].body), 1 << 20,
                                 &to, errmsg);
        if (rc != cases[i].rc) {
            print_error("case %zu %s: rc %d errmsg '%s'\n", i, cases[i].body,
                        rc, errmsg);
        }
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0) {
            assert_string_equal(to.norm, cases[i].msg);
        } else {
            assert_non_null(strstr(errmsg, cases[i].msg));
        }
        path_clear(&to);
    }
}

/* ---- http_req parsers ------------------------------------------------ */

/* Percent-decoding: once, strict about escapes; '+' only in queries. */
static void test_codec_req_decode(void **state)
{
    struct {
        const char *in;
        bool plus;
        long want_len;
        const char *want;
    } cases[] = {
        {"a%20b", false, 3, "a b"},
        {"a+b", false, 3, "a+b"},
        {"a+b", true, 3, "a b"},
        {"%2541", false, 3, "%41"},
        {"%e2%82%AC", false, 3, "\xe2\x82\xac"},
        {"%zz", false, -1, NULL},
        {"%4", false, -1, NULL},
        {"abc%", false, -1, NULL},
        {"", false, 0, ""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[32];
        long n = http_req_decode(cases[i].in, strlen(cases[i].in),
                                 cases[i].plus, out);

        assert_int_equal(n, cases[i].want_len);
        if (n >= 0) {
            assert_memory_equal(out, cases[i].want, (size_t)n);
        }
    }
}

/* Path tails decode per segment: %2F and %00 are refused, not split. */
static void test_codec_req_decode_path(void **state)
{
    struct {
        const char *raw;
        int rc;
        const char *want;
    } cases[] = {
        {"", 0, "/"},
        {"/", 0, "/"},
        {"/a/b%20c/", 0, "/a/b c/"},
        {"/%E2%82%AC", 0, "/\xe2\x82\xac"},
        {"/a%2Fb", BN_EINVALPATH, "encoded '/'"},
        {"/a%2fb", BN_EINVALPATH, "encoded '/'"},
        {"/a%00", BN_EINVALPATH, "NUL"},
        {"/a%zz", BN_EINVALPATH, "bad percent-escape"},
        {"/a/%4", BN_EINVALPATH, "segment 2"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_req *req = http_req_new(1, "/", NULL);
        char errmsg[BN_ERRMSG_SIZE] = "";
        char *out = NULL;
        size_t len = 0;
        int rc = http_req_decode_path(req, cases[i].raw, &out, &len, errmsg);

        assert_int_equal(rc, cases[i].rc);
        if (rc == 0) {
            assert_string_equal(out, cases[i].want);
            assert_int_equal(len, strlen(cases[i].want));
        } else {
            assert_non_null(strstr(errmsg, cases[i].want));
        }
        http_req_free(req);
    }
}

/* Query strings: split on '&', decoded once, flags parsed strictly. */
static void test_codec_req_query(void **state)
{
    struct http_req *req = http_req_new(
        1, "/x?list&limit=10&after=a%2Fb+c&&recursive=0&x=%zz", NULL);
    char errmsg[BN_ERRMSG_SIZE] = "";
    const struct http_query *q;
    bool b = false;

    (void)state;
    assert_string_equal(req->url, "/x");
    assert_int_equal(http_req_parse_query(req, errmsg), BN_EINVAL);
    http_req_free(req);

    req = http_req_new(1, "/x?list&limit=10&after=a%2Fb+c&&recursive=0&f=no",
                       NULL);
    assert_int_equal(http_req_parse_query(req, errmsg), 0);
    assert_int_equal(req->n_query, 5);
    q = http_req_query_get(req, "list");
    assert_non_null(q);
    assert_null(q->value);
    q = http_req_query_get(req, "after");
    assert_string_equal(q->value, "a/b c");
    assert_int_equal(http_req_query_bool(req, "list", false, &b, errmsg), 0);
    assert_true(b);
    assert_int_equal(http_req_query_bool(req, "recursive", true, &b, errmsg),
                     0);
    assert_false(b);
    assert_int_equal(http_req_query_bool(req, "missing", true, &b, errmsg), 0);
    assert_true(b);
    assert_int_equal(http_req_query_bool(req, "f", false, &b, errmsg),
                     BN_EINVAL);
    assert_non_null(strstr(errmsg, "'f'"));
    assert_null(http_req_query_get(req, "nope"));
    http_req_free(req);
}

/* If-Match: "*", one strong "<id>-<version>"; others never match (412)
 * or are malformed (400). */
static void test_codec_req_if_match(void **state)
{
    struct {
        const char *in;
        int rc;
        bool any;
        bn_ino id;
        uint64_t version;
    } cases[] = {
        {"\"17-42\"", 0, false, 17, 42},
        {"  \"1-1\" ", 0, false, 1, 1},
        {"*", 0, true, 0, 0},
        {"W/\"17-42\"", BN_EPRECOND, false, 0, 0},
        {"\"abc\"", BN_EPRECOND, false, 0, 0},
        {"\"17-\"", BN_EPRECOND, false, 0, 0},
        {"\"-42\"", BN_EPRECOND, false, 0, 0},
        {"\"17-42x\"", BN_EPRECOND, false, 0, 0},
        {"\"99999999999999999999999-1\"", BN_EPRECOND, false, 0, 0},
        {"17-42", BN_EINVAL, false, 0, 0},
        {"\"17-42", BN_EINVAL, false, 0, 0},
        {"\"1-1\", \"1-2\"", BN_EINVAL, false, 0, 0},
        {"", BN_EINVAL, false, 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char errmsg[BN_ERRMSG_SIZE] = "";
        bool any = false;
        bn_ino id = 0;
        uint64_t version = 0;
        int rc =
            http_req_parse_if_match(cases[i].in, &any, &id, &version, errmsg);

        if (rc != cases[i].rc) {
            print_error("case %zu '%s': rc %d\n", i, cases[i].in, rc);
        }
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0) {
            assert_int_equal(any, cases[i].any);
            assert_int_equal(id, cases[i].id);
            assert_int_equal(version, cases[i].version);
        }
    }
}

/* Content-Type matching ignores case and parameters, not the charset. */
static void test_codec_req_media(void **state)
{
    struct {
        const char *value;
        const char *type;
        bool want;
    } cases[] = {
        {"application/json", "application/json", true},
        {"Application/JSON", "application/json", true},
        {"application/json; charset=utf-8", "application/json", true},
        {"application/json;charset=\"UTF-8\"", "application/json", true},
        {"application/json; charset=latin1", "application/json", false},
        {"application/jsonx", "application/json", false},
        {"text/plain", "application/json", false},
        {"application/merge-patch+json", "application/json", false},
        {"application/merge-patch+json", "application/merge-patch+json", true},
        {"", "application/json", false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(http_req_media_is(cases[i].value, cases[i].type),
                         cases[i].want);
    }
}

/* The arena hands out aligned blocks, big and small, freed at once. */
static void test_codec_req_arena(void **state)
{
    struct http_req *req = http_req_new(1, "/", NULL);

    (void)state;
    for (size_t n = 1; n < 20000; n = n * 3 + 1) {
        char *p = http_req_alloc(req, n);

        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 'x', n);
    }
    assert_string_equal(http_req_printf(req, "%s-%d", "a", 7), "a-7");
    assert_string_equal(http_req_encode_path(req, "/a b/\xe2\x82\xac%"),
                        "/a%20b/%E2%82%AC%25");
    http_req_body_append(req, "abc", 3, 5);
    http_req_body_append(req, "def", 3, 5);
    assert_int_equal(req->body_len, 3);
    assert_int_equal(req->body_dropped, 3);
    http_req_free(req);
}

/* The writer of the hot answers writes strings exactly as jansson's compact
 * dump does (valid UTF-8), and U+FFFD for bytes that are not UTF-8. */
static void test_codec_jsonw_matches_jansson(void **state)
{
    const char *valid[] = {
        "",
        "plain",
        "a\"b",
        "back\\slash",
        "slash/",
        "\x01\x1f\x7f",
        "\b\f\n\r\t",
        "caf\xc3\xa9",
        "\xe2\x80\xa8 line sep",
        "\xf0\x9f\x8c\xb3 tree",
        "\xef\xbf\xbd",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        struct jsonw w;
        size_t len;
        json_t *j = json_string(valid[i]);
        char *want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        char *got;

        jsonw_init(&w, 1);
        jsonw_str(&w, valid[i]);
        got = jsonw_finish(&w, &len);
        assert_string_equal(got, want);
        assert_int_equal(len, strlen(want));
        free(got);
        free(want);
        json_decref(j);
    }
    struct jsonw w;
    size_t len;
    char *got;

    jsonw_init(&w, 1);
    jsonw_str(&w, "a\xff\xc3(\xed\xa0\x80z"); /* bad byte, cut, surrogate */
    jsonw_raw(&w, ",", 1);
    jsonw_i64(&w, INT64_MIN);
    jsonw_raw(&w, ",", 1);
    jsonw_u64(&w, UINT64_MAX);
    got = jsonw_finish(&w, &len);
    assert_string_equal(got, "\"a\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd"
                             "\xef\xbf\xbd\xef\xbf\xbdz\","
                             "-9223372036854775808,18446744073709551615");
    free(got);
}

/* The mount fields the caller resolved follow the etag, once per inode,
 * and only for the entries of a page that lie under a mount. */
static void test_codec_mount_fields(void **state)
{
    struct inode ino = sample_inode(0);
    struct inode entries[2] = {dir_inode(), dir_inode()};
    struct mount_view mv = {.mount_id = 9,
                            .ufs_path = (char *)"file:///srv/d/b",
                            .persisted = true};
    struct mount_view views[2] = {
        {0},
        {.mount_id = 9, .ufs_path = (char *)"file:///srv/d/c"},
    };
    size_t len = 0;
    char *got;

    (void)state;
    got = codec_inode_to_json(&ino, "/a/b", &mv, &len);
    assert_non_null(strstr(got, "\"etag\":\"\\\"17-42\\\"\",\"mount_id\":9,"
                                "\"ufs_path\":\"file:///srv/d/b\","
                                "\"persisted\":true}"));
    assert_int_equal(len, strlen(got));
    free(got);
    /* mount_id 0 is "not under a mount": no fields. */
    mv.mount_id = 0;
    got = codec_inode_to_json(&ino, "/a/b", &mv, &len);
    assert_null(strstr(got, "mount_id"));
    free(got);

    entries[1].name = (char *)"c";
    got = codec_page_to_json("/d", entries, 2, false, views, &len);
    assert_non_null(strstr(got, "\"path\":\"/d/b\""));
    assert_non_null(strstr(got, "\"mount_id\":9,\"ufs_path\":"
                                "\"file:///srv/d/c\",\"persisted\":false}"));
    /* One entry under the mount: the field appears once. */
    assert_null(strstr(strstr(got, "mount_id") + 1, "mount_id"));
    free(got);
}

/* Mount, mount list and sync documents (codec_mount.c). */
static void test_codec_mount_docs(void **state)
{
    struct mount_info m[2] = {
        {.id = 5,
         .path = (char *)"/data",
         .uri = (char *)"file:///srv",
         .read_only = true,
         .mounted_ms = 1700},
        {.id = 6, .path = (char *)"/x", .uri = (char *)"file:///x"},
    };
    size_t len = 0;
    char *got;

    (void)state;
    got = codec_mount_to_json(&m[0], &len);
    assert_string_equal(got, "{\"id\":5,\"path\":\"/data\",\"ufs\":"
                             "\"file:///srv\",\"read_only\":true,"
                             "\"shared\":false,\"options\":{},"
                             "\"mounted\":1700}");
    free(got);
    got = codec_mounts_to_json(m, 2, &len);
    assert_non_null(strstr(got, "{\"mounts\":[{\"id\":5,"));
    assert_non_null(strstr(got, "},{\"id\":6,\"path\":\"/x\""));
    free(got);
    got = codec_sync_to_json("/data", 1, 2, 3, 4, &len);
    assert_string_equal(got, "{\"path\":\"/data\",\"created\":1,"
                             "\"deleted\":2,\"updated\":3,"
                             "\"directories\":4}");
    assert_int_equal(len, strlen(got));
    free(got);
}

/* The mount body: path parsed, ufs required, read_only a boolean. */
static void test_codec_decode_mount(void **state)
{
    static const struct {
        const char *body;
        int rc;
    } cases[] = {
        {"{\"path\":\"/m\",\"ufs\":\"file:///srv\"}", 0},
        {"{\"path\":\"/m\",\"ufs\":\"file:///srv\",\"read_only\":true}", 0},
        {"{\"path\":\"/m\"}", BN_EINVAL},
        {"{\"ufs\":\"file:///srv\"}", BN_EINVAL},
        {"{\"path\":\"/m\",\"ufs\":\"\"}", BN_EINVAL},
        {"{\"path\":\"/m\",\"ufs\":\"file:///s\",\"read_only\":1}", BN_EINVAL},
        {"{\"path\":\"/m\",\"ufs\":\"file:///s\",\"x\":1}", BN_EINVAL},
        {"{\"path\":\"a/../b\",\"ufs\":\"file:///s\"}", BN_EINVALPATH},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char errmsg[BN_ERRMSG_SIZE] = "";
        struct path p = {0};
        char *ufs = NULL;
        bool ro = false;
        int rc = codec_decode_mount(cases[i].body, strlen(cases[i].body),
                                    1 << 20, &p, &ufs, &ro, errmsg);

        assert_int_equal(rc, cases[i].rc);
        if (rc == 0) {
            assert_string_equal(p.norm, "/m");
            assert_non_null(ufs);
            assert_int_equal(ro, strstr(cases[i].body, "true") != NULL);
        } else {
            assert_true(errmsg[0] != '\0');
        }
        free(ufs);
        path_clear(&p);
    }
}

/* Cluster documents (codec_cluster.c): checksum digits, term first,
 * members, and the names of roles. */
static void test_codec_cluster_docs(void **state)
{
    struct repl_admin_req m = {.op = REPL_ADD, .id = 3, .role = REPL_STANDBY};
    struct repl_admin_req out;
    char errmsg[BN_ERRMSG_SIZE] = "";
    size_t len = 0;
    char *got;

    (void)state;
    got = codec_checksum_to_json(2, 10, 5, 3, 0xabcULL, &len);
    assert_string_equal(got, "{\"node_id\":2,\"applied_index\":10,"
                             "\"inodes\":5,\"directories\":3,"
                             "\"checksum\":\"0000000000000abc\"}");
    free(got);
    got = codec_term_to_json(7, 2, &len);
    assert_string_equal(got, "{\"term\":7,\"node_id\":2}");
    free(got);
    (void)snprintf(m.http, sizeof(m.http), "127.0.0.1:1");
    got = codec_member_to_json(&m, &len);
    assert_string_equal(got, "{\"id\":3,\"http\":\"127.0.0.1:1\","
                             "\"role\":\"standby\"}");
    free(got);
    assert_string_equal(repl_role_name(REPL_LEADER), "leader");
    assert_string_equal(repl_role_name(42), "unavailable");
    assert_string_equal(repl_member_role_name(REPL_SPARE), "spare");
    memset(&out, 0, sizeof(out));
    assert_int_equal(codec_decode_member("{\"role\":\"voter\"}", 16, 1 << 20,
                                         REPL_ASSIGN, &out, errmsg),
                     0);
    assert_int_equal(out.role, REPL_VOTER);
    memset(&out, 0, sizeof(out));
    assert_int_equal(
        codec_decode_member("{\"id\":1}", 8, 1 << 20, REPL_ADD, &out, errmsg),
        BN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_inode_golden),
        cmocka_unit_test(test_codec_jsonw_matches_jansson),
        cmocka_unit_test(test_codec_page),
        cmocka_unit_test(test_codec_mount_fields),
        cmocka_unit_test(test_codec_mount_docs),
        cmocka_unit_test(test_codec_decode_mount),
        cmocka_unit_test(test_codec_cluster_docs),
        cmocka_unit_test(test_codec_problem_reply),
        cmocka_unit_test(test_codec_health),
        cmocka_unit_test(test_codec_create_rejects),
        cmocka_unit_test(test_codec_create_limits),
        cmocka_unit_test(test_codec_create_accepts),
        cmocka_unit_test(test_codec_setattr_rejects),
        cmocka_unit_test(test_codec_setattr_accepts),
        cmocka_unit_test(test_codec_rename),
        cmocka_unit_test(test_codec_req_decode),
        cmocka_unit_test(test_codec_req_decode_path),
        cmocka_unit_test(test_codec_req_query),
        cmocka_unit_test(test_codec_req_if_match),
        cmocka_unit_test(test_codec_req_media),
        cmocka_unit_test(test_codec_req_arena),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
