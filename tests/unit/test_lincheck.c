/*
 * test_lincheck: the linearizability checker of tests/lin against histories
 * whose answer is known: sequential and concurrent ones that are
 * linearizable (overlapping writes read either way, info operations that
 * did or did not take effect, failed ones left out) and ones that are not
 * (a stale read, a read that goes back in time, two creates without a
 * delete, a value nobody wrote, a failed write that shows); keys are
 * checked apart; bad JSON lines are refused; the search stays bounded;
 * and it agrees with an exhaustive search on thousands of small random
 * histories, and passes thousands of generated concurrent operations.
 *
 * Histories are tables of {client, key, spec, invoke, complete}, where spec
 * is the operation and its answer: "c5" create(5) -> ok, "c5:ex" ->
 * already_exists, "w5", "w5:nf" write, "d", "d:nf" delete, "r5" read -> 5,
 * "r-" read -> absent; a trailing "?" makes it info, "!" fail.
 *
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../lin/lincheck.h"

struct row {
    int client;
    const char *key;
    const char *spec;
    int64_t invoke;
    int64_t complete; /* ignored for info */
};

#define END                                                                    \
    {                                                                          \
        0, NULL, NULL, 0, 0                                                    \
    }

static void add_spec(struct lincheck_history *h, const struct row *r)
{
    struct lincheck_op op = {0};
    const char *s = r->spec;
    char *end;
    char errmsg[LINCHECK_ERRMSG_SIZE] = "";

    op.client = r->client;
    op.key = r->key;
    op.invoke_ns = r->invoke;
    op.complete_ns = r->complete;
    op.kind = s[0] == 'r'   ? LINCHECK_READ
              : s[0] == 'w' ? LINCHECK_WRITE
              : s[0] == 'c' ? LINCHECK_CREATE
                            : LINCHECK_DELETE;
    s++;
    op.result = LINCHECK_R_DONE;
    if (op.kind == LINCHECK_READ && *s == '-') {
        op.result = LINCHECK_R_ABSENT;
        s++;
    } else if (op.kind == LINCHECK_READ) {
        op.result = LINCHECK_R_VALUE;
        op.result_value = strtoll(s, &end, 10);
        s = end;
    } else if (op.kind != LINCHECK_DELETE) {
        op.value = strtoll(s, &end, 10);
        s = end;
    }
    if (strncmp(s, ":nf", 3) == 0) {
        op.result = LINCHECK_R_NOT_FOUND;
        s += 3;
    } else if (strncmp(s, ":ex", 3) == 0) {
        op.result = LINCHECK_R_EXISTS;
        s += 3;
    }
    op.outcome = *s == '?'   ? LINCHECK_INFO
                 : *s == '!' ? LINCHECK_FAIL
                             : LINCHECK_OK;
    assert_int_equal(lincheck_history_add(h, &op, errmsg), 0);
}

static struct lincheck_history *build(const struct row *rows)
{
    struct lincheck_history *h = lincheck_history_new();

    for (const struct row *r = rows; r->spec != NULL; r++) {
        add_spec(h, r);
    }
    return h;
}

/* Check @rows; expect @want overall; return the report (free it). */
static void check_rows(const struct row *rows, enum lincheck_verdict want,
                       struct lincheck_report *rep)
{
    struct lincheck_history *h = build(rows);
    enum lincheck_verdict v = lincheck_check(h, NULL, rep);

    if (v != want) {
        lincheck_report_print(rep, stderr);
    }
    assert_int_equal(v, want);
    assert_int_equal(rep->verdict, want);
    lincheck_history_free(h);
}

static void expect(const struct row *rows, enum lincheck_verdict want)
{
    struct lincheck_report rep;

    check_rows(rows, want, &rep);
    lincheck_report_free(&rep);
}

/* A single client: every answer follows from the one before. */
static void test_lincheck_sequential(void **state)
{
    static const struct row rows[] = {
        {1, "/k", "r-", 0, 1},
        {1, "/k", "w7:nf", 2, 3},
        {1, "/k", "d:nf", 4, 5},
        {1, "/k", "c5", 6, 7},
        {1, "/k", "r5", 8, 9},
        {1, "/k", "c6:ex", 10, 11},
        {1, "/k", "w8", 12, 13},
        {1, "/k", "r8", 14, 15},
        {1, "/k", "d", 16, 17},
        {1, "/k", "r-", 18, 19},
        {1, "/k", "c9", 20, 21},
        {1, "/k", "r9", 22, 23},
        END,
    };

    (void)state;
    expect(rows, LINCHECK_LINEARIZABLE);
}

/* Two overlapping writes may land in either order: a later read may see
 * either value, but then the other never again. */
static void test_lincheck_concurrent_writes(void **state)
{
    static const struct row sees_first[] = {
        {1, "/k", "c1", 0, 1},   {1, "/k", "w2", 2, 10},
        {2, "/k", "w3", 3, 11},  {3, "/k", "r2", 12, 13},
        {3, "/k", "r2", 14, 15}, END,
    };
    static const struct row sees_second[] = {
        {1, "/k", "c1", 0, 1},
        {1, "/k", "w2", 2, 10},
        {2, "/k", "w3", 3, 11},
        {3, "/k", "r3", 12, 13},
        END,
    };
    static const struct row flips_back[] = {
        {1, "/k", "c1", 0, 1},   {1, "/k", "w2", 2, 10},
        {2, "/k", "w3", 3, 11},  {3, "/k", "r3", 12, 13},
        {3, "/k", "r2", 14, 15}, END,
    };

    (void)state;
    expect(sees_first, LINCHECK_LINEARIZABLE);
    expect(sees_second, LINCHECK_LINEARIZABLE);
    expect(flips_back, LINCHECK_NOT_LINEARIZABLE);
}

/* A read overlapping a write sees the old or the new value; reads that
 * overlap each other may disagree, in write order. */
static void test_lincheck_read_during_write(void **state)
{
    static const struct row rows[] = {
        {1, "/k", "c1", 0, 1},
        {1, "/k", "w2", 2, 20},
        {2, "/k", "r1", 3, 4},
        {3, "/k", "r2", 5, 6},
        {2, "/k", "r2", 7, 8},
        {4, "/k", "r1", 4, 9},
        END,
    };

    (void)state;
    expect(rows, LINCHECK_LINEARIZABLE);
}

/* An invoke at the very time of a complete overlaps it. */
static void test_lincheck_equal_times_overlap(void **state)
{
    static const struct row rows[] = {
        {1, "/k", "c1", 0, 1},
        {1, "/k", "w2", 10, 20},
        {2, "/k", "r1", 20, 30},
        END,
    };

    (void)state;
    expect(rows, LINCHECK_LINEARIZABLE);
}

/* An info write may take effect at any time after its invoke, or never. */
static void test_lincheck_info_either_way(void **state)
{
    static const struct row took[] = {
        {1, "/k", "c1", 0, 1},
        {2, "/k", "w2?", 2, 0},
        {1, "/k", "r2", 5, 6},
        {1, "/k", "r2", 7, 8},
        END,
    };
    static const struct row never[] = {
        {1, "/k", "c1", 0, 1},
        {2, "/k", "w2?", 2, 0},
        {1, "/k", "r1", 5, 6},
        {1, "/k", "r1", 7, 8},
        END,
    };
    static const struct row late[] = {
        {1, "/k", "c1", 0, 1},
        {2, "/k", "w2?", 2, 0},
        {1, "/k", "r1", 500, 600},
        {1, "/k", "r2", 700, 800},
        {3, "/k", "d?", 900, 0},
        {1, "/k", "r-", 1000, 1001},
        {3, "/k", "c3?", 1002, 0},
        {1, "/k", "r3", 1100, 1101},
        END,
    };
    static const struct row before_invoke[] = {
        {1, "/k", "c1", 0, 1},
        {1, "/k", "r2", 5, 6},
        {2, "/k", "w2?", 10, 0},
        END,
    };
    static const struct row flip_flop[] = {
        {1, "/k", "c1", 0, 1},
        {2, "/k", "w2?", 2, 0},
        {1, "/k", "r2", 5, 6},
        {1, "/k", "r1", 7, 8},
        END,
    };

    (void)state;
    expect(took, LINCHECK_LINEARIZABLE);
    expect(never, LINCHECK_LINEARIZABLE);
    expect(late, LINCHECK_LINEARIZABLE);
    expect(before_invoke, LINCHECK_NOT_LINEARIZABLE);
    expect(flip_flop, LINCHECK_NOT_LINEARIZABLE);
}

/* A failed operation did not happen: its value must never show. */
static void test_lincheck_fail_left_out(void **state)
{
    static const struct row hidden[] = {
        {1, "/k", "c1", 0, 1},
        {2, "/k", "w2!", 2, 3},
        {1, "/k", "r1", 4, 5},
        {3, "/k", "r7!", 4, 5},
        END,
    };
    static const struct row shows[] = {
        {1, "/k", "c1", 0, 1},
        {2, "/k", "w2!", 2, 3},
        {1, "/k", "r2", 4, 5},
        END,
    };

    (void)state;
    expect(hidden, LINCHECK_LINEARIZABLE);
    expect(shows, LINCHECK_NOT_LINEARIZABLE);
}

/* A read after a write completed cannot see the value before it. */
static void test_lincheck_stale_read(void **state)
{
    static const struct row rows[] = {
        {1, "/k", "c1", 0, 1},
        {1, "/k", "w2", 2, 3},
        {2, "/k", "r1", 4, 5},
        END,
    };
    struct lincheck_report rep;

    (void)state;
    check_rows(rows, LINCHECK_NOT_LINEARIZABLE, &rep);
    assert_int_equal(rep.n_keys, 1);
    assert_non_null(rep.keys[0].explain);
    assert_non_null(strstr(rep.keys[0].explain, "client 2 read -> 1"));
    assert_non_null(strstr(rep.keys[0].explain, "leaves the value 2"));
    lincheck_report_free(&rep);
}

/* Once a read saw the new value, a later read cannot see the old one. */
static void test_lincheck_read_goes_back(void **state)
{
    static const struct row rows[] = {
        {1, "/k", "c1", 0, 1},
        {1, "/k", "w2", 2, 20},
        {2, "/k", "r2", 3, 4},
        {3, "/k", "r1", 5, 6},
        END,
    };
    static const struct row after_delete[] = {
        {1, "/k", "c1", 0, 1},
        {1, "/k", "d", 2, 3},
        {2, "/k", "r1", 4, 5},
        END,
    };

    (void)state;
    expect(rows, LINCHECK_NOT_LINEARIZABLE);
    expect(after_delete, LINCHECK_NOT_LINEARIZABLE);
}

/* Two creates cannot both succeed without a delete between them; with an
 * overlapping delete they can. */
static void test_lincheck_create_twice(void **state)
{
    static const struct row twice[] = {
        {1, "/k", "c1", 0, 1},
        {2, "/k", "c2", 2, 3},
        END,
    };
    static const struct row with_delete[] = {
        {1, "/k", "c1", 0, 1},
        {2, "/k", "c2", 2, 6},
        {3, "/k", "d", 3, 4},
        END,
    };
    static const struct row exists_when_absent[] = {
        {1, "/k", "c1:ex", 0, 1},
        END,
    };

    (void)state;
    expect(twice, LINCHECK_NOT_LINEARIZABLE);
    expect(with_delete, LINCHECK_LINEARIZABLE);
    expect(exists_when_absent, LINCHECK_NOT_LINEARIZABLE);
}

/* A read of a value nobody wrote, or of a file nobody created; a write to
 * an absent key that claims success. */
static void test_lincheck_value_never_written(void **state)
{
    static const struct row never[] = {
        {1, "/k", "c1", 0, 1},
        {2, "/k", "w3", 0, 5},
        {3, "/k", "r7", 2, 3},
        END,
    };
    static const struct row present_from_nothing[] = {
        {1, "/k", "r5", 0, 1},
        END,
    };
    static const struct row write_absent_ok[] = {
        {1, "/k", "w1", 0, 1},
        END,
    };

    (void)state;
    expect(never, LINCHECK_NOT_LINEARIZABLE);
    expect(present_from_nothing, LINCHECK_NOT_LINEARIZABLE);
    expect(write_absent_ok, LINCHECK_NOT_LINEARIZABLE);
}

/* Each key is its own register: the same values and times on other keys
 * do not matter, and one bad key leaves the others linearizable. */
static void test_lincheck_keys_independent(void **state)
{
    static const struct row apart[] = {
        {1, "/a", "c1", 0, 1},    {2, "/b", "r-", 2, 3}, {2, "/b", "c1", 4, 5},
        {1, "/a", "c2:ex", 6, 7}, {3, "/c", "r-", 8, 9}, END,
    };
    static const struct row one_bad[] = {
        {1, "/a", "c1", 0, 1}, {1, "/a", "w2", 2, 3}, {2, "/a", "r1", 4, 5},
        {2, "/b", "c1", 0, 1}, {1, "/b", "r1", 4, 5}, END,
    };
    struct lincheck_report rep;

    (void)state;
    check_rows(apart, LINCHECK_LINEARIZABLE, &rep);
    assert_int_equal(rep.n_keys, 3);
    assert_string_equal(rep.keys[0].key, "/a");
    assert_int_equal(rep.keys[0].n_ops, 2);
    lincheck_report_free(&rep);

    check_rows(one_bad, LINCHECK_NOT_LINEARIZABLE, &rep);
    assert_int_equal(rep.n_keys, 2);
    assert_string_equal(rep.keys[0].key, "/a");
    assert_int_equal(rep.keys[0].verdict, LINCHECK_NOT_LINEARIZABLE);
    assert_string_equal(rep.keys[1].key, "/b");
    assert_int_equal(rep.keys[1].verdict, LINCHECK_LINEARIZABLE);
    assert_null(rep.keys[1].explain);
    lincheck_report_free(&rep);
}

/* JSON lines as histgen writes them, with extra members and blank lines. */
static void test_lincheck_json_lines(void **state)
{
    static const char text[] =
        "{\"client\":1,\"key\":\"/lin/k1\",\"op\":\"create\",\"value\":42,"
        "\"invoke_ns\":100,\"complete_ns\":200,\"outcome\":\"ok\","
        "\"result\":null,\"status\":201,\"node\":\"x\",\"error\":null}\n"
        "\n"
        "{\"client\":2,\"key\":\"/lin/k1\",\"op\":\"write\",\"value\":7,"
        "\"invoke_ns\":300,\"complete_ns\":400,\"outcome\":\"info\"}\n"
        "{\"client\":2,\"key\":\"/lin/k1\",\"op\":\"create\",\"value\":8,"
        "\"invoke_ns\":500,\"complete_ns\":600,\"outcome\":\"ok\","
        "\"result\":\"already_exists\"}\n"
        "{\"client\":3,\"key\":\"/lin/k1\",\"op\":\"read\",\"value\":null,"
        "\"invoke_ns\":700,\"complete_ns\":800,\"outcome\":\"ok\","
        "\"result\":7}\n"
        "{\"client\":3,\"key\":\"/lin/k1\",\"op\":\"delete\","
        "\"invoke_ns\":900,\"complete_ns\":null,\"outcome\":\"info\"}\n"
        "{\"client\":3,\"key\":\"/lin/k2\",\"op\":\"delete\","
        "\"invoke_ns\":900,\"complete_ns\":1000,\"outcome\":\"ok\","
        "\"result\":\"not_found\"}\n";
    struct lincheck_history *h = lincheck_history_new();
    struct lincheck_report rep;
    char errmsg[LINCHECK_ERRMSG_SIZE] = "";
    FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

    (void)state;
    assert_non_null(f);
    assert_int_equal(lincheck_history_read(h, f, errmsg), 0);
    (void)fclose(f);
    assert_int_equal(lincheck_history_count(h), 6);
    assert_int_equal(lincheck_check(h, NULL, &rep), LINCHECK_LINEARIZABLE);
    assert_int_equal(rep.n_keys, 2);
    assert_int_equal(rep.keys[0].n_info, 2);
    lincheck_report_free(&rep);
    lincheck_history_free(h);
}

/* Malformed lines are refused with the line number and the reason. */
static void test_lincheck_bad_lines(void **state)
{
    static const struct {
        const char *line;
        const char *why;
    } bad[] = {
        {"{", "bad JSON"},
        {"[1]", "not a JSON object"},
        {"{\"client\":1,\"client\":2}", "bad JSON"},
        {"{\"key\":\"/k\"}", "'client' is missing"},
        {"{\"client\":1,\"key\":7}", "'key' must be a string"},
        {"{\"client\":1,\"key\":\"\",\"op\":\"read\",\"outcome\":\"ok\","
         "\"invoke_ns\":1,\"complete_ns\":2}",
         "empty key"},
        {"{\"client\":1,\"key\":\"/k\",\"op\":\"cas\"}", "unknown value"},
        {"{\"client\":1,\"key\":\"/k\",\"op\":\"read\",\"outcome\":\"maybe\"}",
         "unknown value"},
        {"{\"client\":1,\"key\":\"/k\",\"op\":\"write\",\"outcome\":\"ok\","
         "\"invoke_ns\":1,\"complete_ns\":2}",
         "'value' is missing"},
        {"{\"client\":1,\"key\":\"/k\",\"op\":\"read\",\"outcome\":\"ok\","
         "\"invoke_ns\":1}",
         "'complete_ns' is missing"},
        {"{\"client\":1,\"key\":\"/k\",\"op\":\"read\",\"outcome\":\"ok\","
         "\"invoke_ns\":5,\"complete_ns\":2}",
         "before invoke_ns"},
        {"{\"client\":1,\"key\":\"/k\",\"op\":\"read\",\"outcome\":\"ok\","
         "\"invoke_ns\":1.5,\"complete_ns\":2}",
         "must be an integer"},
        {"{\"client\":1,\"key\":\"/k\",\"op\":\"read\",\"outcome\":\"ok\","
         "\"invoke_ns\":1,\"complete_ns\":2,\"result\":\"5\"}",
         "integer or null"},
        {"{\"client\":1,\"key\":\"/k\",\"op\":\"create\",\"value\":1,"
         "\"outcome\":\"ok\",\"invoke_ns\":1,\"complete_ns\":2,"
         "\"result\":\"not_found\"}",
         "create cannot return not_found"},
        {"{\"client\":1,\"key\":\"/k\",\"op\":\"delete\",\"outcome\":\"ok\","
         "\"invoke_ns\":1,\"complete_ns\":2,\"result\":\"already_exists\"}",
         "delete cannot return already_exists"},
        {"{\"client\":1,\"key\":\"/k\",\"op\":\"delete\",\"outcome\":\"ok\","
         "\"invoke_ns\":1,\"complete_ns\":2,\"result\":\"gone\"}",
         "unknown value"},
        {"{\"client\":1,\"key\":\"/k\",\"op\":\"write\",\"outcome\":\"ok\","
         "\"value\":-9223372036854775808,\"invoke_ns\":1,\"complete_ns\":2}",
         "reserved"},
    };
    struct lincheck_history *h = lincheck_history_new();
    char errmsg[LINCHECK_ERRMSG_SIZE];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errmsg[0] = '\0';
        assert_int_equal(
            lincheck_history_add_json(h, bad[i].line, i + 1, errmsg), -1);
        if (strstr(errmsg, bad[i].why) == NULL) {
            fail_msg("line %zu: \"%s\" does not say \"%s\"", i + 1, errmsg,
                     bad[i].why);
        }
        assert_non_null(strstr(errmsg, "line "));
    }
    assert_int_equal(lincheck_history_count(h), 0);
    assert_int_equal(lincheck_history_add_json(h, "  \n", 99, errmsg), 0);
    assert_int_equal(lincheck_history_count(h), 0);
    lincheck_history_free(h);
}

/* Info operations that change nothing (a write to an absent key) do not
 * multiply the states: 40 of them, pending from the start, still leave a
 * search of a few hundred states. */
static void test_lincheck_many_info_ops(void **state)
{
    struct lincheck_history *h = lincheck_history_new();
    struct lincheck_options o = {.max_states = 100000};
    struct lincheck_report rep;
    char errmsg[LINCHECK_ERRMSG_SIZE] = "";
    struct lincheck_op op = {.key = "/k"};

    (void)state;
    for (int i = 0; i < 40; i++) {
        op.client = 10 + i;
        op.kind = LINCHECK_WRITE;
        op.value = 1000 + i;
        op.invoke_ns = i;
        op.outcome = LINCHECK_INFO;
        assert_int_equal(lincheck_history_add(h, &op, errmsg), 0);
    }
    op.client = 1;
    op.kind = LINCHECK_CREATE;
    op.value = 1;
    op.invoke_ns = 100;
    op.complete_ns = 101;
    op.outcome = LINCHECK_OK;
    op.result = LINCHECK_R_DONE;
    assert_int_equal(lincheck_history_add(h, &op, errmsg), 0);
    for (int i = 0; i < 20; i++) {
        op.kind = LINCHECK_READ;
        op.invoke_ns = 200 + 2 * i;
        op.complete_ns = 201 + 2 * i;
        op.result = LINCHECK_R_VALUE;
        op.result_value = i < 10 ? 1 : 1010;
        assert_int_equal(lincheck_history_add(h, &op, errmsg), 0);
    }
    assert_int_equal(lincheck_check(h, &o, &rep), LINCHECK_LINEARIZABLE);
    assert_true(rep.keys[0].states < 10000);
    lincheck_report_free(&rep);
    lincheck_history_free(h);
}

/* A search that needs more states than allowed ends with "unknown". */
static void test_lincheck_budget_gives_unknown(void **state)
{
    struct lincheck_history *h = lincheck_history_new();
    struct lincheck_options o = {.max_states = 50};
    struct lincheck_report rep;
    char errmsg[LINCHECK_ERRMSG_SIZE] = "";
    struct lincheck_op op = {.key = "/k", .outcome = LINCHECK_OK};

    (void)state;
    op.kind = LINCHECK_CREATE;
    op.value = 1;
    op.invoke_ns = 0;
    op.complete_ns = 1;
    assert_int_equal(lincheck_history_add(h, &op, errmsg), 0);
    /* 12 overlapping writes, then a value none of them wrote. */
    for (int i = 0; i < 12; i++) {
        op.client = 2 + i;
        op.kind = LINCHECK_WRITE;
        op.value = 100 + i;
        op.invoke_ns = 10 + i;
        op.complete_ns = 100 + i;
        assert_int_equal(lincheck_history_add(h, &op, errmsg), 0);
    }
    op.kind = LINCHECK_READ;
    op.invoke_ns = 200;
    op.complete_ns = 201;
    op.result = LINCHECK_R_VALUE;
    op.result_value = 7;
    assert_int_equal(lincheck_history_add(h, &op, errmsg), 0);
    assert_int_equal(lincheck_check(h, &o, &rep), LINCHECK_UNKNOWN);
    assert_non_null(strstr(rep.keys[0].explain, "budget"));
    lincheck_report_free(&rep);
    assert_int_equal(lincheck_check(h, NULL, &rep), LINCHECK_NOT_LINEARIZABLE);
    lincheck_report_free(&rep);
    lincheck_history_free(h);
}

/* ---- generated histories ------------------------------------------------ */

#define GEN_CLIENTS 6
#define GEN_KEYS    3
#define GEN_OPS     3000
#define GEN_GHOST   (-5) /* a value nobody writes */

struct gen_client {
    bool busy;
    bool applied; /* or never will be */
    struct lincheck_op op;
    char key[8];
};

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Apply @op to the register @v and set its result. */
static void gen_apply(struct lincheck_op *op, int64_t *v)
{
    bool absent = *v == LINCHECK_ABSENT;

    switch (op->kind) {
    case LINCHECK_READ:
        op->result = absent ? LINCHECK_R_ABSENT : LINCHECK_R_VALUE;
        op->result_value = *v;
        break;
    case LINCHECK_WRITE:
        op->result = absent ? LINCHECK_R_NOT_FOUND : LINCHECK_R_DONE;
        *v = absent ? *v : op->value;
        break;
    case LINCHECK_CREATE:
        op->result = absent ? LINCHECK_R_DONE : LINCHECK_R_EXISTS;
        *v = absent ? op->value : *v;
        break;
    case LINCHECK_DELETE:
        op->result = absent ? LINCHECK_R_NOT_FOUND : LINCHECK_R_DONE;
        *v = LINCHECK_ABSENT;
        break;
    }
}

/* A history of GEN_CLIENTS clients on GEN_KEYS registers: each operation
 * takes effect at one random instant between its invoke and complete, so
 * the history is linearizable by construction; 3% are info (half of them
 * took effect) and 3% fail (none did). When @ghost_at > 0, the
 * @ghost_at-th ok read of /k1 that saw a value reads GEN_GHOST instead. */
static struct lincheck_history *generate(size_t ghost_at)
{
    struct lincheck_history *h = lincheck_history_new();
    struct gen_client cl[GEN_CLIENTS] = {{0}};
    int64_t reg[GEN_KEYS];
    uint64_t seed = 88172645463325252ull;
    int64_t now = 0;
    size_t done = 0;
    size_t k1_reads = 0;
    char errmsg[LINCHECK_ERRMSG_SIZE] = "";

    for (int k = 0; k < GEN_KEYS; k++) {
        reg[k] = LINCHECK_ABSENT;
    }
    while (done < GEN_OPS) {
        struct gen_client *c = &cl[rnd(&seed) % GEN_CLIENTS];
        struct lincheck_op *op = &c->op;

        now += 1 + (int64_t)(rnd(&seed) % 5);
        if (!c->busy) {
            unsigned r = (unsigned)(rnd(&seed) % 10);

            memset(op, 0, sizeof(*op));
            (void)snprintf(c->key, sizeof(c->key), "/k%d",
                           (int)(rnd(&seed) % GEN_KEYS));
            op->client = c - cl;
            op->key = c->key;
            op->kind = r < 5   ? LINCHECK_READ
                       : r < 8 ? LINCHECK_WRITE
                       : r < 9 ? LINCHECK_CREATE
                               : LINCHECK_DELETE;
            op->value = (int64_t)done + 1;
            op->invoke_ns = now;
            r = (unsigned)(rnd(&seed) % 100);
            op->outcome = r < 3   ? LINCHECK_INFO
                          : r < 6 ? LINCHECK_FAIL
                                  : LINCHECK_OK;
            c->busy = true;
            c->applied = op->outcome == LINCHECK_FAIL ||
                         (op->outcome == LINCHECK_INFO && rnd(&seed) % 2 == 0);
        } else if (!c->applied) {
            gen_apply(op, &reg[op->key[2] - '0']);
            c->applied = true;
        } else {
            op->complete_ns = now;
            if (op->outcome == LINCHECK_OK && op->kind == LINCHECK_READ &&
                op->result == LINCHECK_R_VALUE && strcmp(op->key, "/k1") == 0 &&
                ++k1_reads == ghost_at) {
                op->result_value = GEN_GHOST;
            }
            assert_int_equal(lincheck_history_add(h, op, errmsg), 0);
            c->busy = false;
            done++;
        }
    }
    return h;
}

/* Thousands of generated operations pass; one read changed to a value
 * never written makes its key fail, and only that key. */
static void test_lincheck_generated(void **state)
{
    struct lincheck_history *h = generate(0);
    struct lincheck_report rep;

    (void)state;
    assert_int_equal(lincheck_history_count(h), GEN_OPS);
    assert_int_equal(lincheck_check(h, NULL, &rep), LINCHECK_LINEARIZABLE);
    assert_int_equal(rep.n_keys, GEN_KEYS);
    assert_true(rep.keys[0].n_info > 0);
    lincheck_report_free(&rep);
    lincheck_history_free(h);

    h = generate(100);
    assert_int_equal(lincheck_check(h, NULL, &rep), LINCHECK_NOT_LINEARIZABLE);
    assert_int_equal(rep.keys[0].verdict, LINCHECK_LINEARIZABLE);
    assert_int_equal(rep.keys[1].verdict, LINCHECK_NOT_LINEARIZABLE);
    assert_int_equal(rep.keys[2].verdict, LINCHECK_LINEARIZABLE);
    assert_non_null(strstr(rep.keys[1].explain, "read -> -5"));
    lincheck_report_free(&rep);
    lincheck_history_free(h);
}

/* ---- against an exhaustive search ---------------------------------------- */

#define SMALL_OPS  8
#define SMALL_VALS 4 /* values 1..3, and 0 for absent */

struct small {
    struct lincheck_op op[SMALL_OPS];
    size_t n;
    bool visited[1 << SMALL_OPS][SMALL_VALS];
};

static int small_val(int64_t v)
{
    return v == LINCHECK_ABSENT ? 0 : (int)v;
}

/* Every order that respects real time, with each info op placed or not. */
static bool small_search(struct small *h, unsigned placed, int64_t v)
{
    bool all = true;

    for (size_t i = 0; i < h->n; i++) {
        if (h->op[i].outcome == LINCHECK_OK && (placed >> i & 1) == 0) {
            all = false;
        }
    }
    if (all) {
        return true;
    }
    if (h->visited[placed][small_val(v)]) {
        return false;
    }
    h->visited[placed][small_val(v)] = true;
    for (size_t i = 0; i < h->n; i++) {
        const struct lincheck_op *x = &h->op[i];
        bool blocked = false;
        int64_t next = v;
        bool absent = v == LINCHECK_ABSENT;
        enum lincheck_result r = LINCHECK_R_DONE;

        if ((placed >> i & 1) != 0 || x->outcome == LINCHECK_FAIL ||
            (x->outcome == LINCHECK_INFO && x->kind == LINCHECK_READ)) {
            continue;
        }
        for (size_t j = 0; j < h->n; j++) {
            if (h->op[j].outcome == LINCHECK_OK && (placed >> j & 1) == 0 &&
                h->op[j].complete_ns < x->invoke_ns) {
                blocked = true;
            }
        }
        if (blocked) {
            continue;
        }
        switch (x->kind) {
        case LINCHECK_READ:
            r = absent ? LINCHECK_R_ABSENT : LINCHECK_R_VALUE;
            break;
        case LINCHECK_WRITE:
            r = absent ? LINCHECK_R_NOT_FOUND : LINCHECK_R_DONE;
            next = absent ? v : x->value;
            break;
        case LINCHECK_CREATE:
            r = absent ? LINCHECK_R_DONE : LINCHECK_R_EXISTS;
            next = absent ? x->value : v;
            break;
        case LINCHECK_DELETE:
            r = absent ? LINCHECK_R_NOT_FOUND : LINCHECK_R_DONE;
            next = LINCHECK_ABSENT;
            break;
        }
        if (x->outcome == LINCHECK_OK &&
            (r != x->result ||
             (r == LINCHECK_R_VALUE && x->result_value != v))) {
            continue;
        }
        if (small_search(h, placed | 1u << i, next)) {
            return true;
        }
    }
    return false;
}

/* A random history of up to SMALL_OPS ops on one key, values 1..3. */
static void small_random(struct small *h, uint64_t *seed)
{
    memset(h, 0, sizeof(*h));
    h->n = 1 + rnd(seed) % SMALL_OPS;
    for (size_t i = 0; i < h->n; i++) {
        struct lincheck_op *op = &h->op[i];
        unsigned r = (unsigned)(rnd(seed) % 10);

        op->client = (int64_t)i;
        op->key = "/k";
        op->kind = (enum lincheck_kind)(rnd(seed) % 4);
        op->value = 1 + (int64_t)(rnd(seed) % 3);
        op->invoke_ns = (int64_t)(rnd(seed) % 20);
        op->complete_ns = op->invoke_ns + (int64_t)(rnd(seed) % 8);
        op->outcome = r < 5   ? LINCHECK_OK
                      : r < 9 ? LINCHECK_INFO
                              : LINCHECK_FAIL;
        r = (unsigned)(rnd(seed) % 4);
        switch (op->kind) {
        case LINCHECK_READ:
            op->result = r == 0 ? LINCHECK_R_ABSENT : LINCHECK_R_VALUE;
            op->result_value = r;
            break;
        case LINCHECK_CREATE:
            op->result = r < 2 ? LINCHECK_R_DONE : LINCHECK_R_EXISTS;
            break;
        case LINCHECK_WRITE:
        case LINCHECK_DELETE:
            op->result = r < 2 ? LINCHECK_R_DONE : LINCHECK_R_NOT_FOUND;
            break;
        }
    }
}

/* The search (with its pruning of info ops) and an exhaustive search agree
 * on thousands of small random histories, each on its own key. */
static void test_lincheck_agrees_with_exhaustive(void **state)
{
    enum {
        N = 10000
    };
    struct lincheck_history *h = lincheck_history_new();
    struct small *sm = calloc(1, sizeof(*sm));
    bool *want = calloc(N, sizeof(*want));
    uint64_t seed = 12345;
    size_t n_lin = 0;
    struct lincheck_report rep;
    char errmsg[LINCHECK_ERRMSG_SIZE] = "";

    (void)state;
    assert_non_null(sm);
    assert_non_null(want);
    for (size_t k = 0; k < N; k++) {
        char key[16];

        small_random(sm, &seed);
        want[k] = small_search(sm, 0, LINCHECK_ABSENT);
        n_lin += want[k];
        (void)snprintf(key, sizeof(key), "/k%05zu", k);
        for (size_t i = 0; i < sm->n; i++) {
            sm->op[i].key = key;
            assert_int_equal(lincheck_history_add(h, &sm->op[i], errmsg), 0);
        }
    }
    /* Both verdicts are common enough to matter. */
    assert_true(n_lin > N / 10 && n_lin < N * 9 / 10);
    (void)lincheck_check(h, NULL, &rep);
    assert_int_equal(rep.n_keys, N);
    for (size_t k = 0; k < N; k++) {
        enum lincheck_verdict v =
            want[k] ? LINCHECK_LINEARIZABLE : LINCHECK_NOT_LINEARIZABLE;

        if (rep.keys[k].verdict != v) {
            fail_msg("%s: exhaustive search says %s, lincheck %s",
                     rep.keys[k].key, lincheck_verdict_name(v),
                     lincheck_verdict_name(rep.keys[k].verdict));
        }
    }
    lincheck_report_free(&rep);
    lincheck_history_free(h);
    free(want);
    free(sm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lincheck_sequential),
        cmocka_unit_test(test_lincheck_concurrent_writes),
        cmocka_unit_test(test_lincheck_read_during_write),
        cmocka_unit_test(test_lincheck_equal_times_overlap),
        cmocka_unit_test(test_lincheck_info_either_way),
        cmocka_unit_test(test_lincheck_fail_left_out),
        cmocka_unit_test(test_lincheck_stale_read),
        cmocka_unit_test(test_lincheck_read_goes_back),
        cmocka_unit_test(test_lincheck_create_twice),
        cmocka_unit_test(test_lincheck_value_never_written),
        cmocka_unit_test(test_lincheck_keys_independent),
        cmocka_unit_test(test_lincheck_json_lines),
        cmocka_unit_test(test_lincheck_bad_lines),
        cmocka_unit_test(test_lincheck_many_info_ops),
        cmocka_unit_test(test_lincheck_budget_gives_unknown),
        cmocka_unit_test(test_lincheck_generated),
        cmocka_unit_test(test_lincheck_agrees_with_exhaustive),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
