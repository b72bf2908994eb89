/*
 * repl_members: the node directory (node id -> HTTP and raft addresses:
 * the initial members, then the replicated node table) and membership
 * operations (add, assign a role, remove, transfer the leadership).
 *
 * The directory is read by any thread under mu; membership operations are
 * queued by repl_admin() and run on the loop thread.
 *
 * SPDX-License-Identifier: MIT
 */
#include "repl_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "log.h"
#include "mem.h"
#include "store.h"

/* ---- the node directory (any thread, under mu) -------------------------- */

static void dir_put_locked(struct repl *r, uint64_t id, const char *http,
                           const char *raft)
{
    struct config_member *m = NULL;

    for (size_t i = 0; i < r->n_nodes; i++) {
        if (r->nodes[i].id == id) {
            m = &r->nodes[i];
        }
    }
    if (m == NULL) {
        r->nodes = bn_realloc(r->nodes, (r->n_nodes + 1) * sizeof(*r->nodes));
        m = &r->nodes[r->n_nodes++];
    }
    memset(m, 0, sizeof(*m));
    m->id = id;
    (void)snprintf(m->http, sizeof(m->http), "%s", http);
    (void)snprintf(m->raft, sizeof(m->raft), "%s", raft);
}

static void dir_load_one(void *arg, uint64_t id, const char *http,
                         const char *raft)
{
    dir_put_locked(arg, id, http, raft);
}

/* The initial members, then the node table (loop thread, or startup). */
void repl__dir_reload(struct repl *r)
{
    char errmsg[BN_ERRMSG_SIZE] = "";

    pthread_mutex_lock(&r->mu);
    r->n_nodes = 0;
    for (size_t i = 0; i < r->o.n_members; i++) {
        dir_put_locked(r, r->o.members[i].id, r->o.members[i].http,
                       r->o.members[i].raft);
    }
    dir_put_locked(r, r->o.node_id, r->o.http, r->o.raft_listen);
    if (store_node_each(r->st, dir_load_one, r, errmsg) != 0) {
        log_warn("repl", "node table: %s", errmsg);
    }
    pthread_mutex_unlock(&r->mu);
}

/* fsm hook: a node's addresses changed (id 0: reload them all). */
void repl__on_node(void *arg, uint64_t id, const char *http, const char *raft)
{
    struct repl *r = arg;

    if (id == 0) {
        repl__dir_reload(r);
        return;
    }
    if (http != NULL) {
        pthread_mutex_lock(&r->mu);
        dir_put_locked(r, id, http, raft);
        pthread_mutex_unlock(&r->mu);
    }
}

bool repl__dir_http_locked(struct repl *r, uint64_t id,
                           char out[CONFIG_ADDR_MAX + 1])
{
    for (size_t i = 0; i < r->n_nodes; i++) {
        if (r->nodes[i].id == id) {
            (void)snprintf(out, CONFIG_ADDR_MAX + 1, "%s", r->nodes[i].http);
            return out[0] != '\0';
        }
    }
    out[0] = '\0';
    return false;
}

/* fsm hook: download a checkpoint of the store at @index or later, from
 * the node that took the snapshot, else from any other node. Loop
 * thread (it blocks the loop: this node is far behind and follows). */
int repl__fetch_snapshot(void *arg, uint64_t index, uint64_t origin,
                         const char *origin_http, const char *path,
                         char errmsg[BN_ERRMSG_SIZE])
{
    struct repl *r = arg;
    char cand[REPL_SERVERS_MAX + 1][CONFIG_ADDR_MAX + 1];
    size_t n = 0;
    int rc = BN_EUNAVAIL;

    (void)origin;
    if (origin_http != NULL && origin_http[0] != '\0') {
        (void)snprintf(cand[n++], sizeof(cand[0]), "%s", origin_http);
    }
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->n_nodes && n < (size_t)REPL_SERVERS_MAX + 1;
         i++) {
        if (r->nodes[i].id != r->o.node_id && r->nodes[i].http[0] != '\0') {
            (void)snprintf(cand[n++], sizeof(cand[0]), "%s", r->nodes[i].http);
        }
    }
    pthread_mutex_unlock(&r->mu);
    bn_errmsg_printf(errmsg, "no peer to fetch a snapshot from");
    for (size_t i = 0; i < n && rc != 0; i++) {
        char url[CONFIG_ADDR_MAX + 96];
        uint64_t bytes = 0;

        (void)snprintf(url, sizeof(url),
                       "http://%s/api/v1/cluster/snapshot?min_index=%llu",
                       cand[i], (unsigned long long)index);
        rc =
            httpc_download(url, path, r->o.snapshot_timeout_ms, &bytes, errmsg);
        if (rc == 0) {
            log_info("repl", "fetched a checkpoint of %llu bytes from %s",
                     (unsigned long long)bytes, cand[i]);
        } else {
            log_warn("repl", "snapshot from %s: %s", cand[i], errmsg);
        }
    }
    return rc;
}

/* ---- addresses of a new leader (loop thread) --------------------------- */

static void addresses_done(void *arg, struct cmd_result *res)
{
    (void)arg;
    if (res->rc != 0) {
        log_warn("repl", "recording node addresses: %s", res->errmsg);
    }
    cmd_result_free(res);
}

/* A new leader puts the addresses it knows from its config (the initial
 * members and itself) into the replicated node table, so that nodes that
 * join later without a members list learn them too. */
void repl__record_addresses(struct repl *r)
{
    struct config_member *m;
    size_t n;

    pthread_mutex_lock(&r->mu);
    n = r->n_nodes;
    m = bn_calloc(n > 0 ? n : 1, sizeof(*m));
    memcpy(m, r->nodes, n * sizeof(*m));
    pthread_mutex_unlock(&r->mu);
    for (size_t i = 0; i < n; i++) {
        struct cmd *c;

        if (m[i].http[0] == '\0' || m[i].raft[0] == '\0') {
            continue;
        }
        c = cmd_new(OP_NODE_PUT);
        c->u.node_put.node_id = m[i].id;
        c->u.node_put.http = bn_strdup(m[i].http);
        c->u.node_put.raft = bn_strdup(m[i].raft);
        (void)repl_submit(r, c, addresses_done, r);
    }
    free(m);
}

/* ---- membership (loop thread) ------------------------------------------- */

static void admin_answer(struct admin *a, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void admin_answer(struct admin *a, int rc, const char *fmt, ...)
{
    struct cmd_result *res = cmd_result_new();
    va_list ap;

    res->rc = rc;
    if (fmt != NULL) {
        va_start(ap, fmt);
        (void)vsnprintf(res->errmsg, sizeof(res->errmsg), fmt, ap);
        va_end(ap);
    }
    a->cb(a->arg, res);
    free(a);
}

/* A raft error of a membership call as a banyan code. */
static int map_raft(int rv)
{
    switch (rv) {
    case RAFT_NOTLEADER:
    case RAFT_LEADERSHIPLOST:
    case RAFT_NOCONNECTION:
        return BN_EUNAVAIL;
    case RAFT_CANTCHANGE:
        return BN_ECONFLICT;
    case RAFT_DUPLICATEID:
    case RAFT_DUPLICATEADDRESS:
        return BN_EEXIST;
    case RAFT_BADID:
    case RAFT_NOTFOUND:
        return BN_ENOTFOUND;
    case RAFT_BADROLE:
        return BN_EINVAL;
    default:
        return BN_EINTERNAL;
    }
}

static int raft_role_of(int role)
{
    return role == REPL_VOTER     ? RAFT_VOTER
           : role == REPL_STANDBY ? RAFT_STANDBY
                                  : RAFT_SPARE;
}

static const char *role_name(int role)
{
    return role == REPL_VOTER     ? "voter"
           : role == REPL_STANDBY ? "standby"
                                  : "spare";
}

static void change_done(struct raft_change *req, int status)
{
    struct admin *a = req->data;

    if (status != 0) {
        admin_answer(a, map_raft(status), "node %llu: %s",
                     (unsigned long long)a->req.id, raft_strerror(status));
        return;
    }
    admin_answer(a, 0, NULL);
}

static void add_done(struct raft_change *req, int status)
{
    struct admin *a = req->data;
    struct repl *r = a->r;
    int rv;

    if (status != 0 || a->req.role == REPL_SPARE) {
        change_done(req, status);
        return;
    }
    /* Added as a spare; now the role asked for (a voter catches up with
     * the log first: raft promotes it once it is close enough). */
    a->change.data = a;
    rv = raft_assign(&r->raft, &a->change, a->req.id, raft_role_of(a->req.role),
                     change_done);
    if (rv != 0) {
        admin_answer(a, map_raft(rv), "assign node %llu the role %s: %s",
                     (unsigned long long)a->req.id, role_name(a->req.role),
                     raft_strerror(rv));
    }
}

/* The new node's addresses are in the replicated state: add it. */
static void add_addresses_done(void *arg, struct cmd_result *res)
{
    struct admin *a = arg;
    struct repl *r = a->r;
    int rv;

    if (res->rc != 0) {
        admin_answer(a, res->rc, "node %llu: %s", (unsigned long long)a->req.id,
                     res->errmsg);
        cmd_result_free(res);
        return;
    }
    cmd_result_free(res);
    a->change.data = a;
    rv = raft_add(&r->raft, &a->change, a->req.id, a->req.raft, add_done);
    if (rv != 0) {
        admin_answer(a, map_raft(rv), "add node %llu: %s",
                     (unsigned long long)a->req.id, raft_strerror(rv));
    }
}

static void remove_addresses_done(void *arg, struct cmd_result *res)
{
    struct admin *a = arg;

    cmd_result_free(res); /* the node is out of the configuration already */
    admin_answer(a, 0, NULL);
}

static void remove_done(struct raft_change *req, int status)
{
    struct admin *a = req->data;
    struct cmd *c;

    if (status != 0) {
        change_done(req, status);
        return;
    }
    c = cmd_new(OP_NODE_DEL);
    c->u.node_del.node_id = a->req.id;
    if (repl_submit(a->r, c, remove_addresses_done, a) != 0) {
        admin_answer(a, 0, NULL); /* no longer the leader: removed anyway */
    }
}

static void transfer_done(struct raft_transfer *req)
{
    struct admin *a = req->data;
    struct repl *r = a->r;

    r->transfer_req = NULL;
    repl__lease_resume(&r->lease);
    if (raft_state(&r->raft) == RAFT_LEADER) {
        admin_answer(a, BN_EUNAVAIL,
                     "the leadership transfer did not complete; this node "
                     "still leads");
        return;
    }
    admin_answer(a, 0, NULL);
}

static bool in_configuration(struct repl *r, uint64_t id)
{
    const struct raft_configuration *conf = &r->raft.configuration;

    for (unsigned i = 0; i < conf->n; i++) {
        if (conf->servers[i].id == id) {
            return true;
        }
    }
    return false;
}

static void admin_start(struct repl *r, struct admin *a)
{
    struct cmd *c;
    int rv = 0;

    a->r = r;
    if (raft_state(&r->raft) != RAFT_LEADER || r->closing) {
        admin_answer(a, BN_EUNAVAIL, "this node is not the leader");
        return;
    }
    a->change.data = a;
    switch (a->req.op) {
    case REPL_ADD:
        if (in_configuration(r, a->req.id)) {
            admin_answer(a, BN_EEXIST, "node %llu is a member already",
                         (unsigned long long)a->req.id);
            return;
        }
        c = cmd_new(OP_NODE_PUT);
        c->u.node_put.node_id = a->req.id;
        c->u.node_put.http = bn_strdup(a->req.http);
        c->u.node_put.raft = bn_strdup(a->req.raft);
        if (repl_submit(r, c, add_addresses_done, a) != 0) {
            admin_answer(a, BN_EUNAVAIL, "this node is not the leader");
        }
        return;
    case REPL_ASSIGN:
        if (!in_configuration(r, a->req.id)) {
            admin_answer(a, BN_ENOTFOUND, "node %llu is not a member",
                         (unsigned long long)a->req.id);
            return;
        }
        rv = raft_assign(&r->raft, &a->change, a->req.id,
                         raft_role_of(a->req.role), change_done);
        break;
    case REPL_REMOVE:
        if (!in_configuration(r, a->req.id)) {
            admin_answer(a, BN_ENOTFOUND, "node %llu is not a member",
                         (unsigned long long)a->req.id);
            return;
        }
        rv = raft_remove(&r->raft, &a->change, a->req.id, remove_done);
        break;
    case REPL_TRANSFER:
        if (a->req.id == r->o.node_id) {
            admin_answer(a, 0, NULL); /* it leads already */
            return;
        }
        if (a->req.id != 0 && !in_configuration(r, a->req.id)) {
            admin_answer(a, BN_ENOTFOUND, "node %llu is not a member",
                         (unsigned long long)a->req.id);
            return;
        }
        if (r->transfer_req != NULL) {
            admin_answer(a, BN_ECONFLICT, "a transfer is in progress");
            return;
        }
        a->transfer.data = a;
        /* No more lease reads here: the new leader will not wait for the
         * lease to run out. */
        repl__lease_suspend(&r->lease);
        rv = raft_transfer(&r->raft, &a->transfer, a->req.id, transfer_done);
        if (rv == 0) {
            r->transfer_req = a;
        } else {
            repl__lease_resume(&r->lease);
        }
        break;
    default:
        admin_answer(a, BN_EINVAL, "unknown membership operation");
        return;
    }
    if (rv != 0) {
        admin_answer(a, map_raft(rv), "node %llu: %s",
                     (unsigned long long)a->req.id, raft_strerror(rv));
    }
}

void repl__admin_drain(struct repl *r)
{
    struct admin *a;

    pthread_mutex_lock(&r->mu);
    a = r->admin_head;
    r->admin_head = NULL;
    pthread_mutex_unlock(&r->mu);
    while (a != NULL) {
        struct admin *next = a->next;

        admin_start(r, a);
        a = next;
    }
}

/* ---- public ------------------------------------------------------------- */

int repl_admin(struct repl *r, const struct repl_admin_req *req,
               repl_done_cb cb, void *arg)
{
    struct admin *a;

    pthread_mutex_lock(&r->mu);
    if (r->stopping || r->info.role != REPL_LEADER) {
        pthread_mutex_unlock(&r->mu);
        return BN_EUNAVAIL;
    }
    a = bn_calloc(1, sizeof(*a));
    a->req = *req;
    a->cb = cb;
    a->arg = arg;
    a->next = r->admin_head;
    r->admin_head = a;
    pthread_mutex_unlock(&r->mu);
    uv_async_send(&r->async);
    return 0;
}

bool repl_node_http(struct repl *r, uint64_t id, char out[CONFIG_ADDR_MAX + 1])
{
    bool ok;

    pthread_mutex_lock(&r->mu);
    ok = repl__dir_http_locked(r, id, out);
    pthread_mutex_unlock(&r->mu);
    return ok;
}
