/*
 * test_usync: the sync diff over generated sorted sources read in small
 * pages (creates, deletes, updates, retypes, cache_only entries kept; a
 * 100,000-entry directory against a namespace missing every third entry,
 * never holding more than a page of each side), and the sync policies.
 *
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inode.h"
#include "mem.h"
#include "mount.h"
#include "usync.h"

/* A literal source: a sorted array of items. */
struct lit {
    const struct usync_item *items;
    size_t n;
    size_t pages; /* pages served */
};

static int lit_page(void *arg, const char *after, size_t limit,
                    struct usync_item **out, size_t *n, bool *more,
                    char errmsg[BN_ERRMSG_SIZE])
{
    struct lit *l = arg;
    size_t i = 0;

    (void)errmsg;
    while (after != NULL && i < l->n && strcmp(l->items[i].name, after) <= 0) {
        i++;
    }
    *out = bn_calloc(limit, sizeof(**out));
    *n = 0;
    while (i < l->n && *n < limit) {
        (*out)[*n] = l->items[i++];
        (*out)[*n].name = bn_strdup((*out)[*n].name);
        (*n)++;
    }
    *more = i < l->n;
    l->pages++;
    return 0;
}

struct rec {
    char log[4096];
    size_t n;
};

static int record(void *arg, int action, const struct usync_item *u,
                  const struct usync_item *n)
{
    struct rec *r = arg;
    static const char *const names[] = {"", "create", "delete", "update",
                                        "retype"};
    size_t len = strlen(r->log);

    snprintf(r->log + len, sizeof(r->log) - len, "%s %s;", names[action],
             u != NULL ? u->name : n->name);
    r->n++;
    return 0;
}

#define F(name, size, mtime)                                                   \
    {                                                                          \
        (char *)(name), INODE_FILE, size, mtime, false                         \
    }
#define D(name)                                                                \
    {                                                                          \
        (char *)(name), INODE_DIR, 0, 0, false                                 \
    }

static void test_usync_diff_actions(void **state)
{
    static const struct usync_item ufs[] = {
        F("a", 1, 10), F("b", 2, 20), D("c"), F("d", 4, 40),
        F("e", 5, 50), F("g", 7, 70), D("h"),
    };
    static const struct usync_item ns[] = {
        F("a", 1, 10),                          /* same */
        F("b", 3, 20),                          /* size changed */
        D("c"),                                 /* same directory */
        F("d", 4, 41),                          /* mtime changed */
        F("f", 6, 60),                          /* gone from the ufs */
        {(char *)"fc", INODE_FILE, 0, 0, true}, /* cache_only: kept */
        F("h", 0, 0),                           /* file became a directory */
        F("z", 9, 90),                          /* gone */
    };
    struct lit lu = {ufs, sizeof(ufs) / sizeof(ufs[0]), 0};
    struct lit ln = {ns, sizeof(ns) / sizeof(ns[0]), 0};
    struct usync_src su = {lit_page, &lu};
    struct usync_src sn = {lit_page, &ln};
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct rec r = {0};

    (void)state;
    /* Pages of 2 make every merge step cross a page boundary. */
    assert_int_equal(usync_diff(&su, &sn, 2, record, &r, errmsg), 0);
    assert_string_equal(r.log, "update b;update d;create e;delete f;create g;"
                               "retype h;delete z;");
    assert_true(lu.pages >= 4 && ln.pages >= 4);
}

static void test_usync_diff_empty_sides(void **state)
{
    static const struct usync_item one[] = {F("x", 1, 1)};
    struct lit empty = {NULL, 0, 0};
    struct lit lone = {one, 1, 0};
    struct usync_src se = {lit_page, &empty};
    struct usync_src so = {lit_page, &lone};
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct rec r = {0};

    (void)state;
    assert_int_equal(usync_diff(&se, &se, 10, record, &r, errmsg), 0);
    assert_int_equal(r.n, 0);
    assert_int_equal(usync_diff(&so, &se, 10, record, &r, errmsg), 0);
    assert_string_equal(r.log, "create x;");
    lone.pages = 0;
    assert_int_equal(usync_diff(&se, &so, 10, record, &r, errmsg), 0);
    assert_string_equal(r.log, "create x;delete x;");
}

/* A generated source: names "n%06d" for i in 0..count, skipping every
 * @skip-th (0: none); files of size i. Never holds more than a page. */
struct gen {
    unsigned count;
    unsigned skip;
    size_t max_page;
};

static int gen_page(void *arg, const char *after, size_t limit,
                    struct usync_item **out, size_t *n, bool *more,
                    char errmsg[BN_ERRMSG_SIZE])
{
    struct gen *g = arg;
    unsigned i = after != NULL ? (unsigned)strtoul(after + 1, NULL, 10) + 1 : 0;

    (void)errmsg;
    *out = bn_calloc(limit, sizeof(**out));
    *n = 0;
    for (; i < g->count && *n < limit; i++) {
        char name[16];

        if (g->skip != 0 && i % g->skip == 0) {
            continue;
        }
        snprintf(name, sizeof(name), "n%06u", i);
        (*out)[*n].name = bn_strdup(name);
        (*out)[*n].type = INODE_FILE;
        (*out)[*n].size = i;
        (*out)[*n].mtime_ms = 1000;
        (*n)++;
    }
    *more = i < g->count;
    if (*n > g->max_page) {
        g->max_page = *n;
    }
    return 0;
}

struct counts {
    unsigned created;
    unsigned other;
};

static int count(void *arg, int action, const struct usync_item *u,
                 const struct usync_item *n)
{
    struct counts *c = arg;

    (void)u;
    (void)n;
    if (action == USYNC_CREATE) {
        c->created++;
    } else {
        c->other++;
    }
    return 0;
}

static void test_usync_diff_100k_in_pages(void **state)
{
    struct gen gu = {100000, 0, 0};
    struct gen gn = {100000, 3, 0};
    struct usync_src su = {gen_page, &gu};
    struct usync_src sn = {gen_page, &gn};
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct counts c = {0};

    (void)state;
    assert_int_equal(usync_diff(&su, &sn, USYNC_PAGE, count, &c, errmsg), 0);
    assert_int_equal(c.created, 33334); /* 0, 3, ..., 99999 */
    assert_int_equal(c.other, 0);
    assert_true(gu.max_page <= USYNC_PAGE && gn.max_page <= USYNC_PAGE);
}

static int stop_at_two(void *arg, int action, const struct usync_item *u,
                       const struct usync_item *n)
{
    struct counts *c = arg;

    (void)action;
    (void)u;
    (void)n;
    return ++c->created == 2 ? BN_EUNAVAIL : 0;
}

static void test_usync_diff_stops_on_error(void **state)
{
    struct gen gu = {50, 0, 0};
    struct gen gn = {0, 0, 0};
    struct usync_src su = {gen_page, &gu};
    struct usync_src sn = {gen_page, &gn};
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct counts c = {0};

    (void)state;
    assert_int_equal(usync_diff(&su, &sn, 7, stop_at_two, &c, errmsg),
                     BN_EUNAVAIL);
    assert_int_equal(c.created, 2);
}

static void test_usync_policy(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    int64_t ms = 42;

    (void)state;
    assert_int_equal(usync_parse_policy("never", &ms, errmsg), 0);
    assert_int_equal(ms, -1);
    assert_int_equal(usync_parse_policy("always", &ms, errmsg), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(usync_parse_policy("60s", &ms, errmsg), 0);
    assert_int_equal(ms, 60000);
    assert_int_equal(usync_parse_policy("5m", &ms, errmsg), 0);
    assert_int_equal(ms, 300000);
    assert_int_equal(usync_parse_policy("500ms", &ms, errmsg), 0);
    assert_int_equal(ms, 500);
    assert_int_equal(usync_parse_policy("1h", &ms, errmsg), 0);
    assert_int_equal(ms, 3600000);
    assert_int_equal(usync_parse_policy("", &ms, errmsg), BN_EINVAL);
    assert_int_equal(usync_parse_policy("60", &ms, errmsg), BN_EINVAL);
    assert_int_equal(usync_parse_policy("s", &ms, errmsg), BN_EINVAL);
    assert_int_equal(usync_parse_policy("-1s", &ms, errmsg), BN_EINVAL);
    assert_int_equal(usync_parse_policy("sometimes", &ms, errmsg), BN_EINVAL);
    assert_non_null(strstr(errmsg, "never, always or an interval"));
}

static void test_usync_recent_and_listed(void **state)
{
    (void)state;
    assert_false(usync_recent("/m/a", 60000));
    assert_true(usync_recent("/m/a", 60000));
    assert_false(usync_recent("/m/b", 60000));
    assert_false(usync_listed(7, "/m/a"));
    assert_true(usync_listed(7, "/m/a"));
    assert_false(usync_listed(8, "/m/a")); /* another mount */
}

/* The root mount holds the others; the longest mount point decides; a
 * sync of the root leaves the nested mounts' paths alone. */
static void test_usync_root_mount_rules(void **state)
{
    struct mount_table *mt = mount_table_new();
    struct mount_info root = {1, "/", "file:///srv/root", false, 0};
    struct mount_info data = {2, "/a/data", "file:///srv/data", false, 0};
    struct mount_info got = {0};
    char errmsg[BN_ERRMSG_SIZE] = "";
    char *rel = NULL;

    (void)state;
    assert_int_equal(mount_check(mt, "/", root.uri, errmsg), 0);
    mount_table_put(mt, &root);
    assert_int_equal(mount_check(mt, "/", "file:///srv/x", errmsg), BN_EMOUNT);
    assert_int_equal(mount_check(mt, "/a/data", data.uri, errmsg), 0);
    assert_int_equal(mount_check(mt, "/b", "file:///srv/root/b", errmsg),
                     BN_EMOUNT); /* inside the root's URI */
    mount_table_put(mt, &data);
    assert_int_equal(mount_check(mt, "/a/data/in", "file:///srv/in", errmsg),
                     BN_EMOUNT); /* non-root mounts do not nest */
    assert_int_equal(mount_check(mt, "/a", "file:///srv/in", errmsg),
                     BN_EMOUNT); /* nor hold one */

    assert_true(mount_resolve(mt, "/a/data/x", &got, &rel));
    assert_int_equal(got.id, 2);
    assert_string_equal(rel, "x");
    mount_info_clear(&got);
    free(rel);
    assert_true(mount_resolve(mt, "/a/b", &got, &rel));
    assert_int_equal(got.id, 1);
    assert_string_equal(rel, "a/b");
    mount_info_clear(&got);
    free(rel);

    assert_true(mount_foreign(mt, &root, "/a"));        /* holds /a/data */
    assert_true(mount_foreign(mt, &root, "/a/data"));   /* is it */
    assert_true(mount_foreign(mt, &root, "/a/data/x")); /* inside it */
    assert_false(mount_foreign(mt, &root, "/a/other")); /* the root's */
    assert_false(mount_foreign(mt, &root, "/a/database"));
    assert_false(mount_foreign(mt, &data, "/a/data/x")); /* its own */
    mount_table_free(mt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usync_diff_actions),
        cmocka_unit_test(test_usync_diff_empty_sides),
        cmocka_unit_test(test_usync_diff_100k_in_pages),
        cmocka_unit_test(test_usync_diff_stops_on_error),
        cmocka_unit_test(test_usync_policy),
        cmocka_unit_test(test_usync_recent_and_listed),
        cmocka_unit_test(test_usync_root_mount_rules),
    };

    return cmocka_run_group_tests_name("usync", tests, NULL, NULL);
}
