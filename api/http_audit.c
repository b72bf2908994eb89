/*
 * http_audit: builds the audit entry of a mutation's answer.
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_audit.h"

#include <string.h>

#include "../src/audit.h"
#include "../src/op.h"

#define USER_MAX 256

void http_audit_answered(const struct http_req *req, const char *client,
                         const char *user)
{
    struct audit_entry e;
    char who[USER_MAX + 1];

    if (!audit_enabled() || req->route == NULL ||
        (op_flags(req->op) & OP_F_AUDIT) == 0) {
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
    e.op = op_name(req->op);
    /* The normalised target once it parsed, else the URL as sent. */
    e.path = req->target != NULL ? req->target : req->url;
    e.to = req->op == OP_RENAME ? req->json_path : NULL;
    e.method = req->method_name;
    e.status = req->resp.status;
    e.error = req->resp.err != 0 ? bn_err_name(req->resp.err) : NULL;
    e.request_id = req->id;
    audit_log(&e);
}
