/*
 * test_errcode: the BN_ERR_MAP table against tests/golden/errors.json (the
 * stable names and HTTP statuses clients rely on), the uniqueness of names
 * and values, and the lookups and errmsg helpers of errcode.c.
 *
 * The golden file holds one {"code": ..., "status": ...} object a line, so
 * it is read with sscanf; jansson stays out of this test. Run from the
 * repository root.
 *
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "errcode.h"

#define GOLDEN     "tests/golden/errors.json"
#define GOLDEN_MAX 128

struct row {
    int code;
    const char *name;
    int status;
    const char *text;
};

static const struct row table[] = {
#define ROW(e, v, name, status, text) {e, name, status, text},
    BN_ERR_MAP(ROW)
#undef ROW
};

#define N_TABLE (sizeof(table) / sizeof(table[0]))

struct golden {
    char name[64];
    int status;
};

/* Read the golden file; every line is "[", "]" or one object. */
static size_t read_golden(struct golden *out, size_t max)
{
    FILE *f = fopen(GOLDEN, "r");
    char line[256];
    size_t n = 0;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        char tail[8] = "";
        const char *p = line + strspn(line, " \t");

        if (strcmp(p, "[\n") == 0 || strcmp(p, "]\n") == 0) {
            continue;
        }
        assert_true(n < max);
        if (sscanf(p, "{\"code\": \"%63[^\"]\", \"status\": %d%7s", out[n].name,
                   &out[n].status, tail) != 3 ||
            (strcmp(tail, "},") != 0 && strcmp(tail, "}") != 0)) {
            fail_msg("%s: cannot read line '%s'", GOLDEN, line);
        }
        n++;
    }
    assert_int_equal(fclose(f), 0);
    return n;
}

/* Every row of the table is in the golden file with the same status. */
static void test_errcode_table_in_golden(void **state)
{
    struct golden g[GOLDEN_MAX];
    size_t n = read_golden(g, GOLDEN_MAX);

    (void)state;
    for (size_t i = 0; i < N_TABLE; i++) {
        size_t j = 0;

        while (j < n && strcmp(g[j].name, table[i].name) != 0) {
            j++;
        }
        if (j == n) {
            fail_msg("%s is in errcode.h but not in " GOLDEN, table[i].name);
        }
        if (g[j].status != table[i].status) {
            fail_msg("%s: status %d in errcode.h, %d in " GOLDEN, table[i].name,
                     table[i].status, g[j].status);
        }
    }
}

/* Every code of the golden file is in the table, once. */
static void test_errcode_golden_in_table(void **state)
{
    struct golden g[GOLDEN_MAX];
    size_t n = read_golden(g, GOLDEN_MAX);

    (void)state;
    assert_int_equal(n, N_TABLE);
    for (size_t j = 0; j < n; j++) {
        if (bn_err_from_name(g[j].name) == 0) {
            fail_msg("%s is in " GOLDEN " but not in errcode.h", g[j].name);
        }
        for (size_t k = j + 1; k < n; k++) {
            if (strcmp(g[j].name, g[k].name) == 0) {
                fail_msg("%s appears twice in " GOLDEN, g[j].name);
            }
        }
    }
}

/* openapi.yaml documents every code with its status, in the table of the
 * Problem schema ("| not_found | 404 |"), so the spec cannot drift from the
 * table either. */
static void test_errcode_table_in_openapi(void **state)
{
    FILE *f = fopen("openapi.yaml", "r");
    char line[512];
    bool seen[N_TABLE] = {false};

    (void)state;
    if (f == NULL) {
        fail_msg("openapi.yaml: cannot open (run from the repository root)");
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        for (size_t i = 0; i < N_TABLE; i++) {
            char row[128];

            (void)snprintf(row, sizeof(row), "| %s | %d |", table[i].name,
                           table[i].status);
            if (strstr(line, row) != NULL) {
                seen[i] = true;
            }
        }
    }
    (void)fclose(f);
    for (size_t i = 0; i < N_TABLE; i++) {
        if (!seen[i]) {
            fail_msg("openapi.yaml has no row '| %s | %d |'", table[i].name,
                     table[i].status);
        }
    }
}

/* Names and values are unique, values negative, and BN_ERR_COUNT right. */
static void test_errcode_table_unique(void **state)
{
    (void)state;
    assert_int_equal(N_TABLE, BN_ERR_COUNT);
    for (size_t i = 0; i < N_TABLE; i++) {
        assert_true(table[i].code < 0);
        /* not_leader is a redirect to the leader; the rest are errors. */
        assert_true((table[i].status >= 400 && table[i].status <= 599) ||
                    (table[i].status == 307 && table[i].code == BN_ENOTLEADER));
        assert_true(strlen(table[i].name) > 0);
        assert_true(strlen(table[i].text) > 0);
        for (size_t j = i + 1; j < N_TABLE; j++) {
            if (table[i].code == table[j].code) {
                fail_msg("value %d is used by %s and %s", table[i].code,
                         table[i].name, table[j].name);
            }
            if (strcmp(table[i].name, table[j].name) == 0) {
                fail_msg("name %s is used twice", table[i].name);
            }
        }
    }
}

/* The lookups return each row's fields and round-trip name and code. */
static void test_errcode_lookups(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_TABLE; i++) {
        assert_string_equal(bn_err_name(table[i].code), table[i].name);
        assert_int_equal(bn_err_status(table[i].code), table[i].status);
        assert_string_equal(bn_err_text(table[i].code), table[i].text);
        assert_int_equal(bn_err_from_name(table[i].name), table[i].code);
    }
}

/* An unknown code reads as an internal error; an unknown name as 0. */
static void test_errcode_unknown(void **state)
{
    (void)state;
    assert_string_equal(bn_err_name(-9999), "internal");
    assert_int_equal(bn_err_status(-9999), 500);
    assert_string_equal(bn_err_name(0), "internal");
    assert_int_equal(bn_err_from_name("no_such_code"), 0);
    assert_int_equal(bn_err_from_name(""), 0);
}

/* wrapf puts each layer's text in front, and both helpers truncate. */
static void test_errcode_errmsg_wrap(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    char big[2 * BN_ERRMSG_SIZE];

    (void)state;
    bn_errmsg_wrapf(errmsg, "store");
    assert_string_equal(errmsg, "store");
    bn_errmsg_printf(errmsg, "database is %s", "full");
    bn_errmsg_wrapf(errmsg, "store");
    bn_errmsg_wrapf(errmsg, "rename %s to %s", "/a", "/b");
    assert_string_equal(errmsg, "rename /a to /b: store: database is full");

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    bn_errmsg_printf(errmsg, "%s", big);
    assert_int_equal(strlen(errmsg), BN_ERRMSG_SIZE - 1);
    bn_errmsg_wrapf(errmsg, "prefix");
    assert_int_equal(strlen(errmsg), BN_ERRMSG_SIZE - 1);
    assert_memory_equal(errmsg, "prefix: x", 9);
}

/* The apply-fatal list holds the store failures and no outcome of a
 * command. */
static void test_errcode_apply_fatal(void **state)
{
    (void)state;
    assert_true(bn_err_apply_fatal(BN_EIO));
    assert_true(bn_err_apply_fatal(BN_ENOSPC));
    assert_true(bn_err_apply_fatal(BN_ECORRUPT));
    assert_true(bn_err_apply_fatal(BN_EBUSY));
    assert_false(bn_err_apply_fatal(0));
    assert_false(bn_err_apply_fatal(BN_ENOTFOUND));
    assert_false(bn_err_apply_fatal(BN_EEXIST));
    assert_false(bn_err_apply_fatal(BN_EINTERNAL));
    assert_false(bn_err_apply_fatal(BN_EPRECOND));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errcode_table_in_golden),
        cmocka_unit_test(test_errcode_golden_in_table),
        cmocka_unit_test(test_errcode_table_in_openapi),
        cmocka_unit_test(test_errcode_table_unique),
        cmocka_unit_test(test_errcode_lookups),
        cmocka_unit_test(test_errcode_unknown),
        cmocka_unit_test(test_errcode_errmsg_wrap),
        cmocka_unit_test(test_errcode_apply_fatal),
    };

    return cmocka_run_group_tests_name("errcode", tests, NULL, NULL);
}
