/*
 * cmd: the replicated operations and their binary format (see cmd.h).
 *
 * Each command after the batch header is {u32 body length, body}; the body
 * is op u8, type u8, flags u32, path str, to str, mode u32, owner str,
 * group str, size u64, block_size u64, mtime i64, ttl i64, ttl_action u8,
 * pinned u8, match_id u64, match_version u64, n_xattrs u32, then n_xattrs
 * (key str, value str). A str is u32 (length + 1) then the bytes, 0 for
 * NULL. Little endian throughout.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

#include "invariant.h"
#include "mem.h"
#include "path.h"

struct cmd *cmd_new(int op)
{
    struct cmd *c = bn_calloc(1, sizeof(*c));
    c->op = op;
    c->ttl_ms = -1;
    return c;
}

void cmd_clear(struct cmd *c)
{
    free(c->path);
    free(c->to);
    free(c->owner);
    free(c->group);
    for (size_t i = 0; i < c->n_xattrs; i++) {
        free(c->xattrs[i].key);
        free(c->xattrs[i].value);
    }
    free(c->xattrs);
    free(c->idem_key);
    memset(c, 0, sizeof(*c));
}

void cmd_free(struct cmd *c)
{
    if (c != NULL) {
        cmd_clear(c);
        free(c);
    }
}

struct cmd_result *cmd_result_new(void)
{
    return bn_calloc(1, sizeof(struct cmd_result));
}

void cmd_result_free(struct cmd_result *res)
{
    if (res == NULL) {
        return;
    }
    inode_clear(&res->ino);
    free(res);
}

const char *cmd_op_name(int op)
{
    switch (op) {
    case CMD_CREATE:
        return "create";
    case CMD_SETATTR:
        return "setattr";
    case CMD_DELETE:
        return "delete";
    case CMD_RENAME:
        return "rename";
    case CMD_NODE_PUT:
        return "node-put";
    case CMD_NODE_DEL:
        return "node-del";
    case CMD_IDEM_EXPIRE:
        return "idempotency-expire";
    case CMD_MOUNT:
        return "mount";
    case CMD_UNMOUNT:
        return "unmount";
    default:
        return "unknown";
    }
}

bool cmd_op_is_ns(int op)
{
    return op >= CMD_CREATE && op <= CMD_RENAME;
}

/* ---- encoding ----------------------------------------------------------- */

struct wbuf {
    unsigned char *p; /* NULL while sizing */
    size_t len;
};

static void w_bytes(struct wbuf *w, const void *src, size_t n)
{
    if (w->p != NULL && n > 0) {
        memcpy(w->p + w->len, src, n);
    }
    w->len += n;
}

static void w_u64(struct wbuf *w, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(v >> (8 * i));
    }
    w_bytes(w, b, 8);
}

static void w_u32(struct wbuf *w, uint32_t v)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++) {
        b[i] = (unsigned char)(v >> (8 * i));
    }
    w_bytes(w, b, 4);
}

static void w_u8(struct wbuf *w, unsigned v)
{
    unsigned char b = (unsigned char)v;
    w_bytes(w, &b, 1);
}

static void w_str(struct wbuf *w, const char *s)
{
    if (s == NULL) {
        w_u32(w, 0);
        return;
    }
    size_t n = strlen(s);
    w_u32(w, (uint32_t)n + 1);
    w_bytes(w, s, n);
}

static void w_cmd_body(struct wbuf *w, const struct cmd *c)
{
    w_u8(w, (unsigned)c->op);
    w_u8(w, (unsigned)c->type);
    w_u32(w, c->flags);
    w_str(w, c->path);
    w_str(w, c->to);
    w_u32(w, c->mode);
    w_str(w, c->owner);
    w_str(w, c->group);
    w_u64(w, c->size);
    w_u64(w, c->block_size);
    w_u64(w, (uint64_t)c->mtime_ms);
    w_u64(w, (uint64_t)c->ttl_ms);
    w_u8(w, (unsigned)c->ttl_action);
    w_u8(w, c->pinned ? 1 : 0);
    w_u64(w, c->match_id);
    w_u64(w, c->match_version);
    w_u32(w, (uint32_t)c->n_xattrs);
    for (size_t i = 0; i < c->n_xattrs; i++) {
        w_str(w, c->xattrs[i].key);
        w_str(w, c->xattrs[i].value);
    }
    if ((c->flags & CMD_F_IDEM_KEY) != 0) {
        w_str(w, c->idem_key);
    }
    if (c->op == CMD_NODE_PUT || c->op == CMD_NODE_DEL) {
        w_u64(w, c->node_id);
    }
}

static void w_batch(struct wbuf *w, const struct cmd *const *cmds, size_t n,
                    const struct cmd_batch_hdr *hdr)
{
    w_u32(w, CMD_MAGIC);
    w_u64(w, hdr->origin);
    w_u64(w, hdr->seq);
    w_u64(w, (uint64_t)hdr->now_ms);
    w_u32(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        struct wbuf sz = {NULL, 0};
        w_cmd_body(&sz, cmds[i]);
        w_u32(w, (uint32_t)sz.len);
        w_cmd_body(w, cmds[i]);
    }
}

void *cmd_batch_encode(const struct cmd *const *cmds, size_t n,
                       const struct cmd_batch_hdr *hdr, void *(*alloc)(size_t),
                       size_t *len)
{
    struct wbuf w = {NULL, 0};
    w_batch(&w, cmds, n, hdr);
    size_t want = w.len;
    size_t padded =
        (want + CMD_BATCH_ALIGN - 1) & ~(size_t)(CMD_BATCH_ALIGN - 1);
    unsigned char *buf = alloc(padded);
    if (buf == NULL) {
        bn_panic("out of memory encoding a batch of %zu bytes", padded);
    }
    w.p = buf;
    w.len = 0;
    w_batch(&w, cmds, n, hdr);
    if (NEVER(w.len != want)) {
        bn_panic("a batch encoded to %zu bytes, then to %zu", want, w.len);
    }
    memset(buf + want, 0, padded - want);
    *len = padded;
    return buf;
}

uint64_t cmd_fingerprint(const struct cmd *c)
{
    struct cmd bare = *c;
    struct wbuf w = {NULL, 0};
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

    bare.flags &= ~CMD_F_IDEM_KEY;
    bare.idem_key = NULL;
    w_cmd_body(&w, &bare);
    w.p = bn_malloc(w.len > 0 ? w.len : 1);
    w.len = 0;
    w_cmd_body(&w, &bare);
    for (size_t i = 0; i < w.len; i++) {
        h = (h ^ w.p[i]) * 0x100000001b3ULL;
    }
    free(w.p);
    return h;
}

/* ---- decoding ----------------------------------------------------------- */

struct rbuf {
    const unsigned char *p;
    const unsigned char *end;
    bool bad;
};

static bool r_need(struct rbuf *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return false;
    }
    return true;
}

static uint64_t r_u64(struct rbuf *r)
{
    if (!r_need(r, 8)) {
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v |= (uint64_t)r->p[i] << (8 * i);
    }
    r->p += 8;
    return v;
}

static uint32_t r_u32(struct rbuf *r)
{
    if (!r_need(r, 4)) {
        return 0;
    }
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 |
                 (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    return v;
}

static unsigned r_u8(struct rbuf *r)
{
    if (!r_need(r, 1)) {
        return 0;
    }
    return *r->p++;
}

/* A string of at most @max bytes, without NULs; NULL for the NULL string
 * or on error (r->bad tells which). */
static char *r_str(struct rbuf *r, size_t max)
{
    uint32_t n = r_u32(r);
    if (r->bad || n == 0) {
        return NULL;
    }
    n--;
    if (n > max || !r_need(r, n) || memchr(r->p, 0, n) != NULL) {
        r->bad = true;
        return NULL;
    }
    char *s = bn_strndup((const char *)r->p, n);
    r->p += n;
    return s;
}

static int r_cmd(struct rbuf *r, struct cmd *c, char *errmsg)
{
    c->op = (int)r_u8(r);
    c->type = (int)r_u8(r);
    c->flags = r_u32(r);
    c->path = r_str(r, PATH_LEN_MAX);
    c->to = r_str(r, PATH_LEN_MAX);
    c->mode = r_u32(r);
    c->owner = r_str(r, INODE_OWNER_MAX);
    c->group = r_str(r, INODE_OWNER_MAX);
    c->size = r_u64(r);
    c->block_size = r_u64(r);
    c->mtime_ms = (int64_t)r_u64(r);
    c->ttl_ms = (int64_t)r_u64(r);
    c->ttl_action = (int)r_u8(r);
    c->pinned = r_u8(r) != 0;
    c->match_id = r_u64(r);
    c->match_version = r_u64(r);
    uint32_t nx = r_u32(r);
    if (r->bad) {
        bn_errmsg_printf(errmsg, "truncated or oversized command field");
        return BN_ECORRUPT;
    }
    if (nx > INODE_XATTR_MAX) {
        bn_errmsg_printf(errmsg, "%u xattrs in one command", nx);
        return BN_ECORRUPT;
    }
    if (nx > 0) {
        c->xattrs = bn_calloc(nx, sizeof(*c->xattrs));
    }
    for (uint32_t i = 0; i < nx; i++) {
        c->xattrs[i].key = r_str(r, INODE_XATTR_KEY_MAX);
        c->n_xattrs = i + 1;
        c->xattrs[i].value = r_str(r, INODE_XATTR_VALUE_MAX);
        if (r->bad || c->xattrs[i].key == NULL) {
            bn_errmsg_printf(errmsg, "bad xattr %u", i);
            return BN_ECORRUPT;
        }
    }
    if ((c->flags & CMD_F_IDEM_KEY) != 0) {
        c->idem_key = r_str(r, CMD_IDEM_KEY_MAX);
        if (r->bad || c->idem_key == NULL) {
            bn_errmsg_printf(errmsg, "bad Idempotency-Key");
            return BN_ECORRUPT;
        }
    }
    if (c->op == CMD_NODE_PUT || c->op == CMD_NODE_DEL) {
        c->node_id = r_u64(r);
        if (r->bad || c->node_id == 0 ||
            (c->op == CMD_NODE_PUT && (c->path == NULL || c->to == NULL))) {
            bn_errmsg_printf(errmsg, "bad %s", cmd_op_name(c->op));
            return BN_ECORRUPT;
        }
        return 0;
    }
    if (c->op == CMD_IDEM_EXPIRE) {
        return 0;
    }
    if (c->op == CMD_MOUNT || c->op == CMD_UNMOUNT) {
        if (c->path == NULL || (c->op == CMD_MOUNT && c->to == NULL)) {
            bn_errmsg_printf(errmsg, "bad %s", cmd_op_name(c->op));
            return BN_ECORRUPT;
        }
        return 0;
    }
    if (c->op < CMD_CREATE || c->op > CMD_RENAME) {
        bn_errmsg_printf(errmsg, "unknown op %d", c->op);
        return BN_ECORRUPT;
    }
    if (c->path == NULL || (c->op == CMD_RENAME && c->to == NULL)) {
        bn_errmsg_printf(errmsg, "%s without a path", cmd_op_name(c->op));
        return BN_ECORRUPT;
    }
    if (c->op == CMD_CREATE && c->type != INODE_DIR && c->type != INODE_FILE) {
        bn_errmsg_printf(errmsg, "create of unknown type %d", c->type);
        return BN_ECORRUPT;
    }
    return 0;
}

int cmd_batch_decode(const void *buf, size_t len, struct cmd_batch_hdr *hdr,
                     struct cmd ***cmds, char errmsg[BN_ERRMSG_SIZE])
{
    struct rbuf r = {buf, (const unsigned char *)buf + len, false};
    *cmds = NULL;
    uint32_t magic = r_u32(&r);
    hdr->origin = r_u64(&r);
    hdr->seq = r_u64(&r);
    hdr->now_ms = (int64_t)r_u64(&r);
    hdr->count = r_u32(&r);
    if (r.bad) {
        bn_errmsg_printf(errmsg, "batch of %zu bytes is too short", len);
        return BN_ECORRUPT;
    }
    if (magic != CMD_MAGIC) {
        bn_errmsg_printf(errmsg, "bad batch magic 0x%08x", magic);
        return BN_ECORRUPT;
    }
    /* Each command takes at least its 4-byte length. */
    if (hdr->count > CMD_BATCH_MAX || hdr->count > (size_t)(r.end - r.p) / 4) {
        bn_errmsg_printf(errmsg, "batch claims %u commands", hdr->count);
        return BN_ECORRUPT;
    }
    struct cmd **out = bn_calloc(hdr->count > 0 ? hdr->count : 1, sizeof(*out));
    int rc = 0;
    uint32_t i;
    for (i = 0; i < hdr->count; i++) {
        uint32_t n = r_u32(&r);
        if (r.bad || n > (size_t)(r.end - r.p)) {
            bn_errmsg_printf(errmsg, "command %u overruns the batch", i);
            rc = BN_ECORRUPT;
            break;
        }
        struct rbuf sub = {r.p, r.p + n, false};
        out[i] = cmd_new(0);
        rc = r_cmd(&sub, out[i], errmsg);
        if (rc == 0 && sub.p != sub.end) {
            bn_errmsg_printf(errmsg, "command %u has %zu trailing bytes", i,
                             (size_t)(sub.end - sub.p));
            rc = BN_ECORRUPT;
        }
        if (rc != 0) {
            i++;
            break;
        }
        r.p += n;
    }
    /* Up to CMD_BATCH_ALIGN - 1 zero bytes of padding end an aligned batch. */
    if (rc == 0 && len % CMD_BATCH_ALIGN == 0 &&
        (size_t)(r.end - r.p) < CMD_BATCH_ALIGN) {
        while (r.p < r.end && *r.p == 0) {
            r.p++;
        }
    }
    if (rc == 0 && r.p != r.end) {
        bn_errmsg_printf(errmsg, "batch has %zu trailing bytes",
                         (size_t)(r.end - r.p));
        rc = BN_ECORRUPT;
    }
    if (rc != 0) {
        for (uint32_t k = 0; k < i && k < hdr->count; k++) {
            cmd_free(out[k]);
        }
        free(out);
        return rc;
    }
    *cmds = out;
    return 0;
}
