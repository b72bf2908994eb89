/*
 * http_router: matching a request against a route table (see
 * http_routes.c for banyan's list).
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_router.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

int http_router_route(struct http_req *req, const struct http_route_set *sets,
                      size_t n_sets, char errmsg[BN_ERRMSG_SIZE])
{
    const struct http_route *found = NULL;
    char allow[64] = "";
    size_t n = 0;

    for (size_t s = 0; s < n_sets; s++) {
        const struct http_route *routes = sets[s].routes;

        for (size_t i = 0; i < *sets[s].n; i++) {
            const char *rest = match(&routes[i], req->url);

            if (rest == NULL) {
                continue;
            }
            if (routes[i].method == req->method) {
                req->route = &routes[i];
                req->rest = rest;
                req->op = routes[i].op;
                return 0;
            }
            if (found == NULL ||
                strcmp(found->pattern, routes[i].pattern) == 0) {
                const char *name = http_req_method_name(routes[i].method);
                int w = snprintf(allow + n, sizeof(allow) - n, "%s%s",
                                 n > 0 ? ", " : "", name);

                if (w > 0 && (size_t)w < sizeof(allow) - n) {
                    n += (size_t)w;
                }
                found = &routes[i];
            }
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
