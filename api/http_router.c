/*
 * http_router: the route table (nginx-style: data, not code).
 *
 * Adding a route? Add its row here, its handler in the resource's file,
 * and the operation to openapi.yaml.
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_router.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "http_cluster.h"
#include "http_health.h"
#include "http_metrics.h"
#include "http_mounts.h"
#include "http_paths.h"
#include "http_static.h"

#define PATHS_PREFIX "/api/v1/paths"

static const struct http_route routes[] = {
    {HTTP_GET, PATHS_PREFIX, HTTP_R_TREE, http_paths_get},
    {HTTP_HEAD, PATHS_PREFIX, HTTP_R_TREE, http_paths_get},
    {HTTP_PUT, PATHS_PREFIX, HTTP_R_TREE | HTTP_R_BODY, http_paths_put},
    {HTTP_PATCH, PATHS_PREFIX, HTTP_R_TREE | HTTP_R_BODY | HTTP_R_MERGE_PATCH,
     http_paths_patch},
    {HTTP_DELETE, PATHS_PREFIX, HTTP_R_TREE, http_paths_delete},
    {HTTP_POST, PATHS_PREFIX, HTTP_R_TREE | HTTP_R_BODY, http_paths_post},
    {HTTP_GET, HTTP_MOUNTS_PREFIX, 0, http_mounts_list},
    {HTTP_POST, HTTP_MOUNTS_PREFIX, HTTP_R_BODY, http_mounts_add},
    {HTTP_DELETE, HTTP_MOUNTS_PREFIX, HTTP_R_TREE, http_mounts_remove},
    {HTTP_GET, HTTP_CLUSTER_PREFIX, 0, http_cluster_get},
    {HTTP_GET, HTTP_CLUSTER_PREFIX "/self", 0, http_cluster_self},
    {HTTP_GET, HTTP_CLUSTER_PREFIX "/term", 0, http_cluster_term},
    {HTTP_GET, HTTP_CLUSTER_PREFIX "/checksum", 0, http_cluster_checksum},
    {HTTP_GET, HTTP_CLUSTER_PREFIX "/snapshot", 0, http_cluster_snapshot},
    {HTTP_POST, HTTP_CLUSTER_PREFIX "/nodes", HTTP_R_BODY, http_cluster_add},
    {HTTP_PATCH, HTTP_CLUSTER_PREFIX "/nodes", HTTP_R_TREE | HTTP_R_BODY,
     http_cluster_assign},
    {HTTP_DELETE, HTTP_CLUSTER_PREFIX "/nodes", HTTP_R_TREE,
     http_cluster_remove},
    {HTTP_POST, HTTP_CLUSTER_PREFIX "/transfer", HTTP_R_BODY,
     http_cluster_transfer},
    {HTTP_GET, "/healthz", 0, http_health_live},
    {HTTP_HEAD, "/healthz", 0, http_health_live},
    {HTTP_GET, "/readyz", 0, http_health_ready},
    {HTTP_HEAD, "/readyz", 0, http_health_ready},
    {HTTP_GET, "/metrics", 0, http_metrics_get},
    {HTTP_HEAD, "/metrics", 0, http_metrics_get},
    {HTTP_GET, "/", 0, http_static_index},
    {HTTP_HEAD, "/", 0, http_static_index},
    {HTTP_GET, HTTP_STATIC_PREFIX, HTTP_R_TREE, http_static_file},
    {HTTP_HEAD, HTTP_STATIC_PREFIX, HTTP_R_TREE, http_static_file},
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

/* The tail of @url after the pattern of @r, or NULL when it does not
 * match. */
static const char *match(const struct http_route *r, const char *url)
{
    size_t plen = strlen(r->pattern);

    if (strncmp(url, r->pattern, plen) != 0) {
        return NULL;
    }
    if (url[plen] == '\0') {
        return url + plen;
    }
    if ((r->flags & HTTP_R_TREE) != 0 && url[plen] == '/') {
        return url + plen;
    }
    return NULL;
}

int http_router_route(struct http_req *req, char errmsg[BN_ERRMSG_SIZE])
{
    const struct http_route *found = NULL;
    char allow[64] = "";
    size_t n = 0;

    for (size_t i = 0; i < N_ROUTES; i++) {
        const char *rest = match(&routes[i], req->url);

        if (rest == NULL) {
            continue;
        }
        if (routes[i].method == req->method) {
            req->route = &routes[i];
            req->rest = rest;
            return 0;
        }
        if (found == NULL || strcmp(found->pattern, routes[i].pattern) == 0) {
            const char *name = http_req_method_name(routes[i].method);
            int w = snprintf(allow + n, sizeof(allow) - n, "%s%s",
                             n > 0 ? ", " : "", name);

            if (w > 0 && (size_t)w < sizeof(allow) - n) {
                n += (size_t)w;
            }
            found = &routes[i];
        }
    }
    if (found == NULL) {
        bn_errmsg_printf(errmsg, "no resource at %.200s", req->url);
        return BN_ENOTFOUND;
    }
    http_req_add_header(req, "Allow", http_req_strndup(req, allow, n));
    bn_errmsg_printf(errmsg, "%.20s is not allowed on %.180s; allowed: %s",
                     req->method_name != NULL ? req->method_name : "method",
                     req->url, allow);
    return BN_EMETHOD;
}
