/*
 * test_path: the path parser, one table row per case (normalisation, the
 * limits on name length, path length and depth, UTF-8 per RFC 3629 and
 * control characters), then names, copies and prefixes.
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

#include "mem.h"
#include "path.h"

/* How a row's input is made: the literal, or generated to a size. */
enum gen {
    LIT,      /* raw (with len bytes when len > 0, else strlen) */
    NAME_OF,  /* "/" and one name of arg bytes */
    LEN_OF,   /* a path of arg bytes, names of at most 199 bytes */
    DEPTH_OF, /* "/a" repeated arg times */
};

struct parse_case {
    const char *what;
    enum gen gen;
    const char *raw;
    size_t arg; /* LIT: length, 0 for strlen; others: the size */
    int rc;
    const char *norm;   /* on success, NULL for "same as the input" */
    size_t n;           /* on success */
    const char *errsub; /* on failure, part of the message */
};

static const struct parse_case parse_cases[] = {
    {"root", LIT, "/", 0, 0, "/", 0, NULL},
    {"one segment", LIT, "/a", 0, 0, "/a", 1, NULL},
    {"three segments", LIT, "/a/bc/d", 0, 0, "/a/bc/d", 3, NULL},
    {"trailing slash dropped", LIT, "/a/b/", 0, 0, "/a/b", 2, NULL},
    {"two trailing slashes", LIT, "/a//", 0, BN_EINVALPATH, NULL, 0,
     "segment 2 is empty"},
    {"double slash at root", LIT, "//", 0, BN_EINVALPATH, NULL, 0,
     "segment 1 is empty"},
    {"double slash inside", LIT, "/a//b", 0, BN_EINVALPATH, NULL, 0,
     "segment 2 is empty"},
    {"dot", LIT, "/a/./b", 0, BN_EINVALPATH, NULL, 0, "segment 2 is '.'"},
    {"dot dot", LIT, "/a/b/../c", 0, BN_EINVALPATH, NULL, 0,
     "segment 3 is '..'"},
    {"trailing dot dot", LIT, "/a/..", 0, BN_EINVALPATH, NULL, 0,
     "segment 2 is '..'"},
    {"dots in a name are fine", LIT, "/.a/..b/...", 0, 0, "/.a/..b/...", 3,
     NULL},
    {"name of 255 bytes", NAME_OF, NULL, 255, 0, NULL, 1, NULL},
    {"name of 256 bytes", NAME_OF, NULL, 256, BN_EINVALPATH, NULL, 0,
     "segment 1 is 256 bytes, longer than 255"},
    {"path of 4096 bytes", LEN_OF, NULL, 4096, 0, NULL, 21, NULL},
    {"path of 4097 bytes", LEN_OF, NULL, 4097, BN_EINVALPATH, NULL, 0,
     "path is 4097 bytes, longer than 4096"},
    {"depth 512", DEPTH_OF, NULL, 512, 0, NULL, 512, NULL},
    {"depth 513", DEPTH_OF, NULL, 513, BN_EINVALPATH, NULL, 0,
     "deeper than 512"},
    {"embedded NUL", LIT, "/a/b\0c", 6, BN_EINVALPATH, NULL, 0,
     "segment 2 has control character 0x00 at offset 1"},
    {"newline", LIT, "/a\n", 0, BN_EINVALPATH, NULL, 0,
     "segment 1 has control character 0x0a at offset 1"},
    {"escape 0x1f", LIT, "/x/\x1f", 0, BN_EINVALPATH, NULL, 0,
     "control character 0x1f"},
    {"delete 0x7f", LIT, "/\x7f", 0, BN_EINVALPATH, NULL, 0,
     "control character 0x7f"},
    {"two-byte UTF-8", LIT, "/caf\xc3\xa9", 0, 0, "/caf\xc3\xa9", 1, NULL},
    {"three-byte UTF-8", LIT, "/\xe6\x97\xa5\xe6\x9c\xac", 0, 0, NULL, 1, NULL},
    {"four-byte UTF-8", LIT, "/a/\xf0\x9f\x8c\xb3", 0, 0, NULL, 2, NULL},
    {"largest code point U+10FFFF", LIT, "/\xf4\x8f\xbf\xbf", 0, 0, NULL, 1,
     NULL},
    {"overlong two-byte '/'", LIT, "/a\xc0\xaf", 0, BN_EINVALPATH, NULL, 0,
     "segment 1 has invalid UTF-8 at offset 1 (overlong encoding)"},
    {"overlong three-byte", LIT, "/\xe0\x80\xaf", 0, BN_EINVALPATH, NULL, 0,
     "overlong encoding"},
    {"overlong four-byte", LIT, "/\xf0\x80\x80\xaf", 0, BN_EINVALPATH, NULL, 0,
     "overlong encoding"},
    {"surrogate U+D800", LIT, "/\xed\xa0\x80", 0, BN_EINVALPATH, NULL, 0,
     "UTF-16 surrogate"},
    {"above U+10FFFF", LIT, "/\xf4\x90\x80\x80", 0, BN_EINVALPATH, NULL, 0,
     "above U+10FFFF"},
    {"lead byte 0xf5", LIT, "/\xf5\x80\x80\x80", 0, BN_EINVALPATH, NULL, 0,
     "above U+10FFFF"},
    {"byte 0xff", LIT, "/\xff", 0, BN_EINVALPATH, NULL, 0,
     "never appears in UTF-8"},
    {"lone continuation byte", LIT, "/a\x80", 0, BN_EINVALPATH, NULL, 0,
     "unexpected continuation byte"},
    {"truncated at the end", LIT, "/a/\xe6\x97", 0, BN_EINVALPATH, NULL, 0,
     "segment 2 has invalid UTF-8 at offset 0 (truncated sequence)"},
    {"truncated before a slash", LIT, "/\xc3/b", 0, BN_EINVALPATH, NULL, 0,
     "segment 1 has invalid UTF-8 at offset 0 (truncated sequence)"},
    {"missing continuation", LIT, "/\xe6x\xa5", 0, BN_EINVALPATH, NULL, 0,
     "missing continuation byte"},
    {"relative", LIT, "a/b", 0, BN_EINVALPATH, NULL, 0, "relative"},
    {"relative dot", LIT, "./a", 0, BN_EINVALPATH, NULL, 0, "relative"},
    {"empty", LIT, "", 0, BN_EINVALPATH, NULL, 0, "path is empty"},
};

/* Build the input of @c into a new buffer; *@len gets its length. */
static char *make_input(const struct parse_case *c, size_t *len)
{
    char *p;

    switch (c->gen) {
    case LIT:
        *len = c->arg > 0 ? c->arg : strlen(c->raw);
        p = bn_malloc(*len + 1);
        memcpy(p, c->raw, *len);
        break;
    case NAME_OF:
        *len = c->arg + 1;
        p = bn_malloc(*len + 1);
        memset(p, 'n', *len);
        p[0] = '/';
        break;
    case LEN_OF:
        *len = c->arg;
        p = bn_malloc(*len + 1);
        for (size_t i = 0; i < *len; i++) {
            p[i] = i % 200 == 0 ? '/' : 'a';
        }
        break;
    case DEPTH_OF:
    default:
        *len = 2 * c->arg;
        p = bn_malloc(*len + 1);
        for (size_t i = 0; i < *len; i++) {
            p[i] = i % 2 == 0 ? '/' : 'a';
        }
        break;
    }
    p[*len] = '\0';
    return p;
}

/* Each row of parse_cases parses to its result, segments and message. */
static void test_path_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        char errmsg[BN_ERRMSG_SIZE] = "";
        struct path p;
        size_t len;
        char *raw = make_input(c, &len);
        int rc = path_parse(raw, len, &p, errmsg);

        if (rc != c->rc) {
            fail_msg("%s: rc %d, want %d (%s)", c->what, rc, c->rc, errmsg);
        }
        if (rc == 0) {
            const char *want = c->norm != NULL ? c->norm : raw;
            size_t total = 0;

            if (strcmp(p.norm, want) != 0 || p.n != c->n) {
                fail_msg("%s: norm %.40s n %zu, want %.40s n %zu", c->what,
                         p.norm, p.n, want, c->n);
            }
            /* The segments spell the normalised path. */
            for (size_t j = 0; j < p.n; j++) {
                assert_true(strlen(p.seg[j]) > 0);
                total += 1 + strlen(p.seg[j]);
            }
            assert_int_equal(p.n == 0 ? 1 : total, strlen(p.norm));
        } else {
            if (strstr(errmsg, c->errsub) == NULL) {
                fail_msg("%s: message '%s' lacks '%s'", c->what, errmsg,
                         c->errsub);
            }
            assert_null(p.norm);
            assert_null(p.seg);
            assert_int_equal(p.n, 0);
        }
        path_clear(&p);
        free(raw);
    }
}

/* A message never echoes rejected bytes, so it stays printable ASCII. */
static void test_path_errmsg_is_ascii(void **state)
{
    static const char *const bad[] = {"/\xff", "/a/\xc0\xaf", "/\x01",
                                      "/\xed\xa0\x80"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char errmsg[BN_ERRMSG_SIZE] = "";
        struct path p;

        assert_int_equal(path_parse(bad[i], strlen(bad[i]), &p, errmsg),
                         BN_EINVALPATH);
        for (const char *q = errmsg; *q != '\0'; q++) {
            assert_true(*q >= 0x20 && *q < 0x7f);
        }
    }
}

/* A name is checked by the same rules as a segment, plus no '/'. */
static void test_path_check_name(void **state)
{
    static const struct {
        const char *name;
        int rc;
        const char *errsub;
    } cases[] = {
        {"a", 0, NULL},
        {"caf\xc3\xa9", 0, NULL},
        {"", BN_EINVALPATH, "name is empty"},
        {".", BN_EINVALPATH, "name is '.'"},
        {"..", BN_EINVALPATH, "name is '..'"},
        {"a/b", BN_EINVALPATH, "name has '/' at offset 1"},
        {"a\tb", BN_EINVALPATH, "control character 0x09"},
        {"\xc0\x80", BN_EINVALPATH, "overlong"},
    };
    char long_name[PATH_NAME_MAX + 2];
    char errmsg[BN_ERRMSG_SIZE];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        errmsg[0] = '\0';
        assert_int_equal(
            path_check_name(cases[i].name, strlen(cases[i].name), errmsg),
            cases[i].rc);
        if (cases[i].errsub != NULL) {
            assert_non_null(strstr(errmsg, cases[i].errsub));
        }
    }
    memset(long_name, 'x', sizeof(long_name));
    assert_int_equal(path_check_name(long_name, PATH_NAME_MAX, errmsg), 0);
    assert_int_equal(path_check_name(long_name, PATH_NAME_MAX + 1, errmsg),
                     BN_EINVALPATH);
    assert_int_equal(path_check_name("a\0b", 3, errmsg), BN_EINVALPATH);
}

/* A copy is deep: it outlives the original and compares equal. */
static void test_path_copy_and_basename(void **state)
{
    char errmsg[BN_ERRMSG_SIZE];
    struct path p;
    struct path q;
    struct path root;
    struct path root2;

    (void)state;
    assert_int_equal(path_parse("/a/bb/c", 7, &p, errmsg), 0);
    path_copy(&q, &p);
    path_clear(&p);
    assert_string_equal(q.norm, "/a/bb/c");
    assert_int_equal(q.n, 3);
    assert_string_equal(q.seg[1], "bb");
    assert_string_equal(path_basename(&q), "c");
    path_clear(&q);

    assert_int_equal(path_parse("/", 1, &root, errmsg), 0);
    path_copy(&root2, &root);
    assert_string_equal(path_basename(&root2), "");
    assert_string_equal(root2.norm, "/");
    path_clear(&root);
    path_clear(&root2);
}

/* path_clear of a zeroed struct, and twice in a row, does nothing. */
static void test_path_clear_zeroed(void **state)
{
    struct path p = {0};

    (void)state;
    path_clear(&p);
    path_clear(&p);
    assert_null(p.norm);
}

/* An ancestor is a prefix by whole segments, not by bytes. */
static void test_path_is_prefix(void **state)
{
    static const struct {
        const char *a;
        const char *b;
        bool want;
    } cases[] = {
        {"/", "/", true},     {"/", "/a/b", true},      {"/a", "/a", true},
        {"/a", "/a/b", true}, {"/a/b", "/a/b/c", true}, {"/a", "/ab", false},
        {"/ab", "/a", false}, {"/a/b", "/a", false},    {"/a/b", "/a/c", false},
        {"/a", "/", false},   {"/b", "/a/b", false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char errmsg[BN_ERRMSG_SIZE];
        struct path a;
        struct path b;

        assert_int_equal(path_parse(cases[i].a, strlen(cases[i].a), &a, errmsg),
                         0);
        assert_int_equal(path_parse(cases[i].b, strlen(cases[i].b), &b, errmsg),
                         0);
        if (path_is_prefix(&a, &b) != cases[i].want) {
            fail_msg("path_is_prefix(%s, %s) should be %d", cases[i].a,
                     cases[i].b, cases[i].want);
        }
        path_clear(&a);
        path_clear(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_parse_table),
        cmocka_unit_test(test_path_errmsg_is_ascii),
        cmocka_unit_test(test_path_check_name),
        cmocka_unit_test(test_path_copy_and_basename),
        cmocka_unit_test(test_path_clear_zeroed),
        cmocka_unit_test(test_path_is_prefix),
    };

    return cmocka_run_group_tests_name("path", tests, NULL, NULL);
}
