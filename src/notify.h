/*
 * notify: tells the service manager how the daemon is doing, with
 * sd_notify(3) from libsystemd (the only file that includes
 * <systemd/sd-daemon.h>), for units of Type=notify.
 *
 * When banyand does not run under systemd (NOTIFY_SOCKET is not set) every
 * call does nothing. Main thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_NOTIFY_H
#define BANYAN_SRC_NOTIFY_H

/* READY=1: the store is open, raft runs and the HTTP server listens on
 * @listen, so the node serves (/healthz answers; /readyz tells when it can
 * take reads and writes, which in a cluster waits for a leader). Also
 * sends STATUS= and MAINPID=. */
void notify_ready(const char *listen);

/* STOPPING=1: shutdown has begun. */
void notify_stopping(void);

#endif /* BANYAN_SRC_NOTIFY_H */
