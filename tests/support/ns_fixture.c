/*
 * ns_fixture: see ns_fixture.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "ns_fixture.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsm.h"
#include "invariant.h"
#include "mem.h"
#include "path.h"

void fixture_open(struct ns_fixture *fx, uint64_t cache_bytes)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct store_options so;
    char *d;

    memset(fx, 0, sizeof(*fx));
    (void)snprintf(fx->dir, sizeof(fx->dir), "/tmp/banyan-test-XXXXXX");
    d = mkdtemp(fx->dir);
    assert(d != NULL);
    (void)snprintf(fx->db, sizeof(fx->db), "%s/banyan.db", fx->dir);
    so.path = fx->db;
    so.cache_bytes = cache_bytes;
    so.readers = 4;
    if (store_open(&fx->st, &so, errmsg) != 0) {
        bn_panic("fixture: %s", errmsg);
    }
    fx->ns = ns_new(fx->st, 1024);
    assert(fx->ns != NULL);
    fx->index = store_applied(fx->st);
}

void fixture_reopen(struct ns_fixture *fx, uint64_t cache_bytes)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct store_options so;

    ns_free(fx->ns);
    store_close(fx->st);
    so.path = fx->db;
    so.cache_bytes = cache_bytes;
    so.readers = 4;
    if (store_open(&fx->st, &so, errmsg) != 0) {
        bn_panic("fixture: %s", errmsg);
    }
    fx->ns = ns_new(fx->st, 1024);
    assert(fx->ns != NULL);
    fx->index = store_applied(fx->st);
}

void fixture_close(struct ns_fixture *fx)
{
    char cmd[400];

    ns_free(fx->ns);
    store_close(fx->st);
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0) {
        (void)fprintf(stderr, "fixture: could not remove %s\n", fx->dir);
    }
}

struct capture {
    struct cmd_result *res;
};

static void capture_cb(void *arg, uint64_t origin, uint64_t seq,
                       struct cmd_result **results, size_t n)
{
    struct capture *cap = arg;

    (void)origin;
    (void)seq;
    assert(n == 1);
    cap->res = results[0];
    free(results);
}

int fixture_apply(struct ns_fixture *fx, struct cmd *c, int64_t now_ms,
                  struct cmd_result **res)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct cmd_batch_hdr hdr = {7, 1, now_ms, 1};
    const struct cmd *cmds[1] = {c};
    struct capture cap = {NULL};
    struct fsm *f = fsm_new(fx->ns, fx->st, capture_cb, &cap);
    size_t len;
    void *buf = cmd_batch_encode(cmds, 1, &hdr, malloc, &len);
    int rc;

    rc = fsm_apply_batch(f, buf, len, ++fx->index, errmsg);
    if (rc != 0) {
        bn_panic("fixture: apply: %s", errmsg);
    }
    free(buf);
    fsm_free(f);
    cmd_free(c);
    assert(cap.res != NULL);
    rc = cap.res->rc;
    if (res != NULL) {
        *res = cap.res;
    } else {
        cmd_result_free(cap.res);
    }
    return rc;
}

struct cmd *fixture_create(const char *path, int type, bool recursive)
{
    struct cmd *c = cmd_new(OP_CREATE);

    c->u.create.type = type;
    c->path = bn_strdup(path);
    c->u.create.attr.mode = type == INODE_DIR ? 0755 : 0644;
    c->u.create.attr.owner = bn_strdup("alice");
    c->u.create.attr.group = bn_strdup("staff");
    if (recursive) {
        c->flags |= CMD_F_RECURSIVE;
    }
    return c;
}

struct cmd *fixture_rename(const char *from, const char *to)
{
    struct cmd *c = cmd_new(OP_RENAME);

    c->path = bn_strdup(from);
    c->u.rename.to = bn_strdup(to);
    return c;
}

struct cmd *fixture_delete(const char *path, bool recursive)
{
    struct cmd *c = cmd_new(OP_DELETE);

    c->path = bn_strdup(path);
    if (recursive) {
        c->flags |= CMD_F_RECURSIVE;
    }
    return c;
}

int fixture_stat(struct ns_fixture *fx, const char *path, struct inode *out)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct path p;
    int rc = path_parse(path, strlen(path), &p, errmsg);

    if (rc != 0) {
        return rc;
    }
    rc = ns_stat(fx->ns, &p, out, errmsg);
    path_clear(&p);
    return rc;
}

int fixture_setup(void **state)
{
    struct ns_fixture *fx = bn_calloc(1, sizeof(*fx));

    fixture_open(fx, 1 << 20);
    *state = fx;
    return 0;
}

int fixture_teardown(void **state)
{
    struct ns_fixture *fx = *state;
    char errmsg[BN_ERRMSG_SIZE] = "";
    int rc = store_check(fx->st, errmsg);

    if (rc != 0) {
        (void)fprintf(stderr, "fixture: %s\n", errmsg);
    }
    fixture_close(fx);
    free(fx);
    return rc != 0 ? -1 : 0;
}
