/*
 * http_mounts: the mount table resource, /api/v1/mounts.
 *
 * GET lists this node's copy of the mount table; POST mounts (on the
 * leader, which checks the under-storage URI and the rules, then proposes
 * OP_MOUNT); DELETE /api/v1/mounts/{path} unmounts (OP_UNMOUNT: the
 * inodes under the mount go, the under storage keeps its files).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_HTTP_MOUNTS_H
#define BANYAN_API_HTTP_MOUNTS_H

#include "http_req.h"
#include "http_router.h"

#define HTTP_MOUNTS_PREFIX "/api/v1/mounts"

/* GET: {"mounts": [...]}. Request thread. */
void http_mounts_list(struct http_req *req);

/* POST: mount {"path","ufs","read_only"}; 201 with the mount. */
void http_mounts_add(struct http_req *req);

/* DELETE /api/v1/mounts/{path}: unmount; 204. */
void http_mounts_remove(struct http_req *req);

/* The routes this resource serves, each naming its op (op.h), in the
 * order the router tries them (http_routes.c lists the resources). */
extern const struct http_route http_mounts_routes[];
extern const size_t http_mounts_n_routes;

#endif /* BANYAN_API_HTTP_MOUNTS_H */
