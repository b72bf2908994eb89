/*
 * audit: the audit log file and the format of its lines.
 *
 * The descriptor lives in one atomic int: -1 while the log is off. A
 * reopen opens the path anew and dup2()s the new file over the old
 * descriptor, which the kernel does atomically, so a writer that loaded
 * the number never writes to a closed or reused descriptor.
 *
 * SPDX-License-Identifier: MIT
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "mem.h"

#define AUDIT_MODE         0640
#define WARN_EVERY_MS      60000
#define ESCAPED_MAX(bytes) ((bytes)*6) /* "\u00XX" for each byte */

static _Atomic int audit_fd = -1;
static char *audit_path; /* main thread only */
static _Atomic int64_t last_warn_ms;

static int open_file(const char *path, char errmsg[BN_ERRMSG_SIZE])
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, AUDIT_MODE);

    if (fd < 0) {
        bn_errmsg_printf(errmsg, "audit log %.200s: %s", path, strerror(errno));
    }
    return fd;
}

int audit_open(const char *path, char errmsg[BN_ERRMSG_SIZE])
{
    int fd;

    audit_close();
    if (path == NULL || path[0] == '\0') {
        return 0;
    }
    fd = open_file(path, errmsg);
    if (fd < 0) {
        return BN_EIO;
    }
    audit_path = bn_strdup(path);
    atomic_store(&audit_fd, fd);
    return 0;
}

int audit_reopen(char errmsg[BN_ERRMSG_SIZE])
{
    int old = atomic_load(&audit_fd);
    int fd;

    if (old < 0 || audit_path == NULL) {
        return 0;
    }
    fd = open_file(audit_path, errmsg);
    if (fd < 0) {
        return BN_EIO;
    }
    if (dup2(fd, old) < 0) {
        bn_errmsg_printf(errmsg, "audit log %.200s: dup2: %s", audit_path,
                         strerror(errno));
        (void)close(fd);
        return BN_EIO;
    }
    (void)close(fd);
    return 0;
}

void audit_close(void)
{
    int fd = atomic_exchange(&audit_fd, -1);

    if (fd >= 0) {
        (void)close(fd);
    }
    free(audit_path);
    audit_path = NULL;
}

bool audit_enabled(void)
{
    return atomic_load_explicit(&audit_fd, memory_order_relaxed) >= 0;
}

/* Append the JSON string of @s (null for NULL) to @buf at *off. @buf has
 * room: audit_format sized it for the worst case. */
static void put_str(char *buf, size_t *off, size_t cap, const char *s)
{
    if (s == NULL) {
        memcpy(buf + *off, "null", 4);
        *off += 4;
        return;
    }
    buf[(*off)++] = '"';
    (void)log_json_escape(buf, off, cap, s, strlen(s));
    buf[(*off)++] = '"';
}

static void put_lit(char *buf, size_t *off, const char *s)
{
    size_t n = strlen(s);

    memcpy(buf + *off, s, n);
    *off += n;
}

char *audit_format(const struct audit_entry *e, int64_t now_ms, size_t *len)
{
    const char *strs[] = {e->client, e->user,   e->op,   e->path,
                          e->to,     e->method, e->error};
    char time[LOG_TIME_SIZE];
    char num[64];
    size_t cap = 256 + LOG_TIME_SIZE;
    size_t off = 0;
    char *buf;

    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        cap += strs[i] != NULL ? ESCAPED_MAX(strlen(strs[i])) + 2 : 4;
    }
    buf = bn_malloc(cap);
    log_time(now_ms, time);
    put_lit(buf, &off, "{\"time\":");
    put_str(buf, &off, cap, time);
    put_lit(buf, &off, ",\"client\":");
    put_str(buf, &off, cap, e->client);
    put_lit(buf, &off, ",\"user\":");
    put_str(buf, &off, cap, e->user);
    put_lit(buf, &off, ",\"op\":");
    put_str(buf, &off, cap, e->op);
    put_lit(buf, &off, ",\"path\":");
    put_str(buf, &off, cap, e->path);
    if (e->to != NULL) {
        put_lit(buf, &off, ",\"to\":");
        put_str(buf, &off, cap, e->to);
    }
    put_lit(buf, &off, ",\"method\":");
    put_str(buf, &off, cap, e->method);
    (void)snprintf(num, sizeof(num), ",\"status\":%d,\"error\":", e->status);
    put_lit(buf, &off, num);
    put_str(buf, &off, cap, e->error);
    (void)snprintf(num, sizeof(num), ",\"request_id\":%" PRIu64 "}\n",
                   e->request_id);
    put_lit(buf, &off, num);
    buf[off] = '\0';
    *len = off;
    return buf;
}

void audit_log(const struct audit_entry *e)
{
    int fd = atomic_load_explicit(&audit_fd, memory_order_relaxed);
    int64_t now;
    size_t len;
    char *line;
    ssize_t w;

    if (fd < 0) {
        return;
    }
    now = bn_clock_wall_ms();
    line = audit_format(e, now, &len);
    /* One write: O_APPEND places the whole line at the end at once. A
     * regular file takes it whole (short writes only on a full disk). */
    do {
        w = write(fd, line, len);
    } while (w < 0 && errno == EINTR);
    if (w != (ssize_t)len) {
        int64_t last = atomic_load(&last_warn_ms);

        if (now - last >= WARN_EVERY_MS &&
            atomic_compare_exchange_strong(&last_warn_ms, &last, now)) {
            log_warn("audit", "writing the audit log: %s",
                     w < 0 ? strerror(errno) : "short write");
        }
    }
    free(line);
}
