/*
 * test_addr: the host:port parser, one table row per case.
 *
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"

struct addr_case {
    const char *value;
    const char *host; /* NULL: refused */
    unsigned port;
    const char *why; /* a part of the reason when refused */
};

static const struct addr_case cases[] = {
    {"127.0.0.1:8420", "127.0.0.1", 8420, NULL},
    {"localhost:1", "localhost", 1, NULL},
    {"node-2.example:65535", "node-2.example", 65535, NULL},
    {"[::1]:8421", "::1", 8421, NULL},
    {"[fe80::1%eth0]:80", "fe80::1%eth0", 80, NULL},
    {"127.0.0.1", NULL, 0, "is not host:port"},
    {":8420", NULL, 0, "is not host:port"},
    {"", NULL, 0, "is not host:port"},
    {"127.0.0.1:0", NULL, 0, "the port must be 1 to 65535"},
    {"127.0.0.1:65536", NULL, 0, "the port must be 1 to 65535"},
    {"127.0.0.1:99999999999999999999", NULL, 0, "the port must be 1 to"},
    {"127.0.0.1:80x", NULL, 0, "the port must be 1 to 65535"},
    {"127.0.0.1:", NULL, 0, "the port must be 1 to 65535"},
    {"127.0.0.1:-1", NULL, 0, "the port must be 1 to 65535"},
    {"127.0.0.1:+1", NULL, 0, "the port must be 1 to 65535"},
    {"::1:8421", NULL, 0, "write an IPv6 host as [v6]:port"},
    {"[::1:8421", NULL, 0, "is not [v6]:port"},
    {"[]:80", NULL, 0, "has no host"},
};

/* Each row parses to its host and port, or is refused with its reason. */
static void test_addr_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct addr_case *c = &cases[i];
        struct addr a;
        char why[BN_ERRMSG_SIZE] = "";
        int rc = addr_parse(c->value, &a, why);

        if (c->host != NULL) {
            if (rc != 0) {
                fail_msg("'%s': %s", c->value, why);
            }
            assert_string_equal(a.host, c->host);
            assert_int_equal(a.port, c->port);
            assert_int_equal(addr_parse(c->value, NULL, why), 0);
        } else {
            assert_int_equal(rc, BN_EINVAL);
            if (strstr(why, c->why) == NULL) {
                fail_msg("'%s': '%s' lacks '%s'", c->value, why, c->why);
            }
        }
    }
}

/* A host of ADDR_HOST_MAX bytes fits; one more byte is refused. */
static void test_addr_host_limit(void **state)
{
    char value[ADDR_HOST_MAX + 16];
    char why[BN_ERRMSG_SIZE];
    struct addr a;

    (void)state;
    memset(value, 'h', ADDR_HOST_MAX);
    (void)snprintf(value + ADDR_HOST_MAX, 16, ":80");
    assert_int_equal(addr_parse(value, &a, why), 0);
    assert_int_equal(strlen(a.host), ADDR_HOST_MAX);
    memset(value, 'h', ADDR_HOST_MAX + 1);
    (void)snprintf(value + ADDR_HOST_MAX + 1, 15, ":80");
    assert_int_equal(addr_parse(value, &a, why), BN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_table),
        cmocka_unit_test(test_addr_host_limit),
    };

    return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
