/*
 * http_metrics: GET /metrics, and the observation of every HTTP answer
 * (banyan_http_requests_total and banyan_operation_duration_seconds).
 *
 * The exposition is rendered by src/metrics.c; this file gathers what the
 * other modules know at scrape time (repl_get_info(), store_get_stats())
 * and labels a request by its op's row (op.h).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_HTTP_METRICS_H
#define BANYAN_API_HTTP_METRICS_H

#include "http_req.h"
#include "http_router.h"

/* GET|HEAD /metrics: the Prometheus text exposition. Request thread. */
void http_metrics_get(struct http_req *req);

/* The latency label of @req (enum op_metric, op.h): its op's row says (req->op:
 * its route's, refined by its handler). Request thread. */
int http_metrics_op(const struct http_req *req);

/* Count the answer of @req (its route, method, status and latency); call
 * it once, when the answer is queued. Request thread. */
void http_metrics_answered(const struct http_req *req);

/* The routes this resource serves, each naming its op (op.h), in the
 * order the router tries them (http_routes.c lists the resources). */
extern const struct http_route http_metrics_routes[];
extern const size_t http_metrics_n_routes;

#endif /* BANYAN_API_HTTP_METRICS_H */
