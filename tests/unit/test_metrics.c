/*
 * test_metrics: the exposition writer (families, samples, label escaping,
 * histograms with cumulative buckets), the sharded counters as rendered
 * (src/metrics.c), and the audit log's line format and file handling
 * (src/audit.c).
 *
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "config.h"
#include "metrics.h"

/* Whether @text holds @line as a whole line. */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
        if ((p == text || p[-1] == '\n') && p[n] == '\n') {
            return true;
        }
    }
    return false;
}

#define assert_line(text, line)                                                \
    do {                                                                       \
        if (!has_line((text), (line))) {                                       \
            fail_msg("missing line: %s\n---- in:\n%s", (line), (text));        \
        }                                                                      \
    } while (0)

static void test_bucket_of(void **state)
{
    static const uint64_t b[] = {1, 2, 4, 8};

    (void)state;
    assert_int_equal(metrics_bucket_of(b, 4, 0), 0);
    assert_int_equal(metrics_bucket_of(b, 4, 1), 0); /* le: inclusive */
    assert_int_equal(metrics_bucket_of(b, 4, 2), 1);
    assert_int_equal(metrics_bucket_of(b, 4, 3), 2);
    assert_int_equal(metrics_bucket_of(b, 4, 8), 3);
    assert_int_equal(metrics_bucket_of(b, 4, 9), 4); /* +Inf */
    assert_int_equal(metrics_bucket_of(b, 0, 5), 0);
}

static void test_family_and_escaping(void **state)
{
    struct metrics_out o = {0};
    const char *labels[] = {"a", "q\"b\\s\nn", "empty", ""};

    (void)state;
    metrics_out_family(&o, "x_total", "counter", "help \\ with\nnewline \"q\"");
    metrics_out_sample(&o, "x_total", labels, 2, "7");
    metrics_out_sample(&o, "x_total", NULL, 0, "8");
    assert_string_equal(o.buf, "# HELP x_total help \\\\ with\\nnewline \"q\"\n"
                               "# TYPE x_total counter\n"
                               "x_total{a=\"q\\\"b\\\\s\\nn\",empty=\"\"} 7\n"
                               "x_total 8\n");
    assert_int_equal(o.len, strlen(o.buf));
    free(o.buf);
}

static void test_histogram_text(void **state)
{
    static const uint64_t bounds[] = {100, 250, 1000000};
    static const uint64_t counts[] = {1, 2, 0, 3};
    struct metrics_out o = {0};
    const char *labels[] = {"op", "x"};

    (void)state;
    metrics_out_histogram(&o, "h_seconds", labels, 1, bounds, counts, 3,
                          1234567, 1000000);
    assert_string_equal(o.buf, "h_seconds_bucket{op=\"x\",le=\"0.0001\"} 1\n"
                               "h_seconds_bucket{op=\"x\",le=\"0.00025\"} 3\n"
                               "h_seconds_bucket{op=\"x\",le=\"1\"} 3\n"
                               "h_seconds_bucket{op=\"x\",le=\"+Inf\"} 6\n"
                               "h_seconds_sum{op=\"x\"} 1.234567\n"
                               "h_seconds_count{op=\"x\"} 6\n");
    free(o.buf);

    /* Without labels, in whole units. */
    memset(&o, 0, sizeof(o));
    metrics_out_histogram(&o, "n", NULL, 0, bounds, counts, 1, 40, 1);
    assert_string_equal(o.buf, "n_bucket{le=\"100\"} 1\n"
                               "n_bucket{le=\"+Inf\"} 3\n"
                               "n_sum 40\n"
                               "n_count 3\n");
    free(o.buf);
}

struct answer_args {
    const char *route;
    int n;
};

static void *answer_many(void *arg)
{
    const struct answer_args *a = arg;

    for (int i = 0; i < a->n; i++) {
        metrics_http_answer(a->route, "GET", 200, OP_METRIC_STAT, 150);
    }
    return NULL;
}

static char *render(bool store)
{
    struct metrics_snapshot snap;
    size_t len = 0;
    char *text;

    memset(&snap, 0, sizeof(snap));
    snap.has_raft = true;
    snap.raft_term = 3;
    snap.raft_commit_index = 10;
    snap.raft_applied_index = 9;
    snap.raft_is_leader = true;
    snap.has_store = store;
    snap.cache_hits = 5;
    snap.inodes_files = 2;
    snap.inodes_directories = 4;
    text = metrics_render(&snap, &len);
    assert_int_equal(len, strlen(text));
    return text;
}

/* Counts from several threads (so several shards) add up, and a route
 * given as another pointer to the same text is the same series. */
static void test_render_counts(void **state)
{
    pthread_t th[4];
    struct answer_args a = {"/t/route", 250};
    char *copy = strdup("/t/route");
    char *text;

    (void)state;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, answer_many, &a), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
    }
    metrics_http_answer(copy, "GET", 200, OP_METRIC_STAT, 150);
    metrics_http_answer(copy, "PUT", 409, OP_METRIC_MKDIR, 3000000);
    metrics_apply_batch(3);
    metrics_apply_batch(4096);
    metrics_apply_batch(5000);
    text = render(false);
    assert_line(text, "banyan_build_info{version=\"" CONFIG_VERSION "\"} 1");
    assert_line(text, "# TYPE banyan_http_requests_total counter");
    assert_line(text, "banyan_http_requests_total{route=\"/t/route\","
                      "method=\"GET\",code=\"200\"} 1001");
    assert_line(text, "banyan_http_requests_total{route=\"/t/route\","
                      "method=\"PUT\",code=\"409\"} 1");
    assert_line(text, "# TYPE banyan_operation_duration_seconds histogram");
    assert_line(text, "banyan_operation_duration_seconds_bucket{op=\"stat\","
                      "le=\"0.0001\"} 0");
    assert_line(text, "banyan_operation_duration_seconds_bucket{op=\"stat\","
                      "le=\"0.00025\"} 1001");
    assert_line(text, "banyan_operation_duration_seconds_count{op=\"stat\"} "
                      "1001");
    assert_line(text,
                "banyan_operation_duration_seconds_sum{op=\"stat\"} 0.15015");
    assert_line(text, "banyan_operation_duration_seconds_bucket{op=\"mkdir\","
                      "le=\"2.5\"} 0");
    assert_line(text, "banyan_operation_duration_seconds_bucket{op=\"mkdir\","
                      "le=\"5\"} 1");
    assert_line(text, "banyan_operation_duration_seconds_count{op=\"rename\"} "
                      "0");
    assert_line(text, "banyan_apply_batch_commands_bucket{le=\"4\"} 1");
    assert_line(text, "banyan_apply_batch_commands_bucket{le=\"4096\"} 2");
    assert_line(text, "banyan_apply_batch_commands_bucket{le=\"+Inf\"} 3");
    assert_line(text, "banyan_apply_batch_commands_sum 9099");
    assert_line(text, "banyan_raft_term 3");
    assert_line(text, "banyan_raft_commit_index 10");
    assert_line(text, "banyan_raft_applied_index 9");
    assert_line(text, "banyan_raft_is_leader 1");
    /* No store: its families are left out. */
    assert_null(strstr(text, "banyan_cache_hits_total"));
    assert_null(strstr(text, "banyan_inodes"));
    free(text);
    text = render(true);
    assert_line(text, "banyan_cache_hits_total 5");
    assert_line(text, "# TYPE banyan_inodes gauge");
    assert_line(text, "banyan_inodes{type=\"file\"} 2");
    assert_line(text, "banyan_inodes{type=\"directory\"} 4");
    free(text);
    free(copy);
}

static uint64_t leader_changes(void)
{
    char *text = render(false);
    const char *p = strstr(text, "\nbanyan_raft_leader_changes_total ");
    uint64_t n;

    assert_non_null(p);
    n = strtoull(p + strlen("\nbanyan_raft_leader_changes_total "), NULL, 10);
    free(text);
    return n;
}

static void test_leader_changes(void **state)
{
    uint64_t base;

    (void)state;
    base = leader_changes();
    metrics_raft_observe(7, 0); /* no leader: nothing */
    assert_int_equal(leader_changes(), base);
    metrics_raft_observe(7, 1);
    assert_int_equal(leader_changes(), base + 1);
    metrics_raft_observe(7, 1); /* the same: nothing */
    assert_int_equal(leader_changes(), base + 1);
    metrics_raft_observe(8, 1); /* re-elected in a new term */
    assert_int_equal(leader_changes(), base + 2);
    metrics_raft_observe(8, 2);
    assert_int_equal(leader_changes(), base + 3);
}

static void test_audit_format(void **state)
{
    struct audit_entry e = {
        .client = "127.0.0.1:5000",
        .user = "al\"ice\n",
        .op = "rename",
        .path = "/a\xff",
        .to = "/b",
        .method = "POST",
        .status = 409,
        .error = "already_exists",
        .request_id = 17,
    };
    size_t len = 0;
    char *line = audit_format(&e, 1764049352123LL, &len);

    (void)state;
    assert_string_equal(
        line, "{\"time\":\"2025-11-25T05:42:32.123Z\","
              "\"client\":\"127.0.0.1:5000\",\"user\":\"al\\\"ice\\n\","
              "\"op\":\"rename\",\"path\":\"/a\\ufffd\",\"to\":\"/b\","
              "\"method\":\"POST\",\"status\":409,"
              "\"error\":\"already_exists\",\"request_id\":17}\n");
    assert_int_equal(len, strlen(line));
    free(line);

    /* Unknown user, success, not a rename. */
    memset(&e, 0, sizeof(e));
    e.op = "mkdir";
    e.path = "/d";
    e.method = "PUT";
    e.status = 201;
    line = audit_format(&e, 0, &len);
    assert_string_equal(line,
                        "{\"time\":\"1970-01-01T00:00:00.000Z\","
                        "\"client\":null,\"user\":null,\"op\":\"mkdir\","
                        "\"path\":\"/d\",\"method\":\"PUT\",\"status\":201,"
                        "\"error\":null,\"request_id\":0}\n");
    free(line);
}

/* The text of file @path (empty when it does not exist). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text = calloc(1, 65536);
    size_t n;

    assert_non_null(text);
    if (f != NULL) {
        n = fread(text, 1, 65535, f);
        text[n] = '\0';
        assert_int_equal(fclose(f), 0);
    }
    return text;
}

static void test_audit_file_reopen(void **state)
{
    char dir[] = "/tmp/banyan-audit-XXXXXX";
    char path[128];
    char moved[128];
    char errmsg[BN_ERRMSG_SIZE] = "";
    struct audit_entry e = {
        .op = "delete", .path = "/x", .method = "DELETE", .status = 204};
    char *text;

    (void)state;
    assert_non_null(mkdtemp(dir));
    (void)snprintf(path, sizeof(path), "%s/audit.log", dir);
    (void)snprintf(moved, sizeof(moved), "%s/audit.log.1", dir);

    assert_int_equal(audit_open("", errmsg), 0);
    assert_false(audit_enabled());
    audit_log(&e); /* off: nothing, nowhere */

    assert_int_equal(audit_open(path, errmsg), 0);
    assert_true(audit_enabled());
    e.request_id = 1;
    audit_log(&e);
    assert_int_equal(rename(path, moved), 0);
    e.request_id = 2;
    audit_log(&e); /* still the moved file until the reopen */
    assert_int_equal(audit_reopen(errmsg), 0);
    e.request_id = 3;
    audit_log(&e);
    audit_close();
    assert_false(audit_enabled());
    e.request_id = 4;
    audit_log(&e);

    text = slurp(moved);
    assert_non_null(strstr(text, "\"request_id\":1}\n"));
    assert_non_null(strstr(text, "\"request_id\":2}\n"));
    assert_null(strstr(text, "\"request_id\":3}"));
    free(text);
    text = slurp(path);
    assert_null(strstr(text, "\"request_id\":2}"));
    assert_non_null(strstr(text, "\"request_id\":3}\n"));
    assert_null(strstr(text, "\"request_id\":4}"));
    free(text);

    /* A path that cannot be opened is an error with the reason. */
    (void)snprintf(path, sizeof(path), "%s/no/such/dir/audit.log", dir);
    assert_int_equal(audit_open(path, errmsg), BN_EIO);
    assert_non_null(strstr(errmsg, "No such file"));
    assert_false(audit_enabled());

    (void)unlink(moved);
    (void)snprintf(path, sizeof(path), "%s/audit.log", dir);
    (void)unlink(path);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_of),
        cmocka_unit_test(test_family_and_escaping),
        cmocka_unit_test(test_histogram_text),
        cmocka_unit_test(test_render_counts),
        cmocka_unit_test(test_leader_changes),
        cmocka_unit_test(test_audit_format),
        cmocka_unit_test(test_audit_file_reopen),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
