/*
 * test_config: the option table, the three layers (defaults, INI file,
 * flags), the errors each layer reports with their place, size parsing,
 * --help, --version and --print-config, and that conf/banyan.conf
 * documents every key with its default. Run from the repository root.
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
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "mem.h"

#define SAMPLE  "conf/banyan.conf"
#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Write @text to a new temporary file; its name goes to @path. */
static void write_tmp(char path[64], const char *text)
{
    int fd;
    size_t len = strlen(text);

    (void)snprintf(path, 64, "/tmp/banyan-config-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* What config_print() writes for @cfg; free with free(). */
static char *printed(const struct config *cfg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    config_print(cfg, f);
    assert_int_equal(fclose(f), 0);
    return text;
}

/* Run config_parse_args over defaults; the output goes to @out_text. */
static int run_args(struct config *cfg, int argc, char **argv, char **out_text,
                    char errmsg[BN_ERRMSG_SIZE])
{
    size_t len = 0;
    FILE *f;
    int rc;

    *out_text = NULL;
    f = open_memstream(out_text, &len);
    assert_non_null(f);
    config_init(cfg);
    errmsg[0] = '\0';
    rc = config_parse_args(cfg, argc, argv, f, errmsg);
    assert_int_equal(fclose(f), 0);
    return rc;
}

/* The built-in defaults are the ones config.h and the table promise. */
static void test_config_defaults(void **state)
{
    struct config cfg;

    (void)state;
    config_init(&cfg);
    assert_int_equal(cfg.node_id, 1);
    assert_string_equal(cfg.data_dir, "./data");
    assert_string_equal(cfg.listen, "127.0.0.1:8420");
    assert_int_equal(cfg.http_threads, 0);
    assert_int_equal(cfg.max_connections, 10000);
    assert_int_equal(cfg.max_body_bytes, 1024 * 1024);
    assert_int_equal(cfg.request_timeout_ms, 10000);
    assert_string_equal(cfg.web_root, "./web");
    assert_string_equal(cfg.raft_listen, "127.0.0.1:8421");
    assert_int_equal(cfg.election_timeout_ms, 1000);
    assert_int_equal(cfg.heartbeat_timeout_ms, 100);
    assert_int_equal(cfg.snapshot_threshold, 8192);
    assert_int_equal(cfg.snapshot_trailing, 8192);
    assert_int_equal(cfg.batch_max, 1024);
    assert_int_equal(cfg.cache_bytes, 256ULL * 1024 * 1024);
    assert_int_equal(cfg.lock_stripes, 4096);
    assert_int_equal(cfg.db_readers, 8);
    assert_string_equal(cfg.default_owner, "banyan");
    assert_string_equal(cfg.default_group, "banyan");
    assert_string_equal(cfg.log_level, "info");
    assert_string_equal(cfg.audit_file, "");
    config_clear(&cfg);
    config_clear(&cfg);
}

/* Every row is complete, keys are unique, and lookup finds each one. */
static void test_config_table_complete(void **state)
{
    const struct config_option *o;
    size_t n = 0;

    (void)state;
    for (size_t i = 0; (o = config_option_at(i)) != NULL; i++) {
        assert_true(o->key[0] != '\0' && o->section[0] != '\0');
        assert_true(o->def[0] != '\0' || o->type == CONFIG_MEMBERS ||
                    (o->type == CONFIG_STR && o->min == 0));
        assert_true(o->help[0] != '\0');
        assert_ptr_equal(config_option_find(o->key), o);
        assert_true(o->type == CONFIG_STR || o->type == CONFIG_LOGLEVEL ||
                    o->min <= o->max);
        n++;
    }
    assert_int_equal(n, 30);
    assert_null(config_option_find("no_such_key"));
    assert_null(config_option_at(n));
}

/* A file overrides the defaults it names and leaves the others. */
static void test_config_file_overrides_defaults(void **state)
{
    char path[64];
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct config cfg;

    (void)state;
    write_tmp(path, "; a comment\n"
                    "# another\n"
                    "[node]\n"
                    "node_id = 3\n"
                    "data_dir = /var/lib/banyan\n"
                    "\n"
                    "[store]\n"
                    "cache_bytes = 64MiB ; inline comment\n"
                    "  lock_stripes = 128\n"
                    "[log]\n"
                    "log_level=debug\n");
    config_init(&cfg);
    assert_int_equal(config_load_file(&cfg, path, errmsg), 0);
    assert_int_equal(cfg.node_id, 3);
    assert_string_equal(cfg.data_dir, "/var/lib/banyan");
    assert_int_equal(cfg.cache_bytes, 64ULL * 1024 * 1024);
    assert_int_equal(cfg.lock_stripes, 128);
    assert_string_equal(cfg.log_level, "debug");
    assert_string_equal(cfg.listen, "127.0.0.1:8420");
    config_clear(&cfg);
    assert_int_equal(unlink(path), 0);
}

/* Each bad file fails with BN_EINVAL and "file:line: reason". */
static void test_config_file_errors(void **state)
{
    static const struct {
        const char *text;
        int line;
        const char *errsub;
    } cases[] = {
        {"[http]\nlisten = a:1\nbogus = 1\n", 3, "unknown key 'bogus'"},
        {"[node]\nnode_id = 2\n[bogus]\n", 3, "unknown section [bogus]"},
        {"[bogus]\nnode_id = 2\n", 1, "unknown section [bogus]"},
        {"[http]\ncache_bytes = 1GiB\n", 2,
         "cache_bytes belongs in [store], not [http]"},
        {"node_id = 2\n", 1, "node_id must be in section [node]"},
        {"[node]\nnode_id = two\n", 2, "node_id: 'two' is not a whole number"},
        {"[node]\nnode_id = -1\n", 2, "is not a whole number"},
        {"[node]\nnode_id = 0\n", 2, "node_id: 0 is out of range (1 to"},
        {"[node]\nnode_id = 99999999999999999999\n", 2,
         "is not a whole number"},
        {"[raft]\nbatch_max = 4097\n", 2, "4097 is out of range (1 to 4096)"},
        {"[store]\ncache_bytes = 1KiB\n", 2,
         "cache_bytes: 1KiB is out of range (1MiB to 16TiB)"},
        {"[store]\ncache_bytes = 12XB\n", 2, "'12XB' is not a size"},
        {"[log]\nlog_level = loud\n", 2, "'loud' is not a level"},
        {"[node]\ndata_dir =\n", 2, "data_dir: must not be empty"},
        {"[node]\nnode_id = 2\n\nnode_id = 3\n", 4,
         "node_id set twice (first on line 2)"},
        {"[node]\nnode_id = 2\n  5\n", 3, "expected 'key = value'"},
        {"[node]\nnode_id\n", 2, "expected 'key = value'"},
        {"[node\nnode_id = 1\n", 1, "expected 'key = value'"},
    };
    char path[64];
    char want[96];
    char errmsg[BN_ERRMSG_SIZE];
    struct config cfg;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_tmp(path, cases[i].text);
        config_init(&cfg);
        errmsg[0] = '\0';
        assert_int_equal(config_load_file(&cfg, path, errmsg), BN_EINVAL);
        (void)snprintf(want, sizeof(want), "%s:%d: ", path, cases[i].line);
        if (strncmp(errmsg, want, strlen(want)) != 0 ||
            strstr(errmsg, cases[i].errsub) == NULL) {
            fail_msg("case %zu: got '%s', want '%s%s'", i, errmsg, want,
                     cases[i].errsub);
        }
        config_clear(&cfg);
        assert_int_equal(unlink(path), 0);
    }
}

/* A line too long for libinih's buffer is an error, not two lines. */
static void test_config_file_long_line(void **state)
{
    char text[400];
    char path[64];
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct config cfg;
    int n;

    (void)state;
    n = snprintf(text, sizeof(text), "[node]\ndata_dir = /");
    memset(text + n, 'd', 300);
    (void)snprintf(text + n + 300, sizeof(text) - (size_t)n - 300, "\n");
    write_tmp(path, text);
    config_init(&cfg);
    assert_int_equal(config_load_file(&cfg, path, errmsg), BN_EINVAL);
    assert_non_null(strstr(errmsg, ":2: line longer than 198 bytes"));
    config_clear(&cfg);
    assert_int_equal(unlink(path), 0);
}

/* A file that cannot be read is BN_EIO, naming the file. */
static void test_config_file_missing(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct config cfg;

    (void)state;
    config_init(&cfg);
    assert_int_equal(config_load_file(&cfg, "/nonexistent/b.conf", errmsg),
                     BN_EIO);
    assert_non_null(strstr(errmsg, "/nonexistent/b.conf: "));
    assert_int_equal(config_load_file(&cfg, "/tmp", errmsg), BN_EIO);
    config_clear(&cfg);
}

/* Sizes take binary and decimal units and reject junk and overflow. */
static void test_config_parse_size(void **state)
{
    static const struct {
        const char *s;
        int rc;
        uint64_t want;
    } cases[] = {
        {"0", 0, 0},
        {"123", 0, 123},
        {"123B", 0, 123},
        {"64KiB", 0, 64ULL << 10},
        {"64MiB", 0, 64ULL << 20},
        {"1GiB", 0, 1ULL << 30},
        {"2TiB", 0, 2ULL << 40},
        {"64KB", 0, 64000},
        {"64MB", 0, 64000000},
        {"1GB", 0, 1000000000},
        {"1TB", 0, 1000000000000ULL},
        {"64mib", 0, 64ULL << 20},
        {"64 MiB", 0, 64ULL << 20},
        {"18446744073709551615", 0, UINT64_MAX},
        {"", BN_EINVAL, 0},
        {"MiB", BN_EINVAL, 0},
        {"-1", BN_EINVAL, 0},
        {"+1", BN_EINVAL, 0},
        {" 1", BN_EINVAL, 0},
        {"1.5GiB", BN_EINVAL, 0},
        {"12XB", BN_EINVAL, 0},
        {"1KiBx", BN_EINVAL, 0},
        {"0x10", BN_EINVAL, 0},
        {"18446744073709551616", BN_EINVAL, 0},
        {"17179869184GiB", BN_EINVAL, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t v = 42;
        int rc = config_parse_size(cases[i].s, &v);

        if (rc != cases[i].rc || v != (rc == 0 ? cases[i].want : 42)) {
            fail_msg("'%s': rc %d value %llu", cases[i].s, rc,
                     (unsigned long long)v);
        }
    }
}

/* Flags override the file wherever they stand; both flag forms work. */
static void test_config_args_override_file(void **state)
{
    char path[64];
    char errmsg[BN_ERRMSG_SIZE];
    char *out;
    struct config cfg;

    (void)state;
    write_tmp(path, "[http]\nlisten = 10.0.0.1:1\n"
                    "[store]\ncache_bytes = 1GiB\ndb_readers = 2\n"
                    "[node]\nnode_id = 5\n");
    {
        char *argv[] = {"banyand",       "--listen", "0.0.0.0:80",
                        "--config",      path,       "--cache-bytes=2GiB",
                        "--node-id",     "7",        "--data-dir=/srv/b",
                        "--raft-listen", "h:9",      "--log-level",
                        "warn"};

        assert_int_equal(run_args(&cfg, ARGC(argv), argv, &out, errmsg), 0);
    }
    assert_string_equal(cfg.listen, "0.0.0.0:80");
    assert_int_equal(cfg.cache_bytes, 2ULL << 30);
    assert_int_equal(cfg.db_readers, 2);
    assert_int_equal(cfg.node_id, 7);
    assert_string_equal(cfg.data_dir, "/srv/b");
    assert_string_equal(cfg.raft_listen, "h:9");
    assert_string_equal(cfg.log_level, "warn");
    assert_string_equal(out, "");
    free(out);
    config_clear(&cfg);
    assert_int_equal(unlink(path), 0);
}

/* --set reaches every key in both forms; later flags win. */
static void test_config_args_set_any_key(void **state)
{
    char errmsg[BN_ERRMSG_SIZE];
    char *argv[] = {"banyand",       "--set",
                    "batch_max=16",  "--set=default_owner=alice",
                    "--set",         "cache_bytes=8MiB",
                    "--cache-bytes", "16MiB"};
    char *out;
    struct config cfg;

    (void)state;
    assert_int_equal(run_args(&cfg, ARGC(argv), argv, &out, errmsg), 0);
    assert_int_equal(cfg.batch_max, 16);
    assert_string_equal(cfg.default_owner, "alice");
    assert_int_equal(cfg.cache_bytes, 16ULL << 20);
    free(out);
    assert_int_equal(config_set(&cfg, "nope", "1", errmsg), BN_EINVAL);
    assert_string_equal(errmsg, "unknown key 'nope'");
    assert_int_equal(config_set(&cfg, "db_readers", "65", errmsg), BN_EINVAL);
    assert_string_equal(errmsg, "db_readers: 65 is out of range (1 to 64)");
    assert_int_equal(cfg.db_readers, 8);
    config_clear(&cfg);
}

/* Bad command lines fail with BN_EINVAL and say what was wrong. */
static void test_config_args_errors(void **state)
{
    static const struct {
        const char *args[4];
        const char *errsub;
    } cases[] = {
        {{"--bogus"}, "unknown flag '--bogus'"},
        {{"stray"}, "unexpected argument 'stray'"},
        {{"--listen"}, "--listen needs a value"},
        {{"--help=yes"}, "--help takes no value"},
        {{"--set", "cache_bytes"}, "--set 'cache_bytes': expected key=value"},
        {{"--set", "nokey=1"}, "--set: unknown key 'nokey'"},
        {{"--node-id", "x"}, "--node-id: 'x' is not a whole number"},
        {{"--config", "/nonexistent.conf"}, "/nonexistent.conf: "},
        {{"--set", "heartbeat_timeout_ms=1000"},
         "heartbeat_timeout_ms (1000) must be less than"},
        {{"--listen", "127.0.0.1"}, "is not host:port"},
        {{"--listen", "127.0.0.1:99999"}, "the port must be 1 to 65535"},
        {{"--listen", "127.0.0.1:0"}, "the port must be 1 to 65535"},
        {{"--listen", "127.0.0.1:80x"}, "the port must be 1 to 65535"},
        {{"--listen", ":8420"}, "is not host:port"},
        {{"--raft-listen", "::1:8421"}, "write an IPv6 host as [v6]:port"},
        {{"--raft-listen", "[::1:8421"}, "is not [v6]:port"},
    };
    char errmsg[BN_ERRMSG_SIZE];
    struct config cfg;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[5] = {"banyand"};
        int argc = 1;
        char *out;
        int rc;

        while (argc < 5 && cases[i].args[argc - 1] != NULL) {
            argv[argc] = (char *)cases[i].args[argc - 1];
            argc++;
        }
        rc = run_args(&cfg, argc, argv, &out, errmsg);
        if (rc >= 0 || strstr(errmsg, cases[i].errsub) == NULL) {
            fail_msg("case %zu: rc %d, '%s', want '%s'", i, rc, errmsg,
                     cases[i].errsub);
        }
        free(out);
        config_clear(&cfg);
    }
}

/* --help returns 1 and lists every key with its default. */
static void test_config_help_lists_every_key(void **state)
{
    char errmsg[BN_ERRMSG_SIZE];
    char *argv[] = {"banyand", "--listen", "x:1", "--help"};
    char line[160];
    char *out;
    struct config cfg;
    const struct config_option *o;

    (void)state;
    assert_int_equal(run_args(&cfg, ARGC(argv), argv, &out, errmsg), 1);
    assert_non_null(strstr(out, "usage: banyand"));
    for (size_t i = 0; (o = config_option_at(i)) != NULL; i++) {
        (void)snprintf(line, sizeof(line), "  %s = %s\n      %s", o->key,
                       o->def, o->help);
        if (strstr(out, line) == NULL) {
            fail_msg("--help lacks '%s'", line);
        }
    }
    free(out);
    config_clear(&cfg);
}

/* --version prints the name and version and returns 1. */
static void test_config_version(void **state)
{
    char errmsg[BN_ERRMSG_SIZE];
    char *argv[] = {"banyand", "--version"};
    char *out;
    struct config cfg;

    (void)state;
    assert_int_equal(run_args(&cfg, ARGC(argv), argv, &out, errmsg), 1);
    assert_string_equal(out, "banyand 0.1.0\n");
    free(out);
    config_clear(&cfg);
}

/* --print-config shows the result of every layer, in a form that loads
 * back to the same settings. */
static void test_config_print_round_trip(void **state)
{
    char errmsg[BN_ERRMSG_SIZE];
    char *argv[] = {"banyand",          "--print-config", "--cache-bytes",
                    "3000000",          "--set",          "max_body_bytes=2MiB",
                    "--log-level=error"};
    char path[64];
    char *out;
    char *again;
    struct config cfg;
    struct config back;

    (void)state;
    assert_int_equal(run_args(&cfg, ARGC(argv), argv, &out, errmsg), 1);
    assert_non_null(strstr(out, "[store]\ncache_bytes = 3000000\n"));
    assert_non_null(strstr(out, "max_body_bytes = 2MiB\n"));
    assert_non_null(strstr(out, "log_level = error\n"));
    write_tmp(path, out);
    config_init(&back);
    assert_int_equal(config_load_file(&back, path, errmsg), 0);
    again = printed(&back);
    assert_string_equal(again, out);
    free(again);
    free(out);
    config_clear(&back);
    config_clear(&cfg);
    assert_int_equal(unlink(path), 0);
}

/* conf/banyan.conf shows every key as "key = default" in its section. */
static void test_config_sample_documents_every_key(void **state)
{
    const struct config_option *o;
    FILE *f;
    char line[256];
    char want[160];

    (void)state;
    for (size_t i = 0; (o = config_option_at(i)) != NULL; i++) {
        char section[64] = "";
        bool found = false;

        f = fopen(SAMPLE, "r");
        assert_non_null(f);
        /* An empty default is written "key =". */
        (void)snprintf(want, sizeof(want), "%s =%s%s\n", o->key,
                       o->def[0] != '\0' ? " " : "", o->def);
        while (fgets(line, sizeof(line), f) != NULL) {
            const char *p = line;

            if (sscanf(line, "[%63[^]]]", section) == 1) {
                continue;
            }
            if (strncmp(p, "# ", 2) == 0) {
                p += 2;
            }
            if (strcmp(p, want) == 0) {
                if (strcmp(section, o->section) != 0) {
                    fail_msg(SAMPLE ": %s is in [%s], not [%s]", o->key,
                             section, o->section);
                }
                found = true;
            }
        }
        assert_int_equal(fclose(f), 0);
        if (!found) {
            fail_msg(SAMPLE " lacks the line '%s = %s'", o->key, o->def);
        }
    }
}

/* conf/banyan.conf loads cleanly and changes nothing. */
static void test_config_sample_loads(void **state)
{
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct config defaults;
    struct config cfg;
    char *a;
    char *b;

    (void)state;
    config_init(&defaults);
    config_init(&cfg);
    if (config_load_file(&cfg, SAMPLE, errmsg) != 0) {
        fail_msg("%s", errmsg);
    }
    a = printed(&defaults);
    b = printed(&cfg);
    assert_string_equal(a, b);
    free(a);
    free(b);
    config_clear(&defaults);
    config_clear(&cfg);
}

/* The members list: ids, two addresses each, commas; bad lists say why. */
static void test_config_members(void **state)
{
    static const char *const bad[] = {
        "1 127.0.0.1:8420",                /* no raft address */
        "0 127.0.0.1:8420 127.0.0.1:8421", /* id 0 */
        "x 127.0.0.1:8420 127.0.0.1:8421", /* id not a number */
        "1 127.0.0.1 127.0.0.1:8421",      /* no port */
        "1 a:1 b:2, 1 c:3 d:4",            /* id twice */
        "1 a:1 b:2 c:3",                   /* extra field */
        "1 a:1 b:2,, 2 c:3 d:4",           /* empty member */
    };
    char errmsg[BN_ERRMSG_SIZE];
    struct config_member *m = NULL;
    size_t n = 0;
    struct config cfg;

    (void)state;
    assert_int_equal(config_parse_members("1 127.0.0.1:8420 127.0.0.1:8421, "
                                          "2 [::1]:8430 [::1]:8431,",
                                          &m, &n, errmsg),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(m[1].id, 2);
    assert_string_equal(m[1].http, "[::1]:8430");
    assert_string_equal(m[0].raft, "127.0.0.1:8421");
    free(m);
    assert_int_equal(config_parse_members("", &m, &n, errmsg), 0);
    assert_int_equal(n, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errmsg[0] = '\0';
        assert_int_equal(config_parse_members(bad[i], &m, &n, errmsg),
                         BN_EINVAL);
        assert_true(errmsg[0] != '\0');
    }
    /* This node must be a member unless it joins. */
    config_init(&cfg);
    assert_int_equal(
        config_set(&cfg, "members", "2 127.0.0.1:1 127.0.0.1:2", errmsg), 0);
    assert_int_equal(config_check(&cfg, errmsg), BN_EINVAL);
    assert_non_null(strstr(errmsg, "not in members"));
    assert_int_equal(config_set(&cfg, "join", "true", errmsg), 0);
    assert_int_equal(config_check(&cfg, errmsg), 0);
    assert_int_equal(config_set(&cfg, "join", "yes", errmsg), BN_EINVAL);
    config_clear(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_table_complete),
        cmocka_unit_test(test_config_file_overrides_defaults),
        cmocka_unit_test(test_config_file_errors),
        cmocka_unit_test(test_config_file_long_line),
        cmocka_unit_test(test_config_file_missing),
        cmocka_unit_test(test_config_parse_size),
        cmocka_unit_test(test_config_args_override_file),
        cmocka_unit_test(test_config_args_set_any_key),
        cmocka_unit_test(test_config_args_errors),
        cmocka_unit_test(test_config_help_lists_every_key),
        cmocka_unit_test(test_config_version),
        cmocka_unit_test(test_config_print_round_trip),
        cmocka_unit_test(test_config_sample_documents_every_key),
        cmocka_unit_test(test_config_sample_loads),
        cmocka_unit_test(test_config_members),
    };

    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
