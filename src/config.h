/*
 * config: the daemon's settings, from built-in defaults, then an INI file,
 * then command-line flags, each overriding the one before.
 *
 * Every option is one row of a table in config.c (key, type, offset,
 * default, min, max, help); the table drives parsing, validation, --help
 * and --print-config. conf/banyan.conf documents every key with its
 * default (test_config checks it).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_CONFIG_H
#define BANYAN_SRC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "errcode.h"

#define CONFIG_VERSION "0.1.0" /* printed by --version as "banyand 0.1.0" */

struct config {
    /* [node] */
    uint64_t node_id; /* node_id = 1 */
    char *data_dir;   /* data_dir = ./data */
    /* [http] */
    char *listen;                /* listen = 127.0.0.1:8420 (host:port) */
    uint64_t http_threads;       /* http_threads = 0 (0: 2 x cores) */
    uint64_t max_connections;    /* max_connections = 10000 */
    uint64_t max_body_bytes;     /* max_body_bytes = 1MiB */
    uint64_t request_timeout_ms; /* request_timeout_ms = 10000 */
    char *web_root;              /* web_root = ./web (the dashboard) */
    /* [raft] */
    char *raft_listen;             /* raft_listen = 127.0.0.1:8421 */
    uint64_t election_timeout_ms;  /* election_timeout_ms = 1000 */
    uint64_t heartbeat_timeout_ms; /* heartbeat_timeout_ms = 100 */
    uint64_t snapshot_threshold;   /* snapshot_threshold = 8192 */
    uint64_t snapshot_trailing;    /* snapshot_trailing = 8192 */
    uint64_t batch_max;            /* batch_max = 1024 commands a raft entry */
    /* [cluster] */
    char *members;                /* members = (empty: this node alone) */
    uint64_t join;                /* join = false */
    uint64_t idempotency_keys;    /* idempotency_keys = 100000 */
    uint64_t idempotency_ttl_ms;  /* idempotency_ttl_ms = 600000 */
    uint64_t snapshot_timeout_ms; /* snapshot_timeout_ms = 3600000 */
    /* [store] */
    uint64_t cache_bytes;  /* cache_bytes = 256MiB */
    uint64_t lock_stripes; /* lock_stripes = 4096 */
    uint64_t db_readers;   /* db_readers = 8 SQLite read connections */
    /* [namespace] */
    char *default_owner; /* default_owner = banyan */
    char *default_group; /* default_group = banyan */
    /* [mounts] */
    char *mount_sync;              /* sync = never (never, always or 60s) */
    char *mount_write_type;        /* write_type = through (or cache_only) */
    char *mount_root_ufs;          /* root_ufs = "" (a URI mounted at /) */
    uint64_t mount_root_read_only; /* root_read_only = false */
    /* [log] */
    char *log_level;  /* log_level = info */
    char *audit_file; /* audit_file = (empty: no audit log) */
};

/* How a value is written and checked. */
enum config_type {
    CONFIG_STR,      /* a string; min and max bound its length in bytes */
    CONFIG_ADDR,     /* host:port or [v6]:port, kept as a string */
    CONFIG_U64,      /* a decimal integer in min..max */
    CONFIG_SIZE,     /* a size in bytes, config_parse_size(), in min..max */
    CONFIG_LOGLEVEL, /* error, warn, info or debug, kept as a string */
    CONFIG_MEMBERS,  /* "ID HTTP RAFT, ..." (config_parse_members), kept as
                      * a string; may be empty; lines of it in a file add up */
    CONFIG_BOOL,     /* true or false, kept as 0 or 1 in a uint64_t */
};

/* One node of the cluster, as the members key names it. */
#define CONFIG_ADDR_MAX 255
struct config_member {
    uint64_t id;
    char http[CONFIG_ADDR_MAX + 1]; /* host:port of its HTTP API */
    char raft[CONFIG_ADDR_MAX + 1]; /* host:port of its raft transport */
};

/* One row of the option table. */
struct config_option {
    const char *key;     /* "cache_bytes" */
    const char *section; /* "store", without brackets */
    enum config_type type;
    size_t offset;   /* of the field in struct config */
    const char *def; /* default, as conf/banyan.conf writes it */
    uint64_t min;
    uint64_t max;
    const char *help; /* one line */
};

/* The option table */

/* The @i-th row of the option table, or NULL past the end. Returns a
 * borrowed pointer to static data. Any thread. */
const struct config_option *config_option_at(size_t i);

/* The row for @key, or NULL when there is none. Any thread. */
const struct config_option *config_option_find(const char *key);

/* Life cycle and layers */

/* Fill @cfg with the built-in defaults. Free with config_clear(). */
void config_init(struct config *cfg);

/* Release the strings of @cfg. */
void config_clear(struct config *cfg);

/* Read the INI file at @path over @cfg. Unknown sections or keys, values
 * that do not parse and values out of range are errors. Returns 0, or
 * BN_EINVAL / BN_EIO with "file:line: reason" in @errmsg. Also errors: a
 * key set twice, a key outside its section, and a line longer than
 * libinih's line buffer (198 bytes). Leading blanks are ignored, so there
 * are no continuation lines. On error @cfg
 * may hold the values of the lines before the bad one; it is still valid
 * for config_clear(). */
int config_load_file(struct config *cfg, const char *path,
                     char errmsg[BN_ERRMSG_SIZE]);

/* Set one option by its key ("cache_bytes") from a string ("64MiB").
 * Returns 0 or BN_EINVAL with the reason. */
int config_set(struct config *cfg, const char *key, const char *value,
               char errmsg[BN_ERRMSG_SIZE]);

/* Parse argv: --config FILE is read first, then every other flag
 * (--listen, --data-dir, --node-id, --raft-listen, --cache-bytes,
 * --log-level, and --set key=value for any key) overrides the file.
 * Returns 0; 1 when --help, --version or --print-config printed
 * something to @out and the program should exit 0; BN_EINVAL with the
 * reason on a bad flag. */
int config_parse_args(struct config *cfg, int argc, char **argv, FILE *out,
                      char errmsg[BN_ERRMSG_SIZE]);

/* Print every key with its current value in INI form; the output loads
 * back with config_load_file(). */
void config_print(const struct config *cfg, FILE *out);

/* Check the rules that tie options together (heartbeat_timeout_ms below
 * election_timeout_ms). config_parse_args() calls it after the last layer.
 * Returns 0 or BN_EINVAL with the reason. */
int config_check(const struct config *cfg, char errmsg[BN_ERRMSG_SIZE]);

/* Parse a members list: "ID HTTP RAFT" entries separated by commas, e.g.
 * "1 127.0.0.1:8420 127.0.0.1:8421, 2 127.0.0.1:8430 127.0.0.1:8431".
 * Ids are unique and nonzero, addresses host:port. On success *out is a
 * new array of *n members (free()); an empty list gives NULL and 0.
 * Returns 0 or BN_EINVAL with the reason. Any thread. */
int config_parse_members(const char *spec, struct config_member **out,
                         size_t *n, char errmsg[BN_ERRMSG_SIZE]);

/* Parse a size: "123", "64KiB", "64MiB", "1GiB" (also KB/MB/GB as powers
 * of 1000). Also accepted: a "B" suffix, TiB and TB, units in any case and
 * spaces between number and unit. Returns 0 or BN_EINVAL (also on
 * overflow), leaving @out untouched on error. */
int config_parse_size(const char *s, uint64_t *out);

#endif /* BANYAN_SRC_CONFIG_H */
