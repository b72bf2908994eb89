/*
 * http_routes: the resources banyan serves, in the order the router tries
 * them (nginx-style: each resource's file keeps its own route table, as a
 * module keeps its directive table; this file only lists the modules).
 *
 * Adding a route to a resource? Add its row to that resource's table (in
 * its http_<resource>.c, naming the op it serves: op.h) and the operation
 * to openapi.yaml; this file changes only for a new resource file. The
 * POST route of /api/v1/paths serves the OP_F_ACTION ops, by the action
 * that ends its path; until its handler has read it, a request to it is
 * OP_OTHER.
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_routes.h"

#include "http_cluster.h"
#include "http_health.h"
#include "http_metrics.h"
#include "http_mounts.h"
#include "http_paths.h"
#include "http_static.h"

/* The static files come last: "/" and its tree match what nothing else
 * does. */
const struct http_route_set http_routes_sets[] = {
    {http_paths_routes, &http_paths_n_routes},
    {http_mounts_routes, &http_mounts_n_routes},
    {http_cluster_routes, &http_cluster_n_routes},
    {http_health_routes, &http_health_n_routes},
    {http_metrics_routes, &http_metrics_n_routes},
    {http_static_routes, &http_static_n_routes},
};

const size_t http_routes_n_sets =
    sizeof(http_routes_sets) / sizeof(http_routes_sets[0]);
