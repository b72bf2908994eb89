/*
 * http_audit: builds the audit entry of a mutation's answer.
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_audit.h"

#include <string.h>

#include "../src/audit.h"
#include "../src/metrics.h"
#include "http_metrics.h"

#define USER_MAX 256

static bool is_write(int method)
{
    return method == HTTP_PUT || method == HTTP_PATCH ||
           method == HTTP_DELETE || method == HTTP_POST;
}

void http_audit_answered(const struct http_req *req, const char *client,
                         const char *user)
{
    struct audit_entry e;
    char who[USER_MAX + 1];
    int op;

    if (!audit_enabled() || req->route == NULL || !is_write(req->method)) {
        return;
    }
    op = http_metrics_op(req);
    if (op == METRICS_OP_STAT || op == METRICS_OP_LIST) {
        return;
    }
    memset(&e, 0, sizeof(e));
    if (user != NULL) {
        size_t n = strnlen(user, USER_MAX);

        memcpy(who, user, n);
        who[n] = '\0';
        e.user = who;
    }
    e.client = client;
    e.op = metrics_op_name(op);
    /* The normalised target once it parsed, else the URL as sent. */
    e.path = req->target != NULL ? req->target : req->url;
    e.to = op == METRICS_OP_RENAME ? req->json_path : NULL;
    e.method = req->method_name;
    e.status = req->resp.status;
    e.error = req->resp.err != 0 ? bn_err_name(req->resp.err) : NULL;
    e.request_id = req->id;
    audit_log(&e);
}
