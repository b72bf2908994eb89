/*
 * http_problem: turn a bn_err code into an RFC 9457 problem response.
 *
 * The status, the stable code and the title come from the BN_ERR_MAP table
 * in errcode.h; the detail is the wrapped errmsg of the failing layer
 * ("stat /a/b: no such file or directory"). The body is
 * application/problem+json:
 *   {"type":"urn:banyan:problem:<code>","title":...,"status":...,
 *    "code":"<code>","detail":...,"instance":"<request path>"}
 * 503 answers (unavailable, busy) carry Retry-After: 1.
 *
 * This module depends only on codec and errcode (test_codec links it
 * without the server).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_HTTP_PROBLEM_H
#define BANYAN_API_HTTP_PROBLEM_H

#include "http_req.h"

#define HTTP_PROBLEM_TYPE_PREFIX "urn:banyan:problem:"

/* Answer @req with the problem for @rc (a BN_E* code), replacing any answer
 * set before. @detail is copied; NULL or "" uses the code's text. Request
 * thread. */
void http_problem_reply(struct http_req *req, int rc, const char *detail);

#endif /* BANYAN_API_HTTP_PROBLEM_H */
