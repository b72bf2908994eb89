/*
 * http_cluster: the cluster resource.
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_cluster.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/config.h"
#include "../src/db.h"
#include "../src/httpc.h"
#include "../src/log.h"
#include "../src/op.h"
#include "../src/repl.h"
#include "../src/store.h"
#include "codec.h"
#include "http_problem.h"
#include "http_server.h"

#define PEER_TIMEOUT_MS                                                        \
    500 /* a node that does not answer the view by then                        \
         * is shown unreachable */
#define MEDIA_SQLITE "application/vnd.sqlite3"

static struct repl *need_repl(struct http_req *req)
{
    if (req->deps->repl == NULL) {
        http_problem_reply(req, BN_EUNAVAIL, "replication is not running");
    }
    return req->deps->repl;
}

/* A query parameter @key as a u64 into *out (absent: *out unchanged,
 * returns 0); BN_EINVAL naming it when it is not one. */
static int query_u64(struct http_req *req, const char *key, uint64_t *out,
                     bool *present, char errmsg[BN_ERRMSG_SIZE])
{
    const struct http_query *q = http_req_query_get(req, key);

    *present = q != NULL;
    if (q != NULL && (q->value == NULL ||
                      http_req_parse_u64(q->value, q->value_len, out) != 0)) {
        bn_errmsg_printf(errmsg, "query parameter '%s' must be a number", key);
        return BN_EINVAL;
    }
    return 0;
}

/* GET /cluster/term, and with ?term=T&lease_ms=M a leader's confirmation
 * round: this node grants it a read lease when it is in term T (repl.h). */
void http_cluster_term(struct http_req *req)
{
    struct repl *r = need_repl(req);
    char errmsg[BN_ERRMSG_SIZE] = "";
    uint64_t term = 0;
    uint64_t lease_ms = 0;
    unsigned granted = 0;
    bool has_term = false;
    bool has_lease = false;
    uint64_t now_term;
    size_t len = 0;
    char *body;
    int rc;

    if (r == NULL) {
        return;
    }
    rc = http_req_parse_query(req, errmsg);
    if (rc == 0) {
        rc = query_u64(req, "term", &term, &has_term, errmsg);
    }
    if (rc == 0) {
        rc = query_u64(req, "lease_ms", &lease_ms, &has_lease, errmsg);
    }
    if (rc != 0) {
        http_problem_reply(req, rc, errmsg);
        return;
    }
    if (!has_term || !has_lease) {
        body = codec_term_to_json(repl_current_term(r), req->deps->cfg->node_id,
                                  &len);
        http_req_reply(req, 200, CODEC_MEDIA_JSON, body, len);
        return;
    }
    now_term = repl_grant_lease(
        r, term, lease_ms > UINT32_MAX ? UINT32_MAX : (unsigned)lease_ms,
        &granted);
    body =
        codec_lease_to_json(now_term, req->deps->cfg->node_id, granted, &len);
    http_req_reply(req, 200, CODEC_MEDIA_JSON, body, len);
}

void http_cluster_self(struct http_req *req)
{
    struct repl *r = need_repl(req);
    struct repl_info *info;
    size_t len = 0;
    char *body;

    if (r == NULL) {
        return;
    }
    info = http_req_alloc(req, sizeof(*info));
    repl_get_info(r, info);
    body = codec_node_self_to_json(info, req->deps->http, &len);
    http_req_reply(req, 200, CODEC_MEDIA_JSON, body, len);
}

void http_cluster_get(struct http_req *req)
{
    struct repl *r = need_repl(req);
    struct repl_info *info;
    const char *urls[REPL_SERVERS_MAX];
    const char *bodies[REPL_SERVERS_MAX] = {0};
    struct httpc_result res[REPL_SERVERS_MAX];
    size_t idx[REPL_SERVERS_MAX];
    size_t n = 0;
    size_t len = 0;
    char *body;

    if (r == NULL) {
        return;
    }
    info = http_req_alloc(req, sizeof(*info));
    repl_get_info(r, info);
    /* Each node reports its own indexes and contact; ask them at once. */
    for (size_t i = 0; i < info->n_servers; i++) {
        if (info->servers[i].id != info->node_id &&
            info->servers[i].http[0] != '\0') {
            urls[n] = http_req_printf(req, "http://%s/api/v1/cluster/self",
                                      info->servers[i].http);
            idx[n++] = i;
        }
    }
    if (n > 0) {
        struct httpc *h = httpc_new();

        httpc_get_many(h, urls, n, PEER_TIMEOUT_MS, NULL, NULL, res);
        httpc_free(h);
        for (size_t k = 0; k < n; k++) {
            if (res[k].status == 200 && res[k].body != NULL) {
                bodies[idx[k]] = res[k].body;
            }
        }
    }
    body = codec_cluster_to_json(info, req->deps->http, bodies, &len);
    for (size_t k = 0; k < n; k++) {
        httpc_result_clear(&res[k]);
    }
    http_req_reply(req, 200, CODEC_MEDIA_JSON, body, len);
}

void http_cluster_checksum(struct http_req *req)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct db_checksum c;
    size_t len = 0;
    char *body;
    int rc;

    rc = store_checksum(req->deps->st, &c, errmsg);
    if (rc != 0) {
        http_problem_reply(req, rc, errmsg);
        return;
    }
    body = codec_checksum_to_json(req->deps->cfg->node_id, c.applied_index,
                                  c.inodes, c.directories, c.sum, &len);
    http_req_reply(req, 200, CODEC_MEDIA_JSON, body, len);
}

/* A consistent copy of the store, written next to it and streamed from an
 * unlinked file, so nothing of it stays behind whatever happens. */
void http_cluster_snapshot(struct http_req *req)
{
    const struct config *cfg = req->deps->cfg;
    char errmsg[BN_ERRMSG_SIZE] = "";
    const struct http_query *q;
    uint64_t min_index = 0;
    uint64_t applied = 0;
    struct stat sb;
    char *path;
    int fd;
    int rc;

    rc = http_req_parse_query(req, errmsg);
    q = rc == 0 ? http_req_query_get(req, "min_index") : NULL;
    if (rc == 0 && q != NULL &&
        (q->value == NULL ||
         http_req_parse_u64(q->value, q->value_len, &min_index) != 0)) {
        bn_errmsg_printf(errmsg, "query parameter 'min_index' must be an "
                                 "index");
        rc = BN_EINVAL;
    }
    if (rc != 0) {
        http_problem_reply(req, rc, errmsg);
        return;
    }
    path = http_req_printf(req, "%s/snapshot-out-%" PRIu64 ".db", cfg->data_dir,
                           req->id);
    rc = store_backup(req->deps->st, path, &applied, errmsg);
    if (rc == 0 && applied < min_index) {
        bn_errmsg_printf(
            errmsg, "this node has applied index %" PRIu64 ", not yet %" PRIu64,
            applied, min_index);
        rc = BN_EUNAVAIL;
    }
    fd = rc == 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (rc == 0 && (fd < 0 || fstat(fd, &sb) != 0)) {
        bn_errmsg_printf(errmsg, "open %s: %s", path, strerror(errno));
        rc = BN_EIO;
    }
    (void)unlink(path);
    if (rc != 0) {
        if (fd >= 0) {
            (void)close(fd);
        }
        http_problem_reply(req, rc, errmsg);
        return;
    }
    log_info("cluster", "sending a snapshot at index %" PRIu64 " (%lld bytes)",
             applied, (long long)sb.st_size);
    http_req_add_header(req, "X-Banyan-Applied-Index",
                        http_req_printf(req, "%" PRIu64, applied));
    http_req_reply_fd(req, 200, MEDIA_SQLITE, fd, (uint64_t)sb.st_size);
}

/* ---- membership ------------------------------------------------------ */

static void done_member(struct http_req *req, struct cmd_result *res)
{
    const struct repl_admin_req *ar = req->ctx;
    size_t len = 0;
    char *body;

    if (res->rc != 0) {
        http_problem_reply(req, res->rc, res->errmsg);
    } else if (ar->op == REPL_REMOVE) {
        http_req_reply(req, 204, NULL, NULL, 0);
    } else {
        body = codec_member_to_json(ar, &len);
        http_req_reply(req, ar->op == REPL_ADD ? 201 : 200, CODEC_MEDIA_JSON,
                       body, len);
    }
    cmd_result_free(res);
}

static void done_transfer(struct http_req *req, struct cmd_result *res)
{
    const struct repl_admin_req *ar = req->ctx;
    uint64_t leader = 0;
    size_t len = 0;
    char *body;

    if (res->rc != 0) {
        http_problem_reply(req, res->rc, res->errmsg);
    } else {
        /* The new leader when this node has heard from it already, else
         * the one asked for (0: raft's pick, not known yet). */
        (void)repl_role(req->deps->repl, &leader, NULL);
        body = codec_term_to_json(repl_current_term(req->deps->repl),
                                  leader != 0 ? leader : ar->id, &len);
        http_req_reply(req, 200, CODEC_MEDIA_JSON, body, len);
    }
    cmd_result_free(res);
}

/* The node id after /nodes/ in the URL, or 0 after answering 404. */
static uint64_t node_id_of(struct http_req *req)
{
    char errmsg[BN_ERRMSG_SIZE];
    const char *s = req->rest;
    uint64_t id = 0;

    if (s[0] == '/') {
        s++;
    }
    if (http_req_parse_u64(s, strlen(s), &id) != 0 || id == 0) {
        bn_errmsg_printf(errmsg,
                         "no node at %.200s: a node is "
                         "/api/v1/cluster/nodes/{id}",
                         req->url);
        http_problem_reply(req, BN_ENOTFOUND, errmsg);
        return 0;
    }
    return id;
}

static void member_op(struct http_req *req, int op, uint64_t id,
                      http_done_fn done)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct repl_admin_req *ar = http_req_alloc(req, sizeof(*ar));
    int rc = 0;

    if (need_repl(req) == NULL) {
        return;
    }
    memset(ar, 0, sizeof(*ar));
    ar->op = op;
    ar->id = id;
    ar->role = REPL_VOTER;
    if (op != REPL_REMOVE) {
        rc = codec_decode_member(req->body, req->body_len,
                                 (size_t)req->deps->cfg->max_body_bytes, op, ar,
                                 errmsg);
    }
    if (rc != 0) {
        http_problem_reply(req, rc, errmsg);
        return;
    }
    if (op == REPL_ASSIGN) {
        ar->id = id;
    }
    req->ctx = ar;
    http_server_admin(req, ar, done);
}

void http_cluster_add(struct http_req *req)
{
    member_op(req, REPL_ADD, 0, done_member);
}

void http_cluster_assign(struct http_req *req)
{
    uint64_t id = node_id_of(req);

    if (id != 0) {
        member_op(req, REPL_ASSIGN, id, done_member);
    }
}

void http_cluster_remove(struct http_req *req)
{
    uint64_t id = node_id_of(req);

    if (id != 0) {
        member_op(req, REPL_REMOVE, id, done_member);
    }
}

void http_cluster_transfer(struct http_req *req)
{
    member_op(req, REPL_TRANSFER, 0, done_transfer);
}

const struct http_route http_cluster_routes[] = {
    {HTTP_GET, HTTP_CLUSTER_PREFIX, 0, OP_CLUSTER_INFO, http_cluster_get},
    {HTTP_GET, HTTP_CLUSTER_PREFIX "/self", 0, OP_CLUSTER_SELF,
     http_cluster_self},
    {HTTP_GET, HTTP_CLUSTER_PREFIX "/term", 0, OP_LEASE, http_cluster_term},
    {HTTP_GET, HTTP_CLUSTER_PREFIX "/checksum", 0, OP_CHECKSUM,
     http_cluster_checksum},
    {HTTP_GET, HTTP_CLUSTER_PREFIX "/snapshot", 0, OP_SNAPSHOT,
     http_cluster_snapshot},
    {HTTP_POST, HTTP_CLUSTER_PREFIX "/nodes", HTTP_R_BODY, OP_NODE_ADD,
     http_cluster_add},
    {HTTP_PATCH, HTTP_CLUSTER_PREFIX "/nodes", HTTP_R_TREE | HTTP_R_BODY,
     OP_NODE_ASSIGN, http_cluster_assign},
    {HTTP_DELETE, HTTP_CLUSTER_PREFIX "/nodes", HTTP_R_TREE, OP_NODE_REMOVE,
     http_cluster_remove},
    {HTTP_POST, HTTP_CLUSTER_PREFIX "/transfer", HTTP_R_BODY, OP_TRANSFER,
     http_cluster_transfer},
};

const size_t http_cluster_n_routes =
    sizeof(http_cluster_routes) / sizeof(http_cluster_routes[0]);
