/*
 * test_invariant: bn_assert, bn_panic and ALWAYS/NEVER (invariant.h), and
 * the clock helpers (clock.h). A panic is run in a child process, whose
 * death by SIGABRT and last words are checked.
 *
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "invariant.h"

/* Run @fn in a child with stderr into a pipe; returns its wait status and
 * its output in @out. */
static int run_child(void (*fn)(void), char *out, size_t size)
{
    int fds[2];
    pid_t pid;
    int status = 0;
    size_t n = 0;
    ssize_t r;

    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        (void)close(fds[0]);
        (void)dup2(fds[1], 2);
        fn();
        _exit(0);
    }
    (void)close(fds[1]);
    while (n + 1 < size && (r = read(fds[0], out + n, size - 1 - n)) > 0) {
        n += (size_t)r;
    }
    out[n] = '\0';
    (void)close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void panic_now(void)
{
    bn_panic("the store is %s at entry %d", "gone", 42);
}

static void assert_false_now(void)
{
    int x = 0;

    bn_assert(x == 1);
}

/* bn_panic logs its message with file:line as an error line, then
 * aborts. */
static void test_invariant_panic_logs_and_aborts(void **state)
{
    char out[4096];
    int status = run_child(panic_now, out, sizeof(out));

    (void)state;
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_non_null(strstr(out, "\"level\":\"error\""));
    assert_non_null(strstr(out, "panic at tests/unit/test_invariant.c:"));
    assert_non_null(strstr(out, "the store is gone at entry 42"));
}

/* A false bn_assert names the expression and aborts, in every build. */
static void test_invariant_assert_aborts(void **state)
{
    char out[4096];
    int status = run_child(assert_false_now, out, sizeof(out));

    (void)state;
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_non_null(strstr(out, "assertion failed at "));
    assert_non_null(strstr(out, "x == 1"));
}

/* ALWAYS and NEVER pass the condition through when it holds as expected
 * (in every build), and a true bn_assert does nothing. */
static void test_invariant_always_never(void **state)
{
    int one = 1;
    int zero = 0;

    (void)state;
    assert_true(ALWAYS(one == 1));
    assert_false(NEVER(zero == 1));
    bn_assert(one == 1);
#ifndef BN_DEBUG
    /* Release builds let the impossible through, as the value. */
    assert_false(ALWAYS(zero == 1));
    assert_true(NEVER(one == 1));
#endif
}

#ifdef BN_DEBUG
static void never_fires(void)
{
    int one = 1;

    if (NEVER(one == 1)) {
        _exit(3);
    }
}

/* In the sanitizer builds NEVER of a true condition is a failed check. */
static void test_invariant_never_checks_in_debug(void **state)
{
    char out[4096];
    int status = run_child(never_fires, out, sizeof(out));

    (void)state;
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_non_null(strstr(out, "!(one == 1)"));
}
#endif

/* The monotonic clock does not go back, its two units agree, and a
 * deadline lies ahead of the wall clock by the amount asked. */
static void test_invariant_clock(void **state)
{
    int64_t ms = bn_clock_mono_ms();
    int64_t us = bn_clock_mono_us();
    int64_t wall = bn_clock_wall_ms();
    struct timespec ts = bn_clock_wall_after(1500);
    int64_t after = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;

    (void)state;
    assert_true(us / 1000 >= ms);
    assert_true(bn_clock_mono_ms() >= ms);
    assert_true(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
    assert_true(after >= wall + 1500);
    assert_true(bn_clock_wall_ms() + 1500 >= after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invariant_panic_logs_and_aborts),
        cmocka_unit_test(test_invariant_assert_aborts),
        cmocka_unit_test(test_invariant_always_never),
#ifdef BN_DEBUG
        cmocka_unit_test(test_invariant_never_checks_in_debug),
#endif
        cmocka_unit_test(test_invariant_clock),
    };

    return cmocka_run_group_tests_name("invariant", tests, NULL, NULL);
}
