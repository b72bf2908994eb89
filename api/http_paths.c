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
#include "../src/mount_io.h"
#include "../src/ns.h"
#include "../src/op.h"
#include "../src/path.h"
#include "../src/usync.h"
#include "codec.h"
#include "http_problem.h"
#include "http_server.h"

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
    struct mount_view mv;
    size_t len = 0;
    char *body;

    mount_io_view(req->deps->mio, ino, path, &mv);
    body = codec_inode_to_json(ino, path, &mv, &len);
    mount_io_view_clear(&mv);
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

/* Gate write @c under a mount (mount_io_prepare_write()): on success
 * *job is NULL (submit @c) or the under-storage work to run first. Returns
 * 0, or answers (a redirect for a follower), frees @c and returns the
 * error. */
static int prepare_write(struct http_req *req, struct cmd *c,
                         struct mount_io_job **job)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    const struct http_query *q;
    const char *wt = NULL;
    int rc;

    /* A malformed query string fails the write only where a write type
     * matters: under a mount. */
    if (http_req_parse_query(req, errmsg) != 0) {
        wt = "";
    } else {
        q = http_req_query_get(req, "write_type");
        if (q != NULL) {
            wt = q->value != NULL ? q->value : "";
        }
    }
    errmsg[0] = '\0';
    rc = mount_io_prepare_write(req->deps->mio, c, wt, job, errmsg);
    if (rc == BN_ENOTLEADER && http_server_redirect(req)) {
        cmd_free(c);
        return rc;
    }
    if (rc == BN_ENOTLEADER) {
        /* Leadership came back between the two looks: retry. */
        rc = BN_EUNAVAIL;
    }
    if (rc != 0) {
        fail(req, rc, op_name(c->op), c->path, errmsg);
        cmd_free(c);
    }
    return rc;
}

/* Submit @c, after the under-storage work @job when there is one. */
static void submit_write(struct http_req *req, struct cmd *c,
                         struct mount_io_job *job, http_done_fn done)
{
    if (job != NULL) {
        http_server_mount_io(req, job, c, done);
    } else {
        http_server_submit(req, c, done);
    }
}

static void done_sync(struct http_req *req, struct cmd_result *res)
{
    struct usync_stats st;
    size_t len = 0;
    char *body;

    if (res->rc != 0) {
        fail(req, res->rc, op_name(OP_SYNC), req->target, res->errmsg);
    } else {
        http_server_mount_io_stats(req, &st);
        body = codec_sync_to_json(req->target, st.created, st.deleted,
                                  st.updated, st.dirs, &len);
        http_req_reply(req, 200, CODEC_MEDIA_JSON, body, len);
    }
    cmd_result_free(res);
}

/* POST .../sync[?recursive=true]: re-read the under storage under the
 * path and apply the differences, on an engine worker. The leader only. */
static void post_sync(struct http_req *req, const char *raw)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct mount_io_job *job = NULL;
    struct path p = {0};
    bool recursive = false;
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
    rc = mount_io_prepare_sync(req->deps->mio, req->target, recursive, &job,
                               errmsg);
    if (rc == BN_ENOTLEADER && http_server_redirect(req)) {
        return;
    }
    if (rc == BN_ENOTLEADER) {
        rc = BN_EUNAVAIL;
    }
    if (rc != 0) {
        fail(req, rc, op_name(OP_SYNC), req->target, errmsg);
        return;
    }
    http_server_mount_io(req, job, NULL, done_sync);
}

/* ---- reads ----------------------------------------------------------- */

static void get_list(struct http_req *req, const struct path *p)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    const struct http_query *q;
    uint64_t limit = NS_LIST_LIMIT_DEFAULT;
    const char *after = NULL;
    struct ns_page page = {0};
    struct mount_view *mv;
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
    mv = mount_io_view_page(req->deps->mio, p->norm, page.entries, page.n);
    body =
        codec_page_to_json(p->norm, page.entries, page.n, page.more, mv, &len);
    mount_io_views_free(mv, page.n);
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

/* The read of req->target after its load or sync from under storage. */
static void done_loaded(struct http_req *req, struct cmd_result *res)
{
    if (res->rc != 0) {
        fail(req, res->rc, op_name(OP_SYNC), req->target, res->errmsg);
    } else {
        serve_read(req);
    }
    cmd_result_free(res);
}

/* A linearizable read, once this node's leadership is confirmed: load or
 * sync req->target from its under storage first when the engine says so
 * (by the request's sync policy). */
static void done_read(struct http_req *req, struct cmd_result *res)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct mount_io_job *job = NULL;
    int rc = res->rc;

    if (rc != 0) {
        fail(req, rc, op_name(req->op), req->target, res->errmsg);
        cmd_result_free(res);
        return;
    }
    cmd_result_free(res);
    rc = mount_io_prepare_read(req->deps->mio, req->target, req->list,
                               req->sync_ms, &job, errmsg);
    if (rc == BN_ENOTLEADER && http_server_redirect(req)) {
        return;
    }
    if (rc == BN_ENOTLEADER) {
        rc = BN_EUNAVAIL;
    }
    if (rc != 0) {
        fail(req, rc, op_name(OP_SYNC), req->target, errmsg);
    } else if (job != NULL) {
        http_server_mount_io(req, job, NULL, done_loaded);
    } else {
        serve_read(req);
    }
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
    loc = http_req_printf(req, "%s%s", HTTP_PATHS_PREFIX,
                          http_req_encode_path(req, req->target));
    reply_inode(req, 201, &res->ino, req->target);
    http_req_add_header(req, "Location", loc);
    cmd_result_free(res);
}

void http_paths_put(struct http_req *req)
{
    const struct config *cfg = req->deps->cfg;
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct mount_io_job *job = NULL;
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
    c->path = bn_strdup(p.norm);
    req->json_path = req->target;
    req->op = c->u.create.type == INODE_DIR ? OP_MKDIR : OP_CREATE;
    path_clear(&p);
    /* The engine fills the defaults and gates writes under a mount. */
    if (prepare_write(req, c, &job) != 0) {
        return;
    }
    submit_write(req, c, job, done_create);
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
    struct mount_io_job *job = NULL;
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
    if (prepare_write(req, c, &job) != 0) {
        return;
    }
    submit_write(req, c, job, done_delete);
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
    struct mount_io_job *job = NULL;
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
    if (prepare_write(req, c, &job) != 0) {
        return;
    }
    submit_write(req, c, job, done_rename);
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

const struct http_route http_paths_routes[] = {
    {HTTP_GET, HTTP_PATHS_PREFIX, HTTP_R_TREE, OP_STAT, http_paths_get},
    {HTTP_HEAD, HTTP_PATHS_PREFIX, HTTP_R_TREE, OP_STAT, http_paths_get},
    {HTTP_PUT, HTTP_PATHS_PREFIX, HTTP_R_TREE | HTTP_R_BODY, OP_CREATE,
     http_paths_put},
    {HTTP_PATCH, HTTP_PATHS_PREFIX,
     HTTP_R_TREE | HTTP_R_BODY | HTTP_R_MERGE_PATCH, OP_SETATTR,
     http_paths_patch},
    {HTTP_DELETE, HTTP_PATHS_PREFIX, HTTP_R_TREE, OP_DELETE, http_paths_delete},
    {HTTP_POST, HTTP_PATHS_PREFIX, HTTP_R_TREE | HTTP_R_BODY, OP_OTHER,
     http_paths_post},
};

const size_t http_paths_n_routes =
    sizeof(http_paths_routes) / sizeof(http_paths_routes[0]);
