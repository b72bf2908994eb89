/*
 * log: one JSON object a line on stderr.
 *
 * Each line is formatted into a buffer on the caller's stack and written
 * with one write(2). The buffer is PIPE_BUF bytes, so a line is atomic even
 * when stderr is a pipe (POSIX write(2): writes of at most PIPE_BUF bytes to
 * a pipe are not interleaved); a longer message is cut and ends in "...".
 * The message is escaped per RFC 8259 §7, and bytes that are not valid
 * UTF-8 become U+FFFD, so every line is valid JSON for jq.
 *
 * SPDX-License-Identifier: MIT
 */
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define LINE_MAX_BYTES PIPE_BUF
#define TAIL           "...\"}\n" /* what a cut line ends with */

int log_level = BN_LOG_INFO;

static _Thread_local uint64_t cur_req;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int log_level_parse(const char *name)
{
    if (name == NULL) {
        return -1;
    }
    for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0]));
         i++) {
        if (strcmp(name, level_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

const char *log_level_name(int lvl)
{
    if (lvl < 0 || lvl >= (int)(sizeof(level_names) / sizeof(level_names[0]))) {
        return "unknown";
    }
    return level_names[lvl];
}

void log_set_req(uint64_t req)
{
    cur_req = req;
}

/* The length of the valid UTF-8 sequence at @p (RFC 3629 §4), or 0 when the
 * bytes there are not one. path.c has the same rules with reasons. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    size_t n;

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (avail < n || p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF) {
            return 0;
        }
    }
    return n;
}

bool log_json_escape(char *out, size_t *off, size_t limit, const char *s,
                     size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        char esc[7];
        size_t elen;
        size_t step = 1;
        unsigned char c = p[i];

        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            elen = 2;
        } else if (c == '\n' || c == '\t' || c == '\r') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
            elen = 2;
        } else if (c < 0x20 || c == 0x7F) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xF];
            elen = 6;
        } else if (c < 0x80) {
            esc[0] = (char)c;
            elen = 1;
        } else {
            step = utf8_len(p + i, len - i);
            if (step == 0) {
                step = 1;
                memcpy(esc, "\\ufffd", 6);
                elen = 6;
            } else {
                memcpy(esc, p + i, step);
                elen = step;
            }
        }
        if (*off + elen > limit) {
            return false;
        }
        memcpy(out + *off, esc, elen);
        *off += elen;
        i += step;
    }
    return true;
}

void log_time(int64_t ms, char out[LOG_TIME_SIZE])
{
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    char date[24];

    if (gmtime_r(&sec, &tm) == NULL ||
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        (void)snprintf(date, sizeof(date), "1970-01-01T00:00:00");
    }
    (void)snprintf(out, LOG_TIME_SIZE, "%s.%03dZ", date, (int)(ms % 1000));
}

static void put_raw(char *out, size_t *off, size_t limit, const char *s)
{
    size_t len = strlen(s);

    if (*off + len > limit) {
        len = limit - *off;
    }
    memcpy(out + *off, s, len);
    *off += len;
}

static void write_all(const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, p, len);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return;
        }
        p += w;
        len -= (size_t)w;
    }
}

void log__write(int lvl, const char *sub, const char *fmt, ...)
{
    char msg[LINE_MAX_BYTES];
    char line[LINE_MAX_BYTES];
    char head[128];
    size_t limit = sizeof(line) - (sizeof(TAIL) - 1);
    size_t off = 0;
    size_t mlen = 0;
    bool whole;
    char date[LOG_TIME_SIZE];
    int saved = errno;
    int n;
    va_list ap;

    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n > 0) {
        mlen = (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
    }
    whole = n >= 0 && (size_t)n < sizeof(msg);

    log_time(bn_clock_wall_ms(), date);
    (void)snprintf(head, sizeof(head),
                   "{\"ts\":\"%s\",\"level\":\"%s\",\"sub\":\"", date,
                   log_level_name(lvl));
    put_raw(line, &off, limit, head);
    if (sub != NULL) {
        /* A subsystem is a short constant; 64 bytes bound a wrong one. */
        (void)log_json_escape(line, &off, off + 64, sub, strlen(sub));
    }
    if (cur_req != 0) {
        (void)snprintf(head, sizeof(head), "\",\"req\":%llu,\"msg\":\"",
                       (unsigned long long)cur_req);
    } else {
        (void)snprintf(head, sizeof(head), "\",\"msg\":\"");
    }
    put_raw(line, &off, limit, head);
    if (log_json_escape(line, &off, limit, msg, mlen) && whole) {
        put_raw(line, &off, sizeof(line), "\"}\n");
    } else {
        put_raw(line, &off, sizeof(line), TAIL);
    }
    write_all(line, off);
    errno = saved;
}
