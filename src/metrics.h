/*
 * metrics: banyan's counters and histograms, and their rendering in the
 * Prometheus text exposition format 0.0.4 (GET /metrics).
 *
 * The hot path (every HTTP answer, every applied raft entry) costs a few
 * relaxed atomic adds and no lock: counters live in METRICS_SHARDS shards,
 * each on cache lines of its own, and a thread always adds to the shard it
 * was given on its first call, so two HTTP threads never bounce a line
 * between cores. A scrape sums the shards; every counter it shows is
 * monotonic between scrapes, and a histogram's _count is the sum of its
 * buckets, so the two always agree.
 *
 * Values known only at scrape time (raft state, cache and store figures,
 * inode counts) are gathered by the caller into a struct metrics_snapshot
 * and rendered with the counters by metrics_render().
 *
 * State is process-wide. Every function may be called from any thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_METRICS_H
#define BANYAN_SRC_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "op.h"

#define METRICS_SHARDS 16

/* The label value of histogram @op (enum op_metric, op.h): its op's name
 * ("stat", ...; "other" when out of range). */
const char *metrics_op_name(int op);

/* ---- recording (hot path) --------------------------------------------- */

/* One HTTP answer: banyan_http_requests_total{route,method,code} and the
 * latency of @op in banyan_operation_duration_seconds. @route and @method
 * must be static strings (their addresses identify them: the route
 * pattern of the router's table, a method name of a fixed set); @code is
 * the HTTP status; @us the time from arrival to the answer. At most
 * METRICS_ROUTES routes and METRICS_METHODS methods are told apart; more
 * fold into route or method "other". */
void metrics_http_answer(const char *route, const char *method, int code,
                         int op, uint64_t us);

#define METRICS_ROUTES  32
#define METRICS_METHODS 8

/* An HTTP connection opened (+1) or closed (-1). */
void metrics_http_connection(int delta);

/* A raft entry of @n commands was applied (banyan_apply_batch_commands). */
void metrics_apply_batch(uint64_t n);

/* Raft's view now: counts banyan_raft_leader_changes_total each time a
 * known leader (@leader_id != 0) differs from the last one seen, or the
 * same node leads a new term. The first leader seen counts as a change.
 * Call it whenever the raft state may have changed (repl's refresh). */
void metrics_raft_observe(uint64_t term, uint64_t leader_id);

/* Record the process start time (banyan_start_time_seconds); only the
 * first call counts. */
void metrics_mark_start(void);

/* ---- rendering ---------------------------------------------------------- */

/* What the scraper reads from the other modules at scrape time. */
struct metrics_snapshot {
    bool has_raft; /* false: no raft gauges (no repl) */
    uint64_t raft_term;
    uint64_t raft_commit_index;
    uint64_t raft_applied_index;
    bool raft_is_leader;
    bool has_store; /* false: no cache, store and inode families' values */
    uint64_t cache_hits;
    uint64_t cache_misses;
    uint64_t cache_evictions;
    uint64_t cache_bytes;
    uint64_t cache_entries;
    uint64_t store_transactions;
    uint64_t store_disk_bytes;
    uint64_t inodes_files;
    uint64_t inodes_directories;
};

/* Content-Type of the exposition. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Render every family: the counters of this module and @snap. Returns a
 * new NUL-terminated text of *len bytes; free it with free(). */
char *metrics_render(const struct metrics_snapshot *snap, size_t *len);

/* ---- the exposition writer (exposed for the unit tests) ---------------- */

/* A growing text buffer. */
struct metrics_out {
    char *buf; /* owned; free() */
    size_t len;
    size_t cap;
};

/* Append "# HELP name help" and "# TYPE name type" (help escaped). */
void metrics_out_family(struct metrics_out *o, const char *name,
                        const char *type, const char *help);

/* Append one sample: name{labels} value. @labels is NULL or a list of
 * @n_labels names and values, alternating (values escaped: backslash,
 * double quote, newline); @value is written as it is. */
void metrics_out_sample(struct metrics_out *o, const char *name,
                        const char *const *labels, size_t n_labels,
                        const char *value);

/* Labels of a histogram, at most (le comes on top). */
#define METRICS_LABELS_MAX 4

/* Append the samples of one histogram: name_bucket{labels,le} for each of
 * the @n bounds and +Inf, name_sum, name_count. @counts holds @n + 1
 * per-bucket (not cumulative) counts, the last for values above every
 * bound; a bound and the sum are in units of @unit_div (1000000 turns
 * microseconds into seconds, 1 keeps whole numbers). */
void metrics_out_histogram(struct metrics_out *o, const char *name,
                           const char *const *labels, size_t n_labels,
                           const uint64_t *bounds, const uint64_t *counts,
                           size_t n, uint64_t sum, uint64_t unit_div);

/* The index of the bucket of @v among @n ascending upper bounds (@n when
 * @v is above them all). */
size_t metrics_bucket_of(const uint64_t *bounds, size_t n, uint64_t v);

#endif /* BANYAN_SRC_METRICS_H */
