/*
 * invariant: assertions that stay on in every build, and the panic that
 * stops a node whose state can no longer be trusted (Redis serverAssert,
 * serverPanic; SQLite ALWAYS/NEVER).
 *
 * - bn_assert(x): always on, in release builds too. For a condition that
 *   only a bug can break; never for input, which gets an error code.
 * - bn_panic(fmt, ...): logs "panic at file:line: message" as an error
 *   line and aborts. For a state the process cannot go on from: a
 *   replica that cannot apply a committed entry, a store that cannot be
 *   reopened, a lock that the C library refuses.
 * - ALWAYS(x) / NEVER(x): mark defensive branches that cannot happen. In
 *   BN_DEBUG builds (MODE=asan and MODE=tsan) they panic when the
 *   impossible happens; in release builds they evaluate to @x, so the
 *   branch still protects the node.
 *
 * All of it may be used from any thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_INVARIANT_H
#define BANYAN_SRC_INVARIANT_H

#define bn_assert(x) ((x) ? (void)0 : bn__assert_fail(#x, __FILE__, __LINE__))

#define bn_panic(...) bn__panic(__FILE__, __LINE__, __VA_ARGS__)

#ifdef BN_DEBUG
#define ALWAYS(x) ((x) ? 1 : (bn__assert_fail(#x, __FILE__, __LINE__), 0))
#define NEVER(x)                                                               \
    ((x) ? (bn__assert_fail("!(" #x ")", __FILE__, __LINE__), 1) : 0)
#else
#define ALWAYS(x) (x)
#define NEVER(x)  (x)
#endif

/* Log "assertion failed at @file:@line: @expr" and abort. Use bn_assert.
 * (Both spellings of noreturn: cppcheck reads the attribute.) Any thread. */
_Noreturn void bn__assert_fail(const char *expr, const char *file, int line)
    __attribute__((noreturn));

/* Log "panic at @file:@line: " and the formatted message, then abort. Use
 * bn_panic. Any thread. */
_Noreturn void bn__panic(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#endif /* BANYAN_SRC_INVARIANT_H */
