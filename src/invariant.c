/*
 * invariant: the failure paths of bn_assert and bn_panic (invariant.h).
 *
 * The line goes through log.c, so it is one JSON object like every other
 * line, and it is written at error level whatever the configured level:
 * a node must never die without saying why.
 *
 * SPDX-License-Identifier: MIT
 */
#include "invariant.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

_Noreturn void bn__assert_fail(const char *expr, const char *file, int line)
{
    log__write(BN_LOG_ERROR, "invariant", "assertion failed at %s:%d: %s", file,
               line, expr);
    abort();
}

_Noreturn void bn__panic(const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log__write(BN_LOG_ERROR, "invariant", "panic at %s:%d: %s", file, line,
               msg);
    abort();
}
