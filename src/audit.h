/*
 * audit: the audit log, one JSON object a line for every mutation a
 * client asked for, written to the file set by `[log] audit_file` (empty:
 * no audit log).
 *
 * A line is
 *   {"time":"2026-11-25T05:42:32.123Z","client":"127.0.0.1:53422",
 *    "user":"alice","op":"rename","path":"/a","to":"/b","method":"POST",
 *    "status":409,"error":"already_exists","request_id":17}
 * with "user" null when the request named none, "to" only for a rename,
 * "error" null when the mutation succeeded, else the problem's code.
 *
 * The file is opened with O_APPEND and each line is one write(2) of the
 * whole line, so lines of concurrent requests never interleave (the kernel
 * appends each write at the end as one piece; no line is ever cut). After
 * logrotate moves the file, audit_reopen() (banyand calls it on SIGHUP)
 * opens the path again; the descriptor number never changes (dup2), so a
 * line written meanwhile lands whole in the old file or the new one.
 *
 * audit_open, audit_reopen and audit_close: the main thread. audit_log and
 * audit_enabled: any thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_AUDIT_H
#define BANYAN_SRC_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errcode.h"

/* One audited request. Every pointer is borrowed for the call; NULL
 * writes null (or leaves "to" out). */
struct audit_entry {
    const char *client; /* "127.0.0.1:53422", "[::1]:53422" */
    const char *user;   /* as the request named it */
    const char *op;     /* create, mkdir, setattr, delete, rename, other */
    const char *path;   /* the target, normalised when it parsed */
    const char *to;     /* a rename's destination */
    const char *method; /* the HTTP method */
    int status;         /* the HTTP status answered */
    const char *error;  /* the problem's code; NULL on success */
    uint64_t request_id;
};

/* Open @path for appending (created 0640 if missing). NULL or "" turns the
 * log off. Returns 0 or BN_EIO with the reason. */
int audit_open(const char *path, char errmsg[BN_ERRMSG_SIZE]);

/* Open the path again (after logrotate moved the file). Returns 0 or
 * BN_EIO with the reason; on error the log goes on in the old file. */
int audit_reopen(char errmsg[BN_ERRMSG_SIZE]);

/* Close the log; audit_log does nothing afterwards. */
void audit_close(void);

/* Whether the log is on: callers may skip gathering an entry. */
bool audit_enabled(void);

/* Write @e as one line. A failed write is reported in the daemon's log
 * (at most once a minute) and otherwise ignored: the request's answer
 * does not change. */
void audit_log(const struct audit_entry *e);

/* Format @e as one line (with its newline) into a new buffer of *len
 * bytes; free it with free(). @now_ms is the time in ms since the epoch.
 * For the tests and for audit_log. */
char *audit_format(const struct audit_entry *e, int64_t now_ms, size_t *len);

#endif /* BANYAN_SRC_AUDIT_H */
