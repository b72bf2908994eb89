/*
 * lincheck: a linearizability checker for histories of operations on a set
 * of keys, each key an independent register (P-compositionality: Herlihy &
 * Wing 1990, §3.3; each key is checked on its own).
 *
 * The model of one key is a register holding "absent" or an integer:
 *
 *   read()     -> the value, or absent
 *   write(v)   present: value = v, ok; absent: no change, not_found
 *   create(v)  absent: value = v, ok; present: no change, already_exists
 *   delete()   present: absent, ok; absent: no change, not_found
 *
 * Every key starts absent. An operation is "ok" (it took effect, with the
 * recorded result, at one instant between its invoke and complete times),
 * "fail" (it certainly did not take effect: it is left out) or "info" (it
 * may or may not have taken effect, at any instant after its invoke: it
 * never completes). Reads that are not ok are left out.
 *
 * The search is Wing & Gong's, with Lowe's memoization of the pair
 * (set of linearized operations, register value) ("Testing for
 * linearizability", 2017), as Knossos and porcupine do it, and is bounded
 * by a number of states and a time limit (the verdict is then "unknown").
 *
 * Memory: a history owns its operations and their keys; a report owns its
 * strings. Out of memory aborts. Not thread safe: one thread per history.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_TESTS_LIN_LINCHECK_H
#define BANYAN_TESTS_LIN_LINCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LINCHECK_ERRMSG_SIZE 256
/* The register value that means "absent", and one the checker uses for
 * "a value no read returns"; no operation may carry either. */
#define LINCHECK_ABSENT INT64_MIN
#define LINCHECK_UNSEEN (INT64_MIN + 1)
/* Default search bounds (per key; the time limit is for the whole check). */
#define LINCHECK_MAX_STATES_DEFAULT 2000000
#define LINCHECK_MAX_MS_DEFAULT     30000

enum lincheck_kind {
    LINCHECK_READ,
    LINCHECK_WRITE,
    LINCHECK_CREATE,
    LINCHECK_DELETE,
};

enum lincheck_outcome {
    LINCHECK_OK,
    LINCHECK_FAIL,
    LINCHECK_INFO,
};

/* The result of an ok operation. A read returns LINCHECK_R_VALUE (with
 * result_value) or LINCHECK_R_ABSENT; a mutation LINCHECK_R_DONE,
 * LINCHECK_R_NOT_FOUND or LINCHECK_R_EXISTS. */
enum lincheck_result {
    LINCHECK_R_DONE,
    LINCHECK_R_NOT_FOUND,
    LINCHECK_R_EXISTS,
    LINCHECK_R_VALUE,
    LINCHECK_R_ABSENT,
};

enum lincheck_verdict {
    LINCHECK_LINEARIZABLE = 0,
    LINCHECK_NOT_LINEARIZABLE = 1,
    LINCHECK_UNKNOWN = 3,
};

struct lincheck_op {
    int64_t client;
    const char *key; /* owned by the history */
    enum lincheck_kind kind;
    int64_t value; /* the argument of write and create */
    int64_t invoke_ns;
    int64_t complete_ns; /* ignored for info operations */
    enum lincheck_outcome outcome;
    enum lincheck_result result; /* ok operations only */
    int64_t result_value;        /* a read's LINCHECK_R_VALUE */
    size_t line;                 /* input line, 0 when added directly */
};

struct lincheck_history;

struct lincheck_options {
    uint64_t max_states; /* memoized states per key; 0: the default */
    uint64_t max_ms;     /* wall time for the whole check; 0: the default */
};

/* What the check found for one key. */
struct lincheck_key_report {
    char *key;
    enum lincheck_verdict verdict;
    size_t n_ops;     /* operations on the key in the history */
    size_t n_checked; /* those the search placed (ok, and info mutations) */
    size_t n_info;    /* info mutations among them */
    uint64_t states;  /* memoized states visited */
    double ms;        /* time of this key's search */
    char *explain;    /* why not linearizable or unknown; NULL if it is */
};

struct lincheck_report {
    enum lincheck_verdict verdict; /* the worst of the keys' verdicts */
    size_t n_keys;
    struct lincheck_key_report *keys; /* sorted by key */
};

/* ---- histories ---------------------------------------------------------- */

/* Returns a new empty history; free with lincheck_history_free(). */
struct lincheck_history *lincheck_history_new(void);
void lincheck_history_free(struct lincheck_history *h);

/* Add a copy of @op (and of its key). Returns 0, or -1 with @errmsg set when
 * the operation is malformed (empty key, an argument or result equal to
 * LINCHECK_ABSENT or LINCHECK_UNSEEN, a result that does not fit the kind,
 * complete before invoke for an operation that completed). */
int lincheck_history_add(struct lincheck_history *h,
                         const struct lincheck_op *op,
                         char errmsg[LINCHECK_ERRMSG_SIZE]);

/* Parse one JSON line and add it (@line numbers the errors); a blank line
 * adds nothing. The object has "client" (integer), "key" (string), "op"
 * ("read", "write", "create", "delete"), "value" (integer, write and create),
 * "invoke_ns", "complete_ns" (integers; complete_ns may be null or missing
 * for info), "outcome" ("ok", "fail", "info") and, for ok operations,
 * "result": a read's integer or null (absent); a mutation's null or "ok",
 * "not_found", "already_exists". Other members are ignored. Returns 0, or
 * -1 with @errmsg set. */
int lincheck_history_add_json(struct lincheck_history *h, const char *text,
                              size_t line, char errmsg[LINCHECK_ERRMSG_SIZE]);

/* Read JSON lines from @f to its end. Returns 0, or -1 with @errmsg set
 * (the history then holds the lines before the bad one). */
int lincheck_history_read(struct lincheck_history *h, FILE *f,
                          char errmsg[LINCHECK_ERRMSG_SIZE]);

size_t lincheck_history_count(const struct lincheck_history *h);

/* ---- checking ----------------------------------------------------------- */

/* Check every key of @h. @o may be NULL (defaults). Fills @out, which the
 * caller frees with lincheck_report_free(), and returns out->verdict. */
enum lincheck_verdict lincheck_check(const struct lincheck_history *h,
                                     const struct lincheck_options *o,
                                     struct lincheck_report *out);

/* Print one line per key ("KEY: linearizable, ...") and, for a key that is
 * not, its explanation, to @f. */
void lincheck_report_print(const struct lincheck_report *r, FILE *f);

void lincheck_report_free(struct lincheck_report *r);

const char *lincheck_verdict_name(enum lincheck_verdict v);

#endif
