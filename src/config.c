/*
 * config: the option table and the three layers that fill struct config
 * (defaults, INI file, flags).
 *
 * Every option is one row of options[]: parsing, range checks, --help and
 * --print-config all read it, and the defaults are applied through the
 * same parser as user input, so a default that does not parse fails the
 * first config_init() (Redis config.c). This is the only file that
 * includes <ini.h>. libinih reports only "first bad line", so the reader
 * below counts lines itself and the first error stops the parse.
 *
 * Adding a key? Add its field to struct config (with the default in the
 * comment), its row here and its line to conf/banyan.conf; test_config
 * checks the conf file.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "addr.h"
#include "inode.h"
#include "invariant.h"
#include "log.h"
#include "mem.h"

#define SZ_KIB 1024ULL
#define SZ_MIB (1024ULL * SZ_KIB)
#define SZ_GIB (1024ULL * SZ_MIB)
#define SZ_TIB (1024ULL * SZ_GIB)

#define F(field) offsetof(struct config, field)

static const struct config_option options[] = {
    {"node_id", "node", CONFIG_U64, F(node_id), "1", 1, UINT64_MAX,
     "raft id of this node, unique in the cluster"},
    {"data_dir", "node", CONFIG_STR, F(data_dir), "./data", 1, 4000,
     "directory of the database and the raft log"},

    {"listen", "http", CONFIG_ADDR, F(listen), "127.0.0.1:8420", 1, 255,
     "HTTP address, host:port or [v6]:port"},
    {"http_threads", "http", CONFIG_U64, F(http_threads), "0", 0, 1024,
     "HTTP worker threads; 0 means twice the number of cores"},
    {"max_connections", "http", CONFIG_U64, F(max_connections), "10000", 1,
     1000000, "most HTTP connections open at once"},
    {"max_body_bytes", "http", CONFIG_SIZE, F(max_body_bytes), "1MiB", SZ_KIB,
     SZ_GIB, "largest request body accepted"},
    {"request_timeout_ms", "http", CONFIG_U64, F(request_timeout_ms), "10000",
     100, 3600000, "how long a request may wait for its write to apply"},
    {"web_root", "http", CONFIG_STR, F(web_root), "./web", 1, 4000,
     "directory of the web dashboard's files, served at /"},

    {"raft_listen", "raft", CONFIG_ADDR, F(raft_listen), "127.0.0.1:8421", 1,
     255, "raft address of this node, host:port"},
    {"election_timeout_ms", "raft", CONFIG_U64, F(election_timeout_ms), "1000",
     100, 60000, "raft election timeout"},
    {"heartbeat_timeout_ms", "raft", CONFIG_U64, F(heartbeat_timeout_ms), "100",
     10, 30000, "raft heartbeat interval, below election_timeout_ms"},
    {"snapshot_threshold", "raft", CONFIG_U64, F(snapshot_threshold), "8192", 1,
     UINT32_MAX, "raft entries between two snapshots"},
    {"snapshot_trailing", "raft", CONFIG_U64, F(snapshot_trailing), "8192", 0,
     UINT32_MAX, "raft entries kept after a snapshot for slow followers"},
    {"batch_max", "raft", CONFIG_U64, F(batch_max), "1024", 1, 4096,
     "most commands in one raft entry"},

    {"members", "cluster", CONFIG_MEMBERS, F(members), "", 0, 4000,
     "initial members: \"ID HTTP RAFT, ...\"; empty: this node alone"},
    {"join", "cluster", CONFIG_BOOL, F(join), "false", 0, 1,
     "true: start empty and wait to be added by the leader"},
    {"idempotency_keys", "cluster", CONFIG_U64, F(idempotency_keys), "100000",
     1, 10000000, "Idempotency-Key outcomes remembered, at most"},
    {"idempotency_ttl_ms", "cluster", CONFIG_U64, F(idempotency_ttl_ms),
     "600000", 1000, 604800000, "how long an Idempotency-Key is remembered"},
    {"snapshot_timeout_ms", "cluster", CONFIG_U64, F(snapshot_timeout_ms),
     "3600000", 1000, 86400000, "longest download of a snapshot from a peer"},

    {"cache_bytes", "store", CONFIG_SIZE, F(cache_bytes), "256MiB", SZ_MIB,
     16 * SZ_TIB, "memory budget of the inode and edge cache"},
    {"lock_stripes", "store", CONFIG_U64, F(lock_stripes), "4096", 1, 1048576,
     "stripes of the lock pool, rounded up to a power of two"},
    {"db_readers", "store", CONFIG_U64, F(db_readers), "8", 1, 64,
     "SQLite read connections"},

    {"default_owner", "namespace", CONFIG_STR, F(default_owner),
     INODE_OWNER_DEFAULT, 1, 255,
     "owner of a new inode when the request names none"},
    {"default_group", "namespace", CONFIG_STR, F(default_group),
     INODE_OWNER_DEFAULT, 1, 255,
     "group of a new inode when the request names none"},

    {"sync", "mounts", CONFIG_STR, F(mount_sync), "never", 1, 32,
     "default sync of reads under a mount: never, always or an interval"},
    {"write_type", "mounts", CONFIG_STR, F(mount_write_type), "through", 1, 32,
     "default write type under a mount: through or cache_only"},
    {"root_ufs", "mounts", CONFIG_STR, F(mount_root_ufs), "", 0, 4000,
     "under-storage URI mounted at / at start; empty: none"},
    {"root_read_only", "mounts", CONFIG_BOOL, F(mount_root_read_only), "false",
     0, 1, "true: the root mount refuses writes"},

    {"log_level", "log", CONFIG_LOGLEVEL, F(log_level), "info", 0, 0,
     "error, warn, info or debug"},
    {"audit_file", "log", CONFIG_STR, F(audit_file), "", 0, 4000,
     "file of the audit log, a JSON line a mutation; empty: no audit log"},
};

#undef F

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

const struct config_option *config_option_at(size_t i)
{
    return i < N_OPTIONS ? &options[i] : NULL;
}

const struct config_option *config_option_find(const char *key)
{
    for (size_t i = 0; key != NULL && i < N_OPTIONS; i++) {
        if (strcmp(options[i].key, key) == 0) {
            return &options[i];
        }
    }
    return NULL;
}

static bool known_section(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if (strlen(options[i].section) == len &&
            memcmp(options[i].section, name, len) == 0) {
            return true;
        }
    }
    return false;
}

static char **str_field(struct config *cfg, const struct config_option *o)
{
    void *p = (char *)cfg + o->offset;

    return p;
}

static uint64_t *u64_field(struct config *cfg, const struct config_option *o)
{
    void *p = (char *)cfg + o->offset;

    return p;
}

static uint64_t u64_value(const struct config *cfg,
                          const struct config_option *o)
{
    const void *p = (const char *)cfg + o->offset;
    const uint64_t *v = p;

    return *v;
}

static const char *str_value(const struct config *cfg,
                             const struct config_option *o)
{
    const void *p = (const char *)cfg + o->offset;
    char *const *v = p;

    return *v != NULL ? *v : "";
}

/* Write @v with the largest binary unit that divides it ("256MiB"). */
static void format_size(uint64_t v, char *buf, size_t len)
{
    static const struct {
        const char *unit;
        uint64_t mult;
    } units[] = {
        {"TiB", SZ_TIB}, {"GiB", SZ_GIB}, {"MiB", SZ_MIB}, {"KiB", SZ_KIB}};

    for (size_t i = 0; v != 0 && i < sizeof(units) / sizeof(units[0]); i++) {
        if (v % units[i].mult == 0) {
            (void)snprintf(buf, len, "%llu%s",
                           (unsigned long long)(v / units[i].mult),
                           units[i].unit);
            return;
        }
    }
    (void)snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void format_value(const struct config_option *o, uint64_t v, char *buf,
                         size_t len)
{
    if (o->type == CONFIG_BOOL) {
        (void)snprintf(buf, len, "%s", v != 0 ? "true" : "false");
    } else if (o->type == CONFIG_SIZE) {
        format_size(v, buf, len);
    } else {
        (void)snprintf(buf, len, "%llu", (unsigned long long)v);
    }
}

int config_parse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *unit;
        uint64_t mult;
    } units[] = {{"", 1},
                 {"B", 1},
                 {"KiB", SZ_KIB},
                 {"MiB", SZ_MIB},
                 {"GiB", SZ_GIB},
                 {"TiB", SZ_TIB},
                 {"KB", 1000ULL},
                 {"MB", 1000000ULL},
                 {"GB", 1000000000ULL},
                 {"TB", 1000000000000ULL}};
    unsigned long long v;
    char *end;

    if (s == NULL || s[0] < '0' || s[0] > '9') {
        return BN_EINVAL;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno == ERANGE) {
        return BN_EINVAL;
    }
    while (*end == ' ') {
        end++;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(end, units[i].unit) == 0) {
            if (v > UINT64_MAX / units[i].mult) {
                return BN_EINVAL;
            }
            *out = v * units[i].mult;
            return 0;
        }
    }
    return BN_EINVAL;
}

/* Options kept as strings. */
static bool is_text(const struct config_option *o)
{
    return o->type == CONFIG_STR || o->type == CONFIG_ADDR ||
           o->type == CONFIG_LOGLEVEL || o->type == CONFIG_MEMBERS;
}

/* host:port or [v6]:port, with a port from 1 to 65535. */
static int check_addr(const char *value, char why[BN_ERRMSG_SIZE])
{
    return addr_parse(value, NULL, why);
}

int config_parse_members(const char *spec, struct config_member **out,
                         size_t *n, char errmsg[BN_ERRMSG_SIZE])
{
    struct config_member *m = NULL;
    size_t count = 0;
    const char *p = spec;

    *out = NULL;
    *n = 0;
    while (*p != '\0') {
        char item[3 * (CONFIG_ADDR_MAX + 2)];
        char id_s[32];
        char extra[2];
        struct config_member x;
        size_t len = strcspn(p, ",");
        char *end;
        int k;

        memset(&x, 0, sizeof(x));
        if (len >= sizeof(item)) {
            bn_errmsg_printf(errmsg, "member '%.40s...' is too long", p);
            goto bad;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        p += len;
        if (*p == ',') {
            p++;
        }
        if (item[strspn(item, " \t")] == '\0') {
            if (*p == '\0' && count > 0) {
                break; /* a trailing comma */
            }
            bn_errmsg_printf(errmsg, "an empty member in the list");
            goto bad;
        }
        k = sscanf(item, " %31s %255s %255s %1s", id_s, x.http, x.raft, extra);
        if (k != 3) {
            bn_errmsg_printf(errmsg,
                             "member '%.64s' is not \"ID HTTP-ADDR "
                             "RAFT-ADDR\"",
                             item);
            goto bad;
        }
        errno = 0;
        x.id = id_s[0] >= '1' && id_s[0] <= '9'
                   ? (uint64_t)strtoull(id_s, &end, 10)
                   : 0;
        if (x.id == 0 || errno != 0 || *end != '\0') {
            bn_errmsg_printf(errmsg, "member id '%.32s' is not a number from 1",
                             id_s);
            goto bad;
        }
        if (check_addr(x.http, errmsg) != 0 ||
            check_addr(x.raft, errmsg) != 0) {
            bn_errmsg_wrapf(errmsg, "member %llu", (unsigned long long)x.id);
            goto bad;
        }
        for (size_t i = 0; i < count; i++) {
            if (m[i].id == x.id) {
                bn_errmsg_printf(errmsg, "member %llu is listed twice",
                                 (unsigned long long)x.id);
                goto bad;
            }
        }
        m = bn_realloc(m, (count + 1) * sizeof(*m));
        m[count++] = x;
    }
    *out = m;
    *n = count;
    return 0;
bad:
    free(m);
    return BN_EINVAL;
}

static int parse_u64(const char *s, uint64_t *out)
{
    unsigned long long v;
    char *end;

    if (s[0] < '0' || s[0] > '9') {
        return BN_EINVAL;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno == ERANGE || *end != '\0') {
        return BN_EINVAL;
    }
    *out = v;
    return 0;
}

/* Parse @value for @o and store it in @cfg. On error @why gets a reason
 * that does not name the key; @cfg is unchanged. */
static int set_value(struct config *cfg, const struct config_option *o,
                     const char *value, char why[BN_ERRMSG_SIZE])
{
    char lo[32];
    char hi[32];
    uint64_t v = 0;
    size_t len = strlen(value);

    switch (o->type) {
    case CONFIG_STR:
        /* A minimum of 0 allows the empty string ("off"). */
        if ((len == 0 && o->min > 0) || len < o->min) {
            bn_errmsg_printf(why, "must not be empty");
            return BN_EINVAL;
        }
        if (len > o->max) {
            bn_errmsg_printf(why, "is longer than %llu bytes",
                             (unsigned long long)o->max);
            return BN_EINVAL;
        }
        for (size_t i = 0; i < len; i++) {
            if ((unsigned char)value[i] < 0x20 || value[i] == 0x7F) {
                bn_errmsg_printf(why, "has a control character");
                return BN_EINVAL;
            }
        }
        break;
    case CONFIG_ADDR:
        if (check_addr(value, why) != 0) {
            return BN_EINVAL;
        }
        break;
    case CONFIG_LOGLEVEL:
        if (log_level_parse(value) < 0) {
            bn_errmsg_printf(why,
                             "'%.64s' is not a level (error, warn, info or "
                             "debug)",
                             value);
            return BN_EINVAL;
        }
        break;
    case CONFIG_MEMBERS: {
        struct config_member *m = NULL;
        size_t n = 0;

        if (len > o->max) {
            bn_errmsg_printf(why, "is longer than %llu bytes",
                             (unsigned long long)o->max);
            return BN_EINVAL;
        }
        if (config_parse_members(value, &m, &n, why) != 0) {
            return BN_EINVAL;
        }
        free(m);
        break;
    }
    case CONFIG_BOOL:
        if (strcmp(value, "true") == 0) {
            v = 1;
        } else if (strcmp(value, "false") != 0) {
            bn_errmsg_printf(why, "'%.64s' is not true or false", value);
            return BN_EINVAL;
        }
        break;
    case CONFIG_U64:
        if (parse_u64(value, &v) != 0) {
            bn_errmsg_printf(why, "'%.64s' is not a whole number", value);
            return BN_EINVAL;
        }
        break;
    case CONFIG_SIZE:
        if (config_parse_size(value, &v) != 0) {
            bn_errmsg_printf(why,
                             "'%.64s' is not a size (e.g. 123, 64KiB, 64MiB, "
                             "1GiB, 10MB)",
                             value);
            return BN_EINVAL;
        }
        break;
    }
    if (is_text(o)) {
        char **field = str_field(cfg, o);

        free(*field);
        *field = bn_strdup(value);
        return 0;
    }
    if (v < o->min || v > o->max) {
        format_value(o, o->min, lo, sizeof(lo));
        format_value(o, o->max, hi, sizeof(hi));
        bn_errmsg_printf(why, "%.64s is out of range (%s to %s)", value, lo,
                         hi);
        return BN_EINVAL;
    }
    *u64_field(cfg, o) = v;
    return 0;
}

void config_init(struct config *cfg)
{
    char why[BN_ERRMSG_SIZE];

    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < N_OPTIONS; i++) {
        int rc = set_value(cfg, &options[i], options[i].def, why);

        assert(rc == 0);
        (void)rc;
    }
}

void config_clear(struct config *cfg)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct config_option *o = &options[i];

        if (is_text(o)) {
            char **field = str_field(cfg, o);

            free(*field);
            *field = NULL;
        }
    }
}

int config_set(struct config *cfg, const char *key, const char *value,
               char errmsg[BN_ERRMSG_SIZE])
{
    const struct config_option *o = config_option_find(key);
    int rc;

    if (o == NULL) {
        bn_errmsg_printf(errmsg, "unknown key '%.64s'", key);
        return BN_EINVAL;
    }
    if (value == NULL) {
        bn_errmsg_printf(errmsg, "%s: no value", o->key);
        return BN_EINVAL;
    }
    rc = set_value(cfg, o, value, errmsg);
    if (rc != 0) {
        bn_errmsg_wrapf(errmsg, "%s", o->key);
    }
    return rc;
}

/* ---- the INI layer ------------------------------------------------------ */

struct load {
    struct config *cfg;
    FILE *f;
    int line;       /* lines read so far, as libinih counts them */
    int read_errno; /* errno of a failed read, or 0 */
    int err_line;   /* line of the first error, 0 for none */
    char err[BN_ERRMSG_SIZE];
    int seen[N_OPTIONS]; /* line that set each key, 0 for not yet */
};

static void load_fail(struct load *ld, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void load_fail(struct load *ld, const char *fmt, ...)
{
    va_list ap;

    if (ld->err_line != 0) {
        return;
    }
    ld->err_line = ld->line;
    va_start(ap, fmt);
    (void)vsnprintf(ld->err, sizeof(ld->err), fmt, ap);
    va_end(ap);
}

/* libinih's reader: one line a call, like fgets(). It also rejects what
 * libinih would silently accept (a line cut by its buffer, an unknown
 * section with no keys), stops at the first error, and drops leading
 * blanks: libinih would take an indented line for the continuation of the
 * value above it, so "  key = v" would silently become part of that value.
 * Without indentation, a stray value line is a syntax error instead. */
static char *read_line(char *str, int num, void *stream)
{
    struct load *ld = stream;
    char *p;
    size_t len;
    size_t n;

    if (ld->err_line != 0 || fgets(str, num, ld->f) == NULL) {
        if (ferror(ld->f) && ld->read_errno == 0) {
            ld->read_errno = errno != 0 ? errno : EIO;
        }
        return NULL;
    }
    ld->line++;
    len = strlen(str);
    if (len > 0 && str[len - 1] != '\n') {
        int c = getc(ld->f);

        if (c != EOF) {
            load_fail(ld, "line longer than %d bytes", num - 2);
            return NULL;
        }
    }
    p = str;
    if (ld->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3;
    }
    n = strspn(p, " \t");
    if (n > 0) {
        memmove(p, p + n, strlen(p + n) + 1);
    }
    if (*p == '[') {
        n = strcspn(p + 1, "]");
        if (p[1 + n] == ']' && !known_section(p + 1, n)) {
            load_fail(ld, "unknown section [%.*s]", n > 64 ? 64 : (int)n,
                      p + 1);
            return NULL;
        }
    }
    return str;
}

static int on_pair(void *user, const char *section, const char *name,
                   const char *value)
{
    struct load *ld = user;
    const struct config_option *o = config_option_find(name);
    char why[BN_ERRMSG_SIZE];
    size_t i;

    if (o == NULL) {
        load_fail(ld, "unknown key '%.64s'", name);
        return 0;
    }
    i = (size_t)(o - options);
    if (o->type == CONFIG_MEMBERS && ld->seen[i] != 0 && value != NULL &&
        section[0] != '\0' && strcmp(section, o->section) == 0) {
        /* A long members list may take several lines: they add up. */
        const char *old = str_value(ld->cfg, o);
        size_t size = strlen(old) + strlen(value) + 3;
        char *joined = bn_malloc(size);

        (void)snprintf(joined, size, "%s%s%s", old, old[0] != '\0' ? ", " : "",
                       value);
        if (set_value(ld->cfg, o, joined, why) != 0) {
            load_fail(ld, "%s: %s", o->key, why);
            free(joined);
            return 0;
        }
        free(joined);
        return 1;
    }
    if (ld->seen[i] != 0) {
        load_fail(ld, "%s set twice (first on line %d)", o->key, ld->seen[i]);
        return 0;
    }
    if (section[0] == '\0') {
        load_fail(ld, "%s must be in section [%s]", o->key, o->section);
        return 0;
    }
    if (strcmp(section, o->section) != 0) {
        load_fail(ld, "%s belongs in [%s], not [%.64s]", o->key, o->section,
                  section);
        return 0;
    }
    if (value == NULL || set_value(ld->cfg, o, value, why) != 0) {
        load_fail(ld, "%s: %s", o->key, value == NULL ? "no value" : why);
        return 0;
    }
    ld->seen[i] = ld->line;
    return 1;
}

int config_load_file(struct config *cfg, const char *path,
                     char errmsg[BN_ERRMSG_SIZE])
{
    struct load ld;
    int rc;

    memset(&ld, 0, sizeof(ld));
    ld.cfg = cfg;
    ld.f = fopen(path, "r");
    if (ld.f == NULL) {
        bn_errmsg_printf(errmsg, "%.128s: %s", path, strerror(errno));
        return BN_EIO;
    }
    errno = 0;
    rc = ini_parse_stream(read_line, &ld, on_pair, &ld);
    (void)fclose(ld.f);
    if (rc == -2) {
        /* libinih ran out of memory (only without INI_USE_STACK). */
        bn_panic("out of memory parsing %s", path);
    }
    if (rc > 0 && (ld.err_line == 0 || rc < ld.err_line)) {
        bn_errmsg_printf(errmsg,
                         "%.128s:%d: expected 'key = value' or "
                         "'[section]'",
                         path, rc);
        return BN_EINVAL;
    }
    if (ld.err_line != 0) {
        bn_errmsg_printf(errmsg, "%.128s:%d: %s", path, ld.err_line, ld.err);
        return BN_EINVAL;
    }
    if (ld.read_errno != 0) {
        bn_errmsg_printf(errmsg, "%.128s: %s", path, strerror(ld.read_errno));
        return BN_EIO;
    }
    return 0;
}

/* ---- the command line --------------------------------------------------- */

enum flag_kind {
    FLAG_CONFIG,
    FLAG_KEY, /* sets the key named in the row */
    FLAG_SET, /* --set key=value */
    FLAG_HELP,
    FLAG_VERSION,
    FLAG_PRINT,
};

struct flag {
    const char *name;
    enum flag_kind kind;
    const char *key;
    const char *arg; /* placeholder for the usage line; NULL: no value */
};

static const struct flag flags[] = {
    {"--config", FLAG_CONFIG, NULL, "FILE"},
    {"--listen", FLAG_KEY, "listen", "HOST:PORT"},
    {"--data-dir", FLAG_KEY, "data_dir", "DIR"},
    {"--node-id", FLAG_KEY, "node_id", "N"},
    {"--raft-listen", FLAG_KEY, "raft_listen", "HOST:PORT"},
    {"--cache-bytes", FLAG_KEY, "cache_bytes", "SIZE"},
    {"--log-level", FLAG_KEY, "log_level", "LEVEL"},
    {"--members", FLAG_KEY, "members", "\"ID HTTP RAFT, ...\""},
    {"--set", FLAG_SET, NULL, "KEY=VALUE"},
    {"--print-config", FLAG_PRINT, NULL, NULL},
    {"--help", FLAG_HELP, NULL, NULL},
    {"--version", FLAG_VERSION, NULL, NULL},
};

/* Read the flag at argv[*i] ("--x value" or "--x=value"), moving *i past
 * its value. Returns 0 or BN_EINVAL with the reason. */
static int next_flag(int argc, char **argv, int *i, const struct flag **out,
                     const char **value, char errmsg[BN_ERRMSG_SIZE])
{
    const char *a = argv[*i];
    const char *eq = strchr(a, '=');
    size_t len = eq != NULL ? (size_t)(eq - a) : strlen(a);

    for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
        const struct flag *fl = &flags[k];

        if (strlen(fl->name) != len || memcmp(fl->name, a, len) != 0) {
            continue;
        }
        *out = fl;
        *value = NULL;
        if (fl->arg == NULL) {
            if (eq != NULL) {
                bn_errmsg_printf(errmsg, "%s takes no value", fl->name);
                return BN_EINVAL;
            }
        } else if (eq != NULL) {
            *value = eq + 1;
        } else if (*i + 1 < argc) {
            *value = argv[++*i];
        } else {
            bn_errmsg_printf(errmsg, "%s needs a value (%s)", fl->name,
                             fl->arg);
            return BN_EINVAL;
        }
        return 0;
    }
    bn_errmsg_printf(errmsg, "%s '%.64s'",
                     a[0] == '-' ? "unknown flag" : "unexpected argument", a);
    return BN_EINVAL;
}

static int apply_flag(struct config *cfg, const struct flag *fl,
                      const char *value, char errmsg[BN_ERRMSG_SIZE])
{
    const char *eq;
    char *key;
    int rc;

    if (fl->kind == FLAG_KEY) {
        const struct config_option *o = config_option_find(fl->key);

        assert(o != NULL);
        rc = set_value(cfg, o, value, errmsg);
        if (rc != 0) {
            bn_errmsg_wrapf(errmsg, "%s", fl->name);
        }
        return rc;
    }
    eq = strchr(value, '=');
    if (eq == NULL) {
        bn_errmsg_printf(errmsg, "--set '%.64s': expected key=value", value);
        return BN_EINVAL;
    }
    key = bn_strndup(value, (size_t)(eq - value));
    rc = config_set(cfg, key, eq + 1, errmsg);
    free(key);
    if (rc != 0) {
        bn_errmsg_wrapf(errmsg, "--set");
    }
    return rc;
}

static void print_usage(FILE *out)
{
    const char *section = "";
    char lo[32];
    char hi[32];

    (void)fprintf(out, "usage: banyand");
    for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
        if (k % 3 == 0) {
            (void)fprintf(out, "%s", k == 0 ? "" : "\n              ");
        }
        if (flags[k].arg != NULL) {
            (void)fprintf(out, " [%s %s]", flags[k].name, flags[k].arg);
        } else {
            (void)fprintf(out, " [%s]", flags[k].name);
        }
    }
    (void)fprintf(
        out,
        "\n\n"
        "Settings come from the built-in defaults, then the file given with\n"
        "--config, then the other flags, each overriding the one before.\n"
        "Flags take \"--flag value\" or \"--flag=value\"; --set sets any key\n"
        "below. Sizes are bytes, or take a unit: KiB, MiB, GiB, TiB (powers\n"
        "of 1024) or KB, MB, GB, TB (powers of 1000), e.g. 64MiB.\n"
        "--print-config prints the result in the file's form and exits.\n"
        "\nKeys, by section, with their defaults:\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct config_option *o = &options[i];

        if (strcmp(section, o->section) != 0) {
            section = o->section;
            (void)fprintf(out, "\n  [%s]\n", section);
        }
        (void)fprintf(out, "  %s = %s\n      %s", o->key, o->def, o->help);
        switch (o->type) {
        case CONFIG_STR:
        case CONFIG_ADDR:
        case CONFIG_LOGLEVEL:
        case CONFIG_MEMBERS:
        case CONFIG_BOOL:
            (void)fprintf(out, "\n");
            break;
        case CONFIG_U64:
        case CONFIG_SIZE:
            format_value(o, o->min, lo, sizeof(lo));
            format_value(o, o->max, hi, sizeof(hi));
            (void)fprintf(out, " (%s to %s)\n", lo, hi);
            break;
        }
    }
}

int config_check(const struct config *cfg, char errmsg[BN_ERRMSG_SIZE])
{
    if (cfg->heartbeat_timeout_ms >= cfg->election_timeout_ms) {
        bn_errmsg_printf(errmsg,
                         "heartbeat_timeout_ms (%llu) must be less than "
                         "election_timeout_ms (%llu)",
                         (unsigned long long)cfg->heartbeat_timeout_ms,
                         (unsigned long long)cfg->election_timeout_ms);
        return BN_EINVAL;
    }
    if (cfg->members != NULL && cfg->members[0] != '\0' && !cfg->join) {
        struct config_member *m = NULL;
        size_t n = 0;
        bool found = false;

        if (config_parse_members(cfg->members, &m, &n, errmsg) != 0) {
            return BN_EINVAL;
        }
        for (size_t i = 0; i < n; i++) {
            found = found || m[i].id == cfg->node_id;
        }
        free(m);
        if (!found) {
            bn_errmsg_printf(errmsg,
                             "node_id %llu is not in members (a node that "
                             "is not an initial member starts with join = "
                             "true)",
                             (unsigned long long)cfg->node_id);
            return BN_EINVAL;
        }
    }
    return 0;
}

int config_parse_args(struct config *cfg, int argc, char **argv, FILE *out,
                      char errmsg[BN_ERRMSG_SIZE])
{
    const struct flag *fl;
    const char *value;
    const char *file = NULL;
    bool help = false;
    bool version = false;
    bool print = false;
    int rc;

    /* First pass: check every flag, find the file and the exits. */
    for (int i = 1; i < argc; i++) {
        rc = next_flag(argc, argv, &i, &fl, &value, errmsg);
        if (rc != 0) {
            return rc;
        }
        if (fl->kind == FLAG_CONFIG) {
            file = value;
        }
        help = help || fl->kind == FLAG_HELP;
        version = version || fl->kind == FLAG_VERSION;
        print = print || fl->kind == FLAG_PRINT;
    }
    if (help) {
        print_usage(out);
        return 1;
    }
    if (version) {
        (void)fprintf(out, "banyand %s\n", CONFIG_VERSION);
        return 1;
    }
    if (file != NULL) {
        rc = config_load_file(cfg, file, errmsg);
        if (rc != 0) {
            return rc;
        }
    }

    /* Second pass: the flags override the file, left to right. */
    for (int i = 1; i < argc; i++) {
        rc = next_flag(argc, argv, &i, &fl, &value, errmsg);
        if (rc != 0) {
            return rc;
        }
        if (fl->kind == FLAG_KEY || fl->kind == FLAG_SET) {
            rc = apply_flag(cfg, fl, value, errmsg);
            if (rc != 0) {
                return rc;
            }
        }
    }
    rc = config_check(cfg, errmsg);
    if (rc != 0) {
        return rc;
    }
    if (print) {
        config_print(cfg, out);
        return 1;
    }
    return 0;
}

void config_print(const struct config *cfg, FILE *out)
{
    const char *section = "";
    char buf[32];

    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct config_option *o = &options[i];

        if (strcmp(section, o->section) != 0) {
            (void)fprintf(out, "%s[%s]\n", i == 0 ? "" : "\n", o->section);
            section = o->section;
        }
        if (is_text(o)) {
            (void)fprintf(out, "%s = %s\n", o->key, str_value(cfg, o));
        } else {
            format_value(o, u64_value(cfg, o), buf, sizeof(buf));
            (void)fprintf(out, "%s = %s\n", o->key, buf);
        }
    }
}
