/*
 * http_routes: banyan's route table (nginx-style: data, not code).
 *
 * Adding a route? Add its row here (with the op it serves: op.h), its
 * handler in the resource's file, and the operation to openapi.yaml. The
 * POST route of /api/v1/paths serves the OP_F_ACTION ops, by the action
 * that ends its path; until its handler has read it, a request to it is
 * OP_OTHER.
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_routes.h"

#include "../src/op.h"
#include "http_cluster.h"
#include "http_health.h"
#include "http_metrics.h"
#include "http_mounts.h"
#include "http_paths.h"
#include "http_static.h"

#define PATHS_PREFIX "/api/v1/paths"

const struct http_route http_routes_table[] = {
    {HTTP_GET, PATHS_PREFIX, HTTP_R_TREE, OP_STAT, http_paths_get},
    {HTTP_HEAD, PATHS_PREFIX, HTTP_R_TREE, OP_STAT, http_paths_get},
    {HTTP_PUT, PATHS_PREFIX, HTTP_R_TREE | HTTP_R_BODY, OP_CREATE,
     http_paths_put},
    {HTTP_PATCH, PATHS_PREFIX, HTTP_R_TREE | HTTP_R_BODY | HTTP_R_MERGE_PATCH,
     OP_SETATTR, http_paths_patch},
    {HTTP_DELETE, PATHS_PREFIX, HTTP_R_TREE, OP_DELETE, http_paths_delete},
    {HTTP_POST, PATHS_PREFIX, HTTP_R_TREE | HTTP_R_BODY, OP_OTHER,
     http_paths_post},
    {HTTP_GET, HTTP_MOUNTS_PREFIX, 0, OP_MOUNT_LIST, http_mounts_list},
    {HTTP_POST, HTTP_MOUNTS_PREFIX, HTTP_R_BODY, OP_MOUNT, http_mounts_add},
    {HTTP_DELETE, HTTP_MOUNTS_PREFIX, HTTP_R_TREE, OP_UNMOUNT,
     http_mounts_remove},
    {HTTP_GET, HTTP_CLUSTER_PREFIX, 0, OP_CLUSTER_INFO, http_cluster_get},
    {HTTP_GET, HTTP_CLUSTER_PREFIX "/self", 0, OP_CLUSTER_SELF,
     http_cluster_self},
    {HTTP_GET, HTTP_CLUSTER_PREFIX "/term", 0, OP_LEASE, http_cluster_term},
    {HTTP_GET, HTTP_CLUSTER_PREFIX "/checksum", 0, OP_CHECKSUM,
     http_cluster_checksum},
    {HTTP_GET, HTTP_CLUSTER_PREFIX "/snapshot", 0, OP_SNAPSHOT,
     http_cluster_snapshot},
    {HTTP_POST, HTTP_CLUSTER_PREFIX "/nodes", HTTP_R_BODY, OP_NODE_ADD,
     http_cluster_add},
    {HTTP_PATCH, HTTP_CLUSTER_PREFIX "/nodes", HTTP_R_TREE | HTTP_R_BODY,
     OP_NODE_ASSIGN, http_cluster_assign},
    {HTTP_DELETE, HTTP_CLUSTER_PREFIX "/nodes", HTTP_R_TREE, OP_NODE_REMOVE,
     http_cluster_remove},
    {HTTP_POST, HTTP_CLUSTER_PREFIX "/transfer", HTTP_R_BODY, OP_TRANSFER,
     http_cluster_transfer},
    {HTTP_GET, "/healthz", 0, OP_HEALTH, http_health_live},
    {HTTP_HEAD, "/healthz", 0, OP_HEALTH, http_health_live},
    {HTTP_GET, "/readyz", 0, OP_READY, http_health_ready},
    {HTTP_HEAD, "/readyz", 0, OP_READY, http_health_ready},
    {HTTP_GET, "/metrics", 0, OP_METRICS, http_metrics_get},
    {HTTP_HEAD, "/metrics", 0, OP_METRICS, http_metrics_get},
    {HTTP_GET, "/", 0, OP_WEB, http_static_index},
    {HTTP_HEAD, "/", 0, OP_WEB, http_static_index},
    {HTTP_GET, HTTP_STATIC_PREFIX, HTTP_R_TREE, OP_WEB, http_static_file},
    {HTTP_HEAD, HTTP_STATIC_PREFIX, HTTP_R_TREE, OP_WEB, http_static_file},
};

const size_t http_routes_count =
    sizeof(http_routes_table) / sizeof(http_routes_table[0]);
