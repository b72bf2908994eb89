/*
 * http_paths: the namespace resource, /api/v1/paths{path}.
 *
 * GET|HEAD stat a path or, with ?list, page through a directory; PUT
 * creates, PATCH sets attributes, DELETE removes, and POST .../rename
 * moves. Reads call ns directly on the HTTP thread; writes build one
 * command with every default filled in (apply reads no config), submit it
 * through http_server_submit() and answer when it is applied. Every path
 * is percent-decoded once (http_req_decode_path) and normalised by
 * path_parse() before it reaches the engine.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_HTTP_PATHS_H
#define BANYAN_API_HTTP_PATHS_H

#include "../src/errcode.h"
#include "../src/path.h"
#include "http_req.h"
#include "http_router.h"

#define HTTP_PATHS_PREFIX "/api/v1/paths"

/* Decode and normalise the path in the raw URL tail @raw into @p (free
 * with path_clear()) and set req->target; on failure answer 400
 * invalid_path and return the error. Request thread. */
int http_paths_parse_target(struct http_req *req, const char *raw,
                            struct path *p, char errmsg[BN_ERRMSG_SIZE]);

/* GET|HEAD: status, or a listing page with ?list. Request thread. */
void http_paths_get(struct http_req *req);

/* PUT: create a directory or file. Request thread. */
void http_paths_put(struct http_req *req);

/* PATCH: set attributes (JSON merge patch). Request thread. */
void http_paths_patch(struct http_req *req);

/* DELETE: remove (?recursive=true for a non-empty directory). */
void http_paths_delete(struct http_req *req);

/* POST .../{action}: "rename"; any other action is 404. */
void http_paths_post(struct http_req *req);

/* The routes this resource serves, each naming its op (op.h), in the
 * order the router tries them (http_routes.c lists the resources). */
extern const struct http_route http_paths_routes[];
extern const size_t http_paths_n_routes;

#endif /* BANYAN_API_HTTP_PATHS_H */
