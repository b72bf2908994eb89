/*
 * http_health: /healthz and /readyz.
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_health.h"

#include <stddef.h>

#include "../src/op.h"
#include "../src/repl.h"
#include "codec.h"
#include "http_problem.h"
#include "http_server.h"

void http_health_live(struct http_req *req)
{
    size_t len = 0;
    char *body = codec_health_to_json("ok", &len);

    http_req_reply(req, 200, CODEC_MEDIA_JSON, body, len);
}

void http_health_ready(struct http_req *req)
{
    struct repl *repl = req->deps->repl;
    struct repl_info info = {0};
    size_t len = 0;
    char *body;

    if (repl != NULL) {
        repl_get_info(repl, &info);
    }
    /* Ready: the leader once it has applied its log; a follower while it
     * knows a leader (it serves stale reads and redirects the rest). */
    if (repl == NULL || !(repl_is_ready(repl) ||
                          (info.role == REPL_FOLLOWER && info.leader_id != 0 &&
                           info.leader_http[0] != '\0'))) {
        const char *why = "this node cannot serve writes yet";

        if (repl != NULL) {
            if (info.role == REPL_FOLLOWER || info.role == REPL_CANDIDATE) {
                why = "no leader is known to this node";
            } else if (info.role == REPL_LEADER) {
                why = "this leader has not applied its log yet";
            }
        }
        http_problem_reply(req, BN_EUNAVAIL, why);
        return;
    }
    body = codec_ready_to_json(repl_role_name(info.role), info.applied_index,
                               &len);
    http_req_reply(req, 200, CODEC_MEDIA_JSON, body, len);
}

const struct http_route http_health_routes[] = {
    {HTTP_GET, "/healthz", 0, OP_HEALTH, http_health_live},
    {HTTP_HEAD, "/healthz", 0, OP_HEALTH, http_health_live},
    {HTTP_GET, "/readyz", 0, OP_READY, http_health_ready},
    {HTTP_HEAD, "/readyz", 0, OP_READY, http_health_ready},
};

const size_t http_health_n_routes =
    sizeof(http_health_routes) / sizeof(http_health_routes[0]);
