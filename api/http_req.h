/*
 * http_req: the state of one HTTP request, independent of libmicrohttpd.
 *
 * A request owns an arena: every temporary a handler makes (decoded path,
 * query values, header copies) comes from it, and everything is released at
 * once when the request completes; handlers never free piece by piece. The
 * response body is one heap buffer that the request owns until the server
 * hands it to the socket. This module also holds the parsers for what a
 * request carries: percent-decoding (done exactly once, here), the query
 * string and If-Match.
 *
 * A request is served by one HTTP thread at a time; its functions are
 * "Request thread": whichever thread serves the request at that moment.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_API_HTTP_REQ_H
#define BANYAN_API_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../src/errcode.h"
#include "../src/inode.h"

#define HTTP_REQ_HDRS_MAX 8 /* response headers a handler may add */

/* The methods banyan serves: X(enum, value, name). The one list of their
 * names: routing, the Allow header and the metric labels read it. Any
 * other method is HTTP_OTHER ("other"). */
#define HTTP_METHOD_MAP(X)                                                     \
    X(HTTP_GET, 1, "GET")                                                      \
    X(HTTP_HEAD, 2, "HEAD")                                                    \
    X(HTTP_PUT, 3, "PUT")                                                      \
    X(HTTP_PATCH, 4, "PATCH")                                                  \
    X(HTTP_DELETE, 5, "DELETE")                                                \
    X(HTTP_POST, 6, "POST")

enum http_method {
    HTTP_OTHER = 0,
#define HTTP_METHOD_ENUM(e, v, name) e = v,
    HTTP_METHOD_MAP(HTTP_METHOD_ENUM)
#undef HTTP_METHOD_ENUM
};

struct config;
struct http_server;
struct http_wait;
struct http_arena_chunk;
struct cmd_result;
struct http_req;

/* Builds the response of a write once its command is applied; takes
 * ownership of @res (free with cmd_result_free()). */
typedef void (*http_done_fn)(struct http_req *req, struct cmd_result *res);

struct http_route;
struct http_route_set;
struct mount_io;
struct mount_table;
struct ns;
struct repl;
struct store;

/* What the handlers reach through req->deps; borrowed, it outlives the
 * server. */
struct http_deps {
    const struct config *cfg; /* borrowed; outlives the server */
    struct ns *ns;
    struct repl *repl;
    struct store *st;
    const char *http; /* this node's HTTP address as the cluster knows it */
    struct mount_table *mounts; /* the mount table (mount.h) */
    struct mount_io *mio;       /* mount I/O of the engine (mount_io.h) */
    /* The route tables, one per resource, in the order tried
     * (http_routes.h). */
    const struct http_route_set *route_sets;
    size_t n_route_sets;
};

struct http_hdr {
    const char *name;  /* borrowed; static or from the arena */
    const char *value; /* borrowed; static or from the arena */
};

/* One decoded query parameter ("?list" has value NULL). */
struct http_query {
    char *key;        /* decoded, NUL-terminated; from the arena */
    char *value;      /* decoded, NUL-terminated, or NULL; from the arena */
    size_t value_len; /* bytes; a decoded value may hold a NUL */
};

/* The response a handler builds. */
struct http_resp {
    int status;       /* 0 until a handler answers */
    const char *type; /* Content-Type; static */
    char *body;       /* owned (free()); NULL for no body */
    size_t len;
    struct http_hdr hdrs[HTTP_REQ_HDRS_MAX];
    size_t n_hdrs;
    int fd;           /* >= 0: the body is this file (owned), not body */
    uint64_t fd_size; /* bytes of fd to send */
    int err;          /* the BN_E* code of a problem answer, 0 otherwise */
};

struct http_req {
    uint64_t id;                  /* the X-Request-Id */
    int64_t start_us;             /* monotonic clock when it arrived */
    const struct http_deps *deps; /* borrowed from the server */
    int method;                   /* enum http_method */
    const char *method_name;      /* as sent; from the arena */
    char *url;                    /* raw path, no query, undecoded; arena */
    char *query_raw;              /* raw query after '?', or NULL; arena */
    struct http_query *query;     /* parsed by http_req_parse_query() */
    size_t n_query;
    const char *content_type; /* header copies, NULL when absent; arena */
    const char *if_none_match;
    const char *if_match;
    const char *idem_key; /* Idempotency-Key */
    bool has_content_length;
    uint64_t content_length;
    bool chunked;                   /* Transfer-Encoding present */
    const struct http_route *route; /* set by the router */
    const char *rest;               /* raw URL after the route's prefix */
    char *body;                     /* request body; owned */
    size_t body_len;
    size_t body_cap;
    uint64_t body_dropped; /* bytes past max_body_bytes, discarded */
    struct http_resp resp;
    /* Handler state kept across a suspended write. */
    http_done_fn done;
    const char *target;    /* normalised request path; arena */
    const char *json_path; /* "path" of the inode in the reply */
    bool list;             /* a read: list rather than stat */
    int64_t sync_ms;       /* a read under a mount: the sync policy
                            * (usync_parse_policy) */
    void *ctx;             /* a handler's state across a wait; arena */
    int op; /* enum op_id: the route's, refined by the handler; metrics
             * and audit read it */
    /* private: the server's */
    struct http_server *srv;
    void *conn; /* the libmicrohttpd connection */
    int stage;
    struct http_wait *wait; /* a submitted write; owned by the server */
    /* private: the arena's */
    struct http_arena_chunk *arena;
};

/* Life cycle */

/* Returns a new request with id @id for raw request target @uri (path and
 * query, undecoded); free with http_req_free(). Any thread. */
struct http_req *http_req_new(uint64_t id, const char *uri,
                              const struct http_deps *deps);

/* Release @req, its arena, its body and any response not sent;
 * http_req_free(NULL) does nothing. Request thread. */
void http_req_free(struct http_req *req);

/* Arena */

/* Returns @n bytes, aligned for any type, valid until the request is
 * freed. Never NULL. Request thread. */
void *http_req_alloc(struct http_req *req, size_t n);

/* Copy @len bytes at @s as a NUL-terminated string in the arena. */
char *http_req_strndup(struct http_req *req, const char *s, size_t len);

/* Format into the arena, at whatever length the result has (the
 * arguments are bounded by the request's own limits). Request thread. */
char *http_req_printf(struct http_req *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Body */

/* Append @len bytes of body. Keeps at most @max bytes; past that it counts
 * the bytes in body_dropped and drops them. Request thread. */
void http_req_body_append(struct http_req *req, const char *data, size_t len,
                          uint64_t max);

/* Parsing (pure helpers, exposed for the handlers and the tests) */

/* Percent-decode @len bytes at @s into @out (room for @len bytes); '+'
 * becomes a space when @plus. Returns the decoded length, or -1 on a bad
 * escape ("%zz", "%4"). Decoded bytes may include NUL. Any thread. */
long http_req_decode(const char *s, size_t len, bool plus, char *out);

/* Decode the raw URL tail @raw ("/a/b%20c/") of a path resource segment by
 * segment, so that an encoded '/' ("%2F") stays inside its segment and is
 * rejected, and return the decoded path with its length in *len (from the
 * arena). Returns 0, or BN_EINVALPATH with the reason in @errmsg (bad
 * escape, %2F, %00). Request thread. */
int http_req_decode_path(struct http_req *req, const char *raw, char **out,
                         size_t *len, char errmsg[BN_ERRMSG_SIZE]);

/* Percent-encode normalised path @path for a URL (Location): every byte
 * but unreserved characters and '/' is escaped. From the arena. */
char *http_req_encode_path(struct http_req *req, const char *path);

/* Split and decode req->query_raw into req->query ('+' is a space).
 * Returns 0 or BN_EINVAL with the reason (bad escape). Request thread. */
int http_req_parse_query(struct http_req *req, char errmsg[BN_ERRMSG_SIZE]);

/* The first query parameter named @key, or NULL. Request thread. */
const struct http_query *http_req_query_get(const struct http_req *req,
                                            const char *key);

/* Parse a boolean query flag: absent is @dflt; present with no value, "",
 * "true" or "1" is true; "false" or "0" is false. Returns 0 or BN_EINVAL
 * naming @key. Request thread. */
int http_req_query_bool(const struct http_req *req, const char *key, bool dflt,
                        bool *out, char errmsg[BN_ERRMSG_SIZE]);

/* Parse If-Match @value: "*" (sets *any), or one strong entity tag
 * "\"<id>-<version>\"". Returns 0; BN_EPRECOND for an entity tag that can
 * never match (weak, or not of our form); BN_EINVAL for a malformed field
 * or a list of several tags. Any thread. */
int http_req_parse_if_match(const char *value, bool *any, bn_ino *id,
                            uint64_t *version, char errmsg[BN_ERRMSG_SIZE]);

/* Whether Content-Type @value is the media type @type ("application/json"),
 * ignoring case, spaces and parameters such as "; charset=utf-8". A
 * charset other than utf-8 does not match. Any thread. */
bool http_req_media_is(const char *value, const char *type);

/* Parse a decimal u64 of 1 to 20 digits with nothing else around it.
 * Returns 0 or -1. Any thread. */
int http_req_parse_u64(const char *s, size_t len, uint64_t *out);

/* The enum http_method of method name @name (case-sensitive, as RFC 9110
 * §9.1 says), HTTP_OTHER when it is none of ours. Any thread. */
int http_req_method_parse(const char *name);

/* The name of enum http_method @method ("GET"), "other" for HTTP_OTHER or
 * a value out of the table. Returns a static string. Any thread. */
const char *http_req_method_name(int method);

/* Response */

/* Add response header @name: @value; both must live until the request is
 * freed (static strings or arena). Drops the header when the table is
 * full, which a handler cannot reach (at most four headers). */
static inline void http_req_add_header(struct http_req *req, const char *name,
                                       const char *value)
{
    if (req->resp.n_hdrs < HTTP_REQ_HDRS_MAX) {
        req->resp.hdrs[req->resp.n_hdrs].name = name;
        req->resp.hdrs[req->resp.n_hdrs].value = value;
        req->resp.n_hdrs++;
    }
}

/* Answer with @status and a body of @len bytes of media type @type
 * (static); takes ownership of @body (free(); NULL for none), replacing any
 * answer set before. */
static inline void http_req_reply(struct http_req *req, int status,
                                  const char *type, char *body, size_t len)
{
    free(req->resp.body);
    req->resp.status = status;
    req->resp.fd_size = 0; /* an fd set before stays owned until freed */
    req->resp.type = type;
    req->resp.body = body;
    req->resp.len = len;
    req->resp.err = 0;
}

/* Answer with @status and the @size bytes of open file @fd (taken: closed
 * once sent or when the request is freed) of media type @type. */
void http_req_reply_fd(struct http_req *req, int status, const char *type,
                       int fd, uint64_t size);

#endif /* BANYAN_API_HTTP_REQ_H */
