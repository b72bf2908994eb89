/*
 * fsm: apply, snapshot and restore for libraft.
 *
 * SPDX-License-Identifier: MIT
 */
#include "fsm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <raft.h>

#include "clock.h"
#include "db.h"
#include "invariant.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "mount.h"
#include "ns.h"
#include "store.h"

#define SNAP_MAGIC  0x31534e42u /* "BNS1": index only (older nodes) */
#define SNAP_MAGIC2 0x32534e42u /* "BNS2": index, origin id, origin http */
/* Group commit of the store: entries share one SQLite transaction until
 * there are FSM_GROUP_ENTRIES of them or the oldest is FSM_GROUP_MS old.
 * The raft log is what makes an entry durable; the store's transaction
 * only has to land before raft compacts the log past it (snapshot commits
 * durably first) and a restart replays the rest. */
#define FSM_GROUP_ENTRIES 64
#define SNAP_LEN          12
#define SNAP2_HDR         24 /* magic, pad, index, origin, then u32 len */

struct fsm {
    struct raft_fsm rf;
    struct ns *ns;
    struct store *st;
    struct raft *raft;
    fsm_deliver_fn deliver;
    void *arg;
    unsigned txn_entries;  /* applied entries in the open transaction */
    uint64_t txn_start_ms; /* monotonic time the transaction began */
    struct fsm_hooks hooks;
    char *http;
    char *fetch_path;
    struct mount_table *mounts; /* borrowed; NULL: no mounts */
};

int fsm_flush(struct fsm *f, bool force, char errmsg[BN_ERRMSG_SIZE])
{
    int rc;

    if (f->txn_entries == 0 ||
        (!force &&
         (uint64_t)bn_clock_mono_ms() - f->txn_start_ms < FSM_GROUP_MS)) {
        return 0;
    }
    rc = store_commit(f->st, false, errmsg);
    if (rc == 0) {
        f->txn_entries = 0;
    }
    return rc;
}

bool fsm_has_open_txn(const struct fsm *f)
{
    return f->txn_entries > 0;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;

    for (int i = 3; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* OP_MOUNT: check the rules again (the table may have changed since the
 * leader checked), create the mount point when missing, record the mount. */
static int apply_mount(struct fsm *f, const struct cmd *c, int64_t now_ms,
                       uint64_t index, struct cmd_result *res)
{
    struct mount_info m = {0};
    struct path p = {0};
    struct inode ino = {0};
    int rc;

    if (f->mounts == NULL) {
        bn_errmsg_printf(res->errmsg, "this node has no mount table");
        return BN_EINVAL;
    }
    rc = path_parse(c->path, strlen(c->path), &p, res->errmsg);
    if (rc == 0) {
        rc = mount_check(f->mounts, p.norm, c->u.mount.uri, res->errmsg);
    }
    if (rc == 0) {
        rc = ns_stat(f->ns, &p, &ino, res->errmsg);
        if (rc == 0 && ino.type != INODE_DIR) {
            bn_errmsg_printf(res->errmsg, "cannot mount over the file %.200s",
                             p.norm);
            rc = BN_EMOUNT;
        } else if (rc == 0 && ino.nchildren > 0) {
            bn_errmsg_printf(res->errmsg,
                             "cannot mount over the non-empty directory "
                             "%.200s",
                             p.norm);
            rc = BN_EMOUNT;
        } else if (rc == BN_ENOTFOUND) {
            struct cmd mk = {0};

            res->errmsg[0] = '\0';
            mk.op = OP_CREATE;
            mk.u.create.type = INODE_DIR;
            mk.flags = CMD_F_RECURSIVE | CMD_F_MODE;
            mk.path = p.norm;
            mk.u.create.attr.mode = INODE_MODE_DIR_DEFAULT;
            mk.u.create.attr.owner = c->u.mount.owner;
            mk.u.create.attr.group = c->u.mount.group;
            rc = ns_apply(f->ns, &mk, now_ms, index, res);
        }
        inode_clear(&ino);
    }
    if (rc == 0) {
        m.id = index;
        m.path = p.norm;
        m.uri = c->u.mount.uri;
        m.read_only = c->u.mount.read_only;
        m.mounted_ms = now_ms;
        rc = store_mount_put(f->st, &m, res->errmsg);
        if (rc == 0) {
            mount_table_put(f->mounts, &m);
        }
    }
    path_clear(&p);
    return rc;
}

/* OP_UNMOUNT: forget the mount and remove the mount point's subtree from
 * the namespace (the under storage keeps its files). */
static int apply_unmount(struct fsm *f, const struct cmd *c, int64_t now_ms,
                         uint64_t index, struct cmd_result *res)
{
    struct cmd del = {0};
    int rc;

    if (f->mounts == NULL || !mount_find(f->mounts, c->path, NULL)) {
        bn_errmsg_printf(res->errmsg, "%.200s is not a mount point", c->path);
        return BN_ENOTMOUNT;
    }
    del.op = OP_DELETE;
    del.flags = CMD_F_RECURSIVE;
    del.path = c->path;
    rc = ns_apply(f->ns, &del, now_ms, index, res);
    if (rc == BN_ENOTFOUND) {
        res->errmsg[0] = '\0';
        rc = 0;
    }
    if (rc == 0) {
        rc = store_mount_del(f->st, c->path, res->errmsg);
    }
    if (rc == 0) {
        mount_table_del(f->mounts, c->path);
    }
    return rc;
}

static int apply_node_put(struct fsm *f, const struct cmd *c, int64_t now_ms,
                          uint64_t index, struct cmd_result *res)
{
    const struct op_node_put *a = &c->u.node_put;
    int rc = store_node_put(f->st, a->node_id, a->http, a->raft, res->errmsg);

    (void)now_ms;
    (void)index;
    if (rc == 0 && f->hooks.node != NULL) {
        f->hooks.node(f->hooks.arg, a->node_id, a->http, a->raft);
    }
    return rc;
}

static int apply_node_del(struct fsm *f, const struct cmd *c, int64_t now_ms,
                          uint64_t index, struct cmd_result *res)
{
    int rc = store_node_del(f->st, c->u.node_del.node_id, res->errmsg);

    (void)now_ms;
    (void)index;
    if (rc == 0 && f->hooks.node != NULL) {
        f->hooks.node(f->hooks.arg, c->u.node_del.node_id, NULL, NULL);
    }
    return rc;
}

static int apply_idem_expire(struct fsm *f, const struct cmd *c, int64_t now_ms,
                             uint64_t index, struct cmd_result *res)
{
    (void)now_ms;
    (void)index;
    return store_idem_expire(f->st, c->u.idem_expire.before_ms,
                             c->u.idem_expire.keep, res->errmsg);
}

typedef int (*apply_fn)(struct fsm *f, const struct cmd *c, int64_t now_ms,
                        uint64_t index, struct cmd_result *res);

/* The APPLY column of the mount and cluster rows (op.h); the namespace
 * rows are ns_apply()'s. */
static const apply_fn applies[OP_ID_MAX] = {
#define FSM__APPLY(ID, CODE, NAME, KIND, FLAGS, PERM, METRIC, CODEC, APPLY)    \
    [OP_##ID] = APPLY,
    OP_MOUNT_MAP(FSM__APPLY) OP_CLUSTER_MAP(FSM__APPLY)
#undef FSM__APPLY
};

bool fsm_applies(int op)
{
    return op >= 0 && op < OP_ID_MAX &&
           (applies[op] != NULL || (cmd_op_is_ns(op) && ns_applies(op)));
}

/* The mount and cluster-state commands. An op without an apply here was
 * decoded but cannot be applied: this replica would diverge. */
static int apply_cluster(struct fsm *f, const struct cmd *c, int64_t now_ms,
                         uint64_t index, struct cmd_result *res)
{
    int rc;

    if (c->op < 0 || c->op >= OP_ID_MAX || applies[c->op] == NULL) {
        bn_errmsg_printf(res->errmsg, "no apply for op %d (%s)", c->op,
                         op_name(c->op));
        rc = BN_ECORRUPT;
    } else {
        rc = applies[c->op](f, c, now_ms, index, res);
    }
    res->rc = rc;
    return rc;
}

/* Apply one command, or answer it with the remembered outcome of its
 * Idempotency-Key. Returns res->rc, or a fatal store error. */
static int apply_one(struct fsm *f, const struct cmd *c, int64_t now_ms,
                     uint64_t index, struct cmd_result *res)
{
    struct db_idem rec;
    uint64_t fp = 0;
    int rc;

    res->index = index;
    if (!cmd_op_is_ns(c->op)) {
        return apply_cluster(f, c, now_ms, index, res);
    }
    if ((c->flags & CMD_F_IDEM_KEY) == 0) {
        return ns_apply(f->ns, c, now_ms, index, res);
    }
    fp = cmd_fingerprint(c);
    rc = store_idem_get(f->st, c->idem_key, &rec, res->errmsg);
    if (rc == 0) {
        if (rec.fp != fp) {
            inode_clear(&rec.ino);
            bn_errmsg_printf(res->errmsg,
                             "Idempotency-Key '%.64s' was used for a "
                             "different request",
                             c->idem_key);
            res->rc = BN_ECONFLICT;
            return res->rc;
        }
        /* The first outcome, with the inode as the first answer had it. */
        res->replayed = true;
        res->rc = rec.rc;
        bn_errmsg_printf(res->errmsg, "%s", rec.errmsg);
        res->has_ino = rec.has_ino;
        res->ino = rec.ino;
        return res->rc;
    }
    if (rc != BN_ENOTFOUND) {
        return rc;
    }
    rc = ns_apply(f->ns, c, now_ms, index, res);
    if (bn_err_apply_fatal(rc)) {
        return rc;
    }
    memset(&rec, 0, sizeof(rec));
    rec.fp = fp;
    rec.rc = res->rc;
    bn_errmsg_printf(rec.errmsg, "%s", res->rc != 0 ? res->errmsg : "");
    rec.has_ino = res->rc == 0 && res->has_ino;
    if (rec.has_ino) {
        rec.ino = res->ino; /* borrowed for the put */
    }
    rc = store_idem_put(f->st, c->idem_key, now_ms, &rec, res->errmsg);
    return rc != 0 ? rc : res->rc;
}

int fsm_apply_batch(struct fsm *f, const void *buf, size_t len, uint64_t index,
                    char errmsg[BN_ERRMSG_SIZE])
{
    struct cmd_batch_hdr hdr;
    struct cmd **cmds = NULL;
    struct cmd_result **res;
    int rc;

    if (index <= store_applied(f->st)) {
        return 0; /* already in the store: replay after a restart */
    }
    rc = cmd_batch_decode(buf, len, &hdr, &cmds, errmsg);
    if (rc != 0) {
        bn_errmsg_wrapf(errmsg, "decode entry %llu", (unsigned long long)index);
        return rc;
    }
    metrics_apply_batch(hdr.count);
    rc = store_begin(f->st, errmsg);
    if (rc != 0) {
        goto out;
    }
    if (f->txn_entries == 0) {
        f->txn_start_ms = (uint64_t)bn_clock_mono_ms();
    }
    res = bn_calloc(hdr.count, sizeof(*res));
    for (uint32_t i = 0; i < hdr.count; i++) {
        res[i] = cmd_result_new();
        rc = apply_one(f, cmds[i], hdr.now_ms, index, res[i]);
        if (bn_err_apply_fatal(rc)) {
            bn_errmsg_printf(errmsg, "apply entry %llu: %s",
                             (unsigned long long)index, res[i]->errmsg);
            for (uint32_t j = 0; j <= i; j++) {
                cmd_result_free(res[j]);
            }
            free(res);
            goto out;
        }
    }
    rc = 0;
    store_set_applied(f->st, index);
    f->txn_entries++;
    rc = fsm_flush(f, f->txn_entries >= FSM_GROUP_ENTRIES, errmsg);
    if (rc != 0) {
        for (uint32_t j = 0; j < hdr.count; j++) {
            cmd_result_free(res[j]);
        }
        free(res);
        goto out;
    }
    if (f->deliver != NULL) {
        f->deliver(f->arg, hdr.origin, hdr.seq, res, hdr.count);
    } else {
        for (uint32_t j = 0; j < hdr.count; j++) {
            cmd_result_free(res[j]);
        }
        free(res);
    }
out:
    for (uint32_t i = 0; i < hdr.count; i++) {
        cmd_free(cmds[i]);
    }
    free(cmds);
    return rc;
}

static int fsm_apply_cb(struct raft_fsm *rf, const struct raft_buffer *buf,
                        void **result)
{
    struct fsm *f = rf->data;
    char errmsg[BN_ERRMSG_SIZE] = "";
    /* libraft calls apply for entry last_applied + 1. */
    uint64_t index = raft_last_applied(f->raft) + 1;
    int rc = fsm_apply_batch(f, buf->base, buf->len, index, errmsg);

    *result = NULL;
    if (rc != 0) {
        /* A replica that cannot apply a committed entry would diverge. */
        bn_panic("fsm: fatal: %s", errmsg);
    }
    return 0;
}

static int fsm_snapshot_cb(struct raft_fsm *rf, struct raft_buffer *bufs[],
                           unsigned *n_bufs)
{
    struct fsm *f = rf->data;
    char errmsg[BN_ERRMSG_SIZE] = "";
    unsigned char *p;
    int rc;

    /* Everything up to the applied index must be durable before raft
     * drops the log entries that would replay it. */
    rc = fsm_flush(f, true, errmsg);
    if (rc == 0) {
        rc = store_commit(f->st, true, errmsg);
    }
    if (rc != 0) {
        log_error("fsm", "snapshot: %s", errmsg);
        return RAFT_IOERR;
    }
    size_t hlen = f->http != NULL ? strlen(f->http) : 0;
    size_t len = (SNAP2_HDR + 4 + hlen + 7) & ~(size_t)7;

    *bufs = raft_malloc(sizeof(**bufs));
    p = raft_calloc(1, len);
    if (*bufs == NULL || p == NULL) {
        bn_panic("out of memory taking a snapshot of %zu bytes", len);
    }
    put_u32(p, SNAP_MAGIC2);
    put_u64(p + 8, store_applied(f->st));
    put_u64(p + 16, f->hooks.node_id);
    put_u32(p + SNAP2_HDR, (uint32_t)hlen);
    if (hlen > 0) {
        memcpy(p + SNAP2_HDR + 4, f->http, hlen);
    }
    (*bufs)[0].base = p;
    (*bufs)[0].len = len;
    *n_bufs = 1;
    log_info("fsm", "snapshot at applied index %llu",
             (unsigned long long)store_applied(f->st));
    return 0;
}

static int fsm_restore_cb(struct raft_fsm *rf, struct raft_buffer *buf)
{
    struct fsm *f = rf->data;
    const unsigned char *p = buf->base;
    uint64_t index;
    uint64_t origin = 0;
    char http[256] = "";
    char errmsg[BN_ERRMSG_SIZE] = "";
    uint64_t got = 0;
    int rc;

    if (buf->len == SNAP_LEN && get_u32(p) == SNAP_MAGIC) {
        index = get_u64(p + 4);
    } else if (buf->len >= SNAP2_HDR + 4 && get_u32(p) == SNAP_MAGIC2 &&
               get_u32(p + SNAP2_HDR) < sizeof(http) &&
               SNAP2_HDR + 4 + get_u32(p + SNAP2_HDR) <= buf->len) {
        index = get_u64(p + 8);
        origin = get_u64(p + 16);
        memcpy(http, p + SNAP2_HDR + 4, get_u32(p + SNAP2_HDR));
        http[get_u32(p + SNAP2_HDR)] = '\0';
    } else {
        log_error("fsm", "restore: not a banyan snapshot (%zu bytes)",
                  buf->len);
        return RAFT_CORRUPT;
    }
    if (index <= store_applied(f->st)) {
        /* The store holds it already: a restart, or a snapshot sent to a
         * node that was not that far behind. */
        raft_free(buf->base);
        return 0;
    }
    if (f->hooks.fetch == NULL || f->fetch_path == NULL) {
        log_error("fsm",
                  "restore: snapshot at index %llu is ahead of the store "
                  "(applied %llu) and there is no peer to fetch it from",
                  (unsigned long long)index,
                  (unsigned long long)store_applied(f->st));
        return RAFT_CORRUPT;
    }
    log_info("fsm",
             "restore: the store (applied %llu) is behind the snapshot at "
             "index %llu; fetching a checkpoint from node %llu (%s)",
             (unsigned long long)store_applied(f->st),
             (unsigned long long)index, (unsigned long long)origin,
             http[0] != '\0' ? http : "unknown address");
    rc = fsm_flush(f, true, errmsg);
    if (rc == 0) {
        rc = f->hooks.fetch(f->hooks.arg, index, origin, http, f->fetch_path,
                            errmsg);
    }
    if (rc == 0) {
        rc = db_verify(f->fetch_path, &got, errmsg);
        if (rc == 0 && got < index) {
            bn_errmsg_printf(
                errmsg, "the checkpoint holds index %llu, not %llu",
                (unsigned long long)got, (unsigned long long)index);
            rc = BN_ECORRUPT;
        }
    }
    if (rc == 0) {
        rc = ns_replace_store(f->ns, f->fetch_path, errmsg);
    }
    if (rc != 0) {
        log_error("fsm", "restore at index %llu: %s", (unsigned long long)index,
                  errmsg);
        (void)unlink(f->fetch_path);
        return RAFT_IOERR;
    }
    log_info("fsm", "restore: the store now holds index %llu",
             (unsigned long long)store_applied(f->st));
    if (f->hooks.node != NULL) {
        /* The node table came with the checkpoint: reload it. */
        f->hooks.node(f->hooks.arg, 0, NULL, NULL);
    }
    if (f->mounts != NULL && mount_table_load(f->mounts, f->st, errmsg) != 0) {
        log_error("fsm", "restore: mount table: %s", errmsg);
    }
    raft_free(buf->base);
    return 0;
}

struct fsm *fsm_new(struct ns *ns, struct store *st, fsm_deliver_fn deliver,
                    void *arg)
{
    struct fsm *f = bn_calloc(1, sizeof(*f));

    f->ns = ns;
    f->st = st;
    f->deliver = deliver;
    f->arg = arg;
    f->rf.version = 1;
    f->rf.data = f;
    f->rf.apply = fsm_apply_cb;
    f->rf.snapshot = fsm_snapshot_cb;
    f->rf.restore = fsm_restore_cb;
    return f;
}

void fsm_free(struct fsm *f)
{
    char errmsg[BN_ERRMSG_SIZE] = "";

    if (f == NULL) {
        return;
    }
    if (fsm_flush(f, true, errmsg) != 0) {
        log_error("fsm", "final commit: %s", errmsg);
    }
    free(f->http);
    free(f->fetch_path);
    free(f);
}

struct raft_fsm *fsm_raft(struct fsm *f)
{
    return &f->rf;
}

void fsm_set_mounts(struct fsm *f, struct mount_table *mt)
{
    f->mounts = mt;
}

void fsm_set_raft(struct fsm *f, struct raft *r)
{
    f->raft = r;
}

void fsm_set_hooks(struct fsm *f, const struct fsm_hooks *h)
{
    free(f->http);
    free(f->fetch_path);
    f->hooks = *h;
    f->http = h->http != NULL ? bn_strdup(h->http) : NULL;
    f->fetch_path = h->fetch_path != NULL ? bn_strdup(h->fetch_path) : NULL;
    f->hooks.http = f->http;
    f->hooks.fetch_path = f->fetch_path;
}
