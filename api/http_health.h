/*
 * http_health: liveness and readiness probes.
 *
 * GET|HEAD /healthz answers 200 {"status":"ok"} while the process serves
 * HTTP at all. GET|HEAD /readyz answers 200
 * {"status":"ready","role":"leader","applied_index":N} when this node can
 * serve writes (repl_is_ready), else 503 unavailable with Retry-After: 1,
 * so a load balancer sends writes only to a ready node.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_HTTP_HEALTH_H
#define BANYAN_API_HTTP_HEALTH_H

#include "http_req.h"
#include "http_router.h"

/* GET|HEAD /healthz. Request thread. */
void http_health_live(struct http_req *req);

/* GET|HEAD /readyz. Request thread. */
void http_health_ready(struct http_req *req);

/* The routes this resource serves, each naming its op (op.h), in the
 * order the router tries them (http_routes.c lists the resources). */
extern const struct http_route http_health_routes[];
extern const size_t http_health_n_routes;

#endif /* BANYAN_API_HTTP_HEALTH_H */
