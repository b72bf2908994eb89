/*
 * fsm: apply, snapshot and restore for libraft.
 *
 * SPDX-License-Identifier: MIT
 */
#include "fsm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <raft.h>

#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "ns.h"
#include "store.h"

#define SNAP_MAGIC 0x31534e42u /* "BNS1" */
/* Group commit of the store: entries share one SQLite transaction until
 * there are FSM_GROUP_ENTRIES of them or the oldest is FSM_GROUP_MS old.
 * The raft log is what makes an entry durable; the store's transaction
 * only has to land before raft compacts the log past it (snapshot commits
 * durably first) and a restart replays the rest. */
#define FSM_GROUP_ENTRIES 64
#define SNAP_LEN          12

struct fsm {
    struct raft_fsm rf;
    struct ns *ns;
    struct store *st;
    struct raft *raft;
    fsm_deliver_fn deliver;
    void *arg;
    unsigned txn_entries;  /* applied entries in the open transaction */
    uint64_t txn_start_ms; /* monotonic time the transaction began */
};

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int fsm_flush(struct fsm *f, bool force, char errmsg[BN_ERRMSG_SIZE])
{
    int rc;

    if (f->txn_entries == 0 ||
        (!force && mono_ms() - f->txn_start_ms < FSM_GROUP_MS)) {
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
        f->txn_start_ms = mono_ms();
    }
    res = bn_calloc(hdr.count, sizeof(*res));
    for (uint32_t i = 0; i < hdr.count; i++) {
        res[i] = cmd_result_new();
        rc = ns_apply(f->ns, cmds[i], hdr.now_ms, index, res[i]);
        if (rc == BN_EIO || rc == BN_ENOSPC || rc == BN_ECORRUPT ||
            rc == BN_EBUSY) {
            bn_errmsg_printf(errmsg, "apply entry %llu: %s",
                             (unsigned long long)index, res[i]->errmsg);
            for (uint32_t j = 0; j <= i; j++) {
                cmd_result_free(res[j]);
            }
            free(res);
            goto out;
        }
    }
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
        log_error("fsm", "fatal: %s", errmsg);
        abort();
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
    *bufs = raft_malloc(sizeof(**bufs));
    p = raft_malloc(SNAP_LEN);
    if (*bufs == NULL || p == NULL) {
        abort();
    }
    put_u32(p, SNAP_MAGIC);
    put_u64(p + 4, store_applied(f->st));
    (*bufs)[0].base = p;
    (*bufs)[0].len = SNAP_LEN;
    *n_bufs = 1;
    log_info("fsm", "snapshot at applied index %llu",
             (unsigned long long)store_applied(f->st));
    return 0;
}

static int fsm_restore_cb(struct raft_fsm *rf, struct raft_buffer *buf)
{
    struct fsm *f = rf->data;
    uint64_t index;

    if (buf->len != SNAP_LEN || get_u32(buf->base) != SNAP_MAGIC) {
        log_error("fsm", "restore: not a banyan snapshot (%zu bytes)",
                  buf->len);
        return RAFT_CORRUPT;
    }
    index = get_u64((const unsigned char *)buf->base + 4);
    if (index > store_applied(f->st)) {
        log_error("fsm",
                  "restore: snapshot at index %llu is ahead of the store "
                  "(applied %llu): the store file is missing or older than "
                  "the raft state",
                  (unsigned long long)index,
                  (unsigned long long)store_applied(f->st));
        return RAFT_CORRUPT;
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
    free(f);
}

struct raft_fsm *fsm_raft(struct fsm *f)
{
    return &f->rf;
}

void fsm_set_raft(struct fsm *f, struct raft *r)
{
    f->raft = r;
}
