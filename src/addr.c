/*
 * addr: "host:port" and "[v6]:port" (addr.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include "addr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int addr_parse(const char *value, struct addr *out, char why[BN_ERRMSG_SIZE])
{
    const char *colon = strrchr(value, ':');
    const char *host = value;
    size_t hlen;
    unsigned long port;
    char *end;

    if (colon == NULL || colon == value) {
        bn_errmsg_printf(why, "'%.64s' is not host:port", value);
        return BN_EINVAL;
    }
    if (value[0] == '[' && colon[-1] != ']') {
        bn_errmsg_printf(why, "'%.64s' is not [v6]:port", value);
        return BN_EINVAL;
    }
    if (value[0] != '[' && memchr(value, ':', (size_t)(colon - value))) {
        bn_errmsg_printf(why, "'%.64s': write an IPv6 host as [v6]:port",
                         value);
        return BN_EINVAL;
    }
    errno = 0;
    port =
        colon[1] >= '0' && colon[1] <= '9' ? strtoul(colon + 1, &end, 10) : 0;
    if (port == 0 || errno != 0 || *end != '\0' || port > 65535) {
        bn_errmsg_printf(why, "'%.64s': the port must be 1 to 65535", value);
        return BN_EINVAL;
    }
    hlen = (size_t)(colon - value);
    if (value[0] == '[') {
        host++;
        hlen -= 2;
    }
    if (hlen == 0) {
        bn_errmsg_printf(why, "'%.64s' has no host", value);
        return BN_EINVAL;
    }
    if (hlen > ADDR_HOST_MAX) {
        bn_errmsg_printf(why, "'%.64s...': the host is longer than %d bytes",
                         value, ADDR_HOST_MAX);
        return BN_EINVAL;
    }
    if (out != NULL) {
        memcpy(out->host, host, hlen);
        out->host[hlen] = '\0';
        out->port = (unsigned)port;
    }
    return 0;
}
