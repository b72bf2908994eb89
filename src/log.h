/*
 * log: one JSON object a line on stderr.
 *
 * A line is {"ts":"2026-11-25T05:42:32.123Z","level":"info","sub":"http",
 * "req":17,"msg":"..."}; "req" appears when the calling thread serves a
 * request (log_set_req). The macros test the level before they format
 * anything, so a disabled debug line costs one branch.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_LOG_H
#define BANYAN_SRC_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_lvl {
    BN_LOG_ERROR = 0,
    BN_LOG_WARN = 1,
    BN_LOG_INFO = 2,
    BN_LOG_DEBUG = 3,
};

/* Process-wide level; lines above it are dropped. */
extern int log_level;

#define log_error(sub, ...) log__at(BN_LOG_ERROR, sub, __VA_ARGS__)
#define log_warn(sub, ...)  log__at(BN_LOG_WARN, sub, __VA_ARGS__)
#define log_info(sub, ...)  log__at(BN_LOG_INFO, sub, __VA_ARGS__)
#define log_debug(sub, ...) log__at(BN_LOG_DEBUG, sub, __VA_ARGS__)

#define log__at(lvl, sub, ...)                                                 \
    do {                                                                       \
        if ((lvl) <= log_level) {                                              \
            log__write((lvl), (sub), __VA_ARGS__);                             \
        }                                                                      \
    } while (0)

/* Parse "error", "warn", "info" or "debug"; -1 when unknown. Any thread. */
int log_level_parse(const char *name);

/* The name of a level. Any thread. */
const char *log_level_name(int lvl);

/* Tag the lines the calling thread writes with request id @req (0: none).
 * Any thread; the tag is thread-local. */
void log_set_req(uint64_t req);

/* Append @len bytes of @s to @out at *@off, escaped for a JSON string
 * (RFC 8259 §7; bytes that are not valid UTF-8 become U+FFFD), stopping
 * before @limit. Returns false when @s did not fit whole. Any thread. */
bool log_json_escape(char *out, size_t *off, size_t limit, const char *s,
                     size_t len);

/* @ms since the epoch as RFC 3339 UTC with milliseconds,
 * "2026-11-25T05:42:32.123Z". Any thread. */
#define LOG_TIME_SIZE 32
void log_time(int64_t ms, char out[LOG_TIME_SIZE]);

/* Write one line; use the macros instead. The message is JSON-escaped.
 * Any thread; lines from different threads never interleave. */
void log__write(int lvl, const char *sub, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* BANYAN_SRC_LOG_H */
