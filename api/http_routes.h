/*
 * http_routes: the route tables of banyan's HTTP surface, one per
 * resource (each row {method, pattern} naming its operation, op.h, and
 * its handler, kept in the resource's own file), in the order tried.
 *
 * main.c hands the list to the server (struct http_deps), which routes
 * by it with http_router_route(): neither the server nor the router
 * includes a handler, and the handlers may call the server.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_HTTP_ROUTES_H
#define BANYAN_API_HTTP_ROUTES_H

#include <stddef.h>

#include "http_router.h"

/* The tables, and how many. Constant: any thread. */
extern const struct http_route_set http_routes_sets[];
extern const size_t http_routes_n_sets;

#endif /* BANYAN_API_HTTP_ROUTES_H */
