/*
 * http_audit: the HTTP side of the audit log (src/audit.h): which answers
 * are mutations, and what their line says.
 *
 * A request is audited when it matched a route and its op's row (op.h)
 * has OP_F_AUDIT, whatever its outcome, a refused request included; its
 * line names the op by the row's name. The user is the X-Banyan-User request
 * header as the client sent it (at most 256 bytes); banyan does not
 * authenticate it, so it is what a trusted proxy in front of banyan, or
 * the client, says.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_HTTP_AUDIT_H
#define BANYAN_API_HTTP_AUDIT_H

#include "http_req.h"

#define HTTP_AUDIT_USER_HEADER "X-Banyan-User"

/* Log the answer of @req when it is a mutation and the audit log is on.
 * @client is the peer address ("127.0.0.1:53422") or NULL; @user the
 * X-Banyan-User header or NULL. Call it once, when the answer is queued.
 * Request thread. */
void http_audit_answered(const struct http_req *req, const char *client,
                         const char *user);

#endif /* BANYAN_API_HTTP_AUDIT_H */
