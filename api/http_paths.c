/*
 * http_paths: handlers of /api/v1/paths{path} (status, list, create, set
 * attributes, delete, rename).
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_paths.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../src/cmd.h"
#include "../src/config.h"
#include "../src/inode.h"
#include "../src/mem.h"
#include "../src/mount.h"
#include "../src/ns.h"
#include "../src/path.h"
#include "../src/repl.h"
#include "../src/ufs.h"
#include "../src/usync.h"
#include "codec.h"
#include "http_problem.h"
#include "http_server.h"

#define PATHS_PREFIX "/api/v1/paths"

/* Answer with @rc after wrapping @errmsg in "@op @path: ". ns_apply() wraps
 * its messages the same way (with op_name()), so a message that starts
 * with the prefix already is not wrapped twice. */
static void fail(struct http_req *req, int rc, const char *op, const char *path,
                 char errmsg[BN_ERRMSG_SIZE])
{
    char prefix[BN_ERRMSG_SIZE];
    size_t plen = strlen(path);
    int n;

    if (errmsg[0] == '\0') {
        bn_errmsg_printf(errmsg, "%s", bn_err_text(rc));
    }
    /* "/a: no such file or directory" becomes "stat /a: no such ...". */
    if (strncmp(errmsg, path, plen) == 0 && errmsg[plen] == ':' &&
        errmsg[plen + 1] == ' ') {
        memmove(errmsg, errmsg + plen + 2, strlen(errmsg + plen + 2) + 1);
    }
    n = snprintf(prefix, sizeof(prefix), "%s %.200s", op, path);
    if (n > 0 && strncmp(errmsg, prefix, (size_t)n) != 0) {
        bn_errmsg_wrapf(errmsg, "%s", prefix);
    }
    http_problem_reply(req, rc, errmsg);
}

int http_paths_parse_target(struct http_req *req, const char *raw,
                            struct path *p, char errmsg[BN_ERRMSG_SIZE])
{
    char *dec;
    size_t len;
    int rc = http_req_decode_path(req, raw, &dec, &len, errmsg);

    if (rc == 0) {
        rc = path_parse(dec, len, p, errmsg);
    }
    if (rc != 0) {
        bn_errmsg_wrapf(errmsg, "invalid path");
        http_problem_reply(req, BN_EINVALPATH, errmsg);
        return rc;
    }
    req->target = http_req_strndup(req, p->norm, strlen(p->norm));
    return 0;
}

static void set_etag(struct http_req *req, const struct inode *ino)
{
    char etag[48];

    codec_etag(ino, etag);
    http_req_add_header(req, "ETag", http_req_strndup(req, etag, strlen(etag)));
}

/* Answer @status with the status object of @ino at @path and its ETag. */
static void reply_inode(struct http_req *req, int status,
                        const struct inode *ino, const char *path)
{
    size_t len = 0;
    char *body = codec_inode_to_json(ino, path, &len);

    set_etag(req, ino);
    http_req_reply(req, status, CODEC_MEDIA_JSON, body, len);
}

/* Read If-Match into @c. Returns 0, or answers and returns the error. */
static int take_if_match(struct http_req *req, struct cmd *c, const char *op)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    bool any;
    bn_ino id = 0;
    uint64_t version = 0;
    int rc;

    if (req->if_match == NULL) {
        return 0;
    }
    rc = http_req_parse_if_match(req->if_match, &any, &id, &version, errmsg);
    if (rc != 0) {
        fail(req, rc, op, req->target, errmsg);
        return rc;
    }
    /* "*" matches any current representation; a missing target fails on
     * its own with not_found. */
    if (!any) {
        c->flags |= CMD_F_IF_MATCH;
        c->match_id = id;
        c->match_version = version;
    }
    return 0;
}

/* ---- mounts ------------------------------------------------------- */

static void usync_ctx_of(struct http_req *req, struct usync_ctx *ctx)
{
    const struct config *cfg = req->deps->cfg;

    ctx->ns = req->deps->ns;
    ctx->repl = req->deps->repl;
    ctx->mounts = req->deps->mounts;
    ctx->owner = cfg->default_owner != NULL ? cfg->default_owner : "banyan";
    ctx->group = cfg->default_group != NULL ? cfg->default_group : "banyan";
}

/* Load or sync req->target from its under storage before a read, by the
 * request's sync policy. The leader only (after its read is confirmed).
 * Returns 0, or answers and returns the error. */
static int mount_before_read(struct http_req *req)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct usync_ctx ctx;
    struct usync_stats st = {0};
    struct mount_info m = {0};
    struct inode ino = {0};
    struct path p = {0};
    bool sync;
    int rc;

    if (req->deps->mounts == NULL || req->deps->repl == NULL ||
        !mount_resolve(req->deps->mounts, req->target, &m, NULL)) {
        return 0;
    }
    usync_ctx_of(req, &ctx);
    sync = req->sync_ms == 0 ||
           (req->sync_ms > 0 && !usync_recent(req->target, req->sync_ms));
    rc = sync ? 0 : usync_load(&ctx, &m, req->target, errmsg);
    if (rc == 0 && !sync && req->list) {
        /* A directory's first listing (on this leader) loads its
         * children. */
        rc = path_parse(req->target, strlen(req->target), &p, errmsg);
        if (rc == 0 && ns_stat(req->deps->ns, &p, &ino, errmsg) == 0 &&
            ino.type == INODE_DIR && !usync_listed(m.id, req->target)) {
            sync = true;
        }
        errmsg[0] = '\0';
        inode_clear(&ino);
        path_clear(&p);
    }
    if (rc == 0 && sync) {
        rc = usync_path(&ctx, &m, req->target, false, &st, errmsg);
    }
    mount_info_clear(&m);
    if (rc != 0) {
        fail(req, rc, op_name(OP_SYNC), req->target, errmsg);
    }
    return rc;
}

/* The write type of a write under a mount: ?write_type= or the config.
 * Returns 0, or answers and returns the error. */
static int write_type(struct http_req *req, const char *op, bool *through)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    const struct http_query *q;
    const char *v = req->deps->cfg->mount_write_type;
    int rc = http_req_parse_query(req, errmsg);

    q = http_req_query_get(req, "write_type");
    if (rc == 0 && q != NULL) {
        v = q->value != NULL ? q->value : "";
    }
    if (rc == 0 && v != NULL && strcmp(v, "through") != 0 &&
        strcmp(v, "cache_only") != 0) {
        bn_errmsg_printf(errmsg, "query parameter 'write_type' must be "
                                 "through or cache_only");
        rc = BN_EINVAL;
    }
    if (rc != 0) {
        fail(req, rc, op, req->target, errmsg);
        return rc;
    }
    *through = v == NULL || strcmp(v, "through") == 0;
    return 0;
}

/* Whether the subtree at @path holds a mount point (@path included). */
static bool holds_mount(struct http_req *req, const char *path,
                        char errmsg[BN_ERRMSG_SIZE])
{
    struct mount_info *all = NULL;
    size_t n = 0;
    bool found = false;

    mount_table_list(req->deps->mounts, &all, &n);
    for (size_t i = 0; i < n && !found; i++) {
        if (mount_path_covers(path, all[i].path)) {
            bn_errmsg_printf(errmsg,
                             "%.200s is or holds the mount point %.200s; "
                             "unmount it first",
                             path, all[i].path);
            found = true;
        }
    }
    mount_infos_free(all, n);
    return found;
}

/* The inode at @path on this node, or rc. */
static int stat_path(struct http_req *req, const char *path, struct inode *out,
                     char errmsg[BN_ERRMSG_SIZE])
{
    struct path p = {0};
    int rc = path_parse(path, strlen(path), &p, errmsg);

    if (rc == 0) {
        rc = ns_stat(req->deps->ns, &p, out, errmsg);
    }
    path_clear(&p);
    return rc;
}

/* Create the directories of @rel above its last segment in @u (recursive
 * creates), tolerating the ones that exist. */
static int ufs_mkdirs(struct ufs *u, const char *rel,
                      char errmsg[BN_ERRMSG_SIZE])
{
    char *buf = bn_strdup(rel);
    int rc = 0;

    for (char *s = strchr(buf, '/'); s != NULL && rc == 0;
         s = strchr(s + 1, '/')) {
        *s = '\0';
        rc = ufs_mkdir(u, buf, errmsg);
        if (rc == BN_EEXIST) {
            errmsg[0] = '\0';
            rc = 0;
        }
        *s = '/';
    }
    free(buf);
    return rc;
}

/* Load the parent of @path from the under storage when the namespace
 * does not hold it yet. */
static int load_parent(const struct usync_ctx *ctx, const struct mount_info *m,
                       const char *path, char errmsg[BN_ERRMSG_SIZE])
{
    char *parent = bn_strdup(path);
    int rc;

    *strrchr(parent, '/') = '\0';
    rc = usync_load(ctx, m, parent[0] != '\0' ? parent : "/", errmsg);
    free(parent);
    return rc;
}

/* Gate a write of command @c under a mount: redirect a follower, refuse a
 * read-only mount or a cross-mount rename or a write over a mount point,
 * and (write_type through) make the change in the under storage first.
 * Returns 0 to submit @c, or answers, frees @c and returns the error. */
static int mount_before_write(struct http_req *req, struct cmd *c)
{
    const char *op = op_name(c->op);
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct mount_info m = {0};
    struct mount_info m2 = {0};
    struct usync_ctx ctx;
    struct inode ino = {0};
    struct ufs *u = NULL;
    char *rel = NULL;
    char *rel2 = NULL;
    bool in = false;
    bool in2 = false;
    bool through = true;
    int rc = 0;

    if (req->deps->mounts == NULL) {
        return 0;
    }
    in = mount_resolve(req->deps->mounts, c->path, &m, &rel);
    if (c->op == OP_RENAME) {
        in2 = mount_resolve(req->deps->mounts, c->u.rename.to, &m2, &rel2);
    }
    if ((c->op == OP_DELETE || c->op == OP_RENAME) &&
        holds_mount(req, c->path, errmsg)) {
        rc = BN_EMOUNT;
    } else if (c->op == OP_RENAME && (in != in2 || (in && m.id != m2.id))) {
        bn_errmsg_printf(errmsg,
                         "%.200s and %.200s are not under the same mount; "
                         "a rename cannot move between mounts",
                         c->path, c->u.rename.to);
        rc = BN_ECROSSMOUNT;
    }
    if (rc != 0 || !in || c->op == OP_SETATTR) {
        goto out;
    }
    if (http_server_redirect(req)) {
        rc = BN_ENOTLEADER; /* answered */
        goto answered;
    }
    if (m.read_only) {
        bn_errmsg_printf(errmsg, "the mount at %.200s (%.200s) is read-only",
                         m.path, m.uri);
        rc = BN_EREADONLY;
        goto out;
    }
    rc = write_type(req, op, &through);
    if (rc != 0) {
        goto answered;
    }
    if (!through) {
        if (c->op == OP_CREATE) {
            struct op_attr *a = &c->u.create.attr;
            struct xattr *x =
                bn_realloc(a->xattrs, (a->n_xattrs + 1) * sizeof(*a->xattrs));

            a->xattrs = x;
            x[a->n_xattrs].key = bn_strdup(USYNC_CACHE_ONLY_XATTR);
            x[a->n_xattrs].value = bn_strdup("true");
            a->n_xattrs++;
            c->flags |= CMD_F_XATTRS;
        }
        goto out;
    }
    /* What the namespace does not know yet comes from the under storage
     * first, so both sides agree before the change. */
    usync_ctx_of(req, &ctx);
    if (c->op == OP_CREATE) {
        rc = load_parent(&ctx, &m, c->path, errmsg);
    } else {
        rc = usync_load(&ctx, &m, c->path, errmsg);
    }
    if (rc == 0 && c->op == OP_RENAME) {
        rc = load_parent(&ctx, &m, c->u.rename.to, errmsg);
    }
    if (rc != 0) {
        goto out;
    }
    rc = stat_path(req, c->path, &ino, errmsg);
    if (c->op == OP_CREATE) {
        if (rc == 0) {
            bn_errmsg_printf(errmsg, "%.200s already exists", c->path);
            rc = BN_EEXIST;
            goto out;
        }
        errmsg[0] = '\0';
        rc = 0;
    } else if (rc != 0) {
        goto out; /* not found: the namespace answers the same */
    }
    if (rel[0] == '\0' && c->op != OP_CREATE) {
        goto out; /* the mount point itself: refused above */
    }
    if (c->op != OP_CREATE &&
        inode_xattr_get(&ino, USYNC_CACHE_ONLY_XATTR) != NULL) {
        goto out; /* never persisted: nothing in the under storage */
    }
    rc = ufs_open(m.uri, &u, errmsg);
    if (rc != 0) {
        rc = BN_EUFS;
        goto out;
    }
    switch (c->op) {
    case OP_CREATE:
        if ((c->flags & CMD_F_RECURSIVE) != 0) {
            rc = ufs_mkdirs(u, rel, errmsg);
        }
        if (rc == 0) {
            rc = c->u.create.type == INODE_DIR ? ufs_mkdir(u, rel, errmsg)
                                               : ufs_create(u, rel, errmsg);
        }
        break;
    case OP_DELETE:
        rc = ufs_remove(u, rel, (c->flags & CMD_F_RECURSIVE) != 0, errmsg);
        if (rc == BN_ENOTFOUND) {
            errmsg[0] = '\0';
            rc = 0; /* gone from the under storage already */
        }
        break;
    case OP_RENAME:
        rc = ufs_rename(u, rel, rel2, errmsg);
        break;
    default:
        break;
    }
out:
    if (rc != 0) {
        fail(req, rc, op, c->path, errmsg);
    }
answered:
    if (rc != 0) {
        cmd_free(c);
    }
    ufs_close(u);
    inode_clear(&ino);
    free(rel);
    free(rel2);
    mount_info_clear(&m);
    mount_info_clear(&m2);
    return rc;
}

/* POST .../sync[?recursive=true]: re-read the under storage under the
 * path and apply the differences. The leader only. */
static void post_sync(struct http_req *req, const char *raw)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct usync_stats st = {0};
    struct usync_ctx ctx;
    struct mount_info m = {0};
    struct path p = {0};
    bool recursive = false;
    size_t len = 0;
    char *body;
    int rc;

    if (http_paths_parse_target(req, raw, &p, errmsg) != 0) {
        return;
    }
    path_clear(&p);
    rc = http_req_parse_query(req, errmsg);
    if (rc == 0) {
        rc = http_req_query_bool(req, "recursive", false, &recursive, errmsg);
    }
    if (rc != 0) {
        fail(req, rc, op_name(OP_SYNC), req->target, errmsg);
        return;
    }
    /* The leader's mount table decides (a follower's may lag). */
    if (http_server_redirect(req)) {
        return;
    }
    if (!mount_resolve(req->deps->mounts, req->target, &m, NULL)) {
        bn_errmsg_printf(errmsg, "%.200s is not under a mount", req->target);
        fail(req, BN_ENOTMOUNT, op_name(OP_SYNC), req->target, errmsg);
    } else {
        usync_ctx_of(req, &ctx);
        rc = usync_path(&ctx, &m, req->target, recursive, &st, errmsg);
        if (rc != 0) {
            fail(req, rc, op_name(OP_SYNC), req->target, errmsg);
        } else {
            body = codec_sync_to_json(req->target, &st, &len);
            http_req_reply(req, 200, CODEC_MEDIA_JSON, body, len);
        }
    }
    mount_info_clear(&m);
}

/* ---- reads ----------------------------------------------------------- */

static void get_list(struct http_req *req, const struct path *p)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    const struct http_query *q;
    uint64_t limit = NS_LIST_LIMIT_DEFAULT;
    const char *after = NULL;
    struct ns_page page = {0};
    size_t len = 0;
    char *body;
    int rc;

    q = http_req_query_get(req, "limit");
    if (q != NULL && (q->value == NULL ||
                      http_req_parse_u64(q->value, q->value_len, &limit) != 0 ||
                      limit < 1 || limit > NS_LIST_LIMIT_MAX)) {
        bn_errmsg_printf(errmsg,
                         "query parameter 'limit' must be an "
                         "integer from 1 to %d",
                         NS_LIST_LIMIT_MAX);
        fail(req, BN_EINVAL, op_name(OP_LIST), p->norm, errmsg);
        return;
    }
    q = http_req_query_get(req, "after");
    if (q != NULL && q->value != NULL) {
        if (memchr(q->value, '\0', q->value_len) != NULL) {
            bn_errmsg_printf(errmsg, "query parameter 'after' holds a NUL");
            fail(req, BN_EINVAL, op_name(OP_LIST), p->norm, errmsg);
            return;
        }
        after = q->value;
    }
    rc = ns_list(req->deps->ns, p, after, (size_t)limit, &page, errmsg);
    if (rc != 0) {
        ns_page_clear(&page);
        fail(req, rc, op_name(OP_LIST), p->norm, errmsg);
        return;
    }
    body = codec_page_to_json(p->norm, &page, &len);
    ns_page_clear(&page);
    http_req_reply(req, 200, CODEC_MEDIA_JSON, body, len);
}

/* Serve the read of req->target from this node's state. */
static void serve_read(struct http_req *req)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct path p = {0};
    struct inode ino = {0};
    int rc;

    rc = path_parse(req->target, strlen(req->target), &p, errmsg);
    if (rc != 0) {
        fail(req, rc, op_name(OP_STAT), req->target, errmsg);
        return;
    }
    if (req->list) {
        get_list(req, &p);
        path_clear(&p);
        return;
    }
    rc = ns_stat(req->deps->ns, &p, &ino, errmsg);
    if (rc != 0) {
        fail(req, rc, op_name(OP_STAT), p.norm, errmsg);
    } else {
        reply_inode(req, 200, &ino, p.norm);
        inode_clear(&ino);
    }
    path_clear(&p);
}

/* A linearizable read, once this node's leadership is confirmed. */
static void done_read(struct http_req *req, struct cmd_result *res)
{
    if (res->rc != 0) {
        fail(req, res->rc, op_name(req->op), req->target, res->errmsg);
    } else if (mount_before_read(req) == 0) {
        serve_read(req);
    }
    cmd_result_free(res);
}

void http_paths_get(struct http_req *req)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct path p = {0};
    const struct http_query *q;
    bool stale = false;
    int rc;

    if (http_paths_parse_target(req, req->rest, &p, errmsg) != 0) {
        return;
    }
    path_clear(&p);
    rc = http_req_parse_query(req, errmsg);
    if (rc == 0) {
        rc = http_req_query_bool(req, "list", false, &req->list, errmsg);
    }
    if (req->list) {
        req->op = OP_LIST;
    }
    q = http_req_query_get(req, "consistency");
    if (rc == 0 && q != NULL) {
        if (q->value != NULL && strcmp(q->value, "stale") == 0) {
            stale = true;
        } else if (q->value == NULL || strcmp(q->value, "linearizable") != 0) {
            bn_errmsg_printf(errmsg, "query parameter 'consistency' must be "
                                     "linearizable or stale");
            rc = BN_EINVAL;
        }
    }
    q = http_req_query_get(req, "sync");
    if (rc == 0) {
        rc = usync_parse_policy(
            q != NULL && q->value != NULL
                ? q->value
                : (q != NULL ? "" : req->deps->cfg->mount_sync),
            &req->sync_ms, errmsg);
    }
    if (rc != 0) {
        fail(req, rc, op_name(req->op), req->target, errmsg);
        return;
    }
    if (stale) {
        /* This node's own state, whatever its role: cheap, and maybe
         * behind the leader. */
        serve_read(req);
        return;
    }
    http_server_read(req, done_read);
}

/* ---- writes ---------------------------------------------------------- */

/* Answer a failed write, or return false when @res succeeded. Frees @res
 * when it answers. */
static bool done_failed(struct http_req *req, struct cmd_result *res,
                        const char *op, const char *what)
{
    if (res->rc != 0) {
        fail(req, res->rc, op, what, res->errmsg);
        cmd_result_free(res);
        return true;
    }
    return false;
}

/* The successful write carried no inode: the engine broke its contract. */
static void done_no_inode(struct http_req *req, struct cmd_result *res,
                          const char *op)
{
    char errmsg[BN_ERRMSG_SIZE];

    bn_errmsg_printf(errmsg, "the applied command returned no inode");
    fail(req, BN_EINTERNAL, op, req->target, errmsg);
    cmd_result_free(res);
}

static void done_create(struct http_req *req, struct cmd_result *res)
{
    char *loc;

    if (done_failed(req, res, op_name(OP_CREATE), req->target)) {
        return;
    }
    if (!res->has_ino) {
        done_no_inode(req, res, op_name(OP_CREATE));
        return;
    }
    loc = http_req_printf(req, "%s%s", PATHS_PREFIX,
                          http_req_encode_path(req, req->target));
    reply_inode(req, 201, &res->ino, req->target);
    http_req_add_header(req, "Location", loc);
    cmd_result_free(res);
}

void http_paths_put(struct http_req *req)
{
    const struct config *cfg = req->deps->cfg;
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct path p = {0};
    struct cmd *c;
    bool recursive = false;
    int rc;

    if (http_paths_parse_target(req, req->rest, &p, errmsg) != 0) {
        return;
    }
    c = cmd_new(OP_CREATE);
    rc = http_req_parse_query(req, errmsg);
    if (rc == 0) {
        rc = http_req_query_bool(req, "recursive", false, &recursive, errmsg);
    }
    if (rc == 0) {
        rc = codec_decode_create(req->body, req->body_len,
                                 (size_t)cfg->max_body_bytes, c, errmsg);
    }
    if (rc == 0 && p.n == 0) {
        bn_errmsg_printf(errmsg, "the root always exists");
        rc = BN_EEXIST;
    }
    if (rc != 0) {
        fail(req, rc, op_name(OP_CREATE), p.norm, errmsg);
        cmd_free(c);
        path_clear(&p);
        return;
    }
    if (recursive) {
        c->flags |= CMD_F_RECURSIVE;
    }
    /* Fill every default here: apply reads no config. */
    if ((c->flags & CMD_F_MODE) == 0) {
        c->u.create.attr.mode = c->u.create.type == INODE_DIR ? 0755 : 0644;
    }
    if ((c->flags & CMD_F_OWNER) == 0) {
        c->u.create.attr.owner = bn_strdup(
            cfg->default_owner != NULL ? cfg->default_owner : "banyan");
    }
    if ((c->flags & CMD_F_GROUP) == 0) {
        c->u.create.attr.group = bn_strdup(
            cfg->default_group != NULL ? cfg->default_group : "banyan");
    }
    c->flags |= CMD_F_MODE | CMD_F_OWNER | CMD_F_GROUP;
    if (c->u.create.type == INODE_FILE) {
        c->flags |= CMD_F_SIZE | CMD_F_BLOCK_SIZE;
    }
    c->path = bn_strdup(p.norm);
    req->json_path = req->target;
    req->op = c->u.create.type == INODE_DIR ? OP_MKDIR : OP_CREATE;
    path_clear(&p);
    if (mount_before_write(req, c) != 0) {
        return;
    }
    http_server_submit(req, c, done_create);
}

static void done_setattr(struct http_req *req, struct cmd_result *res)
{
    if (done_failed(req, res, op_name(OP_SETATTR), req->target)) {
        return;
    }
    if (!res->has_ino) {
        done_no_inode(req, res, op_name(OP_SETATTR));
        return;
    }
    reply_inode(req, 200, &res->ino, req->target);
    cmd_result_free(res);
}

void http_paths_patch(struct http_req *req)
{
    const struct config *cfg = req->deps->cfg;
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct path p = {0};
    struct cmd *c;
    int rc;

    if (http_paths_parse_target(req, req->rest, &p, errmsg) != 0) {
        return;
    }
    c = cmd_new(OP_SETATTR);
    rc = codec_decode_setattr(req->body, req->body_len,
                              (size_t)cfg->max_body_bytes, c, errmsg);
    if (rc != 0) {
        fail(req, rc, op_name(OP_SETATTR), p.norm, errmsg);
        goto err;
    }
    if (take_if_match(req, c, op_name(OP_SETATTR)) != 0) {
        goto err;
    }
    c->path = bn_strdup(p.norm);
    path_clear(&p);
    http_server_submit(req, c, done_setattr);
    return;
err:
    cmd_free(c);
    path_clear(&p);
}

static void done_delete(struct http_req *req, struct cmd_result *res)
{
    if (done_failed(req, res, op_name(OP_DELETE), req->target)) {
        return;
    }
    http_req_reply(req, 204, NULL, NULL, 0);
    cmd_result_free(res);
}

void http_paths_delete(struct http_req *req)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct path p = {0};
    struct cmd *c;
    bool recursive = false;
    int rc;

    if (http_paths_parse_target(req, req->rest, &p, errmsg) != 0) {
        return;
    }
    c = cmd_new(OP_DELETE);
    rc = http_req_parse_query(req, errmsg);
    if (rc == 0) {
        rc = http_req_query_bool(req, "recursive", false, &recursive, errmsg);
    }
    if (rc == 0 && p.n == 0) {
        bn_errmsg_printf(errmsg, "the root cannot be deleted");
        rc = BN_EINVAL;
    }
    if (rc != 0) {
        fail(req, rc, op_name(OP_DELETE), p.norm, errmsg);
        goto err;
    }
    if (take_if_match(req, c, op_name(OP_DELETE)) != 0) {
        goto err;
    }
    if (recursive) {
        c->flags |= CMD_F_RECURSIVE;
    }
    c->path = bn_strdup(p.norm);
    path_clear(&p);
    if (mount_before_write(req, c) != 0) {
        return;
    }
    http_server_submit(req, c, done_delete);
    return;
err:
    cmd_free(c);
    path_clear(&p);
}

static void done_rename(struct http_req *req, struct cmd_result *res)
{
    if (done_failed(req, res, op_name(OP_RENAME), req->target)) {
        return;
    }
    if (!res->has_ino) {
        done_no_inode(req, res, op_name(OP_RENAME));
        return;
    }
    reply_inode(req, 200, &res->ino, req->json_path);
    cmd_result_free(res);
}

static void post_rename(struct http_req *req, const char *raw_src)
{
    const struct config *cfg = req->deps->cfg;
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct path src = {0};
    struct path to = {0};
    struct cmd *c;
    int rc;

    if (http_paths_parse_target(req, raw_src, &src, errmsg) != 0) {
        return;
    }
    c = cmd_new(OP_RENAME);
    rc = codec_decode_rename(req->body, req->body_len,
                             (size_t)cfg->max_body_bytes, &to, errmsg);
    if (rc == 0 && src.n == 0) {
        bn_errmsg_printf(errmsg, "the root cannot be renamed");
        rc = BN_EINVAL;
    }
    if (rc == 0 && src.n < to.n && path_is_prefix(&src, &to)) {
        bn_errmsg_printf(errmsg,
                         "the destination %.200s is inside the "
                         "source",
                         to.norm);
        rc = BN_EINVAL;
    }
    if (rc != 0) {
        fail(req, rc, op_name(OP_RENAME), src.norm, errmsg);
        goto err;
    }
    if (take_if_match(req, c, op_name(OP_RENAME)) != 0) {
        goto err;
    }
    c->path = bn_strdup(src.norm);
    c->u.rename.to = bn_strdup(to.norm);
    req->json_path = http_req_strndup(req, to.norm, strlen(to.norm));
    path_clear(&src);
    path_clear(&to);
    if (mount_before_write(req, c) != 0) {
        return;
    }
    http_server_submit(req, c, done_rename);
    return;
err:
    cmd_free(c);
    path_clear(&src);
    path_clear(&to);
}

void http_paths_post(struct http_req *req)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    const char *slash = strrchr(req->rest, '/');
    const char *raw_action = slash != NULL ? slash + 1 : "";
    size_t alen = strlen(raw_action);
    char *action = http_req_alloc(req, alen + 1);
    long n = http_req_decode(raw_action, alen, false, action);
    char *raw_src;
    int op;

    if (n < 0) {
        bn_errmsg_printf(errmsg, "bad percent-escape in the action");
        http_problem_reply(req, BN_EINVALPATH, errmsg);
        return;
    }
    action[n] = '\0';
    op = slash != NULL && strlen(action) == (size_t)n ? op_from_action(action)
                                                      : OP_OTHER;
    if (op == OP_OTHER) {
        if (slash == NULL || n == 0) {
            bn_errmsg_printf(errmsg, "POST needs an action: "
                                     "/api/v1/paths/{path}/rename or "
                                     ".../sync");
        } else {
            bn_errmsg_printf(errmsg, "unknown action '%.64s'", action);
        }
        http_problem_reply(req, BN_ENOTFOUND, errmsg);
        return;
    }
    req->op = op;
    raw_src = http_req_strndup(req, req->rest, (size_t)(slash - req->rest));
    switch (op) {
    case OP_SYNC:
        post_sync(req, raw_src);
        break;
    case OP_RENAME:
        post_rename(req, raw_src);
        break;
    default:
        bn_errmsg_printf(errmsg, "action '%.64s' has no handler", action);
        http_problem_reply(req, BN_EINTERNAL, errmsg);
        break;
    }
}
