/*
 * http_router: routing a request by a table of routes, {method, pattern,
 * flags, op, handler} (each resource's file keeps its table; http_routes.c
 * lists them, so that the router, and the server that calls it, know no
 * handler).
 *
 * A pattern is either exact ("/healthz") or a prefix that owns a subtree
 * (HTTP_R_TREE: "/api/v1/paths" matches itself and "/api/v1/paths/..."),
 * and is matched against the raw URL path before any percent-decoding; the
 * handler decodes its tail (req->rest). The router holds no logic beyond
 * matching: a URL that no pattern matches is 404, a pattern that matches
 * with another method is 405 with an Allow list built from the table.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_HTTP_ROUTER_H
#define BANYAN_API_HTTP_ROUTER_H

#include "../src/errcode.h"
#include "http_req.h"

/* Route flags. */
#define HTTP_R_TREE        1u /* the pattern is a prefix owning a subtree */
#define HTTP_R_BODY        2u /* takes a JSON body (Content-Type checked) */
#define HTTP_R_MERGE_PATCH 4u /* also takes application/merge-patch+json */

/* A handler either answers (req->resp.status != 0) or submits a write
 * with http_server_submit(). Request thread. */
typedef void (*http_handler_fn)(struct http_req *req);

struct http_route {
    int method;          /* enum http_method */
    const char *pattern; /* raw URL path or prefix */
    unsigned flags;      /* HTTP_R_* */
    int op; /* enum op_id (op.h): what a request to it is, until its
             * handler knows better (a PUT of a directory is OP_MKDIR, a
             * POST names its action) */
    http_handler_fn handler;
};

/* One resource's routes: a table and its length (a pointer, as the
 * length is a constant of another file). */
struct http_route_set {
    const struct http_route *routes;
    const size_t *n;
};

/* Route @req by req->method and req->url among the routes of the @n
 * @sets, tried in order: sets req->route, req->rest and req->op (the
 * route's) and returns 0; or returns BN_ENOTFOUND, or BN_EMETHOD after
 * adding an Allow header to the response, with the reason in @errmsg.
 * Request thread. */
int http_router_route(struct http_req *req, const struct http_route_set *sets,
                      size_t n, char errmsg[BN_ERRMSG_SIZE]);

#endif /* BANYAN_API_HTTP_ROUTER_H */
