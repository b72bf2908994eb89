/*
 * http_cluster: handlers of /api/v1/cluster (the cluster view, membership,
 * leadership transfer, the namespace checksum, and what the nodes ask of
 * each other: the term for leadership confirmations and snapshots).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_HTTP_CLUSTER_H
#define BANYAN_API_HTTP_CLUSTER_H

#include "http_req.h"
#include "http_router.h"

#define HTTP_CLUSTER_PREFIX "/api/v1/cluster"

void http_cluster_get(struct http_req *req);      /* GET /cluster */
void http_cluster_self(struct http_req *req);     /* GET /cluster/self */
void http_cluster_term(struct http_req *req);     /* GET /cluster/term */
void http_cluster_checksum(struct http_req *req); /* GET /cluster/checksum */
void http_cluster_snapshot(struct http_req *req); /* GET /cluster/snapshot */
void http_cluster_add(struct http_req *req);      /* POST /cluster/nodes */
void http_cluster_assign(struct http_req *req);   /* PATCH /cluster/nodes/N */
void http_cluster_remove(struct http_req *req);   /* DELETE /cluster/nodes/N */
void http_cluster_transfer(struct http_req *req); /* POST /cluster/transfer */

/* The routes this resource serves, each naming its op (op.h), in the
 * order the router tries them (http_routes.c lists the resources). */
extern const struct http_route http_cluster_routes[];
extern const size_t http_cluster_n_routes;

#endif /* BANYAN_API_HTTP_CLUSTER_H */
