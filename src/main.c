/*
 * banyand: wires the modules together. Config, then the store, the
 * namespace, the raft loop and the HTTP server; SIGTERM or SIGINT stop them
 * in reverse order (requests in flight finish, the store is committed and
 * closed).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "audit.h"
#include "config.h"
#include "datadir.h"
#include "errcode.h"
#include "http_routes.h"
#include "http_server.h"
#include "httpc.h"
#include "log.h"
#include "mem.h"
#include "mount.h"
#include "mount_io.h"
#include "notify.h"
#include "ns.h"
#include "repl.h"
#include "store.h"
#include "ufs.h"
#include "usync.h"

/* Room for max_connections sockets plus the store's and raft's files:
 * raise the soft limit on open files as far as the hard one allows (it is
 * 1024 in many shells and units, far below thousands of clients). */
static void raise_nofile(uint64_t connections)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)connections + 256;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want) {
        return;
    }
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want
                      ? want
                      : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want) {
        log_warn("main",
                 "open files limited to %llu: fewer than max_connections "
                 "(%llu) clients can connect",
                 (unsigned long long)rl.rlim_cur,
                 (unsigned long long)connections);
    }
}

int main(int argc, char **argv)
{
    struct config cfg;
    char errmsg[BN_ERRMSG_SIZE] = "";
    char path[4096];
    char raft_dir[4096];
    char fetch_path[4096];
    struct config_member *members = NULL;
    size_t n_members = 0;
    const char *self_http;
    struct store_options so;
    struct repl_options ro;
    struct store *st = NULL;
    struct ns *ns = NULL;
    struct mount_table *mounts = NULL;
    char *root_uri = NULL;
    int64_t sync_ms = 0;
    struct repl *repl = NULL;
    struct http_server *srv = NULL;
    struct http_deps deps;
    struct mount_io_opts mo;
    struct mount_io *mio = NULL;
    sigset_t sigs;
    int sig = 0;
    int lvl;
    int rc;

    config_init(&cfg);
    rc = config_parse_args(&cfg, argc, argv, stdout, errmsg);
    if (rc == 1) {
        config_clear(&cfg);
        return 0;
    }
    if (rc != 0) {
        (void)fprintf(stderr, "banyand: %s (see --help)\n", errmsg);
        config_clear(&cfg);
        return 2;
    }
    lvl = log_level_parse(cfg.log_level);
    log_level = lvl >= 0 ? lvl : BN_LOG_INFO;

    /* Signals are taken by sigwait() here; every thread created from now
     * on inherits the mask. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP); /* reopen the audit log */
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    raise_nofile(cfg.max_connections);
    httpc_global_init();
    if (config_parse_members(cfg.members, &members, &n_members, errmsg) != 0) {
        log_error("main", "members: %s", errmsg);
        rc = 1;
        goto out;
    }
    /* The address the other nodes know this node's API by. */
    self_http = cfg.listen;
    for (size_t i = 0; i < n_members; i++) {
        if (members[i].id == cfg.node_id) {
            self_http = members[i].http;
        }
    }
    if (datadir_mkdir_p(cfg.data_dir) != 0) {
        log_error("main", "data dir %s: %s", cfg.data_dir, strerror(errno));
        rc = 1;
        goto out;
    }
    /* One daemon a data dir: a second would write the same log and store. */
    if (datadir_lock(cfg.data_dir, errmsg, sizeof(errmsg)) < 0) {
        log_error("main", "%s", errmsg);
        rc = 1;
        goto out;
    }
    (void)snprintf(path, sizeof(path), "%s/banyan.db", cfg.data_dir);
    (void)snprintf(raft_dir, sizeof(raft_dir), "%s/raft", cfg.data_dir);
    (void)snprintf(fetch_path, sizeof(fetch_path), "%s/snapshot-in.db",
                   cfg.data_dir);
    if (audit_open(cfg.audit_file, errmsg) != 0) {
        log_error("main", "%s", errmsg);
        rc = 1;
        goto out;
    }
    so.path = path;
    so.cache_bytes = cfg.cache_bytes;
    so.readers = (unsigned)cfg.db_readers;
    rc = store_open(&st, &so, errmsg);
    if (rc != 0) {
        log_error("main", "%s", errmsg);
        goto out;
    }
    ns = ns_new(st, (unsigned)cfg.lock_stripes);
    if (ns == NULL) {
        rc = BN_EIO;
        goto out;
    }
    memset(&ro, 0, sizeof(ro));
    ro.node_id = cfg.node_id;
    ro.raft_listen = cfg.raft_listen;
    ro.dir = raft_dir;
    ro.election_timeout_ms = (unsigned)cfg.election_timeout_ms;
    ro.heartbeat_timeout_ms = (unsigned)cfg.heartbeat_timeout_ms;
    ro.snapshot_threshold = (unsigned)cfg.snapshot_threshold;
    ro.snapshot_trailing = (unsigned)cfg.snapshot_trailing;
    ro.batch_max = (unsigned)cfg.batch_max;
    ro.request_timeout_ms = (unsigned)cfg.request_timeout_ms;
    ro.http = self_http;
    ro.members = members;
    ro.n_members = n_members;
    ro.join = cfg.join != 0;
    ro.fetch_path = fetch_path;
    ro.snapshot_timeout_ms = (unsigned)cfg.snapshot_timeout_ms;
    ro.idempotency_keys = cfg.idempotency_keys;
    ro.idempotency_ttl_ms = cfg.idempotency_ttl_ms;
    if (usync_parse_policy(cfg.mount_sync, &sync_ms, errmsg) != 0 ||
        (strcmp(cfg.mount_write_type, "through") != 0 &&
         strcmp(cfg.mount_write_type, "cache_only") != 0)) {
        if (errmsg[0] == '\0') {
            bn_errmsg_printf(errmsg, "write_type must be through or "
                                     "cache_only");
        }
        log_error("main", "[mounts]: %s", errmsg);
        rc = 1;
        goto out_no_repl_stop;
    }
    if (cfg.mount_root_ufs != NULL && cfg.mount_root_ufs[0] != '\0') {
        struct ufs *u = NULL;

        if (ufs_open(cfg.mount_root_ufs, &u, errmsg) != 0) {
            log_error("main", "[mounts] root_ufs: %s", errmsg);
            rc = 1;
            goto out_no_repl_stop;
        }
        root_uri = bn_strdup(ufs_uri(u));
        ufs_close(u);
    }
    ro.root_ufs = root_uri;
    ro.root_read_only = cfg.mount_root_read_only != 0;
    ro.owner = cfg.default_owner;
    ro.group = cfg.default_group;
    mounts = mount_table_new();
    if (mount_table_load(mounts, st, errmsg) != 0) {
        log_error("main", "mount table: %s", errmsg);
        rc = 1;
        goto out_no_repl_stop;
    }
    ro.mounts = mounts;
    rc = repl_start(&repl, &ro, ns, st, errmsg);
    if (rc != 0) {
        log_error("main", "%s", errmsg);
        goto out_no_repl_stop;
    }
    memset(&mo, 0, sizeof(mo));
    mo.ns = ns;
    mo.repl = repl;
    mo.mounts = mounts;
    mo.owner = cfg.default_owner;
    mo.group = cfg.default_group;
    mo.write_type = cfg.mount_write_type;
    mo.timeout_ms = (unsigned)cfg.request_timeout_ms;
    rc = mount_io_new(&mo, &mio, errmsg);
    if (rc != 0) {
        log_error("main", "%s", errmsg);
        goto out;
    }
    deps.mio = mio;
    deps.cfg = &cfg;
    deps.ns = ns;
    deps.repl = repl;
    deps.st = st;
    deps.http = self_http;
    deps.mounts = mounts;
    deps.route_sets = http_routes_sets;
    deps.n_route_sets = http_routes_n_sets;
    rc = http_server_start(&srv, &deps, errmsg);
    if (rc != 0) {
        log_error("main", "%s", errmsg);
        goto out;
    }
    log_info("main", "banyand serving on http://%s, data in %s", cfg.listen,
             cfg.data_dir);
    notify_ready(cfg.listen);
    for (;;) {
        if (sigwait(&sigs, &sig) != 0) {
            continue;
        }
        if (sig != SIGHUP) {
            break;
        }
        /* logrotate moved the audit log: open the path again. */
        if (audit_reopen(errmsg) != 0) {
            log_error("main", "SIGHUP: %s", errmsg);
        } else {
            log_info("main", "SIGHUP: audit log reopened");
        }
    }
    notify_stopping();
    log_info("main", "signal %d: shutting down", sig);
    rc = 0;
out:
    http_server_stop(srv);
    mount_io_free(mio); /* before raft: its syncs propose */
    repl_stop(repl);
    ns_free(ns);
    store_close(st);
    mount_table_free(mounts);
    free(root_uri);
    audit_close();
    log_info("main", "stopped");
    free(members);
    config_clear(&cfg);
    return rc == 0 ? 0 : 1;

out_no_repl_stop:
    /* raft could not start: its half-open state is reclaimed by exit. */
    ns_free(ns);
    store_close(st);
    mount_table_free(mounts);
    free(root_uri);
    free(members);
    audit_close();
    config_clear(&cfg);
    return 1;
}
