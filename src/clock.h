/*
 * clock: the one place banyan reads the time.
 *
 * Two clocks: the wall clock (CLOCK_REALTIME: timestamps that leave the
 * node, in logs, inodes and the audit trail; it may jump) and the
 * monotonic clock (CLOCK_MONOTONIC: durations, timeouts, deadlines, the
 * read lease; it never jumps, and it means nothing on another node).
 * Apply never reads either: a command carries the leader's wall time.
 *
 * Every function may be called from any thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_CLOCK_H
#define BANYAN_SRC_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds since the epoch, by the wall clock. Any thread. */
int64_t bn_clock_wall_ms(void);

/* Milliseconds of the monotonic clock (since an unspecified start). Any
 * thread. */
int64_t bn_clock_mono_ms(void);

/* Microseconds of the monotonic clock. Any thread. */
int64_t bn_clock_mono_us(void);

/* The wall-clock time @ms milliseconds from now, as the absolute timeout
 * that pthread_cond_timedwait() takes on a condition variable with the
 * default clock. Any thread. */
struct timespec bn_clock_wall_after(int64_t ms);

#endif /* BANYAN_SRC_CLOCK_H */
