/*
 * metrics: sharded counters, the families banyan exposes, and the text
 * exposition writer.
 *
 * Layout: one struct shard per METRICS_SHARDS, each aligned to a cache
 * line; a thread takes a shard round-robin on its first call and keeps
 * it (a thread-local index). The HTTP request counter is a small
 * open-addressing table whose keys (route, method, code) are shared by all
 * shards and claimed once with a compare-and-swap; after the first request
 * of a kind the key is only read, so its line stays shared in every
 * core's cache. Route and method names are interned the same way into
 * short tables of pointers.
 *
 * SPDX-License-Identifier: MIT
 */
#include "metrics.h"

#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "mem.h"

#define REQ_SLOTS      512 /* (route, method, code) kinds; a power of two */
#define REQ_SLOTS_BITS 9
#define US_PER_S       1000000u

/* Upper bounds of banyan_operation_duration_seconds, in microseconds:
 * 100 us to 10 s, the usual 1-2.5-5 steps. */
static const uint64_t op_bounds[] = {
    100,   250,    500,    1000,   2500,    5000,    10000,   25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};
#define N_OP_BOUNDS (sizeof(op_bounds) / sizeof(op_bounds[0]))

/* Upper bounds of banyan_apply_batch_commands: powers of two up to the
 * largest batch (CMD_BATCH_MAX, 4096). */
static const uint64_t batch_bounds[] = {1,   2,   4,   8,    16,   32,  64,
                                        128, 256, 512, 1024, 2048, 4096};
#define N_BATCH_BOUNDS (sizeof(batch_bounds) / sizeof(batch_bounds[0]))

/* The op of each histogram: its label is the op's name (op.h). */
static const int metric_ops[OP_METRIC_COUNT] = {[OP_METRIC_OTHER] = OP_OTHER,
#define METRIC_OP(ID) [OP_METRIC_##ID] = OP_##ID,
                                                OP_METRIC_MAP(METRIC_OP)
#undef METRIC_OP
};

struct shard {
    _Alignas(64) _Atomic uint64_t req[REQ_SLOTS];
    _Atomic uint64_t op_bucket[OP_METRIC_COUNT][N_OP_BOUNDS + 1];
    _Atomic uint64_t op_sum_us[OP_METRIC_COUNT];
    _Atomic uint64_t batch_bucket[N_BATCH_BOUNDS + 1];
    _Atomic uint64_t batch_sum;
};

static struct shard shards[METRICS_SHARDS];
static _Atomic unsigned next_shard;
static _Thread_local int my_shard = -1;

/* Keys of the request table: 0 is free, else route index + 1 in bits
 * 24 and up, method index in bits 16-23, status code in bits 0-15. */
static _Atomic uint64_t req_keys[REQ_SLOTS];
static _Atomic(const char *) route_names[METRICS_ROUTES];
static _Atomic(const char *) method_names[METRICS_METHODS];

static _Atomic int64_t open_connections;
static _Atomic int64_t start_ms;

/* Leader changes: rare, so a mutex keeps the (term, leader) pair whole. */
static pthread_mutex_t raft_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t seen_term;
static uint64_t seen_leader;
static _Atomic uint64_t leader_changes;

const char *metrics_op_name(int op)
{
    return op_name(op >= 0 && op < OP_METRIC_COUNT ? metric_ops[op] : OP_OTHER);
}

static struct shard *my(void)
{
    if (my_shard < 0) {
        my_shard = (int)(atomic_fetch_add_explicit(&next_shard, 1,
                                                   memory_order_relaxed) %
                         METRICS_SHARDS);
    }
    return &shards[my_shard];
}

static void add(_Atomic uint64_t *c, uint64_t v)
{
    atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static uint64_t load(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

size_t metrics_bucket_of(const uint64_t *bounds, size_t n, uint64_t v)
{
    size_t lo = 0;
    size_t hi = n;

    /* The first bound >= v (le is "less than or equal"). */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (bounds[mid] < v) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* The index of @s in @tab (by address, else by text), adding it to the
 * first free entry; @n when the table is full. */
static unsigned intern(_Atomic(const char *) *tab, unsigned n, const char *s)
{
    for (unsigned i = 0; i < n; i++) {
        const char *cur = atomic_load_explicit(&tab[i], memory_order_acquire);

        if (cur == NULL) {
            const char *expected = NULL;

            if (atomic_compare_exchange_strong_explicit(&tab[i], &expected, s,
                                                        memory_order_acq_rel,
                                                        memory_order_acquire)) {
                return i;
            }
            cur = expected; /* another thread took it meanwhile */
        }
        if (cur == s || strcmp(cur, s) == 0) {
            return i;
        }
    }
    return n;
}

/* The slot of @key in the request table, claiming a free one; -1 when the
 * table is full. */
static int req_slot(uint64_t key)
{
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - REQ_SLOTS_BITS));

    for (size_t i = 0; i < REQ_SLOTS; i++) {
        size_t s = (h + i) & (REQ_SLOTS - 1);
        uint64_t k = atomic_load_explicit(&req_keys[s], memory_order_acquire);

        if (k == 0) {
            uint64_t expected = 0;

            if (atomic_compare_exchange_strong_explicit(
                    &req_keys[s], &expected, key, memory_order_acq_rel,
                    memory_order_acquire)) {
                return (int)s;
            }
            k = expected;
        }
        if (k == key) {
            return (int)s;
        }
    }
    return -1;
}

void metrics_http_answer(const char *route, const char *method, int code,
                         int op, uint64_t us)
{
    struct shard *sh = my();
    unsigned r = intern(route_names, METRICS_ROUTES, route);
    unsigned m = intern(method_names, METRICS_METHODS, method);
    uint64_t key;
    int slot;

    if (code < 0 || code > 999) {
        code = 0;
    }
    key = ((uint64_t)(r + 1) << 24) | ((uint64_t)m << 16) | (uint64_t)code;
    slot = req_slot(key);
    if (slot >= 0) {
        add(&sh->req[slot], 1);
    }
    if (op < 0 || op >= OP_METRIC_COUNT) {
        op = OP_METRIC_OTHER;
    }
    add(&sh->op_bucket[op][metrics_bucket_of(op_bounds, N_OP_BOUNDS, us)], 1);
    add(&sh->op_sum_us[op], us);
}

void metrics_http_connection(int delta)
{
    atomic_fetch_add_explicit(&open_connections, delta, memory_order_relaxed);
}

void metrics_apply_batch(uint64_t n)
{
    struct shard *sh = my();

    add(&sh->batch_bucket[metrics_bucket_of(batch_bounds, N_BATCH_BOUNDS, n)],
        1);
    add(&sh->batch_sum, n);
}

void metrics_raft_observe(uint64_t term, uint64_t leader_id)
{
    if (leader_id == 0) {
        return;
    }
    (void)pthread_mutex_lock(&raft_mu);
    if (leader_id != seen_leader || term != seen_term) {
        seen_leader = leader_id;
        seen_term = term;
        atomic_fetch_add_explicit(&leader_changes, 1, memory_order_relaxed);
    }
    (void)pthread_mutex_unlock(&raft_mu);
}

void metrics_mark_start(void)
{
    int64_t expected = 0;

    (void)atomic_compare_exchange_strong(&start_ms, &expected,
                                         bn_clock_wall_ms());
}

/* ---- the exposition writer ---------------------------------------------- */

static void out_reserve(struct metrics_out *o, size_t more)
{
    if (o->len + more + 1 <= o->cap) {
        return;
    }
    size_t cap = o->cap > 0 ? o->cap : 4096;

    while (o->len + more + 1 > cap) {
        cap *= 2;
    }
    o->buf = bn_realloc(o->buf, cap);
    o->cap = cap;
}

static void out_raw(struct metrics_out *o, const char *s, size_t n)
{
    out_reserve(o, n);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void out_str(struct metrics_out *o, const char *s)
{
    out_raw(o, s, strlen(s));
}

/* Append @s with backslash and newline escaped, and the double quote when
 * @quote (label values; HELP text leaves quotes as they are). */
static void out_escaped(struct metrics_out *o, const char *s, bool quote)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\') {
            out_raw(o, "\\\\", 2);
        } else if (*s == '\n') {
            out_raw(o, "\\n", 2);
        } else if (*s == '"' && quote) {
            out_raw(o, "\\\"", 2);
        } else {
            out_raw(o, s, 1);
        }
    }
}

void metrics_out_family(struct metrics_out *o, const char *name,
                        const char *type, const char *help)
{
    out_str(o, "# HELP ");
    out_str(o, name);
    out_raw(o, " ", 1);
    out_escaped(o, help, false);
    out_str(o, "\n# TYPE ");
    out_str(o, name);
    out_raw(o, " ", 1);
    out_str(o, type);
    out_raw(o, "\n", 1);
}

/* name suffix{l1="v1",...} value */
static void out_sample_suffix(struct metrics_out *o, const char *name,
                              const char *suffix, const char *const *labels,
                              size_t n_labels, const char *value)
{
    out_str(o, name);
    out_str(o, suffix);
    for (size_t i = 0; i < n_labels; i++) {
        out_raw(o, i == 0 ? "{" : ",", 1);
        out_str(o, labels[2 * i]);
        out_raw(o, "=\"", 2);
        out_escaped(o, labels[2 * i + 1], true);
        out_raw(o, "\"", 1);
    }
    out_str(o, n_labels > 0 ? "} " : " ");
    out_str(o, value);
    out_raw(o, "\n", 1);
}

void metrics_out_sample(struct metrics_out *o, const char *name,
                        const char *const *labels, size_t n_labels,
                        const char *value)
{
    out_sample_suffix(o, name, "", labels, n_labels, value);
}

/* @v / @div as an exact decimal without trailing zeros ("0.00025", "10");
 * @div is 1 or a power of ten. */
static void fmt_fixed(uint64_t v, uint64_t div, char *buf, size_t cap)
{
    uint64_t whole = v / div;
    uint64_t frac = v % div;
    int digits = 0;
    int n;

    for (uint64_t d = div; d > 1; d /= 10) {
        digits++;
    }
    if (frac == 0) {
        (void)snprintf(buf, cap, "%llu", (unsigned long long)whole);
        return;
    }
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    n = snprintf(buf, cap, "%llu.%0*llu", (unsigned long long)whole, digits,
                 (unsigned long long)frac);
    (void)n;
}

static void fmt_u64(uint64_t v, char *buf, size_t cap)
{
    (void)snprintf(buf, cap, "%llu", (unsigned long long)v);
}

void metrics_out_histogram(struct metrics_out *o, const char *name,
                           const char *const *labels, size_t n_labels,
                           const uint64_t *bounds, const uint64_t *counts,
                           size_t n, uint64_t sum, uint64_t unit_div)
{
    const char *with_le[2 * (METRICS_LABELS_MAX + 1)];
    char le[32];
    char val[32];
    uint64_t cum = 0;

    assert(n_labels <= METRICS_LABELS_MAX);
    for (size_t i = 0; i < 2 * n_labels; i++) {
        with_le[i] = labels[i];
    }
    with_le[2 * n_labels] = "le";
    with_le[2 * n_labels + 1] = le;
    for (size_t i = 0; i <= n; i++) {
        cum += counts[i];
        if (i < n) {
            fmt_fixed(bounds[i], unit_div, le, sizeof(le));
        } else {
            (void)snprintf(le, sizeof(le), "+Inf");
        }
        fmt_u64(cum, val, sizeof(val));
        out_sample_suffix(o, name, "_bucket", with_le, n_labels + 1, val);
    }
    fmt_fixed(sum, unit_div, val, sizeof(val));
    out_sample_suffix(o, name, "_sum", labels, n_labels, val);
    fmt_u64(cum, val, sizeof(val));
    out_sample_suffix(o, name, "_count", labels, n_labels, val);
}

/* ---- rendering ---------------------------------------------------------- */

static void single_u64(struct metrics_out *o, const char *name,
                       const char *type, const char *help, uint64_t v)
{
    char val[32];

    metrics_out_family(o, name, type, help);
    fmt_u64(v, val, sizeof(val));
    metrics_out_sample(o, name, NULL, 0, val);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static const char *name_at(_Atomic(const char *) *tab, unsigned n, unsigned i)
{
    const char *s =
        i < n ? atomic_load_explicit(&tab[i], memory_order_acquire) : NULL;

    return s != NULL ? s : "other";
}

static void render_requests(struct metrics_out *o)
{
    uint64_t pairs[REQ_SLOTS] = {0}; /* key << REQ_SLOTS_BITS | slot */
    size_t n = 0;

    metrics_out_family(o, "banyan_http_requests_total", "counter",
                       "HTTP requests answered, by route pattern, method and "
                       "status code.");
    for (size_t s = 0; s < REQ_SLOTS; s++) {
        uint64_t k = atomic_load_explicit(&req_keys[s], memory_order_acquire);

        if (k != 0) {
            pairs[n++] = (k << REQ_SLOTS_BITS) | s;
        }
    }
    qsort(pairs, n, sizeof(pairs[0]), cmp_u64);
    for (size_t i = 0; i < n; i++) {
        size_t s = (size_t)(pairs[i] & (REQ_SLOTS - 1));
        uint64_t k = pairs[i] >> REQ_SLOTS_BITS;
        unsigned r = (unsigned)(k >> 24) - 1;
        unsigned m = (unsigned)((k >> 16) & 0xff);
        char code[8];
        char val[32];
        uint64_t total = 0;
        const char *labels[6];

        for (size_t sh = 0; sh < METRICS_SHARDS; sh++) {
            total += load(&shards[sh].req[s]);
        }
        (void)snprintf(code, sizeof(code), "%u", (unsigned)(k & 0xffff));
        fmt_u64(total, val, sizeof(val));
        labels[0] = "route";
        labels[1] = name_at(route_names, METRICS_ROUTES, r);
        labels[2] = "method";
        labels[3] = name_at(method_names, METRICS_METHODS, m);
        labels[4] = "code";
        labels[5] = code;
        metrics_out_sample(o, "banyan_http_requests_total", labels, 3, val);
    }
}

static void render_ops(struct metrics_out *o)
{
    static const char name[] = "banyan_operation_duration_seconds";

    metrics_out_family(o, name, "histogram",
                       "Time from a request's arrival to its answer, by "
                       "operation (writes include the raft round trip).");
    /* OTHER (0) last, as the contract renders them. */
    for (size_t i = 1; i <= OP_METRIC_COUNT; i++) {
        int op = (int)(i % OP_METRIC_COUNT);
        uint64_t counts[N_OP_BOUNDS + 1] = {0};
        uint64_t sum = 0;
        const char *labels[2] = {"op", metrics_op_name(op)};

        for (size_t sh = 0; sh < METRICS_SHARDS; sh++) {
            for (size_t b = 0; b <= N_OP_BOUNDS; b++) {
                counts[b] += load(&shards[sh].op_bucket[op][b]);
            }
            sum += load(&shards[sh].op_sum_us[op]);
        }
        metrics_out_histogram(o, name, labels, 1, op_bounds, counts,
                              N_OP_BOUNDS, sum, US_PER_S);
    }
}

static void render_batches(struct metrics_out *o)
{
    static const char name[] = "banyan_apply_batch_commands";
    uint64_t counts[N_BATCH_BOUNDS + 1] = {0};
    uint64_t sum = 0;

    metrics_out_family(o, name, "histogram",
                       "Commands in each raft entry this node applied.");
    for (size_t sh = 0; sh < METRICS_SHARDS; sh++) {
        for (size_t b = 0; b <= N_BATCH_BOUNDS; b++) {
            counts[b] += load(&shards[sh].batch_bucket[b]);
        }
        sum += load(&shards[sh].batch_sum);
    }
    metrics_out_histogram(o, name, NULL, 0, batch_bounds, counts,
                          N_BATCH_BOUNDS, sum, 1);
}

char *metrics_render(const struct metrics_snapshot *snap, size_t *len)
{
    struct metrics_out o = {0};
    const char *labels[2];
    char val[32];
    int64_t conns;

    metrics_mark_start(); /* no-op once the daemon marked it */
    metrics_out_family(&o, "banyan_build_info", "gauge",
                       "Always 1; the labels tell the version of banyand.");
    labels[0] = "version";
    labels[1] = CONFIG_VERSION;
    metrics_out_sample(&o, "banyan_build_info", labels, 1, "1");
    metrics_out_family(&o, "banyan_start_time_seconds", "gauge",
                       "Start time of the process, in seconds since the Unix "
                       "epoch.");
    fmt_fixed((uint64_t)atomic_load(&start_ms), 1000, val, sizeof(val));
    metrics_out_sample(&o, "banyan_start_time_seconds", NULL, 0, val);

    render_requests(&o);
    conns = atomic_load_explicit(&open_connections, memory_order_relaxed);
    single_u64(&o, "banyan_http_open_connections", "gauge",
               "HTTP connections open now.", conns > 0 ? (uint64_t)conns : 0);
    render_ops(&o);

    if (snap->has_raft) {
        single_u64(&o, "banyan_raft_term", "gauge", "Current raft term.",
                   snap->raft_term);
        single_u64(&o, "banyan_raft_commit_index", "gauge",
                   "Highest raft log index known to be committed.",
                   snap->raft_commit_index);
        single_u64(&o, "banyan_raft_applied_index", "gauge",
                   "Highest raft log index applied to the namespace.",
                   snap->raft_applied_index);
        single_u64(&o, "banyan_raft_is_leader", "gauge",
                   "1 when this node is the raft leader, else 0.",
                   snap->raft_is_leader ? 1 : 0);
    }
    single_u64(&o, "banyan_raft_leader_changes_total", "counter",
               "Leaders this node has seen take over (a new leader, or a new "
               "term), the first one included.",
               atomic_load_explicit(&leader_changes, memory_order_relaxed));
    render_batches(&o);

    if (snap->has_store) {
        single_u64(&o, "banyan_cache_hits_total", "counter",
                   "Inode cache lookups answered from memory.",
                   snap->cache_hits);
        single_u64(&o, "banyan_cache_misses_total", "counter",
                   "Inode cache lookups that went to SQLite.",
                   snap->cache_misses);
        single_u64(&o, "banyan_cache_evictions_total", "counter",
                   "Entries evicted from the inode cache.",
                   snap->cache_evictions);
        single_u64(&o, "banyan_cache_bytes", "gauge",
                   "Memory the inode cache accounts for, in bytes.",
                   snap->cache_bytes);
        single_u64(&o, "banyan_cache_entries", "gauge",
                   "Entries in the inode cache.", snap->cache_entries);
        single_u64(&o, "banyan_store_transactions_total", "counter",
                   "SQLite transactions committed by the store.",
                   snap->store_transactions);
        single_u64(&o, "banyan_store_disk_bytes", "gauge",
                   "Bytes the SQLite database and its WAL take on disk.",
                   snap->store_disk_bytes);
        metrics_out_family(&o, "banyan_inodes", "gauge",
                           "Inodes in the store by type (rows of deleted "
                           "subtrees count until the background reclaim "
                           "removes them).");
        labels[0] = "type";
        labels[1] = "file";
        fmt_u64(snap->inodes_files, val, sizeof(val));
        metrics_out_sample(&o, "banyan_inodes", labels, 1, val);
        labels[1] = "directory";
        fmt_u64(snap->inodes_directories, val, sizeof(val));
        metrics_out_sample(&o, "banyan_inodes", labels, 1, val);
    }
    *len = o.len;
    return o.buf;
}
