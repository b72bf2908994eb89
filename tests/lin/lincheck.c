/*
 * lincheck: the checker's core (see lincheck.h): the history, its JSON
 * lines, and the search of each key.
 *
 * The search (Lowe, "Testing for linearizability", 2017, §3, after Wing &
 * Gong 1993) walks a doubly linked list of the invoke and complete events
 * of the ok operations of one key, in time order. At an invoke it tries to
 * linearize that operation now: if the model accepts it and the
 * configuration (set of linearized operations, register value) is new, it
 * memoizes the configuration, takes both events out of the list and starts
 * again at the head; at a complete event whose operation is not yet
 * linearized it backtracks. The history is linearizable when every ok
 * operation is placed.
 *
 * Info operations have no events: one invoked before the first complete
 * event in the list may be placed, or never. Placed one by one they would
 * multiply the states, so they are placed only in short runs just before
 * an ok operation that needs them. Any linearization can be rewritten so:
 *
 * - a run that the next ok operation does not need (its result is the same
 *   without it) can move after it, or go: the value ends the same;
 * - a run reaches what the next ok operation needs with two of its own
 *   operations at most: the same value with one write, or one delete then
 *   one create (present); with one create, or one create then one write
 *   (absent); "absent" with one delete; "present" with one create;
 * - deletes are all alike, so one stands for all of them;
 * - values that no ok read returns are alike too: the search holds them as
 *   one, LINCHECK_UNSEEN, and one create of such a value stands for all.
 *
 * A configuration that has placed the same ok operations, holds the same
 * value and has placed a subset of these info operations can do all this
 * one can: if it was explored, this one is pruned (a subsumption test in
 * place of plain equality; info operations stay out of the hash).
 *
 * SPDX-License-Identifier: MIT
 */
#include "lincheck.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

/* Memory for the memoized states of one key, at most. */
#define MEMO_BYTES_MAX ((size_t)256 << 20)
/* Explanations show at most this many operations per list. */
#define SHOW_PENDING 12
#define SHOW_PREFIX  6
/* The time limit is read every this many steps. */
#define CLOCK_EVERY 4096

struct lincheck_history {
    struct lincheck_op *ops;
    size_t n;
    size_t cap;
};

/* ---- helpers ------------------------------------------------------------ */

static void *xmalloc(size_t n)
{
    void *p = malloc(n != 0 ? n : 1);

    if (p == NULL) {
        fprintf(stderr, "lincheck: out of memory (%zu bytes)\n", n);
        abort();
    }
    return p;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n != 0 ? n : 1, size != 0 ? size : 1);

    if (p == NULL) {
        fprintf(stderr, "lincheck: out of memory (%zu x %zu bytes)\n", n, size);
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n != 0 ? n : 1);

    if (q == NULL) {
        fprintf(stderr, "lincheck: out of memory (%zu bytes)\n", n);
        abort();
    }
    return q;
}

static char *xstrdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *p = xmalloc(len);

    memcpy(p, s, len);
    return p;
}

__attribute__((format(printf, 2, 3))) static void
errmsg_printf(char errmsg[LINCHECK_ERRMSG_SIZE], const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(errmsg, LINCHECK_ERRMSG_SIZE, fmt, ap);
    va_end(ap);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* splitmix64 (Steele, Lea & Flood 2014): hashes and per-op keys. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

static const char *kind_name(enum lincheck_kind k)
{
    switch (k) {
    case LINCHECK_READ:
        return "read";
    case LINCHECK_WRITE:
        return "write";
    case LINCHECK_CREATE:
        return "create";
    case LINCHECK_DELETE:
        return "delete";
    }
    return "?";
}

static const char *result_name(enum lincheck_result r)
{
    switch (r) {
    case LINCHECK_R_DONE:
        return "ok";
    case LINCHECK_R_NOT_FOUND:
        return "not_found";
    case LINCHECK_R_EXISTS:
        return "already_exists";
    case LINCHECK_R_VALUE:
        return "value";
    case LINCHECK_R_ABSENT:
        return "absent";
    }
    return "?";
}

const char *lincheck_verdict_name(enum lincheck_verdict v)
{
    switch (v) {
    case LINCHECK_LINEARIZABLE:
        return "linearizable";
    case LINCHECK_NOT_LINEARIZABLE:
        return "NOT linearizable";
    case LINCHECK_UNKNOWN:
        return "unknown";
    }
    return "?";
}

/* ---- histories ---------------------------------------------------------- */

struct lincheck_history *lincheck_history_new(void)
{
    return xcalloc(1, sizeof(struct lincheck_history));
}

void lincheck_history_free(struct lincheck_history *h)
{
    if (h == NULL) {
        return;
    }
    for (size_t i = 0; i < h->n; i++) {
        free((char *)h->ops[i].key);
    }
    free(h->ops);
    free(h);
}

size_t lincheck_history_count(const struct lincheck_history *h)
{
    return h->n;
}

static bool result_fits(const struct lincheck_op *op)
{
    switch (op->kind) {
    case LINCHECK_READ:
        return op->result == LINCHECK_R_ABSENT ||
               (op->result == LINCHECK_R_VALUE &&
                op->result_value != LINCHECK_ABSENT &&
                op->result_value != LINCHECK_UNSEEN);
    case LINCHECK_WRITE:
    case LINCHECK_DELETE:
        return op->result == LINCHECK_R_DONE ||
               op->result == LINCHECK_R_NOT_FOUND;
    case LINCHECK_CREATE:
        return op->result == LINCHECK_R_DONE || op->result == LINCHECK_R_EXISTS;
    }
    return false;
}

int lincheck_history_add(struct lincheck_history *h,
                         const struct lincheck_op *op,
                         char errmsg[LINCHECK_ERRMSG_SIZE])
{
    struct lincheck_op *p;

    if (op->key == NULL || op->key[0] == '\0') {
        errmsg_printf(errmsg, "empty key");
        return -1;
    }
    if ((unsigned)op->kind > LINCHECK_DELETE ||
        (unsigned)op->outcome > LINCHECK_INFO) {
        errmsg_printf(errmsg, "bad op or outcome");
        return -1;
    }
    if ((op->kind == LINCHECK_WRITE || op->kind == LINCHECK_CREATE) &&
        (op->value == LINCHECK_ABSENT || op->value == LINCHECK_UNSEEN)) {
        errmsg_printf(errmsg, "%s: the value %" PRId64 " is reserved",
                      kind_name(op->kind), op->value);
        return -1;
    }
    if (op->outcome == LINCHECK_OK && !result_fits(op)) {
        errmsg_printf(errmsg, "%s cannot return %s", kind_name(op->kind),
                      result_name(op->result));
        return -1;
    }
    if (op->outcome != LINCHECK_INFO && op->complete_ns < op->invoke_ns) {
        errmsg_printf(errmsg,
                      "complete_ns %" PRId64 " is before invoke_ns %" PRId64,
                      op->complete_ns, op->invoke_ns);
        return -1;
    }
    if (h->n == h->cap) {
        h->cap = h->cap != 0 ? h->cap * 2 : 256;
        h->ops = xrealloc(h->ops, h->cap * sizeof(*h->ops));
    }
    p = &h->ops[h->n++];
    *p = *op;
    p->key = xstrdup(op->key);
    return 0;
}

/* An integer member; @null_ok lets it be null or missing (*present false). */
static int get_int(const json_t *o, const char *name, bool null_ok,
                   int64_t *out, bool *present,
                   char errmsg[LINCHECK_ERRMSG_SIZE])
{
    const json_t *v = json_object_get(o, name);

    if (present != NULL) {
        *present = false;
    }
    if (v == NULL || json_is_null(v)) {
        if (null_ok) {
            return 0;
        }
        errmsg_printf(errmsg, "'%s' is missing", name);
        return -1;
    }
    if (!json_is_integer(v)) {
        errmsg_printf(errmsg, "'%s' must be an integer", name);
        return -1;
    }
    *out = (int64_t)json_integer_value(v);
    if (present != NULL) {
        *present = true;
    }
    return 0;
}

static int get_enum(const json_t *o, const char *name, const char *const *names,
                    size_t n, int *out, char errmsg[LINCHECK_ERRMSG_SIZE])
{
    const json_t *v = json_object_get(o, name);
    const char *s;

    if (!json_is_string(v)) {
        errmsg_printf(errmsg, "'%s' must be a string", name);
        return -1;
    }
    s = json_string_value(v);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    errmsg_printf(errmsg, "'%s': unknown value \"%.40s\"", name, s);
    return -1;
}

static int parse_result(const json_t *o, struct lincheck_op *op,
                        char errmsg[LINCHECK_ERRMSG_SIZE])
{
    const json_t *v = json_object_get(o, "result");
    const char *s;

    if (op->kind == LINCHECK_READ) {
        if (v == NULL || json_is_null(v)) {
            op->result = LINCHECK_R_ABSENT;
            return 0;
        }
        if (!json_is_integer(v)) {
            errmsg_printf(errmsg, "a read's 'result' must be an integer "
                                  "or null (absent)");
            return -1;
        }
        op->result = LINCHECK_R_VALUE;
        op->result_value = (int64_t)json_integer_value(v);
        return 0;
    }
    if (v == NULL || json_is_null(v)) {
        op->result = LINCHECK_R_DONE;
        return 0;
    }
    if (!json_is_string(v)) {
        errmsg_printf(errmsg, "'result' must be null or a string");
        return -1;
    }
    s = json_string_value(v);
    if (strcmp(s, "ok") == 0) {
        op->result = LINCHECK_R_DONE;
    } else if (strcmp(s, "not_found") == 0) {
        op->result = LINCHECK_R_NOT_FOUND;
    } else if (strcmp(s, "already_exists") == 0) {
        op->result = LINCHECK_R_EXISTS;
    } else {
        errmsg_printf(errmsg, "'result': unknown value \"%.40s\"", s);
        return -1;
    }
    return 0;
}

static int parse_op(const json_t *o, struct lincheck_op *op,
                    char errmsg[LINCHECK_ERRMSG_SIZE])
{
    static const char *const kinds[] = {"read", "write", "create", "delete"};
    static const char *const outcomes[] = {"ok", "fail", "info"};
    const json_t *key = json_object_get(o, "key");
    bool present;
    int k;

    if (!json_is_object(o)) {
        errmsg_printf(errmsg, "not a JSON object");
        return -1;
    }
    if (get_int(o, "client", false, &op->client, NULL, errmsg) != 0) {
        return -1;
    }
    if (!json_is_string(key)) {
        errmsg_printf(errmsg, "'key' must be a string");
        return -1;
    }
    op->key = json_string_value(key);
    if (get_enum(o, "op", kinds, 4, &k, errmsg) != 0) {
        return -1;
    }
    op->kind = (enum lincheck_kind)k;
    if (get_enum(o, "outcome", outcomes, 3, &k, errmsg) != 0) {
        return -1;
    }
    op->outcome = (enum lincheck_outcome)k;
    if (op->kind == LINCHECK_WRITE || op->kind == LINCHECK_CREATE) {
        if (get_int(o, "value", false, &op->value, NULL, errmsg) != 0) {
            return -1;
        }
    }
    if (get_int(o, "invoke_ns", false, &op->invoke_ns, NULL, errmsg) != 0 ||
        get_int(o, "complete_ns", op->outcome == LINCHECK_INFO,
                &op->complete_ns, &present, errmsg) != 0) {
        return -1;
    }
    if (!present) {
        op->complete_ns = INT64_MAX;
    }
    if (op->outcome == LINCHECK_OK) {
        return parse_result(o, op, errmsg);
    }
    return 0;
}

int lincheck_history_add_json(struct lincheck_history *h, const char *text,
                              size_t line, char errmsg[LINCHECK_ERRMSG_SIZE])
{
    struct lincheck_op op = {0};
    json_error_t jerr;
    json_t *o;
    const char *p = text;
    char why[LINCHECK_ERRMSG_SIZE];
    int rc;

    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
        p++;
    }
    if (*p == '\0') {
        return 0;
    }
    o = json_loads(p, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL) {
        errmsg_printf(errmsg, "line %zu: bad JSON: %s", line, jerr.text);
        return -1;
    }
    op.line = line;
    rc = parse_op(o, &op, why);
    if (rc == 0) {
        rc = lincheck_history_add(h, &op, why);
    }
    json_decref(o);
    if (rc != 0) {
        errmsg_printf(errmsg, "line %zu: %s", line, why);
    }
    return rc;
}

int lincheck_history_read(struct lincheck_history *h, FILE *f,
                          char errmsg[LINCHECK_ERRMSG_SIZE])
{
    char *line = NULL;
    size_t cap = 0;
    size_t lineno = 0;
    int rc = 0;

    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        rc = lincheck_history_add_json(h, line, lineno, errmsg);
        if (rc != 0) {
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        errmsg_printf(errmsg, "read error after line %zu", lineno);
        rc = -1;
    }
    free(line);
    return rc;
}

/* ---- the model ---------------------------------------------------------- */

/* What an ok operation needs of the value just before it. */
enum need {
    NEED_ABSENT,
    NEED_PRESENT,
    NEED_EXACT, /* a read's result_value */
};

static enum need op_need(const struct lincheck_op *op)
{
    switch (op->kind) {
    case LINCHECK_READ:
        return op->result == LINCHECK_R_ABSENT ? NEED_ABSENT : NEED_EXACT;
    case LINCHECK_WRITE:
    case LINCHECK_DELETE:
        return op->result == LINCHECK_R_DONE ? NEED_PRESENT : NEED_ABSENT;
    case LINCHECK_CREATE:
        return op->result == LINCHECK_R_DONE ? NEED_ABSENT : NEED_PRESENT;
    }
    return NEED_ABSENT;
}

/* Whether the ok operation @op gives its recorded result on the value @v. */
static bool need_holds(const struct lincheck_op *op, int64_t v)
{
    switch (op_need(op)) {
    case NEED_ABSENT:
        return v == LINCHECK_ABSENT;
    case NEED_PRESENT:
        return v != LINCHECK_ABSENT;
    case NEED_EXACT:
        return v == op->result_value;
    }
    return false;
}

/* The value after @op on the value @v, where @arg is the op's argument as
 * the search sees it (see search.arg). */
static int64_t model_apply(int64_t v, const struct lincheck_op *op, int64_t arg)
{
    switch (op->kind) {
    case LINCHECK_READ:
        return v;
    case LINCHECK_WRITE:
        return v == LINCHECK_ABSENT ? v : arg;
    case LINCHECK_CREATE:
        return v == LINCHECK_ABSENT ? arg : v;
    case LINCHECK_DELETE:
        return LINCHECK_ABSENT;
    }
    return v;
}

/* ---- the search of one key ---------------------------------------------- */

/* An invoke or complete event of an ok operation (info operations have
 * none: they are available from their invoke time on). */
struct event {
    struct event *prev;
    struct event *next;
    struct event *match; /* a call's complete event */
    int64_t t;
    uint32_t op; /* index into search.ops */
    bool call;
};

/* A memoized configuration: its hash (ok ops and value), value and bitset
 * (in search.pool). */
struct memo_rec {
    uint64_t hash;
    int64_t value;
    uint32_t next; /* chain: index + 1, 0 ends it */
};

/* A way to place an ok operation: the info operations placed just before
 * it (-1: none) and the value they leave. */
struct run {
    int32_t a;
    int32_t b;
    int64_t value;
};

struct search {
    const struct lincheck_op **ops; /* ok ops, then info ops, by invoke */
    /* Each op's argument, or LINCHECK_UNSEEN when no ok read returns it:
     * such values all behave alike, so the states merge. */
    int64_t *arg;
    size_t m;
    size_t n_ok;
    size_t nw; /* bitset words */
    uint64_t *bits;
    uint64_t *zob; /* a random key per ok op */
    struct memo_rec *recs;
    uint64_t *pool; /* nw words per record */
    size_t n_recs;
    size_t cap_recs;
    size_t max_recs;
    uint32_t *heads;  /* hash buckets: record index + 1 */
    size_t n_heads;   /* a power of two */
    struct run *runs; /* the ways to place the op being tried */
    size_t n_runs;
    size_t cap_runs;
};

static bool bit_get(const struct search *s, int32_t i)
{
    return (s->bits[i / 64] >> (i % 64) & 1) != 0;
}

static void bit_set(struct search *s, int32_t i, bool on)
{
    if (i < 0) {
        return;
    }
    if (on) {
        s->bits[i / 64] |= (uint64_t)1 << (i % 64);
    } else {
        s->bits[i / 64] &= ~((uint64_t)1 << (i % 64));
    }
}

static uint64_t ok_mask(const struct search *s, size_t w)
{
    size_t full = s->n_ok / 64;

    if (w < full) {
        return ~(uint64_t)0;
    }
    if (w == full && s->n_ok % 64 != 0) {
        return ((uint64_t)1 << (s->n_ok % 64)) - 1;
    }
    return 0;
}

/* Whether the record @r has the same ok ops as the current bitset and a
 * subset of its info ops (the caller compares the value): then it was
 * explored and failed, and so would the current configuration. */
static bool memo_covers(const struct search *s, size_t r)
{
    const uint64_t *b = s->pool + r * s->nw;

    for (size_t w = 0; w < s->nw; w++) {
        if ((b[w] & ~s->bits[w]) != 0 ||
            (s->bits[w] & ~b[w] & ok_mask(s, w)) != 0) {
            return false;
        }
    }
    return true;
}

static void memo_rehash(struct search *s, size_t n_heads)
{
    free(s->heads);
    s->heads = xcalloc(n_heads, sizeof(*s->heads));
    s->n_heads = n_heads;
    for (size_t i = 0; i < s->n_recs; i++) {
        size_t b = s->recs[i].hash & (n_heads - 1);

        s->recs[i].next = s->heads[b];
        s->heads[b] = (uint32_t)(i + 1);
    }
}

/* Returns 1 if the current configuration (s->bits, @value) is covered by a
 * memoized one, 0 after memoizing it, -1 when the budget is used up. */
static int memo_visit(struct search *s, uint64_t okhash, int64_t value)
{
    uint64_t hash = mix64(okhash ^ mix64((uint64_t)value));
    size_t b = hash & (s->n_heads - 1);
    struct memo_rec *r;

    for (uint32_t i = s->heads[b]; i != 0; i = s->recs[i - 1].next) {
        r = &s->recs[i - 1];
        if (r->hash == hash && r->value == value && memo_covers(s, i - 1)) {
            return 1;
        }
    }
    if (s->n_recs == s->max_recs) {
        return -1;
    }
    if (s->n_recs == s->cap_recs) {
        s->cap_recs = s->cap_recs != 0 ? s->cap_recs * 2 : 1024;
        if (s->cap_recs > s->max_recs) {
            s->cap_recs = s->max_recs;
        }
        s->recs = xrealloc(s->recs, s->cap_recs * sizeof(*s->recs));
        s->pool = xrealloc(s->pool, s->cap_recs * s->nw * sizeof(uint64_t));
    }
    r = &s->recs[s->n_recs];
    r->hash = hash;
    r->value = value;
    r->next = s->heads[b];
    memcpy(s->pool + s->n_recs * s->nw, s->bits, s->nw * sizeof(uint64_t));
    s->n_recs++;
    s->heads[b] = (uint32_t)s->n_recs;
    if (s->n_recs > s->n_heads) {
        memo_rehash(s, s->n_heads * 2);
    }
    return 0;
}

static void add_run(struct search *s, size_t a, size_t b, int64_t value)
{
    if (s->n_runs == s->cap_runs) {
        s->cap_runs = s->cap_runs != 0 ? s->cap_runs * 2 : 16;
        s->runs = xrealloc(s->runs, s->cap_runs * sizeof(*s->runs));
    }
    s->runs[s->n_runs++] = (struct run){
        .a = a == SIZE_MAX ? -1 : (int32_t)a,
        .b = b == SIZE_MAX ? -1 : (int32_t)b,
        .value = value,
    };
}

/* The info op @i is unplaced and invoked by @t, and of kind @k. */
static bool info_free(const struct search *s, size_t i, int64_t t,
                      enum lincheck_kind k)
{
    return s->ops[i]->invoke_ns <= t && s->ops[i]->kind == k &&
           !bit_get(s, (int32_t)i);
}

/* Add the runs of one info create to s->runs that make the value present
 * for the ok op @x (and then @then, an info write, if not -1), with the
 * info ops invoked by @t. Creates of values no read returns are alike: the
 * first stands for all of them, and is the one to spend when @x or @then
 * overwrites the value anyway. */
static void add_create_runs(struct search *s, uint32_t x, size_t then,
                            int64_t t)
{
    const struct lincheck_op *op = s->ops[x];
    bool erases = then != SIZE_MAX ||
                  (op->kind != LINCHECK_CREATE && op->kind != LINCHECK_READ);
    bool unseen = false;

    for (size_t i = s->n_ok; i < s->m && !unseen; i++) {
        if (info_free(s, i, t, LINCHECK_CREATE) &&
            s->arg[i] == LINCHECK_UNSEEN) {
            unseen = true;
            if (then == SIZE_MAX) {
                add_run(s, i, SIZE_MAX, LINCHECK_UNSEEN);
            } else {
                add_run(s, i, then, s->arg[then]);
            }
        }
    }
    if (unseen && erases) {
        return;
    }
    for (size_t i = s->n_ok; i < s->m; i++) {
        if (info_free(s, i, t, LINCHECK_CREATE) &&
            s->arg[i] != LINCHECK_UNSEEN &&
            (then == SIZE_MAX || s->arg[i] != s->arg[then])) {
            if (then == SIZE_MAX) {
                add_run(s, i, SIZE_MAX, s->arg[i]);
            } else {
                add_run(s, i, then, s->arg[then]);
            }
        }
    }
}

/* Fill s->runs with the ways to place the ok op @x on the value @v, with
 * the info ops invoked by @t: none when its need holds; else the shortest
 * runs of info ops that meet it (see the top of the file), with one op
 * standing for all those that are alike. */
static void gen_runs(struct search *s, uint32_t x, int64_t v, int64_t t)
{
    const struct lincheck_op *op = s->ops[x];
    int64_t want = op->result_value;
    size_t d = SIZE_MAX;

    s->n_runs = 0;
    if (need_holds(op, v)) {
        add_run(s, SIZE_MAX, SIZE_MAX, v);
        return;
    }
    for (size_t i = s->n_ok; i < s->m && d == SIZE_MAX; i++) {
        if (info_free(s, i, t, LINCHECK_DELETE)) {
            d = i;
        }
    }
    switch (op_need(op)) {
    case NEED_ABSENT: /* v is present */
        if (d != SIZE_MAX) {
            add_run(s, d, SIZE_MAX, LINCHECK_ABSENT);
        }
        break;
    case NEED_PRESENT: /* v is absent */
        add_create_runs(s, x, SIZE_MAX, t);
        break;
    case NEED_EXACT: /* want is a value a read returns: never UNSEEN */
        for (size_t i = s->n_ok; i < s->m; i++) {
            if (s->arg[i] != want) {
                continue;
            }
            if (v != LINCHECK_ABSENT) {
                if (info_free(s, i, t, LINCHECK_WRITE)) {
                    add_run(s, i, SIZE_MAX, want);
                } else if (d != SIZE_MAX &&
                           info_free(s, i, t, LINCHECK_CREATE)) {
                    add_run(s, d, i, want);
                }
            } else if (info_free(s, i, t, LINCHECK_CREATE)) {
                add_run(s, i, SIZE_MAX, want);
            } else if (info_free(s, i, t, LINCHECK_WRITE)) {
                add_create_runs(s, x, i, t);
            }
        }
        break;
    }
}

static void lift(struct event *e)
{
    struct event *r = e->match;

    e->prev->next = e->next;
    e->next->prev = e->prev; /* a call always has its complete after it */
    r->prev->next = r->next;
    if (r->next != NULL) {
        r->next->prev = r->prev;
    }
}

static void unlift(struct event *e)
{
    struct event *r = e->match;

    r->prev->next = r;
    if (r->next != NULL) {
        r->next->prev = r;
    }
    e->prev->next = e;
    e->next->prev = e;
}

static int event_cmp(const void *a, const void *b)
{
    const struct event *x = a;
    const struct event *y = b;

    if (x->t != y->t) {
        return x->t < y->t ? -1 : 1;
    }
    /* At equal times, invokes first: the two operations overlap. */
    if (x->call != y->call) {
        return x->call ? -1 : 1;
    }
    return x->op < y->op ? -1 : x->op > y->op;
}

static void print_value(FILE *f, int64_t v)
{
    if (v == LINCHECK_ABSENT) {
        fputs("absent", f);
    } else {
        fprintf(f, "%" PRId64, v);
    }
}

static void print_op(FILE *f, const struct lincheck_op *op, int64_t t0)
{
    fprintf(f, "    client %" PRId64 " %s", op->client, kind_name(op->kind));
    if (op->kind == LINCHECK_WRITE || op->kind == LINCHECK_CREATE) {
        fprintf(f, "(%" PRId64 ")", op->value);
    }
    if (op->outcome == LINCHECK_INFO) {
        fputs(" -> info", f);
    } else if (op->result == LINCHECK_R_VALUE) {
        fprintf(f, " -> %" PRId64, op->result_value);
    } else {
        fprintf(f, " -> %s", result_name(op->result));
    }
    fprintf(f, "  [%.3f ms", (double)(op->invoke_ns - t0) / 1e6);
    if (op->outcome == LINCHECK_INFO) {
        fputs(", never completed]", f);
    } else {
        fprintf(f, ", %.3f ms]", (double)(op->complete_ns - t0) / 1e6);
    }
    if (op->line != 0) {
        fprintf(f, "  (line %zu)", op->line);
    }
    fputc('\n', f);
}

struct frame {
    struct event *e;
    uint32_t choice; /* index into the runs of e's op */
    struct run run;
    int64_t value; /* before the run */
    int64_t real;  /* the same, with the value no read returns */
    uint64_t okhash;
};

/* The real value after the run @r and the ok op @x, from @real (the search
 * itself only knows the values that reads return). */
static int64_t real_after(const struct search *s, int64_t real,
                          const struct run *r, uint32_t x)
{
    if (r->a >= 0) {
        real = model_apply(real, s->ops[r->a], s->ops[r->a]->value);
    }
    if (r->b >= 0) {
        real = model_apply(real, s->ops[r->b], s->ops[r->b]->value);
    }
    return model_apply(real, s->ops[x], s->ops[x]->value);
}

/* The deepest point the search reached: what it could not get past. */
struct best {
    bool set;
    size_t depth;
    int64_t value;
    uint32_t blocked; /* the op whose complete event stopped the search */
    size_t n_info;    /* info ops that could still have taken effect */
    uint32_t pending[SHOW_PENDING];
    size_t n_pending;
    size_t more_pending;
    struct frame prefix[SHOW_PREFIX]; /* the last ops placed, in order */
    size_t n_prefix;
};

static void note_best(struct best *best, const struct search *s,
                      const struct event *head, const struct event *at,
                      const struct frame *stack, size_t depth, int64_t value)
{
    if (best->set && depth <= best->depth) {
        return;
    }
    best->set = true;
    best->depth = depth;
    best->value = value;
    best->blocked = at->op;
    best->n_pending = 0;
    best->more_pending = 0;
    best->n_info = 0;
    for (size_t i = s->n_ok; i < s->m; i++) {
        if (s->ops[i]->invoke_ns <= at->t && !bit_get(s, (int32_t)i)) {
            best->n_info++;
        }
    }
    for (const struct event *e = head->next; e != at; e = e->next) {
        if (e->op == at->op) {
            continue;
        }
        if (best->n_pending < SHOW_PENDING) {
            best->pending[best->n_pending++] = e->op;
        } else {
            best->more_pending++;
        }
    }
    best->n_prefix = depth < SHOW_PREFIX ? depth : SHOW_PREFIX;
    memcpy(best->prefix, stack + depth - best->n_prefix,
           best->n_prefix * sizeof(*stack));
}

static char *explain_best(const struct search *s, const struct best *best,
                          int64_t t0)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (f == NULL) {
        return xstrdup("  (no memory for the explanation)\n");
    }
    fputs("  this operation could not be linearized:\n", f);
    print_op(f, s->ops[best->blocked], t0);
    fprintf(f,
            "  the longest linearizable prefix places %zu ok operations "
            "and leaves the value ",
            best->depth);
    print_value(f, best->value);
    fputs(best->n_prefix > 0 ? "; it ends with:\n" : "\n", f);
    for (size_t i = 0; i < best->n_prefix; i++) {
        const struct frame *fr = &best->prefix[i];

        if (fr->run.a >= 0) {
            print_op(f, s->ops[fr->run.a], t0);
        }
        if (fr->run.b >= 0) {
            print_op(f, s->ops[fr->run.b], t0);
        }
        print_op(f, s->ops[fr->e->op], t0);
    }
    if (best->n_pending > 0) {
        fputs("  the other operations pending then, none of which helps:\n", f);
        for (size_t i = 0; i < best->n_pending; i++) {
            print_op(f, s->ops[best->pending[i]], t0);
        }
        if (best->more_pending > 0) {
            fprintf(f, "    ... and %zu more\n", best->more_pending);
        }
    } else {
        fputs("  no other operation was pending then\n", f);
    }
    if (best->n_info > 0) {
        fprintf(f, "  (%zu info operations could also have taken effect)\n",
                best->n_info);
    }
    if (fclose(f) != 0 || text == NULL) {
        free(text);
        return xstrdup("  (no memory for the explanation)\n");
    }
    return text;
}

static char *explain_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *explain_printf(const char *fmt, ...)
{
    char buf[LINCHECK_ERRMSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return xstrdup(buf);
}

static void search_free(struct search *s)
{
    free(s->ops);
    free(s->arg);
    free(s->bits);
    free(s->zob);
    free(s->recs);
    free(s->pool);
    free(s->heads);
    free(s->runs);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* Set up @s for the ops @idx[0..n) of one key: ok ops first, then info
 * mutations, each by invoke time; the rest is left out. */
static void search_init(struct search *s, const struct lincheck_history *h,
                        const size_t *idx, size_t n, uint64_t max_states)
{
    int64_t *seen;
    size_t n_seen = 0;

    memset(s, 0, sizeof(*s));
    s->ops = xcalloc(n, sizeof(*s->ops));
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            const struct lincheck_op *op = &h->ops[idx[i]];
            bool take = pass == 0 ? op->outcome == LINCHECK_OK
                                  : op->outcome == LINCHECK_INFO &&
                                        op->kind != LINCHECK_READ;

            if (take) {
                s->ops[s->m++] = op;
            }
        }
        if (pass == 0) {
            s->n_ok = s->m;
        }
    }
    /* The values the ok reads return, sorted. */
    seen = xcalloc(s->n_ok + 1, sizeof(*seen));
    for (size_t i = 0; i < s->n_ok; i++) {
        if (s->ops[i]->kind == LINCHECK_READ &&
            s->ops[i]->result == LINCHECK_R_VALUE) {
            seen[n_seen++] = s->ops[i]->result_value;
        }
    }
    qsort(seen, n_seen, sizeof(*seen), cmp_i64);
    s->arg = xcalloc(s->m + 1, sizeof(*s->arg));
    for (size_t i = 0; i < s->m; i++) {
        s->arg[i] = bsearch(&s->ops[i]->value, seen, n_seen, sizeof(*seen),
                            cmp_i64) != NULL
                        ? s->ops[i]->value
                        : LINCHECK_UNSEEN;
    }
    free(seen);
    s->nw = s->m / 64 + 1;
    s->bits = xcalloc(s->nw, sizeof(uint64_t));
    s->zob = xcalloc(s->n_ok + 1, sizeof(uint64_t));
    for (size_t i = 0; i < s->n_ok; i++) {
        s->zob[i] = mix64(i * 0x9e3779b97f4a7c15u + 1);
    }
    s->max_recs = MEMO_BYTES_MAX / (s->nw * sizeof(uint64_t) +
                                    sizeof(struct memo_rec) + sizeof(uint32_t));
    if (s->max_recs > max_states) {
        s->max_recs = max_states;
    }
    if (s->max_recs > UINT32_MAX - 1) {
        s->max_recs = UINT32_MAX - 1;
    }
    memo_rehash(s, 1024);
}

/* The events of the ok ops in time order, linked after @head. Returns the
 * array to free. */
static struct event *link_events(const struct search *s, struct event *head)
{
    struct event *ev = xcalloc(2 * s->n_ok + 1, sizeof(*ev));
    struct event **call_of = xcalloc(s->n_ok + 1, sizeof(*call_of));
    struct event *prev = head;
    size_t n = 0;

    for (size_t i = 0; i < s->n_ok; i++) {
        ev[n++] = (struct event){
            .t = s->ops[i]->invoke_ns, .op = (uint32_t)i, .call = true};
        ev[n++] = (struct event){
            .t = s->ops[i]->complete_ns, .op = (uint32_t)i, .call = false};
    }
    qsort(ev, n, sizeof(*ev), event_cmp);
    for (size_t i = 0; i < n; i++) {
        struct event *e = &ev[i];

        e->prev = prev;
        prev->next = e;
        prev = e;
        if (e->call) {
            call_of[e->op] = e;
        } else {
            call_of[e->op]->match = e;
        }
    }
    free(call_of);
    return ev;
}

/* Check the ops @idx[0..n) of one key; fill @kr (key and counts set). */
static void check_key(const struct lincheck_history *h, const size_t *idx,
                      size_t n, uint64_t max_states, uint64_t deadline_ns,
                      int64_t t0, struct lincheck_key_report *kr)
{
    struct search s;
    struct event head = {0};
    struct event *events;
    struct event *first_ret = NULL; /* of the list; NULL: not known */
    struct frame *stack;
    struct best best = {0};
    size_t depth = 0;
    size_t remaining;
    uint64_t okhash = 0;
    uint64_t steps = 0;
    int64_t value = LINCHECK_ABSENT;
    int64_t real = LINCHECK_ABSENT;
    uint32_t choice = 0; /* the first run of e's op to try */
    struct event *e;

    search_init(&s, h, idx, n, max_states);
    kr->n_checked = s.m;
    kr->n_info = s.m - s.n_ok;
    events = link_events(&s, &head);
    stack = xcalloc(s.n_ok + 1, sizeof(*stack));
    remaining = s.n_ok;
    e = head.next;
    kr->verdict = LINCHECK_LINEARIZABLE;
    while (remaining > 0) {
        if (++steps % CLOCK_EVERY == 0 && mono_ns() > deadline_ns) {
            kr->verdict = LINCHECK_UNKNOWN;
            kr->explain = explain_printf("  the time limit ran out after "
                                         "%zu states",
                                         s.n_recs);
            break;
        }
        /* Some ok op is unplaced, so a complete event lies ahead. */
        if (e->call) {
            const struct lincheck_op *op = s.ops[e->op];
            uint64_t h2 = okhash ^ s.zob[e->op];
            int seen = 1;
            uint32_t k;

            if (first_ret == NULL) {
                for (first_ret = e; first_ret->call;
                     first_ret = first_ret->next) {
                }
            }
            gen_runs(&s, e->op, value, first_ret->t);
            for (k = choice; k < s.n_runs; k++) {
                const struct run *r = &s.runs[k];

                bit_set(&s, r->a, true);
                bit_set(&s, r->b, true);
                bit_set(&s, (int32_t)e->op, true);
                seen =
                    memo_visit(&s, h2, model_apply(r->value, op, s.arg[e->op]));
                if (seen <= 0) {
                    break;
                }
                bit_set(&s, r->a, false);
                bit_set(&s, r->b, false);
                bit_set(&s, (int32_t)e->op, false);
            }
            if (seen < 0) {
                kr->verdict = LINCHECK_UNKNOWN;
                kr->explain = explain_printf(
                    "  the search budget ran out (%zu states)", s.n_recs);
                break;
            }
            if (seen == 0) {
                stack[depth++] = (struct frame){.e = e,
                                                .choice = k,
                                                .run = s.runs[k],
                                                .value = value,
                                                .real = real,
                                                .okhash = okhash};
                value = model_apply(s.runs[k].value, op, s.arg[e->op]);
                real = real_after(&s, real, &s.runs[k], e->op);
                okhash = h2;
                lift(e);
                remaining--;
                first_ret = NULL;
                e = head.next;
            } else {
                e = e->next;
            }
            choice = 0;
            continue;
        }
        note_best(&best, &s, &head, e, stack, depth, real);
        if (depth == 0) {
            kr->verdict = LINCHECK_NOT_LINEARIZABLE;
            kr->explain = explain_best(&s, &best, t0);
            break;
        }
        depth--;
        e = stack[depth].e;
        choice = stack[depth].choice + 1;
        value = stack[depth].value;
        real = stack[depth].real;
        okhash = stack[depth].okhash;
        bit_set(&s, stack[depth].run.a, false);
        bit_set(&s, stack[depth].run.b, false);
        bit_set(&s, (int32_t)e->op, false);
        unlift(e);
        remaining++;
        first_ret = NULL;
    }
    kr->states = s.n_recs;
    free(stack);
    free(events);
    search_free(&s);
}

/* ---- checking ----------------------------------------------------------- */

static const struct lincheck_history *sort_h;

static int idx_cmp(const void *a, const void *b)
{
    const struct lincheck_op *x = &sort_h->ops[*(const size_t *)a];
    const struct lincheck_op *y = &sort_h->ops[*(const size_t *)b];
    int c = strcmp(x->key, y->key);

    if (c != 0) {
        return c;
    }
    if (x->invoke_ns != y->invoke_ns) {
        return x->invoke_ns < y->invoke_ns ? -1 : 1;
    }
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

enum lincheck_verdict lincheck_check(const struct lincheck_history *h,
                                     const struct lincheck_options *o,
                                     struct lincheck_report *out)
{
    uint64_t max_states = LINCHECK_MAX_STATES_DEFAULT;
    uint64_t max_ms = LINCHECK_MAX_MS_DEFAULT;
    uint64_t deadline_ns;
    size_t *idx = xcalloc(h->n, sizeof(*idx));
    int64_t t0 = INT64_MAX;
    size_t i = 0;
    bool unknown = false;

    if (o != NULL && o->max_states != 0) {
        max_states = o->max_states;
    }
    if (o != NULL && o->max_ms != 0) {
        max_ms = o->max_ms;
    }
    deadline_ns = mono_ns() + max_ms * 1000000u;
    memset(out, 0, sizeof(*out));
    for (size_t j = 0; j < h->n; j++) {
        idx[j] = j;
        if (h->ops[j].invoke_ns < t0) {
            t0 = h->ops[j].invoke_ns;
        }
    }
    sort_h = h;
    qsort(idx, h->n, sizeof(*idx), idx_cmp);
    sort_h = NULL;

    out->keys = xcalloc(h->n, sizeof(*out->keys));
    out->verdict = LINCHECK_LINEARIZABLE;
    while (i < h->n) {
        size_t j = i + 1;
        struct lincheck_key_report *kr = &out->keys[out->n_keys++];
        uint64_t start = mono_ns();

        while (j < h->n &&
               strcmp(h->ops[idx[j]].key, h->ops[idx[i]].key) == 0) {
            j++;
        }
        kr->key = xstrdup(h->ops[idx[i]].key);
        kr->n_ops = j - i;
        check_key(h, idx + i, j - i, max_states, deadline_ns, t0, kr);
        kr->ms = (double)(mono_ns() - start) / 1e6;
        if (kr->verdict == LINCHECK_NOT_LINEARIZABLE) {
            out->verdict = LINCHECK_NOT_LINEARIZABLE;
        } else if (kr->verdict == LINCHECK_UNKNOWN) {
            unknown = true;
        }
        i = j;
    }
    if (unknown && out->verdict == LINCHECK_LINEARIZABLE) {
        out->verdict = LINCHECK_UNKNOWN;
    }
    free(idx);
    return out->verdict;
}

void lincheck_report_print(const struct lincheck_report *r, FILE *f)
{
    for (size_t i = 0; i < r->n_keys; i++) {
        const struct lincheck_key_report *k = &r->keys[i];

        fprintf(f,
                "%s: %s, %zu ops (%zu checked, %zu of them info), "
                "%" PRIu64 " states, %.1f ms\n",
                k->key, lincheck_verdict_name(k->verdict), k->n_ops,
                k->n_checked, k->n_info, k->states, k->ms);
        if (k->explain != NULL) {
            fputs(k->explain, f);
            if (k->explain[0] != '\0' &&
                k->explain[strlen(k->explain) - 1] != '\n') {
                fputc('\n', f);
            }
        }
    }
}

void lincheck_report_free(struct lincheck_report *r)
{
    for (size_t i = 0; i < r->n_keys; i++) {
        free(r->keys[i].key);
        free(r->keys[i].explain);
    }
    free(r->keys);
    memset(r, 0, sizeof(*r));
}
