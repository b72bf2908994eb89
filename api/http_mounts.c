/*
 * http_mounts: handlers of /api/v1/mounts.
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_mounts.h"

#include <stdlib.h>
#include <string.h>

#include "../src/cmd.h"
#include "../src/config.h"
#include "../src/inode.h"
#include "../src/mem.h"
#include "../src/mount.h"
#include "../src/mount_io.h"
#include "../src/op.h"
#include "../src/path.h"
#include "codec.h"
#include "http_paths.h"
#include "http_problem.h"
#include "http_server.h"

void http_mounts_list(struct http_req *req)
{
    struct mount_info *m = NULL;
    size_t n = 0;
    size_t len = 0;
    char *body;

    mount_table_list(req->deps->mounts, &m, &n);
    body = codec_mounts_to_json(m, n, &len);
    mount_infos_free(m, n);
    http_req_reply(req, 200, CODEC_MEDIA_JSON, body, len);
}

static void done_mount(struct http_req *req, struct cmd_result *res)
{
    struct mount_info m = {0};
    size_t len = 0;
    char *body;

    if (res->rc != 0) {
        bn_errmsg_wrapf(res->errmsg, "mount %.200s", req->target);
        http_problem_reply(req, res->rc, res->errmsg);
    } else if (!mount_find(req->deps->mounts, req->target, &m)) {
        bn_errmsg_printf(res->errmsg, "mount %.200s: gone again", req->target);
        http_problem_reply(req, BN_ECONFLICT, res->errmsg);
    } else {
        body = codec_mount_to_json(&m, &len);
        http_req_reply(req, 201, CODEC_MEDIA_JSON, body, len);
        http_req_add_header(
            req, "Location",
            http_req_printf(req, "%s%s", HTTP_MOUNTS_PREFIX,
                            http_req_encode_path(req, req->target)));
        mount_info_clear(&m);
    }
    cmd_result_free(res);
}

void http_mounts_add(struct http_req *req)
{
    const struct config *cfg = req->deps->cfg;
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct path p = {0};
    char *uri = NULL;
    bool read_only = false;
    struct cmd *c = NULL;
    int rc;

    rc = codec_decode_mount(req->body, req->body_len,
                            (size_t)cfg->max_body_bytes, &p, &uri, &read_only,
                            errmsg);
    if (rc != 0) {
        bn_errmsg_wrapf(errmsg, "mount");
        http_problem_reply(req, rc, errmsg);
        return;
    }
    req->target = http_req_strndup(req, p.norm, strlen(p.norm));
    rc = mount_io_prepare_mount(req->deps->mio, p.norm, uri, read_only, &c,
                                errmsg);
    if (rc == BN_ENOTLEADER && http_server_redirect(req)) {
        goto out;
    }
    if (rc == BN_ENOTLEADER) {
        rc = BN_EUNAVAIL;
    }
    if (rc != 0) {
        bn_errmsg_wrapf(errmsg, "mount %.200s", p.norm);
        http_problem_reply(req, rc, errmsg);
        goto out;
    }
    http_server_submit(req, c, done_mount);
out:
    free(uri);
    path_clear(&p);
}

static void done_unmount(struct http_req *req, struct cmd_result *res)
{
    if (res->rc != 0) {
        bn_errmsg_wrapf(res->errmsg, "unmount %.200s", req->target);
        http_problem_reply(req, res->rc, res->errmsg);
    } else {
        http_req_reply(req, 204, NULL, NULL, 0);
    }
    cmd_result_free(res);
}

void http_mounts_remove(struct http_req *req)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct path p = {0};
    struct cmd *c;

    if (http_paths_parse_target(req, req->rest, &p, errmsg) != 0) {
        return;
    }
    /* The leader's table decides (a follower's may lag). */
    if (http_server_redirect(req)) {
        path_clear(&p);
        return;
    }
    if (!mount_find(req->deps->mounts, p.norm, NULL)) {
        bn_errmsg_printf(errmsg, "unmount %.200s: not a mount point", p.norm);
        http_problem_reply(req, BN_ENOTMOUNT, errmsg);
        path_clear(&p);
        return;
    }
    if (strcmp(p.norm, "/") == 0) {
        bn_errmsg_printf(errmsg, "unmount /: the root mount comes from the "
                                 "config ([mounts] root_ufs) and stays");
        http_problem_reply(req, BN_EMOUNT, errmsg);
        path_clear(&p);
        return;
    }
    c = cmd_new(OP_UNMOUNT);
    c->path = bn_strdup(p.norm);
    path_clear(&p);
    http_server_submit(req, c, done_unmount);
}

const struct http_route http_mounts_routes[] = {
    {HTTP_GET, HTTP_MOUNTS_PREFIX, 0, OP_MOUNT_LIST, http_mounts_list},
    {HTTP_POST, HTTP_MOUNTS_PREFIX, HTTP_R_BODY, OP_MOUNT, http_mounts_add},
    {HTTP_DELETE, HTTP_MOUNTS_PREFIX, HTTP_R_TREE, OP_UNMOUNT,
     http_mounts_remove},
};

const size_t http_mounts_n_routes =
    sizeof(http_mounts_routes) / sizeof(http_mounts_routes[0]);
