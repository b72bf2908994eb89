/*
 * http_static: the web dashboard's files, served from the directory of the
 * config key web_root.
 *
 * GET|HEAD / answers web_root/index.html; GET|HEAD /web/<file> answers
 * web_root/<file>. The path after /web is percent-decoded once and must
 * follow the namespace's path rules (no "..", ".", "//", %2F or %00:
 * 400 invalid_path); a name that starts with '.', a directory, a file that
 * is not there or a symlink that leads out of web_root is 404 not_found
 * (openat2 with RESOLVE_BENEATH, Linux 5.6 or later). A file is sent from
 * its descriptor with a Content-Type from its extension, a strong ETag and
 * Last-Modified, and Cache-Control: no-cache, so a browser revalidates
 * (If-None-Match answers 304 Not Modified).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_HTTP_STATIC_H
#define BANYAN_API_HTTP_STATIC_H

#include "http_req.h"
#include "http_router.h"

#define HTTP_STATIC_PREFIX "/web" /* URL prefix of the files */

/* GET|HEAD /: the dashboard's index.html. Request thread. */
void http_static_index(struct http_req *req);

/* GET|HEAD /web/<file>: a file of the dashboard. Request thread. */
void http_static_file(struct http_req *req);

/* The Content-Type of a file named @name, from its extension
 * (application/octet-stream when unknown). Returns a static string. Any
 * thread. */
const char *http_static_media_type(const char *name);

/* Log a warning when @web_root is not a directory that can be read (the
 * dashboard is then off: its routes answer 404). Startup thread. */
void http_static_check_root(const char *web_root);

/* The routes this resource serves, each naming its op (op.h), in the
 * order the router tries them (http_routes.c lists the resources). */
extern const struct http_route http_static_routes[];
extern const size_t http_static_n_routes;

#endif /* BANYAN_API_HTTP_STATIC_H */
