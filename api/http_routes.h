/*
 * http_routes: the route table of banyan's HTTP surface, one row per
 * {method, pattern}, each naming its operation (op.h) and its handler.
 *
 * main.c hands the table to the server (struct http_deps), which routes
 * by it with http_router_route(): neither the server nor the router
 * includes a handler, and the handlers may call the server.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_HTTP_ROUTES_H
#define BANYAN_API_HTTP_ROUTES_H

#include <stddef.h>

#include "http_router.h"

/* The rows, and how many. Constant: any thread. */
extern const struct http_route http_routes_table[];
extern const size_t http_routes_count;

#endif /* BANYAN_API_HTTP_ROUTES_H */
