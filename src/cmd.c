/*
 * cmd: the replicated operations and their binary format (see cmd.h).
 *
 * Each op's arguments after the common header (format 2):
 *   create:   u8 type, attr
 *   setattr:  attr
 *   delete:   nothing (codec "path")
 *   rename:   str to
 *   node-put: u64 node id, str http address, str raft address
 *   node-del: u64 node id
 *   idempotency-expire: i64 before_ms, u64 keep
 *   mount:    str uri, u8 read_only, str owner, str group
 *   unmount:  nothing (codec "path")
 * where attr is u32 mode, str owner, str group, u64 size, u64 block_size,
 * i64 mtime, i64 ttl, u8 ttl_action, u8 pinned, u32 n_xattrs, then
 * n_xattrs (key str, value str). A str is u32 (length + 1) then the bytes,
 * 0 for NULL. Little endian throughout.
 *
 * Format 1 (decode_v1) had one layout for every op: op u8, type u8, flags
 * u32, path str, to str, mode u32, owner str, group str, size u64,
 * block_size u64, mtime i64, ttl i64, ttl_action u8, pinned u8, match_id
 * u64, match_version u64, n_xattrs u32 and the xattrs, then the
 * Idempotency-Key str when flagged, then u64 node id for node-put and
 * node-del; node-put kept its HTTP address in path and its raft address in
 * to, idempotency-expire its time in mtime and its count in size, mount its
 * URI in to and read-only in pinned.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

#include "invariant.h"
#include "mem.h"
#include "path.h"

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

/* ---- the codecs of the ops ------------------------------------------- */

static void clear_attr(struct op_attr *a)
{
    free(a->owner);
    free(a->group);
    for (size_t i = 0; i < a->n_xattrs; i++) {
        free(a->xattrs[i].key);
        free(a->xattrs[i].value);
    }
    free(a->xattrs);
}

static void enc_attr(struct wbuf *w, const struct op_attr *a)
{
    w_u32(w, a->mode);
    w_str(w, a->owner);
    w_str(w, a->group);
    w_u64(w, a->size);
    w_u64(w, a->block_size);
    w_u64(w, (uint64_t)a->mtime_ms);
    w_u64(w, (uint64_t)a->ttl_ms);
    w_u8(w, (unsigned)a->ttl_action);
    w_u8(w, a->pinned ? 1 : 0);
    w_u32(w, (uint32_t)a->n_xattrs);
    for (size_t i = 0; i < a->n_xattrs; i++) {
        w_str(w, a->xattrs[i].key);
        w_str(w, a->xattrs[i].value);
    }
}

/* The xattrs of @a: u32 count, then the pairs. */
static int dec_xattrs(struct rbuf *r, struct op_attr *a, char *errmsg)
{
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
        a->xattrs = bn_calloc(nx, sizeof(*a->xattrs));
    }
    for (uint32_t i = 0; i < nx; i++) {
        a->xattrs[i].key = r_str(r, INODE_XATTR_KEY_MAX);
        a->n_xattrs = i + 1;
        a->xattrs[i].value = r_str(r, INODE_XATTR_VALUE_MAX);
        if (r->bad || a->xattrs[i].key == NULL) {
            bn_errmsg_printf(errmsg, "bad xattr %u", i);
            return BN_ECORRUPT;
        }
    }
    return 0;
}

static int dec_attr(struct rbuf *r, struct op_attr *a, char *errmsg)
{
    a->mode = r_u32(r);
    a->owner = r_str(r, INODE_OWNER_MAX);
    a->group = r_str(r, INODE_OWNER_MAX);
    a->size = r_u64(r);
    a->block_size = r_u64(r);
    a->mtime_ms = (int64_t)r_u64(r);
    a->ttl_ms = (int64_t)r_u64(r);
    a->ttl_action = (int)r_u8(r);
    a->pinned = r_u8(r) != 0;
    return dec_xattrs(r, a, errmsg);
}

static int check_type(int type, char *errmsg)
{
    if (type != INODE_DIR && type != INODE_FILE) {
        bn_errmsg_printf(errmsg, "create of unknown type %d", type);
        return BN_ECORRUPT;
    }
    return 0;
}

static void enc_create(struct wbuf *w, const struct cmd *c)
{
    w_u8(w, (unsigned)c->u.create.type);
    enc_attr(w, &c->u.create.attr);
}

static int dec_create(struct rbuf *r, struct cmd *c, char *errmsg)
{
    int rc;

    c->u.create.type = (int)r_u8(r);
    rc = dec_attr(r, &c->u.create.attr, errmsg);
    return rc != 0 ? rc : check_type(c->u.create.type, errmsg);
}

static void clear_create(struct cmd *c)
{
    clear_attr(&c->u.create.attr);
}

static void enc_setattr(struct wbuf *w, const struct cmd *c)
{
    enc_attr(w, &c->u.setattr);
}

static int dec_setattr(struct rbuf *r, struct cmd *c, char *errmsg)
{
    return dec_attr(r, &c->u.setattr, errmsg);
}

static void clear_setattr(struct cmd *c)
{
    clear_attr(&c->u.setattr);
}

/* Ops whose arguments are the common header alone (delete, unmount). */
static void enc_path(struct wbuf *w, const struct cmd *c)
{
    (void)w;
    (void)c;
}

static int dec_path(struct rbuf *r, struct cmd *c, char *errmsg)
{
    (void)r;
    (void)c;
    (void)errmsg;
    return 0;
}

static void clear_path(struct cmd *c)
{
    (void)c;
}

static void enc_rename(struct wbuf *w, const struct cmd *c)
{
    w_str(w, c->u.rename.to);
}

static int dec_rename(struct rbuf *r, struct cmd *c, char *errmsg)
{
    c->u.rename.to = r_str(r, PATH_LEN_MAX);
    if (r->bad || c->u.rename.to == NULL) {
        bn_errmsg_printf(errmsg, "rename without a destination");
        return BN_ECORRUPT;
    }
    return 0;
}

static void clear_rename(struct cmd *c)
{
    free(c->u.rename.to);
}

static void enc_node_put(struct wbuf *w, const struct cmd *c)
{
    w_u64(w, c->u.node_put.node_id);
    w_str(w, c->u.node_put.http);
    w_str(w, c->u.node_put.raft);
}

static int dec_node_put(struct rbuf *r, struct cmd *c, char *errmsg)
{
    struct op_node_put *a = &c->u.node_put;

    a->node_id = r_u64(r);
    a->http = r_str(r, PATH_LEN_MAX);
    a->raft = r_str(r, PATH_LEN_MAX);
    if (r->bad || a->node_id == 0 || a->http == NULL || a->raft == NULL) {
        bn_errmsg_printf(errmsg, "bad %s", op_name(c->op));
        return BN_ECORRUPT;
    }
    return 0;
}

static void clear_node_put(struct cmd *c)
{
    free(c->u.node_put.http);
    free(c->u.node_put.raft);
}

static void enc_node_del(struct wbuf *w, const struct cmd *c)
{
    w_u64(w, c->u.node_del.node_id);
}

static int dec_node_del(struct rbuf *r, struct cmd *c, char *errmsg)
{
    c->u.node_del.node_id = r_u64(r);
    if (r->bad || c->u.node_del.node_id == 0) {
        bn_errmsg_printf(errmsg, "bad %s", op_name(c->op));
        return BN_ECORRUPT;
    }
    return 0;
}

#define clear_node_del clear_path

static void enc_idem_expire(struct wbuf *w, const struct cmd *c)
{
    w_u64(w, (uint64_t)c->u.idem_expire.before_ms);
    w_u64(w, c->u.idem_expire.keep);
}

static int dec_idem_expire(struct rbuf *r, struct cmd *c, char *errmsg)
{
    (void)errmsg;
    c->u.idem_expire.before_ms = (int64_t)r_u64(r);
    c->u.idem_expire.keep = r_u64(r);
    return 0;
}

#define clear_idem_expire clear_path

static void enc_mount(struct wbuf *w, const struct cmd *c)
{
    w_str(w, c->u.mount.uri);
    w_u8(w, c->u.mount.read_only ? 1 : 0);
    w_str(w, c->u.mount.owner);
    w_str(w, c->u.mount.group);
}

static int dec_mount(struct rbuf *r, struct cmd *c, char *errmsg)
{
    struct op_mount *a = &c->u.mount;

    a->uri = r_str(r, PATH_LEN_MAX);
    a->read_only = r_u8(r) != 0;
    a->owner = r_str(r, INODE_OWNER_MAX);
    a->group = r_str(r, INODE_OWNER_MAX);
    if (r->bad || a->uri == NULL) {
        bn_errmsg_printf(errmsg, "bad %s", op_name(c->op));
        return BN_ECORRUPT;
    }
    return 0;
}

static void clear_mount(struct cmd *c)
{
    free(c->u.mount.uri);
    free(c->u.mount.owner);
    free(c->u.mount.group);
}

/* The rows without a codec. */
#define enc_none   NULL
#define dec_none   NULL
#define clear_none NULL

struct codec {
    void (*enc)(struct wbuf *w, const struct cmd *c);
    int (*dec)(struct rbuf *r, struct cmd *c, char *errmsg);
    void (*clear)(struct cmd *c);
};

static const struct codec codecs[OP_ID_MAX] = {
#define CMD__CODEC(ID, CODE, NAME, KIND, FLAGS, PERM, METRIC, CODEC, APPLY)    \
    [OP_##ID] = {enc_##CODEC, dec_##CODEC, clear_##CODEC},
    OP_MAP(CMD__CODEC)
#undef CMD__CODEC
};

/* The codec of @op when it is a replicated op, else NULL. */
static const struct codec *codec_of(int op)
{
    if (op < 0 || op >= OP_ID_MAX || (op_flags(op) & OP_F_REPL) == 0 ||
        codecs[op].enc == NULL) {
        return NULL;
    }
    return &codecs[op];
}

bool cmd_op_known(int op)
{
    const struct codec *k = codec_of(op);

    return k != NULL && k->dec != NULL && k->clear != NULL;
}

bool cmd_op_is_ns(int op)
{
    return op_kind(op) == OP_K_NS && (op_flags(op) & OP_F_REPL) != 0;
}

/* ---- commands ---------------------------------------------------------- */

struct cmd *cmd_new(int op)
{
    struct cmd *c = bn_calloc(1, sizeof(*c));

    c->op = op;
    if (op == OP_CREATE) {
        c->u.create.attr.ttl_ms = -1;
    } else if (op == OP_SETATTR) {
        c->u.setattr.ttl_ms = -1;
    }
    return c;
}

void cmd_clear(struct cmd *c)
{
    const struct codec *k = codec_of(c->op);

    if (k != NULL && k->clear != NULL) {
        k->clear(c);
    }
    free(c->path);
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

/* ---- batches ----------------------------------------------------------- */

/* The common header, then the op's arguments; @with_key false leaves the
 * Idempotency-Key out (the fingerprint). */
static void w_cmd_body(struct wbuf *w, const struct cmd *c, bool with_key)
{
    const struct codec *k = codec_of(c->op);
    uint32_t flags = with_key ? c->flags : c->flags & ~CMD_F_IDEM_KEY;

    w_u8(w, (unsigned)c->op);
    w_u32(w, flags);
    w_str(w, c->path);
    if ((flags & CMD_F_IDEM_KEY) != 0) {
        w_str(w, c->idem_key);
    }
    if ((flags & CMD_F_IF_MATCH) != 0) {
        w_u64(w, c->match_id);
        w_u64(w, c->match_version);
    }
    /* An op without a codec goes out bare, and no node decodes it. */
    if (k != NULL) {
        k->enc(w, c);
    }
}

static void w_batch(struct wbuf *w, const struct cmd *const *cmds, size_t n,
                    const struct cmd_batch_hdr *hdr)
{
    w_u32(w, CMD_MAGIC);
    w_u32(w, CMD_VERSION);
    w_u64(w, hdr->origin);
    w_u64(w, hdr->seq);
    w_u64(w, (uint64_t)hdr->now_ms);
    w_u32(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        struct wbuf sz = {NULL, 0};
        w_cmd_body(&sz, cmds[i], true);
        w_u32(w, (uint32_t)sz.len);
        w_cmd_body(w, cmds[i], true);
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

/* A namespace op in the layout of format 1, without its Idempotency-Key:
 * what cmd_fingerprint() hashes, so that the fingerprints kept with the
 * outcomes of Idempotency-Keys stay what format 1 nodes computed. */
static void w_cmd_v1_image(struct wbuf *w, const struct cmd *c)
{
    static const struct op_attr none = {.ttl_ms = -1};
    const struct op_attr *a = &none;

    if (c->op == OP_CREATE) {
        a = &c->u.create.attr;
    } else if (c->op == OP_SETATTR) {
        a = &c->u.setattr;
    }
    w_u8(w, (unsigned)c->op);
    w_u8(w, c->op == OP_CREATE ? (unsigned)c->u.create.type : 0);
    w_u32(w, c->flags & ~CMD_F_IDEM_KEY);
    w_str(w, c->path);
    w_str(w, c->op == OP_RENAME ? c->u.rename.to : NULL);
    w_u32(w, a->mode);
    w_str(w, a->owner);
    w_str(w, a->group);
    w_u64(w, a->size);
    w_u64(w, a->block_size);
    w_u64(w, (uint64_t)a->mtime_ms);
    w_u64(w, (uint64_t)a->ttl_ms);
    w_u8(w, (unsigned)a->ttl_action);
    w_u8(w, a->pinned ? 1 : 0);
    w_u64(w, c->match_id);
    w_u64(w, c->match_version);
    w_u32(w, (uint32_t)a->n_xattrs);
    for (size_t i = 0; i < a->n_xattrs; i++) {
        w_str(w, a->xattrs[i].key);
        w_str(w, a->xattrs[i].value);
    }
}

/* What a fingerprint hashes: a namespace op of format 1 in that layout,
 * any other op in the current one. */
static void w_fingerprinted(struct wbuf *w, const struct cmd *c)
{
    if (c->op == OP_CREATE || c->op == OP_SETATTR || c->op == OP_DELETE ||
        c->op == OP_RENAME) {
        w_cmd_v1_image(w, c);
    } else {
        w_cmd_body(w, c, false);
    }
}

uint64_t cmd_fingerprint(const struct cmd *c)
{
    struct wbuf w = {NULL, 0};
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

    w_fingerprinted(&w, c);
    w.p = bn_malloc(w.len > 0 ? w.len : 1);
    w.len = 0;
    w_fingerprinted(&w, c);
    for (size_t i = 0; i < w.len; i++) {
        h = (h ^ w.p[i]) * 0x100000001b3ULL;
    }
    free(w.p);
    return h;
}

/* An op this node cannot decode: say which, and what it knows. */
static int unknown_op(unsigned op, char *errmsg)
{
    char known[BN_ERRMSG_SIZE / 2];

    op_list_replicated(known, sizeof(known));
    bn_errmsg_printf(errmsg,
                     "unknown op %u (this node knows %s): a newer node "
                     "wrote it",
                     op, known);
    return BN_ECORRUPT;
}

/* What every op but the cluster ones needs: a path. */
static int check_path(const struct cmd *c, char *errmsg)
{
    if (op_kind(c->op) != OP_K_CLUSTER && c->path == NULL) {
        bn_errmsg_printf(errmsg, "%s without a path", op_name(c->op));
        return BN_ECORRUPT;
    }
    return 0;
}

/* Format 2: the common header, then the op's decoder. */
static int r_cmd(struct rbuf *r, struct cmd *c, char *errmsg)
{
    const struct codec *k;
    unsigned op = r_u8(r);
    int rc;

    if (r->bad) {
        bn_errmsg_printf(errmsg, "truncated or oversized command field");
        return BN_ECORRUPT;
    }
    if (!cmd_op_known((int)op)) {
        return unknown_op(op, errmsg);
    }
    k = codec_of((int)op);
    c->op = (int)op;
    c->flags = r_u32(r);
    c->path = r_str(r, PATH_LEN_MAX);
    if ((c->flags & CMD_F_IDEM_KEY) != 0) {
        c->idem_key = r_str(r, CMD_IDEM_KEY_MAX);
        if (r->bad || c->idem_key == NULL) {
            bn_errmsg_printf(errmsg, "bad Idempotency-Key");
            return BN_ECORRUPT;
        }
    }
    if ((c->flags & CMD_F_IF_MATCH) != 0) {
        c->match_id = r_u64(r);
        c->match_version = r_u64(r);
    }
    if (r->bad) {
        bn_errmsg_printf(errmsg, "truncated or oversized command field");
        return BN_ECORRUPT;
    }
    rc = k->dec(r, c, errmsg);
    if (rc == 0 && r->bad) {
        bn_errmsg_printf(errmsg, "truncated or oversized command field");
        rc = BN_ECORRUPT;
    }
    return rc != 0 ? rc : check_path(c, errmsg);
}

/* Format 1: one layout for every op (see the top of this file), mapped
 * onto the op's arguments. */
static int r_cmd_v1(struct rbuf *r, struct cmd *c, char *errmsg)
{
    struct op_attr a = {0};
    unsigned op = r_u8(r);
    int type = (int)r_u8(r);
    uint32_t flags = r_u32(r);
    char *path = r_str(r, PATH_LEN_MAX);
    char *to = r_str(r, PATH_LEN_MAX);
    uint64_t node_id = 0;
    int rc;

    a.mode = r_u32(r);
    a.owner = r_str(r, INODE_OWNER_MAX);
    a.group = r_str(r, INODE_OWNER_MAX);
    a.size = r_u64(r);
    a.block_size = r_u64(r);
    a.mtime_ms = (int64_t)r_u64(r);
    a.ttl_ms = (int64_t)r_u64(r);
    a.ttl_action = (int)r_u8(r);
    a.pinned = r_u8(r) != 0;
    c->match_id = r_u64(r);
    c->match_version = r_u64(r);
    c->flags = flags;
    rc = dec_xattrs(r, &a, errmsg);
    if (rc == 0 && (flags & CMD_F_IDEM_KEY) != 0) {
        c->idem_key = r_str(r, CMD_IDEM_KEY_MAX);
        if (r->bad || c->idem_key == NULL) {
            bn_errmsg_printf(errmsg, "bad Idempotency-Key");
            rc = BN_ECORRUPT;
        }
    }
    if (rc == 0 && (op == OP_NODE_PUT || op == OP_NODE_DEL)) {
        node_id = r_u64(r);
        if (r->bad || node_id == 0 ||
            (op == OP_NODE_PUT && (path == NULL || to == NULL))) {
            bn_errmsg_printf(errmsg, "bad %s", op_name((int)op));
            rc = BN_ECORRUPT;
        }
    }
    if (rc == 0 && !cmd_op_known((int)op)) {
        rc = unknown_op(op, errmsg);
    }
    if (rc != 0) {
        clear_attr(&a);
        free(path);
        free(to);
        return rc;
    }
    c->op = (int)op;
    switch (op) {
    case OP_CREATE:
        c->path = path;
        c->u.create.type = type;
        c->u.create.attr = a;
        free(to);
        rc = check_type(type, errmsg);
        break;
    case OP_SETATTR:
        c->path = path;
        c->u.setattr = a;
        free(to);
        break;
    case OP_RENAME:
        c->path = path;
        c->u.rename.to = to;
        clear_attr(&a);
        if (to == NULL) {
            bn_errmsg_printf(errmsg, "%s without a path", op_name(c->op));
            rc = BN_ECORRUPT;
        }
        break;
    case OP_NODE_PUT:
        c->u.node_put.node_id = node_id;
        c->u.node_put.http = path;
        c->u.node_put.raft = to;
        clear_attr(&a);
        break;
    case OP_NODE_DEL:
        c->u.node_del.node_id = node_id;
        free(path);
        free(to);
        clear_attr(&a);
        break;
    case OP_IDEM_EXPIRE:
        c->u.idem_expire.before_ms = a.mtime_ms;
        c->u.idem_expire.keep = a.size;
        free(path);
        free(to);
        clear_attr(&a);
        break;
    case OP_MOUNT:
        c->path = path;
        c->u.mount.uri = to;
        c->u.mount.read_only = a.pinned;
        c->u.mount.owner = a.owner;
        c->u.mount.group = a.group;
        a.owner = NULL;
        a.group = NULL;
        clear_attr(&a);
        if (to == NULL) {
            bn_errmsg_printf(errmsg, "bad %s", op_name(c->op));
            rc = BN_ECORRUPT;
        }
        break;
    default: /* delete, unmount: the path alone */
        c->path = path;
        free(to);
        clear_attr(&a);
        break;
    }
    return rc != 0 ? rc : check_path(c, errmsg);
}

/* The batch header of either format; sets *version. */
static int r_header(struct rbuf *r, size_t len, struct cmd_batch_hdr *hdr,
                    uint32_t *version, char *errmsg)
{
    uint32_t magic = r_u32(r);

    *version = 1;
    if (!r->bad && magic == CMD_MAGIC) {
        *version = r_u32(r);
    }
    hdr->origin = r_u64(r);
    hdr->seq = r_u64(r);
    hdr->now_ms = (int64_t)r_u64(r);
    hdr->count = r_u32(r);
    if (r->bad) {
        bn_errmsg_printf(errmsg, "batch of %zu bytes is too short", len);
        return BN_ECORRUPT;
    }
    if (magic != CMD_MAGIC && magic != CMD_MAGIC_V1) {
        bn_errmsg_printf(errmsg, "bad batch magic 0x%08x", magic);
        return BN_ECORRUPT;
    }
    if (*version < 1 || *version > CMD_VERSION ||
        (magic == CMD_MAGIC && *version == 1)) {
        bn_errmsg_printf(errmsg,
                         "batch format version %u is unknown (this node "
                         "reads versions 1 to %u): a newer node wrote it",
                         *version, CMD_VERSION);
        return BN_ECORRUPT;
    }
    return 0;
}

int cmd_batch_decode(const void *buf, size_t len, struct cmd_batch_hdr *hdr,
                     struct cmd ***cmds, char errmsg[BN_ERRMSG_SIZE])
{
    struct rbuf r = {buf, (const unsigned char *)buf + len, false};
    uint32_t version;
    int rc;

    *cmds = NULL;
    rc = r_header(&r, len, hdr, &version, errmsg);
    if (rc != 0) {
        return rc;
    }
    /* Each command takes at least its 4-byte length. */
    if (hdr->count > CMD_BATCH_MAX || hdr->count > (size_t)(r.end - r.p) / 4) {
        bn_errmsg_printf(errmsg, "batch claims %u commands", hdr->count);
        return BN_ECORRUPT;
    }
    struct cmd **out = bn_calloc(hdr->count > 0 ? hdr->count : 1, sizeof(*out));
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
        rc = version == 1 ? r_cmd_v1(&sub, out[i], errmsg)
                          : r_cmd(&sub, out[i], errmsg);
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
