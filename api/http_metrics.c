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
#include "../src/op.h"
#include "../src/repl.h"
#include "../src/store.h"
#include "http_router.h"

int http_metrics_op(const struct http_req *req)
{
    return op_metric(req->op);
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

const struct http_route http_metrics_routes[] = {
    {HTTP_GET, "/metrics", 0, OP_METRICS, http_metrics_get},
    {HTTP_HEAD, "/metrics", 0, OP_METRICS, http_metrics_get},
};

const size_t http_metrics_n_routes =
    sizeof(http_metrics_routes) / sizeof(http_metrics_routes[0]);
