/*
 * repl_chores: what the leader does besides proposing clients' commands,
 * on the loop's timer: it proposes the expiry of inodes whose TTL ran out
 * and of old Idempotency-Keys (so every node forgets the same ones at the
 * same index), mounts the config's root_ufs at / when it takes the lead,
 * and every node reclaims trashed rows in bounded batches.
 *
 * SPDX-License-Identifier: MIT
 */
#include "repl_int.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "invariant.h"
#include "log.h"
#include "mem.h"
#include "mount.h"
#include "store.h"
#include "ttl.h"

#define IDEM_SWEEP_MS    5000 /* how often the leader expires old keys */
#define TTL_SWEEP_MS     1000 /* how often it looks for expired inodes */
#define RECLAIM_PER_TICK 2000 /* trash rows reclaimed per tick, at most */

static uint64_t now_ms(void)
{
    return (uint64_t)bn_clock_wall_ms();
}

/* ---- the root mount (loop thread) -----------------------------------------
 */

static void root_mount_done(void *arg, struct cmd_result *res)
{
    struct repl *r = arg;

    if (res->rc != 0) {
        log_error("repl", "mounting %s at / ([mounts] root_ufs): %s",
                  r->o.root_ufs, res->errmsg);
    } else {
        log_info("repl", "mounted %s at / ([mounts] root_ufs)", r->o.root_ufs);
    }
    cmd_result_free(res);
}

/* A new leader mounts the config's root_ufs at / unless / is mounted; it
 * never changes a root mount on another URI, it says so. */
static void root_mount(struct repl *r)
{
    struct mount_info m = {0};
    struct cmd *c;

    if (r->o.root_ufs == NULL || r->o.root_ufs[0] == '\0' ||
        r->o.mounts == NULL) {
        return;
    }
    if (mount_find(r->o.mounts, "/", &m)) {
        if (strcmp(m.uri, r->o.root_ufs) != 0) {
            log_error("repl",
                      "[mounts] root_ufs is %s but / is mounted on %s; the "
                      "root mount is left as it is",
                      r->o.root_ufs, m.uri);
        }
        mount_info_clear(&m);
        return;
    }
    c = cmd_new(OP_MOUNT);
    c->path = bn_strdup("/");
    c->u.mount.uri = bn_strdup(r->o.root_ufs);
    c->u.mount.read_only = r->o.root_read_only;
    c->u.mount.owner =
        bn_strdup(r->o.owner != NULL ? r->o.owner : INODE_OWNER_DEFAULT);
    c->u.mount.group =
        bn_strdup(r->o.group != NULL ? r->o.group : INODE_OWNER_DEFAULT);
    (void)repl_submit(r, c, root_mount_done, r);
}

/* ---- Idempotency-Key expiry (loop thread) -------------------------------- */

static void idem_done(void *arg, struct cmd_result *res)
{
    struct repl *r = arg;

    r->idem_waiting = false;
    if (res->rc != 0) {
        log_warn("repl", "idempotency expiry: %s", res->errmsg);
        r->idem_used = true;
    }
    cmd_result_free(res);
}

/* The leader proposes the expiry of old keys, so every node forgets the
 * same ones at the same index. */
static void idem_step(struct repl *r, uint64_t now)
{
    struct cmd *c;

    if (!r->ready || r->closing || !r->idem_used || r->idem_waiting ||
        now < r->idem_next_ms) {
        return;
    }
    r->idem_next_ms = now + IDEM_SWEEP_MS;
    c = cmd_new(OP_IDEM_EXPIRE);
    c->u.idem_expire.before_ms =
        (int64_t)now_ms() - (int64_t)r->o.idempotency_ttl_ms;
    c->u.idem_expire.keep = r->o.idempotency_keys;
    if (repl_submit(r, c, idem_done, r) == 0) {
        r->idem_waiting = true;
        r->idem_used = false;
    }
}

/* Reclaim a bounded batch of trashed rows (recursive deletes unlink a
 * subtree at once; its rows go here, a few thousand per tick, so apply is
 * never held for long). The trash is not part of the replicated state;
 * each node reclaims at its own pace. */
static void reclaim_step(struct repl *r)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    int n;

    if (!store_has_trash(r->st)) {
        return;
    }
    if (store_begin(r->st, errmsg) != 0) {
        log_error("repl", "reclaim: %s", errmsg);
        return;
    }
    n = store_reclaim(r->st, RECLAIM_PER_TICK, errmsg);
    if (n < 0) {
        log_error("repl", "reclaim: %s", errmsg);
    }
    if (store_commit(r->st, false, errmsg) != 0) {
        bn_panic("repl: reclaim commit: %s", errmsg);
    }
    if (n > 0) {
        log_debug("repl", "reclaimed %d trashed inodes", n);
    }
}

static void ttl_done(void *arg, struct cmd_result *res)
{
    struct repl *r = arg;

    r->ttl_waiting--;
    /* Changed or gone since the sweep saw it: the next sweep judges it
     * again. Anything else is worth a look. */
    if (res->rc != 0 && res->rc != BN_EPRECOND && res->rc != BN_ENOTFOUND) {
        log_warn("ttl", "%s", res->errmsg);
    }
    cmd_result_free(res);
}

/* The leader proposes the expiry of inodes whose TTL has run out, one
 * sweep at a time (ttl.h). */
static void ttl_step(struct repl *r, uint64_t now)
{
    struct cmd *cmds[TTL_SWEEP_MAX];
    char errmsg[BN_ERRMSG_SIZE] = "";
    int n;

    if (!r->ready || r->closing || r->ttl_waiting > 0 || now < r->ttl_next_ms) {
        return;
    }
    r->ttl_next_ms = now + TTL_SWEEP_MS;
    n = ttl_commands(r->ns, r->st, (int64_t)now_ms(), TTL_SWEEP_MAX, cmds,
                     errmsg);
    if (n < 0) {
        log_error("ttl", "sweep: %s", errmsg);
        return;
    }
    for (int i = 0; i < n; i++) {
        log_info("ttl", "%s expired: %s", cmds[i]->path,
                 cmds[i]->op == OP_DELETE ? "delete" : "clear the ttl");
        if (repl_submit(r, cmds[i], ttl_done, r) == 0) {
            r->ttl_waiting++;
        }
    }
}

/* ---- from the loop ------------------------------------------------------ */

void repl__chores_lead(struct repl *r)
{
    r->idem_used = true; /* expire what earlier leaders left */
    root_mount(r);
}

void repl__chores_tick(struct repl *r, uint64_t now)
{
    reclaim_step(r);
    ttl_step(r, now);
    idem_step(r, now);
}
