/*
 * http_metrics: the /metrics handler and the per-answer observation.
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_metrics.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/clock.h"
#include "../src/metrics.h"
#include "../src/repl.h"
#include "../src/store.h"
#include "http_paths.h"
#include "http_router.h"
#include "http_server.h"

/* The operation of a POST action: the last segment of the URL, as the
 * Alluxio-style actions name them. */
static int post_action_op(const char *url)
{
    static const struct {
        const char *action;
        int op;
    } actions[] = {
        {"rename", METRICS_OP_RENAME},
        {"create-directory", METRICS_OP_MKDIR},
        {"create-file", METRICS_OP_CREATE},
        {"delete", METRICS_OP_DELETE},
        {"set-attribute", METRICS_OP_SETATTR},
        {"get-status", METRICS_OP_STAT},
        {"exists", METRICS_OP_STAT},
        {"list-status", METRICS_OP_LIST},
    };
    const char *slash = strrchr(url, '/');

    if (slash == NULL) {
        return METRICS_OP_OTHER;
    }
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (strcmp(slash + 1, actions[i].action) == 0) {
            return actions[i].op;
        }
    }
    return METRICS_OP_OTHER;
}

int http_metrics_op(const struct http_req *req)
{
    http_handler_fn h;
    bool list = false;
    char errmsg[BN_ERRMSG_SIZE];

    if (req->op != METRICS_OP_OTHER) {
        return req->op;
    }
    h = req->route != NULL ? req->route->handler : NULL;
    if (h == http_paths_get) {
        /* The handler parsed the query; a bad one is a failed stat. */
        if (req->query != NULL &&
            http_req_query_bool(req, "list", false, &list, errmsg) != 0) {
            list = false;
        }
        return list ? METRICS_OP_LIST : METRICS_OP_STAT;
    }
    if (h == http_paths_put) {
        return METRICS_OP_CREATE;
    }
    if (h == http_paths_patch) {
        return METRICS_OP_SETATTR;
    }
    if (h == http_paths_delete) {
        return METRICS_OP_DELETE;
    }
    if (h == http_paths_post) {
        return post_action_op(req->url);
    }
    return METRICS_OP_OTHER;
}

void http_metrics_answered(const struct http_req *req)
{
    int64_t us = bn_clock_mono_us() - req->start_us;

    metrics_http_answer(req->route != NULL ? req->route->pattern : "unmatched",
                        http_req_method_name(req->method), req->resp.status,
                        http_metrics_op(req), us > 0 ? (uint64_t)us : 0);
}

void http_metrics_get(struct http_req *req)
{
    struct metrics_snapshot snap;
    struct repl_info ri;
    struct store_stats ss;
    size_t len = 0;
    char *body;

    memset(&snap, 0, sizeof(snap));
    if (req->deps->repl != NULL) {
        repl_get_info(req->deps->repl, &ri);
        snap.has_raft = true;
        snap.raft_term = ri.term;
        snap.raft_commit_index = ri.commit_index;
        snap.raft_applied_index = ri.applied_index;
        snap.raft_is_leader = ri.role == REPL_LEADER;
        /* Also here, so a change between two refreshes of repl that
         * a scrape sees is not lost. */
        metrics_raft_observe(ri.term, ri.leader_id);
    }
    if (req->deps->st != NULL) {
        store_get_stats(req->deps->st, &ss);
        snap.has_store = true;
        snap.cache_hits = ss.cache_hits;
        snap.cache_misses = ss.cache_misses;
        snap.cache_evictions = ss.cache_evictions;
        snap.cache_bytes = ss.cache_bytes;
        snap.cache_entries = ss.cache_entries;
        snap.store_transactions = ss.commits;
        snap.store_disk_bytes = ss.disk_bytes;
        snap.inodes_directories = ss.dirs;
        snap.inodes_files = ss.inodes - ss.dirs;
    }
    body = metrics_render(&snap, &len);
    http_req_reply(req, 200, METRICS_CONTENT_TYPE, body, len);
}
