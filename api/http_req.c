/*
 * http_req: per-request arena, body buffer and the parsers of what a
 * request carries (percent-escapes, query, If-Match, media types).
 *
 * SPDX-License-Identifier: MIT
 */
#include "http_req.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../src/clock.h"
#include "../src/mem.h"

#define ARENA_CHUNK  4096
#define ARENA_ALIGN  16
#define QUERY_MAX    64 /* parameters parsed; the rest are ignored */
#define BODY_INITIAL 1024

struct http_arena_chunk {
    struct http_arena_chunk *next;
    size_t used;
    size_t cap;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct http_req *http_req_new(uint64_t id, const char *uri,
                              const struct http_deps *deps)
{
    struct http_req *req = bn_calloc(1, sizeof(*req));
    const char *q;

    /* RFC 9112 §3.2.2: a server must accept the absolute form
     * "http://host/path"; route on its path. */
    if (strncasecmp(uri, "http://", 7) == 0 ||
        strncasecmp(uri, "https://", 8) == 0) {
        const char *p = strchr(strstr(uri, "//") + 2, '/');

        uri = p != NULL ? p : "/";
    }
    q = strchr(uri, '?');

    req->id = id;
    req->resp.fd = -1;
    req->start_us = bn_clock_mono_us();
    req->deps = deps;
    if (q != NULL) {
        req->url = http_req_strndup(req, uri, (size_t)(q - uri));
        req->query_raw = http_req_strndup(req, q + 1, strlen(q + 1));
    } else {
        req->url = http_req_strndup(req, uri, strlen(uri));
    }
    return req;
}

void http_req_free(struct http_req *req)
{
    struct http_arena_chunk *c;

    if (req == NULL) {
        return;
    }
    while ((c = req->arena) != NULL) {
        req->arena = c->next;
        free(c);
    }
    free(req->body);
    free(req->resp.body);
    if (req->resp.fd >= 0) {
        (void)close(req->resp.fd);
    }
    free(req);
}

void http_req_reply_fd(struct http_req *req, int status, const char *type,
                       int fd, uint64_t size)
{
    http_req_reply(req, status, type, NULL, 0);
    if (req->resp.fd >= 0) {
        (void)close(req->resp.fd);
    }
    req->resp.fd = fd;
    req->resp.fd_size = size;
}

void *http_req_alloc(struct http_req *req, size_t n)
{
    struct http_arena_chunk *c = req->arena;
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    void *p;

    if (need == 0) {
        need = ARENA_ALIGN;
    }
    if (c == NULL || c->cap - c->used < need) {
        size_t cap = need > ARENA_CHUNK / 2 ? need : ARENA_CHUNK;

        c = bn_malloc(sizeof(*c) + cap);
        c->used = 0;
        c->cap = cap;
        if (req->arena != NULL && cap == need) {
            /* A big block gets a chunk of its own, behind the current one,
             * so the space left in the current chunk is not wasted. */
            c->next = req->arena->next;
            req->arena->next = c;
        } else {
            c->next = req->arena;
            req->arena = c;
        }
    }
    p = c->data + c->used;
    c->used += need;
    return p;
}

char *http_req_strndup(struct http_req *req, const char *s, size_t len)
{
    char *p = http_req_alloc(req, len + 1);

    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *http_req_printf(struct http_req *req, const char *fmt, ...)
{
    char buf[BN_ERRMSG_SIZE * 4];
    va_list ap;
    char *p;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return http_req_strndup(req, "", 0);
    }
    if ((size_t)n < sizeof(buf)) {
        return http_req_strndup(req, buf, (size_t)n);
    }
    /* Longer than the stack buffer (a Location that repeats a long URL):
     * formatted again at its full length, never cut. */
    p = http_req_alloc(req, (size_t)n + 1);
    va_start(ap, fmt);
    (void)vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void http_req_body_append(struct http_req *req, const char *data, size_t len,
                          uint64_t max)
{
    if (req->body_dropped > 0 || req->body_len + (uint64_t)len > max) {
        req->body_dropped += len;
        return;
    }
    if (req->body_len + len + 1 > req->body_cap) {
        size_t cap = req->body_cap == 0 ? BODY_INITIAL : req->body_cap;

        while (cap < req->body_len + len + 1) {
            cap *= 2;
        }
        req->body = bn_realloc(req->body, cap);
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, len);
    req->body_len += len;
    req->body[req->body_len] = '\0';
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

long http_req_decode(const char *s, size_t len, bool plus, char *out)
{
    size_t i = 0;
    size_t n = 0;

    while (i < len) {
        unsigned char c = (unsigned char)s[i];

        if (c == '%') {
            int hi;
            int lo;

            if (len - i < 3) {
                return -1;
            }
            hi = hexval((unsigned char)s[i + 1]);
            lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0) {
                return -1;
            }
            out[n++] = (char)(hi << 4 | lo);
            i += 3;
        } else {
            out[n++] = (char)((plus && c == '+') ? ' ' : c);
            i++;
        }
    }
    return (long)n;
}

int http_req_decode_path(struct http_req *req, const char *raw, char **out,
                         size_t *len, char errmsg[BN_ERRMSG_SIZE])
{
    size_t raw_len = strlen(raw);
    char *buf = http_req_alloc(req, raw_len + 2);
    size_t n = 0;
    size_t seg = 0;
    const char *p = raw;

    if (raw_len == 0) {
        buf[n++] = '/';
    }
    while (*p != '\0') {
        const char *end;
        long dn;

        if (*p != '/') {
            /* The router only hands over "" or a tail starting with '/'. */
            bn_errmsg_printf(errmsg, "path must start with '/'");
            return BN_EINVALPATH;
        }
        buf[n++] = '/';
        p++;
        seg++;
        end = strchr(p, '/');
        if (end == NULL) {
            end = p + strlen(p);
        }
        dn = http_req_decode(p, (size_t)(end - p), false, buf + n);
        if (dn < 0) {
            bn_errmsg_printf(errmsg, "segment %zu has a bad percent-escape",
                             seg);
            return BN_EINVALPATH;
        }
        if (memchr(buf + n, '/', (size_t)dn) != NULL) {
            bn_errmsg_printf(errmsg, "segment %zu contains an encoded '/'",
                             seg);
            return BN_EINVALPATH;
        }
        if (memchr(buf + n, '\0', (size_t)dn) != NULL) {
            bn_errmsg_printf(errmsg, "segment %zu contains a NUL byte", seg);
            return BN_EINVALPATH;
        }
        n += (size_t)dn;
        p = end;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~' || c == '/';
}

char *http_req_encode_path(struct http_req *req, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(path);
    char *out = http_req_alloc(req, len * 3 + 1);
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];

        if (unreserved(c)) {
            out[n++] = (char)c;
        } else {
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    out[n] = '\0';
    return out;
}

int http_req_parse_query(struct http_req *req, char errmsg[BN_ERRMSG_SIZE])
{
    const char *p = req->query_raw;
    size_t cap = 0;

    req->n_query = 0;
    if (p == NULL) {
        return 0;
    }
    for (const char *q = p; *q != '\0'; q++) {
        cap += *q == '&';
    }
    cap = cap + 1 > QUERY_MAX ? QUERY_MAX : cap + 1;
    req->query = http_req_alloc(req, cap * sizeof(*req->query));
    while (*p != '\0' && req->n_query < cap) {
        const char *end = strchr(p, '&');
        const char *eq;
        struct http_query *qp;
        size_t klen;
        long dn;

        if (end == NULL) {
            end = p + strlen(p);
        }
        if (end == p) {
            p++;
            continue;
        }
        eq = memchr(p, '=', (size_t)(end - p));
        klen = (size_t)((eq != NULL ? eq : end) - p);
        qp = &req->query[req->n_query];
        qp->key = http_req_alloc(req, klen + 1);
        dn = http_req_decode(p, klen, true, qp->key);
        if (dn < 0 || memchr(qp->key, '\0', (size_t)dn) != NULL) {
            bn_errmsg_printf(errmsg, "query: bad percent-escape in a name");
            return BN_EINVAL;
        }
        qp->key[dn] = '\0';
        qp->value = NULL;
        qp->value_len = 0;
        if (eq != NULL) {
            size_t vlen = (size_t)(end - eq - 1);

            qp->value = http_req_alloc(req, vlen + 1);
            dn = http_req_decode(eq + 1, vlen, true, qp->value);
            if (dn < 0) {
                bn_errmsg_printf(errmsg, "query: bad percent-escape in '%s'",
                                 qp->key);
                return BN_EINVAL;
            }
            qp->value[dn] = '\0';
            qp->value_len = (size_t)dn;
        }
        req->n_query++;
        p = *end == '&' ? end + 1 : end;
    }
    return 0;
}

const struct http_query *http_req_query_get(const struct http_req *req,
                                            const char *key)
{
    for (size_t i = 0; i < req->n_query; i++) {
        if (strcmp(req->query[i].key, key) == 0) {
            return &req->query[i];
        }
    }
    return NULL;
}

int http_req_query_bool(const struct http_req *req, const char *key, bool dflt,
                        bool *out, char errmsg[BN_ERRMSG_SIZE])
{
    const struct http_query *q = http_req_query_get(req, key);

    if (q == NULL) {
        *out = dflt;
        return 0;
    }
    if (q->value == NULL || strcmp(q->value, "") == 0 ||
        strcmp(q->value, "true") == 0 || strcmp(q->value, "1") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(q->value, "false") == 0 || strcmp(q->value, "0") == 0) {
        *out = false;
        return 0;
    }
    bn_errmsg_printf(errmsg, "query parameter '%s' must be true or false", key);
    return BN_EINVAL;
}

int http_req_method_parse(const char *name)
{
#define HTTP_METHOD_CMP(e, v, s)                                               \
    if (strcmp(name, s) == 0) {                                                \
        return e;                                                              \
    }
    HTTP_METHOD_MAP(HTTP_METHOD_CMP)
#undef HTTP_METHOD_CMP
    return HTTP_OTHER;
}

const char *http_req_method_name(int method)
{
    switch (method) {
#define HTTP_METHOD_CASE(e, v, s)                                              \
    case e:                                                                    \
        return s;
        HTTP_METHOD_MAP(HTTP_METHOD_CASE)
#undef HTTP_METHOD_CASE
    default:
        return "other";
    }
}

int http_req_parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0 || len > 20) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned d;

        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return -1;
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

int http_req_parse_if_match(const char *value, bool *any, bn_ino *id,
                            uint64_t *version, char errmsg[BN_ERRMSG_SIZE])
{
    const char *p = value;
    const char *end = value + strlen(value);
    const char *open;
    const char *close;
    const char *dash;
    bool weak = false;

    *any = false;
    while (p < end && is_ows(*p)) {
        p++;
    }
    while (end > p && is_ows(end[-1])) {
        end--;
    }
    if (end - p == 1 && *p == '*') {
        *any = true;
        return 0;
    }
    /* RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE. */
    if (end - p >= 2 && p[0] == 'W' && p[1] == '/') {
        weak = true;
        p += 2;
    }
    open = p;
    if (p >= end || *open != '"') {
        bn_errmsg_printf(errmsg, "If-Match must be \"*\" or a quoted "
                                 "entity tag like \"17-42\"");
        return BN_EINVAL;
    }
    close = memchr(open + 1, '"', (size_t)(end - open - 1));
    if (close == NULL) {
        bn_errmsg_printf(errmsg, "If-Match: unterminated entity tag");
        return BN_EINVAL;
    }
    if (close + 1 != end) {
        bn_errmsg_printf(errmsg, "If-Match: only one entity tag is "
                                 "supported");
        return BN_EINVAL;
    }
    /* RFC 9110 §13.1.1: If-Match uses the strong comparison, so a weak tag
     * or one that is not of our "<id>-<version>" form never matches. */
    dash = memchr(open + 1, '-', (size_t)(close - open - 1));
    if (weak || dash == NULL ||
        http_req_parse_u64(open + 1, (size_t)(dash - open - 1), id) != 0 ||
        http_req_parse_u64(dash + 1, (size_t)(close - dash - 1), version) !=
            0) {
        bn_errmsg_printf(errmsg, "If-Match: entity tag %.*s does not match",
                         (int)(end - value > 200 ? 200 : end - value), value);
        return BN_EPRECOND;
    }
    return 0;
}

bool http_req_media_is(const char *value, const char *type)
{
    size_t tlen = strlen(type);
    const char *p = value;

    while (is_ows(*p)) {
        p++;
    }
    if (strncasecmp(p, type, tlen) != 0) {
        return false;
    }
    p += tlen;
    while (is_ows(*p)) {
        p++;
    }
    if (*p == '\0') {
        return true;
    }
    if (*p != ';') {
        return false;
    }
    /* Parameters: only a charset matters, and JSON is UTF-8 (RFC 8259). */
    while (*p == ';') {
        const char *name;
        const char *val;
        size_t vlen;

        p++;
        while (is_ows(*p)) {
            p++;
        }
        name = p;
        while (*p != '\0' && *p != '=' && *p != ';') {
            p++;
        }
        if (*p != '=') {
            continue;
        }
        val = ++p;
        while (*p != '\0' && *p != ';') {
            p++;
        }
        vlen = (size_t)(p - val);
        while (vlen > 0 && is_ows(val[vlen - 1])) {
            vlen--;
        }
        if (strncasecmp(name, "charset=", 8) == 0) {
            if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
                val++;
                vlen -= 2;
            }
            if (!(vlen == 5 && strncasecmp(val, "utf-8", 5) == 0) &&
                !(vlen == 4 && strncasecmp(val, "utf8", 4) == 0)) {
                return false;
            }
        }
    }
    return true;
}
