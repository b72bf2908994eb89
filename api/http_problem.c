/*
 * http_problem: bn_err -> application/problem+json (RFC 9457).
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_problem.h"

#include <stddef.h>

#include "../src/errcode.h"
#include "../src/log.h"
#include "codec.h"

void http_problem_reply(struct http_req *req, int rc, const char *detail)
{
    int status = bn_err_status(rc);
    size_t len = 0;
    char *body;

    if (detail == NULL || detail[0] == '\0') {
        detail = bn_err_text(rc);
    }
    body = codec_problem_to_json(status, bn_err_name(rc), bn_err_text(rc),
                                 detail, req->url, &len);
    http_req_reply(req, status, CODEC_MEDIA_PROBLEM, body, len);
    req->resp.err = rc;
    if (status == 503) {
        /* RFC 9110 §10.2.3: when the client may try again. */
        http_req_add_header(req, "Retry-After", "1");
    }
    if (status >= 500 && status != 503) {
        log_warn("http", "%s %s: %d %s: %s",
                 req->method_name != NULL ? req->method_name : "-",
                 req->url != NULL ? req->url : "-", status, bn_err_name(rc),
                 detail);
    }
}
