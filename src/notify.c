/*
 * notify: sd_notify(3) messages for systemd's Type=notify.
 *
 * SPDX-License-Identifier: MIT
 */
#include "notify.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "log.h"

/* Send @msg; failures are logged at debug level only (outside systemd
 * there is nobody to tell, and sd_notify then returns 0). */
static void send_state(const char *msg)
{
    int rc = sd_notify(0, msg);

    if (rc < 0) {
        log_debug("notify", "sd_notify: %s", strerror(-rc));
    }
}

void notify_ready(const char *listen)
{
    char msg[512];

    (void)snprintf(msg, sizeof(msg),
                   "READY=1\nSTATUS=serving on http://%.400s\nMAINPID=%ld",
                   listen != NULL ? listen : "?", (long)getpid());
    send_state(msg);
}

void notify_stopping(void)
{
    send_state("STOPPING=1\nSTATUS=shutting down");
}
