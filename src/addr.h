/*
 * addr: the one parser of network addresses, "host:port" or "[v6]:port".
 *
 * The config options (listen, raft_listen, the members list), the
 * membership API's bodies and the HTTP listener all read addresses with
 * addr_parse(), so an address that one of them accepts, the others accept
 * too. The host is not resolved here: it is a name or a numeric address,
 * and an IPv6 one must be in brackets (the last colon starts the port).
 *
 * Pure functions: any thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_ADDR_H
#define BANYAN_SRC_ADDR_H

#include "errcode.h"

#define ADDR_HOST_MAX 255 /* bytes of a host, without the brackets */

/* A parsed address. */
struct addr {
    char host[ADDR_HOST_MAX + 1]; /* without brackets; never empty */
    unsigned port;                /* 1 to 65535 */
};

/* Parse @value, "host:port" or "[v6]:port" with a port from 1 to 65535,
 * into @out (which may be NULL to only check). Returns 0, or BN_EINVAL
 * with the reason in @why. Any thread. */
int addr_parse(const char *value, struct addr *out, char why[BN_ERRMSG_SIZE]);

#endif /* BANYAN_SRC_ADDR_H */
